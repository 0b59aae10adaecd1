"""Offered load per team and interval from a pilot run, and the Erlang requirement it implies (issue 14, steps 1-2).

Stories: fixed arrival and handle times, so every stay (and so every rate, mean work and load) follows by
hand. Time 0 is midnight of the start date; intervals are clock-aligned from it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from conftest import ERLANG_C, build, fixed, simulate
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.offered_load import offered_load, pooled_offered_load, required_agents_by_interval
from sim.analysis.theory import erlang_a, required_agents
from sim.engine.replication import run_replication
from sim.scenario.loader import load_scenario

TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}]
TECH = {
    "name": "tech",
    "handle_time": fixed(10),
    "path": ["tier1", "tier2"],
    "resolve_probability": {"tier1": 0},
    "failed_attempt_time": fixed(4),
    "reopen": {"probability": 1, "delay": fixed(20)},
}
QUESTION = {"name": "question", "handle_time": fixed(6)}


def tiered(**fields: Any) -> dict[str, Any]:
    """Tech tickets at 0 and 40 (tier 1 fails in 4 min, tier 2 solves in 10, each reopens 20 min later at
    tier 2) and a tier-1 question (6 min) at 50, over 90 minutes.

    Stays: tier1 0-4 (4), 40-44 (4), 50-56 (6); tier2 4-14 (10), 34-44 (reopen, 10), 44-54 (10),
    74-84 (reopen, 10).
    """
    doc: dict[str, Any] = {
        "horizon": 90,
        "channels": [
            {"name": "phone", "arrival_times": [0, 40], "category_mix": {"tech": 1}},
            {"name": "chat", "arrival_times": [50], "category_mix": {"question": 1}},
        ],
        "categories": [TECH, QUESTION],
        "teams": TIERS,
        "routing": [{"team": "tier1"}],
    }
    return {**doc, **fields}


def cells(table: pd.DataFrame, *columns: str) -> list[tuple]:
    """The table as (team, interval, *columns) tuples, floats rounded to 1e-9."""
    rows = table[["team", "interval", *columns]].itertuples(index=False)
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


def test_every_stay_is_an_arrival_where_it_starts_escalations_and_reopens_included():
    doc = tiered()
    table = offered_load(simulate(**doc), build(**doc), 30, min_handled=1)
    # 30-minute intervals: a rate per hour is twice the count; load = rate x mean work / 60
    assert cells(table, "start", "end", "arrivals", "rate", "mean_work", "load") == [
        ("tier1", 0, 0.0, 30.0, 1.0, 2.0, 4.0, round(2 * 4 / 60, 9)),
        ("tier1", 1, 30.0, 60.0, 2.0, 4.0, 5.0, round(4 * 5 / 60, 9)),  # the escalating tech call and the question
        ("tier1", 2, 60.0, 90.0, 0.0, 0.0, round(14 / 3, 9), 0.0),  # no stays: the run-wide mean work, no load
        ("tier2", 0, 0.0, 30.0, 1.0, 2.0, 10.0, round(2 * 10 / 60, 9)),  # the escalation at 4
        ("tier2", 1, 30.0, 60.0, 2.0, 4.0, 10.0, round(4 * 10 / 60, 9)),  # the reopen at 34, the escalation at 44
        ("tier2", 2, 60.0, 90.0, 1.0, 2.0, 10.0, round(2 * 10 / 60, 9)),  # the reopen at 74
    ]


def test_an_interval_with_too_few_handled_stays_takes_the_teams_run_wide_mean_work():
    doc = tiered()
    table = offered_load(simulate(**doc), build(**doc), 30, min_handled=2)
    assert cells(table, "handled", "mean_work", "work_source") == [
        ("tier1", 0, 1.0, round(14 / 3, 9), "run"),
        ("tier1", 1, 2.0, 5.0, "interval"),
        ("tier1", 2, 0.0, round(14 / 3, 9), "run"),
        ("tier2", 0, 1.0, 10.0, "run"),
        ("tier2", 1, 2.0, 10.0, "interval"),
        ("tier2", 2, 1.0, 10.0, "run"),
    ]


def test_the_warm_up_is_left_out_and_cuts_the_first_interval_short():
    doc = tiered(warmup=20)
    table = offered_load(simulate(**doc), build(**doc), 30, min_handled=1)
    # [20, 30) is 10 minutes long and nothing entered in it (the escalation at 4 is in the warm-up)
    assert cells(table, "start", "end", "arrivals")[:3] == [
        ("tier1", 0, 20.0, 30.0, 0.0),
        ("tier1", 1, 30.0, 60.0, 2.0),
        ("tier1", 2, 60.0, 90.0, 0.0),
    ]
    assert table["arrivals"].sum() == 5  # tier1 at 40, 50; tier2 at 34, 44, 74


def test_after_call_work_counts_in_the_work_a_stay_brings():
    # three 10-minute calls, each followed by 3 minutes of wrap-up: 13 minutes of agent time per stay
    doc = {"channels": [{"name": "phone", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}}]}
    doc["channels"][0]["after_call_work"] = fixed(3)
    table = offered_load(simulate(**doc), build(**doc), 60, min_handled=1)
    assert cells(table, "arrivals", "rate", "mean_work", "load") == [
        ("desk", 0, 3.0, 3.0, 13.0, 0.65),
        ("desk", 1, 0.0, 0.0, 13.0, 0.0),
    ]


def test_pooling_replications_averages_arrivals_and_pools_the_work_of_every_handled_stay():
    doc = tiered()
    one = simulate(**doc)
    two = simulate(**tiered(channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"tech": 1}}]))
    two.replication = 1
    table = pooled_offered_load([one, two], build(**doc), 30, min_handled=1)
    # the second run has the tech ticket at 0 alone: tier1 0-4, tier2 4-14 and its reopen 34-44
    assert cells(table, "arrivals", "handled", "mean_work")[:2] == [
        ("tier1", 0, 1.0, 2.0, 4.0),
        ("tier1", 1, 1.0, 2.0, 5.0),
    ]
    assert cells(table, "arrivals", "handled")[3:] == [
        ("tier2", 0, 1.0, 2.0),
        ("tier2", 1, 1.5, 3.0),
        ("tier2", 2, 0.5, 1.0),
    ]


@settings(max_examples=25, deadline=None)
@given(
    times=st.lists(st.integers(0, 170), min_size=1, max_size=12),
    interval=st.sampled_from([7.0, 15.0, 30.0, 60.0]),
    warmup=st.sampled_from([0, 10, 45]),
)
def test_arrivals_over_all_intervals_count_every_stay_entered_after_the_warm_up(times, interval, warmup):
    doc = tiered(
        horizon=180,
        warmup=warmup,
        channels=[{"name": "phone", "arrival_times": sorted(times), "category_mix": {"tech": 1}}],
    )
    records = simulate(**doc)
    table = offered_load(records, build(**doc), interval)
    entered = records.visits["entered"]
    assert table["arrivals"].sum() == (entered >= warmup).sum()
    for team, mine in table.groupby("team"):
        assert mine["arrivals"].sum() == ((entered >= warmup) & (records.visits["team"] == team)).sum()


def test_required_agents_meet_the_service_level_by_erlang_c_and_none_without_load():
    load = pd.DataFrame(
        {
            "team": ["a", "a", "b"],
            "interval": [0, 1, 0],
            "start": [0.0, 60.0, 0.0],
            "end": [60.0, 120.0, 60.0],
            "rate": [200.0, 0.0, 30.0],
            "mean_work": [3.0, 3.0, 8.0],
            "load": [10.0, 0.0, 4.0],
        }
    )
    needed = required_agents_by_interval(load, 0.8, 1 / 3)
    assert needed["agents"].tolist() == [
        required_agents(200 / 60, 1 / 3, 0.8, 1 / 3),
        0,
        required_agents(30 / 60, 1 / 8, 0.8, 1 / 3),
    ]
    assert needed["agents"].tolist()[0] == 14  # 10 Erlangs, 80 % in 20 s: 13 agents give 79.6 %


def test_with_a_patience_mean_the_requirement_is_the_fewest_agents_meeting_the_erlang_a_service_level():
    load = pd.DataFrame(
        {
            "team": ["a"],
            "interval": [0],
            "start": [0.0],
            "end": [60.0],
            "rate": [200.0],
            "mean_work": [3.0],
            "load": [10.0],
        }
    )
    agents = int(required_agents_by_interval(load, 0.8, 1 / 3, patience_mean=2.0)["agents"].iloc[0])
    rate, service, patience = 200 / 60, 1 / 3, 1 / 2
    assert erlang_a(rate, service, patience, agents).service_level(1 / 3) >= 0.8
    assert erlang_a(rate, service, patience, agents - 1).service_level(1 / 3) < 0.8
    assert agents <= required_agents(rate, service, 0.8, 1 / 3)  # abandonment shortens the queue


def test_the_erlang_c_validation_scenarios_load_is_ten_erlangs_and_its_requirement_is_erlang_c_at_that_load():
    scenario = load_scenario(ERLANG_C)
    runs = [run_replication(scenario, r) for r in range(scenario.replications)]
    one = offered_load(runs[0], scenario, scenario.horizon)  # one interval: the whole run after the warm-up
    assert one["load"].iloc[0] == pytest.approx(10.0, rel=0.02)
    assert one["rate"].iloc[0] == pytest.approx(200.0, rel=0.02)
    assert one["mean_work"].iloc[0] == pytest.approx(3.0, rel=0.02)
    hourly = offered_load(runs[0], scenario, 60)
    assert hourly["load"].mean() == pytest.approx(10.0, rel=0.02)
    # the requirement is Erlang C at the estimated load, and where the theory gives one answer across the
    # estimate's +-2 % band (85 % in 20 s: 14 agents from 9.8 to 10.2 Erlangs) the estimate gives the theory's
    # answer at the true load; 80 % in 20 s is left out: it changes from 13 to 14 agents at 9.97 Erlangs
    pooled = pooled_offered_load(runs, scenario, scenario.horizon)
    assert pooled["load"].iloc[0] == pytest.approx(10.0, rel=0.01)
    rate, work = pooled["rate"].iloc[0], pooled["mean_work"].iloc[0]
    needed = required_agents_by_interval(pooled, 0.8, 20 / 60)
    assert needed["agents"].iloc[0] == required_agents(rate / 60, 1 / work, 0.8, 20 / 60)
    band = {required_agents(load / 3, 1 / 3, 0.85, 20 / 60) for load in (9.8, 10.0, 10.2)}
    assert band == {14}
    assert required_agents_by_interval(one, 0.85, 20 / 60)["agents"].iloc[0] == 14
