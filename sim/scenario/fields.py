"""Building blocks shared by the scenario schemas: strict records, names, weights, field paths."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

NAME_CHARACTERS = "letters, digits, '_', '.' and '-'"
"""What a name may hold: names become folder names, file names and table columns."""


def _not_only_dots(name: str) -> str:
    if set(name) == {"."}:
        raise ValueError(f"{name!r} cannot be a name: it means a folder; use {NAME_CHARACTERS}")
    return name


Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$"), AfterValidator(_not_only_dots)]
"""A name of a team, channel, category…: 1 to 64 of ``NAME_CHARACTERS``, and not ``.`` or ``..``."""
Weight = Annotated[float, Field(ge=0)]
Path = tuple[str | int, ...]


class Spec(BaseModel):
    """A scenario record: unknown keys are errors, never silently ignored; numbers are finite."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)
