"""Named analyses beyond what the seed cases pin."""

from __future__ import annotations

import pytest

import dtsim
from conftest import A100x48, H100x16fp8, flat
from dtsim.analyses import model_size_sweep, nodes_for_target


def test_nodes_for_target_is_the_smallest() -> None:
    base = {"strategy": "diloco", "hardware": A100x48}
    out = nodes_for_target(base, 1e25)
    assert out["nodes"] == 42 and out["reached"]
    assert dtsim.simulate({**base, "nodes": 41}).c_local < 1e25 <= dtsim.simulate({**base, "nodes": 42}).c_local
    assert out["cost_usd"] == 42 * 720_000
    assert nodes_for_target(base, 1e23)["nodes"] == 1


def test_nodes_for_target_unreachable() -> None:
    out = nodes_for_target({"hardware": A100x48}, 1e40)
    assert out["reached"] is False and out["nodes"] is None


def test_model_size_sweep_reports_every_candidate() -> None:
    out = model_size_sweep(flat(H100x16fp8, 2000))
    assert len(out["candidates"]) == 12
    assert out["winner"]["c_quality"] == max(c["c_quality"] for c in out["candidates"])
    assert out["winner"]["pp_stages"] == 6 and out["winner"]["groups"] == 333
    assert out["gain_vs_best_dense"] == pytest.approx(5.58, abs=0.005)


def test_model_size_sweep_drops_candidates_with_too_few_groups() -> None:
    out = model_size_sweep(flat(A100x48, 9))
    stages = [c["pp_stages"] for c in out["candidates"] if c["strategy"] == "pp-diloco"]
    assert stages and max(stages) <= 4  # 9 nodes: at most 4 stages leave 2 groups


def test_chinchilla_optimal_sizes_in_the_sweep_header() -> None:
    assert model_size_sweep(flat(A100x48, 500))["chinchilla_optimal_params"] == pytest.approx(961e9, rel=1e-3)
    assert model_size_sweep(flat(A100x48, 4000))["chinchilla_optimal_params"] == pytest.approx(2717e9, rel=1e-3)


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


@pytest.mark.parametrize(
    ("name", "args", "field"),
    [
        ("nope", {}, "analysis"),
        ("chinchilla_optimal", {"c_flop": -1}, "c_flop"),
        ("compression_quality", {"kind": "weights", "ratio": 4}, "kind"),
        ("max_gpus_under_threshold", {"gpu": "TPU"}, "gpu"),
        ("nodes_for_target", {"scenario": {"hardware": A100x48}, "target": 1e24, "metric": "speed"}, "metric"),
        ("chinchilla_optimal", {"flop": 1}, "chinchilla_optimal arguments"),
    ],
)
def test_analysis_refusals(name: str, args: dict, field: str) -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        dtsim.analyze(name, **args)
    assert info.value.field == field
