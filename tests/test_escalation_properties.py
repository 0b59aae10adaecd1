"""Properties of every valid escalation scenario, checked on random small ones (hypothesis).

Each example is a small desk: tier 1 (with a refund authority limit and a supervisor chain), tier 2,
engineering, supervisors, finance (the only team with the billing skill) and compliance; categories
that escalate by capability (tech), authority (refund), skill (billing) and regulation (breach);
random triggers and their order, tiered or swarm mode, cold or warm handoffs with lost context and
a cap, transfers or sign-off approvals above tier 1's authority, VIP rules, time rules,
dissatisfaction, ownership, customer updates, reopening and learning, each switched on or off by
the draw. One short replication per example keeps the module at seconds.
"""

from __future__ import annotations

from typing import Any

from conftest import assert_conserved, fixed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.analysis.kpis import replication_kpis
from sim.engine.records import RunRecords, escalations_from
from sim.engine.replication import run_replication
from sim.scenario.loader import validate
from sim.scenario.triggers import TRIGGERS

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEAMS = ["tier1", "tier2", "engineering", "supervisors", "finance", "compliance"]
CATEGORIES = ["tech", "refund", "billing", "breach"]

minutes = st.floats(0.5, 20.0)


@st.composite
def durations(draw) -> dict:
    """A fixed or exponential time of about 0.5 to 20 minutes."""
    mean = draw(minutes)
    return fixed(mean) if draw(st.booleans()) else {"dist": "exponential", "mean": mean}


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """The strategy's values, or None (a feature left out)."""
    return st.none() | strategy


@st.composite
def triggers(draw) -> list[str]:
    """Every trigger in a random order, some left out; 'skill' stays on (billing reaches teams without it)."""
    order = draw(st.permutations(list(TRIGGERS)))
    return [t for t in order if t == "skill" or draw(st.booleans())]


@st.composite
def escalation_rules(draw) -> dict:
    """An ``escalation`` section with each mechanism switched on or off by the draw."""
    rules: dict = {
        "triggers": draw(triggers()),
        "compliance_team": "compliance",
        "handoff": {
            "mode": draw(st.sampled_from(["cold", "warm"])),
            "handoff_time": draw(durations()),
            "context_complete": draw(st.floats(0, 1)),
            "rework_time": draw(durations()),
            "max_handoffs": draw(maybe(st.integers(0, 4))),
            "triage_time": draw(durations()),
        },
    }
    if draw(st.booleans()):
        rules.update(mode="swarm", swarm={"consult_time": draw(durations()), "max_wait": draw(st.floats(0, 5))})
    if draw(st.booleans()):
        rules["segment_rules"] = [
            {
                "segment": "vip",
                "route_to": draw(maybe(st.sampled_from(["tier2", "supervisors"]))),
                "priority_boost": draw(st.integers(0, 2)),
            }
        ]
    time_rules: list[dict[str, Any]] = [
        {"name": "raise_at_breach", "clock": "resolution", "action": "raise_priority"},
        {
            "name": "review_later",
            "clock": "resolution",
            "after": 30,
            "action": "review",
            "reviewer": "supervisors",
            "review_time": fixed(5),
        },
        {"name": "move_at_warning", "clock": "first_response", "at": 0.5, "action": "move", "to": "tier2"},
        {"name": "long_wait", "queue_wait": 15, "action": "move", "to": "tier2"},
    ]
    rules["time_rules"] = draw(st.lists(st.sampled_from(time_rules), max_size=3, unique_by=lambda rule: rule["name"]))
    if draw(st.booleans()):
        rules["dissatisfaction"] = {
            "per_hour_waiting": draw(st.floats(0, 6)),
            "per_handoff": draw(st.floats(0, 2)),
            "threshold": draw(st.floats(0.5, 4)),
            "manager": "supervisors",
            "review_time": draw(durations()),
        }
    if draw(st.booleans()):
        rules["ownership"] = {"follow_up_time": draw(durations())}
    if draw(st.booleans()):
        rules["learning"] = {"team": "tier1", "step": draw(st.floats(0.01, 0.2)), "cap": draw(st.floats(0.5, 1))}
    return rules


