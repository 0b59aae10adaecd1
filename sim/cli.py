"""The command line: every command's parser, and ``main``, which runs one (``--help`` lists them).

``run`` and ``compare`` live in ``run_cli``, ``sweep`` and ``optimise`` in ``search_cli``,
``calibrate`` and ``backtest`` in ``calibrate_cli``, ``demo`` in ``demo`` and ``app`` in
``app.command``; ``validate``, ``schema`` and ``report`` are here.

Exit codes: 0 success, 2 a scenario or usage problem, or a results folder (``--out``) that cannot
be written (one clear message, no traceback), 3 a sweep finished but some of its tasks failed,
130 interrupted (Ctrl-C), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sim.app.command import add_app_parser, cmd_app
from sim.calibrate_cli import add_backtest_parser, add_calibrate_parser, cmd_backtest, cmd_calibrate
from sim.cli_common import (
    HelpFormatter,
    UsageError,
    add_overrides,
    command_parser,
    examples_epilog,
    given,
    scenario_file,
    write_report,
)
from sim.core.atomic import OutputError
from sim.demo import add_demo_parser, cmd_demo
from sim.experiments.executors import ExecutorError
from sim.run_cli import add_compare_parser, add_run_parser, cmd_compare, cmd_run
from sim.search_cli import add_optimise_parser, add_sweep_parser, cmd_optimise, cmd_sweep

# Each command imports what it needs (SimPy, pandas, SciPy, the experiments and the tables) when
# it runs, so `--help`, `validate` and `schema` answer at once; tests/test_code_health.py checks
# which libraries they load.


def add_report_parser(sub: argparse._SubParsersAction) -> None:
    """The ``report RESULTS_DIR`` subcommand."""
    parser = command_parser(
        sub,
        "report",
        summary="write report.html (plots, KPIs with intervals) for a results folder",
        description="Write a self-contained report.html, and the plots as PNG and SVG under "
        "plots/, into the folder of a run, a comparison or a sweep.",
    )
    parser.add_argument(
        "results",
        metavar="RESULTS_DIR",
        type=given("a results folder"),
        help="a folder printed by run, compare, sweep or optimise",
    )


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report of ``args.results``; exit 2 with one message if the folder holds no results."""
    from sim.experiments.results import ResultsError, damaged_files

    try:
        path = write_report(args.results)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except _damaged_file_errors() as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        damaged = damaged_files(args.results)
        more = f" and {len(damaged) - 3} more" if len(damaged) > 3 else ""
        named = ", ".join(str(file) for file in damaged[:3]) + more
        print(
            f"error: {named or args.results}: {'damaged' if named else 'a results file is damaged'} or cut short "
            f"({detail}); run the command that wrote {args.results} again",
            file=sys.stderr,
        )
        return 2
    print(f"report: {path}")
    return 0


def _damaged_file_errors() -> tuple[type[Exception], ...]:
    """What reading an empty, truncated or garbled results file raises (JSON, CSV, YAML, parquet, text)."""
    import pandas as pd
    import pyarrow as pa
    import yaml

    return (
        json.JSONDecodeError,
        UnicodeDecodeError,
        pd.errors.EmptyDataError,
        pd.errors.ParserError,
        yaml.YAMLError,
        pa.ArrowInvalid,
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``escalation-sim`` argument parser with one subcommand per entry of ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="escalation-sim",
        description="Simulate customer-support operations: tiers, escalations, SLAs.",
        formatter_class=HelpFormatter,
        epilog=examples_epilog(
            "validate scenarios/baseline.yaml",
            "run scenarios/baseline.yaml -r 5",
            "compare scenarios/tiered.yaml --variant 'training:categories.connectivity.resolve_probability.tier1=0.8'",
            "sweep scenarios/sweeps/staffing.yaml",
            "demo swarming",
        )
        + "\n\nEach command's --help says more; the documentation (docs/, built with Sphinx) has the whole story.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_run_parser(sub)
    add_compare_parser(sub)
    add_sweep_parser(sub)
    add_optimise_parser(sub)

    p_val = command_parser(
        sub,
        "validate",
        summary="check a scenario file and report every problem",
        description="Check a scenario file (and its --set overrides) without simulating: every problem "
        "on a line of its own, then the expected tickets per replication.",
        examples=(
            "validate scenarios/baseline.yaml",
            "validate scenarios/baseline.yaml --set teams.tier1.shifts[0].agents=11",
        ),
    )
    p_val.add_argument("scenario", type=scenario_file)
    add_overrides(p_val)

    p_schema = command_parser(
        sub,
        "schema",
        summary="print the scenario JSON Schema (for editor autocompletion)",
        description="Print the JSON Schema of scenario files, for an editor's autocompletion and checks, "
        "or with --markdown the scenario reference.",
    )
    p_schema.add_argument("--markdown", action="store_true", help="print the scenario reference as Markdown instead")
    add_report_parser(sub)
    add_demo_parser(sub)
    add_app_parser(sub)
    add_calibrate_parser(sub)
    add_backtest_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code; expected problems print one line, not a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # output piped into a reader that stopped early (e.g. `| head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        if argv is None:  # a program, not a call: leave without joining a stopped worker pool's threads
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    except Exception as exc:
        problem = _expected_problem(exc)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2


def _raised_from(exc: Exception, module: str, name: str) -> bool:
    """Whether ``exc`` is a ``module.name``; a module not imported yet cannot have raised it (nor is imported now)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def _expected_problem(exc: Exception) -> str | None:
    """The one-line message of an expected problem (exit 2), or None for a bug (a traceback, exit 1)."""
    if _raised_from(exc, "sim.scenario.errors", "ScenarioError"):
        return exc.render()  # type: ignore[attr-defined]
    if isinstance(exc, (ExecutorError, UsageError, OutputError)) or any(
        _raised_from(exc, module, name)
        for module, name in (
            ("sim.experiments.sweeps", "SweepError"),
            ("sim.optimiser.pools", "RosterError"),
            ("sim.calibration.export_schema", "ExportError"),
        )
    ):
        return str(exc)
    return None


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: load a scenario (errors exit 2 from ``main``) and print what it holds."""
    from sim.scenario.loader import load_scenario
    from sim.scenario.workload import estimate

    scenario = load_scenario(args.scenario, args.overrides)
    print(
        f"{Path(args.scenario)}: ok ({len(scenario.channels)} channels, {len(scenario.categories)} categories, "
        f"{len(scenario.teams)} teams, {len(scenario.sla_policies)} SLA policies)"
    )
    work = estimate(scenario)
    print(f"estimated work: {work.describe()}")
    for problem in work.problems():
        print(f"warning: {problem}; run, compare, sweep and optimise refuse it without --force")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``schema``: print the scenario JSON Schema, or with ``--markdown`` the field reference."""
    if args.markdown:
        from sim.scenario.reference import markdown

        print(markdown(), end="")
        return 0
    from sim.scenario.spec import Scenario

    print(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))
    return 0


COMMANDS = {
    "run": cmd_run,
    "compare": cmd_compare,
    "sweep": cmd_sweep,
    "validate": cmd_validate,
    "schema": cmd_schema,
    "report": cmd_report,
    "demo": cmd_demo,
    "app": cmd_app,
    "optimise": cmd_optimise,
    "calibrate": cmd_calibrate,
    "backtest": cmd_backtest,
}
