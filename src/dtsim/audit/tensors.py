"""Tensor tables: parameter counts, bytes per dtype and storage padded to an alignment."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dtsim.audit.plan import Component, Tensor

__all__ = ["DTYPE_BYTES", "TensorRow", "component_params", "padded_bytes", "tensor_rows"]

#: Storage bytes per value of each dtype.
DTYPE_BYTES = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}


def padded_bytes(nbytes: float, alignment: int) -> int:
    """Storage rounded up to the alignment: ``ceil(bytes / align) · align`` (seed 004 §8: 32-byte
    AVX2 alignment; for INT8 tensors bytes = numel)."""
    return int(math.ceil(nbytes / alignment) * alignment)


@dataclass(frozen=True)
class TensorRow:
    """One tensor of a component: numel, bytes at its dtype, bytes padded to the alignment."""

    component: str
    name: str
    shape: tuple[int, ...]
    dtype: str
    numel: int
    bytes: float
    padded_bytes: int


def tensor_rows(component_name: str, tensors: list[Tensor], alignment: int) -> list[TensorRow]:
    """The tensor table of a component (one repeat)."""
    rows = []
    for tensor in tensors:
        numel = math.prod(tensor.shape)
        nbytes = numel * DTYPE_BYTES[tensor.dtype]
        rows.append(
            TensorRow(
                component_name,
                tensor.name,
                tuple(tensor.shape),
                tensor.dtype,
                numel,
                nbytes,
                padded_bytes(nbytes, alignment),
            )
        )
    return rows


def component_params(component: Component) -> float:
    """Parameters of a component: its count, or the sum of its tensors, times ``repeat``."""
    per_repeat = (
        component.params if component.params is not None else sum(math.prod(t.shape) for t in component.tensors)
    )
    return float(per_repeat) * component.repeat
