"""Fit a duration sample to the distribution document a scenario writes (lognormal, gamma or empirical).

Handle times, customer-reply delays and reopen delays all go through :func:`fit_duration`. The
criterion, stated once here and quoted in the calibrated YAML:

- fewer than ``MIN_PARAMETRIC`` (30) positive values: **empirical** (too few to tell two
  right-skewed families apart);
- otherwise the maximum-likelihood lognormal and gamma are compared by **AIC** (both have two
  parameters, so this is the larger log-likelihood), and the lower-AIC family is kept if it passes a
  **Kolmogorov-Smirnov test at 1 %**; if the best fails, the other is tried, and when neither passes,
  **empirical**. Above ``KS_MAX_N`` values the test is run at the critical distance of ``KS_MAX_N``
  (D <= 1.63 / sqrt(2000) = 0.036): with a million tickets a KS test rejects differences far too small
  to change a simulation, so a large sample must fit *well*, not *perfectly*. Parameters are
  estimated from the same sample, which makes the test conservative (it rejects less often).
- an empirical document keeps the values themselves up to ``EMPIRICAL_POINTS`` (200), else the 200
  quantiles at (i + 0.5) / 200, so the YAML stays short while resampling keeps the shape.

Zero, negative and missing values cannot be durations of work or waiting: they are dropped and counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import special, stats

MIN_PARAMETRIC = 30
"""Below this many values the empirical form is used: two 2-parameter families are not told apart."""
KS_ALPHA = 0.01
"""Significance level of the Kolmogorov-Smirnov goodness-of-fit test."""
KS_MAX_N = 2_000
"""Sample size above which the KS critical distance stops shrinking (a practical, not perfect, fit)."""
EMPIRICAL_POINTS = 200
"""Most values an empirical document keeps (quantiles beyond that)."""


@dataclass(frozen=True)
class DurationFit:
    """A fitted duration: the scenario's distribution document, with what it rests on."""

    source: str
    """Where the sample came from, e.g. ``events.work_minutes``."""
    n: int
    """Values used (positive, finite)."""
    document: dict[str, Any] | None = None
    """The distribution as a scenario writes it (``{"dist": "lognormal", "mean": …, "sd": …}``); None: not fitted."""
    family: str | None = None
    """``lognormal``, ``gamma``, ``empirical`` or ``fixed``."""
    mean: float = math.nan
    """Sample mean (minutes)."""
    mean_se: float = math.nan
    """Standard error of the sample mean, sd / sqrt(n)."""
    aic: dict[str, float] = field(default_factory=dict)
    """AIC of each parametric family tried."""
    ks_distance: dict[str, float] = field(default_factory=dict)
    """Kolmogorov-Smirnov distance of each family tried."""
    dropped: int = 0
    """Values dropped as missing, zero or negative."""
    reason: str | None = None
    """Why it was not fitted, or why the empirical form was chosen."""


def lognormal_mle(x: np.ndarray) -> tuple[float, float, float]:
    """Log-mean, log-sd (MLE, divides by n) and log-likelihood of a lognormal fit to positive ``x``."""
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std())
    loglik = float(np.sum(stats.norm.logpdf(logs, mu, sigma) - logs))
    return mu, sigma, loglik


def gamma_mle(x: np.ndarray) -> tuple[float, float, float]:
    """Shape, scale and log-likelihood of the gamma MLE (Minka's start, then Newton on the shape)."""
    mean = float(x.mean())
    s = math.log(mean) - float(np.log(x).mean())
    shape = (3.0 - s + math.sqrt((s - 3.0) ** 2 + 24.0 * s)) / (12.0 * s)
    for _ in range(50):
        step = (math.log(shape) - float(special.digamma(shape)) - s) / (
            1.0 / shape - float(special.polygamma(1, shape))
        )
        shape = max(shape - step, shape / 10.0)
        if abs(step) < 1e-10 * shape:
            break
    scale = mean / shape
    loglik = float(np.sum(stats.gamma.logpdf(x, shape, scale=scale)))
    return shape, scale, loglik


