"""Communication: synchronisation volume, the straggler factor of a synchronisation, the
collective that counts its bandwidth and latency, and the inner-step count that hides a
streaming synchronisation behind compute.

Sources: spec ``model.md`` §2.1; ``variants.md`` §5 (asymmetric links), §6 (collectives), §7
(straggler modes); seed 002 §4.1 (H_min ≈ 152·f(N)) and §9.3 (sync time).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.physics.registry import Registry
from dtsim.units import BITS_PER_BYTE

__all__ = [
    "COLLECTIVES",
    "STRAGGLERS",
    "STRAGGLER_PER_DOUBLING",
    "bytes_per_sync",
    "duty_cycle",
    "min_inner_steps",
    "pseudo_gradient_volume_bits",
    "straggler_factor",
    "sync_time_s",
    "traffic_share",
    "up_and_down_s",
]

Array = NDArray[np.float64]

#: Slowdown of one synchronisation per doubling of participants (model.md §2.1).
STRAGGLER_PER_DOUBLING = 0.05

#: ``network.straggler``: the slowdown f(n) of a synchronisation among n participants.
STRAGGLERS = Registry("straggler factor", "network.straggler")


@STRAGGLERS.variant("log2", source="model.md §2.1; seeds 001 §Scenario 2, 002 §4.1")
def synchronous_straggler(participants: ArrayLike, per_doubling: ArrayLike) -> Array:
    """f(n) = 1 + c·log2(n) for n > 1, else 1 (c = 0.05): the slowest of n synchronous
    participants sets the pace (f(4) = 1.100, f(72) = 1.3085, f(2000) = 1.548)."""
    n = np.asarray(participants, float)
    return 1.0 + np.asarray(per_doubling, float) * np.log2(np.maximum(n, 1.0))


@STRAGGLERS.variant("relay", source="variants.md §7 (revised repository, commit 6871d1f)")
def relay_straggler(participants: ArrayLike, per_doubling: ArrayLike) -> Array:
    """f(n) = 1 + c·log2(n) for n > 1, else 1 (c = 0.02): aggregation through an object store
    relays slow uploads (f(72) = 1.123399)."""
    return synchronous_straggler(participants, per_doubling)


@STRAGGLERS.variant("threshold", source="variants.md §7")
def dropped_straggler(participants: ArrayLike, per_doubling: ArrayLike) -> Array:
    """f(n) = 1: stragglers beyond a threshold are dropped (identical to ``none``)."""
    return np.ones(np.broadcast(participants, per_doubling).shape)


@STRAGGLERS.variant("none", source="interface.md")
def no_straggler(participants: ArrayLike, per_doubling: ArrayLike) -> Array:
    """f(n) = 1: no straggler model."""
    return np.ones(np.broadcast(participants, per_doubling).shape)


def straggler_factor(participants: ArrayLike, enabled: ArrayLike = True) -> Array:
    """f(n) = 1 + 0.05·log2(n) for n > 1, and 1 for n ≤ 1 or with ``straggler: none``:
    the seed's synchronous straggler (model.md §2.1)."""
    f = synchronous_straggler(participants, STRAGGLER_PER_DOUBLING)
    return np.where(np.asarray(enabled, bool), f, 1.0)


def pseudo_gradient_volume_bits(params: ArrayLike, bits_per_value: ArrayLike, compression_ratio: ArrayLike) -> Array:
    """One direction of one synchronisation: ``V = P · bits / C_r`` bits (model.md §2.1;
    seed 002 §9.3: 240B × 16 bit / 16 = 240 Gbit)."""
    return np.asarray(params, float) * np.asarray(bits_per_value, float) / np.asarray(compression_ratio, float)


def up_and_down_s(volume_bits: ArrayLike, upload_bit_per_s: ArrayLike, download_bit_per_s: ArrayLike) -> Array:
    """``V/BW_up + V/BW_down``: one upload and one download of V bits, the bandwidth term every
    collective scales (model.md §2.1)."""
    v = np.asarray(volume_bits, float)
    return v / np.asarray(upload_bit_per_s, float) + v / np.asarray(download_bit_per_s, float)


#: ``network.collective``: how one synchronisation among n participants counts its bandwidth and
#: latency terms (variants.md §6).
COLLECTIVES = Registry("synchronisation time", "network.collective")


