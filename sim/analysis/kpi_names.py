"""Which KPI names a scenario can produce.

Checking names up front catches a typo in ``--kpi`` or a sweep's ``kpis:`` before hours of
simulation, instead of leaving an empty column at the end.

A KPI name is a base (``asa``, ``utilisation`` …, the ones ``sim.analysis.kpis`` labels) optionally
followed by ``.`` and one of the scenario's channel, team, priority, category or segment names
(or, for ``escalation_kind`` and ``escalation_reason``, a kind or a reason the triggers record).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from sim.analysis.kpis import KPIS
from sim.scenario.policy import Kind, escalation_reasons
from sim.scenario.spec import Scenario


def kpi_problem(name: str, scenario: Scenario) -> str | None:
    """Why ``name`` is not a KPI of ``scenario``, or None if it is one."""
    base, dot, detail = name.partition(".")
    if base not in KPIS:
        hint = difflib.get_close_matches(base, list(KPIS), n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown KPI {name!r}; {suggestion}KPIs: {', '.join(KPIS)} (some take .<channel|team|priority>)"
    if not dot:
        return None
    if base in _DETAILS:
        allowed = _DETAILS[base](scenario)
        if detail not in allowed:
            return (
                f"unknown KPI {name!r}: {detail!r} is not one of {scenario.name}'s {base} details: {', '.join(allowed)}"
            )
        return None
    if detail not in _entity_names(scenario):
        return (
            f"unknown KPI {name!r}: {detail!r} is not a channel, team, priority, category or segment of {scenario.name}"
        )
    return None


_DETAILS: dict[str, Callable[[Scenario], list[str]]] = {
    "escalation_kind": lambda s: list(Kind.all()),
    "escalation_reason": lambda s: escalation_reasons(s.escalation),
}
"""KPIs whose detail is not an entity of the scenario: escalation kinds and the triggers' reasons."""


def _entity_names(scenario: Scenario) -> set[str]:
    return (
        {c.name for c in scenario.channels}
        | {t.name for t in scenario.teams}
        | set(scenario.priorities)
        | {c.name for c in scenario.categories}
        | set(scenario.segments)
    )
