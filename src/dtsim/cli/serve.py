"""``dtsim serve``: the interactive page and JSON API (needs the ``web`` extra)."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser
from typing import Annotated

import typer

from dtsim.cli._app import app
from dtsim.cli._text import fail
from dtsim.errors import ScenarioError

#: Addresses that listen on every interface.
_EVERY_INTERFACE = ("0.0.0.0", "::", "")


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; one line naming the option if it cannot be had."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        fail(ScenarioError("--host", host, f"not an address this machine can listen on ({exc})"))
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        fail(ScenarioError("--port", port, f"cannot listen on {host}:{port} ({exc.strerror or exc})"))
    return sock


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 opens the server to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
) -> None:
    """Start the interactive page and its JSON API (Ctrl-C stops the server).

    Example: dtsim serve --open
    """
    try:
        import uvicorn

        from dtsim.web import create_app
        from dtsim.web.app import LOCAL_HOSTS
    except ImportError as exc:
        missing = exc.name or "a package"
        fail(ImportError(f"dtsim serve needs the web extra ({missing} is missing): pip install 'dtsim[web]'"))
    everywhere = host in _EVERY_INTERFACE
    allowed = ("*",) if everywhere else (*LOCAL_HOSTS, host)
    sock = _listen(host, port)
    shown = "127.0.0.1" if everywhere else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{sock.getsockname()[1]}/"
    sys.stdout.write(f"dtsim serving {url} (API documentation at {url}docs); Ctrl-C stops it\n")
    if everywhere:
        sys.stdout.write("warning: listening on every interface: anyone who can reach this machine can use it\n")
    sys.stdout.flush()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    config = uvicorn.Config(
        create_app(allowed_hosts=allowed), log_level="warning", server_header=False, proxy_headers=False
    )
    uvicorn.Server(config).run(sockets=[sock])
