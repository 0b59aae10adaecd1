"""Same seed, same tables: a fingerprint of every record table, held while the engine is made faster (issue 17).

Each case simulates one replication of a bundled scenario (shortened) and hashes its tickets,
events and levels tables column by column: the exact bytes of every number, the text of every
label. A change to the engine that alters any record, by one bit, one reordered event or one
extra random draw, changes a hash and fails the test, which names the table and the columns.
Speed work must keep them all; a deliberate change of behaviour updates ``fingerprints.json``
(``python tests/test_fingerprint.py --update``) in a commit that says why.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FINGERPRINTS = HERE / "fingerprints.json"
CASES = {
    "erlang_c": ("scenarios/validation/erlang_c.yaml", ["horizon=2d"]),
    "baseline": ("scenarios/baseline.yaml", ["horizon=3d"]),
    "tiered": ("scenarios/tiered.yaml", ["horizon=3d"]),
    "handoff": ("scenarios/handoff.yaml", ["horizon=3d"]),
    "swarming": ("scenarios/swarming.yaml", ["horizon=3d"]),
    "auto_escalation": ("scenarios/auto_escalation.yaml", ["horizon=5d"]),
    "outage_surge": ("scenarios/outage_surge.yaml", []),
    "contact_centre": ("scenarios/contact_centre.yaml", ["horizon=2d"]),
    "vip": ("scenarios/vip.yaml", ["horizon=3d"]),
    "financial_services": ("scenarios/financial_services.yaml", ["horizon=3d"]),
    "healthcare": ("scenarios/healthcare.yaml", ["horizon=3d"]),
    "authority": ("scenarios/authority.yaml", ["horizon=3d"]),
}
"""Every bundled scenario, shortened, replication 1 on its own seed: escalation, shifts, SLA calendars, surges."""
TABLES = ("tickets", "events", "levels")


def column_hash(values: pd.Series) -> str:
    """The exact content of a column: a number's bytes (NaN as NaN), or each value's text."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        data = np.ascontiguousarray(values.to_numpy(dtype=np.float64, na_value=np.nan)).tobytes()
    else:
        data = "\x1f".join("<NA>" if pd.isna(v) else str(v) for v in values).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def fingerprint(name: str, extra: tuple[str, ...] = ()) -> dict[str, dict[str, str]]:
    """Per table, per column: the hash of replication 1 of the case (rows as recorded); ``extra`` overrides on top."""
    from sim.engine.replication import run_replication
    from sim.scenario.loader import load_scenario

    path, overrides = CASES[name]
    scenario = load_scenario(ROOT / path, [*overrides, *extra])
    records = run_replication(scenario, 1, scenario.seed)
    prints = {}
    for table in TABLES:
        frame = getattr(records, table)
        prints[table] = {"rows": str(len(frame)), **{str(c): column_hash(frame[c]) for c in frame.columns}}
    return prints


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_seed_gives_the_same_tables_as_recorded(name: str) -> None:
    expected = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))[name]
    actual = fingerprint(name)
    for table in TABLES:
        changed = sorted(
            c for c in expected[table].keys() | actual[table].keys() if expected[table].get(c) != actual[table].get(c)
        )
        assert not changed, (
            f"{name}: {table} differs in {changed} (rows {expected[table]['rows']} -> {actual[table]['rows']})"
        )


def test_a_handle_time_one_millionth_longer_changes_the_fingerprint() -> None:
    recorded = json.loads(FINGERPRINTS.read_text(encoding="utf-8"))["erlang_c"]
    nudged = fingerprint("erlang_c", ("teams.agents.handle_time_multiplier=1.000001",))
    assert nudged["tickets"]["work_time"] != recorded["tickets"]["work_time"]
    assert nudged["events"]["time"] != recorded["events"]["time"]


if __name__ == "__main__" and "--update" in sys.argv:
    sys.path.insert(0, str(ROOT))
    FINGERPRINTS.write_text(json.dumps({name: fingerprint(name) for name in CASES}, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FINGERPRINTS}")
