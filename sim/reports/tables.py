"""Terminal tables for experiments: comparisons side by side, and a sweep's points.

A difference is shown in the KPI's own unit with its sign (``-15.8s``, ``+2.1 pp`` for shares,
``+$1.20``), followed by its paired 95 % interval and ``*`` when the interval excludes zero.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.kpis import kpi_info
from sim.core.units import duration_unit
from sim.reports.display import format_interval, format_value
from sim.reports.marks import MARK


def format_difference(value: float, unit: str, time_unit: str | None = None) -> str:
    """A signed difference in the unit people read: durations, percentage points, money, counts."""
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else "+"
    size = abs(value)
    if unit == "%":
        return f"{sign}{100 * size:.1f} pp"
    return sign + format_value(size, unit, time_unit)


def format_difference_interval(low: float, high: float, unit: str) -> str:
    """``[low, high]`` of a difference, both ends signed and in the same time unit."""
    same = duration_unit(max(abs(low), abs(high))) if unit == "min" else None
    return f"[{format_difference(low, unit, same)}, {format_difference(high, unit, same)}]"


def _with_interval(mean: float, low: float, high: float, unit: str) -> str:
    interval = format_interval(low, high, unit)
    return f"{format_value(mean, unit)} {interval}".rstrip()


def _difference_cell(row: pd.Series) -> str:
    if row["diff_n"] == 0:
        return "n/a"
    text = format_difference(row["diff"], row["unit"])
    if not math.isnan(row["diff_half_width"]):
        text += " " + format_difference_interval(row["diff_ci_low"], row["diff_ci_high"], row["unit"])
    return text + (f" {MARK}" if row["significant"] else "")


def comparison_table(table: pd.DataFrame) -> str:
    """One line per KPI: each scenario's mean [95% CI], then each variant's paired difference to the base."""
    labels = list(dict.fromkeys(table["scenario"]))
    base, variants = labels[0], labels[1:]
    header = ["KPI", *labels, *(f"Δ {v} vs {base}" for v in variants)]
    rows = [header]
    for _, group in table.groupby("kpi", sort=False):
        by = group.set_index("scenario")
        first = by.loc[base]
        cells = [first["label"]]
        cells += [
            _with_interval(by.loc[s, "mean"], by.loc[s, "ci_low"], by.loc[s, "ci_high"], first["unit"]) for s in labels
        ]
        cells += [_difference_cell(by.loc[v]) for v in variants]
        rows.append(cells)
    return _align(rows)


def sweep_points_table(points: pd.DataFrame, parameters: list[str], kpis: list[str], limit: int = 20) -> str:
    """The first ``limit`` points: parameter values, then each KPI's mean [95% CI]."""
    rows = [["point", *parameters, *(kpi_info(k).label for k in kpis)]]
    for _, values in points.head(limit).iterrows():
        cells = [str(int(values["point_id"])), *(_param(values[p]) for p in parameters)]
        for kpi in kpis:
            unit = kpi_info(kpi).unit
            cells.append(
                _with_interval(values[f"{kpi}_mean"], values[f"{kpi}_ci_low"], values[f"{kpi}_ci_high"], unit)
                if values["replications"]
                else "failed"
            )
        rows.append(cells)
    text = _align(rows)
    if len(points) > limit:
        text += f"\n… {len(points) - limit} more points (all in points.csv)"
    return text


def _param(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _align(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
