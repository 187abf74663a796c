"""``dtsim population fit`` and ``dtsim population sample``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dtsim.cli._app import (
    Format,
    _fail,
    _print_records,
    app,
)
from dtsim.errors import DtsimError, ScenarioError

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
