"""The scenario reference, generated from the schema so that the documentation can never drift from it.

Every record of the schema becomes a table: field, type (with units), default and meaning. The
docs site generates its scenario page from it at every build (``sim.reference_pages``), and
``run_sim.py schema --markdown`` prints it.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from sim.core import distributions
from sim.core.units import MINUTES_PER_HOUR
from sim.scenario import demand_extras, escalation, journeys, shrinkage, sla_spec
from sim.scenario import spec as scenario

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Scenario (top level)", scenario.Scenario),
    ("calendars[]", scenario.CalendarSpec),
    ("channels[]", scenario.ChannelSpec),
    ("channels[].surges[]", scenario.Surge),
    ("channels[].service_level", scenario.ServiceLevelTarget),
    ("channels[].volume_uncertainty", demand_extras.VolumeUncertainty),
    ("channels[].callback", journeys.CallbackSpec),
    ("channels[].retrial", journeys.RetrialSpec),
    ("categories[]", scenario.CategorySpec),
    ("categories[].customer_reply", scenario.CustomerReply),
    ("categories[].reopen", scenario.Reopen),
    ("categories[].self_service", demand_extras.SelfService),
    ("teams[]", scenario.TeamSpec),
    ("teams[].shifts[]", scenario.ShiftSpec),
    ("agent_groups[]", scenario.AgentGroupSpec),
    ("agent_groups[].serves[]", scenario.ServedQueue),
    ("teams[].shrinkage", shrinkage.ShrinkageSpec),
    ("teams[].shrinkage.breaks", shrinkage.BreakRule),
    ("teams[].shrinkage.lunch", shrinkage.LunchRule),
    ("teams[].shrinkage.meetings[]", shrinkage.MeetingSpec),
    ("routing[]", scenario.RoutingRule),
    ("sla_policies[]", sla_spec.SlaPolicy),
    ("sla_policies[].match", sla_spec.SlaMatch),
    ("sla_policies[].first_response / .resolution", sla_spec.SlaClockSpec),
    ("initial_backlog[]", demand_extras.BacklogEntry),
    ("escalation", escalation.EscalationSpec),
    ("escalation.handoff", escalation.HandoffSpec),
    ("escalation.swarm", escalation.SwarmSpec),
    ("escalation.segment_rules[]", escalation.SegmentRule),
    ("escalation.time_rules[]", escalation.TimeRule),
    ("escalation.dissatisfaction", escalation.DissatisfactionSpec),
    ("escalation.ownership", escalation.OwnershipSpec),
    ("escalation.learning", escalation.LearningSpec),
    ("reporting", scenario.ReportingSpec),
]

DISTRIBUTIONS: list[type[BaseModel]] = [
    distributions.Exponential,
    distributions.Lognormal,
    distributions.Gamma,
    distributions.Uniform,
    distributions.Triangular,
    distributions.Fixed,
    distributions.Empirical,
]


def markdown(level: int = 4) -> str:
    """The whole scenario reference as Markdown tables, one heading of ``level`` (4: ``####``) per record."""
    hashes = "#" * level
    parts = [
        "Times are minutes; every duration also accepts a unit: `45s`, `5m`, `4h`, `2d`, `1w`. "
        "Rates are per hour. Unknown fields are errors. Lists of named items (`teams`, `channels`, "
        "`categories`…) can be addressed by name in `--set`, e.g. `--set teams.tier1.shifts[0].agents=11`; "
        "items without names (`shifts`) by index."
    ]
    for title, model in SECTIONS:
        parts.append(f"{hashes} `{title}`\n\n{_doc(model)}\n\n| field | type | default | meaning |\n|---|---|---|---|")
        for name, field in model.model_fields.items():
            default = "required" if field.is_required() else _show(field.get_default(call_default_factory=True))
            parts[-1] += (
                f"\n| `{field.alias or name}` | {_type(field.annotation, field.metadata)} | {default} | "
                f"{(field.description or '').replace('|', '/')} |"
            )
    parts.append(f"{hashes} Distributions (`dist:`)\n\n| dist | parameters | meaning |\n|---|---|---|")
    for model in DISTRIBUTIONS:
        params = ", ".join(f"`{f.alias or n}`" for n, f in model.model_fields.items() if n != "dist")
        (tag,) = typing.get_args(model.model_fields["dist"].annotation)  # Literal["exponential"] -> "exponential"
        parts[-1] += f"\n| `{tag}` | {params} | {_doc(model)} |"
    return "\n\n".join(parts) + "\n"


def _doc(model: type) -> str:
    return (model.__doc__ or "").strip().splitlines()[0].replace("``", "`")


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "see below" if value.model_dump(exclude_defaults=True) == {} else f"`{value.model_dump()}`"
    if isinstance(value, (list, dict)) and not value:
        return "empty"
    if isinstance(value, list) and all(isinstance(v, tuple) for v in value):
        return ", ".join(f"`{_clock(a)}-{_clock(b)}`" for a, b in value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`".replace("|", "/")


def _clock(minutes: float) -> str:
    return f"{int(minutes // MINUTES_PER_HOUR):02d}:{int(minutes % MINUTES_PER_HOUR):02d}"


def _type(annotation: Any, metadata: list) -> str:
    """A short readable type: ``duration``, ``number``, ``list of …``, ``one of …``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type(args[0], list(args[1:]))
    if any(
        getattr(m, "func", None) is not None and getattr(m.func, "__name__", "") == "parse_duration" for m in metadata
    ):
        return "duration"
    if any(getattr(getattr(m, "func", None), "__name__", "") == "parse_clock" for m in metadata):
        return "clock time `HH:MM`"
    if isinstance(annotation, type) and issubclass(annotation, distributions._Dist):
        return "distribution"
    if origin in (typing.Union, types.UnionType):
        parts = [_type(a, []) for a in args if a is not type(None)]
        return " or ".join(dict.fromkeys(parts))
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0], [])}"
    if origin is tuple:
        return "time window `HH:MM-HH:MM`"
    if origin is dict:
        return f"map name → {_type(args[1], [])}"
    if annotation is float:
        return "duration" if any("Duration" in str(m) for m in metadata) else "number"
    if annotation is int:
        return "integer"
    if annotation is bool:
        return "true/false"
    if annotation is str:
        return "text"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    name = getattr(annotation, "__name__", str(annotation))
    return {"date": "date `YYYY-MM-DD`"}.get(name, "distribution" if "Exponential" in str(annotation) else name)
