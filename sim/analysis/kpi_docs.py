"""What every KPI means, exactly: the registry behind the docs site's KPI reference.

``DEFINITIONS`` holds one or two sentences per base name of ``kpi_catalogue.KPIS`` (numerator, denominator,
which tickets count, unit), ``DETAILS`` the name suffixes each base takes (``.phone``, ``.tier1``,
a priority, a reason …), ``GROUPS`` the order of the page. A definition refers to another KPI as
``{name}``; ``markdown`` renders that as a link to its row. tests/test_docs_reference.py checks that
these cover ``KPIS`` exactly and name no KPI that does not exist, so the page cannot go stale.

Common ground for every definition: *counted tickets* are those that arrived after the warm-up
(``kpis.counted``: a starting-backlog ticket counts when there is no warm-up); *time-weighted*
means averaged over [warm-up, horizon); a KPI without data in a replication is NaN there.
"""

from __future__ import annotations

import re

from sim.analysis.kpi_catalogue import KPIS, SHARE

Family = tuple[str, str]
"""A family of name suffixes: the placeholder (``channel``) and what it stands for."""

CHANNEL: Family = ("channel", "any channel")
SL_CHANNEL: Family = ("channel", "a channel with a `service_level` target")
LIVE_CHANNEL: Family = ("channel", "a live channel (one with a `patience`)")
CALLBACK_CHANNEL: Family = ("channel", "a channel with a `callback`, only when more than one has one")
VOLUME_CHANNEL: Family = ("channel", "a channel with `volume_uncertainty`")
TEAM: Family = ("team", "a team")
POOL: Family = ("pool", "a team with its own agents, or an agent group")
SHIFT_POOL: Family = ("pool", "a team or agent group with `shifts`")
SHRINKING_POOL: Family = ("pool", "a team or agent group with a `shrinkage` spec")
PRIORITY: Family = ("priority", "a priority (the ticket's `final_priority`)")
CATEGORY: Family = ("category", "a category")
SEGMENT: Family = ("segment", "a customer segment (when the scenario has more than one)")
KIND: Family = ("kind", "an escalation kind: `hierarchical`, `functional`, `automatic`")
REASON: Family = ("reason", "a reason the scenario's triggers record")
ROUTE: Family = ("route", "team names joined by `>`, e.g. `tier1>tier2` (the 8 most common routes)")
TIER: Family = ("tier", "the tier of the resolving team, e.g. `2`")
TEAM_POOL: Family = ("team.pool", "a team and a pool that picks its tickets up")
CAUSE: Family = ("cause", "a shrinkage cause: `break`, `lunch`, `meeting`, `coaching`, `absence`")

DETAILS: dict[str, tuple[bool, Family]] = {
    "asa": (True, CHANNEL),
    "asa_segment": (False, SEGMENT),
    "abandonment_rate": (True, CHANNEL),
    "abandonment_rate_segment": (False, SEGMENT),
    "abandonment_rate_first_queue": (True, LIVE_CHANNEL),
    "abandonment_rate_after_transfer": (True, LIVE_CHANNEL),
    "service_level": (False, SL_CHANNEL),
    "intervals_met": (False, SL_CHANNEL),
    "first_response_attainment": (True, PRIORITY),
    "resolution_attainment": (True, PRIORITY),
    "utilisation": (False, POOL),
    "queue_length": (False, TEAM),
    "agents_on_duty": (False, POOL),
    "overtime_hours": (False, SHIFT_POOL),
    "escalation_kind": (False, KIND),
    "escalation_reason": (False, REASON),
    "escalation_rate_category": (False, CATEGORY),
    "time_in_team": (False, TEAM),
    "path_share": (False, ROUTE),
    "cost_per_ticket_tier": (False, TIER),
    "served_by": (False, TEAM_POOL),
    "volume_factor": (True, VOLUME_CHANNEL),
    "callback_offer_rate": (True, CALLBACK_CHANNEL),
    "callback_accept_rate": (True, CALLBACK_CHANNEL),
    "callback_reach_rate": (True, CALLBACK_CHANNEL),
    "callback_wait_mean": (True, CALLBACK_CHANNEL),
    "work_time_mean": (True, CHANNEL),
    "wrap_time_mean": (True, CHANNEL),
    "handle_time_mean": (True, CHANNEL),
    "occupancy": (False, POOL),
    "agents_available": (False, SHRINKING_POOL),
    "shrinkage": (True, CAUSE),
    "shrinkage_team": (False, SHRINKING_POOL),
    "agent_utilisation_min": (False, POOL),
    "agent_utilisation_max": (False, POOL),
    "agent_occupancy_min": (False, POOL),
    "agent_occupancy_max": (False, POOL),
}
"""Base names that take a ``.<detail>``: whether the bare name is reported too, and what the detail names.

A base name missing here is reported bare only (``arrived``, ``fcr`` …)."""

