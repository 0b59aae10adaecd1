"""Speed and memory of the full engine on the Erlang C scenario, against a bare SimPy M/M/c and Ciw.

The engine runs ``scenarios/validation/erlang_c.yaml`` (M/M/14, 200 tickets/h, 3-minute mean
handle time) with the horizon stretched to give about ``--tickets`` tickets, once with the event
log recorded (the product path) and once with ``record_events=False``. The bare SimPy model
(``mmc_simpy.py``) and, where installed, Ciw (``mmc_ciw.py``) serve the same number of tickets
with the same λ, μ and c, read from the scenario. Erlang C's mean wait must lie inside each
model's 99.9 % batch-means confidence interval, so the figures compare equal work. Times are
wall clock, best of ``--repeat``; the engine's time is ``run_replication`` alone (scenario loaded
beforehand, waits read afterwards).

    python bench/bench_engine.py [--tickets N] [--repeat K]   # speed; target engine/SimPy >= 0.5
    python bench/bench_engine.py --memory [--tickets N]       # peak RSS of a 1,000,000-ticket run; target < 1 GB
    python bench/bench_engine.py --profile [--tickets N]      # where a 100,000-ticket engine run spends its time

The exit status is 1 when a target or a sanity check fails, so the script can gate a release.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import mmc_simpy
import numpy as np

from sim.analysis.confidence import confidence_interval
from sim.analysis.theory import mmc
from sim.engine.replication import run_replication
from sim.scenario.loader import load_scenario
from sim.scenario.spec import Scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "validation" / "erlang_c.yaml"
SPEED_TARGET = 0.5
"""The engine with events recorded must reach this fraction of the bare SimPy model's tickets per second."""
MEMORY_TARGET = 10**9
"""Peak resident memory (bytes) allowed for a 1,000,000-ticket run with events recorded."""
BATCHES = 20
"""Batches of consecutive waits whose means give each model's confidence interval for the mean wait."""
SANITY_LEVEL = 0.999
"""Erlang C must lie inside each model's interval at this level, or the comparison is void."""
SANITY_TICKETS = 50_000
"""Below this many tickets a calm stretch can make the batch-means interval too narrow to judge by."""
BUSY_SLACK = 0.1
"""Wall time this far above CPU time means other processes shared the CPUs during the run."""
DEFAULT_TICKETS = {"speed": 200_000, "memory": 1_000_000, "profile": 100_000}


@dataclass(frozen=True)
class Timing:
    """One model's best run: tickets through the system, wall and CPU seconds, waits in arrival order (minutes)."""

    model: str
    tickets: int
    seconds: float
    cpu_seconds: float
    waits: np.ndarray

    @property
    def rate(self) -> float:
        return self.tickets / self.seconds


def mmc_parameters(scenario: Scenario) -> tuple[float, float, int]:
    """(arrivals per minute, mean handle time in minutes, agents) of the single-queue scenario."""
    (channel,), (category,), (team,) = scenario.channels, scenario.categories, scenario.teams
    return channel.rate_per_hour / 60.0, category.handle_time.mean(), team.agents


def engine_scenario(tickets: int) -> Scenario:
    """The Erlang C scenario with a horizon long enough for about ``tickets`` arrivals."""
    arrival_rate, _, _ = mmc_parameters(load_scenario(SCENARIO))
    return load_scenario(SCENARIO, [f"horizon={tickets / arrival_rate:.6g}"])


def engine_waits(records: Any) -> tuple[int, np.ndarray]:
    """Tickets arrived in an engine run, and the waits of the answered ones in order of arrival."""
    tickets = records.tickets
    answered = tickets[tickets["answered_at"].notna()].sort_values("arrival")
    return len(tickets), answered["wait"].to_numpy()


def peer_waits(run: mmc_simpy.MMcRun) -> tuple[int, np.ndarray]:
    """Customers served by a bare M/M/c run, and their waits in order of arrival."""
    return run.served, run.waits


@dataclass(frozen=True)
class Model:
    """A model to time: its label, a call that runs it, and an untimed read of (tickets, waits) from the result."""

    name: str
    run: Callable[[], Any]
    digest: Callable[[Any], tuple[int, np.ndarray]]


