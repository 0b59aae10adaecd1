"""What a replication leaves behind: per-ticket rows, an event log and time-weighted levels.

Processes only *emit* records; every statistic is computed afterwards from them (see
``metrics``). Records are kept column by column in compact arrays so that a million-ticket run
fits in memory, and become pandas DataFrames at the end. Missing values are NaN, never a
sentinel.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

NAN = float("nan")

EVENT_KINDS = ("arrival", "queued", "picked_up", "pending_customer", "customer_replied", "escalated", "handoff",
               "rework", "priority_raised", "task_queued", "task_started", "task_done", "task_cancelled", "resolved",
               "reopened", "abandoned", "sla_warning", "sla_breach", "sla_met")
"""Every kind of event the log can hold. ``escalated`` carries "kind|reason|to_team" as its detail."""
"""Every kind of event the log can hold, in lifecycle order."""

LEVEL_METRICS = ("queue", "busy", "staffed")
"""Time-weighted levels per team: tickets waiting, agents' busy capacity, agents on duty."""


class Columns:
    """An append-only table kept column by column: 'f' floats, 'i' integers, 'c' categories.

    Rows arrive as tuples into a small buffer and move into the columns a batch at a time, which
    keeps appending cheap on the hot path and memory compact for long runs: numbers live in typed
    arrays, categories as references to a few shared strings.
    """

    BATCH = 4096

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.data = {name: [] if kind == "c" else array("d" if kind == "f" else "q") for name, kind in kinds.items()}
        self.categories: dict[str, list[str]] = {name: [] for name, kind in kinds.items() if kind == "c"}
        self._rows: list[tuple] = []

    def add(self, row: tuple) -> None:
        """Append one row (values in column order; categories as strings)."""
        rows = self._rows
        rows.append(row)
        if len(rows) >= self.BATCH:
            self._flush()

    def declare(self, column: str, values: Iterable[str]) -> None:
        """Categories a column always has, in this order, even if a run never uses some of them."""
        self.categories[column].extend(values)

    def _flush(self) -> None:
        if not self._rows:
            return
        for name, values in zip(self.kinds, zip(*self._rows)):
            self.data[name].extend(values)
        self._rows = []

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) + len(self._rows)

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (categories become pandas categoricals)."""
        self._flush()
        columns = {}
        for name, kind in self.kinds.items():
            if kind == "c":
                seen = pd.unique(np.asarray(self.data[name], dtype=object))
                declared = self.categories[name]
                cats = declared + sorted(set(seen) - set(declared))
                columns[name] = pd.Categorical(self.data[name], categories=cats)
            else:
                columns[name] = np.frombuffer(self.data[name], dtype=np.float64 if kind == "f" else np.int64).copy()
        return pd.DataFrame(columns)


class EventLog:
    """The per-event log: (time, ticket, event, team, detail)."""

    def __init__(self) -> None:
        self._cols = Columns({"time": "f", "ticket": "i", "event": "c", "team": "c", "detail": "c"})
        self._cols.declare("event", EVENT_KINDS)

    def add(self, time: float, ticket: int, event: str, team: str = "", detail: str = "") -> None:
        cols = self._cols
        cols._rows.append((time, ticket, event, team, detail))
        if len(cols._rows) >= cols.BATCH:
            cols._flush()

    def frame(self) -> pd.DataFrame:
        """The log in time order (milestones of recorded SLA clocks are logged after the fact)."""
        df = self._cols.frame()
        order = np.argsort(df["time"].to_numpy(), kind="stable")
        return df.iloc[order].reset_index(drop=True)


class Levels:
    """Step functions of time (queue length, busy agents, agents on duty) per team."""

    def __init__(self, teams: Iterable[str]) -> None:
        self._cols = Columns({"time": "f", "team": "c", "metric": "c", "value": "f"})
        self._cols.declare("team", teams)
        self._cols.declare("metric", LEVEL_METRICS)

    def recorder(self, team: str, metric: str) -> "LevelRecorder":
        return LevelRecorder(self._cols, team, metric)

    def frame(self) -> pd.DataFrame:
        return self._cols.frame()


class LevelRecorder:
    """One team's level of one metric; ``change`` appends a new step."""

    __slots__ = ("value", "_cols", "_team", "_metric")

    def __init__(self, cols: Columns, team: str, metric: str) -> None:
        self.value = 0.0
        self._cols = cols
        self._team = team
        self._metric = metric

    def change(self, now: float, delta: float) -> None:
        self.value += delta
        cols = self._cols
        cols._rows.append((now, self._team, self._metric, self.value))
        if len(cols._rows) >= cols.BATCH:
            cols._flush()


class Visits:
    """One row per stay of a ticket at a team: when it came, when it left, the agent time it got there."""

    def __init__(self) -> None:
        self._cols = Columns({"ticket": "i", "team": "c", "entered": "f", "left": "f", "work": "f", "exit": "c"})

    def add(self, ticket: int, team: str, entered: float, left: float, work: float, exit: str) -> None:
        self._cols.add((ticket, team, entered, left, work, exit))

    def frame(self) -> pd.DataFrame:
        return self._cols.frame()


class Tasks:
    """One row per finished task (review, consult, follow-up, update): who did it and how long it took."""

    def __init__(self) -> None:
        self._cols = Columns({"ticket": "i", "kind": "c", "team": "c", "queued": "f", "started": "f", "work": "f"})

    def add(self, ticket: int, kind: str, team: str, queued: float, started: float, work: float) -> None:
        self._cols.add((ticket, kind, team, queued, started, work))

    def frame(self) -> pd.DataFrame:
        return self._cols.frame()


def escalations_from(events: pd.DataFrame) -> pd.DataFrame:
    """The structured escalation table (time, ticket, kind, reason, from_team, to_team) from the event log."""
    rows = events[events["event"] == "escalated"]
    parts = rows["detail"].astype(str).str.split("|", expand=True, n=2)
    if parts.empty:
        parts = pd.DataFrame(columns=[0, 1, 2])
    return pd.DataFrame({"time": rows["time"].to_numpy(), "ticket": rows["ticket"].to_numpy(),
                         "kind": parts[0].to_numpy(), "reason": parts[1].to_numpy(),
                         "from_team": rows["team"].astype(str).to_numpy(), "to_team": parts[2].to_numpy()})


@dataclass
class RunRecords:
    """All records of one replication, as DataFrames."""

    replication: int
    seed: int
    tickets: pd.DataFrame
    events: pd.DataFrame
    levels: pd.DataFrame
    horizon: float
    warmup: float
    visits: pd.DataFrame
    tasks: pd.DataFrame
