"""Algorithmic efficiency of low-communication training: the factors of
``eta = eta_h · eta_compression · eta_replicas · eta_activation``.

Sources: spec ``model.md`` §1.7 and §2.2; seed 002 §4.2. The sync-interval and replica
penalties follow the DiLoCo Scaling Laws (Charles et al. 2025, arXiv 2503.09799); the
compression tables cite Streaming DiLoCo (2501.18512), MuLoCo (2505.23725), SparseLoCo
(2508.15706), COAT (2410.19313), SWARM (2301.11913), TAH-Quant (2506.06984), GACT (ICML 2022)
and Protocol Models (2504.01943).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.units import BILLION

__all__ = [
    "ACTIVATION_QUALITY",
    "ETA_H_FLOOR",
    "ETA_REPLICAS_FLOOR",
    "PSEUDO_GRADIENT_QUALITY",
    "QUALITY_SCENARIOS",
    "activation_quality_table",
    "compression_quality",
    "eta_activation",
    "eta_replicas",
    "eta_sync_interval",
    "pseudo_gradient_quality_table",
    "sync_penalty_alpha",
]

ETA_H_FLOOR = 0.4
ETA_REPLICAS_FLOOR = 0.85

#: A quality table: compression ratio → quality factor, anchors ascending from 1.
QualityTable = Mapping[float, float]

QUALITY_SCENARIOS = ("optimistic", "expected", "conservative", "lossless")

#: q_pg(C_r): pseudo-gradient compression quality (spec §1.7; seed 002 §4.2 table).
PSEUDO_GRADIENT_QUALITY: dict[str, dict[float, float]] = {
    "optimistic": {1: 1.00, 4: 1.00, 16: 1.00, 100: 0.99},
    "expected": {1: 1.00, 4: 1.00, 16: 0.98, 100: 0.95},
    "conservative": {1: 1.00, 4: 0.99, 16: 0.95, 100: 0.90},
    "lossless": {1: 1.00},
}

#: q_act(r): activation compression quality per stage boundary (spec §1.7; seed 002 §4.2).
ACTIVATION_QUALITY: dict[str, dict[float, float]] = {
    "optimistic": {1: 1.000, 2: 1.000, 4: 1.000, 10: 0.995},
    "expected": {1: 1.000, 2: 1.000, 4: 0.995, 10: 0.980},
    "conservative": {1: 1.000, 2: 0.995, 4: 0.980, 10: 0.950},
    "lossless": {1: 1.000},
}


def pseudo_gradient_quality_table(scenario: str | QualityTable) -> QualityTable:
    """The q_pg table of a named scenario, or a custom table as given."""
    return PSEUDO_GRADIENT_QUALITY[scenario] if isinstance(scenario, str) else scenario


def activation_quality_table(scenario: str | QualityTable) -> QualityTable:
    """The q_act table of a named scenario, or a custom table as given."""
    return ACTIVATION_QUALITY[scenario] if isinstance(scenario, str) else scenario


def compression_quality(ratio: ArrayLike, table: QualityTable) -> NDArray[np.float64]:
    """Quality factor of a compression ratio, from a table of anchors ``a_0 = 1 < a_1 < ...``.

    ``r ≤ 1 → 1``; at an anchor, its value; between anchors, linear in ``log10 r``:
    ``q = q_i + t·(q_{i+1} − q_i)``, ``t = (log10 r − log10 a_i)/(log10 a_{i+1} − log10 a_i)``;
    above the last anchor, the last value (no extrapolation). Spec §1.7. A custom table
    without the anchor 1 gets ``1 → 1.0`` (no compression, no loss).
    """
    anchors = {1.0: 1.0, **{float(k): float(v) for k, v in table.items()}}
    keys = sorted(anchors)
    log_anchors = np.log10(np.array(keys))
    values = np.array([anchors[k] for k in keys])
    r = np.asarray(ratio, float)
    q = np.interp(np.log10(np.maximum(r, 1.0)), log_anchors, values)
    return np.where(r <= 1.0, 1.0, q)


def sync_penalty_alpha(params: ArrayLike) -> NDArray[np.float64]:
    """``alpha(P) = 0.08 / (1 + log10(P_B)/5)``: larger models tolerate rarer synchronisation
    (spec §2.2; arXiv 2503.09799). alpha(240B) = 0.054199, alpha(144B) = 0.055879."""
    params_b = np.asarray(params, float) / BILLION
    return 0.08 / (1.0 + np.log10(params_b) / 5.0)


def eta_sync_interval(inner_steps: ArrayLike, params: ArrayLike) -> NDArray[np.float64]:
    """``eta_H = max(0.4, 1 − alpha(P)·log10(H))``; H may be fractional (hierarchical effective
    H); eta_H(1) = 1 (spec §2.2; seed 002 §4.2)."""
    h = np.asarray(inner_steps, float)
    return np.maximum(ETA_H_FLOOR, 1.0 - sync_penalty_alpha(params) * np.log10(h))


def eta_replicas(replicas: ArrayLike, params: ArrayLike) -> NDArray[np.float64]:
    """``eta_replicas = max(0.85, 1 − 0.005·(min(2.4, P_B)/max(P_B, 0.1))·log2(R))`` for R > 1,
    else 1: averaging over more replicas adds noise, ~0.5 % per doubling at 2.4B and less for
    larger models (spec §2.2; seed 002 §4.2; arXiv 2503.09799)."""
    r = np.asarray(replicas, float)
    params_b = np.asarray(params, float) / BILLION
    scale = np.minimum(2.4, params_b) / np.maximum(params_b, 0.1)
    eta = np.maximum(ETA_REPLICAS_FLOOR, 1.0 - 0.005 * scale * np.log2(np.maximum(r, 1.0)))
    return np.where(r > 1.0, eta, 1.0)


def eta_activation(quality_per_boundary: ArrayLike, stages: ArrayLike) -> NDArray[np.float64]:
    """``eta_activation = q^(2·(S−1))``: compressed activations cross S−1 stage boundaries
    forward and backward (spec §2.2; seed 002 §4.2: 0.995² = 0.990, 0.995⁶ = 0.970).
    Equal to 1 for S ≤ 1 or an uncompressed link (q = 1)."""
    s = np.asarray(stages, float)
    return np.asarray(quality_per_boundary, float) ** (2.0 * np.maximum(s - 1.0, 0.0))
