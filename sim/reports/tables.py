"""Terminal tables for experiments: comparisons side by side, and a sweep's points.

A difference is shown in the KPI's own unit with its sign (``-15.8s``, ``+2.1 pp`` for shares,
``+$1.20``), followed by its paired 95 % interval and ``*`` when the interval excludes zero; a
difference that rounds to zero has no sign (``0.0 pp``). Tables fit ``WIDTH`` columns: a
comparison with many scenarios is split into several tables (each with the base), labels wrap,
and a sweep shows as many KPI columns as fit and says how many it left out; the full tables are
the files the command wrote.
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from sim.analysis.kpi_catalogue import kpi_info
from sim.reports.display import (
    CUT_NOTE,
    PERCENT_UNITS,
    decimals_for,
    estimate_parts,
    format_estimate,
    format_value,
    hidden_note,
    hidden_row,
    is_cut,
    time_unit_of,
)
from sim.reports.marks import MARK

WIDTH = 100
"""Terminal tables fit this many columns."""
LABEL_WIDTH = 46
"""A KPI label longer than this wraps onto a second line."""
MIN_LABEL_WIDTH = 28
"""Labels wrap at most this tightly to make a table fit."""
MAX_SHOWN_CHANGES = 4
"""A scenario's legend line lists at most this many of its changes to the base."""


def format_difference(value: float, unit: str, time_unit: str | None = None, decimals: int | None = None) -> str:
    """A signed difference in the unit people read: durations, percentage points, money, counts."""
    if value is None or math.isnan(value):
        return "n/a"
    size = abs(value)
    if unit in PERCENT_UNITS:
        digits = 1 if decimals is None else decimals
        text = f"{100 * size:.{digits}f} pp"
    else:
        text = format_value(size, unit, time_unit, decimals)
    if not any(ch in "123456789" for ch in text):
        return text  # rounds to zero: no sign, never "-0.0"
    return ("-" if value < 0 else "+") + text


def format_difference_interval(low: float, high: float, unit: str, time_unit: str | None = None) -> str:
    """``[low, high]`` of a difference, both ends signed and in the same time unit."""
    same = time_unit or time_unit_of([low, high], unit)
    digits = _difference_decimals([low, high], unit, same)
    return f"[{format_difference(low, unit, same, digits)}, {format_difference(high, unit, same, digits)}]"


def difference_parts(diff: float, low: float, high: float, unit: str) -> tuple[str, str]:
    """A difference and its ``[low, high]`` in one unit and one number of decimals ("" without an interval)."""
    if any(v is None or math.isnan(v) for v in (low, high)):
        return format_difference(diff, unit), ""
    same = time_unit_of([diff, low, high], unit)
    digits = _difference_decimals([diff, low, high], unit, same)
    interval = f"[{format_difference(low, unit, same, digits)}, {format_difference(high, unit, same, digits)}]"
    return format_difference(diff, unit, same, digits), interval


def format_difference_estimate(diff: float, low: float, high: float, unit: str) -> str:
    """``diff [low, high]`` of a difference in one unit; ``diff`` alone without an interval."""
    text, interval = difference_parts(diff, low, high, unit)
    return f"{text} {interval}".rstrip()


def _difference_decimals(values: list[float], unit: str, time_unit: str | None) -> int:
    return decimals_for(values, unit, time_unit)


def difference_cell(row: pd.Series) -> str:
    """A variant's paired difference to the base with its interval, and ``*`` when it excludes zero."""
    if row["diff_n"] == 0 or (isinstance(row["diff"], float) and math.isnan(row["diff"])):
        return "n/a"
    if math.isnan(row["diff_half_width"]):
        text = format_difference(row["diff"], row["unit"])
    else:
        text = format_difference_estimate(row["diff"], row["diff_ci_low"], row["diff_ci_high"], row["unit"])
    return text + (f" {MARK}" if row["significant"] else "")


