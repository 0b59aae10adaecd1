"""The theory checks as data: each case is a scenario, a way to measure it, and the values theory predicts.

``tests/test_against_theory.py`` turns every (case, check) pair into one test; ``bench/mutations.py``
runs the same checks against a perturbed engine and ``bench/theory_grid.py`` runs the rest of the load
grid. How a check decides, and why its false-failure rate and its power are what they are, is in
``conftest.within`` and the README's validation section.

Every replication yields one value of each measure and of each control: the realised arrival count
and the mean handle time of the measured window, each as a relative deviation from its known
expectation (so each control has mean 0 under a correct engine). The checks regress the measure on
the controls across replications and compare the intercept with theory; ``arrivals`` and ``handle``
are also checked themselves, so an engine whose arrival rate or handle times are off fails there even
though the regression adjusts the other measures for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.kpis import replication_kpis
from sim.analysis.theory import erlang_a, jackson_arrival_rates, mmc, mmc_priority_waits
from sim.core.units import MINUTES_PER_HOUR
from sim.engine.replication import run_replication
from sim.scenario.loader import validate
from sim.scenario.spec import Scenario

SEED = 1  # the schema default; each replication r has its own streams keyed by (seed, r)
MARGIN = 120.0  # minutes before the horizon after which arrivals are not measured (no censored waits)
TARGET = 1 / 3  # minutes: a 20-second service-level target
CONTROLS = ("arrivals", "handle")

# Relative bias bounds: a check fails when |simulated - theory| > BOUND x theory. Its power (the
# bias it detects with probability 0.9) is BOUND + 1.28 standard errors <= 1.35 x BOUND, because
# the interval at the check's level (z > 3.7 standard errors) must itself be narrower than BOUND.
WAIT_BOUND = 0.037  # -> power 5 %
RATE_BOUND = 0.015  # P(wait), service level, abandonment, utilisation -> power 2 %
CONTROL_BOUND = 0.0075  # arrival count and mean handle time -> power 1 %
NETWORK_BOUND = 0.075  # per-tier waits of the Jackson network and the lowest priority class -> power 10 %


def exponential(mean: float) -> dict[str, Any]:
    """An exponential distribution document."""
    return {"dist": "exponential", "mean": mean}


@dataclass(frozen=True)
class Check:
    """One quantity of one case: its column in the measures, its theoretical value and its bias bound."""

    quantity: str
    theory: float
    bound: float  # relative
    reference: Callable[[int], np.ndarray] | None = None  # another simulator's per-replication values, by seed

    @property
    def name(self) -> str:
        """The quantity, and the simulator it is compared with if not a formula."""
        return f"{self.quantity}-vs-ciw" if self.reference is not None else self.quantity


@dataclass
class Case:
    """A scenario fed the assumptions of a theory, how to measure one replication, and what to check."""

    name: str
    doc: dict[str, Any]
    replications: int
    measure: Callable[[Any, Scenario], dict[str, float]]
    checks: list[Check]
    mutations: tuple[str, ...] = field(default=())  # the mutations meant to change what it checks (README table)

    def scenario(self, perturb: Callable[[dict[str, Any]], None] | None = None) -> Scenario:
        """The validated scenario, optionally with its document perturbed first (a mutation)."""
        doc = _copy(self.doc)
        if perturb is not None:
            perturb(doc)
        return validate(doc, f"<{self.name}>")

    def run(self, seed: int = SEED, perturb: Callable[[dict[str, Any]], None] | None = None) -> pd.DataFrame:
        """One row per replication: every measure and both controls."""
        scenario = self.scenario(perturb)
        rows = []
        for r in range(self.replications):
            records = run_replication(scenario, r, seed, record_events=False)
            rows.append(self.measure(records, scenario))
        return pd.DataFrame(rows)


def _copy(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _copy(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_copy(v) for v in doc]
    return doc


def _window(records: Any) -> tuple[float, float]:
    return records.warmup, records.horizon - MARGIN


def censored_waits(tickets: pd.DataFrame, horizon: float) -> pd.Series:
    """Each ticket's wait; one still waiting at the horizon counts its wait so far (a lower bound).

    Measured tickets arrive at least MARGIN before the horizon; under a correct engine at the suite's
    loads practically none is still waiting then, so this adds no bias there, while a mutation that
    makes a queue unstable shows up as long waits instead of stopping the run.
    """
    return tickets["wait"].fillna(horizon - tickets["arrival"])


def _single_team_doc(
    name: str, per_minute: float, agents: int, handle: float, horizon: str, warmup: str, patience: float | None = None
) -> dict[str, Any]:
    channel: dict[str, Any] = {"name": "phone", "rate_per_hour": per_minute * MINUTES_PER_HOUR}
    channel["category_mix"] = {"call": 1}
    if patience is not None:
        channel["patience"] = exponential(patience)
    return {
        "name": name,
        "horizon": horizon,
        "warmup": warmup,
        "priorities": ["normal"],
        "channels": [channel],
        "categories": [{"name": "call", "handle_time": exponential(handle)}],
        "teams": [{"name": "agents", "agents": agents}],
        "routing": [{"team": "agents"}],
    }


def _single_team_measure(per_minute: float, handle: float) -> Callable[[Any, Scenario], dict[str, float]]:
    """Ticket measures of one team, over arrivals in [warm-up, horizon - margin)."""

    def measure(records: Any, scenario: Scenario) -> dict[str, float]:
        start, end = _window(records)
        t = records.tickets
        t = t[(t["arrival"] >= start) & (t["arrival"] < end)]
        outcome = t["outcome"].astype(str)
        abandoned = outcome == "abandoned"
        wait = censored_waits(t, records.horizon)
        served = t[~abandoned]
        kpis = replication_kpis(records, scenario)
        return {
            "mean_wait": float(wait.mean()),
            "p_wait": float((wait > 0).mean()),
            "service_level": float(((wait <= TARGET) & ~abandoned).mean()),
            "abandonment": float(abandoned.mean()),
            "utilisation": kpis["utilisation.agents"],
            "queue_length": kpis["queue_length.agents"],  # time-averaged, from the recorded levels
            "arrivals": len(t) / (per_minute * (end - start)) - 1,
            "handle": float(served["work_time"].mean()) / handle - 1,
        }

    return measure


def erlang_c_case(utilisation: float, agents: int, horizon: str, warmup: str, replications: int) -> Case:
    """M/M/c at the given utilisation: Erlang C's P(wait), mean wait, service level and utilisation."""
    handle = 3.0
    per_minute = utilisation * agents / handle
    theory = mmc(per_minute, 1 / handle, agents)
    return Case(
        f"erlang_c-rho{utilisation:g}-c{agents}",
        _single_team_doc("erlang_c", per_minute, agents, handle, horizon, warmup),
        replications,
        _single_team_measure(per_minute, handle),
        [
            Check("mean_wait", theory.mean_wait, WAIT_BOUND),
            Check("p_wait", theory.p_wait, RATE_BOUND),
            Check("service_level", theory.service_level(TARGET), RATE_BOUND),
            Check("utilisation", theory.utilisation, RATE_BOUND),
            Check("queue_length", theory.mean_queue_length, WAIT_BOUND),
            Check("arrivals", 0.0, CONTROL_BOUND),
            Check("handle", 0.0, CONTROL_BOUND),
        ],
    )


