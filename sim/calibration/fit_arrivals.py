"""Arrival rate per channel with hour-of-day and day-of-week multipliers, and days that look like surges.

The scenario's demand (``sim.engine.demand``) is, in hour h of weekday d,
``rate_per_hour × day_of_week[d] × hour_of_day[h]`` arrivals per hour: a product model. Its
maximum-likelihood fit to Poisson counts is found by iterative proportional fitting over the
7 × 24 table of counts with the hours each cell was observed (exposure): the fitted rates then
reproduce the observed count of every hour of the day and of every weekday exactly (the MLE's
margins). The multipliers are normalised to average 1 (hour of day over 24 hours, day of week over 7
days), so ``rate_per_hour`` is the mean rate of an average week. An hour × weekday interaction
(Monday mornings busier than other mornings) is beyond a product model; ``interaction_deviance``
measures how much of it the data show.

**Surge rule.** Each day's count N is compared with what the profile predicts for it, μ. With the
over-dispersion φ estimated robustly from all days (the median squared Pearson residual divided by
0.455, the median of χ²₁; at least 1), a day is a surge when ``z = (N − μ) / sqrt(φ μ) > 4``. The
fit is repeated without the flagged days until no new day is flagged (at most 5 rounds), so a surge
inflates neither the rate nor its weekday; flagged days are returned with their multiplier N / μ,
ready to be written as ``surges``. A surge shows only against other days of its weekday: an export
shorter than two weeks cannot reveal one (its weekday factor absorbs it).

Hours and days are those of the wall clock in ``tz`` (a scenario's hour 0 is local midnight); a
daylight-saving day has 23 or 25 hours of exposure, and its hours are counted as the clock shows them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.core.units import DAYS_PER_WEEK, HOURS_PER_DAY, HOURS_PER_WEEK
from sim.scenario.spec import WEEKDAYS

SURGE_Z = 4.0
"""A day whose over-dispersed z-score exceeds this is flagged as a surge."""
MEDIAN_CHI2_1 = 0.4549364231195724
"""Median of a χ² variable with one degree of freedom: scales the median squared residual to a dispersion."""
MIN_ARRIVALS = 24
"""Fewer arrivals than this on a channel: no profile is fitted (one per hour of the day, on average)."""


@dataclass(frozen=True)
class SurgeDay:
    """A day whose count is far above the profile's prediction."""

    date: str
    count: int
    expected: float
    z: float

    @property
    def multiplier(self) -> float:
        """Observed over expected: the ``multiplier`` of a day-long surge."""
        return self.count / self.expected


@dataclass(frozen=True)
class ArrivalFit:
    """One channel's fitted demand in the scenario's terms, with its sample size and source."""

    channel: str
    source: str
    n: int
    """Arrivals used (not on surge days)."""
    hours: float = 0.0
    """Hours of exposure used."""
    rate_per_hour: float = math.nan
    rate_se: float = math.nan
    """Standard error of the rate: sqrt(φ n) / hours."""
    hour_of_day: list[float] = field(default_factory=list)
    hour_of_day_se: list[float] = field(default_factory=list)
    day_of_week: dict[str, float] = field(default_factory=dict)
    day_of_week_se: dict[str, float] = field(default_factory=dict)
    dispersion: float = math.nan
    """Robust over-dispersion φ of the daily counts (1: Poisson)."""
    surges: list[SurgeDay] = field(default_factory=list)
    observed: np.ndarray | None = None
    """Counts per hour of the week (168, Monday 00:00 first), surge days left out."""
    expected: np.ndarray | None = None
    """The fitted counts of the same cells (rate × multipliers × exposure)."""
    observed_rate: float = math.nan
    """Arrivals per hour over the hours used (n / hours): equals ``rate_per_hour`` over whole weeks."""
    interaction_deviance: float = math.nan
    """Poisson deviance of the product model over the 168 cells (df about 168 − 30): the hour × day interaction."""
    reason: str | None = None


def _product_fit(counts: np.ndarray, exposure: np.ndarray, rounds: int = 200) -> tuple[float, np.ndarray, np.ndarray]:
    """Rate, day factors (7) and hour factors (24) of the Poisson product model, each factor averaging 1."""
    c, e = counts.reshape(DAYS_PER_WEEK, HOURS_PER_DAY), exposure.reshape(DAYS_PER_WEEK, HOURS_PER_DAY)
    day, hour = np.ones(DAYS_PER_WEEK), np.ones(HOURS_PER_DAY)
    for _ in range(rounds):
        hour_new = c.sum(0) / np.maximum((e * day[:, None]).sum(0), 1e-300)
        day_new = c.sum(1) / np.maximum((e * hour_new[None, :]).sum(1), 1e-300)
        done = np.allclose(hour_new, hour, rtol=1e-12) and np.allclose(day_new, day, rtol=1e-12)
        hour, day = hour_new, day_new
        if done:
            break
    seen_h, seen_d = e.sum(0) > 0, e.sum(1) > 0
    hour_mean, day_mean = hour[seen_h].mean(), day[seen_d].mean()
    hour = np.where(seen_h, hour / hour_mean, 1.0)
    day = np.where(seen_d, day / day_mean, 1.0)
    return float(hour_mean * day_mean), day, hour


