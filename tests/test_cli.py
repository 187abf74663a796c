"""The dtsim command: parsed JSON output, exit status 2 with one line on user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dtsim.cli import app

runner = CliRunner()


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text("name: reference\nnodes: 72\n", "utf-8")
    return path


def test_simulate_json(scenario_file: Path, tmp_path: Path) -> None:
    other = tmp_path / "more.jsonl"
    other.write_text('{"nodes": 4}\n{"nodes": 8, "strategy": "hierarchical"}\n', "utf-8")
    result = runner.invoke(app, ["simulate", str(scenario_file), str(other), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["nodes"] for r in rows] == [72, 4, 8]
    assert rows[0]["name"] == "reference"
    assert rows[0]["c_local"] == pytest.approx(1.7508e25, rel=5e-5)


def test_simulate_csv_and_table(scenario_file: Path) -> None:
    csv_out = runner.invoke(app, ["simulate", str(scenario_file), "--format", "csv"])
    header, row = csv_out.stdout.strip().splitlines()
    assert header.split(",")[:3] == ["name", "strategy", "nodes"]
    assert row.startswith("reference,diloco,72,")
    table = runner.invoke(app, ["simulate", str(scenario_file)])
    assert table.exit_code == 0 and "c_quality" in table.stdout


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("nodes: -3\n", "nodes"),
        ("nodes: 4\nnetwork: {wan: {bandwidth_mbps: fast}}\n", "network.wan.bandwidth_mbps"),
        ("nodes: 4\nmodel: {params: 1e12}\n", "model.params"),
        ("nodes: [\n", "not valid YAML"),
    ],
)
def test_simulate_bad_file_exits_2_with_one_line(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, "utf-8")
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and field in message
    assert "Traceback" not in result.output


def test_validate(scenario_file: Path) -> None:
    result = runner.invoke(app, ["validate", str(scenario_file)])
    assert result.exit_code == 0 and "1 scenario(s) valid" in result.stdout


def test_analyze(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["analyze", "max_gpus_under_threshold", "--args", '{"gpu": "A100-80GB", "threshold_h100_eq": 8}']
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["gpus_per_node"] == 25
    args = tmp_path / "args.yaml"
    args.write_text("c_flop: 1e24\n", "utf-8")
    result = runner.invoke(app, ["analyze", "chinchilla_optimal", "--args", f"@{args}"])
    assert json.loads(result.stdout)[0]["params"] == pytest.approx(80.687e9, rel=1e-4)
    bad = runner.invoke(app, ["analyze", "chinchilla_optimal", "--args", "{oops"])
    assert bad.exit_code == 2 and "--args" in bad.stderr
