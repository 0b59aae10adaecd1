"""The ticket: one customer request, from arrival to resolution, abandonment or the horizon.

A ticket carries the facts drawn when it arrives (channel, category, priority, segment,
attributes such as ``refund_amount``, the customer's patience and the work its first team will
need) and the timestamps of its lifecycle. Its final row in the per-ticket table is written by
``TicketTable.add`` once, when the run ends for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from sim.records import NAN, Columns

if TYPE_CHECKING:
    from sim.sla import SlaClock

WAITING, IN_SERVICE, PENDING, RESOLVED, ABANDONED = "waiting", "in_service", "pending_customer", "resolved", "abandoned"
OUTCOMES = ("resolved", "abandoned", "open")
"""How every arrived ticket ends: no other outcome exists."""


@dataclass(slots=True, eq=False)
class Ticket:
    id: int
    channel: str
    category: str
    priority: str
    rank: int
    segment: str
    arrival: float
    concurrency: int
    attributes: dict[str, float]
    patience: float | None
    next_work: float | None
    needs_reply: bool
    status: str = WAITING
    team: str = ""
    first_team: str = ""
    queued_at: float = NAN
    answered_at: float = NAN
    resolved_at: float = NAN
    abandoned_at: float = NAN
    resolving_team: str = ""
    work_time: float = 0.0
    sessions: int = 0
    sla_policy: str = ""
    clocks: list["SlaClock"] = field(default_factory=list)
    queue_token: int = -1

    @property
    def outcome(self) -> str:
        if self.status == RESOLVED:
            return "resolved"
        if self.status == ABANDONED:
            return "abandoned"
        return "open"


class TicketTable:
    """Final per-ticket rows, one per arrived ticket."""

    def __init__(self, attribute_names: Sequence[str]) -> None:
        kinds = {"ticket": "i", "channel": "c", "category": "c", "priority": "c", "segment": "c",
                 "arrival": "f", "outcome": "c", "first_team": "c", "resolving_team": "c", "answered_at": "f",
                 "wait": "f", "resolved_at": "f", "abandoned_at": "f", "resolution_time": "f",
                 "work_time": "f", "sessions": "i", "sla_policy": "c",
                 "first_response_due": "f", "first_response_breached_at": "f", "first_response_met": "f",
                 "resolution_due": "f", "resolution_breached_at": "f", "resolution_met": "f"}
        self.attribute_names = list(attribute_names)
        kinds.update({f"attr_{name}": "f" for name in self.attribute_names})
        self._cols = Columns(kinds)
        for outcome in OUTCOMES:
            self._cols.code("outcome", outcome)

    def add(self, t: Ticket) -> None:
        c, d = self._cols, self._cols.data
        end = t.resolved_at if t.status == RESOLVED else NAN
        wait_end = t.answered_at if t.answered_at == t.answered_at else t.abandoned_at
        values = {
            "ticket": t.id, "channel": c.code("channel", t.channel), "category": c.code("category", t.category),
            "priority": c.code("priority", t.priority), "segment": c.code("segment", t.segment),
            "arrival": t.arrival, "outcome": c.code("outcome", t.outcome),
            "first_team": c.code("first_team", t.first_team), "resolving_team": c.code("resolving_team", t.resolving_team),
            "answered_at": t.answered_at, "wait": wait_end - t.arrival, "resolved_at": t.resolved_at,
            "abandoned_at": t.abandoned_at, "resolution_time": end - t.arrival, "work_time": t.work_time,
            "sessions": t.sessions, "sla_policy": c.code("sla_policy", t.sla_policy),
        }
        for name in ("first_response", "resolution"):
            clock = next((k for k in t.clocks if k.name == name), None)
            values[f"{name}_due"] = clock.due if clock else NAN
            values[f"{name}_breached_at"] = clock.breached_at if clock else NAN
            values[f"{name}_met"] = clock.met if clock else NAN
        for name in self.attribute_names:
            values[f"attr_{name}"] = t.attributes.get(name, NAN)
        for name, value in values.items():
            d[name].append(value)

    def __len__(self) -> int:
        return len(self._cols)

    def frame(self):
        df = self._cols.frame()
        for column in ("first_team", "resolving_team", "sla_policy"):
            df[column] = df[column].astype(str).replace("", None).astype("category")
        return df
