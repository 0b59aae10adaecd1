"""Distributions know their own mean and variance, and the sample moments agree with them.

With n draws, the sample mean is within Z standard errors (sd / sqrt n) of the true mean, and
the sample variance within Z standard errors of the true variance, its standard error estimated
from the sample's fourth central moment, sqrt((m4 - s^4) / n). Z = 4 leaves a correct
distribution a chance below 1e-4 of failing each check at any seed; the seed is fixed anyway.
"""

import math
import typing

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.core.distributions import DISTRIBUTIONS, Distribution
from sim.core.units import parse_duration

Z = 4.0
N = 200_000
PARSE: TypeAdapter[Distribution] = TypeAdapter(Distribution)

DOCS = [
    {"dist": "exponential", "mean": "3m"},
    {"dist": "exponential", "rate": 0.25},
    {"dist": "lognormal", "mean": 9, "sd": 6},
    {"dist": "gamma", "shape": 2.5, "scale": 1.5},
    {"dist": "gamma", "mean": "7m", "sd": "4m"},
    {"dist": "uniform", "low": 2, "high": 8},
    {"dist": "triangular", "low": 2, "mode": 4, "high": 10},
    {"dist": "empirical", "values": [1, 2, 2, 5, "30s"]},
]


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d["dist"] + "-" + "-".join(k for k in d if k != "dist"))
def test_sample_mean_and_variance_match_the_distribution(doc):
    dist = PARSE.validate_python(doc)
    x = dist.sample(np.random.default_rng(7), N)
    mean, var = x.mean(), x.var(ddof=1)
    m4 = np.mean((x - mean) ** 4)
    assert abs(mean - dist.mean()) < Z * math.sqrt(var / N)
    assert abs(var - dist.variance()) < Z * math.sqrt((m4 - var**2) / N)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d["dist"])
def test_scaling_multiplies_the_mean_and_the_variance_by_the_square(doc):
    dist = PARSE.validate_python(doc)
    scaled = dist.scaled(1.5)
    assert scaled.mean() == pytest.approx(1.5 * dist.mean())
    assert scaled.variance() == pytest.approx(2.25 * dist.variance())


def test_expected_moments_of_hand_checked_cases():
    assert PARSE.validate_python({"dist": "exponential", "rate": 0.25}).mean() == 4.0
    assert PARSE.validate_python({"dist": "exponential", "mean": "90s"}).variance() == 2.25
    assert PARSE.validate_python({"dist": "gamma", "mean": 6, "sd": 3}).variance() == pytest.approx(9.0)
    assert PARSE.validate_python({"dist": "uniform", "low": 0, "high": 6}).variance() == 3.0
    assert PARSE.validate_python({"dist": "empirical", "values": [1, 3]}).variance() == 1.0


def test_fixed_always_draws_its_value():
    dist = PARSE.validate_python({"dist": "fixed", "value": "45s"})
    assert dist.sample(np.random.default_rng(1), 5).tolist() == [0.75] * 5
    assert (dist.mean(), dist.variance()) == (0.75, 0.0)


@pytest.mark.parametrize(
    "doc, fragment",
    [
        ({"dist": "exponential", "mean": 3, "rate": 0.5}, "exactly one of 'mean'"),
        ({"dist": "exponential"}, "exactly one of 'mean'"),
        ({"dist": "gamma", "shape": 2}, "either 'shape' and 'scale', or 'mean' and 'sd'"),
        ({"dist": "gamma", "shape": 2, "sd": 1}, "either 'shape' and 'scale', or 'mean' and 'sd'"),
        ({"dist": "uniform", "low": 5, "high": 5}, "low < high"),
        ({"dist": "triangular", "low": 1, "mode": 9, "high": 5}, "low <= mode <= high"),
        ({"dist": "lognormal", "mean": 5, "sd": 0}, "greater than 0"),
        ({"dist": "fixed", "value": 1, "mean": 1}, "Extra inputs are not permitted"),
        ({"dist": "empirical", "values": []}, "at least 1 item"),
    ],
)
def test_inconsistent_parameters_are_rejected(doc, fragment):
    with pytest.raises(ValidationError) as caught:
        PARSE.validate_python(doc)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("45s", 0.75),
        ("2d", 2880.0),
        ("5m", 5.0),
        ("5min", 5.0),
        ("4h", 240.0),
        ("1w", 10080.0),
        ("1.5h", 90.0),
        (" 30 s ", 0.5),
        ("12", 12.0),
        (7, 7.0),
        (2.5, 2.5),
        (0, 0.0),
    ],
)
def test_durations_parse_to_minutes(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["5 parsecs", "-3m", "abc", "3 hours", "", True, None, [5], float("inf"), 10**400, "1e400h"]
)
def test_bad_durations_are_rejected_with_the_allowed_units(text):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "s, m, h, d, w" in message or "finite and not negative" in message


def test_the_registry_of_names_lists_exactly_the_distributions_a_scenario_accepts():
    members = typing.get_args(typing.get_args(Distribution)[0])
    accepted = {name: member for member in members for name in typing.get_args(member.model_fields["dist"].annotation)}
    assert accepted == DISTRIBUTIONS
