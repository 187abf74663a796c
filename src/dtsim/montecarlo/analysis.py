"""Uncertainty of analysis answers: each analysis is an evaluator that answers for every sample
at once, vectorised over the samples (never one analysis call per sample).

``ANALYSES`` maps an analysis name to its ``AnalysisKind``: how to validate its arguments and
build its evaluator, which answer keys it gives, which it reports by default, and which scenario
fields it sets itself (those cannot be uncertain). Adding an analysis is one entry.

``nodes_for_target``: the smallest node count N ≥ 1 whose metric reaches the target, per sample.
All samples are first evaluated on a doubling grid of node counts (1, 2, 4, ..., max_nodes) as
one sweep per grid value. A sample whose metric does not decrease along the grid up to its first
hit is finished by a vectorised bisection between the last grid value below the target and the
first one reaching it (the bracket holds because the metric grows with N); a sample whose metric
does decrease somewhere is scanned node count by node count in growing blocks, as
``dtsim.analyses.nodes_for_target`` does, so its answer is the true smallest N. A sample that
reaches the target at no N ≤ max_nodes has no answer (NaN); one infeasible at every grid point
counts as infeasible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses.search import MAX_NODES, METRICS
from dtsim.errors import MISSING, ScenarioError
from dtsim.montecarlo.evaluation import Axes, Evaluation, Evaluator, sweep_feasible
from dtsim.scenario import Scenario

__all__ = ["ANALYSES", "AnalysisKind", "NodesForTarget", "doubling_grid", "parse_analysis"]

#: Largest number of points in one sweep of the exhaustive scan.
_SCAN_POINTS = 262_144
#: Node counts scanned per block, growing (as dtsim.analyses.nodes_for_target).
_SCAN_BLOCKS = ((1, 64), (65, 1_024), (1_025, 16_384), (16_385, MAX_NODES))


def doubling_grid(max_nodes: int) -> NDArray[np.float64]:
    """1, 2, 4, ... up to ``max_nodes``, ending with ``max_nodes`` itself."""
    grid = [2.0**k for k in range(int(math.log2(max_nodes)) + 1)]
    if grid[-1] != max_nodes:
        grid.append(float(max_nodes))
    return np.array(grid)


def _take(axes: Axes, index: NDArray[np.intp]) -> dict[str, np.ndarray]:
    return {path: values[index] for path, values in axes.items()}


@dataclass(frozen=True, eq=False)
class NodesForTarget:
    """Evaluator: per sample, the smallest N whose ``metric`` reaches ``target``, and the
    result ``keys`` of the scenario at that N (NaN where no N ≤ ``max_nodes`` reaches it)."""

    base: Scenario
    target: float
    metric: str
    max_nodes: int
    keys: tuple[str, ...]

    def _metric(self, axes: Axes, nodes: NDArray[np.float64]) -> NDArray[np.float64]:
        return sweep_feasible(self.base, {**axes, "nodes": nodes}, len(nodes), (self.metric,)).columns[self.metric]

    def __call__(self, axes: Axes, size: int) -> Evaluation:
        grid = doubling_grid(self.max_nodes)
        values = np.stack([self._metric(axes, np.full(size, g)) for g in grid])  # (grid, samples)
        with np.errstate(invalid="ignore"):
            hit = values >= self.target
            rising = np.diff(values, axis=0) >= 0.0
        reached = hit.any(axis=0)
        first = np.argmax(hit, axis=0)
        steps_before_hit = np.arange(len(grid) - 1)[:, None] < first[None, :]
        monotone = np.all(rising | ~steps_before_hit, axis=0)
        answer = np.where(reached & (first == 0), 1.0, np.nan)

        bisect = np.flatnonzero(reached & (first > 0) & monotone)
        low, high = grid[first[bisect] - 1], grid[first[bisect]]
        while True:
            active = np.flatnonzero(high - low > 1)
            if not len(active):
                break
            mid = np.floor((low[active] + high[active]) / 2)
            ok = self._metric(_take(axes, bisect[active]), mid) >= self.target
            high[active[ok]] = mid[ok]
            low[active[~ok]] = mid[~ok]
        answer[bisect] = high

        scan = np.flatnonzero(reached & (first > 0) & ~monotone)
        if len(scan):
            answer[scan] = self._scan(_take(axes, scan), grid[first[scan]])

        columns = {key: np.full(size, np.nan) for key in self.keys}
        done = np.flatnonzero(np.isfinite(answer))
        if len(done):
            at = sweep_feasible(self.base, {**_take(axes, done), "nodes": answer[done]}, len(done), self.keys)
            for key in self.keys:
                columns[key][done] = at.columns[key]
        return Evaluation(columns, np.asarray(np.isfinite(values).any(axis=0), dtype=bool))

    def _scan(self, axes: Axes, upper: NDArray[np.float64]) -> NDArray[np.float64]:
        """Smallest N ≤ upper reaching the target, node count by node count, per sample."""
        answer = np.full(len(upper), np.nan)
        for start, stop in _SCAN_BLOCKS:
            todo = np.flatnonzero(np.isnan(answer) & (upper >= start))
            if not len(todo):
                break
            span = int(min(stop, self.max_nodes, upper[todo].max())) - start + 1
            per_sweep = max(1, _SCAN_POINTS // span)
            for group in np.array_split(todo, math.ceil(len(todo) / per_sweep)):
                samples = np.repeat(group, span)
                nodes = np.tile(np.arange(start, start + span, dtype=float), len(group))
                hit = (self._metric(_take(axes, samples), nodes) >= self.target).reshape(len(group), span)
                found = hit.any(axis=1)
                answer[group[found]] = start + np.argmax(hit[found], axis=1)
        return answer


# --------------------------------------------------------------------------------------------
# Dispatch


@dataclass(frozen=True)
class AnalysisKind:
    """An analysis whose answer can be made uncertain: its answer keys, those reported by
    default, the key that is NaN where a sample has no answer, the scenario fields it sets itself
    (not allowed to be uncertain), what it fills into the scenario, and its builder and parser."""

    keys: tuple[str, ...]
    default_outputs: tuple[str, ...]
    answer_key: str
    fixed_paths: tuple[str, ...]
    scenario_fill: dict[str, Any]
    build: Callable[[Scenario, dict[str, Any], tuple[str, ...]], Evaluator]
    parse: Callable[[Mapping[str, Any]], dict[str, Any]]


def _number(field: str, value: Any, *, low: float, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < low:
        raise ScenarioError(field, value, f"expected a {'whole ' if integer else ''}number ≥ {low:g}")
    if integer and not float(value).is_integer():
        raise ScenarioError(field, value, "expected a whole number")
    return float(value)


def _parse_nodes_for_target(args: Mapping[str, Any]) -> dict[str, Any]:
    allowed = ("target", "metric", "max_nodes")
    for key in args:
        if key not in allowed:
            raise ScenarioError(f"analysis.{key}", MISSING, f"unknown argument; allowed: name, {', '.join(allowed)}")
    if "target" not in args:
        raise ScenarioError("analysis.target", MISSING, "required (FLOP to reach, e.g. 1e25)")
    target = _number("analysis.target", args["target"], low=0.0)
    if target == 0.0:
        raise ScenarioError("analysis.target", args["target"], "must be > 0")
    metric = args.get("metric", "c_local")
    if metric not in METRICS:
        raise ScenarioError("analysis.metric", metric, f"allowed: {', '.join(METRICS)}")
    max_nodes = int(_number("analysis.max_nodes", args.get("max_nodes", MAX_NODES), low=1, integer=True))
    return {"target": target, "metric": metric, "max_nodes": max_nodes}


def _build_nodes_for_target(base: Scenario, args: dict[str, Any], keys: tuple[str, ...]) -> Evaluator:
    if (base.strategy or "diloco") not in ("diloco", "hierarchical"):
        raise ScenarioError("scenario.strategy", base.strategy, "nodes_for_target supports diloco and hierarchical")
    return NodesForTarget(base, args["target"], args["metric"], args["max_nodes"], keys)


ANALYSES: dict[str, AnalysisKind] = {
    "nodes_for_target": AnalysisKind(
        keys=("nodes", "gpus", "cost_usd", "c_actual", "c_local", "c_quality", "params"),
        default_outputs=("nodes", "cost_usd"),
        answer_key="nodes",
        fixed_paths=("nodes",),
        scenario_fill={"nodes": 1},
        build=_build_nodes_for_target,
        parse=_parse_nodes_for_target,
    ),
}


def parse_analysis(analysis: Any) -> tuple[str, AnalysisKind, dict[str, Any]] | None:
    """(name, kind, validated arguments) of ``{"name": ..., **arguments}``, or None."""
    if analysis is None:
        return None
    if not isinstance(analysis, Mapping) or "name" not in analysis:
        raise ScenarioError("analysis", analysis, "expected {name: nodes_for_target, target: ..., ...}")
    name = analysis["name"]
    kind = ANALYSES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ScenarioError("analysis.name", name, f"allowed: {', '.join(ANALYSES)}")
    return name, kind, kind.parse({k: v for k, v in analysis.items() if k != "name"})
