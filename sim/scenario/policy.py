"""The escalation policy: queueing and escalation decisions as small pure functions a trainer can read.

Nothing here knows about SimPy. Each trigger takes what is known about a ticket (its ``Facts``)
and the scenario's escalation rules, and returns a ``Decision`` or None; the engine's escalator
carries the decision out. Random outcomes (did this attempt resolve the ticket?) arrive as a
uniform draw in the facts, so every function is deterministic and testable on its own.

Every trigger is declared once, here, by the ``@trigger`` decorator on its decision function:
its name, the phases of a ticket's life in which it acts, what it needs in order to act, and the
escalation reasons it records. The decorator, the decision types and the registry it fills are in
``triggers``; the schema's list of trigger names, the escalator's dispatch and its fast path, and
the KPI reasons are all derived from that registry. Adding a trigger means: its function here,
its schema fields in ``escalation``, its test and its line in the docs
(``docs/how-to/add-an-escalation-trigger.md``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from sim.core.units import MINUTES_PER_HOUR
from sim.scenario.triggers import (
    AWAIT,
    RESOLVED,
    Action,
    Decision,
    Facts,
    Kind,
    Milestone,
    Phase,
    TaskKind,
    Wakeup,
    trigger,
)

if TYPE_CHECKING:
    from sim.scenario.escalation import EscalationSpec, TimeRule
    from sim.scenario.spec import CategorySpec, TeamSpec


# -- queueing ------------------------------------------------------------------------------------
TOP = -1
"""Queue rank of work that goes ahead of every ticket: reviews, consults and overdue callbacks."""


def queue_order(priority_rank: int, arrival_seq: int) -> tuple[int, int]:
    """Queue discipline: most urgent priority first, then first come, first served."""
    return priority_rank, arrival_seq


def channel_queue_order(priority_rank: int, channel_place: int, arrival_seq: int) -> tuple[int, int, int]:
    """Queue discipline of a team that orders its channels: priority, then channel order, then arrival.

    A ticket's priority always comes first: a P1 email goes before a P2 call. Within a priority, a
    live caller goes before a waiting chat or email of the team's later channels, however old.
    """
    return priority_rank, channel_place, arrival_seq


def boosted_rank(rank: int, levels: int) -> int:
    """A priority raised by ``levels`` (rank 0 is the most urgent and cannot rise further)."""
    return max(0, rank - levels)


# -- triggers on arrival -------------------------------------------------------------------------
@trigger("regulatory", Phase.ARRIVAL, acts_on=lambda category, team, rules: bool(category.regulated))
def regulatory(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """Regulated categories (a data breach) go to compliance at once, at top priority."""
    if facts.category.regulated and rules.compliance_team:
        return Decision(Action.TRANSFER, Kind.FUNCTIONAL, "regulatory", rules.compliance_team, rank=0)
    return None


@trigger("customer_value", Phase.ARRIVAL, acts_on=lambda category, team, rules: bool(rules.segment_rules))
def customer_value(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """The customer's segment rule: VIPs may skip the routed team, gain priority, or both."""
    rule = next((r for r in rules.segment_rules if r.segment == facts.segment), None)
    if rule is None:
        return None
    rank = boosted_rank(facts.rank, rule.priority_boost) if rule.priority_boost else None
    if rule.route_to and rule.route_to != facts.team.name:
        return Decision(Action.TRANSFER, Kind.HIERARCHICAL, "customer_value", rule.route_to, rank=rank)
    if rank is not None:
        return Decision(Action.RAISE_PRIORITY, Kind.HIERARCHICAL, "customer_value", rank=rank)
    return None


# -- triggers when an agent picks a ticket up ----------------------------------------------------
def _lacks_skill(category: CategorySpec, team: TeamSpec, rules: EscalationSpec) -> bool:
    return category.skill is not None and category.skill not in team.skills


