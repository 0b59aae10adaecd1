"""Stories: tiny deterministic scenarios whose complete event log and ticket rows are worked out by hand.

Every story uses fixed arrival times and ``{dist: fixed}`` handle times, so nothing is random and
each expected record below follows from the scenario alone. A ticket is logged 'queued' only when it
has to wait for an agent. Time 0 is Monday 2026-01-05 00:00.
"""

from conftest import event_log, fixed, simulate, ticket_rows

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR


def test_single_agent_serves_tickets_first_come_first_served():
    records = simulate()
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "queued", "desk"),
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (10.0, 1, "picked_up", "desk"),
        (20.0, 1, "resolved", "desk"),
        (20.0, 2, "picked_up", "desk"),
        (30.0, 2, "resolved", "desk"),
    ]
    assert ticket_rows(
        records,
        ["outcome", "answered_at", "wait", "resolved_at", "resolution_time", "work_time", "sessions", "resolving_team"],
    ) == [
        (0, "resolved", 0.0, 0.0, 10.0, 10.0, 10.0, 1, "desk"),
        (1, "resolved", 10.0, 9.0, 20.0, 19.0, 10.0, 1, "desk"),
        (2, "resolved", 20.0, 18.0, 30.0, 28.0, 10.0, 1, "desk"),
    ]


def test_urgent_tickets_jump_the_queue_and_each_priority_is_served_in_arrival_order():
    records = simulate(
        channels=[
            {"name": "web", "arrival_times": [0, 1, 4], "category_mix": {"routine": 1}},
            {"name": "hotline", "arrival_times": [2, 3], "category_mix": {"outage": 1}},
        ],
        categories=[
            {"name": "routine", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "outage", "priority": {"P1": 1}, "handle_time": fixed(10)},
        ],
    )
    # ticket ids follow arrival order: 0 web@0, 1 web@1, 2 hotline@2, 3 hotline@3, 4 web@4
    picked = [(t, ticket) for t, ticket, event, _ in event_log(records) if event == "picked_up"]
    assert picked == [(0.0, 0), (10.0, 2), (20.0, 3), (30.0, 1), (40.0, 4)]
    assert ticket_rows(records, ["priority", "wait"]) == [
        (0, "P2", 0.0),
        (1, "P2", 29.0),
        (2, "P1", 8.0),
        (3, "P1", 17.0),
        (4, "P2", 36.0),
    ]


def test_impatient_customer_abandons_while_waiting_but_not_once_answered():
    records = simulate(
        channels=[
            {"name": "phone", "arrival_times": [0, 1, 2, 8], "category_mix": {"question": 1}, "patience": fixed(5)}
        ],
        horizon=100,
    )
    # ticket 0 is answered at once (its patience runs out at 5, in service: no effect);
    # 1 and 2 wait and hang up at 6 and 7; 3 arrives at 8, is answered at 10, before its patience ends at 13
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "queued", "desk"),
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (6.0, 1, "abandoned", "desk"),
        (7.0, 2, "abandoned", "desk"),
        (8.0, 3, "arrival", ""),
        (8.0, 3, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (10.0, 3, "picked_up", "desk"),
        (20.0, 3, "resolved", "desk"),
    ]
    assert ticket_rows(records, ["outcome", "wait", "abandoned_at", "answered_at", "sessions"]) == [
        (0, "resolved", 0.0, None, 0.0, 1),
        (1, "abandoned", 5.0, 6.0, None, 0),
        (2, "abandoned", 5.0, 7.0, None, 0),
        (3, "resolved", 2.0, None, 10.0, 1),
    ]


