"""`dtsim audit`: the arithmetic against hand-computed values and the seed plan's verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import dtsim
from conftest import ROOT
from dtsim.audit import audit_plan, load_plan, parse_plan, render_markdown, verdict
from dtsim.audit.tensors import padded_bytes
from dtsim.cli import app

SEED_PLAN = ROOT / "examples" / "plans" / "s7-moe-140m.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def seed_audit() -> dict[str, Any]:
    return audit_plan(load_plan(SEED_PLAN))


def _phase(audit: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in audit["phases"] if p["name"] == name)


def test_padding() -> None:
    assert padded_bytes(262_144, 32) == 262_144
    assert padded_bytes(15, 32) == 32
    assert padded_bytes(33, 32) == 64
    assert padded_bytes(15 * 4, 64) == 64


def test_phase_1_flop_gpu_hours_and_implied_mfu(seed_audit: dict[str, Any]) -> None:
    p1 = _phase(seed_audit, "Phase 1: shared trunk")
    trained = 18.9e6 + 2e6 + 0.1e6
    assert p1["trained_params"] == pytest.approx(trained)
    assert p1["flop"] == pytest.approx(6 * trained * 50e9)  # 6.3e18
    hours = 6 * trained * 50e9 / (312e12 * 0.4) / 3600  # 14.02 A100-hours
    assert p1["gpu_hours"] == pytest.approx(hours)
    assert p1["wall_clock_hours"] == pytest.approx(hours / 8)
    assert p1["implied_mfu"] == pytest.approx(6 * trained * 50e9 / (12_000 * 3600 * 312e12))
    check = p1["checks"]["gpu_hours"]
    assert check["verdict"] == "overstated" and check["ratio"] == pytest.approx(12_000 / hours)
    assert round(check["ratio"]) == 856


def test_phase_2_frozen_parts_and_verdict(seed_audit: dict[str, Any]) -> None:
    e0 = _phase(seed_audit, "Phase 2: expert 0 (code)")
    expert = 8 * (4 * 512 * 512 + 2 * 512 * 2048)  # 25,165,824 from the tensor table
    assert e0["trained_params"] == expert
    flop = 6 * expert * 20e9 + 2 * 2e6 * 20e9 + 4 * 18.9e6 * 20e9  # trained, frozen below, frozen above
    assert e0["flop"] == pytest.approx(flop)
    hours = flop / (312e12 * 0.4) / 3600
    assert e0["checks"]["gpu_hours"] == {
        "claimed": 600,
        "computed": pytest.approx(hours),
        "ratio": pytest.approx(600 / hours),
        "verdict": "overstated",
    }
    group = seed_audit["groups"][0]
    assert group["gpus"] == 16 and group["checks"]["gpus"]["verdict"] == "consistent"
    assert group["wall_clock_hours"] == pytest.approx(max(p["wall_clock_hours"] for p in seed_audit["phases"][1:5]))
    assert group["checks"]["gpu_hours"]["verdict"] == "overstated"


def test_memory_per_gpu(seed_audit: dict[str, Any]) -> None:
    memory = _phase(seed_audit, "Phase 1: shared trunk")["memory_per_gpu"]
    trained = 21e6
    assert memory["micro_batch_sequences"] == 64  # 512 sequences over 8 data-parallel GPUs
    assert memory["weights_gb"] == pytest.approx(trained * 6 / 1e9)  # BF16 weights + FP32 master
    assert memory["gradients_gb"] == pytest.approx(trained * 2 / 1e9)
    assert memory["optimizer_gb"] == pytest.approx(trained * 8 / 1e9)  # two FP32 AdamW moments
    tokens = 64 * 2048
    activations = 34 * tokens * 512 * 6 + tokens * 36914 * 4  # 6 trunk layers, FP32 logits
    assert memory["activations_gb"] == pytest.approx(activations / 1e9)
    assert memory["fits"] is True  # 33.4 GB on a 40 GB GPU
    assert _phase(seed_audit, "Calibration / QA")["memory_per_gpu"]["activations_gb"] == 0.0


def test_tensor_table_and_components(seed_audit: dict[str, Any]) -> None:
    rows = [r for r in seed_audit["tensors"] if r["component"] == "expert_code"]
    assert [r["numel"] for r in rows] == [262_144] * 4 + [1_048_576] * 2
    assert sum(r["padded_bytes"] for r in rows) == 3_145_728  # 3,072 KiB, not the seed's 3136KB
    expert = next(c for c in seed_audit["components"] if c["name"] == "expert_code")
    assert expert["padded_bytes"] == 8 * 3_145_728
    trunk = next(c for c in seed_audit["components"] if c["name"] == "trunk")
    assert trunk["checks"]["bytes_int8"]["verdict"] == "overstated"  # §8 "≈24MB" vs §2 "~2M" params


def test_arithmetic_flags(seed_audit: dict[str, Any]) -> None:
    sums = {s["name"]: s for s in seed_audit["arithmetic"]}
    assert sums["§6 total GPU-hours"]["adds_up"]
    assert not sums["§6 wall time: phase 1 + phase 2 + QA hours vs ~21 days"]["adds_up"]
    layer = sums["§8 expert layer (KB): the six tensors vs 3136KB"]
    assert layer["sum_of_parts"] == 3096 and not layer["adds_up"]


def test_totals_and_thresholds(seed_audit: dict[str, Any]) -> None:
    total = seed_audit["total"]
    assert total["flop"] == pytest.approx(sum(p["flop"] for p in seed_audit["phases"]))
    assert total["flop"] < 1e20
    strict = next(v for k, v in total["thresholds"].items() if k.startswith("Strict"))
    assert strict["exceeded"] is False and strict["fraction"] == pytest.approx(total["flop"] / 1e24)
    assert total["peak_gpus"] == 16
    assert total["peak_h100_equivalents"] == pytest.approx(16 * 312 / 990)
    assert total["registered_cluster"] is False  # 5.04 H100-eq
    assert total["checks"]["gpu_hours"]["verdict"] == "overstated"
    assert total["checks"]["params"]["verdict"] == "consistent"
    assert total["cost_usd"] == pytest.approx(total["gpu_hours"] * 2.5)


def test_verdict_rule() -> None:
    assert verdict(10, 10, 2)["verdict"] == "consistent"
    assert verdict(21, 10, 2)["verdict"] == "overstated"
    assert verdict(4, 10, 2)["verdict"] == "understated"
    assert verdict(None, 10, 2) is None


def test_options_change_the_computation() -> None:
    plan = load_plan(SEED_PLAN)
    slow = audit_plan(plan, mfu=0.2, factor=1000, price_usd_per_gpu_hour=1.0)
    p1 = slow["phases"][0]
    assert p1["gpu_hours"] == pytest.approx(2 * audit_plan(plan)["phases"][0]["gpu_hours"])
    assert p1["checks"]["gpu_hours"]["verdict"] == "consistent"  # 428x is within a factor of 1000
    assert slow["total"]["cost_usd"] == pytest.approx(slow["total"]["gpu_hours"])


def test_docs_audit_is_the_command_output() -> None:
    generated = render_markdown(audit_plan(load_plan(SEED_PLAN))) + "\n"
    assert (ROOT / "docs" / "audit-s7-moe-140m.md").read_text("utf-8") == generated


BASE: dict[str, Any] = {
    "name": "p",
    "components": {"m": {"params": 1e9, "layers": 4}},
    "phases": [{"name": "a", "tokens": 1e9, "trained": ["m"], "gpu": "H100-SXM", "gpus": 8}],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phases": [{"name": "a", "tokens": -1, "trained": ["m"], "gpu": "H100-SXM", "gpus": 8}]}, "phases.0.tokens"),
        (
            {"phases": [{"name": "a", "tokens": 1e9, "trained": ["x"], "gpu": "H100-SXM", "gpus": 8}]},
            "phases.0.trained",
        ),
        ({"phases": [{"name": "a", "tokens": 1e9, "gpu": "TPU", "gpus": 8}]}, "phases.0.gpu"),
        ({"components": {"m": {"params": 1e9, "tensors": [{"name": "w", "shape": [2]}]}}}, "components.m.params"),
        ({"components": {"m": {"tensors": [{"name": "w", "shape": [0, 4]}]}}}, "components.m.tensors.0.shape.0"),
        ({"groups": [{"name": "g", "phases": ["b"]}]}, "groups.0.phases"),
        ({"colour": 1}, "colour"),
    ],
)
def test_invalid_plans_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(dtsim.ScenarioError) as info:
        parse_plan({**BASE, **change})
    assert info.value.field == field


def test_cli_formats_and_errors(tmp_path: Path) -> None:
    table = runner.invoke(app, ["audit", str(SEED_PLAN)])
    assert table.exit_code == 0 and "overstated" in table.stdout
    data = json.loads(runner.invoke(app, ["audit", str(SEED_PLAN), "--format", "json"]).stdout)
    assert data["phases"][0]["checks"]["gpu_hours"]["verdict"] == "overstated"
    md = runner.invoke(app, ["audit", str(SEED_PLAN), "--format", "md", "--mfu", "0.3"])
    assert md.stdout.startswith("# Audit of S7-LLM-MOE-140M") and "MFU 0.3" in md.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncomponents: {m: {params: -5}}\nphases: []\n", "utf-8")
    result = runner.invoke(app, ["audit", str(bad)])
    assert result.exit_code == 2 and "components.m.params" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert runner.invoke(app, ["audit", str(SEED_PLAN), "--factor", "0.5"]).exit_code == 2
