"""The Chinchilla scaling law and the quality cost of a non-optimal model size.

``L(N, D) = E + A / N^alpha + B / D^beta`` with the compute-optimal allocation ``D* = k·N``
(E 1.8172, A 482.01, alpha 0.3478, B 2085.43, beta 0.3658, k 25.6: Besiroglu et al. 2024,
"Chinchilla Scaling: A replication attempt", arXiv 2404.10102). Every coefficient is a
per-scenario input (``scaling_law.*``, variants.md §11.2); the defaults are the published fit.
Spec ``model.md`` §1.8 and §2.3; seed 002 §5.1-5.4; variants.md §0 (χ with a loss multiplier).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CHINCHILLA_TOKENS_PER_PARAM",
    "SEED_FIT",
    "TRAINING_FLOP_PER_PARAM_TOKEN",
    "ScalingLaw",
    "chinchilla_efficiency",
    "chinchilla_loss",
    "compute_for_optimal_loss",
    "eta_chinchilla",
    "optimal_loss",
    "optimal_params",
    "optimal_tokens",
    "overtraining_ratio",
    "quality_adjusted_flop",
]

Array = NDArray[np.float64]

#: Compute-optimal tokens per parameter, D* = 25.6·N (arXiv 2404.10102).
CHINCHILLA_TOKENS_PER_PARAM = 25.6
#: FLOP per parameter per token of training: 2 forward + 4 backward.
TRAINING_FLOP_PER_PARAM_TOKEN = 6.0

#: Search interval of the equivalent compute C' (model.md §2.3): [1e10 FLOP, 10·C].
_SEARCH_FLOOR_FLOP = 1e10
_SEARCH_CEILING_FACTOR = 10.0


@dataclass(frozen=True)
class ScalingLaw:
    """Coefficients of L(N, D) = E + A/N^alpha + B/D^beta, the optimal ratio D*/N and the FLOP
    per parameter per token of the allocation C = flop·N·D (arrays or floats)."""

    E: ArrayLike = 1.8172
    A: ArrayLike = 482.01
    alpha: ArrayLike = 0.3478
    B: ArrayLike = 2085.43
    beta: ArrayLike = 0.3658
    tokens_per_param: ArrayLike = CHINCHILLA_TOKENS_PER_PARAM
    flop_per_param_token: ArrayLike = TRAINING_FLOP_PER_PARAM_TOKEN

    def is_seed_fit(self) -> bool:
        """True when every coefficient is the published fit's (the tabulated fast path applies)."""
        return all(
            _all_equal(getattr(self, name), getattr(SEED_FIT, name))
            for name in ("E", "A", "alpha", "B", "beta", "tokens_per_param", "flop_per_param_token")
        )


SEED_FIT = ScalingLaw()


def _all_equal(values: ArrayLike, expected: ArrayLike) -> bool:
    arr = np.asarray(values, float)
    if arr.ndim == 1 and (len(arr) == 1 or arr.strides[0] == 0):  # one value: no array work
        return float(arr[0]) == float(expected)  # type: ignore[arg-type]
    return bool(np.all(arr == float(np.asarray(expected))))


def chinchilla_loss(params: ArrayLike, tokens: ArrayLike, law: ScalingLaw = SEED_FIT) -> Array:
    """``L(N, D) = E + A/N^alpha + B/D^beta`` for N parameters trained on D tokens (raw counts)
    (model.md §1.8; arXiv 2404.10102)."""
    n = np.asarray(params, float)
    d = np.asarray(tokens, float)
    return (
        np.asarray(law.E, float)
        + np.asarray(law.A, float) / n ** np.asarray(law.alpha, float)
        + np.asarray(law.B, float) / d ** np.asarray(law.beta, float)
    )


