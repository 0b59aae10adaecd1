"""Write simulated replications as a helpdesk export, in the generic or the Zendesk-like layout.

The simulator's records become what a helpdesk would have logged: real timestamps from the scenario's
``start_date`` (UTC, whole seconds), one ticket row per contact, and an audit trail of group changes
(each stay at a team starts with one, at the time it entered) and status changes (new, pending while
waiting on the customer, open when the customer replied, solved, reopened). Agent work is on each
ticket (``work_minutes``) and on the event that ends each stay: the next group change, or the solve.
Tickets still open at the horizon are exported unsolved, as they would be in a real export taken then.

Run ``python -m sim.calibration.export SCENARIO OUT --weeks 4 --format zendesk`` to write one.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.column_map import ZENDESK
from sim.calibration.export_schema import ATTR_PREFIX, EVENT_COLUMNS, TICKET_COLUMNS, TIME, Kind, Status
from sim.core.units import MINUTES_PER_WEEK
from sim.engine import RunRecords, run_replication
from sim.scenario.loader import load_scenario
from sim.scenario.spec import Scenario

FORMATS = ("generic", "zendesk")
"""The layouts ``export_run`` writes."""

STATUS_OF_EVENT = {
    "arrival": Status.NEW,
    "pending_customer": Status.PENDING,
    "customer_replied": Status.OPEN,
    "resolved": Status.SOLVED,
    "reopened": Status.REOPENED,
}
"""Simulator events that change a ticket's helpdesk status, and the status they set."""

ZENDESK_STATUS = {"resolved": "solved", "abandoned": "closed", "open": "open"}
"""The Zendesk ``Status`` column of a ticket, by its simulated outcome at the horizon."""


def start_of(scenario: Scenario) -> pd.Timestamp:
    """Time 0 of the scenario as a UTC timestamp (midnight of ``start_date``)."""
    return pd.Timestamp(scenario.start_date).tz_localize("UTC")


def _stamps(minutes: pd.Series | np.ndarray, start: pd.Timestamp) -> pd.Series:
    """Simulated minutes as UTC timestamps rounded to whole seconds (NaN stays NaT)."""
    delta = pd.to_timedelta(np.asarray(minutes, dtype=float), unit="min")
    return pd.Series(start + delta).dt.round("s").astype(TIME)


def canonical_tickets(records: RunRecords, start: pd.Timestamp, prefix: str = "") -> pd.DataFrame:
    """The canonical ticket table of one replication (ids prefixed with ``prefix``)."""
    t = records.tickets.sort_values("ticket", kind="stable").reset_index(drop=True)
    outcome = t["outcome"].astype(str)
    out = pd.DataFrame(
        {
            "ticket": prefix + t["ticket"].astype(str),
            "created": _stamps(t["arrival"], start),
            "channel": t["channel"].astype(str),
            "category": t["category"].astype(str),
            "priority": t["priority"].astype(str),
            "segment": t["segment"].astype(str),
            "group": t["first_team"].astype(object).fillna("").astype(str),
            "first_reply": _stamps(t["answered_at"], start),
            "solved": _stamps(t["resolved_at"].where(outcome == "resolved"), start),
            "abandoned": (outcome == "abandoned").to_numpy(),
            "abandoned_at": _stamps(t["abandoned_at"].where(outcome == "abandoned"), start),
            "reopens": t["reopens"].astype("int64"),
            "work_minutes": t["work_time"].astype(float),
        }
    )
    for column in t.columns:
        if column.startswith(ATTR_PREFIX):
            out[column] = t[column].astype(float).round(4).to_numpy()
    return out.astype({**TICKET_COLUMNS, "ticket": str})


