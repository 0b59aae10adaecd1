"""Reproducibility and common random numbers: the records depend on (scenario, seed, replication) only.

Each random input draws from its own named stream, so changing one team's staffing or handle
times must leave every customer (arrival time, channel, category, priority, segment, attributes)
exactly as it was: compared scenarios see the same customers.
"""

import pandas as pd
import pytest
from conftest import BASELINE, assert_conserved
from pandas.testing import assert_frame_equal

import sim
from sim.engine.replication import run_replication

SHORT = ["horizon=1d", "warmup=0"]
CUSTOMER = ["ticket", "arrival", "channel", "category", "priority", "segment", "attr_refund_amount"]


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with categoricals as plain strings, so frames built separately compare by value."""
    return frame.apply(lambda c: c.astype(str) if isinstance(c.dtype, pd.CategoricalDtype) else c)


def customers(tickets: pd.DataFrame) -> pd.DataFrame:
    """What the customers brought, independent of how they were served."""
    return plain(tickets.sort_values("ticket", ignore_index=True)[CUSTOMER])


@pytest.fixture(scope="module")
def baseline():
    return sim.load_scenario(BASELINE, SHORT)


@pytest.fixture(scope="module")
def baseline_records(baseline):
    return run_replication(baseline)


def test_same_seed_gives_identical_tickets_events_and_levels(baseline, baseline_records):
    again = run_replication(baseline)
    for table in ("tickets", "events", "levels"):
        assert_frame_equal(getattr(again, table), getattr(baseline_records, table))


def test_different_seed_gives_different_tickets(baseline, baseline_records):
    other = run_replication(baseline, seed=baseline.seed + 1)
    assert (
        not other.tickets["arrival"]
        .sort_values(ignore_index=True)
        .equals(baseline_records.tickets["arrival"].sort_values(ignore_index=True))
    )


@pytest.fixture(scope="module")
def two_replications(baseline):
    return sim.run(baseline, replications=2, progress=False)


def test_replication_r_of_a_run_equals_that_replication_run_alone(baseline, two_replications):
    result = two_replications
    for r in (0, 1):
        alone = run_replication(baseline, r)
        for table in ("tickets", "events", "levels"):
            stacked = getattr(result, table)
            mine = stacked[stacked["replication"] == r].drop(columns="replication").reset_index(drop=True)
            assert_frame_equal(plain(mine), plain(getattr(alone, table)))


def test_replications_of_one_run_draw_different_customers(two_replications):
    tickets = two_replications.tickets
    first, second = (tickets.loc[tickets["replication"] == r, "arrival"].tolist() for r in (0, 1))
    assert first != second


@pytest.mark.parametrize(
    "change",
    [
        ["teams.billing.shifts[0].agents=1", "teams.billing.shifts[1].agents=1"],
        ["teams.tier1.shifts[0].agents=20"],
        ["teams.tier1.handle_time_multiplier=1.5"],
    ],
)
def test_changing_one_team_leaves_every_customer_unchanged_but_changes_their_service(change, baseline_records):
    changed = run_replication(sim.load_scenario(BASELINE, SHORT + change)).tickets
    assert_frame_equal(customers(changed), customers(baseline_records.tickets))
    served = ["answered_at", "resolved_at", "work_time"]
    assert (
        not changed.sort_values("ticket")[served]
        .reset_index(drop=True)
        .equals(baseline_records.tickets.sort_values("ticket")[served].reset_index(drop=True))
    )


def test_baseline_conserves_tickets(baseline_records):
    assert len(baseline_records.tickets) > 1000
    assert_conserved(baseline_records.tickets, baseline_records.events)
    assert set(baseline_records.tickets["outcome"].astype(str)) == {"resolved", "abandoned", "open"}
