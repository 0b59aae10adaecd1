"""Speed of sweeps: 200 short runs on 1 and 2 local workers, and what Dask adds per task.

The sweep varies the baseline's morning tier-1 shift (5 levels) and billing day shift (4 levels):
20 points x 10 replications = 200 runs of half a simulated day (``--horizon``), through the real
``sweep`` path — task files written as runs finish, tables at the end. It runs three times:

1. one worker (in this process), 2. two local worker processes (their start-up included),
3. two workers of a Dask ``LocalCluster`` (cluster start-up excluded, reported apart).

The three tables must be identical, bit for bit. Reported: wall time of each, the speed-up of
two local workers over one (target >= 1.8x on a machine with 2 free cores), and the per-task
overhead of each executor measured on ``--noop`` tasks that do nothing (wall time / tasks with
two workers), so the Dask figure is its scheduling and serialisation cost alone.

    python bench/bench_sweep.py [--horizon 12h] [--noop 1000] [--json]

The exit status is 1 when the speed-up target or the identity check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.executors import DaskExecutor, Executor, LocalExecutor, SerialExecutor, available_cores  # noqa: E402
from sim.experiments.sweeps import SweepResult, sweep  # noqa: E402

TARGET = 1.8
WORKERS = 2

SPEC = """name: bench
base: {base}
set: [horizon={horizon}, warmup=2h]
replications: 10
kpis: [asa, service_level.phone, abandonment_rate, utilisation.tier1, cost_per_resolved]
parameters:
  teams.tier1.shifts[0].agents: [8, 9, 10, 11, 12]
  teams.billing.shifts[0].agents: [3, 4, 5, 6]
"""


def timed_sweep(spec: Path, folder: Path, executor: Executor) -> tuple[float, SweepResult]:
    started = time.perf_counter()
    result = sweep(spec, folder, executor=executor, progress=False)
    return time.perf_counter() - started, result


def noop_overhead(executor: Executor, tasks: int) -> float:
    """Seconds of wall time per task for tasks that do nothing."""
    list(executor.imap(abs, range(WORKERS * 4)))  # warm the workers up
    started = time.perf_counter()
    for _ in executor.imap(abs, range(tasks)):
        pass
    return (time.perf_counter() - started) / tasks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", default="12h", help="simulated time per run (default: 12h)")
    parser.add_argument("--noop", type=int, default=1000, help="no-op tasks for the overhead figure")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    spec = work / "bench.yaml"
    spec.write_text(SPEC.format(base=ROOT / "scenarios" / "baseline.yaml", horizon=args.horizon), encoding="utf-8")

    load_before = os.getloadavg()[0]
    one, serial = timed_sweep(spec, work / "one", SerialExecutor())
    started = time.perf_counter()
    with LocalExecutor(WORKERS) as local:
        pool_startup = time.perf_counter() - started
        driver_cpu = time.process_time()
        two, parallel = timed_sweep(spec, work / "two", local)
        driver_cpu = time.process_time() - driver_cpu
        local_noop = noop_overhead(local, args.noop)
    two += pool_startup
    started = time.perf_counter()
    with DaskExecutor(workers=WORKERS) as dask:
        dask_startup = time.perf_counter() - started
        on_dask, distributed = timed_sweep(spec, work / "dask", dask)
        dask_noop = noop_overhead(dask, args.noop)

    identical = all(
        serial.runs.equals(other.runs) and serial.points.equals(other.points) for other in (parallel, distributed)
    )
    task_seconds = pd.Series([json.loads(p.read_text())["seconds"] for p in (work / "one" / "tasks").glob("*.json")])
    shutil.rmtree(work)
    speedup = one / two
    figures = {
        "runs": serial.tasks,
        "horizon": args.horizon,
        "mean_run_seconds": round(float(task_seconds.mean()), 4),
        "wall_1_worker": round(one, 2),
        "wall_2_workers": round(two, 2),
        "speedup": round(speedup, 2),
        "target_speedup": TARGET,
        "wall_dask_2_workers": round(on_dask, 2),
        "dask_cluster_startup": round(dask_startup, 2),
        "noop_tasks": args.noop,
        "overhead_local_ms_per_task": round(1000 * local_noop, 3),
        "overhead_dask_ms_per_task": round(1000 * dask_noop, 3),
        "dask_extra_ms_per_task": round(1000 * (dask_noop - local_noop), 3),
        "local_pool_startup": round(pool_startup, 3),
        "driver_cpu_ms_per_run": round(1000 * driver_cpu / serial.tasks, 3),
        "identical_tables": identical,
        "cores": available_cores(),
        "python": platform.python_version(),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
    met = speedup >= TARGET or available_cores() < WORKERS
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(
            f"sweep of {serial.tasks} runs of {args.horizon} (mean {figures['mean_run_seconds']:.3f}s of "
            f"simulation each), {available_cores()} cores, Python {platform.python_version()}\n"
        )
        print(f"  1 worker          {one:7.2f} s")
        print(
            f"  2 local workers   {two:7.2f} s   speed-up {speedup:.2f}x (target >= {TARGET}x: "
            f"{'met' if met else 'NOT met'}); pool start-up {pool_startup:.2f} s included, "
            f"driver {figures['driver_cpu_ms_per_run']:.1f} ms CPU a run"
        )
        print(f"  2 Dask workers    {on_dask:7.2f} s   (+ {dask_startup:.1f} s to start the local cluster)")
        print(f"\nper-task overhead, {args.noop} no-op tasks on 2 workers:")
        print(f"  local processes   {1000 * local_noop:7.3f} ms")
        print(f"  Dask              {1000 * dask_noop:7.3f} ms   (+{1000 * (dask_noop - local_noop):.3f} ms a task)")
        print(f"\ntables identical for 1 worker, 2 workers and Dask: {'yes' if identical else 'NO'}")
        print(
            f"load average {load_before:.2f} before, {figures['load_average_after']:.2f} after "
            "(other work on the machine slows the parallel runs most)"
        )
    return 0 if met and identical else 1


if __name__ == "__main__":
    sys.exit(main())
