"""Tests that the exact queueing formulas in sim.analysis.theory match published values and each other."""

import itertools
import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.special import gammaln

from sim.analysis.theory import (
    _erlang_a_closed_form,
    erlang_a,
    erlang_b,
    erlang_c,
    jackson_arrival_rates,
    mmc,
    mmc_priority_waits,
    required_agents,
)

AHT = 180.0  # seconds, the published worked example
ARRIVAL_RATE = 10.0 / AHT  # 10 Erlangs offered
SERVICE_RATE = 1.0 / AHT

ERLANG_A_CASES = [
    (2.5, 1.0, 0.5, 2),  # overloaded: 2.5 Erlangs on 2 agents
    (8.0, 1.0, 0.2, 10),
    (ARRIVAL_RATE, SERVICE_RATE, 1.0 / 300.0, 14),
    (330.0, 1.0, 0.2, 300),  # many servers, overloaded
    (95.0, 1.0, 2.0, 100),
]


def test_mmc_reproduces_published_worked_example():
    result = mmc(ARRIVAL_RATE, SERVICE_RATE, 14)
    assert round(result.p_wait, 4) == 0.1741
    assert round(result.service_level(20.0), 3) == 0.888
    assert round(result.mean_wait, 2) == 7.84


def test_erlang_b_matches_known_value():
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=5e-5)


def test_erlang_c_relates_to_erlang_b():
    for servers, load in [(1, 0.5), (5, 3.2), (14, 10.0), (200, 190.0)]:
        blocking = erlang_b(servers, load)
        occupancy = load / servers
        expected = blocking / (1 - occupancy * (1 - blocking))
        assert erlang_c(servers, load) == pytest.approx(expected, rel=1e-12)


def test_erlang_formulas_stay_finite_for_hundreds_of_servers():
    assert 0 < erlang_b(800, 780.0) < 1
    assert 0 < erlang_c(800, 780.0) < 1


@pytest.mark.parametrize("servers, load", [(3, 3.0), (3, 4.5), (0, 0.5), (2, -1.0)])
def test_erlang_c_rejects_unstable_or_invalid_systems(servers, load):
    with pytest.raises(ValueError):
        erlang_c(servers, load)


def test_erlang_probabilities_lie_in_unit_interval():
    for servers in range(1, 30):
        for load in np.linspace(0.0, servers * 0.99, 7):
            assert 0 <= erlang_b(servers, load) <= 1
            assert 0 <= erlang_c(servers, load) <= 1


def test_more_servers_never_raise_p_wait_or_mean_wait():
    results = [mmc(ARRIVAL_RATE, SERVICE_RATE, servers) for servers in range(11, 40)]
    for fewer, more in itertools.pairwise(results):
        assert more.p_wait <= fewer.p_wait
        assert more.mean_wait <= fewer.mean_wait


def birth_death_stationary_law(arrival_rate, service_rate, patience_rate, servers, states):
    """The stationary law of the number in system, solved from the truncated generator by linear algebra."""
    n = np.arange(states)
    deaths = np.minimum(n, servers) * service_rate + np.maximum(n - servers, 0) * patience_rate
    generator = np.diag(np.full(states - 1, arrival_rate), 1) + np.diag(deaths[1:], -1)
    generator -= np.diag(generator.sum(axis=1))
    system = np.vstack([generator.T, np.ones(states)])
    law, *_ = np.linalg.lstsq(system, np.r_[np.zeros(states), 1.0], rcond=None)
    return law


def test_mmc_matches_its_birth_death_chain_solved_numerically():
    servers = 12
    result = mmc(ARRIVAL_RATE, SERVICE_RATE, servers)
    law = birth_death_stationary_law(ARRIVAL_RATE, SERVICE_RATE, 0.0, servers, 400)
    assert result.p_wait == pytest.approx(law[servers:].sum(), rel=1e-7)
    assert result.mean_queue_length == pytest.approx(np.dot(np.arange(400 - servers), law[servers:]), rel=1e-7)
    assert result.utilisation == pytest.approx(10.0 / 12)


