"""The app's pictures of an answer: both escalation flows, the wait distributions and the backlog, as PNG."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from matplotlib.figure import Figure

from sim.app.whatif import Answer
from sim.reports.plot_flow import escalation_flow_plot
from sim.reports.plots import png_bytes
from sim.reports.plots_whatif import backlog_comparison_plot, wait_comparison_plot

DPI = 96
"""Screen resolution: the page scales the pictures to its width."""


@dataclass(frozen=True)
class Picture:
    """A picture for the page: its key (the tab), its caption and the PNG as a data URL."""

    key: str
    caption: str
    source: str


def data_url(fig: Figure) -> str:
    """The figure as an inline PNG the page can show without a request."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(fig, DPI)).decode("ascii")


def answer_pictures(answer: Answer) -> list[Picture]:
    """Flow diagrams of base and variant (one each), then waits and backlog drawn for both."""
    base = answer.comparison.scenarios[answer.base]
    pictures = []
    for label, result in answer.runs.items():
        flow = escalation_flow_plot(result.tickets, result.events, result.scenario)
        if flow is not None:
            pictures.append(Picture(f"flow:{label}", label, data_url(flow)))
    tickets = {label: result.tickets for label, result in answer.runs.items()}
    levels = {label: result.levels for label, result in answer.runs.items()}
    pictures.append(Picture("waits", "waits", data_url(wait_comparison_plot(tickets, base))))
    pictures.append(Picture("backlog", "backlog", data_url(backlog_comparison_plot(levels, base))))
    return pictures
