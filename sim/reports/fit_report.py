"""The fit report: one page for a planner asking "did it read my data right?" before trusting a calibration.

``write_fit_report(calibration, path)`` writes one self-contained HTML page (pictures embedded as
base64 PNG, nothing else written) in the style of the other reports: what was read (files, period
on the desk's clock, tickets, skipped rows) and what could not be fitted, then each fit against its
data: the hourly arrival profile and the days that look like surges, QQ plots of handle times, the
Kaplan-Meier survival of patience beside the naive abandoners' mean, the escalation flow per
category with the routing, and the tables of mixes, customer replies, reopens and custom fields.
It reads only the ``Calibration`` (and its export's tables), never writes a scenario.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sim.calibration.calibrate import Calibration
from sim.calibration.fit_durations import DurationFit
from sim.calibration.fit_mix import MixFit, missing_columns
from sim.core.units import duration_unit, format_duration, minutes_in
from sim.reports.figures import share_text
from sim.reports.page import embed, render_page
from sim.reports.plot_fit import (
    EMPIRICAL_LABEL,
    arrival_profile_plot,
    daily_arrivals_plot,
    handle_qq_plot,
    patience_plot,
)
from sim.reports.plot_paths import path_flow_plot
from sim.reports.sections import Picture

GUIDES = {
    "profile": "One panel per channel, Monday to Sunday, one step per hour of the week. The dots are the data: the "
    "arrivals of that hour of the week averaged over the weeks of the export (surge days left out). The line is the "
    "fitted demand, the channel's mean rate × its day-of-week × its hour-of-day multiplier, which is what the "
    "scenario will simulate; the band is where 95 % of hourly means should fall if that product fits (Poisson "
    "noise, widened by the over-dispersion of the daily counts). About 5 % of the dots outside the band is chance; "
    "many more, or dots off the line in a pattern (every Monday morning high), mean the hour × day product misses "
    "something, such as a Monday-morning peak.",
    "daily": "One panel per channel, one bar per day of the export: the arrivals that day. The line is what the "
    "fitted profile expects that day. A red bar is a day flagged as a surge: more than 4 over-dispersed standard "
    "deviations above its expectation (its z); it is left out of the fit and written into the scenario as a surge "
    "with its multiplier (observed over expected).",
    "qq": "One panel per category and team with a fitted lognormal or gamma handle time. Each dot pairs a quantile "
    "of the data (up) with the same quantile of the fitted distribution (across), both in the same unit; the "
    "dashed line is where they agree. Dots on the line: the family fits. Dots bending below it on the right: the "
    "data's long waits are shorter than the fit's (the fit's tail is too heavy); above it: longer. A few points "
    "far out at the top end are the largest values, which any sample shows. Grey panels are "
    f"{EMPIRICAL_LABEL}: the scenario resamples the data itself; their dots are against a lognormal, to show "
    "why it was not used.",
    "patience": "One panel per live channel (one where customers hang up). The coloured step is the Kaplan-Meier "
    "estimate of the share of customers still willing to wait after each wait, with its 95 % band: it uses both "
    "the customers who hung up (their patience ran out then) and those who were answered first (their patience "
    "was at least their wait). The dashed black line is the fitted patience the scenario uses. The dotted red "
    "line is what you would get from the mean wait of the abandoners only: far too impatient, because only the "
    "impatient abandon; the box gives both means.",
    "flow": "One panel per category (the largest, up to 12): boxes are teams, new tickets enter from the left. An "
    "arrow's width is proportional to its tickets; an arrow between teams is a group change in the events, with "
    "its share of the team's stays. Under each team: the share of its stays that ended with the ticket solved "
    "there (its resolve probability), and how many stays were still open when the export was taken (not counted). "
    "Arrows pointing back (to the left) are bounces and reopened tickets sent back: a scenario's path cannot "
    "express them, which the notes say.",
}
"""The reading guide under each picture."""


def write_fit_report(calibration: Calibration, path: str | Path) -> Path:
    """Write the fit report of ``calibration`` as one self-contained HTML page at ``path``; return the path."""
    return render_page("fit.html.j2", fit_context(calibration), Path(path))


def fit_context(calibration: Calibration) -> dict:
    """Everything the template shows, as plain values."""
    pictures = {p["key"]: p for p in embed(fit_pictures(calibration), None)}
    tickets = calibration.export.tickets
    return {
        "title": f"Fit report: {calibration.sources.get('tickets', 'ticket export')}",
        "description": "What the calibration read from the export and what it fitted, each fit beside its data: "
        "check it before trusting the scenario written from it.",
        "facts": read_facts(calibration),
        "note": None,
        "pictures": [],
        "figures": pictures,
        "skipped": calibration.export.skipped_summary(),
        "not_fitted": not_fitted(calibration),
        "arrivals": arrival_rows(calibration),
        "surges": surge_rows(calibration),
        "handle": handle_rows(calibration),
        "handle_source": calibration.handle.source,
        "patience": patience_rows(calibration),
        "paths": path_rows(calibration),
        "routing": routing_rows(calibration),
        "mixes": mix_rows(calibration),
        "category_mixes": category_mix_rows(calibration),
        "replies": reply_rows(calibration),
        "attributes": attribute_rows(calibration),
        "tickets": f"{len(tickets):,}",
    }


def fit_pictures(calibration: Calibration) -> list[Picture]:
    """The pictures the export supports, in the page's order (a fit with nothing to draw has none)."""
    plan = [
        ("profile", "Arrivals per hour of the week: data against the fitted profile", arrival_profile_plot),
        ("daily", "Arrivals per day, and days that look like surges", daily_arrivals_plot),
        ("qq", "Handle times: data quantiles against the fitted distribution", handle_qq_plot),
        ("patience", "Patience: survival with censoring against the naive abandoners' mean", patience_plot),
        ("flow", "Escalation flow per category", path_flow_plot),
    ]
    pictures = []
    for key, title, draw in plan:
        figure = draw(calibration)
        if figure is not None:
            pictures.append(Picture(key, title, GUIDES[key], figure))
    return pictures


