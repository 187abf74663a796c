"""Small analyses of the model's constants: compression quality, the Chinchilla-optimal
allocation, and the longest rational training run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from dtsim.analyses._args import Number, ScalingLawInput, choice, positive
from dtsim.analyses._result import AnalysisResult
from dtsim.errors import ScenarioError
from dtsim.fields import FIELDS
from dtsim.physics.efficiency import ACTIVATION_TABLES, PSEUDO_GRADIENT_TABLES
from dtsim.physics.efficiency import compression_quality as quality_factor
from dtsim.physics.scaling_law import ScalingLaw, optimal_loss, optimal_params, optimal_tokens
from dtsim.scenario import parse_scenario
from dtsim.units import MONTHS_PER_YEAR, YEAR_DAYS

__all__ = [
    "ChinchillaOptimalResult",
    "CompressionQualityResult",
    "MaxTrainingDurationResult",
    "chinchilla_optimal",
    "compression_quality",
    "max_training_duration",
    "max_training_years",
]

CompressionKind = Literal["pseudo_gradient", "activation"]
QualityTableName = Literal["seed", "error-feedback", "no-error-feedback", "revised"]

#: The tables each kind of compression can use (variants.md §3-§4).
_TABLES = MappingProxyType({"pseudo_gradient": PSEUDO_GRADIENT_TABLES, "activation": ACTIVATION_TABLES})


@dataclass(frozen=True)
class CompressionQualityResult(AnalysisResult):
    """Quality factors of one compression ratio.

    Attributes:
        kind: pseudo_gradient (q_pg) or activation (q_act per stage boundary).
        ratio: the compression ratio.
        optimistic: quality factor under the optimistic column.
        expected: quality factor under the expected column.
        conservative: quality factor under the conservative column.
    """

    kind: str
    ratio: float
    optimistic: float
    expected: float
    conservative: float


def compression_quality(
    kind: CompressionKind, ratio: Number, table: QualityTableName = "seed"
) -> CompressionQualityResult:
    """Quality factor of a compression ratio in each quality column (model.md §1.7).

    Linear in log10 of the ratio between the table's rows, 1 at ratio ≤ 1, the last row's value
    above the last row (seed 002 §4.2; variants.md §3-§4).

    Args:
        kind: pseudo_gradient (the quality of the synchronised pseudo-gradient) or activation (per
            pipeline stage boundary).
        ratio: compression ratio, > 0.
        table: quality table: seed, error-feedback or no-error-feedback for pseudo_gradient;
            seed or revised for activation.
    """
    which = choice("kind", kind, tuple(_TABLES))
    value = positive("ratio", ratio)
    tables = _TABLES[which]
    columns = tables[choice("table", table, tuple(tables))]
    return CompressionQualityResult(
        kind=which,
        ratio=value,
        optimistic=float(quality_factor(value, columns["optimistic"])),
        expected=float(quality_factor(value, columns["expected"])),
        conservative=float(quality_factor(value, columns["conservative"])),
    )


@dataclass(frozen=True)
class ChinchillaOptimalResult(AnalysisResult):
    """The compute-optimal model for a compute budget.

    Attributes:
        c_flop: the compute budget, FLOP.
        params: N_opt = sqrt(C / (6·tokens_per_param)), parameters.
        tokens: D_opt = tokens_per_param · N_opt.
        loss: L(N_opt, D_opt) of the scaling law.
    """

    c_flop: float
    params: float
    tokens: float
    loss: float


def _scaling_law(value: Any) -> ScalingLaw:
    """The scaling law of an argument given as a scenario's ``scaling_law`` block."""
    if value is None:
        return ScalingLaw()
    if not isinstance(value, Mapping):
        raise ScenarioError("scaling_law", value, "expected a mapping such as {E: 1.8172, tokens_per_param: 20}")
    block = parse_scenario({"nodes": 1, "scaling_law": dict(value)}).scaling_law
    given = block.model_dump(exclude_none=True) if block is not None else {}
    names = ("E", "A", "alpha", "B", "beta", "tokens_per_param")
    return ScalingLaw(**{name: float(given.get(name, FIELDS[f"scaling_law.{name}"].default)) for name in names})


def chinchilla_optimal(c_flop: Number, scaling_law: ScalingLawInput = None) -> ChinchillaOptimalResult:
    """Compute-optimal model size, tokens and loss for a compute budget (model.md §2.3).

    ``params = sqrt(C/153.6)`` and ``tokens = 25.6·params`` at the published fit
    (arXiv 2404.10102); variants.md §11.2 for other coefficients.

    Args:
        c_flop: compute budget in FLOP, > 0.
        scaling_law: coefficients as the scenario's scaling_law block (E, A, alpha, B, beta,
            tokens_per_param; keys left out keep the published fit).
    """
    c = positive("c_flop", c_flop)
    law = _scaling_law(scaling_law)
    return ChinchillaOptimalResult(
        c_flop=c,
        params=float(optimal_params(c, law)),
        tokens=float(optimal_tokens(c, law)),
        loss=float(optimal_loss(c, law)),
    )


def max_training_years(growth_oom_per_year: float) -> float:
    """``L = 1 / (g · ln 10)`` years: beyond it, waiting for better hardware, algorithms and
    budgets (growing g = g_H + g_S + g_I orders of magnitude per year) beats training longer
    (Epoch AI, "The Longest Training Run"; seed 002 §2)."""
    return 1.0 / (growth_oom_per_year * math.log(10.0))


@dataclass(frozen=True)
class MaxTrainingDurationResult(AnalysisResult):
    """The longest rational training run.

    Attributes:
        growth_oom_per_year: the growth rate g, orders of magnitude per year.
        years: L = 1 / (g · ln 10).
        days: L in 365.25-day years.
        months: L in months.
    """

    growth_oom_per_year: float
    years: float
    days: float
    months: float


def max_training_duration(growth_oom_per_year: Number) -> MaxTrainingDurationResult:
    """Longest rational training run for a growth rate (Epoch AI; seed 002 §2).

    0.29 OOM/year (treaty) gives 1.50 years; 1.16 gives 4.5 months.

    Args:
        growth_oom_per_year: growth of hardware, algorithms and budgets together
            (g_H + g_S + g_I), orders of magnitude per year, > 0.
    """
    g = positive("growth_oom_per_year", growth_oom_per_year)
    years = max_training_years(g)
    return MaxTrainingDurationResult(
        growth_oom_per_year=g, years=years, days=years * YEAR_DAYS, months=years * MONTHS_PER_YEAR
    )
