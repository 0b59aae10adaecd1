"""The back-test report: whether the history of the export falls where the simulated scenario says it would.

``write_backtest_report(folder)`` reads a back-test folder (``results/backtest/<run>/``: ``summary.yaml``
and ``cells.csv``, written by ``sim.calibration.backtest``) and writes one picture per KPI and
``report.html`` into it, in the style of the other reports. Each picture has a row per channel and two
panels: each week of the period, and each hour of the day pooled over the period. The simulated 95 %
prediction interval is the band, its mean the line, the history the points; a history point outside
its band (a flagged cell) is red. It reads only the files, so a finished folder can be re-rendered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.core.units import MINUTES_PER_HOUR, format_duration
from sim.experiments.results import ResultsError, read_table
from sim.reports.figures import PALETTE, new_figure, plain_number, share_axis, share_text, time_axis
from sim.reports.page import REPORT, embed, render_page
from sim.reports.sections import Picture

COLUMNS = ["kind", "period", "channel", "kpi", "unit", "history", "sim_mean", "pi_low", "pi_high", "flagged"]
"""The columns of ``cells.csv`` the report reads."""

KPIS = {
    "volume": ("Tickets created", "tickets created"),
    "asa": ("ASA (live channels) and first-response time (others)", "speed of answer"),
    "service_level": ("Service level", "answered within target"),
    "abandonment_rate": ("Abandonment rate", "abandoned"),
    "escalation_rate": ("Escalation rate: tickets with two or more group stays", "escalated"),
    "resolution_time": ("Resolution time of solved tickets", "resolution time"),
}
"""Each KPI's picture title and y-axis label, in report order."""

BAND, MEAN, HISTORY, FLAGGED = "#9ecae1", PALETTE[0], "#222222", "#d62728"

GUIDE = (
    "One row per channel (and all channels together where that makes sense). Left: each week of the "
    "export; right: each hour of the day on the desk's clock, all days of the period pooled. The blue band "
    "is where one period's value falls in 95 % of the simulated replications (the prediction interval), "
    "the blue line the simulated mean, the black dots the history. A red dot lies outside its band: a "
    "flagged cell. About one cell in twenty is flagged by chance even when the model is right; flags that "
    "line up (every week too high, one hour of the day always off) point at a model that is."
)

HOW_TO_READ = [
    (
        "What is compared",
        "The scenario is simulated over the export's own period (the same weekdays and hours, from the "
        "warm-up before its first day to the moment the export was taken) many times. Every simulated "
        "replication and the history go through the same KPI function, cell by cell: per channel, per "
        "week and per hour of the day.",
    ),
    (
        "The KPIs",
        "Volume: tickets created. ASA: mean time from creation to the first reply of tickets that got one "
        "(on live channels, the speed of answer of contacts answered in their first queue; on others the "
        "first-response time). Service level: answered within the channel's target, over answered or "
        "abandoned (channels with a target). Abandonment rate: abandoned over created (live channels). "
        "Escalation rate: tickets that stayed with two or more groups, over created (needs the event "
        "file). Resolution time: mean time from creation to solved, of solved tickets. A ratio or mean "
        "with fewer than 10 tickets behind it is not judged.",
    ),
    (
        "The prediction interval",
        "Over R replications with mean m and standard deviation s: m ± t(0.975, R−1) · s · √(1 + 1/R). It "
        "holds one new period's value 95 % of the time if the model is right: the spread of a single week "
        "or hour plus the uncertainty of the simulated mean. It is not the mean's confidence interval, "
        "which narrows as replications are added and would flag almost every cell of a correct model.",
    ),
    (
        "The verdict",
        "On the weekly cells: the number flagged is set against the 5 % expected by chance. PASS when that "
        "many flags or more would happen by chance with probability at least 1 % (one-sided binomial "
        "test), else FAIL. Cells of one week are correlated (a busy week is busy on every KPI), so treat a "
        "p-value near the line with care, and read the flagged cells: a pattern says more than a count.",
    ),
]


@dataclass
class BacktestFolder:
    """A back-test folder's files, read."""

    folder: Path
    summary: dict
    cells: pd.DataFrame


def load_backtest(folder: str | Path) -> BacktestFolder:
    """Read a back-test folder; a missing file or column is a ``ResultsError`` naming it."""
    folder = Path(folder)
    for name in ("summary.yaml", "cells.csv"):
        if not (folder / name).is_file():
            raise ResultsError(f"{folder} holds no {name}: a back-test folder needs summary.yaml and cells.csv")
    cells = read_table(folder / "cells.csv", COLUMNS, text=["period"])
    cells["flagged"] = cells["flagged"].astype(str).str.lower().isin(["true", "1"])
    summary = yaml.safe_load((folder / "summary.yaml").read_text(encoding="utf-8")) or {}
    return BacktestFolder(folder, summary, cells)


def write_backtest_report(folder: str | Path) -> Path:
    """Write the pictures (``plots/*.png|svg``) and ``report.html`` into a back-test folder; return the report."""
    run = load_backtest(folder)
    return render_page("backtest.html.j2", backtest_context(run), run.folder / REPORT)


def backtest_context(run: BacktestFolder) -> dict:
    """Everything the template shows, as plain values."""
    s = run.summary
    return {
        "title": f"Back-test: {s.get('scenario', run.folder.name)}",
        "description": "Could the scenario have produced the history in the export? The export's KPIs, week by "
        "week and hour by hour, against where the simulation says one such period would fall.",
        "facts": facts(s),
        "note": None,
        "verdict": str(s.get("verdict", "")),
        "shares": share_rows(s.get("shares") or {}),
        "flagged": flagged_rows(run.cells),
        "notes": list(s.get("notes") or []),
        "pictures": embed(backtest_pictures(run.cells), run.folder),
        "how_to_read": HOW_TO_READ,
    }


def facts(summary: dict) -> list[tuple[str, str]]:
    """Scenario, export, period, replications, seed, warm-up and time taken, as name/value pairs."""
    sources = summary.get("sources") or {}
    period = summary.get("period") or {}
    tz = str(period.get("timezone", "UTC"))
    start, end = (pd.Timestamp(period[k]).tz_convert(tz) for k in ("start", "end")) if period else (None, None)
    out = [("scenario", str(sources.get("scenario") or summary.get("scenario", "")))]
    out.append(("tickets", str(sources.get("tickets") or "")))
    if sources.get("events"):
        out.append(("events", str(sources["events"])))
    if start is not None and end is not None:
        out.append(("period", f"{start:%a %-d %b %Y %H:%M} to {end:%a %-d %b %Y %H:%M} ({tz})"))
    out += [
        ("replications", str(summary.get("replications", ""))),
        ("seed", str(summary.get("seed", ""))),
        (
            "warm-up",
            format_duration(float(summary.get("warmup_minutes", 0))) if summary.get("warmup_minutes") else "none",
        ),
        ("elapsed", f"{summary.get('elapsed_seconds', '?')} s"),
    ]
    return [(name, value) for name, value in out if value]


def share_rows(shares: dict) -> list[dict]:
    """Per kind of cell: judged, flagged, share flagged, share by chance, p-value."""
    names = {"week": "weekly cells", "hour": "hourly cells"}
    rows = []
    for kind, name in names.items():
        row = shares.get(kind)
        if not row:
            continue
        share = row.get("share_flagged")
        rows.append(
            {
                "kind": name,
                "judged": str(row.get("judged", 0)),
                "flagged": str(row.get("flagged", 0)),
                "share": share_text(float(share), 1) if share is not None else "—",
                "chance": share_text(float(row.get("share_by_chance", 0.05))),
                "p_value": f"{float(row.get('p_value', math.nan)):.3f}",
            }
        )
    return rows


def value_text(value: float, unit: str) -> str:
    """A cell value in its unit, as a planner reads it."""
    if pd.isna(value):
        return "—"
    if unit == "share":
        return share_text(float(value), 1)
    if unit == "tickets":
        return f"{value:,.0f}"
    if unit == "h":
        return format_duration(float(value) * MINUTES_PER_HOUR)
    return format_duration(float(value))


def flagged_rows(cells: pd.DataFrame) -> list[dict]:
    """The flagged weekly cells: KPI, channel, week, history, prediction interval, simulated mean."""
    flagged = cells[(cells["kind"] == "week") & cells["flagged"]]
    return [
        {
            "kpi": KPIS.get(r.kpi, (r.kpi, ""))[1],
            "channel": r.channel,
            "week": r.period,
            "history": value_text(r.history, r.unit),
            "interval": f"{value_text(r.pi_low, r.unit)} to {value_text(r.pi_high, r.unit)}",
            "mean": value_text(r.sim_mean, r.unit),
            "side": "above" if r.history > r.pi_high else "below",
        }
        for r in flagged.itertuples()
    ]


