"""SLA fidelity stories: reopens, first response, priority changes and abandonment, worked out by hand.

Fixed arrival times and ``{dist: fixed}`` handle times make every record a hand calculation.
Logs are (time, ticket, event, team, detail) tuples in time order. Time 0 is Monday 2026-01-05 00:00.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import build, event_log, fixed, simulate, ticket_rows

from sim.analysis.kpi_catalogue import kpi_info
from sim.analysis.kpis import replication_kpis
from sim.engine.records import RunRecords
from sim.engine.replication import run_replication
from sim.scenario.spec import Scenario

ONE_TICKET = [{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}]


def log(records: RunRecords) -> list[tuple]:
    return event_log(records, detail=True)


def flaky(**reopen: Any) -> list[dict[str, Any]]:
    """A 10-minute question that always comes back 20 minutes after it is resolved."""
    return [{"name": "question", "handle_time": fixed(10), "reopen": {"probability": 1, "delay": fixed(20), **reopen}}]


# -- item 2: bounded reopens, the resolution SLA of a reopened ticket, first and final resolution time ----------
def test_a_ticket_reopens_at_most_once_by_default_even_with_probability_one():
    records = simulate(horizon=200, channels=ONE_TICKET, categories=flaky())
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "desk", ""),
        (10.0, 0, "resolved", "desk", ""),
        (30.0, 0, "reopened", "desk", ""),
        (30.0, 0, "picked_up", "desk", ""),
        (40.0, 0, "resolved", "desk", ""),
    ]


def test_reopen_max_allows_more_reopens_and_no_more():
    records = simulate(horizon=200, channels=ONE_TICKET, categories=flaky(max=2))
    assert [e[:3] for e in log(records) if e[2] in ("resolved", "reopened")] == [
        (10.0, 0, "resolved"),
        (30.0, 0, "reopened"),
        (40.0, 0, "resolved"),
        (60.0, 0, "reopened"),
        (70.0, 0, "resolved"),
    ]
    # resolution time leaves out the 2 x 20 minutes the ticket sat closed
    assert ticket_rows(records, ["reopens", "first_resolution_time", "closed_time", "resolution_time"]) == [
        (0, 2, 10.0, 40.0, 30.0)
    ]


def resolution_sla(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": "all", "resolution": {"target": 15}, "warnings": [], **fields}]


def test_reopened_ticket_resumes_its_resolution_clock_by_default():
    # resolved at 10 after 10 of its 15 minutes: met; reopened at 30 the clock resumes with 5 minutes left,
    # so it is due at 35 and breaches while the ticket is worked 30-40
    records = simulate(horizon=200, channels=ONE_TICKET, categories=flaky(), sla_policies=resolution_sla())
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "desk", ""),
        (10.0, 0, "sla_met", "desk", "resolution"),
        (10.0, 0, "resolved", "desk", ""),
        (30.0, 0, "reopened", "desk", ""),
        (30.0, 0, "picked_up", "desk", ""),
        (35.0, 0, "sla_breach", "desk", "resolution"),
        (40.0, 0, "resolved", "desk", ""),
    ]
    columns = ["resolution_due", "resolution_breached_at", "resolution_met", "first_resolution_time"]
    assert ticket_rows(records, [*columns, "resolution_time", "closed_time"]) == [
        (0, 35.0, 35.0, 0.0, 10.0, 20.0, 20.0)
    ]


def test_reopened_ticket_restarts_its_resolution_clock_when_the_policy_says_so():
    # restarted at 30 with the full 15 minutes: due at 45, resolved at 40, met again
    records = simulate(
        horizon=200, channels=ONE_TICKET, categories=flaky(), sla_policies=resolution_sla(on_reopen="restart")
    )
    assert [e for e in log(records) if e[2].startswith("sla")] == [
        (10.0, 0, "sla_met", "desk", "resolution"),
        (40.0, 0, "sla_met", "desk", "resolution"),
    ]
    assert ticket_rows(records, ["resolution_due", "resolution_breached_at", "resolution_met"]) == [
        (0, 45.0, None, 1.0)
    ]


def test_a_breach_before_the_first_resolution_stands_after_a_restart():
    records = simulate(
        horizon=200,
        channels=ONE_TICKET,
        categories=flaky(),
        sla_policies=[{"name": "all", "resolution": {"target": 5}, "warnings": [], "on_reopen": "restart"}],
    )
    assert ticket_rows(records, ["resolution_due", "resolution_breached_at", "resolution_met"]) == [(0, 35.0, 5.0, 0.0)]


@pytest.mark.parametrize("on_reopen", ["resume", "restart"])
def test_a_live_resolution_clock_reports_the_same_milestones_as_a_recorded_one_after_a_reopen(on_reopen):
    story = dict(horizon=200, channels=ONE_TICKET, categories=flaky(), sla_policies=resolution_sla(on_reopen=on_reopen))
    # a rule that acts too late to matter makes the resolution clock run on SimPy events
    late = {"time_rules": [{"name": "late", "clock": "resolution", "after": 1000, "action": "raise_priority"}]}
    recorded, live = simulate(**story), simulate(**story, escalation=late)
    assert log(live) == log(recorded)
    columns = ["resolution_due", "resolution_breached_at", "resolution_met"]
    assert ticket_rows(live, columns) == ticket_rows(recorded, columns)


def test_first_and_final_resolution_time_kpis_leave_out_time_closed():
    scenario = build(horizon=200, channels=ONE_TICKET, categories=flaky(), sla_policies=resolution_sla())
    kpis = replication_kpis(run_replication(scenario), scenario)
    assert (kpis["first_resolution_time_mean"], kpis["resolution_time_mean"]) == (10.0, 20.0)
    assert kpi_info("first_resolution_time_mean").unit == "min"
    assert "closed" in kpi_info("resolution_time_mean").label


# -- item 9: first response -------------------------------------------------------------------------------------
BILLING = dict(
    channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"billing": 1}}],
    categories=[{"name": "billing", "handle_time": fixed(10), "skill": "billing"}],
    teams=[{"name": "tier1", "agents": 1}, {"name": "finance", "agents": 1, "skills": ["billing"]}],
    routing=[{"team": "tier1"}],
    escalation={"handoff": {"triage_time": fixed(1)}},
)


def test_first_response_clock_ignores_a_triage_pickup_by_a_team_without_the_skill():
    # tier 1 picks it up at 0 only to see it needs billing (1 minute); finance picks it up at 1: too late
    records = simulate(**BILLING, sla_policies=[{"name": "all", "first_response": {"target": 0.5}, "warnings": []}])
    assert [e for e in log(records) if e[2] in ("picked_up", "sla_breach", "sla_met")] == [
        (0.0, 0, "picked_up", "tier1", "triage"),
        (0.5, 0, "sla_breach", "finance", "first_response"),
        (1.0, 0, "picked_up", "finance", ""),
    ]
    assert ticket_rows(records, ["answered_at", "first_response_breached_at", "first_response_met"]) == [
        (0, 0.0, 0.5, 0.0)
    ]


def test_first_response_clock_stops_at_a_pickup_by_a_team_with_the_skill():
    records = simulate(**BILLING, sla_policies=[{"name": "all", "first_response": {"target": 2}, "warnings": []}])
    assert (1.0, 0, "sla_met", "finance", "first_response") in log(records)


def test_first_response_clock_stops_at_the_first_reply_when_the_policy_says_so():
    # the agent picks it up at 0 and answers with the resolution at 10: a 5-minute target breaches at 5
    records = simulate(
        channels=ONE_TICKET,
        sla_policies=[{"name": "all", "first_response": {"target": 5}, "warnings": [], "first_response_ends": "reply"}],
    )
    assert [e for e in log(records) if e[2].startswith("sla")] == [(5.0, 0, "sla_breach", "desk", "first_response")]


def test_asking_the_customer_a_question_is_a_first_reply():
    records = simulate(
        channels=ONE_TICKET,
        categories=[
            {
                "name": "question",
                "handle_time": fixed(10),
                "customer_reply": {"probability": 1, "delay": fixed(30), "handle_time": fixed(5)},
            }
        ],
        sla_policies=[
            {"name": "all", "first_response": {"target": 12}, "warnings": [], "first_response_ends": "reply"}
        ],
    )
    assert (10.0, 0, "sla_met", "desk", "first_response") in log(records)


def test_an_escalated_tickets_customer_update_is_a_first_reply():
    # finance works the ticket 1-11; its second agent sends the customer an update 4-5 (every 3 from the transfer)
    records = simulate(
        **dict(
            BILLING, teams=[{"name": "tier1", "agents": 1}, {"name": "finance", "agents": 2, "skills": ["billing"]}]
        ),
        sla_policies=[
            {
                "name": "all",
                "first_response": {"target": 6},
                "warnings": [],
                "first_response_ends": "reply",
                "update_every": 3,
                "update_time": fixed(1),
            }
        ],
    )
    assert [e for e in log(records) if e[2].startswith("sla") or e[2].startswith("task")][:3] == [
        (4.0, 0, "task_queued", "finance", "update"),
        (4.0, 0, "task_started", "finance", "update"),
        (5.0, 0, "task_done", "finance", "update"),
    ]
    assert (5.0, 0, "sla_met", "finance", "first_response") in log(records)
    assert ticket_rows(records, ["first_response_met"]) == [(0, 1.0)]


# -- item 10: a priority change re-evaluates the SLA policy ----------------------------------------------------
def raised_scenario(first_response_p2: float, watch_resolution: bool = False) -> Scenario:
    """Ticket 1 (P2) waits behind ticket 0 and is raised to P1 when its first-response target runs out.

    ``watch_resolution`` adds a time rule on the resolution clock that acts too late to matter, so
    that clock runs live (SimPy events) instead of being worked out after the fact.
    """
    rules = [{"name": "urgent", "clock": "first_response", "action": "raise_priority"}]
    if watch_resolution:
        rules.append({"name": "late", "clock": "resolution", "after": 1000, "action": "raise_priority"})
    return build(
        horizon=200,
        channels=[{"name": "phone", "arrival_times": [0, 1], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "priority": {"P2": 1}, "handle_time": fixed(30)}],
        sla_policies=[
            {
                "name": "urgent",
                "match": {"priority": ["P1"]},
                "first_response": {"target": 5},
                "resolution": {"target": 20},
                "warnings": [],
            },
            {
                "name": "normal",
                "match": {"priority": ["P2"]},
                "first_response": {"target": first_response_p2},
                "resolution": {"target": 60},
                "warnings": [0.5],
            },
        ],
        escalation={"time_rules": rules},
    )


def raised(first_response_p2: float) -> RunRecords:
    return run_replication(raised_scenario(first_response_p2))


COLUMNS = ["priority", "final_priority", "sla_policy", "resolution_due", "resolution_breached_at", "resolution_met"]


def test_a_priority_raise_applies_the_new_policy_targets_measured_from_arrival():
    # raised at 6 (1 + 5); P1 resolution target 20 from arrival at 1: due 21, breached while it waits (to 30)
    records = raised(5)
    assert ticket_rows(records, COLUMNS)[1] == (1, "P2", "P1", "urgent", 21.0, 21.0, 0.0)
    assert (21.0, 1, "sla_breach", "desk", "resolution") in log(records)


def test_attainment_by_priority_counts_a_raised_ticket_under_the_priority_it_was_measured_against():
    scenario = raised_scenario(5)
    kpis = replication_kpis(run_replication(scenario), scenario)
    # ticket 0 (P2, resolved at 30 against 60) met; ticket 1 (raised to P1) breached
    assert (kpis["resolution_attainment.P1"], kpis["resolution_attainment.P2"]) == (0.0, 1.0)


@pytest.mark.parametrize("first_response_p2", [5, 25])
def test_a_live_resolution_clock_reports_the_same_milestones_as_a_recorded_one_after_a_raise(first_response_p2):
    def sla(records: RunRecords) -> list[tuple]:
        return [e for e in log(records) if e[2].startswith("sla")]

    live = run_replication(raised_scenario(first_response_p2, watch_resolution=True))
    assert sla(live) == sla(raised(first_response_p2))
    assert ticket_rows(live, COLUMNS) == ticket_rows(raised(first_response_p2), COLUMNS)


def test_a_new_target_already_run_out_at_the_raise_is_breached_when_it_ran_out():
    # raised at 26 (1 + 25): the P1 resolution target ran out at 21, before the raise
    records = raised(25)
    assert ticket_rows(records, COLUMNS)[1] == (1, "P2", "P1", "urgent", 21.0, 21.0, 0.0)
    assert [e for e in log(records) if e[1] == 1 and e[2].startswith("sla")] == [
        (13.5, 1, "sla_warning", "desk", "first_response@50%"),
        (21.0, 1, "sla_breach", "desk", "resolution"),
        (26.0, 1, "sla_breach", "desk", "first_response"),
    ]


def test_priority_is_the_arrival_priority_after_arrival_rules_and_final_priority_the_last():
    records = simulate(
        segments=["standard", "vip"],
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "priority": {"P2": 1}, "segment": {"vip": 1}, "handle_time": fixed(10)}],
        teams=[{"name": "desk", "agents": 1}, {"name": "vip_desk", "agents": 1}],
        routing=[{"team": "desk"}],
        escalation={"segment_rules": [{"segment": "vip", "route_to": "vip_desk", "priority_boost": 1}]},
    )
    assert ticket_rows(records, ["priority", "final_priority"]) == [(0, "P1", "P1")]


# -- item 11: abandoned tickets in SLA attainment ---------------------------------------------------------------
def abandoning(**policy: Any) -> dict[str, float]:
    """Ticket 0 is answered at once; ticket 1 hangs up at 6, before its 20-minute first-response target."""
    scenario = build(
        channels=[{"name": "phone", "arrival_times": [0, 1], "category_mix": {"question": 1}, "patience": fixed(5)}],
        sla_policies=[{"name": "all", "first_response": {"target": 20}, "resolution": {"target": 60}, **policy}],
    )
    return replication_kpis(run_replication(scenario), scenario)


def test_abandoned_tickets_count_as_breached_in_every_sla_kpi_by_default():
    kpis = abandoning()
    assert (kpis["first_response_attainment"], kpis["first_response_attainment.P2"]) == (0.5, 0.5)
    assert (kpis["resolution_attainment"], kpis["resolution_attainment.P2"]) == (0.5, 0.5)
    assert "sla_abandoned_excluded" not in kpis


def test_abandoned_tickets_can_be_left_out_of_sla_attainment_with_a_note_saying_so():
    kpis = abandoning(abandoned="excluded")
    assert (kpis["first_response_attainment"], kpis["resolution_attainment"]) == (1.0, 1.0)
    assert kpis["sla_abandoned_excluded"] == 1
    assert "left out" in kpi_info("sla_abandoned_excluded").label


@pytest.mark.parametrize("patience", [5.0, 0.5])
def test_more_abandonment_never_raises_attainment(patience):
    scenario = build(
        channels=[
            {
                "name": "phone",
                "arrival_times": [0, 1, 2, 3],
                "category_mix": {"question": 1},
                "patience": fixed(patience),
            }
        ],
        sla_policies=[{"name": "all", "first_response": {"target": 20}}],
    )
    patient = build(
        channels=[{"name": "phone", "arrival_times": [0, 1, 2, 3], "category_mix": {"question": 1}}],
        sla_policies=[{"name": "all", "first_response": {"target": 20}}],
    )
    attainment = replication_kpis(run_replication(scenario), scenario)["first_response_attainment"]
    assert attainment <= replication_kpis(run_replication(patient), patient)["first_response_attainment"]
