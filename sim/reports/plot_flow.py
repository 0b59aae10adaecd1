"""The escalation flow diagram: where tickets enter, and how they move between teams.

Teams are boxes laid out in columns by tier (new tickets enter from the left); an arrow from
"new tickets" to a team carries the tickets that started there (where routing sent them, or a
VIP or regulatory rule on arrival), and an arrow between two teams carries the transfers of one
kind (hierarchical, functional, automatic) from one to the other. The transfer arrows count
exactly what the KPIs count as handoffs: the tickets that arrived after the warm-up, each
transfer once, so they sum to handoffs per ticket × tickets. A swarm consult an expert took up
is drawn as a *consult*, and a supervisor's sign-off as an *approval*: in both the ticket stayed
where it was. An arrow's width is proportional to its volume, and its label gives the volume per
replication. Drawn with matplotlib patches only, so no graph-layout tool is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from sim.engine.records import escalations_from
from sim.reports.figures import new_figure
from sim.reports.plots import after_warmup, by_replication
from sim.scenario.matching import route
from sim.scenario.spec import Scenario

ENTRY = "new tickets"
KIND_COLORS = {
    "arrival": "#9e9e9e",
    "hierarchical": "#d62728",
    "functional": "#1f77b4",
    "automatic": "#9467bd",
    "consult": "#2ca02c",
    "approval": "#ff7f0e",
}
STAYS = ("consult", "approval")
"""Arrow kinds in which the ticket stayed with its team: not handoffs."""
NODE_WIDTH, NODE_HEIGHT = 1.5, 0.62
COLUMN_GAP, ROW_GAP = 3.0, 1.45
MAX_WIDTH = 14.0
MOVE_COLUMNS = ["replication", "ticket", "source", "target", "kind", "reason"]


@dataclass(frozen=True)
class Flow:
    """One arrow: ``volume`` tickets per replication from ``source`` to ``target`` by ``kind``, and why."""

    source: str
    target: str
    kind: str
    volume: float
    reasons: str = ""


def flows(tickets: pd.DataFrame, events: pd.DataFrame, scenario: Scenario) -> list[Flow]:
    """The arrows: ``flow_moves`` counted per (source, target, kind), per replication; arrivals first."""
    moves = flow_moves(tickets, events, scenario)
    counted = after_warmup(tickets, scenario)
    replications = max(counted["replication"].nunique() if "replication" in counted else 1, 1)
    arrivals = moves.loc[moves["kind"] == "arrival", "target"].value_counts()
    teams = [t.name for t in scenario.teams]
    out = [Flow(ENTRY, team, "arrival", arrivals[team] / replications) for team in teams if arrivals.get(team, 0)]
    rest = moves[moves["kind"] != "arrival"]
    for (source, target, kind), group in rest.groupby(["source", "target", "kind"], sort=True):
        reasons = ", ".join(group["reason"].value_counts().head(2).index)
        out.append(Flow(str(source), str(target), str(kind), len(group) / replications, reasons))
    return out


def flow_moves(tickets: pd.DataFrame, events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """One row per arrow's ticket, for the tickets the KPIs count (those that arrived after the warm-up).

    Columns: replication, ticket, source, target, kind, reason. ``kind`` is ``arrival`` (into the
    ticket's first team: where routing sent it, or where a VIP or regulatory rule sent it on
    arrival, which is no transfer out of the routed team); an escalation kind (hierarchical,
    functional, automatic) for a transfer, which is exactly what the KPIs count as a handoff;
    ``consult`` (an expert took up a swarm consult) or ``approval`` (a supervisor's sign-off),
    in both of which the ticket stayed. A consult request no expert took up is no arrow; the
    transfer that followed it is one.
    """
    counted = after_warmup(tickets, scenario)
    frames = [pd.DataFrame(columns=MOVE_COLUMNS)]
    logs = dict(iter(by_replication(events)))
    for replication, mine in by_replication(counted):
        log = logs.get(replication, events.iloc[:0])
        frames.append(_moves_of(int(replication), mine, log, scenario))
    moves = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return moves.astype({"replication": int, "ticket": int})


def _moves_of(replication: int, tickets: pd.DataFrame, log: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """``flow_moves`` of one replication."""
    pairs = tickets[["channel", "category"]].astype(str).drop_duplicates()
    routed = {(ch, cat): route(scenario.routing, ch, cat) for ch, cat in pairs.itertuples(index=False)}
    first = tickets["first_team"].astype(str).to_numpy()
    rerouted = {
        int(ticket)
        for ticket, ch, cat, team in zip(
            tickets["ticket"], tickets["channel"].astype(str), tickets["category"].astype(str), first, strict=True
        )
        if routed[ch, cat] != team
    }
    arrivals = pd.DataFrame(
        {"ticket": tickets["ticket"].to_numpy(), "source": ENTRY, "target": first, "kind": "arrival", "reason": ""}
    )
    moves = escalation_moves(log[log["ticket"].isin(tickets["ticket"])])
    # a rule on arrival (VIP, regulatory) sent the ticket elsewhere before any team held it: its
    # first escalation, which the arrival arrow into its first team already shows
    on_arrival = moves["ticket"].isin(rerouted) & ~moves.duplicated("ticket")
    moves = moves[~on_arrival].rename(columns={"from_team": "source", "to_team": "target"})
    both = pd.concat([arrivals, moves[["ticket", "source", "target", "kind", "reason"]]], ignore_index=True)
    return both.assign(replication=replication)[MOVE_COLUMNS]


def escalation_moves(events: pd.DataFrame) -> pd.DataFrame:
    """The escalations of an event log that moved a ticket or brought an expert to it, in log order.

    Transfers keep their kind; an approval is of kind ``approval``. Under swarming the log
    records ``escalated`` (reason ``consult``) when the frontline agent asks for a consult: if the
    consult starts (``task_started``) before the ticket escalates again, the ticket stayed with
    the frontline and only the expert's time moved (kind ``consult``); if nobody took it up the
    request moved nothing and is left out (the transfer that follows is logged on its own).
    """
    frames = []
    for _, log in by_replication(events):
        moves = escalations_from(log).reset_index(drop=True)
        moves.loc[moves["reason"] == "approval", "kind"] = "approval"  # a sign-off: the ticket stayed
        outcomes = log[log["event"].isin(["task_started", "task_cancelled"]) & (log["detail"] == "consult")]
        moves = _answered_consults(moves, outcomes)
        frames.append(moves[(moves["reason"] != "consult") | (moves["kind"] == "consult")])
    return pd.concat(frames, ignore_index=True) if frames else escalations_from(events)


def _answered_consults(moves: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """``moves``, with consult requests an expert took up (before the next escalation) of kind ``consult``."""
    requests = moves["reason"] == "consult"
    if not requests.any() or outcomes.empty:
        return moves
    order = moves.assign(row=np.arange(len(moves))).sort_values("time", kind="stable")
    order["next"] = order.groupby("ticket")["time"].shift(-1)
    found = pd.DataFrame(
        {
            "at": outcomes["time"].to_numpy(dtype=float),
            "ticket": outcomes["ticket"].to_numpy(),
            "outcome": outcomes["event"].astype(str).to_numpy(),
        }
    ).sort_values("at", kind="stable")
    merged = pd.merge_asof(order, found, left_on="time", right_on="at", by="ticket", direction="forward")
    answered = (
        (merged["outcome"] == "task_started") & ~(merged["at"] > merged["next"]) & (merged["reason"] == "consult")
    )
    moves = moves.copy()
    moves.loc[merged.loc[answered, "row"].to_numpy(), "kind"] = "consult"
    return moves


def layout(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Box centres: new tickets on the left, then a column per tier, teams stacked in scenario order."""
    tiers = sorted({t.tier for t in scenario.teams})
    positions = {ENTRY: (0.0, 0.0)}
    for column, tier in enumerate(tiers, start=1):
        members = [t.name for t in scenario.teams if t.tier == tier]
        for row, name in enumerate(members):
            positions[name] = (column * COLUMN_GAP, ((len(members) - 1) / 2 - row) * ROW_GAP)
    return positions


def escalation_flow_plot(tickets: pd.DataFrame, events: pd.DataFrame, scenario: Scenario) -> Figure | None:
    """Teams as boxes, arrivals and escalations as arrows of width proportional to volume."""
    if events.empty:
        return None
    arrows = flows(tickets, events, scenario)
    positions = layout(scenario)
    resolved = _resolved_per_team(tickets, scenario)
    columns = 1 + len({t.tier for t in scenario.teams})
    tallest = max(sum(1 for t in scenario.teams if t.tier == tier) for tier in {t.tier for t in scenario.teams})
    fig = new_figure(max(7.0, 2.6 * columns), max(2.9, 1.35 * tallest + 1.4))
    ax = fig.add_subplot()
    boxes = {name: draw_box(ax, name, xy, resolved.get(name)) for name, xy in positions.items()}
    biggest = max((f.volume for f in arrows), default=1.0)
    for flow, bend in zip(arrows, arrow_bends(arrows, positions), strict=True):
        draw_arrow(ax, flow, boxes, positions, bend, biggest)
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    ax.set_xlim(min(xs) - NODE_WIDTH, max(xs) + NODE_WIDTH)
    ax.set_ylim(min(ys) - 0.8 * ROW_GAP, max(ys) + 0.8 * ROW_GAP)
    ax.set_aspect("equal")
    ax.axis("off")
    kinds = [k for k in KIND_COLORS if any(f.kind == k for f in arrows)]
    handles = [FancyArrowPatch((0, 0), (1, 0), color=KIND_COLORS[k], label=_kind_label(k)) for k in kinds]
    ax.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, -0.08), ncols=len(kinds), fontsize=8, frameon=False
    )
    fig.suptitle("Escalation flow: tickets per replication (arrow width ∝ volume)")
    return fig


