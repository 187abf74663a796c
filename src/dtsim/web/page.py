"""The page, its static files and the API documentation page.

The HTML is rendered once from Jinja2 templates; the static files (the page's script and style
sheet, and the vendored chart and documentation libraries) are read from the package once, when
the app is made, and served from memory: no request names a path on disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dtsim import __version__

__all__ = ["ASSETS", "Asset", "load_assets", "page_router"]

#: Every static file served, relative to ``dtsim/web/static``.
ASSETS = (
    "app.js",
    "style.css",
    "docs.js",
    "vendor/vega/vega.min.js",
    "vendor/vega-lite/vega-lite.min.js",
    "vendor/vega-embed/vega-embed.min.js",
    "vendor/swagger-ui/swagger-ui-bundle.js",
    "vendor/swagger-ui/swagger-ui.css",
)
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One static file in memory, with its media type and entity tag (a SHA-256 prefix)."""

    body: bytes
    media_type: str
    etag: str

    @property
    def version(self) -> str:
        """The query string that makes a changed file a new URL."""
        return self.etag.strip('"')


def load_assets() -> dict[str, Asset]:
    """Read every file of ``ASSETS`` from the package."""
    root = resources.files("dtsim.web").joinpath("static")
    assets = {}
    for name in ASSETS:
        body = root.joinpath(name).read_bytes()
        suffix = name[name.rfind(".") :]
        assets[name] = Asset(body, _MEDIA[suffix], f'"{hashlib.sha256(body).hexdigest()[:16]}"')
    return assets


def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dtsim.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )


def page_router(assets: dict[str, Asset]) -> APIRouter:
    """Routes for ``/`` (the page), ``/docs`` (the API documentation) and ``/static/...``."""
    env = _templates()

    def url(name: str) -> str:
        return f"/static/{name}?v={assets[name].version}"

    pages = {
        template: env.get_template(template).render(url=url, version=__version__)
        for template in ("index.html", "docs.html")
    }
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse(pages["index.html"], headers={"cache-control": "no-cache"})

    @router.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(pages["docs.html"], headers={"cache-control": "no-cache"})

    @router.get("/static/{name:path}")
    def static(name: str, request: Request) -> Response:
        asset = assets.get(name)
        if asset is None:
            return Response('{"detail":"Not Found"}', status_code=404, media_type="application/json")
        headers = {"etag": asset.etag, "cache-control": "no-cache"}
        if request.headers.get("if-none-match") == asset.etag:
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    return router
