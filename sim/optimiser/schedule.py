"""Shift scheduling: how many agents work each shift template so a per-interval requirement is covered at least cost.

Step 4 of the staffing optimiser. The requirement is a (7, K) array of agents needed per slot of a
week cycle (Monday 00:00 is minute 0; K = 1440 / interval slots a day; row 0 is Monday). A planner
allows shift templates (starts x lengths on fixed weekdays, with an optional unpaid break); each
(template, start, length) is one integer variable, the number of agents who work it. The integer
programme is the classic set-covering model of shift scheduling (Dantzig 1954):

    minimise   sum_v cost_v x_v + penalty * sum_s u_s
    subject to sum_v A[s, v] x_v + u_s >= requirement_s   for every slot s
               sum_v A[s, v] x_v <= max_agents            (optional head-count cap)
               x_v >= 0 integer, u_s >= 0

``A[s, v]`` is 1 when an agent on variable ``v`` is on duty in slot ``s`` (breaks excluded; the week
wraps, so a Sunday night shift covers Monday morning). The slack ``u`` is the shortfall the templates
cannot reach (a weekend slot with weekday-only templates): priced far above any shift, it is used only
where no shift can help, so the programme is always feasible and the caller reports the shortfall.

Solver: ``scipy.optimize.milp``, which calls HiGHS, the open-source MIP solver that scipy ships.
It is exact (branch and bound to a zero gap here), deterministic for the same input, needs no
licence and no extra install (scipy is already a dependency). A week at 30-minute slots with a few
hundred variables solves in well under a second.

``curve_shifts`` turns a per-slot staffing curve into scenario shifts with as few hand-overs as
possible, so the engine can simulate a per-interval staffing vector as it stands.

Pure numpy/scipy: no SimPy, nothing from ``sim.engine``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.scenario.clock import WEEKDAYS, clock_text

PENALTY_FACTOR = 1000.0
"""A slot of shortfall costs this many times the dearest variable: more than any shift that could cover it."""
_TOLERANCE = 1e-9
"""Rounding tolerance for 'is a multiple of the interval' and for rounding a fractional requirement up."""

# A piece of duty: (weekday it starts, start minute after midnight, length in minutes, agents).
_Piece = tuple[int, float, float, int]


@dataclass(frozen=True)
class ShiftTemplate:
    """A family of shifts a planner allows: any of these starts x lengths, worked on these weekdays."""

    name: str
    starts: tuple[float, ...]
    """Minutes after midnight, each a multiple of the interval."""
    lengths: tuple[float, ...]
    """Paid minutes including an unpaid break if any; at most 1440; multiples of the interval."""
    days: tuple[int, ...]
    """Weekdays worked (0 = Monday); an agent on this template works all of them at the same start."""
    break_after: float | None = None
    """Minutes after the start at which the (unpaid, off-duty) break begins; None: no break."""
    break_length: float = 0.0
    """Minutes of break; a multiple of the interval."""


@dataclass(frozen=True)
class Shift:
    """One chosen variable: ``agents`` agents work ``length`` minutes from ``start`` on ``days``."""

    template: str
    days: tuple[int, ...]
    start: float
    length: float
    agents: int
    break_after: float | None
    break_length: float

    @property
    def paid_hours(self) -> float:
        """Paid hours per week of one agent on this shift (length minus break, times the days)."""
        return (self.length - self.break_length) / MINUTES_PER_HOUR * len(self.days)

    def pieces(self) -> list[dict]:
        """Scenario ShiftSpec dicts: one per stretch of duty (two when the shift has a break).

        A piece that crosses midnight is an overnight shift (end before start) on the weekdays it
        starts; one that ends at midnight ends at "24:00"; a 24-hour piece ends at its start.
        """
        return [_spec_dict(days, start, length, agents) for days, start, length, agents in self._stretches()]

    def _stretches(self) -> list[tuple[tuple[int, ...], float, float, int]]:
        """(start weekdays, start minute, length, agents) of each stretch of duty."""
        spans = [(0.0, self.length)]
        if self.break_after is not None and self.break_length > 0:
            spans = [(0.0, self.break_after), (self.break_after + self.break_length, self.length)]
        stretches = []
        for offset, end in spans:
            at = self.start + offset
            shift_days, clock = divmod(at, MINUTES_PER_DAY)
            days = tuple(sorted((d + int(shift_days)) % DAYS_PER_WEEK for d in self.days))
            stretches.append((days, clock, end - offset, self.agents))
        return stretches


@dataclass(frozen=True, eq=False)
class PoolSchedule:
    """The cheapest roster found for one team: its shifts, what they cover and what they cost."""

    shifts: list[Shift]
    coverage: np.ndarray
    """(7, K) agents on duty per slot from the chosen shifts (breaks excluded)."""
    requirement: np.ndarray
    """(7, K) the requirement it was asked to cover, rounded up to whole agents."""
    shortfall: np.ndarray
    """(7, K) requirement the templates could not cover (0 where covered)."""
    cost: float
    """Weekly: paid hours x cost_per_hour; plain paid hours when cost_per_hour is 0."""
    paid_hours: float
    optimal: bool = True
    """False when the solver stopped at its time limit with a feasible, not proven optimal, roster."""

    def shift_specs(self) -> list[dict]:
        """Every shift's pieces as scenario ShiftSpec dicts, merged and sorted (start, end, days)."""
        pieces = [
            (day, start, length, agents)
            for shift in self.shifts
            for days, start, length, agents in shift._stretches()
            for day in days
        ]
        return _merge(pieces)


