"""PP-Group DiLoCo: S co-located nodes hold one model as a GPipe pipeline over a regional
link; G = floor(N/S) such groups are DiLoCo replicas over the WAN.

GPipe: Huang et al. 2019 (arXiv 1811.06965). Spec ``model.md`` §2.6; seed 001 Scenario 3 and 6,
seed 002 §5.4 and §8.1 (configs H, I).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s, training_flop
from dtsim.physics.efficiency import eta_activation, eta_replicas, eta_sync_interval
from dtsim.physics.memory import pipeline_stages, training_state_bytes
from dtsim.physics.network import min_inner_steps, pseudo_gradient_volume_bits, straggler_factor, sync_time_s
from dtsim.strategies._common import Columns, assemble, refuse_where, run_length
from dtsim.units import BITS_PER_BYTE

__all__ = ["activation_bits", "bubble_fraction", "evaluate", "gpipe_step_s", "hidden_size"]

#: h ≈ 0.03·sqrt(P), from P ≈ 12·L·h² with depth L ∝ h (spec §2.6 step 3; within ~20 % of
#: LLaMA-2 70B, GPT-3 175B and LLaMA-3.1 405B).
HIDDEN_SIZE_PER_SQRT_PARAM = 0.03


def hidden_size(params: ArrayLike) -> NDArray[np.float64]:
    """Approximate hidden width ``h = 0.03 · sqrt(P)`` (spec §2.6 step 3)."""
    return HIDDEN_SIZE_PER_SQRT_PARAM * np.sqrt(np.asarray(params, float))


def activation_bits(
    batch_tokens: ArrayLike, hidden: ArrayLike, bytes_per_value: ArrayLike, compression_ratio: ArrayLike
) -> NDArray[np.float64]:
    """Activations crossing one stage boundary per step: ``A = B · h · bytes · 8 / r`` bits
    (spec §2.6 step 4)."""
    return (
        np.asarray(batch_tokens, float)
        * np.asarray(hidden, float)
        * np.asarray(bytes_per_value, float)
        * BITS_PER_BYTE
        / np.asarray(compression_ratio, float)
    )


def gpipe_step_s(
    micro_batches: ArrayLike,
    stages: ArrayLike,
    micro_compute_s: ArrayLike,
    micro_transfer_s: ArrayLike,
    latency_s: ArrayLike,
    straggler: ArrayLike,
) -> NDArray[np.float64]:
    """GPipe step ``t_pp = (M + S − 1) · (t_mc + (t_mx + RTT) · f(S))``: M micro-batches flow
    through S stages, each slot one micro-batch's compute plus its transfer (spec §2.6 step 6;
    A100x48, 960B, S=4, M=8: 90.183 s)."""
    m = np.asarray(micro_batches, float)
    s = np.asarray(stages, float)
    slot = np.asarray(micro_compute_s, float) + (
        np.asarray(micro_transfer_s, float) + np.asarray(latency_s, float)
    ) * np.asarray(straggler, float)
    return (m + s - 1.0) * slot


def bubble_fraction(micro_batches: ArrayLike, stages: ArrayLike) -> NDArray[np.float64]:
    """Idle share of a GPipe step: ``(S − 1)/(M + S − 1)`` (seed 002 §5.4; already in t_pp)."""
    s = np.asarray(stages, float)
    return (s - 1.0) / (np.asarray(micro_batches, float) + s - 1.0)


def evaluate(inp: Inputs) -> Columns:
    """PP-Group DiLoCo (spec §2.6, §2.8)."""
    n = inp.nodes
    stages = pipeline_stages(inp.params, inp.bytes_per_param, inp.node_memory_bytes)
    refuse_where(
        stages <= 1,
        "model.params",
        lambda i: f"the model fits one node ({inp.params[i]:.3g} parameters)",
        "use strategy diloco, or a larger model",
    )
    groups = np.floor(n / stages)
    refuse_where(
        groups < 2,
        "nodes",
        lambda i: (
            f"{n[i]:.0f} nodes make {groups[i]:.0f} pipeline group(s) of "
            f"{stages[i]:.0f} stages; DiLoCo needs at least 2"
        ),
        "use more nodes or a smaller model (a pure pipeline over the WAN is not modelled)",
    )
    m = inp.micro_batches
    flop_per_s = inp.node_flop_per_s
    t_full = step_time_s(inp.params, inp.batch_tokens, flop_per_s)
    t_micro = t_full / (stages * m)
    act = activation_bits(inp.batch_tokens, hidden_size(inp.params), inp.activation_bytes, inp.activation_ratio)
    t_transfer = (2.0 * act / m) / inp.regional_bandwidth_bit_per_s
    t_pp = gpipe_step_s(m, stages, t_micro, t_transfer, inp.regional_latency_s, straggler_factor(stages, inp.straggler))
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    f_groups = straggler_factor(groups, inp.straggler)
    t_sync = sync_time_s(volume, inp.wan_bandwidth_bit_per_s, inp.wan_latency_s, f_groups)
    h = np.where(np.isnan(inp.inner_steps), min_inner_steps(t_sync, t_pp), inp.inner_steps)
    outer_step_s = np.maximum(h * t_pp, t_sync)
    tokens_per_outer = inp.batch_tokens * groups * h
    # Tokens follow the pipeline schedule: G groups each process H batches per outer step.
    c_actual, tokens, wall_s = run_length(
        inp,
        compute_flop_per_s_total=training_flop(inp.params, tokens_per_outer) / outer_step_s,
        duty=np.ones(len(inp)),
        params_compute=inp.params,
        tokens_per_cycle=tokens_per_outer,
        cycle_s=outer_step_s,
    )
    return assemble(
        inp,
        params_compute=inp.params,
        c_actual=c_actual,
        tokens=tokens,
        wall_clock_s=wall_s,
        eta_h=eta_sync_interval(h, inp.params),
        eta_compression=inp.pseudo_gradient_quality,
        eta_replicas=eta_replicas(groups, inp.params),
        eta_activation=eta_activation(inp.activation_quality, stages),
        chinchilla_is_one=np.zeros(len(inp), dtype=bool),
        step_compute_s=t_pp,
        sync_s=t_sync,
        straggler_factor=f_groups,
        inner_steps=h,
        communication_bound=t_sync > h * t_pp,
        pp_stages=stages,
        groups=groups,
        bubble_fraction=bubble_fraction(m, stages),
        memory_per_node_bytes=training_state_bytes(inp.params, inp.bytes_per_param) / stages,
    )
