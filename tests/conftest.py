"""Shared helpers: small scenario documents, and the records of a run as plain Python values."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.engine.records import RunRecords
from sim.engine.replication import run_replication
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
"""Headless Chromium as root on a closed network: no sandbox, no GPU, and no calls home (they would be refused)."""
SCENARIOS = ROOT / "scenarios"
ERLANG_C = SCENARIOS / "validation" / "erlang_c.yaml"
ERLANG_A = SCENARIOS / "validation" / "erlang_a.yaml"
BASELINE = SCENARIOS / "baseline.yaml"


def bundled_scenarios() -> list[Path]:
    """Every scenario file shipped under scenarios/ (sweep files in scenarios/sweeps/ and goals files in
    scenarios/goals/ are other formats)."""
    other = {SCENARIOS / "sweeps", SCENARIOS / "goals"}
    return sorted(p for p in SCENARIOS.rglob("*.yaml") if not other & set(p.parents))


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


# -- statistical checks against theory -----------------------------------------------------------------------
CHECK_RISK = 1e-4
"""Probability that one theory check fails a correct engine by chance: its interval is at level 1 - CHECK_RISK.

The suite's false-failure rate is at most the sum over its checks (test_against_theory counts them)."""


def controlled_mean(values: Any, controls: Any = None) -> tuple[float, float, int]:
    """Mean of per-replication values adjusted by control variates of known mean 0, its standard error, dof.

    Ordinary least squares of the values on the controls: the intercept is the values' mean where the
    controls take their expected value (0), and its standard error has n - 1 - k degrees of freedom.
    Without controls this is the plain mean and its standard error (n - 1 degrees of freedom).
    """
    y = np.asarray(values, dtype=float)
    x = np.ones((len(y), 1))
    if controls is not None:
        given = np.asarray(controls, dtype=float).reshape(len(y), -1)
        varies = given.std(axis=0) > 1e-9 * (np.abs(given).mean(axis=0) + 1)
        x = np.column_stack([x, given[:, varies]])  # a constant control (fixed times, up to rounding) adds nothing
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    dof = len(y) - x.shape[1]
    variance = float(residual @ residual) / dof * np.linalg.inv(x.T @ x)[0, 0]
    return float(coef[0]), math.sqrt(variance), dof


def within(values: Any, theory: Any, bound: float, controls: Any = None, risk: float = CHECK_RISK) -> tuple[bool, str]:
    """Whether a simulated mean is within ``bound`` of theory, with an interval narrow enough to say so.

    ``bound`` is relative to ``theory`` (to 1 where theory is 0). Both must hold: the controlled mean
    lies within the bound of theory, and the half-width of its interval at level 1 - ``risk`` is at
    most the bound, so the check cannot silently lose power. A correct engine then fails with
    probability at most ``risk`` (plus the chance that the interval comes out wider than the bound),
    and a relative bias of bound + 1.28 standard errors (the account's ``power``) fails it with
    probability 0.9 or more. ``theory`` may also be another simulator's per-replication values: the
    check is then two-sample (the difference of the means, Welch's standard error and degrees of
    freedom). Returns the verdict and a readable account.
    """
    mean, se, dof = controlled_mean(values, controls)
    if np.ndim(theory):
        other, other_se, other_dof = controlled_mean(theory)
        variance = se**2 + other_se**2
        dof = int(variance**2 / (se**4 / dof + other_se**4 / other_dof))
        se, theory = math.sqrt(variance), other
    scale = abs(theory) if theory != 0 else 1.0
    half = float(stdtrit(dof, 1 - risk / 2)) * se
    limit = bound * scale
    ok = abs(mean - theory) <= limit and half <= limit
    account = (
        f"theory {theory:.5g}, simulated {mean:.5g} ± {half:.3g} (level 1-{risk:g}, dof {dof}); "
        f"relative error {(mean - theory) / scale:+.4f}, bound {bound:.4f}, half-width {half / scale:.4f}, "
        f"power {(limit + 1.2816 * se) / scale:.4f}"
    )
    return ok, account
