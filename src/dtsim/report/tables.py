"""Compute report tables from their specs through the engine and the analyses.

A table names its analyses by name; one that this version of dtsim does not have makes the
table fail with ``UnavailableAnalysis`` (a ``ScenarioError``) before anything is computed, so
that the report can say "not yet available" and go on."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dtsim.analyses import ANALYSES, analyze
from dtsim.engine import simulate_many
from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.report.formats import NUMERIC_FORMATS, format_value
from dtsim.report.spec import Column, Row, TableSpec, TableSpecError
from dtsim.report.templates import TemplateScope, render_template
from dtsim.scenario import set_path

__all__ = [
    "AnalysisCache",
    "Cell",
    "Table",
    "UnavailableAnalysis",
    "build_table",
    "merge_scenario",
    "table_analyses",
]

#: Analyses that take the row's scenario as their ``scenario`` argument.
SCENARIO_ANALYSES = frozenset({"nodes_for_target", "model_size_sweep", "cheapest_config"})


class UnavailableAnalysis(ScenarioError):
    """A table needs an analysis that this version of dtsim does not have."""

    def __init__(self, name: str, *, source: str | None = None) -> None:
        allowed = f"not available in this version of dtsim (it has: {', '.join(ANALYSES)})"
        super().__init__("analysis", name, allowed, source=source)
        self.name = name

    def at(self, source: str) -> UnavailableAnalysis:
        return self if self.source else UnavailableAnalysis(self.name, source=source)


@dataclass(frozen=True)
class Cell:
    """One displayed cell, with the value behind it and its acceptance mapping."""

    text: str
    value: Any
    case: str | None = None
    case_key: str | None = None
    seed_text: str | None = None
    seed_note: str | None = None


@dataclass(frozen=True)
class Table:
    """A computed table: its spec, title, header and rows of cells (the first cell is the row
    label), and notes; title, header, labels and notes are the spec's templates filled in."""

    spec: TableSpec
    header: list[str]
    rows: list[list[Cell]]
    title: str = ""
    notes: tuple[str, ...] = ()
    #: Per column: True where the column holds numbers (right-aligned).
    numeric: tuple[bool, ...] = ()