DEFINITIONS: dict[str, str] = {
    # volumes
    "arrived": "Counted tickets: those that arrived after the warm-up.",
    "resolved": "Counted tickets whose outcome at the horizon is resolved.",
    "abandoned": "Counted tickets whose outcome at the horizon is abandoned (the customer gave up in any wait).",
    "open": "Counted tickets still open at the horizon (neither resolved nor abandoned).",
    # waits and service levels
    "asa": "Average speed of answer: mean wait from arrival to first pick-up, over counted tickets that were "
    "answered; bare, every channel pooled, and per channel with `.<channel>`.",
    "asa_live": "Like {asa}, pooled over the live channels only (those with a `patience`: the customer is on the "
    "line). Reported when the scenario has a live channel.",
    "asa_segment": "Like {asa} (every channel pooled), over the answered tickets of one customer segment.",
    "p_wait": "Answered counted tickets that waited at all (wait above 0), over answered counted tickets, every "
    "channel pooled.",
    "service_level": "Per channel with a target: counted tickets answered within the target, over counted tickets "
    "whose fate at the target is known (answered, abandoned — a miss — or still waiting past the target at the "
    "horizon — a miss); tickets whose target had not elapsed at the horizon are left out.",
    "intervals_met": "Per channel with a service goal: the reporting intervals (`reporting.interval`; tickets by "
    "the interval they arrived in) whose {service_level} reached the goal, over the intervals after the warm-up "
    "with a known service level.",
    "abandonment_rate": "Counted tickets abandoned, over counted tickets arrived ({abandoned} / {arrived}); "
    "per channel with `.<channel>`.",
    "abandonment_rate_segment": "Like {abandonment_rate}, over the counted tickets of one customer segment.",
    "abandonment_rate_first_queue": "Counted tickets abandoned in their first queue (before a first answer), over "
    "counted tickets arrived. Reported when a channel has a `patience`.",
    "abandonment_rate_after_transfer": "Counted tickets abandoned after a transfer (in the receiving queue, or on "
    "hold during a warm handoff), over counted tickets handed off at least once.",
    # SLA
    "first_response_attainment": "First-response SLA clocks met, over clocks decided (met, or breached — including "
    "tickets still open past their due time; an abandoned ticket's clock that had not run out counts as missed), "
    "over counted tickets; `.<priority>` by the priority whose targets the ticket was last measured against. "
    "Reported when the scenario has `sla_policies`.",
    "resolution_attainment": "Like {first_response_attainment}, for the resolution clock.",
    "sla_abandoned_excluded": "Abandoned counted tickets left out of SLA attainment because their policy says "
    "`abandoned: excluded`.",
    # resolution
    "first_resolution_time_mean": "Mean time from arrival to the first resolution, over counted tickets resolved "
    "at least once (a ticket reopened later counts with its first resolution).",
    "first_resolution_time_p50": "Median of the times of {first_resolution_time_mean}.",
    "first_resolution_time_p90": "90th percentile (linear interpolation) of the times of {first_resolution_time_mean}.",
    "resolution_time_mean": "Mean final resolution time: from arrival to the last resolution, minus the time the "
    "ticket sat resolved before it reopened, over counted tickets resolved at the horizon.",
    "resolution_time_p50": "Median of the times of {resolution_time_mean}.",
    "resolution_time_p90": "90th percentile (linear interpolation) of the times of {resolution_time_mean}.",
    "fcr": "First-contact resolution: resolved counted tickets that the first agent who worked them resolved in "
    "that one session and that never reopened, over resolved counted tickets; routing before the first pick-up "
    "is not a failure. Reported when the scenario can move tickets between teams.",
    "reopen_rate": "Resolved counted tickets that reopened at least once, over resolved counted tickets (scenarios "
    "that can move tickets between teams).",
    # agents
    "utilisation": "Per pool: time-weighted busy agent capacity (work and after-call work) over time-weighted "
    "agents on duty. A chat held takes 1/concurrency of an agent, so it never exceeds 100 %.",
    "occupancy": "Per pool: busy time (work and after-call work) over time on duty and not away (breaks, lunch, "
    "meetings, coaching), summed over the pool's agent shifts in the window. Unlike {utilisation}, time away "
    "is left out of the denominator. Reported when the scenario models agent time (after-call work or "
    "shrinkage), as are the per-agent figures below.",
    "queue_length": "Per team: time-weighted mean number of tickets waiting in the team's queue.",
    "agents_on_duty": "Per pool: time-weighted mean number of agents on duty (overtime included).",
    "agents_available": "Per pool with shrinkage: time-weighted mean agents on duty minus those away.",
    "overtime_hours": "Per pool with shifts: time-weighted mean agents working past their shift end, times the "
    "168 hours of a week: agent-hours of overtime per week.",
    "shrinkage": "Over pools with a `shrinkage` spec: rostered agent time not available to take work (away on "
    "breaks, lunch, meetings, coaching, or absent), over rostered agent time; `.<cause>` for one cause.",
    "shrinkage_team": "Like {shrinkage} (all causes), for one pool.",
    "agent_utilisation_min": "Per pool: the lowest busy time (work and after-call work) over time on duty of one "
    "agent's shift, among shifts with at least an hour on duty in the window.",
    "agent_utilisation_max": "Like {agent_utilisation_min}, the highest.",
    "agent_occupancy_min": "Per pool: the lowest busy time over time available (on duty, not away) of one agent's "
    "shift, among shifts with at least an hour on duty in the window.",
    "agent_occupancy_max": "Like {agent_occupancy_min}, the highest.",
    "served_by": "Per team and pool (with agent groups): the team's stays of counted tickets whose first pick-up "
    "was by that pool, over the team's stays of counted tickets that were picked up.",
    "work_time_mean": "Mean agent work (talk) time per answered counted ticket; per channel with `.<channel>`. "
    "Reported when a channel has `after_call_work`.",
    "wrap_time_mean": "Mean after-call work (wrap-up) per answered counted ticket, like {work_time_mean}.",
    "handle_time_mean": "Mean handle time, {work_time_mean} plus {wrap_time_mean}, per answered counted ticket.",
    # escalation
    "escalation_rate": "Counted tickets escalated at least once, over counted tickets (scenarios that can move "
    "tickets between teams).",
    "escalation_kind": "Counted tickets with at least one escalation of the kind, over counted tickets.",
    "escalation_reason": "Counted tickets with at least one escalation for the reason, over counted tickets.",
    "escalation_rate_category": "Counted tickets of the category escalated at least once, over the category's "
    "counted tickets.",
    "handoffs_mean": "Mean number of handoffs (moves to another team) per counted ticket; a plain number.",
    "handoffs_3plus": "Counted tickets handed off 3 times or more, over counted tickets.",
    "rework_per_ticket": "Mean minutes of rework from context lost in handoffs, per counted ticket.",
    "time_in_team": "Per team: mean length of a stay (entering the team to leaving it), over finished stays of "
    "counted tickets.",
    "path_share": "Counted tickets whose route through the teams is this one, over counted tickets.",
    "review_hours_per_day": "Hours of review and intervention tasks started after the warm-up, per day of the "
    "window (hours per day).",
    # cost
    "cost_per_resolved": "Paid agent-hours × each pool's `cost_per_hour`, over tickets resolved in the window "
    "(whenever they arrived). Paid hours are rota hours plus overtime past a shift end at the pool's "
    "`overtime_premium`. Reported when a pool has a cost.",
    "cost_per_ticket_tier": "Mean agent cost of a resolved counted ticket (its stays' work at the rate of the pool "
    "that picked each up, plus tasks done on its behalf), by the tier of the team that resolved it (scenarios "
    "that can move tickets between teams, with a cost).",
    # self-service, backlog, demand, callbacks, retrials
    "deflection_rate": "Self-service attempts after the warm-up, over contacts (attempts plus counted tickets that "
    "skipped self-service); a failed attempt and the ticket it became count once.",
    "containment_rate": "Self-service attempts resolved there, over attempts whose end is known (contained, or "
    "passed to an agent).",
    "self_service_extra_handle_time": "Mean extra handle time of a contact that self-service failed (passed to "
    "an agent).",
    "backlog_resolved": "Tickets of the starting backlog (`initial_backlog`) resolved by the horizon, over the "
    "backlog's size.",
    "backlog_clearance_time": "Time from the start (time 0) until the last ticket of the starting backlog was "
    "resolved; NaN if some is unresolved at the horizon.",
    "volume_factor": "Mean of the daily forecast-volume factors drawn by `volume_uncertainty`, over days from the "
    "warm-up's day on; a plain number (1 = the forecast).",
    "callback_offer_rate": "Counted contacts of channels with a callback that were offered one, over those contacts.",
    "callback_accept_rate": "Offered callbacks accepted, over callbacks offered.",
    "callback_reach_rate": "Callbacks that reached the customer, over callbacks decided (reached, or abandoned as "
    "`callback_unreached`).",
    "callback_wait_mean": "Mean wait from accepting a callback to being reached, over reached callbacks.",
    "recontact_rate": "Abandoned counted contacts of channels with `retrial` followed by a new call, over those "
    "abandoned contacts.",
    "gave_up_for_good": "Customers (of channels with `retrial`, with a counted contact) whose last contact was "
    "abandoned and not retried, over those customers.",
}

