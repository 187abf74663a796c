"""``dtsim report``, and ``dtsim report paper-tables``: the published paper's tables."""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from dtsim.cli._app import (
    _csv_value,
    _fail,
    _parse_overrides,
    _print_json,
    app,
)
from dtsim.cli._text import console
from dtsim.errors import DtsimError, ScenarioError

report_app = typer.Typer(add_completion=False, rich_markup_mode=None)
app.add_typer(report_app, name="report")


@report_app.callback(invoke_without_command=True)
def report(
    ctx: typer.Context,
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
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Processes for the long searches of the published paper's section (default: one per core). "
            "The numbers do not depend on it.",
        ),
    ] = None,
) -> None:
    """Regenerate the governance report: report.md, report.html and figures/.

    Example: dtsim report --out report --set network.wan.bandwidth_mbps=25
    """
    if ctx.invoked_subcommand is not None:
        return
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
        processes = _workers(workers)
        errors = Console(stderr=True, highlight=False)
        # On a terminal, a transient line says which section is being built (it takes seconds).
        with errors.status("building the report") if errors.is_terminal else contextlib.nullcontext() as status:
            built = build_report(
                specs,
                overrides,
                date=date,
                bundled=bundled,
                source_name=directory.name,
                uncertainty_file=uncertainty,
                uncertainty_samples=samples,
                workers=processes,
                progress=None if status is None else lambda title: status.update(f"building the report: {title}"),
            )
        written = write_built_report(out, built)
    except DtsimError as exc:
        _fail(exc)
    for failure in built.failures:
        state = "not yet available" if failure.unavailable else "not computed"
        line = f"warning: {failure.kind} {failure.id} ({failure.title}): {state}: {failure.message}"
        errors.print(line, markup=False, soft_wrap=True)
    console().print(f"wrote {len(written)} files to {out}/ (report.md, report.html, figures/)")


class PaperTable(StrEnum):
    clocal = "clocal"
    bandwidth = "bandwidth"
    latency = "latency"
    all = "all"


class PaperSearch(StrEnum):
    bisection = "bisection"
    exhaustive = "exhaustive"


class PaperFormat(StrEnum):
    markdown = "markdown"
    json = "json"
    csv = "csv"


def _workers(value: int | None) -> int:
    """``--workers``: a count ≥ 1, or one per core."""
    from dtsim.parallel import cpu_workers

    if value is None:
        return cpu_workers()
    if value < 1:
        raise ScenarioError("--workers", value, "a whole number ≥ 1")
    return value


def _hardware_options(value: str) -> Any:
    """``paper``, or a YAML/JSON file holding a list of hardware blocks."""
    if value == "paper":
        return "paper"
    from dtsim.loading import load_documents

    blocks = [doc for _, doc in load_documents(value, what="hardware options file")]
    if not blocks or not all(isinstance(b, dict) for b in blocks):
        raise ScenarioError("--hardware", value, "a YAML or JSON file holding a list of hardware blocks")
    return blocks


@report_app.command("paper-tables")
def paper_tables_command(
    table: Annotated[PaperTable, typer.Option("--table", help="Which table.")] = PaperTable.all,
    search: Annotated[
        PaperSearch, typer.Option("--search", help="bisection: the paper's procedure; exhaustive: the true minimum.")
    ] = PaperSearch.bisection,
    hardware: Annotated[
        str, typer.Option("--hardware", help="paper (the 12 nodes) or a YAML/JSON file of hardware blocks.")
    ] = "paper",
    format: Annotated[PaperFormat, typer.Option("--format", "-f")] = PaperFormat.markdown,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Processes searching the rows (default: one per core)."),
    ] = None,
) -> None:
    """The published paper's minimum-cost tables: C_local targets, bandwidth and latency sweeps.

    Example: dtsim report paper-tables --table bandwidth --search exhaustive
    """
    from dtsim.analyses.paper_tables import paper_tables_job
    from dtsim.parallel import run_tasks

    try:
        job = paper_tables_job(table=table.value, search=search.value, hardware_options=_hardware_options(hardware))
        result = job.result(run_tasks(job.searches, workers=_workers(workers))).to_dict()
    except DtsimError as exc:
        _fail(exc)
    if format is PaperFormat.markdown:
        sys.stdout.write(result["markdown"])
    elif format is PaperFormat.json:
        _print_json(result, cause="the paper's tables")
    else:
        rows = [
            {
                "table": row["table"],
                "key": row["key"],
                **row["cells"],
                **{f"winner.{k}": v for k, v in (row["winner"] or {}).items()},
            }
            for row in result["rows"]
        ]
        fields = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{k: _csv_value(row.get(k)) for k in fields} for row in rows])
        sys.stdout.write(buffer.getvalue())
