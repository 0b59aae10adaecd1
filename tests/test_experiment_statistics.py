"""Output analysis: the backlog series, MSER-5 warm-up guidance and the relative-precision rule."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.precision import PrecisionTarget, assess, next_total
from sim.analysis.warmup import backlog_series, mser, warmup_guidance
from sim.core.units import MINUTES_PER_HOUR
from sim.experiments.replications import run
from sim.scenario.loader import load_scenario

ERLANG_C = Path(__file__).resolve().parent.parent / "scenarios" / "validation" / "erlang_c.yaml"
NAN = float("nan")


def tickets(arrival, resolved_at, abandoned_at=None):
    """A ticket table with just the columns the backlog needs."""
    return pd.DataFrame(
        {"arrival": arrival, "resolved_at": resolved_at, "abandoned_at": abandoned_at or [NAN] * len(arrival)}
    )


def test_backlog_is_the_time_average_of_tickets_in_the_system_per_bin():
    # ticket 0 in [0, 20), ticket 1 in [10, 40+) (still open), ticket 2 abandons: in [25, 30)
    table = tickets([0, 10, 25], [20, NAN, NAN], [NAN, NAN, 30])
    assert backlog_series(table, horizon=40, bins=4).tolist() == [1.0, 2.0, 1.5, 1.0]


def test_backlog_of_an_empty_desk_is_zero():
    assert backlog_series(tickets([], []), horizon=60, bins=3).tolist() == [0.0, 0.0, 0.0]


def test_mser5_truncates_a_decaying_transient():
    rng = np.random.default_rng(7)
    series = np.concatenate([np.linspace(20, 0, 100), np.zeros(900)]) + rng.normal(0, 0.5, 1000)
    cut = mser(series) * 5
    assert 80 <= cut <= 130


def test_mser5_keeps_a_stationary_series_almost_whole():
    series = np.random.default_rng(8).normal(5, 1, 1000)
    assert mser(series) * 5 < 100


def test_warmup_guidance_flags_a_backlog_that_never_settles():
    growing = [np.linspace(0, 100, 1000) + noise for noise in np.random.default_rng(9).normal(0, 1, (3, 1000))]
    guidance = warmup_guidance(growing, horizon=1000, configured=0)
    assert not guidance.settled
    assert "simulate longer" in guidance.describe()


def test_warmup_guidance_converts_batches_to_minutes():
    series = np.concatenate([np.full(100, 50.0), np.full(900, 1.0)])
    guidance = warmup_guidance([series], horizon=2000, configured=300)
    assert guidance.suggested == 200.0  # 100 bins of 2 minutes
    assert guidance.settled and guidance.enough


def test_precision_rule_stops_once_the_relative_half_width_is_met():
    values = [10.0, 10.1, 9.9, 10.05, 9.95]
    target = PrecisionTarget(0.05)
    assert assess(values, target).met
    assert next_total(values, target) == len(values)


def test_precision_rule_asks_for_more_replications_but_at_most_double():
    values = [5.0, 15.0, 8.0, 12.0]
    target = PrecisionTarget(0.05, max_replications=1000)
    assert not assess(values, target).met
    assert next_total(values, target) == 8


def test_precision_rule_respects_its_cap():
    values = [5.0, 15.0, 8.0, 12.0]
    assert next_total(values, PrecisionTarget(0.05, max_replications=6)) == 6
    assert next_total(values, PrecisionTarget(0.05, max_replications=4)) == 4


def test_precision_rule_gives_up_on_a_kpi_that_never_took_a_value():
    assert next_total([NAN, NAN, NAN], PrecisionTarget(0.05)) == 3


@pytest.mark.parametrize("relative", [0, 1, -0.1])
def test_precision_target_must_be_a_fraction(relative):
    with pytest.raises(ValueError, match="between 0 and 1"):
        PrecisionTarget(relative)


def test_run_adds_replications_until_the_target_precision_is_met():
    scenario = load_scenario(ERLANG_C, ["horizon=4h", "warmup=30m", "teams.agents.agents=12"])
    result = run(
        scenario,
        replications=3,
        progress=False,
        record_events=False,
        precision=PrecisionTarget(0.03, "utilisation.agents", max_replications=60),
    )
    assert 3 < result.meta["replications"] < 60
    assert len(result.kpis) == result.meta["replications"]
    utilisation = result.summary.set_index("kpi").loc["utilisation.agents"]
    assert result.precision.met
    assert utilisation["half_width"] / utilisation["mean"] <= 0.03 / 1.03


def test_run_reports_warmup_guidance():
    scenario = load_scenario(ERLANG_C, ["horizon=6h", "warmup=30m"])
    result = run(scenario, replications=2, progress=False, record_events=False)
    assert 0 <= result.warmup.suggested <= 3 * MINUTES_PER_HOUR
    assert result.meta["warmup"]["configured_minutes"] == 30
