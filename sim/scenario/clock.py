"""Clock times, daily windows and weekdays as the scenario writes them (``"08:30"``, ``"09:00-17:00"``, ``mon``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from sim.core.calendar import parse_clock
from sim.core.units import MINUTES_PER_HOUR

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_CLOCK_PATTERN = r"([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00"


def clock_text(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM`` (how clock times are written back to YAML)."""
    hours, rest = divmod(round(minutes), int(MINUTES_PER_HOUR))
    return f"{hours:02d}:{rest:02d}"


Clock = Annotated[
    float,
    BeforeValidator(parse_clock),
    PlainSerializer(clock_text, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": f"^({_CLOCK_PATTERN})$", "description": "HH:MM"}),
]


def _parse_window(text: object) -> tuple[float, float]:
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f'{text!r} is not a time window; write it as "HH:MM-HH:MM", e.g. "09:00-17:00"')
    start, end = (parse_clock(part.strip()) for part in text.split("-"))
    if not start < end:
        raise ValueError(f"{text!r} ends before it starts; split a window over midnight in two")
    return start, end


TimeWindow = Annotated[
    tuple[float, float],
    BeforeValidator(_parse_window),
    PlainSerializer(lambda w: f"{clock_text(w[0])}-{clock_text(w[1])}", when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": f"^({_CLOCK_PATTERN})-({_CLOCK_PATTERN})$", "description": "HH:MM-HH:MM"}
    ),
]
