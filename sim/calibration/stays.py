"""Per-ticket histories from the canonical event table: group stays, stay work, status intervals.

The canonical tables (see ``export_schema``) give each ticket its first group and, optionally, an
audit trail. These helpers turn the trail into the tables the fits need, with vectorised pandas
(sorting and shifting within tickets), never a Python loop over tickets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUP_CHANGE = "group_change"
ASSIGNMENT = "assignment"
STATUS_CHANGE = "status_change"
"""Event kinds of the canonical event table."""


def has_column(table: pd.DataFrame | None, column: str) -> bool:
    """True when ``table`` exists, has ``column`` and at least one non-missing value in it."""
    return table is not None and column in table.columns and bool(table[column].notna().any())


def ticket_rows(tickets: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Row position in ``tickets`` of each ticket id in ``ids`` (-1: not in the table), by one hash look-up."""
    return np.asarray(pd.Index(tickets["ticket"]).get_indexer(ids.to_numpy()), dtype=np.int64)


def naive_utc(times: pd.Series) -> np.ndarray:
    """Tz-aware times as naive UTC datetime64 values: fast to sort (no Timestamp objects)."""
    return np.asarray(times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy())


def take(tickets: pd.DataFrame, column: str, rows: np.ndarray) -> np.ndarray:
    """Values of ``tickets[column]`` at row positions ``rows`` (all valid)."""
    return tickets[column].to_numpy()[rows]


def ticket_column(tickets: pd.DataFrame, column: str, ids: pd.Series) -> np.ndarray:
    """``tickets[column]`` of each ticket id in ``ids``, None for an id not in the table."""
    rows = ticket_rows(tickets, ids)
    values = tickets[column].to_numpy(dtype=object)
    found = np.full(len(rows), None, dtype=object)
    found[rows >= 0] = values[rows[rows >= 0]]
    return found


