"""Rendering the report's figures beside the tables: a forked worker process imports matplotlib
and renders part of the figures while this process computes the tables and then renders the
rest, so that a cold ``dtsim report`` uses both cores of a small machine.

Only the mechanics live here: which figures exist and how each is drawn is ``figures``. Where
``fork`` is missing (Windows), or the machine has one core, every figure is rendered here, in
order, after the tables. The worker's figures are the same bytes as this process would render
(``svg.hashsalt`` makes the SVG ids deterministic); an error in the worker is raised here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["WORKER_FIGURES", "start_figures"]

Figures = dict[str, tuple[str, str]]

#: The figures the worker renders: together about as long as the tables plus the others.
WORKER_FIGURES = ("compute_vs_nodes", "nodes_and_cost_vs_threshold")


def _render(names: list[str], overrides: Mapping[str, Any] | None) -> Figures:
    from dtsim.report.figures import render_figures

    return render_figures(overrides, names=names)


def _can_fork() -> bool:
    return hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and sys.platform != "win32"


def start_figures(overrides: Mapping[str, Any] | None, names: list[str]) -> Callable[[], Figures]:
    """Start rendering ``names``; call the returned function (after other work) for all of
    them, in the order of ``names``."""
    theirs = [n for n in names if n in WORKER_FIGURES]
    mine = [n for n in names if n not in theirs]
    if not theirs or not mine or not _can_fork():
        return lambda: _render(names, overrides)
    read_fd, write_fd = os.pipe()
    with warnings.catch_warnings():  # NumPy's BLAS threads: the worker only uses this one
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the worker: render, send, exit without running the parent's clean-up
        os.close(read_fd)
        status = 0
        try:
            payload: Any = _render(theirs, overrides)
        except BaseException as exc:  # handed to the parent, which raises it
            payload, status = exc, 1
        try:
            data = pickle.dumps(payload)
        except Exception:
            data, status = pickle.dumps(RuntimeError(repr(payload))), 1
        with contextlib.suppress(OSError), os.fdopen(write_fd, "wb") as pipe:
            pipe.write(data)
        os._exit(status)
    os.close(write_fd)

    def finish() -> Figures:
        try:
            own = _render(mine, overrides)
            with os.fdopen(read_fd, "rb") as pipe:
                data = pipe.read()
        finally:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        other = pickle.loads(data) if data else RuntimeError("the figure worker ended without an answer")
        if isinstance(other, BaseException):
            raise other
        both = {**own, **other}
        return {name: both[name] for name in names}

    return finish
