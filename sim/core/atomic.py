"""Atomic writes: a file or a folder either appears complete or not at all.

Experiments that run for hours are interrupted: by a laptop lid, a pre-empted cloud node, a
``kill -9``. Everything an experiment leaves on disk is written under a temporary name in the
same folder and renamed into place (``os.replace`` is atomic on one file system), so a reader —
or a resumed sweep — never sees half a file.

A ``kill -9`` cannot clean up after itself: it leaves a hidden ``.<name>.<pid>-<tag>.partial``
folder or ``.<name>.<pid>-<tag>.tmp`` file. ``clean_leftovers`` removes those whose writer is no
longer alive and says which, so the next run reports and clears them (and the ``.<name>.partial``
folders of earlier versions, which carry no pid, once they have been untouched for ten minutes). A results folder that
cannot be written (under a regular file, read-only, full) is an ``OutputError`` with one line:
``check_writable`` finds it before hours of simulation, and the writers turn a disk that fills
half-way into the same error, leaving only the temporary name behind to be removed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

NAME_LIMIT = 100
"""Longest folder or file name the writers make (bytes); most file systems allow 255."""

_LEFTOVER = re.compile(r"^\..+\.(\d+)-[0-9a-f]{8}\.(partial|tmp)$")
_OLD_LEFTOVER = re.compile(r"^\..+\.partial$")
"""Versions before the writer's pid was in the name left ``.<run>.partial`` results folders."""
OLD_FORMAT_QUIET = 600.0
"""Seconds an old-format folder must be untouched before it is removed (its writer cannot be asked)."""


class OutputError(Exception):
    """Results cannot be written where asked: one line naming the place and the reason."""


def describe_os_error(exc: OSError) -> str:
    """The reason of an ``OSError`` in words (``No space left on device``), without its traceback."""
    reasons = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "the file system is read-only",
        errno.ENOTDIR: "part of the path is a file, not a folder",
        errno.EEXIST: "a file of that name is in the way",
        errno.ENAMETOOLONG: "a name in the path is too long",
    }
    if exc.errno in reasons:
        return reasons[exc.errno]
    return exc.strerror or str(exc) or type(exc).__name__


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    write_with(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_with(path: Path, writer: Callable[[Path], object]) -> None:
    """Call ``writer(temporary_path)`` and rename the result to ``path`` once it is complete.

    Any ``OSError`` (a full disk, a read-only folder) becomes an ``OutputError``; the temporary
    file is removed, so nothing half-written is left under the final name.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        _remove(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {describe_os_error(exc)}") from None
        raise


@contextmanager
def new_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; it is renamed to ``final`` when the block succeeds.

    An ``OSError`` while filling it becomes an ``OutputError``; the temporary folder is removed
    on any failure, so ``final`` appears complete or not at all.
    """
    final = Path(final)
    tmp = final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        yield tmp
        os.replace(tmp, final)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write results to {final}: {describe_os_error(exc)}") from None
        raise


def unique_path(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-1``, ``-2``… if that already exists."""
    candidate, suffix = Path(parent) / name, 1
    while candidate.exists():
        candidate, suffix = Path(parent) / f"{name}-{suffix}", suffix + 1
    return candidate


def safe_name(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` usable as one file or folder name: no path separators, at most ``limit`` bytes.

    A longer name keeps its start and gains ``-`` and 8 hex digits of a hash of the whole name,
    so two long names that share a beginning still get different folders.
    """
    clean = re.sub(r"[/\\\x00]", "_", name).lstrip(".") or "_"
    if len(clean.encode("utf-8")) <= limit and clean == name:
        return name
    if len(clean.encode("utf-8")) <= limit:
        return clean
    tag = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    head = clean.encode("utf-8")[: limit - len(tag) - 1].decode("utf-8", errors="ignore")
    return f"{head}-{tag}"


def check_writable(folder: Path) -> None:
    """Make ``folder`` (and its parents) and write and remove a small probe file in it.

    Raises ``OutputError`` with one line when that fails: a parent is a regular file, the folder
    is read-only, or the disk is full. Called before simulating, so hours of work are not lost.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-check.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(probe, "wb") as fh:
                fh.write(b"\0" * 4096)
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            _remove(probe)
    except OSError as exc:
        raise OutputError(f"cannot write results to {folder}: {describe_os_error(exc)}") from None


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove the temporary files and folders an interrupted writer left in ``folder``; return them.

    Only leftovers whose writing process is gone are removed: a run still writing next door
    keeps its own. Old-format ``.<run>.partial`` folders (earlier versions put no pid in the
    name) are removed once nothing in them changed for ``OLD_FORMAT_QUIET`` seconds.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for path in sorted(entries):
        match = _LEFTOVER.match(path.name)
        if match is None and not _old_and_quiet(path):
            continue
        if match is not None and _alive(int(match.group(1))):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            _remove(path)
        removed.append(path)
    return removed


def dumps_json(doc: Any, indent: int | None = 2) -> str:
    """``doc`` as standard JSON: NaN and infinities become ``null`` (JSON has no such numbers)."""
    return json.dumps(_finite(doc), indent=indent, allow_nan=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        try:
            return _finite(value.item())
        except (TypeError, ValueError):
            return value
    return value


def _old_and_quiet(path: Path) -> bool:
    """Whether ``path`` is an old-format results folder that nothing has touched for a while."""
    if not _OLD_LEFTOVER.match(path.name) or path.is_symlink() or not path.is_dir():
        return False
    try:
        newest = max([path.stat().st_mtime, *(entry.stat().st_mtime for entry in path.iterdir())])
    except OSError:
        return False
    return time.time() - newest >= OLD_FORMAT_QUIET


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    with suppress(OSError):
        path.unlink(missing_ok=True)
