"""``dtsim population``: how many models of each size a year's training compute produces
(the method of seed 003).

- ``fit``       per-year statistics of a model table and the cumulative-vs-individual fit
- ``sample``    constrained sampling of future populations that exhaust each year's total
- ``figures``   the cumulative and histogram figures of a model table
"""

from __future__ import annotations

from dtsim.population.fit import COLUMNS, cumulative_fit, load_models, moments, share_within, year_statistics
from dtsim.population.sample import (
    SampleConfig,
    extrapolated_totals,
    load_sample_config,
    sample_populations,
    sample_years,
    skew_normal,
)

__all__ = [
    "COLUMNS",
    "SampleConfig",
    "cumulative_fit",
    "extrapolated_totals",
    "load_models",
    "load_sample_config",
    "moments",
    "sample_populations",
    "sample_years",
    "share_within",
    "skew_normal",
    "year_statistics",
]
