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


def group_stays(tickets: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per stay of a ticket at a group, in order: the ticket's first group, then each group change.

    Columns: ``ticket``, ``category``, ``channel``, ``first_group``, ``step`` (0 = first stay),
    ``group``, ``next_group`` ("" on the last stay), ``last`` and ``solved`` (the ticket's final
    solve). A group change to the group already holding the ticket is not a new stay. Events of
    tickets missing from the ticket table are ignored.
    """
    firsts = pd.DataFrame(
        {"ticket": tickets["ticket"], "group": tickets["group"], "key": 0, "time": tickets["created"]}
    )
    changes = events.loc[events["kind"] == GROUP_CHANGE, ["ticket", "group", "time"]].assign(key=1)
    changes = changes[changes["ticket"].isin(tickets["ticket"])]
    seq = pd.concat([firsts, changes], ignore_index=True).sort_values(["ticket", "key", "time"], kind="mergesort")
    same_ticket = seq["ticket"].eq(seq["ticket"].shift())
    seq = seq[~(same_ticket & seq["group"].eq(seq["group"].shift()))].reset_index(drop=True)
    last = ~seq["ticket"].eq(seq["ticket"].shift(-1))
    info = tickets.set_index("ticket")
    out = pd.DataFrame(
        {
            "ticket": seq["ticket"],
            "category": seq["ticket"].map(info["category"]),
            "channel": seq["ticket"].map(info["channel"]),
            "first_group": seq["ticket"].map(info["group"]),
            "step": seq.groupby("ticket", sort=False).cumcount(),
            "group": seq["group"],
            "next_group": seq["group"].shift(-1).where(~last, ""),
            "last": last,
            "solved": seq["ticket"].map(info["solved"]).notna(),
        }
    )
    return out


def stay_work(tickets: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Handle times from events: each exported ``work_minutes`` with the category and the group it was spent at.

    An event's ``work_minutes`` is the work of the stay that ends at it, so it belongs to the group
    holding the ticket just *before* the event: the group of the latest earlier group change or
    assignment of the ticket, else the ticket's first group. Columns: ``category``, ``group``,
    ``work_minutes``.
    """
    ev = events[events["ticket"].isin(tickets["ticket"])]
    moves = ev["kind"].isin([GROUP_CHANGE, ASSIGNMENT])
    holder = ev["group"].where(moves).groupby(ev["ticket"], sort=False).ffill()
    before = holder.groupby(ev["ticket"], sort=False).shift(1)
    info = tickets.set_index("ticket")
    before = before.fillna(ev["ticket"].map(info["group"]))
    work = ev["work_minutes"].notna()
    return pd.DataFrame(
        {
            "category": ev.loc[work, "ticket"].map(info["category"]),
            "group": before[work],
            "work_minutes": ev.loc[work, "work_minutes"].astype(float),
        }
    ).reset_index(drop=True)


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
