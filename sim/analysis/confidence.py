"""KPIs across replications: each KPI's mean with a Student-t confidence interval, cut to where it can lie.

A replication gives one number per KPI (``kpis.replication_kpis``); the replications are independent,
so the mean over them has a Student-t interval. A replication in which a KPI has no data (NaN:
no P1 ticket arrived) is left out of that KPI's interval, and a share's interval stays inside [0, 1].
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.kpi_catalogue import SHARE, kpi_info
from sim.analysis.student_t import t_quantile


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, int]:
    """Mean and Student-t half-width across replications (NaNs left out); half-width NaN if n < 2."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, n
    half = float(t_quantile(n - 1, 0.5 + level / 2) * values.std(ddof=1) / math.sqrt(n))
    return mean, half, n


NON_NEGATIVE = frozenset({"min", "count", "tickets", "agents", "agent-hours", "$"})
"""Units of KPIs that cannot be negative (times, counts, head counts, money)."""


def kpi_bounds(unit: str, difference: bool = False) -> tuple[float, float]:
    """Where a KPI in ``unit`` (or a difference of two such KPIs) can lie: [0, 1] for a share, and so on."""
    if unit == SHARE:
        return (-1.0, 1.0) if difference else (0.0, 1.0)
    if unit in NON_NEGATIVE and not difference:
        return 0.0, math.inf
    return -math.inf, math.inf


def bounded_interval(
    values: np.ndarray, unit: str = "", level: float = 0.95, difference: bool = False
) -> tuple[float, float, float, float, int]:
    """Mean, half-width, low, high and replications: the Student-t interval, cut to the KPI's bounds.

    A share's interval stays in [0, 1] (a paired difference of shares in [-1, 1]), a time or a
    count's above 0. Cutting never lowers the coverage: a true mean inside the bounds lies in the
    cut interval exactly when it lies in the uncut one. When every replication is 0 (or 1) the
    interval is [0, 0] (or [1, 1]). The half-width is the uncut one (the precision rule uses it).
    """
    mean, half, n = confidence_interval(values, level)
    lo, hi = kpi_bounds(unit, difference)
    low, high = mean - half, mean + half
    if not math.isnan(half):
        low, high = min(max(low, lo), mean), max(min(high, hi), mean)
    return mean, half, low, high, n


def interval_row(name: str, values: np.ndarray, level: float = 0.95) -> dict[str, object]:
    """One KPI's row of a summary: its label and unit, mean, half-width, interval and replications."""
    info = kpi_info(name)
    mean, half, low, high, n = bounded_interval(values, info.unit, level)
    return {
        "kpi": name,
        "label": info.label,
        "unit": info.unit,
        "mean": mean,
        "half_width": half,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


def summarise(per_replication: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per KPI: mean, half-width, interval, replications used, label and unit."""
    names = per_replication.columns.drop("replication", errors="ignore")
    return pd.DataFrame([interval_row(name, per_replication[name].to_numpy(), level) for name in names])