def optimal_params(compute_flop: ArrayLike, law: ScalingLaw = SEED_FIT) -> Array:
    """``N_opt(C) = sqrt(C / (flop·k))`` = sqrt(C/153.6) at the defaults, from C = 6·N·25.6·N
    (model.md §2.3; seed 002 §5.2; variants.md §11.2)."""
    per_param_squared = np.asarray(law.flop_per_param_token, float) * np.asarray(law.tokens_per_param, float)
    return np.sqrt(np.asarray(compute_flop, float) / per_param_squared)


def optimal_tokens(compute_flop: ArrayLike, law: ScalingLaw = SEED_FIT) -> Array:
    """``D_opt(C) = k · N_opt(C)`` (model.md §2.3)."""
    return np.asarray(law.tokens_per_param, float) * optimal_params(compute_flop, law)


def optimal_loss(compute_flop: ArrayLike, law: ScalingLaw = SEED_FIT) -> Array:
    """``L_opt(C) = L(N_opt(C), D_opt(C))``, strictly decreasing in C (model.md §2.3)."""
    return chinchilla_loss(optimal_params(compute_flop, law), optimal_tokens(compute_flop, law), law)


def _terms(law: ScalingLaw) -> tuple[Array, Array, Array, Array]:
    """(A, a, B', b) of L_opt − E = A·e^(−a·y) + B'·e^(−b·y), y = ln N_opt, B' = B·k^(−b)."""
    beta = np.asarray(law.beta, float)
    return (
        np.asarray(law.A, float),
        np.asarray(law.alpha, float),
        np.asarray(law.B, float) * np.asarray(law.tokens_per_param, float) ** -beta,
        beta,
    )


def _halley(y: Array, target: Array, coef_n: Array, exp_n: Array, coef_d: Array, exp_d: Array) -> tuple[Array, Array]:
    """One Halley step on f(y) = A·e^(−a·y) + B'·e^(−b·y) − t; returns (new y, step)."""
    term_n = coef_n * np.exp(-exp_n * y)
    term_d = coef_d * np.exp(-exp_d * y)
    f = term_n + term_d - target
    slope = exp_n * term_n + exp_d * term_d  # −f'
    curvature = exp_n**2 * term_n + exp_d**2 * term_d  # f''
    step = 2.0 * f * slope / (2.0 * slope**2 - f * curvature)
    return y + step, step


def _lower_bound(target: Array, coef_n: Array, exp_n: Array, coef_d: Array, exp_d: Array) -> Array:
    """The root lies right of the larger single-term root: max(ln(A/t)/a, ln(B'/t)/b)."""
    return np.maximum(np.log(coef_n / target) / exp_n, np.log(coef_d / target) / exp_d)


def _solve(target: Array, y: Array, coef_n: Array, exp_n: Array, coef_d: Array, exp_d: Array) -> Array:
    for _ in range(60):
        y, step = _halley(y, target, coef_n, exp_n, coef_d, exp_d)
        if np.all(np.abs(step) <= 1e-15 * np.maximum(np.abs(y), 1.0)):
            break
    return y


#: ln N_opt as a function of ln(L − E) at the published fit, tabulated once: a start within
#: ~1e-6 of the root, from which one Halley step (cubic convergence) reaches machine precision.
_SEED_TERMS = _terms(SEED_FIT)
_TABLE_LOG_TARGET = np.linspace(np.log(1e-6), np.log(50.0), 4096)
_TABLE_STEP = _TABLE_LOG_TARGET[1] - _TABLE_LOG_TARGET[0]
_TABLE_Y = _solve(np.exp(_TABLE_LOG_TARGET), _lower_bound(np.exp(_TABLE_LOG_TARGET), *_SEED_TERMS), *_SEED_TERMS)


