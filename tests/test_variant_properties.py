"""Invariants of the model under every variant of variants.md, and the counterexamples where the
spec (or docs/errata.md, section "Variants") says an invariant does not hold.

Every property draws the variant switches of variants.md §16 (``variant_scenarios``); each is
restricted to where it must hold, and each restriction is pinned by a counterexample below.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import dtsim
from dtsim.scenario import set_path
from strategies_hypothesis import COEFFICIENTS, budget_mode, run_many, variant_scenarios, with_changes
from test_variants import A48, A50, assert_printed

#: Sized so that the whole module runs in well under a minute on two shared cores; the
#: ``thorough`` hypothesis profile (conftest.py) runs twenty times as many examples.
_SCALE = 20 if os.environ.get("DTSIM_HYPOTHESIS_PROFILE") == "thorough" else 1
PROPERTY = settings(max_examples=150 * _SCALE, deadline=None, suppress_health_check=list(HealthCheck))
EQUIVALENCE = settings(max_examples=60 * _SCALE, deadline=None, suppress_health_check=list(HealthCheck))


def _same(a: dict[str, Any], b: dict[str, Any], rel: float = 1e-12) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], float) and isinstance(b[key], float):
            assert math.isclose(a[key], b[key], rel_tol=rel, abs_tol=0.0), (key, a[key], b[key])
        else:
            assert a[key] == b[key], (key, a[key], b[key])


def _outcome(scenario: dict[str, Any]) -> dict[str, Any] | None:
    """simulate's result dict, or None where the physics refuses the point."""
    try:
        return dtsim.simulate(scenario).to_dict()
    except dtsim.InfeasibleError:
        return None


# ── Linearity in the duration (variants.md §2.6) ───────────────────────────────────────────────


@PROPERTY
@given(variant_scenarios(), st.sampled_from(["seed", "none"]), st.floats(1.01, 10.0))
def test_c_local_linear_in_duration_without_loss_multiplier(s: dict[str, Any], penalty: str, k: float) -> None:
    """Under ``replica_penalty: seed | none`` c_local ∝ T at any H, streaming or blocking:
    η does not depend on the duration and c_actual = N·F·T·u with u independent of T."""
    s = with_changes(budget_mode(s), efficiency__replica_penalty=penalty)
    short, long = run_many([s, with_changes(s, training__days=s["training"]["days"] * k)])
    assert math.isclose(long.c_local, short.c_local * k, rel_tol=1e-9)
    assert math.isclose(long.c_actual, short.c_actual * k, rel_tol=1e-9)


def test_loss_multiplier_is_not_linear_in_duration() -> None:
    """§2.6: revised defaults, 50 × A100, N = 72: 6 months / 18 months gives 0.3897 for c_local
    and 0.4372 for c_quality, not 1/3 (model.md cross-validation check 7)."""
    short, long = dtsim.simulate_many(
        [{"physics": "revised", "nodes": 72, "training": {"years": y}} for y in (0.5, 1.5)]
    )
    assert_printed(short.c_local / long.c_local, "0.3897", "c_local ratio")
    assert_printed(short.c_quality / long.c_quality, "0.4372", "c_quality ratio")
    assert_printed(short.c_actual / long.c_actual, 1 / 3, "c_actual ratio")


# ── Monotonicity in WAN bandwidth (variants.md §2.6, §6, §9.2) ─────────────────────────────────

_RAISE = st.sampled_from(["bandwidth_mbps", "upload_mbps", "download_mbps"])


def _faster(s: dict[str, Any], which: str, factor: float) -> dict[str, Any]:
    fast = copy.deepcopy(s)
    wan = fast["network"]["wan"]
    wan[which] = wan.get(which, wan["bandwidth_mbps"]) * factor
    return fast