@st.composite
def escalation_scenarios(draw) -> dict:
    """A small valid scenario document exercising the escalation engine."""
    handle = draw(durations())
    reopen = draw(
        maybe(
            st.fixed_dictionaries(
                {
                    "probability": st.floats(0, 0.5),
                    "delay": durations(),
                    "return_to": st.sampled_from(["resolver", "first"]),
                }
            )
        )
    )
    mix = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4, unique=True))
    doc = {
        "name": "random_escalation",
        "seed": draw(st.integers(0, 10_000)),
        "horizon": draw(st.floats(120, 600)),
        "priorities": ["P1", "P2", "P3"],
        "segments": ["standard", "vip"],
        "channels": [
            {
                "name": "phone",
                "rate_per_hour": draw(st.floats(2, 40)),
                "category_mix": {c: draw(st.floats(0.1, 3)) for c in mix},
                "patience": draw(maybe(durations())),
            }
        ],
        "categories": [
            {
                "name": "tech",
                "handle_time": handle,
                "path": ["tier1", "tier2", "engineering"],
                "resolve_probability": {"tier1": draw(st.floats(0, 1)), "tier2": draw(st.floats(0.3, 1))},
                "failed_attempt_time": draw(maybe(durations())),
                "reopen": reopen,
                "segment": {"standard": 3, "vip": 1},
                "priority": {"P2": 1, "P3": 2},
            },
            {
                "name": "refund",
                "handle_time": handle,
                "attributes": {"refund_amount": {"dist": "uniform", "low": 0, "high": draw(st.floats(100, 3000))}},
                "requires": draw(st.sampled_from([[], ["refund_approval"]])),
            },
            {"name": "billing", "handle_time": handle, "skill": "billing"},
            {"name": "breach", "handle_time": handle, "regulated": True, "priority": {"P3": 1}},
        ],
        "teams": [
            {
                "name": "tier1",
                "agents": draw(st.integers(1, 3)),
                "max_attempts": draw(st.integers(1, 3)),
                "authority": {"refund_amount": draw(st.floats(0, 2000)), "refund_approval": False},
                "supervisor": "supervisors",
                "authority_mode": draw(st.sampled_from(["transfer", "approve"])),
                "approval_time": draw(durations()),
            },
            {"name": "tier2", "tier": 2, "agents": draw(st.integers(1, 2)), "max_attempts": draw(st.integers(1, 2))},
            {"name": "engineering", "tier": 3, "agents": 1},
            {
                "name": "supervisors",
                "tier": 2,
                "agents": draw(st.integers(1, 2)),
                "authority": {"refund_amount": 5000, "refund_approval": True},
            },
            {"name": "finance", "tier": 2, "agents": 1, "skills": ["billing"]},
            {"name": "compliance", "tier": 3, "agents": 1},
        ],
        "routing": [{"team": "tier1"}],
        "escalation": draw(escalation_rules()),
    }
    if draw(st.booleans()):
        doc["sla_policies"] = [draw(sla_policy())]
    else:  # no policy has the warning such a rule watches
        doc["escalation"]["time_rules"] = [rule for rule in doc["escalation"]["time_rules"] if "at" not in rule]
    return doc


@st.composite
def sla_policy(draw) -> dict:
    """First-response and resolution targets for every ticket, with customer updates or not."""
    policy = {
        "name": "all",
        "first_response": {"target": draw(st.floats(5, 60))},
        "resolution": {"target": draw(st.floats(20, 300))},
    }
    if draw(st.booleans()):
        policy.update(update_every=draw(st.floats(10, 60)), update_time=fixed(2))
    return policy


def run(doc: dict) -> RunRecords:
    """Replication 0 of the scenario document."""
    return run_replication(validate(doc, "<hypothesis>"))


@SETTINGS
@given(escalation_scenarios())
def test_every_arrived_ticket_is_resolved_abandoned_or_open(doc):
    scenario = validate(doc, "<hypothesis>")
    records = run_replication(scenario)
    assert_conserved(records.tickets, records.events)
    kpis = replication_kpis(records, scenario)
    assert kpis["arrived"] == kpis["resolved"] + kpis["abandoned"] + kpis["open"] == len(records.tickets)


@SETTINGS
@given(escalation_scenarios())
def test_every_escalation_names_existing_teams(doc):
    escalations = escalations_from(run(doc).events)
    assert set(escalations["to_team"]) <= set(TEAMS)
    assert set(escalations["from_team"]) <= set(TEAMS)


@SETTINGS
@given(escalation_scenarios())
def test_no_ticket_is_worked_by_a_team_without_the_skill_its_category_needs(doc):
    records = run(doc)
    skills = {team["name"]: set(team.get("skills", [])) for team in doc["teams"]}
    needs = {c["name"]: c.get("skill") for c in doc["categories"]}
    category = dict(zip(records.tickets["ticket"], records.tickets["category"].astype(str), strict=True))
    events = records.events
    worked = events[(events["event"] == "picked_up") & (events["detail"] != "triage")]
    for ticket, team in zip(worked["ticket"], worked["team"].astype(str), strict=True):
        skill = needs[category[ticket]]
        assert skill is None or skill in skills[team], f"ticket {ticket} ({category[ticket]}) worked at {team}"


@st.composite
def authority_scenarios(draw) -> tuple[dict, dict]:
    """A scenario where refunds arrive and the authority trigger is on, and the same with a higher tier-1 limit."""
    doc = draw(escalation_scenarios())
    doc["channels"][0]["category_mix"]["refund"] = draw(st.floats(1, 3))
    order = doc["escalation"]["triggers"]
    if "authority" not in order:
        order.insert(draw(st.integers(0, len(order))), "authority")
    frontline = doc["teams"][0]
    limit = frontline["authority"]["refund_amount"] + draw(st.floats(0.05, 1)) * 3000
    raised = {
        **doc,
        "teams": [{**frontline, "authority": {**frontline["authority"], "refund_amount": limit}}, *doc["teams"][1:]],
    }
    return doc, raised


def authority_escalations(doc: dict) -> int:
    """How many escalations of the run had the reason 'authority'."""
    escalations = escalations_from(run(doc).events)
    return int((escalations["reason"] == "authority").sum())


@SETTINGS
@given(authority_scenarios())
def test_raising_the_frontline_refund_limit_never_adds_authority_escalations(pair):
    """Same seed, so the same customers with the same refund amounts (common random numbers)."""
    doc, raised = pair
    assert authority_escalations(raised) <= authority_escalations(doc)
