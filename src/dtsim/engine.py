"""Evaluate scenarios: one, a list, or a sweep of one scenario along axes, all through one path.

::

    scenario (dict | file | Scenario | row of a batch | sweep point)
      → raw columns   (``dtsim.normalize.raw_columns``: what the user gave)
      → rules         (``dtsim.rules``: cross-field refusals, vectorised)
      → normalise     (``dtsim.normalize``: presets and defaults per point)
      → compile       (``dtsim.inputs``: SI arrays and variant codes)
      → schedule      (``dtsim.strategies``: one array call per strategy present)
      → outcome       (``dtsim.outcome``: efficiency, compute, quality, cost; refusals)

``simulate`` is a sweep of one point; ``simulate_many`` stacks scenarios into columns; ``sweep``
validates each axis once as a whole array (``dtsim.fields``) and evaluates points in chunks. A
point the physics refuses is ``feasible: false`` in a sweep (with its ``infeasible_reason``) and
an ``InfeasibleError`` from ``simulate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.fields import field_spec
from dtsim.inputs import Inputs, compile_inputs
from dtsim.normalize import RELIABILITY_ON, Columns, normalize, raw_columns, stack_columns
from dtsim.outcome import Outcome, outcome
from dtsim.result import Batch, Result
from dtsim.rules import check_columns, deferred
from dtsim.scenario import Scenario, load_scenarios, parse_scenario
from dtsim.strategies import Refusal, Schedule, schedule

__all__ = [
    "Evaluation",
    "SweepPlan",
    "Trace",
    "compile_scenario",
    "evaluate_columns",
    "iter_sweep",
    "plan_sweep",
    "simulate",
    "simulate_many",
    "sweep",
    "sweep_to_file",
    "trace",
]

ScenarioLike = Scenario | Mapping[str, Any] | str | Path

#: Result keys that are numbers at every feasible point (the others may be null).
_ALWAYS_FINITE = (
    "params",
    "active_params",
    "step_compute_s",
    "sync_s",
    "inner_steps",
    "eta",
    "c_actual",
    "c_local",
    "eta_chinchilla",
    "c_quality",
    "tokens",
    "wall_clock_days",
    "compute_utilization",
)
_NOT_FINITE = "the result is not a finite number"


def _scenarios(item: ScenarioLike) -> list[Scenario]:
    if isinstance(item, str | Path):
        return load_scenarios(item)
    return [parse_scenario(item)]


def _unchecked(item: ScenarioLike) -> list[Scenario]:
    """Scenarios validated without their cross-field rules, which the caller runs once on the
    stacked batch (``evaluate_columns``). A file is read as ``load_scenarios`` reads it, so that
    a refusal names the file."""
    if isinstance(item, str | Path):
        return load_scenarios(item)
    with deferred():
        return [parse_scenario(item)]


@dataclass(frozen=True)
class Evaluation:
    """Result columns of a batch, and for each point the first refusal that applies (or -1)."""

    columns: Columns
    refusals: tuple[Refusal, ...]
    refused_by: NDArray[np.intp]

    def first_infeasible(self) -> int | None:
        """The first refused point, or None."""
        bad = self.refused_by >= 0
        return int(np.argmax(bad)) if bad.any() else None

    def error(self, i: int, label: str | None = None) -> InfeasibleError:
        """The refusal of point i as an ``InfeasibleError``."""
        refusal = self.refusals[int(self.refused_by[i])]
        return InfeasibleError(refusal.field, refusal.text(i), refusal.guidance, source=label)


def evaluate_columns(raw: Mapping[str, np.ndarray], *, label: str = "point") -> Evaluation:
    """The whole path for a batch of raw columns (length 1 or n): rules, normalisation, compile,
    one schedule per strategy present, outcome. Returns result columns (NaN where a point is
    refused) with ``feasible`` and ``infeasible_reason``."""
    check_columns(raw, label=label)
    normalized = normalize(raw)
    n = max(len(col) for col in normalized.values())
    strategies = normalized["strategy"]
    # Extreme but valid inputs may overflow intermediate quantities; such points are found
    # below and refused, so NumPy's warnings carry no information for the user.
    with np.errstate(all="ignore"):
        if len(strategies) == 1 or (strategies == strategies[0]).all():
            columns, refusals, refused_by = _evaluate_one(str(strategies[0]), normalized, n)
        else:
            columns, refusals, refused_by = _evaluate_grouped(normalized, strategies, n)
    return Evaluation(columns, refusals, refused_by)


def _evaluate_one(strategy: str, normalized: Columns, n: int) -> tuple[Columns, tuple[Refusal, ...], np.ndarray]:
    inputs = compile_inputs(normalized)
    sched = schedule(strategy, inputs)
    result = outcome(inputs, sched)
    refusals = (*sched.refusals, *result.refusals)
    columns = dict(result.columns)
    columns["strategy"] = np.broadcast_to(np.array([strategy], dtype=object), (n,))
    refused_by = np.full(n, -1, dtype=np.intp)
    for index in range(len(refusals) - 1, -1, -1):  # the first refusal in order wins
        where = refusals[index].where
        if where.any():
            refused_by = np.where(np.broadcast_to(where, (n,)), index, refused_by)
    bad = _not_finite(columns, n) & (refused_by < 0)
    if bad.any():
        refusals = (
            *refusals,
            Refusal(
                bad,
                "nodes",
                _NOT_FINITE,
                "a result is not a finite number (inputs outside the model's numeric range)",
                "use less extreme values",
            ),
        )
        refused_by = np.where(bad, len(refusals) - 1, refused_by)
    _mark_refused(columns, refusals, refused_by, n)
    return columns, refusals, refused_by


def _not_finite(columns: Columns, n: int) -> NDArray[np.bool_]:
    """Where a key that is a number at every feasible point is not a finite number."""
    if n == 1:
        finite = all(math.isfinite(columns[key][0]) for key in _ALWAYS_FINITE)
        return np.array([not finite])
    bad = np.zeros(n, dtype=bool)
    for key in _ALWAYS_FINITE:
        bad |= ~np.isfinite(columns[key])
    return bad


def _mark_refused(columns: Columns, refusals: tuple[Refusal, ...], refused_by: np.ndarray, n: int) -> None:
    refused = refused_by >= 0
    if not refused.any():
        columns["feasible"] = np.broadcast_to(np.True_, (n,))
        columns["infeasible_reason"] = np.broadcast_to(np.array([None], dtype=object), (n,))
        return
    for key, values in columns.items():
        if key != "strategy" and values.dtype.kind == "f":
            columns[key] = np.where(refused, np.nan, values)
    reasons = np.empty(n, dtype=object)
    for index in np.unique(refused_by[refused]):
        reasons[refused_by == index] = refusals[int(index)].reason
    columns["feasible"] = ~refused
    columns["infeasible_reason"] = reasons


def _evaluate_grouped(
    normalized: Columns, strategies: np.ndarray, n: int
) -> tuple[Columns, tuple[Refusal, ...], np.ndarray]:
    merged: Columns = {}
    all_refusals: list[Refusal] = []
    refused_by = np.full(n, -1, dtype=np.intp)
    for strategy in dict.fromkeys(strategies.tolist()):
        idx = np.flatnonzero(strategies == strategy)
        part_columns = {k: (v[idx] if len(v) == n else v) for k, v in normalized.items()}
        columns, refusals, part_refused = _evaluate_one(strategy, part_columns, len(idx))
        for key, values in columns.items():
            if key not in merged:
                merged[key] = np.empty(n, dtype=values.dtype)
            merged[key][idx] = values
        offset = len(all_refusals)
        all_refusals.extend(_scatter(r, idx, n) for r in refusals)
        refused_by[idx] = np.where(part_refused >= 0, part_refused + offset, -1)
    return merged, tuple(all_refusals), refused_by


def _scatter(refusal: Refusal, idx: np.ndarray, n: int) -> Refusal:
    """A refusal of a strategy group, re-indexed to the whole batch."""
    where = np.zeros(n, dtype=bool)
    where[idx] = np.broadcast_to(refusal.where, (len(idx),))
    position = np.full(n, -1, dtype=np.intp)
    position[idx] = np.arange(len(idx))
    problem = refusal.problem
    text = (lambda i: problem(int(position[i]))) if callable(problem) else problem
    return Refusal(where, refusal.field, refusal.summary, text, refusal.guidance)


def compile_scenario(scenario: ScenarioLike) -> Inputs:
    """One scenario through rules, normalisation and compile: its ``Inputs`` (a batch of one)."""
    (parsed,) = _scenarios(scenario)[:1]
    raw = stack_columns([raw_columns(parsed)])
    check_columns(raw)
    return compile_inputs(normalize(raw))


@dataclass(frozen=True)
class Trace:
    """Every intermediate of one scenario's evaluation, for ``explain``: the scenario, its
    normalised columns, inputs, schedule and outcome, and its result."""

    scenario: Scenario
    strategy: str
    normalized: Columns
    inputs: Inputs
    schedule: Schedule
    outcome: Outcome
    result: Result


def trace(scenario: ScenarioLike) -> Trace:
    """Evaluate one scenario along the one path and keep every intermediate (a batch of one);
    raise as ``simulate`` does."""
    result = simulate(scenario)
    (parsed,) = _scenarios(scenario)[:1]
    raw = stack_columns([raw_columns(parsed)])
    normalized = normalize(raw)
    strategy = str(normalized["strategy"][0])
    with np.errstate(all="ignore"):
        inputs = compile_inputs(normalized)
        sched = schedule(strategy, inputs)
        out = outcome(inputs, sched)
    return Trace(parsed, strategy, normalized, inputs, sched, out, result)


# --------------------------------------------------------------------------------------------
# One scenario, many scenarios


def simulate(scenario: ScenarioLike) -> Result:
    """Simulate one scenario: a dict, a ``Scenario``, or the path of a file holding one."""
    scenarios = _unchecked(scenario)
    if len(scenarios) != 1:
        raise ScenarioError("", str(scenario), f"the file holds {len(scenarios)} scenarios; use simulate_many")
    return simulate_many(scenarios)[0]


def simulate_many(scenarios: Iterable[ScenarioLike]) -> list[Result]:
    """Simulate a batch: each item is validated, then each strategy group is evaluated in one
    array call. Results come back in input order. Any invalid or infeasible scenario refuses
    the whole batch with a message naming it."""
    if scenarios is None or isinstance(scenarios, str | Mapping | Scenario):
        raise ScenarioError("scenarios", type(scenarios).__name__, "expected a list of scenarios")
    parsed = [s for item in scenarios for s in _unchecked(item)]
    if not parsed:
        return []
    raw = stack_columns([raw_columns(s) for s in parsed])
    evaluation = evaluate_columns(raw, label="scenario")
    i = evaluation.first_infeasible()
    if i is not None:
        label = None if len(parsed) == 1 else _label(parsed, i)
        raise evaluation.error(i, label)
    batch = Batch(evaluation.columns, names=[s.name for s in parsed])
    return batch.results()


def _label(parsed: Sequence[Scenario], i: int) -> str:
    name = parsed[i].name
    return f"scenario {i}" + (f" ({name})" if name else "")


# --------------------------------------------------------------------------------------------
# Sweeps

#: Points evaluated per array call in a sweep: small enough to stay in cache, large enough that
#: the per-call overhead is negligible (measured in benchmarks/).
CHUNK_SIZE = 65_536
#: Largest sweep kept in memory; larger ones stream to a file (``sweep_to_file``).
MAX_IN_MEMORY = 20_000_000


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the base's raw columns (length 1), the axes, and how points map to
    axis values."""

    base: Scenario
    fixed: Columns
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...] | None  # grid shape; None when the axes are zipped
    size: int

    def columns(self, start: int, stop: int) -> Columns:
        """Raw columns of points [start, stop): fixed fields stay length 1."""
        if self.shape is None:
            varied = {path: values[start:stop] for path, values in self.axes.items()}
        else:
            index = np.unravel_index(np.arange(start, stop), self.shape)
            varied = {path: values[i] for (path, values), i in zip(self.axes.items(), index, strict=True)}
        return {**self.fixed, **varied}


