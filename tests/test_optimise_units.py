"""The staffing optimiser's building blocks (issue 14), each on tiny inputs with exact, hand-computed answers."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import build, fixed, simulate

from sim.analysis.channel_kpis import live_channels
from sim.analysis.kpis import replication_kpis
from sim.engine.replication import run_replication
from sim.optimiser import isa
from sim.optimiser import optimise as optimiser
from sim.optimiser.grid import WeekGrid
from sim.optimiser.isa import ALPHA_CEILING, SEARCH_STEPS, SETTLED, STRAYS, PoolTarget, _mid, _next_alpha
from sim.optimiser.measure import MIN_DECIDED, Cells, demand_samples, judge, service_cells, staffing_for_delay
from sim.optimiser.pools import primary_pools, staffed_pools, with_rosters
from sim.optimiser.verify import Goal, abandonment_rate, shortfall, verdicts

HALF_DAYS = WeekGrid(720, 0)
"""Two cells a day, 14 a week: small enough to write every cell's expectation out."""
QUARTERS = WeekGrid(15, 0)
"""15-minute cells from Monday 00:00: a 100-minute story spans cells 0-6 of row 0."""


MIX = {"question": 1}


def phone(times: list[float], **extra: object) -> dict:
    """A phone channel with fixed arrival times (one category: ``question``, handle time 10 min)."""
    return {"name": "phone", "arrival_times": times, "category_mix": MIX, **extra}


def cells_of(reps: list[dict[tuple[int, int], tuple[float, float]]]) -> Cells:
    """Cells on HALF_DAYS from, per replication, {(weekday, slot): (within, decided)}; other cells empty."""
    within, decided = np.zeros((len(reps), *HALF_DAYS.shape)), np.zeros((len(reps), *HALF_DAYS.shape))
    for r, rep in enumerate(reps):
        for cell, (hit, known) in rep.items():
            within[(r, *cell)], decided[(r, *cell)] = hit, known
    return Cells(within, decided)


def only(grid: WeekGrid, values: dict[tuple[int, int], float]) -> np.ndarray:
    """A grid array that is zero except ``values``."""
    out = grid.zeros()
    for cell, value in values.items():
        out[cell] = value
    return out


# -- WeekGrid ------------------------------------------------------------------------------------------------


def test_a_run_starting_on_wednesday_puts_time_zero_in_row_2_and_the_next_day_in_row_3() -> None:
    grid = WeekGrid(60, start_weekday=2)
    assert grid.shape == (7, 24)
    weekday, slot = grid.cells(np.array([0.0, 59.9, 60.0, 1440 + 90, 5 * 1440 + 1439]))
    # 0 and 59.9: Wed 00:00 slot; 60: Wed 01:00; day 1 + 90 min: Thu 01:00; day 5 = Wed + 5 = Mon, 23:59
    assert weekday.tolist() == [2, 2, 2, 3, 0]
    assert slot.tolist() == [0, 0, 1, 1, 23]
    assert grid.flat(np.array([1440 + 90.0])).tolist() == [3 * 24 + 1]


def test_times_a_week_or_more_apart_fold_onto_the_same_cell() -> None:
    grid = WeekGrid(30, start_weekday=4)
    times = np.array([100.0, 100 + 7 * 1440, 100 + 21 * 1440])
    assert len(set(grid.flat(times).tolist())) == 1
    assert grid.cells(times)[0].tolist() == [4, 4, 4]  # Friday 01:30 each time: slot 3
    assert grid.cells(times)[1].tolist() == [3, 3, 3]


def test_add_at_sums_weights_per_cell_and_counts_one_each_without_weights() -> None:
    times = np.array([0.0, 30, 719, 720, 7 * 1440 + 5, 2 * 1440])
    summed = HALF_DAYS.add_at(times, np.array([1.0, 2, 3, 4, 5, 6]))
    # Mon am: 1 + 2 + 3 + 5 (the last one folded from the next Monday); Mon pm: 4; Wed am: 6
    assert np.array_equal(summed, only(HALF_DAYS, {(0, 0): 11, (0, 1): 4, (2, 0): 6}))
    assert np.array_equal(HALF_DAYS.add_at(times), only(HALF_DAYS, {(0, 0): 4, (0, 1): 1, (2, 0): 1}))


