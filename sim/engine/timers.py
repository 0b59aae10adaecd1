"""Escalation rules that act on the simulated clock: queue waits, SLA milestones and customer updates.

A ticket that starts waiting in a queue, or an SLA clock that reaches a warning or a breach, wakes
the triggers that watch it after their delay, if the ticket is still where it was; their decision (a
priority raise, a review, a move) is carried out then, outside any session, and a move that falls
due while the ticket is in a session, a consult or waiting on its customer waits until that ends.
While a ticket is escalated, its customer gets updates. It is apart from ``escalator`` because none
of it runs at a session: it runs when a timer fires. ``Timers`` is a mixin of ``Escalator``: the
attributes and methods of the escalator it uses are declared on it.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.engine.desk_port import DeskPort
from sim.engine.processes import Process
from sim.engine.streams import Sampler
from sim.engine.teams import Agent, Team
from sim.engine.tickets import FINISHED, Status, Task, Ticket
from sim.scenario.escalation import EscalationSpec
from sim.scenario.policy import TOP
from sim.scenario.sla_spec import SlaPolicy
from sim.scenario.triggers import Action, Decide, Decision, Facts, Milestone, Phase, TaskKind, Trigger


class Timers:
    """The escalator's timers: queue-wait and SLA-milestone triggers, pending moves, and customer updates."""

    desk: DeskPort
    env: simpy.Environment
    rules: EscalationSpec
    phase: dict[Phase, list[Trigger]]
    _acting: dict[tuple[str, str, Phase], list[Trigger]]
    _watched: dict[str, bool]
    _pending_moves: dict[int, Decision]
    _reviews: dict[str, Sampler]
    _updates: dict[str, Sampler]
    facts: Callable[[Ticket, str], Facts]
    queue_task: Callable[[str, Ticket, str, float, int], Task]
    _log_escalation: Callable[[Ticket, str, Decision], None]
    _set_rank: Callable[[Ticket, int], None]
    _after: Callable[[float, Callable[..., None], *tuple[object, ...]], None]
    transfer: Callable[[Ticket, Team, Decision, Agent | None], Process | None]
    end_hold: Callable[[Ticket], None]

    # -- timers: queue waits and SLA milestones -----------------------------------------------------
    def on_queued(self, ticket: Ticket, team: Team) -> None:
        """A ticket starts waiting: wake the queue-wait triggers when their time comes, if it still waits."""
        triggers = self._acting[ticket.category, team.name, Phase.QUEUE_WAIT]
        if not triggers:
            return
        facts = self.facts(ticket, team.name)
        stay = ticket.queue_seq
        for trigger in triggers:
            for delay, decide in trigger.wakeups(facts, self.rules, None):
                self._after(delay, self._if_still_waiting, ticket, stay, decide)

    def watches(self, clock: str) -> bool:
        """Whether a trigger acts on this SLA clock's milestones (then the clock runs live)."""
        return self._watched[clock]

    def on_milestone(self, ticket: Ticket, clock: str, fraction: float) -> None:
        """An SLA warning or breach: wake every clock trigger that watches it (after its delay)."""
        milestone = Milestone(clock, fraction)
        for trigger in self.phase[Phase.CLOCK]:
            for delay, decide in trigger.wakeups(self.facts(ticket, ticket.team), self.rules, milestone):
                self._after(delay, self._if_live, ticket, decide)

    def _if_still_waiting(self, ticket: Ticket, stay: int, decide: Decide) -> None:
        """Decide only if the ticket is still in the same stay in a queue (a priority raise keeps the stay)."""
        if ticket.status == Status.WAITING and ticket.queue_seq == stay and ticket.queue_token >= 0:
            self._if_live(ticket, decide)

    def _if_live(self, ticket: Ticket, decide: Decide) -> None:
        if ticket.status not in FINISHED and (d := decide(self.facts(ticket, ticket.team), self.rules)) is not None:
            self._act(ticket, d)

    def _act(self, ticket: Ticket, d: Decision) -> None:
        """Carry out a decision taken outside a session: raise the priority, move the ticket, or review it."""
        if d.action == Action.MOVE:
            if ticket.status == Status.WAITING and ticket.queue_token >= 0:  # in a queue: moved now
                team = self.desk.teams[ticket.team]
                team.withdraw(ticket)
                self.end_hold(ticket)
                if ticket.patience is not None:  # the customer's wait goes on in the new queue
                    ticket.patience -= self.env.now - ticket.queued_at
                self.transfer(ticket, team, d, None)
            else:  # in a session or a consult, or waiting on its customer: moved when that ends
                self._pending_moves[ticket.id] = d
            return
        self._log_escalation(ticket, ticket.team, d)
        if d.action == Action.REVIEW:
            assert d.task is not None and d.to_team is not None
            if d.task == TaskKind.INTERVENTION:
                ticket.intervened = True
            self.queue_task(d.task, ticket, d.to_team, self._reviews[d.reason](), TOP)
        if d.rank is not None:
            self._set_rank(ticket, d.rank)

    def move_on_reply(self, ticket: Ticket, team: Team) -> bool:
        """The customer replied: a move that fell due meanwhile takes the ticket now (True if it did)."""
        d = self._pending_moves.pop(ticket.id, None)
        if d is None:
            return False
        self.transfer(ticket, team, d, None)
        return True

    # -- customer updates -------------------------------------------------------------------------
    def start_updates(self, ticket: Ticket) -> None:
        """The ticket has left (or skipped) its first team: its customer gets updates until it is resolved."""
        sla = self.desk.sla.by_name.get(ticket.sla_policy)
        if sla is not None and sla.update_every is not None:
            self._after(sla.update_every, self._update, ticket, sla)

    def _update(self, ticket: Ticket, sla: SlaPolicy) -> None:
        """While escalated, someone updates the customer (the owning team if ownership is on)."""
        if ticket.status in FINISHED:
            return
        team = ticket.first_team if self.rules.ownership else ticket.team
        self.queue_task(TaskKind.UPDATE, ticket, team, self._updates[sla.name](), ticket.rank)
        assert sla.update_every is not None
        self._after(sla.update_every, self._update, ticket, sla)
