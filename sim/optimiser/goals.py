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

The models below are the file's schema: each field, what it allows and its default. A default
that depends on the scenario (a service-level goal's target and goal, a goal's ``confidence``, a
pool's ``cost_per_hour`` and ``templates``) is ``None`` here; ``goal_checks`` fills it when it
loads the file against a scenario. Times are minutes (floats) throughout. The templates and their
checks live in ``shift_templates``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from sim.core.units import MINUTES_PER_WEEK, Duration, parse_duration
from sim.optimiser.shift_templates import TemplateSpec, default_templates
from sim.scenario.fields import Name, Spec
from sim.scenario.spec import REPORTING_INTERVALS, ServiceLevelTarget

Confidence = Literal["mean", "interval95"]
"""How a goal counts as met over replications: by the mean, or by its whole 95 % confidence interval."""
Per = Literal["interval", "day", "week"]

DEFAULT_SERVICE_LEVEL_GOAL: float = ServiceLevelTarget.model_fields["goal"].default
"""The share answered within the target when neither the goals file nor the channel gives one (the scenario's)."""


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
