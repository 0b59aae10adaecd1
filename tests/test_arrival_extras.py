"""What arrives: self-service in front of the agents, a starting backlog, and an uncertain forecast.

Stories use fixed arrival times and fixed durations, so every record follows from the scenario
alone (time 0 is Monday 2026-01-05 00:00). Properties check conservation and that a scenario not
using a feature keeps its records; the forecast factor is validated against the gamma-mixed
Poisson law it promises.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import _plain, assert_conserved, build, event_log, fixed, simulate, ticket_rows
from scipy import stats

from sim.analysis.kpis import replication_kpis
from sim.core.units import MINUTES_PER_DAY
from sim.engine import demand as demand_module
from sim.engine.replication import run_replication
from sim.engine.streams import Stream, Streams
from sim.scenario.errors import ScenarioError


def kpis_of(**fields: object) -> dict[str, float]:
    scenario = build(**fields)
    return replication_kpis(run_replication(scenario), scenario)


def contacts(records) -> list[tuple]:
    """The self-service table's rows as plain tuples (NaN as None), in contact order."""
    frame = records.self_service.sort_values("contact")
    columns = ["contact", "category", "arrival", "outcome", "left", "ticket", "extra_handle_time"]
    return [tuple(_plain(v) for v in row) for row in frame[columns].itertuples(index=False)]


# -- starting backlog -------------------------------------------------------------------------------------------
def test_a_backlog_ticket_60_minutes_old_is_picked_up_first_at_time_0_and_its_wait_counts_60_minutes():
    # one agent; the backlog ticket (arrived at -60) waits in the queue when the agent comes on duty at 0,
    # so it is served before the phone ticket that arrives at 0; its first-response clock (target 90 on
    # 24x7) started at -60 and is due at 30
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}],
        initial_backlog=[{"team": "desk", "category": "question", "count": 1, "age": fixed(60)}],
        sla_policies=[{"name": "all", "first_response": {"target": 90}}],
    )
    # its 50 % warning (45 minutes into the target) fell at -15, before the start; it is met at 0
    assert event_log(records, detail=True) == [
        (-60.0, 0, "arrival", "", "phone"),
        (-15.0, 0, "sla_warning", "desk", "first_response@50%"),
        (0.0, 0, "queued", "desk", ""),
        (0.0, 0, "sla_met", "desk", "first_response"),
        (0.0, 0, "picked_up", "desk", ""),
        (0.0, 1, "arrival", "", "phone"),
        (0.0, 1, "queued", "desk", ""),
        (10.0, 0, "resolved", "desk", ""),
        (10.0, 1, "sla_met", "desk", "first_response"),
        (10.0, 1, "picked_up", "desk", ""),
        (20.0, 1, "resolved", "desk", ""),
    ]
    assert ticket_rows(
        records, ["channel", "arrival", "answered_at", "wait", "first_response_due", "resolution_time"]
    ) == [
        (0, "phone", -60.0, 0.0, 60.0, 30.0, 70.0),
        (1, "phone", 0.0, 10.0, 10.0, 90.0, 20.0),
    ]


def test_a_backlog_ticket_older_than_its_sla_target_was_breached_before_the_start():
    # age 100 > target 90: the first-response clock ran out at -10; warnings (50 %, 75 %) at -55 and -32.5
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [], "category_mix": {"question": 1}}],
        initial_backlog=[{"team": "desk", "category": "question", "count": 1, "age": fixed(100)}],
        sla_policies=[{"name": "all", "first_response": {"target": 90}}],
    )
    assert event_log(records, detail=True)[:4] == [
        (-100.0, 0, "arrival", "", "phone"),
        (-55.0, 0, "sla_warning", "desk", "first_response@50%"),
        (-32.5, 0, "sla_warning", "desk", "first_response@75%"),
        (-10.0, 0, "sla_breach", "desk", "first_response"),
    ]
    assert ticket_rows(records, ["first_response_due", "first_response_breached_at", "first_response_met"]) == [
        (0, -10.0, -10.0, 0.0)
    ]


