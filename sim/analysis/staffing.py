"""Staffing sweeps: what each point's rota costs, and the cheapest one that meets the service goals.

A sweep is a *staffing* sweep when every parameter it varies is a head count (an override path
ending in ``agents``). A point's cost is its paid agent-hours per week, priced at each team's
``cost_per_hour`` (plain agent-hours when no team has a price); agent groups count like teams.
Paid hours are the same as for
the ``cost_per_resolved`` KPI: the rota's hours, plus the overtime the simulation measured (agents
finishing a ticket past their shift end, the ``overtime_hours.<team>`` KPI, mean over
replications) at the team's ``overtime_premium``. A point *meets the
target* when the mean service level of every channel with a goal, among the KPIs the sweep
kept, reaches that goal (``service_level.<channel>`` ≥ ``channels[].service_level.goal``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.core.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.scenario.loader import validate
from sim.scenario.overrides import apply_overrides
from sim.scenario.spec import AgentGroupSpec, Scenario, TeamSpec
from sim.scenario.variants import override


@dataclass(frozen=True)
class Cheapest:
    """The cheapest point that meets every goal: its id, weekly cost, and the goals checked."""

    point_id: int
    cost: float
    unit: str
    goals: dict[str, float]


def is_staffing_sweep(parameters: list[str]) -> bool:
    """Whether every swept parameter is a head count (its path ends in ``agents``)."""
    return bool(parameters) and all(p.rsplit(".", 1)[-1] == "agents" for p in parameters)


def weekly_agent_hours(team: TeamSpec | AgentGroupSpec) -> float:
    """Paid agent-hours in a week: around-the-clock agents, or each shift's agents x length x days."""
    if team.shifts is None:
        return (team.agents or 0) * float(HOURS_PER_WEEK)
    hours = 0.0
    for shift in team.shifts:
        length = (shift.end - shift.start) % MINUTES_PER_DAY or MINUTES_PER_DAY
        hours += shift.agents * length / MINUTES_PER_HOUR * len(shift.days)
    return hours


def weekly_cost(scenario: Scenario) -> tuple[float, str]:
    """The rota's cost per week in dollars, or its agent-hours when no team has a price (no overtime)."""
    return paid_weekly_cost(scenario, pd.Series(dtype=float))


def paid_weekly_cost(scenario: Scenario, point: pd.Series) -> tuple[float, str]:
    """Paid cost per week: rota hours plus the point's mean overtime hours at the premium, priced.

    ``point`` is a row of a sweep's points table; a team whose ``overtime_hours.<team>_mean`` the
    sweep did not keep (or that works around the clock) adds no overtime.
    """
    pools = scenario.pools
    priced = any(team.cost_per_hour > 0 for team in pools)
    total = 0.0
    for team in pools:
        overtime = point.get(f"overtime_hours.{team.name}_mean", 0.0)
        overtime = 0.0 if overtime != overtime else float(overtime)  # NaN: no overtime measured
        hours = weekly_agent_hours(team) + team.overtime_premium * overtime
        total += hours * team.cost_per_hour if priced else hours
    return total, "$ per week" if priced else "paid agent-hours per week"


def describe_cost(cost: float, unit: str) -> str:
    """A weekly cost as people say it: ``$53,349 per week`` or ``1,234 agent-hours per week``."""
    return f"${cost:,.0f} per week" if unit.startswith("$") else f"{cost:,.0f} {unit}"


def point_costs(
    base: dict, points: list[dict], parameters: list[str], results: pd.DataFrame | None = None
) -> tuple[list[float], str]:
    """Each point's weekly paid cost: the base scenario document with the point's values applied.

    ``results`` (the sweep's points table, by ``point_id``) supplies each point's measured overtime.
    """
    by_id = results.set_index("point_id") if results is not None and "point_id" in results else None
    costs, unit = [], ""
    for i, point in enumerate(points):
        changes = [override(name, point[name]) for name in parameters if name in point]
        scenario = validate(apply_overrides(base, changes, f"point {i}"), f"point {i}")
        row = by_id.loc[i] if by_id is not None and i in by_id.index else pd.Series(dtype=float)
        cost, unit = paid_weekly_cost(scenario, row)
        costs.append(cost)
    return costs, unit


def service_goals(scenario: Scenario, kpis: list[str]) -> dict[str, float]:
    """``service_level.<channel>`` -> goal, for the channels with a goal whose KPI the sweep kept."""
    return {
        f"service_level.{c.name}": c.service_level.goal
        for c in scenario.channels
        if c.service_level is not None and f"service_level.{c.name}" in kpis
    }


def meets_goals(points: pd.DataFrame, goals: dict[str, float]) -> pd.Series:
    """Per point, whether every goal's mean service level reaches it."""
    ok = pd.Series(True, index=points.index)
    for kpi, goal in goals.items():
        ok &= points[f"{kpi}_mean"].fillna(-math.inf) >= goal
    return ok


def cheapest_meeting_goals(
    points: pd.DataFrame, costs: list[float], unit: str, goals: dict[str, float]
) -> Cheapest | None:
    """The point of lowest cost among those meeting every goal (ties: the lower point id); None if none do."""
    if not goals:
        return None
    frame = pd.DataFrame(
        {"point_id": points["point_id"].to_numpy(), "cost": costs, "ok": meets_goals(points, goals).to_numpy()}
    )
    good = frame[frame["ok"]].sort_values(["cost", "point_id"], kind="stable")
    if good.empty:
        return None
    best = good.iloc[0]
    return Cheapest(int(best["point_id"]), float(best["cost"]), unit, goals)


@dataclass(frozen=True)
class StaffingAnswer:
    """A staffing sweep's answer: each point's weekly cost (in the points table's order), the goals, the cheapest."""

    costs: list[float]
    unit: str
    goals: dict[str, float]
    cheapest: Cheapest | None


def staffing_answer(
    base: dict,
    base_scenario: Scenario,
    points: list[dict],
    parameters: list[str],
    results: pd.DataFrame,
    kpis: list[str],
) -> StaffingAnswer | None:
    """For a staffing sweep: every point's paid weekly cost and the cheapest point meeting the goals; else None.

    ``base`` is the base scenario's document, ``points`` the sweep's points (parameter values),
    ``results`` its points table and ``kpis`` the KPIs it kept (the goals need their service levels).
    """
    if not is_staffing_sweep(parameters):
        return None
    goals = service_goals(base_scenario, kpis)
    by_id, unit = point_costs(base, points, parameters, results)
    costs = [by_id[int(i)] for i in results["point_id"]]
    return StaffingAnswer(costs, unit, goals, cheapest_meeting_goals(results, costs, unit, goals))


def describe_answer(answer: StaffingAnswer, points: list[dict], parameters: list[str]) -> str:
    """The answer in a sentence or two: the cheapest staffing meeting every goal, or that none does."""
    goals = ", ".join(f"{kpi} ≥ {goal:.0%}" for kpi, goal in answer.goals.items())
    if not answer.goals:
        return "no service-level goal among the sweep's KPIs: list service_level.<channel> in kpis for the answer"
    if answer.cheapest is None:
        return f"no point meets every goal ({goals}); try more agents"
    values = ", ".join(f"{p}={points[answer.cheapest.point_id][p]}" for p in parameters)
    return (
        f"cheapest staffing that meets every goal ({goals}):\n"
        f"  point {answer.cheapest.point_id}: {values}, {describe_cost(answer.cheapest.cost, answer.unit)}"
    )
