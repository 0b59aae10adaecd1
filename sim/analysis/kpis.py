"""KPIs: pure functions from a replication's records to numbers (labelled in ``kpi_catalogue``).

Tallies (each ticket's wait, resolution time) count tickets that arrived after the warm-up;
levels (queue length, busy agents) are time-weighted over [warm-up, horizon). A KPI that has no
data in a replication (no P1 ticket arrived) is NaN there, and the interval uses the
replications that have it. Definitions follow contact-centre practice:

- *ASA* (average speed of answer): mean wait from arrival to first pick-up of answered tickets.
- *Service level* of a channel: tickets answered within its target, over tickets whose fate at
  the target is known (answered, abandoned, or still waiting past the target). Abandoned
  tickets count as misses.
- *Intervals meeting the service goal*: the share of a channel's reporting intervals (15, 30 or
  60 minutes, ``reporting.interval``; tickets by the interval they arrived in) whose service level
  reached the channel's goal, among intervals with a known service level (see
  ``sim.analysis.intervals``).
- *Abandonment rate*: abandoned tickets over arrived tickets, whichever wait the customer gave up
  in. Split: *in the first queue* (before a first answer), over arrived tickets; *after a transfer*
  (in the receiving queue, or on hold during a warm handoff), over tickets handed off at least once.
- *SLA attainment*: clocks met over clocks decided (met, or breached — including tickets
  still open past their due time), by the priority whose targets the ticket was last measured
  against (``final_priority``). An abandoned ticket's clock that had not run out counts as
  missed, so more abandonment never improves attainment; an SLA policy with
  ``abandoned: excluded`` leaves its abandoned tickets out, and ``sla_abandoned_excluded`` says
  how many were left out.
- *Resolution time*: first resolution (arrival to first resolved) and final resolution (arrival
  to last resolved, minus the time the ticket sat resolved before it reopened).
- *Utilisation*: busy agent capacity over agents on duty, both time-weighted. A chat held
  takes 1/concurrency of an agent (one slot); the concurrency slowdown makes each chat hold its
  slot longer, so shared chats show up as higher utilisation, never above 100 %. Per pool: a
  team's own agents (``utilisation.<team>``) and each agent group (``utilisation.<group>``).
- *Cost per resolved ticket*: paid agent-hours × cost per hour, over tickets resolved in the
  window. Paid hours are rota hours plus overtime (an agent finishing a ticket past its shift
  end) at the team's ``overtime_premium``; a staffing sweep prices its points the same way.
  Agent groups' hours are priced at the group's ``cost_per_hour`` and premium.
- *Served by* (with agent groups): per team, the share of its stays that were picked up, whose
  first pick-up was by each pool (``served_by.<team>.<team>``: its own agents;
  ``served_by.<team>.<group>``: a group's), over tickets arriving after the warm-up.
- *Handle time* (scenarios with after-call work): per answered ticket, agent work (talk) and
  after-call work (wrap-up) as separate parts, and their sum (AHT).
- *Shrinkage* (teams with a ``shrinkage`` spec): rostered agent-hours not available to take work,
  by cause (break, lunch, meeting, coaching, absence), over rostered agent-hours; *agents available*
  is agents on duty minus those away. *Occupancy*: busy time (wrap-up included) over time on duty
  and not away; utilisation is over all time on duty. Per-agent figures come from the agents table
  (one row per agent per shift); the lowest and highest per team are KPIs.
- *First-contact resolution*: resolved tickets that the first agent who worked them resolved in
  that session and that never reopened; routing before the first pick-up is not a failure.
- *Callbacks* (channels with ``callback``): offer rate over contacts; accept rate over offers;
  reach rate over callbacks decided (reached, or abandoned as ``callback_unreached``); mean callback
  wait from taking the callback to reaching the customer. A contact waiting for a callback is not
  abandoned; the wait column (speed of answer) runs until the customer is reached.
- *Retrials* (channels with ``retrial``): recontact rate, the share of abandoned contacts followed by
  a new call; gave up for good, the share of customers whose last contact was abandoned and who did
  not call again (customers with a contact in the window).

The per-channel KPIs are computed in ``sim.analysis.channel_kpis`` and SLA attainment in
``sim.analysis.sla_kpis``; ``replication_kpis`` gathers them with the others. Their confidence
intervals across replications are in ``sim.analysis.confidence``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.analysis.channel_kpis import (
    abandonment_kpis,
    answering_kpis,
    intervals_met_kpis,
    journey_kpis,
)
from sim.analysis.intervals import LevelSeries, level_series
from sim.analysis.sla_kpis import sla_kpis
from sim.analysis.ticket_columns import CountedTickets, nan_mean, nan_quantile
from sim.core.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.agent_time import AWAY_CAUSES, Cause
from sim.engine.records import RunRecords
from sim.engine.tickets import Outcome
from sim.scenario.matching import route
from sim.scenario.spec import Scenario, TeamSpec
from sim.scenario.triggers import Kind, TaskKind, escalation_reasons


def replication_kpis(
    records: RunRecords, scenario: Scenario, channels: pd.DataFrame | None = None, steps: LevelSeries | None = None
) -> dict[str, float]:
    """Every KPI of one replication, keyed by name (``asa``, ``service_level.phone`` …).

    ``channels`` is the replication's per-channel interval table and ``steps`` its levels' step
    series (``intervals.level_series``) when the caller has them already; else they are computed here.
    """
    tickets = CountedTickets(records.tickets, counted(records.tickets["arrival"], records.warmup).to_numpy())
    kpis: dict[str, float] = {}
    kpis.update(_volumes(tickets))
    kpis.update(answering_kpis(tickets, scenario, records.horizon))
    if any(c.service_level is not None for c in scenario.channels):
        kpis.update(intervals_met_kpis(records, scenario, channels))
    if any(c.patience is not None for c in scenario.channels):
        kpis.update(abandonment_kpis(tickets, scenario))
    kpis.update(sla_kpis(tickets, scenario))
    kpis.update(_resolution(tickets))
    levels = series_means(level_series(records.levels) if steps is None else steps, records.warmup, records.horizon)
    kpis.update(_levels(records, scenario, levels))
    if scenario.agent_groups:
        kpis.update(_served_by(records, tickets.frame, scenario))
    if any(c.after_call_work is not None for c in scenario.channels):
        kpis.update(_handle_times(tickets.frame, scenario))
    if len(records.agents):
        kpis.update(_agent_time(records, scenario, levels))
    if escalates(scenario):
        kpis.update(_escalation(records, tickets.frame, scenario))
    kpis.update(arrival_extra_kpis(records, tickets, scenario))
    if "customer" in records.tickets.columns:
        kpis.update(journey_kpis(tickets.frame, scenario))
    return kpis


def counted(arrival: pd.Series, warmup: float) -> pd.Series:
    """Which tickets the tallies count: those that entered the simulation after the warm-up.

    A ticket of the starting backlog arrived before time 0 (at minus its age) and enters at 0: it
    counts when there is no warm-up, and its wait includes its age.
    """
    return arrival.clip(lower=0.0) >= warmup


def escalates(s: Scenario) -> bool:
    """Whether the scenario can move a ticket between teams (then escalation KPIs are reported)."""
    e = s.escalation
    skills = {t.name: t.skills for t in s.teams}
    skill_gaps = any(
        c.skill and (team := route(s.routing, ch.name, c.name)) and c.skill not in skills.get(team, [])
        for ch in s.channels
        for c in s.categories
    )
    return bool(
        skill_gaps
        or any(c.path or c.resolve_probability or c.requires or c.regulated or c.reopen for c in s.categories)
        or any(t.authority for t in s.teams)
        or e.segment_rules
        or e.time_rules
        or e.dissatisfaction
    )


def _escalation(records: RunRecords, tickets: pd.DataFrame, s: Scenario) -> dict[str, float]:
    """First-contact resolution, escalation rates, handoffs, rework, routes, reopens, cost by tier."""
    out: dict[str, float] = {}
    n = len(tickets)
    if n == 0:
        return out
    resolved = tickets[tickets["outcome"] == Outcome.RESOLVED]
    # the first agent who worked it resolved it in that one session; routing before the first
    # pick-up (VIP, regulatory, a rule while it waited) is not a failure, any later move is one
    first_contact = (resolved["sessions"] == 1) & (resolved["reopens"] == 0)
    out["fcr"] = float(first_contact.mean()) if len(resolved) else math.nan
    out["escalation_rate"] = float((tickets["escalations"] > 0).mean())
    esc = records.escalations[records.escalations["ticket"].isin(tickets["ticket"])]
    for kind in Kind.all():
        out[f"escalation_kind.{kind}"] = esc.loc[esc["kind"] == kind, "ticket"].nunique() / n
    for reason in escalation_reasons(s.escalation):
        out[f"escalation_reason.{reason}"] = esc.loc[esc["reason"] == reason, "ticket"].nunique() / n
    for category in s.categories:
        mine = tickets[tickets["category"] == category.name]
        if len(mine):
            out[f"escalation_rate_category.{category.name}"] = float((mine["escalations"] > 0).mean())
    out["handoffs_mean"] = float(tickets["handoffs"].mean())
    out["handoffs_3plus"] = float((tickets["handoffs"] >= 3).mean())
    out["rework_per_ticket"] = float(tickets["rework_time"].mean())
    visits = records.visits[records.visits["ticket"].isin(tickets["ticket"])]
    stays = (visits["left"] - visits["entered"]).groupby(visits["team"], observed=True).mean()
    for team in s.teams:
        out[f"time_in_team.{team.name}"] = float(stays.get(team.name, math.nan))
    for path, share in tickets["path"].value_counts(normalize=True).head(8).items():
        out[f"path_share.{path}"] = float(share)
    out["reopen_rate"] = float((resolved["reopens"] > 0).mean()) if len(resolved) else math.nan
    out.update(_cost_by_tier(records, resolved, visits, s))
    tasks = records.tasks[records.tasks["kind"].isin([TaskKind.REVIEW, TaskKind.INTERVENTION])]
    days = (records.horizon - records.warmup) / MINUTES_PER_DAY
    in_window = tasks[tasks["started"] >= records.warmup]
    out["review_hours_per_day"] = float(in_window["work"].sum() / MINUTES_PER_HOUR / days)
    return out


def _cost_by_tier(records: RunRecords, resolved: pd.DataFrame, visits: pd.DataFrame, s: Scenario) -> dict[str, float]:
    """Mean agent cost of a resolved ticket (its own work and tasks on its behalf), by resolving tier."""
    rate = {t.name: t.cost_per_hour / MINUTES_PER_HOUR for t in s.pools}
    if not any(rate.values()) or resolved.empty:
        return {}
    if "served_by" in visits:  # with agent groups: a stay's work at the rate of the pool that picked it up
        pool = visits["served_by"].astype(str)
        visits = visits.assign(team=pool.where(pool != "", visits["team"].astype(str)))
    work = pd.concat([visits[["ticket", "team", "work"]], records.tasks[["ticket", "team", "work"]]])
    work = work[work["ticket"].isin(resolved["ticket"])]
    cost = (work["work"] * work["team"].astype(str).map(rate)).groupby(work["ticket"]).sum()
    tier = resolved.set_index("ticket")["resolving_team"].astype(str).map({t.name: t.tier for t in s.teams})
    by_tier = cost.reindex(tier.index, fill_value=0.0).groupby(tier).mean()
    return {f"cost_per_ticket_tier.{int(k)}": float(v) for k, v in by_tier.items()}


def _volumes(tickets: CountedTickets) -> dict[str, float]:
    arrived = len(tickets)
    out = {"arrived": float(arrived)}
    for outcome in Outcome.all():
        out[outcome] = float(np.count_nonzero(tickets.equals("outcome", outcome)))
    out["abandonment_rate"] = out["abandoned"] / arrived if arrived else math.nan
    return out


def _resolution(tickets: CountedTickets) -> dict[str, float]:
    """Final resolution time of resolved tickets; first resolution time of tickets resolved at least once."""
    out: dict[str, float] = {}
    first = tickets.column("first_resolution_time")
    for name, times in (
        ("resolution_time", tickets.column("resolution_time")[tickets.equals("outcome", Outcome.RESOLVED)]),
        ("first_resolution_time", first[~np.isnan(first)]),
    ):
        out[f"{name}_mean"] = nan_mean(times)
        out[f"{name}_p50"] = nan_quantile(times, 0.5)
        out[f"{name}_p90"] = nan_quantile(times, 0.9)
    return out


def time_averages(levels: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """Time-weighted mean of every (team, metric) step series over [start, end)."""
    rows = [(team, metric, mean) for (team, metric), mean in series_means(level_series(levels), start, end).items()]
    return pd.DataFrame(rows, columns=["team", "metric", "mean"])


def series_means(steps: LevelSeries, start: float, end: float) -> dict[tuple[str, str], float]:
    """The time-weighted mean over [start, end) of each step series, keyed by (team, metric): what the KPIs look up."""
    means = {}
    for key, (times, values) in steps.items():
        lefts = np.clip(times, start, end)
        rights = np.clip(np.append(times[1:], end), start, end)
        means[key] = float(np.sum(values * (rights - lefts)) / (end - start))
    return means


def _levels(records: RunRecords, scenario: Scenario, by: dict[tuple[str, str], float]) -> dict[str, float]:
    out: dict[str, float] = {}
    window_hours = (records.horizon - records.warmup) / MINUTES_PER_HOUR
    cost = 0.0
    for team in scenario.pools:
        if isinstance(team, TeamSpec):
            out[f"queue_length.{team.name}"] = by.get((team.name, "queue"), 0.0)
        if team.agents is None and team.shifts is None:
            continue  # a team that only agent groups serve: its agents' figures are the groups'
        staffed = by.get((team.name, "staffed"), 0.0)
        busy = by.get((team.name, "busy"), 0.0)
        overtime = by.get((team.name, "overtime"), 0.0)
        out[f"utilisation.{team.name}"] = busy / staffed if staffed > 0 else math.nan
        out[f"agents_on_duty.{team.name}"] = staffed
        if team.shifts is not None:
            out[f"overtime_hours.{team.name}"] = overtime * HOURS_PER_WEEK
        # paid hours: rota hours (on duty, not in overtime) plus overtime at the premium
        paid = staffed - overtime + team.overtime_premium * overtime
        cost += paid * window_hours * team.cost_per_hour
    resolved_at = records.tickets["resolved_at"].to_numpy()
    resolved_in_window = int(np.count_nonzero((resolved_at >= records.warmup) & (resolved_at < records.horizon)))
    if any(pool.cost_per_hour > 0 for pool in scenario.pools):
        out["cost_per_resolved"] = cost / resolved_in_window if resolved_in_window else math.nan
    return out


def served_by_details(scenario: Scenario) -> list[str]:
    """``team.pool`` for each team and each pool that may pick its tickets up (its own agents, its groups)."""
    details = []
    for team in scenario.teams:
        if team.agents or team.shifts:
            details.append(f"{team.name}.{team.name}")
        details += [f"{team.name}.{g.name}" for g in scenario.agent_groups if team.name in {q.team for q in g.serves}]
    return details


def _served_by(records: RunRecords, tickets: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """Per team, the share of its picked-up stays (tickets after the warm-up) each pool picked up first."""
    visits = records.visits[records.visits["ticket"].isin(tickets["ticket"])]
    served = visits["served_by"].astype(str)
    teams = visits["team"].astype(str)
    out: dict[str, float] = {}
    for detail in served_by_details(scenario):
        team, _, pool = detail.partition(".")
        mine = served[(teams == team) & (served != "")]
        out[f"served_by.{detail}"] = float((mine == pool).mean()) if len(mine) else math.nan
    return out


def _handle_times(tickets: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    """Work, after-call work and their sum per answered ticket, pooled and per channel."""
    answered = tickets[tickets["answered_at"].notna()]
    out: dict[str, float] = {}
    groups = [("", answered)] + [(f".{c.name}", answered[answered["channel"] == c.name]) for c in scenario.channels]
    for suffix, mine in groups:
        out[f"work_time_mean{suffix}"] = _mean(mine["work_time"])
        out[f"wrap_time_mean{suffix}"] = _mean(mine["wrap_time"])
        out[f"handle_time_mean{suffix}"] = _mean(mine["work_time"] + mine["wrap_time"])
    return out


MIN_AGENT_MINUTES = MINUTES_PER_HOUR
"""An agent's shift counts in the lowest and highest per-agent figures with at least this much time on duty
in the window (a stint cut by the warm-up or the horizon says little)."""


def _agent_time(records: RunRecords, scenario: Scenario, by: dict[tuple[str, str], float]) -> dict[str, float]:
    """Shrinkage by cause, agents available, occupancy and the spread of per-agent figures, from the agents table."""
    agents = records.agents
    away = agents[[f"away_{cause}" for cause in AWAY_CAUSES]].sum(axis=1)
    worked = agents["busy"] + agents["wrap"]
    available = agents["on_duty"] - away
    team = agents["team"].astype(str)
    out: dict[str, float] = {}
    shrinking = [p.name for p in scenario.pools if p.shrinkage is not None]
    if shrinking:
        mine = agents[team.isin(shrinking)]
        rostered = mine["rostered"].sum()
        lost = {cause: mine[f"away_{cause}"].sum() for cause in AWAY_CAUSES} | {Cause.ABSENCE: mine["absence"].sum()}
        out["shrinkage"] = sum(lost.values()) / rostered if rostered > 0 else math.nan
        for cause, minutes in lost.items():
            out[f"shrinkage.{cause}"] = minutes / rostered if rostered > 0 else math.nan
        for name in shrinking:
            here = team == name
            rostered = agents.loc[here, "rostered"].sum()
            missed = away[here].sum() + agents.loc[here, "absence"].sum()
            out[f"shrinkage_team.{name}"] = missed / rostered if rostered > 0 else math.nan
            out[f"agents_available.{name}"] = by.get((name, "staffed"), 0.0) - by.get((name, "away"), 0.0)
    for spec in scenario.pools:
        here = (team == spec.name).to_numpy()
        free = available[here].sum()
        out[f"occupancy.{spec.name}"] = worked[here].sum() / free if free > 0 else math.nan
        long = here & (agents["on_duty"] >= MIN_AGENT_MINUTES).to_numpy()
        utilisation = worked[long] / agents.loc[long, "on_duty"]
        occupancy = (worked[long] / available[long]).where(available[long] > 0)
        for name, values in (("agent_utilisation", utilisation), ("agent_occupancy", occupancy)):
            out[f"{name}_min.{spec.name}"] = float(values.min()) if values.notna().any() else math.nan
            out[f"{name}_max.{spec.name}"] = float(values.max()) if values.notna().any() else math.nan
    return out


def _mean(values: pd.Series) -> float:
    """The mean of a column's values that are not missing (NaN if none): ``nan_mean`` of its array."""
    return nan_mean(values.to_numpy(dtype=float))


