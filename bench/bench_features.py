"""What each feature of the tiered desk costs a ticket: the bundled scenario against itself with that feature off.

Issue 17 asks the tiered desk to run at half the speed of the engine's own M/M/c and names its known
costs: SLA clocks on business calendars, thinned hour-of-day arrivals, shift changes and the sessions
a ticket takes. This benchmark measures them one at a time. Each variant is ``scenarios/tiered.yaml``
as bundled with one feature (or all) switched off by ``--set`` overrides (``FEATURES``), stretched to
about ``--tickets`` arrivals and twice as many as ``bench_counts.py`` does, and prints per ticket:

- **Python bytecodes**: exact (``sys.settrace`` opcode events), so a small difference is real;
- **machine instructions**: ``valgrind --tool=cachegrind``, a fresh process per run, counted as
  ``bench_counts.py`` counts them (they repeat from run to run); left out, with a note, where
  valgrind is not installed;
- **CPU µs**: best of ``--repeat``, the variants taking turns. On a shared machine it moves by 10 %
  and more from run to run, so a feature's share of it is only a rough guide; the counts are not;
- each as a share of the bundled desk's: what the feature adds, or, when the share is negative,
  what it saves (a feature can shorten other work, as patience does by ending waits).

A variant changes the desk's traffic as well as its code (without patience nobody abandons, so
more tickets reach an agent), which is why the shares do not add up to the gap between the
bundled desk and the M/M/c, printed last for scale.

    python bench/bench_features.py [--tickets 10000] [--repeat 5] [--only KEY ...] [--skip-instructions]

Prints a Markdown table. There is no target, so the exit status is 0 unless a run fails.
"""

from __future__ import annotations

import shutil
import sys

from bench_counts import (
    Runs,
    bytecodes_per_ticket,
    child_run,
    counting_args,
    counting_parser,
    cpu_per_ticket,
    machine_counts,
)
from bench_engine import machine
from bench_speed import mmc_scenario, tiered_days, tiered_for_days

from sim.engine.replication import run_replication
from sim.scenario.spec import Scenario

FEATURES: dict[str, tuple[str, list[str]]] = {
    "none": ("nothing (as bundled)", []),
    "sla": ("SLA policies (all clocks)", ["sla_policies=[]"]),
    "calendar": (
        "business calendar of the standard SLA (clocks on 24x7 instead)",
        [f"sla_policies.standard.{clock}.calendar=24x7" for clock in ("first_response", "resolution")],
    ),
    "profiles": (
        "hour-of-day and day-of-week profiles (constant rates, no thinning)",
        [
            *(f"channels.{name}.hour_of_day=null" for name in ("phone", "chat")),
            *(f"channels.{name}.day_of_week={{}}" for name in ("phone", "chat", "email")),
        ],
    ),
    "failures": (
        "failed attempts (every first fix holds)",
        ["categories.connectivity.resolve_probability={tier1: 1.0, tier2: 1.0}"],
    ),
    "replies": ("customer replies (no ticket waits on its customer)", ["categories.connectivity.customer_reply=null"]),
    "reopen": ("reopenings", ["categories.connectivity.reopen=null"]),
    "concurrency": ("chat concurrency (one chat per agent)", ["channels.chat.concurrency=1"]),
    "rework": ("lost handoff context (no rework)", ["escalation.handoff.context_complete=1"]),
    "patience": ("patience (nobody abandons)", ["channels.phone.patience=null", "channels.chat.patience=null"]),
}
FEATURES["all"] = (
    "all of the above at once",
    [o for key, (_, overrides) in FEATURES.items() if key != "calendar" for o in overrides],  # no SLA, no calendar
)
"""Each feature of ``tiered.yaml`` by its key: the table's label, and the overrides that switch it off.
The first switches nothing off: the bundled desk every share is of; the last switches every one off."""

MMC = "mmc"
MMC_LABEL = "the engine's M/M/c, for scale"


def variant_runs(key: str, days: float) -> Runs:
    """The tiered desk without feature ``key``, over ``days`` and twice as long, and the tickets each run gives."""
    return runs_of(key, (f"{days:.3f}", f"{2 * days:.3f}"))


def mmc_runs(tickets: int) -> Runs:
    """The engine's M/M/c of ``bench_speed.py`` for about ``tickets`` and twice as many arrivals."""
    return runs_of(MMC, (str(tickets), str(2 * tickets)))


def runs_of(key: str, sizes: tuple[str, str]) -> Runs:
    """``Runs`` of ``key`` at the two ``sizes`` (``child_scenario``'s), the tickets of each counted by one run."""
    short, long = (child_scenario(key, size) for size in sizes)
    counted = [len(run_replication(s, record_events=True).tickets) for s in (short, long)]
    return Runs(key, short, long, (counted[0], counted[1]), ([key, sizes[0]], [key, sizes[1]]))


def child_scenario(key: str, size: str) -> Scenario:
    """What a ``--child`` process runs: the M/M/c (``key`` "mmc") for ``size`` tickets, else the tiered desk
    without the feature ``key`` of ``FEATURES``, for ``size`` days."""
    if key == MMC:
        return mmc_scenario(int(size))
    return tiered_for_days(float(size), FEATURES[key][1])


def share(value: float, bundled: float) -> str:
    """What the bundled desk spends beyond ``value`` (a variant's figure), as a share of the bundled figure."""
    part = round((bundled - value) / bundled * 100)
    return f"{part:+d} %".replace("-", "−") if part else "0 %"


def table(runs: list[Runs], measures: dict[str, tuple[dict[str, float], str]]) -> str:
    """One row per variant: each measure per ticket, and the feature's share of the bundled desk's figure."""
    bundled = runs[0].desk
    head = "".join(f" {label} | share |" for label in measures)
    lines = [f"| switched off | tickets |{head}", "|---|--:|" + "--:|--:|" * len(measures)]
    for one in runs:
        cells = [MMC_LABEL if one.desk == MMC else FEATURES[one.desk][0], f"{one.tickets[1]:,}"]
        for values, shown in measures.values():
            own = "–" if one.desk in (bundled, MMC) else share(values[one.desk], values[bundled])
            cells += [format(values[one.desk], shown), own]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = counting_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(FEATURES)[1:],
        metavar="KEY",
        help="measure these features alone, by key: " + ", ".join(list(FEATURES)[1:]),
    )
    args = counting_args(parser)
    if args.child:
        return child_run(child_scenario(*args.child))
    print(f"machine: {machine()}")
    days = tiered_days(args.tickets)
    names = [next(iter(FEATURES)), *(args.only or list(FEATURES)[1:])]
    runs = [*(variant_runs(name, days) for name in names), mmc_runs(args.tickets)]
    measures = {"bytecodes": (bytecodes_per_ticket(runs), ",.0f")}
    with_valgrind = not args.skip_instructions and shutil.which("valgrind") is not None
    if with_valgrind:
        counted = machine_counts(runs, False, 0.0, __file__)
        measures["instructions"] = ({name: counts["I"] for name, counts in counted.items()}, ",.0f")
    elif not args.skip_instructions:
        print("valgrind is not installed: machine instructions left out (apt-get install valgrind)")
    cpu = cpu_per_ticket(runs, args.repeat)
    measures["CPU µs"] = ({desk: seconds * 1e6 for desk, seconds in cpu.items()}, ".2f")
    print(f"\nper ticket; tickets: of the longer run, about {2 * days:.1f} days\n")
    print(table(runs, measures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
