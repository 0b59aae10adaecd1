"""``--set path=value`` overrides: changing a raw scenario document before it is validated.

Overrides change the document, not the validated scenario, so an override is checked exactly like
the file; list items are addressed by name or index, and a bad override is named as the user typed it.
"""

from __future__ import annotations

import copy
import itertools
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.core.units import shortened
from sim.scenario.errors import ScenarioError, format_path
from sim.scenario.fields import Path
from sim.scenario.yaml_source import parse_yaml, plain_number

_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_.,=:/+@%\[\]\-]+$")
NAME_WIDTH = 120
"""Characters of an override that a message repeats, the middle cut out of a longer one (a value of megabytes)."""


@dataclass(frozen=True)
class Override:
    """One ``path=value`` override, and how a message names it when it causes a problem.

    ``name`` is what the user typed: ``--set teams.tier1.shifts[0].agents=11`` (the default),
    ``--variant more:teams.tier1.shifts[0].agents=11``, or a sweep file's line.
    """

    text: str
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            word = self.text if _SHELL_SAFE.match(self.text) else "'" + self.text.replace("'", "'\\''") + "'"
            object.__setattr__(self, "name", f"--set {shortened(word, NAME_WIDTH)}")

    @classmethod
    def of(cls, item: str | Override) -> Override:
        """``item`` as an override (plain text is a ``--set``)."""
        return item if isinstance(item, Override) else cls(item)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_BRACKETS = re.compile(r"\[[^.\[\]]+\]")
"""A well-formed bracket: an index or a name, no dots or brackets inside."""


def path_steps(dotted: str) -> list[str | int]:
    """The steps of a ``--set`` path: ``teams.tier1.shifts[0].agents`` → ``['teams', 'tier1', 'shifts', 0, 'agents']``.

    Dots and brackets only separate steps: empty steps are dropped, ``[0]`` and ``[00]`` are index
    0, and ``[tier1]`` is the name ``tier1`` (``variants.field_path`` maps every spelling to one path).
    """
    return [name if name else int(index) for name, index in _STEP.findall(dotted.strip())]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str | Override], source: str) -> dict[str, Any]:
    """A copy of ``data`` with each ``path=value`` applied; list items may be named (teams.tier1.shifts[0].agents)."""
    return apply_with_targets(data, [Override.of(item) for item in overrides], source)[0]


def apply_with_targets(
    data: dict[str, Any], overrides: list[Override], source: str
) -> tuple[dict[str, Any], list[Path]]:
    """``apply_overrides``, also returning the field path each override set (list items by index).

    Only the sections along each path are copied (``data`` is never changed, and the copy shares
    the rest with it): a sweep derives thousands of points from one base document.
    """
    data = dict(data)
    targets: list[Path] = []
    for change in overrides:
        text = change.text

        def refuse(path: Path, message: str, change: Override = change) -> ScenarioError:
            return ScenarioError(source, [(path, message)], origins=[(change.name, path)])

        if "=" not in text:
            raise refuse((), "write it as path=value, e.g. teams.tier1.shifts[0].agents=11")
        dotted, raw = text.split("=", 1)
        if "[" in (rest := _BRACKETS.sub("", dotted)) or "]" in rest:
            raise refuse((), "a bracket holds a list index ([0]) or a name ([tier1]), nothing else")
        value = _override_value(raw, refuse)
        steps = path_steps(dotted)
        if not steps:
            raise refuse((), "the path is empty; write it as path=value")
        parent: Any = data
        resolved: list[str | int] = []
        for step, following in itertools.pairwise(steps):
            child, key = _descend(parent, step, tuple(resolved), refuse, following)
            if isinstance(child, (dict, list)):
                child = copy.copy(child)  # copy on write: the caller's document stays as it was
                parent[key] = child
            parent = child
            resolved.append(key)
        last = steps[-1]
        if isinstance(parent, list):
            _, last = _descend(parent, last, tuple(resolved), refuse)
        elif not isinstance(parent, dict):
            raise refuse(tuple(resolved), f"{format_path(tuple(resolved))} is a value, not a section")
        parent[last] = value
        targets.append((*resolved, last))
    return data, targets


def _override_value(raw: str, refuse: typing.Callable[[Path, str], ScenarioError]) -> Any:
    """The YAML value of one ``--set`` (blank stays an empty string)."""
    if not raw.strip():
        return raw
    number = plain_number(raw)
    if number is not None:
        return number
    try:
        value, _ = parse_yaml(raw, "--set")
    except ScenarioError as exc:
        problem = exc.problems[0][1] if exc.problems else "not valid YAML"
        raise refuse(
            (),
            f"the value is {problem.removeprefix('this is ')}; "
            "quote text that YAML would read otherwise, e.g. name='a: b'",
        ) from None
    return value


def _descend(
    node: Any,
    step: str | int,
    resolved: Path,
    refuse: typing.Callable[[Path, str], ScenarioError],
    following: str | int | None = None,
) -> tuple[Any, str | int]:
    """The child of ``node`` at ``step`` and its key (a named list item's index), made if a section lacks it."""
    where = format_path(resolved) or "the top level"
    if isinstance(node, dict):
        if step not in node:
            if isinstance(following, int):
                raise refuse(
                    resolved,
                    f"{format_path((*resolved, step))} has no items; --set changes existing list items "
                    "but cannot add them: add it in the file",
                )
            node[step] = {}
        return node[step], step
    if isinstance(node, list):
        if isinstance(step, int) and step < len(node):
            return node[step], step
        names = [item.get("name") for item in node if isinstance(item, dict)]
        if step in names:
            index = names.index(step)
            return node[index], index
        raise refuse(resolved, f"no item {step!r} in {where}; {_list_choices(node, names)}")
    raise refuse(resolved, f"{where} is a value, not a section")


def _list_choices(items: list[Any], names: list[Any]) -> str:
    """How the items of a list can be addressed: by name where they have one, else by index."""
    if not items:
        return "the list is empty; add items in the file"
    indices = "[0]" if len(items) == 1 else f"[0] to [{len(items) - 1}]"
    named = [str(name) for name in names if isinstance(name, str)]
    if named:
        return f"choose one of: {', '.join(named)} (or an index {indices})"
    return f"it has {len(items)} item{'s' * (len(items) != 1)}, addressed by index {indices}"
