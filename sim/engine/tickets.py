"""The ticket: one customer request, from arrival to resolution, abandonment or the horizon.

A ticket carries the facts drawn when it arrives (channel, category, priority, segment,
attributes such as ``refund_amount``, the customer's patience and the work its first team will
need) and the timestamps of its lifecycle. Its final row in the per-ticket table is written by
``TicketTable.add`` once, when the run ends for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.core.names import Names
from sim.engine.records import NAN, Columns
from sim.scenario.sla_spec import ClockName

if TYPE_CHECKING:
    import simpy

    from sim.engine.sla import ClockPlan, SlaClock


class Status(Names):
    """Where a ticket (or a task) stands now."""

    WAITING = "waiting"
    IN_SERVICE = "in_service"
    PENDING = "pending_customer"
    RESOLVED = "resolved"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"
    """Tasks only: a consult withdrawn, or an update or review whose ticket was already done."""


FINISHED = (Status.RESOLVED, Status.ABANDONED)
"""Statuses after which nothing more happens to a ticket (unless it reopens)."""


class Wait(Names):
    """Which wait of a live ticket (a channel with a patience) is under way: where it may be abandoned."""

    FIRST_QUEUE = "first_queue"
    """Waiting for the first answer (a rule moving the ticket meanwhile does not end this wait)."""
    AFTER_TRANSFER = "after_transfer"
    """Waiting after a handoff: in the receiving queue, or on hold during a warm handoff."""
    REQUEUE = "requeue"
    """Back in the same team's queue after a failed attempt: the contact goes on."""
    RETURN = "return"
    """The customer came back (with a reply, or the ticket reopened): a new contact, a fresh patience."""
    CALLBACK_UNREACHED = "callback_unreached"
    """Not a wait on the line: a promised callback that never reached the customer (abandoned so)."""


class Session(Names):
    """What an agent's session on a ticket is: working it, or only seeing that the team cannot."""

    WORK = "work"
    TRIAGE = "triage"
    CALLBACK = "callback"
    """An outbound callback attempt that did not reach the customer."""


class Outcome(Names):
    """How every arrived ticket ends: no other outcome exists."""

    RESOLVED = "resolved"
    ABANDONED = "abandoned"
    OPEN = "open"


OUTCOME = {Status.RESOLVED: Outcome.RESOLVED, Status.ABANDONED: Outcome.ABANDONED}
"""The outcome of a ticket by its status; any other status: open."""


@dataclass(slots=True, eq=False)
class Journey:
    """A ticket's place in its customer's journey: which contact it is, and its callback, if any.

    Only tickets of channels with callbacks or retrials get one (the others need none).
    """

    customer: int
    """The id of the customer's first contact (ticket)."""
    contact: int = 1
    """1 for the first contact, 2 for the first call again, and so on."""
    offered: bool = False
    accepted_at: float = NAN
    """When the customer took a callback (offered, or promised when a warm hold ended)."""
    pending: bool = False
    """Waiting for a callback that has not reached the customer yet."""
    attempts: int = 0
    reached_at: float = NAN
    retried: bool = False
    """The customer hung up and calls again (a later ticket), even if after the horizon."""


