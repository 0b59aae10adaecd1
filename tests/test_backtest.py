"""Issue 15, back-test: simulate a scenario over an export's period and judge the history cell by cell.

The KPI function on a hand-made history (exact values), the prediction interval and its coverage, the
time-zone and warm-up window, results that do not depend on the number of workers, the true model of
the example export passing and a perturbed one failing, and the command's one-line errors.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import binom, t

from sim.calibration.backtest import (
    FAIL,
    PASS,
    backtest,
    chance_p_value,
    prediction_interval,
    simulation_window,
    wall_clock_to_utc,
    write_backtest,
)
from sim.calibration.export import generic_frames
from sim.calibration.export_schema import EVENT_COLUMNS, TICKET_COLUMNS, Export
from sim.calibration.history import ALL, KpiRules, Periods, period_kpis
from sim.calibration.read import read_export
from sim.cli import main
from sim.experiments.results import kind_of
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TIERED = ROOT / "scenarios" / "tiered.yaml"
GENERIC = ROOT / "data" / "example_generic"
SEED = 7
"""Not 2026, the seed the example export was simulated with: no replication replays the history itself."""

# --- the KPI function, on a hand-made history ---------------------------------------------------

UTC = "UTC"


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def after(created: str, minutes: float | None) -> pd.Timestamp:
    return pd.NaT if minutes is None else stamp(created) + pd.Timedelta(minutes=minutes)


def hand_made() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six tickets over two weeks (the second partial); phone is live with a 30 s target, email neither.

    p1 answered in 15 s, p2 in 1 min, p3 hung up after 2 min, p4 (week 2) answered at exactly 30 s and
    escalated to tier2; e1 answered in 30 min and transferred to billing; e2 (week 2) still open.
    """
    rows = [  # id, channel, created, first reply, solved, abandoned after (minutes from created)
        ("p1", "phone", "2026-03-02 09:10", 0.25, 60, None),
        ("p2", "phone", "2026-03-02 09:40", 1.0, 120, None),
        ("p3", "phone", "2026-03-02 10:05", None, None, 2.0),
        ("e1", "email", "2026-03-02 09:30", 30.0, 180, None),
        ("p4", "phone", "2026-03-09 09:20", 0.5, 30, None),
        ("e2", "email", "2026-03-10 14:00", None, None, None),
    ]
    tickets = pd.DataFrame(
        {
            "ticket": [r[0] for r in rows],
            "created": [stamp(r[2]) for r in rows],
            "channel": [r[1] for r in rows],
            "category": "general",
            "priority": "P3",
            "segment": "standard",
            "group": "tier1",
            "first_reply": [after(r[2], r[3]) for r in rows],
            "solved": [after(r[2], r[4]) for r in rows],
            "abandoned": [r[5] is not None for r in rows],
            "abandoned_at": [after(r[2], r[5]) for r in rows],
            "reopens": 0,
            "work_minutes": np.nan,
        }
    ).astype(TICKET_COLUMNS)
    events = pd.DataFrame(
        [
            ("p1", stamp("2026-03-02 09:10"), "group_change", "tier1"),
            ("p1", stamp("2026-03-02 09:20"), "group_change", "tier1"),  # the same group again: no new stay
            ("e1", stamp("2026-03-02 09:30"), "group_change", "tier1"),
            ("e1", stamp("2026-03-02 10:10"), "group_change", "billing"),
            ("p4", stamp("2026-03-09 09:20"), "group_change", "tier1"),
            ("p4", stamp("2026-03-09 09:25"), "group_change", "tier2"),
        ],
        columns=["ticket", "time", "kind", "group"],
    ).assign(status="", work_minutes=np.nan)
    return tickets, events.astype(EVENT_COLUMNS)


RULES = KpiRules(channels=("phone", "email"), live=frozenset({"phone"}), targets={"phone": 0.5})


def hand_made_cells(min_observations: int = 1, with_events: bool = True) -> dict[tuple[str, str, str, str], float]:
    tickets, events = hand_made()
    periods = Periods(stamp("2026-03-02 09:00"), stamp("2026-03-10 15:00"))
    cells = period_kpis(tickets, events if with_events else None, RULES, periods, min_observations)
    return {(r.kind, r.period, r.channel, r.kpi): r.value for r in cells.itertuples()}


