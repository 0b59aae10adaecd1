"""The optimiser's start: from a pilot run and the goals to per-pool targets and an Erlang C curve per interval.

The pilot simulates the scenario as it is staffed. Its records give who serves which queue
(``served_shares``), each pool's shrinkage (``pilot_shrinkage``) and its offered load per interval;
the goals file gives the goals a planner reads (``goal_list``) and what ISA staffs each optimised
pool for (``pool_targets``). ``erlang_curves`` staffs each pool by Erlang C at the pilot's load,
alone and in steady state: the spreadsheet answer. None of it searches; it is apart from the
search (``optimise``) so the search can start near the answer, from targets that are read and
tested on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import pandas as pd

from sim.analysis.kpis import replication_kpis
from sim.analysis.offered_load import pooled_offered_load
from sim.analysis.theory import required_agents
from sim.core.units import MINUTES_PER_HOUR
from sim.engine.records import RunRecords
from sim.optimiser.goals import Goals, ServiceLevelGoal
from sim.optimiser.grid import WeekGrid
from sim.optimiser.isa import PoolTarget
from sim.optimiser.measure import MAX_SHRINKAGE
from sim.optimiser.pools import primary_pools, staffed_pools
from sim.optimiser.verify import Goal
from sim.scenario.spec import Scenario

SERVES = 0.25
"""A pool's first-contact goal covers the queues it serves at least this share of."""

Curves = dict[str, np.ndarray]
T = TypeVar("T")


def served_shares(scenario: Scenario, runs: Sequence[RunRecords]) -> dict[str, dict[str, float]]:
    """Per pool, the share of each team queue it serves (``served_by`` over the pilot; a team alone: 1)."""
    primary = primary_pools(scenario)
    shares: dict[str, dict[str, float]] = {pool.name: {} for pool in staffed_pools(scenario)}
    served = [_served(run) for run in runs]
    for team in scenario.teams:
        counts: dict[str, float] = {}
        for table in served:
            for pool, n in table.get(team.name, {}).items():
                counts[pool] = counts.get(pool, 0.0) + n
        total = sum(counts.values())
        if total == 0:
            if team.name in primary and primary[team.name] in shares:
                shares[primary[team.name]][team.name] = 1.0
            continue
        for pool, n in counts.items():
            if pool in shares:
                shares[pool][team.name] = n / total
    return shares


def _served(run: RunRecords) -> dict[str, dict[str, float]]:
    """Per team, how many of its stays each pool picked up first (empty without agent groups: teams serve alone)."""
    visits = run.visits
    if "served_by" not in visits:
        return {}
    picked = visits[(visits["served_by"].astype(str) != "").to_numpy()]
    out: dict[str, dict[str, float]] = {}
    for (team, pool), n in picked.groupby([picked["team"].astype(str), picked["served_by"].astype(str)]).size().items():
        out.setdefault(str(team), {})[str(pool)] = float(n)
    return out


def pilot_shrinkage(scenario: Scenario, runs: Sequence[RunRecords]) -> dict[str, float]:
    """Per pool, the share of rostered time not available in the pilot over the week (``shrinkage_team.<pool>``)."""
    kpis = pd.DataFrame([replication_kpis(run, scenario) for run in runs])
    out = {}
    for pool in staffed_pools(scenario):
        value = kpis.get(f"shrinkage_team.{pool.name}", pd.Series(dtype=float)).mean()
        out[pool.name] = 0.0 if value != value else min(float(value), MAX_SHRINKAGE)
    return out


def goal_list(goals: Goals) -> list[Goal]:
    """The goals file's goals, each with a label a planner reads (``goals`` as ``load_goals`` resolved them)."""
    out = []
    for entry in _service_levels(goals):
        goal, target = resolved(entry.goal), resolved(entry.target)
        per = {"interval": "every interval", "day": "every day", "week": "over the week"}[entry.per]
        label = f"{entry.channel}: {goal:.0%} answered in {_duration(target)}, {per}"
        confidence = entry.confidence or goals.confidence
        out.append(Goal(label, "service_level", entry.channel, entry.per, goal, confidence, target))
    for sla in goals.sla:
        label = f"{sla.priority}: {sla.goal:.0%} meet the {sla.clock.replace('_', ' ')} SLA"
        confidence = sla.confidence or goals.confidence
        out.append(Goal(label, "sla", sla.priority, "week", sla.goal, confidence, clock=sla.clock))
    for cap in goals.abandonment:
        subject = cap.channel or ""
        label = f"{subject or 'live channels'}: at most {cap.max:.0%} abandon"
        out.append(Goal(label, "abandonment", subject, "week", cap.max, cap.confidence or goals.confidence))
    return out


def _service_levels(goals: Goals) -> list[ServiceLevelGoal]:
    """The service-level goals (none when the file sets none)."""
    return goals.service_level or []


