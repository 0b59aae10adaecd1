"""Reading a 1,000,000-ticket export into the canonical tables (issue 15): time against a 30 s target.

The shipped generic example (36,040 tickets, 122,389 events) is tiled with fresh ticket ids to about
``--tickets`` tickets, written as plain CSV, and read back with ``read_export`` (tickets and events).
Writing the files is not timed. Prints a Markdown table and PASS/FAIL; exit status 1 on FAIL.

    python bench/bench_read_export.py [--tickets 1000000] [--target 30]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.calibration.read import read_export  # noqa: E402


def tile_example(tickets: int, folder: Path) -> tuple[Path, Path]:
    """The generic example tiled with fresh ticket ids to about ``tickets`` tickets, as plain CSV in ``folder``.

    The copies keep their timestamps: the export reads as one much larger desk over the same four weeks.
    """
    example = ROOT / "data" / "example_generic"
    one = pd.read_csv(example / "tickets.csv.gz", dtype=str, keep_default_na=False)
    events = pd.read_csv(example / "events.csv.gz", dtype=str, keep_default_na=False)
    copies = math.ceil(tickets / len(one))
    t_path, e_path = folder / "tickets.csv", folder / "events.csv"
    pd.concat([one.assign(ticket=one["ticket"] + f"-{i}") for i in range(copies)]).to_csv(t_path, index=False)
    pd.concat([events.assign(ticket=events["ticket"] + f"-{i}") for i in range(copies)]).to_csv(e_path, index=False)
    return t_path, e_path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--target", type=float, default=30.0, help="seconds for tickets + events")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t_path, e_path = tile_example(args.tickets, Path(tmp))
        wall, cpu = time.perf_counter(), time.process_time()
        export = read_export(t_path, e_path)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert export.events is not None
    print("| tickets | events | wall s | CPU s |")
    print("|---:|---:|---:|---:|")
    print(f"| {len(export.tickets):,} | {len(export.events):,} | {wall:.1f} | {cpu:.1f} |")
    ok = wall <= args.target
    print(f"{'PASS' if ok else 'FAIL'}: read in {wall:.1f} s (target {args.target:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
