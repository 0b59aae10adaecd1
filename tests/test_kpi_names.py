"""Every KPI name a bundled scenario produces is accepted by the up-front name check."""

from __future__ import annotations

import pytest
from conftest import bundled_scenarios

from sim.analysis.kpi_catalogue import KPIS
from sim.analysis.kpi_names import kpi_problem
from sim.analysis.kpis import replication_kpis
from sim.engine.replication import run_replication
from sim.scenario.loader import load_scenario


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_kpi_name_a_bundled_scenario_produces_is_accepted(path):
    scenario = load_scenario(path, ["horizon=3d", "warmup=0"])
    names = replication_kpis(run_replication(scenario, record_events=False), scenario)
    assert {n.partition(".")[0] for n in names} <= set(KPIS)
    assert {n: kpi_problem(n, scenario) for n in names if kpi_problem(n, scenario)} == {}


def test_route_and_tier_kpi_names_are_accepted_and_bad_ones_explained():
    scenario = load_scenario(bundled_scenarios()[0])
    teams = [t.name for t in scenario.teams]
    assert kpi_problem(f"path_share.{'>'.join(teams)}", scenario) is None
    assert kpi_problem(f"cost_per_ticket_tier.{scenario.teams[0].tier}", scenario) is None
    assert "not one of" in kpi_problem("path_share.nowhere>else", scenario)
    assert "not one of" in kpi_problem("cost_per_ticket_tier.99", scenario)
