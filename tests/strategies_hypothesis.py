"""Hypothesis strategies for valid scenarios of every strategy."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

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
