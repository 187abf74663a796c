"""The reliability layer's physics against spec reliability.md: the block-level worked examples
(§14), the published anchors (§15), the corrected model (§17) and the invariants.

Printed values are checked with ``assert_printed``: the computed value must round to the
printed decimal (within half a unit of its last digit). Where the spec gives a closed form, the
value is also checked against it at rel 1e-12.
"""

from __future__ import annotations

import inspect
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dtsim.errors import ScenarioError
from dtsim.physics import reliability as rel

DAY_S = 86_400.0
BUDGET_S = 547.875 * DAY_S  # 13,149 h
MITIGATION = {name: code for code, name in enumerate(rel.MITIGATIONS)}
MODE = {name: code for code, name in enumerate(rel.CHECKPOINT_MODES)}
REFERENCE, CORRECTED = 0, 1
ALL = np.arange(len(rel.MITIGATIONS))


def assert_printed(actual: Any, printed: str) -> None:
    """``actual`` rounds to ``printed`` (commas allowed): |actual − printed| ≤ half a unit of
    the last printed digit."""
    value = Decimal(printed.replace(",", ""))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    half = Decimal(1).scaleb(exponent) / 2
    error = abs(Decimal(float(actual)) - value)
    assert error <= half * Decimal("1.000001"), f"{float(actual)!r} does not round to {printed}"


def a100_block(nodes: Any = 72, **changes: Any) -> dict[str, Any]:
    """The reliability block on the examples' default node: 50×A100-80GB (4,000 GB, fp16),
    250B = P_max (S_B = 4e12 B), 547.875 days, tail over N (spec §14 preamble)."""
    args: dict[str, Any] = {
        "nodes": nodes,
        "gpus_per_node": 50,
        "node_memory_bytes": 4_000e9,
        "state_params": 250e9,
        "bytes_per_param": 16,
        "window_s": BUDGET_S,
        "tail_participants": nodes,
    }
    args.update(changes)
    return rel.reliability_block(**args)


def row(block: dict[str, Any], mitigation: str) -> dict[str, Any]:
    """One strategy of a block evaluated over ``ALL`` mitigations."""
    i = MITIGATION[mitigation]
    return {key: value[i] for key, value in block.items()}


# ── §14 worked examples ───────────────────────────────────────────────────────────────────


def test_e1_defaults_relay_at_72_nodes() -> None:
    b = a100_block(72)
    assert set(rel.BLOCK_KEYS) <= set(b) and len(rel.BLOCK_KEYS) == 13
    assert b["mitigation"][()] == "relay"
    assert b["gpus"] == 3_600
    assert b["cluster_failures_per_day"] == pytest.approx(24 * 0.072, rel=1e-12)
    assert_printed(b["cluster_failures_per_day"], "1.728")
    assert b["cluster_mtbf_hours"] == pytest.approx(1 / 0.072, rel=1e-12)
    assert_printed(b["cluster_mtbf_hours"], "13.889")
    assert_printed(b["expected_failures"], "946.728")
    p_down = -math.expm1(-2e-5 * 600 / 3600)
    assert b["node_unavailability"] == pytest.approx(p_down, rel=1e-12)
    assert_printed(b["node_unavailability"], "3.3333278e-6")
    assert_printed(b["goodput"], "0.99999666667")
    assert_printed(b["time_inflation"], "1.0000033")
    assert b["gpu_hours_lost"] == pytest.approx(3_600 * 13_149 * p_down, rel=1e-9)
    assert_printed(b["gpu_hours_lost"], "157.788")
    assert b["straggler_factor"] == pytest.approx(1 + 0.4 * 0.05 * math.log2(72), rel=1e-12)
    assert_printed(b["straggler_factor"], "1.1233985")
    assert b["checkpoint_cost_s"] == pytest.approx(0.02 * 4e12 / 3e9, rel=1e-12)
    assert_printed(b["checkpoint_cost_s"], "26.667")
    assert not b["gpu_memory_checkpoint_feasible"]
    assert b["eta_mitigation"] == 1.0 and b["cost_multiplier"] == 1.0
    assert np.isnan(b["checkpoint_interval_hours"])


