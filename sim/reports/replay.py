"""The animated replay of one simulated day: a self-contained HTML page a trainer projects to a room.

``replay_data(result, day, replication)`` cuts one day (the window ``[day * 1440, (day + 1) * 1440)``
minutes, cut at the horizon) of one replication out of a run's records into a small JSON-able dict;
``replay_html(data, title)`` renders it into one page (inline CSS and JavaScript, no requests at all),
and ``write_replay(result, path, ...)`` does both and writes the page atomically.

On the page each team is a box in a column by tier (tier 1 on the left, as in the escalation flow
diagram): its queue a bar with the number waiting, its agents dots (filled busy, hollow idle; as many
as are on duty, so a shift change adds or removes dots), tickets that move between teams small dots
travelling along an arrow coloured by kind, an SLA breach a red pulse on the team's box. Play, pause,
speed and a slider to seek; the clock shows weekday and time of day.

The data dict (times in minutes from the run's start, rounded to 0.01):

- ``scenario``, ``replication``, ``day``, ``days`` (how many days the run has), ``start``, ``end``
  (the window), ``start_date`` (ISO date of time 0), ``weekday`` (of time 0; 0 = Monday), ``date``
  and ``day_name`` (of the window's day), ``warmup``;
- ``teams``: per team ``name``, ``tier``, ``column`` (0 = the lowest tier), ``row`` and ``rows``
  (its place in the column), and the step series ``queue``, ``busy``, ``staffed`` (and ``away``
  when the team has shrinkage) as ``[time, value]`` pairs: the value in force at ``start`` first,
  then every change inside the window; ``arrivals`` (tickets whose first team it is), ``resolved``,
  ``abandoned`` as lists of times, and ``breaches`` as ``[time, clock]`` pairs;
- ``moves``: ``[time, from_team, to_team, kind]`` per escalation in the window, as
  ``plot_flow.escalation_moves`` classifies them (hierarchical, functional, automatic transfers; a
  swarm ``consult`` or an ``approval``, in which the ticket stayed);
- ``kinds``: the colour and label of each move kind present.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from sim.core.atomic import write_text
from sim.core.units import MINUTES_PER_DAY
from sim.core.version import __version__
from sim.engine.records import Event
from sim.experiments.replications import RunResult
from sim.reports.figures import WEEKDAYS
from sim.reports.page import environment
from sim.reports.plot_flow import COLUMN_GAP, ENTRY, ROW_GAP, STAYS, escalation_moves, layout
from sim.scenario.spec import Scenario

TEMPLATE = "replay.html.j2"
DECIMALS = 2
"""Times and levels are rounded to 0.01 (minutes; levels can be fractional under concurrency)."""
SERIES = ("queue", "busy", "staffed", "away")
"""The level metrics the page draws; ``away`` only where the records have it (shrinkage)."""
KIND_COLORS = {
    "hierarchical": "#D55E00",
    "functional": "#0072B2",
    "automatic": "#CC79A7",
    "consult": "#009E73",
    "approval": "#E69F00",
}
"""Okabe-Ito colours, safe for colour-blind viewers, in the hue families of the flow diagram's arrows."""
KIND_LABELS = {
    "hierarchical": "hierarchical transfer",
    "functional": "functional transfer",
    "automatic": "automatic escalation",
    "consult": "swarm consult (ticket stays)",
    "approval": "approval (ticket stays)",
}


