"""The typer application and what every command shares: output formats, one-line errors,
rendering of rows, and parsing of command-line values."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from enum import StrEnum
from typing import Any

import numpy as np
import typer
from rich.table import Table

from dtsim.cli._text import console, fail, plain, print_json, show
from dtsim.engine import LinearAxis, LogAxis
from dtsim.errors import DtsimError, ScenarioError
from dtsim.fields import field_spec
from dtsim.result import RESULT_INFO, RESULT_KEYS
from dtsim.scenario import load_documents
from dtsim.service import MAX_AXIS_VALUES, parse_axis, parse_overrides

app = typer.Typer(
    help="dtsim: how much training compute a decentralized run over sub-threshold sites reaches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from dtsim import __version__

        sys.stdout.write(f"dtsim {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """dtsim: how much training compute a decentralized run over sub-threshold sites reaches."""


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


_fail = fail
_show = show


def _print_json(data: Any, *, cause: str) -> None:
    """``data`` as valid JSON on stdout; a non-finite number is one line naming it (status 2)."""
    try:
        print_json(data, cause=cause)
    except DtsimError as exc:
        fail(exc)


def _print_rows(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        _print_json(rows, cause="these results")
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(RESULT_KEYS), lineterminator="\n")
        writer.writeheader()
        writer.writerows([{k: _csv_value(v) for k, v in row.items()} for row in rows])
        sys.stdout.write(buffer.getvalue())
    else:
        print_key_table(rows, title=title)


def print_key_table(rows: list[dict[str, Any]], *, title: str | None = None) -> None:
    """Records as a table with one row per key: for one record, its values and their units; for
    several, one column per record (headed by its name)."""
    table = Table(title=plain(title) if title else None, show_header=True, header_style="bold")
    table.add_column("key", no_wrap=True)
    single = len(rows) == 1
    for i, row in enumerate(rows):
        table.add_column("value" if single else plain(row.get("name") or f"#{i}", limit=24), justify="right")
    if single:
        table.add_column("unit", no_wrap=True)
    keys = [k for k in rows[0] if k != "name"] if rows else []
    for key in keys:
        cells = [show(row.get(key)) for row in rows]
        if single:
            cells.append(RESULT_INFO[key][0] if key in RESULT_INFO else "")
        table.add_row(key, *cells)
    console().print(table)


def _csv_value(value: Any) -> Any:
    """A CSV cell: empty for null, JSON for nested values (never a Python repr)."""
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value)
    return value


def _read_args(text: str) -> dict[str, Any]:

    if text.startswith("@"):
        docs = load_documents(text[1:])
        data = docs[0][1] if len(docs) == 1 else None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError("--args", text, f"not a JSON object: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ScenarioError("--args", text, "expected a JSON object of keyword arguments")
    return data


def _parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``--set``), read through the field registry."""
    return parse_overrides(pairs)


#: Ranges with more values than this stay lazy (computed chunk by chunk, never allocated whole).
LAZY_AXIS_VALUES = 100_000


def _axis_values(path: str, spec: str) -> Any:
    """The values of one ``--vary PATH=SPEC``, read through the field registry. A long
    ``range:`` (and a long ``log:`` on a field of real numbers) is a lazy axis with exactly the
    values ``parse_axis`` would list; everything else is what ``parse_axis`` gives."""
    lazy = _lazy_axis(path, spec)
    return parse_axis(path, spec) if lazy is None else lazy


def _lazy_axis(path: str, spec: str) -> LinearAxis | LogAxis | None:
    kind, _, rest = spec.partition(":")
    parts = rest.split(":")
    if kind not in ("range", "log") or len(parts) != 3:
        return None
    try:
        start, stop, third = (float(part) for part in parts)
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (start, stop, third)):
        return None
    integer = field_spec(path).kind == "integer"
    if kind == "range":
        if third <= 0 or stop < start:
            return None
        count = math.floor((stop - start) / third * (1 + 1e-12)) + 1
        if not LAZY_AXIS_VALUES < count <= MAX_AXIS_VALUES:
            return None
        return LinearAxis(start, third, count, 9 if integer else None)
    if integer or start <= 0 or stop <= 0 or not third.is_integer() or not LAZY_AXIS_VALUES < third <= MAX_AXIS_VALUES:
        return None  # a log range on an integer field drops repeated values: listed whole
    return LogAxis(float(np.log10(start)), float(np.log10(stop)), int(third))  # as np.logspace is given them
