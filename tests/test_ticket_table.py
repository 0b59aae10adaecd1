"""The per-ticket table: every fact of a ticket lands in its own column, and every arrived ticket has one row."""

from __future__ import annotations

import math

import pytest
from conftest import build

from sim.engine.replication import ConservationError, run_replication
from sim.engine.tickets import Journey, Status, Ticket, TicketTable, Wait

NUMBERS = {
    "answered_at": 11.0,
    "resolved_at": 12.0,
    "abandoned_at": 13.0,
    "first_resolved_at": 14.0,
    "closed_time": 15.0,
    "work_time": 16.0,
    "wrap_time": 17.0,
    "sessions": 18,
    "handoffs": 19,
    "escalations": 20,
    "rework_time": 21.0,
    "reopens": 22,
}
NAMES = {"first_team": "tier1", "resolving_team": "tier2", "sla_policy": "gold", "path": "tier1>tier2"}


class Clock:
    """Just what the table reads of an SLA clock."""

    def __init__(self, name: str, base: float) -> None:
        self.name, self.due, self.breached_at, self.met = name, base, base + 1, base + 2


def _ticket(status: str) -> Ticket:
    ticket = Ticket(7, "phone", "billing", "P1", 0, "vip", 10.0, 1, {"refund_amount": 800.0}, None, None, False)
    for name, value in {**NUMBERS, **NAMES}.items():
        setattr(ticket, name, value)
    ticket.status, ticket.priority, ticket.arrival_priority = status, "P0", "P1"
    ticket.wait_kind = Wait.AFTER_TRANSFER
    ticket.clocks = (Clock("first_response", 100.0), Clock("resolution", 200.0))  # type: ignore[assignment]
    return ticket


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.ABANDONED, Status.WAITING])
def test_every_fact_of_a_ticket_lands_in_its_own_column(status: str) -> None:
    table = TicketTable(["refund_amount", "order_value"], journeys=True, sla={})
    ticket = _ticket(status)
    ticket.journey = Journey(customer=3, contact=2, offered=True, accepted_at=5.0, attempts=1)
    table.add(ticket)
    row = table.frame().iloc[0]
    facts = {"ticket": 7, "channel": "phone", "category": "billing", "priority": "P1", "final_priority": "P0"}
    assert {name: row[name] for name in facts} == facts
    assert row["segment"] == "vip" and row["arrival"] == 10.0
    assert {name: row[name] for name in NUMBERS if name != "first_resolved_at"} == {
        name: value for name, value in NUMBERS.items() if name != "first_resolved_at"
    }
    assert row["first_resolution_time"] == 14.0 - 10.0
    assert {name: row[name] for name in NAMES} == NAMES
    outcome = {Status.RESOLVED: "resolved", Status.ABANDONED: "abandoned"}.get(status, "open")
    assert row["outcome"] == outcome
    assert (
        (row["abandoned_wait"] == Wait.AFTER_TRANSFER)
        if status == Status.ABANDONED
        else pd_missing(row["abandoned_wait"])
    )
    clocks = [
        row[f"{clock}_{part}"] for clock in ("first_response", "resolution") for part in ("due", "breached_at", "met")
    ]
    assert clocks == [100.0, 101.0, 102.0, 200.0, 201.0, 202.0]
    assert row["attr_refund_amount"] == 800.0 and math.isnan(row["attr_order_value"])
    journey = [row[name] for name in ("customer", "contact", "callback_offered", "callback_accepted_at")]
    assert journey == [3, 2, 1, 5.0]


def test_a_table_without_clocks_or_attributes_has_the_same_facts_and_missing_sla_columns() -> None:
    table = TicketTable([], sla=None)
    table.add(_ticket(Status.RESOLVED))
    row = table.frame().iloc[0]
    assert row["ticket"] == 7 and row["path"] == "tier1>tier2" and row["reopens"] == 22
    assert math.isnan(row["resolution_due"]) and math.isnan(row["first_response_met"])


def pd_missing(value: object) -> bool:
    """Whether a categorical cell is missing (pandas gives NaN for a missing category)."""
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize("fault", ["lost", "doubled", "renumbered"])
def test_a_lost_doubled_or_renumbered_ticket_row_stops_the_run(monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    scenario = build(channels=[{"name": "phone", "arrival_times": [0, 1, 2, 3], "category_mix": {"question": 1}}])
    assert len(run_replication(scenario).tickets) == 4
    add = TicketTable.add

    def faulty(table: TicketTable, ticket: Ticket) -> None:
        if ticket.id != 2 or fault == "doubled":
            add(table, ticket)
        if ticket.id == 2 and fault != "lost":
            ticket.id = 1 if fault == "doubled" else 9
            add(table, ticket)

    monkeypatch.setattr(TicketTable, "add", faulty)
    with pytest.raises(ConservationError, match="4 tickets arrived"):
        run_replication(scenario)
