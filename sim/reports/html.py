"""HTML reports: one self-contained ``report.html`` per run, comparison, sweep, optimiser or back-test folder.

``write_report(folder)`` reads the folder (``sim.experiments.results``), draws its pictures
(``sim.reports.sections``), saves each as PNG and SVG under ``folder/plots/`` for slides, and
renders a Jinja2 template (``sim/reports/templates/<kind>.html.j2``) into ``folder/report.html`` with
every image embedded as base64 PNG: one file to put on a projector or mail to a manager.
A small script in the page marks, once it has loaded, how many images decoded and whether any
script error occurred (``data-images``, ``data-broken``, ``data-errors`` on ``<html>``).

The ``report`` command (``add_report_parser``/``cmd_report``) re-renders a finished folder.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.analysis.staffing import describe_cost
from sim.core.units import format_duration
from sim.experiments.compare import scenario_changes
from sim.experiments.results import comparison_runs, kind_of, load_comparison, load_run, load_sweep
from sim.reports.backtest_report import write_backtest_report
from sim.reports.optimise_report import write_optimise_report
from sim.reports.page import REPORT, embed, render_page
from sim.reports.sections import (
    KEY_KPIS,
    MAX_SWEEP_ROWS,
    comparison_kpis,
    comparison_pictures,
    comparison_rows,
    flow_pictures,
    interval_rows,
    key_kpis,
    kpi_rows,
    run_facts,
    run_intervals,
    run_pictures,
    scenario_glance,
    staffing_analysis,
    sweep_pictures,
    sweep_rows,
)

NOTE = "demo.yaml"


def write_report(folder: str | Path) -> Path:
    """Write ``report.html`` (and ``plots/*.png|svg``) into a results folder; return the report's path."""
    folder = Path(folder)
    kind = kind_of(folder)
    if kind == "optimise":
        return write_optimise_report(folder)
    if kind == "backtest":
        return write_backtest_report(folder)
    context = {"run": _run_context, "comparison": _comparison_context, "sweep": _sweep_context}[kind](folder)
    return render_page(f"{kind}.html.j2", context, folder / REPORT)


def _run_context(folder: Path) -> dict:
    run = load_run(folder)
    available = run.summary.loc[run.summary["mean"].notna(), "kpi"]
    return {
        "title": f"Run report: {run.scenario.name}",
        "description": run.scenario.description,
        "facts": run_facts(run.scenario, run.meta),
        "glance": scenario_glance(run.scenario),
        "kpis": kpi_rows(run.summary, key_kpis(available)),
        "all_kpis": kpi_rows(run.summary, list(available)),
        "pictures": embed(run_pictures(run), folder),
        "intervals": {
            "length": format_duration(run.scenario.reporting.minutes, "m", 0),
            "met": kpi_rows(run.summary, key_kpis(available, ["intervals_met.*"])),
            "rows": interval_rows(run_intervals(run)[0]),
        },
        "note": None,
    }


def _comparison_context(folder: Path) -> dict:
    cmp = load_comparison(folder)
    note = _note(folder)
    kpis = comparison_kpis(cmp.table, note["kpis"] if note else ())
    labels, rows = comparison_rows(cmp.table, kpis)
    runs = {label: load_run(path) for label, path in comparison_runs(folder, labels).items()}
    base = cmp.scenarios[labels[0]]
    descriptions = {label: s.description for label, s in cmp.scenarios.items()}
    facts = [
        ("scenarios", str(len(labels))),
        ("replications each", str(cmp.meta["replications"])),
        ("seed", str(cmp.meta["seed"])),
        ("simulated", format_duration(base.horizon)),
        ("warm-up", format_duration(base.warmup)),
    ]
    return {
        "title": note["title"] if note else f"Comparison: {' vs '.join(labels)}",
        "description": base.description,
        "descriptions": descriptions,
        "changes": cmp.meta.get("changes") or scenario_changes(cmp.scenarios),
        "facts": facts,
        "labels": labels,
        "rows": rows,
        "note": note,
        "pictures": embed(comparison_pictures(cmp, kpis) + flow_pictures(runs), folder),
        "glance": scenario_glance(base),
    }


def _note(folder: Path) -> dict | None:
    """A demo's teaching note (question, what to look for, featured KPIs), if the folder holds one."""
    path = folder / NOTE
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _sweep_context(folder: Path) -> dict:
    sweep = load_sweep(folder)
    available = [k for k in sweep.kpis if sweep.points[f"{k}_mean"].notna().any()]
    kpis = key_kpis(available, [*KEY_KPIS, "*"])
    analysis = staffing_analysis(sweep)
    header, rows = sweep_rows(sweep, kpis, analysis)
    manifest = sweep.manifest
    facts = [
        ("design", str(sweep.spec.get("design"))),
        ("points", str(len(sweep.points))),
        ("replications per point", str(sweep.spec["replications"])),
        ("seed", str(sweep.spec["seed"])),
        ("failed runs", str(manifest.get("failed", 0))),
        ("status", str(manifest.get("status", ""))),
    ]
    cheapest = None
    if analysis is not None and analysis.cheapest is not None:
        point = sweep.spec["points"][analysis.cheapest.point_id]
        cheapest = {
            "values": [(p, point[p]) for p in sweep.parameters],
            "cost": describe_cost(analysis.cheapest.cost, analysis.unit),
            "goals": [f"{k}: {v:.0%}" for k, v in analysis.goals.items()],
        }
    return {
        "title": f"Sweep report: {sweep.spec['name']}",
        "description": sweep.spec.get("description") or sweep.base_scenario.description,
        "facts": facts,
        "parameters": sweep.parameters,
        "header": header,
        "rows": rows,
        "more": max(0, len(sweep.points) - MAX_SWEEP_ROWS),
        "staffing": analysis is not None,
        "cheapest": cheapest,
        "glance": scenario_glance(sweep.base_scenario),
        "pictures": embed(sweep_pictures(sweep, kpis, analysis), folder),
        "note": None,
    }
