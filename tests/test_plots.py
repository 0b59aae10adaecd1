"""Every plot draws what its data says: one artist per team, channel, priority, flow or scenario, at the right place.

Run pictures come from a two-replication run of a small desk (``small_desk``); comparison and
sweep pictures from small hand-made tables whose numbers are known.
"""

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.image import AxesImage
from matplotlib.patches import FancyArrowPatch, Rectangle
from PIL import Image
from small_desk import scenario as small_scenario
from small_desk import small_run

from sim.analysis.staffing import cheapest_meeting_goals, weekly_agent_hours
from sim.experiments.compare import paired_table
from sim.reports.figures import png_bytes, save_figure
from sim.reports.plot_flow import escalation_flow_plot, escalation_moves, flows
from sim.reports.plots import (
    backlog_plot,
    resolution_by_path_plot,
    shift_changes,
    sla_attainment_plot,
    utilisation_by_hour,
    utilisation_heatmap,
    wait_ecdf_plot,
)
from sim.reports.plots_compare import comparison_bars, paired_difference_plot
from sim.reports.plots_sweep import staffing_plot, sweep_heatmap, sweep_kpi_plot, value_label
from sim.scenario.spec import TeamSpec

TEAMS = ["tier1", "leads", "tier2"]


@pytest.fixture(scope="module")
def ran():
    return small_run()


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_backlog_plot_draws_a_queue_line_and_a_staffing_step_per_team_and_marks_shifts_surges_warmup(ran):
    fig = backlog_plot(ran.levels, ran.scenario)
    backlog, duty = fig.axes
    assert [line.get_label() for line in backlog.lines] == TEAMS
    assert [line.get_label() for line in duty.lines] == TEAMS
    assert max(duty.lines[1].get_ydata()) == 2  # the leads, around the clock
    changes = [c for c in duty.collections if isinstance(c, LineCollection)]  # light, below the backlog
    assert len(changes) == 1 and len(changes[0].get_segments()) == 4
    assert not [c for c in backlog.collections if isinstance(c, LineCollection)]
    assert {"surge ×2 (phone)", "warm-up (not in KPIs)"} <= set(legend_texts(backlog))
    assert backlog.get_ylabel().startswith("tickets waiting")
    assert duty.get_xlabel() == "day (ticks at midnight)"
    assert [t.get_text() for t in duty.get_xticklabels()] == ["Mon 5 Jan", "Tue 6 Jan", "Wed 7 Jan"]
    assert duty.get_ylabel() == "agents on duty"


def test_shift_changes_are_every_shift_start_and_end_within_the_run():
    assert list(shift_changes(small_scenario())) == [360.0, 1080.0, 1800.0, 2520.0]  # 06:00 and 18:00, two days
    office = [{"name": "tier1", "shifts": [{"start": "09:00", "end": "17:00", "agents": 1}]}]
    weekdays = small_scenario(
        teams=office,
        categories=[{"name": c, "handle_time": {"dist": "fixed", "value": 1}} for c in ("question", "refund", "fault")],
        start_date="2026-01-09",
        horizon="3d",
    )  # Friday, Saturday, Sunday
    assert list(shift_changes(weekdays)) == [540.0, 1020.0]


def test_wait_ecdf_has_a_panel_per_channel_with_the_target_line_and_the_service_level_reached(ran):
    fig = wait_ecdf_plot(ran.tickets, ran.scenario)
    assert [ax.get_title().split(" ")[0] for ax in fig.axes] == ["phone", "chat"]
    summary = ran.summary.set_index("kpi")["mean"]
    for ax, channel, target in zip(fig.axes, ["phone", "chat"], [0.5, 1.0], strict=True):
        ecdf, target_line, goal_line, dot = ax.lines
        shares = np.asarray(ecdf.get_ydata())
        assert np.all(np.diff(shares) >= 0) and shares[-1] <= 1
        assert list(target_line.get_xdata()) == [target, target]
        assert list(goal_line.get_ydata()) == [0.8, 0.8]
        assert dot.get_ydata()[0] == pytest.approx(summary[f"service_level.{channel}"], abs=0.05)
        assert ax.get_xlabel() in ("wait (seconds)", "wait (minutes)")
        assert ax.get_ylabel() == "share of customers answered"


