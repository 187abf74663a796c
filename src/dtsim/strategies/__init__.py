"""Training strategies. Each module exposes ``evaluate(inputs) -> columns``: the same entry
point, array in, arrays out (result keys of interface.md)."""

from __future__ import annotations

from collections.abc import Callable

from dtsim.inputs import Inputs
from dtsim.strategies import diloco, hierarchical, moe_ep, pp_diloco
from dtsim.strategies._common import Columns

__all__ = ["STRATEGIES", "evaluate"]

STRATEGIES: dict[str, Callable[[Inputs], Columns]] = {
    "diloco": diloco.evaluate,
    "hierarchical": hierarchical.evaluate,
    "pp-diloco": pp_diloco.evaluate,
    "moe-ep": moe_ep.evaluate,
}


def evaluate(strategy: str, inputs: Inputs) -> Columns:
    """Evaluate a batch of one strategy."""
    return STRATEGIES[strategy](inputs)
