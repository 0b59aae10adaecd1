"""Arrivals follow the channel's rate profile: hour of day, day of week and surges.

Counts in disjoint intervals of a (non-homogeneous) Poisson process are independent Poisson
variables, so the counts per bin are compared with their expected means by a chi-square
goodness-of-fit statistic, sum (O - E)^2 / E over bins with E > 0, against a chi-square law with
one degree of freedom per bin (the total is not fixed in advance). The seed is fixed, so each test
is deterministic; alpha = 0.001 means that a correct engine fails it for about one seed in a
thousand, while an engine that ignored the profile fails it by hundreds of standard deviations.
"""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import build, fixed
from scipy import stats

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.demand import ChannelDemand
from sim.engine.replication import run_replication
from sim.engine.streams import Streams
from sim.scenario.spec import ChannelSpec

ALPHA = 0.001
DAY = MINUTES_PER_DAY
PROFILE = [
    0.0,
    0.0,
    0.1,
    0.1,
    0.2,
    0.4,
    0.8,
    1.2,
    1.8,
    2.4,
    2.6,
    2.3,
    1.8,
    2.0,
    2.3,
    2.1,
    1.8,
    1.3,
    0.8,
    0.5,
    0.3,
    0.2,
    0.1,
    0.0,
]


def arrived(channel: dict, days: float, categories: list[dict] | None = None, **fields) -> pd.DataFrame:
    """The tickets of one replication of a single-channel scenario with plenty of fast agents."""
    categories = categories or [{"name": "question", "handle_time": fixed(0.01)}]
    scenario = build(
        horizon=days * DAY, channels=[channel], categories=categories, teams=[{"name": "desk", "agents": 50}], **fields
    )
    return run_replication(scenario, record_events=False).tickets


def chi_square_p(observed: np.ndarray, expected: np.ndarray) -> float:
    """P-value of independent Poisson counts ``observed`` having means ``expected`` (bins with E > 0)."""
    used = expected > 0
    statistic = float(np.sum((observed[used] - expected[used]) ** 2 / expected[used]))
    return float(stats.chi2.sf(statistic, df=int(used.sum())))


