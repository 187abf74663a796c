"""The smallest node count at which a metric reaches a target: exact, for many scenarios at once.

For each sample s (one scenario, or the draws of an uncertainty analysis) find

    N*(s) = min { N ∈ [1, max_nodes] : m_s(N) ≥ T }

where m_s(N) is a result key (c_local, c_quality, c_actual) of the scenario run on N nodes. m is
not monotone in N (variants.md §2.6): under the revised physics c_local(69) = 6.985e24 >
c_local(70) = 6.932e24 because H steps from 19 to 20, so a bisection on N can miss the first
crossing. The answer here is always the true smallest N.

**The efficiency bound.** Write m(N) = N·e(N), e the metric per node. Premises:

(E) Within one *regime* e(N) is non-increasing: a node never contributes more when there are
    more of them. For c_actual = N·F·T·u this is u non-increasing; with streaming and automatic
    H, u = 1. For c_local = c_actual·η_H·η_c·η_replicas·η_act: η_c is fixed and η_act = 1
    (flat and hierarchical runs); η_H = max(floor, 1 − α·log10 H) falls as H grows, and H
    never falls as N grows, because t_step does not depend on N while every synchronisation
    time is non-decreasing in its participants (the straggler factor 1 + c·log2 n, or 1, under
    every mode; the seed, ring and tree collectives, variants.md §6-§7; H_regional and G = ⌊N/k⌋
    likewise); η_replicas is non-increasing in the replicas R = N under every penalty:
    ``none`` (1), ``seed`` (max(floor, 1 − k·log2 R)), ``loss-multiplier`` (χ_full/χ_OT =
    C'(m·L)/C'(L) with m = R^β, β growing with ln H: d ln(C'(m·L)/C'(L))/dN =
    −(d ln m/dN)/ε_m + |d ln L/dN|·(1/ε_m − 1/ε_1) ≤ 0, since the elasticity ε of the
    Chinchilla frontier L_opt(C) = E + a·C^−p + b·C^−q falls as C grows (Cauchy-Schwarz) and
    C'(m·L) ≤ C'(L); the caps at χ = 1 are covered by the tests). The single node (η = 1,
    u = 1) has the largest e of all. c_quality = c_local·χ is not covered: χ rises while a run
    is undertrained, so its e can grow.
(R) Regimes follow each other in N and do not return: flat DiLoCo has one; hierarchical DiLoCo
    runs flat below two groups and tiered from 2k nodes on (where H_eff drops, so e can jump
    up). In flat DiLoCo the refusals that depend on N (not one outer step within the budget)
    hold on a suffix of node counts, since the outer step only grows.

Under (E), a node count lo in the same regime as every n in (lo, x] gives
m(n) ≤ n·m(lo)/lo, so no n < T·lo/m(lo) reaches the target. The search therefore keeps, per
sample, the largest node count ``lo`` known to miss, with everything below it missing too, and
evaluates the next candidate n = max(lo + 1, ⌈T·lo/m(lo)⌉): a hit is the answer, a miss becomes
the new ``lo``. The candidates rise to N* and never pass it; each step multiplies the distance
to N* by about the elasticity of e (0.01-0.4 here), so a dozen rounds of one evaluation per
sample suffice. When a candidate lies in a later regime, the first node count of that regime
is found by bisection between lo and the candidate (regimes are ordered), and the search
continues from there. A probe that contradicts (E) (e rising within a regime), an infeasible
probe outside flat DiLoCo, or a sample still open after ``MAX_BOUND_STEPS`` rounds goes to the
exact scan.

**The exact scan** (points where the premises are not established: c_quality, blocking
DiLoCo, fixed H, a token budget, the reliability layer, other strategies) evaluates every node
count from 2 upwards in growing blocks (2-64, then 16 times wider), and stops at the first hit.
It needs no premise. Both searches evaluate arrays of (sample, N) points, never one node count
per Python call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dtsim.engine import plan_sweep
from dtsim.normalize import RELIABILITY_ON, normalize
from dtsim.rules import check_columns
from dtsim.scenario import Scenario

__all__ = [
    "BOUND_METRICS",
    "MAX_BOUND_STEPS",
    "Probes",
    "Smallest",
    "bound_premise",
    "premise_for",
    "regime",
    "smallest_reaching",
]

#: Metrics for which premise (E) is argued (see the module docstring).
BOUND_METRICS = frozenset({"c_local", "c_actual"})
#: Rounds of the bound search after which a sample still open is scanned instead.
MAX_BOUND_STEPS = 200
#: Widest block of node counts the exact scan evaluates for one sample in one call.
_MAX_SCAN_SPAN = 65_536
#: Relative slack on the efficiency comparison (floating-point noise).
_SLACK = 1e-12


@dataclass(frozen=True)
class Probes:
    """Evaluations of (sample, N) points: the metric (NaN where infeasible) and the regime
    (``regime``)."""

    metric: NDArray[np.float64]
    regime: NDArray[np.float64]


#: ``evaluate(samples, nodes)``: the probes of sample ``samples[i]`` at ``nodes[i]`` nodes.
Evaluate = Callable[[NDArray[np.intp], NDArray[np.float64]], Probes]


@dataclass(frozen=True)
class Smallest:
    """Per sample: the smallest node count reaching the target (NaN: none ≤ max_nodes), and
    whether any evaluated node count was feasible."""

    nodes: NDArray[np.float64]
    feasible: NDArray[np.bool_]


def regime(columns: Mapping[str, np.ndarray]) -> NDArray[np.float64]:
    """0 for a flat run (flat DiLoCo, and hierarchical below two groups), 1 for a tiered
    hierarchical run, from result columns."""
    tiered = np.asarray(columns["inner_steps_regional"], dtype=float)
    return np.where(np.isnan(tiered), 0.0, 1.0)


def bound_premise(columns: Mapping[str, np.ndarray], metric: str, size: int) -> NDArray[np.bool_]:
    """Per point of normalised scenario columns (``dtsim.normalize``; length 1 or ``size``):
    whether premises (E) and (R) of the module docstring are established, so that the bound
    search is exact; elsewhere the exact scan is used."""
    if metric not in BOUND_METRICS:
        return np.zeros(size, dtype=bool)

    def column(path: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(columns[path]), (size,))

    strategy = column("strategy")
    return np.asarray(
        ((strategy == "diloco") | (strategy == "hierarchical"))
        & np.isnan(column("training.tokens").astype(float))
        & (column("training.streaming").astype(float) == 1.0)
        & np.isnan(column("training.inner_steps").astype(float))
        & ~column(RELIABILITY_ON).astype(bool),
        dtype=bool,
    )


def premise_for(
    base: Scenario, axes: Mapping[str, np.ndarray], size: int, metric: str
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """For ``base`` with zipped ``axes`` (one value per sample): where the bound search is
    exact (``bound_premise``), and where infeasibility holds on a suffix of node counts (flat
    DiLoCo, premise (R))."""
    plan = plan_sweep(base, {**axes, "nodes": np.ones(size)})
    raw = plan.columns(0, size)
    check_columns(raw)
    columns = normalize(raw)
    flat = np.broadcast_to(np.asarray(columns["strategy"]) == "diloco", (size,))
    return bound_premise(columns, metric, size), np.asarray(flat, dtype=bool)


def smallest_reaching(
    evaluate: Evaluate,
    size: int,
    target: float,
    max_nodes: int,
    bounded: NDArray[np.bool_],
    *,
    suffix: NDArray[np.bool_] | bool = False,
) -> Smallest:
    """Smallest N in [1, max_nodes] with metric ≥ ``target`` for each of ``size`` samples: the
    bound search where ``bounded`` is true, the exact scan elsewhere (module docstring).
    ``suffix``: where an infeasible node count makes every larger one infeasible (flat DiLoCo)."""
    bounded = np.broadcast_to(np.asarray(bounded, dtype=bool), (size,))
    suffix = np.broadcast_to(np.asarray(suffix, dtype=bool), (size,))
    first = evaluate(np.arange(size), np.ones(size))
    answer = np.full(size, np.nan)
    feasible = np.isfinite(first.metric)
    hit = feasible & (first.metric >= target)
    answer[hit] = 1.0
    more = ~hit & (max_nodes > 1)
    search = np.flatnonzero(more & bounded & feasible)
    found, rest = _bound_search(evaluate, search, first, target, max_nodes, suffix[search], feasible)
    answer[search] = found
    # Infeasible at N = 1: at every N in flat DiLoCo (R); elsewhere the scan decides.
    scan = np.union1d(np.flatnonzero(more & ~bounded | more & bounded & ~feasible & ~suffix), rest)
    answer[scan] = _scan(evaluate, scan, target, max_nodes, feasible)
    return Smallest(answer, feasible)


def _bound_search(
    evaluate: Evaluate,
    samples: NDArray[np.intp],
    first: Probes,
    target: float,
    max_nodes: int,
    suffix: NDArray[np.bool_],
    feasible: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """The bound search for ``samples`` (feasible at N = 1, which misses the target): their
    answers, and the samples left to the exact scan."""
    m = len(samples)
    answer = np.full(m, np.nan)
    active = np.ones(m, dtype=bool)
    to_scan = np.zeros(m, dtype=bool)
    lo = np.ones(m, dtype=np.int64)
    lo_val, lo_reg = first.metric[samples].copy(), first.regime[samples].copy()
    up = np.zeros(m, dtype=np.int64)  # 0: no known node count in a later regime
    up_val, up_reg = np.full(m, np.nan), np.full(m, np.nan)
    steps = 0

    while active.any():
        # A later-regime point next to lo is that regime's first node count: continue from it.
        e = np.flatnonzero(active & (up == lo + 1))
        reached = up_val[e] >= target
        answer[e[reached]] = up[e[reached]]
        active[e[reached]] = False
        go = e[~reached]
        lo[go], lo_val[go], lo_reg[go], up[go] = up[go], up_val[go], up_reg[go], 0

        steps += 1
        if steps > MAX_BOUND_STEPS:
            to_scan |= active
            break
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        a_lo = lo[idx]
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            jump = np.ceil(target * a_lo / lo_val[idx] * (1.0 - _SLACK))  # never past a tie
        candidate = np.maximum(a_lo + 1, np.minimum(np.nan_to_num(jump, nan=max_nodes + 1), max_nodes + 1)).astype(
            np.int64
        )
        boundary = (up[idx] > 0) & (up[idx] <= candidate)
        probe = np.where(boundary, (a_lo + up[idx]) // 2, np.minimum(candidate, max_nodes))
        probes = evaluate(samples[idx], probe.astype(float))
        val, reg = probes.metric, probes.regime
        ok = np.isfinite(val)
        feasible[samples[idx]] |= ok
        same = ok & (reg == lo_reg[idx])
        with np.errstate(invalid="ignore"):
            rising = same & (val / probe > lo_val[idx] / a_lo * (1.0 + _SLACK))
            hit = same & (val >= target)
        # A rise in efficiency, or a hit the bound excluded, contradicts (E); an infeasible point
        # outside flat DiLoCo has no known place: such samples go to the exact scan.
        flat = suffix[idx]
        scan = rising | (hit & (probe < candidate)) | (~ok & ~flat)
        to_scan[idx[scan]] = True
        # An infeasible point of flat DiLoCo: every larger N is infeasible, every smaller one
        # is excluded by the bound (no bisection happens in a run with one regime).
        nothing = ~scan & ~ok & flat
        answered = ~scan & hit
        answer[idx[answered]] = probe[answered]
        later = ~scan & ok & ~same
        s = idx[later]
        up[s], up_val[s], up_reg[s] = probe[later], val[later], reg[later]
        missed = ~scan & same & ~hit
        s = idx[missed]
        lo[s], lo_val[s] = probe[missed], val[missed]
        active[idx[scan | nothing | answered]] = False
        active[s[lo[s] >= max_nodes]] = False
    return answer, samples[to_scan]


def _scan_blocks(max_nodes: int) -> list[tuple[int, int]]:
    """Node-count blocks of the exact scan from N = 2: 2-64, then 16 times wider, at most
    ``_MAX_SCAN_SPAN`` wide."""
    blocks, start, span = [], 2, 63
    while start <= max_nodes:
        stop = min(start + span - 1, max_nodes)
        blocks.append((start, stop))
        start, span = stop + 1, min(16 * span, _MAX_SCAN_SPAN)
    return blocks


def _scan(
    evaluate: Evaluate, samples: NDArray[np.intp], target: float, max_nodes: int, feasible: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """The exact scan: every node count from 2 upwards, block by block, for the samples still
    without an answer; each evaluation holds at most ``_MAX_SCAN_SPAN`` points."""
    answer = np.full(len(samples), np.nan)
    for start, stop in _scan_blocks(max_nodes):
        todo = np.flatnonzero(np.isnan(answer))
        if not len(todo):
            break
        span = stop - start + 1
        per_call = max(1, _MAX_SCAN_SPAN // span)
        for group in np.array_split(todo, math.ceil(len(todo) / per_call)):
            nodes = np.tile(np.arange(start, stop + 1, dtype=float), len(group))
            values = evaluate(samples[np.repeat(group, span)], nodes).metric.reshape(len(group), span)
            feasible[samples[group]] |= np.isfinite(values).any(axis=1)
            with np.errstate(invalid="ignore"):
                hit = values >= target
            found = hit.any(axis=1)
            answer[group[found]] = start + np.argmax(hit[found], axis=1)
    return answer
