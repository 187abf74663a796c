"""The reliability layer on its own: a scenario's failure statistics, goodput and checkpoints,
and every mitigation side by side (reliability.md §13)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dtsim.engine import compile_scenario, simulate
from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.outcome import RELIABILITY_KEYS, failure_window_s, reliability_outcome
from dtsim.physics.reliability import MITIGATIONS
from dtsim.scenario import Scenario, parse_scenario
from dtsim.strategies import schedule

__all__ = ["MitigationRow", "MitigationTable", "ReliabilityBlock", "mitigation_table", "reliability"]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class ReliabilityBlock:
    """The reliability block of one scenario (reliability.md §9) with its GPU count and tail."""

    mitigation: str
    goodput: float
    time_inflation: float | None
    eta_mitigation: float
    cost_multiplier: float
    cluster_mtbf_hours: float | None
    cluster_failures_per_day: float
    expected_failures: float
    gpu_hours_lost: float
    node_unavailability: float
    checkpoint_interval_hours: float | None
    checkpoint_cost_s: float
    gpu_memory_checkpoint_feasible: bool
    gpus: int
    straggler_factor: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict of the block."""
        return asdict(self)


def _on(scenario: Mapping[str, Any] | Scenario) -> Scenario:
    if not isinstance(scenario, Mapping | Scenario):
        raise ScenarioError("scenario", type(scenario).__name__, "expected a scenario mapping")
    parsed = parse_scenario(scenario, source="scenario")
    if parsed.reliability is None:
        parsed = parsed.with_values(reliability={})
    return parsed


def reliability(scenario: Mapping[str, Any] | Scenario) -> ReliabilityBlock:
    """The reliability block of ``scenario`` (the layer on at its defaults when the scenario has
    no ``reliability`` section): failure statistics, goodput, time inflation, checkpoint cost and
    interval, the mitigation's quality and cost factors, the GPU count and the sync tail. It needs
    no throughput evaluation and reports goodput 0 instead of refusing (reliability.md §13); the
    values equal the block ``simulate`` reports for the same scenario."""
    parsed = _on(scenario)
    inputs = compile_scenario(parsed)
    strategy = parsed.strategy or "diloco"
    with np.errstate(all="ignore"):
        sched = schedule(strategy, inputs)
        block = reliability_outcome(inputs, sched, failure_window_s(inputs, sched))
    assert block is not None
    values = {key: _plain(np.asarray(block[key])[0]) for key in ("mitigation", *RELIABILITY_KEYS)}
    values["gpu_memory_checkpoint_feasible"] = bool(values["gpu_memory_checkpoint_feasible"])
    values["gpus"] = int(np.asarray(block["gpus"])[0])
    values["straggler_factor"] = float(np.asarray(block["straggler_factor"])[0])
    return ReliabilityBlock(**values)


@dataclass(frozen=True)
class MitigationRow:
    """One mitigation applied to the scenario: its tail, goodput and what it costs."""

    mitigation: str
    straggler_factor: float | None
    goodput: float | None
    eta_mitigation: float | None
    cost_multiplier: float | None
    c_local: float | None
    gpu_hours_lost: float | None
    time_inflation: float | None
    cost_usd: float | None


@dataclass(frozen=True)
class MitigationTable:
    """Every mitigation side by side for one scenario (reliability.md §13)."""

    rows: tuple[MitigationRow, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict: ``rows``, one per mitigation in the spec's order."""
        return {"rows": [asdict(row) for row in self.rows]}


def mitigation_table(scenario: Mapping[str, Any] | Scenario) -> MitigationTable:
    """``simulate`` once per mitigation (none, synchronous, threshold, relay, async,
    backup_workers, checkpoint_elastic): tail, goodput, quality and cost factors, c_local,
    GPU-hours lost, time inflation and cost; a mitigation whose goodput is 0 gives a row of
    nulls (reliability.md §13)."""
    base = _on(scenario)
    data = base.to_data()
    rows = []
    for mitigation in MITIGATIONS:
        data["reliability"] = {**data.get("reliability", {}), "mitigation": mitigation}
        try:
            r = simulate(data).to_dict()
        except InfeasibleError:
            rows.append(MitigationRow(mitigation, None, None, None, None, None, None, None, None))
            continue
        rows.append(
            MitigationRow(
                mitigation,
                r["straggler_factor"],
                r["goodput"],
                r["eta_mitigation"],
                r["cost_multiplier"],
                r["c_local"],
                r["gpu_hours_lost"],
                r["time_inflation"],
                r["cost_usd"],
            )
        )
    return MitigationTable(tuple(rows))
