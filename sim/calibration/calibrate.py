"""Every fit of one export, in one place: what the scenario writer, the fit report and the CLI read.

``calibrate(export, tz)`` runs the fits in order (arrivals, mixes, handle times, paths, patience,
customer replies, reopens, custom fields) on the canonical tables. Each fit carries its sample size,
its source column and, when it could not be made, the reason; nothing here decides how a scenario
is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import pandas as pd

from sim.calibration.export_schema import ATTR_PREFIX, Export
from sim.calibration.fit_arrivals import ArrivalFit, export_period, fit_arrivals
from sim.calibration.fit_durations import DurationFit, fit_duration
from sim.calibration.fit_handle import HandleFits, fit_handle_times
from sim.calibration.fit_mix import MixFits, fit_mixes
from sim.calibration.fit_paths import PathFits, fit_paths, has_group_changes
from sim.calibration.fit_patience import PatienceFit, fit_patience
from sim.calibration.fit_reopen import ReopenFits, fit_reopens
from sim.calibration.fit_reply import ReplyFits, fit_replies
from sim.calibration.stays import group_stays

NAMED_COLUMNS = {"tickets": ("channel", "category", "priority", "segment", "group"), "events": ("group",)}
"""Columns whose values become scenario names (channels, categories, priorities, segments, teams)."""


def scenario_name(text: str) -> str:
    """An export value as a scenario name: other characters become "_" ("Tier 1 Support" → "Tier_1_Support")."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", str(text)).strip("_")[:64]
    return name if name.strip(".") else "unnamed"


def with_scenario_names(export: Export) -> tuple[Export, dict[str, str]]:
    """The export with every named value a valid scenario name, and the renames made (old → new)."""
    renames: dict[str, str] = {}
    tables = {"tickets": export.tickets, "events": export.events}
    for table, columns in NAMED_COLUMNS.items():
        frame = tables[table]
        if frame is None:
            continue
        frame = frame.copy()
        for column in (c for c in columns if c in frame.columns):
            values = frame[column].astype(str)
            mapping = {v: scenario_name(v) for v in values.unique() if scenario_name(v) != v}
            if mapping:
                frame[column] = values.replace(mapping)
                renames.update(mapping)
        tables[table] = frame
    return replace(export, tickets=tables["tickets"], events=tables["events"]), renames


@dataclass
class Calibration:
    """The fits of one export over its period [start, end) on the desk's local clock ``tz``."""

    export: Export
    tz: str
    start: pd.Timestamp
    end: pd.Timestamp
    arrivals: dict[str, ArrivalFit]
    mixes: MixFits
    handle: HandleFits
    paths: PathFits
    patience: dict[str, PatienceFit]
    replies: ReplyFits
    reopens: ReopenFits
    attributes: dict[tuple[str, str], DurationFit] = field(default_factory=dict)
    """Custom numeric fields per (category, attribute name without ``attr_``), positive values only."""
    sources: dict[str, str] = field(default_factory=dict)
    """The files read: ``tickets`` and, when given, ``events`` (names as the user gave them)."""
    renames: dict[str, str] = field(default_factory=dict)
    """Export values renamed to valid scenario names (old → new)."""
    stays: pd.DataFrame | None = None
    """Each ticket's stays at groups (``stays.group_stays``), when the events hold group changes."""

    @property
    def weeks(self) -> float:
        """Length of the period in weeks."""
        return (self.end - self.start) / pd.Timedelta(weeks=1)


def fit_attributes(tickets: pd.DataFrame) -> dict[tuple[str, str], DurationFit]:
    """Per category and custom numeric field: the distribution of its positive values (a zero is 'none')."""
    fits: dict[tuple[str, str], DurationFit] = {}
    for column in (c for c in tickets.columns if c.startswith(ATTR_PREFIX)):
        name = column[len(ATTR_PREFIX) :]
        for category, values in tickets.groupby("category", sort=True)[column]:
            positive = values[values > 0].dropna()
            if len(positive):
                fits[(str(category), name)] = fit_duration(positive.to_numpy(dtype=float), f"tickets.{column}")
    return fits


def calibrate(export: Export, tz: str = "UTC", sources: dict[str, str] | None = None) -> Calibration:
    """Fit everything the export supports, on the local clock ``tz`` (an IANA name), under scenario names."""
    export, renames = with_scenario_names(export)
    tickets, events = export.tickets, export.events
    start, end = export_period(tickets["created"], tz)
    stays = group_stays(tickets, events) if events is not None and has_group_changes(events) else None
    return Calibration(
        export=export,
        tz=tz,
        start=start,
        end=end,
        arrivals=fit_arrivals(tickets, start, end, tz),
        mixes=fit_mixes(tickets),
        handle=fit_handle_times(tickets, events),
        paths=fit_paths(tickets, events, stays),
        patience=fit_patience(tickets),
        replies=fit_replies(tickets, events),
        reopens=fit_reopens(tickets, events, stays),
        attributes=fit_attributes(tickets),
        sources=dict(sources or {}),
        renames=renames,
        stays=stays,
    )
