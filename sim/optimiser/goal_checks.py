"""Loading a goals file with file:line messages, and checking it against the scenario.

``load_goals`` reads the file like the scenario loader reads a scenario (the same messages for
a missing file, bad YAML or a file that is not a mapping), checks it against the schema in
``goals`` and against the scenario (channel, priority and pool names, shifts on the planning
interval…), and fills every default that depends on the scenario, so the ``Goals`` it returns has
no ``None`` left in a service-level goal, a goal's ``confidence``, a pool's ``cost_per_hour`` or a
non-fixed pool's ``templates``, and ``teams`` lists every pool of the scenario. All problems are
reported together, each with the file, the line and the field path. It is apart from the schema
because it needs a scenario: the schema says what a goals file may say, this module whether it
makes sense for the scenario at hand.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from sim.optimiser.goals import (
    DEFAULT_SERVICE_LEVEL_GOAL,
    AbandonmentGoal,
    Goals,
    PoolGoals,
    ServiceLevelGoal,
    SlaGoal,
)
from sim.optimiser.shift_templates import (
    STARTS_TAGS,
    StartRange,
    coverage_problems,
    default_templates,
    duplicate_templates,
    duration_text,
    template_problems,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.fields import Path as FieldPath
from sim.scenario.schema_messages import describe_error
from sim.scenario.sla_spec import SlaPolicy
from sim.scenario.spec import Scenario
from sim.scenario.yaml_source import read_mapping

NOT_A_MAPPING = "a goals file must be a mapping of fields (service_level:, sla:, abandonment:, teams:, …)"


def load_goals(path: str | Path, scenario: Scenario) -> Goals:
    """Read and check a goals file against ``scenario``; ``ScenarioError`` lists every problem with its line."""
    data, lines, source = read_mapping(path, NOT_A_MAPPING)
    return goals_from_document(data, scenario, source, lines)


def default_goals(scenario: Scenario) -> Goals:
    """The goals of an empty file (and of ``optimise`` without ``--goals``): the channels' own service levels."""
    return goals_from_document({}, scenario, "<default goals>")


def goals_from_document(
    data: dict, scenario: Scenario, source: str = "<goals>", lines: dict[FieldPath, int] | None = None
) -> Goals:
    """A goals document (as read from YAML) checked against the schema and ``scenario``, its defaults filled."""
    if not isinstance(data, dict):
        raise ScenarioError(source, [((), NOT_A_MAPPING)], lines)
    try:
        goals = Goals.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, [_describe(err, data) for err in exc.errors()], lines) from None
    problems: list[tuple[FieldPath, str]] = []
    resolved = _resolve(goals, scenario, problems)
    if problems:
        raise ScenarioError(source, problems, lines)
    return resolved


def _describe(err: ErrorDetails, data: Any) -> tuple[FieldPath, str]:
    """One schema error as (field path in the file, message saying what is allowed)."""
    loc = tuple(err["loc"])
    # the tag of the form a template's starts were written in is no field of the file
    loc = tuple(p for i, p in enumerate(loc) if not (p in STARTS_TAGS and i and loc[i - 1] == "starts"))
    if err["type"] == "extra_forbidden" and len(loc) > 1 and loc[-2] == "starts":
        allowed = [field.alias or name for name, field in StartRange.model_fields.items()]
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return loc, f"unknown field; {suggestion}allowed: {', '.join(allowed)}"
    return describe_error({**err, "loc": loc}, data, Goals)


def _resolve(goals: Goals, scenario: Scenario, problems: list[tuple[FieldPath, str]]) -> Goals:
    """``goals`` with the scenario's defaults filled in; every problem found is added to ``problems``."""
    problems.extend(_horizon_problems(goals))
    service_level = _service_levels(goals, scenario, problems)
    sla = _sla_goals(goals, scenario, problems)
    abandonment = _abandonment_goals(goals, scenario, problems)
    teams = _pools(goals, scenario, problems)
    if not (service_level or sla or abandonment) and not any(p[0][:1] in _GOAL_SECTIONS for p in problems):
        problems.append(((), _nothing_to_meet(goals, scenario)))
    return goals.model_copy(
        update={"service_level": service_level, "sla": sla, "abandonment": abandonment, "teams": teams}
    )


_GOAL_SECTIONS = {("service_level",), ("sla",), ("abandonment",)}


