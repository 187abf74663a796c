"""Validation of analysis arguments: the same field-named errors as scenarios."""

from __future__ import annotations

import math
from typing import Any

from dtsim.errors import ScenarioError

__all__ = ["number", "positive", "text_choice"]


def number(
    field: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False
) -> float:
    """A finite number within [low, high] (``low_open``: strictly above low)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(field, value, "expected a finite number")
    if low is not None and (value <= low if low_open else value < low):
        raise ScenarioError(field, value, f"must be {'>' if low_open else '≥'} {low:g}")
    if high is not None and value > high:
        raise ScenarioError(field, value, f"must be ≤ {high:g}")
    return float(value)


def positive(field: str, value: Any) -> float:
    """A finite number > 0."""
    return number(field, value, low=0.0, low_open=True)


def text_choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``."""
    if value not in allowed:
        raise ScenarioError(field, value, f"allowed: {', '.join(allowed)}")
    return str(value)
