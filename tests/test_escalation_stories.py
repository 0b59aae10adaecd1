"""Escalation stories: tiny deterministic scenarios whose complete event log is worked out by hand.

Each story uses fixed arrival times, ``{dist: fixed}`` handle times and resolve probabilities of
0 or 1 (an attempt with probability 1 draws nothing; with 0 it always fails), so every record
follows from the scenario alone. Logs are (time, ticket, event, team, detail) in recorded order.
An ``escalated`` event is logged by the team the ticket leaves, with detail "kind|reason|to_team";
``handoff`` is logged at the receiving team. Tasks (reviews, consults, follow-ups, updates) are
logged under the id of the ticket they serve. Time 0 is Monday 2026-01-05 00:00.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import build, event_log, fixed, simulate, ticket_rows

from sim.engine.desk import Desk
from sim.engine.records import RunRecords
from sim.engine.replication import run

TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}]
TO_TIER1 = [{"team": "tier1"}]
ONE_TECH = [{"name": "phone", "arrival_times": [0], "category_mix": {"tech": 1}}]


def tech(**fields: Any) -> dict[str, Any]:
    """A category that tier 1 never solves (a failed attempt takes 4 min) and tier 2 always does."""
    return {
        "name": "tech",
        "handle_time": fixed(10),
        "path": ["tier1", "tier2"],
        "resolve_probability": {"tier1": 0},
        "failed_attempt_time": fixed(4),
        **fields,
    }


def one_tech_ticket(**fields: Any) -> RunRecords:
    """One tech ticket at time 0, tier 1 then tier 2, one agent each, unless ``fields`` say otherwise."""
    scenario = {"channels": ONE_TECH, "categories": [tech()], "teams": TIERS, "routing": TO_TIER1, **fields}
    return simulate(**scenario)


def log(records: RunRecords) -> list[tuple]:
    """The event log with details, as (time, ticket, event, team, detail) tuples."""
    return event_log(records, detail=True)


def levels(records: RunRecords, team: str, metric: str) -> list[tuple[float, float]]:
    """A team's step series of one level metric as (time, value) pairs."""
    series = records.levels[(records.levels["team"] == team) & (records.levels["metric"] == metric)]
    return list(zip(series["time"].tolist(), series["value"].tolist(), strict=True))


def visits(records: RunRecords) -> list[tuple]:
    """Stays at teams as (ticket, team, entered, left, work, exit) tuples."""
    return [
        (int(v.ticket), str(v.team), v.entered, v.left, v.work, str(v.exit))
        for v in records.visits.itertuples(index=False)
    ]


def tasks(records: RunRecords) -> list[tuple]:
    """Finished tasks as (ticket, kind, team, queued, started, work) tuples."""
    return [
        (int(t.ticket), str(t.kind), str(t.team), t.queued, t.started, t.work)
        for t in records.tasks.itertuples(index=False)
    ]


ESCALATION_COLUMNS = ["outcome", "resolving_team", "path", "handoffs", "escalations", "sessions", "work_time"]


# -- authority -----------------------------------------------------------------------------------------------
def test_refund_above_the_frontline_limit_goes_up_the_supervisor_chain_after_the_frontline_session():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"refund": 1}}],
        categories=[{"name": "refund", "handle_time": fixed(10), "attributes": {"refund_amount": fixed(800)}}],
        teams=[
            {"name": "tier1", "agents": 1, "authority": {"refund_amount": 500}, "supervisor": "lead"},
            {"name": "lead", "agents": 1, "authority": {"refund_amount": 700}, "supervisor": "manager"},
            {"name": "manager", "agents": 1, "authority": {"refund_amount": 5000}},
        ],
        routing=TO_TIER1,
    )
    # tier 1 spends its 10 minutes, then finds $800 above its $500; the lead's $700 is not enough either
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (10.0, 0, "escalated", "tier1", "hierarchical|authority|manager"),
        (10.0, 0, "handoff", "manager", "cold"),
        (10.0, 0, "picked_up", "manager", ""),
        (20.0, 0, "resolved", "manager", ""),
    ]
    assert ticket_rows(records, ESCALATION_COLUMNS) == [(0, "resolved", "manager", "tier1>manager", 1, 1, 2, 20.0)]
    assert visits(records) == [(0, "tier1", 0.0, 10.0, 10.0, "escalated"), (0, "manager", 10.0, 20.0, 10.0, "resolved")]


