"""SLA clocks: a target in business time, warnings on the way, a breach when it runs out.

A clock counts business minutes on its calendar from the ticket's arrival (for a ticket of the
starting backlog, before time 0). It can pause (while
the ticket waits on the customer) and resume; it stops when its goal is reached (first response
given, ticket resolved). Warnings fall at fractions of the target and the breach at the target.

Most clocks are only *recorded*: their milestones are worked out exactly, with their times, when
the clock pauses or stops (or at the horizon), which costs no simulation events. A clock that an
automatic-escalation rule watches is *live*: each milestone is a SimPy timeout, so the rule can
act at that moment. Both report the same milestones at the same times.

Two changes reach a clock after it started. A reopened ticket's resolution clock counts again
(``reopen``): on from where it stopped, or the whole target anew. A priority change that brings
another SLA policy gives the clock the new target (``retarget``), still measured from its start; a
target that has already run out by then is breached at the moment it ran out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import simpy

from sim.core.calendar import BusinessCalendar
from sim.engine.records import NAN

Milestone = Callable[["SlaClock", float, float], None]
"""Called with (clock, fraction of the target, time it was reached)."""

SLACK = 1e-6
"""Minutes: a milestone due this much later in wall time than ``now`` has not been reached. Calendar rounding
(``_ROUNDING``, float error) is far smaller for any time under 1e9 minutes (1900 years)."""


def milestones(warnings: Iterable[float]) -> tuple[float, ...]:
    """The fractions of the target a clock reports: its warnings, sorted without repeats, then the breach (1.0)."""
    return (*sorted(set(warnings)), 1.0)


class ClockPlan(NamedTuple):
    """One clock of an SLA policy, worked out once per run for every ticket's clock of it to start from."""

    env: simpy.Environment
    on_milestone: Milestone
    """The run's callback for the clock's warnings and breach."""
    name: str
    target: float
    calendar: BusinessCalendar
    fractions: tuple[float, ...]
    """From ``milestones``."""
    live: bool
    """Whether an automatic-escalation rule watches the clock."""
    add: Callable[[float, float], float]
    """The calendar's ``adder``: the due time of ``target`` business minutes from a start."""