def _stamp(when: pd.Timestamp) -> str:
    """A local time as people read it: ``Mon 2 Mar 2026 00:00``."""
    return f"{when:%a %-d %b %Y %H:%M}"


def read_facts(calibration: Calibration) -> list[tuple[str, str]]:
    """What was read: the files, the period on the local clock, tickets, events and skipped rows."""
    export = calibration.export
    events = export.events
    facts = [
        ("tickets file", calibration.sources.get("tickets", "(not named)")),
        ("events file", calibration.sources.get("events", "none")),
        (
            "period",
            f"{_stamp(calibration.start)} – {_stamp(calibration.end)} ({calibration.tz}), "
            f"{calibration.weeks:.1f} weeks",
        ),
        ("tickets", f"{len(export.tickets):,}"),
        ("events", f"{len(events):,}" if events is not None else "none"),
        ("rows skipped", f"{len(export.skipped):,}"),
    ]
    return facts


def _item(area: str, subject: str, text: str) -> dict:
    return {"area": area, "subject": subject, "text": text}


def _duration_reason(area: str, subject: str, fit: DurationFit | None) -> list[dict]:
    """A duration fit's reason (not fitted, or why empirical), as a list item."""
    return [_item(area, subject, fit.reason)] if fit is not None and fit.reason else []


def not_fitted(calibration: Calibration) -> list[dict]:
    """Every fit's reason and note: what could not be fitted, and what the scenario's form leaves out."""
    items = []
    if calibration.export.skipped:
        items.append(_item("rows", "skipped", calibration.export.skipped_summary()))
    for channel, arrival in calibration.arrivals.items():
        if arrival.reason:
            items.append(_item("arrivals", channel, arrival.reason))
    for column, reason in missing_columns(calibration.export.tickets).items():
        items.append(_item("mixes", column, reason))
    mixes = calibration.mixes
    for name, table in (
        ("category", mixes.category_by_channel),
        ("priority", mixes.priority_by_channel),
        ("segment", mixes.segment_by_channel),
    ):
        for channel, mix in table.items():
            if mix.reason:
                items.append(_item("mixes", f"{name} on {channel}", mix.reason))
    if calibration.handle.reason:
        items.append(_item("handle times", "all", calibration.handle.reason))
    for (category, team), handle in calibration.handle.fits.items():
        items += _duration_reason("handle times", f"{category} at {team}", handle)
    if calibration.paths.reason:
        items.append(_item("escalation", "all", calibration.paths.reason))
    for category, path in calibration.paths.categories.items():
        items += [
            _item("escalation", category, text) for text in [*([path.reason] if path.reason else []), *path.notes]
        ]
    if not calibration.patience:
        items.append(_item("patience", "all", "no abandoned contacts: patience not fitted (no channel is live)"))
    for channel, patience in calibration.patience.items():
        texts = [*([patience.reason] if patience.reason else []), *patience.notes]
        items += [_item("patience", channel, text) for text in texts]
    replies = calibration.replies
    if replies.reason:
        items.append(_item("customer replies", "all", replies.reason))
    for category, reply in replies.categories.items():
        if reply.reason:
            items.append(_item("customer replies", category, reply.reason))
        items += _duration_reason("customer replies", f"{category} delay", reply.delay)
    reopens = calibration.reopens
    if reopens.reason:
        items.append(_item("reopens", "all", reopens.reason))
    for category, reopen in reopens.categories.items():
        if reopen.reason and reopen.reason != reopens.reason:
            items.append(_item("reopens", category, reopen.reason))
        items += _duration_reason("reopens", f"{category} delay", reopen.delay)
    for (category, name), attribute in calibration.attributes.items():
        items += _duration_reason("custom fields", f"{name} of {category}", attribute)
    return items


