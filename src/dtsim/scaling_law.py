"""The Chinchilla scaling law and the quality cost of a non-optimal model size.

``L(N, D) = 1.8172 + 482.01 / N^0.3478 + 2085.43 / D^0.3658`` with the compute-optimal
allocation ``D* = 25.6·N`` (Besiroglu et al. 2024, "Chinchilla Scaling: A replication
attempt", arXiv 2404.10102). Spec ``model.md`` §1.8 and §2.3; seed 002 §5.1-5.4.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CHINCHILLA_TOKENS_PER_PARAM",
    "chinchilla_loss",
    "compute_for_optimal_loss",
    "eta_chinchilla",
    "optimal_loss",
    "optimal_params",
    "optimal_tokens",
    "overtraining_ratio",
]

LOSS_IRREDUCIBLE = 1.8172
LOSS_PARAMS_COEF = 482.01
LOSS_PARAMS_EXP = 0.3478
LOSS_TOKENS_COEF = 2085.43
LOSS_TOKENS_EXP = 0.3658

#: Compute-optimal tokens per parameter, D* = 25.6·N (arXiv 2404.10102).
CHINCHILLA_TOKENS_PER_PARAM = 25.6
#: FLOP per parameter per token of training: 2 forward + 4 backward.
TRAINING_FLOP_PER_PARAM_TOKEN = 6.0
#: C = 6·N·25.6·N = 153.6·N² for the optimal allocation.
_FLOP_PER_OPTIMAL_PARAM_SQUARED = TRAINING_FLOP_PER_PARAM_TOKEN * CHINCHILLA_TOKENS_PER_PARAM

#: Search interval of the equivalent compute C' (spec §2.3): [1e10 FLOP, 10·C].
_SEARCH_FLOOR_FLOP = 1e10
_SEARCH_CEILING_FACTOR = 10.0


def chinchilla_loss(params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """``L(N, D) = 1.8172 + 482.01/N^0.3478 + 2085.43/D^0.3658`` for N parameters trained on
    D tokens (raw counts). Spec §1.8; arXiv 2404.10102."""
    n = np.asarray(params, float)
    d = np.asarray(tokens, float)
    return LOSS_IRREDUCIBLE + LOSS_PARAMS_COEF / n**LOSS_PARAMS_EXP + LOSS_TOKENS_COEF / d**LOSS_TOKENS_EXP


def optimal_params(compute_flop: ArrayLike) -> NDArray[np.float64]:
    """``N_opt(C) = sqrt(C / 153.6)``, from C = 6·N·25.6·N (spec §2.3; seed 002 §5.2)."""
    return np.sqrt(np.asarray(compute_flop, float) / _FLOP_PER_OPTIMAL_PARAM_SQUARED)


def optimal_tokens(compute_flop: ArrayLike) -> NDArray[np.float64]:
    """``D_opt(C) = 25.6 · N_opt(C)`` (spec §2.3)."""
    return CHINCHILLA_TOKENS_PER_PARAM * optimal_params(compute_flop)


def optimal_loss(compute_flop: ArrayLike) -> NDArray[np.float64]:
    """``L_opt(C) = L(N_opt(C), D_opt(C))``, strictly decreasing in C (spec §2.3)."""
    return chinchilla_loss(optimal_params(compute_flop), optimal_tokens(compute_flop))


def compute_for_optimal_loss(loss: ArrayLike) -> NDArray[np.float64]:
    """The compute C' with ``L_opt(C') = loss``, solved in closed-form bounds plus Newton.

    With y = ln N_opt, ``L_opt − 1.8172 = A·e^(−a·y) + B'·e^(−b·y)`` (A = 482.01, a = 0.3478,
    B' = 2085.43·25.6^(−0.3658), b = 0.3658) is convex and decreasing in y, so Newton's method
    started left of the root, at ``max(ln(A/t)/a, ln(B'/t)/b)``, converges monotonically. This
    replaces the spec's 200-step geometric bisection (§2.3) and agrees with it to ~1e-14.
    """
    target = np.asarray(loss, float) - LOSS_IRREDUCIBLE
    coef_n, exp_n = LOSS_PARAMS_COEF, LOSS_PARAMS_EXP
    coef_d = LOSS_TOKENS_COEF * CHINCHILLA_TOKENS_PER_PARAM**-LOSS_TOKENS_EXP
    exp_d = LOSS_TOKENS_EXP
    y = np.maximum(np.log(coef_n / target) / exp_n, np.log(coef_d / target) / exp_d)
    for _ in range(60):
        term_n = coef_n * np.exp(-exp_n * y)
        term_d = coef_d * np.exp(-exp_d * y)
        step = (term_n + term_d - target) / (exp_n * term_n + exp_d * term_d)
        y = y + step
        if np.all(np.abs(step) <= 1e-15 * np.maximum(np.abs(y), 1.0)):
            break
    return _FLOP_PER_OPTIMAL_PARAM_SQUARED * np.exp(2.0 * y)


def eta_chinchilla(params: ArrayLike, tokens: ArrayLike, compute_flop: ArrayLike) -> NDArray[np.float64]:
    """Chinchilla efficiency ``min(1, C'/C)``: C' is the compute whose optimal allocation
    reaches the loss ``L(P, D)`` of the model actually trained, C the raw FLOP spent
    (``c_actual``). C' is clamped to [1e10, 10·C] as by the spec's bisection (§2.3; seed 002
    §5.1: 240B on 14.18T tokens → 0.884)."""
    c = np.asarray(compute_flop, float)
    c_equivalent = compute_for_optimal_loss(chinchilla_loss(params, tokens))
    c_equivalent = np.clip(c_equivalent, _SEARCH_FLOOR_FLOP, _SEARCH_CEILING_FACTOR * c)
    return np.minimum(1.0, c_equivalent / c)


def overtraining_ratio(tokens: ArrayLike, params: ArrayLike) -> NDArray[np.float64]:
    """``tokens / (25.6 · P)``: training tokens over the Chinchilla-optimal count (seed 002 §5.1)."""
    return np.asarray(tokens, float) / (CHINCHILLA_TOKENS_PER_PARAM * np.asarray(params, float))
