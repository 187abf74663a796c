"""Independent tasks on worker processes: the report's long searches, one process per core.

``run_tasks(tasks, workers=...)`` calls each task (a picklable callable without arguments, for
example a ``functools.partial`` of a module-level function) and returns the answers in order.
With one worker, or one task, they run in this process. Otherwise a pool of fresh processes
(forked from a server process that imported dtsim once, or spawned where the system has no such
server) takes them in the order given, each worker the next one as it finishes: give the longest
first. ``Workers`` keeps such a pool for a block and hands out batches without waiting for them.
A worker ignores Ctrl-C; an error, Ctrl-C or SIGTERM in this process terminates the pool
(SIGTERM then exits with status 143, as during a write), and a task's error is raised here.
Results are the same as in one process: every task is deterministic and computed whole by one
worker.

Library calls default to one worker: a new worker imports the caller's main script, which a
script without an ``if __name__ == "__main__":`` guard does not allow. ``dtsim report`` uses one
worker per core.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from dtsim.errors import ScenarioError
from dtsim.output import terminate_raises

__all__ = ["Workers", "cpu_workers", "run_tasks"]

T = TypeVar("T")


def cpu_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def run_tasks(tasks: Sequence[Callable[[], T]], *, workers: int = 1) -> list[T]:
    """Each task's answer, in order, computed on up to ``workers`` processes (see the module
    docstring)."""
    with Workers(min(len(tasks), workers)) as pool:
        return pool.start(tasks)()


class Workers:
    """Worker processes for the duration of a ``with`` block: ``start(tasks)`` hands tasks out
    at once and returns a function that waits for their answers, so that this process can work
    on something else meanwhile (the report builds its other sections). The processes start
    with the first batch of tasks; one worker starts none and computes a batch when its answers
    are asked for. For the block, SIGTERM raises (as Ctrl-C does); leaving the block ends the
    workers at once, even in the middle of a task. A worker that dies (killed, out of memory)
    is a one-line ``ScenarioError`` naming ``workers``, not a wait without end."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._executor: ProcessPoolExecutor | None = None
        self._signals = contextlib.ExitStack()

    def __enter__(self) -> Workers:
        self._signals.enter_context(terminate_raises())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._executor is not None:
                _stop(self._executor)
                self._executor = None
        finally:
            self._signals.close()

    def start(self, tasks: Sequence[Callable[[], T]]) -> Callable[[], list[T]]:
        """Hand the tasks out; the returned function waits for their answers, in order."""
        if self.workers < 2 or len(tasks) < 2:
            return lambda: [task() for task in tasks]
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_ignore_interrupts)
        futures = [self._executor.submit(_call, task) for task in tasks]  # taken in this order

        def answers() -> list[T]:
            try:
                return [future.result() for future in futures]
            except BrokenProcessPool:
                raise ScenarioError(
                    "workers",
                    self.workers,
                    "a worker process ended before its task (killed, or out of memory?); try fewer workers",
                ) from None

        return answers


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the executor's processes now: a task may run for seconds, and an interrupted report
    should not wait for it (the executor has no public handle on its processes)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


def _context() -> multiprocessing.context.BaseContext:
    """Fresh worker processes: forked from a server process that has imported the analyses
    once (where the system has one), else spawned, each importing them."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["dtsim.analyses"])
        return context
    return multiprocessing.get_context("spawn")


def _call(task: Callable[[], T]) -> T:
    """In a worker: the task's answer; an error that would not survive pickling is sent as a
    RuntimeError with its text."""
    try:
        return task()
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C reaches the whole process group; the main process handles it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
