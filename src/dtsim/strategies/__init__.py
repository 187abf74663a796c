"""Training strategies. Each module exposes ``schedule(inputs) -> Schedule``: the same entry
point, arrays in, the timing and structure of one outer step out. What follows from a schedule
(efficiency, compute, quality, cost) is computed once for all of them in
``dtsim.physics.outcome``."""

from __future__ import annotations

from collections.abc import Callable

from dtsim.inputs import Inputs
from dtsim.strategies import diloco, hierarchical, moe_ep, pp_diloco
from dtsim.strategies._common import Refusal, Schedule

__all__ = ["SCHEDULES", "Refusal", "Schedule", "schedule"]

SCHEDULES: dict[str, Callable[[Inputs], Schedule]] = {
    "diloco": diloco.schedule,
    "hierarchical": hierarchical.schedule,
    "pp-diloco": pp_diloco.schedule,
    "moe-ep": moe_ep.schedule,
}


def schedule(strategy: str, inputs: Inputs) -> Schedule:
    """The schedule of a batch of one strategy."""
    return SCHEDULES[strategy](inputs)
