"""Shift templates of the optimiser's goals file: the shifts a pool may be rostered on, and their checks.

A template names the weekdays worked, the allowed starts (a list, or a range every so often), the
shift lengths and an unpaid break inside the shift. The optimiser picks how many agents work each
(start, length) of each template. The checks here find what is wrong with a template on the
planning interval (times off it, a break that does not fit, repeated days or names) and the hours
of the week that a pool's templates leave uncovered; ``goal_checks`` reports them with the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from sim.core.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK, Duration
from sim.scenario.clock import WEEKDAYS, Clock, Weekday, clock_text
from sim.scenario.fields import Name, Spec
from sim.scenario.fields import Path as FieldPath

MAX_SHIFT = MINUTES_PER_DAY
"""A template's shift is at most 24 hours long."""


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
STARTS_TAGS = ("list", "range")
"""The tags of the two forms of ``starts`` (pydantic puts them in an error's location)."""


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


def duration_text(minutes: float) -> str:
    """Minutes as a planner writes them: ``30s``, ``30m``, ``8.5h``, ``7d``."""
    if minutes >= MINUTES_PER_DAY and minutes % MINUTES_PER_DAY == 0:
        return f"{minutes / MINUTES_PER_DAY:g}d"
    if minutes >= MINUTES_PER_HOUR:
        return f"{minutes / MINUTES_PER_HOUR:g}h"
    if minutes >= 1:
        return f"{minutes:g}m"
    return f"{round(minutes * 60, 6):g}s"


def duplicate_templates(path: FieldPath, templates: list[TemplateSpec]) -> Iterable[tuple[FieldPath, str]]:
    """Templates of one pool that share a name (an unnamed one is named by its position)."""
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


def _nearest(minutes: float, interval: float, text: Any = duration_text) -> str:
    below = math.floor(minutes / interval) * interval
    choices = [m for m in (below, below + interval) if m > 0] or [interval]
    return " or ".join(text(m) for m in choices)


def template_problems(path: FieldPath, template: TemplateSpec, interval: float) -> Iterable[tuple[FieldPath, str]]:
    """A template's own problems: empty lists, repeated days, and times off the planning interval."""
    step = duration_text(interval)
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
            yield where, f"a shift lasts more than 0 and at most 24h (got {duration_text(length)})"
        elif not _on_interval(length, interval):
            yield (
                where,
                (
                    f"{duration_text(length)} is not a whole number of {step} planning intervals; "
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
                    f"{duration_text(value)} is not a whole number of {step} planning intervals; "
                    f"use {_nearest(value, interval)} (or change interval:)"
                ),
            )
    for length in template.lengths:
        if length > 0 and pause.after + pause.length >= length:
            yield (
                (*path, "break"),
                (
                    f"the break ({duration_text(pause.length)} after {duration_text(pause.after)}) does not end "
                    f"before the {duration_text(length)} shift does; a break lies inside the shift"
                ),
            )
            break


def _start_problems(path: FieldPath, template: TemplateSpec, interval: float) -> Iterable[tuple[FieldPath, str]]:
    step = duration_text(interval)
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
                    f"{duration_text(starts.every)} is not a whole number of {step} planning intervals; "
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


def coverage_problems(
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
