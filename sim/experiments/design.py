"""Experimental designs: which points of a parameter space a sweep visits.

- ``grid``: every combination of each parameter's values (the first parameter varies slowest).
- ``random_points``: ``n`` points drawn independently and uniformly.
- ``latin_hypercube``: ``n`` points such that, for every parameter, each of ``n`` equal strata
  of its range holds exactly one point — even coverage of every axis with few runs.

A dimension is either a list of values (chosen among, all equally likely) or an ``Interval``
(continuous, or whole numbers when ``integer``). Samples are drawn from their own generator
seeded by the design's seed, so the same sweep file always visits the same points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Point = dict[str, Any]


@dataclass(frozen=True)
class Interval:
    """A range to sample: [low, high]; with ``integer`` the whole numbers low..high, equally likely."""

    low: float
    high: float
    integer: bool = False

    def at(self, u: float) -> float | int:
        """The value at quantile ``u`` in [0, 1)."""
        if self.integer:
            count = int(self.high) - int(self.low) + 1
            return int(self.low) + min(int(u * count), count - 1)
        return float(self.low + u * (self.high - self.low))


Dimension = Interval | Sequence[Any]


def grid(parameters: Mapping[str, Sequence[Any]]) -> list[Point]:
    """Every combination of the parameters' values, the first parameter varying slowest."""
    names = list(parameters)
    return [dict(zip(names, values)) for values in itertools.product(*(parameters[n] for n in names))]


def random_points(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """``n`` independent uniform draws from the space."""
    rng = np.random.default_rng(seed)
    return _points(space, rng.random((n, len(space))))


def latin_hypercube(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """``n`` points, one in each of ``n`` equal strata of every dimension, strata paired at random."""
    rng = np.random.default_rng(seed)
    strata = np.column_stack([rng.permutation(n) for _ in space]) if space else np.empty((n, 0))
    return _points(space, (strata + rng.random((n, len(space)))) / n)


def _points(space: Mapping[str, Dimension], unit: np.ndarray) -> list[Point]:
    names = list(space)
    return [{name: _value(space[name], float(u)) for name, u in zip(names, row)} for row in unit]


def _value(dimension: Dimension, u: float) -> Any:
    if isinstance(dimension, Interval):
        return dimension.at(u)
    return dimension[min(math.floor(u * len(dimension)), len(dimension) - 1)]