def test_e2_synchronous_young_daly_and_elastic_and_async() -> None:
    b = a100_block(72, mitigation=ALL)
    sync = row(b, "synchronous")
    c_h = 0.02 * 4e12 / 3e9 / 3600
    assert_printed(c_h, "0.0074074")
    assert sync["checkpoint_interval_hours"] == pytest.approx(math.sqrt(2 * c_h / 0.072), rel=1e-12)
    assert_printed(sync["checkpoint_interval_hours"], "0.4536092")
    assert_printed(c_h / sync["checkpoint_interval_hours"], "0.0163299")
    assert_printed(0.072 * sync["checkpoint_interval_hours"] / 2, "0.0163299")
    assert_printed(1 - sync["goodput"], "0.0446599")
    assert sync["goodput"] == pytest.approx(1 - math.sqrt(2 * c_h * 0.072) - 0.012, rel=1e-12)
    assert_printed(sync["goodput"], "0.9553401")
    assert_printed(sync["time_inflation"], "1.0467476")
    assert_printed(sync["gpu_hours_lost"], "2,114,037")
    assert_printed(sync["straggler_factor"], "1.3084963")
    assert_printed(row(b, "checkpoint_elastic")["goodput"], "0.9673368")
    assert row(b, "checkpoint_elastic")["checkpoint_interval_hours"] == sync["checkpoint_interval_hours"]
    asyn = row(b, "async")
    assert asyn["goodput"] == pytest.approx(1 - -math.expm1(-2e-5 / 6) - 0.12 * -math.expm1(-0.012), rel=1e-12)
    assert_printed(asyn["goodput"], "0.9985653")
    assert asyn["eta_mitigation"] == 0.97 and asyn["straggler_factor"] == 1.0
    assert np.isnan(asyn["checkpoint_interval_hours"])


def test_e3_no_mitigation_at_72_nodes() -> None:
    none = row(a100_block(72, mitigation=ALL), "none")
    assert none["goodput"] == pytest.approx(1 / 474.364, rel=1e-12)
    assert_printed(none["goodput"], "0.0021081")
    assert none["time_inflation"] == pytest.approx(474.364, rel=1e-12)
    assert_printed(none["gpu_hours_lost"], "4.72366e7")
    assert_printed(3_600 * 13_149, "4.73364e7")
    assert np.isnan(none["checkpoint_interval_hours"])


def test_e4_block_columns_at_625_nodes() -> None:
    b = a100_block(625, mitigation=ALL)
    assert b["gpus"][0] == 31_250
    assert_printed(b["cluster_mtbf_hours"][0], "1.6")
    assert_printed(b["expected_failures"][0], "8,218")
    expected = {  # strategy: (f_tail(625), γ, eta_mitigation, cost ×)
        "none": ("1.4643856", "0.00024331", 1.0, 1.0),
        "synchronous": ("1.4643856", "0.7996083", 1.0, 1.0),
        "threshold": ("1", "0.9999967", 0.85, 1.0),
        "relay": ("1.1857542", "0.9999967", 1.0, 1.0),
        "async": ("1", "0.9881257", 0.97, 1.0),
        "backup_workers": ("1.1393157", "1", 1.0, 1.05),
        "checkpoint_elastic": ("1.4643856", "0.9037716", 1.0, 1.0),
    }
    for name, (f_tail, gamma, eta, cost) in expected.items():
        r = row(b, name)
        assert_printed(r["straggler_factor"], f_tail)
        assert_printed(r["goodput"], gamma)
        assert r["eta_mitigation"] == eta
        assert r["cost_multiplier"] == pytest.approx(cost, rel=1e-15)
    assert row(b, "backup_workers")["goodput"] == 1.0  # p_down ≈ 3.3e-6 < b = 0.05: exactly 1


def test_e5_goodput_at_4000_nodes() -> None:
    b = a100_block(4_000, mitigation=ALL)
    assert_printed(b["cluster_mtbf_hours"][0], "0.25")
    assert_printed(row(b, "none")["goodput"], "3.8024e-5")
    assert_printed(row(b, "none")["time_inflation"], "26,299")
    sync = row(b, "synchronous")
    assert_printed(sync["goodput"], "0.0899011")
    assert_printed(sync["checkpoint_interval_hours"], "0.0608581")
    assert_printed(sync["time_inflation"], "11.12")
    assert_printed(row(b, "checkpoint_elastic")["goodput"], "0.7565644")
    assert_printed(row(b, "async")["goodput"], "0.9416067")
    assert_printed(-math.expm1(-4 / 6), "0.48658")
    assert_printed(row(b, "relay")["goodput"], "0.9999967")
    assert_printed(row(b, "threshold")["goodput"], "0.9999967")
    assert row(b, "backup_workers")["goodput"] == 1.0


