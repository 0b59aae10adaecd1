"""Every scenario shipped under scenarios/ loads, runs briefly and produces sensible output.

The list is a glob, so a new scenario file is covered the moment it is added (sweep
specifications under scenarios/sweeps/ are another format and are left to the sweep tests).
Each runs one replication of two days (no warm-up) to keep the suite fast.
"""

import math
from functools import cache
from pathlib import Path

import pytest
from conftest import BASELINE, SCENARIOS, assert_conserved, bundled_scenarios

import sim
from sim.scenario.spec import Scenario

FILES = bundled_scenarios()
SHORT = ["horizon=2d", "warmup=0"]
CORE_KPIS = ["arrived", "resolved", "abandonment_rate", "asa", "p_wait", "resolution_time_mean"]


def test_the_bundled_scenarios_are_found():
    assert BASELINE in FILES and len(FILES) >= 3


@cache
def run_briefly(path: Path) -> tuple[Scenario, sim.RunResult]:
    """One two-day replication of the scenario file (run once per test session)."""
    scenario = sim.load_scenario(path, SHORT)
    return scenario, sim.run(scenario, replications=1, progress=False)


@pytest.fixture(params=FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def short_run(request):
    return run_briefly(request.param)


def test_bundled_scenario_runs_and_every_ticket_is_accounted_for(short_run):
    scenario, result = short_run
    assert len(result.tickets) > 100
    assert_conserved(result.tickets, result.events)
    assert (result.tickets["arrival"] < scenario.horizon).all()
    assert set(result.tickets["channel"].astype(str)) <= {c.name for c in scenario.channels}


def test_bundled_scenario_kpis_are_finite(short_run):
    scenario, result = short_run
    kpis = result.kpis.iloc[0]
    assert not any(math.isinf(v) for v in kpis)
    assert all(math.isfinite(kpis[name]) for name in CORE_KPIS)
    for pool in scenario.pools:
        if pool.agents is not None or pool.shifts is not None:  # not a team that only agent groups serve
            assert 0 < kpis[f"utilisation.{pool.name}"] <= 1 + 1e-9
    assert kpis["arrived"] == kpis["resolved"] + kpis["abandoned"] + kpis["open"]


@pytest.fixture
def baseline_tickets():
    return run_briefly(BASELINE)[1].tickets


def test_baseline_billing_tickets_are_resolved_only_by_the_billing_team(baseline_tickets):
    t = baseline_tickets
    billing = t[(t["category"] == "billing") & (t["outcome"] == "resolved")]
    assert len(billing) > 50
    assert set(billing["resolving_team"].astype(str)) == {"billing"}
    others = t[(t["category"] != "billing") & (t["outcome"] == "resolved")]
    assert "billing" not in set(others["resolving_team"].astype(str))


def test_baseline_email_customers_never_abandon_while_phone_and_chat_customers_do(baseline_tickets):
    t = baseline_tickets
    abandoned = set(t.loc[t["outcome"] == "abandoned", "channel"].astype(str))
    assert "email" not in abandoned
    assert {"phone", "chat"} <= abandoned
