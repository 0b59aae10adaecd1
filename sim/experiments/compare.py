"""Paired comparisons: the same customers through two or more ways of running the desk.

Every scenario runs replication ``r`` on streams (seed, ``r``): the same arrivals, handle times
and patience wherever the scenarios agree (common random numbers). A KPI's difference to the
first scenario (the *base*) is then computed replication by replication, and its Student-t
interval comes from those paired differences — much tighter than comparing two independent
intervals, because the noise both scenarios share cancels. A difference whose interval excludes
zero is marked significant.

``compare`` returns a ``Comparison``: a tidy table (one row per scenario and KPI), the
per-replication KPIs, and the run's facts; ``write_comparison`` saves them as CSV, Parquet and
JSON with every scenario fully resolved.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import platform
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.analysis.confidence import bounded_interval, interval_row
from sim.analysis.kpi_catalogue import kpi_info
from sim.analysis.kpi_names import kpi_problem
from sim.analysis.precision import Precision, PrecisionTarget, assess, next_total
from sim.core.atomic import dumps_json, new_folder, safe_name, unique_path
from sim.core.version import __version__
from sim.experiments.executors import Executor
from sim.experiments.outputs import write_parquet
from sim.experiments.replications import Replication, ReplicationOutput, RunResult, executor_scope, replicate
from sim.scenario.spec import Scenario

TABLE_COLUMNS = [
    "scenario",
    "kpi",
    "label",
    "unit",
    "mean",
    "half_width",
    "ci_low",
    "ci_high",
    "n",
    "diff",
    "diff_half_width",
    "diff_ci_low",
    "diff_ci_high",
    "diff_n",
    "rel_diff",
    "significant",
]


@dataclass
class Comparison:
    """A paired comparison: ``table`` (tidy), ``kpis`` (per scenario and replication) and ``meta``."""

    table: pd.DataFrame
    kpis: pd.DataFrame
    scenarios: dict[str, Scenario]
    meta: dict = field(default_factory=dict)
    precision: list[Precision] = field(default_factory=list)

    @property
    def base(self) -> str:
        """Label of the base scenario: the first, to which every other is compared."""
        return next(iter(self.scenarios))


def compare(
    scenarios: Mapping[str, Scenario] | Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    *,
    kpis: Sequence[str] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    level: float = 0.95,
    precision: PrecisionTarget | None = None,
) -> Comparison:
    """Run every scenario with the same seeds per replication; differences are to the first one.

    ``scenarios`` maps labels to scenarios (or is a list, labelled by scenario name).
    Replications and seed default to the base scenario's. ``workers=None`` uses every core.
    """
    labelled = labelled_scenarios(scenarios)
    base = next(iter(labelled.values()))
    replications = base.replications if replications is None else replications
    seed = base.seed if seed is None else seed
    if replications < 1:
        raise ValueError("replications must be at least 1")
    precision = precision.for_scenario(base) if precision is not None else None
    wanted = _kpis_to_keep(kpis, precision, base)
    started = time.perf_counter()
    planned = len(labelled) * (max(replications, precision.max_replications) if precision else replications)
    with executor_scope(executor, workers, planned) as ex:
        outputs = _simulate(list(labelled.values()), seed, wanted, replications, ex, progress, precision)
        where = ex.describe()
    done = len(outputs) // len(labelled)
    statuses = (
        [assess(_values(outputs[i :: len(labelled)], precision.kpi), precision) for i in range(len(labelled))]
        if precision
        else []
    )
    meta = {
        "base": next(iter(labelled)),
        "scenarios": list(labelled),
        "seed": seed,
        "replications": done,
        "level": level,
        "executor": where,
        "elapsed_seconds": round(time.perf_counter() - started, 3),
        "precision": [s.as_dict() for s in statuses] or None,
        "changes": scenario_changes(labelled),
    }
    per_replication = _per_replication(outputs, list(labelled))
    return Comparison(paired_table(per_replication, list(labelled), level), per_replication, labelled, meta, statuses)


def _kpis_to_keep(
    kpis: Sequence[str] | None, precision: PrecisionTarget | None, base: Scenario
) -> tuple[str, ...] | None:
    """The KPIs workers send back (None: all), checked against the base scenario's names."""
    watched = [precision.kpi] if precision else []
    for name in [*(kpis or ()), *watched]:
        if problem := kpi_problem(name, base):
            raise ValueError(problem)
    return tuple(dict.fromkeys([*kpis, *watched])) if kpis else None