@dataclass(slots=True, eq=False)
class Ticket:
    """One customer request: the facts drawn when it arrived, and where its lifecycle stands."""

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
    """Live tickets: the patience left for the waits of the current contact; None: never abandons."""
    next_work: float | None
    needs_reply: bool
    status: str = Status.WAITING
    team: str = ""
    first_team: str = ""
    queued_at: float = NAN
    answered_at: float = NAN
    resolved_at: float = NAN
    first_resolved_at: float = NAN
    closed_time: float = 0.0
    abandoned_at: float = NAN
    resolving_team: str = ""
    work_time: float = 0.0
    wrap_time: float = 0.0
    sessions: int = 0
    sla_policy: str = ""
    clocks: tuple[SlaClock, ...] = ()
    sla_plans: tuple[ClockPlan, ...] = ()
    """The plans of the clocks while they are unbroken (see ``sla_policies``); () once they are ``clocks``."""
    first_response_met_at: float = NAN
    """When an unbroken first-response clock was met (NaN: not yet)."""
    resolution_met_at: float = NAN
    """When an unbroken resolution clock was met (NaN: not yet)."""
    response_on: str = ""
    """What stops the running first-response clock (``FirstResponseEnd``); "" when none runs."""
    queue_token: int = -1
    queue_seq: int = -1
    handoffs: int = 0
    escalations: int = 0
    failed_here: int = 0
    attempt_u: float = 0.0
    session_kind: str = Session.WORK
    rework_due: float = 0.0
    rework_time: float = 0.0
    waited: float = 0.0
    reopens: int = 0
    reopen_pending: bool = False
    intervened: bool = False
    path: str = ""
    entered_team_at: float = 0.0
    work_here: float = 0.0
    warm_join: simpy.Event | None = None
    arrival_priority: str = ""
    wait_kind: str = Wait.FIRST_QUEUE
    journey: Journey | None = None

    def met_at(self, clock: str) -> float:
        """When the unbroken clock ``clock`` (a ``ClockName``) was met; NaN if it was not (yet)."""
        return self.first_response_met_at if clock == ClockName.FIRST_RESPONSE else self.resolution_met_at

    def goal_met(self, clock: str, now: float) -> None:
        """The unbroken clock ``clock`` is met ``now``."""
        if clock == ClockName.FIRST_RESPONSE:
            self.first_response_met_at = now
        else:
            self.resolution_met_at = now


@dataclass(slots=True, eq=False)
class Task:
    """Agent work on behalf of a ticket that is not its own session: a review, consult, follow-up or update."""

    kind: str
    ticket: Ticket
    work: float
    rank: int
    concurrency: int = 1
    status: str = Status.WAITING
    team: str = ""
    queued_at: float = NAN
    queue_token: int = -1
    queue_seq: int = -1
    started: simpy.Event | None = None
    done: simpy.Event | None = None
    started_at: float = NAN

    @property
    def id(self) -> int:
        """The id of the ticket the task is for (the event log files tasks under it)."""
        return self.ticket.id


JOURNEY_COLUMNS = {
    "customer": "i",
    "contact": "i",
    "callback_offered": "i",
    "callback_accepted_at": "f",
    "callback_attempts": "i",
    "callback_reached_at": "f",
    "retried": "i",
}
"""Ticket columns of a scenario with callbacks or retrials: the customer (id of its first contact), the
contact's number, whether a callback was offered, when one was taken, the outbound attempts, when the
customer was reached, and whether the customer called again after this contact was abandoned (1/0)."""


TICKET_COLUMNS = {
    "ticket": "i",
    "channel": "c",
    "category": "c",
    "priority": "c",
    "final_priority": "c",
    "segment": "c",
    "arrival": "f",
    "outcome": "c",
    "first_team": "c",
    "resolving_team": "c",
    "answered_at": "f",
    "wait": "f",
    "resolved_at": "f",
    "abandoned_at": "f",
    "first_resolution_time": "f",
    "closed_time": "f",
    "resolution_time": "f",
    "work_time": "f",
    "wrap_time": "f",
    "sessions": "i",
    "sla_policy": "c",
    "first_response_due": "f",
    "first_response_breached_at": "f",
    "first_response_met": "f",
    "resolution_due": "f",
    "resolution_breached_at": "f",
    "resolution_met": "f",
    "handoffs": "i",
    "escalations": "i",
    "rework_time": "f",
    "reopens": "i",
    "path": "c",
    "abandoned_wait": "c",
}
"""The per-ticket table's columns in order (then ``attr_<name>`` per attribute, then ``JOURNEY_COLUMNS``)."""

SLA_COLUMNS = (
    "first_response_due",
    "first_response_breached_at",
    "first_response_met",
    "resolution_due",
    "resolution_breached_at",
    "resolution_met",
)