def test_sla_attainment_draws_two_bars_per_priority_at_the_summary_means(ran):
    fig = sla_attainment_plot(ran.summary, ran.scenario)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    summary = ran.summary.set_index("kpi")["mean"]
    expected = [summary[f"{clock}_attainment.{p}"] for clock in ("first_response", "resolution") for p in ("P1", "P2")]
    assert [b.get_height() for b in bars] == pytest.approx(expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["P1", "P2"]
    assert legend_texts(ax) == ["first response", "resolution"]


def test_sla_attainment_is_left_out_without_sla_policies(ran):
    assert sla_attainment_plot(ran.summary.iloc[:0], small_scenario(sla_policies=[])) is None


def test_hourly_utilisation_averages_to_the_run_utilisation_of_a_constantly_staffed_team(ran):
    table = utilisation_by_hour(ran.levels, ran.scenario)
    assert list(table.index) == TEAMS and table.shape == (3, 168)
    tier2 = table.loc["tier2"]
    assert tier2.notna().sum() == 46  # Monday 02:00 (after the warm-up) to Tuesday 24:00
    assert tier2.mean() == pytest.approx(ran.summary.set_index("kpi").loc["utilisation.tier2", "mean"], rel=1e-9)


def test_utilisation_heatmap_is_an_image_of_teams_by_hours_of_the_week(ran):
    ax = utilisation_heatmap(ran.levels, ran.scenario).axes[0]
    image = next(a for a in ax.get_children() if isinstance(a, AxesImage))
    assert image.get_array().shape == (3, 168)
    assert [t.get_text() for t in ax.get_yticklabels()] == TEAMS
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert ax.get_xlabel() == "hour of the week"


def test_flow_diagram_draws_an_arrow_per_flow_with_width_growing_with_volume(ran):
    fig = escalation_flow_plot(ran.tickets, ran.events, ran.scenario)
    ax = fig.axes[0]
    expected = flows(ran.tickets, ran.events, ran.scenario)
    assert [(f.source, f.target, f.kind) for f in expected] == [
        ("new tickets", "tier1", "arrival"),
        ("tier1", "leads", "hierarchical"),
        ("tier1", "tier2", "functional"),
    ]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert [a.get_label() for a in arrows] == [f"{f.source}>{f.target}" for f in expected]
    widths = [a.get_linewidth() for a in arrows]
    assert np.argsort(widths).tolist() == np.argsort([f.volume for f in expected]).tolist()
    texts = {t.get_text().split("\n")[0] for t in ax.texts}
    assert {"new tickets", *TEAMS} <= texts
    assert legend_texts(ax) == ["new tickets into their first team", "hierarchical transfer", "functional transfer"]


def test_a_run_without_an_event_log_has_no_flow_diagram(ran):
    assert escalation_flow_plot(ran.tickets, ran.events.iloc[:0], ran.scenario) is None


def test_arrivals_into_the_flow_are_the_counted_tickets_per_replication(ran):
    arrivals = flows(ran.tickets, ran.events, ran.scenario)[0]
    counted = (ran.tickets["arrival"] >= ran.scenario.warmup).sum()
    assert arrivals.volume == counted / 2


def test_a_swarm_consult_taken_up_is_a_consult_and_one_cancelled_is_only_its_transfer():
    events = pd.DataFrame(
        {
            "time": [1.0, 1.0, 2.0, 5.0, 5.0, 8.0, 8.0],
            "ticket": [1, 1, 1, 2, 2, 2, 2],
            "event": [
                "escalated",
                "task_queued",
                "task_started",
                "escalated",
                "task_queued",
                "task_cancelled",
                "escalated",
            ],
            "team": ["tier1", "tier2", "tier2", "tier1", "tier2", "tier2", "tier1"],
            "detail": [
                "functional|consult|tier2",
                "consult",
                "consult",
                "functional|consult|tier2",
                "consult",
                "consult",
                "functional|complexity|tier2",
            ],
        }
    )
    moves = escalation_moves(events)
    assert list(zip(moves["ticket"], moves["kind"], moves["reason"], strict=True)) == [
        (1, "consult", "consult"),
        (2, "functional", "complexity"),
    ]


def test_resolution_by_path_has_a_box_per_route_labelled_with_its_share(ran):
    ax = resolution_by_path_plot(ran.tickets, ran.scenario).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert [label.split("  ")[0] for label in labels] == ["tier1 → leads", "tier1 → tier2", "tier1"]
    assert labels[-1].endswith("%)")
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel().startswith("resolution time")


def test_a_figure_is_saved_as_a_decodable_png_and_an_svg(ran, tmp_path):
    fig = sla_attainment_plot(ran.summary, ran.scenario)
    png = save_figure(fig, tmp_path / "sla", dpi=100)
    assert (tmp_path / "sla.png").read_bytes() == png
    with Image.open(tmp_path / "sla.png") as image:
        assert image.size == (round(fig.get_figwidth() * 100), round(fig.get_figheight() * 100))
    assert ET.parse(tmp_path / "sla.svg").getroot().tag.endswith("svg")
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def comparison() -> pd.DataFrame:
    """Three scenarios, three replications: b is 10 s faster to answer every time, c differs by noise only."""
    rows = []
    for r, noise in enumerate([-1.0, 0.0, 1.0]):
        rows += [
            {"scenario": "a", "replication": r, "asa": 1.0 + noise / 10, "abandonment_rate": 0.1},
            {"scenario": "b", "replication": r, "asa": 1.0 + noise / 10 - 1 / 6, "abandonment_rate": 0.08},
            {
                "scenario": "c",
                "replication": r,
                "asa": 1.0 + (noise * 0.05 if r else 0.05),
                "abandonment_rate": 0.1 + 0.01 * noise,
            },
        ]
    frame = pd.DataFrame(rows)
    frame["scenario"] = pd.Categorical(frame["scenario"], ["a", "b", "c"])
    return paired_table(frame, ["a", "b", "c"])


def test_comparison_bars_have_a_panel_per_kpi_and_a_bar_per_scenario_at_its_mean(comparison):
    fig = comparison_bars(comparison, ["asa", "abandonment_rate"])
    titles = [ax.get_title().replace("\n", " ") for ax in fig.axes]  # long titles wrap
    assert titles == ["average speed of answer, all channels pooled", "abandonment rate"]
    for ax, kpi in zip(fig.axes, ["asa", "abandonment_rate"], strict=True):
        bars = [p for p in ax.patches if isinstance(p, Rectangle)]
        means = comparison[comparison["kpi"] == kpi]["mean"].tolist()
        assert [b.get_height() for b in bars] == pytest.approx(means)
        assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]


