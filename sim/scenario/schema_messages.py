"""Pydantic's validation errors in a planner's words: the field path as written, and what is allowed.

Shared by the scenario loader and the goals file, so that every schema error reads the same: union
branch tags are dropped from the path, a misspelt field gets a "did you mean", a bound says its limit.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from sim.core.distributions import DISTRIBUTION_NAMES, DISTRIBUTIONS
from sim.core.units import shown
from sim.scenario.fields import NAME_CHARACTERS, Path
from sim.scenario.spec import Scenario

_TAGS = set(DISTRIBUTION_NAMES)
WIDTH = 80
"""Characters of a bad value a message shows, the middle cut out of a longer one."""


def describe_error(err: ErrorDetails, data: Any, root: type[BaseModel] = Scenario) -> tuple[Path, str]:
    """Turn one pydantic error of validating ``data`` as ``root`` into (path, message) that says what is allowed."""
    loc = _clean_loc(err["loc"], data)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _distribution_fields(_node_at(data, loc[:-1])) or _allowed_fields(loc[:-1], root)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return loc, f"unknown field; {suggestion}allowed: {', '.join(allowed)}"
    if kind == "missing":
        return loc, "this field is required"
    if kind == "union_tag_invalid":
        return (*loc, "dist"), (
            f"unknown distribution {err['input'].get('dist')!r}; allowed: {', '.join(sorted(_TAGS))}"
        )
    if kind == "union_tag_not_found":
        return loc, f"a distribution needs a 'dist' field, one of: {', '.join(sorted(_TAGS))}"
    bounds = {
        "greater_than": "greater than",
        "greater_than_equal": "at least",
        "less_than": "less than",
        "less_than_equal": "at most",
    }
    if kind in bounds:
        limit = next(iter(err["ctx"].values()))
        # a whole number in full (a seed's 2**63 - 1)
        shown_limit = str(limit) if isinstance(limit, int) else f"{limit:g}"
        return loc, f"must be {bounds[kind]} {shown_limit}, got {shown(err['input'], WIDTH)}"
    if kind in ("too_long", "too_short"):
        return loc, _length_message(err)
    if kind in _PLAIN:
        got = "" if isinstance(err["input"], (dict, list)) else f" (got {shown(err['input'], WIDTH)})"
        return loc, _PLAIN[kind] + got
    message = err["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
        message += f" (got {shown(err['input'], WIDTH)})"
    return loc, message


def _length_message(err: ErrorDetails) -> str:
    """A list or mapping with too many or too few entries: the limit, and how many it has."""
    ctx = err.get("ctx", {})
    longest = err["type"] == "too_long"
    limit = ctx.get("max_length" if longest else "min_length")
    unit = "entries" if ctx.get("field_type") == "Dictionary" else "items"
    got = f" (it has {ctx['actual_length']})" if ctx.get("actual_length") is not None else ""
    return f"must have {'at most' if longest else 'at least'} {limit} {unit}{got}"


_PLAIN = {
    "model_type": "must be a section of fields (key: value lines)",
    "model_attributes_type": "must be a section of fields (key: value lines)",
    "dict_type": "must be a mapping (name: value lines)",
    "list_type": "must be a list ([a, b] or '- ' lines)",
    "string_type": "must be text",
    "string_pattern_mismatch": f"names use {NAME_CHARACTERS} only",
    "string_too_long": "is longer than 64 characters",
    "string_too_short": "must not be empty",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "date_from_datetime_parsing": "must be a real calendar date, YYYY-MM-DD",
}
"""Pydantic's error kinds in the project's words: what the field must be."""


def _clean_loc(loc: tuple, data: Any) -> Path:
    """Drop pydantic's union-branch tags so the path matches the YAML the user wrote."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif isinstance(part, str) and (part in _TAGS or "[" in part or part.startswith("function")):
            continue
        elif isinstance(part, str) and node is not None and not isinstance(node, (dict, list)):
            continue  # a type tag below a single value (e.g. constrained-float), not a field
        else:
            path.append(part)
            node = None
    return tuple(path)


def _allowed_fields(path: Path, root: type[BaseModel] = Scenario) -> list[str]:
    """The field names the schema ``root`` allows at ``path`` (for 'did you mean' hints)."""
    model: Any = root
    for part in path:
        model = _unwrap(model)
        if isinstance(part, int):
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(part) or next(
                (f for f in model.model_fields.values() if f.alias == part), None
            )
            model = field.annotation if field else None
        else:  # dict values
            args = typing.get_args(model)
            model = args[1] if len(args) == 2 else None
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or name for name, f in model.model_fields.items()]
    return []


def _node_at(data: Any, path: Path) -> Any:
    """What ``data`` holds at ``path`` (None where the path leaves it)."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _distribution_fields(node: Any) -> list[str]:
    """The fields of the distribution ``node`` names in its ``dist`` (none if it names none)."""
    dist = node.get("dist") if isinstance(node, dict) else None
    model = DISTRIBUTIONS.get(dist) if isinstance(dist, str) else None
    return [field.alias or name for name, field in model.model_fields.items()] if model else []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated/list wrappers down to the model or mapping underneath."""
    while True:
        origin = typing.get_origin(annotation)
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (list, typing.Union) or str(origin) == "types.UnionType" or origin is type(int | None):
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if origin is list or len(args) == 1:
                annotation = args[0]
            elif models:
                annotation = models[0]
            else:
                return annotation
        else:
            return annotation
