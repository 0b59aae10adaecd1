"""A plain chat session runs by callbacks (``processes.ChatSession``), with the records of a process per chat.

The reference below is the process the callbacks replace (issue 17): each case runs a replication
both ways and requires every table to be identical to the bit, so a session that begins or ends
in another place of the event order fails here. The cases hold several chats per agent together
with warm handoffs that end by a ``max_hold`` or by a shift's end, swarm consults that fall back
to warm transfers, pools with time ledgers, and chats that begin and end at the same instants.
What the agent stays on for after a session starts inside the session's end, as the process ran
it (``yield from``): ``Kernel.process_now``, checked on its own at the end.
"""

from __future__ import annotations

from dataclasses import fields

import pandas as pd
import pytest
import simpy
from conftest import SCENARIOS, build, fixed

import sim.engine.processes as processes
from sim.engine.kernel import Kernel
from sim.engine.processes import Process, WorkDesk
from sim.engine.records import RunRecords
from sim.engine.replication import run_replication
from sim.engine.teams import Agent, Pool
from sim.engine.tickets import Task, Ticket
from sim.scenario.loader import load_scenario

SWARM = {"consult_time": fixed(3), "max_wait": 2}
WARM = {"mode": "warm", "handoff_time": fixed(2), "max_hold": "3m"}
TIES = {
    "channels": [
        {
            "name": "chat",
            "concurrency": 2,
            "patience": fixed(60),
            "arrival_times": [0, 0, 0, 1, 1, 4, 4, 4, 5, 6, 8, 8, 12, 12, 13],
            "category_mix": {"tech": 1},
        }
    ],
    "categories": [
        {
            "name": "tech",
            "handle_time": fixed(10),
            "path": ["tier1", "tier2"],
            "resolve_probability": {"tier1": 0},
            "failed_attempt_time": fixed(4),
        }
    ],
    "teams": [{"name": "tier1", "agents": 2}, {"name": "tier2", "tier": 2, "agents": 1}],
    "routing": [{"team": "tier1"}],
    "horizon": 200,
}
"""Chats arriving together, fixed times: sessions begin, end and hand off at the same instants."""

FILES = {
    "swarm_then_warm": (
        "swarming.yaml",
        ["horizon=3d", "escalation.mode=swarm", "escalation.handoff.mode=warm", "escalation.handoff.max_hold=1m"],
    ),
    "warm_held_briefly": (
        "handoff.yaml",
        ["horizon=3d", "escalation.handoff.mode=warm", "escalation.handoff.max_hold=30s"],
    ),
    "ledgers_without_wrap": (
        "contact_centre.yaml",
        ["horizon=2d", "channels.phone.after_call_work=null", "channels.chat.after_call_work=null"],
    ),
    "tiered": ("tiered.yaml", ["horizon=3d"]),
}
"""Bundled desks with chats (concurrency 2), switched to exercise what may follow a chat session."""

STORIES = {
    "ties_warm": {**TIES, "escalation": {"handoff": WARM}},
    "ties_swarm_then_warm": {**TIES, "escalation": {"mode": "swarm", "swarm": SWARM, "handoff": WARM}},
}
"""Tied chats whose sessions end in warm handoffs (some held until ``max_hold``), or in swarm consults."""


def process_per_chat(env: simpy.Environment, desk: WorkDesk, team: Pool, me: Agent, item: Ticket | Task) -> None:
    """The reference: the plain chat session as its own SimPy process, as before ``ChatSession``."""
    env.process(chat_process(env, desk, team, me, item))


def chat_process(env: simpy.Environment, desk: WorkDesk, team: Pool, me: Agent, item: Ticket | Task) -> Process:
    """The session's generator: begin, wait out the work, end, stay on for what follows, let go."""
    queue, factor = team.serving(item)
    work = desk.begin_work(item, queue) * factor * (1.0 + desk.chat_slowdown(item) * (me.load - 1))
    yield env.timeout(work)
    stay = desk.end_work(item, queue, work, me)
    if stay is not None:
        yield from stay
    team.release(me, item)


def replication(name: str) -> RunRecords:
    """Replication 1 of the case on its scenario's seed."""
    if name in STORIES:
        scenario = build(**STORIES[name])
    else:
        file, overrides = FILES[name]
        scenario = load_scenario(SCENARIOS / file, overrides)
    return run_replication(scenario, 1, scenario.seed)


@pytest.mark.parametrize("name", [*FILES, *STORIES])
def test_chat_sessions_by_callbacks_record_what_a_process_per_chat_records(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_callbacks = replication(name)
    monkeypatch.setattr(processes, "ChatSession", process_per_chat)
    by_processes = replication(name)
    for table in fields(RunRecords):
        mine, reference = getattr(by_callbacks, table.name), getattr(by_processes, table.name)
        if isinstance(reference, pd.DataFrame):
            pd.testing.assert_frame_equal(mine, reference, check_exact=True, obj=f"{name}: {table.name}")
        else:
            assert mine == reference, table.name


def test_the_cases_hold_chats_with_warm_handoffs_given_up_and_consults() -> None:
    tasks = replication("swarm_then_warm").tasks
    warm = tasks[tasks.kind == "warm_handoff"]
    assert (tasks.kind == "consult").sum() > 100
    assert (warm.work == 1.0).sum() > 10  # held the full minute: gave up
    assert (warm.work < 1.0).sum() > 5  # joined within the minute


def test_a_process_started_now_takes_its_first_step_inside_its_caller() -> None:
    env = Kernel()
    steps: list[str] = []

    def stay() -> Process:
        steps.append("first step")
        yield env.timeout(1)
        steps.append("second step")

    env.call_soon(lambda _: steps.append("urgent event queued before"))
    env.process_now(stay())
    steps.append("caller goes on")
    env.run_to(2)
    assert steps == ["first step", "caller goes on", "urgent event queued before", "second step"]
