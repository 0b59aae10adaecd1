"""Per-agent time records and after-call work: where each agent's rostered time went.

A team that models agent time (a scenario with after-call work on some channel, or a team with a
``shrinkage`` spec) is ``Tracked``: each agent of each duty block (one shift's agents on one
day) keeps an ``AgentTime`` ledger, clipped to the KPI window [warm-up, horizon). Its row in the
agents table splits the agent's time exactly:

    on duty  = busy + wrap + idle + away (break, lunch, meeting, coaching)
    rostered = on duty - overtime + absence

``busy`` is working tickets (a chat counts 1/concurrency of the agent, as in the team's ``busy``
level), ``wrap`` after-call work, ``idle`` on duty, available and without work. Teams that model
none of this are plain ``Team``s: no per-ticket bookkeeping is added to their runs.

After-call work (``channels[].after_call_work``): after each agent session on a ticket of that
channel (and after any stay the session leads to, such as a warm handoff) the agent stays on the
ticket for a wrap-up drawn from its own stream; no customer is served, the slot (a chat's slot for
a chat) stays taken, so utilisation counts it and the next pick-up waits for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import pandas as pd
import simpy

from sim.core.names import Names
from sim.engine.groups import Group, SharedTeam
from sim.engine.processes import Process, WorkDesk
from sim.engine.records import Columns
from sim.engine.teams import Agent, Pool, Team
from sim.engine.tickets import Task, Ticket
from sim.scenario.shrinkage import ShrinkageSpec


class Cause(Names):
    """Why a rostered agent is not available to take work (the shrinkage causes)."""

    BREAK = "break"
    LUNCH = "lunch"
    MEETING = "meeting"
    COACHING = "coaching"
    ABSENCE = "absence"


AWAY_CAUSES = (Cause.BREAK, Cause.LUNCH, Cause.MEETING, Cause.COACHING)
"""The causes of time on duty spent away; absence is a whole shift missed."""

AGENT_COLUMNS = {
    "team": "c",
    "agent": "i",
    "shift_start": "f",
    "shift_end": "f",
    "absent": "i",
    "rostered": "f",
    "on_duty": "f",
    "busy": "f",
    "wrap": "f",
    "idle": "f",
    "overtime": "f",
    **{f"away_{cause}": "f" for cause in AWAY_CAUSES},
    "absence": "f",
}
"""One row per agent per duty block: its shift, and its minutes in the KPI window by state."""


def empty_agents() -> pd.DataFrame:
    """The agents table of a run that keeps no per-agent records."""
    return Columns(AGENT_COLUMNS).frame()


class AgentTime:
    """One agent's ledger for one duty block: minutes by state, clipped to the window [start, end)."""

    __slots__ = (
        "absent",
        "agent",
        "away",
        "away_cause",
        "away_since",
        "busy",
        "end",
        "held",
        "left",
        "on",
        "on_duty",
        "shift_end",
        "shift_start",
        "since",
        "start",
        "team",
        "wrap",
        "wrapping",
    )

    def __init__(
        self, team: str, agent: int, shift: tuple[float, float], window: tuple[float, float], absent: bool = False
    ) -> None:
        self.team, self.agent, self.absent = team, agent, absent
        self.shift_start, self.shift_end = shift
        self.start, self.end = window
        self.on = self.since = self.left = self._clip(shift[0])
        self.on_duty = not absent
        self.held = 0.0
        """Capacity the agent holds now (1/concurrency per ticket, wrap-ups included)."""
        self.wrapping = 0.0
        """Of which in wrap-up."""
        self.busy = self.wrap = 0.0
        self.away = dict.fromkeys(AWAY_CAUSES, 0.0)
        self.away_cause = ""
        self.away_since = 0.0

    def _clip(self, t: float) -> float:
        return min(max(t, self.start), self.end)

    def _settle(self, now: float) -> None:
        t = self._clip(now)
        span = t - self.since
        if span:
            self.busy += span * (self.held - self.wrapping)
            self.wrap += span * self.wrapping
        self.since = t

    def hold(self, now: float, share: float) -> None:
        """The agent takes a ticket worth ``share`` of its capacity."""
        self._settle(now)
        self.held += share

    def drop(self, now: float, share: float) -> None:
        """The agent is done with a ticket worth ``share``."""
        self._settle(now)
        self.held -= share

    def wrap_up(self, now: float, share: float, starts: bool) -> None:
        """A held ticket's wrap-up starts (``starts``) or ends."""
        self._settle(now)
        self.wrapping += share if starts else -share

    def away_from(self, now: float, cause: str) -> None:
        """The agent steps away for ``cause``."""
        self.away_cause, self.away_since = cause, self._clip(now)

    def back(self, now: float) -> None:
        """The agent is back from its away block."""
        self.away[self.away_cause] += self._clip(now) - self.away_since
        self.away_cause = ""

    def leave(self, now: float) -> None:
        """The agent goes off duty (or the run ends)."""
        self._settle(now)
        if self.away_cause:
            self.back(now)
        self.left = self._clip(now)
        self.on_duty = False

    def row(self) -> tuple:
        """The agent's row of the agents table (``AGENT_COLUMNS``)."""
        rostered = self._clip(self.shift_end) - self._clip(self.shift_start)
        if self.absent:
            nothing = (0.0,) * (5 + len(AWAY_CAUSES))  # on duty, busy, wrap, idle, overtime, away
            return (self.team, self.agent, self.shift_start, self.shift_end, 1, rostered, *nothing, rostered)
        on_duty = self.left - self.on
        away = tuple(self.away[cause] for cause in AWAY_CAUSES)
        idle = on_duty - self.busy - self.wrap - sum(away)
        overtime = max(self.left - self._clip(self.shift_end), 0.0)
        shift = (self.team, self.agent, self.shift_start, self.shift_end, 0, rostered)
        return (*shift, on_duty, self.busy, self.wrap, idle, overtime, *away, 0.0)


