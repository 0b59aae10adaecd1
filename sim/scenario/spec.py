"""The scenario: one YAML file that describes a support organisation and how long to simulate it.

This module is the typed schema of the organisation and its demand: calendars, channels,
categories, teams, agent groups, routing and reporting, under the ``Scenario`` root; the SLA
policies have a module of their own (``sla_spec``), as do the escalation rules (``escalation``).
Every default lives in the schema, unknown keys are rejected, and the checks that tie names together
(a routing rule naming a team that does not exist, a category mix naming an unknown category…)
report the exact field path, so a planner can fix the file from the message alone. Times are
minutes; durations accept units (``"5m"``, ``"4h"``); rates are per hour.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.core.distributions import Distribution
from sim.core.seeds import MAX_SEED
from sim.core.units import HOURS_PER_DAY, MINUTES_PER_WEEK, Duration, parse_duration
from sim.scenario.clock import WEEKDAYS as WEEKDAYS  # re-exported: the engine and reports import them from here
from sim.scenario.clock import Clock, TimeWindow, Weekday
from sim.scenario.clock import clock_text as clock_text
from sim.scenario.demand_extras import BacklogEntry, SelfService, VolumeUncertainty
from sim.scenario.escalation import EscalationSpec
from sim.scenario.fields import Name, Spec, Weight
from sim.scenario.journeys import CallbackSpec, RetrialSpec
from sim.scenario.shrinkage import ShrinkageSpec
from sim.scenario.sla_spec import SlaPolicy


class CalendarSpec(Spec):
    """Business hours: open weekdays, daily windows and holidays (closed all day)."""

    name: Name = Field(description="how SLA clocks refer to this calendar")
    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], description="open weekdays")
    hours: list[TimeWindow] = Field(
        default=[(540.0, 1020.0)],
        min_length=1,
        description='open windows each day, e.g. ["08:00-12:00", "13:00-18:00"]',
    )
    holidays: list[dt.date] = Field(default=[], description="dates closed all day (YYYY-MM-DD)")


class Surge(Spec):
    """A temporary rise (or fall) in a channel's arrival rate, e.g. an outage."""

    start: Duration = Field(description="when the surge begins, from the simulation start")
    duration: Duration = Field(gt=0, description="how long it lasts")
    multiplier: float = Field(gt=0, description="factor applied to the channel's rate")
    category_mix: dict[Name, Weight] | None = Field(default=None, description="category mix during the surge")


class ServiceLevelTarget(Spec):
    """A channel's speed-of-answer goal, e.g. 80 % answered within 20 seconds."""

    target: Duration = Field(gt=0, description="answer within this time")
    goal: float = Field(default=0.8, gt=0, le=1, description="share of tickets to answer within the target")


class ChannelSpec(Spec):
    """A way customers reach support (phone, chat, email, in-app…) and how they behave there."""

    name: Name = Field(description="e.g. phone, chat, email, in-app")
    rate_per_hour: float | None = Field(default=None, ge=0, description="mean arrivals per hour before profiles")
    arrival_times: list[Duration] | None = Field(
        default=None, description="fixed arrival times instead of a rate (replaying a log, or a story)"
    )
    hour_of_day: list[Annotated[float, Field(ge=0)]] | None = Field(
        default=None,
        min_length=HOURS_PER_DAY,
        max_length=HOURS_PER_DAY,
        description="24 multipliers, one per hour from 00:00",
    )
    day_of_week: dict[Weekday, Annotated[float, Field(ge=0)]] = Field(
        default={}, description="multiplier per weekday; a weekday left out keeps 1.0"
    )
    surges: list[Surge] = Field(default=[], description="temporary changes of the rate (and mix)")
    category_mix: dict[Name, Weight] = Field(min_length=1, description="relative weights of categories")
    patience: Distribution | None = Field(
        default=None,
        description="time a customer waits before abandoning, over all waits of one contact; none: never abandons",
    )
    patience_after_transfer: Literal["remaining", "fresh"] = Field(
        default="remaining",
        description="after a transfer: 'remaining' keeps what is left of the contact's patience, 'fresh' draws anew",
    )
    concurrency: int = Field(default=1, ge=1, description="tickets of this channel an agent can work at once")
    concurrency_slowdown: float = Field(
        default=0.2,
        ge=0,
        description=(
            "handle-time increase per other chat the agent holds when a session starts "
            "(0.2: a second chat takes 1.2x, a third 1.4x)"
        ),
    )
    service_level: ServiceLevelTarget | None = Field(default=None, description="speed-of-answer goal for the KPIs")
    volume_uncertainty: VolumeUncertainty | None = Field(
        default=None, description="an uncertain forecast: a random factor on each day's rate; none: the rate as given"
    )
    callback: CallbackSpec | None = Field(
        default=None, description="callbacks (virtual hold) instead of waiting on the line; none: no callbacks"
    )
    retrial: RetrialSpec | None = Field(
        default=None, description="callers who hang up and call again later; none: nobody calls again"
    )
    after_call_work: Distribution | None = Field(
        default=None,
        description="wrap-up after each agent session on this channel's tickets: the agent stays busy, "
        "no customer is served; none: no after-call work",
    )

    @model_validator(mode="after")
    def _rate_or_times(self) -> ChannelSpec:
        if (self.rate_per_hour is None) == (self.arrival_times is None):
            raise ValueError("give a channel either 'rate_per_hour' or 'arrival_times', not both")
        if self.volume_uncertainty is not None and self.arrival_times is not None:
            raise ValueError("'volume_uncertainty' varies a rate; a channel with fixed 'arrival_times' has none")
        if self.patience_after_transfer == "fresh" and self.patience is None:
            raise ValueError("'patience_after_transfer: fresh' needs a 'patience' (customers who never abandon)")
        for feature in ("callback", "retrial"):
            if getattr(self, feature) is not None and self.patience is None:
                raise ValueError(
                    f"'{feature}' needs a 'patience': only customers waiting on the line "
                    "(a live channel) hang up, call again or take a callback"
                )
        return self


