"""The what-if app's knobs, read off a scenario: every control is one ``--set`` path of that scenario.

A knob knows the field it changes (``teams.tier1.shifts[0].agents``), the value the scenario has,
and how to write a new value as an override, so the app's variant is exactly what
``run_sim.py compare BASE --variant 'variant:PATH=VALUE,…'`` would run. Nothing here is written
per scenario file: the knobs follow the teams, shifts, authority limits, channels, surges and SLA
policies the scenario declares.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, parse_duration
from sim.scenario.escalation import EscalationSpec
from sim.scenario.spec import Scenario, ShiftSpec, TeamSpec
from sim.scenario.triggers import TRIGGERS

Kind = Literal["count", "number", "share", "percent", "choice", "switch", "duration", "triggers", "surge"]
NO_SURGE = -1
"""An extra-surge knob's day when no surge is added."""

TRIGGER_TEXT = {
    "regulatory": "regulated categories go straight to compliance",
    "customer_value": "customer-value rules (VIP routing, priority boosts)",
    "skill": "a team without the category's skill passes it on",
    "authority": "amounts above a team's authority go to its supervisor",
    "complexity": "a failed attempt escalates along the category's path",
    "time": "SLA milestones and long queue waits escalate automatically",
    "dissatisfaction": "a frustrated customer gets a manager",
}
"""What each trigger does, in the words a trainer would use."""
SWARM_WAIT = "2m"
"""Swarming on a desk whose file has no ``swarm`` section: how long a consult waits (the schema's default)."""


@dataclass(frozen=True)
class Knob:
    """One control: the field it sets, its label and group, the scenario's value, and its range.

    ``value`` is in the knob's display unit: agents, dollars, a share in [0, 1], a percentage of
    the scenario's rate, minutes or hours (``unit``). ``options`` lists a choice's values, or the
    triggers a ``triggers`` knob can switch.
    """

    path: str
    label: str
    group: str
    kind: Kind
    value: float | str | bool | tuple[str, ...] | tuple[float, float]
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    unit: str = ""
    options: tuple[str, ...] = ()
    base: float = 0.0
    """What 100 % is, for a ``percent`` knob (the channel's rate per hour)."""
    help: str = ""
    needs: tuple[tuple[str, str], ...] = ()
    """(value, override) pairs: what else a value needs (swarming needs a ``swarm`` section)."""
    existing: str = ""
    """An extra-surge knob's channel surges as the scenario has them (JSON), kept ahead of the new one."""

    def overrides(self, value: object) -> list[str]:
        """The ``path=value`` that sets ``value`` and what that value needs; none for the scenario's own value."""
        if _same(self, value):
            return []
        return [f"{self.path}={self.text(value)}", *(change for wanted, change in self.needs if wanted == value)]

    def read(self, value: object) -> object:
        """A field's YAML value (``warm``, ``1000``, ``30m``) as this knob shows it (a demo presets knobs so)."""
        if self.kind in ("choice", "switch"):
            return value
        if self.kind == "triggers":
            return _names(value)
        if self.kind == "surge":
            raise ValueError("an extra surge is set on the page, not read from a file")
        if self.kind == "duration":
            minutes = parse_duration(value)
            return minutes / MINUTES_PER_HOUR if self.unit == "h" else minutes
        if self.kind == "percent":
            return 100 * _number(value) / self.base
        return _number(value)

    def text(self, value: object) -> str:
        """``value`` as the YAML an override carries (``8h``, ``warm``, ``[authority, time]``)."""
        if self.kind == "triggers":
            return "[" + ", ".join(name for name in self.options if name in _names(value)) + "]"
        if self.kind == "switch":
            return "true" if value else "false"
        if self.kind == "surge":
            day, multiplier = _pair(value)
            added = {"start": f"{day:g}d", "duration": "1d", "multiplier": multiplier}
            return json.dumps([*json.loads(self.existing or "[]"), added])
        if self.kind == "choice":
            return str(value)
        if self.kind == "count":
            return str(round(float(_number(value))))
        if self.kind == "percent":
            return _plain(self.base * float(_number(value)) / 100)
        if self.kind == "duration":
            return _plain(float(_number(value))) + ("h" if self.unit == "h" else "m")
        return _plain(float(_number(value)))


def knobs_for(scenario: Scenario) -> list[Knob]:
    """Every knob the scenario offers, in the order the page shows them (groups keep their order)."""
    return [
        *staffing_knobs(scenario),
        *authority_knobs(scenario.teams),
        *escalation_knobs(scenario),
        *volume_knobs(scenario),
        *sla_knobs(scenario),
    ]


