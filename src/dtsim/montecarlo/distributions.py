"""The distribution families of an uncertain input, parsed and validated, each with its inverse
CDF (``ppf``) so that inputs are drawn by transforming uniforms (which the Gaussian copula of
``sampling`` correlates).

A distribution is written as a mapping with a ``dist`` key:

==============  ==============================================  ================================
``dist``        parameters                                       meaning
==============  ==============================================  ================================
``fixed``       ``value``                                        a point mass (a number or text)
``uniform``     ``low < high``                                   flat on [low, high]
``loguniform``  ``0 < low < high``                               flat in log on [low, high]
``normal``      ``mean``, ``sd > 0``                             Gaussian
``lognormal``   ``ci90: [a, b]`` (0 < a < b), or                 log-normal: a and b are its P5 and
                ``median > 0``, ``gsd > 1``                      P95; gsd the geometric sd
``triangular``  ``low ≤ mode ≤ high``, ``low < high``            triangle peaking at mode
``beta``        ``a > 0``, ``b > 0``, ``low < high``             Beta(a, b) stretched onto [low, high]
``three_point`` ``p10 < p50 < p90``                              the two-piece normal below
``choice``      ``values``, ``weights`` (≥ 0, default equal),    discrete; shown side by side unless
                ``mix`` (default false)                          ``mix: true`` (see ``api``)
==============  ==============================================  ================================

Shorthands: a bare number or text is ``fixed``; the text ``"a to b"`` is a 90 % interval
(log-normal with P5 = a, P95 = b when 0 < a < b, else normal), the notation of the Squiggle
estimation language.

``three_point`` is fitted by a two-piece normal joined at the median: below P50 a normal with
σ_low = (P50 − P10)/z, above it one with σ_high = (P90 − P50)/z, z = Φ⁻¹(0.9) = 1.28155, each
half holding probability ½. Its P10, P50 and P90 are the given ones exactly, for any skew (the
density steps at the median when σ_low ≠ σ_high). The two-piece normal goes back to Fechner;
see K. F. Wallis, "The two-piece normal, binormal, or double Gaussian distribution: its origin
and rediscoveries", Statistical Science 29(1), 2014. A three-term metalog (T. W. Keelin, "The
metalog distributions", Decision Analysis 13(4), 2016) would give a smooth density but exists
only for moderate skew ((P90 + P10 − 2·P50)/(P90 − P10) below about 0.67), so it is not used.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from dtsim.errors import MISSING, ScenarioError

__all__ = [
    "FAMILIES",
    "Choice",
    "Continuous",
    "Distribution",
    "Fixed",
    "TwoPieceNormal",
    "parse_distribution",
]

#: z = Φ⁻¹(0.95): a 90 % interval of a normal is mean ± z·sd.
Z95 = float(special.ndtri(0.95))
#: z = Φ⁻¹(0.90): P90 − P50 of a standard normal.
Z90 = float(special.ndtri(0.90))

#: Each family's required and optional parameters (``dist`` itself aside).
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fixed": (("value",), ()),
    "uniform": (("low", "high"), ()),
    "loguniform": (("low", "high"), ()),
    "normal": (("mean", "sd"), ()),
    "lognormal": ((), ("ci90", "median", "gsd")),
    "triangular": (("low", "mode", "high"), ()),
    "beta": (("a", "b", "low", "high"), ()),
    "three_point": (("p10", "p50", "p90"), ()),
    "choice": (("values",), ("weights", "mix")),
}

_INTERVAL = re.compile(r"^\s*(\S+)\s+to\s+(\S+)\s*$")


class Distribution(ABC):
    """A sampled distribution: ``ppf`` maps probabilities in (0, 1) to values."""

    family: str

    @abstractmethod
    def ppf(self, u: ArrayLike) -> NDArray[np.float64]:
        """Inverse CDF at probabilities ``u``."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """The distribution as a JSON-serialisable mapping (``dist`` and its parameters)."""


@dataclass(frozen=True)
class Fixed:
    """A point mass: the field is set to ``value`` for every sample."""

    value: Any
    family: str = "fixed"

    def describe(self) -> dict[str, Any]:
        return {"dist": "fixed", "value": self.value}


@dataclass(frozen=True, eq=False)
class Continuous(Distribution):
    """A SciPy continuous distribution, frozen with its parameters."""

    family: str
    params: dict[str, Any]
    rv: Any = field(repr=False)

    def ppf(self, u: ArrayLike) -> NDArray[np.float64]:
        return np.asarray(self.rv.ppf(u), dtype=float)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """CDF at values ``x``."""
        return np.asarray(self.rv.cdf(x), dtype=float)

    def describe(self) -> dict[str, Any]:
        return {"dist": self.family, **self.params}


@dataclass(frozen=True, eq=False)
class TwoPieceNormal(Continuous):
    """Two normal halves joined at the median P50, each holding probability ½, with
    σ_low = (P50 − P10)/z and σ_high = (P90 − P50)/z, z = Φ⁻¹(0.9); see the module docstring."""

    p10: float = 0.0
    p50: float = 0.0
    p90: float = 0.0

    def ppf(self, u: ArrayLike) -> NDArray[np.float64]:
        """x(u) = P50 + σ·Φ⁻¹(u), σ = σ_low for u < ½ else σ_high."""
        z = special.ndtri(np.asarray(u, dtype=float))
        sigma = np.where(z < 0.0, (self.p50 - self.p10) / Z90, (self.p90 - self.p50) / Z90)
        return np.asarray(self.p50 + sigma * z, dtype=float)

    def cdf(self, x: ArrayLike) -> NDArray[np.float64]:
        """F(x) = Φ((x − P50)/σ), σ = σ_low below P50 else σ_high."""
        d = np.asarray(x, dtype=float) - self.p50
        sigma = np.where(d < 0.0, (self.p50 - self.p10) / Z90, (self.p90 - self.p50) / Z90)
        return np.asarray(special.ndtr(d / sigma), dtype=float)


@dataclass(frozen=True, eq=False)
class Choice(Distribution):
    """Discrete values with weights; ``ppf`` gives the index of the value (inverse CDF over the
    values in the given order). ``mix``: sample it (true) or show each value side by side."""

    values: tuple[Any, ...]
    weights: tuple[float, ...]
    mix: bool = False
    family: str = "choice"

    def ppf(self, u: ArrayLike) -> NDArray[np.float64]:
        cumulative = np.cumsum(self.weights)
        cumulative /= cumulative[-1]
        index = np.searchsorted(cumulative, np.asarray(u, dtype=float), side="left")  # first F(x) ≥ u
        return np.minimum(index, len(self.values) - 1).astype(float)

    def describe(self) -> dict[str, Any]:
        return {"dist": "choice", "values": list(self.values), "weights": list(self.weights), "mix": self.mix}


# --------------------------------------------------------------------------------------------
# Parsing


def parse_distribution(where: str, spec: Any) -> Fixed | Continuous | Choice:
    """Parse one distribution; ``where`` names it in errors (``distributions.training.mfu``)."""
    if isinstance(spec, bool):
        return Fixed(spec)
    if isinstance(spec, int | float):
        return Fixed(_finite(f"{where}.value", spec))
    if isinstance(spec, str):
        match = _INTERVAL.match(spec)
        if match is None:
            return Fixed(spec)
        low, high = (_read_number(where, text, spec) for text in match.groups())
        if not low < high:
            raise ScenarioError(where, spec, "an interval 'a to b' needs a < b")
        if low > 0:
            return _lognormal_ci90(where, [low, high])
        mean, sd = (low + high) / 2, (high - low) / (2 * Z95)
        return Continuous("normal", {"mean": mean, "sd": sd}, stats.norm(mean, sd))
    if not isinstance(spec, Mapping):
        raise ScenarioError(where, spec, "expected a distribution {dist: ..., ...}, a number, or 'a to b'")
    family = spec.get("dist", MISSING)
    if family is MISSING:
        raise ScenarioError(f"{where}.dist", MISSING, f"required; allowed: {', '.join(FAMILIES)}")
    if family not in FAMILIES:
        raise ScenarioError(f"{where}.dist", family, f"allowed: {', '.join(FAMILIES)}")
    required, optional = FAMILIES[family]
    for key in spec:
        if key != "dist" and key not in required and key not in optional:
            allowed = ", ".join(("dist", *required, *optional))
            raise ScenarioError(f"{where}.{key}", MISSING, f"unknown key for dist {family}; allowed: {allowed}")
    for key in required:
        if key not in spec:
            raise ScenarioError(f"{where}.{key}", MISSING, f"required for dist {family}")
    return _PARSERS[family](where, spec)


def _finite(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(where, value, "expected a finite number")
    return float(value)


def _read_number(where: str, text: str, spec: str) -> float:
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        raise ScenarioError(where, spec, "expected 'a to b' with two numbers, e.g. '0.3 to 0.5'") from None
    if not math.isfinite(value):
        raise ScenarioError(where, spec, "the interval's ends must be finite numbers")
    return value


def _numbers(where: str, spec: Mapping[str, Any], *keys: str) -> list[float]:
    return [_finite(f"{where}.{key}", spec[key]) for key in keys]


def _fixed(where: str, spec: Mapping[str, Any]) -> Fixed:
    value = spec["value"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = _finite(f"{where}.value", value)
    return Fixed(value)


def _uniform(where: str, spec: Mapping[str, Any]) -> Continuous:
    low, high = _numbers(where, spec, "low", "high")
    if not high > low:
        raise ScenarioError(f"{where}.high", high, f"must be > low ({low:g})")
    return Continuous("uniform", {"low": low, "high": high}, stats.uniform(loc=low, scale=high - low))


def _loguniform(where: str, spec: Mapping[str, Any]) -> Continuous:
    low, high = _numbers(where, spec, "low", "high")
    if not low > 0:
        raise ScenarioError(f"{where}.low", low, "must be > 0 (a log-uniform distribution is positive)")
    if not high > low:
        raise ScenarioError(f"{where}.high", high, f"must be > low ({low:g})")
    return Continuous("loguniform", {"low": low, "high": high}, stats.loguniform(low, high))


def _normal(where: str, spec: Mapping[str, Any]) -> Continuous:
    mean, sd = _numbers(where, spec, "mean", "sd")
    if not sd > 0:
        raise ScenarioError(f"{where}.sd", sd, "must be > 0 (use dist: fixed for a point mass)")
    return Continuous("normal", {"mean": mean, "sd": sd}, stats.norm(mean, sd))


def _lognormal(where: str, spec: Mapping[str, Any]) -> Continuous:
    if "ci90" in spec:
        if "median" in spec or "gsd" in spec:
            raise ScenarioError(f"{where}.ci90", spec["ci90"], "give either ci90 or median and gsd, not both")
        return _lognormal_ci90(f"{where}.ci90", spec["ci90"])
    for key in ("median", "gsd"):
        if key not in spec:
            raise ScenarioError(f"{where}.{key}", MISSING, "lognormal needs ci90: [a, b], or median and gsd")
    median, gsd = _numbers(where, spec, "median", "gsd")
    if not median > 0:
        raise ScenarioError(f"{where}.median", median, "must be > 0")
    if not gsd > 1:
        raise ScenarioError(f"{where}.gsd", gsd, "must be > 1 (the geometric standard deviation)")
    return Continuous("lognormal", {"median": median, "gsd": gsd}, stats.lognorm(s=math.log(gsd), scale=median))


def _lognormal_ci90(where: str, interval: Any) -> Continuous:
    """Log-normal with P5 = a and P95 = b: median √(ab), σ = ln(b/a)/(2·z), z = Φ⁻¹(0.95)."""
    if not isinstance(interval, Sequence) or isinstance(interval, str) or len(interval) != 2:
        raise ScenarioError(where, interval, "expected [a, b] with 0 < a < b (the P5 and P95)")
    a, b = (_finite(f"{where}[{i}]", v) for i, v in enumerate(interval))
    if not 0 < a < b:
        raise ScenarioError(where, interval, "expected [a, b] with 0 < a < b (the P5 and P95)")
    sigma = math.log(b / a) / (2 * Z95)
    return Continuous("lognormal", {"ci90": [a, b]}, stats.lognorm(s=sigma, scale=math.sqrt(a * b)))


def _triangular(where: str, spec: Mapping[str, Any]) -> Continuous:
    low, mode, high = _numbers(where, spec, "low", "mode", "high")
    if not high > low:
        raise ScenarioError(f"{where}.high", high, f"must be > low ({low:g})")
    if not low <= mode <= high:
        raise ScenarioError(f"{where}.mode", mode, f"must lie in [low, high] = [{low:g}, {high:g}]")
    rv = stats.triang((mode - low) / (high - low), loc=low, scale=high - low)
    return Continuous("triangular", {"low": low, "mode": mode, "high": high}, rv)


def _beta(where: str, spec: Mapping[str, Any]) -> Continuous:
    a, b, low, high = _numbers(where, spec, "a", "b", "low", "high")
    for key, value in (("a", a), ("b", b)):
        if not value > 0:
            raise ScenarioError(f"{where}.{key}", value, "must be > 0")
    if not high > low:
        raise ScenarioError(f"{where}.high", high, f"must be > low ({low:g})")
    rv = stats.beta(a, b, loc=low, scale=high - low)
    return Continuous("beta", {"a": a, "b": b, "low": low, "high": high}, rv)


def _three_point(where: str, spec: Mapping[str, Any]) -> TwoPieceNormal:
    p10, p50, p90 = _numbers(where, spec, "p10", "p50", "p90")
    if not p50 > p10:
        raise ScenarioError(f"{where}.p50", p50, f"must be > p10 ({p10:g})")
    if not p90 > p50:
        raise ScenarioError(f"{where}.p90", p90, f"must be > p50 ({p50:g})")
    return TwoPieceNormal("three_point", {"p10": p10, "p50": p50, "p90": p90}, None, p10, p50, p90)


def _choice(where: str, spec: Mapping[str, Any]) -> Choice:
    values = spec["values"]
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        raise ScenarioError(f"{where}.values", values, "expected a non-empty list of values")
    keys = [json.dumps(v, sort_keys=True, default=str) for v in values]
    if len(set(keys)) != len(keys):
        raise ScenarioError(f"{where}.values", values, "values must be distinct")
    for i, value in enumerate(values):
        if isinstance(value, float) and not math.isfinite(value):
            raise ScenarioError(f"{where}.values[{i}]", value, "expected a finite number or a text value")
    weights = spec.get("weights")
    if weights is None:
        weights = [1.0] * len(values)
    if not isinstance(weights, Sequence) or isinstance(weights, str) or len(weights) != len(values):
        raise ScenarioError(f"{where}.weights", weights, f"expected a list of {len(values)} numbers ≥ 0, one per value")
    parsed = [_finite(f"{where}.weights[{i}]", w) for i, w in enumerate(weights)]
    for i, weight in enumerate(parsed):
        if weight < 0:
            raise ScenarioError(f"{where}.weights[{i}]", weight, "must be ≥ 0")
    total = sum(parsed)
    if not total > 0:
        raise ScenarioError(f"{where}.weights", weights, "at least one weight must be > 0")
    mix = spec.get("mix", False)
    if not isinstance(mix, bool):
        raise ScenarioError(f"{where}.mix", mix, "expected true or false")
    return Choice(tuple(values), tuple(w / total for w in parsed), mix)


_PARSERS: dict[str, Any] = {
    "fixed": _fixed,
    "uniform": _uniform,
    "loguniform": _loguniform,
    "normal": _normal,
    "lognormal": _lognormal,
    "triangular": _triangular,
    "beta": _beta,
    "three_point": _three_point,
    "choice": _choice,
}
