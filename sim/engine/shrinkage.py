"""Shrinkage in the run: who misses a shift, and when each agent on duty steps away and comes back.

A team with a ``shrinkage`` spec (or any team, when some channel has after-call work) is rostered
here instead of by ``processes.roster``; without absenteeism it brings the same agents on duty at
the same times. Rules (the docs' "After-call work and shrinkage"):

- *Absence*: at each duty block (one shift's agents on one day), each rostered agent is absent
  with probability ``absenteeism``: one uniform draw per rostered agent, in roster order, from the
  team's own stream ``absence.<team>``. An absent agent never comes on duty; its whole rostered
  time is shrinkage of cause ``absence``.
- *Away blocks* of each agent present (``away_plan``): breaks every ``every`` from the shift start,
  agent i of the block ``i x stagger`` later (modulo ``every``); one lunch a day inside the window,
  the team's rostered agents of the day whose shifts reach into the window spread evenly over it
  (the first starts at the window's start, the last ends at its end; each within its own shift), so
  that a roster of many small shifts does not send everyone to lunch at once; a break whose time
  falls within the agent's lunch is dropped (the lunch replaces it); meetings and coaching at their
  clock time, for all agents or ``agents`` of the team's agents on duty then, in turn.
- An agent takes its blocks one after the other. When a block falls due it takes no new work,
  finishes the ticket in hand and then goes for the block's full length: a block may start late,
  never shorter, and a late block does not shorten the next one. A block that has not started by
  the shift's end is skipped, and a block running at the shift's end ends there.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import partial

import simpy

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_DAY
from sim.engine.agent_time import Cause, Tracked
from sim.engine.kernel import Kernel
from sim.engine.processes import AgentLoop, Process, Serve, WorkDesk, end_shifts
from sim.engine.streams import Sampler
from sim.engine.teams import Agent
from sim.scenario.clock import WEEKDAYS
from sim.scenario.rota import DutyBlock
from sim.scenario.shrinkage import ShrinkageSpec

Block = tuple[float, float, str]
"""One planned away block of an agent: (start, length, cause)."""


Place = tuple[int, int]
"""An agent's place among the team's rostered agents of its day that a rule applies to, and how many there are."""


@dataclass(frozen=True)
class Places:
    """Where an agent stands in its duty block and in its team's day, for staggering its away blocks."""

    index: int
    """Among the agents present in its duty block (breaks are staggered within the block)."""
    lunch: Place
    meetings: tuple[Place, ...]


def team_places(blocks: list[DutyBlock], spec: ShrinkageSpec) -> list[tuple[Place, list[Place]]]:
    """Per duty block (in sorted order), its first agent's place and the day's count, for lunch and each meeting.

    A block counts for a rule when its shift reaches into the rule's daily span (the lunch window, or
    the meeting's start); agents are numbered in block order, as a planner staggers a team's lunches.
    """
    spans = [spec.lunch.window if spec.lunch is not None else (0.0, 0.0)]
    spans += [(meeting.start, meeting.start + 1e-9) for meeting in spec.meetings]
    ordered = sorted(blocks)
    days = [math.floor(on / MINUTES_PER_DAY) for on, _, _ in ordered]
    covers = [
        [on < day * MINUTES_PER_DAY + hi and off > day * MINUTES_PER_DAY + lo for lo, hi in spans]
        for (on, off, _), day in zip(ordered, days, strict=True)
    ]
    totals: list[Counter[int]] = [Counter() for _ in spans]
    firsts = []
    for (_, _, count), day, cover in zip(ordered, days, covers, strict=True):
        firsts.append([totals[r][day] for r in range(len(spans))])
        for r, reaches in enumerate(cover):
            totals[r][day] += count if reaches else 0
    out = []
    for (_, _, count), day, cover, first in zip(ordered, days, covers, firsts, strict=True):
        places = [(first[r], totals[r][day]) if cover[r] else (0, count) for r in range(len(spans))]
        out.append((places[0], places[1:]))
    return out


def away_plan(
    spec: ShrinkageSpec, shift: tuple[float, float], until: float, places: Places, start_weekday: int
) -> list[Block]:
    """The away blocks of an agent on duty for ``shift`` (on, off) at ``places``, planned before ``until``."""
    on, off = shift
    end = min(off, until)
    days = range(math.floor(on / MINUTES_PER_DAY), math.ceil(end / MINUTES_PER_DAY) + 1)
    blocks: list[Block] = []
    lunches: list[tuple[float, float]] = []
    if spec.lunch is not None:
        length = spec.lunch.length
        first, last = spec.lunch.window
        place, count = places.lunch
        spread = (last - first - length) / (count - 1) if count > 1 else 0.0
        for day in days:
            midnight = day * MINUTES_PER_DAY
            earliest, latest = max(midnight + first, on), min(midnight + last, end) - length
            start = min(max(midnight + first + place * spread, earliest), latest)
            if earliest <= latest and on <= start < end:
                blocks.append((start, length, Cause.LUNCH))
                lunches.append((start, start + length))
    if spec.breaks is not None:
        rule = spec.breaks
        offset = (places.index * rule.stagger) % rule.every
        start = on + rule.every + offset
        while start < end:
            if not any(lo < start + rule.length and start < hi for lo, hi in lunches):
                blocks.append((start, rule.length, Cause.BREAK))
            start += rule.every
    for meeting, (place, count) in zip(spec.meetings, places.meetings, strict=True):
        weekdays = {WEEKDAYS.index(d) for d in meeting.days}
        for day in days:
            start = day * MINUTES_PER_DAY + meeting.start
            if not on <= start < end or (start_weekday + day) % DAYS_PER_WEEK not in weekdays:
                continue
            taking = meeting.agents
            if taking is None or taking >= count or (place - day * taking) % count < taking:
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
    env: Kernel,
    desk: WorkDesk,
    team: Tracked,
    blocks: list[DutyBlock],
    horizon: float,
    start_weekday: int,
    absence: Sampler | None,
    serve: Serve | None,
    chat: Serve | None,
) -> Process:
    """``processes.roster`` with absence, away blocks and per-agent ledgers (sessions as ``processes.AgentLoop``'s)."""
    spec = team.shrinkage
    absent = spec.absenteeism if spec is not None else 0.0
    places = team_places(blocks, spec) if spec is not None else [((0, 1), [])] * len(blocks)
    for (on, off, count), (lunch, meetings) in zip(sorted(blocks), places, strict=True):
        if on > env.now:
            yield env.timeout(on - env.now)
        crew: list[tuple[int, Agent]] = []
        for k in range(count):
            if absence is not None and absence() < absent:
                team.absent_agent((on, off))
            else:
                crew.append((k, team.rostered_agent((on, off))))
        for index, (k, member) in enumerate(crew):
            AgentLoop(env, desk, team, member, serve, chat)
            if spec is None:
                continue
            where = Places(index, _at(lunch, k), tuple(_at(place, k) for place in meetings))
            plan = away_plan(spec, (on, off), horizon, where, start_weekday)
            if plan:
                env.process(away_blocks(env, team, member, plan, off))
        if off != math.inf:
            end = env.timeout(off - env.now)
            end.callbacks.append(partial(end_shifts, team, [member for _, member in crew]))


def _at(place: Place, k: int) -> Place:
    """The place of the block's ``k``-th rostered agent, from its first agent's."""
    first, count = place
    return first + k, count
