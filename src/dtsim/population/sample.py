"""Sample plausible populations of models for a year: the year's total training compute is the
binding constraint; individual models are drawn from a distribution of log10(model / total);
populations that break observed constraints are discarded ("CLEAN_OUT", seed 003).

For each year: draw models one after another until their compute reaches the total (the last
one overshoots; the population is scaled by total / sum, a factor between the last model's share
and 1, so it sums to the total exactly), then keep it only if its model count, its largest
model's share and its cumulative-vs-individual slope fall in their bands. All draws are arrays:
a block of populations × ``max_models`` at a time, about ``BLOCK_CELLS`` draws, so memory stays
bounded whatever ``samples`` and ``max_models``; each block is reduced to per-population
statistics at once. The work is bounded too: at most ``MAX_DRAWS`` draws in all.
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
from dtsim.loading import load_documents
from dtsim.numbers import Integer, Number, refuse_non_finite
from dtsim.population.fit import load_models, year_statistics
from dtsim.scenario import _scenario_error, _wrapped_scenario_error

__all__ = [
    "SampleConfig",
    "extrapolated_totals",
    "load_sample_config",
    "parse_sample_config",
    "sample_populations",
    "sample_years",
    "skew_normal",
]

Band = Annotated[list[Number], Field(min_length=2, max_length=2)]
#: Calendar years (as in the data's publication dates).
Year = Annotated[Integer, Field(ge=1, le=9999)]
#: A year's total training compute, FLOP: bounded so that sums of models stay finite.
MIN_TOTAL_FLOP = 1.0
MAX_TOTAL_FLOP = 1e300
TotalFlop = Annotated[Number, Field(ge=MIN_TOTAL_FLOP, le=MAX_TOTAL_FLOP)]
#: Draws (samples × max_models × years) of one run: about two minutes of work.
MAX_DRAWS = 1_000_000_000
#: Largest ``samples`` and ``seed``.
MAX_SAMPLES = 1_000_000
MAX_SEED = 2**63 - 1
#: Draws held in memory at once (a block of populations × max_models): about 16 MB per array.
BLOCK_CELLS = 2_000_000


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Totals(_Spec):
    """The year's total training compute: given per year, or extrapolated from a base year with a
    yearly growth multiplier whose log shrinks by ``taper`` each year (0 = constant growth)."""

    given: dict[Year, TotalFlop] = Field(default_factory=dict)
    base_year: Year | None = None
    base_flop: TotalFlop | None = None
    growth_per_year: Annotated[Number, Field(gt=0, le=1e3)] = 4.0
    taper: Annotated[Number, Field(ge=0, le=1)] = 0.0


class Distribution(_Spec):
    """log10(model compute / total) ~ normal or skew-normal (mean, std, skewness of the draws),
    truncated at 0 (no model exceeds the total); or its moments from ``fit_data``'s ``fit_year``."""

    kind: Literal["normal", "skew-normal"] = "skew-normal"
    mean: Annotated[Number, Field(ge=-300, le=0)] | None = None
    std: Annotated[Number, Field(gt=0, le=100)] | None = None
    skewness: Annotated[Number, Field(gt=-0.99, lt=0.99)] = 0.0
    fit_data: str | None = None
    fit_year: Year | None = None

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

    seed: Annotated[Integer, Field(ge=0, le=MAX_SEED)] = 0
    years: list[Year] = Field(min_length=1, max_length=1000)
    samples: Annotated[Integer, Field(ge=1, le=MAX_SAMPLES)] = 2000
    max_models: Annotated[Integer, Field(ge=1, le=1_000_000)] = 2000
    thresholds_flop: list[Annotated[Number, Field(gt=0, le=MAX_TOTAL_FLOP)]] = Field(
        default_factory=lambda: [1e23, 1e24, 1e25, 1e26, 1e27], min_length=1, max_length=64
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
        draws = self.samples * self.max_models * len(self.years)
        if draws > MAX_DRAWS:
            raise ScenarioError(
                "samples",
                self.samples,
                f"samples × max_models × years = {draws:.3g} draws; the limit is {MAX_DRAWS:.0e}: "
                "lower samples or max_models, or sample fewer years at once",
            )
        return self


def load_sample_config(path: str | Path) -> tuple[SampleConfig, Path]:
    """Read and validate a sampling configuration; also returns its folder (for ``fit_data``)."""
    docs = load_documents(path, what="population configuration")
    if len(docs) != 1 or not isinstance(docs[0][1], dict):
        raise ScenarioError("", str(path), "a configuration file holds one mapping")
    source, data = docs[0]
    return parse_sample_config(data, source), Path(path).parent


def parse_sample_config(data: Any, source: str = "<config>") -> SampleConfig:
    """Validate a configuration mapping; every error a ``ScenarioError`` naming the field."""
    if not isinstance(data, dict):
        raise ScenarioError("", type(data).__name__, "a configuration is a mapping", source=source)
    try:
        return SampleConfig.model_validate(data)
    except ValidationError as exc:
        inner = _wrapped_scenario_error(exc)
        raise (inner.at(source) if inner is not None else _scenario_error(exc, source)) from None
    except ScenarioError as exc:
        raise exc.at(source) from None


def with_changes(config: SampleConfig, changes: dict[str, Any], *, source: str) -> SampleConfig:
    """The configuration with top-level fields replaced (command-line overrides), validated
    again; an error names ``source``."""
    return parse_sample_config({**config.model_dump(), **changes}, source) if changes else config


def extrapolated_totals(totals: Totals, years: list[int]) -> dict[int, float]:
    """Total compute per year: given, or ``base · Π_{k<n} g^(r^k)`` for the n years after the
    base (r = 1 − taper: the growth multiplier's log shrinks geometrically), in closed form:
    ``log10(total) = log10(base) ± log10(g) · S``, ``S = Σ_{k<n} r^k = (1 − r^n) / taper``
    (``S = n`` for taper 0). A total outside [1, 1e300] FLOP is refused, naming the year."""
    out = {}
    for year in years:
        if year in totals.given:
            out[year] = float(totals.given[year])
            continue
        assert totals.base_year is not None and totals.base_flop is not None
        steps = abs(year - totals.base_year)
        r = 1.0 - totals.taper
        series = float(steps) if totals.taper == 0 else (1.0 - r**steps) / totals.taper
        exponent = math.log10(totals.growth_per_year) * series
        log_total = math.log10(totals.base_flop) + (exponent if year >= totals.base_year else -exponent)
        if not math.log10(MIN_TOTAL_FLOP) <= log_total <= math.log10(MAX_TOTAL_FLOP):
            raise ScenarioError(
                "years",
                year,
                f"the total extrapolated to {year} is 10^{log_total:.4g} FLOP, outside [{MIN_TOTAL_FLOP:g}, "
                f"{MAX_TOTAL_FLOP:g}]: choose years nearer totals.base_year ({totals.base_year}) or a smaller "
                "totals.growth_per_year",
            )
        out[year] = 10.0**log_total
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


def _classes(thresholds: list[float]) -> list[tuple[str, float, float]]:
    """Compute classes between the sorted thresholds: (label, low, high), low inclusive."""
    edges = [0.0, *sorted(thresholds), math.inf]
    classes = []
    for low, high in itertools.pairwise(edges):
        if low == 0:
            label = f"share_below_{flop_label(high)}"
        elif math.isfinite(high):
            label = f"share_{flop_label(low)}_{flop_label(high)}"
        else:
            label = f"share_above_{flop_label(low)}"
        classes.append((label, low, high))
    return classes


def _row_statistics(models: NDArray[np.float64], total: float, thresholds: list[float]) -> dict[str, NDArray[Any]]:
    """Per population (row of NaN-padded models): its model count, the models at or above each
    threshold, and the share of the total in each class between thresholds."""
    stats: dict[str, NDArray[Any]] = {"models": np.sum(~np.isnan(models), axis=1)}
    for threshold in sorted(thresholds):
        stats[f"above_{flop_label(threshold)}"] = np.sum(models >= threshold, axis=1)
    for label, low, high in _classes(thresholds):
        stats[label] = np.sum(np.where((models >= low) & (models < high), models, 0.0), axis=1) / total
    return stats


def sample_populations(
    config: SampleConfig,
    year: int,
    total: float,
    params: dict[str, float],
    *,
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
    keep_models: bool = True,
) -> dict[str, Any]:
    """Draw ``config.samples`` populations for one year, ``block`` populations at a time
    (default: about ``BLOCK_CELLS`` draws, at most 500 populations). Returns the per-population
    statistics of the kept ones (``stats``, see ``_row_statistics``), their slopes, the draw
    count and, with ``keep_models``, the kept populations themselves (``models``, a NaN-padded
    array of at most samples × max_models values; sample_years does not keep them)."""
    rng = np.random.default_rng([config.seed, year])
    block = block or max(1, min(500, BLOCK_CELLS // config.max_models))
    kept: list[NDArray[np.float64]] = []
    slopes: list[NDArray[np.float64]] = []
    stats: list[dict[str, NDArray[Any]]] = []
    thresholds = list(config.thresholds_flop)
    c = config.constraints
    with np.errstate(all="ignore"):  # log10(0) of empty cells and overflowing tails are masked out
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
            stats.append(_row_statistics(models[ok], total, thresholds))
            slopes.append(slope[ok])
            if keep_models:
                kept.append(models[ok])
            if progress is not None:
                progress(rows)
    result: dict[str, Any] = {
        "stats": {key: np.concatenate([s[key] for s in stats]) for key in stats[0]},
        "slopes": np.concatenate(slopes),
        "drawn": config.samples,
    }
    if keep_models:
        width = max((m.shape[1] for m in kept), default=0)
        models = np.vstack([np.pad(m, ((0, 0), (0, width - m.shape[1])), constant_values=np.nan) for m in kept])
        result["models"] = models[:, : int(np.max(np.sum(~np.isnan(models), axis=1), initial=0))]
    return result


def _summary(year: int, total: float, result: dict[str, Any], thresholds: list[float]) -> dict[str, Any]:
    stats = result["stats"]
    accepted = len(result["slopes"])
    row: dict[str, Any] = {
        "year": year,
        "total_flop": total,
        "drawn": result["drawn"],
        "accepted": accepted,
        "acceptance_rate": accepted / result["drawn"],
    }
    if accepted == 0:
        return row
    row["models_p5"], row["models_p50"], row["models_p95"] = (
        float(v) for v in np.percentile(stats["models"], [5, 50, 95])
    )
    for threshold in sorted(thresholds):
        above = stats[f"above_{flop_label(threshold)}"]
        for q, value in zip((5, 50, 95), np.percentile(above, [5, 50, 95]), strict=True):
            row[f"above_{flop_label(threshold)}_p{q}"] = float(value)
    for label, _, _ in _classes(thresholds):
        row[label] = float(np.mean(stats[label]))
    return row


def flop_label(value: float) -> str:
    """``1e25`` for powers of ten, else ``3.0e+25``."""
    exponent = math.log10(value)
    return f"1e{round(exponent)}" if abs(exponent - round(exponent)) < 1e-9 else f"{value:.1e}"


def sample_years(
    config: SampleConfig, folder: Path | None = None, progress: Callable[[int], None] | None = None
) -> list[dict[str, Any]]:
    """Per year: total, acceptance rate, model-count and above-threshold percentiles (5/50/95) and
    the mean compute share by class. Every number is finite (checked)."""
    params = distribution_parameters(config, folder)
    totals = extrapolated_totals(config.totals, list(config.years))
    rows = [
        _summary(
            year,
            totals[year],
            sample_populations(config, year, totals[year], params, progress=progress, keep_models=False),
            list(config.thresholds_flop),
        )
        for year in config.years
    ]
    refuse_non_finite(rows, cause="the sampling configuration")
    return rows
