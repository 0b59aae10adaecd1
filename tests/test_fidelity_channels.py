"""Channel fidelity stories: chat concurrency slows each chat, channel order within a team, one cost
definition (rota hours plus overtime at a premium), and first-contact resolution that does not blame
routing at arrival. Fixed arrivals and handle times make every number a hand calculation.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import build, event_log, fixed, simulate

from sim.analysis.kpis import replication_kpis
from sim.analysis.staffing import paid_weekly_cost
from sim.engine.replication import run_replication


# -- 12. chat concurrency ---------------------------------------------------------------------------------------
def test_second_concurrent_chat_takes_longer_by_the_channel_slowdown():
    records = simulate(
        channels=[
            {
                "name": "chat",
                "arrival_times": [0, 1],
                "category_mix": {"question": 1},
                "concurrency": 2,
                "concurrency_slowdown": 0.25,
            }
        ],
    )
    # chat 0 starts alone: 10 minutes; chat 1 starts as the agent's second chat: 10 x 1.25
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "picked_up", "desk"),
        (10.0, 0, "resolved", "desk"),
        (13.5, 1, "resolved", "desk"),
    ]
    assert sorted(records.tickets["work_time"]) == [10.0, 12.5]
    busy = records.levels[records.levels["metric"] == "busy"]
    assert list(zip(busy["time"], busy["value"], strict=True)) == [(0.0, 0.5), (1.0, 1.0), (10.0, 0.5), (13.5, 0.0)]


def test_chat_slowdown_defaults_to_twenty_percent_per_extra_chat():
    records = simulate(
        channels=[{"name": "chat", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}, "concurrency": 3}],
    )
    assert sorted(records.tickets["work_time"]) == pytest.approx([10.0, 12.0, 14.0])


def test_chat_slowdown_zero_keeps_the_handle_time():
    records = simulate(
        channels=[
            {
                "name": "chat",
                "arrival_times": [0, 1],
                "category_mix": {"question": 1},
                "concurrency": 2,
                "concurrency_slowdown": 0,
            }
        ],
    )
    assert sorted(records.tickets["work_time"]) == [10.0, 10.0]


# -- 13. channel order --------------------------------------------------------------------------------------------
ORDER_CHANNELS = [
    {"name": "email", "arrival_times": [0, 1], "category_mix": {"question": 1}},
    {"name": "phone", "arrival_times": [2], "category_mix": {"question": 1}},
]


def test_live_caller_goes_before_an_older_email_of_the_same_priority_when_the_team_orders_channels():
    records = simulate(channels=ORDER_CHANNELS, teams=[{"name": "desk", "agents": 1, "channel_order": ["phone"]}])
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "queued", "desk"),
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (10.0, 2, "picked_up", "desk"),
        (20.0, 2, "resolved", "desk"),
        (20.0, 1, "picked_up", "desk"),
        (30.0, 1, "resolved", "desk"),
    ]


def test_without_channel_order_the_queue_is_priority_then_arrival():
    records = simulate(channels=ORDER_CHANNELS)
    assert event_log(records)[7:9] == [(10.0, 1, "picked_up", "desk"), (20.0, 1, "resolved", "desk")]


def test_ticket_priority_still_comes_before_channel_order():
    records = simulate(
        channels=[
            {"name": "email", "arrival_times": [0, 1], "category_mix": {"urgent": 1}},
            {"name": "phone", "arrival_times": [2], "category_mix": {"question": 1}},
        ],
        categories=[
            {"name": "question", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "urgent", "priority": {"P1": 1}, "handle_time": fixed(10)},
        ],
        teams=[{"name": "desk", "agents": 1, "channel_order": ["phone", "email"]}],
    )
    assert event_log(records)[7] == (10.0, 1, "picked_up", "desk")


def test_channel_order_naming_an_unknown_channel_is_reported_with_its_path():
    from sim.scenario.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"teams\[0\]\.channel_order"):
        build(teams=[{"name": "desk", "agents": 1, "channel_order": ["fax"]}])


# -- 14. one cost definition ----------------------------------------------------------------------------------
def overtime_scenario(**team: object):
    """One agent on a 00:00-01:00 Monday shift at $60/h; a 20-minute ticket at minute 50 runs 10 minutes over."""
    return build(
        horizon=120,
        channels=[{"name": "phone", "arrival_times": [50], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": fixed(20)}],
        teams=[
            {
                "name": "desk",
                "cost_per_hour": 60,
                "shifts": [{"days": ["mon"], "start": "00:00", "end": "01:00", "agents": 1}],
                **team,
            }
        ],
    )


def test_agent_finishing_past_shift_end_is_paid_overtime_at_the_premium():
    scenario = overtime_scenario()
    records = run_replication(scenario)
    overtime = records.levels[records.levels["metric"] == "overtime"]
    assert list(zip(overtime["time"], overtime["value"], strict=True)) == [(60.0, 1.0), (70.0, 0.0)]
    kpis = replication_kpis(records, scenario)
    # paid: 1 rota hour + 10 minutes at 1.5x = 1.25 hours at $60
    assert kpis["cost_per_resolved"] == pytest.approx(75.0)
    assert kpis["overtime_hours.desk"] == pytest.approx(10 / 60 * 7 * 24 * 60 / 120)


def test_overtime_premium_is_configurable_on_the_team():
    scenario = overtime_scenario(overtime_premium=2.0)
    kpis = replication_kpis(run_replication(scenario), scenario)
    assert kpis["cost_per_resolved"] == pytest.approx(80.0)


def test_sweep_point_cost_is_rota_plus_simulated_overtime_at_the_premium():
    scenario = overtime_scenario()
    point = pd.Series({"overtime_hours.desk_mean": 2.0})
    # rota: 1 hour a week; overtime: 2 hours a week at 1.5x; $60 an hour
    assert paid_weekly_cost(scenario, point) == (pytest.approx(60.0 * (1 + 1.5 * 2)), "$ per week")
    assert paid_weekly_cost(scenario, pd.Series(dtype=float)) == (pytest.approx(60.0), "$ per week")


# -- 15. first-contact resolution ---------------------------------------------------------------------------
def test_routing_at_arrival_is_not_a_first_contact_failure():
    scenario = build(
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
    records = run_replication(scenario)
    assert int(records.tickets["escalations"].sum()) == 1
    assert replication_kpis(records, scenario)["fcr"] == 1.0


def test_ticket_the_first_agent_cannot_resolve_is_not_first_contact_resolved():
    scenario = build(
        categories=[
            {
                "name": "question",
                "path": ["desk", "tier2"],
                "resolve_probability": {"desk": 0},
                "handle_time": fixed(10),
            }
        ],
        teams=[{"name": "desk", "agents": 1}, {"name": "tier2", "agents": 1}],
        horizon=200,
    )
    assert replication_kpis(run_replication(scenario), scenario)["fcr"] == 0.0


def test_staffing_sweep_keeps_the_overtime_its_cost_includes(tmp_path):
    import yaml

    from sim.experiments.sweep_files import load_sweep

    scenario = overtime_scenario()
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(scenario.model_dump(mode="json", exclude_none=True)))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("base: base.yaml\nkpis: [asa]\nparameters:\n  teams.desk.shifts[0].agents: [1, 2]\n")
    assert load_sweep(sweep).kpis == ("asa", "overtime_hours.desk")


def test_sweep_point_costs_take_each_point_overtime_from_the_sweep_results():
    from sim.analysis.staffing import point_costs

    document = overtime_scenario().model_dump(mode="json", exclude_none=True)
    parameter = "teams.desk.shifts[0].agents"
    results = pd.DataFrame({"point_id": [1, 0], "overtime_hours.desk_mean": [0.0, 2.0]})
    costs, unit = point_costs(document, [{parameter: 1}, {parameter: 2}], [parameter], results)
    assert (costs, unit) == ([pytest.approx(60.0 * (1 + 1.5 * 2)), pytest.approx(120.0)], "$ per week")


CHAT_AND_EMAIL = [
    {
        "name": "chat",
        "arrival_times": [0, 2],
        "category_mix": {"question": 1},
        "concurrency": 2,
        "concurrency_slowdown": 0,
    },
    {"name": "email", "arrival_times": [1], "category_mix": {"question": 1}},
]


def test_agent_holding_a_chat_takes_a_new_chat_before_an_email_when_chat_comes_first_in_the_order():
    records = simulate(channels=CHAT_AND_EMAIL, teams=[{"name": "desk", "agents": 1, "channel_order": ["chat"]}])
    assert event_log(records)[4:9] == [
        (2.0, 2, "arrival", ""),
        (2.0, 2, "picked_up", "desk"),
        (10.0, 0, "resolved", "desk"),
        (12.0, 2, "resolved", "desk"),
        (12.0, 1, "picked_up", "desk"),
    ]


def test_without_channel_order_a_waiting_email_of_the_same_priority_holds_back_new_chats():
    records = simulate(channels=CHAT_AND_EMAIL)
    assert event_log(records)[4:8] == [
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (10.0, 1, "picked_up", "desk"),
    ]
