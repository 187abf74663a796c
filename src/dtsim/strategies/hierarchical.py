"""Hierarchical DiLoCo: nodes average often inside regional groups of k over fast links and
rarely across groups over the WAN, which keeps the effective sync interval short.

Spec ``model.md`` §2.5 (heuristic H_eff = H_inner·sqrt(H_regional)); seed 001 Scenario 3,
seed 002 §8.1-8.2 (configs B, D, F). With fewer than two groups it is flat DiLoCo.
"""

from __future__ import annotations

import numpy as np

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.efficiency import eta_replicas, eta_sync_interval
from dtsim.physics.memory import training_state_bytes
from dtsim.physics.network import min_inner_steps, pseudo_gradient_volume_bits, straggler_factor, sync_time_s
from dtsim.strategies import diloco
from dtsim.strategies._common import Columns, assemble, constant, run_length

__all__ = ["effective_inner_steps", "evaluate"]

#: Keys that only a two-tier run has; null when it falls back to flat DiLoCo.
TIER_KEYS = ("inner_steps_regional", "regional_syncs_per_global")


def effective_inner_steps(inner_steps_regional: np.ndarray, regional_syncs_per_global: np.ndarray) -> np.ndarray:
    """``H_eff = H_inner · sqrt(H_regional)``: regional averaging re-anchors part of the drift
    between global syncs (a heuristic, spec §2.5 step 5; float, not rounded)."""
    return inner_steps_regional * np.sqrt(regional_syncs_per_global)


def evaluate(inp: Inputs) -> Columns:
    """Two-tier DiLoCo (spec §2.5); G = floor(N/k) < 2 falls back to flat DiLoCo."""
    diloco.check_fits(inp, "hierarchical")
    n = inp.nodes
    k = inp.nodes_per_group
    groups = np.floor(n / k)
    fallback = groups < 2
    flop_per_s = inp.node_flop_per_s
    t_step = step_time_s(inp.params, inp.batch_tokens, flop_per_s)
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    t_reg = sync_time_s(
        volume, inp.regional_bandwidth_bit_per_s, inp.regional_latency_s, straggler_factor(k, inp.straggler)
    )
    h_inner = np.where(np.isnan(inp.inner_steps), min_inner_steps(t_reg, t_step), inp.inner_steps)
    f_global = straggler_factor(groups, inp.straggler)
    t_glob = sync_time_s(volume, inp.wan_bandwidth_bit_per_s, inp.wan_latency_s, f_global)
    cycle_s = np.maximum(h_inner * t_step, t_reg)
    h_regional = min_inner_steps(t_glob, cycle_s)
    h_eff = effective_inner_steps(h_inner, h_regional)
    global_step_s = np.maximum(h_regional * cycle_s, t_glob)
    c_actual, tokens, wall_s = run_length(
        inp,
        compute_flop_per_s_total=n * flop_per_s,
        duty=h_regional * h_inner * t_step / global_step_s,
        params_compute=inp.params,
        tokens_per_cycle=inp.batch_tokens * n * h_inner * h_regional,
        cycle_s=global_step_s,
    )
    ones = constant(1.0, len(inp))
    tiered = assemble(
        inp,
        params_compute=inp.params,
        c_actual=c_actual,
        tokens=tokens,
        wall_clock_s=wall_s,
        eta_h=eta_sync_interval(h_eff, inp.params),
        eta_compression=inp.pseudo_gradient_quality,
        eta_replicas=eta_replicas(n, inp.params),
        eta_activation=ones,
        chinchilla_is_one=np.zeros(len(inp), dtype=bool),
        step_compute_s=t_step,
        sync_s=t_glob,
        straggler_factor=f_global,
        inner_steps=h_eff,
        communication_bound=(t_reg > h_inner * t_step) | (t_glob > h_regional * cycle_s),
        pp_stages=ones,
        groups=groups,
        bubble_fraction=constant(0.0, len(inp)),
        memory_per_node_bytes=training_state_bytes(inp.params, inp.bytes_per_param),
        inner_steps_regional=h_inner,
        regional_syncs_per_global=h_regional,
    )
    if not fallback.any():
        return tiered
    flat = diloco.evaluate(inp.take(fallback))
    merged = {key: np.array(values) for key, values in tiered.items()}
    for key, values in flat.items():
        merged[key][fallback] = values
    for key in TIER_KEYS:
        merged[key][fallback] = np.nan
    return merged