def erlang_a_case(utilisation: float, agents: int, horizon: str, warmup: str, replications: int) -> Case:
    """M/M/c+M (2-minute mean patience) at the given offered load per agent: Erlang A's measures."""
    handle, patience = 3.0, 2.0
    per_minute = utilisation * agents / handle
    theory = erlang_a(per_minute, 1 / handle, 1 / patience, agents)
    return Case(
        f"erlang_a-rho{utilisation:g}-c{agents}",
        _single_team_doc("erlang_a", per_minute, agents, handle, horizon, warmup, patience),
        replications,
        _single_team_measure(per_minute, handle),
        [
            Check("mean_wait", theory.mean_wait, WAIT_BOUND),
            Check("p_wait", theory.p_wait, RATE_BOUND),
            Check("service_level", theory.service_level(TARGET), RATE_BOUND),
            Check("abandonment", theory.p_abandon, RATE_BOUND if utilisation >= 1 else WAIT_BOUND),
            Check("utilisation", theory.utilisation, RATE_BOUND),
            Check("queue_length", theory.mean_queue_length, WAIT_BOUND),
            Check("arrivals", 0.0, CONTROL_BOUND),
            Check("handle", 0.0, CONTROL_BOUND),
        ],
    )


# -- open Jackson network: tier 1 -> tier 2, with or without feedback to tier 1 ---------------------------------
TEAMS = ("tier1", "tier2")
FEEDBACK = {"delay": {"dist": "fixed", "value": 0}, "return_to": "first", "max": 100}
"""A return from tier 2 to tier 1, as a reopening: at once, to the first team, never capped in practice."""


