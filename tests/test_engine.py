"""The array engine: batch evaluation equals one-at-a-time evaluation; sweeps equal simulate."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dtsim
from conftest import A100x48, H100x16fp8, flat
from dtsim.result import RESULT_KEYS
from strategies_hypothesis import scenarios


def _same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], float) and isinstance(b[key], float):
            assert math.isclose(a[key], b[key], rel_tol=1e-12, abs_tol=0.0), key
        else:
            assert a[key] == b[key], key


@given(st.lists(scenarios(), min_size=1, max_size=12))
def test_batch_equals_single(batch: list[dict[str, Any]]) -> None:
    together = dtsim.simulate_many(batch)
    for scenario, result in zip(batch, together, strict=True):
        _same(result.to_dict(), dtsim.simulate(scenario).to_dict())


@given(scenarios(), st.lists(st.integers(1, 50_000), min_size=1, max_size=20))
def test_sweep_over_nodes_equals_simulate(scenario: dict[str, Any], nodes: list[int]) -> None:
    if scenario["strategy"] in ("pp-diloco", "moe-ep"):
        nodes = [max(n, scenario["nodes"]) for n in nodes]
    batch = dtsim.sweep(scenario, {"nodes": nodes})
    assert len(batch) == len(nodes)
    for row, n in zip(batch.to_dicts(), nodes, strict=True):
        expected = dtsim.simulate({**scenario, "nodes": n}).to_dict()
        _same({k: row[k] for k in expected}, expected)


def test_sweep_grid_and_varied_columns() -> None:
    batch = dtsim.sweep(
        flat(A100x48, 72),
        {"network.wan.bandwidth_mbps": [10, 100, 1000], "compression.quality": ["optimistic", "conservative"]},
        grid=True,
    )
    assert len(batch) == 6
    assert batch.columns["network.wan.bandwidth_mbps"].tolist() == [10, 10, 100, 100, 1000, 1000]
    row = batch.to_dicts()[2]
    single = dtsim.simulate(
        flat(
            A100x48,
            72,
            network={"wan": {"bandwidth_mbps": 100, "latency_ms": 100}},
            compression={"quality": "optimistic"},
        )
    )
    assert row["c_local"] == pytest.approx(single.c_local, rel=1e-12)
    assert row["compression.quality"] == "optimistic"


def test_sweep_over_strategy_groups_each_strategy() -> None:
    batch = dtsim.sweep(flat(H100x16fp8, 2000), {"strategy": ["diloco", "hierarchical"]})
    assert batch.columns["strategy"].tolist() == ["diloco", "hierarchical"]
    assert batch.columns["eta"][1] > batch.columns["eta"][0]


@pytest.mark.parametrize(
    ("axes", "field"),
    [
        ({"nodes": [1, 0, 3]}, "nodes"),
        ({"nodes": [1.5]}, "nodes"),
        ({"network.wan.bandwidth_mbps": [100, -1]}, "network.wan.bandwidth_mbps"),
        ({"training.mfu": [0.4, np.nan]}, "training.mfu"),
        ({"compression.quality": ["expected", "bogus"]}, "compression.quality"),
        ({"network.wan.speed": [1]}, "network.wan.speed"),
        ({"nodes": [1, 2], "training.mfu": [0.3]}, "axes"),
    ],
)
def test_sweep_refuses_bad_axes(axes: dict[str, Any], field: str) -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        dtsim.sweep(flat(A100x48, 72), axes)
    assert info.value.field == field


def test_batch_refusal_names_the_scenario() -> None:
    good = flat(A100x48, 4)
    bad = flat(A100x48, 4, model={"params": 1e12}) | {"name": "too big"}
    with pytest.raises(dtsim.InfeasibleError, match=r"scenario 1 \(too big\)"):
        dtsim.simulate_many([good, bad])


def test_simulate_many_keeps_input_order_across_strategies() -> None:
    batch = [
        {"strategy": "hierarchical", "nodes": 2000, "hardware": H100x16fp8},
        flat(A100x48, 4),
        {
            "strategy": "moe-ep",
            "nodes": 72,
            "hardware": A100x48,
            "model": {"total_params": 600e9, "active_params": 100e9},
        },
        flat(A100x48, 72),
    ]
    results = dtsim.simulate_many(batch)
    assert [r.strategy for r in results] == ["hierarchical", "diloco", "moe-ep", "diloco"]
    assert [r.nodes for r in results] == [2000, 4, 72, 72]


def test_batch_pandas_and_repr() -> None:
    batch = dtsim.sweep(flat(A100x48, 4), {"network.wan.bandwidth_mbps": [100, 1000]})
    assert repr(batch) == f"Batch(2 scenarios, {len(RESULT_KEYS) + 1} columns)"  # + the varied field
    assert set(RESULT_KEYS) <= set(batch.columns)
    assert batch.columns["bottleneck"].tolist() == ["compute", "compute"]
    results = batch.results()
    assert "c_local=9.77e+23" in repr(results[0])
    assert "<table>" in results[0]._repr_html_()
