"""Which pool staffs which queue, and the scenario with a pool's staffing replaced by a roster.

A *pool* is a set of agents the optimiser staffs: a team's own agents or an agent group. Each team
queue counts toward one *primary* pool: the team itself when it has agents of its own, else the agent
group that serves the queue first (lowest ``priority``, then the order of ``agent_groups``). A backup
group's overflow work still shows in its busy agents; its primary queues are the ones it leads.
"""

from __future__ import annotations

from collections.abc import Mapping

from sim.core.units import MINUTES_PER_DAY
from sim.scenario.loader import validate
from sim.scenario.spec import AgentGroupSpec, Scenario, TeamSpec


def primary_pools(scenario: Scenario) -> dict[str, str]:
    """Team name -> the pool whose agents mainly serve its queue (teams only groups serve map to a group)."""
    out: dict[str, str] = {}
    for team in scenario.teams:
        if team.agents or team.shifts:
            out[team.name] = team.name
            continue
        leaders = sorted(_servers(scenario, team.name))
        if leaders:
            out[team.name] = leaders[0][2]
    return out


def _servers(scenario: Scenario, team: str) -> list[tuple[int, int, str]]:
    """(priority, order, group) of every agent group serving ``team``'s queue."""
    return [
        (queue.priority, i, group.name)
        for i, group in enumerate(scenario.agent_groups)
        for queue in group.serves
        if queue.team == team
    ]


class RosterError(ValueError):
    """A roster the scenario cannot run: a pool nobody else covers left with nobody on duty all week."""


def staffed_pools(scenario: Scenario) -> list[TeamSpec | AgentGroupSpec]:
    """The pools that have agents: teams with agents or shifts, and every agent group."""
    return [pool for pool in scenario.pools if pool.agents or pool.shifts]


def with_rosters(
    scenario: Scenario,
    shifts: Mapping[str, list[dict]],
    *,
    days: float,
    interval: float,
    net: bool = False,
) -> Scenario:
    """The scenario with each named pool on the given shifts, run for the warm-up plus ``days`` days.

    ``interval`` becomes the reporting interval, so the per-interval tables match the planning grid.
    ``net`` drops the pools' shrinkage: the staffing is then agents on the phones, which is what the
    requirement counts (the shift scheduler grosses it up for shrinkage afterwards).
    """
    served = {queue.team for group in scenario.agent_groups for queue in group.serves}
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["horizon"] = scenario.warmup + days * MINUTES_PER_DAY
    data.setdefault("reporting", {})["interval"] = interval
    for kind in ("teams", "agent_groups"):
        for pool in data.get(kind, []):
            if net:
                pool.pop("shrinkage", None)
            if pool["name"] in shifts:
                pool.pop("agents", None)
                pool.pop("shifts", None)
                if shifts[pool["name"]]:
                    pool["shifts"] = shifts[pool["name"]]
                elif kind == "teams" and pool["name"] in served:
                    pool["agents"] = 0  # nobody rostered: the agent groups serve the queue
                else:
                    what = "team" if kind == "teams" else "agent group"
                    raise RosterError(
                        f"{what} {pool['name']!r} would have nobody rostered all week"
                        + (" and no agent group serves its queue" if kind == "teams" else "")
                        + "; give it min_agents of 1 or more in the goals file, or fix its staffing"
                    )
    return validate(data, f"{scenario.name} (optimiser roster)")