# -- capability ----------------------------------------------------------------------------------------------
def test_failed_tier1_attempt_escalates_along_the_category_path_to_tier2():
    records = one_tech_ticket()
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ESCALATION_COLUMNS) == [(0, "resolved", "tier2", "tier1>tier2", 1, 1, 2, 14.0)]


def test_tier1_with_two_attempts_retries_once_then_escalates_for_repeated_failure():
    records = one_tech_ticket(teams=[dict(TIERS[0], max_attempts=2), TIERS[1]])
    # the retry re-enters tier 1's queue while its agent still holds the ticket, then is picked up again
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "queued", "tier1", ""),
        (4.0, 0, "picked_up", "tier1", ""),
        (8.0, 0, "escalated", "tier1", "functional|repeated_failure|tier2"),
        (8.0, 0, "handoff", "tier2", "cold"),
        (8.0, 0, "picked_up", "tier2", ""),
        (18.0, 0, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ESCALATION_COLUMNS) == [(0, "resolved", "tier2", "tier1>tier2", 1, 1, 3, 18.0)]


def test_the_last_team_on_the_path_keeps_retrying_a_ticket_it_cannot_solve():
    records = one_tech_ticket(horizon=15, categories=[tech(resolve_probability={"tier1": 0, "tier2": 0})])
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
    ]
    assert ticket_rows(records, ["outcome", "handoffs"]) == [(0, "open", 1)]


# -- skill ---------------------------------------------------------------------------------------------------
BILLING = {"name": "billing", "skill": "billing", "handle_time": fixed(10)}
FINANCE = [{"name": "tier1", "agents": 1}, {"name": "finance", "agents": 1, "skills": ["billing"]}]


BILLING_CALL = {"name": "phone", "arrival_times": [0], "category_mix": {"billing": 1}}
BILLING_ONLY_AT_FINANCE = {**BILLING, "handle_time": {"finance": fixed(7)}}


def billing_via_tier1(**fields: Any) -> RunRecords:
    """Billing calls routed to tier 1, which lacks the skill and triages in 2 min; ``fields`` replace the rest."""
    scenario = {
        "channels": [BILLING_CALL],
        "categories": [BILLING],
        "teams": FINANCE,
        "routing": TO_TIER1,
        "escalation": {"handoff": {"triage_time": fixed(2)}},
        **fields,
    }
    return simulate(**scenario)


def test_team_without_the_skill_triages_then_transfers_to_the_team_that_has_it():
    records = billing_via_tier1()
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", "triage"),
        (2.0, 0, "escalated", "tier1", "functional|skill|finance"),
        (2.0, 0, "handoff", "finance", "cold"),
        (2.0, 0, "picked_up", "finance", ""),
        (12.0, 0, "resolved", "finance", ""),
    ]
    assert ticket_rows(records, ESCALATION_COLUMNS) == [(0, "resolved", "finance", "tier1>finance", 1, 1, 2, 12.0)]


def test_the_team_with_the_skill_works_a_triaged_ticket_for_its_own_handle_time():
    slow_triage = [{**FINANCE[0], "handle_time_multiplier": 5}, {**FINANCE[1], "handle_time_multiplier": 2}]
    records = billing_via_tier1(teams=slow_triage)
    assert log(records)[-1] == (22.0, 0, "resolved", "finance", "")  # 2 min triage, then 10 min x finance's 2


def test_a_triaging_team_needs_no_handle_time_for_a_category_it_cannot_work():
    records = billing_via_tier1(categories=[BILLING_ONLY_AT_FINANCE])
    assert log(records)[-1] == (9.0, 0, "resolved", "finance", "")


def test_a_caller_who_hangs_up_at_a_triaging_team_without_a_handle_time_calls_again_and_is_served():
    retrying = {
        **BILLING_CALL,
        "arrival_times": [0, 0],
        "patience": fixed(1),
        "retrial": {"probability": 1, "delay": fixed(30), "max": 1},
    }
    records = billing_via_tier1(channels=[retrying], categories=[BILLING_ONLY_AT_FINANCE])
    outcomes = ticket_rows(records, ["outcome", "resolving_team"])
    assert outcomes == [(0, "resolved", "finance"), (1, "abandoned", None), (2, "resolved", "finance")]


