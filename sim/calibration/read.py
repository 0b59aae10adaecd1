"""Read a ticket export (and optionally its audit events) into the canonical tables.

``read_export`` takes a generic, Zendesk-like or column-mapped export, checks it and returns an
``Export``. Whole-file problems (missing columns, timestamps without a time zone) raise ``ExportError``
with one line naming file, row and column; a row that cannot be used (an unparseable date, a negative
duration, solved before created, an event of an unknown ticket) is left out and listed in ``skipped``.
Everything is vectorised pandas, so a million tickets read in seconds.
"""

from __future__ import annotations

import difflib
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from sim.calibration.column_map import GENERIC, ZENDESK, ZENDESK_EXTRA_COLUMNS, ColumnMap, load_column_map
from sim.calibration.export_schema import (
    ATTR_PREFIX,
    EVENT_COLUMNS,
    REQUIRED_EVENT_COLUMNS,
    REQUIRED_TICKET_COLUMNS,
    TICKET_COLUMNS,
    TIME,
    Export,
    ExportError,
    Kind,
    Status,
)
from sim.calibration.parse import (
    Reasons,
    RowProblems,
    is_numeric_column,
    parse_count,
    parse_flags,
    parse_minutes,
    parse_number,
    parse_times,
    quoted,
)

__all__ = ["LAYOUTS", "load_column_map", "read_export"]

LAYOUTS: dict[str, ColumnMap] = {"generic": GENERIC, "zendesk": ZENDESK}
"""The built-in export layouts by ``--format`` name."""


def read_export(
    tickets_path: str | Path,
    events_path: str | Path | None = None,
    fmt: str = "generic",
    column_map: ColumnMap | str | Path | None = None,
) -> Export:
    """The export's canonical tickets (and events), with every skipped row listed.

    ``column_map`` (a ``ColumnMap`` or a YAML path) replaces the layout of ``fmt``. CSV files may be
    gzipped (``.csv.gz``).
    """
    if isinstance(column_map, str | Path):
        column_map = load_column_map(column_map)
    if column_map is None:
        if fmt not in LAYOUTS:
            raise ExportError(str(tickets_path), None, None, f"unknown format '{fmt}' (one of {', '.join(LAYOUTS)})")
        column_map = LAYOUTS[fmt]
    tickets, problems = read_tickets(Path(tickets_path), column_map)
    skipped = list(problems.skipped)
    events = None
    if events_path is not None:
        events, event_problems = read_events(Path(events_path), column_map, tickets, Path(tickets_path).name)
        skipped += event_problems.skipped
    return Export(tickets, events, skipped)


def read_table(path: Path) -> pd.DataFrame:
    """Every cell as text (empty = missing), column names stripped; pyarrow's multi-threaded CSV reader.

    ``.csv.gz`` is decompressed on the fly (by the file name's extension).
    """
    try:
        names = list(pd.read_csv(path, nrows=0).columns)
        table = pa_csv.read_csv(
            path,
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names}, strings_can_be_null=False
            ),
        )
    except (
        OSError,
        EOFError,
        zlib.error,
        pa.ArrowInvalid,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
    ) as exc:
        raise ExportError(path.name, None, None, f"cannot read the file as CSV: {exc}") from exc
    raw = table.to_pandas()
    raw.columns = [str(c).strip() for c in raw.columns]
    twice = raw.columns[raw.columns.duplicated()]
    if len(twice):
        raise ExportError(path.name, None, str(twice[0]), "appears twice in the header: keep one of the two")
    return raw


def check_columns(file: str, present: list[str], needed: list[str]) -> None:
    """Refuse a file that lacks needed columns, listing them all with the closest present names."""
    missing = [c for c in dict.fromkeys(needed) if c not in present]
    if not missing:
        return
    lowered = {c.lower(): c for c in present}
    parts = []
    for name in missing:
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        parts.append(f"'{name}'" + (f" (did you mean '{lowered[close[0]]}'?)" if close else ""))
    label = "columns" if len(missing) > 1 else "column"
    raise ExportError(file, None, None, f"missing {label} {', '.join(parts)}")


def _layout_hint(present: list[str]) -> str:
    """``; it looks like a zendesk export: add --format zendesk`` when another layout's columns are all there."""
    fits = [
        fmt for fmt, cmap in LAYOUTS.items() if all(cmap.ticket_column(c) in present for c in REQUIRED_TICKET_COLUMNS)
    ]
    return f"; it looks like a {fits[0]} export: add --format {fits[0]}" if fits else ""