def test_a_rule_on_a_breach_that_fell_before_the_start_acts_at_time_0():
    # the watched (live) clock reports its warnings and breach at their times before 0, and the rule
    # raising the priority of breached tickets acts at 0, the first moment simulated
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [], "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": fixed(10), "priority": {"P2": 1}}],
        initial_backlog=[{"team": "desk", "category": "question", "count": 1, "age": fixed(100)}],
        sla_policies=[{"name": "all", "first_response": {"target": 90}}],
        escalation={
            "time_rules": [{"name": "late", "clock": "first_response", "at": "breach", "action": "raise_priority"}]
        },
    )
    assert event_log(records, detail=True) == [
        (-100.0, 0, "arrival", "", "phone"),
        (-55.0, 0, "sla_warning", "desk", "first_response@50%"),
        (-32.5, 0, "sla_warning", "desk", "first_response@75%"),
        (-10.0, 0, "sla_breach", "desk", "first_response"),
        (0.0, 0, "queued", "desk", ""),
        (0.0, 0, "picked_up", "desk", ""),
        (0.0, 0, "escalated", "desk", "automatic|late|desk"),
        (0.0, 0, "priority_raised", "desk", "P1"),
        (10.0, 0, "resolved", "desk", ""),
    ]


def test_backlog_tickets_join_their_queue_oldest_first_whatever_the_entry_order():
    # entry 0 holds two 30-minute-old tickets, entry 1 one 90-minute-old ticket: the oldest gets id 0
    records = simulate(
        channels=[{"name": "phone", "arrival_times": [], "category_mix": {"question": 1}}],
        initial_backlog=[
            {"team": "desk", "category": "question", "count": 2, "age": fixed(30)},
            {"team": "desk", "category": "question", "count": 1, "age": fixed(90), "priority": "P2"},
        ],
    )
    assert ticket_rows(records, ["arrival", "priority", "answered_at", "wait"]) == [
        (0, -90.0, "P2", 0.0, 90.0),
        (1, -30.0, "P2", 10.0, 40.0),
        (2, -30.0, "P2", 20.0, 50.0),
    ]


def test_backlog_kpis_share_resolved_and_time_to_resolve_the_whole_backlog():
    # two backlog tickets of 10 minutes, one agent: resolved at 10 and 20, the backlog is cleared at 20
    backlog = [{"team": "desk", "category": "question", "count": 2, "age": fixed(60)}]
    quiet = [{"name": "phone", "arrival_times": [], "category_mix": {"question": 1}}]
    kpis = kpis_of(channels=quiet, initial_backlog=backlog)
    assert kpis["backlog_resolved"] == 1.0
    assert kpis["backlog_clearance_time"] == 20.0
    # they count in the tallies when there is no warm-up: waits 60 and 70
    assert kpis["arrived"] == 2
    assert kpis["asa"] == pytest.approx(65.0)
    # horizon 15: the second is still in service, half the backlog is resolved and it is not cleared (NaN)
    cut = kpis_of(channels=quiet, initial_backlog=backlog, horizon=15)
    assert cut["backlog_resolved"] == 0.5
    assert math.isnan(cut["backlog_clearance_time"])


# -- self-service -----------------------------------------------------------------------------------------------
SELF_SERVICE = {"share": 1, "fail": 0, "delay": fixed(5)}


def test_a_contained_self_service_contact_never_reaches_an_agent():
    records = simulate(categories=[{"name": "question", "handle_time": fixed(10), "self_service": SELF_SERVICE}])
    assert len(records.tickets) == 0 and len(records.events) == 0
    assert contacts(records) == [
        (0, "question", 0.0, "contained", 0.0, -1, 0.0),
        (1, "question", 1.0, "contained", 1.0, -1, 0.0),
        (2, "question", 2.0, "contained", 2.0, -1, 0.0),
    ]


