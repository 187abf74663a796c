"""Statistics of a table of models (name, publication date, training compute) per year, and the
near-linear log-log relation between a model's compute and the cumulative compute of all models
up to its size (seed 003 notes: "summing all the models less than 10^22 gets you to ~1e-4 of
aggregate training compute"; "these lines are pretty linear - we can get fits").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dtsim.errors import ScenarioError
from dtsim.loading import read_csv_rows

__all__ = ["COLUMNS", "ModelTable", "cumulative_fit", "load_models", "moments", "share_within", "year_statistics"]

#: Column names of the public "Notable AI Models" dataset (Epoch AI), used by default.
COLUMNS = {"name": "Model", "date": "Publication date", "compute": "Training compute (FLOP)"}
_YEAR = re.compile(r"^\s*(\d{4})")
#: Largest training compute read, FLOP: a million of them still add up within the float range.
MAX_COMPUTE_FLOP = 1e300


@dataclass(frozen=True)
class ModelTable:
    """Models with a known training compute: names, publication years, compute (FLOP)."""

    names: list[str]
    years: NDArray[np.int64]
    compute: NDArray[np.float64]
    skipped: int  # rows without a usable year or a positive compute


def load_models(
    path: str | Path,
    *,
    name_column: str = COLUMNS["name"],
    date_column: str = COLUMNS["date"],
    compute_column: str = COLUMNS["compute"],
) -> ModelTable:
    """Read a CSV of models. Rows whose date has no 4-digit year, or whose compute is empty,
    non-numeric or not positive, are skipped (counted in ``skipped``)."""
    path = Path(path)
    header, rows = read_csv_rows(path, what="DATA")
    for option, column in (
        ("--name-column", name_column),
        ("--date-column", date_column),
        ("--compute-column", compute_column),
    ):
        if column not in header:
            raise ScenarioError(option, column, f"no such column; the file has: {', '.join(header) or 'no header'}")
    where = {column: header.index(column) for column in (name_column, date_column, compute_column)}
    names, years, compute, skipped = [], [], [], 0
    for line, row in rows:
        cells = {column: row[i] if i < len(row) else "" for column, i in where.items()}
        year = _YEAR.match(cells[date_column])
        try:
            flop = float(cells[compute_column].replace(",", ""))
        except ValueError:
            flop = math.nan
        if year is None or not math.isfinite(flop) or flop <= 0:
            skipped += 1
            continue
        if flop > MAX_COMPUTE_FLOP:
            problem = f"line {line:,}: a training compute of {flop:.3g} FLOP is beyond {MAX_COMPUTE_FLOP:g}"
            raise ScenarioError("DATA", str(path), problem)
        names.append(cells[name_column])
        years.append(int(year.group(1)))
        compute.append(flop)
    if not compute:
        raise ScenarioError("DATA", str(path), "no row has a year and a positive training compute")
    return ModelTable(names, np.array(years, dtype=np.int64), np.array(compute), skipped)


def moments(values: ArrayLike) -> dict[str, float]:
    """Mean, median, sample standard deviation (n − 1), skewness g1 = m3 / m2^1.5 and excess
    kurtosis g2 = m4 / m2² − 3 (population moments m_k about the mean)."""
    x = np.asarray(values, float)
    mean = float(x.mean())
    d = x - mean
    m2, m3, m4 = (float(np.mean(d**k)) for k in (2, 3, 4))
    return {
        "mean": mean,
        "median": float(np.median(x)),
        "std": float(x.std(ddof=1)) if len(x) > 1 else 0.0,
        "skewness": m3 / m2**1.5 if m2 > 0 else 0.0,
        "kurtosis": m4 / m2**2 - 3.0 if m2 > 0 else 0.0,
    }


def share_within(compute: ArrayLike, orders_of_magnitude: float) -> float:
    """Share of the year's total compute held by models within k orders of magnitude of the
    total (compute ≥ total / 10^k)."""
    c = np.asarray(compute, float)
    total = c.sum()
    return float(c[c >= total / 10.0**orders_of_magnitude].sum() / total)


def cumulative_fit(compute: ArrayLike) -> dict[str, Any]:
    """Least-squares fit of ``log10(S(m)) = slope · log10(m) + intercept``, where S(m) is the
    cumulative compute of all models with compute ≤ m, one point per model (seed 003).
    Fewer than two distinct sizes: no line (slope, intercept and r² are ``None``)."""
    c = np.sort(np.asarray(compute, float))
    cumulative = np.cumsum(c)
    # Ties: every model of the same size sees the cumulative compute of all of them.
    cumulative = cumulative[np.searchsorted(c, c, side="right") - 1]
    return _line(np.log10(c), np.log10(cumulative))


def _line(x: NDArray[np.float64], y: NDArray[np.float64]) -> dict[str, Any]:
    n = len(x)
    if n < 2 or np.ptp(x) == 0:
        return {"slope": None, "intercept": None, "r2": None, "points": n}
    sxx = float(np.sum((x - x.mean()) ** 2))
    sxy = float(np.sum((x - x.mean()) * (y - y.mean())))
    slope = sxy / sxx
    intercept = float(y.mean() - slope * x.mean())
    residual = float(np.sum((y - (slope * x + intercept)) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    return {"slope": slope, "intercept": intercept, "r2": 1.0 - residual / total if total > 0 else 1.0, "points": n}


def year_statistics(table: ModelTable) -> list[dict[str, Any]]:
    """One row per year: count, total, moments of log10 compute and of log10(compute / total),
    shares within 1-3 OOM of the total, and the cumulative-vs-individual fit."""
    rows = []
    for year in np.unique(table.years):
        c = table.compute[table.years == year]
        total = float(c.sum())
        log_c = np.log10(c)
        relative = moments(log_c - math.log10(total))
        fit = cumulative_fit(c)
        rows.append(
            {
                "year": int(year),
                "models": len(c),
                "total_flop": total,
                "largest_flop": float(c.max()),
                **{f"log10_{k}": v for k, v in moments(log_c).items()},
                "relative_mean": relative["mean"],
                "relative_std": relative["std"],
                "share_within_1_oom": share_within(c, 1),
                "share_within_2_oom": share_within(c, 2),
                "share_within_3_oom": share_within(c, 3),
                "fit_slope": fit["slope"],
                "fit_intercept": fit["intercept"],
                "fit_r2": fit["r2"],
            }
        )
    return rows
