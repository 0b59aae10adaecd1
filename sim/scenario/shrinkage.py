"""Time agents are rostered but not on the phones: breaks, lunch, meetings and coaching, absence.

One ``ShrinkageSpec`` per team (``teams[].shrinkage``). Its away blocks are placed per agent of a
duty block (one shift's agents on one day) by rule, and the engine (``sim.engine.shrinkage``) takes
them one after the other: an agent finishes the ticket in hand first, so a block may start late but
always keeps its full length (cut only by the shift's end). An empty ``shrinkage: {}`` models no
shrinkage but still keeps the per-agent time records.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.core.units import Duration
from sim.scenario.clock import Clock, TimeWindow, Weekday
from sim.scenario.fields import Spec


class BreakRule(Spec):
    """Short breaks at a fixed rhythm from the start of each shift (e.g. 15 minutes every 2 hours)."""

    every: Duration = Field(gt=0, description="a break falls due after each this much time from the shift start")
    length: Duration = Field(gt=0, description="how long each break lasts")
    stagger: Duration = Field(
        default=0.0,
        ge=0,
        description="agent i of a duty block takes its breaks i x stagger later (modulo 'every'), so "
        "the team is not away all at once",
    )

    @model_validator(mode="after")
    def _fits(self) -> BreakRule:
        if self.length >= self.every:
            raise ValueError("a break must be shorter than the time between breaks ('length' < 'every')")
        return self


class LunchRule(Spec):
    """One lunch per agent per shift, inside a daily window, spread evenly across the agents."""

    length: Duration = Field(gt=0, description="how long the lunch lasts")
    window: TimeWindow = Field(
        description='daily window, e.g. "11:30-13:30": the team\'s agents of the day whose shifts reach into it '
        "are spread evenly, the first starting at its start and the last ending at its end, each within its shift"
    )

    @model_validator(mode="after")
    def _fits(self) -> LunchRule:
        if self.length > self.window[1] - self.window[0]:
            raise ValueError("the lunch is longer than its window")
        return self


class MeetingSpec(Spec):
    """A recurring block off the phones: a team meeting, or coaching of a few agents at a time."""

    kind: Literal["meeting", "coaching"] = Field(default="meeting", description="the shrinkage cause it counts as")
    start: Clock = Field(description="clock time HH:MM it starts")
    length: Duration = Field(gt=0, description="how long it lasts")
    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], description="weekdays it takes place")
    agents: int | None = Field(
        default=None,
        ge=1,
        description="agents of the team on duty then that attend, taken in turn day by day (coaching one at a "
        "time: 1); none: all of them",
    )


class ShrinkageSpec(Spec):
    """A team's shrinkage: breaks, lunch, meetings and coaching, and absenteeism."""

    breaks: BreakRule | None = Field(default=None, description="short breaks by rule; none: no breaks")
    lunch: LunchRule | None = Field(default=None, description="a lunch per shift inside a window; none: no lunch")
    meetings: list[MeetingSpec] = Field(default=[], description="meetings and coaching blocks")
    absenteeism: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="chance that a rostered agent does not show up for a shift, drawn per agent and shift "
        "(needs shifts)",
    )