@PROPERTY
@given(variant_scenarios(training__streaming=True, training__inner_steps="auto"), _RAISE, st.floats(1.01, 100.0))
def test_more_bandwidth_never_lowers_c_local_streaming_auto_h(s: dict[str, Any], which: str, factor: float) -> None:
    """Streaming with automatic H, every collective, straggler mode, replica penalty and
    strategy: a faster link shortens every WAN sync, H can only fall, c_actual stays N·F·T, and
    η_H, β (ln H) and so η_replicas can only rise."""
    s = budget_mode(s)
    slow, fast = run_many([s, _faster(s, which, factor)])
    assert fast.c_local >= slow.c_local * (1 - 1e-12)
    assert fast.inner_steps <= slow.inner_steps


@PROPERTY
@given(
    variant_scenarios(training__streaming=True, training__inner_steps=1),
    st.sampled_from(["seed", "none"]),
    st.integers(1, 5000),
    _RAISE,
    st.floats(1.01, 100.0),
)
def test_more_bandwidth_never_lowers_c_local_streaming_fixed_h(
    s: dict[str, Any], penalty: str, h: int, which: str, factor: float
) -> None:
    """Streaming with a fixed H, without the loss multiplier: η is fixed and u = K/max(W, X)
    can only rise. (Under ``loss-multiplier`` the longer run also changes χ, §9.3.)"""
    s = with_changes(budget_mode(s), efficiency__replica_penalty=penalty, training__inner_steps=h)
    slow, fast = run_many([s, _faster(s, which, factor)])
    assert fast.c_local >= slow.c_local * (1 - 1e-12)


@PROPERTY
@given(
    st.sampled_from(["diloco", "pp-diloco", "moe-ep"]).flatmap(
        lambda strategy: variant_scenarios(strategy, training__streaming=False)
    ),
    st.sampled_from(["seed", "none"]),
    st.integers(1, 5000),
    _RAISE,
    st.floats(1.01, 100.0),
)
def test_more_bandwidth_never_lowers_c_local_blocking_fixed_h(
    s: dict[str, Any], penalty: str, h: int, which: str, factor: float
) -> None:
    """Blocking with a fixed H (no automatic step count anywhere): u = K/(W + X) rises as X
    falls. Hierarchical is left out: its H_regional stays automatic (erratum V1)."""
    s = with_changes(budget_mode(s), efficiency__replica_penalty=penalty, training__inner_steps=h)
    slow, fast = run_many([s, _faster(s, which, factor)])
    assert fast.c_local >= slow.c_local * (1 - 1e-12)


def _revised_flat(nodes: int) -> dict[str, Any]:
    return {"physics": "revised", "nodes": nodes}


@pytest.mark.parametrize(
    ("before", "after", "h_before", "c_before", "c_after"),
    [(69, 70, 19, "6.98507e24", "6.93165e24"), (535, 536, 20, None, None), (4_150, 4_151, 21, None, None)],
)
def test_c_local_falls_where_h_min_steps_up(
    before: int, after: int, h_before: int, c_before: str | None, c_after: str | None
) -> None:
    """§2.6: under the loss multiplier c_local(N) falls where H_min steps up (revised defaults,
    50 × A100, flat 250B): 69 → 70, 535 → 536, 4,150 → 4,151."""
    low, high = dtsim.simulate_many([_revised_flat(before), _revised_flat(after)])
    assert (low.inner_steps, high.inner_steps) == (h_before, h_before + 1)
    assert high.c_local < low.c_local
    if c_before is not None and c_after is not None:
        assert_printed(low.c_local, c_before, f"c_local({before})")
        assert_printed(high.c_local, c_after, f"c_local({after})")


def test_c_quality_is_not_monotone_in_nodes() -> None:
    """§2.6: under the loss multiplier c_quality(N) rises and then falls (revised defaults)."""
    nodes = np.unique(np.geomspace(2, 100_000, 60).astype(int))
    c_quality = dtsim.sweep(_revised_flat(2), {"nodes": nodes}).columns["c_quality"]
    peak = int(np.argmax(c_quality))
    assert 0 < peak < len(nodes) - 1
    assert c_quality[-1] < c_quality[peak]