def test_paired_differences_are_dots_relative_to_the_base_filled_only_when_significant(comparison):
    ax = paired_difference_plot(comparison, ["asa", "abandonment_rate"]).axes[0]
    dots = ax.collections[1::2]
    assert [d.get_label() for d in dots] == ["b − a", "c − a"]
    b_asa = dots[0].get_offsets()[0][0]
    assert b_asa == pytest.approx(-1 / 6)  # 10 s less on a 1-minute base
    filled = [tuple(d.get_facecolors()[0][:3]) != (1.0, 1.0, 1.0) for d in dots]
    significant = comparison.set_index(["scenario", "kpi"])["significant"]
    assert filled == [bool(significant[("b", "asa")]), bool(significant[("c", "asa")])] == [True, False]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "average speed of answer, all channels pooled",
        "abandonment rate",
    ]


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    """A 3 x 2 staffing grid: service level rises with both head counts."""
    rows = []
    for point_id, (a, b) in enumerate([(a, b) for a in (4, 5, 6) for b in (1, 2)]):
        level = 0.5 + 0.08 * a + 0.05 * b - 0.35
        rows.append(
            {
                "point_id": point_id,
                "teams.x.agents": a,
                "teams.y.agents": b,
                "service_level.phone_mean": level,
                "service_level.phone_ci_low": level - 0.02,
                "service_level.phone_ci_high": level + 0.02,
                "asa_mean": 2.0 / a,
                "asa_ci_low": 1.8 / a,
                "asa_ci_high": 2.2 / a,
            }
        )
    return pd.DataFrame(rows)