@trigger("skill", Phase.PICKUP, acts_on=_lacks_skill)
def skill(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """A ticket needing a skill this team lacks goes to the first team that has it (path first)."""
    return skill_gap(facts.category, facts.team, list(facts.teams.values()))


def skill_gap(category: CategorySpec, team: TeamSpec, teams: Sequence[TeamSpec]) -> Decision | None:
    """The transfer to the first team with the skill ``category`` needs, or None if ``team`` has it."""
    if category.skill is None or category.skill in team.skills:
        return None
    by_name = {t.name: t for t in teams}
    candidates = [by_name[name] for name in category.path if name in by_name] + sorted(teams, key=lambda t: t.tier)
    target = next((t.name for t in candidates if category.skill in t.skills), None)
    return Decision(Action.TRANSFER, Kind.FUNCTIONAL, "skill", target) if target else None


# -- triggers at the end of a work session -------------------------------------------------------
def within_authority(team: TeamSpec, attributes: Mapping[str, float], requires: Sequence[str]) -> bool:
    """True when every attribute is within the team's numeric limits and every permission is granted."""
    authority = team.authority
    for key, limit in authority.items():
        if not isinstance(limit, bool) and attributes.get(key, 0.0) > limit:
            return False
    # most categories require no permission: no generator for them (this runs per session)
    return not requires or all(authority.get(permission) is True for permission in requires)


@trigger(
    "authority",
    Phase.END_OF_SESSION,
    acts_on=lambda category, team, rules: bool(team.authority or category.requires),
    reasons=lambda rules: ("authority", "approval"),
)
def authority(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """Above this team's authority: up the supervisor chain to the first team whose authority covers it.

    That team takes the ticket over, or, when the team's ``authority_mode`` is ``approve``, only signs
    off (an approval task) while the team keeps the ticket and resolves it.
    """
    team, teams, requires = facts.team, facts.teams, facts.category.requires
    attributes = facts.attributes or {}
    if within_authority(team, attributes, requires):
        return None
    seen = {team.name}
    step = teams.get(team.supervisor) if team.supervisor else None
    while step is not None and step.name not in seen:
        if within_authority(step, attributes, requires) or not step.supervisor:
            if team.authority_mode == "approve":
                return Decision(Action.APPROVE, Kind.HIERARCHICAL, "approval", step.name, task=TaskKind.APPROVAL)
            return Decision(Action.TRANSFER, Kind.HIERARCHICAL, "authority", step.name)
        seen.add(step.name)
        step = teams.get(step.supervisor)
    return None


def next_in_path(path: Sequence[str], current: str) -> str | None:
    """The team after ``current`` on the category's escalation path (its start if off the path)."""
    if current in path:
        i = path.index(current)
        return path[i + 1] if i + 1 < len(path) else None
    return path[0] if path else None


def _can_fail(category: CategorySpec, team: TeamSpec, rules: EscalationSpec) -> bool:
    learns = rules.learning is not None and team.name in rules.learning.teams
    return learns or category.resolve_probability.get(team.name, 1.0) < 1.0


@trigger(
    "complexity",
    Phase.END_OF_SESSION,
    acts_on=_can_fail,
    reasons=lambda rules: ("complexity", "repeated_failure", "consult"),
    uses_attempts=True,
)
def complexity(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """An attempt resolves with the team's probability; failures retry, then move along the path."""
    if facts.attempt_u < facts.resolve_probability:
        return None
    team = facts.team
    target = next_in_path(facts.category.path, team.name)
    if facts.failed_here + 1 < team.max_attempts or target is None:
        return Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")
    reason = "repeated_failure" if team.max_attempts > 1 else "complexity"
    return Decision(Action.TRANSFER, Kind.FUNCTIONAL, reason, target)


# -- triggers that act later: SLA milestones and queue waits -------------------------------------
def _at(rule: TimeRule, fraction: float) -> bool:
    return rule.at == "breach" if fraction >= 1.0 else rule.at == fraction


@trigger(
    "time",
    Phase.QUEUE_WAIT,
    Phase.CLOCK,
    acts_on=lambda category, team, rules: bool(rules.time_rules),
    reasons=lambda rules: tuple(rule.name for rule in rules.time_rules),
    watches=lambda rules, clock: any(rule.clock == clock for rule in rules.time_rules),
    wakes=True,
)
def time(facts: Facts, rules: EscalationSpec, milestone: Milestone | None) -> Iterable[Wakeup]:
    """Automatic escalation: an SLA warning or breach, or a long queue wait, raises, moves or reviews.

    Each rule wakes up after its queue wait (when the ticket starts waiting) or after its delay
    (when its SLA milestone is reached), and then decides by ``time_rule``.
    """
    for rule in rules.time_rules:
        if milestone is None and rule.queue_wait is not None:
            yield rule.queue_wait, partial(time_rule, rule)
        elif milestone is not None and rule.clock == milestone.clock and _at(rule, milestone.fraction):
            yield rule.after, partial(time_rule, rule)


def time_rule(rule: TimeRule, facts: Facts, rules: EscalationSpec) -> Decision | None:
    """What one time rule does when it fires: raise the priority, move the ticket, or ask for a review.

    A move acts on the ticket wherever it is (the engine moves a waiting ticket at once, and one in
    a session or waiting on its customer when the session ends or the customer replies: see
    ``move_instead``); it does nothing only if the ticket is already at the rule's team.
    """
    if rule.action == "raise_priority":
        rank = boosted_rank(facts.rank, rule.levels)
        if rank == facts.rank:
            return None
        target = rule.to or rule.reviewer or facts.team.name
        return Decision(Action.RAISE_PRIORITY, Kind.AUTOMATIC, rule.name, target, rank=rank)
    if rule.action == "move":
        if facts.team.name == rule.to:
            return None
        return Decision(Action.MOVE, Kind.AUTOMATIC, rule.name, rule.to)
    return Decision(Action.REVIEW, Kind.AUTOMATIC, rule.name, rule.reviewer, task=TaskKind.REVIEW)


def frustration(waited_minutes: float, handoffs: int, per_hour_waiting: float, per_handoff: float) -> float:
    """The customer's frustration score: it grows with time spent waiting and with each handoff."""
    return per_hour_waiting * waited_minutes / MINUTES_PER_HOUR + per_handoff * handoffs


def _frustration_wakeups(facts: Facts, rules: EscalationSpec, milestone: Milestone | None) -> Iterable[Wakeup]:
    """While the ticket waits, the moment its customer's score would reach the threshold."""
    d = rules.dissatisfaction
    if milestone is not None or d is None or facts.intervened or d.per_hour_waiting <= 0:
        return
    score = frustration(facts.waited, facts.handoffs, d.per_hour_waiting, d.per_handoff)
    yield max(0.0, (d.threshold - score) * MINUTES_PER_HOUR / d.per_hour_waiting), intervene


@trigger(
    "dissatisfaction",
    Phase.HANDOFF,
    Phase.QUEUE_WAIT,
    acts_on=lambda category, team, rules: rules.dissatisfaction is not None,
    reasons=lambda rules: ("dissatisfaction",) if rules.dissatisfaction else (),
    wakeups=_frustration_wakeups,
)
def dissatisfaction(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """A fed-up customer (waiting and handoffs past a threshold): a manager reviews, at top priority."""
    d = rules.dissatisfaction
    if d is None or frustration(facts.waited, facts.handoffs, d.per_hour_waiting, d.per_handoff) < d.threshold:
        return None
    return intervene(facts, rules)


def intervene(facts: Facts, rules: EscalationSpec) -> Decision | None:
    """The manager's intervention, once per ticket: a review ahead of all work, and top priority."""
    d = rules.dissatisfaction
    if d is None or facts.intervened:
        return None
    return Decision(Action.REVIEW, Kind.HIERARCHICAL, "dissatisfaction", d.manager, rank=0, task=TaskKind.INTERVENTION)


# -- what follows a session ----------------------------------------------------------------------
def after_session(needs_customer_reply: bool, escalation: Decision | None) -> Decision:
    """A session ends waiting on the customer, escalated or retried, or resolved."""
    if needs_customer_reply:
        return AWAIT
    return escalation or RESOLVED


def move_instead(move: Decision, decision: Decision) -> Decision:
    """A move that fell due during a session takes the ticket at its end, unless the session resolved it.

    A ticket left waiting on its customer keeps the move until the customer replies; any other outcome
    (a retry, a transfer, a consult, an approval) gives way to the move.
    """
    return decision if decision.action in (Action.RESOLVE, Action.AWAIT_CUSTOMER) else move


def after_consult(attempt_u: float, expert_probability: float, consult: Decision) -> Decision:
    """A swarm consult resolves with the expert team's own probability; else the ticket transfers to it."""
    if attempt_u < expert_probability:
        return RESOLVED
    return Decision(Action.TRANSFER, consult.kind, consult.reason, consult.to_team)


def swarm_instead(decision: Decision, rules: EscalationSpec) -> Decision:
    """Under swarming, a complexity transfer becomes a consult with the target team's expert."""
    complex_ = decision.reason in ("complexity", "repeated_failure")
    if rules.mode == "swarm" and decision.action == Action.TRANSFER and complex_:
        return Decision(Action.SWARM, decision.kind, decision.reason, decision.to_team)
    return decision


CAPPED_REASONS = ("complexity", "repeated_failure")
"""Capability escalations: the ones a handoff cap holds back (authority and skill cannot be waived)."""


def cap_bouncing(decision: Decision, handoffs: int, rules: EscalationSpec) -> Decision:
    """Once a ticket has changed hands ``max_handoffs`` times, the team holding it keeps trying.

    A failed attempt that would move the ticket on (a transfer or a swarm consult) becomes a retry at
    the current team, whose own resolve probability still decides each attempt. Transfers for
    authority or a missing skill are not held back: the team cannot resolve those at all.
    """
    cap = rules.handoff.max_handoffs
    if (
        cap is not None
        and handoffs >= cap
        and decision.action in (Action.TRANSFER, Action.SWARM)
        and decision.reason in CAPPED_REASONS
    ):
        return Decision(Action.RETRY, decision.kind, decision.reason)
    return decision


def learned_probability(base: float, resolved_upstream: int, step: float, cap: float) -> float:
    """Frontline resolve probability after ``resolved_upstream`` escalations of the category were solved."""
    return max(base, min(cap, base + step * resolved_upstream))


def shared_work_order(
    queue_priority: int, priority_rank: int, channel_place: int, arrival_seq: int
) -> tuple[int, int, int, int]:
    """Which waiting ticket a cross-trained agent takes next, over the queues its group serves.

    The group's priority of the queue first (1 before 2), then the ticket's priority, then its place
    in its team's channel order (0 when the team orders none), then the order tickets joined their
    queues (one count shared by every queue, so the oldest stay in any queue goes first).
    """
    return queue_priority, priority_rank, channel_place, arrival_seq


def agent_preference(selection: str, proficiency: float, idle_since: tuple[float, int]) -> tuple:
    """Which free agent gets a new ticket: the lowest key wins.

    ``longest_idle``: the agent who asked for work first. ``most_skilled``: the lowest handle-time
    factor at the ticket's queue (a team's own agents: 1), ties broken by longest idle.
    """
    if selection == "most_skilled":
        return proficiency, idle_since
    return idle_since
