"""The iterative staffing algorithm (ISA) of Feldman, Mandelbaum, Massey and Whitt (2008), on the network.

ISA finds a per-interval staffing under which a time-varying queue's delay probability is about the
same, ``alpha``, in every interval. Each iteration simulates the current staffing and sets each
interval's agents to the fewest ``s`` with P(tickets in system >= s) <= alpha, where the distribution
of tickets in system (busy agents plus waiting tickets) is read from the simulation. It stops when an
iteration changes nothing; when it moves no interval by more than one agent (or almost none by two), or
after ``MAX_ITERATIONS``, it keeps the higher of the last two staffings.

The paper's recipe for other goals is to choose ``alpha`` so that the time-stable performance meets
them. Here each pool that answers a channel with a service-level goal first gets its ``alpha`` by
bisection (``search``): the largest ``alpha`` whose staffing meets the pool's first-contact service
level in every judged interval (or day, or week). Pools with no such goal keep their
``delay_probability``. Because every pool is simulated together, tier 2's demand is the demand tier
1's staffing actually sends it: escalations, transfers, reopens, callbacks and abandonment included.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.engine.records import RunRecords
from sim.optimiser.grid import WeekGrid
from sim.optimiser.measure import demand_samples, judge, service_cells, staffing_for_delay

MAX_ITERATIONS = 8
"""ISA iterations for one alpha before it settles for the higher of the last two staffings."""
SETTLED = 1
"""An iteration that moves no interval by more than this many agents ends ISA (the higher of the two is kept):
sampling noise alone moves a quantile by one agent back and forth, and the paper stops there too."""
STRAYS = 0.02
"""...or that moves at most this share of the staffed intervals by two (a week has 336 half hours, and a few
of them wander by two agents on sampling noise alone; more replications would only slow the search)."""
SEARCH_STEPS = 5
"""Bisection steps on each pool's alpha."""
ALPHA_CEILING = 0.5
"""The largest alpha tried. Above it the staffing (a quantile of the number in system below its median)
can fall under the offered load, and without abandonment the queue then grows without bound and ISA
swings between empty and flooded intervals instead of converging."""

Curves = dict[str, np.ndarray]
Evaluate = Callable[[Curves], list[RunRecords]]


@dataclass
class PoolTarget:
    """What ISA staffs one pool for: its demand's queues, and its alpha or the goal that sets it."""

    pool: str
    shares: dict[str, float]
    alpha: float
    low: int = 0
    high: int | None = None
    targets: dict[str, float] = field(default_factory=dict)
    """Channel -> target (min) of the first-contact service level that sets alpha; empty: alpha is fixed."""
    first_teams: list[str] = field(default_factory=list)
    goal: float = math.nan
    per: str = "interval"
    confidence: str = "mean"

    @property
    def searched(self) -> bool:
        """Whether alpha is found by search (the pool answers a channel with a goal first)."""
        return bool(self.targets)

    def meets(self, runs: Sequence[RunRecords], grid: WeekGrid) -> bool:
        """Whether the pool's first-contact service level meets its goal in these replications."""
        cells = service_cells(runs, self.targets, grid, self.first_teams)
        return judge(cells, self.goal, self.per, self.confidence).met


@dataclass
class Step:
    """One ISA iteration, for the log: the alphas, each pool's agent-hours and the largest change."""

    search: int
    iteration: int
    alphas: dict[str, float]
    hours: dict[str, float]
    change: float


@dataclass
class IsaResult:
    """The staffing ISA settled on, the replications that simulated it, and every step taken."""

    curves: Curves
    runs: list[RunRecords]
    alphas: dict[str, float]
    steps: list[Step]
    evaluations: int