def _minutes(value: float, se: float | None = None) -> str:
    """A duration with its standard error in the same unit, to two significant digits: ``2.0h ± 0.04h``."""
    if value != value:
        return "—"
    unit = duration_unit(value)
    text = format_duration(value, unit)
    if se is None or se != se:
        return text
    shown = se / minutes_in(unit)
    decimals = min(3, max(1, 1 - math.floor(math.log10(shown)))) if shown > 0 else 1
    return f"{text} ± {format_duration(se, unit, decimals)}"


def _share(p: float, se: float | None = None) -> str:
    """A probability as a percentage with its standard error: ``18.1% ± 0.3``."""
    if p != p:
        return "—"
    return share_text(p, 1) + ("" if se is None or se != se else f" ± {100 * se:.1f}")


def arrival_rows(calibration: Calibration) -> list[dict]:
    """Per channel: arrivals used, hours, rate ± se, dispersion, the busiest hour and day, and any reason."""
    rows = []
    for channel, fit in calibration.arrivals.items():
        fitted = fit.reason is None
        peak_hour = max(range(len(fit.hour_of_day)), key=fit.hour_of_day.__getitem__) if fit.hour_of_day else None
        rows.append(
            {
                "channel": channel,
                "n": f"{fit.n:,}",
                "hours": f"{fit.hours:,.0f}" if fitted else "—",
                "rate": f"{fit.rate_per_hour:,.2f} ± {fit.rate_se:.2f}" if fitted else "—",
                "dispersion": f"{fit.dispersion:.2f}" if fitted else "—",
                "peak": f"{peak_hour:02d}:00, ×{fit.hour_of_day[peak_hour]:.2f}" if peak_hour is not None else "—",
                "deviance": f"{fit.interaction_deviance:,.0f}" if fitted else "—",
                "surges": str(len(fit.surges)),
                "reason": fit.reason or "",
            }
        )
    return rows


def surge_rows(calibration: Calibration) -> list[dict]:
    """Every surge day: channel, date, arrivals, expected, z and multiplier."""
    return [
        {
            "channel": channel,
            "date": f"{pd.Timestamp(s.date):%a %-d %b %Y}",
            "count": f"{s.count:,}",
            "expected": f"{s.expected:,.1f}",
            "z": f"{s.z:.1f}",
            "multiplier": f"×{s.multiplier:.2f}",
        }
        for channel, fit in calibration.arrivals.items()
        for s in fit.surges
    ]


def _family(fit: DurationFit | None) -> str:
    """A duration fit's family, with its parameters' gist where it has one."""
    if fit is None or fit.document is None:
        return "not fitted"
    if fit.family == "fixed":
        return f"fixed at {_minutes(fit.mean)} (every value equal)"
    if fit.family == "empirical":
        return EMPIRICAL_LABEL
    return str(fit.family)


def handle_rows(calibration: Calibration) -> list[dict]:
    """Per category × team: values, family, mean ± se, KS distances, dropped values."""
    rows = []
    for (category, team), fit in calibration.handle.fits.items():
        ks = ", ".join(f"{k} {v:.3f}" for k, v in fit.ks_distance.items())
        rows.append(
            {
                "category": category,
                "team": team,
                "n": f"{fit.n:,}",
                "family": _family(fit),
                "mean": _minutes(fit.mean, fit.mean_se),
                "ks": ks or "—",
                "dropped": f"{fit.dropped:,}",
            }
        )
    return rows


def patience_rows(calibration: Calibration) -> list[dict]:
    """Per live channel: contacts, abandoned, family, the censored mean, the naive abandoners' mean, the gap."""
    rows = []
    for channel, fit in calibration.patience.items():
        rows.append(
            {
                "channel": channel,
                "n": f"{fit.n:,}",
                "abandoned": f"{fit.abandoned:,}",
                "family": fit.family or "not fitted",
                "mean": _minutes(fit.mean, fit.mean_se),
                "mean_minutes": fit.mean,
                "naive": _minutes(fit.naive_mean),
                "naive_minutes": fit.naive_mean,
                "gap": f"{fit.max_gap:.3f}" if fit.max_gap == fit.max_gap else "—",
                "unusable": f"{fit.unusable:,}",
            }
        )
    return rows


