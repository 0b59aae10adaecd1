"""Reading results folders back: a run, a comparison or a sweep, as the writers left them.

- a run (``sim.experiments.outputs.write_run``): ``summary.json``, ``scenario.resolved.yaml``, the tickets,
  events and levels tables, ``summary.csv``, and the per-interval ``intervals.csv`` and
  ``intervals_teams.csv`` (a report recomputes them from the tables when a folder lacks them);
- a comparison (``sim.experiments.compare.write_comparison``): ``comparison.json``/``.csv``,
  ``kpis_by_replication.csv`` and ``scenarios/<label>.resolved.yaml`` (a demo adds each
  scenario's full run under ``runs/``);
- a sweep (``sim.experiments.sweeps.sweep``): ``manifest.json``, ``sweep.resolved.yaml`` and ``points.parquet``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from pandas.api.types import is_numeric_dtype

from sim.analysis.intervals import CHANNEL_MEASURES, TEAM_MEASURES
from sim.engine.records import EVENT_COLUMNS, LEVEL_COLUMNS
from sim.engine.tickets import TICKET_COLUMNS
from sim.experiments.compare import TABLE_COLUMNS
from sim.experiments.outputs import INTERVALS, TEAM_INTERVALS
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario


class ResultsError(Exception):
    """A folder that holds no run, comparison, sweep, optimiser or back-test results."""


@dataclass
class RunFolder:
    """A run's tables, summary and scenario."""

    folder: Path
    scenario: Scenario
    tickets: pd.DataFrame
    events: pd.DataFrame
    levels: pd.DataFrame
    summary: pd.DataFrame
    meta: dict = field(default_factory=dict)
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The per-agent table (``agents.parquet``) of a scenario that models agent time; else empty."""


@dataclass
class ComparisonFolder:
    """A comparison's tidy table, per-replication KPIs and labelled scenarios."""

    folder: Path
    table: pd.DataFrame
    kpis: pd.DataFrame
    scenarios: dict[str, Scenario]
    meta: dict = field(default_factory=dict)


@dataclass
class SweepFolder:
    """A sweep's resolved spec, its points table and its base scenario (as a document and validated)."""

    folder: Path
    spec: dict
    points: pd.DataFrame
    base_document: dict
    base_scenario: Scenario
    manifest: dict = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        """The swept parameter paths, in the order the sweep's points name them."""
        return list(dict.fromkeys(k for point in self.spec["points"] for k in point if k != "point_id"))

    @property
    def kpis(self) -> list[str]:
        """The KPIs the points table holds a mean for."""
        return [c.removesuffix("_mean") for c in self.points.columns if c.endswith("_mean")]


SUMMARY_COLUMNS = {
    "kpi": "c",
    "label": "c",
    "unit": "c",
    "mean": "f",
    "half_width": "f",
    "ci_low": "f",
    "ci_high": "f",
    "n": "i",
}
"""A KPI summary's columns (``sim.analysis.confidence.summarise``): ``c`` text, else a number."""

RUN_TABLES: dict[str, dict[str, str]] = {
    "tickets.parquet": {"replication": "i", **TICKET_COLUMNS},
    "events.parquet": {"replication": "i", **EVENT_COLUMNS},
    "levels.parquet": {"replication": "i", **LEVEL_COLUMNS},
    "summary.csv": SUMMARY_COLUMNS,
}
"""The tables of a run folder and the columns every run writes to each (``c`` text, else a number)."""

INTERVAL_TABLES: dict[str, dict[str, str]] = {
    name: {
        key: "c",
        "interval": "i",
        "when": "c",
        "start": "f",
        "end": "f",
        **{f"{measure}{part}": "f" for measure in measures for part in ("", "_ci_low", "_ci_high")},
        "replications": "i",
        **extra,
    }
    for name, key, measures, extra in (
        (INTERVALS, "channel", CHANNEL_MEASURES, {"goal": "f", "met_goal": "f"}),
        (TEAM_INTERVALS, "team", TEAM_MEASURES, {}),
    )
}
"""The per-interval tables of a run folder (``sim.analysis.intervals``) and their columns."""

COMPARISON_NUMBERS = [c for c in TABLE_COLUMNS if c not in ("scenario", "kpi", "label", "unit", "significant")]
"""The columns of ``comparison.csv`` that hold numbers."""


KINDS = {"summary.json": "run", "comparison.json": "comparison", "manifest.json": "sweep", "summary.yaml": "optimise"}
RUNS = "runs"
"""A comparison folder's optional subfolder of full runs: ``runs/<scenario name>/<label>/`` (written by demos)."""