def _simulate(
    scenarios: list[Scenario],
    seed: int,
    kpis: tuple[str, ...] | None,
    replications: int,
    executor: Executor,
    progress: bool | None,
    precision: PrecisionTarget | None,
) -> list[ReplicationOutput]:
    """Outputs replication by replication, scenario by scenario; more replications until precise enough."""

    def batch(reps: range) -> list[ReplicationOutput]:
        tasks = [Replication(scenario, r, seed, kpis=kpis) for r in reps for scenario in scenarios]
        return replicate(tasks, executor, progress, "compare")

    outputs, done = batch(range(replications)), replications
    while precision is not None and (total := _next_total(outputs, len(scenarios), precision)) > done:
        outputs, done = outputs + batch(range(done, total)), total
    return outputs


def comparison_of_runs(
    runs: Mapping[str, RunResult], seed: int, where: str, elapsed: float, **facts: object
) -> Comparison:
    """The paired comparison of full runs made on the same seed (base first), as ``compare`` would table them.

    For callers that keep each scenario's tables (the demos, the what-if app): the per-replication
    KPIs the runs computed are paired exactly as ``compare`` pairs its own; ``facts`` join the meta.
    """
    labels = list(runs)
    per_replication = pd.concat([runs[label].kpis.assign(scenario=label) for label in labels], ignore_index=True)
    per_replication = per_replication[["scenario", *per_replication.columns.drop("scenario")]]
    per_replication["scenario"] = pd.Categorical(per_replication["scenario"], categories=labels)
    scenarios = {label: result.scenario for label, result in runs.items()}
    meta = {
        "base": labels[0],
        "scenarios": labels,
        "seed": seed,
        "replications": len(runs[labels[0]].kpis),
        "level": 0.95,
        "executor": where,
        "elapsed_seconds": round(elapsed, 3),
        "precision": None,
        "changes": scenario_changes(scenarios),
        **facts,
    }
    return Comparison(paired_table(per_replication, labels), per_replication, scenarios, meta)


def labelled_scenarios(scenarios: Mapping[str, Scenario] | Sequence[Scenario]) -> dict[str, Scenario]:
    """Scenarios keyed by label; a list is labelled by scenario names, which must then differ."""
    if isinstance(scenarios, Mapping):
        labelled = dict(scenarios)
    else:
        labelled = {}
        for scenario in scenarios:
            if scenario.name in labelled:
                raise ValueError(f"two scenarios are named {scenario.name!r}; pass a mapping of distinct labels")
            labelled[scenario.name] = scenario
    if len(labelled) < 2:
        raise ValueError("a comparison needs at least two scenarios")
    return labelled


def _next_total(outputs: list[ReplicationOutput], scenarios: int, target: PrecisionTarget) -> int:
    """Replications every scenario needs next: the most any one of them needs (CRN keeps them equal)."""
    return max(next_total(_values(outputs[i::scenarios], target.kpi), target) for i in range(scenarios))


def _values(outputs: list[ReplicationOutput], kpi: str) -> list[float]:
    return [out.kpis.get(kpi, math.nan) for out in outputs]


def _per_replication(outputs: list[ReplicationOutput], labels: list[str]) -> pd.DataFrame:
    rows = [
        {"scenario": labels[i % len(labels)], "replication": out.replication, **out.kpis}
        for i, out in enumerate(outputs)
    ]
    frame = pd.DataFrame(rows)
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=labels)
    return frame.sort_values(["scenario", "replication"], kind="stable").reset_index(drop=True)


