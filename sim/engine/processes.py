"""SimPy plumbing: agents, their sessions and shift rosters.

These move time forward and hand tickets around; every decision (which team, what happens after
a work session) is asked of the desk, which consults the pure functions of
``sim.scenario.policy``. Nothing here computes a statistic: the desk emits records.

An agent on duty (``AgentLoop``) and a plain chat session (``ChatSession``) are no processes but
events whose callbacks run in the places a process's initialisation, resumptions and timeouts
would have fired, so the event order (and every record) is that of a process per agent and per
chat, without their generators. What an agent stays on for (a warm handoff, a swarm consult, a
hold for a sign-off) is a generator, run as a process.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any, Protocol

import simpy
from simpy.core import NORMAL, URGENT

from sim.engine.kernel import Kernel
from sim.engine.teams import Agent, Pool, Team
from sim.engine.tickets import Task, Ticket
from sim.scenario.rota import DutyBlock

Process = Generator[simpy.Event, Any, None]
"""A SimPy process; what a ``yield`` receives is the fired event's value, which SimPy does not type."""


class WorkDesk(Protocol):
    """What agents need from the desk: how long a session takes, and what follows it."""

    def begin_work(self, item: Ticket | Task, team: Team) -> float:
        """An agent of ``team`` picks ``item`` up; returns the time the session takes."""

    def end_work(self, item: Ticket | Task, team: Team, work: float, agent: Agent) -> Process | None:
        """``agent``'s session is over; returns a process the agent stays on for, if any."""

    def chat_slowdown(self, item: Ticket | Task) -> float:
        """Handle-time increase per other chat the agent holds (the channel's ``concurrency_slowdown``)."""


class AgentLoop(simpy.Event):
    """An agent on duty, as callbacks: take the next ticket its pool offers, work it, repeat until the shift ends.

    ``team`` is the agent's pool: its team's own agents, or an agent group serving several queues.
    ``serve`` and ``chat`` run a session of an exclusive and of a concurrent ticket as processes
    (``sim.engine.agent_time`` adds after-call work to them); without them the plain sessions run.

    The loop is what a process per agent would run, with each resumption a plain callback: the
    agent starts where that process would be initialised, waits for work on its pool's event, and
    times each plain session with this one event, rescheduled where the process's timeout would
    fire. What the agent stays on for (a warm handoff, a swarm consult) and sessions with
    after-call work are generators, run by ``Kernel.process_now`` from the moment they start, as
    ``yield from`` would run them; their last step carries the loop on. So the event order, and
    every record, is that of the process, without a generator resumption per wait.

    In a plain session, the team whose queue the item came from owns the rules; the agent's pool
    sets the pace (the handle time x the pool's proficiency factor at that queue). A plain chat
    session runs beside the loop, as it must while the agent takes more chats, as a ``ChatSession``.
    """

    env: Kernel
    item: Ticket | Task
    """The item of the plain session in progress."""
    queue: Team
    """The team whose queue that item came from."""
    work: float
    """That session's minutes."""

    def __init__(
        self, env: Kernel, desk: WorkDesk, team: Pool, me: Agent, serve: Serve | None = None, chat: Serve | None = None
    ) -> None:
        self.env = env  # fired, with no value, at the end of each plain session
        self.callbacks = []
        self._ok = True
        self._value = None
        self.desk, self.team, self.me, self.serve, self.chat = desk, team, me, serve, chat
        self._end_only: list[Callable[[simpy.Event], None]] = [self._end]
        self._given = self._take_given  # bound once: the agent hangs it on its pool's event at every wait
        env.call_soon(self._next)  # where a process's initialisation would fire

    def _next(self, _: object = None) -> None:
        """Take work until the agent must wait for some, or its shift is over."""
        me, team = self.me, self.team
        while not me.off_shift:
            item = team.take(me)
            if item is None:
                team.wait_for_work(me).callbacks.append(self._given)
                return
            if not self._begin(item):
                return
        self._off()

    def _take_given(self, event: simpy.Event) -> None:
        """The pool handed the waiting agent an item, or None: its shift ended first."""
        item = event._value
        if item is None:
            self._off()
        elif self._begin(item):
            self._next()

    def _begin(self, item: Ticket | Task) -> bool:
        """Start work on ``item``; whether the agent is free to take more at once (a chat runs beside)."""
        env, desk, team, me = self.env, self.desk, self.team, self.me
        if item.concurrency > 1:
            if self.chat is None:
                ChatSession(env, desk, team, me, item)
            else:
                env.process(self.chat(env, desk, team, me, item))
            return True
        if self.serve is not None:
            env.process_now(self._then_next(self.serve(env, desk, team, me, item)))
            return False
        queue, factor = team.serving(item)
        work = desk.begin_work(item, queue) * factor
        if work < 0:
            raise ValueError(f"Negative delay {work}")
        self.item, self.queue, self.work = item, queue, work
        self.callbacks = self._end_only
        env.schedule(self, NORMAL, work)  # as ``timeout(work)`` would be
        return False

    def _end(self, _: simpy.Event) -> None:
        """The plain session is over: the agent lets the item go, or first stays on for what the desk returns."""
        item = self.item
        stay = self.desk.end_work(item, self.queue, self.work, self.me)
        if stay is not None:
            self.env.process_now(self._then_next(stay_on(stay, self.team, self.me, item)))
            return
        self.team.release(self.me, item)
        self._next()

    def _then_next(self, session: Process) -> Process:
        """Run ``session`` (the agent's own process from now), then carry the loop on."""
        yield from session
        self._next()

    def _off(self) -> None:
        """The loop is over (the shift ended): an agent with empty hands leaves now, else at its last release."""
        if self.me.load == 0:
            self.team.leave(self.me)


