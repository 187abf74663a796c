"""``dtsim serve``: an interactive page and a JSON API over the library (extra ``dtsim[web]``).

The page computes nothing: it shows what the API returns, and the API returns what
``dtsim.service`` returns, the layer the command line uses too. Imports point down:

- ``app``     ``create_app()``: the FastAPI application; error handlers; the routers below
- ``guard``   ASGI middleware: host and origin checks, request body limit, security headers;
              library refusals as 422 answers that name the field
- ``api``     the endpoints under ``/api``: read the request, call one service function,
              serialise its answer
- ``models``  request and response bodies (pydantic), built on the library's own ``Result``
              and ``Step``; they make the OpenAPI schema
- ``page``    the page (``/``) and API documentation (``/docs``), rendered from ``templates/``
              with Jinja2, and the static files served from memory
- ``server``  a TCP listening socket, and uvicorn serving the app on it (in the foreground for
              ``dtsim serve``, in a thread for tests and benchmarks)
- ``static/`` the page's plain JavaScript and style sheet; ``static/vendor/``: Vega, Vega-Lite,
              vega-embed and Swagger UI, pinned, with their licences (``VENDORED.md``)

``dtsim.cli.serve`` runs the app through ``server``. Nothing here reads or writes files on behalf of
a request, and ``import dtsim`` never imports this package.
"""

from __future__ import annotations

from dtsim.web.app import create_app

__all__ = ["create_app"]
