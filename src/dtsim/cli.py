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

import numpy as np
import typer
import yaml
from rich.console import Console
from rich.table import Table

from dtsim.analyses import ANALYSES, analyze
from dtsim.engine import simulate_many, sweep
from dtsim.errors import DtsimError, ScenarioError
from dtsim.result import RESULT_KEYS
from dtsim.scenario import _ScenarioLoader, load_documents, load_scenarios, parse_scenario, set_path

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


def _scalar(text: str) -> Any:
    """A command-line value read as YAML (``25`` → 25, ``1e9`` → 1e9, ``{1: 1.0}`` → a table)."""
    try:
        return yaml.load(text, Loader=_ScenarioLoader)
    except yaml.YAMLError:
        return text


def _parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs, each checked against the scenario schema."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ScenarioError("--set", pair, "expected KEY=VALUE, e.g. network.wan.bandwidth_mbps=25")
        overrides[key.strip()] = _scalar(value.strip())
    probe: dict[str, Any] = {"nodes": 1}
    for key, value in overrides.items():
        set_path(probe, key, value)
    parse_scenario(probe, source="--set")
    return overrides


def _axis_values(spec: str) -> Any:
    """``1,2,4`` | ``range:START:STOP:STEP`` (STOP included) | ``log:START:STOP:COUNT``."""
    kind, _, rest = spec.partition(":")
    if kind in ("range", "log"):
        parts = [_scalar(p) for p in rest.split(":")]
        if len(parts) != 3 or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in parts):
            raise ScenarioError("--vary", spec, f"expected {kind}:START:STOP:{'STEP' if kind == 'range' else 'COUNT'}")
        start, stop, third = (float(p) for p in parts)
        if kind == "range":
            if third <= 0 or (stop - start) / third > 1e9:
                raise ScenarioError("--vary", spec, "STEP must be > 0 and give at most 1e9 points")
            return start + third * np.arange(int(np.floor((stop - start) / third + 1e-9)) + 1)
        if start <= 0 or stop <= 0 or not 1 <= third <= 1e9:
            raise ScenarioError("--vary", spec, "log needs START, STOP > 0 and 1 ≤ COUNT ≤ 1e9")
        return np.logspace(np.log10(start), np.log10(stop), int(third))
    values = [_scalar(v.strip()) for v in spec.split(",") if v.strip()]
    if not values:
        raise ScenarioError("--vary", spec, "no values")
    return values


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

    Example: dtsim sweep scenarios/examples/72-nodes-reference.yaml --vary network.wan.bandwidth_mbps=log:10:1000:7
    """
    try:
        (base,) = load_scenarios([file])[:1]
        axes = {}
        for item in vary:
            path, sep, spec = item.partition("=")
            if not sep:
                raise ScenarioError("--vary", item, "expected PATH=VALUES, e.g. nodes=1,2,4")
            axes[path.strip()] = _axis_values(spec.strip())
        selected = None if columns == "all" else [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [k for k in selected or [] if k not in (*RESULT_KEYS, *axes)]
        if unknown:
            raise ScenarioError("--columns", unknown, f"unknown result keys; allowed: {', '.join(RESULT_KEYS)}")
        if out is not None:
            _stream_sweep(base, axes, grid, out, selected)
            return
        batch = sweep(base, axes, grid=grid)
    except DtsimError as exc:
        _fail(exc)
    keys = list(batch.columns) if selected is None else [*axes, *selected]
    unknown = [k for k in keys if k not in batch.columns]
    if unknown:
        _fail(ScenarioError("--columns", unknown, f"unknown keys; allowed: {', '.join(batch.columns)}"))
    rows = [{k: row[k] for k in dict.fromkeys(keys)} for row in batch.to_dicts()]
    if format is Format.table:
        table = Table(show_header=True, header_style="bold")
        for key in dict.fromkeys(keys):
            table.add_column(key, justify="right")
        for row in rows:
            table.add_row(*[_show(v) for v in row.values()])
        Console().print(table)
    else:
        _print_rows(rows, format)


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

    Example: dtsim explain scenarios/examples/72-nodes-reference.yaml
    """
    from dtsim.explain import explain as explain_steps

    try:
        scenarios = load_scenarios([file])
        if len(scenarios) != 1:
            raise ScenarioError("", str(file), f"holds {len(scenarios)} scenarios; explain takes one")
        steps = explain_steps(scenarios[0])
    except DtsimError as exc:
        _fail(exc)
    rows = [{"name": s.name, "formula": s.formula, "value": s.value, "unit": s.unit, "source": s.source} for s in steps]
    if format is not Format.table:
        _print_rows(rows, format)
        return
    table = Table(title=scenarios[0].name or str(file), header_style="bold")
    for key in ("quantity", "formula", "value", "unit", "source"):
        table.add_column(key, justify="right" if key == "value" else "left")
    for row in rows:
        table.add_row(row["name"], row["formula"], _show(row["value"]), row["unit"], row["source"])
    Console().print(table)


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
    from dtsim.hardware import gpu_catalogue, node_presets

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


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("report"),
    scenarios: Annotated[Path, typer.Option("--scenarios", help="Directory of report tables.")] = Path("scenarios"),
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
    except DtsimError as exc:
        _fail(exc)
    if format is AuditFormat.json:
        sys.stdout.write(json.dumps(result, indent=1, default=float) + "\n")
    elif format is AuditFormat.md:
        sys.stdout.write(render_markdown(result) + "\n")
    else:
        table = Table(title=f"audit of {result['plan']} (MFU {mfu:g}, factor {factor:g})", header_style="bold")
        for key in ("where", "quantity", "claimed", "computed", "ratio", "verdict"):
            table.add_column(key, justify="right" if key in ("claimed", "computed", "ratio") else "left")
        for row in summary_rows(result):
            style = "" if row["verdict"] == "consistent" else "bold red"
            table.add_row(
                row["where"],
                row["quantity"],
                _show(row["claimed"]),
                _show(row["computed"]),
                _show(row["ratio"]),
                row["verdict"],
                style=style,
            )
        Console().print(table)
        total = result["total"]
        Console().print(
            f"total: {total['flop']:.3g} FLOP, {total['gpu_hours']:,.1f} GPU-hours at MFU {mfu:g}, "
            f"peak {total['peak_h100_equivalents']:.1f} H100-eq "
            f"({'registered' if total['registered_cluster'] else 'under the 16 H100-eq threshold'})"
        )


