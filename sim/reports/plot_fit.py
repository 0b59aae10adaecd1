"""The fit report's pictures, for checking that the calibration read the export right.

Each function takes a ``Calibration`` (``sim.calibration.calibrate``) and returns a matplotlib
``Figure`` on the Agg canvas, or ``None`` when the export holds nothing to draw (no live channel: no
patience). Pictures stay light at any size: a QQ plot draws at most ``QQ_POINTS`` quantiles and a
survival curve at most ``MAX_CURVE_POINTS`` steps, never a point per ticket. Each draws a fitted
distribution against its data; the escalation paths, a graph rather than a fit, are drawn by
``sim.reports.plot_paths``.

- ``arrival_profile_plot``: per channel, the mean arrivals of each hour of the week against the
  fitted rate × day × hour product, with the band 95 % of hourly means should fall in if the fit holds;
- ``daily_arrivals_plot``: per channel, each day's arrivals against the fitted profile's expectation,
  surge days marked;
- ``handle_qq_plot``: per category × team, the data's quantiles against the fitted family's;
- ``patience_plot``: per live channel, the Kaplan-Meier survival of patience with its Greenwood band,
  the fitted survival, and the naive fit to the abandoners' mean waits for contrast.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from scipy import stats

from sim.calibration.calibrate import Calibration
from sim.calibration.fit_arrivals import ArrivalFit
from sim.calibration.fit_durations import DurationFit, lognormal_mle
from sim.calibration.fit_handle import handle_time_samples
from sim.calibration.fit_patience import PatienceFit
from sim.core.units import HOURS_PER_DAY, HOURS_PER_WEEK, duration_unit
from sim.reports.figures import PALETTE, TIME_UNITS, new_figure, share_axis, time_axis
from sim.reports.plot_optimise import week_axis

QQ_POINTS = 2_000
"""Most quantiles a QQ panel draws (a million handle times are summarised, never plotted)."""
QQ_COLUMNS = 4
MAX_CURVE_POINTS = 2_000
"""Most steps of a Kaplan-Meier curve drawn."""
Z95 = 1.96
SURGE = "#d62728"
EMPIRICAL_LABEL = "empirical (n < 30 or both families rejected)"


def minutes_text(minutes: float, decimals: int = 1, unit: str | None = None) -> str:
    """Minutes as a person reads them, with the unit spelled out: ``1.7 minutes``, ``2.0 hours`` (or in ``unit``)."""
    if minutes != minutes:
        return "n/a"
    scale, name = TIME_UNITS[unit or duration_unit(minutes)]
    return f"{minutes / scale:.{decimals}f} {name}"


# -- arrivals ------------------------------------------------------------------------------------------------------


def hour_of_week_exposure(calibration: Calibration, skip_dates: set[str]) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Hours observed of each hour of the week (168, Monday 00:00 first) and the local hour slots of the period.

    Hours on ``skip_dates`` (``YYYY-MM-DD``, the surge days the fit left out) are not counted.
    """
    slots = pd.date_range(calibration.start, calibration.end, freq="h", inclusive="left")
    local = slots.tz_convert(calibration.tz).tz_localize(None)
    keep = ~np.isin(np.asarray(local.strftime("%Y-%m-%d")), list(skip_dates))
    cell = np.asarray(local.day_of_week * HOURS_PER_DAY + local.hour)
    return np.bincount(cell[keep], minlength=HOURS_PER_WEEK).astype(float), local


def fitted_hourly_rate(fit: ArrivalFit) -> np.ndarray:
    """The fitted arrivals per hour of each hour of the week: rate × day-of-week × hour-of-day."""
    day = np.array(list(fit.day_of_week.values()), dtype=float)
    return fit.rate_per_hour * np.outer(day, np.array(fit.hour_of_day, dtype=float)).ravel()


def channel_panels(calibration: Calibration, height: float) -> tuple[Figure, list[tuple[Axes, ArrivalFit, str]]] | None:
    """A figure with one panel of ``height`` inches per channel whose arrivals were fitted, sharing the x axis.

    Returns the figure and each panel with its channel's fit and colour; None when no channel has a
    profile (each had too few arrivals).
    """
    fits = [f for f in calibration.arrivals.values() if f.observed is not None and f.reason is None]
    if not fits:
        return None
    fig = new_figure(11, 0.9 + height * len(fits))
    axes = fig.subplots(len(fits), 1, sharex=True, squeeze=False)[:, 0]
    return fig, [(ax, fit, PALETTE[i % len(PALETTE)]) for i, (ax, fit) in enumerate(zip(axes, fits, strict=True))]


