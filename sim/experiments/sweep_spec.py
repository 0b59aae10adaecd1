"""What a sweep file may say, as a typed schema: parameters as values, ranges, intervals or samples.

A parameter is a list of values, a range ``{from, to, step}`` or, with ``sample:``, an interval
``{low, high, integer}``; ``sample:`` picks a sampling design and ``points:`` lists points
outright. Unknown fields are errors, and ``describe_sweep_error`` turns each schema error into its field path
and a message saying what the field allows. The schema stands apart from loading
(``sim.experiments.sweep_files``) because it needs no scenario: it says what the file may
contain, not whether its points make valid scenarios of the base.

```yaml
name: staffing
base: ../baseline.yaml              # relative to this file
set: [horizon=7d]                   # fixed overrides of the base, exactly like --set
replications: 5                     # per point (default: the base's)
seed: 42                            # default: the base's
kpis: [service_level.phone, asa.phone, cost_per_resolved]     # default: every KPI
parameters:                         # every combination (a grid) ...
  teams.tier1.shifts[0].agents: [10, 12, 14]
  teams.billing.shifts[0].agents: {from: 4, to: 6}      # a range: 4, 5, 6
# ... or, with `sample: {method: lhs, n: 20, seed: 7}` (or sobol, halton, random), n sampled
# points where a parameter may also be an interval {low: 8, high: 16, integer: true};
# ... or an explicit list of points:  points: [{teams.tier1.agents: 12, ...}, ...]
```

Sampling methods (``sim.experiments.design``, from ``scipy.stats.qmc``): ``lhs`` (Latin hypercube,
one point in each of n strata of every parameter), ``sobol`` (scrambled Sobol'; n must be a power
of two, else loading fails with a suggestion), ``halton`` (scrambled Halton, any n) and ``random``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.core.seeds import MAX_SEED
from sim.experiments.design import sobol_n_problem
from sim.scenario.fields import Path as FieldPath
from sim.scenario.spec import Name

MAX_GRID_VALUES = 100_000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ValueRange(_Spec):
    """Evenly spaced values from ``from`` to ``to`` inclusive, ``step`` apart."""

    start: float = Field(alias="from")
    stop: float = Field(alias="to")
    step: float = Field(default=1, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ValueRange:
        if self.stop < self.start:
            raise ValueError(f"'to' ({self.stop:g}) is below 'from' ({self.start:g})")
        if (self.stop - self.start) / self.step >= MAX_GRID_VALUES:
            raise ValueError(f"this range has more than {MAX_GRID_VALUES:,} values; use a larger step")
        return self

    def values(self) -> list[int | float]:
        """The range's values, whole numbers when ``from`` and ``step`` are."""
        count = math.floor((self.stop - self.start) / self.step + 1e-9) + 1
        whole = all(float(x).is_integer() for x in (self.start, self.step))
        return [
            int(self.start + k * self.step) if whole else round(self.start + k * self.step, 10) for k in range(count)
        ]


class IntervalSpec(_Spec):
    """A range sampled by the sampling designs (lhs, sobol, halton, random); ``integer`` draws whole numbers."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> IntervalSpec:
        if not self.low < self.high:
            raise ValueError(f"'low' ({self.low:g}) must be below 'high' ({self.high:g})")
        if self.integer and not (self.low.is_integer() and self.high.is_integer()):
            raise ValueError("an integer interval needs whole-number bounds")
        return self


class Sample(_Spec):
    """Sample ``n`` points of the parameter space: Latin hypercube, scrambled Sobol' or Halton, or at random."""

    method: Literal["random", "lhs", "sobol", "halton"]
    n: int = Field(ge=1, le=MAX_GRID_VALUES, description="points; a power of two for sobol")
    seed: int = Field(default=0, ge=0, le=MAX_SEED, description="seed of the sampling (not of the simulation)")

    @field_validator("n")
    @classmethod
    def _balanced(cls, n: int, info: ValidationInfo) -> int:
        if info.data.get("method") == "sobol" and (problem := sobol_n_problem(n)):
            raise ValueError(problem)
        return n


def _parameter_kind(value: Any) -> str | None:
    if isinstance(value, list):
        return "values"
    if isinstance(value, dict) and value.keys() & {"from", "to", "step"}:
        return "range"
    if isinstance(value, dict) and value.keys() & {"low", "high", "integer"}:
        return "interval"
    return None


PARAMETER_HELP = (
    "give a list of values [10, 12, 14], a range {from: 10, to: 14, step: 2} or, with sample:, "
    "an interval {low: 10, high: 14}; fix a single value with set: instead"
)
Parameter = Annotated[
    Annotated[list[Any], Tag("values")]
    | Annotated[ValueRange, Tag("range")]
    | Annotated[IntervalSpec, Tag("interval")],
    Discriminator(_parameter_kind, custom_error_type="parameter_kind", custom_error_message=PARAMETER_HELP),
]


class SweepSpec(_Spec):
    """A sweep: base scenario, parameters or points, replications and the KPIs to keep."""

    name: Name | None = Field(default=None, description="default: the file name")
    description: str = ""
    base: str = Field(description="the scenario file to vary, relative to the sweep file")
    set_: list[str] = Field(default=[], alias="set", description="fixed path=value overrides of the base")
    replications: int | None = Field(default=None, ge=1, description="per point (default: the base's)")
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED, description="default: the base's")
    kpis: list[str] | None = Field(default=None, min_length=1, description="KPIs to keep (default: all)")
    parameters: dict[str, Parameter] = Field(default={}, description="override path -> values")
    points: list[dict[str, Any]] | None = Field(default=None, min_length=1, description="explicit points")
    sample: Sample | None = None

    @property
    def design(self) -> str:
        """``list``, ``grid`` or the sampling method."""
        if self.points is not None:
            return "list"
        return self.sample.method if self.sample else "grid"


_TAG_MODELS: dict[str, type[BaseModel] | None] = {"values": None, "range": ValueRange, "interval": IntervalSpec}


def describe_sweep_error(err: Mapping[str, Any]) -> tuple[FieldPath, str]:
    """One pydantic error as (field path in the file, message saying what is allowed)."""
    loc = tuple(err["loc"])
    model: type[BaseModel] | None = SweepSpec
    if loc[:1] == ("parameters",) and len(loc) > 2 and loc[2] in _TAG_MODELS:
        model, loc = _TAG_MODELS[loc[2]], loc[:2] + loc[3:]
    elif loc[:1] == ("sample",):
        model = Sample
    kind = err["type"]
    if kind == "extra_forbidden" and model is not None:
        allowed = [f.alias or n for n, f in model.model_fields.items()]
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return loc, f"unknown field; {suggestion}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return loc, "this field is required"
    message = err["msg"].removeprefix("Value error, ")
    if kind == "parameter_kind" or (kind != "value_error" and not isinstance(err.get("input"), (dict, list))):
        message += f" (got {err['input']!r})"
    return loc, message
