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
from pathlib import Path as FsPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from sim.core.distributions import DISTRIBUTION_NAMES
from sim.scenario.checks import reference_problems
from sim.scenario.fields import NAME_CHARACTERS, Path
from sim.scenario.spec import Scenario


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found and where it is."""

    def __init__(self, source: str, problems: list[tuple[Path, str]], lines: dict[Path, int] | None = None) -> None:
        self.source = source
        self.problems = problems
        self.lines = lines or {}
        super().__init__(self.render())

    def render(self) -> str:
        """Every problem on a line of its own: ``file[:line]: field.path: message``."""
        rows = []
        for path, message in self.problems:
            where = self.source
            line = _nearest_line(self.lines, path)
            if line is not None:
                where += f":{line}"
            rows.append(f"{where}: {format_path(path) or '(top level)'}: {message}")
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


def load_scenario(path: str | FsPath, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, override and validate a scenario file; raise ``ScenarioError`` with every problem."""
    data, lines, source = read_scenario_document(path)
    return validate(apply_overrides(data, overrides, source), source, lines)


def validate(data: dict[str, Any], source: str = "<scenario>", lines: dict[Path, int] | None = None) -> Scenario:
    """Validate a raw scenario document, schema first, then the names that tie it together."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = [err for err in exc.errors() if _on_intended_branch(err["loc"], data)] or exc.errors()
        raise ScenarioError(source, [_describe(err, data) for err in errors], lines) from None
    problems = list(reference_problems(scenario))
    if problems:
        raise ScenarioError(source, problems, lines)
    return scenario


_TAGS = set(DISTRIBUTION_NAMES)


def _describe(err: ErrorDetails, data: Any) -> tuple[Path, str]:
    """Turn one pydantic error into (path, message) that says what is allowed."""
    loc = _clean_loc(err["loc"], data)
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1])
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


def _allowed_fields(path: Path) -> list[str]:
    """The field names the schema allows at ``path`` (for 'did you mean' hints)."""
    model: Any = Scenario
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


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...], source: str) -> dict[str, Any]:
    """A copy of ``data`` with each ``path=value`` applied; list items may be named (teams.tier1.agents).

    Only the sections along each path are copied (``data`` is never changed, and the copy shares
    the rest with it): a sweep derives thousands of points from one base document.
    """
    data = dict(data)
    for text in overrides:
        if "=" not in text:
            raise ScenarioError(source, [((), f"--set {text!r}: write it as path=value, e.g. teams.tier1.agents=14")])
        dotted, raw = text.split("=", 1)
        value = _override_value(raw, text, source)
        steps = path_steps(dotted)
        if not steps:
            raise ScenarioError(source, [((), f"--set {text!r}: the path is empty")])
        parent: Any = data
        resolved: list[str | int] = []
        for step, following in itertools.pairwise(steps):
            child, key = _descend(parent, step, resolved, source, text, following)
            if isinstance(child, (dict, list)):
                child = copy.copy(child)  # copy on write: the caller's document stays as it was
                parent[key] = child
            parent = child
            resolved.append(key)
        last = steps[-1]
        if isinstance(parent, list):
            _, last = _descend(parent, last, resolved, source, text)
        elif not isinstance(parent, dict):
            raise ScenarioError(
                source, [(tuple(resolved), f"--set {text!r}: {format_path(tuple(resolved))} is a value, not a section")]
            )
        parent[last] = value
    return data


def _override_value(raw: str, text: str, source: str) -> Any:
    """The YAML value of one ``--set`` (blank stays an empty string)."""
    if not raw.strip():
        return raw
    if _NUMBER.match(raw):  # what YAML 1.2 reads from a plain number, without parsing YAML
        return int(raw) if _INTEGER.match(raw) else float(raw)
    try:
        value, _ = parse_yaml(raw, source)
    except ScenarioError as exc:
        problem = exc.problems[0][1] if exc.problems else "not valid YAML"
        raise ScenarioError(
            source,
            [
                (
                    (),
                    f"--set {text!r}: the value is {problem.removeprefix('this is ')}; "
                    "quote text that YAML would read otherwise, e.g. name='a: b'",
                )
            ],
        ) from None
    return value


def _descend(
    node: Any, step: str | int, resolved: list, source: str, text: str, following: str | int | None = None
) -> tuple[Any, str | int]:
    if isinstance(node, dict):
        if step not in node:
            if isinstance(following, int):
                where = format_path((*resolved, step))
                raise ScenarioError(
                    source,
                    [
                        (
                            tuple(resolved),
                            f"--set {text!r}: {where} has no items; --set changes "
                            "existing list items but cannot add them: add it in the file",
                        )
                    ],
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
        raise ScenarioError(
            source,
            [(tuple(resolved), f"--set {text!r}: no item {step!r} here; choose one of: {', '.join(map(str, names))}")],
        )
    raise ScenarioError(
        source, [(tuple(resolved), f"--set {text!r}: {format_path(tuple(resolved))} is a value, not a section")]
    )
