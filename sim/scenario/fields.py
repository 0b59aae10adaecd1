"""Building blocks shared by the scenario schemas: strict records, names, weights, field paths."""

from __future__ import annotations

from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

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

    @model_validator(mode="before")
    @classmethod
    def _no_true_or_false_as_a_number(cls, data: Any) -> Any:
        """``true``/``false`` where a number belongs is refused: pydantic's lax mode would read it as 1 or 0."""
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                key = field.alias or name
                value = data.get(key, data.get(name))
                where = _true_or_false_in(value, field.annotation)
                if where is not None:
                    raise ValueError(f"'{key}{where}' must be a number, not true or false")
        return data


def _true_or_false_in(value: Any, annotation: Any) -> str | None:
    """Where in ``value`` a true/false stands for a number of ``annotation`` ('' itself, '[2]', '.P1'), or None."""
    if value is None or _admits(annotation, (bool,)) or not _admits(annotation, (int, float)):
        return None
    if isinstance(value, bool):
        return ""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    element = _element(annotation, dict if isinstance(value, dict) else list)
    for key, item in items:
        where = _true_or_false_in(item, element) if element is not None else None
        if where is not None:
            return (f"[{key}]" if isinstance(value, list) else f".{key}") + where
    return None


def _bare(annotation: Any) -> Any:
    """``annotation`` without its ``Annotated`` metadata."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _admits(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """Whether ``annotation`` holds one of ``kinds`` anywhere (in a union, a list's items, a mapping's values)."""
    annotation = _bare(annotation)
    return annotation is Any or annotation in kinds or any(_admits(arg, kinds) for arg in get_args(annotation))


def _element(annotation: Any, container: type) -> Any:
    """The item type of ``container`` (list: its items, dict: its values) in ``annotation`` or its union; else None."""
    annotation = _bare(annotation)
    members = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,)
    for member in map(_bare, members):
        args = get_args(member)
        if container is list and get_origin(member) in (list, tuple) and args:
            return args[0]
        if container is dict and get_origin(member) is dict and len(args) == 2:
            return args[1]
    return None
