"""Evaluate sampled inputs in chunks through ``dtsim.sweep``, locally or on a Dask cluster.

An *evaluator* is a picklable callable ``(axes, size) -> Evaluation``: ``ScenarioOutputs``
returns result keys of the scenario at each point; the analyses of ``analysis`` return their
answer per point. A *task* is one chunk: (evaluator, axes, size). ``run_tasks`` executes tasks
in order, in this process or on a Dask cluster, and yields their evaluations in the same order,
so that statistics accumulated from them are identical either way (the random draws are made
before the tasks are handed out).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dtsim.engine import sweep
from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.result import RESULT_KEYS
from dtsim.scenario import Scenario

__all__ = [
    "CHUNK",
    "LOG_KEYS",
    "NUMERIC_KEYS",
    "Evaluation",
    "Evaluator",
    "ScenarioOutputs",
    "executor",
    "run_tasks",
    "sweep_feasible",
]

#: Samples per task: large enough that the sweep's per-call overhead is negligible, small
#: enough to bound memory and to spread work over a cluster.
CHUNK = 16_384
#: Result keys that are numbers (the statistics' possible outputs).
NUMERIC_KEYS: tuple[str, ...] = tuple(
    k for k in RESULT_KEYS if k not in ("name", "strategy", "bottleneck", "fits_in_memory")
)
#: Keys whose statistics are taken of log10 of the value (FLOP and cost span decades).
LOG_KEYS = frozenset({"c_actual", "c_local", "c_quality", "cost_usd"})

Axes = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Evaluation:
    """Output columns of a chunk (float, NaN where infeasible or not applicable) and which
    points the physics accepted."""

    columns: dict[str, NDArray[np.float64]]
    feasible: NDArray[np.bool_]


class Evaluator(Protocol):
    """Evaluates a chunk: ``axes`` {field path: values of length ``size``}."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The output columns it returns."""

    def __call__(self, axes: Axes, size: int) -> Evaluation: ...


def _float_column(values: np.ndarray) -> NDArray[np.float64]:
    if values.dtype.kind in "biuf":
        return np.array(values, dtype=float)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def sweep_feasible(base: Scenario, axes: Axes, size: int, keys: tuple[str, ...]) -> Evaluation:
    """Evaluate zipped ``axes`` on ``base``; points the physics refuses are infeasible (NaN),
    as the sweep's ``feasible`` column says."""
    if not axes:  # every input fixed: one evaluation stands for all samples
        one = sweep_feasible(base, {"nodes": np.array([float(base.nodes)])}, 1, keys)
        return Evaluation({k: np.repeat(v, size) for k, v in one.columns.items()}, np.repeat(one.feasible, size))
    batch = sweep(base, axes)
    feasible = np.array(batch.columns["feasible"], dtype=bool)
    return Evaluation({k: _float_column(batch.columns[k]) for k in keys}, feasible)


@dataclass(frozen=True, eq=False)
class ScenarioOutputs:
    """Evaluator of the scenario itself: ``keys`` are result keys or varied field paths."""

    base: Scenario
    keys: tuple[str, ...]

    def __call__(self, axes: Axes, size: int) -> Evaluation:
        return sweep_feasible(self.base, axes, size, self.keys)


Task = tuple[Evaluator, dict[str, np.ndarray], int]


@dataclass(frozen=True)
class _Failure:
    """A user error raised inside a task, carried back as data (errors need not pickle)."""

    kind: str
    field: str
    value: Any
    text: str
    source: str | None

    def reraise(self) -> None:
        if self.kind == "infeasible":
            raise InfeasibleError(self.field, self.value, self.text, source=self.source)
        raise ScenarioError(self.field, self.value, self.text, source=self.source)


def run_task(task: Task) -> Evaluation | _Failure:
    """Evaluate one chunk (module level, so that Dask workers can run it)."""
    evaluator, axes, size = task
    try:
        return evaluator(axes, size)
    except InfeasibleError as exc:
        return _Failure("infeasible", exc.field, exc.problem, exc.guidance, exc.source)
    except ScenarioError as exc:
        return _Failure("scenario", exc.field, exc.value, exc.allowed, exc.source)


Runner = Callable[[Iterable[Task]], Iterator[Evaluation]]


def _local(tasks: Iterable[Task]) -> Iterator[Evaluation]:
    for task in tasks:
        yield _checked(run_task(task))


def _checked(outcome: Evaluation | _Failure) -> Evaluation:
    if isinstance(outcome, _Failure):
        outcome.reraise()
        raise AssertionError  # unreachable: reraise raises
    return outcome


def _dask(client: Any) -> Runner:
    """Submit tasks to a Dask client, a bounded window ahead, and yield results in order."""
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 2 * workers + 2

    def run(tasks: Iterable[Task]) -> Iterator[Evaluation]:
        pending: deque[Any] = deque()
        for task in tasks:
            pending.append(client.submit(run_task, task, pure=False))
            if len(pending) >= window:
                yield _checked(pending.popleft().result())
        while pending:
            yield _checked(pending.popleft().result())

    return run


def run_tasks(runner: Runner | None, tasks: Iterable[Task]) -> Iterator[Evaluation]:
    """Evaluations of ``tasks`` in order, with ``runner`` (None: in this process)."""
    return (runner or _local)(tasks)


@contextmanager
def executor(client: Any = None, scheduler: str | None = None) -> Iterator[Runner | None]:
    """The runner for a Dask ``client``, or for a new client connected to ``scheduler`` (closed
    on exit), or None (this process)."""
    if client is not None and scheduler is not None:
        raise ScenarioError("scheduler", scheduler, "give either a scheduler address or a client, not both")
    if client is not None:
        yield _dask(client)
        return
    if scheduler is None:
        yield None
        return
    try:
        from distributed import Client as _Client
    except ImportError:
        raise ScenarioError("scheduler", scheduler, "Dask is not installed: pip install 'dtsim[dask]'") from None
    client_class: Any = _Client
    try:
        own = client_class(scheduler, timeout=30, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError("scheduler", scheduler, f"cannot connect to the Dask scheduler: {exc}") from None
    try:
        yield _dask(own)
    finally:
        own.close()
