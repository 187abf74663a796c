"""Commands that evaluate scenarios: ``simulate``, ``validate``, ``sweep``, ``explain``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
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
from dtsim.cli._text import console, error_line, plain, show
from dtsim.engine import iter_sweep, plan_sweep, simulate_many
from dtsim.errors import DtsimError, ScenarioError
from dtsim.output import csv_text, json_text
from dtsim.result import RESULT_KEYS, Batch
from dtsim.scenario import load_scenarios
from dtsim.service import warnings_for


@app.command()
def simulate(
    files: Annotated[list[Path], typer.Argument(help="YAML/JSON scenario files, or .jsonl with one per line.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """Simulate scenarios and print every result key.

    Example: dtsim simulate examples/scenarios/72-nodes-reference.yaml --format json
    """
    try:
        results = simulate_many(load_scenarios(files))
    except DtsimError as exc:
        _fail(exc)
    _print_rows([r.to_dict() for r in results], format)
    if format is Format.table:
        for result in results:
            label = f"{result.name}: " if result.name and len(results) > 1 else ""
            for warning in warnings_for(result):
                console(stderr=True).print(f"warning: {plain(label)}{warning}", soft_wrap=True)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check scenario files (schema and feasibility) without printing results: every file is
    checked, and each failing one named with its first problem.

    Example: dtsim validate examples/scenarios/72-nodes-reference.yaml examples/scenarios/time-to-train.yaml
    """
    failed = 0
    count = 0
    for file in files:
        try:
            scenarios = load_scenarios([file])
            simulate_many(scenarios)
        except DtsimError as exc:
            failed += 1
            message = str(exc)
            shown = message if str(file) in message else f"{file}: {message}"
            sys.stderr.write(error_line(shown) + "\n")
            continue
        count += len(scenarios)
    if failed:
        if len(files) > 1:  # on stdout: stderr holds one line per failing file
            console().print(f"{failed} of {len(files)} files failed; {count} scenario(s) in the others valid")
        raise typer.Exit(2)
    console().print(f"{count} scenario(s) in {len(files)} file(s) valid")


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
        bases = load_scenarios([file])
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
        if len(bases) > 1 and out is not None:
            raise ScenarioError(
                "--out",
                str(out),
                f"{file} holds {len(bases)} scenarios: stream one file per scenario, or print them "
                "all with --format csv (a scenario column names each)",
            )
        if out is not None:
            _stream_sweep(bases[0], axes, grid, out, selected)
            return
        result_keys = None if selected is None else [k for k in selected if k not in axes]
        for i, base in enumerate(bases):
            label = (base.name or f"scenario {i}") if len(bases) > 1 else None
            if format is Format.table:
                _sweep_table(base, axes, grid, result_keys, label)
            else:
                _print_sweep(
                    base, axes, grid, result_keys, format, label, first_scenario=i == 0, last=i == len(bases) - 1
                )
    except DtsimError as exc:
        _fail(exc)


#: Most rows a sweep prints as a table; the rest are written with ``--out``.
TABLE_ROWS = 1_000


def _keys(batch: Batch, axes: dict[str, Any], selected: list[str] | None) -> list[str]:
    return list(batch.columns) if selected is None else list(dict.fromkeys([*axes, *selected]))


#: A sweep table with more columns than this is printed with one row per key instead.
WIDE_TABLE = 9
#: Points per table when the table is printed with one row per key.
POINTS_PER_TALL_TABLE = 6


def _sweep_table(
    base: Any, axes: dict[str, Any], grid: bool, selected: list[str] | None, label: str | None = None
) -> None:
    """The first ``TABLE_ROWS`` points as a table (only those are evaluated); with many columns
    (``-c all``) one row per key and a column per point."""
    size = plan_sweep(base, axes, grid).size
    batch = next(iter_sweep(base, axes, grid=grid, columns=selected, chunk_size=min(size, TABLE_ROWS)))
    keys = [k for k in _keys(batch, axes, selected) if not (selected is None and k == "name")]
    rows = [{k: row[k] for k in keys} for row in batch.iter_dicts()]
    title = plain(label) if label else None
    if len(keys) > WIDE_TABLE:
        for start in range(0, len(rows), POINTS_PER_TALL_TABLE):
            part = rows[start : start + POINTS_PER_TALL_TABLE]
            table = Table(title=title, show_header=True, header_style="bold")
            table.add_column("key", no_wrap=True)
            for i in range(start, start + len(part)):
                table.add_column(f"#{i}", justify="right")
            for key in keys:
                table.add_row(key, *[show(row[key]) for row in part])
            console().print(table)
    else:
        table = Table(title=title, show_header=True, header_style="bold")
        for key in keys:
            table.add_column(key, justify="right", overflow="fold")
        for row in rows:
            table.add_row(*[show(row[k]) for k in keys])
        console().print(table)
    if size > TABLE_ROWS:
        console(stderr=True).print(
            f"showing the first {TABLE_ROWS:,} of {size:,} points; write them all with --out FILE "
            "(.csv or .parquet) or --format csv",
            soft_wrap=True,
        )


def _print_sweep(
    base: Any,
    axes: dict[str, Any],
    grid: bool,
    selected: list[str] | None,
    fmt: Format,
    label: str | None = None,
    *,
    first_scenario: bool = True,
    last: bool = True,
) -> None:
    """Every point to stdout, chunk by chunk (bounded memory): CSV through the same cells as
    ``--out``; JSON as one list, a row at a time. With ``label`` (a file of several scenarios) a
    ``scenario`` column names the scenario of each point."""
    first = first_scenario
    opened = not first_scenario
    for batch in iter_sweep(base, axes, grid=grid, columns=selected):
        keys = _keys(batch, axes, selected)
        if fmt is Format.csv:
            columns = {k: batch.columns[k] for k in keys}
            if label is not None:
                columns = {"scenario": np.full(len(batch), label, dtype=object), **columns}
            sys.stdout.write(csv_text(columns, header=first))
        else:
            for row in batch.iter_dicts():
                record = {k: row[k] for k in keys}
                if label is not None:
                    record = {"scenario": label, **record}
                item = json_text(record, cause="this sweep point's inputs", indent=1)
                sys.stdout.write(("[\n " if not opened else ",\n ") + item.replace("\n", "\n "))
                opened = True
        first = False
    if fmt is Format.json and last:
        sys.stdout.write("[]\n" if not opened else "\n]\n")


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
    console(stderr=True).print(f"wrote {count:,} points to {plain(out)}")


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
    console().print(table)
