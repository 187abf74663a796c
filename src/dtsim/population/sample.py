"""Sample plausible populations of models for a year: the year's total training compute is the
binding constraint; individual models are drawn from a distribution of log10(model / total);
populations that break observed constraints are discarded ("CLEAN_OUT", seed 003).

For each year: draw models one after another until their compute reaches the total (the last
one overshoots; the population is scaled by total / sum, a factor between the last model's share
and 1, so it sums to the total exactly), then keep it only if its model count, its largest
model's share and its cumulative-vs-individual slope fall in their bands. All draws are arrays:
a block of populations × ``max_models`` at a time.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dtsim.errors import ScenarioError
from dtsim.population.fit import load_models, year_statistics
from dtsim.scenario import Integer, Number, _scenario_error, load_documents

__all__ = [
    "SampleConfig",
    "extrapolated_totals",
    "load_sample_config",
    "sample_populations",
    "sample_years",
    "skew_normal",
]

Band = Annotated[list[Number], Field(min_length=2, max_length=2)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Totals(_Spec):
    """The year's total training compute: given per year, or extrapolated from a base year with a
    yearly growth multiplier whose log shrinks by ``taper`` each year (0 = constant growth)."""

    given: dict[int, Annotated[Number, Field(gt=0)]] = Field(default_factory=dict)
    base_year: Integer | None = None
    base_flop: Annotated[Number, Field(gt=0)] | None = None
    growth_per_year: Annotated[Number, Field(gt=0, le=1e3)] = 4.0
    taper: Annotated[Number, Field(ge=0, le=1)] = 0.0


class Distribution(_Spec):
    """log10(model compute / total) ~ normal or skew-normal (mean, std, skewness of the draws),
    truncated at 0 (no model exceeds the total); or its moments from ``fit_data``'s ``fit_year``."""

    kind: Literal["normal", "skew-normal"] = "skew-normal"
    mean: Annotated[Number, Field(le=0)] | None = None
    std: Annotated[Number, Field(gt=0)] | None = None
    skewness: Annotated[Number, Field(gt=-0.99, lt=0.99)] = 0.0
    fit_data: str | None = None
    fit_year: Integer | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        if self.fit_data is None and (self.mean is None or self.std is None):
            raise ScenarioError("distribution.mean", None, "give mean and std, or fit_data and fit_year")
        if self.fit_data is not None and self.fit_year is None:
            raise ScenarioError("distribution.fit_year", None, "required with fit_data")
        return self


class Constraints(_Spec):
    """Bands a kept population must satisfy (each optional)."""

    slope: Band | None = None
    largest_share: Band | None = None
    models: Band | None = None


class SampleConfig(_Spec):
    """``dtsim population sample`` configuration."""

    seed: Integer = 0
    years: list[Integer] = Field(min_length=1)
    samples: Annotated[Integer, Field(ge=1, le=10_000_000)] = 2000
    max_models: Annotated[Integer, Field(ge=1, le=1_000_000)] = 2000
    thresholds_flop: list[Annotated[Number, Field(gt=0)]] = Field(
        default_factory=lambda: [1e23, 1e24, 1e25, 1e26, 1e27]
    )
    totals: Totals
    distribution: Distribution
    constraints: Constraints = Constraints()

    @model_validator(mode="after")
    def _totals_known(self) -> SampleConfig:
        t = self.totals
        missing = [y for y in self.years if y not in t.given]
        if missing and (t.base_year is None or t.base_flop is None):
            raise ScenarioError(
                "totals.base_year", None, f"years {missing} have no given total: give base_year and base_flop"
            )
        return self


def load_sample_config(path: str | Path) -> tuple[SampleConfig, Path]:
    """Read and validate a sampling configuration; also returns its folder (for ``fit_data``)."""
    docs = load_documents(path)
    if len(docs) != 1 or not isinstance(docs[0][1], dict):
        raise ScenarioError("", str(path), "a configuration file holds one mapping")
    source, data = docs[0]
    try:
        return SampleConfig.model_validate(data), Path(path).parent
    except ValidationError as exc:
        raise _scenario_error(exc, source) from None
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.value, exc.allowed, source=source) from None


