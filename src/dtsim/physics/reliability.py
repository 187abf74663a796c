"""Reliability: random hardware failures, fail-slow stragglers, seven mitigation strategies,
three checkpoint modes, the Young/Daly checkpoint interval, goodput, a quality penalty and a
hardware-cost multiplier.

Every formula is spec ``reliability.md`` (section numbers below refer to it). The model is
that of the reference calculator's ``reliability_model()``; its calibration anchors are the
Llama 3 405B failure log (Dubey et al., arXiv 2407.21783, §3.3.4: λ ≈ 2e-5 per GPU-hour), the
ByteDance straggler trace (Lin et al., arXiv 2505.05713: fail-slow fraction 0.10, severity
0.60), Decoupled DiLoCo (arXiv 2604.21428: 88 % goodput under heavy churn), synchronous SGD
with backup workers (Chen et al., arXiv 1604.00981: 5 % spares) and the optimum checkpoint
interval (Young, CACM 17(9), 1974; Daly, FGCS 22(3), 2006).

Categorical inputs travel as small integer codes (indices into ``MITIGATIONS``,
``CHECKPOINT_MODES`` and ``RELIABILITY_MODELS``), so that one batch of arrays can mix
strategies. Hours are the model's time unit (the spec writes every equation in hours); inputs
in seconds are converted with ``dtsim.units.HOUR_S``.

The reference model has known defects (spec §17). They are the default (``reference``); the
``corrected`` model fixes D1 (node downtime from the node's failure rate), D2 (checkpoint
state of one node, not of a whole replica, for pipeline and expert parallelism), D3 (the exact
goodput of restarting from scratch) and D5 (no mitigation penalty or spare on a single node).
Each correction is its own small function.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.errors import ScenarioError
from dtsim.physics.memory import moe_memory_per_node_bytes
from dtsim.units import DAY_S, GB, HOUR_S

__all__ = [
    "ASYNC_ETA",
    "ASYNC_EXPOSED_SHARE",
    "ASYNC_GOODPUT_FLOOR",
    "BACKUP_TAIL_SHARE",
    "BLOCK_KEYS",
    "CHECKPOINT_MODES",
    "DEFAULTS",
    "GPU_MEMORY_EXPOSED_SHARE",
    "MITIGATIONS",
    "RELAY_TAIL_SHARE",
    "RELIABILITY_MODELS",
    "SEVERITY_FLOOR",
    "TAIL_COEFFICIENT",
    "THRESHOLD_ETA",
    "backup_fraction_corrected",
    "block_arguments",
    "checkpoint_cost_s",
    "checkpoint_state_bytes",
    "cluster_failure_rate_per_hour",
    "cluster_mtbf_hours",
    "codes",
    "cost_multiplier",
    "eta_mitigation",
    "eta_mitigation_corrected",
    "expert_parallel_node_state_params",
    "fail_slow_excess",
    "flat_settings",
    "goodput",
    "goodput_async",
    "goodput_backup_workers",
    "goodput_checkpoint_elastic",
    "goodput_non_blocking",
    "goodput_none",
    "goodput_none_exact",
    "goodput_synchronous",
    "gpu_memory_checkpoint_feasible",
    "lost_fraction",
    "node_unavailability",
    "node_unavailability_from_node_rate",
    "pipeline_node_state_params",
    "raw_checkpoint_cost_s",
    "reliability_block",
    "tail_factor",
    "total_gpus",
    "young_daly_interval_hours",
]

#: Mitigation strategies (spec §2, §7); an array of mitigations holds indices into this tuple.
MITIGATIONS: tuple[str, ...] = (
    "none",
    "synchronous",
    "threshold",
    "relay",
    "async",
    "backup_workers",
    "checkpoint_elastic",
)
#: Checkpoint modes (spec §4.2); arrays hold indices into this tuple.
CHECKPOINT_MODES: tuple[str, ...] = ("sync", "async", "gpu_memory")
#: ``reliability.model``: the reference model with its defects, or the corrected one (spec §17).
RELIABILITY_MODELS: tuple[str, ...] = ("reference", "corrected")

_NONE, _SYNCHRONOUS, _THRESHOLD, _RELAY, _ASYNC, _BACKUP_WORKERS, _CHECKPOINT_ELASTIC = range(len(MITIGATIONS))
_SYNC_MODE, _ASYNC_MODE, _GPU_MEMORY_MODE = range(len(CHECKPOINT_MODES))
_CORRECTED = RELIABILITY_MODELS.index("corrected")

#: a0: the tail coefficient, calibrated so that the default fail-slow settings (fraction 0.10,
#: severity 0.60) give the seed straggler 1 + 0.05·log2 n (spec §2 constants): 0.75.
TAIL_COEFFICIENT = 0.05 / (0.10 * (1.0 / 0.60 - 1.0))
#: Share of the synchronous tail left under ``relay`` (1 + 0.02·log2 n at default fail-slow).
RELAY_TAIL_SHARE = 0.40
#: Share of the synchronous tail left under ``backup_workers`` (1 + 0.015·log2 n).
BACKUP_TAIL_SHARE = 0.30
#: Floor of the fail-slow severity inside 1/max(floor, s_s).
SEVERITY_FLOOR = 1e-6
#: Share of the checkpoint write time that stalls training in ``async`` mode (98 % overlapped).
ASYNC_EXPOSED_SHARE = 0.02
#: Share left exposed in ``gpu_memory`` mode when the peer replicas fit in spare HBM.
GPU_MEMORY_EXPOSED_SHARE = 0.005
#: Quality multiplier of ``threshold`` (dropped-token staleness; the seed's ÷1.15).
THRESHOLD_ETA = 0.85
#: Quality multiplier of ``async`` (gradient staleness; Decoupled DiLoCo, arXiv 2604.21428).
ASYNC_ETA = 0.97
#: Goodput of ``async`` under very high failure rates tends to this value minus p_down
#: (Decoupled DiLoCo: 88 % against 27 % for data-parallel training).
ASYNC_GOODPUT_FLOOR = 0.88

#: Share of the full synchronous tail each mitigation keeps, indexed by mitigation code (§3.1).
_TAIL_SHARE = np.array([1.0, 1.0, 0.0, RELAY_TAIL_SHARE, 0.0, BACKUP_TAIL_SHARE, 1.0])
#: eta_mitigation by mitigation code (§8).
_ETA_MITIGATION = np.array([1.0, 1.0, THRESHOLD_ETA, 1.0, ASYNC_ETA, 1.0, 1.0])
#: Exposed share of the write time by checkpoint mode code, ``gpu_memory`` when feasible (§4.2).
_EXPOSED_SHARE = np.array([1.0, ASYNC_EXPOSED_SHARE, GPU_MEMORY_EXPOSED_SHARE])

#: Defaults of the ``reliability`` scenario section (spec §2; ``reliability: {}`` means these).
DEFAULTS: dict[str, object] = {
    "model": "reference",
    "mitigation": "relay",
    "failure_rate_per_gpu_hour": 2.0e-5,
    "recovery_s": 600.0,
    "checkpoint.mode": "async",
    "checkpoint.bandwidth_gb_per_s": 3.0,
    "checkpoint.write_s": None,
    "checkpoint.peer_replicas": 4,
    "fail_slow.fraction": 0.10,
    "fail_slow.severity": 0.60,
    "backup_fraction": 0.05,
}

#: The result keys of the reliability block (spec §9), in the spec's order.
BLOCK_KEYS: tuple[str, ...] = (
    "mitigation",
    "goodput",
    "time_inflation",
    "eta_mitigation",
    "cost_multiplier",
    "cluster_mtbf_hours",
    "cluster_failures_per_day",
    "expected_failures",
    "gpu_hours_lost",
    "node_unavailability",
    "checkpoint_interval_hours",
    "checkpoint_cost_s",
    "gpu_memory_checkpoint_feasible",
)


def codes(field: str, names: str | Sequence[str], table: Sequence[str]) -> NDArray[np.int64]:
    """Integer codes (indices into ``table``) of categorical values, for the array core.

    Raises ScenarioError naming ``field`` for a value not in ``table``.
    """
    values = [names] if isinstance(names, str) else list(names)
    out = []
    for value in values:
        if value not in table:
            raise ScenarioError(field, value, "one of " + ", ".join(table))
        out.append(table.index(value))
    return np.asarray(out, dtype=np.int64)


def flat_settings(section: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``reliability`` section of one scenario (nested as in the scenario file) with
    ``DEFAULTS`` for the keys it omits, as flat dotted keys (``checkpoint.mode``)."""
    flat: dict[str, Any] = dict(DEFAULTS)
    for key, value in (section or {}).items():
        if isinstance(value, Mapping):
            flat.update({f"{key}.{inner}": v for inner, v in value.items()})
        else:
            flat[key] = value
    return flat


