"""Atomic writes: a file or a folder either appears complete or not at all.

Experiments that run for hours are interrupted: by a laptop lid, a pre-empted cloud node, a
``kill -9``. Everything an experiment leaves on disk is written under a temporary name in the
same folder and renamed into place (``os.replace`` is atomic on one file system), so a reader —
or a resumed sweep — never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_with(path: Path, writer: Callable[[Path], object]) -> None:
    """Call ``writer(temporary_path)`` and rename the result to ``path`` once it is complete."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def new_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; it is renamed to ``final`` when the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    tmp.mkdir()
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def unique_path(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-1``, ``-2``… if that already exists."""
    candidate, suffix = Path(parent) / name, 1
    while candidate.exists():
        candidate, suffix = Path(parent) / f"{name}-{suffix}", suffix + 1
    return candidate