def extrapolated_totals(totals: Totals, years: list[int]) -> dict[int, float]:
    """Total compute per year: given, or ``base · Π g^((1 − taper)^(k−1))`` over the years since
    the base (the growth multiplier's log shrinks geometrically)."""
    out = {}
    for year in years:
        if year in totals.given:
            out[year] = float(totals.given[year])
            continue
        assert totals.base_year is not None and totals.base_flop is not None
        steps = year - totals.base_year
        log_growth = math.log10(totals.growth_per_year)
        exponent = sum(log_growth * (1 - totals.taper) ** k for k in range(abs(steps)))
        out[year] = totals.base_flop * 10 ** (exponent if steps >= 0 else -exponent)
    return out


def skew_normal(
    rng: np.random.Generator, size: tuple[int, ...], mean: float, std: float, skewness: float
) -> NDArray[np.float64]:
    """Skew-normal draws with a given mean, standard deviation and skewness (|skewness| < 0.995),
    by Azzalini's representation X = delta·|U0| + sqrt(1 − delta²)·U1 (method of moments for
    delta); skewness 0 is the normal distribution."""
    if skewness == 0:
        return rng.normal(mean, std, size)
    s = abs(skewness) ** (2 / 3)
    b = math.sqrt(2 / math.pi)
    delta = math.copysign(math.sqrt(s / (b**2 * (s + ((4 - math.pi) / 2) ** (2 / 3)))), skewness)
    delta = max(-0.9999, min(0.9999, delta))
    u0 = np.abs(rng.standard_normal(size))
    u1 = rng.standard_normal(size)
    z = delta * u0 + math.sqrt(1 - delta**2) * u1
    z_mean, z_std = delta * b, math.sqrt(1 - (delta * b) ** 2)
    return mean + std * (z - z_mean) / z_std


def _draws(rng: np.random.Generator, config: SampleConfig, params: dict[str, float], rows: int) -> NDArray[np.float64]:
    """log10(model / total) for ``rows`` populations, truncated at 0 by redrawing."""
    shape = (rows, config.max_models)
    skew = params["skewness"] if config.distribution.kind == "skew-normal" else 0.0
    x = skew_normal(rng, shape, params["mean"], params["std"], skew)
    for _ in range(100):
        above = x > 0
        if not above.any():
            break
        x[above] = skew_normal(rng, (int(above.sum()),), params["mean"], params["std"], skew)
    return np.minimum(x, 0.0)


