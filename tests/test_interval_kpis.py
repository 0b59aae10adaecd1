"""KPIs per interval: service level, ASA, abandonment and occupancy interval by interval, worked out by hand.

Time 0 is Monday 00:00. Tickets count in the interval they arrived in (as WFM tools do); the warm-up is
left out, and an interval with no arrivals has no service level rather than 0 % or 100 %.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import build, fixed, scenario_doc
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.intervals import (
    FRACTION,
    NON_NEGATIVE,
    channel_intervals,
    interval_edges,
    intervals_met,
    summarise_intervals,
    team_intervals,
)
from sim.analysis.kpis import replication_kpis
from sim.cli import main
from sim.engine.replication import run_replication
from sim.experiments.outputs import INTERVALS, TEAM_INTERVALS, write_run
from sim.experiments.replications import run
from sim.reports.html import write_report
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate

# -- one agent, 15-minute intervals, warm-up 5, horizon 75 ----------------------------------------------------
# Phone only: 10 minutes a ticket, callers hang up after 12 minutes, target 5 minutes, goal 50 %.
# Intervals: [5, 15) (cut by the warm-up), [15, 30), [30, 45), [45, 60), [60, 75).
#
#   ticket  arrives  interval  what happens                                   wait   service level
#   0           2    warm-up   served 2-12 (not counted, but holds the agent)    -      -
#   1           5    [5, 15)   served 12-22                                      7      miss
#   2          15    [15, 30)  served 22-32 (on the boundary: the later one)     7      miss
#   3          16    [15, 30)  hangs up at 28                                    -      miss (abandoned)
#   4          29    [15, 30)  served 32-42                                      3      hit
#   -           -    [30, 45)  no arrivals                                       -      none
#   5          50    [45, 60)  served 50-60                                      0      hit
#   6          52    [45, 60)  served 60-70                                      8      miss
#   7          62    [60, 75)  served 70-80                                      8      miss
#   8          65    [60, 75)  still waiting at 75, 10 minutes > 5               -      miss
#   9          72    [60, 75)  still waiting at 75, 3 minutes < 5                -      not known: left out
QUARTERS = dict(
    horizon=75,
    warmup=5,
    reporting={"interval": "15m"},
    channels=[
        {
            "name": "phone",
            "arrival_times": [2, 5, 15, 16, 29, 50, 52, 62, 65, 72],
            "category_mix": {"question": 1},
            "patience": fixed(12),
            "service_level": {"target": 5, "goal": 0.5},
        }
    ],
    teams=[{"name": "desk", "agents": 1}],
)
NAN = math.nan


@pytest.fixture(scope="module")
def quarters():
    scenario = build(**QUARTERS)
    records = run_replication(scenario)
    return scenario, records


def column(frame: pd.DataFrame, name: str) -> list[float]:
    return [None if math.isnan(v) else pytest.approx(v) for v in frame[name].to_numpy(dtype=float)]


def test_intervals_are_clock_aligned_and_cut_by_the_warm_up_and_the_horizon():
    assert interval_edges(15, 5, 75).tolist() == [5, 15, 30, 45, 60, 75]
    assert interval_edges(60, 0, 150).tolist() == [0, 60, 120, 150]
    assert interval_edges(30, 60, 120).tolist() == [60, 90, 120]


def test_tickets_count_in_the_interval_they_arrived_in_and_the_warm_up_is_left_out(quarters):
    scenario, records = quarters
    table = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    assert table["start"].tolist() == [5, 15, 30, 45, 60]
    assert table["end"].tolist() == [15, 30, 45, 60, 75]
    # ticket 0 (warm-up) nowhere; ticket 2 at 15 in [15, 30); ticket 8 and 9 in [60, 75) though unanswered
    assert table["offered"].tolist() == [1, 3, 0, 2, 3]
    assert table["answered"].tolist() == [1, 2, 0, 2, 1]
    assert table["abandoned"].tolist() == [0, 1, 0, 0, 0]


def test_service_level_per_interval_counts_abandoned_and_still_waiting_tickets_as_misses(quarters):
    scenario, records = quarters
    table = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    # [5,15): 1 missed; [15,30): 4 hit, 2 and 3 (abandoned) missed; [30,45): no arrivals, no service level;
    # [45,60): 5 hit, 6 missed; [60,75): 7 and 8 (still waiting past the target) missed, 9 left out
    assert table["within_target"].tolist() == [0, 1, 0, 1, 0]
    assert table["decided"].tolist() == [1, 3, 0, 2, 2]
    assert column(table, "service_level") == [0.0, 1 / 3, None, 1 / 2, 0.0]


def test_asa_and_abandonment_rate_per_interval(quarters):
    scenario, records = quarters
    table = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    # ASA over answered tickets: 7; (7 + 3) / 2; none; (0 + 8) / 2; 8.  Abandoned over offered: 1 of 3 in [15, 30)
    assert column(table, "asa") == [7, 5, None, 4, 8]
    assert column(table, "abandonment_rate") == [0, 1 / 3, None, 0, 0]


def test_occupancy_per_interval_is_busy_over_available_agent_time(quarters):
    scenario, records = quarters
    table = team_intervals(records.levels, scenario, records.warmup, records.horizon)
    # busy 2-42 and 50-75: [5,15) 10 of 10 minutes; [15,30) 15 of 15; [30,45) 12 of 15; [45,60) 10 of 15; [60,75) 15
    assert column(table, "occupancy") == [1, 1, 12 / 15, 10 / 15, 1]
    assert column(table, "busy") == [1, 1, 12 / 15, 10 / 15, 1]
    assert column(table, "on_duty") == [1] * 5
    assert column(table, "available") == [1] * 5


def test_share_of_intervals_meeting_the_goal_leaves_intervals_without_arrivals_out(quarters):
    scenario, records = quarters
    table = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    # known service levels 0, 1/3, 1/2, 0 against the goal 50 %: only [45, 60) meets it (exactly)
    assert intervals_met(table, scenario) == {"intervals_met.phone": pytest.approx(1 / 4)}
    kpis = replication_kpis(records, scenario)
    assert kpis["intervals_met.phone"] == pytest.approx(1 / 4)
    # the headline over the same tickets: 2 hits (4, 5) of 8 decided, the decided-weighted mean of the intervals
    assert kpis["service_level.phone"] == pytest.approx(2 / 8)


def test_available_agents_leave_out_agents_away_and_nobody_available_has_no_occupancy():
    scenario = build(reporting={"interval": "30m"}, horizon=120, teams=[{"name": "desk", "agents": 1}])
    levels = pd.DataFrame(
        # staffed 4 agents from 0, 2 from 45, none from 90; 1 away 0-30; busy 2 from 0, 1 from 45, 0 from 90
        [
            (0.0, "desk", "staffed", 4.0),
            (0.0, "desk", "away", 1.0),
            (0.0, "desk", "busy", 2.0),
            (30.0, "desk", "away", 0.0),
            (45.0, "desk", "staffed", 2.0),
            (45.0, "desk", "busy", 1.0),
            (90.0, "desk", "staffed", 0.0),
            (90.0, "desk", "busy", 0.0),
        ],
        columns=["time", "team", "metric", "value"],
    )
    table = team_intervals(levels, scenario, 0, 120)
    # [0,30): 4 on duty, 3 available, 2 busy; [30,60): on duty (4 x 15 + 2 x 15) / 30 = 3, busy 1.5;
    # [60,90): 2 on duty, 1 busy; [90,120): nobody: no occupancy
    assert column(table, "on_duty") == [4, 3, 2, 0]
    assert column(table, "available") == [3, 3, 2, 0]
    assert column(table, "occupancy") == [2 / 3, 1.5 / 3, 1 / 2, None]


def test_across_replications_each_cell_is_a_mean_with_an_interval_over_replications_that_have_it():
    per_replication = pd.DataFrame(
        {
            "channel": "phone",
            "interval": [0, 0, 0],
            "start": 0.0,
            "end": 60.0,
            "offered": [2.0, 4.0, 0.0],
            "service_level": [0.5, 1.0, NAN],  # the third replication had no arrivals in this interval
        }
    )
    row = summarise_intervals(per_replication, "channel", {"offered": NON_NEGATIVE, "service_level": FRACTION}).iloc[0]
    assert row["offered"] == 2.0  # no arrivals is 0 offered, counted
    assert row["service_level"] == 0.75  # over the two replications that had arrivals
    # t interval with 1 degree of freedom: 0.75 ± 12.706 x 0.354 / 1.414 = ± 3.18, cut to [0 %, 100 %]
    assert (row["service_level_ci_low"], row["service_level_ci_high"]) == (0.0, 1.0)
    assert row["replications"] == 2


def test_reporting_interval_must_be_15_30_or_60_minutes():
    assert build().reporting.interval == "60m"  # the hourly view by default
    assert build(reporting={"interval": "1h"}).reporting.minutes == 60
    assert build(reporting={"interval": 30}).reporting.interval == "30m"
    with pytest.raises(ScenarioError) as error:
        validate(scenario_doc(reporting={"interval": "20m"}), "<test>")
    assert "reporting.interval: '20m' is not a reporting interval; use 15m, 30m or 60m (1h)" in error.value.render()


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    interval=st.sampled_from(["15m", "30m", "60m"]),
    warmup=st.sampled_from([0, 20, 45]),
)
def test_decided_weighted_mean_of_interval_service_levels_is_the_overall_service_level(seed, interval, warmup):
    scenario = build(
        seed=seed,
        horizon=300,
        warmup=warmup,
        reporting={"interval": interval},
        channels=[
            {
                "name": "phone",
                "rate_per_hour": 40,
                "category_mix": {"question": 1},
                "patience": {"dist": "exponential", "mean": 4},
                "service_level": {"target": 1, "goal": 0.8},
            }
        ],
        categories=[{"name": "question", "handle_time": {"dist": "exponential", "mean": 4}}],
        teams=[{"name": "desk", "agents": 3}],
    )
    records = run_replication(scenario)
    kpis = replication_kpis(records, scenario)
    table = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    # each interval's service level weighted by the tickets it rests on (arrivals whose fate at the target is
    # known: every arrival but those in the horizon's last target-length still waiting) gives the headline
    known = table["decided"] > 0
    weighted = (table.loc[known, "service_level"] * table.loc[known, "decided"]).sum() / table["decided"].sum()
    assert weighted == pytest.approx(kpis["service_level.phone"])
    assert table["offered"].sum() == kpis["arrived"]
    answered = table["answered"] > 0
    asa = (table.loc[answered, "asa"] * table.loc[answered, "answered"]).sum() / table["answered"].sum()
    assert asa == pytest.approx(kpis["asa.phone"])
    assert table["abandoned"].sum() / table["offered"].sum() == pytest.approx(kpis["abandonment_rate.phone"])


def test_run_writes_the_interval_tables_and_the_report_shows_them(tmp_path):
    scenario = build(**QUARTERS)
    result = run(scenario, replications=2, progress=False)
    folder = write_run(result, tmp_path)
    channels = pd.read_csv(folder / INTERVALS)
    assert channels["when"].tolist() == [f"Mon 05 Jan 00:{m}" for m in ("05", "15", "30", "45")] + ["Mon 05 Jan 01:00"]
    assert channels["service_level"].tolist()[:2] == pytest.approx([0, 1 / 3])
    assert np.isnan(channels["service_level"].iloc[2])  # no arrivals: empty, not 0 %
    assert channels["met_goal"].tolist()[3] == 1.0
    teams = pd.read_csv(folder / TEAM_INTERVALS)
    assert teams["occupancy"].tolist() == pytest.approx([1, 1, 0.8, 2 / 3, 1])
    page = write_report(folder).read_text(encoding="utf-8")
    assert 'id="plot-intervals"' in page and '<section id="intervals">' in page
    assert "intervals meeting the service goal [phone]" in page
    section = page[page.index('<section id="intervals">') : page.index("</section>", page.index('id="intervals"'))]
    # the worst intervals, lowest service level first: [5,15) and [60,75) at 0 %, then [15, 30) at 33.3 %
    assert re.findall(r"<td>(Mon 05 Jan \d\d:\d\d)</td>", section) == [
        "Mon 05 Jan 00:05",
        "Mon 05 Jan 01:00",
        "Mon 05 Jan 00:15",
        "Mon 05 Jan 00:45",
    ]
    assert (folder / "plots" / "03-intervals.png").is_file()


def test_run_command_prints_the_lowest_service_level_intervals(tmp_path, capsys):
    path = tmp_path / "quarters.yaml"
    path.write_text(yaml.safe_dump(scenario_doc(**QUARTERS)), encoding="utf-8")
    assert main(["run", str(path), "-r", "1", "--out", str(tmp_path / "out"), "-w", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Lowest service level per 15m interval" in out
    assert re.search(r"phone\s+Mon 05 Jan 00:05\s+1\.0\s+0\.0%\s+50%\s+7\.0m\s+0\.0%", out), out
    assert "intervals meeting the service goal [phone]" in out
