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
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from conftest import BASELINE, ROOT, SCENARIOS, fixed, scenario_doc
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario.spec import Scenario

SWEEPS = SCENARIOS / "sweeps"

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


def fuzz(examples: int, shrink: bool = True) -> settings:
    """Derandomised settings: CI sees the same mutants every run (a batch of commands is not shrunk: it names them)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=list(Phase) if shrink else [Phase.explicit, Phase.reuse, Phase.generate],
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


# -- sweep files and --set / --variant arguments ------------------------------------------------------------------
# Each example is a batch of command lines run by one subprocess (importing the simulator costs a second
# of CPU; each command costs milliseconds), under a generous timeout, so a hang fails by timeout. Valid
# inputs never simulate: results go under a regular file (/dev/null/x), which is refused after
# validation and the work check, before any simulation.

SWEEP_FILES = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(SWEEPS.glob("*.yaml"))}
NOWHERE = "/dev/null/fuzz"
"""An --out under a regular file: refused (exit 2) only after every input check has passed."""

ODD_YAML = [
    "[1,", "*a", "'x", "{", "\t", "&a [*a]", "!!python/object/apply:os.system ['true']", "? a", "- - -",
    "{a: 1, a: 2}", "2026-02-30", "2026-13-01", "2026-01-05", "1e400", "-1e308", "9" * 400, ".inf", "-.inf",
    ".nan", "0x1F", "0o17", "1_000", "~", "null", "yes", "\x00", "\x1b[31m", "é", "日本", "🙂", "\u202e", "a: b",
    "- x", "|\n  text", "&x 1", "[" * 70 + "]" * 70, "{dist: fixed, value: -1}",
    "{dist: lognormal, mean: 1e-300, sd: 1e300}", "!!int x", "!!float x", "!!bool x", "!!timestamp x", "!!int 0x1F",
    "010", "[]", "{}", "''", '"\\u0000"',
    "24:00", "25:61", "-5m", "1e400h", "0", "-1", "1e20", "1e9", "0.5", "7", "true",
]  # fmt: skip
"""A grammar of odd YAML values: broken syntax, aliases, tags, dates, huge and non-finite numbers, unicode, controls."""


def _dotted(path: tuple, doc: Any) -> str:
    """A document path written for --set, list items by name where they have one."""
    text, node = "", doc
    for step in path:
        if isinstance(step, int):
            name = node[step].get("name") if isinstance(node[step], dict) else None
            text += f".{name}" if name else f"[{step}]"
        else:
            text += f".{step}" if text else step
        node = node[step]
    return text


BASELINE_DOC = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
SCHEMA_PATHS = sorted({_dotted(p, BASELINE_DOC) for p in _places(BASELINE_DOC)[1:]} | set(Scenario.model_fields))
"""Override paths from the schema's fields and every place in the baseline scenario."""

PATHS = st.one_of(
    st.sampled_from(SCHEMA_PATHS),
    st.sampled_from(["", ".", "[", "]", "[0]", "teams[999].agents", "teams..tier1", "teams[tier1].agents", "a" * 300]),
    st.builds(lambda p, extra: f"{p}.{extra}", st.sampled_from(SCHEMA_PATHS), st.sampled_from(["x", "0", "[0]", "é"])),
)
RAW_VALUES = st.one_of(st.sampled_from(ODD_YAML), st.text(max_size=8), st.integers().map(str), st.floats().map(str))
OVERRIDES = st.one_of(
    st.builds(lambda path, value: f"{path}={value}", PATHS, RAW_VALUES),
    st.sampled_from(["", "=", "=1", "horizon", "horizon=", "=horizon=1", "horizon==1"]),
)
VARIANTS = st.one_of(
    st.builds(
        lambda name, overrides: f"{name}:{','.join(overrides)}",
        st.sampled_from(["more", "a b", "", "..", "x/y", "é", "v" * 100, "base", "baseline"]),
        st.lists(OVERRIDES, min_size=1, max_size=3),
    ),
    st.text(max_size=12),
)


