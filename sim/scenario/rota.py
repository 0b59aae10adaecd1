"""When a pool's agents are on duty: its fixed count around the clock, or its shifts' concrete instances.

The engine starts each pool's roster from these blocks, and the staffing plots draw them; both read
the same rota from the scenario, so what is drawn is what was simulated.
"""

from __future__ import annotations

import math

from sim.core.calendar import shift_instances
from sim.scenario.clock import WEEKDAYS
from sim.scenario.spec import AgentGroupSpec, TeamSpec

DutyBlock = tuple[float, float, int]
"""(on, off, agents): from minute ``on`` to minute ``off``, ``agents`` more agents on duty."""


def duty_blocks(spec: TeamSpec | AgentGroupSpec, horizon: float, start_weekday: int) -> list[DutyBlock]:
    """(on, off, agents) blocks of a team or agent group over ``horizon`` minutes from ``start_weekday``.

    A pool with a fixed count is on duty around the clock; a team with neither agents nor shifts (only
    agent groups serve it) has no blocks.
    """
    if spec.agents is not None:
        return [(0.0, math.inf, spec.agents)]
    if spec.shifts is None:
        return []
    blocks = []
    for shift in spec.shifts:
        days = [WEEKDAYS.index(d) for d in shift.days]
        blocks += [
            (on, off, shift.agents) for on, off in shift_instances(days, shift.start, shift.end, horizon, start_weekday)
        ]
    return blocks
