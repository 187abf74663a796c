"""Training arithmetic: FLOP of a run and wall time of one training step.

Source: spec ``model.md`` §2.1 (6 FLOP per parameter per token: 2 forward, 4 backward;
Kaplan et al. 2020, arXiv 2001.08361); the factor is the input
``training.flop_per_param_token`` (variants.md §11.3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.physics.scaling_law import TRAINING_FLOP_PER_PARAM_TOKEN

__all__ = [
    "FORWARD_FLOP_PER_PARAM_TOKEN",
    "bandwidth_duty_cycle",
    "compute_utilization",
    "forward_flop",
    "step_time_s",
    "threshold_multiple",
    "time_to_train_s",
    "tokens_for_flop",
    "tokens_in_budget",
    "training_flop",
]

#: FLOP per parameter per token of a forward pass (one multiply-add per weight).
FORWARD_FLOP_PER_PARAM_TOKEN = 2.0


def training_flop(
    params: ArrayLike, tokens: ArrayLike, flop_per_param_token: ArrayLike = TRAINING_FLOP_PER_PARAM_TOKEN
) -> NDArray[np.float64]:
    """``C = φ · P · D`` (φ = 6): training FLOP of P (active) parameters over D tokens
    (model.md §2.1; Kaplan et al. 2020, arXiv 2001.08361)."""
    return np.asarray(flop_per_param_token, float) * np.asarray(params, float) * np.asarray(tokens, float)


def tokens_for_flop(
    flop: ArrayLike, params: ArrayLike, flop_per_param_token: ArrayLike = TRAINING_FLOP_PER_PARAM_TOKEN
) -> NDArray[np.float64]:
    """``D = C / (φ · P)``: tokens that C FLOP train on P (active) parameters."""
    return np.asarray(flop, float) / (np.asarray(flop_per_param_token, float) * np.asarray(params, float))


def step_time_s(
    params: ArrayLike,
    batch_tokens: ArrayLike,
    flop_per_s: ArrayLike,
    flop_per_param_token: ArrayLike = TRAINING_FLOP_PER_PARAM_TOKEN,
) -> NDArray[np.float64]:
    """``t_step = φ · P · B / F``: one step of B tokens on a node delivering F FLOP/s
    (model.md §2.1; A100x48, 240B: 31.508 s)."""
    return training_flop(params, batch_tokens, flop_per_param_token) / np.asarray(flop_per_s, float)


def forward_flop(params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """``C = 2 · P · D``: a forward pass only, e.g. through frozen parameters below the trained
    ones, where the backward pass stops (Kaplan et al. 2020, arXiv 2001.08361)."""
    return FORWARD_FLOP_PER_PARAM_TOKEN * np.asarray(params, float) * np.asarray(tokens, float)


def tokens_in_budget(
    budget_s: ArrayLike, outer_step_s: ArrayLike, tokens_per_outer_step: ArrayLike
) -> NDArray[np.float64]:
    """D = T / t_out · Q: the tokens of the outer steps that fit the budget T, each of Q tokens
    (outer steps not rounded; model.md §2.4; variants.md §9.2)."""
    return np.asarray(budget_s, float) / np.asarray(outer_step_s, float) * np.asarray(tokens_per_outer_step, float)


def time_to_train_s(
    tokens: ArrayLike, tokens_per_outer_step: ArrayLike, outer_step_s: ArrayLike
) -> NDArray[np.float64]:
    """T = D / Q · t_out: the wall time of the outer steps that train D tokens (model.md §2.8;
    variants.md §9.2)."""
    return np.asarray(tokens, float) / np.asarray(tokens_per_outer_step, float) * np.asarray(outer_step_s, float)


def compute_utilization(compute_s: ArrayLike, outer_step_s: ArrayLike) -> NDArray[np.float64]:
    """u = K / t_out: the share of wall-clock time the accelerators spend in inner steps
    (variants.md §9.4; model.md's duty cycle)."""
    return np.asarray(compute_s, float) / np.asarray(outer_step_s, float)


def bandwidth_duty_cycle(sync_s: ArrayLike, outer_step_s: ArrayLike) -> NDArray[np.float64]:
    """t_sync / t_out: the share of the outer step during which the WAN link is busy
    (variants.md §9.4)."""
    return np.asarray(sync_s, float) / np.asarray(outer_step_s, float)


def threshold_multiple(flop: ArrayLike, threshold_flop: ArrayLike) -> NDArray[np.float64]:
    """FLOP / threshold: how many times a run's compute exceeds a training-compute threshold
    (1e24 FLOP, the Strict Threshold) (seed 002 §1; variants.md §11.4)."""
    return np.asarray(flop, float) / np.asarray(threshold_flop, float)
