"""Training-state memory: what fits on one node, how many pipeline stages a model needs, and
the per-node share of an expert-parallel mixture of experts.

Sources: spec ``model.md`` §1.4 (beta), §2.6 step 1 (stages), §2.7 step 1 (MoE); seed 002 §3
(max dense model) and §8.3 (MoE memory).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "FIT_SLACK",
    "activation_bytes",
    "fits_in_memory",
    "max_dense_params",
    "moe_memory_per_node_bytes",
    "pipeline_stages",
    "training_state_bytes",
]

#: Relative slack on memory comparisons, so that P_max itself (or 1.0 × P_max in a sweep) is
#: never refused by rounding (model.md §2.4).
FIT_SLACK = 1e-9

#: Distance to an integer below which a stage count is snapped to it before ``ceil`` (model.md §0).
STAGE_SNAP = 1e-9


def training_state_bytes(params: ArrayLike, bytes_per_param: ArrayLike) -> NDArray[np.float64]:
    """Training state of a dense model: ``P · beta`` bytes (model.md §1.4)."""
    return np.asarray(params, float) * np.asarray(bytes_per_param, float)


def max_dense_params(node_memory_bytes: ArrayLike, bytes_per_param: ArrayLike) -> NDArray[np.float64]:
    """Largest dense model whose training state fits one node: ``P_max = memory / beta``,
    exact, no rounding (model.md §1.4; seed 002 §3: 3,840 GB / 16 B = 240B)."""
    return np.asarray(node_memory_bytes, float) / np.asarray(bytes_per_param, float)


def fits_in_memory(required_bytes: ArrayLike, available_bytes: ArrayLike) -> NDArray[np.bool_]:
    """``required ≤ available`` with the relative slack ``FIT_SLACK``."""
    return np.asarray(required_bytes, float) <= np.asarray(available_bytes, float) * (1.0 + FIT_SLACK)


def pipeline_stages(params: ArrayLike, bytes_per_param: ArrayLike, node_memory_bytes: ArrayLike) -> NDArray[np.float64]:
    """Pipeline stages ``S = ceil(P · beta / node memory)``, where the quotient is first snapped
    to the nearest integer when within 1e-9 of it (model.md §0, §2.6 step 1): 6 × P_max must give
    6 stages, not 7, whatever the float rounding."""
    x = training_state_bytes(params, bytes_per_param) / np.asarray(node_memory_bytes, float)
    nearest = np.round(x)
    x = np.where(np.abs(x - nearest) < STAGE_SNAP, nearest, x)
    return np.ceil(x)


def moe_memory_per_node_bytes(
    total_params: ArrayLike, active_params: ArrayLike, nodes: ArrayLike, bytes_per_param: ArrayLike
) -> NDArray[np.float64]:
    """Per-node training state under expert parallelism:
    ``(P_active + (P_total − P_active) / N) · beta`` — shared parameters everywhere, experts
    spread over all N nodes (model.md §2.7 step 1; seed 002 §8.3: 600B/100B at N=72 → 1,711 GB)."""
    total = np.asarray(total_params, float)
    active = np.asarray(active_params, float)
    return (active + (total - active) / np.asarray(nodes, float)) * np.asarray(bytes_per_param, float)


#: Bytes of stored activations per token, per hidden unit, per transformer layer, in 16-bit
#: training without recomputation: 34 (Korthikanti et al. 2022, arXiv 2205.05198, eq. 1 with
#: FlashAttention, i.e. without the attention-score term 5·a·s/h).
ACTIVATION_BYTES_PER_TOKEN_HIDDEN_LAYER = 34.0


def activation_bytes(tokens_per_gpu: ArrayLike, hidden: ArrayLike, layers: ArrayLike) -> NDArray[np.float64]:
    """Activations held for the backward pass: ``34 · tokens · h · L`` bytes (16-bit, no
    recomputation; arXiv 2205.05198). ``tokens`` = micro-batch sequences × sequence length."""
    return (
        ACTIVATION_BYTES_PER_TOKEN_HIDDEN_LAYER
        * np.asarray(tokens_per_gpu, float)
        * np.asarray(hidden, float)
        * np.asarray(layers, float)
    )
