"""What is wrong with a scenario and where: the one exception that reading, overriding and checking raise.

It lives below the loader because the YAML reader and the ``--set`` overrides raise it too, and
the loader imports both; ``format_path`` writes a field path as the messages name it.
"""

from __future__ import annotations

from sim.scenario.fields import Path


def format_path(path: Path) -> str:
    """``('teams', 2, 'shifts', 0, 'end')`` → ``teams[2].shifts[0].end``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


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


def _nearest_line(lines: dict[Path, int], path: Path) -> int | None:
    """The line of ``path``, else of the nearest section above it that has one."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
