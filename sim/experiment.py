"""Replications of one scenario, and the tables they add up to.

Replication ``r`` of a scenario draws from streams keyed by (seed, r), so the same scenario
and seed give identical tables however the replications are scheduled, and two scenarios run
with the same seed see the same customers (common random numbers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
from tqdm.auto import tqdm

from sim.metrics import replication_kpis, summarise
from sim.model import run_replication
from sim.records import RunRecords
from sim.scenario import Scenario


@dataclass
class RunResult:
    """Everything one run of a scenario produced, as DataFrames."""

    scenario: Scenario
    tickets: pd.DataFrame
    events: pd.DataFrame
    levels: pd.DataFrame
    kpis: pd.DataFrame
    summary: pd.DataFrame
    elapsed: float = 0.0
    meta: dict = field(default_factory=dict)


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
        progress: bool | None = None, record_events: bool = True) -> RunResult:
    """Run the scenario's replications and summarise their KPIs with 95 % confidence intervals.

    ``progress=None`` shows a bar only on an interactive terminal and only once a run takes
    longer than two seconds.
    """
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if replications < 1:
        raise ValueError("replications must be at least 1")
    started = time.perf_counter()
    records: list[RunRecords] = []
    kpi_rows = []
    bar = tqdm(range(replications), desc=scenario.name, unit="rep", delay=2.0,
               disable=False if progress else None if progress is None else True)
    for r in bar:
        rec = run_replication(scenario, r, seed, record_events)
        records.append(rec)
        kpi_rows.append({"replication": r, **replication_kpis(rec, scenario)})
    kpis = pd.DataFrame(kpi_rows)
    return RunResult(scenario=scenario, tickets=_stack(records, "tickets"), events=_stack(records, "events"),
                     levels=_stack(records, "levels"), kpis=kpis, summary=summarise(kpis),
                     elapsed=time.perf_counter() - started, meta={"seed": seed, "replications": replications})


def _stack(records: list[RunRecords], table: str) -> pd.DataFrame:
    """One table over all replications, with a leading ``replication`` column."""
    frames = []
    for rec in records:
        frame = getattr(rec, table)
        frame.insert(0, "replication", rec.replication)
        frames.append(frame)
    stacked = pd.concat(frames, ignore_index=True)
    for column in stacked.columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            stacked[column] = stacked[column].astype("category")
    return stacked
