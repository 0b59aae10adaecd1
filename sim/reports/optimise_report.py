"""The staffing optimiser's report: what the optimised roster costs, which goals it meets, and why.

``write_optimise_report(folder)`` reads an optimiser run folder (``results/optimise/<run>/``: the
files in ``FILES``) and writes two pictures and ``report.html`` into it, in the style of the other
reports (``sim.reports.html``): one self-contained page with its pictures embedded, for a planner
to put on a projector. It reads only the files, never the optimiser's code, so a finished folder
can be re-rendered by any later version.

The comparison with the Erlang-only roster (each queue staffed alone by Erlang C, as a spreadsheet
would) is optional: a run that turned it off has no ``erlang_only`` rows, and the report simply
leaves that column, series and table out.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from sim.analysis.kpi_catalogue import SHARE
from sim.analysis.staffing import describe_cost
from sim.core.units import format_duration
from sim.experiments.results import ResultsError, read_table
from sim.reports.display import estimate_parts
from sim.reports.figures import share_text
from sim.reports.marks import MET, MISSED
from sim.reports.page import REPORT, embed, render_page
from sim.reports.plot_intervals import _duration
from sim.reports.plot_optimise import ERLANG_ONLY, OPTIMISED, requirement_plot, service_level_plot
from sim.reports.sections import Picture

ROSTERS = {OPTIMISED: "optimised", ERLANG_ONLY: "Erlang-only"}
"""The two rosters a folder may hold, and how the report names them."""

FILES = {
    "summary.yaml": [],
    "roster.yaml": [],
    "requirement.csv": ["pool", "weekday", "slot", "start", "erlang", "isa", "required", "rostered"],
    "service_levels.csv": ["channel", "weekday", "start", "target", "goal", "roster", "service_level", "offered"],
    "goals.csv": ["label", "kind", "per", "goal", "roster", "achieved", "ci_low", "ci_high", "probability_met", "met"],
    "iterations.csv": ["stage", "round", "iteration", "pool", "agent_hours", "max_change", "replications"],
    "costs.csv": ["roster", "pool", "paid_hours", "cost"],
}
"""The files an optimiser run folder must hold, and the columns the report needs from each table."""

STAGES = {
    "erlang": "Erlang C/A start",
    "isa": "simulation refinement (ISA)",
    "schedule": "shift scheduling",
    "verify": "verification",
    "trim": "cut in every interval",
    "polish": "cut interval by interval",
    "erlang_only": "Erlang-only comparison",
}
PER = {"interval": "every interval", "day": "every day", "week": "over the week"}
CONFIDENCE = {"mean": "the mean meets each goal", "interval95": "the whole 95 % interval meets each goal"}

GUIDES = {
    "requirement": "One panel per team or agent group, Monday to Sunday, one step per interval; the height is a "
    "number of agents. The thin grey line is what an Erlang calculator asks for, each queue alone at its "
    "forecast load. The orange line is what the simulation found is needed on the phones for every goal to be "
    "met (the ISA requirement); where it hides the grey line, the network adds nothing to that interval. The "
    "dashed line grosses it up for shrinkage (breaks, training, absence): what the shifts had to cover. The "
    "blue area is the optimised roster: whole shifts, so it sits on or above the dashed line, and above it "
    "wherever a shift must run on past the peak. The dotted purple line, when shown, is the roster an "
    "Erlang-only plan would put on duty.",
    "service": "One panel per channel with a service-level goal, Monday to Sunday, one step per interval: the "
    "share of customers answered within the target, tickets counted in the interval they arrived in. The blue "
    "line is the optimised roster's mean over the simulated weeks, the light band its 95 % interval; the "
    "dotted purple line, when shown, is the Erlang-only roster. The dashed line is the goal; red bars mark "
    "intervals in which the optimised roster's mean fell below it. Grey bands are intervals in which no "
    "customer arrived: they have no service level, not 0 %.",
}

HOW_TO_READ = [
    (
        "The Erlang requirement",
        "For each team and interval, the fewest agents that meet the goal if the team's queue stood alone at its "
        "forecast load in a steady state (Erlang C, or Erlang A when customers hang up). It is what an Erlang "
        "calculator, a spreadsheet or a workforce-management suite computes.",
    ),
    (
        "What the simulation refinement (ISA) adds",
        "The iterative staffing algorithm simulates the whole network and adjusts each interval until its goal "
        "is met: tier 2's load that comes from tier 1's escalations, reopened tickets, callbacks, customers who "
        "hang up and call again, and demand that changes within the day, with queues carried from one interval "
        "into the next.",
    ),
    (
        "Why rostered is at least required",
        "Agents work whole shifts from the allowed templates, so the roster covers each interval's requirement "
        "(grossed up for shrinkage) with the cheapest mix of shifts. An interval may be over-covered because a "
        "shift that covers a peak also covers the quieter hours next to it, or because a minimum head count "
        "holds.",
    ),
    (
        "Probability of meeting a goal",
        "The share of simulated weeks (replications, with common random numbers) in which the roster met the "
        "goal on its own; for a goal judged every interval or every day, the share of single intervals or days. "
        "A goal met on the mean may still be missed in a bad week: this says how often.",
    ),
    (
        "Why the Erlang-only roster misses goals",
        "It staffs each queue alone. It cannot see the tier 2 load that arrives from tier 1, it ignores how "
        "abandonment and callbacks change the load, and it does not know that a warm handoff holds two agents at "
        "once. Where those matter, its intervals fall below the goal.",
    ),
]
"""The report's general "how to read this": each term a planner will be asked about, and its answer."""


