"""Reading scenario files: YAML in, a validated ``Scenario`` out, or one clear message.

Errors name the file, the line, the field path (``teams[2].shifts[0].end``), the bad value and
what is allowed. ``--set path=value`` overrides are applied to the raw document before
validation, so they are checked exactly like the file. The YAML reader follows YAML 1.2 for
numbers, so ``17:00`` stays a clock time instead of becoming the base-60 integer 1020.
"""

from __future__ import annotations

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
from sim.scenario.fields import Path
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


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """The document and the line number of every node, by field path."""
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
        data = yaml.load(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(where, [((), f"this is not valid YAML: {problem}")]) from None
    lines: dict[Path, int] = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def _collect_lines(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            lines[child] = key.start_mark.line + 1
            _collect_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _collect_lines(item, (*path, i), lines)


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
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(source, [((), f"cannot read the file ({exc.strerror}); check the path")]) from None
    data, lines = parse_yaml(text, source)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ScenarioError(source, [((), what)], lines)
    return data, lines, source


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
        errors = [err for err in exc.errors() if _on_intended_branch(err["loc"], data)]
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
    message = err["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "input" in err and not isinstance(err["input"], (dict, list)):
        message += f" (got {err['input']!r})"
    return loc, message


def _on_intended_branch(loc: tuple, data: Any) -> bool:
    """For 'one distribution or one per team' fields, keep only the errors of the form the user wrote."""
    node = data
    for part in loc:
        if isinstance(part, str) and part.startswith(("tagged-union[", "dict[")):
            meant_one = isinstance(node, dict) and (
                "dist" in node or not all(isinstance(value, dict) for value in node.values())
            )
            return part.startswith("tagged-union[") == meant_one
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return True
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


def apply_overrides(data: dict[str, Any], overrides: list[str] | tuple[str, ...], source: str) -> dict[str, Any]:
    """A copy of ``data`` with each ``path=value`` applied; list items may be named (teams.tier1.agents)."""
    import copy

    data = copy.deepcopy(data)
    for text in overrides:
        if "=" not in text:
            raise ScenarioError(source, [((), f"--set {text!r}: write it as path=value, e.g. teams.tier1.agents=14")])
        dotted, raw = text.split("=", 1)
        value = yaml.load(raw, Loader=_Yaml12Loader) if raw.strip() else raw
        steps = [name if name else int(index) for name, index in _STEP.findall(dotted.strip())]
        if not steps:
            raise ScenarioError(source, [((), f"--set {text!r}: the path is empty")])
        parent: Any = data
        resolved: list[str | int] = []
        for step, following in itertools.pairwise(steps):
            parent, key = _descend(parent, step, resolved, source, text, following)
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
