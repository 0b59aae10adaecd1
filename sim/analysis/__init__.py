"""Analysis: numbers from records, as pure functions.

Owns the KPI registry (each KPI's definition, unit and the validation of KPI names), warm-up
detection, precision targets, queueing theory (Erlang B/C/A, Jackson networks, priority queues)
and staffing cost. It imports ``sim.engine`` (for record types and names), ``sim.scenario`` and
``sim.core``; it runs no simulation itself.
"""
