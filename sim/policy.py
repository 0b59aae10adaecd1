"""Routing and queue decisions as small pure functions a trainer can read.

Nothing here knows about SimPy: each function takes a ticket's facts (and the scenario's rules)
and returns a decision. The simulation processes call them; tests call them directly.
"""

from __future__ import annotations

from typing import Sequence

from sim.scenario import RoutingRule, SlaPolicy


def route(rules: Sequence[RoutingRule], channel: str, category: str) -> str | None:
    """The team that receives a new ticket: the first rule matching its channel and category."""
    for rule in rules:
        if rule.channel in (None, channel) and rule.category in (None, category):
            return rule.team
    return None


def sla_policy_for(policies: Sequence[SlaPolicy], priority: str, channel: str, segment: str,
                   category: str) -> SlaPolicy | None:
    """The SLA policy that covers a ticket: the first whose conditions all hold."""
    for policy in policies:
        m = policy.match
        if ((not m.priority or priority in m.priority) and (not m.channel or channel in m.channel)
                and (not m.segment or segment in m.segment) and (not m.category or category in m.category)):
            return policy
    return None


def queue_order(priority_rank: int, arrival_seq: int) -> tuple[int, int]:
    """Queue discipline: most urgent priority first, then first come, first served."""
    return priority_rank, arrival_seq


RESOLVE, AWAIT_CUSTOMER = "resolve", "await_customer"


def after_session(needs_customer_reply: bool) -> str:
    """After a work session the ticket is resolved, unless the agent still needs the customer's answer."""
    return AWAIT_CUSTOMER if needs_customer_reply else RESOLVE
