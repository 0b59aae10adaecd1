"""Which KPI names a scenario can produce.

Checking names up front catches a typo in ``--kpi`` or a sweep's ``kpis:`` before hours of
simulation, instead of leaving an empty column at the end.

A KPI name is a base (``asa``, ``utilisation`` …, the ones ``sim.analysis.kpi_catalogue`` labels) optionally
followed by ``.`` and one of the scenario's channel, team, priority, category or segment names
(or, for ``escalation_kind`` and ``escalation_reason``, a kind or a reason the triggers record; for
``path_share`` a route of team names joined by ``>``; for ``cost_per_ticket_tier`` a team's tier;
for ``shrinkage`` a cause: break, lunch, meeting, coaching or absence).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from sim.analysis.channel_kpis import live_channels
from sim.analysis.kpi_catalogue import KPIS
from sim.analysis.kpis import served_by_details
from sim.engine.agent_time import Cause
from sim.scenario.spec import Scenario
from sim.scenario.triggers import Kind, escalation_reasons


def kpi_problem(name: str, scenario: Scenario) -> str | None:
    """Why ``name`` is not a KPI of ``scenario``, or None if it is one."""
    base, dot, detail = name.partition(".")
    if base not in KPIS:
        hint = difflib.get_close_matches(base, list(KPIS), n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown KPI {name!r}; {suggestion}KPIs: {', '.join(KPIS)} (some take .<channel|team|priority>)"
    if base == "asa_live" and not live_channels(scenario):
        return f"{name!r}: {scenario.name} has no live channel (one with a patience); use asa.<channel>"
    if not dot:
        return None
    if base in _DETAILS:
        allowed, accepts = _DETAILS[base](scenario)
        if not accepts(detail):
            return (
                f"unknown KPI {name!r}: {detail!r} is not one of {scenario.name}'s {base} details: {', '.join(allowed)}"
            )
        return None
    if detail not in _entity_names(scenario):
        return (
            f"unknown KPI {name!r}: {detail!r} is not a channel, team, priority, category or segment of {scenario.name}"
        )
    return None


def _one_of(names: list[str]) -> tuple[list[str], Callable[[str], bool]]:
    return names, set(names).__contains__


def _routes(scenario: Scenario) -> tuple[list[str], Callable[[str], bool]]:
    teams = [t.name for t in scenario.teams]
    return [f"routes of team names joined by '>' ({'>'.join(teams[:2])} …)"], lambda d: set(d.split(">")) <= set(teams)


_DETAILS: dict[str, Callable[[Scenario], tuple[list[str], Callable[[str], bool]]]] = {
    "escalation_kind": lambda s: _one_of(list(Kind.all())),
    "escalation_reason": lambda s: _one_of(escalation_reasons(s.escalation)),
    "path_share": _routes,
    "cost_per_ticket_tier": lambda s: _one_of(sorted({str(t.tier) for t in s.teams}, key=int)),
    "served_by": lambda s: _one_of(served_by_details(s)),
    "shrinkage": lambda s: _one_of(list(Cause.all())),
}
"""KPIs whose detail is not an entity of the scenario: escalation kinds, the triggers' reasons, the routes
tickets take (``path_share.tier1>tier2``) and the teams' tiers (``cost_per_ticket_tier.2``); the names and
the predicate that accepts a detail. ``served_by`` takes ``team.pool``: a team and a pool that serves it."""


def _entity_names(scenario: Scenario) -> set[str]:
    return (
        {c.name for c in scenario.channels}
        | {t.name for t in scenario.teams}
        | {g.name for g in scenario.agent_groups}
        | set(scenario.priorities)
        | {c.name for c in scenario.categories}
        | set(scenario.segments)
    )
