"""Named analyses: typed results and arguments, the registry, the exact smallest-node search,
cheapest_config and the analyses under variants (variants.md §8, §11.2, §13)."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dtsim
from conftest import RELIABILITY_RESULT_KEYS, A100x48, H100x16fp8, flat
from dtsim.analyses import (
    ANALYSES,
    AnalysisResult,
    CheapestWinner,
    cheapest_config,
    chinchilla_optimal,
    collateral_count,
    compression_quality,
    describe_analyses,
    model_size_sweep,
    nodes_for_target,
)
from dtsim.analyses.smallest import Probes, premise_for, regime, smallest_reaching
from dtsim.montecarlo.analysis import NodesForTarget
from dtsim.scenario import parse_scenario

REVISED = {"physics": "revised"}

# --------------------------------------------------------------------------------------------
# Seed analyses (model.md §3)


def test_nodes_for_target_is_the_smallest() -> None:
    base = {"strategy": "diloco", "hardware": A100x48}
    out = nodes_for_target(base, 1e25)
    assert out.nodes == 42 and out.reached
    assert dtsim.simulate({**base, "nodes": 41}).c_local < 1e25 <= dtsim.simulate({**base, "nodes": 42}).c_local
    assert out.cost_usd == 42 * 720_000
    assert nodes_for_target(base, 1e23).nodes == 1


def test_nodes_for_target_unreachable() -> None:
    out = nodes_for_target({"hardware": A100x48}, 1e40)
    assert out.reached is False and out.nodes is None
    assert out.to_dict() == {
        "target": 1e40,
        "metric": "c_local",
        "reached": False,
        "nodes": None,
        "gpus": None,
        "cost_usd": None,
        "c_actual": None,
        "c_local": None,
        "c_quality": None,
        "params": None,
    }


def test_model_size_sweep_reports_every_candidate() -> None:
    out = model_size_sweep(flat(H100x16fp8, 2000))
    assert len(out.candidates) == 12
    assert out.winner.c_quality == max(c.c_quality for c in out.candidates)
    assert out.winner.pp_stages == 6 and out.winner.groups == 333
    assert out.gain_vs_best_dense == pytest.approx(5.58, abs=0.005)


def test_model_size_sweep_drops_candidates_with_too_few_groups() -> None:
    out = model_size_sweep(flat(A100x48, 9))
    stages = [c.pp_stages for c in out.candidates if c.strategy == "pp-diloco"]
    assert stages and max(stages) <= 4  # 9 nodes: at most 4 stages leave 2 groups


def test_chinchilla_optimal_sizes_in_the_sweep_header() -> None:
    assert model_size_sweep(flat(A100x48, 500)).chinchilla_optimal_params == pytest.approx(961e9, rel=1e-3)
    assert model_size_sweep(flat(A100x48, 4000)).chinchilla_optimal_params == pytest.approx(2717e9, rel=1e-3)


def test_collateral_lists_systems() -> None:
    out = dtsim.analyze("collateral_count", threshold_h100_eq=4)
    assert out["count"] == 4 and "DGX H100 (8x H100 SXM)" in out["systems"]
    assert dtsim.analyze("collateral_count", memory_limit_gb=256)["count"] == 10


def test_node_spec_of_fp8_node() -> None:
    spec = dtsim.analyze("node_spec", hardware=H100x16fp8)
    assert spec["node_pflops"] == pytest.approx(31.68)
    assert spec["node_pflops_fp16"] == pytest.approx(15.84)
    assert spec["h100_equivalents"] == pytest.approx(16.0)
    assert spec["max_params"] == pytest.approx(91.428571e9, rel=1e-6)


def test_max_training_duration_without_treaty() -> None:
    out = dtsim.analyze("max_training_duration", growth_oom_per_year=1.16)
    assert out["months"] == pytest.approx(4.49, abs=0.005)


def test_ratio_of_two_scenarios() -> None:
    out = dtsim.analyze("ratio", key="c_local", numerator=flat(A100x48, 72), denominator=flat(A100x48, 36))
    assert out["numerator"] == dtsim.simulate(flat(A100x48, 72)).c_local
    assert out["ratio"] == pytest.approx(out["numerator"] / out["denominator"], rel=1e-15)


# --------------------------------------------------------------------------------------------
# Typed results, arguments and the registry

#: One valid call of every analysis (the keys its result must have are today's keys).
CALLS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "nodes_for_target": (
        {"scenario": {"hardware": A100x48}, "target": 1e25},
        ("target", "metric", "reached", "nodes", "gpus", "cost_usd", "c_actual", "c_local", "c_quality", "params"),
    ),
    "model_size_sweep": (
        {"scenario": flat(A100x48, 72)},
        (
            "objective",
            "nodes",
            "max_single_node_params",
            "chinchilla_optimal_params",
            "winner",
            "best_dense",
            "gain_vs_best_dense",
            "candidates",
        ),
    ),
    "cheapest_config": (
        {"scenario": REVISED, "target": 1e24, "max_nodes": 64},
        ("target", "metric", "search", "max_nodes", "families", "winner", "options"),
    ),
    "max_gpus_under_threshold": (
        {"gpu": "A100-80GB", "threshold_h100_eq": 8},
        (
            "gpu",
            "threshold_h100_eq",
            "memory_limit_gb",
            "gpus_per_node",
            "node_pflops_fp16",
            "node_memory_gb",
            "max_params",
            "h100_equivalents",
            "node_cost_usd",
        ),
    ),
    "node_spec": (
        {"hardware": A100x48},
        (
            "precision",
            "gpus_per_node",
            "node_pflops_fp16",
            "node_pflops",
            "node_memory_gb",
            "max_params",
            "h100_equivalents",
            "node_cost_usd",
        ),
    ),
    "collateral_count": (
        {"threshold_h100_eq": 2},
        ("threshold_h100_eq", "memory_limit_gb", "count", "total", "systems"),
    ),
    "compression_quality": (
        {"kind": "pseudo_gradient", "ratio": 16},
        ("kind", "ratio", "optimistic", "expected", "conservative"),
    ),
    "chinchilla_optimal": ({"c_flop": 1.536e24}, ("c_flop", "params", "tokens", "loss")),
    "max_training_duration": (
        {"growth_oom_per_year": 0.29},
        ("growth_oom_per_year", "years", "days", "months"),
    ),
    "ratio": (
        {"key": "c_local", "numerator": flat(A100x48, 72), "denominator": flat(A100x48, 36)},
        ("key", "numerator", "denominator", "ratio"),
    ),
    "reliability": (
        {"scenario": {"physics": "revised", "nodes": 64}},
        (*RELIABILITY_RESULT_KEYS, "gpus", "straggler_factor"),
    ),
    "mitigation_table": ({"scenario": {"physics": "revised", "nodes": 64}}, ("rows",)),
    "bandwidth_for_utilization": (
        {"scenario": {"nodes": 72, "training": {"streaming": False, "inner_steps": 200}}},
        ("name", "targets", "low_mbps", "high_mbps"),
    ),
    "paper_tables": (
        {"table": "latency", "hardware_options": [H100x16fp8], "size_grid": [91e9, 160e9], "group_sizes": [8]},
        ("table", "search", "rows", "markdown"),
    ),
}


def test_every_analysis_is_exercised() -> None:
    assert list(CALLS) == list(ANALYSES)


@pytest.mark.parametrize("name", list(CALLS))
def test_results_are_frozen_dataclasses_with_exactly_their_keys(name: str) -> None:
    args, keys = CALLS[name]
    result = ANALYSES[name].function(**args)
    assert isinstance(result, AnalysisResult) and dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.__setattr__(keys[0], None)
    data = result.to_dict()
    assert tuple(data) == keys
    assert json.loads(json.dumps(data)) == data  # JSON-serialisable, nothing lost
    assert dtsim.analyze(name, **args) == data


def test_nested_results_are_dataclasses_and_serialise() -> None:
    sweep_result = model_size_sweep(flat(A100x48, 500))
    assert isinstance(sweep_result.winner, dtsim.Result)
    assert sweep_result.to_dict()["winner"] == sweep_result.winner.to_dict()
    assert sweep_result.to_dict()["candidates"][0] == sweep_result.candidates[0].to_dict()
    cheapest = cheapest_config(REVISED, 1e24, max_nodes=64)
    assert isinstance(cheapest.winner, CheapestWinner)
    assert cheapest.to_dict()["winner"] == cheapest.winner.to_dict()


def test_numpy_scalars_are_accepted() -> None:
    base = {"hardware": A100x48}
    assert nodes_for_target(base, np.float64(1e25), max_nodes=np.int64(100)).nodes == 42
    assert nodes_for_target(base, np.float32(1e25)).nodes == 42
    assert chinchilla_optimal(np.int64(1_536_000_000_000_000_000)).params == pytest.approx(1e8, rel=1e-12)
    assert (
        dtsim.analyze("max_gpus_under_threshold", gpu="A100-80GB", threshold_h100_eq=np.int64(8))["gpus_per_node"] == 25
    )
    assert compression_quality("pseudo_gradient", np.float64(16)).expected == pytest.approx(0.98, rel=1e-12)


@pytest.mark.parametrize(
    ("name", "args", "field"),
    [
        ("nope", {}, "analysis"),
        ("chinchilla_optimal", {"c_flop": -1}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": True}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": np.bool_(True)}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": math.nan}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": math.inf}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": 10**400}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": "1e24"}, "c_flop"),
        ("chinchilla_optimal", {"c_flop": 1e24, "scaling_law": {"E": -1}}, "scaling_law.E"),
        ("chinchilla_optimal", {"c_flop": 1e24, "scaling_law": {"gamma": 1}}, "scaling_law.gamma"),
        ("chinchilla_optimal", {"c_flop": 1e24, "scaling_law": 3}, "scaling_law"),
        ("compression_quality", {"kind": "weights", "ratio": 4}, "kind"),
        ("compression_quality", {"kind": "activation", "ratio": 4, "table": "error-feedback"}, "table"),
        ("max_gpus_under_threshold", {"gpu": "TPU"}, "gpu"),
        ("nodes_for_target", {"scenario": {"hardware": A100x48}, "target": 1e24, "metric": "speed"}, "metric"),
        ("nodes_for_target", {"scenario": {"hardware": A100x48}, "target": 1e24, "max_nodes": 0}, "max_nodes"),
        ("nodes_for_target", {"scenario": {"hardware": A100x48}, "target": 1e24, "max_nodes": 2.5}, "max_nodes"),
        ("nodes_for_target", {"scenario": {"nodes": -3}, "target": 1e24}, "scenario.nodes"),
        (
            "nodes_for_target",
            {"scenario": {"network": {"wan": {"speed": 1}}}, "target": 1e24},
            "scenario.network.wan.speed",
        ),
        ("nodes_for_target", {"scenario": [1], "target": 1e24}, "scenario"),
        (
            "nodes_for_target",
            {
                "scenario": {"strategy": "moe-ep", "model": {"total_params": 6e11, "active_params": 1e11}},
                "target": 1e24,
            },
            "scenario.strategy",
        ),
        ("model_size_sweep", {"scenario": flat(A100x48, 72), "dense_fractions": []}, "dense_fractions"),
        ("model_size_sweep", {"scenario": flat(A100x48, 72), "pp_multiples": [2, math.nan]}, "pp_multiples"),
        ("cheapest_config", {"scenario": REVISED, "target": 1e25, "search": "greedy"}, "search"),
        ("cheapest_config", {"scenario": REVISED, "target": 1e25, "metric": "c_actual"}, "metric"),
        ("cheapest_config", {"scenario": REVISED, "target": 1e25, "max_nodes": 1}, "max_nodes"),
        ("cheapest_config", {"scenario": REVISED, "target": 1e25, "families": "grid"}, "families"),
        ("cheapest_config", {"scenario": REVISED, "target": 1e25, "size_grid": [1e11]}, "size_grid"),
        ("collateral_count", {}, "threshold_h100_eq"),
        ("collateral_count", {"threshold_h100_eq": 4, "systems": "all"}, "systems"),
        ("collateral_count", {"threshold_h100_eq": 4, "physics": "new"}, "physics"),
        ("node_spec", {"hardware": {"preset": "Z"}}, "hardware.preset"),
        ("ratio", {"key": "strategy", "numerator": flat(A100x48, 2), "denominator": flat(A100x48, 1)}, "key"),
        ("chinchilla_optimal", {"flop": 1}, "chinchilla_optimal arguments"),
        ("chinchilla_optimal", {}, "chinchilla_optimal arguments"),
    ],
)
def test_analysis_refusals(name: str, args: dict[str, Any], field: str) -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        dtsim.analyze(name, **args)
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_unknown_and_missing_arguments_name_them_and_the_allowed_ones() -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        dtsim.analyze("nodes_for_target", scenario={}, targets=1e25, metrik="c_local")
    text = str(info.value)
    assert "unknown arguments targets, metrik" in text and "missing argument target" in text
    assert "allowed: scenario, target, metric, max_nodes" in text


def test_registry_reads_signatures_and_docstrings() -> None:
    for name, entry in ANALYSES.items():
        parameters = inspect.signature(entry.function).parameters
        assert [a.name for a in entry.arguments] == list(parameters), name
        assert entry.summary and entry.summary.endswith(".")
        for argument in entry.arguments:
            assert argument.meaning, (name, argument.name)
            default = parameters[argument.name].default
            assert argument.required == (default is inspect.Parameter.empty)
        assert [r.name for r in entry.result] == list(CALLS[name][1])
        assert all(r.meaning for r in entry.result), name
    described = describe_analyses()
    assert json.loads(json.dumps(described)) == described
    cheapest = next(d for d in described if d["name"] == "cheapest_config")
    assert cheapest["summary"] == ANALYSES["cheapest_config"].summary
    assert cheapest["description"].startswith("Every candidate runs on the scenario's node with its physics;")
    assert "Args" not in cheapest["description"] and "\n" not in cheapest["description"]
    by_name = {d["name"]: {a["name"]: a for a in d["arguments"]} for d in described}
    assert by_name["cheapest_config"]["search"] == {
        "name": "search",
        "type": "exhaustive | bisection",
        "kind": "choice",
        "choices": ["exhaustive", "bisection"],
        "default": None,
        "required": False,
        "nullable": True,
        "meaning": by_name["cheapest_config"]["search"]["meaning"],
    }
    assert by_name["nodes_for_target"]["scenario"]["kind"] == "scenario"
    assert (
        by_name["nodes_for_target"]["target"]["kind"] == "number" and by_name["nodes_for_target"]["target"]["required"]
    )
    assert by_name["model_size_sweep"]["dense_fractions"]["default"] == [0.25, 0.5, 0.75, 1.0]
    assert by_name["model_size_sweep"]["dense_fractions"]["kind"] == "numbers"
    assert by_name["collateral_count"]["memory_limit_gb"]["nullable"] is True
    assert "A100-80GB" in by_name["max_gpus_under_threshold"]["gpu"]["choices"]
    assert by_name["chinchilla_optimal"]["scaling_law"]["kind"] == "scaling_law"
    assert by_name["node_spec"]["hardware"]["kind"] == "hardware"


# --------------------------------------------------------------------------------------------
# The analyses under variants (variants.md §8, §11.2, §13.2)


@pytest.mark.parametrize(
    ("systems", "physics", "compute", "memory", "total"),
    [
        ("seed", None, [0, 0, 4, 7, 11], [0, 0, 6, 10], 14),
        ("revised", None, [0, 0, 4, 9, 14], [0, 0, 6, 11], 17),
        (None, "revised", [0, 0, 4, 9, 14], [0, 0, 6, 11], 17),
        (None, None, [0, 0, 4, 7, 11], [0, 0, 6, 10], 14),
        ("seed", "revised", [0, 0, 4, 7, 11], [0, 0, 6, 10], 14),
    ],
)
def test_collateral_counts_per_system_list(
    systems: str | None, physics: str | None, compute: list[int], memory: list[int], total: int
) -> None:
    counts = [collateral_count(t, systems=systems, physics=physics) for t in (16, 8, 4, 2, 1)]  # type: ignore[arg-type]
    assert [c.count for c in counts] == compute and {c.total for c in counts} == {total}
    by_memory = [collateral_count(memory_limit_gb=m, systems=systems, physics=physics) for m in (2048, 1024, 512, 256)]  # type: ignore[arg-type]
    assert [c.count for c in by_memory] == memory


def test_revised_systems_are_the_seed_ones_and_three_more() -> None:
    seed = collateral_count(0, systems="seed").systems
    revised = collateral_count(0, systems="revised").systems
    assert revised[:14] == seed
    assert revised[14:] == (
        "Huawei Atlas 900 node (8x Ascend 910B)",
        "Google Cloud TPU v4 slice (8 chips)",
        "Google Cloud TPU v5e slice (8 chips)",
    )


def test_chinchilla_optimal_with_its_own_scaling_law() -> None:
    seed = chinchilla_optimal(1.536e24)
    assert seed.params == pytest.approx(100e9, rel=1e-12) and seed.tokens == pytest.approx(2.56e12, rel=1e-12)
    assert chinchilla_optimal(1.536e24, scaling_law={}) == seed
    law = chinchilla_optimal(1.2e24, scaling_law={"tokens_per_param": 20})
    assert law.params == pytest.approx(math.sqrt(1.2e24 / 120), rel=1e-12)
    assert law.tokens == pytest.approx(20 * law.params, rel=1e-12)
    shifted = chinchilla_optimal(1.536e24, scaling_law={"E": 2.0})
    assert shifted.params == seed.params and shifted.loss == pytest.approx(seed.loss + 2.0 - 1.8172, rel=1e-12)
    expected = 1.8172 + 482.01 / 100e9**0.3478 + 2085.43 / 2.56e12**0.3658
    assert seed.loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("table", "ratio", "expected"),
    [
        ("error-feedback", 10, (1.0, 1.0, 0.976781)),
        ("error-feedback", 30, (1.0, 0.996570, 0.956279)),
        ("error-feedback", 120, (1.0, 0.99, 0.921007)),
        ("error-feedback", 146, (1.0, 0.99, 0.911333)),
        ("error-feedback", 200, (0.997611, 0.982832, 0.883716)),
        ("error-feedback", 300, (0.994243, 0.972729, 0.846671)),
        ("error-feedback", 1000, (0.99, 0.96, 0.80)),
        ("no-error-feedback", 10, (1.0, 0.993390, 0.963561)),
        ("no-error-feedback", 120, (0.995503, 0.971007, 0.877517)),
        ("no-error-feedback", 146, (0.990667, 0.961333, 0.853333)),
        ("no-error-feedback", 200, (0.99, 0.957611, 0.826106)),
        ("no-error-feedback", 300, (0.99, 0.954243, 0.792428)),
        ("seed", 150, (0.99, 0.95, 0.90)),
    ],
)
def test_pseudo_gradient_quality_tables(table: str, ratio: float, expected: tuple[float, float, float]) -> None:
    out = compression_quality("pseudo_gradient", ratio, table=table)  # type: ignore[arg-type]
    assert (out.optimistic, out.expected, out.conservative) == pytest.approx(expected, rel=1e-6)


def test_activation_quality_tables() -> None:
    revised = [compression_quality("activation", r, table="revised").conservative for r in (2, 4, 10)]
    seed = [compression_quality("activation", r).conservative for r in (2, 4, 10)]
    assert revised == pytest.approx([0.99, 0.96, 0.90], rel=1e-12) and seed == pytest.approx(
        [0.995, 0.98, 0.95], rel=1e-12
    )
    assert compression_quality("activation", 4, table="revised").expected == pytest.approx(0.995, rel=1e-12)


@pytest.mark.parametrize(("target", "nodes", "cost"), [(1e24, 5, 1.75e6), (1e25, 123, 43.05e6), (1e26, 4716, 1.6506e9)])
def test_nodes_for_target_under_the_revised_physics(target: float, nodes: int, cost: float) -> None:
    out = nodes_for_target(REVISED, target)
    assert (out.nodes, out.cost_usd) == (nodes, pytest.approx(cost, rel=1e-9))


def test_nodes_for_target_finds_the_first_crossing_where_c_local_dips() -> None:
    # c_local(69) = 6.98507e24 (H 19) > c_local(70) = 6.93165e24 (H 20): 69 reaches 6.96e24.
    c = dtsim.sweep({"physics": "revised", "nodes": 1}, {"nodes": [69, 70, 71]}).columns["c_local"]
    assert c[0] == pytest.approx(6.98507e24, rel=1e-6) and c[1] == pytest.approx(6.93165e24, rel=1e-6)
    assert nodes_for_target(REVISED, 6.96e24).nodes == 69
    assert nodes_for_target(REVISED, 6.986e24).nodes == 71


def test_model_size_sweep_under_the_revised_physics() -> None:
    out = model_size_sweep({**REVISED, "nodes": 500})
    assert len(out.candidates) == 12 and out.max_single_node_params == 250e9
    assert out.winner.c_quality == max(c.c_quality for c in out.candidates)
    assert out.winner.replica_loss_multiplier > 1.0  # the variant keys are in force
    seed = model_size_sweep({"nodes": 500, "hardware": {"gpu": "A100-80GB", "gpus_per_node": 50}})
    assert seed.winner.c_quality > out.winner.c_quality


# --------------------------------------------------------------------------------------------
# The exact smallest node count (dtsim.analyses.smallest)


def _brute_force(scenario: dict[str, Any], target: float, metric: str, max_nodes: int) -> int | None:
    values = dtsim.sweep({**scenario, "nodes": 1}, {"nodes": np.arange(1, max_nodes + 1)}).columns[metric]
    hits = np.flatnonzero(np.asarray(values, dtype=float) >= target)
    return int(hits[0]) + 1 if len(hits) else None


SCENARIOS = [
    {},
    REVISED,
    {"strategy": "hierarchical"},
    {**REVISED, "strategy": "hierarchical"},
    {**REVISED, "strategy": "hierarchical", "network": {"nodes_per_group": 64}},
    {**REVISED, "network": {"wan": {"bandwidth_mbps": 0.00125}}},  # infeasible from 45 nodes on
    {**REVISED, "strategy": "hierarchical", "network": {"wan": {"bandwidth_mbps": 0.00125}}},  # from 360 on
    {**REVISED, "network": {"collective": "ring"}, "efficiency": {"replica_h_scaling": "none"}},
    {**REVISED, "efficiency": {"replica_fold": "chi"}, "model": {"params": 2e9}},
    {"efficiency": {"replica": {"slope": 5.0, "floor": 0.0}}},
    {**REVISED, "training": {"streaming": False}},  # scanned
    {**REVISED, "training": {"inner_steps": 12}},  # scanned
    {**REVISED, "training": {"tokens": 3e13}},  # scanned
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: json.dumps(s, sort_keys=True))
@pytest.mark.parametrize("metric", ["c_local", "c_quality", "c_actual"])
def test_smallest_nodes_equals_a_scan(scenario: dict[str, Any], metric: str) -> None:
    values = np.asarray(
        dtsim.sweep({**scenario, "nodes": 1}, {"nodes": np.arange(1, 3001)}).columns[metric], dtype=float
    )
    finite = values[np.isfinite(values)]
    targets = np.quantile(finite, [0.01, 0.3, 0.6, 0.9, 0.999]) if len(finite) else np.array([1e24])
    for target in (*targets, *(finite[:60:7] * 1.0000001)):
        assert nodes_for_target(scenario, target, metric, 3000).nodes == _brute_force(scenario, target, metric, 3000)


def _evaluator(base: Any, metric: str, calls: list[int]) -> Callable[..., Probes]:
    def evaluate(samples: np.ndarray, nodes: np.ndarray) -> Probes:
        calls.append(len(nodes))
        columns = dtsim.sweep(base, {"nodes": nodes}).columns
        return Probes(np.asarray(columns[metric], dtype=float), regime(columns))

    return evaluate


def test_bound_search_takes_few_evaluations() -> None:
    base = parse_scenario({**REVISED, "nodes": 1})
    calls: list[int] = []
    bounded, flat_run = premise_for(base, {}, 1, "c_local")
    found = smallest_reaching(_evaluator(base, "c_local", calls), 1, 1e26, 100_000, bounded, suffix=flat_run)
    assert found.nodes.tolist() == [4716.0] and bounded.tolist() == [True]
    assert len(calls) < 20 and sum(calls) < 20  # one node count per round


def test_a_rise_in_efficiency_sends_the_sample_to_the_scan() -> None:
    # Per-node value 1 below 10 nodes and 3 from 10 on: the bound from N = 1 would jump to 50,
    # where the probe shows the rise; the scan then finds 17 (3 · 17 ≥ 50).
    per_node = np.where(np.arange(1, 201) < 10, 1.0, 3.0)

    def evaluate(samples: np.ndarray, nodes: np.ndarray) -> Probes:
        at = nodes.astype(int) - 1
        return Probes(nodes * per_node[at], np.zeros(len(nodes)))

    found = smallest_reaching(evaluate, 1, 50.0, 200, np.array([True]), suffix=True)
    assert found.nodes.tolist() == [17.0]


@settings(max_examples=60, deadline=None)
@given(
    drops=st.lists(st.floats(0.0, 0.2), min_size=40, max_size=40),
    edges=st.lists(st.integers(2, 300), min_size=0, max_size=3),
    jumps=st.lists(st.floats(1.0, 3.0), min_size=3, max_size=3),
    infeasible_from=st.one_of(st.none(), st.integers(2, 400)),
    log_target=st.floats(0.0, 3.0),
)
def test_bound_search_on_synthetic_metrics(
    drops: list[float], edges: list[int], jumps: list[float], infeasible_from: int | None, log_target: float
) -> None:
    """Any metric whose per-node value falls within ordered regimes (premise E, R): the search
    equals a scan."""
    n = np.arange(1, 401, dtype=float)
    regime_of = np.searchsorted(np.sort(np.unique(edges)), n, side="right").astype(float)
    steps = np.repeat(np.array(drops), 10)[: len(n)]
    boost = np.array([1.0, *np.cumprod(jumps)])[regime_of.astype(int)]  # a later regime may start higher
    metric = n * np.exp(-np.cumsum(steps)) * boost
    suffix = not edges
    if infeasible_from is not None and suffix:
        metric[infeasible_from - 1 :] = np.nan
    target = 10**log_target

    def evaluate(samples: np.ndarray, nodes: np.ndarray) -> Probes:
        at = nodes.astype(int) - 1
        return Probes(metric[at], regime_of[at])

    hits = np.flatnonzero(metric >= target)
    expected = float(hits[0] + 1) if len(hits) else math.nan
    found = smallest_reaching(evaluate, 1, target, 400, np.array([True]), suffix=suffix).nodes[0]
    assert found == expected or (math.isnan(found) and math.isnan(expected))


@settings(max_examples=25, deadline=None)
@given(
    bandwidth=st.floats(1.0, 2000.0),
    compression=st.floats(1.0, 500.0),
    mfu=st.floats(0.1, 0.6),
    days=st.floats(30.0, 2000.0),
    physics=st.sampled_from(["seed", "revised"]),
    strategy=st.sampled_from(["diloco", "hierarchical"]),
    straggler=st.sampled_from(["log2", "relay", "none"]),
    collective=st.sampled_from(["seed", "ring", "tree"]),
    penalty=st.sampled_from(["seed", "loss-multiplier", "none"]),
    group=st.integers(2, 40),
    fraction=st.floats(0.05, 1.0),
    log_target=st.floats(22.5, 26.5),
)
def test_nodes_for_target_equals_a_scan_on_random_scenarios(
    bandwidth: float,
    compression: float,
    mfu: float,
    days: float,
    physics: str,
    strategy: str,
    straggler: str,
    collective: str,
    penalty: str,
    group: int,
    fraction: float,
    log_target: float,
) -> None:
    scenario = {
        "physics": physics,
        "strategy": strategy,
        "model": {"params": fraction * 240e9},
        "training": {"mfu": mfu, "days": days},
        "network": {
            "wan": {"bandwidth_mbps": bandwidth},
            "straggler": straggler,
            "collective": collective,
            "nodes_per_group": group,
        },
        "compression": {"pseudo_gradient": compression},
        "efficiency": {"replica_penalty": penalty},
    }
    target = 10**log_target
    assert nodes_for_target(scenario, target, max_nodes=2000).nodes == _brute_force(scenario, target, "c_local", 2000)


def test_uncertain_nodes_for_target_equals_the_scalar_analysis() -> None:
    from dtsim.montecarlo.sampling import parse_design

    distributions = {
        "training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5},
        "network.wan.bandwidth_mbps": "10 to 1000",
        "compression.pseudo_gradient": {"dist": "loguniform", "low": 4, "high": 300},
    }
    for physics, target in (("revised", 6.96e24), ("revised", 1e26), ("seed", 1e25)):
        design = parse_design(parse_scenario({"nodes": 1, "physics": physics}), distributions, None)
        axes = design.axes(design.codes(design.draw(np.random.default_rng(3), 12)))
        evaluation = NodesForTarget(design.base, target, "c_local", 100_000, ("nodes", "cost_usd"))(axes, 12)
        for i in range(12):
            scenario = {
                "physics": physics,
                "training": {"mfu": float(axes["training.mfu"][i])},
                "network": {"wan": {"bandwidth_mbps": float(axes["network.wan.bandwidth_mbps"][i])}},
                "compression": {"pseudo_gradient": float(axes["compression.pseudo_gradient"][i])},
            }
            answer = nodes_for_target(scenario, target)
            got = (evaluation.columns["nodes"][i], evaluation.columns["cost_usd"][i])
            expected = (answer.nodes, answer.cost_usd) if answer.reached else (math.nan, math.nan)
            assert np.array_equal(got, expected, equal_nan=True)
        assert np.isfinite(evaluation.columns["nodes"]).sum() >= 6


# --------------------------------------------------------------------------------------------
# cheapest_config (variants.md §13.1)


@pytest.mark.parametrize("search", ["exhaustive", "bisection"])
def test_cheapest_1e24_is_flat_125b_on_5_nodes(search: str) -> None:
    w = cheapest_config(REVISED, 1e24, search=search).winner  # type: ignore[arg-type]
    assert w is not None
    assert (w.strategy, w.nodes, w.params, w.inner_steps, w.groups, w.pp_stages) == ("diloco", 5, 125e9, 18, 5, 1)
    assert w.cost_usd == pytest.approx(1.75e6, rel=1e-12)
    assert w.c_quality == pytest.approx(1.01402e24, rel=1e-6)
    assert (w.nodes_per_group, w.inner_steps_regional, w.activation_compression) == (None, None, None)


def test_cheapest_1e25_bisection_misses_the_hierarchical_answer() -> None:
    w = cheapest_config(REVISED, 1e25, search="bisection").winner
    assert w is not None
    assert (w.strategy, w.nodes, w.params, w.inner_steps) == ("diloco", 320, 250e9, 10)
    assert w.cost_usd == pytest.approx(112.0e6, rel=1e-12)
    assert w.eta == pytest.approx(0.295739, rel=1e-6)
    assert w.eta_chinchilla == pytest.approx(0.706465, rel=1e-6)
    assert w.c_quality == pytest.approx(1.000008e25, rel=1e-6)


def test_cheapest_1e25_exhaustive_is_hierarchical_on_300_nodes() -> None:
    w = cheapest_config(REVISED, 1e25).winner
    assert w is not None
    assert (w.strategy, w.nodes, w.params, w.nodes_per_group, w.groups) == ("hierarchical", 300, 250e9, 16, 18)
    assert (w.inner_steps_regional, w.regional_syncs_per_global, w.inner_steps) == (19, 1, 19.0)
    assert w.cost_usd == pytest.approx(105.0e6, rel=1e-12)
    assert w.c_quality == pytest.approx(1.000108e25, rel=1e-6)


@pytest.mark.parametrize("search", ["exhaustive", "bisection"])
def test_cheapest_1e26_is_a_pipeline_of_1_5t(search: str) -> None:
    w = cheapest_config(REVISED, 1e26, search=search).winner  # type: ignore[arg-type]
    assert w is not None
    assert (w.strategy, w.params, w.pp_stages, w.groups, w.activation_compression) == (
        "pp-diloco",
        1.5e12,
        6,
        5453,
        4.0,
    )
    assert w.nodes == 32_718 and w.cost_usd == pytest.approx(11.4513e9, rel=1e-12)
    assert w.c_quality >= 1e26


def test_cheapest_winner_is_null_when_nothing_reaches() -> None:
    for search in ("exhaustive", "bisection"):
        out = cheapest_config(REVISED, 1e30, search=search, max_nodes=300)  # type: ignore[arg-type]
        assert out.winner is None and out.to_dict()["winner"] is None


def test_cheapest_ignores_the_scenarios_strategy_nodes_model_and_inner_steps() -> None:
    given = {
        **REVISED,
        "strategy": "pp-diloco",
        "nodes": 7,
        "model": {"params": 900e9},
        "training": {"inner_steps": 3},
    }
    assert cheapest_config(given, 1e24) == cheapest_config(REVISED, 1e24)


#: The seed families of variants.md §13.1, restated: (strategy, fields) in order.
def _families(p_max: float, upload: float, latency: float) -> list[tuple[str, dict[str, Any]]]:
    link = {"network": {"regional": {"bandwidth_mbps": upload, "latency_ms": latency}}}
    out: list[tuple[str, dict[str, Any]]] = [
        ("diloco", {"model": {"params": f * p_max}}) for f in (0.25, 0.5, 0.75, 1.0)
    ]
    out += [
        ("hierarchical", {"model": {"params": f * p_max}, "network": {**link["network"], "nodes_per_group": k}})
        for f in (0.25, 0.5, 0.75, 1.0)
        for k in (4, 8, 16)
    ]
    out += [
        (
            "pp-diloco",
            {
                "model": {"params": m * p_max},
                "compression": {"activations": r},
                "pipeline": {"micro_batches": 8},
                **link,
            },
        )
        for r in (4, 10)
        for m in (1.5, 2, 3, 4, 6, 8)
    ]
    return [f for f in out if f[1]["model"]["params"] >= 1e9]


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def _brute_cheapest(base: dict[str, Any], target: float, metric: str, max_nodes: int) -> tuple[int, int, float] | None:
    """A plain scan: for N = 2, 3, ...: for every family in order: the H search of flat
    families; the first family reaching the target wins. Returns (N, family, H): the searched
    H, else the run's own (H_min, or H_eff for hierarchical)."""
    p_max = dtsim.simulate({**base, "nodes": 1}).params
    wan = base.get("network", {}).get("wan", {})
    families = _families(p_max, wan.get("upload_mbps", wan.get("bandwidth_mbps", 100.0)), wan.get("latency_ms", 100.0))
    nodes = np.arange(2, max_nodes + 1)

    def table(strategy: str, extra: dict[str, Any], h: float | None = None) -> dict[str, np.ndarray]:
        scenario = _merge({**base, "strategy": strategy, "nodes": 2}, extra)
        if h is not None:
            scenario = _merge(scenario, {"training": {"inner_steps": int(h)}})
        columns = dtsim.sweep(scenario, {"nodes": nodes}).columns
        return {k: np.asarray(columns[k], dtype=float) for k in (metric, "inner_steps")}

    auto = [table(s, e) for s, e in families]
    fixed: dict[tuple[int, float], dict[str, np.ndarray]] = {}
    for n_index, n in enumerate(nodes):
        for f, (strategy, extra) in enumerate(families):
            best, best_h = auto[f][metric][n_index], math.nan
            if strategy == "diloco" and math.isfinite(best):
                h_min = auto[f]["inner_steps"][n_index]
                candidates = [h for h in (10, 30, 50, 100, 200) if 1 < h < h_min]
                if h_min > 60:
                    candidates.append(max(2, h_min // 2))
                for h in sorted(candidates):
                    if (f, h) not in fixed:
                        fixed[f, h] = table(strategy, extra, h)
                    value = fixed[f, h][metric][n_index]
                    if value > best:
                        best, best_h = value, h
            if best >= target:
                return int(n), f, best_h if math.isfinite(best_h) else float(auto[f]["inner_steps"][n_index])
    return None


@pytest.mark.parametrize(
    ("base", "target", "metric"),
    [
        (REVISED, 1e24, "c_quality"),
        (REVISED, 3e24, "c_quality"),
        (REVISED, 4e24, "c_local"),
        ({}, 1e25, "c_quality"),
        ({}, 2e25, "c_local"),
        ({"hardware": H100x16fp8, "network": {"wan": {"bandwidth_mbps": 30}}}, 5e24, "c_quality"),
        ({**REVISED, "network": {"wan": {"upload_mbps": 50, "latency_ms": 40}}}, 2e24, "c_quality"),
        (REVISED, 1e27, "c_quality"),  # nothing reaches
    ],
)
def test_exhaustive_equals_a_brute_force_scan(base: dict[str, Any], target: float, metric: str) -> None:
    max_nodes = 150
    expected = _brute_cheapest(base, target, metric, max_nodes)
    got = cheapest_config(base, target, metric=metric, max_nodes=max_nodes).winner  # type: ignore[arg-type]
    if expected is None:
        assert got is None
        return
    n, family, h = expected
    assert got is not None and got.nodes == n
    p_max = dtsim.simulate({**base, "nodes": 1}).params
    strategy, extra = _families(p_max, 0.0, 0.0)[family]
    assert got.params == pytest.approx(extra["model"]["params"], rel=1e-12)
    k = extra.get("network", {}).get("nodes_per_group")
    if strategy == "hierarchical" and n >= 2 * k:
        assert (got.strategy, got.nodes_per_group) == ("hierarchical", k)
    else:  # below two groups a hierarchical family runs, and is reported, as flat DiLoCo
        assert got.strategy == ("diloco" if strategy == "hierarchical" else strategy)
    assert got.inner_steps == pytest.approx(h, rel=1e-12)
    cost = dtsim.simulate({**base, "nodes": n}).cost_usd
    assert got.cost_usd == pytest.approx(cost, rel=1e-12)


@settings(max_examples=12, deadline=None)
@given(
    log_target=st.floats(23.5, 25.5),
    physics=st.sampled_from(["seed", "revised"]),
    metric=st.sampled_from(["c_quality", "c_local"]),
)
def test_exhaustive_never_costs_more_than_bisection(log_target: float, physics: str, metric: str) -> None:
    base = {"physics": physics}
    exhaustive = cheapest_config(base, 10**log_target, metric=metric, max_nodes=5000).winner  # type: ignore[arg-type]
    bisection = cheapest_config(base, 10**log_target, metric=metric, search="bisection", max_nodes=5000).winner  # type: ignore[arg-type]
    if bisection is not None:
        assert exhaustive is not None and exhaustive.nodes <= bisection.nodes
        assert exhaustive.cost_usd is not None and bisection.cost_usd is not None
        assert exhaustive.cost_usd <= bisection.cost_usd