def best_times(models: list[Model], repeat: int) -> list[Timing]:
    """Each model's fastest of ``repeat`` runs, taken round-robin so that a busy spell hits every model alike."""
    best: dict[str, Timing] = {}
    for _ in range(repeat):
        for model in models:
            gc.collect()
            start, cpu_start = time.perf_counter(), time.process_time()
            result = model.run()
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
            if model.name not in best or seconds < best[model.name].seconds:
                tickets, waits = model.digest(result)
                best[model.name] = Timing(model.name, tickets, seconds, cpu_seconds, waits)
            del result
    return [best[model.name] for model in models]


def mean_wait_interval(waits: np.ndarray, level: float) -> tuple[float, float]:
    """Mean wait and its batch-means half-width at ``level`` (consecutive waits are correlated)."""
    batch_means = [batch.mean() for batch in np.array_split(waits, BATCHES)]
    mean, half_width, _ = confidence_interval(np.array(batch_means), level)
    return mean, half_width


def ciw_runner() -> Callable[..., mmc_simpy.MMcRun] | None:
    """Ciw's M/M/c, or None when Ciw is not installed."""
    try:
        import mmc_ciw
    except ImportError:
        return None
    return mmc_ciw.run_mmc


def machine() -> str:
    """Cores, CPU model and library versions, for the record."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            cpu,
        )
    libs = ", ".join(f"{name} {version(name)}" for name in ("simpy", "numpy", "pandas", "ciw") if _installed(name))
    return f"{cores} cores, {cpu}; Python {platform.python_version()}, {libs}"


def _installed(name: str) -> bool:
    try:
        version(name)
    except PackageNotFoundError:
        return False
    return True


def speed(tickets: int, repeat: int) -> bool:
    """Time every model, print the table and the verdict; True when the target and sanity checks pass."""
    scenario = engine_scenario(tickets)
    arrival_rate, mean_service, servers = mmc_parameters(scenario)
    theory = mmc(arrival_rate, 1.0 / mean_service, servers).mean_wait
    print(f"M/M/{servers}, {arrival_rate * 60:g} tickets/h, mean handle {mean_service:g} min ({SCENARIO.name})")
    print(f"machine: {machine()}")
    count, _ = engine_waits(run_replication(scenario, record_events=False))  # warm-up, and the ticket count
    models = [
        Model(f"engine, {label}", lambda events=events: run_replication(scenario, record_events=events), engine_waits)
        for label, events in (("events recorded", True), ("record_events=False", False))
    ]
    for name, runner in (("bare SimPy M/M/c", mmc_simpy.run_mmc), ("Ciw M/M/c", ciw_runner())):
        if runner is not None:
            models.append(
                Model(name, lambda runner=runner: runner(arrival_rate, mean_service, servers, count), peer_waits)
            )
    print(f"{count:,} tickets per run, wall clock, best of {repeat} (round-robin, after one untimed engine run)\n")
    timings = best_times(models, repeat)
    print(table(timings, theory))
    warn_if_busy(timings)
    return fast_enough(timings) & same_work(timings, theory)


def table(timings: list[Timing], theory: float) -> str:
    """The timings as a Markdown table, ready to paste into the README."""
    rows = [
        "| model | tickets | wall (s) | CPU (s) | tickets/s | mean wait (s), 95 % CI |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for t in timings:
        mean, half_width = mean_wait_interval(t.waits, 0.95)
        rows.append(
            f"| {t.model} | {t.tickets:,} | {t.seconds:.2f} | {t.cpu_seconds:.2f} | {t.rate:,.0f} | "
            f"{mean * 60:.2f} ± {half_width * 60:.2f} |"
        )
    rows.append(f"| Erlang C (theory) | | | | | {theory * 60:.2f} |")
    return "\n".join(rows)


def warn_if_busy(timings: list[Timing]) -> None:
    """Say so when some model's best wall time exceeds its CPU time by over BUSY_SLACK: others shared the CPUs."""
    busy = [
        f"{t.model} (+{t.seconds / t.cpu_seconds - 1:.0%})"
        for t in timings
        if t.seconds > (1 + BUSY_SLACK) * t.cpu_seconds
    ]
    if busy:
        print(
            f"\nBUSY MACHINE: wall time above CPU time for {', '.join(busy)}; "
            "rerun on a quiet machine, or read the CPU-time ratios below"
        )


