"""From a strategy's schedule to the run's outcome, for every strategy alike: the outer step
(streaming or blocking), tokens and compute in budget or time-to-train mode, the efficiency
factors, the Chinchilla efficiency (with the replica loss where it applies), c_local, c_quality,
cost and the reported keys.

Spec ``model.md`` §2.2-§2.4, §2.8, §2.10; ``variants.md`` §2, §9, §10, §11.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.inputs import Inputs
from dtsim.physics.compute import (
    bandwidth_duty_cycle,
    compute_utilization,
    threshold_multiple,
    time_to_train_s,
    tokens_in_budget,
    training_flop,
)
from dtsim.physics.efficiency import (
    REPLICA_PENALTIES,
    algorithmic_efficiency,
    eta_sync_interval,
    local_equivalent_flop,
    replica_loss_exponent,
    replica_loss_multiplier,
)
from dtsim.physics.hardware import is_registered, run_cost_usd
from dtsim.physics.memory import fits_in_memory
from dtsim.physics.reliability import BLOCK_KEYS, reliability_block
from dtsim.physics.scaling_law import chinchilla_efficiency, overtraining_ratio, quality_adjusted_flop
from dtsim.strategies._common import Refusal, Schedule
from dtsim.units import BILLION, DAY_S, GB

__all__ = [
    "Outcome",
    "blocking_outer_step_s",
    "failure_window_s",
    "outcome",
    "outer_step_s",
    "reliability_outcome",
    "streaming_outer_step_s",
]

Array = NDArray[np.float64]
Columns = dict[str, np.ndarray]

_LOSS_MULTIPLIER = REPLICA_PENALTIES.code("loss-multiplier")

#: Smallest model the scaling laws are used for (the schema's lower bound on model.params).
MIN_PARAMS = 1e6


def streaming_outer_step_s(compute_block_s: ArrayLike, sync_block_s: ArrayLike) -> Array:
    """t_out = max(W, X): streaming DiLoCo overlaps one outer step's synchronisation with the
    next compute block (model.md §2.4; variants.md §9.2)."""
    return np.maximum(np.asarray(compute_block_s, float), np.asarray(sync_block_s, float))


def blocking_outer_step_s(compute_block_s: ArrayLike, sync_block_s: ArrayLike) -> Array:
    """t_out = W + X: blocking DiLoCo waits for the synchronisation before the next block
    (Douillard et al., arXiv 2311.08105; variants.md §9.2)."""
    return np.asarray(compute_block_s, float) + np.asarray(sync_block_s, float)


@dataclass(frozen=True)
class Outcome:
    """Every quantity of the outcome (for ``explain``), the result columns and the refusals."""

    outer_step_s: Array
    compute_utilization: Array
    tokens: Array
    c_actual: Array
    alpha: Array
    eta_h: Array
    eta_compression: Array
    replica_loss_exponent: Array
    replica_loss_multiplier: Array
    chi_overtraining: Array
    chi_full: Array
    eta_replicas: Array
    eta_mitigation: Array
    eta: Array
    eta_chinchilla: Array
    c_local: Array
    c_quality: Array
    columns: Columns
    refusals: tuple[Refusal, ...]


def outcome(inp: Inputs, sched: Schedule) -> Outcome:
    """The result columns of one strategy's batch (interface.md and variants.md result keys)."""
    n = len(inp)
    single = sched.single
    law = inp.scaling_law
    outer_s = outer_step_s(inp, sched)
    utilization = compute_utilization(sched.compute_s, outer_s)
    ttt = inp.time_to_train
    if ttt.any():
        tokens = np.where(ttt, inp.tokens_target, tokens_in_budget(inp.budget_s, outer_s, sched.tokens_per_outer_step))
        wall_s = np.where(ttt, time_to_train_s(inp.tokens_target, sched.tokens_per_outer_step, outer_s), inp.budget_s)
    else:
        tokens = tokens_in_budget(inp.budget_s, outer_s, sched.tokens_per_outer_step)
        wall_s = inp.budget_s
    reliability = reliability_outcome(inp, sched, np.where(ttt, wall_s, inp.budget_s))
    if reliability is not None:
        # Goodput scales the work done before the Chinchilla efficiency sees it (reliability.md
        # §10.1); in time-to-train mode it stretches the wall time instead (§10.2).
        gamma = np.where(inp.reliability, reliability["goodput"], 1.0)
        tokens = np.where(ttt, tokens, tokens * gamma)
        wall_s = np.where(ttt & inp.reliability, wall_s / gamma, wall_s)
    c_actual = training_flop(sched.params_compute, tokens, inp.flop_per_param_token)

    params_b = sched.params_sync / BILLION
    size_term = 1.0 + np.log10(params_b) / inp.sync_penalty_size_scale
    alpha = inp.sync_penalty_base / size_term
    eta_h = np.where(
        single,
        1.0,
        eta_sync_interval(
            sched.effective_inner_steps,
            sched.params_sync,
            inp.sync_penalty_base,
            inp.sync_penalty_size_scale,
            inp.sync_penalty_floor,
        ),
    )
    eta_compression = np.where(single, 1.0, inp.pseudo_gradient_quality)

    chi_ot = chinchilla_efficiency(sched.params_compute, tokens, c_actual, 1.0, law)
    uses_loss = inp.replica_penalty == _LOSS_MULTIPLIER
    if uses_loss.any():
        beta = replica_loss_exponent(
            sched.params_sync,
            sched.effective_inner_steps,
            inp.replica_loss_coefficient,
            inp.replica_loss_exponent,
            inp.replica_loss_reference_h,
            inp.replica_h_scaling,
        )
        m = np.where(
            uses_loss & ~single,
            replica_loss_multiplier(sched.replicas, sched.effective_inner_steps, beta, inp.replica_h_scaling),
            1.0,
        )
        penalised = m != 1.0
        chi_full = (
            np.where(penalised, chinchilla_efficiency(sched.params_compute, tokens, c_actual, m, law), chi_ot)
            if penalised.any()
            else chi_ot
        )
        beta = np.where(uses_loss, beta, np.nan)
    else:
        beta = np.broadcast_to(np.nan, (n,))
        m = np.ones(n)
        chi_full = chi_ot
    eta_replicas = REPLICA_PENALTIES.evaluate(
        inp.replica_penalty,
        replicas=np.where(single, 1.0, sched.replicas),
        params=sched.params_sync,
        slope=inp.replica_slope,
        cap_b=inp.replica_cap_b,
        min_b=inp.replica_min_b,
        floor=inp.replica_floor,
        chi_full=chi_full,
        chi_overtraining=chi_ot,
    )
    fold_chi = uses_loss & inp.replica_fold_chi
    eta_replicas = np.where(fold_chi, 1.0, eta_replicas)
    exempt = single & ~inp.single_node_chinchilla_computed
    eta_chin = np.where(exempt, 1.0, np.where(fold_chi, chi_full, chi_ot))
    eta_mitigation = (
        np.ones(n) if reliability is None else np.where(inp.reliability, reliability["eta_mitigation"], 1.0)
    )
    eta = algorithmic_efficiency(eta_h, eta_compression, eta_replicas, sched.eta_activation, eta_mitigation)
    c_local = local_equivalent_flop(c_actual, eta)
    c_quality = quality_adjusted_flop(c_local, eta_chin)
    cost_multiplier = 1.0 if reliability is None else np.where(inp.reliability, reliability["cost_multiplier"], 1.0)
    cost_usd = run_cost_usd(inp.nodes, inp.node_cost_usd, cost_multiplier)

    flat = sched.flat
    columns: Columns = {
        "nodes": inp.nodes,
        "gpus": inp.nodes * inp.gpus_per_node,
        "cost_usd": cost_usd,
        "h100_equivalents_per_node": inp.h100_equivalents_per_node,
        "registered": is_registered(inp.h100_equivalents_per_node, inp.registration_threshold_h100_eq),
        "node_pflops": inp.node_pflops,
        "node_memory_gb": inp.node_memory_bytes / GB,
        "params": inp.params,
        "active_params": inp.active_params,
        "step_compute_s": sched.step_compute_s,
        "sync_s": sched.sync_s,
        "straggler_factor": sched.straggler_factor,
        "inner_steps": sched.inner_steps,
        "eta": eta,
        "eta_h": eta_h,
        "eta_compression": eta_compression,
        "eta_replicas": eta_replicas,
        "eta_activation": sched.eta_activation,
        "c_actual": c_actual,
        "c_local": c_local,
        "eta_chinchilla": eta_chin,
        "c_quality": c_quality,
        "tokens": tokens,
        "overtraining_ratio": overtraining_ratio(tokens, sched.params_compute, inp.tokens_per_param),
        "strict_threshold_multiple": threshold_multiple(c_local, inp.strict_threshold_flop),
        "wall_clock_days": wall_s / DAY_S,
        "communication_bound": sched.communication_bound,
        "pp_stages": sched.pp_stages,
        "groups": sched.groups,
        "bubble_fraction": sched.bubble_fraction,
        "inner_steps_regional": sched.inner_steps_regional,
        "regional_syncs_per_global": sched.regional_syncs_per_global,
        "ep_overhead": sched.ep_overhead,
        "memory_per_node_gb": sched.memory_per_node_bytes / GB,
        "fits_in_memory": fits_in_memory(sched.memory_per_node_bytes, inp.node_memory_bytes),
        "replica_loss_multiplier": m,
        "compute_utilization": utilization,
        "bw_duty_cycle": np.where(flat, bandwidth_duty_cycle(sched.sync_block_s, outer_s), np.nan),
        "comm_gb_per_sync": np.where(flat, sched.comm_bytes_per_sync / GB, np.nan),
        **(_reliability_off(n) if reliability is None else _reliability_columns(inp, reliability)),
    }
    budget_short = ~ttt & (inp.budget_s < outer_s)
    no_goodput = (
        np.zeros(n, dtype=bool)
        if reliability is None
        else inp.reliability & (np.asarray(reliability["goodput"], dtype=float) <= 0.0)
    )
    refusals = (
        Refusal(
            no_goodput,
            "reliability.mitigation",
            "goodput is 0: failures and checkpoints consume the whole run",
            lambda i: (
                f"goodput γ = 0 under {reliability['mitigation'][i] if reliability is not None else ''} at "
                f"{inp.nodes[i] * np.nan_to_num(inp.gpus_per_node[i], nan=1.0):,.0f} GPUs (cluster MTBF "
                f"{reliability['cluster_mtbf_hours'][i] if reliability is not None else np.nan:.3g} h): failures "
                "and checkpoints consume the whole run"
            ),
            "use checkpoint_elastic or a non-blocking mitigation (relay, threshold, async), lower "
            "reliability.failure_rate_per_gpu_hour or reliability.recovery_s, or cheaper checkpoints "
            "(reliability.checkpoint.mode: async, a larger bandwidth_gb_per_s)",
        ),
        Refusal(
            inp.params < MIN_PARAMS,
            "hardware.node_memory_gb",
            "the largest model that fits the node is too small",
            lambda i: f"the largest model that fits the node has {inp.params[i]:.3g} parameters (fewer than 1e6)",
            "give the node more memory, or set model.params",
        ),
        Refusal(
            size_term <= 0.0,
            "efficiency.sync_penalty.size_scale",
            "the sync-interval penalty is undefined for this model size",
            lambda i: (
                f"1 + log10(P_B)/size_scale = {size_term[i]:.3g} is not positive for a "
                f"{sched.params_sync[i]:.3g}-parameter model"
            ),
            "use a larger size_scale or a larger model",
        ),
        Refusal(
            budget_short,
            "training.days",
            "not one outer step completes in the budget",
            lambda i: (
                f"not one outer step completes in the budget: one takes {outer_s[i] / DAY_S:.4g} days "
                f"(synchronisation {sched.sync_block_s[i] / DAY_S:.4g} days) but the run has "
                f"{inp.budget_s[i] / DAY_S:.4g} days"
            ),
            "give the run more days, or more bandwidth, or a smaller model",
        ),
    )
    return Outcome(
        outer_step_s=outer_s,
        compute_utilization=utilization,
        tokens=tokens,
        c_actual=c_actual,
        alpha=alpha,
        eta_h=eta_h,
        eta_compression=eta_compression,
        replica_loss_exponent=beta,
        replica_loss_multiplier=m,
        chi_overtraining=chi_ot,
        chi_full=chi_full,
        eta_replicas=eta_replicas,
        eta_mitigation=eta_mitigation,
        eta=eta,
        eta_chinchilla=eta_chin,
        c_local=c_local,
        c_quality=c_quality,
        columns=columns,
        refusals=refusals,
    )


