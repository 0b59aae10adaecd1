"""Statistical fits of the calibration, on synthetic canonical tables drawn from known parameters.

Each recovery test compares an estimate with the truth in units of the estimate's own standard error
(3 SE for one number; 4 SE when many numbers are checked at once, so that chance alone fails a test
with probability well under 1 %). The seed is fixed for reproducibility, not chosen to pass.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter

from sim.calibration.fit_arrivals import fit_arrivals
from sim.calibration.fit_durations import fit_duration
from sim.calibration.fit_handle import fit_handle_times
from sim.calibration.fit_mix import fit_mixes, missing_columns
from sim.calibration.fit_paths import TeamOutcome, fit_paths
from sim.calibration.fit_patience import fit_patience, fit_patience_sample
from sim.calibration.fit_reopen import fit_reopens
from sim.calibration.fit_reply import fit_replies
from sim.core.distributions import Distribution
from sim.engine.demand import ChannelDemand
from sim.engine.streams import Streams
from sim.scenario.spec import WEEKDAYS, ChannelSpec

START = pd.Timestamp("2026-01-05", tz="UTC")  # a Monday
HOUR_TRUTH = np.r_[np.full(8, 0.3), np.full(10, 1.8), np.full(6, 0.7)]
HOUR_TRUTH = HOUR_TRUTH / HOUR_TRUTH.mean()
DAY_TRUTH = np.array([1.2, 1.1, 1.0, 1.0, 1.1, 0.8, 0.8])
DAY_TRUTH = DAY_TRUTH / DAY_TRUTH.mean()
RATE_TRUTH = 20.0
WEEKS = 4
SURGE_DAY, SURGE_FACTOR = 9, 3.0  # Wednesday of week 2

as_distribution = TypeAdapter(Distribution).validate_python


def at(minutes: np.ndarray | float) -> pd.Series:
    """Tz-aware UTC timestamps ``minutes`` after START."""
    return pd.Series(START + pd.to_timedelta(np.atleast_1d(minutes), unit="min"))


def arrivals(rng: np.random.Generator, surge: bool) -> pd.DataFrame:
    """Poisson arrivals of one channel, hour by hour, from the true profile (and one surge day)."""
    slot = np.arange(WEEKS * 7 * 24)
    day, hour = slot // 24, slot % 24
    mean = RATE_TRUTH * DAY_TRUTH[day % 7] * HOUR_TRUTH[hour]
    if surge:
        mean = np.where(day == SURGE_DAY, mean * SURGE_FACTOR, mean)
    counts = rng.poisson(mean)
    minutes = np.repeat(slot * 60.0, counts) + rng.uniform(0, 60, counts.sum())
    return pd.DataFrame({"created": at(minutes), "channel": "phone"})


# ---------------------------------------------------------------- arrivals


def test_arrival_rate_and_profiles_are_recovered_within_their_standard_errors() -> None:
    fit = fit_arrivals(arrivals(np.random.default_rng(11), surge=False))["phone"]
    assert fit.reason is None and fit.surges == []
    assert abs(fit.rate_per_hour - RATE_TRUTH) < 3 * fit.rate_se
    for h in range(24):
        assert abs(fit.hour_of_day[h] - HOUR_TRUTH[h]) < 4 * fit.hour_of_day_se[h], h
    for d, day in enumerate(WEEKDAYS):
        assert abs(fit.day_of_week[day] - DAY_TRUTH[d]) < 4 * fit.day_of_week_se[day], day
    assert fit.n == fit.observed.sum() and fit.hours == WEEKS * 168


def test_fitted_arrivals_fed_to_the_engine_reproduce_the_hourly_and_weekday_counts() -> None:
    fit = fit_arrivals(arrivals(np.random.default_rng(12), surge=False))["phone"]
    spec = ChannelSpec(
        name="phone",
        rate_per_hour=fit.rate_per_hour,
        hour_of_day=fit.hour_of_day,
        day_of_week=fit.day_of_week,
        category_mix={"q": 1},
    )
    demand = ChannelDemand(spec, start_weekday=0, horizon=7 * 1440, streams=Streams(1))
    per_week = np.array([demand.rate_per_hour(60.0 * h + 1) for h in range(168)]) * WEEKS
    observed = fit.observed.reshape(7, 24)
    simulated = per_week.reshape(7, 24)
    np.testing.assert_allclose(simulated.sum(0), observed.sum(0), rtol=1e-6)  # every hour of the day
    np.testing.assert_allclose(simulated.sum(1), observed.sum(1), rtol=1e-6)  # every weekday
    np.testing.assert_allclose(fit.expected, per_week, rtol=1e-9)


def test_the_surge_day_is_flagged_and_no_other_and_it_does_not_inflate_the_rate() -> None:
    fit = fit_arrivals(arrivals(np.random.default_rng(13), surge=True))["phone"]
    assert [s.date for s in fit.surges] == ["2026-01-14"]
    surge = fit.surges[0]
    assert abs(surge.multiplier - SURGE_FACTOR) < 4 * SURGE_FACTOR / math.sqrt(surge.count)
    assert abs(fit.rate_per_hour - RATE_TRUTH) < 3 * fit.rate_se
    assert fit.hours == (WEEKS * 7 - 1) * 24


def test_hours_and_days_are_those_of_the_local_clock_across_a_daylight_saving_change() -> None:
    # one arrival every 10 minutes for two weeks in Paris; clocks go forward on Sunday 2026-03-29
    start = pd.Timestamp("2026-03-23", tz="Europe/Paris")
    end = pd.Timestamp("2026-04-06", tz="Europe/Paris")
    created = pd.Series(pd.date_range(start, end, freq="10min", inclusive="left"))
    fit = fit_arrivals(pd.DataFrame({"created": created.dt.tz_convert("UTC"), "channel": "chat"}), tz="Europe/Paris")[
        "chat"
    ]
    assert fit.hours == 14 * 24 - 1 and fit.surges == []
    assert fit.rate_per_hour == pytest.approx(6.0) and fit.observed_rate == pytest.approx(6.0)
    np.testing.assert_allclose(fit.hour_of_day, 1.0)
    np.testing.assert_allclose(list(fit.day_of_week.values()), 1.0)


def test_an_export_that_stops_at_noon_flags_no_surge() -> None:
    tickets = arrivals(np.random.default_rng(14), surge=False)
    cut = tickets[tickets["created"] < START + pd.Timedelta(days=WEEKS * 7 - 1, hours=12)]
    fit = fit_arrivals(cut)["phone"]
    assert fit.surges == [] and fit.hours == (WEEKS * 7 - 1) * 24 + 12
    assert abs(fit.rate_per_hour - RATE_TRUTH) < 3 * fit.rate_se


def test_arrivals_of_a_channel_with_too_few_tickets_are_not_fitted_and_say_why() -> None:
    tickets = pd.DataFrame({"created": at(np.arange(5) * 100.0), "channel": "email"})
    fit = fit_arrivals(tickets)["email"]
    assert fit.reason == "only 5 arrivals (need 24)" and math.isnan(fit.rate_per_hour)
    assert fit_arrivals(tickets.drop(columns="channel")) == {}


# ---------------------------------------------------------------- mixes


def test_mixes_are_recovered_within_their_standard_errors_and_unknown_segments_counted() -> None:
    rng = np.random.default_rng(21)
    n = 20_000
    categories = rng.choice(["billing", "bug", "howto"], n, p=[0.5, 0.2, 0.3])
    p1_share = np.where(categories == "bug", 0.4, 0.1)
    priority = np.where(rng.random(n) < p1_share, "P1", "P3")
    segment = np.where(rng.random(n) < 0.1, "", np.where(rng.random(n) < 0.25, "vip", "standard"))
    tickets = pd.DataFrame({"channel": "chat", "category": categories, "priority": priority, "segment": segment})
    mixes = fit_mixes(tickets)
    cat = mixes.category_by_channel["chat"]
    for name, truth in {"billing": 0.5, "bug": 0.2, "howto": 0.3}.items():
        assert abs(cat.weights[name] - truth) < 4 * cat.se[name], name
    for name, truth in {"bug": 0.4, "billing": 0.1, "howto": 0.1}.items():
        mix = mixes.priority_by_category[name]
        assert abs(mix.weights["P1"] - truth) < 4 * mix.se["P1"], name
    seg = mixes.segment_by_channel["chat"]
    assert seg.missing == int((segment == "").sum()) and seg.n == n - seg.missing
    assert abs(seg.weights["vip"] - 0.25) < 4 * seg.se["vip"]
    assert set(mixes.segment_by_category) == {"billing", "bug", "howto"}


def test_a_mix_whose_column_is_absent_is_not_fitted_and_says_why() -> None:
    tickets = pd.DataFrame({"channel": ["chat"], "category": ["bug"]})
    assert fit_mixes(tickets).priority_by_channel == {}
    assert set(missing_columns(tickets)) == {"priority", "segment"}
    assert "column 'segment' absent" in missing_columns(tickets)["segment"]
    empty = fit_mixes(pd.DataFrame({"channel": ["chat"], "category": ["bug"], "segment": [""]}))
    assert empty.segment_by_channel["chat"].reason == "no values in tickets.segment"


# ---------------------------------------------------------------- durations


def test_a_clearly_lognormal_sample_is_fitted_as_lognormal_with_its_mean_within_3_se() -> None:
    rng = np.random.default_rng(31)
    mu, sigma = 2.0, 0.8
    fit = fit_duration(rng.lognormal(mu, sigma, 3000), "events.work_minutes")
    truth = math.exp(mu + sigma**2 / 2)
    assert fit.family == "lognormal" and fit.n == 3000 and fit.source == "events.work_minutes"
    assert abs(fit.document["mean"] - truth) < 3 * fit.mean_se
    assert as_distribution(fit.document).mean() == pytest.approx(fit.document["mean"])


def test_a_clearly_gamma_sample_is_fitted_as_gamma_with_its_mean_within_3_se() -> None:
    rng = np.random.default_rng(32)
    fit = fit_duration(rng.gamma(2.0, 4.0, 3000), "tickets.work_minutes")
    assert fit.family == "gamma" and fit.aic["gamma"] < fit.aic["lognormal"]
    dist = as_distribution(fit.document)
    assert abs(dist.mean() - 8.0) < 3 * fit.mean_se


def test_a_sample_neither_family_fits_is_empirical_and_says_why() -> None:
    rng = np.random.default_rng(33)
    bimodal = np.r_[rng.normal(5, 0.3, 1000), rng.normal(20, 0.5, 1000)]
    fit = fit_duration(bimodal, "events.work_minutes")
    assert fit.family == "empirical" and "neither lognormal nor gamma passes KS at 1 %" in fit.reason
    assert len(fit.document["values"]) == 200
    assert abs(as_distribution(fit.document).mean() - bimodal.mean()) < 3 * fit.mean_se


def test_a_small_sample_is_empirical_and_unusable_values_are_counted() -> None:
    fit = fit_duration([3.0, 4.0, 0.0, -1.0, math.nan, 6.0], "s")
    assert fit.family == "empirical" and fit.n == 3 and fit.dropped == 3
    assert fit.reason == "empirical: only 3 values (a parametric family needs 30)"
    assert fit.document == {"dist": "empirical", "values": [3.0, 4.0, 6.0]}
    none = fit_duration([0.0, math.nan], "s")
    assert none.document is None and none.reason == "no positive values in s"


# ---------------------------------------------------------------- handle times


def story_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tickets: t1 worked 5 min at T1, moved to T2, worked 7 min there; t2 worked 3 min at T1."""
    tickets = pd.DataFrame(
        {
            "ticket": ["t1", "t2"],
            "created": at([0.0, 10.0]),
            "channel": "email",
            "category": "bug",
            "group": "T1",
            "solved": at([60.0, 30.0]),
            "reopens": 0,
            "work_minutes": [12.0, 3.0],
        }
    )
    events = pd.DataFrame(
        {
            "ticket": ["t1", "t1", "t2"],
            "time": at([20.0, 60.0, 30.0]),
            "kind": ["group_change", "status_change", "status_change"],
            "group": ["T2", "", ""],
            "status": ["", "solved", "solved"],
            "work_minutes": [5.0, 7.0, 3.0],
        }
    )
    return tickets, events


