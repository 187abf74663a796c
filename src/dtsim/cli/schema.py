"""``dtsim schema``: every scenario key and result key, with units, defaults and meaning."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from dtsim.cli._app import Format, _print_rows, app
from dtsim.cli._text import console
from dtsim.reference import field_rows, reference_markdown, result_rows


class SchemaFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


@app.command()
def schema(
    results: Annotated[bool, typer.Option("--results", help="List the result keys instead.")] = False,
    format: Annotated[SchemaFormat, typer.Option("--format", "-f", help="Output format.")] = SchemaFormat.table,
) -> None:
    """Every scenario key (path, unit, default, allowed values, meaning), or every result key.

    Example: dtsim schema --format md > docs/reference.md
    """
    if format is SchemaFormat.md:
        sys.stdout.write(reference_markdown())
        return
    rows = result_rows() if results else field_rows()
    if format is SchemaFormat.table:
        from rich.table import Table

        table = Table(header_style="bold")
        for key in rows[0]:
            table.add_column(key, overflow="fold")
        for row in rows:
            table.add_row(*[str(v) for v in row.values()])
        console().print(table)
        return
    _print_rows(rows, Format(format.value))
