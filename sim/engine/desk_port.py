"""What the escalator needs from the desk of its replication: the ``DeskPort`` protocol.

The escalator and the two parts it inherits (``handoffs``, ``timers``) reach the desk only through
this port, so that a stub desk can drive them in tests. It has a module of its own so that each of
the three can name it without importing the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import simpy

from sim.engine.records import Columns, LogRow
from sim.engine.sla_policies import SlaPolicies
from sim.engine.streams import Streams
from sim.engine.teams import Team
from sim.engine.tickets import Task, Ticket
from sim.scenario.spec import CategorySpec, Scenario


class DeskPort(Protocol):
    """What the escalator needs from the desk of its replication."""

    @property
    def env(self) -> simpy.Environment:
        """The replication's SimPy environment."""

    scenario: Scenario
    streams: Streams
    teams: dict[str, Team]
    categories: dict[str, CategorySpec]
    sla: SlaPolicies
    tasks: Columns
    escalations: Columns

    record: Callable[[LogRow], None]
    """Write one row of the event log (a no-op when the desk records no events)."""

    def enqueue(self, item: Ticket | Task, team: Team) -> None:
        """Send a ticket or task to ``team``'s queue, or straight to a free agent."""

    def enter_team(self, ticket: Ticket, team: Team) -> None:
        """Start the ticket's stay at ``team``."""

    def wait_again(self, ticket: Ticket, kind: str) -> None:
        """A live ticket's customer is about to wait again (``kind``: a ``Wait``): set the patience for it."""

    def leave_team(self, ticket: Ticket, exit: str) -> None:
        """Close the ticket's stay at its current team, saying how it ended."""

    def resolve(self, ticket: Ticket, team: Team) -> None:
        """The ticket is resolved by ``team``."""

    def reopen(self, ticket: Ticket, team: Team) -> None:
        """A resolved ticket comes back to ``team``."""

    def work_time(self, ticket: Ticket, team: Team) -> float:
        """The handle time of the ticket's next session at ``team``."""

    def spend_extra(self, ticket: Ticket) -> float:
        """The self-service extra handle time of the ticket's first session; 0 for every later session."""
