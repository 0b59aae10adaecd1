"""Reading scenario files: YAML in, a validated ``Scenario`` out, or one clear message.

Errors name the file, the line, the field path (``teams[2].shifts[0].end``), the bad value and
what is allowed. ``--set path=value`` overrides are applied to the raw document before
validation, so they are checked exactly like the file. The YAML reader follows YAML 1.2 for
numbers, so ``17:00`` stays a clock time instead of becoming the base-60 integer 1020.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import re
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.core.distributions import DISTRIBUTION_NAMES
from sim.scenario.checks import reference_problems
from sim.scenario.fields import NAME_CHARACTERS, Path
from sim.scenario.spec import WEEKDAYS, Scenario

_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_.,=:/+@%\[\]\-]+$")


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
            object.__setattr__(self, "name", f"--set {word}")

    @classmethod
    def of(cls, item: str | Override) -> Override:
        """``item`` as an override (plain text is a ``--set``)."""
        return item if isinstance(item, Override) else cls(item)


Origin = tuple[str, Path]
"""The override a problem comes from: its name, and the field path it set."""


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found and where it is.

    ``origins[i]``, when given, is the override that caused ``problems[i]``: such a problem is
    named by the override (``--set teams[0].agent=3: unknown field agent; …``), not by a line of
    the file, which does not hold the bad value.
    """

    def __init__(
        self,
        source: str,
        problems: list[tuple[Path, str]],
        lines: dict[Path, int] | None = None,
        origins: list[Origin | None] | None = None,
    ) -> None:
        self.source = source
        self.problems = problems
        self.lines = lines or {}
        self.origins = origins or [None] * len(problems)
        super().__init__(self.render())

    def describe(self, index: int) -> str:
        """One problem without its file: ``field.path: message``, or ``--set path=value: message``."""
        path, message = self.problems[index]
        origin = self.origins[index]
        if origin is None:
            return f"{format_path(path) or '(top level)'}: {message}"
        name, target = origin
        return f"{name}: {message}" if path == target else f"{name}: {format_path(path) or '(top level)'}: {message}"

    def render(self) -> str:
        """Every problem on a line of its own: ``file[:line]: field.path: message``, or the override's."""
        rows = []
        for index, (path, _) in enumerate(self.problems):
            if self.origins[index] is not None:
                rows.append(self.describe(index))
                continue
            where = self.source
            line = _nearest_line(self.lines, path)
            if line is not None:
                where += f":{line}"
            rows.append(f"{where}: {self.describe(index)}")
        return "\n".join(rows)


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 numbers and yes/no booleans."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value, or a YAML error at its line when an explicit tag does not fit it (``!!int x``)."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
            tag = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node, yaml.ScalarNode) else node.id
            raise yaml.constructor.ConstructorError(
                None, None, f"{value!r} is not a valid !!{tag} value", node.start_mark
            ) from None


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


_INTEGER = re.compile(r"^[-+]?[0-9]+$")
_NUMBER = re.compile(r"^(?:[-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$")
"""Plain YAML 1.2 numbers (what the implicit int and float resolvers above accept, without inf and nan)."""

MAX_FILE_BYTES = 5_000_000
"""A scenario or sweep file is a few kilobytes; a thousand times the largest bundled one is refused unread."""
MAX_DEPTH = 64
"""Nesting deeper than any schema needs (a 1,000-deep document would exhaust Python's recursion)."""
MAX_NODES = 200_000
"""YAML nodes after expanding aliases: ample for a scenario, a wall against alias bombs ("billion laughs")."""


