"""What a replication leaves behind: per-ticket rows, an event log and time-weighted levels.

Processes only *emit* records; every statistic is computed afterwards from them (see
``sim.analysis.kpis``). Records are kept column by column in compact arrays so that a million-ticket run
fits in memory, and become pandas DataFrames at the end. Missing values are NaN, never a
sentinel.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from operator import itemgetter
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
    and move into typed numpy columns a batch at a time; categories are stored as codes of the
    width pandas keeps them in (one byte while a column has fewer than 127 categories). A million
    tickets' records therefore cost tens of bytes per row. The buffer holds no tuple per row: a
    list of plain values is never traversed by Python's cyclic garbage collector, which otherwise
    rescans thousands of buffered rows on every collection, and its columns come out by slicing
    (``rows[j::width]``) without transposing rows.

    Each column lives in one memory mapping of its own that grows as rows arrive (on Linux the
    kernel moves its pages rather than copying them), so the final table is a view of it: building
    it copies nothing and touches no fresh memory, and the mapping goes back to the system with
    the table's last array.
    """

    BATCH: ClassVar[int] = 4096
    """Rows per flush of ``add``: enough to amortise numpy's per-call cost, few enough to keep the buffer small."""
    ROOM: ClassVar[int] = 1 << 16
    """Rows each column first has room for, doubled as needed (only the pages written count against the process)."""
    DTYPES: ClassVar[dict[str, type[np.generic]]] = {"f": np.float64, "i": np.int64, "n": np.int32}
    """The numpy type of each column kind but categories (``code_type``)."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.codes: dict[str, dict[str, int]] = {name: {} for name, kind in kinds.items() if kind == "c"}
        self.rows: list = []
        self.width = len(kinds)
        """Values per row in the flat buffer."""
        self.limit = self.BATCH * self.width
        """Buffered values at which ``add`` moves a batch into the columns."""
        self.put: Callable[[Iterable[object]], None] = self.rows.extend
        """Append one row without checking the buffer: for hot paths whose owner calls ``flush`` regularly."""
        self._types = {name: np.dtype(self.DTYPES.get(kind, np.int8)) for name, kind in kinds.items()}
        self._maps: dict[str, mmap.mmap] = {}
        self._views: dict[str, np.ndarray] = {}
        """Each column's mapping as an array (dropped while the mapping is resized: an exported buffer blocks it)."""
        self._stored = 0
        self._room = 0
        self._arrays: dict[str, np.ndarray] | None = None
        self._frame: pd.DataFrame | None = None

    def add(self, row: tuple) -> None:
        """Append one row (values in column order; categories as strings)."""
        rows = self.rows
        rows.extend(row)
        if len(rows) >= self.limit:
            self.flush()

    def declare(self, column: str, values: Iterable[str]) -> None:
        """Categories a column always has, in this order, even if a run never uses some of them.

        Also called with a whole batch when a new category turns up in it: repeats are dropped in C first.
        """
        codes = self.codes[column]
        for value in dict.fromkeys(values):
            codes.setdefault(value, len(codes))
        if code_type(len(codes)) != self._types[column]:
            self._widen(column)

    def flush(self) -> None:
        """Move the buffered rows into the columns (the buffer list itself is kept: writers hold it)."""
        if not self.rows:
            return
        rows, width, types = self.rows, self.width, self._types
        start, end = self._stored, self._stored + len(rows) // width
        if end > self._room:
            self._grow(end)
        for j, (name, kind) in enumerate(self.kinds.items()):
            values = rows[j::width]
            chunk = self._encode(name, values) if kind == "c" else _packed(values, len(values), types[name])
            self._views[name][start:end] = chunk
        self._stored = end
        rows.clear()

    def _grow(self, rows: int) -> None:
        """Give every column room for at least ``rows`` rows."""
        room = max(self._room, self.ROOM)
        while room < rows:
            room *= 2
        for name in self.kinds:
            self._views.pop(name, None)
            mapping = self._maps.get(name)
            size = room * self._types[name].itemsize
            self._maps[name] = _mapping(size) if mapping is None else _resized(mapping, size)
            self._views[name] = np.frombuffer(self._maps[name], self._types[name])
        self._room = room

    def _widen(self, column: str) -> None:
        """Store a category column's codes in the wider type its number of categories now needs."""
        dtype = self._types[column] = code_type(len(self.codes[column]))
        if column in self._views:
            old, self._maps[column] = self._views.pop(column), _mapping(self._room * dtype.itemsize)
            self._views[column] = np.frombuffer(self._maps[column], dtype)
            self._views[column][: self._stored] = old[: self._stored]

    def _encode(self, column: str, values: list) -> np.ndarray:
        """The codes of a batch of a category column (``values`` is not empty)."""
        try:
            return _packed(_codes_of(self.codes[column], values), len(values), self._types[column])
        except KeyError:  # a category seen for the first time
            self.declare(column, values)
            return _packed(_codes_of(self.codes[column], values), len(values), self._types[column])

    def __len__(self) -> int:
        return self._stored + len(self.rows) // self.width

    def arrays(self) -> dict[str, np.ndarray]:
        """Each column's values (categories: their codes, see ``codes``), built once: views of the columns' memory."""
        if self._arrays is None:
            self.flush()
            self._arrays = {name: self._release(name) for name in self.kinds}
            self._stored = self._room = 0
        return self._arrays

    def _release(self, column: str) -> np.ndarray:
        """The column's rows as an array that owns its mapping, cut to size; the table lets go of it."""
        self._views.pop(column, None)
        mapping = self._maps.pop(column, None)
        if mapping is None:
            return np.empty(0, dtype=self._types[column])
        with suppress(OSError, SystemError):  # where it cannot shrink in place, the view leaves the rest out
            mapping.resize(max(self._stored * self._types[column].itemsize, 1))
        return np.frombuffer(mapping, self._types[column], count=self._stored)

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame, built once (see ``arrays``)."""
        if self._frame is None:
            columns = {
                name: self.categorical(name, values) if self.kinds[name] == "c" else values
                for name, values in self.arrays().items()
            }
            self._frame = pd.DataFrame(columns, copy=False)
        return self._frame

    def categorical(self, column: str, codes: np.ndarray) -> pd.Categorical:
        """A category column from its codes (``arrays``)."""
        return _categorical(codes, self.codes[column])


def _codes_of(codes: dict[str, int], values: list) -> tuple[int, ...]:
    """The code of each of ``values`` (at least one), looked up in one C call; a KeyError for a category not declared.

    ``itemgetter`` finds them a third faster than ``map(codes.__getitem__, ...)``: 11.5 ns a value against 17.
    """
    found = itemgetter(*values)(codes)
    return found if len(values) > 1 else (found,)


def _packed(values: Iterable[object], count: int, dtype: np.dtype) -> np.ndarray:
    """The ``count`` numbers ``values`` as an array of ``dtype``, converted by ``struct``: exactly as numpy stores them.

    ``struct.pack`` converts a list of Python numbers about twice as fast as ``np.fromiter`` (no
    iterator protocol, no numpy scalar machinery per value): 7-10 ns a float against 13-15.
    """
    return np.frombuffer(struct.pack(f"={count}{_STRUCT[dtype.kind, dtype.itemsize]}", *values), dtype)


_STRUCT = {("f", 8): "d", ("i", 8): "q", ("i", 4): "i", ("i", 2): "h", ("i", 1): "b"}
"""The ``struct`` code (standard size) of each column type."""


def code_type(categories: int) -> np.dtype:
    """The integer type pandas keeps the codes of so many categories in (``coerce_indexer_dtype``)."""
    for dtype in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _mapping(size: int) -> mmap.mmap:
    """``size`` bytes of memory mapped for them alone: unmapped, so given back, once released.

    The C library's allocator may serve even large requests from its heap, which keeps freed
    memory in the process; an anonymous mapping is returned to the system when its last array
    goes. Its pages count against the process only once written. Private, so that Linux can
    grow it in place or move its pages (a shared one would fault beyond its first size).
    """
    if hasattr(mmap, "MAP_PRIVATE"):
        return mmap.mmap(-1, max(size, 1), flags=mmap.MAP_PRIVATE)
    return mmap.mmap(-1, max(size, 1))


def _resized(mapping: mmap.mmap, size: int) -> mmap.mmap:
    """The mapping with ``size`` bytes, its contents kept: resized in place, or copied where it cannot be."""
    size = max(size, 1)
    try:
        mapping.resize(size)
    except (OSError, SystemError):  # no mremap (macOS), or an anonymous mapping that cannot change (Windows)
        moved = _mapping(size)
        kept = min(size, len(mapping))
        np.frombuffer(moved, np.uint8, count=kept)[:] = np.frombuffer(mapping, np.uint8, count=kept)
        return moved
    return mapping


LogRow = tuple[float, int, str, str, str]
"""One event of the log: (time, ticket, event, team, detail)."""


EVENT_COLUMNS = {"time": "f", "ticket": "i", "event": "c", "team": "c", "detail": "c"}
"""The event log's columns (``c``: a category)."""

