"""The escalation policy of a scenario: which triggers apply, and how tickets change hands.

Tickets leave a team for three kinds of reason. *Hierarchical*: the team lacks the authority
(a refund above its limit) or the customer's value or frustration calls for a manager.
*Functional*: the team lacks the skill or the capability (a failed attempt, repeated failures)
or the ticket is regulated. *Automatic*: an SLA clock or a queue wait ran out. This module is the
typed schema of those rules; the decisions themselves are the pure functions in ``policy``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Literal

from pydantic import Field, model_validator

from sim.distributions import Distribution, Fixed
from sim.schema import Name, Path, Spec
from sim.units import Duration

if TYPE_CHECKING:
    from sim.scenario import CategorySpec, Scenario, TeamSpec

TRIGGERS = ("regulatory", "customer_value", "skill", "authority", "complexity", "time", "dissatisfaction")
"""Every trigger, in the default order in which they are consulted."""

Trigger = Literal["regulatory", "customer_value", "skill", "authority", "complexity", "time", "dissatisfaction"]


class HandoffSpec(Spec):
    """How a ticket changes teams: cold (back into a queue) or warm (the sender stays on)."""

    mode: Literal["cold", "warm"] = Field(default="cold", description="cold: back into a queue; warm: sender stays on")
    handoff_time: Distribution = Field(default=Fixed(dist="fixed", value=2.0),
                                       description="warm: time sender and receiver spend together")
    context_complete: float = Field(default=1.0, ge=0, le=1, description="probability the context travels complete")
    rework_time: Distribution | None = Field(default=None, description="extra work when the context is incomplete")
    max_handoffs: int | None = Field(default=None, ge=0, description="after this many, the current team keeps it")
    triage_time: Distribution = Field(default=Fixed(dist="fixed", value=1.0),
                                      description="time an agent takes to see a ticket needs a skill it lacks")

    @model_validator(mode="after")
    def _rework_when_context_lost(self) -> "HandoffSpec":
        if self.context_complete < 1 and self.rework_time is None:
            raise ValueError("context_complete below 1 needs a rework_time (the time the customer repeats the story)")
        return self


class SwarmSpec(Spec):
    """Swarming: the frontline agent keeps the ticket and pulls in an expert for a consult."""

    consult_time: Distribution = Field(description="time the expert and the frontline agent spend together")
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
    queue_wait: Duration | None = Field(default=None, gt=0, description="or: waiting longer than this in a queue")
    after: Duration = Field(default=0.0, description="delay after the milestone (ladders: level 2 four hours later)")
    action: Literal["raise_priority", "move", "review"] = Field(description="what the rule does to the ticket")
    to: Name | None = Field(default=None, description="move: the team whose queue receives the ticket")
    reviewer: Name | None = Field(default=None, description="review: the team whose agent reviews")
    review_time: Distribution | None = Field(default=None, description="review: the reviewer's time")
    levels: int = Field(default=1, ge=1, description="raise_priority: levels gained")

    @model_validator(mode="after")
    def _consistent(self) -> "TimeRule":
        if (self.clock is None) == (self.queue_wait is None):
            raise ValueError("a time rule watches either an SLA 'clock' or a 'queue_wait', not both")
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
    """Knowledge-base feedback: the frontline gets better at categories it sees resolved upstream."""

    team: Name = Field(description="the frontline team that learns")
    step: float = Field(default=0.002, gt=0, description="gain in resolve probability per escalated resolution")
    cap: float = Field(default=0.95, gt=0, le=1, description="the learned probability never exceeds this")


class EscalationSpec(Spec):
    """All escalation rules of a scenario; without any, tickets stay with their first team."""

    triggers: list[Trigger] = Field(default=list(TRIGGERS), description="which triggers apply, in order")
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
    def _swarm_needs_consults(self) -> "EscalationSpec":
        if self.mode == "swarm" and self.swarm is None:
            raise ValueError("mode 'swarm' needs a 'swarm' section (consult_time, max_wait)")
        return self


def reachable_teams(s: "Scenario", category: "CategorySpec", first: str) -> set[str]:
    """Every team that may *work* a ticket of ``category`` first routed to ``first``.

    Teams that lack the category's skill only triage it (no handle time needed), and a team's
    supervisor is reachable only if the category can exceed that team's authority."""
    esc = s.escalation
    by_name = {t.name: t for t in s.teams}
    teams = {first, *category.path}
    teams.update(r.route_to for r in esc.segment_rules if r.route_to)
    teams.update(r.to for r in esc.time_rules if r.action == "move")
    if category.regulated and esc.compliance_team:
        teams.add(esc.compliance_team)
    if category.skill is not None:
        teams.update(t.name for t in s.teams if category.skill in t.skills)
    frontier = list(teams)
    while frontier:
        team = by_name.get(frontier.pop())
        if team is not None and team.supervisor and team.supervisor not in teams and _can_exceed(category, team):
            teams.add(team.supervisor)
            frontier.append(team.supervisor)
    if category.skill is not None:
        teams = {t for t in teams if t not in by_name or category.skill in by_name[t].skills}
    return teams


