"""The tickets a replication's tallies count, read column by column as numpy arrays (issue 17, outside share).

A replication's KPIs read a dozen of the tickets table's 35 columns: one boolean mask over numpy
arrays spares them a filtered copy of the whole table and pandas' overhead per operation, and
gives the same values in the same order. ``nan_mean`` and ``nan_quantile`` compute exactly what
pandas' ``Series.mean`` and ``Series.quantile`` compute, so the KPIs stay the same to the bit.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd


class CountedTickets:
    """The rows of ``table`` that ``keep`` selects, as numpy columns read once each."""

    def __init__(self, table: pd.DataFrame, keep: np.ndarray) -> None:
        self.table = table
        self.keep = keep
        self._columns: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}

    def __len__(self) -> int:
        return self.size

    @cached_property
    def size(self) -> int:
        """How many tickets are counted."""
        return int(np.count_nonzero(self.keep))

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The counted rows as a table, for the KPIs that group or join them (built only when asked for)."""
        return self.table[self.keep]

    def column(self, name: str) -> np.ndarray:
        """The counted values of a numeric column, in table order."""
        if name not in self._columns:
            self._columns[name] = self.table[name].to_numpy()[self.keep]
        return self._columns[name]

    def equals(self, name: str, value: str) -> np.ndarray:
        """Which counted tickets have ``value`` in the labelled column ``name`` (as ``table[name] == value``)."""
        codes, labels = self._labels(name)
        if value not in labels:
            return np.zeros(self.size, dtype=bool)
        return codes == labels.get_loc(value)

    def isin(self, name: str, values: list[str]) -> np.ndarray:
        """Which counted tickets have one of ``values`` in the labelled column ``name``."""
        found = np.zeros(self.size, dtype=bool)
        for value in values:
            found |= self.equals(name, value)
        return found

    def _labels(self, name: str) -> tuple[np.ndarray, pd.Index]:
        """A labelled column's codes for the counted rows and the labels they number (-1: no label)."""
        if name not in self._codes:
            codes, labels = label_codes(self.table[name])
            self._codes[name] = (codes[self.keep], labels)
        return self._codes[name]


def label_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A column of labels as small integers and the labels they number: a categorical's own codes, else factorized."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, labels = pd.factorize(values)
    return codes, pd.Index(labels)


def nan_mean(values: np.ndarray) -> float:
    """The mean of the values that are not NaN, as ``pd.Series(values).mean()`` computes it; NaN if there are none.

    pandas sums the values with the NaNs set to 0 (numpy's pairwise sum of the full array) and divides
    by how many are not NaN: with NaNs present, that sum can differ in the last bit from a sum of the
    others alone, so this does the same.
    """
    missing = np.isnan(values)
    count = len(values) - int(np.count_nonzero(missing))
    if count == 0:
        return math.nan
    total = np.where(missing, 0.0, values).sum() if count < len(values) else values.sum()
    return float(total / count)


def nan_quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of the values that are not NaN (linear interpolation), as ``Series.quantile`` gives it."""
    present = values[~np.isnan(values)]
    return float(np.quantile(present, q)) if len(present) else math.nan
