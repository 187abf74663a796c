"""What a scenario field allows: its kind (number, whole number, text) and its range.

``field_rule`` is the one place where the uncertainty analysis learns a field's bounds: from the
field registry (``dtsim.fields``), the same rules ``dtsim.sweep`` enforces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from dtsim.errors import MISSING, ScenarioError
from dtsim.scenario import Scenario

__all__ = ["FieldRule", "check_value", "field_rule"]

Kind = Literal["number", "integer", "text"]


@dataclass(frozen=True)
class FieldRule:
    """A field that can vary: its dotted path, kind and allowed range (closed unless ``*_open``)."""

    path: str
    kind: Kind
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def admits(self, value: float) -> bool:
        """True when ``value`` lies within the range."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        """The range as text, e.g. ``a number in [0.0001, 1]``."""
        what = {"number": "a number", "integer": "a whole number", "text": "one of the field's values"}[self.kind]
        if self.kind == "text":
            return what
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{what} in {left}{self.low:g}, {self.high:g}{right}"


def field_rule(base: Scenario, path: str) -> FieldRule:
    """The kind and range of the scenario field ``path``, from the field registry.

    Raises ``ScenarioError`` naming ``path`` when it is not a field that can vary.
    """
    from dtsim.fields import FIELDS

    spec = FIELDS.get(path)
    if spec is None or not spec.sweepable:
        allowed = ", ".join(p for p, s in FIELDS.items() if s.sweepable)
        raise ScenarioError(path, MISSING, f"not a scenario field that can vary; allowed: {allowed}")
    if spec.kind not in ("number", "integer"):
        return FieldRule(path, "text")
    return FieldRule(
        path,
        spec.kind,
        low=-math.inf if spec.low is None else spec.low,
        high=math.inf if spec.high is None else spec.high,
        low_open=not spec.low_inclusive,
        high_open=not spec.high_inclusive,
    )


def check_value(base: Scenario, path: str, value: Any) -> Scenario:
    """``base`` with ``path`` set to ``value``, validated whole (raises ``ScenarioError``)."""
    return base.with_values(**{path: value})
