"""Routing, queueing and escalation decisions as small pure functions a trainer can read.

Nothing here knows about SimPy. Each function takes a ticket's facts and the scenario's rules and
returns a decision; the model applies it. Random outcomes (did this attempt resolve the ticket?)
arrive as a uniform draw ``u``, so every function is deterministic and testable on its own.

Adding an escalation trigger means: a function here, an entry in ``escalation.TRIGGERS`` and the
schema, and a test — nothing in the SimPy plumbing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.scenario.escalation import EscalationSpec, SegmentRule
from sim.scenario.spec import CategorySpec, TeamSpec

HIERARCHICAL, FUNCTIONAL, AUTOMATIC = "hierarchical", "functional", "automatic"
"""The kinds of escalation: up the authority chain, across to expertise, or by the clock."""

RESOLVE, RETRY, AWAIT_CUSTOMER, TRANSFER, SWARM = "resolve", "retry", "await_customer", "transfer", "swarm"


@dataclass(frozen=True)
class Decision:
    """What happens to a ticket next, and, for an escalation, its kind, reason and target."""

    action: str
    kind: str = ""
    reason: str = ""
    to_team: str | None = None


RESOLVED = Decision(RESOLVE)
AWAIT = Decision(AWAIT_CUSTOMER)


# -- routing and queueing ------------------------------------------------------------------------
def queue_order(priority_rank: int, arrival_seq: int) -> tuple[int, int]:
    """Queue discipline: most urgent priority first, then first come, first served."""
    return priority_rank, arrival_seq


def boosted_rank(rank: int, levels: int) -> int:
    """A priority raised by ``levels`` (rank 0 is the most urgent and cannot rise further)."""
    return max(0, rank - levels)


# -- triggers on arrival -------------------------------------------------------------------------
def regulatory(category: CategorySpec, rules: EscalationSpec) -> Decision | None:
    """Regulated categories (a data breach) go to compliance at once, at top priority."""
    if category.regulated and rules.compliance_team:
        return Decision(TRANSFER, FUNCTIONAL, "regulatory", rules.compliance_team)
    return None


def customer_value(segment: str, rules: EscalationSpec) -> SegmentRule | None:
    """The segment rule for this customer (e.g. VIPs skip tier 1, or gain priority), if any."""
    return next((rule for rule in rules.segment_rules if rule.segment == segment), None)


# -- triggers when an agent picks a ticket up ----------------------------------------------------
def skill_gap(category: CategorySpec, team: TeamSpec, teams: Sequence[TeamSpec]) -> Decision | None:
    """A ticket needing a skill this team lacks goes to the first team that has it (path first)."""
    if category.skill is None or category.skill in team.skills:
        return None
    by_name = {t.name: t for t in teams}
    candidates = [by_name[name] for name in category.path if name in by_name] + sorted(teams, key=lambda t: t.tier)
    target = next((t.name for t in candidates if category.skill in t.skills), None)
    return Decision(TRANSFER, FUNCTIONAL, "skill", target) if target else None


# -- triggers at the end of a work session -------------------------------------------------------
def within_authority(team: TeamSpec, attributes: Mapping[str, float], requires: Sequence[str]) -> bool:
    """True when every attribute is within the team's numeric limits and every permission is granted."""
    for key, limit in team.authority.items():
        if not isinstance(limit, bool) and attributes.get(key, 0.0) > limit:
            return False
    return all(team.authority.get(permission) is True for permission in requires)


def authority(
    team: TeamSpec, attributes: Mapping[str, float], category: CategorySpec, teams: Mapping[str, TeamSpec]
) -> Decision | None:
    """Above this team's authority: up the supervisor chain to the first team whose authority covers it."""
    if within_authority(team, attributes, category.requires):
        return None
    seen = {team.name}
    step = teams.get(team.supervisor) if team.supervisor else None
    while step is not None and step.name not in seen:
        if within_authority(step, attributes, category.requires) or not step.supervisor:
            return Decision(TRANSFER, HIERARCHICAL, "authority", step.name)
        seen.add(step.name)
        step = teams.get(step.supervisor)
    return None


def next_in_path(path: Sequence[str], current: str) -> str | None:
    """The team after ``current`` on the category's escalation path (its start if off the path)."""
    if current in path:
        i = path.index(current)
        return path[i + 1] if i + 1 < len(path) else None
    return path[0] if path else None


def complexity(
    u: float, resolve_probability: float, failed_here: int, team: TeamSpec, path: Sequence[str]
) -> Decision | None:
    """An attempt resolves with the team's probability; failures retry, then move along the path."""
    if u < resolve_probability:
        return None
    failed = failed_here + 1
    target = next_in_path(path, team.name)
    if failed < team.max_attempts or target is None:
        return Decision(RETRY, FUNCTIONAL, "complexity")
    reason = "repeated_failure" if team.max_attempts > 1 else "complexity"
    return Decision(TRANSFER, FUNCTIONAL, reason, target)


def after_session(needs_customer_reply: bool, escalation: Decision | None) -> Decision:
    """A session ends waiting on the customer, escalated or retried, or resolved."""
    if needs_customer_reply:
        return AWAIT
    return escalation or RESOLVED


def swarm_instead(decision: Decision, rules: EscalationSpec) -> Decision:
    """Under swarming, a complexity transfer becomes a consult with the target team's expert."""
    if rules.mode == "swarm" and decision.action == TRANSFER and decision.reason in ("complexity", "repeated_failure"):
        return Decision(SWARM, decision.kind, decision.reason, decision.to_team)
    return decision


def cap_bouncing(decision: Decision, handoffs: int, rules: EscalationSpec) -> Decision:
    """Once a ticket has changed hands ``max_handoffs`` times, the team holding it resolves it."""
    cap = rules.handoff.max_handoffs
    if cap is not None and handoffs >= cap and decision.action in (TRANSFER, SWARM, RETRY):
        return Decision(RESOLVE, decision.kind, "handoff_cap")
    return decision


# -- other rules ----------------------------------------------------------------------------------
def frustration(waited_minutes: float, handoffs: int, per_hour_waiting: float, per_handoff: float) -> float:
    """The customer's frustration score: it grows with time spent waiting and with each handoff."""
    return per_hour_waiting * waited_minutes / 60.0 + per_handoff * handoffs


def learned_probability(base: float, resolved_upstream: int, step: float, cap: float) -> float:
    """Frontline resolve probability after ``resolved_upstream`` escalations of the category were solved."""
    return max(base, min(cap, base + step * resolved_upstream))
