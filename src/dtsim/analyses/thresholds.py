"""Registration thresholds: the largest unregistered node of a GPU, one node's specification,
and which legitimate systems a threshold would catch.

Seed 001 Scenario 5; seed 002 §3 and §10.1-10.2; spec ``model.md`` §1.3, §1.9, §3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dtsim.analyses._args import number, positive
from dtsim.engine import compile_scenario
from dtsim.errors import ScenarioError
from dtsim.physics.hardware import (
    PRECISIONS,
    gpu_catalogue,
    h100_equivalents,
    legitimate_systems,
    max_gpus_under_threshold,
)
from dtsim.physics.memory import max_dense_params
from dtsim.scenario import parse_scenario
from dtsim.units import CCC_THRESHOLD_H100_EQ, GB, H100_EQUIVALENT_TFLOPS, PFLOPS, TFLOPS

__all__ = ["collateral_count", "max_gpus_under_threshold_node", "node_spec"]


def max_gpus_under_threshold_node(
    gpu: str, threshold_h100_eq: float = CCC_THRESHOLD_H100_EQ, memory_limit_gb: float | None = None
) -> dict[str, Any]:
    """The largest node of ``gpu`` that a compute threshold (H100-eq) and optionally a memory
    limit (GB of VRAM) leave unregistered (spec §1.3): ``gpus_per_node``, ``node_pflops_fp16``,
    ``node_memory_gb``, ``max_params`` (largest dense FP16 model, VRAM / 16 bytes),
    ``h100_equivalents``, ``node_cost_usd``. 16 H100-eq of A100s gives 50 GPUs (erratum E1)."""
    spec = gpu_catalogue().get(gpu)
    if spec is None:
        raise ScenarioError("gpu", gpu, f"unknown GPU; allowed: {', '.join(gpu_catalogue())}")
    threshold = positive("threshold_h100_eq", threshold_h100_eq)
    limit = None if memory_limit_gb is None else positive("memory_limit_gb", memory_limit_gb)
    count = int(max_gpus_under_threshold(spec.fp16_tflops, threshold, spec.memory_gb, limit))
    if count < 1:
        raise ScenarioError(
            "threshold_h100_eq",
            threshold_h100_eq,
            f"below one {gpu} ({spec.fp16_tflops / H100_EQUIVALENT_TFLOPS:.3g} H100-eq)",
        )
    memory_gb = count * spec.memory_gb
    return {
        "gpu": gpu,
        "threshold_h100_eq": threshold,
        "memory_limit_gb": limit,
        "gpus_per_node": count,
        "node_pflops_fp16": count * spec.fp16_tflops * TFLOPS / PFLOPS,
        "node_memory_gb": memory_gb,
        "max_params": float(max_dense_params(memory_gb * GB, PRECISIONS["fp16"].training_state_bytes)),
        "h100_equivalents": float(h100_equivalents(count * spec.fp16_tflops)),
        "node_cost_usd": None if spec.cost_usd is None else count * spec.cost_usd,
    }


def node_spec(hardware: Mapping[str, Any]) -> dict[str, Any]:
    """One node's specification: ``gpus_per_node``, ``node_pflops_fp16`` (FP16 peak),
    ``node_pflops`` (at the training precision), ``node_memory_gb``, ``max_params`` (largest
    dense model at the training precision), ``h100_equivalents``, ``node_cost_usd``
    (seed 002 §3 hardware table)."""
    scenario = parse_scenario({"nodes": 1, "hardware": dict(hardware)}, source="hardware")
    inp = compile_scenario(scenario)
    gpus = inp.gpus_per_node[0]
    return {
        "precision": "fp8" if inp.bytes_per_param[0] == 14.0 and inp.pseudo_gradient_bits[0] == 8.0 else "fp16",
        "gpus_per_node": None if np.isnan(gpus) else int(gpus),
        "node_pflops_fp16": float(inp.h100_equivalents_per_node[0] * H100_EQUIVALENT_TFLOPS * TFLOPS / PFLOPS),
        "node_pflops": float(inp.node_pflops[0]),
        "node_memory_gb": float(inp.node_memory_bytes[0] / GB),
        "max_params": float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0]),
        "h100_equivalents": float(inp.h100_equivalents_per_node[0]),
        "node_cost_usd": None if np.isnan(inp.node_cost_usd[0]) else float(inp.node_cost_usd[0]),
    }


def collateral_count(threshold_h100_eq: float | None = None, memory_limit_gb: float | None = None) -> dict[str, Any]:
    """How many of the 14 representative legitimate systems a threshold catches: H100-eq
    strictly above ``threshold_h100_eq`` or VRAM strictly above ``memory_limit_gb``
    (seed 002 §10.1-10.2; counts 0, 0, 4, 7, 11 at 16, 8, 4, 2, 1 H100-eq)."""
    if threshold_h100_eq is None and memory_limit_gb is None:
        raise ScenarioError("threshold_h100_eq", None, "give threshold_h100_eq and/or memory_limit_gb")
    compute = None if threshold_h100_eq is None else number("threshold_h100_eq", threshold_h100_eq, low=0)
    memory = None if memory_limit_gb is None else number("memory_limit_gb", memory_limit_gb, low=0)
    systems = legitimate_systems()
    caught = [
        s.name
        for s in systems
        if (compute is not None and s.h100_equivalents > compute) or (memory is not None and s.vram_gb > memory)
    ]
    return {
        "threshold_h100_eq": compute,
        "memory_limit_gb": memory,
        "count": len(caught),
        "total": len(systems),
        "systems": caught,
    }
