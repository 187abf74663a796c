"""The worked values of spec model.md §2.4-2.8, one strategy at a time."""

from __future__ import annotations

import math

import pytest

import dtsim
from conftest import A100x48, H100x16fp8, flat


def test_flat_worked_values() -> None:
    r4 = dtsim.simulate(flat(A100x48, 4)).to_dict()
    assert r4["step_compute_s"] == pytest.approx(31.508, abs=5e-4)
    assert r4["sync_s"] == pytest.approx(5280.1, abs=0.05)
    assert r4["inner_steps"] == 168
    assert r4["eta"] == pytest.approx(0.8617, abs=5e-5)
    assert r4["c_actual"] == pytest.approx(1.134e24, rel=5e-4)
    assert r4["c_local"] == pytest.approx(9.774e23, rel=5e-4)
    r72 = dtsim.simulate(flat(A100x48, 72)).to_dict()
    assert r72["inner_steps"] == 200
    assert r72["eta"] == pytest.approx(0.857516, abs=5e-7)
    assert r72["c_local"] == pytest.approx(1.7508e25, rel=5e-5)
    assert r72["tokens"] == pytest.approx(14.18e12, rel=5e-4)
    assert r72["eta_chinchilla"] == pytest.approx(0.88362, abs=5e-6)
    assert r72["c_quality"] == pytest.approx(1.5470e25, rel=5e-5)
    assert r72["bottleneck"] == "compute"


def test_factors_multiply_to_eta() -> None:
    for strategy, extra in [
        ("diloco", {}),
        ("hierarchical", {}),
        ("pp-diloco", {"model": {"params": 960e9}}),
        ("moe-ep", {"model": {"total_params": 600e9, "active_params": 100e9}}),
    ]:
        r = dtsim.simulate({"strategy": strategy, "nodes": 4000, "hardware": A100x48, **extra})
        product = r.eta_h * r.eta_compression * r.eta_replicas * r.eta_activation
        assert r.eta == pytest.approx(product, rel=1e-15)
        assert r.c_local == pytest.approx(r.c_actual * r.eta, rel=1e-15)
        assert r.c_quality == pytest.approx(r.c_local * r.eta_chinchilla, rel=1e-15)


def test_single_node() -> None:
    r = dtsim.simulate(flat(A100x48, 1)).to_dict()
    assert (r["inner_steps"], r["sync_s"], r["eta"], r["eta_chinchilla"], r["straggler_factor"]) == (1, 0, 1, 1, 1)
    assert r["c_local"] == pytest.approx(2.84e23, rel=2e-3)


def test_hierarchical_worked_values() -> None:
    r = dtsim.simulate({"strategy": "hierarchical", "nodes": 4000, "hardware": A100x48}).to_dict()
    assert r["groups"] == 500
    assert r["inner_steps_regional"] == 18
    assert r["regional_syncs_per_global"] == 13
    assert r["sync_s"] == pytest.approx(6951.9, abs=0.05)
    assert r["inner_steps"] == pytest.approx(18 * math.sqrt(13), rel=1e-12)
    assert r["eta"] == pytest.approx(0.88321, abs=5e-6)
    f = dtsim.simulate(
        {"strategy": "hierarchical", "nodes": 2000, "hardware": H100x16fp8, "compression": {"pseudo_gradient": 100}}
    ).to_dict()
    assert f["step_compute_s"] == pytest.approx(5.6741, abs=5e-5)
    assert (f["inner_steps_regional"], f["regional_syncs_per_global"]) == (3, 13)
    assert f["inner_steps"] == pytest.approx(10.817, abs=5e-4)
    assert f["c_local"] == pytest.approx(1.0704e27, rel=5e-5)


def test_hierarchical_with_one_group_is_flat() -> None:
    hier = dtsim.simulate({"strategy": "hierarchical", "nodes": 12, "hardware": A100x48}).to_dict()
    plain = dtsim.simulate(flat(A100x48, 12)).to_dict()
    assert hier["strategy"] == "hierarchical"
    assert hier["inner_steps_regional"] is None and hier["regional_syncs_per_global"] is None
    for key in ("c_local", "eta", "inner_steps", "groups", "pp_stages", "sync_s"):
        assert hier[key] == plain[key]


