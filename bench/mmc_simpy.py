"""The smallest idiomatic SimPy M/M/c: the yardstick the engine's speed is measured against.

A source process spawns one customer process per arrival; each customer requests one of the
``servers`` slots of a ``simpy.Resource``, notes its wait, holds the slot for an exponential
service time and leaves. Draws come from Python's ``random`` (one generator for gaps, one for
service times): for one draw at a time it is several times faster than a numpy scalar, so the
yardstick is the fastest idiomatic form (issue 17). Nothing else: no tables, no events, no
clocks — only the waits needed to check that it did the same work as the engine.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

Process = Generator[simpy.Event, object, None]


@dataclass(frozen=True)
class MMcRun:
    """The waits (minutes) of the customers a bare M/M/c run served, in order of arrival."""

    waits: np.ndarray

    @property
    def served(self) -> int:
        return len(self.waits)


def customer(env: simpy.Environment, desk: simpy.Resource, service: float, waits: list[float]) -> Process:
    """Wait for a free server, note the wait, hold the server for the service time."""
    arrival = env.now
    with desk.request() as req:
        yield req
        waits.append(env.now - arrival)
        yield env.timeout(service)


def source(
    env: simpy.Environment,
    desk: simpy.Resource,
    tickets: int,
    mean_gap: float,
    mean_service: float,
    gaps: random.Random,
    services: random.Random,
    waits: list[float],
) -> Process:
    """Poisson arrivals: ``tickets`` customers, exponential gaps."""
    arrival_rate, service_rate = 1.0 / mean_gap, 1.0 / mean_service
    for _ in range(tickets):
        yield env.timeout(gaps.expovariate(arrival_rate))
        env.process(customer(env, desk, services.expovariate(service_rate), waits))


def run_mmc(arrival_rate: float, mean_service: float, servers: int, tickets: int, seed: int = 0) -> MMcRun:
    """Simulate ``tickets`` customers through an M/M/c (rates per minute) until the last one leaves."""
    gaps, services = random.Random(2 * seed), random.Random(2 * seed + 1)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    waits: list[float] = []
    env.process(source(env, desk, tickets, 1.0 / arrival_rate, mean_service, gaps, services, waits))
    env.run()
    return MMcRun(np.array(waits))
