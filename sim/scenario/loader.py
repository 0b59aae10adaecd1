"""Reading scenario files: YAML in, a validated ``Scenario`` out, or one clear message.

Errors name the file, the line, the field path (``teams[2].shifts[0].end``), the bad value and
what is allowed. ``--set path=value`` overrides are applied to the raw document before
validation, so they are checked exactly like the file, and a problem an override caused is named
by that override. The YAML reading, the overrides and the wording of schema errors each have a
module of their own (``yaml_source``, ``overrides``, ``schema_messages``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from sim.scenario.checks import reference_problems
from sim.scenario.errors import Origin, ScenarioError
from sim.scenario.fields import Path
from sim.scenario.overrides import Override, apply_with_targets
from sim.scenario.schema_messages import describe_error
from sim.scenario.spec import WEEKDAYS, Scenario
from sim.scenario.yaml_source import read_mapping


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
    changed, targets = apply_with_targets(data, changes, source)
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


MAX_PROBLEMS = 50
"""Schema problems listed one by one; a file with thousands (150,000 unknown keys) gets a count of the rest."""


def validate(data: dict[str, Any], source: str = "<scenario>", lines: dict[Path, int] | None = None) -> Scenario:
    """Validate a raw scenario document, schema first, then the names that tie it together."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = [err for err in exc.errors() if _on_intended_branch(err["loc"], data)] or exc.errors()
        problems = [describe_error(err, data) for err in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:
            more = len(errors) - MAX_PROBLEMS
            problems.append(((), f"and {more:,} more problems of the schema; fix the ones above first"))
        raise ScenarioError(source, problems, lines) from None
    problems = list(dict.fromkeys(reference_problems(scenario)))  # a problem met on several routes is said once
    if problems:
        raise ScenarioError(source, problems, lines)
    return scenario


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
