"""The goals file of the staffing optimiser: what the roster must achieve, and which shifts it may use.

```yaml
interval: 30m                 # planning interval: 15m, 30m or 60m
horizon: 7d                   # planned and simulated after the scenario's warm-up; whole days
confidence: mean              # mean | interval95
service_level:                # default: each scenario channel's own service_level, per interval
  - {channel: phone, target: 30s, goal: 0.8, per: interval}
sla:
  - {priority: P1, clock: resolution, goal: 0.9}
abandonment:
  - {channel: phone, max: 0.08}
teams:
  tier1:
    min_agents: 2
    templates:
      - name: early
        days: [mon, tue, wed, thu, fri]
        starts: {from: "06:00", to: "09:00", every: 30m}
        lengths: [8.5h]
        break: {after: 4h, length: 30m}
  billing: {fixed: true}      # keeps the scenario's shifts; simulated, not optimised
```

``load_goals`` reads the file like the scenario loader reads a scenario (the same messages for
a missing file, bad YAML or a file that is not a mapping), checks it against the schema below and
against the scenario (channel, priority and pool names, shifts on the planning interval…), and
fills every default that depends on the scenario, so the ``Goals`` it returns has no ``None``
left in a service-level goal, a goal's ``confidence``, a pool's ``cost_per_hour`` or a non-fixed
pool's ``templates``, and ``teams`` lists every pool of the scenario. All problems are reported
together, each with the file, the line and the field path. Times are minutes (floats) throughout.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, ValidationError, WithJsonSchema
from pydantic_core import ErrorDetails

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK, Duration, parse_duration
from sim.scenario.clock import WEEKDAYS, Clock, Weekday, clock_text
from sim.scenario.fields import Name, Spec
from sim.scenario.fields import Path as FieldPath
from sim.scenario.loader import ScenarioError, describe_error, read_mapping
from sim.scenario.spec import REPORTING_INTERVALS, Scenario, ServiceLevelTarget, SlaPolicy

Confidence = Literal["mean", "interval95"]
"""How a goal counts as met over replications: by the mean, or by its whole 95 % confidence interval."""
Per = Literal["interval", "day", "week"]

MAX_SHIFT = MINUTES_PER_DAY
"""A template's shift is at most 24 hours long."""
DEFAULT_SERVICE_LEVEL_GOAL: float = ServiceLevelTarget.model_fields["goal"].default
"""The share answered within the target when neither the goals file nor the channel gives one (the scenario's)."""
NOT_A_MAPPING = "a goals file must be a mapping of fields (service_level:, sla:, abandonment:, teams:, …)"


def _planning_interval(value: object) -> float:
    """15, 30 or 60 minutes, from any duration of that length (``30m``, ``1h``, ``60``); anything else is refused."""
    minutes = parse_duration(value)
    if minutes not in REPORTING_INTERVALS.values():
        raise ValueError(f"{value!r} is not a planning interval; use 15m, 30m or 60m (1h)")
    return minutes


PlanningInterval = Annotated[
    float,
    BeforeValidator(_planning_interval),
    WithJsonSchema({"enum": ["15m", "30m", "60m", "1h", 15, 30, 60], "description": "15m, 30m or 60m"}),
]


class BreakSpec(Spec):
    """An unpaid break inside a shift: the agent is off duty for ``length`` from ``after`` into the shift."""

    after: Duration = Field(gt=0, description="time from the shift's start to the break")
    length: Duration = Field(gt=0, description="how long the break lasts; unpaid and off duty")


class StartRange(Spec):
    """Start times from ``from`` to ``to`` (inclusive), ``every`` apart, within one day."""

    start: Clock = Field(alias="from", description="the first start, HH:MM")
    stop: Clock = Field(alias="to", description="the last start at most, HH:MM (included when a step lands on it)")
    every: Duration = Field(gt=0, description="time between two starts, a multiple of the planning interval")

    def minutes(self) -> list[float]:
        """The starts in minutes after midnight."""
        if self.stop < self.start:
            return []
        count = math.floor((self.stop - self.start) / self.every + 1e-9) + 1
        return [self.start + k * self.every for k in range(count)]


