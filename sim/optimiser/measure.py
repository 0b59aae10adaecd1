"""What the replications of one roster show on the planning grid: demand for agents and service levels.

- **Demand for agents** per pool (``demand_samples``): the number of tickets in the pool's system,
  busy agents plus the tickets waiting in its queues, read every minute of every replication. A queue
  that several pools serve is shared out by their ``served_by`` shares. This is the quantity whose
  distribution the iterative staffing algorithm reads.
- **Service level per cell** (``service_cells``): per replication, the tickets answered within their
  channel's target (``within``) and the tickets whose outcome at the target is known (``decided``),
  by the cell of the week they arrived in, with exactly the headline service-level definition.
- **Judging a goal** (``judge``): per interval, per day or over the week, by the mean over
  replications or by its whole 95 % interval. An interval whose replications average fewer than one
  decided ticket is too thin to judge: it is reported, not judged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.analysis.intervals import service_level_flags
from sim.engine.records import RunRecords
from sim.optimiser.grid import WeekGrid

MAX_SHRINKAGE = 0.9
"""Shrinkage is capped here: a cell where almost everybody is away is grossed up at most tenfold."""
MIN_DECIDED = 1.0
"""An interval (or day) needs this many decided tickets per replication on average to be judged."""


def _step_values(series: pd.DataFrame, at: np.ndarray) -> np.ndarray:
    """A step series' value at each time of ``at`` (0 before its first change)."""
    if series.empty:
        return np.zeros(len(at))
    times = series["time"].to_numpy(dtype=float)
    values = series["value"].to_numpy(dtype=float)
    order = np.argsort(times, kind="stable")
    index = np.searchsorted(times[order], at, side="right") - 1
    return np.where(index >= 0, values[order][np.maximum(index, 0)], 0.0)


def demand_samples(
    runs: Sequence[RunRecords], pool: str, shares: Mapping[str, float], grid: WeekGrid
) -> list[np.ndarray]:
    """Per flat cell of the week, the sorted minute-by-minute samples of the pool's tickets in system.

    ``shares`` maps each team whose queue the pool serves to the pool's share of that queue. Samples
    come from after the warm-up; a cell the run only passes during its warm-up (a horizon shorter
    than a week) is read there instead, so that it is staffed rather than left empty while the
    queues fill.
    """
    size = grid.shape[0] * grid.shape[1]
    measured: list[list[np.ndarray]] = [[] for _ in range(size)]
    warming: list[list[np.ndarray]] = [[] for _ in range(size)]
    for run in runs:
        at = np.arange(0.0, run.horizon) + 0.5
        levels = run.levels
        team = levels["team"].astype(str).to_numpy()
        metric = levels["metric"].astype(str).to_numpy()
        total = _step_values(levels[(team == pool) & (metric == "busy")], at)
        for queue, share in shares.items():
            total = total + share * _step_values(levels[(team == queue) & (metric == "queue")], at)
        after = at >= run.warmup
        _by_cell(measured, total[after], grid.flat(at[after]))
        _by_cell(warming, total[~after], grid.flat(at[~after]))
    return [
        np.sort(np.concatenate(mine if any(len(part) for part in mine) else warm))
        for mine, warm in zip(measured, warming, strict=True)
    ]


def _by_cell(cells: list[list[np.ndarray]], values: np.ndarray, flat: np.ndarray) -> None:
    """Append ``values`` to the list of the cell each falls in."""
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], np.arange(len(cells) + 1))
    for cell in range(len(cells)):
        cells[cell].append(values[order][bounds[cell] : bounds[cell + 1]])


def shrinkage_cells(runs: Sequence[RunRecords], pool: str, grid: WeekGrid, overall: float) -> np.ndarray:
    """Per cell of the week, the share of the pool's rostered agents not available there.

    Away time (breaks, lunch, meetings, coaching) is read per cell as away over staffed agents, so a
    lunch window or a meeting shows where it falls; absence (whole shifts missed) is spread evenly.
    A cell where the runs staffed nobody gets ``overall``, the pool's shrinkage over the week.
    """
    away, staffed = grid.zeros(), grid.zeros()
    absent = rostered = 0.0
    for run in runs:
        at = np.arange(run.warmup, run.horizon) + 0.5
        levels = run.levels[(run.levels["team"].astype(str) == pool).to_numpy()]
        metric = levels["metric"].astype(str).to_numpy()
        away += grid.add_at(at, _step_values(levels[metric == "away"], at))
        staffed += grid.add_at(at, _step_values(levels[metric == "staffed"], at))
        mine = run.agents[(run.agents["team"].astype(str) == pool).to_numpy()]
        absent, rostered = absent + float(mine["absence"].sum()), rostered + float(mine["rostered"].sum())
    absence = absent / rostered if rostered > 0 else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(staffed > 0, 1 - (1 - away / np.where(staffed > 0, staffed, 1)) * (1 - absence), overall)
    return np.clip(share, 0.0, MAX_SHRINKAGE)


