"""Flat Streaming DiLoCo: every node is a replica; replicas train H inner steps alone and
average compressed pseudo-gradients over the WAN while the next H steps run.

Douillard et al., "DiLoCo" (arXiv 2311.08105) and "Streaming DiLoCo" (arXiv 2501.18512).
Spec ``model.md`` §2.4 (budget mode) and §2.8 (time-to-train mode); ``variants.md`` §9;
seeds 001 Scenario 1-2, 002 §4-5.
"""

from __future__ import annotations

import numpy as np

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.memory import fits_in_memory, training_state_bytes
from dtsim.physics.network import bytes_per_sync, min_inner_steps, pseudo_gradient_volume_bits
from dtsim.strategies._common import Refusal, Schedule, constant, wan_sync
from dtsim.units import GB

__all__ = ["fit_refusal", "schedule"]


def fit_refusal(inp: Inputs, strategy: str) -> Refusal:
    """Dense models whose training state exceeds one node (model.md §2.4, §2.9)."""
    state = training_state_bytes(inp.params, inp.bytes_per_param)
    return Refusal(
        ~fits_in_memory(state, inp.node_memory_bytes),
        "model.params",
        "the model's training state does not fit one node",
        lambda i: (
            f"the model needs {state[i] / GB:,.0f} GB of training state per node but the node "
            f"has {inp.node_memory_bytes[i] / GB:,.0f} GB"
        ),
        f"{strategy} keeps the whole model on every node: use pp-diloco, a smaller model or more memory",
    )


def schedule(inp: Inputs, strategy: str = "diloco") -> Schedule:
    """Flat DiLoCo over N nodes: W = H·t_step, X = t_sync(N), K = W, Q = H·B·N (model.md §2.4)."""
    n = inp.nodes
    count = len(inp)
    single = n <= 1
    t_step = step_time_s(inp.params, inp.batch_tokens, inp.node_flop_per_s, inp.flop_per_param_token)
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    t_wan, f_wan = wan_sync(inp, volume, n)
    t_sync = np.where(single, 0.0, t_wan)
    f = np.where(single, 1.0, f_wan)
    h = np.where(single, 1.0, np.where(np.isnan(inp.inner_steps), min_inner_steps(t_sync, t_step), inp.inner_steps))
    block = h * t_step
    ones = constant(1.0, count)
    nan = constant(np.nan, count)
    state = training_state_bytes(inp.params, inp.bytes_per_param)
    return Schedule(
        params_sync=inp.params,
        params_compute=inp.params,
        replicas=n,
        effective_inner_steps=h,
        single=single,
        compute_block_s=block,
        sync_block_s=t_sync,
        compute_s=block,
        tokens_per_outer_step=h * inp.batch_tokens * n,
        communication_bound=t_sync > block,
        step_compute_s=t_step,
        sync_s=t_sync,
        straggler_factor=f,
        inner_steps=h,
        pp_stages=ones,
        groups=n,
        bubble_fraction=constant(0.0, count),
        memory_per_node_bytes=state,
        eta_activation=ones,
        inner_steps_regional=nan,
        regional_syncs_per_global=nan,
        ep_overhead=nan,
        flat=~single,
        comm_bytes_per_sync=bytes_per_sync(volume, inp.collective, n),
        tail_participants=n,
        checkpoint_params=inp.params,
        node_state_params=inp.params,
        refusals=(fit_refusal(inp, strategy),),
    )
