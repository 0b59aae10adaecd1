"""Reopen probability per category, and the delay from a resolution to the reopening.

The scenario's ``Reopen`` draws its chance at each resolution until a ticket has been reopened
``max`` times. Its maximum-likelihood probability is therefore reopenings / chances, where a ticket
gave ``reopens`` chances that came true plus one more for its final solve if it had not yet reached
``max`` (the largest reopen count seen). The standard error is binomial over the chances. The delay
is the time from a ``solved`` status change to the ticket's next one when it is ``reopened`` (events
needed), fitted by ``fit_durations.fit_duration``, per category and pooled over all categories.

With the group stays, the probability is also given per resolving team (the team of the stay the
ticket was solved in), as the scenario's ``Reopen.probability`` can take it, and where reopened
tickets went back to: their first team or the team that resolved them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.fit_durations import DurationFit, cdf, fit_duration
from sim.calibration.stays import STATUS_CHANGE, naive_utc, status_intervals, status_stays, ticket_column

SOLVED, REOPENED = "solved", "reopened"

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
    by_team: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Per resolving team: (reopenings, chances weighted for the export's end), when the events show who resolved."""
    return_to: str | None = None
    """Where reopened tickets went: ``first`` (the first team) or ``resolver``; None if the export cannot tell."""

    def team_probability(self, team: str) -> tuple[float, float]:
        """The reopen probability after ``team`` resolved, and its standard error."""
        k, n = self.by_team[team]
        p = k / n
        return p, math.sqrt(p * (1.0 - p) / n)


@dataclass(frozen=True)
class ReopenFits:
    """Reopen fits per category, the pooled delay, and why something was not fitted."""

    categories: dict[str, ReopenFit] = field(default_factory=dict)
    pooled_delay: DurationFit | None = None
    reason: str | None = None


def by_resolver(
    stays: pd.DataFrame, tickets: pd.DataFrame, events: pd.DataFrame, most: int, delays: dict[str, dict[str, Any]]
) -> pd.DataFrame:
    """Per category and resolving team: reopenings and chances, the chances weighted for the export's end.

    A solve is a chance when the ticket had been reopened fewer than ``most`` times; it came true when
    the ticket's next status change is ``reopened``. The team is the group of the stay it was solved
    in. A solve shortly before the export ends has had little time to reopen, so it counts as a
    chance only in proportion to the fitted delay's probability of ending by then (``exposure``):
    reopenings / exposure is then the maximum-likelihood probability, where plain chances would be
    biased low by the solves of the last days.
    """
    status = events[events["kind"] == STATUS_CHANGE]
    same = status["ticket"].eq(status["ticket"].shift(-1))
    solves = status["status"] == SOLVED
    reopened_next = (same & status["status"].shift(-1).eq(REOPENED))[solves]
    stay = status_stays(stays, tickets, events, SOLVED)
    earlier = status.loc[solves, "ticket"].groupby(status.loc[solves, "ticket"], sort=False).cumcount()
    chance = ((stay >= 0) & (earlier < most)).to_numpy()
    at = stay.to_numpy()[chance]
    left = (events["time"].max() - status.loc[solves, "time"]).dt.total_seconds().to_numpy()[chance] / 60.0
    frame = pd.DataFrame(
        {
            "category": stays["category"].to_numpy()[at],
            "team": stays["group"].to_numpy()[at],
            "chances": 1,
            "left": left,
            "reopens": reopened_next.to_numpy()[chance].astype(int),
        }
    )
    frame["exposure"] = 1.0
    for category, document in delays.items():
        rows = (frame["category"] == category).to_numpy()
        frame.loc[rows, "exposure"] = cdf(document, frame.loc[rows, "left"].to_numpy())
    return frame.groupby(["category", "team"], sort=True)[["chances", "exposure", "reopens"]].sum()


def returns(stays: pd.DataFrame, tickets: pd.DataFrame, events: pd.DataFrame) -> dict[str, str]:
    """Per category: ``first`` or ``resolver``, whichever most reopened tickets did that could tell them apart.

    Only a ticket resolved away from its first team tells: a group change at the reopening's instant
    back to the first team says ``first``, none says ``resolver``.
    """
    stay = status_stays(stays, tickets, events, REOPENED)
    stay = stay[stay >= 0].to_numpy()
    group, first = stays["group"].to_numpy()[stay], stays["first_group"].to_numpy()[stay]
    informative = group != first
    following = np.minimum(stay + 1, len(stays) - 1)
    reopened_at = naive_utc(events.loc[(events["kind"] == STATUS_CHANGE) & (events["status"] == REOPENED), "time"])
    reopened_at = reopened_at[(status_stays(stays, tickets, events, REOPENED) >= 0).to_numpy()]
    moved = (
        (following != stay)
        & (stays["row"].to_numpy()[following] == stays["row"].to_numpy()[stay])
        & (stays["entered"].to_numpy()[following] == reopened_at)
    )
    to_first = moved & (stays["group"].to_numpy()[following] == first)
    votes = pd.DataFrame({"category": stays["category"].to_numpy()[stay], "first": to_first})[informative]
    share = votes.groupby("category", sort=True)["first"].mean()
    return {str(c): "first" if v > 0.5 else "resolver" for c, v in share.items()}


def fit_reopens(
    tickets: pd.DataFrame, events: pd.DataFrame | None = None, stays: pd.DataFrame | None = None
) -> ReopenFits:
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
    exposed_source = "events.status (solved → reopened, weighted for the export's end)"
    delay_fits = {
        str(c): fit_duration(group.to_numpy(dtype=float), delay_source)
        for c, group in delays.groupby("category", sort=True)["minutes"]
    }
    teams, back = pd.DataFrame(columns=["chances", "exposure", "reopens"]), {}
    if stays is not None and events is not None and not delay_reason:
        documents = {c: f.document for c, f in delay_fits.items() if f.document}
        teams, back = by_resolver(stays, tickets, events, most, documents), returns(stays, tickets, events)
    frame = pd.DataFrame({"category": tickets["category"], "reopens": reopens.clip(upper=most), "chances": chances})
    sums = frame.groupby("category", sort=True)[["reopens", "chances"]].sum()
    fits = {}
    for category, row in sums.iterrows():
        n, k = int(row.chances), int(row.reopens)
        if n == 0:
            fits[str(category)] = ReopenFit(str(category), source, 0, reason="no resolved tickets")
            continue
        own = teams[teams.index.get_level_values(0) == category] if len(teams) else teams
        exposure = float(own["exposure"].sum()) if len(own) else 0.0
        p = int(own["reopens"].sum()) / exposure if exposure > 0 else k / n
        fits[str(category)] = ReopenFit(
            str(category),
            source if exposure <= 0 else exposed_source,
            n,
            reopens=k,
            probability=p,
            probability_se=math.sqrt(p * (1.0 - p) / (exposure if exposure > 0 else n)),
            max=most,
            delay=delay_fits.get(str(category)) if k and not delay_reason else None,
            reason=delay_reason if k and delay_reason else None,
            by_team={str(team): (int(r.reopens), float(r.exposure)) for (_, team), r in own.iterrows() if r.chances},
            return_to=back.get(str(category)),
        )
    pooled = fit_duration(delays["minutes"].to_numpy(dtype=float), delay_source) if not delay_reason else None
    return ReopenFits(fits, pooled, reason=delay_reason or None)
