"""The optimiser report's pictures: requirement versus rostered agents, and service level per interval.

Both are drawn over one week, Monday to Sunday, from the optimiser's per-interval tables
(``requirement.csv`` and ``service_levels.csv``: a row per weekday and interval). Each interval is
a step as wide as the interval; an interval the table lacks, or one without arrivals (no service
level), is a gap in the line, never 0. The Erlang-only roster is drawn only when the table has it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.core.units import DAYS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.reports.figures import PALETTE, WEEKDAYS, integer_axis, new_figure, share_axis, share_text
from sim.reports.plot_intervals import BELOW, EMPTY, _duration

OPTIMISED = "optimised"
ERLANG_ONLY = "erlang_only"
"""The two rosters of the tables' ``roster`` column (and the requirement table's Erlang-only column)."""

DAYS = [day.lower() for day in WEEKDAYS]
"""Weekdays as the tables name them (``mon`` .. ``sun``), in the order the week is drawn."""

SERIES = {  # colour, line style, width, legend label
    "erlang": ("#8c8c8c", "-", 0.9, "Erlang C/A (each queue alone)"),
    "isa": (PALETTE[1], "-", 1.7, "ISA: needed on the phones"),
    "required": ("#222222", "--", 1.2, "to cover after shrinkage"),
    "rostered": (PALETTE[0], "-", 1.2, "rostered (optimised)"),
    ERLANG_ONLY: (PALETTE[4], ":", 1.8, "Erlang-only roster"),
}
"""How each series of the requirement picture is drawn, the same in every panel."""


def week_steps(table: pd.DataFrame, column: str, interval: float) -> tuple[np.ndarray, np.ndarray]:
    """A column over the week as a step series (x in days from Monday 00:00; NaN where no row or no value).

    Every interval of Monday to Sunday gets a step, so intervals the table lacks or leaves empty
    are gaps in the line rather than a line drawn straight across them.
    """
    per_day = round(MINUTES_PER_DAY / interval)
    values = np.full(DAYS_PER_WEEK * per_day, np.nan)
    day = table["weekday"].str.lower().map(DAYS.index).to_numpy(dtype=int)
    index = day * per_day + np.floor(table["start"].to_numpy(dtype=float) / interval).astype(int)
    values[index] = table[column].to_numpy(dtype=float)
    x = np.arange(len(values) + 1) * interval / MINUTES_PER_DAY
    return x, np.append(values, values[-1])


def week_axis(ax: Axes) -> None:
    """A Monday-to-Sunday axis in days: a gridline at each midnight, the day's name under its middle."""
    ax.set_xlim(0, DAYS_PER_WEEK)
    ax.set_xticks(np.arange(DAYS_PER_WEEK + 1), [""] * (DAYS_PER_WEEK + 1))
    ax.set_xticks(np.arange(DAYS_PER_WEEK) + 0.5, WEEKDAYS, minor=True)
    ax.tick_params(axis="x", which="minor", length=0, labelsize=10)
    ax.grid(axis="x", which="major", color="#888888", alpha=0.5, lw=0.8)


def requirement_plot(requirement: pd.DataFrame, interval: float) -> Figure:
    """Per pool, over the week: the Erlang and ISA requirements, what shifts had to cover, and the rosters."""
    pools = list(dict.fromkeys(requirement["pool"]))
    fig = new_figure(11, 0.8 + 2.4 * len(pools))
    axes = fig.subplots(len(pools), 1, sharex=True, squeeze=False)[:, 0]
    for ax, pool in zip(axes, pools, strict=True):
        mine = requirement[requirement["pool"] == pool]
        x, rostered = week_steps(mine, "rostered", interval)
        color, _, width, label = SERIES["rostered"]
        area = ax.fill_between(x, rostered, step="post", color=color, alpha=0.22, lw=0)
        (edge,) = ax.step(x, rostered, where="post", color=color, lw=width)
        handles: dict[str, object] = {label: (area, edge)}
        for column in ("erlang", "isa", "required", ERLANG_ONLY):  # ISA over Erlang: where equal, orange hides grey
            x, values = week_steps(mine, column, interval)
            if np.isnan(values).all():
                continue  # a run without the Erlang-only comparison
            color, style, width, label = SERIES[column]
            (handles[label],) = ax.step(x, values, where="post", color=color, ls=style, lw=width)
        hours = np.nansum(rostered[:-1]) * interval / MINUTES_PER_HOUR
        peak = np.nanmax(rostered, initial=0)
        ax.set_title(
            f"{pool}: {peak:.0f} agents on duty at the peak, {hours:,.0f} agent-hours a week",
            fontsize=10.5,
            loc="left",
        )
        ax.set_ylim(bottom=0)
        ax.set_ylabel("agents")
        integer_axis(ax, "y")
        ax.grid(axis="y", alpha=0.3)
        week_axis(ax)
    order = [SERIES[k][3] for k in SERIES if SERIES[k][3] in handles]
    axes[0].legend(
        [handles[k] for k in order], order, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False
    )
    axes[-1].set_xlabel(f"day of the week ({_duration(interval)} intervals)")
    return fig


