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


_COEF_N = LOSS_PARAMS_COEF
_COEF_D = LOSS_TOKENS_COEF * CHINCHILLA_TOKENS_PER_PARAM**-LOSS_TOKENS_EXP


def _halley(y: NDArray[np.float64], target: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One Halley step on f(y) = A·e^(−a·y) + B'·e^(−b·y) − t; returns (new y, step)."""
    term_n = _COEF_N * np.exp(-LOSS_PARAMS_EXP * y)
    term_d = _COEF_D * np.exp(-LOSS_TOKENS_EXP * y)
    f = term_n + term_d - target
    slope = LOSS_PARAMS_EXP * term_n + LOSS_TOKENS_EXP * term_d  # −f'
    curvature = LOSS_PARAMS_EXP**2 * term_n + LOSS_TOKENS_EXP**2 * term_d  # f''
    step = 2.0 * f * slope / (2.0 * slope**2 - f * curvature)
    return y + step, step


def _lower_bound(target: NDArray[np.float64]) -> NDArray[np.float64]:
    """The root lies right of the larger single-term root: max(ln(A/t)/a, ln(B'/t)/b)."""
    return np.maximum(np.log(_COEF_N / target) / LOSS_PARAMS_EXP, np.log(_COEF_D / target) / LOSS_TOKENS_EXP)


def _solve(target: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    for _ in range(30):
        y, step = _halley(y, target)
        if np.all(np.abs(step) <= 1e-15 * np.maximum(np.abs(y), 1.0)):
            break
    return y


#: ln N_opt as a function of ln(L − 1.8172), tabulated once: a start within ~1e-6 of the root,
#: from which one Halley step (cubic convergence) reaches machine precision.
_TABLE_LOG_TARGET = np.linspace(np.log(1e-6), np.log(50.0), 4096)
_TABLE_STEP = _TABLE_LOG_TARGET[1] - _TABLE_LOG_TARGET[0]
_TABLE_Y = _solve(np.exp(_TABLE_LOG_TARGET), _lower_bound(np.exp(_TABLE_LOG_TARGET)))


def compute_for_optimal_loss(loss: ArrayLike) -> NDArray[np.float64]:
    """The compute C' with ``L_opt(C') = loss``, by Halley's method.

    With y = ln N_opt, ``L_opt − 1.8172 = A·e^(−a·y) + B'·e^(−b·y)`` (A = 482.01, a = 0.3478,
    B' = 2085.43·25.6^(−0.3658), b = 0.3658) is convex and decreasing in y. The start comes from
    a table of the inverse (or, outside it, the bound ``max(ln(A/t)/a, ln(B'/t)/b)``); Halley's
    step converges cubically. This replaces the spec's 200-step geometric bisection (§2.3) and
    agrees with it to ~1e-14.
    """
    target = np.asarray(loss, float) - LOSS_IRREDUCIBLE
    # Linear interpolation on the uniform table grid by index arithmetic (no search).
    position = (np.log(target) - _TABLE_LOG_TARGET[0]) / _TABLE_STEP
    inside = (position >= 0.0) & (position <= len(_TABLE_Y) - 1)
    index = np.clip(position.astype(np.intp), 0, len(_TABLE_Y) - 2)
    fraction = position - index
    y = _TABLE_Y[index] + fraction * (_TABLE_Y[index + 1] - _TABLE_Y[index])
    if not inside.all():
        y = np.where(inside, y, _lower_bound(target))
    y, step = _halley(y, target)
    unsettled = np.abs(step) > 1e-5  # a start this close is settled by one cubic step
    if unsettled.any():
        y[unsettled] = _solve(target[unsettled], y[unsettled])
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