def variant_overrides(knobs: Iterable[Knob], values: Mapping[str, object]) -> list[str]:
    """The overrides that turn the scenario into the variant: one per knob moved off its value."""
    return [change for knob in knobs if knob.path in values for change in knob.overrides(values[knob.path])]


def staffing_knobs(scenario: Scenario) -> Iterator[Knob]:
    """Agents per team, or per shift where the team works shifts; the same for shared agent groups."""
    pools = [(f"teams.{team.name}", team.name, team.agents, team.shifts) for team in scenario.teams]
    pools += [(f"agent_groups.{g.name}", g.name, g.agents, g.shifts) for g in scenario.agent_groups]
    for path, name, agents, shifts in pools:
        if shifts is None:
            yield _agents_knob(f"{path}.agents", f"{name} agents (around the clock)", agents or 1)
            continue
        for index, shift in enumerate(shifts):
            label = f"{name} agents, {shift_text(shift)}" if len(shifts) > 1 else f"{name} agents"
            yield _agents_knob(f"{path}.shifts[{index}].agents", label, shift.agents, shift_text(shift))


def _agents_knob(path: str, label: str, agents: int, help: str = "") -> Knob:
    return Knob(path, label, "Staffing", "count", agents, 1, max(2 * agents, agents + 10), 1, "agents", help=help)


def shift_text(shift: ShiftSpec) -> str:
    """``08:00–16:00 mon–fri``: when a shift works, as the knob's label says it."""
    days = shift.days
    week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    indices = [week.index(day) for day in days]
    if len(days) > 2 and indices == list(range(indices[0], indices[0] + len(days))):
        when = f"{days[0]}–{days[-1]}"
    else:
        when = ",".join(days)
    return f"{_clock(shift.start)}–{_clock(shift.end)} {when}"


def _clock(minutes: float) -> str:
    hours, rest = divmod(round(minutes), 60)
    return f"{hours % 24:02d}:{rest:02d}"


def authority_knobs(teams: Iterable[TeamSpec]) -> Iterator[Knob]:
    """Each team's authority: a limit in dollars (0 to four times today's), or a permission on or off."""
    for team in teams:
        for key, limit in team.authority.items():
            path = f"teams.{team.name}.authority.{key}"
            label = f"{team.name}: {key.replace('_', ' ')}"
            if isinstance(limit, bool):
                yield Knob(path, label, "Authority", "switch", limit, help="permission granted")
            else:
                high = max(4 * limit, 100.0)
                yield Knob(path, label, "Authority", "number", float(limit), 0, high, _nice_step(high), "$")


def escalation_knobs(scenario: Scenario) -> Iterator[Knob]:
    """Escalation mode, handoff mode and context, and the triggers that can act on this desk."""
    escalation = scenario.escalation
    handoff = escalation.handoff
    group = "Escalation"
    needs = () if escalation.swarm is not None else (("swarm", f"escalation.swarm={{max_wait: {SWARM_WAIT}}}"),)
    yield Knob(
        "escalation.mode",
        "escalation mode",
        group,
        "choice",
        escalation.mode,
        options=("tiered", "swarm"),
        needs=needs,
        help=f"swarm here: a consult waits up to {SWARM_WAIT} for a free expert, then transfers" if needs else "",
    )
    yield Knob("escalation.handoff.mode", "handoff", group, "choice", handoff.mode, options=("cold", "warm"))
    yield Knob(
        "escalation.handoff.context_complete",
        "context travels complete",
        group,
        "share",
        handoff.context_complete,
        0,
        1,
        0.05,
        help="" if handoff.rework_time else "below 100 % needs a rework_time in the scenario",
    )
    relevant = relevant_triggers(scenario)
    if relevant:
        on = tuple(name for name in escalation.triggers if name in relevant)
        yield Knob("escalation.triggers", "triggers", group, "triggers", on, options=relevant)


def relevant_triggers(scenario: Scenario) -> tuple[str, ...]:
    """The triggers that can act on some ticket of this desk, in the registry's order."""
    escalation: EscalationSpec = scenario.escalation
    return tuple(
        name
        for name, trigger in TRIGGERS.items()
        if any(trigger.acts_on(c, t, escalation) for c in scenario.categories for t in scenario.teams)
    )


