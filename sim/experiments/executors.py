"""Executors: where the tasks of an experiment run — here, on local cores, or on a Dask cluster.

An experiment is a list of independent tasks (one replication each). An executor calls a
function on every task and yields an ``Outcome`` per task *as it completes*, in whatever order
the workers finish; callers put outcomes back in task order, so results never depend on
scheduling. A task that raises does not stop the others: its outcome carries the error and the
traceback instead of a value.

- ``SerialExecutor`` runs tasks one after the other in this process (``workers=1``).
- ``LocalExecutor`` runs them on a pool of worker processes on this machine.
- ``DaskExecutor`` runs them on a Dask cluster: an existing one (``scheduler="tcp://host:8786"``)
  or a local one it starts and stops itself. Needs the optional ``distributed`` package.

Only a bounded window of tasks is handed out at a time, so a sweep of a million tasks needs no
more memory than one of a hundred.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from typing import Any

Task = Callable[[Any], Any]

EXECUTORS = ("local", "dask")


class ExecutorError(Exception):
    """An executor cannot be used: the Dask package is missing, or the scheduler is unreachable."""


@dataclass(frozen=True)
class Outcome:
    """What one task gave back: its value, or the error it raised."""

    index: int
    value: Any = None
    error: str | None = None
    traceback: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the task returned rather than raised."""
        return self.error is None


def call(fn: Task, index: int, payload: Any) -> Outcome:
    """Run one task and capture its value or its error, with the time it took."""
    started = time.perf_counter()
    try:
        value = fn(payload)
    except Exception as exc:
        return Outcome(
            index, None, f"{type(exc).__name__}: {exc}", traceback.format_exc(), time.perf_counter() - started
        )
    return Outcome(index, value, None, None, time.perf_counter() - started)


