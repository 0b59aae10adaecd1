"""SLA attainment: per clock (first response, resolution), the share of decided clocks that were met.

The definition, abandoned tickets included, is in ``sim.analysis.kpis``.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.ticket_columns import CountedTickets, nan_mean
from sim.engine.tickets import Outcome
from sim.scenario.sla_spec import ClockName
from sim.scenario.spec import Scenario


def sla_kpis(tickets: CountedTickets, scenario: Scenario) -> dict[str, float]:
    """Per clock, the share of decided clocks met: overall and by the priority a ticket was last measured against."""
    out: dict[str, float] = {}
    if not scenario.sla_policies:
        return out
    kept = np.ones(len(tickets), dtype=bool)
    excluding = [p.name for p in scenario.sla_policies if p.abandoned == "excluded"]
    if excluding:
        left_out = tickets.equals("outcome", Outcome.ABANDONED) & tickets.isin("sla_policy", excluding)
        out["sla_abandoned_excluded"] = float(np.count_nonzero(left_out))
        kept = ~left_out
    priorities = {priority: tickets.equals("final_priority", priority)[kept] for priority in scenario.priorities}
    for clock in ClockName.all():
        met = tickets.column(f"{clock}_met")[kept]
        if not np.isnan(met).all():
            out[f"{clock}_attainment"] = nan_mean(met)
        for priority, here in priorities.items():
            mine = met[here]
            if not np.isnan(mine).all():
                out[f"{clock}_attainment.{priority}"] = nan_mean(mine)
    return out
