"""A team: agents who share one queue, ordered by priority, then the team's channel order, then arrival.

A ``Pool`` is the agent side (agents on duty, taking and releasing work, busy/staffed/overtime
levels); a ``Team`` is a queue plus the pool of its own agents, who serve only that queue. Agent
groups, pools that serve several teams' queues, are in ``sim.engine.groups``.

The team matches waiting tickets with free agents. An agent takes work with ``take``, or waits
for it with ``wait_for_work`` (a SimPy event that fires with a ticket, or with ``None`` when the
agent's shift ends first); a ticket joins with ``enqueue``. Tickets of concurrent channels (chat)
can be worked several at once by one agent, up to the channel's concurrency, and only alongside
other concurrent tickets (each slower by the channel's slowdown, see ``processes.ChatSession``).
Abandoned or moved tickets are dropped lazily when they reach the head. The team also records its
time-weighted levels: queue length, busy capacity (1/concurrency per chat held), agents on duty,
and those of them in overtime past their shift end. A team with shrinkage also records its agents
away (on duty but on a break, at lunch, in a meeting): ``step_away`` and ``come_back`` (driven by
``sim.engine.shrinkage``); an agent finishes the ticket in hand before it goes.
"""

from __future__ import annotations

import heapq
from itertools import count
from typing import TYPE_CHECKING

import simpy

from sim.engine.records import Levels
from sim.engine.tickets import Status, Task, Ticket
from sim.scenario.policy import channel_queue_order, queue_order
from sim.scenario.spec import TeamSpec

if TYPE_CHECKING:
    from sim.engine.agent_time import AgentTime

_WAITING = Status.WAITING
"""Read on every queue operation: a module constant, which Python caches (a class attribute it looks up)."""


class Agent:
    """One agent on duty: how many tickets it holds and whether its shift is over."""

    __slots__ = (
        "away",
        "away_due",
        "gone",
        "holds",
        "id",
        "idle_since",
        "limit",
        "load",
        "off_shift",
        "on_duty",
        "overtime",
        "paused",
        "time",
        "waiting",
    )

    def __init__(self, agent_id: int) -> None:
        self.id = agent_id
        self.load = 0
        self.limit = 1
        self.off_shift = False
        self.on_duty = True
        self.overtime = False
        """Whether the agent is past its shift end, finishing work it held when the shift ended."""
        self.waiting: simpy.Event | None = None
        """The agent's pending request for work, while it has one."""
        self.holds: list[simpy.Event] = []
        """The warm handoffs the agent holds the line for: the events a receiver's joining fires."""
        self.idle_since: tuple[float, int] = (0.0, 0)
        """When the agent last asked for work, and a tie-break: stamped only where agent groups share queues."""
        self.paused = False
        """Whether the agent takes no new work: its shift is over, or it is away or about to go."""
        self.away = ""
        """While the agent is away (shrinkage): the cause (break, lunch…); "" when not away."""
        self.away_due = ""
        """The cause of the away block the agent goes on once its hands are empty; "" when none is due."""
        self.gone: simpy.Event | None = None
        """Fires when the agent actually steps away for the block due (see ``Team.step_away``)."""
        self.time: AgentTime | None = None
        """The agent's time ledger, on a team that keeps per-agent records (``sim.engine.agent_time``)."""

    def can_take(self, ticket: Ticket | Task) -> bool:
        """Whether the agent can add ``ticket`` to what it holds (only chats alongside chats)."""
        if self.load == 0:
            return True
        return ticket.concurrency > 1 and self.limit > 1 and self.load < min(self.limit, ticket.concurrency)


