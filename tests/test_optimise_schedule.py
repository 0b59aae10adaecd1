"""Shift scheduling (issue 14, step 4): the integer programme that covers a per-interval requirement at least cost."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import build, simulate
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.analysis.staffing import weekly_agent_hours
from sim.core.calendar import parse_clock
from sim.optimiser.schedule import PoolSchedule, ShiftTemplate, coverage_matrix, curve_shifts, schedule

HOURLY = tuple(float(m) for m in range(0, 1440, 60))
WEEK = 7 * 1440


def on_duty(specs: list[dict], interval: float) -> np.ndarray:
    """(7, K) agents on duty per slot from ShiftSpec dicts, read as the engine reads them (end <= start: overnight)."""
    per_day = int(1440 // interval)
    counts = np.zeros(7 * per_day, dtype=int)
    for spec in specs:
        start, end = parse_clock(spec["start"]), parse_clock(spec["end"])
        length = end - start if end > start else 1440 - start + end
        for day in spec["days"]:
            first = int((["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(day) * 1440 + start) // interval)
            counts[(first + np.arange(int(length // interval))) % counts.size] += spec["agents"]
    return counts.reshape(7, per_day)


def staffed_at_midpoints(specs: list[dict], interval: float) -> np.ndarray:
    """(7, K) the engine's 'staffed' level at each slot's midpoint over one simulated week."""
    records = simulate(horizon=WEEK, teams=[{"name": "desk", "shifts": specs}])
    levels = records.levels
    staffed = levels[(levels["team"] == "desk") & (levels["metric"] == "staffed")].sort_values("time", kind="stable")
    times, values = staffed["time"].to_numpy(), staffed["value"].to_numpy()
    midpoints = np.arange(int(WEEK // interval)) * interval + interval / 2
    index = np.searchsorted(times, midpoints, side="right") - 1
    return np.where(index >= 0, values[np.maximum(index, 0)], 0).reshape(7, -1)


def monday_only(requirement: dict[int, float], interval: float = 60) -> np.ndarray:
    """A (7, K) requirement that is zero except the given Monday slots."""
    needed = np.zeros((7, int(1440 // interval)))
    for slot, agents in requirement.items():
        needed[0, slot] = agents
    return needed


# -- the optimum ---------------------------------------------------------------------------------------------


def test_a_constant_requirement_is_covered_exactly_by_eight_hour_shifts_at_the_least_possible_hours() -> None:
    templates = [ShiftTemplate(f"day{d}", HOURLY, (480.0,), (d,)) for d in range(7)]
    result = schedule(np.full((7, 24), 3.0), 60, templates)
    assert result.optimal
    assert (result.coverage == 3).all()
    assert not result.shortfall.any()
    assert result.paid_hours == 3 * 168
    assert result.cost == 3 * 168  # no price: the cost is the paid hours
    priced = schedule(np.full((7, 24), 3.0), 60, templates, cost_per_hour=20.0)
    assert priced.cost == 20.0 * 3 * 168
    assert priced.paid_hours == 3 * 168


@pytest.mark.parametrize("peak", [(2, 3, 2, 1), (1, 0, 0, 3), (3, 3, 3, 3), (0, 2, 1, 0), (1, 3, 1, 3)])
def test_the_milp_optimum_equals_a_brute_force_search_over_every_roster(peak: tuple[int, ...]) -> None:
    # Monday 08:00-12:00; a 2 h shift at 08:00, a 3 h one at 09:00 and a 4 h one at 08:00.
    templates = [
        ShiftTemplate("early", (480.0,), (120.0, 240.0), (0,)),
        ShiftTemplate("late", (540.0,), (180.0,), (0,)),
    ]
    needed = monday_only({8 + i: agents for i, agents in enumerate(peak)})
    matrix, variables = coverage_matrix(templates, 60)
    assert [(t.name, start, length) for t, start, length in variables] == [
        ("early", 480.0, 120.0),
        ("early", 480.0, 240.0),
        ("late", 540.0, 180.0),
    ]
    hours = np.array([2.0, 4.0, 3.0])
    best = min(
        float(hours @ x)
        for x in itertools.product(range(4), repeat=3)
        if (matrix @ np.array(x) >= needed.reshape(-1)).all()
    )
    result = schedule(needed, 60, templates, cost_per_hour=15.0)
    assert result.paid_hours == best
    assert result.cost == 15.0 * best
    assert not result.shortfall.any()
    assert (result.coverage >= needed).all()


def test_a_break_is_neither_on_duty_nor_paid_and_its_shift_is_written_as_two_pieces() -> None:
    template = ShiftTemplate("split", (480.0,), (540.0,), (0,), break_after=240.0, break_length=60.0)
    needed = np.zeros((7, 48))
    needed[0, 16:24] = 1  # 08:00-12:00
    needed[0, 26:34] = 1  # 13:00-17:00
    result = schedule(needed, 30, [template])
    assert (result.coverage == needed).all()  # 12:00-13:00 is the break
    assert result.paid_hours == 8.0
    (shift,) = result.shifts
    assert shift.pieces() == [
        {"days": ["mon"], "start": "08:00", "end": "12:00", "agents": 1},
        {"days": ["mon"], "start": "13:00", "end": "17:00", "agents": 1},
    ]


def test_an_overnight_shift_wraps_into_the_next_day_and_sundays_night_covers_monday_morning() -> None:
    night = ShiftTemplate("night", (1320.0,), (480.0,), (6,))  # Sunday 22:00 to Monday 06:00
    needed = np.zeros((7, 24))
    needed[6, 22:] = 2
    needed[0, :6] = 2
    result = schedule(needed, 60, [night])
    assert (result.coverage == needed).all()
    assert result.paid_hours == 16.0
    assert result.shift_specs() == [{"days": ["sun"], "start": "22:00", "end": "06:00", "agents": 2}]


def test_a_break_after_midnight_starts_its_second_piece_on_the_next_weekday() -> None:
    night = ShiftTemplate("night", (1320.0,), (540.0,), (4, 6), break_after=180.0, break_length=60.0)
    needed = np.zeros((7, 24))
    for day in (4, 6):
        needed[day, 22:] = 1
        needed[(day + 1) % 7, 0] = 1
        needed[(day + 1) % 7, 2:7] = 1
    result = schedule(needed, 60, [night])
    assert (result.coverage == needed).all()
    (shift,) = result.shifts
    assert shift.pieces() == [
        {"days": ["fri", "sun"], "start": "22:00", "end": "01:00", "agents": 1},
        {"days": ["mon", "sat"], "start": "02:00", "end": "07:00", "agents": 1},
    ]


def test_a_requirement_the_templates_cannot_reach_is_a_shortfall_there_and_the_rest_is_covered() -> None:
    # 8-hour shifts that end by midnight, Monday to Friday: nothing reaches the weekend.
    weekdays = ShiftTemplate("weekdays", HOURLY[:17], (480.0,), (0, 1, 2, 3, 4))
    result = schedule(np.ones((7, 24)), 60, [weekdays])
    assert (result.shortfall[5:] == 1).all()  # Saturday and Sunday
    assert not result.shortfall[:5].any()
    assert (result.coverage[:5] == 1).all()
    assert (result.coverage[5:] == 0).all()
    assert result.paid_hours == 3 * 8 * 5  # three shifts a day cover the weekdays; the shortfall costs no hours


def test_max_agents_caps_the_agents_on_duty_and_the_rest_is_shortfall() -> None:
    templates = [ShiftTemplate("mon", HOURLY, (240.0,), (0,))]
    needed = monday_only({9: 2, 10: 5, 11: 2})
    result = schedule(needed, 60, templates, max_agents=3)
    assert result.coverage.max() == 3
    assert result.coverage[0, 10] == 3
    assert result.shortfall[0, 10] == 2
    assert result.shortfall.sum() == 2


def test_a_fractional_requirement_is_rounded_up_to_whole_agents_within_a_tolerance() -> None:
    templates = [ShiftTemplate("mon", HOURLY, (60.0,), (0,))]
    result = schedule(monday_only({9: 2.3, 10: 2 + 1e-12, 11: 0.0}), 60, templates)
    assert result.requirement[0, 9:12].tolist() == [3, 2, 0]
    assert result.coverage[0, 9:12].tolist() == [3, 2, 0]


def test_the_same_input_gives_the_same_roster() -> None:
    templates = [
        ShiftTemplate("a", HOURLY, (480.0, 600.0), (0, 1, 2, 3, 4), break_after=240.0, break_length=60.0),
        ShiftTemplate("b", HOURLY, (480.0,), (5, 6)),
    ]
    rng = np.random.default_rng(7)
    needed = rng.integers(0, 4, size=(7, 24)).astype(float)
    first, second = (schedule(needed, 60, templates, cost_per_hour=10.0) for _ in range(2))
    assert first.shifts == second.shifts
    assert first.shift_specs() == second.shift_specs()
    assert isinstance(first, PoolSchedule)


def test_a_scheduled_roster_simulated_by_the_engine_has_the_coverage_the_schedule_says() -> None:
    templates = [
        ShiftTemplate("day", (420.0, 540.0), (480.0, 540.0), (0, 1, 2, 3, 4), break_after=240.0, break_length=60.0),
        ShiftTemplate("night", (1320.0,), (480.0, 600.0), (4, 5, 6), break_after=180.0, break_length=60.0),
        ShiftTemplate("long", (0.0, 720.0), (720.0,), (5, 6)),
    ]
    needed = np.zeros((7, 24))
    needed[:5, 8:18] = [1, 2, 3, 3, 2, 2, 3, 3, 2, 1]
    needed[5:, 2:20] = 1
    result = schedule(needed, 60, templates, cost_per_hour=30.0)
    assert (staffed_at_midpoints(result.shift_specs(), 60) == result.coverage).all()
    team = build(teams=[{"name": "desk", "shifts": result.shift_specs(), "cost_per_hour": 30.0}]).teams[0]
    assert weekly_agent_hours(team) == result.paid_hours  # the project's cost reads the roster as the schedule does
    assert (on_duty(result.shift_specs(), 60) == result.coverage).all()


# -- a staffing curve as shifts ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    interval=st.sampled_from([240.0, 360.0]),
    data=st.data(),
)
def test_curve_shifts_put_exactly_the_curve_on_duty_in_every_slot(interval: float, data: st.DataObject) -> None:
    curve = data.draw(arrays(np.int64, (7, int(1440 // interval)), elements=st.integers(0, 3)))
    specs = curve_shifts(curve, interval)
    assert (on_duty(specs, interval) == curve).all()
    assert all(spec["agents"] >= 1 and spec["days"] for spec in specs)


def test_curve_shifts_use_one_shift_per_level_and_run_and_24_hour_shifts_for_a_level_held_all_week() -> None:
    curve = np.ones((7, 4), dtype=int)
    curve[2, 1:3] = 2  # Wednesday 06:00-18:00: one more agent
    assert curve_shifts(curve, 360) == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00", "agents": 1},
        {"days": ["wed"], "start": "06:00", "end": "18:00", "agents": 1},
    ]


def test_curve_shifts_run_sunday_night_on_into_monday_and_cut_runs_longer_than_a_day() -> None:
    curve = np.zeros((7, 4), dtype=int)
    curve[6, 3] = 1  # Sunday 18:00-24:00 ...
    curve[0, :] = 1  # ... all Monday ...
    curve[1, 0] = 1  # ... to Tuesday 06:00: 36 hours
    assert curve_shifts(curve, 360) == [
        {"days": ["mon"], "start": "18:00", "end": "06:00", "agents": 1},  # the last 12 hours
        {"days": ["sun"], "start": "18:00", "end": "18:00", "agents": 1},  # the first 24 hours
    ]


def test_the_engine_puts_the_curve_shifts_on_duty_overnight_and_24_hour_pieces_included() -> None:
    curve = np.array(
        [
            [1, 2, 2, 1],  # Monday: one agent around the clock, a second 06:00-18:00
            [1, 1, 3, 2],
            [2, 2, 2, 2],
            [2, 2, 2, 2],  # a level held 48 hours: a 24-hour piece that ends at its start
            [1, 0, 0, 1],  # runs ending at midnight and running overnight
            [1, 1, 0, 0],
            [0, 1, 1, 1],  # Sunday night continues into Monday
        ]
    )
    specs = curve_shifts(curve, 360)
    assert any(spec["end"] == "24:00" for spec in specs)
    assert any(spec["end"] == spec["start"] for spec in specs)
    assert any(parse_clock(spec["end"]) < parse_clock(spec["start"]) for spec in specs)
    assert (staffed_at_midpoints(specs, 360) == curve).all()


# -- bad input -----------------------------------------------------------------------------------------------

GOOD = ShiftTemplate("day", (480.0,), (480.0,), (0,))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: schedule(np.zeros((7, 28)), 50, [GOOD]), "must divide the day"),
        (lambda: schedule(np.zeros((7, 24)), 0, [GOOD]), "positive number of minutes"),
        (lambda: schedule(np.zeros((7, 24)), 60, []), "at least one shift template"),
        (lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (490.0,), (480.0,), (0,))]), "start 490"),
        (lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (450.0,), (0,))]), "length 450"),
        (lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (1500.0,), (0,))]), "length 1500"),
        (lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (1440.0,), (480.0,), (0,))]), "start 1440"),
        (lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (7,))]), "distinct weekdays"),
        (
            lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (0,), 240.0, 30.0)]),
            "break_length 30",
        ),
        (
            lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (0,), 90.0, 60.0)]),
            "break_after 90",
        ),
        (
            lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (0,), 420.0, 60.0)]),
            "must lie inside",
        ),
        (
            lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (0,), 0.0, 60.0)]),
            "must lie inside",
        ),
        (
            lambda: schedule(np.zeros((7, 24)), 60, [ShiftTemplate("t", (480.0,), (480.0,), (0,), None, 60.0)]),
            "needs break_after",
        ),
        (lambda: schedule(-np.ones((7, 24)), 60, [GOOD]), "must not be negative"),
        (lambda: schedule(np.zeros((7, 48)), 60, [GOOD]), r"shape \(7, 24\)"),
        (lambda: schedule(np.zeros(168), 60, [GOOD]), r"shape \(7, 24\)"),
        (lambda: schedule(np.full((7, 24), np.nan), 60, [GOOD]), "finite"),
        (lambda: schedule(np.zeros((7, 24)), 60, [GOOD], cost_per_hour=-1.0), "cost_per_hour"),
        (lambda: schedule(np.zeros((7, 24)), 60, [GOOD], max_agents=-1), "max_agents"),
        (lambda: curve_shifts(np.zeros((7, 5)), 360), r"shape \(7, 4\)"),
        (lambda: curve_shifts(np.full((7, 4), 1.5), 360), "whole numbers"),
        (lambda: curve_shifts(-np.ones((7, 4)), 360), "whole numbers"),
    ],
)
def test_bad_input_is_refused_with_a_clear_sentence(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