class CustomerReply(Spec):
    """Tickets that need information from the customer before they can be resolved."""

    probability: float = Field(ge=0, le=1, description="share of tickets that need the customer's answer")
    delay: Distribution = Field(description="time until the customer answers (SLA clocks may pause)")
    handle_time: Distribution | None = Field(
        default=None, description="work after the reply; default: a fresh handle time"
    )


class Reopen(Spec):
    """Resolved tickets that come back: with a probability per resolving team, after a delay."""

    probability: Annotated[float, Field(ge=0, le=1)] | dict[Name, Annotated[float, Field(ge=0, le=1)]] = Field(
        description="one probability, or one per resolving team (a team left out: 0)"
    )
    delay: Distribution = Field(description="time from resolution to reopening")
    return_to: Literal["resolver", "first"] = Field(
        default="resolver", description="the resolving team, or the ticket's first team"
    )
    max: int = Field(
        default=1,
        ge=0,
        le=100,
        description="reopens per ticket at most (up to 100); the chance is drawn at each resolution until then",
    )

    def probability_for(self, team: str) -> float:
        """Chance that a ticket ``team`` resolved comes back (0 for a team the mapping leaves out)."""
        if isinstance(self.probability, dict):
            return self.probability.get(team, 0.0)
        return self.probability


class CategorySpec(Spec):
    """An issue type: its priorities, customers, work content and attributes."""

    name: Name = Field(description="how channels' mixes and routing refer to it")
    priority: dict[Name, Weight] | None = Field(default=None, description="priority mix; default: all the least urgent")
    segment: dict[Name, Weight] | None = Field(default=None, description="segment mix; default: all the first segment")
    handle_time: Distribution | dict[Name, Distribution] = Field(
        description="one distribution for every team, or one per team name"
    )
    skill: Name | None = Field(default=None, description="skill a team needs to work this category")
    attributes: dict[Name, Distribution] = Field(default={}, description="ticket attributes, e.g. refund_amount")
    customer_reply: CustomerReply | None = Field(default=None, description="tickets that wait on the customer once")
    path: list[Name] = Field(default=[], description="teams a failed attempt escalates through, in order")
    resolve_probability: dict[Name, Annotated[float, Field(ge=0, le=1)]] = Field(
        default={}, description="per team: chance an attempt resolves; a team left out always resolves"
    )
    failed_attempt_time: Distribution | None = Field(
        default=None, description="time an unsuccessful attempt costs; default: a normal handle time"
    )
    requires: list[Name] = Field(default=[], description="permissions a team's authority must grant")
    regulated: bool = Field(default=False, description="goes to the compliance team at once, top priority")
    reopen: Reopen | None = Field(default=None, description="resolved tickets that come back")
    self_service: SelfService | None = Field(
        default=None, description="a share of contacts tries self-service (IVR, bot) first; none: all reach agents"
    )

    def handle_time_for(self, team: str) -> Distribution | None:
        """Handle time of this category at ``team``; None when the per-team mapping leaves the team out."""
        if isinstance(self.handle_time, dict):
            return self.handle_time.get(team)
        return self.handle_time


class ShiftSpec(Spec):
    """A recurring block of agents; an end before the start runs overnight."""

    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], description="weekdays the shift starts")
    start: Clock = Field(description="clock time HH:MM the agents come on duty")
    end: Clock = Field(description="clock time HH:MM they leave (after finishing the ticket in hand)")
    agents: int = Field(ge=1, description="agents on this shift")


