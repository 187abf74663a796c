"""What every request passes before the app sees it, and the shape of every refusal.

``Guard`` is plain ASGI middleware:

- the ``Host`` header must name this server (``allowed_hosts``), so that a page on another
  site cannot reach it through a DNS name that points at 127.0.0.1;
- a request from another origin is refused (403): an ``Origin`` header other than this server's
  own, or ``Sec-Fetch-Site: cross-site | same-site``. No CORS header is ever sent;
- a body longer than ``max_body`` bytes is refused (413) before it is parsed;
- every answer carries headers that keep the page to its own scripts and out of frames.

``refusal`` turns a ``DtsimError`` into a 422 whose ``detail`` locates the field as FastAPI's
own validation errors do (``loc``) and carries the library's one-line message (``msg``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

from dtsim.errors import DtsimError, InfeasibleError

__all__ = ["MAX_BODY_BYTES", "SECURITY_HEADERS", "Guard", "error_response", "location", "refusal"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Largest request body accepted, in bytes (a scenario is about 1 kB).
MAX_BODY_BYTES = 256 * 1024

#: Sent with every answer. Vega's expressions run through its interpreter (no ``eval``); the
#: charts and Swagger UI style elements inline, and charts export as ``data:`` URLs.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
_ENCODED_HEADERS = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS]


def error_response(status: int, detail: Any) -> JSONResponse:
    """A refusal as JSON: ``{"detail": ...}``."""
    return JSONResponse({"detail": detail}, status_code=status)


_INDEX = re.compile(r"\[(\d+)\]")


def location(field: str) -> list[str | int]:
    """A dotted field path as a ``loc`` list: ``axes[0].values`` → ``["axes", 0, "values"]``."""
    parts: list[str | int] = []
    for part in field.split("."):
        name, *_ = part.split("[", 1)
        if name:
            parts.append(name)
        parts.extend(int(i) for i in _INDEX.findall(part))
    return parts


def refusal(
    exc: DtsimError, *, within: Sequence[str] = (), top: Iterable[str] = (), sources: Iterable[str] = ()
) -> JSONResponse:
    """422 for a ``DtsimError``, its field located in the request body: under ``within`` (e.g.
    ``["scenario"]``) unless it starts with a key of the request itself (``top``: ``axes[0]``,
    ``samples``). An error whose source is one of ``sources`` (an analysis argument that holds
    a scenario) is located under that source."""
    field = str(getattr(exc, "field", "") or "")
    parts = location(field)
    source = getattr(exc, "source", None)
    if source in set(sources) and (not parts or parts[0] != source):
        parts = [source, *parts]
    if not parts or parts[0] not in set(top):
        parts = [*within, *parts]
    kind = "infeasible" if isinstance(exc, InfeasibleError) else "scenario_error"
    return error_response(422, [{"loc": ["body", *parts], "msg": str(exc), "type": kind}])


class Guard:
    """ASGI middleware: host, origin and body-size checks, and the security headers."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str], max_body: int = MAX_BODY_BYTES):
        self.app = app
        self.allowed_hosts = {h.lower().strip("[]") for h in allowed_hosts}
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_ENCODED_HEADERS]
            await send(message)

        problem = self._problem(scope, headers)
        if problem is not None:
            status, text = problem
            await error_response(status, text)(scope, receive, send_secured)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await self._too_large(scope, receive, send_secured)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body", False))
            if len(body) > self.max_body:
                await self._too_large(scope, receive, send_secured)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send_secured)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        hostname = hostname.lower().strip("[]")
        if "*" not in self.allowed_hosts and hostname not in self.allowed_hosts:
            return 400, "unknown host: this server answers as " + ", ".join(sorted(self.allowed_hosts))
        origin = headers.get("origin")
        if origin is not None and origin != f"{scope.get('scheme', 'http')}://{host}":
            return 403, "cross-origin requests are refused: open the page from this server"
        if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            return 403, "cross-origin requests are refused: open the page from this server"
        return None

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        text = f"request body above {self.max_body:,} bytes"
        response = JSONResponse(
            {"detail": [{"loc": ["body"], "msg": text, "type": "too_large"}]},
            status_code=413,
            headers={"connection": "close"},
        )
        await response(scope, receive, send)