def test_blocking_auto_h_can_lose_c_local_to_more_bandwidth() -> None:
    """Erratum V1: under blocking with automatic H, H = ceil(t_sync/t_step) steps down as the
    link gets faster and u = H·t_step/(H·t_step + t_sync) falls from ≈ H/(2H − 1) to ½, more
    than η_H gains. Reference case (48 × A100, N = 72), 100.17 → 100.18 Mbps; hierarchical
    N = 4,000, 102.14 → 102.15 Mbps."""
    base = {"nodes": 72, "hardware": A48, "training": {"streaming": False}}
    slow, fast = dtsim.simulate_many([with_changes(base, network__wan__bandwidth_mbps=b) for b in (100.17, 100.18)])
    assert (slow.inner_steps, fast.inner_steps) == (200, 199)
    assert_printed(slow.compute_utilization, "0.501244", "u at 100.17 Mbps")
    assert_printed(fast.compute_utilization, "0.500016", "u at 100.18 Mbps")
    assert_printed(fast.c_local / slow.c_local, "0.997684", "c_local ratio")
    # Hierarchical: H_regional = ceil(t_glob/t_cyc) steps down the same way (N = 4,000).
    tiered = with_changes(base, strategy="hierarchical", nodes=4_000)
    slow, fast = dtsim.simulate_many([with_changes(tiered, network__wan__bandwidth_mbps=b) for b in (102.14, 102.15)])
    assert (slow.regional_syncs_per_global, fast.regional_syncs_per_global) == (13, 12)
    assert_printed(fast.c_local / slow.c_local, "0.962588", "hierarchical c_local ratio")
    # Streaming, the same step down raises c_local (the property above).
    streaming = dtsim.simulate_many(
        [with_changes(base, training__streaming=True, network__wan__bandwidth_mbps=b) for b in (100.17, 100.18)]
    )
    assert streaming[1].c_local > streaming[0].c_local


# ── compute_utilization and bw_duty_cycle (variants.md §9.4) ───────────────────────────────────


#: Found by the property below: K = H_inner·H_regional·t_step and W = H_regional·(H_inner·t_step)
#: rounded differently, giving u = 1 + 2⁻⁵² for a compute-bound hierarchical run.
_HIERARCHICAL_ROUNDING = {
    "strategy": "hierarchical",
    "nodes": 2,
    "hardware": {"gpu": "A100-80GB", "gpus_per_node": 48, "precision": "fp16"},
    "model": {"params": 2.4e9},
    "training": {"mfu": 0.05, "local_batch_tokens": 32_768, "tokens": 1e9},
    "network": {
        "wan": {"bandwidth_mbps": 1.0, "latency_ms": 0.0},
        "regional": {"bandwidth_mbps": 100.0, "latency_ms": 0.0},
        "nodes_per_group": 1,
    },
    "compression": {"pseudo_gradient": 1.0, "quality": "optimistic"},
}


@PROPERTY
@given(variant_scenarios())
@example(_HIERARCHICAL_ROUNDING)
def test_compute_utilization_in_unit_interval(s: dict[str, Any]) -> None:
    (r,) = run_many([s])
    assert 0.0 < r.compute_utilization <= 1.0
    if r.bw_duty_cycle is not None:
        assert 0.0 < r.bw_duty_cycle <= 1.0


@PROPERTY
@given(variant_scenarios(training__streaming=True, training__inner_steps="auto"))
@example(_HIERARCHICAL_ROUNDING)
def test_compute_utilization_is_one_for_streaming_auto_h(s: dict[str, Any]) -> None:
    (r,) = run_many([s])
    assert r.compute_utilization == 1.0
    assert r.bottleneck == "compute"


