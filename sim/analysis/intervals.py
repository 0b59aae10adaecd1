"""KPIs per interval: service level, ASA, abandonment and occupancy interval by interval, as WFM tools judge a plan.

A weekly average hides the Monday-morning hour in which half the callers hang up. These functions cut
the run after the warm-up into intervals of the scenario's ``reporting.interval`` (15, 30 or 60 minutes,
clock-aligned from time 0, which is midnight of ``start_date``; an interval cut by the end of the
warm-up or by the horizon is shorter), and compute, per replication:

- per channel and interval, *by arrival interval* (a ticket counts in the interval it arrived in,
  however long it then waits, as WFM tools and ACD interval reports do): tickets offered, answered
  and abandoned, the service level with exactly the headline definition (``service_level_flags``,
  which ``channel_kpis.service_level`` uses too:
  abandoned tickets and tickets still waiting past the target at the horizon are misses, tickets whose
  target had not elapsed at the horizon are left out), the ASA of the answered ones and the
  abandonment rate (abandoned over offered);
- per team and interval, from the time-weighted levels: agents on duty, agents available (on duty
  minus ``away`` when the levels record such a level, else all of them), busy agents, and occupancy
  = busy / available agent time over the interval.

An interval in which no ticket arrived has no service level, ASA or abandonment rate (NaN, shown as
"no arrivals"), never 0 % or 100 %; an interval in which nobody was available has no occupancy.
Across replications each cell gets its mean and a 95 % interval over the replications that have it.
``intervals_met``: per replication, the share of intervals with a known service level that met the
channel's goal; its mean and interval over replications is the KPI ``intervals_met.<channel>``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.student_t import Q975, t_quantiles
from sim.analysis.ticket_columns import label_codes
from sim.engine.tickets import Outcome
from sim.scenario.spec import Scenario

if TYPE_CHECKING:
    from pandas.core.groupby import DataFrameGroupBy

NON_NEGATIVE = (0.0, math.inf)
"""Where a count, a time or a number of agents can lie (as ``confidence.kpi_bounds`` says for their units)."""
FRACTION = (0.0, 1.0)
"""Where a share (a service level, a rate, occupancy) can lie."""

AWAY = "away"
"""The level of agents on duty but not available (breaks, training, shrinkage), if the engine records it."""

CHANNEL_MEASURES = {
    "offered": NON_NEGATIVE,
    "answered": NON_NEGATIVE,
    "abandoned": NON_NEGATIVE,
    "service_level": FRACTION,
    "asa": NON_NEGATIVE,
    "abandonment_rate": FRACTION,
}
"""Per channel and interval: the measures and the bounds their intervals are cut to."""

TEAM_MEASURES = {"on_duty": NON_NEGATIVE, "available": NON_NEGATIVE, "busy": NON_NEGATIVE, "occupancy": FRACTION}
"""Per team and interval: agents on duty, available (on duty minus away), busy, and busy over available."""


LevelSeries = dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
"""Each (team, metric) step series of a levels table: its times and values (``level_series``)."""

COLUMNS_READ = ("channel", "arrival", "answered_at", "outcome", "wait")
"""The tickets' columns the channel intervals read (tables are cut to them before they are split)."""


def interval_edges(length: float, warmup: float, horizon: float) -> np.ndarray:
    """The boundaries of the reporting intervals over [warm-up, horizon): clock-aligned multiples of ``length``.

    The first interval starts at the warm-up's end and the last ends at the horizon, so either may be
    shorter than ``length`` when those fall inside an interval.
    """
    inner = np.arange(math.floor(warmup / length) + 1, math.ceil(horizon / length)) * length
    return np.concatenate([[warmup], inner[(inner > warmup) & (inner < horizon)], [horizon]])


def interval_labels(starts: np.ndarray, scenario: Scenario) -> list[str]:
    """Each interval's start as a planner reads it: ``Mon 05 Jan 09:00`` (time 0 is midnight of ``start_date``)."""
    origin = dt.datetime.combine(scenario.start_date, dt.time())
    distinct, which = np.unique(starts, return_inverse=True)  # each start once: every channel has the same intervals
    labels = [f"{origin + dt.timedelta(minutes=float(t)):%a %d %b %H:%M}" for t in distinct]
    return [labels[i] for i in which]


