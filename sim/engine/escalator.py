"""Applying escalation decisions inside a replication: transfers, handoffs, tasks and timers.

The triggers in ``sim.scenario.policy`` decide; the escalator asks the ones the scenario turns on,
phase by phase of a ticket's life (arrival, pickup, end of session, handoff, queue wait, SLA
milestone), and carries each decision out on the live ticket. It moves the ticket between team
queues (cold) or keeps the sending agent on until a receiving agent joins (warm: only for a customer
on the line, and for at most ``max_hold``, never past the sender's shift), loses context
with some probability (rework for the next agent), queues tasks for other agents (reviews, swarm
consults, follow-ups, customer updates), wakes timers up, schedules reopenings and keeps the
learning counts. Every change is written to the event log.

It talks to the desk only through ``DeskPort``, so it can be driven by a stub desk in tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import simpy

from sim.engine.processes import Process, hold, swarm, warm_handoff
from sim.engine.records import Columns, Event, Exit, LogRow
from sim.engine.sla_policies import SlaPolicies
from sim.engine.streams import Sampler, Stream, Streams
from sim.engine.teams import Agent, Team
from sim.engine.tickets import FINISHED, Session, Status, Task, Ticket, Wait
from sim.scenario import policy
from sim.scenario.policy import Action, Decide, Decision, Facts, Milestone, Phase, TaskKind
from sim.scenario.spec import CategorySpec, ClockName, FirstResponseEnd, Scenario, SlaPolicy, TeamSpec

TOP = -1
"""Queue rank of reviews and consults: ahead of every ticket."""

_WAITING, _WORK, _TRIAGE = Status.WAITING, Session.WORK, Session.TRIAGE
"""Names read per session: module constants, which Python 3.11 reads faster than class attributes."""

DROPPED_WHEN_FINISHED = (TaskKind.UPDATE, TaskKind.REVIEW, TaskKind.INTERVENTION)
"""Tasks that lose their point once the ticket is resolved or abandoned."""


class DeskPort(Protocol):
    """What the escalator needs from the desk of its replication."""

    @property
    def env(self) -> simpy.Environment:
        """The replication's SimPy environment."""

    scenario: Scenario
    streams: Streams
    teams: dict[str, Team]
    categories: dict[str, CategorySpec]
    sla: SlaPolicies
    tasks: Columns
    escalations: Columns

    record: Callable[[LogRow], None]
    """Write one row of the event log (a no-op when the desk records no events)."""

    def enqueue(self, item: Ticket | Task, team: Team) -> None:
        """Send a ticket or task to ``team``'s queue, or straight to a free agent."""

    def enter_team(self, ticket: Ticket, team: Team) -> None:
        """Start the ticket's stay at ``team``."""

    def wait_again(self, ticket: Ticket, kind: str) -> None:
        """A live ticket's customer is about to wait again (``kind``: a ``Wait``): set the patience for it."""

    def leave_team(self, ticket: Ticket, exit: str) -> None:
        """Close the ticket's stay at its current team, saying how it ended."""

    def resolve(self, ticket: Ticket, team: Team) -> None:
        """The ticket is resolved by ``team``."""

    def reopen(self, ticket: Ticket, team: Team) -> None:
        """A resolved ticket comes back to ``team``."""

    def work_time(self, ticket: Ticket, team: Team) -> float:
        """The handle time of the ticket's next session at ``team``."""

    def spend_extra(self, ticket: Ticket) -> float:
        """The self-service extra handle time of the ticket's first session; 0 for every later session."""


@dataclass(frozen=True, slots=True)
class SessionRules:
    """What the escalator needs for a session of one (category, team), worked out once per replication."""

    category: CategorySpec
    team: TeamSpec
    probability: float
    """The chance an attempt resolves the ticket, before any learning."""
    quiet: bool
    """No session trigger (nor a pending move) can act: the common fast path."""
    pickup: tuple[Decide, ...]
    """The decision functions of the pickup triggers that can act."""
    end: tuple[Decide, ...]
    """The decision functions of the end-of-session triggers that can act."""
    failed: Sampler | None
    """The time a failed attempt takes (None: the category has no ``failed_attempt_time``)."""
    resolve_u: Sampler
    """The team's draws of whether an attempt resolved the ticket."""
    reopen_probability: float
    """The chance a ticket the team resolved comes back (0: the category never reopens)."""


