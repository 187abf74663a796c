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
    assert result.exit_code == 0 and "1 scenario(s) in 1 file(s) valid" in result.stdout


def test_analyze(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["analyze", "max_gpus_under_threshold", "--args", '{"gpu": "A100-80GB", "threshold_h100_eq": 8}', "-f", "json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["gpus_per_node"] == 25
    args = tmp_path / "args.yaml"
    args.write_text("c_flop: 1e24\n", "utf-8")
    result = runner.invoke(app, ["analyze", "chinchilla_optimal", "--args", f"@{args}", "-f", "json"])
    assert json.loads(result.stdout)[0]["params"] == pytest.approx(80.687e9, rel=1e-4)
    bad = runner.invoke(app, ["analyze", "chinchilla_optimal", "--args", "{oops"])
    assert bad.exit_code == 2 and "--args" in bad.stderr


def test_sweep_zipped_and_grid(scenario_file: Path) -> None:
    zipped = runner.invoke(
        app,
        [
            "sweep",
            str(scenario_file),
            "--vary",
            "nodes=4,72",
            "--vary",
            "network.wan.bandwidth_mbps=10,1000",
            "--format",
            "json",
        ],
    )
    assert zipped.exit_code == 0, zipped.output
    rows = json.loads(zipped.stdout)
    assert [(r["nodes"], r["network.wan.bandwidth_mbps"]) for r in rows] == [(4, 10), (72, 1000)]
    grid = runner.invoke(
        app,
        [
            "sweep",
            str(scenario_file),
            "--vary",
            "nodes=range:1:5:2",
            "--vary",
            "network.wan.bandwidth_mbps=log:10:1000:3",
            "--grid",
            "--format",
            "csv",
        ],
    )
    lines = grid.stdout.strip().splitlines()
    assert len(lines) == 1 + 9 and lines[0].startswith("nodes,network.wan.bandwidth_mbps")
    table = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=4,8", "--columns", "c_local"])
    assert table.exit_code == 0 and "c_local" in table.stdout


@pytest.mark.parametrize(
    ("vary", "text"),
    [
        ("nodes=0,4", "nodes"),
        ("nodes", "PATH=VALUES"),
        ("network.wan.speed=1,2", "network.wan.speed"),
        ("nodes=range:1:10", "range:START:STOP:STEP"),
        ("nodes=log:0:10:3", "log ranges need"),
        ("nodes=range:10:1:1", "empty range"),
        ("nodes=log:2:2048:2.5", "COUNT must be a whole number"),
        ("network.wan.latency_ms=range:1:1e9:1e-9", "at most"),
    ],
)
def test_sweep_errors(scenario_file: Path, vary: str, text: str) -> None:
    result = runner.invoke(app, ["sweep", str(scenario_file), "--vary", vary])
    assert result.exit_code == 2
    assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_explain(scenario_file: Path) -> None:
    result = runner.invoke(app, ["explain", str(scenario_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    steps = {s["name"]: s for s in json.loads(result.stdout)}
    assert steps["inner_steps"]["value"] == 200
    assert steps["c_quality"]["value"] == pytest.approx(1.5470e25, rel=5e-5)
    assert steps["eta"]["formula"].startswith("η = η_H · η_compression")
    assert steps["sync_s"]["symbols"]["participants"] == 72
    assert all(s["source"] for s in steps.values())
    assert runner.invoke(app, ["explain", str(scenario_file)]).exit_code == 0


def test_explain_strategies(tmp_path: Path) -> None:
    for strategy, extra in [
        ("hierarchical", ""),
        ("pp-diloco", "model: {params: 960e9}\n"),
        ("moe-ep", "model: {total_params: 600e9, active_params: 100e9}\n"),
    ]:
        path = tmp_path / f"{strategy}.yaml"
        path.write_text(f"strategy: {strategy}\nnodes: 4000\n{extra}", "utf-8")
        result = runner.invoke(app, ["explain", str(path), "--format", "json"])
        assert result.exit_code == 0, result.output
        names = {s["name"] for s in json.loads(result.stdout)}
        assert {"hierarchical": "inner_steps_regional", "pp-diloco": "pp_stages", "moe-ep": "ep_overhead"}[
            strategy
        ] in names


def test_explain_refuses_many(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text('[{"nodes": 1}, {"nodes": 2}]', "utf-8")
    result = runner.invoke(app, ["explain", str(path)])
    assert result.exit_code == 2 and "explain takes one" in result.stderr


def test_hardware() -> None:
    listing = runner.invoke(app, ["hardware", "--format", "json"])
    assert listing.exit_code == 0
    data = json.loads(listing.stdout)
    assert {g["gpu"] for g in data["gpus"]} >= {"A100-80GB", "H100-SXM", "GH200"}
    assert {p["preset"]: p["h100_equivalents"] for p in data["presets"]}["A100x48"] == pytest.approx(15.127, abs=1e-3)
    node = runner.invoke(
        app, ["hardware", "--gpu", "A100-80GB", "--threshold", "16", "--memory-limit", "1024", "--format", "json"]
    )
    assert json.loads(node.stdout)[0]["gpus_per_node"] == 12
    assert runner.invoke(app, ["hardware"]).exit_code == 0
    bad = runner.invoke(app, ["hardware", "--gpu", "TPU"])
    assert bad.exit_code == 2 and "gpu" in bad.stderr


def test_sweep_streams_to_file(scenario_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    result = runner.invoke(
        app,
        [
            "sweep",
            str(scenario_file),
            "--vary",
            "nodes=range:1:300:1",
            "--vary",
            "network.wan.bandwidth_mbps=10,100",
            "--grid",
            "--columns",
            "c_local",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert len(lines) == 601 and lines[0] == "nodes,network.wan.bandwidth_mbps,c_local"
    assert "wrote 600 points" in result.stderr
    bad = runner.invoke(app, ["sweep", str(scenario_file), "--vary", "nodes=1,2", "--columns", "speed"])
    assert bad.exit_code == 2 and "--columns" in bad.stderr


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"nodes: 4\ncolour: blue\n", "colour"),
        (b"nodes: .nan\n", "nodes"),
        (b'{"nodes": 4, "training": {"mfu": NaN}}', "NaN"),
        (b"nodes: 4\nname: \xff\xfe\n", "not UTF-8"),
        (b"nodes: 4\nstrategy: ring\n", "strategy"),
        (b"nodes: 4\nhardware: {gpu: TPU}\n", "hardware.gpu"),
        (b"strategy: moe-ep\nnodes: 4\nmodel: {total_params: 1e9}\n", "model.active_params"),
    ],
)
def test_broken_files_exit_2_naming_the_field(tmp_path: Path, content: bytes, field: str) -> None:
    path = tmp_path / ("bad.json" if content.startswith(b"{") else "bad.yaml")
    path.write_bytes(content)
    for command in ("simulate", "validate", "explain"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 2, (command, result.output)
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1 and field in message and "Traceback" not in result.output


def test_analyses_are_discoverable_from_the_command_line() -> None:
    listing = runner.invoke(app, ["analyze", "--list"])
    assert listing.exit_code == 0
    for name in ("nodes_for_target", "cheapest_config", "bandwidth_for_utilization", "mitigation_table"):
        assert name in listing.stdout
    described = runner.invoke(app, ["analyze", "cheapest_config", "--help"])
    assert described.exit_code == 0
    for text in ("arguments", "target", "search", "exhaustive", "result keys", "winner"):
        assert text in described.stdout
    assert runner.invoke(app, ["analyze", "no_such", "--help"]).exit_code == 2
    bare = runner.invoke(app, ["analyze"])
    assert bare.exit_code == 0 and "--list" in bare.stdout


def test_nested_analysis_results_print_as_tables_and_as_json() -> None:
    args = '{"scenario": {"physics": "revised"}, "target": 1e24}'
    table = runner.invoke(app, ["analyze", "cheapest_config", "--args", args])
    assert table.exit_code == 0 and "cheapest_config.winner" in table.stdout and "{'" not in table.stdout
    data = json.loads(runner.invoke(app, ["analyze", "cheapest_config", "--args", args, "-f", "json"]).stdout)
    assert data[0]["winner"]["nodes"] == 5
    csv_text = runner.invoke(app, ["analyze", "cheapest_config", "--args", args, "-f", "csv"]).stdout
    assert '"{""hardware_index"": null' in csv_text and '""strategy"": ""diloco""' in csv_text  # nested: JSON


def test_a_bad_choice_names_the_option_and_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from dtsim.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["report", "paper-tables", "--table", "1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "error: Invalid value for '--table': '1' is not one of 'clocal', 'bandwidth', 'latency', 'all'.\n"
    )
