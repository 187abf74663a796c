"""Commands for named analyses and the hardware catalogue."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dtsim.analyses import ANALYSES, analyze
from dtsim.cli._app import (
    Format,
    _fail,
    _print_rows,
    _read_args,
    _show,
    app,
)
from dtsim.errors import DtsimError


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
    from dtsim.physics.hardware import gpu_catalogue, node_presets

    try:
        if gpu is not None:
            args: dict[str, Any] = {"gpu": gpu, "threshold_h100_eq": threshold}
            if memory_limit is not None:
                args["memory_limit_gb"] = memory_limit
            _print_rows([analyze("max_gpus_under_threshold", **args)], format, title="largest unregistered node")
            return
        catalogue = [
            {
                "gpu": g.key,
                "fp16_tflops": g.fp16_tflops,
                "fp8_tflops": g.fp8_tflops,
                "memory_gb": g.memory_gb,
                "cost_usd": g.cost_usd,
                "source": g.source,
            }
            for g in gpu_catalogue().values()
        ]
        presets = [
            {"preset": name, **analyze("node_spec", hardware={"preset": name}), "note": p.get("note", "")}
            for name, p in node_presets().items()
        ]
    except DtsimError as exc:
        _fail(exc)
    if format is Format.json:
        sys.stdout.write(json.dumps({"gpus": catalogue, "presets": presets}, indent=1) + "\n")
        return
    for title, rows in (("GPU catalogue", catalogue), ("Node presets", presets)):
        if format is Format.csv:
            _print_rows(rows, format)
            continue
        table = Table(title=title, header_style="bold")
        for key in rows[0]:
            table.add_column(key)
        for row in rows:
            table.add_row(*[_show(v) for v in row.values()])
        Console().print(table)
