"""Reading YAML files with the line of every field, by YAML 1.2's rules and within safe limits.

Every later message names ``file:line``, so the reader records where each field was written; it
follows YAML 1.2 so that ``17:00`` stays a clock time instead of becoming the base-60 integer
1020, and it refuses oversized, over-nested and self-referring documents with one clear message.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.fields import Path


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


_FAST_COMPOSER: Any = None
"""libyaml's parser resolving plain values by ``_Yaml12Loader``'s rules, where PyYAML was built with it."""
if yaml.__with_libyaml__:

    class _FastComposer(yaml.cyaml.CParser, yaml.resolver.Resolver):
        """Builds the node tree in C: a 4 MB document in 3.5 s instead of 20 s."""

        yaml_implicit_resolvers = _Yaml12Loader.yaml_implicit_resolvers

    _FAST_COMPOSER = _FastComposer


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
        return _integer(text)
    return yaml.SafeLoader.construct_yaml_int(loader, node)  # an explicit !!int such as 0x1F


def _integer(text: str) -> int | float:
    """The integer ``text`` spells; past the 4,300 digits Python reads as one, the float it rounds to (inf).

    No field takes a number that long, and each refuses an infinite one with its own message.
    """
    try:
        return int(text)
    except ValueError:
        return float(text)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _decimal_int)


def plain_number(text: str) -> int | float | None:
    """The number YAML 1.2 reads from ``text`` when it is a plain number, without parsing YAML; else None."""
    if not _NUMBER.match(text):
        return None
    return _integer(text) if _INTEGER.match(text) else float(text)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """The document and the line number of every node, by field path.

    Refused with one message each: text that is not YAML (with its line), a key given twice,
    nesting deeper than ``MAX_DEPTH``, a document that refers to itself, and more than
    ``MAX_NODES`` nodes once aliases are expanded.
    """
    try:
        node = _compose(text)
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


def _compose(text: str) -> yaml.Node | None:
    """The document's node tree: by libyaml where installed; by PyYAML's reader when that fails or is missing.

    A document libyaml refuses, or that nests deeper than ``MAX_DEPTH``, is read again by PyYAML,
    so that every message about it is worded as before.
    """
    if _FAST_COMPOSER is not None:
        parser = _FAST_COMPOSER(text)
        try:
            if _nests_within_limit(parser):
                parser.dispose()
                parser = _FAST_COMPOSER(text)
                return parser.get_single_node()
        except yaml.YAMLError:
            pass
        finally:
            parser.dispose()
    return yaml.compose(text, Loader=_Yaml12Loader)


def _nests_within_limit(parser: Any) -> bool:
    """Whether the document nests collections at most ``MAX_DEPTH`` deep, read from the parser's events.

    libyaml builds the node tree by recursion in C, where two million nested lists overflow the
    stack and end the process; its events come one at a time. A deeper document goes to PyYAML.
    """
    depth = 0
    while parser.check_event():
        event = parser.get_event()
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif isinstance(event, _CLOSES):
            depth -= 1
    return True


_OPENS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSES = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _where(exc: yaml.YAMLError, text: str, source: str) -> str:
    """``file:line`` of a YAML error (a reader error knows only its character position)."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{source}:{mark.line + 1}"
    position = getattr(exc, "position", None)
    return f"{source}:{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else source


def _problem(exc: yaml.YAMLError) -> str:
    """What a YAML error says is wrong, in words (a character YAML refuses is shown as itself)."""
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
                        f"more than {MAX_NODES:,} values once aliases are expanded, far more than any "
                        "scenario holds; if aliases nest, write the document out instead",
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
                if not isinstance(key, yaml.ScalarNode):
                    raise ScenarioError(
                        f"{source}:{line}",
                        [(path, "a key here is a list or a mapping (YAML's '? ' form); a key must be a plain name")],
                    )
                if key.value != "<<":
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
