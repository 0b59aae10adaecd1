"""Scenario: what a YAML file says, as typed data, and whether it makes sense.

Owns the schema (pure pydantic records: every default lives here, unknown keys are errors), the
YAML loader with file:line messages, ``--set`` overrides and variants, the cross-checks that tie
names together, first-match routing and SLA-policy matching, and the generated reference. It
imports only ``sim.core``; it never runs a simulation.
"""
