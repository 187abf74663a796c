"""dtsim — decentralized training simulator for compute-governance analysis.

How much training compute can a run spread over many unregistered, sub-threshold sites reach,
with which model, at what cost, how sure is that, and what would a countermeasure change?

Architecture (imports point down the list; each subpackage maps its own modules):

Foundations
- ``units``        conversion factors, the only place they appear
- ``errors``       ``DtsimError`` → ``ScenarioError`` / ``InfeasibleError``
- ``numbers``      the one numeric validator for every input
- ``loading``      the one safe reader for every file (YAML, JSON, JSON-lines, CSV)
- ``output``       atomic writers: files, directories, streamed CSV and Parquet
- ``parallel``     independent long tasks on worker processes, one per core

From a scenario to numbers (one path)
- ``scenario``     the validated user input (pydantic): exactly what the user gave
- ``fields``       the field registry derived from the schema (paths, kinds, units, bounds)
- ``rules``        cross-field rules, vectorised over columns
- ``normalize``    presets and defaults filled in per point
- ``inputs``       compile to SI arrays and variant codes
- ``physics``      the formulas by quantity, with registries of named variants
- ``strategies``   ``diloco``, ``hierarchical``, ``pp_diloco``, ``moe_ep``: the schedule
- ``outcome``      efficiency, compute, quality, cost and refusals for every strategy
- ``result``       ``Result`` and ``Batch``
- ``engine``       ``simulate``, ``simulate_many``, ``sweep``, ``iter_sweep``, ``sweep_to_file``
- ``explain``      every quantity of a result with its equation, symbols, value and source
- ``reference``    every scenario key and result key, documented from the code

Questions built on the engine
- ``analyses``     named analyses (``analyze``): searches, thresholds, constants, reliability
- ``montecarlo``   uncertainty: distributions, Monte Carlo, sensitivity (``uncertainty``)
- ``real_runs``    the catalogue of published runs (``data/real_runs.yaml``) and its schema
- ``validation``   measured against predicted for every catalogue row (``dtsim runs``)
- ``audit``        does a declared training plan add up?
- ``population``   how many models of each size a year's compute produces
- ``report``       the governance report: tables, figures, Markdown and HTML

Faces
- ``service``      what the command line and the web API share
- ``cli``          the ``dtsim`` command (``__main__``: ``python -m dtsim``)
- ``web``          ``dtsim serve``: the interactive page and its JSON API (extra ``dtsim[web]``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dtsim.analyses import analyze
from dtsim.engine import iter_sweep, simulate, simulate_many, sweep, sweep_to_file
from dtsim.errors import DtsimError, InfeasibleError, ScenarioError
from dtsim.result import Batch, Result
from dtsim.scenario import Scenario, load_scenarios

if TYPE_CHECKING:
    from dtsim.montecarlo import UncertaintyResult
    from dtsim.montecarlo import run as uncertainty

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "DtsimError",
    "InfeasibleError",
    "Result",
    "Scenario",
    "ScenarioError",
    "UncertaintyResult",
    "analyze",
    "iter_sweep",
    "load_scenarios",
    "simulate",
    "simulate_many",
    "sweep",
    "sweep_to_file",
    "uncertainty",
]


def __getattr__(name: str) -> Any:
    """``uncertainty`` and ``UncertaintyResult`` load SciPy: imported on first use, so that
    ``import dtsim`` stays quick for everything else."""
    if name in ("uncertainty", "UncertaintyResult"):
        import dtsim.montecarlo as montecarlo

        return montecarlo.run if name == "uncertainty" else montecarlo.UncertaintyResult
    raise AttributeError(f"module 'dtsim' has no attribute {name!r}")