def scenario_legend(labels: Sequence[str], changes: Mapping[str, Sequence[str]] | None = None) -> tuple[list[str], str]:
    """Short column names for the scenarios, and the legend naming each with what it changed."""
    names = list(labels) if all(len(label) <= 12 for label in labels) else [_letter(i) for i in range(len(labels))]
    lines = []
    for i, (short, label) in enumerate(zip(names, labels, strict=True)):
        own = list((changes or {}).get(label, []))
        who = label if short == label else f"{short} = {label}"
        if i == 0:
            what = "the base (Δ: a variant's paired difference to it)"
        elif own:
            shown = ", ".join(own[:MAX_SHOWN_CHANGES])
            more = len(own) - MAX_SHOWN_CHANGES
            what = shown + (f", and {more} more (see comparison.json)" if more > 0 else "")
        else:
            what = "no change to the base" if changes is not None else ""
        line = f"{who}: {what}".rstrip(": ")
        lines += textwrap.wrap(line, WIDTH, initial_indent="  ", subsequent_indent="      ", break_on_hyphens=False)
    return names, "scenarios:\n" + "\n".join(lines)


def _letter(i: int) -> str:
    return chr(ord("A") + i % 26) + (str(i // 26) if i >= 26 else "")


def comparison_table(
    table: pd.DataFrame,
    changes: Mapping[str, Sequence[str]] | None = None,
    width: int = WIDTH,
    where: str = "comparison.csv in the results folder",
) -> str:
    """Each KPI's base mean, then per variant its mean and paired difference to the base.

    Starts with a legend of the scenarios and what each changed. Rows with no data, and
    breakdowns zero in every replication, are left out (counted in a footnote, like ``run``).
    When the variants do not fit ``width`` columns side by side, they are split over several
    tables, each repeating the KPI and the base. Each scenario's own interval is in ``where``.
    """
    labels = list(dict.fromkeys(table["scenario"]))
    names, legend = scenario_legend(labels, changes)
    rows, hidden, cut = _comparison_rows(table, labels)
    label_width = min(LABEL_WIDTH, max([len("KPI"), *(len(r["label"]) for r in rows)]))
    groups = _pack(rows, names, label_width, width)
    # a single variant wider than the page: wrap the labels tighter (down to MIN_LABEL_WIDTH)
    excess = max(_group_width(rows, names, label_width, group) for group in groups) - width
    label_width = max(MIN_LABEL_WIDTH, label_width - max(excess, 0))
    parts = [legend]
    for group in groups:
        header = ["KPI", names[0], *(cell for v in group for cell in (names[v], f"Δ {names[v]}"))]
        body = [
            [r["label"], r["means"][0], *(c for v in group for c in (r["means"][v], r["diffs"][v - 1]))] for r in rows
        ]
        parts.append(_align([header, *body], label_width))
    notes = []
    if hidden:
        notes.append(hidden_note(hidden, where))
    if cut:
        notes.append(f"({CUT_NOTE})")
    notes.append(f"(each scenario's 95% interval, and every KPI: {where})")
    return "\n\n".join(parts) + "\n" + _notes(notes, width)


def _comparison_rows(table: pd.DataFrame, labels: list[str]) -> tuple[list[dict], int, bool]:
    rows, hidden, cut = [], 0, False
    for kpi, group in table.groupby("kpi", sort=False):
        by = group.set_index("scenario").reindex(labels)
        if hidden_row(str(kpi), by["mean"], by["half_width"]):
            hidden += 1
            continue
        unit = str(by["unit"].dropna().iloc[0]) if by["unit"].notna().any() else ""
        same = time_unit_of(by["mean"], unit)
        means = [format_value(by.loc[s, "mean"], unit, same) for s in labels]
        diffs = [difference_cell(by.loc[s]) for s in labels[1:]]
        cut = cut or any(
            is_cut(r["mean"], r["half_width"], r["ci_low"], r["ci_high"])
            or is_cut(r["diff"], r["diff_half_width"], r["diff_ci_low"], r["diff_ci_high"])
            for _, r in by.iterrows()
        )
        rows.append({"label": str(by["label"].iloc[0]), "means": means, "diffs": diffs})
    return rows, hidden, cut


def _group_width(rows: list[dict], names: list[str], label_width: int, group: list[int]) -> int:
    """The printed width of one table: the labels, the base's means, and each variant's mean and difference."""
    size = label_width + 2 + max([len(names[0]), *(len(r["means"][0]) for r in rows)])
    for v in group:
        size += 2 + max([len(names[v]), *(len(r["means"][v]) for r in rows)])
        size += 2 + max([len(f"Δ {names[v]}"), *(len(r["diffs"][v - 1]) for r in rows)])
    return size


def _pack(rows: list[dict], names: list[str], label_width: int, width: int) -> list[list[int]]:
    """Variants (1-based) grouped so that each table fits ``width`` (at least one variant per table)."""
    if len(names) < 2:
        return [[]]

    base = _group_width(rows, names, label_width, [])
    groups: list[list[int]] = []
    used = base
    for v in range(1, len(names)):
        extra = _group_width(rows, names, label_width, [v]) - base
        if groups and used + extra <= width:
            groups[-1].append(v)
            used += extra
        else:
            groups.append([v])
            used = base + extra
    return groups


def sweep_points_table(
    points: pd.DataFrame,
    parameters: list[str],
    kpis: list[str],
    limit: int = 20,
    costs: Sequence[float] | None = None,
    cost_unit: str = "",
    width: int = WIDTH,
    where: str = "points.csv in the results folder",
) -> str:
    """The first ``limit`` points: parameter values, (weekly cost), then as many KPIs' mean [95% CI] as fit.

    A KPI column uses one time unit for all its points. When not every KPI fits ``width``,
    a footnote says how many were left out and where the full table is.
    """
    shown = points.head(limit)
    columns: list[list[str]] = [["point", *(str(int(v)) for v in shown["point_id"])]]
    columns += [_column(_short(p), [_param(v) for v in shown[p]]) for p in parameters]
    if costs is not None:
        by_point = dict(zip(points["point_id"], costs, strict=True))
        title = "cost\n$/week" if cost_unit.startswith("$") else "paid\nagent-h/week"
        columns.append([title, *(f"{by_point[int(i)]:,.0f}" for i in shown["point_id"])])
    used = sum(_width(col) + 2 for col in columns)
    kept = 0
    cut = False
    for kpi in kpis:
        unit = kpi_info(kpi).unit
        same = time_unit_of(shown[f"{kpi}_mean"], unit)
        cells = [
            format_estimate(v[f"{kpi}_mean"], v[f"{kpi}_ci_low"], v[f"{kpi}_ci_high"], unit, same)
            if v["replications"]
            else "failed"
            for _, v in shown.iterrows()
        ]
        column = _column(kpi, cells)
        size = _width(column) + 2
        if used + size > width + 2 and kept:
            break
        columns.append(column)
        used += size
        kept += 1
        cut = cut or any(
            is_cut(v[f"{kpi}_mean"], v[f"{kpi}_half_width"], v[f"{kpi}_ci_low"], v[f"{kpi}_ci_high"])
            for _, v in shown.iterrows()
        )
    rows = [list(row) for row in zip(*columns, strict=True)]
    text = _align(rows, max(len(c) for c in columns[0]))
    notes = []
    if len(points) > limit:
        notes.append(f"… {len(points) - limit} more points (all in {where})")
    if kept < len(kpis):
        left, more = ", ".join(kpis[kept:]), len(kpis) - kept
        notes.append(f"({more} more KPI{'s' * (more > 1)} not shown to fit {width} columns: {left}; all in {where})")
    if cut:
        notes.append(f"({CUT_NOTE})")
    return "\n".join([text, _notes(notes, width)]).rstrip()


def _notes(notes: list[str], width: int) -> str:
    """Footnotes, each wrapped to ``width`` columns."""
    return "\n".join(
        line for note in notes for line in textwrap.wrap(note, width, subsequent_indent=" ", break_on_hyphens=False)
    )


def _column(title: str, cells: list[str]) -> list[str]:
    """A column whose title is stacked over lines no wider than its cells (at least 6 characters)."""
    return [_stacked(title, max([6, *(len(c) for c in cells)])), *cells]


def _width(column: list[str]) -> int:
    return max(len(line) for cell in column for line in cell.split("\n"))


def _short(parameter: str) -> str:
    """``teams.tier1.shifts[0].agents`` -> ``tier1.shifts[0].agents``: the collection name says little."""
    parts = parameter.split(".")
    return ".".join(parts[1:]) if len(parts) > 2 else parameter


def _param(value: object) -> str:
    """A parameter value for a cell; a mapping or list (JSON text) as its values: ``exponential, 4m``."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        items = parsed.values() if isinstance(parsed, dict) else parsed if isinstance(parsed, list) else [parsed]
        return ", ".join(_param(item) for item in items)
    return "" if value is None else str(value)


def _align(rows: list[list[str]], label_width: int | None = None) -> str:
    """Columns aligned (first left, the rest right) under a rule.

    A first cell longer than ``label_width`` wraps; a header cell may hold several lines.
    """
    header, body = rows[0], rows[1:]
    flat: list[list[str]] = []
    for row in body:
        first = textwrap.wrap(row[0], label_width) if label_width and len(row[0]) > label_width else [row[0]]
        flat += [[first[0], *row[1:]]] + [[more, *([""] * (len(row) - 1))] for more in first[1:]]
    titles = [cell.split("\n") for cell in header]
    height = max(len(t) for t in titles)
    head = [[(t[i - height + len(t)] if i >= height - len(t) else "") for t in titles] for i in range(height)]
    widths = [max(len(row[i]) for row in head + flat) for i in range(len(header))]
    out = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in head + flat
    ]
    out.insert(height, "-" * max(len(line) for line in out))
    return "\n".join(out)


def _stacked(title: str, width: int) -> str:
    """A long column title over several lines, broken after dots and before ``[``, each at most ``width`` long."""
    lines: list[str] = []
    for token in re.split(r"(?<=[.])|(?=\[)", title):
        if lines and len(lines[-1]) + len(token) <= width:
            lines[-1] += token
        elif token:
            lines.append(token)
    return "\n".join(lines)


WORST_INTERVALS = 5
"""The intervals per channel that the report and the terminal list, lowest service level first."""


def worst_intervals(channels: pd.DataFrame, limit: int = WORST_INTERVALS) -> pd.DataFrame:
    """Per channel with a goal, its ``limit`` intervals of lowest mean service level (intervals with arrivals).

    ``channels`` is a per-channel interval table (``sim.analysis.intervals.interval_tables``); the
    channels keep their order in it, and ties go to the earlier interval.
    """
    known = channels[channels["service_level"].notna() & channels["goal"].notna()]
    order = {name: i for i, name in enumerate(dict.fromkeys(channels["channel"]))}
    ordered = known.assign(_order=known["channel"].map(order)).sort_values(
        ["_order", "service_level", "start"], kind="stable"
    )
    return ordered.groupby("channel", sort=False).head(limit).drop(columns="_order")


def worst_interval_table(channels: pd.DataFrame, length: str, where: str = "intervals.csv", width: int = WIDTH) -> str:
    """Each channel's intervals of lowest service level as aligned text; empty when no channel has a goal."""
    worst = worst_intervals(channels)
    if worst.empty:
        return ""
    rows = [["channel", "interval starting", "offered", "service level [95% CI]", "goal", "ASA", "abandoned"]]
    for r in worst.itertuples():
        rows.append(
            [
                str(r.channel),
                str(r.when),
                f"{r.offered:,.1f}",
                format_estimate(r.service_level, r.service_level_ci_low, r.service_level_ci_high, "share"),
                f"{r.goal:.0%}",
                estimate_parts(r.asa, r.asa_ci_low, r.asa_ci_high, "min")[0],
                format_value(r.abandonment_rate, "share"),
            ]
        )
    title = (
        f"Lowest service level per {length} interval (tickets by the interval they arrived in; "
        f"mean over replications; every interval: {where})"
    )
    return _notes([title], width) + "\n" + _align(rows)


def optimise_table(folder: Path | str) -> str:
    """The optimiser's answer in text: each roster's weekly cost, and what each goal achieved and whether it is met."""
    import yaml

    folder = Path(folder)
    summary = yaml.safe_load((folder / "summary.yaml").read_text(encoding="utf-8"))
    goals = pd.read_csv(folder / "goals.csv")
    lines = [f"optimised roster: {summary['cost']:,.0f} {summary['cost_unit']}"]
    if summary.get("erlang_only"):
        lines.append(f"Erlang-only roster: {summary['erlang_only']['cost']:,.0f} {summary['cost_unit']}")
    for row in goals.itertuples():
        mark = "met" if row.met else "MISSED"
        lines.append(f"  [{row.roster}] {row.label}: {row.achieved:.1%} ({mark})")
    lines.append(f"{summary['replications_used']} replications simulated in {summary['elapsed_seconds']} s")
    return "\n".join(lines)
