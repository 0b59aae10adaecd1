"""One replication from start to finish: the desk's sources started, its clock run, its books closed.

``run_replication`` builds a ``Desk`` (the state and the lifecycle steps of the tickets), starts
what drives it — a starting backlog, each channel's arrivals (through self-service where a
category offers it), each pool's roster of shifts — and runs the clock to the horizon. Then it
closes the books: every ticket still in the system is recorded as open, and the run checks
that nothing was lost (arrived = resolved + abandoned + open, each ticket exactly once) before
it hands back the records.

Optional inputs cost nothing when unused: a starting backlog is admitted before time moves, and
self-service, when a category offers it, takes the place of ``Desk.admit`` in front of the desk
(its contacts have their own table and their own count).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.engine import shrinkage
from sim.engine.agent_time import (
    AGENT_COLUMNS,
    Tracked,
    empty_agents,
    wrapped_chat_session,
    wrapped_session,
)
from sim.engine.backlog import backlog_tickets
from sim.engine.desk import Desk
from sim.engine.kernel import Ticker
from sim.engine.processes import Process, roster
from sim.engine.records import Columns, Exit, RunRecords
from sim.engine.self_service import SelfServiceFront, offers_self_service
from sim.engine.streams import Stream
from sim.engine.teams import Pool
from sim.engine.tickets import Status
from sim.scenario.rota import DutyBlock, duty_blocks
from sim.scenario.spec import Scenario

if TYPE_CHECKING:
    import pandas as pd


class ConservationError(RuntimeError):
    """Tickets were lost or double-counted: a bug in the engine, never a scenario problem."""


def run_replication(
    scenario: Scenario, replication: int = 0, seed: int | None = None, record_events: bool = True
) -> RunRecords:
    """Simulate one replication of ``scenario``; the streams depend on (seed, replication) only."""
    return run(Desk(scenario, replication, seed, record_events))


def run(desk: Desk) -> RunRecords:
    """Simulate ``desk`` to the horizon, record the open tickets, check conservation, return the records."""
    s = desk.scenario
    front = _start(desk)
    desk.env.run_to(s.horizon)
    for ticket in list(desk.live.values()):
        desk.sla.settle(ticket, s.horizon)
        if ticket.status != Status.RESOLVED:
            desk.leave_team(ticket, Exit.OPEN)
        desk.table.add(ticket)
    tickets = desk.table.frame()
    _check_conservation(tickets, desk.arrived)
    contacts = None if front is None else _contacts(front)
    return RunRecords(
        desk.replication,
        desk.seed,
        tickets,
        desk.log.frame(),
        desk.levels.frame(),
        s.horizon,
        s.warmup,
        desk.visits.frame(),
        desk.tasks.frame(),
        desk.escalations.frame(),
        contacts,
        _volume_factors(desk),
        _agents_frame(desk),
    )


def _start(desk: Desk) -> SelfServiceFront | None:
    """Admit the starting backlog, start the arrivals and the rosters; return the self-service front, if any."""
    s = desk.scenario
    for ticket, team in backlog_tickets(s, desk.streams, desk.rank) if s.initial_backlog else ():
        desk.admit_waiting(ticket, desk.teams[team])
    front = SelfServiceFront(desk.env, s, desk.streams, desk.open_ticket) if offers_self_service(s) else None
    admit = desk.admit if front is None else front.admit
    for demand in desk.channels:
        Ticker(desk.env, demand.arrival_times(desk.env.now, s.horizon), admit, demand)
    for spec in s.teams:
        _start_roster(desk, desk.teams[spec.name], duty_blocks(spec, s.horizon, s.start_weekday))
    for group in desk.groups:
        _start_roster(desk, group, duty_blocks(group.spec, s.horizon, s.start_weekday))
    return front


def _start_roster(desk: Desk, pool: Pool, blocks: list[DutyBlock]) -> None:
    """Bring the pool's agents on duty block by block (with their time ledgers if the run keeps them)."""
    if isinstance(pool, Tracked):
        desk.env.process(_tracked_roster(desk, pool, blocks))
    else:
        desk.env.process(roster(desk.env, desk, pool, blocks))


def _tracked_roster(desk: Desk, team: Tracked, blocks: list[DutyBlock]) -> Process:
    """The roster of a pool that keeps per-agent records: with shrinkage and after-call work if any."""
    s, spec = desk.scenario, team.shrinkage
    absence = None
    if spec is not None and spec.absenteeism > 0:
        absence = desk.streams.uniform(Stream.ABSENCE.of(team.name))
    serve, chat = (wrapped_session, wrapped_chat_session) if desk.wrap_up else (None, None)
    return shrinkage.roster(desk.env, desk, team, blocks, s.horizon, s.start_weekday, absence, serve, chat)


def _contacts(front: SelfServiceFront) -> pd.DataFrame:
    """The self-service contacts table, checked: one row for each contact that tried self-service."""
    front.close()
    contacts = front.table.frame()
    if len(contacts) != front.contacts or contacts["contact"].nunique() != front.contacts:
        raise ConservationError(f"{front.contacts} contacts tried self-service but {len(contacts)} rows")
    return contacts


def _volume_factors(desk: Desk) -> pd.DataFrame | None:
    """The daily factors of the channels whose forecast is uncertain (None: none is)."""
    varied = [demand for demand in desk.channels if demand.factors is not None]
    if not varied:
        return None
    table = Columns({"channel": "c", "day": "i", "factor": "f"})
    for demand in varied:
        for day, factor in enumerate(demand.factors or ()):
            table.add((demand.name, day, factor))
    return table.frame()


def _agents_frame(desk: Desk) -> pd.DataFrame:
    """The agents table: one row per agent per duty block, when the run keeps per-agent records."""
    if not desk.tracked:
        return empty_agents()
    table = Columns(AGENT_COLUMNS)
    pools = desk.pools()
    table.declare("team", [pool.name for pool in pools])
    for team in pools:
        assert isinstance(team, Tracked)
        for row in team.rows(desk.scenario.horizon):
            table.add(row)
    return table.frame()


def _check_conservation(tickets: pd.DataFrame, arrived: int) -> None:
    """Every arrived ticket has exactly one row, with an outcome: its id (0 to arrived - 1) comes up once."""
    counts = tickets["outcome"].value_counts()
    if not _each_once(tickets["ticket"].to_numpy(), arrived) or counts.sum() != arrived:
        raise ConservationError(f"{arrived} tickets arrived but {len(tickets)} rows were recorded ({counts.to_dict()})")


def _each_once(ids: np.ndarray, count: int) -> bool:
    """Whether ``ids`` holds each of 0, 1, ..., ``count`` - 1 exactly once (one pass; no hashing, no sort)."""
    if len(ids) != count:
        return False
    if count == 0:
        return True
    if ids.min() < 0 or ids.max() >= count:
        return False
    seen = np.zeros(count, dtype=bool)
    seen[ids] = True
    return bool(seen.all())
