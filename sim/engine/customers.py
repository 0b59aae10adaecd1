"""The customer's side of a ticket: how long they wait on the line, and what they do while the desk waits on them.

A live customer waits with a patience: kept or drawn afresh each time they wait again
(``wait_again``), and when it runs out in a queue they hang up (``_give_up``, ``abandon``). A ticket
that needs the customer's reply waits on them, its SLA clocks paused where the policy says so, and
comes back to the team when they reply. It is apart from ``desk`` because it is the customer's
behaviour, not the desk's steps. ``CustomerWaits`` is a mixin of ``Desk``: the attributes and
methods of the desk it uses are declared on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import simpy

from sim.engine.kernel import Kernel
from sim.engine.records import Event, Exit, LogRow
from sim.engine.sla_policies import SlaPolicies
from sim.engine.streams import Sampler
from sim.engine.teams import Team
from sim.engine.tickets import Status, Task, Ticket, Wait
from sim.scenario.sla_spec import FirstResponseEnd

if TYPE_CHECKING:
    from sim.engine.callbacks import Journeys
    from sim.engine.escalator import Escalator

_ON_REPLY = FirstResponseEnd.REPLY


class CustomerWaits:
    """The desk's customers: patience in queues, abandonment, and waiting for a customer's reply."""

    env: Kernel
    record: Callable[[LogRow], None]
    sla: SlaPolicies
    escalator: Escalator
    journeys: Journeys | None
    teams: dict[str, Team]
    _fresh_patience: dict[tuple[str, str], Sampler]
    _reply_delay: dict[str, Sampler]
    _reply_handle: dict[tuple[str, str], Sampler]
    enqueue: Callable[[Ticket | Task, Team], None]
    leave_team: Callable[[Ticket, str], None]
    spend_extra: Callable[[Ticket], float]
    _finish: Callable[[Ticket], None]

    def wait_again(self, ticket: Ticket, kind: str) -> None:
        """A live ticket's customer is about to wait again (``kind``: a ``Wait``): the patience for it.

        After a transfer the customer keeps what is left of the contact's patience, or draws a fresh
        one if the channel says so; back in the same queue after a failed attempt, what is left; back
        after a reply or a reopening (a new contact), a fresh one.
        """
        if ticket.patience is None:
            return
        ticket.wait_kind = kind
        fresh = self._fresh_patience.get((ticket.channel, kind))
        if fresh is not None:
            ticket.patience = fresh()

    def _await_customer(self, ticket: Ticket, team: Team) -> None:
        """The team needs the customer's reply: the ticket waits on them (clocks paused as the policy says)."""
        now = self.env.now
        ticket.status = Status.PENDING
        ticket.needs_reply = False
        self.record((now, ticket.id, Event.PENDING_CUSTOMER, team.name, ""))
        if ticket.response_on == _ON_REPLY:
            self.sla.responded(ticket)
        pause = self.sla.wait_on_customer(ticket)
        delay = self._reply_delay[ticket.category]()
        self.env.timeout(delay).callbacks.append(partial(self._customer_replied, ticket, team, pause))

    def _customer_replied(self, ticket: Ticket, team: Team, paused: bool, _: simpy.Event) -> None:
        """The customer replied: clocks resume, and the ticket goes back to ``team`` (or on, if a rule moves it)."""
        now = self.env.now
        self.record((now, ticket.id, Event.CUSTOMER_REPLIED, team.name, ""))
        if paused:
            self.sla.customer_replied(ticket)
        if self.escalator.moves_later and self.escalator.move_on_reply(ticket, team):
            return
        reply_handle = self._reply_handle.get((ticket.category, team.name))
        ticket.next_work = reply_handle() if reply_handle else None
        self.wait_again(ticket, Wait.RETURN)
        self.enqueue(ticket, team)

    def _give_up(self, ticket: Ticket, stay: int, _: simpy.Event) -> None:
        """The customer's patience ran out: abandon if still in the queue stay ``stay`` (any live wait).

        A customer on hold during a warm handoff waits in the receiving queue: the sender is released.
        """
        if ticket.status != Status.WAITING or ticket.queue_seq != stay or ticket.queue_token < 0:
            return
        if ticket.journey is not None and ticket.journey.pending:  # waiting for a callback, not on the line
            return
        self.teams[ticket.team].withdraw(ticket)
        self.escalator.end_hold(ticket)
        self.abandon(ticket)

    def abandon(self, ticket: Ticket) -> None:
        """The contact ends abandoned (out of every queue already), for the cause in ``ticket.wait_kind``."""
        now = self.env.now
        ticket.status = Status.ABANDONED
        ticket.abandoned_at = now
        self.sla.abandoned(ticket)
        self.spend_extra(ticket)  # never worked: nothing left to spend it on
        self.record((now, ticket.id, Event.ABANDONED, ticket.team, ticket.wait_kind))
        self.leave_team(ticket, Exit.ABANDONED)
        if self.journeys is not None:
            self.journeys.abandoned(ticket)
        self._finish(ticket)
