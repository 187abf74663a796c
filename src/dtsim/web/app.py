"""``create_app()``: the FastAPI application of ``dtsim serve``."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dtsim import __version__
from dtsim.errors import one_line
from dtsim.web import api
from dtsim.web.guard import MAX_BODY_BYTES, Guard, error_response
from dtsim.web.page import load_assets, page_router

__all__ = ["LOCAL_HOSTS", "create_app"]

#: The names under which a server bound to the loopback interface answers.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

_DESCRIPTION = """\
The JSON API of `dtsim serve`: the same library answers as the `dtsim` command.
Scenarios are JSON objects as in scenario files; every field is described by `GET /api/schema`.
A malformed request or a value the library refuses gets **422** with `detail[].loc` naming the
field and `detail[].msg` the library's one-line message; a body above the size limit gets
**413**; requests from other origins get **403**.
"""

_log = logging.getLogger("dtsim.web")


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own request validation, answered in the shape of the library's refusals."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = []
    for err in errors[:20]:
        loc = [p if isinstance(p, int) else str(p) for p in err.get("loc", ())]
        where = ".".join(str(p) for p in loc[1:]) or str(loc[0] if loc else "body")
        detail.append(
            {"loc": loc, "msg": one_line(f"{where}: {err.get('msg', 'invalid')}", 1000), "type": err.get("type", "")}
        )
    return error_response(422, detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's and Starlette's own refusals; a body that is not JSON text is a 422 like any
    other malformed request."""
    if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registered for that class only
        raise exc
    if exc.status_code == 400 and str(exc.detail).startswith("There was an error parsing the body"):
        return error_response(422, [{"loc": ["body"], "msg": "body: not JSON text (UTF-8)", "type": "json_invalid"}])
    return await http_exception_handler(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the server's log gets the traceback, the client one generic line."""
    _log.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error: the server could not answer this request")


def create_app(*, allowed_hosts: Iterable[str] = LOCAL_HOSTS, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The app: the JSON API under ``/api``, the page at ``/``, the API documentation at
    ``/docs`` (schema at ``/openapi.json``). ``allowed_hosts``: the host names it answers to
    (``"*"``: any); ``max_body``: the largest request body, in bytes."""
    app = FastAPI(
        title="dtsim",
        version=__version__,
        description=_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.include_router(api.router)
    app.include_router(page_router(load_assets()))
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(Guard, allowed_hosts=tuple(allowed_hosts), max_body=max_body)
    return app
