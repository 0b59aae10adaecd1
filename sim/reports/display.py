"""Readable KPI tables for the terminal: values in the units people use, with their intervals."""

from __future__ import annotations

import math

import pandas as pd

from sim.core.units import duration_unit, format_duration


def format_value(value: float, unit: str, time_unit: str | None = None) -> str:
    """A KPI value as a person reads it: durations with units, shares in percent, money."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "min":
        return format_duration(value, time_unit)
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "$":
        return f"${value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"
    return f"{value:,.2f}"


def format_interval(low: float, high: float, unit: str) -> str:
    """``[low, high]``, both ends in the same time unit."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return ""
    same = duration_unit(max(abs(low), abs(high))) if unit == "min" else None
    return f"[{format_value(low, unit, same)}, {format_value(high, unit, same)}]"


def kpi_table(summary: pd.DataFrame) -> str:
    """The summary as aligned text: KPI, mean and 95 % confidence interval.

    Breakdown rows (``kpi.detail``) that are zero in every replication are left out to keep the
    table readable; a footnote counts them (all rows are in ``summary.csv``).
    """
    rows = [("KPI", "mean", "95% CI")]
    hidden = 0
    for r in summary.itertuples():
        if "." in r.kpi and r.mean == 0 and (r.half_width == 0 or r.half_width != r.half_width):
            hidden += 1
            continue
        rows.append((r.label, format_value(r.mean, r.unit), format_interval(r.ci_low, r.ci_high, r.unit)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in rows]
    lines.insert(1, "-" * (sum(widths) + 4))
    if hidden:
        rows_are = "row that is" if hidden == 1 else "rows that are"
        lines.append(f"({hidden} breakdown {rows_are} zero in every replication not shown; see summary.csv)")
    return "\n".join(lines)
