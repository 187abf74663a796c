"""Argument types and validation of the analyses: the same field-named, one-line errors as
scenarios.

The argument types are ``Annotated`` aliases whose ``Kind`` marker tells the registry (and
through it the CLI and the web form) what a value looks like: ``Number`` and ``Count`` accept
int, float and NumPy scalars; ``ScenarioInput`` a mapping or a ``dtsim.Scenario``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from dtsim import numbers
from dtsim.errors import ScenarioError
from dtsim.scenario import Scenario, parse_scenario

__all__ = [
    "Count",
    "HardwareInput",
    "Kind",
    "Number",
    "Numbers",
    "ScalingLawInput",
    "ScenarioInput",
    "Text",
    "choice",
    "count",
    "number",
    "number_list",
    "positive",
    "scenario_argument",
]


@dataclass(frozen=True)
class Kind:
    """What an argument's value is, for generated forms: ``number``, ``integer``, ``numbers``
    (a list of numbers), ``scenario``, ``hardware`` (a scenario's ``hardware`` block),
    ``scaling_law`` (a scenario's ``scaling_law`` block), ``gpu`` (a catalogue key), ``text``."""

    name: str


Number = Annotated[float, Kind("number")]
Count = Annotated[int, Kind("integer")]
Numbers = Annotated[Sequence[float], Kind("numbers")]
Text = Annotated[str, Kind("text")]
ScenarioInput = Annotated[Mapping[str, Any] | Scenario, Kind("scenario")]
HardwareInput = Annotated[Mapping[str, Any], Kind("hardware")]
ScalingLawInput = Annotated[Mapping[str, Any] | None, Kind("scaling_law")]


def number(
    field: str, value: Any, *, low: float | None = None, high: float | None = None, low_open: bool = False
) -> float:
    """A finite number (int, float or NumPy scalar; not bool) within [low, high] (``low_open``:
    strictly above low); the rule of ``dtsim.numbers``."""
    return float(numbers.number(field, value, low=low, high=high, low_open=low_open))


def positive(field: str, value: Any) -> float:
    """A finite number > 0."""
    return number(field, value, low=0.0, low_open=True)


def count(field: str, value: Any, *, low: int, high: int) -> int:
    """A whole number within [low, high] (an integral float such as ``1e5`` counts as whole)."""
    return int(numbers.number(field, value, low=low, high=high, integer=True))


def choice(field: str, value: Any, allowed: Sequence[str]) -> str:
    """One of ``allowed`` (text)."""
    if not isinstance(value, str) or value not in allowed:
        raise ScenarioError(field, value, f"allowed: {', '.join(allowed)}")
    return value


def number_list(field: str, values: Any, *, low: float = 0.0) -> tuple[float, ...]:
    """A non-empty list of finite numbers > ``low``."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence | np.ndarray):
        raise ScenarioError(field, values, "expected a list of numbers")
    items = list(np.ravel(values)) if isinstance(values, np.ndarray) else list(values)
    if not items:
        raise ScenarioError(field, [], "expected at least one number")
    return tuple(number(field, v, low=low, low_open=True) for v in items)


def scenario_argument(field: str, value: Any, **fill: Any) -> Scenario:
    """A scenario given as a mapping or a ``Scenario``; ``fill`` supplies keys the mapping
    leaves out (``nodes``). Errors name the field inside the argument (``scenario.nodes``)."""
    if isinstance(value, Scenario):
        return value
    if not isinstance(value, Mapping):
        raise ScenarioError(field, value, "expected a scenario (a mapping of keys to values, or a dtsim.Scenario)")
    try:
        return parse_scenario({**fill, **value})
    except ScenarioError as exc:
        inner = f"{field}.{exc.field}" if exc.field else field
        raise ScenarioError(inner, exc.value, exc.allowed) from None
