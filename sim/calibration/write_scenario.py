"""The calibrated scenario: every fit written as scenario YAML, each number with its n and source column.

``calibrated_scenario(calibration, base)`` builds the document as commented YAML text (the
``calibrate`` command checks it loads and writes it atomically). What an export cannot show (rosters,
costs, SLA policies, business calendars, concurrency, service-level targets, handoff mode) comes from
a **base** scenario when one is given; otherwise teams get a roster estimated from the work the
export shows (``staffing_estimate``) and the rest keeps the schema's defaults, all said in the header.

The export shows where tickets went, not why, so the calibrated scenario models every escalation as
its category's path with a resolve probability per team (``fit_paths``). What would count the same
escalations or the same work twice is therefore left out of a base, and listed:

- authority limits and supervisors, time rules, segment rules and other escalation rules (their
  escalations are in the fitted resolve probabilities);
- team handle-time multipliers, repeated attempts (``max_attempts``) and failed-attempt times (the
  fitted handle time is the work of a whole stay at a team, whatever happened in it);
- rework after incomplete handoffs, work after a customer's reply and the slowdown of concurrent
  chats (all are inside the stay's measured work).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.calibrate import Calibration
from sim.calibration.fit_arrivals import ArrivalFit
from sim.calibration.fit_durations import DurationFit
from sim.calibration.fit_mix import MixFit
from sim.calibration.fit_patience import PatienceFit
from sim.calibration.fit_reopen import ReopenFit
from sim.calibration.staffing_estimate import OCCUPANCY, estimate_shifts
from sim.calibration.stays import naive_utc
from sim.calibration.yaml_text import Noted, dump
from sim.core.version import __version__
from sim.scenario.demand_extras import MAX_VOLUME_CV
from sim.scenario.spec import Scenario

CRITERION = (
    "durations: lognormal or gamma by AIC, kept when Kolmogorov-Smirnov passes at 1 % (distance held at "
    "its n = 2000 value); empirical below 30 values or when both fail"
)
"""How each duration's family was chosen, quoted in the header (see ``fit_durations``)."""
NOT_FITTED_HANDLE = {"dist": "exponential", "mean": 10.0}
"""Placeholder handle time written, and flagged, when neither the export nor a base has one."""
DISPERSED = 1.2
"""Daily counts this many times as variable as Poisson (or more) get a ``volume_uncertainty``."""
CHANNEL_KEEP = (
    "concurrency",
    "concurrency_slowdown",
    "service_level",
    "patience_after_transfer",
    "callback",
    "retrial",
    "after_call_work",
)
"""Channel settings an export cannot show, kept from the base."""
TEAM_DROP = ("handle_time_multiplier", "max_attempts", "authority", "supervisor", "authority_mode", "approval_time")
"""Team settings a calibrated scenario leaves out of the base (they would count escalations or work twice)."""
ESCALATION_DROP = ("segment_rules", "time_rules", "dissatisfaction", "ownership", "learning", "compliance_team")
"""Escalation rules left out of the base: the fitted paths already hold their escalations."""


