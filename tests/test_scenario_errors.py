"""Bad scenario files are refused with one message naming the file, the line, the field and what is allowed.

Each file in ``tests/bad_scenarios/`` holds one mistake a planner makes, described in its first
comment line. The table below says where the mistake is and a fragment of the message that tells
the planner how to fix it.
"""

from pathlib import Path

import pytest
from conftest import ERLANG_C

from sim.cli import main
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario

BAD = Path(__file__).parent / "bad_scenarios"

CASES = [
    # file, line, field path, fragment saying what is wrong or allowed (or a tuple of accepted wordings)
    ("malformed_yaml", 7, "(top level)", "not valid YAML"),
    ("unknown_top_level_key", 3, "horizn", "did you mean 'horizon'?"),
    ("unknown_routing_team", 15, "routing[1].team", "unknown team 'tier9'; allowed: agents"),
    (
        "negative_rate",
        8,
        "channels[1].rate_per_hour",
        ("must be at least 0, got -5", "greater than or equal to 0 (got -5)"),
    ),
    ("exponential_mean_and_rate", 9, "categories[0].handle_time", "exactly one of 'mean'"),
    (
        "unknown_distribution",
        7,
        "channels[0].patience.dist",
        "unknown distribution 'weibull'; allowed: empirical, exponential, fixed, gamma, lognormal, triangular, uniform",
    ),
    ("bad_clock_time", 15, "teams[1].shifts[0].end", "use HH:MM between 00:00 and 24:00"),
    ("agents_and_shifts", 11, "teams[0]", "either 'agents' (always on duty) or 'shifts', not both"),
    ("unknown_category_in_mix", 6, "channels[0].category_mix.refunds", "unknown category 'refunds'; allowed: call"),
    ("warmup_not_before_horizon", 4, "warmup", "must be shorter than the horizon"),
    (
        "unknown_sla_calendar",
        19,
        "sla_policies[0].resolution.calendar",
        "unknown calendar 'ofice'; allowed: 24x7, office",
    ),
    ("unrouted_category", 18, "routing", "no rule routes email tickets of category 'billing'"),
    (
        "bad_duration_unit",
        9,
        "categories[0].handle_time.value",
        "'5 parsecs' is not a duration; use a number of minutes or a number with a unit: s, m, h, d, w",
    ),
    ("duplicate_team_names", 13, "teams[1].name", "duplicate name 'agents'"),
]


def test_every_bad_file_has_a_case():
    names = {p.stem for p in BAD.glob("*.yaml")}
    covered = {case[0] for case in CASES}
    assert names == covered


@pytest.mark.parametrize("name, line, field, fragment", CASES)
def test_bad_scenario_is_refused_with_one_message_naming_file_line_field_and_fix(name, line, field, fragment):
    path = BAD / f"{name}.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = caught.value.render().splitlines()
    assert lines == [lines[0]]
    assert lines[0].startswith(f"{path}:{line}: {field}: ")
    assert any(wording in lines[0] for wording in ((fragment,) if isinstance(fragment, str) else fragment))


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_cli_validate_reports_a_bad_file_on_stderr_without_a_traceback(path, capsys):
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {path}:")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("teams.tier1.agents=3", "--set teams.tier1.agents=3: no item 'tier1' in teams; choose one of: agents"),
        ("teams[5].agents=3", "no item 5 in teams; choose one of: agents (or an index [0])"),
        ("horizon.days=3", "horizon is a value, not a section"),
        ("teams.agents", "write it as path=value"),
        ("teams.agents.agnts=3", "--set teams.agents.agnts=3: unknown field agnts; did you mean 'agents'?"),
        ("start_date=9999-12-31", "--set start_date=9999-12-31: 9999-12-31 plus the horizon (5 days) runs past"),
        ("horizon=1e12", "choose a shorter horizon or an earlier start_date"),
        ("teams.agents.handle_time_multiplier=1e308", "1e+308 times the handle times of 'call' is beyond any finite"),
        ("channels.phone.rate_per_hour=1e308", "channels[0]: its rate_per_hour times its hour_of_day, day_of_week"),
    ],
)
def test_bad_override_is_refused_with_a_clear_message(override, fragment, capsys):
    assert main(["validate", str(ERLANG_C), "--set", override]) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_override_of_a_named_team_changes_its_staffing(capsys):
    assert main(["validate", str(ERLANG_C), "--set", "teams.agents.agents=15"]) == 0
    assert "ok" in capsys.readouterr().out
    assert load_scenario(ERLANG_C, ["teams.agents.agents=15"]).team("agents").agents == 15


def test_override_is_validated_like_the_file():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(ERLANG_C, ["channels.phone.rate_per_hour=-1"])
    message = caught.value.render()
    # named by the override that holds the bad value, not by the file's line (issue 12, item 9)
    assert message == "--set channels.phone.rate_per_hour=-1: must be at least 0, got -1"


def test_override_does_not_change_the_file_it_was_applied_to():
    load_scenario(ERLANG_C, ["teams.agents.agents=15"])
    assert load_scenario(ERLANG_C).team("agents").agents == 14


def test_missing_file_is_a_scenario_error_not_a_crash(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere.yaml")]) == 2
    assert "cannot read the file" in capsys.readouterr().err