@pytest.mark.parametrize("arrival_rate, service_rate, patience_rate, servers", ERLANG_A_CASES)
def test_erlang_a_chain_agrees_with_closed_form(arrival_rate, service_rate, patience_rate, servers):
    result = erlang_a(arrival_rate, service_rate, patience_rate, servers)
    p_wait, p_abandon = _erlang_a_closed_form(arrival_rate, service_rate, patience_rate, servers)
    assert result.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert result.p_abandon == pytest.approx(p_abandon, rel=1e-9)


def test_erlang_a_tends_to_erlang_c_as_patience_grows():
    patient = erlang_a(ARRIVAL_RATE, SERVICE_RATE, 1e-4 * SERVICE_RATE, 12)
    delay = mmc(ARRIVAL_RATE, SERVICE_RATE, 12)
    assert patient.p_wait == pytest.approx(delay.p_wait, rel=1e-3)
    assert patient.mean_wait == pytest.approx(delay.mean_wait, rel=1e-3)
    assert patient.mean_queue_length == pytest.approx(delay.mean_queue_length, rel=1e-3)
    assert patient.service_level(20.0) == pytest.approx(delay.service_level(20.0), rel=1e-3)


def test_erlang_a_with_patience_equal_to_service_rate_behaves_as_infinite_server_queue():
    arrival_rate, rate, servers = 7.0, 1.0, 5
    result = erlang_a(arrival_rate, rate, rate, servers)
    load = arrival_rate / rate
    in_system = np.arange(200)
    stationary = np.exp(in_system * math.log(load) - load - gammaln(in_system + 1))
    assert result.p_wait == pytest.approx(1 - stationary[:servers].sum(), rel=1e-12)
    expected_queue = float(np.dot(np.maximum(in_system - servers, 0), stationary))
    assert result.mean_queue_length == pytest.approx(expected_queue, rel=1e-12)
    expected_queue_law = stationary[servers : servers + 20]
    assert np.exp(result.queue_log_probabilities[:20]) == pytest.approx(expected_queue_law, rel=1e-10)


@pytest.mark.parametrize("arrival_rate, service_rate, patience_rate, servers", ERLANG_A_CASES)
def test_erlang_a_matches_its_birth_death_chain_solved_numerically(arrival_rate, service_rate, patience_rate, servers):
    result = erlang_a(arrival_rate, service_rate, patience_rate, servers)
    states = servers + 800
    law = birth_death_stationary_law(arrival_rate, service_rate, patience_rate, servers, states)
    assert result.p_wait == pytest.approx(law[servers:].sum(), rel=1e-7)
    assert result.mean_queue_length == pytest.approx(np.dot(np.arange(states - servers), law[servers:]), rel=1e-7)
    assert 0 <= result.p_abandon <= 1
    served_rate = servers * service_rate * result.utilisation
    assert served_rate == pytest.approx(arrival_rate * (1 - result.p_abandon), rel=1e-9)


def test_erlang_a_is_stable_when_load_exceeds_servers():
    result = erlang_a(30.0, 1.0, 0.5, 20)
    assert result.utilisation < 1
    assert result.p_abandon == pytest.approx(1 - 20 * result.utilisation / 30.0, rel=1e-9)


@pytest.mark.parametrize("arrival_rate, service_rate, patience_rate, servers", ERLANG_A_CASES)
def test_erlang_a_service_level_rises_from_no_wait_share_to_served_share(
    arrival_rate, service_rate, patience_rate, servers
):
    result = erlang_a(arrival_rate, service_rate, patience_rate, servers)
    scale = 1 / (servers * service_rate)
    levels = [result.service_level(k * scale) for k in np.linspace(0.0, 50.0, 101)]
    assert all(0 <= level <= 1 for level in levels)
    assert all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(levels))
    assert levels[0] == pytest.approx(1 - result.p_wait, abs=1e-12)
    assert result.service_level(math.inf) == pytest.approx(1 - result.p_abandon, abs=1e-12)
    assert result.service_level(1e6 / patience_rate) == pytest.approx(1 - result.p_abandon, abs=1e-12)