def test_labels_name_every_cell_in_flat_order_with_its_weekday_index_and_clock_time() -> None:
    days, slots, clocks = WeekGrid(360, 0).labels()
    assert days[:5] == ["mon", "mon", "mon", "mon", "tue"] and days[-1] == "sun" and len(days) == 28
    assert slots[:5] == [0, 1, 2, 3, 0]
    assert clocks[:5] == ["00:00", "06:00", "12:00", "18:00", "00:00"]


# -- staffing_for_delay --------------------------------------------------------------------------------------


def staffing_of(values: list[float], alpha: float) -> float:
    """staffing_for_delay of one cell (Monday morning) holding ``values``; every other cell has no samples."""
    samples = [np.sort(np.array(values, dtype=float))] + [np.array([])] * 13
    out = staffing_for_delay(samples, alpha, HALF_DAYS)
    assert not out.ravel()[1:].any()  # no samples: 0 agents
    return float(out[0, 0])


TEN = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
"""P(N >= s) for s = 0..5: 1, 0.8, 0.6, 0.4, 0.2, 0."""


@pytest.mark.parametrize(
    ("alpha", "agents"),
    [
        (0.2, 4),  # P(N >= 4) = 0.2 <= 0.2 exactly, P(N >= 3) = 0.4: 4
        (0.19, 5),  # just under the boundary: P(N >= 4) = 0.2 is too much, P(N >= 5) = 0: 5
        (0.4, 3),  # P(N >= 3) = 0.4 exactly
        (0.3, 4),  # between two boundaries: the stricter one holds
        (0.8, 1),  # P(N >= 1) = 0.8
        (1.0, 0),  # every s meets alpha 1, the fewest is 0
    ],
)
def test_staffing_is_the_fewest_agents_whose_tail_probability_is_at_most_alpha(alpha: float, agents: int) -> None:
    assert staffing_of(TEN, alpha) == agents


def test_a_cell_without_samples_or_with_nobody_in_system_needs_no_agents() -> None:
    assert staffing_of([], 0.1) == 0
    assert staffing_of([0, 0, 0, 0], 0.1) == 0


def test_shared_queues_give_fractional_samples_and_s_is_the_next_whole_agent_above_them() -> None:
    # samples 0.5, 1.5, 2.5, 3.5; alpha 0.25 allows one at or above s: s > 2.5, so 3 (P(N >= 3) = 1/4)
    assert staffing_of([0.5, 1.5, 2.5, 3.5], 0.25) == 3


def test_an_alpha_whose_share_of_samples_rounds_below_a_whole_count_still_counts_it() -> None:
    # 0.29 x 100 is 28.999999999999996 in floating point: 29 samples may lie at or above s
    values = [0] * 71 + [1] * 29
    assert staffing_of(values, 0.29) == 1


# -- demand_samples ------------------------------------------------------------------------------------------

# The default story: arrivals at 0, 1, 2, handle 10, one agent. Tickets in system (busy + queue):
# [0,1): 1, [1,2): 2, [2,10): 3, [10,20): 2, [20,30): 1, then 0. Samples at each minute + 0.5.
CELL_0 = [1] + [2] + [3] * 8 + [2] * 5  # 0.5 .. 14.5
CELL_1 = [2] * 5 + [1] * 10  # 15.5 .. 29.5


def test_demand_is_busy_agents_plus_queue_read_every_minute_and_sorted_per_cell() -> None:
    samples = demand_samples([simulate()], "desk", {"desk": 1.0}, QUARTERS)
    assert samples[0].tolist() == sorted(CELL_0)
    assert samples[1].tolist() == sorted(CELL_1)
    assert [len(s) for s in samples[2:8]] == [15, 15, 15, 15, 10, 0]  # the horizon (100) ends cell 6
    assert not np.concatenate(samples[2:]).any()


def test_a_pools_share_of_a_queue_weights_its_queue_and_replications_add_samples() -> None:
    run = simulate()
    samples = demand_samples([run, run], "desk", {"desk": 0.5}, QUARTERS)
    # cell 0: busy 1 + half the queue (0, 1, 2 x 8, 1 x 5), twice
    once = [1.0, 1.5] + [2.0] * 8 + [1.5] * 5
    assert samples[0].tolist() == sorted(once * 2)


def test_a_cell_passed_only_in_the_warm_up_is_read_there_and_a_measured_cell_ignores_its_warm_up_minutes() -> None:
    samples = demand_samples([simulate(warmup=20)], "desk", {"desk": 1.0}, QUARTERS)
    assert samples[0].tolist() == sorted(CELL_0)  # all of it warm-up: read from the warm-up
    assert samples[1].tolist() == [1.0] * 10  # 20.5 .. 29.5 only; the five 2s at 15.5 .. 19.5 are warm-up


