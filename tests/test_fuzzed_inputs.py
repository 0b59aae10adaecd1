"""Inputs a random fuzzer found that crashed, hung or were silently misread, and what the user gets now.

Each test is one finding of the undirected fuzzing runs over the bundled scenarios, sweep files,
the calibration exports and their column maps (2026-12-03), or an input the first run left alone,
shrunk to the smallest input that showed it.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, build, fixed

from sim.calibration.fit_arrivals import fit_arrivals
from sim.cli import main
from sim.experiments.sweep_files import load_sweep
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario

EXPORT = ROOT / "data" / "example_generic" / "tickets.csv.gz"


# -- scenarios ---------------------------------------------------------------------------------------------
def test_a_surge_mix_without_a_positive_weight_is_refused_by_its_field_instead_of_crashing_the_run():
    surge = {"start": 10, "duration": 30, "multiplier": 2, "category_mix": {"question": 0}}
    channel = {"name": "phone", "rate_per_hour": 6, "category_mix": {"question": 1}, "surges": [surge]}
    with pytest.raises(ScenarioError) as caught:
        build(channels=[channel])
    assert "channels[0].surges[0].category_mix: at least one category needs a positive weight" in str(caught.value)


@pytest.mark.parametrize(
    "handle_time",
    [
        {"dist": "lognormal", "mean": 9, "sdd": 6},  # a category's one handle time
        {"desk": {"dist": "lognormal", "mean": 9, "sdd": 6}},  # its handle time per team
    ],
)
def test_a_typo_in_a_handle_time_lists_the_fields_of_its_distribution(handle_time):
    # the handle time is a distribution or a mapping of them: the message used to end in "allowed: " and nothing
    with pytest.raises(ScenarioError) as caught:
        build(categories=[{"name": "question", "handle_time": handle_time}])
    assert "unknown field; did you mean 'sd'? allowed: dist, mean, sd" in str(caught.value)


def test_a_typo_in_a_lognormal_patience_lists_the_lognormal_fields_not_the_exponential_ones():
    patience = {"dist": "lognormal", "mean": 4, "sd": 2, "shape": 1}
    channel = {"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}, "patience": patience}
    with pytest.raises(ScenarioError) as caught:
        build(channels=[channel])
    assert "channels[0].patience.shape: unknown field; allowed: dist, mean, sd" in str(caught.value)


def test_a_problem_met_on_several_routes_is_said_once():
    # every channel that routes the category used to repeat the same missing handle time
    channels = [
        {"name": name, "arrival_times": [0], "category_mix": {"question": 1}} for name in ("phone", "chat", "email")
    ]
    teams = [{"name": "desk", "agents": 1}, {"name": "lead", "agents": 1}]
    category = {"name": "question", "handle_time": {"desk": fixed(5)}, "path": ["desk", "lead"]}
    with pytest.raises(ScenarioError) as caught:
        build(channels=channels, teams=teams, categories=[category], routing=[{"team": "desk"}])
    assert str(caught.value).count("can reach team 'lead' but it has no handle time for that team") == 1


@pytest.mark.parametrize(
    ("hours", "message"), [(25, "at most 24 items (it has 25)"), (0, "at least 24 items (it has 0)")]
)
def test_an_hour_of_day_profile_of_the_wrong_length_says_how_many_hours_in_the_projects_words(hours, message):
    # this was pydantic's own "List should have at most 24 items after validation, not 25"
    channel = {"name": "phone", "rate_per_hour": 6, "category_mix": {"question": 1}, "hour_of_day": [1] * hours}
    with pytest.raises(ScenarioError) as caught:
        build(channels=[channel])
    assert f"channels[0].hour_of_day: must have {message}" in str(caught.value)


def test_a_team_twice_on_an_escalation_path_is_refused_as_its_second_place_is_never_reached():
    # failed attempts move to the team after a team's first place: desk, lead, desk, expert never reached expert
    teams = [{"name": name, "agents": 1} for name in ("desk", "lead", "expert")]
    category = {"name": "question", "handle_time": fixed(5), "path": ["desk", "lead", "desk", "expert"]}
    with pytest.raises(ScenarioError) as caught:
        build(teams=teams, categories=[category])
    assert "categories[0].path[2]: team 'desk' is already on the path at [0]" in str(caught.value)


@pytest.mark.parametrize("path", ["teams[0].shifts[0.5].agents", "teams[0].shifts[0.agents", "teams[].agents"])
def test_a_set_path_with_a_malformed_bracket_says_what_a_bracket_holds(capsys, path):
    # shifts[0.5] was read as the names '0' and '5': "no item '0' in teams[0].shifts"
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    assert main(["validate", scenario, "--set", f"{path}=3"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --set {path}=3: a bracket holds a list index ([0]) or a name ([tier1]), nothing else"
    )


LARGEST_SEED = 2**63 - 1


def test_a_seed_above_the_largest_64_bit_integer_is_refused_by_the_field_and_the_option(capsys):
    # numpy took it, and a sweep then failed in a traceback writing it into its int64 seed column
    with pytest.raises(ScenarioError) as caught:
        build(seed=LARGEST_SEED + 1)
    assert f"seed: must be at most {LARGEST_SEED}, got {LARGEST_SEED + 1}" in str(caught.value)
    with pytest.raises(SystemExit):
        main(["run", str(ROOT / "scenarios" / "baseline.yaml"), "--seed", str(LARGEST_SEED + 1)])
    assert "the largest seed; use a smaller one" in capsys.readouterr().err


def test_a_sweep_with_the_largest_seed_writes_its_tables(tmp_path, capsys):
    sweep = tmp_path / "sweep.yaml"
    base = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
    sweep.write_text(
        f"base: {base}\nset: [horizon=2h, warmup=0]\nreplications: 1\nseed: {LARGEST_SEED}\n"
        "parameters:\n  teams.agents.agents: [14, 15]\n",
        encoding="utf-8",
    )
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet", "-w", "1"]) == 0
    (runs,) = (tmp_path / "out").rglob("runs.parquet")
    assert set(pd.read_parquet(runs)["seed"]) == {LARGEST_SEED}
    sweep.write_text(sweep.read_text().replace(f"seed: {LARGEST_SEED}", f"seed: {LARGEST_SEED + 1}"))
    with pytest.raises(ScenarioError, match=f"seed: Input should be less than or equal to {LARGEST_SEED}"):
        load_sweep(sweep)


SLA_WITH_UPDATES = {"name": "all", "resolution": {"target": "8h"}, "update_time": fixed(1)}


@pytest.mark.parametrize("every", ["1s", 1e-9, 0.5])
def test_customer_updates_more_often_than_once_a_minute_are_refused_instead_of_flooding_the_desk(every):
    # update_every 1e-9 queued an update task per nanosecond of every escalated ticket: 6 GB in two minutes
    with pytest.raises(ScenarioError) as caught:
        build(sla_policies=[{**SLA_WITH_UPDATES, "update_every": every}])
    assert "sla_policies[0]: 'update_every' must be at least 1 minute" in str(caught.value)


def test_customer_updates_once_a_minute_are_allowed():
    assert build(sla_policies=[{**SLA_WITH_UPDATES, "update_every": "1m"}]).sla_policies[0].update_every == 1


def test_a_queue_wait_rule_under_a_minute_is_refused_instead_of_moving_tickets_back_and_forth_forever():
    rules = [
        {"name": "a", "queue_wait": "1s", "action": "move", "to": "lead"},
        {"name": "b", "queue_wait": "1m", "action": "move", "to": "desk"},
    ]
    teams = [{"name": "desk", "agents": 1}, {"name": "lead", "agents": 1}]
    with pytest.raises(ScenarioError) as caught:
        build(teams=teams, escalation={"time_rules": rules})
    message = str(caught.value)
    assert "escalation.time_rules[0]: 'queue_wait' must be at least 1 minute (got 0.0166667 min)" in message
    assert "time_rules[1]" not in message


@pytest.mark.parametrize(
    ("fields", "where", "field"),
    [
        ({"teams": [{"name": "desk", "agents": True}]}, "teams[0]", "'agents'"),
        ({"replications": True}, "(top level)", "'replications'"),
        ({"seed": False}, "(top level)", "'seed'"),
        ({"teams": [{"name": "desk", "agents": 1, "cost_per_hour": True}]}, "teams[0]", "'cost_per_hour'"),
        (
            {"categories": [{"name": "question", "handle_time": fixed(10), "priority": {"P1": True, "P2": 1}}]},
            "categories[0]",
            "'priority.P1'",
        ),
        (
            {
                "channels": [
                    {"name": "phone", "rate_per_hour": 6, "hour_of_day": [1] * 3 + [False] + [1] * 20}
                    | {"category_mix": {"question": 1}}
                ]
            },
            "channels[0]",
            "'hour_of_day[3]'",
        ),
    ],
)
def test_true_or_false_where_a_number_belongs_is_refused_not_read_as_one_or_zero(fields, where, field):
    # pydantic's lax mode read `agents: true` as one agent, and `seed: false` as seed 0, without a word
    with pytest.raises(ScenarioError) as caught:
        build(**fields)
    assert f"{where}: {field} must be a number, not true or false" in str(caught.value)


def test_true_is_still_a_yes_where_a_field_takes_true_or_false_or_an_amount():
    scenario = load_scenario(ROOT / "scenarios" / "auto_escalation.yaml")  # authority: {approve_access: true}
    assert next(t for t in scenario.teams if t.name == "team_leads").authority == {"approve_access": True}


# -- calibration exports --------------------------------------------------------------------------------------
def _export(tmp_path: Path, edit: Callable[[pd.DataFrame], None], rows: int = 400) -> Path:
    """The first ``rows`` tickets of the shipped generic export, edited, as a CSV file."""
    frame = pd.read_csv(EXPORT, dtype=str, keep_default_na=False, nrows=rows)
    edit(frame)
    path = tmp_path / "tickets.csv"
    frame.to_csv(path, index=False)
    return path


def _calibrate(tickets: Path, out: Path, *extra: str) -> int:
    return main(["calibrate", str(tickets), "-o", str(out), "--no-report", *extra])


def test_empty_names_and_names_with_line_breaks_calibrate_to_a_scenario_that_loads(tmp_path, capsys):
    # an empty category or group wrote `name: ''` and `: 0.5`; a line break in a value broke a comment line
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[0, "category"] = ""
        frame.loc[1, "category"] = "acc\nount"
        frame.loc[2, "group"] = ""

    out = tmp_path / "desk.yaml"
    assert _calibrate(_export(tmp_path, edit), out) == 0
    scenario = load_scenario(out)
    assert {"unnamed", "acc_ount"} <= {c.name for c in scenario.categories}
    assert "unnamed" in {t.name for t in scenario.teams}


def test_a_timestamp_beyond_the_year_2261_skips_its_row_and_says_why(tmp_path, capsys):
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[1, ["created", "first_reply", "solved"]] = "2999-03-02T00:04:50+00:00"

    assert _calibrate(_export(tmp_path, edit), tmp_path / "desk.yaml") == 0
    printed = capsys.readouterr().out
    assert "read 399 tickets, no event file; 1 row skipped" in printed, printed


def test_arrivals_whose_busy_days_would_all_be_surges_keep_them_and_fit_a_rate():
    # one busy day, then one arrival a month later: the busy day was flagged as a surge, leaving nothing
    # to fit, and the rate, profiles and surge multiplier came out as NaN or a division by zero
    busy = pd.date_range("2026-03-02 08:00", periods=40, freq="15min", tz="UTC")
    created = pd.Series([*busy, pd.Timestamp("2026-04-02 09:00", tz="UTC")])
    fit = fit_arrivals(pd.DataFrame({"created": created, "channel": "email"}))["email"]
    assert fit.rate_per_hour > 0
    assert np.isfinite(fit.hour_of_day).all() and np.isfinite(list(fit.day_of_week.values())).all()
    assert not fit.surges


def test_a_truncated_gzip_export_is_one_line_not_a_traceback(tmp_path, capsys):
    truncated = tmp_path / "tickets.csv.gz"
    truncated.write_bytes(gzip.compress(EXPORT.read_bytes())[:200])
    assert _calibrate(truncated, tmp_path / "desk.yaml") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: tickets.csv.gz: cannot read the file as CSV: Compressed file ended"), err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('events: "08:00"', "column 'events': must be a mapping of canonical event column: export column (got str)"),
        ("units: x", "column 'units': must be a mapping of duration column: unit (got str)"),
        ("values: [1]", "column 'values': must be a mapping of column: {export value: canonical value} (got list)"),
        ("values:\n  channel: [a]", "column 'values.channel': must be a mapping of export value: name (got list)"),
        ("created: [a, b]", "column 'created': must be one name, as text (got a list)"),
        ('custom_fields: "no"', "column 'custom_fields': must be true or false (got 'no')"),
    ],
)
def test_a_column_map_section_of_the_wrong_shape_is_one_line_naming_it(tmp_path, capsys, text, message):
    column_map = tmp_path / "map.yaml"
    column_map.write_text(text + "\n", encoding="utf-8")
    assert _calibrate(EXPORT, tmp_path / "desk.yaml", "--map", str(column_map)) == 2
    assert capsys.readouterr().err.strip() == f"error: map.yaml: {message}"


def test_a_back_test_warm_up_beyond_a_year_is_refused_by_the_option(tmp_path, capsys):
    # --warmup 1000000000d overflowed pandas' timestamps in a traceback
    scenario = ROOT / "scenarios" / "tiered.yaml"
    with pytest.raises(SystemExit) as stopped:
        main(["backtest", str(scenario), str(EXPORT), "--warmup", "1000000000d", "--out", str(tmp_path)])
    assert stopped.value.code == 2
    assert "argument --warmup: a warm-up from 0 to 366d, e.g. 1d (got '1000000000d')" in capsys.readouterr().err


def test_a_column_named_twice_in_an_export_header_is_one_line_naming_it(tmp_path, capsys):
    def edit(frame: pd.DataFrame) -> None:
        frame.insert(len(frame.columns), "channel ", frame["channel"])  # the same name once stripped

    assert _calibrate(_export(tmp_path, edit), tmp_path / "desk.yaml") == 2
    assert capsys.readouterr().err.strip() == (
        "error: tickets.csv: column 'channel': appears twice in the header: keep one of the two"
    )


def test_an_event_file_without_work_times_calibrates_escalations_with_handle_times_assumed_and_said(tmp_path):
    # the event work column is optional (the shipped ServiceNow map has none), but teams reached only by
    # escalation then had no handle time, and calibrate refused its own scenario in a traceback
    generic = ROOT / "data" / "example_generic"
    tickets = pd.read_csv(generic / "tickets.csv.gz", dtype=str, keep_default_na=False, nrows=2000)
    events = pd.read_csv(generic / "events.csv.gz", dtype=str, keep_default_na=False)
    events = events[events["ticket"].isin(tickets["ticket"])].drop(columns="work_minutes")
    tickets.to_csv(tmp_path / "tickets.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    out = tmp_path / "desk.yaml"
    argv = ["--events", str(tmp_path / "events.csv")]
    assert _calibrate(tmp_path / "tickets.csv", out, *argv) == 0
    scenario = load_scenario(out)
    assert any(len(c.path or []) > 1 for c in scenario.categories)
    assert "# ASSUMED as at tier1: no work time at tier2 in the export" in out.read_text(encoding="utf-8")


def test_a_back_test_above_the_work_limits_is_refused_before_simulating_like_run(tmp_path, capsys):
    scenario = ROOT / "scenarios" / "baseline.yaml"
    argv = ["backtest", str(scenario), str(EXPORT), "--set", "channels[0].rate_per_hour=1e9", "--out", str(tmp_path)]
    assert main([*argv, "-r", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "above the limit of 5,000,000" in err and "add --force" in err
    assert not (tmp_path / "backtest").exists() or not any((tmp_path / "backtest").iterdir())


@pytest.mark.parametrize("name", ["summary.json", "tickets.parquet", "summary.csv"])
def test_a_results_file_cut_short_gives_one_line_naming_it_and_saying_to_run_again(tmp_path, capsys, name):
    scenario = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
    argv = ["run", str(scenario), "-r", "2", "--quiet", "--set", "horizon=1d", "--set", "warmup=0"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    (damaged,) = tmp_path.rglob(name)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 3] if name.endswith(".parquet") else b"")
    capsys.readouterr()
    assert main(["report", str(damaged.parent)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {damaged}: damaged or cut short (") and "\n" not in err
    assert err.endswith(f"; run the command that wrote {damaged.parent} again")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A small run's results folder, written once for the tests that damage copies of it."""
    out = tmp_path_factory.mktemp("runs")
    scenario = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
    argv = ["run", str(scenario), "-r", "2", "--quiet", "--set", "horizon=1d", "--set", "warmup=0", "--out", str(out)]
    assert main(argv) == 0
    (summary,) = out.rglob("summary.json")
    return summary.parent


