"""Business calendars: when a support organisation is open, and how its clocks tick.

Service-level targets in support are usually measured in *business* time: a
"4 hour" resolution target for a team working Monday to Friday 09:00-17:00 that
receives a ticket on Friday at 16:00 is due on Monday at 12:00, not on Friday at
20:00.  The simulation itself runs on *wall* time, in minutes since 00:00 of the
start day, so this module translates between the two.

A :class:`BusinessCalendar` is a weekly pattern (open weekdays, and one or more
open windows inside each open day) minus a finite set of holidays, given as day
indices since the simulation start.  Day ``d`` covers wall time
``[1440 * d, 1440 * (d + 1))`` and falls on weekday ``(start_weekday + d) % 7``
(0 = Monday).  Open windows are half-open, so a 09:00-17:00 window is closed at
exactly 17:00.

Because holidays are finite, the calendar is purely weekly after the last one;
:meth:`BusinessCalendar.add` uses that to jump over whole weeks at once, so the
cost of a deadline computation grows with the number of holidays and days
crossed, never with the number of minutes.

The module also offers the helpers that shift rosters and arrival-rate
profiles need: :func:`hour_of_week`, :func:`shift_instances` and
:func:`parse_clock`.
"""

from __future__ import annotations

import math
import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from sim.core.units import (
    DAYS_PER_WEEK,
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    MINUTES_PER_WEEK,
)

_ROUNDING = 1e-9
"""Minutes of floating-point slack: open time that runs out this close to a closing ends at it."""

_CLOCK = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")


def _check_weekday(weekday: int) -> int:
    """Return ``weekday`` unchanged, rejecting anything outside 0 (Monday) .. 6 (Sunday)."""
    if weekday not in range(DAYS_PER_WEEK):
        raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
    return weekday


def _check_clock_minutes(minutes: float, what: str) -> float:
    """Return ``minutes`` unchanged, rejecting values outside one day [0, 1440]."""
    if not 0 <= minutes <= MINUTES_PER_DAY:
        raise ValueError(f"{what} must be between 0 and 1440 minutes, got {minutes!r}")
    return minutes


def _split(t: float) -> tuple[int, float]:
    """Split wall time into (day index, minutes since that day's midnight)."""
    day, offset = divmod(t, MINUTES_PER_DAY)
    return int(day), offset


