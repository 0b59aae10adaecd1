"""Customers who wait: patience on every live wait, and warm handoffs that cannot hold forever.

A *live* channel is one with a patience (phone, chat): every wait of its tickets in a queue can end
in abandonment, not only the first. A transferred customer continues the patience left over from
earlier waits of the contact (``patience_after_transfer: remaining``, the default) or draws a fresh
one (``fresh``); a customer who comes back (after replying, or when a resolved ticket reopens) starts
a new contact with a fresh patience. Time spent pending on the customer is not a wait. A warm sender
holds the line for at most ``escalation.handoff.max_hold`` and never past the end of the shift; then
the transfer becomes cold (``handoff`` with detail ``cold_fallback``). Tickets of channels without a
patience (email) always transfer cold.

Stories use fixed arrival times and ``{dist: fixed}`` durations; logs are (time, ticket, event,
team, detail) in recorded order. Time 0 is Monday 2026-01-05 00:00.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_conserved, build, event_log, fixed, simulate, ticket_rows

from sim.analysis.kpi_catalogue import KPIS
from sim.analysis.kpis import replication_kpis
from sim.engine.records import RunRecords
from sim.engine.replication import run_replication
from sim.scenario.errors import ScenarioError
from sim.scenario.escalation import HandoffSpec
from sim.scenario.loader import validate

TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}]
TECH = {
    "name": "tech",  # tier 1 never solves it (a failed attempt takes 4 min); tier 2 always does, in 10
    "handle_time": fixed(10),
    "path": ["tier1", "tier2"],
    "resolve_probability": {"tier1": 0},
    "failed_attempt_time": fixed(4),
}
OTHER = {"name": "other", "handle_time": fixed(20)}  # keeps tier 2 busy from 0 to 20
ROUTING = [{"channel": "direct", "team": "tier2"}, {"team": "tier1"}]


def phone(times: list[float], patience: float | None, **fields: Any) -> dict[str, Any]:
    """A channel of tech tickets at ``times``; without a patience it is not live (like email)."""
    doc: dict[str, Any] = {"name": "phone", "arrival_times": times, "category_mix": {"tech": 1}, **fields}
    if patience is not None:
        doc["patience"] = fixed(patience)
    return doc


def busy_tier2(channel: dict[str, Any], teams: list[dict[str, Any]] = TIERS, **handoff: Any) -> RunRecords:
    """Tech tickets from ``channel`` while tier 2's one agent works a direct ticket (id 1) from 0 to 20.

    Keyword arguments are the ``escalation.handoff`` settings.
    """
    return simulate(
        channels=[channel, {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}}],
        categories=[TECH, OTHER],
        teams=teams,
        routing=ROUTING,
        escalation={"handoff": handoff},
    )


def log(records: RunRecords) -> list[tuple]:
    return event_log(records, detail=True)


def tasks(records: RunRecords) -> list[tuple]:
    """Finished tasks as (ticket, kind, team, queued, started, work) tuples."""
    return [
        (int(t.ticket), str(t.kind), str(t.team), t.queued, t.started, t.work)
        for t in records.tasks.itertuples(index=False)
    ]


def levels(records: RunRecords, team: str, metric: str) -> list[tuple[float, float]]:
    series = records.levels[(records.levels["team"] == team) & (records.levels["metric"] == metric)]
    return list(zip(series["time"].tolist(), series["value"].tolist(), strict=True))


START = [
    (0.0, 0, "arrival", "", "phone"),
    (0.0, 1, "arrival", "", "direct"),
    (0.0, 0, "picked_up", "tier1", ""),
    (0.0, 1, "picked_up", "tier2", ""),
    (4.0, 0, "escalated", "tier1", "functional|complexity|tier2"),
]
"""Every single-caller story starts so: the caller is answered at once and tier 1 fails at 4."""


# -- item 1: patience on every live wait ---------------------------------------------------------------------
def test_a_transferred_caller_hangs_up_in_the_second_queue_when_patience_runs_out():
    records = busy_tier2(phone([0], patience=6))
    # answered at once (no patience used), cold transfer at 4, tier 2 busy until 20: gone at 4 + 6
    assert log(records) == [
        *START,
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "queued", "tier2", ""),
        (10.0, 0, "abandoned", "tier2", "after_transfer"),
        (20.0, 1, "resolved", "tier2", ""),
    ]
    assert ticket_rows(records, ["outcome", "answered_at", "wait", "abandoned_at", "abandoned_wait", "handoffs"]) == [
        (0, "abandoned", 0.0, 0.0, 10.0, "after_transfer", 1),
        (1, "resolved", 0.0, 0.0, None, None, 0),
    ]
    assert_conserved(records.tickets, records.events)


def test_a_transferred_caller_continues_the_patience_left_over_from_the_first_queue():
    records = busy_tier2(phone([0, 1], patience=7))
    # ticket 0: transferred at 4 with all 7 minutes left, hangs up at 11.
    # ticket 2 (arrived at 1) waited 3 minutes for tier 1, transferred at 8 with 4 left: hangs up at 12
    assert log(records) == [
        *START[:4],
        (1.0, 2, "arrival", "", "phone"),
        (1.0, 2, "queued", "tier1", ""),
        START[4],
        (4.0, 0, "handoff", "tier2", "cold"),
        (4.0, 0, "queued", "tier2", ""),
        (4.0, 2, "picked_up", "tier1", ""),
        (8.0, 2, "escalated", "tier1", "functional|complexity|tier2"),
        (8.0, 2, "handoff", "tier2", "cold"),
        (8.0, 2, "queued", "tier2", ""),
        (11.0, 0, "abandoned", "tier2", "after_transfer"),
        (12.0, 2, "abandoned", "tier2", "after_transfer"),
        (20.0, 1, "resolved", "tier2", ""),
    ]


def test_patience_after_transfer_fresh_gives_a_transferred_caller_a_new_patience():
    records = busy_tier2(phone([0, 1], patience=7, patience_after_transfer="fresh"))
    abandoned = [(time, ticket) for time, ticket, event, *_ in log(records) if event == "abandoned"]
    assert abandoned == [(11.0, 0), (15.0, 2)]  # ticket 2's 3 minutes in the first queue are forgiven


def test_the_default_patience_after_transfer_is_the_remaining_patience():
    scenario = build(channels=[phone([0], patience=5)], categories=[TECH], teams=TIERS, routing=[{"team": "tier1"}])
    assert scenario.channels[0].patience_after_transfer == "remaining"


def test_a_customer_on_hold_during_a_warm_handoff_can_hang_up_and_the_sender_is_released():
    records = busy_tier2(phone([0], patience=3), mode="warm", max_hold="10m")
    assert log(records) == [
        *START,
        (4.0, 0, "queued", "tier2", ""),
        (7.0, 0, "abandoned", "tier2", "after_transfer"),
        (20.0, 1, "resolved", "tier2", ""),
    ]
    assert tasks(records) == [(0, "warm_handoff", "tier1", 4.0, 4.0, 3.0)]  # the sender held 3 minutes
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (7.0, 0.0)]
    assert_conserved(records.tickets, records.events)


def test_a_caller_retried_at_the_same_team_can_hang_up_in_the_queue_again():
    records = simulate(
        channels=[phone([0, 1], patience=6)],
        categories=[TECH],
        teams=[{"name": "tier1", "agents": 1, "max_attempts": 2}, {"name": "tier2", "tier": 2, "agents": 1}],
        routing=[{"team": "tier1"}],
    )
    # 0 fails at 4 and queues again behind 1 (6 minutes left); 1, picked up at 4 with 3 left, fails at 8
    # and queues behind 0, who is picked up at 8 (2 left); 1 hangs up at 11; 0 fails again at 12: tier 2
    assert log(records) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "picked_up", "tier1", ""),
        (1.0, 1, "arrival", "", "phone"),
        (1.0, 1, "queued", "tier1", ""),
        (4.0, 0, "queued", "tier1", ""),
        (4.0, 1, "picked_up", "tier1", ""),
        (8.0, 1, "queued", "tier1", ""),
        (8.0, 0, "picked_up", "tier1", ""),
        (11.0, 1, "abandoned", "tier1", "requeue"),
        (12.0, 0, "escalated", "tier1", "functional|repeated_failure|tier2"),
        (12.0, 0, "handoff", "tier2", "cold"),
        (12.0, 0, "picked_up", "tier2", ""),
        (22.0, 0, "resolved", "tier2", ""),
    ]


def test_a_customer_who_replies_waits_again_with_a_fresh_patience_but_never_abandons_while_pending():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 14], "category_mix": {"question": 1}, "patience": fixed(3)}],
        categories=[
            {"name": "question", "handle_time": fixed(10), "customer_reply": {"probability": 1, "delay": fixed(5)}}
        ],
    )
    # 0 is pending 10-15 (longer than its patience: no effect), replies at 15 while 1 is being worked
    # (14-24) and hangs up 3 minutes later; 1 replies at 29 and is served at once
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (10.0, 0, "pending_customer", "desk"),
        (14.0, 1, "arrival", ""),
        (14.0, 1, "picked_up", "desk"),
        (15.0, 0, "customer_replied", "desk"),
        (15.0, 0, "queued", "desk"),
        (18.0, 0, "abandoned", "desk"),
        (24.0, 1, "pending_customer", "desk"),
        (29.0, 1, "customer_replied", "desk"),
        (29.0, 1, "picked_up", "desk"),
        (39.0, 1, "resolved", "desk"),
    ]
    assert ticket_rows(records, ["outcome", "abandoned_wait"]) == [(0, "abandoned", "return"), (1, "resolved", None)]


def test_email_tickets_never_abandon_in_any_queue():
    records = busy_tier2(phone([0, 1], patience=None))
    assert set(records.tickets["outcome"].astype(str)) == {"resolved"}


def test_abandonment_kpis_split_the_first_queue_from_waits_after_a_transfer():
    s = build(
        channels=[
            phone([0, 1], patience=7),
            {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}},
            {"name": "chat", "arrival_times": [2, 2.5], "category_mix": {"other": 1}, "patience": fixed(1)},
        ],
        categories=[TECH, OTHER],
        teams=TIERS,
        routing=[{"channel": "direct", "team": "tier2"}, {"channel": "chat", "team": "tier2"}, {"team": "tier1"}],
    )
    kpis = replication_kpis(run_replication(s), s)
    # 5 tickets: both phone callers hang up after their transfer, both chats in tier 2's first queue
    assert kpis["abandonment_rate"] == pytest.approx(4 / 5)
    assert kpis["abandonment_rate_first_queue"] == pytest.approx(2 / 5)
    assert kpis["abandonment_rate_after_transfer"] == pytest.approx(2 / 2)  # over tickets transferred
    assert kpis["abandonment_rate_first_queue.chat"] == pytest.approx(1.0)
    assert kpis["abandonment_rate_after_transfer.phone"] == pytest.approx(1.0)
    assert {"abandonment_rate_first_queue", "abandonment_rate_after_transfer"} <= set(KPIS)


def test_patience_after_transfer_fresh_needs_a_patience():
    doc = {
        "name": "x",
        "channels": [
            {"name": "email", "rate_per_hour": 1, "category_mix": {"q": 1}, "patience_after_transfer": "fresh"}
        ],
        "categories": [{"name": "q", "handle_time": fixed(1)}],
        "teams": [{"name": "desk", "agents": 1}],
        "routing": [{"team": "desk"}],
    }
    with pytest.raises(ScenarioError, match=r"channels\[0\].*patience"):
        validate(doc, "<test>")


# -- item 3: warm handoffs have a hold limit and apply only to live channels ---------------------------------
def test_a_warm_sender_falls_back_to_a_cold_transfer_when_no_receiver_joins_within_max_hold():
    records = busy_tier2(phone([0], patience=60), mode="warm", max_hold="2m")
    assert log(records) == [
        *START,
        (4.0, 0, "queued", "tier2", ""),
        (6.0, 0, "handoff", "tier2", "cold_fallback"),
        (20.0, 1, "resolved", "tier2", ""),
        (20.0, 0, "picked_up", "tier2", ""),
        (30.0, 0, "resolved", "tier2", ""),
    ]
    assert tasks(records) == [(0, "warm_handoff", "tier1", 4.0, 4.0, 2.0)]
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (6.0, 0.0)]
    assert ticket_rows(records, ["outcome", "handoffs", "work_time"]) == [
        (0, "resolved", 1, 14.0),
        (1, "resolved", 0, 20.0),
    ]


def test_the_default_max_hold_is_three_minutes():
    assert HandoffSpec().max_hold == 3.0
    records = busy_tier2(phone([0], patience=60), mode="warm")
    assert (7.0, 0, "handoff", "tier2", "cold_fallback") in log(records)


def test_max_hold_none_lets_a_warm_sender_wait_until_a_receiver_joins():
    records = busy_tier2(phone([0], patience=60), mode="warm", max_hold=None, handoff_time=fixed(2))
    assert (20.0, 0, "handoff", "tier2", "warm") in log(records)
    assert tasks(records) == [(0, "warm_handoff", "tier1", 4.0, 4.0, 18.0)]


def test_a_warm_sender_is_released_at_the_end_of_the_shift():
    shift = [{"name": "tier1", "shifts": [{"days": ["mon"], "start": "00:00", "end": "00:06", "agents": 1}]}]
    records = busy_tier2(phone([0], patience=60), teams=[*shift, TIERS[1]], mode="warm", max_hold="10m")
    assert log(records)[5:7] == [(4.0, 0, "queued", "tier2", ""), (6.0, 0, "handoff", "tier2", "cold_fallback")]
    assert tasks(records) == [(0, "warm_handoff", "tier1", 4.0, 4.0, 2.0)]
    assert levels(records, "tier1", "staffed") == [(0.0, 1.0), (6.0, 0.0)]


def test_a_sender_whose_shift_is_over_transfers_cold_at_once():
    shift = [{"name": "tier1", "shifts": [{"days": ["mon"], "start": "00:00", "end": "00:03", "agents": 1}]}]
    records = busy_tier2(phone([0], patience=60), teams=[*shift, TIERS[1]], mode="warm", max_hold="10m")
    assert log(records)[5:7] == [(4.0, 0, "handoff", "tier2", "cold_fallback"), (4.0, 0, "queued", "tier2", "")]
    assert tasks(records) == []
    assert levels(records, "tier1", "staffed") == [(0.0, 1.0), (4.0, 0.0)]


def test_email_transfers_cold_even_when_handoffs_are_warm():
    records = busy_tier2(phone([0], patience=None), mode="warm", max_hold="10m")
    assert log(records)[5:7] == [(4.0, 0, "handoff", "tier2", "cold"), (4.0, 0, "queued", "tier2", "")]
    assert tasks(records) == []
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (4.0, 0.0)]


def test_a_ticket_moved_by_a_rule_during_a_warm_hold_releases_the_sender():
    teams = [*TIERS, {"name": "tier3", "tier": 3, "agents": 1}]
    records = simulate(
        channels=[phone([0], patience=60), {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}}],
        categories=[TECH, OTHER],
        teams=teams,
        routing=ROUTING,
        escalation={
            "handoff": {"mode": "warm", "max_hold": "10m"},
            "time_rules": [{"name": "long_wait", "queue_wait": 1, "action": "move", "to": "tier3"}],
        },
    )
    # the sender held for tier 2, not for tier 3: released when the rule moves the ticket at 5
    assert log(records) == [
        *START,
        (4.0, 0, "queued", "tier2", ""),
        (5.0, 0, "escalated", "tier2", "automatic|long_wait|tier3"),
        (5.0, 0, "handoff", "tier3", "cold"),
        (5.0, 0, "picked_up", "tier3", ""),
        (15.0, 0, "resolved", "tier3", ""),
        (20.0, 1, "resolved", "tier2", ""),
    ]
    assert tasks(records) == [(0, "warm_handoff", "tier1", 4.0, 4.0, 1.0)]
    assert levels(records, "tier1", "busy") == [(0.0, 1.0), (5.0, 0.0)]


def test_a_caller_moved_by_a_rule_before_an_answer_keeps_waiting_on_the_same_patience():
    records = simulate(
        channels=[
            {"name": "phone", "arrival_times": [0, 0], "category_mix": {"other": 1}, "patience": fixed(5)},
            {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}},
        ],
        categories=[OTHER],
        teams=TIERS,
        routing=ROUTING,
        escalation={"time_rules": [{"name": "long_wait", "queue_wait": 2, "action": "move", "to": "tier2"}]},
    )
    # the second caller waits 2 minutes at tier 1, is moved to the busy tier 2 and hangs up at 5, not 7
    assert ticket_rows(records, ["channel", "outcome", "abandoned_at", "abandoned_wait", "path"]) == [
        (0, "phone", "resolved", None, None, "tier1"),
        (1, "direct", "resolved", None, None, "tier2"),
        (2, "phone", "abandoned", 5.0, "first_queue", "tier1>tier2"),
    ]