def block_arguments(section: Mapping[str, Any] | None = None) -> dict[str, NDArray[np.generic]]:
    """The ``reliability`` section of one scenario (nested as in the scenario file, omitted keys
    taking ``DEFAULTS``) as ``reliability_block`` keyword arguments in core units: names as
    codes, GB/s as bytes/s, a null ``write_s`` as NaN. ScenarioError names a field whose
    categorical value is unknown (range checks belong to the scenario schema)."""
    flat = flat_settings(section)
    write_s = flat["checkpoint.write_s"]
    return {
        "model": codes("reliability.model", flat["model"], RELIABILITY_MODELS)[0],
        "mitigation": codes("reliability.mitigation", flat["mitigation"], MITIGATIONS)[0],
        "failure_rate_per_gpu_hour": np.float64(flat["failure_rate_per_gpu_hour"]),
        "recovery_s": np.float64(flat["recovery_s"]),
        "checkpoint_mode": codes("reliability.checkpoint.mode", flat["checkpoint.mode"], CHECKPOINT_MODES)[0],
        "checkpoint_bandwidth_bytes_per_s": np.float64(flat["checkpoint.bandwidth_gb_per_s"] * GB),
        "checkpoint_write_s": np.float64(np.nan if write_s is None else write_s),
        "peer_replicas": np.float64(flat["checkpoint.peer_replicas"]),
        "fail_slow_fraction": np.float64(flat["fail_slow.fraction"]),
        "fail_slow_severity": np.float64(flat["fail_slow.severity"]),
        "backup_fraction": np.float64(flat["backup_fraction"]),
    }


