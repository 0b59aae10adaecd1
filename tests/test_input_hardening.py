"""The rest of the hardening issue: zero-time reopen loops, large sweeps, fields spelled twice, old leftovers.

Each test is a story: a tiny input that used to hang, validate slowly, silently run the wrong
thing, or leave a mess, and what the user gets now.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BASELINE, ERLANG_C, ROOT, build, event_log, fixed, simulate

from sim.cli import main
from sim.core.atomic import OLD_FORMAT_QUIET, clean_leftovers
from sim.experiments.sweep_files import load_sweep
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.workload import estimate


# -- a reopen that takes no time after a resolution that takes no time ---------------------------------------
def test_a_reopen_with_no_delay_after_a_resolution_with_no_time_is_refused_by_its_field():
    # p = 1, delay 0, handle time 0: each resolution reopened the ticket at the same instant, reopen.max
    # times (a million reopens took 14 s; a billion would hang)
    with pytest.raises(ScenarioError) as caught:
        build(
            categories=[
                {
                    "name": "question",
                    "handle_time": fixed(0),
                    "reopen": {"probability": 1, "delay": fixed(0), "max": 100},
                }
            ]
        )
    message = str(caught.value)
    assert ": categories[0].reopen.delay: " in message, message
    assert "team 'desk' resolves in no time and it reopens with probability 1 after no time" in message


def test_a_reopen_is_refused_at_one_instant_whatever_its_max_even_the_default_one():
    with pytest.raises(ScenarioError, match=r"categories\[0\]\.reopen\.delay"):
        build(
            categories=[
                {"name": "question", "handle_time": fixed(0), "reopen": {"probability": 0.2, "delay": fixed(0)}}
            ]
        )


def test_a_reopen_with_no_delay_is_fine_when_the_work_takes_time():
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        categories=[
            {"name": "question", "handle_time": fixed(10), "reopen": {"probability": 1, "delay": fixed(0), "max": 2}}
        ],
        horizon=100,
    )
    assert event_log(records) == [
        (0.0, 0, "arrival", ""),
        (0.0, 0, "picked_up", "desk"),
        (10.0, 0, "resolved", "desk"),
        (10.0, 0, "reopened", "desk"),
        (10.0, 0, "picked_up", "desk"),
        (20.0, 0, "resolved", "desk"),
        (20.0, 0, "reopened", "desk"),
        (20.0, 0, "picked_up", "desk"),
        (30.0, 0, "resolved", "desk"),
    ]


def test_a_zero_time_resolution_at_a_team_that_never_reopens_is_fine():
    build(
        teams=[{"name": "desk", "agents": 1}, {"name": "back", "agents": 1}],
        categories=[
            {
                "name": "question",
                "handle_time": {"desk": fixed(0), "back": fixed(5)},
                "reopen": {"probability": {"back": 1}, "delay": fixed(0)},
            }
        ],
    )


def test_reopens_per_ticket_are_bounded_by_the_schema():
    with pytest.raises(ScenarioError) as caught:
        build(
            categories=[
                {
                    "name": "question",
                    "handle_time": fixed(5),
                    "reopen": {"probability": 1, "delay": fixed(1), "max": 10**9},
                }
            ]
        )
    assert ": categories[0].reopen.max: must be at most 100, got 1000000000" in str(caught.value)


# -- leftovers of versions that wrote no process id ----------------------------------------------------------
def _old_leftover(folder: Path, name: str, age: float) -> Path:
    """An old-format ``.<run>.partial`` folder (no writer pid in its name), last touched ``age`` seconds ago."""
    leftover = folder / f".{name}.partial"
    leftover.mkdir(parents=True)
    (leftover / "tickets.parquet").write_bytes(b"PAR1 cut short")
    then = time.time() - age
    for path in (leftover / "tickets.parquet", leftover):
        os.utime(path, (then, then))
    return leftover


def test_an_old_format_partial_folder_is_reported_and_removed_by_the_next_run(tmp_path):
    leftover = _old_leftover(tmp_path / "erlang_c", "20261101-120000-seed2026", age=OLD_FORMAT_QUIET + 60)
    command = [sys.executable, "run_sim.py", "run", str(ERLANG_C), "--set", "horizon=2h", "--set", "warmup=0"]
    command += ["-r", "1", "-w", "1", "--out", str(tmp_path), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"note: removed unfinished results folder {leftover} left by an interrupted run" in done.stderr
    assert not leftover.exists()


def test_an_old_format_partial_folder_touched_recently_is_kept_a_writer_may_still_be_filling_it(tmp_path):
    recent = _old_leftover(tmp_path, "recent", age=5)
    old = _old_leftover(tmp_path, "old", age=OLD_FORMAT_QUIET + 60)
    (tmp_path / ".notes.partial").write_text("a file, not a results folder")
    assert clean_leftovers(tmp_path) == [old]
    assert recent.is_dir() and (tmp_path / ".notes.partial").is_file()


# -- a sweep varying one field under two spellings ------------------------------------------------------------
def _sweep(tmp_path: Path, body: str, base: Path = BASELINE) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"base: {base}\nset: [horizon=1d, warmup=0]\nreplications: 1\n{body}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        ("teams.tier1.shifts[0].agents", "teams[0].shifts[0].agents", "teams[0].shifts[0].agents"),
        ("teams.tier1.shifts[0].agents", "teams[tier1].shifts.[0].agents", "teams[0].shifts[0].agents"),
        ("channels.phone.rate_per_hour", ".channels..phone.rate_per_hour.", "channels[0].rate_per_hour"),
        ("teams[0].shifts[0].agents", "teams[00].shifts[0].agents", "teams[0].shifts[0].agents"),
        ("categories.technical.handle_time.mean", "categories[1].handle_time.mean_", "categories[1].handle_time.mean"),
    ],
)
def test_a_sweep_varying_one_field_under_two_spellings_is_refused_naming_both(tmp_path, first, second, field):
    path = _sweep(tmp_path, f"parameters:\n  '{first}': [5, 6]\n  '{second}': [7, 8]\n")
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    message = caught.value.render()
    assert f"{first!r} and {second!r} are the same field" in message, message
    assert field in message and message.count("\n") == 0


def test_a_sweep_varying_a_section_and_a_field_inside_it_is_refused(tmp_path):
    path = _sweep(
        tmp_path,
        "parameters:\n  teams.billing.shifts[0]: [{start: '08:00', end: '16:00', agents: 2}]\n"
        "  teams[2].shifts[0].agents: [3, 4]\n",
    )
    with pytest.raises(
        ScenarioError, match=r"'teams\[2\]\.shifts\[0\]\.agents' lies inside 'teams\.billing\.shifts\[0\]'"
    ):
        load_sweep(path)


def test_explicit_points_spelling_one_field_two_ways_are_refused(tmp_path):
    path = _sweep(
        tmp_path,
        "points:\n  - {channels.phone.rate_per_hour: 20}\n  - {'channels[0].rate_per_hour': 30}\n",
    )
    with pytest.raises(ScenarioError, match=r"'channels\.phone\.rate_per_hour' and 'channels\[0\]\.rate_per_hour'"):
        load_sweep(path)


# -- large sweeps validate fast and are checked against the work limits -------------------------------------------
BIG_GRID = (
    "parameters:\n"
    "  teams.tier1.shifts[0].agents: {from: 5, to: 14}\n"
    "  teams.billing.shifts[0].agents: {from: 1, to: 10}\n"
    "  channels.phone.rate_per_hour: {from: 10, to: 28, step: 2}\n"
    "  channels.chat.rate_per_hour: {from: 5, to: 14}\n"
    "  teams.backoffice.shifts[0].agents: {from: 1, to: 10}\n"
)


def test_a_100000_point_grid_validates_in_seconds(tmp_path):
    started = time.process_time()
    plan = load_sweep(_sweep(tmp_path, BIG_GRID))
    assert len(plan.points) == 100_000
    assert time.process_time() - started < 30  # every point validated one by one took minutes
    assert max(w.tickets for w in plan.workloads) == pytest.approx(estimate(plan.scenario(99_999)).tickets)


def test_an_invalid_value_in_a_large_grid_is_found_with_its_count(tmp_path):
    body = BIG_GRID.replace("{from: 1, to: 10}\n  channels", "{from: 0, to: 9}\n  channels")
    with pytest.raises(ScenarioError) as caught:
        load_sweep(_sweep(tmp_path, body))
    message = caught.value.render()
    assert "10000 points, e.g. point 0 (" in message, message
    assert "makes an invalid scenario: teams.billing.shifts[0].agents: must be at least 1, got 0" in message, message


def test_points_combining_two_valid_values_into_an_invalid_scenario_are_found(tmp_path):
    # warmup 20h is valid with the base horizon (1d), and horizon 12h with the base warmup (0); together not
    path = _sweep(
        tmp_path, "parameters:\n  warmup: [0, 20h]\n  horizon: [12h, 2d]\n  teams.tier1.shifts[0].agents: [8, 9]\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert (
        "2 points, e.g. point 4 (warmup='20h', horizon='12h', teams.tier1.shifts[0].agents=8)" in caught.value.render()
    )


def test_sampled_points_whose_values_interact_are_each_validated(tmp_path):
    body = (
        "sample: {method: lhs, n: 50, seed: 3}\n"
        "parameters:\n  warmup: {low: 0, high: 1200}\n  horizon: {low: 600, high: 2000}\n"
    )
    with pytest.raises(
        ScenarioError,
        match=r"point 4 \(warmup=1159\.\d+, horizon=855\.\d+\) makes an invalid scenario: warmup: warmup \(1159",
    ):
        load_sweep(_sweep(tmp_path, body))


def test_a_sweep_too_large_for_the_work_limits_is_refused_before_simulating(tmp_path):
    path = _sweep(tmp_path, "parameters:\n  channels.phone.rate_per_hour: [20, 1e9]\n")
    command = [sys.executable, "run_sim.py", "sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    assert "tickets per replication, above the limit of 5,000,000" in done.stderr
    assert "add --force" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


# -- found by the fuzzer ----------------------------------------------------------------------------------------
def test_a_sweep_set_entry_that_breaks_the_base_is_named_in_the_sweep_file_not_the_base(tmp_path):
    # the message named baseline.yaml:38, a line that is fine, and not the sweep file at all
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"base: {BASELINE}\nset: [horizon=2d, 'channels.phone.day_of_week.sat=-4']\n"
        "parameters:\n  teams.tier1.shifts[0].agents: [8, 9]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert caught.value.render() == (f"{path}:2: set[1]: channels.phone.day_of_week.sat=-4: must be at least 0, got -4")


@pytest.mark.parametrize("tagged", ["!!int x", "!!float x", "!!bool x", "!!timestamp x", "[1, !!int 1e5]"])
def test_an_explicit_yaml_tag_that_does_not_fit_its_value_is_one_line_naming_the_file_and_line(tmp_path, tagged):
    # ValueError, KeyError or AttributeError escaped from the YAML constructors as a traceback
    path = tmp_path / "tagged.yaml"
    path.write_text(f"name: tagged\nhorizon: {tagged}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.render().startswith(f"{path}:2: (top level): this is not valid YAML: ")
    assert "is not a valid !!" in caught.value.render()


def test_an_explicit_yaml_tag_in_a_set_value_is_refused_naming_the_override():
    with pytest.raises(
        ScenarioError, match=r"--set 'horizon=!!int x': the value is not valid YAML: 'x' is not a valid"
    ):
        load_scenario(ERLANG_C, ["horizon=!!int x"])


def test_a_number_with_a_leading_zero_is_decimal_as_in_yaml_1_2(tmp_path):
    # PyYAML's YAML 1.1 reading silently made 010 agents eight
    assert load_scenario(ERLANG_C, ["teams.agents.agents=010"]).teams[0].agents == 10
    path = tmp_path / "zero.yaml"
    path.write_text(ERLANG_C.read_text(encoding="utf-8").replace("agents: 14", "agents: 014"), encoding="utf-8")
    assert load_scenario(path).teams[0].agents == 14


def test_a_variant_setting_one_field_under_two_spellings_is_refused_naming_both(capsys):
    variant = "more:teams.agents.agents=15,teams[0].agents=16"
    assert main(["compare", str(ERLANG_C), "--variant", variant, "--out", "/dev/null/x"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: --variant {variant!r}: 'teams.agents.agents' and 'teams[0].agents' are the same field "
        "(teams[0].agents); set it under one spelling\n"
    )