def _starts_kind(value: Any) -> str | None:
    if isinstance(value, list):
        return "list"
    if isinstance(value, (dict, StartRange)):
        return "range"
    return None


STARTS_HELP = 'give a list of clock times ["06:00", "07:00"] or a range {from: "06:00", to: "10:00", every: 30m}'
Starts = Annotated[
    Annotated[list[Clock], Tag("list")] | Annotated[StartRange, Tag("range")],
    Discriminator(_starts_kind, custom_error_type="starts_kind", custom_error_message=STARTS_HELP),
]
_STARTS_TAGS = ("list", "range")


class TemplateSpec(Spec):
    """An allowed shift: the weekdays worked, when it may start, how long it lasts and its break.

    An agent on a template works every one of its ``days``, starting at the same time each day;
    the optimiser picks how many agents work each (start, length) of the template.
    """

    name: Name | None = Field(
        default=None, description="unique within the pool; default: template-1, template-2… by position"
    )
    days: list[Weekday] = Field(
        default=["mon", "tue", "wed", "thu", "fri"],
        description="weekdays worked; an agent on this template works all of them, at the same start",
    )
    starts: Starts = Field(
        description='start times: a list of clock times ["06:00", "07:00"], or a range '
        '{from: "06:00", to: "10:00", every: 30m}; on the planning interval'
    )
    lengths: list[Duration] = Field(
        default=[8 * MINUTES_PER_HOUR],
        description="shift lengths from start to end (like a scenario shift's start-end), at most 24h, "
        "whole planning intervals; the break lies inside and is not paid",
    )
    break_: BreakSpec | None = Field(
        default=None, alias="break", description="an unpaid break, off duty, inside the shift; none: no break"
    )

    def start_minutes(self) -> list[float]:
        """Every allowed start in minutes after midnight, sorted, a range expanded."""
        starts = self.starts.minutes() if isinstance(self.starts, StartRange) else self.starts
        return sorted(set(starts))

    def paid_minutes(self, length: float) -> float:
        """The paid (on-duty) part of a shift of ``length``: the length less the break."""
        return length - (self.break_.length if self.break_ else 0.0)

    def on_duty(self, start: float, length: float) -> list[tuple[float, float]]:
        """The on-duty spans of one shift, in minutes from the start of its day (may pass midnight)."""
        if self.break_ is None:
            return [(start, start + length)]
        pause = start + self.break_.after
        return [(start, pause), (pause + self.break_.length, start + length)]


def default_templates() -> list[TemplateSpec]:
    """A pool's shifts when its goals give no templates: 8 h shifts starting every hour, each weekday on its own."""
    hourly = {"from": "00:00", "to": "23:00", "every": "1h"}
    return [TemplateSpec.model_validate({"name": f"{day}-8h", "days": [day], "starts": hourly}) for day in WEEKDAYS]


class PoolGoals(Spec):
    """Constraints on one pool of agents (a scenario team or agent group)."""

    fixed: bool = Field(
        default=False, description="true: keep the scenario's staffing as it is; it is simulated, not optimised"
    )
    min_agents: int = Field(default=0, ge=0, description="at least this many on duty in every interval")
    max_agents: int | None = Field(default=None, ge=0, description="at most this many on duty at once; none: no limit")
    cost_per_hour: float | None = Field(
        default=None, ge=0, description="cost of one paid agent-hour; default: the pool's cost_per_hour in the scenario"
    )
    delay_probability: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="for a pool that answers no channel with a service-level goal first: the target probability "
        "that a ticket waits at all (the iterative staffing algorithm's alpha)",
    )
    templates: list[TemplateSpec] | None = Field(
        default=None,
        description="allowed shifts; default: 8 h shifts starting every hour, each weekday on its own",
    )


class ServiceLevelGoal(Spec):
    """A channel's speed of answer: ``goal`` of its contacts answered within ``target``."""

    channel: Name = Field(description="a scenario channel")
    target: Duration | None = Field(default=None, gt=0, description="default: the channel's service_level.target")
    goal: float | None = Field(
        default=None, gt=0, lt=1, description="share answered within the target; default: the channel's goal"
    )
    per: Per = Field(
        default="interval",
        description="met in every interval, every day, or over each week of the horizon (the whole horizon "
        "when it is shorter)",
    )
    confidence: Confidence | None = Field(default=None, description="default: the file's confidence")


class SlaGoal(Spec):
    """SLA attainment of one priority: the share of its tickets that meet one SLA clock."""

    priority: Name = Field(description="a scenario priority")
    clock: Literal["first_response", "resolution"] = Field(default="resolution", description="the SLA clock")
    goal: float = Field(gt=0, lt=1, description="share of the priority's tickets that meet that clock")
    confidence: Confidence | None = Field(default=None, description="default: the file's confidence")


class AbandonmentGoal(Spec):
    """A maximum abandonment rate, of one live channel or of all of them together."""

    channel: Name | None = Field(
        default=None, description="a scenario channel with a patience; none: all live channels together"
    )
    max: float = Field(ge=0, lt=1, description="largest share of contacts that may abandon")
    confidence: Confidence | None = Field(default=None, description="default: the file's confidence")


class Goals(Spec):
    """The goals file: the planning interval and horizon, the goals to meet and each pool's constraints."""

    interval: PlanningInterval = Field(
        default=30.0, description="planning interval, 15m, 30m or 60m: requirements, goals per interval and shifts"
    )
    horizon: Duration = Field(
        default=MINUTES_PER_WEEK,
        gt=0,
        description="the period planned and simulated after the scenario's warm-up; at least 1d, whole days",
    )
    confidence: Confidence = Field(
        default="mean",
        description="mean: a goal is met when the mean over replications meets it; interval95: when its whole "
        "95 % confidence interval does",
    )
    replications: int = Field(default=10, ge=2, description="replications per simulated evaluation during the search")
    verify_replications: int = Field(default=30, ge=2, description="replications of the final check")
    max_rounds: int = Field(default=5, ge=1, description="verification rounds that may add agents")
    service_level: list[ServiceLevelGoal] | None = Field(
        default=None,
        description="service-level goals; default: one per scenario channel with a service_level, per interval; "
        "[]: none",
    )
    sla: list[SlaGoal] = Field(default=[], description="SLA attainment goals per priority")
    abandonment: list[AbandonmentGoal] = Field(default=[], description="maximum abandonment rates")
    teams: dict[Name, PoolGoals] = Field(
        default={}, description="constraints per pool (a scenario team or agent group); pools left out: defaults"
    )

    def pool(self, name: str) -> PoolGoals:
        """The constraints of pool ``name``; a pool not listed gets the defaults (with the default templates)."""
        found = self.teams.get(name)
        return found if found is not None else PoolGoals(templates=default_templates())


# --- loading ---------------------------------------------------------------------------------


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
    loc = tuple(p for i, p in enumerate(loc) if not (p in _STARTS_TAGS and i and loc[i - 1] == "starts"))
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


def _duration_text(minutes: float) -> str:
    """Minutes as a planner writes them: ``30s``, ``30m``, ``8.5h``, ``7d``."""
    if minutes >= MINUTES_PER_DAY and minutes % MINUTES_PER_DAY == 0:
        return f"{minutes / MINUTES_PER_DAY:g}d"
    if minutes >= MINUTES_PER_HOUR:
        return f"{minutes / MINUTES_PER_HOUR:g}h"
    if minutes >= 1:
        return f"{minutes:g}m"
    return f"{round(minutes * 60, 6):g}s"


