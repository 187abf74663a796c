"""dtsim — decentralized training simulator for compute-governance analysis.

How much training compute can a run spread over many sub-threshold sites reach, with which
model, at what cost, or how long does a model take to train? Layers, imports pointing down:

- ``units``                         conversion factors (the only place they appear)
- ``hardware``, ``memory``, ``network``, ``efficiency``, ``scaling_law``, ``compute``
                                    the formulas: small pure array functions, each citing its source
- ``scenario``                      the validated user input (pydantic) and file loading
- ``inputs``                        scenarios → SI arrays (catalogue look-ups, derived defaults)
- ``strategies``                    ``diloco``, ``hierarchical``, ``pp_diloco``, ``moe_ep``:
                                    ``evaluate(inputs) -> columns``, arrays in and out
- ``result``, ``engine``            ``Result``/``Batch``; ``simulate``, ``simulate_many``, ``sweep``
- ``analyses``                      named analyses built on the engine (``analyze``)
- ``cli``                           the ``dtsim`` command
"""

from __future__ import annotations

from dtsim.analyses import analyze
from dtsim.engine import iter_sweep, simulate, simulate_many, sweep, sweep_to_file
from dtsim.errors import DtsimError, InfeasibleError, ScenarioError
from dtsim.montecarlo import UncertaintyResult
from dtsim.montecarlo import run as uncertainty
from dtsim.result import Batch, Result
from dtsim.scenario import Scenario, load_scenarios

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