def coverage_matrix(
    templates: Sequence[ShiftTemplate], interval: float
) -> tuple[np.ndarray, list[tuple[ShiftTemplate, float, float]]]:
    """(7*K, n_variables) 0/1 matrix: which slots each (template, start, length) variable is on duty.

    Slot ``s`` is weekday ``s // K``, slot of day ``s % K``. A shift wraps from Sunday into Monday
    (weekly cycle). Variables are in template order, then start, then length, as given.
    """
    per_day = _slots_per_day(interval)
    _check_templates(templates, interval)
    n_slots = DAYS_PER_WEEK * per_day
    variables = [(t, float(s), float(length)) for t in templates for s in t.starts for length in t.lengths]
    matrix = np.zeros((n_slots, len(variables)))
    for j, (template, start, length) in enumerate(variables):
        duty = np.ones(round(length / interval), dtype=bool)
        if template.break_after is not None:
            first = round(template.break_after / interval)
            duty[first : first + round(template.break_length / interval)] = False
        offsets = np.flatnonzero(duty)
        for day in template.days:
            first_slot = round((day * MINUTES_PER_DAY + start) / interval)
            matrix[(first_slot + offsets) % n_slots, j] = 1.0
    return matrix, variables


def schedule(
    requirement: np.ndarray,
    interval: float,
    templates: Sequence[ShiftTemplate],
    cost_per_hour: float = 0.0,
    max_agents: int | None = None,
    time_limit: float = 30.0,
) -> PoolSchedule:
    """The cheapest integer number of agents per shift template variable that covers ``requirement``.

    ``requirement`` is (7, K) agents needed per slot; a fractional one (grossed up for shrinkage)
    is rounded up. ``max_agents`` caps the agents on duty in any slot. Where the templates cannot
    reach a slot (or the cap forbids it) the roster falls short there and says so in ``shortfall``.
    """
    per_day = _slots_per_day(interval)
    needed = _rounded_requirement(requirement, per_day)
    if cost_per_hour < 0 or not math.isfinite(cost_per_hour):
        raise ValueError(f"cost_per_hour must be a finite number of 0 or more, not {cost_per_hour!r}")
    if max_agents is not None and max_agents < 0:
        raise ValueError(f"max_agents must be 0 or more, not {max_agents!r}")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds, not {time_limit!r}")
    matrix, variables = coverage_matrix(templates, interval)
    n_slots, n_vars = matrix.shape
    hours = np.array([(length - t.break_length) / MINUTES_PER_HOUR * len(t.days) for t, _, length in variables])
    price = hours * cost_per_hour if cost_per_hour > 0 else hours
    penalty = PENALTY_FACTOR * float(price.max())
    flat = needed.reshape(-1)
    # No variable needs more agents than the highest requirement (or the cap): fewer still cover every slot.
    upper = float(flat.max()) if max_agents is None else float(min(flat.max(), max_agents))
    constraints = [LinearConstraint(np.hstack([matrix, np.eye(n_slots)]), lb=flat, ub=np.inf)]
    if max_agents is not None:
        constraints.append(LinearConstraint(np.hstack([matrix, np.zeros((n_slots, n_slots))]), lb=0, ub=max_agents))
    result = milp(
        c=np.concatenate([price, np.full(n_slots, penalty)]),
        integrality=np.concatenate([np.ones(n_vars), np.zeros(n_slots)]),
        bounds=Bounds(np.zeros(n_vars + n_slots), np.concatenate([np.full(n_vars, upper), flat])),
        constraints=constraints,
        options={"time_limit": float(time_limit), "mip_rel_gap": 0.0, "disp": False},
    )
    if result.x is None:
        raise RuntimeError(f"the shift-scheduling solver found no roster: {result.message}")
    agents = np.round(result.x[:n_vars]).astype(int)
    covered = (matrix @ agents).reshape(DAYS_PER_WEEK, per_day)
    shifts = [
        Shift(t.name, tuple(t.days), start, length, int(x), t.break_after, t.break_length)
        for (t, start, length), x in zip(variables, agents, strict=True)
        if x > 0
    ]
    return PoolSchedule(
        shifts=shifts,
        coverage=covered.astype(int),
        requirement=needed,
        shortfall=np.maximum(needed - covered, 0).astype(int),
        cost=float(price @ agents),
        paid_hours=float(hours @ agents),
        optimal=result.status == 0,
    )