def _nothing_to_meet(goals: Goals, scenario: Scenario) -> str:
    channel = scenario.channels[0].name
    live = next((c.name for c in scenario.channels if c.patience is not None), None)
    examples = [f"service_level: [{{channel: {channel}, target: 30s, goal: 0.8}}]"]
    timed = next((p for p in scenario.priorities if _sla_policies(scenario, p, "resolution")), None)
    if timed is not None:
        examples.append(f"sla: [{{priority: {timed}, goal: 0.9}}]")
    if live is not None:
        examples.append(f"abandonment: [{{channel: {live}, max: 0.05}}]")
    add = f"add one, e.g. {' or '.join(examples)}"
    if goals.service_level is not None:
        return f"there is no goal to meet (service_level: [] drops the channels' own); {add}"
    return (
        "there is no goal to meet: no channel of the scenario has a service_level and this file gives no goal; "
        f"{add}, or give a channel a service_level in the scenario"
    )


def _sla_policies(scenario: Scenario, priority: str, clock: str) -> list[SlaPolicy]:
    """The SLA policies that may give tickets of ``priority`` the ``clock``."""
    return [
        policy
        for policy in scenario.sla_policies
        if (not policy.match.priority or priority in policy.match.priority) and getattr(policy, clock) is not None
    ]


def _unknown(what: str, value: str, allowed: Iterable[str]) -> str:
    names = list(allowed)
    hint = difflib.get_close_matches(value, names, n=1)
    suggestion = f"did you mean {hint[0]!r}? " if hint else ""
    return f"unknown {what} {value!r}; {suggestion}allowed: {', '.join(names) or 'none defined'}"


def _horizon_problems(goals: Goals) -> Iterable[tuple[FieldPath, str]]:
    if goals.horizon < MINUTES_PER_DAY or goals.horizon % MINUTES_PER_DAY:
        yield (
            ("horizon",),
            (
                f"the horizon is planned in whole days: give 1d or more, in whole days, e.g. 7d "
                f"(got {duration_text(goals.horizon)})"
            ),
        )


def _service_levels(goals: Goals, scenario: Scenario, problems: list[tuple[FieldPath, str]]) -> list[ServiceLevelGoal]:
    channels = {c.name: c for c in scenario.channels}
    if goals.service_level is None:
        found = []
        for channel in scenario.channels:
            if channel.service_level is None:
                continue
            if channel.service_level.goal >= 1:
                problems.append(
                    (
                        ("service_level",),
                        f"the scenario's channel {channel.name} has service_level.goal 1 (every contact within "
                        "the target), which no staffing can promise; list service_level here with a goal below 1",
                    )
                )
                continue
            found.append(
                ServiceLevelGoal(
                    channel=channel.name,
                    target=channel.service_level.target,
                    goal=channel.service_level.goal,
                    confidence=goals.confidence,
                )
            )
        return found
    found, seen = [], set()
    for i, entry in enumerate(goals.service_level):
        path: FieldPath = ("service_level", i)
        if entry.channel not in channels:
            problems.append(((*path, "channel"), _unknown("channel", entry.channel, channels)))
            continue
        own = channels[entry.channel].service_level
        target = entry.target if entry.target is not None else own.target if own else None
        if target is None:
            problems.append(
                (
                    (*path, "target"),
                    f"channel {entry.channel} has no service_level in the scenario, so give the target here, "
                    "e.g. target: 30s (answered within 30 seconds)",
                )
            )
            continue
        goal = entry.goal if entry.goal is not None else own.goal if own else DEFAULT_SERVICE_LEVEL_GOAL
        if goal >= 1:
            problems.append(
                (
                    (*path, "goal"),
                    f"channel {entry.channel}'s service_level.goal in the scenario is 1 (every contact), which no "
                    "staffing can promise; give a goal below 1 here, e.g. goal: 0.9",
                )
            )
            continue
        if (entry.channel, entry.per) in seen:
            problems.append(
                (path, f"a second per-{entry.per} service-level goal for {entry.channel}; keep one (the stricter)")
            )
        seen.add((entry.channel, entry.per))
        if entry.per == "week" and goals.horizon > MINUTES_PER_WEEK and goals.horizon % MINUTES_PER_WEEK:
            problems.append(
                (
                    (*path, "per"),
                    f"a weekly goal needs a horizon of whole weeks (or at most 7d), got "
                    f"{duration_text(goals.horizon)}; change horizon: or use per: day",
                )
            )
        found.append(
            entry.model_copy(
                update={"target": target, "goal": goal, "confidence": entry.confidence or goals.confidence}
            )
        )
    return found


