"""Running a sweep: every (point, replication) task, saved as it finishes, resumable after a kill.

A sweep's folder (``results/sweeps/<name>/`` unless told otherwise) holds:

- ``sweep.resolved.yaml``: the sweep with every default filled in, its points and base scenario;
- ``manifest.json``: what ran where and when, how many tasks finished and failed, a fingerprint;
- ``tasks/p00012-r003.json``: one file per finished task — its KPIs, or its error and
  traceback — written atomically the moment the task completes;
- ``runs.parquet``/``.csv``: the tidy table, a row per (point, replication):
  ``point_id, replication, seed, <parameters>, <kpis>, status, error``;
- ``points.parquet``/``.csv``: a row per point, each KPI's mean and 95 % interval.

Replication ``r`` of every point runs on streams (seed, ``r``): points are compared under
common random numbers, and a task's result does not depend on when or where it ran. After a
crash, ``resume=True`` keeps every finished task, reruns the missing and the failed ones, and
rebuilds the same tables an uninterrupted sweep would have written. A failing task is recorded
with its error and the sweep goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import shutil
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.analysis.confidence import bounded_interval
from sim.analysis.kpi_catalogue import kpi_info
from sim.core.atomic import OutputError, check_writable, clean_leftovers, dumps_json, safe_name, write_text, write_with
from sim.core.version import __version__
from sim.experiments.executors import Executor, Outcome
from sim.experiments.outputs import write_parquet
from sim.experiments.replications import Replication, executor_scope, progress_bar, simulate
from sim.experiments.sweep_files import SweepPlan, load_sweep

MANIFEST = "manifest.json"
MANIFEST_EVERY = 1.0
"""Seconds between updates of the manifest's counts while a sweep runs (task files are saved at once)."""


class SweepError(Exception):
    """The results folder cannot be used as asked: it holds another sweep, or a finished one."""


@dataclass
class SweepResult:
    """A sweep's tables: ``runs`` (per point and replication) and ``points`` (means and intervals)."""

    runs: pd.DataFrame
    points: pd.DataFrame
    folder: Path
    tasks: int
    failed: int
    ran: int
    meta: dict = field(default_factory=dict)


def sweep(
    plan: SweepPlan | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
) -> SweepResult:
    """Run (or finish, with ``resume``) a sweep; ``workers=None`` uses every core."""
    plan = plan if isinstance(plan, SweepPlan) else load_sweep(plan)
    folder = sweep_folder(plan, out)
    records = _prepare(folder, plan, resume, overwrite)
    already, started = len(records), time.perf_counter()
    manifest = _manifest(plan, records, "running")
    write_text(folder / MANIFEST, _json(manifest))
    last_saved = time.monotonic()

    def finish(status: str) -> None:
        manifest.update(
            _manifest(plan, records, status),
            ran=len(records) - already,
            elapsed_seconds=round(time.perf_counter() - started, 3),
        )
        write_text(folder / MANIFEST, _json(manifest))

    try:
        todo = [task for task in range(plan.tasks) if task not in records]
        with executor_scope(executor, workers, len(todo)) as ex:
            manifest["executor"] = ex.describe()
            with progress_bar(len(todo), plan.name, progress) as bar:
                for outcome in ex.imap(simulate, _replications(plan, todo)):
                    task = todo[outcome.index]
                    record = _record(plan, task, outcome)
                    write_text(_task_file(folder, plan, task), _task_json(record))
                    records[task] = record  # counted once its file is on disk, so the manifest never counts more
                    bar.update()
                    if time.monotonic() - last_saved >= MANIFEST_EVERY:  # counts stay current during a run
                        finish("running")
                        last_saved = time.monotonic()
    except BaseException:
        with suppress(OSError, ValueError):  # a file renamed into place just before Ctrl-C counts as done too
            records.update(_finished(folder, plan))
        with suppress(OutputError):  # the disk that failed the task file fails the manifest too; report the first
            finish("interrupted")
        raise
    runs = runs_table(plan, records)
    points = points_table(plan, runs)
    for name, table in (("runs", runs), ("points", points)):
        write_with(folder / f"{name}.parquet", partial(write_parquet, table))
        write_with(folder / f"{name}.csv", partial(table.to_csv, index=False))
    finish("complete")
    return SweepResult(runs, points, folder, plan.tasks, manifest["failed"], manifest["ran"], manifest)


def sweep_folder(plan: SweepPlan, out: str | Path | None = None) -> Path:
    """Where a sweep's results go: ``out``, or ``results/sweeps/<name, shortened if long>``."""
    return Path(out) if out is not None else Path("results") / "sweeps" / safe_name(plan.name)


def leftovers(folder: Path) -> list[Path]:
    """Remove what an interrupted writer left in a sweep folder (temporary files); return them."""
    return clean_leftovers(folder) + clean_leftovers(folder / "tasks")


def _prepare(folder: Path, plan: SweepPlan, resume: bool, overwrite: bool) -> dict[int, dict]:
    """Make the folder ready; return the finished tasks' records found there (when resuming)."""
    manifest_path = folder / MANIFEST
    if folder.is_dir() and any(folder.iterdir()):
        if not manifest_path.is_file():
            raise SweepError(f"{folder} exists and holds no sweep; choose another folder (--out)")
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        if overwrite:
            shutil.rmtree(folder)
        elif not resume:
            saved = len(_finished(folder, plan)) if old.get("fingerprint") == plan.fingerprint() else old.get("done")
            raise SweepError(
                f"{folder} already holds sweep {old.get('sweep')!r} ({saved} of "
                f"{old.get('tasks')} tasks done): --resume to finish it, --overwrite to start again"
            )
        elif old.get("fingerprint") != plan.fingerprint():
            raise SweepError(
                f"{folder} holds a different sweep: its points, replications, seed, KPIs or base "
                "scenario have changed since it started; --overwrite to start again, or use --out"
            )
    check_writable(folder / "tasks")
    leftovers(folder)
    write_text(folder / "sweep.resolved.yaml", yaml.safe_dump(plan.resolved(), sort_keys=False, allow_unicode=True))
    return _finished(folder, plan)


