"""The event loop of a replication: SimPy's environment, stepped without per-event overhead.

``Kernel`` is a ``simpy.Environment`` whose ``run_to`` processes events exactly as
``Environment.run(until=...)`` does — same heap, same (time, priority, id) order, same callbacks —
in one loop instead of a method call and an exception frame per event. Its clock ``now`` is a
plain attribute that ``schedule`` reads, so reading the time (several times per ticket) costs an
attribute look-up instead of a property call.

``Ticker`` is an event that fires again and again, at the times of a sequence: one object
rescheduled after each firing, for a source of events that only calls a function (arrivals),
instead of a new timeout and a process resumption per firing (an agent, ``processes.AgentLoop``,
times its sessions the same way). ``Kernel.process_now`` starts a process whose first step runs at once, inside
its caller, as ``yield from`` would run it from a process, where ``process`` would run it later.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from heapq import heappop, heappush
from typing import Any, Generic, TypeVar

import simpy
from simpy.core import NORMAL, URGENT, BoundClass
from simpy.events import EventPriority

T = TypeVar("T")


class Kernel(simpy.Environment):
    """A SimPy environment with a fast run loop and ``now`` as a plain attribute."""

    now: float = 0.0  # shadows SimPy's read-only property: a plain attribute

    def __init__(self) -> None:
        super().__init__(0.0)
        self.now = 0.0
        for name, member in vars(simpy.Environment).items():  # SimPy binds only the class's own members early
            if isinstance(member, BoundClass):
                setattr(self, name, getattr(self, name))

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """SimPy's schedule, timed from ``now`` (the loop keeps SimPy's ``_now`` only for ``step``)."""
        heappush(self._queue, (self.now + delay, priority, next(self._eid), event))

    def step(self) -> None:
        """SimPy's step, keeping ``now`` in line with it (the fast loop is ``run_to``)."""
        self._now = self.now
        super().step()
        self.now = self._now

    def call_soon(self, callback: Callable[[simpy.Event], Any]) -> None:
        """Call ``callback`` now, in the place a new process would start (SimPy's urgent initialisation)."""
        start = simpy.Event(self)
        start._ok = True
        start._value = None
        start.callbacks.append(callback)
        self.schedule(start, URGENT)

    def process_now(self, generator: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        """A process of ``generator`` whose first step runs now, inside the caller, as ``yield from`` would run it.

        ``process`` runs the first step later, at an urgent initialisation event; a callback that
        hands the rest of its work to a generator (a chat session's end, see ``processes.ChatSession``)
        keeps the event order of a process that would have run that generator inline.
        """
        return _Started(self, generator)

    def run_to(self, horizon: float) -> None:
        """Process every event due before ``horizon`` in SimPy's order; the clock ends at ``horizon``.

        Like ``run(until=horizon)``, the stop is an urgent event at the horizon, so events due
        exactly then are left unprocessed.
        """
        until = simpy.Event(self)
        until._ok = True
        until._value = None
        self.schedule(until, URGENT, horizon - self.now)
        queue = self._queue
        while True:
            self.now, _, _, event = heappop(queue)
            if event is until:
                return
            callbacks, event.callbacks = event.callbacks, None  # type: ignore[assignment]  # as SimPy: fired
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):
                raise _failure(event)


def _failure(event: simpy.Event) -> BaseException:
    """The exception a failed, undefused event raises in the loop (as ``Environment.step`` does)."""
    value = event._value
    exc = type(value)(*value.args)
    exc.__cause__ = value
    return exc


class Ticker(simpy.Event, Generic[T]):
    """One event that fires at each time of an increasing sequence, calling ``action(subject, time)``.

    A source of events that only calls a function (a channel's arrivals) needs no process and no
    new event per occurrence: each firing calls ``action``, then reschedules this same event for the
    next time with one heap push. The first time is drawn when a new process would start, and each
    firing takes the place in the event order of the timeout a process would have created then.
    """

    def __init__(self, env: Kernel, times: Iterator[float], action: Callable[[T, float], Any], subject: T) -> None:
        super().__init__(env)
        self._ok = True
        self._value = None
        self._times = times
        self._action = action
        self._subject = subject
        self._due = 0.0
        self._fire_only: list[Callable[[Any], None]] = [self._fire]
        self._queue, self._eid = env._queue, env._eid
        env.call_soon(self._next)

    def _fire(self, _: simpy.Event) -> None:
        self._action(self._subject, self._due)
        self._next()

    def _next(self, _: object = None) -> None:
        """Schedule the next firing, if the sequence has one (timed as ``timeout(due - now)`` would be)."""
        due = next(self._times, None)
        if due is not None:
            self._due = due
            self.callbacks = self._fire_only
            now = self.env.now
            heappush(self._queue, (now + (due - now), NORMAL, next(self._eid), self))


class _Started(simpy.Process):
    """A process resumed at once when created, instead of by an ``Initialize`` event (``Kernel.process_now``)."""

    def __init__(self, env: simpy.Environment, generator: Generator[simpy.Event, Any, Any]) -> None:
        self.env = env  # as ``Process.__init__``, without scheduling an initialisation
        self.callbacks = []
        self._generator = generator
        start = simpy.Event(env)  # fired, with no value: what ``Initialize`` hands a first step
        start._ok = True
        start._value = None
        self._resume(start)