@pytest.mark.parametrize(
    ("params", "feasible", "cost_s", "interval_h", "gamma"),
    [
        # (a) 100B: S_B = 1.6e12, free 2.4e12 ≥ 4·1.6e12/72 = 8.9e10; c = 0.005·533.33 s
        (100e9, True, "2.667", "0.1434438", "0.9776720"),
        # (b) 250B = P_max: free 0 < 4·4e12/72, so c = c_raw = 1,333.33 s
        (250e9, False, "1,333.33", "3.2075015", "0.7570599"),
    ],
)
def test_e6_gpu_memory_checkpointing(params: float, feasible: bool, cost_s: str, interval_h: str, gamma: str) -> None:
    b = a100_block(72, state_params=params, mitigation=MITIGATION["synchronous"], checkpoint_mode=MODE["gpu_memory"])
    assert b["gpu_memory_checkpoint_feasible"] == feasible
    assert_printed(b["checkpoint_cost_s"], cost_s)
    assert_printed(b["checkpoint_interval_hours"], interval_h)
    assert_printed(b["goodput"], gamma)


def test_e6_feasibility_rule_for_dense_models() -> None:
    # P ≤ P_max·N/(N + M): 1/3 of P_max at N = 2, 1/2 at N = 4, 72/76 = 94.7 % at N = 72.
    for nodes, share in ((2, 1 / 3), (4, 1 / 2), (72, 72 / 76)):
        at = rel.gpu_memory_checkpoint_feasible(4e12, share * 4e12, share * 4e12, 4, nodes)
        above = rel.gpu_memory_checkpoint_feasible(4e12, share * 4e12 * 1.001, share * 4e12 * 1.001, 4, nodes)
        assert at and not above


def test_e7_backup_budget_exceeded() -> None:
    b = a100_block(
        200,
        mitigation=MITIGATION["backup_workers"],
        failure_rate_per_gpu_hour=1e-3,
        recovery_s=86_400,
        backup_fraction=0.01,
    )
    assert b["node_unavailability"] == pytest.approx(-math.expm1(-0.024), rel=1e-12)
    assert_printed(b["node_unavailability"], "0.0237143")
    assert_printed(b["goodput"], "0.9862857")
    assert b["cost_multiplier"] == pytest.approx(1.01, rel=1e-15)
    assert_printed(b["straggler_factor"], "1.1146578")
    assert b["cluster_mtbf_hours"] == pytest.approx(0.1, rel=1e-12)


def test_e8a_no_failures() -> None:
    b = a100_block(500, mitigation=ALL, failure_rate_per_gpu_hour=0.0)
    assert np.all(b["goodput"] == 1.0) and np.all(b["time_inflation"] == 1.0)
    assert np.all(np.isnan(b["cluster_mtbf_hours"])) and np.all(np.isnan(b["checkpoint_interval_hours"]))
    assert np.all(b["expected_failures"] == 0.0) and np.all(b["gpu_hours_lost"] == 0.0)
    assert_printed(row(b, "synchronous")["straggler_factor"], "1.4482892")


def test_e8c_single_node_synchronous_with_sync_checkpoints() -> None:
    b = a100_block(1, mitigation=MITIGATION["synchronous"], checkpoint_mode=MODE["sync"])
    assert b["gpus"] == 50
    assert b["cluster_failures_per_day"] == pytest.approx(0.024, rel=1e-12)  # R = 0.001/h
    assert_printed(b["checkpoint_cost_s"], "1,333.33")
    assert_printed(b["checkpoint_interval_hours"], "27.2166")
    assert_printed(b["goodput"], "0.9726168")
    assert b["straggler_factor"] == 1.0


def test_e8b_single_node_threshold_block() -> None:
    b = a100_block(1, mitigation=MITIGATION["threshold"])
    assert b["straggler_factor"] == 1.0
    assert b["goodput"] == pytest.approx(1 - -math.expm1(-2e-5 / 6), rel=1e-15)
    assert b["eta_mitigation"] == 0.85  # the reference penalises a single node (D5)


def test_e8d_goodput_zero() -> None:
    b = a100_block(
        4_000,
        state_params=144e9,
        mitigation=np.array([MITIGATION["synchronous"], MITIGATION["relay"]]),
        checkpoint_mode=MODE["sync"],
        failure_rate_per_gpu_hour=1e-4,
    )
    assert b["checkpoint_cost_s"][0] == pytest.approx(768.0, rel=1e-12)
    lost = math.sqrt(2 * 768 / 3600 * 20) + 20 / 6
    assert lost == pytest.approx(6.25452, abs=1e-5)  # the spec prints 6.254 (truncated)
    assert b["goodput"][0] == 0.0
    assert np.isnan(b["time_inflation"][0])
    assert b["gpu_hours_lost"][0] == pytest.approx(200_000 * 13_149, rel=1e-12)
    assert b["goodput"][1] > 0.99


