"""Pictures of a sweep: each KPI against each parameter, a heatmap for two, and the staffing trade-off.

All take the sweep's points table (``SweepResult.points`` or a folder's ``points.parquet``: a row
per point with its parameter values and each KPI's ``_mean``, ``_ci_low`` and ``_ci_high``) and
return a matplotlib ``Figure``. On a grid of one or two parameters, each KPI is a line with a
95 % band per value of the other parameter; on samples (random, Latin hypercube, Sobol', Halton, lists) each
point is a dot with its interval. A staffing sweep's cheapest point that meets every service
goal (see ``sim.analysis.staffing``) is drawn as a star.
"""

from __future__ import annotations

import json
import math
from typing import TypedDict

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.analysis.kpi_catalogue import SHARE, kpi_info
from sim.analysis.staffing import Cheapest, meets_goals
from sim.core.units import duration_unit
from sim.reports.display import format_value
from sim.reports.figures import (
    MIN_SHARE_SPAN,
    NICE_STEPS,
    PALETTE,
    SHARE_UNITS,
    TIME_UNITS,
    ScaledLocator,
    integer_axis,
    new_figure,
    plain_number,
    share_decimals,
    share_text,
)
from sim.reports.plots_compare import value_axis


class _ScatterStyle(TypedDict):
    """Keyword arguments of ``Axes.scatter`` fixed by a style, typed so mypy checks them against matplotlib."""

    marker: str
    s: float
    color: str
    edgecolors: str
    linewidths: float
    zorder: float


STAR: _ScatterStyle = {
    "marker": "*",
    "s": 260,
    "color": "#ffd700",
    "edgecolors": "#222222",
    "linewidths": 1.0,
    "zorder": 5,
}
"""How the cheapest point meeting every goal is drawn: a gold star above everything else."""


def _hollow(ax: Axes, x: np.ndarray, y: np.ndarray, colour: str, label: str) -> None:
    """Staffing points that miss a goal: hollow circles, red for this panel's goal, grey for another's."""
    ax.scatter(x, y, s=42, facecolors="white", edgecolors=colour, lw=1.5, zorder=3, label=label)


def short_name(parameter: str) -> str:
    """A parameter path shortened for an axis label: ``teams.tier1.shifts[0].agents`` -> ``tier1.shifts[0].agents``."""
    parts = parameter.split(".")
    return ".".join(parts[1:]) if len(parts) > 2 else parameter


def value_label(text: str, width: int = 24) -> str:
    """A parameter value for a tick: a JSON mapping or list as its values (``exponential, 2m``), shortened."""
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        value = ", ".join(str(v) for v in value.values())
    elif isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    value = str(value)
    return value if len(value) <= width else value[: width - 1] + "…"


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values)


def _whole_numbers(values: pd.Series) -> bool:
    """Whether a parameter's values are all whole numbers (head counts): ticked on integers only."""
    if not _numeric(values):
        return False
    numbers = values.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)))


def _positions(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """X positions of parameter values: the numbers themselves, or category indices with their labels."""
    if _numeric(values):
        return values.to_numpy(dtype=float), None
    labels = list(dict.fromkeys(values.astype(str)))
    return np.array([labels.index(v) for v in values.astype(str)], dtype=float), labels


def sweep_kpi_plot(
    points: pd.DataFrame, parameters: list[str], kpis: list[str], design: str, cheapest: Cheapest | None = None
) -> Figure:
    """A panel per (KPI, parameter): the KPI's mean against the parameter, with its 95 % interval."""
    cols, rows = len(parameters), len(kpis)
    fig = new_figure(max(5.0, 4.3 * cols), 2.7 * rows + 0.5)
    fig.suptitle("Each KPI against each swept parameter (band / whiskers: 95% interval)")
    lines = design == "grid" and len(parameters) <= 2
    for r, kpi in enumerate(kpis):
        info = kpi_info(kpi)
        for c, parameter in enumerate(parameters):
            ax = fig.add_subplot(rows, cols, r * cols + c + 1)
            others = [p for p in parameters if p != parameter]
            if lines:
                _lines(ax, points, parameter, others[0] if others else None, kpi)
            else:
                _dots(ax, points, parameter, kpi)
            if cheapest is not None:
                best = (points["point_id"] == cheapest.point_id).to_numpy()
                x, _ = _positions(points[parameter])
                ax.scatter(x[best], points[f"{kpi}_mean"].to_numpy()[best], label="cheapest meeting goals", **STAR)
            if cheapest is not None and kpi in cheapest.goals:
                ax.axhline(cheapest.goals[kpi], color="#d62728", ls="--", lw=1, label="goal")
            value_axis(ax, info.unit, label=info.label if c == 0 else "")
            ax.yaxis.label.set_fontsize(9)
            if _whole_numbers(points[parameter]):
                integer_axis(ax, "x")
            ax.set_xlabel(short_name(parameter) if r == rows - 1 else "")
            ax.grid(alpha=0.3)
            if r == 0 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8.5, loc="best")
    return fig


