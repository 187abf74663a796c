"""Printing for the commands: every piece of user text as plain text.

User text (scenario and plan names, keys, file names, values in messages) is never read as
Rich markup (``[/red]`` is printed as typed, never styled or crashing), never turned into emoji
(``:smile:`` stays text), and its control characters are escaped (ESC is shown as ``\\x1b``), so
nothing a file holds can restyle or scramble the terminal. Error messages are one line, long
values cut with an ellipsis. JSON output is always valid (NaN and infinity refused before a
byte is printed); CSV output is streamed row by row with proper quoting.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from dtsim.errors import one_line
from dtsim.output import json_text, write_csv_rows

__all__ = ["console", "error_line", "fail", "plain", "print_csv", "print_json", "print_records", "show"]

#: Longest error message printed (characters).
MESSAGE_LIMIT = 2000


def plain(value: object, *, limit: int | None = None) -> str:
    """``value`` as one line of plain text: control characters escaped, cut to ``limit``."""
    return one_line(str(value), limit)


def console(*, stderr: bool = False) -> Console:
    """A console that prints strings as they are: no markup, no emoji codes, no highlighting."""
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)


def error_line(message: object) -> str:
    """The one line printed for a user error (an exception or its message)."""
    return "error: " + plain(message, limit=MESSAGE_LIMIT)


def fail(exc: BaseException) -> NoReturn:
    """Print a user error as one line on stderr (never wrapped) and exit with status 2."""
    sys.stderr.write(error_line(exc) + "\n")
    raise typer.Exit(2)


def compact(value: float) -> str:
    """A number in at most 9 characters, never cut before its exponent: whole numbers below a
    million as they are (with thousands separators), others to 4 significant digits, and very
    large or small ones as 3 significant digits with a short exponent (``2.04e25``, ``3.3e-6``)."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if value == int(value) and magnitude < 1e6:
        return f"{int(value):,}"
    if 1e-3 <= magnitude < 1e5:
        return f"{value:.4g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def show(value: Any) -> str:
    """A table cell: numbers compact (``compact``), null as a dash, text as plain text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return compact(float(value))
    return plain(value, limit=200)


def print_json(data: Any, *, cause: str) -> None:
    """``data`` as valid JSON on stdout (a non-finite number is refused, naming ``cause``)."""
    sys.stdout.write(json_text(data, cause=cause) + "\n")


def print_csv(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> None:
    """Records as CSV on stdout, streamed one row at a time."""
    write_csv_rows(sys.stdout, rows, keys)


def print_records(rows: Sequence[Mapping[str, Any]], *, title: str, label_key: str) -> None:
    """Records as a table with one column per record (headed by its ``label_key``) and one
    row per key."""
    table = Table(title=plain(title), header_style="bold")
    table.add_column("", no_wrap=True)
    for row in rows:
        table.add_column(show(row.get(label_key, "")), justify="right")
    keys = list(dict.fromkeys(key for row in rows for key in row if key != label_key))
    for key in keys:
        table.add_row(plain(key), *[show(row.get(key)) for row in rows])
    console().print(table)
