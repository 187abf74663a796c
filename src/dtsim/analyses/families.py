"""Candidate families of ``cheapest_config``: which runs compete for the cheapest configuration.

A *family* is a strategy and the scenario fields it sets (model size, group size, activation
compression), evaluated at every node count; a *family set* lists the families for a base
scenario, says which families are searched together by the bisection (its *units*), and how the
cheapest answer is chosen among candidates that reach the target. ``seed`` is variants.md
§13.1. Another set (such as the paper's hardware options and size grid, paper_tables.md §3, §6-§8)
is one more ``FamilySet`` entry: its families may set hardware fields in ``shared``, its units
group the families of one hardware option, and its ``choose`` applies its own tie rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from dtsim.engine import compile_scenario
from dtsim.normalize import normalize, raw_columns, stack_columns
from dtsim.physics.memory import max_dense_params
from dtsim.scenario import Scenario
from dtsim.units import BILLION

__all__ = ["FAMILY_SETS", "Candidate", "Family", "FamilySet", "NodeContext", "node_context", "seed_families"]

#: Families whose model has fewer parameters are skipped (variants.md §13.1).
MIN_FAMILY_PARAMS = 1.0 * BILLION
#: variants.md §13.1: dense fractions, group sizes, activation ratios, PP multiples, micro-batches.
SEED_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
SEED_GROUP_SIZES = (4, 8, 16)
SEED_ACTIVATION_RATIOS = (4, 10)
SEED_PP_MULTIPLES = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
SEED_MICRO_BATCHES = 8


@dataclass(frozen=True)
class Family:
    """One candidate family.

    ``strategy`` and ``shared`` (fields every point of the family sets, possibly text) define the
    base the family is evaluated on; ``fields`` are numeric fields set per family (evaluated as
    sweep axes, so families that differ only there are evaluated together); ``h_search``: the
    inner steps are searched (variants.md §13.1, flat families).
    """

    label: str
    strategy: str
    fields: Mapping[str, float]
    shared: Mapping[str, Any] = field(default_factory=dict)
    h_search: bool = False


@dataclass(frozen=True)
class NodeContext:
    """What candidate generation reads from the base scenario: the largest single-node model
    (node memory / bytes per parameter) and the WAN link."""

    max_params: float
    wan_upload_mbps: float
    wan_latency_ms: float


def node_context(base: Scenario) -> NodeContext:
    """The ``NodeContext`` of a base scenario (a dense flat run of its node)."""
    inp = compile_scenario(base)
    columns = normalize(stack_columns([raw_columns(base)]))
    return NodeContext(
        max_params=float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0]),
        wan_upload_mbps=float(columns["network.wan.upload_mbps"][0]),
        wan_latency_ms=float(columns["network.wan.latency_ms"][0]),
    )


@dataclass(frozen=True)
class Candidate:
    """A family that reaches the target at a node count, as ``choose`` sees it."""

    family: int
    nodes: int
    cost_usd: float
    c_quality: float


@dataclass(frozen=True)
class FamilySet:
    """A set of candidate families: ``build(base)`` lists them in order; ``units(families)``
    groups them for the bisection (each unit is searched on its own); ``choose(candidates)``
    picks the answer among candidates that reach the target."""

    name: str
    build: Callable[[Scenario], tuple[Family, ...]]
    units: Callable[[Sequence[Family]], tuple[tuple[int, ...], ...]]
    choose: Callable[[Sequence[Candidate]], Candidate]


def seed_families(base: Scenario) -> tuple[Family, ...]:
    """variants.md §13.1, in its order: flat DiLoCo at f·P_max (H searched); hierarchical at
    f·P_max × groups of k, the regional link being the WAN upload bandwidth at the WAN latency;
    PP-Group DiLoCo with activation ratio r × m·P_max, 8 micro-batches, the pipeline link being
    the WAN upload bandwidth at the WAN latency. Families below 1e9 parameters are skipped."""
    node = node_context(base)
    link = {
        "network.regional.bandwidth_mbps": node.wan_upload_mbps,
        "network.regional.latency_ms": node.wan_latency_ms,
    }
    flat = [
        Family(f"flat {f:g}·P_max", "diloco", {"model.params": f * node.max_params}, h_search=True)
        for f in SEED_FRACTIONS
    ]
    hierarchical = [
        Family(
            f"hierarchical {f:g}·P_max, groups of {k}",
            "hierarchical",
            {"model.params": f * node.max_params, "network.nodes_per_group": float(k)},
            link,
        )
        for f in SEED_FRACTIONS
        for k in SEED_GROUP_SIZES
    ]
    pipeline = [
        Family(
            f"pp {m:g}·P_max, activations {r}x",
            "pp-diloco",
            {"model.params": m * node.max_params, "compression.activations": float(r)},
            {**link, "pipeline.micro_batches": SEED_MICRO_BATCHES},
        )
        for r in SEED_ACTIVATION_RATIOS
        for m in SEED_PP_MULTIPLES
    ]
    return tuple(f for f in (*flat, *hierarchical, *pipeline) if f.fields["model.params"] >= MIN_FAMILY_PARAMS)


def _each_alone(families: Sequence[Family]) -> tuple[tuple[int, ...], ...]:
    return tuple((i,) for i in range(len(families)))


def _least_cost_then_order(candidates: Sequence[Candidate]) -> Candidate:
    """The smallest cost (the node is the same for every seed family, so the fewest nodes),
    then the earliest family."""
    return min(candidates, key=lambda c: (c.nodes if np.isnan(c.cost_usd) else c.cost_usd, c.nodes, c.family))


FAMILY_SETS: Mapping[str, FamilySet] = MappingProxyType(
    {"seed": FamilySet("seed", seed_families, _each_alone, _least_cost_then_order)}
)
