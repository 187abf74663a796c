"""Small analyses of the model's constants: compression quality, the Chinchilla-optimal
allocation, and the longest rational training run."""

from __future__ import annotations

import math
from typing import Any

from dtsim.analyses._args import positive, text_choice
from dtsim.physics.efficiency import (
    ACTIVATION_QUALITY,
    PSEUDO_GRADIENT_QUALITY,
    QUALITY_SCENARIOS,
)
from dtsim.physics.efficiency import (
    compression_quality as quality_factor,
)
from dtsim.physics.scaling_law import optimal_loss, optimal_params, optimal_tokens
from dtsim.units import MONTHS_PER_YEAR, YEAR_DAYS

__all__ = ["chinchilla_optimal", "compression_quality", "max_training_duration", "max_training_years"]


def compression_quality(kind: str, ratio: float) -> dict[str, Any]:
    """Quality factor of a compression ratio under each named scenario (seed 002 §4.2):
    ``kind`` = ``pseudo_gradient`` (q_pg) or ``activation`` (q_act per stage boundary)."""
    kind = text_choice("kind", kind, ("pseudo_gradient", "activation"))
    ratio = positive("ratio", ratio)
    tables = PSEUDO_GRADIENT_QUALITY if kind == "pseudo_gradient" else ACTIVATION_QUALITY
    return {
        "kind": kind,
        "ratio": ratio,
        **{name: float(quality_factor(ratio, tables[name])) for name in QUALITY_SCENARIOS},
    }


def chinchilla_optimal(c_flop: float) -> dict[str, Any]:
    """Compute-optimal model for C FLOP: ``params = sqrt(C/153.6)``, ``tokens = 25.6·params``,
    and its loss (spec §2.3; arXiv 2404.10102)."""
    c = positive("c_flop", c_flop)
    return {
        "c_flop": c,
        "params": float(optimal_params(c)),
        "tokens": float(optimal_tokens(c)),
        "loss": float(optimal_loss(c)),
    }


def max_training_years(growth_oom_per_year: float) -> float:
    """``L = 1 / (g · ln 10)`` years: beyond it, waiting for better hardware, algorithms and
    budgets (growing g = g_H + g_S + g_I orders of magnitude per year) beats training longer
    (Epoch AI, "The Longest Training Run"; seed 002 §2)."""
    return 1.0 / (growth_oom_per_year * math.log(10.0))


def max_training_duration(growth_oom_per_year: float) -> dict[str, Any]:
    """Longest rational training run for a growth rate in OOM/year: ``years``, ``days``
    (365.25-day years), ``months``. 0.29 (treaty) → 1.50 years; 1.16 → 4.5 months."""
    years = max_training_years(positive("growth_oom_per_year", growth_oom_per_year))
    return {
        "growth_oom_per_year": float(growth_oom_per_year),
        "years": years,
        "days": years * YEAR_DAYS,
        "months": years * MONTHS_PER_YEAR,
    }
