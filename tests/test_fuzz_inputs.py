"""A fuzzer of our own: mutated scenarios never give a traceback or a hang.

Hypothesis takes a small valid scenario and mutates one place: a value replaced by a number
(huge, negative, zero, infinite), text, a list, a mapping or nothing; a key removed; an unknown
key added. Every mutant must either validate, or be refused with exit 2 and one line per
problem naming the file. Mutants that validate must also run briefly (in a subprocess with a
generous timeout, so a hang fails by timeout) and end with exit 0 or 2, never a traceback.
The examples are derandomised: CI sees the same mutants every time.
"""

from __future__ import annotations

import contextlib
import copy
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import ROOT, fixed, scenario_doc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

BASE = scenario_doc(
    channels=[
        {
            "name": "phone",
            "rate_per_hour": 6,
            "category_mix": {"question": 3, "refund": 1},
            "patience": {"dist": "exponential", "mean": 5},
        },
        {"name": "email", "rate_per_hour": 2, "category_mix": {"question": 1}},
    ],
    categories=[
        {"name": "question", "handle_time": fixed(6), "priority": {"P1": 1, "P2": 3}},
        {
            "name": "refund",
            "handle_time": {"dist": "lognormal", "mean": 8, "sd": 4},
            "attributes": {"refund_amount": {"dist": "uniform", "low": 10, "high": 900}},
        },
    ],
    teams=[
        {"name": "desk", "agents": 2, "authority": {"refund_amount": 500}, "supervisor": "lead"},
        {"name": "lead", "shifts": [{"start": "08:00", "end": "18:00", "agents": 1}]},
    ],
    routing=[{"team": "desk"}],
    sla_policies=[{"name": "all", "first_response": {"target": "30m"}, "resolution": {"target": "8h"}}],
    horizon="1d",
)

VALUES = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, -1, 1e308, -1e308, 1e-300, float("inf"), float("-inf"), float("nan"), 10**30]),
    st.text(max_size=12),
    st.sampled_from(["", ".", "..", "a/b", "24:00", "25:61", "2026-02-30", "-5m", "1e400h", "exponential"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.dictionaries(st.sampled_from(["dist", "mean", "x", "phone"]), st.integers(-2, 2), max_size=2),
)


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path into the document, containers included."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _places(value, (*path, i))
    return found


PLACES = _places(BASE)[1:]


@st.composite
def mutants(draw: st.DrawFn) -> dict[str, Any]:
    """The base scenario with one place replaced, removed, or given an unknown neighbour."""
    doc = copy.deepcopy(BASE)
    path = draw(st.sampled_from(PLACES))
    parent: Any = doc
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    how = draw(st.sampled_from(["replace", "replace", "replace", "remove", "unknown"]))
    if how == "replace":
        parent[key] = draw(VALUES)
    elif how == "remove":
        del parent[key]
    elif isinstance(parent, dict):
        parent["surprise_field"] = draw(VALUES)
    return doc


def _at(doc: Any, path: tuple) -> Any:
    for step in path:
        doc = doc[step]
    return doc


NUMBERS = [p for p in PLACES if isinstance(_at(BASE, p), (int, float)) and not isinstance(_at(BASE, p), bool)]
"""Places in the base scenario that hold a number."""


@st.composite
def plausible_mutants(draw: st.DrawFn) -> dict[str, Any]:
    """The base scenario with one or two numbers changed to other plausible numbers (often valid)."""
    doc = copy.deepcopy(BASE)
    for path in draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=2, unique=True)):
        parent = _at(doc, path[:-1])
        parent[path[-1]] = draw(st.one_of(st.integers(0, 200), st.floats(0, 1e4, allow_nan=False)))
    return doc


def _write(doc: dict[str, Any], folder: Path) -> Path:
    path = folder / "mutant.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _validate(path: Path) -> tuple[int, str]:
    """``run_sim.py validate`` in this process: its exit code and what it printed on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["validate", str(path)])
    return code, err.getvalue()


def fuzz(examples: int) -> settings:
    """Derandomised settings: CI sees the same mutants every run."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


@fuzz(300)
@given(doc=mutants())
def test_a_mutated_scenario_validates_or_is_refused_with_one_line_per_problem(tmp_path, doc):
    path = _write(doc, tmp_path)
    code, err = _validate(path)  # an exception here is a traceback for the user
    assert code in (0, 2)
    if code == 2:
        lines = err.strip().splitlines()
        assert lines and lines[0].startswith(f"error: {path}")
        assert all(line.startswith(("error: ", str(path))) for line in lines), err


@fuzz(15)
@given(doc=plausible_mutants())
def test_a_mutated_scenario_that_validates_also_runs_without_a_traceback_or_a_hang(tmp_path, doc):
    path = _write(doc, tmp_path)
    if _validate(path)[0] != 0:
        return
    command = [
        sys.executable,
        "run_sim.py",
        "run",
        str(path),
        "-r",
        "2",
        "-w",
        "1",
        "--quiet",
        "--out",
        str(tmp_path / "out"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode in (0, 2), done.stderr
    assert "Traceback" not in done.stderr
