"""YAML text with a comment on any line: how a calibrated scenario says where each number came from.

PyYAML writes no comments, so the calibrated scenario is emitted here: a document of dicts and lists
whose values may be wrapped in ``Noted(value, comment)``. Mappings of structure and lists of mappings
are written in block style; everything else (numbers, names, flat mappings such as a mix, lists of
numbers such as a profile) in flow style on one line, wrapped inside its brackets when long, with the
comment after it. The text loads back with any YAML reader to the same values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

WIDTH = 100
"""Lines of flow lists wrap inside their brackets at about this width."""
DIGITS = 4
"""Significant digits of a written float."""


@dataclass(frozen=True)
class Noted:
    """A value with the comment written after it."""

    value: Any
    comment: str


def _plain(value: Any) -> Any:
    """``value`` without its ``Noted`` wrapper."""
    return value.value if isinstance(value, Noted) else value


def _comment(value: Any) -> str:
    return f"  # {one_line(value.comment)}" if isinstance(value, Noted) and value.comment else ""


def one_line(text: str) -> str:
    """``text`` fit for a ``#`` comment: line breaks and other control characters (an export's values) as spaces."""
    return "".join(c if c.isprintable() else " " for c in text)


def rounded(value: Any) -> Any:
    """Floats to ``DIGITS`` significant digits (whole floats as ints), recursively; other values unchanged."""
    value = _plain(value)
    if isinstance(value, float) and math.isfinite(value):
        short = float(f"{value:.{DIGITS}g}")
        return int(short) if short.is_integer() and abs(short) < 1e15 else short
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def _is_block(value: Any) -> bool:
    """Whether ``value`` is written as a block: a mapping holding structure or notes, or a list of mappings."""
    value = _plain(value)
    if isinstance(value, dict):
        return any(
            isinstance(v, Noted) or (isinstance(_plain(v), dict | list) and _is_block(v)) for v in value.values()
        )
    if isinstance(value, list):
        return bool(value) and all(isinstance(_plain(v), dict) for v in value)
    return False


def _is_flat(value: Any) -> bool:
    """Whether a list item is a mapping written on one line: no notes, no nested mappings."""
    if not isinstance(value, dict):
        return False
    return not any(
        isinstance(v, Noted | dict) or (isinstance(v, list) and any(isinstance(x, dict) for x in v))
        for v in value.values()
    )


def flow(value: Any) -> str:
    """One value in YAML flow style (a scalar, a flat mapping or a list)."""
    text = yaml.safe_dump([rounded(value)], default_flow_style=True, width=math.inf, sort_keys=False).strip()
    return text[1:-1]


def _wrapped(text: str, indent: int) -> list[str]:
    """A long flow list split after commas, continuation lines indented past ``indent``."""
    if len(text) + indent <= WIDTH or text[:1] not in "[{":
        return [text]
    lines, line = [], ""
    for part in text.split(", "):
        if line and len(line) + len(part) + indent > WIDTH:
            lines.append(line + ",")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return [*lines, line]


def _entry(key: str, value: Any, indent: int) -> list[str]:
    """The lines of ``key: value`` at ``indent`` spaces."""
    pad = " " * indent
    if not _is_block(value):
        parts = _wrapped(flow(value), indent + len(key) + 2)
        lines = [f"{pad}{key}: {parts[0]}"] + [f"{pad}    {p}" for p in parts[1:]]
        lines[-1] += _comment(value)
        return lines
    return [f"{pad}{key}:{_comment(value)}", *_block(_plain(value), indent + 2)]


def _block(value: dict | list, indent: int) -> list[str]:
    """A mapping or a list of mappings in block style."""
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in _entry(str(k), v, indent)]
    lines = []
    for item in value:
        if _is_flat(item):
            parts = _wrapped(flow(item), indent + 2)
            lines += [" " * indent + "- " + parts[0]] + [" " * (indent + 6) + p for p in parts[1:]]
            continue
        item_lines = _block(_plain(item), indent + 2)
        lines.append(" " * indent + "- " + item_lines[0][indent + 2 :])
        lines.extend(item_lines[1:])
    return lines


def dump(document: dict, header: list[str] | None = None) -> str:
    """The YAML text of ``document``, after ``header`` lines written as ``#`` comments."""
    head = [f"# {one_line(line)}".rstrip() for line in header or []]
    body: list[str] = []
    for key, value in document.items():
        if body and _is_block(value):
            body.append("")
        body.extend(_entry(str(key), value, 0))
    return "\n".join([*head, *([""] if head else []), *body]) + "\n"
