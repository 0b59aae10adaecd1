"""What goes into a report: the KPI tables, the scenario at a glance, and the pictures with their guides.

Each ``*_sections`` function turns one kind of results folder (see ``sim.experiments.results``) into plain
values for a template: rows of formatted cells and ``Picture``s (a figure, its title and a short
"how to read this"). Nothing here knows HTML; ``sim.reports.html`` renders and embeds.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.intervals import interval_tables
from sim.analysis.kpi_catalogue import SHARE, kpi_info
from sim.analysis.staffing import Cheapest, cheapest_meeting_goals, is_staffing_sweep, point_costs, service_goals
from sim.core.units import DAYS_PER_WEEK, format_duration
from sim.experiments.outputs import INTERVALS, TEAM_INTERVALS
from sim.experiments.results import ComparisonFolder, RunFolder, SweepFolder, read_intervals
from sim.reports.display import estimate_parts, time_unit_of
from sim.reports.plot_flow import escalation_flow_plot
from sim.reports.plot_intervals import interval_plot
from sim.reports.plots import (
    backlog_plot,
    resolution_by_path_plot,
    sla_attainment_plot,
    utilisation_heatmap,
    wait_ecdf_plot,
)
from sim.reports.plots_compare import comparison_bars, paired_difference_plot
from sim.reports.plots_sweep import short_name, staffing_plot, sweep_heatmap, sweep_kpi_plot
from sim.reports.tables import difference_parts, worst_intervals
from sim.scenario.spec import AgentGroupSpec, Scenario, TeamSpec, clock_text

KEY_KPIS = (
    "arrived",
    "service_level.*",
    "intervals_met.*",
    "asa.*",
    "asa_live",
    "abandonment_rate",
    "first_response_attainment",
    "resolution_attainment",
    "resolution_time_mean",
    "resolution_time_p90",
    "utilisation.*",
    "occupancy.*",
    "agents_available.*",
    "shrinkage",
    "handle_time_mean",
    "fcr",
    "escalation_rate",
    "handoffs_mean",
    "rework_per_ticket",
    "reopen_rate",
    "cost_per_resolved",
)
"""The KPIs a report leads with, in this order (patterns match every channel or team)."""

MAX_PICTURE_KPIS = 9
MAX_SWEEP_KPIS = 6
MAX_SWEEP_ROWS = 40

GUIDES = {
    "backlog": "Each line is the number of tickets waiting in a team's queue, averaged over the replications. "
    "The lower panel shows how many agents are on duty (faint dotted verticals: shift changes). "
    "Orange bands are demand surges and the hatched band is the warm-up, which the KPIs leave out. "
    "Peaks that outlast a surge or a shift change show where the team runs short of people.",
    "waits": "For each channel, the curve's height at a given wait is the share of customers answered within "
    "that wait (customers who hung up count as never answered, so the curve stops below 100 %). "
    "The dashed red line is the channel's SLA target and the dotted line its goal: the red dot, where "
    "the curve crosses the target, is the service level. A curve that rises steeply on the left is a "
    "channel answered fast.",
    "intervals": "Each upper panel is one channel, cut into the scenario's reporting intervals (set by "
    "reporting.interval: 15, 30 or 60 minutes). A ticket counts in the interval it arrived in, as in a WFM "
    "tool, and the service level is the headline one: answered within the target, abandoned tickets counted "
    "as misses. The line is the mean over replications, the light band its 95 % interval, the dashed line the "
    "channel's goal; red areas are intervals whose mean fell below the goal, grey bands intervals in which no "
    "ticket arrived (no service level, not 0 %). A plan that meets its goal over the week can still miss it "
    "every Monday morning: the red areas show when. The lower panel is each team's occupancy, busy over "
    "available agent time per interval; near 100 % the agents have no slack and queues grow. Every number is "
    "in intervals.csv and intervals_teams.csv.",
    "sla": "For each priority, the share of SLA clocks that were met — first response (blue) and resolution "
    "(green). Whiskers are 95 % confidence intervals across replications: when the whiskers of two bars "
    "overlap widely, the difference may be noise.",
    "utilisation": "Rows are teams, columns the 168 hours of a week (Monday to Sunday). Each cell is the share of "
    "on-duty agent time that was spent working, over all simulated weeks. Dark red means agents "
    "are saturated — queues grow there; pale cells are idle capacity; grey cells are hours "
    "nobody is on duty.",
    "flow": "Boxes are teams, arranged by tier from left to right; the grey arrow brings new tickets to the team "
    "they start at (by routing, or by a VIP or regulatory rule on arrival). Coloured arrows are "
    "transfers, one per kind (red hierarchical: over an agent's authority; blue functional: another "
    "team's skill or tier; purple automatic: time rules): they add up to the handoffs the KPI table "
    "counts. Green is a swarm consult an expert took up and orange a supervisor's sign-off: the "
    "ticket stayed put. Arrows are labelled with their volume per replication (tickets that "
    "arrived after the warm-up) and the main reasons; an arrow's width is proportional to its "
    "volume. Each box says how many tickets that team resolves.",
    "paths": "Each row is a route a resolved ticket took through the teams (the share of resolved tickets in "
    "brackets). The box spans the middle half of resolution times, the red line is the median and "
    "the whiskers reach the 5th and 95th percentiles; the axis is logarithmic, so each step is ten "
    "times longer. Every extra team on a route usually adds queueing time.",
    "bars": "One panel per KPI: a bar per scenario at its mean, with whiskers at its 95 % confidence interval. "
    "All scenarios saw the same customers (common random numbers), so for whether a difference is "
    "real, read the next chart rather than comparing whiskers.",
    "differences": "Each dot is a scenario's difference to the base scenario for one KPI, as a share of the base's "
    "mean (the label gives it in the KPI's own unit); the whisker is its paired 95 % confidence "
    "interval. Filled dots: the interval excludes zero, so the difference is more than noise. "
    "Hollow dots touching the zero line: no evidence of a difference.",
    "sweep": "Each panel shows one KPI (row) against one swept parameter (column). On a grid, each line holds the "
    "other parameter fixed and the band is the 95 % interval of the mean; on a sample, each dot is one "
    "point with whiskers at its interval. Where bands overlap, the points cannot be told apart with "
    "this many replications.",
    "heatmap": "Each cell is one combination of the two swept parameters, coloured by the KPI's mean (value "
    "written in): in every panel blue is better and red worse (a short wait, a high service level, a "
    "low cost), and the colour bar gives the scale. Utilisation has no better direction and is drawn "
    "in purple. Read along a row or a column to see what one parameter buys with the other fixed; "
    "the cost panel shows what it costs. A black frame marks the cheapest staffing that meets every "
    "service goal.",
    "staffing": "Each dot is a staffing option, labelled with its head counts: its weekly cost (right is "
    "dearer) against a channel's service level, with 95 % whiskers. The dashed line is the channel's "
    "goal. Green dots meet every channel's goal; hollow red ones miss this panel's goal; hollow grey "
    "ones meet it but miss another channel's. The star is the cheapest option that meets every goal "
    "— the staffing to start from. Options just above a goal with long whiskers may miss it in a bad week.",
}


@dataclass
class Picture:
    """A figure to show, with its anchor name, title and reading guide."""

    key: str
    title: str
    guide: str
    figure: Figure


def key_kpis(names: Iterable[str], patterns: Iterable[str] = KEY_KPIS) -> list[str]:
    """The names matching the patterns, in pattern order, each once."""
    names = list(names)
    chosen: list[str] = []
    for pattern in patterns:
        chosen += [n for n in names if fnmatch.fnmatchcase(n, pattern) and n not in chosen]
    return chosen


def kpi_rows(summary: pd.DataFrame, names: list[str]) -> list[dict]:
    """Formatted rows (label, mean, interval, n) of a summary table, for ``names`` in order."""
    by = summary.set_index("kpi")
    rows = []
    for name in names:
        row = by.loc[name]
        mean, interval = estimate_parts(row["mean"], row["ci_low"], row["ci_high"], row["unit"])
        rows.append(
            {"kpi": name, "label": row["label"], "mean": mean, "interval": interval or "n/a", "n": int(row["n"])}
        )
    return rows


def scenario_glance(scenario: Scenario) -> dict:
    """The scenario in two small tables: channels (demand, patience, SLA) and teams (staffing, cost)."""
    channels = []
    for c in scenario.channels:
        demand = f"{c.rate_per_hour:g}/h" if c.rate_per_hour is not None else f"{len(c.arrival_times or [])} fixed"
        if c.surges:
            demand += f", {len(c.surges)} surge{'s' * (len(c.surges) > 1)}"
        target = (
            f"{c.service_level.goal:.0%} within {format_duration(c.service_level.target)}"
            if c.service_level
            else "none"
        )
        patience = format_duration(c.patience.mean()) if c.patience is not None else "never abandons"
        channels.append({"name": c.name, "demand": demand, "patience": patience, "target": target})
    teams = []
    for t in scenario.pools:
        groups = [g.name for g in scenario.agent_groups if t.name in {q.team for q in g.serves}]
        if t.shifts is not None:
            staffing = ", ".join(
                f"{s.agents} × {clock_text(s.start)}-{clock_text(s.end)} {_days(s.days)}" for s in t.shifts
            )
        elif t.agents is not None:
            staffing = f"{t.agents} around the clock"
        else:
            staffing = ""
        if isinstance(t, AgentGroupSpec):
            staffing += "; serves " + ", ".join(q.team for q in t.serves)
        elif groups:
            staffing += ("; also served by " if staffing else "served by agent groups ") + ", ".join(groups)
        teams.append(
            {
                "name": t.name,
                "tier": t.tier if isinstance(t, TeamSpec) else "group",
                "staffing": staffing,
                "cost": f"${t.cost_per_hour:,.0f}/h" if t.cost_per_hour else "—",
            }
        )
    return {"channels": channels, "teams": teams}


def _days(days: Sequence[str]) -> str:
    """Shift days as a rota says them: daily, Mon-Fri, or a list."""
    if len(set(days)) == DAYS_PER_WEEK:
        return "daily"
    if sorted(days) == sorted(["mon", "tue", "wed", "thu", "fri"]):
        return "Mon-Fri"
    return ", ".join(day.capitalize() for day in days)


def run_facts(scenario: Scenario, meta: dict) -> list[tuple[str, str]]:
    """The run's setting in a few name/value pairs."""
    facts = [
        ("simulated", format_duration(scenario.horizon)),
        ("warm-up", format_duration(scenario.warmup)),
        ("replications", str(meta.get("replications", scenario.replications))),
        ("seed", str(meta.get("seed", scenario.seed))),
    ]
    if "created" in meta:
        facts.append(("created", str(meta["created"]).replace("T", " ")))
    return facts


