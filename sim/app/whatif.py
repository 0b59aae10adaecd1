"""One what-if question and its answer: a variant of a scenario against the scenario, on the same customers.

A ``Question`` is what ``run_sim.py compare FILE --variant 'variant:OVERRIDES' --set FIXED -r R
--seed S`` would run, and ``Question.command`` writes that command out, so a planner can take
the app's answer to the command line. ``ask`` runs both scenarios with their tables (the flow
diagrams, waits and backlog need them) and computes the paired table the same way ``compare``
does; the base scenario's runs are kept between questions, since moving a knob changes only
the variant.
"""

from __future__ import annotations

import hashlib
import shlex
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.experiments.compare import Comparison, comparison_of_runs
from sim.experiments.executors import Executor, Outcome, Task
from sim.experiments.replications import RunResult, run
from sim.scenario.spec import Scenario
from sim.scenario.variants import read_document

VARIANT = "variant"
"""The variant's label, in the page and in the equivalent ``compare --variant`` command."""


@dataclass(frozen=True)
class Question:
    """A scenario file, the overrides every scenario gets (``fixed``) and the variant's own, replications and seed."""

    source: Path
    variant: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    replications: int = 5
    seed: int = 1

    def scenarios(self) -> dict[str, Scenario]:
        """The base (labelled by its name, as ``compare`` labels it) and the variant."""
        document = read_document(self.source)
        base = document.scenario(self.fixed)
        variant = document.scenario([*self.fixed, *self.variant]) if self.variant else base
        return {base.name: base, VARIANT: variant}

    def command(self) -> str:
        """The ``run_sim.py compare`` command that gives the same numbers."""
        parts = ["python", "run_sim.py", "compare", shown_path(self.source)]
        parts += ["--variant", f"{VARIANT}:{','.join(self.variant)}"] if self.variant else []
        for change in self.fixed:
            parts += ["--set", change]
        parts += ["-r", str(self.replications), "--seed", str(self.seed)]
        return shlex.join(parts)


def shown_path(path: Path) -> str:
    """A path as a command typed here would name it: relative to the working folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Answer:
    """The paired comparison of a question, with both scenarios' full runs."""

    question: Question
    comparison: Comparison
    runs: dict[str, RunResult]
    elapsed: float
    reused_base: bool = False

    @property
    def base(self) -> str:
        """The base scenario's label."""
        return self.comparison.base


@dataclass
class RunCache:
    """The last few runs, keyed by the resolved scenario, replications and seed (the base is asked again and again)."""

    size: int = 4
    runs: OrderedDict[str, RunResult] = field(default_factory=OrderedDict)

    def get(self, key: str) -> RunResult | None:
        """The run for ``key``, if kept (and mark it recently used)."""
        if key in self.runs:
            self.runs.move_to_end(key)
            return self.runs[key]
        return None

    def put(self, key: str, result: RunResult) -> None:
        """Keep ``result``, dropping the least recently used run beyond ``size``."""
        self.runs[key] = result
        self.runs.move_to_end(key)
        while len(self.runs) > self.size:
            self.runs.popitem(last=False)


def run_key(scenario: Scenario, replications: int, seed: int) -> str:
    """A run's identity: the resolved scenario (as the engine sees it), replications and seed."""
    text = scenario.model_dump_json()
    return hashlib.sha256(f"{text}|{replications}|{seed}".encode()).hexdigest()


class Counting(Executor):
    """Another executor's tasks, calling ``tick`` as each one finishes (the page's progress bar)."""

    def __init__(self, inner: Executor, tick: Callable[[], None]) -> None:
        self.inner = inner
        self.tick = tick

    def imap(self, fn: Task, payloads: Iterable[Any]) -> Iterator[Outcome]:
        """The inner executor's outcomes, ticking once per finished task."""
        for outcome in self.inner.imap(fn, payloads):
            self.tick()
            yield outcome

    def describe(self) -> str:
        """Where the tasks run: the inner executor."""
        return self.inner.describe()


def ask(
    question: Question,
    executor: Executor,
    cache: RunCache | None = None,
    tick: Callable[[], None] = lambda: None,
) -> Answer:
    """Run the base and the variant on streams (seed, r) for r < replications; the base from ``cache`` if kept."""
    started = time.perf_counter()
    scenarios = question.scenarios()
    counting = Counting(executor, tick)
    runs: dict[str, RunResult] = {}
    reused = False
    for label, scenario in scenarios.items():
        key = run_key(scenario, question.replications, question.seed)
        kept = cache.get(key) if cache is not None else None
        if kept is None:
            kept = run(scenario, question.replications, question.seed, progress=False, executor=counting)
            if cache is not None:
                cache.put(key, kept)
        else:
            reused = reused or label != VARIANT
            for _ in range(question.replications):
                tick()
        runs[label] = kept
    elapsed = time.perf_counter() - started
    comparison = comparison_of_runs(runs, question.seed, executor.describe(), elapsed, set=list(question.fixed))
    return Answer(question, comparison, runs, time.perf_counter() - started, reused)
