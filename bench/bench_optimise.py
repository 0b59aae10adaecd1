"""Speed of the staffing optimiser: one week of ``scenarios/baseline.yaml`` on 2 workers, target under 5 minutes.

Runs ``sim.optimise`` on the bundled scenario with its example goals file
(``scenarios/goals/baseline_goals.yaml``: phone and chat service levels in every half hour, a P1
SLA, a phone abandonment cap, templates with breaks) and the Erlang-only comparison, exactly as
``run_sim.py optimise`` does, on ``--workers`` local processes. Reported per stage: the simulated
replications, and the wall time of the whole run with its CPU time (this process and its workers),
the cost found and whether every goal was met. The figure to compare with the target is the wall
time; the CPU seconds per replication show whether the engine or the optimiser's own work
(measuring, scheduling) is the limit.

    python bench/bench_optimise.py [--workers 2] [--json]

The exit status is 1 when the run takes 5 minutes or more, or the roster misses a goal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.optimiser.goal_checks import load_goals  # noqa: E402
from sim.optimiser.optimise import OptimiseResult, optimise  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402

TARGET_SECONDS = 300.0
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
GOALS = ROOT / "scenarios" / "goals" / "baseline_goals.yaml"


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stage_replications(result: OptimiseResult) -> dict[str, int]:
    """Replications simulated per stage: the pilot, ISA (what the checks leave over), and each check stage."""
    checks: dict[tuple, int] = {}
    for row in result.log:
        if row["stage"] != "isa":
            checks[(row["stage"], row["round"])] = int(row["replications"])
    out = {"pilot": result.goals.replications, "isa": 0}
    for (stage, _), count in checks.items():
        out[stage] = out.get(stage, 0) + count
    out["isa"] = result.replications - sum(out.values())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default: 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    scenario = load_scenario(SCENARIO)
    goals = load_goals(GOALS, scenario)
    load_before = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = optimise(scenario, goals, workers=args.workers, progress=False)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    stages = stage_replications(result)
    erlang = result.erlang_only
    figures = {
        "scenario": SCENARIO.name,
        "workers": args.workers,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "replications": result.replications,
        "cpu_seconds_per_replication": round(cpu / result.replications, 3),
        "replications_per_stage": stages,
        "cost": result.roster.cost,
        "all_goals_met": result.roster.met,
        "erlang_only_cost": erlang.cost if erlang else None,
        "erlang_only_missed": erlang.missed if erlang else None,
        "load_average_before": round(load_before, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    passed = wall < TARGET_SECONDS and result.roster.met
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"| optimise {SCENARIO.name}, one week, {args.workers} workers | |")
        print("|---|---|")
        print(f"| wall time | {wall:.1f} s (target < {TARGET_SECONDS:.0f} s) |")
        print(f"| CPU time, all processes | {cpu:.1f} s ({cpu / result.replications:.3f} s per replication) |")
        print(f"| replications simulated | {result.replications} |")
        print(f"| per stage | {', '.join(f'{stage} {count}' for stage, count in stages.items())} |")
        print(f"| roster cost | {result.roster.cost:,.0f} {result.cost_unit}, every goal met: {result.roster.met} |")
        if erlang is not None:
            print(f"| Erlang-only roster | {erlang.cost:,.0f} {result.cost_unit}, missed: {erlang.missed or 'none'} |")
        print(f"| machine | {figures['machine']}, load average before {load_before:.2f} |")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
