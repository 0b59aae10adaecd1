"""The ``run`` and ``compare`` commands: one scenario's KPIs with intervals, or several on common random numbers."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sim.analysis.precision import DEFAULT_CAP, DEFAULT_KPI, PrecisionTarget
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
    lasting_imports,
    progress_of,
    ready_to_write,
    scenario_file,
    seed_number,
    write_report,
)
from sim.reports.marks import MARK

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario.spec import Scenario


def add_run_parser(sub: argparse._SubParsersAction) -> None:
    """The ``run`` command's options."""
    p_run = command_parser(
        sub,
        "run",
        summary="simulate a scenario and print its KPIs with 95%% confidence intervals",
        description="Simulate a scenario's replications, print each KPI's mean with its 95% confidence "
        "interval and write the tables to a results folder.",
        examples=(
            "run scenarios/baseline.yaml",
            "run scenarios/baseline.yaml -r 20 --seed 7",
            "run scenarios/baseline.yaml --set teams.tier1.shifts[0].agents=11 --set horizon=7d",
            "run scenarios/tiered.yaml -r 5 --report",
        ),
    )
    p_run.add_argument("scenario", type=scenario_file, help="scenario YAML file, e.g. scenarios/baseline.yaml")
    add_replication_options(p_run)
    add_overrides(p_run)
    p_run.add_argument("--out", default="results", type=folder, help="results folder (default: results/)")
    p_run.add_argument("--no-events", action="store_true", help="do not record the per-event log (faster, smaller)")
    add_precision_options(p_run)
    add_execution_options(p_run)
    add_report_option(p_run)


