"""Tests for business calendars, shift expansion and clock parsing."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.core.calendar import BusinessCalendar, hour_of_week, parse_clock, shift_instances
from sim.core.units import MINUTES_PER_DAY

DAY = MINUTES_PER_DAY
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
WEEKDAYS = range(MON, SAT)


def at(day: int, clock: str) -> float:
    """Wall time of ``clock`` on day index ``day``."""
    return day * DAY + parse_clock(clock)


def office(holidays=(), start_weekday=MON) -> BusinessCalendar:
    """Monday-Friday 09:00-17:00."""
    return BusinessCalendar("office", WEEKDAYS, [(540, 1020)], holidays, start_weekday)


def lunch_office(holidays=(), start_weekday=MON) -> BusinessCalendar:
    """Monday-Friday 08:00-12:00 and 13:00-18:00."""
    return BusinessCalendar("lunch", WEEKDAYS, [(480, 720), (780, 1080)], holidays, start_weekday)


# --- add / between: hand-worked cases (day 0 is a Monday unless stated) ---


def test_resolution_clock_runs_within_one_day():
    assert office().add(at(MON, "10:00"), 90) == at(MON, "11:30")
    assert office().between(at(MON, "10:00"), at(MON, "11:30")) == 90


def test_resolution_clock_pauses_over_lunch():
    assert lunch_office().add(at(MON, "11:00"), 120) == at(MON, "14:00")
    assert lunch_office().between(at(MON, "11:00"), at(MON, "14:00")) == 120


def test_resolution_clock_pauses_overnight():
    assert office().add(at(MON, "16:00"), 120) == at(TUE, "10:00")
    assert office().between(at(MON, "16:00"), at(TUE, "10:00")) == 120


def test_resolution_clock_skips_the_weekend():
    assert office().add(at(FRI, "16:00"), 120) == at(7, "10:00")
    assert office().between(at(FRI, "16:00"), at(7, "10:00")) == 120


def test_resolution_clock_skips_a_thursday_holiday():
    calendar = office(holidays=[THU])
    assert calendar.add(at(WED, "16:00"), 120) == at(FRI, "10:00")
    assert calendar.between(at(WED, "16:00"), at(FRI, "10:00")) == 120
    assert not calendar.is_open(at(THU, "12:00"))


def test_resolution_clock_skips_a_long_weekend():
    calendar = office(holidays=[FRI, 7])  # Friday and the following Monday
    assert calendar.add(at(THU, "16:00"), 120) == at(8, "10:00")
    assert calendar.between(at(THU, "16:00"), at(8, "10:00")) == 120


def test_start_weekday_shifts_which_day_indices_are_weekends():
    calendar = office(start_weekday=WED)  # day 2 is Friday, days 3-4 the weekend
    assert not calendar.is_open(at(3, "12:00"))
    assert calendar.add(at(2, "16:00"), 120) == at(5, "10:00")


def test_ticket_arriving_while_closed_starts_the_clock_at_next_opening():
    calendar = office()
    assert calendar.add(at(TUE, "07:00"), 30) == at(TUE, "09:30")
    assert calendar.add(at(SAT, "03:00"), 30) == at(7, "09:30")
    assert calendar.add(at(MON, "17:00"), 30) == at(TUE, "09:30")
    assert calendar.between(at(SAT, "03:00"), at(7, "09:00")) == 0


def test_completing_exactly_at_closing_returns_closing_time_not_next_opening():
    assert office().add(at(MON, "16:00"), 60) == at(MON, "17:00")
    assert lunch_office().add(at(MON, "11:00"), 60) == at(MON, "12:00")


def test_long_duration_lands_on_the_right_business_minute():
    business_minutes = 1_000_000  # 2083 business days and 160 minutes
    due = office().add(0.0, business_minutes)
    assert due == at(416 * 7 + THU, "11:40")
    assert office().between(0.0, due) == business_minutes


def test_long_duration_still_counts_a_holiday_before_the_weekly_pattern_resumes():
    assert office(holidays=[THU]).add(0.0, 1_000_000) == at(416 * 7 + FRI, "11:40")


def test_always_open_calendar_uses_wall_time():
    calendar = BusinessCalendar.always_open()
    assert calendar.is_24x7
    assert calendar.name == "24x7"
    assert calendar.add(123.5, 10_000) == 10_123.5
    assert calendar.between(10.0, 70.0) == 60.0
    assert calendar.next_open(at(SAT, "03:00")) == at(SAT, "03:00")


def test_every_day_all_day_with_a_holiday_is_not_24x7():
    calendar = BusinessCalendar("nearly", range(7), [(0, 1440)], holidays=[1])
    assert not calendar.is_24x7
    assert not office().is_24x7
    assert calendar.add(at(MON, "23:00"), 120) == at(WED, "01:00")


def test_zero_duration_returns_the_start_even_when_closed():
    assert office().add(at(SAT, "03:00"), 0) == at(SAT, "03:00")
    assert office().between(at(MON, "10:00"), at(MON, "10:00")) == 0


def test_between_is_zero_for_a_reversed_interval():
    assert office().between(at(TUE, "10:00"), at(MON, "10:00")) == 0


@pytest.mark.parametrize("minutes", [-1.0, float("inf"), float("nan")])
def test_negative_or_non_finite_business_minutes_are_rejected(minutes):
    with pytest.raises(ValueError, match="finite and >= 0"):
        office().add(0.0, minutes)


@pytest.mark.parametrize("days, windows", [([], [(540, 1020)]), (WEEKDAYS, [])], ids=["no days", "no windows"])
def test_calendar_without_open_time_raises_instead_of_looping(days, windows):
    calendar = BusinessCalendar("never", days, windows)
    with pytest.raises(ValueError, match="no open time"):
        calendar.add(0.0, 1)
    with pytest.raises(ValueError, match="no open time"):
        calendar.next_open(0.0)
    assert calendar.between(0.0, 7 * DAY) == 0


@pytest.mark.parametrize("window", [(600, 600), (700, 600), (-1, 600), (600, 1441)])
def test_invalid_window_is_rejected(window):
    with pytest.raises(ValueError, match="open window"):
        BusinessCalendar("bad", WEEKDAYS, [window])


def test_invalid_weekday_is_rejected():
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar("bad", [7], [(540, 1020)])
    with pytest.raises(ValueError, match="weekday"):
        office(start_weekday=7)


def test_overlapping_and_adjacent_windows_are_merged():
    overlapping = BusinessCalendar("o", WEEKDAYS, [(700, 1020), (540, 720)])
    adjacent = BusinessCalendar("a", WEEKDAYS, [(540, 720), (720, 1020)])
    assert overlapping.windows == adjacent.windows == ((540, 1020),)
    assert adjacent.is_open(at(MON, "12:00"))
    assert overlapping.between(0.0, DAY) == 480


def test_open_windows_are_half_open():
    calendar = office()
    assert calendar.is_open(at(MON, "09:00"))
    assert not calendar.is_open(at(MON, "17:00"))
    assert not calendar.is_open(at(MON, "08:59"))


def test_next_open_finds_the_next_window_start():
    assert office().next_open(at(MON, "10:00")) == at(MON, "10:00")
    assert lunch_office().next_open(at(MON, "12:30")) == at(MON, "13:00")
    assert office().next_open(at(FRI, "18:00")) == at(7, "09:00")
    assert office(holidays=[7]).next_open(at(FRI, "18:00")) == at(8, "09:00")


# --- add / between: properties ---

CALENDARS = [
    office(),
    lunch_office(holidays=[2, 3, 11], start_weekday=THU),
    BusinessCalendar("weekend", [SAT, SUN], [(600, 660), (0, 30), (1400, 1440)], [5]),
]
times = st.floats(min_value=0.0, max_value=40 * DAY)
durations = st.floats(min_value=0.0, max_value=20_000.0)


@given(st.sampled_from(CALENDARS), times, durations)
def test_between_inverts_add(calendar, t, d):
    assert calendar.between(t, calendar.add(t, d)) == pytest.approx(d, abs=1e-9)


@given(st.sampled_from(CALENDARS), times, st.floats(min_value=0.0, max_value=20 * DAY))
def test_add_of_between_never_overshoots(calendar, t, span):
    u = t + span
    assert calendar.add(t, calendar.between(t, u)) <= u + 1e-9


@given(st.sampled_from(CALENDARS), times, st.floats(min_value=1e-3, max_value=20_000.0))
def test_add_ends_on_open_time(calendar, t, d):
    assert calendar.is_open(calendar.add(t, d) - 1e-6)


@settings(max_examples=30)
@given(
    st.sampled_from(CALENDARS),
    st.integers(min_value=0, max_value=int(14 * DAY)),
    st.integers(min_value=0, max_value=int(3 * DAY)),
)
def test_between_matches_counting_open_minutes(calendar, t0, span):
    expected = sum(calendar.is_open(minute) for minute in range(t0, t0 + span))
    assert calendar.between(t0, t0 + span) == expected


@settings(max_examples=60)
@given(
    st.sampled_from([*CALENDARS, BusinessCalendar("24x7", range(7), [(0, DAY)]), lunch_office()]),
    st.lists(st.floats(min_value=-14 * DAY, max_value=60 * DAY), min_size=1, max_size=50),
    st.floats(min_value=1e-3, max_value=20_000.0),
)
def test_adding_to_many_times_at_once_gives_each_time_exactly_what_adding_to_it_alone_gives(calendar, ts, d):
    add = calendar.adder()
    times = np.array(ts)
    expected = np.array([add(t, d) for t in ts])
    assert calendar.add_each(times, d).tobytes() == expected.tobytes()


@pytest.mark.parametrize("calendar", [lunch_office(), lunch_office(holidays=[2, 3, 11])], ids=["weekly", "holidays"])
def test_adding_to_many_times_at_once_is_exact_at_openings_closings_and_week_ends(calendar):
    edges = [
        at(day, clock) + eps
        for day in range(-7, 15)
        for clock in ("08:00", "12:00", "13:00", "18:00", "00:00")
        for eps in (-1e-9, 0.0, 1e-9, 1e-3)
    ]
    for minutes in (60.0, 240.0, 540.0, 2700.0, 4 * 540.0 + 1e-10):
        expected = np.array([calendar.adder()(t, minutes) for t in edges])
        assert calendar.add_each(np.array(edges), minutes).tobytes() == expected.tobytes()


# --- shifts ---


def test_day_shift_occurs_on_each_weekday():
    assert shift_instances(WEEKDAYS, 540, 1020, 7 * DAY) == [(at(day, "09:00"), at(day, "17:00")) for day in WEEKDAYS]


def test_overnight_shift_includes_the_one_running_at_time_zero():
    assert shift_instances(range(7), 1320, 360, 2 * DAY) == [
        (0.0, at(MON, "06:00")),
        (at(MON, "22:00"), at(TUE, "06:00")),
        (at(TUE, "22:00"), 2 * DAY),
    ]


def test_overnight_shift_crosses_time_zero_only_if_it_started_the_day_before():
    # Day -1 is a Sunday, so a Sunday night shift is still running at time 0.
    assert shift_instances([SUN], 1320, 360, 7 * DAY) == [
        (0.0, at(MON, "06:00")),
        (at(SUN, "22:00"), 7 * DAY),
    ]
    assert shift_instances([MON], 1320, 360, 2 * DAY) == [(at(MON, "22:00"), at(TUE, "06:00"))]


def test_shift_start_weekday_filters_by_calendar_weekday():
    # Day 0 is Saturday, so the first weekday shift starts on day 2.
    assert shift_instances(WEEKDAYS, 540, 1020, 7 * DAY, start_weekday=SAT) == [
        (at(day, "09:00"), at(day, "17:00")) for day in range(2, 7)
    ]


def test_shift_ends_are_clipped_and_late_starts_dropped_at_the_horizon():
    clipped = [(at(MON, "09:00"), at(MON, "10:00"))]
    assert shift_instances([MON], 540, 1020, at(MON, "10:00")) == clipped
    assert shift_instances([MON], 540, 1020, at(MON, "09:00")) == []
    assert shift_instances(range(7), 1320, 360, 0.0) == []


def test_shift_ending_at_midnight_stays_on_its_day():
    assert shift_instances([MON], 960, 1440, DAY) == [(at(MON, "16:00"), DAY)]


def test_shift_with_equal_start_and_end_lasts_a_full_day():
    assert shift_instances([TUE], 480, 480, 7 * DAY) == [(at(TUE, "08:00"), at(WED, "08:00"))]


@pytest.mark.parametrize("start, end", [(-1, 600), (600, 1441), (1440, 600)])
def test_shift_outside_the_day_is_rejected(start, end):
    with pytest.raises(ValueError, match="shift"):
        shift_instances([MON], start, end, DAY)


# --- hour_of_week ---


@pytest.mark.parametrize(
    "t, start_weekday, expected",
    [
        (0.0, MON, 0),
        (59.9, MON, 0),
        (60.0, MON, 1),
        (0.0, WED, 48),
        (DAY - 0.1, SUN, 167),
        (DAY, SUN, 0),
        (7 * DAY + 90, MON, 1),
        (at(3, "13:30"), FRI, (FRI + 3) % 7 * 24 + 13),
    ],
)
def test_hour_of_week_counts_from_monday_midnight(t, start_weekday, expected):
    assert hour_of_week(t, start_weekday) == expected


# --- parse_clock ---


@pytest.mark.parametrize(
    "text, minutes", [("08:30", 510.0), ("8:30", 510.0), ("00:00", 0.0), ("23:59", 1439.0), ("24:00", 1440.0)]
)
def test_parse_clock_converts_to_minutes_since_midnight(text, minutes):
    assert parse_clock(text) == minutes


@pytest.mark.parametrize("text", ["24:01", "25:00", "12:60", "08h30", "", " 08:30", "-1:00", 1020, None])
def test_parse_clock_rejects_malformed_times(text):
    with pytest.raises(ValueError, match="use HH:MM between 00:00 and 24:00"):
        parse_clock(text)