def plan_sweep(scenario: ScenarioLike, axes: Mapping[str, Any], grid: bool = False) -> SweepPlan:
    """Validate a sweep: the base scenario, every axis as a whole array, the sizes."""
    if not isinstance(axes, Mapping):
        raise ScenarioError("axes", type(axes).__name__, "expected a mapping {field path: values}")
    bases = _scenarios(scenario)
    if len(bases) != 1:
        raise ScenarioError("", str(scenario), f"the file holds {len(bases)} scenarios; a sweep takes one base")
    base = bases[0]
    arrays: dict[str, np.ndarray] = {}
    for path, values in axes.items():
        spec = field_spec(path)
        if not spec.sweepable:
            raise ScenarioError(path, None, "not a sweepable field (a label)")
        if isinstance(values, str | bytes | Mapping) or not hasattr(values, "__len__"):
            raise ScenarioError(path, values, "expected a list or array of values")
        arrays[path] = spec.validate_values(values)
        if len(arrays[path]) == 0:
            raise ScenarioError(path, [], "an axis needs at least one value")
    fixed = stack_columns([raw_columns(base)])
    if any(path.startswith("reliability.") for path in arrays):
        fixed[RELIABILITY_ON] = np.array([True])
    if grid:
        shape = tuple(len(a) for a in arrays.values())
        size = math.prod(shape)
        return SweepPlan(base, fixed, arrays, shape, size)
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise ScenarioError(
            "axes",
            {p: len(a) for p, a in arrays.items()},
            "zipped axes need equal lengths (or take their grid: grid=True, --grid)",
        )
    return SweepPlan(base, fixed, arrays, None, lengths.pop() if lengths else 1)