def _deep_merge(target: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if "." in key:
            set_path(target, key, copy.deepcopy(value))
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


#: Fields that exclude one another. A layer that gives one member of a group removes the other
#: members given by the layers before it: ``--set training.years=1`` replaces a table's
#: ``training.days``, and turning the reliability layer on replaces a table's straggler model,
#: which the layer supersedes (reliability.md §11).
EXCLUSIVE: tuple[tuple[tuple[str, ...], ...], ...] = (
    (("training.days",), ("training.years",), ("training.tokens",)),
    (("reliability",), ("network.straggler", "network.straggler_per_doubling")),
)


def _given(layer: Mapping[str, Any], path: str) -> bool:
    """Whether ``layer`` (nested or dotted keys) gives ``path`` (or a key inside it) a value."""
    for key, value in layer.items():
        inside = key == path or key.startswith(path + ".")
        if (inside and value is not None) or (
            not inside
            and path.startswith(key + ".")
            and isinstance(value, Mapping)
            and _given(value, path.removeprefix(key + "."))
        ):
            return True
    return False


def _remove(merged: dict[str, Any], path: str) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        merged.pop(head, None)
    elif isinstance(merged.get(head), dict):
        _remove(merged[head], rest)


def merge_scenario(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge scenario layers (nested or dotted keys), later layers winning; a layer that gives
    one of a group of exclusive fields (``EXCLUSIVE``) removes the others from the layers
    before it."""
    merged: dict[str, Any] = {}
    for layer in layers:
        if layer:
            for group in EXCLUSIVE:
                given = [any(_given(layer, path) for path in members) for members in group]
                if any(given):
                    for members, here in zip(group, given, strict=True):
                        if not here:
                            for path in members:
                                _remove(merged, path)
            _deep_merge(merged, layer)
    return merged


def _lookup(source: Mapping[str, Any], key: str, field: str = "key") -> Any:
    """``source[a][b]`` for ``key = "a.b"``; a missing key is a ``ScenarioError`` on ``field``;
    a null on the way (``winner`` when nothing reaches a target) gives None (not applicable)."""
    value: Any = source
    for part in key.split("."):
        if value is None:
            return None
        if not isinstance(value, Mapping) or part not in value:
            allowed = ", ".join(map(str, value)) if isinstance(value, Mapping) else "none (not a mapping)"
            raise TableSpecError(field, key, f"no such key; allowed here: {allowed}")
        value = value[part]
    return value


def _operand(value: Any, field: str, key: str) -> float:
    """A value that takes part in arithmetic: a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TableSpecError(field, key, f"is {value!r} for this row, not a number")
    return value


def _divide(value: Any, denominator: Any, field: str, key: str) -> float:
    """``value / denominator``, refusing a zero denominator by name."""
    if _operand(denominator, field, key) == 0:
        raise TableSpecError(field, key, "is 0 for this row: cannot divide by it")
    return _operand(value, field, key) / denominator


class AnalysisCache:
    """Analysis answers of one report, by name, arguments and scenario: a report asks the same
    search for several columns (the nodes and the cost of one search)."""

    def __init__(self) -> None:
        self._answers: dict[str, dict[str, Any]] = {}

    def get(self, name: str, args: Mapping[str, Any], scenario: dict[str, Any] | None) -> dict[str, Any]:
        """The analysis answer, computed once per report."""
        if name not in ANALYSES:
            raise UnavailableAnalysis(name)
        key = json.dumps([name, args, scenario], sort_keys=True, default=str)
        if key not in self._answers:
            self._answers[key] = _run_analysis(name, args, scenario)
        return self._answers[key]


def _run_analysis(name: str, args: Mapping[str, Any], scenario: dict[str, Any] | None) -> dict[str, Any]:
    args = dict(args)
    if name in SCENARIO_ANALYSES and scenario is not None and "scenario" not in args:
        args["scenario"] = {k: v for k, v in scenario.items() if not (name == "nodes_for_target" and k == "nodes")}
    return analyze(name, **args)


def table_analyses(spec: TableSpec) -> list[str]:
    """The analyses a table calls, in order of first use."""
    names = [row.analysis for row in spec.rows] + [column.analysis for column in spec.columns]
    return list(dict.fromkeys(name for name in names if name is not None))


def build_table(
    spec: TableSpec, overrides: Mapping[str, Any] | None = None, cache: AnalysisCache | None = None
) -> Table:
    """Evaluate every cell of a table. ``overrides`` (dotted paths) change the base scenario
    before the rows apply their own fields, so a row that varies a field keeps its value;
    ``cache`` shares analysis answers across the tables of one report. Errors name the table
    (and its file); a table that needs an analysis this version lacks raises
    ``UnavailableAnalysis`` before computing anything."""
    for name in table_analyses(spec):
        if name not in ANALYSES:
            raise UnavailableAnalysis(name).at(spec.where)
    try:
        return _build_table(spec, overrides, cache or AnalysisCache())
    except (ScenarioError, InfeasibleError) as exc:
        raise exc.at(spec.where) from None


def _build_table(spec: TableSpec, overrides: Mapping[str, Any] | None, cache: AnalysisCache) -> Table:
    table_scope = TemplateScope(merge_scenario(spec.base, overrides))
    title = render_template(spec.title, table_scope, field="title")
    notes = tuple(render_template(note, table_scope, field=f"notes[{i}]") for i, note in enumerate(spec.notes))
    headers = [
        render_template(column.header, table_scope, field=f"columns[{j}].header")
        for j, column in enumerate(spec.columns)
    ]
    scenarios = [merge_scenario(spec.base, overrides, row.set) if (spec.base or row.set) else None for row in spec.rows]
    needs_result = [
        row.analysis is None and s is not None and any(c.analysis is None for c in spec.columns)
        for row, s in zip(spec.rows, scenarios, strict=True)
    ]
    batch = simulate_many([s for s, need in zip(scenarios, needs_result, strict=True) if need and s])
    results = iter(r.to_dict() for r in batch)
    sources: list[dict[str, Any]] = []
    for row, scenario, need in zip(spec.rows, scenarios, needs_result, strict=True):
        if row.analysis is not None:
            sources.append(cache.get(row.analysis, row.args, scenario))
        else:
            sources.append(next(results) if need else {})

    values: list[list[Any]] = []
    for row, scenario, source in zip(spec.rows, scenarios, sources, strict=True):
        columns = [_for_row(column, row) for column in spec.columns]
        values.append([_cell_value(column, row, scenario, source, cache) for column in columns])
    for j, column in enumerate(spec.columns):
        if column.relative == "best":
            field = f"columns[{column.header!r}].relative"
            present = [_operand(v[j], field, column.key) for v in values if v[j] is not None]
            if present:
                best = max(present)
                for v in values:
                    v[j] = None if v[j] is None else _divide(v[j], best, field, f"the best {column.key}")

    rows = []
    for i, (row, scenario, source, need, row_values) in enumerate(
        zip(spec.rows, scenarios, sources, needs_result, values, strict=True)
    ):
        scope = TemplateScope(scenario, source if need else None) if scenario is not None else table_scope
        label = render_template(row.label, scope, field=f"rows[{i}].label")
        cells = [Cell(label, label)]
        for column, value in zip([_for_row(c, row) for c in spec.columns], row_values, strict=True):
            seed = row.seed.get(column.header)
            cells.append(
                Cell(
                    text=format_value(value, column.format),
                    value=value,
                    case=_case_id(row.case, column.case_suffix),
                    case_key=column.case_key or column.key,
                    seed_text=seed[0] if seed else None,
                    seed_note=seed[1] if seed and len(seed) > 1 else None,
                )
            )
        rows.append(cells)
    numeric = tuple(
        all((row.format or column.format) in NUMERIC_FORMATS for row in spec.rows) for column in spec.columns
    )
    return Table(spec, [spec.label_header, *headers], rows, title, notes, (False, *numeric))


def _for_row(column: Column, row: Row) -> Column:
    """The column as this row reads it (a metric row names its own key and format)."""
    if row.key is None and row.format is None:
        return column
    return column.model_copy(update={"key": row.key or column.key, "format": row.format or column.format})


def _case_id(row_case: str | None, suffix: str) -> str | None:
    """The fidelity case of a cell: the row's case with the column's suffix at ``{col}``, or appended."""
    if row_case is None:
        return None
    return row_case.replace("{col}", suffix) if "{col}" in row_case else row_case + suffix


def _cell_value(
    column: Column, row: Row, scenario: dict[str, Any] | None, source: dict[str, Any], cache: AnalysisCache
) -> Any:
    j = f"columns[{column.header!r}]"
    if column.key.startswith("scenario."):
        return _lookup(scenario or {}, column.key.removeprefix("scenario."), f"{j}.key")
    if column.analysis is not None:
        scoped = merge_scenario(scenario, column.set) if (scenario is not None or column.set) else None
        source = cache.get(column.analysis, {**column.args, **row.column_args}, scoped)
    elif column.set:
        if scenario is None:
            raise TableSpecError(f"{j}.set", column.set, "needs a row scenario (base or set)")
        (result,) = simulate_many([merge_scenario(scenario, column.set)])
        source = result.to_dict()
    value = _lookup(source, column.key, f"{j}.key")
    if value is not None and column.times is not None:
        value = _operand(value, f"{j}.key", column.key) * _operand(
            _lookup(source, column.times, f"{j}.times"), f"{j}.times", column.times
        )
    if value is not None and column.per is not None:
        value = _divide(value, _lookup(source, column.per, f"{j}.per"), f"{j}.per", column.per)
    if value is not None and column.scale != 1.0:
        value = _operand(value, f"{j}.key", column.key) * column.scale
    if column.relative_set is not None and value is not None:
        if scenario is None:
            raise TableSpecError(f"{j}.relative_set", column.relative_set, "needs a row scenario (base or set)")
        (other,) = simulate_many([merge_scenario(scenario, column.relative_set)])
        denominator = _lookup(other.to_dict(), column.key, f"{j}.key")
        value = _divide(value, denominator, f"{j}.relative_set", column.key)
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(f"{j}.key", column.key, f"gives {value!r} for this row: not a finite number")
    return value
