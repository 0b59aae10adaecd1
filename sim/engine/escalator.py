"""Applying escalation decisions inside a replication: arrivals, sessions, tasks and resolutions.

The triggers in ``sim.scenario.policy`` decide; the escalator asks the ones the scenario turns on,
phase by phase of a ticket's life (arrival, pickup, end of session, handoff, queue wait, SLA
milestone), and carries each decision out on the live ticket. Here it works out once per replication
what a session of each (category, team) needs, gathers the facts the triggers see, may send a new
ticket to another first team, times each session and decides what follows it, queues tasks for other
agents (reviews, swarm consults, follow-ups, customer updates), schedules reopenings and keeps the
learning counts. Carrying out what follows a session (retries, cold and warm transfers, consults,
approvals) is in ``handoffs``, and the rules that act when a timer fires (queue waits, SLA
milestones, customer updates) in ``timers``: ``Escalator`` inherits both. Every change is written to
the event log.

It talks to the desk only through ``DeskPort`` (``desk_port``), so it can be driven by a stub desk in tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sim.engine.desk_port import DeskPort
from sim.engine.handoffs import Handoffs
from sim.engine.records import Event
from sim.engine.streams import Sampler, Stream, Streams
from sim.engine.teams import Team
from sim.engine.tickets import FINISHED, Session, Status, Task, Ticket
from sim.engine.timers import Timers
from sim.scenario import policy
from sim.scenario.sla_spec import ClockName, FirstResponseEnd
from sim.scenario.spec import CategorySpec, Scenario, TeamSpec
from sim.scenario.triggers import AWAIT, RESOLVED, Action, Decide, Decision, Facts, Phase, TaskKind, in_phase

_WAITING, _WORK, _TRIAGE = Status.WAITING, Session.WORK, Session.TRIAGE
"""Names read per session: module constants, which Python 3.11 reads faster than class attributes."""

DROPPED_WHEN_FINISHED = (TaskKind.UPDATE, TaskKind.REVIEW, TaskKind.INTERVENTION)
"""Tasks that lose their point once the ticket is resolved or abandoned."""


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


class Escalator(Handoffs, Timers):
    """The escalation side of one replication's desk."""

    def __init__(self, desk: DeskPort) -> None:
        self.desk = desk
        self.env = desk.env
        s = desk.scenario
        self.rules = rules = s.escalation
        self.specs = {t.name: t for t in s.teams}
        self.phase = {phase: in_phase(rules.triggers, phase) for phase in Phase}
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
            return AWAIT if ticket.needs_reply else RESOLVED
        if ticket.session_kind == _TRIAGE:  # a missing skill is never capped: this team cannot resolve it
            decision = self._at_pickup(ticket, team) or RESOLVED
        else:
            escalation = self._first(pair.end, self.facts(ticket, team.name)) if pair.end else None
            if escalation is None:  # what ``policy.after_session`` decides, which swarming and the cap leave alone
                decision = AWAIT if ticket.needs_reply else RESOLVED
            else:
                decision = policy.after_session(False, escalation)
                decision = policy.swarm_instead(decision, self.rules)
                decision = policy.cap_bouncing(decision, ticket.handoffs, self.rules)
        return self._pending_move(ticket, decision) if self.moves_later else decision

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
