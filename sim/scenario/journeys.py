"""Customer journeys across contacts: callbacks (virtual hold) and retrials, as a channel's settings.

*Callbacks.* A caller who joins a queue for a first answer hears an estimate of the wait; when it
is over ``offer_when_wait_over`` the caller is offered a callback, and a share of callers accept
and hang up. From then on their patience no longer applies (they are not on hold) and the ticket
waits as a callback, served by rule: it keeps its place in line (``keep_place``, as virtual-hold
products do) or is called only when an agent would otherwise be idle (``when_idle``). Once a
``promise`` has passed, a callback still waiting goes ahead of every ticket. Each outbound attempt
costs the agent ``attempt_time``; it reaches the customer with ``reach_probability``; a failed
attempt is tried again ``retry_after`` later, and after ``max_attempts`` failures the ticket ends
abandoned (cause ``callback_unreached``).

*Retrials.* A share of callers who hang up call again after a delay, as a new contact (a new
ticket) of the same customer; a customer whose last contact was abandoned and who does not call
again gave up for good.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.core.distributions import Distribution
from sim.core.units import Duration
from sim.scenario.fields import Spec


class CallbackSpec(Spec):
    """Callbacks (virtual hold) on a live channel: when they are offered, and how they are served."""

    offer_when_wait_over: Duration | None = Field(
        default=5.0,
        ge=0,
        description="offer a callback when the estimated wait exceeds this; null: never offered "
        "(callbacks only as the warm-handoff fallback, escalation.handoff.hold_fallback)",
    )
    estimator: Literal["queue_length", "head_of_line"] = Field(
        default="queue_length",
        description="the announced wait: queue_length: (tickets ahead + 1) x mean handle time / agents on duty; "
        "head_of_line: how long the longest-waiting ticket of the queue has waited",
    )
    accept_probability: float = Field(default=0.4, ge=0, le=1, description="share of offered callers who accept")
    serve: Literal["keep_place", "when_idle"] = Field(
        default="keep_place",
        description="keep_place: the callback keeps the caller's place in line; "
        "when_idle: called only when no other ticket waits for the team",
    )
    promise: Duration | None = Field(
        default=None,
        gt=0,
        description="a callback still waiting this long after it was accepted goes ahead of every ticket; "
        "null: no promise",
    )
    attempt_time: Duration = Field(
        default=0.5, ge=0, description="agent time one outbound attempt takes (dialling, ringing)"
    )
    reach_probability: float = Field(default=0.9, ge=0, le=1, description="chance an attempt reaches the customer")
    retry_after: Duration = Field(default=10.0, ge=0, description="a failed attempt is tried again this much later")
    max_attempts: int = Field(
        default=3, ge=1, le=100, description="attempts at most; then the ticket ends abandoned (callback_unreached)"
    )


class RetrialSpec(Spec):
    """Callers who hang up and call again later, as a new contact of the same customer."""

    probability: float = Field(ge=0, le=1, description="share of abandoned contacts followed by a new call")
    delay: Distribution = Field(description="time from hanging up to calling again")
    max: int = Field(default=3, ge=0, le=100, description="new calls per customer at most")
