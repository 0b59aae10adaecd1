"""The trigger registry: each escalation trigger is declared once, and everything else derives from it.

The schema's trigger names, the escalator's dispatch by phase, its fast path and the KPI reasons
all come from ``sim.scenario.triggers.TRIGGERS``. The escalator is driven here by a stub desk,
which is all it needs (``DeskPort``): no SimPy processes, no agents.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest
import simpy
from conftest import build, fixed

from sim.analysis.kpi_names import kpi_problem
from sim.engine.desk import build_calendars
from sim.engine.escalator import Escalator
from sim.engine.records import ESCALATION_COLUMNS, TASK_COLUMNS, Columns, Levels
from sim.engine.sla_policies import SlaPolicies
from sim.engine.streams import Streams
from sim.engine.teams import Team
from sim.engine.tickets import Status, Task, Ticket
from sim.scenario import policy, triggers
from sim.scenario.errors import ScenarioError
from sim.scenario.escalation import EscalationSpec
from sim.scenario.spec import CategorySpec, TeamSpec
from sim.scenario.triggers import (
    RESOLVED,
    TRIGGERS,
    Action,
    Decision,
    Facts,
    Kind,
    Milestone,
    Phase,
    TaskKind,
    escalation_reasons,
)


# -- the registry and what derives from it ------------------------------------------------------
def test_every_trigger_is_declared_with_phases_a_function_and_a_one_line_summary():
    for trigger in TRIGGERS.values():
        assert trigger.phases, trigger.name
        assert trigger.decide is not None or Phase.QUEUE_WAIT in trigger.phases or Phase.CLOCK in trigger.phases
        assert trigger.summary and trigger.summary.endswith("."), trigger.name


def test_declaring_a_trigger_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        triggers.trigger("authority", Phase.END_OF_SESSION)(policy.authority)


def test_the_schema_accepts_exactly_the_registered_triggers_in_registry_order():
    assert EscalationSpec().triggers == list(TRIGGERS)
    enum = EscalationSpec.model_json_schema()["properties"]["triggers"]["items"]["enum"]
    assert enum == list(TRIGGERS)
    with pytest.raises(ScenarioError, match=r"escalation\.triggers"):
        build(escalation={"triggers": ["authority", "telepathy"]})


def test_kpi_reasons_are_the_reasons_the_registered_triggers_record():
    scenario = build(
        escalation={"time_rules": [{"name": "late", "queue_wait": 5, "action": "raise_priority"}]},
    )
    reasons = escalation_reasons(scenario.escalation)
    assert {"regulatory", "customer_value", "skill", "authority", "complexity", "repeated_failure"} <= set(reasons)
    assert "late" in reasons and "dissatisfaction" not in reasons
    assert kpi_problem("escalation_reason.late", scenario) is None
    assert kpi_problem("escalation_kind.automatic", scenario) is None
    assert "escalation_reason details" in str(kpi_problem("escalation_reason.dissatisfaction", scenario))


def test_a_time_rule_may_not_take_the_name_of_a_reason_another_trigger_records():
    with pytest.raises(ScenarioError, match=r"time_rules\[0\]\.name: 'authority' is already the reason"):
        build(escalation={"time_rules": [{"name": "authority", "queue_wait": 5, "action": "raise_priority"}]})


# -- pure decisions of the timer triggers ---------------------------------------------------------
def _team(name: str, **fields: Any) -> TeamSpec:
    return TeamSpec.model_validate({"name": name, "agents": 1, **fields})


def _facts(**fields: Any) -> Facts:
    holder = _team("tier1")
    category = CategorySpec.model_validate({"name": "cat", "handle_time": fixed(5)})
    return Facts(category=category, team=holder, teams={"tier1": holder}, **fields)


def _rules(**fields: Any) -> EscalationSpec:
    return EscalationSpec.model_validate(fields)


def test_a_queue_wait_rule_wakes_after_its_wait_and_a_clock_rule_only_at_its_milestone():
    rules = _rules(
        time_rules=[
            {"name": "slow", "queue_wait": 30, "action": "raise_priority"},
            {"name": "late", "clock": "resolution", "after": 60, "action": "move", "to": "tier2"},
        ]
    )
    timer = TRIGGERS["time"].wakeups
    assert [delay for delay, _ in timer(_facts(), rules, None)] == [30.0]
    assert list(timer(_facts(), rules, Milestone("first_response", 1.0))) == []
    assert [delay for delay, _ in timer(_facts(), rules, Milestone("resolution", 1.0))] == [60.0]


def test_a_time_rule_raises_priority_moves_the_ticket_wherever_it_is_or_asks_for_a_review():
    raise_ = _rules(time_rules=[{"name": "r", "queue_wait": 5, "action": "raise_priority", "levels": 2}])
    move = _rules(time_rules=[{"name": "m", "queue_wait": 5, "action": "move", "to": "tier2"}])
    review = _rules(
        time_rules=[{"name": "v", "queue_wait": 5, "action": "review", "reviewer": "lead", "review_time": fixed(3)}]
    )
    assert policy.time_rule(raise_.time_rules[0], _facts(rank=3), raise_) == Decision(
        Action.RAISE_PRIORITY, Kind.AUTOMATIC, "r", "tier1", rank=1
    )
    assert policy.time_rule(raise_.time_rules[0], _facts(rank=0), raise_) is None
    moved = policy.time_rule(move.time_rules[0], _facts(waiting=True), move)
    assert moved is not None and moved.action == Action.MOVE
    assert policy.time_rule(move.time_rules[0], _facts(waiting=False), move) == moved
    at_target = _facts(waiting=True)
    at_target.team = _team("tier2")
    assert policy.time_rule(move.time_rules[0], at_target, move) is None
    assert policy.time_rule(review.time_rules[0], _facts(), review) == Decision(
        Action.REVIEW, Kind.AUTOMATIC, "v", "lead", task=TaskKind.REVIEW
    )


def test_dissatisfaction_intervenes_once_when_the_score_reaches_the_threshold():
    rules = _rules(
        dissatisfaction={
            "per_hour_waiting": 1.0,
            "per_handoff": 1.0,
            "threshold": 3,
            "manager": "lead",
            "review_time": fixed(5),
        }
    )
    assert policy.dissatisfaction(_facts(waited=60.0, handoffs=1), rules) is None
    fed_up = policy.dissatisfaction(_facts(waited=60.0, handoffs=2), rules)
    assert fed_up == Decision(
        Action.REVIEW, Kind.HIERARCHICAL, "dissatisfaction", "lead", rank=0, task=TaskKind.INTERVENTION
    )
    assert policy.dissatisfaction(_facts(waited=60.0, handoffs=2, intervened=True), rules) is None
    [(delay, decide)] = TRIGGERS["dissatisfaction"].wakeups(_facts(waited=30.0, handoffs=1), rules, None)
    assert delay == pytest.approx(90.0) and decide is policy.intervene


# -- the escalator on a stub desk -----------------------------------------------------------------
class StubDesk:
    """Just what the escalator needs (DeskPort), recording what it is asked to do."""

    def __init__(self, **fields: Any) -> None:
        self.scenario = build(**fields)
        self.env = simpy.Environment()
        self.streams = Streams(1)
        numbers = count()
        levels = Levels([t.name for t in self.scenario.teams])
        self.teams = {t.name: Team(self.env, t, levels, numbers) for t in self.scenario.teams}
        self.categories = {c.name: c for c in self.scenario.categories}
        calendars = build_calendars(self.scenario)
        unwatched, ignored = (lambda clock: False), (lambda *milestone: None)
        self.sla = SlaPolicies(self.scenario, self.env, calendars, unwatched, ignored, self.record)
        self.tasks = Columns(TASK_COLUMNS)
        self.escalations = Columns(ESCALATION_COLUMNS)
        self.log: list[tuple] = []
        self.queued: list[tuple[int, str]] = []

    def record(self, row: tuple[float, int, str, str, str]) -> None:
        time, ticket, event, team, detail = row
        self.log.append((time, ticket, str(event), team, detail))

    def enqueue(self, item: Ticket | Task, team: Team) -> None:
        self.queued.append((item.id, team.name))

    def enter_team(self, ticket: Ticket, team: Team) -> None:
        ticket.team = team.name
        self.enqueue(ticket, team)

    def leave_team(self, ticket: Ticket, exit: str) -> None:
        self.log.append((self.env.now, ticket.id, "left", ticket.team, str(exit)))

    def resolve(self, ticket: Ticket, team: Team) -> None:
        ticket.status = Status.RESOLVED

    def reopen(self, ticket: Ticket, team: Team) -> None:
        ticket.status = Status.WAITING

    def work_time(self, ticket: Ticket, team: Team) -> float:
        return 10.0


def _ticket(category: str = "question", **fields: Any) -> Ticket:
    ticket = Ticket(0, "phone", category, "P2", 1, "standard", 0.0, 1, {}, None, None, False)
    for name, value in fields.items():
        setattr(ticket, name, value)
    return ticket


TEAMS = [
    {"name": "tier1", "agents": 1, "authority": {"refund_amount": 500}, "supervisor": "lead"},
    {"name": "lead", "agents": 1},
    {"name": "compliance", "agents": 1},
]
CATEGORIES = [
    {"name": "question", "handle_time": fixed(10), "attributes": {"refund_amount": fixed(800)}},
    {"name": "breach", "handle_time": fixed(10), "regulated": True},
]
ESCALATION = {"compliance_team": "compliance"}
MIX = [{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1, "breach": 1}}]


def _desk(**escalation: Any) -> StubDesk:
    return StubDesk(
        teams=TEAMS,
        categories=CATEGORIES,
        channels=MIX,
        routing=[{"team": "tier1"}],
        escalation={**ESCALATION, **escalation},
    )


def test_an_arrival_trigger_sends_a_regulated_ticket_to_compliance_at_top_priority():
    desk = _desk()
    escalator = Escalator(desk)
    ticket = _ticket("breach")
    team = escalator.on_arrival(ticket, desk.teams["tier1"])
    assert team.name == "compliance"
    assert ticket.rank == 0
    assert [e[2:] for e in desk.log] == [
        ("priority_raised", "", "P1"),
        ("escalated", "tier1", "functional|regulatory|compliance"),
    ]


def test_an_arrival_trigger_turned_off_is_not_consulted():
    desk = _desk(triggers=["authority"])
    escalator = Escalator(desk)
    assert not escalator.arrival_rules
    assert escalator.on_arrival(_ticket("breach"), desk.teams["tier1"]).name == "tier1"


def test_an_end_of_session_trigger_decides_what_follows_a_session():
    desk = _desk()
    escalator = Escalator(desk)
    ticket = _ticket(attributes={"refund_amount": 800.0}, team="tier1")
    assert escalator.after_session(ticket, desk.teams["tier1"]) == Decision(
        Action.TRANSFER, Kind.HIERARCHICAL, "authority", "lead"
    )
    within = _ticket(attributes={"refund_amount": 100.0}, team="tier1")
    assert escalator.after_session(within, desk.teams["tier1"]) == RESOLVED


def test_the_fast_path_holds_exactly_where_no_session_trigger_can_act():
    desk = _desk()
    escalator = Escalator(desk)
    session_triggers = [
        TRIGGERS[n]
        for n in desk.scenario.escalation.triggers
        if {Phase.PICKUP, Phase.END_OF_SESSION} & set(TRIGGERS[n].phases)
    ]
    for (category, team), pair in escalator._sessions.items():
        can_act = any(
            t.acts_on(desk.categories[category], escalator.specs[team], desk.scenario.escalation)
            for t in session_triggers
        )
        assert pair.quiet == (not can_act)
    assert escalator._sessions["question", "lead"].quiet and not escalator._sessions["question", "tier1"].quiet
