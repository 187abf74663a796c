"""Named analyses: questions answered with many evaluations of the engine (model.md §3;
variants.md §13; reliability.md §13).

Each analysis is a public function with typed, documented arguments that returns a frozen
result dataclass (``to_dict()`` gives its JSON-serialisable form). ``ANALYSES`` maps each name to
its registry entry (``registry.Analysis``: summary, arguments, result keys, read from the
function itself); ``analyze(name, **args)`` runs one and returns the dict;
``describe_analyses()`` describes them all as data.

Modules, imports pointing down:

- ``_args``, ``_result``     argument types and validation; the result base class
- ``smallest``               the exact smallest node count reaching a target, for many samples
- ``search``                 ``nodes_for_target``, ``model_size_sweep``
- ``families``, ``cheapest`` the candidate family sets and ``cheapest_config``
- ``paper_data``, ``paper_search``, ``paper_tables``
                             the published paper's search space, its search rules and
                             ``paper_tables`` (its three minimum-cost tables)
- ``thresholds``             ``max_gpus_under_threshold``, ``node_spec``, ``collateral_count``
- ``constants``              ``compression_quality``, ``chinchilla_optimal``,
                             ``max_training_duration``
- ``compare``                ``ratio``
- ``reliability``            ``reliability``, ``mitigation_table`` (the failure layer alone)
- ``bandwidth``              ``bandwidth_for_utilization``: the WAN bandwidth for a target
                             compute utilisation
- ``registry``               the registry entries, read from signatures and docstrings
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dtsim.analyses._result import AnalysisResult
from dtsim.analyses.bandwidth import BandwidthForUtilization, bandwidth_for_utilization
from dtsim.analyses.cheapest import CheapestConfigResult, CheapestWinner, cheapest_config
from dtsim.analyses.compare import RatioResult, ratio
from dtsim.analyses.constants import (
    ChinchillaOptimalResult,
    CompressionQualityResult,
    MaxTrainingDurationResult,
    chinchilla_optimal,
    compression_quality,
    max_training_duration,
)
from dtsim.analyses.paper_tables import PaperTableRow, PaperTablesResult, paper_tables
from dtsim.analyses.registry import Analysis, Argument, ResultKey, analysis, describe
from dtsim.analyses.reliability import MitigationRow, MitigationTable, ReliabilityBlock, mitigation_table, reliability
from dtsim.analyses.search import ModelSizeSweepResult, NodesForTargetResult, model_size_sweep, nodes_for_target
from dtsim.analyses.thresholds import (
    CollateralCountResult,
    MaxGpusResult,
    NodeSpecResult,
    collateral_count,
    max_gpus_under_threshold,
    node_spec,
)
from dtsim.errors import ScenarioError

__all__ = [
    "ANALYSES",
    "Analysis",
    "AnalysisResult",
    "Argument",
    "BandwidthForUtilization",
    "CheapestConfigResult",
    "CheapestWinner",
    "ChinchillaOptimalResult",
    "CollateralCountResult",
    "CompressionQualityResult",
    "MaxGpusResult",
    "MaxTrainingDurationResult",
    "MitigationRow",
    "MitigationTable",
    "ModelSizeSweepResult",
    "NodeSpecResult",
    "NodesForTargetResult",
    "PaperTableRow",
    "PaperTablesResult",
    "RatioResult",
    "ReliabilityBlock",
    "ResultKey",
    "analyze",
    "bandwidth_for_utilization",
    "cheapest_config",
    "chinchilla_optimal",
    "collateral_count",
    "compression_quality",
    "describe_analyses",
    "max_gpus_under_threshold",
    "max_training_duration",
    "mitigation_table",
    "model_size_sweep",
    "node_spec",
    "nodes_for_target",
    "paper_tables",
    "ratio",
    "reliability",
]

#: Every named analysis, in the order the CLI lists them.
ANALYSES: Mapping[str, Analysis] = MappingProxyType(
    {
        entry.name: entry
        for entry in (
            analysis("nodes_for_target", nodes_for_target),
            analysis("model_size_sweep", model_size_sweep),
            analysis("cheapest_config", cheapest_config),
            analysis("max_gpus_under_threshold", max_gpus_under_threshold),
            analysis("node_spec", node_spec),
            analysis("collateral_count", collateral_count),
            analysis("compression_quality", compression_quality),
            analysis("chinchilla_optimal", chinchilla_optimal),
            analysis("max_training_duration", max_training_duration),
            analysis("ratio", ratio),
            analysis("reliability", reliability),
            analysis("mitigation_table", mitigation_table),
            analysis("bandwidth_for_utilization", bandwidth_for_utilization),
            analysis("paper_tables", paper_tables),
        )
    }
)


def analyze(name: str, **args: Any) -> dict[str, Any]:
    """Run the named analysis with keyword arguments; the result as a JSON-serialisable dict
    (``AnalysisResult.to_dict()``)."""
    entry = ANALYSES.get(name) if isinstance(name, str) else None
    if entry is None:
        raise ScenarioError("analysis", name, f"allowed: {', '.join(ANALYSES)}")
    return entry.run(**args).to_dict()


def describe_analyses() -> list[dict[str, Any]]:
    """Every analysis as JSON-able data: ``name``, ``summary`` (one line), ``description`` (the
    docstring's paragraphs, blank-line separated), ``arguments`` (each ``name``,
    ``type``, ``kind``, ``choices``, ``default``, ``required``, ``nullable``, ``meaning``) and
    ``result`` (each key's ``name``, ``type``, ``meaning``), for ``dtsim analyze --list`` /
    ``--help`` and generated forms."""
    return describe(ANALYSES)
