"""Readable KPI tables for the terminal: values in the units people use, with their intervals.

One cell, one unit: an estimate and its interval (``2.0h [1.8h, 2.2h]``) share the time unit of
the largest of the three, and enough decimals that two different ends do not print alike. A
table may pass one time unit for a whole row or column (``time_unit``). Shares are stored as
fractions (unit ``share``) and shown in percent; their differences in percentage points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from sim.analysis.kpi_catalogue import SHARE
from sim.core.units import duration_unit, format_duration, minutes_in

PERCENT_UNITS = frozenset({SHARE, "%"})
"""Units shown in percent: ``share``, and ``%`` as results folders written before shares were named stored it."""

MAX_EXTRA_DECIMALS = 1


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def time_unit_of(values: Iterable[float], unit: str) -> str | None:
    """The time unit of the largest of ``values`` for a duration KPI (None for other units or no values)."""
    sizes = [abs(v) for v in values if not _missing(v) and math.isfinite(v)]
    return duration_unit(max(sizes)) if unit == "min" and sizes else None


def decimals_for(values: Iterable[float], unit: str, time_unit: str | None = None) -> int:
    """Decimals that tell the values apart: the unit's usual ones, one more when ends would print alike."""
    shown = [_scaled(v, unit, time_unit) for v in values if not _missing(v) and math.isfinite(v)]
    base = _base_decimals(shown, unit)
    if len(shown) < 2 or unit == "$":
        return base
    low, high = min(shown), max(shown)
    digits = base
    while high > low and round(low, digits) == round(high, digits) and digits < base + MAX_EXTRA_DECIMALS:
        digits += 1
    return digits


def _scaled(value: float, unit: str, time_unit: str | None) -> float:
    if unit == "min":
        return value / minutes_in(time_unit or duration_unit(value))
    if unit in PERCENT_UNITS:
        return 100 * value
    return value


def _base_decimals(shown: list[float], unit: str) -> int:
    if unit == "$":
        return 2
    if unit == "count":
        whole = all(float(v).is_integer() for v in shown)
        return 0 if whole or max(abs(v) for v in shown) >= 100 else 1
    if unit == "min" or unit in PERCENT_UNITS:
        return 1
    return 2


def format_value(value: float, unit: str, time_unit: str | None = None, decimals: int | None = None) -> str:
    """A KPI value as a person reads it: durations with units, shares in percent, money."""
    if _missing(value):
        return "n/a"
    digits = decimals_for([value], unit, time_unit) if decimals is None else decimals
    if unit == "min":
        return format_duration(value, time_unit, digits)
    if unit in PERCENT_UNITS:
        return f"{100 * value:.{digits}f}%"
    if unit == "$":
        return f"${value:,.{digits}f}"
    if unit == "count" and decimals is None and abs(value - round(value)) < 1e-9:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def format_interval(
    low: float, high: float, unit: str, time_unit: str | None = None, decimals: int | None = None
) -> str:
    """``[low, high]``, both ends in one time unit (the larger end's, unless ``time_unit`` is given)."""
    if _missing(low) or _missing(high):
        return ""
    same = time_unit or time_unit_of([low, high], unit)
    digits = decimals_for([low, high], unit, same) if decimals is None else decimals
    return f"[{format_value(low, unit, same, digits)}, {format_value(high, unit, same, digits)}]"


def estimate_parts(mean: float, low: float, high: float, unit: str, time_unit: str | None = None) -> tuple[str, str]:
    """``mean`` and ``[low, high]`` in one unit (the largest value's, or ``time_unit``) and one number of decimals."""
    same = time_unit or time_unit_of([mean, low, high], unit)
    digits = decimals_for([mean, low, high], unit, same)
    return format_value(mean, unit, same, digits), format_interval(low, high, unit, same, digits)


def format_estimate(mean: float, low: float, high: float, unit: str, time_unit: str | None = None) -> str:
    """``mean [low, high]`` in one unit and with one number of decimals; ``mean`` alone without an interval."""
    value, interval = estimate_parts(mean, low, high, unit, time_unit)
    return f"{value} {interval}".rstrip()


def is_cut(mean: float, half_width: float, low: float, high: float) -> bool:
    """Whether an interval was cut at its KPI's bounds (a share at 0 % or 100 %, a time at 0)."""
    if any(_missing(v) for v in (mean, half_width, low, high)):
        return False
    return bool(low > mean - half_width + 1e-12 or high < mean + half_width - 1e-12)


CUT_NOTE = "some intervals are cut where the t interval passed a bound: 0-100% for shares, 0 for times and counts"


def hidden_row(kpi: str, means: Iterable[float], half_widths: Iterable[float]) -> bool:
    """Whether a table leaves a row out: no data anywhere, or a breakdown (``kpi.detail``) zero in every replication."""
    means, halves = list(means), list(half_widths)
    if all(_missing(m) for m in means):
        return True
    return "." in kpi and all(m == 0 for m in means) and all(h == 0 or _missing(h) for h in halves)


def hidden_note(hidden: int, where: str) -> str:
    """The footnote that counts the rows a table left out and says where they are."""
    rows_are = "row that has" if hidden == 1 else "rows that have"
    return f"({hidden} {rows_are} no data, or are zero in every replication, not shown; see {where})"


def kpi_table(summary: pd.DataFrame) -> str:
    """The summary as aligned text: KPI, mean and 95 % confidence interval.

    Rows with no data, and breakdown rows (``kpi.detail``) that are zero in every replication, are
    left out to keep the table readable; a footnote counts them (all rows are in ``summary.csv``).
    """
    rows = [("KPI", "mean", "95% CI")]
    hidden = 0
    cut = False
    for r in summary.itertuples():
        if hidden_row(r.kpi, [r.mean], [r.half_width]):
            hidden += 1
            continue
        cut = cut or is_cut(r.mean, r.half_width, r.ci_low, r.ci_high)
        rows.append((r.label, *estimate_parts(r.mean, r.ci_low, r.ci_high, r.unit)))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}".rstrip() for a, b, c in rows]
    lines.insert(1, "-" * (sum(widths) + 4))
    if hidden:
        lines.append(hidden_note(hidden, "summary.csv"))
    if cut:
        lines.append(f"({CUT_NOTE})")
    return "\n".join(lines)
