"""Judging a roster against the goals on replications, and where to add agents when it misses.

Every goal is judged on the same replications (common random numbers), by the mean over them or by
its whole 95 % interval (the goals' ``confidence``):

- a channel's service level in every interval, every day or over the week (``measure.judge``);
- a priority's SLA attainment (first response or resolution) over the week;
- a channel's abandonment rate, or all live channels' together, at most its maximum.

A miss is turned into extra agents where the simulation shows the shortfall (``shortfall``): a
missed service-level interval gets one more agent in the pool that answered most of the interval's
late tickets first; a missed SLA gets one more agent in the intervals where that priority's breached
tickets waited longest, in the pool where they waited; missed abandonment, where the abandoned
customers gave up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.intervals import service_level_flags
from sim.engine.records import Exit, RunRecords
from sim.engine.tickets import Outcome
from sim.optimiser.grid import WeekGrid
from sim.optimiser.measure import Cells, Judgement, judge, service_cells

HOT_SHARE = 0.5
"""A missed weekly goal adds an agent in the busiest cells that hold this share of its problem tickets."""
HOT_CELLS = 0.1
"""…but in at most this share of the week's cells per round."""


@dataclass(frozen=True)
class Goal:
    """One goal as the verification judges it."""

    label: str
    kind: str
    subject: str
    per: str
    value: float
    confidence: str
    target: float = math.nan
    clock: str = ""


@dataclass(frozen=True)
class Verdict:
    """A goal judged on a roster's replications."""

    goal: Goal
    judgement: Judgement
    cells: Cells | None = None
    """Per replication and cell, for a service-level goal: within target and decided."""


def verdicts(
    goals: Sequence[Goal], runs: Sequence[RunRecords], kpis: pd.DataFrame, grid: WeekGrid, live: Sequence[str]
) -> list[Verdict]:
    """Every goal judged on the replications (``kpis``: one row per replication).

    ``live`` lists the channels with a patience: an abandonment goal without a channel covers them together.
    """
    out = []
    for goal in goals:
        if goal.kind == "service_level":
            cells = service_cells(runs, {goal.subject: goal.target}, grid)
            out.append(Verdict(goal, judge(cells, goal.value, goal.per, goal.confidence), cells))
        elif goal.kind == "sla":
            values = kpis.get(f"{goal.clock}_attainment.{goal.subject}", pd.Series(np.nan, index=kpis.index))
            out.append(Verdict(goal, judge(_weekly(values.to_numpy(dtype=float)), goal.value, "week", goal.confidence)))
        else:
            channels = [goal.subject] if goal.subject else list(live)
            values = np.array([abandonment_rate(run, channels) for run in runs])
            out.append(Verdict(goal, judge(_weekly(values), goal.value, "week", goal.confidence, at_most=True)))
    return out


def _weekly(values: np.ndarray) -> Cells:
    """Per-replication values as cells that ``judge`` reads over the week (NaN: no value that replication)."""
    known = ~np.isnan(values)
    return Cells(np.where(known, values, 0.0)[:, None, None], known.astype(float)[:, None, None])


def abandonment_rate(run: RunRecords, channels: Sequence[str]) -> float:
    """Abandoned over arrived after the warm-up, of the tickets of ``channels`` together."""
    tickets = run.tickets[run.tickets["arrival"] >= run.warmup]
    tickets = tickets[tickets["channel"].astype(str).isin(list(channels)).to_numpy()]
    if tickets.empty:
        return math.nan
    return float((tickets["outcome"] == Outcome.ABANDONED).mean())


def shortfall(
    missed: Sequence[Verdict], runs: Sequence[RunRecords], primary: Mapping[str, str], grid: WeekGrid
) -> dict[str, np.ndarray]:
    """Per pool, the agents to add in each cell of the week so that the missed goals are met next time."""
    extra: dict[str, np.ndarray] = {}
    for verdict in missed:
        for pool, cells in _where(verdict, runs, primary, grid).items():
            extra[pool] = np.maximum(extra.get(pool, grid.zeros()), cells)
    return extra


def _where(verdict: Verdict, runs: Sequence[RunRecords], primary: Mapping[str, str], grid: WeekGrid) -> dict:
    """One missed goal's extra agents per pool and cell."""
    goal = verdict.goal
    if goal.kind == "service_level":
        late = _late_first_stays(runs, goal.subject, goal.target, primary, grid)
        if not late:
            return {}
        totals = np.array([cells for cells in late.values()])
        owner = np.argmax(totals, axis=0)
        pools = list(late)
        return {
            pool: (verdict.judgement.missed & (owner == i) & (totals.max(axis=0) > 0)).astype(float)
            for i, pool in enumerate(pools)
        }
    counts = _waits(runs, goal, primary, grid) if goal.kind == "sla" else _abandons(runs, goal.subject, primary, grid)
    return {pool: _hot(cells) for pool, cells in _top_pool(counts).items()}


