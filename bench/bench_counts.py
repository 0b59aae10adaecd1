"""What a ticket costs, counted rather than timed: Python bytecodes, machine instructions, and CPU time per instruction.

Timings on a shared machine move by several per cent between runs, more than most single changes to
the engine are worth, so issue 17's speed work judged each change also by counts that hardly move
(instructions within about 1 % between runs, bytecodes exactly). This benchmark reproduces them for
the two desks ``bench_speed.py`` compares, the engine's M/M/c and the bundled tiered desk (events
recorded):

- **Python bytecodes per ticket**: the interpreter's opcode events (``sys.settrace``), in this process.
- **Machine instructions per ticket**: ``valgrind --tool=cachegrind``, each run in a fresh process
  with ``PYTHONHASHSEED=0`` (string hashes decide how many probes a dict look-up takes) and one
  BLAS thread (idle BLAS threads spin for as long as the scheduler lets them, which moved a run's
  count by up to 3 %); a run's count then repeats to within a few thousand instructions. Left
  out, with a note, where valgrind is not installed.
- **CPU time per ticket**: ``time.process_time``, best of ``--repeat``, the desks taking turns.
- **CPU time per 1,000 instructions**: the two above divided. It shows how fast the processor gets
  through a desk's instructions: the tiered desk's mixture of paths goes slower per instruction than
  the M/M/c's identical tickets, so its speed ratio is lower than its instruction ratio.
- With ``--cache``: cachegrind's simulated caches and branch predictor, misses per 1,000
  instructions, to see how much of that difference cache misses explain. The last level is set
  to ``--last-level-mb`` (2 MB: one core's L2 on the machine of the speed page, whose reported
  480 MB L3 is shared with other machines and would hide every miss).

Every figure is the difference between two runs of each desk, about ``--tickets`` and twice as
many arrivals, over the difference in tickets: the fixed costs of a run (imports, loading the
scenario, building the tables) drop out.

    python bench/bench_counts.py [--tickets 10000] [--repeat 5] [--cache] [--skip-instructions]

Prints a Markdown table. There is no target, so the exit status is 0 unless a run fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType
from typing import Any

from bench_engine import machine
from bench_speed import mmc_scenario, tiered_days, tiered_for_days

from sim.engine.replication import run_replication
from sim.scenario.spec import Scenario

DESKS = ("mmc", "tiered")
LABELS = {"mmc": "M/M/c", "tiered": "tiered desk"}
CACHEGRIND = re.compile(r"==\d+== (I\s+refs|D1\s+misses|LLd\s+misses|Mispredicts):\s+([\d,]+)")
"""Cachegrind's summary lines that the table reads: instructions, data misses (first, last level), mispredictions."""
COUNTED_ENV = {"PYTHONHASHSEED": "0", **{f"{pool}_NUM_THREADS": "1" for pool in ("OPENBLAS", "OMP", "MKL")}}
"""A counted child's environment. String hashes decide how many probes a dict look-up takes; and a BLAS
thread pool's idle threads spin for as long as the scheduler lets them, which moved a run's count by up
to 3 % (10 % of a ticket's figure). With these the count of a run repeats to within a few thousand."""
SIMULATED = {"D1": "first-level data misses", "LLd": "last-level data misses", "Mispredicts": "branch mispredictions"}
"""What ``--cache`` adds to the table, by cachegrind's name."""


@dataclass(frozen=True)
class Runs:
    """The two run lengths of one desk: ``short`` and ``long`` scenarios, and the tickets each gives."""

    desk: str
    short: Scenario
    long: Scenario
    tickets: tuple[int, int]
    child_args: tuple[list[str], list[str]]
    """How a fresh process rebuilds each scenario (``--child``)."""

    @property
    def extra(self) -> int:
        """Tickets the long run has more than the short one: what every per-ticket figure divides by."""
        return self.tickets[1] - self.tickets[0]


