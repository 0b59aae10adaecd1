"""Pictures a room can read: the flow diagram counts what the KPIs count, axes speak one unit, reports render.

The flow tests tie the escalation flow diagram to the records the handoff and escalation KPIs
come from; the axis tests read every time axis of every plot; the screenshot test renders every
report kind in headless Chromium (skipped, with its reason, when Chromium is absent).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, SCENARIOS, build, fixed
from matplotlib.image import AxesImage

from sim.analysis.kpis import replication_kpis
from sim.engine.replication import run_replication
from sim.reports.figures import new_figure, share_axis, share_text, time_axis
from sim.reports.plot_flow import STAYS, flow_moves, flows
from sim.scenario.variants import read_document

TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}]
TECH = {
    "name": "tech",
    "handle_time": fixed(10),
    "path": ["tier1", "tier2"],
    "resolve_probability": {"tier1": 0},
    "failed_attempt_time": fixed(4),
}


def test_flow_draws_a_consult_nobody_took_up_once_as_its_transfer_and_a_vip_reroute_as_an_arrival():
    # ticket 0 (tech, 0): tier 1 fails at 4 and asks tier 2 (busy with ticket 1 until 8) for a
    # consult; nobody takes it up by 6, so the ticket is transferred: one handoff, one arrow.
    # ticket 1 (direct, 0): routed to tier 2. ticket 2 (tech, 20): the consult starts at 24 and
    # the ticket stays at tier 1. ticket 3 (VIP, 30): sent to tier 2 on arrival, never at tier 1.
    scenario = build(
        segments=["standard", "vip"],
        channels=[
            {"name": "phone", "arrival_times": [0, 20], "category_mix": {"tech": 1}},
            {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}},
            {"name": "vip_line", "arrival_times": [30], "category_mix": {"vip_question": 1}},
        ],
        categories=[
            TECH,
            {"name": "other", "handle_time": fixed(8)},
            {"name": "vip_question", "handle_time": fixed(5), "segment": {"vip": 1}},
        ],
        teams=TIERS,
        routing=[{"channel": "direct", "team": "tier2"}, {"team": "tier1"}],
        escalation={
            "mode": "swarm",
            "swarm": {"consult_time": fixed(3), "max_wait": 2},
            "segment_rules": [{"segment": "vip", "route_to": "tier2"}],
        },
    )
    records = run_replication(scenario)
    drawn = [(f.source, f.target, f.kind, f.volume) for f in flows(records.tickets, records.events, scenario)]
    assert drawn == [
        ("new tickets", "tier1", "arrival", 2.0),
        ("new tickets", "tier2", "arrival", 2.0),
        ("tier1", "tier2", "consult", 1.0),
        ("tier1", "tier2", "functional", 1.0),
    ]
    assert int(records.tickets["handoffs"].sum()) == 1


BUNDLED_DESKS = {
    "tiered": ("tiered.yaml", ()),
    "swarming-tiered": ("swarming.yaml", ()),
    "swarming-swarm": ("swarming.yaml", ("escalation.mode=swarm",)),
}


@pytest.fixture(scope="module", params=list(BUNDLED_DESKS))
def bundled_run(request):
    """Replication 0 of a bundled escalation desk, over three days."""
    file, overrides = BUNDLED_DESKS[request.param]
    scenario = read_document(SCENARIOS / file).scenario(["horizon=3d", *overrides])
    return scenario, run_replication(scenario)


def test_transfer_arrows_sum_to_handoffs_per_ticket_times_tickets(bundled_run):
    scenario, records = bundled_run
    kpis = replication_kpis(records, scenario)
    drawn = flows(records.tickets, records.events, scenario)
    transfers = sum(f.volume for f in drawn if f.kind not in ("arrival", *STAYS))
    assert transfers > 0
    assert transfers == pytest.approx(kpis["handoffs_mean"] * kpis["arrived"], abs=1e-9)
    arrivals = sum(f.volume for f in drawn if f.kind == "arrival")
    assert arrivals == kpis["arrived"]


def test_each_transfer_arrow_is_the_stays_that_ended_in_that_escalation(bundled_run):
    """Per (from, to, kind): the visits the KPIs time that ended escalated, with the escalation record's kind."""
    scenario, records = bundled_run
    counted = records.tickets.loc[records.tickets["arrival"] >= scenario.warmup, "ticket"]
    visits = records.visits[records.visits["ticket"].isin(counted) & (records.visits["exit"] == "escalated")]
    esc = records.escalations.assign(
        team=records.escalations["from_team"].astype(str), left=records.escalations["time"]
    )
    ended = visits.assign(team=visits["team"].astype(str)).merge(esc, on=["ticket", "team", "left"], how="left")
    ended = ended.drop_duplicates(["ticket", "left"], keep="last")  # the transfer is the last record at that instant
    assert len(ended) == len(visits) and ended["kind"].notna().all()
    expected = ended.groupby(["from_team", "to_team", "kind"], observed=True).size()
    expected = {(str(a), str(b), str(k)): float(n) for (a, b, k), n in expected.items()}
    drawn = {
        (f.source, f.target, f.kind): f.volume
        for f in flows(records.tickets, records.events, scenario)
        if f.kind not in ("arrival", *STAYS)
    }
    assert drawn == expected