def test_kpis_of_a_hand_made_history_are_exact_per_week_and_per_hour_of_day():
    cells = hand_made_cells()
    w1, w2 = "2026-03-02", "2026-03-09 (partial)"
    expected = {
        ("week", w1, "phone", "volume"): 3,
        ("week", w1, "email", "volume"): 1,
        ("week", w1, ALL, "volume"): 4,
        ("week", w1, "phone", "asa"): (0.25 + 1.0) / 2,  # answered in the first queue only
        ("week", w1, "email", "asa"): 30.0,  # email: the first-response time
        ("week", w1, "phone", "service_level"): 1 / 3,  # p1 within 30 s, of p1, p2 and the abandoned p3
        ("week", w1, "phone", "abandonment_rate"): 1 / 3,
        ("week", w1, "phone", "escalation_rate"): 0.0,  # p1's second tier1 entry is not a new stay
        ("week", w1, "email", "escalation_rate"): 1.0,
        ("week", w1, ALL, "escalation_rate"): 1 / 4,
        ("week", w1, "phone", "resolution_time"): 1.5,  # hours, solved tickets
        ("week", w1, ALL, "resolution_time"): (1 + 2 + 3) / 3,
        ("week", w2, "phone", "service_level"): 1.0,  # exactly at the target counts as within
        ("week", w2, "phone", "escalation_rate"): 1.0,
        ("week", w2, "email", "volume"): 1,
        ("week", w2, ALL, "resolution_time"): 0.5,
        ("hour", "09:00", "phone", "volume"): 3,  # p1, p2 and next week's p4 pooled
        ("hour", "09:00", "phone", "asa"): (0.25 + 1.0 + 0.5) / 3,
        ("hour", "10:00", "phone", "abandonment_rate"): 1.0,
        ("hour", "14:00", "email", "volume"): 1,
        ("hour", "03:00", "phone", "volume"): 0,  # an hour without tickets has volume 0 …
    }
    for cell, value in expected.items():
        assert cells[cell] == pytest.approx(value), cell
    for cell in [
        ("week", w2, "email", "asa"),  # … but no ASA: nobody answered
        ("week", w2, "email", "resolution_time"),
        ("hour", "03:00", "phone", "asa"),
    ]:
        assert math.isnan(cells[cell]), cell
    # live-channel and target KPIs only where they apply; no ASA or service level over all channels
    assert not any(k for k in cells if k[2] == "email" and k[3] in ("service_level", "abandonment_rate"))
    assert not any(k for k in cells if k[2] == ALL and k[3] in ("asa", "service_level", "abandonment_rate"))


def test_a_cell_with_too_few_observations_is_not_defined_and_without_events_there_is_no_escalation_rate():
    cells = hand_made_cells(min_observations=10, with_events=False)
    assert cells[("week", "2026-03-02", "phone", "volume")] == 3  # a volume is always defined
    assert math.isnan(cells[("week", "2026-03-02", "phone", "asa")])  # 2 answered < 10
    assert not any(k[3] == "escalation_rate" for k in cells)


# --- the prediction interval --------------------------------------------------------------------


def test_the_prediction_interval_is_mean_plus_minus_t_s_sqrt_one_plus_one_over_r():
    values = np.array([1.0, 2.0, 3.0, 4.0, np.nan])  # a replication without a value is left out
    mean, low, high, r = prediction_interval(values)
    s = np.std([1, 2, 3, 4], ddof=1)
    half = t.ppf(0.975, 3) * s * math.sqrt(1 + 1 / 4)
    assert (mean, r) == (2.5, 4)
    assert (low, high) == pytest.approx((2.5 - half, 2.5 + half))
    assert math.isnan(prediction_interval(np.array([3.0]))[1])  # one value has no spread


def test_the_prediction_interval_holds_one_new_period_95_percent_of_the_time_the_mean_interval_does_not():
    rng = np.random.default_rng(1)
    trials, r = 20_000, 10
    draws = rng.normal(size=(trials, r + 1))
    outside = 0
    for row in draws:
        _, low, high, _ = prediction_interval(row[:r])
        outside += not low <= row[r] <= high
    assert outside / trials == pytest.approx(0.05, abs=0.006)
    mean_half = t.ppf(0.975, r - 1) * draws[:, :r].std(axis=1, ddof=1) / math.sqrt(r)
    mean_outside = np.mean(np.abs(draws[:, r] - draws[:, :r].mean(axis=1)) > mean_half)
    assert mean_outside > 0.5  # the mean's confidence interval would flag most periods of a true model


def test_the_chance_of_that_many_flags_is_the_binomial_tail():
    assert chance_p_value(0, 76) == 1.0
    assert chance_p_value(4, 76) == pytest.approx(binom.sf(3, 76, 0.05))
    assert chance_p_value(12, 76) < 0.01


# --- the simulated window ------------------------------------------------------------------------


