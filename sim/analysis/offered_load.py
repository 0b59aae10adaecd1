"""Offered load per team and interval from a pilot run, and the Erlang requirement it implies.

These are the first two steps of a network-aware staffing optimiser (issue 14). A WFM tool forecasts
each queue's load from its own history; here the load is measured where it lands in the escalation
network, so tier 2's load includes tier 1's escalations, and every team's load includes its transfers,
reopens and callbacks.

**Offered load** (``offered_load``, ``pooled_offered_load``). The run after the warm-up is cut into
clock-aligned intervals (``intervals.interval_edges``). Per team and interval, from the visits table
(one row per stay of a ticket at a team):

- ``arrivals``: the stays that *entered* the team's queue in the interval: new tickets, escalations,
  transfers, reopens, callbacks, whatever brought the ticket there;
- ``rate``: arrivals per hour (the interval's own length, so a short first or last interval is fair);
- ``mean_work``: the mean agent time per *handled* stay (minutes), over the stays entered in the same
  interval that got some work (``work > 0``) and are closed by the horizon. This is the WFM definition
  (offered load = offered contacts x AHT of handled contacts): a stay abandoned in the queue, or moved
  on before anyone picked it up, is offered but brings no work, and an Erlang model accounts for it
  (Erlang A) or ignores it (Erlang C). Work includes after-call work: a ticket's ``wrap_time`` is
  added to its stays in proportion to their work (exact when one stay got all the ticket's sessions,
  the usual case; an approximation when several teams talked to the customer). Work on tasks (reviews,
  consults, warm-handoff holds) is not a stay and is left out: a later, simulation-based step sees it.
  An interval with fewer than ``min_handled`` handled stays takes the team's mean over the whole run
  instead (``work_source`` says which), as a handful of stays gives a noisy mean;
- ``load``: the offered load in Erlangs, ``rate x mean_work / 60`` (0 for an interval without arrivals).

Stays are attributed to the interval they entered in, so an interval's load is the work its arrivals
bring, however long they then wait: the same by-arrival rule as ``intervals.channel_intervals``.

**Pooling.** ``pooled_offered_load`` takes several replications' records (``RunResult`` does not keep
the visits table, so pass the ``RunRecords`` themselves, e.g. from ``replicate`` with ``tables=True``):
the mean arrivals per cell over replications, and the mean work over all the replications' handled
stays in the cell (a ratio of sums, which weighs each stay alike).

**Requirement** (``required_agents_by_interval``): per team and interval, the fewest agents whose
service level (share of arrivals answered within ``target_time`` minutes) reaches ``target_level``, by
Erlang C at the interval's load (``theory.required_agents``) or, given a mean patience, by Erlang A
(``theory.erlang_a(...).service_level``: answered and waited at most ``target_time``; callers who
abandon are misses). Each interval is treated as if it were in steady state: the stationary
independent-period approximation that simulation refines later (issue 14, step 3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.intervals import interval_edges
from sim.analysis.theory import erlang_a, required_agents
from sim.core.units import MINUTES_PER_HOUR
from sim.engine.records import Exit, RunRecords
from sim.scenario.spec import Scenario

MIN_HANDLED = 10
"""Fewer handled stays than this in an interval: its mean work is the team's run-wide mean."""

LOAD_COLUMNS = ["team", "interval", "start", "end", "arrivals", "handled", "rate", "mean_work", "work_source", "load"]
"""The columns of an offered-load table, in order."""


def offered_load(
    records: RunRecords, scenario: Scenario, interval_minutes: float, min_handled: int = MIN_HANDLED
) -> pd.DataFrame:
    """One run's offered load per team and interval: arrivals, rate per hour, mean work (min), load (Erlangs)."""
    return pooled_offered_load([records], scenario, interval_minutes, min_handled)


