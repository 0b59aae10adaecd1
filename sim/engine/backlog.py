"""The starting backlog: tickets already waiting in a team's queue at time 0, as on a Monday morning.

Each entry of ``initial_backlog`` puts ``count`` tickets of a category in a team's queue. Each has
already waited its ``age``: its arrival is ``-age``, so its wait, its ASA contribution and its SLA
clocks count the time before the start (a ticket 3 h old on a 24x7 clock has used 3 h of its
target). They join the queue at time 0 oldest first, before anything else happens, and take the ids
0, 1, … in that order. Their facts (age, priority, segment, attributes, whether a reply is needed,
first handle time) come from the entry's own streams, so the channels' arrivals are unchanged.
Backlog tickets are written requests: they never abandon, and the arrival rules (regulatory and
customer-value routing) do not move them: they wait where the entry puts them.
"""

from __future__ import annotations

from sim.engine.streams import Mix, Stream, Streams
from sim.engine.tickets import Ticket
from sim.scenario.spec import Scenario


def backlog_tickets(scenario: Scenario, streams: Streams, rank: dict[str, int]) -> list[tuple[Ticket, str]]:
    """The backlog's tickets, oldest first with ids 0, 1, …, each with the name of its team."""
    drafts = []
    for i, entry in enumerate(scenario.initial_backlog):
        key = str(i)
        category = scenario.category(entry.category)
        team = scenario.team(entry.team)
        channel_name = scenario.backlog_channel(entry)
        channel = next(c for c in scenario.channels if c.name == channel_name)
        ages = streams.sampler(Stream.BACKLOG_AGE.of(key), entry.age)
        priorities = Mix({entry.priority: 1.0} if entry.priority else category.priority or {scenario.priorities[-1]: 1})
        segments = Mix(category.segment or {scenario.segments[0]: 1.0})
        priority_u = streams.uniform(Stream.BACKLOG_PRIORITY.of(key))
        segment_u = streams.uniform(Stream.BACKLOG_SEGMENT.of(key))
        attributes = {
            name: streams.sampler(Stream.BACKLOG_ATTRIBUTE.of(key, name), dist)
            for name, dist in category.attributes.items()
        }
        reply = category.customer_reply
        reply_u = streams.uniform(Stream.BACKLOG_REPLY.of(key)) if reply else None
        handle_time = category.handle_time_for(team.name)  # none: the team lacks the skill and only triages
        handle = (
            streams.sampler(Stream.BACKLOG_HANDLE.of(key), handle_time.scaled(team.handle_time_multiplier))
            if handle_time is not None
            else None
        )
        for _ in range(entry.count):
            priority = priorities.only or priorities.pick(priority_u())
            drafts.append(
                (
                    -ages(),
                    channel,
                    priority,
                    segments.only or segments.pick(segment_u()),
                    {name: sampler() for name, sampler in attributes.items()},
                    handle() if handle is not None else None,
                    reply_u is not None and reply is not None and reply_u() < reply.probability,
                    entry,
                )
            )
    drafts.sort(key=lambda draft: draft[0])  # oldest first; stable: entry order, then draw order
    tickets = []
    for number, (arrival, channel, priority, segment, attrs, work, needs_reply, entry) in enumerate(drafts):
        ticket = Ticket(
            number,
            channel.name,
            entry.category,
            priority,
            rank[priority],
            segment,
            arrival,
            channel.concurrency,
            attrs,
            None,
            work,
            needs_reply,
        )
        tickets.append((ticket, entry.team))
    return tickets
