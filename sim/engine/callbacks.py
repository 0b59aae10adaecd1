"""Customer journeys inside a replication: callbacks (virtual hold) and retrials.

*Callbacks.* When a caller of a channel with ``callback`` settings must wait in a queue for a first
answer, the desk announces an estimated wait; over the channel's threshold the caller is offered a
callback (``callback_offered``, accepted or declined, on its own random stream). An accepting caller
hangs up: the patience no longer applies, and the ticket waits as a callback in the same queue, in
the caller's place (``keep_place``) or below every other ticket (``when_idle``: an agent calls only
when it would otherwise be idle). Once the ``promise`` has passed it goes ahead of every ticket.
The agent who takes it makes an outbound attempt (``callback_attempt``), which costs
``attempt_time`` and reaches the customer with ``reach_probability``. Reached, the agent works the
ticket in the same session (the first answer, ``picked_up``). Unreached, the ticket is queued again
``retry_after`` later (by the same rule), and after ``max_attempts`` attempts it ends abandoned with
cause ``callback_unreached``. A warm handoff whose hold ends without a receiver can also turn into a
callback from the receiving team (``escalation.handoff.hold_fallback: callback``).

*Retrials.* A contact of a channel with ``retrial`` settings that ends abandoned is followed, with
the channel's probability, by a new call after a delay: a new ticket (a new id) of the same customer,
with the same category, priority, segment and attributes, a fresh patience and a fresh handle time.

Every draw has its own stream, so a scenario without these settings keeps exactly its records.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from sim.engine.records import Event
from sim.engine.streams import Sampler, Stream
from sim.engine.tickets import Journey, Session, Status, Ticket, Wait
from sim.scenario.journeys import CallbackSpec
from sim.scenario.policy import TOP

if TYPE_CHECKING:
    import simpy

    from sim.engine.desk import Desk
    from sim.engine.teams import Team


def uses_journeys(desk: Desk) -> bool:
    """Whether the desk's scenario has callbacks or retrials (then it needs a ``Journeys``)."""
    return any(c.callback is not None or c.retrial is not None for c in desk.scenario.channels)


