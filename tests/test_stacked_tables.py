"""A run's tables over all replications are what pd.concat of the replications' tables gives (issue 17)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.experiments.outputs import write_parquet
from sim.experiments.replications import _stack


def concatenated(records: list[SimpleNamespace]) -> pd.DataFrame:
    """The reference: each table with its replication column, concatenated, categorical columns kept categorical."""
    frames = [rec.table.assign(replication=rec.replication) for rec in records]
    frames = [frame[["replication", *rec.table.columns]] for frame, rec in zip(frames, records, strict=True)]
    stacked = pd.concat(frames, ignore_index=True)
    for column in stacked.columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            stacked[column] = stacked[column].astype("category")
    return stacked


def table(categories: tuple[str, ...], rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = pd.Categorical(rng.choice([*categories, None], rows), categories=list(categories))
    return pd.DataFrame({"time": rng.random(rows), "team": labels, "ticket": rng.integers(0, 9, rows)})


CASES = {
    "same categories, other orders": [("a", "b", "c"), ("c", "a", "b"), ("b", "c", "a")],
    "other categories": [("a", "b"), ("b", "c"), ("d",)],
    "one replication": [("z", "y")],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("rows", [0, 40])
def test_stacking_gives_what_concat_gives_down_to_the_parquet_bytes(case: str, rows: int) -> None:
    records = [
        SimpleNamespace(replication=r, table=table(cats, rows if r else 30, r)) for r, cats in enumerate(CASES[case])
    ]
    expected, stacked = concatenated(records), _stack(records, "table")  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(stacked, expected, check_exact=True)
    assert list(stacked["team"].cat.categories) == list(expected["team"].cat.categories)
    written = [io.BytesIO(), io.BytesIO()]
    write_parquet(stacked, written[0])  # type: ignore[arg-type]
    write_parquet(expected, written[1])  # type: ignore[arg-type]
    assert written[0].getvalue() == written[1].getvalue()