def test_shift_agent_arrives_at_shift_start_and_finishes_the_ticket_in_hand_but_takes_no_new_one():
    records = simulate(
        horizon=200,
        channels=[{"name": "phone", "arrival_times": [30, 100, 110], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": fixed(30)}],
        teams=[{"name": "desk", "shifts": [{"days": ["mon"], "start": "01:00", "end": "02:00", "agents": 1}]}],
    )
    # on duty 60-120; ticket 1 (picked at 100) ends at 130, after the shift; ticket 2 is left waiting
    assert event_log(records) == [
        (30.0, 0, "arrival", ""),
        (30.0, 0, "queued", "desk"),
        (60.0, 0, "picked_up", "desk"),
        (90.0, 0, "resolved", "desk"),
        (100.0, 1, "arrival", ""),
        (100.0, 1, "picked_up", "desk"),
        (110.0, 2, "arrival", ""),
        (110.0, 2, "queued", "desk"),
        (130.0, 1, "resolved", "desk"),
    ]
    staffed = records.levels[records.levels["metric"] == "staffed"]
    assert list(zip(staffed["time"], staffed["value"], strict=True)) == [(60.0, 1.0), (130.0, 0.0)]
    assert ticket_rows(records, ["outcome", "answered_at"]) == [
        (0, "resolved", 60.0),
        (1, "resolved", 100.0),
        (2, "open", None),
    ]


def test_ticket_waiting_on_its_customer_gets_a_second_session_after_the_reply():
    records = simulate(
        channels=[{"name": "email", "arrival_times": [0], "category_mix": {"logs": 1}}],
        categories=[
            {
                "name": "logs",
                "handle_time": fixed(10),
                "customer_reply": {"probability": 1, "delay": fixed(20), "handle_time": fixed(5)},
            }
        ],
    )
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (10.0, 0, "pending_customer", "desk"),
        (30.0, 0, "customer_replied", "desk"),
        (30.0, 0, "picked_up", "desk"),
        (35.0, 0, "resolved", "desk"),
    ]
    assert ticket_rows(records, ["outcome", "sessions", "work_time", "resolution_time", "answered_at"]) == [
        (0, "resolved", 2, 15.0, 35.0, 0.0)
    ]


def test_sla_clocks_warn_at_half_and_three_quarters_and_breach_at_the_target_on_24x7():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0, 1], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": fixed(25)}],
        sla_policies=[{"name": "all", "first_response": {"target": 10}, "resolution": {"target": 40}}],
    )
    # ticket 0: answered at 0, resolved at 25; ticket 1: waits 1-25, resolved at 50
    # ticket 1 first response: 50% at 6, 75% at 8.5, breach at 11; resolution: 21, 31, breach at 41;
    # a clock that is met is logged just before the event that meets it
    assert event_log(records, detail=True) == [
        (0.0, 0, "arrival", "", "phone"),
        (0.0, 0, "sla_met", "desk", "first_response"),
        (0.0, 0, "picked_up", "desk", ""),
        (1.0, 1, "arrival", "", "phone"),
        (1.0, 1, "queued", "desk", ""),
        (6.0, 1, "sla_warning", "desk", "first_response@50%"),
        (8.5, 1, "sla_warning", "desk", "first_response@75%"),
        (11.0, 1, "sla_breach", "desk", "first_response"),
        (20.0, 0, "sla_warning", "desk", "resolution@50%"),
        (21.0, 1, "sla_warning", "desk", "resolution@50%"),
        (25.0, 0, "sla_met", "desk", "resolution"),
        (25.0, 0, "resolved", "desk", ""),
        (25.0, 1, "picked_up", "desk", ""),
        (31.0, 1, "sla_warning", "desk", "resolution@75%"),
        (41.0, 1, "sla_breach", "desk", "resolution"),
        (50.0, 1, "resolved", "desk", ""),
    ]
    assert ticket_rows(
        records,
        [
            "sla_policy",
            "first_response_due",
            "first_response_breached_at",
            "first_response_met",
            "resolution_due",
            "resolution_breached_at",
            "resolution_met",
        ],
    ) == [
        (0, "all", 10.0, None, 1.0, 40.0, None, 1.0),
        (1, "all", 11.0, 11.0, 0.0, 41.0, 41.0, 0.0),
    ]


