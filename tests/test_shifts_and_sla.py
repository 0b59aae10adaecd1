"""Shifts put agents on duty only when rostered; SLA clocks count business time and pause for the customer.

The shift tests run the baseline over a weekend (Friday to Monday), when the billing team has
gaps in its roster, and check every pick-up against the levels and the roster. The SLA tests
are hand-worked business-time cases run through the engine. Time 0 is Monday 2026-01-05 00:00
unless a test says otherwise.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, event_log, fixed, simulate, ticket_rows

import sim
from sim.core.calendar import parse_clock, shift_instances
from sim.core.units import MINUTES_PER_DAY
from sim.engine.replication import run_replication
from sim.scenario.spec import WEEKDAYS

DAY = MINUTES_PER_DAY
OFFICE = {"name": "office", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["09:00-17:00"]}


@pytest.fixture(scope="module")
def weekend():
    scenario = sim.load_scenario(BASELINE, ["horizon=3d", "warmup=0", "start_date=2026-01-09"])  # a Friday
    return scenario, run_replication(scenario)


def staffed_at(levels: pd.DataFrame, team: str, times: np.ndarray) -> np.ndarray:
    """Agents on duty in ``team`` at each time (the last step at or before it)."""
    series = levels[(levels["team"] == team) & (levels["metric"] == "staffed")]
    index = np.searchsorted(series["time"].to_numpy(), times, side="right") - 1
    return np.where(index >= 0, series["value"].to_numpy()[np.maximum(index, 0)], 0.0)


def roster(scenario, team: str) -> list[tuple[float, float, int]]:
    """The (on, off, agents) windows of a shift-based team, expanded independently of the engine."""
    windows = []
    for shift in scenario.team(team).shifts:
        days = [WEEKDAYS.index(d) for d in shift.days]
        windows += [
            (on, off, shift.agents)
            for on, off in shift_instances(days, shift.start, shift.end, scenario.horizon, scenario.start_weekday)
        ]
    return windows


@pytest.mark.parametrize("team", ["tier1", "billing"])
def test_no_ticket_is_picked_up_while_its_team_has_nobody_on_duty(weekend, team):
    _, records = weekend
    events = records.events
    picked = events[(events["event"] == "picked_up") & (events["team"] == team)]["time"].to_numpy()
    assert len(picked) > 100
    assert (staffed_at(records.levels, team, picked) > 0).all()


@pytest.mark.parametrize("team", ["tier1", "billing"])
def test_every_pick_up_lies_inside_one_of_the_team_shift_windows(weekend, team):
    scenario, records = weekend
    events = records.events
    picked = events[(events["event"] == "picked_up") & (events["team"] == team)]["time"].to_numpy()
    windows = roster(scenario, team)
    inside = [any(on <= t < off for on, off, _ in windows) for t in picked]
    assert all(inside)


@pytest.mark.parametrize("team", ["tier1", "billing"])
def test_agents_stay_on_duty_through_their_shift_and_leave_at_its_end_or_after_their_last_ticket(weekend, team):
    scenario, records = weekend
    levels, events = records.levels, records.events
    series = levels[(levels["team"] == team) & (levels["metric"] == "staffed")]
    windows = roster(scenario, team)
    settled = series.groupby("time")["value"].last()  # the level once every change at that instant is made
    rostered = np.array([sum(n for on, off, n in windows if on <= t < off) for t in settled.index])
    assert (settled.to_numpy() >= rostered).all()
    drops = series["time"].to_numpy()[np.diff(series["value"].to_numpy(), prepend=0) < 0]
    ends = {off for _, off, _ in windows}
    finished = set(events[events["event"].isin(["resolved", "pending_customer"]) & (events["team"] == team)]["time"])
    assert len(drops) > 0
    assert all(t in ends or t in finished for t in drops)


def test_billing_tickets_arriving_in_a_roster_gap_wait_for_the_next_shift(weekend):
    _, records = weekend
    tickets = records.tickets
    saturday_gap = (DAY + parse_clock("08:00"), DAY + parse_clock("10:00"))  # Saturday: night shift over, day not begun
    billing = tickets[(tickets["first_team"] == "billing") & tickets["answered_at"].notna()]
    late = billing[(billing["arrival"] > saturday_gap[0] + 60) & (billing["arrival"] < saturday_gap[1])]
    assert len(late) > 0
    assert (late["answered_at"] >= saturday_gap[1]).all()


def _unstaffed_office_ticket(arrival: float, horizon: float, holidays: Sequence[str] = ()):
    """One ticket nobody answers (the only shift is on a Wednesday before it), on a 4-hour office-hours SLA."""
    return simulate(
        horizon=horizon,
        channels=[{"name": "email", "arrival_times": [arrival], "category_mix": {"question": 1}}],
        teams=[{"name": "desk", "shifts": [{"days": ["wed"], "start": "09:00", "end": "10:00", "agents": 1}]}],
        calendars=[{**OFFICE, "holidays": list(holidays)}],
        sla_policies=[{"name": "office", "resolution": {"target": "4h", "calendar": "office"}}],
    )


def test_four_business_hours_from_friday_16h_are_due_monday_12h():
    # 1 h on Friday (16:00-17:00), the other 3 h on Monday from 09:00
    friday_16h, monday = 4 * DAY + 960, 7 * DAY
    records = _unstaffed_office_ticket(friday_16h, 8 * DAY)
    assert event_log(records, detail=True)[2:] == [
        (monday + 600, 0, "sla_warning", "desk", "resolution@50%"),
        (monday + 660, 0, "sla_warning", "desk", "resolution@75%"),
        (monday + 720, 0, "sla_breach", "desk", "resolution"),
    ]
    assert ticket_rows(records, ["outcome", "resolution_due", "resolution_breached_at", "resolution_met"]) == [
        (0, "open", monday + 720, monday + 720, 0.0)
    ]


def test_a_holiday_monday_moves_the_deadline_to_tuesday():
    friday_16h, tuesday = 4 * DAY + 960, 8 * DAY
    records = _unstaffed_office_ticket(friday_16h, 9 * DAY, holidays=["2026-01-12"])
    assert ticket_rows(records, ["resolution_due", "resolution_breached_at"]) == [(0, tuesday + 720, tuesday + 720)]


def _reply_story(pause: bool):
    """Arrives Monday 10:00, worked 30 min, waits 7 h for its customer, then 30 min more work."""
    return simulate(
        horizon=2 * DAY,
        channels=[{"name": "email", "arrival_times": [600], "category_mix": {"logs": 1}}],
        categories=[
            {
                "name": "logs",
                "handle_time": fixed(30),
                "customer_reply": {"probability": 1, "delay": fixed(420), "handle_time": fixed(30)},
            }
        ],
        calendars=[OFFICE],
        sla_policies=[
            {
                "name": "office",
                "resolution": {"target": "4h", "calendar": "office"},
                "pause_while_waiting_on_customer": pause,
            }
        ],
    )


def test_waiting_on_the_customer_extends_the_deadline_by_exactly_the_paused_business_time():
    # paused 10:30-17:30 Monday = 390 business minutes (10:30-17:00); 30 of 240 used before the pause:
    # the remaining 210 start Tuesday 09:00, so the clock is due Tuesday 12:30 instead of Monday 14:00
    records = _reply_story(pause=True)
    assert ticket_rows(records, ["resolved_at", "resolution_due", "resolution_met"]) == [(0, 1080.0, DAY + 750.0, 1.0)]
    assert [e for e in event_log(records) if e[2].startswith("sla")] == [(1080.0, 0, "sla_met", "desk")]


def test_without_pause_the_clock_runs_on_while_the_customer_is_away():
    records = _reply_story(pause=False)
    assert ticket_rows(records, ["resolved_at", "resolution_due", "resolution_breached_at", "resolution_met"]) == [
        (0, 1080.0, 840.0, 840.0, 0.0)
    ]
    assert [e[:3] for e in event_log(records) if e[2].startswith("sla")] == [
        (720.0, 0, "sla_warning"),
        (780.0, 0, "sla_warning"),
        (840.0, 0, "sla_breach"),
    ]