def curve_shifts(curve: np.ndarray, interval: float) -> list[dict]:
    """Scenario ShiftSpec dicts that put exactly ``curve[d, k]`` agents on duty in slot k of weekday d.

    Layer decomposition on the weekly cycle, which uses the fewest shifts (hand-overs) possible: for
    each level L = 1, 2, ..., every maximal run of consecutive slots with curve >= L (Sunday night
    runs on into Monday) is one agent's shift, cut into pieces of at most 24 hours. A level held the
    whole week becomes one 24-hour shift a day. Identical pieces merge into one dict with days and agents.
    """
    per_day = _slots_per_day(interval)
    counts = np.asarray(curve, dtype=float)
    if counts.shape != (DAYS_PER_WEEK, per_day):
        raise ValueError(f"the curve must have shape (7, {per_day}) for {interval:g}-minute slots, not {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(np.abs(counts - np.round(counts)) > _TOLERANCE):
        raise ValueError("the curve must hold whole numbers of agents, 0 or more")
    flat = np.round(counts).astype(int).reshape(-1)
    n_slots = flat.size
    pieces: list[_Piece] = []
    for level in range(1, int(flat.max(initial=0)) + 1):
        on = flat >= level
        if on.all():
            pieces += [(day, 0.0, MINUTES_PER_DAY, 1) for day in range(DAYS_PER_WEEK)]
            continue
        first_off = int(np.argmin(on))
        for begin, length in _runs(np.roll(on, -first_off)):
            begin = (begin + first_off) % n_slots
            for cut in range(0, length, per_day):
                at = (begin + cut) % n_slots
                pieces.append((at // per_day, (at % per_day) * interval, min(per_day, length - cut) * interval, 1))
    return _merge(pieces)


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """(first index, length) of each run of True in a vector that starts with False (no wrap-around)."""
    edges = np.diff(np.concatenate([[0], on.astype(int), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _merge(pieces: list[_Piece]) -> list[dict]:
    """One ShiftSpec dict per (start, length, agents): the weekdays with that many agents on that piece.

    Pieces with the same start weekday, start and length add up; the result is sorted by start,
    length and first weekday, so the same pieces always give the same YAML.
    """
    per_day: dict[tuple[float, float], np.ndarray] = {}
    for day, start, length, agents in pieces:
        per_day.setdefault((start, length), np.zeros(DAYS_PER_WEEK, dtype=int))[day] += agents
    specs = []
    for (start, length), counts in sorted(per_day.items()):
        for agents in sorted({int(a) for a in counts if a > 0}, key=lambda a: int(np.argmax(counts == a))):
            days = tuple(int(d) for d in np.flatnonzero(counts == agents))
            specs.append(_spec_dict(days, start, length, agents))
    return specs


def _spec_dict(days: Sequence[int], start: float, length: float, agents: int) -> dict:
    """A ShiftSpec dict; the end before the start means overnight, "24:00" midnight, end == start 24 hours."""
    end = start + length
    end_text = "24:00" if end == MINUTES_PER_DAY else clock_text(end % MINUTES_PER_DAY)
    return {"days": [WEEKDAYS[d] for d in sorted(days)], "start": clock_text(start), "end": end_text, "agents": agents}


def _slots_per_day(interval: float) -> int:
    """K = 1440 / interval, or ValueError when the interval does not divide the day."""
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        raise ValueError(f"the interval must be a positive number of minutes, not {interval!r}")
    if not _is_multiple(MINUTES_PER_DAY, interval):
        raise ValueError(f"the interval ({interval:g} minutes) must divide the day (1440 minutes), e.g. 15, 30 or 60")
    return round(MINUTES_PER_DAY / interval)


def _is_multiple(value: float, interval: float) -> bool:
    ratio = value / interval
    return abs(ratio - round(ratio)) <= _TOLERANCE * max(1.0, abs(ratio))


def _rounded_requirement(requirement: np.ndarray, per_day: int) -> np.ndarray:
    """The requirement as whole agents (rounded up, within 1e-9), after checking its shape and sign."""
    needed = np.asarray(requirement, dtype=float)
    if needed.shape != (DAYS_PER_WEEK, per_day):
        raise ValueError(f"the requirement must have shape (7, {per_day}) (weekday x slot of day), not {needed.shape}")
    if not np.all(np.isfinite(needed)):
        raise ValueError("the requirement must be finite numbers of agents")
    if np.any(needed < 0):
        raise ValueError("the requirement must not be negative: it is the number of agents needed in each slot")
    return np.ceil(needed - _TOLERANCE).astype(int)


def _check_templates(templates: Sequence[ShiftTemplate], interval: float) -> None:
    """ValueError, naming the template, for anything the covering model cannot use."""
    if not templates:
        raise ValueError("give at least one shift template: there is nothing to roster")
    for t in templates:
        where = f"shift template {t.name!r}"
        if not t.starts or not t.lengths or not t.days:
            raise ValueError(f"{where} needs at least one start, one length and one weekday")
        if any(not (isinstance(d, int) and 0 <= d < DAYS_PER_WEEK) for d in t.days) or len(set(t.days)) < len(t.days):
            raise ValueError(f"{where}: days must be distinct weekdays 0 (Monday) to 6 (Sunday), not {t.days}")
        for start in t.starts:
            if not 0 <= start < MINUTES_PER_DAY or not _is_multiple(start, interval):
                raise ValueError(
                    f"{where}: start {start:g} must be a multiple of the {interval:g}-minute interval "
                    "from 0 to before 1440 minutes after midnight"
                )
        for length in t.lengths:
            if not 0 < length <= MINUTES_PER_DAY or not _is_multiple(length, interval):
                raise ValueError(
                    f"{where}: length {length:g} must be a multiple of the {interval:g}-minute interval "
                    "from one interval to 1440 minutes"
                )
        if t.break_length < 0 or not _is_multiple(t.break_length, interval):
            raise ValueError(f"{where}: break_length {t.break_length:g} must be a multiple of the interval, 0 or more")
        if t.break_after is None:
            if t.break_length > 0:
                raise ValueError(f"{where}: a break_length needs break_after (when the break begins)")
            continue
        if not _is_multiple(t.break_after, interval):
            raise ValueError(f"{where}: break_after {t.break_after:g} must be a multiple of the interval")
        for length in t.lengths:
            if not t.break_after > 0 or not t.break_after + t.break_length < length:
                raise ValueError(
                    f"{where}: the break ({t.break_after:g} to {t.break_after + t.break_length:g} minutes "
                    f"after the start) must lie inside the {length:g}-minute shift, with work before and after it"
                )
