"""The app's KPI cards: per key KPI, the base and the variant, and their paired difference with its interval.

A card is plain data built from a comparison's tidy table, with the same formatting and the
same choice of KPIs as the comparison report, so the page and the report never disagree.
A significant difference (its 95 % interval excludes zero) is marked better or worse where the
KPI has a better direction (a shorter wait, a higher service level); utilisation has none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from sim.reports.plots_sweep import better
from sim.reports.sections import comparison_kpis, comparison_rows


@dataclass(frozen=True)
class Card:
    """One KPI of the comparison, formatted, with the raw difference for tests and sorting."""

    kpi: str
    label: str
    base: str
    variant: str
    difference: str
    interval: str
    significant: bool
    diff: float
    verdict: str
    """``better``, ``worse`` or ``changed`` (no better direction) for a significant difference; else ``""``."""


def kpi_cards(table: pd.DataFrame, featured: Iterable[str] = ()) -> list[Card]:
    """A card per key KPI of a two-scenario comparison table (base first), featured KPIs first."""
    kpis = comparison_kpis(table, featured)
    labels, rows = comparison_rows(table, kpis)
    variant = labels[1]
    diffs = table[table["scenario"] == variant].set_index("kpi")["diff"]
    cards = []
    for row in rows:
        base, changed = row["values"]
        difference = row["diffs"][0]
        diff = float(diffs.get(row["kpi"], math.nan))
        cards.append(
            Card(
                kpi=row["kpi"],
                label=row["label"],
                base=base["mean"],
                variant=changed["mean"],
                difference=difference["text"],
                interval=difference["interval"],
                significant=difference["significant"],
                diff=diff,
                verdict=verdict(row["kpi"], diff) if difference["significant"] else "",
            )
        )
    return cards


def verdict(kpi: str, diff: float) -> str:
    """Whether a real difference of ``diff`` in ``kpi`` is ``better`` or ``worse`` (``changed``: neither)."""
    direction = better(kpi)
    if direction is None or diff == 0 or math.isnan(diff):
        return "changed"
    return "better" if (diff > 0) == (direction == "higher") else "worse"
