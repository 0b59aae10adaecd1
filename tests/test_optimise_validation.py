"""The optimiser against answers known without it (issue 14, "how to know it is right").

- **M/M/c, constant demand**: with one 24-hour shift template and a service-level goal over the
  week, the roster is the Erlang C staffing c*. At 100 calls/h, 6 min and 80 % in 20 s, c* = 14
  (Erlang C service level 86.1 %) and 13 agents give 75.9 %: the roster moves off c* only if the
  simulated service level is biased up by more than 4 points at 13 agents or down by more than 6
  at 14. The test proves it can fail: an engine whose handle times run 10 % long (6.6 min, as a
  handle-time bug would) gets 15 agents, not 14.
- **Time-varying single queue**: an hour-of-day profile from 0.2 to 2.4 times the mean rate; per-hour
  goal. The roster's hourly service level is stable (its spread is a fraction of a flat roster's),
  and each hour is within one agent of a sequential brute force that, hour by hour in time order,
  finds the fewest agents meeting the goal on the same replications. The check fails on a roster
  lagged by one hour.
- **A two-tier network on a small grid**: the roster costs no more than the cheapest point of a
  grid of constant staffings that meets the same goals under the same judge; without the final
  cuts (ISA's answer as scheduled and verified) it costs more.

Each case plans one or two days on common random numbers; slow (about two minutes together).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pytest
from theory_cases import _single_team_doc, jackson_case

from sim.analysis.channel_kpis import live_channels
from sim.analysis.kpis import replication_kpis
from sim.analysis.theory import required_agents
from sim.core.units import MINUTES_PER_HOUR
from sim.engine import RunRecords, run_replication
from sim.optimiser import optimise as optimise_module
from sim.optimiser.goal_checks import goals_from_document
from sim.optimiser.goals import Goals
from sim.optimiser.grid import WeekGrid
from sim.optimiser.measure import service_cells
from sim.optimiser.optimise import OptimiseResult, optimise
from sim.optimiser.pools import with_rosters
from sim.optimiser.schedule import curve_shifts
from sim.optimiser.targets import goal_list
from sim.optimiser.verify import verdicts
from sim.scenario.clock import WEEKDAYS
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario

pytestmark = pytest.mark.slow

PER_HOUR, HANDLE, TARGET, GOAL = 100.0, 6.0, 20 / 60, 0.8
WORKERS = 2
ALL_DAYS = list(WEEKDAYS)


def round_the_clock(name: str = "allday") -> list[dict]:
    """One template: every day, from midnight, 24 hours: a constant head count."""
    return [{"name": name, "days": ALL_DAYS, "starts": ["00:00"], "lengths": ["24h"]}]


def goals_for(scenario: Scenario, per: str, teams: dict, interval: str = "60m", **extra) -> Goals:
    """A goals file: phone 80 % in 20 s judged ``per`` period, on the mean of the replications."""
    doc = {
        "interval": interval,
        "replications": 6,
        "verify_replications": 10,
        "service_level": [{"channel": "phone", "target": "20s", "goal": GOAL, "per": per}],
        "teams": teams,
        **extra,
    }
    return goals_from_document(doc, scenario)


def head_count(result: OptimiseResult, pool: str) -> set[int]:
    """The agents the roster has on duty, over the cells of the week it staffs."""
    coverage = result.roster.schedules[pool].coverage
    return {int(agents) for agents in coverage[coverage > 0]}


# --- M/M/c with constant demand: the Erlang C answer ---------------------------------------------


def mmc_plan(handle: float) -> tuple[Scenario, Goals]:
    doc = _single_team_doc("mmc", PER_HOUR / MINUTES_PER_HOUR, 10, handle, "3d", "4h")
    scenario = validate(doc, "<mmc>")
    goals = goals_for(scenario, "week", {"agents": {"templates": round_the_clock()}}, horizon="2d")
    return scenario, goals


def erlang_c_answer() -> int:
    return required_agents(PER_HOUR / MINUTES_PER_HOUR, 1 / HANDLE, GOAL, TARGET)


def test_on_an_mmc_queue_with_constant_demand_the_roster_is_the_erlang_c_staffing():
    scenario, goals = mmc_plan(HANDLE)
    result = optimise(scenario, goals, workers=WORKERS, compare=False)
    assert erlang_c_answer() == 14
    assert head_count(result, "agents") == {14}
    assert result.roster.met


def test_the_mmc_check_fails_on_an_engine_whose_handle_times_run_ten_percent_long():
    scenario, goals = mmc_plan(HANDLE * 1.1)  # what the engine would do with a 10 % handle-time bias
    result = optimise(scenario, goals, workers=WORKERS, compare=False)
    assert head_count(result, "agents") != {erlang_c_answer()}


# --- a time-varying single queue: time-stable, and the brute force's staffing ---------------------

PROFILE = [0.2] * 6 + [0.6, 1.2, 2.0, 2.4, 2.4, 2.0, 1.6, 2.0, 2.4, 2.0, 1.4, 1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.2]
"""Calls per hour as multiples of 60/h: a quiet night, a morning ramp, two peaks (10-11 h, 14-15 h)."""


@pytest.fixture(scope="module")
def varying() -> tuple[Scenario, Goals, OptimiseResult]:
    doc = _single_team_doc("varying", 1.0, 10, 5.0, "2d", "2h")
    doc["channels"][0]["hour_of_day"] = PROFILE
    scenario = validate(doc, "<varying>")
    hourly = [{"name": "hourly", "days": ALL_DAYS, "starts": {"from": "00:00", "to": "23:00", "every": "60m"}}]
    hourly[0]["lengths"] = ["60m"]
    goals = goals_for(scenario, "interval", {"agents": {"templates": hourly}}, horizon="1d", verify_replications=20)
    return scenario, goals, optimise(scenario, goals, workers=WORKERS, compare=False)


def hourly_levels(scenario: Scenario, staffing: np.ndarray, goals: Goals) -> np.ndarray:
    """Per cell of the week, the mean service level over the verification replications of ``staffing``."""
    runs = simulate(scenario, {"agents": curve_shifts(staffing.astype(int), goals.interval)}, goals)
    return mean_levels(runs, goals)


def simulate(scenario: Scenario, shifts: dict[str, list[dict]], goals: Goals) -> list[RunRecords]:
    staffed = with_rosters(scenario, shifts, days=goals.horizon / (24 * 60), interval=goals.interval)
    return [run_replication(staffed, r, scenario.seed, record_events=False) for r in range(goals.verify_replications)]


def mean_levels(runs: list[RunRecords], goals: Goals) -> np.ndarray:
    """Per cell, the mean over replications of the service level (NaN where no replication decided a call)."""
    levels = service_cells(runs, {"phone": TARGET}, WeekGrid(goals.interval, 0)).levels()
    count = np.sum(~np.isnan(levels), axis=0)
    return np.where(count > 0, np.nansum(levels, axis=0) / np.maximum(count, 1), np.nan)


def planned_hours(scenario: Scenario, goals: Goals) -> list[tuple[int, int]]:
    """The cells measured after the warm-up, in time order: Monday 02:00 to Tuesday 01:00."""
    start = int(scenario.warmup // goals.interval)
    per_day = int(24 * MINUTES_PER_HOUR // goals.interval)
    count = int(goals.horizon // goals.interval)
    return [divmod(start + k, per_day) for k in range(count)]


def sequential_brute_force(scenario: Scenario, goals: Goals, start: np.ndarray) -> np.ndarray:
    """Hour by hour in time order, the fewest agents meeting the goal in that hour.

    Earlier hours keep what the search found for them; later hours are staffed generously (four
    above ``start``) so that they cannot hold the hour back. Replications and seed are the
    optimiser's verification ones (common random numbers).
    """
    staffing = start.copy()
    hours = planned_hours(scenario, goals)
    for k, cell in enumerate(hours):
        for later in hours[k + 1 :]:
            staffing[later] = start[later] + 4

        def meets(agents: int, cell: tuple[int, int] = cell) -> bool:
            staffing[cell] = agents
            return bool(hourly_levels(scenario, staffing, goals)[cell] >= GOAL)

        agents = int(start[cell])
        if meets(agents):
            while agents > 1 and meets(agents - 1):
                agents -= 1
        else:
            agents += 1
            while not meets(agents):
                agents += 1
        staffing[cell] = agents
    return staffing


def test_on_a_time_varying_queue_each_hour_is_within_one_agent_of_a_sequential_brute_force(varying):
    scenario, goals, result = varying
    roster = result.roster.schedules["agents"].coverage
    brute = sequential_brute_force(scenario, goals, roster)
    hours = planned_hours(scenario, goals)
    gaps = {cell: int(roster[cell] - brute[cell]) for cell in hours}
    assert max(abs(gap) for gap in gaps.values()) <= 1, f"roster minus brute force per hour: {gaps}"
    lagged = np.roll(roster, 1)  # the same staffing an hour late, as a lag bug would give
    assert max(abs(int(lagged[cell] - brute[cell])) for cell in hours) > 1


def test_on_a_time_varying_queue_the_hourly_service_level_is_stable(varying):
    scenario, goals, result = varying
    assert result.roster.met
    hours = planned_hours(scenario, goals)
    levels = mean_levels(simulate(scenario, shifts_of(result), goals), goals)
    spread = np.ptp([levels[cell] for cell in hours])
    flat = np.zeros_like(result.roster.schedules["agents"].coverage)
    flat[tuple(zip(*hours, strict=True))] = round(result.roster.schedules["agents"].coverage[0].mean())
    flat_levels = hourly_levels(scenario, flat, goals)
    assert min(levels[cell] for cell in hours) >= GOAL - 0.02  # a fresh check on the verification's customers
    assert spread <= 0.2
    assert np.ptp([flat_levels[cell] for cell in hours]) >= 0.8  # the same agent-hours, not time-varying


def shifts_of(result: OptimiseResult) -> dict[str, list[dict]]:
    return {pool: sched.shift_specs() for pool, sched in result.roster.schedules.items()}


# --- a two-tier network: never dearer than the cheapest grid point --------------------------------

TIER1, TIER2 = range(7, 10), range(3, 6)
"""The grid: constant tier-1 and tier-2 head counts around the answer."""


def network_plan() -> tuple[Scenario, Goals]:
    """Jackson's two tiers (60/h, 5 min at tier 1, 30 % on to tier 2 for 10 min), priced, with an SLA goal."""
    doc = jackson_case(60, 0.7, (6, 4), (5.0, 10.0), "3d", "4h", 1).doc
    doc["priorities"] = ["normal"]
    doc["sla_policies"] = [{"name": "all", "resolution": {"target": "40m"}}]
    doc["teams"][0]["cost_per_hour"], doc["teams"][1]["cost_per_hour"] = 30, 45
    scenario = validate(doc, "<network>")
    teams = {"tier1": {"templates": round_the_clock()}, "tier2": {"templates": round_the_clock()}}
    goals = goals_for(scenario, "week", teams, horizon="2d", sla=[{"priority": "normal", "goal": 0.9}])
    return scenario, goals