_KEPT = {
    ("first_resolved_at" if name == "first_resolution_time" else name): kind
    for name, kind in TICKET_COLUMNS.items()
    if name not in ("wait", "resolution_time", "outcome", "abandoned_wait", *SLA_COLUMNS)
} | {"outcome": "c", "abandoned_wait": "c"}
"""What ``TicketTable.add`` keeps of each ticket, in row order: the ticket's attributes (a column named as
its attribute, but ``ticket`` for ``id``, ``priority`` for ``arrival_priority`` and ``final_priority`` for
``priority``), then its outcome and the wait it abandoned in. The waits and durations are worked out from these for the
whole table at once (``_durations``), and the SLA columns follow only when clocks run."""

_NAMELESS = ("first_team", "resolving_team", "sla_policy", "abandoned_wait")
"""Category columns in which "" stands for none: a missing value in the table."""

_NO_CLOCK = (NAN, NAN, NAN)
_UNBROKEN = "sla_unbroken"
"""A kept column, not in the table: 1 where the ticket's clocks stayed unbroken (their due dates come last)."""
_OPEN, _ABANDONED = Outcome.OPEN, Status.ABANDONED
"""Read for every row: module constants, which Python caches (class attributes it looks up)."""


class TicketTable:
    """Final per-ticket rows, one per arrived ticket.

    A row keeps the ticket's facts and timestamps as they are when its run ends; the waits and
    durations derived from them are computed column-wise when the table is built. Without
    ``sla`` (a scenario with no SLA policy) the SLA columns are all missing and are not kept per
    ticket. With ``journeys`` (a scenario with callbacks or retrials) the rows end with ``JOURNEY_COLUMNS``.
    """

    def __init__(
        self,
        attribute_names: Sequence[str],
        journeys: bool = False,
        sla: Mapping[str, tuple[ClockPlan, ...]] | None = None,
    ) -> None:
        kinds = dict(_KEPT)
        self.sla = sla
        """The clocks each SLA policy starts, by its name (None: the scenario has no SLA policy)."""
        if sla is not None:
            kinds.update({name: "f" for name in SLA_COLUMNS})
            kinds[_UNBROKEN] = "n"
        self.attribute_names = list(attribute_names)
        kinds.update({f"attr_{name}": "f" for name in self.attribute_names})
        self.journeys = journeys
        if journeys:
            kinds.update(JOURNEY_COLUMNS)
        self._cols = Columns(kinds)
        self._put = self._cols.put
        self._cols.declare("outcome", Outcome.all())
        self._cols.declare("abandoned_wait", ("", *Wait.all()))

    def add(self, t: Ticket) -> None:
        """Record the ticket's final row (called once, when it leaves the system or at the horizon).

        The row goes into the flat buffer part by part (one ``extend`` each, no tuple joined). Its
        first part is written out in ``_KEPT`` order: plain attribute reads of a slotted class are
        about three times faster than one ``operator.attrgetter`` call over them.
        """
        put, status = self._put, t.status
        put(
            (
                t.id,
                t.channel,
                t.category,
                t.arrival_priority,
                t.priority,
                t.segment,
                t.arrival,
                t.first_team,
                t.resolving_team,
                t.answered_at,
                t.resolved_at,
                t.abandoned_at,
                t.first_resolved_at,
                t.closed_time,
                t.work_time,
                t.wrap_time,
                t.sessions,
                t.sla_policy,
                t.handoffs,
                t.escalations,
                t.rework_time,
                t.reopens,
                t.path,
                OUTCOME.get(status, _OPEN),
                t.wait_kind if status == _ABANDONED else "",
            )
        )
        if self.sla is not None:
            put(_clock_values(t.clocks) if not t.sla_plans else _unbroken_values(t))
        if self.attribute_names:
            put([t.attributes.get(name, NAN) for name in self.attribute_names])
        if self.journeys:
            j = t.journey
            if j is None:
                put((t.id, 1, 0, NAN, 0, NAN, 0))
            else:
                put((j.customer, j.contact, int(j.offered), j.accepted_at, j.attempts, j.reached_at, int(j.retried)))

    def flush(self) -> None:
        """Move the buffered rows into the columns (``add`` does not check: the desk flushes regularly)."""
        self._cols.flush()

    def __len__(self) -> int:
        return len(self._cols)

    def frame(self) -> pd.DataFrame:
        """The per-ticket table; empty team and SLA-policy names become missing values."""
        cols = self._cols
        kept = cols.arrays()
        columns = _durations(kept, kept["outcome"] == cols.codes["outcome"][Outcome.RESOLVED])
        if self.sla is not None:
            self._fill_due_dates(kept)
        else:
            columns.update({name: np.full(len(kept["arrival"]), NAN) for name in SLA_COLUMNS})
        for name, values in kept.items():
            if cols.kinds[name] != "c":
                columns[name] = values
            elif name in _NAMELESS and "" in cols.codes[name]:
                columns[name] = cols.categorical(name, values).remove_categories([""])
            else:
                columns[name] = cols.categorical(name, values)
        names = [*TICKET_COLUMNS, *(c for c in kept if c.startswith("attr_") or c in JOURNEY_COLUMNS)]
        return pd.DataFrame({name: columns[name] for name in names}, copy=False)

    def _fill_due_dates(self, kept: dict[str, np.ndarray]) -> None:
        """The due dates of unbroken clocks, per policy and clock: a target's business time after each arrival."""
        assert self.sla is not None
        unbroken = kept[_UNBROKEN] == 1
        if not unbroken.any():
            return
        codes = self._cols.codes["sla_policy"]
        for policy, plans in self.sla.items():
            if policy not in codes:
                continue
            rows = unbroken & (kept["sla_policy"] == codes[policy])
            for plan in plans:
                kept[f"{plan.name}_due"][rows] = plan.calendar.add_each(kept["arrival"][rows], plan.target)


