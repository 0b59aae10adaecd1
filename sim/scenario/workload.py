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

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_HOUR, format_duration
from sim.scenario.spec import AgentGroupSpec, ChannelSpec, Scenario, TeamSpec

MAX_TICKETS_PER_REPLICATION = 5_000_000
"""About 3 GB of records at the engine's measured 600 bytes per ticket."""
MAX_TICKETS = 200_000_000
"""Over every replication (or sweep point) of one command: about a day of CPU at the engine's speed."""
MAX_AGENTS = 100_000
"""Agents on duty at once in one team, each a SimPy process."""


@dataclass(frozen=True)
class Workload:
    """The expected arrivals of one replication, per channel, and the agents each pool has on duty at once.

    Both are keyed by the field path that sets them (``channels.phone``, ``teams.tier1``), so that a
    refusal can say which field to change.
    """

    channels: dict[str, float]
    pools: dict[str, int]
    horizon: float
    """Minutes simulated per replication."""
    backlog: float = 0.0
    """Tickets of the starting backlog."""

    @property
    def tickets(self) -> float:
        """Expected tickets of one replication: the channels' arrivals and the starting backlog."""
        return sum(self.channels.values()) + self.backlog

    @property
    def agents(self) -> int:
        """The most agents any one pool has on duty at once."""
        return max(self.pools.values(), default=0)

    def describe(self) -> str:
        """One line for people: the expected tickets and the largest team."""
        largest = f"at most {_count(self.agents)} agents in a team or group"
        return f"about {_count(self.tickets)} tickets per replication, {largest}"

    def problems(self) -> list[str]:
        """What exceeds a limit in one replication of this workload, naming the field to change (empty: fine)."""
        found = []
        if self.tickets > MAX_TICKETS_PER_REPLICATION:
            found.append(
                f"about {_count(self.tickets)} tickets per replication, above the limit of "
                f"{MAX_TICKETS_PER_REPLICATION:,}{self._busiest()}"
            )
        if self.agents > MAX_AGENTS:
            pool = max(self.pools, key=self.pools.__getitem__)
            found.append(f"{pool}: {_count(self.agents)} agents on duty at once, above the limit of {MAX_AGENTS:,}")
        return found

    def _busiest(self) -> str:
        """Where most of the tickets come from, and what to lower."""
        if self.channels and max(self.channels.values()) >= self.backlog:
            channel = max(self.channels, key=self.channels.__getitem__)
            return (
                f" ({channel} brings about {_count(self.channels[channel])} over a horizon of "
                f"{format_duration(self.horizon)}: lower its rate_per_hour or surges, or the horizon)"
            )
        return f" (initial_backlog holds {_count(self.backlog)}: lower its counts)"


Run = tuple[str, "Scenario | Workload", int]
"""What one command asks to simulate: a label that names it (a file, ``--variant NAME``, a sweep point), the
scenario or its estimated workload, and its replications."""


def total_problem(runs: list[Run]) -> str | None:
    """What exceeds a limit when each scenario (or estimated workload) runs its replications, or None.

    The message starts with the label of the run it is about, so that a comparison or a sweep
    says which of its scenarios is too large.
    """
    work = [(label, item if isinstance(item, Workload) else estimate(item), reps) for label, item, reps in runs]
    for label, workload, _ in work:
        if found := workload.problems():
            return f"{label}: {found[0]}"
    tickets = sum(workload.tickets * reps for _, workload, reps in work)
    if tickets > MAX_TICKETS:
        label, workload, reps = max(work, key=lambda run: run[1].tickets * run[2])
        most = f"{label}: {reps:,} replication{'s' * (reps != 1)} of about {_count(workload.tickets)} tickets"
        return (
            f"about {_count(tickets)} tickets in all replications, above the limit of {MAX_TICKETS:,} "
            f"(the most from {most}; lower the replications or the horizon)"
        )
    return None


def estimate(scenario: Scenario) -> Workload:
    """Expected arrivals per replication (per channel, and the starting backlog) and each pool's agents at once."""
    backlog = sum(entry.count for entry in scenario.initial_backlog)
    arrivals = zip(scenario.channels, channel_tickets(scenario), strict=True)
    channels = {f"channels.{channel.name}": tickets for channel, tickets in arrivals}
    return Workload(channels, pool_agents(scenario), scenario.horizon, backlog)


def channel_tickets(scenario: Scenario) -> list[float]:
    """Expected arrivals of each channel in one replication (they add up: ``estimate``'s tickets)."""
    return [_arrivals(channel, scenario.horizon) for channel in scenario.channels]


def pool_agents(scenario: Scenario) -> dict[str, int]:
    """Agents each pool (the teams, then the agent groups) can have on duty at once, by its field path."""
    teams = {f"teams.{team.name}": _agents(team) for team in scenario.teams}
    return teams | {f"agent_groups.{group.name}": _agents(group) for group in scenario.agent_groups}


def _agents(pool: TeamSpec | AgentGroupSpec) -> int:
    """The agents a pool can have on duty at once: its fixed count, else all its shifts together."""
    return pool.agents if pool.agents is not None else sum(shift.agents for shift in pool.shifts or [])


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