# -- customer value and regulation ---------------------------------------------------------------------------
def test_vip_skips_tier1_and_jumps_the_tier2_queue_with_a_priority_boost():
    records = simulate(
        segments=["standard", "vip"],
        channels=[
            {"name": "direct", "arrival_times": [0, 1], "category_mix": {"question": 1}},
            {"name": "phone", "arrival_times": [2], "category_mix": {"vip_question": 1}},
        ],
        categories=[
            {"name": "question", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "vip_question", "priority": {"P2": 1}, "segment": {"vip": 1}, "handle_time": fixed(10)},
        ],
        teams=TIERS,
        routing=[{"channel": "direct", "team": "tier2"}, {"team": "tier1"}],
        escalation={"segment_rules": [{"segment": "vip", "route_to": "tier2", "priority_boost": 1}]},
    )
    # ticket 2 (VIP, P2 -> P1) arrives after ticket 1 but is served first at tier 2
    assert log(records) == [
        (0.0, 0, "arrival", "", "direct"),
        (0.0, 0, "picked_up", "tier2", ""),
        (1.0, 1, "arrival", "", "direct"),
        (1.0, 1, "queued", "tier2", ""),
        (2.0, 2, "arrival", "", "phone"),
        (2.0, 2, "priority_raised", "", "P1"),
        (2.0, 2, "escalated", "tier1", "hierarchical|customer_value|tier2"),
        (2.0, 2, "queued", "tier2", ""),
        (10.0, 0, "resolved", "tier2", ""),
        (10.0, 2, "picked_up", "tier2", ""),
        (20.0, 2, "resolved", "tier2", ""),
        (20.0, 1, "picked_up", "tier2", ""),
        (30.0, 1, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ["priority", "first_team", "path", "handoffs", "escalations"])[2] == (
        2,
        "P1",
        "tier2",
        "tier2",
        0,
        1,
    )


def test_regulated_ticket_goes_straight_to_compliance_at_top_priority():
    records = simulate(
        channels=[
            {"name": "direct", "arrival_times": [0, 1], "category_mix": {"audit": 1}},
            {"name": "phone", "arrival_times": [2], "category_mix": {"breach": 1}},
        ],
        categories=[
            {"name": "audit", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "breach", "priority": {"P2": 1}, "regulated": True, "handle_time": fixed(10)},
        ],
        teams=[{"name": "tier1", "agents": 1}, {"name": "compliance", "agents": 1}],
        routing=[{"channel": "direct", "team": "compliance"}, {"team": "tier1"}],
        escalation={"compliance_team": "compliance"},
    )
    assert log(records) == [
        (0.0, 0, "arrival", "", "direct"),
        (0.0, 0, "picked_up", "compliance", ""),
        (1.0, 1, "arrival", "", "direct"),
        (1.0, 1, "queued", "compliance", ""),
        (2.0, 2, "arrival", "", "phone"),
        (2.0, 2, "priority_raised", "", "P1"),
        (2.0, 2, "escalated", "tier1", "functional|regulatory|compliance"),
        (2.0, 2, "queued", "compliance", ""),
        (10.0, 0, "resolved", "compliance", ""),
        (10.0, 2, "picked_up", "compliance", ""),
        (20.0, 2, "resolved", "compliance", ""),
        (20.0, 1, "picked_up", "compliance", ""),
        (30.0, 1, "resolved", "compliance", ""),
    ]


# -- time-based (automatic) escalation -----------------------------------------------------------------------
# ticket 0 (plain, P2) takes the agent at 0-10; ticket 1 (P2, resolution SLA 5 min) waits from 1 and breaches
# at 6; ticket 2 (urgent, P1) arrives at 2 and would normally be served before ticket 1
LATE_CHANNELS = [
    {"name": "a", "arrival_times": [0], "category_mix": {"plain": 1}},
    {"name": "b", "arrival_times": [1], "category_mix": {"watched": 1}},
    {"name": "c", "arrival_times": [2], "category_mix": {"urgent": 1}},
]
LATE_CATEGORIES = [
    {"name": "plain", "priority": {"P2": 1}, "handle_time": fixed(10)},
    {"name": "watched", "priority": {"P2": 1}, "handle_time": fixed(10)},
    {"name": "urgent", "priority": {"P1": 1}, "handle_time": fixed(10)},
]
WATCHED_SLA = [{"name": "watched", "match": {"category": ["watched"]}, "resolution": {"target": 5}, "warnings": []}]
RAISE = {"name": "late", "clock": "resolution", "action": "raise_priority"}
BEFORE_BREACH = [
    (0.0, 0, "arrival", "", "a"),
    (0.0, 0, "picked_up", "desk", ""),
    (1.0, 1, "arrival", "", "b"),
    (1.0, 1, "queued", "desk", ""),
    (2.0, 2, "arrival", "", "c"),
    (2.0, 2, "queued", "desk", ""),
    (6.0, 1, "sla_breach", "desk", "resolution"),
]


def late_story(**fields: Any) -> RunRecords:
    """The three tickets of the time-rule stories, with ``fields`` added."""
    return simulate(channels=LATE_CHANNELS, categories=LATE_CATEGORIES, sla_policies=WATCHED_SLA, **fields)


def test_resolution_breach_raises_the_waiting_ticket_priority_ahead_of_later_urgent_work():
    records = late_story(escalation={"time_rules": [RAISE]})
    assert log(records) == [
        *BEFORE_BREACH,
        (6.0, 1, "escalated", "desk", "automatic|late|desk"),
        (6.0, 1, "priority_raised", "desk", "P1"),
        (10.0, 0, "resolved", "desk", ""),
        (10.0, 1, "picked_up", "desk", ""),
        (20.0, 1, "resolved", "desk", ""),
        (20.0, 2, "picked_up", "desk", ""),
        (30.0, 2, "resolved", "desk", ""),
    ]


def test_resolution_breach_moves_the_waiting_ticket_to_another_team_queue():
    records = late_story(
        teams=[{"name": "desk", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}],
        escalation={"time_rules": [{"name": "late", "clock": "resolution", "action": "move", "to": "tier2"}]},
    )
    assert log(records) == [
        *BEFORE_BREACH,
        (6.0, 1, "escalated", "desk", "automatic|late|tier2"),
        (6.0, 1, "handoff", "tier2", "cold"),
        (6.0, 1, "picked_up", "tier2", ""),
        (10.0, 0, "resolved", "desk", ""),
        (10.0, 2, "picked_up", "desk", ""),
        (16.0, 1, "resolved", "tier2", ""),
        (20.0, 2, "resolved", "desk", ""),
    ]


def test_escalation_ladder_raises_priority_at_breach_and_pulls_in_a_supervisor_review_later():
    records = late_story(
        teams=[{"name": "desk", "agents": 1}, {"name": "supervisors", "agents": 1}],
        escalation={
            "time_rules": [
                RAISE,
                {
                    "name": "late_l2",
                    "clock": "resolution",
                    "after": 3,
                    "action": "review",
                    "reviewer": "supervisors",
                    "review_time": fixed(4),
                },
            ]
        },
    )
    assert log(records) == [
        *BEFORE_BREACH,
        (6.0, 1, "escalated", "desk", "automatic|late|desk"),
        (6.0, 1, "priority_raised", "desk", "P1"),
        (9.0, 1, "escalated", "desk", "automatic|late_l2|supervisors"),
        (9.0, 1, "task_queued", "supervisors", "review"),
        (9.0, 1, "task_started", "supervisors", "review"),
        (10.0, 0, "resolved", "desk", ""),
        (10.0, 1, "picked_up", "desk", ""),
        (13.0, 1, "task_done", "supervisors", "review"),
        (20.0, 1, "resolved", "desk", ""),
        (20.0, 2, "picked_up", "desk", ""),
        (30.0, 2, "resolved", "desk", ""),
    ]
    assert tasks(records) == [(1, "review", "supervisors", 9.0, 9.0, 4.0)]


def test_ticket_waiting_longer_than_the_queue_limit_moves_to_another_team():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}}],
        teams=TIERS,
        routing=TO_TIER1,
        escalation={"time_rules": [{"name": "long_wait", "queue_wait": 5, "action": "move", "to": "tier2"}]},
    )
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (1.0, 1, "arrival", "", "phone"),
        (1.0, 1, "queued", "tier1", ""),
        (2.0, 2, "arrival", "", "phone"),
        (2.0, 2, "queued", "tier1", ""),
        (6.0, 1, "escalated", "tier1", "automatic|long_wait|tier2"),
        (6.0, 1, "handoff", "tier2", "cold"),
        (6.0, 1, "picked_up", "tier2", ""),
        (7.0, 2, "escalated", "tier1", "automatic|long_wait|tier2"),
        (7.0, 2, "handoff", "tier2", "cold"),
        (7.0, 2, "queued", "tier2", ""),
        (10.0, 0, "resolved", "tier1", ""),
        (16.0, 1, "resolved", "tier2", ""),
        (16.0, 2, "picked_up", "tier2", ""),
        (26.0, 2, "resolved", "tier2", ""),
    ]


