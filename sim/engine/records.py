"""What a replication leaves behind: per-ticket rows, an event log and time-weighted levels.

Processes only *emit* records; every statistic is computed afterwards from them (see
``sim.analysis.kpis``). Records are kept column by column in compact arrays so that a million-ticket run
fits in memory, and become pandas DataFrames at the end. Missing values are NaN, never a
sentinel.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from sim.core.names import Names

NAN = float("nan")


class Event(Names):
    """Every kind of event the log can hold, in lifecycle order.

    ``escalated`` carries "kind|reason|to_team" as its detail.
    """

    ARRIVAL = "arrival"
    QUEUED = "queued"
    CALLBACK_OFFERED = "callback_offered"
    """Detail: 'accepted' or 'declined'; logged only when the estimated wait is over the threshold."""
    CALLBACK_ATTEMPT = "callback_attempt"
    """An agent calls a customer back; detail: 'reached' or 'unreached'."""
    PICKED_UP = "picked_up"
    PENDING_CUSTOMER = "pending_customer"
    CUSTOMER_REPLIED = "customer_replied"
    ESCALATED = "escalated"
    HANDOFF = "handoff"
    REWORK = "rework"
    PRIORITY_RAISED = "priority_raised"
    TASK_QUEUED = "task_queued"
    TASK_STARTED = "task_started"
    TASK_DONE = "task_done"
    TASK_CANCELLED = "task_cancelled"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    ABANDONED = "abandoned"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    SLA_MET = "sla_met"
    WRAP_UP_DONE = "wrap_up_done"


LEVEL_METRICS = ("queue", "busy", "staffed", "overtime")
"""Time-weighted levels per team: tickets waiting, agents' busy capacity, agents on duty, and those of
them past their shift end finishing work (overtime; part of ``staffed``). A team with shrinkage adds
``away``: agents on duty but away (break, lunch, meeting); agents available = staffed - away."""


class Columns:
    """An append-only table kept column by column: 'f' floats, 'i' integers, 'n' small numbers, 'c' categories.

    Rows arrive value by value into one flat buffer (``rows``, extended directly on the hot path)
    and move into typed numpy columns a batch at a time; categories are stored as 32-bit codes. A
    million tickets' records therefore cost tens of bytes per row. The buffer holds no tuple per
    row: a list of plain values is never traversed by Python's cyclic garbage collector, which
    otherwise rescans thousands of buffered rows on every collection, and its columns come out
    by slicing (``rows[j::width]``) without transposing rows.

    A column is stored in segments of ``SEGMENT`` rows, each a memory mapping of its own, so
    building the final table (one array per column) gives the segments' memory back to the
    system as it goes: batches kept in the process's heap would stay there and nearly double
    the peak memory of a long run.
    """

    BATCH: ClassVar[int] = 4096
    """Rows per flush of ``add``: enough to amortise numpy's per-call cost, few enough to keep the buffer small."""
    SEGMENT: ClassVar[int] = 1 << 16
    """Rows per storage segment (256 or 512 KB a column): few mappings, and little unused at the end."""
    DTYPES: ClassVar[dict[str, type[np.generic]]] = {"f": np.float64, "i": np.int64, "n": np.int32, "c": np.int32}
    """The numpy type of each column kind."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.segments: dict[str, list[np.ndarray]] = {name: [] for name in kinds}
        self.codes: dict[str, dict[str, int]] = {name: {} for name, kind in kinds.items() if kind == "c"}
        self.rows: list = []
        self.width = len(kinds)
        """Values per row in the flat buffer."""
        self.limit = self.BATCH * self.width
        """Buffered values at which ``add`` moves a batch into the columns."""
        self.put: Callable[[tuple], None] = self.rows.extend
        """Append one row without checking the buffer: for hot paths whose owner calls ``flush`` regularly."""
        self._used = self.SEGMENT
        """Rows filled in each column's last segment (``SEGMENT``: full, or none yet)."""
        self._frame: pd.DataFrame | None = None

    def add(self, row: tuple) -> None:
        """Append one row (values in column order; categories as strings)."""
        rows = self.rows
        rows.extend(row)
        if len(rows) >= self.limit:
            self.flush()

    def declare(self, column: str, values: Iterable[str]) -> None:
        """Categories a column always has, in this order, even if a run never uses some of them."""
        for value in values:
            self.codes[column].setdefault(value, len(self.codes[column]))

    def flush(self) -> None:
        """Move the buffered rows into the columns (the buffer list itself is kept: writers hold it)."""
        if not self.rows:
            return
        rows, width, start = self.rows, self.width, self._used
        for j, (name, kind) in enumerate(self.kinds.items()):
            values = rows[j::width]
            if kind == "c":
                chunk = self._encode(name, values)
            else:  # fromiter skips np.array's search for a nested shape: about a fifth faster per value
                chunk = np.fromiter(values, dtype=self.DTYPES[kind], count=len(values))
            self._used = self._store(self.segments[name], chunk, start)
        rows.clear()

    def _store(self, segments: list[np.ndarray], chunk: np.ndarray, start: int) -> int:
        """Copy ``chunk`` into the column's segments from row ``start`` of the last one; returns the rows it fills."""
        size, done = self.SEGMENT, 0
        while done < len(chunk):
            if start == size:
                segments.append(_mapped(size, chunk.dtype))
                start = 0
            step = min(len(chunk) - done, size - start)
            segments[-1][start : start + step] = chunk[done : done + step]
            done += step
            start += step
        return start

    def _encode(self, column: str, values: list) -> np.ndarray:
        codes = self.codes[column]
        try:
            return np.fromiter(map(codes.__getitem__, values), dtype=np.int32, count=len(values))
        except KeyError:  # a category seen for the first time
            self.declare(column, values)
            return np.fromiter(map(codes.__getitem__, values), dtype=np.int32, count=len(values))

    def __len__(self) -> int:
        segments = len(next(iter(self.segments.values())))
        stored = segments * self.SEGMENT - (self.SEGMENT - self._used) if segments else 0
        return stored + len(self.rows) // self.width

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame, built once: each column's segments are joined and released in turn."""
        if self._frame is None:
            self.flush()
            columns = {}
            for name, kind in self.kinds.items():
                segments, self.segments[name] = self.segments[name], []
                if segments:
                    segments[-1] = segments[-1][: self._used]
                values = np.concatenate(segments) if segments else np.empty(0, dtype=self.DTYPES[kind])
                del segments
                if kind == "c":
                    values = pd.Categorical.from_codes(values, categories=list(self.codes[name]))
                columns[name] = values
            self._frame = pd.DataFrame(columns, copy=False)
        return self._frame


