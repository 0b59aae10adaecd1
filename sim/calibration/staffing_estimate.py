"""A first roster for teams the export cannot staff: the work it shows, hour by hour, at a planning occupancy.

An export records tickets, not rosters. When no base scenario gives a team's shifts, the calibrated
scenario needs *some* staffing to run, so it estimates one from what the agents evidently did: each
stay's work (its fitted mean handle time) is placed in the hour of the week the stay ended (its next
group change, or the solve), which is when somebody was working it. The hour's load in agents is that
work per hour, averaged over the weeks of the export, and the staffing is ``ceil(load / OCCUPANCY)``
(at least one agent wherever the load reaches ``MIN_LOAD``). Each weekday's hourly staffing is then
cut into shifts by layers (the hours with at least k agents form the k-th layer's shifts), and equal
shifts on different days are merged.

This is an estimate to start from, said as much in the YAML: chat agents working two chats at once,
or work done after the stay ended, make it coarse. Replace it with the real roster (``--base``), or
let the optimiser find one (``run_sim.py optimise``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.core.units import DAYS_PER_WEEK, HOURS_PER_DAY
from sim.scenario.spec import WEEKDAYS

OCCUPANCY = 0.85
"""Planning occupancy: the share of an agent's hour spent working (a common contact-centre ceiling)."""
MIN_LOAD = 0.05
"""Hourly load (agents) below which an hour is left unstaffed (the work waits for the next shift)."""
HOURS_PER_WEEK = DAYS_PER_WEEK * HOURS_PER_DAY


def hourly_load(
    ends: pd.Series, work_minutes: np.ndarray, start: pd.Timestamp, end: pd.Timestamp, tz: str
) -> np.ndarray:
    """Mean agents busy in each of the 168 hours of the week (Monday 00:00 first), from work ending then."""
    slots = pd.date_range(start, end, freq="h", inclusive="left").tz_convert(tz)
    exposure = np.bincount(slots.day_of_week * HOURS_PER_DAY + slots.hour, minlength=HOURS_PER_WEEK)
    local = ends.dt.tz_convert(tz)
    cell = (local.dt.day_of_week * HOURS_PER_DAY + local.dt.hour).to_numpy()
    busy = np.bincount(cell, weights=work_minutes / 60.0, minlength=HOURS_PER_WEEK)
    return np.divide(busy, exposure, out=np.zeros(HOURS_PER_WEEK), where=exposure > 0)


def agents_needed(load: np.ndarray) -> np.ndarray:
    """Agents per hour: the load at ``OCCUPANCY``, none where it is below ``MIN_LOAD``."""
    agents = np.ceil(load / OCCUPANCY - 1e-9).astype(int)
    return np.where(load >= MIN_LOAD, np.maximum(agents, 1), 0)


def _clock(hour: int) -> str:
    return f"{hour % HOURS_PER_DAY:02d}:00"


def day_shifts(agents: np.ndarray) -> list[tuple[str, str, int]]:
    """One day's hourly staffing (24 values) as (start, end, agents) shifts, layer by layer."""
    counts: dict[tuple[int, int], int] = {}
    for level in range(1, int(agents.max(initial=0)) + 1):
        on = np.r_[False, agents >= level, False].astype(int)
        edges = np.flatnonzero(np.diff(on))
        for begin, finish in zip(edges[::2], edges[1::2], strict=True):
            counts[(int(begin), int(finish))] = counts.get((int(begin), int(finish)), 0) + 1
    return [(_clock(b), _clock(f), n) for (b, f), n in sorted(counts.items())]


def shifts_from_hours(agents: np.ndarray) -> list[dict]:
    """A week of hourly staffing (168 values) as shift documents, equal shifts on several days merged."""
    days: dict[tuple[str, str, int], list[str]] = {}
    for d, weekday in enumerate(WEEKDAYS):
        for shift in day_shifts(agents[d * HOURS_PER_DAY : (d + 1) * HOURS_PER_DAY]):
            days.setdefault(shift, []).append(weekday)
    return [{"days": weekdays, "start": start, "end": end, "agents": n} for (start, end, n), weekdays in days.items()]


def estimate_shifts(
    stays: pd.DataFrame, mean_work: dict[tuple[str, str], float], start: pd.Timestamp, end: pd.Timestamp, tz: str
) -> dict[str, tuple[list[dict], float]]:
    """Per team: estimated shifts and its peak hourly load (agents), from the stays and mean handle times.

    ``stays`` are ``stays.group_stays`` rows with an ``ended`` column (UTC); a stay of a category and team
    without a fitted mean uses the team's mean over its categories.
    """
    out: dict[str, tuple[list[dict], float]] = {}
    for team, rows in stays.groupby("group", sort=True):
        means = {c: m for (c, t), m in mean_work.items() if t == team and math.isfinite(m)}
        if not means:
            continue
        fallback = float(np.mean(list(means.values())))
        work = rows["category"].map(means).fillna(fallback).to_numpy(dtype=float)
        load = hourly_load(rows["ended"], work, start, end, tz)
        shifts = shifts_from_hours(agents_needed(load))
        if shifts:
            out[str(team)] = (shifts, float(load.max()))
    return out