def _populations(
    x: NDArray[np.float64], total: float
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
    """Models (FLOP, NaN-padded) of each row up to the one whose compute reaches the total,
    scaled to sum to the total; model counts; whether the row reached the total at all."""
    models = total * 10.0**x
    cumulative = np.cumsum(models, axis=1)
    reached = cumulative[:, -1] >= total
    count = np.where(reached, np.argmax(cumulative >= total, axis=1) + 1, x.shape[1])
    keep = np.arange(x.shape[1])[None, :] < count[:, None]
    models = np.where(keep, models, np.nan)
    scale = total / np.nansum(models, axis=1)
    return models * scale[:, None], count, reached


def _slopes(models: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cumulative-vs-individual least-squares slope of each NaN-padded row (vectorised)."""
    ordered = np.sort(models, axis=1)  # NaN last
    valid = ~np.isnan(ordered)
    x = np.where(valid, np.log10(np.where(valid, ordered, 1.0)), 0.0)
    cumulative = np.cumsum(np.where(valid, ordered, 0.0), axis=1)
    y = np.where(valid, np.log10(np.where(valid, cumulative, 1.0)), 0.0)
    n = valid.sum(axis=1)
    mean_x = x.sum(axis=1) / np.maximum(n, 1)
    mean_y = y.sum(axis=1) / np.maximum(n, 1)
    sxx = np.where(valid, (x - mean_x[:, None]) ** 2, 0.0).sum(axis=1)
    sxy = np.where(valid, (x - mean_x[:, None]) * (y - mean_y[:, None]), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n >= 2) & (sxx > 0), sxy / sxx, np.nan)


def _in(values: NDArray[np.float64], band: list[float] | None) -> NDArray[np.bool_]:
    return np.ones(values.shape, bool) if band is None else (values >= band[0]) & (values <= band[1])


def distribution_parameters(config: SampleConfig, folder: Path | None = None) -> dict[str, float]:
    """mean, std, skewness of log10(model / total): given, or measured on ``fit_data``."""
    d = config.distribution
    if d.fit_data is None:
        assert d.mean is not None and d.std is not None
        return {"mean": d.mean, "std": d.std, "skewness": d.skewness}
    path = Path(d.fit_data) if folder is None or Path(d.fit_data).is_absolute() else folder / d.fit_data
    rows = {r["year"]: r for r in year_statistics(load_models(path))}
    if d.fit_year not in rows:
        raise ScenarioError("distribution.fit_year", d.fit_year, f"not in the data; years: {sorted(rows)}")
    row = rows[d.fit_year]
    return {
        "mean": row["relative_mean"],
        "std": row["relative_std"],
        "skewness": float(np.clip(row["log10_skewness"], -0.98, 0.98)),
    }


def sample_populations(
    config: SampleConfig,
    year: int,
    total: float,
    params: dict[str, float],
    *,
    block: int = 500,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Draw ``config.samples`` populations for one year; return the kept ones (``models``, a
    NaN-padded array), their slopes, and the draw counts."""
    rng = np.random.default_rng([config.seed, year])
    kept: list[NDArray[np.float64]] = []
    slopes: list[NDArray[np.float64]] = []
    c = config.constraints
    for start in range(0, config.samples, block):
        rows = min(block, config.samples - start)
        models, count, reached = _populations(_draws(rng, config, params, rows), total)
        slope = _slopes(models)
        ok = (
            reached
            & _in(count.astype(float), c.models)
            & _in(np.nanmax(models, axis=1) / total, c.largest_share)
            & (_in(slope, c.slope) if c.slope is not None else True)
        )
        kept.append(models[ok])
        slopes.append(slope[ok])
        if progress is not None:
            progress(rows)
    width = max((m.shape[1] for m in kept), default=0)
    models = np.vstack([np.pad(m, ((0, 0), (0, width - m.shape[1])), constant_values=np.nan) for m in kept])
    trimmed = models[:, : int(np.max(np.sum(~np.isnan(models), axis=1), initial=0))]
    return {"models": trimmed, "slopes": np.concatenate(slopes), "drawn": config.samples}


def _summary(year: int, total: float, result: dict[str, Any], thresholds: list[float]) -> dict[str, Any]:
    models = result["models"]
    accepted = len(models)
    row: dict[str, Any] = {
        "year": year,
        "total_flop": total,
        "drawn": result["drawn"],
        "accepted": accepted,
        "acceptance_rate": accepted / result["drawn"],
    }
    if accepted == 0:
        return row
    counts = np.sum(~np.isnan(models), axis=1)
    row["models_p5"], row["models_p50"], row["models_p95"] = (float(v) for v in np.percentile(counts, [5, 50, 95]))
    edges = [0.0, *sorted(thresholds), math.inf]
    for threshold in sorted(thresholds):
        above = np.sum(models >= threshold, axis=1)
        for q, value in zip((5, 50, 95), np.percentile(above, [5, 50, 95]), strict=True):
            row[f"above_{flop_label(threshold)}_p{q}"] = float(value)
    for low, high in itertools.pairwise(edges):
        in_class = np.where((models >= low) & (models < high), models, 0.0)
        if low == 0:
            label = f"share_below_{flop_label(high)}"
        elif math.isfinite(high):
            label = f"share_{flop_label(low)}_{flop_label(high)}"
        else:
            label = f"share_above_{flop_label(low)}"
        row[label] = float(np.mean(np.nansum(in_class, axis=1) / total))
    return row


def flop_label(value: float) -> str:
    """``1e25`` for powers of ten, else ``3.0e+25``."""
    exponent = math.log10(value)
    return f"1e{round(exponent)}" if abs(exponent - round(exponent)) < 1e-9 else f"{value:.1e}"


def sample_years(
    config: SampleConfig, folder: Path | None = None, progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Per year: total, acceptance rate, model-count and above-threshold percentiles (5/50/95) and
    the mean compute share by class."""
    params = distribution_parameters(config, folder)
    totals = extrapolated_totals(config.totals, list(config.years))
    return [
        _summary(
            year,
            totals[year],
            sample_populations(config, year, totals[year], params, progress=progress),
            list(config.thresholds_flop),
        )
        for year in config.years
    ]
