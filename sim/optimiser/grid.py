"""The planning grid: a week of clock-aligned intervals, indexed [weekday (0 = Monday), interval of the day].

Shifts recur weekly, so a requirement, a staffing curve and a roster live on this grid. A simulation
longer than a week folds onto it: every Monday 09:00-09:30 of the run is the same cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.units import MINUTES_PER_DAY
from sim.scenario.clock import WEEKDAYS, clock_text

DAYS_PER_WEEK = len(WEEKDAYS)


@dataclass(frozen=True)
class WeekGrid:
    """A week cut into ``interval``-minute cells, for a run whose time 0 falls on ``start_weekday`` at midnight."""

    interval: float
    start_weekday: int

    @property
    def per_day(self) -> int:
        """Intervals in a day."""
        return round(MINUTES_PER_DAY / self.interval)

    @property
    def shape(self) -> tuple[int, int]:
        """(7, intervals per day): the shape of every array on the grid."""
        return DAYS_PER_WEEK, self.per_day

    def zeros(self) -> np.ndarray:
        """An all-zero array on the grid."""
        return np.zeros(self.shape)

    def cells(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (weekday, interval of the day) cell of each simulation time (minutes from time 0)."""
        times = np.asarray(times, dtype=float)
        day = np.floor(times / MINUTES_PER_DAY).astype(int)
        weekday = (self.start_weekday + day) % DAYS_PER_WEEK
        slot = np.floor((times - day * MINUTES_PER_DAY) / self.interval).astype(int)
        return weekday, np.clip(slot, 0, self.per_day - 1)

    def flat(self, times: np.ndarray) -> np.ndarray:
        """The flat cell index (weekday x intervals per day + interval) of each time."""
        weekday, slot = self.cells(times)
        return weekday * self.per_day + slot

    def add_at(self, times: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum ``weights`` (1 each when None) into the cells of ``times``."""
        counts = np.bincount(self.flat(times), weights=weights, minlength=DAYS_PER_WEEK * self.per_day)
        return counts.reshape(self.shape).astype(float)

    def labels(self) -> tuple[list[str], list[int], list[str]]:
        """Per cell in flat order: the weekday name, the interval index and its clock time ``HH:MM``."""
        days = [day for day in WEEKDAYS for _ in range(self.per_day)]
        slots = list(range(self.per_day)) * DAYS_PER_WEEK
        return days, slots, [clock_text(s * self.interval) for s in slots]
