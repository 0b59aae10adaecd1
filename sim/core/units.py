"""Durations as people write them: ``"45s"``, ``"5m"``, ``"4h"``, ``"2d"`` or plain minutes.

The simulator keeps time in minutes. Scenario files may give any duration with a unit suffix, so
that a planner writes ``target: 8h`` instead of ``480``; a bare number is read as minutes.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

SECONDS_PER_MINUTE = 60.0
MINUTES_PER_HOUR = 60.0
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
HOURS_PER_WEEK = HOURS_PER_DAY * DAYS_PER_WEEK
MINUTES_PER_DAY = MINUTES_PER_HOUR * HOURS_PER_DAY
MINUTES_PER_WEEK = MINUTES_PER_DAY * DAYS_PER_WEEK
"""The simulator's clock runs in minutes; these are the only definitions of the conversions."""

_UNIT_MINUTES = {
    "s": 1 / SECONDS_PER_MINUTE,
    "m": 1.0,
    "min": 1.0,
    "h": MINUTES_PER_HOUR,
    "d": MINUTES_PER_DAY,
    "w": MINUTES_PER_WEEK,
}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]+)?\s*$")
DURATION_HELP = 'a number of minutes or a number with a unit: s, m, h, d, w (e.g. "45s", "5m", "4h", "2d")'


def parse_duration(value: object) -> float:
    """Return ``value`` in minutes, accepting numbers (minutes) and strings with a unit."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}; use {DURATION_HELP}")
    if isinstance(value, (int, float)):
        try:
            minutes = float(value)
        except OverflowError:  # an integer beyond every float: as out of range as infinity
            minutes = math.inf
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match or (match.group(2) or "m") not in _UNIT_MINUTES:
            raise ValueError(f"{value!r} is not a duration; use {DURATION_HELP}")
        minutes = float(match.group(1)) * _UNIT_MINUTES[match.group(2) or "m"]
    else:
        raise ValueError(f"expected a duration, got {value!r}; use {DURATION_HELP}")
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"{shown(value)} is not a duration: it must be finite and not negative")
    return minutes


def shown(value: object, width: int = 30) -> str:
    """``repr(value)`` for a message, ``shortened`` to ``width`` (a number of 400 digits, a name of 4 MB)."""
    return shortened(repr(value), width)


def shortened(text: str, width: int = 30) -> str:
    """``text``, its middle cut out when it is longer than ``width``, so that a message stays one readable line."""
    return text if len(text) <= width else f"{text[: width // 2]}…{text[-8:]} ({len(text):,} characters)"


def duration_unit(minutes: float) -> str:
    """The unit a person would read ``minutes`` in: s, m, h or d."""
    size = abs(minutes)
    return "s" if size < 1 else "m" if size < 2 * MINUTES_PER_HOUR else "h" if size < 2 * MINUTES_PER_DAY else "d"


def minutes_in(unit: str) -> float:
    """How many minutes one ``unit`` (s, m, h, d, w) is."""
    return _UNIT_MINUTES[unit]


def format_duration(minutes: float, unit: str | None = None, decimals: int = 1) -> str:
    """Render minutes the way a person reads them (``"7.8s"``, ``"12.5m"``, ``"3.2h"``), or in ``unit``.

    To keep one unit for several values (an estimate and its interval, an axis), pick it once with
    ``duration_unit`` of the largest and pass it to each.
    """
    if minutes != minutes:  # NaN
        return "n/a"
    unit = unit or duration_unit(minutes)
    return f"{minutes / _UNIT_MINUTES[unit]:.{decimals}f}{unit}"


DURATION_JSON_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*(s|m|min|h|d|w)?\s*$"},
    ],
    "description": "minutes, or a number with a unit: s, m, h, d, w",
}

Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(DURATION_JSON_SCHEMA)]
"""A non-negative duration in minutes; accepts unit suffixes in YAML."""
