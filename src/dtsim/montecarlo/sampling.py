"""From a distributions mapping to sampled input columns.

``parse_design`` validates a distributions mapping against a base scenario: each key is a
scenario field that can vary, each value a distribution of ``distributions``; fixed values are
set on the base scenario; choices not mixed become side-by-side blocks; every other input is
sampled. ``Design.draw`` draws uniforms, correlated through a Gaussian copula when rank
correlations are given, and ``Design.axes`` maps them through each input's inverse CDF into
sweep axes.

Gaussian copula: standard normals Z (n × d) are multiplied by the Cholesky factor L of the
normal correlation matrix R, U = Φ(Z·Lᵀ), X_i = F_i⁻¹(U_i). A Spearman rank correlation r
between two inputs corresponds to the normal correlation ρ = 2·sin(π·r/6) (K. Pearson 1907;
see Kurowicka & Cooke, "Uncertainty Analysis with High Dimensional Dependence Modelling",
Wiley 2006), which the copula preserves through any monotone marginal.

Bounds: a continuous distribution that reaches outside the field's range is clipped to it: the
probability beyond a bound, at most ``MAX_CUT``, is placed on the bound, so that every quantile
inside the range is the distribution's own (its P10, P50, P90 as given). Beyond ``MAX_CUT`` the
distribution is refused as inconsistent with the field. Whole-number fields are rounded to the
nearest whole number.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from dtsim.errors import MISSING, DtsimError, ScenarioError
from dtsim.montecarlo.bounds import FieldRule, check_value, field_rule
from dtsim.montecarlo.distributions import Choice, Continuous, Fixed, parse_distribution
from dtsim.scenario import Scenario

__all__ = ["MAX_CUT", "Design", "Input", "parse_design", "spearman_to_normal"]

#: Largest share of a distribution's probability that may lie outside the field's range (and is
#: then placed on the bound); beyond it the distribution is refused as inconsistent with the field.
MAX_CUT = 0.01
#: Uniforms are kept within [TINY, 1 − TINY] so that an unbounded inverse CDF stays finite.
TINY = 2.0**-53
#: Most side-by-side blocks (the product of the values of the choices not mixed).
MAX_BLOCKS = 64


def spearman_to_normal(rank: float) -> float:
    """ρ = 2·sin(π·r/6): the normal-copula correlation whose Spearman rank correlation is r."""
    return 2.0 * math.sin(math.pi * rank / 6.0)


@dataclass(frozen=True, eq=False)
class Input:
    """One input: its field, distribution and field rule; values are clipped to [low, high],
    which puts ``cut`` of the distribution's probability on the bounds."""

    path: str
    dist: Continuous | Choice
    rule: FieldRule
    low: float = -math.inf
    high: float = math.inf
    cut: float = 0.0

    @property
    def is_choice(self) -> bool:
        return isinstance(self.dist, Choice)

    def codes(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """Numeric values at probabilities ``u`` (a choice gives the index of its value)."""
        x = self.dist.ppf(np.clip(u, TINY, 1.0 - TINY))
        if self.is_choice:
            return x
        x = np.clip(x, self.low, self.high)
        return np.rint(x) if self.rule.kind == "integer" else x

    def values(self, codes: NDArray[np.float64]) -> np.ndarray:
        """Field values of codes: numbers, or a choice's values (object array for text)."""
        if not isinstance(self.dist, Choice):
            return codes
        index = codes.astype(np.intp)
        if self.rule.kind == "text":
            table = np.empty(len(self.dist.values), dtype=object)
            table[:] = list(self.dist.values)
            return table[index]
        return np.asarray(self.dist.values, dtype=float)[index]

    def quantile(self, p: float) -> Any:
        """The field value at probability ``p`` (a plain number or text)."""
        value = self.values(self.codes(np.array([p])))[0]
        return value.item() if isinstance(value, np.generic) else value

    def describe(self) -> dict[str, Any]:
        """The distribution, its P10/P50/P90 and the share cut off by the field's range."""
        return {
            **self.dist.describe(),
            "p10": self.quantile(0.1),
            "p50": self.quantile(0.5),
            "p90": self.quantile(0.9),
            "clipped": self.cut,
        }


@dataclass(frozen=True, eq=False)
class Design:
    """A validated uncertainty problem: the base scenario (fixed values applied), the sampled
    inputs, the choices shown side by side, and the Cholesky factor of the copula (or None)."""

    base: Scenario
    inputs: tuple[Input, ...]
    structural: tuple[Input, ...]
    fixed: dict[str, Any]
    correlations: tuple[tuple[str, str, float], ...]
    cholesky: NDArray[np.float64] | None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(i.path for i in self.inputs)

    def blocks(self) -> list[dict[str, Any]]:
        """One mapping {path: value} per side-by-side block ([{}] without structural choices)."""
        paths = [s.path for s in self.structural]
        values = [s.dist.values for s in self.structural if isinstance(s.dist, Choice)]
        return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*values)]

    def draw(self, rng: np.random.Generator, n: int) -> NDArray[np.float64]:
        """n × d uniforms, correlated through the Gaussian copula."""
        z = rng.standard_normal((n, len(self.inputs)))
        if self.cholesky is not None:
            z = z @ self.cholesky.T
        return np.asarray(special.ndtr(z), dtype=float)

    def codes(self, u: NDArray[np.float64]) -> NDArray[np.float64]:
        """n × d numeric codes of uniforms ``u`` (see ``Input.codes``)."""
        if not self.inputs:
            return np.empty((len(u), 0))
        return np.column_stack([inp.codes(u[:, j]) for j, inp in enumerate(self.inputs)])

    def axes(self, codes: NDArray[np.float64]) -> dict[str, np.ndarray]:
        """Sweep axes {path: values} of an n × d matrix of codes."""
        return {inp.path: inp.values(codes[:, j]) for j, inp in enumerate(self.inputs)}