def test_business_hours_sla_clock_stops_overnight():
    monday_16h, tuesday = 16 * MINUTES_PER_HOUR, MINUTES_PER_DAY
    records = simulate(
        horizon=2 * MINUTES_PER_DAY,
        channels=[{"name": "phone", "arrival_times": [monday_16h], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": fixed(1230)}],
        calendars=[{"name": "office", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00-17:00"]}],
        sla_policies=[{"name": "office", "resolution": {"target": "4h", "calendar": "office"}}],
    )
    # 1 business hour on Monday (16-17), the other 3 on Tuesday from 09:00: due Tuesday 12:00
    assert event_log(records, detail=True) == [
        (960.0, 0, "arrival", "", "phone"),
        (960.0, 0, "picked_up", "desk", ""),
        (tuesday + 600.0, 0, "sla_warning", "desk", "resolution@50%"),
        (tuesday + 660.0, 0, "sla_warning", "desk", "resolution@75%"),
        (tuesday + 720.0, 0, "sla_breach", "desk", "resolution"),
        (960.0 + 1230.0, 0, "resolved", "desk", ""),
    ]
    assert ticket_rows(records, ["resolution_due", "resolution_breached_at", "resolution_met"]) == [
        (0, tuesday + 720.0, tuesday + 720.0, 0.0)
    ]


def test_chat_agent_holds_two_chats_at_once_while_a_phone_call_waits():
    records = simulate(
        channels=[
            {"name": "chat", "arrival_times": [0, 1], "category_mix": {"question": 1}, "concurrency": 2},
            {"name": "phone", "arrival_times": [2], "category_mix": {"question": 1}},
        ],
    )
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "picked_up", "desk"),
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (13.0, 1, "resolved", "desk"),  # the second chat takes 10 x 1.2 (default concurrency_slowdown)
        (13.0, 2, "picked_up", "desk"),
        (23.0, 2, "resolved", "desk"),
    ]
    busy = records.levels[records.levels["metric"] == "busy"]
    assert list(zip(busy["time"], busy["value"], strict=True)) == [
        (0.0, 0.5),
        (1.0, 1.0),
        (10.0, 0.5),
        (13.0, 0.0),
        (13.0, 1.0),
        (23.0, 0.0),
    ]


def test_urgent_phone_ticket_is_not_overtaken_by_later_less_urgent_chats():
    records = simulate(
        horizon=120,
        channels=[
            {"name": "chat", "arrival_times": [0, 6, 12, 18, 24], "category_mix": {"routine": 1}, "concurrency": 2},
            {"name": "phone", "arrival_times": [2], "category_mix": {"outage": 1}},
        ],
        categories=[
            {"name": "routine", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "outage", "priority": {"P1": 1}, "handle_time": fixed(10)},
        ],
    )
    # ticket 1 is the P1 call at 2; chats 2-5 arrive after it and are less urgent
    answered = dict(ticket_rows(records, ["answered_at"]))
    assert all(answered[1] <= answered[later] for later in (2, 3, 4, 5))


def test_tickets_still_waiting_or_in_service_at_the_horizon_are_recorded_open():
    records = simulate(horizon=15)
    assert ticket_rows(
        records, ["outcome", "answered_at", "wait", "resolved_at", "resolution_time", "work_time", "sessions"]
    ) == [
        (0, "resolved", 0.0, 0.0, 10.0, 10.0, 10.0, 1),
        (1, "open", 10.0, 9.0, None, None, 0.0, 1),
        (2, "open", None, None, None, None, 0.0, 0),
    ]
    assert event_log(records)[-2:] == [(10.0, 0, "resolved", "desk"), (10.0, 1, "picked_up", "desk")]


def test_arrival_at_the_horizon_is_not_admitted():
    records = simulate(horizon=2)
    assert sorted(records.tickets["arrival"]) == [0.0, 1.0]
