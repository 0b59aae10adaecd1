"""A first roster for teams the export cannot staff: the work it shows, hour by hour, at a planning occupancy.

An export records tickets, not rosters. When no base scenario gives a team's shifts, the calibrated
scenario needs *some* staffing to run, so it estimates one from what the agents evidently did: each
stay's work (its fitted mean handle time) is placed in the hour of the week the stay ended (its next
group change, or the solve), which is when somebody was working it. The hour's load in agents is that
work per hour, averaged over the weeks of the export, and the staffing is ``ceil(load / OCCUPANCY)``
(at least one agent wherever the load reaches ``MIN_LOAD``), after averaging each hour with its
neighbours. Eight-hour shifts then cover it, started greedily round the week wherever the shifts
already on leave a shortfall, and shifts at the same time on several days are merged.

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
SHIFT_HOURS = 8
"""Length of an estimated shift (breaks are not modelled in an estimate)."""
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


def smoothed(load: np.ndarray) -> np.ndarray:
    """The week's hourly load averaged with its neighbouring hours (circular): one busy hour is noise."""
    return (np.roll(load, 1) + load + np.roll(load, -1)) / 3.0


def cover(need: np.ndarray, length: int = SHIFT_HOURS) -> np.ndarray:
    """Shifts of ``length`` hours starting at each hour of the week that cover ``need`` (168 values).

    Greedy round the week from its quietest hour: wherever the shifts already started leave a
    shortfall, as many shifts start as are missing. Shifts started late on Sunday cover Monday's
    first hours.
    """
    starts = np.zeros(HOURS_PER_WEEK, dtype=int)
    covered = np.zeros(HOURS_PER_WEEK, dtype=int)
    first = int(np.argmin(need))
    for step in range(HOURS_PER_WEEK):
        hour = (first + step) % HOURS_PER_WEEK
        missing = int(need[hour]) - covered[hour]
        if missing > 0:
            starts[hour] += missing
            covered[(hour + np.arange(length)) % HOURS_PER_WEEK] += missing
    return starts


def shifts_from_hours(need: np.ndarray, length: int = SHIFT_HOURS) -> list[dict]:
    """A week of hourly staffing (168 values) as shift documents, equal shifts on several days merged."""
    starts = cover(need, length)
    days: dict[tuple[int, int], list[str]] = {}
    for hour in np.flatnonzero(starts):
        day, clock = divmod(int(hour), HOURS_PER_DAY)
        days.setdefault((clock, int(starts[hour])), []).append(WEEKDAYS[day])
    return [
        {"days": weekdays, "start": _clock(clock), "end": _clock(clock + length), "agents": agents}
        for (clock, agents), weekdays in sorted(days.items())
    ]


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
        load = smoothed(hourly_load(rows["ended"], work, start, end, tz))
        shifts = shifts_from_hours(agents_needed(load))
        if shifts:
            out[str(team)] = (shifts, float(load.max()))
    return out