def test_a_failed_self_service_contact_reaches_the_agent_after_the_delay_with_extra_handle_time():
    # every contact fails after 5 minutes in self-service and needs 3 more minutes of the agent (13 in all);
    # the ticket's wait and arrival start when it reaches the agents' queue
    failing = {"share": 1, "fail": 1, "delay": fixed(5), "extra_handle_time": fixed(3)}
    records = simulate(categories=[{"name": "question", "handle_time": fixed(10), "self_service": failing}])
    assert event_log(records) == [
        (5.0, 0, "arrival", ""),
        (5.0, 0, "picked_up", "desk"),
        (6.0, 1, "arrival", ""),
        (6.0, 1, "queued", "desk"),
        (7.0, 2, "arrival", ""),
        (7.0, 2, "queued", "desk"),
        (18.0, 0, "resolved", "desk"),
        (18.0, 1, "picked_up", "desk"),
        (31.0, 1, "resolved", "desk"),
        (31.0, 2, "picked_up", "desk"),
        (44.0, 2, "resolved", "desk"),
    ]
    assert ticket_rows(records, ["arrival", "wait", "work_time"]) == [
        (0, 5.0, 0.0, 13.0),
        (1, 6.0, 12.0, 13.0),
        (2, 7.0, 24.0, 13.0),
    ]
    assert contacts(records) == [
        (0, "question", 0.0, "to_agent", 5.0, 0, 3.0),
        (1, "question", 1.0, "to_agent", 6.0, 1, 3.0),
        (2, "question", 2.0, "to_agent", 7.0, 2, 3.0),
    ]