# -- service_cells and judge ---------------------------------------------------------------------------------

# arrivals 0, 1, 2, 25, 80, 82, 85, 92; one agent, handle 10, horizon 99. Waits 0, 9, 18, 5, 0, 8;
# 85 still waits at 99 (14 > target 10: a decided miss); 92 waits 7 < 10 at the horizon: undecided.
STORY = {"horizon": 99, "channels": [phone([0, 1, 2, 25, 80, 82, 85, 92])]}


def test_service_cells_count_within_target_and_decided_tickets_by_arrival_cell() -> None:
    cells = service_cells([simulate(**STORY)], {"phone": 10}, QUARTERS)
    assert cells.within.shape == (1, 7, 96)
    # [0,15): 0, 1 hit, 2 miss; [15,30): 25 hit; [75,90): 80, 82 hit, 85 miss; [90,105): 92 undecided
    assert cells.within[0, 0, :7].tolist() == [2, 1, 0, 0, 0, 2, 0]
    assert cells.decided[0, 0, :7].tolist() == [3, 1, 0, 0, 0, 3, 0]
    assert cells.within.sum() == 5 and cells.decided.sum() == 7


def test_service_cells_leave_out_warm_up_arrivals_other_channels_and_other_first_teams() -> None:
    run = simulate(**STORY, warmup=20)
    cells = service_cells([run], {"phone": 10}, QUARTERS)
    assert cells.within[0, 0, :7].tolist() == [0, 1, 0, 0, 0, 2, 0]
    assert service_cells([run], {"chat": 10}, QUARTERS).decided.sum() == 0
    assert service_cells([run], {"phone": 10}, QUARTERS, first_teams=["desk"]).decided.sum() == 4
    assert service_cells([run], {"phone": 10}, QUARTERS, first_teams=["other"]).decided.sum() == 0


def test_service_cells_over_the_run_give_exactly_the_headline_service_level_of_each_channel() -> None:
    scenario = build(
        horizon=2 * 1440 + 60,
        warmup=60,
        channels=[
            {
                "name": "phone",
                "rate_per_hour": 20,
                "category_mix": MIX,
                "patience": fixed(4),
                "service_level": {"target": 0.5},
            },
            {"name": "chat", "rate_per_hour": 10, "category_mix": MIX, "service_level": {"target": 3}},
        ],
        categories=[{"name": "question", "handle_time": {"dist": "exponential", "mean": 5}}],
        teams=[{"name": "desk", "agents": 2}],
    )
    targets = {"phone": 0.5, "chat": 3.0}
    grid = WeekGrid(30, scenario.start_weekday)
    for replication in range(2):
        run = run_replication(scenario, replication)
        kpis = replication_kpis(run, scenario)
        for channel, target in targets.items():
            cells = service_cells([run], {channel: target}, grid)
            headline = kpis[f"service_level.{channel}"]
            assert 0 < headline < 1 and abs(cells.within.sum() / cells.decided.sum() - headline) <= 1e-12


def test_a_starting_backlog_is_left_out_of_the_service_cells_though_the_headline_counts_it_without_a_warm_up() -> None:
    # three tickets aged 5 wait 5, 15, 25 (arrival -5); 50 and 60 wait 0. Headline: 3 of 5 within 10 min.
    # The cells count the tickets that arrived in the planned week: no roster changes a starting backlog.
    backlog = [{"team": "desk", "category": "question", "count": 3, "age": fixed(5)}]
    scenario = build(horizon=200, channels=[phone([50, 60], service_level={"target": 10})], initial_backlog=backlog)
    run = run_replication(scenario)
    assert replication_kpis(run, scenario)["service_level.phone"] == 0.6
    cells = service_cells([run], {"phone": 10}, QUARTERS)
    assert (cells.within.sum(), cells.decided.sum()) == (2, 2)


# two replications; Mon am: 8/10 and 6/10 (mean 0.7), Mon pm: 9/10 and 10/10 (0.95),
# Tue am: 0/1 and nothing (0.5 decided a replication: below MIN_DECIDED, not judged), Wed am: 2/2 and 0/0.
TWO = cells_of(
    [
        {(0, 0): (8, 10), (0, 1): (9, 10), (1, 0): (0, 1), (2, 0): (2, 2)},
        {(0, 0): (6, 10), (0, 1): (10, 10)},
    ]
)


