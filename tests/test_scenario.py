"""Scenario validation and loading: field-named refusals, files of every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import dtsim
from dtsim.scenario import load_scenarios, parse_scenario


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        ({"nodes": 0}, "nodes", "greater than or equal to 1"),
        ({}, "nodes", "required"),
        ({"nodes": "3"}, "nodes", "expected a number"),
        ({"nodes": True}, "nodes", "expected a number"),
        ({"nodes": 2.5}, "nodes", "whole number"),
        ({"nodes": 4, "colour": 1}, "colour", "unknown key"),
        ({"nodes": 4, "network": {"wan": {"bandwith_mbps": 5}}}, "network.wan.bandwith_mbps", "allowed here"),
        (
            {"nodes": 4, "network": {"wan": {"bandwidth_mbps": 0}}},
            "network.wan.bandwidth_mbps",
            "greater than or equal to 0.000001",
        ),
        ({"nodes": 4, "network": {"wan": {"bandwidth_mbps": 5, "latency_ms": -1}}}, "network.wan.latency_ms", "0"),
        ({"nodes": 4, "training": {"mfu": 1.5}}, "training.mfu", "less than or equal to 1"),
        ({"nodes": 4, "training": {"mfu": float("inf")}}, "training.mfu", "finite"),
        ({"nodes": 4, "training": {"days": 10, "tokens": 1e12}}, "training.tokens", "only one"),
        ({"nodes": 4, "training": {"inner_steps": "sometimes"}}, "training.inner_steps", ""),
        ({"nodes": 4, "strategy": "ring"}, "strategy", ""),
        ({"nodes": 4, "hardware": {"gpu": "TPU"}}, "hardware.gpu", "allowed: A100-80GB"),
        ({"nodes": 4, "hardware": {"node_pflops": 3}}, "hardware.node_memory_gb", "custom node"),
        ({"nodes": 4, "compression": {"pseudo_gradient": 0.5}}, "compression.pseudo_gradient", "1"),
        ({"nodes": 4, "compression": {"quality": {16: 1.2}}}, "compression.quality", "(0, 1]"),
        ({"nodes": 4, "compression": {"quality": {1: 0.9}}}, "compression.quality", "ratio 1"),
        ({"nodes": 4, "strategy": "pp-diloco"}, "model.params", "required"),
        ({"nodes": 4, "strategy": "moe-ep", "model": {"params": 1e9}}, "model.params", "total_params"),
        (
            {"nodes": 4, "strategy": "moe-ep", "model": {"total_params": 1e9, "active_params": 2e9}},
            "model.active_params",
            "≤",
        ),
        ({"nodes": 4, "model": {"active_params": 2e9}}, "model.active_params", "only for strategy moe-ep"),
    ],
)
def test_refusals_name_the_field(data: dict[str, Any], field: str, text: str) -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        parse_scenario(data)
    assert info.value.field == field
    assert text in str(info.value)
    assert "\n" not in str(info.value)


def test_precision_the_gpu_lacks_is_refused() -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        dtsim.simulate({"nodes": 4, "hardware": {"gpu": "A100-80GB", "precision": "fp8"}})
    assert info.value.field == "hardware.precision" and "no fp8" in str(info.value)
    custom = dtsim.simulate({"nodes": 4, "hardware": {"gpu": "A100-80GB", "precision": "fp8", "node_pflops": 20}})
    assert custom.node_pflops == 20  # an explicit peak overrides the catalogue


def test_defaults_are_the_seed_reference_case() -> None:
    r = dtsim.simulate({"nodes": 72})
    assert (r.params, r.gpus, r.inner_steps) == (240e9, 3456, 200)
    assert r.wall_clock_days == 547.875


def test_gpu_without_count_is_largest_unregistered_node() -> None:
    r = dtsim.simulate({"nodes": 4, "hardware": {"gpu": "A100-80GB"}})
    assert r.gpus == 200  # 50 per node: floor(16·990/312)
    assert r.c_local == pytest.approx(1.017e24, rel=5e-4)  # erratum E1


def test_presets_and_overrides() -> None:
    preset = dtsim.simulate({"nodes": 2000, "hardware": {"preset": "H100x16fp8"}})
    explicit = dtsim.simulate({"nodes": 2000, "hardware": {"gpu": "H100-SXM", "gpus_per_node": 16, "precision": "fp8"}})
    assert preset.c_local == explicit.c_local
    cheap = dtsim.simulate({"nodes": 4, "hardware": {"preset": "A100x48", "node_cost_usd": 1}})
    assert cheap.cost_usd == 4


def test_years_and_custom_activation_quality() -> None:
    assert dtsim.simulate({"nodes": 72, "training": {"years": 0.5}}).wall_clock_days == pytest.approx(182.625)
    pp = {
        "strategy": "pp-diloco",
        "nodes": 4000,
        "model": {"params": 960e9},
        "compression": {"quality": {16: 0.97}, "activation_quality": "lossless"},
    }
    r = dtsim.simulate(pp)
    assert (r.eta_activation, r.eta_compression) == (1.0, 0.97)


def test_files_of_every_format(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nnodes: 72\nmodel: {params: 120e9}\n", "utf-8")
    (tmp_path / "b.json").write_text(json.dumps([{"nodes": 4}, {"nodes": 8}]), "utf-8")
    (tmp_path / "c.jsonl").write_text('{"nodes": 16}\n\n{"nodes": 32}\n', "utf-8")
    scenarios = load_scenarios([tmp_path / "a.yaml", tmp_path / "b.json", tmp_path / "c.jsonl"])
    assert [s.nodes for s in scenarios] == [72, 4, 8, 16, 32]
    assert scenarios[0].model.params == 120e9  # YAML 240e9-style floats are numbers
    assert dtsim.simulate(tmp_path / "a.yaml").name == "a"


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("bad.yaml", "nodes: [1\n", "not valid YAML"),
        ("bad.json", "{nodes: 1}", "not valid JSON"),
        ("nan.json", '{"nodes": NaN}', "NaN"),
        ("bytes.yaml", b"nodes: \xff\xfe\n", "not UTF-8"),
        ("list.txt", "nodes: 1", "unknown file type"),
        ("scalar.yaml", "42", "mapping"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str | bytes, text: str) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(dtsim.ScenarioError, match=text):
        load_scenarios(path)


def test_missing_file() -> None:
    with pytest.raises(dtsim.ScenarioError, match="cannot read"):
        load_scenarios("does-not-exist.yaml")