@COLLECTIVES.variant("seed", source="model.md §2.1; variants.md §5; seed 002 §9.3 (4,800 s)")
def parameter_server_sync_s(
    volume_bits: ArrayLike,
    upload_bit_per_s: ArrayLike,
    download_bit_per_s: ArrayLike,
    latency_s: ArrayLike,
    participants: ArrayLike,
    straggler: ArrayLike,
) -> Array:
    """t = (V/BW_up + V/BW_down + RTT)·f(n): one upload, one download, one round trip."""
    transfer = up_and_down_s(volume_bits, upload_bit_per_s, download_bit_per_s)
    return (transfer + np.asarray(latency_s, float)) * np.asarray(straggler, float)


@COLLECTIVES.variant("ring", source="variants.md §6; Patarasuk & Yuan, J. Parallel Distrib. Comput. 69(2), 2009")
def ring_sync_s(
    volume_bits: ArrayLike,
    upload_bit_per_s: ArrayLike,
    download_bit_per_s: ArrayLike,
    latency_s: ArrayLike,
    participants: ArrayLike,
    straggler: ArrayLike,
) -> Array:
    """t = ((n−1)/n·(V/BW_up + V/BW_down) + 2(n−1)·RTT)·f(n), 0 for n ≤ 1: ring all-reduce
    (reduce-scatter, then all-gather)."""
    n = np.asarray(participants, float)
    transfer = up_and_down_s(volume_bits, upload_bit_per_s, download_bit_per_s)
    t = ((n - 1.0) / n * transfer + 2.0 * (n - 1.0) * np.asarray(latency_s, float)) * np.asarray(straggler, float)
    return np.where(n <= 1.0, 0.0, t)


@COLLECTIVES.variant("tree", source="variants.md §6; Sanders, Speck & Träff, Parallel Computing 35(12), 2009")
def tree_sync_s(
    volume_bits: ArrayLike,
    upload_bit_per_s: ArrayLike,
    download_bit_per_s: ArrayLike,
    latency_s: ArrayLike,
    participants: ArrayLike,
    straggler: ArrayLike,
) -> Array:
    """t = (V/BW_up + V/BW_down + 2·⌈log2 n⌉·RTT)·f(n), 0 for n ≤ 1: a pipelined reduce then
    broadcast over a binary tree."""
    n = np.asarray(participants, float)
    transfer = up_and_down_s(volume_bits, upload_bit_per_s, download_bit_per_s)
    levels = np.ceil(np.log2(np.maximum(n, 1.0)))
    t = (transfer + 2.0 * levels * np.asarray(latency_s, float)) * np.asarray(straggler, float)
    return np.where(n <= 1.0, 0.0, t)


def traffic_share(collective: ArrayLike, participants: ArrayLike) -> Array:
    """The share of 2V (one upload and one download of the pseudo-gradient) each participant
    moves in one synchronisation under ``network.collective`` (given as its code): (n−1)/n for
    the ring all-reduce, 1 for the parameter server and the tree (variants.md §6)."""
    n = np.asarray(participants, float)
    return np.where(np.asarray(collective) == COLLECTIVES.code("ring"), (n - 1.0) / n, 1.0)


def bytes_per_sync(volume_bits: ArrayLike, collective: ArrayLike, participants: ArrayLike) -> Array:
    """``comm_gb_per_sync`` in bytes: 2·V/8 per node per synchronisation (one upload and one
    download of the pseudo-gradient, V = P·bits/C_r), × (n−1)/n under the ring all-reduce
    (variants.md §9.4, §16; ``traffic_share``)."""
    return 2.0 * np.asarray(volume_bits, float) / BITS_PER_BYTE * traffic_share(collective, participants)


def sync_time_s(
    volume_bits: ArrayLike, bandwidth_bit_per_s: ArrayLike, latency_s: ArrayLike, straggler: ArrayLike
) -> Array:
    """``t_sync = (2·V/BW + RTT) · f``: the seed collective over a symmetric link (model.md §2.1)."""
    return parameter_server_sync_s(volume_bits, bandwidth_bit_per_s, bandwidth_bit_per_s, latency_s, 2.0, straggler)


def min_inner_steps(sync_s: ArrayLike, step_s: ArrayLike) -> Array:
    """``H_min = max(1, ceil(t_sync / t_step))``: the fewest inner steps whose compute hides one
    streaming synchronisation, keeping the run compute-bound (model.md §2.1; seed 002 §4.1)."""
    return np.maximum(1.0, np.ceil(np.asarray(sync_s, float) / np.asarray(step_s, float)))


def duty_cycle(compute_block_s: ArrayLike, sync_s: ArrayLike) -> Array:
    """``u = block / max(block, t_sync)``: share of wall time spent computing when a block of
    inner steps overlaps one synchronisation (model.md §2.4 step 4; 1 with automatic H)."""
    block = np.asarray(compute_block_s, float)
    return block / np.maximum(block, np.asarray(sync_s, float))
