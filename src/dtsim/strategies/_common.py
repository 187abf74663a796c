"""What every strategy hands to the physics: its ``Schedule`` (timing and structure of one outer
step), and the refusals it makes. Strategies describe the schedule; the efficiency factors,
compute, quality and cost follow from it once, for all strategies (``dtsim.physics.outcome``).

Every strategy alternates a compute block W of inner steps with one outer (WAN)
synchronisation X; K is the pure compute inside W and Q the tokens per outer step
(variants.md §9.1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.inputs import Inputs
from dtsim.physics.network import COLLECTIVES, STRAGGLERS
from dtsim.physics.reliability import tail_factor

__all__ = ["Refusal", "Schedule", "constant", "regional_sync", "tier_straggler", "wan_sync"]

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]


@dataclass(frozen=True)
class Refusal:
    """Points the physics refuses: where, which field to change, the problem in general
    (``summary``, for a sweep's ``infeasible_reason`` column) and at one point (``problem``, a
    text or a function of the point's index), and what to do instead."""

    where: Mask
    field: str
    summary: str
    problem: str | Callable[[int], str]
    guidance: str

    def text(self, i: int) -> str:
        """The problem at point i."""
        return self.problem(i) if callable(self.problem) else self.problem

    @property
    def reason(self) -> str:
        """One line for the ``infeasible_reason`` column: field and problem."""
        return f"{self.field}: {self.summary}; {self.guidance}"


@dataclass(frozen=True)
class Schedule:
    """One strategy's schedule for a batch (arrays of length n; NaN where a key does not apply)."""

    # Structure the physics needs
    params_sync: Array  # P whose pseudo-gradients are averaged: alpha(P), β0(P), volume
    params_compute: Array  # P_c: FLOP per token (active parameters for MoE)
    replicas: Array  # R of the replica penalty
    effective_inner_steps: Array  # the H of η_H and of β (H_eff for hierarchical)
    single: Mask  # one node: no synchronisation, η = 1 (model.md §2.9)
    # The outer step (variants.md §9.1)
    compute_block_s: Array  # W
    sync_block_s: Array  # X
    compute_s: Array  # K
    tokens_per_outer_step: Array  # Q
    communication_bound: Mask
    # Reported timing and structure
    step_compute_s: Array
    sync_s: Array
    straggler_factor: Array
    inner_steps: Array
    pp_stages: Array
    groups: Array
    bubble_fraction: Array
    memory_per_node_bytes: Array
    eta_activation: Array
    inner_steps_regional: Array
    regional_syncs_per_global: Array
    ep_overhead: Array
    flat: Mask  # flat DiLoCo (or its fallback): bw_duty_cycle and comm_gb_per_sync apply
    comm_bytes_per_sync: Array
    # The reliability layer (reliability.md §10.3)
    tail_participants: Array  # n_t
    checkpoint_params: Array  # P_s of the reference model
    node_state_params: Array  # parameters one node holds (the corrected model's checkpoint)
    refusals: tuple[Refusal, ...] = field(default=())

    def merge(self, other: Schedule, where: Mask) -> Schedule:
        """This schedule with ``other``'s values at the points ``where`` (and both refusals). A key
        that is the same array in both, or the same broadcast value, is not merged point by point."""
        merged: dict[str, Any] = {}
        everywhere = bool(where.all())
        for f in fields(self):
            if f.name == "refusals":
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if (mine is theirs or everywhere or _same_constant(mine, theirs)) and theirs.dtype == mine.dtype:
                # what np.where would give, without its pass over the mask: a contiguous array
                merged[f.name] = theirs if theirs.strides == (theirs.itemsize,) else theirs.copy()
            else:
                merged[f.name] = np.where(where, theirs, mine)
        restricted = tuple(replace(r, where=r.where & where) for r in other.refusals)
        return Schedule(**merged, refusals=self.refusals + restricted)


def _same_constant(a: np.ndarray, b: np.ndarray) -> bool:
    """Both are broadcast views (stride 0) of one and the same value, of the same type."""
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and a.ndim == 1
        and len(a) > 1
        and a.strides[0] == 0
        and b.strides[0] == 0
        and (a[0] == b[0] or (a[0] != a[0] and b[0] != b[0]))
    )


def constant(value: float, n: int) -> Array:
    """n copies of one value as a zero-copy broadcast view (a key that does not apply); the
    view is read-only, so one is kept per (value, n)."""
    return _constant(float(value), n)


@functools.lru_cache(maxsize=256)
def _constant(value: float, n: int) -> Array:
    return np.broadcast_to(np.float64(value), (n,))


def tier_straggler(inp: Inputs, participants: Array) -> Array:
    """f(n) of one tier under the scenario's straggler model (variants.md §7); with the reliability
    layer on, its fail-slow tail replaces it on every tier (reliability.md §3.2)."""
    f = STRAGGLERS.evaluate(inp.straggler, participants=participants, per_doubling=inp.straggler_per_doubling)
    if inp.reliability.any():
        tail = tail_factor(participants, inp.mitigation, inp.fail_slow_fraction, inp.fail_slow_severity)
        f = np.where(inp.reliability, tail, f)
    return np.where(np.asarray(participants) <= 1.0, 1.0, f)


def _tier_sync(
    inp: Inputs, volume_bits: Array, participants: Array, up: Array, down: Array, latency: Array
) -> tuple[Array, Array]:
    """(t, f) of one synchronisation among ``participants`` over one tier's links, through the
    scenario's collective (variants.md §6)."""
    f = tier_straggler(inp, participants)
    t = COLLECTIVES.evaluate(
        inp.collective,
        volume_bits=volume_bits,
        upload_bit_per_s=up,
        download_bit_per_s=down,
        latency_s=latency,
        participants=participants,
        straggler=f,
    )
    return t, f


def wan_sync(inp: Inputs, volume_bits: Array, participants: Array) -> tuple[Array, Array]:
    """(t_sync, f) of one synchronisation among ``participants`` over the WAN (variants.md §5-§6)."""
    return _tier_sync(
        inp, volume_bits, participants, inp.wan_upload_bit_per_s, inp.wan_download_bit_per_s, inp.wan_latency_s
    )


def regional_sync(inp: Inputs, volume_bits: Array, participants: Array) -> tuple[Array, Array]:
    """(t_reg, f) of one synchronisation inside a regional group (symmetric regional link)."""
    bandwidth = inp.regional_bandwidth_bit_per_s
    return _tier_sync(inp, volume_bits, participants, bandwidth, bandwidth, inp.regional_latency_s)