def _late_first_stays(
    runs: Sequence[RunRecords], channel: str, target: float, primary: Mapping[str, str], grid: WeekGrid
) -> dict[str, np.ndarray]:
    """Per pool, the tickets of ``channel`` it answered (or failed to answer) late first, by arrival cell."""
    out: dict[str, np.ndarray] = {}
    for run in runs:
        tickets = run.tickets[(run.tickets["arrival"] >= run.warmup) & (run.tickets["channel"] == channel)]
        if tickets.empty:
            continue
        hit, known = service_level_flags(tickets, target, run.horizon)
        late = known & ~hit
        teams = tickets["first_team"].astype(str).to_numpy()
        arrival = tickets["arrival"].to_numpy(dtype=float)
        for team in np.unique(teams[late]):
            pool = primary.get(team)
            if pool is not None:
                mine = late & (teams == team)
                out[pool] = out.get(pool, grid.zeros()) + grid.add_at(arrival[mine])
    return out


def _waits(runs: Sequence[RunRecords], goal: Goal, primary: Mapping[str, str], grid: WeekGrid) -> dict[str, np.ndarray]:
    """Per pool, by the cell it started, the longest-waiting stay of each ticket of the priority that broke its SLA."""
    out: dict[str, np.ndarray] = {}
    for run in runs:
        tickets = run.tickets[run.tickets["arrival"] >= run.warmup]
        broken = tickets[f"{goal.clock}_met"].eq(False).to_numpy()
        broke = tickets[(tickets["final_priority"] == goal.subject).to_numpy() & broken]
        visits = run.visits[run.visits["ticket"].isin(broke["ticket"]).to_numpy()]
        if visits.empty:
            continue
        waited = visits["left"].fillna(run.horizon) - visits["entered"] - visits["work"]
        longest = visits.loc[waited.groupby(visits["ticket"]).idxmax()]
        _tally(out, longest["team"].astype(str).to_numpy(), longest["entered"].to_numpy(dtype=float), primary, grid)
    return out


def _abandons(
    runs: Sequence[RunRecords], channel: str, primary: Mapping[str, str], grid: WeekGrid
) -> dict[str, np.ndarray]:
    """Per pool, by the cell the customer gave up in, the stays that ended in abandonment."""
    out: dict[str, np.ndarray] = {}
    for run in runs:
        tickets = run.tickets[run.tickets["arrival"] >= run.warmup]
        if channel:
            tickets = tickets[(tickets["channel"] == channel).to_numpy()]
        visits = run.visits
        mine = visits["ticket"].isin(tickets["ticket"]).to_numpy()
        gone = visits[(visits["exit"] == Exit.ABANDONED).to_numpy() & mine]
        _tally(out, gone["team"].astype(str).to_numpy(), gone["left"].to_numpy(dtype=float), primary, grid)
    return out


def _tally(
    out: dict[str, np.ndarray], teams: np.ndarray, times: np.ndarray, primary: Mapping[str, str], grid: WeekGrid
) -> None:
    """Add one count per (team's pool, cell of the time) into ``out``."""
    for team in np.unique(teams):
        pool = primary.get(team)
        if pool is not None:
            out[pool] = out.get(pool, grid.zeros()) + grid.add_at(times[teams == team])


def _top_pool(counts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Only the pool with the most problem tickets."""
    if not counts:
        return {}
    pool = max(counts, key=lambda name: counts[name].sum())
    return {pool: counts[pool]}


def _hot(counts: np.ndarray) -> np.ndarray:
    """One agent in the busiest cells that hold ``HOT_SHARE`` of the counts, at most ``HOT_CELLS`` of the week."""
    flat = counts.ravel()
    if flat.sum() <= 0:
        return np.zeros_like(counts)
    order = np.argsort(-flat, kind="stable")
    cumulative = np.cumsum(flat[order]) / flat.sum()
    take = min(int(np.searchsorted(cumulative, HOT_SHARE)) + 1, max(1, int(HOT_CELLS * flat.size)))
    out = np.zeros(flat.size)
    out[order[:take]] = 1.0
    return out.reshape(counts.shape)
