"""Properties that hold for every valid scenario, checked on random small ones (hypothesis).

Each example builds a small scenario (a few channels, categories and teams; shifts or round-the-
clock staffing; optional patience, customer replies, chat concurrency, SLA clocks) and runs one
short replication. Examples are few and runs short so that the module takes seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from conftest import assert_conserved
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.core.units import MINUTES_PER_HOUR
from sim.engine.replication import run_replication
from sim.scenario.loader import validate

SETTINGS = settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PRIORITIES = ["P1", "P2", "P3"]
OFFICE = {"name": "office", "days": ["mon", "tue", "wed", "thu", "fri"], "hours": ["08:00-12:00", "13:00-18:00"]}

minutes = st.floats(0.5, 30.0)


@st.composite
def durations(draw) -> dict:
    """A handle-time, delay or patience distribution with a mean of about 0.5 to 30 minutes."""
    kind = draw(st.sampled_from(["fixed", "exponential", "uniform", "lognormal"]))
    mean = draw(minutes)
    if kind == "fixed":
        return {"dist": "fixed", "value": mean}
    if kind == "exponential":
        return {"dist": "exponential", "mean": mean}
    if kind == "uniform":
        return {"dist": "uniform", "low": mean / 2, "high": mean * 1.5}
    return {"dist": "lognormal", "mean": mean, "sd": mean * draw(st.floats(0.1, 2.0))}


def weights(names: list[str]):
    """A mix over a non-empty subset of ``names`` with positive weights."""
    return st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True).flatmap(
        lambda chosen: st.fixed_dictionaries({name: st.floats(0.1, 5.0) for name in chosen})
    )


@st.composite
def staffing(draw) -> dict:
    if draw(st.booleans()):
        return {"agents": draw(st.integers(1, 4))}
    start, end = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
    return {
        "shifts": [
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "start": f"{start:02d}:00",
                "end": f"{end:02d}:00",
                "agents": draw(st.integers(1, 3)),
            }
        ]
    }


@st.composite
def scenarios(draw) -> dict:
    """A small valid scenario document exercising most of the engine's features."""
    categories = [f"cat{i}" for i in range(draw(st.integers(1, 3)))]
    teams = [f"team{i}" for i in range(draw(st.integers(1, 2)))]
    doc = {
        "name": "random",
        "seed": draw(st.integers(0, 10_000)),
        "horizon": draw(st.floats(60, 720)),
        "priorities": PRIORITIES,
        "calendars": [OFFICE],
        "channels": [
            {
                "name": f"ch{i}",
                "rate_per_hour": draw(st.floats(0.5, 30)),
                "category_mix": draw(weights(categories)),
                "patience": draw(st.none() | durations()),
                "concurrency": draw(st.sampled_from([1, 1, 2, 3])),
            }
            for i in range(draw(st.integers(1, 2)))
        ],
        "categories": [
            {
                "name": name,
                "priority": draw(weights(PRIORITIES)),
                "handle_time": draw(durations()),
                "customer_reply": draw(
                    st.none() | st.fixed_dictionaries({"probability": st.floats(0, 1), "delay": durations()})
                ),
            }
            for name in categories
        ],
        "teams": [{"name": name, **draw(staffing())} for name in teams],
        "routing": [{"category": name, "team": draw(st.sampled_from(teams))} for name in categories],
    }
    if draw(st.booleans()):
        calendar = draw(st.sampled_from(["24x7", "office"]))
        doc["sla_policies"] = [
            {
                "name": "sla",
                "first_response": {"target": draw(minutes), "calendar": calendar},
                "resolution": {"target": draw(st.floats(10, 600)), "calendar": "24x7"},
            }
        ]
    return doc


def run(doc: dict):
    return run_replication(validate(doc, "<hypothesis>"))


@SETTINGS
@given(scenarios())
def test_waits_are_never_negative_and_every_ticket_is_accounted_for(doc):
    records = run(doc)
    waits = records.tickets["wait"].dropna()
    assert (waits >= 0).all()
    assert_conserved(records.tickets, records.events)


@SETTINGS
@given(scenarios())
def test_each_ticket_outcome_agrees_with_its_timestamps(doc):
    records = run(doc)
    t = records.tickets
    horizon = doc["horizon"]
    resolved, abandoned, still_open = (t["outcome"] == o for o in ("resolved", "abandoned", "open"))
    answered = t["answered_at"].notna()
    assert t.loc[resolved, "resolved_at"].notna().all()
    assert (t.loc[resolved, "answered_at"] >= t.loc[resolved, "arrival"]).all()
    assert (t.loc[resolved, "resolved_at"] >= t.loc[resolved, "answered_at"]).all()
    assert np.allclose(t.loc[resolved, "resolution_time"], t.loc[resolved, "resolved_at"] - t.loc[resolved, "arrival"])
    assert (t.loc[resolved, "sessions"] >= 1).all() and (t.loc[resolved, "work_time"] > 0).all()
    # a customer can hang up in any wait: before a first answer (then no session), or a later one
    first_queue = abandoned & (t["abandoned_wait"] == "first_queue")
    later = abandoned & ~first_queue
    assert t.loc[abandoned, "abandoned_at"].notna().all() and t.loc[abandoned, "abandoned_wait"].notna().all()
    assert not answered[first_queue].any() and (t.loc[first_queue, "sessions"] == 0).all()
    assert answered[later].all() and (t.loc[later, "sessions"] >= 1).all()
    assert (t.loc[later, "abandoned_at"] >= t.loc[later, "answered_at"]).all()
    assert t.loc[abandoned, "resolved_at"].isna().all() and t.loc[~abandoned, "abandoned_wait"].isna().all()
    assert np.allclose(t.loc[first_queue, "wait"], t.loc[first_queue, "abandoned_at"] - t.loc[first_queue, "arrival"])
    assert t.loc[still_open, ["resolved_at", "abandoned_at", "resolution_time"]].isna().all().all()
    assert t.loc[~resolved & ~abandoned].index.equals(t.loc[still_open].index)
    assert np.allclose(t.loc[answered, "wait"], t.loc[answered, "answered_at"] - t.loc[answered, "arrival"])
    for column in ("arrival", "answered_at", "resolved_at", "abandoned_at"):
        assert (t[column].dropna() <= horizon).all()
    assert (t["arrival"] < horizon).all()