def fast_enough(timings: list[Timing]) -> bool:
    """Print the engine/SimPy ratios; True when the engine with events reaches the target."""
    by_model = {t.model: t for t in timings}
    simpy = by_model["bare SimPy M/M/c"]
    with_events, without = (by_model[f"engine, {m}"] for m in ("events recorded", "record_events=False"))
    fast = with_events.rate / simpy.rate >= SPEED_TARGET
    print(
        f"\nengine / bare SimPy: {with_events.rate / simpy.rate:.2f} with events, {without.rate / simpy.rate:.2f} "
        f"without (target >= {SPEED_TARGET}: {'PASS' if fast else 'FAIL'}); by CPU time "
        f"{simpy.cpu_seconds / with_events.cpu_seconds:.2f} and {simpy.cpu_seconds / without.cpu_seconds:.2f}"
    )
    return fast


def same_work(timings: list[Timing], theory: float) -> bool:
    """Print whether Erlang C lies inside every model's mean-wait interval; False only when it does not."""
    if timings[0].tickets < SANITY_TICKETS:
        print(f"too few tickets to check the waits against Erlang C (needs {SANITY_TICKETS:,})")
        return True
    off = [t.model for t in timings if abs(_gap(t.waits, theory)) > 1]
    if off:
        print(f"SANITY FAIL: Erlang C outside the {SANITY_LEVEL:.1%} interval of {', '.join(off)}")
    else:
        print(f"Erlang C inside every model's {SANITY_LEVEL:.1%} interval: the models did the same work")
    return not off


def _gap(waits: np.ndarray, theory: float) -> float:
    """How far Erlang C lies from the mean wait, in half-widths of the sanity interval."""
    mean, half_width = mean_wait_interval(waits, SANITY_LEVEL)
    return (mean - theory) / half_width


def memory(tickets: int) -> bool:
    """Run the engine in a fresh process, print its peak RSS and the verdict; True when under the target."""
    print(f"memory: one engine run of about {tickets:,} tickets, events recorded, in a child process")
    child = subprocess.run([sys.executable, __file__, "--memory-child", str(tickets)], capture_output=True, text=True)
    if child.returncode:
        print(f"the engine run failed:\n{child.stderr}", file=sys.stderr)
        return False
    report = json.loads(child.stdout.strip().splitlines()[-1])
    ok = report["peak_rss"] < MEMORY_TARGET
    print(f"machine: {machine()}")
    print(
        f"{report['tickets']:,} tickets, {report['events']:,} events in {report['seconds']:.1f} s; "
        f"peak RSS {report['peak_rss'] / 1e6:,.0f} MB (after imports {report['import_rss'] / 1e6:,.0f} MB); "
        f"target < {MEMORY_TARGET / 1e9:g} GB: {'PASS' if ok else 'FAIL'}"
    )
    return ok


def memory_child(tickets: int) -> None:
    """In the child: one engine run, then its counts and peak RSS as a JSON line on stdout."""
    scenario = engine_scenario(tickets)
    import_rss = peak_rss()
    start = time.perf_counter()
    records = run_replication(scenario, record_events=True)
    print(
        json.dumps(
            {
                "tickets": len(records.tickets),
                "events": len(records.events),
                "seconds": time.perf_counter() - start,
                "import_rss": import_rss,
                "peak_rss": peak_rss(),
            }
        )
    )


def peak_rss() -> int:
    """This process's peak resident set size in bytes, since it started its own program.

    On Linux this is ``VmHWM`` of ``/proc/self/status``: ``getrusage``'s ``ru_maxrss`` keeps the
    high-water mark of the process before ``exec``, so a child started by a large benchmark
    process would report the parent's size as its own peak. Elsewhere ``ru_maxrss`` (macOS
    reports bytes).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def profile(tickets: int) -> None:
    """Profile one engine run with events recorded; print the 15 functions with the most own time."""
    scenario = engine_scenario(tickets)
    profiler = cProfile.Profile()
    profiler.runcall(run_replication, scenario, record_events=True)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--memory", action="store_true", help="peak RSS of one engine run (default 1,000,000 tickets)")
    mode.add_argument("--profile", action="store_true", help="cProfile one engine run (default 100,000 tickets)")
    mode.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tickets", type=int, help="tickets per run (default 200,000 for the speed table)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per model; the best counts (default 3)")
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    kind = "memory" if args.memory else "profile" if args.profile else "speed"
    tickets = args.tickets or DEFAULT_TICKETS[kind]
    if kind == "profile":
        profile(tickets)
        return 0
    ok = memory(tickets) if kind == "memory" else speed(tickets, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
