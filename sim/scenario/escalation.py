"""The escalation policy of a scenario: which triggers apply, and how tickets change hands.

Tickets leave a team for three kinds of reason. *Hierarchical*: the team lacks the authority
(a refund above its limit) or the customer's value or frustration calls for a manager.
*Functional*: the team lacks the skill or the capability (a failed attempt, repeated failures)
or the ticket is regulated. *Automatic*: an SLA clock or a queue wait ran out. This module is the
typed schema of those rules; the decisions themselves are the pure functions in ``policy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from sim.core.distributions import Distribution, Fixed
from sim.core.units import Duration
from sim.scenario import policy  # noqa: F401  (its @trigger declarations fill TRIGGERS before it is read below)
from sim.scenario.fields import Name, Spec
from sim.scenario.triggers import TRIGGERS

if TYPE_CHECKING:  # a Literal built at import time is beyond a static checker: to it a name is a str
    TriggerName = str
else:
    TriggerName = Literal[tuple(TRIGGERS)]
"""A trigger's name: one of those the trigger registry declares."""


class HandoffSpec(Spec):
    """How a ticket changes teams: cold (back into a queue) or warm (the sender stays on)."""

    mode: Literal["cold", "warm"] = Field(
        default="cold",
        description="cold: back into a queue; warm: the sender stays on (customers with a patience; others go cold)",
    )
    handoff_time: Distribution = Field(
        default=Fixed(dist="fixed", value=2.0), description="warm: time sender and receiver spend together"
    )
    context_complete: float = Field(default=1.0, ge=0, le=1, description="probability the context travels complete")
    rework_time: Distribution | None = Field(default=None, description="extra work when the context is incomplete")
    max_handoffs: int | None = Field(default=None, ge=0, description="after this many, the current team keeps it")
    triage_time: Distribution = Field(
        default=Fixed(dist="fixed", value=1.0), description="time an agent takes to see a ticket needs a skill it lacks"
    )
    max_hold: Duration | None = Field(
        default=3.0,
        gt=0,
        description="warm: longest the sender holds for a receiver, then the transfer is cold; null: no limit",
    )
    hold_fallback: Literal["queue", "callback"] = Field(
        default="queue",
        description="warm: when the sender stops holding without a receiver, the customer stays in the receiving "
        "queue on hold (queue) or is promised a callback from the receiving team (callback: needs the channel's "
        "'callback' settings)",
    )

    @model_validator(mode="after")
    def _rework_when_context_lost(self) -> HandoffSpec:
        if self.context_complete < 1 and self.rework_time is None:
            raise ValueError("context_complete below 1 needs a rework_time (the time the customer repeats the story)")
        return self


class SwarmSpec(Spec):
    """Swarming: the frontline agent keeps the ticket and pulls in an expert for a consult.

    The consult solves the ticket with the expert team's own resolve probability for its category;
    a failed consult transfers the ticket to the expert's team. ``consult_time``, when given, is the
    consult's length; left out, the consult takes the expert team's handle time for the category.
    """

    consult_time: Distribution | None = Field(
        default=None,
        description="time the expert and the frontline agent spend together; none: the expert team's handle time",
    )
    max_wait: Duration = Field(default=2.0, description="how long to wait for a free expert before transferring")


class SegmentRule(Spec):
    """Customer value: tickets of a segment start at another team and/or gain priority."""

    segment: Name = Field(description="the customer segment this rule is for")
    route_to: Name | None = Field(default=None, description="first team for this segment (e.g. skip tier 1)")
    priority_boost: int = Field(default=0, ge=0, description="priority levels gained")


