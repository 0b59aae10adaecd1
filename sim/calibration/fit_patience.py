"""Patience of live-channel customers, from abandoned contacts and the waits of answered ones.

An abandoned contact shows its patience (it ran out at ``abandoned_at``); an answered contact only
shows that its patience was longer than its wait (``first_reply − created``): right-censored data.
The mean wait of the abandoners is therefore biased low (only the impatient abandon), and is given
only for contrast. Two estimates use the censoring:

- the **exponential MLE**: abandonments / total exposure (the sum of all waits), mean = exposure /
  abandonments, standard error mean / sqrt(abandonments);
- the **Kaplan-Meier** survival curve, with Greenwood standard errors.

**Choice.** The exponential is kept when, at every abandonment time, its survival exp(−t / mean) lies
within 3 Greenwood standard errors + 0.02 of the Kaplan-Meier curve (the memoryless patience of
Erlang A); otherwise the patience is **empirical**: 200 quantiles of the Kaplan-Meier distribution,
up to the last abandonment with ``MIN_AT_RISK`` contacts still waiting, and the mass it leaves beyond
that spread as an exponential tail of the residual waits' censored mean. Contacts neither answered
nor abandoned are left out and counted. Patience is measured in the first queue: a contact that
gave up after a first answer (in a later queue, after a transfer) counts as answered at its first
answer, because its wait after that includes time being served, which is not patience.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.fit_durations import EMPIRICAL_POINTS

KM_TOLERANCE = 0.02
"""Absolute slack between the Kaplan-Meier and exponential survival, on top of 3 Greenwood standard errors."""
KM_SE = 3.0
MIN_ABANDONED = 10
"""Fewer abandonments than this: patience is not fitted."""
MIN_AT_RISK = 30
"""An empirical patience follows Kaplan-Meier while at least this many contacts wait; an exponential tail after."""


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier survival curve: S just after each distinct event time."""

    times: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    """Greenwood standard error of ``survival``."""
    at_risk: np.ndarray
    events: np.ndarray


@dataclass(frozen=True)
class PatienceFit:
    """One channel's fitted patience, with the estimates behind the choice."""

    channel: str
    source: str
    n: int
    """Contacts used (answered or abandoned)."""
    abandoned: int = 0
    document: dict[str, Any] | None = None
    family: str | None = None
    mean: float = math.nan
    """Exponential MLE of the mean patience with censoring."""
    mean_se: float = math.nan
    naive_mean: float = math.nan
    """Mean wait of the abandoners: biased low, for contrast only."""
    km: KaplanMeier | None = None
    max_gap: float = math.nan
    """Largest |KM − exponential| survival gap at an abandonment time."""
    unusable: int = 0
    """Contacts neither answered nor abandoned, left out."""
    notes: list[str] = field(default_factory=list)
    reason: str | None = None


def kaplan_meier(durations: np.ndarray, observed: np.ndarray) -> KaplanMeier:
    """The Kaplan-Meier estimate; censored times tied with events count as still at risk at them."""
    times, inverse = np.unique(durations, return_inverse=True)
    events = np.bincount(inverse, weights=observed.astype(float), minlength=len(times))
    leaving = np.bincount(inverse, minlength=len(times)).astype(float)
    at_risk = len(durations) - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    has_event = events > 0
    times, events, at_risk = times[has_event], events[has_event], at_risk[has_event]
    survival = np.cumprod(1.0 - events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0)
    se = survival * np.sqrt(np.cumsum(terms))
    return KaplanMeier(times, survival, se, at_risk, events)


def km_quantiles(km: KaplanMeier, tail_from: float, tail_mean: float, points: int = EMPIRICAL_POINTS) -> list[float]:
    """``points`` quantiles at (i + 0.5) / points: Kaplan-Meier up to ``tail_from``, an exponential tail after.

    Beyond ``tail_from`` too few contacts are still waiting for the steps of the curve to mean anything
    (one hang-up among two halves it), so the mass left there is spread as an exponential of
    ``tail_mean``, the censored mean of the residual waits.
    """
    levels = (np.arange(points) + 0.5) / points
    keep = km.times <= tail_from
    cdf = 1.0 - km.survival[keep]
    index = np.searchsorted(cdf, levels, side="left")
    inside = index < len(cdf)
    values = np.empty(points)
    values[inside] = km.times[keep][index[inside]]
    remaining = 1.0 - (cdf[-1] if len(cdf) else 0.0)
    beyond = (levels[~inside] - (1.0 - remaining)) / remaining
    values[~inside] = tail_from - tail_mean * np.log1p(-beyond)
    return [float(v) for v in values]