BACKTEST = "backtest"
"""A back-test folder (``sim.calibration.backtest``): its ``summary.yaml`` says ``kind: backtest``."""


def kind_of(folder: str | Path) -> str:
    """``run``, ``comparison``, ``sweep``, ``optimise`` or ``backtest``, from the files the folder holds."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder} is not a folder")
    for name, kind in KINDS.items():
        if (folder / name).is_file():
            return BACKTEST if name == "summary.yaml" and _declared_kind(folder / name) == BACKTEST else kind
    raise ResultsError(
        f"{folder} holds no run, comparison, sweep or optimiser results, nor a back-test (no summary.json, "
        "comparison.json, manifest.json or summary.yaml); give the folder a run, compare, sweep, optimise or "
        "backtest command printed"
    )


def _declared_kind(path: Path) -> str | None:
    """The ``kind`` a ``summary.yaml`` declares (back-tests do; optimiser folders do not)."""
    try:
        doc = _yaml(path)
    except (OSError, yaml.YAMLError):
        return None
    return str(doc["kind"]) if isinstance(doc, dict) and "kind" in doc else None


def read_table(
    path: Path, columns: Iterable[str], numbers: Iterable[str] = (), text: Iterable[str] = ()
) -> pd.DataFrame:
    """A results table (parquet or CSV), checked for the ``columns`` a report reads and ``numbers`` among them.

    A CSV file's ``text`` columns are read as written (a period "01" stays "01").
    """
    if not path.is_file():
        raise ResultsError(f"{path} is missing or is not a file; run the command that wrote {path.parent} again")
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=dict.fromkeys(text, str))
    check_columns(table, path, columns, numbers)
    return table


def check_columns(table: pd.DataFrame, path: Path, columns: Iterable[str], numbers: Iterable[str] = ()) -> None:
    """Refuse a table read from ``path`` that lacks one of ``columns``, or holds text in one of ``numbers``.

    Such a table was edited by hand or written by another program: reading on would end in a
    plot's error far from the cause.
    """
    missing = [name for name in columns if name not in table.columns]
    if missing:
        raise ResultsError(
            f"{path} lacks the column{'s' * (len(missing) > 1)} {', '.join(missing)} that the report reads; "
            f"run the command that wrote {path.parent} again"
        )
    wordy = [name for name in numbers if not is_numeric_dtype(table[name])]
    if wordy:
        raise ResultsError(
            f"{path} holds text where numbers belong, in {', '.join(wordy)}; "
            f"run the command that wrote {path.parent} again"
        )


def check_estimates(table: pd.DataFrame, path: Path, estimates: Iterable[tuple[str, str, str]]) -> None:
    """Refuse a table in which an estimate lies outside its own interval (``mean``, ``low``, ``high`` columns).

    The writers cut every interval around its estimate, so such a row was edited; its whiskers
    would have negative lengths. Missing values (no interval from one replication) pass.
    """
    for mean, low, high in estimates:
        m, lo, hi = (table[name].to_numpy(dtype=float) for name in (mean, low, high))
        slack = 1e-9 * np.maximum(np.abs(m), 1.0)
        outside = np.flatnonzero((lo > m + slack) | (m > hi + slack))  # NaN compares false
        if len(outside):
            k = int(outside[0])
            where = f"line {k + 2}" if path.suffix == ".csv" else f"row {k + 1}"
            raise ResultsError(
                f"{path}, {where}: {mean} {m[k]:g} lies outside its interval [{lo[k]:g}, {hi[k]:g}]; "
                f"run the command that wrote {path.parent} again"
            )


def read_typed(path: Path, columns: dict[str, str]) -> pd.DataFrame:
    """``read_table`` with each column's kind: ``c`` for text, anything else for a number."""
    return read_table(path, columns, [name for name, kind in columns.items() if kind != "c"])


