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

from dtsim.units import H100_EQUIVALENT_TFLOPS, PFLOPS, TFLOPS

__all__ = [
    "PRECISIONS",
    "GpuSpec",
    "LegitimateSystem",
    "Precision",
    "effective_flop_per_s",
    "gpu_catalogue",
    "h100_equivalents",
    "is_registered",
    "legitimate_systems",
    "max_gpus_under_threshold",
    "node_cost_usd",
    "node_memory_gb",
    "node_peak_pflops",
    "node_presets",
    "run_cost_usd",
]


@dataclass(frozen=True)
class Precision:
    """Byte and bit widths that follow from the training precision (model.md §1.4).

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
    """One catalogue GPU: dense tensor TFLOPS per precision, memory, unit prices, source."""

    key: str
    fp16_tflops: float
    fp8_tflops: float | None
    memory_gb: float
    cost_usd: float | None
    cost_2026_usd: float | None
    source: str

    def price_usd(self, table: str) -> float | None:
        """Purchase price of one GPU under a price table (``seed`` or ``2026``; None: unknown)."""
        return self.cost_2026_usd if table == "2026" else self.cost_usd

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
def legitimate_systems(systems: str = "seed") -> tuple[LegitimateSystem, ...]:
    """The representative legitimate systems (``data/legitimate_systems.yaml``): the 14 of seed
    002 §10.1 (``seed``), or with the 3 the revised analysis adds (``revised``, variants.md §8)."""
    return tuple(
        LegitimateSystem(**{k: v for k, v in entry.items() if k != "lists"})
        for entry in _load("legitimate_systems.yaml")
        if systems in entry.get("lists", ("seed", "revised"))
    )


def h100_equivalents(
    fp16_tflops: ArrayLike, h100_equivalent_tflops: ArrayLike = H100_EQUIVALENT_TFLOPS
) -> NDArray[np.float64]:
    """H100-eq = FP16 TFLOPS / 990: capacity in H100 SXM units, always from dense FP16
    whatever the training precision (model.md §1.3; seed 002 §1; the unit is
    ``reporting.h100_equivalent_tflops``, variants.md §11.4)."""
    return np.asarray(fp16_tflops, dtype=float) / np.asarray(h100_equivalent_tflops, dtype=float)


def max_gpus_under_threshold(
    gpu_fp16_tflops: ArrayLike,
    threshold_h100_eq: ArrayLike,
    gpu_memory_gb: ArrayLike | None = None,
    memory_limit_gb: ArrayLike | None = None,
    *,
    h100_equivalent_tflops: ArrayLike = H100_EQUIVALENT_TFLOPS,
) -> NDArray[np.float64]:
    """Largest GPU count of one node that is not registered.

    ``n_max(T) = floor(T · 990 / gpu_fp16_TFLOPS)``; with a memory limit M as well,
    ``n = max(1, min(n_max(T), floor(M / gpu_memory_GB)))``. A node is registered only when it
    *exceeds* a threshold, so a node exactly at it is allowed (model.md §1.3; seed 002 §10.1-10.2).
    A relative slack of 1e-9 keeps an exact quotient such as 16·990/990 from flooring to 15.
    """
    n = _floor_snapped(
        np.asarray(threshold_h100_eq, float)
        * np.asarray(h100_equivalent_tflops, float)
        / np.asarray(gpu_fp16_tflops, float)
    )
    if memory_limit_gb is not None:
        if gpu_memory_gb is None:
            raise TypeError("memory_limit_gb needs gpu_memory_gb")
        by_memory = _floor_snapped(np.asarray(memory_limit_gb, float) / np.asarray(gpu_memory_gb, float))
        n = np.maximum(1.0, np.minimum(n, by_memory))
    return n


def _floor_snapped(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.floor(x * (1.0 + 1e-12) + 1e-12)


def node_peak_pflops(gpus_per_node: ArrayLike, gpu_tflops: ArrayLike) -> NDArray[np.float64]:
    """Node peak = gpus × dense TFLOPS at the training precision, in PFLOPS (model.md §1.1)."""
    return np.asarray(gpus_per_node, float) * np.asarray(gpu_tflops, float) * TFLOPS / PFLOPS


def node_memory_gb(gpus_per_node: ArrayLike, gpu_memory_gb: ArrayLike) -> NDArray[np.float64]:
    """Node memory = gpus × memory per GPU, in GB (model.md §1.1)."""
    return np.asarray(gpus_per_node, float) * np.asarray(gpu_memory_gb, float)


def node_cost_usd(
    gpus_per_node: ArrayLike,
    gpu_price_usd: ArrayLike,
    cottier: ArrayLike = False,
    chip_to_server: ArrayLike = 1.64,
    server_to_cluster: ArrayLike = 1.23,
) -> NDArray[np.float64]:
    """Node cost = gpus × price, × chip-to-server × server-to-cluster under the Cottier cost model
    (model.md §1.1; paper_tables.md §2.3; Cottier et al. 2024, arXiv 2405.21015)."""
    chips = np.asarray(gpus_per_node, float) * np.asarray(gpu_price_usd, float)
    multiplier = np.asarray(chip_to_server, float) * np.asarray(server_to_cluster, float)
    return np.where(np.asarray(cottier, bool), chips * multiplier, chips)


def effective_flop_per_s(node_peak_flop_per_s: ArrayLike, mfu: ArrayLike) -> NDArray[np.float64]:
    """F = node peak × MFU: the FLOP/s one node delivers to training (model.md §2.1)."""
    return np.asarray(node_peak_flop_per_s, float) * np.asarray(mfu, float)


def is_registered(h100_equivalents_per_node: ArrayLike, threshold_h100_eq: ArrayLike) -> NDArray[np.bool_]:
    """A node is registered when its H100-eq exceeds the registration threshold (16 H100-eq; equal
    is allowed) (model.md §1.3; seed 002 §1)."""
    return np.asarray(h100_equivalents_per_node, float) > np.asarray(threshold_h100_eq, float) * (1.0 + 1e-12)


def run_cost_usd(nodes: ArrayLike, node_cost: ArrayLike, cost_multiplier: ArrayLike = 1.0) -> NDArray[np.float64]:
    """Hardware cost = N × node cost (× the reliability layer's cost multiplier) (model.md §1.1;
    reliability.md §10.1)."""
    return np.asarray(nodes, float) * np.asarray(node_cost, float) * np.asarray(cost_multiplier, float)