def read_tickets(path: Path, cmap: ColumnMap) -> tuple[pd.DataFrame, RowProblems]:
    """The canonical ticket table of a ticket file, and its bad rows."""
    raw = read_table(path)
    file = path.name
    needed = [cmap.ticket_column(c) for c in REQUIRED_TICKET_COLUMNS]
    if cmap is not ZENDESK:
        needed += [c for k, c in cmap.tickets.items() if k not in REQUIRED_TICKET_COLUMNS]
    try:
        check_columns(file, list(raw.columns), needed)
    except ExportError as exc:
        exc.message += _layout_hint(list(raw.columns))
        raise
    problems = RowProblems(file, len(raw))

    def has(canonical: str) -> bool:
        return cmap.ticket_column(canonical) in raw.columns

    def text(canonical: str) -> pd.Series:
        column = cmap.ticket_column(canonical)
        if column not in raw.columns:
            return pd.Series("", index=raw.index, dtype=str)
        values = raw[column].astype(str).str.strip()
        renames = cmap.values.get(canonical)
        return values.replace(renames) if renames else values

    def times(canonical: str, created: pd.Series | None = None) -> pd.Series:
        column = cmap.ticket_column(canonical)
        if column not in raw.columns:
            return pd.Series(pd.NaT, index=raw.index, dtype=TIME)
        if canonical in cmap.units and created is not None:  # a duration after created
            minutes = parse_minutes(raw[column], column, problems, cmap.units[canonical])
            return (created + pd.to_timedelta(minutes, unit="min")).astype(TIME)
        return parse_times(raw[column], column, problems, cmap.timestamp_format, cmap.timezone)

    out = pd.DataFrame(index=raw.index)
    out["ticket"] = text("ticket")
    ticket_column = cmap.ticket_column("ticket")
    problems.flag(out["ticket"] == "", ticket_column, "no ticket id")
    problems.flag(out["ticket"].duplicated() & (out["ticket"] != ""), ticket_column, "duplicate ticket id")
    created_column = cmap.ticket_column("created")
    problems.flag(raw[created_column].astype(str).str.strip() == "", created_column, "no created date")
    out["created"] = created = times("created")
    for canonical in ("channel", "category", "priority", "segment", "group"):
        out[canonical] = text(canonical)
    for canonical in ("first_reply", "solved", "abandoned_at"):
        out[canonical] = stamp = times(canonical, created)
        column = cmap.ticket_column(canonical)
        what = {"first_reply": "first reply", "solved": "solved", "abandoned_at": "abandoned"}[canonical]
        if has(canonical):
            problems.flag(
                (stamp < created).to_numpy(),
                column,
                _before(what, stamp, created),
            )
    if has("abandoned"):
        column = cmap.ticket_column("abandoned")
        out["abandoned"] = parse_flags(raw[column], column, problems) | out["abandoned_at"].notna()
    else:
        out["abandoned"] = out["abandoned_at"].notna()
    if has("reopens"):
        column = cmap.ticket_column("reopens")
        out["reopens"] = parse_count(raw[column], column, problems)
    else:
        out["reopens"] = np.zeros(len(raw), dtype=np.int64)
    if has("work_minutes"):
        column = cmap.ticket_column("work_minutes")
        out["work_minutes"] = parse_minutes(raw[column], column, problems, cmap.units.get("work_minutes", "minutes"))
    else:
        out["work_minutes"] = np.full(len(raw), np.nan)
    for name, column in attribute_columns(raw, cmap).items():
        out[name] = parse_number(raw[column], column, problems)
    tickets = out.loc[~problems.bad, [*TICKET_COLUMNS, *(c for c in out.columns if c not in TICKET_COLUMNS)]]
    tickets = tickets.reset_index(drop=True)
    return tickets.astype({**TICKET_COLUMNS, "ticket": str}), problems


def attribute_columns(raw: pd.DataFrame, cmap: ColumnMap) -> dict[str, str]:
    """Custom numeric fields: ``attr_<name>`` -> export column (mapped, named so, or other numeric columns)."""
    found = {c: c for c in raw.columns if c.startswith(ATTR_PREFIX)}
    found.update({k: v for k, v in cmap.tickets.items() if k.startswith(ATTR_PREFIX)})
    if cmap.custom_fields:
        used = {cmap.ticket_column(c) for c in TICKET_COLUMNS} | set(found.values()) | set(ZENDESK_EXTRA_COLUMNS)
        for column in raw.columns:
            if column not in used and is_numeric_column(raw[column]):
                found[ATTR_PREFIX + snake_case(column)] = column
    return found


