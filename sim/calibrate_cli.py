"""The commands that start from a helpdesk's own data: ``calibrate`` (export → scenario) and ``backtest``.

``calibrate`` reads a ticket export (and its audit events), fits arrivals, mixes, handle times,
escalation paths, patience, replies and reopens, and writes a commented scenario YAML with a fit
report beside it. ``backtest`` simulates a scenario over the export's own period and judges the
history's weekly and hourly KPIs against the simulation's prediction intervals. The heavy libraries
are imported when a command runs, so ``--help`` stays quick.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli_common import (
    UsageError,
    add_execution_options,
    add_force_option,
    add_overrides,
    add_report_option,
    check_workload,
    command_parser,
    executor_for,
    folder,
    given,
    progress_of,
    ready_to_write,
    scenario_file,
    seed_number,
    write_report,
)
from sim.core.units import MINUTES_PER_DAY

if TYPE_CHECKING:
    from sim.calibration.calibrate import Calibration
    from sim.calibration.export_schema import Export

EXAMPLE = "data/example_generic"
"""The bundled example export (four weeks of scenarios/tiered.yaml)."""


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """``--events``, ``--format``, ``--map`` and ``--timezone``: how to read an export."""
    parser.add_argument(
        "--events",
        metavar="EVENTS",
        type=given("the event export file"),
        help="the audit/event export (group and status changes)",
    )
    parser.add_argument(
        "--format",
        default="generic",
        dest="fmt",
        metavar="FORMAT",
        help="column layout: generic (canonical names) or zendesk (default: generic)",
    )
    parser.add_argument(
        "--map",
        metavar="COLUMNS.yaml",
        help="a column map for any other export (replaces --format); see data/maps/ for ServiceNow and Freshdesk",
    )
    parser.add_argument(
        "--timezone",
        metavar="TZ",
        help="the desk's local time zone for hours and weekdays, e.g. Europe/London "
        "(default: the column map's, else UTC)",
    )


def read_export_args(args: argparse.Namespace) -> tuple[Export, str]:
    """The export the options name, and the local time zone to read its hours in."""
    from sim.calibration.column_map import load_column_map
    from sim.calibration.read import read_export

    column_map = load_column_map(args.map) if args.map else None
    timezone = args.timezone or (column_map.timezone if column_map and column_map.timezone else "UTC")
    _check_timezone(timezone)
    export = read_export(args.tickets, args.events, args.fmt, column_map)
    if export.tickets.empty:
        raise UsageError(f"{args.tickets}: no usable tickets ({export.skipped_summary()})")
    return export, timezone


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {name!r} is not a time zone (an IANA name, e.g. Europe/London or UTC)") from None


def add_calibrate_parser(sub: argparse._SubParsersAction) -> None:
    """The ``calibrate TICKETS`` subcommand."""
    parser = command_parser(
        sub,
        "calibrate",
        summary="fit a scenario to a helpdesk ticket export (rates, mixes, handle times, paths, patience)",
        description="Read a ticket export (and optionally its audit events), fit every rate, mix, handle time, "
        "escalation path, patience, reply and reopen it supports, and write a commented scenario YAML (each "
        "number with its sample size and source column) and a fit report beside it.",
        examples=(
            f"calibrate {EXAMPLE}/tickets.csv.gz --events {EXAMPLE}/events.csv.gz -o results/calibrated.yaml",
            "calibrate data/example_zendesk/tickets.csv.gz --events data/example_zendesk/events.csv.gz "
            "--format zendesk --base scenarios/tiered.yaml -o results/tiered_calibrated.yaml",
        ),
    )
    parser.add_argument("tickets", type=given("the ticket export file"), help="the ticket export (CSV, or .csv.gz)")
    add_export_options(parser)
    parser.add_argument(
        "--base",
        metavar="SCENARIO",
        type=given("a scenario file, or leave --base out"),
        help="a scenario that gives what an export cannot show: rosters, costs, SLA policies, calendars, "
        "concurrency, service-level targets (default: rosters estimated from the export's work)",
    )
    parser.add_argument(
        "-o",
        "--out",
        default="results/calibrated.yaml",
        type=given("a file to write, e.g. results/calibrated.yaml"),
        help="the scenario to write (default: results/calibrated.yaml)",
    )
    parser.add_argument(
        "--name",
        type=given("a name, or leave --name out"),
        help="the scenario's name (default: the output file's name)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip the fit report (<out>.fit.html)")


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``calibrate``: read, fit, write the scenario and its fit report, and say what to do next."""
    from sim.calibration.calibrate import calibrate, scenario_name
    from sim.calibration.write_scenario import calibrated_scenario
    from sim.core.atomic import write_text
    from sim.scenario.loader import load_scenario

    base = load_scenario(args.base) if args.base else None
    export, timezone = read_export_args(args)
    sources = {"tickets": Path(args.tickets).name} | ({"events": Path(args.events).name} if args.events else {})
    cal = calibrate(export, timezone, sources)
    out = Path(args.out)
    name = scenario_name(args.name or out.name.split(".")[0])
    next_step = backtest_command(args, out, timezone)
    text = calibrated_scenario(cal, base, name, args.base, next_step)
    load_scenario_text(text, out)
    print(summary(cal))
    write_text(out, text)
    print(f"scenario: {out}")
    if not args.no_report:
        from sim.reports.fit_report import write_fit_report

        print(f"fit report: {write_fit_report(cal, out.with_suffix('.fit.html'))}")
    print(f"next: {next_step}")
    return 0