def jackson_case(
    per_hour: float,
    p: float,
    agents: tuple[int, int],
    handle: tuple[float, float],
    horizon: str,
    warmup: str,
    reps: int,
    q: float = 0.0,
) -> Case:
    """Tier 1 resolves with probability p, else transfers to tier 2: each tier is M/M/c at its Jackson rate.

    With ``q`` > 0 the network has feedback: tier 2 returns a ticket to tier 1 with probability q,
    drawn afresh on every tier-2 visit. The traffic equations are then lambda1 = lambda0 + q lambda2
    and lambda2 = (1 - p) lambda1, so lambda1 = lambda0 / (1 - q (1 - p)). The return is expressed
    with the engine's reopening: a category reopening with probability q after a tier-2 resolution
    only, at once (delay 0), to its first team (tier 1), with a cap (``max``) that never binds. The
    reopening chance is drawn from its own stream at every resolution and a returned ticket draws a
    fresh tier-1 handle time and a fresh resolve chance, joining the back of tier 1's queue (FIFO):
    exactly Jackson's independent Markov routing with exponential service at every visit.

    A ticket's queueing at a team is its stay minus its work there (one session per stay, no rework),
    read from the visits table over stays begun in the window; ``arrivals`` counts every stay at
    tier 1 (first visits and returns) against lambda1.
    """
    rates = jackson_arrival_rates([per_hour / MINUTES_PER_HOUR, 0.0], [[0.0, 1 - p], [q, 0.0]])
    theory = {t: mmc(rate, 1 / m, c) for t, rate, m, c in zip(TEAMS, rates, handle, agents, strict=True)}
    doc = {
        "name": "jackson",
        "horizon": horizon,
        "warmup": warmup,
        "channels": [{"name": "phone", "rate_per_hour": per_hour, "category_mix": {"tech": 1}}],
        "categories": [
            {
                "name": "tech",
                "path": list(TEAMS),
                "resolve_probability": {"tier1": p},
                "handle_time": {team: exponential(m) for team, m in zip(TEAMS, handle, strict=True)},
                **({"reopen": {**FEEDBACK, "probability": {"tier2": q}}} if q else {}),
            }
        ],
        "teams": [
            {"name": team, "tier": tier, "agents": c}
            for tier, (team, c) in enumerate(zip(TEAMS, agents, strict=True), start=1)
        ],
        "routing": [{"team": "tier1"}],
    }

    def measure(records: Any, scenario: Scenario) -> dict[str, float]:
        start, end = _window(records)
        v = records.visits
        v = v[(v["entered"] >= start) & (v["entered"] < end)]
        assert not (v["exit"] == "open").any(), "a stay begun two hours before the horizon is still open"
        team = v["team"].astype(str)
        waits = (v["left"] - v["entered"] - v["work"]).groupby(team).mean()
        work = v["work"].groupby(team).mean()
        kpis = replication_kpis(records, scenario)
        tier1 = team == "tier1"
        out = {
            "arrivals": int(tier1.sum()) / (rates[0] * (end - start)) - 1,
            "handle": float(work["tier1"]) / handle[0] - 1,
        }
        for t in TEAMS:
            out[f"mean_wait.{t}"] = float(waits[t])
            out[f"utilisation.{t}"] = kpis[f"utilisation.{t}"]
        out["visits.tier2"] = int((team == "tier2").sum()) / (rates[1] * (end - start)) - 1
        if q:
            out.update(returns(records.visits, start, end, q))
        return out

    checks = []
    for t in TEAMS:
        checks += [
            Check(f"mean_wait.{t}", theory[t].mean_wait, NETWORK_BOUND),
            Check(f"utilisation.{t}", theory[t].utilisation, RATE_BOUND),
        ]
    checks += [
        Check("visits.tier2", 0.0, RATE_BOUND),
        Check("arrivals", 0.0, CONTROL_BOUND),
        Check("handle", 0.0, CONTROL_BOUND),
    ]
    if q:  # a ticket's later tier-2 stays are ~10 times fewer than first ones: the wait bound fits their noise
        checks += [Check("returns.first", 0.0, RATE_BOUND), Check("returns.later", 0.0, WAIT_BOUND)]
    util = max(tier.utilisation for tier in theory.values())
    feedback = f"-q{q:g}" if q else ""
    return Case(f"jackson-{per_hour:g}perh-p{p}{feedback}-rho{util:.2f}", doc, reps, measure, checks)