def _lines(ax: Axes, points: pd.DataFrame, parameter: str, other: str | None, kpi: str) -> None:
    """One line with a band per value of ``other`` (or a single line)."""
    groups = points.groupby(other, sort=True) if other else [(None, points)]
    for j, (value, group) in enumerate(groups):
        group = group.sort_values(parameter)
        x, labels = _positions(group[parameter])
        color = PALETTE[j % len(PALETTE)]
        label = f"{short_name(other)} = {value}" if other else None
        ax.plot(x, group[f"{kpi}_mean"], "o-", color=color, ms=4, lw=1.5, label=label)
        ax.fill_between(x, group[f"{kpi}_ci_low"], group[f"{kpi}_ci_high"], color=color, alpha=0.18, lw=0)
        if labels:
            ax.set_xticks(range(len(labels)), [value_label(text) for text in labels], fontsize=8.5)


def _dots(ax: Axes, points: pd.DataFrame, parameter: str, kpi: str) -> None:
    """Every point as a dot with whiskers at its interval."""
    x, labels = _positions(points[parameter])
    mean = points[f"{kpi}_mean"].to_numpy(dtype=float)
    errors = np.vstack(
        [mean - points[f"{kpi}_ci_low"].to_numpy(dtype=float), points[f"{kpi}_ci_high"].to_numpy(dtype=float) - mean]
    )
    ax.errorbar(x, mean, yerr=np.nan_to_num(errors), fmt="o", ms=4, color=PALETTE[0], ecolor="#9ab7d3", capsize=2)
    if labels:
        ax.set_xticks(range(len(labels)), [value_label(text) for text in labels], fontsize=8.5)


HIGHER_IS_BETTER = {
    "service_level",
    "intervals_met",
    "first_response_attainment",
    "resolution_attainment",
    "fcr",
    "resolved",
    "backlog_resolved",
    "containment_rate",
    "callback_reach_rate",
}
NEUTRAL = {
    "utilisation",
    "served_by",
    "volume_factor",
    "deflection_rate",
    "callback_offer_rate",
    "callback_accept_rate",
    "agents_on_duty",
    "arrived",
    "path_share",
    "occupancy",
    "agents_available",
    "agent_utilisation_min",
    "agent_utilisation_max",
    "agent_occupancy_min",
    "agent_occupancy_max",
}
"""KPI base names whose larger values are better, and those with no better direction; lower is better for the rest."""
GOOD_LOW, GOOD_HIGH, NO_DIRECTION = "RdYlBu_r", "RdYlBu", "Purples"
"""Heatmap colours: blue is better and red worse for every KPI; shades of purple where neither is."""
COST = "cost"
"""The heatmaps' pseudo-KPI: a staffing point's weekly cost."""


def better(kpi: str) -> str | None:
    """``higher`` or ``lower``: which values of the KPI are better; None where neither is (utilisation)."""
    base = kpi.partition(".")[0]
    if base in NEUTRAL:
        return None
    return "higher" if base in HIGHER_IS_BETTER else "lower"


def heatmap_colours(kpi: str) -> str:
    """The colour map of a KPI's heatmap: better values blue, worse red, whichever way the KPI runs."""
    direction = better(kpi)
    return NO_DIRECTION if direction is None else GOOD_HIGH if direction == "higher" else GOOD_LOW


