"""Sweep files: designs (grid, ranges, random, Latin hypercube) and clear errors for bad files."""

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.design import Interval, grid, latin_hypercube, random_points
from sim.experiments.sweep_files import load_sweep
from sim.scenario.loader import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
ERLANG_C = ROOT / "scenarios" / "validation" / "erlang_c.yaml"


def sweep_file(tmp_path: Path, body: str, base: Path = ERLANG_C) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(f"base: {base}\n{body}", encoding="utf-8")
    return path


# --- designs ---------------------------------------------------------------------------------


def test_grid_visits_every_combination_first_parameter_slowest():
    points = grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert points == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
        {"a": 2, "b": "z"},
    ]


def test_latin_hypercube_puts_one_point_in_every_stratum_of_every_axis():
    n = 20
    points = latin_hypercube({"x": Interval(0, 10), "y": Interval(-1, 1)}, n, seed=3)
    for name, (low, high) in {"x": (0, 10), "y": (-1, 1)}.items():
        strata = sorted(int((p[name] - low) / (high - low) * n) for p in points)
        assert strata == list(range(n))


def test_latin_hypercube_balances_whole_numbers_and_listed_values():
    points = latin_hypercube({"agents": Interval(10, 13, integer=True), "policy": ["a", "b"]}, 8, seed=5)
    agents = [p["agents"] for p in points]
    assert all(isinstance(a, int) for a in agents)
    assert sorted(agents) == [10, 10, 11, 11, 12, 12, 13, 13]
    assert sorted(p["policy"] for p in points) == ["a"] * 4 + ["b"] * 4


def test_samples_are_reproducible_from_their_seed():
    space = {"x": Interval(0, 1), "k": [1, 2, 3]}
    for draw in (latin_hypercube, random_points):
        assert draw(space, 5, seed=1) == draw(space, 5, seed=1)
        assert draw(space, 5, seed=1) != draw(space, 5, seed=2)


def test_random_points_stay_inside_their_intervals():
    points = random_points({"x": Interval(2, 3), "n": Interval(1, 4, integer=True)}, 200, seed=0)
    xs = np.array([p["x"] for p in points])
    assert xs.min() >= 2 and xs.max() < 3
    assert {p["n"] for p in points} == {1, 2, 3, 4}


def test_sweep_file_ranges_expand_inclusively(tmp_path):
    plan = load_sweep(
        sweep_file(
            tmp_path,
            "parameters:\n  teams.agents.agents: {from: 12, to: 16, step: 2}\n"
            "  channels.phone.rate_per_hour: {from: 150, to: 160, step: 2.5}\n",
        )
    )
    assert [p["teams.agents.agents"] for p in plan.points[::5]] == [12, 14, 16]
    assert [p["channels.phone.rate_per_hour"] for p in plan.points[:5]] == [150, 152.5, 155, 157.5, 160]
    assert plan.replications == 10 and plan.seed == 2026  # the base scenario's


def test_sweep_file_sample_draws_n_points_and_validates_each(tmp_path):
    plan = load_sweep(
        sweep_file(
            tmp_path,
            "sample: {method: lhs, n: 6, seed: 11}\nreplications: 2\n"
            "parameters:\n  teams.agents.agents: {low: 12, high: 17, integer: true}\n"
            "  channels.phone.rate_per_hour: {low: 150, high: 210}\n",
        )
    )
    assert len(plan.points) == 6 and plan.tasks == 12
    assert sorted(p["teams.agents.agents"] for p in plan.points) == [12, 13, 14, 15, 16, 17]
    assert plan.scenario(3).teams[0].agents == plan.points[3]["teams.agents.agents"]


def test_explicit_points_may_vary_different_fields(tmp_path):
    plan = load_sweep(
        sweep_file(
            tmp_path,
            "points:\n  - {teams.agents.agents: 13}\n"
            "  - {teams.agents.agents: 15, channels.phone.rate_per_hour: 220}\n",
        )
    )
    assert plan.parameters == ["teams.agents.agents", "channels.phone.rate_per_hour"]
    assert plan.scenario(1).channels[0].rate_per_hour == 220


def test_the_bundled_sweeps_load_with_every_point_valid():
    for path in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        plan = load_sweep(path)
        assert plan.tasks >= 10, path
        assert plan.scenario(len(plan.points) - 1).name == "baseline"


# --- errors ----------------------------------------------------------------------------------

BAD = {
    "unknown_field": (
        "replicatons: 3\nparameters:\n  teams.agents.agents: [12, 13]\n",
        ":2: replicatons: unknown field; did you mean 'replications'?",
    ),
    "no_such_team": (
        "parameters:\n  teams.tier9.agents: [12, 13]\n",
        ":3: parameters.teams.tier9.agents: --set 'teams.tier9.agents=12': no item 'tier9' here; choose one of: agents",
    ),
    "invalid_point": (
        "parameters:\n  teams.agents.agents: [0, 14]\n",
        ":2: parameters: point 0 (teams.agents.agents=0) makes an invalid scenario: teams[0].agents: "
        "a team needs at least one agent",
    ),
    "interval_without_sample": (
        "parameters:\n  teams.agents.agents: {low: 10, high: 15}\n",
        ":3: parameters.teams.agents.agents: an interval is sampled: add sample:",
    ),
    "single_value": (
        "parameters:\n  teams.agents.agents: 14\n",
        ":3: parameters.teams.agents.agents: give a list of values",
    ),
    "backwards_range": (
        "parameters:\n  teams.agents.agents: {from: 15, to: 12}\n",
        ":3: parameters.teams.agents.agents: 'to' (12) is below 'from' (15)",
    ),
    "unknown_kpi": (
        "kpis: [asa, wait_time]\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: kpis[1]: unknown KPI 'wait_time'",
    ),
    "unknown_method": (
        "sample: {method: sobol, n: 4}\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: sample.method: Input should be 'random' or 'lhs'",
    ),
    "points_and_parameters": (
        "points: [{teams.agents.agents: 12}]\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: points: give either points",
    ),
    "nothing_to_vary": ("replications: 2\n", ":1: parameters: name at least one parameter"),
    "bad_fixed_override": (
        "set: [teams.nobody.agents=3]\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: set[0]: --set 'teams.nobody.agents=3': no item 'nobody' here",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_sweep_file_names_file_line_and_field(tmp_path, case):
    body, expected = BAD[case]
    path = sweep_file(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert f"{path}{expected}" in caught.value.render()


def test_missing_base_scenario_is_named(tmp_path):
    path = sweep_file(tmp_path, "parameters:\n  teams.agents.agents: [12]\n", base=tmp_path / "nowhere.yaml")
    with pytest.raises(ScenarioError, match=r"sweep.yaml:1: base: no scenario file at .*nowhere.yaml"):
        load_sweep(path)


def test_many_invalid_points_are_reported_once_with_a_count(tmp_path):
    path = sweep_file(tmp_path, "parameters:\n  teams.agents.agents: [0]\n  channels.phone.rate_per_hour: [1, 2, 3]\n")
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert caught.value.render().count("\n") == 0
    assert "3 points, e.g. point 0" in caught.value.render()


def test_cli_reports_a_bad_sweep_file_with_exit_status_2(tmp_path, capsys):
    path = sweep_file(tmp_path, "replicatons: 3\nparameters:\n  teams.agents.agents: [12, 13]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:2: replicatons: unknown field")
    assert "Traceback" not in err