def canonical_events(records: RunRecords, start: pd.Timestamp, prefix: str = "") -> pd.DataFrame:
    """The canonical event table of one replication: group changes from the visits, status changes from the log.

    A stay's work goes on the event that ends it: the next stay's group change if it escalated, the
    ``solved`` status change if it resolved; stays that end abandoned or open at the horizon end at no
    event (their work is in the ticket's ``work_minutes`` only).
    """
    v = records.visits.sort_values(["ticket", "entered"], kind="stable").reset_index(drop=True)
    same = v["ticket"].eq(v["ticket"].shift())
    escalated_before = same & v["exit"].astype(str).shift().eq("escalated")
    groups = pd.DataFrame(
        {
            "id": v["ticket"].to_numpy(),
            "minutes": v["entered"].to_numpy(),
            "order": 1,
            "kind": Kind.GROUP_CHANGE,
            "group": v["team"].astype(str).to_numpy(),
            "status": "",
            "work_minutes": v["work"].shift().where(escalated_before).to_numpy(),
        }
    )
    e = records.events
    e = e[e["event"].astype(str).isin(list(STATUS_OF_EVENT))]
    name = e["event"].astype(str)
    statuses = pd.DataFrame(
        {
            "id": e["ticket"].to_numpy(),
            "minutes": e["time"].to_numpy(),
            "order": 0,
            "kind": Kind.STATUS_CHANGE,
            "group": e["team"].astype(str).to_numpy(),
            "status": name.map(STATUS_OF_EVENT).to_numpy(),
        }
    )
    resolved = v[v["exit"].astype(str) == "resolved"][["ticket", "left", "work"]]
    solved = statuses["status"] == Status.SOLVED
    work = statuses[solved].merge(resolved, left_on=["id", "minutes"], right_on=["ticket", "left"], how="left")["work"]
    statuses["work_minutes"] = np.nan
    statuses.loc[solved, "work_minutes"] = work.to_numpy()
    both = pd.concat([statuses, groups], ignore_index=True).sort_values(["id", "minutes", "order"], kind="stable")
    out = pd.DataFrame(
        {
            "ticket": prefix + both["id"].astype(str),
            "time": _stamps(both["minutes"], start).to_numpy(),
            "kind": both["kind"].to_numpy(),
            "group": both["group"].to_numpy(),
            "status": both["status"].to_numpy(),
            "work_minutes": both["work_minutes"].to_numpy(),
        }
    )
    return out.astype({**EVENT_COLUMNS, "ticket": str}).reset_index(drop=True)


def canonical_run(records_list: Sequence[RunRecords], scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All replications as one export: replication r follows r whole weeks of horizon later, ids ``r-id``.

    One replication keeps the simulator's ticket ids; several are laid end to end (each starting on
    the same weekday and hour) so that the export reads as one longer history at the scenario's rates.
    """
    start = start_of(scenario)
    period = pd.Timedelta(minutes=math.ceil(scenario.horizon / MINUTES_PER_WEEK) * MINUTES_PER_WEEK)
    tickets, events = [], []
    for r, records in enumerate(records_list):
        prefix = f"{r}-" if len(records_list) > 1 else ""
        tickets.append(canonical_tickets(records, start + r * period, prefix))
        events.append(canonical_events(records, start + r * period, prefix))
    return pd.concat(tickets, ignore_index=True), pd.concat(events, ignore_index=True)


def _iso(stamps: pd.Series, zulu: bool = False) -> pd.Series:
    """UTC timestamps as ISO 8601 text with an offset; NaT as empty."""
    text = stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ" if zulu else "%Y-%m-%dT%H:%M:%S+00:00")
    return text.astype(object).where(stamps.notna(), "")


def _minutes_after(stamps: pd.Series, created: pd.Series) -> pd.Series:
    """Minutes from ``created`` to ``stamps`` (two decimals), empty where there is no stamp."""
    minutes = ((stamps - created).dt.total_seconds() / 60).round(2)
    return minutes.astype(object).where(stamps.notna(), "")


def generic_frames(tickets: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The generic layout: canonical names, ISO 8601 with offsets, ``true``/``false``."""
    t = tickets.copy()
    for column in ("created", "first_reply", "solved", "abandoned_at"):
        t[column] = _iso(tickets[column])
    t["abandoned"] = np.where(tickets["abandoned"], "true", "false")
    t["work_minutes"] = tickets["work_minutes"].round(3)
    e = events.copy()
    e["time"] = _iso(events["time"])
    e["work_minutes"] = events["work_minutes"].round(3)
    return t, e


