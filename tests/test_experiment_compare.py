"""Paired comparisons under common random numbers, variants, and the ``compare`` command."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sim.analysis.precision import PrecisionTarget
from sim.cli import main
from sim.experiments.compare import compare, labelled_scenarios
from sim.reports.tables import format_difference
from sim.scenario.loader import load_scenario
from sim.scenario.variants import parse_variant

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
SHORT = ["horizon=4h", "warmup=30m"]


@pytest.fixture(scope="module")
def twelve():
    return load_scenario(ERLANG_C, [*SHORT, "teams.agents.agents=12"])


@pytest.fixture(scope="module")
def staffing(twelve):
    """12 agents (base) against 14 agents, the same customers in every replication."""
    fourteen = load_scenario(ERLANG_C, SHORT)
    return compare({"twelve": twelve, "fourteen": fourteen}, replications=5, workers=1, progress=False)


def rows(comparison, scenario):
    return comparison.table[comparison.table["scenario"] == scenario].set_index("kpi")


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(twelve):
    same = compare({"a": twelve, "b": twelve}, replications=4, workers=1, progress=False)
    b = rows(same, "b")
    assert (b["diff"].dropna() == 0).all() and (b["diff_half_width"].dropna() == 0).all()
    assert not b["significant"].any()


def test_more_agents_significantly_reduce_the_wait(staffing):
    asa = rows(staffing, "fourteen").loc["asa"]
    assert asa["diff"] < 0 and asa["diff_ci_high"] < 0 and asa["significant"]
    assert asa["diff"] == pytest.approx(asa["mean"] - rows(staffing, "twelve").loc["asa", "mean"])


def test_common_random_numbers_give_both_scenarios_the_same_customers(staffing):
    arrived = rows(staffing, "fourteen").loc["arrived"]
    assert arrived["diff"] == 0 and arrived["diff_half_width"] == 0 and not arrived["significant"]


def test_paired_interval_is_tighter_than_the_two_separate_intervals(staffing):
    twelve, fourteen = rows(staffing, "twelve").loc["asa"], rows(staffing, "fourteen").loc["asa"]
    assert fourteen["diff_half_width"] < twelve["half_width"] + fourteen["half_width"]


def test_per_replication_kpis_are_kept_in_scenario_then_replication_order(staffing):
    assert staffing.kpis[["scenario", "replication"]].astype(str).values.tolist() == [
        [s, str(r)] for s in ("twelve", "fourteen") for r in range(5)
    ]


def test_a_list_of_scenarios_needs_distinct_names(twelve):
    with pytest.raises(ValueError, match="two scenarios are named 'erlang_c'"):
        labelled_scenarios([twelve, twelve])
    with pytest.raises(ValueError, match="at least two scenarios"):
        labelled_scenarios([twelve])


def test_unknown_kpi_is_refused_before_anything_runs(twelve):
    with pytest.raises(ValueError, match=re.escape("unknown KPI 'asa.fax'")):
        compare({"a": twelve, "b": twelve}, kpis=["asa.fax"], workers=1)


@pytest.mark.parametrize(
    "text, name, overrides",
    [
        ("more:teams.agents.agents=16", "more", ("teams.agents.agents=16",)),
        ("two:teams.agents.agents=16, horizon=1d", "two", ("teams.agents.agents=16", "horizon=1d")),
        (
            "shape:channels.phone.hour_of_day=[1, 2, 3],seed=4",
            "shape",
            ("channels.phone.hour_of_day=[1, 2, 3]", "seed=4"),
        ),
        (
            "slow:categories.call.handle_time={dist: exponential, mean: 4m}",
            "slow",
            ("categories.call.handle_time={dist: exponential, mean: 4m}",),
        ),
    ],
)
def test_variant_text_splits_on_commas_between_overrides_only(text, name, overrides):
    variant = parse_variant(text)
    assert (variant.name, variant.overrides) == (name, overrides)


@pytest.mark.parametrize(
    "text, message",
    [
        ("teams.agents.agents=16", "write it as name:path=value"),
        ("my variant:seed=3", "letters, digits"),
        ("x:seed", "'seed' is not path=value"),
    ],
)
def test_bad_variant_text_says_how_to_write_it(text, message):
    with pytest.raises(ValueError, match=message):
        parse_variant(text)


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (-0.25, "min", "-15.0s"),
        (0.021, "share", "+2.1 pp"),
        (1.2, "$", "+$1.20"),
        (2.0, "agents", "+2.00"),
        (-0.6, "count", "-0.6"),
        (0.0, "count", "0"),  # a zero difference has no sign (was "+0")
        (-3.0, "count", "-3"),
    ],
)
def test_differences_read_in_the_kpis_unit_with_a_sign(value, unit, text):
    assert format_difference(value, unit) == text


def test_compare_command_prints_marked_differences_and_writes_tidy_files(tmp_path, capsys):
    code = main(
        [
            "compare",
            str(ERLANG_C),
            "--variant",
            "twelve:teams.agents.agents=12",
            "--set",
            "horizon=4h",
            "--set",
            "warmup=30m",
            "-r",
            "4",
            "--kpi",
            "asa",
            "--kpi",
            "arrived",
            "--workers",
            "2",
            "--out",
            str(tmp_path),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    asa_line = next(line for line in out.splitlines() if line.startswith("average speed of answer"))
    assert asa_line.endswith("*")
    assert not next(line for line in out.splitlines() if line.startswith("tickets arrived")).endswith("*")
    folder = next((tmp_path / "compare").iterdir())
    table = pd.read_csv(folder / "comparison.csv")
    assert set(table["scenario"]) == {"erlang_c", "twelve"} and set(table["kpi"]) == {"asa", "arrived"}
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "comparison.parquet"), table, check_dtype=False)
    doc = json.loads((folder / "comparison.json").read_text())
    assert doc["base"] == "erlang_c" and doc["replications"] == 4 and len(doc["rows"]) == 4
    assert (folder / "scenarios" / "twelve.resolved.yaml").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        ([str(ERLANG_C)], "compare needs at least two scenarios"),
        ([str(ERLANG_C), "--variant", "oops"], "write it as name:path=value"),
        (
            [str(ERLANG_C), "--variant", "x:teams.nobody.agents=3"],
            "--variant x:teams.nobody.agents=3: no item 'nobody' in teams",
        ),
        ([str(ERLANG_C), str(ERLANG_C)], "is given twice"),
        ([str(ERLANG_C), "--variant", "x:seed=3", "--kpi", "speed"], "unknown KPI 'speed'"),
    ],
)
def test_compare_command_reports_usage_problems_with_exit_status_2(args, message, capsys, tmp_path):
    assert main(["compare", *args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_precision_target_adds_the_same_replications_to_every_scenario(twelve):
    fourteen = load_scenario(ERLANG_C, SHORT)
    result = compare(
        {"twelve": twelve, "fourteen": fourteen},
        replications=3,
        workers=1,
        progress=False,
        kpis=["utilisation.agents"],
        precision=PrecisionTarget(0.03, "utilisation.agents", 40),
    )
    done = result.meta["replications"]
    assert 3 < done < 40 and all(status.met for status in result.precision)
    assert result.kpis.groupby("scenario", observed=True).size().tolist() == [done, done]
