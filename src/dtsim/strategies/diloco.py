"""Flat Streaming DiLoCo: every node is a replica; replicas train H inner steps alone and
average compressed pseudo-gradients over the WAN while the next H steps run.

Douillard et al., "DiLoCo" (arXiv 2311.08105) and "Streaming DiLoCo" (arXiv 2501.18512).
Spec ``model.md`` §2.4 (budget mode) and §2.8 (time-to-train mode); seeds 001 Scenario 1-2,
002 §4-5.
"""

from __future__ import annotations

import numpy as np

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.efficiency import eta_replicas, eta_sync_interval
from dtsim.physics.memory import fits_in_memory, training_state_bytes
from dtsim.physics.network import (
    duty_cycle,
    min_inner_steps,
    pseudo_gradient_volume_bits,
    straggler_factor,
    sync_time_s,
)
from dtsim.strategies._common import Columns, assemble, constant, refuse_where, run_length
from dtsim.units import GB

__all__ = ["evaluate"]


def check_fits(inp: Inputs, strategy: str) -> np.ndarray:
    """Refuse dense models whose training state exceeds one node (spec §2.4, §2.9)."""
    state = training_state_bytes(inp.params, inp.bytes_per_param)
    refuse_where(
        ~fits_in_memory(state, inp.node_memory_bytes),
        "model.params",
        lambda i: (
            f"the model needs {state[i] / GB:,.0f} GB of training state per node but the node "
            f"has {inp.node_memory_bytes[i] / GB:,.0f} GB"
        ),
        f"{strategy} keeps the whole model on every node: use pp-diloco, a smaller model or more memory",
    )
    return state


def evaluate(inp: Inputs) -> Columns:
    """Flat Streaming DiLoCo over N nodes (spec §2.4, §2.8)."""
    state = check_fits(inp, "diloco")
    n = inp.nodes
    single = n <= 1
    flop_per_s = inp.node_flop_per_s
    t_step = step_time_s(inp.params, inp.batch_tokens, flop_per_s)
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    f = np.where(single, 1.0, straggler_factor(n, inp.straggler))
    t_sync = np.where(single, 0.0, sync_time_s(volume, inp.wan_bandwidth_bit_per_s, inp.wan_latency_s, f))
    auto_h = min_inner_steps(t_sync, t_step)
    h = np.where(single, 1.0, np.where(np.isnan(inp.inner_steps), auto_h, inp.inner_steps))
    block = h * t_step
    outer_step_s = np.maximum(block, t_sync)
    c_actual, tokens, wall_s = run_length(
        inp,
        compute_flop_per_s_total=n * flop_per_s,
        duty=duty_cycle(block, t_sync),
        params_compute=inp.params,
        tokens_per_cycle=inp.batch_tokens * n * h,
        cycle_s=outer_step_s,
    )
    ones = constant(1.0, len(inp))
    return assemble(
        inp,
        params_compute=inp.params,
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
        memory_per_node_bytes=state,
    )