def test_stay_work_is_attributed_to_the_group_that_held_the_ticket_before_the_event() -> None:
    tickets, events = story_tables()
    fits = fit_handle_times(tickets, events)
    assert fits.source == "events.work_minutes (per stay)"
    assert fits.fits[("bug", "T1")].document == {"dist": "empirical", "values": [3.0, 5.0]}
    assert fits.fits[("bug", "T2")].document == {"dist": "fixed", "value": 7.0}


def test_without_stay_work_the_ticket_work_is_used_at_the_first_group_and_without_either_nothing() -> None:
    tickets, events = story_tables()
    fits = fit_handle_times(tickets, events.assign(work_minutes=math.nan))
    assert fits.source == "tickets.work_minutes (per ticket, at its first group)"
    assert fits.fits[("bug", "T1")].document == {"dist": "empirical", "values": [3.0, 12.0]}
    none = fit_handle_times(tickets.drop(columns="work_minutes"), None)
    assert none.fits == {} and "handle times not fitted" in none.reason


# ---------------------------------------------------------------- paths


def escalating_tables(rng: np.random.Generator, n: int, split_to_t4: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Category A starts at T1 (resolves 0.6), then T2 (0.7), then T3 (always); 5 % stay open at their last team.

    With ``split_to_t4``, that share of T1's escalations go to T4 (which resolves) instead of T2.
    """
    ids = np.array([f"a{i}" for i in range(n)])
    at_t1 = rng.random(n) < 0.6
    at_t2 = rng.random(n) < 0.7
    to_t4 = rng.random(n) < split_to_t4
    second = np.where(to_t4, "T4", "T2")
    stays = np.where(at_t1, 1, np.where(to_t4 | at_t2, 2, 3))
    still_open = rng.random(n) < 0.05
    tickets = pd.DataFrame(
        {
            "ticket": ids,
            "created": at(np.zeros(n)),
            "channel": "email",
            "category": "A",
            "group": "T1",
            "solved": at(np.full(n, 100.0)).where(~still_open),
        }
    )
    moves = np.r_[np.flatnonzero(stays >= 2), np.flatnonzero(stays == 3)]
    groups = np.r_[second[stays >= 2], np.full((stays == 3).sum(), "T3")]
    times = np.r_[np.full((stays >= 2).sum(), 10.0), np.full((stays == 3).sum(), 20.0)]
    events = pd.DataFrame(
        {"ticket": ids[moves], "time": at(times), "kind": "group_change", "group": groups, "status": ""}
    ).sort_values(["ticket", "time"], kind="mergesort")
    return tickets, events.assign(work_minutes=math.nan)


def test_resolve_probabilities_and_the_path_are_recovered_within_their_standard_errors() -> None:
    tickets, events = escalating_tables(np.random.default_rng(41), 6000)
    fits = fit_paths(tickets, events)
    path = fits.categories["A"]
    assert path.first_team == "T1" and path.path == ["T1", "T2", "T3"]
    assert abs(path.resolve_probability["T1"] - 0.6) < 3 * path.resolve_se["T1"]
    assert abs(path.resolve_probability["T2"] - 0.7) < 3 * path.resolve_se["T2"]
    assert path.resolve_probability["T3"] == 1.0
    assert path.pooled["T1"].open + path.pooled["T1"].stays == len(tickets)
    assert path.notes == [] and fits.routing[("email", "A")] == ("T1", 1.0, 6000)


def test_an_escalation_split_the_path_cannot_express_is_kept_as_the_main_branch_with_a_note() -> None:
    tickets, events = escalating_tables(np.random.default_rng(42), 6000, split_to_t4=0.3)
    path = fit_paths(tickets, events).categories["A"]
    assert path.path == ["T1", "T2", "T3"]
    share = path.pooled["T1"].destinations["T4"] / sum(path.pooled["T1"].destinations.values())
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / sum(path.pooled["T1"].destinations.values()))
    assert any(
        note.startswith("T1 escalates") and "to T4: the path sends every failure to T2" in note for note in path.notes
    )


def test_a_team_with_too_few_stays_gets_no_resolve_probability_and_a_note() -> None:
    tickets, events = story_tables()
    path = fit_paths(tickets, events).categories["bug"]
    assert path.path == ["T1", "T2"] and path.resolve_probability == {}
    assert path.pooled["T1"] == TeamOutcome(stays=2, resolved=1, open=0, destinations={"T2": 1})
    assert "T1: only 2 stays with a known outcome; its resolve probability is not fitted" in path.notes


def test_a_bounce_back_to_an_earlier_team_ends_the_path_with_a_note() -> None:
    n = 40
    ids = [f"b{i}" for i in range(n)]
    tickets = pd.DataFrame(
        {"ticket": ids, "created": at(np.zeros(n)), "channel": "chat", "category": "C", "group": "T1"}
    ).assign(solved=at(np.full(n, 50.0)))
    events = pd.DataFrame(
        {
            "ticket": np.repeat(ids, 2),
            "time": at(np.tile([10.0, 20.0], n)),
            "kind": "group_change",
            "group": np.tile(["T2", "T1"], n),
            "status": "",
            "work_minutes": math.nan,
        }
    )
    path = fit_paths(tickets, events).categories["C"]
    assert path.path == ["T1", "T2"]
    assert "T2 escalates back to T1 (40 stays): a path cannot revisit a team" in path.notes
    assert path.by_first_group["T1"]["T1"] == TeamOutcome(stays=80, resolved=40, open=0, destinations={"T2": 40})


def test_paths_are_not_fitted_without_group_change_events() -> None:
    tickets, _ = story_tables()
    assert fit_paths(tickets, None).reason == (
        "no group_change events: escalation paths and resolve probabilities not fitted"
    )


# ---------------------------------------------------------------- patience


def live_contacts(rng: np.random.Generator, n: int, patience: np.ndarray) -> pd.DataFrame:
    """Phone contacts whose answer would come after an exponential wait of mean 2 min."""
    answer = rng.exponential(2.0, n)
    gave_up = patience < answer
    created = np.sort(rng.uniform(0, 7 * 1440, n))
    reply = at(created + answer).where(~gave_up)
    return pd.DataFrame(
        {
            "ticket": [f"p{i}" for i in range(n)],
            "channel": "phone",
            "created": at(created),
            "first_reply": reply,
            "abandoned": gave_up,
            "abandoned_at": at(created + patience).where(gave_up),
        }
    )


def test_censored_patience_recovers_the_mean_where_the_naive_abandoner_mean_is_biased_low() -> None:
    rng = np.random.default_rng(51)
    tickets = live_contacts(rng, 6000, rng.exponential(3.0, 6000))
    fit = fit_patience(tickets)["phone"]
    assert fit.family == "exponential" and fit.document == {"dist": "exponential", "mean": fit.mean}
    assert abs(fit.mean - 3.0) < 3 * fit.mean_se
    abandoner_waits = ((tickets["abandoned_at"] - tickets["created"]).dt.total_seconds() / 60).dropna()
    naive_se = abandoner_waits.std() / math.sqrt(len(abandoner_waits))
    assert fit.naive_mean == pytest.approx(abandoner_waits.mean())
    assert 3.0 - fit.naive_mean > 10 * naive_se  # biased low, far beyond its sampling error
    km = fit.km
    survival_truth = np.exp(-km.times / 3.0)
    assert np.all(np.abs(km.survival - survival_truth)[km.at_risk >= 50] < 4 * km.se[km.at_risk >= 50] + 1e-9)


def test_patience_that_is_not_memoryless_is_empirical_from_the_kaplan_meier_curve() -> None:
    rng = np.random.default_rng(52)
    patience = rng.uniform(2.0, 4.0, 6000)
    fit = fit_patience(live_contacts(rng, 6000, patience))["phone"]
    assert fit.family == "empirical" and fit.notes[0].startswith("Kaplan-Meier departs from the exponential")
    values = np.asarray(fit.document["values"])
    median_level = np.searchsorted(np.sort(values), 3.0) / len(values)
    assert abs(median_level - 0.5) < 0.05  # KM's median of uniform(2, 4) patience is 3
    as_distribution(fit.document)


def test_patience_with_too_few_abandonments_is_not_fitted_and_says_why() -> None:
    fit = fit_patience_sample(np.array([1.0, 2.0, 3.0]), np.array([True, False, False]), "chat", "s")
    assert fit.reason == "only 1 abandoned contacts (need 10)" and fit.document is None
    assert fit_patience(pd.DataFrame({"channel": ["chat"]})) == {}


# ---------------------------------------------------------------- reopens and replies


def test_reopen_probability_per_resolution_and_its_delay_are_recovered() -> None:
    rng = np.random.default_rng(61)
    n, p = 8000, 0.12
    reopened = rng.random(n) < p
    ids = np.array([f"r{i}" for i in range(n)])
    tickets = pd.DataFrame(
        {"ticket": ids, "category": "bug", "solved": at(np.full(n, 500.0)), "reopens": reopened.astype(int)}
    )
    delay = rng.lognormal(5.0, 0.5, reopened.sum())
    k = int(reopened.sum())
    events = pd.DataFrame(
        {
            "ticket": np.repeat(ids[reopened], 2),
            "time": at(np.ravel(np.column_stack([np.full(k, 100.0), 100.0 + delay]))),
            "kind": "status_change",
            "group": "",
            "status": np.tile(["solved", "reopened"], k),
            "work_minutes": math.nan,
        }
    )
    fits = fit_reopens(tickets, events)
    fit = fits.categories["bug"]
    assert fit.max == 1 and fit.n == n and fit.reopens == k
    assert abs(fit.probability - p) < 3 * fit.probability_se
    assert fit.delay.family == "lognormal"
    assert abs(fit.delay.document["mean"] - math.exp(5.0 + 0.125)) < 3 * fit.delay.mean_se
    no_events = fit_reopens(tickets, None)
    assert no_events.reason == "no solved → reopened status changes in the events: reopen delay not fitted"
    assert no_events.categories["bug"].delay is None and no_events.categories["bug"].probability == fit.probability
    assert (
        fit_reopens(tickets.drop(columns="reopens")).reason == "column 'reopens' or 'solved' absent: reopens not fitted"
    )


def test_reopen_chances_stop_at_the_largest_count_seen() -> None:
    tickets = pd.DataFrame(
        {"ticket": ["a", "b", "c"], "category": "x", "solved": at([1.0, 1.0, math.nan]), "reopens": [2, 0, 1]}
    )
    fit = fit_reopens(tickets).categories["x"]
    # a: 2 reopens, then no chance (max 2); b: one chance; c: one reopen, unsolved: one chance
    assert (fit.max, fit.reopens, fit.n) == (2, 3, 4)


def test_customer_reply_probability_and_delay_are_recovered() -> None:
    rng = np.random.default_rng(71)
    n, p = 6000, 0.3
    ids = np.array([f"c{i}" for i in range(n)])
    waits = rng.random(n) < p
    k = int(waits.sum())
    delay = rng.gamma(2.0, 60.0, k)
    tickets = pd.DataFrame({"ticket": ids, "category": "howto", "solved": at(np.full(n, 2000.0))})
    events = pd.DataFrame(
        {
            "ticket": np.repeat(ids[waits], 2),
            "time": at(np.ravel(np.column_stack([np.full(k, 30.0), 30.0 + delay]))),
            "kind": "status_change",
            "group": "",
            "status": np.tile(["pending", "open"], k),
            "work_minutes": math.nan,
        }
    )
    fit = fit_replies(tickets, events).categories["howto"]
    assert abs(fit.probability - p) < 3 * fit.probability_se
    assert (
        fit.delay.family == "gamma" and abs(as_distribution(fit.delay.document).mean() - 120.0) < 3 * fit.delay.mean_se
    )
    assert fit_replies(tickets, None).reason == "no 'pending' status changes in the events: customer replies not fitted"