def parse_design(
    base: Scenario,
    distributions: Mapping[str, Any],
    correlations: Any = None,
    *,
    mix: bool = False,
    fixed_paths: Sequence[str] = (),
) -> Design:
    """Validate ``distributions`` ({field path: distribution}, nested sections allowed) and
    ``correlations`` ([{fields: [A, B], rank: r}]) against ``base``. ``mix``: sample every choice
    instead of showing it side by side. ``fixed_paths``: fields the caller sets itself (refused)."""
    if not isinstance(distributions, Mapping):
        raise ScenarioError("distributions", distributions, "expected a mapping {field path: distribution}")
    flat = _flatten(distributions)
    if "correlations" in flat:
        if correlations is not None:
            raise ScenarioError("correlations", correlations, "give correlations once (in distributions or apart)")
        correlations = flat.pop("correlations")
    fixed: dict[str, Any] = {}
    sampled: list[Input] = []
    structural: list[Input] = []
    for path, spec in flat.items():
        where = f"distributions.{path}"
        if path in fixed_paths:
            raise ScenarioError(where, MISSING, "this field is set by the analysis; it cannot be uncertain")
        dist = parse_distribution(where, spec)
        try:
            rule = field_rule(base, path)
        except ScenarioError as exc:
            raise ScenarioError(where, MISSING, exc.allowed) from None
        if isinstance(dist, Fixed):
            fixed[path] = _checked(base, where + ".value", path, dist.value)
            continue
        if isinstance(dist, Choice):
            _check_choice(base, where, rule, dist)
            (sampled if dist.mix or mix else structural).append(Input(path, dist, rule))
            continue
        if rule.kind == "text":
            raise ScenarioError(where + ".dist", dist.family, "a text field takes dist: choice or fixed")
        sampled.append(_bounded(where, path, dist, rule))
    if fixed:
        try:
            base = base.with_values(**fixed)
        except DtsimError as exc:
            raise ScenarioError("distributions", fixed, f"the fixed values together: {exc}") from None
    design_inputs = tuple(sampled)
    pairs = _parse_correlations(correlations, design_inputs, tuple(structural))
    blocks = math.prod(len(s.dist.values) for s in structural if isinstance(s.dist, Choice))
    if blocks > MAX_BLOCKS:
        raise ScenarioError(
            "distributions",
            [s.path for s in structural],
            f"the choices shown side by side make {blocks} blocks (at most {MAX_BLOCKS}); set mix: true on some",
        )
    return Design(base, design_inputs, tuple(structural), fixed, pairs, _cholesky(pairs, design_inputs))


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{dotted path: distribution}: nested sections are walked until a mapping with ``dist``."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if not isinstance(key, str) or not key:
            raise ScenarioError(f"distributions.{prefix}{key}", MISSING, "keys must be field paths (text)")
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "dist" not in value and path != "correlations":
            if not value:
                raise ScenarioError(f"distributions.{path}", value, "an empty section")
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _checked(base: Scenario, where: str, path: str, value: Any) -> Any:
    try:
        check_value(base, path, value)
    except ScenarioError as exc:
        raise ScenarioError(where, value, exc.allowed) from None
    return value


def _check_choice(base: Scenario, where: str, rule: FieldRule, dist: Choice) -> None:
    for i, value in enumerate(dist.values):
        at = f"{where}.values[{i}]"
        if rule.kind != "text":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(at, value, f"expected {rule.describe()}")
            if not rule.admits(value) or (rule.kind == "integer" and not float(value).is_integer()):
                raise ScenarioError(at, value, f"outside the field's range: {rule.describe()}")
        _checked(base, at, rule.path, value)


