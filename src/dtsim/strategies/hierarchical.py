"""Hierarchical DiLoCo: nodes average often inside regional groups of k over fast links and
rarely across groups over the WAN, which keeps the effective sync interval short.

Spec ``model.md`` §2.5 (heuristic H_eff = H_inner·H_regional^0.5); ``variants.md`` §9.1; seed
001 Scenario 3, seed 002 §8.1-8.2 (configs B, D, F). With fewer than two groups it is flat
DiLoCo.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.memory import training_state_bytes
from dtsim.physics.network import min_inner_steps, pseudo_gradient_volume_bits
from dtsim.strategies import diloco
from dtsim.strategies._common import Schedule, constant, regional_sync, wan_sync

__all__ = ["effective_inner_steps", "schedule"]


def effective_inner_steps(
    inner_steps_regional: ArrayLike, regional_syncs_per_global: ArrayLike, exponent: ArrayLike = 0.5
) -> NDArray[np.float64]:
    """H_eff = H_inner · H_regional^0.5: regional averaging re-anchors part of the drift between
    global syncs (a heuristic, model.md §2.5 step 5; the exponent is
    ``efficiency.hierarchical_h_exponent``, variants.md §11.1; float, not rounded)."""
    return np.asarray(inner_steps_regional, float) * np.asarray(regional_syncs_per_global, float) ** np.asarray(
        exponent, float
    )


def schedule(inp: Inputs) -> Schedule:
    """Two-tier DiLoCo (model.md §2.5): W = H_regional·t_cyc, X = t_glob(G),
    K = H_inner·H_regional·t_step, Q = H_inner·H_regional·B·N; G = floor(N/k) < 2 is flat DiLoCo."""
    n = inp.nodes
    count = len(inp)
    k = inp.nodes_per_group
    groups = np.floor(n / k)
    fallback = groups < 2
    t_step = step_time_s(inp.params, inp.batch_tokens, inp.node_flop_per_s, inp.flop_per_param_token)
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    t_reg, _ = regional_sync(inp, volume, k)
    h_inner = np.where(np.isnan(inp.inner_steps), min_inner_steps(t_reg, t_step), inp.inner_steps)
    t_glob, f_glob = wan_sync(inp, volume, groups)
    inner_block_s = h_inner * t_step
    cycle_s = np.maximum(inner_block_s, t_reg)
    h_regional = min_inner_steps(t_glob, cycle_s)
    h_eff = effective_inner_steps(h_inner, h_regional, inp.hierarchical_h_exponent)
    state = training_state_bytes(inp.params, inp.bytes_per_param)
    ones = constant(1.0, count)
    nan = constant(np.nan, count)
    tiered = Schedule(
        params_sync=inp.params,
        params_compute=inp.params,
        replicas=n,
        effective_inner_steps=h_eff,
        single=np.zeros(count, dtype=bool),
        compute_block_s=h_regional * cycle_s,
        sync_block_s=t_glob,
        # The same product as W when t_cyc = H_inner·t_step, so u = K/W is exactly 1 there.
        compute_s=h_regional * inner_block_s,
        tokens_per_outer_step=h_inner * h_regional * inp.batch_tokens * n,
        communication_bound=(t_reg > inner_block_s) | (t_glob > h_regional * cycle_s),
        step_compute_s=t_step,
        sync_s=t_glob,
        straggler_factor=f_glob,
        inner_steps=h_eff,
        pp_stages=ones,
        groups=groups,
        bubble_fraction=constant(0.0, count),
        memory_per_node_bytes=state,
        eta_activation=ones,
        inner_steps_regional=h_inner,
        regional_syncs_per_global=h_regional,
        ep_overhead=nan,
        flat=np.zeros(count, dtype=bool),
        comm_bytes_per_sync=nan,
        tail_participants=groups,
        checkpoint_params=inp.params,
        node_state_params=inp.params,
        refusals=(diloco.fit_refusal(inp, "hierarchical"),),
    )
    if not fallback.any():
        return tiered
    return tiered.merge(diloco.schedule(inp, "hierarchical"), fallback)