def test_queue_wait_rule_still_moves_a_ticket_whose_priority_was_raised_while_it_waited():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 1], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "priority": {"P2": 1}, "handle_time": fixed(30)}],
        teams=TIERS,
        routing=TO_TIER1,
        sla_policies=[{"name": "all", "first_response": {"target": 3}, "warnings": []}],
        escalation={
            "time_rules": [
                {"name": "urgent", "clock": "first_response", "action": "raise_priority"},
                {"name": "long_wait", "queue_wait": 10, "action": "move", "to": "tier2"},
            ]
        },
    )
    # ticket 1 waits at tier 1 from 1 to 30; raised to P1 at its first-response breach (4); moved at 11
    assert (11.0, 1, "escalated", "tier1", "automatic|long_wait|tier2") in log(records)


# -- dissatisfaction -----------------------------------------------------------------------------------------
def test_customer_frustrated_by_waiting_gets_a_manager_intervention_and_top_priority():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "priority": {"P2": 1}, "handle_time": fixed(10)}],
        teams=[{"name": "desk", "agents": 1}, {"name": "managers", "agents": 1}],
        escalation={
            "dissatisfaction": {
                "per_hour_waiting": 6,
                "per_handoff": 1,
                "threshold": 1,
                "manager": "managers",
                "review_time": fixed(3),
            }
        },
    )
    # frustration grows 0.1 a minute: ticket 1 waits 9 minutes (0.9), ticket 2 reaches 1.0 at 12
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "desk", ""),
        (1.0, 1, "arrival", "", "phone"),
        (1.0, 1, "queued", "desk", ""),
        (2.0, 2, "arrival", "", "phone"),
        (2.0, 2, "queued", "desk", ""),
        (10.0, 0, "resolved", "desk", ""),
        (10.0, 1, "picked_up", "desk", ""),
        (12.0, 2, "escalated", "desk", "hierarchical|dissatisfaction|managers"),
        (12.0, 2, "task_queued", "managers", "intervention"),
        (12.0, 2, "priority_raised", "desk", "P1"),
        (12.0, 2, "task_started", "managers", "intervention"),
        (15.0, 2, "task_done", "managers", "intervention"),
        (20.0, 1, "resolved", "desk", ""),
        (20.0, 2, "picked_up", "desk", ""),
        (30.0, 2, "resolved", "desk", ""),
    ]
    assert tasks(records) == [(2, "intervention", "managers", 12.0, 12.0, 3.0)]


