"""The trigger registry: what a decision is made of, and the one list of escalation triggers.

A trigger is a pure function that looks at what is known about a ticket (its ``Facts``) at one
``Phase`` of its life and returns a ``Decision`` or None. Each is registered once, by its name and
phases, with the ``@trigger`` decorator, which also records what it needs in order to act and the
escalation reasons it records; the engine's escalator finds the triggers of each phase here
(``in_phase``), and the schema's list of trigger names, the escalator's fast path and the KPI
reasons all derive from ``TRIGGERS``. The vocabulary and the registry stand apart from the decision
functions themselves (``policy``), which register on import: the schema (``escalation``) imports
``policy`` before it reads the trigger names, so whatever holds a scenario sees every trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from sim.core.names import Names

if TYPE_CHECKING:
    from sim.scenario.escalation import EscalationSpec
    from sim.scenario.spec import CategorySpec, TeamSpec


class Kind(Names):
    """The kinds of escalation: up the authority chain, across to expertise, or by the clock."""

    HIERARCHICAL = "hierarchical"
    FUNCTIONAL = "functional"
    AUTOMATIC = "automatic"


class Action(Names):
    """What a decision does to a ticket."""

    RESOLVE = "resolve"
    RETRY = "retry"
    AWAIT_CUSTOMER = "await_customer"
    TRANSFER = "transfer"
    SWARM = "swarm"
    RAISE_PRIORITY = "raise_priority"
    MOVE = "move"
    REVIEW = "review"
    APPROVE = "approve"


class Phase(StrEnum):
    """The moments of a ticket's life at which a trigger may act."""

    ARRIVAL = "arrival"
    """A new ticket, before it first queues: it may go elsewhere or gain priority."""
    PICKUP = "pickup"
    """An agent picks the ticket up: the agent may find that the team cannot work it."""
    END_OF_SESSION = "end_of_session"
    """A work session ended: the ticket may be retried or go up or across."""
    HANDOFF = "handoff"
    """The ticket has just changed hands."""
    QUEUE_WAIT = "queue_wait"
    """The ticket has been waiting in a queue for a while."""
    CLOCK = "clock"
    """An SLA clock reached a warning or its breach."""


class TaskKind(Names):
    """Work an agent does on a ticket's behalf outside its own sessions."""

    REVIEW = "review"
    INTERVENTION = "intervention"
    CONSULT = "consult"
    FOLLOW_UP = "follow_up"
    UPDATE = "update"
    WARM_HANDOFF = "warm_handoff"
    APPROVAL = "approval"


@dataclass(frozen=True)
class Decision:
    """What happens to a ticket next; for an escalation, its kind, reason and target team.

    ``rank`` is the ticket's new priority rank when the decision changes it, and ``task`` the
    kind of task a review queues for the target team.
    """

    action: str
    kind: str | None = None
    reason: str = ""
    to_team: str | None = None
    rank: int | None = None
    task: str | None = None


RESOLVED = Decision(Action.RESOLVE)
AWAIT = Decision(Action.AWAIT_CUSTOMER)


@dataclass(slots=True)
class Facts:
    """What a trigger may know about a ticket when it decides.

    ``team`` is the team holding the ticket (on arrival, the team routing chose). ``attempt_u``
    is the uniform draw that decides whether this session's attempt resolved it.
    """

    category: CategorySpec
    team: TeamSpec
    teams: Mapping[str, TeamSpec]
    segment: str = ""
    rank: int = 0
    attributes: Mapping[str, float] | None = None
    handoffs: int = 0
    waited: float = 0.0
    waiting: bool = False
    attempt_u: float = 0.0
    resolve_probability: float = 1.0
    failed_here: int = 0
    intervened: bool = False


@dataclass(frozen=True, slots=True)
class Milestone:
    """An SLA clock reached ``fraction`` of its target (1.0 is the breach)."""

    clock: str
    fraction: float


Decide = Callable[[Facts, "EscalationSpec"], "Decision | None"]
Wakeup = tuple[float, Decide]
"""Minutes from now, and the decision to take then (if the ticket is still live)."""
F = TypeVar("F", bound=Callable[..., object])


def _always(*_: object) -> bool:
    return True


def _never(*_: object) -> bool:
    return False


def _no_wakeups(facts: Facts, rules: EscalationSpec, milestone: Milestone | None) -> Iterable[Wakeup]:
    return ()


@dataclass(frozen=True)
class Trigger:
    """One escalation trigger, as the registry knows it.

    ``acts_on(category, team, rules)`` says whether the trigger can ever act on a ticket of
    ``category`` held by ``team`` (the engine skips it where it cannot); ``reasons(rules)`` lists
    the escalation reasons it records; triggers that act later (queue waits, SLA milestones) give
    ``wakeups`` and say which SLA clocks they ``watch``. A trigger that ``uses_attempts`` reads
    ``facts.attempt_u``: the engine then draws, per session, whether the attempt resolved the ticket.
    """

    name: str
    phases: tuple[Phase, ...]
    decide: Decide | None
    acts_on: Callable[[CategorySpec, TeamSpec, EscalationSpec], bool]
    reasons: Callable[[EscalationSpec], tuple[str, ...]]
    wakeups: Callable[[Facts, EscalationSpec, Milestone | None], Iterable[Wakeup]] = _no_wakeups
    watches: Callable[[EscalationSpec, str], bool] = _never
    uses_attempts: bool = False

    @property
    def summary(self) -> str:
        """The first line of the decision function's docstring: what the trigger does."""
        function = self.decide or self.wakeups
        return (function.__doc__ or "").strip().splitlines()[0]


TRIGGERS: dict[str, Trigger] = {}
"""Every trigger, in the default order in which they are consulted."""


def trigger(
    name: str,
    *phases: Phase,
    acts_on: Callable[[CategorySpec, TeamSpec, EscalationSpec], bool] = _always,
    reasons: Callable[[EscalationSpec], tuple[str, ...]] | None = None,
    wakeups: Callable[[Facts, EscalationSpec, Milestone | None], Iterable[Wakeup]] = _no_wakeups,
    watches: Callable[[EscalationSpec, str], bool] = _never,
    wakes: bool = False,
    uses_attempts: bool = False,
) -> Callable[[F], F]:
    """Register the decorated function as the trigger ``name``: its one declaration.

    The function decides ``(facts, rules) -> Decision | None``; with ``wakes`` it is instead the
    trigger's ``wakeups`` (a trigger that only acts after a delay).
    """

    def register(function: F) -> F:
        if name in TRIGGERS:
            raise ValueError(f"trigger {name!r} is declared twice")
        recorded = reasons or (lambda rules: (name,))
        decide, woken = (None, function) if wakes else (function, wakeups)
        # F is bound to any callable: it is a Decide, or with ``wakes`` a wakeups function, as declared
        TRIGGERS[name] = Trigger(name, phases, decide, acts_on, recorded, woken, watches, uses_attempts)  # type: ignore[arg-type]
        return function

    return register


def in_phase(names: Iterable[str], phase: Phase) -> list[Trigger]:
    """The triggers among ``names`` that act in ``phase``, in the order given."""
    return [TRIGGERS[n] for n in names if phase in TRIGGERS[n].phases]


def escalation_reasons(rules: EscalationSpec) -> list[str]:
    """Every escalation reason the rules can record, trigger by trigger in registry order."""
    return [reason for t in TRIGGERS.values() for reason in t.reasons(rules)]
