"""Demand: how many tickets arrive on each channel, when, and what they are about.

A channel's arrival rate is a base rate per hour shaped by an hour-of-day profile, a
day-of-week profile and temporary surges. Arrivals form a non-homogeneous Poisson process,
sampled exactly by thinning (Lewis & Shedler 1979): candidates at the peak rate, each kept with
probability rate(t)/peak. Candidates are computed a block at a time with numpy, by the same
floating-point operations in the same order as one at a time: the same times to the bit. An
uncertain forecast (``volume_uncertainty``) multiplies each day's rate by a gamma factor of mean
1, drawn per replication and day from the channel's own stream. Each arriving ticket then draws
its category (from the channel's mix, or a surge's), priority, customer segment and attributes,
each from its own random stream.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import chain, takewhile

import numpy as np

from sim.core.calendar import hour_of_week
from sim.core.units import DAYS_PER_WEEK, HOURS_PER_DAY, HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.streams import BLOCK, Mix, Sampler, Stream, Streams
from sim.scenario.spec import WEEKDAYS, CategorySpec, ChannelSpec


def daily_factors(rng: np.random.Generator, cv: float, days: int) -> list[float]:
    """``days`` gamma factors of mean 1 and coefficient of variation ``cv``, day 0 first.

    A Poisson count whose mean is scaled by such a factor is gamma-mixed (negative binomial):
    its variance is mean + cv^2 x mean^2 (the standard model of an uncertain call forecast).
    """
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, days).tolist()


class ChannelDemand:
    """The arrival-rate function of one channel (tickets per minute) and its category mix."""

    def __init__(self, spec: ChannelSpec, start_weekday: int, horizon: float, streams: Streams) -> None:
        self.name = spec.name
        self.spec = spec
        self.concurrency = spec.concurrency
        self._start_weekday = start_weekday
        hourly = spec.hour_of_day or [1.0] * HOURS_PER_DAY
        daily = [1.0] * DAYS_PER_WEEK
        for day, weight in spec.day_of_week.items():
            daily[WEEKDAYS.index(day)] = weight
        base = (spec.rate_per_hour or 0.0) / MINUTES_PER_HOUR
        self.fixed_times = sorted(spec.arrival_times) if spec.arrival_times is not None else None
        self._week = [base * daily[h // HOURS_PER_DAY] * hourly[h % HOURS_PER_DAY] for h in range(HOURS_PER_WEEK)]
        self._surges = [
            (s.start, s.start + s.duration, s.multiplier, Mix(s.category_mix) if s.category_mix else None)
            for s in spec.surges
        ]
        self.mix = Mix(spec.category_mix)
        self.factors: list[float] | None = None
        """Uncertain forecasts: the rate's factor for each day of this replication (None: the rate as given)."""
        if spec.volume_uncertainty is not None:
            days = max(1, math.ceil(horizon / MINUTES_PER_DAY))
            rng = streams.generator(Stream.VOLUME.of(spec.name))
            self.factors = daily_factors(rng, spec.volume_uncertainty.cv, days)
        self.peak = self._peak_rate(horizon)
        self.constant = not self._surges and self.factors is None and min(self._week) == self.peak
        """A constant rate needs no thinning: every candidate arrival is kept."""
        self._gaps = streams.generator(Stream.ARRIVALS.of(spec.name))
        self._thinning = streams.generator(Stream.THINNING.of(spec.name))
        self.category = streams.uniform(Stream.CATEGORY.of(spec.name))
        self.patience: Sampler | None = (
            streams.sampler(Stream.PATIENCE.of(spec.name), spec.patience) if spec.patience is not None else None
        )
        """The customer's patience on arrival: None for a channel whose customers never abandon (not live)."""

    def arrival_times(self, start: float, horizon: float) -> Iterator[float]:
        """The channel's arrival times after ``start`` and before ``horizon``, in order.

        Fixed times (a story, a replayed log) as given; else Poisson arrivals at a time-varying
        rate, by thinning (``_thinned_blocks``). Either way a C-level iterator: the next time costs
        no Python frame.
        """
        if self.fixed_times is not None:
            return takewhile(lambda t: t < horizon, self.fixed_times)
        if self.peak <= 0:
            return iter(())
        return chain.from_iterable(self._thinned_blocks(start, horizon))

    def _thinned_blocks(self, start: float, horizon: float) -> Iterator[list[float]]:
        """The arrival times by thinning, a block of candidates at a time.

        Candidates come at the peak rate (exponential gaps by inversion, one uniform each); each is
        kept if its own uniform x peak < the rate at its time. A block of candidates is the
        cumulative sum of its gaps, which adds them one by one as a scalar loop would, and the
        logarithms are ``math.log1p``'s, not numpy's (whose vector code may round differently in the
        last bit): the times are those of the loop to the bit.
        """
        step, t = -1.0 / self.peak, start
        while True:
            gaps = np.fromiter(map(math.log1p, (-self._gaps.random(BLOCK)).tolist()), float, BLOCK)
            gaps *= step
            times = np.cumsum(np.concatenate(([t], gaps)))[1:]
            before = int(np.searchsorted(times, horizon))  # the candidates before the horizon
            due = times[:before]
            if not self.constant:
                due = due[self._thinning.random(BLOCK)[:before] * self.peak < self.rates(due)]
            yield due.tolist()
            if before < BLOCK:
                return
            t = float(times[-1])

    def rates(self, times: np.ndarray) -> np.ndarray:
        """``rate`` at each of ``times`` (tickets per minute), with the same float operations."""
        hours = (times // MINUTES_PER_HOUR + HOURS_PER_DAY * self._start_weekday).astype(np.int64) % HOURS_PER_WEEK
        rates = np.asarray(self._week)[hours]
        for start, end, multiplier, _ in self._surges:
            rates = np.where((start <= times) & (times < end), rates * multiplier, rates)
        if self.factors is not None:
            rates = rates * np.asarray(self.factors)[(times // MINUTES_PER_DAY).astype(np.int64)]
        return rates

    def rate(self, t: float) -> float:
        """Arrivals per minute at wall time ``t``: the weekly table, times any surge and the day's factor (if any)."""
        rate = self._week[hour_of_week(t, self._start_weekday)]
        for start, end, multiplier, _ in self._surges:
            if start <= t < end:
                rate *= multiplier
        if self.factors is not None:
            rate *= self.factors[int(t // MINUTES_PER_DAY)]
        return rate

    def category_at(self, t: float) -> str:
        """Draw the category of a ticket arriving at ``t``."""
        mix = self.mix_at(t) if self._surges else self.mix
        return mix.only or mix.pick(self.category())

    def mix_at(self, t: float) -> Mix:
        """The category mix at ``t``: the latest-starting active surge's, else the channel's."""
        mix = self.mix
        for start, end, _, surge_mix in self._surges:
            if surge_mix is not None and start <= t < end:
                mix = surge_mix
        return mix

    def rate_per_hour(self, t: float) -> float:
        """Arrivals per hour at wall time ``t``: the rate as scenario files state it."""
        return self.rate(t) * MINUTES_PER_HOUR

    def _peak_rate(self, horizon: float) -> float:
        """The exact maximum of the piecewise-constant rate over [0, horizon)."""
        if not self._surges and self.factors is None:
            return max(self._week)
        points = {MINUTES_PER_HOUR * k for k in range(math.ceil(horizon / MINUTES_PER_HOUR))}
        points.update(start for start, _, _, _ in self._surges if start < horizon)
        points.update(end for _, end, _, _ in self._surges if end < horizon)
        return max(self.rate(t) for t in points)


class CategoryDraws:
    """Per-category draws for a new ticket: priority, segment, attributes, customer reply."""

    def __init__(self, spec: CategorySpec, priorities: list[str], segments: list[str], streams: Streams) -> None:
        self.name = spec.name
        self.priority = Mix(spec.priority or {priorities[-1]: 1.0})
        self.segment = Mix(spec.segment or {segments[0]: 1.0})
        self.priority_u = streams.uniform(Stream.PRIORITY.of(spec.name))
        self.segment_u = streams.uniform(Stream.SEGMENT.of(spec.name))
        self.attributes = {
            name: streams.sampler(Stream.ATTRIBUTE.of(spec.name, name), dist) for name, dist in spec.attributes.items()
        }
        reply = spec.customer_reply
        self.reply_probability = reply.probability if reply else 0.0
        self.reply_u: Sampler | None = streams.uniform(Stream.REPLY.of(spec.name)) if reply else None
        self.reply_delay: Sampler | None = (
            streams.sampler(Stream.REPLY_DELAY.of(spec.name), reply.delay) if reply else None
        )

    def draw_priority(self) -> str:
        """Draw a new ticket's priority from the category's mix."""
        return self.priority.pick(self.priority_u())

    def draw_segment(self) -> str:
        """Draw a new ticket's customer segment from the category's mix."""
        return self.segment.pick(self.segment_u())

    def draw_attributes(self) -> dict[str, float]:
        """Draw a new ticket's attributes (``refund_amount`` …), each from its own stream."""
        return {name: sampler() for name, sampler in self.attributes.items()}
