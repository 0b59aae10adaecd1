"""Write the generated reference pages (scenario schema, KPIs, command line) into a folder, before Sphinx reads it."""

from __future__ import annotations

from pathlib import Path

from sim.scenario.reference import markdown as scenario_markdown


def pages() -> dict[str, str]:
    """Each generated page by file name."""
    return {"scenario.md": "# Scenario file\n\n" + scenario_markdown().replace("\n#### ", "\n## ")}


def write_reference(folder: Path) -> None:
    """Write every generated page into ``folder`` (only when changed, so Sphinx rebuilds only what moved)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