def _keep_bad_date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """A YAML date such as 2026-02-30 that is no calendar day stays text, for the schema to refuse by field."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:timestamp", _keep_bad_date_as_text)


def _decimal_int(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """YAML 1.2 integers are decimal: ``010`` is ten (PyYAML's 1.1 reading made it eight, silently)."""
    text = loader.construct_scalar(node)
    if isinstance(text, str) and _INTEGER.match(text):
        return int(text)
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # an explicit !!int such as 0x1F


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _decimal_int)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """The document and the line number of every node, by field path.

    Refused with one message each: text that is not YAML (with its line), a key given twice,
    nesting deeper than ``MAX_DEPTH``, a document that refers to itself, and more than
    ``MAX_NODES`` nodes once aliases are expanded.
    """
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        raise ScenarioError(_where(exc, text, source), [((), f"this is not valid YAML: {_problem(exc)}")]) from None
    except RecursionError:
        raise ScenarioError(
            source, [((), f"nested more than {MAX_DEPTH} levels deep; no scenario needs that")]
        ) from None
    lines: dict[Path, int] = {}
    if node is None:
        return None, lines
    _walk(node, source, lines)
    loader = _Yaml12Loader(text)
    try:
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ScenarioError(_where(exc, text, source), [((), f"this is not valid YAML: {_problem(exc)}")]) from None
    finally:
        loader.dispose()
    return data, lines


def _where(exc: yaml.YAMLError, text: str, source: str) -> str:
    """``file:line`` of a YAML error (a reader error knows only its character position)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{source}:{mark.line + 1}"
    position = getattr(exc, "position", None)
    return f"{source}:{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else source


def _problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        return f"the character {character!r} is not allowed in YAML text"
    return getattr(exc, "problem", None) or str(exc)


def _walk(root: yaml.Node, source: str, lines: dict[Path, int]) -> None:
    """Record each node's line by field path, refusing duplicate keys, deep nesting, cycles and bombs."""
    stack: list[tuple[yaml.Node, Path, tuple[int, ...]]] = [(root, (), ())]
    visited = 0
    while stack:
        node, path, ancestors = stack.pop()
        visited += 1
        if visited > MAX_NODES:
            raise ScenarioError(
                source,
                [
                    (
                        (),
                        f"more than {MAX_NODES:,} values once aliases are expanded; "
                        "write the document out instead of nesting aliases",
                    )
                ],
            )
        if len(path) > MAX_DEPTH:
            raise ScenarioError(
                source, [(path[:3], f"nested more than {MAX_DEPTH} levels deep; no scenario needs that")], lines
            )
        if id(node) in ancestors:
            raise ScenarioError(
                source, [(path[:3], "this value contains itself (a YAML alias to its own anchor)")], lines
            )
        lines.setdefault(path, node.start_mark.line + 1)
        inner = (*ancestors, id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        raise ScenarioError(
                            f"{source}:{line}",
                            [(path, f"{key.value!r} is given twice (lines {seen[key.value]} and {line}); keep one")],
                        )
                    seen[key.value] = line
                child = (*path, key.value)
                lines[child] = line
                stack.append((value, child, inner))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, i), inner) for i, item in enumerate(node.value))