def run_pictures(run: RunFolder) -> list[Picture]:
    """The run's pictures, leaving out those with nothing to draw."""
    s = run.scenario
    candidates = [
        ("backlog", "Backlog over time", lambda: backlog_plot(run.levels, s)),
        ("waits", "How long customers wait, per channel", lambda: wait_ecdf_plot(run.tickets, s)),
        ("intervals", "Service level and occupancy per interval", lambda: interval_plot(*run_intervals(run), s)),
        ("sla", "SLA attainment per priority", lambda: sla_attainment_plot(run.summary, s)),
        ("utilisation", "Agent utilisation by hour of the week", lambda: utilisation_heatmap(run.levels, s)),
        ("flow", "Where tickets go: the escalation flow", lambda: escalation_flow_plot(run.tickets, run.events, s)),
        ("paths", "Resolution time by route", lambda: resolution_by_path_plot(run.tickets, s)),
    ]
    return [Picture(key, title, GUIDES[key], fig) for key, title, draw in candidates if (fig := draw()) is not None]


def run_intervals(run: RunFolder) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's per-channel and per-team interval tables: as the run wrote them, else computed from its tables.

    ``run`` may also be a ``RunResult`` (no folder): the tables it carries, else computed.
    """
    folder = getattr(run, "folder", None)
    if folder is not None and (folder / INTERVALS).is_file() and (folder / TEAM_INTERVALS).is_file():
        return read_intervals(folder)
    return getattr(run, "intervals", None) or interval_tables(run.tickets, run.levels, run.scenario)


def interval_rows(channels: pd.DataFrame) -> list[dict]:
    """Formatted rows of the worst intervals per channel: when, offered, service level [interval], ASA, abandoned."""
    rows = []
    for r in worst_intervals(channels).itertuples():
        level, interval = estimate_parts(r.service_level, r.service_level_ci_low, r.service_level_ci_high, SHARE)
        asa, _ = estimate_parts(r.asa, r.asa_ci_low, r.asa_ci_high, "min")
        rows.append(
            {
                "channel": r.channel,
                "when": r.when,
                "offered": f"{r.offered:,.1f}",
                "service_level": level,
                "interval": interval or "n/a",
                "goal": f"{r.goal:.0%}",
                "asa": asa,
                "abandoned": estimate_parts(r.abandonment_rate, math.nan, math.nan, SHARE)[0],
            }
        )
    return rows


def comparison_kpis(table: pd.DataFrame, featured: Iterable[str] = ()) -> list[str]:
    """The KPIs worth a comparison chart: featured ones first, then the key KPIs; none that is zero everywhere."""
    informative = table.groupby("kpi", sort=False)["mean"].apply(lambda m: bool(m.notna().any() and (m != 0).any()))
    names = [k for k in table["kpi"].drop_duplicates() if informative.get(k, False)]
    return key_kpis(names, [*featured, *KEY_KPIS]) or names  # compared with --kpi on none of the key ones: those


def comparison_rows(table: pd.DataFrame, kpis: list[str]) -> tuple[list[str], list[dict]]:
    """Header labels and rows: each scenario's mean [interval], then each variant's paired difference."""
    labels = list(dict.fromkeys(table["scenario"]))
    rows = []
    for kpi in kpis:
        by = table[table["kpi"] == kpi].set_index("scenario")
        unit = str(by["unit"].iloc[0]) if pd.notna(by["unit"].iloc[0]) else ""
        same = time_unit_of(by["mean"], unit)  # one time unit for the KPI's row
        values = [
            dict(
                zip(
                    ("mean", "interval"),
                    estimate_parts(by.loc[s, "mean"], by.loc[s, "ci_low"], by.loc[s, "ci_high"], unit, same),
                    strict=True,
                )
            )
            for s in labels
        ]
        diffs = [_difference(by.loc[s], unit) for s in labels[1:]]
        rows.append({"kpi": kpi, "label": kpi_info(kpi).label, "values": values, "diffs": diffs})
    return labels, rows


def _difference(row: pd.Series, unit: str) -> dict:
    if not row["diff_n"] or (isinstance(row["diff"], float) and math.isnan(row["diff"])):
        return {"text": "n/a", "interval": "", "significant": False}
    text, interval = difference_parts(row["diff"], row["diff_ci_low"], row["diff_ci_high"], unit)
    return {"text": text, "interval": interval, "significant": bool(row["significant"])}


def comparison_pictures(cmp: ComparisonFolder, kpis: list[str]) -> list[Picture]:
    """KPI bars per scenario and the paired-difference chart (none when no KPI has a value to draw)."""
    shown = kpis[:MAX_PICTURE_KPIS]
    if not shown:
        return []
    return [
        Picture("bars", "KPIs per scenario", GUIDES["bars"], comparison_bars(cmp.table, shown)),
        Picture(
            "differences",
            "Paired differences to the base scenario",
            GUIDES["differences"],
            paired_difference_plot(cmp.table, shown),
        ),
    ]


def flow_pictures(runs: dict[str, RunFolder]) -> list[Picture]:
    """Each scenario's escalation flow, for comparisons that kept their runs."""
    pictures: list[Picture] = []
    for label, run in runs.items():
        figure = escalation_flow_plot(run.tickets, run.events, run.scenario)
        if figure is not None:
            guide = GUIDES["flow"] if not pictures else f"As above, for {label}: compare the arrows' widths."
            pictures.append(Picture(f"flow-{label}", f"Where tickets go: {label}", guide, figure))
    return pictures


