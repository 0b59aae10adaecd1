"""The what-if app's model: knobs read off scenarios, questions that are compare commands, answers equal to compare's.

These tests need no browser and no NiceGUI: the page only lays out what ``sim.app.knobs``,
``session``, ``whatif``, ``cards`` and ``export`` compute.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import SCENARIOS, bundled_scenarios, scenario_doc

from sim.app.cards import kpi_cards, verdict
from sim.app.export import variant_yaml, write_answer_report
from sim.app.knobs import Knob, knobs_for, variant_overrides
from sim.app.session import TICKET_BUDGET, Choice, Session, choices, replay_days
from sim.app.whatif import VARIANT, Question, RunCache, ask
from sim.cli import main
from sim.experiments.executors import SerialExecutor
from sim.experiments.replications import run
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.variants import read_document

NUMBERS = ["mean", "half_width", "ci_low", "ci_high", "diff", "diff_half_width", "diff_ci_low", "diff_ci_high"]


def moved(knob: Knob) -> object:
    """A value off the scenario's own, inside the knob's range."""
    if knob.kind == "choice":
        return next(option for option in knob.options if option != knob.value)
    if knob.kind == "switch":
        return not knob.value
    if knob.kind == "triggers":
        return tuple(knob.options[:-1]) if knob.value == knob.options else knob.options
    if knob.kind == "surge":
        return (0, 2.0)
    value = float(knob.value)  # type: ignore[arg-type]
    return value + knob.step if value + knob.step <= knob.high else value - knob.step


REFUSED = {
    "escalation.handoff.context_complete": "needs a rework_time",
    "approve_access": "no team's authority grants",
}
"""Moves a scenario can refuse, with the message the page then shows (named by the knob's override)."""


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_knob_of_every_bundled_scenario_moves_to_a_scenario_that_loads_or_says_why(path: Path) -> None:
    document = read_document(path)
    knobs = knobs_for(document.scenario())
    assert knobs, "every scenario has at least its staffing"
    for knob in knobs:
        changes = knob.overrides(moved(knob))
        assert changes and changes[0].startswith(f"{knob.path}=")
        try:
            document.scenario(changes)
        except ScenarioError as exc:
            reason = next((text for key, text in REFUSED.items() if key in knob.path), None)
            assert reason is not None and reason in str(exc), str(exc)
            assert str(exc).startswith(f"--set {changes[0]}")


def test_knobs_follow_the_teams_shifts_authority_and_channels_the_scenario_declares() -> None:
    knobs = {knob.path: knob for knob in knobs_for(load_scenario(SCENARIOS / "tiered.yaml"))}
    assert knobs["teams.tier1.shifts[0].agents"].value == 14
    assert knobs["teams.tier1.shifts[0].agents"].label == "tier1 agents, 07:00–15:30 mon–fri"
    assert knobs["teams.tier1.authority.credit_amount"].value == 50
    assert knobs["escalation.triggers"].options == ("skill", "authority", "complexity")
    assert knobs["channels.phone.rate_per_hour"].kind == "percent"
    assert knobs["channels.phone.service_level.target"].unit == "min"
    assert knobs["sla_policies.standard.resolution.target"].unit == "h"
    assert not any(".surges[" in path for path in knobs), "tiered.yaml has no surges to scale"
    assert knobs["channels.chat.surges"].kind == "surge"


def test_an_unmoved_knob_adds_no_override_and_a_moved_one_writes_the_field_in_its_unit() -> None:
    knobs = knobs_for(load_scenario(SCENARIOS / "tiered.yaml"))
    values: dict[str, object] = {knob.path: knob.value for knob in knobs}
    assert variant_overrides(knobs, values) == []
    values["channels.phone.rate_per_hour"] = 150
    values["sla_policies.standard.resolution.target"] = 48
    values["escalation.triggers"] = ("authority", "complexity")
    values["teams.tier1.shifts[0].agents"] = 12
    rate = load_scenario(SCENARIOS / "tiered.yaml").channels[0].rate_per_hour
    assert variant_overrides(knobs, values) == [
        "teams.tier1.shifts[0].agents=12",
        "escalation.triggers=[authority, complexity]",
        f"channels.phone.rate_per_hour={1.5 * rate:.10g}",
        "sla_policies.standard.resolution.target=48h",
    ]


def test_swarming_a_desk_without_a_swarm_section_brings_the_schemas_default_wait() -> None:
    knobs = {knob.path: knob for knob in knobs_for(load_scenario(SCENARIOS / "tiered.yaml"))}
    changes = knobs["escalation.mode"].overrides("swarm")
    assert changes == ["escalation.mode=swarm", "escalation.swarm={max_wait: 2m}"]
    assert read_document(SCENARIOS / "tiered.yaml").scenario(changes).escalation.swarm.max_wait == 2
    assert knobs_for(load_scenario(SCENARIOS / "swarming.yaml"))[0].needs == ()


def test_surge_knobs_scale_each_surge_the_scenario_has() -> None:
    knobs = {knob.path: knob for knob in knobs_for(load_scenario(SCENARIOS / "outage_surge.yaml"))}
    surges = [knob for path, knob in knobs.items() if ".surges[" in path]
    assert surges
    assert all(knob.kind == "number" and knob.unit == "×" for knob in surges)


def test_chat_volume_doubling_on_monday_is_one_extra_surge_after_the_surges_already_there() -> None:
    scenario = load_scenario(SCENARIOS / "outage_surge.yaml")
    knobs = knobs_for(scenario)
    values: dict[str, object] = {knob.path: knob.value for knob in knobs}
    channel = next(c for c in scenario.channels if c.surges)
    extra = next(k for k in knobs if k.path == f"channels.{channel.name}.surges")
    assert extra.options == ("day 1: Tue 3 Mar",), "a one-day run on a Tuesday"
    values[extra.path] = (0, 2.0)
    values[f"channels.{channel.name}.surges[0].multiplier"] = channel.surges[0].multiplier + 1
    variant = read_document(SCENARIOS / "outage_surge.yaml").scenario(variant_overrides(knobs, values))
    surges = next(c for c in variant.channels if c.name == channel.name).surges
    assert len(surges) == len(channel.surges) + 1
    assert surges[0].multiplier == channel.surges[0].multiplier + 1
    assert (surges[-1].start, surges[-1].duration, surges[-1].multiplier) == (0, 1440, 2.0)


def test_a_demo_starts_with_its_teaching_variant_set_on_the_knobs() -> None:
    demo = {choice.key: choice for choice in choices()}["demo:handoff"]
    session = Session.start(demo)
    assert session.values["escalation.handoff.mode"] == "warm"
    assert session.values["escalation.handoff.context_complete"] == 0.95
    assert session.question().variant == ("escalation.handoff.mode=warm", "escalation.handoff.context_complete=0.95")
    session.values["escalation.handoff.mode"] = "cold"
    session.reset()
    assert session.values["escalation.handoff.mode"] == "warm"


def test_every_bundled_scenario_and_demo_is_a_choice() -> None:
    keys = [choice.key for choice in choices()]
    assert {"demo:handoff", "demo:swarming", "demo:authority"} <= set(keys)
    assert {f"scenario:{path.name}" for path in SCENARIOS.glob("*.yaml")} <= set(keys)


def busy_scenario(tmp_path: Path, rate: float) -> Path:
    """Thirty days of a phone line at ``rate`` tickets an hour, one day of warm-up."""
    path = tmp_path / "busy.yaml"
    channel = {"name": "phone", "rate_per_hour": rate, "category_mix": {"question": 1}}
    path.write_text(yaml.safe_dump(scenario_doc(horizon="30d", warmup="1d", channels=[channel])), encoding="utf-8")
    return path


def test_a_busy_scenario_is_simulated_for_fewer_days_and_the_page_says_so(tmp_path: Path) -> None:
    per_day = TICKET_BUDGET / 10  # the budget lasts ten days
    session = Session.start(Choice("file:busy", "busy", busy_scenario(tmp_path, per_day / 24)))
    assert session.days == 10
    assert session.question().fixed == ("horizon=10d",)
    assert "Simulating 10 days of the scenario's 30 (shortened" in session.horizon_note()
    session.days = 30
    assert session.question().fixed == ()
    assert session.horizon_note().startswith("Simulating the scenario's full 30 days")


def test_a_very_busy_scenario_still_runs_a_day_past_its_warm_up(tmp_path: Path) -> None:
    session = Session.start(Choice("file:busy", "busy", busy_scenario(tmp_path, TICKET_BUDGET)))
    assert session.days == 2


def test_every_bundled_scenario_runs_its_full_horizon_by_default() -> None:
    for choice in choices():
        session = Session.start(choice)
        assert session.days == session.full_days, choice.key


def test_a_broken_upload_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(scenario_doc(teams=[{"name": "desk", "agents": -2}])), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        Session.start(Choice("upload:broken", "broken", path))
    assert "broken.yaml" in str(caught.value) and "teams[0].agents" in str(caught.value)


def test_the_replay_offers_each_whole_day_and_starts_after_the_warm_up() -> None:
    scenario = load_scenario(SCENARIOS / "tiered.yaml")
    days = replay_days(scenario)
    assert list(days) == list(range(8))
    assert days[0] == "day 1: " + f"{scenario.start_date:%a} {scenario.start_date.day} {scenario.start_date:%b}"


def test_the_command_names_the_same_comparison() -> None:
    question = Question(SCENARIOS / "handoff.yaml", ("escalation.handoff.mode=warm",), ("horizon=2d",), 3, 7)
    words = shlex.split(question.command())
    assert words[:3] == ["python", "run_sim.py", "compare"]
    assert Path(words[3]).resolve() == SCENARIOS / "handoff.yaml"
    assert words[4:] == [
        "--variant",
        "variant:escalation.handoff.mode=warm",
        "--set",
        "horizon=2d",
        "-r",
        "3",
        "--seed",
        "7",
    ]


def test_the_apps_numbers_equal_the_compare_command_to_the_last_digit(tmp_path: Path) -> None:
    question = Question(
        SCENARIOS / "handoff.yaml",
        ("escalation.handoff.mode=warm", "teams.tier1.shifts[0].agents=9"),
        ("horizon=3d",),
        replications=5,
        seed=11,
    )
    answer = ask(question, SerialExecutor())
    argv = [*shlex.split(question.command())[2:], "--out", str(tmp_path), "-w", "1"]
    assert main(argv) == 0
    (folder,) = (tmp_path / "compare").iterdir()
    cli = pd.read_parquet(folder / "comparison.parquet").set_index(["scenario", "kpi"])
    app = answer.comparison.table.set_index(["scenario", "kpi"])
    assert list(app.index) == list(cli.index)
    pd.testing.assert_frame_equal(app[NUMBERS], cli[NUMBERS], check_exact=True, check_dtype=False)
    assert (app["significant"].to_numpy() == cli["significant"].to_numpy()).all()


def test_moving_a_knob_reruns_only_the_variant() -> None:
    cache = RunCache()
    first = ask(
        Question(SCENARIOS / "swarming.yaml", ("escalation.mode=swarm",), ("horizon=2d",), 2), SerialExecutor(), cache
    )
    ticks: list[int] = []
    second = ask(
        Question(SCENARIOS / "swarming.yaml", ("escalation.handoff.mode=warm",), ("horizon=2d",), 2),
        SerialExecutor(),
        cache,
        lambda: ticks.append(1),
    )
    assert second.reused_base and not first.reused_base
    assert len(ticks) == 4  # the base's kept replications count as done, so the bar still reaches the end
    base = first.base
    pd.testing.assert_frame_equal(first.runs[base].kpis, second.runs[base].kpis)


def test_the_exported_variant_file_runs_the_variant_the_page_shows(tmp_path: Path) -> None:
    question = Question(
        SCENARIOS / "authority.yaml", ("teams.tier1.authority.refund_amount=1000",), ("horizon=2d",), 2, 5
    )
    answer = ask(question, SerialExecutor())
    path = tmp_path / "variant.yaml"
    path.write_text(variant_yaml(question), encoding="utf-8")
    assert path.read_text(encoding="utf-8").startswith("# A variant of")
    scenario = load_scenario(path)
    assert scenario.teams[0].authority["refund_amount"] == 1000
    assert (scenario.seed, scenario.replications) == (5, 2)
    again = run(scenario, progress=False)
    pd.testing.assert_frame_equal(again.kpis, answer.runs[VARIANT].kpis)


def test_the_report_export_writes_the_comparison_report_with_both_flows(tmp_path: Path) -> None:
    question = Question(SCENARIOS / "swarming.yaml", ("escalation.mode=swarm",), ("horizon=2d",), 2)
    report = write_answer_report(ask(question, SerialExecutor()), tmp_path)
    text = report.read_text(encoding="utf-8")
    assert report.name == "report.html" and "Comparison" in text
    assert 'id="plot-flow-swarming"' in text and 'id="plot-flow-variant"' in text
    assert (report.parent / "runs").is_dir()


def test_cards_mark_a_real_difference_better_or_worse_by_the_kpis_direction() -> None:
    assert verdict("service_level.phone", -0.1) == "worse"
    assert verdict("intervals_met.phone", 0.1) == "better"
    assert verdict("asa.phone", -0.5) == "better"
    assert verdict("utilisation.tier1", 0.05) == "changed"
    question = Question(SCENARIOS / "handoff.yaml", ("teams.tier1.shifts[0].agents=8",), ("horizon=3d",), 3)
    cards = {card.kpi: card for card in kpi_cards(ask(question, SerialExecutor()).comparison.table)}
    phone = cards["service_level.phone"]
    assert phone.diff < 0 and phone.significant and phone.verdict == "worse"
    assert phone.base.endswith("%") and phone.difference.endswith("pp")
    assert cards["arrived"].diff == 0 and not cards["arrived"].significant