def test_per_interval_the_worst_judged_interval_misses_and_thin_intervals_are_not_judged() -> None:
    assert MIN_DECIDED == 1.0
    verdict = judge(TWO, 0.8, "interval", "mean")
    assert not verdict.met
    assert verdict.achieved == pytest.approx(0.7, abs=1e-12)  # Mon am, not Tue am's single 0/1
    assert np.array_equal(verdict.missed, only(HALF_DAYS, {(0, 0): 1}).astype(bool))
    # judged values: Mon am 0.8, 0.6; Mon pm 0.9, 1.0; Wed am 1.0 (decided 2 + 0: 1 a replication, judged)
    assert verdict.probability == pytest.approx(4 / 5, abs=1e-12)
    # its interval: sd of 0.8, 0.6 is 0.1 x sqrt(2); half-width t(1) 12.706 x 0.1414 / sqrt(2): clipped to [0, 1]
    assert (verdict.low, verdict.high) == (0.0, 1.0)
    assert judge(TWO, 0.7, "interval", "mean").met


def test_a_goal_met_by_the_mean_can_miss_by_the_lower_end_of_its_95_percent_interval() -> None:
    three = cells_of([{(0, 0): (8, 10)}, {(0, 0): (9, 10)}, {(0, 0): (10, 10)}])
    # mean 0.9, sd 0.1, half-width t(2; 0.975) x 0.1 / sqrt(3) = 4.302653 x 0.057735 = 0.248414
    verdict = judge(three, 0.8, "interval", "interval95")
    assert not verdict.met
    assert verdict.achieved == pytest.approx(0.9, abs=1e-12)
    assert verdict.low == pytest.approx(0.9 - 0.248414, abs=1e-6)
    assert verdict.high == 1.0  # 1.148 clipped
    assert judge(three, 0.8, "interval", "mean").met
    assert judge(three, 0.65, "interval", "interval95").met


def test_per_day_sums_a_days_cells_and_a_missed_day_marks_all_its_cells() -> None:
    # one replication; Mon 8/10 + 1/10 = 9/20 = 0.45; Tue 10/10
    day = cells_of([{(0, 0): (8, 10), (0, 1): (1, 10), (1, 0): (10, 10)}])
    verdict = judge(day, 0.5, "day", "mean")
    assert not verdict.met and verdict.achieved == pytest.approx(0.45, abs=1e-12)
    assert np.array_equal(verdict.missed, only(HALF_DAYS, {(0, 0): 1, (0, 1): 1}).astype(bool))
    assert verdict.probability == 0.5  # Mon misses, Tue meets
    assert judge(day, 0.45, "day", "mean").met


def test_per_week_sums_every_cell_of_a_replication() -> None:
    # replication 0: 8 + 9 + 0 + 2 = 19 of 23; replication 1: 16 of 20; mean (19/23 + 0.8) / 2
    verdict = judge(TWO, 0.8, "week", "mean")
    assert verdict.achieved == pytest.approx((19 / 23 + 0.8) / 2, abs=1e-12)
    assert verdict.met and verdict.probability == 1.0
    assert not judge(TWO, 0.82, "week", "mean").met
    assert judge(TWO, 0.82, "week", "mean").missed.all()


def test_at_most_flips_the_test_and_the_worst_period_is_the_highest() -> None:
    rates = cells_of([{(0, 0): (1, 10), (0, 1): (3, 10)}])  # 0.1 and 0.3 abandoned, at most 0.2
    verdict = judge(rates, 0.2, "interval", "mean", at_most=True)
    assert not verdict.met and verdict.achieved == pytest.approx(0.3, abs=1e-12)
    assert np.array_equal(verdict.missed, only(HALF_DAYS, {(0, 1): 1}).astype(bool))
    assert verdict.probability == 0.5
    assert judge(rates, 0.3, "interval", "mean", at_most=True).met


def test_a_goal_with_no_period_busy_enough_to_judge_is_met_with_nothing_achieved() -> None:
    thin = cells_of([{(0, 0): (0, 1)}, {}, {}])  # one decided ticket in three replications
    verdict = judge(thin, 0.8, "interval", "mean")
    assert verdict.met and math.isnan(verdict.achieved) and math.isnan(verdict.probability)
    assert not verdict.missed.any()


# -- ISA -----------------------------------------------------------------------------------------------------


