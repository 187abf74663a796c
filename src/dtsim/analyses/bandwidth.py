"""The WAN bandwidth a configuration needs to keep a target compute utilisation.

The inverse of ``compute_utilization`` (spec ``variants.md`` §9.4) in
``network.wan.bandwidth_mbps``: for each target u* (50 / 90 / 95 / 99 % by default), the
smallest bandwidth at which the scenario's compute utilisation reaches u*. Everything comes
from the engine: one sweep over a log grid of bandwidths brackets each target, then a
vectorised bisection in log bandwidth (one zipped sweep per step, all targets at once) narrows
each bracket to a relative width of 1e-10. Whatever sync-time variant the scenario selects
(collective, straggler mode, asymmetric links excepted, blocking or streaming, any strategy)
is therefore the one inverted.

Utilisation is non-decreasing in bandwidth for a fixed ``training.inner_steps``, the case this
analysis is meant for. With automatic H it need not be (H steps with the sync time); the
answer is then the first crossing on the grid, refined. With automatic H and streaming the
utilisation is 1 at every bandwidth, and each target is ``any``. A point that the physics
refuses at some bandwidth (e.g. one outer step longer than the budget) counts as not reaching
the target there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dtsim.analyses._args import Number, Numbers, ScenarioInput, number
from dtsim.analyses._result import AnalysisResult
from dtsim.engine import sweep
from dtsim.errors import ScenarioError
from dtsim.scenario import Scenario, parse_scenario

__all__ = [
    "DEFAULT_TARGETS",
    "BandwidthForUtilization",
    "UtilizationTarget",
    "bandwidth_for_utilization",
]

#: The utilisation targets of the default question (50 / 90 / 95 / 99 %).
DEFAULT_TARGETS: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99)
#: Default search range, Mbps: from 1 kbit/s to the largest bandwidth a scenario accepts.
LOW_MBPS = 1e-3
HIGH_MBPS = 1e9
#: Bracketing grid: points per decade of bandwidth.
_GRID_PER_DECADE = 10
#: Relative width at which the bisection stops.
_RTOL = 1e-10
_AXIS = "network.wan.bandwidth_mbps"

Status = Literal["found", "any", "unreachable"]


@dataclass(frozen=True)
class UtilizationTarget(AnalysisResult):
    """The answer for one target.

    Attributes:
        target: the compute utilisation to keep, in (0, 1].
        status: found (bandwidth_mbps is the smallest bandwidth reaching the target, to a
            relative 1e-10), any (reached at the lowest bandwidth searched: bandwidth does not
            limit it) or unreachable (not reached at the highest, e.g. latency-bound).
        bandwidth_mbps: the bandwidth needed, Mbps (null unless found).
        compute_utilization: the scenario's utilisation at the answer.
        sync_s: one synchronisation at the answer, s.
        inner_steps: H at the answer.
    """

    target: float
    status: Status
    bandwidth_mbps: float | None
    compute_utilization: float
    sync_s: float
    inner_steps: float


@dataclass(frozen=True)
class BandwidthForUtilization(AnalysisResult):
    """The bandwidth each target utilisation needs, and the search range.

    Attributes:
        name: the scenario's name.
        targets: one answer per target utilisation.
        low_mbps: the lowest bandwidth searched, Mbps.
        high_mbps: the highest bandwidth searched, Mbps.
    """

    name: str | None
    targets: tuple[UtilizationTarget, ...]
    low_mbps: float
    high_mbps: float


def _targets(targets: Any) -> tuple[float, ...]:
    if isinstance(targets, str | bytes | Mapping) or not isinstance(targets, Sequence | np.ndarray):
        raise ScenarioError("targets", targets, "expected a list of utilisations in (0, 1]")
    if len(targets) == 0:
        raise ScenarioError("targets", list(targets), "expected at least one utilisation in (0, 1]")
    return tuple(number("targets", t, low=0.0, high=1.0, low_open=True) for t in targets)


def _base(scenario: Any) -> Scenario:
    if not isinstance(scenario, Scenario | Mapping):
        raise ScenarioError("scenario", scenario, "expected a scenario mapping")
    base = parse_scenario(scenario, source="scenario")
    wan = base.network.wan if base.network is not None else None
    for key in ("upload_mbps", "download_mbps"):
        value = getattr(wan, key, None) if wan is not None else None
        if value is not None:
            raise ScenarioError(
                f"scenario.network.wan.{key}",
                value,
                "bandwidth_for_utilization varies network.wan.bandwidth_mbps (both directions); "
                "leave upload_mbps and download_mbps unset",
            )
    return base


def _utilization(base: Scenario, bandwidth_mbps: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """compute_utilization, sync_s and inner_steps at each bandwidth (one zipped sweep); a
    refused point has utilisation −inf."""
    columns = sweep(base, {_AXIS: bandwidth_mbps}).columns
    feasible = np.asarray(columns["feasible"], dtype=bool)
    u = np.where(feasible, np.asarray(columns["compute_utilization"], dtype=float), -np.inf)
    return {
        "u": u,
        "sync_s": np.asarray(columns["sync_s"], dtype=float),
        "inner_steps": np.asarray(columns["inner_steps"], dtype=float),
    }


def bandwidth_for_utilization(
    scenario: ScenarioInput,
    targets: Numbers = DEFAULT_TARGETS,
    *,
    low_mbps: Number = LOW_MBPS,
    high_mbps: Number = HIGH_MBPS,
) -> BandwidthForUtilization:
    """The WAN bandwidth a configuration needs to keep each target compute utilisation.

    The smallest ``network.wan.bandwidth_mbps`` in [low_mbps, high_mbps] at which the scenario
    keeps each target; the search is one sweep over a log grid, then a bisection of all targets
    at once. Raises the scenario's InfeasibleError when no bandwidth in the range is feasible.

    Args:
        scenario: the configuration (it must not set upload_mbps or download_mbps: both
            directions vary together).
        targets: compute utilisations to keep, each in (0, 1].
        low_mbps: lowest bandwidth searched, Mbps (> 0).
        high_mbps: highest bandwidth searched, Mbps (≤ 1e9).
    """
    wanted = _targets(targets)
    low = number("low_mbps", low_mbps, low=1e-6)
    high = number("high_mbps", high_mbps, high=HIGH_MBPS)
    if not low < high:
        raise ScenarioError("low_mbps", low_mbps, f"must be below high_mbps ({high_mbps:g})")
    base = _base(scenario)

    decades = math.log10(high / low)
    grid = np.logspace(math.log10(low), math.log10(high), max(2, math.ceil(decades * _GRID_PER_DECADE) + 1))
    on_grid = _utilization(base, grid)
    if not np.isfinite(on_grid["u"]).any():
        sweep(base, {_AXIS: [high]}, strict=True)  # raises the scenario's InfeasibleError

    t = np.asarray(wanted)
    reached = on_grid["u"][None, :] >= t[:, None]  # (targets, grid)
    first = np.where(reached.any(axis=1), np.argmax(reached, axis=1), -1)
    bracketed = first > 0
    lo = np.where(bracketed, grid[np.maximum(first - 1, 0)], np.nan)
    hi = np.where(bracketed, grid[np.maximum(first, 0)], np.nan)
    if bracketed.any():
        steps = math.ceil(math.log2(math.log(grid[1] / grid[0]) / math.log1p(_RTOL)))
        idx = np.flatnonzero(bracketed)
        for _ in range(steps):
            mid = np.sqrt(lo[idx] * hi[idx])
            ok = _utilization(base, mid)["u"] >= t[idx]
            hi[idx] = np.where(ok, mid, hi[idx])
            lo[idx] = np.where(ok, lo[idx], mid)
        at_answer = _utilization(base, hi[idx])

    results = []
    for i, target in enumerate(wanted):
        if bracketed[i]:
            j = int(np.searchsorted(idx, i))
            status: Status = "found"
            bandwidth: float | None = float(hi[i])
            u, sync, h = (at_answer[k][j] for k in ("u", "sync_s", "inner_steps"))
        else:
            status = "any" if first[i] == 0 else "unreachable"
            point = 0 if first[i] == 0 else len(grid) - 1
            bandwidth = None
            u, sync, h = (on_grid[k][point] for k in ("u", "sync_s", "inner_steps"))
        results.append(UtilizationTarget(float(target), status, bandwidth, float(u), float(sync), float(h)))
    return BandwidthForUtilization(base.name, tuple(results), low, high)