# -- handoffs ------------------------------------------------------------------------------------------------
# tier 2 is busy with a direct ticket (1) until 8; tech tickets 0 and 2 reach tier 1 at 0 and 5
BUSY_TIER2 = {
    "channels": [
        {"name": "phone", "arrival_times": [0, 5], "category_mix": {"tech": 1}},
        {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}},
    ],
    "categories": [tech(), {"name": "other", "handle_time": fixed(8)}],
    "teams": TIERS,
    "routing": [{"channel": "direct", "team": "tier2"}, {"team": "tier1"}],
}


def test_cold_handoff_frees_the_sender_at_once_and_the_ticket_waits_in_the_receiving_queue():
    records = simulate(**BUSY_TIER2, escalation={"handoff": {"mode": "cold"}})
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 1, "arrival", "", "direct"),
        (0.0, 0, "picked_up", "tier1", ""),
        (0.0, 1, "picked_up", "tier2", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "queued", "tier2", ""),
        (5.0, 2, "arrival", "", "phone"),
        (5.0, 2, "picked_up", "tier1", ""),
        (8.0, 1, "resolved", "tier2", ""),
        (8.0, 0, "picked_up", "tier2", ""),
        (9.0, 2, "escalated", "tier1", "functional|complexity|tier2"),
        (9.0, 2, "handoff", "tier2", "cold"),
        (9.0, 2, "queued", "tier2", ""),
        (18.0, 0, "resolved", "tier2", ""),
        (18.0, 2, "picked_up", "tier2", ""),
        (28.0, 2, "resolved", "tier2", ""),
    ]
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (4.0, 0.0), (5.0, 1.0), (9.0, 0.0)]


