"""Registries of named variants: for one physical quantity, the alternative formulas a scenario
can switch between.

A variant is a small pure array function whose docstring gives its equation and source. A
scenario selects one by name; a batch carries the choice as small integer codes, so one batch
may mix variants: ``registry.evaluate(codes, **arrays)`` evaluates each variant present on its
own points. Adding a variant is one function, one ``@registry.variant(...)`` line and, in the
schema, one allowed value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Registry", "Variant"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Variant:
    """One named alternative: its function and where it comes from."""

    name: str
    function: Callable[..., Any]
    source: str

    @property
    def equation(self) -> str:
        """The first line of the function's docstring: its equation."""
        doc = (self.function.__doc__ or "").strip()
        return doc.split("\n\n")[0].replace("\n", " ").strip()


class Registry:
    """The named variants of one quantity, selected by the scenario field ``key``."""

    def __init__(self, quantity: str, key: str) -> None:
        self.quantity = quantity
        self.key = key
        self._variants: dict[str, Variant] = {}

    def variant(self, name: str, *, source: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated function as the variant ``name``."""

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            if name in self._variants:
                raise ValueError(f"{self.quantity}: variant {name!r} registered twice")
            self._variants[name] = Variant(name, function, source)
            return function

        return register

    @property
    def names(self) -> tuple[str, ...]:
        """Variant names, in registration order (their codes are the positions)."""
        return tuple(self._variants)

    def __getitem__(self, name: str) -> Variant:
        return self._variants[name]

    def code(self, name: str) -> int:
        """The integer code of a variant name."""
        return self.names.index(name)

    def codes(self, names: np.ndarray) -> NDArray[np.int8]:
        """Integer codes of an object column of variant names."""
        if len(names) == 1:
            return np.array([self.code(names[0])], dtype=np.int8)
        lookup = {name: i for i, name in enumerate(self.names)}
        return np.array([lookup[v] for v in names.tolist()], dtype=np.int8)

    def evaluate(self, codes: NDArray[np.integer[Any]], **arrays: Any) -> Array:
        """Each point's variant applied to its own arguments (arrays of length 1 or n)."""
        present = _distinct(codes)
        if len(present) == 1:
            return self._variants[self.names[present[0]]].function(**arrays)
        n = max(len(codes), *(np.size(a) for a in arrays.values()))
        codes = np.broadcast_to(codes, (n,))
        out = np.empty(n)
        for code in present:
            mask = codes == code
            part = {k: _take(v, mask, n) for k, v in arrays.items()}
            out[mask] = self._variants[self.names[code]].function(**part)
        return out

    def describe(self) -> Mapping[str, Variant]:
        """Every variant by name."""
        return dict(self._variants)


def _distinct(codes: NDArray[np.integer[Any]]) -> list[int]:
    if len(codes) == 1 or (codes.ndim == 1 and codes.strides[0] == 0):
        return [int(codes[0])]
    first = codes[0]
    if (codes == first).all():
        return [int(first)]
    return [int(c) for c in np.unique(codes)]


def _take(value: Any, mask: NDArray[np.bool_], n: int) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) > 1:
        return np.broadcast_to(value, (n,))[mask]
    return value


def describe_formula(function: Callable[..., Any]) -> tuple[str, str]:
    """(equation, source) of a formula function, from its docstring: the first paragraph is the
    equation and what it means; its last parenthesised part naming a spec section, seed or paper
    is the source (moved out of the equation)."""
    doc = (function.__doc__ or "").strip()
    first = " ".join(doc.split("\n\n")[0].split())
    end = len(first.rstrip(". "))
    if end and first[end - 1] == ")":
        depth = 0
        for start in range(end - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(first[start], 0)
            if depth == 0:
                inside = first[start + 1 : end - 1]
                if any(mark in inside for mark in ("§", "arXiv", "seed", "Source", "et al", "20")):
                    return first[:start].rstrip(" ,;:"), inside
                break
    return first.rstrip("."), ""
