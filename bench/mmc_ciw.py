"""The same M/M/c in Ciw, the queueing-network library users would otherwise pick.

One node, exponential arrivals and services, ``servers`` servers, run until ``tickets`` customers
have left; waits come from Ciw's own records. Ciw seeds its global ``random`` module, so this
is the one benchmark model that is not reproducible in parallel — Ciw's design, not ours.
"""

from __future__ import annotations

import ciw
import numpy as np
from mmc_simpy import MMcRun


def run_mmc(arrival_rate: float, mean_service: float, servers: int, tickets: int, seed: int = 0) -> MMcRun:
    """Simulate an M/M/c (rates per minute) in Ciw until ``tickets`` customers have been served."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / mean_service)],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(tickets, method="Complete")
    records = sorted(simulation.get_all_records(), key=lambda record: record.arrival_date)
    return MMcRun(np.array([record.waiting_time for record in records]))