#: The reliability block's numeric result keys (reliability.md §9, all but ``mitigation``):
#: null while the layer is off.
RELIABILITY_KEYS = tuple(key for key in BLOCK_KEYS if key != "mitigation")


def _reliability_off(n: int) -> Columns:
    nan = np.broadcast_to(np.nan, (n,))
    return {"mitigation": np.broadcast_to(np.array([None], dtype=object), (n,)), **dict.fromkeys(RELIABILITY_KEYS, nan)}


def outer_step_s(inp: Inputs, sched: Schedule) -> Array:
    """Each point's outer step: streaming or blocking (variants.md §9.2)."""
    return np.where(
        inp.streaming,
        streaming_outer_step_s(sched.compute_block_s, sched.sync_block_s),
        blocking_outer_step_s(sched.compute_block_s, sched.sync_block_s),
    )


def failure_window_s(inp: Inputs, sched: Schedule) -> Array:
    """The window of the reliability layer: the budget, or in time-to-train mode the failure-free
    wall time T⁰ (reliability.md §10.2-§10.3)."""
    ttt = inp.time_to_train
    if not ttt.any():
        return inp.budget_s
    free_s = time_to_train_s(inp.tokens_target, sched.tokens_per_outer_step, outer_step_s(inp, sched))
    return np.where(ttt, free_s, inp.budget_s)


