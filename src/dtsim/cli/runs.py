"""``dtsim runs``: dtsim against published decentralized training runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dtsim.cli._app import app
from dtsim.cli._text import console, fail, plain, print_json
from dtsim.errors import DtsimError, ScenarioError

FORMATS = ("table", "json", "md")


@app.command("runs")
def runs(
    format: Annotated[str, typer.Option("--format", "-f", help="table, json or md (the validation page).")] = "table",
    run: Annotated[list[str] | None, typer.Option("--run", help="Only this run (repeatable); default: all.")] = None,
    catalogue: Annotated[
        Path | None, typer.Option("--catalogue", help="A catalogue file of the same schema (default: the bundled one).")
    ] = None,
) -> None:
    """Predicted against measured for every published run: the prediction, the published value
    and band, the ratio and a verdict per row.

    Example: dtsim runs --format md > docs/validation.md
    """
    from dtsim.real_runs import load_catalogue
    from dtsim.report.validation import measured_text, predicted_text, ratio_text, validation_document, verdict_text
    from dtsim.validation import compare

    try:
        if format not in FORMATS:
            raise ScenarioError("--format", format, f"allowed: {', '.join(FORMATS)}")
        chosen = load_catalogue(catalogue)
        comparisons = compare(chosen, run or None)
        document = validation_document(comparisons) if format == "md" else ""
        if format == "json":
            print_json([c.to_dict() for c in comparisons], cause="runs")
            return
    except DtsimError as exc:
        fail(exc)
    if format == "md":
        sys.stdout.write(document)
        return
    table = Table(title="dtsim against published runs", header_style="bold")
    for column in ("run", "row", "dtsim", "published", "ratio", "verdict", "check"):
        table.add_column(column, justify="right" if column in ("dtsim", "ratio") else "left")
    for c in comparisons:
        cells = (c.run, c.row, predicted_text(c), measured_text(c), ratio_text(c), verdict_text(c), c.check)
        table.add_row(*(plain(cell) for cell in cells))
    console().print(table)