def _evaluate_chunk(plan: SweepPlan, start: int, stop: int, strict: bool) -> Columns:
    raw = plan.columns(start, stop)
    try:
        evaluation = evaluate_columns(raw)
    except ScenarioError as exc:
        where = f"sweep points {start}-{stop - 1}" if stop - start > 1 else f"sweep point {start}"
        raise ScenarioError(exc.field, exc.value, exc.allowed, source=exc.source or where) from None
    if strict:
        i = evaluation.first_infeasible()
        if i is not None:
            raise evaluation.error(i, f"sweep point {start + i}")
    out = dict(evaluation.columns)
    for path in plan.axes:
        out[path] = raw[path]
    return out


def iter_sweep(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    *,
    grid: bool = False,
    chunk_size: int = CHUNK_SIZE,
    strict: bool = False,
) -> Iterator[Batch]:
    """Evaluate a sweep chunk by chunk, yielding one ``Batch`` per chunk (bounded memory)."""
    plan = plan_sweep(scenario, axes, grid)
    chunk_size = _chunk_size(chunk_size)
    for start in range(0, plan.size, chunk_size):
        stop = min(start + chunk_size, plan.size)
        yield Batch(_evaluate_chunk(plan, start, stop, strict), names=_names(plan, stop - start))


def _names(plan: SweepPlan, n: int) -> np.ndarray:
    return np.broadcast_to(np.array([plan.base.name], dtype=object), (n,))


