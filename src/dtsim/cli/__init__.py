"""The ``dtsim`` command: parse, call the library (through ``dtsim.service``), render. User
errors (``DtsimError``) print one line and exit with status 2; only a bug shows a traceback.

One module per command group, each registering on the shared ``app``:
- ``run``          simulate, validate, sweep, explain
- ``analyze``      analyze, hardware
- ``report``       report
- ``audit``        audit
- ``population``   population fit, population sample
- ``uncertainty``  uncertainty
- ``schema``       schema: every scenario key and result key
- ``runs``         runs: dtsim against published runs (table, json, md)
- ``serve``        serve: the interactive page and JSON API (extra ``dtsim[web]``)
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import typer

from dtsim.cli import analyze, audit, population, report, run, runs, schema, serve, uncertainty
from dtsim.cli._app import app
from dtsim.cli._text import error_line

__all__ = ["app", "main"]

_COMMAND_MODULES = (run, analyze, report, audit, population, uncertainty, schema, runs, serve)


def main(argv: list[str] | None = None) -> None:
    """Console entry point. A usage error (an unknown option, ``--threshold abc``) prints one
    line and exits with status 2, like a ``DtsimError``; Ctrl-C exits with 130 and SIGTERM during
    a write with 143, both without a traceback; NumPy's floating-point warnings are never shown
    (results are checked for finiteness instead)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", category=RuntimeWarning)
            code = app(args=argv, prog_name="dtsim", standalone_mode=False)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    except typer.Abort:
        sys.stderr.write("aborted\n")
        code = 1
    except BrokenPipeError:  # the reader went away (`dtsim ... | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    except Exception as exc:
        # Click's usage errors (typer's own copy of click, or click): an exit code and a message.
        usage, message = getattr(exc, "exit_code", None), getattr(exc, "format_message", None)
        if not isinstance(usage, int) or not callable(message):
            raise  # a bug: show its traceback
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
            # typer words a bad choice through pydantic ("Value error, 'x' is not one of ...").
            sys.stderr.write(error_line(str(message()).replace(": Value error, ", ": ")) + "\n")
        code = usage
    sys.exit(code if isinstance(code, int) else 0)
