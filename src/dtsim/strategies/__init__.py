"""Training strategies: each module exposes ``schedule(inputs) -> Schedule``, the timing and
structure of one outer step (W, X, K, Q, replicas, H, stages, groups, memory). What follows from
a schedule (efficiency, compute, quality, cost) is computed once for all of them in
``dtsim.outcome``.

- ``diloco``        flat Streaming DiLoCo over N nodes
- ``hierarchical``  regional groups inside, the WAN across groups
- ``pp_diloco``     pipeline groups over a regional link, DiLoCo across groups
- ``moe_ep``        mixture of experts with expert parallelism over the WAN
"""

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