def sweep_heatmap(
    points: pd.DataFrame,
    parameters: list[str],
    kpis: list[str],
    cheapest: Cheapest | None = None,
    costs: list[float] | None = None,
    cost_unit: str = "",
) -> Figure:
    """For a two-parameter grid: a panel per KPI (and the cost first, if given), one cell per point, values written in.

    Every panel colours better values blue and worse ones red (cost: cheaper is better), with a
    colour bar in the KPI's unit; a time KPI reads in one unit per panel.
    """
    rows_p, cols_p = parameters
    row_values = sorted(points[rows_p].unique(), key=_order)
    col_values = sorted(points[cols_p].unique(), key=_order)
    panels = list(kpis)
    if costs is not None:
        points = points.assign(**{f"{COST}_mean": np.asarray(costs, dtype=float)})
        panels = [COST, *panels]
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = new_figure(max(5.5, 0.8 * len(col_values) + 3.6) * cols, max(3.0, 0.5 * len(row_values) + 1.8) * rows)
    fig.suptitle("KPI means over the two swept parameters (blue: better, red: worse)")
    for i, kpi in enumerate(panels):
        ax = fig.add_subplot(rows, cols, i + 1)
        if kpi == COST:
            label, unit = _cost_label(cost_unit), "$" if cost_unit.startswith("$") else ""
        else:
            label, unit = kpi_info(kpi).label, kpi_info(kpi).unit
        grid = points.pivot_table(index=rows_p, columns=cols_p, values=f"{kpi}_mean", aggfunc="mean")
        values = grid.reindex(index=row_values, columns=col_values).to_numpy(dtype=float)
        cmap = GOOD_LOW if kpi == COST else heatmap_colours(kpi)
        low, high = colour_range(values, unit)
        image = ax.imshow(values, cmap=cmap, aspect="auto", origin="lower", vmin=low, vmax=high)
        text = _cell_text(values, unit) if kpi != COST else _whole_money if unit == "$" else plain_number
        for (r, c), value in np.ndenumerate(values):
            ax.text(
                c,
                r,
                text(value),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if _dark(image, value) else "black",
            )
        if cheapest is not None:
            best = points[points["point_id"] == cheapest.point_id].iloc[0]
            r, c = row_values.index(best[rows_p]), col_values.index(best[cols_p])
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="#222222", lw=3.5, zorder=4))
        ax.set_xticks(range(len(col_values)), [_parameter_text(v) for v in col_values])
        ax.set_yticks(range(len(row_values)), [_parameter_text(v) for v in row_values])
        ax.set_xlabel(short_name(cols_p))
        ax.set_ylabel(short_name(rows_p))
        ax.set_title(label, fontsize=10)
        bar = fig.colorbar(image, ax=ax, pad=0.02, fraction=0.08)
        _colour_bar_unit(bar, values, unit, kpi)
    return fig


def colour_range(values: np.ndarray, unit: str) -> tuple[float, float]:
    """The values a heatmap's colours span: the data, widened so that noise does not fill the whole scale.

    Shares span at least 5 percentage points (within [0, 1]); other KPIs at least a tenth of
    their largest value, so a 37.2-38.2 minute spread is not painted from best to worst.
    """
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    span = MIN_SHARE_SPAN if unit in SHARE_UNITS else 0.1 * max(abs(low), abs(high))
    if high - low >= span or span == 0:
        return low, high
    middle = (low + high) / 2
    low, high = middle - span / 2, middle + span / 2
    if unit in SHARE_UNITS:
        low, high = (0.0, span) if low < 0 else (1 - span, 1.0) if high > 1 else (low, high)
    return low, high


def _whole_money(value: float) -> str:
    """A weekly cost in whole dollars."""
    return f"${value:,.0f}" if value == value else "n/a"


def _cost_label(unit: str) -> str:
    return "staffing cost per week" if unit.startswith("$") else f"staffing cost ({unit})"


def _cell_text(values: np.ndarray, unit: str):
    """How a panel writes its cells: times in one unit (that of the largest), shares and money as usual."""
    finite = values[np.isfinite(values)]
    if unit == "min" and len(finite):
        same = duration_unit(float(np.abs(finite).max()))
        return lambda value: format_value(value, unit, same)
    if unit in SHARE_UNITS:
        return lambda value: share_text(value, 1) if value == value else "n/a"
    if unit == "$" and len(finite) and np.abs(finite).max() >= 1000:
        return lambda value: f"${value:,.0f}" if value == value else "n/a"
    return lambda value: format_value(value, unit)