def _horizon_problems(goals: Goals) -> Iterable[tuple[FieldPath, str]]:
    if goals.horizon < MINUTES_PER_DAY or goals.horizon % MINUTES_PER_DAY:
        yield (
            ("horizon",),
            (
                f"the horizon is planned in whole days: give 1d or more, in whole days, e.g. 7d "
                f"(got {_duration_text(goals.horizon)})"
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
                    f"{_duration_text(goals.horizon)}; change horizon: or use per: day",
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
            problems.extend(_duplicate_templates(path, update["templates"]))
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
    found = [p for i, t in enumerate(templates) for p in _template_problems((*path, "templates", i), t, interval)]
    yield from found
    if entry.min_agents > 0 and templates and not found:  # coverage is only worth checking on sound templates
        yield from _coverage_problems(path, entry.min_agents, templates, interval)


def _duplicate_templates(path: FieldPath, templates: list[TemplateSpec]) -> Iterable[tuple[FieldPath, str]]:
    seen: dict[str | None, int] = {}
    for i, template in enumerate(templates):
        if template.name in seen:
            yield (
                (*path, "templates", i, "name"),
                (
                    f"duplicate template name {template.name!r} (also template {seen[template.name] + 1}; an unnamed "
                    "template is called template-N by its position); give each template its own name"
                ),
            )
        seen.setdefault(template.name, i)


def _on_interval(minutes: float, interval: float) -> bool:
    return abs(minutes / interval - round(minutes / interval)) < 1e-9


def _nearest(minutes: float, interval: float, text: Any = _duration_text) -> str:
    below = math.floor(minutes / interval) * interval
    choices = [m for m in (below, below + interval) if m > 0] or [interval]
    return " or ".join(text(m) for m in choices)


def _template_problems(path: FieldPath, template: TemplateSpec, interval: float) -> Iterable[tuple[FieldPath, str]]:
    """A template's own problems: empty lists, repeated days, and times off the planning interval."""
    step = _duration_text(interval)
    if not template.days:
        yield (*path, "days"), "give at least one weekday (mon, tue, wed, thu, fri, sat, sun)"
    for day in {d for d in template.days if template.days.count(d) > 1}:
        yield (*path, "days"), f"{day} is listed twice; list each weekday once"
    yield from _start_problems((*path, "starts"), template, interval)
    if not template.lengths:
        yield (*path, "lengths"), "give at least one shift length, e.g. [8h]"
    for j, length in enumerate(template.lengths):
        where: FieldPath = (*path, "lengths", j)
        if length <= 0 or length > MAX_SHIFT:
            yield where, f"a shift lasts more than 0 and at most 24h (got {_duration_text(length)})"
        elif not _on_interval(length, interval):
            yield (
                where,
                (
                    f"{_duration_text(length)} is not a whole number of {step} planning intervals; "
                    f"use {_nearest(length, interval)} (or change interval:)"
                ),
            )
    pause = template.break_
    if pause is None:
        return
    for field, value in (("after", pause.after), ("length", pause.length)):
        if not _on_interval(value, interval):
            yield (
                (*path, "break", field),
                (
                    f"{_duration_text(value)} is not a whole number of {step} planning intervals; "
                    f"use {_nearest(value, interval)} (or change interval:)"
                ),
            )
    for length in template.lengths:
        if length > 0 and pause.after + pause.length >= length:
            yield (
                (*path, "break"),
                (
                    f"the break ({_duration_text(pause.length)} after {_duration_text(pause.after)}) does not end "
                    f"before the {_duration_text(length)} shift does; a break lies inside the shift"
                ),
            )
            break


def _start_problems(path: FieldPath, template: TemplateSpec, interval: float) -> Iterable[tuple[FieldPath, str]]:
    step = _duration_text(interval)
    starts = template.starts
    midnight = "24:00 is not a start; a shift starting at midnight starts at 00:00"
    if isinstance(starts, StartRange):
        for field, value in (("from", starts.start), ("to", starts.stop)):
            if value >= MINUTES_PER_DAY:
                yield (*path, field), midnight
        if starts.stop < starts.start:
            yield (
                path,
                (
                    f"'to' ({clock_text(starts.stop)}) is before 'from' ({clock_text(starts.start)}); a range of "
                    "starts lies within one day: list the starts, or give two ranges in two templates"
                ),
            )
        if not _on_interval(starts.start, interval):
            yield (
                (*path, "from"),
                (
                    f"{clock_text(starts.start)} is not on the {step} planning interval; "
                    f"use {_nearest(starts.start, interval, clock_text)} (or change interval:)"
                ),
            )
        if not _on_interval(starts.every, interval):
            yield (
                (*path, "every"),
                (
                    f"{_duration_text(starts.every)} is not a whole number of {step} planning intervals; "
                    f"use {_nearest(starts.every, interval)} (or change interval:)"
                ),
            )
        return
    if not starts:
        yield path, 'give at least one start time, e.g. ["08:00"]'
    for j, start in enumerate(starts):
        if start >= MINUTES_PER_DAY:
            yield (*path, j), midnight
        elif not _on_interval(start, interval):
            yield (
                (*path, j),
                (
                    f"{clock_text(start)} is not on the {step} planning interval; "
                    f"use {_nearest(start, interval, clock_text)} (or change interval:)"
                ),
            )


def _coverage_problems(
    path: FieldPath, min_agents: int, templates: list[TemplateSpec], interval: float
) -> Iterable[tuple[FieldPath, str]]:
    """``min_agents`` needs someone on duty in every interval of the week: the intervals no template covers."""
    slots = round(MINUTES_PER_WEEK / interval)
    spans = {  # on-duty spans in slots of the week; each distinct span once, however many templates repeat it
        (round((WEEKDAYS.index(day) * MINUTES_PER_DAY + begin) / interval), round((end - begin) / interval))
        for template in templates
        for day in set(template.days)
        for start in template.start_minutes()
        for length in set(template.lengths)
        for begin, end in template.on_duty(start, length)
    }
    change = [0] * (slots + 1)  # +1 where spans begin, -1 where they end (a span past sunday wraps to monday)
    for first, size in spans:
        begin = first % slots
        end = begin + min(size, slots)
        pieces = [(begin, end)] if end <= slots else [(begin, slots), (0, end - slots)]
        for low, high in pieces:
            change[low] += 1
            change[high] -= 1
    running, covered = 0, []
    for slot in range(slots):
        running += change[slot]
        covered.append(running > 0)
    gaps = _gaps(covered, interval)
    if gaps:
        shown = ", ".join(gaps[:3]) + (f" and {len(gaps) - 3} more" if len(gaps) > 3 else "")
        yield (
            (*path, "min_agents"),
            (
                f"min_agents {min_agents} needs agents on duty in every interval, but no template covers {shown}; "
                "add a template for those hours, or set min_agents: 0"
            ),
        )


def _gaps(covered: list[bool], interval: float) -> list[str]:
    """The uncovered stretches of the week as ``sat 00:00-08:00`` (one weekday each)."""
    per_day = round(MINUTES_PER_DAY / interval)
    gaps = []
    for day, name in enumerate(WEEKDAYS):
        slot = 0
        while slot < per_day:
            if covered[day * per_day + slot]:
                slot += 1
                continue
            first = slot
            while slot < per_day and not covered[day * per_day + slot]:
                slot += 1
            gaps.append(f"{name} {clock_text(first * interval)}-{clock_text(slot * interval)}")
    return gaps


def resolved_document(goals: Goals) -> dict[str, Any]:
    """The goals with every default filled, as YAML-ready values (durations in minutes, clock times as HH:MM)."""
    return goals.model_dump(mode="json", by_alias=True)
