"""Pictures of one run: backlog, waits, SLA attainment, utilisation and resolution time by route.

Every function takes the run's tables (the ``replication``-stacked DataFrames of a ``RunResult``
or of a results folder) and the scenario, and returns a matplotlib ``Figure`` drawn in the house
style of ``figures`` (on the Agg canvas, no pyplot). A function returns ``None`` when the run
holds nothing to draw (no SLA policies, say). Tallies count tickets that arrived after the
warm-up, as the KPIs do.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.kpis import counted
from sim.core.units import (
    DAYS_PER_WEEK,
    HOURS_PER_DAY,
    HOURS_PER_WEEK,
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    SECONDS_PER_MINUTE,
    format_duration,
)
from sim.reports.figures import (
    PALETTE,
    WEEKDAYS,
    new_figure,
    share_text,
    step_integral,
    step_values,
    time_axis,
    time_scale,
)
from sim.scenario.rota import duty_blocks
from sim.scenario.spec import Scenario

MAX_ECDF_POINTS = 1500
MAX_PATHS = 8


def by_replication(frame: pd.DataFrame):
    """(replication, rows) pairs; a table without a ``replication`` column is one replication."""
    if "replication" not in frame.columns:
        return [(0, frame)]
    return frame.groupby("replication", sort=True)


def backlog_plot(levels: pd.DataFrame, scenario: Scenario) -> Figure:
    """Mean queue length over time per team above the agents on duty; shift changes, surges, warm-up marked."""
    scale, label = time_scale(scenario.horizon)
    grid = np.linspace(0.0, scenario.horizon, int(min(2000, max(200, scenario.horizon / 5))))
    fig = new_figure(11, 5.2)
    ax, duty = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    teams = [t.name for t in scenario.teams]
    for i, team in enumerate(teams):
        color = PALETTE[i % len(PALETTE)]
        queue = levels[(levels["team"] == team) & (levels["metric"] == "queue")]
        curves = [step_values(s["time"].to_numpy(), s["value"].to_numpy(), grid) for _, s in by_replication(queue)] or [
            np.zeros_like(grid)
        ]
        ax.plot(grid / scale, np.mean(curves, axis=0), color=color, lw=1.4, label=team)
        _duty_line(duty, levels, team, scenario.horizon, scale, color, "-")
    for i, group in enumerate(scenario.agent_groups, start=len(teams)):  # a group's agents serve several queues
        _duty_line(duty, levels, group.name, scenario.horizon, scale, PALETTE[i % len(PALETTE)], "--")
    if scenario.agent_groups:
        duty.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, frameon=False, title="on duty")
    changes = shift_changes(scenario)
    if len(changes):  # light, and in the panel of agents on duty: the backlog stays readable
        duty.vlines(
            changes / scale,
            0,
            1,
            transform=duty.get_xaxis_transform(),
            colors="#aaaaaa",
            lw=0.5,
            linestyles=":",
            alpha=0.5,
            label="shift change",
        )
    for channel in scenario.channels:
        for surge in channel.surges:
            ax.axvspan(
                surge.start / scale,
                (surge.start + surge.duration) / scale,
                color="#ff7f0e",
                alpha=0.2,
                label=f"surge ×{surge.multiplier:g} ({channel.name})",
            )
    if scenario.warmup > 0:
        ax.axvspan(0, scenario.warmup / scale, color="#999999", alpha=0.15, hatch="//", label="warm-up (not in KPIs)")
    ax.set_xlim(0, scenario.horizon / scale)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("tickets waiting\n(mean over replications)")
    ax.set_title("Backlog: tickets waiting per team, and agents on duty")
    ax.legend(loc="upper left", fontsize=9, ncols=3, framealpha=0.9)
    ax.grid(axis="y", alpha=0.3)
    duty.set_ylim(bottom=0)
    duty.set_ylabel("agents on duty")
    duty.set_xlabel(label)
    duty.grid(axis="y", alpha=0.3)
    weekday_axis(duty, scenario, scale)
    ax.grid(axis="x", alpha=0.25)
    return fig


def _duty_line(
    duty: Axes, levels: pd.DataFrame, pool: str, horizon: float, scale: float, color: str, style: str
) -> None:
    """A pool's agents on duty (first replication) as a step line; nothing for a team with no agents of its own."""
    staffed = first_replication(levels[(levels["team"] == pool) & (levels["metric"] == "staffed")])
    if staffed.empty:
        return
    duty.step(
        np.append(staffed["time"].to_numpy(), horizon) / scale,
        np.append(staffed["value"].to_numpy(), staffed["value"].to_numpy()[-1:]),
        where="post",
        color=color,
        lw=1.2,
        ls=style,
        label=pool,
    )


