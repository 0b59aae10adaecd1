"""The fit report's escalation flow: the paths the calibration found in the export, drawn as a flow diagram.

``path_flow_plot`` takes a ``Calibration`` and returns a matplotlib ``Figure`` on the Agg canvas, or
``None`` when the export holds no paths (no events): per category, an arrow from new tickets into
each team tickets started at, an arrow for each escalation between teams with its share of the
team's stays, and under each team the share of its stays it resolved. Boxes and arrows are the run
report's (``sim.reports.plot_flow``), with the columns set wider apart. It is apart from the other
fit pictures because it draws a graph, not a fitted distribution against its data.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from sim.calibration.calibrate import Calibration
from sim.calibration.fit_paths import CategoryPath
from sim.reports.figures import new_figure, share_text
from sim.reports.plot_flow import (
    COLUMN_GAP,
    ENTRY,
    NODE_HEIGHT,
    NODE_WIDTH,
    ROW_GAP,
    Flow,
    arrow_bends,
    draw_arrow,
    draw_box,
)

MAX_FLOW_CATEGORIES = 12
"""Categories drawn in the escalation flow (the largest); every one is in the report's tables."""


def category_flows(path: CategoryPath, starts: pd.Series) -> list[Flow]:
    """Arrows of one category: new tickets into each first group (``starts``: tickets per group), then escalations."""
    arrows = [Flow(ENTRY, str(group), "arrival", float(count)) for group, count in starts.items() if count]
    for team, outcome in path.pooled.items():
        for target, count in outcome.destinations.items():
            share = share_text(count / outcome.stays) if outcome.stays else ""
            arrows.append(Flow(team, target, "escalated", float(count), f"{share} of its stays"))
    return arrows


def flow_columns(arrows: list[Flow]) -> dict[str, int]:
    """Each box's column: its longest run of forward arrows from new tickets.

    An arrow back to a team already on the way (a bounce, a reopened ticket sent back) is left out of
    the ranking, found by a depth-first walk that follows the heaviest arrows first.
    """
    out: dict[str, list[Flow]] = {}
    for a in sorted(arrows, key=lambda a: -a.volume):
        out.setdefault(a.source, []).append(a)
    forward: list[Flow] = []
    state: dict[str, int] = {}  # 1: on the walk's stack, 2: done
    order: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        for a in out.get(node, []):
            if state.get(a.target) == 1:
                continue  # closes a loop: drawn, but not ranked
            forward.append(a)
            if a.target not in state:
                walk(a.target)
        state[node] = 2
        order.append(node)

    walk(ENTRY)
    column = dict.fromkeys(order, 0)
    for node in reversed(order):  # a topological order of the forward arrows
        for a in forward:
            if a.source == node:
                column[a.target] = max(column[a.target], column[node] + 1)
    return column


def flow_layout(arrows: list[Flow], gap: float) -> dict[str, tuple[float, float]]:
    """Box centres: new tickets on the left, each team in its ``flow_columns`` column ``gap`` apart, stacked."""
    members: dict[int, list[str]] = {}
    for name, c in flow_columns(arrows).items():
        members.setdefault(c, []).append(name)
    positions = {}
    for c, names in members.items():
        for row, name in enumerate(names):
            positions[name] = (c * gap, ((len(names) - 1) / 2 - row) * ROW_GAP)
    return positions


def flow_extent(
    arrows: list[Flow], bends: list[float], positions: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    """The lowest and highest y a panel must show: boxes with the text under them, and every bent arrow's label."""
    ys = [y for _, y in positions.values()]
    bottom, top = min(ys) - NODE_HEIGHT / 2 - 0.85, max(ys) + NODE_HEIGHT / 2 + 0.45
    for flow, bend in zip(arrows, bends, strict=True):
        (x0, y0), (x1, y1) = positions[flow.source], positions[flow.target]
        middle = (y0 + y1) / 2 - 0.5 * bend * (x1 - x0)  # where ``draw_arrow`` writes the label
        bottom, top = min(bottom, middle - 0.4), max(top, middle + 0.4)
    return bottom, top


FLOW_GAP = 1.5 * COLUMN_GAP
"""Columns of the fit's flow stand wider apart than the run report's: each box has its resolve share under it."""


def path_flow_plot(calibration: Calibration) -> Figure | None:
    """Per category: tickets into their first team, escalations between teams, each team's resolve share."""
    paths = calibration.paths.categories
    if not paths:
        return None
    shown = sorted(paths.values(), key=lambda p: -p.n)[:MAX_FLOW_CATEGORIES]
    tickets = calibration.export.tickets
    first = tickets[tickets["group"].astype(str) != ""].groupby("category")["group"].value_counts()
    drawn: list[tuple[CategoryPath, list[tuple[Flow, float]], dict[str, tuple[float, float]], tuple[float, float]]] = []
    for path in shown:
        starts = first.loc[path.category] if path.category in first.index.get_level_values(0) else pd.Series()
        arrows = category_flows(path, starts)
        positions = flow_layout(arrows, FLOW_GAP)
        # the run report's bends expect its own column gap: hand them the layout at that scale
        bends = arrow_bends(arrows, {name: (x * COLUMN_GAP / FLOW_GAP, y) for name, (x, y) in positions.items()})
        drawn.append((path, list(zip(arrows, bends, strict=True)), positions, flow_extent(arrows, bends, positions)))
    widest = max(max(x for x, _ in pos.values()) for _, _, pos, _ in drawn) + 2.4 * NODE_WIDTH
    inches = 10.6 / widest  # per data unit: the boxes keep their size in every panel
    heights = [0.45 + (top - bottom) * inches for *_, (bottom, top) in drawn]
    fig = new_figure(11, sum(heights))
    axes = fig.subplots(len(drawn), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, (path, bent, positions, (bottom, top)) in zip(axes, drawn, strict=True):
        boxes = {name: draw_box(ax, name, xy, None) for name, xy in positions.items()}
        biggest = max((f.volume for f, _ in bent), default=1.0)
        for flow, bend in bent:
            draw_arrow(ax, flow, boxes, positions, bend, biggest)
        for team, (x, y) in positions.items():
            outcome = path.pooled.get(team)
            if team == ENTRY or outcome is None:
                continue
            detail = f"resolves {share_text(outcome.resolve_probability, 1)}\nof {outcome.stays:,} stays"
            if outcome.open:
                detail += f"\n{outcome.open:,} still open"
            ax.text(x, y - NODE_HEIGHT / 2 - 0.06, detail, ha="center", va="top", fontsize=8.5, color="#333333")
        ax.set_xlim(-NODE_WIDTH * 1.2, widest - NODE_WIDTH * 1.2)
        ax.set_ylim(bottom, top)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(
            f"{path.category}: {path.n:,} tickets; fitted path {' → '.join(path.path)}", fontsize=10.5, loc="left"
        )
    return fig
