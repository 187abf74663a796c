"""The bundled default uncertainty set (dtsim/data/uncertainty/default.yaml), which names the
model coefficients of variants.md §11/§16 and the physics preset of §12. These tests need those
scenario paths (scaling_law.*, efficiency.*, network.straggler_per_doubling,
hardware.gpu_price_usd, physics); move this file into tests/ once they exist."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import dtsim
from conftest import ROOT
from dtsim.montecarlo import load_config, run
from dtsim.montecarlo.sampling import parse_design
from dtsim.scenario import parse_scenario

DEFAULT = ROOT / "src" / "dtsim" / "data" / "uncertainty" / "default.yaml"
#: Besiroglu et al. 2024 (arXiv 2404.10102): the estimates the set is centred on.
ESTIMATES = {"E": 1.8172, "A": 482.01, "alpha": 0.3478, "B": 2085.43, "beta": 0.3658}


@pytest.fixture(scope="module")
def config() -> dict:
    return load_config(DEFAULT)


def test_the_default_set_runs_with_seed_and_revised_side_by_side(config: dict) -> None:
    result = run(**(config | {"samples": 2_000}))
    assert result.choices == {"physics": ["seed", "revised"]}
    assert [b.choice for b in result.blocks] == [{"physics": "seed"}, {"physics": "revised"}]
    for block in result.blocks:
        assert block.infeasible_share == 0.0
        c_quality = block.outputs["c_quality"]
        assert 24.0 < c_quality.p5 < c_quality.p50 < c_quality.p95 < 26.0
    assert result.blocks[0].outputs["c_quality"].p50 != result.blocks[1].outputs["c_quality"].p50


def test_the_scaling_law_inputs_are_centred_on_the_published_fit(config: dict) -> None:
    design = parse_design(parse_scenario(config["scenario"]), config["distributions"], config.get("correlations"))
    inputs = {inp.path: inp for inp in design.inputs}
    for name, estimate in ESTIMATES.items():
        assert inputs[f"scaling_law.{name}"].quantile(0.5) == pytest.approx(estimate, rel=1e-9)
    # standard errors: normal sd for E, alpha, beta; log-normal gsd = exp(se / estimate) for A, B
    z = 1.2815515655446004
    assert inputs["scaling_law.E"].quantile(0.9) == pytest.approx(1.8172 + 0.03 * z, rel=1e-9)
    assert inputs["scaling_law.A"].quantile(0.9) == pytest.approx(482.01 * 1.295**z, rel=1e-9)
    assert math.log(1.295) == pytest.approx(124.58 / 482.01, abs=5e-4)
    assert math.log(1.859) == pytest.approx(1293.23 / 2085.43, abs=5e-4)


def test_the_fit_coefficients_are_sampled_jointly(config: dict) -> None:
    design = parse_design(parse_scenario(config["scenario"]), config["distributions"], config.get("correlations"))
    paths = list(design.paths)
    codes = design.codes(design.draw(np.random.default_rng(0), 40_000))
    for a, b in (("scaling_law.A", "scaling_law.alpha"), ("scaling_law.B", "scaling_law.beta")):
        rank = stats.spearmanr(codes[:, paths.index(a)], codes[:, paths.index(b)]).statistic
        assert rank == pytest.approx(0.9, abs=0.01)
    independent = stats.spearmanr(codes[:, paths.index("scaling_law.E")], codes[:, paths.index("scaling_law.A")])
    assert abs(independent.statistic) < 0.02


def test_point_masses_at_the_seed_coefficients_reproduce_simulate() -> None:
    fixed = {f"scaling_law.{k}": v for k, v in ESTIMATES.items()} | {"efficiency.sync_penalty.base": 0.08}
    result = run({"nodes": 72}, fixed, samples=100, outputs=["c_quality", "c_local"])
    reference = dtsim.simulate({"nodes": 72})
    assert result.outputs["c_quality"].p50 == float(np.log10(reference.c_quality))
    assert result.outputs["c_local"].p5 == float(np.log10(reference.c_local))


def test_a_coefficient_point_mass_gives_the_worked_example() -> None:
    # variants.md §11.6: sync_penalty.base 0.10 → c_local 1.68839e25, c_quality 1.49191e25
    result = run({"nodes": 72}, {"efficiency.sync_penalty.base": 0.10}, samples=10, outputs=["c_local", "c_quality"])
    assert 10 ** result.outputs["c_local"].p50 == pytest.approx(1.68839e25, rel=1e-5)
    assert 10 ** result.outputs["c_quality"].p50 == pytest.approx(1.49191e25, rel=1e-5)


def test_the_cli_runs_the_default_set(tmp_path) -> None:
    from typer.testing import CliRunner

    from dtsim.cli import app

    out = CliRunner().invoke(app, ["uncertainty", str(DEFAULT), "--samples", "300", "--format", "json"])
    assert out.exit_code == 0, out.output
