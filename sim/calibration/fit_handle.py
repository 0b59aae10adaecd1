"""Handle time per category × team as fitted distributions.

The best source is the event table's per-stay ``work_minutes`` (each value is attributed to the group
that held the ticket during the stay it ends; see ``stays.stay_work``). Without it, the ticket table's
``work_minutes`` is used at the ticket's first group: that is the whole ticket's work, so for tickets
that changed group it also holds the other teams' work, which the fit's source says. Each sample is
fitted by ``fit_durations.fit_duration``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.calibration.fit_durations import DurationFit, fit_duration
from sim.calibration.stays import has_column, stay_work


@dataclass(frozen=True)
class HandleFits:
    """Fitted handle times keyed by (category, team), and why none were fitted if so."""

    fits: dict[tuple[str, str], DurationFit]
    source: str
    reason: str | None = None


def handle_time_samples(tickets: pd.DataFrame, events: pd.DataFrame | None) -> tuple[pd.DataFrame, str]:
    """Rows of ``category``, ``group``, ``work_minutes`` and the column they come from."""
    if has_column(events, "work_minutes"):
        assert events is not None  # has_column is False for a missing table
        return stay_work(tickets, events), "events.work_minutes (per stay)"
    if has_column(tickets, "work_minutes"):
        rows = tickets[tickets["work_minutes"].notna()]
        return rows[["category", "group", "work_minutes"]], "tickets.work_minutes (per ticket, at its first group)"
    return pd.DataFrame(columns=["category", "group", "work_minutes"]), ""


def fit_handle_times(tickets: pd.DataFrame, events: pd.DataFrame | None = None) -> HandleFits:
    """Handle time of each category × team with any work recorded."""
    samples, source = handle_time_samples(tickets, events)
    if samples.empty:
        return HandleFits({}, source, reason="no work_minutes in the tickets or the events: handle times not fitted")
    fits = {
        (str(category), str(team)): fit_duration(group["work_minutes"].to_numpy(dtype=float), source)
        for (category, team), group in samples.groupby(["category", "group"], sort=True)
    }
    return HandleFits(fits, source)