def paired_table(per_replication: pd.DataFrame, labels: list[str], level: float = 0.95) -> pd.DataFrame:
    """Per scenario and KPI: mean and interval, and the paired difference to ``labels[0]``."""
    wide = {label: per_replication[per_replication["scenario"] == label].set_index("replication") for label in labels}
    base = wide[labels[0]]
    rows = []
    for kpi in per_replication.columns.drop(["scenario", "replication"]):
        for label in labels:
            values = wide[label][kpi]
            row = {"scenario": label, **interval_row(kpi, values.to_numpy(), level)}
            row.update(_difference(values, base[kpi], level, label == labels[0], kpi_info(kpi).unit))
            rows.append(row)
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _difference(values: pd.Series, base: pd.Series, level: float, is_base: bool, unit: str = "") -> dict:
    if is_base:
        return {
            "diff": math.nan,
            "diff_half_width": math.nan,
            "diff_ci_low": math.nan,
            "diff_ci_high": math.nan,
            "diff_n": 0,
            "rel_diff": math.nan,
            "significant": False,
        }
    paired = (values - base.reindex(values.index)).to_numpy(dtype=float)
    diff, half, low, high, n = bounded_interval(paired, unit, level, difference=True)
    base_mean = float(np.nanmean(base.to_numpy(dtype=float))) if base.notna().any() else math.nan
    return {
        "diff": diff,
        "diff_half_width": half,
        "diff_ci_low": low,
        "diff_ci_high": high,
        "diff_n": n,
        "rel_diff": diff / abs(base_mean) if base_mean and not math.isnan(base_mean) else math.nan,
        "significant": bool(n >= 2 and not math.isnan(half) and (low > 0 or high < 0)),
    }


def write_comparison(comparison: Comparison, out_root: str | Path = "results") -> Path:
    """Save the comparison in a new folder under ``out_root/compare/``; return the folder."""
    stamp = f"{dt.datetime.now():%Y%m%d-%H%M%S}"
    name = safe_name(f"{stamp}-{'-vs-'.join(comparison.scenarios)}")
    final = unique_path(Path(out_root) / "compare", name)
    with new_folder(final) as tmp:
        comparison.table.to_csv(tmp / "comparison.csv", index=False)
        write_parquet(comparison.table, tmp / "comparison.parquet")
        comparison.kpis.to_csv(tmp / "kpis_by_replication.csv", index=False)
        doc = {
            **comparison.meta,
            "changes": comparison.meta.get("changes") or scenario_changes(comparison.scenarios),
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "escalation_sim_version": __version__,
            "python": platform.python_version(),
            "rows": [{k: _plain(v) for k, v in row.items()} for row in comparison.table.to_dict("records")],
        }
        (tmp / "comparison.json").write_text(dumps_json(doc), encoding="utf-8")
        (tmp / "scenarios").mkdir()
        for label, scenario in comparison.scenarios.items():
            resolved = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
            resolved["seed"], resolved["replications"] = comparison.meta["seed"], comparison.meta["replications"]
            with open(tmp / "scenarios" / f"{safe_name(label)}.resolved.yaml", "w", encoding="utf-8") as fh:
                yaml.safe_dump(resolved, fh, sort_keys=False, allow_unicode=True)
    return final


UNCHANGED_FIELDS = ("name", "description")
"""Top-level fields a scenario's changes leave out: they name a scenario, they do not change the desk."""


def scenario_changes(scenarios: Mapping[str, Scenario]) -> dict[str, list[str]]:
    """What each scenario changes against the first, as ``--set`` overrides (``PATH=VALUE``); the first: none.

    Found from the resolved scenarios, so variants, other files and Python-built scenarios are
    described alike; list items with a name are addressed by it (``teams.tier1.shifts[0].agents=14``).
    """
    docs = {label: s.model_dump(mode="json", by_alias=True, exclude_none=True) for label, s in scenarios.items()}
    base = next(iter(docs.values()), {})
    base = {k: v for k, v in base.items() if k not in UNCHANGED_FIELDS}
    return {
        label: list(_changes(base, {k: v for k, v in doc.items() if k not in UNCHANGED_FIELDS}, ""))
        for label, doc in docs.items()
    }


def _changes(old: object, new: object, path: str) -> Iterator[str]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            yield from _changes(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return
    if isinstance(old, list) and isinstance(new, list):
        old_names, new_names = _names(old), _names(new)
        if old_names is not None and old_names == new_names:
            for name, a, b in zip(old_names, old, new, strict=True):
                yield from _changes(a, b, f"{path}.{name}")
            return
        if len(old) == len(new) and old_names is None and new_names is None:
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                yield from _changes(a, b, f"{path}[{i}]")
            return
    yield f"{path}={_yaml_value(new)}"


def _names(items: list) -> list[str] | None:
    """The items' names, if every item is a mapping with a distinct ``name``."""
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if len(names) != len(items) or None in names or len(set(names)) != len(names):
        return None
    return [str(name) for name in names]


def _yaml_value(value: object) -> str:
    """A value as ``--set`` takes it (YAML): null, true/false, numbers, and JSON flow for mappings and lists."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def _plain(value: object) -> object:
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value