def test_e8e_fail_slow_settings() -> None:
    assert np.all(rel.tail_factor([2, 72, 1_000, 1e6], ALL[:, None], 0.10, 1.0) == 1.0)
    f = rel.tail_factor(1_000, MITIGATION["relay"], 0.5, 0.05)
    assert f == pytest.approx(1 + 0.4 * 0.75 * 0.5 * 19 * math.log2(1_000), rel=1e-12)
    assert_printed(f, "29.4025")


def test_e9_llama3_405b_like_run() -> None:
    # 2,048 nodes × 8 H100 (640 GB), 54 days, pp-diloco 405B fp16 over S = 11 stages, G = 186.
    args: dict[str, Any] = {
        "nodes": 2_048,
        "gpus_per_node": 8,
        "node_memory_bytes": 640e9,
        "state_params": 405e9,
        "node_state_params": rel.pipeline_node_state_params(405e9, 11),
        "bytes_per_param": 16,
        "window_s": 54 * DAY_S,
        "tail_participants": 186,
        "mitigation": MITIGATION["synchronous"],
        "checkpoint_mode": MODE["sync"],
        "model": np.array([REFERENCE, CORRECTED]),
    }
    b = rel.reliability_block(**args)
    ref = {key: value[0] for key, value in b.items()}
    assert_printed(rel.checkpoint_state_bytes(405e9, 16) / 1e12, "6.48")
    assert ref["gpus"] == 16_384
    assert ref["cluster_failures_per_day"] / 24 == pytest.approx(0.32768, rel=1e-12)
    assert_printed(ref["expected_failures"], "424.67")
    assert_printed(ref["cluster_mtbf_hours"], "3.05")
    assert ref["checkpoint_cost_s"] == pytest.approx(2_160.0, rel=1e-12)
    assert_printed(ref["checkpoint_interval_hours"], "1.9137")
    assert_printed(math.sqrt(2 * 0.6 * 0.32768), "0.62707")
    assert_printed(0.32768 / 6, "0.05461")
    assert_printed(ref["goodput"], "0.3183")
    assert ref["straggler_factor"] == pytest.approx(1 + 0.05 * math.log2(186), rel=1e-12)
    assert not ref["gpu_memory_checkpoint_feasible"]
    # Corrected (D2): each node writes its own stage, 405e9/11·16 B = 5.8909e11 B at 3 GB/s
    # = 196.3636 s = 0.0545455 h; t* = sqrt(2·0.0545455/0.32768) = 0.576991 h;
    # γ = 1 − sqrt(2·0.0545455·0.32768) − 0.32768/6 = 1 − 0.189068 − 0.054613 = 0.756318.
    # GPU memory: free 640e9 − 5.8909e11 = 5.09e10 ≥ 4·6.48e12/2,048 = 1.27e10, feasible.
    cor = {key: value[1] for key, value in b.items()}
    assert_printed(cor["checkpoint_cost_s"], "196.3636")
    assert_printed(cor["checkpoint_interval_hours"], "0.576991")
    assert_printed(cor["goodput"], "0.756318")
    assert cor["gpu_memory_checkpoint_feasible"]
    assert cor["expected_failures"] == ref["expected_failures"]


def test_e10_decoupled_diloco_scale() -> None:
    # 18,750 nodes × 64 chips, 12B model (async checkpoints of 1.92e11 B: c = 1.28 s), 30 days.
    b = rel.reliability_block(
        nodes=18_750,
        gpus_per_node=64,
        node_memory_bytes=64 * 16e9,
        state_params=12e9,
        bytes_per_param=16,
        window_s=30 * DAY_S,
        tail_participants=18_750,
        mitigation=ALL,
    )
    assert b["cluster_failures_per_day"][0] / 24 == pytest.approx(24.0, rel=1e-12)
    assert b["cluster_mtbf_hours"][0] * 60 == pytest.approx(2.5, rel=1e-12)
    assert_printed(-math.expm1(-4.0), "0.98168")
    assert_printed(row(b, "async")["goodput"], "0.8821945")
    assert_printed(row(b, "checkpoint_elastic")["goodput"], "0.8693572")
    assert row(b, "synchronous")["goodput"] == 0.0
    assert np.isnan(row(b, "synchronous")["time_inflation"])