def group_stays(tickets: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per stay of a ticket at a group, in order: the ticket's first group, then each group change.

    Columns: ``row`` (in ``tickets``), ``ticket``, ``category``, ``channel``, ``first_group``, ``step``
    (0 = first stay), ``group``, ``entered`` (naive UTC), ``next_group`` ("" on the last stay), ``last``
    and ``solved`` (the ticket's final solve). A group change to the group already holding the ticket
    is not a new stay. Events of tickets missing from the ticket table are ignored.
    """
    changes = events.loc[events["kind"] == GROUP_CHANGE, ["ticket", "group", "time"]]
    change_rows = ticket_rows(tickets, changes["ticket"])
    known = change_rows >= 0
    seq = pd.DataFrame(
        {
            "row": np.r_[np.arange(len(tickets)), change_rows[known]],
            "key": np.r_[np.zeros(len(tickets), dtype=np.int8), np.ones(int(known.sum()), dtype=np.int8)],
            "time": np.r_[naive_utc(tickets["created"]), naive_utc(changes["time"])[known]],
            "group": np.r_[tickets["group"].to_numpy(dtype=object), changes["group"].to_numpy(dtype=object)[known]],
        }
    ).sort_values(["row", "key", "time"], kind="mergesort")
    row, group, time = seq["row"].to_numpy(), seq["group"].to_numpy(), seq["time"].to_numpy()
    repeat = np.r_[False, (row[1:] == row[:-1]) & (group[1:] == group[:-1])]
    row, group, time = row[~repeat], group[~repeat], time[~repeat]
    last = np.r_[row[1:] != row[:-1], True]
    index = np.arange(len(row))
    starts = np.r_[True, last[:-1]]
    step = index - np.maximum.accumulate(np.where(starts, index, 0))
    return pd.DataFrame(
        {
            "row": row,
            "ticket": take(tickets, "ticket", row),
            "category": take(tickets, "category", row),
            "channel": take(tickets, "channel", row),
            "first_group": take(tickets, "group", row),
            "step": step,
            "group": group,
            "entered": time,
            "next_group": np.where(last, "", np.append(group[1:], "")),
            "last": last,
            "solved": tickets["solved"].notna().to_numpy()[row],
        }
    )


def status_stays(stays: pd.DataFrame, tickets: pd.DataFrame, events: pd.DataFrame, status: str) -> pd.Series:
    """For each change to ``status`` (indexed like ``events``): the stay it happened in (-1 if none).

    A status change at the very time of a group change belongs to the stay that ends then, as the
    export orders them.
    """
    changes = events[(events["kind"] == STATUS_CHANGE) & (events["status"] == status)]
    rows = ticket_rows(tickets, changes["ticket"])
    known = rows >= 0
    seq = pd.DataFrame(
        {
            "row": np.r_[stays["row"].to_numpy(), rows[known]],
            "time": np.r_[stays["entered"].to_numpy(), naive_utc(changes["time"])[known]],
            "key": np.r_[np.ones(len(stays), dtype=np.int8), np.zeros(int(known.sum()), dtype=np.int8)],
            "stay": np.r_[np.arange(len(stays), dtype=float), np.full(int(known.sum()), np.nan)],
            "event": np.r_[np.full(len(stays), -1), np.flatnonzero(known)],
        }
    ).sort_values(["row", "time", "key"], kind="mergesort")
    seq["stay"] = seq.groupby("row", sort=False)["stay"].ffill()
    found = seq[seq["key"] == 0].set_index("event")["stay"].fillna(-1).astype(int)
    return pd.Series(found.reindex(range(len(changes)), fill_value=-1).to_numpy(), index=changes.index)


def status_in_stay(stays: pd.DataFrame, tickets: pd.DataFrame, events: pd.DataFrame, status: str) -> np.ndarray | None:
    """Whether each stay saw a change to ``status`` before the next stay began; None if no event sets it.

    E.g. a stay that ends in a solve resolved there even when a group change follows it: that change
    is a reopened ticket going back (to its first team, say), not an escalation.
    """
    found = status_stays(stays, tickets, events, status)
    if found.empty:
        return None
    marked = np.zeros(len(stays), dtype=bool)
    marked[found[found >= 0].to_numpy()] = True
    return marked


def stay_work(tickets: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Handle times from events: each exported ``work_minutes`` with the category and the group it was spent at.

    An event's ``work_minutes`` is the work of the stay that ends at it, so it belongs to the group
    holding the ticket just *before* the event: the group of the latest earlier group change or
    assignment of the ticket, else the ticket's first group. Columns: ``category``, ``group``,
    ``work_minutes``.
    """
    rows = ticket_rows(tickets, events["ticket"])
    ev = events[rows >= 0]
    rows = rows[rows >= 0]
    moves = ev["kind"].isin([GROUP_CHANGE, ASSIGNMENT]).to_numpy()
    holder = pd.Series(np.where(moves, ev["group"].to_numpy(dtype=object), None)).groupby(rows, sort=False).ffill()
    before = holder.groupby(rows, sort=False).shift(1).to_numpy(dtype=object)
    before = np.where(pd.isna(before), take(tickets, "group", rows), before)
    work = ev["work_minutes"].notna().to_numpy()
    return pd.DataFrame(
        {
            "category": take(tickets, "category", rows[work]),
            "group": before[work],
            "work_minutes": ev["work_minutes"].to_numpy(dtype=float)[work],
        }
    )


def status_intervals(events: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Minutes from each status ``start`` to the ticket's next status change, when that one is ``end``.

    E.g. ``pending`` → ``open`` (customer-reply delays) or ``solved`` → ``reopened`` (reopen delays).
    Columns: ``ticket``, ``minutes``.
    """
    st = events.loc[events["kind"] == STATUS_CHANGE, ["ticket", "time", "status"]]
    nxt_status = st["status"].shift(-1)
    same = st["ticket"].eq(st["ticket"].shift(-1))
    hit = same & st["status"].eq(start) & nxt_status.eq(end)
    minutes = (st["time"].shift(-1) - st["time"]).dt.total_seconds() / 60.0
    return pd.DataFrame({"ticket": st.loc[hit, "ticket"], "minutes": minutes[hit].astype(float)}).reset_index(drop=True)


def as_float(values: pd.Series) -> np.ndarray:
    """A float array of ``values`` (NaN for missing)."""
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=float)