def path_rows(calibration: Calibration) -> list[dict]:
    """Per category: tickets, the fitted path and each team's resolve probability ± se over its stays."""
    rows = []
    for category, path in calibration.paths.categories.items():
        resolve = [
            f"{team} {_share(path.resolve_probability[team], path.resolve_se.get(team))} ({path.stays[team]:,})"
            for team in path.resolve_probability
        ]
        rows.append(
            {
                "category": category,
                "n": f"{path.n:,}",
                "first": path.first_team or "—",
                "path": " → ".join(path.path) or "—",
                "resolve": resolve,
                "reason": path.reason or "",
            }
        )
    return rows


def routing_rows(calibration: Calibration) -> list[dict]:
    """Per channel × category: the most common first team, its share of the tickets, and the tickets."""
    return [
        {"channel": channel, "category": category, "team": team, "share": share_text(share, 1), "n": f"{n:,}"}
        for (channel, category), (team, share, n) in calibration.paths.routing.items()
    ]


def _mix_text(mix: MixFit | None) -> str:
    """A mix's shares in one line: ``connectivity 44.8% · billing 24.8%`` (largest first)."""
    if mix is None:
        return "—"
    if mix.reason:
        return mix.reason
    shares = sorted(mix.weights.items(), key=lambda kv: -kv[1])
    return " · ".join(f"{value} {share_text(p, 1)}" for value, p in shares)


def _mix_rows(key: str, tables: dict[str, dict[str, MixFit]]) -> list[dict]:
    """One row per value of ``key`` (channel or category), a column per mix, with n and missing values."""
    names = sorted({k for table in tables.values() for k in table})
    rows = []
    for name in names:
        mixes = {column: table.get(name) for column, table in tables.items()}
        n = max((m.n + m.missing for m in mixes.values() if m is not None), default=0)
        missing = {column: m.missing for column, m in mixes.items() if m is not None and m.missing}
        rows.append(
            {
                key: name,
                "n": f"{n:,}",
                **{column: _mix_text(m) for column, m in mixes.items()},
                "missing": ", ".join(f"{column} {count:,}" for column, count in missing.items()),
            }
        )
    return rows


def mix_rows(calibration: Calibration) -> list[dict]:
    """Per channel: its category, priority and segment mixes."""
    mixes = calibration.mixes
    return _mix_rows(
        "channel",
        {
            "category": mixes.category_by_channel,
            "priority": mixes.priority_by_channel,
            "segment": mixes.segment_by_channel,
        },
    )


def category_mix_rows(calibration: Calibration) -> list[dict]:
    """Per category: its priority and segment mixes (what a scenario's category takes)."""
    mixes = calibration.mixes
    return _mix_rows("category", {"priority": mixes.priority_by_category, "segment": mixes.segment_by_category})


def reply_rows(calibration: Calibration) -> list[dict]:
    """Per category: customer-reply probability and delay; reopen probability and delay."""
    categories = sorted({*calibration.replies.categories, *calibration.reopens.categories})
    rows = []
    for category in categories:
        reply = calibration.replies.categories.get(category)
        reopen = calibration.reopens.categories.get(category)
        rows.append(
            {
                "category": category,
                "tickets": f"{reply.n:,}" if reply else "—",
                "reply": _share(reply.probability, reply.probability_se) if reply else "—",
                "reply_delay": _delay(reply.delay if reply else None),
                "chances": f"{reopen.n:,}" if reopen else "—",
                "reopen": _share(reopen.probability, reopen.probability_se) if reopen else "—",
                "reopens": f"{reopen.reopens:,}" if reopen else "—",
                "reopen_delay": _delay(reopen.delay if reopen else None),
            }
        )
    return rows


def _delay(fit: DurationFit | None) -> str:
    """A delay fit in one cell: family, mean ± se and n."""
    if fit is None or fit.document is None:
        return "—"
    family = "empirical" if fit.family == "empirical" else fit.family
    return f"{family}, mean {_minutes(fit.mean, fit.mean_se)} (n = {fit.n:,})"


def attribute_rows(calibration: Calibration) -> list[dict]:
    """Per category × custom field: values, family and mean (in the field's own unit)."""
    return [
        {
            "category": category,
            "name": name,
            "n": f"{fit.n:,}",
            "family": _family(fit) if fit.family != "fixed" else "fixed (every value equal)",
            "mean": f"{fit.mean:,.2f}" if not math.isnan(fit.mean) else "—",
            "source": fit.source,
        }
        for (category, name), fit in calibration.attributes.items()
    ]