def service_level_flags(tickets: pd.DataFrame, target: float, horizon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per ticket: answered within ``target`` (a hit), and whether its fate at the target is known.

    Known: answered, abandoned (a miss), or still waiting at the horizon past the target (a miss);
    a ticket still waiting that arrived less than ``target`` before the horizon is left out.
    """
    answered = tickets["answered_at"].notna().to_numpy()
    abandoned = (tickets["outcome"] == Outcome.ABANDONED).to_numpy()
    return level_flags(answered, tickets["wait"].to_numpy(), abandoned, tickets["arrival"].to_numpy(), target, horizon)


def level_flags(
    answered: np.ndarray, wait: np.ndarray, abandoned: np.ndarray, arrival: np.ndarray, target: float, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """``service_level_flags`` from the tickets' columns as arrays (answered and abandoned as flags)."""
    still_waiting = ~answered & ~abandoned & (horizon - arrival > target)
    return answered & (wait <= target), answered | abandoned | still_waiting


def channel_intervals(tickets: pd.DataFrame, scenario: Scenario, warmup: float, horizon: float) -> pd.DataFrame:
    """One replication's per-channel, per-interval table (every interval, arrivals or not), by arrival interval.

    Columns: ``channel, interval, start, end, offered, answered, abandoned, within_target, decided,
    service_level, asa, abandonment_rate``; ``within_target`` and ``decided`` are the service level's
    numerator and denominator (NaN for a channel without a service-level target).
    """
    return pd.DataFrame(_channel_columns(tickets, scenario, warmup, horizon))


def _channel_columns(tickets: pd.DataFrame, scenario: Scenario, warmup: float, horizon: float) -> dict[str, np.ndarray]:
    """The columns of ``channel_intervals``: each channel's intervals, one channel after the other."""
    edges = interval_edges(scenario.reporting.minutes, warmup, horizon)
    count = len(edges) - 1
    # per-ticket arrays, masked per channel (not a filtered copy of the table per channel)
    arrival = tickets["arrival"].to_numpy()
    counted = arrival >= warmup
    answered_all = tickets["answered_at"].notna().to_numpy()
    abandoned_all = (tickets["outcome"] == Outcome.ABANDONED).to_numpy()
    wait = tickets["wait"].to_numpy(dtype=float)
    waits_all = np.nan_to_num(wait)
    codes, channels = label_codes(tickets["channel"])
    parts = []
    for channel in scenario.channels:
        mine = counted & (codes == channels.get_loc(channel.name) if channel.name in channels else False)
        where = np.clip(np.searchsorted(edges, arrival[mine], side="right") - 1, 0, count - 1)
        answered = answered_all[mine]
        abandoned = abandoned_all[mine]
        waits = waits_all[mine]
        offered = np.bincount(where, minlength=count).astype(float)
        n_answered = np.bincount(where, weights=answered, minlength=count)
        wait_sum = np.bincount(where, weights=np.where(answered, waits, 0.0), minlength=count)
        n_abandoned = np.bincount(where, weights=abandoned, minlength=count)
        if channel.service_level is not None:
            target = channel.service_level.target
            hit, decided = level_flags(answered_all, wait, abandoned_all, arrival, target, horizon)
            within = np.bincount(where, weights=hit[mine], minlength=count)
            known = np.bincount(where, weights=decided[mine], minlength=count)
            level = _ratio(within, known)
        else:
            within = known = level = np.full(count, np.nan)
        parts.append(
            {
                "channel": np.full(count, channel.name, dtype=object),
                "interval": np.arange(count),
                "start": edges[:-1],
                "end": edges[1:],
                "offered": offered,
                "answered": n_answered,
                "abandoned": n_abandoned,
                "within_target": within,
                "decided": known,
                "service_level": level,
                "asa": _ratio(wait_sum, n_answered),
                "abandonment_rate": _ratio(n_abandoned, offered),
            }
        )
    return _joined(parts)


def team_intervals(levels: pd.DataFrame, scenario: Scenario, warmup: float, horizon: float) -> pd.DataFrame:
    """One replication's per-team, per-interval table: ``team, interval, start, end``, then the levels.

    The levels are ``on_duty, available, busy``, each its time-weighted mean over the interval
    (agent-minutes over minutes), and ``occupancy``, busy over available agent time (NaN when nobody
    was available).
    """
    return pd.DataFrame(_team_columns(level_series(levels), scenario, warmup, horizon))


def _team_columns(steps: LevelSeries, scenario: Scenario, warmup: float, horizon: float) -> dict[str, np.ndarray]:
    """The columns of ``team_intervals`` from the levels' step series: each team's intervals, one team after another."""
    edges = interval_edges(scenario.reporting.minutes, warmup, horizon)
    widths = np.diff(edges)
    none = (np.empty(0), np.empty(0))
    parts = []
    for team in scenario.pools:
        if team.agents is None and team.shifts is None:
            continue  # a team served only by agent groups: its agents' levels are the groups'
        area = {
            metric: np.diff(_step_integral(*steps.get((team.name, metric), none), edges))
            for metric in ("staffed", "busy", AWAY)
        }
        available = area["staffed"] - area[AWAY]
        parts.append(
            {
                "team": np.full(len(widths), team.name, dtype=object),
                "interval": np.arange(len(widths)),
                "start": edges[:-1],
                "end": edges[1:],
                "on_duty": area["staffed"] / widths,
                "available": available / widths,
                "busy": area["busy"] / widths,
                "occupancy": _ratio(area["busy"], available),
            }
        )
    return _joined(parts)


def _joined(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Tables of the same columns, one's rows after the other's, as columns: one table is built, not several."""
    if not parts:
        raise ValueError("No objects to concatenate")  # as pd.concat of no tables
    return {column: np.concatenate([part[column] for part in parts]) for column in parts[0]}


def level_series(levels: pd.DataFrame) -> LevelSeries:
    """Each (team, metric) step series of a levels table: its times and values, rows in table order.

    Keys come in order of first appearance, as ``groupby(sort=False)`` gives them; one sort of small
    integers (the columns' category codes) replaces a DataFrame per group.
    """
    team, teams = label_codes(levels["team"])
    metric, metrics = label_codes(levels["metric"])
    pairs = len(teams) * len(metrics)
    key = np.where((team >= 0) & (metric >= 0), team.astype(np.int64) * len(metrics) + metric, -1)  # -1: unlabelled
    order = np.argsort(key.astype(np.min_scalar_type(-pairs - 1)), kind="stable")  # small integers: a radix sort
    ordered = key[order]
    starts = np.flatnonzero(np.diff(ordered, prepend=-2))  # where each key's rows begin in ``order``
    ends = np.append(starts[1:], len(key))[: len(starts)]
    times, values = levels["time"].to_numpy(), levels["value"].to_numpy()
    series = {}
    for start, end in sorted(zip(starts, ends, strict=True), key=lambda bounds: order[bounds[0]]):  # first appearance
        code = ordered[start]
        if code >= 0:
            rows = order[start:end]
            series[(teams[code // len(metrics)], metrics[code % len(metrics)])] = (times[rows], values[rows])
    return series


def intervals_met(channels: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """Per channel with a service goal: the share of intervals with a known service level that met the goal.

    Intervals without arrivals (or whose every ticket's target ran past the horizon) are left out;
    a channel with no such interval has no value (NaN).
    """
    out: dict[str, float] = {}
    names = channels["channel"].to_numpy()
    service_levels = channels["service_level"].to_numpy()
    for channel in scenario.channels:
        if channel.service_level is None:
            continue
        levels = service_levels[(names == channel.name) & ~np.isnan(service_levels)]
        met = levels >= channel.service_level.goal - 1e-12
        out[f"intervals_met.{channel.name}"] = float(met.mean()) if len(levels) else math.nan
    return out


def replication_intervals(
    tickets: pd.DataFrame, levels: pd.DataFrame, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-channel and per-team interval tables of every replication of stacked run tables.

    The tables may carry a ``replication`` column (a run's stacked tables, a results folder); each
    result row then carries it too. Without it the tables are one replication.
    """
    tickets = tickets[[c for c in (*COLUMNS_READ, "replication") if c in tickets.columns]]  # split per replication
    channels, teams = [], []
    for replication, own_tickets, own_levels in _replications(tickets, levels):
        own_channels, own_teams = one_replication_intervals(own_tickets, own_levels, scenario, replication)
        channels.append(own_channels)
        teams.append(own_teams)
    return pd.concat(channels, ignore_index=True), pd.concat(teams, ignore_index=True)


def one_replication_intervals(
    tickets: pd.DataFrame, levels: pd.DataFrame, scenario: Scenario, replication: int, steps: LevelSeries | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One replication's per-channel and per-team interval tables, each row tagged with ``replication``.

    A worker computes them next to the replication's KPIs, which read the channel table too, and
    which need the levels' step series too: ``steps`` is ``level_series(levels)`` when the caller has it.
    """
    window = (scenario.warmup, scenario.horizon)
    channels = _channel_columns(tickets, scenario, *window)
    teams = _team_columns(level_series(levels) if steps is None else steps, scenario, *window)
    return (
        pd.DataFrame(channels | {"replication": np.full(len(channels["interval"]), replication)}),
        pd.DataFrame(teams | {"replication": np.full(len(teams["interval"]), replication)}),
    )


def summarise_intervals(
    per_replication: pd.DataFrame, key: str, measures: dict[str, tuple[float, float]]
) -> pd.DataFrame:
    """Per ``key`` (channel or team) and interval: each measure's mean over replications and its 95 % interval.

    Columns: ``key, interval, start, end``, then per measure ``<m>``, ``<m>_ci_low``, ``<m>_ci_high``
    (as ``confidence.bounded_interval``: the Student-t interval over the replications that have the measure,
    cut to the measure's bounds; no interval from fewer than two), and ``replications`` (how many replications the
    rates of a channel's interval rest on: those in which a ticket arrived; for teams, all). A cell
    with no data in any replication is NaN.
    """
    groups = per_replication.groupby([key, "interval"], sort=False)
    names = list(measures)
    means, stds, counts = groups[names].mean(), groups[names].std(ddof=1), groups[names].count()
    first = groups[["start", "end"]].first()
    columns = {"start": first["start"].to_numpy(), "end": first["end"].to_numpy()}
    for measure, (lo, hi) in measures.items():  # numpy from here: the same operations, without aligning indexes
        mean, std, n = means[measure].to_numpy(), stds[measure].to_numpy(), counts[measure].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            half = np.where(n >= 2, t_quantiles(np.maximum(n - 1, 1), Q975) * std / np.sqrt(n), np.nan)
        columns[measure] = mean
        columns[f"{measure}_ci_low"] = np.minimum(np.maximum(mean - half, lo), mean)
        columns[f"{measure}_ci_high"] = np.maximum(np.minimum(mean + half, hi), mean)
    arrived = per_replication["offered"].to_numpy() > 0 if "offered" in per_replication else None
    columns["replications"] = _group_counts(groups, arrived)
    table = pd.DataFrame(columns, index=first.index).reset_index()
    table["interval"] = table["interval"].astype(int)
    return table


def _group_counts(groups: DataFrameGroupBy, flags: np.ndarray | None) -> np.ndarray:
    """How many rows of each group (in the groups' order) have ``flags`` set (all rows without flags)."""
    number = groups.ngroup().to_numpy(dtype=float)
    rows = ~np.isnan(number)  # a row whose key is missing is in no group
    if flags is not None:
        rows &= flags
    return np.bincount(number[rows].astype(np.int64), minlength=groups.ngroups)


def interval_tables(
    tickets: pd.DataFrame, levels: pd.DataFrame, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's per-channel and per-team interval tables, each cell a mean over replications with its interval.

    The channel table adds ``goal`` (the channel's service goal, NaN without one) and ``met_goal``
    (whether the mean service level reached it; NaN without arrivals or goal); both tables add
    ``when``, the interval's start as a weekday, date and clock time.
    """
    return summarised_intervals(*replication_intervals(tickets, levels, scenario), scenario)


def summarised_intervals(
    per_channel: pd.DataFrame, per_team: pd.DataFrame, scenario: Scenario
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``interval_tables`` from the per-replication tables (``replication_intervals``, or a run's workers)."""
    channels = summarise_intervals(per_channel, "channel", CHANNEL_MEASURES)
    goals = {c.name: c.service_level.goal if c.service_level else math.nan for c in scenario.channels}
    channels["goal"] = channels["channel"].map(goals).astype(float)
    level = channels["service_level"]
    channels["met_goal"] = np.where(level.notna() & channels["goal"].notna(), level >= channels["goal"] - 1e-12, np.nan)
    teams = summarise_intervals(per_team, "team", TEAM_MEASURES)
    for table in (channels, teams):
        table.insert(2, "when", interval_labels(table["start"].to_numpy(), scenario))
    return channels, teams


def _replications(tickets: pd.DataFrame, levels: pd.DataFrame):
    """(replication, tickets, levels) of each replication of stacked tables; unstacked tables are replication 0."""
    if "replication" not in tickets.columns:
        yield 0, tickets, levels
        return
    stacked_levels = levels["replication"].unique() if "replication" in levels else []
    replications = np.union1d(tickets["replication"].unique(), stacked_levels)
    for replication in replications:
        own_levels = levels[levels["replication"] == replication] if "replication" in levels else levels
        yield int(replication), tickets[tickets["replication"] == replication], own_levels


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Element-wise ``numerator / denominator``, NaN where the denominator is 0 (nothing to divide)."""
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 1e-12, numerator / np.where(denominator > 1e-12, denominator, 1.0), np.nan)


def _step_integral(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The integral from time 0 to each point of ``at`` of a step series (value holds from its time on, 0 before)."""
    if len(times) == 0:
        return np.zeros(len(at))
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    cumulative = np.concatenate([[0.0], np.cumsum(values[:-1] * np.diff(times))])
    index = np.searchsorted(times, at, side="right") - 1
    safe = np.maximum(index, 0)
    return np.where(index >= 0, cumulative[safe] + values[safe] * (at - times[safe]), 0.0)
