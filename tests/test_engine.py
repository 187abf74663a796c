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


def _outcome(scenario: dict[str, Any]) -> dict[str, Any] | type[Exception]:
    """simulate's result dict, or the kind of error it raises."""
    try:
        return dtsim.simulate(scenario).to_dict()
    except dtsim.InfeasibleError:
        return dtsim.InfeasibleError


@given(st.lists(scenarios(), min_size=1, max_size=12))
def test_batch_equals_single(batch: list[dict[str, Any]]) -> None:
    singles = [_outcome(s) for s in batch]
    if dtsim.InfeasibleError in singles:
        first = singles.index(dtsim.InfeasibleError)
        with pytest.raises(dtsim.InfeasibleError, match=f"scenario {first}" if len(batch) > 1 else None):
            dtsim.simulate_many(batch)
        return
    together = dtsim.simulate_many(batch)
    for single, result in zip(singles, together, strict=True):
        assert isinstance(single, dict)
        _same(result.to_dict(), single)


@given(scenarios(), st.lists(st.integers(1, 50_000), min_size=1, max_size=20))
def test_sweep_over_nodes_equals_simulate(scenario: dict[str, Any], nodes: list[int]) -> None:
    if scenario["strategy"] in ("pp-diloco", "moe-ep"):
        nodes = [max(n, scenario["nodes"]) for n in nodes]
    batch = dtsim.sweep(scenario, {"nodes": nodes})
    assert len(batch) == len(nodes)
    for row, n in zip(batch.to_dicts(), nodes, strict=True):
        expected = _outcome({**scenario, "nodes": n})
        if expected is dtsim.InfeasibleError:
            assert row["feasible"] is False and row["infeasible_reason"]
            assert row["c_local"] is None and row["eta"] is None
        else:
            assert isinstance(expected, dict) and row["feasible"] is True
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
    # the result keys, feasible, infeasible_reason and the varied field
    assert repr(batch) == f"Batch(2 scenarios, {len(RESULT_KEYS) + 3} columns)"
    assert set(RESULT_KEYS) <= set(batch.columns)
    assert batch.columns["bottleneck"].tolist() == ["compute", "compute"]
    results = batch.results()
    assert "c_local=9.77e+23" in repr(results[0])
    assert "<table>" in results[0]._repr_html_()


@given(scenarios(), st.integers(1, 40), st.integers(1, 17))
def test_chunked_sweep_equals_unchunked(scenario: dict[str, Any], points: int, chunk: int) -> None:
    rng = np.random.default_rng(points)
    axes = {
        "network.wan.bandwidth_mbps": rng.uniform(1, 1000, points),
        "compression.pseudo_gradient": rng.uniform(1, 200, points),
    }
    whole = dtsim.sweep(scenario, axes, chunk_size=10**6).to_dicts()
    chunked = dtsim.sweep(scenario, axes, chunk_size=chunk).to_dicts()
    assert chunked == whole
    streamed = [row for part in dtsim.iter_sweep(scenario, axes, chunk_size=chunk) for row in part.to_dicts()]
    assert streamed == whole


def test_constant_columns_are_views_that_still_read_right() -> None:
    batch = dtsim.sweep(flat(A100x48, 72), {"network.wan.bandwidth_mbps": [10, 100, 1000]}, chunk_size=2)
    assert batch.columns["eta_activation"].strides == (0,)  # one value, no copy
    assert batch.columns["c_local"].strides != (0,)
    assert [r["eta_activation"] for r in batch.to_dicts()] == [1.0, 1.0, 1.0]


def test_constant_detection_survives_a_later_change() -> None:
    # groups falls back from G to N only in later chunks: the column must be materialised.
    batch = dtsim.sweep(
        {"strategy": "hierarchical", "nodes": 16, "hardware": A100x48}, {"nodes": [16, 16, 4, 8]}, chunk_size=2
    )
    assert batch.columns["groups"].tolist() == [2, 2, 4, 8]
    assert np.isnan(batch.columns["inner_steps_regional"][2:]).all()


def test_grid_points_are_generated_per_chunk() -> None:
    axes = {
        "nodes": [1, 2, 3],
        "network.wan.bandwidth_mbps": [10.0, 100.0],
        "compression.quality": ["expected", "lossless"],
    }
    batch = dtsim.sweep(flat(A100x48, 1), axes, grid=True, chunk_size=5)
    triples = list(
        zip(
            batch.columns["nodes"].tolist(),
            batch.columns["network.wan.bandwidth_mbps"].tolist(),
            batch.columns["compression.quality"].tolist(),
            strict=True,
        )
    )
    assert triples == [(n, b, q) for n in (1, 2, 3) for b in (10.0, 100.0) for q in ("expected", "lossless")]


def test_sweep_to_csv_streams_every_point(tmp_path: Any) -> None:
    path = tmp_path / "sweep.csv"
    seen: list[tuple[int, int]] = []
    count = dtsim.sweep_to_file(
        flat(A100x48, 72),
        {"nodes": range(1, 11), "network.wan.bandwidth_mbps": [10, 100]},
        path,
        grid=True,
        columns=["c_local", "bottleneck", "inner_steps_regional"],
        chunk_size=7,
        progress=lambda done, total: seen.append((done, total)),
    )
    lines = path.read_text().splitlines()
    assert count == 20 and len(lines) == 21
    assert lines[0] == "nodes,network.wan.bandwidth_mbps,c_local,bottleneck,inner_steps_regional"
    expected = dtsim.simulate(flat(A100x48, 10, network={"wan": {"bandwidth_mbps": 100, "latency_ms": 100}}))
    nodes, bandwidth, c_local, bottleneck, regional = lines[-1].split(",")
    assert (float(nodes), float(bandwidth), bottleneck, regional) == (10, 100, "compute", "")
    assert float(c_local) == expected.c_local  # shortest round-trip text: exact
    assert seen[-1] == (20, 20) and len(seen) == 3


def test_sweep_to_parquet(tmp_path: Any) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "sweep.parquet"
    dtsim.sweep_to_file(flat(A100x48, 72), {"nodes": np.arange(1, 101)}, path, chunk_size=30)
    table = pq.read_table(path)
    assert table.num_rows == 100
    assert table.column("c_local").to_pylist()[71] == dtsim.simulate(flat(A100x48, 72)).c_local


def test_sweep_to_file_refuses_other_types(tmp_path: Any) -> None:
    with pytest.raises(dtsim.ScenarioError, match="allowed file types"):
        dtsim.sweep_to_file(flat(A100x48, 72), {"nodes": [1]}, tmp_path / "out.xlsx")


def test_in_memory_limit_points_to_streaming() -> None:
    with pytest.raises(dtsim.ScenarioError, match="sweep_to_file"):
        dtsim.sweep(
            flat(A100x48, 72),
            {"nodes": np.arange(1, 5001), "network.wan.bandwidth_mbps": np.arange(1, 5001)},
            grid=True,
        )
