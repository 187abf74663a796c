"""``dtsim population fit`` and ``dtsim population sample``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from dtsim.cli._app import Format, app
from dtsim.cli._text import console, fail, print_csv, print_json, print_records
from dtsim.errors import DtsimError, ScenarioError
from dtsim.numbers import number

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
    from dtsim.output import atomic_directory, check_destination
    from dtsim.population import load_models, year_statistics

    try:
        if plots is not None:
            check_destination(plots, field="--plots", directory=True)
        table = load_models(data, name_column=name_column, date_column=date_column, compute_column=compute_column)
        rows = year_statistics(table)
        if plots is not None:
            from dtsim.population.figures import population_figures

            figures = population_figures(table)  # all rendered before anything is written
            with atomic_directory(plots, field="--plots") as staging:
                for name, svg in figures.items():
                    (staging / f"{name}.svg").write_text(svg, "utf-8")
        _print(rows, format, title=f"{len(table.compute)} models ({table.skipped} rows skipped)", cause="DATA")
    except DtsimError as exc:
        fail(exc)


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
    from dtsim.population.sample import MAX_SAMPLES, MAX_SEED, with_changes

    changes: dict[str, int] = {}
    try:
        if samples is not None:
            changes["samples"] = number("--samples", samples, integer=True, low=1, high=MAX_SAMPLES)
        if seed is not None:
            changes["seed"] = number("--seed", seed, integer=True, low=0, high=MAX_SEED)
    except DtsimError as exc:
        fail(exc)
    try:
        cfg, folder = load_sample_config(config)
        cfg = with_changes(cfg, changes, source="--samples" if "samples" in changes else "--seed")
        with Progress(
            "sampling", BarColumn(), MofNCompleteColumn(), console=console(stderr=True), transient=True
        ) as progress:
            task = progress.add_task("sampling", total=cfg.samples * len(cfg.years))
            rows = sample_years(cfg, folder, progress=lambda n: progress.advance(task, n))
        _print(rows, format, title="sampled populations", cause=str(config))
    except ScenarioError as exc:
        fail(exc.at(str(config)))
    except DtsimError as exc:
        fail(exc)


def _print(rows: Sequence[dict[str, Any]], format: Format, *, title: str, cause: str) -> None:
    """Per-year records: a JSON list, CSV (every key any year has), or a table of years."""
    if format is Format.json:
        print_json(list(rows), cause=cause)
    elif format is Format.csv:
        print_csv(rows, list(dict.fromkeys(key for row in rows for key in row)))
    else:
        print_records(rows, title=title, label_key="year")
