"""One path from a scenario to numbers: for every sweepable field, on bases of every strategy
and node kind, a sweep over a few values gives exactly what ``simulate`` gives on the same
scenarios, or both refuse; and the faults that once made them disagree stay fixed."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

import dtsim
from dtsim.fields import FIELDS, FieldSpec
from dtsim.scenario import set_path

BASES: dict[str, dict[str, Any]] = {
    "seed-default-node": {"nodes": 72},
    "preset-hierarchical": {"strategy": "hierarchical", "nodes": 64, "hardware": {"preset": "H100x16fp8"}},
    "gpu-count-pp": {
        "strategy": "pp-diloco",
        "nodes": 64,
        "model": {"params": 500e9},
        "hardware": {"gpu": "A100-80GB", "gpus_per_node": 48},
    },
    "custom-node-moe": {
        "strategy": "moe-ep",
        "nodes": 64,
        "model": {"total_params": 600e9, "active_params": 100e9},
        "hardware": {"node_pflops": 16.0, "node_memory_gb": 4000.0, "node_cost_usd": 700_000.0},
    },
    "revised-with-failures": {"physics": "revised", "nodes": 200, "reliability": {}},
}

#: Values for fields whose registry entry has no numeric default to scale.
EXPLICIT: dict[str, list[Any]] = {
    "nodes": [1, 16, 500],
    "hardware.gpu": ["A100-80GB", "H100-SXM", "TPU-v6e"],
    "hardware.gpus_per_node": [8, 16, 50],
    "hardware.node_pflops": [8.0, 31.68],
    "hardware.node_memory_gb": [1280.0, 4000.0],
    "hardware.node_cost_usd": [1.0, 5e5],
    "hardware.node_h100_equivalents": [8.0, 20.0],
    "hardware.gpu_price_usd": [5_000.0, 40_000.0],
    "hardware.bytes_per_param": [12.0, 20.0],
    "model.params": [50e9, 240e9],
    "model.total_params": [300e9, 900e9],
    "model.active_params": [50e9, 150e9],
    "training.days": [30.0, 730.0],
    "training.years": [0.5, 2.0],
    "training.tokens": [1e12, 2e13],
    "training.inner_steps": [5, 100, "auto"],
    "network.wan.upload_mbps": [50.0, 1000.0],
    "network.wan.download_mbps": [50.0, 1000.0],
    "network.straggler_per_doubling": [0.0, 0.1],
    "compression.pseudo_gradient_bits": [4.0, 32.0],
    "compression.quality": ["conservative", {1: 1.0, 16: 0.97, 100: 0.9}, "lossless"],
    "compression.activation_quality": ["optimistic", {4: 0.99}],
    "pipeline.activation_bytes": [0.5, 4.0],
    "reliability.checkpoint.write_s": [60.0, 3600.0],
    "efficiency.replica_loss.exponent": [-0.3, -0.1],
    "reporting.registration_threshold_h100_eq": [8.0, 32.0],
}


def _values(spec: FieldSpec) -> list[Any]:
    """Two or three valid values of a field, within its bounds."""
    if spec.path in EXPLICIT:
        return EXPLICIT[spec.path]
    if spec.kind in ("choice", "boolean"):
        assert spec.choices is not None
        return list(spec.choices)[:4]
    assert spec.kind in ("number", "integer") and isinstance(spec.default, int | float), spec.path
    values = []
    for factor in (0.5, 1.0, 1.5):
        value = spec.default * factor if spec.default else factor
        if spec.high is not None:
            value = min(value, spec.high)
        if spec.low is not None:
            value = max(value, spec.low if spec.low_inclusive else spec.low * 1.5 + 1e-3)
        values.append(round(value) if spec.kind == "integer" else value)
    return list(dict.fromkeys(values))


SWEEPABLE = [spec for spec in FIELDS.values() if spec.sweepable]


def _simulate(scenario: dict[str, Any]) -> dict[str, Any] | type[Exception]:
    try:
        return dtsim.simulate(scenario).to_dict()
    except dtsim.InfeasibleError:
        return dtsim.InfeasibleError
    except dtsim.ScenarioError:
        return dtsim.ScenarioError


def _same(row: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, float) and isinstance(got, float):
            assert math.isclose(got, value, rel_tol=1e-12, abs_tol=1e-300), f"{where}: {key} {got!r} != {value!r}"
        else:
            assert got == value, f"{where}: {key} {got!r} != {value!r}"


def test_every_field_is_in_the_registry_and_sweepable() -> None:
    assert len(SWEEPABLE) == len(FIELDS) - 1  # all but the name
    for spec in SWEEPABLE:
        assert spec.description, spec.path
        assert _values(spec), spec.path


@pytest.mark.parametrize("base_name", list(BASES))
@pytest.mark.parametrize("spec", SWEEPABLE, ids=[s.path for s in SWEEPABLE])
def test_sweep_of_any_field_equals_simulate(spec: FieldSpec, base_name: str) -> None:
    base = BASES[base_name]
    values = _values(spec)
    expected = []
    for value in values:
        scenario = copy.deepcopy(base)
        set_path(scenario, spec.path, copy.deepcopy(value))
        expected.append(_simulate(scenario))
    if dtsim.ScenarioError in expected:
        # a value the schema refuses refuses the whole sweep; the others are still compared below
        with pytest.raises(dtsim.ScenarioError):
            dtsim.sweep(base, {spec.path: values})
        kept = [i for i, want in enumerate(expected) if want is not dtsim.ScenarioError]
        values, expected = [values[i] for i in kept], [expected[i] for i in kept]
        if not values:
            return
    batch = dtsim.sweep(base, {spec.path: values})
    for i, (row, want) in enumerate(zip(batch.to_dicts(), expected, strict=True)):
        where = f"{base_name} {spec.path}={values[i]!r}"
        if want is dtsim.InfeasibleError:
            assert row["feasible"] is False and row["infeasible_reason"], where
            assert row["c_local"] is None, where
        else:
            assert isinstance(want, dict) and row["feasible"] is True, where
            _same(row, want, where)


# --------------------------------------------------------------------------------------------
# The faults that once made the faces disagree (each a regression test)


def test_sweeping_the_preset_resolves_each_point() -> None:
    batch = dtsim.sweep({"nodes": 72}, {"hardware.preset": ["A100x48", "H100x16fp8", "GH200x16"]})
    assert batch.columns["node_pflops"].tolist() == pytest.approx([14.976, 31.68, 15.84], rel=1e-12)
    scenario = dtsim.Scenario.model_validate({"nodes": 72}).with_values(**{"hardware.preset": "GH200x16"})
    assert scenario.hardware is not None and scenario.hardware.gpu is None  # no contradicting GPU
    assert dtsim.simulate(scenario).node_pflops == 15.84


def test_sweeping_the_gpu_takes_the_largest_unregistered_node() -> None:
    batch = dtsim.sweep({"nodes": 72}, {"hardware.gpu": ["H100-SXM", "A100-80GB"]})
    assert batch.columns["gpus"].tolist() == [72 * 16, 72 * 50]
    assert not batch.columns["registered"].any()


def test_cross_field_rules_hold_in_sweeps() -> None:
    with pytest.raises(dtsim.ScenarioError, match=r"training\.years"):
        dtsim.sweep({"nodes": 72, "training": {"days": 100}}, {"training.years": [1, 2]})
    moe = {"strategy": "moe-ep", "nodes": 64, "model": {"total_params": 600e9, "active_params": 100e9}}
    with pytest.raises(dtsim.ScenarioError, match=r"model\.params"):
        dtsim.sweep(moe, {"model.params": [1e11, 2e11]})
    with pytest.raises(dtsim.ScenarioError, match=r"model\.total_params"):
        dtsim.sweep({"nodes": 72}, {"model.total_params": [1e11, 2e11]})
    with pytest.raises(dtsim.ScenarioError, match=r"model.active_params.*≤ model.total_params"):
        dtsim.sweep(moe, {"model.active_params": [1e11, 7e11]})


@pytest.mark.parametrize(
    ("section", "given", "kept"),
    [
        ("network.wan", {"bandwidth_mbps": 100}, {"latency_ms": 100.0}),
        ("network.wan", {"latency_ms": 100}, {"bandwidth_mbps": 100.0}),
        ("network.regional", {"bandwidth_mbps": 1000}, {"latency_ms": 20.0}),
        ("network.regional", {"latency_ms": 20}, {"bandwidth_mbps": 1000.0}),
        ("training", {"mfu": 0.4}, {"local_batch_tokens": 131_072.0, "days": 547.875}),
        ("compression", {"pseudo_gradient": 16}, {"quality": "expected", "activations": 4.0}),
        ("efficiency.sync_penalty", {"floor": 0.4}, {"base": 0.08, "size_scale": 5.0}),
        ("scaling_law", {"E": 1.8172}, {"A": 482.01, "beta": 0.3658}),
        ("reliability.checkpoint", {"mode": "async"}, {"bandwidth_gb_per_s": 3.0, "peer_replicas": 4.0}),
    ],
)
def test_a_partial_section_keeps_the_defaults_of_the_keys_it_omits(
    section: str, given: dict[str, Any], kept: dict[str, Any]
) -> None:
    from dtsim.normalize import normalize, stack_scenarios

    scenario: dict[str, Any] = {"nodes": 72}
    set_path(scenario, section, given)
    normalized = normalize(stack_scenarios([dtsim.Scenario.model_validate(scenario)]))
    for key, value in kept.items():
        assert normalized[f"{section}.{key}"][0] == value, key
    # and therefore the same numbers as the section left out (every given value is a default; a
    # reliability key turns the layer on, so compare with the layer on at its defaults)
    reference: dict[str, Any] = {"nodes": 72, "reliability": {}} if section.startswith("reliability") else {"nodes": 72}
    assert dtsim.simulate(scenario).to_dict() == dtsim.simulate(reference).to_dict()


def test_restating_the_default_bandwidth_changes_nothing_for_moe() -> None:
    moe = {"strategy": "moe-ep", "nodes": 4000, "model": {"total_params": 600e9, "active_params": 100e9}}
    restated = copy.deepcopy(moe) | {"network": {"wan": {"bandwidth_mbps": 100}}}
    assert dtsim.simulate(restated).c_local == dtsim.simulate(moe).c_local


@pytest.mark.parametrize(
    "scenario",
    [
        {"nodes": 72, "network": {"wan": {"bandwidth_mbps": 0.01}}},
        {"nodes": 72, "training": {"days": 0.01}},
        {"nodes": 10_000, "network": {"wan": {"bandwidth_mbps": 0.001}}},
    ],
)
def test_no_outer_step_in_the_budget_is_infeasible(scenario: dict[str, Any]) -> None:
    with pytest.raises(dtsim.InfeasibleError, match="not one outer step"):
        dtsim.simulate(scenario)
    path, value = next(iter(_leaves(scenario)))
    batch = dtsim.sweep({k: v for k, v in scenario.items() if k == "nodes"}, {path: [value]})
    assert batch.to_dicts()[0]["feasible"] is False
    with pytest.raises(dtsim.InfeasibleError, match="sweep point 0"):
        dtsim.sweep({k: v for k, v in scenario.items() if k == "nodes"}, {path: [value]}, strict=True)


def _leaves(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out += _leaves(value, f"{prefix}{key}.")
        elif key != "nodes":
            out.append((f"{prefix}{key}", value))
    return out


def test_numpy_scalars_are_numbers() -> None:
    assert dtsim.simulate({"nodes": np.int64(4)}).nodes == 4
    assert dtsim.simulate({"nodes": 4, "training": {"mfu": np.float32(0.5)}}).c_actual > 0
    batch = dtsim.sweep({"nodes": 72}, {"training.inner_steps": [5, 10]})
    assert batch.columns["inner_steps"].tolist() == [5.0, 10.0]


def test_text_fields_are_sweepable_and_bad_values_refused_naming_the_field() -> None:
    batch = dtsim.sweep({"nodes": 72}, {"network.straggler": ["log2", "none"], "hardware.precision": ["fp16", "fp16"]})
    assert batch.columns["straggler_factor"][1] == 1.0
    with pytest.raises(dtsim.ScenarioError, match=r"network\.collective"):
        dtsim.sweep({"nodes": 72}, {"network.collective": ["seed", "mesh"]})
    with pytest.raises(dtsim.ScenarioError, match="not a scenario field"):
        dtsim.sweep({"nodes": 72}, {"network.wan.speed": [1]})
