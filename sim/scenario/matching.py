"""Which rule covers a ticket: the routing rule that picks its first team, and its SLA policy.

Both are first-match rules over the scenario's ordered lists, read the same way by the
cross-checks (can every ticket be routed?) and by the engine (where does this ticket go?).
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.scenario.sla_spec import SlaPolicy
from sim.scenario.spec import RoutingRule


def route(rules: Sequence[RoutingRule], channel: str, category: str) -> str | None:
    """The team that receives a new ticket: the first rule matching its channel and category."""
    for rule in rules:
        if rule.channel in (None, channel) and rule.category in (None, category):
            return rule.team
    return None


def sla_policy_for(
    policies: Sequence[SlaPolicy], priority: str, channel: str, segment: str, category: str
) -> SlaPolicy | None:
    """The SLA policy that covers a ticket: the first whose conditions all hold."""
    for policy in policies:
        m = policy.match
        if (
            (not m.priority or priority in m.priority)
            and (not m.channel or channel in m.channel)
            and (not m.segment or segment in m.segment)
            and (not m.category or category in m.category)
        ):
            return policy
    return None
