"""The ``sweep`` and ``optimise`` commands: many scenarios at once, a sweep file's points or a roster search."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli_common import (
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
    whole_days,
    write_report,
)
from sim.core.units import MINUTES_PER_DAY

SWEEP_FAILED = 3
"""The exit code of a sweep that finished with some of its tasks failed."""


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    """The ``sweep`` command's options."""
    p_swp = command_parser(
        sub,
        "sweep",
        summary="run a parameter sweep file; resumable",
        description="Run every point of a sweep file (grid, list, or random, Latin-hypercube, Sobol' or Halton "
        "sample) with its replications. Each finished run is saved at once; after "
        "an interruption, --resume runs only what is missing.",
        examples=(
            "sweep scenarios/sweeps/staffing.yaml",
            "sweep scenarios/sweeps/staffing.yaml --resume",
        ),
    )
    p_swp.add_argument(
        "sweep",
        type=given("a sweep file, e.g. scenarios/sweeps/staffing.yaml"),
        help="sweep YAML file, e.g. scenarios/sweeps/staffing.yaml",
    )
    p_swp.add_argument("--out", type=folder, help="results folder of this sweep (default: results/sweeps/<name>/)")
    again = p_swp.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="finish an interrupted sweep in its folder")
    again.add_argument("--overwrite", action="store_true", help="delete the sweep's earlier results and start again")
    add_force_option(p_swp)
    add_execution_options(p_swp)
    add_report_option(p_swp)


def add_optimise_parser(sub: argparse._SubParsersAction) -> None:
    """The ``optimise`` command's options."""
    p_opt = command_parser(
        sub,
        "optimise",
        summary="find the cheapest weekly roster that meets service goals, verified by simulation",
        description="Find the cheapest weekly roster (shifts per team) that meets the goals in a goals file: "
        "offered load from a pilot run, Erlang C start, the iterative staffing algorithm on the whole network, "
        "an integer programme for the shifts, and a check by simulation. Writes results/optimise/<run>/.",
        examples=(
            "optimise scenarios/baseline.yaml --goals scenarios/goals/baseline_goals.yaml",
            "optimise scenarios/baseline.yaml --report",
            "optimise scenarios/tiered.yaml --days 2 --no-compare",
        ),
    )
    p_opt.add_argument("scenario", type=scenario_file, help="scenario YAML file, e.g. scenarios/baseline.yaml")
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
    add_force_option(p_opt)
    p_opt.add_argument(
        "--out",
        default="results",
        type=folder,
        help="results folder (default: results/; lands in optimise/)",
    )
    add_overrides(p_opt)
    add_execution_options(p_opt)
    add_report_option(p_opt)


def cmd_sweep(args: argparse.Namespace) -> int:
    """``sweep``: run (or resume) a sweep file; exit 3 when some of its tasks failed."""
    from sim.analysis.channel_kpis import headline_kpis
    from sim.analysis.staffing import describe_answer, staffing_answer
    from sim.experiments.sweep_files import load_sweep
    from sim.experiments.sweeps import leftovers, sweep, sweep_folder
    from sim.reports.tables import sweep_points_table

    plan = load_sweep(args.sweep)
    points, reps = len(plan.points), plan.replications
    check_workload([(f"{plan.source} point {i}", work, reps) for i, work in enumerate(plan.workloads)], args.force)
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


def cmd_optimise(args: argparse.Namespace) -> int:
    """``optimise``: the cheapest roster meeting the goals; print it against the Erlang-only roster, save the folder."""
    from sim.optimiser.goal_checks import default_goals, load_goals
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
    check_workload([(f"{args.scenario} at the goals' horizon", simulated, goals.verify_replications)], args.force)
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
