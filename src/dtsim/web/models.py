"""Request and response bodies of the JSON API, as pydantic models.

Requests carry scenarios as plain JSON objects: the library validates them (``dtsim.scenario``)
so that a bad value is refused with the library's own one-line message naming the field. The
responses are the library's typed objects: ``Result`` and ``Step`` are its dataclasses, and the
other bodies mirror the ``to_dict()`` of ``Simulation``, ``UncertaintyResult`` and the service
layer's tables. The API serialises what the library returns; these models describe it in the
OpenAPI schema (and the schema tests check that every answer conforms).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dtsim.explain import Step
from dtsim.result import Result
from dtsim.service import MAX_INTERACTIVE_POINTS, MAX_INTERACTIVE_SAMPLES

__all__ = [
    "MAX_WEB_SWEEP_POINTS",
    "AnalysisInfo",
    "AnalyzeRequest",
    "Catalogue",
    "ErrorBody",
    "ExportRequest",
    "ExportResponse",
    "FieldInfo",
    "Presets",
    "SimulateRequest",
    "SimulateResponse",
    "SweepAxis",
    "SweepRequest",
    "SweepResponse",
    "UncertaintyRequest",
    "UncertaintyResponse",
]

#: Most points one ``POST /api/sweep`` evaluates and returns.
MAX_WEB_SWEEP_POINTS = 10_000

_SCENARIO = Field(
    description="A scenario as in a scenario file: `nodes` and any dotted-path field of `GET /api/schema` "
    "as nested objects. Validated by dtsim; a bad value is refused naming the field.",
    examples=[{"nodes": 72, "hardware": {"preset": "A100x48"}, "network": {"wan": {"bandwidth_mbps": 100}}}],
)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SimulateRequest(_Request):
    """``POST /api/simulate``: one scenario."""

    scenario: dict[str, Any] = _SCENARIO
    explain: bool = Field(True, description="Also return the explain steps (equation, values, unit, source).")


class SimulateResponse(BaseModel):
    """The result, how it came about, and the warnings a reader must see (``Simulation``)."""

    result: Result
    explain: list[Step]
    warnings: list[str]


class SweepAxis(_Request):
    """One axis: a field's dotted path and its values, as a list or as range text."""

    path: str = Field(description="A sweepable field of `GET /api/schema`.", examples=["nodes"])
    values: list[Any] | str = Field(
        description="A list of values, or range text as `dtsim sweep --vary` reads it: `1,2,4`, "
        "`range:START:STOP:STEP` or `log:START:STOP:COUNT`.",
        examples=["log:1:100000:41", [25, 100, 1000]],
    )


class SweepRequest(_Request):
    """``POST /api/sweep``: a scenario varied along one or two axes."""

    scenario: dict[str, Any] = _SCENARIO
    axes: list[SweepAxis] = Field(min_length=1, max_length=2)
    grid: bool = Field(True, description="Two axes: every combination (true) or paired values (false).")
    outputs: list[str] | None = Field(
        None, description="Result keys to return (default: all); the axes, `feasible` and `infeasible_reason` always."
    )


class SweepResponse(BaseModel):
    """Columns of plain values, null where a point is infeasible."""

    points: int = Field(description=f"Points evaluated (at most {MAX_WEB_SWEEP_POINTS:,}).")
    axes: list[dict[str, Any]]
    columns: dict[str, list[Any]]


class AnalyzeRequest(_Request):
    """``POST /api/analyze/{name}``: the analysis' keyword arguments (see `GET /api/analyses`)."""

    args: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{"scenario": {"hardware": {"preset": "A100x48"}}, "target": 1e25, "metric": "c_local"}],
    )


class AnalysisInfo(BaseModel):
    """One named analysis and its arguments."""

    name: str
    summary: str
    arguments: list[dict[str, Any]]


class UncertaintyRequest(_Request):
    """``POST /api/uncertainty``: Monte Carlo uncertainty of a scenario (``dtsim.uncertainty``)."""

    scenario: dict[str, Any] = _SCENARIO
    distributions: dict[str, Any] = Field(
        description='{field path: distribution}, e.g. `{dist: uniform, low: 25, high: 500}` or `"25 to 500"`.',
        examples=[
            {"network.wan.bandwidth_mbps": "25 to 500", "training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5}}
        ],
    )
    samples: int = Field(2_000, description=f"Monte Carlo samples (at most {MAX_INTERACTIVE_SAMPLES:,}).")
    seed: int = 0
    outputs: list[str] | None = None
    thresholds: list[float] | dict[str, list[float]] | None = None
    analysis: dict[str, Any] | None = Field(
        None, description="Make an analysis' answer uncertain, e.g. `{name: nodes_for_target, target: 1e25}`."
    )
    correlations: list[dict[str, Any]] | None = None
    mix: bool = False
    sobol: bool | int = Field(
        False, description=f"Sobol' indices; the whole run evaluates at most {MAX_INTERACTIVE_POINTS:,} points."
    )


class UncertaintyResponse(BaseModel):
    """``UncertaintyResult.to_dict()``: quantiles, exceedance probabilities and sensitivity."""

    model_config = ConfigDict(extra="allow")

    samples: int
    seed: int
    infeasible_share: float
    outputs: dict[str, dict[str, Any]]
    sensitivity: dict[str, Any]
    inputs: dict[str, Any]
    fixed: dict[str, Any]
    choices: dict[str, Any]
    correlations: list[Any]
    thresholds: dict[str, Any]
    analysis: dict[str, Any] | None


class ExportRequest(_Request):
    """``POST /api/export``: a scenario (YAML, JSON) or its results (JSON, CSV) as file text."""

    scenario: dict[str, Any] = _SCENARIO
    what: Literal["scenario", "results"]
    format: Literal["yaml", "json", "csv"]


class ExportResponse(BaseModel):
    """The text of the file, with its media type and a suggested file name."""

    filename: str
    media_type: str
    text: str


class FieldInfo(BaseModel):
    """One scenario field of the registry (``dtsim.fields.FieldSpec.to_dict()``)."""

    path: str
    kind: Literal["number", "integer", "choice", "boolean", "quality", "text"]
    label: str
    description: str
    unit: str | None
    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    choices: list[Any] | None
    default: Any
    revised: Any
    default_text: str | None
    required: bool
    section: str
    sweepable: bool


class Example(BaseModel):
    """A named example scenario."""

    title: str
    source: str
    scenario: dict[str, Any]


class Presets(BaseModel):
    """The node presets (with their specification) and the example scenarios."""

    hardware: list[dict[str, Any]]
    examples: dict[str, Example]


class Catalogue(BaseModel):
    """The GPU catalogue and the node presets (``dtsim.service.catalogue()``)."""

    gpus: list[dict[str, Any]]
    presets: list[dict[str, Any]]


class ErrorItem(BaseModel):
    """One problem: where (``loc``, as in FastAPI's validation errors), the one-line message
    naming the field, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: ``detail`` is a list of problems (422) or one line."""

    detail: list[ErrorItem] | str
