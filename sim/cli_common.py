"""What the commands share: help layout and examples, common options, executors, output checks.

The command modules (``sim.cli`` and the calibration commands) build on these so that an option
means the same, and fails with the same message, everywhere.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sim.core.atomic import OutputError, check_writable, clean_leftovers, describe_os_error
from sim.core.seeds import MAX_SEED
from sim.experiments.executors import EXECUTORS, make_executor

if TYPE_CHECKING:
    from sim.experiments.executors import Executor
    from sim.scenario.workload import Run


def add_report_option(parser: argparse.ArgumentParser) -> None:
    """The ``--report`` flag of run, compare and sweep."""
    parser.add_argument(
        "--report",
        action="store_true",
        help="also write report.html (plots and KPIs with intervals) into the results folder",
    )


def write_report(folder: str | Path) -> Path:
    """Write ``folder``'s report.html; matplotlib and Jinja2 are imported only when a report is asked for."""
    from sim.reports.html import write_report as write

    try:
        return write(folder)
    except OSError as exc:  # a disk that filled after the results were written
        raise OutputError(f"cannot write the report in {folder}: {describe_os_error(exc)}") from None


class HelpFormatter(argparse.HelpFormatter):
    """Wraps the prose of a help text, and keeps indented example lines (the epilogs) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            "\n".join(indent + line for line in part.splitlines())
            if part.startswith("  ") or "\n  " in part
            else super(HelpFormatter, self)._fill_text(part, width, indent)
            for part in text.split("\n\n")
        )


def examples_epilog(*commands: str) -> str:
    """An epilog of example commands; tests/test_readme_commands.py runs each of them."""
    return "examples:\n" + "\n".join(f"  python run_sim.py {command}" for command in commands)


def command_parser(
    sub: argparse._SubParsersAction, name: str, *, summary: str, description: str, examples: Sequence[str] = ()
) -> argparse.ArgumentParser:
    """A subcommand's parser: ``summary`` in the list of commands; ``description`` and ``examples`` in its help."""
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        formatter_class=HelpFormatter,
        epilog=examples_epilog(*examples) if examples else None,
    )


def add_overrides(
    parser: argparse.ArgumentParser,
    text: str = "override a field, e.g. --set teams.tier1.shifts[0].agents=11 (repeatable)",
) -> None:
    """The repeatable ``--set PATH=VALUE`` option."""
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE", help=text)


def _whole(text: str, what: str) -> int:
    """``text`` as a whole number, or the argparse error naming ``what`` it should be."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def given(what: str) -> Callable[[str], str]:
    """An argparse type that takes the text as typed but refuses an empty one, naming ``what`` to give instead.

    An empty value usually comes from a shell variable that was not set (``--out "$DIR"``). Taken
    as typed it would quietly mean the default (``--goals ''``) or the current folder (``--out ''``).
    """

    def check(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"is empty; give {what}")
        return text

    return check


folder = given("a folder, e.g. --out results")
"""The type of every ``--out`` results folder."""
scenario_file = given("a scenario file, e.g. scenarios/baseline.yaml")
"""The type of every scenario file argument."""


def seed_number(text: str) -> int:
    """A ``--seed`` value: a whole number from 0 (numpy's seed sequences take no negatives) to ``MAX_SEED``."""
    seed = _whole(text, "a whole number")
    if seed < 0:
        raise argparse.ArgumentTypeError(f"{seed} is negative; use 0 or more")
    if seed > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{seed} is above {MAX_SEED:,}, the largest seed; use a smaller one")
    return seed


def whole_days(text: str) -> int:
    """A ``--days`` value: a whole number of days, 1 or more."""
    days = _whole(text, "a whole number of days")
    if days < 1:
        raise argparse.ArgumentTypeError(f"{days} days; plan at least 1")
    return days


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--executor``, ``--scheduler`` and ``--quiet``."""
    parser.add_argument("--workers", "-w", type=int, help="parallel workers (default: all cores)")
    parser.add_argument("--executor", choices=EXECUTORS, help="local processes (default) or a Dask cluster")
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        type=given("the scheduler's address, e.g. tcp://10.0.0.5:8786"),
        help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask; "
        "without it, --executor dask starts a local cluster)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


@contextmanager
def lasting_imports() -> Iterator[None]:
    """Import a command's libraries with the cyclic collector paused, then freeze what they built.

    pandas, pyarrow, SimPy and the scenario's pydantic models are some 140,000 tracked objects that
    live until the process ends and are never garbage: the collector walked them in full
    collections while they loaded and again later, for nothing (0.1 CPU-s of ``run``). Frozen
    objects are left out of every later collection (reference counting still frees them). Only
    a call that loaded modules freezes: in a process that runs commands again and again (tests,
    a notebook) the later calls import nothing, and freezing then would keep whatever cyclic
    garbage the earlier ones left from ever being collected.
    """
    enabled, loaded = gc.isenabled(), len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if len(sys.modules) > loaded:
            gc.freeze()


class UsageError(Exception):
    """Options that do not fit together (reported like a scenario problem: exit 2, no traceback)."""


def ready_to_write(folder: Path, clean: Callable[[Path], list[Path]] = clean_leftovers) -> None:
    """Before simulating: fail now if ``folder`` cannot be written, and clear what a killed run left there.

    An unwritable ``--out`` is an ``OutputError`` (exit 2) before any work is done. Hidden
    ``.partial`` folders and ``.tmp`` files of a run that was killed while writing are removed,
    one line each on stderr, so they are neither kept forever nor mistaken for results.
    """
    check_writable(folder)
    for path in clean(folder):
        kind = "results folder" if path.suffix == ".partial" else "file"
        print(f"note: removed unfinished {kind} {path} left by an interrupted run", file=sys.stderr)


def executor_for(args: argparse.Namespace, tasks: int) -> Executor:
    """The executor the execution options ask for, sized for ``tasks``."""
    kind = args.executor or ("dask" if args.scheduler else "local")
    return make_executor(kind, args.workers, args.scheduler, tasks=tasks)


def progress_of(args: argparse.Namespace) -> bool | None:
    """The ``progress`` argument of the runners: off with ``--quiet``, else automatic."""
    return False if args.quiet else None


def add_force_option(parser: argparse.ArgumentParser) -> None:
    """``--force``: run work above the documented limits."""
    parser.add_argument(
        "--force",
        action="store_true",
        help="run even when the estimated work is above the limits (see the docs: Input limits and faults)",
    )


def check_workload(runs: list[Run], force: bool) -> None:
    """Refuse, before simulating, work above the documented limits, unless ``--force``."""
    from sim.scenario.workload import total_problem

    if not force and (problem := total_problem(runs)):
        raise UsageError(f"{problem}; add --force to run it anyway")
