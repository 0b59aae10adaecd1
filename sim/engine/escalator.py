"""Applying escalation decisions inside a replication: transfers, handoffs, tasks and timers.

The ``policy`` functions decide; the escalator carries the decision out on the live ticket:
it moves the ticket between team queues (cold) or keeps the sending agent on until a receiving
agent joins (warm), loses context with some probability (rework for the next agent), queues
tasks for other agents (supervisor reviews, swarm consults, follow-ups, customer updates),
starts the timers of automatic escalation and dissatisfaction, schedules reopenings, and
keeps the learning counts. Every change is written to the event log.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

from sim.engine import policy
from sim.engine.policy import Decision
from sim.engine.processes import Process, swarm, warm_handoff
from sim.engine.tickets import ABANDONED, RESOLVED, WAITING, Task, Ticket

if TYPE_CHECKING:
    from sim.engine.desk import Desk
    from sim.engine.teams import Team
    from sim.scenario.escalation import TimeRule

TOP = -1
"""Queue rank of reviews and consults: ahead of every ticket."""


class Escalator:
    """The escalation side of one replication's desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.env = desk.env
        s = desk.scenario
        self.rules = rules = s.escalation
        self.on = set(rules.triggers)
        self.end_triggers = [t for t in rules.triggers if t in ("authority", "complexity")]
        self.specs = {t.name: t for t in s.teams}
        streams = desk.streams
        self._resolve_u = {t.name: streams.uniform(f"resolve.{t.name}") for t in s.teams}
        self._failed = {
            (c.name, t.name): streams.sampler(
                f"failed_attempt.{c.name}.{t.name}", c.failed_attempt_time.scaled(t.handle_time_multiplier)
            )
            for c in s.categories
            for t in s.teams
            if c.failed_attempt_time
        }
        self._context_u = streams.uniform("handoff.context")
        self._rework = (
            streams.sampler("handoff.rework", rules.handoff.rework_time) if rules.handoff.rework_time else None
        )
        self._handoff_time = streams.sampler("handoff.time", rules.handoff.handoff_time)
        self._triage = streams.sampler("handoff.triage", rules.handoff.triage_time)
        self._consult = streams.sampler("swarm.consult", rules.swarm.consult_time) if rules.swarm else None
        self._reviews = {
            r.name: streams.sampler(f"review.{r.name}", r.review_time) for r in rules.time_rules if r.review_time
        }
        d = rules.dissatisfaction
        self._intervention = streams.sampler("dissatisfaction.review", d.review_time) if d else None
        self._follow_up = (
            streams.sampler("ownership.follow_up", rules.ownership.follow_up_time) if rules.ownership else None
        )
        self._updates = {
            p.name: streams.sampler(f"updates.{p.name}", p.update_time) for p in s.sla_policies if p.update_time
        }
        self._reopen_u = {c.name: streams.uniform(f"reopen.{c.name}") for c in s.categories if c.reopen}
        self._reopen_delay = {
            c.name: streams.sampler(f"reopen_delay.{c.name}", c.reopen.delay) for c in s.categories if c.reopen
        }
        self.learned: Counter[str] = Counter()
        self.arrival_rules = bool(rules.segment_rules) or any(c.regulated for c in s.categories)
        """Whether any rule can act on a new ticket (regulatory, customer value)."""
        self._quiet = {(c.name, t.name): self._nothing_can_happen(c, t) for c in s.categories for t in s.teams}
        self.after_resolution = bool(rules.ownership or rules.learning) or any(c.reopen for c in s.categories)
        """Whether anything follows a resolution (follow-up, learning, reopening)."""

    def _nothing_can_happen(self, category, team) -> bool:
        """True when no trigger can act on a session of ``team`` on ``category`` (the common fast path)."""
        learning = self.rules.learning is not None and self.rules.learning.team == team.name
        return (
            not (category.skill and category.skill not in team.skills and "skill" in self.on)
            and not (team.authority and "authority" in self.on)
            and not category.requires
            and (
                (category.resolve_probability.get(team.name, 1.0) >= 1.0 and not learning)
                or "complexity" not in self.on
            )
        )

    # -- arrival ----------------------------------------------------------------------------------
    def on_arrival(self, ticket: Ticket, team: Team) -> Team:
        """Regulatory and customer-value rules may change a new ticket's first team and priority."""
        category = self.desk.categories[ticket.category]
        for trigger in self.rules.triggers:
            if trigger == "regulatory" and (d := policy.regulatory(category, self.rules)):
                self._set_rank(ticket, 0)
                return self._reroute(ticket, team, d)
            if trigger == "customer_value" and (rule := policy.customer_value(ticket.segment, self.rules)):
                if rule.priority_boost:
                    self._set_rank(ticket, policy.boosted_rank(ticket.rank, rule.priority_boost))
                if rule.route_to and rule.route_to != team.name:
                    return self._reroute(
                        ticket, team, Decision(policy.TRANSFER, policy.HIERARCHICAL, "customer_value", rule.route_to)
                    )
        return team

    def _reroute(self, ticket: Ticket, team: Team, d: Decision) -> Team:
        self._log_escalation(ticket, team.name, d)
        ticket.next_work = None  # drawn for the routed team; the new team draws its own
        return self.desk.teams[d.to_team]

    # -- sessions ---------------------------------------------------------------------------------
    def session_work(self, ticket: Ticket, team: Team) -> tuple[float, str]:
        """The time of the session about to start, and its kind: 'triage' or 'work'."""
        if self._quiet[ticket.category, team.name] and ticket.warm_join is None and not ticket.rework_due:
            return self.desk.work_time(ticket, team), "work"
        category = self.desk.categories[ticket.category]
        spec = self.specs[team.name]
        extra = 0.0
        if ticket.warm_join is not None:
            joint = self._handoff_time()
            ticket.warm_join.succeed(joint)
            ticket.warm_join = None
            self.desk.record(self.env.now, ticket.id, "handoff", team.name, "warm")
            extra += joint
        if "skill" in self.on and policy.skill_gap(category, spec, self.desk.scenario.teams):
            return extra + self._triage(), "triage"
        if ticket.rework_due:
            self.desk.record(self.env.now, ticket.id, "rework", team.name)
            extra += ticket.rework_due
            ticket.rework_time += ticket.rework_due
            ticket.rework_due = 0.0
        p = self.resolve_probability(ticket.category, team.name)
        ticket.attempt_u = self._resolve_u[team.name]() if p < 1.0 and "complexity" in self.on else 0.0
        failing = ticket.attempt_u >= p
        sampler = self._failed.get((ticket.category, team.name)) if failing else None
        if sampler is not None:
            ticket.next_work = None
            return extra + sampler(), "work"
        return extra + self.desk.work_time(ticket, team), "work"

    def resolve_probability(self, category: str, team: str) -> float:
        """The chance an attempt of ``team`` resolves a ticket of ``category`` (after any learning)."""
        base = self.desk.categories[category].resolve_probability.get(team, 1.0)
        learning = self.rules.learning
        if learning is not None and team == learning.team:
            return policy.learned_probability(base, self.learned[category], learning.step, learning.cap)
        return base

    def after_session(self, ticket: Ticket, team: Team) -> Decision:
        """What follows a session, from the end-of-session triggers in the scenario's order."""
        if self._quiet[ticket.category, team.name]:
            return policy.AWAIT if ticket.needs_reply else policy.RESOLVED
        category = self.desk.categories[ticket.category]
        spec = self.specs[team.name]
        if ticket.session_kind == "triage":  # a missing skill is never capped: this team cannot resolve it
            return policy.skill_gap(category, spec, self.desk.scenario.teams)
        escalation = None
        for trigger in self.end_triggers:
            if trigger == "authority":
                escalation = policy.authority(spec, ticket.attributes, category, self.specs)
            else:
                escalation = policy.complexity(
                    ticket.attempt_u,
                    self.resolve_probability(category.name, team.name),
                    ticket.failed_here,
                    spec,
                    category.path,
                )
            if escalation is not None:
                break
        decision = policy.after_session(ticket.needs_reply and escalation is None, escalation)
        decision = policy.swarm_instead(decision, self.rules)
        return policy.cap_bouncing(decision, ticket.handoffs, self.rules)

    def apply(self, ticket: Ticket, team: Team, d: Decision) -> Process | None:
        """Carry out a retry, transfer or swarm; returns a process the agent stays on for, if any."""
        if d.action == policy.RETRY:
            ticket.failed_here += 1
            self.desk.enqueue(ticket, team)
            return None
        if d.action == policy.SWARM:  # a request for another team's expert: an escalation, not a handoff
            self._log_escalation(ticket, team.name, Decision(d.action, d.kind, "consult", d.to_team))
            consult = self.queue_task("consult", ticket, d.to_team, self._consult(), TOP)
            consult.started, consult.done = self.env.event(), self.env.event()
            return swarm(self.env, self, ticket, team, consult, d, self.rules.swarm.max_wait)
        return self.transfer(ticket, team, d, held=True)

    def transfer(self, ticket: Ticket, team: Team, d: Decision, held: bool) -> Process | None:
        """Move the ticket to ``d.to_team``: cold into its queue, or warm with the sender on the line."""
        self._log_escalation(ticket, team.name, d)
        ticket.handoffs += 1
        if ticket.handoffs == 1:
            self.start_updates(ticket)
        ticket.failed_here = 0
        ticket.next_work = None
        self.desk.leave_team(ticket, "escalated")
        if self._rework and self._context_u() >= self.rules.handoff.context_complete:
            ticket.rework_due += self._rework()
        self._check_frustration(ticket, 0.0)
        target = self.desk.teams[d.to_team]
        process = None
        if held and self.rules.handoff.mode == "warm":
            ticket.warm_join = self.env.event()
            process = warm_handoff(ticket.warm_join, partial(self._record_hold, ticket, team.name, "warm_handoff"))
        else:
            self.desk.record(self.env.now, ticket.id, "handoff", target.name, "cold")
        self.desk.enter_team(ticket, target)
        return process

    def consulted(self, ticket: Ticket, team: Team, held: float) -> None:
        """After a swarm consult the frontline agent, who held the ticket throughout, resolves it."""
        self._held(ticket, held)
        self.desk.resolve(ticket, team)

    def swarm_fallback(self, ticket: Ticket, team: Team, consult: Task, d: Decision, held: float) -> Process | None:
        """No expert came in time: withdraw the consult request and transfer the ticket."""
        if consult.status == WAITING:
            self.desk.teams[consult.team].withdraw(consult)
            consult.status = "cancelled"
            self.desk.record(self.env.now, ticket.id, "task_cancelled", consult.team, "consult")
        self._held(ticket, held)
        return self.transfer(ticket, team, Decision(policy.TRANSFER, d.kind, d.reason, d.to_team), held=True)

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
        self.desk.record(self.env.now, ticket.id, "task_queued", team, kind)
        self.desk.enqueue(task, self.desk.teams[team])
        return task

    def begin_task(self, task: Task, team: Team) -> float:
        """An agent starts a task; updates and reviews of tickets that are already done are dropped."""
        if task.kind in ("update", "review", "intervention") and task.ticket.status in (RESOLVED, ABANDONED):
            task.status = "cancelled"
            self.desk.record(self.env.now, task.id, "task_cancelled", team.name, task.kind)
            return 0.0
        task.status = "in_service"
        task.started_at = self.env.now
        self.desk.record(self.env.now, task.id, "task_started", team.name, task.kind)
        if task.started is not None:
            task.started.succeed()
        return task.work

    def end_task(self, task: Task, team: Team, work: float) -> None:
        if task.status == "cancelled":
            return
        self.desk.record(self.env.now, task.id, "task_done", team.name, task.kind)
        self.desk.tasks.add((task.id, task.kind, team.name, task.queued_at, task.started_at, work))
        if task.done is not None:
            task.done.succeed()

    # -- timers: automatic escalation, dissatisfaction, updates ------------------------------------
    def on_queued(self, ticket: Ticket, team: Team) -> None:
        """A ticket starts waiting: arm the queue-wait rules and the frustration timer."""
        stay = ticket.queue_seq
        if "time" in self.on:
            for rule in self.rules.time_rules:
                if rule.queue_wait is not None:
                    self._after(rule.queue_wait, self._if_still_waiting, ticket, stay, partial(self._time_rule, rule))
        d = self.rules.dissatisfaction
        if d is not None and "dissatisfaction" in self.on and not ticket.intervened and d.per_hour_waiting > 0:
            score = policy.frustration(ticket.waited, ticket.handoffs, d.per_hour_waiting, d.per_handoff)
            minutes = max(0.0, (d.threshold - score) * 60.0 / d.per_hour_waiting)
            self._after(minutes, self._if_still_waiting, ticket, stay, self._intervene)

    def watches(self, clock: str) -> bool:
        """Whether a time rule acts on this SLA clock's milestones (then the clock runs live)."""
        return "time" in self.on and any(rule.clock == clock for rule in self.rules.time_rules)

    def on_milestone(self, ticket: Ticket, clock: str, fraction: float) -> None:
        """An SLA warning or breach: start every time rule that watches it (after its delay)."""
        if "time" not in self.on:
            return
        for rule in self.rules.time_rules:
            if rule.clock == clock and (rule.at == "breach" if fraction >= 1.0 else rule.at == fraction):
                self._after(rule.after, lambda t, r=rule: self._time_rule(r, t), ticket)

    def _time_rule(self, rule: TimeRule, ticket: Ticket) -> None:
        if ticket.status in (RESOLVED, ABANDONED):
            return
        d = Decision(rule.action, policy.AUTOMATIC, rule.name, rule.to or rule.reviewer or ticket.team)
        if rule.action == "raise_priority":
            new = policy.boosted_rank(ticket.rank, rule.levels)
            if new != ticket.rank:
                self._log_escalation(ticket, ticket.team, d)
                self._set_rank(ticket, new)
        elif rule.action == "move":
            if ticket.status == WAITING and ticket.team != rule.to:
                self.desk.teams[ticket.team].withdraw(ticket)
                self.transfer(ticket, self.desk.teams[ticket.team], d, held=False)
        else:
            self._log_escalation(ticket, ticket.team, d)
            self.queue_task("review", ticket, rule.reviewer, self._reviews[rule.name](), TOP)

    def _check_frustration(self, ticket: Ticket, waiting_now: float) -> None:
        d = self.rules.dissatisfaction
        if d is None or "dissatisfaction" not in self.on or ticket.intervened:
            return
        if (
            policy.frustration(ticket.waited + waiting_now, ticket.handoffs, d.per_hour_waiting, d.per_handoff)
            >= d.threshold
        ):
            self._intervene(ticket)

    def _intervene(self, ticket: Ticket) -> None:
        """The customer is fed up: a manager reviews the ticket and it jumps to the top priority."""
        if ticket.intervened or ticket.status in (RESOLVED, ABANDONED):
            return
        ticket.intervened = True
        manager = self.rules.dissatisfaction.manager
        self._log_escalation(ticket, ticket.team, Decision("review", policy.HIERARCHICAL, "dissatisfaction", manager))
        self.queue_task("intervention", ticket, manager, self._intervention(), TOP)
        self._set_rank(ticket, 0)

    def start_updates(self, ticket: Ticket) -> None:
        """The ticket has left (or skipped) its first team: its customer gets updates until it is resolved."""
        policy_ = self.desk.sla_by_name.get(ticket.sla_policy)
        if policy_ is not None and policy_.update_every is not None:
            self._after(policy_.update_every, self._update, ticket, policy_.name)

    def _update(self, ticket: Ticket, policy_name: str) -> None:
        """While escalated, someone updates the customer (the owning team if ownership is on)."""
        if ticket.status in (RESOLVED, ABANDONED):
            return
        team = ticket.first_team if self.rules.ownership else ticket.team
        self.queue_task("update", ticket, team, self._updates[policy_name](), ticket.rank)
        self._after(self.desk.sla_by_name[policy_name].update_every, self._update, ticket, policy_name)

    # -- resolution ----------------------------------------------------------------------------------
    def on_resolved(self, ticket: Ticket, team: Team) -> None:
        """Follow-up by the owner, learning, and a possible reopening."""
        if self.rules.ownership and team.name != ticket.first_team:
            self.queue_task("follow_up", ticket, ticket.first_team, self._follow_up(), ticket.rank)
        learning = self.rules.learning
        if learning and ticket.first_team == learning.team and team.name != learning.team:
            self.learned[ticket.category] += 1
        reopen = self.desk.categories[ticket.category].reopen
        if reopen and self._reopen_u[ticket.category]() < reopen.probability_for(team.name):
            ticket.reopen_pending = True
            target = self.desk.teams[team.name if reopen.return_to == "resolver" else ticket.first_team]
            self._after(self._reopen_delay[ticket.category](), self.desk.reopen, ticket, target)

    # -- helpers ---------------------------------------------------------------------------------------
    def _log_escalation(self, ticket: Ticket, from_team: str, d: Decision) -> None:
        ticket.escalations += 1
        now = self.env.now
        self.desk.record(now, ticket.id, "escalated", from_team, f"{d.kind}|{d.reason}|{d.to_team}")
        self.desk.escalations.add((now, ticket.id, d.kind, d.reason, from_team, d.to_team))

    def _set_rank(self, ticket: Ticket, rank: int) -> None:
        if rank == ticket.rank:
            return
        ticket.rank = rank
        ticket.priority = self.desk.scenario.priorities[rank]
        self.desk.record(self.env.now, ticket.id, "priority_raised", ticket.team, ticket.priority)
        if ticket.status == WAITING and ticket.queue_token >= 0:
            self.desk.teams[ticket.team].reprioritise(ticket)

    def _if_still_waiting(self, ticket: Ticket, stay: int, action) -> None:
        """Act only if the ticket is still in the same stay in a queue (a priority raise keeps the stay)."""
        if ticket.status == WAITING and ticket.queue_seq == stay and ticket.queue_token >= 0:
            action(ticket)

    def _after(self, delay: float, action, *args) -> None:
        """Call ``action(*args)`` after ``delay`` minutes of simulated time."""
        self.env.timeout(delay).callbacks.append(lambda _: action(*args))
