"""Commands that evaluate scenarios: ``simulate``, ``validate``, ``sweep``, ``explain``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dtsim.cli._app import (
    Format,
    _axis_values,
    _fail,
    _print_rows,
    _show,
    app,
)
from dtsim.engine import iter_sweep, plan_sweep, simulate_many
from dtsim.errors import DtsimError, ScenarioError
from dtsim.output import csv_text, json_text
from dtsim.result import RESULT_KEYS, Batch
from dtsim.scenario import load_scenarios


@app.command()
def simulate(
    files: Annotated[list[Path], typer.Argument(help="YAML/JSON scenario files, or .jsonl with one per line.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Simulate scenarios and print every result key.

    Example: dtsim simulate examples/scenarios/72-nodes-reference.yaml --format json
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

    Example: dtsim validate examples/scenarios/*.yaml
    """
    try:
        scenarios = load_scenarios(files)
        simulate_many(scenarios)
    except DtsimError as exc:
        _fail(exc)
    Console().print(f"{len(scenarios)} scenario(s) valid")


SWEEP_COLUMNS = (
    "nodes",
    "strategy",
    "params",
    "inner_steps",
    "eta",
    "c_local",
    "c_quality",
    "wall_clock_days",
    "cost_usd",
)


@app.command("sweep")
def sweep_command(
    file: Annotated[Path, typer.Argument(help="The base scenario (YAML or JSON).")],
    vary: Annotated[list[str], typer.Option("--vary", "-v", help="PATH=VALUES: 1,2,4 | range:A:B:STEP | log:A:B:N")],
    grid: Annotated[bool, typer.Option("--grid", help="Cartesian product of the axes (default: zip them).")] = False,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    columns: Annotated[
        str, typer.Option("--columns", "-c", help="Result keys to show, comma-separated; 'all' for every key.")
    ] = ",".join(SWEEP_COLUMNS),
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Stream to a .csv or .parquet file, chunk by chunk.")
    ] = None,
) -> None:
    """Vary scenario fields over values, ranges or log-ranges, zipped or as a grid.

    Example: dtsim sweep examples/scenarios/72-nodes-reference.yaml --vary network.wan.bandwidth_mbps=log:10:1000:7
    """
    try:
        (base,) = load_scenarios([file])[:1]
        axes = {}
        for item in vary:
            path, sep, spec = item.partition("=")
            if not sep:
                raise ScenarioError("--vary", item, "expected PATH=VALUES, e.g. nodes=1,2,4")
            if path.strip() in axes:
                raise ScenarioError("--vary", path.strip(), "given twice; give each field once")
            axes[path.strip()] = _axis_values(path.strip(), spec.strip())
        selected = None if columns == "all" else [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [k for k in selected or [] if k not in (*RESULT_KEYS, *axes)]
        if unknown:
            raise ScenarioError("--columns", unknown, f"unknown result keys; allowed: {', '.join(RESULT_KEYS)}")
        if out is not None:
            _stream_sweep(base, axes, grid, out, selected)
            return
        result_keys = None if selected is None else [k for k in selected if k not in axes]
        if format is Format.table:
            _sweep_table(base, axes, grid, result_keys)
        else:
            _print_sweep(base, axes, grid, result_keys, format)
    except DtsimError as exc:
        _fail(exc)


#: Most rows a sweep prints as a table; the rest are written with ``--out``.
TABLE_ROWS = 1_000


def _keys(batch: Batch, axes: dict[str, Any], selected: list[str] | None) -> list[str]:
    return list(batch.columns) if selected is None else list(dict.fromkeys([*axes, *selected]))


def _sweep_table(base: Any, axes: dict[str, Any], grid: bool, selected: list[str] | None) -> None:
    """The first ``TABLE_ROWS`` points as a table (only those are evaluated)."""
    size = plan_sweep(base, axes, grid).size
    batch = next(iter_sweep(base, axes, grid=grid, columns=selected, chunk_size=min(size, TABLE_ROWS)))
    keys = _keys(batch, axes, selected)
    table = Table(show_header=True, header_style="bold")
    for key in keys:
        table.add_column(key, justify="right")
    for row in batch.to_dicts():
        table.add_row(*[_show(row[k]) for k in keys])
    Console().print(table)
    if size > TABLE_ROWS:
        Console(stderr=True, highlight=False).print(
            f"showing the first {TABLE_ROWS:,} of {size:,} points; write them all with --out FILE "
            "(.csv or .parquet) or --format csv",
            markup=False,
            soft_wrap=True,
        )


def _print_sweep(base: Any, axes: dict[str, Any], grid: bool, selected: list[str] | None, fmt: Format) -> None:
    """Every point to stdout, chunk by chunk (bounded memory): CSV through the same cells as
    ``--out``; JSON as one list, a row at a time."""
    first = True
    for batch in iter_sweep(base, axes, grid=grid, columns=selected):
        keys = _keys(batch, axes, selected)
        if fmt is Format.csv:
            sys.stdout.write(csv_text({k: batch.columns[k] for k in keys}, header=first))
        else:
            for row in batch.iter_dicts():
                item = json_text({k: row[k] for k in keys}, cause="this sweep point's inputs", indent=1)
                sys.stdout.write(("[\n " if first else ",\n ") + item.replace("\n", "\n "))
                first = False
        first = False
    if fmt is Format.json:
        sys.stdout.write("[]\n" if first else "\n]\n")


def _stream_sweep(base: Any, axes: dict[str, Any], grid: bool, out: Path, columns: list[str] | None) -> None:
    """Stream a sweep to a file, with a progress bar on stderr."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from dtsim.engine import sweep_to_file

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("sweeping", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        count = sweep_to_file(base, axes, out, grid=grid, columns=columns, progress=advance)
    Console(stderr=True).print(f"wrote {count:,} points to {out}")


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="A scenario file holding one scenario.")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Every intermediate quantity of one scenario: name, formula, value, unit, source.

    Example: dtsim explain examples/scenarios/72-nodes-reference.yaml
    """
    from dtsim.explain import explain as explain_steps

    try:
        scenarios = load_scenarios([file])
        if len(scenarios) != 1:
            raise ScenarioError("", str(file), f"holds {len(scenarios)} scenarios; explain takes one")
        steps = explain_steps(scenarios[0])
    except DtsimError as exc:
        _fail(exc)
    rows = [s.to_dict() for s in steps]
    if format is not Format.table:
        if format is Format.csv:
            rows = [{**row, "symbols": json.dumps(row["symbols"])} for row in rows]
        _print_rows(rows, format)
        return
    table = Table(title=scenarios[0].name or str(file), header_style="bold")
    for key in ("quantity", "formula", "symbols", "value", "unit", "source"):
        table.add_column(key, justify="right" if key == "value" else "left")
    for row in rows:
        symbols = ", ".join(f"{k} = {_show(v)}" for k, v in row["symbols"].items())
        table.add_row(row["name"], row["formula"], symbols, _show(row["value"]), row["unit"], row["source"])
    Console().print(table)