def cheapest_grid_point(scenario: Scenario, goals: Goals) -> float:
    """The weekly cost of the cheapest constant grid staffing meeting every goal (judged as the optimiser does)."""
    costs = []
    for tier1, tier2 in itertools.product(TIER1, TIER2):
        shifts = {
            team: [{"days": ALL_DAYS, "start": "00:00", "end": "00:00", "agents": n}]
            for team, n in (("tier1", tier1), ("tier2", tier2))
        }
        runs = simulate(scenario, shifts, goals)
        staffed = with_rosters(scenario, shifts, days=2, interval=goals.interval)
        kpis = pd.DataFrame([replication_kpis(run, staffed) for run in runs])
        judged = verdicts(goal_list(goals), runs, kpis, WeekGrid(goals.interval, 0), live_channels(scenario))
        if all(v.judgement.met for v in judged):
            costs.append((30 * tier1 + 45 * tier2) * 24 * 7)
    assert costs, "the grid holds a staffing that meets the goals"
    return min(costs)


@pytest.fixture(scope="module")
def network() -> Iterator[tuple[Scenario, Goals, float]]:
    scenario, goals = network_plan()
    yield scenario, goals, cheapest_grid_point(scenario, goals)


def test_the_roster_costs_no_more_than_the_cheapest_grid_point_meeting_the_same_goals(network):
    scenario, goals, grid_cost = network
    result = optimise(scenario, goals, workers=WORKERS, compare=False)
    assert result.roster.met
    assert result.roster.cost <= grid_cost


def test_the_grid_check_fails_on_the_roster_before_its_final_cuts(network, monkeypatch):
    scenario, goals, grid_cost = network
    uncut: Callable = lambda run, roster, required, rounds, searched: (roster, required, rounds)  # noqa: E731
    monkeypatch.setattr(optimise_module, "_trimmed", uncut)
    monkeypatch.setattr(optimise_module, "_polished", uncut)
    result = optimise(scenario, goals, workers=WORKERS, compare=False)
    assert result.roster.cost > grid_cost
