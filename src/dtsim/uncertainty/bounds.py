"""What a scenario field allows: its kind (number, whole number, text) and its range.

``field_rule`` is the one place where the uncertainty analysis learns a field's bounds. It reads
them from the scenario schema through the sweep's own axis rules, so that a distribution is held
to exactly the range ``dtsim.sweep`` enforces; when scenario fields are described by a registry
of their own, only this function changes.
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
    """The kind and range of the scenario field ``path`` (a sweep axis of ``base``).

    Raises ``ScenarioError`` naming ``path`` when it is not a field that can vary.
    """
    from dtsim.engine import _field_info, _numeric_constraints
    from dtsim.inputs import TEXT_FIELDS, scenario_columns

    columns = scenario_columns(base)
    info = _field_info(path)
    if info is None or path == "name" or path not in columns:
        allowed = ", ".join(p for p in columns if p != "name")
        raise ScenarioError(path, MISSING, f"not a scenario field that can vary; allowed: {allowed}")
    if path in TEXT_FIELDS:
        return FieldRule(path, "text")
    is_integer, bounds = _numeric_constraints([info, info.annotation])
    return FieldRule(
        path,
        "integer" if is_integer else "number",
        low=bounds.get("ge", bounds.get("gt", -math.inf)),
        high=bounds.get("le", bounds.get("lt", math.inf)),
        low_open="gt" in bounds,
        high_open="lt" in bounds,
    )


def check_value(base: Scenario, path: str, value: Any) -> Scenario:
    """``base`` with ``path`` set to ``value``, validated whole (raises ``ScenarioError``)."""
    return base.with_values(**{path: value})