@dataclass
class SweepAnalysis:
    """A sweep's staffing analysis: each point's cost, the goals, and the cheapest point meeting them."""

    costs: list[float]
    unit: str
    goals: dict[str, float]
    cheapest: Cheapest | None


def staffing_analysis(sweep: SweepFolder) -> SweepAnalysis | None:
    """For a staffing sweep with service goals among its KPIs, the cost of every point and the cheapest one."""
    goals = service_goals(sweep.base_scenario, sweep.kpis)
    if not is_staffing_sweep(sweep.parameters) or not goals:
        return None
    points = [{k: v for k, v in p.items() if k != "point_id"} for p in sweep.spec["points"]]
    costs, unit = point_costs(sweep.base_document, points, sweep.parameters, sweep.points)
    costs = [costs[int(i)] for i in sweep.points["point_id"]]
    return SweepAnalysis(costs, unit, goals, cheapest_meeting_goals(sweep.points, costs, unit, goals))


def sweep_rows(
    sweep: SweepFolder, kpis: list[str], analysis: SweepAnalysis | None, limit: int = MAX_SWEEP_ROWS
) -> tuple[list[str], list[dict]]:
    """Header and rows of the points table: parameters, (cost), each KPI's mean and interval."""
    header = (
        [short_name(p).replace(".", ".\u200b") for p in sweep.parameters]  # a narrow column breaks at the dots
        + ([analysis.unit] if analysis else [])
        + [kpi_info(k).label for k in kpis]
    )
    rows = []
    best = analysis.cheapest.point_id if analysis and analysis.cheapest else None
    # one time unit per KPI column, from its largest mean
    columns = [(k, kpi_info(k).unit, time_unit_of(sweep.points[f"{k}_mean"], kpi_info(k).unit)) for k in kpis]
    for i, (_, point) in enumerate(sweep.points.head(limit).iterrows()):
        cells = [{"mean": _parameter(point[p]), "interval": ""} for p in sweep.parameters]
        if analysis:
            cells.append({"mean": f"{analysis.costs[i]:,.0f}", "interval": ""})
        for kpi, unit, same in columns:
            mean, interval = estimate_parts(
                point[f"{kpi}_mean"], point[f"{kpi}_ci_low"], point[f"{kpi}_ci_high"], unit, same
            )
            cells.append({"mean": mean, "interval": interval})
        rows.append({"cells": cells, "best": int(point["point_id"]) == best})
    return header, rows


