"""How much work a scenario asks for, estimated before anything is simulated.

A rate of 1e20 tickets per hour, a horizon of 1e308 minutes or a billion agents are valid numbers
but would run for ever or exhaust memory. The estimate (expected arrivals from the rates, their
profiles and surges; agents on duty at once) is checked against documented limits, and a command
refuses above them unless ``--force`` is given. The limits let the project's own largest runs
through (the engine benchmark simulates a million tickets in one replication, in about 600 MB).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_HOUR
from sim.scenario.spec import ChannelSpec, Scenario

MAX_TICKETS_PER_REPLICATION = 5_000_000
"""About 3 GB of records at the engine's measured 600 bytes per ticket."""
MAX_TICKETS = 200_000_000
"""Over every replication (or sweep point) of one command: about a day of CPU at the engine's speed."""
MAX_AGENTS = 100_000
"""Agents on duty at once in one team, each a SimPy process."""


@dataclass(frozen=True)
class Workload:
    """The expected arrivals of one replication and the most agents any team has on duty at once."""

    tickets: float
    agents: int

    def describe(self) -> str:
        """One line for people: the expected tickets and the largest team."""
        largest = f"at most {_count(self.agents)} agents in a team or group"
        return f"about {_count(self.tickets)} tickets per replication, {largest}"

    def problems(self) -> list[str]:
        """What exceeds a limit in one replication of this workload (empty: fine)."""
        found = []
        if self.tickets > MAX_TICKETS_PER_REPLICATION:
            found.append(
                f"about {_count(self.tickets)} tickets per replication, above the limit of "
                f"{MAX_TICKETS_PER_REPLICATION:,} (check the rates, surges and horizon)"
            )
        if self.agents > MAX_AGENTS:
            found.append(f"{_count(self.agents)} agents on duty in one team, above the limit of {MAX_AGENTS:,}")
        return found


def total_problem(runs: list[tuple[Scenario, int]] | list[tuple[Workload, int]]) -> str | None:
    """What exceeds a limit when each scenario (or estimated workload) runs its replications, or None."""
    work = [(item if isinstance(item, Workload) else estimate(item), replications) for item, replications in runs]
    for workload, _ in work:
        if found := workload.problems():
            return found[0]
    tickets = sum(workload.tickets * replications for workload, replications in work)
    if tickets > MAX_TICKETS:
        return f"about {_count(tickets)} tickets in all replications, above the limit of {MAX_TICKETS:,}"
    return None


def estimate(scenario: Scenario) -> Workload:
    """Expected arrivals per replication (the starting backlog included) and the largest team's agents at once."""
    backlog = sum(entry.count for entry in scenario.initial_backlog)
    return Workload(sum(channel_tickets(scenario)) + backlog, max(team_agents(scenario)))


def channel_tickets(scenario: Scenario) -> list[float]:
    """Expected arrivals of each channel in one replication (they add up: ``estimate``'s tickets)."""
    return [_arrivals(channel, scenario.horizon) for channel in scenario.channels]


def team_agents(scenario: Scenario) -> list[int]:
    """Agents each pool (the teams, then the agent groups) can have on duty at once (the largest: ``estimate``'s)."""
    return [
        pool.agents if pool.agents is not None else sum(shift.agents for shift in pool.shifts or [])
        for pool in scenario.pools
    ]


def _arrivals(channel: ChannelSpec, horizon: float) -> float:
    """Expected arrivals of one channel over ``horizon`` minutes (profiles averaged over a week)."""
    if channel.arrival_times is not None:
        return float(sum(1 for t in channel.arrival_times if t < horizon))
    rate = channel.rate_per_hour or 0.0
    hourly = fmean(channel.hour_of_day) if channel.hour_of_day else 1.0
    daily = (sum(channel.day_of_week.values()) + DAYS_PER_WEEK - len(channel.day_of_week)) / DAYS_PER_WEEK
    per_minute = rate * hourly * daily / MINUTES_PER_HOUR
    extra = sum(
        (surge.multiplier - 1.0) * max(0.0, min(surge.duration, horizon - surge.start)) for surge in channel.surges
    )
    return per_minute * (horizon + extra)


def _count(value: float) -> str:
    """A count as people read it: 12,345,678, or 2.9e+22 when it is absurd."""
    return f"{value:,.0f}" if value < 1e12 else f"{value:.2g}"