def tail_start(km: KaplanMeier) -> float:
    """The last abandonment time with at least ``MIN_AT_RISK`` contacts still waiting (0 if none)."""
    enough = km.times[km.at_risk >= MIN_AT_RISK]
    return float(enough[-1]) if len(enough) else 0.0


def residual_mean(waits: np.ndarray, abandoned: np.ndarray, after: float) -> float:
    """Censored exponential mean of the waits beyond ``after``: residual exposure / abandonments beyond it."""
    beyond = waits > after
    events = int(abandoned[beyond].sum())
    exposure = float((waits[beyond] - after).sum())
    return exposure / events if events else exposure or 1.0


def fit_patience_sample(waits: np.ndarray, abandoned: np.ndarray, channel: str, source: str) -> PatienceFit:
    """Fit patience from waits (minutes) and whether each contact abandoned (True) or was answered."""
    waits = np.asarray(waits, dtype=float)
    abandoned = np.asarray(abandoned, dtype=bool)
    usable = np.isfinite(waits) & (waits >= 0)
    waits, abandoned = waits[usable], abandoned[usable]
    d, n = int(abandoned.sum()), len(waits)
    base = PatienceFit(channel, source, n, abandoned=d, unusable=int((~usable).sum()))
    if d < MIN_ABANDONED:
        return replace(base, reason=f"only {d} abandoned contacts (need {MIN_ABANDONED})")
    exposure = float(waits.sum())
    mean = exposure / d
    km = kaplan_meier(waits, abandoned)
    tail = tail_start(km)
    gap = np.abs(km.survival - np.exp(-km.times / mean))
    exponential = bool(np.all((gap <= KM_SE * km.se + KM_TOLERANCE) | (km.at_risk <= km.events)))  # S = 0, no se
    document: dict[str, Any] = (
        {"dist": "exponential", "mean": mean}
        if exponential
        else {"dist": "empirical", "values": km_quantiles(km, tail, residual_mean(waits, abandoned, tail))}
    )
    notes = [] if exponential else [f"Kaplan-Meier departs from the exponential by up to {gap.max():.3f}"]
    return replace(
        base,
        document=document,
        family="exponential" if exponential else "empirical",
        mean=mean,
        mean_se=mean / math.sqrt(d),
        naive_mean=float(waits[abandoned].mean()),
        km=km,
        max_gap=float(gap.max()),
        notes=notes,
    )


def fit_patience(tickets: pd.DataFrame) -> dict[str, PatienceFit]:
    """Per live channel (one with any abandoned contact): patience with censoring; {} without the columns."""
    needed = {"channel", "created", "first_reply", "abandoned", "abandoned_at"}
    if not needed <= set(tickets.columns):
        return {}
    gave_up = tickets["abandoned"].fillna(False).astype(bool)
    first_queue = gave_up & tickets["first_reply"].isna()
    end = tickets["abandoned_at"].where(first_queue, tickets["first_reply"])
    waits = ((end - tickets["created"]).dt.total_seconds() / 60.0).to_numpy(dtype=float)
    live = tickets.loc[gave_up, "channel"].unique()
    source = "tickets.abandoned_at, tickets.first_reply (censored)"
    fits = {}
    for channel in sorted(map(str, live)):
        rows = (tickets["channel"] == channel).to_numpy()
        fit = fit_patience_sample(waits[rows], first_queue.to_numpy()[rows], channel, source)
        later = int((gave_up & ~first_queue).to_numpy()[rows].sum())
        if later:
            note = f"{later} gave up after a first answer (in a later queue): censored at their first answer"
            fit = replace(fit, notes=[*fit.notes, note])
        fits[channel] = fit
    return fits