def desk_runs(desk: str, tickets: int) -> Runs:
    """The short and long scenarios of ``desk``, about ``tickets`` and ``2 * tickets`` arrivals."""
    if desk == "mmc":
        sizes = [str(tickets), str(2 * tickets)]
        short, long = mmc_scenario(tickets), mmc_scenario(2 * tickets)
    else:
        days = tiered_days(tickets)
        sizes = [f"{days:.3f}", f"{2 * days:.3f}"]
        short, long = tiered_for_days(days), tiered_for_days(2 * days)
    counted = tuple(len(run_replication(s, record_events=True).tickets) for s in (short, long))
    return Runs(desk, short, long, (counted[0], counted[1]), ([desk, sizes[0]], [desk, sizes[1]]))


def child_scenario(desk: str, size: str) -> Scenario:
    """The scenario a ``--child`` process runs: the M/M/c for ``size`` tickets, the tiered desk for ``size`` days."""
    return mmc_scenario(int(size)) if desk == "mmc" else tiered_for_days(float(size))


def bytecodes(scenario: Scenario) -> int:
    """Python opcodes executed by one replication of ``scenario`` (events recorded)."""
    counted = [0]

    def tracer(frame: FrameType, event: str, _: Any) -> Callable[..., Any]:
        frame.f_trace_opcodes = True
        if event == "opcode":
            counted[0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        run_replication(scenario, record_events=True)
    finally:
        sys.settrace(None)
    return counted[0]


def cpu_seconds(runs: list[Runs], repeat: int) -> dict[tuple[str, int], float]:
    """The least CPU seconds of each desk's short (0) and long (1) run, the runs taking turns ``repeat`` times."""
    best: dict[tuple[str, int], float] = {}
    for _ in range(repeat):
        for desk in runs:
            for k, scenario in enumerate((desk.short, desk.long)):
                gc.collect()
                start = time.process_time()
                run_replication(scenario, record_events=True)
                spent = time.process_time() - start
                best[desk.desk, k] = min(spent, best.get((desk.desk, k), spent))
    return best


def cachegrind(args: list[str], tickets: int, cache: bool, last_level_mb: float, script: str) -> dict[str, int]:
    """Cachegrind's counts for a fresh process running one replication (``script --child args``) of ``tickets`` tickets.

    The child prints ``{"tickets": N}`` as its last line, which must equal ``tickets``.
    """
    simulate = "yes" if cache else "no"
    command = ["valgrind", "--tool=cachegrind", f"--cache-sim={simulate}", f"--branch-sim={simulate}"]
    if cache:
        command.append(f"--LL={int(last_level_mb * 1024 * 1024)},16,64")
    command += ["--cachegrind-out-file=/dev/null", sys.executable, script, "--child", *args]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **COUNTED_ENV})
    counts = {name.split()[0]: int(value.replace(",", "")) for name, value in CACHEGRIND.findall(done.stderr)}
    if done.returncode != 0 or "I" not in counts:
        raise RuntimeError(f"cachegrind failed on {' '.join(args)}:\n{done.stderr[-2000:]}")
    ran = json.loads(done.stdout.strip().splitlines()[-1])["tickets"]
    if ran != tickets:  # the child must run the very scenario the per-ticket figures divide by
        raise RuntimeError(f"the child run of {' '.join(args)} gave {ran} tickets, this process {tickets}")
    return counts


