"""Does the engine of this tree run the Erlang C scenario as fast as an older one, and give the same records?

A feature that a scenario does not use must cost it (almost) nothing. This benchmark times one
replication of ``scenarios/validation/erlang_c.yaml`` (M/M/14, about ``--tickets`` tickets, event
log recorded) with the engine of this working tree and with the engine of an older commit
(``--against``, default: the last commit before the agent features of issue 13), each in its own
Python process, alternating ``--repeat`` times so that a busy spell slows both alike, and keeps
each tree's fastest CPU time (``time.process_time`` around ``run_replication`` only).

It also checks that both trees produce the same tickets: the columns they share must be equal,
value for value. Target: this tree runs at least 0.9x the old tree's tickets per CPU-second.

    python bench/bench_regression.py [--against REF] [--tickets N] [--repeat K]

The exit status is 1 when the target or the equality check fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE_AGENTS = "1235779"
"""The last commit before issue 13 added agent groups, shrinkage, after-call work and callbacks."""
TARGET = 0.9

_RUN = """
import hashlib, json, sys, time
sys.path.insert(0, sys.argv[1])
from sim.engine.replication import run_replication
from sim.scenario.loader import load_scenario
scenario = load_scenario(sys.argv[1] + "/scenarios/validation/erlang_c.yaml", [f"horizon={sys.argv[2]}m", "warmup=0"])
started = time.process_time()
records = run_replication(scenario)
cpu = time.process_time() - started
shared = sys.argv[3].split(",") if len(sys.argv) > 3 else list(records.tickets.columns)
digest = hashlib.sha256(records.tickets[shared].to_csv(index=False).encode()).hexdigest()
columns = list(records.tickets.columns)
print(json.dumps({"cpu": cpu, "tickets": len(records.tickets), "columns": columns, "digest": digest}))
"""


def export(ref: str, into: Path) -> Path:
    """The tree of commit ``ref`` unpacked into ``into`` (no checkout, no change to this repository)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "sim", "scenarios"], capture_output=True)
    if archive.returncode != 0:
        sys.exit(f"bench_regression: cannot read commit {ref!r}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def run(tree: Path, minutes: float, columns: list[str] | None = None) -> dict:
    """One replication with ``tree``'s engine in a fresh process: CPU seconds, tickets, column digest."""
    args = [sys.executable, "-c", _RUN, str(tree), str(minutes)] + ([",".join(columns)] if columns else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default=BEFORE_AGENTS, help=f"commit to compare with (default {BEFORE_AGENTS})")
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets per run (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per tree, alternating; the best counts")
    args = parser.parse_args(argv)
    minutes = args.tickets / 200 * 60  # the scenario offers 200 tickets an hour
    with tempfile.TemporaryDirectory() as tmp:
        old = export(args.against, Path(tmp))
        probe_old, probe_new = run(old, 600), run(ROOT, 600)
        shared = [c for c in probe_old["columns"] if c in probe_new["columns"]]
        best = {"old": float("inf"), "new": float("inf")}
        digests = {}
        for _ in range(args.repeat):
            for name, tree in (("old", old), ("new", ROOT)):
                result = run(tree, minutes, shared)
                best[name] = min(best[name], result["cpu"])
                digests[name] = result["digest"]
                tickets = result["tickets"]
    ratio = best["old"] / best["new"]
    same = digests["old"] == digests["new"]
    print(f"| engine | CPU s (best of {args.repeat}) | tickets per CPU-second |")
    print("|---|---:|---:|")
    print(f"| {args.against} | {best['old']:.2f} | {tickets / best['old']:,.0f} |")
    print(f"| this tree | {best['new']:.2f} | {tickets / best['new']:,.0f} |")
    print(f"\nspeed ratio {ratio:.3f} (target >= {TARGET}); same tickets in the {len(shared)} shared columns: {same}")
    passed = ratio >= TARGET and same
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
