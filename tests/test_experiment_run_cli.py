"""The ``run`` command with workers, a precision target and warm-up guidance; progress bars."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.experiments.replications import run
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
SHORT = ["--set", "horizon=4h", "--set", "warmup=30m"]


def test_run_command_in_parallel_reports_precision_and_warmup(tmp_path, capsys):
    code = main(
        [
            "run",
            str(ERLANG_C),
            *SHORT,
            "-r",
            "3",
            "--workers",
            "2",
            "--precision",
            "0.05",
            "--precision-kpi",
            "utilisation.agents",
            "--max-replications",
            "8",
            "--out",
            str(tmp_path),
            "--quiet",
            "--no-events",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "on 2 local workers" in out.splitlines()[0]
    assert "precision: 95% half-width of utilisation.agents is" in out
    assert "warm-up: MSER-5 on the backlog suggests a warm-up of" in out
    assert (next((tmp_path / "erlang_c").iterdir()) / "summary.csv").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--precision", "5"], "--precision: the precision target must lie between 0 and 1"),
        (["--precision", "0.05", "--precision-kpi", "mean_wait"], "unknown KPI 'mean_wait'"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--scheduler", "tcp://127.0.0.1:1", "--executor", "local"], "needs the Dask executor"),
    ],
)
def test_run_command_rejects_bad_execution_options_with_exit_status_2(args, message, tmp_path, capsys):
    assert main(["run", str(ERLANG_C), *SHORT, "-r", "2", "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_progress_bar_shows_count_rate_and_eta(capsys):
    run(load_scenario(ERLANG_C, ["horizon=2h", "warmup=0"]), replications=3, progress=True, record_events=False)
    bar = capsys.readouterr().err
    # elapsed<remaining and the rate's unit; the numbers depend on the machine, so they are not asserted
    assert re.search(r"3/3 \[\d\d:\d\d<\d\d:\d\d, +[\d.?]+(run/s|s/run)\]", bar), bar


def test_a_quiet_run_shows_no_bar_and_does_not_load_tqdm(tmp_path):
    # tqdm.auto loads asyncio (about 12 ms of a run's start); a run without a bar needs neither
    code = (
        "import sys\nfrom sim.cli import main\n"
        f"main(['run', {str(ERLANG_C)!r}, '--set', 'horizon=2h', '-r', '2', '-w', '1', '--quiet', "
        f"'--out', {str(tmp_path)!r}])\n"
        "print(sorted(m for m in ('tqdm', 'asyncio') if m in sys.modules), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"
