"""Vectorised parsing of export columns, row problems collected rather than raised.

Each parser turns a column of raw strings (empty = missing) into typed values, and marks the rows whose
value cannot be used in a ``RowProblems`` of the file, with a one-line reason each. Only the bad rows are
visited one by one, so a million-row column costs a few numpy passes. A column where most rows are bad
is a whole-file problem (a wrong format, a wrong unit) and raises instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.calibration.column_map import UNITS
from sim.calibration.export_schema import TIME, ExportError, Skipped

ISO_EXAMPLE = "ISO 8601, e.g. 2024-03-01T09:30:00+00:00"
"""How a timestamp should look, quoted in the messages."""

HAS_OFFSET = r"(?:[+-]\d\d:?\d\d|Z| ?UTC)$"
"""A timestamp that ends in a UTC offset (``+01:00``, ``-0500``, ``Z``, ``UTC``) says its time zone."""
_FIRST, _LAST = pd.Timestamp("1678-01-01", tz="UTC"), pd.Timestamp("2262-01-01", tz="UTC")
"""The timestamps the tables hold (nanoseconds since 1970 fit between 1677-09-21 and 2262-04-11), whole years."""

Reasons = str | Callable[[np.ndarray], Sequence[str]]
"""One reason for every flagged row, or a function of the flagged rows' positions giving one each."""

TRUE = frozenset({"true", "1", "yes", "y", "t"})
FALSE = frozenset({"false", "0", "no", "n", "f", ""})


class RowProblems:
    """The rows of one file that cannot be used, each with its first problem (spreadsheet row numbers)."""

    def __init__(self, file: str, rows: int) -> None:
        self.file = file
        self.bad = np.zeros(rows, dtype=bool)
        self.skipped: list[Skipped] = []

    def flag(self, mask: np.ndarray | pd.Series, column: str, reasons: Reasons) -> None:
        """Mark the rows of ``mask`` bad for ``reasons``, unless already bad.

        ``reasons`` is one text for all rows, or a function of the bad rows' positions giving one text
        each: messages are built for the bad rows only. More than half of the rows bad in one column
        (and more than one) is a whole-file problem: raise.
        """
        mask = np.asarray(mask, dtype=bool)
        count = int(mask.sum())
        if not count:
            return
        where = np.flatnonzero(mask)

        def texts(rows: np.ndarray) -> list[str]:
            return [reasons] * len(rows) if isinstance(reasons, str) else [str(r) for r in reasons(rows)]

        if count > 1 and count * 2 > len(mask):
            first = where[:1]
            more = f" (and {count - 1} more rows like it: is the column's format or unit right?)"
            raise ExportError(self.file, int(first[0]) + 2, column, texts(first)[0] + more)
        new = where[~self.bad[where]]
        self.skipped.extend(
            Skipped(self.file, int(i) + 2, column, text) for i, text in zip(new, texts(new), strict=True)
        )
        self.bad[where] = True


def quoted(raw: pd.Series, tail: str) -> Reasons:
    """Reasons ``'<raw value>' <tail>`` for the bad rows (built only for them)."""

    def reasons(rows: np.ndarray) -> list[str]:
        return [f"'{value}' {tail}" for value in raw.iloc[rows]]

    return reasons


