"""The ``app`` command: start the what-if app in the browser (NiceGUI is imported only when it starts)."""

from __future__ import annotations

import argparse
import importlib.util

from sim.cli_common import UsageError, command_parser, folder, given


def add_app_parser(sub: argparse._SubParsersAction) -> None:
    """The ``app [SCENARIO]`` subcommand."""
    parser = command_parser(
        sub,
        "app",
        summary="start the what-if app in the browser: knobs, live paired comparisons, an animated replay",
        description="Start a local web app: pick a scenario or demo, move knobs (staffing, authority, "
        "handoffs, triggers, volumes, SLA targets) and see the variant against the scenario on the same "
        "customers, with paired 95 % intervals, flow diagrams, waits, backlog and a replay of one day. "
        "Needs the optional extra: pip install -e '.[app]'.",
        examples=(
            "app",
            "app scenarios/tiered.yaml",
            "app scenarios/baseline.yaml --port 8090 --no-browser",
        ),
    )
    parser.add_argument("scenario", nargs="?", help="scenario YAML to open (default: the handoff demo)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        type=given("an address, e.g. 127.0.0.1"),
        help="address to listen on (default: 127.0.0.1, this machine)",
    )
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080)")
    parser.add_argument("--workers", "-w", type=int, help="parallel worker processes (default: all cores)")
    parser.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder for reports and uploads (default: results/)",
    )
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser tab")


def cmd_app(args: argparse.Namespace) -> int:
    """Serve the app until Ctrl-C."""
    if importlib.util.find_spec("nicegui") is None:
        raise UsageError("the app needs its optional extra; install it with: pip install -e '.[app]'")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    from sim.app.server import serve

    serve(args.scenario, host=args.host, port=args.port, workers=args.workers, out=args.out, show=not args.no_browser)
    return 0
