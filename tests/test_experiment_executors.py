"""Executors: 1 worker = N workers = a Dask cluster, bit for bit; failures are captured, not raised."""

import math
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.compare import compare
from sim.experiments.executors import ExecutorError, LocalExecutor, SerialExecutor, make_executor
from sim.experiments.replications import ReplicationError, run
from sim.experiments.sweeps import sweep
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
SHORT = ["horizon=3h", "warmup=30m"]
SWEEP = f"""base: {ERLANG_C}
set: [horizon=3h, warmup=30m]
replications: 2
kpis: [asa, utilisation.agents]
parameters:
  teams.agents.agents: [12, 14]
"""


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(ERLANG_C, SHORT)


@pytest.fixture(scope="module")
def dask_cluster():
    """A real distributed cluster on loopback: scheduler and two single-threaded workers over TCP."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def dask(dask_cluster):
    from sim.experiments.executors import DaskExecutor

    with DaskExecutor(scheduler=dask_cluster.scheduler_address) as executor:
        yield executor


def finish_after_the_others(task: tuple[int, str]) -> int:
    """Task 0 waits until tasks 1 and 2 have left their marks in the folder, so it finishes last.

    A mark is left just before its task returns, so task 0 then gives the others' results a
    moment to reach the parent ahead of its own (without it, the two results raced).
    """
    index, folder = task
    marks = Path(folder)
    if index == 0:
        deadline = time.monotonic() + 120  # a guard against a hang, not a timing expectation
        while len(list(marks.glob("done-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.5)
    else:
        (marks / f"done-{index}").touch()
    return index


def test_local_pool_yields_in_completion_order_with_the_task_index(tmp_path):
    with LocalExecutor(2) as pool:
        outcomes = list(pool.imap(finish_after_the_others, [(i, str(tmp_path)) for i in range(3)]))
    assert [o.index for o in outcomes][-1] == 0
    assert sorted(o.index for o in outcomes) == [0, 1, 2]


@pytest.mark.parametrize("make", [SerialExecutor, lambda: LocalExecutor(2)], ids=["serial", "local"])
def test_a_failing_task_is_captured_and_the_others_still_run(make):
    with make() as executor:
        outcomes = sorted(executor.imap(math.sqrt, [4.0, -1.0, 9.0]), key=lambda o: o.index)
    assert [o.value for o in outcomes] == [2.0, None, 3.0]
    assert outcomes[1].error == "ValueError: math domain error"
    assert outcomes[1].traceback.startswith("Traceback") and "math domain error" in outcomes[1].traceback
    assert not outcomes[1].ok and outcomes[0].ok


def test_dask_captures_a_failing_task(dask):
    outcomes = sorted(dask.imap(math.sqrt, [-4.0, 16.0]), key=lambda o: o.index)
    assert outcomes[0].error == "ValueError: math domain error"
    assert outcomes[1].value == 4.0


def test_make_executor_never_starts_more_local_workers_than_tasks():
    assert isinstance(make_executor("local", 8, tasks=1), SerialExecutor)
    with make_executor("local", 8, tasks=3) as executor:
        assert executor.workers == 3


@pytest.mark.parametrize(
    "kind, workers, scheduler, message",
    [
        ("local", 0, None, "at least 1"),
        ("local", 2, "tcp://127.0.0.1:8786", "needs the Dask executor"),
        ("ray", 2, None, "unknown executor 'ray'"),
    ],
)
def test_make_executor_rejects_options_that_do_not_fit(kind, workers, scheduler, message):
    with pytest.raises(ExecutorError, match=message):
        make_executor(kind, workers, scheduler)


@pytest.mark.parametrize("address", ["notaurl", "tls://127.0.0.1:1"])
def test_a_scheduler_that_is_not_a_tcp_address_is_refused_with_the_form_to_use(address):
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match=rf"cannot reach the Dask scheduler at {address}: .*tcp://host:port"):
        make_executor("dask", None, address)


REFUSE_TWICE = """
import gc
from sim.experiments.executors import ExecutorError, make_executor
gc.set_threshold(50)  # collect often, as a long test session or app does, so a leftover Client is collected mid-start
for address in ["notaurl", "tls://127.0.0.1:1"] * 2:
    try:
        make_executor("dask", None, address)
    except ExecutorError:
        pass
print("refused four")
"""


def test_refusing_bad_scheduler_addresses_again_and_again_in_one_process_neither_hangs_nor_crashes():
    # about 4 s; a Client left for the collector stalled a later one for 80 s or for ever, or crashed it
    pytest.importorskip("distributed")
    done = subprocess.run([sys.executable, "-c", REFUSE_TWICE], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "refused four", done.stderr[-2000:]


def test_a_failing_replication_stops_run_with_the_workers_traceback(scenario, monkeypatch):
    import sim.experiments.replications

    def broken(*_):
        raise ZeroDivisionError("no agents left")

    monkeypatch.setattr(sim.experiments.replications, "run_replication", broken)
    with pytest.raises(
        ReplicationError,
        match=r"replication 0 of erlang_c \(seed 2026\) failed: "
        r"ZeroDivisionError: no agents left(.|\n)*Traceback",
    ):
        run(scenario, replications=2, progress=False)


def test_run_tables_are_identical_for_one_two_workers_and_dask(scenario, dask):
    serial = run(scenario, replications=3, progress=False)
    for other in (
        run(scenario, replications=3, progress=False, workers=2),
        run(scenario, replications=3, progress=False, executor=dask),
    ):
        for table in ("tickets", "events", "levels", "kpis", "summary"):
            pd.testing.assert_frame_equal(getattr(serial, table), getattr(other, table), check_exact=True)
        assert other.warmup == serial.warmup
    assert serial.meta["executor"] == "1 serial worker"


def test_comparisons_are_identical_for_one_two_workers_and_dask(scenario, dask):
    variants = {"fourteen": scenario, "twelve": load_scenario(ERLANG_C, [*SHORT, "teams.agents.agents=12"])}
    tables = [
        compare(variants, replications=3, progress=False, **how).table
        for how in ({"workers": 1}, {"workers": 2}, {"executor": dask})
    ]
    for table in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], table, check_exact=True)


def test_sweeps_are_identical_for_one_two_workers_and_dask(tmp_path, dask):
    spec = tmp_path / "sweep.yaml"
    spec.write_text(SWEEP, encoding="utf-8")
    results = [
        sweep(spec, tmp_path / name, progress=False, **how)
        for name, how in (("one", {"workers": 1}), ("two", {"workers": 2}), ("dask", {"executor": dask}))
    ]
    for result in results[1:]:
        pd.testing.assert_frame_equal(results[0].runs, result.runs, check_exact=True)
        pd.testing.assert_frame_equal(results[0].points, result.points, check_exact=True)
    assert "Dask cluster at tcp://127.0.0.1" in results[2].meta["executor"]


def test_compare_reports_the_kpis_run_reports(scenario):
    kpis = run(scenario, replications=2, progress=False).kpis
    compared = compare({"a": scenario, "b": scenario}, replications=2, workers=1, progress=False).kpis
    mine = compared[compared["scenario"] == "a"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(kpis, mine, check_exact=True)
