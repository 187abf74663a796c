"""Evaluate scenarios: one, a list (grouped by strategy, one array call per group), or a
sweep of one scenario along axes (validated per axis as whole arrays, never per point)."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping, Sequence
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

__all__ = ["evaluate_columns", "simulate", "simulate_many", "sweep"]

ScenarioLike = Scenario | Mapping[str, Any] | str | Path


def _scenarios(item: ScenarioLike) -> list[Scenario]:
    if isinstance(item, str | Path):
        return load_scenarios(item)
    return [parse_scenario(item)]


def evaluate_columns(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate a column table (user units, one ``strategy`` per row), grouped by strategy:
    one array call per group. Returns result columns in the input order."""
    strategies = columns["strategy"]
    n = len(strategies)
    if len(set(strategies.tolist())) == 1:
        out = evaluate(str(strategies[0]), compile_inputs(columns))
        out["strategy"] = strategies
        return out
    merged: dict[str, np.ndarray] = {}
    for strategy in dict.fromkeys(strategies.tolist()):
        idx = np.flatnonzero(strategies == strategy)
        part = evaluate(strategy, compile_inputs({k: v[idx] for k, v in columns.items()}))
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
    arr = values.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ScenarioError(path, float(arr[np.argmax(bad)]), "expected finite numbers")
    is_integer, bounds = _numeric_constraints([info, info.annotation])
    if is_integer:
        bad = arr != np.round(arr)
        if bad.any():
            raise ScenarioError(path, float(arr[np.argmax(bad)]), "expected whole numbers")
    checks = {
        "gt": arr <= bounds.get("gt", -np.inf),
        "ge": arr < bounds.get("ge", -np.inf),
        "lt": arr >= bounds.get("lt", np.inf),
        "le": arr > bounds.get("le", np.inf),
    }
    for kind, bad in checks.items():
        if kind in bounds and bad.any():
            raise ScenarioError(
                path, float(arr[np.argmax(bad)]), f"input should be {_BOUND_TEXT[kind]} {bounds[kind]:g}"
            )
    return arr


def _hashable(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, dict) else value


def _unhashable(value: Any) -> Any:
    return dict(value) if isinstance(value, tuple) else value


def sweep(scenario: ScenarioLike, axes: Mapping[str, Any], *, grid: bool = False) -> Batch:
    """Evaluate ``scenario`` along ``axes`` ({dotted field path: values}). ``grid=False`` zips
    equal-length axes; ``grid=True`` takes their Cartesian product. Each axis is validated as a
    whole array; the batch is evaluated with one array call per strategy. ``Batch.columns``
    holds the result keys and the varied fields."""
    (base,) = _scenarios(scenario) if not isinstance(scenario, str | Path) else load_scenarios(scenario)[:1]
    arrays = {path: _validate_axis(base, path, np.asarray(values).ravel()) for path, values in axes.items()}
    if grid and arrays:
        mesh = np.meshgrid(*[np.arange(len(a)) for a in arrays.values()], indexing="ij")
        arrays = {path: a[m.ravel()] for (path, a), m in zip(arrays.items(), mesh, strict=True)}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise ScenarioError(
            "axes", {p: len(a) for p, a in arrays.items()}, "zipped axes need equal lengths (or use grid=True)"
        )
    n = lengths.pop() if lengths else 1
    columns = stack_columns([scenario_columns(base)])
    columns = {path: np.repeat(col, n) for path, col in columns.items()}
    columns.update(arrays)
    _check_strategy_fields(base, columns)
    out = evaluate_columns(columns)
    for path, values in arrays.items():
        out[path] = values
    return Batch(out, names=[base.name] * n)


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
