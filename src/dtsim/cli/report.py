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
from dtsim.cli._text import console
from dtsim.errors import DtsimError, ScenarioError


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("report"),
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios",
            help="Directory of report tables (default: the bundled ones). Other tables give a report "
            "of those tables only, without the seed documents' sections.",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE: change an assumption everywhere a table does not vary it itself."),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date stamped on the report, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today). "
            "The same date gives byte-identical files.",
        ),
    ] = None,
    uncertainty: Annotated[
        Path | None,
        typer.Option("--uncertainty", help="Uncertainty set of the uncertainty section (default: the bundled one)."),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option("--samples", help="Monte Carlo samples of the uncertainty section (default: the set's own)."),
    ] = None,
) -> None:
    """Regenerate the governance report: report.md, report.html and figures/.

    Example: dtsim report --out report --set network.wan.bandwidth_mbps=25
    """
    from dtsim.output import check_destination
    from dtsim.report import build_report, bundled_tables, table_spec_files, write_built_report
    from dtsim.report.spec import load_table_specs

    try:
        overrides = _parse_overrides(set_ or [])
        check_destination(out, field="--out", directory=True)
        directory = scenarios or bundled_tables()
        bundled = scenarios is None or scenarios.resolve() == bundled_tables().resolve()
        specs = load_table_specs(table_spec_files(directory))
        if samples is not None and samples < 1:
            raise ScenarioError("--samples", samples, "a whole number ≥ 1")
        if uncertainty is not None and not uncertainty.is_file():
            raise ScenarioError("--uncertainty", str(uncertainty), "not a file; expected an uncertainty set (YAML)")
        built = build_report(
            specs,
            overrides,
            date=date,
            bundled=bundled,
            source_name=directory.name,
            uncertainty_file=uncertainty,
            uncertainty_samples=samples,
        )
        written = write_built_report(out, built)
    except DtsimError as exc:
        _fail(exc)
    errors = Console(stderr=True, highlight=False)
    for failure in built.failures:
        state = "not yet available" if failure.unavailable else "not computed"
        line = f"warning: {failure.kind} {failure.id} ({failure.title}): {state}: {failure.message}"
        errors.print(line, markup=False, soft_wrap=True)
    console().print(f"wrote {len(written)} files to {out}/ (report.md, report.html, figures/)")
