"""Named random streams: one independent numpy generator per source of randomness.

Every random input (arrivals of a channel, handle times of a category at a team, patience…)
draws from its own stream, derived from the scenario seed, the replication number and the
stream's *name* — not from the order in which streams are created. Changing tier-2 staffing or
adding a policy therefore leaves the arrival stream untouched: compared scenarios see the same
customers (common random numbers). Draws are taken in blocks for speed; the block size never
changes which values a stream yields.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from enum import StrEnum
from itertools import accumulate, chain

import numpy as np

from sim.core.distributions import _Dist

BLOCK = 512
"""Draws taken per call to numpy: large enough to amortise the call, small enough to stay in cache."""


class Stream(StrEnum):
    """Every random stream's name, in one place.

    The names are part of the common-random-numbers promise: renaming one reshuffles that input
    for every saved seed. ``Stream.HANDLE.of("billing", "tier1")`` is the stream ``handle.billing.tier1``.
    """

    ARRIVALS = "arrivals"  # .<channel>: gaps between candidate arrivals
    THINNING = "thinning"  # .<channel>: accepting a candidate at the hour's rate
    CATEGORY = "category"  # .<channel>: the category mix
    PATIENCE = "patience"  # .<channel>
    PATIENCE_TRANSFER = "patience_transfer"  # .<channel>: a fresh patience after a transfer ('fresh')
    PATIENCE_RETURN = "patience_return"  # .<channel>: a customer back after a reply or a reopening
    PRIORITY = "priority"  # .<category>
    SEGMENT = "segment"  # .<category>
    ATTRIBUTE = "attribute"  # .<category>.<attribute>
    REPLY = "reply"  # .<category>: does the ticket need a customer reply?
    REPLY_DELAY = "reply_delay"  # .<category>
    HANDLE = "handle"  # .<category>.<team>
    REPLY_HANDLE = "reply_handle"  # .<category>.<team>
    RESOLVE = "resolve"  # .<team>: did this attempt resolve the ticket?
    FAILED_ATTEMPT = "failed_attempt"  # .<category>.<team>: the time a failed attempt takes
    HANDOFF_CONTEXT = "handoff.context"
    HANDOFF_REWORK = "handoff.rework"
    HANDOFF_TIME = "handoff.time"
    HANDOFF_TRIAGE = "handoff.triage"
    SWARM_CONSULT = "swarm.consult"
    SWARM_CONSULT_HANDLE = "swarm.consult_handle"  # .<category>.<expert team>: consult at the expert's handle time
    SWARM_RESOLVE = "swarm.resolve"  # .<expert team>: did the consult resolve the ticket?
    APPROVAL = "approval"  # .<requesting team>: the supervisor's sign-off time
    REVIEW = "review"  # .<time rule>
    DISSATISFACTION_REVIEW = "dissatisfaction.review"
    FOLLOW_UP = "ownership.follow_up"
    UPDATES = "updates"  # .<SLA policy>
    REOPEN = "reopen"  # .<category>
    REOPEN_DELAY = "reopen_delay"  # .<category>
    VOLUME = "volume"  # .<channel>: the daily factors of an uncertain forecast, day by day
    SELF_SERVICE = "self_service"  # .<category>: does the contact try self-service?
    SELF_SERVICE_FAIL = "self_service_fail"  # .<category>: does self-service fail it?
    SELF_SERVICE_DELAY = "self_service_delay"  # .<category>: time in self-service before reaching an agent
    SELF_SERVICE_EXTRA = "self_service_extra"  # .<category>: extra handle time of a failed contact
    BACKLOG_AGE = "backlog_age"  # .<entry>: how long a starting-backlog ticket has waited
    BACKLOG_PRIORITY = "backlog_priority"  # .<entry>
    BACKLOG_SEGMENT = "backlog_segment"  # .<entry>
    BACKLOG_ATTRIBUTE = "backlog_attribute"  # .<entry>.<attribute>
    BACKLOG_REPLY = "backlog_reply"  # .<entry>: does it need a customer reply?
    BACKLOG_HANDLE = "backlog_handle"  # .<entry>: its first handle time at its team
    CALLBACK_ACCEPT = "callback.accept"  # .<channel>: does an offered caller accept a callback?
    CALLBACK_REACH = "callback.reach"  # .<channel>: does an outbound attempt reach the customer?
    RETRIAL = "retrial"  # .<channel>: does a caller who hung up call again?
    RETRIAL_DELAY = "retrial.delay"  # .<channel>
    RETRIAL_PATIENCE = "retrial.patience"  # .<channel>: the patience of the new contact
    RETRIAL_HANDLE = "retrial.handle"  # .<category>.<team>: the first handle time of the new contact
    RETRIAL_REPLY = "retrial.reply"  # .<category>: will the new contact need a customer reply?
    WRAP_UP = "wrap_up"  # .<channel>: after-call work after each session
    ABSENCE = "absence"  # .<team>: does a rostered agent miss its shift?

    def of(self, *parts: str) -> str:
        """The stream's full name for these channel, category, team… names."""
        return ".".join((self.value, *parts))


def _name_key(name: str) -> int:
    """A stable 32-bit key for a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "little")


Sampler = Callable[[], float]
"""Draws the next value of one source of randomness (``Streams.sampler``, ``Streams.uniform``)."""


def blocks_of(draw: Callable[[int], np.ndarray]) -> Sampler:
    """A sampler that takes ``BLOCK`` values from ``draw`` at a time (the block never changes the values).

    The values flow through ``itertools.chain``, so a draw is one C-level call (a third of a
    Python method's cost): samplers are called for every arrival, thinning candidate and session.
    """
    return chain.from_iterable(iter(lambda: draw(BLOCK).tolist(), None)).__next__


class Streams:
    """The family of named generators of one replication."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = seed
        self.replication = replication

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``; the same name always yields the same sequence."""
        seq = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, _name_key(name)))
        return np.random.Generator(np.random.PCG64(seq))

    def sampler(self, name: str, dist: _Dist) -> Sampler:
        """Draws from ``dist`` on stream ``name``."""
        rng = self.generator(name)
        return blocks_of(lambda size: dist.sample(rng, size))

    def uniform(self, name: str) -> Sampler:
        """Uniform(0, 1) draws on stream ``name`` (decisions: mixes, probabilities, thinning)."""
        return blocks_of(self.generator(name).random)


class Mix:
    """A discrete choice among named outcomes with given weights (category mix, priority…)."""

    __slots__ = ("_cumulative", "names", "only")

    def __init__(self, weights: dict[str, float]) -> None:
        self.names: Sequence[str] = [name for name, weight in weights.items() if weight > 0]
        total = sum(weights.values())
        cumulative = [c / total for c in accumulate(w for w in weights.values() if w > 0)]
        self._cumulative = [*cumulative[:-1], math.inf]
        """The upper bound of each outcome's interval of ``u``; the last is unbounded (the sum may round below 1)."""
        self.only = self.names[0] if len(self.names) == 1 else None
        """The outcome when there is no choice to make (then no draw is needed)."""

    def pick(self, u: float) -> str:
        """The outcome for uniform draw ``u`` (inversion: one uniform per pick)."""
        return self.names[bisect_right(self._cumulative, u)]