def _mapped(rows: int, dtype: np.dtype) -> np.ndarray:
    """An array of ``rows`` values in memory mapped for it alone: unmapped, so given back, once released.

    The C library's allocator may serve even large requests from its heap, which keeps freed
    memory in the process; an anonymous mapping is returned to the system when its last array goes.
    Its pages count against the process only once written.
    """
    return np.frombuffer(mmap.mmap(-1, rows * dtype.itemsize), dtype=dtype)


LogRow = tuple[float, int, str, str, str]
"""One event of the log: (time, ticket, event, team, detail)."""


class EventLog:
    """The per-event log: (time, ticket, event, team, detail).

    ``add`` is the buffer's own ``list.extend``, called with one row tuple: logging an event
    costs no Python call (a run logs several per ticket). The buffer is not checked on each
    add: its owner (the desk) calls ``flush`` regularly.
    """

    def __init__(self) -> None:
        self._cols = Columns({"time": "f", "ticket": "i", "event": "c", "team": "c", "detail": "c"})
        self._cols.declare("event", Event.all())
        self.add: Callable[[LogRow], None] = self._cols.put
        """Log one event: ``add((time, ticket, event, team, detail))``."""
        self.flush = self._cols.flush

    def frame(self) -> pd.DataFrame:
        """The log in time order (milestones of recorded SLA clocks are logged after the fact)."""
        df = self._cols.frame()
        times = df["time"].to_numpy()
        if len(times) and np.any(times[1:] < times[:-1]):
            df = df.iloc[np.argsort(times, kind="stable")].reset_index(drop=True)
        return df


