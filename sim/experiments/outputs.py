"""Writing a run's results to disk, atomically, in a folder of its own.

A run lands in ``results/<scenario>/<run-id>/`` with the fully resolved scenario next to its
tables, so that every number can be traced to the exact inputs and seed. The folder is written
under a temporary name and renamed when complete: a folder that exists is a finished run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
from pathlib import Path

import yaml

from sim.core.version import __version__
from sim.experiments.replications import RunResult


def resolved_scenario(result: RunResult) -> dict:
    """The scenario with every default filled in and the run's seed and replications."""
    doc = result.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["seed"] = result.meta["seed"]
    doc["replications"] = result.meta["replications"]
    return doc


def write_run(result: RunResult, out_root: str | Path = "results", run_id: str | None = None) -> Path:
    """Write tables, summary and resolved scenario to a new run folder; return its path."""
    run_id = run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-seed{result.meta['seed']}"
    parent = Path(out_root) / result.scenario.name
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / run_id
    suffix = 1
    while final.exists():
        final = parent / f"{run_id}-{suffix}"
        suffix += 1
    tmp = parent / f".{final.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        with open(tmp / "scenario.resolved.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(resolved_scenario(result), fh, sort_keys=False, allow_unicode=True)
        result.tickets.to_parquet(tmp / "tickets.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        result.levels.to_parquet(tmp / "levels.parquet", index=False)
        result.kpis.to_csv(tmp / "kpis_by_replication.csv", index=False)
        result.summary.to_csv(tmp / "summary.csv", index=False)
        (tmp / "summary.json").write_text(
            json.dumps(_summary_doc(result, final.name), indent=2, allow_nan=False, default=str), encoding="utf-8"
        )
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _summary_doc(result: RunResult, run_id: str) -> dict:
    kpis = {}
    for row in result.summary.itertuples():
        kpis[row.kpi] = {
            "label": row.label,
            "unit": row.unit,
            "mean": _num(row.mean),
            "half_width": _num(row.half_width),
            "ci_low": _num(row.ci_low),
            "ci_high": _num(row.ci_high),
            "n": int(row.n),
        }
    return {
        "run_id": run_id,
        "scenario": result.scenario.name,
        "description": result.scenario.description,
        "seed": result.meta["seed"],
        "replications": result.meta["replications"],
        "horizon_minutes": result.scenario.horizon,
        "warmup_minutes": result.scenario.warmup,
        "elapsed_seconds": round(result.elapsed, 3),
        "created": dt.datetime.now().isoformat(timespec="seconds"),
        "executor": result.meta.get("executor"),
        "warmup_guidance": result.meta.get("warmup"),
        "precision": result.meta.get("precision"),
        "escalation_sim_version": __version__,
        "python": platform.python_version(),
        "kpis": kpis,
    }


def _num(value: float) -> float | None:
    return None if value != value else float(value)
