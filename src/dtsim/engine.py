"""Evaluate scenarios: one, a list (grouped by strategy, one array call per group), or a
sweep of one scenario along axes (validated per axis as whole arrays, never per point)."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import annotated_types
import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dtsim.errors import DtsimError, InfeasibleError, ScenarioError
from dtsim.inputs import TEXT_FIELDS, compile_inputs, scenario_columns, stack_columns
from dtsim.result import Batch, Result
from dtsim.scenario import STRATEGIES, Scenario, _integer, load_scenarios, parse_scenario
from dtsim.strategies import evaluate

__all__ = ["evaluate_columns", "iter_sweep", "simulate", "simulate_many", "sweep", "sweep_to_file"]

ScenarioLike = Scenario | Mapping[str, Any] | str | Path


def _scenarios(item: ScenarioLike) -> list[Scenario]:
    if isinstance(item, str | Path):
        return load_scenarios(item)
    return [parse_scenario(item)]


def evaluate_columns(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate a column table (user units, one ``strategy`` per row), grouped by strategy:
    one array call per group. Returns result columns in the input order."""
    # Extreme but valid inputs may overflow intermediate quantities; results are then checked
    # and refused (never returned) by _refuse_non_finite, so NumPy's warnings are not needed.
    with np.errstate(all="ignore"):
        out = _evaluate_grouped(columns)
    _refuse_non_finite(out)
    return out