def arrival_extra_kpis(records: RunRecords, tickets: CountedTickets, s: Scenario) -> dict[str, float]:
    """Self-service, starting-backlog and uncertain-volume KPIs, for the scenarios that use them."""
    out: dict[str, float] = {}
    backlog = sum(entry.count for entry in s.initial_backlog)
    if records.self_service is not None:
        arrived = tickets.frame
        out.update(_self_service(records.self_service, arrived[arrived["ticket"] >= backlog], records.warmup))
    if backlog:
        out.update(_backlog(records.tickets, backlog))
    if records.volume_factors is not None:
        factors = records.volume_factors
        start = math.floor(records.warmup / MINUTES_PER_DAY)
        factors = factors[factors["day"] >= start]
        out["volume_factor"] = _mean(factors["factor"])
        for channel, mine in factors.groupby("channel", observed=True):
            out[f"volume_factor.{channel}"] = _mean(mine["factor"])
    return out


def _self_service(contacts: pd.DataFrame, tickets: pd.DataFrame, warmup: float) -> dict[str, float]:
    """Deflection over the channels' contacts (attempts, and tickets that skipped self-service); containment.

    A failed attempt and the ticket it became are one contact, counted once, as an attempt. Containment
    is over the attempts whose end is known: a failed one still in self-service at the horizon is left out.
    """
    attempts = contacts[contacts["arrival"] >= warmup]
    outcome = attempts["outcome"].astype(str)
    skipped = int((~tickets["ticket"].isin(contacts["ticket"])).sum())
    total = len(attempts) + skipped
    contained = int((outcome == "contained").sum())
    decided = contained + int((outcome == "to_agent").sum())
    return {
        "deflection_rate": len(attempts) / total if total else math.nan,
        "containment_rate": contained / decided if decided else math.nan,
        "self_service_extra_handle_time": _mean(attempts.loc[outcome == "to_agent", "extra_handle_time"]),
    }


def _backlog(tickets: pd.DataFrame, size: int) -> dict[str, float]:
    """The starting backlog (tickets 0 .. size - 1): the share resolved, and when the last was resolved."""
    backlog = tickets[tickets["ticket"] < size]
    resolved = backlog["outcome"] == Outcome.RESOLVED
    everything = bool(resolved.all()) and len(backlog) > 0
    return {
        "backlog_resolved": float(resolved.mean()) if len(backlog) else math.nan,
        "backlog_clearance_time": float(backlog["resolved_at"].max()) if everything else math.nan,
    }