def _drop_column(path: Path, column: str) -> None:
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    table = table.drop(columns=[column])
    table.to_parquet(path) if path.suffix == ".parquet" else table.to_csv(path, index=False)


def _text_in_summary(path: Path, column: str) -> None:
    table = pd.read_csv(path)
    table[column] = table[column].astype(object)
    table.loc[0, column] = "about ten"
    table.to_csv(path, index=False)


def _directory_instead(path: Path, _: str) -> None:
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize(
    ("name", "column", "damage", "message"),
    [
        ("tickets.parquet", "outcome", _drop_column, "lacks the column outcome that the report reads"),
        ("events.parquet", "event", _drop_column, "lacks the column event that the report reads"),
        ("summary.csv", "mean", _text_in_summary, "holds text where numbers belong, in mean"),
        ("intervals.csv", "asa", _drop_column, "lacks the column asa that the report reads"),
        (
            "intervals.csv",
            "service_level_ci_high",
            _drop_column,
            "lacks the column service_level_ci_high that the report reads",
        ),
        ("levels.parquet", "", _directory_instead, "is missing or is not a file"),
    ],
)
def test_a_hand_edited_results_table_gives_one_line_naming_the_file_and_column_not_a_traceback(
    run_folder, tmp_path, capsys, name, column, damage, message
):
    folder = tmp_path / "run"
    folder.mkdir()
    for path in run_folder.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    damage(folder / name, column)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {folder / name} {message}; run the command that wrote {folder} again"


