"""Unbroken SLA clocks (``sla_policies``) report exactly what clock objects built at arrival report."""

from pathlib import Path

import pandas as pd
import pytest

from sim.engine.replication import run_replication
from sim.engine.sla_policies import SlaPolicies
from sim.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
CASES = {
    "tiered": [],  # pauses for replies, reopenings, abandonment, a 24x7 and a business-hours policy
    "auto_escalation": [],  # clocks watched by time rules: built at arrival either way
    "auto_escalation#queue_wait": [  # priority raised by queue waits: new targets for unbroken clocks
        "escalation.time_rules=[{name: long_wait, queue_wait: 20m, action: raise_priority, levels: 1}]"
    ],
    "financial_services": [],
    "baseline": ["sla_policies.standard.pause_while_waiting_on_customer=true"],
    "vip": [],
    "outage_surge": [],
}
"""Bundled scenarios with SLA policies, and what to set so that every kind of clock change happens somewhere."""


def _tables(name: str, overrides: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = load_scenario(SCENARIOS / f"{name.split('#')[0]}.yaml", ["horizon=3d", "warmup=0d", *overrides])
    records = run_replication(scenario)
    return records.tickets, records.events


def _every_clock_built_at_arrival(monkeypatch: pytest.MonkeyPatch) -> None:
    start_of = SlaPolicies._start_of
    monkeypatch.setattr(SlaPolicies, "_start_of", lambda self, chosen: (*start_of(self, chosen)[:3], True))


@pytest.mark.parametrize("name", CASES)
def test_unbroken_clocks_give_the_same_tickets_and_events_as_clock_objects(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets, events = _tables(name, CASES[name])
    _every_clock_built_at_arrival(monkeypatch)
    eager_tickets, eager_events = _tables(name, CASES[name])
    pd.testing.assert_frame_equal(tickets, eager_tickets, check_exact=True)
    pd.testing.assert_frame_equal(events, eager_events, check_exact=True)


def test_the_comparison_sees_clocks_that_are_never_met(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: unbroken clocks that forget their goals make the tables differ."""
    tickets, _ = _tables("tiered", [])
    monkeypatch.setattr("sim.engine.tickets._unbroken_values", lambda t: (float("nan"),) * 6 + (1,))
    forgetful, _ = _tables("tiered", [])
    assert not tickets["resolution_met"].equals(forgetful["resolution_met"])
