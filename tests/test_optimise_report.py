"""The staffing optimiser's report: read from the run folder alone, every section and picture, blanks kept blank.

``write_optimise_folder`` builds a realistic synthetic optimiser run folder (three pools, 30-minute
intervals, phone and chat) with the files the optimiser writes, so the report is tested without
running the optimiser: rosters are whole 8-hour shifts laid greedily over the requirement, and
chat has no arrivals at night (no service level there).
"""

from __future__ import annotations

import base64
import io
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from sim.experiments.results import ResultsError
from sim.reports.optimise_report import FILES, load_optimise, write_optimise_report
from sim.reports.plot_optimise import requirement_plot, service_level_plot

INTERVAL = 30
SLOTS = 48
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SHIFT_SLOTS = 16  # 8-hour shifts
SHRINKAGE = 0.25
POOLS = {"tier1": (2, 22, 30.0), "tier2": (1, 7, 45.0), "billing": (1, 4, 38.0)}
"""Each pool's Erlang requirement at night and at the peak, and its cost per agent-hour."""
IMAGE = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def profile() -> np.ndarray:
    """The week's demand shape per interval, 0 at night to 1 at the weekday late-morning peak."""
    hours = (np.arange(SLOTS) + 0.5) * INTERVAL / 60
    day = np.exp(-(((hours - 11) / 3.2) ** 2)) + 0.6 * np.exp(-(((hours - 17) / 2.5) ** 2))
    day = day / day.max()
    return np.concatenate([day * (0.65 if d in ("sat", "sun") else 1.0) for d in DAYS])


