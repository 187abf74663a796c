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


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 opens the server to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free port).")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
) -> None:
    """Start the interactive page and its JSON API (Ctrl-C stops the server).

    Example: dtsim serve --open
    """
    try:
        from dtsim.web import create_app
        from dtsim.web.app import LOCAL_HOSTS
        from dtsim.web.server import listen, serve
    except ImportError as exc:
        missing = exc.name or "a package"
        fail(ImportError(f"dtsim serve needs the web extra ({missing} is missing): pip install 'dtsim[web]'"))
    try:
        sock = listen(host, port)
    except socket.gaierror as exc:
        fail(ScenarioError("--host", host, f"not an address this machine can listen on ({exc.strerror or exc})"))
    except (OSError, UnicodeError) as exc:
        fail(ScenarioError("--port", port, f"cannot listen on {host}:{port} ({getattr(exc, 'strerror', None) or exc})"))
    everywhere = host in _EVERY_INTERFACE
    shown = "127.0.0.1" if everywhere else (f"[{host}]" if ":" in host else host)
    url = f"http://{shown}:{sock.getsockname()[1]}/"
    sys.stdout.write(f"dtsim serving {url} (API documentation at {url}docs); Ctrl-C stops it\n")
    if everywhere:
        sys.stdout.write("warning: listening on every interface: anyone who can reach this machine can use it\n")
    sys.stdout.flush()
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    serve(create_app(allowed_hosts=("*",) if everywhere else (*LOCAL_HOSTS, host)), sock)