def arrival_profile_plot(calibration: Calibration) -> Figure | None:
    """Per channel: observed mean arrivals per hour of the week, the fitted profile, and its 95 % band."""
    drawn = channel_panels(calibration, 2.5)
    if drawn is None:
        return None
    fig, panels = drawn
    for ax, fit, color in panels:
        assert fit.observed is not None
        exposure, _ = hour_of_week_exposure(calibration, {s.date for s in fit.surges})
        seen = exposure > 0
        observed = np.where(seen, fit.observed / np.maximum(exposure, 1.0), np.nan)
        rate = fitted_hourly_rate(fit)
        spread = Z95 * np.sqrt(fit.dispersion * rate / np.maximum(exposure, 1.0))
        x = np.arange(HOURS_PER_WEEK + 1) / HOURS_PER_DAY
        low, high = np.where(seen, np.maximum(rate - spread, 0.0), np.nan), np.where(seen, rate + spread, np.nan)
        ax.fill_between(
            x,
            np.append(low, low[-1]),
            np.append(high, high[-1]),
            step="post",
            color=color,
            alpha=0.18,
            lw=0,
            label="where 95 % of hourly means\nshould fall if the fit holds",
        )
        ax.step(x, np.append(rate, rate[-1]), where="post", color=color, lw=1.6, label="fitted rate × day × hour")
        ax.plot((x[:-1] + 0.5 / HOURS_PER_DAY), observed, "o", ms=2.6, color="#222222", label="data: mean of the hour")
        outside = int(((observed < low) | (observed > high))[seen].sum())
        ax.set_title(
            f"{fit.channel}: {fit.rate_per_hour:,.2f} ± {fit.rate_se:.2f} arrivals per hour on average, "
            f"{fit.n:,} arrivals over {fit.hours:,.0f} hours; {outside} of {int(seen.sum())} hours outside the band",
            fontsize=10.5,
            loc="left",
        )
        ax.set_ylim(bottom=0)
        ax.set_ylabel("arrivals per hour")
        ax.grid(axis="y", alpha=0.3)
        week_axis(ax)
    panels[0][0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    panels[-1][0].set_xlabel(f"day of the week (hours on the {calibration.tz} clock)")
    return fig


def daily_counts(calibration: Calibration, fit: ArrivalFit) -> pd.DataFrame:
    """Per local date of the period: the channel's arrivals and the fitted profile's expectation.

    Columns ``date``, ``count``, ``expected``.
    """
    _, local = hour_of_week_exposure(calibration, set())
    rate = fitted_hourly_rate(fit)[np.asarray(local.day_of_week * HOURS_PER_DAY + local.hour)]
    dates = local.normalize()
    expected = pd.Series(rate, index=dates).groupby(level=0).sum()
    tickets = calibration.export.tickets
    created = tickets.loc[tickets["channel"] == fit.channel, "created"].dt.tz_convert(calibration.tz)
    created = created[(created >= calibration.start) & (created < calibration.end)]
    counts = created.dt.tz_localize(None).dt.normalize().value_counts()
    return pd.DataFrame(
        {"date": expected.index, "count": counts.reindex(expected.index, fill_value=0).to_numpy(), "expected": expected}
    ).reset_index(drop=True)


def daily_arrivals_plot(calibration: Calibration) -> Figure | None:
    """Per channel: arrivals of each day against the fitted expectation; surge days in red, with their z."""
    drawn = channel_panels(calibration, 2.2)
    if drawn is None:
        return None
    fig, panels = drawn
    for ax, fit, color in panels:
        days = daily_counts(calibration, fit)
        surge = days["date"].dt.strftime("%Y-%m-%d").isin([s.date for s in fit.surges]).to_numpy()
        ax.bar(days["date"], days["count"], width=0.8, color=np.where(surge, SURGE, color), alpha=0.55, lw=0)
        ax.step(days["date"], days["expected"], where="mid", color="#222222", lw=1.3)
        for s in fit.surges:
            at = pd.Timestamp(s.date)
            ax.annotate(
                f"surge ×{s.multiplier:.1f}\nz = {s.z:.1f}",
                (at, s.count),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=SURGE,
            )
        ax.set_ylim(0, 1.25 * max(float(days["count"].max()), float(days["expected"].max()), 1.0))
        surges = f"{len(fit.surges)} surge day{'s' * (len(fit.surges) != 1)}" if fit.surges else "no surge days"
        ax.set_title(f"{fit.channel}: arrivals per day; {surges}", fontsize=10.5, loc="left")
        ax.set_ylabel("arrivals per day")
        ax.grid(axis="y", alpha=0.3)
    handles = [
        Patch(color=PALETTE[0], alpha=0.55),
        Line2D([], [], color="#222222", lw=1.3),
        Patch(color=SURGE, alpha=0.55),
    ]
    labels = ["data: arrivals that day", "fitted profile's expectation", "surge day (left out of the fit)"]
    panels[0][0].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    bottom = panels[-1][0]
    bottom.xaxis.set_major_locator(AutoDateLocator(minticks=4, maxticks=12))
    bottom.xaxis.set_major_formatter(DateFormatter("%a %-d %b"))
    bottom.set_xlabel(f"date ({calibration.tz} clock)")
    return fig


# -- handle times --------------------------------------------------------------------------------------------------


def fitted_quantiles(document: dict, levels: np.ndarray) -> np.ndarray | None:
    """Quantiles of a fitted lognormal or gamma document at ``levels``; None for other families."""
    if document.get("dist") == "lognormal":
        mean, sd = float(document["mean"]), float(document["sd"])
        sigma = math.sqrt(math.log1p((sd / mean) ** 2))
        return np.asarray(stats.lognorm(sigma, scale=mean * math.exp(-(sigma**2) / 2)).ppf(levels))
    if document.get("dist") == "gamma":
        return np.asarray(stats.gamma(float(document["shape"]), scale=float(document["scale"])).ppf(levels))
    return None


def qq_points(values: np.ndarray, fit: DurationFit) -> tuple[np.ndarray, np.ndarray, str]:
    """(fitted quantiles, data quantiles, the family compared) at up to ``QQ_POINTS`` levels (i + 0.5) / m.

    An empirical fit is compared with the lognormal fitted to the same values, to show why it was not used.
    """
    m = min(len(values), QQ_POINTS)
    levels = (np.arange(m) + 0.5) / m
    data = np.quantile(values, levels)
    assert fit.document is not None
    theory = fitted_quantiles(fit.document, levels)
    if theory is not None:
        return theory, data, str(fit.family)
    mu, sigma, _ = lognormal_mle(values)
    return np.asarray(stats.lognorm(sigma, scale=math.exp(mu)).ppf(levels)), data, "lognormal, not used"


def qq_panels(calibration: Calibration) -> list[tuple[str, str, DurationFit, np.ndarray]]:
    """The (category, team, fit, positive values) a QQ panel can be drawn for: at least 2 distinct values."""
    samples, _ = handle_time_samples(calibration.export.tickets, calibration.export.events)
    groups = {
        (str(c), str(t)): g.to_numpy(dtype=float)
        for (c, t), g in samples.groupby(["category", "group"])["work_minutes"]
    }
    panels = []
    for (category, team), fit in calibration.handle.fits.items():
        values = groups.get((category, team), np.empty(0))
        values = values[np.isfinite(values) & (values > 0)]
        if fit.document is None or fit.family == "fixed" or len(np.unique(values[:QQ_POINTS])) < 2:
            continue
        panels.append((category, team, fit, values))
    return panels


def handle_qq_plot(calibration: Calibration) -> Figure | None:
    """Small multiples: per category × team, the data's quantiles against the fitted distribution's, with y = x."""
    panels = qq_panels(calibration)
    if not panels:
        return None
    columns = min(QQ_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    fig = new_figure(max(6.0, 2.85 * columns), 0.3 + 3.4 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, (category, team, fit, values) in zip(axes, panels, strict=False):
        theory, data, compared = qq_points(values, fit)
        parametric = fit.family in ("lognormal", "gamma")
        color = PALETTE[0] if parametric else PALETTE[7]
        top = float(max(theory.max(), data.max())) * 1.04
        ax.plot([0, top], [0, top], color="#444444", lw=1.0, ls="--", zorder=1)
        ax.plot(theory, data, "o", ms=2.4, color=color, alpha=0.7, zorder=2)
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        ax.set_aspect("equal", adjustable="box")
        title = f"{category} at {team}: {fit.family}" if parametric else f"{category} at {team}"
        facts = f"n = {fit.n:,}, mean {minutes_text(fit.mean)}"
        ax.set_title(f"{title}\n{facts}" + ("" if parametric else f"\n{EMPIRICAL_LABEL}"), fontsize=9.5)
        unit = time_axis(ax, "x", f"{compared} quantile", largest=top)
        time_axis(ax, "y", "data quantile", largest=top)
        ax.xaxis.label.set_fontsize(9)
        ax.yaxis.label.set_fontsize(9)
        ax.tick_params(labelsize=8.5)
        ax.grid(alpha=0.25)
        assert unit
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return fig


# -- patience ------------------------------------------------------------------------------------------------------


def _thin(n: int, most: int = MAX_CURVE_POINTS) -> np.ndarray:
    """At most ``most`` indices spread over ``range(n)``, first and last kept."""
    return np.arange(n) if n <= most else np.unique(np.linspace(0, n - 1, most).round().astype(int))


def fitted_survival(fit: PatienceFit, t: np.ndarray) -> np.ndarray:
    """The fitted patience's survival at ``t``: exponential, or the empirical document's step function."""
    assert fit.document is not None
    if fit.document.get("dist") == "exponential":
        return np.exp(-t / float(fit.document["mean"]))
    values = np.sort(np.asarray(fit.document["values"], dtype=float))
    return 1.0 - np.searchsorted(values, t, side="right") / len(values)


def patience_plot(calibration: Calibration) -> Figure | None:
    """Per live channel: Kaplan-Meier survival of patience with a 95 % band, the fit, and the naive abandoners' fit."""
    fits = [f for f in calibration.patience.values() if f.km is not None and f.document is not None]
    if not fits:
        return None
    columns = min(2, len(fits))
    rows = math.ceil(len(fits) / columns)
    fig = new_figure(11, 0.4 + 5.3 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, fit, color in zip(axes, fits, PALETTE, strict=False):
        assert fit.km is not None
        km = fit.km
        keep = _thin(len(km.times))
        t = np.concatenate([[0.0], km.times[keep]])
        s = np.concatenate([[1.0], km.survival[keep]])
        se = np.concatenate([[0.0], km.se[keep]])
        reach = km.times[km.at_risk >= 20]
        right = float(min(reach[-1] if len(reach) else km.times[-1], 6 * fit.mean))
        ax.fill_between(
            t,
            np.clip(s - Z95 * se, 0, 1),
            np.clip(s + Z95 * se, 0, 1),
            step="post",
            color=color,
            alpha=0.2,
            lw=0,
            label="Kaplan-Meier 95 % band (Greenwood)",
        )
        ax.step(t, s, where="post", color=color, lw=1.8, label="Kaplan-Meier: data with censoring")
        grid = np.linspace(0.0, right, 400)
        if fit.family == "exponential":
            label = f"fitted: exponential, mean {minutes_text(fit.mean)}"
            ax.plot(grid, fitted_survival(fit, grid), color="#222222", lw=1.4, ls="--", label=label)
        else:
            ax.step(
                grid,
                fitted_survival(fit, grid),
                where="post",
                color="#222222",
                lw=1.4,
                ls="--",
                label="fitted: empirical (Kaplan-Meier quantiles)",
            )
            ax.plot(
                grid,
                np.exp(-grid / fit.mean),
                color="#888888",
                lw=1.1,
                ls="-.",
                label=f"exponential, mean {minutes_text(fit.mean)} (rejected)",
            )
        ax.plot(
            grid,
            np.exp(-grid / fit.naive_mean),
            color=SURGE,
            lw=1.2,
            ls=":",
            label="naive: exponential at the abandoners' mean",
        )
        ax.text(
            0.97,
            0.97,
            f"censored mean: {minutes_text(fit.mean)} ± {minutes_text(fit.mean_se, 2, duration_unit(fit.mean))}\n"
            f"naive mean of abandoners: {minutes_text(fit.naive_mean)}\n"
            "— biased low, only the impatient abandon\n"
            f"{fit.abandoned:,} of {fit.n:,} contacts abandoned",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#bbbbbb", "alpha": 0.9},
        )
        ax.set_xlim(0, right)
        ax.set_ylim(0, 1.02)
        share_axis(ax, "y")
        time_axis(ax, "x", "wait in the first queue", largest=right)
        ax.set_ylabel("share still willing to wait")
        ax.set_title(f"{fit.channel}: patience ({fit.family})", fontsize=10.5, loc="left")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.16), fontsize=9, frameon=False)
    for ax in axes[len(fits) :]:
        ax.set_visible(False)
    return fig
