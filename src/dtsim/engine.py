"""Evaluate scenarios: one, a list, or a sweep of one scenario along axes, all through one path.

::

    scenario (dict | file | Scenario | row of a batch | sweep point)
      → raw columns   (``dtsim.normalize.stack_scenarios``: what the user gave)
      → rules         (``dtsim.rules``: cross-field refusals, vectorised)
      → normalise     (``dtsim.normalize``: presets and defaults per point)
      → compile       (``dtsim.inputs``: SI arrays and variant codes)
      → schedule      (``dtsim.strategies``: one array call per strategy present)
      → outcome       (``dtsim.outcome``: efficiency, compute, quality, cost; refusals)

``simulate`` is a sweep of one point; ``simulate_many`` stacks scenarios into columns; ``sweep``
validates its plan on its description (each axis once as a whole array through ``dtsim.fields``,
a ``range`` or a ``LinearAxis``/``LogAxis`` by its ends; sizes as Python integers) before
anything is allocated, and evaluates points in chunks. A point the physics refuses is
``feasible: false`` in a sweep (with its ``infeasible_reason``) and an ``InfeasibleError`` from
``simulate``.

Speed without a second implementation: the cross-field rules run once per call, on the stacked
batch (scenarios are parsed with the rules ``deferred``); defaults and constants are shared
read-only columns built once; a sweep keeps only the ``columns`` asked for, shares columns that
are one value or equal to another column, and writes the rest into preallocated arrays. For a
large sweep on Linux with glibc, ``allocator_tuned`` keeps freed memory in the process between
chunks (process-wide ``mallopt``; ``DTSIM_ALLOCATOR_TUNING=0`` or ``tune_allocator(False)`` turns
it off). Every such step leaves each result bit for bit as it was (tests/test_golden_results.py).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import DtsimError, InfeasibleError, ScenarioError
from dtsim.fields import field_spec
from dtsim.inputs import Inputs, compile_inputs
from dtsim.normalize import RELIABILITY_ON, Columns, normalize, stack_scenarios
from dtsim.outcome import Outcome, outcome
from dtsim.result import RESULT_KEYS, Batch, Result
from dtsim.rules import check_columns, deferred
from dtsim.scenario import Scenario, load_scenarios, parse_scenario
from dtsim.strategies import Refusal, Schedule, schedule

__all__ = [
    "Evaluation",
    "LinearAxis",
    "LogAxis",
    "SweepPlan",
    "Trace",
    "allocator_tuned",
    "compile_scenario",
    "evaluate_columns",
    "iter_sweep",
    "plan_sweep",
    "simulate",
    "simulate_many",
    "sweep",
    "sweep_to_file",
    "trace",
    "tune_allocator",
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
    raw = stack_scenarios([parsed])
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
    raw = stack_scenarios([parsed])
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
    raw = stack_scenarios(parsed)
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
#: Most points any sweep may have: a point's position is a 64-bit integer.
MAX_POINTS = 2**63 - 1
#: Largest magnitude of a ``range`` axis's values (computed per chunk in 64-bit integers).
_MAX_RANGE_VALUE = 2**53


@dataclass(frozen=True)
class LinearAxis:
    """A sweep axis ``start + step·i`` for i in [0, count), computed chunk by chunk and never
    allocated whole (the command line's ``range:START:STOP:STEP``); ``digits`` rounds each value
    (``np.round``), as the command line does on integer fields."""

    start: float
    step: float
    count: int
    digits: int | None = None

    def __len__(self) -> int:
        return self.count

    def at(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        """The values at positions ``index``: exactly ``(start + step·arange(count))[index]``."""
        values = self.start + self.step * index.astype(float)
        return values if self.digits is None else np.round(values, self.digits)

    def ends(self) -> list[float]:
        """The first and the last value."""
        return self.at(np.array([0, self.count - 1], dtype=np.intp)).tolist()


@dataclass(frozen=True)
class LogAxis:
    """A sweep axis of ``count`` values evenly spaced in log10 from ``10**start_exp`` to
    ``10**stop_exp``, computed chunk by chunk: exactly ``np.logspace(start_exp, stop_exp, count)``
    (the command line's ``log:START:STOP:COUNT``)."""

    start_exp: float
    stop_exp: float
    count: int

    def __len__(self) -> int:
        return self.count

    def at(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        """The values at positions ``index``, as ``np.logspace`` computes them (``np.linspace``'s
        ``i·step + start`` with the last point set to the stop, then ``10**y``)."""
        y = index.astype(float)
        if self.count > 1:
            step = (self.stop_exp - self.start_exp) / (self.count - 1)
            # as np.linspace: divide first where the step underflows to 0
            y = y / (self.count - 1) * (self.stop_exp - self.start_exp) if step == 0 else y * step
        else:
            y = y * (self.stop_exp - self.start_exp)
        y = y + self.start_exp
        if self.count > 1:
            y[index == self.count - 1] = self.stop_exp
        return np.power(10, y)

    def ends(self) -> list[float]:
        """The first and the last value."""
        return self.at(np.array([0, self.count - 1], dtype=np.intp)).tolist()


@dataclass(frozen=True)
class _RangeAxis:
    """A Python ``range`` of numbers, computed chunk by chunk (64-bit integers, then float)."""

    values: range

    def __len__(self) -> int:
        return len(self.values)

    def at(self, index: NDArray[np.intp]) -> NDArray[np.float64]:
        return (self.values.start + self.values.step * index.astype(np.int64)).astype(float)

    def ends(self) -> list[float]:
        return [float(self.values[0]), float(self.values[-1])]


LazyAxis = LinearAxis | LogAxis | _RangeAxis
Axis = np.ndarray | LazyAxis


def _axis_values(axis: Axis, index: NDArray[np.intp]) -> np.ndarray:
    return axis[index] if isinstance(axis, np.ndarray) else axis.at(index)


def _axis_slice(axis: Axis, start: int, stop: int) -> np.ndarray:
    if isinstance(axis, np.ndarray):
        return axis[start:stop]
    return axis.at(np.arange(start, stop, dtype=np.intp))


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the base's raw columns (length 1), the axes (arrays, or lazy axes
    computed per chunk), and how points map to axis values. Sizes are Python integers."""

    base: Scenario
    fixed: Columns
    axes: dict[str, Axis]
    shape: tuple[int, ...] | None  # grid shape; None when the axes are zipped
    size: int

    def columns(self, start: int, stop: int) -> Columns:
        """Raw columns of points [start, stop): fixed fields stay length 1."""
        if self.shape is None:
            varied = {path: _axis_slice(axis, start, stop) for path, axis in self.axes.items()}
        else:
            index = np.unravel_index(np.arange(start, stop, dtype=np.intp), self.shape)
            varied = {path: _axis_values(axis, i) for (path, axis), i in zip(self.axes.items(), index, strict=True)}
        return {**self.fixed, **varied}


def _validated_axis(path: Any, values: Any) -> Axis:
    """One axis, checked on its description: a lazy axis by its ends (and, on an integer field,
    its step); a list or array whole. Refused with one line naming the path."""
    spec = field_spec(path)
    if not spec.sweepable:
        raise ScenarioError(path, None, "not a sweepable field (a label)")
    numeric = spec.kind in ("number", "integer")
    if isinstance(values, range) and numeric:
        if len(values) and max(abs(values[0]), abs(values[-1])) > _MAX_RANGE_VALUE:
            raise ScenarioError(path, f"range up to {values[-1]:.3g}", f"must be {spec.bounds_text()}")
        values = _RangeAxis(values)
    if isinstance(values, LinearAxis | LogAxis | _RangeAxis):
        if not numeric:
            raise ScenarioError(path, "a range", "a range of numbers; this field takes values from a list")
        if len(values) == 0:
            raise ScenarioError(path, [], "an axis needs at least one value")
        spec.validate_values(values.ends())
        if spec.kind == "integer" and len(values) > 1:
            second = float(values.at(np.array([1], dtype=np.intp))[0])
            spec.validate_values([second])  # a whole start and a whole step: every value is whole
        return values
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence | np.ndarray | range):
        shown = values if isinstance(values, str | int | float | None) else type(values).__name__
        raise ScenarioError(path, shown, "expected a list or array of values")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ScenarioError(path, f"an array of shape {values.shape}", "expected a one-dimensional list of values")
    if not isinstance(values, np.ndarray):
        nested = next((v for v in values if isinstance(v, list | tuple | set | frozenset | np.ndarray)), None)
        if nested is not None:
            raise ScenarioError(path, _shown(nested), "expected a flat list of values (not nested lists)")
    try:
        column = spec.validate_values(values)
    except DtsimError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError):
        raise ScenarioError(path, _shown(values), "expected a list of values of this field's kind") from None
    if len(column) == 0:
        raise ScenarioError(path, [], "an axis needs at least one value")
    return column


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def plan_sweep(scenario: ScenarioLike, axes: Mapping[str, Any], grid: bool = False) -> SweepPlan:
    """Validate a sweep on its description before anything is evaluated or allocated: the base
    scenario, every axis (a lazy axis by its ends, a list whole), the sizes as Python integers."""
    if not isinstance(axes, Mapping):
        raise ScenarioError("axes", type(axes).__name__, "expected a mapping {field path: values}")
    bases = _scenarios(scenario)
    if len(bases) != 1:
        raise ScenarioError("", str(scenario), f"the file holds {len(bases)} scenarios; a sweep takes one base")
    base = bases[0]
    validated: dict[str, Axis] = {}
    for path, values in axes.items():
        if not isinstance(path, str):
            raise ScenarioError(_shown(path), None, "a field path is text, e.g. network.wan.bandwidth_mbps")
        validated[path] = _validated_axis(path, values)
    fixed = stack_scenarios([base])
    if any(path.startswith("reliability.") for path in validated):
        fixed[RELIABILITY_ON] = np.array([True])
    if grid:
        shape = tuple(len(a) for a in validated.values())
        size = math.prod(shape)  # a Python integer: never wraps
        if size > MAX_POINTS:
            raise ScenarioError("axes", f"a grid of {size:.3g} points", f"at most {MAX_POINTS:,} points")
        return SweepPlan(base, fixed, validated, shape, size)
    lengths = {len(a) for a in validated.values()}
    if len(lengths) > 1:
        raise ScenarioError(
            "axes",
            {p: len(a) for p, a in validated.items()},
            "zipped axes need equal lengths (or take their grid: grid=True, --grid)",
        )
    size = lengths.pop() if lengths else 1
    if size > MAX_POINTS:
        raise ScenarioError("axes", f"{size:.3g} points", f"at most {MAX_POINTS:,} points")
    return SweepPlan(base, fixed, validated, None, size)


def _evaluate_chunk(plan: SweepPlan, start: int, stop: int, strict: bool, keys: Sequence[str] | None = None) -> Columns:
    """The result columns of points [start, stop) with the axes' values (only ``keys``, when
    given: ``_chunk_keys``)."""
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
    return out if keys is None else {k: out[k] for k in keys}


def _chunk_keys(plan: SweepPlan, columns: Sequence[str] | None) -> list[str] | None:
    """The evaluation keys a sweep keeps per chunk for ``columns`` (None: every key): the axes,
    the keys asked for, and what a ``Batch`` needs (strategy, feasible, infeasible_reason)."""
    if columns is None:
        return None
    keys = [*plan.axes, "strategy", "feasible", "infeasible_reason"]
    for key in columns:
        keys.append("communication_bound" if key == "bottleneck" else key)
    return list(dict.fromkeys(k for k in keys if k != "name"))


def _selected(plan: SweepPlan, columns: Any) -> list[str] | None:
    """``columns`` checked before anything is evaluated: result keys, ``feasible``,
    ``infeasible_reason`` or varied fields."""
    if columns is None:
        return None
    if isinstance(columns, str | bytes | Mapping) or not isinstance(columns, Iterable):
        raise ScenarioError("columns", _shown(columns), "expected a list of result keys")
    keys = list(columns)
    not_text = [k for k in keys if not isinstance(k, str)]
    if not_text:
        raise ScenarioError("columns", _shown(not_text[0]), "result keys are text")
    allowed = [*RESULT_KEYS, "feasible", "infeasible_reason", *plan.axes]
    unknown = [k for k in keys if k not in allowed]
    if unknown:
        raise ScenarioError("columns", unknown, f"unknown result keys; allowed: {', '.join(dict.fromkeys(allowed))}")
    return list(dict.fromkeys(keys))


def iter_sweep(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    *,
    grid: bool = False,
    columns: Sequence[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    strict: bool = False,
) -> Iterator[Batch]:
    """Evaluate a sweep chunk by chunk, yielding one ``Batch`` per chunk (bounded memory). The
    plan is validated when this is called, before the first chunk is asked for."""
    chunk_size = _chunk_size(chunk_size)
    plan = plan_sweep(scenario, axes, grid)
    keys = _chunk_keys(plan, _selected(plan, columns))
    return _chunks(plan, chunk_size, strict, keys)


def _chunks(plan: SweepPlan, chunk_size: int, strict: bool, keys: list[str] | None) -> Iterator[Batch]:
    for start in range(0, plan.size, chunk_size):
        stop = min(start + chunk_size, plan.size)
        yield Batch(_evaluate_chunk(plan, start, stop, strict, keys), names=_names(plan, stop - start))


def _names(plan: SweepPlan, n: int) -> np.ndarray:
    return np.broadcast_to(np.array([plan.base.name], dtype=object), (n,))


def _chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ScenarioError("chunk_size", _shown(chunk_size), "expected a whole number ≥ 1")
    return int(chunk_size)


def sweep(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    *,
    grid: bool = False,
    columns: Sequence[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    strict: bool = False,
) -> Batch:
    """Evaluate ``scenario`` along ``axes`` ({dotted field path: values}). ``grid=False`` zips
    equal-length axes; ``grid=True`` takes their Cartesian product. Each axis is validated once
    as a whole (a ``range`` by its ends; it is computed chunk by chunk); points are evaluated as
    arrays, ``chunk_size`` at a time. ``Batch.columns`` holds the result keys (``columns``:
    only those, plus ``strategy``), the varied fields, ``feasible`` and ``infeasible_reason``; a
    point the physics refuses has null results (``strict=True`` refuses the sweep at the first
    such point instead). A column that is one value throughout, or the same as another column,
    is a read-only view rather than a copy. Sweeps above 20 million points: use
    ``sweep_to_file``."""
    chunk_size = _chunk_size(chunk_size)
    plan = plan_sweep(scenario, axes, grid)
    keys = _chunk_keys(plan, _selected(plan, columns))
    if plan.size > MAX_IN_MEMORY:
        raise ScenarioError(
            "axes",
            plan.size,
            f"a sweep of more than {MAX_IN_MEMORY:,} points does not fit in "
            "memory; stream it with dtsim.sweep_to_file (CLI: dtsim sweep --out FILE)",
        )
    if plan.size <= chunk_size:  # one chunk: its columns are the result, nothing to assemble
        return Batch(_evaluate_chunk(plan, 0, plan.size, strict, keys), names=_names(plan, plan.size))
    assembled = _Assembly(plan.size)
    with allocator_tuned():
        for start in range(0, plan.size, chunk_size):
            stop = min(start + chunk_size, plan.size)
            assembled.add(start, stop, _evaluate_chunk(plan, start, stop, strict, keys))
    return Batch(assembled.columns(), names=_names(plan, plan.size))


class _Assembly:
    """The output columns of a sweep, filled chunk by chunk into preallocated arrays. A key whose
    values are one value in every chunk so far stays a zero-copy broadcast view; a key whose
    values equal an earlier key's, bit for bit, in every chunk so far shares that key's column.
    A key that stops being either gets its own column then, with what came before copied in."""

    def __init__(self, size: int):
        self.size = size
        self.out: dict[str, np.ndarray] = {}
        self.alias: dict[str, str] = {}
        self.order: list[str] = []

    def add(self, start: int, stop: int, part: Columns) -> None:
        if not self.order:
            self._first(part)
        for key, values in part.items():
            target = self.alias.get(key)
            if target is not None:
                if values is part[target] or _identical(values, part[target]):
                    continue
                self.out[key] = np.array(self.out[self.alias.pop(key)])  # no longer the same: copy
            column = self.out[key]
            if (column.strides[0] == 0 and self.size > 1) or (len(column) == 1 and self.size == 1):
                if _uniform(values, column[:1]):
                    continue
                self.out[key] = column = np.array(column)
            column[start:stop] = values

    def _first(self, part: Columns) -> None:
        """Decide from the first chunk which keys are constant or shared."""
        full: list[str] = []
        for key, values in part.items():
            self.order.append(key)
            if len(values) == 1 or _is_constant(values) or _uniform(values, values[:1]):
                self.out[key] = np.broadcast_to(values[:1].copy(), (self.size,))
                continue
            same = next((k for k in full if part[k] is values or _identical(part[k], values)), None)
            if same is not None:
                self.alias[key] = same
                continue
            full.append(key)
            self.out[key] = np.empty(self.size, dtype=values.dtype)

    def columns(self) -> Columns:
        """Every key's column (shared and constant columns as read-only views), in order."""
        out: Columns = {}
        shared = set(self.alias.values())
        for key in self.order:
            column = self.out[self.alias.get(key, key)]
            if key in self.alias or key in shared:
                column = column.view()
                column.flags.writeable = False
            out[key] = column
        return out


def _uniform(values: np.ndarray, value: np.ndarray) -> bool:
    """Every entry of ``values`` is ``value[0]``, bit for bit (NaN included)."""
    if values.dtype != value.dtype:
        return False
    if len(values) == 1 or _is_constant(values):
        return _same(values[:1], value)
    if values.dtype == object:
        return False
    return _identical(values, np.broadcast_to(value, values.shape))


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit (cheap checks first): numbers by their bytes, NaN and -0.0 included."""
    if a.dtype != b.dtype or a.shape != b.shape or a.dtype == object:
        return False
    if a.dtype.kind == "f":
        for i in (0, len(a) // 2, len(a) - 1):
            x, y = float(a[i]), float(b[i])
            if x != y and (x == x or y == y):  # differ, and not both NaN
                return False
        return bool(np.array_equal(a.view(np.uint64), b.view(np.uint64))) if a.itemsize == 8 else False
    return bool(np.array_equal(a, b))


def _is_constant(values: np.ndarray) -> bool:
    """A broadcast view of one value (stride 0)."""
    return values.ndim == 1 and len(values) > 1 and values.strides[0] == 0


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype == object or b.dtype == object:
        return bool(a[0] == b[0]) if a[0] is not None and b[0] is not None else a[0] is b[0]
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


# --------------------------------------------------------------------------------------------
# The C allocator during large sweeps

#: Environment variable that leaves the C allocator alone when set to ``0``.
ALLOCATOR_TUNING_ENV = "DTSIM_ALLOCATOR_TUNING"
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks below this come from the heap, which a sweep's chunks then reuse (glibc's maximum).
_MMAP_THRESHOLD_BYTES = 32 * 2**20
#: Free memory the heap keeps instead of returning it between chunks.
_TRIM_THRESHOLD_BYTES = 1024 * 2**20
_allocator: dict[str, Any] = {"enabled": None, "libc": None, "tuned": False}


def tune_allocator(enabled: bool) -> None:
    """Allow (or forbid) the allocator tuning of large sweeps in this process (the default:
    allowed, unless the environment sets ``DTSIM_ALLOCATOR_TUNING=0``). Forbidding it after a
    sweep has tuned the allocator hands the memory it kept back to the system and sets both
    thresholds back to glibc's initial 128 KiB (glibc's own adjustment of the mmap threshold
    then stays off, as after any ``mallopt``)."""
    _allocator["enabled"] = bool(enabled)
    if not enabled and _allocator["tuned"]:
        libc = _allocator["libc"]
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
        libc.malloc_trim(0)  # hand back what the tuning kept
        _allocator["tuned"] = False


def _libc() -> Any:
    """glibc through ctypes on Linux (None elsewhere, or when tuning is forbidden)."""
    import os
    import platform
    import sys

    if _allocator["enabled"] is None:
        _allocator["enabled"] = os.environ.get(ALLOCATOR_TUNING_ENV, "1") != "0"
    if not _allocator["enabled"] or not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    if _allocator["libc"] is None:
        import ctypes

        try:
            _allocator["libc"] = ctypes.CDLL("libc.so.6")
        except OSError:
            _allocator["enabled"] = False
            return None
    return _allocator["libc"]


@contextlib.contextmanager
def allocator_tuned(large: bool = True) -> Iterator[None]:
    """For the block (a large sweep), keep freed memory in the process instead of handing it
    back to the system between chunks, where each new chunk would fault it in again page by
    page (~1-4 µs a page on a VM): with glibc on Linux, ``mallopt`` raises the mmap threshold
    to 32 MiB and the trim threshold to 1 GiB, process-wide, once, and NumPy's requests for
    transparent huge pages are paused for the block (on a heap reused chunk after chunk, the
    kernel's compaction for them costs more than it saves, and unevenly). The process then
    keeps up to 1 GiB of freed memory for the next sweep instead of returning it at once;
    ``tune_allocator(False)`` hands it back and restores the thresholds. Elsewhere, or with
    ``DTSIM_ALLOCATOR_TUNING=0``, nothing changes."""
    libc = _libc() if large else None
    if libc is None:
        yield
        return
    if not _allocator["tuned"]:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
        _allocator["tuned"] = True
    # NumPy asks for transparent huge pages on large arrays; on a heap that is reused chunk
    # after chunk, the kernel's compaction for them costs more than it saves.
    hugepage = getattr(getattr(np, "_core", None), "multiarray", None)
    set_hugepage = getattr(hugepage, "_set_madvise_hugepage", None)
    previous = set_hugepage(False) if set_hugepage is not None else None
    try:
        yield
    finally:
        if set_hugepage is not None:
            set_hugepage(previous)


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
    installed), chunk by chunk, so memory stays bounded; the plan (axes, sizes, ``columns``) is
    validated before anything is written, and a ``range`` axis is computed chunk by chunk.
    ``columns``: the result keys to write after the varied fields (default: every key).
    ``progress(done, total)`` is called per chunk. Returns the number of points written."""
    from dtsim.output import ChunkWriter

    chunk_size = _chunk_size(chunk_size)
    plan = plan_sweep(scenario, axes, grid)
    selected = _selected(plan, columns)
    keys = _chunk_keys(plan, selected)
    with ChunkWriter(Path(path)) as writer, allocator_tuned(plan.size > chunk_size):
        for start in range(0, plan.size, chunk_size):
            stop = min(start + chunk_size, plan.size)
            batch = Batch(_evaluate_chunk(plan, start, stop, strict, keys), names=_names(plan, stop - start))
            written = [*plan.axes, *(selected or [k for k in batch.columns if k not in plan.axes])]
            writer.write({key: batch.columns[key] for key in dict.fromkeys(written)})
            if progress is not None:
                progress(stop, plan.size)
    return plan.size
