"""Replications of one scenario, and the tables they add up to.

Replication ``r`` of a scenario draws from streams keyed by (seed, r), so the same scenario
and seed give identical tables however the replications are scheduled — one after the other,
on local worker processes or on a Dask cluster — and two scenarios run with the same seed see
the same customers (common random numbers). A replication is one task (``Replication``);
``simulate`` is what a worker runs, and results are put back in replication order, never in
the order workers finish.

``run`` also reports warm-up guidance (MSER-5 on the backlog) and can add replications until a
KPI's interval meets a relative-precision target.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.confidence import summarise
from sim.analysis.intervals import level_series, one_replication_intervals, summarised_intervals
from sim.analysis.kpi_names import kpi_problem
from sim.analysis.kpis import replication_kpis
from sim.analysis.precision import Precision, PrecisionTarget, assess, next_total
from sim.analysis.warmup import WarmupGuidance, backlog_series, warmup_guidance
from sim.engine.records import RunRecords
from sim.engine.replication import run_replication
from sim.experiments.executors import Executor, Outcome, make_executor
from sim.scenario.spec import Scenario

if TYPE_CHECKING:
    from tqdm.auto import tqdm


@dataclass
class RunResult:
    """Everything one run of a scenario produced, as DataFrames.

    ``summary`` has a row per KPI: ``kpi, label, unit, mean, half_width, ci_low, ci_high, n``.
    Values are in the KPI's ``unit``: durations in minutes (``min``), shares as fractions in
    [0, 1] (``share``: 0.8 is 80 %, shown in percent only by the tables and reports), counts,
    ``$``. ``ci_low``/``ci_high`` are the 95 % Student-t interval cut to the KPI's bounds.
    """

    scenario: Scenario
    tickets: pd.DataFrame
    events: pd.DataFrame
    levels: pd.DataFrame
    kpis: pd.DataFrame
    summary: pd.DataFrame
    elapsed: float = 0.0
    meta: dict = field(default_factory=dict)
    warmup: WarmupGuidance | None = None
    precision: Precision | None = None
    self_service: pd.DataFrame | None = None
    """Every self-service attempt (scenarios whose categories offer it), with a ``replication`` column."""
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per agent per shift and replication when the scenario models agent time (else empty)."""
    intervals: tuple[pd.DataFrame, pd.DataFrame] | None = None
    """The per-channel and per-team interval tables over the replications (``intervals.interval_tables``)."""


@dataclass(frozen=True)
class Replication:
    """One task: replication ``replication`` of ``scenario`` on streams (``seed``, ``replication``).

    ``tables`` asks for the records back (``run``); otherwise only KPIs travel (compare, sweep),
    restricted to ``kpis`` when given, so that thousands of tasks keep memory flat.
    """

    scenario: Scenario
    replication: int
    seed: int
    tables: bool = False
    record_events: bool = True
    kpis: tuple[str, ...] | None = None


@dataclass
class ReplicationOutput:
    """What a worker sends back: the replication's KPIs, and its records when asked for."""

    replication: int
    kpis: dict[str, float]
    records: RunRecords | None = None
    intervals: tuple[pd.DataFrame, pd.DataFrame] | None = None
    """With the records: the replication's per-channel and per-team interval tables."""


class ReplicationError(RuntimeError):
    """A replication raised; the message carries the worker's traceback."""


def simulate(task: Replication) -> ReplicationOutput:
    """Run one replication and compute its KPIs (this is what a worker executes)."""
    records = run_replication(task.scenario, task.replication, task.seed, task.tables and task.record_events)
    if not task.tables:
        kpis = replication_kpis(records, task.scenario)
        if task.kpis is not None:
            kpis = {name: kpis.get(name, math.nan) for name in task.kpis}
        return ReplicationOutput(task.replication, kpis)
    steps = level_series(records.levels)  # for the team intervals and the KPIs: computed once
    intervals = one_replication_intervals(records.tickets, records.levels, task.scenario, task.replication, steps)
    kpis = replication_kpis(records, task.scenario, intervals[0], steps)
    return ReplicationOutput(task.replication, kpis, records, intervals)


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    progress: bool | None = None,
    record_events: bool = True,
    *,
    workers: int = 1,
    executor: Executor | None = None,
    precision: PrecisionTarget | None = None,
) -> RunResult:
    """Run the scenario's replications and summarise their KPIs with 95 % confidence intervals.

    ``progress=None`` shows a bar only on an interactive terminal and only once a run takes
    longer than two seconds. ``workers > 1`` runs replications on that many local processes;
    ``executor`` (e.g. a ``DaskExecutor``) overrides ``workers``. With ``precision``,
    replications are added until its target is met or its cap reached.
    """
    replications = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    if replications < 1:
        raise ValueError("replications must be at least 1")
    precision = precision.for_scenario(scenario) if precision is not None else None
    if precision is not None and (problem := kpi_problem(precision.kpi, scenario)):
        raise ValueError(problem)
    started = time.perf_counter()
    planned = max(replications, precision.max_replications) if precision else replications

    def tasks(reps: range) -> list[Replication]:
        return [Replication(scenario, r, seed, tables=True, record_events=record_events) for r in reps]

    with executor_scope(executor, workers, planned) as ex:
        outputs = replicate(tasks(range(replications)), ex, progress, scenario.name)
        status = None
        if precision is not None:
            while (total := next_total(_values(outputs, precision.kpi), precision)) > len(outputs):
                outputs += replicate(tasks(range(len(outputs), total)), ex, progress, scenario.name)
            status = assess(_values(outputs, precision.kpi), precision)
        where = ex.describe()
    records = [_records(out) for out in outputs]
    kpis = pd.DataFrame([{"replication": out.replication, **out.kpis} for out in outputs])
    guidance = warmup_guidance(
        [backlog_series(rec.tickets, rec.horizon) for rec in records], scenario.horizon, scenario.warmup
    )
    meta = {
        "seed": seed,
        "replications": len(outputs),
        "executor": where,
        "warmup": guidance.as_dict(),
        "precision": status.as_dict() if status else None,
    }
    return RunResult(
        scenario=scenario,
        tickets=_stack(records, "tickets"),
        events=_stack(records, "events"),
        levels=_stack(records, "levels"),
        agents=_stack(records, "agents") if len(records[0].agents) else pd.DataFrame(),
        kpis=kpis,
        summary=summarise(kpis),
        elapsed=time.perf_counter() - started,
        meta=meta,
        warmup=guidance,
        precision=status,
        self_service=_stack(records, "self_service") if records[0].self_service is not None else None,
        intervals=summarised_intervals(*_stacked_intervals(outputs), scenario),
    )