def returns(visits: pd.DataFrame, start: float, end: float, q: float) -> dict[str, float]:
    """Share of tier-2 stays begun in the window that return the ticket to tier 1, relative to q, minus 1.

    ``returns.first`` over each ticket's first tier-2 stay, ``returns.later`` over its second and later
    ones: Jackson's routing draws the return afresh at every visit, so both shares are q (an engine
    that decided once per ticket would return every returned ticket again, or none).
    """
    stays = visits.sort_values(["ticket", "entered"], kind="stable")
    team = stays["team"].astype(str)
    returned = team.groupby(stays["ticket"]).shift(-1) == "tier1"
    at_tier2 = team == "tier2"
    nth = at_tier2.groupby(stays["ticket"]).cumsum()
    measured = at_tier2 & (stays["entered"] >= start) & (stays["entered"] < end)
    return {
        "returns.first": float(returned[measured & (nth == 1)].mean()) / q - 1,
        "returns.later": float(returned[measured & (nth > 1)].mean()) / q - 1,
    }


# -- non-preemptive priority M/M/c with three classes --------------------------------------------------------
CLASSES = ("P1", "P2", "P3")


def priority_case(
    utilisation: float, shares: tuple[float, ...], agents: int, handle: float, horizon: str, warmup: str, reps: int
) -> Case:
    """One team, three priority classes, one exponential handle time: Kella & Yechiali's class waits."""
    per_minute = utilisation * agents / handle
    theory = mmc_priority_waits([per_minute * s for s in shares], 1 / handle, agents)
    doc = _single_team_doc("priority", per_minute, agents, handle, horizon, warmup)
    doc["priorities"] = list(CLASSES)
    doc["categories"][0]["priority"] = dict(zip(CLASSES, shares, strict=True))

    def measure(records: Any, scenario: Scenario) -> dict[str, float]:
        start, end = _window(records)
        t = records.tickets
        t = t[(t["arrival"] >= start) & (t["arrival"] < end)]
        waits = censored_waits(t, records.horizon).groupby(t["priority"].astype(str)).mean()
        out = {f"mean_wait.{c}": float(waits[c]) for c in CLASSES}
        out["arrivals"] = len(t) / (per_minute * (end - start)) - 1
        out["handle"] = float(t["work_time"].mean()) / handle - 1
        return out

    bounds = (WAIT_BOUND, WAIT_BOUND, NETWORK_BOUND)  # the lowest class's waits are the noisiest
    checks = [Check(f"mean_wait.{c}", w, b) for c, w, b in zip(CLASSES, theory, bounds, strict=True)]
    checks += [Check("arrivals", 0.0, CONTROL_BOUND), Check("handle", 0.0, CONTROL_BOUND)]
    return Case(f"priority3-rho{utilisation:g}-c{agents}", doc, reps, measure, checks)


def relative_error_scale(check: Check) -> float:
    """What a relative bound is relative to: the theoretical value, or 1 for the controls (theory 0)."""
    return abs(check.theory) if check.theory != 0 else 1.0


def as_array(values: Any) -> np.ndarray:
    """A column of per-replication values as floats."""
    return np.asarray(values, dtype=float)


# -- M/G/c: Allen-Cunneen and Ciw ----------------------------------------------------------------------------
def allen_cunneen_wait(per_minute: float, handle: float, scv: float, agents: int) -> float:
    """Allen-Cunneen's M/G/c mean wait: Erlang C's, scaled by (1 + squared coefficient of variation) / 2."""
    return mmc(per_minute, 1 / handle, agents).mean_wait * (1 + scv) / 2


