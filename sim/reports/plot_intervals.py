"""The per-interval picture: each channel's service level interval by interval against its goal, and occupancy.

Drawn from the interval tables of ``sim.analysis.intervals`` (means over replications with their 95 %
intervals). Every interval is a step as wide as the interval; intervals in which no ticket arrived are
gaps on a grey band, never 0 % or 100 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.core.units import format_duration
from sim.reports.figures import PALETTE, new_figure, share_axis, time_scale
from sim.reports.plots import weekday_axis
from sim.scenario.spec import Scenario

BELOW = "#d62728"
"""The colour of service below the goal."""
EMPTY = "#bbbbbb"
"""The colour of intervals without arrivals."""


def interval_plot(channels: pd.DataFrame, teams: pd.DataFrame, scenario: Scenario) -> Figure | None:
    """Service level per interval for each channel with a goal (goal line, misses in red) over occupancy per team."""
    goals = [c for c in scenario.channels if c.service_level is not None]
    if channels.empty and teams.empty:
        return None
    scale, _ = time_scale(scenario.horizon)
    fig = new_figure(11, 1.0 + 2.3 * (len(goals) + 1))
    axes = fig.subplots(len(goals) + 1, 1, sharex=True, squeeze=False)[:, 0]
    length = format_duration(scenario.reporting.minutes, "m", 0)
    for i, ax in enumerate(axes):
        if scenario.warmup > 0:
            label = "warm-up (not counted)" if i == 0 else "_"
            ax.axvspan(0, scenario.warmup / scale, color="#999999", alpha=0.15, hatch="//", lw=0, label=label)
        ax.set_xlim(0, scenario.horizon / scale)
        ax.grid(axis="x", alpha=0.25)
    for ax, channel, color in zip(axes, goals, PALETTE, strict=False):
        assert channel.service_level is not None
        mine = channels[channels["channel"] == channel.name].sort_values("start")
        goal = channel.service_level.goal
        starts, widths = mine["start"].to_numpy(dtype=float) / scale, (mine["end"] - mine["start"]).to_numpy() / scale
        level = mine["service_level"].to_numpy(dtype=float)
        low = mine["service_level_ci_low"].to_numpy(dtype=float)
        high = mine["service_level_ci_high"].to_numpy(dtype=float)
        _empty_bands(ax, mine, scale)
        # bars, one per interval: a lone interval between intervals without data keeps its width
        ax.bar(
            starts, high - low, widths, bottom=low, align="edge", color=color, alpha=0.15, lw=0, label="95% interval"
        )
        x, line = _steps(mine, "service_level", scale)
        ax.step(x, line, where="post", color=color, lw=1.3, label="service level (mean)")
        below = level < goal - 1e-12
        ax.bar(
            starts[below],
            goal - level[below],
            widths[below],
            bottom=level[below],
            align="edge",
            color=BELOW,
            alpha=0.35,
            lw=0,
            label="below goal",
        )
        ax.axhline(goal, color="#333333", ls="--", lw=1.1, label=f"goal {goal:.0%}")
        known = mine["service_level"].notna()
        met = int((mine.loc[known, "service_level"] >= goal - 1e-12).sum())
        ax.set_title(
            f"{channel.name}: answered within {_duration(channel.service_level.target)}, per {length} interval "
            f"(mean met the goal in {met} of {int(known.sum())} intervals)",
            fontsize=10.5,
            loc="left",
        )
        ax.set_ylim(0, 1.04)
        share_axis(ax, "y")
        ax.set_ylabel("service level")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
        ax.grid(axis="y", alpha=0.3)
    occupancy = axes[-1]
    for i, team in enumerate(sorted(set(teams["team"]), key=list(teams["team"]).index)):
        mine = teams[teams["team"] == team].sort_values("start")
        x, values = _steps(mine, "occupancy", scale)
        occupancy.step(x, values, where="post", color=PALETTE[i % len(PALETTE)], lw=1.2, label=team)
    occupancy.set_ylim(0, 1.04)
    share_axis(occupancy, "y")
    occupancy.set_ylabel("occupancy")
    occupancy.set_title(
        f"Occupancy per {length} interval: busy over available agent time (gaps: nobody on duty)",
        fontsize=10.5,
        loc="left",
    )
    occupancy.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False, title="team or group")
    occupancy.grid(axis="y", alpha=0.3)
    weekday_axis(occupancy, scenario, scale)
    if len(occupancy.get_xticks()) > 8:  # day names over dates, so that two weeks of ticks do not touch
        occupancy.set_xticks(
            occupancy.get_xticks(), [t.get_text().replace(" ", "\n", 1) for t in occupancy.get_xticklabels()]
        )
    return fig


def _duration(minutes: float) -> str:
    """A target as people say it: ``30s``, ``5m``, ``2.5h`` (no trailing ``.0``)."""
    text = format_duration(minutes)
    return text.replace(".0", "") if text[:-1].endswith(".0") else text


def _steps(table: pd.DataFrame, column: str, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The x (interval starts, then the last end) and values (the last repeated) for a step drawn ``where='post'``."""
    x = np.append(table["start"].to_numpy(dtype=float), table["end"].to_numpy(dtype=float)[-1:]) / scale
    values = table[column].to_numpy(dtype=float)
    return x, np.append(values, values[-1:])


def _empty_bands(ax: Axes, table: pd.DataFrame, scale: float) -> None:
    """Grey bands over runs of intervals in which no ticket arrived (one legend entry)."""
    empty = (table["offered"] == 0).to_numpy()
    starts, ends = table["start"].to_numpy(dtype=float), table["end"].to_numpy(dtype=float)
    label = "no arrivals"
    i = 0
    while i < len(empty):
        if not empty[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(empty) and empty[j + 1]:
            j += 1
        ax.axvspan(starts[i] / scale, ends[j] / scale, color=EMPTY, alpha=0.35, lw=0, label=label)
        label = "_"
        i = j + 1
