"""The reliability layer on its own: a scenario's failure statistics, goodput and checkpoints,
and every mitigation side by side (reliability.md §13)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from dtsim.analyses._args import ScenarioInput
from dtsim.analyses._args import scenario_argument as _scenario
from dtsim.analyses._result import AnalysisResult, plain
from dtsim.engine import compile_scenario, simulate
from dtsim.errors import InfeasibleError
from dtsim.outcome import RELIABILITY_KEYS, failure_window_s, reliability_outcome
from dtsim.physics.reliability import MITIGATIONS
from dtsim.scenario import Scenario
from dtsim.strategies import schedule

__all__ = ["MitigationRow", "MitigationTable", "ReliabilityBlock", "mitigation_table", "reliability"]


@dataclass(frozen=True)
class ReliabilityBlock(AnalysisResult):
    """The reliability block of one scenario (reliability.md §9) with its GPU count and tail.

    Attributes:
        mitigation: the failure mitigation in force.
        goodput: γ, the share of the run's time that trains.
        time_inflation: 1/γ (null when γ = 0).
        eta_mitigation: the mitigation's quality factor.
        cost_multiplier: the mitigation's hardware cost factor.
        cluster_mtbf_hours: mean time between failures of the cluster (null with no failures).
        cluster_failures_per_day: failures per day across the cluster.
        expected_failures: failures expected over the run.
        gpu_hours_lost: GPU-hours lost to failures.
        node_unavailability: p_down, the share of time a node is down.
        checkpoint_interval_hours: the optimal checkpoint interval (null where not used).
        checkpoint_cost_s: seconds one checkpoint costs.
        gpu_memory_checkpoint_feasible: whether checkpoints fit in the peers' GPU memory.
        gpus: GPUs in the run.
        straggler_factor: the synchronisation tail factor.
    """

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


def _on(scenario: Any) -> Scenario:
    parsed = _scenario("scenario", scenario)
    if parsed.reliability is None:
        parsed = parsed.with_values(reliability={})
    return parsed


def reliability(scenario: ScenarioInput) -> ReliabilityBlock:
    """A scenario's failure statistics, goodput and checkpoints (reliability.md §13).

    The layer is on at its defaults when the scenario has no reliability section: failure
    statistics, goodput, time inflation, checkpoint cost and interval, the mitigation's quality
    and cost factors, the GPU count and the sync tail. It needs no throughput evaluation and
    reports goodput 0 instead of refusing; the values equal the block ``simulate`` reports for
    the same scenario.

    Args:
        scenario: the run (any strategy); its reliability section, if any, sets the layer.
    """
    parsed = _on(scenario)
    inputs = compile_scenario(parsed)
    strategy = parsed.strategy or "diloco"
    with np.errstate(all="ignore"):
        sched = schedule(strategy, inputs)
        block = reliability_outcome(inputs, sched, failure_window_s(inputs, sched))
    assert block is not None
    values = {key: plain(np.asarray(block[key])[0]) for key in ("mitigation", *RELIABILITY_KEYS)}
    values["gpu_memory_checkpoint_feasible"] = bool(values["gpu_memory_checkpoint_feasible"])
    values["gpus"] = int(np.asarray(block["gpus"])[0])
    values["straggler_factor"] = float(np.asarray(block["straggler_factor"])[0])
    return ReliabilityBlock(**values)


@dataclass(frozen=True)
class MitigationRow(AnalysisResult):
    """One mitigation applied to the scenario: its tail, goodput and what it costs (every value
    null when the mitigation leaves no goodput).

    Attributes:
        mitigation: the mitigation.
        straggler_factor: the synchronisation tail factor.
        goodput: γ.
        eta_mitigation: the quality factor.
        cost_multiplier: the hardware cost factor.
        c_local: local-equivalent compute, FLOP.
        gpu_hours_lost: GPU-hours lost to failures.
        time_inflation: 1/γ.
        cost_usd: hardware cost, USD.
    """

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
class MitigationTable(AnalysisResult):
    """Every mitigation side by side for one scenario (reliability.md §13).

    Attributes:
        rows: one row per mitigation, in the spec's order.
    """

    rows: tuple[MitigationRow, ...]


def mitigation_table(scenario: ScenarioInput) -> MitigationTable:
    """Every failure mitigation applied to one scenario, side by side (reliability.md §13).

    ``simulate`` once per mitigation (none, synchronous, threshold, relay, async,
    backup_workers, checkpoint_elastic): tail, goodput, quality and cost factors, c_local,
    GPU-hours lost, time inflation and cost; a mitigation whose goodput is 0 gives a row of
    nulls.

    Args:
        scenario: the run; its reliability section, if any, sets everything but the mitigation.
    """
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