def add_compare_parser(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` command's options."""
    p_cmp = command_parser(
        sub,
        "compare",
        summary="run scenarios on the same random numbers; paired differences to the first",
        description="Compare scenarios under common random numbers: each scenario's KPIs with "
        "95% intervals, and the paired difference to the first (the base), marked "
        f"{MARK} when its interval excludes zero.",
        examples=(
            "compare scenarios/baseline.yaml --variant 'tier1_11:teams.tier1.shifts[0].agents=11'",
            "compare scenarios/handoff.yaml --variant 'warm:escalation.handoff.mode=warm' --set horizon=3d -r 5",
        ),
    )
    p_cmp.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        type=scenario_file,
        help="scenario files; the first is the base",
    )
    p_cmp.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME:PATH=VALUE[,PATH=VALUE]",
        help="a variant of the first scenario, e.g. more_tier1:teams.tier1.shifts[0].agents=11 (repeatable)",
    )
    add_replication_options(p_cmp)
    add_overrides(p_cmp, "override a field of every scenario, e.g. --set horizon=3d (repeatable)")
    p_cmp.add_argument(
        "--kpi",
        dest="kpis",
        action="append",
        metavar="NAME",
        help="compare only these KPIs, e.g. --kpi service_level.phone --kpi asa.phone (default: all)",
    )
    p_cmp.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/; the comparison lands in results/compare/)",
    )
    add_precision_options(p_cmp)
    add_execution_options(p_cmp)
    add_report_option(p_cmp)


def add_replication_options(parser: argparse.ArgumentParser) -> None:
    """``--force``, ``--replications`` and ``--seed``."""
    add_force_option(parser)
    parser.add_argument("--replications", "-r", type=int, help="number of replications (default: the scenario's)")
    parser.add_argument("--seed", type=seed_number, help="base random seed, 0 or more (default: the scenario's)")


def add_precision_options(parser: argparse.ArgumentParser) -> None:
    """``--precision``, ``--precision-kpi`` and ``--max-replications``."""
    parser.add_argument(
        "--precision",
        type=float,
        metavar="FRACTION",
        help="add replications until the 95%% half-width of --precision-kpi is under this fraction "
        "of its mean, e.g. 0.05 for 5%%",
    )
    parser.add_argument(
        "--precision-kpi",
        default=DEFAULT_KPI,
        metavar="NAME",
        help="the KPI --precision watches (default: the service level of the first live channel with a "
        "target, e.g. service_level.phone; else that channel's ASA)",
    )
    parser.add_argument(
        "--max-replications",
        type=int,
        default=DEFAULT_CAP,
        metavar="N",
        help=f"cap on replications under --precision (default: {DEFAULT_CAP})",
    )


def cmd_run(args: argparse.Namespace) -> int:
    """``run``: simulate a scenario, save its results folder and print its KPIs."""
    with lasting_imports():
        from sim.experiments.outputs import run_folder_parent, write_run
        from sim.experiments.replications import run
        from sim.reports.display import kpi_table
        from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.replications is not None and args.replications < 1:
        raise UsageError("--replications must be at least 1")
    target = precision_target(args, scenario)
    planned = max(args.replications or scenario.replications, target.max_replications if target else 0)
    check_workload([(str(args.scenario), scenario, planned)], args.force)
    ready_to_write(run_folder_parent(scenario.name, args.out))
    with executor_for(args, planned) as executor:
        result = run(
            scenario,
            args.replications,
            args.seed,
            progress=progress_of(args),
            record_events=not args.no_events,
            executor=executor,
            precision=target,
        )
    folder = write_run(result, args.out)
    print(
        _headline(scenario, result.meta["replications"], result.meta["seed"], result.elapsed, result.meta["executor"])
    )
    print(kpi_table(result.summary))
    print()
    assert result.intervals is not None  # run() always computes the interval tables
    intervals = _interval_table(result.intervals[0], scenario)
    if intervals:
        print(intervals + "\n")
    if result.precision is not None:
        print(f"precision: {result.precision.describe()}")
    assert result.warmup is not None  # run() always assesses the warm-up
    print(f"warm-up: {result.warmup.describe()}")
    print(f"\nresults: {folder}")
    if args.report:
        print(f"report: {write_report(folder)}")
    return 0


def _interval_table(channels: pd.DataFrame, scenario: Scenario) -> str:
    """Each channel's intervals of lowest service level, from the run's per-channel interval table ("" without goals).

    The table in memory is the one the run wrote to intervals.csv: reading the file back gave the same
    table and cost the command about 15 ms.
    """
    from sim.core.units import format_duration
    from sim.experiments.outputs import INTERVALS
    from sim.reports.tables import worst_interval_table

    return worst_interval_table(channels, format_duration(scenario.reporting.minutes, "m", 0), INTERVALS)


def _headline(scenario: Scenario, replications: int, seed: int, elapsed: float, where: str = "") -> str:
    from sim.core.units import format_duration

    warm = f", {format_duration(scenario.warmup)} warm-up" if scenario.warmup else ""
    on = f" on {where}" if where else ""
    return (
        f"{scenario.name}: {replications} replication{'s' * (replications != 1)} of "
        f"{format_duration(scenario.horizon)}{warm}, seed {seed} ({elapsed:.1f}s{on})\n"
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """``compare``: run scenarios on common random numbers and print the paired differences to the first."""
    from sim.experiments.compare import compare, write_comparison
    from sim.reports.tables import comparison_table

    scenarios, sources = _comparison_scenarios(args)
    if args.replications is not None and args.replications < 1:
        raise UsageError("--replications must be at least 1")
    base = next(iter(scenarios.values()))
    target = precision_target(args, base)
    if args.kpis:
        args.kpis = list(dict.fromkeys(args.kpis))  # --kpi asa --kpi asa: one column, not two
    check_kpis(args.kpis or [], base)
    per_scenario = max(args.replications or base.replications, target.max_replications if target else 0)
    check_workload([(sources[name], scenario, per_scenario) for name, scenario in scenarios.items()], args.force)
    ready_to_write(Path(args.out) / "compare")
    with executor_for(args, per_scenario * len(scenarios)) as executor:
        result = compare(
            scenarios,
            args.replications,
            args.seed,
            kpis=args.kpis,
            executor=executor,
            progress=progress_of(args),
            precision=target,
        )
    result.meta["set"] = list(args.overrides)
    folder = write_comparison(result, args.out)
    meta = result.meta
    print(
        f"{len(scenarios)} scenarios, {meta['replications']} replications each on common random numbers, "
        f"seed {meta['seed']} ({meta['elapsed_seconds']:.1f}s on {meta['executor']})\n"
    )
    if args.overrides:
        print(f"every scenario: {', '.join(args.overrides)}")
    print(comparison_table(result.table, result.meta["changes"]))
    print(f"{MARK} the paired 95% interval of the difference to {result.base} excludes zero")
    for status in result.precision:
        print(f"precision: {status.describe()}")
    print(f"\nresults: {folder}")
    if args.report:
        print(f"report: {write_report(folder)}")
    return 0


def _comparison_scenarios(args: argparse.Namespace) -> tuple[dict[str, Scenario], dict[str, str]]:
    """Labelled scenarios: the files (by scenario name, else by path), then the variants of the first.

    Also where each label comes from, for messages: its file, or ``--variant NAME``.
    """
    from sim.scenario.loader import load_scenario
    from sim.scenario.overrides import Override
    from sim.scenario.variants import clash_message, parse_variant, read_document, spelling_clashes

    scenarios: dict[str, Scenario] = {}
    sources: dict[str, str] = {}
    if len({Path(path).resolve() for path in args.scenarios}) < len(args.scenarios):
        raise UsageError("a scenario file is given twice; vary one with --variant NAME:PATH=VALUE instead")
    for path in args.scenarios:
        scenario = load_scenario(path, args.overrides)
        label = scenario.name if scenario.name not in scenarios else path
        scenarios[label], sources[label] = scenario, str(path)
    if args.variant:
        base = read_document(args.scenarios[0])
        for text in args.variant:
            try:
                variant = parse_variant(text)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
            if variant.name in scenarios:
                raise UsageError(f"--variant {text!r}: the name {variant.name!r} is already taken")
            paths = [part.split("=", 1)[0] for part in variant.overrides]
            for first, second in spelling_clashes(base.data, paths):
                raise UsageError(f"--variant {text!r}: {clash_message(base.data, first, second)}")
            named = [Override(text, f"--variant {variant.name}:{text}") for text in variant.overrides]
            scenarios[variant.name] = base.scenario([*args.overrides, *named])
            sources[variant.name] = f"--variant {variant.name}"
    if len(scenarios) < 2:
        raise UsageError("compare needs at least two scenarios: more files, or --variant NAME:PATH=VALUE")
    return scenarios, sources


def precision_target(args: argparse.Namespace, scenario: Scenario) -> PrecisionTarget | None:
    """The ``--precision`` target for ``scenario``, checked (None without ``--precision``)."""
    if args.precision is None:
        return None
    try:
        target = PrecisionTarget(args.precision, args.precision_kpi, args.max_replications).for_scenario(scenario)
    except ValueError as exc:
        raise UsageError(f"--precision: {exc}") from None
    check_kpis([target.kpi], scenario)
    return target


def check_kpis(names: list[str], scenario: Scenario) -> None:
    """Refuse KPI names the scenario does not have, saying which it has."""
    from sim.analysis.kpi_names import kpi_problem

    for name in names:
        if problem := kpi_problem(name, scenario):
            raise UsageError(problem)