class Pool:
    """Agents who share work: the agent side (duty, taking and releasing work) and its levels.

    A team's own agents form the pool named after the team, serving only its queue; an agent group
    (``sim.engine.groups``) is a pool serving several teams' queues. Each records its levels under
    its own name: busy capacity (1/concurrency per chat held), agents on duty, and those of them in
    overtime past their shift end.
    """

    def __init__(self, env: simpy.Environment, name: str, levels: Levels, away: bool = False) -> None:
        self.env = env
        self.name = name
        self._free: list[tuple[Agent, simpy.Event]] = []
        self._ids = count()
        self.busy = levels.recorder(name, "busy")
        self.staffed = levels.recorder(name, "staffed")
        self.overtime = levels.recorder(name, "overtime")
        self.away = levels.recorder(name, "away") if away else None
        """Agents on duty but away (only for a pool with shrinkage): agents available = staffed - away."""

    def new_agent(self) -> Agent:
        """An agent comes on duty (counted in the ``staffed`` level)."""
        self.staffed.change(self.env.now, 1)
        return Agent(next(self._ids))

    def wait_for_work(self, agent: Agent) -> simpy.Event:
        """An event that fires with the next ticket for this agent (None if its shift ends first).

        An agent away (or about to go) keeps its request, unlisted, until it comes back.
        """
        event = agent.waiting = self.env.event()
        if not agent.paused:
            self._free.append((agent, event))
        return event

    def release(self, agent: Agent, ticket: Ticket | Task) -> None:
        """The agent is done with ``ticket``; if it waits for more chats it may now take other work."""
        agent.load -= 1
        self.busy.change(self.env.now, -1.0 / ticket.concurrency)
        if agent.load == 0:
            agent.limit = 1
        waiting = agent.waiting
        if waiting is not None:
            nxt = self.take(agent)
            if nxt is not None:
                self._stop_waiting(agent, waiting).succeed(nxt)
        if agent.paused and agent.load == 0:
            self._hands_empty(agent)

    def _hands_empty(self, agent: Agent) -> None:
        """A paused agent has finished its last ticket: it leaves (shift over) or steps away (a block due)."""
        if agent.off_shift:
            self.leave(agent)
        elif agent.away_due and not agent.away:
            self._go_away(agent)

    def end_shift(self, agent: Agent) -> None:
        """The agent's shift is over: it takes no new work and leaves once its hands are empty.

        An agent still holding work stays on in overtime (the ``overtime`` level) until it leaves;
        an agent holding the line in a warm handoff stops holding (the transfer becomes cold).
        """
        listed = not agent.paused
        agent.off_shift = agent.paused = True
        if agent.away_due:  # the block it was due never starts: it goes home after the ticket in hand
            agent.away_due = ""
            assert agent.gone is not None
            agent.gone.succeed("")
        if agent.load and agent.on_duty:
            agent.overtime = True
            self.overtime.change(self.env.now, 1)
        waiting = agent.waiting
        if waiting is not None:
            if listed:
                self._stop_waiting(agent, waiting).succeed(None)
            else:  # away, or about to go: its request is not listed
                agent.waiting = None
                waiting.succeed(None)
        for hold in agent.holds:
            if not hold.triggered:
                hold.succeed(None)

    def _stop_waiting(self, agent: Agent, event: simpy.Event) -> simpy.Event:
        """Withdraw the agent's pending request ``event`` (its ``waiting``) and return it."""
        agent.waiting = None
        self._free.remove((agent, event))
        return event

    def leave(self, agent: Agent) -> None:
        """The agent goes off duty, once (counted in the ``staffed`` level)."""
        if agent.on_duty:
            if agent.away:
                self.come_back(agent)
            agent.on_duty = False
            self.staffed.change(self.env.now, -1)
            if agent.overtime:
                self.overtime.change(self.env.now, -1)

    def _assign(self, agent: Agent, ticket: Ticket | Task, now: float) -> None:
        ticket.queue_token = -1
        agent.load += 1
        if ticket.concurrency > 1:
            agent.limit = ticket.concurrency if agent.load == 1 else min(agent.limit, ticket.concurrency)
        self.busy.change(now, 1.0 / ticket.concurrency)

    # -- shrinkage: time on duty away from the queue ---------------------------------------------------
    def step_away(self, agent: Agent, cause: str) -> simpy.Event:
        """The agent is due an away block (``cause``: break, lunch…): it takes no new work from now.

        Returns an event that fires when it actually goes: at once with empty hands, else when it
        has finished what it holds (``release``). Its request for work, if any, is withdrawn meanwhile.
        """
        gone = agent.gone = self.env.event()
        agent.away_due = cause
        listed = not agent.paused
        agent.paused = True
        if listed and agent.waiting is not None:
            self._free.remove((agent, agent.waiting))
        if agent.load == 0:
            self._go_away(agent)
        return gone

    def _go_away(self, agent: Agent) -> None:
        now = self.env.now
        agent.away, agent.away_due = agent.away_due, ""
        assert self.away is not None  # only a team with shrinkage sends agents away
        self.away.change(now, 1)
        if agent.time is not None:
            agent.time.away_from(now, agent.away)
        assert agent.gone is not None
        agent.gone.succeed(agent.away)

    def come_back(self, agent: Agent) -> None:
        """The agent's away block is over: it is available again (unless its shift is over)."""
        if not agent.away:
            return
        now = self.env.now
        assert self.away is not None
        self.away.change(now, -1)
        if agent.time is not None:
            agent.time.back(now)
        agent.away = ""
        if agent.off_shift:
            return
        agent.paused = False
        waiting = agent.waiting
        if waiting is not None:
            nxt = self.take(agent)
            if nxt is None:
                self._free.append((agent, waiting))
            else:
                agent.waiting = None
                waiting.succeed(nxt)

    def take(self, agent: Agent) -> Ticket | Task | None:
        """The next waiting work for ``agent``, if any (assigned to it), else None."""
        raise NotImplementedError

    def serving(self, item: Ticket | Task) -> tuple[Team, float]:
        """The team whose queue ``item`` came from, and this pool's handle-time factor there."""
        raise NotImplementedError


class Team(Pool):
    """The queue of one team, ordered by priority, then channel order, then arrival; and its own agents."""

    def __init__(self, env: simpy.Environment, spec: TeamSpec, levels: Levels, numbers: count[int]) -> None:
        self.queue = levels.recorder(spec.name, "queue")
        super().__init__(env, spec.name, levels, away=spec.shrinkage is not None)
        self.spec = spec
        self._exclusive: list[tuple] = []
        self._concurrent: list[tuple] = []
        self._seq = numbers
        """Queue numbers, shared by all teams of a run: a ticket's number names its stay in a queue."""
        self._channel_rank = {name: i for i, name in enumerate(spec.channel_order)} or None
        """Place of each listed channel in the team's channel order; None when the team orders none."""
        self._serving = (self, 1.0)

    def serving(self, item: Ticket | Task) -> tuple[Team, float]:
        """The team itself, at its own pace (its own agents serve only its queue)."""
        return self._serving

    def enqueue(self, ticket: Ticket | Task, now: float) -> bool:
        """Hand the ticket (come ``now``) to a free agent who can take it (True), or let it wait in queue (False)."""
        ticket.team = self.name
        ticket.status = _WAITING
        ticket.queued_at = now
        for i, (agent, event) in enumerate(self._free):
            if agent.load == 0 or (agent.can_take(ticket) and not self._exclusive_waits_ahead(ticket)):
                del self._free[i]
                agent.waiting = None
                self._assign(agent, ticket, now)
                event.succeed(ticket)
                return True
        ticket.queue_seq = next(self._seq)
        self._push(ticket)
        self.queue.change(now, 1)
        return False

    def reprioritise(self, ticket: Ticket) -> None:
        """A waiting ticket's priority changed: it takes its new place, keeping its arrival order."""
        self._push(ticket)

    def _push(self, ticket: Ticket | Task) -> None:
        token = ticket.queue_token = next(self._seq)
        heap = self._concurrent if ticket.concurrency > 1 else self._exclusive
        if self._channel_rank is None:
            heapq.heappush(heap, (*queue_order(ticket.rank, ticket.queue_seq), token, ticket))
        else:
            order = channel_queue_order(ticket.rank, self._channel_place(ticket), ticket.queue_seq)
            heapq.heappush(heap, (*order, token, ticket))

    def _channel_place(self, item: Ticket | Task) -> int:
        """The place of the item's channel in the team's order (a task takes its ticket's); unlisted: last."""
        ranks = self._channel_rank
        assert ranks is not None
        channel = item.channel if isinstance(item, Ticket) else item.ticket.channel
        return ranks.get(channel, len(ranks))

    def withdraw(self, ticket: Ticket | Task) -> None:
        """A waiting ticket leaves the queue (abandonment); its heap entry is dropped later."""
        ticket.queue_token = -1
        self.queue.change(self.env.now, -1)

    def oldest_wait(self) -> float:
        """How long the longest-waiting item in the queue has waited so far (0 when none waits)."""
        live = [e[-1].queued_at for heap in (self._exclusive, self._concurrent) for e in heap if _current(e)]
        return self.env.now - min(live) if live else 0.0

    def _exclusive_waits_ahead(self, ticket: Ticket | Task) -> bool:
        """Whether a waiting exclusive ticket (phone, email) would be served before the new ``ticket``."""
        exclusive = self._exclusive
        _drop_stale(exclusive)
        if not exclusive:
            return False
        if self._channel_rank is None:
            return bool(exclusive[0][0] <= ticket.rank)
        return bool(exclusive[0][:2] <= (ticket.rank, self._channel_place(ticket)))

    def take(self, agent: Agent) -> Ticket | Task | None:
        """Pop the team's next ticket in queue order, if this agent can take it.

        An agent holding chats takes no new chat while an exclusive ticket is ahead of it in the
        queue: it finishes its chats and then takes that ticket, so chats cannot starve calls.
        """
        if agent.paused:
            return None
        exclusive, concurrent = self._exclusive, self._concurrent
        if exclusive:
            _drop_stale(exclusive)
        if concurrent:
            _drop_stale(concurrent)
        if exclusive and (not concurrent or exclusive[0] < concurrent[0]):
            best_heap = exclusive
        elif concurrent:
            best_heap = concurrent
        else:
            return None
        ticket = best_heap[0][-1]
        if agent.load and not agent.can_take(ticket):
            return None
        heapq.heappop(best_heap)
        now = self.env.now
        self.queue.change(now, -1)
        self._assign(agent, ticket, now)
        return ticket


def _current(entry: tuple) -> bool:
    """Whether a heap entry still stands for its ticket's place in the queue."""
    return bool(entry[-1].queue_token == entry[-2] and entry[-1].status == _WAITING)


def _drop_stale(heap: list[tuple]) -> None:
    """Pop heap entries whose ticket has left the queue or been re-queued (lazy deletion)."""
    while heap and (heap[0][-1].queue_token != heap[0][-2] or heap[0][-1].status != _WAITING):
        heapq.heappop(heap)
