"""Communication: synchronisation volume and time, the straggler factor, and the inner-step
count that hides a streaming synchronisation behind compute.

Sources: spec ``model.md`` §2.1; seed 002 §4.1 (H_min ≈ 152·f(N)) and §9.3 (sync time).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "STRAGGLER_PER_DOUBLING",
    "duty_cycle",
    "min_inner_steps",
    "pseudo_gradient_volume_bits",
    "straggler_factor",
    "sync_time_s",
]

#: Slowdown of one synchronisation per doubling of participants (spec §2.1).
STRAGGLER_PER_DOUBLING = 0.05


def straggler_factor(participants: ArrayLike, enabled: ArrayLike = True) -> NDArray[np.float64]:
    """f(n) = 1 + 0.05·log2(n) for n > 1, and 1 for n ≤ 1 or with ``straggler: none``:
    the slowest of n participants sets the pace of a synchronisation (spec §2.1;
    f(4) = 1.100, f(72) = 1.3085, f(2000) = 1.548)."""
    n = np.asarray(participants, float)
    f = 1.0 + STRAGGLER_PER_DOUBLING * np.log2(np.maximum(n, 1.0))
    return np.where(np.asarray(enabled, bool), f, 1.0)


def pseudo_gradient_volume_bits(
    params: ArrayLike, bits_per_value: ArrayLike, compression_ratio: ArrayLike
) -> NDArray[np.float64]:
    """One direction of one synchronisation: ``V = P · bits / C_r`` bits (spec §2.1;
    seed 002 §9.3: 240B × 16 bit / 16 = 240 Gbit)."""
    return np.asarray(params, float) * np.asarray(bits_per_value, float) / np.asarray(compression_ratio, float)


def sync_time_s(
    volume_bits: ArrayLike, bandwidth_bit_per_s: ArrayLike, latency_s: ArrayLike, straggler: ArrayLike
) -> NDArray[np.float64]:
    """``t_sync = (2·V/BW + RTT) · f``: upload plus download of V over a symmetric link, one
    round trip, slowed by the straggler factor f (spec §2.1; seed 002 §9.3: 4,800 s)."""
    return (
        2.0 * np.asarray(volume_bits, float) / np.asarray(bandwidth_bit_per_s, float) + np.asarray(latency_s, float)
    ) * np.asarray(straggler, float)


def min_inner_steps(sync_s: ArrayLike, step_s: ArrayLike) -> NDArray[np.float64]:
    """``H_min = max(1, ceil(t_sync / t_step))``: the fewest inner steps whose compute hides one
    streaming synchronisation, keeping the run compute-bound (spec §2.1; seed 002 §4.1)."""
    return np.maximum(1.0, np.ceil(np.asarray(sync_s, float) / np.asarray(step_s, float)))


def duty_cycle(compute_block_s: ArrayLike, sync_s: ArrayLike) -> NDArray[np.float64]:
    """``u = block / max(block, t_sync)``: share of wall time spent computing when a block of
    inner steps overlaps one synchronisation (spec §2.4 step 4; 1 with automatic H)."""
    block = np.asarray(compute_block_s, float)
    return block / np.maximum(block, np.asarray(sync_s, float))