@PROPERTY
@given(variant_scenarios(training__streaming=False, training__inner_steps="auto"))
def test_blocking_duty_cycles(s: dict[str, Any]) -> None:
    """§9.2, §9.4: under blocking with N > 1, 0 < u < 1; bw_duty_cycle = 1 − u where reported;
    c_actual(blocking) / c_actual(streaming) = u_blocking / u_streaming at equal H."""
    s = budget_mode(s)
    blocking, streaming = run_many([s, with_changes(s, training__streaming=True)])
    assume(blocking.nodes > 1)
    assert 0.0 < blocking.compute_utilization < 1.0
    if blocking.bw_duty_cycle is not None:
        assert math.isclose(blocking.bw_duty_cycle, 1.0 - blocking.compute_utilization, rel_tol=1e-12)
    assert blocking.inner_steps == streaming.inner_steps
    assert math.isclose(
        blocking.c_actual / streaming.c_actual,
        blocking.compute_utilization / streaming.compute_utilization,
        rel_tol=1e-9,
    )


@PROPERTY
@given(variant_scenarios())
def test_flat_only_keys_are_null_exactly_where_the_spec_says(s: dict[str, Any]) -> None:
    """§9.4: bw_duty_cycle and comm_gb_per_sync are reported for flat DiLoCo (and a hierarchical
    fallback) with N > 1; null at N = 1 and for hierarchical (G ≥ 2), pp-diloco and moe-ep.
    comm_gb_per_sync = 2·P·bits/C_r/8e9, × (N−1)/N under ring."""
    (r,) = run_many([s])
    flat = r.strategy == "diloco" or (r.strategy == "hierarchical" and r.inner_steps_regional is None)
    if not flat or r.nodes == 1:
        assert r.bw_duty_cycle is None and r.comm_gb_per_sync is None
        return
    assert r.bw_duty_cycle is not None and r.comm_gb_per_sync is not None
    bits = s.get("compression", {}).get("pseudo_gradient_bits")
    bits = bits if bits is not None else (8.0 if s["hardware"].get("precision") == "fp8" else 16.0)
    expected = 2 * r.params * bits / s["compression"]["pseudo_gradient"] / 8e9
    if s["network"].get("collective") == "ring":
        expected *= (r.nodes - 1) / r.nodes
    assert math.isclose(r.comm_gb_per_sync, expected, rel_tol=1e-12)


@PROPERTY
@given(variant_scenarios(efficiency__replica_penalty="loss-multiplier"))
def test_replica_loss_multiplier_is_one_exactly_where_the_spec_says(s: dict[str, Any]) -> None:
    """§2.5: m = 1 at N = 1 and, under ``replica_h_scaling: log``, at H ≤ 1; m ≥ 1 always."""
    (r,) = run_many([s])
    assert r.replica_loss_multiplier >= 1.0
    if r.nodes == 1 or (s["efficiency"]["replica_h_scaling"] == "log" and r.inner_steps <= 1):
        assert r.replica_loss_multiplier == 1.0


# ── Mixed batches and sweeps (physics as data) ──────────────────────────────────────────────────


@EQUIVALENCE
@given(st.lists(variant_scenarios(), min_size=2, max_size=8))
def test_a_batch_mixing_variants_equals_the_single_evaluations(batch: list[dict[str, Any]]) -> None:
    singles = [_outcome(s) for s in batch]
    assume(all(single is not None for single in singles))
    for single, result in zip(singles, dtsim.simulate_many(batch), strict=True):
        assert single is not None
        _same(result.to_dict(), single)