def resolved(value: T | None) -> T:
    """A field ``load_goals`` fills from the scenario; refuse goals built without it rather than guess."""
    if value is None:
        raise ValueError("goals are not resolved against the scenario: load them with load_goals or default_goals")
    return value


def _duration(minutes: float) -> str:
    """30 s, 1 min, 2 h: a target as people say it."""
    if minutes < 1:
        return f"{minutes * 60:.0f} s"
    if minutes < MINUTES_PER_HOUR:
        return f"{minutes:g} min"
    return f"{minutes / MINUTES_PER_HOUR:g} h"


def pool_targets(
    scenario: Scenario, goals: Goals, pilot: Sequence[RunRecords], shares: dict[str, dict[str, float]]
) -> list[PoolTarget]:
    """What ISA staffs each optimised pool for: its first-contact service-level goal, or its delay probability."""
    first = pd.concat([run.tickets[run.tickets["arrival"] >= run.warmup] for run in pilot])
    targets = []
    for pool in staffed_pools(scenario):
        limits = goals.pool(pool.name)
        if limits.fixed:
            continue
        teams = [team for team, share in shares.get(pool.name, {}).items() if share >= SERVES]
        mine = first[first["first_team"].astype(str).isin(teams).to_numpy()]
        channels = set(mine["channel"].astype(str))
        entries = [e for e in _service_levels(goals) if e.channel in channels]
        target = PoolTarget(
            pool.name, shares.get(pool.name, {}), limits.delay_probability, limits.min_agents, limits.max_agents
        )
        if entries:
            target.targets = {e.channel: resolved(e.target) for e in entries}
            target.first_teams = teams
            target.goal = max(resolved(e.goal) for e in entries)
            target.per = min((e.per for e in entries), key=["interval", "day", "week"].index)
            target.confidence = (
                "interval95" if any((e.confidence or goals.confidence) == "interval95" for e in entries) else "mean"
            )
            target.alpha = 1 - target.goal
        targets.append(target)
    return targets


def erlang_curves(
    scenario: Scenario,
    goals: Goals,
    grid: WeekGrid,
    pilot: Sequence[RunRecords],
    shares: dict[str, dict[str, float]],
    targets: Sequence[PoolTarget],
) -> tuple[Curves, Curves]:
    """Per optimised pool and interval, the Erlang C requirement at the pilot's offered load, and that load.

    Each queue is staffed alone, in steady state: the spreadsheet answer, and ISA's start.
    """
    load = pooled_offered_load(pilot, scenario, goals.interval)
    flat = grid.flat(load["start"].to_numpy(dtype=float))
    size = grid.shape[0] * grid.shape[1]
    out: Curves = {}
    loads: Curves = {}
    seen = np.bincount(flat, minlength=size) > 0
    for target in targets:
        rate, erlangs = np.zeros(size), np.zeros(size)
        for team, share in target.shares.items():
            mine = (load["team"] == team).to_numpy()
            times = np.maximum(np.bincount(flat[mine], minlength=size), 1)  # a cell's occurrences in the run
            rate += share * np.bincount(flat[mine], weights=load["rate"].to_numpy()[mine], minlength=size) / times
            erlangs += share * np.bincount(flat[mine], weights=load["load"].to_numpy()[mine], minlength=size) / times
        rate, erlangs = (_same_time_of_day(values, seen, grid) for values in (rate, erlangs))
        level = target.goal if target.searched else 1 - target.alpha
        wait = min(target.targets.values()) if target.searched else 0.0
        curve = np.array([_agents(r, a, level, wait) for r, a in zip(rate, erlangs, strict=True)])
        out[target.pool] = _bounded(curve.reshape(grid.shape), target)
        loads[target.pool] = erlangs.reshape(grid.shape)
    return out, loads


def _same_time_of_day(values: np.ndarray, seen: np.ndarray, grid: WeekGrid) -> np.ndarray:
    """Cells the pilot never measured (its warm-up, a horizon under a week) take their time of day's mean."""
    table, measured = values.reshape(grid.shape), seen.reshape(grid.shape)
    counts = measured.sum(axis=0)
    means = np.where(counts > 0, (table * measured).sum(axis=0) / np.maximum(counts, 1), 0.0)
    return np.where(measured, table, means[np.newaxis, :]).ravel()


def _agents(rate: float, erlangs: float, level: float, wait: float) -> float:
    """Erlang C: the fewest agents answering ``level`` of ``rate`` per hour within ``wait`` min at ``erlangs`` load."""
    if rate <= 0 or erlangs <= 0:
        return 0.0
    work = erlangs * MINUTES_PER_HOUR / rate
    return float(required_agents(rate / MINUTES_PER_HOUR, 1 / work, level, wait))


def _bounded(curve: np.ndarray, target: PoolTarget) -> np.ndarray:
    """The curve within the pool's minimum and maximum agents."""
    curve = np.maximum(curve, target.low)
    return curve if target.high is None else np.minimum(curve, target.high)
