"""The public API is pinned."""

from __future__ import annotations

import dtsim
from conftest import RELIABILITY_RESULT_KEYS
from dtsim.result import RESULT_KEYS


def test_public_names() -> None:
    assert sorted(dtsim.__all__) == sorted(
        [
            "Batch",
            "DtsimError",
            "InfeasibleError",
            "Result",
            "Scenario",
            "ScenarioError",
            "analyze",
            "load_scenarios",
            "simulate",
            "simulate_many",
            "sweep",
            "iter_sweep",
            "sweep_to_file",
            "uncertainty",
            "UncertaintyResult",
        ]
    )


def test_result_keys_are_the_contract() -> None:
    contract = {
        "name",
        "strategy",
        "nodes",
        "gpus",
        "cost_usd",
        "h100_equivalents_per_node",
        "params",
        "active_params",
        "step_compute_s",
        "sync_s",
        "straggler_factor",
        "inner_steps",
        "eta",
        "eta_h",
        "eta_compression",
        "eta_replicas",
        "eta_activation",
        "c_actual",
        "c_local",
        "eta_chinchilla",
        "c_quality",
        "tokens",
        "overtraining_ratio",
        "strict_threshold_multiple",
        "wall_clock_days",
        "bottleneck",
        "pp_stages",
        "groups",
        "bubble_fraction",
        "inner_steps_regional",
        "regional_syncs_per_global",
        "ep_overhead",
        "node_pflops",
        "node_memory_gb",
        "memory_per_node_gb",
        "fits_in_memory",
    }
    variants = {"replica_loss_multiplier", "compute_utilization", "bw_duty_cycle", "comm_gb_per_sync"}  # §16
    reliability = set(RELIABILITY_RESULT_KEYS)  # reliability.md §9
    assert set(RESULT_KEYS) == contract | variants | reliability | {"registered"}


def test_error_family() -> None:
    assert issubclass(dtsim.ScenarioError, dtsim.DtsimError) and issubclass(dtsim.ScenarioError, ValueError)
    assert issubclass(dtsim.InfeasibleError, dtsim.DtsimError)