def _kind_label(kind: str) -> str:
    labels = {
        "arrival": "new tickets into their first team",
        "consult": "swarm consult (ticket stays)",
        "approval": "approval (ticket stays)",
    }
    return labels.get(kind, f"{kind} transfer")


def _resolved_per_team(tickets: pd.DataFrame, scenario: Scenario) -> dict[str, float]:
    counted = after_warmup(tickets, scenario)
    replications = max(counted["replication"].nunique() if "replication" in counted else 1, 1)
    done = counted[counted["outcome"] == "resolved"]
    return {str(team): n / replications for team, n in done["resolving_team"].astype(str).value_counts().items()}


def draw_box(ax: Axes, name: str, xy: tuple[float, float], resolved: float | None) -> FancyBboxPatch:
    """A team's box with its name and the tickets it resolves per replication."""
    x, y = xy
    entry = name == ENTRY
    box = FancyBboxPatch(
        (x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2),
        NODE_WIDTH,
        NODE_HEIGHT,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        fc="#f2f2f2" if entry else "#fff7e0",
        ec="#555555",
        lw=1.2,
        zorder=3,
    )
    ax.add_patch(box)
    ax.text(
        x,
        y + (0 if entry or resolved is None else 0.1),
        name,
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        zorder=4,
    )
    if not entry and resolved is not None:
        ax.text(
            x, y - 0.15, f"resolves {resolved:,.0f}", ha="center", va="center", fontsize=7.5, color="#444444", zorder=4
        )
    return box