def weekday_axis(ax: Axes, scenario: Scenario, scale: float) -> None:
    """Ticks of a time axis (in ``scale`` minutes) at midnights, named by weekday and date ("Mon 2 Mar").

    A run of up to two weeks gets a tick per day, a longer one a tick per week; a short run (hours)
    gets its ticks every few hours, named by weekday and clock time.
    """
    start = dt.datetime.combine(scenario.start_date, dt.time())
    if scale >= MINUTES_PER_DAY:
        days = int(scenario.horizon // MINUTES_PER_DAY)
        every = 1 if days <= 2 * DAYS_PER_WEEK else DAYS_PER_WEEK
        ticks = np.arange(0, days + 1, every, dtype=float)
        dates = [start + dt.timedelta(days=float(d)) for d in ticks]
        labels = [f"{d:%a} {d.day} {d:%b}" for d in dates]
        ax.set_xticks(ticks, labels, fontsize=8 if len(ticks) > 8 else 9)
        ax.set_xlabel("day (ticks at midnight)")
        return
    hours = scenario.horizon / MINUTES_PER_HOUR
    every = next(h for h in (1, 2, 3, 6, 12, 24) if hours / h <= 12)
    ticks = np.arange(0, hours + 1e-9, every)
    ax.set_xticks(ticks, [f"{start + dt.timedelta(hours=float(h)):%a %H:%M}" for h in ticks], fontsize=8)
    ax.set_xlabel("time")


def first_replication(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the lowest replication (all rows when there is no ``replication`` column)."""
    if "replication" not in frame.columns or frame.empty:
        return frame
    return frame[frame["replication"] == frame["replication"].min()]


def shift_changes(scenario: Scenario) -> np.ndarray:
    """Times within the run (after 0, before the horizon) at which a shift of any team or agent group starts or ends."""
    times = {
        t
        for team in scenario.pools
        for on, off, _ in duty_blocks(team, scenario.horizon, scenario.start_weekday)
        for t in (on, off)
    }
    return np.array(sorted(t for t in times if 0 < t < scenario.horizon))


def after_warmup(tickets: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The tickets the KPIs count: those that entered at or after the warm-up (the starting backlog at 0)."""
    return tickets[counted(tickets["arrival"], scenario.warmup)]


def answered_share(tickets: pd.DataFrame, channel: str) -> tuple[np.ndarray, np.ndarray, int]:
    """A channel's sorted answered waits, the share of decided customers answered within each, and how many decided.

    Decided: answered, or abandoned (a miss at every wait). At most ``MAX_ECDF_POINTS`` points are kept.
    """
    mine = tickets[tickets["channel"] == channel]
    decided = int((mine["answered_at"].notna() | (mine["outcome"] == "abandoned")).sum())
    waits = np.sort(mine.loc[mine["answered_at"].notna(), "wait"].to_numpy(dtype=float))
    shares = np.arange(1, len(waits) + 1) / max(decided, 1)
    if len(waits) > MAX_ECDF_POINTS:
        keep = np.linspace(0, len(waits) - 1, MAX_ECDF_POINTS).astype(int)
        waits, shares = waits[keep], shares[keep]
    return waits, shares, decided


def wait_ecdf_plot(tickets: pd.DataFrame, scenario: Scenario) -> Figure:
    """Per channel, the share of customers answered within each wait, with the SLA target marked."""
    counted = after_warmup(tickets, scenario)
    channels = scenario.channels
    cols = min(3, len(channels))
    rows = math.ceil(len(channels) / cols)
    fig = new_figure(max(7.0, 3.6 * cols), 3.4 * rows)
    fig.suptitle("Waiting time to first answer, per channel")
    for i, channel in enumerate(channels):
        ax = fig.add_subplot(rows, cols, i + 1)
        waits, shares, decided = answered_share(counted, channel.name)
        color = PALETTE[i % len(PALETTE)]
        ax.step(
            np.concatenate([[0.0], waits]),
            np.concatenate([[0.0], shares]),
            where="post",
            color=color,
            lw=1.6,
            label="answered within",
        )
        limit = float(np.quantile(waits, 0.95)) if len(waits) else 1.0
        if channel.service_level is not None:
            _target_marks(ax, channel.service_level.target, channel.service_level.goal, waits, shares)
            limit = max(limit, 3 * channel.service_level.target)
        ax.set_xlim(0, max(limit, 1 / SECONDS_PER_MINUTE))
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        time_axis(ax, "x", "wait")
        ax.set_ylabel("share of customers answered")
        ax.set_title(f"{channel.name} (n={decided:,})")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=9.5)
    return fig


def _target_marks(ax, target: float, goal: float, waits: np.ndarray, shares: np.ndarray) -> None:
    """The SLA target (vertical), the goal (horizontal) and the share reached at the target."""
    ax.axvline(target, color="#d62728", ls="--", lw=1.2, label=f"target {format_duration(target)}")
    ax.axhline(goal, color="#555555", ls=":", lw=1.0, label=f"goal {goal:.0%}")
    reached = (
        float(shares[np.searchsorted(waits, target, side="right") - 1]) if len(waits) and waits[0] <= target else 0.0
    )
    ax.plot([target], [reached], "o", color="#d62728")
    ax.annotate(
        f"{share_text(reached)} within target",
        (target, reached),
        xytext=(6, -14),
        textcoords="offset points",
        fontsize=9.5,
        color="#d62728",
    )


def sla_attainment_plot(summary: pd.DataFrame, scenario: Scenario) -> Figure | None:
    """First-response and resolution SLA met per priority, with 95 % intervals."""
    rows = summary.set_index("kpi")
    clocks = {"first_response": ("first response", "#1f77b4"), "resolution": ("resolution", "#2ca02c")}
    present = [p for p in scenario.priorities if any(f"{clock}_attainment.{p}" in rows.index for clock in clocks)]
    if not present:
        return None
    fig = new_figure(max(5.5, 1.4 * len(present) + 2.5), 3.8)
    ax = fig.add_subplot()
    width = 0.38
    x = np.arange(len(present))
    for j, (clock, (name, color)) in enumerate(clocks.items()):
        names = [f"{clock}_attainment.{p}" for p in present]
        means = np.array([rows.loc[n, "mean"] if n in rows.index else np.nan for n in names], dtype=float)
        low = np.array([rows.loc[n, "ci_low"] if n in rows.index else np.nan for n in names], dtype=float)
        high = np.array([rows.loc[n, "ci_high"] if n in rows.index else np.nan for n in names], dtype=float)
        errors = np.vstack([means - np.clip(low, 0, 1), np.clip(high, 0, 1) - means])
        offset = (j - 0.5) * width
        bars = ax.bar(x + offset, np.nan_to_num(means), width, color=color, label=name)
        ax.errorbar(x + offset, means, yerr=np.nan_to_num(errors), fmt="none", ecolor="#222222", capsize=4, lw=1)
        ax.bar_label(
            bars,
            labels=[share_text(m) for m in means],
            label_type="center",
            color="white",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_xticks(x, present)
    ax.set_ylim(0, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("priority")
    ax.set_ylabel("SLA met (share of decided clocks)")
    ax.set_title("SLA attainment per priority, with 95% intervals")
    ax.legend(loc="upper center", fontsize=9, ncols=2)
    ax.grid(axis="y", alpha=0.3)
    return fig


def utilisation_by_hour(levels: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Busy over on-duty agent time per team and agent group (rows) and hour of the week (168 columns); NaN off duty."""
    first = math.floor(scenario.warmup / MINUTES_PER_HOUR)
    last = math.ceil(scenario.horizon / MINUTES_PER_HOUR)
    edges = np.clip(np.arange(first, last + 1) * MINUTES_PER_HOUR, scenario.warmup, scenario.horizon)
    hours = (scenario.start_weekday * HOURS_PER_DAY + np.arange(first, last)) % HOURS_PER_WEEK
    staffed = [p.name for p in scenario.pools if p.agents is not None or p.shifts is not None]
    table = pd.DataFrame(np.nan, index=staffed, columns=range(HOURS_PER_WEEK))
    for team in table.index:
        totals = {}
        for metric in ("busy", "staffed"):
            mine = levels[(levels["team"] == team) & (levels["metric"] == metric)]
            per_bin = np.zeros(len(hours))
            for _, series in by_replication(mine):
                area = step_integral(series["time"].to_numpy(), series["value"].to_numpy(), edges)
                per_bin += np.diff(area)
            totals[metric] = np.bincount(hours, weights=per_bin, minlength=HOURS_PER_WEEK)
        with np.errstate(invalid="ignore", divide="ignore"):
            table.loc[team] = np.where(totals["staffed"] > 1e-9, totals["busy"] / totals["staffed"], np.nan)
    return table


def utilisation_heatmap(levels: pd.DataFrame, scenario: Scenario) -> Figure:
    """Agent utilisation per team and hour of the week; grey where nobody is on duty."""
    table = utilisation_by_hour(levels, scenario)
    fig = new_figure(11, 1.2 + 0.55 * len(table))
    ax = fig.add_subplot()
    cmap: Colormap = colormaps["YlOrRd"].with_extremes(bad="#e6e6e6")
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(table)), table.index)
    ax.set_xticks(np.arange(HOURS_PER_DAY // 2, HOURS_PER_WEEK, HOURS_PER_DAY), WEEKDAYS)  # labels at noon
    ax.set_xticks(np.arange(-0.5, HOURS_PER_WEEK, HOURS_PER_DAY), minor=True)
    ax.grid(which="minor", axis="x", color="white", lw=2)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("hour of the week")
    ax.set_ylabel("team or agent group" if scenario.agent_groups else "team")
    ax.set_title("Agent utilisation by hour of the week (grey: nobody on duty)")
    fig.colorbar(image, ax=ax, label="busy / on duty", format=PercentFormatter(1.0), pad=0.01)
    return fig


def resolution_by_path_plot(tickets: pd.DataFrame, scenario: Scenario) -> Figure | None:
    """Resolution time of resolved tickets per route through the teams (the most common routes)."""
    resolved = after_warmup(tickets, scenario)
    resolved = resolved[(resolved["outcome"] == "resolved") & resolved["resolution_time"].notna()]
    if resolved.empty or "path" not in resolved:
        return None
    counts = resolved["path"].astype(str).value_counts().head(MAX_PATHS)
    paths = list(counts.index[::-1])
    groups = [resolved.loc[resolved["path"].astype(str) == p, "resolution_time"].to_numpy(dtype=float) for p in paths]
    fig = new_figure(10, 1.3 + 0.55 * len(paths))
    ax = fig.add_subplot()
    total = len(resolved)
    labels = [f"{p.replace('>', ' → ')}  ({share_text(counts[p] / total)})" for p in paths]
    ax.boxplot(
        groups,
        orientation="horizontal",
        tick_labels=labels,
        whis=(5, 95),
        showfliers=False,
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": "#aec7e8"},
        medianprops={"color": "#d62728", "lw": 2},
    )
    ax.set_xscale("log")
    time_axis(ax, "x", "resolution time, log scale; box: middle half, whiskers: 5th-95th percentile")
    ax.set_title("Resolution time by route through the teams (share of resolved tickets)")
    ax.grid(axis="x", alpha=0.3, which="both")
    return fig
