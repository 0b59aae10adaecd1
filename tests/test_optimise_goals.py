"""The optimiser's goals file (issue 14): its defaults, its schema and its cross-checks against the scenario.

Every refusal names the file, the line, the field path and what is allowed, like the scenario
loader's; all problems of a file are reported together; a broken file never raises anything but
``ScenarioError``.
"""

from __future__ import annotations

import copy
import random
from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import BASELINE, SCENARIOS, build

from sim.core.units import MINUTES_PER_WEEK
from sim.optimiser.goal_checks import default_goals, goals_from_document, load_goals, resolved_document
from sim.optimiser.goals import Goals, PoolGoals
from sim.optimiser.shift_templates import TemplateSpec, default_templates
from sim.scenario.clock import WEEKDAYS
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.scenario.spec import Scenario

EXAMPLE = SCENARIOS / "goals" / "baseline_goals.yaml"


@cache
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def goals_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "goals.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str, scenario: Scenario | None = None) -> list[str]:
    """The lines of the message a goals file with ``text`` is refused with."""
    path = goals_file(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_goals(path, scenario or baseline())
    return caught.value.render().splitlines()


def one_refusal(tmp_path: Path, text: str, scenario: Scenario | None = None) -> str:
    (line,) = refusal(tmp_path, text, scenario)
    return line


# --- defaults ---------------------------------------------------------------------------------


def test_default_goals_are_each_channels_own_service_level_per_interval_and_email_has_none():
    goals = default_goals(baseline())
    assert [(g.channel, g.target, g.goal, g.per, g.confidence) for g in goals.service_level or []] == [
        ("phone", 0.5, 0.8, "interval", "mean"),  # 30s
        ("chat", 1.0, 0.8, "interval", "mean"),
    ]
    assert goals.sla == [] and goals.abandonment == []
    assert (goals.interval, goals.horizon, goals.confidence) == (30.0, MINUTES_PER_WEEK, "mean")
    assert (goals.replications, goals.verify_replications, goals.max_rounds) == (10, 30, 5)


def test_an_empty_goals_file_means_the_default_goals(tmp_path):
    assert load_goals(goals_file(tmp_path, "# nothing yet\n"), baseline()) == default_goals(baseline())


def test_default_goals_list_every_pool_with_its_scenario_cost_and_8h_shifts_starting_every_hour_each_weekday():
    goals = default_goals(baseline())
    assert {name: pool.cost_per_hour for name, pool in goals.teams.items()} == {
        "tier1": 32.0,
        "backoffice": 28.0,
        "billing": 41.0,
    }
    tier1 = goals.pool("tier1")
    assert (tier1.fixed, tier1.min_agents, tier1.max_agents, tier1.delay_probability) == (False, 0, None, 0.5)
    templates = tier1.templates or []
    assert [t.days for t in templates] == [[day] for day in WEEKDAYS]
    assert all(t.start_minutes() == [60.0 * h for h in range(24)] for t in templates)
    assert all(t.lengths == [480.0] and t.break_ is None for t in templates)


def test_a_pool_the_file_does_not_list_gets_the_default_constraints_and_a_listed_one_keeps_its_own(tmp_path):
    path = goals_file(tmp_path, "teams:\n  billing: {max_agents: 6, cost_per_hour: 50}\n")
    goals = load_goals(path, baseline())
    assert goals.pool("billing").max_agents == 6 and goals.pool("billing").cost_per_hour == 50
    assert goals.pool("tier1").max_agents is None and goals.pool("tier1").cost_per_hour == 32
    assert goals.pool("not-a-pool") == PoolGoals(templates=default_templates())


def test_a_service_level_entry_takes_target_and_goal_from_its_channel_unless_given(tmp_path):
    path = goals_file(
        tmp_path,
        "confidence: interval95\nservice_level:\n"
        "  - {channel: phone, per: day}\n"
        "  - {channel: email, target: 4h, confidence: mean}\n",
    )
    goals = load_goals(path, baseline())
    assert [(g.channel, g.target, g.goal, g.per, g.confidence) for g in goals.service_level or []] == [
        ("phone", 0.5, 0.8, "day", "interval95"),
        ("email", 240.0, 0.8, "interval", "mean"),  # email has no service_level: the scenario's default goal 0.8
    ]


def test_unnamed_templates_are_called_template_1_template_2_by_position(tmp_path):
    path = goals_file(
        tmp_path, 'teams:\n  tier1:\n    templates:\n      - {starts: ["08:00"]}\n      - {starts: ["12:00"]}\n'
    )
    templates = load_goals(path, baseline()).pool("tier1").templates or []
    assert [t.name for t in templates] == ["template-1", "template-2"]
    assert [t.days for t in templates] == [["mon", "tue", "wed", "thu", "fri"]] * 2


# --- starts ------------------------------------------------------------------------------------


def test_a_range_of_starts_expands_from_first_to_last_inclusive_every_step():
    template = TemplateSpec.model_validate({"starts": {"from": "06:00", "to": "08:00", "every": "30m"}})
    assert template.start_minutes() == [360.0, 390.0, 420.0, 450.0, 480.0]


def test_a_range_whose_last_start_is_off_the_step_stops_at_the_last_step_before_it():
    template = TemplateSpec.model_validate({"starts": {"from": "06:00", "to": "07:45", "every": "30m"}})
    assert template.start_minutes() == [360.0, 390.0, 420.0, 450.0]


def test_a_list_of_starts_is_sorted_and_each_start_kept_once():
    template = TemplateSpec.model_validate({"starts": ["09:00", "07:30", "09:00"]})
    assert template.start_minutes() == [450.0, 540.0]


def test_a_break_is_off_duty_inside_the_shift_and_not_paid():
    template = TemplateSpec.model_validate(
        {"starts": ["22:00"], "lengths": ["9h"], "break": {"after": "4h", "length": "1h"}}
    )
    assert template.on_duty(1320.0, 540.0) == [(1320.0, 1560.0), (1620.0, 1860.0)]
    assert template.paid_minutes(540.0) == 480.0


# --- the bundled example ------------------------------------------------------------------------


def test_the_bundled_baseline_goals_file_loads_cleanly_with_its_defaults_filled():
    goals = load_goals(EXAMPLE, baseline())
    assert [(g.channel, g.target, g.goal, g.per) for g in goals.service_level or []] == [
        ("phone", 0.5, 0.8, "interval"),
        ("chat", 1.0, 0.8, "interval"),
    ]
    assert [(g.priority, g.clock, g.goal) for g in goals.sla] == [("P1", "resolution", 0.9)]
    assert [(g.channel, g.max) for g in goals.abandonment] == [("phone", 0.08)]
    assert [t.name for t in goals.pool("tier1").templates or []] == ["early", "late", "weekend", "night"]
    assert goals.pool("tier1").min_agents == 2
    (weekday,) = goals.pool("backoffice").templates or []
    assert (weekday.lengths, weekday.break_ and weekday.break_.length) == ([540.0], 60.0)
    billing = goals.pool("billing")
    assert not billing.fixed and [t.name for t in billing.templates or []] == ["weekday", "weekend", "night"]
    assert billing.cost_per_hour == 41.0


def test_resolved_goals_read_back_as_the_same_goals():
    goals = load_goals(EXAMPLE, baseline())
    document = yaml.safe_load(yaml.safe_dump(resolved_document(goals)))
    assert goals_from_document(document, baseline()) == goals


# --- file problems: the scenario loader's messages -------------------------------------------


def test_a_goals_file_that_is_not_yaml_gets_the_scenario_loaders_message(tmp_path):
    path = goals_file(tmp_path, "interval: 30m\nsla: [{priority: P1\n")
    with pytest.raises(ScenarioError) as goals_error:
        load_goals(path, baseline())
    with pytest.raises(ScenarioError) as scenario_error:
        load_scenario(path)
    assert goals_error.value.render() == scenario_error.value.render()
    assert "not valid YAML" in goals_error.value.render()


def test_a_missing_goals_file_gets_the_scenario_loaders_message(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_goals(path, baseline())
    assert (
        caught.value.render()
        == f"{path}: (top level): cannot read the file (No such file or directory); check the path"
    )


def test_a_goals_file_that_is_a_list_is_refused_saying_it_must_be_a_mapping(tmp_path):
    line = one_refusal(tmp_path, "- channel: phone\n")
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:1: (top level): a goals file must be a mapping of fields")


def test_a_misspelt_field_is_named_with_a_suggestion_and_the_allowed_fields(tmp_path):
    line = one_refusal(tmp_path, "interval: 30m\nservce_level: []\n")
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:2: servce_level: unknown field; did you mean 'service_level'?")
    assert "allowed: interval, horizon, confidence, replications" in line


def test_a_misspelt_field_inside_a_template_and_a_range_says_what_is_allowed(tmp_path):
    lines = refusal(
        tmp_path,
        "teams:\n  tier1:\n    templates:\n"
        '      - starts: {from: "06:00", to: "08:00", evry: 30m}\n'
        "        brake: {after: 4h, length: 30m}\n",
    )
    path = tmp_path / "goals.yaml"
    assert (
        f"{path}:4: teams.tier1.templates[0].starts.evry: unknown field; did you mean 'every'? allowed: from, to, every"
        in lines
    )
    assert any(
        line.startswith(f"{path}:5: teams.tier1.templates[0].brake: unknown field; did you mean 'break'?")
        and "allowed: name, days, starts, lengths, break" in line
        for line in lines
    )


def test_starts_that_are_neither_a_list_nor_a_range_say_both_forms(tmp_path):
    line = one_refusal(tmp_path, 'teams:\n  tier1:\n    templates:\n      - starts: "06:00"\n')
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:4: teams.tier1.templates[0].starts: give a list of clock times")
    assert '{from: "06:00", to: "10:00", every: 30m}' in line


def test_an_interval_other_than_15_30_or_60_minutes_is_refused(tmp_path):
    line = one_refusal(tmp_path, "interval: 20m\n")
    assert line == f"{tmp_path / 'goals.yaml'}:1: interval: '20m' is not a planning interval; use 15m, 30m or 60m (1h)"


def test_a_bad_clock_time_in_starts_is_named_by_its_item(tmp_path):
    line = one_refusal(tmp_path, 'teams:\n  tier1:\n    templates:\n      - starts: ["06:00", "6 am"]\n')
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:4: teams.tier1.templates[0].starts[1]: invalid clock time")


# --- cross-checks against the scenario ---------------------------------------------------------


def test_an_unknown_channel_lists_the_scenarios_channels(tmp_path):
    line = one_refusal(tmp_path, "service_level:\n  - {channel: phnoe, target: 20s}\n")
    assert line == (
        f"{tmp_path / 'goals.yaml'}:2: service_level[0].channel: unknown channel 'phnoe'; did you mean 'phone'? "
        "allowed: phone, chat, email"
    )


def test_an_unknown_priority_lists_the_scenarios_priorities(tmp_path):
    line = one_refusal(tmp_path, "sla:\n  - priority: P9\n    goal: 0.9\n")
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:2: sla[0].priority: unknown priority 'P9'")
    assert line.endswith("allowed: P1, P2, P3, P4")


def test_an_unknown_pool_lists_the_scenarios_teams_and_agent_groups(tmp_path):
    line = one_refusal(tmp_path, "teams:\n  tier2: {max_agents: 3}\n")
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:2: teams.tier2: unknown pool (a team or agent group) 'tier2'")
    assert line.endswith("allowed: tier1, backoffice, billing")


def test_an_sla_goal_on_a_clock_no_policy_gives_that_priority_is_refused(tmp_path):
    scenario = build(
        channels=[
            {"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}, "service_level": {"target": 1}}
        ],
        sla_policies=[{"name": "fast", "match": {"priority": ["P1"]}, "first_response": {"target": "1h"}}],
    )
    line = one_refusal(tmp_path, "sla:\n  - {priority: P2, clock: first_response, goal: 0.9}\n", scenario)
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:2: sla[0]: no SLA policy of the scenario gives P2 tickets")


def test_an_abandonment_goal_on_a_channel_without_patience_names_the_live_channels(tmp_path):
    line = one_refusal(tmp_path, "abandonment:\n  - {channel: email, max: 0.1}\n")
    assert line.startswith(
        f"{tmp_path / 'goals.yaml'}:2: abandonment[0].channel: channel email has no patience in the scenario, "
        "so its customers never abandon; allowed: phone, chat"
    )


def test_an_abandonment_goal_for_all_channels_needs_some_channel_with_a_patience(tmp_path):
    scenario = build(
        channels=[
            {"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}, "service_level": {"target": 1}}
        ]
    )
    line = one_refusal(tmp_path, "abandonment:\n  - max: 0.1\n", scenario)
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:2: abandonment[0]: no channel of the scenario has a patience")


def test_a_service_level_goal_on_a_channel_without_a_target_asks_for_one(tmp_path):
    line = one_refusal(tmp_path, "service_level:\n  - channel: email\n")
    assert line.startswith(
        f"{tmp_path / 'goals.yaml'}:2: service_level[0].target: channel email has no service_level in the scenario, "
        "so give the target here, e.g. target: 30s"
    )


def test_a_goal_given_twice_is_refused(tmp_path):
    lines = refusal(
        tmp_path,
        "service_level:\n  - {channel: phone}\n  - {channel: phone, goal: 0.9}\n"
        "abandonment:\n  - {max: 0.05}\n  - {max: 0.1}\n",
    )
    assert lines == [
        f"{tmp_path / 'goals.yaml'}:3: service_level[1]: a second per-interval service-level goal for phone; "
        "keep one (the stricter)",
        f"{tmp_path / 'goals.yaml'}:6: abandonment[1]: a second abandonment goal for all live channels; "
        "keep one (the stricter)",
    ]


def test_a_start_off_the_planning_interval_says_which_interval_and_the_nearest_starts(tmp_path):
    line = one_refusal(
        tmp_path, 'interval: 30m\nteams:\n  tier1:\n    templates:\n      - starts: ["06:00", "06:45"]\n'
    )
    assert line == (
        f"{tmp_path / 'goals.yaml'}:5: teams.tier1.templates[0].starts[1]: 06:45 is not on the 30m planning "
        "interval; use 06:30 or 07:00 (or change interval:)"
    )


def test_a_range_of_starts_off_the_planning_interval_names_its_from_and_every(tmp_path):
    lines = refusal(
        tmp_path,
        'interval: 1h\nteams:\n  tier1:\n    templates:\n      - starts: {from: "06:30", to: "10:00", every: 90m}\n',
    )
    assert lines == [
        f"{tmp_path / 'goals.yaml'}:5: teams.tier1.templates[0].starts.from: 06:30 is not on the 1h planning "
        "interval; use 06:00 or 07:00 (or change interval:)",
        f"{tmp_path / 'goals.yaml'}:5: teams.tier1.templates[0].starts.every: 1.5h is not a whole number of 1h "
        "planning intervals; use 1h or 2h (or change interval:)",
    ]


def test_a_length_off_the_planning_interval_says_which_interval(tmp_path):
    line = one_refusal(
        tmp_path, 'teams:\n  tier1:\n    templates:\n      - {starts: ["08:00"], lengths: [8h, 8.25h]}\n'
    )
    assert line == (
        f"{tmp_path / 'goals.yaml'}:4: teams.tier1.templates[0].lengths[1]: 8.25h is not a whole number of 30m "
        "planning intervals; use 8h or 8.5h (or change interval:)"
    )


def test_a_shift_longer_than_a_day_is_refused(tmp_path):
    line = one_refusal(tmp_path, 'teams:\n  tier1:\n    templates:\n      - {starts: ["08:00"], lengths: [25h]}\n')
    assert line.endswith("teams.tier1.templates[0].lengths[0]: a shift lasts more than 0 and at most 24h (got 25h)")


def test_a_break_off_the_planning_interval_says_which_interval(tmp_path):
    line = one_refusal(
        tmp_path,
        'interval: 15m\nteams:\n  tier1:\n    templates:\n      - starts: ["08:00"]\n'
        "        break: {after: 4h, length: 20m}\n",
    )
    assert line == (
        f"{tmp_path / 'goals.yaml'}:6: teams.tier1.templates[0].break.length: 20m is not a whole number of 15m "
        "planning intervals; use 15m or 30m (or change interval:)"
    )


def test_a_break_that_does_not_end_inside_the_shift_is_refused(tmp_path):
    line = one_refusal(
        tmp_path,
        'teams:\n  tier1:\n    templates:\n      - starts: ["08:00"]\n        lengths: [6h]\n'
        "        break: {after: 330m, length: 30m}\n",
    )
    assert line == (
        f"{tmp_path / 'goals.yaml'}:6: teams.tier1.templates[0].break: the break (30m after 5.5h) does not end "
        "before the 6h shift does; a break lies inside the shift"
    )


@pytest.mark.parametrize("horizon, shown", [("36h", "36h"), ("12h", "12h"), ("0.5d", "12h")])
def test_a_horizon_that_is_not_whole_days_is_refused(tmp_path, horizon, shown):
    line = one_refusal(tmp_path, f"horizon: {horizon}\n")
    assert line == (
        f"{tmp_path / 'goals.yaml'}:1: horizon: the horizon is planned in whole days: give 1d or more, in whole days, "
        f"e.g. 7d (got {shown})"
    )


def test_a_weekly_goal_needs_a_horizon_of_whole_weeks(tmp_path):
    line = one_refusal(tmp_path, "horizon: 10d\nservice_level:\n  - {channel: phone, per: week}\n")
    assert line.startswith(f"{tmp_path / 'goals.yaml'}:3: service_level[0].per: a weekly goal needs a horizon of whole")


def test_min_agents_above_max_agents_is_refused(tmp_path):
    line = one_refusal(tmp_path, "teams:\n  tier1:\n    min_agents: 5\n    max_agents: 3\n")
    assert line == (
        f"{tmp_path / 'goals.yaml'}:3: teams.tier1.min_agents: min_agents 5 is above max_agents 3; "
        "lower min_agents or raise max_agents"
    )


def test_min_agents_needs_templates_that_cover_every_interval(tmp_path):
    line = one_refusal(
        tmp_path,
        'teams:\n  backoffice:\n    min_agents: 1\n    templates:\n      - {starts: ["08:00"], lengths: [9h]}\n',
    )
    assert line.startswith(
        f"{tmp_path / 'goals.yaml'}:3: teams.backoffice.min_agents: min_agents 1 needs agents on duty in every "
        "interval, but no template covers mon 00:00-08:00, mon 17:00-24:00, tue 00:00-08:00 and 9 more"
    )


def test_a_shift_past_midnight_covers_the_next_morning_and_sundays_covers_monday(tmp_path):
    text = "teams:\n  tier1:\n    min_agents: 1\n    templates:\n"
    text += '      - {days: [mon, tue, wed, thu, fri, sat, sun], starts: ["20:00"], lengths: [24h]}\n'
    assert load_goals(goals_file(tmp_path, text), baseline()).pool("tier1").min_agents == 1


def test_an_empty_template_list_is_refused_naming_the_default(tmp_path):
    line = one_refusal(tmp_path, "teams:\n  tier1:\n    templates: []\n")
    assert line == (
        f"{tmp_path / 'goals.yaml'}:3: teams.tier1.templates: give at least one template, or leave templates out "
        "for the default (8 h shifts starting every hour, each weekday on its own)"
    )


def test_empty_days_starts_and_lengths_are_refused(tmp_path):
    lines = refusal(tmp_path, "teams:\n  tier1:\n    templates:\n      - {days: [], starts: [], lengths: []}\n")
    assert [line.split(": ", 2)[1:] for line in lines] == [
        ["teams.tier1.templates[0].days", "give at least one weekday (mon, tue, wed, thu, fri, sat, sun)"],
        ["teams.tier1.templates[0].starts", 'give at least one start time, e.g. ["08:00"]'],
        ["teams.tier1.templates[0].lengths", "give at least one shift length, e.g. [8h]"],
    ]


def test_duplicate_template_names_are_refused_also_against_a_default_name(tmp_path):
    lines = refusal(
        tmp_path,
        "teams:\n  tier1:\n    templates:\n"
        '      - {name: early, starts: ["06:00"]}\n'
        '      - {name: early, starts: ["07:00"]}\n'
        '      - {name: template-4, starts: ["08:00"]}\n'
        '      - {starts: ["09:00"]}\n',
    )
    assert [line.split(": ", 2)[1] for line in lines] == [
        "teams.tier1.templates[1].name",
        "teams.tier1.templates[3].name",
    ]
    assert "duplicate template name 'early' (also template 1" in lines[0]
    assert "duplicate template name 'template-4' (also template 3" in lines[1]


def test_a_fixed_pool_with_templates_is_refused_asking_to_remove_one(tmp_path):
    line = one_refusal(tmp_path, 'teams:\n  billing:\n    fixed: true\n    templates:\n      - {starts: ["08:00"]}\n')
    assert line == (
        f"{tmp_path / 'goals.yaml'}:4: teams.billing.templates: billing is fixed (keeps the scenario's staffing, "
        "simulated, not optimised), so templates does not apply; remove templates or set fixed: false"
    )


def test_a_fixed_pool_keeps_no_templates_and_its_scenario_cost(tmp_path):
    goals = load_goals(goals_file(tmp_path, "teams:\n  billing: {fixed: true}\n"), baseline())
    assert goals.pool("billing") == PoolGoals(fixed=True, cost_per_hour=41.0)


def test_a_scenario_and_file_without_any_goal_say_how_to_add_one(tmp_path):
    scenario = build(channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}])
    with pytest.raises(ScenarioError) as caught:
        default_goals(scenario)
    assert caught.value.render() == (
        "<default goals>: (top level): there is no goal to meet: no channel of the scenario has a service_level "
        "and this file gives no goal; add one, e.g. service_level: [{channel: phone, target: 30s, goal: 0.8}], "
        "or give a channel a service_level in the scenario"
    )


def test_dropping_the_channels_service_levels_without_another_goal_says_how_to_add_one(tmp_path):
    line = one_refusal(tmp_path, "service_level: []\n")
    assert line.startswith(
        f"{tmp_path / 'goals.yaml'}:1: (top level): there is no goal to meet (service_level: [] drops"
    )
    assert "sla: [{priority: P1, goal: 0.9}] or abandonment: [{channel: phone, max: 0.05}]" in line


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    lines = refusal(
        tmp_path,
        "horizon: 36h\n"
        "service_level:\n  - {channel: fax, target: 20s}\n"
        "sla:\n  - {priority: P7, goal: 0.9}\n"
        "teams:\n  tier9: {}\n  tier1: {min_agents: 4, max_agents: 2}\n",
    )
    assert [line.split(": ", 2)[1] for line in lines] == [
        "horizon",
        "service_level[0].channel",
        "sla[0].priority",
        "teams.tier9",
        "teams.tier1.min_agents",
    ]


def test_goals_from_a_python_document_are_checked_like_a_file():
    with pytest.raises(ScenarioError) as caught:
        goals_from_document({"teams": {"tier1": {"max_agents": -1}}}, baseline())
    assert caught.value.render() == "<goals>: teams.tier1.max_agents: must be at least 0, got -1"
    goals = goals_from_document({"interval": "1h", "horizon": "2d"}, baseline())
    assert isinstance(goals, Goals) and (goals.interval, goals.horizon) == (60.0, 2880.0)


# --- broken variants of the bundled example --------------------------------------------------


def _example() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def _set(path: tuple, value: object):
    def change(doc: dict) -> dict:
        node = doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
        return doc

    return change


BROKEN = {
    "interval text": _set(("interval",), "half an hour"),
    "horizon a list": _set(("horizon",), [7]),
    "confidence unknown": _set(("confidence",), "interval99"),
    "replications one": _set(("replications",), 1),
    "service level a mapping": _set(("service_level",), {"channel": "phone"}),
    "service level goal above one": _set(("service_level", 0, "goal"), 1.5),
    "sla without goal": _set(("sla", 0), {"priority": "P1"}),
    "sla clock unknown": _set(("sla", 0, "clock"), "pickup"),
    "abandonment max text": _set(("abandonment", 0, "max"), "8 %"),
    "teams a list": _set(("teams",), ["tier1"]),
    "pool null": _set(("teams", "tier1"), None),
    "templates a mapping": _set(("teams", "tier1", "templates"), {"name": "early"}),
    "template null": _set(("teams", "tier1", "templates", 0), None),
    "days unknown": _set(("teams", "tier1", "templates", 0, "days"), ["monday"]),
    "starts a number": _set(("teams", "tier1", "templates", 0, "starts"), 6),
    "starts range without to": _set(("teams", "tier1", "templates", 0, "starts"), {"from": "06:00", "every": "1h"}),
    "starts range every zero": _set(("teams", "tier1", "templates", 0, "starts", "every"), 0),
    "lengths negative": _set(("teams", "tier1", "templates", 0, "lengths"), ["-8h"]),
    "break a number": _set(("teams", "tier1", "templates", 0, "break"), 30),
    "break longer than shift": _set(("teams", "tier1", "templates", 0, "break"), {"after": "8h", "length": "1h"}),
    "fixed text": _set(("teams", "billing", "fixed"), "perhaps"),
    "min agents float": _set(("teams", "tier1", "min_agents"), 2.5),
    "unknown pool": _set(("teams", "tier3"), {}),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_variant_of_the_example_is_refused_with_a_scenario_error(tmp_path, name):
    document = BROKEN[name](copy.deepcopy(_example()))
    path = goals_file(tmp_path, yaml.safe_dump(document, sort_keys=False))
    with pytest.raises(ScenarioError) as caught:
        load_goals(path, baseline())
    assert caught.value.render().startswith(str(path))


def test_the_example_cut_short_anywhere_loads_or_is_refused_with_a_scenario_error(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8")
    for cut in sorted(random.Random(14).sample(range(len(text)), 40)):
        path = goals_file(tmp_path, text[:cut])
        try:
            load_goals(path, baseline())
        except ScenarioError as exc:
            assert exc.render().startswith(str(path)), cut
