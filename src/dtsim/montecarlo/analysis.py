"""Uncertainty of analysis answers: each analysis is an evaluator that answers for every sample
at once, vectorised over the samples (never one analysis call per sample).

``ANALYSES`` maps an analysis name to its ``AnalysisKind``: how to validate its arguments and
build its evaluator, which answer keys it gives, which it reports by default, and which scenario
fields it sets itself (those cannot be uncertain). Adding an analysis is one entry.

``nodes_for_target``: the smallest node count N ≥ 1 whose metric reaches the target, per sample,
found for all samples at once by ``dtsim.analyses.smallest`` (the same search as
``dtsim.analyses.nodes_for_target``): exact where the metric falls as N grows. A sample that
reaches the target at no N ≤ max_nodes has no answer (NaN); one infeasible at every node count
evaluated counts as infeasible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses.search import MAX_NODES, METRICS
from dtsim.analyses.smallest import Evaluate, Probes, Smallest, premise_for, regime, smallest_reaching
from dtsim.errors import MISSING, ScenarioError
from dtsim.montecarlo.evaluation import Axes, Evaluation, Evaluator, sweep_feasible
from dtsim.scenario import Scenario

__all__ = ["ANALYSES", "AnalysisKind", "NodesForTarget", "parse_analysis"]


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

    def _probes(self, axes: Axes) -> Evaluate:
        def evaluate(samples: NDArray[np.intp], nodes: NDArray[np.float64]) -> Probes:
            keys = (self.metric, "inner_steps_regional")
            at = sweep_feasible(self.base, {**_take(axes, samples), "nodes": nodes}, len(nodes), keys)
            return Probes(at.columns[self.metric], regime(at.columns))

        return evaluate

    def smallest(self, axes: Axes, size: int) -> Smallest:
        """The smallest node count of every sample (NaN: none), and which samples are feasible."""
        bounded, flat = premise_for(self.base, axes, size, self.metric)
        return smallest_reaching(self._probes(axes), size, self.target, self.max_nodes, bounded, suffix=flat)

    def __call__(self, axes: Axes, size: int) -> Evaluation:
        found = self.smallest(axes, size)
        columns = {key: np.full(size, np.nan) for key in self.keys}
        done = np.flatnonzero(np.isfinite(found.nodes))
        if len(done):
            at = sweep_feasible(self.base, {**_take(axes, done), "nodes": found.nodes[done]}, len(done), self.keys)
            for key in self.keys:
                columns[key][done] = at.columns[key]
        return Evaluation(columns, found.feasible)


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