class TeamSpec(Spec):
    """A group of agents that shares one queue."""

    name: Name = Field(description="how routing and escalation refer to the team")
    tier: int = Field(default=1, ge=1, description="1 = frontline; used for cost by resolving tier")
    skills: list[Name] = Field(default=[], description="skills its agents have (matched to categories' skill)")
    agents: int | None = Field(
        default=None,
        ge=0,
        description="agents on duty around the clock; none with no shifts: only agent groups serve it",
    )
    shifts: list[ShiftSpec] | None = Field(default=None, min_length=1, description="recurring shifts instead of agents")
    handle_time_multiplier: float = Field(default=1.0, gt=0, description="scales every handle time of this team")
    cost_per_hour: float = Field(default=0.0, ge=0, description="cost of one agent-hour on duty")
    overtime_premium: float = Field(
        default=1.5, ge=0, description="pay factor for time an agent stays past its shift end to finish a ticket"
    )
    channel_order: list[Name] = Field(
        default=[],
        description=(
            "channels served first within a priority, in order (e.g. [phone, chat, email]); "
            "channels left out come after them; empty: priority, then arrival"
        ),
    )
    authority: dict[Name, float | bool] = Field(
        default={},
        description="limits: a number caps the ticket attribute of that name; true/false grants a permission",
    )
    supervisor: Name | None = Field(default=None, description="team that takes what exceeds this team's authority")
    authority_mode: Literal["transfer", "approve"] = Field(
        default="transfer",
        description="above its authority: transfer the ticket up, or keep it and ask the supervisor for a sign-off",
    )
    approval_time: Distribution | None = Field(
        default=None, description="approve: the approving supervisor's time per sign-off"
    )
    max_attempts: int = Field(default=1, ge=1, description="failed attempts before the ticket moves on")
    shrinkage: ShrinkageSpec | None = Field(
        default=None,
        description="breaks, lunch, meetings and absenteeism; also keeps per-agent time records ({} for records only)",
    )

    @model_validator(mode="after")
    def _agents_or_shifts(self) -> TeamSpec:
        if self.agents is not None and self.shifts is not None:
            raise ValueError("give a team either 'agents' (always on duty) or 'shifts', not both")
        if self.authority_mode == "approve" and self.approval_time is None:
            raise ValueError("authority_mode 'approve' needs an 'approval_time' (the supervisor's time per sign-off)")
        if self.shrinkage is not None and self.shrinkage.absenteeism and self.shifts is None:
            raise ValueError("'shrinkage.absenteeism' needs 'shifts': an around-the-clock agent has no shift to miss")
        return self


class ServedQueue(Spec):
    """One team queue an agent group serves: in which order, how fast, and from when."""

    team: Name = Field(description="the team whose queue the group's agents serve")
    priority: int = Field(default=1, ge=1, description="queue priority for the group's agents: 1 is served first")
    proficiency: float = Field(
        default=1.0, gt=0, description="handle-time factor at this queue (1.2: the group's agents take 20 % longer)"
    )
    after: Duration | None = Field(
        default=None,
        ge=0,
        description="overflow: the group takes this queue's tickets once they have waited this long; none: at once",
    )


class AgentGroupSpec(Spec):
    """Cross-trained agents who serve one or more teams' queues; the group sets their shifts, cost and speed."""

    name: Name = Field(description="names the group in levels and KPIs (must differ from every team name)")
    agents: int | None = Field(default=None, ge=1, description="agents on duty around the clock")
    shifts: list[ShiftSpec] | None = Field(default=None, min_length=1, description="recurring shifts instead of agents")
    cost_per_hour: float = Field(default=0.0, ge=0, description="cost of one of the group's agent-hours on duty")
    overtime_premium: float = Field(
        default=1.5, ge=0, description="pay factor for time an agent stays past its shift end to finish a ticket"
    )
    serves: list[ServedQueue] = Field(min_length=1, description="the team queues the group's agents serve")
    shrinkage: ShrinkageSpec | None = Field(
        default=None,
        description="breaks, lunch, meetings and absenteeism; also keeps per-agent time records ({} for records only)",
    )

    @model_validator(mode="after")
    def _agents_or_shifts(self) -> AgentGroupSpec:
        if (self.agents is None) == (self.shifts is None):
            raise ValueError("give an agent group either 'agents' (always on duty) or 'shifts', not both")
        if self.shrinkage is not None and self.shrinkage.absenteeism and self.shifts is None:
            raise ValueError("'shrinkage.absenteeism' needs 'shifts': an around-the-clock agent has no shift to miss")
        return self


