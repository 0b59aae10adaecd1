"""The stored Student-t quantiles are SciPy's, bit for bit, and other requests still go to SciPy."""

from __future__ import annotations

import numpy as np
from scipy.special import stdtrit

from sim.analysis.student_t import Q975, T975, t_quantile, t_quantiles


def test_every_stored_quantile_is_the_one_scipy_computes():
    df = np.arange(1, len(T975) + 1)
    assert Q975 == 0.5 + 0.95 / 2
    assert T975.tobytes() == np.asarray(stdtrit(df, Q975), dtype=float).tobytes()
    assert all(t_quantile(int(d), Q975) == stdtrit(d, Q975) for d in df)
    assert t_quantiles(df, Q975).tobytes() == stdtrit(df, Q975).tobytes()


def test_other_quantiles_and_more_degrees_of_freedom_come_from_scipy():
    assert t_quantile(150, Q975) == stdtrit(150, Q975)
    assert t_quantile(9, 0.95) == stdtrit(9, 0.95)
    df = np.array([3, 250])
    assert t_quantiles(df, Q975).tobytes() == stdtrit(df, Q975).tobytes()
    assert t_quantiles(np.array([2.0, 5.0]), Q975).tobytes() == stdtrit(np.array([2.0, 5.0]), Q975).tobytes()