class Journeys:
    """Callbacks and retrials of one replication's desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.env = desk.env
        s = desk.scenario
        streams = desk.streams
        self.callback = {c.name: c.callback for c in s.channels if c.callback is not None}
        self.retrial = {c.name: c.retrial for c in s.channels if c.retrial is not None}
        self._accept = {name: streams.uniform(Stream.CALLBACK_ACCEPT.of(name)) for name in self.callback}
        self._reach = {name: streams.uniform(Stream.CALLBACK_REACH.of(name)) for name in self.callback}
        self._retry = {name: streams.uniform(Stream.RETRIAL.of(name)) for name in self.retrial}
        self._retry_delay = {
            name: streams.sampler(Stream.RETRIAL_DELAY.of(name), spec.delay) for name, spec in self.retrial.items()
        }
        self._retry_patience = {
            c.name: streams.sampler(Stream.RETRIAL_PATIENCE.of(c.name), c.patience)
            for c in s.channels
            if c.retrial is not None and c.patience is not None
        }
        self._retry_reply = {
            c.name: streams.uniform(Stream.RETRIAL_REPLY.of(c.name)) for c in s.categories if c.customer_reply
        }
        self._retry_handle: dict[tuple[str, str], Sampler] = {}
        """The first handle time of a new call, per (category, team), made on first use."""
        self._mean_handle: dict[tuple[str, str], float] = {}
        self.idle_rank = len(s.priorities)
        """Queue rank of a ``when_idle`` callback: below every priority."""

    # -- callbacks ---------------------------------------------------------------------------------
    def offer(self, ticket: Ticket, team: Team) -> bool:
        """A live ticket must wait in ``team``'s queue: True if it waits as a callback (no patience runs).

        A callback back in the queue for another attempt stays one; a caller waiting for a first
        answer is offered a callback once, when the estimated wait is over the channel's threshold.
        """
        spec = self.callback.get(ticket.channel)
        if spec is None:
            return False
        j = ticket.journey
        if j is not None and j.pending:
            self._place(ticket, team, spec, j)
            return True
        threshold = spec.offer_when_wait_over
        if threshold is None or ticket.wait_kind != Wait.FIRST_QUEUE or ticket.sessions or (j and j.offered):
            return False
        if self.estimate(ticket, team, spec) <= threshold:
            return False
        j = self.journey(ticket)
        j.offered = True
        accepted = self._accept[ticket.channel]() < spec.accept_probability
        answer = "accepted" if accepted else "declined"
        self.desk.record((self.env.now, ticket.id, Event.CALLBACK_OFFERED, team.name, answer))
        if accepted:
            self.take_callback(ticket, team)
        return accepted

    def estimate(self, ticket: Ticket, team: Team, spec: CallbackSpec) -> float:
        """The wait announced to a caller who just joined ``team``'s queue.

        queue_length: (tickets ahead + 1) x mean handle time / agents on duty, the expected wait of
        the next caller when agents finish at random; head_of_line: the wait so far of the ticket
        that has waited longest in the queue.
        """
        if spec.estimator == "head_of_line":
            return team.oldest_wait()
        agents = team.staffed.value
        if agents <= 0:
            return math.inf
        key = (ticket.category, team.name)
        mean = self._mean_handle.get(key)
        if mean is None:
            dist = self.desk.categories[ticket.category].handle_time_for(team.name)
            assert dist is not None  # the checks give every team a ticket can reach a handle time for it
            mean = self._mean_handle[key] = dist.mean() * team.spec.handle_time_multiplier
        return team.queue.value * mean / agents  # the queue level counts the caller: tickets ahead + 1

    def take_callback(self, ticket: Ticket, team: Team) -> None:
        """The customer takes a callback while waiting in ``team``'s queue: off the line, served by rule."""
        spec = self.callback[ticket.channel]
        j = self.journey(ticket)
        j.pending = True
        j.accepted_at = self.env.now
        self._place(ticket, team, spec, j)
        if spec.promise is not None:
            self.env.timeout(spec.promise).callbacks.append(partial(self._promise_due, ticket, team, spec, j))

    def promised_callback(self, ticket: Ticket, team: Team) -> None:
        """A warm hold ended without a receiver: the customer is promised a callback from ``team``."""
        self.desk.record((self.env.now, ticket.id, Event.HANDOFF, team.name, "callback_fallback"))
        self.take_callback(ticket, team)

    def _place(self, ticket: Ticket, team: Team, spec: CallbackSpec, j: Journey) -> None:
        """The callback's place in the queue: ahead of all past its promise, last under when_idle."""
        if spec.promise is not None and self.env.now >= j.accepted_at + spec.promise:
            self._push_at(ticket, team, TOP)
        elif spec.serve == "when_idle":
            self._push_at(ticket, team, self.idle_rank)

    def _promise_due(self, ticket: Ticket, team: Team, spec: CallbackSpec, j: Journey, _: simpy.Event) -> None:
        if j.pending and ticket.status == Status.WAITING and ticket.queue_token >= 0 and ticket.team == team.name:
            self._push_at(ticket, team, TOP)

    @staticmethod
    def _push_at(ticket: Ticket, team: Team, rank: int) -> None:
        """Re-queue the waiting ticket at ``rank`` (its own rank and arrival order otherwise unchanged)."""
        own, ticket.rank = ticket.rank, rank
        team.reprioritise(ticket)
        ticket.rank = own

    def attempt(self, ticket: Ticket, team: Team) -> float:
        """An agent of ``team`` takes a callback: one outbound attempt; returns the session's time.

        Reached, the agent goes on to work the ticket (the first answer); the session is the
        attempt plus the work. Unreached, the session is the attempt alone (``Session.CALLBACK``).
        """
        spec = self.callback[ticket.channel]
        j = ticket.journey
        assert j is not None
        now = self.env.now
        j.attempts += 1
        reached = self._reach[ticket.channel]() < spec.reach_probability
        self.desk.record((now, ticket.id, Event.CALLBACK_ATTEMPT, team.name, "reached" if reached else "unreached"))
        if reached:
            j.pending = False
            j.reached_at = now
            patience = ticket.patience  # the wait for a callback was not spent on the line
            work = self.desk.begin_work(ticket, team)
            ticket.patience = patience
            return spec.attempt_time + work
        ticket.status = Status.IN_SERVICE
        ticket.session_kind = Session.CALLBACK
        ticket.waited += now - ticket.queued_at
        return spec.attempt_time

    def unreached(self, ticket: Ticket, team: Team) -> None:
        """An attempt did not reach the customer: try again later, or give up after the last attempt."""
        spec = self.callback[ticket.channel]
        j = ticket.journey
        assert j is not None
        if j.attempts >= spec.max_attempts:
            ticket.wait_kind = Wait.CALLBACK_UNREACHED
            self.desk.abandon(ticket)
            return
        ticket.status = Status.WAITING  # out of every queue until the retry (queue_token is -1)
        self.env.timeout(spec.retry_after).callbacks.append(partial(self._try_again, ticket, team))

    def _try_again(self, ticket: Ticket, team: Team, _: simpy.Event) -> None:
        j = ticket.journey
        if j is not None and j.pending and ticket.status == Status.WAITING and ticket.queue_token < 0:
            self.desk.enqueue(ticket, team)

    # -- retrials ------------------------------------------------------------------------------------
    def abandoned(self, ticket: Ticket) -> None:
        """A contact ended abandoned: the customer may call again later, as a new contact."""
        spec = self.retrial.get(ticket.channel)
        if spec is None:
            return
        j = ticket.journey
        contact = j.contact if j is not None else 1
        if contact > spec.max or self._retry[ticket.channel]() >= spec.probability:
            return
        j = self.journey(ticket)
        j.retried = True
        self.env.timeout(self._retry_delay[ticket.channel]()).callbacks.append(partial(self._call_again, ticket))

    def _call_again(self, before: Ticket, _: simpy.Event) -> None:
        """The customer of ``before`` calls again: a new ticket, admitted as a new arrival is."""
        desk = self.desk
        now = self.env.now
        team, _handle, draws = desk._recipe(before.channel, before.category)
        reply = self._retry_reply.get(before.category)
        j = before.journey
        assert j is not None
        ticket = Ticket(
            desk.arrived,
            before.channel,
            before.category,
            before.arrival_priority,
            desk.rank[before.arrival_priority],
            before.segment,
            now,
            before.concurrency,
            before.attributes,
            self._retry_patience[before.channel](),
            self._first_work(before.category, team),
            reply is not None and reply() < draws.reply_probability,
            journey=Journey(j.customer, j.contact + 1),
        )
        desk.admit_ticket(ticket, team)

    def _first_work(self, category: str, team: Team) -> float | None:
        """The first session's work of a retrial at ``team``; None where the team only triages the category."""
        key = (category, team.name)
        sampler = self._retry_handle.get(key)
        if sampler is None:
            dist = self.desk.categories[category].handle_time_for(team.name)
            if dist is None:  # the team lacks the category's skill: the team it moves the ticket to draws the work
                return None
            scaled = dist.scaled(team.spec.handle_time_multiplier)
            sampler = self._retry_handle[key] = self.desk.streams.sampler(Stream.RETRIAL_HANDLE.of(*key), scaled)
        return sampler()

    @staticmethod
    def journey(ticket: Ticket) -> Journey:
        """The ticket's journey record, made when first needed (a first contact: customer = its id)."""
        if ticket.journey is None:
            ticket.journey = Journey(ticket.id)
        return ticket.journey
