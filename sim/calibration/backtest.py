"""Back-test a scenario against a ticket export: could the model have produced the history that happened.

``backtest(scenario, export)`` simulates the scenario over the export's own period and compares, cell
by cell (per channel, each week and each hour of the day), the KPIs of the history with where the
simulation says one such period's value would fall.

1. **Period.** [start, end) = ``export_period`` of the tickets' creation times on the desk's local
   clock ``tz``: whole hours from the first ticket to the last. Weeks are 7-day blocks from start; a
   short last week is labelled partial and still compared (the simulation covers the same window).
2. **Simulation.** The scenario starts at local midnight ``warmup`` (rounded up to whole days, a
   scenario starts at midnight) before the day the period starts, runs to the moment the export was
   taken (its latest timestamp, at least ``end``: tickets still open in the export are open in the
   simulation too, and a ticket solved after ``end`` is solved in both) with no warm-up of its own,
   and is replicated R times through the experiments runner (``replicate``), so any number of
   workers gives the same numbers. Each replication's records become canonical tables
   (``export.canonical_tickets``/``canonical_events``): the simulated wall-clock time is the local
   time in ``tz``, converted to UTC as a helpdesk would log it. Tickets created in [start, end) are
   kept: those of the warm-up only fill the queues, as the tickets before an export's first day did.
3. **KPIs.** ``history.period_kpis``, one function for the history and for each replication.
4. **Prediction interval.** Per cell, over the R replications' values with mean m and standard
   deviation s: ``m ± t(0.975, R − 1) · s · sqrt(1 + 1/R)``, where a *single* new period's value
   falls with 95 % probability (if the model is right and the values near normal), not the mean's
   confidence interval (which shrinks with R and would flag almost every cell). A cell is *flagged*
   when the history lies outside. Cells without a history value (too few observations) or with
   fewer than ``MIN_REPLICATIONS`` simulated values are not judged.
5. **Verdict.** Per kind of cell (weekly, hourly): cells judged, flagged, the share flagged against
   the 5 % expected by chance, and the one-sided binomial p-value of that many flags or more by
   chance. The verdict is on the weekly cells: PASS when p ≥ 0.01, else FAIL, with the flagged weekly
   cells listed. Cells of one week are correlated (a busy week is busy on every KPI), so the
   binomial p-value is a guide, a little optimistic about a cluster of flags in one week.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.special import bdtrc, stdtrit

from sim.calibration.export import canonical_events, canonical_tickets
from sim.calibration.export_schema import Export
from sim.calibration.fit_arrivals import export_period
from sim.calibration.history import CELL, KpiRules, Period, Periods, period_kpis
from sim.core.atomic import new_folder, safe_name, unique_path
from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, format_duration
from sim.engine.records import RunRecords
from sim.experiments.executors import Executor
from sim.experiments.replications import Replication, executor_scope, progress_bar, replicate
from sim.scenario.spec import ChannelSpec, Scenario

DEFAULT_REPLICATIONS = 20
"""Replications of a back-test unless told otherwise."""
DEFAULT_WARMUP = MINUTES_PER_DAY
"""A day of simulated history before the period, so that queues and backlogs are not empty at its start."""
LEVEL = 0.95
"""Coverage of the prediction interval."""
CHANCE = 1 - LEVEL
"""The share of cells flagged by chance when the model is right."""
VERDICT_P = 0.01
"""The weekly verdict fails when that many flags or more would happen by chance with less than this probability."""
MIN_REPLICATIONS = 3
"""A cell needs at least this many simulated values (and half of the replications) to be judged."""
PASS, FAIL = "PASS", "FAIL"

CELLS = "cells.csv"
SUMMARY = "summary.yaml"
KIND = "backtest"
"""``kind`` in ``summary.yaml``: what ``sim.experiments.results.kind_of`` recognises."""


def prediction_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float, int]:
    """Mean, low and high of the prediction interval of one new value, from ``values`` (NaNs left out).

    ``mean ± t((1 + level) / 2, R − 1) · s · sqrt(1 + 1/R)`` over the R values with standard deviation
    ``s``: the spread of one period plus the uncertainty of the mean. NaN with fewer than two values.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    r = len(v)
    if r < 2:
        return (float(v.mean()) if r else math.nan), math.nan, math.nan, r
    mean = float(v.mean())
    half = float(stdtrit(r - 1, 0.5 + level / 2) * v.std(ddof=1) * math.sqrt(1 + 1 / r))
    return mean, mean - half, mean + half, r