def test_a_batch_mixing_every_variant_value_equals_the_single_evaluations() -> None:
    """Each value of each switch at least once in one batch of every strategy."""
    base = {"nodes": 64, "hardware": A50, "model": {"params": 100e9}}
    points = [
        with_changes(base, **{path.replace(".", "__"): value})
        for path, value in (
            ("physics", "revised"),
            ("network.straggler", "relay"),
            ("network.straggler", "threshold"),
            ("network.straggler", "none"),
            ("network.collective", "ring"),
            ("network.collective", "tree"),
            ("efficiency.replica_penalty", "loss-multiplier"),
            ("efficiency.replica_penalty", "none"),
            ("efficiency.replica_fold", "chi"),
            ("training.streaming", False),
            ("compression.table", "error-feedback"),
            ("compression.table", "no-error-feedback"),
            ("compression.activation_table", "revised"),
            ("hardware.prices", "2026"),
            ("efficiency.sync_penalty.base", 0.1),
            ("scaling_law.tokens_per_param", 20.0),
        )
    ]
    points += [
        with_changes(p, efficiency__replica_penalty="loss-multiplier", efficiency__replica_h_scaling="none")
        for p in points[:3]
    ]
    strategies: list[dict[str, Any]] = []
    for p in points:
        strategies += [
            p,
            with_changes(p, strategy="hierarchical"),
            with_changes(p, strategy="pp-diloco", model__params=500e9),
            with_changes(p, strategy="moe-ep", model={"total_params": 400e9, "active_params": 50e9}),
        ]
    for single, result in zip([dtsim.simulate(s) for s in strategies], dtsim.simulate_many(strategies), strict=True):
        _same(result.to_dict(), single.to_dict())


@EQUIVALENCE
@given(
    variant_scenarios(coefficients=False),
    st.sampled_from(sorted(COEFFICIENTS)).flatmap(
        lambda path: st.tuples(st.just(path), st.lists(COEFFICIENTS[path], min_size=1, max_size=4))
    ),
)
def test_a_sweep_over_a_coefficient_equals_simulate(s: dict[str, Any], axis: tuple[str, list[float]]) -> None:
    path, values = axis
    batch = dtsim.sweep(s, {path: values})
    for row, value in zip(batch.to_dicts(), values, strict=True):
        expected = _outcome(with_changes(s, **{path.replace(".", "__"): value}))
        if expected is None:
            assert row["feasible"] is False and row["infeasible_reason"]
            continue
        assert row["feasible"] is True
        _same({k: row[k] for k in expected if k != "name"}, {k: v for k, v in expected.items() if k != "name"})


# ── Keys that do not apply, folds, straggler and collective identities (§1, §2.2, §6, §7, §10) ──

_IRRELEVANT_DRAWS = {
    "efficiency.replica_h_scaling": st.sampled_from(["log", "none"]),
    "efficiency.replica_fold": st.sampled_from(["eta", "chi"]),
    "compression.table": st.sampled_from(["seed", "error-feedback", "no-error-feedback"]),
    "compression.activation_table": st.sampled_from(["seed", "revised"]),
    "efficiency.single_node_chinchilla": st.sampled_from(["exempt", "computed"]),
}


def _irrelevant_paths(s: dict[str, Any], r: dtsim.Result) -> list[str]:
    """The keys of ``s`` that the spec says have no effect on this scenario."""
    eff = s["efficiency"]
    paths: list[str] = []
    if eff["replica_penalty"] != "loss-multiplier":  # §1, §2.2
        paths += ["efficiency.replica_h_scaling", "efficiency.replica_fold"]
        paths += [f"efficiency.replica_loss.{k}" for k in ("coefficient", "exponent", "reference_h")]
    if eff["replica_penalty"] != "seed":  # §2.2, §2.3
        paths += [f"efficiency.replica.{k}" for k in ("slope", "cap_b", "min_b", "floor")]
    if s["network"]["straggler"] in ("threshold", "none"):  # §7, §11.3
        paths.append("network.straggler_per_doubling")
    if isinstance(s["compression"]["quality"], dict) or s["compression"]["quality"] == "lossless":  # §3
        paths.append("compression.table")
    if r.strategy != "pp-diloco":  # §4, §11.3: the pipeline only
        paths += ["compression.activation_table", "pipeline.activation_bytes"]
        paths += ["pipeline.hidden_size.coefficient", "pipeline.hidden_size.exponent"]
    if r.strategy != "moe-ep":
        paths.append("model.all_to_all_per_layer")
    if r.strategy != "hierarchical":
        paths.append("efficiency.hierarchical_h_exponent")
    if r.strategy == "pp-diloco" or (r.strategy == "hierarchical" and r.inner_steps_regional is not None):
        paths.append("efficiency.single_node_chinchilla")  # §10
    return paths