GROUPS: list[tuple[str, list[str]]] = [
    ("Volumes", ["arrived", "resolved", "abandoned", "open"]),
    (
        "Waits and service levels",
        [
            "asa",
            "asa_live",
            "asa_segment",
            "p_wait",
            "service_level",
            "intervals_met",
            "abandonment_rate",
            "abandonment_rate_segment",
            "abandonment_rate_first_queue",
            "abandonment_rate_after_transfer",
        ],
    ),
    ("SLA", ["first_response_attainment", "resolution_attainment", "sla_abandoned_excluded"]),
    (
        "Resolution",
        [
            "first_resolution_time_mean",
            "first_resolution_time_p50",
            "first_resolution_time_p90",
            "resolution_time_mean",
            "resolution_time_p50",
            "resolution_time_p90",
            "fcr",
            "reopen_rate",
        ],
    ),
    (
        "Agents",
        [
            "utilisation",
            "occupancy",
            "queue_length",
            "agents_on_duty",
            "agents_available",
            "overtime_hours",
            "shrinkage",
            "shrinkage_team",
            "agent_utilisation_min",
            "agent_utilisation_max",
            "agent_occupancy_min",
            "agent_occupancy_max",
            "served_by",
            "work_time_mean",
            "wrap_time_mean",
            "handle_time_mean",
        ],
    ),
    (
        "Escalation",
        [
            "escalation_rate",
            "escalation_kind",
            "escalation_reason",
            "escalation_rate_category",
            "handoffs_mean",
            "handoffs_3plus",
            "rework_per_ticket",
            "time_in_team",
            "path_share",
            "review_hours_per_day",
        ],
    ),
    ("Cost", ["cost_per_resolved", "cost_per_ticket_tier"]),
    (
        "Self-service, backlog and demand",
        [
            "deflection_rate",
            "containment_rate",
            "self_service_extra_handle_time",
            "backlog_resolved",
            "backlog_clearance_time",
            "volume_factor",
        ],
    ),
    (
        "Callbacks and retrials",
        [
            "callback_offer_rate",
            "callback_accept_rate",
            "callback_reach_rate",
            "callback_wait_mean",
            "recontact_rate",
            "gave_up_for_good",
        ],
    ),
]
"""The KPI page's sections, each a list of base names; together they hold every name of ``KPIS`` once."""