def service_level_plot(levels: pd.DataFrame, interval: float) -> Figure | None:
    """Per channel with a goal: each roster's service level per interval, the optimised one's band, the goal line."""
    levels = levels[levels["goal"].notna()]
    channels = list(dict.fromkeys(levels["channel"]))
    if not channels:
        return None
    fig = new_figure(11, 0.8 + 2.5 * len(channels))
    axes = fig.subplots(len(channels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, channel in zip(axes, channels, strict=True):
        mine = levels[levels["channel"] == channel]
        _service_panel(ax, mine, interval)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
        week_axis(ax)
    axes[-1].set_xlabel(f"day of the week ({_duration(interval)} intervals)")
    return fig


def _service_panel(ax: Axes, levels: pd.DataFrame, interval: float) -> None:
    """One channel's panel: no-arrival bands, the optimised band and line, the Erlang-only line, the goal."""
    goal, target = float(levels["goal"].iloc[0]), float(levels["target"].iloc[0])
    optimised = levels[levels["roster"] == OPTIMISED]
    x, level = week_steps(optimised, "service_level", interval)
    _blank_bands(ax, x, np.isnan(level[:-1]))
    if {"ci_low", "ci_high"} <= set(optimised.columns):
        _, low = week_steps(optimised, "ci_low", interval)
        _, high = week_steps(optimised, "ci_high", interval)
        ax.fill_between(x, low, high, step="post", color=PALETTE[0], alpha=0.18, lw=0, label="95 % interval")
    ax.step(x, level, where="post", color=PALETTE[0], lw=1.4, label="optimised roster (mean)")
    title = f"{levels['channel'].iloc[0]}, answered within {_duration(target)} — intervals meeting the goal: "
    title += f"optimised {_met_count(level, goal)}"
    erlang_only = levels[levels["roster"] == ERLANG_ONLY]
    if not erlang_only.empty:
        _, other = week_steps(erlang_only, "service_level", interval)
        color, style, width, _ = SERIES[ERLANG_ONLY]
        ax.step(x, other, where="post", color=color, ls=style, lw=width, label="Erlang-only roster (mean)")
        title += f", Erlang-only {_met_count(other, goal)}"
    _below_goal(ax, x, level, goal)
    ax.axhline(goal, color="#333333", ls="--", lw=1.1, label=f"goal {share_text(goal)}")
    ax.set_title(title, fontsize=10.5, loc="left")
    ax.set_ylim(0, 1.04)
    share_axis(ax, "y")
    ax.set_ylabel("service level")
    ax.grid(axis="y", alpha=0.3)


def _met_count(level: np.ndarray, goal: float) -> str:
    """``301 of 336`` intervals whose mean met the goal (intervals with arrivals only)."""
    known = level[:-1][~np.isnan(level[:-1])]
    return f"{int((known >= goal - 1e-12).sum())} of {len(known)}"


def _below_goal(ax: Axes, x: np.ndarray, level: np.ndarray, goal: float) -> None:
    """Red bars from the optimised roster's mean up to the goal where it falls short, as in the run report."""
    below = level[:-1] < goal - 1e-12  # NaN (no arrivals) compares False: never marked
    if below.any():
        width = np.diff(x)[below]
        ax.bar(
            x[:-1][below],
            goal - level[:-1][below],
            width,
            bottom=level[:-1][below],
            align="edge",
            color=BELOW,
            alpha=0.35,
            lw=0,
            label="optimised below goal",
        )


def _blank_bands(ax: Axes, x: np.ndarray, empty: np.ndarray) -> None:
    """Grey bands over each run of intervals without a service level (no arrivals), one legend entry."""
    edges = np.diff(np.concatenate([[0], empty.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        ax.axvspan(x[start], x[end], color=EMPTY, alpha=0.35, lw=0, label="no arrivals" if i == 0 else "_")
