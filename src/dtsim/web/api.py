"""The JSON API: each endpoint reads its request, calls one ``dtsim.service`` function and
serialises what it returns. No physics and no glue here that the command line could not share.

A ``DtsimError`` becomes a 422 naming the field (``guard.refusal``); the body sent is the
library's value as ``dtsim.output.json_text`` writes it (a non-finite number is refused, never
sent as invalid JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path
from fastapi.responses import Response

from dtsim import service
from dtsim.analyses import ANALYSES
from dtsim.errors import DtsimError
from dtsim.output import json_text
from dtsim.web.guard import error_response, refusal
from dtsim.web.models import (
    MAX_WEB_SWEEP_POINTS,
    AnalysisInfo,
    AnalyzeRequest,
    Catalogue,
    ErrorBody,
    ExportRequest,
    ExportResponse,
    FieldInfo,
    Presets,
    SimulateRequest,
    SimulateResponse,
    SweepRequest,
    SweepResponse,
    UncertaintyRequest,
    UncertaintyResponse,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])

_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The Host header does not name this server."},
    403: {"model": ErrorBody, "description": "The request comes from another origin."},
    413: {"model": ErrorBody, "description": "The request body is too large."},
    422: {"model": ErrorBody, "description": "A field is malformed or out of range (`loc` names it), or a cap is hit."},
}
_ANALYSIS_NAMES: dict[str, Any] = {"enum": list(ANALYSES)}
_MEDIA_TYPES = {"yaml": "application/yaml", "json": "application/json", "csv": "text/csv"}


def _json(data: Any) -> Response:
    return Response(
        json_text(data, cause="a value of the answer", indent=None),
        media_type="application/json",
        headers={"cache-control": "no-store"},
    )


def _answer(
    call: Callable[[], Any], *, within: Sequence[str] = (), top: Iterable[str] = (), sources: Iterable[str] = ()
) -> Response:
    """Call the library; its answer as JSON, or its refusal as a 422 (``guard.refusal``)."""
    try:
        with np.errstate(all="ignore"):
            return _json(call())
    except DtsimError as exc:
        return refusal(exc, within=within, top=top, sources=sources)


@router.get("/schema", response_model=list[FieldInfo], summary="Every scenario field")
def get_schema() -> Response:
    """The field registry: dotted path, kind, label, unit, bounds, choices, defaults (seed and
    revised) and description of every scenario field, grouped by ``section``."""
    return _json(service.schema())


@router.get("/presets", response_model=Presets, summary="Node presets and example scenarios")
def get_presets() -> Response:
    """The seeds' node presets with their specification, and named example scenarios (the
    seeds' cases, the revised model, the paper's headline), each with its source."""
    return _json(service.presets())


@router.get("/catalogue", response_model=Catalogue, summary="GPU catalogue and node presets")
def get_catalogue() -> Response:
    """Every catalogue GPU (throughput, memory, both price tables, source) and the node presets."""
    return _json(service.catalogue())


@router.get("/analyses", response_model=list[AnalysisInfo], summary="The named analyses")
def get_analyses() -> Response:
    """Each analysis of ``POST /api/analyze/{name}`` with its arguments and their defaults."""
    return _json(service.analyses())


@router.post("/simulate", response_model=SimulateResponse, responses=_REFUSALS, summary="Simulate one scenario")
def simulate(request: SimulateRequest) -> Response:
    """The result of one scenario, its explain steps (equation, symbol values, unit and source
    of each quantity) and the warnings a reader must not miss."""
    return _answer(
        lambda: service.simulation(request.scenario, with_explain=request.explain).to_dict(),
        within=["scenario"],
        top=SimulateRequest.model_fields,
    )


@router.post("/sweep", response_model=SweepResponse, responses=_REFUSALS, summary="Vary a scenario along axes")
def sweep(request: SweepRequest) -> Response:
    """The scenario at every point of one or two axes, as columns (null where a point is
    infeasible, with its ``infeasible_reason``). At most 10,000 points (``MAX_WEB_SWEEP_POINTS``)."""
    return _answer(
        lambda: service.sweep_table(
            request.scenario,
            [(axis.path, axis.values) for axis in request.axes],
            grid=request.grid,
            max_points=MAX_WEB_SWEEP_POINTS,
            outputs=request.outputs,
        ),
        within=["scenario"],
        top=SweepRequest.model_fields,
    )


@router.post("/analyze/{name}", response_model=dict[str, Any], responses=_REFUSALS, summary="Run a named analysis")
def analyze(
    name: Annotated[
        str, Path(description="An analysis of `GET /api/analyses`.", json_schema_extra={"enum": list(ANALYSES)})
    ],
    request: AnalyzeRequest,
) -> Response:
    """A named analysis (``dtsim analyze``) with keyword arguments; an argument that takes a
    scenario takes it as an object."""
    if name not in ANALYSES:
        return error_response(
            422,
            [
                {
                    "loc": ["path", "name"],
                    "msg": f"analysis = {name!r}: allowed: {', '.join(ANALYSES)}",
                    "type": "scenario_error",
                }
            ],
        )
    return _answer(lambda: service.analysis(name, request.args, files=False), within=["args"], sources=request.args)


@router.post("/uncertainty", response_model=UncertaintyResponse, responses=_REFUSALS, summary="Monte Carlo uncertainty")
def uncertainty(request: UncertaintyRequest) -> Response:
    """Quantiles, threshold exceedance probabilities and sensitivity of a scenario's results
    (or of an analysis' answer) under uncertain inputs (``dtsim uncertainty``), bounded in
    samples and evaluated points."""
    return _answer(
        lambda: service.uncertainty(
            request.scenario,
            request.distributions,
            samples=request.samples,
            seed=request.seed,
            outputs=request.outputs,
            thresholds=request.thresholds,
            analysis=request.analysis,
            correlations=request.correlations,
            mix=request.mix,
            sobol=request.sobol,
        ).to_dict(),
        top=UncertaintyRequest.model_fields,
    )


@router.post(
    "/export", response_model=ExportResponse, responses=_REFUSALS, summary="A scenario or results as file text"
)
def export(request: ExportRequest) -> Response:
    """The scenario (``yaml``, ``json``: a file ``dtsim simulate`` reads back) or its results
    (``json`` with the explain steps and warnings, ``csv``: one row of result keys), as text for
    the user to save. Nothing is written on the server."""

    def text() -> dict[str, Any]:
        if request.what == "scenario":
            body = service.scenario_text(request.scenario, request.format)
        else:
            body = service.results_text(request.scenario, request.format)
        return {
            "filename": f"{request.what}.{request.format}",
            "media_type": _MEDIA_TYPES[request.format],
            "text": body,
        }

    return _answer(text, within=["scenario"], top=ExportRequest.model_fields)
