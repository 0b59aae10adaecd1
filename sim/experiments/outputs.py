"""Writing a run's results to disk, atomically, in a folder of its own.

A run lands in ``results/<scenario>/<run-id>/`` with the fully resolved scenario next to its
tables, so that every number can be traced to the exact inputs and seed. The folder is written
under a temporary name and renamed when complete: a folder that exists is a finished run.
"""

from __future__ import annotations

import datetime as dt
import math
import platform
from pathlib import Path

import pandas as pd
import yaml

from sim.analysis.intervals import interval_tables
from sim.core.atomic import dumps_json, new_folder, safe_name, unique_path
from sim.core.version import __version__
from sim.experiments.replications import RunResult

INTERVALS = "intervals.csv"
"""Per channel and reporting interval: offered, answered, abandoned, service level, ASA, abandonment, with intervals."""
TEAM_INTERVALS = "intervals_teams.csv"
"""Per team and reporting interval: agents on duty, available and busy, and occupancy (with 95 % intervals)."""


def write_parquet(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` as parquet, dictionary-encoding only its categorical columns.

    pyarrow dictionary-encodes every column by default; on times and durations (nearly all
    distinct) that costs about 40 % of the write and makes the file larger.
    """
    categorical = [name for name, dtype in table.dtypes.items() if isinstance(dtype, pd.CategoricalDtype)]
    table.to_parquet(path, index=False, use_dictionary=categorical)


def resolved_scenario(result: RunResult) -> dict:
    """The scenario with every default filled in and the run's seed and replications."""
    doc = result.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    doc["seed"] = result.meta["seed"]
    doc["replications"] = result.meta["replications"]
    return doc


def run_folder_parent(scenario_name: str, out_root: str | Path = "results") -> Path:
    """The folder that holds a scenario's runs: ``out_root/<scenario name, shortened if long>``."""
    return Path(out_root) / safe_name(scenario_name)


def write_run(result: RunResult, out_root: str | Path = "results", run_id: str | None = None) -> Path:
    """Write tables, summary and resolved scenario to a new run folder; return its path.

    The folder is filled under a hidden temporary name and renamed when complete; a failure to
    write (a full disk) is an ``OutputError`` and leaves no folder that looks finished.
    """
    run_id = safe_name(run_id or f"{dt.datetime.now():%Y%m%d-%H%M%S}-seed{result.meta['seed']}")
    final = unique_path(run_folder_parent(result.scenario.name, out_root), run_id)
    with new_folder(final) as tmp:
        with open(tmp / "scenario.resolved.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(resolved_scenario(result), fh, sort_keys=False, allow_unicode=True)
        write_parquet(result.tickets, tmp / "tickets.parquet")
        write_parquet(result.events, tmp / "events.parquet")
        write_parquet(result.levels, tmp / "levels.parquet")
        if result.self_service is not None:
            write_parquet(result.self_service, tmp / "self_service.parquet")
        if len(result.agents):
            write_parquet(result.agents, tmp / "agents.parquet")
        result.kpis.to_csv(tmp / "kpis_by_replication.csv", index=False)
        result.summary.to_csv(tmp / "summary.csv", index=False)
        channels, teams = result.intervals or interval_tables(result.tickets, result.levels, result.scenario)
        channels.to_csv(tmp / INTERVALS, index=False)
        teams.to_csv(tmp / TEAM_INTERVALS, index=False)
        (tmp / "summary.json").write_text(dumps_json(_summary_doc(result, final.name)), encoding="utf-8")
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
    """A number for JSON: NaN and infinities (no JSON numbers) become None, shown as null."""
    value = float(value)
    return value if math.isfinite(value) else None
