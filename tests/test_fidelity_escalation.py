"""Escalation fidelity: consults that fail, a handoff cap that keeps trying, sign-off approvals,
time-rule moves that always act, and learning a planner can switch off per team.

Each story is a tiny deterministic scenario (fixed arrival and handle times, resolve probabilities of
0 or 1) with its exact event log as (time, ticket, event, team, detail), in recorded order, as in
``test_escalation_stories``: an ``escalated`` event is logged by the team the ticket leaves, with
detail "kind|reason|to_team"; tasks are logged under the id of the ticket they serve.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import build, event_log, fixed, simulate, ticket_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.kpis import replication_kpis
from sim.engine.desk import Desk
from sim.engine.records import RunRecords
from sim.engine.replication import run, run_replication
from sim.scenario.errors import ScenarioError

TIERS = [
    {"name": "tier1", "agents": 1},
    {"name": "tier2", "tier": 2, "agents": 1},
    {"name": "tier3", "tier": 3, "agents": 1},
]
TO_TIER1 = [{"team": "tier1"}]
ONE_TECH = [{"name": "phone", "arrival_times": [0], "category_mix": {"tech": 1}}]
COLUMNS = ["outcome", "resolving_team", "path", "handoffs", "escalations", "sessions", "work_time"]


def tech(**fields: Any) -> dict[str, Any]:
    """A category that tier 1 never solves (a failed attempt takes 4 min) and the others always do."""
    return {
        "name": "tech",
        "handle_time": fixed(10),
        "path": ["tier1", "tier2", "tier3"],
        "resolve_probability": {"tier1": 0},
        "failed_attempt_time": fixed(4),
        **fields,
    }


def one_tech_ticket(**fields: Any) -> RunRecords:
    """One tech ticket at time 0 routed to tier 1, one agent per tier, unless ``fields`` say otherwise."""
    return simulate(**{"channels": ONE_TECH, "categories": [tech()], "teams": TIERS, "routing": TO_TIER1, **fields})


def log(records: RunRecords) -> list[tuple]:
    return event_log(records, detail=True)


def tasks(records: RunRecords) -> list[tuple]:
    """Finished tasks as (ticket, kind, team, queued, started, work) tuples."""
    return [
        (int(t.ticket), str(t.kind), str(t.team), t.queued, t.started, t.work)
        for t in records.tasks.itertuples(index=False)
    ]


# -- 4. a swarm consult can fail -----------------------------------------------------------------------------
SWARM = {"mode": "swarm", "swarm": {"consult_time": fixed(3), "max_wait": 2}}


def test_a_failed_swarm_consult_falls_back_to_a_transfer_to_the_expert_team():
    # tier 2 never solves tech (its own resolve probability, in a consult too); tier 3 always does
    records = one_tech_ticket(categories=[tech(resolve_probability={"tier1": 0, "tier2": 0})], escalation=SWARM)
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|consult|tier2"),
        (4.0, 0, "task_queued", "tier2", "consult"),
        (4.0, 0, "task_started", "tier2", "consult"),
        (7.0, 0, "task_done", "tier2", "consult"),
        (7.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (7.0, 0, "handoff", "tier2", "cold"),
        (7.0, 0, "picked_up", "tier2", ""),
        (11.0, 0, "escalated", "tier2", "functional|consult|tier3"),
        (11.0, 0, "task_queued", "tier3", "consult"),
        (11.0, 0, "task_started", "tier3", "consult"),
        (14.0, 0, "task_done", "tier3", "consult"),
        (14.0, 0, "resolved", "tier2", ""),
    ]
    # work: tier 1's attempt (4) and its hold through the failed consult (3), tier 2's attempt (4) and hold (3)
    assert ticket_rows(records, COLUMNS) == [(0, "resolved", "tier2", "tier1>tier2", 1, 3, 2, 14.0)]
    assert tasks(records) == [(0, "consult", "tier2", 4.0, 4.0, 3.0), (0, "consult", "tier3", 11.0, 11.0, 3.0)]


def test_a_consult_without_a_consult_time_takes_the_expert_team_handle_time():
    records = one_tech_ticket(
        teams=[TIERS[0], dict(TIERS[1], handle_time_multiplier=0.5), TIERS[2]],
        escalation={"mode": "swarm", "swarm": {"max_wait": 2}},
    )
    # tier 2's handle time for tech is 10 x 0.5: the consult runs 4-9, and tier 2 solves what it consults on
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|consult|tier2"),
        (4.0, 0, "task_queued", "tier2", "consult"),
        (4.0, 0, "task_started", "tier2", "consult"),
        (9.0, 0, "task_done", "tier2", "consult"),
        (9.0, 0, "resolved", "tier1", ""),
    ]


def test_consult_success_rate_follows_the_expert_team_resolve_probability():
    scenario = build(
        horizon=20_000,
        channels=[{"name": "phone", "arrival_times": list(range(0, 20_000, 40)), "category_mix": {"tech": 1}}],
        categories=[tech(path=["tier1", "tier2"], resolve_probability={"tier1": 0, "tier2": 0.6})],
        teams=TIERS[:2],
        routing=TO_TIER1,
        escalation=SWARM,
    )
    records = run_replication(scenario)
    resolved_by = records.tickets["resolving_team"].astype(str)
    consulted = int((records.tasks["kind"] == "consult").sum())
    assert consulted >= 400
    # a consult resolves with tier 2's probability 0.6; a failed one goes to tier 2 (which also fails 40 %)
    assert (resolved_by == "tier1").sum() / consulted == pytest.approx(0.6, abs=0.08)


# -- 5. max_handoffs: the current team keeps trying --------------------------------------------------------
def test_after_the_handoff_cap_a_failed_attempt_retries_at_the_current_team():
    records = one_tech_ticket(
        horizon=18,
        categories=[tech(resolve_probability={"tier1": 0, "tier2": 0})],
        escalation={"handoff": {"max_handoffs": 1}},
    )
    # tier 2's attempt fails and the ticket has changed hands once already: tier 2 tries again, and again
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (8.0, 0, "queued", "tier2", ""),
        (8.0, 0, "picked_up", "tier2", ""),
        (12.0, 0, "queued", "tier2", ""),
        (12.0, 0, "picked_up", "tier2", ""),
        (16.0, 0, "queued", "tier2", ""),
        (16.0, 0, "picked_up", "tier2", ""),
    ]
    assert ticket_rows(records, ["outcome", "handoffs", "escalations"]) == [(0, "open", 1, 1)]


def test_after_the_handoff_cap_the_team_resolves_when_its_own_attempt_succeeds():
    records = one_tech_ticket(escalation={"handoff": {"max_handoffs": 0}})
    # no handoff is allowed: tier 1 (never successful) keeps the ticket and keeps trying
    assert ticket_rows(records, ["outcome", "handoffs", "escalations", "sessions"]) == [(0, "open", 0, 0, 25)]
    capped = one_tech_ticket(
        categories=[tech(resolve_probability={"tier1": 1})], escalation={"handoff": {"max_handoffs": 0}}
    )
    assert ticket_rows(capped, ["outcome", "resolving_team", "sessions"]) == [(0, "resolved", "tier1", 1)]


def test_the_handoff_cap_does_not_let_a_team_resolve_beyond_its_authority():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"refund": 1}}],
        categories=[{"name": "refund", "handle_time": fixed(10), "attributes": {"refund_amount": fixed(800)}}],
        teams=[
            {"name": "tier1", "agents": 1, "authority": {"refund_amount": 500}, "supervisor": "lead"},
            {"name": "lead", "agents": 1, "authority": {"refund_amount": 5000}},
        ],
        routing=TO_TIER1,
        escalation={"handoff": {"max_handoffs": 0}},
    )
    assert ticket_rows(records, ["outcome", "resolving_team", "path"]) == [(0, "resolved", "lead", "tier1>lead")]


# -- 6. authority approval as a sign-off ------------------------------------------------------------------
REFUND = [{"name": "phone", "arrival_times": [0], "category_mix": {"refund": 1}}]
REFUND_CATEGORY = [{"name": "refund", "handle_time": fixed(10), "attributes": {"refund_amount": fixed(800)}}]


def approval_teams(**tier1: Any) -> list[dict[str, Any]]:
    return [
        {"name": "tier1", "agents": 1, "authority": {"refund_amount": 500}, "supervisor": "lead", **tier1},
        {"name": "lead", "agents": 1, "authority": {"refund_amount": 5000}},
    ]


def test_an_approval_keeps_the_ticket_at_the_frontline_while_the_supervisor_signs_off():
    records = simulate(
        channels=REFUND,
        categories=REFUND_CATEGORY,
        teams=approval_teams(authority_mode="approve", approval_time=fixed(2)),
        routing=TO_TIER1,
    )
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (10.0, 0, "escalated", "tier1", "hierarchical|approval|lead"),
        (10.0, 0, "task_queued", "lead", "approval"),
        (10.0, 0, "task_started", "lead", "approval"),
        (12.0, 0, "task_done", "lead", "approval"),
        (12.0, 0, "resolved", "tier1", ""),
    ]
    # not a handoff: the path stays tier 1, whose agent held the ticket through the sign-off
    assert ticket_rows(records, COLUMNS) == [(0, "resolved", "tier1", "tier1", 0, 1, 1, 12.0)]
    assert tasks(records) == [(0, "approval", "lead", 10.0, 10.0, 2.0)]
    scenario = build(channels=REFUND, categories=REFUND_CATEGORY, teams=approval_teams(), routing=TO_TIER1)
    kpis = replication_kpis(records, scenario)
    assert kpis["escalation_reason.approval"] == 1.0
    assert kpis["escalation_kind.hierarchical"] == 1.0
    # first contact: the first agent resolved it in that one session; the sign-off is not a handoff
    assert kpis["fcr"] == 1.0


def test_the_flow_diagram_draws_an_approval_apart_since_the_ticket_stayed():
    from sim.reports.plot_flow import escalation_moves

    records = simulate(
        channels=REFUND,
        categories=REFUND_CATEGORY,
        teams=approval_teams(authority_mode="approve", approval_time=fixed(2)),
        routing=TO_TIER1,
    )
    moves = escalation_moves(records.events)
    assert list(zip(moves["kind"], moves["from_team"], moves["to_team"], strict=True)) == [
        ("approval", "tier1", "lead")
    ]


def test_authority_mode_transfer_is_the_default_and_hands_the_ticket_to_the_supervisor():
    records = simulate(channels=REFUND, categories=REFUND_CATEGORY, teams=approval_teams(), routing=TO_TIER1)
    assert ticket_rows(records, ["resolving_team", "path", "handoffs"]) == [(0, "lead", "tier1>lead", 1)]


def test_approve_mode_without_an_approval_time_is_refused_with_its_field_path():
    with pytest.raises(ScenarioError, match=r"teams\[0\].*approval_time"):
        build(
            channels=REFUND,
            categories=REFUND_CATEGORY,
            teams=approval_teams(authority_mode="approve"),
            routing=TO_TIER1,
        )


# -- 7. a move time rule always acts -----------------------------------------------------------------------
MOVE = {"time_rules": [{"name": "late", "clock": "resolution", "action": "move", "to": "seniors"}]}
SENIORS = [*TIERS[:2], {"name": "seniors", "tier": 2, "agents": 1}]


def test_a_move_due_during_a_session_takes_the_ticket_when_the_session_ends():
    records = one_tech_ticket(
        teams=[dict(TIERS[0], max_attempts=3), *SENIORS[1:]],
        categories=[tech(path=["tier1", "tier2"])],
        sla_policies=[{"name": "all", "resolution": {"target": 2}, "warnings": []}],
        escalation=MOVE,
    )
    # the breach (2) falls in tier 1's first attempt: instead of a retry, the ticket moves at its end (4)
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (2.0, 0, "sla_breach", "tier1", "resolution"),
        (4.0, 0, "escalated", "tier1", "automatic|late|seniors"),
        (4.0, 0, "handoff", "seniors", "cold"),
        (4.0, 0, "picked_up", "seniors", ""),
        (14.0, 0, "resolved", "seniors", ""),
    ]


def test_a_move_due_while_the_customer_owes_an_answer_takes_the_ticket_when_the_customer_replies():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        categories=[
            {
                "name": "question",
                "handle_time": fixed(5),
                "customer_reply": {"probability": 1, "delay": fixed(10)},
            }
        ],
        teams=SENIORS,
        routing=TO_TIER1,
        sla_policies=[
            {"name": "all", "resolution": {"target": 8}, "warnings": [], "pause_while_waiting_on_customer": False}
        ],
        escalation=MOVE,
    )
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (5.0, 0, "pending_customer", "tier1", ""),
        (8.0, 0, "sla_breach", "tier1", "resolution"),
        (15.0, 0, "customer_replied", "tier1", ""),
        (15.0, 0, "escalated", "tier1", "automatic|late|seniors"),
        (15.0, 0, "handoff", "seniors", "cold"),
        (15.0, 0, "picked_up", "seniors", ""),
        (20.0, 0, "resolved", "seniors", ""),
    ]


def test_a_move_due_during_a_session_that_resolves_the_ticket_moves_nothing():
    records = one_tech_ticket(
        categories=[tech(path=["tier1", "tier2"], resolve_probability={})],
        teams=SENIORS,
        sla_policies=[{"name": "all", "resolution": {"target": 2}, "warnings": []}],
        escalation=MOVE,
    )
    assert ticket_rows(records, ["resolving_team", "path", "escalations"]) == [(0, "tier1", "tier1", 0)]


# -- 8. learning can be switched off per team ----------------------------------------------------------------
def test_learning_applies_only_to_the_teams_it_names():
    scenario = build(
        horizon=200,
        channels=[
            {"name": "phone", "arrival_times": [0, 30], "category_mix": {"tech": 1}},
            {"name": "mail", "arrival_times": [60, 90], "category_mix": {"tech": 1}},
        ],
        categories=[tech(path=["tier1", "tier2"], resolve_probability={"tier1": 0, "email": 0})],
        teams=[*TIERS[:2], {"name": "email", "agents": 1}],
        routing=[{"channel": "mail", "team": "email"}, {"team": "tier1"}],
        escalation={"learning": {"team": ["tier1"], "step": 1.0, "cap": 1.0}},
    )
    desk = Desk(scenario)
    records = run(desk)
    # tier 1 learns from ticket 0's escalation and solves ticket 1; the email team (off the path, so it
    # escalates to tier 1) does not learn
    assert ticket_rows(records, ["resolving_team"]) == [(0, "tier2"), (1, "tier1"), (2, "tier1"), (3, "tier1")]
    assert desk.escalator.resolve_probability("tech", "tier1") == 1.0
    assert desk.escalator.resolve_probability("tech", "email") == 0.0


def test_several_teams_learn_each_from_its_own_escalated_tickets():
    scenario = build(
        horizon=200,
        channels=[
            {"name": "phone", "arrival_times": [0, 30], "category_mix": {"tech": 1}},
            {"name": "mail", "arrival_times": [60, 90], "category_mix": {"tech": 1}},
        ],
        categories=[tech(path=["tier1", "tier2"], resolve_probability={"tier1": 0, "email": 0})],
        teams=[*TIERS[:2], {"name": "email", "agents": 1}],
        routing=[{"channel": "mail", "team": "email"}, {"team": "tier1"}],
        escalation={"learning": {"team": ["tier1", "email"], "step": 1.0, "cap": 1.0}},
    )
    records = run_replication(scenario)
    assert ticket_rows(records, ["resolving_team"]) == [(0, "tier2"), (1, "tier1"), (2, "tier1"), (3, "email")]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cap=st.integers(0, 2),
    p1=st.floats(0, 1),
    p2=st.floats(0, 1),
    swarming=st.booleans(),
    warm=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_no_ticket_changes_hands_more_often_than_the_handoff_cap_for_capability(cap, p1, p2, swarming, warm, seed):
    escalation: dict[str, Any] = {"handoff": {"max_handoffs": cap, "mode": "warm" if warm else "cold"}}
    if swarming:
        escalation.update(SWARM)
    records = simulate(
        seed=seed,
        horizon=600,
        channels=[{"name": "phone", "rate_per_hour": 6, "category_mix": {"tech": 1}}],
        categories=[tech(resolve_probability={"tier1": p1, "tier2": p2, "tier3": 0.5})],
        teams=TIERS,
        routing=TO_TIER1,
        escalation=escalation,
    )
    assert int(records.tickets["handoffs"].max()) <= cap
