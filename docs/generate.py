"""Write the generated reference pages into ``docs/reference/generated/`` before Sphinx reads the sources."""

from __future__ import annotations

from pathlib import Path

from sim.reference_pages import PAGES


def write_reference(folder: Path) -> list[Path]:
    """Write every page of ``PAGES`` into ``folder``, only where it changed (Sphinx rebuilds what moved)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in PAGES.items():
        path = folder / name
        text = page()
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
