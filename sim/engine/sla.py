"""SLA clocks: a target in business time, warnings on the way, a breach when it runs out.

A clock counts business minutes on its calendar from the ticket's arrival. It can pause (while
the ticket waits on the customer) and resume; it stops when its goal is reached (first response
given, ticket resolved). Warnings fall at fractions of the target and the breach at the target.

Most clocks are only *recorded*: their milestones are worked out exactly, with their times, when
the clock pauses or stops (or at the horizon), which costs no simulation events. A clock that an
automatic-escalation rule watches is *live*: each milestone is a SimPy timeout, so the rule can
act at that moment. Both report the same milestones at the same times.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.core.calendar import BusinessCalendar
from sim.engine.records import NAN

Milestone = Callable[["SlaClock", float, float], None]
"""Called with (clock, fraction of the target, time it was reached)."""


class SlaClock:
    """One SLA clock of one ticket (``first_response`` or ``resolution``)."""

    __slots__ = (
        "_elapsed",
        "_env",
        "_live",
        "_on_milestone",
        "_pending",
        "_since",
        "_version",
        "breached_at",
        "calendar",
        "due",
        "met",
        "name",
        "target",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        target: float,
        calendar: BusinessCalendar,
        warnings: list[float],
        on_milestone: Milestone,
        live: bool = False,
    ) -> None:
        self.name = name
        self.target = target
        self.calendar = calendar
        self.due = calendar.add(env.now, target)
        self.breached_at = NAN
        self.met = NAN
        self._env = env
        self._pending = [*sorted(set(warnings)), 1.0]
        self._elapsed = 0.0
        self._since: float | None = env.now
        self._version = 0
        self._on_milestone = on_milestone
        self._live = live
        if live:
            self._schedule()

    @property
    def running(self) -> bool:
        """Whether the clock counts now (not paused, not stopped)."""
        return self._since is not None

    def elapsed(self, now: float) -> float:
        """Business minutes counted so far."""
        if self._since is None:
            return self._elapsed
        return self._elapsed + self.calendar.between(self._since, now)

    def pause(self, now: float) -> None:
        """Stop counting at ``now`` (the ticket waits on its customer), reporting milestones reached by then."""
        if self._since is not None:
            self.settle(now)
            self._elapsed = self.elapsed(now)
            self._since = None
            self._version += 1

    def resume(self, now: float) -> None:
        """Count again from ``now``; a clock not yet breached gets a later due time."""
        if self._since is None and self._pending:
            self._since = now
            if self.breached_at != self.breached_at:
                self.due = self.calendar.add(now, self.target - self._elapsed)
            if self._live:
                self._schedule()

    def stop(self, now: float, fulfilled: bool) -> None:
        """End the clock: ``fulfilled`` when its goal was reached (not when the ticket was abandoned)."""
        self.pause(now)
        self._pending = []
        if fulfilled and self.met != self.met:
            self.met = 1.0

    def settle(self, now: float) -> None:
        """Report every milestone reached by ``now`` that has not been reported yet."""
        while self._pending and self._since is not None:
            fraction = self._pending[0]
            when = self.calendar.add(self._since, fraction * self.target - self._elapsed)
            if when > now:
                return
            self._reach(fraction, when)

    def _schedule(self) -> None:
        if not self._pending or self._since is None:
            return
        fraction = self._pending[0]
        when = self.calendar.add(self._since, fraction * self.target - self._elapsed)
        version = self._version
        event = self._env.timeout(when - self._env.now)
        event.callbacks.append(lambda _: self._reach_live(version, fraction, when))

    def _reach_live(self, version: int, fraction: float, when: float) -> None:
        if version == self._version and self._pending and self._pending[0] == fraction:
            self._reach(fraction, when)
            self._schedule()

    def _reach(self, fraction: float, when: float) -> None:
        self._pending.pop(0)
        self._elapsed = fraction * self.target
        self._since = when
        if fraction >= 1.0:
            self.breached_at = when
            self.met = 0.0
        self._on_milestone(self, fraction, when)
