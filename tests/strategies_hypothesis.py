"""Hypothesis strategies for valid scenarios of every strategy, and the helpers the property
tests share (``with_changes``, ``budget_mode``, ``run_many``)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

import dtsim
from dtsim.scenario import set_path

HARDWARE = [
    {"gpu": "A100-80GB", "gpus_per_node": 48, "precision": "fp16"},
    {"gpu": "H100-SXM", "gpus_per_node": 16, "precision": "fp8"},
    {"gpu": "GH200", "gpus_per_node": 16, "precision": "fp16"},
    {"gpu": "A100-80GB", "gpus_per_node": 12},
]


@st.composite
def scenarios(draw: st.DrawFn, strategy: str | None = None) -> dict[str, Any]:
    """A valid scenario; pp-diloco and moe-ep get models that fit their nodes."""
    strategy = strategy or draw(st.sampled_from(["diloco", "hierarchical", "pp-diloco", "moe-ep"]))
    hardware = draw(st.sampled_from(HARDWARE))
    memory_gb = {"A100-80GB": 80, "H100-SXM": 80, "GH200": 144}[hardware["gpu"]] * hardware["gpus_per_node"]
    beta = 14 if hardware.get("precision") == "fp8" else 16
    p_max = memory_gb * 1e9 / beta
    nodes = draw(st.integers(1, 20_000))
    model: dict[str, Any] = {}
    if strategy in ("diloco", "hierarchical"):
        model = {"params": draw(st.floats(0.01, 1.0)) * p_max}
    elif strategy == "pp-diloco":
        stages = draw(st.integers(2, 8))
        model = {"params": p_max * draw(st.floats(stages - 0.99, stages - 0.01))}
        nodes = max(nodes, 2 * stages)
    else:
        active = draw(st.floats(0.05, 0.9)) * p_max
        model = {"active_params": active, "total_params": active * draw(st.floats(1.0, 20.0))}
        nodes = max(nodes, int((model["total_params"] - active) * beta / (memory_gb * 1e9 - active * beta)) + 1)
    training: dict[str, Any] = {
        "mfu": draw(st.floats(0.05, 1.0)),
        "local_batch_tokens": draw(st.sampled_from([32_768, 131_072, 1_048_576])),
    }
    if draw(st.booleans()):
        training["days"] = draw(st.floats(1.0, 2000.0))
    else:
        training["tokens"] = draw(st.floats(1e9, 1e14))
    if draw(st.booleans()):
        training["inner_steps"] = draw(st.integers(1, 5000))
    return {
        "strategy": strategy,
        "nodes": nodes,
        "hardware": hardware,
        "model": model,
        "training": training,
        "network": {
            "wan": {"bandwidth_mbps": draw(st.floats(1.0, 10_000.0)), "latency_ms": draw(st.floats(0.0, 500.0))},
            "regional": {"bandwidth_mbps": draw(st.floats(100.0, 100_000.0)), "latency_ms": draw(st.floats(0.0, 50.0))},
            "nodes_per_group": draw(st.integers(1, 64)),
            "straggler": draw(st.sampled_from(["log2", "none"])),
        },
        "compression": {
            "pseudo_gradient": draw(st.floats(1.0, 1000.0)),
            "activations": draw(st.floats(1.0, 20.0)),
            "quality": draw(
                st.sampled_from(["optimistic", "expected", "conservative", "lossless", {1: 1.0, 10: 0.97, 1000: 0.8}])
            ),
        },
        "pipeline": {"micro_batches": draw(st.integers(1, 64))},
    }


#: Coefficients of variants.md §11 with ranges the physics stays finite in (a small move around
#: the seed value, or the whole range where any value is meaningful).
COEFFICIENTS: dict[str, st.SearchStrategy[float]] = {
    "efficiency.sync_penalty.base": st.floats(0.0, 0.2),
    "efficiency.sync_penalty.size_scale": st.floats(3.0, 20.0),
    "efficiency.sync_penalty.floor": st.floats(0.0, 1.0),
    "efficiency.replica.slope": st.floats(0.0, 0.02),
    "efficiency.replica.cap_b": st.floats(0.5, 10.0),
    "efficiency.replica.min_b": st.floats(0.01, 1.0),
    "efficiency.replica.floor": st.floats(0.0, 1.0),
    "efficiency.replica_loss.coefficient": st.floats(0.0, 3.0),
    "efficiency.replica_loss.exponent": st.floats(-0.4, -0.1),
    "efficiency.replica_loss.reference_h": st.floats(2.0, 200.0),
    "efficiency.hierarchical_h_exponent": st.floats(0.0, 1.0),
    "scaling_law.E": st.floats(1.0, 2.5),
    "scaling_law.A": st.floats(100.0, 1000.0),
    "scaling_law.alpha": st.floats(0.2, 0.5),
    "scaling_law.B": st.floats(500.0, 5000.0),
    "scaling_law.beta": st.floats(0.2, 0.5),
    "scaling_law.tokens_per_param": st.floats(5.0, 100.0),
    "training.flop_per_param_token": st.floats(4.0, 8.0),
    "hardware.gpu_price_usd": st.floats(0.0, 50_000.0),
    "network.straggler_per_doubling": st.floats(0.0, 0.2),
    "compression.pseudo_gradient_bits": st.floats(1.0, 32.0),
    "pipeline.activation_bytes": st.floats(0.5, 4.0),
    "pipeline.hidden_size.coefficient": st.floats(0.01, 0.1),
    "pipeline.hidden_size.exponent": st.floats(0.4, 0.6),
    "model.all_to_all_per_layer": st.floats(0.0, 4.0),
    "reporting.strict_threshold_flop": st.floats(1e20, 1e28),
    "reporting.h100_equivalent_tflops": st.floats(100.0, 5000.0),
}

#: Variant switches of variants.md §16 and their values.
SWITCHES: dict[str, tuple[Any, ...]] = {
    "physics": ("seed", "revised"),
    "network.straggler": ("log2", "relay", "threshold", "none"),
    "network.collective": ("seed", "ring", "tree"),
    "efficiency.replica_penalty": ("seed", "loss-multiplier", "none"),
    "efficiency.replica_h_scaling": ("log", "none"),
    "efficiency.replica_fold": ("eta", "chi"),
    "efficiency.single_node_chinchilla": ("exempt", "computed"),
    "training.streaming": (True, False),
    "compression.table": ("seed", "error-feedback", "no-error-feedback"),
    "compression.activation_table": ("seed", "revised"),
    "hardware.prices": ("seed", "2026"),
}


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


@st.composite
def variant_scenarios(
    draw: st.DrawFn, strategy: str | None = None, coefficients: bool = True, **fixed: Any
) -> dict[str, Any]:
    """A valid scenario of ``scenarios`` with every variant switch drawn, sometimes an
    asymmetric WAN, and a few coefficients moved (``fixed``: dotted paths written with ``__``
    that keep one value)."""
    s = draw(scenarios(strategy))
    for path, values in SWITCHES.items():
        _set(s, path, draw(st.sampled_from(values)))
    wan = s["network"]["wan"]
    if draw(st.booleans()):
        wan["upload_mbps"] = draw(st.floats(1.0, 10_000.0))
    if draw(st.booleans()):
        wan["download_mbps"] = draw(st.floats(1.0, 10_000.0))
    if coefficients:
        for path in draw(st.lists(st.sampled_from(sorted(COEFFICIENTS)), max_size=3, unique=True)):
            _set(s, path, draw(COEFFICIENTS[path]))
    for path, value in fixed.items():
        _set(s, path.replace("__", "."), value)
    return s


def with_changes(scenario: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy with dotted paths set (``network__wan__latency_ms=5`` sets network.wan.latency_ms)."""
    out = copy.deepcopy(scenario)
    for path, value in changes.items():
        set_path(out, path.replace("__", "."), value)
    return out


def budget_mode(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario with a time budget instead of a token target (300 days unless it has one)."""
    out = copy.deepcopy(scenario)
    out["training"].pop("tokens", None)
    out["training"].setdefault("days", 300.0)
    return out


def run_many(scenarios: list[Any]) -> list[dtsim.Result]:
    """The results; a point the physics refuses is not an example of the property."""
    try:
        return dtsim.simulate_many(scenarios)
    except dtsim.InfeasibleError:
        assume(False)
        raise AssertionError("unreachable") from None
