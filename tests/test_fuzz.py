"""Fuzzing: every generated document yields a result or a DtsimError, nothing else.

Mutations of the bundled scenarios and the seed cases (wrong types, negative, zero, NaN,
huge, tiny, unknown keys, missing keys, wrong enums, deep nesting) and raw text (truncated,
invalid bytes, random YAML/JSON). Over 10,000 documents per run (the example counts below)."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dtsim
from conftest import ROOT, fidelity_cases
from dtsim.scenario import load_documents, parse_documents

BASES: list[dict[str, Any]] = [
    doc for path in sorted((ROOT / "examples" / "scenarios").glob("*.yaml")) for _, doc in load_documents(path)
]
BASES += [c["scenario"] for c in fidelity_cases() if "scenario" in c][::6]
TEXTS = [path.read_text("utf-8") for path in sorted((ROOT / "examples" / "scenarios").glob("*.yaml"))]

HOSTILE = [
    None,
    True,
    False,
    "",
    "text",
    "auto",
    "nan",
    "1e9",
    [],
    [1, 2],
    {},
    {"x": 1},
    0,
    -1,
    -1e30,
    1e-308,
    1e308,
    float("nan"),
    float("inf"),
    -float("inf"),
    2**70,
    0.5,
    3,
    1e6,
    "expected",
    "fp8",
    "moe-ep",
]
KEYS = [
    "nodes",
    "strategy",
    "hardware",
    "gpu",
    "gpus_per_node",
    "precision",
    "node_pflops",
    "model",
    "params",
    "total_params",
    "active_params",
    "training",
    "days",
    "years",
    "tokens",
    "mfu",
    "inner_steps",
    "network",
    "wan",
    "bandwidth_mbps",
    "latency_ms",
    "compression",
    "quality",
    "pseudo_gradient",
    "pipeline",
    "colour",
]

hostile = st.sampled_from(HOSTILE).map(copy.deepcopy)  # fresh copies: mutations never touch HOSTILE

FUZZ = settings(max_examples=7_000, deadline=None, suppress_health_check=list(HealthCheck))
TEXT_FUZZ = settings(max_examples=3_500, deadline=None, suppress_health_check=list(HealthCheck))


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    return out


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        action = draw(st.sampled_from(["replace", "delete", "add", "nest", "scale"]))
        if not paths or not isinstance(doc, dict):
            return draw(hostile)
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        leaf = path[-1]
        if action == "replace":
            parent[leaf] = draw(hostile | st.floats() | st.integers() | st.text(max_size=8))
        elif action == "delete":
            parent.pop(leaf, None)
        elif action == "add":
            parent[draw(st.sampled_from(KEYS) | st.text(max_size=6))] = draw(hostile)
        elif action == "nest":
            value: Any = parent[leaf]
            for _ in range(draw(st.integers(1, 80))):
                value = {"x": value}
            parent[leaf] = value
        elif isinstance(parent[leaf], int | float) and not isinstance(parent[leaf], bool):
            parent[leaf] = parent[leaf] * draw(st.sampled_from([0, -1, 1e-12, 1e-6, 1e3, 1e9, 1e15, 1e300]))
    return doc


def _check(result: dtsim.Result) -> None:
    for key, value in result.to_dict().items():
        if isinstance(value, float):
            assert math.isfinite(value), (key, value)


def _run(doc: Any) -> None:
    try:
        result = dtsim.simulate(doc)
    except dtsim.DtsimError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    _check(result)


@FUZZ
@given(mutated())
def test_mutated_documents_give_a_result_or_a_dtsim_error(doc: Any) -> None:
    _run(doc)


@st.composite
def hostile_text(draw: st.DrawFn) -> tuple[str, str]:
    suffix = draw(st.sampled_from([".yaml", ".json", ".jsonl"]))
    choice = draw(st.integers(0, 3))
    if choice == 0:
        text = draw(st.sampled_from(TEXTS))
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=20)) + text[cut + draw(st.integers(0, 30)) :]
    elif choice == 1:
        text = draw(st.binary(max_size=200)).decode("utf-8", errors="replace")
    elif choice == 2:
        text = "nodes: " + draw(
            st.sampled_from(
                [
                    "[",
                    "{",
                    "&a x",
                    "*a",
                    "!!python/object:os.system ls",
                    ".nan",
                    "-.inf",
                    "1e999",
                    "0x1F",
                    "~",
                    "'72'",
                    "72 72",
                ]
            )
        )
    else:
        text = "\n".join(
            f"{draw(st.sampled_from(KEYS))}: {draw(st.sampled_from(['1', '-1', 'x', '[]', '{}', '']))}"
            for _ in range(draw(st.integers(0, 6)))
        )
    return text, suffix


@TEXT_FUZZ
@given(hostile_text())
def test_hostile_text_gives_a_result_or_a_dtsim_error(item: tuple[str, str]) -> None:
    text, suffix = item
    try:
        docs = parse_documents(text, suffix)
    except dtsim.DtsimError:
        return
    for _, doc in docs:
        _run(doc)


def test_invalid_bytes_and_unsafe_tags(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"nodes: 4\nname: \xc3\x28\n")
    try:
        dtsim.load_scenarios(path)
    except dtsim.ScenarioError as exc:
        assert "not UTF-8" in str(exc)
    else:
        raise AssertionError("invalid UTF-8 accepted")
    for text in ["nodes: !!python/object/apply:os.system ['true']", "nodes: !!binary aGVsbG8="]:
        try:
            docs = parse_documents(text, ".yaml")
            dtsim.simulate(docs[0][1])
        except dtsim.DtsimError:
            continue
        raise AssertionError(f"accepted {text!r}")


EXTREMES = [
    {"nodes": 72, "network": {"wan": {"bandwidth_mbps": 0.001, "latency_ms": 340}}},  # a 1 kbps link
    {"nodes": 1_000_000},
    {"nodes": 1_000_000, "strategy": "hierarchical", "network": {"wan": {"bandwidth_mbps": 0.001}}},
    {
        "nodes": 4,
        "model": {"params": 1e15},
        "hardware": {"node_pflops": 1e6, "node_memory_gb": 2e7, "node_cost_usd": 1},
    },
    {"nodes": 72, "training": {"days": 1 / 24}},  # one hour
    {"nodes": 72, "training": {"tokens": 1}},
    {"nodes": 100_000_000, "training": {"years": 100}, "hardware": {"node_pflops": 1e9, "node_memory_gb": 1e12}},
    {
        "nodes": 2000,
        "strategy": "pp-diloco",
        "model": {"params": 1e15},
        "hardware": {"node_pflops": 1e3, "node_memory_gb": 2e6},
        "network": {"regional": {"bandwidth_mbps": 0.001}},
    },
    {"nodes": 1_000_000, "strategy": "moe-ep", "model": {"total_params": 1e15, "active_params": 1e6}},
    {"nodes": 3, "hardware": {"node_pflops": 1e-9, "node_memory_gb": 0.001}},
    {"nodes": 72, "training": {"mfu": 1e-4, "local_batch_tokens": 1}, "compression": {"pseudo_gradient": 1e6}},
]


def test_extreme_valid_inputs_are_finite_or_infeasible() -> None:
    outcomes = []
    for scenario in EXTREMES:
        try:
            _check(dtsim.simulate(scenario))
            outcomes.append("ok")
        except dtsim.InfeasibleError as exc:
            assert "\n" not in str(exc)
            outcomes.append("infeasible")
    # Runs in which not one outer step fits the budget are refused (1 kbps links, a one-hour
    # budget, 1e8 nodes of 1e9 PFLOPS ...); the others compute finite numbers.
    expected = ["infeasible", "ok", "infeasible", "ok", "infeasible", "ok"]
    expected += ["infeasible", "infeasible", "ok", "infeasible", "ok"]
    assert outcomes == expected


def test_refused_points_of_a_sweep_are_null_not_numbers() -> None:
    with np_errors_as_values():
        batch = dtsim.sweep({"nodes": 72}, {"network.wan.bandwidth_mbps": [0.001, 1e9]})
    assert batch.columns["feasible"].tolist() == [False, True]
    assert np.isnan(batch.columns["c_local"][0]) and np.isfinite(batch.columns["c_local"][1])
    assert batch.to_dicts()[0]["c_local"] is None
    assert "not one outer step" in batch.columns["infeasible_reason"][0]


class np_errors_as_values:
    """Assert that NumPy floating-point warnings do not escape the engine."""

    def __enter__(self) -> None:
        self._old = np.seterr(all="raise")

    def __exit__(self, *exc: object) -> None:
        np.seterr(**self._old)
