"""Warm-up guidance: how long the backlog takes to forget that the desk opened empty.

A replication starts with no tickets in the system, so early KPIs are too good. The *backlog*
(tickets arrived and not yet resolved or abandoned) is averaged over equal time bins and over
replications, and MSER-5 (White, 1997) picks the truncation point: the series is cut into
batches of five bins, and the warm-up is the number of leading batches whose removal minimises

    MSER(d) = sum over j > d of (Z_j - mean(Z_{d+1..k}))^2 / (k - d)^2

for batch means Z_1..Z_k, with d at most k/2. When the minimum lies at k/2 the backlog has not
settled within half the horizon, and the run should be longer. Daily cycles in demand are part
of the series: the guidance then says how long until the cycles repeat, not until a flat level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.units import format_duration

BINS = 1000
BATCH = 5


def backlog_series(tickets: pd.DataFrame, horizon: float, bins: int = BINS) -> np.ndarray:
    """Time-averaged number of tickets in the system over ``bins`` equal bins of [0, horizon)."""
    arrivals = np.sort(tickets["arrival"].to_numpy(dtype=float))
    ends = tickets["resolved_at"].fillna(tickets["abandoned_at"]).to_numpy(dtype=float)
    departures = np.sort(ends[~np.isnan(ends)])
    edges = np.linspace(0.0, horizon, bins + 1)
    area = _area_until(arrivals, edges) - _area_until(departures, edges)
    return np.diff(area) / np.diff(edges)


def _area_until(times: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Integral from 0 to each edge of the count of ``times`` (sorted) at or before t."""
    before = np.searchsorted(times, edges, side="right")
    cumulative = np.concatenate(([0.0], np.cumsum(times)))
    return before * edges - cumulative[before]


def mser(series: np.ndarray, batch: int = BATCH) -> int:
    """MSER-``batch`` truncation: how many leading batches to drop (at most half of them)."""
    k = len(series) // batch
    if k < 2:
        return 0
    z = np.asarray(series[: k * batch], dtype=float).reshape(k, batch).mean(axis=1)
    tail_sum = np.cumsum(z[::-1])[::-1]
    tail_sq = np.cumsum((z * z)[::-1])[::-1]
    d = np.arange(k // 2 + 1)
    remaining = k - d
    squared_deviation = tail_sq[d] - tail_sum[d] ** 2 / remaining
    return int(np.argmin(squared_deviation / remaining**2))


@dataclass(frozen=True)
class WarmupGuidance:
    """MSER-5's warm-up on the backlog, next to the scenario's configured warm-up (minutes)."""

    suggested: float
    configured: float
    settled: bool

    @property
    def enough(self) -> bool:
        """The configured warm-up is at least what MSER-5 suggests."""
        return self.configured >= self.suggested

    def describe(self) -> str:
        """One line for the console: the suggested and configured warm-up, and what to do about a gap."""
        text = (
            f"MSER-5 on the backlog suggests a warm-up of {format_duration(self.suggested)} "
            f"(configured: {format_duration(self.configured)})"
        )
        if not self.settled:
            return text + "; the backlog had not settled by half the horizon: simulate longer"
        return text + ("" if self.enough else "; consider a longer warm-up")

    def as_dict(self) -> dict:
        """The guidance as plain JSON values, for a run's metadata."""
        return {
            "method": "MSER-5 on the backlog (mean over replications)",
            "suggested_minutes": self.suggested,
            "configured_minutes": self.configured,
            "settled": self.settled,
        }


def warmup_guidance(
    backlogs: Sequence[np.ndarray], horizon: float, configured: float, batch: int = BATCH
) -> WarmupGuidance:
    """Apply MSER to the backlog series averaged over replications."""
    mean = np.mean(np.vstack(backlogs), axis=0)
    dropped = mser(mean, batch)
    k = len(mean) // batch
    suggested = dropped * batch * horizon / len(mean)
    return WarmupGuidance(suggested=float(suggested), configured=float(configured), settled=dropped < k // 2)
