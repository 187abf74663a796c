"""Mixture of experts with expert parallelism: experts are spread over all N nodes (each holds
the shared parameters and 1/N of the experts), tokens reach their experts by an all-to-all over
the WAN at every MoE layer, and nodes are flat DiLoCo replicas of the whole model.

Spec ``model.md`` §2.7; seed 002 §8.1 (config G) and §8.3. Compute and tokens follow active
parameters; synchronisation volume and eta follow total parameters.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.efficiency import eta_replicas, eta_sync_interval
from dtsim.physics.memory import fits_in_memory, moe_memory_per_node_bytes
from dtsim.physics.network import (
    duty_cycle,
    min_inner_steps,
    pseudo_gradient_volume_bits,
    straggler_factor,
    sync_time_s,
)
from dtsim.strategies._common import Columns, assemble, constant, refuse_where, run_length
from dtsim.units import GB

__all__ = ["all_to_all_s", "evaluate"]

#: All-to-all exchanges per MoE layer per step: dispatch and combine.
ALL_TO_ALLS_PER_LAYER = 2.0


def all_to_all_s(latency_s: ArrayLike, moe_layers: ArrayLike) -> NDArray[np.float64]:
    """Expert all-to-all time per step, latency-bound: ``t_ep = 2 · RTT · L_moe``
    (spec §2.7 step 2; seed 002 §8.3: 2 × 0.1 s × 32 = 6.4 s)."""
    return ALL_TO_ALLS_PER_LAYER * np.asarray(latency_s, float) * np.asarray(moe_layers, float)


def evaluate(inp: Inputs) -> Columns:
    """MoE + EP over N nodes (spec §2.7, §2.8)."""
    n = inp.nodes
    memory = moe_memory_per_node_bytes(inp.params, inp.active_params, n, inp.bytes_per_param)
    refuse_where(
        ~fits_in_memory(memory, inp.node_memory_bytes),
        "model.total_params",
        lambda i: (
            f"the model needs {memory[i] / GB:,.0f} GB per node with experts over {n[i]:.0f} nodes "
            f"but the node has {inp.node_memory_bytes[i] / GB:,.0f} GB"
        ),
        "use more nodes, fewer shared (active) parameters or more memory",
    )
    single = n <= 1
    flop_per_s = inp.node_flop_per_s
    t_compute = step_time_s(inp.active_params, inp.batch_tokens, flop_per_s)
    t_ep = all_to_all_s(inp.wan_latency_s, inp.moe_layers)
    t_step = t_compute + t_ep
    ep_overhead = t_ep / t_step
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    f = np.where(single, 1.0, straggler_factor(n, inp.straggler))
    t_sync = np.where(single, 0.0, sync_time_s(volume, inp.wan_bandwidth_bit_per_s, inp.wan_latency_s, f))
    h = np.where(single, 1.0, np.where(np.isnan(inp.inner_steps), min_inner_steps(t_sync, t_step), inp.inner_steps))
    block = h * t_step
    c_actual, tokens, wall_s = run_length(
        inp,
        compute_flop_per_s_total=n * flop_per_s,
        duty=duty_cycle(block, t_sync) * (1.0 - ep_overhead),
        params_compute=inp.active_params,
        tokens_per_cycle=inp.batch_tokens * n * h,
        cycle_s=np.maximum(block, t_sync),
    )
    ones = constant(1.0, len(inp))
    return assemble(
        inp,
        params_compute=inp.active_params,
        c_actual=c_actual,
        tokens=tokens,
        wall_clock_s=wall_s,
        eta_h=np.where(single, 1.0, eta_sync_interval(h, inp.params)),
        eta_compression=np.where(single, 1.0, inp.pseudo_gradient_quality),
        eta_replicas=eta_replicas(n, inp.params),
        eta_activation=ones,
        chinchilla_is_one=single,
        step_compute_s=t_step,
        sync_s=t_sync,
        straggler_factor=f,
        inner_steps=h,
        communication_bound=t_sync > block,
        pp_stages=ones,
        groups=n,
        bubble_fraction=constant(0.0, len(inp)),
        memory_per_node_bytes=memory,
        ep_overhead=ep_overhead,
    )
