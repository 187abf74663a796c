"""One numeric validator for every place a number enters dtsim (scenario and plan fields,
population configurations, analysis arguments, command-line options, API arguments), and the
finiteness check every result passes on its way out.

Accepted: ``int``, ``float`` and NumPy scalars (``np.integer``, ``np.floating``). Refused, with
one line naming the field: ``bool`` (``True`` is not 1 here), text, ``None``, NaN, ±infinity,
integers beyond the float range (about 1.8e308; never an ``OverflowError``), and non-whole
values where a whole number is required.

``Number`` and ``Integer`` are the same rule as pydantic field types.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal, overload

import numpy as np
from pydantic import BeforeValidator

from dtsim.errors import InfeasibleError, ScenarioError

__all__ = [
    "Integer",
    "Number",
    "finite_or_refuse",
    "number",
    "number_problem",
    "refuse_non_finite",
]


def number_problem(value: Any, *, integer: bool = False) -> tuple[float | int | None, str | None]:
    """``(value as float or int, None)`` for an acceptable number, ``(None, why)`` otherwise."""
    if type(value) is float and not integer:  # the common case, checked first
        return (value, None) if math.isfinite(value) else (None, "expected a finite number")
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        kind = "a boolean" if isinstance(value, bool | np.bool_) else "None" if value is None else type(value).__name__
        return None, f"expected a number, got {kind}"
    if isinstance(value, int | np.integer):
        whole = int(value)
        try:
            float(whole)
        except OverflowError:
            return None, "expected a number within the float range (about ±1.8e308)"
        return (whole if integer else float(whole)), None
    real = float(value)
    if not math.isfinite(real):
        return None, "expected a finite number"
    if integer:
        if not real.is_integer():
            return None, "expected a whole number"
        return int(real), None
    return real, None


@overload
def number(
    field: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: Literal[False] = False,
) -> float: ...


@overload
def number(
    field: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: Literal[True],
) -> int: ...


def number(
    field: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> float | int:
    """``value`` as a float (an ``int`` when ``integer``), finite and within [low, high]
    (``low_open``/``high_open``: the bound itself excluded); else ``ScenarioError(field, ...)``."""
    converted, problem = number_problem(value, integer=integer)
    if problem is not None or converted is None:
        raise ScenarioError(field, value, problem or "expected a number")
    if low is not None and (converted <= low if low_open else converted < low):
        raise ScenarioError(field, value, f"must be {'>' if low_open else '≥'} {low:g}")
    if high is not None and (converted >= high if high_open else converted > high):
        raise ScenarioError(field, value, f"must be {'<' if high_open else '≤'} {high:g}")
    return converted


def _field_number(value: Any) -> float:
    converted, problem = number_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return float(converted)  # type: ignore[arg-type]


def _field_integer(value: Any) -> int:
    converted, problem = number_problem(value, integer=True)
    if problem is not None:
        raise ValueError(problem)
    return int(converted)  # type: ignore[arg-type]


#: A pydantic field: a finite number within the float range (not bool, not text).
Number = Annotated[float, BeforeValidator(_field_number)]
#: A pydantic field: a whole number (``1e3`` accepted as 1000), within the float range.
Integer = Annotated[int, BeforeValidator(_field_integer)]


def finite_or_refuse(field: str, value: Any, *, cause: str) -> Any:
    """A computed number on its way out: returned if finite (``None`` passes: not applicable),
    else ``InfeasibleError`` naming the result ``field`` and the input that ``cause``d it."""
    if value is None or isinstance(value, bool | np.bool_ | str):
        return value
    array = np.asarray(value, dtype=float)
    if not np.isfinite(array).all():
        shown = float(array.flat[int(np.argmin(np.isfinite(array)))])
        raise InfeasibleError(
            field,
            f"the result is not a finite number ({shown!r})",
            f"it comes from {cause}: use less extreme values",
        )
    return value


def refuse_non_finite(data: Any, *, cause: str, path: str = "") -> None:
    """Walk a result (dicts, lists, numbers, arrays) and refuse the first non-finite number with
    ``InfeasibleError`` naming its path and the ``cause``; so that ``json.dumps(...,
    allow_nan=False)`` of it cannot fail."""
    stack: list[tuple[str, Any]] = [(path, data)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, Mapping):
            stack.extend((f"{where}.{key}" if where else str(key), value) for key, value in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", value) for i, value in enumerate(item))
        elif isinstance(item, float | np.floating) or (isinstance(item, np.ndarray) and item.dtype.kind in "fc"):
            finite_or_refuse(where or "result", item, cause=cause)
