"""What a planner reads: per-channel headline KPIs, intervals inside their bounds, one unit per cell,
comparisons that say what each variant changed and fit 100 columns, staffing sweeps that print cost."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import BASELINE, ROOT, SCENARIOS, build, fixed
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.channel_kpis import headline_kpis, precision_kpi
from sim.analysis.confidence import bounded_interval, summarise
from sim.analysis.kpi_catalogue import KPIS, SHARE
from sim.analysis.kpi_names import kpi_problem
from sim.analysis.kpis import replication_kpis
from sim.analysis.precision import PrecisionTarget
from sim.cli import main
from sim.demo import DEMOS
from sim.engine.replication import run_replication
from sim.experiments.compare import compare, scenario_changes, write_comparison
from sim.experiments.replications import run
from sim.experiments.results import load_comparison
from sim.reports.display import format_estimate, format_interval, format_value, kpi_table
from sim.reports.sections import KEY_KPIS
from sim.reports.tables import (
    WIDTH,
    comparison_table,
    format_difference,
    format_difference_estimate,
    sweep_points_table,
)
from sim.scenario.loader import load_scenario
from sim.scenario.variants import read_document

TIME = re.compile(r"\d([smhd])\b")


def two_channels(**fields):
    """Phone (live: a patience) and email (never abandons) into one agent, fixed times."""
    return build(
        channels=[
            {
                "name": "phone",
                "arrival_times": [0, 0],
                "category_mix": {"question": 1},
                "patience": fixed(1000),
                "service_level": {"target": 5, "goal": 0.8},
            },
            {"name": "email", "arrival_times": [1], "category_mix": {"question": 1}},
        ],
        **fields,
    )


# 1. Headline KPIs per channel --------------------------------------------------------------------


def test_headline_kpis_are_per_channel_and_the_live_asa_leaves_email_out():
    scenario = two_channels()
    records = run_replication(scenario)
    waits = records.tickets.sort_values("ticket")[["channel", "wait"]].values.tolist()
    # one agent, 10-minute tickets, first come first served: picked up at 0, 10 and 20
    assert waits == [["phone", 0.0], ["phone", 10.0], ["email", 19.0]]
    kpis = replication_kpis(records, scenario)
    assert kpis["asa.phone"] == 5.0 and kpis["asa.email"] == 19.0
    assert kpis["asa_live"] == 5.0  # phone only: the channel with a patience
    assert kpis["asa"] == pytest.approx(29 / 3)  # all channels pooled, kept under its explicit label
    assert kpis["service_level.phone"] == 0.5
    assert headline_kpis(scenario) == ["service_level.phone", "asa.phone", "asa.email"]
    assert list(kpis)[:5] == ["arrived", "resolved", "abandoned", "open", "abandonment_rate"]
    assert list(kpis)[5:8] == ["service_level.phone", "asa.phone", "abandonment_rate.phone"]


def test_pooled_asa_is_labelled_as_pooled_and_per_channel_asa_is_not():
    summary = summarise(pd.DataFrame([replication_kpis(run_replication(two_channels()), two_channels())]))
    labels = summary.set_index("kpi")["label"]
    assert labels["asa"] == "average speed of answer, all channels pooled"
    assert labels["asa.phone"] == "average speed of answer [phone]"
    assert labels["asa_live"] == "average speed of answer, live channels pooled"


def test_the_default_precision_kpi_is_the_first_live_channels_service_level():
    assert precision_kpi(two_channels()) == "service_level.phone"
    assert precision_kpi(load_scenario(BASELINE)) == "service_level.phone"
    assert precision_kpi(build()) == "asa.phone"  # no target and no patience: the first channel's ASA
    assert PrecisionTarget(0.05).for_scenario(two_channels()).kpi == "service_level.phone"
    assert PrecisionTarget(0.05, "asa.email").for_scenario(two_channels()).kpi == "asa.email"


def test_run_with_a_precision_target_watches_the_headline_kpi_by_default():
    result = run(two_channels(), replications=2, precision=PrecisionTarget(0.5, max_replications=3))
    assert result.precision is not None and result.precision.target.kpi == "service_level.phone"


def test_live_asa_is_refused_for_a_desk_without_a_live_channel():
    assert kpi_problem("asa_live", two_channels()) is None
    assert "no live channel" in str(kpi_problem("asa_live", build()))


def test_pooled_asa_is_no_default_anywhere():
    assert "asa" not in KEY_KPIS
    for path in (SCENARIOS / "sweeps").glob("*.yaml"):
        assert "asa" not in yaml.safe_load(path.read_text())["kpis"], path
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    assert not re.search(r"--kpi asa\b(?![._])", text)
    assert not re.search(r"--precision-kpi[^\n]*\basa\b(?![._])", text)


# 7. Shares are fractions with the unit "share" ---------------------------------------------------


def test_summary_stores_shares_as_fractions_with_the_unit_share():
    result = run(two_channels(), replications=2)
    row = result.summary.set_index("kpi").loc["service_level.phone"]
    assert row["unit"] == SHARE and row["mean"] == 0.5
    assert "%" not in {unit for _, unit in KPIS.values()}
    assert format_value(0.5, SHARE) == "50.0%"


# 5. Intervals of shares stay in [0, 1] -----------------------------------------------------------


def test_a_share_near_one_gets_an_interval_cut_at_100_percent_with_a_note():
    values = np.array([0.88, 0.97, 1.0, 0.99, 0.86])
    mean, half, low, high, _ = bounded_interval(values, SHARE)
    assert mean + half > 1 and high == 1.0 and low == mean - half
    summary = summarise(pd.DataFrame({"service_level.phone": values}))
    text = kpi_table(summary)
    assert "[" in text and "100.0%]" in text and "101" not in text
    assert "cut where the t interval passed a bound" in text


def test_a_share_that_is_zero_in_every_replication_is_exactly_zero_and_one_is_exactly_one():
    assert bounded_interval(np.zeros(4), SHARE)[2:4] == (0.0, 0.0)
    assert bounded_interval(np.ones(4), SHARE)[2:4] == (1.0, 1.0)
    low, high = bounded_interval(np.array([0.0, 0.0, 1e-4]), SHARE)[2:4]
    assert low == 0.0 and format_interval(low, high, SHARE) == "[0.00%, 0.02%]"  # was [-0.0%, 0.0%]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=12),
    st.lists(st.floats(0, 1, allow_nan=False), min_size=12, max_size=12),
)
def test_share_intervals_stay_in_bounds_and_hold_the_estimate(values, others):
    mean, _, low, high, n = bounded_interval(np.array(values), SHARE)
    assert n == len(values)
    if n >= 2:
        assert 0.0 <= low <= mean <= high <= 1.0
    paired = np.array(values) - np.array(others[: len(values)])
    diff, _, dlow, dhigh, _ = bounded_interval(paired, SHARE, difference=True)
    if n >= 2:
        assert -1.0 <= dlow <= diff <= dhigh <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1e5, allow_nan=False), min_size=2, max_size=8))
def test_time_and_count_intervals_never_go_below_zero(values):
    for unit in ("min", "count", "$"):
        mean, _, low, high, _ = bounded_interval(np.array(values), unit)
        assert 0.0 <= low <= mean <= high


# 6. One unit per cell ----------------------------------------------------------------------------


def test_an_estimate_and_its_interval_share_one_unit():
    assert format_estimate(59.7 / 60, 0.99, 1.003, "min") == "0.99m [0.99m, 1.00m]"  # was 59.7s [1.0m, 1.0m]
    assert format_estimate(117.6, 108.0, 132.0, "min") == "2.0h [1.8h, 2.2h]"  # was 117.6m [1.8h, 2.2h]
    assert format_difference_estimate(-41.3 / 60, -66 / 60, -18 / 60, "min") == "-0.7m [-1.1m, -0.3m]"


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1e5), st.floats(0, 1e4), st.floats(0, 1e4))
def test_no_formatted_cell_mixes_time_units(mean, below, above):
    cell = format_estimate(mean, max(mean - below, 0), mean + above, "min")
    assert len(set(TIME.findall(cell))) == 1, cell
    diff = format_difference_estimate(mean - 5e4, mean - 5e4 - below, mean - 5e4 + above, "min")
    assert len(set(TIME.findall(diff))) <= 1, diff


# 3 and 14. Comparisons: what each variant changed, in 100 columns, no "-0.0" ----------------------


def small_pair():
    document = read_document(BASELINE)
    short = ["horizon=1d", "warmup=2h"]
    return {
        "baseline": document.scenario(short),
        "tier1_14": document.scenario([*short, "teams.tier1.shifts[0].agents=14"]),
        "both": document.scenario([*short, "teams.tier1.shifts[0].agents=14", "teams.billing.shifts[0].agents=6"]),
    }


def test_a_comparison_says_what_each_variant_changed_in_the_table_the_json_and_the_report(tmp_path):
    from sim.reports.html import write_report

    scenarios = small_pair()
    expected = {
        "baseline": [],
        "tier1_14": ["teams.tier1.shifts[0].agents=14"],
        "both": ["teams.tier1.shifts[0].agents=14", "teams.billing.shifts[0].agents=6"],
    }
    assert scenario_changes(scenarios) == expected
    result = compare(scenarios, replications=2, workers=1, kpis=["service_level.phone", "asa.phone"])
    assert result.meta["changes"] == expected
    text = comparison_table(result.table, result.meta["changes"])
    assert "  tier1_14: teams.tier1.shifts[0].agents=14" in text
    assert "  both: teams.tier1.shifts[0].agents=14, teams.billing.shifts[0].agents=6" in text
    folder = write_comparison(result, tmp_path)
    assert json.loads((folder / "comparison.json").read_text())["changes"] == expected
    assert load_comparison(folder).meta["changes"] == expected
    page = write_report(folder).read_text()
    assert "teams.billing.shifts[0].agents=6" in page and 'id="scenario-changes"' in page


def test_changes_name_list_items_by_name_and_leave_out_the_name_and_description():
    base = build()
    other = build(name="other", description="x", teams=[{"name": "desk", "agents": 2}])
    assert scenario_changes({"a": base, "b": other}) == {"a": [], "b": ["teams.desk.agents=2"]}


def bundled_comparisons() -> dict[str, dict]:
    """The README's comparison and every demo, on a short horizon."""
    short = ("horizon=1d", "warmup=2h")
    comparisons = {"readme": small_pair()}
    for name, demo in DEMOS.items():
        comparisons[name] = dataclasses.replace(demo, overrides=(*demo.overrides, *short)).scenarios()
    return comparisons