def _parameter(value: object) -> str:
    """A swept value as people write it: 12, 0.85, a distribution as ``exponential, mean 2m`` (not JSON)."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    text = str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    if isinstance(parsed, dict):
        kind = parsed.get("dist")
        rest = ", ".join(f"{k} {v}" for k, v in parsed.items() if k != "dist")
        return f"{kind}, {rest}" if kind and rest else str(kind or rest)
    if isinstance(parsed, list):
        return ", ".join(str(v) for v in parsed)
    return text


def sweep_pictures(sweep: SweepFolder, kpis: list[str], analysis: SweepAnalysis | None) -> list[Picture]:
    """KPIs against parameters, a heatmap for a two-parameter grid, the staffing trade-off."""
    cheapest = analysis.cheapest if analysis else None
    shown = kpis[:MAX_SWEEP_KPIS]
    design = sweep.spec.get("design", "grid")
    pictures = [
        Picture(
            "sweep",
            "Each KPI against each parameter",
            GUIDES["sweep"],
            sweep_kpi_plot(sweep.points, sweep.parameters, shown, design, cheapest),
        )
    ]
    if design == "grid" and len(sweep.parameters) == 2:
        pictures.append(
            Picture(
                "heatmap",
                "The two parameters together",
                GUIDES["heatmap"],
                sweep_heatmap(
                    sweep.points,
                    sweep.parameters,
                    shown[:5],
                    cheapest,
                    analysis.costs if analysis else None,
                    analysis.unit if analysis else "",
                ),
            )
        )
    if analysis is not None:
        pictures.append(
            Picture(
                "staffing",
                "Cheapest staffing that meets the service goals",
                GUIDES["staffing"],
                staffing_plot(sweep.points, analysis.costs, analysis.unit, analysis.goals, cheapest, sweep.parameters),
            )
        )
    return pictures
