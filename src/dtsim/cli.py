"""The ``dtsim`` command: parse, call the library, render. User errors (``DtsimError``) print
one line and exit with status 2; only a bug shows a traceback."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dtsim.analyses import ANALYSES, analyze
from dtsim.engine import simulate_many
from dtsim.errors import DtsimError
from dtsim.result import RESULT_KEYS
from dtsim.scenario import load_scenarios

app = typer.Typer(
    help="dtsim: how much training compute a decentralized run over sub-threshold sites reaches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def _fail(exc: Exception) -> None:
    Console(stderr=True, highlight=False).print(f"error: {exc}", markup=False, soft_wrap=True)
    raise typer.Exit(2)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3e}"
    return str(value)


def _print_rows(rows: list[dict[str, Any]], fmt: Format, title: str | None = None) -> None:
    if fmt is Format.json:
        sys.stdout.write(json.dumps(rows, indent=1) + "\n")
    elif fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(RESULT_KEYS), lineterminator="\n")
        writer.writeheader()
        writer.writerows([{k: ("" if v is None else v) for k, v in row.items()} for row in rows])
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(title=title, show_header=True, header_style="bold")
        table.add_column("key")
        for i, row in enumerate(rows):
            table.add_column(str(row.get("name") or f"#{i}"), justify="right")
        keys = [k for k in rows[0] if k != "name"] if rows else []
        for key in keys:
            table.add_row(key, *[_show(row.get(key)) for row in rows])
        Console().print(table)


@app.command()
def simulate(
    files: Annotated[list[Path], typer.Argument(help="YAML/JSON scenario files, or .jsonl with one per line.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Simulate scenarios and print every result key.

    Example: dtsim simulate scenarios/examples/72-nodes.yaml --format json
    """
    try:
        rows = [r.to_dict() for r in simulate_many(load_scenarios(files))]
    except DtsimError as exc:
        _fail(exc)
    _print_rows(rows, format)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files (schema and feasibility) without printing results.

    Example: dtsim validate scenarios/*.yaml
    """
    try:
        scenarios = load_scenarios(files)
        simulate_many(scenarios)
    except DtsimError as exc:
        _fail(exc)
    Console().print(f"{len(scenarios)} scenario(s) valid")


@app.command("analyze")
def analyze_command(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(ANALYSES)}.")],
    args: Annotated[str, typer.Option("--args", "-a", help="JSON object of arguments, or @file.json/.yaml.")] = "{}",
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.json,
) -> None:
    """Run a named analysis.

    Example: dtsim analyze max_gpus_under_threshold --args '{"gpu": "A100-80GB", "threshold_h100_eq": 8}'
    """
    try:
        arguments = _read_args(args)
        result = analyze(name, **arguments)
    except DtsimError as exc:
        _fail(exc)
    _print_rows([result], format, title=name)


def _read_args(text: str) -> dict[str, Any]:
    from dtsim.errors import ScenarioError
    from dtsim.scenario import load_documents

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


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
