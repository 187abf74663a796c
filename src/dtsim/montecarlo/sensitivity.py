"""Which inputs the answer hinges on: a one-at-a-time tornado, Sobol' variance-based indices and
Spearman rank correlations.

- **Tornado**: every input at its own P10 and P90 while the others stay at their P50; inputs
  sorted by the swing |y(P90) − y(P10)| of each output. Cheap (1 + 2·d evaluations) and easy
  to read, but blind to interactions and to correlations.
- **Sobol'** first-order (S1) and total (ST) indices with ``scipy.stats.sobol_indices``
  (Saltelli et al. 2010 estimators on a scrambled Sobol' design of n·(d + 2) points) and
  bootstrap confidence intervals (``scipy.stats.bootstrap``, percentile method, seeded). The
  design's points are evaluated in one batch by the caller. Sobol' indices assume independent
  inputs: rank correlations are not applied to the design.
- **Spearman** rank correlation of each input with each output over the Monte Carlo sample:
  valid with correlated inputs (a choice input is ranked by the order of its values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from scipy.stats import qmc

from dtsim.montecarlo.sampling import Design

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "RankStore",
    "SobolDesign",
    "sobol_from_outputs",
    "spearman",
    "tornado_codes",
    "tornado_rows",
]

Codes = NDArray[np.float64]

#: Bootstrap resamples of the Sobol' indices.
BOOTSTRAP_RESAMPLES = 1000
#: Confidence level of the Sobol' bootstrap intervals.
CONFIDENCE = 0.95


def _value(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


# --------------------------------------------------------------------------------------------
# Tornado


def tornado_codes(design: Design) -> NDArray[np.float64]:
    """(1 + 2·d) × d codes: row 0 every input at P50, rows 2j+1 and 2j+2 input j at P10 and P90."""
    d = len(design.inputs)
    u = np.full((1 + 2 * d, d), 0.5)
    for j in range(d):
        u[1 + 2 * j, j] = 0.1
        u[2 + 2 * j, j] = 0.9
    return design.codes(u)


def tornado_rows(design: Design, outputs: Mapping[str, NDArray[np.float64]]) -> dict[str, Any]:
    """{key: {"baseline": y(P50s), "rows": [...]}} from the outputs at ``tornado_codes``
    (transformed to the statistics' scale), rows sorted by swing, largest first."""
    out: dict[str, Any] = {}
    for key, y in outputs.items():
        rows = []
        for j, inp in enumerate(design.inputs):
            low, high = y[1 + 2 * j], y[2 + 2 * j]
            swing = abs(high - low) if np.isfinite(low) and np.isfinite(high) else np.nan
            rows.append(
                {
                    "input": inp.path,
                    "low": inp.quantile(0.1),
                    "high": inp.quantile(0.9),
                    "output_low": _value(low),
                    "output_high": _value(high),
                    "swing": _value(swing),
                }
            )
        rows.sort(key=lambda r: -r["swing"] if r["swing"] is not None else np.inf)
        out[key] = {"baseline": _value(y[0]), "rows": rows}
    return out


# --------------------------------------------------------------------------------------------
# Sobol'


@dataclass(frozen=True)
class SobolDesign:
    """The points of a Sobol' analysis as codes: A, B (n × d each) and the d matrices AB_i
    (A with column i taken from B), stacked as [A; B; AB_1; ...; AB_d]."""

    n: int
    d: int
    points: NDArray[np.float64]

    @classmethod
    def build(cls, codes: Callable[[Codes], Codes], d: int, n: int, rng: Any) -> SobolDesign:
        """A and B from one scrambled Sobol' sequence of dimension 2·d (as
        ``scipy.stats.sobol_indices`` draws them), mapped to codes by ``codes``."""
        u = qmc.Sobol(d=2 * d, scramble=True, rng=rng, bits=64).random(n)
        a, b = codes(u[:, :d]), codes(u[:, d:])
        ab = np.repeat(a[None, :, :], d, axis=0)
        for i in range(d):
            ab[i, :, i] = b[:, i]
        return cls(n, d, np.concatenate([a, b, ab.reshape(d * n, d)]))


def sobol_from_outputs(
    design: SobolDesign, outputs: Mapping[str, NDArray[np.float64]], names: Sequence[str], rng: Any
) -> dict[str, Any]:
    """Sobol' indices of each output from its values at ``design.points`` (scale already
    applied). An output with infeasible points or no variance gets a ``skipped`` reason."""
    n, d = design.n, design.d
    result: dict[str, Any] = {}
    usable: list[str] = []
    for key, y in outputs.items():
        bad = int(np.count_nonzero(~np.isfinite(y)))
        if bad:
            result[key] = {"skipped": f"{bad} of {len(y)} design points have no value (infeasible or not applicable)"}
        elif np.ptp(y[: 2 * n]) == 0.0:
            result[key] = {"skipped": "the output does not vary"}
        else:
            usable.append(key)
    if not usable:
        return result
    if d == 1:  # a single input carries all the variance: S1 = ST = 1 exactly
        one = {"s1": 1.0, "s1_low": 1.0, "s1_high": 1.0, "st": 1.0, "st_low": 1.0, "st_high": 1.0}
        return result | {key: {names[0]: dict(one)} for key in usable}
    f = np.stack([outputs[k] for k in usable])  # (s, n·(d + 2))
    f_a, f_b = f[:, :n], f[:, n : 2 * n]
    f_ab = f[:, 2 * n :].reshape(len(usable), d, n).transpose(1, 0, 2)

    def indices(index: NDArray[np.intp]) -> NDArray[np.float64]:
        res = stats.sobol_indices(
            func={"f_A": f_a[:, index], "f_B": f_b[:, index], "f_AB": f_ab[:, :, index]}, n=len(index)
        )
        shape = (len(usable), d)  # SciPy squeezes its (s, d) arrays
        return np.stack([np.reshape(res.first_order, shape), np.reshape(res.total_order, shape)])

    point = indices(np.arange(n))
    boot = stats.bootstrap(
        (np.arange(n),),
        indices,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        vectorized=False,
        rng=rng,
    )
    low, high = boot.confidence_interval.low, boot.confidence_interval.high
    for k, key in enumerate(usable):
        result[key] = {
            name: {
                "s1": _value(point[0, k, j]),
                "s1_low": _value(low[0, k, j]),
                "s1_high": _value(high[0, k, j]),
                "st": _value(point[1, k, j]),
                "st_low": _value(low[1, k, j]),
                "st_high": _value(high[1, k, j]),
            }
            for j, name in enumerate(names)
        }
    return result


# --------------------------------------------------------------------------------------------
# Spearman


class RankStore:
    """Holds the first ``limit`` samples' input codes and outputs for rank correlations."""

    def __init__(self, limit: int, d: int, keys: Sequence[str]):
        self.limit = limit
        self._codes = np.empty((limit, d))
        self._outputs = {key: np.empty(limit) for key in keys}
        self._count = 0

    def add(self, codes: NDArray[np.float64], outputs: Mapping[str, NDArray[np.float64]]) -> None:
        take = min(len(codes), self.limit - self._count)
        if take <= 0:
            return
        self._codes[self._count : self._count + take] = codes[:take]
        for key, values in outputs.items():
            self._outputs[key][self._count : self._count + take] = values[:take]
        self._count += take

    def result(self, names: Sequence[str]) -> dict[str, dict[str, float | None]]:
        """{output key: {input: Spearman r}} over the samples where the output has a value."""
        codes = self._codes[: self._count]
        return {key: spearman(codes, values[: self._count], names) for key, values in self._outputs.items()}


def spearman(codes: NDArray[np.float64], y: NDArray[np.float64], names: Sequence[str]) -> dict[str, float | None]:
    """Spearman rank correlation of each column of ``codes`` with ``y`` (rows where y is finite);
    None for a column or output that does not vary."""
    rows = np.isfinite(y)
    x, y = codes[rows], y[rows]
    out: dict[str, float | None] = dict.fromkeys(names)
    if len(y) < 3 or np.ptp(y) == 0.0:
        return out
    varying = [j for j in range(len(names)) if np.ptp(x[:, j]) > 0.0]
    if not varying:
        return out
    matrix = np.atleast_2d(stats.spearmanr(np.column_stack([x[:, varying], y])).statistic)
    for i, j in enumerate(varying):
        out[names[j]] = _value(matrix[i, -1])
    return out
