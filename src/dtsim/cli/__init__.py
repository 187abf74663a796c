"""The ``dtsim`` command: parse, call the library, render. User errors (``DtsimError``) print
one line and exit with status 2; only a bug shows a traceback.

One module per command group (``run``: simulate, validate, sweep, explain; ``analyze``: analyze,
hardware; ``report``; ``audit``; ``population``), each registering on the shared ``app``.
"""

from __future__ import annotations

from dtsim.cli import analyze, audit, population, report, run, runs, uncertainty
from dtsim.cli._app import app

__all__ = ["app", "main"]

_COMMAND_MODULES = (run, analyze, report, audit, population, uncertainty, runs)


def main() -> None:
    """Console entry point."""
    app()
