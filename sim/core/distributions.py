"""Named probability distributions for handle times, patience and ticket attributes.

Each distribution is a small typed record chosen by its ``dist`` name (a registry, never
``eval``), that knows its own mean and variance so that tests can compare sample moments with
theory. Parameters that are durations accept units (``mean: 5m``). Exponential takes ``mean``
*or* ``rate`` — giving both is an error, which kills the classic λ-versus-1/λ mix-up.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.core.units import Duration

MAX_CV = 1_000.0
"""Coefficient of variation above which draws are numerically meaningless (lognormal mean 1e-300, sd 1e300)."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _not_degenerate(self) -> _Dist:
        try:
            mean, variance = self.mean(), self.variance()
        except OverflowError:
            mean, variance = math.inf, math.inf
        except Exception:  # an incomplete distribution: its own validator says what is missing
            return self
        if not (math.isfinite(mean) and math.isfinite(variance)):
            raise ValueError("its mean and variance must be finite numbers")
        if mean > 0 and math.sqrt(variance) > MAX_CV * mean:
            raise ValueError(
                f"its standard deviation is more than {MAX_CV:,.0f} times its mean: draws would be numerically "
                "meaningless; check the parameters"
            )
        return self

    def mean(self) -> float:
        """The expected value, in the unit of the draws (minutes for durations)."""
        raise NotImplementedError

    def variance(self) -> float:
        """The variance, so tests can compare sample moments with theory."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws from ``rng``."""
        raise NotImplementedError

    def scaled(self, factor: float) -> _Dist:
        """The same shape with every draw multiplied by ``factor`` (team handle-time multipliers)."""
        raise NotImplementedError


class Exponential(_Dist):
    """Memoryless durations: Poisson-process gaps, classic handle times and patience."""

    dist: Literal["exponential"]
    mean_: Duration | None = Field(default=None, alias="mean", gt=0)
    rate: float | None = Field(default=None, gt=0, description="events per minute")

    @model_validator(mode="after")
    def _mean_or_rate(self) -> Exponential:
        if (self.mean_ is None) == (self.rate is None):
            raise ValueError("exponential takes exactly one of 'mean' (a duration) or 'rate' (per minute)")
        return self

    def mean(self) -> float:
        """``mean``, or ``1 / rate`` when given as a rate."""
        if self.mean_ is not None:
            return self.mean_
        assert self.rate is not None  # the validator requires exactly one of mean and rate
        return 1.0 / self.rate

    def variance(self) -> float:
        """The mean squared: an exponential's standard deviation equals its mean."""
        return self.mean() ** 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` exponential draws from ``rng``."""
        return rng.exponential(self.mean(), size)

    def scaled(self, factor: float) -> Exponential:
        """An exponential with ``factor`` times the mean."""
        return Exponential(dist="exponential", mean=self.mean() * factor)


class Lognormal(_Dist):
    """Right-skewed handle times, given by their real mean and standard deviation."""

    dist: Literal["lognormal"]
    mean_: Duration = Field(alias="mean", gt=0)
    sd: Duration = Field(gt=0)

    def _log_params(self) -> tuple[float, float]:
        sigma2 = math.log(1.0 + (self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2.0, math.sqrt(sigma2)

    def mean(self) -> float:
        """The given mean (of the values, not of their logarithm)."""
        return self.mean_

    def variance(self) -> float:
        """The given standard deviation, squared."""
        return self.sd**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` lognormal draws whose real mean and standard deviation are the given ones."""
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, size)

    def scaled(self, factor: float) -> Lognormal:
        """Mean and standard deviation both times ``factor``: the same coefficient of variation."""
        return Lognormal(dist="lognormal", mean=self.mean_ * factor, sd=self.sd * factor)


class Gamma(_Dist):
    """Gamma durations, by ``shape`` and ``scale`` or by ``mean`` and ``sd``."""

    dist: Literal["gamma"]
    shape: float | None = Field(default=None, gt=0)
    scale: Duration | None = Field(default=None, gt=0)
    mean_: Duration | None = Field(default=None, alias="mean", gt=0)
    sd: Duration | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_parameterisation(self) -> Gamma:
        by_shape = self.shape is not None and self.scale is not None
        by_moments = self.mean_ is not None and self.sd is not None
        given = [v is not None for v in (self.shape, self.scale, self.mean_, self.sd)]
        if sum(given) != 2 or not (by_shape or by_moments):
            raise ValueError("gamma takes either 'shape' and 'scale', or 'mean' and 'sd'")
        return self

    def _shape_scale(self) -> tuple[float, float]:
        if self.shape is not None:
            assert self.scale is not None  # the validator admits shape only together with scale
            return self.shape, self.scale
        assert self.mean_ is not None and self.sd is not None  # otherwise mean and sd, by the validator
        shape = (self.mean_ / self.sd) ** 2
        return shape, self.mean_ / shape

    def mean(self) -> float:
        """``shape * scale``."""
        shape, scale = self._shape_scale()
        return shape * scale

    def variance(self) -> float:
        """``shape * scale**2``."""
        shape, scale = self._shape_scale()
        return shape * scale**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` gamma draws from ``rng``."""
        shape, scale = self._shape_scale()
        return rng.gamma(shape, scale, size)

    def scaled(self, factor: float) -> Gamma:
        """The same shape with ``factor`` times the scale."""
        shape, scale = self._shape_scale()
        return Gamma(dist="gamma", shape=shape, scale=scale * factor)