def test_warm_handoff_keeps_the_sender_busy_until_a_receiver_joins_then_both_for_the_handoff_time():
    # callers on the line (a patience, here never reached) go warm; senders may hold up to 10 minutes
    live = [{**BUSY_TIER2["channels"][0], "patience": fixed(60)}, BUSY_TIER2["channels"][1]]
    warm = {"mode": "warm", "handoff_time": fixed(2), "max_hold": "10m"}
    records = simulate(**{**BUSY_TIER2, "channels": live}, escalation={"handoff": warm})
    # ticket 0: tier-1 agent holds on 4-8 until tier 2 is free, both brief 8-10, tier 2 works 10-20;
    # ticket 2 therefore waits at tier 1 until 10; its sender holds on 14-20 and briefs 20-22
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 1, "arrival", "", "direct"),
        (0.0, 0, "picked_up", "tier1", ""),
        (0.0, 1, "picked_up", "tier2", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "queued", "tier2", ""),
        (5.0, 2, "arrival", "", "phone"),
        (5.0, 2, "queued", "tier1", ""),
        (8.0, 1, "resolved", "tier2", ""),
        (8.0, 0, "handoff", "tier2", "warm"),
        (8.0, 0, "picked_up", "tier2", ""),
        (10.0, 2, "picked_up", "tier1", ""),
        (14.0, 2, "escalated", "tier1", "functional|complexity|tier2"),
        (14.0, 2, "queued", "tier2", ""),
        (20.0, 0, "resolved", "tier2", ""),
        (20.0, 2, "handoff", "tier2", "warm"),
        (20.0, 2, "picked_up", "tier2", ""),
        (32.0, 2, "resolved", "tier2", ""),
    ]
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (10.0, 0.0), (10.0, 1.0), (22.0, 0.0)]
    assert levels(records, "tier2", "busy") == [
        (0.0, 1.0),
        (8.0, 0.0),
        (8.0, 1.0),
        (20.0, 0.0),
        (20.0, 1.0),
        (32.0, 0.0),
    ]


def test_incomplete_context_adds_rework_to_the_receiving_agent_session():
    records = one_tech_ticket(escalation={"handoff": {"context_complete": 0, "rework_time": fixed(3)}})
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "rework", "tier2", ""),
        (4.0, 0, "picked_up", "tier2", ""),
        (17.0, 0, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ["rework_time", "work_time"]) == [(0, 3.0, 17.0)]


def test_handoff_cap_makes_the_team_holding_the_ticket_keep_trying():
    records = one_tech_ticket(
        horizon=13,
        categories=[tech(path=["tier1", "tier2", "tier3"], resolve_probability={"tier1": 0, "tier2": 0})],
        teams=[*TIERS, {"name": "tier3", "tier": 3, "agents": 1}],
        escalation={"handoff": {"max_handoffs": 1}},
    )
    # tier 2's attempt fails too, but the ticket has changed hands once already: tier 2 tries again
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
    ]


def test_handoff_cap_never_lets_a_team_without_the_skill_resolve_the_ticket():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"billing": 1}}],
        categories=[BILLING],
        teams=FINANCE,
        routing=TO_TIER1,
        escalation={"handoff": {"triage_time": fixed(2), "max_handoffs": 0}},
    )
    assert ticket_rows(records, ["resolving_team"]) == [(0, "finance")]


# -- swarming ------------------------------------------------------------------------------------------------
SWARM = {"mode": "swarm", "swarm": {"consult_time": fixed(3), "max_wait": 2}}


def test_swarm_pulls_a_free_expert_into_a_consult_and_the_frontline_agent_resolves():
    records = one_tech_ticket(escalation=SWARM)
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|consult|tier2"),
        (4.0, 0, "task_queued", "tier2", "consult"),
        (4.0, 0, "task_started", "tier2", "consult"),
        (7.0, 0, "task_done", "tier2", "consult"),
        (7.0, 0, "resolved", "tier1", ""),
    ]
    # work time: the session (4) plus the frontline agent holding the ticket through the consult (4-7)
    assert ticket_rows(records, ESCALATION_COLUMNS) == [(0, "resolved", "tier1", "tier1", 0, 1, 1, 7.0)]
    assert tasks(records) == [(0, "consult", "tier2", 4.0, 4.0, 3.0)]
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (7.0, 0.0)]


