"""PP-Group DiLoCo: S co-located nodes hold one model as a GPipe pipeline over a regional
link; G = floor(N/S) such groups are DiLoCo replicas over the WAN.

GPipe: Huang et al. 2019 (arXiv 1811.06965). Spec ``model.md`` §2.6; ``variants.md`` §9.1, §11.3;
seed 001 Scenario 3 and 6, seed 002 §5.4 and §8.1 (configs H, I).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import step_time_s
from dtsim.physics.efficiency import eta_activation
from dtsim.physics.memory import pipeline_stages, training_state_bytes
from dtsim.physics.network import min_inner_steps, pseudo_gradient_volume_bits
from dtsim.physics.reliability import pipeline_node_state_params
from dtsim.strategies._common import Refusal, Schedule, constant, tier_straggler, wan_sync
from dtsim.units import BITS_PER_BYTE

__all__ = ["activation_bits", "bubble_fraction", "gpipe_step_s", "hidden_size", "schedule"]


def hidden_size(params: ArrayLike, coefficient: ArrayLike = 0.03, exponent: ArrayLike = 0.5) -> NDArray[np.float64]:
    """Approximate hidden width h = 0.03 · P^0.5 (model.md §2.6 step 3; within −3 %, +2 % and +17 %
    of LLaMA-2 70B, GPT-3 175B and LLaMA-3.1 405B; coefficients ``pipeline.hidden_size``,
    variants.md §11.3)."""
    return np.asarray(coefficient, float) * np.asarray(params, float) ** np.asarray(exponent, float)


def activation_bits(
    batch_tokens: ArrayLike, hidden: ArrayLike, bytes_per_value: ArrayLike, compression_ratio: ArrayLike
) -> NDArray[np.float64]:
    """A = B · h · bytes · 8 / r: activations crossing one stage boundary per step, in bits
    (model.md §2.6 step 4)."""
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
    """t_pp = (M + S − 1) · (t_mc + (t_mx + RTT) · f(S)): M micro-batches flow through S stages,
    each slot one micro-batch's compute plus its transfer (model.md §2.6 step 6; A100x48, 960B,
    S = 4, M = 8: 90.183 s)."""
    m = np.asarray(micro_batches, float)
    s = np.asarray(stages, float)
    slot = np.asarray(micro_compute_s, float) + (
        np.asarray(micro_transfer_s, float) + np.asarray(latency_s, float)
    ) * np.asarray(straggler, float)
    return (m + s - 1.0) * slot


def bubble_fraction(micro_batches: ArrayLike, stages: ArrayLike) -> NDArray[np.float64]:
    """(S − 1)/(M + S − 1): idle share of a GPipe step (seed 002 §5.4; already in t_pp)."""
    s = np.asarray(stages, float)
    return (s - 1.0) / (np.asarray(micro_batches, float) + s - 1.0)


def schedule(inp: Inputs) -> Schedule:
    """PP-Group DiLoCo (model.md §2.6): W = H·t_pp, X = t_sync(G), K = W, Q = H·B·G."""
    n = inp.nodes
    count = len(inp)
    stages = pipeline_stages(inp.params, inp.bytes_per_param, inp.node_memory_bytes)
    groups = np.floor(n / stages)
    m = inp.micro_batches
    t_full = step_time_s(inp.params, inp.batch_tokens, inp.node_flop_per_s, inp.flop_per_param_token)
    t_micro = t_full / (stages * m)
    hidden = hidden_size(inp.params, inp.hidden_coefficient, inp.hidden_exponent)
    act = activation_bits(inp.batch_tokens, hidden, inp.activation_bytes, inp.activation_ratio)
    t_transfer = (2.0 * act / m) / inp.regional_bandwidth_bit_per_s
    t_pp = gpipe_step_s(m, stages, t_micro, t_transfer, inp.regional_latency_s, tier_straggler(inp, stages))
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    t_sync, f_groups = wan_sync(inp, volume, groups)
    h = np.where(np.isnan(inp.inner_steps), min_inner_steps(t_sync, t_pp), inp.inner_steps)
    block = h * t_pp
    nan = constant(np.nan, count)
    refusals = (
        Refusal(
            stages <= 1,
            "model.params",
            "the model fits one node",
            lambda i: f"the model fits one node ({inp.params[i]:.3g} parameters)",
            "use strategy diloco, or a larger model",
        ),
        Refusal(
            groups < 2,
            "nodes",
            "fewer than 2 pipeline groups",
            lambda i: (
                f"{n[i]:.0f} nodes make {groups[i]:.0f} pipeline group(s) of "
                f"{stages[i]:.0f} stages; DiLoCo needs at least 2"
            ),
            "use more nodes or a smaller model (a pure pipeline over the WAN is not modelled)",
        ),
    )
    return Schedule(
        params_sync=inp.params,
        params_compute=inp.params,
        replicas=groups,
        effective_inner_steps=h,
        single=np.zeros(count, dtype=bool),
        compute_block_s=block,
        sync_block_s=t_sync,
        compute_s=block,
        tokens_per_outer_step=h * inp.batch_tokens * groups,
        communication_bound=t_sync > block,
        step_compute_s=t_pp,
        sync_s=t_sync,
        straggler_factor=f_groups,
        inner_steps=h,
        pp_stages=stages,
        groups=groups,
        bubble_fraction=bubble_fraction(m, stages),
        memory_per_node_bytes=training_state_bytes(inp.params, inp.bytes_per_param) / stages,
        eta_activation=eta_activation(inp.activation_quality, stages),
        inner_steps_regional=nan,
        regional_syncs_per_global=nan,
        ep_overhead=nan,
        flat=np.zeros(count, dtype=bool),
        comm_bytes_per_sync=nan,
        tail_participants=groups,
        checkpoint_params=inp.params,
        node_state_params=pipeline_node_state_params(inp.params, stages),
        refusals=refusals,
    )