class SlaClock:
    """One SLA clock of one ticket (``first_response`` or ``resolution``)."""

    __slots__ = (
        "_elapsed",
        "_env",
        "_fractions",
        "_live",
        "_on_milestone",
        "_pending",
        "_resumed",
        "_since",
        "_start",
        "_uncounted",
        "_version",
        "breached_at",
        "calendar",
        "due",
        "met",
        "name",
        "target",
        "ticket",
    )

    def __init__(self, plan: ClockPlan, start: float, ticket: int) -> None:
        env, on_milestone, name, target, calendar, fractions, live, add = plan
        self.name = name
        self.ticket = ticket
        """The id of the clock's ticket: not the ticket itself, which holds its clocks, so that a finished ticket
        is freed at once instead of by the cyclic garbage collector (that cost ~10 % of a run)."""
        self.target = target
        self.calendar = calendar
        self.due = add(start, target)
        self.breached_at = NAN
        self.met = NAN
        self._env = env
        self._fractions = fractions
        self._pending = fractions
        """The fractions of the target not reported yet, in order (a tuple, shared with the plan until one is)."""
        self._elapsed = 0.0
        self._since: float | None = start
        self._start = start
        self._resumed: list[tuple[float, float]] | None = None
        """(time, business minutes counted) at each resume after a pause, to find when a new target ran out."""
        self._uncounted: tuple[float, float] | None = None
        """The last stretch before ``stop``: its business minutes join ``_elapsed`` only if a reopening resumes."""
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
            self._count_uncounted()
            return self._elapsed
        return self._elapsed + self.calendar.between(self._since, now)

    def _count_uncounted(self) -> None:
        """Add the business minutes of the stretch ``stop`` left uncounted (a look-up most clocks never need)."""
        if self._uncounted is not None:
            since, until = self._uncounted
            self._elapsed = self._elapsed + self.calendar.between(since, until)
            self._uncounted = None

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
            self.due = self.calendar.add(now, self.target - self._elapsed)
            if self._resumed is None:
                self._resumed = []
            self._resumed.append((now, self._elapsed))
            if self._live:
                self._schedule()

    def stop(self, now: float, fulfilled: bool) -> bool:
        """End the clock: ``fulfilled`` when its goal was reached; not (the ticket was abandoned), it is missed.

        True only when this call made the clock met: it was neither met nor breached before. A clock that
        has stopped for good (not running, its outcome known) stays as it is.
        """
        since = self._since
        if since is not None:
            pending = self._pending
            if pending and not now - since < pending[0] * self.target - self._elapsed - SLACK:
                self.settle(now)  # a milestone may have been reached (else ``settle`` would find none)
                since = self._since  # moved on to the last milestone reached
                assert since is not None
            self._uncounted = (since, now)
            self._since = None
            self._version += 1
        self._pending = ()
        if self.met == self.met:
            return False
        self.met = 1.0 if fulfilled else 0.0
        return fulfilled

    def reopen(self, now: float, restart: bool) -> None:
        """The ticket came back: count again from ``now``, the whole target anew or on from where it stopped.

        A breach stands: resumed, a breached clock stays breached; restarted, the new round cannot
        make the ticket's clock a met one, and ``breached_at`` keeps the first breach.
        """
        if restart:
            self._uncounted = None
            self._elapsed = 0.0
            self._start = now
            self._resumed = None
            self._pending = self._fractions
        elif self.met == 0.0:
            return
        else:
            self._count_uncounted()
            self._pending = tuple([f for f in self._fractions if f * self.target > self._elapsed])
        if self.met == 1.0:
            self.met = NAN
        self.resume(now)

    def retarget(self, now: float, target: float, fractions: tuple[float, ...]) -> None:
        """A new target and its ``milestones`` (another SLA policy), measured from the clock's start.

        A stopped clock keeps its outcome. Milestones of the old target reached by ``now`` are
        reported first. If the new target has already run out, the breach is reported at the time
        it ran out; warnings the new target has already passed are not raised after the fact.
        """
        if not self._pending:
            return
        self.settle(now)
        if not self._pending:
            return
        counted = self.elapsed(now)
        running = self._since is not None
        self._version += 1
        self.target = target
        self._fractions = fractions
        if target <= counted:
            self._elapsed = counted
            self._since = None
            self._pending = ()
            self.due = self._crossing(target)
            if self.breached_at != self.breached_at:
                self.breached_at = self.due
            self.met = 0.0
            self._on_milestone(self, 1.0, self.due)
            return
        self._pending = tuple([f for f in self._fractions if f * target > counted])
        if running:
            self._elapsed, self._since = counted, now
        self.due = self.calendar.add(now, target - counted)
        if self._live and running:
            self._schedule()

    def _crossing(self, minutes: float) -> float:
        """When the clock had counted ``minutes`` (at most what it has counted so far)."""
        t, counted = self._start, 0.0
        for when, before in self._resumed or ():
            if before < minutes:
                t, counted = when, before
        return self.calendar.add(t, minutes - counted)

    def settle(self, now: float) -> None:
        """Report every milestone reached by ``now`` that has not been reported yet.

        Business time never runs faster than wall time, so a milestone more wall minutes away
        than ``now`` allows is not looked up on the calendar at all.
        """
        while self._pending and self._since is not None:
            fraction = self._pending[0]
            minutes = fraction * self.target - self._elapsed
            if now - self._since < minutes - SLACK:
                return
            when = self.calendar.add(self._since, minutes)
            if when > now:
                return
            self._reach(fraction, when)

    def _schedule(self) -> None:
        if not self._pending or self._since is None:
            return
        fraction = self._pending[0]
        when = self.calendar.add(self._since, fraction * self.target - self._elapsed)
        version = self._version
        event = self._env.timeout(max(when - self._env.now, 0.0))  # a backlog ticket's may have passed
        event.callbacks.append(lambda _: self._reach_live(version, fraction, when))

    def _reach_live(self, version: int, fraction: float, when: float) -> None:
        if version == self._version and self._pending and self._pending[0] == fraction:
            self._reach(fraction, when)
            self._schedule()

    def _reach(self, fraction: float, when: float) -> None:
        self._pending = self._pending[1:]
        self._elapsed = fraction * self.target
        self._since = when
        if fraction >= 1.0:
            if self.breached_at != self.breached_at:
                self.breached_at = when
            self.met = 0.0
        self._on_milestone(self, fraction, when)
