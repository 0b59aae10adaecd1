"""The KPI catalogue: every KPI's base name, with the label and the unit it is shown in.

A KPI's name is its base (``asa``) or its base and a detail (``service_level.phone``); the
catalogue labels the bases. It stands apart from ``kpis``, which computes them, because tables,
plots, comparisons and the name checks need only how a KPI is shown, not how it is computed.
Definitions for the docs are in ``kpi_docs``.
"""

from __future__ import annotations

from dataclasses import dataclass

SHARE = "share"
"""The unit of a fraction in [0, 1] (a service level, a rate): stored as a fraction, shown in percent."""


@dataclass(frozen=True)
class Kpi:
    """How to show a KPI: a label and a unit ('min', 'share', 'count', 'agents', '$' …)."""

    label: str
    unit: str


def kpi_info(name: str) -> Kpi:
    """Label and unit of a KPI name such as ``service_level.phone``."""
    base, _, detail = name.partition(".")
    label, unit = KPIS.get(base, (base.replace("_", " "), ""))
    return Kpi(f"{label.removesuffix(POOLED)} [{detail}]" if detail else label, unit)


POOLED = ", all channels pooled"
"""Ends the label of a KPI that pools every channel (``asa``); its per-channel names drop it."""


KPIS = {  # every KPI's base name: its label and unit (names may add .<channel|team|priority|…>)
    "arrived": ("tickets arrived", "count"),
    "resolved": ("tickets resolved", "count"),
    "abandoned": ("tickets abandoned", "count"),
    "open": ("tickets open at horizon", "count"),
    "asa": ("average speed of answer" + POOLED, "min"),
    "asa_live": ("average speed of answer, live channels pooled", "min"),
    "service_level": ("service level", SHARE),
    "intervals_met": ("intervals meeting the service goal", SHARE),
    "asa_segment": ("average speed of answer, by segment (all channels pooled)", "min"),
    "abandonment_rate_segment": ("abandonment rate, by segment", SHARE),
    "abandonment_rate": ("abandonment rate", SHARE),
    "abandonment_rate_first_queue": ("abandoned in the first queue", SHARE),
    "abandonment_rate_after_transfer": ("transferred tickets abandoned after a transfer", SHARE),
    "p_wait": ("share of answered tickets that waited, all channels pooled", SHARE),
    "first_response_attainment": ("first-response SLA met", SHARE),
    "resolution_attainment": ("resolution SLA met", SHARE),
    "sla_abandoned_excluded": ("abandoned tickets left out of SLA attainment", "count"),
    "first_resolution_time_mean": ("first resolution time, mean", "min"),
    "first_resolution_time_p50": ("first resolution time, median", "min"),
    "first_resolution_time_p90": ("first resolution time, 90th pct", "min"),
    "resolution_time_mean": ("final resolution time (time closed left out), mean", "min"),
    "resolution_time_p50": ("final resolution time (time closed left out), median", "min"),
    "resolution_time_p90": ("final resolution time (time closed left out), 90th pct", "min"),
    "utilisation": ("agent utilisation", SHARE),
    "queue_length": ("mean queue length", "tickets"),
    "agents_on_duty": ("mean agents on duty", "agents"),
    "cost_per_resolved": ("cost per resolved ticket", "$"),
    "overtime_hours": ("overtime past shift end, per week", "agent-hours"),
    "fcr": ("first-contact resolution", SHARE),
    "escalation_rate": ("tickets escalated", SHARE),
    "escalation_kind": ("tickets escalated, by kind", SHARE),
    "escalation_reason": ("tickets escalated, by reason", SHARE),
    "escalation_rate_category": ("tickets escalated, by category", SHARE),
    "handoffs_mean": ("handoffs per ticket", ""),
    "handoffs_3plus": ("tickets with 3+ handoffs", SHARE),
    "rework_per_ticket": ("rework from lost context, per ticket", "min"),
    "time_in_team": ("time in team per stay", "min"),
    "path_share": ("route share", SHARE),
    "reopen_rate": ("resolved tickets reopened", SHARE),
    "cost_per_ticket_tier": ("handling cost per ticket, by resolving tier", "$"),
    "review_hours_per_day": ("review and intervention hours per day", ""),
    "served_by": ("stays first picked up by a pool (team.pool)", SHARE),
    "deflection_rate": ("contacts that tried self-service", SHARE),
    "containment_rate": ("self-service attempts resolved there", SHARE),
    "self_service_extra_handle_time": ("extra handle time of a contact self-service failed, mean", "min"),
    "backlog_resolved": ("starting backlog resolved by the horizon", SHARE),
    "backlog_clearance_time": ("time to resolve the whole starting backlog", "min"),
    "volume_factor": ("daily forecast volume factor, mean", ""),
    "callback_offer_rate": ("contacts offered a callback", SHARE),
    "callback_accept_rate": ("offered callbacks accepted", SHARE),
    "callback_reach_rate": ("callbacks that reached the customer", SHARE),
    "callback_wait_mean": ("wait from taking a callback to being reached, mean", "min"),
    "recontact_rate": ("abandoned contacts followed by a new call", SHARE),
    "gave_up_for_good": ("customers who gave up for good", SHARE),
    "work_time_mean": ("agent work (talk) time per answered ticket, mean", "min"),
    "wrap_time_mean": ("after-call work per answered ticket, mean", "min"),
    "handle_time_mean": ("handle time (work + after-call work) per answered ticket, mean", "min"),
    "occupancy": ("agent occupancy (busy over time available)", SHARE),
    "agents_available": ("mean agents available (on duty, not away)", "agents"),
    "shrinkage": ("shrinkage: rostered hours not available", SHARE),
    "shrinkage_team": ("shrinkage of a team, all causes", SHARE),
    "agent_utilisation_min": ("lowest utilisation of an agent's shift", SHARE),
    "agent_utilisation_max": ("highest utilisation of an agent's shift", SHARE),
    "agent_occupancy_min": ("lowest occupancy of an agent's shift", SHARE),
    "agent_occupancy_max": ("highest occupancy of an agent's shift", SHARE),
}