def staffing_for_delay(samples: list[np.ndarray], alpha: float, grid: WeekGrid) -> np.ndarray:
    """Per cell, the fewest agents s with P(tickets in system >= s) <= alpha (no samples or none in system: 0)."""
    out = grid.zeros().ravel()
    for cell, values in enumerate(samples):
        n = len(values)
        allowed = math.floor(alpha * n + 1e-9)
        if n == 0 or allowed >= n or values[-1] <= 0:
            continue
        out[cell] = math.floor(round(values[n - allowed - 1], 9)) + 1
    return out.reshape(grid.shape)


@dataclass(frozen=True)
class Cells:
    """Per replication (first axis) and cell of the week: tickets within target and tickets decided."""

    within: np.ndarray
    decided: np.ndarray

    def levels(self) -> np.ndarray:
        """Per replication and cell, the service level (NaN where nothing was decided)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.decided > 0, self.within / np.where(self.decided > 0, self.decided, 1), np.nan)


def service_cells(
    runs: Sequence[RunRecords],
    targets: Mapping[str, float],
    grid: WeekGrid,
    first_teams: Sequence[str] | None = None,
) -> Cells:
    """Per replication and cell, within-target and decided tickets of the channels in ``targets``.

    ``targets`` maps a channel to its target (minutes): each ticket is judged by its own channel's
    target. ``first_teams`` keeps only tickets whose first stay was at one of those teams.
    """
    within, decided = [], []
    for run in runs:
        tickets = run.tickets[run.tickets["arrival"] >= run.warmup]
        if first_teams is not None:
            tickets = tickets[tickets["first_team"].astype(str).isin(list(first_teams)).to_numpy()]
        hit_cells, known_cells = grid.zeros(), grid.zeros()
        for channel, target in targets.items():
            mine = tickets[(tickets["channel"] == channel).to_numpy()]
            if mine.empty:
                continue
            hit, known = service_level_flags(mine, target, run.horizon)
            arrival = mine["arrival"].to_numpy(dtype=float)
            hit_cells += grid.add_at(arrival, hit.astype(float))
            known_cells += grid.add_at(arrival, known.astype(float))
        within.append(hit_cells)
        decided.append(known_cells)
    return Cells(np.array(within), np.array(decided))


@dataclass(frozen=True)
class Judgement:
    """A goal judged on replications: met or not, the worst judged period's mean and interval, P(met)."""

    met: bool
    achieved: float
    low: float
    high: float
    probability: float
    missed: np.ndarray
    """Per cell of the week, whether it missed (for a per-day goal: every cell of a missed day)."""


def judge(cells: Cells, goal: float, per: str, confidence: str, at_most: bool = False) -> Judgement:
    """Whether the service level meets ``goal`` in every interval, every day or over the week.

    ``at_most`` flips the test (a maximum, as for abandonment). ``probability`` is the share of
    replications x judged periods that meet the goal on their own.
    """
    within, decided = _periods(cells, per)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(decided > 0, within / np.where(decided > 0, decided, 1), np.nan)
    judged = decided.mean(axis=0) >= MIN_DECIDED
    count = np.sum(~np.isnan(values), axis=0)
    mean = np.where(count > 0, np.nansum(values, axis=0) / np.maximum(count, 1), np.nan)
    spread = np.sqrt(np.nansum((values - mean) ** 2, axis=0) / np.maximum(count - 1, 1))
    half = np.where(count > 1, stdtrit(np.maximum(count - 1, 1), 0.975) * spread / np.sqrt(np.maximum(count, 1)), 0)
    low, high = np.clip(mean - half, 0, 1), np.clip(mean + half, 0, 1)
    bound = (high if at_most else low) if confidence == "interval95" else mean
    ok = (bound <= goal + 1e-12) if at_most else (bound >= goal - 1e-12)
    miss = judged & ~ok
    single = (values <= goal + 1e-12) if at_most else (values >= goal - 1e-12)
    cells_judged = np.broadcast_to(judged, values.shape) & ~np.isnan(values)
    probability = float(single[cells_judged].mean()) if cells_judged.any() else math.nan
    if not judged.any():
        return Judgement(True, math.nan, math.nan, math.nan, probability, np.zeros(cells.within.shape[1:], bool))
    ranked = np.where(judged, -mean if at_most else mean, np.inf)
    worst = int(np.nanargmin(ranked))
    missed = _cells_of(miss, per, cells.within.shape[1:])
    return Judgement(not miss.any(), float(mean[worst]), float(low[worst]), float(high[worst]), probability, missed)


def _periods(cells: Cells, per: str) -> tuple[np.ndarray, np.ndarray]:
    """Within and decided per replication and period: flat cells, days, or the whole week."""
    reps = cells.within.shape[0]
    if per == "interval":
        return cells.within.reshape(reps, -1), cells.decided.reshape(reps, -1)
    if per == "day":
        return cells.within.sum(axis=2), cells.decided.sum(axis=2)
    return cells.within.sum(axis=(1, 2))[:, None], cells.decided.sum(axis=(1, 2))[:, None]


def _cells_of(miss: np.ndarray, per: str, shape: tuple[int, ...]) -> np.ndarray:
    """A per-period miss flag spread back over the cells of the week."""
    if per == "interval":
        return miss.reshape(shape)
    if per == "day":
        return np.repeat(miss[:, None], shape[1], axis=1)
    return np.full(shape, bool(miss.any()))
