"""The numpy paths of the KPIs (issue 17) give what the pandas operations they replace give, to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.intervals import level_series
from sim.analysis.ticket_columns import CountedTickets, nan_mean, nan_quantile


def same_float(a: float, b: float) -> bool:
    return np.float64(a).tobytes() == np.float64(b).tobytes()


@pytest.mark.parametrize("seed", range(40))
def test_nan_mean_and_quantile_are_the_series_mean_and_quantile_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.exponential(10.0, int(rng.integers(0, 20_000))) * rng.choice([1e-3, 1.0, 1e5])
    if seed % 2:  # NaNs: pandas sums with them set to 0, which can change the last bit of the sum
        values[rng.random(len(values)) < rng.random()] = np.nan
    series = pd.Series(values)
    assert same_float(nan_mean(values), series.mean())
    for q in (0.5, 0.9):
        assert same_float(nan_quantile(values, q), series.quantile(q))


def test_nan_mean_and_quantile_of_nothing_are_nan() -> None:
    for values in (np.empty(0), np.array([np.nan, np.nan])):
        assert np.isnan(nan_mean(values))
        assert np.isnan(nan_quantile(values, 0.5))


@pytest.mark.parametrize("categorical", [True, False])
def test_counted_tickets_select_as_the_table_does(categorical: bool) -> None:
    rng = np.random.default_rng(7)
    labels = pd.Series(rng.choice(["phone", "chat", "email"], 500), dtype="category" if categorical else object)
    labels[::11] = None
    table = pd.DataFrame({"channel": labels, "wait": rng.exponential(1.0, 500)})
    keep = rng.random(500) < 0.7
    counted = CountedTickets(table, keep)
    kept = table[keep]
    assert len(counted) == len(kept)
    assert np.array_equal(counted.column("wait"), kept["wait"].to_numpy())
    for name in ("phone", "chat", "sms"):
        assert np.array_equal(counted.equals("channel", name), (kept["channel"] == name).to_numpy())
    assert np.array_equal(counted.isin("channel", ["phone", "sms"]), kept["channel"].isin(["phone", "sms"]).to_numpy())
    assert counted.frame.equals(kept)


@pytest.mark.parametrize("categorical", [True, False])
def test_level_series_are_the_groups_of_the_table_in_order_of_appearance(categorical: bool) -> None:
    rng = np.random.default_rng(3)
    dtype = "category" if categorical else object
    levels = pd.DataFrame(
        {
            "time": np.sort(rng.random(300)) * 100,
            "team": pd.Series(rng.choice(["tier2", "tier1", "billing"], 300), dtype=dtype),
            "metric": pd.Series(rng.choice(["queue", "busy", "staffed"], 300), dtype=dtype),
            "value": rng.integers(0, 9, 300).astype(float),
        }
    )
    series = level_series(levels)
    groups = levels.groupby(["team", "metric"], sort=False, observed=True)
    assert list(series) == [(str(team), str(metric)) for team, metric in groups.groups]
    for (team, metric), rows in groups:
        times, values = series[(team, metric)]
        assert np.array_equal(times, rows["time"].to_numpy()) and np.array_equal(values, rows["value"].to_numpy())