def _colour_bar_unit(bar, values: np.ndarray, unit: str, kpi: str) -> None:
    """The colour bar's ticks and label in the KPI's unit, and which end is better."""
    direction = "lower" if kpi == COST else better(kpi)
    note = "" if direction is None else f"{direction} is better"
    finite = values[np.isfinite(values)]
    if unit == "min" and len(finite):
        scale, name = TIME_UNITS[duration_unit(float(np.abs(finite).max()))]
        bar.ax.yaxis.set_major_locator(ScaledLocator(MaxNLocator(5, steps=NICE_STEPS), scale))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: plain_number(value / scale)))
        bar.set_label(f"{name}; {note}" if note else name, fontsize=9)
    elif unit in SHARE_UNITS:
        low, high = bar.mappable.get_clim()
        bar.ax.yaxis.set_major_locator(MaxNLocator(5, steps=NICE_STEPS))
        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=share_decimals(high - low)))
        bar.set_label(f"%; {note}" if note else "%", fontsize=9)
    elif unit == "$":
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
        bar.set_label(f"$; {note}" if note else "$", fontsize=9)
    else:
        bar.set_label(f"{unit}; {note}".strip("; ") if note or unit else "", fontsize=9)
    bar.ax.tick_params(labelsize=8.5)


def _order(value: object) -> tuple:
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


def _dark(image, value: float) -> bool:
    """Whether a cell's colour is dark enough to need white text."""
    if value != value:
        return False
    red, green, blue, _ = image.cmap(image.norm(value))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 0.5


def staffing_plot(
    points: pd.DataFrame,
    costs: list[float],
    unit: str,
    goals: dict[str, float],
    cheapest: Cheapest | None,
    parameters: list[str] | None = None,
) -> Figure:
    """Per service goal: each point's service level against its weekly cost; the cheapest that meets all starred.

    In each channel's panel a point is filled green if it meets every goal, hollow red if it misses
    this panel's goal, and hollow grey if it meets this goal but misses another channel's. Each dot
    is labelled with its staffing (the swept head counts, in ``parameters`` order).
    """
    fig = new_figure(max(6.0, 5.2 * len(goals)), 4.6)
    names = " / ".join(short_name(p) for p in parameters) if parameters else ""
    fig.suptitle(
        "Staffing: cost against service (star: cheapest meeting every goal)"
        + (f"\ndots labelled {names}" if names else ""),
        fontsize=11,
    )
    ok = meets_goals(points, goals).to_numpy()
    cost = np.asarray(costs, dtype=float)
    tags = (
        ["/".join(_parameter_text(v) for v in row) for row in points[parameters].itertuples(index=False)]
        if parameters
        else []
    )
    for i, (kpi, goal) in enumerate(goals.items()):
        ax = fig.add_subplot(1, len(goals), i + 1)
        mean = points[f"{kpi}_mean"].to_numpy(dtype=float)
        errors = np.vstack(
            [
                mean - points[f"{kpi}_ci_low"].to_numpy(dtype=float),
                points[f"{kpi}_ci_high"].to_numpy(dtype=float) - mean,
            ]
        )
        here = meets_goals(points, {kpi: goal}).to_numpy()
        ax.errorbar(cost, mean, yerr=np.nan_to_num(errors), fmt="none", ecolor="#bbbbbb", capsize=2, zorder=1)
        ax.scatter(cost[ok], mean[ok], s=42, color="#2ca02c", zorder=3, label="meets every goal")
        _hollow(ax, cost[~here], mean[~here], "#d62728", "misses this goal")
        other = here & ~ok
        if other.any():
            _hollow(ax, cost[other], mean[other], "#777777", "misses another channel's goal")
        if cheapest is not None:
            where = points["point_id"].to_numpy() == cheapest.point_id
            ax.scatter(cost[where], mean[where], label="cheapest meeting goals", **STAR)
        for x, y, tag in zip(cost, mean, tags, strict=False):
            ax.annotate(tag, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7.5, color="#333333")
        ax.axhline(goal, color="#d62728", ls="--", lw=1, label=f"goal {goal:.0%}")
        value_axis(ax, SHARE)
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=NICE_STEPS))
        if unit.startswith("$"):
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _money(value)))
        ax.set_xlabel(unit)
        ax.set_ylabel(kpi_info(kpi).label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7.5, loc="best")
    return fig


def _money(value: float) -> str:
    """A compact dollar tick: $950, $52k, $1.2M."""
    size = abs(value)
    if size >= 1e6:
        return f"${value / 1e6:.3g}M"
    if size >= 1e4:
        return f"${value / 1e3:.3g}k"
    return f"${value:,.0f}"


def _parameter_text(value: object) -> str:
    """A swept value as a person reads it: 12 (not 12.0), 0.85, or a distribution as ``exponential, 2m``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return value_label(str(value), width=40)
