"""Speed of the escalation machinery on the tiered scenario.

``scenarios/tiered.yaml`` uses most of the escalation engine (failed attempts moving along a
path, skill transfers, authority limits, cold handoffs, rework, reopenings) on top of shifts,
hour-of-day demand and business-hours SLA clocks. The table gives tickets per second, event log
recorded, for the tiered scenario as bundled, for the same scenario with escalation reduced to
the skill transfers its routing needs (trigger list ``[skill]``: no authority or complexity
escalation), and for the engine on
``scenarios/validation/erlang_c.yaml``, each for about ``--tickets`` tickets. The check: the
escalation machinery costs at most 2x, i.e. the tiered scenario runs at least half as many
tickets per second as itself without escalation. Best of ``--repeat`` wall-clock runs.

    python bench/bench_tiered.py [--tickets N] [--repeat K]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.engine.replication import run_replication
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TIERED = ROOT / "scenarios" / "tiered.yaml"
NO_ESCALATION = ["escalation.triggers=[skill]"]
SCENARIOS = {
    "tiered, escalation on (as bundled)": (TIERED, []),
    "tiered, only skill transfers": (TIERED, NO_ESCALATION),
    "Erlang C (validation/erlang_c.yaml)": (ROOT / "scenarios" / "validation" / "erlang_c.yaml", []),
}


def tickets_per_second(path: Path, overrides: list[str], tickets: int, repeat: int) -> tuple[int, float]:
    """(tickets, best tickets per second) of one replication sized to about ``tickets``."""
    probe = load_scenario(path, [*overrides, "horizon=7d", "warmup=0"])
    per_day = len(run_replication(probe, record_events=False).tickets) / 7
    scenario = load_scenario(path, [*overrides, f"horizon={max(1.0, tickets / per_day):.3f}d", "warmup=0"])
    best = float("inf")
    count = 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = len(run_replication(scenario, record_events=True).tickets)
        best = min(best, time.perf_counter() - started)
    return count, count / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets per run (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per scenario; the best counts")
    args = parser.parse_args(argv)
    rates = {}
    print("| scenario | tickets | tickets/s |\n|---|--:|--:|")
    for label, (path, overrides) in SCENARIOS.items():
        count, rate = tickets_per_second(path, overrides, args.tickets, args.repeat)
        rates[label] = rate
        print(f"| {label} | {count:,} | {rate:,.0f} |")
    with_escalation, without, _ = rates.values()
    ok = with_escalation >= without / 2
    print(
        f"\nescalation machinery on the tiered scenario costs {without / with_escalation:.2f}x "
        f"(target <= 2x): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
