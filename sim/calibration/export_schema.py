"""The canonical ticket and event tables every export is read into, and how a bad export is reported.

Every helpdesk layout (generic, Zendesk-like, or any other through a column map) is read into the same
two DataFrames, so that the fits never see a vendor's column names. Times are tz-aware UTC and
durations are minutes. A row that cannot be used is kept out of the tables but listed in ``skipped``;
a problem with a whole file (a missing column, timestamps without a time zone) raises ``ExportError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sim.core.names import Names

TIME = "datetime64[ns, UTC]"
"""The dtype of every timestamp column."""

TICKET_COLUMNS: dict[str, str] = {
    "ticket": "str",
    "created": TIME,
    "channel": "str",
    "category": "str",
    "priority": "str",
    "segment": "str",
    "group": "str",
    "first_reply": TIME,
    "solved": TIME,
    "abandoned": "bool",
    "abandoned_at": TIME,
    "reopens": "int64",
    "work_minutes": "float64",
}
"""Canonical ticket columns and their dtypes; custom numeric fields follow as ``attr_<name>`` (float64)."""

REQUIRED_TICKET_COLUMNS = ("ticket", "created", "channel", "category", "priority", "group", "solved")
"""Ticket columns an export must have; the others default to "", NaT, False, 0 or NaN when absent."""

EVENT_COLUMNS: dict[str, str] = {
    "ticket": "str",
    "time": TIME,
    "kind": "str",
    "group": "str",
    "status": "str",
    "work_minutes": "float64",
}
"""Canonical event (audit) columns and their dtypes, one row per event, sorted by ticket then time."""

REQUIRED_EVENT_COLUMNS = ("ticket", "time", "kind")
"""Event columns an export must have (``group`` or ``status`` are needed by the kinds that use them)."""

ATTR_PREFIX = "attr_"
"""Prefix of custom numeric ticket fields, e.g. ``attr_refund_amount``."""


class Kind(Names):
    """The kinds of audit event."""

    GROUP_CHANGE = "group_change"
    ASSIGNMENT = "assignment"
    STATUS_CHANGE = "status_change"


class Status(Names):
    """The ticket statuses a status_change can set (``pending``: waiting on the customer)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    REOPENED = "reopened"


def _where(file: str, row: int | None, column: str | None) -> str:
    """``file:row 17: column 'x'`` with the parts that are known."""
    where = file + (f":row {row}" if row is not None else "")
    return where + (f": column '{column}'" if column is not None else "")


@dataclass(frozen=True)
class Skipped:
    """One row left out of the canonical tables, and why.

    ``row`` counts like a spreadsheet: the header is row 1, the first data row is row 2.
    """

    file: str
    row: int
    column: str
    reason: str

    def render(self) -> str:
        """The one-line message, e.g. ``tickets.csv:row 17: column 'Created at': '2024-13-01' is not a date``."""
        return f"{_where(self.file, self.row, self.column)}: {self.reason}"


class ExportError(ValueError):
    """A problem with a whole export file (or column map); ``render()`` gives the one-line message."""

    def __init__(self, file: str, row: int | None, column: str | None, message: str) -> None:
        super().__init__(message)
        self.file = file
        self.row = row
        self.column = column
        self.message = message

    def render(self) -> str:
        """``file[:row N][: column 'c']: message``."""
        return f"{_where(self.file, self.row, self.column)}: {self.message}"

    def __str__(self) -> str:
        return self.render()


@dataclass
class Export:
    """An export read into the canonical tables; ``events`` is None when no event file was given."""

    tickets: pd.DataFrame
    events: pd.DataFrame | None = None
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_summary(self, examples: int = 5) -> str:
        """One line: how many rows were skipped, grouped by reason kind, with their first row numbers."""
        if not self.skipped:
            return "no rows skipped"
        groups: dict[tuple[str, str, str], list[int]] = {}
        for s in self.skipped:
            groups.setdefault((s.file, s.column, reason_kind(s.reason)), []).append(s.row)
        parts = []
        for (file, column, kind), rows in sorted(groups.items(), key=lambda item: -len(item[1])):
            shown = ", ".join(map(str, rows[:examples])) + (", …" if len(rows) > examples else "")
            parts.append(f"{len(rows)} in {file}, column '{column}': {kind} (rows {shown})")
        total = len(self.skipped)
        return f"{total} row{'s' if total != 1 else ''} skipped: " + "; ".join(parts)


def reason_kind(reason: str) -> str:
    """The kind of a skip reason, for grouping: the reason with the quoted offending value left out."""
    if reason.startswith("'") and "' " in reason[1:]:
        return reason[reason.index("' ", 1) + 2 :]
    return reason
