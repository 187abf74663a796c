"""Named analyses: questions answered with many evaluations of the engine (model.md §3;
variants.md §13; reliability.md §13). ``analyze(name, **args)`` runs one by name; each is also a
public function here.

- ``search``       the fewest nodes that reach a target; the best model size on given nodes
- ``thresholds``   the largest unregistered node, a node's specification, collateral systems
- ``constants``    compression quality, the Chinchilla-optimal model, the longest rational run
- ``reliability``  the failure layer's block on its own, and every mitigation side by side
- ``bandwidth``    the WAN bandwidth a configuration needs for a target compute utilisation
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dtsim.analyses.bandwidth import bandwidth_for_utilization
from dtsim.analyses.constants import chinchilla_optimal, compression_quality, max_training_duration
from dtsim.analyses.reliability import mitigation_table, reliability
from dtsim.analyses.search import model_size_sweep, nodes_for_target
from dtsim.analyses.thresholds import collateral_count, max_gpus_under_threshold_node, node_spec
from dtsim.engine import simulate
from dtsim.errors import ScenarioError

__all__ = [
    "ANALYSES",
    "analyze",
    "chinchilla_optimal",
    "collateral_count",
    "compression_quality",
    "max_gpus_under_threshold",
    "max_training_duration",
    "model_size_sweep",
    "node_spec",
    "nodes_for_target",
    "ratio",
]

max_gpus_under_threshold = max_gpus_under_threshold_node


def ratio(key: str, numerator: Mapping[str, Any], denominator: Mapping[str, Any]) -> dict[str, Any]:
    """``result[key]`` of one scenario over another's ("% of best", "+2 % from expected")."""
    num = simulate(numerator).to_dict()
    den = simulate(denominator).to_dict()
    if key not in num or not isinstance(num[key], int | float) or isinstance(num[key], bool):
        raise ScenarioError("key", key, "expected a numeric result key such as c_local")
    return {"key": key, "numerator": num[key], "denominator": den[key], "ratio": num[key] / den[key]}


ANALYSES: dict[str, Callable[..., dict[str, Any]]] = {
    "nodes_for_target": nodes_for_target,
    "model_size_sweep": model_size_sweep,
    "max_gpus_under_threshold": max_gpus_under_threshold,
    "node_spec": node_spec,
    "collateral_count": collateral_count,
    "compression_quality": compression_quality,
    "chinchilla_optimal": chinchilla_optimal,
    "max_training_duration": max_training_duration,
    "ratio": ratio,
    "reliability": lambda **args: reliability(**args).to_dict(),
    "mitigation_table": lambda **args: mitigation_table(**args).to_dict(),
    "bandwidth_for_utilization": lambda **args: bandwidth_for_utilization(**args).to_dict(),
}


def analyze(name: str, **args: Any) -> dict[str, Any]:
    """Run the named analysis with keyword arguments; the result is a JSON-serialisable dict."""
    function = ANALYSES.get(name)
    if function is None:
        raise ScenarioError("analysis", name, f"allowed: {', '.join(ANALYSES)}")
    try:
        return function(**args)
    except TypeError as exc:
        if "argument" in str(exc):
            raise ScenarioError(f"{name} arguments", sorted(args), str(exc).split(") ", 1)[-1]) from None
        raise
