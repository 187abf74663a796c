"""What every strategy computes the same way once its schedule is known: the efficiency
product, compute actually done, quality adjustment, cost, and the budget / time-to-train
switch. Spec ``model.md`` §2.2-2.4, §2.8, §2.10."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import InfeasibleError
from dtsim.inputs import Inputs
from dtsim.physics.compute import tokens_for_flop, training_flop
from dtsim.physics.memory import fits_in_memory
from dtsim.physics.scaling_law import eta_chinchilla, overtraining_ratio
from dtsim.units import DAY_S, GB, STRICT_THRESHOLD_FLOP

Array = NDArray[np.float64]
Columns = dict[str, np.ndarray]

__all__ = ["Columns", "assemble", "constant", "refuse_where", "run_length"]


def scaled(values: Array, factor: float) -> Array:
    """``values · factor``, keeping a broadcast view (one value for the whole batch) a view."""
    if values.ndim == 1 and len(values) > 1 and values.strides[0] == 0:
        return np.broadcast_to(values[:1] * factor, values.shape)
    return values * factor


def constant(value: float, n: int) -> Array:
    """n copies of one value as a zero-copy broadcast view (a factor that does not apply)."""
    return np.broadcast_to(np.float64(value), (n,))


def refuse_where(bad: NDArray[np.bool_], field: str, problem: Any, guidance: str) -> None:
    """Raise ``InfeasibleError`` for the first scenario where ``bad`` holds. ``problem`` is a
    text or a function of that scenario's index giving one."""
    if bad.any():
        i = int(np.argmax(bad))
        text = problem(i) if callable(problem) else problem
        if bad.shape[0] > 1:
            text += f" (scenario {i} of the batch)"
        raise InfeasibleError(field, text, guidance)


def run_length(
    inp: Inputs,
    *,
    compute_flop_per_s_total: Array,
    duty: Array,
    params_compute: Array,
    tokens_per_cycle: Array,
    cycle_s: Array,
) -> tuple[Array, Array, Array]:
    """``(c_actual, tokens, wall_clock_s)`` in either mode.

    Budget mode: ``c_actual = (total FLOP/s) · T · duty``, ``tokens = c_actual / (6·P_c)``.
    Time-to-train mode (spec §2.8): ``T = D / tokens_per_cycle · cycle_s`` (outer steps not
    rounded, no division by eta), ``c_actual = 6·P_c·D``.
    """
    ttt = inp.time_to_train
    any_ttt = bool(ttt.any())
    if not any_ttt:  # every row has a budget: the common case of sweeps
        c_actual = compute_flop_per_s_total * inp.budget_s * duty
        return c_actual, tokens_for_flop(c_actual, params_compute), inp.budget_s
    target = np.where(ttt, inp.tokens_target, 0.0)
    c_budget = compute_flop_per_s_total * np.where(ttt, 0.0, inp.budget_s) * duty
    c_actual = np.where(ttt, training_flop(params_compute, target), c_budget)
    tokens = np.where(ttt, target, tokens_for_flop(c_budget, params_compute))
    wall_s = np.where(ttt, target / tokens_per_cycle * cycle_s, inp.budget_s)
    return c_actual, tokens, wall_s


def assemble(
    inp: Inputs,
    *,
    params_compute: Array,
    c_actual: Array,
    tokens: Array,
    wall_clock_s: Array,
    eta_h: Array,
    eta_compression: Array,
    eta_replicas: Array,
    eta_activation: Array,
    chinchilla_is_one: NDArray[np.bool_],
    step_compute_s: Array,
    sync_s: Array,
    straggler_factor: Array,
    inner_steps: Array,
    communication_bound: NDArray[np.bool_],
    pp_stages: Array,
    groups: Array,
    bubble_fraction: Array,
    memory_per_node_bytes: Array,
    inner_steps_regional: Array | None = None,
    regional_syncs_per_global: Array | None = None,
    ep_overhead: Array | None = None,
) -> Columns:
    """The result columns of one strategy evaluation (interface.md result keys)."""
    nan = constant(np.nan, len(inp))
    eta = eta_h * eta_compression * eta_replicas * eta_activation
    c_local = c_actual * eta
    eta_chin = np.where(chinchilla_is_one, 1.0, eta_chinchilla(params_compute, tokens, c_actual))
    return {
        "nodes": inp.nodes,
        "gpus": inp.nodes * inp.gpus_per_node,
        "cost_usd": inp.nodes * inp.node_cost_usd,
        "h100_equivalents_per_node": inp.h100_equivalents_per_node,
        "node_pflops": inp.node_pflops,
        "node_memory_gb": scaled(inp.node_memory_bytes, 1.0 / GB),
        "params": inp.params,
        "active_params": inp.active_params,
        "step_compute_s": step_compute_s,
        "sync_s": sync_s,
        "straggler_factor": straggler_factor,
        "inner_steps": inner_steps,
        "eta": eta,
        "eta_h": eta_h,
        "eta_compression": eta_compression,
        "eta_replicas": eta_replicas,
        "eta_activation": eta_activation,
        "c_actual": c_actual,
        "c_local": c_local,
        "eta_chinchilla": eta_chin,
        "c_quality": c_local * eta_chin,
        "tokens": tokens,
        "overtraining_ratio": overtraining_ratio(tokens, params_compute),
        "strict_threshold_multiple": c_local / STRICT_THRESHOLD_FLOP,
        "wall_clock_days": scaled(wall_clock_s, 1.0 / DAY_S),
        "communication_bound": communication_bound,
        "pp_stages": pp_stages,
        "groups": groups,
        "bubble_fraction": bubble_fraction,
        "inner_steps_regional": nan if inner_steps_regional is None else inner_steps_regional,
        "regional_syncs_per_global": nan if regional_syncs_per_global is None else regional_syncs_per_global,
        "ep_overhead": nan if ep_overhead is None else ep_overhead,
        "memory_per_node_gb": memory_per_node_bytes / GB,
        "fits_in_memory": fits_in_memory(memory_per_node_bytes, inp.node_memory_bytes),
    }