@pytest.mark.parametrize("column", ["teams.agents.agents", "asa_ci_low"])
def test_a_sweep_points_table_without_a_parameter_or_an_interval_column_is_one_line_naming_it(tmp_path, capsys, column):
    sweep = tmp_path / "sweep.yaml"
    base = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
    sweep.write_text(
        f"base: {base}\nset: [horizon=2h, warmup=0]\nreplications: 2\nkpis: [asa]\n"
        "parameters:\n  teams.agents.agents: [14, 15]\n",
        encoding="utf-8",
    )
    assert main(["sweep", str(sweep), "--out", str(tmp_path / "out"), "--quiet", "-w", "1"]) == 0
    (points,) = (tmp_path / "out").rglob("points.parquet")
    _drop_column(points, column)
    capsys.readouterr()
    assert main(["report", str(points.parent)]) == 2
    err = capsys.readouterr().err.strip()
    again = f"run the command that wrote {points.parent} again"
    assert err == f"error: {points} lacks the column {column} that the report reads; {again}"


@pytest.fixture(scope="module")
def comparison_folder(tmp_path_factory) -> Path:
    """A small comparison's results folder, written once for the tests that damage copies of it."""
    out = tmp_path_factory.mktemp("comparisons")
    scenario = ROOT / "scenarios" / "validation" / "erlang_c.yaml"
    argv = ["compare", str(scenario), "--variant", "fewer:teams[0].agents=13", "-r", "2", "--quiet"]
    assert main([*argv, "--set", "horizon=1d", "--set", "warmup=0", "--out", str(out)]) == 0
    (table,) = out.rglob("comparison.csv")
    return table.parent


def _copy(folder: Path, to: Path) -> Path:
    """A copy of a results folder, its report and pictures left out."""
    shutil.copytree(folder, to, ignore=shutil.ignore_patterns("report.html", "plots"))
    return to


def test_a_comparison_whose_mean_was_edited_outside_its_interval_names_the_line_not_a_negative_whisker(
    comparison_folder, tmp_path, capsys
):
    folder = _copy(comparison_folder, tmp_path / "cmp")
    table = pd.read_csv(folder / "comparison.csv")
    table.loc[0, "mean"] = table.loc[0, "ci_high"] + 100
    table.to_csv(folder / "comparison.csv", index=False)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {folder / 'comparison.csv'}, line 2: mean ") and "lies outside its interval" in err


def test_a_comparison_table_cut_after_a_whole_row_names_the_scenario_and_kpi_it_lacks(
    comparison_folder, tmp_path, capsys
):
    folder = _copy(comparison_folder, tmp_path / "cmp")
    lines = (folder / "comparison.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "comparison.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    last = pd.read_csv(comparison_folder / "comparison.csv").iloc[-1]
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        f"error: {folder / 'comparison.csv'} has no row for scenario {last['scenario']} and KPI {last['kpi']}"
    )
