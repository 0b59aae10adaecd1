"""The base seeds a run, a sweep or a sample may take: 0 up to the largest signed 64-bit integer.

numpy's seed sequences take any whole number of 0 or more, but a seed is also written into the
results tables (a sweep's ``seed`` column), whose integer columns hold 64 bits: a larger seed ran
and then failed at writing. Every seed field and ``--seed`` option is held to this range.
"""

from __future__ import annotations

MAX_SEED = 2**63 - 1
"""The largest base seed: 9,223,372,036,854,775,807."""