def _bounded(where: str, path: str, dist: Continuous, rule: FieldRule) -> Input:
    """The input clipped to the field's range; refused when more than MAX_CUT lies outside."""
    low = float(np.nextafter(rule.low, math.inf)) if rule.low_open else rule.low
    high = float(np.nextafter(rule.high, -math.inf)) if rule.high_open else rule.high
    if rule.kind == "integer":
        low, high = float(math.ceil(low)), float(math.floor(high))
    below = float(dist.cdf(low)) if math.isfinite(low) else 0.0
    above = 1.0 - float(dist.cdf(high)) if math.isfinite(high) else 0.0
    if rule.kind == "integer":  # values round into the range from within half a unit of it
        below = float(dist.cdf(low - 0.5)) if math.isfinite(low) else 0.0
        above = 1.0 - float(dist.cdf(high + 0.5)) if math.isfinite(high) else 0.0
    cut = below + above
    if cut > MAX_CUT:
        raise ScenarioError(
            where,
            dist.describe(),
            f"{cut:.1%} of it lies outside the field's range ({rule.describe()}); at most {MAX_CUT:.0%} may be "
            "placed on the bounds: narrow it or use a bounded family (uniform, triangular, beta)",
        )
    return Input(path, dist, rule, low, high, cut)


def _parse_correlations(
    correlations: Any, inputs: tuple[Input, ...], structural: tuple[Input, ...]
) -> tuple[tuple[str, str, float], ...]:
    if correlations is None:
        return ()
    if not isinstance(correlations, Sequence) or isinstance(correlations, str):
        raise ScenarioError("correlations", correlations, "expected a list of {fields: [A, B], rank: r}")
    sampled = {inp.path for inp in inputs}
    side = {inp.path for inp in structural}
    pairs: list[tuple[str, str, float]] = []
    seen: set[frozenset[str]] = set()
    for i, item in enumerate(correlations):
        where = f"correlations[{i}]"
        if not isinstance(item, Mapping):
            raise ScenarioError(where, item, "expected {fields: [A, B], rank: r}")
        for key in item:
            if key not in ("fields", "rank"):
                raise ScenarioError(f"{where}.{key}", MISSING, "unknown key; allowed here: fields, rank")
        for key in ("fields", "rank"):
            if key not in item:
                raise ScenarioError(f"{where}.{key}", MISSING, "required")
        fields = item["fields"]
        if (
            not isinstance(fields, Sequence)
            or isinstance(fields, str)
            or len(fields) != 2
            or not all(isinstance(f, str) for f in fields)
        ):
            raise ScenarioError(f"{where}.fields", fields, "expected two field paths [A, B]")
        a, b = fields
        for name in (a, b):
            if name in side:
                raise ScenarioError(
                    f"{where}.fields", fields, f"{name} is shown side by side, not sampled; set mix: true to correlate"
                )
            if name not in sampled:
                raise ScenarioError(f"{where}.fields", fields, f"{name} is not a sampled input of distributions")
        if a == b:
            raise ScenarioError(f"{where}.fields", fields, "a field cannot be correlated with itself")
        if frozenset((a, b)) in seen:
            raise ScenarioError(f"{where}.fields", fields, "this pair is given twice")
        seen.add(frozenset((a, b)))
        rank = item["rank"]
        if isinstance(rank, bool) or not isinstance(rank, int | float) or not -1 < rank < 1:
            raise ScenarioError(f"{where}.rank", rank, "expected a rank correlation strictly between -1 and 1")
        pairs.append((a, b, float(rank)))
    return tuple(pairs)


def _cholesky(pairs: Sequence[tuple[str, str, float]], inputs: Sequence[Input]) -> NDArray[np.float64] | None:
    """Cholesky factor of the normal-copula correlation matrix; refuses one that is not
    positive definite."""
    if not pairs:
        return None
    index = {inp.path: j for j, inp in enumerate(inputs)}
    matrix = np.eye(len(inputs))
    for a, b, rank in pairs:
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = spearman_to_normal(rank)
    try:
        return np.asarray(np.linalg.cholesky(matrix), dtype=float)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(matrix)[0])
        shown = json.dumps([{"fields": [a, b], "rank": r} for a, b, r in pairs])
        raise ScenarioError(
            "correlations",
            shown,
            f"these rank correlations are not jointly possible (the copula matrix is not positive definite; "
            f"smallest eigenvalue {smallest:.3g}): weaken some",
        ) from None


def chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    """[start, stop) ranges of ``size`` covering ``total``."""
    for start in range(0, total, size):
        yield start, min(start + size, total)