def load_scenario_text(text: str, out: Path) -> None:
    """Check the calibrated YAML loads as a scenario before it is written (a failure here is a bug)."""
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import validate
    from sim.scenario.yaml_source import parse_yaml

    try:
        data, lines = parse_yaml(text, str(out))
        validate(data, str(out), lines)
    except ScenarioError as exc:
        raise RuntimeError(f"the calibrated scenario does not load: {exc.render()}") from exc


def backtest_command(args: argparse.Namespace, out: Path, timezone: str) -> str:
    """The ``backtest`` command line that checks ``out`` against the export it came from."""
    parts = ["python run_sim.py backtest", str(out), args.tickets]
    if args.events:
        parts += ["--events", args.events]
    parts += ["--map", args.map] if args.map else ["--format", args.fmt]
    if timezone != "UTC":
        parts += ["--timezone", timezone]
    return " ".join(parts)


def summary(cal: Calibration) -> str:
    """What was read and fitted, in a few lines for the terminal."""
    export = cal.export
    events = f", {len(export.events):,} events" if export.events is not None else ", no event file"
    handle = sum(1 for f in cal.handle.fits.values() if f.document)
    lines = [
        f"read {len(export.tickets):,} tickets{events}; {export.skipped_summary()}",
        f"period {cal.start.tz_convert(cal.tz):%Y-%m-%d %H:%M} to {cal.end.tz_convert(cal.tz):%Y-%m-%d %H:%M} "
        f"{cal.tz} ({cal.weeks:.1f} weeks)",
        f"fitted: {len(cal.arrivals)} channels, {len(cal.mixes.priority_by_category)} categories, "
        f"{handle} handle times, {len(cal.paths.categories)} escalation paths, {len(cal.patience)} patience",
    ]
    surges = [f"{f.channel} {s.date} (z {s.z:.1f})" for f in cal.arrivals.values() for s in f.surges]
    if surges:
        lines.append(f"surge days, left out of the rates: {', '.join(surges)}")
    return "\n".join(lines)


def _duration(text: str) -> float:
    """A duration option (``1d``, ``12h``, ``0``) in minutes."""
    from sim.core.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


MAX_WARMUP_DAYS = 366
"""The longest back-test warm-up: a year is more than any desk needs to fill its queues."""


def _warmup(text: str) -> float:
    """``--warmup``: a duration from 0 to ``MAX_WARMUP_DAYS`` days, in minutes."""
    minutes = _duration(text)
    if not 0 <= minutes <= MAX_WARMUP_DAYS * MINUTES_PER_DAY:
        raise argparse.ArgumentTypeError(f"a warm-up from 0 to {MAX_WARMUP_DAYS}d, e.g. 1d (got {text!r})")
    return minutes


def add_backtest_parser(sub: argparse._SubParsersAction) -> None:
    """The ``backtest SCENARIO TICKETS`` subcommand."""
    parser = command_parser(
        sub,
        "backtest",
        summary="simulate a scenario over a ticket export's period and compare its KPIs with the history",
        description="Back-test a (calibrated) scenario: simulate it over the period of a ticket export and "
        "compare, per channel, each week and each hour of the day, the history's KPIs (volume, ASA, service "
        "level, abandonment, escalation, resolution time) with the simulation's 95 % prediction intervals. "
        "Writes results/backtest/<run>/ and prints the verdict on the weekly cells.",
        examples=(
            f"backtest scenarios/tiered.yaml {EXAMPLE}/tickets.csv.gz --events {EXAMPLE}/events.csv.gz --warmup 0",
        ),
    )
    parser.add_argument(
        "scenario",
        type=scenario_file,
        help="scenario YAML file to back-test, e.g. the one calibrate wrote",
    )
    parser.add_argument(
        "tickets",
        metavar="TICKETS",
        type=given("the ticket export file"),
        help="the export's ticket file (.csv or .csv.gz)",
    )
    add_export_options(parser)
    parser.add_argument(
        "--replications", "-r", type=int, default=20, help="simulated replications of the period (default: 20)"
    )
    parser.add_argument("--seed", type=seed_number, help="base random seed, 0 or more (default: the scenario's)")
    parser.add_argument(
        "--warmup",
        type=_warmup,
        default=MINUTES_PER_DAY,
        metavar="DURATION",
        help="simulated time before the export's first day, whole days (default: 1d; 0 for an export "
        "that began with an empty desk)",
    )
    add_overrides(parser)
    add_force_option(parser)
    parser.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/; lands in backtest/)",
    )
    add_execution_options(parser)
    add_report_option(parser)


def cmd_backtest(args: argparse.Namespace) -> int:
    """``backtest``: simulate a scenario over an export's period, print the verdict, save the folder."""
    from sim.calibration.backtest import backtest, headline, summary_table, write_backtest
    from sim.calibration.calibrate import with_scenario_names
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.replications < 2:
        raise UsageError("--replications must be at least 2 (a prediction interval needs a spread)")
    export, timezone = read_export_args(args)
    export, _ = with_scenario_names(export)
    sources = {
        "tickets": args.tickets,
        "events": args.events,
        "format": None if args.map else args.fmt,
        "map": args.map,
        "timezone": timezone,
    }
    ready_to_write(Path(args.out) / "backtest")
    with executor_for(args, args.replications) as executor:
        result = backtest(
            scenario,
            export,
            timezone,
            args.replications,
            args.seed,
            args.warmup,
            executor=executor,
            progress=progress_of(args),
            sources={"scenario": args.scenario, **sources},
            admit=lambda window: check_workload([(str(args.scenario), window, args.replications)], args.force),
        )
    folder = write_backtest(result, args.out)
    print(headline(result) + "\n")
    print(summary_table(result))
    for note in result.notes:
        print(f"note: {note}")
    print(f"\nresults: {folder}")
    if args.report:
        print(f"report: {write_report(folder)}")
    return 0