def test_the_next_alpha_bisects_in_log_odds_halves_a_miss_and_climbs_toward_the_ceiling() -> None:
    # odds 1/9 and 3/7: the midpoint's odds are their geometric mean sqrt(1/21)
    odds = math.sqrt(1 / 21)
    assert _next_alpha(0.1, 0.3) == pytest.approx(odds / (1 + odds), abs=1e-12)
    assert _next_alpha(None, 0.2) == 0.1
    assert ALPHA_CEILING == 0.5
    assert _next_alpha(0.1, None) == pytest.approx(0.25, abs=1e-12)  # odds sqrt(1/9 x 1) = 1/3
    assert _mid(0.3, 0.3) == pytest.approx(0.3, abs=1e-12)
    with pytest.raises(ValueError, match="tried"):
        _next_alpha(None, None)


DESK = PoolTarget("desk", {"desk": 1.0}, alpha=0.2)


def scripted(monkeypatch: pytest.MonkeyPatch, *staffings: np.ndarray) -> tuple:
    """An ``evaluate`` that records the curves it simulates, with ISA's staffing step replaced by ``staffings``."""
    script = list(staffings)
    monkeypatch.setattr(isa, "demand_samples", lambda runs, pool, shares, grid: [])
    monkeypatch.setattr(isa, "staffing_for_delay", lambda samples, alpha, grid: script.pop(0))
    seen: list[np.ndarray] = []

    def evaluate(curves: dict) -> list:
        seen.append(curves["desk"].copy())
        return [f"runs {len(seen)}"]

    return evaluate, seen, script


def run_isa(evaluate, start: np.ndarray, grid: WeekGrid = HALF_DAYS, target: PoolTarget = DESK) -> tuple:
    curves, runs, used = isa.iterate(evaluate, {"desk": start}, [target], {"desk": 0.2}, grid, lambda step: None)
    return curves["desk"], runs, used


def test_iterate_stops_at_once_when_an_iteration_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    start = np.full(HALF_DAYS.shape, 3.0)
    evaluate, seen, _ = scripted(monkeypatch, start.copy())
    curve, runs, used = run_isa(evaluate, start)
    assert np.array_equal(curve, start) and runs == ["runs 1"] and used == 1 and len(seen) == 1


def test_the_first_iteration_of_an_alpha_returns_its_new_staffing_not_the_higher_of_it_and_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    start = np.full(HALF_DAYS.shape, 3.0)
    evaluate, seen, _ = scripted(monkeypatch, np.full(HALF_DAYS.shape, 2.0))  # moves every cell by 1 = SETTLED
    curve, runs, used = run_isa(evaluate, start)
    assert (curve == 2).all()  # the start (3) was the previous alpha's staffing, not a candidate
    assert runs == ["runs 2"] and used == 2 and (seen[1] == 2).all()  # the result is simulated


def test_a_settled_iteration_keeps_the_element_wise_higher_of_the_alphas_last_two_staffings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = np.full(HALF_DAYS.shape, 5.0)
    a[0, 0] = 4
    b = np.full(HALF_DAYS.shape, 4.0)
    b[0, 0] = 5
    evaluate, seen, _ = scripted(monkeypatch, a, b)  # 0 -> a moves by 5; a -> b moves no cell by more than 1
    curve, runs, used = run_isa(evaluate, np.zeros(HALF_DAYS.shape))
    assert SETTLED == 1
    assert (curve == 5).all() and used == 3 and runs == ["runs 3"]
    assert [s.max() for s in seen] == [0, 5, 5]


@pytest.mark.parametrize(("strays", "move", "settles"), [(6, 2, True), (7, 2, False), (1, 3, False)])
def test_a_few_intervals_straying_by_two_agents_still_settle(
    monkeypatch: pytest.MonkeyPatch, strays: int, move: int, settles: bool
) -> None:
    grid = WeekGrid(30, 0)  # 336 staffed cells: 6 / 336 = 0.0179 <= STRAYS = 0.02 < 7 / 336 = 0.0208
    assert STRAYS == 0.02
    a = np.full(grid.shape, 10.0)
    b = a.copy()
    b.ravel()[:strays] = 10 + move  # a move of three agents is never noise, however few make it
    evaluate, _, script = scripted(monkeypatch, a, b, b.copy())
    curve, _, _ = run_isa(evaluate, np.zeros(grid.shape), grid)
    assert np.array_equal(curve, b)  # settled: max(a, b) = b; not settled: the next iteration repeats b
    assert len(script) == (1 if settles else 0)  # a third iteration only when not settled


