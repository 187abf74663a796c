"""Mixture of experts with expert parallelism: experts are spread over all N nodes (each holds
the shared parameters and 1/N of the experts), tokens reach their experts by an all-to-all over
the WAN at every MoE layer, and nodes are flat DiLoCo replicas of the whole model.

Spec ``model.md`` §2.7; ``variants.md`` §9.1, §11.3; seed 002 §8.1 (config G) and §8.3. Compute
and tokens follow active parameters; synchronisation volume and eta follow total parameters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.memory import fits_in_memory, moe_memory_per_node_bytes
from dtsim.physics.network import min_inner_steps, pseudo_gradient_volume_bits
from dtsim.physics.reliability import expert_parallel_node_state_params
from dtsim.strategies._common import Refusal, Schedule, constant, wan_sync
from dtsim.units import GB

__all__ = ["all_to_all_s", "ep_overhead", "schedule"]


def all_to_all_s(
    latency_s: ArrayLike, moe_layers: ArrayLike, all_to_all_per_layer: ArrayLike = 2.0
) -> NDArray[np.float64]:
    """t_ep = 2 · RTT · L_moe: expert all-to-all time per step, latency-bound, two exchanges
    (dispatch and combine) per MoE layer (model.md §2.7 step 2; seed 002 §8.3: 2 × 0.1 s × 32 =
    6.4 s; the 2 is ``model.all_to_all_per_layer``, variants.md §11.3)."""
    return np.asarray(all_to_all_per_layer, float) * np.asarray(latency_s, float) * np.asarray(moe_layers, float)


def ep_overhead(all_to_all_step_s: ArrayLike, step_s: ArrayLike) -> NDArray[np.float64]:
    """t_ep / (t_c + t_ep): the share of an inner step spent in the expert all-to-all
    (model.md §2.7; seed 002 §8.3: 0.328 at 600B/100B on 48 × A100)."""
    return np.asarray(all_to_all_step_s, float) / np.asarray(step_s, float)


def schedule(inp: Inputs) -> Schedule:
    """MoE + EP over N nodes (model.md §2.7): W = H·t_s, X = t_sync(N), K = W, Q = H·B·N with
    t_s = t_c + t_ep."""
    n = inp.nodes
    count = len(inp)
    memory = moe_memory_per_node_bytes(inp.params, inp.active_params, n, inp.bytes_per_param)
    single = n <= 1
    t_compute = step_time_s(inp.active_params, inp.batch_tokens, inp.node_flop_per_s, inp.flop_per_param_token)
    t_ep = all_to_all_s(inp.wan_latency_s, inp.moe_layers, inp.all_to_all_per_layer)
    t_step = t_compute + t_ep
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    t_wan, f_wan = wan_sync(inp, volume, n)
    t_sync = np.where(single, 0.0, t_wan)
    f = np.where(single, 1.0, f_wan)
    h = np.where(single, 1.0, np.where(np.isnan(inp.inner_steps), min_inner_steps(t_sync, t_step), inp.inner_steps))
    block = h * t_step
    ones = constant(1.0, count)
    nan = constant(np.nan, count)
    refusal = Refusal(
        ~fits_in_memory(memory, inp.node_memory_bytes),
        "model.total_params",
        "the model's per-node share does not fit the node",
        lambda i: (
            f"the model needs {memory[i] / GB:,.0f} GB per node with experts over {n[i]:.0f} nodes "
            f"but the node has {inp.node_memory_bytes[i] / GB:,.0f} GB"
        ),
        "use more nodes, fewer shared (active) parameters or more memory",
    )
    return Schedule(
        params_sync=inp.params,
        params_compute=inp.active_params,
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
        memory_per_node_bytes=memory,
        eta_activation=ones,
        inner_steps_regional=nan,
        regional_syncs_per_global=nan,
        ep_overhead=ep_overhead(t_ep, t_step),
        flat=np.zeros(count, dtype=bool),
        comm_bytes_per_sync=nan,
        tail_participants=n,
        checkpoint_params=inp.params,
        node_state_params=expert_parallel_node_state_params(inp.params, inp.active_params, n),
        refusals=(refusal,),
    )