population_app = typer.Typer(
    help="How many models of each size a year's training compute produces.", no_args_is_help=True
)
app.add_typer(population_app, name="population")


@population_app.command("fit")
def population_fit(
    data: Annotated[Path, typer.Argument(help="CSV of models (one row each).")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    plots: Annotated[Path | None, typer.Option("--plots", help="Write the figures (SVG) to this folder.")] = None,
    name_column: Annotated[str, typer.Option("--name-column")] = "Model",
    date_column: Annotated[str, typer.Option("--date-column")] = "Publication date",
    compute_column: Annotated[str, typer.Option("--compute-column")] = "Training compute (FLOP)",
) -> None:
    """Per-year statistics of a model table and the cumulative-vs-individual fit.

    Example: dtsim population fit examples/population/synthetic-notable-models.csv --plots figures
    """
    from dtsim.population import load_models, year_statistics

    try:
        table = load_models(data, name_column=name_column, date_column=date_column, compute_column=compute_column)
    except DtsimError as exc:
        _fail(exc)
    rows = year_statistics(table)
    if plots is not None:
        from dtsim.population.figures import population_figures

        plots.mkdir(parents=True, exist_ok=True)
        for name, svg in population_figures(table).items():
            (plots / f"{name}.svg").write_text(svg, "utf-8")
    _print_records(rows, format, title=f"{len(table.compute)} models ({table.skipped} rows skipped)")


@population_app.command("sample")
def population_sample(
    config: Annotated[Path, typer.Argument(help="Sampling configuration (YAML).")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    samples: Annotated[int | None, typer.Option("--samples", help="Populations per year (overrides).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (overrides).")] = None,
) -> None:
    """Sample model populations that exhaust each year's total, keep those within the constraints,
    and report model counts above each threshold (5th/50th/95th percentile).

    Example: dtsim population sample examples/population/sample-2025-2028.yaml
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress

    from dtsim.population import load_sample_config, sample_years

    try:
        cfg, folder = load_sample_config(config)
        changes = {k: v for k, v in (("samples", samples), ("seed", seed)) if v is not None}
        if changes:
            cfg = type(cfg).model_validate({**cfg.model_dump(), **changes})
        with Progress(
            "sampling", BarColumn(), MofNCompleteColumn(), console=Console(stderr=True), transient=True
        ) as progress:
            task = progress.add_task("sampling", total=cfg.samples * len(cfg.years))
            rows = sample_years(cfg, folder, progress=lambda n: progress.advance(task, n))
    except DtsimError as exc:
        _fail(exc)
    except ValueError as exc:  # a pydantic error from the overrides
        _fail(ScenarioError("--samples/--seed", changes, str(exc).splitlines()[-1].strip()))
    _print_records(rows, format, title="sampled populations")


def _print_records(rows: list[dict[str, Any]], fmt: Format, title: str) -> None:
    """Rows of records: JSON list, CSV, or a table with one column per row."""
    if fmt is not Format.table:
        _print_rows(rows, fmt)
        return
    table = Table(title=title, header_style="bold")
    table.add_column("", no_wrap=True)
    for row in rows:
        table.add_column(str(row.get("year", "")), justify="right")
    for key in rows[0] if rows else []:
        if key != "year":
            table.add_row(key, *[_show(row.get(key)) for row in rows])
    Console().print(table)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
