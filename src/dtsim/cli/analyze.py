"""Commands for named analyses and the hardware catalogue."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from dtsim.analyses import ANALYSES, analyze, describe_analyses
from dtsim.cli._app import (
    Format,
    _fail,
    _print_json,
    _print_rows,
    _read_args,
    _show,
    app,
)
from dtsim.cli._text import console
from dtsim.errors import DtsimError, ScenarioError
from dtsim.service import analysis, catalogue


@app.command("analyze", context_settings={"help_option_names": []})
def analyze_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="The analysis (dtsim analyze --list names them).")] = None,
    args: Annotated[str, typer.Option("--args", "-a", help="JSON object of arguments, or @file.json/.yaml.")] = "{}",
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    list_: Annotated[bool, typer.Option("--list", help="List the analyses with one line each.")] = False,
    help_: Annotated[
        bool, typer.Option("--help", "-h", help="Show this help, or with NAME the analysis's arguments.")
    ] = False,
) -> None:
    """Run a named analysis; --list names them, NAME --help shows an analysis's arguments.

    Example: dtsim analyze max_gpus_under_threshold --args '{"gpu": "A100-80GB", "threshold_h100_eq": 8}'
    """
    if list_:
        _print_analysis_list()
        return
    if name is None:
        sys.stdout.write(ctx.get_help() + "\n")
        return
    if help_:
        try:
            _print_analysis_help(name)
        except DtsimError as exc:
            _fail(exc)
        return
    try:
        arguments = _read_args(args)
        result = analysis(name, arguments)
    except DtsimError as exc:
        _fail(exc)
    if format is Format.table:
        _print_nested(result, title=name)
    else:
        _print_rows([result], format, title=name)


def _entry(name: str) -> dict[str, Any]:
    for entry in describe_analyses():
        if entry["name"] == name:
            return entry
    raise ScenarioError("analysis", name, f"allowed: {', '.join(ANALYSES)}")


def _print_analysis_list() -> None:
    table = Table(header_style="bold", title="analyses (dtsim analyze NAME --help for the arguments)")
    table.add_column("name", no_wrap=True)
    table.add_column("what it answers", overflow="fold")
    for entry in describe_analyses():
        table.add_row(entry["name"], entry["summary"])
    console().print(table)


def _print_analysis_help(name: str) -> None:
    entry = _entry(name)
    output = console()
    output.print(f"dtsim analyze {name} --args '{{...}}'")
    output.print("")
    output.print(entry["description"])
    arguments = Table(title="arguments", header_style="bold")
    for column in ("name", "type", "default", "meaning"):
        arguments.add_column(column, overflow="fold")
    for argument in entry["arguments"]:
        default = "required" if argument["required"] else json.dumps(argument["default"])
        arguments.add_row(argument["name"], argument["type"], default, argument["meaning"])
    output.print(arguments)
    results = Table(title="result keys", header_style="bold")
    for column in ("name", "type", "meaning"):
        results.add_column(column, overflow="fold")
    for key in entry["result"]:
        results.add_row(key["name"], key["type"], key["meaning"])
    output.print(results)


#: Columns of analysis row tables that hold text (left-aligned).
_TEXT_COLUMNS = frozenset({"strategy", "mitigation", "name", "gpu", "status", "system"})


def _print_nested(result: dict[str, Any], title: str) -> None:
    """An analysis result as readable tables: its scalar keys as one key/value table, each
    nested mapping as its own key/value table, each list of mappings as a table of rows."""
    output = console()
    scalars = Table(title=title, show_header=False)
    scalars.add_column("key", no_wrap=True)
    scalars.add_column("value", justify="right")
    nested: list[tuple[str, Any]] = []
    for key, value in result.items():
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            nested.append((key, value))
        else:
            scalars.add_row(key, json.dumps(value) if isinstance(value, list) else _show(value))
    if scalars.row_count:
        output.print(scalars)
    for key, value in nested:
        if isinstance(value, dict):
            _print_nested(value, title=f"{title}.{key}")
            continue
        rows = [row for row in value if isinstance(row, dict)]
        columns = list(dict.fromkeys(k for row in rows for k in row if not isinstance(row[k], dict | list)))
        table = Table(title=f"{title}.{key}", header_style="bold")
        for column in columns:
            table.add_column(column, justify="left" if column in _TEXT_COLUMNS else "right", overflow="fold")
        for row in rows:
            table.add_row(*[_show(row.get(column)) for column in columns])
        output.print(table)


@app.command()
def hardware(
    gpu: Annotated[str | None, typer.Option("--gpu", help="Largest unregistered node of this GPU.")] = None,
    threshold: Annotated[float, typer.Option("--threshold", help="Compute threshold, H100-eq.")] = 16.0,
    memory_limit: Annotated[float | None, typer.Option("--memory-limit", help="VRAM limit, GB.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """The GPU catalogue, the seeds' node presets, or the largest node under a threshold.

    Example: dtsim hardware --gpu A100-80GB --threshold 8 --memory-limit 1024
    """
    try:
        if gpu is not None:
            args: dict[str, Any] = {"gpu": gpu, "threshold_h100_eq": threshold}
            if memory_limit is not None:
                args["memory_limit_gb"] = memory_limit
            _print_rows([analyze("max_gpus_under_threshold", **args)], format, title="largest unregistered node")
            return
        listing = catalogue()
    except DtsimError as exc:
        _fail(exc)
    if format is Format.json:
        _print_json(listing, cause="the catalogue")
        return
    for title, rows in (("GPU catalogue", listing["gpus"]), ("Node presets", listing["presets"])):
        if format is Format.csv:
            _print_rows(rows, format)
            continue
        table = Table(title=title, header_style="bold")
        for key in rows[0]:
            table.add_column(key)
        for row in rows:
            table.add_row(*[_show(v) for v in row.values()])
        console().print(table)