@dataclass
class OptimiseFolder:
    """An optimiser run folder's files, read."""

    folder: Path
    summary: dict
    roster_text: str
    roster: dict
    requirement: pd.DataFrame
    service_levels: pd.DataFrame
    goals: pd.DataFrame
    iterations: pd.DataFrame
    costs: pd.DataFrame

    @property
    def compared(self) -> bool:
        """Whether the run simulated the Erlang-only roster too (the comparison may be turned off)."""
        return self.summary.get("erlang_only") is not None or bool((self.goals["roster"] == ERLANG_ONLY).any())


def load_optimise(folder: str | Path) -> OptimiseFolder:
    """Read every file of an optimiser run folder; a missing file or column is a ``ResultsError`` naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder} is not a folder")
    tables = {name.removesuffix(".csv"): _table(folder, name) for name in FILES if name.endswith(".csv")}
    roster_text = _text(folder, "roster.yaml")
    requirement = tables["requirement"]
    if ERLANG_ONLY not in requirement.columns:
        requirement[ERLANG_ONLY] = math.nan  # a run without the comparison may leave the column out
    return OptimiseFolder(
        folder=folder,
        summary=yaml.safe_load(_text(folder, "summary.yaml")) or {},
        roster_text=roster_text,
        roster=yaml.safe_load(roster_text) or {},
        requirement=requirement,
        service_levels=tables["service_levels"],
        goals=tables["goals"],
        iterations=tables["iterations"],
        costs=tables["costs"],
    )


def _text(folder: Path, name: str) -> str:
    """A file's text, or an error that names the missing file and what the folder should be."""
    path = folder / name
    if not path.is_file():
        raise ResultsError(
            f"{folder} holds no {name}: an optimiser run folder needs {', '.join(FILES)}; "
            "give the folder the optimise command printed"
        )
    return path.read_text(encoding="utf-8")


def _table(folder: Path, name: str) -> pd.DataFrame:
    """A CSV table of the folder, checked for the columns the report reads."""
    _text(folder, name)
    return read_table(folder / name, FILES[name])


def write_optimise_report(folder: str | Path) -> Path:
    """Write the pictures (``plots/*.png|svg``) and ``report.html`` into an optimiser run folder; return the report."""
    run = load_optimise(folder)
    return render_page("optimise.html.j2", optimise_context(run), run.folder / REPORT)


def optimise_context(run: OptimiseFolder) -> dict:
    """Everything the template shows, as plain values: headline, goals, pictures, roster, iterations."""
    summary = run.summary
    return {
        "title": f"Staffing optimiser: {summary.get('scenario', run.folder.name)}",
        "description": "The cheapest roster found that meets every goal in simulation, next to the roster an "
        "Erlang calculator would give."
        if run.compared
        else "The cheapest roster found that meets every goal in simulation.",
        "facts": run_facts(summary),
        "note": None,
        "headline": headline(run),
        "goals": goal_rows(run.goals, run.compared),
        "notes": list(summary.get("notes") or []),
        "pictures": embed(optimise_pictures(run), run.folder),
        "roster": {"yaml": run.roster_text, "rows": roster_rows(run), "compared": run.compared},
        "stages": stage_rows(run.iterations),
        "iterations": iteration_rows(run.iterations),
        "how_to_read": HOW_TO_READ if run.compared else HOW_TO_READ[:-1],
        "compared": run.compared,
    }


