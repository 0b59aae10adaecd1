"""Sweep files: designs (grid, ranges, random, Latin hypercube, Sobol', Halton) and clear errors for bad files."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.design import Interval, grid, halton, latin_hypercube, random_points, sobol
from sim.experiments.sweep_files import load_sweep
from sim.scenario.errors import ScenarioError

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


SAMPLERS = {"random": random_points, "lhs": latin_hypercube, "sobol": sobol, "halton": halton}


def strata(points, name, low, high, n):
    """How many points fall in each of ``n`` equal strata of ``[low, high)`` along one axis."""
    return Counter(int((p[name] - low) / (high - low) * n) for p in points)


@pytest.mark.parametrize("n", [1, 7, 20, 64])
@pytest.mark.parametrize("seed", [0, 3, 2026])
def test_latin_hypercube_puts_one_point_in_every_stratum_of_every_axis(n, seed):
    axes = {"x": (0, 10), "y": (-1, 1), "z": (150, 210)}
    points = latin_hypercube({name: Interval(*bounds) for name, bounds in axes.items()}, n, seed=seed)
    assert len(points) == n
    for name, (low, high) in axes.items():
        assert strata(points, name, low, high, n) == Counter(range(n)), name


def test_latin_hypercube_balances_whole_numbers_and_listed_values():
    # 8 strata over 4 whole numbers and 2 listed values: each number holds 2 strata, each value 4.
    points = latin_hypercube({"agents": Interval(10, 13, integer=True), "policy": ["a", "b"]}, 8, seed=5)
    assert all(isinstance(p["agents"], int) for p in points)
    assert Counter(p["agents"] for p in points) == {10: 2, 11: 2, 12: 2, 13: 2}
    assert Counter(p["policy"] for p in points) == {"a": 4, "b": 4}


@pytest.mark.parametrize("k", [0, 3, 4, 6])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_sobol_with_a_power_of_two_n_puts_one_point_in_every_stratum_of_every_axis(k, seed):
    n = 2**k
    axes = {"x": (0, 1), "y": (-5, 5), "z": (16, 26), "w": (0, 100)}
    points = sobol({name: Interval(*bounds) for name, bounds in axes.items()}, n, seed=seed)
    for name, (low, high) in axes.items():
        assert strata(points, name, low, high, n) == Counter(range(n)), name


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_sobol_fills_every_cell_of_every_grid_of_n_cells_over_the_first_two_axes(seed):
    # The first two Sobol' axes form a (0, m, 2)-net: for n = 2^k, each grid of 2^a x 2^(k-a) cells
    # holds exactly one point per cell (scrambling keeps this).
    k = 5
    points = sobol({"x": Interval(0, 1), "y": Interval(0, 1)}, 2**k, seed=seed)
    for a in range(k + 1):
        cells = {(int(p["x"] * 2**a), int(p["y"] * 2 ** (k - a))) for p in points}
        assert len(cells) == 2**k, a


@pytest.mark.parametrize("n", [3, 20, 100])
def test_sobol_refuses_n_other_than_a_power_of_two_and_names_the_nearest(n):
    below = 2 ** (n.bit_length() - 1)
    with pytest.raises(ValueError, match=f"power of two: use n: {below} or n: {2 * below}"):
        sobol({"x": Interval(0, 1)}, n, seed=0)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_halton_fills_every_cell_of_a_grid_matched_to_its_prime_bases(seed):
    # The axes of a Halton sequence run in bases 2, 3, 5, …: its first 2^2 * 3^2 * 5 = 180 points
    # put exactly one point in each cell of the 4 x 9 x 5 grid (scrambling keeps this).
    points = halton({"x": Interval(0, 1), "y": Interval(0, 1), "z": Interval(0, 1)}, 180, seed=seed)
    cells = Counter((int(p["x"] * 4), int(p["y"] * 9), int(p["z"] * 5)) for p in points)
    assert len(cells) == 180 and set(cells.values()) == {1}


@pytest.mark.parametrize("method", SAMPLERS)
def test_sampled_points_repeat_for_the_same_seed_and_change_for_another(method):
    draw = SAMPLERS[method]
    space = {"x": Interval(0, 1), "k": [1, 2, 3], "n": Interval(1, 9, integer=True)}
    assert draw(space, 8, seed=1) == draw(space, 8, seed=1)
    assert draw(space, 8, seed=1) != draw(space, 8, seed=2)


@pytest.mark.parametrize("method", SAMPLERS)
def test_sampled_points_lie_in_the_space(method):
    space = {"x": Interval(2, 3), "n": Interval(1, 4, integer=True), "policy": ["a", "b", "c"]}
    points = SAMPLERS[method](space, 64, seed=0)
    assert len(points) == 64
    xs = np.array([p["x"] for p in points])
    assert xs.min() >= 2 and xs.max() < 3
    assert {p["n"] for p in points} == {1, 2, 3, 4}
    assert all(isinstance(p["n"], int) for p in points)
    assert {p["policy"] for p in points} == {"a", "b", "c"}


@pytest.mark.parametrize("method", SAMPLERS)
def test_sampling_an_empty_space_gives_n_empty_points(method):
    assert SAMPLERS[method]({}, 4, seed=0) == [{}, {}, {}, {}]


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
    # one point per stratum: 6 strata over the 6 whole numbers 12..17 give each number once
    assert sorted(p["teams.agents.agents"] for p in plan.points) == [12, 13, 14, 15, 16, 17]
    assert plan.scenario(3).teams[0].agents == plan.points[3]["teams.agents.agents"]


@pytest.mark.parametrize("method", ["sobol", "halton"])
def test_sweep_file_low_discrepancy_sample_draws_n_valid_points(tmp_path, method):
    plan = load_sweep(
        sweep_file(
            tmp_path,
            f"sample: {{method: {method}, n: 8, seed: 3}}\n"
            "parameters:\n  teams.agents.agents: {low: 12, high: 19, integer: true}\n"
            "  channels.phone.rate_per_hour: {low: 150, high: 210}\n",
        )
    )
    assert plan.spec.design == method and len(plan.points) == 8
    # 8 points over the 8 whole numbers 12..19: both designs put one in each (n is a power of 2)
    assert sorted(p["teams.agents.agents"] for p in plan.points) == list(range(12, 20))
    assert all(150 <= p["channels.phone.rate_per_hour"] < 210 for p in plan.points)


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
        ":3: parameters.teams.tier9.agents: no item 'tier9' in teams; choose one of: agents",
    ),
    "invalid_point": (
        "parameters:\n  teams.agents.agents: [0, 14]\n",
        ":2: parameters: point 0 (teams.agents.agents=0) makes an invalid scenario: teams.agents.agents: "
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
        "sample: {method: sobel, n: 4}\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: sample.method: Input should be 'random', 'lhs', 'sobol' or 'halton' (got 'sobel')",
    ),
    "sobol_n_not_a_power_of_two": (
        "sample: {method: sobol, n: 20}\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: sample.n: Sobol' points are balanced only when n is a power of two: use n: 16 or n: 32, "
        "or method: halton or lhs for 20 points",
    ),
    "points_and_parameters": (
        "points: [{teams.agents.agents: 12}]\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: points: give either points",
    ),
    "nothing_to_vary": ("replications: 2\n", ":1: parameters: name at least one parameter"),
    "bad_fixed_override": (
        "set: [teams.nobody.agents=3]\nparameters:\n  teams.agents.agents: [12]\n",
        ":2: set[0]: teams.nobody.agents=3: no item 'nobody' in teams",
    ),
    "a_grid_value_twice": (  # it ran every point with that value twice
        "parameters:\n  teams.agents.agents: [12, 13, 12]\n",
        ":3: parameters.teams.agents.agents: 12 is listed twice; each value makes its own points, so give it once",
    ),
    "a_point_varying_the_seed": (  # the sweep ran every point on its own seed: the values were ignored
        "parameters:\n  seed: [1, 2]\n",
        ":3: parameters.seed: every point runs on the sweep's own seed (seed: in the sweep file",
    ),
    "a_point_varying_the_replications": (
        "points: [{replications: 3}]\n",
        ":2: points: every point runs the sweep's own replications",
    ),
}


def test_a_later_set_line_wins_as_a_later_set_option_does(tmp_path):
    # tutorials and quick trials append a shorter horizon to a sweep's set: list, as to --set
    body = "set: [horizon=2d, warmup=0, horizon=3h]\nparameters:\n  teams.agents.agents: [14, 15]\n"
    plan = load_sweep(sweep_file(tmp_path, body))
    assert {plan.scenario(point).horizon for point in range(len(plan.points))} == {180}


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