def test_swarm_falls_back_to_a_transfer_when_no_expert_is_free_within_max_wait():
    records = simulate(**{**BUSY_TIER2, "channels": ONE_TECH + BUSY_TIER2["channels"][1:]}, escalation=SWARM)
    # the consult waits at tier 2 from 4 and is withdrawn at 6; the ticket then waits there 6-8. Those waits
    # are checked on the queue level below
    assert [event for event in log(records) if event[2] != "queued"] == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 1, "arrival", "", "direct"),
        (0.0, 0, "picked_up", "tier1", ""),
        (0.0, 1, "picked_up", "tier2", ""),
        (4.0, 0, "escalated", "tier1", "functional|consult|tier2"),
        (4.0, 0, "task_queued", "tier2", "consult"),
        (6.0, 0, "task_cancelled", "tier2", "consult"),
        (6.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (6.0, 0, "handoff", "tier2", "cold"),
        (8.0, 1, "resolved", "tier2", ""),
        (8.0, 0, "picked_up", "tier2", ""),
        (18.0, 0, "resolved", "tier2", ""),
    ]
    # two escalations: the consult request and the transfer; work: 4 + the 2 minutes waiting for an expert + 10
    assert ticket_rows(records, ESCALATION_COLUMNS)[0] == (0, "resolved", "tier2", "tier1>tier2", 1, 2, 2, 16.0)
    assert tasks(records) == []
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (6.0, 0.0)]
    assert levels(records, "tier2", "queue") == [(4.0, 1.0), (6.0, 0.0), (6.0, 1.0), (8.0, 0.0)]


# -- ownership and customer updates --------------------------------------------------------------------------
def test_owning_frontline_team_follows_up_after_another_team_resolved_the_ticket():
    records = one_tech_ticket(escalation={"ownership": {"follow_up_time": fixed(3)}})
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "resolved", "tier2", ""),
        (14.0, 0, "task_queued", "tier1", "follow_up"),
        (14.0, 0, "task_started", "tier1", "follow_up"),
        (17.0, 0, "task_done", "tier1", "follow_up"),
    ]
    assert tasks(records) == [(0, "follow_up", "tier1", 14.0, 14.0, 3.0)]


UPDATES = [{"name": "all", "update_every": 10, "update_time": fixed(2)}]


def test_escalated_customer_gets_an_update_every_interval_until_resolution():
    records = one_tech_ticket(
        categories=[tech(handle_time=fixed(25))], teams=[TIERS[0], dict(TIERS[1], agents=2)], sla_policies=UPDATES
    )
    # the update clock starts at the escalation (4): updates at 14 and 24 by tier 2's second agent
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "task_queued", "tier2", "update"),
        (14.0, 0, "task_started", "tier2", "update"),
        (16.0, 0, "task_done", "tier2", "update"),
        (24.0, 0, "task_queued", "tier2", "update"),
        (24.0, 0, "task_started", "tier2", "update"),
        (26.0, 0, "task_done", "tier2", "update"),
        (29.0, 0, "resolved", "tier2", ""),
    ]


def test_customer_updates_start_with_the_transfer_even_after_an_earlier_priority_raise():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 1], "category_mix": {"tech": 1}}],
        categories=[tech(handle_time=fixed(25))],
        teams=[TIERS[0], dict(TIERS[1], agents=3)],
        routing=TO_TIER1,
        sla_policies=[
            {
                "name": "all",
                "first_response": {"target": 2},
                "warnings": [],
                "update_every": 10,
                "update_time": fixed(2),
            }
        ],
        escalation={"time_rules": [{"name": "urgent", "clock": "first_response", "action": "raise_priority"}]},
    )
    # ticket 1 is raised at 3 while waiting, then transferred to tier 2 at 8 and worked there 8-33
    assert [t[:4] for t in tasks(records) if t[0] == 1] == [(1, "update", "tier2", 18.0), (1, "update", "tier2", 28.0)]


def test_no_customer_update_is_worked_after_its_ticket_was_resolved():
    records = one_tech_ticket(categories=[tech(handle_time=fixed(30))], sla_policies=UPDATES)
    # tier 2's only agent works the ticket 4-34; updates fall due at 14 and 24 while it is busy
    updates = [e for e in log(records) if e[2].startswith("task_")]
    assert updates == [
        (14.0, 0, "task_queued", "tier2", "update"),
        (24.0, 0, "task_queued", "tier2", "update"),
        (34.0, 0, "task_cancelled", "tier2", "update"),
        (34.0, 0, "task_cancelled", "tier2", "update"),
    ]
    assert tasks(records) == []  # both were cancelled at the resolution, none worked