LEVEL_COLUMNS = {"time": "f", "team": "c", "metric": "c", "value": "f"}
"""The levels table's columns: each step of one team's level of one metric."""


class EventLog:
    """The per-event log: (time, ticket, event, team, detail).

    ``add`` is the buffer's own ``list.extend``, called with one row tuple: logging an event
    costs no Python call (a run logs several per ticket). The buffer is not checked on each
    add: its owner (the desk) calls ``flush`` regularly.
    """

    def __init__(self) -> None:
        self._cols = Columns(EVENT_COLUMNS)
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
        cols = self._cols
        steps = cols.arrays()
        number = steps["recorder"]
        teams = {name: code for code, name in enumerate(self._teams)}
        metrics = {name: code for code, name in enumerate(LEVEL_METRICS)}
        for k in self._new_names_first_used(number, teams, metrics):
            team, metric = self._recorders[k]
            teams.setdefault(team, len(teams))
            metrics.setdefault(metric, len(metrics))
        team_of = np.array([teams.get(team, -1) for team, _ in self._recorders], dtype=code_type(len(teams)))
        metric_of = np.array([metrics.get(m, -1) for _, m in self._recorders], dtype=code_type(len(metrics)))
        return pd.DataFrame(
            {
                "time": steps["time"],
                "team": _categorical(_lookup(team_of, number), teams),
                "metric": _categorical(_lookup(metric_of, number), metrics),
                "value": steps["value"],
            },
            copy=False,
        )

    def _new_names_first_used(self, number: np.ndarray, teams: dict[str, int], metrics: dict[str, int]) -> list[int]:
        """The recorders used whose team or metric is not known yet, in the order the steps first use them.

        Only they add categories, and there are usually none: each costs one pass over the steps,
        where ordering every recorder by first use would sort all the steps.
        """
        first = {}
        for k, (team, metric) in enumerate(self._recorders):
            if (team not in teams or metric not in metrics) and len(number):
                at = int(np.argmax(number == k))
                if number[at] == k:
                    first[k] = at
        return sorted(first, key=first.__getitem__)


def _lookup(table: np.ndarray, index: np.ndarray, block: int = 1 << 13) -> np.ndarray:
    """``table[index]`` a block at a time: numpy turns an index into a temporary of 8 bytes a value."""
    out = np.empty(len(index), dtype=table.dtype)
    for start in range(0, len(index), block):
        np.take(table, index[start : start + block], out=out[start : start + block], mode="clip")
    return out


def _categorical(codes: np.ndarray, categories: dict[str, int]) -> pd.Categorical:
    """A category column from codes built here (valid, so not checked again), categories in code order."""
    return pd.Categorical.from_codes(codes, categories=list(categories), validate=False)


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