def arrow_bends(arrows: list[Flow], positions: dict[str, tuple[float, float]]) -> list[float]:
    """Arc curvature per arrow: parallel arrows of one pair bow out to alternate sides; within a column, more."""
    seen: dict[tuple[str, str], int] = {}
    bends = []
    for flow in arrows:
        pair = (flow.source, flow.target)
        order = seen.get(pair, 0)
        seen[pair] = order + 1
        same_column = positions[flow.source][0] == positions[flow.target][0]
        if flow.kind == "arrival":  # past the first column: bow around the frontline's boxes, not through them
            beyond = positions[flow.target][0] > COLUMN_GAP
            bends.append((0.3 if positions[flow.target][1] <= 0 else -0.3) if beyond else 0.0)
            continue
        base = 0.45 if same_column else 0.22
        bends.append((base + 0.3 * (order // 2)) * (1 if order % 2 == 0 else -1))
    return bends


def draw_arrow(
    ax: Axes,
    flow: Flow,
    boxes: dict[str, FancyBboxPatch],
    positions: dict[str, tuple[float, float]],
    bend: float,
    biggest: float,
) -> None:
    """One arrow of width proportional to its volume, labelled with kind and volume at its middle."""
    start, end = np.array(positions[flow.source]), np.array(positions[flow.target])
    width = 0.8 + MAX_WIDTH * flow.volume / biggest
    color = KIND_COLORS.get(flow.kind, "#333333")
    arrow = FancyArrowPatch(
        tuple(start),
        tuple(end),
        patchA=boxes[flow.source],
        patchB=boxes[flow.target],
        connectionstyle=f"arc3,rad={bend}",
        arrowstyle="-|>",
        mutation_scale=12 + width,
        lw=width,
        color=color,
        alpha=0.75,
        zorder=2,
        label=f"{flow.source}>{flow.target}",
    )
    ax.add_patch(arrow)
    dx, dy = end - start
    middle = (start + end) / 2 + 0.5 * bend * np.array([dy, -dx])
    volume = f"{flow.volume:,.0f}" if flow.volume >= 10 else f"{flow.volume:.1f}"
    if flow.kind == "arrival":
        y, va = (middle[1], "center") if bend else (middle[1] + NODE_HEIGHT / 2, "bottom")
        ax.text(
            middle[0],
            y,
            volume,
            ha="center",
            va=va,
            fontsize=9,
            color="#555555",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85} if bend else None,
        )
        return
    ax.text(
        middle[0],
        middle[1],
        f"{flow.kind} {volume}\n({flow.reasons})",
        ha="center",
        va="center",
        fontsize=8.5,
        color=color,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )
