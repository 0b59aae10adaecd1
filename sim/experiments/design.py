"""Experimental designs: which points of a parameter space a sweep visits.

- ``grid``: every combination of each parameter's values (the first parameter varies slowest).
- ``random_points``: ``n`` points drawn independently and uniformly.
- ``latin_hypercube``: ``n`` points such that, for every parameter, each of ``n`` equal strata
  of its range holds exactly one point — even coverage of every axis with few runs.
- ``sobol``: a scrambled Sobol' sequence; ``n`` must be a power of two, and then every axis is
  stratified like a Latin hypercube and the points cover the joint space evenly (a digital net).
- ``halton``: a scrambled Halton sequence; low discrepancy for any ``n``, best with few parameters
  (the first parameters get the smallest prime bases, the most even coverage).

The Latin hypercube, Sobol' and Halton points come from ``scipy.stats.qmc``. A dimension is either
a list of values (chosen among, all equally likely) or an ``Interval`` (continuous, or whole
numbers when ``integer``); designs draw points in the unit cube and map each coordinate to its
dimension. Samples are drawn from their own generator seeded by the design's seed, so the same
sweep file always visits the same points.
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import qmc

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
Design = Callable[[Mapping[str, Dimension], int, int], list[Point]]

# SciPy 1.15 renamed the engines' ``seed`` argument to ``rng``; both take a Generator alike.
_RNG_ARGUMENT = "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"


def grid(parameters: Mapping[str, Sequence[Any]]) -> list[Point]:
    """Every combination of the parameters' values, the first parameter varying slowest."""
    names = list(parameters)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*(parameters[n] for n in names))]


def random_points(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """``n`` independent uniform draws from the space."""
    rng = np.random.default_rng(seed)
    return _points(space, rng.random((n, len(space))))


def latin_hypercube(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """``n`` points, one in each of ``n`` equal strata of every dimension, strata paired at random."""
    return _points(space, _draw(qmc.LatinHypercube, space, n, seed))


def sobol(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """The first ``n`` points of a scrambled Sobol' sequence; ``n`` must be a power of two.

    Only then are the points balanced (one in each of ``n`` strata of every dimension, and
    spread evenly over the whole space); other ``n`` raise ``ValueError`` with
    ``sobol_n_problem``'s advice rather than quietly losing that balance.
    """
    if problem := sobol_n_problem(n):
        raise ValueError(problem)
    return _points(space, _draw(qmc.Sobol, space, n, seed))


def halton(space: Mapping[str, Dimension], n: int, seed: int) -> list[Point]:
    """The first ``n`` points of a scrambled Halton sequence (any ``n``)."""
    return _points(space, _draw(qmc.Halton, space, n, seed))


DESIGNS: dict[str, Design] = {"random": random_points, "lhs": latin_hypercube, "sobol": sobol, "halton": halton}


def sobol_n_problem(n: int) -> str | None:
    """Why ``n`` Sobol' points would be unbalanced, and what to use instead; ``None`` when fine."""
    if n & (n - 1) == 0:
        return None
    below = 1 << (n.bit_length() - 1)
    return (
        f"Sobol' points are balanced only when n is a power of two: use n: {below} or n: {2 * below}, "
        f"or method: halton or lhs for {n} points"
    )


def _draw(engine: type[qmc.QMCEngine], space: Mapping[str, Dimension], n: int, seed: int) -> np.ndarray:
    """``n`` points of the unit cube from a scrambled ``scipy.stats.qmc`` engine seeded by ``seed``."""
    if not space:
        return np.empty((n, 0))
    sampler = engine(len(space), scramble=True, **{_RNG_ARGUMENT: np.random.default_rng(seed)})
    return sampler.random(n)


def _points(space: Mapping[str, Dimension], unit: np.ndarray) -> list[Point]:
    names = list(space)
    return [{name: _value(space[name], float(u)) for name, u in zip(names, row, strict=True)} for row in unit]


def _value(dimension: Dimension, u: float) -> Any:
    if isinstance(dimension, Interval):
        return dimension.at(u)
    return dimension[min(math.floor(u * len(dimension)), len(dimension) - 1)]