class Uniform(_Dist):
    """Equally likely values between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("uniform needs low < high")
        return self

    def mean(self) -> float:
        """``(low + high) / 2``."""
        return (self.low + self.high) / 2.0

    def variance(self) -> float:
        """``(high - low)**2 / 12``."""
        return (self.high - self.low) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws uniform between ``low`` and ``high``."""
        return rng.uniform(self.low, self.high, size)

    def scaled(self, factor: float) -> Uniform:
        """Both ends times ``factor``."""
        return Uniform(dist="uniform", low=self.low * factor, high=self.high * factor)


class Triangular(_Dist):
    """A planner's three-point estimate: shortest, most likely and longest."""

    dist: Literal["triangular"]
    low: Duration
    mode: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def mean(self) -> float:
        """``(low + mode + high) / 3``."""
        return (self.low + self.mode + self.high) / 3.0

    def variance(self) -> float:
        """The triangular variance, ``(a² + b² + c² - ab - ac - bc) / 18``."""
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` triangular draws from ``rng``."""
        return rng.triangular(self.low, self.mode, self.high, size)

    def scaled(self, factor: float) -> Triangular:
        """All three points times ``factor``."""
        return Triangular(dist="triangular", low=self.low * factor, mode=self.mode * factor, high=self.high * factor)


class Fixed(_Dist):
    """A constant: deterministic stories and fixed process steps."""

    dist: Literal["fixed"]
    value: Duration

    def mean(self) -> float:
        """The value."""
        return self.value

    def variance(self) -> float:
        """Zero: every draw is the value."""
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` copies of the value (``rng`` is not used)."""
        return np.full(size, self.value)

    def scaled(self, factor: float) -> Fixed:
        """The value times ``factor``."""
        return Fixed(dist="fixed", value=self.value * factor)


class Empirical(_Dist):
    """Resampling of observed values (e.g. last month's handle times), each equally likely."""

    dist: Literal["empirical"]
    values: list[Duration] = Field(min_length=1)

    def mean(self) -> float:
        """Mean of the observed values."""
        return float(np.mean(self.values))

    def variance(self) -> float:
        """Population variance of the observed values: what resampling them gives."""
        return float(np.var(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` observed values drawn with replacement, each equally likely."""
        return rng.choice(np.asarray(self.values, dtype=float), size)

    def scaled(self, factor: float) -> Empirical:
        """Every observed value times ``factor``."""
        return Empirical(dist="empirical", values=[v * factor for v in self.values])


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Uniform | Triangular | Fixed | Empirical,
    Field(discriminator="dist"),
]
"""Any registered distribution, chosen by its ``dist`` field."""

DISTRIBUTIONS: dict[str, type[_Dist]] = {
    "exponential": Exponential,
    "lognormal": Lognormal,
    "gamma": Gamma,
    "uniform": Uniform,
    "triangular": Triangular,
    "fixed": Fixed,
    "empirical": Empirical,
}
"""Every registered distribution by its ``dist`` name (what error messages list as allowed)."""

DISTRIBUTION_NAMES = tuple(DISTRIBUTIONS)
