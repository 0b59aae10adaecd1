"""Shared helpers: small scenario documents, and the records of a run as plain Python values."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from sim.engine.desk import run_replication
from sim.engine.records import RunRecords
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
ERLANG_C = SCENARIOS / "validation" / "erlang_c.yaml"
ERLANG_A = SCENARIOS / "validation" / "erlang_a.yaml"
BASELINE = SCENARIOS / "baseline.yaml"


def bundled_scenarios() -> list[Path]:
    """Every scenario file shipped under scenarios/ (sweep specifications in scenarios/sweeps/ are another format)."""
    return sorted(p for p in SCENARIOS.rglob("*.yaml") if SCENARIOS / "sweeps" not in p.parents)


def fixed(minutes: float) -> dict[str, Any]:
    """A ``{dist: fixed}`` distribution document."""
    return {"dist": "fixed", "value": minutes}


def scenario_doc(**fields: Any) -> dict[str, Any]:
    """A minimal valid scenario document: one phone channel, one category, one agent, 100 minutes.

    Keyword arguments replace top-level fields whole (``teams=[...]``, ``horizon=60``).
    """
    doc: dict[str, Any] = {
        "name": "story",
        "horizon": 100,
        "priorities": ["P1", "P2"],
        "channels": [{"name": "phone", "arrival_times": [0, 1, 2], "category_mix": {"question": 1}}],
        "categories": [{"name": "question", "handle_time": fixed(10)}],
        "teams": [{"name": "desk", "agents": 1}],
        "routing": [{"team": "desk"}],
    }
    doc.update(copy.deepcopy(fields))
    return doc


def build(**fields: Any) -> Scenario:
    """A validated scenario from ``scenario_doc(**fields)``."""
    return validate(scenario_doc(**fields), "<test>")


def simulate(**fields: Any) -> RunRecords:
    """Replication 0 of ``build(**fields)``."""
    return run_replication(build(**fields))


def event_log(records: RunRecords, detail: bool = False) -> list[tuple]:
    """The event log as (time, ticket, event, team[, detail]) tuples, in recorded order."""
    columns = ["time", "ticket", "event", "team"] + (["detail"] if detail else [])
    frame = records.events[columns]
    return [(float(row[0]), int(row[1]), *map(str, row[2:])) for row in frame.itertuples(index=False)]


def ticket_rows(records: RunRecords, columns: list[str]) -> list[tuple]:
    """Selected ticket columns as tuples sorted by ticket id, NaN shown as None for exact comparison."""
    frame = records.tickets.sort_values("ticket")[["ticket", *columns]]
    return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value; missing (NaN) becomes None."""
    if not isinstance(value, str) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def assert_conserved(tickets: pd.DataFrame, events: pd.DataFrame) -> None:
    """arrived = resolved + abandoned + open, checked ticket by ticket against the event log.

    Every arrival event has exactly one ticket row, and each row's outcome is what the ticket's
    last ending event says: 'resolved', 'abandoned', or open (no ending yet, or reopened since).
    Both frames may carry a ``replication`` column; tickets are then told apart by (replication, ticket).
    """
    keys = [c for c in ("replication", "ticket") if c in tickets.columns]
    kinds = events["event"].astype(str)
    assert len(tickets) == int((kinds == "arrival").sum())
    assert not tickets.duplicated(keys).any()
    outcomes = tickets.set_index(keys)["outcome"].astype(str)
    assert set(outcomes) <= {"resolved", "abandoned", "open"}
    endings = events[kinds.isin(["resolved", "reopened", "abandoned"])]
    last = endings.groupby(keys, observed=True, sort=False)["event"].last().astype(str)
    fate = last.reindex(outcomes.index).fillna("open").replace("reopened", "open")
    assert fate.equals(outcomes)
