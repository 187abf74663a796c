"""``cheapest_config``: the cheapest configuration that reaches a compute target (variants.md
§13.1; paper_tables.md §12.2).

Candidates come from a family set (``dtsim.analyses.families``). The ``paper`` set (hardware
options × model-size grid × flat / hierarchical / PP) has its own probe, selection and search
rules, in ``dtsim.analyses.paper_search``; the rest of this module is the ``seed`` set's search.

A seed family is evaluated at many node counts as one sweep per group of families that share a
strategy and base (the node counts and the per-family fields are the sweep's axes); the flat
families' inner-step search evaluates every candidate H of every node count as one more sweep.
So both searches work on arrays:

- ``exhaustive`` (default): blocks of node counts from 2 upwards (2-64, then twice as wide up
  to a bound on the points per block), each block evaluated for every family at once; the
  first block in which some family reaches the target holds the answer (the smallest such N;
  ties at that N by family order).
- ``bisection``: the revised analysis's per-family procedure (a)-(d), all families stepping
  together; the least costly family answer wins. It assumes that reaching the target is
  monotone in N, which the replica penalty breaks, so it can miss cheaper answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses._args import Count, Kind, Number, Numbers, ScenarioInput, choice, count, number, positive
from dtsim.analyses._args import scenario_argument as _scenario
from dtsim.analyses._result import AnalysisResult
from dtsim.analyses.families import FAMILY_SETS, Candidate, Family, FamilySet, option_scenario, paper_family_set
from dtsim.analyses.paper_search import Choice, PaperSearch
from dtsim.engine import sweep
from dtsim.errors import ScenarioError
from dtsim.normalize import normalize, stack_scenarios
from dtsim.scenario import Scenario, parse_scenario, set_path

__all__ = [
    "CheapestConfigResult",
    "CheapestOption",
    "CheapestWinner",
    "HardwareOptions",
    "PaperSpace",
    "analysis_base",
    "cheapest_config",
    "hardware_option_list",
    "option_node",
    "paper_cheapest",
    "paper_space",
]

CostMetric = Literal["c_quality", "c_local"]
Search = Literal["exhaustive", "bisection"]
FamilySetName = Literal["seed", "paper"]
#: ``"paper"`` (the 12 options of paper_tables.md §2.4) or a list of ``hardware`` blocks.
HardwareOptions = Annotated[str | Sequence[Mapping[str, Any]], Kind("hardware_options")]

#: Fixed inner-step candidates of the H search, and the H_min above which H_min/2 is tried too
#: (variants.md §13.1).
H_CANDIDATES = (10.0, 30.0, 50.0, 100.0, 200.0)
HALF_H_ABOVE = 60.0
#: Largest node count either search accepts, and the first exhaustive block's end.
MAX_SEARCH_NODES = 1_000_000
_FIRST_BLOCK_END = 64
#: Most (family, N) points in one exhaustive block: blocks double up to this (bounded memory).
_MAX_BLOCK_POINTS = 131_072
#: Scenario keys the analysis sets itself (the scenario's own values are ignored).
_IGNORED = ("strategy", "nodes", "model", "training.inner_steps")


@dataclass(frozen=True)
class CheapestWinner(AnalysisResult):
    """The cheapest configuration found.

    Attributes:
        hardware_index: position of its hardware option in hardware_options (null: the
            scenario's own node).
        gpu: catalogue GPU of the node (null for a custom node).
        gpus_per_node: accelerators per node (null for a custom node).
        precision: training precision, fp16 or fp8.
        strategy: diloco, hierarchical or pp-diloco (a hierarchical family below two groups
            runs as flat DiLoCo and is reported as diloco).
        nodes: node count.
        gpus: accelerators in all nodes.
        cost_usd: cost of the nodes, USD.
        params: model parameters.
        inner_steps: H (H_min, or the searched H of a seed flat family; H_eff for hierarchical).
        eta: algorithmic efficiency η.
        eta_chinchilla: Chinchilla efficiency χ (overtraining only).
        c_local: local-equivalent compute, FLOP.
        c_quality: quality-adjusted compute, FLOP.
        overtraining_ratio: tokens / (tokens_per_param · params).
        goodput: the failure layer's goodput γ (1 when the layer is off).
        groups: DiLoCo replicas (groups for hierarchical and PP, nodes for flat).
        pp_stages: pipeline stages (1 unless PP).
        nodes_per_group: hierarchical: nodes per regional group (null otherwise).
        inner_steps_regional: hierarchical: H_inner (null otherwise).
        regional_syncs_per_global: hierarchical: H_regional (null otherwise).
        activation_compression: PP: activation compression ratio (null otherwise).
    """

    hardware_index: int | None
    gpu: str | None
    gpus_per_node: int | None
    precision: str
    strategy: str
    nodes: int
    gpus: float | None
    cost_usd: float | None
    params: float
    inner_steps: float
    eta: float
    eta_chinchilla: float
    c_local: float
    c_quality: float
    overtraining_ratio: float
    goodput: float
    groups: int
    pp_stages: int
    nodes_per_group: int | None
    inner_steps_regional: int | None
    regional_syncs_per_global: int | None
    activation_compression: float | None


@dataclass(frozen=True)
class CheapestOption(AnalysisResult):
    """One hardware option's own answer (``families: paper``).

    Attributes:
        hardware_index: position of the option in hardware_options.
        nodes: node count.
        cost_usd: cost of the nodes, USD (null when the node has no price).
        strategy: diloco, hierarchical or pp-diloco.
        params: model parameters.
    """

    hardware_index: int
    nodes: int
    cost_usd: float | None
    strategy: str
    params: float


@dataclass(frozen=True)
class CheapestConfigResult(AnalysisResult):
    """The cheapest configuration that reaches a target.

    Attributes:
        target: the target, FLOP.
        metric: the result key compared with the target (c_quality or c_local).
        search: exhaustive or bisection.
        max_nodes: largest node count searched.
        families: the family set searched.
        winner: the cheapest configuration (null when no family reaches the target).
        options: families paper: each hardware option's own answer, in order (null entries
            where an option reaches nothing); null for families seed.
    """

    target: float
    metric: str
    search: str
    max_nodes: int
    families: str
    winner: CheapestWinner | None
    options: tuple[CheapestOption | None, ...] | None = None


@dataclass(frozen=True)
class _Scores:
    """Per (family, N) point: the metric at the best H (NaN where the candidate does not exist),
    the fixed H chosen (NaN: automatic), cost and c_quality there."""

    metric: NDArray[np.float64]
    inner_steps: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    c_quality: NDArray[np.float64]


@dataclass(frozen=True)
class _Group:
    """Families evaluated together: one base scenario, the same per-family field paths."""

    base: Scenario
    members: NDArray[np.intp]
    paths: tuple[str, ...]
    h_search: bool


def _column(columns: Mapping[str, np.ndarray], key: str) -> NDArray[np.float64]:
    values = columns[key]
    if values.dtype.kind in "biuf":
        return np.asarray(values, dtype=float)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


class _Evaluator:
    """Evaluates (family, N) points of a family list, with the H search of the flat families."""

    def __init__(self, base: Scenario, families: Sequence[Family], metric: str):
        self.families = tuple(families)
        self.metric = metric
        data = base.to_data()
        keys: dict[tuple[Any, ...], list[int]] = {}
        for i, family in enumerate(self.families):
            key = (family.strategy, tuple(sorted(family.shared.items())), tuple(sorted(family.fields)), family.h_search)
            keys.setdefault(key, []).append(i)
        groups = []
        for (strategy, shared, paths, h_search), members in keys.items():
            group_data = {**data, "strategy": strategy}
            first = self.families[members[0]]
            for path, value in (*shared, *first.fields.items()):  # per-family fields: swept as axes
                set_path(group_data, path, value)
            groups.append(_Group(parse_scenario(group_data), np.array(members), paths, h_search))
        self.groups = tuple(groups)
        self.values = {
            path: np.array([f.fields.get(path, np.nan) for f in self.families])
            for path in {p for f in self.families for p in f.fields}
        }

    def _sweep(self, group: _Group, family: NDArray[np.intp], nodes: NDArray[np.float64], **extra: Any) -> Any:
        axes = {"nodes": nodes, **{path: self.values[path][family] for path in group.paths}, **extra}
        return sweep(group.base, axes).columns

    def __call__(self, family: NDArray[np.intp], nodes: NDArray[np.float64]) -> _Scores:
        n = len(family)
        metric, steps = np.full(n, np.nan), np.full(n, np.nan)
        cost, quality = np.full(n, np.nan), np.full(n, np.nan)
        for group in self.groups:
            where = np.flatnonzero(np.isin(family, group.members))
            if not len(where):
                continue
            columns = self._sweep(group, family[where], nodes[where])
            metric[where] = _column(columns, self.metric)
            cost[where] = _column(columns, "cost_usd")
            quality[where] = _column(columns, "c_quality")
            if group.h_search:
                self._search_h(
                    group, family, nodes, where, _column(columns, "inner_steps"), metric, steps, cost, quality
                )
        return _Scores(metric, steps, cost, quality)

    def _search_h(
        self,
        group: _Group,
        family: NDArray[np.intp],
        nodes: NDArray[np.float64],
        where: NDArray[np.intp],
        h_min: NDArray[np.float64],
        metric: NDArray[np.float64],
        steps: NDArray[np.float64],
        cost: NDArray[np.float64],
        quality: NDArray[np.float64],
    ) -> None:
        """variants.md §13.1: H_min first, then the fixed H values below it in ascending order;
        a later H replaces the best only if its metric is strictly greater."""
        fixed = np.array(H_CANDIDATES)[None, :]
        h = np.where((fixed > 1.0) & (fixed < h_min[:, None]), fixed, np.nan)
        half = np.where(h_min > HALF_H_ABOVE, np.maximum(2.0, np.floor(h_min / 2.0)), np.nan)
        h = np.sort(np.column_stack([h, half]), axis=1)  # ascending, absent (NaN) last
        h[~np.isfinite(metric[where])] = np.nan  # no candidate H where H_min does not exist
        rows, cols = np.nonzero(np.isfinite(h))
        if not len(rows):
            return
        at = where[rows]
        columns = self._sweep(group, family[at], nodes[at], **{"training.inner_steps": h[rows, cols]})
        values = np.full(h.shape, np.nan)
        values[rows, cols] = _column(columns, self.metric)
        costs, qualities = np.full(h.shape, np.nan), np.full(h.shape, np.nan)
        costs[rows, cols] = _column(columns, "cost_usd")
        qualities[rows, cols] = _column(columns, "c_quality")
        best = metric[where].copy()
        for c in range(h.shape[1]):
            with np.errstate(invalid="ignore"):
                better = values[:, c] > best
            best[better] = values[better, c]
            target = where[better]
            metric[target], steps[target] = values[better, c], h[better, c]
            cost[target], quality[target] = costs[better, c], qualities[better, c]

    def winner(self, family: int, nodes: int, inner_steps: float) -> CheapestWinner:
        """The full description of one candidate."""
        fam = self.families[family]
        group = next(g for g in self.groups if family in g.members)
        extra = {} if math.isnan(inner_steps) else {"training.inner_steps": np.array([inner_steps])}
        batch = sweep(
            group.base,
            {"nodes": np.array([float(nodes)]), **{p: self.values[p][[family]] for p in group.paths}, **extra},
        )
        row = batch.row(0)
        tiered = fam.strategy == "hierarchical" and row["inner_steps_regional"] is not None
        strategy = "diloco" if fam.strategy == "hierarchical" and not tiered else fam.strategy
        activations = fam.fields.get("compression.activations") if fam.strategy == "pp-diloco" else None
        return _winner(
            row,
            strategy,
            _node(group.base),
            None,
            round(fam.fields["network.nodes_per_group"]) if tiered else None,
            activations,
        )


def _node(scenario: Scenario) -> dict[str, Any]:
    """The node's gpu, gpus_per_node and precision after normalisation (None where a custom
    node leaves them out) and its activation compression."""
    columns = normalize(stack_scenarios([scenario]))
    gpus = columns["hardware.gpus_per_node"][0]
    return {
        "gpu": columns["hardware.gpu"][0],
        "gpus_per_node": None if gpus is None or math.isnan(gpus) else round(gpus),
        "precision": str(columns["hardware.precision"][0]),
        "activations": float(columns["compression.activations"][0]),
    }


def _winner(
    row: Mapping[str, Any],
    strategy: str,
    node: Mapping[str, Any],
    hardware_index: int | None,
    nodes_per_group: int | None,
    activation_compression: float | None,
) -> CheapestWinner:
    steps = row["inner_steps"]
    goodput = row["goodput"]
    return CheapestWinner(
        hardware_index=hardware_index,
        gpu=node["gpu"],
        gpus_per_node=node["gpus_per_node"],
        precision=node["precision"],
        strategy=strategy,
        nodes=row["nodes"],
        gpus=row["gpus"],
        cost_usd=row["cost_usd"],
        params=row["params"],
        inner_steps=round(steps) if strategy != "hierarchical" else steps,
        eta=row["eta"],
        eta_chinchilla=row["eta_chinchilla"],
        c_local=row["c_local"],
        c_quality=row["c_quality"],
        overtraining_ratio=row["overtraining_ratio"],
        goodput=1.0 if goodput is None else goodput,
        groups=row["groups"],
        pp_stages=row["pp_stages"],
        nodes_per_group=nodes_per_group,
        inner_steps_regional=row["inner_steps_regional"],
        regional_syncs_per_global=row["regional_syncs_per_global"],
        activation_compression=activation_compression,
    )


def _candidates(
    scores: _Scores, index: NDArray[np.intp], family: NDArray[np.intp], nodes: NDArray[np.float64], target: float
) -> list[tuple[Candidate, float]]:
    """The points among ``index`` that reach the target, with their chosen H."""
    with np.errstate(invalid="ignore"):
        reach = index[scores.metric[index] >= target]
    return [
        (
            Candidate(int(family[i]), int(nodes[i]), float(scores.cost_usd[i]), float(scores.c_quality[i])),
            float(scores.inner_steps[i]),
        )
        for i in reach
    ]


def _pick(fset: FamilySet, found: list[tuple[Candidate, float]]) -> tuple[Candidate, float]:
    chosen = fset.choose([c for c, _ in found])
    return next((c, h) for c, h in found if c == chosen)


def _exhaustive(evaluate: _Evaluator, fset: FamilySet, target: float, max_nodes: int) -> tuple[Candidate, float] | None:
    """The smallest N in [2, max_nodes] at which some family reaches the target."""
    count_f = len(evaluate.families)
    widest = max(1, _MAX_BLOCK_POINTS // max(1, count_f))
    low, high = 2, min(_FIRST_BLOCK_END, max_nodes)
    while low <= max_nodes:
        n = np.arange(low, high + 1, dtype=float)
        family = np.repeat(np.arange(count_f), len(n))
        nodes = np.tile(n, count_f)
        scores = evaluate(family, nodes)
        with np.errstate(invalid="ignore"):
            reach = (scores.metric >= target).reshape(count_f, len(n))
        hit = reach.any(axis=0)
        if hit.any():
            j = int(np.argmax(hit))
            return _pick(fset, _candidates(scores, np.arange(count_f) * len(n) + j, family, nodes, target))
        width = min(2 * (high - low + 1), widest)
        low, high = high + 1, min(high + width, max_nodes)
    return None


def _bisection(evaluate: _Evaluator, fset: FamilySet, target: float, max_nodes: int) -> tuple[Candidate, float] | None:
    """variants.md §13.1 (a)-(d) for every unit of the family set at once."""
    units = fset.units(evaluate.families)

    def reaches(unit_ids: NDArray[np.intp], at: NDArray[np.int64]) -> tuple[NDArray[np.bool_], Any]:
        members = [np.array(units[u]) for u in unit_ids]
        family = np.concatenate(members) if members else np.zeros(0, dtype=np.intp)
        owner = np.repeat(np.arange(len(unit_ids)), [len(m) for m in members])
        nodes = at[owner].astype(float)
        scores = evaluate(family, nodes)
        with np.errstate(invalid="ignore"):
            point = scores.metric >= target
        ok = np.zeros(len(unit_ids), dtype=bool)
        np.logical_or.at(ok, owner, point)
        return ok, (scores, family, nodes, owner)

    every = np.arange(len(units))
    answer = np.zeros(len(units), dtype=np.int64)  # 0: none yet
    at_two, _ = reaches(every, np.full(len(units), 2))
    answer[at_two] = 2
    rest = every[~at_two]
    at_max, _ = reaches(rest, np.full(len(rest), max_nodes))
    rest = rest[at_max]
    low, high = np.full(len(rest), 3, dtype=np.int64), np.full(len(rest), max_nodes, dtype=np.int64)
    while (low < high).any():
        step = np.flatnonzero(low < high)
        mid = (low[step] + high[step]) // 2
        ok, _ = reaches(rest[step], mid)
        high[step[ok]] = mid[ok]
        low[step[~ok]] = mid[~ok] + 1
    keep = low <= max_nodes
    final_ok, _ = reaches(rest[keep], low[keep])
    answer[rest[keep][final_ok]] = low[keep][final_ok]

    solved = np.flatnonzero(answer > 0)
    if not len(solved):
        return None
    _, (scores, family, nodes, owner) = reaches(solved, answer[solved])
    best_per_unit = [
        _pick(fset, _candidates(scores, np.flatnonzero(owner == u), family, nodes, target)) for u in range(len(solved))
    ]
    chosen = fset.choose([c for c, _ in best_per_unit])
    return next(item for item in best_per_unit if item[0] == chosen)


def analysis_base(scenario: Any) -> Scenario:
    """The scenario without the keys the analysis sets itself."""
    data = _scenario("scenario", scenario, nodes=1).to_data()
    for path in _IGNORED:
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node.get(part, {})
        if isinstance(node, dict):
            node.pop(leaf, None)
    return parse_scenario({**data, "nodes": 1})


def hardware_option_list(value: Any) -> tuple[dict[str, Any], ...]:
    """``hardware_options``: ``"paper"`` (paper_tables.md §2.4) or a non-empty list of
    ``hardware`` blocks (each a mapping), as a tuple of blocks."""
    from dtsim.analyses.paper_data import paper_options

    if value == "paper":
        return tuple(o.hardware for o in paper_options())
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence) or not value:
        raise ScenarioError("hardware_options", value, '"paper" or a non-empty list of hardware blocks')
    for i, block in enumerate(value):
        if not isinstance(block, Mapping):
            raise ScenarioError(f"hardware_options[{i}]", block, "expected a hardware block (a mapping)")
    return tuple(dict(block) for block in value)


def _grid(field: str, value: Any, paper: tuple[float, ...], *, integer: bool = False) -> tuple[float, ...]:
    """A size grid or group sizes: None or "paper" (the paper's), or a non-empty list."""
    if value is None or value == "paper":
        return paper
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | np.ndarray) or not len(value):
        raise ScenarioError(field, value, '"paper" or a non-empty list of numbers')
    if integer:
        return tuple(float(count(field, v, low=2, high=MAX_SEARCH_NODES // 2)) for v in value)
    return tuple(number(field, v, low=1e6, high=1e16) for v in value)


def _overtraining(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | np.ndarray) or len(value) != 2:
        raise ScenarioError("overtraining_range", value, "null or [low, high] with 0 ≤ low ≤ high")
    low = number("overtraining_range", value[0], low=0.0)
    high = number("overtraining_range", value[1], low=low)
    return low, high


def cheapest_config(
    scenario: ScenarioInput,
    target: Number,
    metric: CostMetric = "c_quality",
    search: Search | None = None,
    max_nodes: Count = 100_000,
    families: FamilySetName = "seed",
    hardware_options: HardwareOptions | None = None,
    size_grid: Numbers | None = None,
    group_sizes: Numbers | None = None,
    overtraining_range: Numbers | None = None,
) -> CheapestConfigResult:
    """The cheapest configuration (strategy, model size, inner steps, nodes) reaching a target.

    Every candidate runs on the scenario's node with its physics; the cheapest is the fewest
    nodes, ties going to the earlier family (variants.md §13.1). ``winner`` is null when no
    candidate reaches the target at any node count up to max_nodes. With families paper
    (paper_tables.md §3, §6-§9, §12.2) the candidates are every hardware option × the model-size
    grid × flat, hierarchical (every group size, from two groups) or PP-DiLoCo (a model larger
    than one node), with automatic H and the regional and pipeline link at min(WAN upload,
    download) and the WAN latency; per option the probe (largest metric) drives the search and
    the selection (largest c_quality among candidates reaching the target) gives the answer;
    across options the least cost wins, then the larger c_quality, then the earlier option.

    Args:
        scenario: hardware, training, network, compression and variant keys; its strategy,
            nodes, model and training.inner_steps are ignored.
        target: compute to reach in FLOP, > 0.
        metric: the result key compared with the target: c_quality or c_local.
        search: exhaustive (the true smallest node count) or bisection (the published
            procedure, which can miss cheaper answers); default exhaustive for families seed,
            bisection for families paper.
        max_nodes: largest node count searched, 2 to 1,000,000.
        families: candidate family set: seed (variants.md §13.1) or paper (paper_tables.md §3).
        hardware_options: families paper: "paper" (the paper's 12 nodes) or a list of hardware
            blocks, each merged over the scenario's hardware (whose own node is then ignored);
            null: the scenario's node.
        size_grid: families paper: model sizes in parameters, in iteration order (null or
            "paper": the paper's 72 sizes from 0.5B to 10,000B).
        group_sizes: families paper: nodes per regional group of the hierarchical candidates
            (null or "paper": 4, 8, 10, 12, 14, 16, 18, 20, 24, 32).
        overtraining_range: families paper: [low, high], inclusive bounds on the overtraining
            ratio of a candidate (null: no filter; the paper uses [1, 100]).
    """
    goal = positive("target", target)
    key = choice("metric", metric, get_args(CostMetric))
    name = choice("families", families, tuple(FAMILY_SETS))
    how = choice("search", search if search is not None else _DEFAULT_SEARCH[name], get_args(Search))
    limit = count("max_nodes", max_nodes, low=2, high=MAX_SEARCH_NODES)
    base = analysis_base(scenario)
    if name == "paper":
        space = paper_space(hardware_options, size_grid, group_sizes, overtraining_range)
        return paper_cheapest(base, goal, key, how, limit, space)
    for field, value in (
        ("hardware_options", hardware_options),
        ("size_grid", size_grid),
        ("group_sizes", group_sizes),
        ("overtraining_range", overtraining_range),
    ):
        if value is not None:
            raise ScenarioError(field, value, "only with families: paper (null with families: seed)")
    fset = FAMILY_SETS[name]
    evaluate = _Evaluator(base, fset.build(base), key)
    found = (_exhaustive if how == "exhaustive" else _bisection)(evaluate, fset, goal, limit)
    winner = None if found is None else evaluate.winner(found[0].family, found[0].nodes, found[1])
    return CheapestConfigResult(target=goal, metric=key, search=how, max_nodes=limit, families=fset.name, winner=winner)


#: The search of each family set when none is given (paper_tables.md §9: the paper bisects).
_DEFAULT_SEARCH = {"seed": "exhaustive", "paper": "bisection"}


@dataclass(frozen=True)
class PaperSpace:
    """The validated search space of ``families: paper``: hardware options (``(None,)``: the
    scenario's own node; ``given``: whether options were given), model sizes in parameters,
    group sizes and the overtraining range (None: no filter)."""

    options: tuple[dict[str, Any] | None, ...]
    given: bool
    sizes: tuple[float, ...]
    group_sizes: tuple[int, ...]
    overtraining_range: tuple[float, float] | None


def paper_space(hardware_options: Any, size_grid: Any, group_sizes: Any, overtraining_range: Any) -> PaperSpace:
    """Validate the ``families: paper`` arguments of ``cheapest_config`` (one-line refusals)."""
    from dtsim.analyses.paper_data import paper_group_sizes, paper_size_grid

    options: tuple[dict[str, Any] | None, ...] = (
        (None,) if hardware_options is None else hardware_option_list(hardware_options)
    )
    paper_groups = tuple(float(k) for k in paper_group_sizes())
    return PaperSpace(
        options=options,
        given=hardware_options is not None,
        sizes=_grid("size_grid", size_grid, paper_size_grid()),
        group_sizes=tuple(int(k) for k in _grid("group_sizes", group_sizes, paper_groups, integer=True)),
        overtraining_range=_overtraining(overtraining_range),
    )


def paper_cheapest(
    base: Scenario,
    target: float,
    metric: str,
    how: str,
    max_nodes: int,
    space: PaperSpace,
    *,
    every_option: bool = True,
) -> CheapestConfigResult:
    """``cheapest_config`` with the paper's family set (paper_tables.md §12.2) on a base
    scenario without strategy, nodes, model and inner steps. ``every_option=False`` with the
    exhaustive search finds only the winner (each option scanned up to the cost of the
    bisection's answer, then of the cheapest answer found) and leaves ``options`` null."""
    nodes = [option_node(base, i, block) for i, block in enumerate(space.options)]
    fset = paper_family_set(space.options, space.sizes, space.group_sizes)
    families = fset.build(base)
    search = PaperSearch(base, families, metric, target, space.overtraining_range)
    if how == "exhaustive" and every_option:
        answers = search.exhaustive(max_nodes)
    else:
        answers = search.bisection(max_nodes)
        if how == "exhaustive":
            costs = [_cost(a) for a in answers if a is not None]
            bound = min(costs) if costs and all(math.isfinite(c) for c in costs) else math.inf
            answers = search.exhaustive(max_nodes, cost_bound=bound)
    found = [Candidate(a.family, a.nodes, _cost(a), float(a.row["c_quality"])) for a in answers if a is not None]
    winner = None
    if found:
        best = fset.choose(found)
        unit = families[best.family].unit
        winner = _paper_winner(answers[unit], families, unit if space.given else None, nodes[unit])
    listed = tuple(
        None if a is None else CheapestOption(u, a.nodes, a.row["cost_usd"], a.row["strategy"], float(a.row["params"]))
        for u, a in enumerate(answers)
    )
    return CheapestConfigResult(
        target=target,
        metric=metric,
        search=how,
        max_nodes=max_nodes,
        families="paper",
        winner=winner,
        options=listed if every_option or how == "bisection" else None,
    )


def _cost(answer: Choice) -> float:
    """An answer's cost, NaN when its node has no price."""
    cost = answer.row["cost_usd"]
    return math.nan if cost is None else float(cost)


def option_node(base: Scenario, index: int, block: Mapping[str, Any] | None) -> dict[str, Any]:
    """The node of one hardware option; an invalid block is refused naming its position."""
    try:
        return _node(option_scenario(base, block))
    except ScenarioError as exc:
        field = f"hardware_options[{index}]" + (f".{exc.field.removeprefix('hardware.')}" if exc.field else "")
        raise ScenarioError(field, exc.value, exc.allowed) from None


def _paper_winner(
    answer: Choice | None, families: Sequence[Family], hardware_index: int | None, node: Mapping[str, Any]
) -> CheapestWinner:
    assert answer is not None
    family = families[answer.family]
    row = answer.row
    tiered = family.strategy == "hierarchical"
    return _winner(
        row,
        family.strategy,
        node,
        hardware_index,
        round(family.fields["network.nodes_per_group"]) if tiered else None,
        node["activations"] if family.strategy == "pp-diloco" else None,
    )