def ks_critical(n: int, alpha: float = KS_ALPHA) -> float:
    """Critical KS distance at ``alpha`` for ``min(n, KS_MAX_N)`` values (asymptotic c(alpha) / sqrt(n))."""
    return math.sqrt(-math.log(alpha / 2.0) / 2.0) / math.sqrt(min(n, KS_MAX_N))


def empirical_values(x: np.ndarray, points: int = EMPIRICAL_POINTS) -> list[float]:
    """The sorted sample if short enough, else its ``points`` quantiles at (i + 0.5) / points."""
    if len(x) <= points:
        return [float(v) for v in np.sort(x)]
    return [float(v) for v in np.quantile(x, (np.arange(points) + 0.5) / points)]


def cdf(document: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """P(duration <= x) under a fitted document (lognormal, gamma, empirical or fixed; times in minutes)."""
    x = np.asarray(x, dtype=float)
    dist = document["dist"]
    if dist == "lognormal":
        sigma2 = math.log1p((document["sd"] / document["mean"]) ** 2)
        mu = math.log(document["mean"]) - sigma2 / 2.0
        return np.asarray(stats.lognorm(math.sqrt(sigma2), scale=math.exp(mu)).cdf(x))
    if dist == "gamma":
        return np.asarray(stats.gamma(document["shape"], scale=document["scale"]).cdf(x))
    if dist == "empirical":
        values = np.sort(np.asarray(document["values"], dtype=float))
        return np.searchsorted(values, x, side="right") / len(values)
    return (x >= document["value"]).astype(float)


def fit_duration(values: Any, source: str) -> DurationFit:
    """Fit minutes in ``values`` (array-like) by the module's criterion; say why when it cannot."""
    raw = np.asarray(values, dtype=float)
    x = raw[np.isfinite(raw) & (raw > 0)]
    n, dropped = len(x), len(raw) - len(x)
    if n == 0:
        return DurationFit(source, 0, dropped=dropped, reason=f"no positive values in {source}")
    mean = float(x.mean())
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    base = DurationFit(source, n, mean=mean, mean_se=se, dropped=dropped)
    if n == 1 or float(x.min()) == float(x.max()):
        return replace(base, document={"dist": "fixed", "value": mean}, family="fixed")
    empirical = {"dist": "empirical", "values": empirical_values(x)}
    if n < MIN_PARAMETRIC:
        reason = f"empirical: only {n} values (a parametric family needs {MIN_PARAMETRIC})"
        return replace(base, document=empirical, family="empirical", reason=reason)
    mu, sigma, ll_logn = lognormal_mle(x)
    shape, scale, ll_gamma = gamma_mle(x)
    logn_mean = math.exp(mu + sigma**2 / 2.0)
    documents = {
        "lognormal": {"dist": "lognormal", "mean": logn_mean, "sd": logn_mean * math.sqrt(math.expm1(sigma**2))},
        "gamma": {"dist": "gamma", "shape": shape, "scale": scale},
    }
    aic = {"lognormal": 4.0 - 2.0 * ll_logn, "gamma": 4.0 - 2.0 * ll_gamma}
    ks = {
        "lognormal": float(stats.kstest(x, stats.lognorm(sigma, scale=math.exp(mu)).cdf).statistic),
        "gamma": float(stats.kstest(x, stats.gamma(shape, scale=scale).cdf).statistic),
    }
    critical = ks_critical(n)
    for family in sorted(aic, key=aic.__getitem__):
        if ks[family] <= critical:
            return replace(base, document=documents[family], family=family, aic=aic, ks_distance=ks)
    reason = f"empirical: neither lognormal nor gamma passes KS at 1 % (distance > {critical:.3f})"
    return replace(base, document=empirical, family="empirical", aic=aic, ks_distance=ks, reason=reason)