def chance_p_value(flagged: int, judged: int, chance: float = CHANCE) -> float:
    """One-sided binomial p-value: the probability of ``flagged`` flags or more among ``judged`` cells by chance."""
    if judged == 0 or flagged == 0:
        return 1.0
    return float(bdtrc(flagged - 1, judged, chance))


@dataclass
class Backtest:
    """A back-test: the cells (history against the simulation) and what they add up to."""

    scenario: str
    periods: Periods
    replications: int
    seed: int
    warmup: float
    cells: pd.DataFrame
    """``kind, period, channel, kpi, unit, history, sim_mean, pi_low, pi_high, flagged, n_history``."""
    shares: dict[str, dict]
    verdict: str
    sources: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    executor: str = ""

    @property
    def flagged_weeks(self) -> pd.DataFrame:
        """The flagged weekly cells."""
        c = self.cells
        return c[(c["kind"] == Period.WEEK) & c["flagged"]]


def observed_until(export: Export, end: pd.Timestamp) -> pd.Timestamp:
    """When the export was taken, as far as it shows: its latest timestamp (whole minutes up), at least ``end``."""
    stamps = [export.tickets[c].max() for c in ("created", "first_reply", "solved", "abandoned_at")]
    if export.events is not None and len(export.events):
        stamps.append(export.events["time"].max())
    latest = max([s for s in stamps if not pd.isna(s)], default=end)
    return max(end, latest.ceil("min"))


def simulation_window(
    scenario: Scenario, periods: Periods, warmup: float = DEFAULT_WARMUP, until: pd.Timestamp | None = None
) -> tuple[Scenario, pd.Timestamp]:
    """The scenario over the period and its time 0 as a naive local time.

    It starts at local midnight ``warmup`` (whole days, rounded up) before the day the period starts
    and runs to ``until`` (default: the period's end), with no warm-up of its own. Surges keep their
    calendar dates (``start_date`` + ``start``): they move with the new time 0, and a surge that
    ended before it is dropped.
    """
    days = math.ceil(max(warmup, 0.0) / MINUTES_PER_DAY - 1e-9)
    origin = periods.local_start.normalize() - pd.Timedelta(days=days)
    last = periods.local_end if until is None else until.tz_convert(periods.tz).tz_localize(None)
    horizon = (max(last, periods.local_end) - origin) / pd.Timedelta(minutes=1)
    shift = (pd.Timestamp(scenario.start_date) - origin) / pd.Timedelta(minutes=1)
    update = {"start_date": origin.date(), "horizon": float(horizon), "warmup": 0.0}
    if shift and any(c.surges for c in scenario.channels):
        update["channels"] = [_shift_surges(c, shift) for c in scenario.channels]
    return scenario.model_copy(update=update), origin


def _shift_surges(channel: ChannelSpec, minutes: float) -> ChannelSpec:
    """``channel`` with every surge ``minutes`` later (cut at time 0; dropped when over by then)."""
    surges = []
    for s in channel.surges:
        start, end = s.start + minutes, s.start + s.duration + minutes
        if end > 0:
            surges.append(s.model_copy(update={"start": max(start, 0.0), "duration": end - max(start, 0.0)}))
    return channel.model_copy(update={"surges": surges})


def wall_clock_to_utc(stamps: pd.Series, tz: str) -> pd.Series:
    """UTC-labelled wall-clock times read as local times in ``tz`` and converted to UTC.

    A wall-clock time the clock skips (spring forward) moves forward; one it shows twice (fall back)
    is taken as the first.
    """
    if tz == "UTC":
        return stamps
    naive = stamps.dt.tz_localize(None)
    first = np.ones(len(naive), dtype=bool)
    return naive.dt.tz_localize(tz, ambiguous=first, nonexistent="shift_forward").dt.tz_convert("UTC")