def waiting_time_in_queues(events: pd.DataFrame, horizon: float) -> float:
    """Total ticket-minutes spent waiting in team queues, from the event log alone.

    A wait starts at a 'queued' event and ends at the ticket's next 'picked_up' or 'abandoned'
    event, or at the horizon.
    """
    marks = events[events["event"].isin(["queued", "picked_up", "abandoned"])]
    marks = marks.sort_values("ticket", kind="stable")  # each ticket's events stay in log order
    ticket, time = marks["ticket"].to_numpy(), marks["time"].to_numpy()
    queued = (marks["event"] == "queued").to_numpy()
    same_ticket_next = np.append(ticket[1:] == ticket[:-1], False)
    ends = np.where(same_ticket_next, np.append(time[1:], horizon), horizon)
    return float(np.sum((ends - time)[queued]))


def area_under(levels: pd.DataFrame, metric: str, horizon: float) -> float:
    """Integral over [0, horizon] of a step series summed over teams."""
    area = 0.0
    for _, series in levels[levels["metric"] == metric].groupby("team", observed=True):
        times = series["time"].to_numpy()
        area += float(np.sum(series["value"].to_numpy() * (np.append(times[1:], horizon) - times)))
    return area


@SETTINGS
@given(scenarios())
def test_queue_level_integrates_to_the_waiting_time_in_the_event_log(doc):
    """Little's law on one sample path: the area under the queue levels is the total time tickets waited."""
    records = run(doc)
    expected = waiting_time_in_queues(records.events, doc["horizon"])
    assert math.isclose(area_under(records.levels, "queue", doc["horizon"]), expected, rel_tol=1e-9, abs_tol=1e-6)


def mean_of(dist: dict) -> float:
    """The mean of a ``durations()`` document."""
    if dist["dist"] == "fixed":
        return dist["value"]
    if dist["dist"] == "uniform":
        return (dist["low"] + dist["high"]) / 2
    return dist["mean"]


@st.composite
def fcfs_scenarios(draw) -> dict:
    """One priority, one team on round-the-clock staffing, no abandonment, no replies, no concurrency.

    The arrival rate is set from a utilisation between 0.5 and 1.2, so that queues form but do not
    all grow without bound.
    """
    categories = [{"name": f"cat{i}", "handle_time": draw(durations())} for i in range(draw(st.integers(1, 2)))]
    agents, channels = draw(st.integers(1, 4)), draw(st.integers(1, 2))
    longest = max(mean_of(c["handle_time"]) for c in categories)
    per_channel = draw(st.floats(0.5, 1.2)) * agents * MINUTES_PER_HOUR / longest / channels
    return {
        "name": "fcfs",
        "seed": draw(st.integers(0, 10_000)),
        "horizon": draw(st.floats(120, 720)),
        "priorities": ["only"],
        "channels": [
            {
                "name": f"ch{i}",
                "rate_per_hour": per_channel,
                "category_mix": draw(weights([c["name"] for c in categories])),
            }
            for i in range(channels)
        ],
        "categories": categories,
        "teams": [{"name": "desk", "agents": agents}],
        "routing": [{"team": "desk"}],
    }


def waited_by_horizon(tickets: pd.DataFrame, horizon: float) -> float:
    """Total wait of all tickets, counting those still waiting up to the horizon."""
    return float(np.minimum(tickets["wait"].fillna(math.inf), horizon - tickets["arrival"]).sum())


@SETTINGS
@given(fcfs_scenarios(), st.integers(1, 3))
def test_more_agents_never_make_any_ticket_wait_longer(doc, extra):
    """FCFS multi-server queues with service times drawn at arrival are monotone on each sample path.

    The engine draws a ticket's first handle time when it arrives, from its own stream, so both
    runs see the same tickets with the same work (common random numbers); with more identical
    servers each ticket then starts no later (Kiefer & Wolfowitz's workload recursion).
    """
    fewer = run(doc).tickets.sort_values("ticket", ignore_index=True)
    more_doc = {**doc, "teams": [{"name": "desk", "agents": doc["teams"][0]["agents"] + extra}]}
    more = run(more_doc).tickets.sort_values("ticket", ignore_index=True)
    assert more["arrival"].equals(fewer["arrival"])
    start_fewer = fewer["answered_at"].fillna(math.inf).to_numpy()
    start_more = more["answered_at"].fillna(math.inf).to_numpy()
    assert (start_more <= start_fewer + 1e-9).all()
    assert waited_by_horizon(more, doc["horizon"]) <= waited_by_horizon(fewer, doc["horizon"]) + 1e-6
