"""Scenario variants: a base scenario file plus ``path=value`` overrides, checked like ``--set``.

Comparisons (``--variant more_staff:teams.tier1.shifts[0].agents=14``) and sweeps (one variant per point)
read the base file once and derive every variant from its raw document with the ``--set``
overrides themselves (``overrides``), so a variant is validated exactly as ``run --set`` would
validate it and its errors name the same field paths.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from sim.scenario.errors import format_path
from sim.scenario.fields import Path as FieldPath
from sim.scenario.loader import read_scenario_document, validate_overridden
from sim.scenario.overrides import Override, apply_overrides, path_steps
from sim.scenario.spec import Scenario

_LABEL = re.compile(r"^[A-Za-z0-9_.\-]+$")
# a comma starts a new override only when ``path=`` follows; commas inside values stay put
_NEXT_OVERRIDE = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_.\[\]\-]*\s*=)")


@dataclass(frozen=True)
class BaseDocument:
    """A scenario file's raw document (``name`` filled in), the line of every field, and fixed overrides.

    ``data`` has the ``fixed`` overrides applied (a sweep's ``set:`` list); ``original`` is the
    document as the file has it, against which a problem is traced back to the override that
    caused it.
    """

    source: str
    data: dict[str, Any]
    lines: dict[FieldPath, int]
    fixed: tuple[Override, ...] = ()
    original: dict[str, Any] | None = None

    def scenario(self, overrides: Iterable[str | Override] = (), source: str | None = None) -> Scenario:
        """The validated scenario with ``overrides`` applied (``ScenarioError`` names ``source`` or the override)."""
        where = source or self.source
        changes = [*self.fixed, *map(Override.of, overrides)]
        document = self.data if self.original is None else self.original
        return validate_overridden(document, changes, where, self.lines if where == self.source else None)

    def with_overrides(self, overrides: Iterable[str | Override]) -> BaseDocument:
        """The document with ``overrides`` applied for good (a sweep's fixed ``set:`` list)."""
        changes = tuple(map(Override.of, overrides))
        return BaseDocument(
            self.source,
            apply_overrides(self.data, changes, self.source),
            self.lines,
            (*self.fixed, *changes),
            self.data if self.original is None else self.original,
        )


def read_document(path: str | Path) -> BaseDocument:
    """Read a scenario file without validating it (``ScenarioError`` if it is not a YAML mapping)."""
    data, lines, source = read_scenario_document(path)
    return BaseDocument(source, data, lines)


def override(path: str, value: Any) -> str:
    """``path=value`` text for ``apply_overrides``, with ``value`` written as YAML flow (JSON)."""
    return f"{path}={json.dumps(value, default=str)}"


@dataclass(frozen=True)
class Variant:
    """A named variant of a base scenario: ``name:path=value[,path=value]``."""

    name: str
    overrides: tuple[str, ...]


def parse_variant(text: str) -> Variant:
    """Parse ``--variant`` text; commas inside values (``[1, 2]``, ``{dist: …, mean: …}``) are kept."""
    example = "e.g. more_tier1:teams.tier1.shifts[0].agents=14,teams.billing.shifts[0].agents=6"
    name, colon, rest = text.partition(":")
    if not colon or not rest.strip():
        raise ValueError(f"--variant {text!r}: write it as name:path=value[,path=value], {example}")
    name = name.strip()
    if not _LABEL.match(name):
        raise ValueError(f"--variant {text!r}: the name {name!r} may use letters, digits, '_', '-' and '.' only")
    overrides = tuple(part.strip() for part in _NEXT_OVERRIDE.split(rest))
    for part in overrides:
        if "=" not in part:
            raise ValueError(f"--variant {text!r}: {part!r} is not path=value, {example}")
    return Variant(name, overrides)


def field_path(data: Any, dotted: str) -> FieldPath:
    """The one field a ``--set`` path names in ``data``, however it is spelled.

    The path syntax accepts several spellings of one field: a list item by name or by index
    (``teams.tier1`` / ``teams[0]`` / ``teams[tier1]`` / ``teams[00]``), stray dots
    (``.teams..tier1.``) and a field's Python name for its alias (``mean_`` for ``mean``). This
    gives the path with indices for list items and aliases for fields; steps past the end of
    ``data`` are kept as written.
    """
    path: list[str | int] = []
    node = data
    for step in path_steps(dotted):
        if isinstance(node, list):
            names = [item.get("name") if isinstance(item, dict) else None for item in node]
            if isinstance(step, str) and step in names:
                step = names.index(step)
        elif isinstance(node, dict) and isinstance(step, str) and step not in node:
            step = _alias(node, step)
        path.append(step)
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            node = None
    return tuple(path)


def spelling_clashes(data: Any, names: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Pairs of override paths (first, second) where ``second`` names the field of ``first``, or one inside the other.

    With both, the later one silently wins or changes part of the other (``teams.tier1.agents``
    and ``teams[0].agents``): ``clash_message`` says which field they share.
    """
    names = list(dict.fromkeys(names))
    paths = {name: field_path(data, name) for name in names}
    for j, later in enumerate(names):
        for earlier in names[:j]:
            a, b = paths[earlier], paths[later]
            if b[: len(a)] == a or a[: len(b)] == b:
                yield earlier, later


def clash_message(data: Any, first: str, second: str) -> str:
    """Why ``first`` and ``second`` cannot both be set (see ``spelling_clashes``)."""
    a, b = field_path(data, first), field_path(data, second)
    if a == b:
        return f"{first!r} and {second!r} are the same field ({format_path(a)}); set it under one spelling"
    inner, outer = (second, first) if len(b) > len(a) else (first, second)
    return (
        f"{inner!r} lies inside {outer!r} ({format_path(field_path(data, inner))} is part of "
        f"{format_path(field_path(data, outer))}); set one or the other"
    )


def _alias(node: dict, step: str) -> str:
    """``step`` written as its alias when ``node`` is a record of a model whose field ``step`` has one."""
    for accepted, aliases in _ALIASED:
        if step in aliases and node.keys() <= accepted:
            return aliases[step]
    return step


def _models(annotation: Any, seen: set[type]) -> Iterator[type[BaseModel]]:
    """Every pydantic model inside a type annotation, recursively."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
    for arg in typing.get_args(annotation):
        yield from _models(arg, seen)


_ALIASED = [
    (
        frozenset(name for n, f in model.model_fields.items() for name in (n, f.alias) if name),
        {n: f.alias for n, f in model.model_fields.items() if f.alias and f.alias != n},
    )
    for model in _models(Scenario, set())
    if any(f.alias and f.alias != n for n, f in model.model_fields.items())
]
"""(keys a model accepts, its field names → aliases) for every scenario model with an alias."""
