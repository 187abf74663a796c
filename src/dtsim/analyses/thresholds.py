"""Registration thresholds: the largest unregistered node of a GPU, one node's specification,
and which legitimate systems a threshold would catch.

Seed 001 Scenario 5; seed 002 §3 and §10.1-10.2; spec ``model.md`` §1.3, §1.9, §3;
``variants.md`` §8 and §13 (the revised list of systems).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np

from dtsim.analyses._args import HardwareInput, Kind, Number, choice, number, positive
from dtsim.analyses._result import AnalysisResult
from dtsim.engine import compile_scenario
from dtsim.errors import ScenarioError
from dtsim.physics.hardware import (
    PRECISIONS,
    LegitimateSystem,
    gpu_catalogue,
    h100_equivalents,
    legitimate_systems,
    node_memory_gb,
    node_peak_pflops,
)
from dtsim.physics.hardware import max_gpus_under_threshold as max_gpu_count
from dtsim.physics.memory import max_dense_params
from dtsim.scenario import parse_scenario
from dtsim.units import CCC_THRESHOLD_H100_EQ, GB, H100_EQUIVALENT_TFLOPS, PFLOPS, TFLOPS

__all__ = [
    "CollateralCountResult",
    "MaxGpusResult",
    "NodeSpecResult",
    "collateral_count",
    "max_gpus_under_threshold",
    "node_spec",
    "system_list",
]

GpuKey = Annotated[str, Kind("gpu")]
SystemList = Literal["seed", "revised"]
Physics = Literal["seed", "revised"]


@dataclass(frozen=True)
class MaxGpusResult(AnalysisResult):
    """The largest node of one GPU that the thresholds leave unregistered.

    Attributes:
        gpu: the catalogue GPU.
        threshold_h100_eq: the compute threshold, H100-eq.
        memory_limit_gb: the VRAM limit, GB (null: none).
        gpus_per_node: GPUs in the largest unregistered node.
        node_pflops_fp16: its FP16 peak, PFLOPS.
        node_memory_gb: its accelerator memory, GB.
        max_params: the largest dense FP16 model it trains (VRAM / 16 bytes), parameters.
        h100_equivalents: its capacity, H100-eq.
        node_cost_usd: its purchase cost at seed prices (null: no catalogue price).
    """

    gpu: str
    threshold_h100_eq: float
    memory_limit_gb: float | None
    gpus_per_node: int
    node_pflops_fp16: float
    node_memory_gb: float
    max_params: float
    h100_equivalents: float
    node_cost_usd: float | None


def max_gpus_under_threshold(
    gpu: GpuKey, threshold_h100_eq: Number = CCC_THRESHOLD_H100_EQ, memory_limit_gb: Number | None = None
) -> MaxGpusResult:
    """The largest node of a GPU that a compute threshold and a memory limit leave unregistered.

    A node is registered when its FP16 capacity exceeds the threshold or its VRAM the limit
    (model.md §1.3). 16 H100-eq of A100s gives 50 GPUs (erratum E1).

    Args:
        gpu: catalogue GPU (hardware.gpu of a scenario).
        threshold_h100_eq: registration threshold in H100 equivalents, > 0.
        memory_limit_gb: registration limit on a node's VRAM in GB, > 0 (null: no limit).
    """
    spec = gpu_catalogue().get(gpu) if isinstance(gpu, str) else None
    if spec is None:
        raise ScenarioError("gpu", gpu, f"unknown GPU; allowed: {', '.join(gpu_catalogue())}")
    threshold = positive("threshold_h100_eq", threshold_h100_eq)
    limit = None if memory_limit_gb is None else positive("memory_limit_gb", memory_limit_gb)
    gpus = int(max_gpu_count(spec.fp16_tflops, threshold, spec.memory_gb, limit))
    if gpus < 1:
        raise ScenarioError(
            "threshold_h100_eq",
            threshold_h100_eq,
            f"below one {gpu} ({spec.fp16_tflops / H100_EQUIVALENT_TFLOPS:.3g} H100-eq)",
        )
    memory_gb = float(node_memory_gb(gpus, spec.memory_gb))
    return MaxGpusResult(
        gpu=gpu,
        threshold_h100_eq=threshold,
        memory_limit_gb=limit,
        gpus_per_node=gpus,
        node_pflops_fp16=float(node_peak_pflops(gpus, spec.fp16_tflops)),
        node_memory_gb=memory_gb,
        max_params=float(max_dense_params(memory_gb * GB, PRECISIONS["fp16"].training_state_bytes)),
        h100_equivalents=float(h100_equivalents(gpus * spec.fp16_tflops)),
        node_cost_usd=None if spec.cost_usd is None else gpus * spec.cost_usd,
    )


@dataclass(frozen=True)
class NodeSpecResult(AnalysisResult):
    """One node's specification.

    Attributes:
        precision: the training precision, fp16 or fp8.
        gpus_per_node: GPUs in the node (null for a custom node).
        node_pflops_fp16: FP16 peak, PFLOPS.
        node_pflops: peak at the training precision, PFLOPS.
        node_memory_gb: accelerator memory, GB.
        max_params: the largest dense model at the training precision, parameters.
        h100_equivalents: capacity, H100-eq.
        node_cost_usd: purchase cost (null: unknown).
    """

    precision: str
    gpus_per_node: int | None
    node_pflops_fp16: float
    node_pflops: float
    node_memory_gb: float
    max_params: float
    h100_equivalents: float
    node_cost_usd: float | None


def node_spec(hardware: HardwareInput) -> NodeSpecResult:
    """One node's capacity, memory, largest model and cost (seed 002 §3 hardware table).

    Args:
        hardware: the node, as a scenario's hardware block (a preset, a catalogue GPU and count,
            or a custom node).
    """
    if not isinstance(hardware, Mapping):
        raise ScenarioError("hardware", hardware, "expected a hardware block such as {preset: A100x48}")
    try:
        scenario = parse_scenario({"nodes": 1, "hardware": dict(hardware)})
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.value, exc.allowed) from None
    inp = compile_scenario(scenario)
    gpus = inp.gpus_per_node[0]
    return NodeSpecResult(
        precision="fp8" if inp.bytes_per_param[0] == 14.0 and inp.pseudo_gradient_bits[0] == 8.0 else "fp16",
        gpus_per_node=None if np.isnan(gpus) else int(gpus),
        node_pflops_fp16=float(inp.h100_equivalents_per_node[0] * H100_EQUIVALENT_TFLOPS * TFLOPS / PFLOPS),
        node_pflops=float(inp.node_pflops[0]),
        node_memory_gb=float(inp.node_memory_bytes[0] / GB),
        max_params=float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0]),
        h100_equivalents=float(inp.h100_equivalents_per_node[0]),
        node_cost_usd=None if np.isnan(inp.node_cost_usd[0]) else float(inp.node_cost_usd[0]),
    )


def system_list(systems: str) -> tuple[LegitimateSystem, ...]:
    """The representative legitimate systems: ``seed`` (14, seed 002 §10.1) or ``revised``
    (those 14 and 3 more, variants.md §8)."""
    return legitimate_systems(systems)


@dataclass(frozen=True)
class CollateralCountResult(AnalysisResult):
    """The legitimate systems a threshold catches.

    Attributes:
        threshold_h100_eq: the compute threshold, H100-eq (null: none).
        memory_limit_gb: the VRAM limit, GB (null: none).
        count: how many systems are caught.
        total: how many systems the list holds (14 seed, 17 revised).
        systems: names of the systems caught.
    """

    threshold_h100_eq: float | None
    memory_limit_gb: float | None
    count: int
    total: int
    systems: tuple[str, ...]


def collateral_count(
    threshold_h100_eq: Number | None = None,
    memory_limit_gb: Number | None = None,
    systems: SystemList | None = None,
    physics: Physics | None = None,
) -> CollateralCountResult:
    """How many representative legitimate systems a compute threshold or memory limit catches.

    A system is caught when its H100-eq is strictly above the threshold or its VRAM strictly
    above the limit (seed 002 §10.1-10.2). Seed list: 0, 0, 4, 7, 11 systems at 16, 8, 4, 2,
    1 H100-eq; revised list: 0, 0, 4, 9, 14 (variants.md §8).

    Args:
        threshold_h100_eq: compute threshold in H100 equivalents, ≥ 0 (give it, the memory
            limit, or both).
        memory_limit_gb: VRAM limit in GB, ≥ 0.
        systems: which list of systems: seed (14) or revised (17); null follows physics.
        physics: model preset whose list is the default: seed or revised (null: seed).
    """
    if threshold_h100_eq is None and memory_limit_gb is None:
        raise ScenarioError("threshold_h100_eq", None, "give threshold_h100_eq and/or memory_limit_gb")
    compute = None if threshold_h100_eq is None else number("threshold_h100_eq", threshold_h100_eq, low=0)
    memory = None if memory_limit_gb is None else number("memory_limit_gb", memory_limit_gb, low=0)
    preset = "seed" if physics is None else choice("physics", physics, ("seed", "revised"))
    listed = system_list(preset if systems is None else choice("systems", systems, ("seed", "revised")))
    caught = tuple(
        s.name
        for s in listed
        if (compute is not None and s.h100_equivalents > compute) or (memory is not None and s.vram_gb > memory)
    )
    return CollateralCountResult(
        threshold_h100_eq=compute, memory_limit_gb=memory, count=len(caught), total=len(listed), systems=caught
    )
