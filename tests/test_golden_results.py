"""Bit-identical results: the full result columns of a fixed corpus of sweeps (every strategy,
every variant choice, every sweepable field, mixed-strategy batches, chunked grids, infeasible
points) hash to the values recorded in ``tests/data/golden_results.json``.

The corpus guards the engine's speed work: any change to how columns are built, shared,
chunked or cached must leave every bit of every value unchanged. A deliberate change of the
physics changes the hashes; regenerate them with

    python tests/test_golden_results.py --write

and say in the commit which numbers changed and why.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import dtsim
from dtsim.fields import FIELDS, FieldSpec

GOLDEN = Path(__file__).resolve().parent / "data" / "golden_results.json"

BASES: dict[str, dict[str, Any]] = {
    "flat-default": {"nodes": 72},
    "flat-custom-ttt": {
        "nodes": 300,
        "hardware": {"node_pflops": 12.0, "node_memory_gb": 2000.0},
        "training": {"tokens": 5e12},
        "network": {"collective": "ring"},
    },
    "hierarchical-preset": {"strategy": "hierarchical", "nodes": 64, "hardware": {"preset": "H100x16fp8"}},
    "hierarchical-fallback": {"strategy": "hierarchical", "nodes": 6, "network": {"nodes_per_group": 8}},
    "pp-gpu": {
        "strategy": "pp-diloco",
        "nodes": 64,
        "model": {"params": 500e9},
        "hardware": {"gpu": "A100-80GB", "gpus_per_node": 48},
    },
    "moe-custom": {
        "strategy": "moe-ep",
        "nodes": 64,
        "model": {"total_params": 600e9, "active_params": 100e9},
        "hardware": {"node_pflops": 16.0, "node_memory_gb": 4000.0, "node_cost_usd": 700_000.0},
    },
    "revised-reliability": {"physics": "revised", "nodes": 200, "reliability": {}},
}

#: Values for fields whose registry entry has no numeric default to scale.
EXPLICIT: dict[str, list[Any]] = {
    "nodes": [1, 2, 16, 500, 9999],
    "hardware.gpu": ["A100-80GB", "H100-SXM", "TPU-v6e"],
    "hardware.gpus_per_node": [1, 8, 16, 50],
    "hardware.node_pflops": [8.0, 31.68],
    "hardware.node_memory_gb": [80.0, 1280.0, 4000.0],
    "hardware.node_cost_usd": [1.0, 5e5],
    "hardware.node_h100_equivalents": [8.0, 20.0],
    "hardware.gpu_price_usd": [5_000.0, 40_000.0],
    "hardware.bytes_per_param": [12.0, 20.0],
    "model.params": [1e6, 50e9, 240e9, 2e12],
    "model.total_params": [300e9, 900e9],
    "model.active_params": [50e9, 150e9],
    "training.days": [0.001, 30.0, 730.0],
    "training.years": [0.5, 2.0],
    "training.tokens": [1e12, 2e13],
    "training.inner_steps": [1, 5, 100, "auto"],
    "network.wan.upload_mbps": [1.0, 50.0, 1000.0],
    "network.wan.download_mbps": [50.0, 1000.0],
    "network.straggler_per_doubling": [0.0, 0.1],
    "compression.pseudo_gradient_bits": [4.0, 32.0],
    "compression.quality": ["conservative", {1: 1.0, 16: 0.97, 100: 0.9}, "lossless", "optimistic"],
    "compression.activation_quality": ["optimistic", {4: 0.99}, "conservative"],
    "pipeline.activation_bytes": [0.5, 4.0],
    "reliability.checkpoint.write_s": [60.0, 3600.0],
    "efficiency.replica_loss.exponent": [-0.3, -0.1],
    "reporting.registration_threshold_h100_eq": [8.0, 32.0],
}


def _values(spec: FieldSpec) -> list[Any]:
    if spec.path in EXPLICIT:
        return EXPLICIT[spec.path]
    if spec.kind in ("choice", "boolean"):
        assert spec.choices is not None
        return list(spec.choices)
    assert spec.kind in ("number", "integer") and isinstance(spec.default, int | float), spec.path
    values = []
    for factor in (0.25, 1.0, 3.0):
        value = spec.default * factor if spec.default else factor
        if spec.high is not None:
            value = min(value, spec.high)
        if spec.low is not None:
            value = max(value, spec.low if spec.low_inclusive else spec.low * 1.5 + 1e-3)
        values.append(round(value) if spec.kind == "integer" else value)
    return list(dict.fromkeys(values))


def _digest_columns(columns: dict[str, np.ndarray]) -> str:
    """sha256 over every column (sorted by key): its name, dtype kind and exact values."""
    h = hashlib.sha256()
    for key in sorted(columns):
        values = np.asarray(columns[key])
        h.update(f"{key}:{values.dtype.kind}:{len(values)}:".encode())
        if values.dtype.kind == "f":
            h.update(np.ascontiguousarray(values, dtype="<f8").tobytes())
        elif values.dtype.kind in "biu":
            h.update(np.ascontiguousarray(values, dtype="<i8").tobytes())
        else:
            h.update("\x1f".join(repr(v) for v in values.tolist()).encode())
    return h.hexdigest()[:24]


def _digest_records(records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(repr(records).encode()).hexdigest()[:24]


def _sweep_digest(base: dict[str, Any], axes: dict[str, Any], **kwargs: Any) -> str:
    try:
        batch = dtsim.sweep(base, axes, **kwargs)
    except dtsim.DtsimError as exc:
        return f"refused {type(exc).__name__}: {exc}"[:300]
    return _digest_columns(batch.columns)


def _random_axes(strategy: str, n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    memory = {"diloco": (500, 5000), "hierarchical": (500, 5000), "pp-diloco": (2200, 7000), "moe-ep": (2000, 8000)}
    low_nodes = {"diloco": 1, "hierarchical": 1, "pp-diloco": 16, "moe-ep": 100}[strategy]
    return {
        "nodes": rng.integers(low_nodes, 10_000, n),
        "hardware.node_pflops": rng.uniform(2, 32, n),
        "hardware.node_memory_gb": rng.uniform(*memory[strategy], n),
        "network.wan.bandwidth_mbps": rng.uniform(10, 1000, n),
        "network.wan.latency_ms": rng.uniform(1, 340, n),
        "compression.pseudo_gradient": rng.uniform(1, 100, n),
    }


STRATEGY_BASES = {
    "diloco": {"strategy": "diloco", "nodes": 72, "hardware": {"node_pflops": 15, "node_memory_gb": 3840}},
    "hierarchical": {
        "strategy": "hierarchical",
        "nodes": 4000,
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
    "pp-diloco": {
        "strategy": "pp-diloco",
        "nodes": 4000,
        "model": {"params": 960e9},
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
    "moe-ep": {
        "strategy": "moe-ep",
        "nodes": 4000,
        "model": {"total_params": 600e9, "active_params": 100e9},
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
}


def corpus() -> Iterator[tuple[str, Any]]:
    """(case id, a function computing its digest)."""
    for base_name, base in BASES.items():
        for spec in FIELDS.values():
            if spec.sweepable:
                yield f"{base_name}|{spec.path}", lambda b=base, s=spec: _sweep_digest(b, {s.path: _values(s)})
    for strategy, base in STRATEGY_BASES.items():
        axes = _random_axes(strategy, 300, seed=len(strategy))
        yield f"random|{strategy}", lambda b=base, a=axes: _sweep_digest(b, a, chunk_size=64)
        grid = {"nodes": [1, 7, 4000], "network.wan.bandwidth_mbps": [1.0, 100.0], "training.days": [0.01, 500.0]}
        yield f"grid|{strategy}", lambda b=base, g=grid: _sweep_digest(b, g, grid=True, chunk_size=5)
        reliable = {**base, "reliability": {"mitigation": "relay"}}
        yield f"reliability|{strategy}", lambda b=reliable, a=axes: _sweep_digest(b, a, chunk_size=128)
    mixed_strategy = {
        "strategy": ["diloco", "hierarchical", "pp-diloco", "diloco", "hierarchical", "pp-diloco"],
        "nodes": [1, 4000, 64, 500, 7, 4000],
    }
    mixed_base = {
        "nodes": 4000,
        "model": {"params": 200e9},
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    }
    yield "mixed-strategy-sweep", lambda: _sweep_digest(mixed_base, mixed_strategy)

    def many() -> str:
        scenarios: list[dict[str, Any]] = []
        for base in [*BASES.values(), *STRATEGY_BASES.values()]:
            for nodes in (1, 3, 250):
                scenario = copy.deepcopy(base)
                scenario["nodes"] = nodes
                scenarios.append(scenario)
        feasible = []
        for scenario in scenarios:
            try:
                dtsim.simulate(scenario)
            except dtsim.DtsimError:
                continue
            feasible.append(scenario)
        return _digest_records([r.to_dict() for r in dtsim.simulate_many(feasible)])

    def singles() -> str:
        records = []
        for base in [*BASES.values(), *STRATEGY_BASES.values()]:
            for nodes in (1, 3, 250):
                scenario = copy.deepcopy(base)
                scenario["nodes"] = nodes
                try:
                    records.append(dtsim.simulate(scenario).to_dict())
                except dtsim.DtsimError as exc:
                    records.append({"refused": f"{type(exc).__name__}: {exc}"})
        return _digest_records(records)

    yield "simulate-many-mixed", many
    yield "simulate-each", singles


def _compute() -> dict[str, str]:
    return {case: run() for case, run in corpus()}


def _load() -> dict[str, str]:
    return json.loads(GOLDEN.read_text())["digests"]


CASES = list(corpus())


@pytest.mark.parametrize(("case", "run"), CASES, ids=[c for c, _ in CASES])
def test_results_are_bit_identical_to_the_recorded_corpus(case: str, run: Any) -> None:
    expected = _load()
    assert case in expected, f"{case} has no recorded digest: python tests/test_golden_results.py --write"
    assert run() == expected[case], f"{case}: result columns changed (see this module's docstring)"


def test_the_corpus_covers_every_recorded_case() -> None:
    assert sorted(_load()) == sorted(c for c, _ in CASES)


def test_corpus_covers_every_choice_of_every_variant() -> None:
    """Every value of every choice field is swept (a field's default is also what every other
    case runs), and on at least one base that sweep gives numbers: a digest of a refusal holds
    no physics. Every strategy gives numbers in its own cases."""
    digests = _load()
    uncovered = []
    for spec in FIELDS.values():
        if spec.kind != "choice" or not spec.sweepable or spec.path == "hardware.gpu":
            continue  # the GPU catalogue's entries are data (one GPU per family is swept), not variants
        assert spec.choices is not None
        swept = {v for v in _values(spec) if isinstance(v, str)} | {spec.default}
        if not set(spec.choices) <= swept:
            uncovered.append(f"{spec.path}: {sorted(set(spec.choices) - swept)} not swept")
        if spec.path != "strategy" and all(digests[f"{b}|{spec.path}"].startswith("refused") for b in BASES):
            uncovered.append(f"{spec.path}: refused on every base")
    assert uncovered == []
    assert not any(digests[f"{kind}|{s}"].startswith("refused") for kind in ("random", "grid") for s in STRATEGY_BASES)


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden_results.py --write")
    digests = _compute()
    GOLDEN.write_text(json.dumps({"digests": digests}, indent=0, sort_keys=True) + "\n")
    print(f"wrote {len(digests)} digests to {GOLDEN}")
