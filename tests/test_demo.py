"""Trainer demos: each is a bundled scenario against a one-policy variant, and ends in a report with its story."""

import dataclasses
import io
import re
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.demo import DEMOS, run_demo

CHANGED = {"handoff": {"escalation"}, "swarming": {"escalation"}, "authority": {"teams"}}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_demo_list_prints_one_line_per_demo():
    code, out, _ = cli("demo", "--list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(DEMOS) == 3
    assert [line.split()[0] for line in lines] == ["handoff", "swarming", "authority"]
    assert "$500 versus $1,000" in lines[2]


def test_demo_without_a_name_lists_the_demos_as_an_error():
    code, out, err = cli("demo")
    assert code == 2 and out == ""
    assert err.startswith("error: name the demo to run") and "swarming" in err


@pytest.mark.parametrize("name", list(DEMOS))
def test_each_demo_varies_one_policy_of_its_bundled_scenario(name):
    scenarios = DEMOS[name].scenarios()
    base, *variants = [s.model_dump() for s in scenarios.values()]
    assert len(variants) >= 1
    for variant in variants:
        assert {key for key in base if base[key] != variant[key]} == CHANGED[name]


def test_authority_demo_writes_the_comparison_the_runs_and_a_report_with_its_teaching_note(tmp_path):
    demo = dataclasses.replace(DEMOS["authority"], overrides=("horizon=1d", "warmup=2h"))
    folder = run_demo(demo, tmp_path, 2, workers=1, progress=False)
    note = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    assert note["question"] == demo.question
    assert sorted(p.name for p in (folder / "runs" / "authority").iterdir()) == ["limit_1000", "limit_500"]
    kpis = pd.read_csv(folder / "kpis_by_replication.csv")
    reason = kpis.pivot(index="replication", columns="scenario", values="escalation_reason.authority")
    assert (reason["limit_1000"] < reason["limit_500"]).all()  # same customers, same refunds: fewer above the limit
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="teaching-note"' in page and demo.question in page
    assert re.findall(r'data-kpi="([^"]+)"', page)[:2] == ["escalation_reason.authority", "escalation_rate"]
    assert re.findall(r'id="plot-([a-z0-9_-]+)"', page) == ["bars", "differences", "flow-limit_500", "flow-limit_1000"]
