"""Searches over runs: the fewest nodes that reach a compute target, and the model size (dense
DiLoCo or PP-Group DiLoCo) that maximises an objective. Both evaluate candidates as batches.

Seed 001 Scenarios 5-6; seed 002 §5.4, §10.1-10.2; spec ``model.md`` §3; ``variants.md`` §13.2.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses._args import Count, Number, Numbers, ScenarioInput, choice, count, number_list, positive
from dtsim.analyses._args import scenario_argument as _scenario
from dtsim.analyses._result import AnalysisResult
from dtsim.analyses.smallest import Probes, premise_for, regime, smallest_reaching
from dtsim.engine import compile_scenario, sweep
from dtsim.errors import ScenarioError
from dtsim.physics.memory import fits_in_memory, max_dense_params, pipeline_stages, training_state_bytes
from dtsim.physics.scaling_law import optimal_params
from dtsim.result import Result
from dtsim.scenario import Scenario

__all__ = [
    "DEFAULT_DENSE_FRACTIONS",
    "DEFAULT_PP_MULTIPLES",
    "MAX_NODES",
    "METRICS",
    "Metric",
    "ModelSizeSweepResult",
    "NodesForTargetResult",
    "model_size_sweep",
    "nodes_for_target",
]

#: Largest node count searched (spec §2.9).
MAX_NODES = 100_000
Metric = Literal["c_local", "c_quality", "c_actual"]
METRICS: tuple[str, ...] = get_args(Metric)

#: Model-size sweep candidates, as multiples of the largest single-node model (spec §1.9).
DEFAULT_DENSE_FRACTIONS = (0.25, 0.50, 0.75, 1.0)
DEFAULT_PP_MULTIPLES = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


@dataclass(frozen=True)
class NodesForTargetResult(AnalysisResult):
    """The fewest nodes that reach a compute target.

    Attributes:
        target: the target, FLOP.
        metric: the result key compared with the target.
        reached: whether some N ≤ max_nodes reaches it.
        nodes: the smallest such N (null when not reached).
        gpus: GPUs at that N.
        cost_usd: cost of that many nodes, USD.
        c_actual: raw compute at that N, FLOP.
        c_local: local-equivalent compute at that N, FLOP.
        c_quality: quality-adjusted compute at that N, FLOP.
        params: the model's parameters.
    """

    target: float
    metric: str
    reached: bool
    nodes: int | None
    gpus: int | None
    cost_usd: float | None
    c_actual: float | None
    c_local: float | None
    c_quality: float | None
    params: float | None


def _nodes_evaluator(base: Scenario, metric: str) -> Any:
    def evaluate(samples: NDArray[np.intp], nodes: NDArray[np.float64]) -> Probes:
        columns = sweep(base, {"nodes": nodes}).columns
        values = np.asarray(columns[metric], dtype=float)
        return Probes(values, regime(columns))

    return evaluate


def nodes_for_target(
    scenario: ScenarioInput, target: Number, metric: Metric = "c_local", max_nodes: Count = MAX_NODES
) -> NodesForTargetResult:
    """The smallest node count whose compute reaches a target (model.md §3; variants.md §13.2).

    The scenario is evaluated with every key it gives (physics preset, variants, coefficients);
    its ``nodes`` is ignored. The answer is the true smallest N even where the metric falls as N
    grows (``dtsim.analyses.smallest``); with no N ≤ max_nodes reaching the target, ``reached``
    is false and the rest null.

    Args:
        scenario: a diloco or hierarchical scenario; model omitted means the largest model that
            fits one node.
        target: compute to reach in FLOP, > 0.
        metric: the result key compared with the target: c_local, c_quality or c_actual.
        max_nodes: largest node count searched, 1 to 100,000,000.
    """
    goal = positive("target", target)
    key = choice("metric", metric, METRICS)
    limit = count("max_nodes", max_nodes, low=1, high=100_000_000)
    base = _scenario("scenario", scenario, nodes=1)
    if (base.strategy or "diloco") not in ("diloco", "hierarchical"):
        raise ScenarioError("scenario.strategy", base.strategy, "nodes_for_target supports diloco and hierarchical")
    bounded, flat = premise_for(base, {}, 1, key)
    found = smallest_reaching(_nodes_evaluator(base, key), 1, goal, limit, bounded, suffix=flat).nodes[0]
    if np.isnan(found):
        return NodesForTargetResult(goal, key, False, None, None, None, None, None, None, None)
    row = sweep(base, {"nodes": [found]}).row(0)
    return NodesForTargetResult(
        target=goal,
        metric=key,
        reached=True,
        nodes=row["nodes"],
        gpus=row["gpus"],
        cost_usd=row["cost_usd"],
        c_actual=row["c_actual"],
        c_local=row["c_local"],
        c_quality=row["c_quality"],
        params=row["params"],
    )


@dataclass(frozen=True)
class ModelSizeSweepResult(AnalysisResult):
    """Which model to train on a fixed set of nodes.

    Attributes:
        objective: the result key maximised.
        nodes: the node count.
        max_single_node_params: P_max, the largest model that fits one node.
        chinchilla_optimal_params: N_opt of the flat compute N·F·T (null if not finite).
        winner: the candidate with the highest objective (a simulation result).
        best_dense: the best flat DiLoCo candidate (null if none).
        gain_vs_best_dense: winner's objective over best_dense's (null if no dense candidate).
        candidates: every candidate that can run, dense first, each a simulation result.
    """

    objective: str
    nodes: int
    max_single_node_params: float
    chinchilla_optimal_params: float | None
    winner: Result
    best_dense: Result | None
    gain_vs_best_dense: float | None
    candidates: tuple[Result, ...]


def _metric_of(result: Result, key: str) -> float:
    value = getattr(result, key)
    return float(value)


def model_size_sweep(
    scenario: ScenarioInput,
    dense_fractions: Numbers = DEFAULT_DENSE_FRACTIONS,
    pp_multiples: Numbers = DEFAULT_PP_MULTIPLES,
    objective: Metric = "c_quality",
) -> ModelSizeSweepResult:
    """Which model to train on these nodes: dense DiLoCo or PP-Group DiLoCo, and how large.

    Flat DiLoCo at f × P_max for each dense fraction and PP-Group DiLoCo at m × P_max for each
    multiple (P_max = the largest single-node model). A candidate needing ≤ 1 stage or leaving
    fewer than 2 groups is dropped, as is a dense one that does not fit or any the physics
    refuses (seed 001 Scenario 6; seed 002 §5.4; model.md §3).

    Args:
        scenario: a scenario with nodes; its network.regional, compression.activations and
            pipeline.micro_batches configure the PP candidates.
        dense_fractions: flat DiLoCo candidates, as fractions of P_max (each > 0).
        pp_multiples: PP-Group DiLoCo candidates, as multiples of P_max (each > 0).
        objective: the result key to maximise: c_quality, c_local or c_actual.
    """
    goal = choice("objective", objective, METRICS)
    fractions = np.array(number_list("dense_fractions", dense_fractions))
    multiples = np.array(number_list("pp_multiples", pp_multiples))
    base = _scenario("scenario", scenario)
    node_only = base.with_values(strategy="diloco").to_data()
    node_only.get("model", {}).pop("params", None)
    inp = compile_scenario(node_only)
    p_max = float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0])

    dense_params = fractions * p_max
    dense_params = dense_params[
        fits_in_memory(training_state_bytes(dense_params, inp.bytes_per_param[0]), inp.node_memory_bytes[0])
    ]
    pp_params = multiples * p_max
    stages = pipeline_stages(pp_params, inp.bytes_per_param[0], inp.node_memory_bytes[0])
    pp_params = pp_params[(stages > 1) & (np.floor(base.nodes / stages) >= 2)]

    candidates: list[Result] = []
    for strategy, params in (("diloco", dense_params), ("pp-diloco", pp_params)):
        if len(params):
            start = base.with_values(**{"strategy": strategy, "model.params": float(params[0])})
            batch = sweep(start, {"model.params": params})
            keep = np.flatnonzero(batch.feasible)
            candidates += [Result(**_result_row(batch.row(int(i)))) for i in keep]
    if not candidates:
        raise ScenarioError("dense_fractions", list(fractions), "no candidate model can run on these nodes")
    dense = [c for c in candidates if c.strategy == "diloco"]
    winner = max(candidates, key=lambda c: _metric_of(c, goal))
    best_dense = max(dense, key=lambda c: _metric_of(c, goal)) if dense else None
    flat_compute = float(inp.node_flop_per_s[0] * base.nodes * inp.budget_s[0])
    return ModelSizeSweepResult(
        objective=goal,
        nodes=base.nodes,
        max_single_node_params=p_max,
        chinchilla_optimal_params=float(optimal_params(flat_compute)) if np.isfinite(flat_compute) else None,
        winner=winner,
        best_dense=best_dense,
        gain_vs_best_dense=_metric_of(winner, goal) / _metric_of(best_dense, goal) if best_dense else None,
        candidates=tuple(candidates),
    )


def _result_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """The result keys of a sweep row (without ``feasible`` and the varied fields)."""
    return {name: row[name] for name in Result.__dataclass_fields__}