def _clock_values(clocks: tuple[SlaClock, ...]) -> tuple[float, ...]:
    """(due, breached at, met) of the first-response clock, then of the resolution clock (NaN: no such clock), then 0.

    The last value says the clocks are not unbroken (see ``_unbroken_values``).
    """
    if len(clocks) == 2:  # both, in the order an SLA policy starts them: first response, then resolution
        first, last = clocks
        return (first.due, first.breached_at, first.met, last.due, last.breached_at, last.met, 0)
    fr = rs = _NO_CLOCK
    for clock in clocks:
        if clock.name == ClockName.FIRST_RESPONSE:
            fr = (clock.due, clock.breached_at, clock.met)
        elif clock.name == ClockName.RESOLUTION:
            rs = (clock.due, clock.breached_at, clock.met)
    return (*fr, *rs, 0)


def _unbroken_values(t: Ticket) -> tuple[float, ...]:
    """``_clock_values`` of unbroken clocks: never breached, met if their goal was, and 1 at the end.

    Their due dates depend on the arrival alone, so the table works them out for all rows at once (``frame``).
    """
    fr, rs = t.first_response_met_at, t.resolution_met_at
    return (NAN, NAN, 1.0 if fr == fr else NAN, NAN, NAN, 1.0 if rs == rs else NAN, 1)


def _durations(kept: dict[str, np.ndarray], resolved: np.ndarray) -> dict[str, np.ndarray]:
    """The wait (to the answer, else to abandonment), the time to first resolution, and the resolution time.

    The resolution time (of ``resolved`` tickets) leaves out the time the ticket spent closed before
    reopening. Each result is worked out in its own array: no float temporaries to fault in.
    """
    arrival, answered = kept["arrival"], kept["answered_at"]
    wait = np.where(answered == answered, answered, kept["abandoned_at"])
    resolution = np.subtract(kept["resolved_at"], arrival)
    np.subtract(resolution, kept["closed_time"], out=resolution)
    resolution[~resolved] = NAN
    return {
        "wait": np.subtract(wait, arrival, out=wait),
        "first_resolution_time": kept["first_resolved_at"] - arrival,
        "resolution_time": resolution,
    }