@st.composite
def sweep_mutants(draw: st.DrawFn) -> dict[str, Any]:
    """A bundled sweep file with one or two places mutated, a parameter renamed or added, or an odd set: entry."""
    doc = copy.deepcopy(SWEEP_FILES[draw(st.sampled_from(sorted(SWEEP_FILES)))])
    doc["base"] = str(BASELINE)
    for _ in range(draw(st.integers(1, 2))):
        how = draw(st.sampled_from(["value", "value", "remove", "unknown", "rename", "add", "set"]))
        places = _places(doc)[1:]
        path = draw(st.sampled_from(places))
        parent, key = _at(doc, path[:-1]), path[-1]
        if how == "value":
            parent[key] = draw(st.one_of(VALUES, RAW_VALUES, st.sampled_from(SWEEP_SHAPES)))
        elif how == "remove":
            del parent[key]
        elif how == "unknown" and isinstance(parent, dict):
            parent["surprise_field"] = draw(VALUES)
        elif how == "rename" and isinstance(doc.get("parameters"), dict) and doc["parameters"]:
            old = draw(st.sampled_from(sorted(doc["parameters"])))
            doc["parameters"][draw(PATHS)] = doc["parameters"].pop(old)
        elif how == "add" and isinstance(doc.get("parameters"), dict):
            doc["parameters"][draw(PATHS)] = draw(
                st.one_of(st.lists(VALUES, min_size=1, max_size=3), st.sampled_from(SWEEP_SHAPES))
            )
        elif how == "set":
            doc["set"] = [*(doc.get("set") if isinstance(doc.get("set"), list) else []), draw(OVERRIDES)]
    return doc


SWEEP_SHAPES = [
    {"from": 1, "to": 1e9},
    {"from": 0, "to": 1e5, "step": 1},
    {"from": 1, "to": 3, "step": 1e-300},
    {"from": float("inf"), "to": 3},
    {"low": 0, "high": 1e308},
    {"low": 1, "high": 3, "integer": True},
    {"low": float("nan"), "high": 3},
    {"method": "sobol", "n": 3},
    {"method": "lhs", "n": 100_000, "seed": -1},
    [{"teams.tier1.shifts[0].agents": 3}],
    [],
]
"""Odd shapes for ranges, intervals, samples and point lists."""


def _run_batch(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run ``commands`` through ``sim.cli.main`` in one subprocess; each one's exit code, stderr and any escape."""
    done = subprocess.run(
        [sys.executable, "-c", BATCH_DRIVER],
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


BATCH_DRIVER = """
import contextlib, io, json, sys, traceback
from sim.cli import main
results = []
for argv in json.loads(sys.stdin.read()):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            code, escape = 1, traceback.format_exc()
            print(escape, file=err)
    results.append({"argv": argv, "code": code, "stderr": err.getvalue()})
print(json.dumps(results))
"""


def _assert_clean(result: dict[str, Any], names: tuple[str, ...]) -> None:
    """Exit 0 or 2; on 2 every line is one problem, naming the file or the override; never a traceback."""
    code, err, argv = result["code"], result["stderr"], result["argv"]
    assert code in (0, 2), f"{argv}: exit {code}\n{err}"
    assert "Traceback" not in err, f"{argv}\n{err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert lines, argv
        usage = lines[0].startswith("usage:")  # argparse: a usage line, then one error line
        problems = lines[1:] if usage else lines
        assert all(line.startswith(("error: ", "note: ", *names)) or "run_sim.py" in line for line in problems), (
            f"{argv}\n{err}"
        )
        assert any(name in err for name in names) or usage, f"{argv}\n{err}"


@fuzz(4, shrink=False)
@given(docs=st.lists(sweep_mutants(), min_size=15, max_size=15))
def test_mutated_sweep_files_validate_or_are_refused_with_one_line_per_problem(tmp_path, docs):
    commands, paths = [], []
    for i, doc in enumerate(docs):
        path = tmp_path / f"sweep{i}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        paths.append(path)
        commands.append(["sweep", str(path), "--out", NOWHERE, "--quiet", "-w", "1"])
    for result, path in zip(_run_batch(commands), paths, strict=True):
        _assert_clean(result, (str(path), "error: cannot write results to"))


@fuzz(4, shrink=False)
@given(
    sets=st.lists(OVERRIDES, min_size=12, max_size=12),
    variants=st.lists(VARIANTS, min_size=12, max_size=12),
)
def test_random_set_and_variant_arguments_are_accepted_or_refused_with_one_line_naming_them(sets, variants):
    commands = [["validate", str(BASELINE), f"--set={text}"] for text in sets]
    commands += [
        ["compare", str(BASELINE), f"--variant={text}", "--out", NOWHERE, "-w", "1", "--quiet"] for text in variants
    ]
    for result in _run_batch(commands):
        _assert_clean(result, (str(BASELINE), "--set", "--variant", "error: cannot write results to"))
