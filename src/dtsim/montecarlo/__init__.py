"""How sure is the answer? Monte Carlo uncertainty, sensitivity and the probability of crossing
a compute threshold, for a scenario's results or an analysis' answer.

Modules, imports pointing down:

- ``api``            ``run`` (the entry point; ``UncertaintyResult``), ``fan`` (bands across node
                     counts), ``load_config`` (the YAML file of ``dtsim uncertainty``)
- ``report``         the report section "How uncertain is the headline?"
- ``figures``        CDF, tornado and fan chart (matplotlib, SVG)
- ``analysis``       analyses made uncertain, vectorised over samples (``nodes_for_target``)
- ``sensitivity``    tornado, Sobol' indices (SciPy) with bootstrap intervals, Spearman ranks
- ``statistics``     quantiles, mean, Monte Carlo standard error, exceedance, chunk by chunk
- ``evaluation``     chunks evaluated through ``dtsim.sweep``, locally or on Dask; infeasible
                     points isolated
- ``sampling``       a distributions mapping validated into a design; Gaussian copula; bounds
- ``distributions``  the families and their inverse CDFs
- ``bounds``         what a scenario field allows (the one place bounds are read)
"""

from __future__ import annotations

from dtsim.montecarlo.api import (
    DEFAULT_OUTPUTS,
    DEFAULT_THRESHOLDS,
    Block,
    FanData,
    UncertaintyResult,
    fan,
    load_config,
    run,
)
from dtsim.montecarlo.statistics import OutputStats

__all__ = [
    "DEFAULT_OUTPUTS",
    "DEFAULT_THRESHOLDS",
    "Block",
    "FanData",
    "OutputStats",
    "UncertaintyResult",
    "fan",
    "load_config",
    "run",
]
