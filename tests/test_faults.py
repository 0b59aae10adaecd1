"""Faults: kill -9, Ctrl-C, an unusable or full results folder, and results that used to crash the writers.

Every test runs the command line as a separate process (``python run_sim.py …`` from the
project root) on a tiny scenario, the way a user meets these faults. Worker processes are found
through ``/proc`` (Linux); mounts need root and are skipped with the reason where not allowed.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.core.atomic import check_writable, clean_leftovers, dumps_json, safe_name
from sim.experiments import sweeps
from sim.experiments.outputs import write_run
from sim.experiments.replications import run
from sim.scenario.loader import validate

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
TIMEOUT = 120
SHORT = ["--set", "horizon=2h", "--set", "warmup=0"]
linux_only = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds worker processes via /proc (Linux)")


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run ``run_sim.py`` to the end; its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, str(ROOT / "run_sim.py"), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT
    )


def start(*args: str) -> subprocess.Popen:
    """Start ``run_sim.py`` in the background (stderr to a pipe, to read after it ends)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run_sim.py"), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def one_line_error(result: subprocess.CompletedProcess | str) -> str:
    """The stderr of a failed command, checked to be a single line without a traceback."""
    err = result if isinstance(result, str) else result.stderr
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def without_cleanup_notes(err: str) -> str:
    """``err`` without the notes on unfinished files a killed run left (present if the kill landed mid-write)."""
    return "\n".join(line for line in err.splitlines() if not line.startswith("note: removed unfinished "))


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children…), from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                kids = {int(k) for k in (task / "children").read_text().split()}
            except OSError:
                continue
            todo.extend(kids - found)
            found |= kids
    return {p for p in found if running(p)}


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (a killed process nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def wait_for(condition: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def assert_all_exit(pids: set[int], seconds: float = 15) -> None:
    """Every process in ``pids`` is gone within ``seconds`` (workers must not outlive a killed parent)."""
    wait_for(lambda: not any(running(p) for p in pids), f"workers {sorted(pids)} to exit", seconds)


def kill(proc: subprocess.Popen, sig: int) -> str:
    """Send ``sig`` to the main process only (as ``kill`` does) and return its stderr once it ends."""
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=TIMEOUT)
    return err


def dead_pid() -> int:
    """The id of a process that has ended (a writer killed earlier)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@contextmanager
def tmpfs(folder: Path, *options: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``folder`` for the test (root only), unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({(mounted.stderr or 'no mount').strip()}); needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def sweep_file(tmp_path: Path, **fields: object) -> Path:
    """A small sweep of the Erlang C scenario: 3 staffing levels x 4 replications of one day."""
    doc = {
        "name": "faults",
        "base": str(ERLANG_C),
        "set": ["horizon=1d", "warmup=1h"],
        "replications": 4,
        "seed": 7,
        "kpis": ["asa", "abandonment_rate"],
        "parameters": {"teams.agents.agents": [13, 14, 15]},
        **fields,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def saved_tasks(folder: Path) -> int:
    return sum(
        json.loads(p.read_text())["status"] == "ok" for p in (folder / "tasks").glob("p*-r*.json") if p.is_file()
    )


# kill -9 ---------------------------------------------------------------------------------------


@linux_only
def test_kill_9_of_a_run_leaves_no_worker_processes_alive(tmp_path):
    proc = start("run", str(ERLANG_C), "--set", "horizon=5d", "-r", "40", "-w", "2", "--out", str(tmp_path), "--quiet")
    try:
        wait_for(lambda: len(descendants(proc.pid)) >= 2, "two workers to start")
        workers = descendants(proc.pid)
        kill(proc, signal.SIGKILL)
        assert_all_exit(workers)
    finally:
        proc.kill()
    assert not list((tmp_path / "erlang_c").glob("[!.]*")), "a killed run left a folder that looks finished"


@linux_only
def test_kill_9_of_a_run_on_a_local_dask_cluster_leaves_no_worker_processes_alive(tmp_path):
    pytest.importorskip("distributed")
    args = ["--set", "horizon=5d", "-r", "40", "--executor", "dask", "-w", "2", "--out", str(tmp_path), "--quiet"]
    proc = start("run", str(ERLANG_C), *args)
    try:
        wait_for(lambda: len(descendants(proc.pid)) >= 2, "two Dask workers to start")
        time.sleep(2)  # let the cluster finish starting, so that every worker is counted
        workers = descendants(proc.pid)
        kill(proc, signal.SIGKILL)
        assert_all_exit(workers, seconds=30)
    finally:
        proc.kill()


@linux_only
def test_kill_9_of_a_sweep_keeps_saved_tasks_counted_and_resume_equals_an_uninterrupted_sweep(tmp_path):
    plan = sweep_file(tmp_path)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    proc = start("sweep", str(plan), "--out", str(killed), "-w", "2", "--quiet")
    try:
        wait_for(lambda: (killed / "tasks").is_dir() and saved_tasks(killed) >= 2, "two saved tasks")
        workers = descendants(proc.pid)
        kill(proc, signal.SIGKILL)
        assert_all_exit(workers)
    finally:
        proc.kill()
    saved = saved_tasks(killed)
    assert 2 <= saved < 12

    again = cli("sweep", str(plan), "--out", str(killed), "-w", "2", "--quiet")
    assert again.returncode == 2
    assert f"({saved} of 12 tasks done)" in one_line_error(without_cleanup_notes(again.stderr))

    resumed = cli("sweep", str(plan), "--out", str(killed), "--resume", "-w", "2", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed: {saved} runs were already done" in resumed.stdout
    sweeps.sweep(plan, whole, workers=1, progress=False)  # the same sweep, uninterrupted (in this process)
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "runs.parquet"), pd.read_parquet(whole / "runs.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "points.parquet"), pd.read_parquet(whole / "points.parquet"))
    manifest = json.loads((killed / "manifest.json").read_text())
    assert (manifest["status"], manifest["done"], manifest["failed"]) == ("complete", 12, 0)
    assert not [p for p in killed.rglob(".*") if p.name != ".write-check"], "temporary files left behind"


def test_the_sweep_manifest_counts_tasks_while_the_sweep_runs(tmp_path, monkeypatch):
    seen: list[int] = []
    real = sweeps.write_text

    def spy(path: Path, text: str) -> None:
        real(path, text)
        if path.name == sweeps.MANIFEST:
            seen.append(json.loads(text)["done"])

    monkeypatch.setattr(sweeps, "write_text", spy)
    monkeypatch.setattr(sweeps, "MANIFEST_EVERY", 0.0)
    plan = sweep_file(tmp_path, set=["horizon=2h", "warmup=0"], replications=2)
    sweeps.sweep(plan, tmp_path / "out", workers=1, progress=False)
    assert seen == [0, 1, 2, 3, 4, 5, 6, 6]  # start, after each of the 6 tasks, complete


def test_a_leftover_partial_folder_of_a_killed_run_is_reported_and_removed_by_the_next_run(tmp_path):
    runs = tmp_path / "erlang_c"
    leftover = runs / f".20260101-000000-seed2026.{dead_pid()}-0123abcd.partial"
    (leftover / "half").mkdir(parents=True)
    (leftover / "tickets.parquet").write_bytes(b"PAR1 cut short")
    busy = runs / f".20260101-000001-seed2026.{os.getpid()}-4567abcd.partial"  # a run still writing
    busy.mkdir()

    result = cli("run", str(ERLANG_C), *SHORT, "-r", "1", "-w", "1", "--out", str(tmp_path), "--quiet")

    assert result.returncode == 0, result.stderr
    assert f"note: removed unfinished results folder {leftover} left by an interrupted run" in result.stderr
    assert not leftover.exists()
    assert busy.is_dir()
    assert len([p for p in runs.iterdir() if not p.name.startswith(".")]) == 1


def test_leftover_temporary_files_of_a_killed_sweep_are_reported_and_removed(tmp_path):
    plan = sweep_file(
        tmp_path, set=["horizon=2h", "warmup=0"], replications=1, parameters={"teams.agents.agents": [14]}
    )
    out = tmp_path / "out"
    sweeps.sweep(plan, out, workers=1, progress=False)
    stale = out / "tasks" / f".p00000-r000.json.{dead_pid()}-89abcdef.tmp"
    stale.write_text('{"point_id": 0, "repl')
    result = cli("sweep", str(plan), "--out", str(out), "--resume", "--quiet")
    assert result.returncode == 0
    assert f"note: removed unfinished file {stale}" in result.stderr
    assert not stale.exists()


def test_clean_leftovers_keeps_other_hidden_files_and_those_of_live_writers(tmp_path):
    keep = [tmp_path / ".gitignore", tmp_path / f".x.{os.getpid()}-0123abcd.tmp", tmp_path / ".y.partial"]
    for path in keep:
        path.write_text("")
    gone = tmp_path / f".x.{dead_pid()}-0123abcd.tmp"
    gone.write_text("")
    assert clean_leftovers(tmp_path) == [gone]
    assert all(p.exists() for p in keep)


# Ctrl-C ----------------------------------------------------------------------------------------


@linux_only
def test_ctrl_c_of_a_sweep_exits_130_with_one_line_stops_workers_and_resumes(tmp_path):
    plan = sweep_file(tmp_path, replications=20)  # 60 tasks: on a loaded machine the 12 of the others ended first
    out = tmp_path / "out"
    proc = start("sweep", str(plan), "--out", str(out), "-w", "2", "--quiet")
    try:
        wait_for(lambda: (out / "tasks").is_dir() and saved_tasks(out) >= 1, "a saved task")
        workers = descendants(proc.pid)
        err = kill(proc, signal.SIGINT)
        assert_all_exit(workers)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert one_line_error(err) == "interrupted"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert manifest["done"] == saved_tasks(out)


@linux_only
def test_ctrl_c_of_a_run_exits_130_with_one_line_and_writes_nothing(tmp_path):
    proc = start("run", str(ERLANG_C), "--set", "horizon=5d", "-r", "40", "-w", "2", "--out", str(tmp_path), "--quiet")
    try:
        wait_for(lambda: len(descendants(proc.pid)) >= 2, "two workers to start")
        time.sleep(0.5)
        workers = descendants(proc.pid)
        err = kill(proc, signal.SIGINT)
        assert_all_exit(workers)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert one_line_error(err) == "interrupted"
    assert list((tmp_path / "erlang_c").iterdir()) == []


# an unusable --out -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_under_a_regular_file_fails_at_once_with_one_line_and_exit_2(tmp_path, command):
    blocker = tmp_path / "results"
    blocker.write_text("not a folder")
    out = str(blocker / "here")
    args = {
        "run": ["run", str(ERLANG_C), "-r", "500"],
        "compare": ["compare", str(ERLANG_C), "--variant", "more:teams.agents.agents=15", "-r", "500"],
        "sweep": ["sweep", str(sweep_file(tmp_path, replications=500))],
    }[command]
    started = time.monotonic()
    result = cli(*args, "--out", out, "--quiet")
    assert result.returncode == 2
    assert one_line_error(result).startswith(f"error: cannot write results to {out}")
    assert "part of the path is a file, not a folder" in result.stderr
    assert time.monotonic() - started < 60  # 500 replications of five days would take far longer


def test_a_read_only_out_fails_before_simulating(tmp_path):
    with tmpfs(tmp_path / "ro", "ro", "size=1m") as ro:
        result = cli("run", str(ERLANG_C), "-r", "500", "--out", str(ro), "--quiet")
    assert result.returncode == 2
    assert one_line_error(result) == f"error: cannot write results to {ro / 'erlang_c'}: the file system is read-only"


def test_a_full_out_fails_before_simulating(tmp_path):
    with tmpfs(tmp_path / "full", "size=200k") as full:
        with open(full / "filler", "wb") as fh, pytest.raises(OSError):
            fh.write(b"\0" * 400_000)
        result = cli("run", str(ERLANG_C), "-r", "500", "--out", str(full), "--quiet")
    assert result.returncode == 2
    assert one_line_error(result) == f"error: cannot write results to {full / 'erlang_c'}: no space left on the device"


def test_a_disk_that_fills_while_writing_gives_one_line_and_no_result_folder(tmp_path):
    with tmpfs(tmp_path / "small", "size=200k") as small:
        result = cli("run", str(ERLANG_C), "--set", "horizon=1d", "-r", "2", "-w", "1", "--out", str(small), "--quiet")
        left = sorted(p.name for p in (small / "erlang_c").iterdir())
    assert result.returncode == 2
    line = one_line_error(result)
    assert line.startswith(f"error: cannot write results to {small / 'erlang_c'}/")
    assert line.endswith(": no space left on the device")
    assert left == [], "a half-written run folder was left behind"


def test_a_sweep_whose_disk_fills_gives_one_line_and_resumes_after_space_is_freed(tmp_path):
    plan = sweep_file(tmp_path, set=["horizon=2h", "warmup=0"], replications=2)
    with tmpfs(tmp_path / "small", "size=200k") as small:
        out = small / "sweep"
        out.mkdir()
        filler = small / "filler"
        with open(filler, "wb") as fh:  # leave room for the probe and a few task files only
            fh.write(b"\0" * (200 * 1024 - 3 * 4096))
        result = cli("sweep", str(plan), "--out", str(out), "-w", "1", "--quiet")
        assert result.returncode == 2
        line = one_line_error(result)
        assert line.startswith("error: cannot write") and line.endswith("no space left on the device")
        assert not (out / "runs.parquet").exists()
        filler.unlink()
        resumed = cli("sweep", str(plan), "--out", str(out), "--resume", "-w", "1", "--quiet")
        assert resumed.returncode == 0, resumed.stderr
        assert len(pd.read_parquet(out / "runs.parquet")) == 6


def test_check_writable_names_the_folder_and_leaves_no_probe(tmp_path):
    check_writable(tmp_path / "a" / "b")
    assert list((tmp_path / "a" / "b").iterdir()) == []


# results that used to crash the writers ---------------------------------------------------------


def test_a_run_with_an_infinite_kpi_writes_null_in_summary_json(tmp_path):
    scenario = validate(
        {
            "name": "story",
            "horizon": 100,
            "priorities": ["P1"],
            "channels": [{"name": "phone", "arrival_times": [0, 1], "category_mix": {"question": 1}}],
            "categories": [{"name": "question", "handle_time": {"dist": "fixed", "value": 10}}],
            "teams": [{"name": "desk", "agents": 1}],
            "routing": [{"team": "desk"}],
        },
        "<test>",
    )
    result = run(scenario, 1, 1, progress=False, workers=1)
    result.summary.loc[result.summary["kpi"] == "asa", ["mean", "ci_low", "ci_high"]] = math.inf
    folder = write_run(result, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["kpis"]["asa"]["mean"] is None
    assert summary["kpis"]["asa"]["ci_high"] is None


def test_dumps_json_writes_null_for_nan_and_infinities():
    import numpy as np

    doc = {"a": math.inf, "b": [-math.inf, 1.5], "c": np.float64("nan"), "d": np.int64(3)}
    assert json.loads(dumps_json(doc)) == {"a": None, "b": [None, 1.5], "c": None, "d": 3}


def test_a_300_character_scenario_name_is_refused_before_anything_is_written(tmp_path):
    doc = yaml.safe_load(ERLANG_C.read_text())
    doc.update(name="n" * 300, horizon="2h", warmup=0, replications=1)
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = cli("run", str(path), "-w", "1", "--out", str(tmp_path / "out"), "--quiet")
    assert result.returncode == 2 and "name: is longer than 64 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_safe_name_shortens_a_long_name_with_a_hash_that_tells_names_apart():
    long = safe_name("n" * 300)
    assert len(long) == 100 and long.startswith("n" * 91 + "-")
    assert safe_name("n" * 299 + "m") != long


def test_safe_name_keeps_short_names_and_never_leaves_the_folder():
    assert safe_name("baseline") == "baseline"
    assert safe_name("..") == "_"
    assert safe_name("scenarios/a.yaml") == "scenarios_a.yaml"


def test_a_sweep_listing_a_kpi_twice_is_refused_before_running(tmp_path):
    result = cli("sweep", str(sweep_file(tmp_path, kpis=["asa", "asa"])), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "kpis[1]" in result.stderr and "'asa' is listed twice" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_compare_with_a_kpi_asked_twice_compares_it_once(tmp_path, capsys):
    from sim.cli import main

    args = ["compare", str(ERLANG_C), "--variant", "more:teams.agents.agents=15", *SHORT, "-r", "2", "-w", "1"]
    assert main([*args, "--kpi", "asa", "--kpi", "asa", "--out", str(tmp_path), "--quiet"]) == 0
    (folder,) = (tmp_path / "compare").iterdir()
    table = pd.read_csv(folder / "comparison.csv")
    assert sorted(table["kpi"]) == ["asa", "asa"]  # one row per scenario
