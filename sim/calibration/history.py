"""Back-test KPIs of a ticket history: one function, applied alike to an export and to each simulated replication.

``period_kpis(tickets, events, rules, periods)`` takes the canonical tables (``export_schema``) and
returns one row per cell: a kind of period (``week``: each 7-day block from the start of the
period; ``hour``: each hour of the day on the local clock, pooled over the whole period), a period,
a channel (or ``all``) and a KPI, with its value and the number of observations behind it. The
export and every replication go through this same function, so their definitions cannot differ.

KPIs (tickets counted in the cell they were *created* in):

- ``volume``: tickets created.
- ``asa`` (minutes): mean of first reply − created over tickets with a first reply. On a live
  channel (one with a ``patience`` in the scenario: callers and chatters wait on the line) this is
  the average speed of answer of contacts answered in their first queue; elsewhere (email, web) it
  is the first-response time. One name, read by channel.
- ``service_level`` (share): tickets answered within the channel's ``service_level.target``, over
  tickets answered or abandoned; only channels with a target.
- ``abandonment_rate`` (share): abandoned tickets over tickets created; live channels only.
- ``escalation_rate`` (share): tickets with two or more group stays (moved to another group at least
  once: an escalation, a transfer, or a reopen routed to another group) over tickets created. Needs
  the event table; without it this KPI is left out.
- ``resolution_time`` (hours): mean of solved − created over solved tickets.

``volume``, ``escalation_rate`` and ``resolution_time`` also have a channel ``all``. A ratio or a
mean whose denominator has fewer than ``MIN_OBSERVATIONS`` tickets in a cell is NaN there (not
judged); a volume is always defined (0 included).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.stays import group_stays
from sim.core.names import Names
from sim.core.units import DAYS_PER_WEEK, HOURS_PER_DAY
from sim.scenario.spec import Scenario

ALL = "all"
"""The channel label of a cell over every channel."""

MIN_OBSERVATIONS = 10
"""A ratio or mean KPI needs at least this many tickets in its denominator in a cell; fewer: NaN."""


class Kpi(Names):
    """The back-test KPIs, in the order they are reported."""

    VOLUME = "volume"
    ASA = "asa"
    SERVICE_LEVEL = "service_level"
    ABANDONMENT = "abandonment_rate"
    ESCALATION = "escalation_rate"
    RESOLUTION = "resolution_time"


UNITS = {
    Kpi.VOLUME: "tickets",
    Kpi.ASA: "min",
    Kpi.SERVICE_LEVEL: "share",
    Kpi.ABANDONMENT: "share",
    Kpi.ESCALATION: "share",
    Kpi.RESOLUTION: "h",
}
"""The unit of each KPI (shares are fractions in [0, 1])."""

LABELS = {
    Kpi.VOLUME: "tickets created",
    Kpi.ASA: "ASA (live) / first response (minutes)",
    Kpi.SERVICE_LEVEL: "service level",
    Kpi.ABANDONMENT: "abandonment rate",
    Kpi.ESCALATION: "escalation rate (2+ group stays)",
    Kpi.RESOLUTION: "resolution time (hours)",
}
"""What each KPI is called in tables and plots."""


class Period(Names):
    """The kinds of period cell."""

    WEEK = "week"
    HOUR = "hour"


CELL = ["kind", "period", "channel", "kpi"]
"""The columns that name a cell."""


@dataclass(frozen=True)
class KpiRules:
    """Which channels get which KPIs: every channel, the live ones, and the service-level targets (minutes)."""

    channels: tuple[str, ...]
    live: frozenset[str]
    targets: dict[str, float]

    @classmethod
    def from_scenario(cls, scenario: Scenario, extra_channels: Iterable[str] = ()) -> KpiRules:
        """The scenario's channels (then any ``extra_channels`` it lacks), live = with a patience."""
        names = [c.name for c in scenario.channels]
        names += sorted(set(map(str, extra_channels)) - set(names))
        return cls(
            channels=tuple(names),
            live=frozenset(c.name for c in scenario.channels if c.patience is not None),
            targets={c.name: float(c.service_level.target) for c in scenario.channels if c.service_level is not None},
        )


