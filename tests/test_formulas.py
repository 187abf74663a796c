"""Each formula against values computed by hand from spec model.md."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dtsim.physics import efficiency, hardware, memory, network, scaling_law
from dtsim.physics.compute import step_time_s, training_flop
from dtsim.strategies import moe_ep, pp_diloco


def test_straggler_factor() -> None:
    f = network.straggler_factor([1, 4, 72, 2000])
    assert f[0] == 1.0
    assert f[1] == pytest.approx(1.1, rel=1e-12)
    assert f[2] == pytest.approx(1 + 0.05 * math.log2(72), rel=1e-12)  # 1.3085
    assert f[3] == pytest.approx(1.548, abs=5e-4)
    assert network.straggler_factor(72, enabled=False) == 1.0


def test_sync_time_of_240b_at_100mbps() -> None:
    volume = network.pseudo_gradient_volume_bits(240e9, 16, 16)
    assert volume == 240e9
    # (2·240e9/1e8 + 0.1)·f(4) = 4,800.1 × 1.1
    assert network.sync_time_s(volume, 100e6, 0.1, 1.1) == pytest.approx(5280.11, rel=1e-12)


def test_min_inner_steps_and_duty_cycle() -> None:
    assert network.min_inner_steps(5280.11, 31.50769230769231) == 168
    assert network.min_inner_steps(0.5, 31.5) == 1
    assert network.duty_cycle(1132.46, 2880.0) == pytest.approx(1132.46 / 2880.0)
    assert network.duty_cycle(200 * 31.5, 6000.0) == 1.0


def test_step_time() -> None:
    # 6·240e9·131,072 / (14.976e15·0.4) = 31.508 s
    assert step_time_s(240e9, 131072, 14.976e15 * 0.4) == pytest.approx(31.50769230769231, rel=1e-12)
    assert training_flop(144e9, 12e12) == pytest.approx(1.0368e25, rel=1e-12)


def test_alpha_and_eta_h() -> None:
    assert efficiency.sync_penalty_alpha(240e9) == pytest.approx(0.054199, abs=5e-7)
    assert efficiency.sync_penalty_alpha(144e9) == pytest.approx(0.055879, abs=5e-7)
    assert efficiency.eta_sync_interval(1, 240e9) == 1.0
    assert efficiency.eta_sync_interval(200, 240e9) == pytest.approx(1 - 0.0541989 * math.log10(200), abs=1e-6)
    assert efficiency.eta_sync_interval(1e30, 1e9) == efficiency.ETA_H_FLOOR


def test_eta_replicas() -> None:
    assert efficiency.eta_replicas(1, 240e9) == 1.0
    # 1 − 0.005·(2.4/240)·log2(72)
    assert efficiency.eta_replicas(72, 240e9) == pytest.approx(1 - 0.005 * 0.01 * math.log2(72), rel=1e-12)
    assert efficiency.eta_replicas(8, 2.4e9) == pytest.approx(0.985, rel=1e-12)  # erratum E8: not 0.988
    assert efficiency.eta_replicas(2**60, 0.01e9) == pytest.approx(1 - 0.005 * 0.1 * 60)  # scale min(2.4,P)/max(P,0.1)
    assert efficiency.eta_replicas(2**60, 2.4e9) == efficiency.ETA_REPLICAS_FLOOR  # 1 − 0.3 → floor


@pytest.mark.parametrize(
    ("ratio", "scenario", "expected"),
    [
        (1, "conservative", 1.0),
        (16, "expected", 0.98),
        (100, "optimistic", 0.99),
        (1000, "conservative", 0.90),
        (0.5, "conservative", 1.0),
        # between anchors, linear in log10: halfway between 16 and 100 in log space (40) → mean
        (40, "expected", 0.98 + (math.log10(40) - math.log10(16)) / (2 - math.log10(16)) * (0.95 - 0.98)),
    ],
)
def test_pseudo_gradient_quality(ratio: float, scenario: str, expected: float) -> None:
    table = efficiency.pseudo_gradient_quality_table(scenario)
    assert efficiency.compression_quality(ratio, table) == pytest.approx(expected, abs=1e-12)


def test_custom_quality_table_gets_anchor_one() -> None:
    table = {100: 0.9}
    assert efficiency.compression_quality(10, table) == pytest.approx(0.95, abs=1e-12)


def test_eta_activation() -> None:
    q = efficiency.compression_quality(4, efficiency.activation_quality_table("expected"))
    assert q == 0.995
    assert efficiency.eta_activation(q, [1, 2, 4, 6, 8]) == pytest.approx(
        [1.0, 0.995**2, 0.995**6, 0.995**10, 0.995**14], rel=1e-12
    )
    assert efficiency.eta_activation(1.0, 4) == 1.0


def test_chinchilla_loss_and_optimum() -> None:
    assert scaling_law.chinchilla_loss(175e9, 300e12) == pytest.approx(1.8870, abs=5e-5)  # check 8
    assert scaling_law.chinchilla_loss(175e9, 300e9) == pytest.approx(2.0085, abs=5e-5)  # erratum E13
    assert scaling_law.optimal_params(1.536e24) == pytest.approx(100e9, rel=1e-12)  # check 9
    assert scaling_law.optimal_tokens(1.536e24) == pytest.approx(2.56e12, rel=1e-12)


def _eta_chinchilla_by_bisection(p: float, d: float, c: float) -> float:
    """The spec's reference method (§2.3): 200-step geometric bisection on [1e10, 10·C]."""
    target = float(scaling_law.chinchilla_loss(p, d))
    lo, hi = 1e10, 10 * c
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if float(scaling_law.optimal_loss(mid)) > target:
            lo = mid
        else:
            hi = mid
    return min(1.0, math.sqrt(lo * hi) / c)


