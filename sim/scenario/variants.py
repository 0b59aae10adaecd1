"""Scenario variants: a base scenario file plus ``path=value`` overrides, checked like ``--set``.

Comparisons (``--variant more_staff:teams.tier1.shifts[0].agents=14``) and sweeps (one variant per point)
read the base file once and derive every variant from its raw document with the loader's own
override machinery, so a variant is validated exactly as ``run --set`` would validate it and
its errors name the same field paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.fields import Path as FieldPath
from sim.scenario.loader import Override, apply_overrides, read_scenario_document, validate_overridden
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
