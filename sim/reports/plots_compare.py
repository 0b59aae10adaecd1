"""Pictures of a paired comparison: each scenario's KPIs, and each variant's difference to the base.

Both take the tidy comparison table (``Comparison.table`` or a folder's ``comparison.csv``: a row
per scenario and KPI with mean, interval and the paired difference to the first scenario) and the
KPIs to show, and return a matplotlib ``Figure``.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from sim.core.units import duration_unit
from sim.reports.display import format_value
from sim.reports.figures import NICE_STEPS, PALETTE, SHARE_UNITS, new_figure, share_axis, share_text, time_axis
from sim.reports.tables import format_difference


def value_axis(ax: Axes, unit: str, axis: str = "y", label: str = "") -> None:
    """Format an axis in a KPI's unit: durations in one time unit, shares in percent, dollars, or plain numbers."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if unit == "min":
        time_axis(ax, axis, label)
        return
    if unit in SHARE_UNITS:
        share_axis(ax, axis)
    elif unit == "$":
        target.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.2f}"))
    if label:
        target.set_label_text(label)


def comparison_bars(table: pd.DataFrame, kpis: list[str]) -> Figure:
    """One panel per KPI: a bar per scenario at its mean, whiskers at its 95 % interval."""
    labels = list(dict.fromkeys(table["scenario"]))
    cols = min(3, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    fig = new_figure(4.0 * cols, 3.0 * rows + 0.4)
    fig.suptitle("KPIs per scenario: mean and 95% interval (whiskers)")
    for i, kpi in enumerate(kpis):
        ax = fig.add_subplot(rows, cols, i + 1)
        rows_of = table[table["kpi"] == kpi].set_index("scenario").reindex(labels)
        unit = str(rows_of["unit"].dropna().iloc[0]) if rows_of["unit"].notna().any() else ""
        means = rows_of["mean"].to_numpy(dtype=float)
        low = np.nan_to_num(means - rows_of["ci_low"].to_numpy(dtype=float))
        high = np.nan_to_num(rows_of["ci_high"].to_numpy(dtype=float) - means)
        x = np.arange(len(labels))
        bars = ax.bar(x, np.nan_to_num(means), 0.65, color=[PALETTE[j % len(PALETTE)] for j in x])
        ax.errorbar(x, means, yerr=np.vstack([low, high]), fmt="none", ecolor="#222222", capsize=5, lw=1.2)
        ax.bar_label(
            bars,
            labels=[_bar_text(m, unit, means) for m in means],
            label_type="center",
            color="white",
            fontsize=10,
            fontweight="bold",
        )
        ax.set_xticks(x, labels, rotation=15 if len(labels) > 2 else 0, ha="right" if len(labels) > 2 else "center")
        value_axis(ax, unit)
        if unit == "count" or not unit:
            ax.yaxis.set_major_locator(MaxNLocator(6, steps=NICE_STEPS))
        title = str(rows_of["label"].dropna().iloc[0]) if rows_of["label"].notna().any() else kpi
        ax.set_title(textwrap.fill(title, 38), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    return fig


def _bar_text(value: float, unit: str, panel: np.ndarray) -> str:
    """A bar's label: times in the panel's one unit (that of its largest bar), shares not rounded to 100 %."""
    if unit == "min":
        finite = panel[np.isfinite(panel)]
        return format_value(value, unit, duration_unit(float(np.abs(finite).max())) if len(finite) else None)
    if unit in SHARE_UNITS:
        return share_text(value, 1) or "n/a"
    return format_value(value, unit)


def relative_differences(table: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """Each variant's paired difference per KPI as a share of the base mean, with its interval."""
    labels = list(dict.fromkeys(table["scenario"]))
    base = table[table["scenario"] == labels[0]].set_index("kpi")["mean"]
    rows = []
    for variant in labels[1:]:
        mine = table[table["scenario"] == variant].set_index("kpi")
        for kpi in kpis:
            if kpi not in mine.index:
                continue
            row = mine.loc[kpi]
            scale = abs(float(base.get(kpi, math.nan)))
            ok = scale > 0 and not math.isnan(scale)
            rows.append(
                {
                    "scenario": variant,
                    "kpi": kpi,
                    "label": row["label"],
                    "unit": row["unit"],
                    "diff": row["diff"],
                    "rel": row["diff"] / scale if ok else math.nan,
                    "rel_low": row["diff_ci_low"] / scale if ok else math.nan,
                    "rel_high": row["diff_ci_high"] / scale if ok else math.nan,
                    "significant": bool(row["significant"]),
                }
            )
    return pd.DataFrame(
        rows, columns=["scenario", "kpi", "label", "unit", "diff", "rel", "rel_low", "rel_high", "significant"]
    )


def paired_difference_plot(table: pd.DataFrame, kpis: list[str]) -> Figure:
    """Each variant's paired difference to the base per KPI, relative to the base, with 95 % intervals.

    Filled markers: the interval excludes zero (a real difference); hollow: it could be noise.
    """
    labels = list(dict.fromkeys(table["scenario"]))
    diffs = relative_differences(table, kpis)
    shown = [k for k in kpis if diffs.loc[diffs["kpi"] == k, "rel"].notna().any()]
    variants = labels[1:]
    fig = new_figure(10, 1.2 + 0.5 * len(shown) * max(1, len(variants) * 0.6))
    ax = fig.add_subplot()
    spread = 0.6 / max(len(variants), 1)
    for j, variant in enumerate(variants):
        mine = diffs[diffs["scenario"] == variant].set_index("kpi").reindex(shown)
        y = np.arange(len(shown))[::-1] + (len(variants) - 1) / 2 * spread - j * spread
        color = PALETTE[(j + 1) % len(PALETTE)]
        rel = mine["rel"].to_numpy(dtype=float)
        errors = np.vstack([rel - mine["rel_low"].to_numpy(dtype=float), mine["rel_high"].to_numpy(dtype=float) - rel])
        ax.errorbar(rel, y, xerr=np.nan_to_num(errors), fmt="none", ecolor=color, capsize=4, lw=1.6)
        significant = mine["significant"].to_numpy(dtype=bool)
        ax.scatter(
            rel,
            y,
            s=55,
            color=color,
            edgecolors=color,
            linewidths=1.6,
            zorder=3,
            facecolors=[color if s else "white" for s in significant],
            label=f"{variant} − {labels[0]}",
        )
        for xi, yi, (_, row) in zip(rel, y, mine.iterrows(), strict=True):
            ax.annotate(
                format_difference(row["diff"], row["unit"]),
                (xi, yi),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=9,
                color=color,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
    ax.axvline(0, color="#333333", lw=1)
    names = diffs.drop_duplicates("kpi").set_index("kpi")["label"]
    ax.set_yticks(np.arange(len(shown))[::-1], [names[k] for k in shown])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"paired difference to {labels[0]}, as a share of {labels[0]}'s mean (95% interval)")
    ax.set_title("What changes, and is it more than noise? (filled: interval excludes zero)")
    ax.legend(loc="best", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return fig