def _evaluate_grouped(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = max(len(col) for col in columns.values())
    strategies = np.broadcast_to(columns["strategy"], (n,))
    if len(columns["strategy"]) == 1 or len(set(strategies.tolist())) == 1:
        out = evaluate(str(strategies[0]), compile_inputs(columns))
        out["strategy"] = strategies
        return out
    merged: dict[str, np.ndarray] = {}
    for strategy in dict.fromkeys(strategies.tolist()):
        idx = np.flatnonzero(strategies == strategy)
        part = evaluate(strategy, compile_inputs({k: v[idx] if len(v) == n else v for k, v in columns.items()}))
        for key, values in part.items():
            if key not in merged:
                merged[key] = np.empty(n, dtype=values.dtype)
            merged[key][idx] = values
    merged["strategy"] = strategies
    return merged


def simulate(scenario: ScenarioLike) -> Result:
    """Simulate one scenario: a dict, a ``Scenario``, or the path of a file holding one."""
    scenarios = _scenarios(scenario)
    if len(scenarios) != 1:
        raise ScenarioError("", str(scenario), f"the file holds {len(scenarios)} scenarios; use simulate_many")
    return simulate_many(scenarios)[0]


def simulate_many(scenarios: Iterable[ScenarioLike]) -> list[Result]:
    """Simulate a batch: each item is validated, then each strategy group is evaluated in one
    array call. Results come back in input order. Any invalid or infeasible scenario refuses
    the whole batch with a message naming it."""
    parsed = [s for item in scenarios for s in _scenarios(item)]
    if not parsed:
        return []
    columns = stack_columns([scenario_columns(s) for s in parsed])
    try:
        out = evaluate_columns(columns)
    except DtsimError:
        if len(parsed) == 1:
            raise
        _raise_first_failure(parsed)
        raise
    return Batch(out, names=[s.name for s in parsed]).results()


#: Result keys that are always numbers (the others may be null where they do not apply).
_ALWAYS_FINITE = (
    "cost_usd",
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
)


def _refuse_non_finite(out: Mapping[str, np.ndarray]) -> None:
    """A safety net: inputs so extreme that a result overflows are refused, never returned."""
    for key in _ALWAYS_FINITE:
        values = out[key]
        bad = np.isinf(values) if key == "cost_usd" else ~np.isfinite(values)
        if bad.any():
            i = int(np.argmax(bad))
            raise InfeasibleError(
                key,
                f"the result is not a finite number ({values[i]!r}) for scenario {i}",
                "the inputs are outside the model's numeric range: use less extreme values",
            )


def _raise_first_failure(parsed: Sequence[Scenario]) -> None:
    """Error path only: find which scenario of a refused batch fails, and say so."""
    for i, scenario in enumerate(parsed):
        try:
            evaluate_columns(stack_columns([scenario_columns(scenario)]))
        except ScenarioError as exc:
            label = f"scenario {i}" + (f" ({scenario.name})" if scenario.name else "")
            raise ScenarioError(exc.field, exc.value, exc.allowed, source=exc.source or label) from None
        except InfeasibleError as exc:
            label = f"scenario {i}" + (f" ({scenario.name})" if scenario.name else "")
            raise InfeasibleError(exc.field, exc.problem, exc.guidance, source=exc.source or label) from None


# --------------------------------------------------------------------------------------------
# Sweeps


def _field_info(path: str) -> FieldInfo | None:
    model: type[BaseModel] = Scenario
    *parents, leaf = path.split(".")
    for part in parents:
        info = model.model_fields.get(part)
        annotation = getattr(info, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model.model_fields.get(leaf)


def _numeric_constraints(annotation: Any) -> tuple[bool, dict[str, float]]:
    """(is_integer, {gt/ge/lt/le: bound}) declared on a numeric scenario field."""
    bounds: dict[str, float] = {}
    is_integer = False
    stack = [annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if isinstance(item, FieldInfo):
            stack.extend(item.metadata)
            continue
        for kind in ("gt", "ge", "lt", "le"):
            bound = getattr(item, kind, None)
            if isinstance(item, annotated_types.BaseMetadata) and bound is not None:
                bounds[kind] = float(bound)
        if item is int or getattr(item, "func", None) is _integer:
            is_integer = True
        origin = typing.get_origin(item)
        if origin is typing.Annotated or origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(item))
    return is_integer, bounds


_BOUND_TEXT = {"gt": "greater than", "ge": "greater than or equal to", "lt": "less than", "le": "less than or equal to"}


def _validate_axis(base: Scenario, path: str, values: np.ndarray) -> np.ndarray:
    """Validate one sweep axis as a whole array; return it as float or object array."""
    info = _field_info(path)
    if info is None or path == "name" or path not in scenario_columns(base):
        sweepable = ", ".join(p for p in scenario_columns(base) if p != "name")
        shown = values[:1].tolist() if len(values) else []
        raise ScenarioError(path, shown, f"not a sweepable field; allowed: {sweepable}")
    if path in TEXT_FIELDS or path == "hardware.preset":
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
        for value in dict.fromkeys(map(_hashable, arr.tolist())):
            base.with_values(**{path: _unhashable(value)})  # full validation of each distinct value
        return arr
    if values.dtype.kind not in "iuf" or values.dtype == bool:
        raise ScenarioError(path, values[:1].tolist(), "expected numbers")
    arr = np.asarray(values, dtype=float)
    is_integer, bounds = _numeric_constraints([info, info.annotation])
    # One fused pass; NaN fails every comparison, so it is caught here too. Diagnose on failure.
    ok = np.isfinite(arr) if not bounds else np.ones(len(arr), dtype=bool)
    for kind, bound in bounds.items():
        ok &= {"gt": np.greater, "ge": np.greater_equal, "lt": np.less, "le": np.less_equal}[kind](arr, bound)
    if not ok.all():
        i = int(np.argmin(ok))
        if not np.isfinite(arr[i]):
            raise ScenarioError(path, float(arr[i]), "expected finite numbers")
        kind = next(
            k
            for k, b in bounds.items()
            if not {"gt": arr[i] > b, "ge": arr[i] >= b, "lt": arr[i] < b, "le": arr[i] <= b}[k]
        )
        raise ScenarioError(path, float(arr[i]), f"input should be {_BOUND_TEXT[kind]} {bounds[kind]:g}")
    if is_integer and values.dtype.kind == "f":
        fractional = np.mod(arr, 1.0) != 0.0
        if fractional.any():
            raise ScenarioError(path, float(arr[np.argmax(fractional)]), "expected whole numbers")
    return arr


def _hashable(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def _unhashable(value: Any) -> Any:
    return dict(value) if isinstance(value, tuple) else value


#: Scenarios evaluated per array call in a sweep: small enough to stay in cache, large
#: enough that the per-call overhead is negligible (measured in benchmarks/).
CHUNK_SIZE = 65_536
#: Largest sweep kept in memory; larger ones stream to a file (``sweep_to_file``).
MAX_IN_MEMORY = 20_000_000


@dataclass(frozen=True)
class _Plan:
    """A validated sweep: fixed fields (length 1), axes, and how points map to axis values."""

    base: Scenario
    fixed: dict[str, np.ndarray]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...] | None  # grid shape; None when the axes are zipped
    size: int

    def columns(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Input columns of points [start, stop): fixed fields stay length 1."""
        if self.shape is None:
            varied = {path: values[start:stop] for path, values in self.axes.items()}
        else:
            index = np.unravel_index(np.arange(start, stop), self.shape)
            varied = {path: values[i] for (path, values), i in zip(self.axes.items(), index, strict=True)}
        return {**self.fixed, **varied}


def _plan(scenario: ScenarioLike, axes: Mapping[str, Any], grid: bool) -> _Plan:
    (base,) = _scenarios(scenario)[:1]
    arrays = {path: _validate_axis(base, path, np.asarray(values).ravel()) for path, values in axes.items()}
    if grid:
        shape = tuple(len(a) for a in arrays.values())
        size = int(np.prod(shape, dtype=np.int64)) if shape else 1
        plan_shape: tuple[int, ...] | None = shape
    else:
        lengths = {len(a) for a in arrays.values()}
        if len(lengths) > 1:
            raise ScenarioError(
                "axes", {p: len(a) for p, a in arrays.items()}, "zipped axes need equal lengths (or use grid=True)"
            )
        size = lengths.pop() if lengths else 1
        plan_shape = None
    fixed = stack_columns([scenario_columns(base)])
    plan = _Plan(base, fixed, arrays, plan_shape, size)
    _check_strategy_fields(base, {**fixed, **arrays})
    return plan


def iter_sweep(
    scenario: ScenarioLike, axes: Mapping[str, Any], *, grid: bool = False, chunk_size: int = CHUNK_SIZE
) -> Iterator[Batch]:
    """Evaluate a sweep chunk by chunk, yielding one ``Batch`` per chunk (bounded memory)."""
    plan = _plan(scenario, axes, grid)
    for start in range(0, plan.size, chunk_size):
        stop = min(start + chunk_size, plan.size)
        yield _evaluate_chunk(plan, start, stop)


def _evaluate_columns_of(plan: _Plan, start: int, stop: int) -> dict[str, np.ndarray]:
    """Result columns (and varied fields) of points [start, stop)."""
    columns = plan.columns(start, stop)
    try:
        out = evaluate_columns(columns)
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.value, exc.allowed, source=f"sweep points {start}-{stop - 1}") from None
    except InfeasibleError as exc:
        raise InfeasibleError(exc.field, exc.problem, exc.guidance, source=f"sweep points {start}-{stop - 1}") from None
    for path in plan.axes:
        out[path] = columns[path]
    return out


def _evaluate_chunk(plan: _Plan, start: int, stop: int) -> Batch:
    return Batch(_evaluate_columns_of(plan, start, stop), names=np.full(stop - start, plan.base.name, dtype=object))


def sweep(
    scenario: ScenarioLike, axes: Mapping[str, Any], *, grid: bool = False, chunk_size: int = CHUNK_SIZE
) -> Batch:
    """Evaluate ``scenario`` along ``axes`` ({dotted field path: values}). ``grid=False`` zips
    equal-length axes; ``grid=True`` takes their Cartesian product. Each axis is validated once
    as a whole array; points are evaluated as arrays, ``chunk_size`` at a time. ``Batch.columns``
    holds the result keys and the varied fields. Sweeps above 20 million points: use
    ``sweep_to_file``."""
    plan = _plan(scenario, axes, grid)
    if plan.size > MAX_IN_MEMORY:
        raise ScenarioError(
            "axes",
            plan.size,
            f"a sweep of more than {MAX_IN_MEMORY:,} points does not fit in "
            "memory; stream it with dtsim.sweep_to_file (CLI: dtsim sweep --out FILE)",
        )
    columns: dict[str, np.ndarray] = {}
    shared: dict[str, str] = {}
    for start in range(0, plan.size, chunk_size):
        stop = min(start + chunk_size, plan.size)
        part = _evaluate_columns_of(plan, start, stop)
        if not columns:
            # A column that is one broadcast value (a fixed field, a factor that does not apply)
            # stays a zero-copy view; the rest are filled chunk by chunk.
            columns = {
                key: np.broadcast_to(values[:1], (plan.size,))
                if _is_constant(values)
                else np.empty(plan.size, dtype=values.dtype)
                for key, values in part.items()
            }
        for key, values in part.items():
            column = columns[key]
            if _is_constant(column):
                if (len(values) == 1 or _is_constant(values)) and _same(values[:1], column[:1]):
                    continue
                columns[key] = column = np.array(column)
            column[start:stop] = values
    for key, first in shared.items():
        columns[key] = columns[first]
    return Batch(columns, names=np.broadcast_to(np.array([plan.base.name], dtype=object), (plan.size,)))


def _shared_keys(part: Mapping[str, np.ndarray]) -> dict[str, str]:
    """{key: earlier key} for result keys that are the very same array as an earlier one."""
    seen: dict[int, str] = {}
    shared = {}
    for key, values in part.items():
        if id(values) in seen and not _is_constant(values):
            shared[key] = seen[id(values)]
        else:
            seen.setdefault(id(values), key)
    return shared


def _is_constant(values: np.ndarray) -> bool:
    """A broadcast view of one value (stride 0)."""
    return values.ndim == 1 and len(values) > 1 and values.strides[0] == 0


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def sweep_to_file(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    path: str | Path,
    *,
    grid: bool = False,
    columns: Sequence[str] | None = None,
    chunk_size: int = 65_536,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Stream a sweep of any size to ``path`` (``.csv``, or ``.parquet`` when pyarrow is
    installed), chunk by chunk, so memory stays bounded. ``columns``: the result keys to write
    after the varied fields (default: every key). ``progress(done, total)`` is called per chunk.
    Returns the number of points written."""
    from dtsim.output import ChunkWriter

    plan = _plan(scenario, axes, grid)
    with ChunkWriter(Path(path)) as writer:
        for start in range(0, plan.size, chunk_size):
            stop = min(start + chunk_size, plan.size)
            batch = _evaluate_chunk(plan, start, stop)
            keys = [*plan.axes, *(columns or [k for k in batch.columns if k not in plan.axes])]
            writer.write({key: batch.columns[key] for key in dict.fromkeys(keys)})
            if progress is not None:
                progress(stop, plan.size)
    return plan.size


def _check_strategy_fields(base: Scenario, columns: Mapping[str, np.ndarray]) -> None:
    """Cross-field rules of the schema, vectorised over a sweep."""
    if "strategy" in columns and not set(columns["strategy"].tolist()) <= set(STRATEGIES):
        raise ScenarioError("strategy", columns["strategy"][0], f"allowed: {', '.join(STRATEGIES)}")
    active, total = columns["model.active_params"], columns["model.total_params"]
    bad = active > total
    if bad.any():
        i = int(np.argmax(bad))
        raise ScenarioError("model.active_params", float(active[i]), f"must be ≤ model.total_params ({total[i]:g})")
    tokens = ~np.isnan(columns["training.tokens"])
    for other in ("training.days", "training.years"):
        both = tokens & ~np.isnan(columns[other])
        if both.any():
            raise ScenarioError(
                "training.tokens",
                float(columns["training.tokens"][np.argmax(both)]),
                f"give only one of days, years, tokens (also got {other.split('.')[1]})",
            )