class Levels:
    """Step functions of time (queue length, busy agents, agents on duty) per team.

    A step is buffered as (time, recorder, value): the recorder's number stands for its (team,
    metric) until the table is built, which keeps each step to three plain values.
    """

    def __init__(self, teams: Iterable[str]) -> None:
        self._cols = Columns({"time": "f", "recorder": "n", "value": "f"})
        self._teams = list(dict.fromkeys(teams))
        self._recorders: list[tuple[str, str]] = []
        """(team, metric) of each recorder, by its number."""

    def recorder(self, team: str, metric: str) -> LevelRecorder:
        """A writer for one team's level of one metric, starting at 0."""
        self._recorders.append((team, metric))
        return LevelRecorder(self._cols, len(self._recorders) - 1)

    def flush(self) -> None:
        """Move the buffered steps into the columns (recorders append unchecked: the desk flushes regularly)."""
        self._cols.flush()

    def frame(self) -> pd.DataFrame:
        """Every step of every level, in the order recorded: time, team, metric, value.

        Teams are categories in the order given, metrics in ``LEVEL_METRICS`` order, each followed
        by any other name in the order the steps first use it.
        """
        steps = self._cols.frame()
        number = steps.pop("recorder").to_numpy()
        teams = {name: code for code, name in enumerate(self._teams)}
        metrics = {name: code for code, name in enumerate(LEVEL_METRICS)}
        used, first = np.unique(number, return_index=True)
        for k in used[np.argsort(first, kind="stable")]:
            team, metric = self._recorders[k]
            teams.setdefault(team, len(teams))
            metrics.setdefault(metric, len(metrics))
        team_of = np.array([teams.get(team, -1) for team, _ in self._recorders], dtype=np.int32)
        metric_of = np.array([metrics.get(metric, -1) for _, metric in self._recorders], dtype=np.int32)
        return pd.DataFrame(
            {
                "time": steps["time"].to_numpy(),
                "team": pd.Categorical.from_codes(team_of[number], categories=list(teams)),
                "metric": pd.Categorical.from_codes(metric_of[number], categories=list(metrics)),
                "value": steps["value"].to_numpy(),
            },
            copy=False,
        )


class LevelRecorder:
    """One team's level of one metric; ``change`` appends a new step (unchecked: see ``Levels.flush``)."""

    __slots__ = ("_extend", "_number", "value")

    def __init__(self, cols: Columns, number: int) -> None:
        self.value = 0.0
        self._extend = cols.put
        self._number = number

    def change(self, now: float, delta: float) -> None:
        """Move the level by ``delta`` at ``now`` (the hot path, like ``EventLog.add``)."""
        self.value += delta
        self._extend((now, self._number, self.value))


class Exit(Names):
    """How a ticket's stay at a team ended (the ``exit`` column of the visits table)."""

    RESOLVED = "resolved"
    ESCALATED = "escalated"
    ABANDONED = "abandoned"
    OPEN = "open"


VISIT_COLUMNS = {"ticket": "i", "team": "c", "entered": "f", "left": "f", "work": "f", "exit": "c"}
"""One row per stay of a ticket at a team: when it came and left, the agent time it got, how it left."""

TASK_COLUMNS = {"ticket": "i", "kind": "c", "team": "c", "queued": "f", "started": "f", "work": "f"}
"""One row per finished task (review, consult, follow-up, update, warm-handoff hold): who, how long."""

ESCALATION_COLUMNS = {"time": "f", "ticket": "i", "kind": "c", "reason": "c", "from_team": "c", "to_team": "c"}
"""One row per escalation; kept even when the event log is off, as escalation KPIs come from it."""


def escalations_from(events: pd.DataFrame) -> pd.DataFrame:
    """The structured escalation table (time, ticket, kind, reason, from_team, to_team) from the event log."""
    rows = events[events["event"] == "escalated"]
    parts = rows["detail"].astype(str).str.split("|", expand=True, n=2)
    if parts.empty:
        parts = pd.DataFrame(columns=[0, 1, 2])
    return pd.DataFrame(
        {
            "time": rows["time"].to_numpy(),
            "ticket": rows["ticket"].to_numpy(),
            "kind": parts[0].to_numpy(),
            "reason": parts[1].to_numpy(),
            "from_team": rows["team"].astype(str).to_numpy(),
            "to_team": parts[2].to_numpy(),
        }
    )


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
    escalations: pd.DataFrame
    self_service: pd.DataFrame | None = None
    """One row per self-service attempt (``sim.engine.self_service``); None when no category offers it."""
    volume_factors: pd.DataFrame | None = None
    """(channel, day, factor) of the channels with ``volume_uncertainty``; None when no channel has one."""
    agents: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per agent per duty block (``sim.engine.agent_time.AGENT_COLUMNS``) when the scenario models
    agent time (after-call work or shrinkage); empty otherwise."""
