"""Nonsense that validated before, and work too large to run, are refused before anything runs.

Each case once passed ``validate`` and then crashed, hung or quietly produced nonsense in ``run``:
infinite numbers, names that are folders, mixes of only zeros, a shift starting at 24:00, a calendar
that is never open, supervisor chains that loop, a team whose shifts have no days, distributions
whose draws are meaningless. Work far beyond the documented limits needs ``--force``.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from conftest import BASELINE, ROOT, build, fixed

from sim.scenario.errors import ScenarioError
from sim.scenario.workload import MAX_TICKETS_PER_REPLICATION, estimate, total_problem

INF = float("inf")
REFUND = {"refund_amount": fixed(50)}

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # id, scenario fields, field path in the message, fragment of the message
    (
        "infinite_rate",
        {"channels": [{"name": "phone", "rate_per_hour": INF, "category_mix": {"question": 1}}]},
        "channels[0].rate_per_hour",
        "must be a finite number",
    ),
    (
        "infinite_profile",
        {
            "channels": [
                {"name": "phone", "rate_per_hour": 1, "hour_of_day": [INF] * 24, "category_mix": {"question": 1}}
            ]
        },
        "channels[0].hour_of_day[0]",
        "must be a finite number",
    ),
    (
        "infinite_weight",
        {"channels": [{"name": "phone", "rate_per_hour": 1, "category_mix": {"question": INF}}]},
        "channels[0].category_mix.question",
        "must be a finite number",
    ),
    ("name_is_a_folder", {"name": ".."}, "name", "'..' cannot be a name: it means a folder"),
    ("name_with_a_separator", {"name": "a/b"}, "name", "names use letters, digits, '_', '.' and '-' only"),
    ("name_too_long", {"name": "x" * 300}, "name", "longer than 64 characters"),
    (
        "priority_mix_of_zeros",
        {"categories": [{"name": "question", "handle_time": fixed(10), "priority": {"P1": 0}}]},
        "categories[0].priority",
        "at least one priority needs a positive weight",
    ),
    (
        "segment_mix_of_zeros",
        {"categories": [{"name": "question", "handle_time": fixed(10), "segment": {"standard": 0}}]},
        "categories[0].segment",
        "at least one segment needs a positive weight",
    ),
    (
        "shift_starting_at_24",
        {"teams": [{"name": "desk", "shifts": [{"start": "24:00", "end": "08:00", "agents": 1}]}]},
        "teams[0].shifts[0].start",
        "a shift starts before 24:00",
    ),
    (
        "shifts_without_days",
        {"teams": [{"name": "desk", "shifts": [{"start": "09:00", "end": "17:00", "agents": 1, "days": []}]}]},
        "teams[0].shifts",
        "a team needs agents on duty on some day",
    ),
    (
        "calendar_never_open",
        {
            "calendars": [{"name": "biz", "days": []}],
            "sla_policies": [{"name": "p", "first_response": {"target": 60, "calendar": "biz"}}],
        },
        "calendars[0]",
        "at least one open day",
    ),
    (
        "own_supervisor",
        {
            "teams": [{"name": "desk", "agents": 1, "supervisor": "desk", "authority": {"refund_amount": 9}}],
            "categories": [{"name": "question", "handle_time": fixed(10), "attributes": REFUND}],
        },
        "teams[0].supervisor",
        "the supervisor chain comes back to 'desk' (desk > desk)",
    ),
    (
        "supervisor_loop",
        {
            "teams": [
                {"name": "desk", "agents": 1, "supervisor": "lead", "authority": {"refund_amount": 9}},
                {"name": "lead", "agents": 1, "supervisor": "desk"},
            ],
            "categories": [{"name": "question", "handle_time": fixed(10), "attributes": REFUND}],
        },
        "teams[1].supervisor",
        "comes back to 'lead' (lead > desk > lead)",
    ),
    (
        "degenerate_lognormal",
        {"categories": [{"name": "question", "handle_time": {"dist": "lognormal", "mean": 1e-300, "sd": 1e300}}]},
        "categories[0].handle_time",
        "must be finite numbers",
    ),
    (
        "wild_lognormal",
        {"categories": [{"name": "question", "handle_time": {"dist": "lognormal", "mean": 1, "sd": 1e4}}]},
        "categories[0].handle_time",
        "more than 1,000 times its mean",
    ),
    (
        "reopen_probability_above_one",
        {
            "categories": [
                {"name": "question", "handle_time": fixed(10), "reopen": {"probability": 7, "delay": fixed(5)}}
            ]
        },
        "categories[0].reopen.probability",
        "must be at most 1, got 7",
    ),
    (
        "negative_reopen_probability",
        {
            "categories": [
                {"name": "question", "handle_time": fixed(10), "reopen": {"probability": -0.5, "delay": fixed(5)}}
            ]
        },
        "categories[0].reopen.probability",
        "must be at least 0, got -0.5",
    ),
    (
        "timeless_failing_attempt",
        {"categories": [{"name": "question", "handle_time": fixed(0), "resolve_probability": {"desk": 0.0}}]},
        "categories[0].handle_time",
        "takes no time, so it could fail again and again at one instant",
    ),
    (
        "timeless_failed_attempt_time",
        {
            "categories": [
                {
                    "name": "question",
                    "handle_time": fixed(5),
                    "failed_attempt_time": fixed(0),
                    "resolve_probability": {"desk": 0.5},
                }
            ]
        },
        "categories[0].failed_attempt_time",
        "fails with probability 0.5 and takes no time",
    ),
    ("section_that_is_a_number", {"escalation": 5}, "escalation", "must be a section of fields"),
]


@pytest.mark.parametrize(("fields", "where", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_nonsense_that_used_to_validate_is_refused_by_its_field(fields, where, fragment):
    with pytest.raises(ScenarioError) as caught:
        build(**fields)
    assert f": {where}: " in str(caught.value) and fragment in str(caught.value), str(caught.value)


def test_the_work_estimate_is_close_to_what_a_replication_really_does():
    scenario = build(channels=[{"name": "phone", "rate_per_hour": 30, "category_mix": {"question": 1}}], horizon="10d")
    assert estimate(scenario).tickets == pytest.approx(30 * 24 * 10)
    assert estimate(scenario).agents == 1


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "run_sim.py", "run", str(BASELINE), "--quiet", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["--set", "channels.phone.rate_per_hour=1e20"], "tickets per replication, above the limit of 5,000,000"),
        (["--set", "horizon=1e9"], "about 611,087,302 tickets per replication"),
        (["--replications", "1000000000"], "tickets in all replications, above the limit of 200,000,000"),
    ],
)
def test_work_far_beyond_the_limits_is_refused_before_simulating_unless_forced(overrides, fragment):
    done = _run(*overrides)
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr and "add --force to run it anyway" in done.stderr
    assert "Traceback" not in done.stderr


def test_optimise_refuses_a_horizon_beyond_the_limits_before_its_pilot_unless_forced():
    command = [sys.executable, "run_sim.py", "optimise", str(BASELINE), "--days", "100000", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "tickets per replication, above the limit of 5,000,000" in done.stderr
    assert "add --force to run it anyway" in done.stderr


def _two_channels(**fields: Any) -> Any:
    channels = [
        {"name": "phone", "rate_per_hour": 30, "category_mix": {"question": 1}},
        {"name": "email", "rate_per_hour": 3e5, "category_mix": {"question": 1}},
    ]
    return build(channels=channels, **fields)


def test_a_refusal_names_the_scenario_and_the_channel_that_brings_most_tickets():
    small, large = build(), _two_channels(horizon="1d")
    problem = total_problem([("ok.yaml", small, 1), ("--variant busy", large, 1)])
    assert problem is not None
    assert problem.startswith("--variant busy: about 7,200,720 tickets per replication, above the limit")
    assert "(channels.email brings about 7,200,000 over a horizon of 24.0h: lower its rate_per_hour" in problem


def test_a_refusal_for_too_many_agents_names_the_team():
    crowded = build(teams=[{"name": "desk", "agents": 200_000}])
    assert total_problem([("big.yaml", crowded, 1)]) == (
        "big.yaml: teams.desk: 200,000 agents on duty at once, above the limit of 100,000"
    )


def test_a_refusal_of_the_total_names_the_run_that_brings_most_of_it():
    small, large = _two_channels(horizon="10m"), _two_channels(horizon="2h")
    problem = total_problem([("a.yaml", small, 100), ("b.yaml", large, 500)])
    assert problem is not None
    assert problem.startswith("about 305,030,500 tickets in all replications, above the limit of 200,000,000")
    assert "(the most from b.yaml: 500 replications of about 600,060 tickets;" in problem
    assert "lower the replications or the horizon" in problem


def test_compare_says_which_variant_is_too_large():
    command = [sys.executable, "run_sim.py", "compare", str(BASELINE), "--variant", "big:horizon=1e9", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: --variant big: about 611,087,302 tickets per replication"), done.stderr


def test_sweep_says_which_point_is_too_large(tmp_path):
    sweep = tmp_path / "huge.yaml"
    sweep.write_text(
        f"name: huge\nbase: {BASELINE}\nreplications: 1\nparameters:\n  channels.phone.rate_per_hour: [30, 1e8]\n"
    )
    command = [sys.executable, "run_sim.py", "sweep", str(sweep), "--out", str(tmp_path), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert f"error: {sweep} point 1: about" in done.stderr, done.stderr
    assert "(channels.phone brings about" in done.stderr


def test_the_limits_let_the_million_ticket_benchmark_through():
    scenario = build(
        channels=[{"name": "phone", "rate_per_hour": 200, "category_mix": {"question": 1}}], horizon="208d"
    )
    assert 900_000 < estimate(scenario).tickets < MAX_TICKETS_PER_REPLICATION
    assert estimate(scenario).problems() == []