def run_facts(summary: dict) -> list[tuple[str, str]]:
    """The run's setting in name/value pairs: scenario, goals, interval, horizon, confidence, effort."""
    start = summary.get("start_date")
    facts = [
        ("scenario", str(summary.get("scenario", ""))),
        ("goals", str(summary.get("goals_file") or "the scenario's own")),
        ("run", str(summary.get("run_id", ""))),
        ("interval", _duration(float(summary.get("interval", math.nan)))),
        ("simulated", f"{summary.get('horizon_days', '?')} days"),
    ]
    if start:
        facts.append(("starting", f"{dt.date.fromisoformat(str(start)):%a %-d %b %Y}"))
    facts.append(("confidence", CONFIDENCE.get(str(summary.get("confidence")), str(summary.get("confidence")))))
    facts.append(("elapsed", format_duration(float(summary.get("elapsed_seconds", math.nan)) / 60)))
    return facts


def headline(run: OptimiseFolder) -> dict:
    """Each roster's weekly cost and whether it met every goal; the cost difference; the effort it took."""
    summary = run.summary
    unit = str(summary.get("cost_unit", "$ per week"))
    rosters = [_roster_headline(ROSTERS[OPTIMISED], summary.get("cost"), summary.get("all_goals_met"), [], unit)]
    difference = None
    other = summary.get("erlang_only")
    if other:
        missed = list(other.get("goals_missed") or [])
        rosters.append(
            _roster_headline(ROSTERS[ERLANG_ONLY], other.get("cost"), other.get("all_goals_met"), missed, unit)
        )
        if summary.get("cost") is not None and other.get("cost") is not None:
            difference = _difference(float(summary["cost"]), float(other["cost"]), unit)
    iterations = summary.get("iterations") or {}
    return {
        "rosters": rosters,
        "difference": difference,
        "replications": f"{int(summary.get('replications_used', 0)):,}",
        "iterations": ", ".join(f"{STAGES.get(k, k)} {v}" for k, v in iterations.items()),
    }


def _roster_headline(name: str, cost: float | None, met: bool | None, missed: list[str], unit: str) -> dict:
    """One roster's cost and verdict for the headline table."""
    verdict = f"{MET} yes" if met else f"{MISSED} no"
    return {
        "name": name,
        "cost": describe_cost(float(cost), unit) if cost is not None else "n/a",
        "met": bool(met),
        "verdict": verdict,
        "missed": missed,
    }


def _difference(optimised: float, erlang_only: float, unit: str) -> str:
    """The optimised roster's cost against the Erlang-only one's, in words a room reads at once."""
    change = optimised - erlang_only
    if abs(change) < 0.5:
        return "The optimised roster costs the same as the Erlang-only roster."
    share = f" ({change / erlang_only:+.1%})" if erlang_only else ""
    word = "more" if change > 0 else "less"
    return f"The optimised roster costs {describe_cost(abs(change), unit)} {word} than the Erlang-only roster{share}."


def goal_rows(goals: pd.DataFrame, compared: bool) -> list[dict]:
    """Per goal: its label and limit, then each roster's achieved value [interval], probability met and mark."""
    rows = []
    for label, mine in goals.groupby("label", sort=False):
        first = mine.iloc[0]
        limit = "≤" if first["kind"] == "abandonment" else "≥"
        by = mine.set_index("roster")
        cells = [_goal_cell(by.loc[r] if r in by.index else None) for r in ROSTERS if compared or r == OPTIMISED]
        rows.append(
            {
                "label": label,
                "limit": f"{limit} {share_text(float(first['goal']))}",
                "per": PER.get(str(first["per"]), str(first["per"])),
                "cells": cells,
            }
        )
    return rows


def _goal_cell(row: pd.Series | None) -> dict:
    """One roster's result for a goal: achieved [interval], probability of meeting it, met mark."""
    if row is None:
        return {"achieved": "n/a", "interval": "", "probability": "", "mark": "", "met": None}
    achieved, interval = estimate_parts(row["achieved"], row["ci_low"], row["ci_high"], SHARE)
    met = _true(row["met"])
    return {
        "achieved": achieved,
        "interval": interval,
        "probability": share_text(float(row["probability_met"])),
        "mark": f"{MET} met" if met else f"{MISSED} missed",
        "met": met,
    }


def _true(value: object) -> bool:
    """A met flag as CSV readers give it: a bool, or the text true/false."""
    return value is True or str(value).strip().lower() in {"true", "1", "yes"}


def roster_rows(run: OptimiseFolder) -> list[dict]:
    """Per pool of the roster: its shifts, agents on them, paid hours and cost (and the Erlang-only one's); a total."""
    unit = str(run.summary.get("cost_unit", "$ per week"))
    pools = {**(run.roster.get("teams") or {}), **(run.roster.get("agent_groups") or {})}
    names = list(dict.fromkeys([*pools, *run.costs.loc[run.costs["roster"] == OPTIMISED, "pool"]]))
    rows = []
    for pool in names:
        shifts = (pools.get(pool) or {}).get("shifts") or []
        rows.append(_roster_row(pool, len(shifts), sum(int(s.get("agents", 0)) for s in shifts), run.costs, unit))
    shifts = sum(len((p or {}).get("shifts") or []) for p in pools.values())
    agents = sum(int(s.get("agents", 0)) for p in pools.values() for s in (p or {}).get("shifts") or [])
    rows.append({**_roster_row("total", shifts, agents, run.costs, unit), "total": True})
    return rows


