"""Measured against predicted: each row of the real-runs catalogue (``dtsim.real_runs``)
evaluated by the engine, set against the published value, with the ratio and a verdict.

Every prediction comes from ``simulate``, ``sweep`` or ``analyze`` (``ratio``,
``bandwidth_for_utilization``) on the row's scenario; this module computes no physics. A row
with a ``vary`` input is also evaluated at both ends of that input's range (the prediction's
spread). The verdict compares the central prediction with the published band:

- ``within``: low ≤ predicted ≤ high;
- ``above`` / ``below``: outside the band; ``distance`` is predicted/high − 1 (> 0) or
  predicted/low − 1 (< 0), the relative distance to the nearer edge;
- ``no band``: a value without a band; only the ratio predicted/measured is reported;
- ``no measurement``: the source gives no number (qualitative rows);
- ``no prediction``: the engine refuses the scenario (expected for rows that say so).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from dtsim.analyses import analyze
from dtsim.engine import simulate, sweep
from dtsim.errors import InfeasibleError
from dtsim.real_runs import Catalogue, Row, Run, load_catalogue
from dtsim.scenario import set_path

__all__ = ["Comparison", "Judgement", "compare", "compare_row", "judge"]

Verdict = Literal["within", "above", "below", "no band", "no measurement", "no prediction"]


@dataclass(frozen=True)
class Judgement:
    """A prediction set against a published value and band."""

    verdict: Verdict
    ratio: float | None
    distance: float | None


def judge(predicted: float | None, value: float | None, low: float | None, high: float | None) -> Judgement:
    """The verdict of ``predicted`` against a measured ``value`` and band [``low``, ``high``]
    (either may be absent). ``ratio`` = predicted/value where both exist and value ≠ 0;
    ``distance`` = 0 within the band, predicted/high − 1 above it, predicted/low − 1 below it
    (null when that edge is 0 or negative, where no relative distance exists)."""
    ratio = predicted / value if predicted is not None and value not in (None, 0.0) else None
    if predicted is None:
        return Judgement("no prediction", None, None)
    if low is None or high is None:
        return Judgement("no measurement" if value is None else "no band", ratio, None)
    if predicted > high:
        return Judgement("above", ratio, predicted / high - 1.0 if high > 0 else None)
    if predicted < low:
        return Judgement("below", ratio, predicted / low - 1.0 if low > 0 else None)
    return Judgement("within", ratio, 0.0)


@dataclass(frozen=True)
class Comparison:
    """One row: the prediction, the measurement, and how they compare."""

    run: str
    run_title: str
    row: str
    label: str
    quantity: str
    unit: str
    check: str
    predicted: float | None
    predicted_low: float | None
    predicted_high: float | None
    varied: str | None
    measured: float | None
    measured_low: float | None
    measured_high: float | None
    mark: str
    measured_note: str
    verdict: Verdict
    ratio: float | None
    distance: float | None
    source: str
    explanation: str | None
    refusal: str | None
    expected_refusal: bool
    headline: bool
    assumed: tuple[str, ...]
    variants: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every field (``assumed`` and ``variants`` as lists)."""
        out = asdict(self)
        out["assumed"] = list(self.assumed)
        out["variants"] = list(self.variants)
        return out


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _quantity(row: Row) -> str:
    if row.quantity == "bandwidth_for_utilization":
        return f"bandwidth_for_utilization({row.target:g})"
    if row.quantity == "ratio":
        return f"{row.key} ratio"
    return str(row.key)


def _bandwidth(scenario: dict[str, Any], target: float) -> float | None:
    answer = analyze("bandwidth_for_utilization", scenario=scenario, targets=[target])["targets"][0]
    return None if answer["bandwidth_mbps"] is None else float(answer["bandwidth_mbps"])