def test_self_service_is_offered_only_on_its_channels():
    # an IVR on phone: the chat contact goes straight to the agent
    ivr = {**SELF_SERVICE, "channels": ["phone"]}
    records = simulate(
        channels=[
            {"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}},
            {"name": "chat", "arrival_times": [1], "category_mix": {"question": 1}},
        ],
        categories=[{"name": "question", "handle_time": fixed(10), "self_service": ivr}],
    )
    assert ticket_rows(records, ["channel", "arrival"]) == [(0, "chat", 1.0)]
    assert contacts(records) == [(0, "question", 0.0, "contained", 0.0, -1, 0.0)]


# Three ways in. web: 'faq' contacts at 0, 1, 2, all contained; chat: 'billing' contacts at 10, 20 and 97
# fail after 5 minutes and take 3 minutes extra (the one at 97 is still in self-service at the horizon,
# 100); phone: a 'question' at 30 that has no self-service.
#   contacts 7 (3 faq + 3 billing + 1 question), of which 6 tried self-service: deflection 6/7
#   decided attempts: 3 contained + 2 reached an agent (the third is undecided): containment 3/5
#   extra handle time of the failed ones that reached an agent: 3 and 3
ONE_FAILED_CONTACT = {"share": 1, "fail": 1, "delay": fixed(5), "extra_handle_time": fixed(3)}
"""Self-service fails the contact after 5 minutes, and its first session with an agent takes 3 minutes more."""
TIERS = [{"name": "tier1", "agents": 1}, {"name": "tier2", "agents": 1, "skills": ["billing"]}]
ONE_CALL = {"name": "phone", "arrival_times": [0], "category_mix": {"question": 1}}


def first_session_of_a_failed_contact(**category: object) -> list[tuple]:
    """The event log of one contact that self-service failed, its category ``question`` with ``category``."""
    records = simulate(
        channels=[ONE_CALL],
        categories=[{"name": "question", "self_service": ONE_FAILED_CONTACT, **category}],
        teams=TIERS,
        routing=[{"team": "tier1"}],
        escalation={"handoff": {"triage_time": fixed(2)}},
    )
    return [(time, event, team) for time, _, event, team in event_log(records)]


def test_a_failed_contacts_extra_time_lengthens_a_first_attempt_that_fails():
    # tier 1 never solves it: its failed attempt takes 4 minutes, and 3 more for the customer self-service failed
    log = first_session_of_a_failed_contact(
        handle_time=fixed(10), path=["tier1", "tier2"], resolve_probability={"tier1": 0}, failed_attempt_time=fixed(4)
    )
    assert log[-4:] == [
        (12.0, "escalated", "tier1"),
        (12.0, "handoff", "tier2"),
        (12.0, "picked_up", "tier2"),
        (22.0, "resolved", "tier2"),
    ]


@pytest.mark.parametrize(
    "handle_time", [fixed(10), {"tier2": fixed(10)}], ids=["tier1_has_a_handle_time", "only_tier2_has_one"]
)
def test_a_failed_contacts_extra_time_lengthens_a_triage_and_not_the_work_after_it(handle_time):
    # tier 1 lacks the skill: it triages for 2 minutes, and 3 more for the customer self-service failed
    log = first_session_of_a_failed_contact(skill="billing", handle_time=handle_time)
    assert log[-4:] == [
        (10.0, "escalated", "tier1"),
        (10.0, "handoff", "tier2"),
        (10.0, "picked_up", "tier2"),
        (20.0, "resolved", "tier2"),
    ]


def test_deflection_containment_and_extra_handle_time_kpis():
    kpis = kpis_of(
        channels=[
            {"name": "web", "arrival_times": [0, 1, 2], "category_mix": {"faq": 1}},
            {"name": "chat", "arrival_times": [10, 20, 97], "category_mix": {"billing": 1}},
            {"name": "phone", "arrival_times": [30], "category_mix": {"question": 1}},
        ],
        categories=[
            {"name": "faq", "handle_time": fixed(10), "self_service": SELF_SERVICE},
            {
                "name": "billing",
                "handle_time": fixed(10),
                "self_service": {"share": 1, "fail": 1, "delay": fixed(5), "extra_handle_time": fixed(3)},
            },
            {"name": "question", "handle_time": fixed(10)},
        ],
        teams=[{"name": "desk", "agents": 3}],
    )
    assert kpis["deflection_rate"] == pytest.approx(6 / 7)
    assert kpis["containment_rate"] == pytest.approx(3 / 5)
    assert kpis["self_service_extra_handle_time"] == 3.0
    # the agents saw 3 tickets (billing at 15 and 25, the question at 30), none waited: nothing diluted
    assert (kpis["arrived"], kpis["asa"]) == (3, 0.0)


def test_deflection_lowers_agent_load_on_common_random_numbers():
    """A bot that takes half the contacts and fails a fifth of them: fewer tickets and lower utilisation.

    Expected tickets fall to 1 - 0.5 + 0.5 x 0.2 = 60 % of the contacts; with the same customers in both
    runs (common random numbers), every replication has fewer tickets and a lower utilisation.
    """
    doc = dict(
        horizon=3 * MINUTES_PER_DAY,
        channels=[{"name": "phone", "rate_per_hour": 10, "category_mix": {"question": 1}}],
        categories=[{"name": "question", "handle_time": {"dist": "exponential", "mean": 10}}],
        teams=[{"name": "desk", "agents": 3}],
    )
    bot = {"share": 0.5, "fail": 0.2, "delay": fixed(4), "extra_handle_time": fixed(2)}
    with_bot = {**doc, "categories": [{**doc["categories"][0], "self_service": bot}]}
    plain, deflected = build(**doc), build(**with_bot)
    ratios, drops = [], []
    for r in range(8):
        a = replication_kpis(run_replication(plain, r), plain)
        b = replication_kpis(run_replication(deflected, r), deflected)
        assert b["arrived"] < a["arrived"]
        ratios.append(b["arrived"] / a["arrived"])
        drops.append(a["utilisation.desk"] - b["utilisation.desk"])
        assert b["deflection_rate"] == pytest.approx(0.5, abs=0.1)
        assert b["containment_rate"] == pytest.approx(0.8, abs=0.1)
    assert np.mean(ratios) == pytest.approx(0.6, abs=0.05)
    assert min(drops) > 0


# -- uncertain forecast -------------------------------------------------------------------------------------------
def test_volume_factor_kpi_is_the_mean_of_the_days_factors_drawn_from_the_channel_stream():
    # two days; the factors are gamma(shape 1/cv^2, scale cv^2) draws of stream volume.phone, day 0 first
    cv = 0.25
    channel = {"name": "phone", "rate_per_hour": 2, "category_mix": {"question": 1}, "volume_uncertainty": {"cv": cv}}
    kpis = kpis_of(channels=[channel], horizon=2 * MINUTES_PER_DAY, teams=[{"name": "desk", "agents": 5}])
    shape = 1 / cv**2
    drawn = Streams(1, 0).generator(Stream.VOLUME.of("phone")).gamma(shape, 1 / shape, 2)
    assert kpis["volume_factor"] == pytest.approx(drawn.mean(), rel=1e-12)
    assert kpis["volume_factor.phone"] == pytest.approx(drawn.mean(), rel=1e-12)


RATE_PER_DAY = 120.0
CV = 0.3
REPLICATIONS, DAYS = 60, 20


def daily_counts(cv: float | None) -> np.ndarray:
    """Daily arrival counts, replications x days, of a flat channel of RATE_PER_DAY with the given cv."""
    channel = {"name": "phone", "rate_per_hour": RATE_PER_DAY / 24, "category_mix": {"question": 1}}
    if cv is not None:
        channel["volume_uncertainty"] = {"cv": cv}
    scenario = build(
        horizon=DAYS * MINUTES_PER_DAY,
        channels=[channel],
        categories=[{"name": "question", "handle_time": fixed(0.01)}],
        teams=[{"name": "desk", "agents": 5}],
    )
    rows = []
    for r in range(REPLICATIONS):
        arrival = run_replication(scenario, r, record_events=False).tickets["arrival"].to_numpy()
        rows.append(np.bincount((arrival // MINUTES_PER_DAY).astype(int), minlength=DAYS))
    return np.array(rows)


def gamma_poisson_problems(counts: np.ndarray, mean: float, cv: float) -> list[str]:
    """Why daily counts are not gamma-mixed Poisson with this mean and cv, independent from day to day.

    A Poisson count whose mean is scaled by a gamma factor (shape r = 1/cv^2) is negative binomial:
    variance mean + cv^2 mean^2, excess kurtosis 6/r + r/(mean (r + mean)). Over n = 1,200 days the
    sample mean's standard error is sqrt(variance / n) (0.9 % of the mean, 120, here), the
    sample variance's relative standard error is sqrt((2 + kurtosis) / n) (4.6 %), and the lag-1
    correlation's is 1 / sqrt(n) (0.029). Each check allows 4 standard errors: a correct engine fails
    one with probability about 6e-5 (the seed is fixed, so the test is deterministic).
    """
    n = counts.size
    variance = mean + cv**2 * mean**2
    shape = 1 / cv**2
    kurtosis = 6 / shape + shape / (mean * (shape + mean))  # excess kurtosis of the negative binomial
    problems = []
    if abs(counts.mean() - mean) > 4 * math.sqrt(variance / n):
        problems.append(f"mean {counts.mean():.1f}, expected {mean:.1f}")
    if abs(counts.var(ddof=1) / variance - 1) > 4 * math.sqrt((2 + kurtosis) / n):
        problems.append(f"variance {counts.var(ddof=1):.0f}, expected {variance:.0f}")
    lagged = np.corrcoef(counts[:, :-1].ravel(), counts[:, 1:].ravel())[0, 1]
    if abs(lagged) > 4 / math.sqrt(n):
        problems.append(f"day-to-day correlation {lagged:.3f}, expected 0")
    return problems


def test_daily_counts_are_gamma_mixed_poisson_with_the_stated_coefficient_of_variation():
    counts = daily_counts(CV)
    assert gamma_poisson_problems(counts, RATE_PER_DAY, CV) == []
    # the variance is far from a plain Poisson's: 120 + 0.09 x 120^2 = 1416 against 120
    assert counts.var(ddof=1) > 5 * RATE_PER_DAY


def test_the_dispersion_check_fails_on_a_perturbed_factor(monkeypatch):
    """The check has power: a factor 40 % too variable, or one drawn per replication only, is caught."""
    original = demand_module.daily_factors
    monkeypatch.setattr(demand_module, "daily_factors", lambda rng, cv, days: original(rng, 1.4 * cv, days))
    assert any("variance" in p for p in gamma_poisson_problems(daily_counts(CV), RATE_PER_DAY, CV))
    monkeypatch.setattr(demand_module, "daily_factors", lambda rng, cv, days: original(rng, cv, 1) * days)
    assert any("correlation" in p for p in gamma_poisson_problems(daily_counts(CV), RATE_PER_DAY, CV))


def test_without_uncertainty_daily_counts_are_poisson():
    counts = daily_counts(None)
    dispersion = counts.var(ddof=1) * (counts.size - 1) / counts.mean()
    p = stats.chi2.sf(dispersion, counts.size - 1)
    assert 0.001 < p < 0.999  # index of dispersion test, two-sided
    assert "volume_factor" not in kpis_of()


# -- properties ---------------------------------------------------------------------------------------------------
BUSY = dict(
    horizon=2 * MINUTES_PER_DAY,
    priorities=["P1", "P2"],
    channels=[
        {"name": "phone", "rate_per_hour": 6, "category_mix": {"question": 2, "billing": 1}, "patience": fixed(20)},
        {"name": "email", "rate_per_hour": 3, "category_mix": {"question": 1}},
    ],
    categories=[
        {"name": "question", "handle_time": {"dist": "exponential", "mean": 12}, "priority": {"P1": 1, "P2": 3}},
        {"name": "billing", "handle_time": {"dist": "exponential", "mean": 20}},
    ],
    teams=[{"name": "desk", "agents": 2}],
    sla_policies=[{"name": "all", "first_response": {"target": 60}, "resolution": {"target": 240}}],
)


def test_features_off_keep_the_records_identical():
    """An empty backlog, a self-service share of 0 and no volume uncertainty change nothing at all."""
    base = run_replication(build(**BUSY), 3)
    question = {**BUSY["categories"][0], "self_service": {"share": 0, "fail": 0.5, "delay": fixed(1)}}
    off = run_replication(build(**{**BUSY, "categories": [question, BUSY["categories"][1]], "initial_backlog": []}), 3)
    pd.testing.assert_frame_equal(base.tickets, off.tickets)
    pd.testing.assert_frame_equal(base.events, off.events)
    assert off.self_service is None and off.volume_factors is None


def test_self_service_on_one_channel_and_a_backlog_leave_the_other_channels_arrivals_unchanged():
    """Common random numbers: each feature draws from its own streams, so email contacts arrive as before."""
    base = run_replication(build(**BUSY), 2).tickets
    ivr = {"share": 0.6, "fail": 0.3, "delay": fixed(3), "channels": ["phone"]}
    changed = build(
        **{
            **BUSY,
            "categories": [{**BUSY["categories"][0], "self_service": ivr}, BUSY["categories"][1]],
            "initial_backlog": [
                {"team": "desk", "category": "billing", "count": 4, "age": {"dist": "uniform", "low": 0, "high": 120}}
            ],
        }
    )
    other = run_replication(changed, 2).tickets
    # the channel's streams (arrival times, categories); priorities are drawn per category, so contacts of
    # the same category that self-service took on phone change which priority an email ticket draws
    columns = ["arrival", "category"]

    def email(tickets: pd.DataFrame) -> pd.DataFrame:
        return tickets.loc[tickets["channel"] == "email", columns].sort_values("arrival").reset_index(drop=True)

    pd.testing.assert_frame_equal(email(base), email(other), check_categorical=False)
    assert len(other[other["arrival"] < 0]) == 4  # the backlog, all on phone (the first channel with billing)


@pytest.mark.parametrize("replication", range(4))
def test_every_ticket_and_every_contact_is_accounted_for_with_all_three_features(replication):
    channels = [{**BUSY["channels"][0], "volume_uncertainty": {"cv": 0.5}}, BUSY["channels"][1]]
    bot = {"share": 0.5, "fail": 0.4, "delay": {"dist": "exponential", "mean": 30}, "extra_handle_time": fixed(2)}
    scenario = build(
        **{
            **BUSY,
            "channels": channels,
            "categories": [{**BUSY["categories"][0], "self_service": bot}, BUSY["categories"][1]],
            "initial_backlog": [
                {"team": "desk", "category": "billing", "count": 5, "age": {"dist": "exponential", "mean": 90}}
            ],
        }
    )
    records = run_replication(scenario, replication)
    assert_conserved(records.tickets, records.events)
    table = records.self_service
    to_agent = table[table["outcome"] == "to_agent"]
    assert set(to_agent["ticket"]) <= set(records.tickets["ticket"])
    assert to_agent["ticket"].is_unique and (to_agent["left"] >= to_agent["arrival"]).all()
    assert (table.loc[table["outcome"] != "to_agent", "ticket"] == -1).all()
    assert sorted(table["contact"]) == list(range(len(table)))
    backlog = records.tickets[records.tickets["ticket"] < 5]
    assert (backlog["arrival"] <= 0).all() and (
        records.tickets.loc[records.tickets["ticket"] >= 5, "arrival"] >= 0
    ).all()
    assert records.volume_factors["day"].tolist() == [0, 1]


# -- validation ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"initial_backlog": [{"team": "tier9", "category": "question", "count": 1, "age": fixed(1)}]},
            r"initial_backlog\[0\]\.team: unknown team 'tier9'; allowed: desk",
        ),
        (
            {"initial_backlog": [{"team": "desk", "category": "refund", "count": 1, "age": fixed(1)}]},
            r"initial_backlog\[0\]\.category: unknown category 'refund'; allowed: question",
        ),
        (
            {"initial_backlog": [{"team": "desk", "category": "question", "count": 0, "age": fixed(1)}]},
            r"initial_backlog\[0\]\.count",
        ),
        (
            {"initial_backlog": [{"team": "desk", "category": "question", "count": 1, "age": fixed("400d")}]},
            r"initial_backlog\[0\]\.age: a backlog's mean age is at most a year",
        ),
        (
            {
                "initial_backlog": [
                    {"team": "desk", "category": "question", "count": 1, "age": fixed(1), "priority": "P7"}
                ]
            },
            r"initial_backlog\[0\]\.priority: unknown priority 'P7'",
        ),
        (
            {
                "categories": [
                    {
                        "name": "question",
                        "handle_time": fixed(1),
                        "self_service": {"share": 1.5, "fail": 0, "delay": fixed(1)},
                    }
                ]
            },
            r"categories\[0\]\.self_service\.share",
        ),
        (
            {
                "categories": [
                    {"name": "question", "handle_time": fixed(1), "self_service": {**SELF_SERVICE, "channels": ["fax"]}}
                ]
            },
            r"categories\[0\]\.self_service\.channels\[0\]: unknown channel 'fax'; allowed: phone",
        ),
        (
            {
                "channels": [
                    {
                        "name": "phone",
                        "arrival_times": [1],
                        "category_mix": {"question": 1},
                        "volume_uncertainty": {"cv": 0.2},
                    }
                ]
            },
            r"channels\[0\].*'volume_uncertainty' varies a rate",
        ),
        (
            {
                "channels": [
                    {
                        "name": "phone",
                        "rate_per_hour": 1,
                        "category_mix": {"question": 1},
                        "volume_uncertainty": {"cv": 0},
                    }
                ]
            },
            r"channels\[0\]\.volume_uncertainty\.cv",
        ),
    ],
)
def test_bad_arrival_extras_are_refused_with_the_field_path(fields, message):
    with pytest.raises(ScenarioError, match=message):
        build(**fields)