def read_intervals(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A run folder's per-channel and per-team interval tables, checked as ``read_typed`` and ``check_estimates`` do."""
    channels, teams = (
        _interval_table(folder / name, measures)
        for name, measures in ((INTERVALS, CHANNEL_MEASURES), (TEAM_INTERVALS, TEAM_MEASURES))
    )
    return channels, teams


def _interval_table(path: Path, measures: Iterable[str]) -> pd.DataFrame:
    table = read_typed(path, INTERVAL_TABLES[path.name])
    check_estimates(table, path, [(measure, f"{measure}_ci_low", f"{measure}_ci_high") for measure in measures])
    return table


def load_run(folder: str | Path) -> RunFolder:
    """The run results in ``folder``; a missing or damaged table is a ``ResultsError`` naming the file."""
    folder = Path(folder)
    tables = {name: read_typed(folder / name, columns) for name, columns in RUN_TABLES.items()}
    check_estimates(tables["summary.csv"], folder / "summary.csv", [("mean", "ci_low", "ci_high")])
    return RunFolder(
        folder=folder,
        scenario=validate(_yaml(folder / "scenario.resolved.yaml"), str(folder / "scenario.resolved.yaml")),
        tickets=tables["tickets.parquet"],
        events=tables["events.parquet"],
        levels=tables["levels.parquet"],
        summary=tables["summary.csv"],
        meta=_json(folder / "summary.json"),
        agents=pd.read_parquet(folder / "agents.parquet") if (folder / "agents.parquet").is_file() else pd.DataFrame(),
    )


def load_comparison(folder: str | Path) -> ComparisonFolder:
    """The comparison results in ``folder``; scenarios keep the comparison's order."""
    folder = Path(folder)
    meta = _json(folder / "comparison.json")
    meta.pop("rows", None)
    scenarios = {
        label: validate(_yaml(path), str(path))
        for label in meta["scenarios"]
        for path in [folder / "scenarios" / f"{label}.resolved.yaml"]
    }
    table = read_table(folder / "comparison.csv", TABLE_COLUMNS, COMPARISON_NUMBERS)
    check_estimates(
        table, folder / "comparison.csv", [("mean", "ci_low", "ci_high"), ("diff", "diff_ci_low", "diff_ci_high")]
    )
    _check_every_scenario(table, folder / "comparison.csv", list(scenarios))
    return ComparisonFolder(
        folder=folder,
        table=table,
        kpis=read_table(folder / "kpis_by_replication.csv", ["scenario", "replication"], ["replication"]),
        scenarios=scenarios,
        meta=meta,
    )


def _check_every_scenario(table: pd.DataFrame, path: Path, labels: list[str]) -> None:
    """Refuse a comparison table that lacks a row for some scenario and KPI (a file cut short at a line's end)."""
    kpis = set(table["kpi"])
    for label in labels:
        missing = kpis - set(table.loc[table["scenario"] == label, "kpi"])
        if missing:
            some = ", ".join(sorted(map(str, missing))[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            raise ResultsError(
                f"{path} has no row for scenario {label} and KPI {some}: it was cut short or edited; "
                f"run the command that wrote {path.parent} again"
            )


def comparison_runs(folder: str | Path, labels: list[str]) -> dict[str, Path]:
    """The full run folder of each labelled scenario that a comparison folder holds, by label."""
    found = {path.parent.name: path.parent for path in Path(folder).glob(f"{RUNS}/*/*/summary.json")}
    return {label: found[label] for label in labels if label in found}


def load_sweep(folder: str | Path) -> SweepFolder:
    """The sweep results in ``folder`` (the points finished so far, if it was interrupted)."""
    folder = Path(folder)
    spec = _yaml(folder / "sweep.resolved.yaml")
    points_file = folder / "points.parquet"
    if not points_file.is_file():
        raise ResultsError(f"{folder} holds a sweep without its points table yet; finish it with --resume first")
    base = spec["base_scenario"]
    points = read_table(points_file, dict.fromkeys(["point_id", *(name for point in spec["points"] for name in point)]))
    kpis = [name.removesuffix("_mean") for name in points.columns if name.endswith("_mean")]
    estimates = [(f"{kpi}_mean", f"{kpi}_ci_low", f"{kpi}_ci_high") for kpi in kpis]
    columns = [name for estimate in estimates for name in estimate]
    check_columns(points, points_file, columns, ["point_id", *columns])
    check_estimates(points, points_file, estimates)
    return SweepFolder(
        folder=folder,
        spec=spec,
        points=points,
        base_document=base,
        base_scenario=validate(base, str(folder / "sweep.resolved.yaml")),
        manifest=_json(folder / "manifest.json"),
    )


def damaged_files(folder: str | Path) -> list[Path]:
    """The results files under ``folder`` that no longer read (emptied, cut short, garbled), to name in an error.

    Called only once reading the folder has failed: the reader that failed does not say which file it had.
    """
    readers: dict[str, Callable[[Path], object]] = {
        ".parquet": pq.read_metadata,
        ".csv": pd.read_csv,
        ".json": _json,
        ".yaml": _yaml,
    }
    damaged = []
    for path in sorted(Path(folder).rglob("*")):
        reader = readers.get(path.suffix)
        if reader is None or not path.is_file():
            continue
        try:
            if reader(path) is None:  # an emptied YAML file reads as nothing
                damaged.append(path)
        except Exception:  # whatever the reader raises on bad bytes: the file is what matters here
            damaged.append(path)
    return damaged


def _yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