def _merge_windows(windows: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Validate daily windows and merge overlapping or adjacent ones, sorted by start."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"open window ({start!r}, {end!r}) must satisfy 0 <= start < end <= 1440")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


class BusinessCalendar:
    """Open hours of a support organisation: weekdays, daily time windows, holidays."""

    def __init__(
        self,
        name: str,
        days: Iterable[int],
        windows: Sequence[tuple[float, float]],
        holidays: Iterable[int] = (),
        start_weekday: int = 0,
    ) -> None:
        self.name = name
        self.days = frozenset(_check_weekday(day) for day in days)
        self.windows = _merge_windows(windows)
        self.holidays = frozenset(holidays)
        self.start_weekday = _check_weekday(start_weekday)
        self._sorted_holidays = sorted(self.holidays)
        self._last_holiday: float = max(self.holidays, default=-math.inf)
        self._daily_open = sum(end - start for start, end in self.windows)
        self._weekly_open = self._daily_open * len(self.days)
        self._week_starts, self._week_ends, self._week_before = self._weekly_table()
        self._always_open = (
            len(self.days) == DAYS_PER_WEEK and self.windows == ((0.0, MINUTES_PER_DAY),) and not self.holidays
        )

    @classmethod
    def always_open(cls, name: str = "24x7") -> BusinessCalendar:
        """Build a calendar that never closes, whose business time equals wall time."""
        return cls(name, range(DAYS_PER_WEEK), [(0.0, MINUTES_PER_DAY)])

    @property
    def is_24x7(self) -> bool:
        """Whether the calendar never closes, so callers may skip business-time arithmetic."""
        return self._always_open

    def is_open(self, t: float) -> bool:
        """Whether wall time ``t`` falls inside an open window of an open day."""
        day, offset = _split(t)
        return self._is_open_day(day) and any(start <= offset < end for start, end in self.windows)

    def next_open(self, t: float) -> float:
        """Return ``t`` if open, else the start of the next open window, where a paused clock resumes."""
        if self._always_open:
            return t
        self._require_open_time()
        day, offset = _split(t)
        if self._is_open_day(day):
            for start, end in self.windows:
                if offset < end:
                    return day * MINUTES_PER_DAY + max(start, offset)
        day += 1
        while not self._is_open_day(day):
            day += 1
        return day * MINUTES_PER_DAY + self.windows[0][0]

    def add(self, t: float, business_minutes: float) -> float:
        """Earliest wall time by which ``business_minutes`` of open time have elapsed since ``t``."""
        if not 0 <= business_minutes < math.inf:
            raise ValueError(f"business_minutes must be finite and >= 0, got {business_minutes!r}")
        if business_minutes == 0 or self._always_open:
            return t + business_minutes
        if self._weekly_open == 0:
            self._require_open_time()
        fast = self._add_by_weekly_table(t, business_minutes)
        if not self._sorted_holidays:  # the weekly table is the whole calendar
            return fast
        first, last = int(t // MINUTES_PER_DAY), int(fast // MINUTES_PER_DAY)
        if bisect_left(self._sorted_holidays, first) == bisect_left(self._sorted_holidays, last + 1):
            return fast
        day, offset = _split(t)
        remaining = business_minutes
        today = self._open_within_day(day, offset, MINUTES_PER_DAY)
        if remaining <= today + _ROUNDING:
            return self._advance_within_day(day, offset, remaining)
        day, remaining = self._skip_whole_weeks(day + 1, remaining - today)
        while True:
            today = self._open_within_day(day, 0.0, MINUTES_PER_DAY)
            if remaining <= today + _ROUNDING:
                return self._advance_within_day(day, 0.0, remaining)
            remaining -= today
            day += 1

    def adder(self) -> Callable[[float, float], float]:
        """``add`` in its fastest exact form, for business minutes known to be finite and above 0 (SLA targets).

        Around the clock that is plain addition; without holidays, the weekly table alone.
        """
        if self._always_open:
            return operator.add
        if self._weekly_open > 0 and not self._sorted_holidays:
            return self._add_by_weekly_table
        return self.add

    def add_each(self, times: np.ndarray, business_minutes: float) -> np.ndarray:
        """``adder()`` applied to each of ``times``, value for value: the due dates of a table's clocks at once."""
        add = self.adder()
        if add is operator.add:
            return times + business_minutes
        if add == self._add_by_weekly_table:
            return self._add_each_by_weekly_table(times, business_minutes)
        if not 0 < business_minutes < math.inf or self._weekly_open == 0:  # ``add`` answers or refuses these
            return np.array([add(t, business_minutes) for t in times.tolist()], dtype=float)
        return self._add_each_around_holidays(times, business_minutes)

    def _add_each_around_holidays(self, times: np.ndarray, business_minutes: float) -> np.ndarray:
        """``add`` on arrays for a calendar with holidays, value for value.

        The weekly table answers wherever no holiday falls in the days a clock spans (the check ``add``
        makes); the few clocks that meet one take ``add``'s day-by-day walk.
        """
        due = self._add_each_by_weekly_table(times, business_minutes)
        holidays = np.array(self._sorted_holidays, dtype=float)
        first, last = np.floor_divide(times, MINUTES_PER_DAY), np.floor_divide(due, MINUTES_PER_DAY)
        crossing = np.searchsorted(holidays, first, side="left") != np.searchsorted(holidays, last + 1, side="left")
        for k in np.flatnonzero(crossing).tolist():
            due[k] = self.add(float(times[k]), business_minutes)
        return due

    def _add_each_by_weekly_table(self, times: np.ndarray, business_minutes: float) -> np.ndarray:
        """``_add_by_weekly_table`` step for step on arrays: the same float operations, so the same values."""
        starts, ends, before = (
            np.array(x, dtype=float) for x in (self._week_starts, self._week_ends, self._week_before)
        )
        weekly = self._weekly_open
        week = np.floor_divide(times, MINUTES_PER_WEEK)
        minute = np.remainder(times, MINUTES_PER_WEEK)
        i = np.searchsorted(starts, minute, side="right") - 1
        j = np.maximum(i, 0)
        end = ends[j]
        target = before[j] + np.where(end < minute, end, minute) - starts[j] + business_minutes
        target[i < 0] = business_minutes
        more_weeks = np.floor_divide(target, weekly)
        target = np.remainder(target, weekly)
        at_closing = (target <= _ROUNDING) & (more_weeks > 0)
        more_weeks[at_closing] -= 1
        target[at_closing] += weekly
        i = np.maximum(np.searchsorted(before, target - _ROUNDING, side="left") - 1, 0)
        end = ends[i]
        reached = starts[i] + target - before[i]
        return (week + more_weeks) * MINUTES_PER_WEEK + np.where(end < reached, end, reached)

    def _weekly_table(self) -> tuple[list[float], list[float], list[float]]:
        """Open intervals of one week, with the open minutes before each, for the fast path of ``add``.

        Intervals are in minutes from the week's start (the weekday of time 0) and ignore holidays.
        """
        starts, ends, before = [], [], []
        total = 0.0
        for day in range(DAYS_PER_WEEK):
            if self._weekday(day) in self.days:
                for start, end in self.windows:
                    starts.append(day * MINUTES_PER_DAY + start)
                    ends.append(day * MINUTES_PER_DAY + end)
                    before.append(total)
                    total += end - start
        return starts, ends, before

    def _add_by_weekly_table(self, t: float, business_minutes: float) -> float:
        """``add`` as if there were no holidays: two bisections in the weekly table.

        It runs for every SLA clock, so it is written out by hand: ``a if a < b else b`` is ``min(b, a)``,
        and ``t // w``, ``t % w`` are ``divmod(t, w)``, value for value.
        """
        starts, ends, before, weekly = self._week_starts, self._week_ends, self._week_before, self._weekly_open
        week = t // MINUTES_PER_WEEK
        minute = t % MINUTES_PER_WEEK
        i = bisect_right(starts, minute) - 1  # the open minutes of the week before ``minute``, plus the new ones
        if i < 0:
            target = business_minutes
        else:
            end = ends[i]
            target = before[i] + (end if end < minute else minute) - starts[i] + business_minutes
        more_weeks = target // weekly
        target = target % weekly
        if target <= _ROUNDING and more_weeks > 0:  # ends at (or a hair past) a week's last closing
            more_weeks -= 1
            target += weekly
        # the interval where the target falls; a target that rounding put a hair past a closing stays there
        i = bisect_left(before, target - _ROUNDING) - 1
        if i < 0:
            i = 0
        end = ends[i]
        reached = starts[i] + target - before[i]
        return (week + more_weeks) * MINUTES_PER_WEEK + (end if end < reached else reached)

    def between(self, t0: float, t1: float) -> float:
        """Return the open minutes in ``[t0, t1)``, or 0 if ``t1 <= t0``."""
        if t1 <= t0:
            return 0.0
        if self._always_open:
            return t1 - t0
        day0, offset0 = _split(t0)
        day1, offset1 = _split(t1)
        if day0 == day1:
            return self._open_within_day(day0, offset0, offset1)
        return (
            self._open_within_day(day0, offset0, MINUTES_PER_DAY)
            + self._open_in_full_days(day0 + 1, day1)
            + self._open_within_day(day1, 0.0, offset1)
        )

    def _require_open_time(self) -> None:
        """Refuse to search for open time in a calendar that has none, rather than loop forever."""
        if self._weekly_open == 0:
            raise ValueError(f"calendar {self.name!r} has no open time (no open days or no open windows)")

    def _weekday(self, day: int) -> int:
        """Weekday (0 = Monday) of day index ``day``."""
        return (self.start_weekday + day) % DAYS_PER_WEEK

    def _is_open_day(self, day: int) -> bool:
        """Whether day index ``day`` is an open weekday and not a holiday."""
        return self._weekday(day) in self.days and day not in self.holidays

    def _open_within_day(self, day: int, lo: float, hi: float) -> float:
        """Open minutes of day ``day`` between ``lo`` and ``hi`` minutes after its midnight."""
        if not self._is_open_day(day):
            return 0.0
        return sum(max(0.0, min(end, hi) - max(start, lo)) for start, end in self.windows)

    def _open_in_full_days(self, first: int, stop: int) -> float:
        """Open minutes in the whole days ``first .. stop - 1``, in O(7 + holidays in range)."""
        if stop <= first:
            return 0.0
        weeks, rest = divmod(stop - first, DAYS_PER_WEEK)
        tail = range(stop - rest, stop)
        open_days = weeks * len(self.days) + sum(self._weekday(day) in self.days for day in tail)
        lo = bisect_left(self._sorted_holidays, first)
        hi = bisect_left(self._sorted_holidays, stop)
        closed = sum(self._weekday(day) in self.days for day in self._sorted_holidays[lo:hi])
        return (open_days - closed) * self._daily_open

    def _skip_whole_weeks(self, day: int, remaining: float) -> tuple[int, float]:
        """Jump over the whole weeks ``remaining`` outlasts, leaving at most a week to walk daily."""
        while day <= self._last_holiday:
            week = self._open_in_full_days(day, day + DAYS_PER_WEEK)
            if remaining <= week:
                return day, remaining
            remaining -= week
            day += DAYS_PER_WEEK
        weeks = math.ceil(remaining / self._weekly_open) - 1
        if weeks * self._weekly_open >= remaining:  # guard against rounding in the division
            weeks -= 1
        if weeks <= 0:
            return day, remaining
        return day + weeks * DAYS_PER_WEEK, remaining - weeks * self._weekly_open

    def _advance_within_day(self, day: int, offset: float, minutes: float) -> float:
        """Wall time when ``minutes`` of open time, known to fit, have elapsed from ``offset`` on ``day``."""
        midnight = day * MINUTES_PER_DAY
        for start, end in self.windows:
            if end <= offset:
                continue
            begin = max(start, offset)
            if minutes <= end - begin + _ROUNDING:
                return midnight + min(begin + minutes, end)
            minutes -= end - begin
        return midnight + self.windows[-1][1]  # only reached when rounding leaves a sliver over


def hour_of_week(t: float, start_weekday: int = 0) -> int:
    """Hour of the week at wall time ``t`` (0 = Monday 00:00-01:00 .. 167), for weekly rate profiles.

    Called for every candidate arrival, so it trusts ``start_weekday`` (0-6, from a date).
    """
    return int(t // MINUTES_PER_HOUR + HOURS_PER_DAY * start_weekday) % HOURS_PER_WEEK


def shift_instances(
    days: Iterable[int],
    start: float,
    end: float,
    horizon: float,
    start_weekday: int = 0,
) -> list[tuple[float, float]]:
    """Concrete ``(on, off)`` wall-time intervals of a recurring shift in ``[0, horizon)``, by start.

    ``days`` are the weekdays on which the shift starts; ``end <= start`` means
    the shift runs overnight into the next day.  A shift that started the day
    before time 0 and is still running at time 0 is included, clipped to 0.
    """
    start_days = frozenset(_check_weekday(day) for day in days)
    _check_weekday(start_weekday)
    _check_clock_minutes(start, "shift start")
    _check_clock_minutes(end, "shift end")
    if start == MINUTES_PER_DAY:
        raise ValueError("shift start must be before 24:00")
    length = end - start if end > start else MINUTES_PER_DAY - start + end
    last_day = math.ceil(horizon / MINUTES_PER_DAY)
    instances = []
    for day in range(-1, last_day):
        if (start_weekday + day) % DAYS_PER_WEEK not in start_days:
            continue
        on = max(day * MINUTES_PER_DAY + start, 0.0)
        off = min(day * MINUTES_PER_DAY + start + length, horizon)
        if on < off:
            instances.append((on, off))
    return instances


def parse_clock(text: str) -> float:
    """Convert an ``"HH:MM"`` clock time to minutes since midnight, accepting ``"24:00"`` as 1440.

    Non-text input raises ValueError rather than TypeError, so schema validators report it
    with its field path.
    """
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise ValueError(f"invalid clock time {text!r}: use HH:MM between 00:00 and 24:00, e.g. 08:30")
    return int(match[1]) * MINUTES_PER_HOUR + int(match[2])