class Tracked(Pool):
    """A pool whose agents keep time ledgers (mixed into a team or an agent group; see ``tracked``)."""

    window: tuple[float, float]
    ledgers: list[AgentTime]
    shrinkage: ShrinkageSpec | None

    def track(self, window: tuple[float, float], shrinkage: ShrinkageSpec | None) -> None:
        """Keep a ledger per agent, clipped to the KPI window [warm-up, horizon); ``shrinkage``: the pool's rules."""
        self.window = window
        self.ledgers = []
        self.shrinkage = shrinkage

    def rostered_agent(self, shift: tuple[float, float]) -> Agent:
        """An agent of the duty block ``shift`` (on, off) comes on duty, with its ledger."""
        agent = self.new_agent()
        agent.time = AgentTime(self.name, agent.id, shift, self.window)
        self.ledgers.append(agent.time)
        return agent

    def absent_agent(self, shift: tuple[float, float]) -> None:
        """A rostered agent of the duty block ``shift`` does not show up: a ledger row, never on duty."""
        self.ledgers.append(AgentTime(self.name, next(self._ids), shift, self.window, absent=True))

    def _assign(self, agent: Agent, ticket: Ticket | Task, now: float) -> None:
        super()._assign(agent, ticket, now)
        if agent.time is not None:
            agent.time.hold(now, 1.0 / ticket.concurrency)

    def release(self, agent: Agent, ticket: Ticket | Task) -> None:
        """``Pool.release``, settling the agent's ledger first."""
        if agent.time is not None:
            agent.time.drop(self.env.now, 1.0 / ticket.concurrency)
        super().release(agent, ticket)

    def leave(self, agent: Agent) -> None:
        """``Pool.leave``, closing the agent's ledger."""
        was_on = agent.on_duty
        super().leave(agent)
        if was_on and agent.time is not None:
            agent.time.leave(self.env.now)

    def wrap_up(self, agent: Agent, item: Ticket | Task, starts: bool) -> None:
        """The agent's wrap-up of ``item`` starts (``starts``) or ends: it keeps the item's slot meanwhile."""
        if agent.time is not None:
            agent.time.wrap_up(self.env.now, 1.0 / item.concurrency, starts)

    def rows(self, horizon: float) -> Iterable[tuple]:
        """Every ledger's row, closing those of agents still on duty at the horizon."""
        for ledger in self.ledgers:
            if ledger.on_duty:
                ledger.leave(horizon)
            yield ledger.row()


class TrackedTeam(Tracked, Team):
    """A team (its queue and its own agents) whose agents keep time ledgers."""


class TrackedSharedTeam(Tracked, SharedTeam):
    """A team that agent groups also serve, whose own agents keep time ledgers."""


class TrackedGroup(Tracked, Group):
    """An agent group whose agents keep time ledgers."""


class WrapDesk(WorkDesk, Protocol):
    """What a session with after-call work needs from the desk beyond ``WorkDesk``."""

    def wrap_time(self, item: Ticket | Task) -> float:
        """The wrap-up after this session of ``item`` (0 for none), drawn and added to the ticket."""

    def wrapped(self, item: Ticket | Task, team: Team) -> None:
        """The wrap-up of ``item`` is done (the desk logs it)."""


def wrapped_session(env: simpy.Environment, desk: WrapDesk, team: Tracked, me: Agent, item: Ticket | Task) -> Process:
    """The plain session of ``processes.AgentLoop``, then the channel's after-call work, before the agent lets go."""
    return _worked_and_wrapped(env, desk, team, me, item, chat=False)


def wrapped_chat_session(
    env: simpy.Environment, desk: WrapDesk, team: Tracked, me: Agent, item: Ticket | Task
) -> Process:
    """A chat's session (as ``processes.ChatSession``), then after-call work: the chat keeps its slot meanwhile."""
    return _worked_and_wrapped(env, desk, team, me, item, chat=True)


def _worked_and_wrapped(
    env: simpy.Environment, desk: WrapDesk, team: Tracked, me: Agent, item: Ticket | Task, chat: bool
) -> Process:
    """A session (a chat's slower by the chats held when it starts), what follows it, then the wrap-up."""
    queue, factor = team.serving(item)
    work = desk.begin_work(item, queue) * factor
    if chat:
        work *= 1.0 + desk.chat_slowdown(item) * (me.load - 1)
    yield env.timeout(work)
    wrap = desk.wrap_time(item)
    stay = desk.end_work(item, queue, work, me)
    if stay is not None:
        yield from stay
    if wrap:
        yield from _wrap_up(env, desk, team, queue, me, item, wrap)
    team.release(me, item)


def _wrap_up(
    env: simpy.Environment, desk: WrapDesk, team: Tracked, queue: Team, me: Agent, item: Ticket | Task, wrap: float
) -> Process:
    """The agent of pool ``team`` wraps ``item`` up, logged at ``queue`` (the team whose ticket it is)."""
    team.wrap_up(me, item, starts=True)
    yield env.timeout(wrap)
    team.wrap_up(me, item, starts=False)
    desk.wrapped(item, queue)
