"""Searches over runs: the fewest nodes that reach a compute target, and the model size (dense
DiLoCo or PP-Group DiLoCo) that maximises an objective. Both evaluate candidates as batches.

Seed 001 Scenarios 5-6; seed 002 §5.4, §10.1-10.2; spec ``model.md`` §3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dtsim.analyses._args import positive, text_choice
from dtsim.engine import compile_scenario, sweep
from dtsim.errors import ScenarioError
from dtsim.physics.memory import fits_in_memory, max_dense_params, pipeline_stages, training_state_bytes
from dtsim.physics.scaling_law import optimal_params
from dtsim.scenario import Scenario, parse_scenario

__all__ = ["DEFAULT_DENSE_FRACTIONS", "DEFAULT_PP_MULTIPLES", "model_size_sweep", "nodes_for_target"]

#: Largest node count searched (spec §2.9).
MAX_NODES = 100_000
#: Node counts scanned per batch, growing, so that small answers stay cheap.
_SCAN_CHUNKS = ((1, 64), (65, 1_024), (1_025, 16_384), (16_385, MAX_NODES))
METRICS = ("c_local", "c_quality", "c_actual")

#: Model-size sweep candidates, as multiples of the largest single-node model (spec §1.9).
DEFAULT_DENSE_FRACTIONS = (0.25, 0.50, 0.75, 1.0)
DEFAULT_PP_MULTIPLES = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def _base(scenario: Mapping[str, Any] | Scenario, **fill: Any) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if not isinstance(scenario, Mapping):
        raise ScenarioError("scenario", scenario, "expected a scenario mapping")
    return parse_scenario({**fill, **scenario}, source="scenario")


def nodes_for_target(
    scenario: Mapping[str, Any] | Scenario, target: float, metric: str = "c_local", max_nodes: int = MAX_NODES
) -> dict[str, Any]:
    """Smallest node count N ≥ 1 whose ``metric`` (c_local by default) reaches ``target`` FLOP,
    for a DiLoCo scenario without ``nodes`` (model omitted → the largest that fits one node).

    Node counts are scanned as arrays in growing chunks (1-64, 65-1,024, ...), so the answer is
    the true smallest N even where the metric is not monotone. Returns ``nodes``, ``gpus``,
    ``cost_usd``, the three compute measures at that N and ``reached``; with no N ≤ ``max_nodes``
    reaching the target, ``reached`` is false and the rest null (spec §3, §2.9).
    """
    target = positive("target", target)
    metric = text_choice("metric", metric, METRICS)
    base = _base(scenario, nodes=1)
    if (base.strategy or "diloco") not in ("diloco", "hierarchical"):
        raise ScenarioError("scenario.strategy", base.strategy, "nodes_for_target supports diloco and hierarchical")
    for low, high in _SCAN_CHUNKS:
        high = min(high, max_nodes)
        if low > high:
            break
        batch = sweep(base, {"nodes": np.arange(low, high + 1)})
        hit = batch.columns[metric] >= target
        if hit.any():
            row = batch.row(int(np.argmax(hit)))
            return {
                "target": target,
                "metric": metric,
                "reached": True,
                "nodes": row["nodes"],
                "gpus": row["gpus"],
                "cost_usd": row["cost_usd"],
                "c_actual": row["c_actual"],
                "c_local": row["c_local"],
                "c_quality": row["c_quality"],
                "params": row["params"],
            }
    return {
        "target": target,
        "metric": metric,
        "reached": False,
        "nodes": None,
        "gpus": None,
        "cost_usd": None,
        "c_actual": None,
        "c_local": None,
        "c_quality": None,
        "params": None,
    }


def model_size_sweep(
    scenario: Mapping[str, Any] | Scenario,
    dense_fractions: Sequence[float] = DEFAULT_DENSE_FRACTIONS,
    pp_multiples: Sequence[float] = DEFAULT_PP_MULTIPLES,
    objective: str = "c_quality",
) -> dict[str, Any]:
    """Which model to train on these nodes: flat DiLoCo at ``f × P_max`` for each dense fraction
    and PP-Group DiLoCo at ``m × P_max`` for each multiple (P_max = the largest single-node
    model). A candidate needing ≤ 1 stage or leaving < 2 groups is dropped, as is a dense one
    that does not fit. Returns every ``candidates`` row, the ``winner`` (highest ``objective``),
    ``gain_vs_best_dense`` (winner / best dense candidate) and ``chinchilla_optimal_params``
    = N_opt(N·F·T) (seed 001 Scenario 6; seed 002 §5.4; spec §3)."""
    objective = text_choice("objective", objective, METRICS)
    base = _base(scenario)
    node_only = base.with_values(strategy="diloco").model_dump(exclude_none=True)
    node_only.get("model", {}).pop("params", None)
    inp = compile_scenario(node_only)
    p_max = float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0])
    fractions = np.array([positive("dense_fractions", f) for f in dense_fractions], dtype=float)
    multiples = np.array([positive("pp_multiples", m) for m in pp_multiples], dtype=float)

    dense_params = fractions * p_max
    dense_params = dense_params[
        fits_in_memory(training_state_bytes(dense_params, inp.bytes_per_param[0]), inp.node_memory_bytes[0])
    ]
    pp_params = multiples * p_max
    stages = pipeline_stages(pp_params, inp.bytes_per_param[0], inp.node_memory_bytes[0])
    pp_params = pp_params[(stages > 1) & (np.floor(base.nodes / stages) >= 2)]

    candidates: list[dict[str, Any]] = []
    for strategy, params in (("diloco", dense_params), ("pp-diloco", pp_params)):
        if len(params):
            start = base.with_values(**{"strategy": strategy, "model.params": float(params[0])})
            candidates += sweep(start, {"model.params": params}).to_dicts()
    if not candidates:
        raise ScenarioError("dense_fractions", list(dense_fractions), "no candidate model can run on these nodes")
    dense = [c for c in candidates if c["strategy"] == "diloco"]
    winner = max(candidates, key=lambda c: c[objective])
    best_dense = max(dense, key=lambda c: c[objective]) if dense else None
    flat_compute = float(inp.node_flop_per_s[0] * base.nodes * inp.budget_s[0])
    return {
        "objective": objective,
        "nodes": base.nodes,
        "max_single_node_params": p_max,
        "chinchilla_optimal_params": float(optimal_params(flat_compute)) if np.isfinite(flat_compute) else None,
        "winner": winner,
        "best_dense": best_dense,
        "gain_vs_best_dense": winner[objective] / best_dense[objective] if best_dense else None,
        "candidates": candidates,
    }