def simulated_export(records: RunRecords, origin: pd.Timestamp, periods: Periods) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One replication as canonical tickets and events, tickets created in the period only."""
    base = origin.tz_localize("UTC")  # the simulated wall clock, labelled UTC until converted
    tickets = canonical_tickets(records, base)
    events = canonical_events(records, base)
    for column in ("created", "first_reply", "solved", "abandoned_at"):
        tickets[column] = wall_clock_to_utc(tickets[column], periods.tz)
    events["time"] = wall_clock_to_utc(events["time"], periods.tz)
    tickets = tickets[periods.inside(tickets["created"]).to_numpy()].reset_index(drop=True)
    events = events[events["ticket"].isin(tickets["ticket"]).to_numpy()].reset_index(drop=True)
    return tickets, events


def judge(history: pd.DataFrame, simulated: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """The cells table: each history cell against the prediction interval of the replications' values."""
    values = np.column_stack([s["value"].to_numpy(dtype=float) for s in simulated])
    for s in simulated:  # period_kpis returns its cells in a fixed order: check, never assume
        if not s[CELL].equals(history[CELL]):
            raise ValueError("the simulated cells do not line up with the history's")
    rows = np.array([prediction_interval(v) for v in values], dtype=float).reshape(-1, 4)
    mean, low, high, count = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    cells = history[[*CELL, "unit"]].copy()
    cells["history"] = history["value"].to_numpy(dtype=float)
    enough = (count >= max(MIN_REPLICATIONS, math.ceil(len(simulated) / 2))) & ~np.isnan(high)
    cells["sim_mean"] = mean
    share = (cells["unit"] == "share").to_numpy()
    cells["pi_low"] = np.where(enough, np.maximum(low, 0.0), np.nan)
    cells["pi_high"] = np.where(enough, np.where(share, np.minimum(high, 1.0), high), np.nan)
    judged = enough & cells["history"].notna().to_numpy()
    outside = (cells["history"] < cells["pi_low"]) | (cells["history"] > cells["pi_high"])
    cells["flagged"] = judged & outside.to_numpy()
    cells["judged"] = judged
    cells["n_history"] = history["n"].to_numpy()
    return cells


def summarise(cells: pd.DataFrame) -> dict[str, dict]:
    """Per kind of cell: judged, flagged, share flagged, share expected by chance, binomial p-value."""
    out = {}
    for kind in Period.all():
        mine = cells[cells["kind"] == kind]
        judged, flagged = int(mine["judged"].sum()), int(mine["flagged"].sum())
        out[kind] = {
            "judged": judged,
            "flagged": flagged,
            "share_flagged": round(flagged / judged, 4) if judged else None,
            "share_by_chance": round(CHANCE, 4),
            "p_value": round(chance_p_value(flagged, judged), 4),
        }
    return out


def backtest(
    scenario: Scenario,
    export: Export,
    tz: str = "UTC",
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = None,
    warmup: float = DEFAULT_WARMUP,
    *,
    workers: int | None = 1,
    executor: Executor | None = None,
    progress: bool | None = None,
    sources: dict[str, str | None] | None = None,
    admit: Callable[[Scenario], None] | None = None,
) -> Backtest:
    """Simulate ``scenario`` over ``export``'s period ``replications`` times and judge the history's KPI cells.

    ``admit`` sees the scenario stretched over the period before anything is simulated, and may refuse it
    by raising (the command line's work limits).
    """
    if replications < 2:
        raise ValueError("a back-test needs at least 2 replications (a prediction interval needs a spread)")
    started = time.perf_counter()
    seed = scenario.seed if seed is None else seed
    tickets, events = export.tickets, export.events
    periods = Periods(*export_period(tickets["created"], tz), tz=tz)
    rules = KpiRules.from_scenario(scenario, tickets["channel"].unique())
    history = period_kpis(tickets, events, rules, periods)
    window, origin = simulation_window(scenario, periods, warmup, observed_until(export, periods.end))
    if admit is not None:
        admit(window)
    tasks = [Replication(window, r, seed, tables=True, record_events=False) for r in range(replications)]
    simulated: list[pd.DataFrame] = []
    with executor_scope(executor, workers, replications) as ex, progress_bar(replications, "backtest", progress) as bar:
        chunk = max(2 * ex.workers, 2)  # records of a few replications at a time: memory stays flat
        for first in range(0, replications, chunk):
            for output in replicate(tasks[first : first + chunk], ex, progress=False):
                assert output.records is not None  # asked for with tables=True
                sim_tickets, sim_events = simulated_export(output.records, origin, periods)
                simulated.append(period_kpis(sim_tickets, sim_events if events is not None else None, rules, periods))
                bar.update()
        where = ex.describe()
    cells = judge(history, simulated)
    shares = summarise(cells)
    week = shares[Period.WEEK]
    verdict = PASS if week["judged"] and week["p_value"] >= VERDICT_P else FAIL
    notes = []
    if events is None:
        notes.append("no event file: the escalation rate (2+ group stays) is not compared")
    if export.skipped:
        notes.append(export.skipped_summary())
    if not week["judged"]:
        notes.append("no weekly cell could be judged: the export is too small")
    return Backtest(
        scenario=scenario.name,
        periods=periods,
        replications=replications,
        seed=seed,
        warmup=warmup,
        cells=cells,
        shares=shares,
        verdict=verdict,
        sources=dict(sources or {}),
        notes=notes,
        elapsed=time.perf_counter() - started,
        executor=where,
    )