class TimeRule(Spec):
    """Automatic escalation when an SLA milestone is reached, or a queue wait exceeds a limit."""

    name: Name = Field(description="the escalation reason recorded, e.g. breach_level1")
    clock: Literal["first_response", "resolution"] | None = Field(default=None, description="SLA clock to watch")
    at: float | Literal["breach"] = Field(default="breach", description="'breach' or a warning fraction, e.g. 0.75")
    queue_wait: Duration | None = Field(
        default=None, gt=0, description="or: waiting longer than this in a queue (at least 1 minute)"
    )
    after: Duration = Field(default=0.0, description="delay after the milestone (ladders: level 2 four hours later)")
    action: Literal["raise_priority", "move", "review"] = Field(description="what the rule does to the ticket")
    to: Name | None = Field(default=None, description="move: the team whose queue receives the ticket")
    reviewer: Name | None = Field(default=None, description="review: the team whose agent reviews")
    review_time: Distribution | None = Field(default=None, description="review: the reviewer's time")
    levels: int = Field(default=1, ge=1, description="raise_priority: levels gained")

    @model_validator(mode="after")
    def _consistent(self) -> TimeRule:
        if (self.clock is None) == (self.queue_wait is None):
            raise ValueError("a time rule watches either an SLA 'clock' or a 'queue_wait', not both")
        if self.queue_wait is not None and self.queue_wait < 1:
            raise ValueError(f"'queue_wait' must be at least 1 minute (got {self.queue_wait:g} min)")
        if self.action == "move" and self.to is None:
            raise ValueError("action 'move' needs 'to' (the receiving team)")
        if self.action == "review" and (self.reviewer is None or self.review_time is None):
            raise ValueError("action 'review' needs 'reviewer' (a team) and 'review_time'")
        if isinstance(self.at, float) and not 0 < self.at < 1:
            raise ValueError("'at' is 'breach' or a fraction between 0 and 1")
        return self


class DissatisfactionSpec(Spec):
    """A frustration score that grows with waiting and handoffs; above a threshold a manager steps in."""

    per_hour_waiting: float = Field(default=1.0, ge=0, description="score gained per hour spent waiting")
    per_handoff: float = Field(default=1.0, ge=0, description="score gained per handoff")
    threshold: float = Field(gt=0, description="score at which a manager intervenes (once per ticket)")
    manager: Name = Field(description="team whose agent intervenes")
    review_time: Distribution = Field(description="the manager's time per intervention")


class OwnershipSpec(Spec):
    """The first team follows up with the customer after another team resolved the ticket."""

    follow_up_time: Distribution = Field(description="the owner's time per follow-up")


class LearningSpec(Spec):
    """Knowledge-base feedback: the frontline gets better at categories it sees resolved upstream.

    A learning team's resolve probability for a category rises by ``step`` with each ticket it held
    first that another team resolved, up to ``cap``. The desk therefore never settles: its escalation
    rate falls over the run, so a warm-up (MSER) and replication intervals, which assume a stationary
    process, describe a transient. Read learning scenarios as "how the first weeks unfold", and
    compare them at equal horizons.
    """

    team: Name | list[Name] = Field(description="the team (or teams) that learn; a team left out never learns")
    step: float = Field(default=0.002, gt=0, description="gain in resolve probability per escalated resolution")
    cap: float = Field(default=0.95, gt=0, le=1, description="the learned probability never exceeds this")

    @property
    def teams(self) -> list[str]:
        """The teams that learn."""
        return [self.team] if isinstance(self.team, str) else list(self.team)


class EscalationSpec(Spec):
    """All escalation rules of a scenario; without any, tickets stay with their first team."""

    triggers: list[TriggerName] = Field(default=list(TRIGGERS), description="which triggers apply, in order")
    mode: Literal["tiered", "swarm"] = Field(default="tiered", description="transfer on failure, or swarm first")
    handoff: HandoffSpec = Field(default=HandoffSpec(), description="how tickets change hands")
    swarm: SwarmSpec | None = Field(default=None, description="swarming settings (mode: swarm)")
    compliance_team: Name | None = Field(default=None, description="where regulated categories go, at top priority")
    segment_rules: list[SegmentRule] = Field(default=[], description="customer-value rules")
    time_rules: list[TimeRule] = Field(default=[], description="automatic escalation rules and ladders")
    dissatisfaction: DissatisfactionSpec | None = Field(default=None, description="frustration-driven intervention")
    ownership: OwnershipSpec | None = Field(default=None, description="owner follow-up after escalated resolution")
    learning: LearningSpec | None = Field(default=None, description="frontline learning from escalations")

    @model_validator(mode="after")
    def _swarm_needs_consults(self) -> EscalationSpec:
        if self.mode == "swarm" and self.swarm is None:
            raise ValueError("mode 'swarm' needs a 'swarm' section (max_wait, and consult_time or none)")
        return self
