"""Calibrating from a 1,000,000-ticket export (issue 15): the whole ``calibrate`` command against 60 s.

The shipped generic example (36,040 tickets, 122,389 events over four weeks) is tiled with fresh
ticket ids to about ``--tickets`` tickets (``bench_read_export.tile_example``; writing is not timed),
then timed stage by stage as ``run_sim.py calibrate`` runs them: reading the export into the
canonical tables, every fit, writing the commented scenario (which also checks it loads) and the fit
report. Prints a Markdown table and PASS/FAIL on the total; exit status 1 on FAIL.

    python bench/bench_calibrate.py [--tickets 1000000] [--target 60] [--no-report]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_read_export import tile_example  # noqa: E402

from sim.calibrate_cli import load_scenario_text  # noqa: E402
from sim.calibration.calibrate import calibrate  # noqa: E402
from sim.calibration.read import read_export  # noqa: E402
from sim.calibration.write_scenario import calibrated_scenario  # noqa: E402
from sim.core.atomic import write_text  # noqa: E402


class Clock:
    """Wall and CPU seconds of each stage."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.rows.append((stage, wall - self._wall, cpu - self._cpu))
        self._wall, self._cpu = wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--target", type=float, default=60.0, help="seconds for the whole command")
    parser.add_argument("--no-report", action="store_true", help="leave the fit report out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t_path, e_path = tile_example(args.tickets, Path(tmp))
        out = Path(tmp) / "calibrated.yaml"
        clock = Clock()
        export = read_export(t_path, e_path)
        clock.lap("read the export")
        cal = calibrate(export, "UTC", {"tickets": t_path.name, "events": e_path.name})
        clock.lap("fit")
        text = calibrated_scenario(cal, None, "bench")
        load_scenario_text(text, out)
        write_text(out, text)
        clock.lap("write and check the scenario")
        if not args.no_report:
            from sim.reports.fit_report import write_fit_report

            write_fit_report(cal, out.with_suffix(".fit.html"))
            clock.lap("fit report")
    assert export.events is not None
    total = sum(wall for _, wall, _ in clock.rows)
    print(f"{len(export.tickets):,} tickets, {len(export.events):,} events\n")
    print("| stage | wall s | CPU s |")
    print("|---|---:|---:|")
    for stage, wall, cpu in clock.rows:
        print(f"| {stage} | {wall:.1f} | {cpu:.1f} |")
    print(f"| **total** | **{total:.1f}** | **{sum(cpu for *_, cpu in clock.rows):.1f}** |")
    ok = total <= args.target
    print(f"\n{'PASS' if ok else 'FAIL'}: calibrated in {total:.1f} s (target {args.target:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