def test_iterate_keeps_each_staffing_within_the_pools_minimum_and_maximum(monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = only(HALF_DAYS, {(0, 0): 9, (0, 1): 3})
    evaluate, _, _ = scripted(monkeypatch, wanted, wanted.copy())
    bounded = PoolTarget("desk", {"desk": 1.0}, alpha=0.2, low=2, high=4)
    curve, _, _ = run_isa(evaluate, np.zeros(HALF_DAYS.shape), target=bounded)
    assert np.array_equal(curve, np.clip(wanted, 2, 4))  # 9 -> 4, 3 stays, 0 -> 2


def fake_search(monkeypatch: pytest.MonkeyPatch, totals: list[float], met: list[bool]) -> tuple:
    """search with ISA replaced: the i-th ISA run gives ``totals[i]`` agents in Mon am and meets iff ``met[i]``."""
    alphas: list[float] = []

    def iterate(evaluate, start, targets, alpha, grid, log, search=0):
        alphas.append(alpha["desk"])
        i = len(alphas) - 1
        return {"desk": only(HALF_DAYS, {(0, 0): totals[i]})}, [i], i + 1

    monkeypatch.setattr(isa, "iterate", iterate)
    monkeypatch.setattr(PoolTarget, "meets", lambda self, runs, grid: met[runs[0]])
    target = PoolTarget("desk", {"desk": 1.0}, alpha=0.2, targets={"phone": 0.5}, goal=0.8)
    return isa.search(lambda curves: [], {"desk": HALF_DAYS.zeros()}, [target], HALF_DAYS, lambda step: None), alphas


def test_search_returns_the_cheapest_staffing_that_met_the_goal_not_the_last_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tries = SEARCH_STEPS + 1  # the start, then one ISA per bisection step
    totals = [30.0, 20, 10] + [15.0 + k for k in range(tries - 3)]
    result, alphas = fake_search(monkeypatch, totals, [False] + [True] * (tries - 1))
    assert len(alphas) == tries
    assert alphas[1] == 0.1  # 0.2 missed: halved; then 0.1 met: between 0.1 and 0.2
    assert alphas[2] == pytest.approx(_mid(0.1, 0.2), abs=1e-15)
    assert result.curves["desk"][0, 0] == 10 and result.runs == [2] and result.alphas == {"desk": alphas[2]}
    assert result.evaluations == sum(range(1, tries + 1))  # every ISA's evaluations, not just the best's


def test_search_with_no_staffing_meeting_the_goal_returns_the_last_one_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    tries = SEARCH_STEPS + 1
    result, alphas = fake_search(monkeypatch, [float(k) for k in range(tries)], [False] * tries)
    assert result.curves["desk"][0, 0] == tries - 1 and result.alphas == {"desk": alphas[-1]}
    assert alphas[1:4] == [0.1, 0.05, 0.025]  # every miss halves alpha


# -- pools ---------------------------------------------------------------------------------------------------

MON_DAY = {"days": ["mon"], "start": "09:00", "end": "17:00", "agents": 2}
TUE_EARLY = {"days": ["tue"], "start": "06:00", "end": "14:00", "agents": 3}


def network(**fields: object):
    """front (its own agents), help (no agents: served by the groups, g1 first), and the groups g2 and g1."""
    chat = {"name": "chat", "arrival_times": [61, 62, 63], "category_mix": MIX}
    doc: dict = {
        "channels": [phone([0, 1, 2], patience=fixed(15)), chat],
        "teams": [{"name": "front", "shifts": [MON_DAY], "shrinkage": {"absenteeism": 0.1}}, {"name": "help"}],
        "agent_groups": [
            {"name": "g2", "agents": 1, "serves": [{"team": "help", "priority": 2}]},
            {"name": "g1", "agents": 1, "serves": [{"team": "help", "priority": 1}]},
        ],
        "routing": [{"channel": "phone", "team": "front"}, {"channel": "chat", "team": "help"}],
    }
    return build(**{**doc, **fields})


def test_each_team_counts_toward_itself_or_the_group_that_serves_its_queue_first() -> None:
    scenario = network()
    assert primary_pools(scenario) == {"front": "front", "help": "g1"}  # g1 serves help at priority 1
    assert [pool.name for pool in staffed_pools(scenario)] == ["front", "g2", "g1"]


def test_with_rosters_puts_a_pool_on_the_given_shifts_for_the_warm_up_plus_the_days_at_the_interval() -> None:
    scenario = with_rosters(network(warmup=60), {"front": [TUE_EARLY], "g2": [MON_DAY]}, days=7, interval=30)
    front, g2 = scenario.teams[0], scenario.agent_groups[0]
    assert [s.model_dump(mode="json") for s in front.shifts] == [TUE_EARLY]
    assert front.agents is None and front.shrinkage is not None  # net=False keeps the shrinkage
    assert g2.agents is None and [s.agents for s in g2.shifts] == [2]
    assert scenario.agent_groups[1].agents == 1  # a pool not named keeps its staffing
    assert scenario.horizon == 60 + 7 * 1440 and scenario.reporting.minutes == 30


def test_with_rosters_net_drops_shrinkage_and_an_empty_shift_list_leaves_a_served_team_with_no_agents() -> None:
    scenario = with_rosters(network(), {"help": []}, days=1, interval=60, net=True)
    assert scenario.teams[1].agents == 0 and scenario.teams[1].shifts is None  # the groups serve its queue
    assert scenario.teams[0].shrinkage is None  # front is not re-rostered, but net drops every pool's shrinkage


@pytest.mark.parametrize(("pool", "kind"), [("g1", "agent group"), ("front", "team")])
def test_with_rosters_refuses_to_leave_a_pool_nobody_else_serves_with_nobody_and_names_it(pool: str, kind: str) -> None:
    with pytest.raises(ValueError, match=f"{kind} '{pool}' would have nobody rostered all week"):
        with_rosters(network(), {pool: []}, days=1, interval=60)


# -- verify --------------------------------------------------------------------------------------------------

# network() for 120 minutes with one agent at front around the clock; grid cells are hours. Phone (front,
# patience 15): 0 waits 0, 1 waits 9, 2 would wait 18 and abandons at 17. Chat (help): g1 takes 61, g2 takes
# 62, and 63 waits for g1 until 71 (8 min). With a 5-minute target: phone 1 of 3 (Mon 00:00), chat 2 of 3 (01:00).
HOURS = WeekGrid(60, 0)
FRONT_ONLY = {"horizon": 120, "teams": [{"name": "front", "agents": 1}, {"name": "help"}]}


def goal(kind: str, subject: str, value: float, target: float = math.nan, **extra: object) -> Goal:
    return Goal(f"{kind} {subject}", kind, subject, str(extra.pop("per", "week")), value, "mean", target, **extra)


def test_abandonment_rate_is_abandoned_over_arrived_after_the_warm_up_of_the_channels_together() -> None:
    run = run_replication(network(**FRONT_ONLY))
    assert abandonment_rate(run, ["phone"]) == pytest.approx(1 / 3, abs=1e-12)
    assert abandonment_rate(run, ["chat"]) == 0.0
    assert abandonment_rate(run, ["phone", "chat"]) == pytest.approx(1 / 6, abs=1e-12)
    late = run_replication(network(**FRONT_ONLY, warmup=1))  # only 1 and 2 count; 2 abandons
    assert abandonment_rate(late, ["phone"]) == 0.5
    assert math.isnan(abandonment_rate(run_replication(network(**FRONT_ONLY, warmup=100)), ["phone"]))


def test_verdicts_judge_service_level_abandonment_and_sla_goals_on_the_replications() -> None:
    scenario = network(**FRONT_ONLY)
    runs = [run_replication(scenario)]
    kpis = pd.DataFrame({"resolution_attainment.P1": [0.9]})
    goals = [
        goal("service_level", "phone", 0.3, 5, per="interval"),  # 1/3 in Mon 00:00: met
        goal("service_level", "chat", 0.8, 5, per="interval"),  # 2/3 in Mon 01:00: missed
        goal("abandonment", "phone", 0.3),  # 1/3 abandon: missed
        goal("abandonment", "", 0.3),  # the live channels: phone alone (chat has no patience), 1/3: missed
        goal("sla", "P1", 0.85, clock="resolution"),  # 0.9 from the KPI table: met
    ]
    judged = verdicts(goals, runs, kpis, HOURS, live_channels(scenario))
    assert [v.judgement.met for v in judged] == [True, False, False, False, True]
    assert [v.judgement.achieved for v in judged] == pytest.approx([1 / 3, 2 / 3, 1 / 3, 1 / 3, 0.9], abs=1e-12)
    assert judged[1].cells is not None and judged[1].cells.decided.sum() == 3 and judged[2].cells is None
    assert np.array_equal(judged[1].judgement.missed, only(HOURS, {(0, 1): 1}).astype(bool))


def test_shortfall_adds_an_agent_where_a_goal_missed_in_the_pool_that_answered_its_late_tickets_first() -> None:
    scenario = network(**FRONT_ONLY)
    runs = [run_replication(scenario)]
    missed = verdicts(
        [goal("service_level", "phone", 0.5, 5, per="interval"), goal("service_level", "chat", 0.8, 5, per="interval")],
        runs,
        pd.DataFrame(),
        HOURS,
        live_channels(scenario),
    )
    assert [v.judgement.met for v in missed] == [False, False]
    extra = shortfall(missed, runs, primary_pools(scenario), HOURS)
    # phone's late tickets (1 and 2) waited at front; chat's (63) at help, whose primary pool is g1
    assert set(extra) == {"front", "g1"}
    assert np.array_equal(extra["front"], only(HOURS, {(0, 0): 1}))
    assert np.array_equal(extra["g1"], only(HOURS, {(0, 1): 1}))


# --- the final cuts --------------------------------------------------------------------------


def priced(curve: np.ndarray) -> SimpleNamespace:
    """A schedule stand-in whose cost is its agents."""
    return SimpleNamespace(cost=float(curve.sum()))


def test_the_uniform_cut_doubles_then_bisects_to_the_largest_cut_that_meets_every_goal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ten agents; a cut of up to three still meets every goal: try 1, 2 (met), 4 (missed), then 3 (met)
    tried: list[int] = []

    def judged(run, required, name, round_, stage=""):
        k = int(10 - required["desk"][0])
        tried.append(k)
        return SimpleNamespace(met=k <= 3, schedules={"desk": priced(required["desk"])}), []

    monkeypatch.setattr(optimiser, "_cut", lambda run, pool, curve, k: curve - k)
    monkeypatch.setattr(optimiser, "_schedule", lambda run, pool, curve: priced(curve))
    monkeypatch.setattr(optimiser, "_judged", judged)
    roster = SimpleNamespace(met=True, schedules={"desk": priced(np.array([10.0]))})
    run = SimpleNamespace(say=lambda _: None)
    _, required, rounds = optimiser._trimmed(run, roster, {"desk": np.array([10.0])}, 0, ["desk"])
    assert tried == [1, 2, 4, 3]
    assert required["desk"].tolist() == [7.0] and rounds == 4


def test_the_interval_cut_keeps_the_intervals_where_a_cut_misses_and_goes_on_cutting_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Monday am needs all its 5 agents, Monday pm only 3 of its 5: round 1 cuts both and misses in the
    # morning (marked tight); rounds 2 and 3 cut the afternoon to 3 (met); round 4's cut to 2 misses
    grid = WeekGrid(720, 0)
    need = only(grid, {(0, 0): 5, (0, 1): 3})
    start = only(grid, {(0, 0): 5, (0, 1): 5})
    trials: list[list[float]] = []

    def judged(run, required, name, round_, stage=""):
        curve = required["desk"]
        trials.append(curve[0].tolist())
        met = bool((curve >= need).all())
        verdict = SimpleNamespace(judgement=SimpleNamespace(met=met))
        return SimpleNamespace(met=met, verdicts=[verdict], schedules={"desk": priced(curve)}), curve

    monkeypatch.setattr(optimiser, "_cut", lambda run, pool, curve, k: np.where(curve > 0, curve - k, 0))
    monkeypatch.setattr(optimiser, "_schedule", lambda run, pool, curve: priced(curve))
    monkeypatch.setattr(optimiser, "_judged", judged)
    monkeypatch.setattr(optimiser, "primary_pools", lambda scenario: {})
    monkeypatch.setattr(optimiser, "shortfall", lambda missed, runs, primary, grid: {"desk": (runs < need) * 1.0})
    roster = SimpleNamespace(met=True, schedules={"desk": priced(start)})
    run = SimpleNamespace(say=lambda _: None, scenario=None, grid=grid)
    _, required, rounds = optimiser._polished(run, roster, {"desk": start}, 0, ["desk"])
    assert trials == [[4.0, 4.0], [5.0, 4.0], [5.0, 3.0], [5.0, 2.0]]
    assert required["desk"][0].tolist() == [5.0, 3.0] and rounds == 4