def test_a_waiting_task_is_not_logged_as_its_ticket_queueing():
    records = one_tech_ticket(categories=[tech(handle_time=fixed(30))], sla_policies=UPDATES)
    assert (14.0, 0, "queued", "tier2", "") not in log(records)


# -- reopen --------------------------------------------------------------------------------------------------
def test_reopened_ticket_returns_to_the_team_that_resolved_it():
    records = one_tech_ticket(horizon=60, categories=[tech(reopen={"probability": 1, "delay": fixed(20)})])
    # it reopens once: a ticket reopens at most reopen.max times (default 1)
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "resolved", "tier2", ""),
        (34.0, 0, "reopened", "tier2", ""),
        (34.0, 0, "picked_up", "tier2", ""),
        (44.0, 0, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ["outcome", "reopens", "resolved_at", "sessions", "path"]) == [
        (0, "resolved", 1, 44.0, 3, "tier1>tier2")
    ]


def test_reopened_ticket_returns_to_its_first_team_when_the_category_says_so():
    records = one_tech_ticket(
        horizon=50, categories=[tech(reopen={"probability": {"tier2": 1}, "delay": fixed(20), "return_to": "first"})]
    )
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "resolved", "tier2", ""),
        (34.0, 0, "reopened", "tier1", ""),
        (34.0, 0, "picked_up", "tier1", ""),
        (38.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (38.0, 0, "handoff", "tier2", "cold"),
        (38.0, 0, "picked_up", "tier2", ""),
        (48.0, 0, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ["outcome", "reopens", "handoffs", "path"]) == [
        (0, "resolved", 1, 2, "tier1>tier2>tier1>tier2")
    ]


# -- learning ------------------------------------------------------------------------------------------------
def test_frontline_learns_from_an_escalated_resolution_and_solves_the_next_ticket_itself():
    scenario = build(
        channels=[{"name": "phone", "arrival_times": [0, 20], "category_mix": {"tech": 1}}],
        categories=[tech()],
        teams=TIERS,
        routing=TO_TIER1,
        escalation={"learning": {"team": "tier1", "step": 1.0, "cap": 1.0}},
    )
    desk = Desk(scenario)
    records = run(desk)
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "picked_up", "tier2", ""),
        (14.0, 0, "resolved", "tier2", ""),
        (20.0, 1, "arrival", "", "phone"),
        (20.0, 1, "picked_up", "tier1", ""),
        (30.0, 1, "resolved", "tier1", ""),
    ]
    assert desk.escalator.resolve_probability("tech", "tier1") == 1.0


def test_frontline_resolve_probability_rises_by_step_per_escalated_resolution_up_to_the_cap():
    scenario = build(
        horizon=400,
        channels=[{"name": "phone", "arrival_times": list(range(0, 300, 20)), "category_mix": {"tech": 1}}],
        categories=[tech(resolve_probability={"tier1": 0.2})],
        teams=TIERS,
        routing=TO_TIER1,
        escalation={"learning": {"team": "tier1", "step": 0.1, "cap": 0.7}},
    )
    desk = Desk(scenario)
    records = run(desk)
    resolved_upstream = int((records.tickets["resolving_team"] == "tier2").sum())
    assert resolved_upstream >= 2
    assert desk.escalator.resolve_probability("tech", "tier1") == pytest.approx(min(0.7, 0.2 + 0.1 * resolved_upstream))
    assert desk.escalator.resolve_probability("tech", "tier2") == 1.0


def test_ticket_rerouted_on_arrival_is_worked_for_the_receiving_team_handle_time():
    records = simulate(
        segments=["standard", "vip"],
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        categories=[
            {"name": "question", "segment": {"vip": 1}, "handle_time": {"tier1": fixed(10), "tier2": fixed(30)}}
        ],
        teams=TIERS,
        routing=TO_TIER1,
        escalation={"segment_rules": [{"segment": "vip", "route_to": "tier2"}]},
    )
    assert ticket_rows(records, ["resolving_team", "resolved_at"]) == [(0, "tier2", 30.0)]