def test_e11_time_to_train_goodput_and_wall_clock() -> None:
    # Seed Scenario 1: 72 nodes × 16 GPUs, 2,304 GB, 144B fp16 (S_B = node memory), window T⁰.
    t0_s = 12e12 / (131_072 * 72 * 128) * 2_880
    assert_printed(t0_s / DAY_S, "331.137")
    assert_printed(t0_s / 3600, "7,947.3")
    b = rel.reliability_block(
        nodes=72,
        gpus_per_node=16,
        node_memory_bytes=2_304e9,
        state_params=144e9,
        bytes_per_param=16,
        window_s=t0_s,
        tail_participants=72,
        mitigation=ALL,
        fail_slow_severity=1.0,
    )
    assert np.all(b["straggler_factor"] == 1.0)
    assert b["cluster_failures_per_day"][0] / 24 == pytest.approx(0.02304, rel=1e-12)
    days = t0_s / DAY_S / b["goodput"]  # §10.2: wall_clock_days = T⁰/γ
    expected = {  # strategy: (γ or None, wall-clock days)
        "relay": (None, "331.138"),
        "synchronous": ("0.9821383", "337.159"),
        "checkpoint_elastic": ("0.9859750", "335.847"),
        "async": ("0.9995368", "331.290"),
        "none": ("0.0108047", "30,647.6"),
        "backup_workers": ("1", "331.137"),
        "threshold": (None, "331.138"),
    }
    for name, (gamma, wall) in expected.items():
        i = MITIGATION[name]
        if gamma is not None:
            assert_printed(b["goodput"][i], gamma)
        assert_printed(days[i], wall)
    assert row(b, "backup_workers")["cost_multiplier"] == 1.05
    assert row(b, "async")["eta_mitigation"] == 0.97 and row(b, "threshold")["eta_mitigation"] == 0.85


# ── §15 published anchors (Failure_Mitigation_Analysis.md) ────────────────────────────────

ANCHOR_NODES = (72, 625, 4_000)  # 3.6k / 31k / 200k GPUs of 50×A100
ANCHOR_GOODPUT_PERCENT = {
    "none": ("0.2", "0.02", "0.004"),
    "synchronous": ("95.5", "80.0", "9.0"),
    "checkpoint_elastic": ("96.7", "90.4", "75.7"),
    "async": ("99.9", "98.8", "94.2"),
}


@pytest.mark.parametrize("column", range(3), ids=["3.6k", "31k", "200k"])
def test_published_anchors(column: int) -> None:
    b = a100_block(ANCHOR_NODES[column], mitigation=ALL)
    for name, percents in ANCHOR_GOODPUT_PERCENT.items():
        assert_printed(100 * row(b, name)["goodput"], percents[column])
    for name in ("relay", "threshold", "backup_workers"):
        assert row(b, name)["goodput"] >= 0.999
    assert_printed(b["cluster_mtbf_hours"][0], ("13.9", "1.6", "0.25")[column])
    assert_printed(row(b, "none")["time_inflation"], ("474", "4,110", "26,299")[column])


# ── §17 the corrected model ───────────────────────────────────────────────────────────────


def test_corrected_node_unavailability_uses_the_node_rate() -> None:
    # D1: a 50-GPU node fails at 50·2e-5 = 1e-3 per hour; p_down = 1 − e^{−1e-3/6}
    # = 1.6666667e-4 − (1.6666667e-4)²/2 = 1.6665278e-4, 50× the reference's 3.3333278e-6.
    b = a100_block(72, mitigation=ALL, model=CORRECTED)
    assert b["node_unavailability"][0] == pytest.approx(-math.expm1(-1e-3 / 6), rel=1e-12)
    assert_printed(b["node_unavailability"][0], "1.6665278e-4")
    # relay/threshold: γ = 1 − p_down = 0.99983335; elastic: 0.9673368 + 3.33e-6 − 1.6665e-4
    assert_printed(row(b, "relay")["goodput"], "0.99983335")
    assert_printed(row(b, "checkpoint_elastic")["goodput"], "0.9671735")
    # synchronous has no p_down term: unchanged.
    assert row(b, "synchronous")["goodput"] == row(a100_block(72, mitigation=ALL), "synchronous")["goodput"]