def test_pp_worked_values() -> None:
    r = dtsim.simulate(
        {"strategy": "pp-diloco", "nodes": 4000, "hardware": A100x48, "model": {"params": 960e9}}
    ).to_dict()
    assert (r["pp_stages"], r["groups"], r["inner_steps"]) == (4, 1000, 319)
    assert r["step_compute_s"] == pytest.approx(90.183, abs=5e-4)
    assert r["sync_s"] == pytest.approx(28767.3, abs=0.05)
    assert r["eta_activation"] == pytest.approx(0.97037, abs=5e-6)
    assert r["eta"] == pytest.approx(0.83155, abs=5e-6)
    assert r["tokens"] == pytest.approx(68.80e12, rel=1e-3)
    assert r["c_local"] == pytest.approx(3.295e26, rel=5e-4)
    assert r["c_quality"] == pytest.approx(2.745e26, rel=5e-4)
    assert r["bubble_fraction"] == pytest.approx(3 / 11)
    assert r["memory_per_node_gb"] == pytest.approx(3840)


def test_moe_worked_values() -> None:
    moe = {"total_params": 600e9, "active_params": 100e9}
    r72 = dtsim.simulate({"strategy": "moe-ep", "nodes": 72, "hardware": A100x48, "model": moe}).to_dict()
    assert r72["memory_per_node_gb"] == pytest.approx(1711, abs=0.5)
    assert r72["step_compute_s"] == pytest.approx(13.128 + 6.4, abs=5e-4)
    assert r72["ep_overhead"] == pytest.approx(0.3277, abs=5e-5)
    r = dtsim.simulate({"strategy": "moe-ep", "nodes": 4000, "hardware": A100x48, "model": moe}).to_dict()
    assert r["inner_steps"] == 983
    assert r["eta"] == pytest.approx(0.82898, abs=5e-6)
    assert r["c_local"] == pytest.approx(6.321e26, rel=5e-4)
    assert r["eta_chinchilla"] == pytest.approx(0.03859, abs=5e-6)


def test_time_to_train_scenario_1_sensitivities() -> None:
    base = {
        "strategy": "diloco",
        "nodes": 72,
        "model": {"params": 144e9},
        "hardware": {
            "gpus_per_node": 16,
            "node_pflops": 32,
            "node_memory_gb": 2304,
            "node_cost_usd": 480000,
            "node_h100_equivalents": 16,
        },
        "training": {"tokens": 12e12, "inner_steps": 128},
        "network": {"wan": {"bandwidth_mbps": 100, "latency_ms": 0}, "straggler": "none"},
    }
    r = dtsim.simulate(base).to_dict()
    assert r["wall_clock_days"] == pytest.approx(331.137, abs=5e-4)
    assert r["inner_steps"] * r["step_compute_s"] == pytest.approx(1132.46, abs=5e-3)
    assert r["bottleneck"] == "communication"
    with_latency = {**base, "network": {"wan": {"bandwidth_mbps": 100, "latency_ms": 100}, "straggler": "none"}}
    assert dtsim.simulate(with_latency).wall_clock_days == pytest.approx(331.148, abs=5e-4)
    log2 = {**base, "network": {"wan": {"bandwidth_mbps": 100, "latency_ms": 100}, "straggler": "log2"}}
    assert dtsim.simulate(log2).wall_clock_days == pytest.approx(433.31, abs=5e-3)
    catalogue = {**base, "hardware": {"gpu": "GH200", "gpus_per_node": 16}}
    r = dtsim.simulate(catalogue).to_dict()
    assert r["inner_steps"] * r["step_compute_s"] == pytest.approx(2287.8, abs=0.05)
    assert r["wall_clock_days"] == pytest.approx(331.137, abs=5e-4)


def test_fixed_inner_steps_sets_duty_cycle() -> None:
    auto = dtsim.simulate(flat(A100x48, 72)).to_dict()
    short = dtsim.simulate(flat(A100x48, 72, training={"inner_steps": 50})).to_dict()
    assert short["bottleneck"] == "communication"
    duty = 50 * auto["step_compute_s"] / auto["sync_s"]
    assert short["c_actual"] == pytest.approx(auto["c_actual"] * duty, rel=1e-12)


@pytest.mark.parametrize(
    "scenario, field",
    [
        (flat(A100x48, 4, model={"params": 300e9}), "model.params"),
        ({"strategy": "pp-diloco", "nodes": 4000, "hardware": A100x48, "model": {"params": 200e9}}, "model.params"),
        ({"strategy": "pp-diloco", "nodes": 7, "hardware": A100x48, "model": {"params": 960e9}}, "nodes"),
        (
            {
                "strategy": "moe-ep",
                "nodes": 1,
                "hardware": A100x48,
                "model": {"total_params": 600e9, "active_params": 100e9},
            },
            "model.total_params",
        ),
    ],
)
def test_infeasible(scenario: dict, field: str) -> None:
    with pytest.raises(dtsim.InfeasibleError) as info:
        dtsim.simulate(scenario)
    assert info.value.field == field