@pytest.fixture(scope="module")
def bundled_tables() -> dict[str, str]:
    return {
        name: comparison_table(result.table, result.meta["changes"])
        for name, scenarios in bundled_comparisons().items()
        for result in [compare(scenarios, replications=2, workers=1)]
    }


def test_bundled_comparison_tables_fit_100_columns_and_never_print_minus_zero(bundled_tables):
    for name, text in bundled_tables.items():
        widest = max(text.splitlines(), key=len)
        assert len(widest) <= WIDTH, (name, widest)
        assert not re.search(r"-\$?0(\.0+)?(?![\d.])", text), name  # no "-0.0 pp", "-0.00", "-$0.00"
        assert "comparison.csv" in text  # where the full table is


def test_comparison_tables_hide_rows_that_are_zero_or_empty_everywhere_like_run(bundled_tables):
    text = bundled_tables["readme"]
    assert "transferred tickets abandoned after a transfer" not in text  # no data in any scenario
    assert "abandonment rate [email]" not in text  # zero in every replication of every scenario
    assert "not shown; see comparison.csv" in text


def test_a_difference_that_rounds_to_zero_has_no_sign():
    assert format_difference(-0.0001, SHARE) == "0.0 pp"
    assert format_difference(-1e-9, "agents") == "0.00"
    assert format_difference(-0.02, SHARE) == "-2.0 pp"