def test_corrected_none_is_exact() -> None:
    # D3: γ = x/(e^x − 1), x = R·T. One GPU at λ = 1e-3 for 1,000 h: x = 1, γ = 1/(e − 1).
    one = {"nodes": 1, "gpus_per_node": 1, "node_memory_bytes": 80e9, "state_params": 1e9, "bytes_per_param": 16}
    b = rel.reliability_block(
        **one,
        window_s=1_000 * 3_600.0,
        tail_participants=1,
        mitigation=MITIGATION["none"],
        failure_rate_per_gpu_hour=1e-3,
        model=np.array([REFERENCE, CORRECTED]),
    )
    assert b["goodput"][0] == pytest.approx(1 / 1.5, rel=1e-15)  # linearised 1/(1 + x/2)
    assert b["goodput"][1] == pytest.approx(0.5819767068693265, rel=1e-14)  # 1/(e − 1)
    assert b["time_inflation"][1] == pytest.approx(math.e - 1, rel=1e-14)
    # Small x: γ = 1 − x/2 + x²/12 − …; x = 1e-9 → 1 − 5e-10 (no cancellation).
    assert rel.goodput_none_exact(1e-9, 1.0) == pytest.approx(1 - 5e-10, rel=1e-15)
    assert rel.goodput_none_exact(0.0, 13_149.0) == 1.0
    # x = 946.728 (3,600 GPUs): true γ ≈ 946.7·e^{−946.7} ≈ 1e-408 underflows to 0, no warning.
    at_72 = a100_block(72, mitigation=MITIGATION["none"], model=CORRECTED)
    assert at_72["goodput"] == 0.0 and np.isnan(at_72["time_inflation"])
    assert rel.goodput_none_exact(1e5, 1e5) == 0.0


def test_corrected_moe_checkpoint_state_and_gpu_memory() -> None:
    # D2, moe-ep 600B total / 100B active on 48×A100 (3,840 GB), N = 72: one node holds
    # (100e9 + 500e9/72)·16 = 1.7111e12 B. Free 3.84e12 − 1.7111e12 = 2.1289e12 ≥
    # 4·600e9·16/72 = 5.333e11: feasible, c = 0.005·1.7111e12/3e9 = 2.851852 s. The reference
    # compares the full 9.6e12 B with 3.84e12 B: infeasible, c = c_raw = 9.6e12/3e9 = 3,200 s.
    node_params = rel.expert_parallel_node_state_params(600e9, 100e9, 72)
    assert node_params == pytest.approx(100e9 + 500e9 / 72, rel=1e-15)
    b = rel.reliability_block(
        nodes=72,
        gpus_per_node=48,
        node_memory_bytes=3_840e9,
        state_params=600e9,
        node_state_params=node_params,
        bytes_per_param=16,
        window_s=BUDGET_S,
        tail_participants=72,
        mitigation=MITIGATION["synchronous"],
        checkpoint_mode=MODE["gpu_memory"],
        model=np.array([REFERENCE, CORRECTED]),
    )
    assert list(b["gpu_memory_checkpoint_feasible"]) == [False, True]
    assert b["checkpoint_cost_s"][0] == pytest.approx(3_200.0, rel=1e-12)
    assert_printed(b["checkpoint_cost_s"][1], "2.851852")


def test_corrected_single_node_has_no_mitigation_penalty_or_spare() -> None:
    # D5 at N = 1 (50 GPUs): threshold and async keep eta 1; backup buys no spare, so
    # cost × 1 and γ = 1 − p_down = 1 − 1.6665278e-4 (the reference: 0.85, 0.97, 1.05, γ = 1).
    b = a100_block(1, mitigation=ALL, model=CORRECTED)
    assert list(b["eta_mitigation"]) == [1.0] * 7
    assert list(b["cost_multiplier"]) == [1.0] * 7
    assert_printed(row(b, "backup_workers")["goodput"], "0.99983335")
    ref = a100_block(1, mitigation=ALL)
    assert row(ref, "threshold")["eta_mitigation"] == 0.85 and row(ref, "async")["eta_mitigation"] == 0.97
    assert row(ref, "backup_workers")["cost_multiplier"] == 1.05 and row(ref, "backup_workers")["goodput"] == 1.0
    # Above one node the corrected model keeps the penalties and the spares.
    two = a100_block(2, mitigation=ALL, model=CORRECTED)
    assert row(two, "threshold")["eta_mitigation"] == 0.85
    assert row(two, "backup_workers")["cost_multiplier"] == 1.05
    assert row(two, "backup_workers")["goodput"] == 1.0


def test_corrected_model_leaves_dense_checkpoints_alone() -> None:
    # diloco/hierarchical: the node state is the replica (node_state_params defaults to P_s).
    ref = a100_block(625, mitigation=ALL, checkpoint_mode=MODE["sync"])
    cor = a100_block(625, mitigation=ALL, checkpoint_mode=MODE["sync"], model=CORRECTED)
    assert np.array_equal(ref["checkpoint_cost_s"], cor["checkpoint_cost_s"])
    assert np.array_equal(ref["checkpoint_interval_hours"], cor["checkpoint_interval_hours"], equal_nan=True)