def available_cores() -> int:
    """Cores this process may use (respects CPU affinity and container limits where known)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Runs a function over tasks and yields their outcomes as they complete."""

    name = "executor"
    workers = 1

    @abstractmethod
    def imap(self, fn: Task, payloads: Iterable[Any]) -> Iterator[Outcome]:
        """Outcome of ``fn(payload)`` for every payload, in completion order; ``index`` is its position."""

    def close(self) -> None:  # noqa: B027 - deliberately a no-op by default, not abstract: SerialExecutor holds nothing
        """Release workers (a no-op for executors that hold none)."""

    def describe(self) -> str:
        """Where tasks run, for the console and the metadata (e.g. ``4 local workers``)."""
        return f"{self.workers} {self.name} worker{'s' * (self.workers != 1)}"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, in order: no start-up cost, easiest to debug."""

    name = "serial"

    def imap(self, fn: Task, payloads: Iterable[Any]) -> Iterator[Outcome]:
        """Each task in turn in this process, so outcomes come in task order."""
        for index, payload in enumerate(payloads):
            yield call(fn, index, payload)


class LocalExecutor(Executor):
    """A pool of worker processes on this machine, each taking one task at a time."""

    name = "local"

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            workers, mp_context=_process_context(), initializer=die_with_parent, initargs=(os.getpid(),)
        )
        self._pool.submit(int).result()  # start the workers now, while the start method is known to be safe

    def imap(self, fn: Task, payloads: Iterable[Any]) -> Iterator[Outcome]:
        """Tasks on the pool with at most four per worker in flight, so a long task list is never submitted whole."""
        tasks = enumerate(payloads)
        pending: set[Future] = set()

        def top_up() -> None:
            for index, payload in islice(tasks, 4 * self.workers - len(pending)):
                pending.add(self._pool.submit(call, fn, index, payload))

        try:
            top_up()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                pending -= done
                top_up()
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Stop the workers, cancelling the tasks not yet started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, *exc: object) -> None:
        if len(exc) > 1 and isinstance(exc[1], KeyboardInterrupt):
            self.terminate()
        else:
            self.close()

    def terminate(self) -> None:
        """Stop the workers at once, abandoning the tasks they run (after Ctrl-C: do not wait for them).

        The pool is not waited for: a worker stopped while it writes a result leaves half a message
        in the result pipe, and the pool's manager thread then waits for the rest for ever.
        """
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)


PR_SET_PDEATHSIG = 1
"""Linux ``prctl`` option: the signal a process receives when its parent dies."""


def die_with_parent(main: int) -> None:
    """Worker start-up: exit when the parent process dies, and leave Ctrl-C to the main process.

    A ``kill -9`` of the main process gives it no chance to stop its workers. On Linux the
    kernel sends each worker SIGKILL when its parent (the main process, or the fork server that
    dies with it) dies: ``prctl(PR_SET_PDEATHSIG)``. Elsewhere a daemon thread checks every
    second whether the parent is still there. Ctrl-C reaches the whole process group; workers
    ignore it, so the main process reports one line and stops them, instead of every worker
    printing a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    if not _set_parent_death_signal():
        threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    if parent == 1 or not _alive(main):  # the parent died before the request took effect
        os._exit(1)


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _process_context() -> multiprocessing.context.BaseContext:
    """How to start worker processes, cheapest safe way first.

    On Linux a single-threaded process forks: workers inherit the imported simulator at no
    cost. Forking a process that runs threads (a Dask client, a notebook kernel) can deadlock,
    so then a fork server that has imported the simulator once starts them; spawn elsewhere.
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiments.replications"])
        return context
    return multiprocessing.get_context("spawn")


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: ``scheduler`` is its address, or None to start a local cluster."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(
                "the Dask executor needs the 'distributed' package: pip install \"escalation-sim[distributed]\""
            ) from None
        self._cluster = None
        unreachable = None
        try:
            if scheduler:
                self._client = Client(scheduler, timeout="20s")
            else:
                self._cluster = LocalCluster(
                    n_workers=workers or available_cores(),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    silence_logs=40,
                )
                self._client = Client(self._cluster)
        except (OSError, ValueError, TypeError) as exc:  # not an address, or a TLS one without a context
            unreachable = f"cannot reach the Dask scheduler at {scheduler}: {exc}; give its address as tcp://host:port"
        if unreachable is not None:
            self.close()
            # The half-built Client sits in a reference cycle; collected later, inside the next Client's
            # start, its __del__ stops the shared event loop that start holds: a hang, or an AssertionError.
            gc.collect()
            raise ExecutorError(unreachable)
        connection = self._client.scheduler
        assert connection is not None  # a Client that connected without error has its scheduler
        self.scheduler = connection.address
        self.workers = max(1, sum(self._client.nthreads().values()))

    def imap(self, fn: Task, payloads: Iterable[Any]) -> Iterator[Outcome]:
        """Tasks on the cluster with a bounded window in flight (four per worker, at least eight)."""
        from distributed import as_completed

        tasks = enumerate(payloads)
        submitted = {self._submit(fn, index, payload) for index, payload in islice(tasks, max(8, 4 * self.workers))}
        queue = as_completed(submitted, loop=self._client.loop, with_results=True)
        try:
            for future, outcome in queue:
                submitted.discard(future)
                future.release()
                for index, payload in islice(tasks, 1):
                    submitted.add(nxt := self._submit(fn, index, payload))
                    queue.add(nxt)
                yield outcome
        finally:
            self._client.cancel(list(submitted))

    def _submit(self, fn: Task, index: int, payload: Any) -> Any:
        return self._client.submit(call, fn, index, payload, pure=False)

    def describe(self) -> str:
        """How many workers, of a local cluster or of the one at the scheduler's address."""
        where = "a local Dask cluster" if self._cluster is not None else f"the Dask cluster at {self.scheduler}"
        return f"{self.workers} worker{'s' * (self.workers != 1)} of {where}"

    def close(self) -> None:
        """Close the client, and the local cluster if this executor started one."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    kind: str = "local", workers: int | None = None, scheduler: str | None = None, tasks: int | None = None
) -> Executor:
    """The executor for ``--executor``/``--workers``/``--scheduler``; never more local workers than tasks."""
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}; choose one of: {', '.join(EXECUTORS)}")
    if workers is not None and workers < 1:
        raise ExecutorError("--workers must be at least 1")
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    if scheduler:
        raise ExecutorError("a scheduler address needs the Dask executor (--executor dask)")
    workers = workers or available_cores()
    if tasks is not None:
        workers = min(workers, max(tasks, 1))
    return SerialExecutor() if workers == 1 else LocalExecutor(workers)