@PROPERTY
@given(variant_scenarios(coefficients=False), st.data())
def test_keys_that_do_not_apply_have_no_effect(s: dict[str, Any], data: st.DataObject) -> None:
    """§1 Independence: a key that matters only under another key's value is accepted under the
    others and has no effect there."""
    (r,) = run_many([s])
    changed = copy.deepcopy(s)
    for path in _irrelevant_paths(s, r):
        draw = _IRRELEVANT_DRAWS[path] if path in _IRRELEVANT_DRAWS else COEFFICIENTS[path]
        set_path(changed, path, data.draw(draw, label=path))
    (other,) = run_many([changed])
    _same(other.to_dict(), r.to_dict())


@PROPERTY
@given(variant_scenarios(efficiency__replica_penalty="loss-multiplier"))
def test_the_two_folds_differ_only_where_the_spec_says(s: dict[str, Any]) -> None:
    """§2.2 step 5: the folds ``eta`` and ``chi`` share c_quality; they differ in c_local, η,
    eta_chinchilla, strict_threshold_multiple and η_replicas (reported as 1.0 under ``chi``;
    the spec's list omits it, erratum V2)."""
    eta, chi = run_many([with_changes(s, efficiency__replica_fold=f) for f in ("eta", "chi")])
    a, b = eta.to_dict(), chi.to_dict()
    differing = {"c_local", "eta", "eta_chinchilla", "strict_threshold_multiple", "eta_replicas"}
    _same(
        {k: v for k, v in a.items() if k not in differing | {"c_quality"}},
        {k: v for k, v in b.items() if k not in differing | {"c_quality"}},
    )
    assert math.isclose(a["c_quality"], b["c_quality"], rel_tol=1e-12)
    assert b["eta_replicas"] == 1.0
    assert math.isclose(b["eta"] * a["eta_replicas"], a["eta"], rel_tol=1e-12)


@PROPERTY
@given(variant_scenarios(network__straggler="threshold"))
def test_threshold_straggler_is_none(s: dict[str, Any]) -> None:
    """§7: ``threshold`` is identical to ``none``."""
    threshold, none = run_many([s, with_changes(s, network__straggler="none")])
    _same(threshold.to_dict(), none.to_dict())


@PROPERTY
@given(variant_scenarios("diloco", network__collective="seed"), st.integers(2, 20_000))
def test_collective_orderings(s: dict[str, Any], nodes: int) -> None:
    """§6: ``tree`` is never faster than ``seed``; ``ring`` is faster than ``seed`` exactly when
    V/BW_up + V/BW_down > (2n² − 3n)·lat; ``ring`` at n = 2 halves the bandwidth term and
    doubles the latency term."""
    s = with_changes(s, nodes=nodes)
    seed, ring, tree = run_many([with_changes(s, network__collective=c) for c in ("seed", "ring", "tree")])
    assert tree.sync_s >= seed.sync_s
    f = seed.straggler_factor
    wan = s["network"]["wan"]
    latency_s = wan["latency_ms"] / 1e3
    transfer_s = seed.sync_s / f - latency_s
    threshold_s = (2 * nodes**2 - 3 * nodes) * latency_s
    assume(not math.isclose(transfer_s, threshold_s, rel_tol=1e-9))
    assert (ring.sync_s < seed.sync_s) == (transfer_s > threshold_s)
    if nodes == 2:
        assert math.isclose(ring.sync_s, (transfer_s / 2 + 2 * latency_s) * f, rel_tol=1e-9)