def reliability_outcome(inp: Inputs, sched: Schedule, window_s: Array) -> dict[str, NDArray[np.generic]] | None:
    """The reliability block where the layer is on (None when it is off everywhere): failures,
    goodput, checkpoints over the window (the budget, or the failure-free wall time in
    time-to-train mode), reliability.md §9-§10."""
    if not inp.reliability.any():
        return None
    return reliability_block(
        nodes=inp.nodes,
        gpus_per_node=np.where(np.isnan(inp.gpus_per_node), 1.0, inp.gpus_per_node),
        node_memory_bytes=inp.node_memory_bytes,
        state_params=sched.checkpoint_params,
        bytes_per_param=inp.bytes_per_param,
        window_s=window_s,
        tail_participants=sched.tail_participants,
        node_state_params=sched.node_state_params,
        mitigation=inp.mitigation,
        model=inp.reliability_model,
        failure_rate_per_gpu_hour=inp.failure_rate_per_gpu_hour,
        recovery_s=inp.recovery_s,
        checkpoint_mode=inp.checkpoint_mode,
        checkpoint_bandwidth_bytes_per_s=inp.checkpoint_bandwidth_bytes_per_s,
        checkpoint_write_s=inp.checkpoint_write_s,
        peer_replicas=inp.checkpoint_peer_replicas,
        fail_slow_fraction=inp.fail_slow_fraction,
        fail_slow_severity=inp.fail_slow_severity,
        backup_fraction=inp.backup_fraction,
    )


def _reliability_columns(inp: Inputs, block: dict[str, NDArray[np.generic]]) -> Columns:
    """The block's result keys where the layer is on, null where it is off."""
    on = inp.reliability
    mitigation = np.empty(len(on), dtype=object)
    mitigation[on] = block["mitigation"][on]
    columns: Columns = {"mitigation": mitigation}
    for key in RELIABILITY_KEYS:
        columns[key] = np.where(on, np.asarray(block[key], dtype=float), np.nan)
    return columns