def zendesk_frames(tickets: pd.DataFrame, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Zendesk-like layout (see ``column_map.ZENDESK``): its column names, ``Via`` names, seconds, minutes."""
    names = ZENDESK.tickets
    via = {canonical: export for export, canonical in ZENDESK.values["channel"].items()}
    created = tickets["created"]
    status = np.where(tickets["solved"].notna(), "solved", np.where(tickets["abandoned"], "closed", "open"))
    t = pd.DataFrame(
        {
            names["ticket"]: tickets["ticket"],
            names["created"]: _iso(created, zulu=True),
            names["channel"]: tickets["channel"].replace(via),
            names["category"]: tickets["category"],
            names["priority"]: tickets["priority"],
            names["segment"]: tickets["segment"],
            names["group"]: tickets["group"],
            "Status": status,
            names["first_reply"]: _minutes_after(tickets["first_reply"], created),
            names["solved"]: _iso(tickets["solved"], zulu=True),
            "Full resolution time in minutes": _minutes_after(tickets["solved"], created),
            names["reopens"]: tickets["reopens"],
            names["abandoned_at"]: _iso(tickets["abandoned_at"], zulu=True),
            names["work_minutes"]: (tickets["work_minutes"] * 60).round().astype("int64"),
        }
    )
    for column in tickets.columns:
        if column.startswith(ATTR_PREFIX):
            t[column[len(ATTR_PREFIX) :].replace("_", " ").capitalize()] = tickets[column].round(2)
    field = {Kind.GROUP_CHANGE: "group_id", Kind.ASSIGNMENT: "assignee_id", Kind.STATUS_CHANGE: "status"}
    seconds = (events["work_minutes"] * 60).round()
    e = pd.DataFrame(
        {
            ZENDESK.events["ticket"]: events["ticket"],
            ZENDESK.events["time"]: _iso(events["time"], zulu=True),
            ZENDESK.events["kind"]: events["kind"].map(field),
            ZENDESK.events["value"]: np.where(events["kind"] == Kind.STATUS_CHANGE, events["status"], events["group"]),
            ZENDESK.events["work_minutes"]: seconds.astype("Int64").astype(object).where(seconds.notna(), ""),
        }
    )
    return t, e


def export_run(
    records_list: Sequence[RunRecords], scenario: Scenario, folder: str | Path, fmt: str = "generic", gzip: bool = False
) -> tuple[Path, Path]:
    """Write ``tickets.csv`` and ``events.csv`` (``.csv.gz`` with ``gzip``) of the replications in ``folder``.

    Returns the two paths. ``fmt`` is ``generic`` or ``zendesk``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}' (one of {', '.join(FORMATS)})")
    tickets, events = canonical_run(records_list, scenario)
    frames = generic_frames(tickets, events) if fmt == "generic" else zendesk_frames(tickets, events)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".csv.gz" if gzip else ".csv"
    paths = (folder / f"tickets{suffix}", folder / f"events{suffix}")
    for frame, path in zip(frames, paths, strict=True):
        options = {"compression": {"method": "gzip", "mtime": 0}} if gzip else {}
        frame.to_csv(path, index=False, **options)
    return paths


def simulate_weeks(
    scenario: Scenario, weeks: float, replications: int = 1, seed: int | None = None
) -> list[RunRecords]:
    """Replications of ``scenario`` over ``weeks`` weeks from time 0 (no warm-up: an export has none)."""
    scenario = scenario.model_copy(update={"horizon": weeks * MINUTES_PER_WEEK, "warmup": 0.0})
    return [run_replication(scenario, r, seed) for r in range(replications)]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m sim.calibration.export SCENARIO OUT [--weeks 4] [--format zendesk] [--replications 1]``."""
    parser = argparse.ArgumentParser(prog="python -m sim.calibration.export", description=main.__doc__)
    parser.add_argument("scenario", help="scenario YAML to simulate")
    parser.add_argument("out", help="folder for tickets.csv and events.csv")
    parser.add_argument("--weeks", type=float, default=4.0, help="simulated weeks (default 4)")
    parser.add_argument("--format", choices=FORMATS, default="generic", dest="fmt")
    parser.add_argument("--replications", type=int, default=1, help="laid end to end (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="base seed (default: the scenario's)")
    parser.add_argument("--gzip", action="store_true", help="write .csv.gz")
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    records = simulate_weeks(scenario, args.weeks, args.replications, args.seed)
    paths = export_run(
        records, scenario.model_copy(update={"horizon": args.weeks * MINUTES_PER_WEEK}), args.out, args.fmt, args.gzip
    )
    for path in paths:
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
