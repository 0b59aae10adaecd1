"""Where each canonical column is in an export: the built-in layouts and column maps read from YAML.

A column map names, for each canonical column, the export's column that holds it, and how to read it:
the timestamp format and time zone, the unit of durations, and renames of values (a helpdesk's
``Phone`` is the scenario's ``phone``). The Zendesk-like layout is such a map, built in; other
helpdesks (ServiceNow, Freshdesk: see ``data/maps/``) are served by a YAML file of the same shape.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.export_schema import ATTR_PREFIX, EVENT_COLUMNS, TICKET_COLUMNS, ExportError

UNITS = {"seconds": 1 / 60, "minutes": 1.0, "hours": 60.0, "hh:mm:ss": 1.0}
"""Units a duration column may be given in, and minutes per unit (``hh:mm:ss`` is parsed as text)."""

OFFSET_COLUMNS = ("first_reply", "solved", "abandoned_at")
"""Time columns a map may give as a duration after ``created`` instead of a timestamp (by a ``units`` entry)."""

VALUE_COLUMNS = ("channel", "category", "priority", "segment", "group", "kind", "status")
"""Columns whose values a map may rename."""


@dataclass(frozen=True)
class ColumnMap:
    """Canonical column -> export column, for the ticket file and the event file, and how to read them.

    ``tickets`` and ``events`` name the export's columns; a canonical column not named is looked up
    under its own name. In ``events``, ``value`` names a single column holding the group or the status
    (by the row's kind), the shape of Zendesk and ServiceNow audit exports. ``units`` gives the unit of
    a duration (``work_minutes``) or turns a time column into a duration after ``created``.
    ``custom_fields``: every other numeric ticket column becomes ``attr_<snake_case name>``.
    """

    tickets: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    timestamp_format: str | None = None
    timezone: str | None = None
    units: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    custom_fields: bool = False

    def ticket_column(self, canonical: str) -> str:
        """The export's name of a canonical ticket column."""
        return self.tickets.get(canonical, canonical)

    def event_column(self, canonical: str) -> str:
        """The export's name of a canonical event column."""
        return self.events.get(canonical, canonical)


GENERIC = ColumnMap()
"""The generic layout: the canonical column names, ISO 8601 timestamps with offsets, minutes."""

ZENDESK = ColumnMap(
    tickets={
        "ticket": "Id",
        "created": "Created at",
        "channel": "Via",
        "category": "Category",
        "priority": "Priority",
        "segment": "Requester segment",
        "group": "Group",
        "first_reply": "First reply time in minutes",
        "solved": "Solved at",
        "abandoned_at": "Abandoned at",
        "reopens": "Reopens",
        "work_minutes": "Total time spent (sec)",
    },
    events={
        "ticket": "Ticket id",
        "time": "Created at",
        "kind": "Field name",
        "value": "Value",
        "work_minutes": "Time spent last update (sec)",
    },
    units={"first_reply": "minutes", "work_minutes": "seconds"},
    values={
        "channel": {"voice": "phone", "web": "in-app"},
        "kind": {"group_id": "group_change", "assignee_id": "assignment", "status": "status_change"},
    },
    custom_fields=True,
)
"""The Zendesk-like layout (``--format zendesk``): Zendesk's export column names, its ``Via`` channel names,
first reply as minutes after creation and time tracking in seconds; other numeric columns are custom fields."""

ZENDESK_EXTRA_COLUMNS = ("Status", "Full resolution time in minutes")
"""Columns of the Zendesk-like ticket export that the canonical table does not need (written, not read)."""

_MAP_KEYS = {"events", "timestamp_format", "timezone", "units", "values", "custom_fields"}


def load_column_map(path: str | Path) -> ColumnMap:
    """Read a column-map YAML file; an unknown key or a bad unit raises ``ExportError`` naming it.

    Top-level keys are canonical ticket columns (``created: opened_at``) or ``attr_<name>``, plus
    ``events`` (canonical event columns, and ``value``), ``timestamp_format`` (strftime codes; default
    ISO 8601), ``timezone`` (an IANA name, for timestamps written without an offset), ``units`` and
    ``values`` (``{column: {export value: canonical value}}``).
    """
    name = Path(path).name
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ExportError(name, None, None, f"cannot read the column map: {exc}") from exc
    if not isinstance(doc, dict):
        raise ExportError(name, None, None, "a column map is a mapping of canonical column: export column")
    tickets = _names(name, "", {k: v for k, v in doc.items() if k not in _MAP_KEYS})
    events = _names(name, "events.", _section(name, doc, "events", "canonical event column: export column"))
    _check_keys(name, tickets, [*TICKET_COLUMNS], "ticket column", attrs=True)
    _check_keys(name, events, [*EVENT_COLUMNS, "value"], "event column")
    units = _names(name, "units.", _section(name, doc, "units", "duration column: unit"))
    _check_keys(name, units, ["work_minutes", *OFFSET_COLUMNS], "duration column")
    for column, unit in units.items():
        if unit not in UNITS:
            raise ExportError(name, None, f"units.{column}", f"unknown unit '{unit}' (one of {', '.join(UNITS)})")
    renames = _section(name, doc, "values", "column: {export value: canonical value}")
    values = {
        str(k): _names(name, f"values.{k}.", _section(name, renames, str(k), "export value: name", "values."))
        for k in renames
    }
    _check_keys(name, values, list(VALUE_COLUMNS), "column with renamed values")
    timezone = doc.get("timezone")
    if timezone is not None:
        _check_timezone(name, str(timezone))
    fmt = doc.get("timestamp_format")
    return ColumnMap(
        tickets=tickets,
        events=events,
        timestamp_format=str(fmt) if fmt is not None else None,
        timezone=str(timezone) if timezone is not None else None,
        units=units,
        values=values,
        custom_fields=_flag(name, doc.get("custom_fields", False)),
    )


def _section(file: str, doc: dict[str, Any], key: str, shape: str, within: str = "") -> dict[Any, Any]:
    """The mapping under ``key`` (empty when absent); anything else is refused with the shape it should have."""
    section = doc.get(key)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ExportError(file, None, f"{within}{key}", f"must be a mapping of {shape} (got {type(section).__name__})")
    return section


def _names(file: str, within: str, mapping: dict[Any, Any]) -> dict[str, str]:
    """``mapping`` with text keys and values; a value that is not a single name (a list, a mapping) is refused."""
    for key, value in mapping.items():
        if isinstance(value, (dict, list)) or value is None:
            got = "nothing" if value is None else f"a {type(value).__name__}"
            raise ExportError(file, None, f"{within}{key}", f"must be one name, as text (got {got})")
    return {str(k): str(v) for k, v in mapping.items()}


def _flag(file: str, value: Any) -> bool:
    """``custom_fields``: true or false, nothing else (a word like 'no' would otherwise read as true)."""
    if not isinstance(value, bool):
        raise ExportError(file, None, "custom_fields", f"must be true or false (got {value!r})")
    return value


def _check_keys(file: str, mapping: dict[str, Any], allowed: list[str], what: str, attrs: bool = False) -> None:
    """Refuse a key that is not a canonical column, suggesting the closest one."""
    for key in mapping:
        if key in allowed or (attrs and key.startswith(ATTR_PREFIX)):
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (one of {', '.join(allowed)})"
        raise ExportError(file, None, key, f"not a canonical {what}{hint}")


def _check_timezone(file: str, timezone: str) -> None:
    """Refuse a time zone name that is not in the IANA database."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ExportError(file, None, "timezone", f"'{timezone}' is not a time zone (e.g. Europe/London)") from exc