def parse_times(
    raw: pd.Series, column: str, problems: RowProblems, timestamp_format: str | None, timezone: str | None
) -> pd.Series:
    """Timestamps as UTC; empty cells are NaT. Naive timestamps need ``timezone``, else the file is refused."""
    raw = raw.astype(str).str.strip()
    empty = raw == ""
    if timestamp_format is None:
        aware = raw.str.contains(HAS_OFFSET, regex=True)
        naive = ~empty & ~aware
        parsed = pd.to_datetime(raw.where(aware), utc=True, format="ISO8601", errors="coerce")
        expected = ISO_EXAMPLE
    else:
        aware = pd.Series("%z" in timestamp_format or "%Z" in timestamp_format, index=raw.index)
        naive = ~empty & ~aware
        parsed = pd.to_datetime(raw.where(aware), utc=True, format=timestamp_format, errors="coerce")
        expected = f"format {timestamp_format}"
    if naive.any():
        local = pd.to_datetime(raw.where(naive), format=timestamp_format or "ISO8601", errors="coerce")
        dated = (naive & local.notna()).to_numpy()  # naive values that are no date at all are reported below
        if timezone is None and dated.any():
            i = int(np.flatnonzero(dated)[0])
            raise ExportError(
                problems.file,
                i + 2,
                column,
                f"'{raw.iloc[i]}' has no time zone: write timestamps with an offset ({ISO_EXAMPLE}) "
                "or give the export's `timezone:` in a column map",
            )
        if timezone is not None:
            placed = local.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
            problems.flag(
                (local.notna() & placed.isna()).to_numpy(),
                column,
                quoted(raw, f"does not exist or is ambiguous in {timezone} (a daylight-saving change)"),
            )
            parsed = parsed.where(~naive, placed)
    beyond = parsed.notna() & ((parsed < _FIRST) | (parsed > _LAST))
    problems.flag(beyond.to_numpy(), column, quoted(raw, "is outside the years 1678 to 2261 that timestamps can hold"))
    parsed = parsed.where(~beyond).astype(TIME)
    problems.flag(
        (~empty & ~beyond & parsed.isna()).to_numpy(), column, quoted(raw, f"is not a date (expected {expected})")
    )
    return parsed


def parse_minutes(raw: pd.Series, column: str, problems: RowProblems, unit: str = "minutes") -> pd.Series:
    """Durations in minutes (NaN when empty); a negative or non-numeric duration makes the row bad."""
    raw = raw.astype(str).str.strip()
    empty = raw == ""
    if unit == "hh:mm:ss":
        parts = raw.str.split(":", expand=True).reindex(columns=[0, 1, 2])
        numbers = parts.apply(pd.to_numeric, errors="coerce")
        minutes = numbers[0] * 60 + numbers[1] + numbers[2].fillna(0) / 60
        what = "is not a duration (expected hh:mm:ss)"
    else:
        minutes = pd.to_numeric(raw, errors="coerce") * UNITS[unit]
        what = "is not a number"
    minutes = minutes.astype("float64")
    problems.flag((~empty & minutes.isna()).to_numpy(), column, quoted(raw, f"{what}"))
    problems.flag((minutes < 0).to_numpy(), column, quoted(raw, "is a negative duration"))
    return minutes


def parse_count(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """Whole non-negative counts (0 when empty)."""
    raw = raw.astype(str).str.strip()
    numbers = pd.to_numeric(raw.where(raw != "", "0"), errors="coerce")
    bad = numbers.isna() | (numbers != np.floor(numbers)) | (numbers < 0)
    problems.flag(bad.to_numpy(), column, quoted(raw, "is not a count (a whole number, 0 or more)"))
    return numbers.fillna(0).astype("int64")


def parse_number(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """Plain numbers (custom fields); NaN when empty."""
    raw = raw.astype(str).str.strip()
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    problems.flag(((raw != "") & numbers.isna()).to_numpy(), column, quoted(raw, "is not a number"))
    return numbers


def parse_flags(raw: pd.Series, column: str, problems: RowProblems) -> pd.Series:
    """Booleans from true/false, yes/no, 1/0 (any case; empty is false)."""
    lowered = raw.astype(str).str.strip().str.lower()
    truth = lowered.isin(TRUE)
    problems.flag((~truth & ~lowered.isin(FALSE)).to_numpy(), column, quoted(raw, "is not true or false"))
    return truth.astype(bool)


def is_numeric_column(raw: pd.Series) -> bool:
    """True when every non-empty value is a number and at least one is there (a custom numeric field)."""
    raw = raw.astype(str).str.strip()
    filled = raw[raw != ""]
    return bool(len(filled)) and bool(pd.to_numeric(filled, errors="coerce").notna().all())
