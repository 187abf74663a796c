"""`dtsim population`: statistics and fit against hand-computed values; sampled populations
satisfy every constraint and sum to the year's total; a fixed seed reproduces the output."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import dtsim
from conftest import ROOT
from dtsim.cli import app
from dtsim.population import (
    SampleConfig,
    cumulative_fit,
    extrapolated_totals,
    load_models,
    moments,
    sample_populations,
    sample_years,
    share_within,
    skew_normal,
    year_statistics,
)
from dtsim.population.sample import Totals

EXAMPLES = ROOT / "examples" / "population"
runner = CliRunner()


def test_moments_by_hand() -> None:
    m = moments([20, 21, 22])
    assert (m["mean"], m["median"], m["std"], m["skewness"]) == (21, 21, 1, 0)
    assert m["kurtosis"] == pytest.approx((2 / 3) / (2 / 3) ** 2 - 3)  # −1.5
    m = moments([0, 0, 0, 1])  # m2 = 0.1875, m3 = 0.09375, m4 = 0.08203125
    assert m["skewness"] == pytest.approx(0.09375 / 0.1875**1.5)  # 1.1547
    assert m["kurtosis"] == pytest.approx(0.08203125 / 0.1875**2 - 3)  # −0.6667


def test_shares_within_orders_of_magnitude() -> None:
    c = [1e20, 1e21, 1e22]  # total 1.11e22
    assert share_within(c, 1) == pytest.approx(1e22 / 1.11e22)
    assert share_within(c, 2) == pytest.approx(1.1e22 / 1.11e22)
    assert share_within(c, 3) == 1.0


def test_cumulative_fit_by_hand() -> None:
    fit = cumulative_fit([1e21, 1e20, 1e22])  # cumulative 1e20, 1.1e21, 1.11e22 at x = 20, 21, 22
    y = [20.0, math.log10(1.1e21), math.log10(1.11e22)]
    slope = (y[2] - y[0]) / 2  # equally spaced x: slope = (y3 − y1) / (x3 − x1)
    assert fit["slope"] == pytest.approx(slope)
    assert fit["intercept"] == pytest.approx(sum(y) / 3 - slope * 21)
    residuals = [yi - (slope * xi + fit["intercept"]) for xi, yi in zip([20, 21, 22], y, strict=True)]
    mean_y = sum(y) / 3
    assert fit["r2"] == pytest.approx(1 - sum(r * r for r in residuals) / sum((v - mean_y) ** 2 for v in y))
    tied = cumulative_fit([1e20, 1e20, 1e21])  # ties share the cumulative compute of both
    assert tied["slope"] == pytest.approx((math.log10(1.2e21) - math.log10(2e20)) / 1.0)


def test_load_models_maps_columns_and_skips_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    path.write_text(
        'name,date,flop\na,2020-03-01,1e20\nb,2020,"2,000,000"\nc,unknown,1e21\nd,2021-01-01,x\n'
        "e,2021-06-30,-5\nf,2021-06-30,1e22\n",
        "utf-8",
    )
    table = load_models(path, name_column="name", date_column="date", compute_column="flop")
    assert table.names == ["a", "b", "f"] and table.years.tolist() == [2020, 2020, 2021] and table.skipped == 3
    rows = year_statistics(table)
    assert [r["models"] for r in rows] == [2, 1]
    assert rows[0]["total_flop"] == pytest.approx(1e20 + 2e6)
    with pytest.raises(dtsim.ScenarioError, match="--compute-column"):
        load_models(path, name_column="name", date_column="date")


def test_totals_extrapolation() -> None:
    totals = Totals(base_year=2024, base_flop=1e26, growth_per_year=4.0, taper=0.0, given={2030: 5e28})
    out = extrapolated_totals(totals, [2023, 2024, 2026, 2030])
    assert out[2024] == 1e26 and out[2026] == pytest.approx(1.6e27) and out[2023] == pytest.approx(2.5e25)
    assert out[2030] == 5e28
    tapered = extrapolated_totals(Totals(base_year=2024, base_flop=1e26, growth_per_year=4.0, taper=0.5), [2026])
    assert tapered[2026] == pytest.approx(1e26 * 4 * 4**0.5)  # the second year's log-growth halves


def test_skew_normal_has_the_requested_moments() -> None:
    x = skew_normal(np.random.default_rng(1), (400_000,), -2.0, 1.5, -0.6)
    m = moments(x)
    assert m["mean"] == pytest.approx(-2.0, abs=0.01)
    assert m["std"] == pytest.approx(1.5, abs=0.01)
    assert m["skewness"] == pytest.approx(-0.6, abs=0.02)


CONFIG: dict[str, Any] = {
    "seed": 7,
    "years": [2026, 2027],
    "samples": 400,
    "max_models": 600,
    "totals": {"base_year": 2025, "base_flop": 3e27, "growth_per_year": 3.0},
    "distribution": {"kind": "skew-normal", "mean": -2.6, "std": 1.1, "skewness": -0.5},
    "constraints": {"slope": [1.0, 1.4], "largest_share": [0.05, 0.5], "models": [60, 400]},
}


def test_accepted_populations_satisfy_every_constraint_and_sum_to_the_total() -> None:
    config = SampleConfig.model_validate(CONFIG)
    total = 9e27
    params = {"mean": -2.6, "std": 1.1, "skewness": -0.5}
    result = sample_populations(config, 2026, total, params)
    models = result["models"]
    assert 0 < len(models) < config.samples  # some populations were cleaned out
    for row in models:
        m = row[~np.isnan(row)]
        assert m.sum() == pytest.approx(total, rel=1e-9)
        assert 60 <= len(m) <= 400
        assert 0.05 <= m.max() / total <= 0.5
        assert 1.0 <= cumulative_fit(m)["slope"] <= 1.4


def test_fixed_seed_reproduces_and_summary_is_consistent() -> None:
    config = SampleConfig.model_validate(CONFIG)
    first, again = sample_years(config), sample_years(config)
    assert first == again
    other = sample_years(SampleConfig.model_validate({**CONFIG, "seed": 8}))
    assert other != first
    row = first[0]
    assert row["total_flop"] == pytest.approx(9e27)
    assert row["acceptance_rate"] == row["accepted"] / row["drawn"]
    shares = [v for k, v in row.items() if k.startswith("share_")]
    assert sum(shares) == pytest.approx(1.0)
    assert row["above_1e23_p50"] >= row["above_1e25_p50"] >= row["above_1e27_p50"]


def test_fit_parameters_from_data() -> None:
    config = SampleConfig.model_validate(
        {
            **CONFIG,
            "distribution": {
                "kind": "normal",
                "fit_data": str(EXAMPLES / "synthetic-notable-models.csv"),
                "fit_year": 2024,
            },
        }
    )
    assert sample_years(config)[0]["accepted"] > 0


def test_cli_fit_and_sample(tmp_path: Path) -> None:
    data = EXAMPLES / "synthetic-notable-models.csv"
    result = runner.invoke(app, ["population", "fit", str(data), "--format", "json", "--plots", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["year"] for r in rows] == list(range(2019, 2025))
    assert {p.name for p in tmp_path.iterdir()} == {"cumulative_vs_individual.svg", "log_compute_histograms.svg"}
    sample = runner.invoke(
        app, ["population", "sample", str(EXAMPLES / "sample-2025-2028.yaml"), "--samples", "200", "--format", "csv"]
    )
    assert sample.exit_code == 0, sample.output
    lines = sample.stdout.strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("year,total_flop,drawn,accepted")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("years: [2026]\ntotals: {growth_per_year: 2}\ndistribution: {mean: -2, std: 1}\n", "totals.base_year"),
        ("years: [2026]\ntotals: {given: {2026: 1e27}}\ndistribution: {mean: 1, std: 1}\n", "distribution.mean"),
        ("years: [2026]\ntotals: {given: {2026: 1e27}}\ndistribution: {std: 1}\n", "distribution.mean"),
        ("years: [2026]\ntotals: {given: {2026: 1e27}}\ndistribution: {mean: -2, std: 1}\nsamplez: 3\n", "samplez"),
    ],
)
def test_cli_sample_errors(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(content, "utf-8")
    result = runner.invoke(app, ["population", "sample", str(path)])
    assert result.exit_code == 2, result.output
    assert field in result.stderr and len(result.stderr.strip().splitlines()) == 1
