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

EVENT_KINDS = ("arrival", "queued", "picked_up", "pending_customer", "customer_replied", "resolved",
               "abandoned", "sla_warning", "sla_breach", "sla_met")
"""Every kind of event the log can hold, in lifecycle order."""

LEVEL_METRICS = ("queue", "busy", "staffed")
"""Time-weighted levels per team: tickets waiting, agents' busy capacity, agents on duty."""


class Columns:
    """An append-only table kept as typed arrays: 'f' floats, 'i' integers, 'c' categories."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.data = {name: array("d" if kind == "f" else "q" if kind == "i" else "i") for name, kind in kinds.items()}
        self.vocab: dict[str, dict[str, int]] = {name: {} for name, kind in kinds.items() if kind == "c"}

    def code(self, column: str, value: str) -> int:
        """The integer code of a category value, allocating one on first sight."""
        vocab = self.vocab[column]
        code = vocab.get(value)
        if code is None:
            code = vocab[value] = len(vocab)
        return code

    def __len__(self) -> int:
        return len(next(iter(self.data.values())))

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (categories become pandas categoricals)."""
        columns = {}
        for name, kind in self.kinds.items():
            values = np.frombuffer(self.data[name], dtype={"f": np.float64, "i": np.int64, "c": np.int32}[kind]).copy()
            if kind == "c":
                cats = sorted(self.vocab[name], key=self.vocab[name].get)
                values = pd.Categorical.from_codes(values, categories=cats) if cats else pd.Categorical([])
            columns[name] = values
        return pd.DataFrame(columns)


class EventLog:
    """The per-event log: (time, ticket, event, team, detail)."""

    def __init__(self) -> None:
        self._cols = Columns({"time": "f", "ticket": "i", "event": "c", "team": "c", "detail": "c"})
        for kind in EVENT_KINDS:
            self._cols.code("event", kind)
        d = self._cols.data
        self._time, self._ticket, self._event, self._team, self._detail = (
            d["time"].append, d["ticket"].append, d["event"].append, d["team"].append, d["detail"].append)

    def add(self, time: float, ticket: int, event: str, team: str = "", detail: str = "") -> None:
        cols = self._cols
        self._time(time)
        self._ticket(ticket)
        self._event(cols.vocab["event"][event])
        self._team(cols.code("team", team))
        self._detail(cols.code("detail", detail))

    def frame(self) -> pd.DataFrame:
        df = self._cols.frame()
        for column in ("team", "detail"):
            df[column] = df[column].astype(str).astype("category")
        return df


class Levels:
    """Step functions of time (queue length, busy agents, agents on duty) per team."""

    def __init__(self, teams: Iterable[str]) -> None:
        self._cols = Columns({"time": "f", "team": "c", "metric": "c", "value": "f"})
        for team in teams:
            self._cols.code("team", team)
        for metric in LEVEL_METRICS:
            self._cols.code("metric", metric)
        d = self._cols.data
        self._append = (d["time"].append, d["team"].append, d["metric"].append, d["value"].append)

    def recorder(self, team: str, metric: str) -> "LevelRecorder":
        return LevelRecorder(self._append, self._cols.vocab["team"][team], self._cols.vocab["metric"][metric])

    def frame(self) -> pd.DataFrame:
        return self._cols.frame()


class LevelRecorder:
    """One team's level of one metric; ``change`` appends a new step."""

    __slots__ = ("value", "_t", "_team", "_metric", "_v", "_team_code", "_metric_code")

    def __init__(self, append: tuple, team_code: int, metric_code: int) -> None:
        self.value = 0.0
        self._t, self._team, self._metric, self._v = append
        self._team_code = team_code
        self._metric_code = metric_code

    def change(self, now: float, delta: float) -> None:
        self.value += delta
        self._t(now)
        self._team(self._team_code)
        self._metric(self._metric_code)
        self._v(self.value)


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