def iterate(
    evaluate: Evaluate,
    start: Curves,
    targets: Sequence[PoolTarget],
    alphas: Mapping[str, float],
    grid: WeekGrid,
    log: Callable[[Step], None],
    search: int = 0,
) -> tuple[Curves, list[RunRecords], int]:
    """ISA at fixed alphas from ``start``: the settled staffing, its replications, and the evaluations used."""
    curves = {name: curve.copy() for name, curve in start.items()}
    for iteration in range(1, MAX_ITERATIONS + 1):
        runs = evaluate(curves)
        new = dict(curves)
        for target in targets:
            samples = demand_samples(runs, target.pool, target.shares, grid)
            new[target.pool] = _bounded(staffing_for_delay(samples, alphas[target.pool], grid), target)
        moves = [(np.abs(new[t.pool] - curves[t.pool]), (new[t.pool] > 0) | (curves[t.pool] > 0)) for t in targets]
        change = max((float(move.max()) for move, _ in moves), default=0.0)
        strays = max((float((move[staffed] > SETTLED).mean()) for move, staffed in moves if staffed.any()), default=0.0)
        log(Step(search, iteration, dict(alphas), _hours(new, grid), change))
        if change == 0:
            return curves, runs, iteration
        if change <= SETTLED or (change <= SETTLED + 1 and strays <= STRAYS) or iteration == MAX_ITERATIONS:
            # the higher of this alpha's last two staffings; the first is the previous alpha's, not a candidate
            settled = {name: np.maximum(curves[name], new[name]) for name in curves} if iteration > 1 else new
            return settled, evaluate(settled), iteration + 1
        curves = new
    raise AssertionError("MAX_ITERATIONS is at least 1")


def search(
    evaluate: Evaluate,
    start: Curves,
    targets: Sequence[PoolTarget],
    grid: WeekGrid,
    log: Callable[[Step], None],
) -> IsaResult:
    """Each searched pool's largest alpha meeting its goal (bisection), and ISA's staffing at those alphas.

    The result is the cheapest staffing (fewest agent-hours) under which every searched pool met its
    goal; if none did, the last one tried (verification then adds agents where the goals are missed).
    """
    alphas = {t.pool: t.alpha for t in targets}
    good: dict[str, float] = {}
    bad: dict[str, float] = {}
    steps: list[Step] = []

    def note(step: Step) -> None:
        steps.append(step)
        log(step)

    searched = [t for t in targets if t.searched]
    curves, runs, used = iterate(evaluate, start, targets, alphas, grid, note, 0)
    best: IsaResult | None = None
    for round_ in range(1, SEARCH_STEPS + 2):
        verdicts = {t.pool: t.meets(runs, grid) for t in searched}
        if all(verdicts.values()) and (best is None or _total(curves) < _total(best.curves)):
            best = IsaResult(curves, runs, dict(alphas), steps, used)
        if not searched or round_ > SEARCH_STEPS:
            break
        for target in searched:
            (good if verdicts[target.pool] else bad)[target.pool] = alphas[target.pool]
            alphas[target.pool] = _next_alpha(good.get(target.pool), bad.get(target.pool))
        curves, runs, n = iterate(evaluate, curves, targets, alphas, grid, note, round_)
        used += n
    if best is None:
        return IsaResult(curves, runs, dict(alphas), steps, used)
    best.evaluations = used
    return best


def _next_alpha(good: float | None, bad: float | None) -> float:
    """The next alpha to try: between the largest that met and the smallest that missed (in log-odds)."""
    if good is None and bad is None:
        raise ValueError("an alpha must have been tried")
    if good is None:
        assert bad is not None
        return bad / 2
    if bad is None:
        return _mid(good, ALPHA_CEILING)
    return _mid(good, bad)


def _mid(a: float, b: float) -> float:
    """The midpoint of two probabilities in log-odds."""
    logit = (math.log(a / (1 - a)) + math.log(b / (1 - b))) / 2
    return 1 / (1 + math.exp(-logit))


def _bounded(curve: np.ndarray, target: PoolTarget) -> np.ndarray:
    """The curve within the pool's minimum and maximum head count."""
    curve = np.maximum(curve, target.low)
    return curve if target.high is None else np.minimum(curve, target.high)


def _total(curves: Curves) -> float:
    """Agents summed over every pool and interval: the staffing's size."""
    return float(sum(curve.sum() for curve in curves.values()))


def _hours(curves: Curves, grid: WeekGrid) -> dict[str, float]:
    """Agent-hours per week of each curve."""
    return {name: float(curve.sum() * grid.interval / 60) for name, curve in curves.items()}
