"""Time not on the phones: after-call work, breaks, lunch, meetings, coaching, absence, per-agent records.

Stories (fixed arrivals and handle times) pin the rules down event by event; the conservation test
checks that every agent's rostered minutes are accounted for, against the team's independently
recorded levels; the slow check compares after-call work with M/G/c theory and with Ciw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, build, event_log, fixed, simulate, within
from theory_cases import ciw_waits

from sim.analysis.kpis import replication_kpis, time_averages
from sim.engine.agent_time import AWAY_CAUSES
from sim.engine.replication import run_replication
from sim.engine.streams import Stream, Streams
from sim.experiments.outputs import write_run
from sim.experiments.replications import run
from sim.experiments.results import load_run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario, validate
from sim.scenario.rota import duty_blocks

PHONE_WITH_WRAP = [
    {"name": "phone", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}, "after_call_work": fixed(3)}
]


def away_steps(records) -> list[tuple[float, float]]:
    """The ``away`` level of the (only) team as (time, agents away) steps, the last value at each time."""
    levels = records.levels[records.levels["metric"] == "away"]
    last = dict(zip(levels["time"], levels["value"], strict=True))
    return [(float(t), float(v)) for t, v in last.items()]


# -- after-call work ---------------------------------------------------------------------------------------------
def test_wrap_up_delays_the_next_pick_up_by_exactly_the_wrap_time():
    # one agent, 10 minutes of talk and 3 of wrap-up per call: the next caller is answered 13 minutes later
    records = simulate(channels=PHONE_WITH_WRAP)
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (1.0, 1, "arrival", ""),
        (1.0, 1, "queued", "desk"),
        (2.0, 2, "arrival", ""),
        (2.0, 2, "queued", "desk"),
        (10.0, 0, "resolved", "desk"),
        (13.0, 0, "wrap_up_done", "desk"),
        (13.0, 1, "picked_up", "desk"),
        (23.0, 1, "resolved", "desk"),
        (26.0, 1, "wrap_up_done", "desk"),
        (26.0, 2, "picked_up", "desk"),
        (36.0, 2, "resolved", "desk"),
        (39.0, 2, "wrap_up_done", "desk"),
    ]
    assert list(records.tickets["wrap_time"]) == [3.0, 3.0, 3.0]
    assert list(records.tickets["work_time"]) == [10.0, 10.0, 10.0]


def test_wrap_up_counts_in_utilisation_and_as_its_own_part_of_handle_time():
    scenario = build(channels=PHONE_WITH_WRAP)
    kpis = replication_kpis(run_replication(scenario), scenario)
    # busy 0-39: three calls of 10 minutes' talk and 3 of wrap-up, over 100 minutes on duty
    assert kpis["utilisation.desk"] == pytest.approx(39 / 100)
    assert kpis["occupancy.desk"] == pytest.approx(39 / 100)  # no shrinkage: available whenever on duty
    # per answered ticket: 10 minutes of work, 3 of after-call work, 13 in all (AHT)
    assert kpis["work_time_mean"] == kpis["work_time_mean.phone"] == 10.0
    assert kpis["wrap_time_mean"] == kpis["wrap_time_mean.phone"] == 3.0
    assert kpis["handle_time_mean"] == kpis["handle_time_mean.phone"] == 13.0
    row = run_replication(scenario).agents.iloc[0]
    assert (row["busy"], row["wrap"], row["idle"]) == (30.0, 9.0, 61.0)


def test_a_chat_wrap_up_keeps_the_slot_of_that_chat():
    # one agent, chats two at a time without slowdown, 10 minutes each plus 4 of wrap-up. Chats 0 and 1 are
    # worked side by side; chat 2 (arrived at 1) gets a slot only when chat 0's wrap-up ends at 14
    records = simulate(
        channels=[
            {
                "name": "chat",
                "arrival_times": [0, 0, 1],
                "category_mix": {"question": 1},
                "concurrency": 2,
                "concurrency_slowdown": 0,
                "after_call_work": fixed(4),
            }
        ]
    )
    picked = [(t, ticket) for t, ticket, event, _ in event_log(records) if event == "picked_up"]
    assert picked == [(0.0, 0), (0.0, 1), (14.0, 2)]
    row = records.agents.iloc[0]
    # each chat holds half the agent: talk 3 x 10 x 1/2, wrap-up 3 x 4 x 1/2
    assert (row["busy"], row["wrap"]) == (15.0, 6.0)


# -- breaks, lunch, meetings, absence -----------------------------------------------------------------------------
def one_shift(shrinkage: dict, agents: int = 1, **fields) -> dict:
    """A team of ``agents`` on a Monday shift 00:00-04:00 with ``shrinkage``."""
    team = {"name": "desk", "shifts": [{"days": ["mon"], "start": "00:00", "end": "04:00", "agents": agents}]}
    return dict(teams=[{**team, "shrinkage": shrinkage}], horizon=300, **fields)


def test_an_agent_finishes_the_ticket_in_hand_before_its_break_and_takes_it_in_full():
    # breaks of 15 minutes every hour. The call picked up at 50 ends at 70: the break due at 60 runs
    # 70-85 (late, full length); the caller of 72 waits until 85. The next break is still at 120.
    records = simulate(
        **one_shift(
            {"breaks": {"every": "1h", "length": "15m"}},
            channels=[{"name": "phone", "arrival_times": [50, 72], "category_mix": {"question": 1}}],
            categories=[{"name": "question", "handle_time": fixed(20)}],
        )
    )
    assert event_log(records) == [
        (50.0, 0, "arrival", ""),
        (50.0, 0, "picked_up", "desk"),
        (70.0, 0, "resolved", "desk"),
        (72.0, 1, "arrival", ""),
        (72.0, 1, "queued", "desk"),
        (85.0, 1, "picked_up", "desk"),
        (105.0, 1, "resolved", "desk"),
    ]
    assert away_steps(records) == [(70.0, 1.0), (85.0, 0.0), (120.0, 1.0), (135.0, 0.0), (180.0, 1.0), (195.0, 0.0)]
    row = records.agents.iloc[0]
    assert (row["away_break"], row["busy"], row["idle"]) == (45.0, 40.0, 240.0 - 45.0 - 40.0)


def test_lunch_is_spread_evenly_over_its_window_across_the_agents_and_replaces_a_break():
    # three agents, lunch of 30 minutes in 01:00-02:30: they go at 60, 90 and 120, and the last is back at 150.
    # Breaks every 2 hours (10 minutes, staggered by 5): due at 120, 125, 130 - each falls in its agent's lunch
    # except agent 0's (lunch 60-90), who takes its break at 120 while agent 2 is at lunch
    records = simulate(
        **one_shift(
            {
                "breaks": {"every": "2h", "length": "10m", "stagger": "5m"},
                "lunch": {"length": 30, "window": "01:00-02:30"},
            },
            agents=3,
            channels=[{"name": "phone", "arrival_times": [299], "category_mix": {"question": 1}}],
        )
    )
    agents = records.agents.set_index("agent")
    assert list(agents["away_lunch"]) == [30.0, 30.0, 30.0]
    assert list(agents["away_break"]) == [10.0, 10.0, 0.0]  # agent 1: 125 is after its lunch (90-120)
    assert away_steps(records) == [
        (60.0, 1.0),  # agent 0 at lunch
        (90.0, 1.0),  # agent 0 back, agent 1 at lunch
        (120.0, 2.0),  # agent 1 back, agent 2 at lunch, agent 0 on its break
        (125.0, 3.0),  # agent 1 on its break
        (130.0, 2.0),
        (135.0, 1.0),
        (150.0, 0.0),
    ]


def test_lunch_is_spread_across_the_teams_shifts_not_within_each_shift():
    # three one-agent shifts starting at 00:00, 00:30 and 01:00 all reach into the lunch window 01:00-02:30:
    # as one team they go at 60, 90 and 120 (a roster of small shifts must not send everyone at 60)
    team = {
        "name": "desk",
        "shifts": [
            {"days": ["mon"], "start": start, "end": "04:00", "agents": 1} for start in ("00:00", "00:30", "01:00")
        ],
        "shrinkage": {"lunch": {"length": 30, "window": "01:00-02:30"}},
    }
    records = simulate(teams=[team], horizon=300)
    assert away_steps(records) == [(60.0, 1.0), (90.0, 1.0), (120.0, 1.0), (150.0, 0.0)]


def test_a_lunch_stays_inside_its_agents_shift():
    # window 01:00-03:30 for two agents: places 60 and 180. The second works 00:30-02:30, so its lunch moves
    # to the latest it can start and still end on duty, 120, rather than being skipped
    shifts = [{"days": ["mon"], "start": "00:00", "end": "04:00", "agents": 1}]
    shifts.append({"days": ["mon"], "start": "00:30", "end": "02:30", "agents": 1})
    team = {"name": "desk", "shifts": shifts, "shrinkage": {"lunch": {"length": 30, "window": "01:00-03:30"}}}
    records = simulate(teams=[team], horizon=300)
    assert list(records.agents["away_lunch"]) == [30.0, 30.0]
    assert away_steps(records) == [(60.0, 1.0), (90.0, 0.0), (120.0, 1.0), (150.0, 0.0)]


def test_coaching_takes_one_agent_a_day_in_turn_and_a_meeting_takes_everyone():
    # two agents on duty 09:00-12:00 Monday to Wednesday; coaching 10:00 for 20 minutes, one agent a day,
    # and a 30-minute team meeting on Wednesday at 11:00
    records = simulate(
        horizon=3 * 1440,
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        teams=[
            {
                "name": "desk",
                "shifts": [{"days": ["mon", "tue", "wed"], "start": "09:00", "end": "12:00", "agents": 2}],
                "shrinkage": {
                    "meetings": [
                        {"kind": "coaching", "start": "10:00", "length": 20, "agents": 1},
                        {"start": "11:00", "length": 30, "days": ["wed"]},
                    ]
                },
            }
        ],
    )
    agents = records.agents
    # agent ids count on across the days: (0, 1) Monday, (2, 3) Tuesday, (4, 5) Wednesday
    assert list(agents["away_coaching"]) == [20.0, 0.0, 0.0, 20.0, 20.0, 0.0]
    assert list(agents["away_meeting"]) == [0.0, 0.0, 0.0, 0.0, 30.0, 30.0]


def test_an_absent_agent_never_comes_on_duty_and_its_shift_is_absence():
    # five agents a day for five days, each absent with probability 0.3: the draws are the team's absence stream
    doc = dict(
        horizon=5 * 1440,
        channels=[{"name": "phone", "rate_per_hour": 4, "category_mix": {"question": 1}}],
        teams=[
            {
                "name": "desk",
                "shifts": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "16:00", "agents": 5}
                ],
                "shrinkage": {"absenteeism": 0.3},
            }
        ],
    )
    scenario = build(**doc)
    records = run_replication(scenario)
    draws = Streams(scenario.seed, 0).generator(Stream.ABSENCE.of("desk")).random(25)
    absent = records.agents["absent"].to_numpy() == 1
    assert list(absent) == list(draws < 0.3)
    assert 0 < absent.sum() < 25
    assert (records.agents.loc[absent, ["on_duty", "busy", "idle"]] == 0).all().all()
    assert (records.agents.loc[absent, "absence"] == 480.0).all()
    # on duty each day: the agents who came
    staffed = records.levels[records.levels["metric"] == "staffed"]
    peaks = [staffed.loc[(staffed["time"] // 1440) == day, "value"].max() for day in range(5)]
    assert peaks == [int((~absent[5 * day : 5 * day + 5]).sum()) for day in range(5)]
    kpis = replication_kpis(records, scenario)
    assert kpis["shrinkage.absence"] == pytest.approx(absent.sum() / 25)
    assert kpis["shrinkage"] == kpis["shrinkage_team.desk"] == pytest.approx(absent.sum() / 25)


def test_shrinkage_kpis_split_rostered_hours_by_cause():
    # two agents 00:00-04:00 on Monday, 15-minute breaks every hour (agent 1 five minutes later), a 30-minute
    # lunch in 01:30-02:30 (agent 0 at 90-120, agent 1 at 120-150: its break due at 125 is dropped) and
    # 10 minutes of coaching at 03:30 for agent 0 (Monday is day 0). One call at 10 (20 minutes).
    scenario = build(
        **one_shift(
            {
                "breaks": {"every": "1h", "length": "15m", "stagger": "5m"},
                "lunch": {"length": 30, "window": "01:30-02:30"},
                "meetings": [{"kind": "coaching", "start": "03:30", "length": 10, "agents": 1}],
            },
            agents=2,
            channels=[{"name": "phone", "arrival_times": [10], "category_mix": {"question": 1}}],
            categories=[{"name": "question", "handle_time": fixed(20)}],
        )
    )
    records = run_replication(scenario)
    kpis = replication_kpis(records, scenario)
    # rostered 2 x 240 = 480 agent-minutes; breaks: agent 0 at 60, 120 and 180, agent 1 at 65 and 185
    # (5 x 15 = 75); lunch 2 x 30 = 60; coaching 10
    assert kpis["shrinkage.break"] == pytest.approx(75 / 480)
    assert kpis["shrinkage.lunch"] == pytest.approx(60 / 480)
    assert kpis["shrinkage.coaching"] == pytest.approx(10 / 480)
    assert kpis["shrinkage.meeting"] == kpis["shrinkage.absence"] == 0.0
    assert kpis["shrinkage"] == kpis["shrinkage_team.desk"] == pytest.approx(145 / 480)
    # over the 300-minute run: 480 agent-minutes on duty, 145 of them away: 335 / 300 agents available
    assert kpis["agents_on_duty.desk"] == pytest.approx(480 / 300)
    assert kpis["agents_available.desk"] == pytest.approx(335 / 300)
    # agent 0 took the call (10-30): 20 busy minutes of its 240 on duty and 240 - 85 available
    assert kpis["occupancy.desk"] == pytest.approx(20 / 335)
    assert kpis["agent_utilisation_max.desk"] == pytest.approx(20 / 240)
    assert kpis["agent_occupancy_max.desk"] == pytest.approx(20 / 155)
    assert kpis["agent_utilisation_min.desk"] == kpis["agent_occupancy_min.desk"] == 0.0


# -- conservation of agent time ------------------------------------------------------------------------------------
BUSY_DESK = dict(
    horizon="3d",
    warmup="5h",
    channels=[
        {"name": "phone", "rate_per_hour": 30, "category_mix": {"question": 1}, "after_call_work": fixed(1.5)},
        {
            "name": "chat",
            "rate_per_hour": 20,
            "category_mix": {"question": 1},
            "concurrency": 3,
            "after_call_work": {"dist": "exponential", "mean": 2},
        },
    ],
    categories=[{"name": "question", "handle_time": {"dist": "exponential", "mean": 6}}],
    teams=[
        {
            "name": "desk",
            "shifts": [
                {"days": ["mon", "tue", "wed"], "start": "06:00", "end": "14:00", "agents": 6},
                {"days": ["mon", "tue", "wed"], "start": "13:00", "end": "23:00", "agents": 5},
                {"days": ["mon", "tue", "wed"], "start": "22:00", "end": "07:00", "agents": 3},
            ],
            "shrinkage": {
                "breaks": {"every": "2h", "length": "15m", "stagger": "7m"},
                "lunch": {"length": "30m", "window": "11:30-13:30"},
                "meetings": [
                    {"start": "09:00", "length": "30m", "days": ["tue"]},
                    {"kind": "coaching", "start": "15:00", "length": "20m", "agents": 2},
                ],
                "absenteeism": 0.1,
            },
        }
    ],
)


def test_every_rostered_minute_is_available_or_lost_to_one_cause_and_matches_the_team_levels():
    scenario = build(**BUSY_DESK)
    records = run_replication(scenario)
    agents, start, end = records.agents, scenario.warmup, scenario.horizon
    away = agents[[f"away_{cause}" for cause in AWAY_CAUSES]].sum(axis=1)
    # per agent: on duty = busy + wrap + idle + away, rostered = on duty - overtime + absence, nothing negative
    assert np.allclose(agents["on_duty"], agents["busy"] + agents["wrap"] + agents["idle"] + away)
    assert np.allclose(agents["rostered"], agents["on_duty"] - agents["overtime"] + agents["absence"])
    assert (agents.drop(columns=["team", "agent"]) >= -1e-9).all().all()
    assert agents["absent"].sum() > 0 and (away > 0).any() and (agents["wrap"] > 0).any()
    # per team, against what the team recorded independently: its levels over the window
    levels = time_averages(records.levels, start, end).set_index("metric")["mean"] * (end - start)
    assert agents["on_duty"].sum() == pytest.approx(levels["staffed"], rel=1e-9)
    assert (agents["busy"] + agents["wrap"]).sum() == pytest.approx(levels["busy"], rel=1e-9)
    assert away.sum() == pytest.approx(levels["away"], rel=1e-9)
    assert agents["overtime"].sum() == pytest.approx(levels["overtime"], rel=1e-9)
    # rostered minutes are the rota's, absent agents included
    rota = sum(n * (min(off, end) - min(max(on, start), end)) for on, off, n in duty_blocks(scenario.teams[0], end, 0))
    assert agents["rostered"].sum() == pytest.approx(rota, rel=1e-12)
    # after-call work per ticket adds up to the agents' wrap-up time (a chat's at 1/3 of an agent), over the
    # whole run; only wrap-ups still running at the horizon are in the tickets' and not yet all in the agents'
    whole = run_replication(build(**{**BUSY_DESK, "warmup": 0}))
    share = np.where(whole.tickets["channel"] == "chat", 1 / 3, 1.0)
    running = (whole.tickets["wrap_time"] * share).sum() - whole.agents["wrap"].sum()
    assert -1e-9 <= running < 30  # float sums: none may be running at the horizon


def test_a_team_without_shrinkage_keeps_the_same_records_with_per_agent_records_on():
    # an empty shrinkage spec only turns the per-agent records on: no draw, no change to anything else
    plain = dict(BUSY_DESK)
    plain["channels"] = [{k: v for k, v in c.items() if k != "after_call_work"} for c in BUSY_DESK["channels"]]
    team = {k: v for k, v in BUSY_DESK["teams"][0].items() if k != "shrinkage"}
    before = run_replication(build(**{**plain, "teams": [team]}))
    after = run_replication(build(**{**plain, "teams": [{**team, "shrinkage": {}}]}))
    assert before.agents.empty and len(after.agents) == 14 * 3
    for table in ("tickets", "events", "levels", "visits", "tasks"):
        pd.testing.assert_frame_equal(getattr(before, table), getattr(after, table))
    assert not after.agents[["away_break", "away_lunch", "away_meeting", "away_coaching", "absence"]].any().any()


# -- after-call work against theory and Ciw ----------------------------------------------------------------------
UTILISATION_BOUND = 0.003
"""Relative bound of the utilisation check: a bias of 0.3 % (say, wrap-up left out for one agent in 80) fails it."""
CIW_BOUND = 0.10
"""Relative bound of the two-sample check of mean waits against Ciw (as for the lognormal M/G/c in theory_cases)."""


@pytest.mark.slow
def test_after_call_work_utilisation_is_exact_and_waits_match_ciw_with_the_extended_service_time():
    # M/M/4 talk (mean 3) plus a fixed 1-minute wrap-up: an M/G/4 with service 3 + 1 at utilisation 0.8
    import ciw

    agents, talk, wrap, rho, reps = 4, 3.0, 1.0, 0.8, 80
    per_minute = rho * agents / (talk + wrap)
    horizon, warmup, margin = 8 * 1440.0, 240.0, 120.0
    doc = {
        "name": "mgc-wrap",
        "horizon": horizon,
        "warmup": warmup,
        "priorities": ["normal"],
        "channels": [
            {
                "name": "phone",
                "rate_per_hour": per_minute * 60,
                "category_mix": {"call": 1},
                "after_call_work": fixed(wrap),
            }
        ],
        "categories": [{"name": "call", "handle_time": {"dist": "exponential", "mean": talk}}],
        "teams": [{"name": "agents", "agents": agents}],
        "routing": [{"team": "agents"}],
    }
    scenario = validate(doc, "<mgc-wrap>")
    utilisation, waits, controls = [], [], []
    for r in range(reps):
        records = run_replication(scenario, r, record_events=False)
        t = records.tickets
        window = t[(t["arrival"] >= warmup) & (t["arrival"] < horizon - margin)]
        waits.append(float(window["wait"].fillna(horizon - window["arrival"]).mean()))
        utilisation.append(replication_kpis(records, scenario)["utilisation.agents"])
        arrivals = len(window) / (per_minute * (horizon - margin - warmup)) - 1
        controls.append([arrivals, window["work_time"].mean() / talk - 1])
    ok, account = within(utilisation, rho, UTILISATION_BOUND, controls)
    assert ok, f"utilisation = λ(E[talk] + E[wrap])/c: {account}"
    service = ciw.dists.Exponential(rate=1 / talk) + ciw.dists.Deterministic(wrap)
    reference = ciw_waits(per_minute, service, agents, horizon, warmup, reps, seed=1)
    ok, account = within(waits, reference, CIW_BOUND, controls)
    assert ok, f"mean wait against Ciw's M/G/4 with service talk + wrap: {account}"


# -- bad input ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("team", "message"),
    [
        (
            {"name": "desk", "agents": 2, "shrinkage": {"breaks": {"every": "15m", "length": "15m"}}},
            "teams[0].shrinkage.breaks: a break must be shorter than the time between breaks",
        ),
        (
            {"name": "desk", "agents": 2, "shrinkage": {"lunch": {"length": "1h", "window": "12:00-12:30"}}},
            "teams[0].shrinkage.lunch: the lunch is longer than its window",
        ),
        (
            {"name": "desk", "agents": 2, "shrinkage": {"absenteeism": 0.1}},
            "teams[0]: 'shrinkage.absenteeism' needs 'shifts'",
        ),
    ],
)
def test_shrinkage_that_cannot_happen_is_refused_with_its_field_path(team, message):
    with pytest.raises(ScenarioError) as refused:
        build(teams=[team])
    assert message in str(refused.value)


def test_a_run_folder_keeps_the_agents_table(tmp_path):
    result = run(build(channels=PHONE_WITH_WRAP), replications=2, progress=False)
    folder = load_run(write_run(result, tmp_path))
    assert list(folder.agents["replication"]) == [0, 1]
    assert list(folder.agents["wrap"]) == [9.0, 9.0]


def test_agent_groups_keep_ledgers_take_breaks_and_account_for_every_rostered_minute_per_pool():
    # the bundled contact centre: four agent groups with shrinkage and after-call work sharing two team queues
    scenario = load_scenario(SCENARIOS / "contact_centre.yaml", ["horizon=2d"])
    records = run_replication(scenario)
    agents, start, end = records.agents, scenario.warmup, scenario.horizon
    pools = {g.name for g in scenario.agent_groups}
    assert set(agents["team"].astype(str)) == pools  # the teams have no agents of their own
    away = agents[[f"away_{cause}" for cause in AWAY_CAUSES]].sum(axis=1)
    assert np.allclose(agents["on_duty"], agents["busy"] + agents["wrap"] + agents["idle"] + away)
    assert np.allclose(agents["rostered"], agents["on_duty"] - agents["overtime"] + agents["absence"])
    assert (away > 0).any() and (agents["wrap"] > 0).any()
    means = time_averages(records.levels, start, end)
    for pool in pools:
        mine = agents[agents["team"] == pool]
        levels = means[means["team"] == pool].set_index("metric")["mean"] * (end - start)
        assert mine["on_duty"].sum() == pytest.approx(levels["staffed"], rel=1e-9), pool
        assert (mine["busy"] + mine["wrap"]).sum() == pytest.approx(levels["busy"], rel=1e-9), pool
        assert away[mine.index].sum() == pytest.approx(levels["away"], rel=1e-9), pool
        spec = next(g for g in scenario.agent_groups if g.name == pool)
        rota = sum(
            n * (min(off, end) - min(max(on, start), end))
            for on, off, n in duty_blocks(spec, end, scenario.start_weekday)
        )
        assert mine["rostered"].sum() == pytest.approx(rota, rel=1e-12), pool
