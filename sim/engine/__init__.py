"""Engine: one replication of a scenario, and the only layer that imports SimPy.

Owns named random streams, demand, tickets, teams and agents, SLA clocks, the desk (a ticket's
lifecycle), the escalator with its handoffs and timers that carry out the decisions of the pure
policy functions in ``sim.scenario.policy``, and the columnar records a run emits. It imports
``sim.scenario`` and ``sim.core``; it computes no statistics: KPIs are functions over its records
in ``sim.analysis``.
"""

from sim.engine.desk import Desk
from sim.engine.records import RunRecords
from sim.engine.replication import ConservationError, run_replication

__all__ = ["ConservationError", "Desk", "RunRecords", "run_replication"]