def ciw_waits(per_minute: float, service: Any, agents: int, horizon: float, warmup: float, reps: int, seed: int):
    """Mean wait of arrivals in [warm-up, horizon - margin) in Ciw's M/G/c, one value per replication."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=per_minute)],
        service_distributions=[service],
        number_of_servers=[agents],
    )
    out = []
    for r in range(reps):
        ciw.seed(seed * 100_003 + r)
        simulation = ciw.Simulation(network)
        simulation.simulate_until_max_time(horizon)
        waits = [x.waiting_time for x in simulation.get_all_records() if warmup <= x.arrival_date < horizon - MARGIN]
        out.append(float(np.mean(waits)))
    return np.asarray(out)


def mgc_case(kind: str, utilisation: float, agents: int, days: int, reps: int) -> Case:
    """M/G/c with deterministic or lognormal (coefficient of variation 1) handle times.

    The mean wait is checked against Allen-Cunneen within the approximation's accuracy (AC_BOUND) and
    against Ciw, an independent simulator, with a two-sample interval (CIW_BOUND).
    """
    import math

    import ciw

    handle, warmup = 3.0, 240.0
    per_minute = utilisation * agents / handle
    if kind == "deterministic":
        handle_time: dict[str, Any] = {"dist": "fixed", "value": handle}
        scv, service, ciw_bound = 0.0, ciw.dists.Deterministic(handle), 0.05
    else:
        handle_time = {"dist": "lognormal", "mean": handle, "sd": handle}
        sigma2 = math.log(2.0)
        scv, ciw_bound = 1.0, 0.10
        service = ciw.dists.Lognormal(math.log(handle) - sigma2 / 2, math.sqrt(sigma2))
    doc = _single_team_doc("mgc", per_minute, agents, handle, f"{days}d", f"{warmup:g}m")
    doc["categories"][0]["handle_time"] = handle_time
    horizon = days * 24 * MINUTES_PER_HOUR

    def reference(seed: int) -> np.ndarray:
        return ciw_waits(per_minute, service, agents, horizon, warmup, reps, seed)

    measure = _single_team_measure(per_minute, handle)
    ac = allen_cunneen_wait(per_minute, handle, scv, agents)
    return Case(
        f"mgc-{kind}-rho{utilisation:g}-c{agents}",
        doc,
        reps,
        measure,
        [
            Check("mean_wait", ac, AC_BOUND[kind]),
            Check("mean_wait", ac, ciw_bound, reference),
            Check("utilisation", utilisation, RATE_BOUND),
            Check("arrivals", 0.0, CONTROL_BOUND),
            Check("handle", 0.0, CONTROL_BOUND),
        ],
    )


AC_BOUND = {"deterministic": 0.10, "lognormal": 0.15}
"""Allen-Cunneen's accuracy for these M/G/c queues, as the bound of its check (see the README)."""

REPLICATIONS = 200  # many short replications: the t quantile is near the normal's and the width estimate stable
"""Run lengths are set so that each interval comes out at most 0.8 x its bound on seed 1; with 197 degrees of
freedom an interval then exceeds its bound by chance with probability under 1e-6 (chi-square tail)."""
SUITE = [
    erlang_c_case(0.70, 14, "10d", "4h", REPLICATIONS),
    erlang_c_case(0.85, 14, "14d", "4h", REPLICATIONS),
    erlang_a_case(0.80, 12, "36h", "2h", REPLICATIONS),  # under-load
    erlang_a_case(1.30, 12, "1d", "2h", REPLICATIONS),  # over-load
    jackson_case(120, 0.7, (8, 4), (3, 5), "4d", "4h", REPLICATIONS),  # both tiers at 0.75
    jackson_case(120, 0.7, (9, 5), (3, 5), "4d", "4h", REPLICATIONS, q=0.3),  # feedback: tiers at 0.73, 0.66
    priority_case(0.80, (0.2, 0.3, 0.5), 4, 4, "5d", "8h", REPLICATIONS),
    mgc_case("deterministic", 0.8, 4, 5, REPLICATIONS),  # 3 days left the Ciw interval at 0.96 x its bound
    mgc_case("lognormal", 0.8, 4, 6, REPLICATIONS),
]
"""The slow theory suite: every case and its checks, each one test in test_against_theory."""