@pytest.mark.parametrize("target", [0.0, 0.3, 1.0, 2.5, 8.0])
def test_erlang_a_service_level_matches_phase_type_first_passage(target):
    arrival_rate, service_rate, patience_rate, servers = 2.5, 1.0, 0.5, 2
    result = erlang_a(arrival_rate, service_rate, patience_rate, servers)
    assert result.service_level(target) == pytest.approx(
        _phase_type_service_level(arrival_rate, service_rate, patience_rate, servers, target), abs=1e-10
    )


def _phase_type_service_level(arrival_rate, service_rate, patience_rate, servers, target, depth=80):
    """Condition on the state an arrival finds and solve its absorbing chain (served / abandoned) by expm."""
    n = np.arange(1, servers + depth)
    death = np.minimum(n, servers) * service_rate + np.maximum(n - servers, 0) * patience_rate
    weights = np.cumprod(np.concatenate(([1.0], arrival_rate / death)))
    stationary = weights / weights.sum()
    full_rate = servers * service_rate
    served, abandoned = depth, depth + 1
    generator = np.zeros((depth + 2, depth + 2))
    for ahead in range(depth):
        forward = full_rate + ahead * patience_rate
        generator[ahead, served if ahead == 0 else ahead - 1] = forward
        generator[ahead, abandoned] = patience_rate
        generator[ahead, ahead] = -(forward + patience_rate)
    served_by_target = expm(generator * target)[:depth, served]
    return stationary[:servers].sum() + float(np.dot(stationary[servers:], served_by_target))


def test_priority_waits_conserve_fcfs_work():
    arrival_rates, service_rate, servers = [1.0, 2.5, 0.7, 3.1], 0.9, 9
    waits = mmc_priority_waits(arrival_rates, service_rate, servers)
    fcfs = mmc(sum(arrival_rates), service_rate, servers)
    weighted = sum(rate * wait for rate, wait in zip(arrival_rates, waits, strict=True)) / sum(arrival_rates)
    assert weighted == pytest.approx(fcfs.mean_wait, rel=1e-12)
    assert waits == sorted(waits)


def test_priority_waits_match_hand_computed_two_class_case():
    # c = 2, mu = 1, a = 1: B = 1/5, C = 1/3, W0 = C / (c mu) = 1/6, sigma = 1/4 then 1/2.
    waits = mmc_priority_waits([0.5, 0.5], 1.0, 2)
    assert waits == pytest.approx([2 / 9, 4 / 9], rel=1e-12)


def test_single_priority_class_is_fcfs():
    (wait,) = mmc_priority_waits([ARRIVAL_RATE], SERVICE_RATE, 13)
    assert wait == pytest.approx(mmc(ARRIVAL_RATE, SERVICE_RATE, 13).mean_wait, rel=1e-12)


def test_jackson_escalation_network_sends_share_p_to_tier_two():
    tier1_rate, escalation = 12.0, 0.3
    rates = jackson_arrival_rates([tier1_rate, 0.0], [[0.0, escalation], [0.0, 0.0]])
    assert rates == pytest.approx([tier1_rate, escalation * tier1_rate])


def test_jackson_network_with_feedback_solves_traffic_equations():
    external = [4.0, 1.0]
    routing = [[0.1, 0.3], [0.2, 0.0]]
    rates = np.array(jackson_arrival_rates(external, routing))
    assert rates == pytest.approx(np.array(external) + rates @ np.array(routing))


def test_jackson_rejects_network_that_is_not_open():
    with pytest.raises(ValueError):
        jackson_arrival_rates([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]])


def test_required_agents_reproduces_published_count_and_is_minimal():
    agents = required_agents(ARRIVAL_RATE, SERVICE_RATE, 0.8, 20.0)
    assert agents == 14
    assert mmc(ARRIVAL_RATE, SERVICE_RATE, agents).service_level(20.0) >= 0.8
    assert mmc(ARRIVAL_RATE, SERVICE_RATE, agents - 1).service_level(20.0) < 0.8