def _f(x: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(x, dtype=float)


def _i(x: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(x, dtype=np.int64)


def _reciprocal_or_null(x: ArrayLike) -> NDArray[np.float64]:
    """1/x where x > 0 and 1/x is finite; NaN (reported as null) elsewhere (spec §9: infinite
    values are null). A subnormal x, whose reciprocal overflows, gives NaN without a warning."""
    v = _f(x)
    with np.errstate(over="ignore"):
        out = np.divide(1.0, v, out=np.full(v.shape, np.inf), where=v > 0)
    return np.where(np.isfinite(out), out, np.nan)


# ── §3 The sync tail of fail-slow nodes ───────────────────────────────────────────────────


def fail_slow_excess(participants: ArrayLike, fraction: ArrayLike, severity: ArrayLike) -> NDArray[np.float64]:
    """base(n) = a0 · p_s · (1/max(1e-6, s_s) − 1) · log2 n for n > 1, and 0 for n ≤ 1: the
    extra time of one synchronisation among n participants when a fraction p_s of them run at
    speed s_s (spec §3.1). The expected delay of the slowest of n workers grows as log2 n
    (Chen et al., arXiv 1604.00981); p_s and s_s come from the ByteDance trace (arXiv 2505.05713).
    a0 = 0.75 makes the default 0.10/0.60 give 0.05·log2 n, the seed straggler."""
    n = _f(participants)
    slowdown = 1.0 / np.maximum(SEVERITY_FLOOR, _f(severity)) - 1.0
    return np.where(n > 1.0, TAIL_COEFFICIENT * _f(fraction) * slowdown * np.log2(np.maximum(n, 1.0)), 0.0)


def tail_factor(
    participants: ArrayLike, mitigation: ArrayLike, fraction: ArrayLike, severity: ArrayLike
) -> NDArray[np.float64]:
    """f_tail(n) = 1 + k · base(n), with k = 1 for ``none``, ``synchronous`` and
    ``checkpoint_elastic`` (the full tail), 0.40 for ``relay``, 0.30 for ``backup_workers`` and
    0 for the non-blocking ``threshold`` and ``async`` (spec §3.1). f_tail ≥ 1; f_tail = 1 at
    n ≤ 1, at severity 1 and at fraction 0. At the defaults: 1 + 0.05·log2 n (full),
    1 + 0.02·log2 n (relay), 1 + 0.015·log2 n (backup); f_tail(72, relay) = 1.1233985."""
    return 1.0 + _TAIL_SHARE[_i(mitigation)] * fail_slow_excess(participants, fraction, severity)


# ── §4 Checkpoint state and cost ──────────────────────────────────────────────────────────


def checkpoint_state_bytes(state_params: ArrayLike, bytes_per_param: ArrayLike) -> NDArray[np.float64]:
    """S_B = P_s · β: training state of one checkpoint, bytes (spec §4.1; 250B at fp16 = 4e12 B)."""
    return _f(state_params) * _f(bytes_per_param)


def raw_checkpoint_cost_s(
    state_bytes: ArrayLike, bandwidth_bytes_per_s: ArrayLike, write_s: ArrayLike = np.nan
) -> NDArray[np.float64]:
    """Raw write time of one checkpoint, c_raw = S_B / BW_ck seconds, or the override
    ``write_s`` where it is given (not NaN) (spec §4.1; 4e12 B at 3 GB/s = 1,333.33 s)."""
    state = _f(state_bytes)
    bandwidth = _f(bandwidth_bytes_per_s)
    override = _f(write_s)
    derived = np.divide(
        state, bandwidth, out=np.full(np.broadcast(state, bandwidth).shape, np.inf), where=bandwidth > 0
    )
    return np.where(np.isnan(override), derived, override)


def gpu_memory_checkpoint_feasible(
    node_memory_bytes: ArrayLike,
    node_state_bytes: ArrayLike,
    replica_state_bytes: ArrayLike,
    peer_replicas: ArrayLike,
    nodes: ArrayLike,
) -> NDArray[np.bool_]:
    """GPU-memory (peer-replica) checkpointing fits when the HBM a node has left after its own
    state holds its share of M copies of the replica state:
    ``M_node − S_node ≥ M · S_B / max(1, N)`` (spec §4.2; Epoch AI, "Hardware failures won't
    limit AI scaling", M = 4). The reference passes S_node = S_B, so a model that fills the
    node is never feasible; for dense models the test is P ≤ P_max·N/(N + M)."""
    free = _f(node_memory_bytes) - _f(node_state_bytes)
    return free >= _f(peer_replicas) * _f(replica_state_bytes) / np.maximum(1.0, _f(nodes))


def checkpoint_cost_s(write_s: ArrayLike, mode: ArrayLike, feasible: ArrayLike) -> NDArray[np.float64]:
    """Effective checkpoint cost c, the part of one write that stalls training, seconds:
    0.02·c_raw (``async``, 98 % overlapped with compute), 0.005·c_raw (``gpu_memory`` when
    feasible), c_raw (``sync``, or ``gpu_memory`` when the peer copies do not fit: the fall-back
    is the full synchronous cost, not async) (spec §4.2)."""
    m = _i(mode)
    share = np.where((m == _GPU_MEMORY_MODE) & ~np.asarray(feasible, bool), 1.0, _EXPOSED_SHARE[m])
    return share * _f(write_s)


# ── §5 Failure statistics ─────────────────────────────────────────────────────────────────


def total_gpus(nodes: ArrayLike, gpus_per_node: ArrayLike) -> NDArray[np.float64]:
    """G = max(1, N · n_g): every accelerator of the run, pipeline stages and expert shards
    included (spec §1, §10.3)."""
    return np.maximum(1.0, _f(nodes) * _f(gpus_per_node))


def cluster_failure_rate_per_hour(gpus: ArrayLike, failure_rate_per_gpu_hour: ArrayLike) -> NDArray[np.float64]:
    """R = G · λ failures per hour (spec §5; 3,600 GPUs at λ = 2e-5: 0.072/h). λ = 2e-5 is the
    Llama 3 405B log: 419 unexpected interruptions on 16,384 H100 in 54 days (arXiv 2407.21783)."""
    return _f(gpus) * _f(failure_rate_per_gpu_hour)


def cluster_mtbf_hours(cluster_rate_per_hour: ArrayLike) -> NDArray[np.float64]:
    """MTBF = 1/R hours, NaN (null) where R = 0 (spec §5, §9; 3,600 GPUs: 13.889 h)."""
    return _reciprocal_or_null(cluster_rate_per_hour)


def node_unavailability(failure_rate_per_gpu_hour: ArrayLike, recovery_s: ArrayLike) -> NDArray[np.float64]:
    """Reference p_down = 1 − exp(−λ·r), evaluated as −expm1(−λ·r): the fraction of time a node
    is down, with λ the per-GPU rate (spec §5; defaults: 3.3333278e-6). This takes the per-GPU
    rate as the node's rate (defect D1, §17); see ``node_unavailability_from_node_rate``."""
    return -np.expm1(-_f(failure_rate_per_gpu_hour) * _f(recovery_s) / HOUR_S)


def node_unavailability_from_node_rate(
    failure_rate_per_gpu_hour: ArrayLike, gpus_per_node: ArrayLike, recovery_s: ArrayLike
) -> NDArray[np.float64]:
    """Corrected p_down = 1 − exp(−n_g·λ·r) (fixes spec §17 D1).

    A node of n_g accelerators fails at n_g·λ, not at the per-GPU rate λ that the reference
    uses, so the reference understates the downtime of relay, threshold, backup, elastic and
    async by the factor n_g (50 for the 50-A100 node). Defaults, 50 GPUs: 1.66528e-4."""
    rate = _f(gpus_per_node) * _f(failure_rate_per_gpu_hour)
    return -np.expm1(-rate * _f(recovery_s) / HOUR_S)


# ── §6 Young/Daly ─────────────────────────────────────────────────────────────────────────


def young_daly_interval_hours(cost_hours: ArrayLike, cluster_rate_per_hour: ArrayLike) -> NDArray[np.float64]:
    """t* = sqrt(2c/R) hours, the checkpoint interval minimising c/t + R·t/2 (Young 1974;
    Daly 2006; spec §6). Infinite where R ≤ 0 or c ≤ 0 (no checkpoints worth taking).
    E2: c = 26.667 s, R = 0.072/h → 0.4536092 h."""
    c = _f(cost_hours)
    rate = _f(cluster_rate_per_hour)
    shape = np.broadcast(c, rate).shape
    ok = (rate > 0) & (c > 0)
    # sqrt(2c)/sqrt(R) rather than sqrt(2c/R): no overflow for a subnormal R.
    return np.divide(
        np.sqrt(2.0 * np.maximum(c, 0.0)), np.sqrt(np.maximum(rate, 0.0)), out=np.full(shape, np.inf), where=ok
    )


def lost_fraction(
    cost_hours: ArrayLike, cluster_rate_per_hour: ArrayLike, recovery_hours: ArrayLike, full_recovery: ArrayLike
) -> NDArray[np.float64]:
    """Lost-time fraction at the Young/Daly interval, with its branches in order (spec §6):

    1. R ≤ 0: L = 0.
    2. c ≤ 0: L = R·r, whatever ``full_recovery`` says (the reference's D4).
    3. otherwise L* = c/t* + R·(t*/2 + r_full) = sqrt(2cR) + R·r_full, with r_full = r when a
       failure stalls the whole cluster (``full_recovery``) and 0 when only the failed node stops.

    E2: c = 0.0074074 h, R = 0.072/h, r = 1/6 h, full recovery → 0.0446599."""
    c = _f(cost_hours)
    rate = _f(cluster_rate_per_hour)
    recovery = _f(recovery_hours)
    r_full = np.where(np.asarray(full_recovery, bool), recovery, 0.0)
    closed = np.sqrt(2.0 * np.maximum(c, 0.0) * np.maximum(rate, 0.0)) + rate * r_full
    return np.where(rate <= 0, 0.0, np.where(c <= 0, rate * recovery, closed))


# ── §7 Goodput per strategy ───────────────────────────────────────────────────────────────


def goodput_none(cluster_rate_per_hour: ArrayLike, window_hours: ArrayLike) -> NDArray[np.float64]:
    """Reference ``none``: γ = 1/(1 + R·T/2). No checkpoints: each failure restarts the run from
    scratch and costs half the window on average (spec §7; the linearised form, defect D3).
    E3: R = 0.072/h, T = 13,149 h → 1/474.364 = 0.0021081."""
    return 1.0 / (1.0 + _f(cluster_rate_per_hour) * _f(window_hours) / 2.0)


def goodput_none_exact(cluster_rate_per_hour: ArrayLike, window_hours: ArrayLike) -> NDArray[np.float64]:
    """Corrected ``none``: γ = R·T / (e^{R·T} − 1) (fixes spec §17 D3).

    A run of length T that restarts from scratch on every failure (a Poisson process of rate R)
    needs on average (e^{R·T} − 1)/R of wall time; γ = T over that. The reference uses the
    first-order form 1/(1 + R·T/2), which is far too kind once R·T ≳ 1. Computed as
    x·e^{−x} / (−expm1(−x)) with x = R·T: exact near 0 (γ → 1 − x/2), no overflow for huge x
    (γ underflows to 0 beyond x ≈ 745, e.g. every default anchor at 3,600 GPUs or more).
    γ = 1 at R·T = 0."""
    x = _f(cluster_rate_per_hour) * _f(window_hours)
    positive = x > 0
    denominator = -np.expm1(-np.where(positive, x, 1.0))
    return np.divide(x * np.exp(-x), denominator, out=np.ones(x.shape), where=positive)


def goodput_synchronous(
    cost_hours: ArrayLike, cluster_rate_per_hour: ArrayLike, recovery_hours: ArrayLike
) -> NDArray[np.float64]:
    """``synchronous``: γ = max(0, 1 − [sqrt(2cR) + R·r]). Checkpoints every t*, and each failure
    stalls all G GPUs for r and loses half an interval (spec §7; Young 1974, Daly 2006).
    E2: 0.9553401."""
    return np.maximum(0.0, 1.0 - lost_fraction(cost_hours, cluster_rate_per_hour, recovery_hours, True))


def goodput_checkpoint_elastic(
    cost_hours: ArrayLike, cluster_rate_per_hour: ArrayLike, recovery_hours: ArrayLike, p_down: ArrayLike
) -> NDArray[np.float64]:
    """``checkpoint_elastic``: γ = max(0, 1 − sqrt(2cR) − p_down). Checkpoints bound the lost
    work; only the failed node rejoins, so there is no cluster-wide stall (spec §7). E2: 0.9673368."""
    lost = lost_fraction(cost_hours, cluster_rate_per_hour, recovery_hours, False)
    return np.maximum(0.0, 1.0 - lost - _f(p_down))


def goodput_non_blocking(p_down: ArrayLike) -> NDArray[np.float64]:
    """``relay`` and ``threshold``: γ = 1 − p_down. Aggregation does not wait for failed nodes;
    only the nodes under recovery are lost (spec §7). E1: 0.99999666667."""
    return 1.0 - _f(p_down)


def goodput_backup_workers(p_down: ArrayLike, backup_fraction: ArrayLike) -> NDArray[np.float64]:
    """``backup_workers``: γ = 1 − max(0, p_down − b). b spare nodes absorb the unavailability
    up to their budget (spec §7; Chen et al., arXiv 1604.00981: ~5 % spares). E7: 0.9862857."""
    return 1.0 - np.maximum(0.0, _f(p_down) - _f(backup_fraction))


def goodput_async(
    p_down: ArrayLike, cluster_rate_per_hour: ArrayLike, recovery_hours: ArrayLike
) -> NDArray[np.float64]:
    """``async`` (quorum-asynchronous, Decoupled DiLoCo, arXiv 2604.21428):
    γ = max(0, 1 − p_down − (1 − 0.88)·(1 − e^{−R·r})). The churn term is the probability that
    a failure falls in a recovery window; as R·r grows, γ tends to 0.88 − p_down, the paper's
    88 % under high failure rates (spec §7). E2: churn 1 − e^{−0.012}, γ = 0.9985653.

    The clip at 0 is dtsim's: the reference goes negative when p_down > 0.88, i.e. λ·r ≳ 2.1
    (reference) or n_g·λ·r ≳ 2.1 (corrected), far outside any measured fleet."""
    churn = -np.expm1(-_f(cluster_rate_per_hour) * _f(recovery_hours))
    return np.maximum(0.0, 1.0 - _f(p_down) - (1.0 - ASYNC_GOODPUT_FLOOR) * churn)


def goodput(
    mitigation: ArrayLike,
    *,
    cluster_rate_per_hour: ArrayLike,
    window_hours: ArrayLike,
    cost_hours: ArrayLike,
    recovery_hours: ArrayLike,
    p_down: ArrayLike,
    backup_fraction: ArrayLike,
    exact_none: ArrayLike = False,
) -> NDArray[np.float64]:
    """γ by mitigation code, each element with its own strategy (spec §7): the goodput functions
    above chosen with ``np.select``. Every branch is finite for every valid input (R ≥ 0, c ≥ 0),
    so nothing NaN or infinite can leak. ``exact_none`` selects ``goodput_none_exact`` (D3)."""
    m = _i(mitigation)
    rate = _f(cluster_rate_per_hour)
    none = np.where(
        np.asarray(exact_none, bool), goodput_none_exact(rate, window_hours), goodput_none(rate, window_hours)
    )
    non_blocking = goodput_non_blocking(p_down)
    return np.select(
        [
            m == _NONE,
            m == _SYNCHRONOUS,
            m == _CHECKPOINT_ELASTIC,
            (m == _RELAY) | (m == _THRESHOLD),
            m == _BACKUP_WORKERS,
            m == _ASYNC,
        ],
        [
            none,
            goodput_synchronous(cost_hours, rate, recovery_hours),
            goodput_checkpoint_elastic(cost_hours, rate, recovery_hours, p_down),
            non_blocking,
            goodput_backup_workers(p_down, backup_fraction),
            goodput_async(p_down, rate, recovery_hours),
        ],
        np.nan,
    )


# ── §8 Quality penalty and cost multiplier ────────────────────────────────────────────────


def eta_mitigation(mitigation: ArrayLike) -> NDArray[np.float64]:
    """Quality multiplier of the mitigation: 0.85 for ``threshold`` (dropped-token staleness),
    0.97 for ``async`` (gradient staleness), 1 otherwise (spec §8). Applied also at N = 1 by the
    reference (D5); see ``eta_mitigation_corrected``."""
    return _ETA_MITIGATION[_i(mitigation)]


def eta_mitigation_corrected(mitigation: ArrayLike, nodes: ArrayLike) -> NDArray[np.float64]:
    """Corrected eta_mitigation: 1 at N ≤ 1 (fixes spec §17 D5).

    The threshold and async penalties come from aggregating stale or partial updates of many
    nodes; a single node aggregates nothing, and dtsim's convention is eta = 1 at N = 1."""
    return np.where(_f(nodes) > 1.0, eta_mitigation(mitigation), 1.0)


def backup_fraction_corrected(backup_fraction: ArrayLike, nodes: ArrayLike) -> NDArray[np.float64]:
    """Corrected backup budget: b at N > 1, 0 at N ≤ 1 (fixes spec §17 D5).

    A fraction b of one node is not a spare node: a single-node run buys no spare, so it pays
    no extra cost and has no spare to absorb its downtime (γ = 1 − p_down)."""
    return np.where(_f(nodes) > 1.0, _f(backup_fraction), 0.0)


def cost_multiplier(mitigation: ArrayLike, backup_fraction: ArrayLike) -> NDArray[np.float64]:
    """Hardware-cost multiplier: 1 + b for ``backup_workers`` (the spares are paid for, but they
    neither fail nor count in G), 1 otherwise (spec §8; Chen et al., arXiv 1604.00981)."""
    return np.where(_i(mitigation) == _BACKUP_WORKERS, 1.0 + _f(backup_fraction), 1.0)


# ── §17 D2: the checkpoint state one node holds ───────────────────────────────────────────


def pipeline_node_state_params(params: ArrayLike, stages: ArrayLike) -> NDArray[np.float64]:
    """Corrected checkpoint state of a pipeline node: P/S parameters (fixes spec §17 D2).

    A pp-diloco node holds one of S stages; every node writes its own stage in parallel, so the
    write time is that of 1/S of the model, not of the whole replica over one node's link as the
    reference assumes. E9: 405B over 11 stages → 36.8B parameters, 589 GB at fp16."""
    return _f(params) / _f(stages)


def expert_parallel_node_state_params(
    total_params: ArrayLike, active_params: ArrayLike, nodes: ArrayLike
) -> NDArray[np.float64]:
    """Corrected checkpoint state of an expert-parallel node: P_active + (P_total − P_active)/N
    parameters, what one node holds (fixes spec §17 D2; model.md §2.7). The reference
    checkpoints P_total through one node's link, and its GPU-memory test compares P_total with
    one node's memory, so ``gpu_memory`` is mostly infeasible for MoE."""
    return moe_memory_per_node_bytes(total_params, active_params, nodes, 1.0)


# ── §9 The block ──────────────────────────────────────────────────────────────────────────


def reliability_block(
    *,
    nodes: ArrayLike,
    gpus_per_node: ArrayLike,
    node_memory_bytes: ArrayLike,
    state_params: ArrayLike,
    bytes_per_param: ArrayLike,
    window_s: ArrayLike,
    tail_participants: ArrayLike,
    node_state_params: ArrayLike | None = None,
    mitigation: ArrayLike = _RELAY,
    model: ArrayLike = 0,
    failure_rate_per_gpu_hour: ArrayLike = 2.0e-5,
    recovery_s: ArrayLike = 600.0,
    checkpoint_mode: ArrayLike = _ASYNC_MODE,
    checkpoint_bandwidth_bytes_per_s: ArrayLike = 3.0e9,
    checkpoint_write_s: ArrayLike = np.nan,
    peer_replicas: ArrayLike = 4,
    fail_slow_fraction: ArrayLike = 0.10,
    fail_slow_severity: ArrayLike = 0.60,
    backup_fraction: ArrayLike = 0.05,
) -> dict[str, NDArray[np.generic]]:
    """The reliability block of spec §9 for a batch of scenarios (every argument broadcasts).

    Returns the 13 keys of ``BLOCK_KEYS`` plus ``gpus`` (G = max(1, N·n_g)) and
    ``straggler_factor`` (f_tail(n_t)), which ``analyze("reliability")`` reports with them.
    Nulls are NaN: ``time_inflation`` where γ = 0, ``cluster_mtbf_hours`` where R = 0,
    ``checkpoint_interval_hours`` for strategies other than ``synchronous`` and
    ``checkpoint_elastic`` and where R = 0. ``mitigation`` is the strategy's name,
    ``gpu_memory_checkpoint_feasible`` a boolean array.

    Inputs (core units; defaults are the spec's, §2):
      nodes N, gpus_per_node n_g, node_memory_bytes M_node;
      state_params P_s, the replica state the reference checkpoints (§4.1, §10.3): P for diloco,
        hierarchical and pp-diloco (the full model), P_total for moe-ep;
      node_state_params, the state one node holds (used by the ``corrected`` model only, D2):
        P for diloco and hierarchical, ``pipeline_node_state_params(P, S)`` for pp-diloco,
        ``expert_parallel_node_state_params(P_total, P_active, N)`` for moe-ep; default P_s;
      bytes_per_param β (16 fp16, 14 fp8);
      window_s T: the budget (``training.days``) in budget mode, the failure-free wall time T⁰
        in time-to-train mode (§10.2, §10.3);
      tail_participants n_t: N for diloco, moe-ep and the hierarchical fallback (G < 2);
        G = ⌊N/k⌋ for hierarchical; G = ⌊N/S⌋ for pp-diloco (§3.2);
      mitigation (code into MITIGATIONS), model (code into RELIABILITY_MODELS), checkpoint_mode
        (code into CHECKPOINT_MODES), checkpoint_write_s (NaN = derived from the bandwidth),
        and the other ``reliability`` values.

    ``model`` = corrected (code 1) applies D1 (p_down from n_g·λ), D2 (c_raw and the node's free
    memory from ``node_state_params``; the peer copies still hold the replica state), D3 (exact
    ``none``) and D5 (no threshold/async penalty, no spare and no spare cost at N = 1).

    E1 (50×A100, N = 72, 250B, 547.875 days, relay): goodput 0.99999666667, MTBF 13.889 h,
    GPU-hours lost 157.788, checkpoint_cost_s 26.667.
    """
    n = _f(nodes)
    corrected = _i(model) == _CORRECTED
    m = _i(mitigation)
    gpus = total_gpus(n, gpus_per_node)
    window_h = _f(window_s) / HOUR_S
    recovery_h = _f(recovery_s) / HOUR_S
    rate = cluster_failure_rate_per_hour(gpus, failure_rate_per_gpu_hour)

    p_down = np.where(
        corrected,
        node_unavailability_from_node_rate(failure_rate_per_gpu_hour, gpus_per_node, recovery_s),
        node_unavailability(failure_rate_per_gpu_hour, recovery_s),
    )

    replica_bytes = checkpoint_state_bytes(state_params, bytes_per_param)
    node_params = state_params if node_state_params is None else node_state_params
    node_bytes = np.where(corrected, checkpoint_state_bytes(node_params, bytes_per_param), replica_bytes)
    feasible = gpu_memory_checkpoint_feasible(node_memory_bytes, node_bytes, replica_bytes, peer_replicas, n)
    cost_s = checkpoint_cost_s(
        raw_checkpoint_cost_s(node_bytes, checkpoint_bandwidth_bytes_per_s, checkpoint_write_s),
        checkpoint_mode,
        feasible,
    )
    cost_h = cost_s / HOUR_S

    backup = np.where(corrected, backup_fraction_corrected(backup_fraction, n), _f(backup_fraction))
    gamma = goodput(
        m,
        cluster_rate_per_hour=rate,
        window_hours=window_h,
        cost_hours=cost_h,
        recovery_hours=recovery_h,
        p_down=p_down,
        backup_fraction=backup,
        exact_none=corrected,
    )
    eta = np.where(corrected, eta_mitigation_corrected(m, n), eta_mitigation(m))
    interval = young_daly_interval_hours(cost_h, rate)
    uses_interval = ((m == _SYNCHRONOUS) | (m == _CHECKPOINT_ELASTIC)) & np.isfinite(interval)

    out: dict[str, NDArray[np.generic]] = {
        "mitigation": np.asarray(MITIGATIONS)[m],
        "goodput": gamma,
        "time_inflation": _reciprocal_or_null(gamma),
        "eta_mitigation": eta,
        "cost_multiplier": cost_multiplier(m, backup),
        "cluster_mtbf_hours": cluster_mtbf_hours(rate),
        "cluster_failures_per_day": DAY_S / HOUR_S * rate,
        "expected_failures": rate * window_h,
        "gpu_hours_lost": gpus * window_h * (1.0 - gamma),
        "node_unavailability": p_down,
        "checkpoint_interval_hours": np.where(uses_interval, interval, np.nan),
        "checkpoint_cost_s": cost_s,
        "gpu_memory_checkpoint_feasible": feasible,
        "gpus": gpus,
        "straggler_factor": tail_factor(tail_participants, m, fail_slow_fraction, fail_slow_severity),
    }
    shape = np.broadcast_shapes(*(v.shape for v in out.values()))
    return {key: np.broadcast_to(value, shape).copy() for key, value in out.items()}
