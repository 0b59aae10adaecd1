"""Pictures of a what-if: the base and the variant drawn on the same axes, for the app's page.

``wait_comparison_plot`` shows, per channel, the share of customers answered within each wait;
``backlog_comparison_plot`` the tickets waiting over the run, all teams together and per team.
Each takes the two runs' tables by label (base first) and the base scenario; both runs cover the
same days, so one time axis serves both. Like ``plots``, no pyplot: any thread can draw them.
``whatif_pictures`` draws them all, with each run's flow diagram, as inline PNGs for the app.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.experiments.replications import RunResult
from sim.reports.figures import new_figure, png_bytes, step_values, time_axis, time_scale
from sim.reports.plot_flow import escalation_flow_plot
from sim.reports.plots import after_warmup, answered_share, by_replication, weekday_axis
from sim.scenario.spec import Scenario

BASE_COLOR = "#7f7f7f"
VARIANT_COLOR = "#1f77b4"
"""Grey for the scenario as it is, blue for the variant: the variant is what the room looks at."""
TARGET_COLOR = "#d62728"
MAX_TEAM_PANELS = 8
SCREEN_DPI = 96
"""The page scales its pictures to its width: screen resolution is enough."""


@dataclass(frozen=True)
class ScreenPicture:
    """A picture for a page: its key (``flow:<label>``, ``waits``, ``backlog``), its caption and an inline PNG."""

    key: str
    caption: str
    source: str


def data_url(fig: Figure) -> str:
    """The figure as an inline PNG a page shows without a request."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig, SCREEN_DPI)).decode("ascii")


def whatif_pictures(runs: Mapping[str, RunResult], base: Scenario) -> list[ScreenPicture]:
    """Each run's escalation flow, then the waits and the backlog of all runs drawn together (base first)."""
    pictures = []
    for label, result in runs.items():
        flow = escalation_flow_plot(result.tickets, result.events, result.scenario)
        if flow is not None:
            pictures.append(ScreenPicture(f"flow:{label}", label, data_url(flow)))
    tickets = {label: result.tickets for label, result in runs.items()}
    levels = {label: result.levels for label, result in runs.items()}
    pictures.append(ScreenPicture("waits", "waits", data_url(wait_comparison_plot(tickets, base))))
    pictures.append(ScreenPicture("backlog", "backlog", data_url(backlog_comparison_plot(levels, base))))
    return pictures


def colors(labels: list[str]) -> dict[str, str]:
    """The base grey, the variant blue."""
    return dict(zip(labels, [BASE_COLOR, VARIANT_COLOR], strict=False))


def wait_comparison_plot(tickets: Mapping[str, pd.DataFrame], scenario: Scenario) -> Figure:
    """Per channel: share of customers answered within each wait, base and variant, SLA target marked."""
    labels = list(tickets)
    palette = colors(labels)
    counted = {label: after_warmup(frame, scenario) for label, frame in tickets.items()}
    channels = scenario.channels
    cols = min(2, len(channels))
    rows = math.ceil(len(channels) / cols)
    fig = new_figure(5.2 * cols, 3.3 * rows)
    fig.suptitle("Waiting time to first answer: share of customers answered within each wait")
    for i, channel in enumerate(channels):
        ax = fig.add_subplot(rows, cols, i + 1)
        largest = 1.0
        for label in labels:
            waits, shares, _ = answered_share(counted[label], channel.name)
            ax.step(np.r_[0.0, waits], np.r_[0.0, shares], where="post", color=palette[label], lw=1.8, label=label)
            if len(waits):
                largest = max(largest, float(np.quantile(waits, 0.95)))
        if channel.service_level is not None:
            target = channel.service_level.target
            ax.axvline(target, color=TARGET_COLOR, ls="--", lw=1.1, label="answer target")
            largest = max(largest, 3 * target)
        ax.set_xlim(0, largest)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(lambda value, _: f"{100 * value:.0f}%")
        time_axis(ax, "x", "wait")
        ax.set_ylabel("answered within")
        ax.set_title(channel.name)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8.5)
    return fig


def mean_waiting(levels: pd.DataFrame, teams: list[str], grid: np.ndarray) -> np.ndarray:
    """Tickets waiting in ``teams``' queues at each time of ``grid``, averaged over replications."""
    queue = levels[(levels["metric"] == "queue") & levels["team"].isin(teams)]
    curves = []
    for _, rows in by_replication(queue):
        total = np.zeros_like(grid)
        for _, series in rows.groupby("team"):
            total += step_values(series["time"].to_numpy(), series["value"].to_numpy(), grid)
        curves.append(total)
    return np.mean(curves, axis=0) if curves else np.zeros_like(grid)


def backlog_comparison_plot(levels: Mapping[str, pd.DataFrame], scenario: Scenario) -> Figure:
    """Tickets waiting over the run, base and variant: all teams together, then each team."""
    labels = list(levels)
    palette = colors(labels)
    scale, _ = time_scale(scenario.horizon)
    grid = np.linspace(0.0, scenario.horizon, int(min(1500, max(200, scenario.horizon / 5))))
    teams = [t.name for t in scenario.teams][:MAX_TEAM_PANELS]
    panels = [("all teams", teams), *[(team, [team]) for team in teams]]
    cols = 3
    rows = math.ceil(len(panels) / cols)
    fig = new_figure(11, 1.2 + 2.3 * rows)
    fig.suptitle("Backlog: tickets waiting in queue (mean over replications)")
    axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
    for ax, (title, members) in zip(axes, panels, strict=False):
        for label in labels:
            ax.plot(grid / scale, mean_waiting(levels[label], members, grid), color=palette[label], lw=1.3, label=label)
        if scenario.warmup > 0:
            ax.axvspan(0, scenario.warmup / scale, color="#999999", alpha=0.15, label="warm-up")
        ax.set_title(title, fontsize=10)
        ax.set_xlim(0, scenario.horizon / scale)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        weekday_axis(ax, scenario, scale)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7.5)
        ax.set_xlabel("")
    for ax in axes[len(panels) :]:
        ax.axis("off")
    axes[0].legend(loc="upper left", fontsize=8.5)
    for ax in axes[::cols]:
        ax.set_ylabel("tickets waiting")
    return fig
