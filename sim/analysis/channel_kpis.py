"""KPIs per channel: service level, ASA and abandonment, intervals meeting the goal, callbacks and retrials.

Also abandonment by the wait the customer gave up in, the live channels and the headline KPIs. The
definitions are in ``sim.analysis.kpis``, which gathers these with the other KPIs of a replication.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.intervals import channel_intervals, intervals_met, level_flags, service_level_flags
from sim.analysis.ticket_columns import CountedTickets, nan_mean
from sim.engine.records import RunRecords
from sim.engine.tickets import Outcome, Wait
from sim.scenario.spec import Scenario


def answering_kpis(tickets: CountedTickets, scenario: Scenario, horizon: float) -> dict[str, float]:
    """Per channel first (the headline KPIs: service level, ASA, abandonment), then pooled figures."""
    # masks over the tickets, not filtered copies of them: the means read the same values in the same order
    wait = tickets.column("wait")
    answered = ~np.isnan(tickets.column("answered_at"))
    abandoned = tickets.equals("outcome", Outcome.ABANDONED)
    arrival = tickets.column("arrival")
    out: dict[str, float] = {}
    for channel in scenario.channels:
        mine = tickets.equals("channel", channel.name)
        if channel.service_level is not None:
            hit, decided = level_flags(answered, wait, abandoned, arrival, channel.service_level.target, horizon)
            out[f"service_level.{channel.name}"] = _level(hit[mine], decided[mine])
        out[f"asa.{channel.name}"] = nan_mean(wait[mine & answered])
        if mine.any():
            out[f"abandonment_rate.{channel.name}"] = float(abandoned[mine].mean())
    live = live_channels(scenario)
    if live:
        out["asa_live"] = nan_mean(wait[answered & tickets.isin("channel", live)])
    out["asa"] = nan_mean(wait[answered])
    out["p_wait"] = float((wait[answered] > 1e-9).mean()) if answered.any() else math.nan
    if len(scenario.segments) > 1:
        for segment in scenario.segments:
            mine = tickets.equals("segment", segment)
            out[f"asa_segment.{segment}"] = nan_mean(wait[mine & answered])
            out[f"abandonment_rate_segment.{segment}"] = float(abandoned[mine].mean()) if mine.any() else math.nan
    return out


def abandonment_kpis(tickets: CountedTickets, scenario: Scenario) -> dict[str, float]:
    """Abandonment split by the wait the customer gave up in, overall and per live channel."""
    first = tickets.equals("abandoned_wait", Wait.FIRST_QUEUE)
    after = tickets.equals("abandoned_wait", Wait.AFTER_TRANSFER)
    transferred = tickets.column("handoffs") > 0
    groups = {"": np.ones(len(tickets), dtype=bool)}
    groups.update({f".{name}": tickets.equals("channel", name) for name in live_channels(scenario)})
    out: dict[str, float] = {}
    for suffix, mine in groups.items():
        out[f"abandonment_rate_first_queue{suffix}"] = _share(first, mine)
        out[f"abandonment_rate_after_transfer{suffix}"] = _share(after, mine & transferred)
    return out


def intervals_met_kpis(records: RunRecords, scenario: Scenario, channels: pd.DataFrame | None) -> dict[str, float]:
    """Per channel with a service goal, the share of its reporting intervals that met it (see ``intervals``)."""
    if channels is None:
        channels = channel_intervals(records.tickets, scenario, records.warmup, records.horizon)
    return intervals_met(channels, scenario)


def journey_kpis(tickets: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """Callback offers, acceptance, reach and wait; recontacts and customers who gave up for good."""
    out: dict[str, float] = {}
    channel = tickets["channel"].astype(object).to_numpy()
    abandoned = (tickets["outcome"] == Outcome.ABANDONED).to_numpy()
    with_callback = [c.name for c in scenario.channels if c.callback is not None]
    if with_callback:
        offered = tickets["callback_offered"].to_numpy() > 0
        accepted = tickets["callback_accepted_at"].notna().to_numpy()
        reached = tickets["callback_reached_at"].notna().to_numpy()
        unreached = (tickets["abandoned_wait"].astype(object) == Wait.CALLBACK_UNREACHED).to_numpy()
        waits = (tickets["callback_reached_at"] - tickets["callback_accepted_at"]).to_numpy()
        groups = {"": np.isin(channel, with_callback)}
        if len(with_callback) > 1:
            groups.update({f".{name}": channel == name for name in with_callback})
        for suffix, mine in groups.items():
            out[f"callback_offer_rate{suffix}"] = _share(offered, mine)
            out[f"callback_accept_rate{suffix}"] = _share(accepted, mine & offered)
            out[f"callback_reach_rate{suffix}"] = _share(reached, mine & (reached | unreached))
            out[f"callback_wait_mean{suffix}"] = (
                float(waits[mine & reached].mean()) if (mine & reached).any() else math.nan
            )
    with_retrial = [c.name for c in scenario.channels if c.retrial is not None]
    if with_retrial:
        mine = np.isin(channel, with_retrial)
        retried = tickets["retried"].to_numpy() > 0
        out["recontact_rate"] = _share(retried, mine & abandoned)
        contacts = tickets[mine]
        last = contacts.sort_values("contact").groupby("customer", sort=False).tail(1)
        gave_up = (last["outcome"] == Outcome.ABANDONED) & (last["retried"] == 0)
        out["gave_up_for_good"] = float(gave_up.mean()) if len(last) else math.nan
    return out


def headline_kpis(scenario: Scenario) -> list[str]:
    """The KPIs a planner reads first: per channel, its service level (if it has a target) and its ASA."""
    names = []
    for channel in scenario.channels:
        if channel.service_level is not None:
            names.append(f"service_level.{channel.name}")
        names.append(f"asa.{channel.name}")
    return names


def precision_kpi(scenario: Scenario) -> str:
    """The default KPI of a precision target: the service level of the first live channel with a target.

    Planners staff a live channel (phone) to a service level, and a share's relative half-width
    stays meaningful where a relative target on an ASA near zero is out of reach. Without such a
    channel: the first channel's service level, else the first live channel's ASA, else the first
    channel's ASA.
    """
    live = set(live_channels(scenario))
    ordered = sorted(scenario.channels, key=lambda c: c.name not in live)  # live channels first, stable
    for channel in ordered:
        if channel.service_level is not None:
            return f"service_level.{channel.name}"
    return f"asa.{ordered[0].name}" if ordered else "asa"


def live_channels(scenario: Scenario) -> list[str]:
    """The live channels: those whose customers wait on the line and may hang up (they have a patience)."""
    return [c.name for c in scenario.channels if c.patience is not None]


def service_level(tickets: pd.DataFrame, target: float, horizon: float) -> float:
    """Share answered within ``target`` among tickets whose outcome at the target is known."""
    return _level(*service_level_flags(tickets, target, horizon))


def _level(hit: np.ndarray, decided: np.ndarray) -> float:
    """Hits over decided tickets (the flags of ``service_level_flags``); NaN if none is decided."""
    return float(hit.sum() / decided.sum()) if decided.any() else math.nan


def _share(flags: np.ndarray, among: np.ndarray) -> float:
    """The share of ``among`` (a mask) whose ``flags`` are set; NaN if ``among`` is empty."""
    return float(flags[among].mean()) if among.any() else math.nan