def _can_exceed(category: "CategorySpec", team: "TeamSpec") -> bool:
    """Whether a ticket of ``category`` can be beyond ``team``'s authority (an attribute it limits, or a
    permission it lacks)."""
    limited = any(not isinstance(limit, bool) and key in category.attributes for key, limit in team.authority.items())
    return limited or any(team.authority.get(permission) is not True for permission in category.requires)


def escalation_problems(s: "Scenario") -> Iterator[tuple[Path, str]]:
    """Yield (field path, message) for escalation rules that name unknown teams or cannot work."""
    teams = [t.name for t in s.teams]
    esc = s.escalation

    def team_ref(path: Path, name: str | None) -> Iterator[tuple[Path, str]]:
        if name is not None and name not in teams:
            yield path, f"unknown team {name!r}; allowed: {', '.join(teams)}"

    for i, team in enumerate(s.teams):
        yield from team_ref(("teams", i, "supervisor"), team.supervisor)
        attributes = {a for c in s.categories for a in c.attributes}
        for key, limit in team.authority.items():
            if not isinstance(limit, bool) and key not in attributes:
                yield (("teams", i, "authority", key),
                       f"no category has an attribute {key!r} for this limit; attributes: {', '.join(sorted(attributes)) or 'none'}")
    granted = {k for t in s.teams for k, v in t.authority.items() if v is True}
    for i, cat in enumerate(s.categories):
        for j, name in enumerate(cat.path):
            yield from team_ref(("categories", i, "path", j), name)
        for name in cat.resolve_probability:
            yield from team_ref(("categories", i, "resolve_probability", name), name)
        if cat.reopen and isinstance(cat.reopen.probability, dict):
            for name in cat.reopen.probability:
                yield from team_ref(("categories", i, "reopen", "probability", name), name)
        for j, permission in enumerate(cat.requires):
            if permission not in granted:
                yield (("categories", i, "requires", j),
                       f"no team's authority grants {permission!r}; add '{permission}: true' to a team's authority")
        if cat.regulated and esc.compliance_team is None:
            yield ("escalation", "compliance_team"), f"category {cat.name!r} is regulated: name the compliance team"
    yield from team_ref(("escalation", "compliance_team"), esc.compliance_team)
    for i, rule in enumerate(esc.segment_rules):
        if rule.segment not in s.segments:
            yield ("escalation", "segment_rules", i, "segment"), (
                f"unknown segment {rule.segment!r}; allowed: {', '.join(s.segments)}")
        yield from team_ref(("escalation", "segment_rules", i, "route_to"), rule.route_to)
    warnings = {w for p in s.sla_policies for w in p.warnings}
    for i, rule in enumerate(esc.time_rules):
        yield from team_ref(("escalation", "time_rules", i, "to"), rule.to)
        yield from team_ref(("escalation", "time_rules", i, "reviewer"), rule.reviewer)
        if isinstance(rule.at, float) and rule.clock and rule.at not in warnings:
            yield ("escalation", "time_rules", i, "at"), (
                f"{rule.at} is not a warning fraction of any SLA policy; allowed: 'breach' or one of "
                f"{sorted(warnings) or 'none (add warnings to an SLA policy)'}")
    if esc.dissatisfaction:
        yield from team_ref(("escalation", "dissatisfaction", "manager"), esc.dissatisfaction.manager)
    if esc.learning:
        yield from team_ref(("escalation", "learning", "team"), esc.learning.team)