def readable(minutes: float) -> str | float:
    """A duration in whole days or hours as ``8d`` or ``6h``; other durations stay minutes."""
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{int(minutes // size)}{unit}"
    return minutes


def _count(n: int) -> str:
    return f"n={n:,}"


def duration(document: dict[str, Any]) -> dict[str, Any]:
    """A fitted distribution as the scenario writes it: gamma as mean and sd, times in minutes."""
    if document.get("dist") == "gamma" and "shape" in document:
        shape, scale = document["shape"], document["scale"]
        return {"dist": "gamma", "mean": shape * scale, "sd": math.sqrt(shape) * scale}
    return dict(document)


def fitted(fit: DurationFit, what: str = "minutes") -> Noted:
    """A fitted duration with its family, n, mean ± se and source."""
    family = fit.family or "?"
    se = f" ± {fit.mean_se:.2g}" if math.isfinite(fit.mean_se) else ""
    note = f"{family}, {_count(fit.n)}, mean {fit.mean:.3g}{se} {what} ({fit.source})"
    return Noted(duration(fit.document or {}), note)


def _mix(fit: MixFit) -> Noted:
    return Noted(fit.weights, f"{_count(fit.n)} ({fit.source})")


@dataclass
class _Log:
    """What the header lists: values taken from the base, estimates, what could not be fitted, what was dropped."""

    base: list[str] = field(default_factory=list)
    estimated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _channel(fit: ArrivalFit, cal: Calibration, base: dict | None, log: _Log) -> dict:
    """One channel: rate and profiles, mix, patience; settings an export lacks from the base."""
    doc: dict[str, Any] = {"name": fit.channel}
    if fit.reason:
        hours = cal.weeks * 7 * 24
        doc["rate_per_hour"] = Noted(fit.n / hours, f"{_count(fit.n)} over {hours:.0f} h, no profile: {fit.reason}")
        log.missing.append(f"channel {fit.channel}: hour and day profiles ({fit.reason})")
    else:
        src = f"{fit.source}, Poisson fit over {fit.hours:,.0f} h"
        doc["rate_per_hour"] = Noted(fit.rate_per_hour, f"{_count(fit.n)}, se {fit.rate_se:.2g} ({src})")
        doc["hour_of_day"] = Noted(fit.hour_of_day, "multipliers of the rate, 00:00 first")
        doc["day_of_week"] = Noted(fit.day_of_week, f"dispersion {fit.dispersion:.2f} (1 = Poisson)")
        doc.update(_volume_uncertainty(fit))
    mix = cal.mixes.category_by_channel.get(fit.channel)
    if mix is not None and not mix.reason:
        doc["category_mix"] = _mix(mix)
    patience = cal.patience.get(fit.channel)
    if patience is not None:
        doc.update(_patience(patience, log))
    for key in CHANNEL_KEEP:
        if base and key in base:
            doc[key] = Noted(base[key], "from the base")
    if base and base.get("concurrency", 1) > 1:
        doc["concurrency_slowdown"] = Noted(0, "the measured handle times already include it")
        log.dropped.append(f"channel {fit.channel}: concurrency_slowdown (inside the measured handle times)")
    return doc


def _volume_uncertainty(fit: ArrivalFit) -> dict:
    """Day-to-day variation beyond Poisson as a gamma factor: variance = mean + cv² × mean² per day."""
    if not fit.dispersion > DISPERSED:
        return {}
    per_day = fit.n / (fit.hours / 24.0)
    cv = min(math.sqrt((fit.dispersion - 1.0) / per_day), MAX_VOLUME_CV)
    note = f"daily counts vary {fit.dispersion:.2f} times as much as Poisson around the profile ({per_day:,.0f} a day)"
    return {"volume_uncertainty": Noted({"cv": cv}, note)}


def _patience(fit: PatienceFit, log: _Log) -> dict:
    if fit.reason or fit.document is None:
        log.missing.append(f"channel {fit.channel}: patience ({fit.reason})")
        return {}
    note = (
        f"{fit.family} by Kaplan-Meier with censoring: {_count(fit.n)}, {fit.abandoned:,} abandoned, mean "
        f"{fit.mean:.3g} ± {fit.mean_se:.2g} minutes; the abandoners' own mean wait ({fit.naive_mean:.3g}) "
        f"is biased low ({fit.source})"
    )
    log.missing += [f"channel {fit.channel} patience: {n}" for n in fit.notes if "gave up after" not in n]
    return {"patience": Noted(duration(fit.document), note)}


def _handle_times(category: str, cal: Calibration, base: dict | None, log: _Log) -> Noted | dict:
    fits = {team: fit for (c, team), fit in cal.handle.fits.items() if c == category and fit.document}
    if fits:
        times: dict[str, Any] = {team: fitted(fit) for team, fit in fits.items()}
        path = cal.paths.categories.get(category)
        reached = [
            *(path.path if path is not None else []),
            *(t for (_, c), (t, _, _) in cal.paths.routing.items() if c == category),
        ]
        donor = next((t for t in reached if t in fits), next(iter(fits)))
        for team in dict.fromkeys(t for t in reached if t not in fits):
            log.missing.append(f"category {category}: handle time at {team} (no work time there in the export)")
            times[team] = Noted(times[donor].value, f"ASSUMED as at {donor}: no work time at {team} in the export")
        return times
    if base and "handle_time" in base:
        log.base.append(f"category {category}: handle time (the export has no work time for it)")
        return Noted(base["handle_time"], "from the base: no work time in the export")
    log.missing.append(f"category {category}: handle time (no work time in the export); a 10-minute guess is written")
    return Noted(NOT_FITTED_HANDLE, "NOT FITTED: no work time in the export; replace with your handle time")


def _category(name: str, cal: Calibration, base: dict | None, log: _Log) -> dict:
    """One category: priority and segment mixes, handle times, path, replies, reopens, custom fields."""
    doc: dict[str, Any] = {"name": name}
    for key, mixes in (("priority", cal.mixes.priority_by_category), ("segment", cal.mixes.segment_by_category)):
        mix = mixes.get(name)
        if mix is not None and not mix.reason:
            doc[key] = _mix(mix)
    doc["handle_time"] = _handle_times(name, cal, base, log)
    path = cal.paths.categories.get(name)
    if path is not None:
        doc["path"] = Noted(path.path, f"{_count(path.n)} tickets ({path.source})")
        doc["resolve_probability"] = {
            team: Noted(p, f"{_count(path.stays[team])} stays, se {path.resolve_se[team]:.2g}")
            for team, p in path.resolve_probability.items()
        }
        log.missing += [f"category {name} escalation: {note}" for note in path.notes]
    reply = cal.replies.categories.get(name)
    if reply is not None and reply.delay is not None and reply.delay.document and reply.probability > 0:
        doc["customer_reply"] = {
            "probability": Noted(
                reply.probability, f"{_count(reply.n)}, se {reply.probability_se:.2g} ({reply.source})"
            ),
            "delay": fitted(reply.delay),
            "handle_time": Noted({"dist": "fixed", "value": 0}, "the work after a reply is in the stay's handle time"),
        }
    reopen = cal.reopens.categories.get(name)
    if reopen is not None and reopen.reopens and reopen.delay is not None and reopen.delay.document:
        doc["reopen"] = _reopen(reopen, base)
    attributes = {a: fitted(fit, "") for (c, a), fit in cal.attributes.items() if c == name and fit.document}
    if attributes:
        doc["attributes"] = attributes
    return doc


def _reopen(fit: ReopenFit, base: dict | None) -> dict:
    """Reopen probability (one per resolving team when the events show who resolved), delay, return."""
    probability: Noted | dict[str, Noted]
    if len(fit.by_team) > 1:
        probability = {}
        for team, (k, exposure) in fit.by_team.items():
            p, se = fit.team_probability(team)
            note = f"{k:,} reopened of n={exposure:,.0f} solves (weighted for the export's end), se {se:.2g}"
            probability[team] = Noted(p, note)
    else:
        note = f"{fit.reopens:,} of {_count(fit.n)} solves, se {fit.probability_se:.2g} ({fit.source})"
        probability = Noted(fit.probability, note)
    if fit.return_to:
        return_to = Noted(fit.return_to, "where reopened tickets went (events.group_change)")
    else:
        from_base = (base or {}).get("reopen", {}).get("return_to")
        return_to = Noted(from_base or "resolver", "from the base" if from_base else "the schema's default")
    assert fit.delay is not None  # only reopens with a fitted delay are written
    return {"probability": probability, "delay": fitted(fit.delay), "return_to": return_to, "max": fit.max}


def _ended(stays: pd.DataFrame, cal: Calibration) -> pd.Series:
    """When each stay ended: the next stay's start, else the ticket's solve (NaT if neither)."""
    solved = naive_utc(cal.export.tickets["solved"])[stays["row"].to_numpy()]
    entered = stays["entered"].to_numpy()
    following = np.r_[entered[1:], np.array(["NaT"], dtype=entered.dtype)]
    return pd.Series(np.where(stays["last"].to_numpy(), solved, following)).dt.tz_localize("UTC")


def _teams(cal: Calibration, base: Scenario | None, seen: list[str], log: _Log) -> list[dict]:
    """The base's teams (less what the fits replace), then teams the export shows, staffed by estimate."""
    base_teams = {
        t.name: t.model_dump(mode="json", exclude_defaults=True, by_alias=True) for t in (base.teams if base else [])
    }
    docs = []
    for name, team in base_teams.items():
        dropped = [k for k in TEAM_DROP if k in team]
        if dropped:
            log.dropped.append(f"team {name}: {', '.join(dropped)}")
        doc = {k: v for k, v in team.items() if k not in TEAM_DROP}
        docs.append(doc if name in seen else {**doc, "name": Noted(name, "from the base; not in the export")})
    new = [t for t in seen if t not in base_teams]
    if not new:
        return docs
    estimates = _estimates(cal)
    tiers = _tiers(cal)
    for name in new:
        shifts, peak = estimates.get(name, ([{"start": "00:00", "end": "00:00", "agents": 1}], 0.0))
        log.estimated.append(f"team {name}: shifts (peak load {peak:.1f} agents at {OCCUPANCY:.0%} occupancy)")
        docs.append(
            {
                "name": name,
                "tier": tiers.get(name, 1),
                "shifts": Noted(shifts, "ESTIMATED from the work the export shows; replace with your roster"),
            }
        )
    return docs


def _estimates(cal: Calibration) -> dict[str, tuple[list[dict], float]]:
    if cal.stays is None:
        tickets = cal.export.tickets
        stays = pd.DataFrame(
            {"group": tickets["group"], "category": tickets["category"], "ended": tickets["solved"]}
        ).dropna(subset=["ended"])
    else:
        stays = cal.stays.assign(ended=_ended(cal.stays, cal).to_numpy()).dropna(subset=["ended"])
    means = {key: fit.mean for key, fit in cal.handle.fits.items()}
    return estimate_shifts(stays, means, cal.start, cal.end, cal.tz)


def _tiers(cal: Calibration) -> dict[str, int]:
    """A team's tier: 1 + its earliest place on any category's path (first teams are tier 1)."""
    tiers: dict[str, int] = {}
    for path in cal.paths.categories.values():
        for i, team in enumerate(path.path):
            tiers[team] = min(tiers.get(team, i + 1), i + 1)
    for team, _, _ in cal.paths.routing.values():
        tiers[team] = 1
    return tiers


def _routing(cal: Calibration) -> list[dict]:
    """First team per channel × category, as few rules as say the same (channel rules, then a catch-all)."""
    if not cal.paths.routing:
        firsts = cal.export.tickets.groupby(["channel", "category"])["group"].agg(lambda g: g.value_counts().index[0])
        pairs = {(str(c), str(k)): str(team) for (c, k), team in firsts.items()}
    else:
        pairs = {key: team for key, (team, _, _) in cal.paths.routing.items()}
    catch_all = pd.Series(list(pairs.values())).value_counts().index[0]
    rules = []
    for channel in sorted({c for c, _ in pairs}):
        teams = {k: t for (c, k), t in pairs.items() if c == channel}
        common = pd.Series(list(teams.values())).value_counts().index[0]
        rules += [{"channel": channel, "category": k, "team": t} for k, t in teams.items() if t != common]
        if common != catch_all:
            rules.append({"channel": channel, "team": common})
    return [*rules, {"team": catch_all}]


def _escalation(base: Scenario | None, log: _Log) -> dict | None:
    if base is None:
        return None
    doc = base.escalation.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    dropped = [k for k in ESCALATION_DROP if k in doc]
    handoff = doc.get("handoff", {})
    if "rework_time" in handoff or "context_complete" in handoff:
        dropped.append("handoff rework")
        handoff = {k: v for k, v in handoff.items() if k not in ("rework_time", "context_complete")}
    if dropped:
        log.dropped.append(f"escalation: {', '.join(dropped)}")
    doc = {k: v for k, v in doc.items() if k not in ESCALATION_DROP and k != "handoff"}
    if handoff:
        doc["handoff"] = handoff
    return doc or None


def _ordered(observed: list[str], base: list[str]) -> list[str]:
    return [*base, *sorted(set(observed) - set(base))]


def scenario_document(cal: Calibration, base: Scenario | None = None, name: str = "calibrated") -> tuple[dict, _Log]:
    """The calibrated scenario as a document of (noted) values, and what the header must say."""
    log = _Log()
    base_doc = base.model_dump(mode="json", exclude_defaults=True, by_alias=True) if base else {}
    tickets = cal.export.tickets
    channels = {c["name"]: c for c in base_doc.get("channels", [])}
    categories = {c["name"]: c for c in base_doc.get("categories", [])}
    start = cal.start.tz_convert(cal.tz)
    segments = sorted({s for s in tickets["segment"].astype(str).unique() if s}) if "segment" in tickets else []
    doc: dict[str, Any] = {
        "name": name,
        "description": f"Calibrated from {', '.join(cal.sources.values()) or 'an export'} "
        f"({start:%Y-%m-%d} to {cal.end.tz_convert(cal.tz):%Y-%m-%d}, {cal.tz}).",
        "seed": base.seed if base else 1,
        "start_date": Noted(start.date().isoformat(), "the export's first day (sets the weekdays)"),
        "horizon": readable(base.horizon) if base else "8d",
        "warmup": readable(base.warmup) if base else "1d",
        "replications": base.replications if base else 10,
        "priorities": _ordered([str(p) for p in tickets["priority"].unique() if p], base.priorities if base else []),
    }
    if segments:
        doc["segments"] = _ordered(segments, base.segments if base else [])
    if base_doc.get("calendars"):
        doc["calendars"] = Noted(base_doc["calendars"], "from the base")
    doc["channels"] = [_channel(fit, cal, channels.get(ch), log) for ch, fit in cal.arrivals.items()]
    names = sorted(str(c) for c in tickets["category"].unique())
    doc["categories"] = [_category(c, cal, categories.get(c), log) for c in names]
    seen = sorted({str(g) for g in tickets["group"].unique() if g} | _path_teams(cal))
    doc["teams"] = _teams(cal, base, seen, log)
    doc["routing"] = _routing(cal)
    if base_doc.get("sla_policies"):
        doc["sla_policies"] = Noted(base_doc["sla_policies"], "from the base")
    escalation = _escalation(base, log)
    if escalation:
        doc["escalation"] = Noted(escalation, "from the base, less what the fitted paths hold")
    _note_missing(cal, log)
    return doc, log


def _path_teams(cal: Calibration) -> set[str]:
    return {team for path in cal.paths.categories.values() for team in path.path}


def _note_missing(cal: Calibration, log: _Log) -> None:
    """Reasons of whole fits that could not be made."""
    for reason in (cal.handle.reason, cal.paths.reason, cal.replies.reason, cal.reopens.reason):
        if reason:
            log.missing.append(reason)
    if not cal.patience:
        log.missing.append("patience: no abandoned contacts (or no abandoned / first_reply columns)")


def header(cal: Calibration, log: _Log, base_path: str | None, backtest: str | None) -> list[str]:
    """The comment block at the top of the calibrated YAML."""
    tickets = len(cal.export.tickets)
    lines = [
        f"Calibrated by escalation-sim {__version__} from {', '.join(cal.sources.values()) or 'an export'}.",
        f"Period: {cal.start.tz_convert(cal.tz):%Y-%m-%d %H:%M} to {cal.end.tz_convert(cal.tz):%Y-%m-%d %H:%M} "
        f"({cal.weeks:.1f} weeks, clock {cal.tz}); {tickets:,} tickets; {cal.export.skipped_summary(3)}.",
        "Each fitted number says its sample size (n), its standard error where it has one, and its source column.",
        CRITERION + ".",
        "Every escalation is the category's path with a resolve probability per team: the export shows where",
        "tickets went, not why (see the docs, 'Load your ticket export').",
    ]
    sections = [
        (f"Taken from the base scenario {base_path}:", log.base),
        ("Left out of the base (the fits already hold it):", log.dropped),
        ("Estimated, not in the export (replace them, or run `run_sim.py optimise` on this file):", log.estimated),
        ("Could not be fitted, or fitted with a caveat:", log.missing),
        ("Renamed to scenario names:", [f"'{a}' -> {b}" for a, b in cal.renames.items()]),
    ]
    surges = [
        f"{fit.channel} {s.date}: {s.count:,} tickets against {s.expected:,.0f} expected (z = {s.z:.1f})"
        for fit in cal.arrivals.values()
        for s in fit.surges
    ]
    sections.append(("Surge days, left out of the rates (add them as `surges:` to replay one):", surges))
    for title, items in sections:
        if items:
            lines += ["", title, *(f"  - {item}" for item in items)]
    if not base_path:
        lines += [
            "",
            "Not in an export, and left at the schema's defaults: SLA policies, calendars, service-level",
            "targets, chat concurrency, costs. Pass --base YOUR_SCENARIO.yaml to take them from a scenario.",
        ]
    if backtest:
        lines += ["", "Back-test it on the export it came from:", f"  {backtest}"]
    return lines


def calibrated_scenario(
    cal: Calibration,
    base: Scenario | None = None,
    name: str = "calibrated",
    base_path: str | None = None,
    backtest: str | None = None,
) -> str:
    """The commented YAML of the calibrated scenario."""
    doc, log = scenario_document(cal, base, name)
    return dump(doc, header(cal, log, base_path, backtest))
