"""dtsim.montecarlo: distributions honour their quantiles, point masses reproduce simulate,
quantiles commute with monotone outputs, Sobol' indices match an analytic case, the copula gives
the rank correlation asked for, analyses answer per sample as the scalar analysis does, the same
seed gives the same bytes, and Dask gives what the local run gives."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

import dtsim
from conftest import ROOT
from dtsim.analyses import nodes_for_target
from dtsim.cli import app
from dtsim.errors import DtsimError, ScenarioError
from dtsim.montecarlo import DEFAULT_OUTPUTS, fan, load_config, run
from dtsim.montecarlo.analysis import NodesForTarget
from dtsim.montecarlo.distributions import parse_distribution
from dtsim.montecarlo.evaluation import sweep_feasible
from dtsim.montecarlo.figures import cdf_figure, fan_figure, tornado_figure
from dtsim.montecarlo.report import headline_section
from dtsim.montecarlo.sampling import parse_design, spearman_to_normal
from dtsim.montecarlo.sensitivity import SobolDesign, sobol_from_outputs
from dtsim.scenario import parse_scenario

REFERENCE = {"nodes": 72}
MFU = {"training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5}}
EXAMPLE = ROOT / "examples" / "uncertainty" / "reference-72-nodes.yaml"
runner = CliRunner()


def _design(distributions: dict[str, Any], correlations: Any = None, base: dict[str, Any] | None = None) -> Any:
    return parse_design(parse_scenario(base or REFERENCE), distributions, correlations)


def _quantiles(distribution: Any, field: str = "training.mfu", base: dict[str, Any] | None = None) -> list[Any]:
    (inp,) = _design({field: distribution}, base=base).inputs
    return [inp.quantile(p) for p in (0.1, 0.5, 0.9)]


# --------------------------------------------------------------------------------------------
# Distributions


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"dist": "uniform", "low": 0.3, "high": 0.5}, [0.32, 0.40, 0.48]),
        ({"dist": "loguniform", "low": 0.1, "high": 0.9}, [0.1 * 9**0.1, 0.3, 0.1 * 9**0.9]),
        (
            {"dist": "normal", "mean": 0.4, "sd": 0.05},
            [0.4 - 0.05 * 1.2815515655446004, 0.4, 0.4 + 0.05 * 1.2815515655446004],
        ),
        ({"dist": "three_point", "p10": 0.25, "p50": 0.4, "p90": 0.45}, [0.25, 0.4, 0.45]),
        (
            {"dist": "triangular", "low": 0.2, "mode": 0.4, "high": 0.6},
            [0.2 + 0.2 * math.sqrt(0.2), 0.4, 0.6 - 0.2 * math.sqrt(0.2)],
        ),
        (
            {"dist": "beta", "a": 2, "b": 2, "low": 0.2, "high": 0.6},
            [0.2 + 0.4 * stats.beta(2, 2).ppf(0.1), 0.4, 0.2 + 0.4 * stats.beta(2, 2).ppf(0.9)],
        ),
        (
            {"dist": "lognormal", "median": 0.3, "gsd": 1.2},
            [0.3 * 1.2**-1.2815515655446004, 0.3, 0.3 * 1.2**1.2815515655446004],
        ),
    ],
)
def test_each_family_honours_its_quantiles(spec: dict[str, Any], expected: list[float]) -> None:
    assert _quantiles(spec) == pytest.approx(expected, rel=1e-9)  # SciPy's inverse CDFs


def test_ci90_and_the_a_to_b_interval_are_log_normal_with_p5_and_p95_at_a_and_b() -> None:
    design = _design(
        {"training.mfu": {"dist": "lognormal", "ci90": [0.2, 0.5]}, "network.wan.bandwidth_mbps": "25 to 500"}
    )
    mfu, bandwidth = design.inputs
    assert [mfu.quantile(0.05), mfu.quantile(0.5), mfu.quantile(0.95)] == pytest.approx(
        [0.2, math.sqrt(0.1), 0.5], rel=1e-12
    )
    assert [bandwidth.quantile(0.05), bandwidth.quantile(0.95)] == pytest.approx([25.0, 500.0], rel=1e-12)
    assert bandwidth.describe()["dist"] == "lognormal"
    normal = parse_distribution("x", "-10 to 30")  # not positive: normal
    assert normal.describe()["dist"] == "normal"
    assert normal.ppf([0.05, 0.5, 0.95]).tolist() == pytest.approx([-10.0, 10.0, 30.0], rel=1e-12)


def test_choice_quantiles_follow_the_weights_and_the_order() -> None:
    spec = {"dist": "choice", "values": ["conservative", "expected", "optimistic"], "weights": [1, 2, 1], "mix": True}
    assert _quantiles(spec, "compression.quality") == ["conservative", "expected", "optimistic"]
    skewed = {"dist": "choice", "values": [8, 16, 100], "weights": [0.05, 0.05, 0.9], "mix": True}
    assert _quantiles(skewed, "compression.pseudo_gradient") == [16.0, 100.0, 100.0]


def test_three_point_sample_quantiles_match_p10_p50_p90() -> None:
    spec = {"dist": "three_point", "p10": 0.25, "p50": 0.4, "p90": 0.45}
    result = run(REFERENCE, {"training.mfu": spec}, samples=20_000, outputs=["training.mfu"])
    mfu = result.outputs["training.mfu"]
    # quantile standard error ≈ sqrt(p(1-p)/n)/density: about 0.0015 here
    assert [mfu.p10, mfu.p50, mfu.p90] == pytest.approx([0.25, 0.4, 0.45], abs=0.006)


def test_a_distribution_reaching_past_the_field_range_is_clipped_or_refused() -> None:
    spec = {"training.mfu": {"dist": "normal", "mean": 0.9, "sd": 0.04}}
    result = run(REFERENCE, spec, samples=20_000, outputs=["training.mfu"])
    mfu = result.inputs["training.mfu"]
    assert mfu["clipped"] == pytest.approx(stats.norm.sf(2.5), rel=1e-9)
    z = 1.2815515655446004
    assert (mfu["p10"], mfu["p50"], mfu["p90"]) == pytest.approx((0.9 - 0.04 * z, 0.9, 0.9 + 0.04 * z), rel=1e-12)
    assert result.outputs["training.mfu"].cdf[-1] == 1.0  # the probability beyond 1 sits on the bound
    with pytest.raises(ScenarioError, match=r"distributions\.training\.mfu.*2\.3% of it lies outside"):
        run(REFERENCE, {"training.mfu": {"dist": "normal", "mean": 0.9, "sd": 0.05}}, samples=10)


def test_whole_number_fields_are_rounded() -> None:
    spec = {"training.local_batch_tokens": {"dist": "loguniform", "low": 65_536, "high": 262_144}}
    result = run(REFERENCE, spec, samples=2_000, outputs=["training.local_batch_tokens"])
    values = result.outputs["training.local_batch_tokens"].cdf
    assert all(float(v).is_integer() for v in values)
    assert values[0] >= 65_536 and values[-1] <= 262_144


@pytest.mark.parametrize(
    ("distributions", "field"),
    [
        ({"training.mfu": {"dist": "uniform", "low": 0.5, "high": 0.3}}, "distributions.training.mfu.high"),
        ({"training.mfu": {"dist": "gaussian", "mean": 0.4}}, "distributions.training.mfu.dist"),
        ({"training.mfu": {"dist": "normal", "mean": 0.4}}, "distributions.training.mfu.sd"),
        ({"training.mfu": {"dist": "normal", "mean": 0.4, "sd": 0}}, "distributions.training.mfu.sd"),
        ({"training.mfu": {"dist": "normal", "mean": 0.4, "sd": 0.1, "low": 0}}, "distributions.training.mfu.low"),
        ({"training.mfu": {"dist": "uniform", "low": "a", "high": 0.5}}, "distributions.training.mfu.low"),
        ({"training.mfu": {"dist": "lognormal", "ci90": [0.5, 0.2]}}, "distributions.training.mfu.ci90"),
        ({"training.mfu": {"dist": "lognormal", "median": 0.4, "gsd": 0.9}}, "distributions.training.mfu.gsd"),
        (
            {"training.mfu": {"dist": "triangular", "low": 0.2, "mode": 0.7, "high": 0.6}},
            "distributions.training.mfu.mode",
        ),
        ({"training.mfu": {"dist": "beta", "a": -1, "b": 2, "low": 0, "high": 1}}, "distributions.training.mfu.a"),
        (
            {"training.mfu": {"dist": "three_point", "p10": 0.4, "p50": 0.3, "p90": 0.5}},
            "distributions.training.mfu.p50",
        ),
        ({"training.mfu": {"dist": "fixed", "value": 2}}, "distributions.training.mfu.value"),
        ({"training.mfu": "0.5 to 0.3"}, "distributions.training.mfu"),
        (
            {"training.mfu": {"dist": "choice", "values": [0.3, 0.4], "weights": [1]}},
            "distributions.training.mfu.weights",
        ),
        (
            {"training.mfu": {"dist": "choice", "values": [0.3, 0.4], "weights": [1, -1]}},
            "distributions.training.mfu.weights[1]",
        ),
        ({"training.mfu": {"dist": "choice", "values": [0.3, 1.5]}}, "distributions.training.mfu.values[1]"),
        (
            {"compression.quality": {"dist": "choice", "values": ["expected", "great"]}},
            "distributions.compression.quality.values[1]",
        ),
        ({"compression.quality": {"dist": "uniform", "low": 0, "high": 1}}, "distributions.compression.quality.dist"),
        ({"training.mfux": {"dist": "uniform", "low": 0.3, "high": 0.5}}, "distributions.training.mfux"),
        (
            {
                "training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5},
                "correlations": [{"fields": ["training.mfu", "nodes"], "rank": 0.5}],
            },
            "correlations[0].fields",
        ),
        (
            {
                **MFU,
                "network.wan.latency_ms": {"dist": "uniform", "low": 10, "high": 20},
                "correlations": [{"fields": ["training.mfu", "network.wan.latency_ms"], "rank": 1.0}],
            },
            "correlations[0].rank",
        ),
    ],
)
def test_bad_distributions_are_refused_with_one_line_naming_the_field(
    distributions: dict[str, Any], field: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        run(REFERENCE, distributions, samples=10)
    message = str(caught.value)
    assert caught.value.field == field, message
    assert "\n" not in message and field in message


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"samples": 0}, "samples"),
        ({"samples": 10_000_001}, "samples"),
        ({"seed": -1}, "seed"),
        ({"outputs": ["c_lokal"]}, "outputs[0]"),
        ({"thresholds": [1e25, "x"]}, "thresholds[1]"),
        ({"thresholds": {"tokens": [1e12]}}, "thresholds.tokens"),
        ({"sobol": 1000}, "sobol"),
        ({"analysis": {"name": "cheapest_everything"}}, "analysis.name"),
        ({"analysis": {"name": "nodes_for_target"}}, "analysis.target"),
        ({"analysis": {"name": "nodes_for_target", "target": 1e25, "metric": "eta"}}, "analysis.metric"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        run(REFERENCE, MFU, **kwargs)
    assert caught.value.field == field


def test_not_positive_definite_correlations_are_refused() -> None:
    distributions = {
        "training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5},
        "network.wan.bandwidth_mbps": "25 to 500",
        "network.wan.latency_ms": {"dist": "uniform", "low": 20, "high": 200},
    }
    pairs = [("training.mfu", "network.wan.bandwidth_mbps", 0.9), ("training.mfu", "network.wan.latency_ms", 0.9)]
    correlations = [{"fields": [a, b], "rank": r} for a, b, r in pairs]
    correlations.append({"fields": ["network.wan.bandwidth_mbps", "network.wan.latency_ms"], "rank": -0.9})
    with pytest.raises(ScenarioError, match="not positive definite") as caught:
        run(REFERENCE, distributions, correlations=correlations, samples=10)
    assert caught.value.field == "correlations"


# --------------------------------------------------------------------------------------------
# Copula


@pytest.mark.parametrize("rank", [0.7, -0.5])
def test_the_copula_gives_the_requested_rank_correlation(rank: float) -> None:
    distributions = {
        "training.mfu": {"dist": "beta", "a": 2, "b": 5, "low": 0.1, "high": 0.9},
        "network.wan.bandwidth_mbps": "25 to 500",
    }
    design = _design(distributions, [{"fields": ["training.mfu", "network.wan.bandwidth_mbps"], "rank": rank}])
    codes = design.codes(design.draw(np.random.default_rng(1), 40_000))
    measured = stats.spearmanr(codes[:, 0], codes[:, 1]).statistic
    assert measured == pytest.approx(rank, abs=0.015)  # standard error about (1 - r²)/√n ≈ 0.003
    assert spearman_to_normal(0.5) == pytest.approx(2 * math.sin(math.pi / 12), rel=1e-15)


# --------------------------------------------------------------------------------------------
# Statistics against simulate


def test_point_masses_reproduce_simulate_exactly() -> None:
    distributions = {
        "training.mfu": 0.35,
        "network.wan.bandwidth_mbps": {"dist": "fixed", "value": 50},
        "compression.quality": "conservative",
    }
    result = run(REFERENCE, distributions, samples=1_000, outputs=["c_local", "c_quality", "cost_usd", "eta"])
    expected = dtsim.simulate(
        {
            "nodes": 72,
            "training": {"mfu": 0.35},
            "network": {"wan": {"bandwidth_mbps": 50}},
            "compression": {"quality": "conservative"},
        }
    ).to_dict()
    for key, stats_ in result.outputs.items():
        value = float(np.log10(expected[key])) if stats_.scale == "log10" else expected[key]
        assert [stats_.p5, stats_.p10, stats_.p50, stats_.p90, stats_.p95, stats_.mean] == [value] * 6, key
        assert stats_.se == 0.0
    assert result.outputs["c_local"].exceed == {"1e+24": 1.0, "1e+25": 1.0, "1e+26": 0.0}
    assert result.fixed == distributions | {"network.wan.bandwidth_mbps": 50}
    assert result.infeasible_share == 0.0


def test_quantiles_of_a_monotone_output_are_the_output_at_the_input_quantiles() -> None:
    result = run(REFERENCE, MFU, samples=4_001, outputs=["c_actual", "training.mfu"])
    mfu, c_actual = result.outputs["training.mfu"], result.outputs["c_actual"]
    for name in ("p5", "p10", "p50", "p90", "p95"):
        at = dtsim.simulate({"nodes": 72, "training": {"mfu": getattr(mfu, name)}}).c_actual
        assert getattr(c_actual, name) == float(np.log10(at)), name
    # ... and the input's sample quantiles are its distribution's (standard error ≈ 0.0015)
    assert [mfu.p10, mfu.p50, mfu.p90] == pytest.approx([0.32, 0.40, 0.48], abs=0.006)
    # c_actual is linear in MFU: 10^P50 = c_actual(0.4) · P50_mfu / 0.4
    assert 10**c_actual.p50 == pytest.approx(2.04166059e25 * mfu.p50 / 0.4, rel=1e-8)


def test_mean_and_standard_error_match_numpy_on_the_same_sample() -> None:
    result = run(REFERENCE, MFU, samples=3_000, outputs=["eta", "training.mfu"])
    design = _design(MFU)
    codes = design.codes(design.draw(np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0]), 3_000))
    assert result.outputs["training.mfu"].mean == pytest.approx(codes[:, 0].mean(), rel=1e-12)
    assert result.outputs["training.mfu"].se == pytest.approx(codes[:, 0].std(ddof=1) / math.sqrt(3_000), rel=1e-9)


def test_infeasible_samples_are_counted_not_fatal() -> None:
    # 240B is the largest model that fits the reference node: 60 % of this range does not fit
    params = {"model.params": {"dist": "uniform", "low": 200e9, "high": 300e9}}
    result = run(REFERENCE, params, samples=500, outputs=["c_local"])
    design = _design(params)
    drawn = design.codes(design.draw(np.random.default_rng(np.random.SeedSequence(0).spawn(3)[0]), 500))[:, 0]
    infeasible = float(np.mean(drawn > 240e9))
    assert result.infeasible_share == infeasible
    assert result.outputs["c_local"].count == 500 - round(infeasible * 500)
    assert result.outputs["c_local"].exceed["1e+24"] == pytest.approx(1 - infeasible, rel=1e-12)


def test_sweep_feasible_marks_exactly_the_points_the_engine_refuses() -> None:
    base = parse_scenario(REFERENCE)
    params = np.array([200e9, 250e9, 230e9, 241e9, 239e9, 300e9, 100e9])
    evaluation = sweep_feasible(base, {"model.params": params}, len(params), ("c_local",))
    assert evaluation.feasible.tolist() == (params <= 240e9).tolist()
    for p, value in zip(params[params <= 240e9], evaluation.columns["c_local"][evaluation.feasible], strict=True):
        assert value == dtsim.simulate({"nodes": 72, "model": {"params": p}}).c_local


# --------------------------------------------------------------------------------------------
# Sensitivity


def test_tornado_is_sorted_by_swing_and_uses_p10_p50_p90() -> None:
    distributions = {
        "network.wan.latency_ms": {"dist": "uniform", "low": 50, "high": 150},
        "training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5},
        "network.wan.bandwidth_mbps": {"dist": "uniform", "low": 20, "high": 500},
    }
    result = run(REFERENCE, distributions, samples=200, outputs=["c_local", "c_actual"])
    tornado = result.sensitivity["tornado"]["c_local"]
    assert [r["input"] for r in tornado["rows"]] == [
        "training.mfu",
        "network.wan.bandwidth_mbps",
        "network.wan.latency_ms",
    ]
    swings = [r["swing"] for r in tornado["rows"]]
    assert swings == sorted(swings, reverse=True) and swings[0] > swings[1] > 0
    mfu = tornado["rows"][0]
    assert (mfu["low"], mfu["high"]) == pytest.approx((0.32, 0.48), rel=1e-12)
    low = dtsim.simulate(
        {"nodes": 72, "training": {"mfu": mfu["low"]}, "network": {"wan": {"bandwidth_mbps": 260, "latency_ms": 100}}}
    )
    assert mfu["output_low"] == float(np.log10(low.c_local))
    assert result.sensitivity["tornado"]["c_actual"]["rows"][1]["swing"] == 0.0  # bandwidth does not enter c_actual


def test_sobol_indices_of_an_additive_function_match_their_analytic_values() -> None:
    a, b = 2.0, 1.0
    design = SobolDesign.build(lambda u: u, 2, 1024, np.random.default_rng(3))
    x = design.points
    outputs = {"y": a * x[:, 0] + b * x[:, 1], "z": 3 * x[:, 0]}
    result = sobol_from_outputs(design, outputs, ["x1", "x2"], np.random.default_rng(4))
    assert result["z"]["x2"]["st"] == 0.0 and result["z"]["x1"]["st"] == pytest.approx(1.0, abs=0.03)
    for name, weight in (("x1", a), ("x2", b)):
        index = result["y"][name]
        exact = weight**2 / (a**2 + b**2)
        assert index["s1_low"] <= exact <= index["s1_high"], index
        assert index["st_low"] <= exact <= index["st_high"], index
        assert index["s1"] == pytest.approx(exact, abs=0.03)


def test_sobol_on_the_engine_an_input_outside_the_output_has_zero_total_index() -> None:
    distributions = {**MFU, "network.wan.latency_ms": {"dist": "uniform", "low": 50, "high": 150}}
    result = run(REFERENCE, distributions, samples=100, outputs=["c_actual", "wall_clock_days"], sobol=256)
    sobol = result.sensitivity["sobol"]
    assert sobol["n"] == 256 and sobol["points"] == 256 * 4
    c_actual = sobol["indices"]["c_actual"]
    assert c_actual["network.wan.latency_ms"]["st"] == 0.0
    assert c_actual["training.mfu"]["st"] == pytest.approx(1.0, abs=0.05)
    assert sobol["indices"]["wall_clock_days"] == {"skipped": "the output does not vary"}


def test_spearman_ranks_come_from_the_monte_carlo_sample() -> None:
    distributions = {**MFU, "network.wan.latency_ms": {"dist": "uniform", "low": 50, "high": 150}}
    result = run(REFERENCE, distributions, samples=3_000, outputs=["c_actual"])
    ranks = result.sensitivity["spearman"]["c_actual"]
    assert ranks["training.mfu"] == pytest.approx(1.0, abs=1e-12)  # c_actual rises with MFU alone
    assert abs(ranks["network.wan.latency_ms"]) < 0.06


# --------------------------------------------------------------------------------------------
# Choices side by side, reproducibility


def test_choices_are_shown_side_by_side_unless_mixed() -> None:
    quality = {"dist": "choice", "values": ["conservative", "expected", "optimistic"]}
    split = run(REFERENCE, {**MFU, "compression.quality": quality}, samples=500, outputs=["c_local"])
    assert split.choices == {"compression.quality": ["conservative", "expected", "optimistic"]}
    assert [b.choice for b in split.blocks] == [{"compression.quality": v} for v in quality["values"]]
    alone = run(REFERENCE, {**MFU, "compression.quality": "expected"}, samples=500, outputs=["c_local"])
    assert split.blocks[1].outputs == alone.outputs  # the same draws in every block
    assert split.to_dict()["outputs"] == split.to_dict()["blocks"][0]["outputs"]
    p50 = [b.outputs["c_local"].p50 for b in split.blocks]
    assert p50 == sorted(p50)  # conservative < expected < optimistic
    mixed = run(REFERENCE, {**MFU, "compression.quality": {**quality, "mix": True}}, samples=500, outputs=["c_local"])
    assert len(mixed.blocks) == 1 and "compression.quality" in mixed.inputs
    assert run(REFERENCE, {**MFU, "compression.quality": quality}, samples=500, mix=True).choices == {}


def test_the_same_seed_gives_identical_output_and_another_seed_does_not() -> None:
    distributions = {**MFU, "network.wan.bandwidth_mbps": "25 to 500"}
    first = json.dumps(run(REFERENCE, distributions, samples=1_000, seed=7, sobol=64).to_dict())
    again = json.dumps(run(REFERENCE, distributions, samples=1_000, seed=7, sobol=64).to_dict())
    other = json.dumps(run(REFERENCE, distributions, samples=1_000, seed=8, sobol=64).to_dict())
    assert first == again
    assert first != other
    data = json.loads(first)
    assert set(data) >= {"samples", "seed", "infeasible_share", "outputs", "sensitivity"}
    assert set(data["outputs"]["c_local"]) >= {"p5", "p10", "p50", "p90", "p95", "mean", "se", "exceed"}
    assert list(data["outputs"]["c_local"]["exceed"]) == ["1e+24", "1e+25", "1e+26"]


def test_progress_reaches_the_total() -> None:
    calls: list[tuple[int, int]] = []
    run(REFERENCE, MFU, samples=40_000, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1] and len(calls) >= 3
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)


# --------------------------------------------------------------------------------------------
# Analyses


def test_nodes_for_target_per_sample_equals_the_analysis() -> None:
    distributions = {
        **MFU,
        "network.wan.bandwidth_mbps": "10 to 1000",
        "compression.pseudo_gradient": {"dist": "loguniform", "low": 4, "high": 300},
    }
    design = _design(distributions, base={"nodes": 1})
    codes = design.codes(design.draw(np.random.default_rng(5), 8))
    axes = design.axes(codes)
    evaluator = NodesForTarget(design.base, 1e25, "c_quality", 100_000, ("nodes", "cost_usd"))
    evaluation = evaluator(axes, 8)
    for i in range(8):
        scenario = {
            "training": {"mfu": float(axes["training.mfu"][i])},
            "network": {"wan": {"bandwidth_mbps": float(axes["network.wan.bandwidth_mbps"][i]), "latency_ms": 100}},
            "compression": {"pseudo_gradient": float(axes["compression.pseudo_gradient"][i])},
        }
        answer = nodes_for_target(scenario, 1e25, "c_quality")
        assert (evaluation.columns["nodes"][i], evaluation.columns["cost_usd"][i]) == (
            answer.nodes,
            answer.cost_usd,
        )


def test_nodes_for_target_scan_finds_the_first_crossing_where_the_metric_dips() -> None:
    # Revised physics: c_local(69) = 6.985e24 > c_local(70) = 6.932e24 (H steps 19 → 20), so the
    # first node count reaching 6.96e24 is 69, not 71.
    scenario = {"nodes": 1, "physics": "revised"}
    design = _design(MFU, base=scenario)
    axes = {"training.mfu": np.full(3, 0.4)}
    evaluator = NodesForTarget(design.base, 6.96e24, "c_local", 100_000, ("nodes",))
    assert evaluator.smallest(axes, 3).nodes.tolist() == [69.0, 69.0, 69.0]
    assert nodes_for_target(scenario, 6.96e24).nodes == 69


def test_nodes_for_target_uncertainty_through_run() -> None:
    analysis = {"name": "nodes_for_target", "target": 1e25, "metric": "c_local"}
    result = run({}, MFU, samples=2_000, analysis=analysis)
    nodes = result.outputs["nodes"]
    assert result.blocks[0].reached_share == 1.0 and result.to_dict()["reached_share"] == 1.0
    # c_local ∝ MFU (nearly): the node count at P10 MFU is the P90 node count, and so on
    low = nodes_for_target({"training": {"mfu": 0.48}}, 1e25).nodes
    high = nodes_for_target({"training": {"mfu": 0.32}}, 1e25).nodes
    assert low - 1 <= nodes.p10 <= low + 1 and high - 1 <= nodes.p90 <= high + 1
    assert result.analysis == {"name": "nodes_for_target", "target": 1e25, "metric": "c_local", "max_nodes": 100_000}
    cost_only = run({}, MFU, samples=200, analysis=analysis, outputs=["cost_usd"], sobol=32)
    assert list(cost_only.outputs) == ["cost_usd"] and cost_only.blocks[0].reached_share == 1.0
    assert cost_only.sensitivity["sobol"]["indices"] == {
        "cost_usd": {"training.mfu": dict.fromkeys(("s1", "s1_low", "s1_high", "st", "st_low", "st_high"), 1.0)}
    }  # one input holds all the variance
    unreachable = run({}, MFU, samples=50, analysis={**analysis, "target": 1e30, "max_nodes": 1_000})
    assert unreachable.blocks[0].reached_share == 0.0 and unreachable.outputs["nodes"].p50 is None
    with pytest.raises(ScenarioError, match="set by the analysis"):
        run({}, {"nodes": {"dist": "uniform", "low": 1, "high": 9}}, samples=10, analysis=analysis)


# --------------------------------------------------------------------------------------------
# Dask


def test_dask_gives_the_local_result() -> None:
    distributed = pytest.importorskip("distributed")
    distributions = {**MFU, "network.wan.bandwidth_mbps": "25 to 500"}
    local = run(REFERENCE, distributions, samples=40_000, sobol=64)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run(REFERENCE, distributions, samples=40_000, sobol=64, client=client)
        by_address = run(REFERENCE, distributions, samples=40_000, sobol=64, scheduler=cluster.scheduler_address)
    assert json.dumps(remote.to_dict()) == json.dumps(local.to_dict())
    assert json.dumps(by_address.to_dict()) == json.dumps(local.to_dict())


# --------------------------------------------------------------------------------------------
# Figures, report, CLI


def test_figures_are_svg_with_text_kept_as_text_and_reproducible() -> None:
    result = run(REFERENCE, {**MFU, "network.wan.bandwidth_mbps": "25 to 500"}, samples=500)
    data = fan({}, MFU, samples=100, nodes=[1, 10, 100, 1000])
    for svg in (cdf_figure(result, "c_quality"), tornado_figure(result, "c_quality"), fan_figure(data)):
        assert svg.lstrip().startswith("<?xml") and "<text" in svg and "font-family" in svg
    assert cdf_figure(result, "c_quality") == cdf_figure(result, "c_quality")
    p50 = data.bands[""]["p50"]
    assert p50 == sorted(p50)  # c_quality grows with nodes


def test_importing_the_figures_module_leaves_pyplot_alone() -> None:
    code = "import sys, dtsim.montecarlo.figures; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_report_section_has_the_table_and_three_figures() -> None:
    config = load_config(EXAMPLE)
    section = headline_section(config["scenario"], config["distributions"], samples=500)
    assert section.markdown.startswith("## How uncertain is the headline?")
    assert "| c_quality |" in section.markdown and "P(≥1e25)" in section.markdown
    assert "**Nodes and cost to reach 1e25 FLOP of c_local**" in section.markdown
    assert list(section.figures) == [
        "uncertainty_cdf_c_quality",
        "uncertainty_tornado_c_quality",
        "uncertainty_fan_c_quality",
    ]
    for name in section.figures:
        assert f"figures/{name}.svg" in section.markdown


def test_cli_json_csv_table_and_plots(tmp_path: Path) -> None:
    out = runner.invoke(app, ["uncertainty", str(EXAMPLE), "--samples", "400", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["samples"] == 400 and data["seed"] == 0
    assert list(data["outputs"]) == list(DEFAULT_OUTPUTS)
    assert data == run(**load_config(EXAMPLE) | {"samples": 400}).to_dict()
    csv_out = runner.invoke(app, ["uncertainty", str(EXAMPLE), "--samples", "400", "--seed", "3", "--format", "csv"])
    header, *rows = csv_out.stdout.strip().splitlines()
    assert header.startswith("output,scale,p5,p10,p50,p90,p95,mean,se,count,") and len(rows) == 6
    table = runner.invoke(app, ["uncertainty", str(EXAMPLE), "--samples", "400", "--plots", str(tmp_path / "figs")])
    assert table.exit_code == 0 and "P50" in table.stdout and "hinges on" in table.stdout
    written = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert {"cdf_c_local.svg", "tornado_c_local.svg", "fan_c_quality.svg"} <= set(written)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (
            "scenario: {nodes: 72}\ndistributions: {training.mfu: {dist: uniform, low: 0.5, high: 0.3}}\n",
            "distributions.training.mfu.high",
        ),
        ("scenario: {nodes: 72}\n", "distributions"),
        ("scenario: {nodes: 72}\ndistributions: {}\nsamples: many\n", "samples"),
        ("scenario: {nodes: 72}\ndistributions: {}\nextra: 1\n", "extra"),
        ("scenario: {nodes: -1}\ndistributions: {}\n", "scenario.nodes"),
    ],
)
def test_cli_errors_print_one_line_and_exit_2(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "u.yaml"
    path.write_text(content, "utf-8")
    result = runner.invoke(app, ["uncertainty", str(path)])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and field in message and str(path) in message


def test_errors_are_dtsim_errors() -> None:
    with pytest.raises(DtsimError):
        run(REFERENCE, {"training.mfu": []}, samples=10)


def test_cli_reads_a_scenario_file_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "ref.yaml").write_text("nodes: 72\n", "utf-8")
    config = tmp_path / "u.yaml"
    config.write_text("scenario: ref.yaml\ndistributions: {training.mfu: 0.3 to 0.5}\nsamples: 300\n", "utf-8")
    out = runner.invoke(app, ["uncertainty", str(config), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["inputs"]["training.mfu"]["dist"] == "lognormal"


def test_the_progress_bar_appears_only_after_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    import dtsim.cli.uncertainty as command

    quick = command._LazyProgress()
    quick(1, 10)
    assert quick._bar is None  # a run under a second shows nothing
    monkeypatch.setattr(command, "PROGRESS_AFTER_S", 0.0)
    slow = command._LazyProgress()
    slow(5, 10)
    assert slow._bar is not None and slow._bar.tasks[0].completed == 5
    slow.close()
