"""Carrying out what follows a session: a retry, a transfer (cold or warm), a swarm consult, an approval.

A decision the escalator takes at the end of a session is carried out here on the live ticket. A
transfer moves the ticket to another team's queue (cold) or keeps the sending agent on until a
receiving agent joins (warm: only for a customer on the line, and for at most ``max_hold``, never
past the sender's shift), and may lose context (rework for the next agent); a consult or an approval
keeps the agent on the ticket until the expert or the supervisor is done, and a move that fell due
meanwhile takes the decision's place. It is apart from ``escalator`` because it is the part that
starts the processes an agent stays on for (``processes``). ``Handoffs`` is a mixin of
``Escalator``: the attributes and methods of the escalator it uses are declared on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import simpy

from sim.engine.desk_port import DeskPort
from sim.engine.processes import Process, hold, swarm, warm_handoff
from sim.engine.records import Event, Exit
from sim.engine.streams import Sampler, Stream
from sim.engine.teams import Agent, Team
from sim.engine.tickets import Status, Task, Ticket, Wait
from sim.scenario import policy
from sim.scenario.escalation import EscalationSpec
from sim.scenario.policy import TOP
from sim.scenario.spec import TeamSpec
from sim.scenario.triggers import Action, Decide, Decision, Facts, Phase, TaskKind

_WAITING = Status.WAITING
"""Read per transfer: a module constant, which Python 3.11 reads faster than a class attribute."""


class Handoffs:
    """The escalator's carrying out of a session's decision: retries, transfers, consults and approvals."""

    desk: DeskPort
    env: simpy.Environment
    rules: EscalationSpec
    specs: dict[str, TeamSpec]
    hold_callback: Callable[[Ticket, Team], None] | None
    moves_later: bool
    _pending_moves: dict[int, Decision]
    _deciders: dict[tuple[str, str, Phase], tuple[Decide, ...]]
    _context_u: Sampler
    _rework: Sampler | None
    _consult: Sampler | None
    _consult_handle: dict[tuple[str, str], Sampler]
    _consult_u: dict[str, Sampler]
    _approval: dict[str, Sampler]
    _updates: dict[str, Sampler]
    facts: Callable[[Ticket, str], Facts]
    _first: Callable[[tuple[Decide, ...], Facts], Decision | None]
    resolve_probability: Callable[[str, str], float]
    queue_task: Callable[[str, Ticket, str, float, int], Task]
    _log_escalation: Callable[[Ticket, str, Decision], None]
    start_updates: Callable[[Ticket], None]
    _act: Callable[[Ticket, Decision], None]

    def apply(self, ticket: Ticket, team: Team, d: Decision, sender: Agent | None) -> Process | None:
        """Carry out ``sender``'s retry, transfer, swarm, approval or move; returns a process the agent stays on for."""
        if d.action == Action.RETRY:
            ticket.failed_here += 1
            self.desk.wait_again(ticket, Wait.REQUEUE)
            self.desk.enqueue(ticket, team)
            return None
        if d.action == Action.SWARM:  # a request for another team's expert: an escalation, not a handoff
            assert self.rules.swarm is not None  # the schema requires swarm settings
            expert = str(d.to_team)
            self._log_escalation(ticket, team.name, Decision(d.action, d.kind, "consult", expert))
            consult = self.queue_task(TaskKind.CONSULT, ticket, expert, self._consult_time(ticket, expert), TOP)
            started, done = self.env.event(), self.env.event()
            consult.started, consult.done = started, done
            return swarm(
                self.env,
                started,
                done,
                self.rules.swarm.max_wait,
                consulted=partial(self.consulted, ticket, team, d, sender),
                fallback=partial(self.swarm_fallback, ticket, team, consult, d, sender),
            )
        if d.action == Action.APPROVE:  # a supervisor's sign-off: an escalation, not a handoff
            assert d.task is not None and d.to_team is not None
            self._log_escalation(ticket, team.name, d)
            approval = self.queue_task(d.task, ticket, d.to_team, self._approval[team.name](), TOP)
            approval.done = self.env.event()
            return hold(approval.done, partial(self.approved, ticket, team))
        return self.transfer(ticket, team, d, None if d.action == Action.MOVE else sender)

    def _consult_time(self, ticket: Ticket, expert: str) -> float:
        """The consult's length: ``swarm.consult_time``, or else the expert team's handle time for the category."""
        if self._consult is not None:
            return self._consult()
        key = (ticket.category, expert)
        sampler = self._consult_handle.get(key)
        if sampler is None:
            dist = self.desk.categories[ticket.category].handle_time_for(expert)
            assert dist is not None  # the checks give every team on a category's path a handle time for it
            multiplier = self.specs[expert].handle_time_multiplier
            name = Stream.SWARM_CONSULT_HANDLE.of(*key)
            sampler = self._consult_handle[key] = self.desk.streams.sampler(name, dist.scaled(multiplier))
        return sampler()

    def approved(self, ticket: Ticket, team: Team, held: float) -> None:
        """The supervisor signed off: the agent, who held the ticket throughout, resolves it."""
        self._held(ticket, held)
        self.desk.resolve(ticket, team)

    def transfer(self, ticket: Ticket, team: Team, d: Decision, sender: Agent | None) -> Process | None:
        """Move the ticket to ``d.to_team``: cold into its queue, or warm with the ``sender`` on the line.

        Only a live ticket (its customer on the line: a channel with a patience) goes warm, and only
        while the sender is on shift; the sender holds for at most ``max_hold``. A ticket moved while
        it waits (``sender`` None) goes cold and its customer's wait goes on.
        """
        if ticket.status != _WAITING:
            self.desk.wait_again(ticket, Wait.AFTER_TRANSFER)
        self._log_escalation(ticket, team.name, d)
        ticket.handoffs += 1
        if ticket.handoffs == 1 and self._updates:  # no customer updates without an update_time
            self.start_updates(ticket)
        ticket.failed_here = 0
        ticket.next_work = None
        self.desk.leave_team(ticket, Exit.ESCALATED)
        if self._rework and self._context_u() >= self.rules.handoff.context_complete:
            ticket.rework_due += self._rework()
        self._on_handoff(ticket)
        target = self.desk.teams[str(d.to_team)]
        process = None
        handoff = self.rules.handoff
        warm = handoff.mode == "warm" and ticket.patience is not None and sender is not None
        if warm and sender is not None and not sender.off_shift:
            ticket.warm_join = join = self.env.event()
            process = warm_handoff(
                sender,
                join,
                handoff.max_hold,
                held=partial(self._record_hold, ticket, team.name, TaskKind.WARM_HANDOFF),
                gave_up=partial(self._warm_fallback, ticket, team.name, target.name, join),
            )
        else:  # a warm handoff whose sender's shift is over is cold at once
            self.desk.record((self.env.now, ticket.id, Event.HANDOFF, target.name, "cold_fallback" if warm else "cold"))
        self.desk.enter_team(ticket, target)
        return process

    def _warm_fallback(
        self, ticket: Ticket, team: str, target: str, join: simpy.Event, started: float, held: float
    ) -> None:
        """The warm sender stopped holding before a receiver joined: the ticket stays in the receiving queue.

        The hold ends after ``max_hold``, at the end of the sender's shift, or when the customer hangs up.
        """
        self._record_hold(ticket, team, TaskKind.WARM_HANDOFF, started, held)
        if ticket.warm_join is join:
            ticket.warm_join = None
        if ticket.status != Status.ABANDONED and ticket.team == target:  # not gone, nor moved on by a rule
            waiting = ticket.status == Status.WAITING and ticket.queue_token >= 0
            if self.hold_callback is not None and waiting:
                self.hold_callback(ticket, self.desk.teams[target])  # a callback instead of staying on hold
            else:
                self.desk.record((self.env.now, ticket.id, Event.HANDOFF, target, "cold_fallback"))

    @staticmethod
    def end_hold(ticket: Ticket) -> None:
        """The ticket leaves the queue a warm sender is holding for (abandoned, moved): release the sender."""
        join = ticket.warm_join
        if join is not None:
            ticket.warm_join = None
            if not join.triggered:
                join.succeed(None)

    def _on_handoff(self, ticket: Ticket) -> None:
        """Handoff triggers (dissatisfaction) look at the ticket that just changed hands."""
        triggers = self._deciders[ticket.category, ticket.team, Phase.HANDOFF]
        if triggers and (d := self._first(triggers, self.facts(ticket, ticket.team))) is not None:
            self._act(ticket, d)

    def consulted(self, ticket: Ticket, team: Team, d: Decision, sender: Agent | None, held: float) -> Process | None:
        """After a swarm consult the frontline agent, who held the ticket throughout, resolves it.

        The consult succeeds with the expert team's own resolve probability; a failed consult
        transfers the ticket to the expert's team (or to a move that fell due meanwhile).
        """
        self._held(ticket, held)
        expert = str(d.to_team)
        p = self.resolve_probability(ticket.category, expert)
        outcome = policy.after_consult(self._consult_u[expert]() if p < 1.0 else 0.0, p, d)
        if outcome.action == Action.RESOLVE:
            self.desk.resolve(ticket, team)
            return None
        return self.apply(ticket, team, self._pending_move(ticket, outcome), sender)

    def swarm_fallback(
        self, ticket: Ticket, team: Team, consult: Task, d: Decision, sender: Agent | None, held: float
    ) -> Process | None:
        """No expert came in time: withdraw the consult request and transfer the ticket."""
        if consult.status == Status.WAITING:
            self.desk.teams[consult.team].withdraw(consult)
            consult.status = Status.CANCELLED
            self.desk.record((self.env.now, ticket.id, Event.TASK_CANCELLED, consult.team, TaskKind.CONSULT))
        self._held(ticket, held)
        transfer = Decision(Action.TRANSFER, d.kind, d.reason, d.to_team)
        return self.apply(ticket, team, self._pending_move(ticket, transfer), sender)

    def _pending_move(self, ticket: Ticket, decision: Decision) -> Decision:
        """``decision``, or the move that fell due while the agent held the ticket, which then takes its place."""
        if self.moves_later and ticket.id in self._pending_moves:
            decision = policy.move_instead(self._pending_moves[ticket.id], decision)
            if decision.action == Action.MOVE:
                del self._pending_moves[ticket.id]
        return decision

    @staticmethod
    def _held(ticket: Ticket, minutes: float) -> None:
        """Agent time spent holding the ticket outside a session (waiting for and working with an expert)."""
        ticket.work_here += minutes
        ticket.work_time += minutes

    def _record_hold(self, ticket: Ticket, team: str, kind: str, started: float, minutes: float) -> None:
        """The sender of a warm handoff stayed on for ``minutes``: agent time on the ticket's behalf."""
        self.desk.tasks.add((ticket.id, kind, team, started, started, minutes))