def test_sweep_kpi_plot_has_a_panel_per_kpi_and_parameter_with_a_line_per_value_of_the_other(points):
    fig = sweep_kpi_plot(points, ["teams.x.agents", "teams.y.agents"], ["service_level.phone", "asa"], "grid")
    assert len(fig.axes) == 4
    against_x, against_y = fig.axes[0], fig.axes[1]
    assert len(against_x.lines) == 2 and len(against_y.lines) == 3
    assert list(against_x.lines[0].get_xdata()) == [4, 5, 6]
    assert against_x.get_ylabel() == "service level [phone]"
    assert fig.axes[2].get_xlabel() == "x.agents" and fig.axes[3].get_xlabel() == "y.agents"
    assert len(against_x.collections) == 2  # one interval band per line


def test_sampled_sweeps_draw_dots_and_name_mapping_values_by_their_contents(points):
    sample = points.assign(
        **{
            "channels.phone.patience": [
                json.dumps({"dist": "exponential", "mean": m}) for m in ["2m", "4m", "8m", "2m", "4m", "8m"]
            ]
        }
    )
    fig = sweep_kpi_plot(sample, ["teams.x.agents", "channels.phone.patience"], ["asa"], "lhs")
    against_patience = fig.axes[1]
    assert [t.get_text() for t in against_patience.get_xticklabels()] == [
        "exponential, 2m",
        "exponential, 4m",
        "exponential, 8m",
    ]
    dots = against_patience.lines[0]
    assert sorted(dots.get_xdata()) == [0, 0, 1, 1, 2, 2] and dots.get_marker() == "o"
    assert not [c for c in against_patience.collections if isinstance(c, PolyCollection)]  # no bands on samples
    assert value_label("x" * 30) == "x" * 23 + "…"


def test_the_cheapest_point_meeting_every_goal_is_found_and_starred(points):
    costs = [10.0 * a + 25.0 * b for a, b in zip(points["teams.x.agents"], points["teams.y.agents"], strict=True)]
    best = cheapest_meeting_goals(points, costs, "$ per week", {"service_level.phone": 0.55})
    # levels: (4,1) .52 (4,2) .57 (5,1) .60 (5,2) .65 ...; costs 65, 90, 75, 100 ... -> (5,1) at 75
    assert (best.point_id, best.cost) == (2, 75.0)
    assert cheapest_meeting_goals(points, costs, "$ per week", {"service_level.phone": 0.99}) is None
    fig = staffing_plot(points, costs, "$ per week", best.goals, best)
    ax = fig.axes[0]
    star = next(c for c in ax.collections if c.get_label() == "cheapest meeting goals")
    assert star.get_offsets().tolist() == [[75.0, pytest.approx(0.6)]]
    met = next(c for c in ax.collections if c.get_label() == "meets every goal")
    assert len(met.get_offsets()) == 5


def test_sweep_heatmap_is_a_cell_per_point_with_the_cheapest_framed(points):
    costs = [10.0 * a + 25.0 * b for a, b in zip(points["teams.x.agents"], points["teams.y.agents"], strict=True)]
    best = cheapest_meeting_goals(points, costs, "$", {"service_level.phone": 0.55})
    ax = sweep_heatmap(points, ["teams.x.agents", "teams.y.agents"], ["service_level.phone"], best).axes[0]
    image = next(a for a in ax.get_children() if isinstance(a, AxesImage))
    assert image.get_array().shape == (3, 2)
    assert image.get_array()[1, 0] == pytest.approx(0.6)
    frame = next(p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill())
    assert frame.get_xy() == (-0.5, 0.5)  # column y=1, row x=5
    assert len(ax.texts) == 6


def test_weekly_agent_hours_count_each_shift_on_its_days_and_overnight_shifts_across_midnight():
    team = TeamSpec.model_validate(
        {
            "name": "t",
            "shifts": [
                {"start": "22:00", "end": "06:00", "agents": 2},
                {"days": ["sat"], "start": "09:00", "end": "13:00", "agents": 3},
            ],
        }
    )
    assert weekly_agent_hours(team) == 2 * 8 * 5 + 3 * 4
    assert weekly_agent_hours(TeamSpec.model_validate({"name": "t", "agents": 2})) == 2 * 168
    assert math.isclose(weekly_agent_hours(team), 92.0)
