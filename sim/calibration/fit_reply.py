"""Customer replies: the share of tickets that wait on the customer, and how long the customer takes.

A ticket waits on its customer when the event table sets it ``pending``; the delay is from that status
change to the ticket's next one when it is ``open`` (the customer answered). A pending ticket that is
solved or closed next did not get an answer, so it gives no delay. The probability, per category, is
the share with at least one ``pending`` status (``CustomerReply.probability`` asks once per ticket)
of the tickets that got as far as an agent's successful session (solved, or pending): a contact
abandoned before any could not have shown its need, and counting it would bias the share low. It
comes with its binomial standard error; each delay sample is fitted by
``fit_durations.fit_duration``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.calibration.fit_durations import DurationFit, fit_duration
from sim.calibration.stays import STATUS_CHANGE, status_intervals, ticket_column, ticket_rows

PENDING, OPEN = "pending", "open"


@dataclass(frozen=True)
class ReplyFit:
    """One category's customer-reply probability and delay."""

    category: str
    source: str
    n: int
    """Tickets of the category."""
    probability: float = math.nan
    probability_se: float = math.nan
    delay: DurationFit | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ReplyFits:
    """Reply fits per category; ``pooled`` is the delay over all categories (for sparse ones)."""

    categories: dict[str, ReplyFit] = field(default_factory=dict)
    pooled: DurationFit | None = None
    reason: str | None = None


def fit_replies(tickets: pd.DataFrame, events: pd.DataFrame | None) -> ReplyFits:
    """Customer-reply probability and delay per category, from ``pending`` → ``open`` status changes."""
    if events is None or not ((events["kind"] == STATUS_CHANGE) & (events["status"] == PENDING)).any():
        return ReplyFits(reason="no 'pending' status changes in the events: customer replies not fitted")
    source = "events.status (pending → open)"
    rows = ticket_rows(tickets, events.loc[(events["kind"] == STATUS_CHANGE) & (events["status"] == PENDING), "ticket"])
    waited = pd.Series(False, index=tickets.index)
    waited.iloc[np.unique(rows[rows >= 0])] = True
    delays = status_intervals(events, PENDING, OPEN)
    delays = delays.assign(category=ticket_column(tickets, "category", delays["ticket"]))
    by_category = delays.groupby("category")["minutes"]
    reached = waited | tickets["solved"].notna()
    fits = {}
    for category, rows in waited[reached].groupby(tickets.loc[reached, "category"], sort=True):
        n, p = len(rows), float(rows.mean())
        sample = by_category.get_group(category) if category in by_category.groups else pd.Series(dtype=float)
        fits[str(category)] = ReplyFit(
            str(category),
            source,
            n,
            probability=p,
            probability_se=math.sqrt(p * (1.0 - p) / n),
            delay=fit_duration(sample.to_numpy(dtype=float), source) if p > 0 else None,
        )
    return ReplyFits(fits, fit_duration(delays["minutes"].to_numpy(dtype=float), source))
