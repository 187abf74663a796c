"""Algorithmic efficiency of low-communication training: the factors of
``eta = eta_h · eta_compression · eta_replicas · eta_activation`` (× eta_mitigation with the
reliability layer).

Sources: spec ``model.md`` §1.7 and §2.2; ``variants.md`` §2 (replica penalties), §3-§4
(compression tables), §11.1 (coefficients); seed 002 §4.2. The sync-interval and replica
penalties follow the DiLoCo Scaling Laws (Charles et al. 2025, arXiv 2503.09799); the
compression tables cite Streaming DiLoCo (2501.18512), MuLoCo (2505.23725), SparseLoCo
(2508.15706), COAT (2410.19313), SWARM (2301.11913), TAH-Quant (2506.06984), GACT (ICML 2022)
and Protocol Models (2504.01943).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.physics.registry import Registry
from dtsim.units import BILLION

__all__ = [
    "ACTIVATION_QUALITY",
    "ACTIVATION_TABLES",
    "ETA_H_FLOOR",
    "ETA_REPLICAS_FLOOR",
    "PSEUDO_GRADIENT_QUALITY",
    "PSEUDO_GRADIENT_TABLES",
    "QUALITY_SCENARIOS",
    "REPLICA_PENALTIES",
    "activation_quality_table",
    "algorithmic_efficiency",
    "compression_quality",
    "eta_activation",
    "eta_replicas",
    "eta_sync_interval",
    "local_equivalent_flop",
    "pseudo_gradient_quality_table",
    "replica_loss_exponent",
    "replica_loss_multiplier",
    "sync_penalty_alpha",
]

Array = NDArray[np.float64]

ETA_H_FLOOR = 0.4
ETA_REPLICAS_FLOOR = 0.85

#: A quality table: compression ratio → quality factor, anchors ascending from 1.
QualityTable = Mapping[float, float]

QUALITY_SCENARIOS = ("optimistic", "expected", "conservative", "lossless")

#: q_pg(C_r) tables by ``compression.table``, each by quality scenario (model.md §1.7;
#: variants.md §3: the revised tables with and without error feedback; row 150 is SparseLoCo at
#: 146× as validated by the Covenant-72B run, row 500 a speculative extrapolation).
PSEUDO_GRADIENT_TABLES: dict[str, dict[str, dict[float, float]]] = {
    "seed": {
        "optimistic": {1: 1.00, 4: 1.00, 16: 1.00, 100: 0.99},
        "expected": {1: 1.00, 4: 1.00, 16: 0.98, 100: 0.95},
        "conservative": {1: 1.00, 4: 0.99, 16: 0.95, 100: 0.90},
        "lossless": {1: 1.00},
    },
    "error-feedback": {
        "optimistic": {1: 1.00, 4: 1.00, 16: 1.00, 100: 1.00, 150: 1.00, 500: 0.99},
        "expected": {1: 1.00, 4: 1.00, 16: 1.00, 100: 0.99, 150: 0.99, 500: 0.96},
        "conservative": {1: 1.00, 4: 0.99, 16: 0.97, 100: 0.93, 150: 0.91, 500: 0.80},
        "lossless": {1: 1.00},
    },
    "no-error-feedback": {
        "optimistic": {1: 1.00, 4: 1.00, 16: 1.00, 100: 1.00, 150: 0.99, 500: 0.99},
        "expected": {1: 1.00, 4: 1.00, 16: 0.99, 100: 0.98, 150: 0.96, 500: 0.95},
        "conservative": {1: 1.00, 4: 0.99, 16: 0.95, 100: 0.90, 150: 0.85, 500: 0.75},
        "lossless": {1: 1.00},
    },
}

#: q_act(r) per stage boundary by ``compression.activation_table`` (model.md §1.7; variants.md
#: §4: the revised conservative column, commit ba540bc).
ACTIVATION_TABLES: dict[str, dict[str, dict[float, float]]] = {
    "seed": {
        "optimistic": {1: 1.000, 2: 1.000, 4: 1.000, 10: 0.995},
        "expected": {1: 1.000, 2: 1.000, 4: 0.995, 10: 0.980},
        "conservative": {1: 1.000, 2: 0.995, 4: 0.980, 10: 0.950},
        "lossless": {1: 1.000},
    },
    "revised": {
        "optimistic": {1: 1.000, 2: 1.000, 4: 1.000, 10: 0.995},
        "expected": {1: 1.000, 2: 1.000, 4: 0.995, 10: 0.980},
        "conservative": {1: 1.000, 2: 0.99, 4: 0.96, 10: 0.90},
        "lossless": {1: 1.000},
    },
}

PSEUDO_GRADIENT_QUALITY = PSEUDO_GRADIENT_TABLES["seed"]
ACTIVATION_QUALITY = ACTIVATION_TABLES["seed"]


def pseudo_gradient_quality_table(scenario: str | QualityTable, table: str = "seed") -> QualityTable:
    """The q_pg table of a named scenario under a table variant, or a custom table as given."""
    return PSEUDO_GRADIENT_TABLES[table][scenario] if isinstance(scenario, str) else scenario


def activation_quality_table(scenario: str | QualityTable, table: str = "seed") -> QualityTable:
    """The q_act table of a named scenario under a table variant, or a custom table as given."""
    return ACTIVATION_TABLES[table][scenario] if isinstance(scenario, str) else scenario


def compression_quality(ratio: ArrayLike, table: QualityTable) -> Array:
    """q(r) = q_i + t·(q_{i+1} − q_i), t = (log10 r − log10 a_i)/(log10 a_{i+1} − log10 a_i):
    linear in log10 r between the table's anchors, 1 at r ≤ 1, the last value above the last
    anchor (model.md §1.7).

    A custom table without the anchor 1 gets ``1 → 1.0`` (no compression, no loss).
    """
    anchors = {1.0: 1.0, **{float(k): float(v) for k, v in table.items()}}
    keys = sorted(anchors)
    log_anchors = np.log10(np.array(keys))
    values = np.array([anchors[k] for k in keys])
    r = np.asarray(ratio, float)
    q = np.interp(np.log10(np.maximum(r, 1.0)), log_anchors, values)
    return np.where(r <= 1.0, 1.0, q)


def sync_penalty_alpha(params: ArrayLike, base: ArrayLike = 0.08, size_scale: ArrayLike = 5.0) -> Array:
    """alpha(P) = base / (1 + log10(P_B)/size_scale), base 0.08 and size_scale 5: larger models
    tolerate rarer synchronisation; alpha(240B) = 0.054199, alpha(144B) = 0.055879
    (model.md §2.2; variants.md §11.1; arXiv 2503.09799)."""
    params_b = np.asarray(params, float) / BILLION
    return np.asarray(base, float) / (1.0 + np.log10(params_b) / np.asarray(size_scale, float))


def eta_sync_interval(
    inner_steps: ArrayLike,
    params: ArrayLike,
    base: ArrayLike = 0.08,
    size_scale: ArrayLike = 5.0,
    floor: ArrayLike = ETA_H_FLOOR,
) -> Array:
    """η_H = max(floor, 1 − alpha(P)·log10(H)); H may be fractional (hierarchical effective H);
    η_H(1) = 1 (model.md §2.2; seed 002 §4.2; floor 0.4)."""
    h = np.asarray(inner_steps, float)
    return np.maximum(np.asarray(floor, float), 1.0 - sync_penalty_alpha(params, base, size_scale) * np.log10(h))


#: ``efficiency.replica_penalty``: the efficiency lost by averaging R replicas (variants.md §2).
REPLICA_PENALTIES = Registry("replica penalty", "efficiency.replica_penalty")


@REPLICA_PENALTIES.variant("seed", source="model.md §2.2; seed 002 §4.2; arXiv 2503.09799")
def eta_replicas(
    replicas: ArrayLike,
    params: ArrayLike,
    slope: ArrayLike = 0.005,
    cap_b: ArrayLike = 2.4,
    min_b: ArrayLike = 0.1,
    floor: ArrayLike = ETA_REPLICAS_FLOOR,
    chi_full: ArrayLike = 1.0,
    chi_overtraining: ArrayLike = 1.0,
) -> Array:
    """η_replicas = max(floor, 1 − slope·(min(cap_b, P_B)/max(P_B, min_b))·log2 R) for R > 1,
    else 1: averaging more replicas adds noise, ~0.5 % per doubling at 2.4B and less for larger
    models (floor 0.85)."""
    r = np.asarray(replicas, float)
    params_b = np.asarray(params, float) / BILLION
    scale = np.minimum(np.asarray(cap_b, float), params_b) / np.maximum(params_b, np.asarray(min_b, float))
    eta = np.maximum(np.asarray(floor, float), 1.0 - np.asarray(slope, float) * scale * np.log2(np.maximum(r, 1.0)))
    return np.where(r > 1.0, eta, 1.0)


@REPLICA_PENALTIES.variant("loss-multiplier", source="variants.md §2.2; arXiv 2503.09799 Table 4")
def eta_replicas_from_loss(
    replicas: ArrayLike,
    params: ArrayLike,
    slope: ArrayLike = 0.005,
    cap_b: ArrayLike = 2.4,
    min_b: ArrayLike = 0.1,
    floor: ArrayLike = ETA_REPLICAS_FLOOR,
    chi_full: ArrayLike = 1.0,
    chi_overtraining: ArrayLike = 1.0,
) -> Array:
    """η_replicas = χ_full / χ_OT (0 if χ_OT = 0): the replica count raises the final loss by
    m = R^β, converted into the compute an optimal run would need for that loss."""
    full = np.asarray(chi_full, float)
    overtraining = np.asarray(chi_overtraining, float)
    return np.where(overtraining > 0.0, full / np.where(overtraining > 0.0, overtraining, 1.0), 0.0)


@REPLICA_PENALTIES.variant("none", source="variants.md §2.3")
def no_replica_penalty(
    replicas: ArrayLike,
    params: ArrayLike,
    slope: ArrayLike = 0.005,
    cap_b: ArrayLike = 2.4,
    min_b: ArrayLike = 0.1,
    floor: ArrayLike = ETA_REPLICAS_FLOOR,
    chi_full: ArrayLike = 1.0,
    chi_overtraining: ArrayLike = 1.0,
) -> Array:
    """η_replicas = 1: no replica penalty."""
    return np.ones(np.broadcast(replicas, params).shape)


def replica_loss_exponent(
    params: ArrayLike,
    inner_steps: ArrayLike,
    coefficient: ArrayLike = 1.0923,
    exponent: ArrayLike = -0.2342,
    reference_h: ArrayLike = 30.0,
    h_scaling: ArrayLike = True,
) -> Array:
    """β = β0(P)·ln H / ln H_ref with β0(P) = 1.0923·P^(−0.2342) (P in parameters, a fit to
    Table 4 of arXiv 2503.09799 at H_ref = 30); β = β0 without H scaling (variants.md §2.2)."""
    beta0 = np.asarray(coefficient, float) * np.asarray(params, float) ** np.asarray(exponent, float)
    scale = np.log(np.maximum(np.asarray(inner_steps, float), 1.0)) / np.log(np.asarray(reference_h, float))
    return np.where(np.asarray(h_scaling, bool), beta0 * scale, beta0)


def replica_loss_multiplier(
    replicas: ArrayLike, inner_steps: ArrayLike, beta: ArrayLike, h_scaling: ArrayLike = True
) -> Array:
    """m = R^β, and m = 1 for R ≤ 1 (and for H ≤ 1 under H scaling, plain data parallelism)
    (variants.md §2.2 step 2)."""
    r = np.asarray(replicas, float)
    h = np.asarray(inner_steps, float)
    m = np.maximum(r, 1.0) ** np.asarray(beta, float)
    exempt = (r <= 1.0) | (np.asarray(h_scaling, bool) & (h <= 1.0))
    return np.where(exempt, 1.0, m)


def eta_activation(quality_per_boundary: ArrayLike, stages: ArrayLike) -> Array:
    """η_activation = q^(2·(S−1)): compressed activations cross S−1 stage boundaries forward and
    backward (model.md §2.2; seed 002 §4.2: 0.995² = 0.990, 0.995⁶ = 0.970). Equal to 1 for
    S ≤ 1 or an uncompressed link (q = 1)."""
    s = np.asarray(stages, float)
    return np.asarray(quality_per_boundary, float) ** (2.0 * np.maximum(s - 1.0, 0.0))


def algorithmic_efficiency(
    eta_h: ArrayLike,
    eta_compression: ArrayLike,
    eta_replicas: ArrayLike,
    eta_activation: ArrayLike,
    eta_mitigation: ArrayLike = 1.0,
) -> Array:
    """η = η_H · η_compression · η_replicas · η_activation (· η_mitigation with the reliability
    layer) (seed 002 §4.2; reliability.md §10.1)."""
    return (
        np.asarray(eta_h, float)
        * np.asarray(eta_compression, float)
        * np.asarray(eta_replicas, float)
        * np.asarray(eta_activation, float)
        * np.asarray(eta_mitigation, float)
    )


def local_equivalent_flop(c_actual: ArrayLike, eta: ArrayLike) -> Array:
    """c_local = c_actual · η: the FLOP a single-site run would need for the same model quality
    (seed 002 §4.2)."""
    return np.asarray(c_actual, float) * np.asarray(eta, float)