@dataclass(frozen=True)
class Periods:
    """The period [start, end) on the local clock ``tz``, cut into weeks from ``start`` and hours of the day."""

    start: pd.Timestamp
    end: pd.Timestamp
    tz: str = "UTC"

    @property
    def local_start(self) -> pd.Timestamp:
        """``start`` as a naive local wall-clock time."""
        return self.start.tz_convert(self.tz).tz_localize(None)

    @property
    def local_end(self) -> pd.Timestamp:
        """``end`` as a naive local wall-clock time."""
        return self.end.tz_convert(self.tz).tz_localize(None)

    @property
    def weeks(self) -> int:
        """Number of 7-day blocks from ``start`` (the last one may be partial)."""
        return max(1, math.ceil((self.local_end - self.local_start) / pd.Timedelta(days=DAYS_PER_WEEK)))

    @property
    def partial_days(self) -> float:
        """Length of the last week in days when it is shorter than 7, else 0."""
        last = (self.local_end - self.local_start) / pd.Timedelta(days=1) - DAYS_PER_WEEK * (self.weeks - 1)
        return 0.0 if last >= DAYS_PER_WEEK - 1e-9 else float(last)

    def week_labels(self) -> list[str]:
        """``2026-03-02`` (the local date each week starts), ``… (partial)`` for a short last week."""
        labels = [f"{self.local_start + pd.Timedelta(days=DAYS_PER_WEEK * w):%Y-%m-%d}" for w in range(self.weeks)]
        if self.partial_days:
            labels[-1] += " (partial)"
        return labels

    @staticmethod
    def hour_labels() -> list[str]:
        """``00:00`` to ``23:00``."""
        return [f"{h:02d}:00" for h in range(HOURS_PER_DAY)]

    def inside(self, created: pd.Series) -> pd.Series:
        """Which creation times fall in [start, end)."""
        return (created >= self.start) & (created < self.end)


def escalated(tickets: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """Per ticket: whether it had two or more group stays (its first group, then each change to another group)."""
    stays = group_stays(tickets, events)
    moved = pd.Index(stays.loc[stays["step"] >= 1, "ticket"].unique())
    return np.asarray(tickets["ticket"].isin(moved).to_numpy(), dtype=bool)


def _per_ticket(tickets: pd.DataFrame, events: pd.DataFrame | None, rules: KpiRules, periods: Periods) -> pd.DataFrame:
    """The counts each ticket adds to its cells (tickets created in the period only)."""
    t = tickets[periods.inside(tickets["created"]).to_numpy()]
    local = t["created"].dt.tz_convert(periods.tz).dt.tz_localize(None)
    week = ((local - periods.local_start) // pd.Timedelta(days=DAYS_PER_WEEK)).to_numpy(dtype=np.int64)
    answered = t["first_reply"].notna().to_numpy()
    wait = ((t["first_reply"] - t["created"]).dt.total_seconds() / 60.0).to_numpy(dtype=float)
    abandoned = t["abandoned"].to_numpy(dtype=bool)
    target = t["channel"].map(rules.targets).to_numpy(dtype=float)
    solved = t["solved"].notna().to_numpy()
    hours = ((t["solved"] - t["created"]).dt.total_seconds() / 3600.0).to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            Period.WEEK: np.clip(week, 0, periods.weeks - 1),
            Period.HOUR: local.dt.hour.to_numpy(dtype=np.int64),
            "channel": t["channel"].astype(str).to_numpy(),
            "created": 1,
            "answered": answered.astype(int),
            "wait": np.where(answered, wait, 0.0),
            "hit": (answered & (wait <= target)).astype(int),
            "decided": (answered | abandoned).astype(int),
            "abandoned": abandoned.astype(int),
            "solved": solved.astype(int),
            "hours": np.where(solved, hours, 0.0),
        }
    )
    if events is not None:
        out["escalated"] = escalated(t, events).astype(int)
    return out


