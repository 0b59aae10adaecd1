"""Engine: one replication of a scenario, and the only layer that imports SimPy.

Owns named random streams, demand, tickets, teams and agents, SLA clocks, the desk (a ticket's
lifecycle), the escalator that carries out decisions, the pure policy functions and trigger
registry that make them, and the columnar records a run emits. It imports ``sim.scenario`` and
``sim.core``; it computes no statistics: KPIs are functions over its records in ``sim.analysis``.
"""

from sim.engine.desk import Desk
from sim.engine.records import RunRecords
from sim.engine.replication import ConservationError, run_replication

__all__ = ["ConservationError", "Desk", "RunRecords", "run_replication"]
