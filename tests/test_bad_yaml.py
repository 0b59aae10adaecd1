"""Files and values that are not sensible YAML are refused with one line, never a traceback or a hang.

Each case is a document a fuzzer (or a tired planner) produces: another encoding, binary bytes,
a key given twice, a list as a key, nesting a thousand deep, an alias to itself, an alias bomb, a file far larger
than any scenario, an impossible date, and ``--set`` values that are not YAML.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import BASELINE, ROOT, SCENARIOS

from sim.scenario import yaml_source
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import MAX_PROBLEMS, load_scenario
from sim.scenario.yaml_source import MAX_FILE_BYTES, MAX_NODES, parse_yaml


def _bomb() -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    return text


FILES = [
    # name, bytes, (line or None), fragment of the message
    ("utf16", "name: x\n".encode("utf-16"), None, "UTF-16 text; save the file as UTF-8"),
    ("latin1", "name: caf\xe9\n".encode("latin-1"), 1, "not UTF-8 text (byte 0xe9)"),
    ("binary", bytes(range(256)), 2, "not UTF-8 text (byte 0x80)"),
    ("nul", b"name: x\nhorizon: 1\x00\n", 2, "the character '\\x00' is not allowed"),
    (
        "duplicate_key",
        b"name: x\nhorizon: 14d\nwarmup: 0\nhorizon: 2d\n",
        4,
        "'horizon' is given twice (lines 2 and 4)",
    ),
    ("deep", ("a: " + "[" * 1000 + "]" * 1000 + "\n").encode(), None, "nested more than 64 levels deep"),
    ("self_reference", b"a: &x [1, *x]\n", 1, "this value contains itself"),
    ("complex_key", b"name: x\n? [a, b]\n: 1\n", 2, "a key must be a plain name"),
    ("alias_bomb", _bomb().encode(), None, f"more than {MAX_NODES:,} values once aliases are expanded"),
    ("too_large", b"#" * (MAX_FILE_BYTES + 1), None, "larger than 5 MB"),
]


@pytest.mark.parametrize(("name", "content", "line", "fragment"), FILES, ids=[f[0] for f in FILES])
def test_a_file_that_is_not_sensible_yaml_gets_one_message_naming_the_file(tmp_path, name, content, line, fragment):
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.count("\n") == 0, message
    assert message.startswith(f"{path}:{line}:" if line else f"{path}:"), message
    assert fragment in message


def test_an_impossible_date_is_refused_by_its_field_not_by_the_yaml_reader(tmp_path):
    with pytest.raises(ScenarioError, match=r"start_date=2026-02-30: must be a real calendar date, YYYY-MM-DD \(got"):
        load_scenario(BASELINE, ["start_date=2026-02-30"])
    text = BASELINE.read_text(encoding="utf-8").replace("holidays: [", "holidays: [2026-13-01, ", 1)
    assert text != BASELINE.read_text(encoding="utf-8"), "the baseline lists holidays"
    path = tmp_path / "holiday.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"holidays\[0\]"):
        load_scenario(path)


def test_two_million_nested_lists_under_the_size_cap_are_refused_without_crashing_the_reader(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 2_000_000 + "]" * 2_000_000 + "\n")  # 4 MB: libyaml's recursion would overflow
    done = subprocess.run(
        [sys.executable, "run_sim.py", "validate", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert done.stderr.strip() == f"error: {path}: (top level): nested more than 64 levels deep; no scenario needs that"


def test_thousands_of_unknown_fields_are_listed_fifty_at_a_time_with_a_count_of_the_rest(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(BASELINE.read_text(encoding="utf-8") + "".join(f"k{i}: 1\n" for i in range(5000)))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    rows = str(caught.value).splitlines()
    assert len(rows) == MAX_PROBLEMS + 1
    assert rows[0].endswith(
        "k0: unknown field; allowed: name, description, seed, start_date, horizon, warmup, "
        "replications, priorities, segments, calendars, channels, categories, teams, "
        "agent_groups, agent_selection, routing, sla_policies, escalation, initial_backlog, "
        "reporting"
    )
    assert rows[-1].endswith(f"and {5000 - MAX_PROBLEMS:,} more problems of the schema; fix the ones above first")


YAML_11_TRAPS = """\
clock: 07:30
answer: yes
octal: 010
hex: 0x1F
grouped: 1_000
infinite: .inf
date: 2026-02-30
day: 2026-03-02
text: 'yes'
list: [on, off, 1e3, -2, +3.5]
"""
"""Plain values that YAML 1.1 (PyYAML's default) reads otherwise than YAML 1.2: 450, True, 8, 1000, ..."""


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml reads every file in Python")
@pytest.mark.parametrize(
    "path", [*sorted(SCENARIOS.rglob("*.yaml")), None], ids=lambda p: p.stem if p else "yaml_11_traps"
)
def test_libyaml_and_pyyaml_read_every_bundled_file_to_the_same_values_and_lines(path, monkeypatch):
    text = path.read_text(encoding="utf-8") if path else YAML_11_TRAPS
    fast = parse_yaml(text, str(path))
    monkeypatch.setattr(yaml_source, "_FAST_COMPOSER", None)
    assert parse_yaml(text, str(path)) == fast


def test_an_integer_too_long_for_python_to_read_is_refused_by_its_field(tmp_path):
    digits = "9" * 5000  # Python reads at most 4,300 digits as an int
    with pytest.raises(
        ScenarioError, match=r"--set seed=9+…9+ \(5,005 characters\): must be a finite number \(got inf\)"
    ):
        load_scenario(BASELINE, [f"seed={digits}"])
    path = tmp_path / "seed.yaml"
    path.write_text(BASELINE.read_text(encoding="utf-8").replace("seed: 42", f"seed: {digits}", 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"seed\.yaml:\d+: seed: must be a finite number \(got inf\)"):
        load_scenario(path)


def test_a_huge_bad_value_is_shown_with_its_middle_cut_out(tmp_path):
    name = "x" * 4_000_000
    path = tmp_path / "big.yaml"
    path.write_text(
        BASELINE.read_text(encoding="utf-8").replace("name: baseline", f"name: {name}", 1), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    shortened = "'" + "x" * 39 + "…" + "x" * 7 + "' (4,000,002 characters)"
    assert str(caught.value).endswith(f"name: is longer than 64 characters (got {shortened})")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, [f"name={name}"])
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("value", ["[1,", "*a", "'x", "{", "\t1"])
def test_a_set_value_that_is_not_yaml_is_one_message_saying_how_to_quote(value):
    with pytest.raises(ScenarioError, match=r"--set '?horizon=.*'?: the value is not valid YAML: .*quote text"):
        load_scenario(BASELINE, [f"horizon={value}"])


@pytest.mark.parametrize(
    ("seed", "fragment"), [("-1", "-1 is negative; use 0 or more"), ("x", "'x' is not a whole number")]
)
def test_a_bad_seed_is_refused_before_anything_runs(seed, fragment):
    done = subprocess.run(
        [sys.executable, "run_sim.py", "run", str(BASELINE), "--seed", seed, "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr
