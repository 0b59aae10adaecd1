"""Agent groups: cross-trained agents shared between team queues (skills-based routing).

A ``Group`` is a pool of agents (``teams.Pool``) serving one or more teams' queues, each with a
priority (which queue its agents serve first), a proficiency (a handle-time factor) and maybe an
overflow threshold (``after``: the group takes that queue's tickets only once they have waited
that long). A team that some group serves is a ``SharedTeam``: its queue is offered both to its
own agents and to the groups' agents. Teams no group serves stay plain ``Team``s, so a scenario
without agent groups runs the queue code it ran before and gives the same records.

Work order of a group agent (``policy.shared_work_order``): the group's queue priority, then the
ticket's priority, then its team's channel order, then the order tickets joined their queues. At an
overflow queue only tickets that have waited ``after`` or longer count: the first of those in the
team's order (the oldest-eligible head), not the queue's head. A new ticket (or one that has just
become eligible for an overflow group) goes to the free agent the scenario's ``agent_selection``
prefers (``policy.agent_preference``). A ticket never leaves its team's queue to overflow: it
becomes eligible for more agents, and whichever eligible agent is free first takes it.
"""

from __future__ import annotations

from functools import partial
from itertools import count

import simpy

from sim.engine.records import Levels
from sim.engine.teams import Agent, Pool, Team, _drop_stale
from sim.engine.tickets import Status, Task, Ticket
from sim.scenario.policy import agent_preference, shared_work_order
from sim.scenario.spec import AgentGroupSpec, TeamSpec


class Sharing:
    """What the pools of a run share: the agent-selection policy, the idle order, who served each stay."""

    def __init__(self, env: simpy.Environment, selection: str) -> None:
        self.env = env
        self.selection = selection
        self._order = count()
        self.served: dict[Ticket, str] = {}
        """The pool whose agent first picked each ticket up in its current stay (cleared when the stay ends)."""

    def stamp(self, agent: Agent) -> None:
        """The agent asks for work now: it is idle from now on (ties broken by who asked first)."""
        agent.idle_since = (self.env.now, next(self._order))

    def note(self, item: Ticket | Task, pool: str) -> None:
        """``pool``'s agent picks ``item`` up (only the first pick-up of a ticket's stay counts)."""
        if isinstance(item, Ticket):
            self.served.setdefault(item, pool)


