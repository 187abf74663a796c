"""Sweeps build only what is asked, plans are validated on their description before anything is
allocated, lazy axes give exactly the listed values, and the command line streams printed
sweeps through the same writer as ``--out``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import dtsim
from dtsim.cli import _app as cli_app
from dtsim.cli import app
from dtsim.engine import LinearAxis, LogAxis, plan_sweep
from dtsim.result import RESULT_KEYS
from dtsim.service import parse_axis

runner = CliRunner()

BASES: dict[str, dict[str, Any]] = {
    "diloco": {"strategy": "diloco", "nodes": 72, "hardware": {"node_pflops": 15, "node_memory_gb": 3840}},
    "hierarchical": {"strategy": "hierarchical", "nodes": 4000, "hardware": {"preset": "A100x48"}},
    "pp-diloco": {"strategy": "pp-diloco", "nodes": 4000, "model": {"params": 960e9}},
    "moe-ep": {"strategy": "moe-ep", "nodes": 4000, "model": {"total_params": 600e9, "active_params": 100e9}},
}


def _axes(strategy: str, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    low = {"diloco": 1, "hierarchical": 1, "pp-diloco": 16, "moe-ep": 100}[strategy]
    return {
        "nodes": rng.integers(low, 10_000, n),
        "network.wan.bandwidth_mbps": rng.uniform(10, 1000, n),
        "compression.pseudo_gradient": rng.uniform(1, 100, n),
    }


def _bits(values: np.ndarray) -> Any:
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.ascontiguousarray(values).view(np.uint64).tolist()
    return values.tolist()


# --------------------------------------------------------------------------------------------
# columns=


@pytest.mark.parametrize("strategy", list(BASES))
def test_columns_give_the_same_values_as_the_full_sweep(strategy: str) -> None:
    axes = _axes(strategy, 700)
    full = dtsim.sweep(BASES[strategy], axes, chunk_size=256)
    asked = ["c_local", "c_quality", "bottleneck", "feasible", "inner_steps"]
    part = dtsim.sweep(BASES[strategy], axes, columns=asked, chunk_size=256)
    for key in [*asked, *axes]:
        assert _bits(part.columns[key]) == _bits(full.columns[key]), key
    assert set(part.columns) == {"name", *axes, "strategy", "feasible", "infeasible_reason", *asked}
    rows = part.to_dicts()
    assert [r["c_quality"] for r in rows] == [r["c_quality"] for r in full.to_dicts()]
    assert [r["inner_steps"] for r in rows] == [r["inner_steps"] for r in full.to_dicts()]
    streamed = [b.columns["c_local"] for b in dtsim.iter_sweep(BASES[strategy], axes, columns=["c_local"])]
    assert _bits(np.concatenate(streamed)) == _bits(full.columns["c_local"])


def test_a_batch_of_some_columns_has_no_results() -> None:
    part = dtsim.sweep({"nodes": 72}, {"nodes": [1, 2]}, columns=["c_local"])
    with pytest.raises(dtsim.ScenarioError, match="only some result keys"):
        part.results()


@pytest.mark.parametrize(
    ("columns", "text"),
    [
        (["c_local", "speed"], "speed"),
        ("c_local", "expected a list"),
        ([3], "text"),
        ({"c_local": 1}, "expected a list"),
    ],
)
def test_unknown_columns_are_refused_before_any_work(columns: Any, text: str, tmp_path: Path) -> None:
    calls: list[int] = []
    for run in (
        lambda: dtsim.sweep({"nodes": 72}, {"nodes": [1, 2]}, columns=columns),
        lambda: dtsim.iter_sweep({"nodes": 72}, {"nodes": [1, 2]}, columns=columns),
        lambda: dtsim.sweep_to_file(
            {"nodes": 72}, {"nodes": [1, 2]}, tmp_path / "o.csv", columns=columns, progress=lambda d, t: calls.append(d)
        ),
    ):
        with pytest.raises(dtsim.ScenarioError, match=text) as info:
            run()
        assert info.value.field == "columns" and "\n" not in str(info.value)
    assert calls == [] and not (tmp_path / "o.csv").exists()


def test_constant_and_shared_columns_are_read_only_views() -> None:
    axes = {**_axes("diloco", 300_000), "hardware.node_memory_gb": np.linspace(500, 5000, 300_000)}
    batch = dtsim.sweep(BASES["diloco"], axes)
    nodes, groups, days = batch.columns["nodes"], batch.columns["groups"], batch.columns["wall_clock_days"]
    assert np.shares_memory(nodes, groups) and not groups.flags.writeable
    assert days.strides == (0,) and days[0] == 547.875 and not days.flags.writeable
    assert batch.columns["c_local"].flags.writeable  # a column of its own
    assert np.shares_memory(batch.columns["params"], batch.columns["active_params"])  # equal bit for bit


def test_a_column_constant_in_the_first_chunk_only_is_filled_in() -> None:
    nodes = np.r_[np.full(300, 72), np.arange(1, 301)]
    full = dtsim.sweep({"nodes": 72}, {"nodes": nodes}, chunk_size=100)
    one_by_one = [dtsim.simulate({"nodes": int(n)}).to_dict()["c_local"] for n in nodes[295:305]]
    assert full.columns["c_local"][295:305].tolist() == one_by_one


# --------------------------------------------------------------------------------------------
# Plans validated on their description


def test_a_grid_of_8_axes_of_256_values_is_refused_not_wrapped(tmp_path: Path) -> None:
    paths = [
        "nodes",
        "network.wan.bandwidth_mbps",
        "network.wan.latency_ms",
        "training.days",
        "training.local_batch_tokens",
        "hardware.bytes_per_param",
        "compression.pseudo_gradient",
        "network.regional.latency_ms",
    ]
    axes = {path: range(1, 257) for path in paths}
    with pytest.raises(dtsim.ScenarioError, match="at most 9,223,372,036,854,775,807 points"):
        dtsim.sweep_to_file({"nodes": 72}, axes, tmp_path / "o.csv", grid=True)
    with pytest.raises(dtsim.ScenarioError, match="at most 9,223,372,036,854,775,807 points"):
        dtsim.sweep({"nodes": 72}, axes, grid=True)
    assert not list(tmp_path.iterdir())
    axes.popitem()  # 2**56 points: a valid plan, sized as a Python integer
    assert plan_sweep({"nodes": 72}, axes, grid=True).size == 256**7


class _Stop(Exception):
    pass


def test_a_range_axis_streams_without_allocating_the_axis(tmp_path: Path) -> None:
    def stop(done: int, total: int) -> None:
        assert total == 10**8 - 1
        raise _Stop

    tracemalloc.start()
    try:
        with pytest.raises(_Stop):
            dtsim.sweep_to_file({"nodes": 72}, {"nodes": range(1, 10**8)}, tmp_path / "o.csv", progress=stop)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 400 * 2**20, peak  # one chunk's work; the axis alone would be 800 MB
    assert not list(tmp_path.iterdir())
    with pytest.raises(dtsim.ScenarioError, match=r"nodes.*≤ 1e\+08"):
        dtsim.sweep_to_file({"nodes": 72}, {"nodes": range(1, 10**12)}, tmp_path / "o.csv")


def test_a_range_axis_gives_the_listed_values() -> None:
    lazy = dtsim.sweep({"nodes": 72}, {"nodes": range(3, 600, 7)}, chunk_size=10)
    listed = dtsim.sweep({"nodes": 72}, {"nodes": list(range(3, 600, 7))})
    for key in ("nodes", "c_local", "c_quality"):
        assert _bits(lazy.columns[key]) == _bits(listed.columns[key])
    grid = dtsim.sweep({"nodes": 72}, {"nodes": range(1, 40, 3), "training.days": range(100, 400, 100)}, grid=True)
    listed_grid = dtsim.sweep(
        {"nodes": 72}, {"nodes": list(range(1, 40, 3)), "training.days": [100, 200, 300]}, grid=True
    )
    assert _bits(grid.columns["c_quality"]) == _bits(listed_grid.columns["c_quality"])


@pytest.mark.parametrize(
    ("axes", "field", "text"),
    [
        ({"nodes": [[1, 2], [3]]}, "nodes", "flat list"),
        ({"nodes": [[1, 2], [3, 4]]}, "nodes", "flat list"),
        ({"nodes": np.ones((2, 2))}, "nodes", "one-dimensional"),
        ({"nodes": [1, {"a": 1}]}, "nodes", "expected a number, got dict"),
        ({"nodes": [1, {1, 2}]}, "nodes", "flat list"),
        ({"nodes": ["many"]}, "nodes", "expected numbers"),
        ({"nodes": {1, 2}}, "nodes", "expected a list"),
        ({"nodes": (n for n in [1, 2])}, "nodes", "expected a list"),
        ({"nodes": 5}, "nodes", "expected a list"),
        ({"nodes": range(5, 1)}, "nodes", "at least one value"),
        ({"nodes": range(0, 5)}, "nodes", "≥ 1"),
        ({"hardware.gpu": range(1, 5)}, "hardware.gpu", "valid string"),
        ({3: [1, 2]}, "3", "field path is text"),
        ({("nodes",): [1, 2]}, "('nodes',)", "field path is text"),
        ({"compression.quality": [[1, 2]]}, "compression.quality", "flat list"),
        ({"nodes": [1, 2], "training.days": [1.0]}, "axes", "equal lengths"),
    ],
)
def test_bad_axes_are_one_line_naming_the_path(axes: dict[Any, Any], field: str, text: str, tmp_path: Path) -> None:
    for run in (
        lambda: dtsim.sweep({"nodes": 72}, axes),
        lambda: dtsim.iter_sweep({"nodes": 72}, axes),  # refused when called, not when iterated
        lambda: dtsim.sweep_to_file({"nodes": 72}, axes, tmp_path / "o.csv"),
    ):
        with pytest.raises(dtsim.ScenarioError, match=text) as info:
            run()
        assert info.value.field == field and "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("chunk_size", [0, -1, True, 1.5, "10", None])
def test_chunk_size_must_be_a_whole_number_of_at_least_one(chunk_size: Any, tmp_path: Path) -> None:
    for run in (
        lambda: dtsim.sweep({"nodes": 72}, {"nodes": [1, 2]}, chunk_size=chunk_size),
        lambda: dtsim.iter_sweep({"nodes": 72}, {"nodes": [1, 2]}, chunk_size=chunk_size),
        lambda: dtsim.sweep_to_file({"nodes": 72}, {"nodes": [1, 2]}, tmp_path / "o.csv", chunk_size=chunk_size),
    ):
        with pytest.raises(dtsim.ScenarioError, match="whole number ≥ 1") as info:
            run()
        assert info.value.field == "chunk_size"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("path", "spec"),
    [
        ("nodes", "range:1:1000:3"),
        ("nodes", "range:1:5:2"),
        ("network.wan.bandwidth_mbps", "range:0.5:100.3:0.7"),
        ("network.wan.bandwidth_mbps", "log:10:1000:1001"),
        ("network.wan.latency_ms", "log:0.3:340:7777"),
        ("network.wan.bandwidth_mbps", "log:10:10:5"),
        ("network.wan.bandwidth_mbps", "log:1000:10:300"),
        ("training.mfu", "range:0.1:0.9:0.001"),
    ],
)
def test_lazy_command_line_axes_give_exactly_the_listed_values(
    path: str, spec: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_app, "LAZY_AXIS_VALUES", 0)
    lazy = cli_app._axis_values(path, spec)
    assert isinstance(lazy, LinearAxis | LogAxis)
    listed = np.asarray(parse_axis(path, spec), dtype=float)
    assert len(lazy) == len(listed)
    whole = lazy.at(np.arange(len(lazy)))
    chunks = np.concatenate([lazy.at(np.arange(a, min(a + 97, len(lazy)))) for a in range(0, len(lazy), 97)])
    assert _bits(whole) == _bits(listed) and _bits(chunks) == _bits(listed)


def test_long_command_line_ranges_are_lazy_and_capped_as_before() -> None:
    axis = cli_app._axis_values("nodes", "range:1:50000000:1")
    assert isinstance(axis, LinearAxis) and len(axis) == 50_000_000
    assert isinstance(cli_app._axis_values("nodes", "log:1:1000000:200000"), np.ndarray)  # integer log: listed
    with pytest.raises(dtsim.ScenarioError, match="at most"):
        cli_app._axis_values("network.wan.latency_ms", "range:1:1e9:1e-9")


# --------------------------------------------------------------------------------------------
# The command line


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("name: base\nnodes: 72\n", "utf-8")
    return path


def test_a_vary_value_that_is_a_list_is_one_line(scenario_file: Path) -> None:
    result = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=0,[/red]"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "nodes" in result.stderr


def test_printed_csv_is_the_file_written_with_out(scenario_file: Path, tmp_path: Path) -> None:
    vary = ["--vary", "nodes=range:1:300:1", "--vary", "network.wan.bandwidth_mbps=10,100", "--grid"]
    out = tmp_path / "o.csv"
    assert runner.invoke(app, ["sweep", str(scenario_file), *vary, "--out", str(out)]).exit_code == 0
    printed = runner.invoke(app, ["sweep", str(scenario_file), *vary, "--format", "csv"])
    assert printed.exit_code == 0 and printed.stdout == out.read_text("utf-8")
    assert printed.stdout.count("\n") == 601


def test_printed_json_is_one_list_of_every_point(scenario_file: Path) -> None:
    vary = ["--vary", "nodes=range:1:70000:1", "--columns", "c_local,registered"]
    result = runner.invoke(app, ["sweep", str(scenario_file), *vary, "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == 70_000 and set(rows[0]) == {"nodes", "c_local", "registered"}
    expected = dtsim.sweep({"nodes": 72}, {"nodes": [1, 69_999]}, columns=["c_local"]).to_dicts()
    assert [rows[0]["c_local"], rows[-2]["c_local"]] == [r["c_local"] for r in expected]
    assert rows[0]["registered"] is False and rows[0]["nodes"] == 1
    empty_columns = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=1", "-f", "json"])
    assert json.loads(empty_columns.stdout)[0]["nodes"] == 1


def test_tables_are_capped_with_a_pointer_to_out(scenario_file: Path) -> None:
    result = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=range:1:5000:1", "-c", "c_local"])
    assert result.exit_code == 0
    assert "showing the first 1,000 of 5,000 points" in result.stderr and "--out" in result.stderr
    assert "│ 1,000 │" in result.stdout and "│ 1,001 │" not in result.stdout
    small = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=1,2", "-c", "c_local"])
    assert small.exit_code == 0 and small.stderr == ""


def test_printed_csv_streams_in_bounded_memory(scenario_file: Path) -> None:
    code = (
        "import resource, sys\n"
        "from dtsim.cli import main\n"
        f"sys.argv = ['dtsim', 'sweep', {str(scenario_file)!r}, '--vary', 'nodes=range:1:1000:1', '--vary',\n"
        "            'network.wan.bandwidth_mbps=log:10:1000:600', '--grid', '-f', 'csv']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:  # the high-water mark of this program alone (ru_maxrss keeps the parent's across exec)\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "    peak = int(status.split()[0])\n"
        "except (OSError, IndexError):\n"
        "    pass\n"
        "sys.stderr.write(str(peak))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.count("\n") == 600_001
    assert int(done.stderr.strip().splitlines()[-1]) < 300 * 1024  # KiB: under 300 MB for 600,000 points


def test_allocator_tuning_can_be_turned_off() -> None:
    code = (
        "import numpy as np, dtsim, dtsim.engine as e\n"
        "b = dtsim.sweep({'nodes': 72}, {'nodes': np.arange(1, 70_000)})\n"
        "print(e._allocator['tuned'], float(b.columns['c_local'][-1]))\n"
        "e.tune_allocator(False)\n"
        "c = dtsim.sweep({'nodes': 72}, {'nodes': np.arange(1, 70_000)})\n"
        "print(e._allocator['tuned'], float(c.columns['c_local'][-1]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DTSIM_ALLOCATOR_TUNING"}
    off = subprocess.run(
        [sys.executable, "-c", code], env={**env, "DTSIM_ALLOCATOR_TUNING": "0"}, capture_output=True, text=True
    )
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert off.stdout.split()[0] == "False"
    assert on.stdout.split()[0] == ("True" if sys.platform.startswith("linux") else "False")
    assert on.stdout.split()[2] == "False"  # turned off again: the thresholds restored
    assert off.stdout.split()[1] == on.stdout.split()[1] == on.stdout.split()[3]


def test_result_keys_are_all_allowed_columns() -> None:
    batch = dtsim.sweep({"nodes": 72}, {"nodes": [1, 5]}, columns=[k for k in RESULT_KEYS if k != "name"])
    assert len(batch.results()) == 2