def machine_counts(
    runs: list[Runs], cache: bool, last_level_mb: float, script: str = __file__
) -> dict[str, dict[str, float]]:
    """Per ticket, each desk's instructions (and with ``cache`` its misses and mispredictions), runs in parallel.

    Each run is a fresh process of ``script --child`` with the run's ``child_args``.
    """
    jobs = [(desk, k) for desk in runs for k in (0, 1)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        found = list(pool.map(lambda job: count_child(job[0], job[1], cache, last_level_mb, script), jobs))
    counts = {(desk.desk, k): one for (desk, k), one in zip(jobs, found, strict=True)}
    return {desk.desk: per_ticket(counts[desk.desk, 0], counts[desk.desk, 1], desk.extra) for desk in runs}


def count_child(desk: Runs, k: int, cache: bool, last_level_mb: float, script: str) -> dict[str, int]:
    """Cachegrind's counts for the desk's short (``k`` 0) or long (1) run."""
    return cachegrind(desk.child_args[k], desk.tickets[k], cache, last_level_mb, script)


def per_ticket(short: dict[str, int], long: dict[str, int], extra: int) -> dict[str, float]:
    """Each count of the long run less the short run's, per ticket more."""
    return {name: (long[name] - short[name]) / extra for name in short}


def table(rows: list[tuple[str, dict[str, float], str]]) -> str:
    """The Markdown table: one row per measure, a column per desk, and the tiered desk over the M/M/c."""
    lines = ["| per ticket | M/M/c | tiered desk | tiered / M/M/c |", "|---|--:|--:|--:|"]
    for label, values, shown in rows:
        mmc, tiered = values["mmc"], values["tiered"]
        ratio = f"{tiered / mmc:.2f}" if mmc else "–"
        lines.append(f"| {label} | {format(mmc, shown)} | {format(tiered, shown)} | {ratio} |")
    return "\n".join(lines)


def counting_parser(description: str) -> argparse.ArgumentParser:
    """The options of a counting benchmark: run size, timed rounds, valgrind or not, and the hidden ``--child``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tickets", type=int, default=10_000, help="tickets of the shorter run (the other: twice)")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds; each run keeps its least CPU time")
    parser.add_argument("--skip-instructions", action="store_true", help="leave out valgrind (bytecodes and CPU only)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    return parser


def counting_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """``parser``'s arguments, refused when the runs would be too short to count the tiered desk by."""
    args = parser.parse_args()
    if args.tickets < 3000:
        parser.error("--tickets: at least 3000 (the tiered desk's shorter run must outlast its one-day warm-up)")
    return args


def child_run(scenario: Scenario) -> int:
    """A ``--child`` process: one replication, its ticket count printed last for ``cachegrind`` to check."""
    records = run_replication(scenario, record_events=True)
    print(json.dumps({"tickets": len(records.tickets)}))
    return 0


def bytecodes_per_ticket(runs: list[Runs]) -> dict[str, float]:
    """Each run pair's Python bytecodes per ticket more (the long run's less the short run's)."""
    return {one.desk: (bytecodes(one.long) - bytecodes(one.short)) / one.extra for one in runs}


def cpu_per_ticket(runs: list[Runs], repeat: int) -> dict[str, float]:
    """Each run pair's CPU seconds per ticket more, from ``cpu_seconds``."""
    best = cpu_seconds(runs, repeat)
    return {one.desk: (best[one.desk, 1] - best[one.desk, 0]) / one.extra for one in runs}


def main() -> int:
    parser = counting_parser(__doc__.splitlines()[0])
    parser.add_argument("--cache", action="store_true", help="also simulate caches and branch prediction (slower)")
    parser.add_argument("--last-level-mb", type=float, default=2.0, help="size of the simulated last-level cache")
    args = counting_args(parser)
    if args.child:
        return child_run(child_scenario(*args.child))
    print(f"machine: {machine()}")
    runs = [desk_runs(desk, args.tickets) for desk in DESKS]
    for desk in runs:
        print(f"{LABELS[desk.desk]}: runs of {desk.tickets[0]:,} and {desk.tickets[1]:,} tickets")
    with_valgrind = not args.skip_instructions and shutil.which("valgrind") is not None
    if not args.skip_instructions and not with_valgrind:
        print("valgrind is not installed: machine instructions left out (apt-get install valgrind)")
    machine_per_ticket = machine_counts(runs, args.cache, args.last_level_mb) if with_valgrind else {}
    ops = bytecodes_per_ticket(runs)
    cpu = cpu_per_ticket(runs, args.repeat)
    rows = [("Python bytecodes", ops, ",.0f"), ("CPU µs", {d: s * 1e6 for d, s in cpu.items()}, ".2f")]
    if machine_per_ticket:
        instructions = {d: machine_per_ticket[d]["I"] for d in DESKS}
        rows.insert(1, ("machine instructions", instructions, ",.0f"))
        rows.append(("CPU ns per 1,000 instructions", {d: cpu[d] * 1e12 / instructions[d] for d in DESKS}, ".0f"))
        if args.cache:
            for name, label in SIMULATED.items():
                per_thousand = {d: machine_per_ticket[d][name] * 1000 / instructions[d] for d in DESKS}
                rows.append((f"{label} per 1,000 instructions", per_thousand, ".2f"))
    print()
    print(table(rows))
    print(f"\ntiered desk / M/M/c in tickets per CPU-second: {cpu['mmc'] / cpu['tiered']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