def volume_knobs(scenario: Scenario) -> Iterator[Knob]:
    """Each channel's volume as a percentage of its rate, an extra one-day surge, and each surge's multiplier.

    The extra surge rewrites the channel's surge list (today's surges, then the new one), so it
    comes before the knobs of today's surges, whose overrides then still find them by index.
    """
    days = day_names(scenario)
    for channel in scenario.channels:
        if channel.rate_per_hour is not None and channel.rate_per_hour > 0:
            yield Knob(
                f"channels.{channel.name}.rate_per_hour",
                f"{channel.name} volume",
                "Volume",
                "percent",
                100.0,
                25,
                300,
                5,
                "%",
                base=channel.rate_per_hour,
                help=f"100 % = {_plain(channel.rate_per_hour)} tickets an hour before profiles",
            )
        if channel.rate_per_hour is not None:
            yield Knob(
                f"channels.{channel.name}.surges",
                f"{channel.name}: extra surge for a day",
                "Volume",
                "surge",
                (NO_SURGE, 2.0),
                0.1,
                10,
                0.1,
                "×",
                options=tuple(days.values()),
                existing=json.dumps([s.model_dump(mode="json", exclude_none=True) for s in channel.surges]),
                help="e.g. twice the volume on Monday, midnight to midnight",
            )
        for index, surge in enumerate(channel.surges):
            start = surge.start / MINUTES_PER_DAY
            yield Knob(
                f"channels.{channel.name}.surges[{index}].multiplier",
                f"{channel.name} surge from day {start:g}",
                "Volume",
                "number",
                surge.multiplier,
                0.1,
                max(5.0, 2 * surge.multiplier),
                0.1,
                "×",
                help="rate multiplier while the surge lasts",
            )


def sla_knobs(scenario: Scenario) -> Iterator[Knob]:
    """Speed-of-answer targets per channel, and the first-response and resolution targets per SLA policy."""
    for channel in scenario.channels:
        if channel.service_level is not None:
            yield _duration_knob(
                f"channels.{channel.name}.service_level.target",
                f"{channel.name} answer within",
                channel.service_level.target,
            )
    for policy in scenario.sla_policies:
        for clock in ("first_response", "resolution"):
            spec = getattr(policy, clock)
            if spec is not None:
                label = f"{policy.name}: {clock.replace('_', ' ')}"
                yield _duration_knob(f"sla_policies.{policy.name}.{clock}.target", label, spec.target)


def _duration_knob(path: str, label: str, minutes: float) -> Knob:
    """Minutes up to two hours, hours above: the unit a target is spoken in, in steps fine enough for it."""
    if minutes < 2 * MINUTES_PER_HOUR:
        step = 0.25 if minutes <= 2 else 1.0 if minutes <= 30 else 5.0
        return Knob(path, label, "SLA targets", "duration", minutes, step, max(4 * minutes, 10), step, "min")
    hours = minutes / MINUTES_PER_HOUR
    return Knob(path, label, "SLA targets", "duration", hours, 0.5, max(4 * hours, 8), 0.5, "h")


def day_names(scenario: Scenario, days: int | None = None) -> dict[int, str]:
    """The first ``days`` simulated days (default: every whole one) by index, named ``day 2: Tue 6 Jan``."""
    start = dt.datetime.combine(scenario.start_date, dt.time())
    days = max(int(scenario.horizon // MINUTES_PER_DAY), 1) if days is None else days
    return {day: f"day {day + 1}: {start + dt.timedelta(days=day):%a %-d %b}" for day in range(days)}


def _same(knob: Knob, value: object) -> bool:
    if knob.kind == "surge":
        return _pair(value)[0] == NO_SURGE
    if knob.kind == "triggers":
        return set(_names(value)) == set(_names(knob.value))
    if knob.kind in ("choice", "switch"):
        return value == knob.value
    return abs(float(_number(value)) - float(_number(knob.value))) < 1e-9


def _names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(item) for item in value)
    raise TypeError(f"expected trigger names, got {value!r}")


def _pair(value: object) -> tuple[float, float]:
    """An extra surge's (day, multiplier)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"expected (day, multiplier), got {value!r}")
    return _number(value[0]), _number(value[1])


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(f"expected a number, got {value!r}")
    return float(value)


def _plain(value: float) -> str:
    """A number as short as it reads exactly (``12``, ``0.35``, ``1000``)."""
    return f"{value:.10g}"


def _nice_step(high: float) -> float:
    """A round step that gives a slider about a hundred stops."""
    for step in (1, 5, 10, 25, 50, 100, 250, 500, 1000):
        if high / step <= 200:
            return float(step)
    return 1000.0