def backtest_pictures(cells: pd.DataFrame) -> list[Picture]:
    """One picture per KPI in the folder, in report order."""
    return [
        Picture(f"kpi-{kpi}", KPIS[kpi][0], GUIDE, kpi_plot(cells[cells["kpi"] == kpi], kpi))
        for kpi in KPIS
        if (cells["kpi"] == kpi).any()
    ]


def kpi_plot(cells: pd.DataFrame, kpi: str) -> Figure:
    """Rows of channels; per row, the weeks and the hours of the day: band, mean, history, flags."""
    channels = list(dict.fromkeys(cells["channel"]))
    fig = new_figure(12, 0.6 + 2.3 * len(channels))
    axes = fig.subplots(len(channels), 2, squeeze=False, gridspec_kw={"width_ratios": [1, 2.4]})
    unit = str(cells["unit"].iloc[0])
    for row, channel in enumerate(channels):
        mine = cells[cells["channel"] == channel]
        for col, kind in enumerate(("week", "hour")):
            ax = axes[row][col]
            part = mine[mine["kind"] == kind]
            _panel(ax, part, unit, kind == "week")
            where = "each week" if kind == "week" else "each hour of the day (local)"
            ax.set_title(f"{channel}: {where}", fontsize=11, loc="left")
        bottom, top = min(ax.get_ylim()[0] for ax in axes[row]), max(ax.get_ylim()[1] for ax in axes[row])
        for ax in axes[row]:  # one scale per row: the weekly and hourly values of a rate read alike
            if unit != "tickets":
                ax.set_ylim(max(bottom, 0.0), top)
            _unit_axis(ax, unit, KPIS[kpi][1])
    handles, labels = axes[0][1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", ncols=4, fontsize=10, frameon=False)
    return fig


def _panel(ax: Axes, part: pd.DataFrame, unit: str, weekly: bool) -> None:
    """One panel: the band and mean over the periods, the history as points, flagged points red."""
    scale = MINUTES_PER_HOUR if unit == "h" else 1.0  # time axes are drawn from minutes
    x = np.arange(len(part), dtype=float)
    low, high = part["pi_low"].to_numpy(float) * scale, part["pi_high"].to_numpy(float) * scale
    mean, history = part["sim_mean"].to_numpy(float) * scale, part["history"].to_numpy(float) * scale
    flagged = part["flagged"].to_numpy(bool)
    if weekly:
        ax.bar(x, high - low, bottom=low, width=0.55, color=BAND, label="95 % prediction interval")
        ax.hlines(mean, x - 0.275, x + 0.275, color=MEAN, lw=1.5, label="simulated mean")
        labels = [_week_label(p) for p in part["period"]]
        ax.set_xticks(x, labels, fontsize=9)
        ax.set_xlim(-0.6, len(part) - 0.4)
    else:
        ax.fill_between(x, low, high, color=BAND, lw=0, label="95 % prediction interval")
        ax.plot(x, mean, color=MEAN, lw=1.5, label="simulated mean")
        ax.set_xticks(x[::3], [p[:2] for p in part["period"]][::3], fontsize=9)
        ax.set_xlim(-0.5, len(part) - 0.5)
    ok = ~flagged
    ax.plot(x[ok], history[ok], "o", color=HISTORY, ms=4.5, label="history", zorder=3)
    ax.plot(x[flagged], history[flagged], "o", color=FLAGGED, ms=6.5, label="history, outside (flagged)", zorder=4)
    ax.grid(axis="y", alpha=0.3)
    if unit == "tickets":
        ax.set_ylim(0, ax.get_ylim()[1])


def _week_label(period: str) -> str:
    """``2026-03-02`` as ``2 Mar``; a partial last week says so on a second line."""
    day = pd.Timestamp(period.split(" ")[0])
    return f"{day:%-d %b}" + ("\n(partial)" if "partial" in period else "")


def _unit_axis(ax: Axes, unit: str, label: str) -> None:
    """The y axis in the KPI's one unit: percent, a time unit, or tickets."""
    if unit == "share":
        share_axis(ax)
        ax.set_ylabel(f"{label} (%)")
    elif unit in ("min", "h"):
        time_axis(ax, "y", label)
    else:
        ax.yaxis.set_major_formatter(lambda value, _: plain_number(value))
        ax.set_ylabel(label)
