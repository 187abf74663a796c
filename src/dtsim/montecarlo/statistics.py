"""Statistics of one output over the Monte Carlo samples, accumulated chunk by chunk.

For FLOP and cost keys (``LOG_KEYS``) every statistic is of log10 of the value. Quantiles are
order statistics of the kept column (Hyndman & Fan type 1, "inverted CDF": the smallest sample
value whose empirical CDF reaches p), so that a monotone function of a sample has as quantiles
the function of the sample's quantiles. Mean and Monte Carlo standard error (sd/√n) are summed
chunk by chunk about the first value (exact for a point mass); exceedance counts are taken on
the raw values: P(value ≥ threshold) over all samples, an infeasible sample counting as not
reaching it. Quantiles and mean are over the samples that have a value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["CDF_PROBABILITIES", "MAX_SAMPLES", "QUANTILES", "Accumulator", "OutputStats", "threshold_key"]

#: Quantiles reported, by name.
QUANTILES: dict[str, float] = {"p5": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}
#: Probabilities at which the empirical CDF is kept (for figures): 0, 0.01, ..., 1.
CDF_PROBABILITIES = np.linspace(0.0, 1.0, 101)
#: Most samples held for exact quantiles (8 bytes per sample and output).
MAX_SAMPLES = 10_000_000


def threshold_key(threshold: float) -> str:
    """The JSON key of a threshold: Python's repr of the float (``1e+25``)."""
    return repr(float(threshold))


def _plain(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class OutputStats:
    """Statistics of one output (on the log10 scale when ``scale == "log10"``)."""

    key: str
    scale: str
    count: int
    p5: float | None
    p10: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    mean: float | None
    se: float | None
    exceed: dict[str, float] = field(default_factory=dict)
    cdf: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The contract's keys (p5 ... p95, mean, se, exceed), then scale, count and cdf."""
        return {
            "p5": self.p5,
            "p10": self.p10,
            "p50": self.p50,
            "p90": self.p90,
            "p95": self.p95,
            "mean": self.mean,
            "se": self.se,
            "exceed": dict(self.exceed),
            "scale": self.scale,
            "count": self.count,
            "cdf": list(self.cdf),
        }


class Accumulator:
    """Collects one output chunk by chunk (up to ``capacity`` samples) and summarises it."""

    def __init__(self, key: str, capacity: int, thresholds: Sequence[float], log: bool):
        self.key = key
        self.log = log
        self.thresholds = tuple(float(t) for t in thresholds)
        self._values = np.empty(capacity)
        self._count = 0
        self._seen = 0
        self._shift = math.nan
        self._sum = 0.0
        self._sum_sq = 0.0
        self._reached = np.zeros(len(self.thresholds), dtype=np.int64)

    def add(self, raw: NDArray[np.float64]) -> None:
        """Add a chunk of raw values (NaN where the sample has no value)."""
        self._seen += len(raw)
        for i, threshold in enumerate(self.thresholds):
            self._reached[i] += int(np.count_nonzero(raw >= threshold))
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(raw) if self.log else raw
        values = values[np.isfinite(values)]
        if not len(values):
            return
        if math.isnan(self._shift):
            self._shift = float(values[0])
        offset = values - self._shift
        self._sum += float(offset.sum())
        self._sum_sq += float(np.dot(offset, offset))
        self._values[self._count : self._count + len(values)] = values
        self._count += len(values)

    def result(self) -> OutputStats:
        """The statistics of everything added."""
        n = self._count
        exceed = {
            threshold_key(t): (int(r) / self._seen if self._seen else 0.0)
            for t, r in zip(self.thresholds, self._reached, strict=True)
        }
        scale = "log10" if self.log else "linear"
        if n == 0:
            return OutputStats(self.key, scale, 0, None, None, None, None, None, None, None, exceed, ())
        kept = self._values[:n]
        probabilities = np.concatenate([list(QUANTILES.values()), CDF_PROBABILITIES])
        found = np.quantile(kept, probabilities, method="inverted_cdf")
        named = dict(zip(QUANTILES, (_plain(v) for v in found[: len(QUANTILES)]), strict=True))
        mean = self._shift + self._sum / n
        se = None
        if n > 1:
            variance = max(0.0, (self._sum_sq - self._sum * self._sum / n) / (n - 1))
            se = math.sqrt(variance / n)
        return OutputStats(
            self.key,
            scale,
            n,
            named["p5"],
            named["p10"],
            named["p50"],
            named["p90"],
            named["p95"],
            _plain(mean),
            se,
            exceed,
            tuple(float(v) for v in found[len(QUANTILES) :]),
        )

    @property
    def kept(self) -> NDArray[np.float64]:
        """The values held so far (transformed, finite)."""
        return self._values[: self._count]