def test_every_escalation_record_is_an_arrow_or_a_rule_on_arrival_or_a_consult_nobody_took(bundled_run):
    scenario, records = bundled_run
    moves = flow_moves(records.tickets, records.events, scenario)
    counted = records.tickets.loc[records.tickets["arrival"] >= scenario.warmup, "ticket"]
    esc = records.escalations[records.escalations["ticket"].isin(counted)]
    unanswered = (esc["reason"] == "consult").sum() - (moves["kind"] == "consult").sum()
    assert (moves["kind"] != "arrival").sum() + unanswered == len(esc)


# -- one unit per time axis ---------------------------------------------------------------------------------
TIME_LABEL = re.compile(r"(^|\()(seconds|minutes|hours|days)\)?$")
DURATION_TICK = re.compile(r"^-?[0-9.,]+\s*(s|m|h|d|min)$")


def _ticks(ax, axis: str) -> list[str]:
    """The tick labels shown on an axis (within its view), after a draw."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(target.get_view_interval())
    slack = 1e-9 * max(abs(low), abs(high), 1.0)
    return [
        tick.label1.get_text()
        for tick in target.get_major_ticks()
        if tick.label1.get_text() and low - slack <= tick.get_loc() <= high + slack
    ]


def _time_axes(fig) -> list[tuple[str, list[str]]]:
    """(label, tick labels) of every axis of ``fig`` whose label names a time unit."""
    fig.canvas.draw()
    found = []
    for ax in fig.axes:
        for axis, label in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
            if TIME_LABEL.search(label):
                found.append((label, _ticks(ax, axis)))
    return found


def _no_duration_ticks(fig) -> list[str]:
    """Tick labels that carry their own time unit (``18.0s``, ``1.2m``): there must be none."""
    fig.canvas.draw()
    return [t for ax in fig.axes for axis in "xy" for t in _ticks(ax, axis) if DURATION_TICK.match(t)]


@pytest.mark.parametrize(
    ("largest", "label", "ticks"),
    [
        (10_000.0, "days", ["0", "2", "4", "6"]),
        (1.2, "minutes", ["0", "0.2", "0.4", "0.6", "0.8", "1", "1.2"]),
        (0.9, "seconds", ["0", "10", "20", "30", "40", "50"]),
        (300.0, "hours", ["0", "1", "2", "3", "4", "5"]),
    ],
)
def test_a_time_axis_reads_in_the_unit_of_its_largest_value_with_round_plain_ticks(largest, label, ticks):
    fig = new_figure(5, 3)
    ax = fig.add_subplot()
    ax.plot([0, largest], [0, 1])
    ax.set_xlim(0, largest)
    time_axis(ax, "x", "wait")
    fig.canvas.draw()
    assert ax.get_xlabel() == f"wait ({label})"
    assert _ticks(ax, "x") == ticks


def test_a_log_time_axis_has_one_unit_and_1_2_5_ticks():
    fig = new_figure(5, 3)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.set_xlim(5, 10_000)  # 5 minutes to a week: the example that read 10.0m, 100.0m, 16.7h, 6.9d
    time_axis(ax, "x", "resolution time")
    fig.canvas.draw()
    assert ax.get_xlabel() == "resolution time (days)"
    assert _ticks(ax, "x") == ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"]


@pytest.fixture(scope="module")
def small():
    from small_desk import small_run

    return small_run()


def test_every_time_axis_of_every_run_plot_has_one_unit_in_its_label_and_plain_ticks(small):
    from sim.reports.sections import run_pictures

    figures = [picture.figure for picture in run_pictures(small)]
    time_axes = [axis for fig in figures for axis in _time_axes(fig)]
    assert len(time_axes) == 3  # two wait panels (phone, chat) and the route plot
    for label, ticks in time_axes:
        assert ticks and all(_is_number(t) for t in ticks), (label, ticks)
    assert [t for fig in figures for t in _no_duration_ticks(fig)] == []


def test_comparison_and_sweep_time_axes_have_one_unit(comparison_table, sweep_points):
    from sim.reports.plots_compare import comparison_bars
    from sim.reports.plots_sweep import sweep_kpi_plot

    bars = comparison_bars(comparison_table, ["asa", "service_level.phone"])
    sweep = sweep_kpi_plot(sweep_points, ["teams.x.agents"], ["asa"], "grid")
    for fig in (bars, sweep):
        (label, ticks), *_ = _time_axes(fig)
        assert all(_is_number(t) for t in ticks), (label, ticks)
        assert _no_duration_ticks(fig) == []
    # the bars' own labels: one unit per panel, that of the longest bar (59.7 s reads 1.0m next to 1.2m)
    asa = bars.axes[0]
    assert sorted(t.get_text() for t in asa.texts) == ["1.0m", "1.2m"]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").replace("\u2212", "-"))
    except ValueError:
        return False
    return True


@pytest.fixture
def comparison_table() -> pd.DataFrame:
    rows = []
    for scenario, asa, level in (("base", 59.7 / 60, 0.995), ("variant", 1.2, 0.97)):
        for kpi, mean, unit, label in (
            ("asa", asa, "min", "average speed of answer"),
            ("service_level.phone", level, "%", "service level [phone]"),
        ):
            rows.append(
                {
                    "scenario": scenario,
                    "kpi": kpi,
                    "label": label,
                    "unit": unit,
                    "mean": mean,
                    "ci_low": mean * 0.99,
                    "ci_high": min(mean * 1.01, 1.0) if unit == "%" else mean * 1.01,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def sweep_points() -> pd.DataFrame:
    rows = []
    for point_id, agents in enumerate((4, 5, 6)):
        asa = [1.2, 0.6, 0.3][point_id]  # 72 s, 36 s, 18 s: one unit (minutes), not 18.0s ... 1.2m
        rows.append(
            {
                "point_id": point_id,
                "teams.x.agents": agents,
                "asa_mean": asa,
                "asa_ci_low": asa * 0.9,
                "asa_ci_high": asa * 1.1,
            }
        )
    return pd.DataFrame(rows)


def test_share_labels_never_round_a_miss_up_to_100_percent_and_share_axes_span_5_points():
    assert share_text(0.995) == "99.5%" and share_text(1.0) == "100%" and share_text(0.0004) == "0.04%"
    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0.931, 0.932])
    share_axis(ax)
    low, high = ax.get_ylim()
    assert high - low == pytest.approx(0.05)


def test_integer_parameters_are_ticked_on_whole_numbers(sweep_points):
    from sim.reports.plots_sweep import sweep_kpi_plot

    fig = sweep_kpi_plot(sweep_points, ["teams.x.agents"], ["asa"], "grid")
    fig.canvas.draw()
    assert all(float(t).is_integer() for t in _ticks(fig.axes[0], "x"))


def test_sweep_tables_show_a_distribution_parameter_as_words_not_json():
    from sim.reports.sections import _parameter

    assert _parameter('{"dist": "exponential", "mean": "2m"}') == "exponential, mean 2m"
    assert _parameter(12.0) == "12"


# -- sweep pictures: cost in the heatmaps, one colour direction, the goal actually missed ----------------------
@pytest.fixture
def grid() -> pd.DataFrame:
    """A 2 x 2 staffing grid: phone needs 2 agents in x, chat needs 2 in y; asa falls with x."""
    rows = []
    for point_id, (x, y) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2)]):
        phone, chat, asa = 0.6 + 0.2 * (x - 1), 0.6 + 0.2 * (y - 1), 2.0 / x
        row = {"point_id": point_id, "teams.x.agents": x, "teams.y.agents": y}
        for kpi, mean in (("service_level.phone", phone), ("service_level.chat", chat), ("asa", asa)):
            row |= {f"{kpi}_mean": mean, f"{kpi}_ci_low": mean - 0.01, f"{kpi}_ci_high": mean + 0.01}
        rows.append(row)
    return pd.DataFrame(rows)


def test_staffing_heatmaps_start_with_cost_and_colour_the_better_end_blue_with_a_colour_bar(grid):
    from sim.reports.plots_sweep import sweep_heatmap

    costs = [100.0, 150.0, 180.0, 230.0]
    fig = sweep_heatmap(grid, ["teams.x.agents", "teams.y.agents"], ["asa", "service_level.phone"], None, costs, "$")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        "staffing cost per week",
        "average speed of answer, all channels pooled",
        "service level [phone]",
    ]
    images = [next(a for a in ax.get_children() if isinstance(a, AxesImage)) for ax in panels]
    # lower is better for cost and ASA, higher for service level: the better end is blue in each
    assert [image.get_cmap().name for image in images] == ["RdYlBu_r", "RdYlBu_r", "RdYlBu"]
    assert len(fig.axes) == 2 * len(panels)  # a colour bar beside every panel
    bars = [ax for ax in fig.axes if not ax.get_title()]
    assert [bar.get_ylabel() for bar in bars] == [
        "$; lower is better",
        "minutes; lower is better",
        "%; higher is better",
    ]
    assert sorted(t.get_text() for t in panels[0].texts) == ["$100", "$150", "$180", "$230"]
    low, high = images[2].get_clim()
    assert high - low >= 0.05


def test_a_staffing_dot_that_meets_this_channels_goal_is_not_marked_as_missing_it(grid):
    from sim.reports.plots_sweep import staffing_plot

    goals = {"service_level.phone": 0.75, "service_level.chat": 0.75}
    fig = staffing_plot(
        grid, [100.0, 150.0, 180.0, 230.0], "$ per week", goals, None, ["teams.x.agents", "teams.y.agents"]
    )
    phone, chat = fig.axes

    def marked(ax, label):
        found = [c for c in ax.collections if c.get_label() == label]
        return sorted(map(tuple, found[0].get_offsets().tolist())) if found else []

    # (x=1, y=2) costs 150: misses phone (0.6) but meets chat (0.8); (x=2, y=1) costs 180: the other way round
    assert marked(phone, "misses this goal") == [(100.0, pytest.approx(0.6)), (150.0, pytest.approx(0.6))]
    assert marked(phone, "misses another channel's goal") == [(180.0, pytest.approx(0.8))]
    assert marked(chat, "misses this goal") == [(100.0, pytest.approx(0.6)), (180.0, pytest.approx(0.6))]
    assert marked(phone, "meets every goal") == [(230.0, pytest.approx(0.8))]
    assert sorted(t.get_text() for t in phone.texts) == ["1/1", "1/2", "2/1", "2/2"]  # which staffing each dot is
    fig.canvas.draw()
    ticks = [t.get_text() for t in phone.get_xticklabels() if t.get_text()]
    assert len(ticks) <= 6 and all(t.startswith("$") for t in ticks)


# -- every report kind, rendered in headless Chromium --------------------------------------------------------
SHORT = ["--set", "horizon=3d", "--set", "warmup=1d", "-r", "2", "--quiet"]


def report_folders(out: Path) -> dict[str, Path]:
    """Every report kind, on short horizons: a run, a comparison, a staffing and a sampled sweep, each demo."""
    import dataclasses

    from sim.demo import DEMOS, run_demo
    from sim.reports.html import write_report

    def cli(*args: str) -> None:
        subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], check=True, cwd=ROOT, capture_output=True)

    def only(folder: Path) -> Path:
        (found,) = [p.parent for p in folder.rglob("report.html")] or [next(p.parent for p in folder.rglob("*.json"))]
        return found

    folders = {}
    cli("run", str(SCENARIOS / "tiered.yaml"), *SHORT, "--out", str(out / "run"), "--report")
    folders["run-tiered"] = only(out / "run")
    cli(
        "compare",
        str(SCENARIOS / "swarming.yaml"),
        "--variant",
        "swarm:escalation.mode=swarm",
        *SHORT,
        "--out",
        str(out / "compare"),
        "--report",
    )
    folders["compare-swarming"] = only(out / "compare")
    for name in ("staffing", "demand_lhs"):
        spec = yaml.safe_load((SCENARIOS / "sweeps" / f"{name}.yaml").read_text(encoding="utf-8"))
        spec["base"] = str((SCENARIOS / "sweeps" / spec["base"]).resolve())
        spec["set"] = [s for s in spec.get("set", []) if not s.startswith(("horizon", "warmup"))]
        spec["set"] += ["horizon=3d", "warmup=1d"]
        spec["replications"] = 2
        if "sample" in spec:
            spec["sample"]["n"] = min(spec["sample"]["n"], 8)
        path = out / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        cli("sweep", str(path), "--out", str(out / f"sweep-{name}"), "--quiet", "--report")
        folders[f"sweep-{name}"] = out / f"sweep-{name}"
    for name, demo in DEMOS.items():
        short = dataclasses.replace(demo, overrides=(*demo.overrides, "horizon=3d", "warmup=1d"))
        folder = run_demo(short, out / f"demo-{name}", 2, workers=1, progress=False)
        write_report(folder)
        folders[f"demo-{name}"] = folder
    return folders


def screenshot(chromium: str, report: Path, png: Path, width: int = 1400, height: int = 8000) -> None:
    """A headless Chromium screenshot of ``report`` at the report's design width."""
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--screenshot={png}",
            f"--window-size={width},{height}",
            report.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def screenshots(out: Path, chromium: str) -> dict[str, Path]:
    """Each report kind's screenshot (``<kind>.png``) and its plots, under ``out``."""
    shots = {}
    for kind, folder in report_folders(out / "results").items():
        png = out / f"{kind}.png"
        screenshot(chromium, folder / "report.html", png)
        shots[kind] = png
    return shots


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow  # a minute or two: every report kind is simulated and rendered
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed: no report screenshots")
def test_every_report_kind_renders_in_chromium_to_a_non_blank_screenshot(tmp_path):
    """Screenshots land in $PICTURES_DIR (kept as artefacts) or a temporary folder."""
    from PIL import Image, ImageStat

    out = Path(os.environ.get("PICTURES_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    assert CHROMIUM is not None
    shots = screenshots(out, CHROMIUM)
    assert set(shots) == {
        "run-tiered",
        "compare-swarming",
        "sweep-staffing",
        "sweep-demand_lhs",
        "demo-handoff",
        "demo-swarming",
        "demo-authority",
    }
    for kind, png in shots.items():
        with Image.open(png) as image:
            assert image.size == (1400, 8000), kind
            spread = ImageStat.Stat(image.convert("L")).stddev[0]
            assert spread > 10, f"{kind}: the screenshot is blank"


if __name__ == "__main__":  # python tests/test_pictures.py OUT: the screenshots, for a person to look at
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "results/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    for kind, png in screenshots(target, CHROMIUM or "chromium").items():
        print(f"{kind}: {png}")