Serve = Callable[[simpy.Environment, Any, Any, Agent, Ticket | Task], Process]
"""A work session of an agent on one ticket or task, as a process (a session with after-call work)."""


class ChatSession(simpy.Event):
    """A plain session of a concurrent ticket (chat), run by two callbacks of one event instead of a process.

    An agent holds several chats at once, so each chat's session runs alongside the agent's loop:
    as a process it would cost a generator, an initialisation, a timeout and a completion event
    per chat. This one event fires twice, in the places of the process's events: first where the
    process would start (urgent, now), to begin the work; then where its timeout would fire, to
    end it. The work is slower by the channel's slowdown per other chat held: the factor is fixed
    when the session starts, from the chats the agent holds then (this one included),
    1 + slowdown x (held - 1); chats that join or end later do not change it.
    """

    env: Kernel
    queue: Team
    """The team whose queue the chat came from (set when the session begins)."""
    work: float
    """The session's minutes (set when it begins)."""

    def __init__(self, env: Kernel, desk: WorkDesk, team: Pool, me: Agent, item: Ticket | Task) -> None:
        self.env = env  # fired, with no value, each time it is scheduled (as a timeout)
        self.callbacks = [self._begin]
        self._ok = True
        self._value = None
        self.desk, self.team, self.me, self.item = desk, team, me, item
        env.schedule(self, URGENT)

    def _begin(self, _: simpy.Event) -> None:
        """The agent starts on the chat: draw the work, slowed by the other chats held, and time its end."""
        desk, item = self.desk, self.item
        self.queue, factor = self.team.serving(item)
        self.work = desk.begin_work(item, self.queue) * factor * (1.0 + desk.chat_slowdown(item) * (self.me.load - 1))
        self.callbacks = [self._end]
        self.env.schedule(self, NORMAL, self.work)  # as ``timeout(work)`` would be

    def _end(self, _: simpy.Event) -> None:
        """The session is over: the agent lets the chat go, or first stays on for what the desk returns."""
        stay = self.desk.end_work(self.item, self.queue, self.work, self.me)
        if stay is None:
            self.team.release(self.me, self.item)
        else:
            self.env.process_now(stay_on(stay, self.team, self.me, self.item))


def stay_on(stay: Process, team: Pool, me: Agent, item: Ticket | Task) -> Process:
    """The agent stays on for ``stay`` (a warm handoff, a swarm consult), then lets ``item`` go."""
    yield from stay
    team.release(me, item)


def warm_handoff(
    sender: Agent,
    join: simpy.Event,
    max_hold: float | None,
    held: Callable[[float, float], None],
    gave_up: Callable[[float, float], None],
) -> Process:
    """The sending agent stays on the line until a receiving agent joins, then briefs them.

    ``join`` fires with the briefing time when a receiver picks the ticket up, or with None when the
    hold ends without one: the customer hung up, or the sender's shift ended (``Team.end_shift``).
    The sender also stops holding after ``max_hold`` minutes (None: no limit). ``held`` or
    ``gave_up`` is called with the start of the hold and the minutes the sender spent on it.
    """
    env = join.env
    started = env.now
    sender.holds.append(join)
    if max_hold is None:
        yield join
    else:
        yield join | env.timeout(max_hold)
    sender.holds.remove(join)
    if join.triggered and join.value is not None:
        yield env.timeout(join.value)
        held(started, env.now - started)
    else:
        gave_up(started, env.now - started)


def swarm(
    env: simpy.Environment,
    consult_started: simpy.Event,
    consult_done: simpy.Event,
    max_wait: float,
    consulted: Callable[[float], Process | None],
    fallback: Callable[[float], Process | None],
) -> Process:
    """The agent keeps the ticket and waits briefly for an expert; they consult, else the ticket transfers.

    ``consult_started`` and ``consult_done`` fire when an expert starts and finishes the consult.
    ``consulted`` or ``fallback`` is called with the minutes the agent held the ticket; either may
    return a process the agent stays on for (a warm transfer after a failed consult, or a fallback).
    """
    started = env.now
    outcome = yield consult_started | env.timeout(max_wait)
    if consult_started in outcome:
        yield consult_done
        then = consulted(env.now - started)
    else:
        then = fallback(env.now - started)
    if then is not None:
        yield from then


def hold(done: simpy.Event, then: Callable[[float], None]) -> Process:
    """The agent keeps the ticket until ``done`` fires (a supervisor's sign-off), then ``then(minutes held)``."""
    started = done.env.now
    yield done
    then(done.env.now - started)


def roster(env: Kernel, desk: WorkDesk, team: Pool, blocks: list[DutyBlock]) -> Process:
    """Bring agents on duty block by block; at a block's end they finish the ticket in hand and leave."""
    for on, off, count in sorted(blocks):
        if on > env.now:
            yield env.timeout(on - env.now)
        crew = [team.new_agent() for _ in range(count)]
        for member in crew:
            AgentLoop(env, desk, team, member)
        if off != float("inf"):
            end = env.timeout(off - env.now)
            end.callbacks.append(partial(end_shifts, team, crew))


def end_shifts(team: Pool, crew: list[Agent], _: simpy.Event) -> None:
    """A duty block is over: each of its agents finishes the ticket in hand and leaves."""
    for member in crew:
        team.end_shift(member)
