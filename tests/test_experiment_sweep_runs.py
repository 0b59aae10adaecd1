"""Running sweeps: tidy tables, a task file per finished run, failures recorded, kill and resume."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.experiments.replications
from sim.cli import main
from sim.experiments.sweeps import SweepError, SweepResult, sweep

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
SPEC = f"""name: agents
base: {ERLANG_C}
set: [horizon=4h, warmup=30m]
replications: 3
seed: 7
kpis: [asa, service_level.phone, utilisation.agents]
parameters:
  teams.agents.agents: [12, 13, 14]
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "agents.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> SweepResult:
    """One finished sweep that several tests read."""
    folder = tmp_path_factory.mktemp("finished")
    (folder / "agents.yaml").write_text(SPEC, encoding="utf-8")
    return sweep(folder / "agents.yaml", folder / "out", workers=1, progress=False)


def test_sweep_writes_a_tidy_row_per_point_and_replication(finished):
    result = finished
    runs = result.runs
    assert list(runs.columns) == [
        "point_id",
        "replication",
        "seed",
        "teams.agents.agents",
        "asa",
        "service_level.phone",
        "utilisation.agents",
        "status",
        "error",
    ]
    assert runs[["point_id", "replication"]].values.tolist() == [[p, r] for p in range(3) for r in range(3)]
    assert (runs["seed"] == 7).all() and (runs["status"] == "ok").all()
    assert runs.groupby("point_id")["teams.agents.agents"].first().tolist() == [12, 13, 14]
    assert len(list((result.folder / "tasks").glob("*.json"))) == 9
    assert pd.read_parquet(result.folder / "runs.parquet").equals(runs)


def test_sweep_points_carry_means_and_intervals_and_more_agents_wait_less(finished):
    points = finished.points
    assert points["replications"].tolist() == [3, 3, 3]
    assert {"asa_mean", "asa_half_width", "asa_ci_low", "asa_ci_high"} <= set(points.columns)
    assert points["asa_mean"].is_monotonic_decreasing
    assert (points["asa_ci_low"] <= points["asa_mean"]).all()


def test_sweep_manifest_and_resolved_spec_describe_the_run(finished):
    folder = finished.folder
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert (manifest["tasks"], manifest["done"], manifest["failed"]) == (9, 9, 0)
    assert "agents: 12" in (folder / "sweep.resolved.yaml").read_text()


def test_failing_task_is_recorded_and_the_sweep_goes_on(spec, tmp_path, monkeypatch, capsys):
    real = sim.experiments.replications.run_replication

    def fragile(scenario, replication, seed, record_events):
        if scenario.teams[0].agents == 13 and replication == 1:
            raise RuntimeError("agent 13 is unlucky")
        return real(scenario, replication, seed, record_events)

    monkeypatch.setattr(sim.experiments.replications, "run_replication", fragile)
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet"]) == 3
    assert "1 of 9 failed" in capsys.readouterr().out
    runs = pd.read_csv(out / "runs.csv")
    failed = runs[runs["status"] == "failed"]
    assert failed[["point_id", "replication"]].values.tolist() == [[1, 1]]
    assert failed["error"].iloc[0] == "RuntimeError: agent 13 is unlucky"
    assert runs.loc[runs["status"] == "ok", "asa"].notna().sum() == 8
    task = json.loads((out / "tasks" / "p00001-r001.json").read_text())
    assert "agent 13 is unlucky" in task["traceback"]
    assert json.loads((out / "manifest.json").read_text())["failures"][0]["point_id"] == 1

    monkeypatch.setattr(sim.experiments.replications, "run_replication", real)
    again = sweep(spec, out, workers=1, resume=True, progress=False)
    assert (again.ran, again.failed) == (1, 0)


def test_an_existing_sweep_folder_is_not_overwritten_by_accident(spec, tmp_path):
    out = tmp_path / "out"
    sweep(spec, out, workers=1, progress=False)
    with pytest.raises(SweepError, match="--resume to finish it, --overwrite to start again"):
        sweep(spec, out, workers=1, progress=False)
    assert sweep(spec, out, workers=1, overwrite=True, progress=False).ran == 9


def test_resume_refuses_a_folder_of_a_different_sweep(spec, tmp_path):
    out = tmp_path / "out"
    sweep(spec, out, workers=1, progress=False)
    spec.write_text(SPEC.replace("seed: 7", "seed: 8"), encoding="utf-8")
    with pytest.raises(SweepError, match="holds a different sweep"):
        sweep(spec, out, workers=1, resume=True, progress=False)


def test_killed_sweep_resumes_with_only_the_unfinished_tasks_and_the_same_table(tmp_path):
    spec = tmp_path / "agents.yaml"
    spec.write_text(
        SPEC.replace("replications: 3", "replications: 6").replace("[12, 13, 14]", "[12, 13, 14, 15]"), encoding="utf-8"
    )
    killed, tasks = tmp_path / "killed", tmp_path / "killed" / "tasks"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "run_sim.py"),
            "sweep",
            str(spec),
            "--out",
            str(killed),
            "--workers",
            "1",
            "--quiet",
        ],
        cwd=tmp_path,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (tasks.is_dir() and len(list(tasks.glob("p*.json"))) >= 5):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "the sweep wrote no task files"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        _kill_group(process)
    landed = {path: path.stat().st_mtime_ns for path in tasks.glob("p*.json")}
    assert 5 <= len(landed) < 24
    assert json.loads((killed / "manifest.json").read_text())["status"] == "running"

    resumed = sweep(spec, killed, workers=2, resume=True, progress=False)
    fresh = sweep(spec, tmp_path / "fresh", workers=1, progress=False)

    assert resumed.ran == 24 - len(landed)
    assert {path: path.stat().st_mtime_ns for path in landed} == landed
    pd.testing.assert_frame_equal(resumed.runs, fresh.runs, check_exact=True)
    pd.testing.assert_frame_equal(resumed.points, fresh.points, check_exact=True)
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "runs.parquet"), pd.read_parquet(tmp_path / "fresh" / "runs.parquet")
    )


def _kill_group(process: subprocess.Popen) -> None:
    """Stop whatever the killed sweep left behind (its worker processes share its session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