def test_the_window_starts_whole_days_of_warm_up_before_the_period_on_the_desks_clock():
    scenario = load_scenario(TIERED, ["channels.phone.surges=[{start: 2d, duration: 6h, multiplier: 2}]"])
    periods = Periods(stamp("2026-03-02 08:00"), stamp("2026-03-16 08:00"), tz="Europe/Paris")  # 09:00 local
    window, origin = simulation_window(scenario, periods, warmup=12 * 60)  # half a day: a whole day
    assert origin == pd.Timestamp("2026-03-01 00:00")
    assert str(window.start_date) == "2026-03-01"
    assert window.warmup == 0
    assert window.horizon == (15 * 24 + 9) * 60  # to 2026-03-16 09:00 local
    # the surge keeps its date (Wednesday 4 March 00:00): a day later from the earlier time 0
    assert window.channels[0].surges[0].start == 3 * 24 * 60
    untouched, origin = simulation_window(scenario, periods, warmup=0)
    assert origin == pd.Timestamp("2026-03-02 00:00") and untouched.channels[0].surges[0].start == 2 * 24 * 60


def test_simulated_wall_clock_times_are_local_times_converted_to_utc_across_a_clock_change():
    wall = pd.Series(pd.to_datetime(["2026-03-29 01:30", "2026-03-29 02:30", "2026-03-29 03:30"]).tz_localize(UTC))
    utc = wall_clock_to_utc(wall, "Europe/Paris")
    # CET (+1) before the change, 02:30 does not exist (moved to 03:00 CEST), CEST (+2) after
    assert list(utc.dt.strftime("%H:%M")) == ["00:30", "01:00", "01:30"]
    assert wall_clock_to_utc(wall, UTC) is wall


# --- back-tests of the example export --------------------------------------------------------------


@cache
def example() -> Export:
    return read_export(GENERIC / "tickets.csv.gz", GENERIC / "events.csv.gz")


def first_days(days: int) -> Export:
    """The example export's tickets created in its first ``days`` days, with their events."""
    full = example()
    tickets = full.tickets[full.tickets["created"] < stamp("2026-03-02") + pd.Timedelta(days=days)]
    assert full.events is not None
    events = full.events[full.events["ticket"].isin(tickets["ticket"])]
    return Export(tickets.reset_index(drop=True), events.reset_index(drop=True))


def taken_after(days: int) -> Export:
    """The example export as if it had been taken ``days`` days after it began: later stamps and events unknown."""
    cut = stamp("2026-03-02") + pd.Timedelta(days=days)
    first = first_days(days)
    tickets = first.tickets.copy()
    for column in ("first_reply", "abandoned_at"):
        tickets[column] = tickets[column].where(tickets[column] < cut)
    tickets["abandoned"] = tickets["abandoned_at"].notna()
    assert first.events is not None
    events = first.events[first.events["time"] < cut].reset_index(drop=True)
    # solved at the cut: the ticket's last status then is "solved" (a later reopen is not known yet)
    last = events[events["kind"] == "status_change"].groupby("ticket").last()
    solved = last["time"].where(last["status"] == "solved")
    tickets["solved"] = tickets["ticket"].map(solved).astype(tickets["solved"].dtype)
    return Export(tickets, events)


def test_a_backtest_gives_the_same_cells_on_one_worker_or_two():
    scenario, export = load_scenario(TIERED), taken_after(1)
    one = backtest(scenario, export, replications=3, seed=SEED, warmup=0, workers=1, progress=False)
    two = backtest(scenario, export, replications=3, seed=SEED, warmup=0, workers=2, progress=False)
    pd.testing.assert_frame_equal(one.cells, two.cells)
    assert one.cells["judged"].any()


def test_without_an_event_file_the_escalation_rate_is_not_compared_and_the_summary_says_so(tmp_path):
    result = backtest(load_scenario(TIERED), Export(taken_after(1).tickets), replications=2, seed=SEED, warmup=0)
    assert "escalation_rate" not in set(result.cells["kpi"])
    assert any("escalation rate" in note for note in result.notes)
    folder = write_backtest(result, tmp_path)
    summary = yaml.safe_load((folder / "summary.yaml").read_text(encoding="utf-8"))
    assert summary["kind"] == "backtest" and kind_of(folder) == "backtest"
    cells = pd.read_csv(folder / "cells.csv")
    assert list(cells.columns) == [
        "kind",
        "period",
        "channel",
        "kpi",
        "unit",
        "history",
        "sim_mean",
        "pi_low",
        "pi_high",
        "flagged",
        "n_history",
    ]