def greedy_roster(required: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Whole 8-hour shifts on the hour, started at the first interval still short, until every interval is covered."""
    on_duty = np.zeros(len(required))
    starts: list[tuple[int, int]] = []
    for t in range(len(required)):
        start = t - t % 2  # the hour the interval falls in
        while on_duty[t] < math.ceil(required[t] - 1e-9):
            on_duty[(start + np.arange(SHIFT_SLOTS)) % len(required)] += 1
            starts.append((start // SLOTS, start % SLOTS))
    return on_duty, starts


def shifts_yaml(starts: list[tuple[int, int]]) -> list[str]:
    """Shift starts as scenario shift lines, one per start time and head count with its days, as a roster is written."""
    count: dict[tuple[int, int], int] = {}
    for day, slot in starts:
        count[day, slot] = count.get((day, slot), 0) + 1
    grouped: dict[tuple[int, int], list[str]] = {}
    for (day, slot), agents in sorted(count.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        grouped.setdefault((slot, agents), []).append(DAYS[day])
    clock = lambda s: f"{s * INTERVAL // 60:02d}:{s * INTERVAL % 60:02d}"  # noqa: E731
    return [
        f'      - {{days: [{", ".join(days)}], start: "{clock(slot)}", end: "{clock((slot + SHIFT_SLOTS) % SLOTS)}", '
        f"agents: {agents}}}"
        for (slot, agents), days in grouped.items()
    ]


def write_optimise_folder(folder: Path, compared: bool = True) -> Path:
    """A synthetic optimiser run folder: the seven files, as the optimiser writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    shape = profile()
    weekday = np.repeat(DAYS, SLOTS)
    slot = np.tile(np.arange(SLOTS), len(DAYS))
    requirement, costs, roster = [], [], ["# optimised roster: paste into the scenario", "teams:"]
    for i, (pool, (low, high, rate)) in enumerate(POOLS.items()):
        erlang = np.round(low + (high - low) * shape)
        isa = erlang + np.round((i == 1) * 3 * shape + (i == 0) * (shape > 0.6))  # tier 2 gets tier 1's escalations
        required = isa / (1 - SHRINKAGE)
        rostered, starts = greedy_roster(required)
        erlang_only, erlang_starts = greedy_roster(erlang / (1 - SHRINKAGE))
        requirement.append(
            pd.DataFrame(
                {
                    "pool": pool,
                    "weekday": weekday,
                    "slot": slot,
                    "start": slot * INTERVAL,
                    "erlang": erlang,
                    "isa": isa,
                    "required": required.round(2),
                    "rostered": rostered,
                    "erlang_only": erlang_only if compared else np.nan,
                }
            )
        )
        roster += [f"  {pool}:", "    shifts:", *shifts_yaml(starts)]
        for name, n in (("optimised", len(starts)), ("erlang_only", len(erlang_starts))):
            if compared or name == "optimised":
                costs.append({"roster": name, "pool": pool, "paid_hours": 8.0 * n, "cost": 8.0 * n * rate})
    pd.concat(requirement).to_csv(folder / "requirement.csv", index=False)
    costs_table = pd.DataFrame(costs)
    costs_table.to_csv(folder / "costs.csv", index=False)
    (folder / "roster.yaml").write_text("\n".join(roster) + "\n", encoding="utf-8")
    service_levels(shape, compared).to_csv(folder / "service_levels.csv", index=False)
    goals(compared).to_csv(folder / "goals.csv", index=False)
    iterations(compared).to_csv(folder / "iterations.csv", index=False)
    cost = costs_table.groupby("roster")["cost"].sum()
    summary = {
        "scenario": "tiered",
        "goals_file": "scenarios/goals/tiered.yaml",
        "run_id": "20261130-120000",
        "interval": INTERVAL,
        "horizon_days": 7,
        "start_date": "2026-03-02",
        "confidence": "mean",
        "cost": float(cost["optimised"]),
        "cost_unit": "$ per week",
        "replications_used": 340,
        "iterations": {"isa": 6, "verify": 2},
        "elapsed_seconds": 184.2,
        "all_goals_met": True,
        "erlang_only": {
            "cost": float(cost["erlang_only"]),
            "all_goals_met": False,
            "goals_missed": ["phone: 80 % answered in 30 s, every interval", "abandonment at most 5 %, over the week"],
        }
        if compared
        else None,
        "notes": ["billing: no shift template starts before 07:00; the 06:30 interval is over-covered"],
    }
    (folder / "summary.yaml").write_text(yaml.safe_dump(summary, sort_keys=False), encoding="utf-8")
    return folder


def service_levels(shape: np.ndarray, compared: bool) -> pd.DataFrame:
    """Per channel, roster and interval: the simulated service level; chat has no arrivals from 22:00 to 07:00."""
    rng = np.random.default_rng(14)
    rows = []
    hour = np.tile(np.arange(SLOTS) * INTERVAL / 60, len(DAYS))
    for channel, target, goal, volume in (("phone", 0.5, 0.8, 60), ("chat", 2.0, 0.8, 20)):
        offered = volume * shape
        if channel == "chat":
            offered = np.where((hour >= 22) | (hour < 7), 0.0, offered)
        for roster in ("optimised", "erlang_only") if compared else ("optimised",):
            dip = 0.0 if roster == "optimised" else 0.3 * shape
            level = np.clip(0.9 - dip + rng.normal(0, 0.025, len(shape)), 0, 1)
            level = np.where(offered > 0, level, np.nan)
            half = np.where(offered > 0, 0.08 / np.sqrt(1 + offered), np.nan)
            rows.append(
                pd.DataFrame(
                    {
                        "channel": channel,
                        "weekday": np.repeat(DAYS, SLOTS),
                        "slot": np.tile(np.arange(SLOTS), len(DAYS)),
                        "start": np.tile(np.arange(SLOTS) * INTERVAL, len(DAYS)),
                        "target": target,
                        "goal": goal,
                        "roster": roster,
                        "service_level": level,
                        "ci_low": np.clip(level - half, 0, 1),
                        "ci_high": np.clip(level + half, 0, 1),
                        "offered": offered.round(2),
                    }
                )
            )
    return pd.concat(rows)


def goals(compared: bool) -> pd.DataFrame:
    """Four goals: phone per interval, chat per day, P1 SLA over the week, abandonment at most 5 %."""
    rows = [
        ("phone: 80 % answered in 30 s, every interval", "service_level", "phone", "interval", 0.8),
        ("chat: 80 % answered in 2 min, every day", "service_level", "chat", "day", 0.8),
        ("P1: 90 % resolved within SLA, over the week", "sla", "P1", "week", 0.9),
        ("abandonment at most 5 %, over the week", "abandonment", "all", "week", 0.05),
    ]
    results = {
        "optimised": [
            (0.812, 0.79, 0.83, 0.93, True),
            (0.86, 0.84, 0.88, 1.0, True),
            (0.95, 0.94, 0.96, 1.0, True),
            (0.031, 0.027, 0.035, 1.0, True),
        ],
        "erlang_only": [
            (0.52, 0.49, 0.55, 0.0, False),
            (0.81, 0.79, 0.83, 0.7, True),
            (0.92, 0.9, 0.94, 0.9, True),
            (0.071, 0.066, 0.076, 0.0, False),
        ],
    }
    table = []
    for roster, values in results.items():
        if roster == "erlang_only" and not compared:
            continue
        for (label, kind, subject, per, goal), (achieved, low, high, p, met) in zip(rows, values, strict=True):
            table.append(
                {
                    "label": label,
                    "kind": kind,
                    "subject": subject,
                    "per": per,
                    "goal": goal,
                    "roster": roster,
                    "achieved": achieved,
                    "ci_low": low,
                    "ci_high": high,
                    "probability_met": p,
                    "met": met,
                }
            )
    return pd.DataFrame(table)


def iterations(compared: bool) -> pd.DataFrame:
    """The stages the optimiser went through, one row per pool and iteration."""
    rows = []
    steps = [("erlang", 0, 0, math.nan, math.nan, 0, "Erlang C at the pilot's load")]
    steps += [("isa", 1, k, 1.0, [4, 2, 1, 1, 0, 0][k - 1], 20, "") for k in range(1, 7)]
    steps += [("schedule", 1, 1, math.nan, math.nan, 0, "HiGHS optimal")]
    steps += [("verify", 1, k, math.nan, [1, 0][k - 1], 40, "") for k in (1, 2)]
    if compared:
        steps += [("erlang_only", 1, 1, math.nan, math.nan, 40, "Erlang C per queue, simulated")]
    for stage, round_, iteration, alpha, change, replications, note in steps:
        for i, pool in enumerate(POOLS):
            rows.append(
                {
                    "stage": stage,
                    "round": round_,
                    "iteration": iteration,
                    "pool": pool,
                    "alpha": alpha,
                    "agent_hours": 900.0 / (i + 1) + 10 * iteration,
                    "max_change": change,
                    "replications": replications,
                    "note": note,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The report of the synthetic folder with the Erlang-only comparison."""
    return write_optimise_report(write_optimise_folder(tmp_path_factory.mktemp("optimise") / "run"))


def legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_the_report_is_written_with_every_section_and_both_plots(report):
    page = report.read_text(encoding="utf-8")
    assert report.name == "report.html"
    for section in ("headline-section", "goals", "plot-requirement", "plot-service", "roster", "iterations"):
        assert f'id="{section}"' in page, section
    assert page.count('id="how-to-read"') == 1 and page.count("How to read this") == 3  # two pictures and the page
    images = IMAGE.findall(page)
    assert len(images) == 2
    for data in images:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            assert image.format == "PNG" and image.width > 1000
    assert sorted(p.name for p in (report.parent / "plots").glob("*.png")) == ["01-requirement.png", "02-service.png"]
    assert not re.search(r'(src|href)="(?!data:)', page)  # self-contained


def test_the_headline_gives_both_rosters_costs_their_difference_and_whether_every_goal_was_met(report):
    page = report.read_text(encoding="utf-8")
    costs = pd.read_csv(report.parent / "costs.csv").groupby("roster")["cost"].sum()
    headline = page[page.index('id="headline"') : page.index("</table>", page.index('id="headline"'))]
    assert f"${costs['optimised']:,.0f} per week" in headline
    assert f"${costs['erlang_only']:,.0f} per week" in headline
    assert "✓ yes" in headline and "✗ no" in headline and "misses: phone: 80 % answered in 30 s" in headline
    change = costs["optimised"] - costs["erlang_only"]
    assert f"costs ${abs(change):,.0f} per week {'more' if change > 0 else 'less'} than the Erlang-only" in page
    assert "<b>340</b> simulated replications" in page


def test_the_goal_table_shows_each_rosters_achievement_interval_probability_and_mark(report):
    page = report.read_text(encoding="utf-8")
    table = page[page.index('id="goal-table"') : page.index("</table>", page.index('id="goal-table"'))]
    rows = re.findall(r"<tr><td>(.*?)</tr>", table, re.S)
    assert len(rows) == 4
    phone = rows[0]
    assert "≥ 80%" in phone and "every interval" in phone
    assert '81.2%<span class="ci">[79.0%, 83.0%]</span>' in phone
    assert "✓ met" in phone and "✗ missed" in phone and "<td>93%</td>" in phone and "<td>0%</td>" in phone
    assert "≤ 5%" in rows[3]


def test_the_roster_is_shown_as_yaml_with_each_pools_shifts_paid_hours_and_cost(report):
    page = report.read_text(encoding="utf-8")
    roster = yaml.safe_load((report.parent / "roster.yaml").read_text(encoding="utf-8"))
    assert "# optimised roster: paste into the scenario" in page
    table = page[page.index('id="roster-table"') : page.index("</table>", page.index('id="roster-table"'))]
    tier2 = re.search(r"<td>tier2</td>(.*?)</tr>", table, re.S).group(1)
    shifts = roster["teams"]["tier2"]["shifts"]
    paid = pd.read_csv(report.parent / "costs.csv").set_index(["roster", "pool"]).loc[("optimised", "tier2")]
    cells = re.findall(r"<td>([^<]*)</td>", tier2)
    hours, cost = f"{paid.paid_hours:,.0f}", f"${paid.cost:,.0f}"
    assert cells[:4] == [str(len(shifts)), str(sum(s["agents"] for s in shifts)), hours, cost]
    total = re.search(r'<tr class="total"><td>total</td>(.*?)</tr>', table, re.S).group(1)
    costs = pd.read_csv(report.parent / "costs.csv")
    assert f"${costs.loc[costs['roster'] == 'optimised', 'cost'].sum():,.0f}" in total


def test_the_iterations_table_has_a_row_per_stage_and_round_showing_how_agent_hours_and_changes_moved(report):
    page = report.read_text(encoding="utf-8")
    table = page[page.index('id="stage-table"') : page.index("</table>", page.index('id="stage-table"'))]
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    assert [row[0] for row in rows] == [
        "Erlang C/A start",
        "simulation refinement (ISA)",
        "shift scheduling",
        "verification",
        "Erlang-only comparison",
    ]
    isa = rows[1]
    assert isa[2:6] == ["6", "1,680 → 1,830", "4.0 → 0.0", "120"]  # 6 iterations of 20 replications
    assert page.count("<tr><td>simulation refinement (ISA)</td>") == 7  # and each iteration under "Every iteration"


def test_the_requirement_plot_has_a_panel_per_pool_with_every_series_and_its_legend_outside(report):
    run = load_optimise(report.parent)
    fig = requirement_plot(run.requirement, INTERVAL)
    assert [ax.get_title(loc="left").split(":")[0] for ax in fig.axes] == list(POOLS)
    assert legend_texts(fig) == [
        "Erlang C/A (each queue alone)",
        "ISA: needed on the phones",
        "to cover after shrinkage",
        "rostered (optimised)",
        "Erlang-only roster",
    ]
    assert [t.get_text() for t in fig.axes[-1].get_xticklabels(minor=True)] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    fig.canvas.draw()
    canvas = fig.bbox
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible() and a.get_text()):
        box = text.get_window_extent()
        assert canvas.x0 - 1 <= box.x0 and box.x1 <= canvas.x1 + 1, text.get_text()  # nothing clipped


def test_rostered_agents_cover_what_was_required_in_every_interval(report):
    run = load_optimise(report.parent)
    assert (run.requirement["rostered"] >= run.requirement["required"] - 1e-9).all()


def test_intervals_without_arrivals_stay_blank_not_zero(report):
    run = load_optimise(report.parent)
    fig = service_level_plot(run.service_levels, INTERVAL)
    chat = fig.axes[1]
    assert chat.get_title(loc="left").startswith("chat")
    (line,) = [ln for ln in chat.get_lines() if ln.get_label() == "optimised roster (mean)"]
    hour = np.round((line.get_xdata()[:-1] % 1) * 24, 6)
    level = line.get_ydata()[:-1]
    assert np.isnan(level[(hour < 7) | (hour >= 22)]).all()  # no chat at night: a gap, not 0 %
    assert not np.isnan(level[(hour >= 7) & (hour < 22)]).any()
    assert "no arrivals" in legend_texts(fig)
    assert "optimised 210 of 210" in chat.get_title(loc="left")  # 07:00-22:00: 30 intervals a day, 7 days


def test_a_run_without_the_erlang_only_comparison_still_gives_a_report_without_that_series(tmp_path):
    folder = write_optimise_folder(tmp_path / "run", compared=False)
    requirement = pd.read_csv(folder / "requirement.csv")
    assert requirement["erlang_only"].isna().all()
    page = write_optimise_report(folder).read_text(encoding="utf-8")
    assert "Erlang-only roster</th>" not in page and "Erlang-only, per week" not in page
    assert "The Erlang-only comparison was turned off for this run." in page
    assert "Why the Erlang-only roster misses goals" not in page
    assert len(IMAGE.findall(page)) == 2
    run = load_optimise(folder)
    assert "Erlang-only roster" not in legend_texts(requirement_plot(run.requirement, INTERVAL))
    assert not any("Erlang-only" in t for t in legend_texts(service_level_plot(run.service_levels, INTERVAL)))


def test_a_folder_that_leaves_out_the_erlang_only_column_reads_it_as_blank(tmp_path):
    folder = write_optimise_folder(tmp_path / "run", compared=False)
    pd.read_csv(folder / "requirement.csv").drop(columns="erlang_only").to_csv(folder / "requirement.csv", index=False)
    assert load_optimise(folder).requirement["erlang_only"].isna().all()
    assert write_optimise_report(folder).is_file()


@pytest.mark.parametrize("name", list(FILES))
def test_a_folder_missing_a_required_file_gives_a_clear_error_naming_the_file(tmp_path, name):
    folder = write_optimise_folder(tmp_path / "run")
    (folder / name).unlink()
    with pytest.raises(ResultsError, match=rf"holds no {re.escape(name)}: an optimiser run folder needs"):
        write_optimise_report(folder)


def test_a_table_missing_a_column_gives_an_error_naming_the_file_and_column(tmp_path):
    folder = write_optimise_folder(tmp_path / "run")
    pd.read_csv(folder / "goals.csv").drop(columns="probability_met").to_csv(folder / "goals.csv", index=False)
    with pytest.raises(ResultsError, match=r"goals\.csv lacks the column probability_met"):
        write_optimise_report(folder)


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_report_loads_in_headless_chromium_without_errors_and_every_image_decodes(report, tmp_path):
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    command += [f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom"]
    dom = subprocess.run([*command, report.resolve().as_uri()], capture_output=True, text=True, timeout=60).stdout
    attributes = dict(re.findall(r'data-([a-z]+)="([^"]*)"', re.search(r"<html[^>]*>", dom).group(0)))
    assert (attributes["checked"], attributes["errors"], attributes["broken"], attributes["images"]) == (
        "yes",
        "0",
        "0",
        "2",
    )
