"""Record columns: what goes in comes out, bit for bit, however the rows arrive and however many there are."""

from __future__ import annotations

import math
import struct

import numpy as np
import pandas as pd
import pytest

from sim.engine.records import Columns

KINDS = {"time": "f", "ticket": "i", "recorder": "n", "team": "c"}


def _rows(count: int, teams: int) -> list[tuple[float, int, int, str]]:
    values = [math.nan, -0.0, 1e-300, 2.0**60 + 0.5, math.inf, 1 / 3]
    return [(values[k % 6] * (k + 1), 2**62 - k, -(2**31) + k, f"team{k % teams}") for k in range(count)]


def _bits(values: np.ndarray) -> list[bytes]:
    return [struct.pack("=d", value) for value in values]


@pytest.mark.parametrize(("count", "teams"), [(1, 1), (5, 3), (70_000, 4), (9_000, 300)])
def test_every_value_comes_out_as_it_went_in(count: int, teams: int) -> None:
    table = Columns(KINDS)
    rows = _rows(count, teams)
    for k, row in enumerate(rows):
        if k % 2:
            table.put(row)  # unchecked, as the hot paths append
        else:
            table.add(row)
        if k % 1000 == 999:
            table.flush()
    frame = table.frame()
    assert len(frame) == count
    assert _bits(frame["time"].to_numpy()) == _bits(np.array([row[0] for row in rows]))
    assert frame["ticket"].tolist() == [row[1] for row in rows] and frame["ticket"].dtype == np.int64
    assert frame["recorder"].tolist() == [row[2] for row in rows] and frame["recorder"].dtype == np.int32
    assert frame["team"].astype(str).tolist() == [row[3] for row in rows]


def test_categories_keep_their_declared_order_then_the_order_first_seen() -> None:
    table = Columns({"team": "c"})
    table.declare("team", ["b", "a", "unused"])
    for name in ["c", "a", "c", "d", "b"]:
        table.add((name,))
    column = table.frame()["team"]
    assert list(column.cat.categories) == ["b", "a", "unused", "c", "d"]
    assert column.astype(str).tolist() == ["c", "a", "c", "d", "b"]


def test_a_column_with_more_categories_than_a_byte_keeps_its_earlier_codes() -> None:
    table = Columns({"name": "c"})
    names = [f"n{k}" for k in range(400)]
    for k, name in enumerate(names):
        table.add((name,))
        if k in (10, 126, 127, 200):
            table.flush()
    column = table.frame()["name"]
    assert column.astype(str).tolist() == names
    assert column.cat.codes.dtype == np.int16
    pd.testing.assert_index_equal(column.cat.categories, pd.Index(names), exact=False)


def test_an_integer_column_refuses_a_fraction_instead_of_truncating_it() -> None:
    table = Columns({"count": "i"})
    table.add((2.5,))
    with pytest.raises(struct.error):
        table.frame()
