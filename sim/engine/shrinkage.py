"""Shrinkage in the run: who misses a shift, and when each agent on duty steps away and comes back.

A team with a ``shrinkage`` spec (or any team, when some channel has after-call work) is rostered
here instead of by ``processes.roster``; without absenteeism it brings the same agents on duty at
the same times. Rules (the README's "Time not on the phones"):

- *Absence*: at each duty block (one shift's agents on one day), each rostered agent is absent
  with probability ``absenteeism``: one uniform draw per rostered agent, in roster order, from the
  team's own stream ``absence.<team>``. An absent agent never comes on duty; its whole rostered
  time is shrinkage of cause ``absence``.
- *Away blocks* of each agent present (``away_plan``): breaks every ``every`` from the shift start,
  agent i of the block ``i x stagger`` later (modulo ``every``); one lunch a day inside the window,
  the block's agents spread evenly so the first starts at the window's start and the last ends at
  its end; a break whose time falls within the agent's lunch is dropped (the lunch replaces it);
  meetings and coaching at their clock time, for all agents or ``agents`` of them in turn.
- An agent takes its blocks one after the other. When a block falls due it takes no new work,
  finishes the ticket in hand and then goes for the block's full length: a block may start late,
  never shorter, and a late block does not shorten the next one. A block that has not started by
  the shift's end is skipped, and a block running at the shift's end ends there.
"""

from __future__ import annotations

import math
from functools import partial

import simpy

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_DAY
from sim.engine.agent_time import Cause, Tracked
from sim.engine.processes import Process, Serve, WorkDesk, agent, end_shifts
from sim.engine.streams import Sampler
from sim.engine.teams import Agent
from sim.scenario.clock import WEEKDAYS
from sim.scenario.shrinkage import ShrinkageSpec

Block = tuple[float, float, str]
"""One planned away block of an agent: (start, length, cause)."""


def away_plan(
    spec: ShrinkageSpec, shift: tuple[float, float], until: float, index: int, crew: int, start_weekday: int
) -> list[Block]:
    """The away blocks of agent ``index`` of a ``crew`` on duty for ``shift`` (on, off), planned before ``until``."""
    on, off = shift
    end = min(off, until)
    days = range(math.floor(on / MINUTES_PER_DAY), math.ceil(end / MINUTES_PER_DAY) + 1)
    blocks: list[Block] = []
    lunches: list[tuple[float, float]] = []
    if spec.lunch is not None:
        length = spec.lunch.length
        first, last = spec.lunch.window
        spread = (last - first - length) / (crew - 1) if crew > 1 else 0.0
        for day in days:
            start = day * MINUTES_PER_DAY + first + index * spread
            if on <= start < end:
                blocks.append((start, length, Cause.LUNCH))
                lunches.append((start, start + length))
    if spec.breaks is not None:
        rule = spec.breaks
        offset = (index * rule.stagger) % rule.every
        start = on + rule.every + offset
        while start < end:
            if not any(lo < start + rule.length and start < hi for lo, hi in lunches):
                blocks.append((start, rule.length, Cause.BREAK))
            start += rule.every
    for meeting in spec.meetings:
        weekdays = {WEEKDAYS.index(d) for d in meeting.days}
        for day in days:
            start = day * MINUTES_PER_DAY + meeting.start
            if not on <= start < end or (start_weekday + day) % DAYS_PER_WEEK not in weekdays:
                continue
            taking = meeting.agents
            if taking is None or taking >= crew or (index - day * taking) % crew < taking:
                blocks.append((start, meeting.length, meeting.kind))
    return sorted(blocks)


def away_blocks(env: simpy.Environment, team: Tracked, me: Agent, plan: list[Block], off: float) -> Process:
    """The agent takes its planned blocks one after the other (see the module's rules)."""
    for start, length, cause in plan:
        if start > env.now:
            yield env.timeout(start - env.now)
        if me.off_shift:
            return
        went = yield team.step_away(me, cause)
        if not went:  # its shift ended while it finished the ticket in hand
            return
        yield env.timeout(min(env.now + length, off) - env.now)
        team.come_back(me)


def roster(
    env: simpy.Environment,
    desk: WorkDesk,
    team: Tracked,
    blocks: list[tuple[float, float, int]],
    horizon: float,
    start_weekday: int,
    absence: Sampler | None,
    serve: Serve,
    chat: Serve,
) -> Process:
    """``processes.roster`` with absence, away blocks and per-agent ledgers."""
    spec = team.shrinkage
    absent = spec.absenteeism if spec is not None else 0.0
    for on, off, count in sorted(blocks):
        if on > env.now:
            yield env.timeout(on - env.now)
        crew = []
        for _ in range(count):
            if absence is not None and absence() < absent:
                team.absent_agent((on, off))
            else:
                crew.append(team.rostered_agent((on, off)))
        for index, member in enumerate(crew):
            env.process(agent(env, desk, team, member, serve, chat))
            plan = away_plan(spec, (on, off), horizon, index, len(crew), start_weekday) if spec is not None else []
            if plan:
                env.process(away_blocks(env, team, member, plan, off))
        if off != math.inf:
            end = env.timeout(off - env.now)
            end.callbacks.append(partial(end_shifts, team, crew))