# ── codes, write-time override, branches ──────────────────────────────────────────────────


def test_codes_and_refusal() -> None:
    assert list(rel.codes("reliability.mitigation", ["none", "checkpoint_elastic"], rel.MITIGATIONS)) == [0, 6]
    assert rel.codes("reliability.checkpoint.mode", "gpu_memory", rel.CHECKPOINT_MODES)[0] == 2
    with pytest.raises(ScenarioError, match=r"reliability\.mitigation = 'elastic': one of none, synchronous"):
        rel.codes("reliability.mitigation", "elastic", rel.MITIGATIONS)


def test_write_time_override_replaces_the_bandwidth() -> None:
    b = a100_block(72, checkpoint_mode=MODE["sync"], checkpoint_write_s=np.array([np.nan, 100.0]))
    assert list(b["checkpoint_cost_s"]) == pytest.approx([4e12 / 3e9, 100.0], rel=1e-12)
    assert rel.raw_checkpoint_cost_s(4e12, 3e9) == pytest.approx(1_333.3333333333333, rel=1e-15)


def test_zero_cost_branch_charges_the_full_stall() -> None:
    # §6 branch 2 (D4): c = 0 → t* = ∞ and L = R·r even for checkpoint_elastic.
    assert rel.young_daly_interval_hours(0.0, 0.072) == math.inf
    assert rel.lost_fraction(0.0, 0.072, 1 / 6, False) == pytest.approx(0.012, rel=1e-15)
    assert rel.lost_fraction(0.5, 0.0, 1 / 6, True) == 0.0
    assert rel.young_daly_interval_hours(0.5, 0.0) == math.inf


# ── properties ────────────────────────────────────────────────────────────────────────────

mitigations = st.integers(0, len(rel.MITIGATIONS) - 1)
modes = st.integers(0, len(rel.CHECKPOINT_MODES) - 1)
models = st.integers(0, len(rel.RELIABILITY_MODELS) - 1)


@st.composite
def block_inputs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid block input inside the spec's ranges (§2)."""
    gpus_per_node = draw(st.integers(1, 1_000))
    nodes = draw(st.integers(1, 1_000_000))
    memory = draw(st.floats(1e9, 1e14))
    state = draw(st.floats(1e6, 1e13))
    return {
        "nodes": nodes,
        "gpus_per_node": gpus_per_node,
        "node_memory_bytes": memory,
        "state_params": state,
        "node_state_params": state * draw(st.floats(0.01, 1.0)),
        "bytes_per_param": draw(st.sampled_from([13.0, 14.0, 16.0])),
        "window_s": draw(st.floats(60.0, 36_525 * DAY_S)),
        "tail_participants": draw(st.integers(1, nodes)),
        "mitigation": draw(mitigations),
        "model": draw(models),
        "failure_rate_per_gpu_hour": draw(st.floats(0.0, 0.1)),
        "recovery_s": draw(st.floats(0.0, 86_400.0)),
        "checkpoint_mode": draw(modes),
        "checkpoint_bandwidth_bytes_per_s": draw(st.floats(1e6, 1e12)),
        "checkpoint_write_s": draw(st.one_of(st.just(np.nan), st.floats(1e-3, 1e6))),
        "peer_replicas": draw(st.integers(1, 64)),
        "fail_slow_fraction": draw(st.floats(0.0, 1.0)),
        "fail_slow_severity": draw(st.floats(0.05, 1.0)),
        "backup_fraction": draw(st.floats(0.0, 0.5)),
    }


@given(block_inputs())
def test_goodput_is_a_fraction_and_nothing_infinite_leaks(args: dict[str, Any]) -> None:
    b = rel.reliability_block(**args)
    assert 0.0 <= b["goodput"] <= 1.0
    for key in ("goodput", "eta_mitigation", "cost_multiplier", "cluster_failures_per_day", "expected_failures"):
        assert np.isfinite(b[key]), key
    for key in ("gpu_hours_lost", "node_unavailability", "checkpoint_cost_s", "gpus", "straggler_factor"):
        assert np.isfinite(b[key]), key
    for key in ("time_inflation", "cluster_mtbf_hours", "checkpoint_interval_hours"):
        assert np.isnan(b[key]) or (np.isfinite(b[key]) and b[key] > 0), key
    assert np.isnan(b["time_inflation"]) == (b["goodput"] == 0.0)
    assert b["time_inflation"] >= 1.0 or np.isnan(b["time_inflation"])