def test_counts_per_hour_of_day_follow_the_profile():
    days, rate = 7, 40.0
    tickets = arrived(
        {"name": "phone", "rate_per_hour": rate, "hour_of_day": PROFILE, "category_mix": {"question": 1}}, days
    )
    hours = (tickets["arrival"].to_numpy() % DAY // MINUTES_PER_HOUR).astype(int)
    observed = np.bincount(hours, minlength=24)
    expected = np.array(PROFILE) * rate * days
    assert chi_square_p(observed, expected) > ALPHA
    assert observed[[0, 1, 23]].tolist() == [0, 0, 0]


def test_a_flat_profile_is_rejected_by_the_same_check():
    """The goodness-of-fit test has power: hourly counts of a flat rate do not fit the peaked profile."""
    days, rate = 7, 40.0
    tickets = arrived({"name": "phone", "rate_per_hour": rate, "category_mix": {"question": 1}}, days)
    hours = (tickets["arrival"].to_numpy() % DAY // MINUTES_PER_HOUR).astype(int)
    expected = np.array(PROFILE) * rate * days
    assert chi_square_p(np.bincount(hours, minlength=24), expected) < ALPHA


def test_counts_per_day_follow_the_day_of_week_multipliers_from_the_start_weekday():
    days, rate = 14, 20.0
    weekly = {"mon": 1.5, "wed": 3.0, "sat": 0.2, "sun": 0.0}
    tickets = arrived(
        {"name": "phone", "rate_per_hour": rate, "day_of_week": weekly, "category_mix": {"question": 1}},
        days,
        start_date="2026-01-07",
    )  # a Wednesday
    observed = np.bincount((tickets["arrival"].to_numpy() // DAY).astype(int), minlength=days)
    names = ["wed", "thu", "fri", "sat", "sun", "mon", "tue"]
    expected = np.array([weekly.get(names[d % 7], 1.0) * rate * 24 for d in range(days)])
    assert chi_square_p(observed, expected) > ALPHA
    assert observed[[4, 11]].tolist() == [0, 0]  # Sundays
    assert observed[0] > 2 * observed[1]  # Wednesday 3x, Thursday 1x


def test_surge_multiplies_arrivals_in_its_window_and_switches_the_category_mix():
    start, length, rate, multiplier = 600.0, 120.0, 60.0, 4.0
    categories = [{"name": "question", "handle_time": fixed(0.01)}, {"name": "outage", "handle_time": fixed(0.01)}]
    tickets = arrived(
        {
            "name": "phone",
            "rate_per_hour": rate,
            "category_mix": {"question": 1},
            "surges": [{"start": start, "duration": length, "multiplier": multiplier, "category_mix": {"outage": 1}}],
        },
        1,
        categories,
    )
    inside = (tickets["arrival"] >= start) & (tickets["arrival"] < start + length)
    observed = np.array([inside.sum(), (~inside).sum()])
    expected = np.array([rate * multiplier * length / MINUTES_PER_HOUR, rate * (DAY - length) / MINUTES_PER_HOUR])
    assert chi_square_p(observed, expected) > ALPHA
    assert set(tickets.loc[inside, "category"].astype(str)) == {"outage"}
    assert set(tickets.loc[~inside, "category"].astype(str)) == {"question"}


def test_zero_rate_hours_get_no_arrivals_over_many_days():
    profile = [0.0] * 6 + [1.0] * 18
    tickets = arrived(
        {"name": "phone", "rate_per_hour": 120, "hour_of_day": profile, "category_mix": {"question": 1}}, 5
    )
    hours = tickets["arrival"].to_numpy() % DAY // MINUTES_PER_HOUR
    assert len(tickets) > 5000
    assert hours.min() == 6


def test_a_channel_with_rate_zero_produces_no_tickets():
    tickets = arrived({"name": "phone", "rate_per_hour": 0, "category_mix": {"question": 1}}, 1)
    assert len(tickets) == 0


def one_at_a_time(demand: ChannelDemand, streams: Streams, horizon: float) -> list[float]:
    """The arrival times by the scalar thinning loop: one candidate, one gap and one uniform at a time."""
    gaps, thinning = streams.uniform(f"arrivals.{demand.name}"), streams.uniform(f"thinning.{demand.name}")
    times, t = [], 0.0
    while True:
        t -= 1.0 / demand.peak * math.log1p(-gaps())
        if t >= horizon:
            return times
        if demand.constant or thinning() * demand.peak < demand.rate(t):
            times.append(t)


THINNED_CHANNELS = {
    "constant rate": {"rate_per_hour": 40},
    "hour and day profiles": {"rate_per_hour": 25, "hour_of_day": PROFILE, "day_of_week": {"sat": 0.3, "sun": 0.0}},
    "overlapping surges": {
        "rate_per_hour": 12,
        "hour_of_day": PROFILE,
        "surges": [
            {"start": "33h", "duration": "2d", "multiplier": 3.0},
            {"start": "2d", "duration": "5h", "multiplier": 0.7},
        ],
    },
    "uncertain forecast": {"rate_per_hour": 30, "hour_of_day": PROFILE, "volume_uncertainty": {"cv": 0.3}},
}


@pytest.mark.parametrize("fields", THINNED_CHANNELS.values(), ids=THINNED_CHANNELS.keys())
def test_block_arrival_times_equal_the_one_at_a_time_thinning_to_the_bit(fields: dict) -> None:
    """Candidates computed a block at a time keep every float of the scalar loop, across many blocks.

    Summing each block's gaps pairwise, or numpy's logarithm where it rounds differently, or a
    thinning uniform off by one candidate, moves some times, which this equality sees.
    """
    horizon = 9 * DAY + 123.4  # about 20 blocks of candidates on the busiest channel, ending mid-block
    spec = ChannelSpec(name="phone", category_mix={"question": 1}, **fields)
    for seed in (1, 2):
        demand = ChannelDemand(spec, start_weekday=3, horizon=horizon, streams=Streams(seed, 4))
        expected = one_at_a_time(demand, Streams(seed, 4), horizon)
        assert len(expected) > 3000
        assert list(demand.arrival_times(0.0, horizon)) == expected


@pytest.mark.parametrize("fields", THINNED_CHANNELS.values(), ids=THINNED_CHANNELS.keys())
def test_rates_at_many_times_equal_the_rate_at_each(fields: dict) -> None:
    """The vector of rates the thinning compares with is the scalar rate function's, value for value."""
    horizon = 9 * DAY
    spec = ChannelSpec(name="phone", category_mix={"question": 1}, **fields)
    demand = ChannelDemand(spec, start_weekday=5, horizon=horizon, streams=Streams(7))
    times = np.sort(np.r_[np.random.default_rng(0).uniform(0, horizon, 5000), np.arange(0, horizon, 30.0)])
    assert demand.rates(times).tolist() == [demand.rate(t) for t in times.tolist()]
