"""The command line: ``run``, ``compare``, ``sweep``, ``report``, ``demo``, ``validate`` and ``schema`` (``--help``).

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
from typing import TYPE_CHECKING

from sim.analysis.precision import DEFAULT_CAP, DEFAULT_KPI, PrecisionTarget
from sim.app.command import add_app_parser, cmd_app
from sim.calibrate_cli import add_backtest_parser, add_calibrate_parser, cmd_backtest, cmd_calibrate
from sim.cli_common import (
    HelpFormatter,
    UsageError,
    add_execution_options,
    add_overrides,
    add_report_option,
    examples,
    executor_for,
    folder,
    given,
    lasting_imports,
    progress_of,
    ready_to_write,
    scenario_file,
    seed_number,
    whole_days,
    write_report,
)
from sim.core.atomic import OutputError
from sim.core.units import MINUTES_PER_DAY
from sim.demo import add_demo_parser, cmd_demo
from sim.experiments.executors import ExecutorError
from sim.reports.marks import MARK

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenario.spec import Scenario
    from sim.scenario.workload import Run

# Each command imports what it needs (SimPy, pandas, SciPy, the experiments and the tables) when
# it runs, so `--help`, `validate` and `schema` answer at once; tests/test_code_health.py checks
# which libraries they load.

SWEEP_FAILED = 3


def add_report_parser(sub: argparse._SubParsersAction) -> None:
    """The ``report RESULTS_DIR`` subcommand."""
    parser = sub.add_parser(
        "report",
        help="write report.html (plots, KPIs with intervals) for a results folder",
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
    from sim.experiments.results import ResultsError

    try:
        path = write_report(args.results)
    except ResultsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``escalation-sim`` argument parser with one subcommand per entry of ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="escalation-sim",
        description="Simulate customer-support operations: tiers, escalations, SLAs.",
        formatter_class=HelpFormatter,
        epilog=examples(
            "validate scenarios/baseline.yaml",
            "run scenarios/baseline.yaml -r 5",
            "compare scenarios/tiered.yaml --variant 'training:categories.connectivity.resolve_probability.tier1=0.8'",
            "sweep scenarios/sweeps/staffing.yaml",
            "demo swarming",
        )
        + "\n\nEach command's --help says more; the documentation (docs/, built with Sphinx) has the whole story.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_run = sub.add_parser(
        "run",
        help="simulate a scenario and print its KPIs with 95%% confidence intervals",
        description="Simulate a scenario's replications, print each KPI's mean with its 95% confidence "
        "interval and write the tables to a results folder.",
        formatter_class=HelpFormatter,
        epilog=examples(
            "run scenarios/baseline.yaml",
            "run scenarios/baseline.yaml -r 20 --seed 7",
            "run scenarios/baseline.yaml --set teams.tier1.shifts[0].agents=11 --set horizon=7d",
            "run scenarios/tiered.yaml -r 5 --report",
        ),
    )
    p_run.add_argument(
        "scenario",
        type=scenario_file,
        help="scenario YAML file, e.g. scenarios/baseline.yaml",
    )
    _add_replication_options(p_run)
    add_overrides(p_run)
    p_run.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/)",
    )
    p_run.add_argument("--no-events", action="store_true", help="do not record the per-event log (faster, smaller)")
    _add_precision_options(p_run)
    add_execution_options(p_run)
    add_report_option(p_run)

    p_cmp = sub.add_parser(
        "compare",
        help="run scenarios on the same random numbers; paired differences to the first",
        description="Compare scenarios under common random numbers: each scenario's KPIs with "
        "95% intervals, and the paired difference to the first (the base), marked "
        f"{MARK} when its interval excludes zero.",
        formatter_class=HelpFormatter,
        epilog=examples(
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
    _add_replication_options(p_cmp)
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
    _add_precision_options(p_cmp)
    add_execution_options(p_cmp)
    add_report_option(p_cmp)

    p_swp = sub.add_parser(
        "sweep",
        help="run a parameter sweep file; resumable",
        description="Run every point of a sweep file (grid, list, or random, Latin-hypercube, Sobol' or Halton "
        "sample) with its replications. Each finished run is saved at once; after "
        "an interruption, --resume runs only what is missing.",
        formatter_class=HelpFormatter,
        epilog=examples("sweep scenarios/sweeps/staffing.yaml", "sweep scenarios/sweeps/staffing.yaml --resume"),
    )
    p_swp.add_argument(
        "sweep",
        type=given("a sweep file, e.g. scenarios/sweeps/staffing.yaml"),
        help="sweep YAML file, e.g. scenarios/sweeps/staffing.yaml",
    )
    p_swp.add_argument(
        "--out",
        type=folder,
        help="results folder of this sweep (default: results/sweeps/<name>/)",
    )
    again = p_swp.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="finish an interrupted sweep in its folder")
    again.add_argument("--overwrite", action="store_true", help="delete the sweep's earlier results and start again")
    _add_force_option(p_swp)
    add_execution_options(p_swp)
    add_report_option(p_swp)

    p_opt = sub.add_parser(
        "optimise",
        help="find the cheapest weekly roster that meets service goals, verified by simulation",
        description="Find the cheapest weekly roster (shifts per team) that meets the goals in a goals file: "
        "offered load from a pilot run, Erlang C start, the iterative staffing algorithm on the whole network, "
        "an integer programme for the shifts, and a check by simulation. Writes results/optimise/<run>/.",
        formatter_class=HelpFormatter,
        epilog=examples(
            "optimise scenarios/baseline.yaml --goals scenarios/goals/baseline_goals.yaml",
            "optimise scenarios/baseline.yaml --report",
            "optimise scenarios/tiered.yaml --days 2 --no-compare",
        ),
    )
    p_opt.add_argument(
        "scenario",
        type=scenario_file,
        help="scenario YAML file, e.g. scenarios/baseline.yaml",
    )
    p_opt.add_argument(
        "--goals",
        type=given("a goals file, or leave --goals out for the default goals"),
        help="goals YAML file (default: every channel's service-level goal, met in every interval)",
    )
    p_opt.add_argument("--seed", type=seed_number, help="base random seed, 0 or more (default: the scenario's)")
    p_opt.add_argument(
        "--days", type=whole_days, help="plan this many whole days instead of the goals file's horizon (a quick look)"
    )
    p_opt.add_argument("--no-compare", action="store_true", help="skip the Erlang-only roster and its check")
    _add_force_option(p_opt)
    p_opt.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/; lands in optimise/)",
    )
    add_overrides(p_opt)
    add_execution_options(p_opt)
    add_report_option(p_opt)

    p_val = sub.add_parser(
        "validate",
        help="check a scenario file and report every problem",
        description="Check a scenario file (and its --set overrides) without simulating: every problem "
        "on a line of its own, then the expected tickets per replication.",
        formatter_class=HelpFormatter,
        epilog=examples(
            "validate scenarios/baseline.yaml",
            "validate scenarios/baseline.yaml --set teams.tier1.shifts[0].agents=11",
        ),
    )
    p_val.add_argument("scenario", type=scenario_file)
    add_overrides(p_val)

    p_schema = sub.add_parser("schema", help="print the scenario JSON Schema (for editor autocompletion)")
    p_schema.add_argument("--markdown", action="store_true", help="print the scenario reference as Markdown instead")
    add_report_parser(sub)
    add_demo_parser(sub)
    add_app_parser(sub)
    add_calibrate_parser(sub)
    add_backtest_parser(sub)
    return parser


def _add_force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="run even when the estimated work is above the limits (see the docs: Input limits and faults)",
    )


def _add_replication_options(parser: argparse.ArgumentParser) -> None:
    _add_force_option(parser)
    parser.add_argument("--replications", "-r", type=int, help="number of replications (default: the scenario's)")
    parser.add_argument("--seed", type=seed_number, help="base random seed, 0 or more (default: the scenario's)")


def _add_precision_options(parser: argparse.ArgumentParser) -> None:
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
    target = _precision(args, scenario)
    planned = max(args.replications or scenario.replications, target.max_replications if target else 0)
    _check_workload([(str(args.scenario), scenario, planned)], args.force)
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
    target = _precision(args, base)
    if args.kpis:
        args.kpis = list(dict.fromkeys(args.kpis))  # --kpi asa --kpi asa: one column, not two
    _check_kpis(args.kpis or [], base)
    per_scenario = max(args.replications or base.replications, target.max_replications if target else 0)
    _check_workload([(sources[name], scenario, per_scenario) for name, scenario in scenarios.items()], args.force)
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


def cmd_optimise(args: argparse.Namespace) -> int:
    """``optimise``: the cheapest roster meeting the goals; print it against the Erlang-only roster, save the folder."""
    from sim.optimiser.goals import default_goals, load_goals
    from sim.optimiser.optimise import optimise
    from sim.optimiser.outputs import write_optimisation
    from sim.reports.tables import optimise_table
    from sim.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.seed is not None:
        scenario = scenario.model_copy(update={"seed": args.seed})
    goals = load_goals(args.goals, scenario) if args.goals else default_goals(scenario)
    if args.days is not None:
        goals = goals.model_copy(update={"horizon": args.days * MINUTES_PER_DAY})
    simulated = scenario.model_copy(update={"horizon": scenario.warmup + goals.horizon})  # as the search runs it
    _check_workload([(f"{args.scenario} at the goals' horizon", simulated, goals.verify_replications)], args.force)
    ready_to_write(Path(args.out) / "optimise")
    with executor_for(args, goals.verify_replications) as executor:
        result = optimise(
            scenario,
            goals,
            executor=executor,
            progress=progress_of(args),
            compare=not args.no_compare,
            say=(lambda _: None) if args.quiet else (lambda text: print(text, file=sys.stderr)),
        )
    result.goals_file = args.goals
    folder = write_optimisation(result, args.out)
    print(optimise_table(folder))
    print(f"\nroster: {folder / 'roster.yaml'}\nresults: {folder}")
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


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: run (or resume) a sweep file; exit 3 when some of its tasks failed."""
    from sim.analysis.channel_kpis import headline_kpis
    from sim.analysis.staffing import describe_answer, staffing_answer
    from sim.experiments.sweep_files import load_sweep
    from sim.experiments.sweeps import leftovers, sweep, sweep_folder
    from sim.reports.tables import sweep_points_table

    plan = load_sweep(args.sweep)
    points, reps = len(plan.points), plan.replications
    _check_workload([(f"{plan.source} point {i}", work, reps) for i, work in enumerate(plan.workloads)], args.force)
    ready_to_write(sweep_folder(plan, args.out), leftovers)
    with executor_for(args, plan.tasks) as executor:
        print(
            f"{plan.name}: {points} point{'s' * (points != 1)} ({plan.spec.design}) x {reps} replication"
            f"{'s' * (reps != 1)} = {plan.tasks} runs, seed {plan.seed}, on {executor.describe()}"
        )
        result = sweep(
            plan, args.out, executor=executor, resume=args.resume, overwrite=args.overwrite, progress=progress_of(args)
        )
    if result.ran < result.tasks:
        print(f"resumed: {result.tasks - result.ran} runs were already done")
    headline = [*headline_kpis(plan.base_scenario), "abandonment_rate", "cost_per_resolved"]
    kpis = [k for k in (plan.kpis or headline) if f"{k}_mean" in result.points and not k.startswith("overtime_hours.")]
    values = [dict(p) for p in plan.points]
    base = plan.base_scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    answer = staffing_answer(base, plan.base_scenario, values, plan.parameters, result.points, list(plan.kpis or kpis))
    print()
    print(
        sweep_points_table(
            result.points,
            plan.parameters,
            kpis,
            costs=answer.costs if answer else None,
            cost_unit=answer.unit if answer else "",
        )
    )
    if answer is not None:
        print(f"\n{describe_answer(answer, values, plan.parameters)}")
    print(
        f"\n{result.ran} runs in {result.meta['elapsed_seconds']:.1f}s; "
        f"{result.failed} of {result.tasks} failed"
        + (" (errors in runs.csv and manifest.json)" if result.failed else "")
    )
    print(f"results: {result.folder}")
    if args.report:
        print(f"report: {write_report(result.folder)}")
    return SWEEP_FAILED if result.failed else 0


def _precision(args: argparse.Namespace, scenario: Scenario) -> PrecisionTarget | None:
    if args.precision is None:
        return None
    try:
        target = PrecisionTarget(args.precision, args.precision_kpi, args.max_replications).for_scenario(scenario)
    except ValueError as exc:
        raise UsageError(f"--precision: {exc}") from None
    _check_kpis([target.kpi], scenario)
    return target


def _check_workload(runs: list[Run], force: bool) -> None:
    """Refuse, before simulating, work above the documented limits, unless ``--force``."""
    from sim.scenario.workload import total_problem

    if not force and (problem := total_problem(runs)):
        raise UsageError(f"{problem}; add --force to run it anyway")


def _check_kpis(names: list[str], scenario: Scenario) -> None:
    from sim.analysis.kpi_names import kpi_problem

    for name in names:
        if problem := kpi_problem(name, scenario):
            raise UsageError(problem)


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