# 4. A staffing sweep prints cost and the answer --------------------------------------------------


def test_a_staffing_sweep_prints_cost_the_cheapest_answer_and_says_which_kpis_it_cut(tmp_path, capsys):
    sweep = tmp_path / "staffing.yaml"
    sweep.write_text(
        "name: tiny_staffing\n"
        f"base: {BASELINE}\n"
        "set: [horizon=1d, warmup=2h]\n"
        "replications: 2\n"
        "kpis: [service_level.phone, service_level.chat, asa.phone, asa.chat, abandonment_rate, cost_per_resolved]\n"
        "parameters:\n"
        "  teams.tier1.shifts[0].agents: [6, 14]\n"
    )
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("\n\n") : out.index("cheapest") if "cheapest" in out else out.index("runs in")]
    assert "$/week" in table
    words = " ".join(table.split())
    assert "more KPIs not shown to fit 100 columns" in words and "all in points.csv" in words
    assert "cheapest staffing that meets every goal" in out or "no point meets every goal" in out
    assert max(len(line) for line in table.splitlines()) <= WIDTH


def test_share_axes_of_comparison_and_sweep_charts_read_in_percent():
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    from sim.reports.plots_compare import value_axis

    ax = Figure().add_subplot()
    value_axis(ax, SHARE)  # the unit the KPI registry gives shares
    assert isinstance(ax.yaxis.get_major_formatter(), PercentFormatter)


def test_a_sweep_table_shows_a_distribution_parameter_as_its_values_not_json():
    points = pd.DataFrame(
        {
            "point_id": [0],
            "channels.phone.patience": ['{"dist": "exponential", "mean": "4m"}'],
            "replications": [2],
            "asa.phone_mean": [0.5],
            "asa.phone_half_width": [0.1],
            "asa.phone_ci_low": [0.4],
            "asa.phone_ci_high": [0.6],
        }
    )
    text = sweep_points_table(points, ["channels.phone.patience"], ["asa.phone"])
    assert "exponential, 4m" in text and "{" not in text
    assert "30.0s [24.0s, 36.0s]" in text
