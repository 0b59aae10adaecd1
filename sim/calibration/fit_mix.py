"""Category, priority and segment mixes: per channel, and per category as ``CategorySpec`` wants them.

A scenario writes a mix as relative weights (``category_mix`` on a channel; ``priority`` and
``segment`` on a category). The fitted weights are the observed shares, which are the multinomial
maximum-likelihood estimates; each share's standard error is sqrt(p (1 − p) / n). Rows whose value
is missing or empty (an unknown segment) are left out of that mix and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class MixFit:
    """One mix: weights (shares summing to 1), counts, standard errors, sample size and source."""

    source: str
    n: int
    weights: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    se: dict[str, float] = field(default_factory=dict)
    missing: int = 0
    """Rows without a value (missing or empty), left out."""
    reason: str | None = None


@dataclass(frozen=True)
class MixFits:
    """Every mix the scenario needs."""

    category_by_channel: dict[str, MixFit]
    priority_by_channel: dict[str, MixFit]
    segment_by_channel: dict[str, MixFit]
    priority_by_category: dict[str, MixFit]
    """What ``CategorySpec.priority`` takes."""
    segment_by_category: dict[str, MixFit]
    """What ``CategorySpec.segment`` takes."""


def shares(values: pd.Series, source: str) -> MixFit:
    """The mix of ``values``: shares of each non-empty value, with counts and standard errors."""
    known = values.notna() & values.astype("string").str.len().gt(0)
    missing = int((~known).sum())
    counts = values[known].astype(str).value_counts(sort=False).sort_index()
    n = int(counts.sum())
    if n == 0:
        return MixFit(source, 0, missing=missing, reason=f"no values in {source}")
    p = counts / n
    se = (p * (1.0 - p) / n).pow(0.5)
    return MixFit(
        source,
        n,
        weights={str(k): float(v) for k, v in p.items()},
        counts={str(k): int(v) for k, v in counts.items()},
        se={str(k): float(v) for k, v in se.items()},
        missing=missing,
    )


def mix_by(tickets: pd.DataFrame, by: str, column: str) -> dict[str, MixFit]:
    """The mix of ``column`` within each value of ``by``; {} (with nothing to fit) when either is absent."""
    if by not in tickets.columns or column not in tickets.columns:
        return {}
    source = f"tickets.{column}"
    return {str(key): shares(group, source) for key, group in tickets[column].groupby(tickets[by], sort=True)}


def fit_mixes(tickets: pd.DataFrame) -> MixFits:
    """All mixes of the ticket table (an absent column gives an empty mapping; see ``missing_columns``)."""
    return MixFits(
        category_by_channel=mix_by(tickets, "channel", "category"),
        priority_by_channel=mix_by(tickets, "channel", "priority"),
        segment_by_channel=mix_by(tickets, "channel", "segment"),
        priority_by_category=mix_by(tickets, "category", "priority"),
        segment_by_category=mix_by(tickets, "category", "segment"),
    )


def missing_columns(tickets: pd.DataFrame) -> dict[str, str]:
    """The mix columns the table lacks, each with why nothing was fitted for it."""
    return {
        column: f"column {column!r} absent: its mix is not fitted (the scenario's default applies)"
        for column in ("channel", "category", "priority", "segment")
        if column not in tickets.columns
    }
