"""``bandwidth_for_utilization``: the WAN bandwidth that keeps a target compute utilisation,
against values computed by hand from the sync-time formulas of spec variants.md §5, §6, §9."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dtsim
from dtsim.analyses.bandwidth import bandwidth_for_utilization
from dtsim.errors import InfeasibleError, ScenarioError

# The hand-computable node: 1 PFLOPS at MFU 0.5 = 5e14 FLOP/s; P = 1e9, B = 1e6 tokens, so one
# inner step is 6·1e9·1e6 / 5e14 = 12 s and H = 10 steps compute for W = 120 s. Pseudo-gradient
# V = P·16 bit / C_r(16) = 1e9 bit in each direction. No straggler (f = 1), latency 0, seed
# collective: t_sync = V/BW + V/BW = 2e9 bit / BW.


def _scenario(streaming: bool, **network: Any) -> dict[str, Any]:
    return {
        "nodes": 2,
        "hardware": {"node_pflops": 1.0, "node_memory_gb": 80},
        "model": {"params": 1e9},
        "training": {"mfu": 0.5, "local_batch_tokens": 1_000_000, "inner_steps": 10, "streaming": streaming},
        "network": {"straggler": "none", "wan": {"latency_ms": 0}, **network},
    }


def _bandwidths(result: Any) -> list[float | None]:
    return [t.bandwidth_mbps for t in result.targets]


def test_blocking_fixed_h_hand_computed() -> None:
    # Blocking: u = W/(W + t_sync) ⇒ t_sync = W·(1 − u)/u ⇒ BW = 2e9·u / (W·(1 − u)).
    # u = 0.5: t_sync = 120 s → 2e9/120 = 16.6667 Mbps; u = 0.9: 13.3333 s → 150 Mbps;
    # u = 0.95: 6.31579 s → 316.667 Mbps; u = 0.99: 1.21212 s → 1,650 Mbps.
    result = bandwidth_for_utilization(_scenario(streaming=False))
    assert _bandwidths(result) == pytest.approx([50 / 3, 150.0, 950 / 3, 1650.0], rel=1e-8)
    assert [t.status for t in result.targets] == ["found"] * 4
    assert [t.compute_utilization for t in result.targets] == pytest.approx([0.5, 0.9, 0.95, 0.99], rel=1e-8)
    assert all(t.inner_steps == 10 for t in result.targets)


def test_streaming_fixed_h_hand_computed() -> None:
    # Streaming: u = min(1, W/t_sync) ⇒ t_sync = W/u ⇒ BW = 2e9·u / W.
    # u = 0.5: 240 s → 8.33333 Mbps; 0.9: 15 Mbps; 0.95: 15.8333 Mbps; 0.99: 16.5 Mbps.
    result = bandwidth_for_utilization(_scenario(streaming=True))
    assert _bandwidths(result) == pytest.approx([25 / 3, 15.0, 95 / 6, 16.5], rel=1e-8)
    assert result.targets[1].sync_s == pytest.approx(120 / 0.9, rel=1e-8)


def test_ring_with_latency_and_an_unreachable_target() -> None:
    # Ring over n = 4 (variants.md §6): t_sync = (3/4)·2e9/BW + 2·3·lat. lat = 0.1 s: 0.6 s.
    # Blocking, u = 0.9: t_sync = 13.3333 s ⇒ BW = 1.5e9/(13.3333 − 0.6) = 117.801 Mbps.
    ring = _scenario(streaming=False, collective="ring", wan={"latency_ms": 100})
    ring["nodes"] = 4
    (target,) = bandwidth_for_utilization(ring, [0.9]).targets
    assert target.bandwidth_mbps == pytest.approx(1.5e9 / (40 / 3 - 0.6) / 1e6, rel=1e-8)
    # lat = 5 s: the latency term alone is 30 s, so u ≤ 120/150 = 0.8 at any bandwidth.
    # u = 0.5 needs t_sync = 120 s ⇒ BW = 1.5e9/90 = 16.6667 Mbps; u = 0.9 is unreachable.
    ring["network"]["wan"] = {"latency_ms": 5_000}
    half, ninety = bandwidth_for_utilization(ring, [0.5, 0.9]).targets
    assert half.bandwidth_mbps == pytest.approx(1.5e9 / 90 / 1e6, rel=1e-8)
    assert (ninety.status, ninety.bandwidth_mbps) == ("unreachable", None)
    assert ninety.compute_utilization == pytest.approx(0.8, rel=1e-6)


def test_bandwidth_does_not_limit() -> None:
    # One node never synchronises; automatic H with streaming hides every sync (u = 1). (In
    # time-to-train mode: with a budget, a bandwidth so low that no outer step fits is refused.)
    single = bandwidth_for_utilization({"nodes": 1})
    auto = bandwidth_for_utilization({"nodes": 8, "training": {"tokens": 1e12, "streaming": True}})
    for result in (single, auto):
        assert {t.status for t in result.targets} == {"any"}
        assert all(t.bandwidth_mbps is None and t.compute_utilization == 1.0 for t in result.targets)


def test_through_analyze_is_json_ready() -> None:
    out = dtsim.analyze("bandwidth_for_utilization", scenario=_scenario(streaming=False), targets=[0.9])
    assert out["targets"][0]["bandwidth_mbps"] == pytest.approx(150.0, rel=1e-8)
    assert out["targets"][0]["status"] == "found"
    assert (out["low_mbps"], out["high_mbps"]) == (1e-3, 1e9)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"targets": [0.0]}, "targets"),
        ({"targets": [1.5]}, "targets"),
        ({"targets": []}, "targets"),
        ({"targets": "0.9"}, "targets"),
        ({"targets": [True]}, "targets"),
        ({"low_mbps": 10, "high_mbps": 1}, "low_mbps"),
        ({"high_mbps": 2e9}, "high_mbps"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(args: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as info:
        bandwidth_for_utilization(_scenario(streaming=False), **args)
    assert info.value.field == field


def test_asymmetric_links_are_refused() -> None:
    with pytest.raises(ScenarioError, match="upload_mbps"):
        bandwidth_for_utilization(_scenario(streaming=False, wan={"upload_mbps": 10}))
    with pytest.raises(ScenarioError, match="expected a scenario mapping"):
        bandwidth_for_utilization("nodes: 4")  # type: ignore[arg-type]


def test_a_refused_bandwidth_does_not_reach_the_target() -> None:
    # 30 days, automatic H, streaming: u = 1 wherever one outer step fits in the budget, so the
    # answer is the bandwidth below which the first outer step no longer completes in 30 days:
    # t_out = max(H·t_step, t_sync) with H = ceil(t_sync/t_step) ⇒ t_sync ≈ 30 days.
    budget = {"nodes": 8, "training": {"days": 30}}
    (target,) = bandwidth_for_utilization(budget, [0.9]).targets
    assert target.status == "found" and target.compute_utilization == 1.0
    below = dtsim.sweep(budget, {"network.wan.bandwidth_mbps": [target.bandwidth_mbps * (1 - 1e-6)]})
    assert not below.columns["feasible"][0]
    assert target.sync_s == pytest.approx(30 * 86_400, rel=0.01)


def test_a_scenario_infeasible_at_every_bandwidth_raises_its_error() -> None:
    too_big = {"nodes": 4, "hardware": {"node_pflops": 1.0, "node_memory_gb": 1}, "model": {"params": 1e9}}
    with pytest.raises(InfeasibleError):
        bandwidth_for_utilization(too_big)


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(1, 5_000),
    u=st.floats(0.05, 0.995),
    params=st.floats(1e8, 1e11),
    streaming=st.booleans(),
)
@example(h=4_667, u=0.05, params=42_261_624_570.0, streaming=False)  # a 548-day outer step
def test_matches_the_closed_form_of_the_flat_sync(h: int, u: float, params: float, streaming: bool) -> None:
    # Flat DiLoCo, f = 1, latency 0, seed collective: t_sync = 2V/BW with V = P·16/16 = P bit,
    # W = H·t_step with t_step = 6·P·1e6/5e14 s. Blocking: BW = 2P·u/(W(1 − u)); streaming:
    # BW = 2P·u/W. The answer is the smallest bandwidth reaching u, to a relative 1e-10. (In
    # time-to-train mode: a budget would refuse outer steps longer than itself.)
    scenario = _scenario(streaming=streaming)
    scenario["training"]["tokens"] = 1e15
    scenario["model"]["params"] = params
    scenario["hardware"]["node_memory_gb"] = params * 16 / 1e9 * 1.01
    scenario["training"]["inner_steps"] = h
    w = h * 6 * params * 1e6 / 5e14
    expected = 2 * params * u / (w if streaming else w * (1 - u)) / 1e6
    (target,) = bandwidth_for_utilization(scenario, [u]).targets
    assert target.status == "found"
    assert target.bandwidth_mbps == pytest.approx(expected, rel=1e-8)
    assert target.compute_utilization >= u