def _finished(folder: Path, plan: SweepPlan) -> dict[int, dict]:
    """Records of the tasks that finished without error (failed ones are run again)."""
    records = {}
    for path in (folder / "tasks").glob("p*-r*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        task = record["point_id"] * plan.replications + record["replication"]
        if record["status"] == "ok" and path == _task_file(folder, plan, task):
            records[task] = record
    return records


def _task_file(folder: Path, plan: SweepPlan, task: int) -> Path:
    point, replication = divmod(task, plan.replications)
    return folder / "tasks" / f"p{point:05d}-r{replication:03d}.json"


def _replications(plan: SweepPlan, todo: list[int]) -> Iterator[Replication]:
    """The tasks to run, built lazily: one point's scenario is validated once for all its replications."""
    cached: tuple[int, Any] = (-1, None)
    for task in todo:
        point, replication = divmod(task, plan.replications)
        if cached[0] != point:
            cached = (point, plan.scenario(point))
        yield Replication(cached[1], replication, plan.seed, kpis=plan.kpis)


def _record(plan: SweepPlan, task: int, outcome: Outcome) -> dict:
    point, replication = divmod(task, plan.replications)
    record: dict[str, Any] = {
        "point_id": point,
        "replication": replication,
        "seed": plan.seed,
        "status": "ok" if outcome.ok else "failed",
        "seconds": round(outcome.seconds, 4),
    }
    if outcome.ok:
        record["kpis"] = outcome.value.kpis
    else:
        record["error"], record["traceback"] = outcome.error, outcome.traceback
    return record


def _manifest(plan: SweepPlan, records: dict[int, dict], status: str) -> dict:
    failures = [
        {"point_id": r["point_id"], "replication": r["replication"], "error": r["error"]}
        for _, r in sorted(records.items())
        if r["status"] == "failed"
    ]
    return {
        "sweep": plan.name,
        "source": plan.source,
        "fingerprint": plan.fingerprint(),
        "status": status,
        "design": plan.spec.design,
        "points": len(plan.points),
        "replications": plan.replications,
        "seed": plan.seed,
        "tasks": plan.tasks,
        "done": len(records) - len(failures),
        "failed": len(failures),
        "failures": failures,
        "updated": dt.datetime.now().isoformat(timespec="seconds"),
        "escalation_sim_version": __version__,
        "python": platform.python_version(),
    }


def runs_table(plan: SweepPlan, records: dict[int, dict]) -> pd.DataFrame:
    """The tidy table: a row per finished (point, replication), in task order."""
    kpis = list(plan.kpis or dict.fromkeys(k for _, r in sorted(records.items()) for k in r.get("kpis", {})))
    rows = []
    for _, record in sorted(records.items()):
        row = {"point_id": record["point_id"], "replication": record["replication"], "seed": record["seed"]}
        row.update({name: _cell(plan.points[record["point_id"]].get(name)) for name in plan.parameters})
        values = record.get("kpis", {})
        row.update({name: values.get(name, math.nan) for name in kpis})
        row.update(status=record["status"], error=record.get("error"))
        rows.append(row)
    columns = ["point_id", "replication", "seed", *plan.parameters, *kpis, "status", "error"]
    return _arrow_safe(pd.DataFrame(rows, columns=columns), plan.parameters)


def points_table(plan: SweepPlan, runs: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """A row per point: its parameters, replications done and failed, and each KPI's mean and interval."""
    kpis = [
        c for c in runs.columns if c not in {"point_id", "replication", "seed", "status", "error", *plan.parameters}
    ]
    by_point = dict(list(runs.groupby("point_id", sort=False)))
    rows = []
    for point_id, point in enumerate(plan.points):
        mine = by_point.get(point_id, runs.iloc[:0])
        good = mine[mine["status"] == "ok"]
        row = {
            "point_id": point_id,
            **{name: _cell(point.get(name)) for name in plan.parameters},
            "replications": len(good),
            "failed": int((mine["status"] == "failed").sum()),
        }
        for kpi in kpis:
            mean, half, low, high, _ = bounded_interval(good[kpi].to_numpy(dtype=float), kpi_info(kpi).unit, level)
            row.update(
                {
                    f"{kpi}_mean": mean,
                    f"{kpi}_half_width": half,
                    f"{kpi}_ci_low": low,
                    f"{kpi}_ci_high": high,
                }
            )
        rows.append(row)
    return _arrow_safe(pd.DataFrame(rows), plan.parameters)


def _cell(value: Any) -> Any:
    """A parameter value as a table cell: scalars as they are, mappings and lists as JSON text."""
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, (dict, list)) else value


def _arrow_safe(frame: pd.DataFrame, parameters: list[str]) -> pd.DataFrame:
    """Parameter columns that mix numbers and text become text, so that Parquet can store them."""
    for name in parameters:
        kinds = {type(v) for v in frame[name].dropna()}
        if len(kinds - {int, float}) and len(kinds) > 1:
            frame[name] = frame[name].map(lambda v: None if v is None else str(v))
    return frame


def _json(doc: dict) -> str:
    return dumps_json(doc, indent=1)


def _task_json(record: dict) -> str:
    """A task file: Python's JSON keeps NaN and infinite KPIs exactly, so a resumed sweep equals a fresh one."""
    return json.dumps(record, indent=1, default=str)
