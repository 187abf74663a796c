"""The search behind the paper's minimum-cost tables (paper_tables.md §6-§9), for
``cheapest_config(families="paper")``.

At one (hardware option, N) the candidates are the option's families that exist at N (the
``paper`` family set, ``dtsim.analyses.families``), in iteration order, less those outside the
overtraining range (§2.6). Two rules pick one of them (§6):

- the *probe*: the largest metric (c_local in the paper); a later candidate replaces the current
  one only when its metric is strictly greater;
- the *selection*: among candidates whose metric reaches the target, the largest c_quality
  (strictly greater replaces); when none reaches it, the probe's candidate.

Per option, ``bisection`` (§7) is the paper's procedure: N = 1 by selection, then the probe at
``max_nodes``, then a bisection on N over [2, max_nodes] with the probe; ``exhaustive`` (§9) is
the smallest N at which some candidate reaches the target. Across options the least cost wins,
then the larger c_quality, then the earlier option (§8).

Every probe evaluates all its candidates (of every option still searching, and in the
exhaustive scan of a block of node counts) as one array batch through
``dtsim.engine.evaluate_columns``: candidates that tie in the model (a hierarchical candidate
whose regional tier syncs every cycle gives the same c_local for every group size) come out
bit-identical, and the iteration order decides between them as in the paper.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses.families import Family
from dtsim.engine import evaluate_columns
from dtsim.inputs import compile_inputs
from dtsim.normalize import Columns, normalize, stack_scenarios
from dtsim.physics.compute import training_flop
from dtsim.result import Batch
from dtsim.scenario import Scenario, parse_scenario, set_path

__all__ = ["Choice", "PaperSearch"]

#: Node counts of the first exhaustive block, and the most candidate points one block holds.
_FIRST_BLOCK = 64
_MAX_BLOCK_POINTS = 262_144
#: Up to this many candidate points are one batch; above, each option's points are one batch.
_ONE_BATCH_POINTS = 16_384
#: Relative margin of the exhaustive scan's bounds: a candidate is skipped only when even its
#: bound falls short of the target by more than this (rounding of the engine's arithmetic).
_BOUND_MARGIN = 1e-9


@dataclass(frozen=True)
class Choice:
    """A selected candidate: its family, node count and result row (the keys of
    ``dtsim.Result``)."""

    family: int
    nodes: int
    row: dict[str, Any]


@dataclass(frozen=True)
class _Evaluated:
    """Result columns of a list of candidate points, evaluated in chunks (``where``: the points
    of each chunk)."""

    size: int
    chunks: tuple[tuple[NDArray[np.intp], Columns], ...]

    def numbers(self, key: str) -> NDArray[np.float64]:
        """One result column as floats, in point order."""
        out = np.full(self.size, np.nan)
        for where, columns in self.chunks:
            out[where] = np.asarray(columns[key], dtype=float)
        return out

    def row(self, point: int) -> dict[str, Any]:
        """The result row of one point (the keys of ``dtsim.Result``)."""
        for where, columns in self.chunks:
            at = np.flatnonzero(where == point)
            if len(at):
                i = int(at[0])
                return Batch({k: v[i : i + 1] for k, v in columns.items()}).row(0)
        raise IndexError(point)


@dataclass(frozen=True)
class _Picks:
    """Per request (unit, N): the probe's and the selection's point (-1: no candidate), whether
    the probe meets the target, and the evaluated columns the points index."""

    probe: NDArray[np.intp]
    select: NDArray[np.intp]
    meets: NDArray[np.bool_]
    family: NDArray[np.intp]
    nodes: NDArray[np.float64]
    columns: _Evaluated


def _first_max(score: NDArray[np.float64], starts: NDArray[np.intp], owner: NDArray[np.intp]) -> NDArray[np.intp]:
    """Per segment (points ``starts[i]`` up to the next start, in order): the first point of
    the largest score, or -1 when every score is -inf (no candidate)."""
    top = np.maximum.reduceat(score, starts)
    index = np.arange(len(score))
    at_top = np.where((score == top[owner]) & np.isfinite(score), index, len(score))
    first = np.minimum.reduceat(at_top, starts)
    return np.where(np.isfinite(top), first, -1)


class PaperSearch:
    """The paper's probe, selection and per-option searches over a list of ``paper`` families
    (built on ``base``), for one target and metric."""

    def __init__(
        self,
        base: Scenario,
        families: Sequence[Family],
        metric: str,
        target: float,
        overtraining_range: tuple[float, float] | None,
    ):
        self.families = tuple(families)
        self.metric = metric
        self.target = target
        self.overtraining_range = overtraining_range
        data = base.to_data()
        templates: dict[tuple[Any, ...], int] = {}
        scenarios: list[Scenario] = []
        template = np.empty(len(self.families), dtype=np.intp)
        for i, family in enumerate(self.families):
            key = (family.strategy, tuple(sorted(family.shared.items(), key=lambda kv: kv[0])))
            if key not in templates:
                templates[key] = len(scenarios)
                item = {**data, "strategy": family.strategy, "nodes": 1}
                for path, value in (*family.shared.items(), *family.fields.items()):  # fields: per point
                    set_path(item, path, value)
                scenarios.append(parse_scenario(item))
            template[i] = templates[key]
        self.templates = tuple(scenarios)
        self.template = template
        self.stacked = stack_scenarios(scenarios)
        self.normalized = normalize(self.stacked)
        self.params = np.array([f.fields["model.params"] for f in self.families])
        self.group = np.array([f.fields.get("network.nodes_per_group", np.nan) for f in self.families])
        self.min_nodes = np.array([f.min_nodes for f in self.families], dtype=np.int64)
        self.unit = np.array([f.unit for f in self.families], dtype=np.intp)
        self.units = tuple(np.flatnonzero(self.unit == u) for u in range(int(self.unit.max(initial=-1)) + 1))
        # The raw columns shared (length 1) by a set of templates and the paths that differ:
        # for all options together, and for each option alone.
        self._shared = self._split(np.arange(len(scenarios)))
        self._shared_by_unit = tuple(self._split(np.unique(template[m])) for m in self.units)
        self.scan_from = self._scan_bounds()

    def _split(self, templates: NDArray[np.intp]) -> tuple[Columns, tuple[str, ...]]:
        fixed: Columns = {}
        varied = []
        for path, values in self.stacked.items():
            if len(values) == 1 or _all_equal(values[templates]):
                fixed[path] = values[templates[:1]] if len(values) > 1 else values
            else:
                varied.append(path)
        return fixed, tuple(varied)

    def _scan_bounds(self) -> NDArray[np.int64]:
        """Per family, the smallest N at which it can reach the target (a huge value: never),
        for the exhaustive scan. In budget mode every candidate has c_quality ≤ c_local ≤ c_actual
        (η ≤ 1, χ ≤ 1) and c_actual = φ·P·D ≤ N·F·t (a node computes at most F FLOP/s for the
        budget t, whatever the schedule and goodput), while D = k·P·OT with OT in the range. So
        a candidate can reach T only if N ≥ T / (F·t) and N ≥ φ·k·P²·OT_low / (F·t), and only if
        φ·k·P²·OT_high ≥ T. In time-to-train mode only the family's own smallest N applies."""
        inputs = compile_inputs(self.normalized)
        template = self.template
        per_node = (inputs.node_flop_per_s * inputs.budget_s)[template]
        # C = φ·P·D at D = k·P (k tokens per parameter; multiplied by OT below)
        flop = training_flop(
            self.params, inputs.tokens_per_param[template] * self.params, inputs.flop_per_param_token[template]
        )
        floor = np.asarray(self.min_nodes, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            need = self.target * (1.0 - _BOUND_MARGIN) / per_node
            if self.overtraining_range is not None:
                low, high = self.overtraining_range
                need = np.maximum(need, flop * low * (1.0 - _BOUND_MARGIN) / per_node)
                need = np.where(flop * high < self.target * (1.0 - _BOUND_MARGIN), np.inf, need)
            bound = np.where(np.isfinite(per_node) & (per_node > 0), np.maximum(floor, np.ceil(need)), floor)
        return np.where(np.isfinite(bound), np.minimum(bound, 2.0**62), 2.0**62).astype(np.int64)

    # ----------------------------------------------------------------------------------------
    # Evaluation

    def _points(
        self, units: NDArray[np.intp], nodes: NDArray[np.int64], start: NDArray[np.int64]
    ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp]]:
        """The candidates of each request (units[i], nodes[i]) in iteration order, requests in
        order: (family, node count, request) per point; a family is a candidate from ``start``
        nodes on."""
        families, owners = [], []
        for u in np.unique(units):
            requests = np.flatnonzero(units == u)
            members = self.units[u]
            exists = start[members][None, :] <= nodes[requests][:, None]
            rows, cols = np.nonzero(exists)
            families.append(members[cols])
            owners.append(requests[rows])
        family = np.concatenate(families) if families else np.zeros(0, dtype=np.intp)
        owner = np.concatenate(owners) if owners else np.zeros(0, dtype=np.intp)
        order = np.argsort(owner, kind="stable")
        family, owner = family[order], owner[order]
        return family, nodes[owner].astype(float), owner

    def _evaluate(self, family: NDArray[np.intp], nodes: NDArray[np.float64]) -> _Evaluated:
        """Result columns of the candidates (family[i] at nodes[i]): one batch, or above
        ``_ONE_BATCH_POINTS`` one batch per option (whose node is then a single value for the
        whole batch, which the engine's normalisation handles faster). Either way every
        candidate of one option at one N is in the same batch."""
        if len(family) <= _ONE_BATCH_POINTS:
            parts = [(np.arange(len(family)), self._shared)]
        else:
            unit = self.unit[family]
            parts = [(np.flatnonzero(unit == u), self._shared_by_unit[u]) for u in np.unique(unit)]
        chunks = []
        for where, (fixed, varied) in parts:
            members = family[where]
            template = self.template[members]
            raw: Columns = {**fixed, **{path: self.stacked[path][template] for path in varied}}
            raw["nodes"] = nodes[where]
            raw["model.params"] = self.params[members]
            raw["network.nodes_per_group"] = self.group[members]
            chunks.append((where, evaluate_columns(raw, label="candidate").columns))
        return _Evaluated(len(family), tuple(chunks))

    def _picks(self, units: NDArray[np.intp], nodes: NDArray[np.int64], *, pruned: bool = False) -> _Picks:
        """The probe and the selection of each request (units[i], nodes[i]), all evaluated as
        one batch; ``pruned``: leave out the candidates that cannot reach the target (the
        exhaustive scan's bounds; the probe's candidate may then differ, never whether it
        reaches the target nor the selection where it does)."""
        count = len(units)
        family, at, owner = self._points(units, nodes, self.scan_from if pruned else self.min_nodes)
        none = np.full(count, -1, dtype=np.intp)
        if not len(family):
            return _Picks(none, none, np.zeros(count, dtype=bool), family, at, _Evaluated(0, ()))
        columns = self._evaluate(family, at)
        metric = columns.numbers(self.metric)
        quality = columns.numbers("c_quality")
        valid = (columns.numbers("feasible") > 0) & np.isfinite(metric)
        if self.overtraining_range is not None:
            low, high = self.overtraining_range
            ratio = columns.numbers("overtraining_ratio")
            with np.errstate(invalid="ignore"):
                valid &= (ratio >= low) & (ratio <= high)
        counts = np.bincount(owner, minlength=count)
        present = np.flatnonzero(counts > 0)
        starts = (np.cumsum(counts) - counts)[present]
        segment = np.searchsorted(present, owner)  # owner → position among present requests
        with np.errstate(invalid="ignore"):
            reach = valid & (metric >= self.target)
        probe = _first_max(np.where(valid, metric, -np.inf), starts, segment)
        chosen = _first_max(np.where(reach, quality, -np.inf), starts, segment)
        chosen = np.where(chosen >= 0, chosen, probe)
        probes, selects = none.copy(), none.copy()
        probes[present], selects[present] = probe, chosen
        meets = np.zeros(count, dtype=bool)
        found = probes >= 0
        meets[found] = reach[probes[found]]
        return _Picks(probes, selects, meets, family, at, columns)

    def _choice(self, picks: _Picks, point: int) -> Choice:
        row = picks.columns.row(point)
        return Choice(int(picks.family[point]), int(picks.nodes[point]), row)

    # ----------------------------------------------------------------------------------------
    # Searches per option

    def bisection(self, max_nodes: int) -> list[Choice | None]:
        """paper_tables.md §7 for every option at once: N = 1 by selection; none when the probe
        at max_nodes misses; else a bisection on N over [2, max_nodes] with the probe, and the
        selection at its end. Only whether the probe reaches the target decides a step of the
        bisection, so those steps leave out the candidates that cannot reach it (``pruned``)."""
        units = np.arange(len(self.units), dtype=np.intp)
        answers: list[Choice | None] = [None] * len(units)
        first = self._picks(units, np.ones(len(units), dtype=np.int64))
        for u in np.flatnonzero(first.meets):
            answers[u] = self._choice(first, int(first.select[u]))
        rest = units[~first.meets]
        top = self._picks(rest, np.full(len(rest), max_nodes, dtype=np.int64), pruned=True)
        rest = rest[top.meets]
        low = np.full(len(rest), 2, dtype=np.int64)
        high = np.full(len(rest), max_nodes, dtype=np.int64)
        while (low < high).any():
            step = np.flatnonzero(low < high)
            mid = (low[step] + high[step]) // 2
            ok = self._picks(rest[step], mid, pruned=True).meets
            high[step[ok]] = mid[ok]
            low[step[~ok]] = mid[~ok] + 1
        last = self._picks(rest, low)
        for i, u in enumerate(rest):
            answers[u] = self._choice(last, int(last.select[i]))
        return answers

    def exhaustive(self, max_nodes: int, cost_bound: float | None = None) -> list[Choice | None]:
        """paper_tables.md §9 for every option at once: the smallest N in [1, max_nodes] at which
        the probe reaches the target, and the selection there. Node counts are scanned upwards
        in blocks (each block of every option still searching is one batch), skipping the node
        counts and candidates that cannot reach the target (``_scan_bounds``).

        ``cost_bound`` (USD): only the cheapest answer is wanted, and it costs at most this much
        (for example the bisection's answer). Each option is then scanned only up to that cost,
        which falls to the cost of each answer found; an option without an answer within it is
        None, so only the cheapest option's entry (and those of equal cost) is certain."""
        units = np.arange(len(self.units), dtype=np.intp)
        answers: list[Choice | None] = [None] * len(units)
        node_cost = self.node_cost_usd
        limit = np.full(len(units), max_nodes, dtype=np.int64)
        bound = math.inf if cost_bound is None else cost_bound

        def tighten() -> None:
            if math.isfinite(bound):
                with np.errstate(invalid="ignore", divide="ignore"):
                    most = np.floor(bound * (1.0 + _BOUND_MARGIN) / node_cost)
                limit[:] = np.where(np.isfinite(most), np.minimum(limit, np.minimum(most, max_nodes)), limit)

        tighten()
        low = np.array([max(1, int(self.scan_from[m].min(initial=2**62))) for m in self.units], dtype=np.int64)
        width = _FIRST_BLOCK
        active = low <= limit
        while active.any():
            live = units[active]
            spans = [np.arange(low[u], min(low[u] + width, limit[u] + 1), dtype=np.int64) for u in live]
            request_units = np.repeat(live, [len(s) for s in spans])
            request_nodes = np.concatenate(spans)
            picks = self._picks(request_units, request_nodes, pruned=True)
            offset = 0
            for u, span in zip(live, spans, strict=True):
                hits = np.flatnonzero(picks.meets[offset : offset + len(span)])
                if len(hits):
                    answers[u] = found = self._choice(picks, int(picks.select[offset + hits[0]]))
                    active[u] = False
                    if cost_bound is not None and math.isfinite(found.row["cost_usd"] or math.nan):
                        bound = min(bound, float(found.row["cost_usd"]))
                else:
                    low[u] = span[-1] + 1
                offset += len(span)
            tighten()
            active &= low <= limit
            per_node = max(1, max((len(self.units[u]) for u in live), default=1) * len(live))
            width = int(min(2 * width, max(_FIRST_BLOCK, _MAX_BLOCK_POINTS // per_node)))
        return answers

    @property
    def node_cost_usd(self) -> NDArray[np.float64]:
        """Per option, the purchase cost of one node (before the failure layer's multiplier,
        which is never below 1); NaN where it is unknown."""
        inputs = compile_inputs(self.normalized)
        per_template = np.asarray(inputs.node_cost_usd, dtype=float)
        return np.array([per_template[self.template[m[0]]] if len(m) else np.nan for m in self.units])


def _all_equal(values: np.ndarray) -> bool:
    first = values[0]
    if values.dtype == object:
        return all(_same(v, first) for v in values[1:])
    if values.dtype.kind == "f":
        return bool(np.all((values == first) | (np.isnan(values) & np.isnan(first))))
    return bool(np.all(values == first))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) if not (a is None or b is None) else a is b