def pooled_offered_load(
    runs: Sequence[RunRecords], scenario: Scenario, interval_minutes: float, min_handled: int = MIN_HANDLED
) -> pd.DataFrame:
    """The offered load per team and interval over replications: mean arrivals, pooled mean work.

    Every run must share the warm-up and horizon. ``arrivals`` is the mean over runs; ``handled`` the
    total over runs (it is what the mean work rests on).
    """
    if not runs:
        raise ValueError("need at least one run's records")
    if interval_minutes <= 0:
        raise ValueError("interval_minutes must be positive")
    warmup, horizon = runs[0].warmup, runs[0].horizon
    if any(run.warmup != warmup or run.horizon != horizon for run in runs):
        raise ValueError("every run must share the warm-up and horizon")
    edges = interval_edges(interval_minutes, warmup, horizon)
    teams = [team.name for team in scenario.teams]
    shape = (len(teams), len(edges) - 1)
    arrivals, handled, work = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for run in runs:
        counts = _cells(run, teams, edges)
        arrivals += counts[0]
        handled += counts[1]
        work += counts[2]
    arrivals /= len(runs)
    team_work = np.divide(
        work.sum(axis=1), handled.sum(axis=1), out=np.full(len(teams), np.nan), where=handled.sum(axis=1) > 0
    )
    own = handled >= max(min_handled, 1)
    mean_work = np.where(own, np.divide(work, handled, out=np.zeros(shape), where=handled > 0), team_work[:, None])
    hours = np.diff(edges) / MINUTES_PER_HOUR
    rate = arrivals / hours
    load = np.where(arrivals > 0, rate * mean_work / MINUTES_PER_HOUR, 0.0)
    return pd.DataFrame(
        {
            "team": np.repeat(teams, shape[1]),
            "interval": np.tile(np.arange(shape[1]), shape[0]),
            "start": np.tile(edges[:-1], shape[0]),
            "end": np.tile(edges[1:], shape[0]),
            "arrivals": arrivals.ravel(),
            "handled": handled.ravel(),
            "rate": rate.ravel(),
            "mean_work": mean_work.ravel(),
            "work_source": np.where(own, "interval", "run").ravel(),
            "load": load.ravel(),
        },
        columns=LOAD_COLUMNS,
    )


def _cells(run: RunRecords, teams: list[str], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per team (rows) and interval (columns): stays entered, handled stays among them, and their work."""
    visits = run.visits
    work = visits["work"].to_numpy(dtype=float) + _wrap_share(visits, run.tickets)
    entered = visits["entered"].to_numpy(dtype=float)
    counted = entered >= edges[0]
    where = np.searchsorted(edges, entered, side="right") - 1
    row = pd.Categorical(visits["team"].astype(str), categories=teams).codes.astype(np.int64)
    count = len(edges) - 1
    keep = counted & (row >= 0) & (where < count)
    is_handled = (
        keep & (visits["work"].to_numpy(dtype=float) > 0) & (visits["exit"].astype(str) != Exit.OPEN).to_numpy()
    )
    flat = row * count + where
    size = len(teams) * count

    def tally(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(flat[mask], weights=w, minlength=size).astype(float).reshape(len(teams), count)

    return tally(keep), tally(is_handled), tally(is_handled, work)


def _wrap_share(visits: pd.DataFrame, tickets: pd.DataFrame) -> np.ndarray:
    """Each stay's share of its ticket's after-call work, in proportion to the stay's work (0 without)."""
    if "wrap_time" not in tickets or not len(visits):
        return np.zeros(len(visits))
    wrap = visits["ticket"].map(tickets.set_index("ticket")["wrap_time"]).fillna(0.0).to_numpy(dtype=float)
    if not wrap.any():
        return np.zeros(len(visits))
    work = visits["work"].to_numpy(dtype=float)
    total = visits.groupby("ticket")["work"].transform("sum").to_numpy(dtype=float)
    return np.divide(wrap * work, total, out=np.zeros(len(visits)), where=total > 0)


def required_agents_by_interval(
    load: pd.DataFrame, target_level: float, target_time: float, patience_mean: float | None = None
) -> pd.DataFrame:
    """Per team and interval, the fewest agents that answer ``target_level`` of arrivals within ``target_time`` min.

    ``load`` is an offered-load table. Erlang C at the interval's rate and mean work, or Erlang A with
    exponential patience of mean ``patience_mean`` minutes when given. No arrivals: 0 agents. Arrivals
    whose work is unknown (no handled stay anywhere in the run): no answer (<NA>). Returns the load
    table's ``team, interval, start, end, load`` and ``agents``.
    """
    if not 0 <= target_level < 1 or target_time < 0:
        raise ValueError("target_level must be in [0, 1) and target_time non-negative")
    if patience_mean is not None and patience_mean <= 0:
        raise ValueError("patience_mean must be positive")
    solved: dict[tuple[float, float], int] = {}
    agents: list[int | None] = []
    for rate, work in zip(load["rate"].to_numpy(dtype=float), load["mean_work"].to_numpy(dtype=float), strict=True):
        if rate <= 0:
            agents.append(0)
        elif not math.isfinite(work) or work <= 0:
            agents.append(None if not math.isfinite(work) else 0)
        else:
            key = (rate, work)
            if key not in solved:
                solved[key] = _required(rate / MINUTES_PER_HOUR, 1 / work, target_level, target_time, patience_mean)
            agents.append(solved[key])
    out = load[["team", "interval", "start", "end", "load"]].copy()
    out["agents"] = pd.array(agents, dtype="Int64")
    return out


def _required(arrival_rate: float, service_rate: float, level: float, time: float, patience: float | None) -> int:
    """The fewest agents meeting the level: Erlang C, or Erlang A's P(answered within ``time``) with patience."""
    if patience is None:
        return required_agents(arrival_rate, service_rate, level, time)
    servers = 1
    while erlang_a(arrival_rate, service_rate, 1 / patience, servers).service_level(time) < level:
        servers += 1
    return servers