def _sums(per: pd.DataFrame, kind: str, periods: int, channels: tuple[str, ...]) -> pd.DataFrame:
    """Column sums per (period, channel) over every period and channel (zeros where none), plus channel ``all``."""
    counts = [c for c in per.columns if c not in (Period.WEEK, Period.HOUR, "channel")]
    index = pd.MultiIndex.from_product([range(periods), channels], names=["period", "channel"])
    by_channel = per.groupby([kind, "channel"])[counts].sum().rename_axis(["period", "channel"])
    by_channel = by_channel.reindex(index, fill_value=0)
    overall = per.groupby(kind)[counts].sum().reindex(range(periods), fill_value=0).rename_axis("period")
    overall = overall.assign(channel=ALL).set_index("channel", append=True)
    return pd.concat([by_channel, overall]).reset_index()


def _ratio(numerator: pd.Series, denominator: pd.Series, least: int) -> np.ndarray:
    """The ratio numerator / denominator where the denominator is at least ``least`` (and 1); else NaN."""
    den = denominator.to_numpy(dtype=float)
    return np.where(den >= max(least, 1), numerator.to_numpy(dtype=float) / np.maximum(den, 1.0), np.nan)


def period_kpis(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    rules: KpiRules,
    periods: Periods,
    min_observations: int = MIN_OBSERVATIONS,
) -> pd.DataFrame:
    """Every KPI cell of the canonical tables: ``kind, period, channel, kpi, unit, value, n``.

    Tickets created outside [start, end) are left out. ``events=None``: no ``escalation_rate``. A
    ratio or mean with fewer than ``min_observations`` tickets in its denominator is NaN.
    Rows come in a fixed order (kind, KPI, channel, period), so two tables line up row by row.
    """
    per = _per_ticket(tickets, events, rules, periods)
    least = min_observations
    frames = []
    for kind, labels in ((Period.WEEK, periods.week_labels()), (Period.HOUR, periods.hour_labels())):
        s = _sums(per, kind, len(labels), rules.channels)
        channel = s["channel"]
        is_all = channel == ALL
        values = {
            Kpi.VOLUME: (s["created"].to_numpy(dtype=float), s["created"], np.ones(len(s), dtype=bool)),
            Kpi.ASA: (_ratio(s["wait"], s["answered"], least), s["answered"], ~is_all),
            Kpi.SERVICE_LEVEL: (_ratio(s["hit"], s["decided"], least), s["decided"], channel.isin(list(rules.targets))),
            Kpi.ABANDONMENT: (
                _ratio(s["abandoned"], s["created"], least),
                s["created"],
                channel.isin(list(rules.live)),
            ),
            Kpi.RESOLUTION: (_ratio(s["hours"], s["solved"], least), s["solved"], np.ones(len(s), dtype=bool)),
        }
        if "escalated" in s.columns:
            values[Kpi.ESCALATION] = (
                _ratio(s["escalated"], s["created"], least),
                s["created"],
                np.ones(len(s), dtype=bool),
            )
        for kpi in Kpi.all():
            if kpi not in values:
                continue
            value, n, keep = values[kpi]
            keep = np.asarray(keep, dtype=bool)
            frames.append(
                pd.DataFrame(
                    {
                        "kind": kind,
                        "period": np.asarray(labels, dtype=object)[s["period"].to_numpy()[keep]],
                        "channel": channel.to_numpy()[keep],
                        "kpi": kpi,
                        "unit": UNITS[kpi],
                        "value": np.asarray(value, dtype=float)[keep],
                        "n": np.asarray(n, dtype=np.int64)[keep],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)
