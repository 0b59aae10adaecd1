"""The command line: ``run`` writes a complete run folder and prints KPIs; ``schema`` and ``validate`` help editing."""

import gc
import importlib
import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import BASELINE, ERLANG_C, ROOT, bundled_scenarios

from sim.cli import main
from sim.cli_common import lasting_imports
from sim.scenario.loader import load_scenario

RUN_FILES = {
    "scenario.resolved.yaml",
    "tickets.parquet",
    "events.parquet",
    "levels.parquet",
    "kpis_by_replication.csv",
    "intervals.csv",
    "intervals_teams.csv",
    "summary.json",
    "summary.csv",
}


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    folders: list[Path]


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Ran:
    """One short two-replication run of the Erlang C scenario, and what it printed."""
    out = tmp_path_factory.mktemp("results")
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = main(
            ["run", str(ERLANG_C), "-r", "2", "--out", str(out), "--quiet", "--set", "horizon=1d", "--set", "warmup=1h"]
        )
    return Ran(code, stdout.getvalue(), stderr.getvalue(), sorted((out / "erlang_c").iterdir()))


def test_run_exits_zero_and_writes_one_complete_run_folder(ran):
    assert ran.code == 0, ran.stderr
    assert len(ran.folders) == 1
    assert {p.name for p in ran.folders[0].iterdir()} == RUN_FILES


def test_run_prints_a_kpi_table_and_where_the_results_are(ran):
    assert ran.stdout.startswith("erlang_c: 2 replications of 24.0h")
    assert "seed 2026" in ran.stdout
    assert "average speed of answer" in ran.stdout
    assert "95% CI" in ran.stdout
    assert f"results: {ran.folders[0]}" in ran.stdout
    assert ran.stderr == ""


def test_run_tables_hold_both_replications(ran):
    folder = ran.folders[0]
    tickets = pd.read_parquet(folder / "tickets.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    levels = pd.read_parquet(folder / "levels.parquet")
    for table in (tickets, events, levels):
        assert sorted(table["replication"].unique()) == [0, 1]
    assert 2 * 4000 < len(tickets) < 2 * 5600  # 200 calls/h for 24 h, twice
    assert (events["event"] == "arrival").sum() == len(tickets)
    kpis = pd.read_csv(folder / "kpis_by_replication.csv")
    assert kpis["replication"].tolist() == [0, 1]
    assert (kpis["arrived"] > 0).all()


def test_summary_json_has_every_kpi_with_mean_and_interval(ran):
    folder = ran.folders[0]
    doc = json.loads((folder / "summary.json").read_text())
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("erlang_c", 2026, 2)
    asa = doc["kpis"]["asa"]
    assert asa["ci_low"] <= asa["mean"] <= asa["ci_high"]
    assert asa["n"] == 2
    summary = pd.read_csv(folder / "summary.csv")
    assert set(summary["kpi"]) == set(doc["kpis"])
    assert {"kpi", "mean", "half_width", "ci_low", "ci_high", "n"} <= set(summary.columns)


def test_resolved_scenario_reloads_as_the_scenario_that_ran(ran):
    folder = ran.folders[0]
    reloaded = load_scenario(folder / "scenario.resolved.yaml")
    assert (reloaded.horizon, reloaded.warmup, reloaded.seed, reloaded.replications) == (1440.0, 60.0, 2026, 2)
    assert reloaded.team("agents").agents == 14


def test_run_with_fewer_than_one_replication_is_a_usage_error(tmp_path, capsys):
    assert main(["run", str(ERLANG_C), "-r", "0", "--out", str(tmp_path), "--quiet"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_schema_prints_a_json_schema_with_the_top_level_fields(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {
        "name",
        "seed",
        "horizon",
        "warmup",
        "channels",
        "categories",
        "teams",
        "routing",
        "sla_policies",
        "calendars",
    } <= set(schema["properties"])
    assert set(schema["required"]) == {"channels", "categories", "teams", "routing"}


def test_bundled_scenarios_satisfy_the_printed_schema(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    main(["schema"])
    validator = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    for path in bundled_scenarios():
        doc = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))  # dates as ISO text
        assert [e.message for e in validator.iter_errors(doc)] == [], path


def test_validate_reports_ok_with_a_short_inventory(capsys):
    s = load_scenario(BASELINE)
    assert main(["validate", str(BASELINE)]) == 0
    first, work = capsys.readouterr().out.strip().splitlines()
    assert first == (
        f"{BASELINE}: ok ({len(s.channels)} channels, {len(s.categories)} categories, {len(s.teams)} teams, "
        f"{len(s.sla_policies)} SLA policies)"
    )
    assert work.startswith("estimated work: about ") and "tickets per replication" in work


def test_run_sim_script_prints_help():
    completed = subprocess.run([sys.executable, "run_sim.py", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0
    assert "run" in completed.stdout and "validate" in completed.stdout and "schema" in completed.stdout


def test_a_command_freezes_the_objects_of_the_modules_it_loads_and_nothing_on_later_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "first_time_here.py").write_text("TABLE = {n: [n] for n in range(100)}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    gc.unfreeze()
    with lasting_imports():
        importlib.import_module("first_time_here")
    frozen = gc.get_freeze_count()
    assert frozen > 0
    made_since = [[] for _ in range(100)]  # objects of the process between two runs
    with lasting_imports():  # a later run in the same process imports nothing new
        importlib.import_module("first_time_here")
    assert gc.get_freeze_count() == frozen, "a later run froze objects it did not load"
    assert made_since
    gc.unfreeze()
    del sys.modules["first_time_here"]


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["run", str(BASELINE), "--out", ""], "--out"),
        (["run", ""], "scenario"),
        (["compare", str(BASELINE), " "], "SCENARIO"),
        (["sweep", "scenarios/sweeps/staffing.yaml", "--out", ""], "--out"),
        (["optimise", str(BASELINE), "--goals", ""], "--goals"),
        (["run", str(BASELINE), "--scheduler", ""], "--scheduler"),
        (["calibrate", "tickets.csv", "--base", ""], "--base"),
        (["demo", "handoff", "--out", ""], "--out"),
        (["report", ""], "RESULTS_DIR"),
    ],
)
def test_an_empty_file_or_folder_option_is_refused_instead_of_meaning_the_default(command, option, capsys):
    with pytest.raises(SystemExit) as exited:
        main(command)
    assert exited.value.code == 2
    assert f"error: argument {option}: is empty; give " in capsys.readouterr().err