def _sla_goals(goals: Goals, scenario: Scenario, problems: list[tuple[FieldPath, str]]) -> list[SlaGoal]:
    found, seen = [], set()
    for i, entry in enumerate(goals.sla):
        path: FieldPath = ("sla", i)
        if entry.priority not in scenario.priorities:
            problems.append(((*path, "priority"), _unknown("priority", entry.priority, scenario.priorities)))
            continue
        if not _sla_policies(scenario, entry.priority, entry.clock):
            problems.append(
                (
                    path,
                    f"no SLA policy of the scenario gives {entry.priority} tickets a {entry.clock} clock, so there is "
                    f"nothing to attain; add one to the scenario's sla_policies or drop this goal",
                )
            )
            continue
        if (entry.priority, entry.clock) in seen:
            problems.append((path, f"a second {entry.clock} goal for {entry.priority}; keep one (the stricter)"))
        seen.add((entry.priority, entry.clock))
        found.append(entry.model_copy(update={"confidence": entry.confidence or goals.confidence}))
    return found


def _abandonment_goals(
    goals: Goals, scenario: Scenario, problems: list[tuple[FieldPath, str]]
) -> list[AbandonmentGoal]:
    channels = {c.name: c for c in scenario.channels}
    live = [c.name for c in scenario.channels if c.patience is not None]
    found: list[AbandonmentGoal] = []
    seen: set[str | None] = set()
    for i, entry in enumerate(goals.abandonment):
        path: FieldPath = ("abandonment", i)
        if entry.channel is None and not live:
            problems.append(
                (path, "no channel of the scenario has a patience, so nobody abandons; give a channel a patience")
            )
            continue
        if entry.channel is not None and entry.channel not in channels:
            problems.append(((*path, "channel"), _unknown("channel", entry.channel, channels)))
            continue
        if entry.channel is not None and entry.channel not in live:
            problems.append(
                (
                    (*path, "channel"),
                    f"channel {entry.channel} has no patience in the scenario, so its customers never abandon; "
                    f"allowed: {', '.join(live) or 'none (no channel has a patience)'}, or leave channel out "
                    "for all live channels together",
                )
            )
            continue
        if entry.channel in seen:
            which = entry.channel or "all live channels"
            problems.append((path, f"a second abandonment goal for {which}; keep one (the stricter)"))
        seen.add(entry.channel)
        found.append(entry.model_copy(update={"confidence": entry.confidence or goals.confidence}))
    return found


def _pools(goals: Goals, scenario: Scenario, problems: list[tuple[FieldPath, str]]) -> dict[str, PoolGoals]:
    """Every pool of the scenario with its constraints, in the scenario's order, defaults filled."""
    names = [pool.name for pool in scenario.pools]
    for name in goals.teams:
        if name not in names:
            problems.append((("teams", name), _unknown("pool (a team or agent group)", name, names)))
    found = {}
    for pool in scenario.pools:
        listed = goals.teams.get(pool.name)
        entry = listed if listed is not None else PoolGoals()
        path: FieldPath = ("teams", pool.name)
        problems.extend(_pool_problems(path, entry, goals.interval))
        update: dict[str, Any] = {}
        if entry.cost_per_hour is None:
            update["cost_per_hour"] = pool.cost_per_hour
        if not entry.fixed:
            templates = default_templates() if entry.templates is None else entry.templates
            update["templates"] = [
                t if t.name is not None else t.model_copy(update={"name": f"template-{i + 1}"})
                for i, t in enumerate(templates)
            ]
            problems.extend(duplicate_templates(path, update["templates"]))
        found[pool.name] = entry.model_copy(update=update)
    return found


def _pool_problems(path: FieldPath, entry: PoolGoals, interval: float) -> Iterable[tuple[FieldPath, str]]:
    if entry.fixed:
        for field in ("templates", "min_agents", "max_agents"):
            if field in entry.model_fields_set:
                yield (
                    (*path, field),
                    (
                        f"{path[1]} is fixed (keeps the scenario's staffing, simulated, not optimised), so {field} "
                        f"does not apply; remove {field} or set fixed: false"
                    ),
                )
        return
    if entry.max_agents is not None and entry.min_agents > entry.max_agents:
        yield (
            (*path, "min_agents"),
            (
                f"min_agents {entry.min_agents} is above max_agents {entry.max_agents}; "
                "lower min_agents or raise max_agents"
            ),
        )
    if entry.templates is not None and not entry.templates:
        yield (
            (*path, "templates"),
            (
                "give at least one template, or leave templates out for the default "
                "(8 h shifts starting every hour, each weekday on its own)"
            ),
        )
    templates = entry.templates or []
    found = [p for i, t in enumerate(templates) for p in template_problems((*path, "templates", i), t, interval)]
    yield from found
    if entry.min_agents > 0 and templates and not found:  # coverage is only worth checking on sound templates
        yield from coverage_problems(path, entry.min_agents, templates, interval)


def resolved_document(goals: Goals) -> dict[str, Any]:
    """The goals with every default filled, as YAML-ready values (durations in minutes, clock times as HH:MM)."""
    return goals.model_dump(mode="json", by_alias=True)
