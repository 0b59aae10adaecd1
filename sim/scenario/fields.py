"""Building blocks shared by the scenario schemas: strict records, names, weights, field paths."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
Weight = Annotated[float, Field(ge=0)]
Path = tuple[str | int, ...]


class Spec(BaseModel):
    """A scenario record: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