@pytest.mark.slow
def test_the_true_model_of_the_example_export_passes_its_backtest(tmp_path, capsys):
    """tiered.yaml simulated the example export from an empty desk: its weekly cells flag no more than chance.

    The first two weeks of the export, as taken then (in the generic layout), keep the test short.
    """
    export = taken_after(14)
    assert export.events is not None
    tickets, events = generic_frames(export.tickets, export.events)
    tickets.to_csv(tmp_path / "tickets.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    args = ["backtest", str(TIERED), str(tmp_path / "tickets.csv"), "--events", str(tmp_path / "events.csv")]
    args += ["--warmup", "0", "-r", "10", "--seed", str(SEED), "-w", "2", "--quiet", "--out", str(tmp_path)]
    assert main([*args, "--report"]) == 0
    out = capsys.readouterr().out
    assert "verdict on weekly cells: PASS" in out
    folder = Path(next(line for line in out.splitlines() if line.startswith("results: "))[len("results: ") :])
    summary = yaml.safe_load((folder / "summary.yaml").read_text(encoding="utf-8"))
    assert summary["verdict"] == PASS and summary["shares"]["week"]["judged"] == 38  # 2 weeks x 19 cells
    assert summary["period"]["start"] == "2026-03-02T00:00:00+00:00"
    assert (folder / "report.html").is_file()
    assert main(["report", str(folder)]) == 0


@pytest.mark.slow
def test_a_model_that_expects_a_fifth_more_phone_calls_fails_its_backtest():
    """Over-forecast demand: phone at 36 calls an hour instead of the 30 that made the export (its first two weeks).

    The bias shows where it should: too few phone calls in every week of the history for the model
    (the phone and overall volume cells), and the service the history got is better than the busier
    model predicts (phone service level above, abandonment below its interval).
    """
    scenario = load_scenario(TIERED, ["channels.phone.rate_per_hour=36"])
    result = backtest(scenario, taken_after(14), replications=8, seed=SEED, warmup=0, workers=2, progress=False)
    assert result.verdict == FAIL
    flagged = result.flagged_weeks
    phone_volume = flagged[(flagged["kpi"] == "volume") & (flagged["channel"] == "phone")]
    assert len(phone_volume) == 2 and (phone_volume["history"] < phone_volume["pi_low"]).all()
    service = flagged[(flagged["kpi"] == "service_level") & (flagged["channel"] == "phone")]
    assert len(service) >= 2 and (service["history"] > service["pi_high"]).all()
    assert result.shares["week"]["p_value"] < 1e-6


# --- the command's errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "start"),
    [
        (["--format", "zendesk"], "error: tickets.csv.gz: missing columns 'Id', 'Created at'"),
        (["--format", "excel"], "error: "),
    ],
    ids=["wrong layout", "unknown format"],
)
def test_a_bad_export_is_one_line_and_exit_2(extra, start, capsys, tmp_path):
    args = ["backtest", str(TIERED), str(GENERIC / "tickets.csv.gz"), *extra, "--out", str(tmp_path)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(start) and len(err.strip().splitlines()) == 1, err
    if "excel" in extra:
        assert "unknown format 'excel' (one of generic, zendesk)" in err


def test_a_missing_export_file_is_one_line_naming_it_and_exit_2(capsys, tmp_path):
    assert main(["backtest", str(TIERED), str(tmp_path / "nothere.csv"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: nothere.csv: cannot read the file") and len(err.strip().splitlines()) == 1


def test_the_zendesk_layout_of_the_example_gives_the_generic_layouts_history_cells():
    scenario = load_scenario(TIERED)
    zendesk = read_export(
        ROOT / "data/example_zendesk/tickets.csv.gz", ROOT / "data/example_zendesk/events.csv.gz", "zendesk"
    )
    generic = example()
    rules = KpiRules.from_scenario(scenario)
    periods = Periods(stamp("2026-03-02"), stamp("2026-03-30"))
    one = period_kpis(generic.tickets, generic.events, rules, periods)
    two = period_kpis(zendesk.tickets, zendesk.events, rules, periods)
    pd.testing.assert_frame_equal(one.drop(columns="value"), two.drop(columns="value"))
    # the Zendesk layout gives first replies in minutes with two decimals: ASA agrees to a second
    assert np.allclose(one["value"], two["value"], rtol=0, atol=1 / 60, equal_nan=True)
    exact = one["kpi"] != "asa"
    assert np.allclose(one.loc[exact, "value"], two.loc[exact, "value"], rtol=1e-9, atol=0, equal_nan=True)
