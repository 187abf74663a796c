"""Invariants of the model for any valid input (1,000 examples each).

Where an invariant the model should satisfy turns out false, it is reported in
docs/errata.md rather than bent here."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dtsim
from conftest import A100x48
from dtsim.analyses import model_size_sweep, nodes_for_target
from dtsim.physics.scaling_law import eta_chinchilla
from strategies_hypothesis import budget_mode, run_many, scenarios, with_changes

PROPERTY = settings(max_examples=1_000, deadline=None, suppress_health_check=list(HealthCheck))
FACTORS = ("eta_h", "eta_compression", "eta_replicas", "eta_activation")


def _run(scenario: Any) -> dtsim.Result:
    """The result; a point the physics refuses (e.g. no outer step fits the budget) is not an
    example of the property."""
    return run_many([scenario])[0]


@PROPERTY
@given(scenarios())
def test_eta_and_each_factor_in_unit_interval(s: dict[str, Any]) -> None:
    r = _run(s)
    assert 0 < r.eta <= 1
    for factor in FACTORS:
        assert 0 < getattr(r, factor) <= 1


@PROPERTY
@given(scenarios())
def test_eta_is_the_product_of_its_factors(s: dict[str, Any]) -> None:
    r = _run(s)
    assert math.isclose(r.eta, math.prod(getattr(r, f) for f in FACTORS), rel_tol=1e-12)


@PROPERTY
@given(scenarios())
def test_floors_of_eta_h_and_eta_replicas(s: dict[str, Any]) -> None:
    r = _run(s)
    assert r.eta_h >= 0.4 and r.eta_replicas >= 0.85


@PROPERTY
@given(scenarios())
def test_c_quality_le_c_local_le_c_actual(s: dict[str, Any]) -> None:
    r = _run(s)
    assert 0 < r.c_quality <= r.c_local <= r.c_actual
    assert 0 < r.eta_chinchilla <= 1


@PROPERTY
@given(scenarios(), st.floats(1.01, 100.0))
def test_more_bandwidth_never_lowers_c_local(s: dict[str, Any], factor: float) -> None:
    s = budget_mode(s)
    bw = s["network"]["wan"]["bandwidth_mbps"]
    slow, fast = run_many([s, with_changes(s, network__wan__bandwidth_mbps=bw * factor)])
    assert fast.c_local >= slow.c_local * (1 - 1e-12)


@PROPERTY
@given(scenarios(), st.floats(1.01, 100.0))
def test_more_bandwidth_never_raises_h(s: dict[str, Any], factor: float) -> None:
    s = with_changes(s, training__inner_steps="auto")
    bw = s["network"]["wan"]["bandwidth_mbps"]
    slow, fast = run_many([s, with_changes(s, network__wan__bandwidth_mbps=bw * factor)])
    assert fast.inner_steps <= slow.inner_steps


@PROPERTY
@given(scenarios(), st.floats(1.01, 10.0))
def test_longer_budget_never_lowers_c_local(s: dict[str, Any], factor: float) -> None:
    s = budget_mode(s)
    short, long = run_many([s, with_changes(s, training__days=s["training"]["days"] * factor)])
    assert long.c_local >= short.c_local
    assert math.isclose(long.c_local, short.c_local * factor, rel_tol=1e-9)  # linear in T


@PROPERTY
@given(scenarios(), st.floats(0.0, 400.0))
def test_more_latency_never_raises_c_local(s: dict[str, Any], extra_ms: float) -> None:
    """Holds for diloco, hierarchical and pp-diloco; not for moe-ep (docs/errata.md, P1)."""
    assume(s["strategy"] != "moe-ep")
    s = budget_mode(s)
    lat = s["network"]["wan"]["latency_ms"]
    near, far = run_many([s, with_changes(s, network__wan__latency_ms=lat + extra_ms)])
    assert far.c_local <= near.c_local * (1 + 1e-12)


@PROPERTY
@given(scenarios(), st.floats(1.01, 50.0))
def test_more_compression_never_lengthens_sync(s: dict[str, Any], factor: float) -> None:
    ratio = s["compression"]["pseudo_gradient"]
    low, high = run_many([s, with_changes(s, compression__pseudo_gradient=ratio * factor)])
    assert high.sync_s <= low.sync_s


@PROPERTY
@given(st.floats(1e6, 1e15))
def test_eta_chinchilla_is_one_at_the_optimal_allocation(params: float) -> None:
    tokens = 25.6 * params
    assert math.isclose(float(eta_chinchilla(params, tokens, 6 * params * tokens)), 1.0, abs_tol=1e-9)


@PROPERTY
@given(scenarios())
def test_budget_and_time_to_train_agree(s: dict[str, Any]) -> None:
    s = with_changes(budget_mode(s), training__inner_steps="auto")
    budget = _run(s)
    assume(budget.bottleneck == "compute" and budget.nodes > 1)
    training = copy.deepcopy(s)
    training["training"].pop("days")
    training["training"]["tokens"] = budget.tokens
    ttt = _run(training)
    assert math.isclose(ttt.wall_clock_days, budget.wall_clock_days, rel_tol=1e-9)
    assert math.isclose(ttt.c_actual, budget.c_actual, rel_tol=1e-9)


@PROPERTY
@given(scenarios())
def test_accounting_identities(s: dict[str, Any]) -> None:
    r = _run(s)
    assert math.isclose(r.c_actual, 6 * r.active_params * r.tokens, rel_tol=1e-12)
    assert math.isclose(r.overtraining_ratio, r.tokens / (25.6 * r.active_params), rel_tol=1e-12)
    assert math.isclose(r.strict_threshold_multiple, r.c_local / 1e24, rel_tol=1e-12)
    assert r.gpus == r.nodes * s["hardware"]["gpus_per_node"]


@PROPERTY
@given(scenarios())
def test_compute_never_exceeds_peak_times_budget(s: dict[str, Any]) -> None:
    s = budget_mode(s)
    r = _run(s)
    peak = r.nodes * r.node_pflops * 1e15 * s["training"]["mfu"] * s["training"]["days"] * 86_400
    assert r.c_actual <= peak * (1 + 1e-12)


@PROPERTY
@given(scenarios())
def test_quality_scenarios_are_ordered(s: dict[str, Any]) -> None:
    variants = [
        with_changes(s, compression__quality=q, compression__activation_quality=q)
        for q in ("lossless", "optimistic", "expected", "conservative")
    ]
    lossless, optimistic, expected, conservative = run_many(variants)
    assert lossless.c_local >= optimistic.c_local >= expected.c_local >= conservative.c_local
    assert lossless.eta_compression == 1.0 and lossless.eta_activation == 1.0


@PROPERTY
@given(scenarios())
def test_memory_fits_the_node(s: dict[str, Any]) -> None:
    r = _run(s)
    assert r.fits_in_memory and r.memory_per_node_gb <= r.node_memory_gb * (1 + 1e-9)


@PROPERTY
@given(scenarios("pp-diloco"))
def test_pipeline_structure(s: dict[str, Any]) -> None:
    r = _run(s)
    assert r.pp_stages >= 2 and r.groups >= 2 and r.groups * r.pp_stages <= r.nodes
    assert 0 < r.bubble_fraction < 1
    assert r.memory_per_node_gb * r.pp_stages >= r.params * 14 / 1e9 * (1 - 1e-9)


@PROPERTY
@given(scenarios())
def test_straggler_factor_at_least_one_and_growing(s: dict[str, Any]) -> None:
    # Hierarchical reports f of its WAN tier (G groups), or f(N) once it falls back to flat.
    assume(s["strategy"] != "hierarchical")
    s = with_changes(s, network__straggler="log2")
    small, large = run_many([s, with_changes(s, nodes=s["nodes"] * 2)])
    assert small.straggler_factor >= 1 and large.straggler_factor >= small.straggler_factor


@PROPERTY
@given(scenarios())
def test_results_are_finite(s: dict[str, Any]) -> None:
    for key, value in _run(s).to_dict().items():
        if isinstance(value, float):
            assert math.isfinite(value), key


@PROPERTY
@given(scenarios("diloco"))
def test_single_node_has_no_synchronisation(s: dict[str, Any]) -> None:
    r = _run(with_changes(s, nodes=1))
    assert (r.inner_steps, r.sync_s, r.eta, r.eta_chinchilla) == (1, 0.0, 1.0, 1.0)


@PROPERTY
@given(scenarios("hierarchical"))
def test_hierarchical_effective_h_is_inner_times_sqrt_regional(s: dict[str, Any]) -> None:
    r = _run(s)
    if r.inner_steps_regional is None:
        assert r.groups == r.nodes  # fewer than two groups: flat DiLoCo
    else:
        assert math.isclose(
            r.inner_steps, r.inner_steps_regional * math.sqrt(r.regional_syncs_per_global), rel_tol=1e-12
        )


SWEEP = settings(max_examples=1_000, deadline=None, suppress_health_check=list(HealthCheck))


@SWEEP
@given(st.integers(2, 6000), st.sampled_from([0.5, 0.75, 1.0]), st.floats(10, 1000))
def test_model_size_sweep_winner_is_the_best_candidate(nodes: int, fraction: float, bandwidth: float) -> None:
    out = model_size_sweep(
        {"nodes": nodes, "hardware": A100x48, "network": {"wan": {"bandwidth_mbps": bandwidth, "latency_ms": 100}}},
        dense_fractions=[fraction, 1.0],
        pp_multiples=[2.0, 4.0],
    )
    best = max(c.c_quality for c in out.candidates)
    assert out.winner.c_quality == best
    assert out.gain_vs_best_dense is not None and out.gain_vs_best_dense >= 1.0


@SWEEP
@given(st.floats(20, 26.5), st.sampled_from([3, 6, 12, 25, 48]), st.floats(10, 1000))
def test_nodes_for_target_is_the_smallest(log_target: float, gpus: int, bandwidth: float) -> None:
    scenario = {
        "hardware": {"gpu": "A100-80GB", "gpus_per_node": gpus},
        "network": {"wan": {"bandwidth_mbps": bandwidth, "latency_ms": 100}},
    }
    out = nodes_for_target(scenario, 10**log_target)
    if not out.reached:
        return
    n = out.nodes
    assert n is not None and out.c_local is not None and out.c_local >= 10**log_target
    if n > 1:
        below = dtsim.sweep({**scenario, "nodes": 1}, {"nodes": np.arange(1, n)}).columns["c_local"]
        assert (below < 10**log_target).all()


def test_moe_latency_erratum_p1() -> None:
    """docs/errata.md P1: in moe-ep, WAN latency also lengthens every step (the all-to-all), so
    H = ceil(t_sync / t_step) can fall and eta_H rise by more than the compute lost."""
    s = {
        "strategy": "moe-ep",
        "nodes": 72,
        "hardware": A100x48,
        "model": {"total_params": 1561392517089.8438, "active_params": 103593750000.0},
        "training": {"mfu": 0.05},
        "network": {"wan": {"bandwidth_mbps": 20, "latency_ms": 45.6}},
        "compression": {"pseudo_gradient": 943.875},
    }
    near, far = run_many([s, with_changes(s, network__wan__latency_ms=45.7)])
    assert far.c_local > near.c_local
    assert (near.inner_steps, far.inner_steps) == (32, 31) and far.ep_overhead > near.ep_overhead