def test_eta_chinchilla_matches_bisection() -> None:
    rng = np.random.default_rng(7)
    params = 10 ** rng.uniform(6, 15, 300)
    tokens = 10 ** rng.uniform(8, 17, 300)
    compute = training_flop(params, tokens)
    fast = scaling_law.eta_chinchilla(params, tokens, compute)
    slow = np.array([_eta_chinchilla_by_bisection(p, d, c) for p, d, c in zip(params, tokens, compute, strict=True)])
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_eta_chinchilla_values() -> None:
    assert scaling_law.eta_chinchilla(240e9, 14178198528000.0, 2.041660588032e25) == pytest.approx(0.88362, abs=5e-6)
    p = 100e9
    assert scaling_law.eta_chinchilla(p, 25.6 * p, 6 * p * 25.6 * p) == pytest.approx(1.0, abs=1e-4)  # check 10


def test_memory() -> None:
    assert memory.max_dense_params(3840e9, 16) == 240e9
    assert memory.max_dense_params(1280e9, 14) == pytest.approx(91.42857142857143e9)
    assert memory.pipeline_stages(960e9, 16, 3840e9) == 4
    assert memory.pipeline_stages(6 * 1280e9 / 14, 14, 1280e9) == 6  # snapped, never 7
    assert memory.pipeline_stages(548.57e9, 14, 1280e9) == 6  # 5.99998
    assert memory.moe_memory_per_node_bytes(600e9, 100e9, 72, 16) / 1e9 == pytest.approx(1711.1, abs=0.05)
    assert memory.fits_in_memory(240e9 * 16 * (1 + 1e-12), 3840e9)


def test_hardware() -> None:
    assert hardware.h100_equivalents(48 * 312) == pytest.approx(15.127, abs=5e-4)
    assert hardware.max_gpus_under_threshold(312, [16, 8, 4, 2, 1]).tolist() == [50, 25, 12, 6, 3]
    assert hardware.max_gpus_under_threshold(990, 16) == 16  # exactly at the threshold is allowed
    assert hardware.max_gpus_under_threshold(312, 16, 80, [2048, 1024, 512, 256]).tolist() == [25, 12, 6, 3]
    assert len(hardware.legitimate_systems()) == 14


def test_pipeline_formulas() -> None:
    h = pp_diloco.hidden_size(960e9)
    assert h == pytest.approx(0.03 * math.sqrt(960e9))
    bits = pp_diloco.activation_bits(131072, h, 2, 4)
    assert bits == pytest.approx(131072 * h * 2 * 8 / 4)
    assert pp_diloco.bubble_fraction(8, [1, 4, 12]) == pytest.approx([0, 3 / 11, 11 / 19])
    assert pp_diloco.gpipe_step_s(8, 4, 2.0, 1.0, 0.02, 1.1) == pytest.approx(11 * (2.0 + 1.02 * 1.1))


def test_moe_all_to_all() -> None:
    assert moe_ep.all_to_all_s(0.1, 32) == pytest.approx(6.4)