class Escalator:
    """The escalation side of one replication's desk."""

    def __init__(self, desk: DeskPort) -> None:
        self.desk = desk
        self.env = desk.env
        s = desk.scenario
        self.rules = rules = s.escalation
        self.specs = {t.name: t for t in s.teams}
        self.phase = {phase: policy.in_phase(rules.triggers, phase) for phase in Phase}
        self._samplers(desk.streams, s)
        self.hold_callback: Callable[[Ticket, Team], None] | None = None
        """Set when a warm hold that ends without a receiver turns into a callback (``hold_fallback``)."""
        self.learned: Counter[tuple[str, str]] = Counter()
        """Escalated resolutions per (learning team, category): tickets it held first that another team solved."""
        self._learners = frozenset(rules.learning.teams if rules.learning else ())
        self.moves_later = any(r.action == Action.MOVE for r in rules.time_rules)
        """Whether a time rule can move a ticket that is in a session or waiting on its customer (then later)."""
        self._pending_moves: dict[int, Decision] = {}
        """Moves that fell due while their ticket was in a session, a consult or waiting on its customer."""
        self.arrival_rules = any(
            t.acts_on(c, team, rules) for t in self.phase[Phase.ARRIVAL] for c in s.categories for team in s.teams
        )
        """Whether any rule can act on a new ticket (regulatory, customer value)."""
        self._acting = {
            (c.name, t.name, phase): [trigger for trigger in self.phase[phase] if trigger.acts_on(c, t, rules)]
            for phase in (Phase.PICKUP, Phase.END_OF_SESSION, Phase.HANDOFF, Phase.QUEUE_WAIT)
            for c in s.categories
            for t in s.teams
        }
        """The session, handoff and queue-wait triggers that can act on a (category, team, phase): the others are
        skipped."""
        self._deciders = {
            key: tuple(t.decide for t in triggers if t.decide is not None) for key, triggers in self._acting.items()
        }
        """The decision functions of those triggers, in order, for ``_first``."""
        self.queue_waits = any(
            triggers for (_, _, phase), triggers in self._acting.items() if phase == Phase.QUEUE_WAIT
        )
        """Whether any queue-wait trigger can act (else a ticket that starts waiting needs no ``on_queued``)."""
        self._watched = {
            clock: any(t.watches(rules, clock) for t in self.phase[Phase.CLOCK]) for clock in ClockName.all()
        }
        self._attempts = any(t.uses_attempts for t in self.phase[Phase.END_OF_SESSION])
        """Whether a trigger reads whether each attempt resolved the ticket (then it is drawn)."""
        self._sessions = {(c.name, t.name): self._session_rules(c, t) for c in s.categories for t in s.teams}
        """What a session of a (category, team) needs, found with one look-up: sessions are the escalator's hot path."""
        self.after_resolution = (
            bool(rules.ownership or rules.learning) or self.moves_later or any(c.reopen for c in s.categories)
        )
        """Whether anything follows a resolution (follow-up, learning, reopening, dropping a pending move)."""

    def _session_rules(self, category: CategorySpec, team: TeamSpec) -> SessionRules:
        key = category.name, team.name
        pickup, end = (*key, Phase.PICKUP), (*key, Phase.END_OF_SESSION)
        return SessionRules(
            category=category,
            team=team,
            probability=category.resolve_probability.get(team.name, 1.0),
            quiet=not (self.moves_later or self._acting[pickup] or self._acting[end]),
            pickup=self._deciders[pickup],
            end=self._deciders[end],
            failed=self._failed.get((category.name, team.name)),
            resolve_u=self._resolve_u[team.name],
            reopen_probability=category.reopen.probability_for(team.name) if category.reopen else 0.0,
        )

    def _samplers(self, streams: Streams, s: Scenario) -> None:
        rules = s.escalation
        self._resolve_u = {t.name: streams.uniform(Stream.RESOLVE.of(t.name)) for t in s.teams}
        self._failed = {
            (c.name, t.name): streams.sampler(
                Stream.FAILED_ATTEMPT.of(c.name, t.name), c.failed_attempt_time.scaled(t.handle_time_multiplier)
            )
            for c in s.categories
            for t in s.teams
            if c.failed_attempt_time
        }
        handoff = rules.handoff
        self._context_u = streams.uniform(Stream.HANDOFF_CONTEXT)
        self._rework = streams.sampler(Stream.HANDOFF_REWORK, handoff.rework_time) if handoff.rework_time else None
        self._handoff_time = streams.sampler(Stream.HANDOFF_TIME, handoff.handoff_time)
        self._triage = streams.sampler(Stream.HANDOFF_TRIAGE, handoff.triage_time)
        swarm = rules.swarm
        consult = swarm.consult_time if swarm else None
        self._consult = streams.sampler(Stream.SWARM_CONSULT, consult) if consult else None
        self._consult_handle: dict[tuple[str, str], Sampler] = {}
        """Consults at the expert team's handle time (no ``consult_time``), per (category, team), made on first use."""
        self._consult_u = {t.name: streams.uniform(Stream.SWARM_RESOLVE.of(t.name)) for t in s.teams} if swarm else {}
        self._approval = {
            t.name: streams.sampler(Stream.APPROVAL.of(t.name), t.approval_time) for t in s.teams if t.approval_time
        }
        self._reviews: dict[str, Sampler] = {
            r.name: streams.sampler(Stream.REVIEW.of(r.name), r.review_time) for r in rules.time_rules if r.review_time
        }
        if rules.dissatisfaction:
            self._reviews["dissatisfaction"] = streams.sampler(
                Stream.DISSATISFACTION_REVIEW, rules.dissatisfaction.review_time
            )
        follow_up = rules.ownership.follow_up_time if rules.ownership else None
        self._follow_up = streams.sampler(Stream.FOLLOW_UP, follow_up) if follow_up else None
        self._updates = {
            p.name: streams.sampler(Stream.UPDATES.of(p.name), p.update_time) for p in s.sla_policies if p.update_time
        }
        self._reopen_u = {c.name: streams.uniform(Stream.REOPEN.of(c.name)) for c in s.categories if c.reopen}
        self._reopen_delay = {
            c.name: streams.sampler(Stream.REOPEN_DELAY.of(c.name), c.reopen.delay) for c in s.categories if c.reopen
        }

    def facts(self, ticket: Ticket, team: str, waiting_now: float = 0.0) -> Facts:
        """What the triggers may know about ``ticket`` while ``team`` holds it."""
        pair = self._sessions[ticket.category, team]
        probability = pair.probability
        if team in self._learners:
            probability = self.resolve_probability(ticket.category, team)
        return Facts(  # every field, positionally, in the order ``Facts`` declares them: it runs per session
            pair.category,  # category
            pair.team,  # team
            self.specs,  # teams
            ticket.segment,  # segment
            ticket.rank,  # rank
            ticket.attributes,  # attributes
            ticket.handoffs,  # handoffs
            ticket.waited + waiting_now,  # waited
            ticket.status == _WAITING,  # waiting
            ticket.attempt_u,  # attempt_u
            probability,  # resolve_probability
            ticket.failed_here,  # failed_here
            ticket.intervened,  # intervened
        )

    # -- arrival ----------------------------------------------------------------------------------
    def on_arrival(self, ticket: Ticket, team: Team) -> Team:
        """Arrival triggers may raise a new ticket's priority and send it to another first team."""
        facts = self.facts(ticket, team.name)
        for trigger in self.phase[Phase.ARRIVAL]:
            d = trigger.decide(facts, self.rules) if trigger.decide else None
            if d is None:
                continue
            if d.rank is not None:
                self._set_rank(ticket, d.rank)
            if d.action == Action.TRANSFER:
                self._log_escalation(ticket, team.name, d)
                ticket.next_work = None  # drawn for the routed team; the new team draws its own
                return self.desk.teams[str(d.to_team)]
        return team

    # -- sessions ---------------------------------------------------------------------------------
    def session_work(self, ticket: Ticket, team: Team) -> tuple[float, str]:
        """The time of the session about to start, and its kind (work, or triage)."""
        pair = self._sessions[ticket.category, team.name]
        if pair.quiet and ticket.warm_join is None and not ticket.rework_due:
            return self.desk.work_time(ticket, team), _WORK
        extra = 0.0
        join = ticket.warm_join
        if join is not None:
            ticket.warm_join = None
            if not join.triggered:  # else the sender has just stopped holding: a cold transfer after all
                joint = self._handoff_time()
                join.succeed(joint)
                self.desk.record((self.env.now, ticket.id, Event.HANDOFF, team.name, "warm"))
                extra += joint
        if pair.pickup and self._first(pair.pickup, self.facts(ticket, team.name)) is not None:  # as ``_at_pickup``
            return extra + self.desk.spend_extra(ticket) + self._triage(), _TRIAGE
        if ticket.rework_due:
            self.desk.record((self.env.now, ticket.id, Event.REWORK, team.name, ""))
            extra += ticket.rework_due
            ticket.rework_time += ticket.rework_due
            ticket.rework_due = 0.0
        p = pair.probability
        if team.name in self._learners:
            p = self.resolve_probability(ticket.category, team.name)
        ticket.attempt_u = pair.resolve_u() if p < 1.0 and self._attempts else 0.0
        sampler = pair.failed if ticket.attempt_u >= p else None
        if sampler is not None:
            ticket.next_work = None
            return extra + self.desk.spend_extra(ticket) + sampler(), _WORK
        return extra + self.desk.work_time(ticket, team), _WORK

    def _at_pickup(self, ticket: Ticket, team: Team) -> Decision | None:
        """The first pickup trigger's decision: the agent sees the team cannot work this ticket."""
        triggers = self._sessions[ticket.category, team.name].pickup
        return self._first(triggers, self.facts(ticket, team.name)) if triggers else None

    def _first(self, deciders: tuple[Decide, ...], facts: Facts) -> Decision | None:
        rules = self.rules
        for decide in deciders:
            if (d := decide(facts, rules)) is not None:
                return d
        return None

    def resolve_probability(self, category: str, team: str) -> float:
        """The chance an attempt of ``team`` resolves a ticket of ``category`` (after any learning)."""
        base = self._sessions[category, team].probability
        if team in self._learners and (learning := self.rules.learning) is not None:
            return policy.learned_probability(base, self.learned[team, category], learning.step, learning.cap)
        return base

    def after_session(self, ticket: Ticket, team: Team) -> Decision:
        """What follows a session, from the end-of-session triggers in the scenario's order."""
        pair = self._sessions[ticket.category, team.name]
        if pair.quiet:
            return policy.AWAIT if ticket.needs_reply else policy.RESOLVED
        if ticket.session_kind == _TRIAGE:  # a missing skill is never capped: this team cannot resolve it
            decision = self._at_pickup(ticket, team) or policy.RESOLVED
        else:
            escalation = self._first(pair.end, self.facts(ticket, team.name)) if pair.end else None
            if escalation is None:  # what ``policy.after_session`` decides, which swarming and the cap leave alone
                decision = policy.AWAIT if ticket.needs_reply else policy.RESOLVED
            else:
                decision = policy.after_session(False, escalation)
                decision = policy.swarm_instead(decision, self.rules)
                decision = policy.cap_bouncing(decision, ticket.handoffs, self.rules)
        return self._pending_move(ticket, decision) if self.moves_later else decision

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

    # -- tasks --------------------------------------------------------------------------------------
    def queue_task(self, kind: str, ticket: Ticket, team: str, work: float, rank: int) -> Task:
        """Put a task (review, consult, follow-up, update) in a team's queue."""
        task = Task(kind, ticket, work, rank)
        self.desk.record((self.env.now, ticket.id, Event.TASK_QUEUED, team, kind))
        self.desk.enqueue(task, self.desk.teams[team])
        return task

    def begin_task(self, task: Task, team: Team) -> float:
        """An agent starts a task; updates and reviews of tickets that are already done are dropped."""
        if task.kind in DROPPED_WHEN_FINISHED and task.ticket.status in FINISHED:
            task.status = Status.CANCELLED
            self.desk.record((self.env.now, task.id, Event.TASK_CANCELLED, team.name, task.kind))
            return 0.0
        task.status = Status.IN_SERVICE
        task.started_at = self.env.now
        self.desk.record((self.env.now, task.id, Event.TASK_STARTED, team.name, task.kind))
        if task.started is not None:
            task.started.succeed()
        return task.work

    def end_task(self, task: Task, team: Team, work: float) -> None:
        """A task is done: record the agent time it took and wake whoever waits on it."""
        if task.status == Status.CANCELLED:
            return
        self.desk.record((self.env.now, task.id, Event.TASK_DONE, team.name, task.kind))
        if task.kind == TaskKind.UPDATE and task.ticket.response_on == FirstResponseEnd.REPLY:
            self.desk.sla.responded(task.ticket)
        self.desk.tasks.add((task.id, task.kind, team.name, task.queued_at, task.started_at, work))
        if task.done is not None:
            task.done.succeed()

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

    # -- resolution ----------------------------------------------------------------------------------
    def on_resolved(self, ticket: Ticket, team: Team) -> None:
        """Follow-up by the owner, learning, and a possible reopening."""
        if self._follow_up is not None and team.name != ticket.first_team:
            self.queue_task(TaskKind.FOLLOW_UP, ticket, ticket.first_team, self._follow_up(), ticket.rank)
        if ticket.first_team in self._learners and team.name != ticket.first_team:
            self.learned[ticket.first_team, ticket.category] += 1
        if self.moves_later:
            self._pending_moves.pop(ticket.id, None)
        pair = self._sessions[ticket.category, team.name]
        reopen = pair.category.reopen
        if reopen and ticket.reopens < reopen.max and self._reopen_u[ticket.category]() < pair.reopen_probability:
            ticket.reopen_pending = True
            target = self.desk.teams[team.name if reopen.return_to == "resolver" else ticket.first_team]
            self._after(self._reopen_delay[ticket.category](), self.desk.reopen, ticket, target)

    # -- helpers ---------------------------------------------------------------------------------------
    def _log_escalation(self, ticket: Ticket, from_team: str, d: Decision) -> None:
        ticket.escalations += 1
        now = self.env.now
        self.desk.record((now, ticket.id, Event.ESCALATED, from_team, f"{d.kind}|{d.reason}|{d.to_team}"))
        self.desk.escalations.add((now, ticket.id, d.kind, d.reason, from_team, d.to_team))

    def _set_rank(self, ticket: Ticket, rank: int) -> None:
        if rank == ticket.rank:
            return
        ticket.rank = rank
        ticket.priority = self.desk.scenario.priorities[rank]
        self.desk.record((self.env.now, ticket.id, Event.PRIORITY_RAISED, ticket.team, ticket.priority))
        if self.desk.sla.has_clocks(ticket):
            self.desk.sla.reevaluate(ticket)
        if ticket.status == Status.WAITING and ticket.queue_token >= 0:
            self.desk.teams[ticket.team].reprioritise(ticket)

    def _after(self, delay: float, action: Callable[..., None], *args: object) -> None:
        """Call ``action(*args)`` after ``delay`` minutes of simulated time."""
        self.env.timeout(delay).callbacks.append(lambda _: action(*args))
