"""Reopen probability per category, and the delay from a resolution to the reopening.

The scenario's ``Reopen`` draws its chance at each resolution until a ticket has been reopened
``max`` times. Its maximum-likelihood probability is therefore reopenings / chances, where a ticket
gave ``reopens`` chances that came true plus one more for its final solve if it had not yet reached
``max`` (the largest reopen count seen). The standard error is binomial over the chances. The delay
is the time from a ``solved`` status change to the ticket's next one when it is ``reopened`` (events
needed), fitted by ``fit_durations.fit_duration``, per category and pooled over all categories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from sim.calibration.fit_durations import DurationFit, fit_duration
from sim.calibration.stays import STATUS_CHANGE, status_intervals, ticket_column

MAX_REOPENS = 100
"""The schema's cap on ``Reopen.max``."""


@dataclass(frozen=True)
class ReopenFit:
    """One category's reopen probability (per resolution) and delay."""

    category: str
    source: str
    n: int
    """Chances (resolutions at which a reopen could be drawn)."""
    reopens: int = 0
    probability: float = math.nan
    probability_se: float = math.nan
    max: int = 1
    delay: DurationFit | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReopenFits:
    """Reopen fits per category, the pooled delay, and why something was not fitted."""

    categories: dict[str, ReopenFit] = field(default_factory=dict)
    pooled_delay: DurationFit | None = None
    reason: str | None = None


def fit_reopens(tickets: pd.DataFrame, events: pd.DataFrame | None = None) -> ReopenFits:
    """Reopen probability per category from ``tickets.reopens``; delays from the events when present."""
    if "reopens" not in tickets.columns or "solved" not in tickets.columns:
        return ReopenFits(reason="column 'reopens' or 'solved' absent: reopens not fitted")
    reopens = pd.to_numeric(tickets["reopens"], errors="coerce").fillna(0).clip(lower=0).astype(int)
    solved = tickets["solved"].notna().astype(int)
    most = int(min(max(int(reopens.max()), 1), MAX_REOPENS))
    chances = reopens.clip(upper=most) + solved.where(reopens < most, 0)
    delays = pd.DataFrame(columns=["ticket", "minutes", "category"])
    delay_reason = "no solved → reopened status changes in the events: reopen delay not fitted"
    if events is not None and ((events["kind"] == STATUS_CHANGE) & (events["status"] == "reopened")).any():
        delays = status_intervals(events, "solved", "reopened")
        delays = delays.assign(category=ticket_column(tickets, "category", delays["ticket"]))
        delay_reason = ""
    source = "tickets.reopens, tickets.solved"
    delay_source = "events.status (solved → reopened)"
    fits = {}
    frame = pd.DataFrame({"category": tickets["category"], "reopens": reopens.clip(upper=most), "chances": chances})
    sums = frame.groupby("category", sort=True)[["reopens", "chances"]].sum()
    for category, row in sums.iterrows():
        n, k = int(row.chances), int(row.reopens)
        if n == 0:
            fits[str(category)] = ReopenFit(str(category), source, 0, reason="no resolved tickets")
            continue
        p = k / n
        sample = delays.loc[delays["category"] == category, "minutes"].to_numpy(dtype=float)
        fits[str(category)] = ReopenFit(
            str(category),
            source,
            n,
            reopens=k,
            probability=p,
            probability_se=math.sqrt(p * (1.0 - p) / n),
            max=most,
            delay=fit_duration(sample, delay_source) if k and not delay_reason else None,
            reason=delay_reason if k and delay_reason else None,
        )
    pooled = fit_duration(delays["minutes"].to_numpy(dtype=float), delay_source) if not delay_reason else None
    return ReopenFits(fits, pooled, reason=delay_reason or None)