class SharedTeam(Team):
    """A team whose queue agent groups serve too: new tickets go to the preferred free agent of any of them."""

    def __init__(
        self, env: simpy.Environment, spec: TeamSpec, levels: Levels, numbers: count[int], sharing: Sharing
    ) -> None:
        super().__init__(env, spec, levels, numbers)
        self.sharing = sharing
        self.servers: list[tuple[Pool, float, float]] = [(self, 1.0, 0.0)]
        """Every pool serving this queue: (pool, its proficiency factor here, its overflow threshold)."""
        self._thresholds: list[float] = []

    def add_server(self, pool: Pool, proficiency: float, after: float) -> None:
        """An agent group serves this queue (from ``after`` minutes of waiting on, if above 0)."""
        self.servers.append((pool, proficiency, after))
        self._thresholds = sorted({a for _, _, a in self.servers if a > 0})

    def place(self, item: Ticket | Task) -> int:
        """The item's place in the team's channel order (0 when the team orders none)."""
        return 0 if self._channel_rank is None else self._channel_place(item)

    def enqueue(self, ticket: Ticket | Task, now: float) -> bool:
        """Give the ticket (come ``now``) to the preferred free agent of a serving pool (True), else queue it."""
        ticket.team = self.name
        ticket.status = Status.WAITING
        ticket.queued_at = now
        if self._offer(ticket, 0.0, now):
            return True
        ticket.queue_seq = next(self._seq)
        self._push(ticket)
        self.queue.change(now, 1)
        for after in self._thresholds:
            self.env.timeout(after).callbacks.append(partial(self._overflow, ticket, ticket.queue_seq, after))
        return False

    def _overflow(self, ticket: Ticket | Task, stay: int, after: float, _: simpy.Event) -> None:
        """The ticket has waited ``after``: it is offered to the free agents of the groups it now may go to."""
        if ticket.status != Status.WAITING or ticket.queue_seq != stay or ticket.queue_token < 0:
            return
        if ticket.team != self.name:
            return
        if self._offer(ticket, after, self.env.now):
            self.queue.change(self.env.now, -1)

    def _offer(self, ticket: Ticket | Task, waited: float, now: float) -> bool:
        """Give ``ticket`` to the preferred free agent allowed to take it after ``waited`` (True), if any."""
        best: tuple | None = None
        chosen: tuple[Pool, Agent, simpy.Event] | None = None
        selection = self.sharing.selection
        for pool, proficiency, after in self.servers:
            if after > waited:
                continue
            for agent, event in pool._free:
                if agent.can_take(ticket) and (agent.load == 0 or not self._exclusive_waits_ahead(ticket)):
                    key = agent_preference(selection, proficiency, agent.idle_since)
                    if best is None or key < best:
                        best, chosen = key, (pool, agent, event)
        if chosen is None:
            return False
        pool, agent, event = chosen
        pool._free.remove((agent, event))
        agent.waiting = None
        pool._assign(agent, ticket, now)
        if isinstance(pool, Group):
            pool.came_from(ticket, self)
        self.sharing.note(ticket, pool.name)
        event.succeed(ticket)
        return True

    def wait_for_work(self, agent: Agent) -> simpy.Event:
        """An event that fires with the agent's next ticket; the agent is idle from now on."""
        self.sharing.stamp(agent)
        return super().wait_for_work(agent)

    def take(self, agent: Agent) -> Ticket | Task | None:
        """The team's next ticket for one of its own agents (they serve only this queue)."""
        ticket = super().take(agent)
        if ticket is not None:
            self.sharing.note(ticket, self.name)
        return ticket

    def head(self, after: float, now: float) -> Ticket | Task | None:
        """The first waiting ticket in the team's order that has waited at least ``after`` (None: none)."""
        exclusive, concurrent = self._exclusive, self._concurrent
        _drop_stale(exclusive)
        _drop_stale(concurrent)
        if after <= 0:
            if exclusive and (not concurrent or exclusive[0] < concurrent[0]):
                return exclusive[0][-1]
            return concurrent[0][-1] if concurrent else None
        best: tuple | None = None
        for heap in (exclusive, concurrent):
            for entry in heap:
                item = entry[-1]
                if (
                    item.queue_token == entry[-2]
                    and item.status == Status.WAITING
                    and item.queued_at + after <= now
                    and (best is None or entry[:-1] < best[:-1])
                ):
                    best = entry
        return None if best is None else best[-1]


class Group(Pool):
    """Cross-trained agents serving several team queues, in the group's order of queues."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: AgentGroupSpec,
        levels: Levels,
        teams: dict[str, SharedTeam],
        sharing: Sharing,
    ) -> None:
        super().__init__(env, spec.name, levels, away=spec.shrinkage is not None)
        self.spec = spec
        self.sharing = sharing
        self.lanes = [(teams[q.team], q.priority, q.after or 0.0) for q in spec.serves]
        """(team, queue priority, overflow threshold) of each queue the group serves."""
        self.proficiency = {q.team: q.proficiency for q in spec.serves}
        self._from: dict[Ticket | Task, Team] = {}
        for q in spec.serves:
            teams[q.team].add_server(self, q.proficiency, q.after or 0.0)

    def came_from(self, item: Ticket | Task, team: Team) -> None:
        """An agent of the group was given ``item`` from ``team``'s queue."""
        self._from[item] = team

    def serving(self, item: Ticket | Task) -> tuple[Team, float]:
        """The team whose queue the group's agent took ``item`` from, and the group's proficiency there."""
        team = self._from.pop(item)
        return team, self.proficiency[team.name]

    def wait_for_work(self, agent: Agent) -> simpy.Event:
        """An event that fires with the agent's next ticket; the agent is idle from now on."""
        self.sharing.stamp(agent)
        return super().wait_for_work(agent)

    def take(self, agent: Agent) -> Ticket | Task | None:
        """The best eligible waiting ticket over the group's queues (``policy.shared_work_order``)."""
        if agent.paused:
            return None
        now = self.env.now
        best: Ticket | Task | None = None
        best_key: tuple | None = None
        source: SharedTeam | None = None
        for team, priority, after in self.lanes:
            item = team.head(after, now)
            if item is None:
                continue
            key = shared_work_order(priority, item.rank, team.place(item), item.queue_seq)
            if best_key is None or key < best_key:
                best, best_key, source = item, key, team
        if best is None or source is None or (agent.load and not agent.can_take(best)):
            return None
        source.queue.change(now, -1)
        self._assign(agent, best, now)
        self._from[best] = source
        self.sharing.note(best, self.name)
        return best
