"""Ratios of one result key between two scenarios ("% of best", "+2 % from expected")."""

from __future__ import annotations

from dataclasses import dataclass

from dtsim.analyses._args import ScenarioInput, Text
from dtsim.analyses._args import scenario_argument as _scenario
from dtsim.analyses._result import AnalysisResult
from dtsim.engine import simulate
from dtsim.errors import ScenarioError
from dtsim.result import BOOLEAN_KEYS, RESULT_KEYS, TEXT_KEYS

__all__ = ["RatioResult", "ratio"]

#: Result keys that are numbers (the ones a ratio can take).
NUMERIC_KEYS = tuple(k for k in RESULT_KEYS if k not in TEXT_KEYS and k not in BOOLEAN_KEYS)


@dataclass(frozen=True)
class RatioResult(AnalysisResult):
    """One result key of two scenarios and their ratio.

    Attributes:
        key: the result key.
        numerator: its value in the numerator scenario.
        denominator: its value in the denominator scenario.
        ratio: numerator / denominator.
    """

    key: str
    numerator: float
    denominator: float
    ratio: float


def ratio(key: Text, numerator: ScenarioInput, denominator: ScenarioInput) -> RatioResult:
    """A result key of one scenario over the same key of another (model.md §3).

    Args:
        key: a numeric result key such as c_local.
        numerator: the scenario on top.
        denominator: the scenario below.
    """
    if not isinstance(key, str) or key not in NUMERIC_KEYS:
        raise ScenarioError("key", key, "expected a numeric result key such as c_local")
    top = getattr(simulate(_scenario("numerator", numerator)), key)
    bottom = getattr(simulate(_scenario("denominator", denominator)), key)
    if top is None or bottom is None:
        raise ScenarioError("key", key, "the result key does not apply to these scenarios")
    if bottom == 0:
        raise ScenarioError("key", key, "the denominator's value is 0")
    return RatioResult(key=key, numerator=float(top), denominator=float(bottom), ratio=float(top) / float(bottom))
