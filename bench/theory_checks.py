"""The theory suite outside CI: other seeds, mutations of the engine, and the rest of the M/M/c load grid.

    python bench/theory_checks.py seeds 2 3 4 5 6        # the slow suite on five more seeds
    python bench/theory_checks.py mutations [NAME ...]    # which checks each mutation makes fail
    python bench/theory_checks.py grid                    # M/M/c at utilisation 0.5-0.95

``THEORY_CASES=priority,erlang_a`` limits ``mutations`` to the cases whose names start so.

Each run prints one line per (case, check): pass/FAIL and ``conftest.within``'s account, and CPU seconds
per case. The mutations perturb the engine from outside (scenario documents, or monkeypatched engine
functions) and never edit it:

- ``handle+5%``: every team's handle_time_multiplier is 1.05;
- ``thin-3%``: ``Desk.admit`` drops 3 % of arrivals at random (its own generator);
- ``priority-reversed``: the queue serves the least urgent priority first (``teams.queue_order``);
- ``no-abandonment``: ``Desk._give_up`` does nothing, so nobody abandons (Erlang A cases only);
- ``agent-fewer``: the first team has one agent fewer.

A mutation that makes a measured ticket wait past the horizon (an unstable queue) fails every check of
its case; that is recorded as ``unstable``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conftest import within
from theory_cases import CONTROLS, SUITE, Case, erlang_c_case

import sim.engine.desk as desk
import sim.engine.teams as teams


def verdicts(case: Case, seed: int = 1, perturb: Callable[[dict[str, Any]], None] | None = None) -> dict[str, tuple]:
    """Each check of the case: (passed, account); every check fails if the queue is unstable."""
    try:
        frame = case.run(seed, perturb)
    except AssertionError as unstable:
        return {c.name: (False, f"unstable: {unstable}") for c in case.checks}
    out = {}
    for c in case.checks:
        controls = None if c.quantity in CONTROLS else frame[list(CONTROLS)]
        theory = c.theory if c.reference is None else c.reference(seed)
        out[c.name] = within(frame[c.quantity], theory, c.bound, controls)
    return out


def report(case: Case, seed: int = 1, perturb: Callable | None = None, label: str = "") -> dict[str, tuple]:
    began = time.process_time()
    result = verdicts(case, seed, perturb)
    cpu = time.process_time() - began
    print(f"## {label}{case.name} seed {seed}: {cpu:.1f} s CPU", flush=True)
    for quantity, (ok, account) in result.items():
        print(f"   {'pass' if ok else 'FAIL'} {quantity:22s} {account}", flush=True)
    return result


# -- mutations ------------------------------------------------------------------------------------------------
def _scale_handle(doc: dict[str, Any]) -> None:
    for team in doc["teams"]:
        team["handle_time_multiplier"] = 1.05


def _agent_fewer(doc: dict[str, Any]) -> None:
    doc["teams"][0]["agents"] -= 1


@contextmanager
def _thinned() -> Iterator[None]:
    admit, rng = desk.Desk.admit, np.random.default_rng(20260)

    def thinned_admit(self: Any, demand: Any, now: float) -> None:
        if rng.random() >= 0.03:
            admit(self, demand, now)

    desk.Desk.admit = thinned_admit
    try:
        yield
    finally:
        desk.Desk.admit = admit


@contextmanager
def _reversed_priorities() -> Iterator[None]:
    order = teams.queue_order
    teams.queue_order = lambda rank, seq: (-rank, seq)
    try:
        yield
    finally:
        teams.queue_order = order


@contextmanager
def _no_abandonment() -> Iterator[None]:
    give_up = desk.Desk._give_up
    desk.Desk._give_up = lambda self, ticket, _: None
    try:
        yield
    finally:
        desk.Desk._give_up = give_up


@contextmanager
def _unchanged() -> Iterator[None]:
    yield


MUTATIONS: dict[str, tuple[Callable | None, Callable[[], Any], Callable[[Case], bool]]] = {
    # name: (scenario perturbation, engine patch, which cases it applies to)
    "handle+5%": (_scale_handle, _unchanged, lambda case: True),
    "thin-3%": (None, _thinned, lambda case: True),
    "priority-reversed": (None, _reversed_priorities, lambda case: case.name.startswith("priority")),
    "no-abandonment": (None, _no_abandonment, lambda case: case.name.startswith("erlang_a")),
    "agent-fewer": (_agent_fewer, _unchanged, lambda case: True),
}


def mutations(names: list[str]) -> None:
    table: dict[tuple[str, str], list[str]] = {}
    for name in names or list(MUTATIONS):
        perturb, patch, applies = MUTATIONS[name]
        for case in SUITE:
            if not applies(case) or not case.name.startswith(tuple(os.environ.get("THEORY_CASES", "").split(","))):
                continue
            with patch():
                result = report(case, perturb=perturb, label=f"[{name}] ")
            for quantity, (ok, _) in result.items():
                table.setdefault((case.name, quantity), [])
                if not ok:
                    table[(case.name, quantity)].append(name)
    print("\n| case | quantity | fails under |\n| --- | --- | --- |")
    for (case_name, quantity), failed in table.items():
        print(f"| {case_name} | {quantity} | {', '.join(failed) or '**none**'} |")


def seeds(values: list[int]) -> None:
    failures = 0
    for seed in values:
        for case in SUITE:
            failures += sum(not ok for ok, _ in report(case, seed).values())
    print(f"\nfailed checks over seeds {values}: {failures}")


GRID = [0.5, 0.6, 0.75, 0.8, 0.9, 0.95]


def grid() -> None:
    """The rest of the M/M/c load grid, with the suite's bounds (waits near 0.95 need longer runs)."""
    for rho in GRID:
        days = {0.9: "12d", 0.95: "30d"}.get(rho, "5d")
        report(erlang_c_case(rho, 14 if rho < 0.9 else 20, days, "8h" if rho >= 0.9 else "4h", 200))


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["seeds"]
    if command == "seeds":
        seeds([int(s) for s in rest] or [2, 3, 4, 5, 6])
    elif command == "mutations":
        mutations(rest)
    elif command == "grid":
        grid()
    else:
        sys.exit(__doc__)
