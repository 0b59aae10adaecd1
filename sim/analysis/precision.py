"""The relative-precision rule: add replications until a KPI's interval is tight enough.

"Run until the 95 % half-width of mean wait is under 5 % of the mean, at most 200
replications." After the first batch the rule estimates how many replications the target needs
(the half-width shrinks like 1/sqrt(n)) and runs the missing ones as the next batch, so
parallel workers stay busy; it checks again until the target is met or the cap is reached.
Following Law & Kelton, a relative error of ``g`` is checked as half-width / |mean| <= g/(1+g),
which bounds the error relative to the *true* mean by ``g``. Decisions depend on the KPI values
only, never on how many workers ran them, so results stay identical across executors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.student_t import t_quantile

if TYPE_CHECKING:
    from sim.scenario.spec import Scenario

DEFAULT_KPI = ""
"""No KPI named: the scenario's ``precision_kpi`` (the first live channel's service level)."""
DEFAULT_CAP = 100


@dataclass(frozen=True)
class PrecisionTarget:
    """Relative half-width ``relative`` (0.05 = 5 %) for ``kpi``, at most ``max_replications``."""

    relative: float
    kpi: str = DEFAULT_KPI
    max_replications: int = DEFAULT_CAP
    level: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.relative < 1:
            raise ValueError(f"the precision target must lie between 0 and 1 (0.05 for 5 %), got {self.relative}")
        if self.max_replications < 2:
            raise ValueError("the replication cap must be at least 2")

    def for_scenario(self, scenario: Scenario) -> PrecisionTarget:
        """The target, watching the scenario's default KPI when none was named."""
        from sim.analysis.channel_kpis import precision_kpi  # pandas only when a run is assessed

        return self if self.kpi else replace(self, kpi=precision_kpi(scenario))

    @property
    def threshold(self) -> float:
        """The bound on half-width over absolute mean that guarantees the relative error (Law & Kelton's g/(1+g))."""
        return self.relative / (1 + self.relative)


@dataclass(frozen=True)
class Precision:
    """Where a KPI's interval stands against the target."""

    target: PrecisionTarget
    mean: float
    half_width: float
    replications: int

    @property
    def relative(self) -> float:
        """Half-width over |mean| (NaN when undefined: fewer than two values, or a zero mean)."""
        if math.isnan(self.half_width) or math.isnan(self.mean) or self.mean == 0:
            return math.nan
        return self.half_width / abs(self.mean)

    @property
    def met(self) -> bool:
        """Whether the relative half-width is within the target (False while it is undefined)."""
        return self.relative <= self.target.threshold

    def describe(self, scenario: str = "") -> str:
        """One line for the console: the relative half-width after how many replications, and the verdict."""
        who = f"{scenario}: " if scenario else ""
        goal = f"target {self.target.relative:.1%}"
        if math.isnan(self.relative):
            return f"{who}precision of {self.target.kpi} undefined after {self.replications} replications ({goal})"
        verdict = "met" if self.met else f"not met (cap {self.target.max_replications})"
        return (
            f"{who}95% half-width of {self.target.kpi} is {self.relative:.1%} of the mean after "
            f"{self.replications} replications ({goal}: {verdict})"
        )

    def as_dict(self) -> dict:
        """The assessment as plain JSON values, for the metadata of a run or a comparison."""
        return {
            "kpi": self.target.kpi,
            "target": self.target.relative,
            "relative_half_width": _plain(self.relative),
            "met": self.met,
            "replications": self.replications,
            "cap": self.target.max_replications,
        }


def assess(values: Sequence[float], target: PrecisionTarget) -> Precision:
    """The KPI's mean, half-width and relative precision over the replications so far."""
    from sim.analysis.confidence import confidence_interval  # pandas only when replications are assessed

    mean, half, _ = confidence_interval(np.asarray(values, dtype=float), target.level)
    return Precision(target, mean, half, len(values))


def next_total(values: Sequence[float], target: PrecisionTarget) -> int:
    """How many replications to have after the next batch; ``len(values)`` means stop.

    The estimate is Law & Kelton's: the least ``i`` with t(i-1) * s / sqrt(i) <= threshold * |mean|,
    using the current mean and standard deviation. A batch at most doubles the replications,
    so an early, noisy estimate cannot overshoot by much.
    """
    n = len(values)
    status = assess(values, target)
    if n >= target.max_replications or status.met:
        return n
    if math.isnan(status.relative):
        if math.isnan(status.mean) or status.mean == 0:
            return n  # the KPI never took a value, or has a zero mean: no relative precision exists
        return min(n + 1, target.max_replications)
    sd = float(np.nanstd(np.asarray(values, dtype=float), ddof=1))
    quantile = 0.5 + target.level / 2
    limit = min(2 * n, target.max_replications)
    for total in range(n + 1, limit + 1):
        if t_quantile(total - 1, quantile) * sd / math.sqrt(total) <= target.threshold * abs(status.mean):
            return total
    return limit


def _plain(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
