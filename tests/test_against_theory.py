"""The simulator reproduces exact queueing theory when fed its assumptions.

Cases (``theory_cases.SUITE``): M/M/c (Erlang C) at utilisation 0.7 and 0.85; M/M/c+M (Erlang A) under-
and over-loaded; an open Jackson network tier 1 -> tier 2; a non-preemptive M/M/c with three priority
classes; M/G/c with deterministic and lognormal handle times, against the Allen-Cunneen approximation
(within its accuracy, 10 % and 15 % here) and against Ciw, an independent simulator, with a two-sample
interval (5 % and 10 %). Each (case, quantity) pair is one test; the rest of the M/M/c load grid (0.5-0.95) runs in
``bench/theory_grid.py``, and ``bench/mutations.py`` shows that every check here fails under at least one
perturbation of the engine that changes what it checks.

How a check decides (``conftest.within``): a case runs 200 independent replications (streams keyed by
seed and replication), each with a warm-up left out and a measured window; each replication yields
one value of each measure and of two control variates with known mean 0 (its realised arrival count
and its mean handle time, relative to their expectations). The controlled mean (the intercept of a
least-squares fit on the controls) must lie within the check's bias bound of theory, and its
interval at level 1 - CHECK_RISK must be narrower than that bound. A relative bias of the bound plus
1.28 standard errors (at most 1.35 x the bound) therefore fails the check with probability 0.9 or more:
5 % for mean waits, 2 % for P(wait), service level, abandonment and utilisation, 10 % for the tiers of
the network and the lowest priority class (see ``theory_cases`` for the bounds).

Levels. Each check fails a correct engine with probability at most CHECK_RISK = 1e-4 plus the chance
that its interval comes out wider than the bound (under 1e-6 with 197 degrees of freedom and widths
at most 0.8 x the bound), so the suite's false-failure rate is at most the sum over its checks,
asserted below to stay under 1 in 100. The seed is the schema default (1); no seed was chosen to pass.
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest
from conftest import CHECK_RISK, within
from theory_cases import CONTROLS, SEED, SUITE, Case, Check

PAIRS = [(case, check) for case in SUITE for check in case.checks]


@functools.cache
def measures(name: str) -> pd.DataFrame:
    """The per-replication measures of one case, simulated once per test session."""
    return next(c for c in SUITE if c.name == name).run()


def verdict(frame: pd.DataFrame, check: Check) -> tuple[bool, str]:
    """The check on a case's measures: controls adjust every quantity but themselves."""
    controls = None if check.quantity in CONTROLS else frame[list(CONTROLS)]
    theory = check.theory if check.reference is None else check.reference(SEED)
    return within(frame[check.quantity], theory, check.bound, controls)


def test_suite_fails_a_correct_engine_less_than_once_in_a_hundred_runs():
    width_risk = 1e-6  # per check: interval wider than its bound (see the module docstring)
    assert len(PAIRS) * (CHECK_RISK + width_risk) < 0.01


def test_every_case_checks_its_controls_and_at_least_one_queueing_quantity():
    for case in SUITE:
        quantities = {c.quantity for c in case.checks}
        assert set(CONTROLS) <= quantities and len(quantities) > len(CONTROLS), case.name


@pytest.mark.slow
@pytest.mark.parametrize(("case", "check"), PAIRS, ids=[f"{c.name}-{k.name}" for c, k in PAIRS])
def test_simulated_quantity_matches_theory_within_its_bias_bound(case: Case, check: Check):
    ok, account = verdict(measures(case.name), check)
    assert ok, account


@pytest.mark.skip(
    reason="Jackson network with feedback (tier 2 returning tickets to tier 1) not built: the engine's only "
    "route back to tier 1 is a reopen with return_to: first, and whether each tier-2 visit then draws its own "
    "return chance, as Jackson's feedback needs, is not yet verified"
)
def test_jackson_network_with_feedback_from_tier_2_to_tier_1():
    raise AssertionError("not built")