def snake_case(name: str) -> str:
    """``Refund amount`` -> ``refund_amount``."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def _before(what: str, stamp: pd.Series, created: pd.Series) -> Reasons:
    """Reasons ``<what> at <time> is before created at <time>`` for the bad rows."""

    def reasons(rows: np.ndarray) -> list[str]:
        iso = "%Y-%m-%dT%H:%M:%S+00:00"
        pairs = zip(stamp.iloc[rows], created.iloc[rows], strict=True)
        return [f"{what} at {a.strftime(iso)} is before created at {b.strftime(iso)}" for a, b in pairs]

    return reasons


def read_events(
    path: Path, cmap: ColumnMap, tickets: pd.DataFrame, tickets_file: str
) -> tuple[pd.DataFrame, RowProblems]:
    """The canonical event table of an audit file (events of tickets not in ``tickets`` are skipped).

    Events are grouped by ticket in the ticket table's order, and by time within a ticket (ties keep the
    file's order).
    """
    raw = read_table(path)
    file = path.name
    long = "value" in cmap.events  # one value column holds the group or the status, by kind
    needed = [cmap.event_column(c) for c in REQUIRED_EVENT_COLUMNS]
    needed += [cmap.event_column("value")] if long else [cmap.event_column("group"), cmap.event_column("status")]
    check_columns(file, list(raw.columns), needed)

    def text(canonical: str) -> pd.Series:
        values = raw[cmap.event_column(canonical)].astype(str).str.strip()
        renames = cmap.values.get(canonical)
        return values.replace(renames) if renames else values

    kind = text("kind")
    if long:  # other audit fields (tags, comments…) are not events of the canonical table
        raw = raw[kind.isin(Kind.all()).to_numpy()].reset_index(drop=True)
        kind = kind[kind.isin(Kind.all())].reset_index(drop=True)
    problems = RowProblems(file, len(raw))
    kind_column = cmap.event_column("kind")
    problems.flag(~kind.isin(Kind.all()), kind_column, quoted(kind, f"is not an event kind ({', '.join(Kind.all())})"))
    if long:
        value = text("value")
        if "group" in cmap.values:
            value = value.where(kind == Kind.STATUS_CHANGE, value.replace(cmap.values["group"]))
        if "status" in cmap.values:
            value = value.where(kind != Kind.STATUS_CHANGE, value.replace(cmap.values["status"]))
        group = value.where(kind != Kind.STATUS_CHANGE, "")
        status = value.where(kind == Kind.STATUS_CHANGE, "")
        group_column = status_column = cmap.event_column("value")
    else:
        group, status = text("group"), text("status")
        group_column, status_column = cmap.event_column("group"), cmap.event_column("status")
    is_status = (kind == Kind.STATUS_CHANGE).to_numpy()
    problems.flag(
        is_status & ~status.isin(Status.all()),
        status_column,
        quoted(status, f"is not a status ({', '.join(Status.all())})"),
    )
    problems.flag(~is_status & (group == ""), group_column, "no group")
    ticket = text("ticket")
    ticket_column = cmap.event_column("ticket")
    known = pd.Index(tickets["ticket"].to_numpy(dtype=object))  # unique: duplicate ids were skipped
    position = known.get_indexer(ticket.to_numpy(dtype=object))
    problems.flag(
        position < 0,
        ticket_column,
        quoted(ticket, f"is not a ticket of {tickets_file} (or was skipped there)"),
    )
    time_column = cmap.event_column("time")
    problems.flag(raw[time_column].astype(str).str.strip() == "", time_column, "no time")
    time = parse_times(raw[time_column], time_column, problems, cmap.timestamp_format, cmap.timezone)
    work_column = cmap.event_column("work_minutes")
    if work_column in raw.columns:
        work = parse_minutes(raw[work_column], work_column, problems, cmap.units.get("work_minutes", "minutes"))
    else:
        work = pd.Series(np.nan, index=raw.index)
    out = pd.DataFrame(
        {"ticket": ticket, "time": time, "kind": kind, "group": group, "status": status, "work_minutes": work}
    )
    good = ~problems.bad
    nanoseconds = out["time"].dt.tz_convert(None).to_numpy().astype("int64")
    order = np.lexsort((nanoseconds[good], position[good]))  # integer keys: fast
    out = out[good].iloc[order].reset_index(drop=True)
    return out.astype({**EVENT_COLUMNS, "ticket": str}), problems