def _deviance(counts: np.ndarray, expected: np.ndarray) -> float:
    """Poisson deviance 2 Σ [c log(c / μ) − (c − μ)] over cells with exposure."""
    mask = expected > 0
    c, mu = counts[mask], expected[mask]
    term = np.where(c > 0, c * np.log(np.where(c > 0, c, 1.0) / mu), 0.0) - (c - mu)
    return float(2.0 * term.sum())


def fit_channel_arrivals(
    created: pd.Series, channel: str, start: pd.Timestamp, end: pd.Timestamp, tz: str = "UTC"
) -> ArrivalFit:
    """Fit one channel from its arrival times ``created`` over [start, end), hours and days in ``tz``."""
    source = "tickets.created"
    # wall-clock (naive local) times: a day is a calendar date even when daylight saving makes it 23 or 25 hours
    slots = pd.date_range(start, end, freq="h", inclusive="left").tz_convert(tz).tz_localize(None)
    if len(created) < MIN_ARRIVALS:
        return ArrivalFit(channel, source, len(created), reason=f"only {len(created)} arrivals (need {MIN_ARRIVALS})")
    local = created.dt.tz_convert(tz).dt.tz_localize(None)
    first_day = slots[0].normalize()
    slot_cell = (slots.day_of_week * HOURS_PER_DAY + slots.hour).to_numpy()
    slot_day = ((slots.normalize() - first_day).days).to_numpy()
    cell = (local.dt.day_of_week * HOURS_PER_DAY + local.dt.hour).to_numpy()
    day_index = ((local.dt.normalize() - first_day).dt.days).to_numpy()
    n_days = int(slot_day.max()) + 1
    day_index = np.clip(day_index, 0, n_days - 1)
    day_counts = np.bincount(day_index, minlength=n_days)[:n_days]
    dates = (first_day + pd.to_timedelta(np.arange(n_days), unit="D")).strftime("%Y-%m-%d")
    flagged = np.zeros(n_days, dtype=bool)
    for _ in range(5):
        keep_slot, keep_row = ~flagged[slot_day], ~flagged[day_index]
        exposure = np.bincount(slot_cell[keep_slot], minlength=HOURS_PER_WEEK).astype(float)
        counts = np.bincount(cell[keep_row], minlength=HOURS_PER_WEEK).astype(float)
        rate, day, hour = _product_fit(counts, exposure)
        per_slot = rate * day[slot_cell // HOURS_PER_DAY] * hour[slot_cell % HOURS_PER_DAY]
        mu = np.bincount(slot_day, weights=per_slot, minlength=n_days)
        pearson = (day_counts - mu) / np.sqrt(np.maximum(mu, 1e-300))
        phi = max(1.0, float(np.median(pearson[~flagged] ** 2)) / MEDIAN_CHI2_1)
        z = pearson / math.sqrt(phi)
        new = (z > SURGE_Z) & (mu > 0)
        if np.array_equal(new | flagged, flagged) or not day_counts[~(flagged | new)].any():
            break  # nothing new, or every arrival would be a surge's: no ordinary day left to fit
        flagged |= new
    n, hours = int(counts.sum()), float(exposure.sum())
    expected = rate * np.outer(day, hour).ravel() * exposure
    by_hour = counts.reshape(DAYS_PER_WEEK, HOURS_PER_DAY).sum(0)
    by_day = counts.reshape(DAYS_PER_WEEK, HOURS_PER_DAY).sum(1)
    day_se = day / np.sqrt(np.maximum(by_day, 1.0)) * math.sqrt(phi)
    return ArrivalFit(
        channel,
        source,
        n,
        hours=hours,
        rate_per_hour=rate,
        rate_se=math.sqrt(phi * n) / hours,
        hour_of_day=hour.tolist(),
        hour_of_day_se=(hour / np.sqrt(np.maximum(by_hour, 1.0)) * math.sqrt(phi)).tolist(),
        day_of_week=dict(zip(WEEKDAYS, day.tolist(), strict=True)),
        day_of_week_se=dict(zip(WEEKDAYS, day_se.tolist(), strict=True)),
        dispersion=phi,
        surges=[
            SurgeDay(str(dates[i]), int(day_counts[i]), float(mu[i]), float(z[i])) for i in np.flatnonzero(flagged)
        ],
        observed=counts,
        expected=expected,
        observed_rate=n / hours,
        interaction_deviance=_deviance(counts, expected),
    )


def export_period(created: pd.Series, tz: str = "UTC") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Whole hours from the first arrival's to the one after the last arrival's.

    Hours, not days: an export that stops at noon would otherwise show a half-empty last day, which
    drags its weekday down and makes the same weekday of other weeks look like surges.
    """
    local = created.dt.tz_convert(tz)
    return local.min().floor("h"), local.max().floor("h") + pd.Timedelta(hours=1)


def fit_arrivals(
    tickets: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    tz: str = "UTC",
) -> dict[str, ArrivalFit]:
    """Per channel: rate, profiles and surge days over [start, end) (default: ``export_period``)."""
    if "created" not in tickets.columns or "channel" not in tickets.columns or tickets.empty:
        return {}
    created = tickets["created"]
    default_start, default_end = export_period(created, tz)
    start = default_start if start is None else start
    end = default_end if end is None else end
    inside = (created >= start) & (created < end)
    return {
        str(channel): fit_channel_arrivals(group, str(channel), start, end, tz)
        for channel, group in created[inside].groupby(tickets.loc[inside, "channel"], sort=True)
    }
