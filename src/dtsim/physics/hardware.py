"""Accelerators and nodes: the GPU catalogue, precisions, H100-equivalents and the largest
node that stays under a registration threshold.

Sources: spec ``model.md`` §1.1-1.4; seed 002 §1 (CCC threshold: 16 H100-eq = 15,840 TFLOPS
FP16, MIRI treaty arXiv 2511.10783) and §3 (hardware table).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray

from dtsim.units import H100_EQUIVALENT_TFLOPS

__all__ = [
    "PRECISIONS",
    "GpuSpec",
    "LegitimateSystem",
    "Precision",
    "gpu_catalogue",
    "h100_equivalents",
    "legitimate_systems",
    "max_gpus_under_threshold",
    "node_presets",
]


@dataclass(frozen=True)
class Precision:
    """Byte and bit widths that follow from the training precision (spec §1.4).

    ``training_state_bytes``: beta, bytes of training state per parameter (weights, gradients,
    FP32 master weights and two AdamW moments). ``pseudo_gradient_bits``: bits per synchronised
    value before compression. ``activation_bytes``: bytes per activation value between stages.
    """

    name: str
    training_state_bytes: float
    pseudo_gradient_bits: float
    activation_bytes: float


PRECISIONS: dict[str, Precision] = {
    # BF16/FP16 mixed precision with AdamW: 2 + 2 + 4 + 4 + 4 bytes per parameter.
    "fp16": Precision("fp16", 16.0, 16.0, 2.0),
    # FP8 weights and gradients, FP32 master and moments: 1 + 1 + 4 + 4 + 4 bytes.
    "fp8": Precision("fp8", 14.0, 8.0, 1.0),
}


@dataclass(frozen=True)
class GpuSpec:
    """One catalogue GPU: dense tensor TFLOPS per precision, memory, unit cost, source."""

    key: str
    fp16_tflops: float
    fp8_tflops: float | None
    memory_gb: float
    cost_usd: float | None
    source: str

    def tflops(self, precision: str) -> float | None:
        """Dense TFLOPS at a training precision (None when the GPU does not support it)."""
        return self.fp16_tflops if precision == "fp16" else self.fp8_tflops


@dataclass(frozen=True)
class LegitimateSystem:
    """A representative legitimate system, for the collateral reach of a threshold."""

    name: str
    gpus: int
    vram_gb: float
    h100_equivalents: float


def _load(name: str) -> Any:
    return yaml.safe_load(resources.files("dtsim.data").joinpath(name).read_text("utf-8"))


@functools.cache
def gpu_catalogue() -> dict[str, GpuSpec]:
    """The GPU catalogue (``data/gpus.yaml``), keyed by the scenario's ``hardware.gpu``."""
    return {key: GpuSpec(key=key, **entry) for key, entry in _load("gpus.yaml").items()}


@functools.cache
def node_presets() -> dict[str, dict[str, Any]]:
    """The seeds' node presets (``data/presets.yaml``): ``A100x48``, ``H100x16fp8`` ..."""
    return dict(_load("presets.yaml"))


@functools.cache
def legitimate_systems() -> tuple[LegitimateSystem, ...]:
    """The 14 representative legitimate systems of seed 002 §10.1 (``data/legitimate_systems.yaml``)."""
    return tuple(LegitimateSystem(**entry) for entry in _load("legitimate_systems.yaml"))


def h100_equivalents(fp16_tflops: ArrayLike) -> NDArray[np.float64]:
    """H100-eq = FP16 TFLOPS / 990: capacity in H100 SXM units, always from dense FP16
    whatever the training precision (spec §1.3; seed 002 §1)."""
    return np.asarray(fp16_tflops, dtype=float) / H100_EQUIVALENT_TFLOPS


def max_gpus_under_threshold(
    gpu_fp16_tflops: ArrayLike,
    threshold_h100_eq: ArrayLike,
    gpu_memory_gb: ArrayLike | None = None,
    memory_limit_gb: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Largest GPU count of one node that is not registered.

    ``n_max(T) = floor(T · 990 / gpu_fp16_TFLOPS)``; with a memory limit M as well,
    ``n = max(1, min(n_max(T), floor(M / gpu_memory_GB)))``. A node is registered only when it
    *exceeds* a threshold, so a node exactly at it is allowed (spec §1.3; seed 002 §10.1-10.2).
    A relative slack of 1e-9 keeps an exact quotient such as 16·990/990 from flooring to 15.
    """
    n = _floor_snapped(
        np.asarray(threshold_h100_eq, float) * H100_EQUIVALENT_TFLOPS / np.asarray(gpu_fp16_tflops, float)
    )
    if memory_limit_gb is not None:
        if gpu_memory_gb is None:
            raise TypeError("memory_limit_gb needs gpu_memory_gb")
        by_memory = _floor_snapped(np.asarray(memory_limit_gb, float) / np.asarray(gpu_memory_gb, float))
        n = np.maximum(1.0, np.minimum(n, by_memory))
    return n


def _floor_snapped(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.floor(x * (1.0 + 1e-12) + 1e-12)