def _with(scenario: dict[str, Any], path: str, value: float) -> dict[str, Any]:
    """A copy of a nested scenario dict with one dotted field set."""

    def copy(data: dict[str, Any]) -> dict[str, Any]:
        return {k: copy(v) if isinstance(v, dict) else v for k, v in data.items()}

    out = copy(scenario)
    set_path(out, path, value)
    return out


Prediction = tuple[float | None, float | None, float | None]


def _spread(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    known = [v for v in values if v is not None and math.isfinite(v)]
    return (min(known), max(known)) if known else (None, None)


def _predict_bandwidth(run: Run, row: Row) -> Prediction:
    scenario = run.scenario(row)
    target = float(row.target or 0.0)
    central = _bandwidth(scenario, target)
    if row.vary is None:
        return central, None, None
    return central, *_spread([_bandwidth(_with(scenario, row.vary.field, v), target) for v in row.vary.values])


def _predict_result(run: Run, row: Row) -> Prediction:
    scenario = run.scenario(row)
    key = str(row.key)
    value = getattr(simulate(scenario), key)
    central = None if value is None else _finite(value)
    if row.vary is None:
        return central, None, None
    columns = sweep(scenario, {row.vary.field: list(row.vary.values)}).columns
    return central, *_spread([float(v) for v in np.asarray(columns[key], dtype=float)])


def _predict(run: Run, row: Row) -> Prediction:
    """Central prediction and its spread over ``row.vary`` (None where absent)."""
    if row.quantity == "ratio":
        numerator, denominator = run.scenario(row, numerator=True), run.scenario(row)
        out = analyze("ratio", key=str(row.key), numerator=numerator, denominator=denominator)
        return _finite(out["ratio"]), None, None
    if row.quantity == "bandwidth_for_utilization":
        return _predict_bandwidth(run, row)
    return _predict_result(run, row)


def compare_row(run: Run, row: Row) -> Comparison:
    """Evaluate one row of ``run``."""
    refusal: str | None = None
    try:
        predicted, low, high = _predict(run, row)
    except InfeasibleError as exc:
        predicted, low, high, refusal = None, None, None, str(exc)
    measured = row.measured
    judgement = judge(predicted, measured.value, measured.low, measured.high)
    inputs = {**run.inputs_of(row), **row.numerator}
    assumed = tuple(path for path, item in inputs.items() if item.assumption is not None)
    variants = tuple(f"{path}={item.value}" for path, item in inputs.items() if item.variant is not None)
    return Comparison(
        run=run.id,
        run_title=run.title,
        row=row.id,
        label=row.label,
        quantity=_quantity(row),
        unit=row.unit,
        check=row.check,
        predicted=predicted,
        predicted_low=low,
        predicted_high=high,
        varied=None if row.vary is None else row.vary.field,
        measured=measured.value,
        measured_low=measured.low,
        measured_high=measured.high,
        mark=measured.mark,
        measured_note=measured.note,
        verdict=judgement.verdict,
        ratio=judgement.ratio,
        distance=judgement.distance,
        source=row.source,
        explanation=row.explanation,
        refusal=refusal,
        expected_refusal=row.expect_infeasible is not None,
        headline=row.headline,
        assumed=assumed,
        variants=variants,
    )


def compare(catalogue: Catalogue | None = None, runs: Sequence[str] | None = None) -> tuple[Comparison, ...]:
    """Every row of the catalogue (the packaged one by default), or of the named ``runs``, in
    catalogue order. The packaged catalogue's full comparison is computed once per process."""
    if catalogue is None and runs is None:
        return _packaged()
    catalogue = catalogue if catalogue is not None else load_catalogue()
    chosen = catalogue.runs if runs is None else tuple(catalogue.run(r) for r in runs)
    return tuple(compare_row(run, row) for run in chosen for row in run.rows)


@functools.cache
def _packaged() -> tuple[Comparison, ...]:
    catalogue = load_catalogue()
    return tuple(compare_row(run, row) for run in catalogue.runs for row in run.rows)
