"""``dtsim report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dtsim.cli._app import (
    _fail,
    _parse_overrides,
    app,
)
from dtsim.errors import DtsimError


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("report"),
    scenarios: Annotated[
        Path | None, typer.Option("--scenarios", help="Directory of report tables (default: the bundled ones).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE: change an assumption everywhere a table does not vary it itself."),
    ] = None,
) -> None:
    """Regenerate the governance report: report.md, report.html and figures/.

    Example: dtsim report --out report --set network.wan.bandwidth_mbps=25
    """
    from dtsim.report import write_report

    try:
        overrides = _parse_overrides(set_ or [])
        written = write_report(out, scenarios, overrides)
    except DtsimError as exc:
        _fail(exc)
    Console().print(f"wrote {len(written)} files to {out}/ (report.md, report.html, figures/)")
