"""Pictures a room can read: the flow diagram counts what the KPIs count, axes speak one unit, reports render.

The flow tests tie the escalation flow diagram to the records the handoff and escalation KPIs
come from; the axis tests read every time axis of every plot; the screenshot test renders every
report kind in headless Chromium (skipped, with its reason, when Chromium is absent).
"""

from __future__ import annotations

import pytest
from conftest import SCENARIOS, build, fixed

from sim.analysis.kpis import replication_kpis
from sim.engine.desk import run_replication
from sim.reports.plot_flow import STAYS, flow_moves, flows
from sim.scenario.variants import read_document

TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "tier": 2, "agents": 1}]
TECH = {
    "name": "tech",
    "handle_time": fixed(10),
    "path": ["tier1", "tier2"],
    "resolve_probability": {"tier1": 0},
    "failed_attempt_time": fixed(4),
}


def test_flow_draws_a_consult_nobody_took_up_once_as_its_transfer_and_a_vip_reroute_as_an_arrival():
    # ticket 0 (tech, 0): tier 1 fails at 4 and asks tier 2 (busy with ticket 1 until 8) for a
    # consult; nobody takes it up by 6, so the ticket is transferred: one handoff, one arrow.
    # ticket 1 (direct, 0): routed to tier 2. ticket 2 (tech, 20): the consult starts at 24 and
    # the ticket stays at tier 1. ticket 3 (VIP, 30): sent to tier 2 on arrival, never at tier 1.
    scenario = build(
        segments=["standard", "vip"],
        channels=[
            {"name": "phone", "arrival_times": [0, 20], "category_mix": {"tech": 1}},
            {"name": "direct", "arrival_times": [0], "category_mix": {"other": 1}},
            {"name": "vip_line", "arrival_times": [30], "category_mix": {"vip_question": 1}},
        ],
        categories=[
            TECH,
            {"name": "other", "handle_time": fixed(8)},
            {"name": "vip_question", "handle_time": fixed(5), "segment": {"vip": 1}},
        ],
        teams=TIERS,
        routing=[{"channel": "direct", "team": "tier2"}, {"team": "tier1"}],
        escalation={
            "mode": "swarm",
            "swarm": {"consult_time": fixed(3), "max_wait": 2},
            "segment_rules": [{"segment": "vip", "route_to": "tier2"}],
        },
    )
    records = run_replication(scenario)
    drawn = [(f.source, f.target, f.kind, f.volume) for f in flows(records.tickets, records.events, scenario)]
    assert drawn == [
        ("new tickets", "tier1", "arrival", 2.0),
        ("new tickets", "tier2", "arrival", 2.0),
        ("tier1", "tier2", "consult", 1.0),
        ("tier1", "tier2", "functional", 1.0),
    ]
    assert int(records.tickets["handoffs"].sum()) == 1


BUNDLED_DESKS = {
    "tiered": ("tiered.yaml", ()),
    "swarming-tiered": ("swarming.yaml", ()),
    "swarming-swarm": ("swarming.yaml", ("escalation.mode=swarm",)),
}


@pytest.fixture(scope="module", params=list(BUNDLED_DESKS))
def bundled_run(request):
    """Replication 0 of a bundled escalation desk, over three days."""
    file, overrides = BUNDLED_DESKS[request.param]
    scenario = read_document(SCENARIOS / file).scenario(["horizon=3d", *overrides])
    return scenario, run_replication(scenario)


def test_transfer_arrows_sum_to_handoffs_per_ticket_times_tickets(bundled_run):
    scenario, records = bundled_run
    kpis = replication_kpis(records, scenario)
    drawn = flows(records.tickets, records.events, scenario)
    transfers = sum(f.volume for f in drawn if f.kind not in ("arrival", *STAYS))
    assert transfers > 0
    assert transfers == pytest.approx(kpis["handoffs_mean"] * kpis["arrived"], abs=1e-9)
    arrivals = sum(f.volume for f in drawn if f.kind == "arrival")
    assert arrivals == kpis["arrived"]


def test_each_transfer_arrow_is_the_stays_that_ended_in_that_escalation(bundled_run):
    """Per (from, to, kind): the visits the KPIs time that ended escalated, with the escalation record's kind."""
    scenario, records = bundled_run
    counted = records.tickets.loc[records.tickets["arrival"] >= scenario.warmup, "ticket"]
    visits = records.visits[records.visits["ticket"].isin(counted) & (records.visits["exit"] == "escalated")]
    esc = records.escalations.assign(
        team=records.escalations["from_team"].astype(str), left=records.escalations["time"]
    )
    ended = visits.assign(team=visits["team"].astype(str)).merge(esc, on=["ticket", "team", "left"], how="left")
    ended = ended.drop_duplicates(["ticket", "left"], keep="last")  # the transfer is the last record at that instant
    assert len(ended) == len(visits) and ended["kind"].notna().all()
    expected = ended.groupby(["from_team", "to_team", "kind"], observed=True).size()
    expected = {(str(a), str(b), str(k)): float(n) for (a, b, k), n in expected.items()}
    drawn = {
        (f.source, f.target, f.kind): f.volume
        for f in flows(records.tickets, records.events, scenario)
        if f.kind not in ("arrival", *STAYS)
    }
    assert drawn == expected


def test_every_escalation_record_is_an_arrow_or_a_rule_on_arrival_or_a_consult_nobody_took(bundled_run):
    scenario, records = bundled_run
    moves = flow_moves(records.tickets, records.events, scenario)
    counted = records.tickets.loc[records.tickets["arrival"] >= scenario.warmup, "ticket"]
    esc = records.escalations[records.escalations["ticket"].isin(counted)]
    unanswered = (esc["reason"] == "consult").sum() - (moves["kind"] == "consult").sum()
    assert (moves["kind"] != "arrival").sum() + unanswered == len(esc)
