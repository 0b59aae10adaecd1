"""Every KPI in the registry pinned to a value worked out by hand on a small fixed scenario.

Each scenario below uses fixed arrival times and fixed handle times, so every wait, stay and level
follows from the scenario alone; each test says in a comment how its expected number is computed.
Time 0 is Monday 00:00. ``EXACT_TESTS`` names, for every KPI base name in ``sim.analysis.kpis.KPIS``,
a test that checks it against such a hand-computed value (here or in another test file), and
``test_every_kpi_in_the_registry_has_an_exact_test`` fails as soon as a KPI is added without one.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from conftest import build, fixed

from sim.analysis.kpi_catalogue import KPIS
from sim.analysis.kpis import replication_kpis
from sim.engine.replication import run_replication


def kpis_of(**fields: object) -> dict[str, float]:
    """Every KPI of replication 0 of ``build(**fields)``."""
    scenario = build(**fields)
    return replication_kpis(run_replication(scenario), scenario)


# -- one queue: answering, service level, abandonment, segments, levels, cost ---------------------------------
# One agent ($60 an hour) answers three channels from one first-come-first-served queue, every ticket
# taking 10 minutes. Phone and gold callers hang up after 12 minutes in the queue; email never does.
# Gold-line tickets are of the gold segment. Service-level targets: phone and gold 5 minutes, email 15.
#
#   ticket  channel  arrives  what happens                                    wait
#   0       phone        0    answered at once, resolved at 10                  0
#   1       gold         1    answered at 10, resolved at 20                    9
#   2       phone        2    hangs up at 14 (12 minutes of patience)           -
#   3       email        3    answered at 20, resolved at 30                   17
#   4       gold        35    answered at once, resolved at 45                  0
#   5       phone       50    answered at once, still in service at 58          0
#   6       phone       51    still waiting at the horizon (58): 7 minutes      -
#   7       phone       56    still waiting at the horizon: 2 minutes           -
ONE_QUEUE = dict(
    horizon=58,
    segments=["standard", "gold"],
    channels=[
        {
            "name": "phone",
            "arrival_times": [0, 2, 50, 51, 56],
            "category_mix": {"question": 1},
            "patience": fixed(12),
            "service_level": {"target": 5},
        },
        {
            "name": "gold",
            "arrival_times": [1, 35],
            "category_mix": {"gold_question": 1},
            "patience": fixed(12),
            "service_level": {"target": 5},
        },
        {"name": "email", "arrival_times": [3], "category_mix": {"question": 1}, "service_level": {"target": 15}},
    ],
    categories=[
        {"name": "question", "handle_time": fixed(10)},
        {"name": "gold_question", "handle_time": fixed(10), "segment": {"gold": 1}},
    ],
    teams=[{"name": "desk", "agents": 1, "cost_per_hour": 60}],
)


@pytest.fixture(scope="module")
def one_queue() -> dict[str, float]:
    return kpis_of(**ONE_QUEUE)


def test_volumes_count_arrived_resolved_abandoned_and_open_tickets(one_queue):
    # arrived 0-7; resolved 0, 1, 3, 4; abandoned 2; open 5 (in service), 6 and 7 (waiting)
    assert [one_queue[k] for k in ("arrived", "resolved", "abandoned", "open")] == [8, 4, 1, 3]


def test_asa_and_p_wait_are_over_answered_tickets_only(one_queue):
    # answered: 0, 1, 3, 4, 5 with waits 0, 9, 17, 0, 0; the abandoned and still-waiting ones are left out
    assert one_queue["asa"] == pytest.approx((0 + 9 + 17 + 0 + 0) / 5)
    assert one_queue["p_wait"] == pytest.approx(2 / 5)  # 1 and 3 waited
    # by channel: phone 0 and 5; gold 1 and 4; email 3
    assert [one_queue[f"asa.{c}"] for c in ("phone", "gold", "email")] == pytest.approx([0, 9 / 2, 17])


def test_service_level_counts_abandoned_and_still_waiting_tickets_past_the_target_as_misses(one_queue):
    # phone (target 5): 0 and 5 answered at once (hits); 2 abandoned (a miss); 6 still waiting after
    # 7 > 5 minutes (a miss); 7 has waited 2 < 5 minutes, its fate at the target unknown (left out):
    # 2 hits of 4 decided. Counting over arrivals would give 2/5, over answered tickets 2/2.
    assert one_queue["service_level.phone"] == pytest.approx(2 / 4)
    # gold: 1 answered after 9 minutes (a miss), 4 at once (a hit); email (target 15): 3 after 17 (a miss)
    assert one_queue["service_level.gold"] == pytest.approx(1 / 2)
    assert one_queue["service_level.email"] == 0.0


def test_abandonment_rate_overall_and_per_channel_is_over_arrived_tickets(one_queue):
    # one abandonment (2, phone) among 8 arrivals; per channel: phone 1 of its 5, gold 0 of 2, email 0 of 1
    assert one_queue["abandonment_rate"] == pytest.approx(1 / 8)
    assert [one_queue[f"abandonment_rate.{c}"] for c in ("phone", "gold", "email")] == pytest.approx([1 / 5, 0, 0])
    # ticket 2 hung up in its first queue; nobody was transferred, so the after-transfer share has no data
    assert one_queue["abandonment_rate_first_queue"] == pytest.approx(1 / 8)
    assert one_queue["abandonment_rate_first_queue.phone"] == pytest.approx(1 / 5)
    assert one_queue["abandonment_rate_first_queue.gold"] == 0.0
    assert one_queue["abandonment_rate_after_transfer"] != one_queue["abandonment_rate_after_transfer"]  # NaN
    assert "abandonment_rate_first_queue.email" not in one_queue  # email customers never abandon


def test_asa_and_abandonment_by_segment(one_queue):
    # standard: 0, 2, 3, 5, 6, 7; answered 0 (wait 0), 3 (17), 5 (0); abandoned 2
    # gold: 1 (wait 9) and 4 (wait 0), neither abandoned
    assert one_queue["asa_segment.standard"] == pytest.approx(17 / 3)
    assert one_queue["asa_segment.gold"] == pytest.approx(9 / 2)
    assert one_queue["abandonment_rate_segment.standard"] == pytest.approx(1 / 6)
    assert one_queue["abandonment_rate_segment.gold"] == 0.0


def test_utilisation_and_queue_length_are_time_weighted_over_the_window(one_queue):
    # busy 0-30, 35-45 and 50-58: 48 of 58 minutes, with one agent on duty throughout
    assert one_queue["utilisation.desk"] == pytest.approx(48 / 58)
    # in the queue: 1 for 1-10 (9 min), 2 for 2-14 (12), 3 for 3-20 (17), 6 for 51-58 (7), 7 for 56-58 (2)
    assert one_queue["queue_length.desk"] == pytest.approx((9 + 12 + 17 + 7 + 2) / 58)
    assert one_queue["agents_on_duty.desk"] == 1.0


def test_cost_per_resolved_is_paid_agent_hours_over_tickets_resolved_in_the_window(one_queue):
    # one agent for 58 minutes at $60 an hour is $58, over the 4 tickets resolved (0, 1, 3, 4)
    assert one_queue["cost_per_resolved"] == pytest.approx(58 / 4)


# -- resolution times --------------------------------------------------------------------------------------
# Four agents, so nobody waits. 'flaky' tickets take 10 minutes, come back 20 minutes after their
# first resolution (once) and take 10 minutes again.
#
#   ticket  category  arrives  what happens                                   first   final
#   0       short         0    resolved at 10                                    10      10
#   1       long          0    resolved at 40                                    40      40
#   2       flaky         0    resolved at 10, reopened at 30, resolved at 40    10      40 - 20 closed = 20
#   3       short         5    resolved at 15                                    10      10
#   4       flaky        20    resolved at 30, reopened at 50, open at 58        10      - (open)
#   5       long         50    open at 58                                         -      -
def test_resolution_time_percentiles_leave_out_time_closed_and_first_resolution_counts_reopened_tickets():
    kpis = kpis_of(
        horizon=58,
        channels=[
            {"name": "a", "arrival_times": [0, 5], "category_mix": {"short": 1}},
            {"name": "b", "arrival_times": [0, 50], "category_mix": {"long": 1}},
            {"name": "c", "arrival_times": [0, 20], "category_mix": {"flaky": 1}},
        ],
        categories=[
            {"name": "short", "handle_time": fixed(10)},
            {"name": "long", "handle_time": fixed(40)},
            {
                "name": "flaky",
                "handle_time": fixed(10),
                "reopen": {"probability": 1, "delay": fixed(20), "max": 1},
            },
        ],
        teams=[{"name": "desk", "agents": 4}],
    )
    # final resolution time of the resolved tickets 0-3: 10, 40, 20, 10 -> sorted 10, 10, 20, 40;
    # percentiles interpolate linearly between order statistics (pandas' default): the median is
    # halfway between 10 and 20; the 90th percentile sits at rank 0.9 x 3 = 2.7, 0.7 of the way from 20 to 40
    assert kpis["resolution_time_mean"] == pytest.approx(80 / 4)
    assert kpis["resolution_time_p50"] == pytest.approx(15.0)
    assert kpis["resolution_time_p90"] == pytest.approx(20 + 0.7 * 20)
    # first resolution of every ticket resolved at least once, 4 included though open again:
    # 10, 40, 10, 10, 10 -> sorted 10, 10, 10, 10, 40; the 90th percentile at rank 3.6: 10 + 0.6 x 30
    assert kpis["first_resolution_time_mean"] == pytest.approx(80 / 5)
    assert kpis["first_resolution_time_p50"] == pytest.approx(10.0)
    assert kpis["first_resolution_time_p90"] == pytest.approx(10 + 0.6 * 30)


# -- first-response attainment by priority ----------------------------------------------------------------
# One agent, 10 minutes a ticket, P1 before P2. Hotline tickets are P1 with a 15-minute first-response
# target, web tickets P2 with 5 minutes.
#
#   ticket  channel  priority  arrives  answered  wait  first response
#   0       web      P2            0        0      0    met
#   1       hotline  P1            1       10      9    met (due 16)
#   2       web      P2            2       30     28    missed (due 7)
#   3       hotline  P1            3       20     17    missed (due 18)
#   4       hotline  P1           45       45      0    met
#   5       web      P2           49        -      -    undecided: due 54, after the horizon (52)
def test_first_response_attainment_per_priority_counts_decided_clocks_only():
    kpis = kpis_of(
        horizon=52,
        channels=[
            {"name": "web", "arrival_times": [0, 2, 49], "category_mix": {"routine": 1}},
            {"name": "hotline", "arrival_times": [1, 3, 45], "category_mix": {"outage": 1}},
        ],
        categories=[
            {"name": "routine", "priority": {"P2": 1}, "handle_time": fixed(10)},
            {"name": "outage", "priority": {"P1": 1}, "handle_time": fixed(10)},
        ],
        sla_policies=[
            {"name": "urgent", "match": {"priority": ["P1"]}, "first_response": {"target": 15}},
            {"name": "normal", "first_response": {"target": 5}},
        ],
    )
    # P1: 1 and 4 met, 3 missed -> 2/3; P2: 0 met, 2 missed, 5 not decided -> 1/2; overall 3 of 5
    assert kpis["first_response_attainment.P1"] == pytest.approx(2 / 3)
    assert kpis["first_response_attainment.P2"] == pytest.approx(1 / 2)
    assert kpis["first_response_attainment"] == pytest.approx(3 / 5)
    assert "resolution_attainment" not in kpis  # no policy runs a resolution clock


# -- agents on duty --------------------------------------------------------------------------------------------
def test_agents_on_duty_is_the_time_weighted_mean_of_agents_on_shift_after_the_warm_up():
    kpis = kpis_of(
        horizon=120,
        warmup=30,
        channels=[{"name": "phone", "arrival_times": [100], "category_mix": {"question": 1}}],
        teams=[
            {
                "name": "desk",
                "shifts": [
                    {"days": ["mon"], "start": "00:00", "end": "01:00", "agents": 2},
                    {"days": ["mon"], "start": "00:30", "end": "01:30", "agents": 1},
                ],
            },
            {"name": "night", "agents": 3},
        ],
        routing=[{"team": "night"}],
    )
    # desk: 2 agents 0-60 and 1 agent 30-90; over the window 30-120: 3 x 30 + 1 x 30 + 0 x 30 = 120 agent-minutes
    assert kpis["agents_on_duty.desk"] == pytest.approx(120 / 90)
    assert kpis["agents_on_duty.night"] == 3.0
    # the night team worked ticket 0 (100-110): 10 busy minutes of 3 x 90 agent-minutes on duty
    assert kpis["utilisation.night"] == pytest.approx(10 / 270)


# -- warm-up ----------------------------------------------------------------------------------------------
# One agent ($60 an hour), 10 minutes a ticket, warm-up 30, horizon 60.
#
#   ticket  arrives  answered  resolved  wait   in the KPIs?
#   0           0        0        10       0    no (arrived in the warm-up)
#   1           5       10        20       5    no
#   2          28       28        38       0    no, but it holds the agent until 38
#   3          35       38        48       3    yes
#   4          40       48        58       8    yes
def test_warm_up_tickets_are_simulated_but_left_out_of_the_kpis():
    kpis = kpis_of(
        horizon=60,
        warmup=30,
        channels=[{"name": "phone", "arrival_times": [0, 5, 28, 35, 40], "category_mix": {"question": 1}}],
        teams=[{"name": "desk", "agents": 1, "cost_per_hour": 60}],
    )
    assert (kpis["arrived"], kpis["resolved"]) == (2, 2)
    # 3 and 4 waited 3 and 8 minutes behind ticket 2 (a warm-up ticket, simulated): without it, 0 and 5
    assert kpis["asa"] == pytest.approx((3 + 8) / 2)
    assert kpis["resolution_time_mean"] == pytest.approx((13 + 18) / 2)
    # levels over 30-60 only: busy 30-58 (28 min); queue 3 for 35-38, 4 for 40-48
    assert kpis["utilisation.desk"] == pytest.approx(28 / 30)
    assert kpis["queue_length.desk"] == pytest.approx((3 + 8) / 30)
    # paid: half an hour at $60 = $30, over the tickets resolved in 30-60: 2 (at 38, arrived in the
    # warm-up), 3 and 4
    assert kpis["cost_per_resolved"] == pytest.approx(30 / 3)


# -- every KPI of the registry has an exact test ------------------------------------------------------------
EXACT_TESTS = {
    "arrived": "test_volumes_count_arrived_resolved_abandoned_and_open_tickets",
    "resolved": "test_volumes_count_arrived_resolved_abandoned_and_open_tickets",
    "abandoned": "test_volumes_count_arrived_resolved_abandoned_and_open_tickets",
    "open": "test_volumes_count_arrived_resolved_abandoned_and_open_tickets",
    "asa": "test_asa_and_p_wait_are_over_answered_tickets_only",
    "asa_live": "test_planner_tables::test_headline_kpis_are_per_channel_and_the_live_asa_leaves_email_out",
    "service_level": "test_service_level_counts_abandoned_and_still_waiting_tickets_past_the_target_as_misses",
    "intervals_met": (
        "test_interval_kpis::test_share_of_intervals_meeting_the_goal_leaves_intervals_without_arrivals_out"
    ),
    "asa_segment": "test_asa_and_abandonment_by_segment",
    "abandonment_rate_segment": "test_asa_and_abandonment_by_segment",
    "abandonment_rate": "test_abandonment_rate_overall_and_per_channel_is_over_arrived_tickets",
    "abandonment_rate_first_queue": "test_abandonment_rate_overall_and_per_channel_is_over_arrived_tickets",
    "abandonment_rate_after_transfer": (
        "test_fidelity_customers::test_abandonment_kpis_split_the_first_queue_from_waits_after_a_transfer"
    ),
    "p_wait": "test_asa_and_p_wait_are_over_answered_tickets_only",
    "first_response_attainment": "test_first_response_attainment_per_priority_counts_decided_clocks_only",
    "resolution_attainment": (
        "test_fidelity_sla::test_attainment_by_priority_counts_a_raised_ticket_under_the_priority_it_was_measured_against"
    ),
    "sla_abandoned_excluded": (
        "test_fidelity_sla::test_abandoned_tickets_can_be_left_out_of_sla_attainment_with_a_note_saying_so"
    ),
    **dict.fromkeys(
        [f"{name}_{stat}" for name in ("first_resolution_time", "resolution_time") for stat in ("mean", "p50", "p90")],
        "test_resolution_time_percentiles_leave_out_time_closed_and_first_resolution_counts_reopened_tickets",
    ),
    "utilisation": "test_utilisation_and_queue_length_are_time_weighted_over_the_window",
    "queue_length": "test_utilisation_and_queue_length_are_time_weighted_over_the_window",
    "agents_on_duty": "test_agents_on_duty_is_the_time_weighted_mean_of_agents_on_shift_after_the_warm_up",
    "cost_per_resolved": "test_cost_per_resolved_is_paid_agent_hours_over_tickets_resolved_in_the_window",
    "overtime_hours": "test_fidelity_channels::test_agent_finishing_past_shift_end_is_paid_overtime_at_the_premium",
    "fcr": (
        "test_escalation_kpis::test_first_contact_resolution_counts_tickets_the_first_agent_resolved_in_its_one_session"
    ),
    "escalation_rate": "test_escalation_kpis::test_escalation_rate_counts_every_ticket_escalated_at_least_once",
    "escalation_kind": "test_escalation_kpis::test_escalation_rate_by_kind",
    "escalation_reason": "test_escalation_kpis::test_escalation_rate_by_reason",
    "escalation_rate_category": "test_escalation_kpis::test_escalation_rate_by_category",
    "handoffs_mean": "test_escalation_kpis::test_handoffs_per_ticket_and_share_with_three_or_more",
    "handoffs_3plus": "test_escalation_kpis::test_handoffs_per_ticket_and_share_with_three_or_more",
    "rework_per_ticket": (
        "test_escalation_kpis::test_rework_per_ticket_is_the_lost_context_time_spread_over_all_tickets"
    ),
    "time_in_team": "test_escalation_kpis::test_time_in_team_is_the_mean_stay_per_visit",
    "path_share": "test_escalation_kpis::test_path_shares_are_the_frequencies_of_the_routes_through_teams",
    "reopen_rate": "test_escalation_kpis::test_reopen_rate_is_the_share_of_resolved_tickets_that_reopened",
    "cost_per_ticket_tier": (
        "test_escalation_kpis::test_cost_per_ticket_by_resolving_tier_includes_tasks_on_the_ticket_behalf"
    ),
    "review_hours_per_day": (
        "test_escalation_kpis::test_review_hours_per_day_is_supervisor_review_time_over_the_days_simulated"
    ),
    "served_by": "test_agent_groups::test_served_by_is_each_pools_share_of_a_teams_picked_up_stays",
    **dict.fromkeys(
        ["deflection_rate", "containment_rate", "self_service_extra_handle_time"],
        "test_arrival_extras::test_deflection_containment_and_extra_handle_time_kpis",
    ),
    **dict.fromkeys(
        ["backlog_resolved", "backlog_clearance_time"],
        "test_arrival_extras::test_backlog_kpis_share_resolved_and_time_to_resolve_the_whole_backlog",
    ),
    "volume_factor": (
        "test_arrival_extras::test_volume_factor_kpi_is_the_mean_of_the_days_factors_drawn_from_the_channel_stream"
    ),
    **dict.fromkeys(
        ["callback_offer_rate", "callback_accept_rate", "callback_reach_rate", "callback_wait_mean"],
        "test_callbacks_retrials::test_callback_kpis_count_offers_acceptance_reach_and_the_wait_until_reached",
    ),
    **dict.fromkeys(
        ["recontact_rate", "gave_up_for_good"],
        "test_callbacks_retrials::test_recontact_rate_and_customers_who_gave_up_for_good",
    ),
    **dict.fromkeys(
        ["work_time_mean", "wrap_time_mean", "handle_time_mean"],
        "test_agent_time::test_wrap_up_counts_in_utilisation_and_as_its_own_part_of_handle_time",
    ),
    **dict.fromkeys(
        [
            "occupancy",
            "agents_available",
            "shrinkage",
            "shrinkage_team",
            "agent_utilisation_min",
            "agent_utilisation_max",
            "agent_occupancy_min",
            "agent_occupancy_max",
        ],
        "test_agent_time::test_shrinkage_kpis_split_rostered_hours_by_cause",
    ),
}
"""KPI base name -> the test that checks it against a hand-computed value ('module::test' outside this file)."""


def exact_test(reference: str):
    """The test function a reference names: ``test_x`` in this module, or ``module::test_x``."""
    module_name, _, function = reference.rpartition("::")
    module = importlib.import_module(module_name) if module_name else importlib.import_module(__name__)
    return getattr(module, function, None)


def test_every_kpi_in_the_registry_has_an_exact_test():
    assert sorted(set(KPIS) - set(EXACT_TESTS)) == [], "add an exact test for each new KPI and list it in EXACT_TESTS"
    assert sorted(set(EXACT_TESTS) - set(KPIS)) == []
    for kpi, reference in EXACT_TESTS.items():
        function = exact_test(reference)
        assert callable(function), f"{kpi}: {reference} does not exist"
        # the test must read this KPI by name (a longer name containing it, such as first_resolution_time_p50
        # for resolution_time_p50, does not count)
        assert re.search(rf"(?<![\w]){kpi}(?![\w])", inspect.getsource(function)), f"{reference} never reads {kpi}"