def _chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ScenarioError("chunk_size", chunk_size, "expected a whole number ≥ 1")
    return int(chunk_size)


def sweep(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    *,
    grid: bool = False,
    chunk_size: int = CHUNK_SIZE,
    strict: bool = False,
) -> Batch:
    """Evaluate ``scenario`` along ``axes`` ({dotted field path: values}). ``grid=False`` zips
    equal-length axes; ``grid=True`` takes their Cartesian product. Each axis is validated once
    as a whole array; points are evaluated as arrays, ``chunk_size`` at a time. ``Batch.columns``
    holds the result keys, the varied fields, ``feasible`` and ``infeasible_reason``; a point the
    physics refuses has null results (``strict=True`` refuses the sweep at the first such point
    instead). Sweeps above 20 million points: use ``sweep_to_file``."""
    plan = plan_sweep(scenario, axes, grid)
    chunk_size = _chunk_size(chunk_size)
    if plan.size > MAX_IN_MEMORY:
        raise ScenarioError(
            "axes",
            plan.size,
            f"a sweep of more than {MAX_IN_MEMORY:,} points does not fit in "
            "memory; stream it with dtsim.sweep_to_file (CLI: dtsim sweep --out FILE)",
        )
    columns: Columns = {}
    for start in range(0, plan.size, chunk_size):
        stop = min(start + chunk_size, plan.size)
        part = _evaluate_chunk(plan, start, stop, strict)
        if not columns:
            # A column that is one broadcast value (a fixed field, a factor that does not apply)
            # stays a zero-copy view; the rest are filled chunk by chunk.
            columns = {
                key: np.broadcast_to(values[:1], (plan.size,))
                if _is_constant(values) or len(values) == 1
                else np.empty(plan.size, dtype=values.dtype)
                for key, values in part.items()
            }
        for key, values in part.items():
            column = columns[key]
            if _is_constant(column) or (len(column) == 1 and plan.size == 1):
                if (len(values) == 1 or _is_constant(values)) and _same(values[:1], column[:1]):
                    continue
                columns[key] = column = np.array(column)
            column[start:stop] = values
    return Batch(columns, names=_names(plan, plan.size))


def _is_constant(values: np.ndarray) -> bool:
    """A broadcast view of one value (stride 0)."""
    return values.ndim == 1 and len(values) > 1 and values.strides[0] == 0


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object or b.dtype == object:
        return bool(a[0] == b[0]) if a[0] is not None and b[0] is not None else a[0] is b[0]
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def sweep_to_file(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    path: str | Path,
    *,
    grid: bool = False,
    columns: Sequence[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Stream a sweep of any size to ``path`` (``.csv``, or ``.parquet`` when pyarrow is
    installed), chunk by chunk, so memory stays bounded. ``columns``: the result keys to write
    after the varied fields (default: every key). ``progress(done, total)`` is called per chunk.
    Returns the number of points written."""
    from dtsim.output import ChunkWriter

    plan = plan_sweep(scenario, axes, grid)
    chunk_size = _chunk_size(chunk_size)
    with ChunkWriter(Path(path)) as writer:
        for start in range(0, plan.size, chunk_size):
            stop = min(start + chunk_size, plan.size)
            batch = Batch(_evaluate_chunk(plan, start, stop, strict), names=_names(plan, stop - start))
            keys = [*plan.axes, *(columns or [k for k in batch.columns if k not in plan.axes])]
            unknown = [k for k in keys if k not in batch.columns]
            if unknown:
                raise ScenarioError("columns", unknown, f"unknown result keys; allowed: {', '.join(batch.columns)}")
            writer.write({key: batch.columns[key] for key in dict.fromkeys(keys)})
            if progress is not None:
                progress(stop, plan.size)
    return plan.size