@given(block_inputs(), st.floats(0.0, 0.1))
def test_more_failures_never_raise_goodput(args: dict[str, Any], other_rate: float) -> None:
    low, high = sorted((args["failure_rate_per_gpu_hour"], other_rate))
    g_low = rel.reliability_block(**{**args, "failure_rate_per_gpu_hour": low})["goodput"]
    g_high = rel.reliability_block(**{**args, "failure_rate_per_gpu_hour": high})["goodput"]
    assert g_high <= g_low


@given(block_inputs(), st.floats(1e6, 1e12))
def test_a_faster_checkpoint_link_never_lowers_goodput(args: dict[str, Any], other_bandwidth: float) -> None:
    slow, fast = sorted((args["checkpoint_bandwidth_bytes_per_s"], other_bandwidth))
    g_slow = rel.reliability_block(**{**args, "checkpoint_bandwidth_bytes_per_s": slow})["goodput"]
    g_fast = rel.reliability_block(**{**args, "checkpoint_bandwidth_bytes_per_s": fast})["goodput"]
    assert g_fast >= g_slow


@given(st.floats(0.0, 1e9), mitigations, st.floats(0.0, 1.0), st.floats(0.05, 1.0))
def test_tail_factor_bounds(n: float, mitigation: int, fraction: float, severity: float) -> None:
    f = rel.tail_factor(n, mitigation, fraction, severity)
    assert f >= 1.0
    if n <= 1:
        assert f == 1.0
    assert rel.tail_factor(n, mitigation, fraction, 1.0) == 1.0
    assert rel.tail_factor(n, mitigation, 0.0, severity) == 1.0
    full = rel.tail_factor(n, MITIGATION["synchronous"], fraction, severity)
    assert f <= full


@given(st.lists(block_inputs(), min_size=1, max_size=6))
def test_batch_equals_one_at_a_time(rows: list[dict[str, Any]]) -> None:
    batch = rel.reliability_block(**{key: np.array([r[key] for r in rows]) for key in rows[0]})
    for i, args in enumerate(rows):
        one = rel.reliability_block(**args)
        for key, value in one.items():
            assert np.array_equal(batch[key][i], value, equal_nan=value.dtype.kind == "f"), key


def test_async_goodput_is_clipped_at_zero() -> None:
    # λ = 0.1, r = 24 h on one GPU: p_down = churn = 1 − e^{−2.4} = 0.909282; the reference's
    # 1 − 0.909282 − 0.12·0.909282 = −0.0184 is clipped to 0 (time inflation null).
    b = rel.reliability_block(
        nodes=1,
        gpus_per_node=1,
        node_memory_bytes=80e9,
        state_params=1e9,
        bytes_per_param=16,
        window_s=DAY_S,
        tail_participants=1,
        mitigation=MITIGATION["async"],
        failure_rate_per_gpu_hour=0.1,
        recovery_s=86_400,
    )
    assert_printed(b["node_unavailability"], "0.909282")
    assert b["goodput"] == 0.0 and np.isnan(b["time_inflation"])


def test_block_arguments_from_the_scenario_section() -> None:
    # {} is every default, and the block's own keyword defaults are the same values.
    defaults = rel.block_arguments({})
    signature = inspect.signature(rel.reliability_block).parameters
    for key, value in defaults.items():
        assert np.array_equal(value, signature[key].default, equal_nan=True), key
    assert rel.block_arguments(None).keys() == defaults.keys()
    # E6 (a) through the section: synchronous, gpu_memory, 100B at N = 72 → γ = 0.9776720.
    section = {"mitigation": "synchronous", "checkpoint": {"mode": "gpu_memory", "bandwidth_gb_per_s": 3.0}}
    b = a100_block(72, state_params=100e9, **rel.block_arguments(section))
    assert_printed(b["goodput"], "0.9776720")
    args = rel.block_arguments({"checkpoint": {"write_s": 100}, "model": "corrected", "fail_slow": {"severity": 1}})
    assert args["checkpoint_write_s"] == 100.0 and args["model"] == CORRECTED and args["fail_slow_severity"] == 1.0
    assert args["checkpoint_bandwidth_bytes_per_s"] == 3e9
    with pytest.raises(ScenarioError, match=r"reliability\.checkpoint\.mode = 'disk'"):
        rel.block_arguments({"checkpoint": {"mode": "disk"}})