UNITS: dict[str, str] = {
    "count": "a number of tickets in one replication",
    "min": "minutes (tables print long times in hours or days)",
    SHARE: "a fraction in [0, 1], shown in percent; a difference of two shares is in percentage points (pp)",
    "tickets": "a time-weighted mean number of tickets",
    "agents": "a time-weighted mean number of agents",
    "agent-hours": "hours of agent time",
    "$": "money, in the currency of the scenario's `cost_per_hour`",
    "": "a plain number (what it counts is in its definition)",
}
"""What each unit of ``KPIS`` means on the page."""

REFERENCE = re.compile(r"\{([a-z0-9_]+)\}")
"""A definition's reference to another KPI: ``{asa}``."""


def references(text: str) -> list[str]:
    """The KPI base names a definition refers to as ``{name}``."""
    return REFERENCE.findall(text)


def anchor(name: str) -> str:
    """The id of a KPI's row on the page."""
    return f"kpi-{name.replace('_', '-')}"


def markdown() -> str:
    """The KPI reference page's tables: per group, each base name, label, unit, suffixes and definition."""
    parts = [
        "## Units\n\n| unit | meaning |\n|---|---|\n"
        + "\n".join(f"| {f'`{unit}`' if unit else '(none)'} | {text} |" for unit, text in UNITS.items())
    ]
    for title, names in GROUPS:
        rows = [f"## {title}\n\n| KPI | label | unit | suffixes | definition |\n|---|---|---|---|---|"]
        for name in names:
            label, unit = KPIS[name]
            rows.append(
                f"| `{name}`{{#{anchor(name)}}} | {label} | {f'`{unit}`' if unit else ''} | "
                f"{_suffixes(name)} | {_linked(DEFINITIONS[name])} |"
            )
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def _suffixes(name: str) -> str:
    if name not in DETAILS:
        return "none"
    bare, (placeholder, meaning) = DETAILS[name]
    return f"{'bare, or ' if bare else ''}`.<{placeholder}>`: {meaning}"


def _linked(text: str) -> str:
    return REFERENCE.sub(lambda m: f"[`{m.group(1)}`](#{anchor(m.group(1))})", text).replace("|", "/")