def _roster_row(pool: str, shifts: int, agents: int, costs: pd.DataFrame, unit: str) -> dict:
    """One line of the roster table: a pool's (or, for ``total``, every pool's) shifts, paid hours and cost."""
    row = {"pool": pool, "shifts": str(shifts), "agents": str(agents), "total": False}
    for roster in (OPTIMISED, ERLANG_ONLY):
        mine = costs[(costs["roster"] == roster) & ((costs["pool"] == pool) | (pool == "total"))]
        row[f"{roster}_hours"] = f"{mine['paid_hours'].sum():,.0f}" if len(mine) else "—"
        row[f"{roster}_cost"] = _money(mine["cost"].sum(), unit) if len(mine) else "—"
    return row


def _money(value: float, unit: str) -> str:
    """A weekly cost in the run's unit: ``$12,300`` or ``1,230`` (agent-hours)."""
    return f"${value:,.0f}" if unit.startswith("$") else f"{value:,.0f}"


def per_iteration(iterations: pd.DataFrame) -> pd.DataFrame:
    """The iterations table over all pools: per stage, round and iteration, agent-hours, largest change, replications.

    Replications are the largest count of any pool's row: one simulation covers every pool.
    """
    table = iterations.copy()
    for column in ("alpha", "note"):
        if column not in table:
            table[column] = math.nan
    table["note"] = table["note"].fillna("").astype(str)
    return (
        table.groupby(["stage", "round", "iteration"], sort=False, dropna=False)
        .agg(
            agent_hours=("agent_hours", "sum"),
            max_change=("max_change", "max"),
            alpha=("alpha", lambda a: ", ".join(f"{v:g}" for v in a.dropna().unique())),
            replications=("replications", "max"),
            note=("note", lambda n: "; ".join(dict.fromkeys(v for v in n if v))),
        )
        .reset_index()
    )


def iteration_rows(iterations: pd.DataFrame) -> list[dict]:
    """One row per stage and iteration: weekly agent-hours over all pools, the largest change, replications."""
    return [
        {
            "stage": STAGES.get(str(r.stage), str(r.stage)),
            "round": _count(r.round),
            "iteration": _count(r.iteration),
            "agent_hours": f"{r.agent_hours:,.0f}",
            "max_change": _change(r.max_change),
            "alpha": r.alpha or "—",
            "replications": _count(r.replications),
            "note": r.note,
        }
        for r in per_iteration(iterations).itertuples()
    ]


def stage_rows(iterations: pd.DataFrame) -> list[dict]:
    """The compact table: one row per stage and round, with how agent-hours and the largest change moved."""
    rows = []
    for (stage, round_), mine in per_iteration(iterations).groupby(["stage", "round"], sort=False, dropna=False):
        hours, change = mine["agent_hours"].to_numpy(), mine["max_change"].to_numpy(dtype=float)
        rows.append(
            {
                "stage": STAGES.get(str(stage), str(stage)),
                "round": _count(round_),
                "iterations": str(len(mine)),
                "agent_hours": _moved([f"{h:,.0f}" for h in hours]),
                "max_change": _moved([_change(c) for c in change]),
                "replications": _count(mine["replications"].sum()),
                "note": "; ".join(dict.fromkeys(n for n in mine["note"] if n)),
            }
        )
    return rows


def _moved(values: list[str]) -> str:
    """``first → last`` when a value moved over a stage's iterations, else the one value."""
    return values[0] if values[0] == values[-1] else f"{values[0]} → {values[-1]}"


def _change(value: float) -> str:
    """The largest change in agents, a dash where it does not apply."""
    return "—" if pd.isna(value) else f"{value:,.1f}"


def _count(value: float) -> str:
    """A whole number as text, a dash when missing."""
    return "—" if pd.isna(value) else f"{int(value):,}"


def optimise_pictures(run: OptimiseFolder) -> list[Picture]:
    """The requirement-versus-rostered picture and, when any channel has a service-level goal, the service levels."""
    interval = float(run.summary["interval"])
    pictures = [
        Picture(
            "requirement",
            "Requirement versus rostered agents, per interval",
            GUIDES["requirement"],
            requirement_plot(run.requirement, interval),
        )
    ]
    levels = service_level_plot(run.service_levels, interval)
    if levels is not None:
        pictures.append(Picture("service", "Service level per interval, against the goal", GUIDES["service"], levels))
    return pictures
