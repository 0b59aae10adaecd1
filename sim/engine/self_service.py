"""Self-service in front of the agents: an IVR or a help-centre bot takes a share of the contacts.

A contact of a category with ``self_service``, on a channel that offers it, tries self-service with
probability ``share``. Self-service resolves it (the contact is *contained*), or with probability
``fail`` it does not: after ``delay`` in self-service the contact reaches an agent as a new ticket,
whose first session takes ``extra_handle_time`` longer. A contained contact never becomes a ticket,
so the agents' KPIs (ASA, service level, FCR, ``arrived``) count only the contacts agents saw; a
failed one's ticket arrives when it reaches the agents' queue, as an ACD starts counting a call
when the IVR hands it over.

Every attempt has one row in the self-service table: the contact, its channel and category, when it
entered self-service, how it ended (``ContactOutcome``), when it left, the ticket it became (-1:
none) and the extra handle time. Each decision and duration draws from its own stream.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import simpy

from sim.core.names import Names
from sim.engine.demand import ChannelDemand
from sim.engine.records import NAN, Columns
from sim.engine.streams import Sampler, Stream, Streams
from sim.engine.tickets import Ticket
from sim.scenario.spec import Scenario

SELF_SERVICE_COLUMNS = {
    "contact": "i",
    "channel": "c",
    "category": "c",
    "arrival": "f",
    "outcome": "c",
    "left": "f",
    "ticket": "i",
    "extra_handle_time": "f",
}
"""One row per self-service attempt (see the module's description)."""


class ContactOutcome(Names):
    """How a self-service attempt ends."""

    CONTAINED = "contained"
    """Resolved in self-service: no agent sees it."""
    TO_AGENT = "to_agent"
    """Self-service failed; the contact reached an agent as a ticket."""
    IN_SELF_SERVICE = "in_self_service"
    """Self-service failed, but the contact was still in it at the horizon."""


OpenTicket = Callable[[ChannelDemand, str, float, float], Ticket]
"""The desk's ``open_ticket(demand, category, now, extra_work)``: a new ticket goes to its first team."""


class _Offer:
    """Self-service of one category: its share, failure rate and draws."""

    __slots__ = ("delay", "extra", "fail", "fails", "share", "tries")

    def __init__(self, category: str, spec: Scenario, streams: Streams) -> None:
        ss = spec.category(category).self_service
        assert ss is not None
        self.share = ss.share
        self.fail = ss.fail
        self.tries = streams.uniform(Stream.SELF_SERVICE.of(category))
        self.fails = streams.uniform(Stream.SELF_SERVICE_FAIL.of(category))
        self.delay = streams.sampler(Stream.SELF_SERVICE_DELAY.of(category), ss.delay)
        self.extra: Sampler | None = (
            streams.sampler(Stream.SELF_SERVICE_EXTRA.of(category), ss.extra_handle_time)
            if ss.extra_handle_time is not None
            else None
        )


def offers_self_service(scenario: Scenario) -> bool:
    """Whether any category's contacts may try self-service (else the desk admits as before)."""
    return any(c.self_service is not None and c.self_service.share > 0 for c in scenario.categories)


class SelfServiceFront:
    """Self-service in front of the desk: admits contacts, contains some, sends the others on later."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, streams: Streams, open_ticket: OpenTicket) -> None:
        self.env = env
        self.open_ticket = open_ticket
        self.offers: dict[tuple[str, str], _Offer] = {}
        for c in scenario.categories:
            if c.self_service is None or c.self_service.share <= 0:
                continue
            offer = _Offer(c.name, scenario, streams)
            for channel in c.self_service.channels or [ch.name for ch in scenario.channels]:
                self.offers[channel, c.name] = offer
        self.table = Columns(SELF_SERVICE_COLUMNS)
        self.table.declare("outcome", ContactOutcome.all())
        self.pending: dict[int, tuple[str, str, float, float]] = {}
        """Failed contacts still in self-service: contact -> (channel, category, arrival, extra handle time)."""
        self.contacts = 0

    def admit(self, demand: ChannelDemand, now: float) -> None:
        """A contact arrives: self-service takes it, or it becomes a ticket at once."""
        category = demand.category_at(now)
        offer = self.offers.get((demand.name, category))
        if offer is None or offer.tries() >= offer.share:
            self.open_ticket(demand, category, now, 0.0)
            return
        contact = self.contacts
        self.contacts += 1
        if offer.fails() >= offer.fail:
            self.table.add((contact, demand.name, category, now, ContactOutcome.CONTAINED, now, -1, 0.0))
            return
        extra = offer.extra() if offer.extra is not None else 0.0
        self.pending[contact] = (demand.name, category, now, extra)
        timeout = self.env.timeout(offer.delay())
        timeout.callbacks.append(partial(self._reach_agent, demand, contact))

    def _reach_agent(self, demand: ChannelDemand, contact: int, _: simpy.Event) -> None:
        channel, category, arrival, extra = self.pending.pop(contact)
        now = self.env.now
        ticket = self.open_ticket(demand, category, now, extra)
        self.table.add((contact, channel, category, arrival, ContactOutcome.TO_AGENT, now, ticket.id, extra))

    def close(self) -> None:
        """At the horizon: the failed contacts still in self-service get their rows."""
        for contact, (channel, category, arrival, extra) in sorted(self.pending.items()):
            self.table.add((contact, channel, category, arrival, ContactOutcome.IN_SELF_SERVICE, NAN, -1, extra))
        self.pending.clear()