def _nearest_line(lines: dict[Path, int], path: Path) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def format_path(path: Path) -> str:
    """``('teams', 2, 'shifts', 0, 'end')`` → ``teams[2].shifts[0].end``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_mapping(path: str | FsPath, what: str) -> tuple[dict[str, Any], dict[Path, int], str]:
    """A YAML file that must hold a mapping: (document, line of every field, source name).

    ``what`` completes the message for a file that is not a mapping, e.g. "a sweep must be a
    mapping of fields (base:, parameters:, …)".
    """
    source = str(path)
    data, lines = parse_yaml(read_text(path), source)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ScenarioError(source, [((), what)], lines)
    return data, lines, source


def read_text(path: str | FsPath) -> str:
    """A YAML file's text: UTF-8 and at most ``MAX_FILE_BYTES``, or one message saying what is wrong."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(source, [((), f"cannot read the file ({exc.strerror}); check the path")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(source, [((), f"larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario is a few kB")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise ScenarioError(source, [((), "UTF-16 text; save the file as UTF-8")]) from None
        raise ScenarioError(
            f"{source}:{line}", [((), (f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"))]
        ) from None


def read_scenario_document(path: str | FsPath) -> tuple[dict[str, Any], dict[Path, int], str]:
    """A scenario file's raw document (named after the file unless it names itself), not yet validated."""
    data, lines, source = read_mapping(path, "a scenario must be a mapping of fields (name:, channels:, teams: …)")
    data.setdefault("name", FsPath(path).stem)
    return data, lines, source


def load_scenario(path: str | FsPath, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Read, override and validate a scenario file; raise ``ScenarioError`` with every problem."""
    data, lines, source = read_scenario_document(path)
    return validate_overridden(data, overrides, source, lines)


def validate_overridden(
    data: dict[str, Any], overrides: Sequence[str | Override], source: str, lines: dict[Path, int] | None = None
) -> Scenario:
    """Apply ``overrides`` to the raw document ``data`` and validate the result.

    A problem that the document without the overrides does not have is named by the override
    that set its field (or a field under or above it); one unrelated to any override's field
    (a renamed team that routing still names) is named by every override.
    """
    changes = [Override.of(item) for item in overrides]
    changed, targets = _apply(data, changes, source)
    try:
        return validate(changed, source, lines)
    except ScenarioError as exc:
        if not changes:
            raise
        try:
            validate(data, source, lines)
            before: set[tuple[Path, str]] = set()
        except ScenarioError as plain:
            before = set(plain.problems)
        problems, origins = [], []
        for path, message in exc.problems:
            origin = None if (path, message) in before else _culprit(path, changes, targets)
            if origin is not None:
                message, origin = _in_override_words(path, message, origin, changed)
            problems.append((path, message))
            origins.append(origin)
        raise ScenarioError(source, problems, lines, origins) from None


def _culprit(path: Path, changes: list[Override], targets: list[Path]) -> Origin:
    """The last override whose field is ``path``, above it or under it; else all of them, named together."""
    for change, target in zip(reversed(changes), reversed(targets), strict=True):
        if path[: len(target)] == target or target[: len(path)] == path:
            return change.name, target
    return ", ".join(change.name for change in changes), ()


def _in_override_words(path: Path, message: str, origin: Origin, data: dict[str, Any]) -> tuple[str, Origin]:
    """A validation message said about an override rather than about a line of the file."""
    name, target = origin
    if path == target and message.startswith("unknown field;"):
        return f"unknown field {path[-1]}" + message.removeprefix("unknown field"), origin
    if len(target) == 3 and target[0] == "teams" and target[2] == "agents" and path == target[:2]:
        team = data["teams"][target[1]]
        if isinstance(team, dict) and isinstance(team.get("shifts"), list) and team.get("agents") is not None:
            return _shift_team_hint(team), (name, path)
    return message, origin


def _days_text(days: Any) -> str:
    """``mon-fri `` for a run of weekdays, ``mon,wed `` otherwise, empty when not a list of weekdays."""
    week = list(WEEKDAYS)
    if not isinstance(days, list) or not days or not all(day in week for day in days):
        return ""
    first = week.index(days[0])
    if len(days) > 2 and days == week[first : first + len(days)]:
        return f"{days[0]}-{days[-1]} "
    return ",".join(days) + " "


def _shift_team_hint(team: dict[str, Any]) -> str:
    """What to set instead of ``agents`` on a team that works in shifts."""
    name = team.get("name")
    shifts = team["shifts"]
    where = f"teams.{name}" if isinstance(name, str) and name else "teams[…]"
    shown = []
    for i, shift in enumerate(shifts[:6]):
        text = f"{where}.shifts[{i}].agents"
        if isinstance(shift, dict):
            text += (
                f" ({_days_text(shift.get('days'))}{shift.get('start')}-{shift.get('end')}, {shift.get('agents')} now)"
            )
        shown.append(text)
    more = f" and {len(shifts) - 6} more" if len(shifts) > 6 else ""
    return (
        f"{name} works in shifts, so 'agents' (on duty around the clock) does not apply; set a shift's "
        f"agents instead: {', '.join(shown)}{more}; or also --set {where}.shifts=null to drop the shifts"
    )


def validate(data: dict[str, Any], source: str = "<scenario>", lines: dict[Path, int] | None = None) -> Scenario:
    """Validate a raw scenario document, schema first, then the names that tie it together."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = [err for err in exc.errors() if _on_intended_branch(err["loc"], data)] or exc.errors()
        raise ScenarioError(source, [describe_error(err, data) for err in errors], lines) from None
    problems = list(reference_problems(scenario))
    if problems:
        raise ScenarioError(source, problems, lines)
    return scenario


_TAGS = set(DISTRIBUTION_NAMES)


def describe_error(err: ErrorDetails, data: Any, root: type[BaseModel] = Scenario) -> tuple[Path, str]:
    """Turn one pydantic error of validating ``data`` as ``root`` into (path, message) that says what is allowed."""
    loc = _clean_loc(err["loc"], data)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], root)
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
        return loc, f"must be {bounds[kind]} {limit:g}, got {err['input']!r}"
    if kind in _PLAIN:
        return loc, _PLAIN[kind] + (f" (got {err['input']!r})" if not isinstance(err["input"], (dict, list)) else "")
    message = err["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
        message += f" (got {err['input']!r})"
    return loc, message


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


_SCALAR_BRANCHES = {"float", "int", "bool", "str", "constrained-float", "constrained-int", "constrained-str"}
"""How pydantic tags the single-value branch of a union (``0.5`` or ``{team: 0.5}``)."""


def _on_intended_branch(loc: tuple, data: Any) -> bool:
    """For 'one value or one per name' fields, keep only the errors of the form the user wrote.

    A single value (a number, or one distribution: a mapping with ``dist``, or a mapping of
    numbers such as a distribution missing its ``dist``) means the single-value branch; a mapping of
    names to values means the per-name branch.
    """
    node = data
    for part in loc:
        if isinstance(part, str) and (part in _SCALAR_BRANCHES or part.startswith(("tagged-union[", "dict["))):
            if isinstance(node, dict) and part in node:  # a field that happens to be called 'float'
                node = node[part]
                continue
            return part.startswith("dict[") != _one_value(node, distribution="tagged-union[" in part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return True
    return True


def _one_value(node: Any, distribution: bool) -> bool:
    """Whether ``node`` is written as one value rather than a mapping of names to values."""
    if not isinstance(node, dict):
        return True
    return "dist" in node or (distribution and not all(isinstance(v, dict) for v in node.values()))
    return True


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


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_steps(dotted: str) -> list[str | int]:
    """The steps of a ``--set`` path: ``teams.tier1.shifts[0].agents`` → ``['teams', 'tier1', 'shifts', 0, 'agents']``.

    Dots and brackets only separate steps: empty steps are dropped, ``[0]`` and ``[00]`` are index
    0, and ``[tier1]`` is the name ``tier1`` (``variants.field_path`` maps every spelling to one path).
    """
    return [name if name else int(index) for name, index in _STEP.findall(dotted.strip())]


def apply_overrides(data: dict[str, Any], overrides: Iterable[str | Override], source: str) -> dict[str, Any]:
    """A copy of ``data`` with each ``path=value`` applied; list items may be named (teams.tier1.shifts[0].agents)."""
    return _apply(data, [Override.of(item) for item in overrides], source)[0]


def _apply(data: dict[str, Any], overrides: list[Override], source: str) -> tuple[dict[str, Any], list[Path]]:
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
    if _NUMBER.match(raw):  # what YAML 1.2 reads from a plain number, without parsing YAML
        return int(raw) if _INTEGER.match(raw) else float(raw)
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
