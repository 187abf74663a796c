"""The base of analysis results: frozen dataclasses whose ``to_dict()`` is derived from their
fields, recursing into nested results (``winner``) and simulation ``Result`` objects."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["AnalysisResult", "plain"]


def plain(value: Any) -> Any:
    """A JSON-serialisable form of ``value``: nested results through their ``to_dict()``,
    sequences as lists, NumPy scalars as Python numbers, NaN as None."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class AnalysisResult:
    """Base of every analysis result: ``to_dict()`` gives its fields as a JSON-serialisable
    dict, in declaration order."""

    def to_dict(self) -> dict[str, Any]:
        """The result as a plain dict (nested results as dicts, lists for sequences)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