def replicate(
    tasks: Sequence[Replication], executor: Executor, progress: bool | None = None, desc: str = ""
) -> list[ReplicationOutput]:
    """Every task's output, in task order; the first failing task raises ``ReplicationError``."""
    outputs: dict[int, ReplicationOutput] = {}
    with progress_bar(len(tasks), desc, progress) as bar:
        for outcome in executor.imap(simulate, tasks):
            if not outcome.ok:
                raise ReplicationError(_failure(tasks[outcome.index], outcome))
            outputs[outcome.index] = outcome.value
            bar.update()
    return [outputs[index] for index in range(len(tasks))]


def _failure(task: Replication, outcome: Outcome) -> str:
    return (
        f"replication {task.replication} of {task.scenario.name} (seed {task.seed}) failed: {outcome.error}\n"
        f"{outcome.traceback}"
    )


def progress_bar(total: int, desc: str, progress: bool | None) -> tqdm | _NoBar:
    """A bar with rate and ETA; ``None``: only on a terminal, and only after two seconds; ``False``: none."""
    if progress is False:
        return _NoBar()
    return _bar_type()(
        total=total,
        desc=desc,
        unit="run",
        delay=2.0 if progress is None else 0.0,
        disable=None if progress is None else False,
        smoothing=0.1,
    )


@cache
def _bar_type() -> type[tqdm]:
    """The bar's type, imported when first needed: tqdm without its monitor thread (forking workers stays safe)."""
    from tqdm.auto import tqdm

    class _Bar(tqdm):
        monitor_interval = 0

    return _Bar


class _NoBar:
    """The bar of a run without progress (``--quiet``): it shows nothing, and tqdm (and asyncio) stay unloaded."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done: nothing to show."""


@contextmanager
def executor_scope(executor: Executor | None, workers: int | None, tasks: int) -> Iterator[Executor]:
    """The caller's executor as is, or a local one for ``workers`` that is closed afterwards."""
    if executor is not None:
        yield executor
        return
    own = make_executor("local", workers, tasks=tasks)
    try:
        yield own
    finally:
        own.close()


def _records(output: ReplicationOutput) -> RunRecords:
    assert output.records is not None  # run() asks every task for its tables
    return output.records


def _stacked_intervals(outputs: Sequence[ReplicationOutput]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-channel and per-team interval tables of every replication, in replication order."""
    tables = [out.intervals for out in outputs if out.intervals is not None]
    return pd.concat([c for c, _ in tables], ignore_index=True), pd.concat([t for _, t in tables], ignore_index=True)


def _values(outputs: Sequence[ReplicationOutput], kpi: str) -> list[float]:
    return [out.kpis.get(kpi, math.nan) for out in outputs]


def _stack(records: list[RunRecords], table: str) -> pd.DataFrame:
    """One table over all replications, with a leading ``replication`` column.

    Built column by column, as ``pd.concat`` of the tables would build it (categories unified the
    same way), without concat's machinery per block, which cost more than the copying (issue 17).
    """
    frames = [getattr(rec, table) for rec in records]
    columns = {"replication": np.repeat([rec.replication for rec in records], [len(frame) for frame in frames])}
    for name in frames[0].columns:
        columns[name] = _stacked_column([frame[name] for frame in frames])
    return pd.DataFrame(columns, copy=False)


def _stacked_column(parts: list[pd.Series]) -> np.ndarray | pd.Categorical | pd.Series:
    """One column's parts one after the other; a categorical stays one, its categories in order of appearance."""
    dtype = parts[0].dtype
    if isinstance(dtype, np.dtype) and all(part.dtype == dtype for part in parts):
        return np.concatenate([part.to_numpy() for part in parts])
    if isinstance(dtype, pd.CategoricalDtype) and all(part.dtype == dtype for part in parts):
        # the same categories, maybe in another order: each part's codes are renumbered to the first's (as concat does)
        categories = dtype.categories
        codes = [_recoded(part.array, categories) for part in parts]
        return pd.Categorical.from_codes(np.concatenate(codes), dtype=dtype)
    stacked = pd.concat(parts, ignore_index=True)
    return stacked.astype("category") if isinstance(dtype, pd.CategoricalDtype) else stacked


def _recoded(values: pd.Categorical, categories: pd.Index) -> np.ndarray:
    """The codes of ``values`` renumbered to ``categories`` (the same labels, maybe in another order); -1 stays."""
    codes = values.codes
    if values.categories.equals(categories):
        return codes
    renumber = categories.get_indexer(values.categories).astype(codes.dtype)
    return np.where(codes >= 0, renumber[codes], codes)
