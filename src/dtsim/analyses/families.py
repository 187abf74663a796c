"""Candidate families of ``cheapest_config``: which runs compete for the cheapest configuration.

A *family* is a strategy and the scenario fields it sets (model size, group size, activation
compression), evaluated at every node count from its ``min_nodes`` on; a *family set* lists the
families for a base scenario, says which families are searched together by the bisection (its
*units*), and how the cheapest answer is chosen among candidates that reach the target.

- ``seed`` (variants.md §13.1): fractions of the node's largest model, every family alone.
- ``paper`` (paper_tables.md §3, §8): for each hardware option (one unit), the model-size grid in
  order, each size either flat plus hierarchical with every group size k (from 2k nodes), or
  one PP-DiLoCo candidate (from two pipeline groups); the hardware block and the regional and
  pipeline link (min(upload, download) at the WAN latency) are each family's ``shared`` fields.
  Its search (the probe and selection rules, §6-§7, §9) is ``dtsim.analyses.paper_search``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from dtsim.engine import compile_scenario
from dtsim.normalize import normalize, stack_scenarios
from dtsim.physics.memory import max_dense_params, pipeline_stages
from dtsim.scenario import Scenario, parse_scenario
from dtsim.units import BILLION

__all__ = [
    "FAMILY_SETS",
    "NODE_KEYS",
    "Candidate",
    "Family",
    "FamilySet",
    "NodeContext",
    "node_context",
    "option_scenario",
    "paper_families",
    "paper_family_set",
    "seed_families",
]

#: Families whose model has fewer parameters are skipped (variants.md §13.1).
MIN_FAMILY_PARAMS = 1.0 * BILLION
#: variants.md §13.1: dense fractions, group sizes, activation ratios, PP multiples, micro-batches.
SEED_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
SEED_GROUP_SIZES = (4, 8, 16)
SEED_ACTIVATION_RATIOS = (4, 10)
SEED_PP_MULTIPLES = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
SEED_MICRO_BATCHES = 8
#: The keys of a ``hardware`` block that define the node: dropped from the scenario when a
#: hardware option gives its own node (prices, bytes per parameter and the cost model carry over).
NODE_KEYS = (
    "preset",
    "gpu",
    "gpus_per_node",
    "precision",
    "node_pflops",
    "node_memory_gb",
    "node_cost_usd",
    "node_h100_equivalents",
    "gpu_price_usd",
)


@dataclass(frozen=True)
class Family:
    """One candidate family.

    ``strategy`` and ``shared`` (fields every point of the family sets, possibly text) define the
    base the family is evaluated on; ``fields`` are numeric fields set per family (evaluated as
    sweep axes, so families that differ only there are evaluated together); ``h_search``: the
    inner steps are searched (variants.md §13.1, flat families); ``min_nodes``: the family exists
    from this node count on; ``unit``: the hardware option it runs on (0 for a single node).
    """

    label: str
    strategy: str
    fields: Mapping[str, float]
    shared: Mapping[str, Any] = field(default_factory=dict)
    h_search: bool = False
    min_nodes: int = 1
    unit: int = 0


@dataclass(frozen=True)
class NodeContext:
    """What candidate generation reads from the base scenario: the largest single-node model
    (node memory / bytes per parameter), the node's memory and bytes per parameter, and the
    WAN link."""

    max_params: float
    wan_upload_mbps: float
    wan_latency_ms: float
    wan_download_mbps: float = math.nan
    node_memory_bytes: float = math.nan
    bytes_per_param: float = math.nan


def node_context(base: Scenario) -> NodeContext:
    """The ``NodeContext`` of a base scenario (a dense flat run of its node)."""
    inp = compile_scenario(base)
    columns = normalize(stack_scenarios([base]))
    return NodeContext(
        max_params=float(max_dense_params(inp.node_memory_bytes, inp.bytes_per_param)[0]),
        wan_upload_mbps=float(columns["network.wan.upload_mbps"][0]),
        wan_latency_ms=float(columns["network.wan.latency_ms"][0]),
        wan_download_mbps=float(columns["network.wan.download_mbps"][0]),
        node_memory_bytes=float(inp.node_memory_bytes[0]),
        bytes_per_param=float(inp.bytes_per_param[0]),
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


def option_scenario(base: Scenario, hardware: Mapping[str, Any] | None) -> Scenario:
    """The base scenario on one hardware option: the option's ``hardware`` block merged over the
    scenario's, whose node keys (``NODE_KEYS``) are dropped first; ``None``: the scenario's own
    node."""
    if hardware is None:
        return base
    data = base.to_data()
    kept = {k: v for k, v in (data.get("hardware") or {}).items() if k not in NODE_KEYS}
    return parse_scenario({**data, "hardware": {**kept, **hardware}})


def paper_families(
    base: Scenario,
    options: Sequence[Mapping[str, Any] | None],
    sizes: Sequence[float],
    group_sizes: Sequence[int],
) -> tuple[Family, ...]:
    """``_paper_families``, kept for the last bases seen: a table's rows and a figure's
    targets search the same candidates (families are immutable, so they are shared)."""
    key = (_json(base.to_data()), _json(list(options)), tuple(sizes), tuple(group_sizes))
    found = _FAMILIES.get(key)
    if found is None:
        if len(_FAMILIES) >= _FAMILIES_KEPT:
            del _FAMILIES[next(iter(_FAMILIES))]  # the oldest
        found = _FAMILIES[key] = _paper_families(base, options, sizes, group_sizes)
    return found


#: How many bases' paper families are kept, and the kept ones (oldest first).
_FAMILIES_KEPT = 64
_FAMILIES: dict[tuple[str, str, tuple[float, ...], tuple[int, ...]], tuple[Family, ...]] = {}


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _paper_families(
    base: Scenario,
    options: Sequence[Mapping[str, Any] | None],
    sizes: Sequence[float],
    group_sizes: Sequence[int],
) -> tuple[Family, ...]:
    """paper_tables.md §3 for each hardware option (a unit), in this order: the sizes in grid
    order; a size P ≤ P_max gives flat DiLoCo (from 1 node) then hierarchical DiLoCo with k nodes
    per group for each k in order (from 2k nodes, so at least two groups); a larger P gives one
    PP-DiLoCo candidate of S = ceil(P·β / node memory) stages (from 2S nodes, two pipeline
    groups). The regional and pipeline link is min(WAN upload, WAN download) at the WAN latency;
    H is automatic everywhere."""
    families: list[Family] = []
    for unit, hardware in enumerate(options):
        scenario = option_scenario(base, hardware)
        node = node_context(scenario)
        # The whole node, so that the family's base is exactly the option's scenario.
        given = scenario.to_data().get("hardware") or {}
        shared = {f"hardware.{k}": given.get(k) for k in (*NODE_KEYS, *given)}
        link = {
            "network.regional.bandwidth_mbps": min(node.wan_upload_mbps, node.wan_download_mbps),
            "network.regional.latency_ms": node.wan_latency_ms,
        }
        both = {**shared, **link}
        for params in sizes:
            size = f"{params / BILLION:g}B"
            if params <= node.max_params:
                families.append(Family(f"flat {size}", "diloco", {"model.params": params}, shared, unit=unit))
                families.extend(
                    Family(
                        f"hierarchical {size}, groups of {k}",
                        "hierarchical",
                        {"model.params": params, "network.nodes_per_group": float(k)},
                        both,
                        min_nodes=2 * k,
                        unit=unit,
                    )
                    for k in group_sizes
                )
            else:
                stages = int(pipeline_stages(params, node.bytes_per_param, node.node_memory_bytes))
                families.append(
                    Family(f"pp {size}", "pp-diloco", {"model.params": params}, both, min_nodes=2 * stages, unit=unit)
                )
    return tuple(families)


def _by_unit(families: Sequence[Family]) -> tuple[tuple[int, ...], ...]:
    units: dict[int, list[int]] = {}
    for i, family in enumerate(families):
        units.setdefault(family.unit, []).append(i)
    return tuple(tuple(members) for _, members in sorted(units.items()))


def _least_cost_then_quality(candidates: Sequence[Candidate]) -> Candidate:
    """paper_tables.md §8: the smallest cost; on an exactly equal cost the larger c_quality; then
    the earlier option (families are listed option by option). An option without a price comes
    after every priced one, the fewest nodes first."""
    return min(
        candidates,
        key=lambda c: (
            math.isnan(c.cost_usd),
            0.0 if math.isnan(c.cost_usd) else c.cost_usd,
            c.nodes,
            -c.c_quality,
            c.family,
        ),
    )


def paper_family_set(
    options: Sequence[Mapping[str, Any] | None] = (None,),
    sizes: Sequence[float] | None = None,
    group_sizes: Sequence[int] | None = None,
) -> FamilySet:
    """The ``paper`` family set over hardware options (``None``: the base scenario's own node),
    a size grid (parameters) and group sizes; the paper's grid and group sizes by default."""
    from dtsim.analyses.paper_data import paper_group_sizes, paper_size_grid

    grid = tuple(sizes) if sizes is not None else paper_size_grid()
    groups = tuple(group_sizes) if group_sizes is not None else paper_group_sizes()
    chosen = tuple(options)
    return FamilySet(
        "paper", lambda base: paper_families(base, chosen, grid, groups), _by_unit, _least_cost_then_quality
    )


FAMILY_SETS: Mapping[str, FamilySet] = MappingProxyType(
    {
        "seed": FamilySet("seed", seed_families, _each_alone, _least_cost_then_order),
        "paper": paper_family_set(),
    }
)
