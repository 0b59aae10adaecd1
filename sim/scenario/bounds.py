"""Values a scenario may hold but no run can: a date past the calendar, arrivals or handle times past any float.

Each field is valid on its own (a start date, a finite horizon, a finite multiplier); only together
do they overflow, so these checks run with the cross-checks (``checks.reference_problems``) and name
the field to change. Without them such a scenario validated and then crashed or ran for ever.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from sim.core.distributions import Distribution
from sim.core.units import MINUTES_PER_DAY
from sim.scenario.fields import Path
from sim.scenario.spec import CategorySpec, Scenario
from sim.scenario.workload import channel_tickets


def bound_problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    """Yield (field path, message) for every combination of values that overflows what a run can hold."""
    yield from _dated(s)
    yield from _scalable(s)
    yield from _countable(s)


def _dated(s: Scenario) -> Iterator[tuple[Path, str]]:
    """The run must end on a date the calendar can name: results label times with dates."""
    days_left = (dt.date.max - s.start_date).days
    if s.horizon >= days_left * MINUTES_PER_DAY:
        yield (
            ("start_date",),
            (
                f"{s.start_date} plus the horizon ({_days(s.horizon)}) runs past "
                f"{dt.date.max}, the last date results can be labelled with; choose a shorter horizon or an "
                "earlier start_date (only its weekday and holidays matter)"
            ),
        )


def _countable(s: Scenario) -> Iterator[tuple[Path, str]]:
    """A channel's expected arrivals must be a number: 1e308 tickets an hour times a profile is not, even --force'd."""
    for i, arrivals in enumerate(channel_tickets(s)):
        if not math.isfinite(arrivals):
            yield (
                ("channels", i),
                (
                    "its rate_per_hour times its hour_of_day, day_of_week and surge factors is beyond any finite "
                    "number of tickets; give the rate in tickets per hour and the profiles as multipliers near 1"
                ),
            )


def _days(minutes: float) -> str:
    """A horizon in days as people read it: 5 days, 3,650,000 days, or 6.9e+296 days when it is absurd."""
    days = minutes / MINUTES_PER_DAY
    return f"{days:,.0f} days" if days < 1e12 else f"{days:.2g} days"


def _scalable(s: Scenario) -> Iterator[tuple[Path, str]]:
    """A team's ``handle_time_multiplier`` must leave every duration it scales finite (1e308 x 2 is not)."""
    for i, team in enumerate(s.teams):
        m = team.handle_time_multiplier
        beyond = next((c.name for c in s.categories if not _scales(_scaled_durations(c, team.name), m)), None)
        if beyond is not None:
            yield (
                ("teams", i, "handle_time_multiplier"),
                (
                    f"{m:g} times the handle times of {beyond!r} is beyond any finite time; "
                    "use a multiplier that keeps them finite (a team 10x slower is 10)"
                ),
            )


def _scaled_durations(category: CategorySpec, team: str) -> list[Distribution]:
    """The durations of ``category`` that ``team``'s multiplier scales: handle time, failed attempt, reply."""
    reply = category.customer_reply.handle_time if category.customer_reply else None
    return [d for d in (category.handle_time_for(team), category.failed_attempt_time, reply) if d is not None]


def _scales(durations: list[Distribution], factor: float) -> bool:
    """Whether every one of ``durations`` times ``factor`` is still a valid (finite) distribution."""
    try:
        for dist in durations:
            dist.scaled(factor)
    except ValueError:  # pydantic's ValidationError is one: a scaled mean or spread is not finite
        return False
    return True
