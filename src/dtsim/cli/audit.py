"""``dtsim audit``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dtsim.cli._app import app
from dtsim.cli._text import console, fail, plain, print_json, show
from dtsim.errors import DtsimError


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


@app.command()
def audit(
    plan: Annotated[Path, typer.Argument(help="A training plan (YAML or JSON).")],
    mfu: Annotated[float, typer.Option("--mfu", help="Assumed model FLOP utilisation.")] = 0.4,
    factor: Annotated[float, typer.Option("--factor", help="Claims within this factor are consistent.")] = 2.0,
    price: Annotated[float | None, typer.Option("--price", help="USD per GPU-hour (default: the plan's).")] = None,
    format: Annotated[AuditFormat, typer.Option("--format", "-f")] = AuditFormat.table,
) -> None:
    """Check a declared plan's FLOP, GPU-hours, wall time, memory and cost against its claims.

    Example: dtsim audit examples/plans/s7-moe-140m.yaml --format md > audit.md
    """
    from dtsim.audit import audit_plan, load_plan, render_markdown, summary_rows

    try:
        result = audit_plan(load_plan(plan), mfu=mfu, factor=factor, price_usd_per_gpu_hour=price)
        if format is AuditFormat.json:
            print_json(result, cause="the plan and the --mfu, --factor and --price options")
            return
    except DtsimError as exc:
        fail(exc)
    if format is AuditFormat.md:
        sys.stdout.write(render_markdown(result) + "\n")
    else:
        title = f"audit of {plain(result['plan'], limit=200)} (MFU {mfu:g}, factor {factor:g})"
        table = Table(title=title, header_style="bold")
        for key in ("where", "quantity", "claimed", "computed", "ratio", "verdict"):
            table.add_column(key, justify="right" if key in ("claimed", "computed", "ratio") else "left")
        for row in summary_rows(result):
            style = "" if row["verdict"] == "consistent" else "bold red"
            table.add_row(
                show(row["where"]),
                show(row["quantity"]),
                show(row["claimed"]),
                show(row["computed"]),
                show(row["ratio"]),
                row["verdict"],
                style=style,
            )
        console().print(table)
        total = result["total"]
        console().print(
            f"total: {total['flop']:.3g} FLOP, {total['gpu_hours']:,.1f} GPU-hours at MFU {mfu:g}, "
            f"peak {total['peak_h100_equivalents']:.1f} H100-eq "
            f"({'registered' if total['registered_cluster'] else 'under the 16 H100-eq threshold'})"
        )
