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
from matplotlib.ticker import FuncFormatter

from sim.analysis.kpis import SHARE, kpi_info
from sim.analysis.staffing import Cheapest, meets_goals
from sim.reports.display import format_value
from sim.reports.plots import PALETTE, new_figure
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
            value_axis(ax, info.unit)
            ax.set_xlabel(short_name(parameter) if r == rows - 1 else "")
            ax.set_ylabel(info.label if c == 0 else "", fontsize=9)
            ax.grid(alpha=0.3)
            if r == 0 and ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, loc="best")
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
            ax.set_xticks(range(len(labels)), [value_label(text) for text in labels], fontsize=7)


def _dots(ax: Axes, points: pd.DataFrame, parameter: str, kpi: str) -> None:
    """Every point as a dot with whiskers at its interval."""
    x, labels = _positions(points[parameter])
    mean = points[f"{kpi}_mean"].to_numpy(dtype=float)
    errors = np.vstack(
        [mean - points[f"{kpi}_ci_low"].to_numpy(dtype=float), points[f"{kpi}_ci_high"].to_numpy(dtype=float) - mean]
    )
    ax.errorbar(x, mean, yerr=np.nan_to_num(errors), fmt="o", ms=4, color=PALETTE[0], ecolor="#9ab7d3", capsize=2)
    if labels:
        ax.set_xticks(range(len(labels)), [value_label(text) for text in labels], fontsize=7)


def sweep_heatmap(
    points: pd.DataFrame, parameters: list[str], kpis: list[str], cheapest: Cheapest | None = None
) -> Figure:
    """For a two-parameter grid: a panel per KPI, one cell per point coloured by its mean, values written in."""
    rows_p, cols_p = parameters
    row_values = sorted(points[rows_p].unique(), key=_order)
    col_values = sorted(points[cols_p].unique(), key=_order)
    cols = min(2, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    fig = new_figure(max(5.5, 0.8 * len(col_values) + 3) * cols, max(3.0, 0.5 * len(row_values) + 1.6) * rows)
    fig.suptitle("KPI means over the two swept parameters")
    for i, kpi in enumerate(kpis):
        ax = fig.add_subplot(rows, cols, i + 1)
        info = kpi_info(kpi)
        grid = points.pivot_table(index=rows_p, columns=cols_p, values=f"{kpi}_mean", aggfunc="mean")
        grid = grid.reindex(index=row_values, columns=col_values)
        image = ax.imshow(grid.to_numpy(dtype=float), cmap="viridis", aspect="auto", origin="lower")
        for (r, c), value in np.ndenumerate(grid.to_numpy(dtype=float)):
            ax.text(
                c,
                r,
                format_value(value, info.unit),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if _dark(image, value) else "black",
            )
        if cheapest is not None:
            best = points[points["point_id"] == cheapest.point_id].iloc[0]
            r, c = row_values.index(best[rows_p]), col_values.index(best[cols_p])
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="#ffd700", lw=3.5, zorder=4))
        ax.set_xticks(range(len(col_values)), [str(v) for v in col_values])
        ax.set_yticks(range(len(row_values)), [str(v) for v in row_values])
        ax.set_xlabel(short_name(cols_p))
        ax.set_ylabel(short_name(rows_p))
        ax.set_title(info.label, fontsize=10)
    return fig


def _order(value: object) -> tuple:
    return (0, float(value), "") if isinstance(value, (int, float, np.number)) else (1, 0.0, str(value))


def _dark(image, value: float) -> bool:
    """Whether a cell's colour is dark enough to need white text."""
    if value != value:
        return False
    red, green, blue, _ = image.cmap(image.norm(value))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 0.5


def staffing_plot(
    points: pd.DataFrame, costs: list[float], unit: str, goals: dict[str, float], cheapest: Cheapest | None
) -> Figure:
    """Per service goal: each point's service level against its weekly cost; the cheapest that meets all starred."""
    fig = new_figure(max(5.5, 4.6 * len(goals)), 4.0)
    fig.suptitle("Staffing: cost against service (filled: meets every service goal; star: cheapest of those)")
    ok = meets_goals(points, goals).to_numpy()
    cost = np.asarray(costs, dtype=float)
    for i, (kpi, goal) in enumerate(goals.items()):
        ax = fig.add_subplot(1, len(goals), i + 1)
        mean = points[f"{kpi}_mean"].to_numpy(dtype=float)
        errors = np.vstack(
            [
                mean - points[f"{kpi}_ci_low"].to_numpy(dtype=float),
                points[f"{kpi}_ci_high"].to_numpy(dtype=float) - mean,
            ]
        )
        ax.errorbar(cost, mean, yerr=np.nan_to_num(errors), fmt="none", ecolor="#aaaaaa", capsize=2, zorder=1)
        ax.scatter(cost[ok], mean[ok], s=40, color="#2ca02c", zorder=3, label="meets every goal")
        ax.scatter(
            cost[~ok], mean[~ok], s=40, facecolors="white", edgecolors="#d62728", zorder=3, label="misses a goal"
        )
        if cheapest is not None:
            where = points["point_id"].to_numpy() == cheapest.point_id
            ax.scatter(cost[where], mean[where], label="cheapest meeting goals", **STAR)
        ax.axhline(goal, color="#d62728", ls="--", lw=1, label=f"goal {goal:.0%}")
        value_axis(ax, SHARE)
        if unit.startswith("$"):
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
        ax.set_xlabel(unit)
        ax.set_ylabel(kpi_info(kpi).label)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=7, loc="lower right")
    return fig
