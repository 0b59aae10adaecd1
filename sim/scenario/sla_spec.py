"""SLA policies: the first-response and resolution targets a helpdesk promises, as a scenario's ``sla_policies``.

A policy covers the tickets its ``match`` names (by priority, channel, segment and category; the
first policy that matches wins) and runs up to two clocks, ``first_response`` and ``resolution``,
each a target in business time on a calendar. ``first_response_ends`` says what stops the first
clock (the first pick-up by a team able to work the ticket, or the first message to the customer);
``on_reopen`` says whether a reopened ticket's resolution clock resumes where it stopped or starts
the full target again. It is apart from the organisation in ``spec`` because it describes a
promise to customers, not the desk: the engine's SLA clocks, the clock escalation triggers and the
SLA KPIs read it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.core.distributions import Distribution
from sim.core.names import Names
from sim.core.units import Duration
from sim.scenario.fields import Name, Spec


class SlaMatch(Spec):
    """Which tickets an SLA policy covers; an empty list or a missing field matches all."""

    priority: list[Name] = Field(default=[], description="priorities covered")
    channel: list[Name] = Field(default=[], description="channels covered")
    segment: list[Name] = Field(default=[], description="customer segments covered")
    category: list[Name] = Field(default=[], description="categories covered")


class ClockName(Names):
    """The two clocks an SLA policy can run (its ``first_response`` and ``resolution`` fields)."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class FirstResponseEnd(Names):
    """What ends an SLA policy's first-response clock (its ``first_response_ends`` field)."""

    PICKUP = "pickup"
    """The first pick-up by a team able to work the ticket (a triage pick-up does not count)."""
    REPLY = "reply"
    """The first message to the customer: a question, the resolution, or an escalated ticket's update."""


class SlaReopen(Names):
    """What a reopened ticket's resolution clock does (an SLA policy's ``on_reopen`` field)."""

    RESUME = "resume"
    """Count on from where it stopped: the time the ticket sat resolved is left out."""
    RESTART = "restart"
    """Count the whole target again from the reopening; a breach before it stands."""


class SlaClockSpec(Spec):
    """One SLA clock: a target in business time on a calendar."""

    target: Duration = Field(gt=0, description="business time allowed")
    calendar: Name = Field(default="24x7", description="calendar the clock runs on")


class SlaPolicy(Spec):
    """Targets for first response and resolution, as helpdesks define them; first match wins."""

    name: Name = Field(description="shown in the ticket table")
    match: SlaMatch = Field(default=SlaMatch(), description="which tickets it covers")
    first_response: SlaClockSpec | None = Field(
        default=None, description="clock from arrival to the first response (see first_response_ends)"
    )
    resolution: SlaClockSpec | None = Field(default=None, description="clock from arrival to resolution")
    warnings: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default=[0.5, 0.75], description="fractions of the target"
    )
    pause_while_waiting_on_customer: bool = Field(
        default=True, description="clocks stop while the customer owes an answer"
    )
    first_response_ends: Literal["pickup", "reply"] = Field(
        default="pickup",
        description="pickup: first pick-up by a team able to work the ticket (triage does not count); "
        "reply: first message to the customer (a question, the resolution, an update)",
    )
    on_reopen: Literal["resume", "restart"] = Field(
        default="resume",
        description="a reopened ticket's resolution clock: resume: counts on from where it stopped; "
        "restart: the full target again (a breach before the reopen stands)",
    )
    abandoned: Literal["breached", "excluded"] = Field(
        default="breached",
        description="abandoned tickets in SLA attainment: breached (a clock not yet decided counts as missed), "
        "or excluded (left out of attainment; the KPIs say how many)",
    )
    update_every: Duration | None = Field(
        default=None, gt=0, description="while escalated, update the customer this often (at least 1 minute)"
    )
    update_time: Distribution | None = Field(default=None, description="agent time one customer update takes")

    @model_validator(mode="after")
    def _updates_cost_time(self) -> SlaPolicy:
        if (self.update_every is None) != (self.update_time is None):
            raise ValueError("customer updates need both 'update_every' and 'update_time'")
        if self.update_every is not None and self.update_every < 1:
            raise ValueError(f"'update_every' must be at least 1 minute (got {self.update_every:g} min)")
        return self
