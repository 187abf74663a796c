"""Training arithmetic: FLOP of a run and wall time of one training step.

Source: spec ``model.md`` §2.1 (6 FLOP per parameter per token: 2 forward, 4 backward;
Kaplan et al. 2020, arXiv 2001.08361).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.physics.scaling_law import TRAINING_FLOP_PER_PARAM_TOKEN

__all__ = ["FORWARD_FLOP_PER_PARAM_TOKEN", "forward_flop", "step_time_s", "tokens_for_flop", "training_flop"]

#: FLOP per parameter per token of a forward pass (one multiply-add per weight).
FORWARD_FLOP_PER_PARAM_TOKEN = 2.0


def training_flop(params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """``C = 6 · P · D``: training FLOP of P (active) parameters over D tokens."""
    return TRAINING_FLOP_PER_PARAM_TOKEN * np.asarray(params, float) * np.asarray(tokens, float)


def tokens_for_flop(flop: ArrayLike, params: ArrayLike) -> NDArray[np.float64]:
    """``D = C / (6 · P)``: tokens that C FLOP train on P (active) parameters."""
    return np.asarray(flop, float) / (TRAINING_FLOP_PER_PARAM_TOKEN * np.asarray(params, float))


def step_time_s(params: ArrayLike, batch_tokens: ArrayLike, flop_per_s: ArrayLike) -> NDArray[np.float64]:
    """``t_step = 6 · P · B / F``: one step of B tokens on a node delivering F FLOP/s
    (spec §2.1; A100x48, 240B: 31.508 s)."""
    return training_flop(params, batch_tokens) / np.asarray(flop_per_s, float)


def forward_flop(params: ArrayLike, tokens: ArrayLike) -> NDArray[np.float64]:
    """``C = 2 · P · D``: a forward pass only, e.g. through frozen parameters below the trained
    ones, where the backward pass stops (Kaplan et al. 2020, arXiv 2001.08361)."""
    return FORWARD_FLOP_PER_PARAM_TOKEN * np.asarray(params, float) * np.asarray(tokens, float)
