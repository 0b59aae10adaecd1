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
from conftest import ERLANG_C, ROOT, build, event_log, fixed, simulate

from sim.core.atomic import OLD_FORMAT_QUIET, clean_leftovers
from sim.scenario.loader import ScenarioError


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