def summary_doc(result: Backtest, run_id: str) -> dict:
    """``summary.yaml``: what was compared, how, and the verdict with the shares flagged."""
    p = result.periods
    flagged = [
        {k: _plain(v) for k, v in row.items()}
        for row in result.flagged_weeks[
            ["period", "channel", "kpi", "unit", "history", "pi_low", "pi_high", "sim_mean"]
        ].to_dict("records")
    ]
    return {
        "kind": KIND,
        "run_id": run_id,
        "scenario": result.scenario,
        "sources": result.sources,
        "period": {
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "timezone": p.tz,
            "weeks": p.weeks,
            "partial_last_week_days": round(p.partial_days, 3) if p.partial_days else None,
        },
        "replications": result.replications,
        "seed": result.seed,
        "warmup_minutes": float(result.warmup),
        "prediction_interval": "mean ± t(0.975, R-1)·s·sqrt(1 + 1/R) over the replications",
        "verdict": result.verdict,
        "verdict_rule": f"weekly cells: PASS when the binomial p-value of the flags is at least {VERDICT_P}",
        "shares": result.shares,
        "flagged_weekly_cells": flagged,
        "notes": result.notes,
        "elapsed_seconds": round(result.elapsed, 1),
        "executor": result.executor,
    }


def _plain(value: object) -> object:
    """A YAML-friendly scalar: numpy numbers as Python floats (rounded), text as is."""
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    return value


def write_backtest(result: Backtest, out_root: str | Path = "results", run_id: str | None = None) -> Path:
    """Write ``out_root/backtest/<run>/`` (``cells.csv``, ``summary.yaml``) atomically; return its path."""
    run_id = safe_name(run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-{result.scenario}")
    final = unique_path(Path(out_root) / KIND, run_id)
    with new_folder(final) as tmp:
        result.cells.drop(columns="judged").to_csv(tmp / CELLS, index=False, float_format="%.6g")
        doc = summary_doc(result, final.name)
        (tmp / SUMMARY).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "utf-8")
    return final


def headline(result: Backtest) -> str:
    """One line: the scenario, the export and its period, the replications and how long they took."""
    p = result.periods
    tickets = result.sources.get("tickets") or "the export"
    partial = f" + {p.partial_days:g} days" if p.partial_days else ""
    weeks = p.weeks - 1 if p.partial_days else p.weeks
    warmup = format_duration(result.warmup) if result.warmup else "none"
    return (
        f"{result.scenario} against {tickets}: {p.local_start:%Y-%m-%d %H:%M} to {p.local_end:%Y-%m-%d %H:%M} "
        f"{p.tz} ({weeks} week{'s' * (weeks != 1)}{partial}), {result.replications} replications, seed "
        f"{result.seed}, warm-up {warmup} ({result.elapsed:.1f}s on {result.executor})"
    )


def summary_table(result: Backtest) -> str:
    """What the console prints: the weekly verdict, shares flagged against chance, the flagged weekly cells."""
    s = result.shares
    lines = [
        f"verdict on weekly cells: {result.verdict}",
        "",
        f"{'cells':<8}{'judged':>8}{'flagged':>9}{'share':>8}{'chance':>8}{'p-value':>9}",
    ]
    for kind, name in ((Period.WEEK, "weekly"), (Period.HOUR, "hourly")):
        row = s[kind]
        share = f"{row['share_flagged']:.1%}" if row["share_flagged"] is not None else "-"
        lines.append(
            f"{name:<8}{row['judged']:>8}{row['flagged']:>9}{share:>8}{row['share_by_chance']:>8.0%}"
            f"{row['p_value']:>9.3f}"
        )
    flagged = result.flagged_weeks
    if len(flagged):
        lines += ["", "flagged weekly cells (history outside the 95 % prediction interval):"]
        for row in flagged.itertuples():
            lines.append(
                f"  {row.kpi} {row.channel} week {row.period}: {_value(row.history, row.unit)} "
                f"outside [{_value(row.pi_low, row.unit)}, {_value(row.pi_high, row.unit)}]"
            )
    return "\n".join(lines)


def _value(value: float, unit: str) -> str:
    """A KPI value for the console: shares in percent, counts whole, times in the unit they read best in."""
    if unit == "share":
        return f"{value:.1%}"
    if unit == "tickets":
        return f"{value:,.0f}"
    return format_duration(value * (MINUTES_PER_HOUR if unit == "h" else 1.0))