class RoutingRule(Spec):
    """Which team receives a new ticket; the first rule that matches wins."""

    channel: Name | None = Field(default=None, description="channel name; none: any")
    category: Name | None = Field(default=None, description="category name; none: any")
    team: Name = Field(description="the team that receives the ticket")


REPORTING_INTERVALS = {"15m": 15.0, "30m": 30.0, "60m": 60.0}
"""The interval lengths a per-interval report may use, as written in a scenario, and in minutes."""


def _reporting_interval(value: object) -> object:
    """``15m``, ``30m`` or ``60m`` from any duration of that length (``1h``, ``60``); anything else is refused."""
    minutes = parse_duration(value)
    for text, length in REPORTING_INTERVALS.items():
        if minutes == length:
            return text
    raise ValueError(f"{value!r} is not a reporting interval; use 15m, 30m or 60m (1h)")


class ReportingSpec(Spec):
    """How KPIs are reported over time: the length of the intervals of the per-interval tables."""

    interval: Annotated[Literal["15m", "30m", "60m"], BeforeValidator(_reporting_interval)] = Field(
        default="60m",
        description="interval of the per-interval KPIs (service level, ASA, abandonment, occupancy), "
        "by arrival time, clock-aligned from time 0; 60m is the hourly view of a weekly plan, 15m or 30m "
        "the interval a WFM tool schedules in",
    )

    @property
    def minutes(self) -> float:
        """The interval's length in minutes."""
        return REPORTING_INTERVALS[self.interval]


class Scenario(Spec):
    """One support organisation, its demand and its policies, and how to simulate it."""

    name: Name = Field(default="scenario", description="names the results folder; default: the file name")
    description: str = Field(default="", description="shown in reports")
    seed: int = Field(
        default=1, ge=0, le=MAX_SEED, description="base random seed (replication r uses streams of (seed, r))"
    )
    start_date: dt.date = Field(default=dt.date(2026, 1, 5), description="date of time 0 (sets weekdays)")
    horizon: Duration = Field(default=MINUTES_PER_WEEK, gt=0, description="simulated time")
    warmup: Duration = Field(default=0.0, description="initial period left out of the KPIs")
    replications: int = Field(default=10, ge=1, description="independent runs for the confidence intervals")
    priorities: list[Name] = Field(default=["P1", "P2", "P3", "P4"], min_length=1, description="most urgent first")
    segments: list[Name] = Field(
        default=["standard"], min_length=1, description="customer segments, e.g. standard, vip"
    )
    calendars: list[CalendarSpec] = Field(default=[], description="business-hours calendars ('24x7' is built in)")
    channels: list[ChannelSpec] = Field(min_length=1, description="where tickets come from")
    categories: list[CategorySpec] = Field(min_length=1, description="what tickets are about")
    teams: list[TeamSpec] = Field(min_length=1, description="who works them")
    agent_groups: list[AgentGroupSpec] = Field(
        default=[], description="cross-trained agents shared between team queues (skills-based routing)"
    )
    agent_selection: Literal["longest_idle", "most_skilled"] = Field(
        default="longest_idle",
        description=(
            "which free agent gets a new ticket: the one idle longest, or the most skilled for its queue "
            "(lowest proficiency factor; ties: idle longest)"
        ),
    )
    routing: list[RoutingRule] = Field(min_length=1, description="first team of a new ticket; first match wins")
    sla_policies: list[SlaPolicy] = Field(default=[], description="SLA targets; first match wins")
    escalation: EscalationSpec = Field(default=EscalationSpec(), description="escalation triggers and handoffs")
    initial_backlog: list[BacklogEntry] = Field(
        default=[], description="tickets already waiting at time 0 (a Monday morning); []: the desk starts empty"
    )
    reporting: ReportingSpec = Field(default=ReportingSpec(), description="per-interval KPI reporting")

    def team(self, name: str) -> TeamSpec:
        """The team called ``name`` (the name must exist: validation checks references)."""
        return next(t for t in self.teams if t.name == name)

    @property
    def pools(self) -> list[TeamSpec | AgentGroupSpec]:
        """Every pool of agents, as staffing and cost see them (the teams' own agents, then the agent groups)."""
        return [*self.teams, *self.agent_groups]

    def category(self, name: str) -> CategorySpec:
        """The category called ``name`` (the name must exist: validation checks references)."""
        return next(c for c in self.categories if c.name == name)

    def backlog_channel(self, entry: BacklogEntry) -> str | None:
        """The channel of a backlog entry's tickets: its own, else the first whose mix has its category."""
        if entry.channel is not None:
            return entry.channel
        return next((c.name for c in self.channels if c.category_mix.get(entry.category, 0) > 0), None)

    @property
    def start_weekday(self) -> int:
        """Weekday of time 0 (0 = Monday), from ``start_date``."""
        return self.start_date.weekday()