def compute_for_optimal_loss(loss: ArrayLike, law: ScalingLaw = SEED_FIT) -> Array:
    """The compute C' with ``L_opt(C') = loss``, by Halley's method (+inf when loss ≤ E).

    With y = ln N_opt, ``L_opt − E = A·e^(−a·y) + B'·e^(−b·y)`` (B' = B·k^(−b)) is convex and
    decreasing in y; C' = flop·k·e^(2y). The start comes from a table of the inverse at the
    published fit, or from the bound ``max(ln(A/t)/a, ln(B'/t)/b)``; Halley's step converges
    cubically. This replaces the spec's 200-step geometric bisection (model.md §2.3) and agrees
    with it to ~1e-14.
    """
    target = np.asarray(loss, float) - np.asarray(law.E, float)
    reachable = target > 0.0
    target = np.where(reachable, target, 1.0)
    if law.is_seed_fit():
        terms = _SEED_TERMS
        # Linear interpolation on the uniform table grid by index arithmetic (no search).
        position = (np.log(target) - _TABLE_LOG_TARGET[0]) / _TABLE_STEP
        inside = (position >= 0.0) & (position <= len(_TABLE_Y) - 1)
        index = np.minimum(np.maximum(position.astype(np.intp), 0), len(_TABLE_Y) - 2)
        fraction = position - index
        y = _TABLE_Y[index] + fraction * (_TABLE_Y[index + 1] - _TABLE_Y[index])
        if not inside.all():
            y = np.where(inside, y, _lower_bound(target, *terms))
        y, step = _halley(y, target, *terms)
        y = np.array(y, dtype=float)
        unsettled = np.abs(step) > 1e-5  # a start this close is settled by one cubic step
        if np.any(unsettled):
            y[unsettled] = _solve(np.broadcast_to(target, y.shape)[unsettled], y[unsettled], *terms)
    else:
        terms = _terms(law)
        y = _solve(target, _lower_bound(target, *terms), *terms)
    per_param_squared = np.asarray(law.flop_per_param_token, float) * np.asarray(law.tokens_per_param, float)
    return np.where(reachable, per_param_squared * np.exp(2.0 * y), np.inf)


def chinchilla_efficiency(
    params: ArrayLike,
    tokens: ArrayLike,
    compute_flop: ArrayLike,
    loss_multiplier: ArrayLike = 1.0,
    law: ScalingLaw = SEED_FIT,
) -> Array:
    """χ(P, D, C; m) = min(1, C'/C) with L_opt(C') = m·L(P, D): the share of the FLOP spent
    that a compute-optimal run would need to reach the loss actually reached (times m). C' is
    clamped to [1e10, 10·C] as by the spec's bisection (model.md §2.3; variants.md §0; seed 002
    §5.1: 240B on 14.18T tokens → 0.884)."""
    c = np.asarray(compute_flop, float)
    target = np.asarray(loss_multiplier, float) * chinchilla_loss(params, tokens, law)
    c_equivalent = np.minimum(
        np.maximum(compute_for_optimal_loss(target, law), _SEARCH_FLOOR_FLOP), _SEARCH_CEILING_FACTOR * c
    )
    return np.minimum(1.0, c_equivalent / c)


def eta_chinchilla(params: ArrayLike, tokens: ArrayLike, compute_flop: ArrayLike) -> Array:
    """Chinchilla efficiency ``min(1, C'/C)`` at the published fit: C' is the compute whose
    optimal allocation reaches the loss ``L(P, D)`` of the model actually trained, C the raw
    FLOP spent (``c_actual``) (model.md §2.3)."""
    return chinchilla_efficiency(params, tokens, compute_flop)


def overtraining_ratio(tokens: ArrayLike, params: ArrayLike, tokens_per_param: ArrayLike = 25.6) -> Array:
    """``tokens / (k · P)``: training tokens over the Chinchilla-optimal count, k = 25.6
    (seed 002 §5.1; variants.md §11.2)."""
    return np.asarray(tokens, float) / (np.asarray(tokens_per_param, float) * np.asarray(params, float))


def quality_adjusted_flop(c_local: ArrayLike, chi: ArrayLike) -> Array:
    """c_quality = c_local · χ: local-equivalent FLOP discounted for a model size away from the
    Chinchilla optimum (seed 002 §5.4; model.md §2.3)."""
    return np.asarray(c_local, float) * np.asarray(chi, float)
