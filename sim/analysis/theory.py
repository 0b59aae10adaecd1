"""Exact queueing results that the simulator is validated against.

The simulator is only trustworthy if, when fed the assumptions of a classical
model, it reproduces that model's exact answers.  This module collects those
answers.  Times may be in any consistent unit; rates are per that unit, and a
load is an arrival rate divided by a service rate (Erlangs).

Formulas and sources:

* Erlang B (loss system M/M/c/c), Erlang (1917), "Solution of some problems in
  the theory of probabilities of significance in automatic telephone
  exchanges".  Evaluated with the recursion B(0) = 1,
  B(n) = a B(n-1) / (n + a B(n-1)), which is stable for thousands of servers
  (Jagerman 1974, "Some properties of the Erlang loss function", Bell System
  Technical Journal 53).
* Erlang C (delay system M/M/c), Erlang (1917), via
  C = B / (1 - rho (1 - B)) with rho = a / c, and the M/M/c FCFS waiting-time
  law P(W > t) = C exp(-(c mu - lambda) t) (Kleinrock 1975, "Queueing Systems,
  Vol. 1", section 3.5; Gross & Harris, "Fundamentals of Queueing Theory").
* Erlang A (M/M/c+M, exponential patience with rate theta), Palm (1943);
  Garnett, Mandelbaum & Reiman (2002), "Designing a call center with impatient
  customers", M&SOM 4(3); Mandelbaum & Zeltyn (2007), "Service engineering in
  action: the Palm/Erlang-A queue, with applications to call centers", in
  Spath & Faehnrich (eds.), Advances in Services Innovations, Springer.  The
  number in system is a birth-death chain (birth lambda, death
  min(n, c) mu + max(n - c, 0) theta) whose stationary law is computed exactly
  in log space; abandonment and waits follow from Little's law
  (P(abandon) = theta E[Q] / lambda, E[W] = E[Q] / lambda).  The service level
  P(served and wait <= t) integrates Mandelbaum & Zeltyn's density of the
  offered wait against the caller's patience.  Their closed form, with
  A(x, y) = x e^y y^-x gamma(x, y), is kept as an independent cross-check.
* Non-preemptive priority M/M/c with a common service rate, Cobham (1954),
  "Priority assignment in waiting line problems", JORSA 2(1); Kella & Yechiali
  (1985), "Waiting times in the non-preemptive priority M/M/c queue",
  Stochastic Models 1(2): W_k = W0 / ((1 - sigma_{k-1})(1 - sigma_k)) with
  W0 = C(c, a) / (c mu) and sigma_k the load of classes 0..k on c mu.
* Open Jackson networks, Jackson (1957), "Networks of waiting lines",
  Operations Research 5(4): the traffic equations lambda = gamma + lambda P.
* Staffing to a service level with Erlang C, as in Gans, Koole & Mandelbaum
  (2003), "Telephone call centers: tutorial, review, and research prospects",
  M&SOM 5(2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import gammainc, gammaln, logsumexp

_TAIL_MASS = 1e-14


def erlang_b(servers: int, load: float) -> float:
    """Return the Erlang B blocking probability, the share of arrivals lost by a full M/M/c/c system."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be non-negative")
    blocking = 1.0
    for n in range(1, servers + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Return the Erlang C probability that an arrival to a stable M/M/c queue has to wait."""
    if servers < 1 or load < 0:
        raise ValueError("need at least one server and a non-negative load")
    if load >= servers:
        raise ValueError(f"load {load} Erlangs is unstable for {servers} servers")
    blocking = erlang_b(servers, load)
    occupancy = load / servers
    return blocking / (1.0 - occupancy * (1.0 - blocking))


@dataclass(frozen=True)
class MMcResult:
    """Steady-state performance of an M/M/c FCFS queue, with the inputs that produced it."""

    p_wait: float
    mean_wait: float
    mean_queue_length: float
    utilisation: float
    arrival_rate: float
    service_rate: float
    servers: int

    def service_level(self, target: float) -> float:
        """Return P(wait <= target), the share of arrivals answered within the target time."""
        if target < 0:
            raise ValueError("target must be non-negative")
        spare_rate = self.servers * self.service_rate - self.arrival_rate
        return 1.0 - self.p_wait * math.exp(-spare_rate * target)


def mmc(arrival_rate: float, service_rate: float, servers: int) -> MMcResult:
    """Return the exact steady-state measures of a stable M/M/c queue."""
    if arrival_rate < 0 or service_rate <= 0:
        raise ValueError("need a non-negative arrival rate and a positive service rate")
    p_wait = erlang_c(servers, arrival_rate / service_rate)
    mean_wait = p_wait / (servers * service_rate - arrival_rate)
    return MMcResult(
        p_wait=p_wait,
        mean_wait=mean_wait,
        mean_queue_length=arrival_rate * mean_wait,
        utilisation=arrival_rate / (servers * service_rate),
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        servers=servers,
    )


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state performance of an M/M/c+M queue; waits are averaged over all arrivals, served or not.

    ``queue_log_probabilities[j]`` is the log of the probability that an
    arrival finds every server busy and ``j`` others already waiting (truncated
    where the tail mass is below 1e-14); logs keep the far states of heavily
    overloaded systems from underflowing, and ``service_level`` needs them.
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_queue_length: float
    utilisation: float
    arrival_rate: float
    service_rate: float
    patience_rate: float
    servers: int
    queue_log_probabilities: np.ndarray = field(repr=False, compare=False)

    def service_level(self, target: float) -> float:
        """Return P(served and waited <= target), so callers who abandon never count as answered in time."""
        if target < 0:
            raise ValueError("target must be non-negative")
        return min(1.0, max(0.0, 1.0 - self.p_abandon - self._answered_after(target)))

    def _answered_after(self, target: float) -> float:
        """Return P(served and waited > target), the share answered later than the target.

        An arrival's offered wait V (its wait if it were infinitely patient) has
        density pi_c c mu exp(-c mu s + y (1 - e^(-theta s))) on s > 0, with
        y = lambda / theta (Mandelbaum & Zeltyn), and it is served iff V < its
        Exp(theta) patience.  Integrating e^(-theta s) times that density from t
        to infinity gives an incomplete gamma function whose series, regrouped
        by the queue length j an arrival finds, is the positive sum
        sum_j pi_(c+j) c mu / r_j * exp(y (1 - e^(-theta t)) - r_j t) with
        r_j = c mu + (j + 1) theta, evaluated here in log space.
        """
        full_rate = self.servers * self.service_rate
        leave_rates = full_rate + self.patience_rate * np.arange(1, self.queue_log_probabilities.size + 1)
        growth = -self.arrival_rate / self.patience_rate * math.expm1(-self.patience_rate * target)
        log_weights = np.log(full_rate / leave_rates) + growth - leave_rates * target
        return float(np.exp(logsumexp(self.queue_log_probabilities + log_weights)))


def erlang_a(arrival_rate: float, service_rate: float, patience_rate: float, servers: int) -> ErlangAResult:
    """Return the exact steady-state measures of an Erlang A queue, stable at any load as callers abandon."""
    if arrival_rate <= 0 or service_rate <= 0 or patience_rate <= 0 or servers < 1:
        raise ValueError("rates must be positive and there must be at least one server")
    log_probabilities = _erlang_a_log_distribution(arrival_rate, service_rate, patience_rate, servers)
    probabilities = np.exp(log_probabilities)
    in_system = np.arange(probabilities.size)
    mean_queue_length = float(np.dot(in_system[servers:] - servers, probabilities[servers:]))
    busy_servers = float(np.dot(np.minimum(in_system, servers), probabilities))
    queue_log_probabilities = log_probabilities[servers:]
    queue_log_probabilities.flags.writeable = False
    return ErlangAResult(
        p_wait=float(probabilities[servers:].sum()),
        p_abandon=patience_rate * mean_queue_length / arrival_rate,
        mean_wait=mean_queue_length / arrival_rate,
        mean_queue_length=mean_queue_length,
        utilisation=busy_servers / servers,
        arrival_rate=arrival_rate,
        service_rate=service_rate,
        patience_rate=patience_rate,
        servers=servers,
        queue_log_probabilities=queue_log_probabilities,
    )


def _erlang_a_log_distribution(
    arrival_rate: float, service_rate: float, patience_rate: float, servers: int
) -> np.ndarray:
    """Return the log stationary law of the number in system, truncated once the tail mass is negligible."""
    size = servers + 64
    while True:
        log_weights = _erlang_a_log_weights(arrival_rate, service_rate, patience_rate, servers, size)
        next_ratio = arrival_rate / (servers * service_rate + (size + 1 - servers) * patience_rate)
        if next_ratio < 1:
            shifted = log_weights - log_weights.max()
            log_total = math.log(np.exp(shifted).sum())
            log_tail_bound = shifted[-1] + math.log(next_ratio / (1 - next_ratio))
            if log_tail_bound < math.log(_TAIL_MASS) + log_total:
                return shifted - log_total
        size *= 2


def _erlang_a_log_weights(
    arrival_rate: float, service_rate: float, patience_rate: float, servers: int, size: int
) -> np.ndarray:
    """Return unnormalised log stationary weights of states 0..size from the birth-death balance equations."""
    n = np.arange(1, size + 1)
    death_rates = np.minimum(n, servers) * service_rate + np.maximum(n - servers, 0) * patience_rate
    return np.concatenate(([0.0], np.cumsum(math.log(arrival_rate) - np.log(death_rates))))


def _erlang_a_closed_form(
    arrival_rate: float, service_rate: float, patience_rate: float, servers: int
) -> tuple[float, float]:
    """Return (p_wait, p_abandon) from Mandelbaum & Zeltyn's closed form, an independent check on the chain.

    P(W > 0) = A E / (1 + (A - 1) E) and P(Ab | W > 0) = 1 / (rho A) + 1 - 1 / rho,
    with E = Erlang B(c, lambda / mu), rho = lambda / (c mu) and
    A = A(c mu / theta, lambda / theta).  Evaluated directly, so meant for moderate parameters.
    """
    x = servers * service_rate / patience_rate
    y = arrival_rate / patience_rate
    a_function = math.exp(y - x * math.log(y) + gammaln(x + 1) + math.log(gammainc(x, y)))
    blocking = erlang_b(servers, arrival_rate / service_rate)
    occupancy = arrival_rate / (servers * service_rate)
    p_wait = a_function * blocking / (1 + (a_function - 1) * blocking)
    p_abandon_given_wait = 1 / (occupancy * a_function) + 1 - 1 / occupancy
    return p_wait, p_wait * p_abandon_given_wait


def mmc_priority_waits(arrival_rates: Sequence[float], service_rate: float, servers: int) -> list[float]:
    """Return each class's mean wait in queue under non-preemptive priority M/M/c, class 0 most urgent."""
    if not arrival_rates or any(rate < 0 for rate in arrival_rates) or service_rate <= 0:
        raise ValueError("need at least one class, non-negative arrival rates and a positive service rate")
    capacity = servers * service_rate
    residual = erlang_c(servers, sum(arrival_rates) / service_rate) / capacity
    waits = []
    load_above = 0.0
    for rate in arrival_rates:
        load_up_to = load_above + rate / capacity
        waits.append(residual / ((1 - load_above) * (1 - load_up_to)))
        load_above = load_up_to
    return waits


def jackson_arrival_rates(external: Sequence[float], routing: Sequence[Sequence[float]]) -> list[float]:
    """Return each node's total arrival rate in an open Jackson network, solving lambda = gamma + lambda P."""
    gamma = np.asarray(external, dtype=float)
    transfer = np.asarray(routing, dtype=float)
    if transfer.shape != (gamma.size, gamma.size):
        raise ValueError("routing must be a square matrix matching the external rates")
    if (gamma < 0).any() or (transfer < 0).any() or (transfer.sum(axis=1) > 1 + 1e-12).any():
        raise ValueError("rates and routing probabilities must be non-negative with row sums at most 1")
    if np.abs(np.linalg.eigvals(transfer)).max() >= 1 - 1e-12:
        raise ValueError("network is not open: some customers are routed forever (I - P is singular)")
    return np.linalg.solve(np.eye(gamma.size) - transfer.T, gamma).tolist()


def required_agents(arrival_rate: float, service_rate: float, target_level: float, target_time: float) -> int:
    """Return the fewest agents whose Erlang C service level P(wait <= target_time) reaches target_level."""
    if arrival_rate < 0 or service_rate <= 0:
        raise ValueError("need a non-negative arrival rate and a positive service rate")
    if not 0 <= target_level < 1 or target_time < 0:
        raise ValueError("target_level must be in [0, 1) and target_time non-negative")
    servers = math.floor(arrival_rate / service_rate) + 1
    while mmc(arrival_rate, service_rate, servers).service_level(target_time) < target_level:
        servers += 1
    return servers
