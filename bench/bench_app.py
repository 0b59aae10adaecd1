"""The what-if app's answer time (issue 16): every demo and bundled scenario, 5 replications, against a 20 s target.

Each row is what the page does after a knob moves, from a cold start: run the base and a variant
(one tier-1 agent fewer on the first shift, or the demo's variant) for 5 replications each on
the worker pool, compute the paired table, and draw the flow diagrams, waits and backlog. The
horizon is the app's default (the scenario's own, at most 14 days). The second column times the
usual case, a knob moved with the base already kept. Prints a Markdown table and PASS/FAIL;
exit status 1 on FAIL.

    python bench/bench_app.py [--workers 2] [--replications 5] [--target 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.app.cards import kpi_cards  # noqa: E402
from sim.app.session import Session, choices  # noqa: E402
from sim.app.whatif import Question, RunCache, ask  # noqa: E402
from sim.experiments.executors import make_executor  # noqa: E402
from sim.reports.plots_whatif import whatif_pictures  # noqa: E402


def one_agent_fewer(session: Session) -> None:
    """The first staffing knob that can lose an agent, one agent lower than it is now."""
    knob = next(k for k in session.knobs if k.kind == "count" and float(session.values[k.path]) > 1)  # type: ignore[arg-type]
    session.values[knob.path] = float(session.values[knob.path]) - 1  # type: ignore[arg-type]


def answer_seconds(question: Question, executor, cache: RunCache) -> float:
    started = time.perf_counter()
    answer = ask(question, executor, cache)
    whatif_pictures(answer.runs, answer.comparison.scenarios[answer.base])
    kpi_cards(answer.comparison.table)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--target", type=float, default=20.0, help="seconds for a cold answer")
    args = parser.parse_args()
    executor = make_executor("local", args.workers)
    rows = []
    try:
        for choice in choices():
            session = Session.start(choice)
            session.replications = args.replications
            if not session.question().variant:
                one_agent_fewer(session)
            cache = RunCache()
            cold = answer_seconds(session.question(), executor, cache)
            one_agent_fewer(session)
            warm = answer_seconds(session.question(), executor, cache)
            rows.append((choice.key, session.days, cold, warm))
    finally:
        executor.close()
    print("| start | days | cold answer (s) | knob moved, base kept (s) |\n|---|---:|---:|---:|")
    for key, days, cold, warm in rows:
        print(f"| {key} | {days:g} | {cold:.1f} | {warm:.1f} |")
    worst = max(cold for _, _, cold, _ in rows)
    verdict = "PASS" if worst <= args.target else "FAIL"
    print(f"\nslowest cold answer {worst:.1f}s against {args.target:.0f}s on {args.workers} workers: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