def replay_data(result: RunResult, day: int | None = None, replication: int = 0) -> dict[str, Any]:
    """One day of one replication of ``result`` as a compact JSON-able dict (see the module's docstring).

    ``day`` None picks the first full day that starts at or after the warm-up (or, in a run too short
    for one, the day the warm-up ends in). A day or replication the run does not have is a ValueError
    that says which ones it has.
    """
    scenario = result.scenario
    days = day_count(scenario)
    replications = sorted(int(r) for r in result.tickets["replication"].unique()) if len(result.tickets) else [0]
    if replication not in replications:
        raise ValueError(f"replication {replication} is not in this run: it has replications {_span(replications)}")
    if day is None:
        day = default_day(scenario)
    elif not 0 <= day < days:
        raise ValueError(
            f"day {day} is outside the run: it simulates {days} day{'s' if days != 1 else ''}, "
            f"so the days are {_span(list(range(days)))}"
        )
    start = day * MINUTES_PER_DAY
    end = min(start + MINUTES_PER_DAY, scenario.horizon)
    events = _of(result.events, replication)
    levels = _of(result.levels, replication)
    tickets = _of(result.tickets, replication)
    in_window = events[(events["time"] >= start) & (events["time"] < end)]
    kinds = in_window["event"].astype(str)
    teams_column = in_window["team"].astype(str)

    first_team = dict(zip(tickets["ticket"].to_numpy(), tickets["first_team"].astype(str), strict=True))
    arrivals = in_window[kinds == Event.ARRIVAL]
    arrival_team = arrivals["ticket"].map(first_team)
    moves = escalation_moves(events)
    moves = moves[(moves["time"] >= start) & (moves["time"] < end)]

    positions = layout(scenario)
    columns = {name: round(x / COLUMN_GAP) - 1 for name, (x, _) in positions.items() if name != ENTRY}
    teams = []
    for spec in scenario.teams:
        name = spec.name
        rows = sum(1 for c in columns.values() if c == columns[name])
        row = round((rows - 1) / 2 - positions[name][1] / ROW_GAP)
        mine = levels[levels["team"].astype(str) == name]
        entry: dict[str, Any] = {"name": name, "tier": spec.tier, "column": columns[name], "row": row, "rows": rows}
        for metric in SERIES:
            series = mine[mine["metric"].astype(str) == metric]
            if metric != "away" or len(series):
                entry[metric] = step_series(series["time"], series["value"], start, end)
        at_team = teams_column == name
        entry["arrivals"] = _times(arrivals["time"][arrival_team == name])
        entry["resolved"] = _times(in_window["time"][at_team & (kinds == Event.RESOLVED)])
        entry["abandoned"] = _times(in_window["time"][at_team & (kinds == Event.ABANDONED)])
        breaches = in_window[at_team & (kinds == Event.SLA_BREACH)]
        entry["breaches"] = [
            [round(float(t), DECIMALS), str(clock)]
            for t, clock in zip(breaches["time"], breaches["detail"], strict=True)
        ]
        teams.append(entry)

    present = [k for k in KIND_COLORS if (moves["kind"] == k).any()]
    present += sorted(set(moves["kind"].astype(str)) - set(present))
    date = scenario.start_date + dt.timedelta(days=day)
    return {
        "scenario": scenario.name,
        "replication": replication,
        "day": day,
        "days": days,
        "start": round(start, DECIMALS),
        "end": round(end, DECIMALS),
        "warmup": round(scenario.warmup, DECIMALS),
        "start_date": scenario.start_date.isoformat(),
        "weekday": scenario.start_weekday,
        "date": date.isoformat(),
        "day_name": WEEKDAYS[date.weekday()],
        "teams": teams,
        "moves": [
            [round(float(t), DECIMALS), str(a), str(b), str(k)]
            for t, a, b, k in zip(moves["time"], moves["from_team"], moves["to_team"], moves["kind"], strict=True)
        ],
        "kinds": {
            k: {
                "color": KIND_COLORS.get(k, "#555555"),
                "label": KIND_LABELS.get(k, f"{k} transfer"),
                "stays": k in STAYS,
            }
            for k in present
        },
    }


def step_series(times: pd.Series, values: pd.Series, start: float, end: float) -> list[list[float]]:
    """A step series cut to ``[start, end)``: ``[start, value in force]`` first, then each change inside.

    Several records at one instant (rounded to 0.01) count as their last; a record that repeats the
    value before it is left out. Before the first record the value is 0.
    """
    t = times.to_numpy(dtype=float)
    v = values.to_numpy(dtype=float)
    before = t <= start
    initial = float(v[before][-1]) if before.any() else 0.0
    out = [[round(start, DECIMALS), round(initial, DECIMALS)]]
    inside = (t > start) & (t < end)
    for time, value in zip(t[inside], v[inside], strict=True):
        point = [round(float(time), DECIMALS), round(float(value), DECIMALS)]
        if point[0] == out[-1][0]:
            out[-1] = point if len(out) > 1 else [out[-1][0], point[1]]
        else:
            out.append(point)
    deduplicated = out[:1]
    for point in out[1:]:
        if point[1] != deduplicated[-1][1]:
            deduplicated.append(point)
    return deduplicated


def replay_html(data: dict[str, Any], title: str) -> str:
    """The self-contained page that replays ``data`` (a ``replay_data`` dict)."""
    generated = dt.datetime.now().isoformat(timespec="seconds").replace("T", " ")
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False)
    # inside <script>: no "</script>" or "<!--" can end or confuse the element
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        environment()
        .get_template(TEMPLATE)
        .render(title=title, data_json=Markup(payload), generated=generated, version=__version__)
    )


def write_replay(result: RunResult, path: str | Path, day: int | None = None, replication: int = 0) -> Path:
    """Write the replay page of ``day`` of ``replication`` to ``path`` (atomically); return the path."""
    data = replay_data(result, day, replication)
    when = dt.date.fromisoformat(data["date"])
    title = f"{result.scenario.name}: replay of {data['day_name']} {when.day} {when:%b %Y}"
    path = Path(path)
    write_text(path, replay_html(data, title))
    return path


def day_count(scenario: Scenario) -> int:
    """The days a replay can show: every day the run reaches into, the last one perhaps partial."""
    return max(1, math.ceil(scenario.horizon / MINUTES_PER_DAY - 1e-9))


def default_day(scenario: Scenario) -> int:
    """The first full day starting at or after the warm-up; in a run too short for one, the day the warm-up ends in."""
    first = math.ceil(scenario.warmup / MINUTES_PER_DAY - 1e-9)
    if (first + 1) * MINUTES_PER_DAY <= scenario.horizon + 1e-9:
        return first
    return min(int(scenario.warmup // MINUTES_PER_DAY), day_count(scenario) - 1)


def _of(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    if "replication" not in frame.columns:
        return frame
    return frame[frame["replication"] == replication]


def _times(times: pd.Series) -> list[float]:
    return [round(float(t), DECIMALS) for t in times]


def _span(values: list[int]) -> str:
    if len(values) == 1:
        return str(values[0])
    if values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(map(str, values))
