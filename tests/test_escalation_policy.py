"""The escalation policy's pure functions, each on hand-made inputs: no simulation, no randomness.

Every decision the engine takes about a ticket (where it goes, whether it escalates, of what kind,
for which reason, to whom) is one of these functions; the uniform draw that decides whether an
attempt resolves is passed in, so each case below is exact.
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.scenario import policy
from sim.scenario.escalation import EscalationSpec
from sim.scenario.matching import route, sla_policy_for
from sim.scenario.sla_spec import SlaPolicy
from sim.scenario.spec import CategorySpec, RoutingRule, TeamSpec
from sim.scenario.triggers import RESOLVED, Action, Decision, Facts, Kind

FIXED = {"dist": "fixed", "value": 10}


def team(name: str, **fields: Any) -> TeamSpec:
    """A validated team of one agent."""
    return TeamSpec.model_validate({"name": name, "agents": 1, **fields})


def category(**fields: Any) -> CategorySpec:
    """A validated category named 'cat' with a fixed handle time."""
    return CategorySpec.model_validate({"name": "cat", "handle_time": FIXED, **fields})


def rules(**fields: Any) -> EscalationSpec:
    """A validated escalation section."""
    return EscalationSpec.model_validate(fields)


def facts(cat: CategorySpec | None = None, holder: TeamSpec | None = None, **fields: Any) -> Facts:
    """What a trigger knows about a ticket of ``cat`` held by ``holder`` (tier1 by default)."""
    holder = holder or team("tier1")
    teams = fields.pop("teams", {holder.name: holder})
    return Facts(category=cat or category(), team=holder, teams=teams, **fields)


def authorise(holder: TeamSpec, attributes: dict[str, float], cat: CategorySpec, teams: dict[str, TeamSpec]):
    """The authority trigger at the end of a session of ``holder``."""
    return policy.authority(facts(cat, holder, teams=teams, attributes=attributes), rules())


def attempt(u: float, p: float, failed_here: int, holder: TeamSpec, path: list[str]):
    """The complexity trigger after one attempt, drawn ``u``, resolving with probability ``p``."""
    cat = category(path=path)
    return policy.complexity(facts(cat, holder, attempt_u=u, resolve_probability=p, failed_here=failed_here), rules())


def by_name(*teams: TeamSpec) -> dict[str, TeamSpec]:
    """Teams keyed by name, as ``policy.authority`` looks supervisors up."""
    return {t.name: t for t in teams}


# -- routing and queueing ------------------------------------------------------------------------------------
def test_route_sends_a_ticket_to_the_first_rule_matching_its_channel_and_category():
    routing = [
        RoutingRule(channel="email", category="billing", team="finance"),
        RoutingRule(category="billing", team="billing_desk"),
        RoutingRule(team="tier1"),
    ]
    assert route(routing, "email", "billing") == "finance"
    assert route(routing, "phone", "billing") == "billing_desk"
    assert route(routing, "phone", "refund") == "tier1"
    assert route(routing[:2], "phone", "refund") is None


def test_sla_policy_for_picks_the_first_policy_whose_conditions_all_hold():
    vip = SlaPolicy.model_validate({"name": "vip_p1", "match": {"segment": ["vip"], "priority": ["P1"]}})
    urgent = SlaPolicy.model_validate({"name": "urgent", "match": {"priority": ["P1"]}})
    rest = SlaPolicy.model_validate({"name": "rest"})
    policies = [vip, urgent, rest]
    assert sla_policy_for(policies, "P1", "phone", "vip", "cat") is vip
    assert sla_policy_for(policies, "P1", "phone", "standard", "cat") is urgent
    assert sla_policy_for(policies, "P2", "phone", "vip", "cat") is rest
    assert sla_policy_for([vip, urgent], "P2", "phone", "vip", "cat") is None


def test_queue_order_puts_urgent_priority_first_then_first_come_first_served():
    assert sorted([policy.queue_order(1, 0), policy.queue_order(0, 5), policy.queue_order(0, 2)]) == [
        (0, 2),
        (0, 5),
        (1, 0),
    ]


@pytest.mark.parametrize("rank, levels, expected", [(3, 1, 2), (3, 2, 1), (1, 3, 0), (0, 1, 0)])
def test_boosted_rank_rises_by_the_levels_but_never_above_the_most_urgent(rank, levels, expected):
    assert policy.boosted_rank(rank, levels) == expected


# -- triggers on arrival -------------------------------------------------------------------------------------
def test_regulatory_sends_a_regulated_category_to_the_compliance_team():
    decision = policy.regulatory(facts(category(regulated=True)), rules(compliance_team="compliance"))
    assert decision == Decision(Action.TRANSFER, Kind.FUNCTIONAL, "regulatory", "compliance", rank=0)


def test_regulatory_leaves_unregulated_categories_alone():
    assert policy.regulatory(facts(), rules(compliance_team="compliance")) is None


def test_customer_value_applies_the_rule_of_the_customer_segment():
    spec = rules(segment_rules=[{"segment": "vip", "route_to": "tier2"}, {"segment": "gold", "priority_boost": 1}])
    gold = policy.customer_value(facts(segment="gold", rank=2), spec)
    assert gold == Decision(Action.RAISE_PRIORITY, Kind.HIERARCHICAL, "customer_value", rank=1)
    vip = policy.customer_value(facts(segment="vip", rank=2), spec)
    assert vip == Decision(Action.TRANSFER, Kind.HIERARCHICAL, "customer_value", "tier2")
    assert policy.customer_value(facts(segment="standard"), spec) is None


def test_customer_value_routing_to_the_team_already_chosen_only_keeps_any_boost():
    spec = rules(segment_rules=[{"segment": "vip", "route_to": "tier1", "priority_boost": 1}])
    boost_only = policy.customer_value(facts(segment="vip", rank=1), spec)
    assert boost_only is not None and boost_only.action == Action.RAISE_PRIORITY
    assert (
        policy.customer_value(
            facts(segment="vip", rank=1), rules(segment_rules=[{"segment": "vip", "route_to": "tier1"}])
        )
        is None
    )


# -- skill ---------------------------------------------------------------------------------------------------
def test_skill_gap_is_none_when_the_category_needs_no_skill_or_the_team_has_it():
    finance = team("finance", skills=["billing"])
    assert policy.skill_gap(category(), team("tier1"), [finance]) is None
    assert policy.skill_gap(category(skill="billing"), finance, [finance]) is None


def test_skill_gap_prefers_the_first_team_on_the_category_path_that_has_the_skill():
    teams = [
        team("tier1"),
        team("finance", tier=2, skills=["billing"]),
        team("billing_experts", tier=3, skills=["billing"]),
    ]
    cat = category(skill="billing", path=["tier1", "billing_experts"])
    assert policy.skill_gap(cat, teams[0], teams) == Decision(
        Action.TRANSFER, Kind.FUNCTIONAL, "skill", "billing_experts"
    )


def test_skill_gap_off_the_path_goes_to_the_lowest_tier_team_with_the_skill():
    teams = [team("tier1"), team("experts", tier=3, skills=["billing"]), team("finance", tier=2, skills=["billing"])]
    cat = category(skill="billing", path=["tier1"])
    gap = policy.skill_gap(cat, teams[0], teams)
    assert gap is not None and gap.to_team == "finance"


def test_skill_gap_keeps_the_ticket_when_no_team_has_the_skill():
    teams = [team("tier1"), team("tier2", tier=2)]
    assert policy.skill_gap(category(skill="billing"), teams[0], teams) is None


# -- authority -----------------------------------------------------------------------------------------------
def test_within_authority_compares_each_numeric_limit_with_the_ticket_attribute():
    frontline = team("tier1", authority={"refund_amount": 500})
    assert policy.within_authority(frontline, {"refund_amount": 500.0}, [])
    assert not policy.within_authority(frontline, {"refund_amount": 500.01}, [])
    assert policy.within_authority(frontline, {}, [])


def test_within_authority_needs_every_required_permission_granted():
    granted = team("tier2", authority={"account_change": True, "refund_amount": 100})
    denied = team("tier1", authority={"account_change": False})
    assert policy.within_authority(granted, {"refund_amount": 50.0}, ["account_change"])
    assert not policy.within_authority(denied, {}, ["account_change"])
    assert not policy.within_authority(team("other"), {}, ["account_change"])


def test_authority_keeps_a_ticket_within_the_team_limit():
    teams = by_name(team("tier1", authority={"refund_amount": 500}, supervisor="lead"), team("lead"))
    assert authorise(teams["tier1"], {"refund_amount": 400.0}, category(), teams) is None


def test_authority_escalates_up_the_chain_skipping_a_supervisor_without_enough_authority():
    teams = by_name(
        team("tier1", authority={"refund_amount": 500}, supervisor="lead"),
        team("lead", authority={"refund_amount": 1000}, supervisor="manager"),
        team("manager", authority={"refund_amount": 5000}, supervisor="director"),
        team("director"),
    )
    assert authorise(teams["tier1"], {"refund_amount": 800.0}, category(), teams) == Decision(
        Action.TRANSFER, Kind.HIERARCHICAL, "authority", "lead"
    )
    assert authorise(teams["tier1"], {"refund_amount": 3000.0}, category(), teams).to_team == "manager"


def test_authority_ends_at_the_top_of_the_chain_when_nobody_covers_the_ticket():
    teams = by_name(
        team("tier1", authority={"refund_amount": 500}, supervisor="lead"),
        team("lead", authority={"refund_amount": 1000}),
    )
    assert authorise(teams["tier1"], {"refund_amount": 9000.0}, category(), teams).to_team == "lead"


def test_authority_escalates_a_missing_permission_to_the_team_that_grants_it():
    teams = by_name(
        team("tier1", authority={"account_change": False}, supervisor="lead"),
        team("lead", authority={"account_change": False}, supervisor="admin"),
        team("admin", authority={"account_change": True}),
    )
    cat = category(requires=["account_change"])
    assert authorise(teams["tier1"], {}, cat, teams) == Decision(
        Action.TRANSFER, Kind.HIERARCHICAL, "authority", "admin"
    )


def test_authority_without_a_supervisor_keeps_the_ticket():
    teams = by_name(team("tier1", authority={"refund_amount": 500}))
    assert authorise(teams["tier1"], {"refund_amount": 900.0}, category(), teams) is None


# -- capability ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path, current, expected",
    [
        (["tier1", "tier2", "engineering"], "tier1", "tier2"),
        (["tier1", "tier2", "engineering"], "tier2", "engineering"),
        (["tier1", "tier2", "engineering"], "engineering", None),
        (["tier1", "tier2"], "supervisors", "tier1"),
        ([], "tier1", None),
    ],
)
def test_next_in_path_is_the_following_team_or_the_path_start_when_off_it(path, current, expected):
    assert policy.next_in_path(path, current) == expected


PATH = ["tier1", "tier2", "engineering"]


def test_complexity_lets_an_attempt_resolve_when_the_draw_is_below_the_probability():
    assert attempt(0.59, 0.6, 0, team("tier1", max_attempts=1), PATH) is None


def test_complexity_counts_a_draw_equal_to_the_probability_as_a_failure():
    assert attempt(0.6, 0.6, 0, team("tier1", max_attempts=1), PATH) is not None


def test_complexity_retries_at_the_same_team_while_failures_are_below_max_attempts():
    tier1 = team("tier1", max_attempts=3)
    assert attempt(0.9, 0.6, 0, tier1, PATH) == Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")
    assert attempt(0.9, 0.6, 1, tier1, PATH).action == Action.RETRY


def test_complexity_moves_on_with_reason_repeated_failure_at_the_attempt_cap():
    tier1 = team("tier1", max_attempts=3)
    assert attempt(0.9, 0.6, 2, tier1, PATH) == Decision(Action.TRANSFER, Kind.FUNCTIONAL, "repeated_failure", "tier2")


def test_complexity_with_one_attempt_moves_on_at_once_with_reason_complexity():
    decision = attempt(0.9, 0.6, 0, team("tier2", max_attempts=1), PATH)
    assert decision == Decision(Action.TRANSFER, Kind.FUNCTIONAL, "complexity", "engineering")


def test_complexity_at_the_last_team_of_the_path_retries_there():
    decision = attempt(0.9, 0.6, 5, team("engineering", max_attempts=1), PATH)
    assert decision == Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")


def test_after_session_waits_on_the_customer_else_escalates_else_resolves():
    escalation = Decision(Action.TRANSFER, Kind.FUNCTIONAL, "complexity", "tier2")
    assert policy.after_session(True, None).action == Action.AWAIT_CUSTOMER
    assert policy.after_session(False, escalation) is escalation
    assert policy.after_session(False, None) == RESOLVED


# -- swarming and bouncing -----------------------------------------------------------------------------------
SWARM = {"mode": "swarm", "swarm": {"consult_time": FIXED}}


@pytest.mark.parametrize("reason", ["complexity", "repeated_failure"])
def test_swarm_instead_turns_a_capability_transfer_into_a_consult_with_the_same_target(reason):
    decision = Decision(Action.TRANSFER, Kind.FUNCTIONAL, reason, "tier2")
    assert policy.swarm_instead(decision, rules(**SWARM)) == Decision(Action.SWARM, Kind.FUNCTIONAL, reason, "tier2")


def test_swarm_instead_leaves_other_decisions_and_tiered_mode_alone():
    authority = Decision(Action.TRANSFER, Kind.HIERARCHICAL, "authority", "lead")
    retry = Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")
    failure = Decision(Action.TRANSFER, Kind.FUNCTIONAL, "complexity", "tier2")
    assert policy.swarm_instead(authority, rules(**SWARM)) is authority
    assert policy.swarm_instead(retry, rules(**SWARM)) is retry
    assert policy.swarm_instead(failure, rules()) is failure


def test_cap_bouncing_keeps_a_failed_ticket_retrying_at_the_current_team_once_the_handoff_cap_is_reached():
    capped = rules(handoff={"max_handoffs": 2})
    for action in (Action.TRANSFER, Action.SWARM):
        decision = Decision(action, Kind.FUNCTIONAL, "complexity", "tier2")
        assert policy.cap_bouncing(decision, 1, capped) is decision
        assert policy.cap_bouncing(decision, 2, capped) == Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")
    retry = Decision(Action.RETRY, Kind.FUNCTIONAL, "complexity")
    assert policy.cap_bouncing(retry, 2, capped) is retry


def test_cap_bouncing_never_holds_back_an_authority_transfer():
    authority = Decision(Action.TRANSFER, Kind.HIERARCHICAL, "authority", "lead")
    assert policy.cap_bouncing(authority, 5, rules(handoff={"max_handoffs": 0})) is authority


def test_cap_bouncing_changes_nothing_without_a_cap_or_for_a_ticket_awaiting_its_customer():
    transfer = Decision(Action.TRANSFER, Kind.FUNCTIONAL, "complexity", "tier2")
    waiting = Decision(Action.AWAIT_CUSTOMER)
    assert policy.cap_bouncing(transfer, 50, rules()) is transfer
    assert policy.cap_bouncing(waiting, 5, rules(handoff={"max_handoffs": 0})) is waiting


# -- other rules ---------------------------------------------------------------------------------------------
def test_frustration_grows_with_hours_waited_and_with_each_handoff():
    assert policy.frustration(90.0, 2, per_hour_waiting=2.0, per_handoff=1.5) == pytest.approx(6.0)
    assert policy.frustration(0.0, 0, per_hour_waiting=2.0, per_handoff=1.5) == 0.0


def test_learned_probability_rises_by_step_per_upstream_resolution_up_to_the_cap():
    assert policy.learned_probability(0.5, 0, 0.1, 0.8) == 0.5
    assert policy.learned_probability(0.5, 2, 0.1, 0.8) == pytest.approx(0.7)
    assert policy.learned_probability(0.5, 10, 0.1, 0.8) == 0.8


def test_learned_probability_never_falls_below_the_base_when_the_cap_is_lower():
    assert policy.learned_probability(0.9, 3, 0.1, 0.8) == 0.9
