"""``dtsim uncertainty``: Monte Carlo uncertainty of a scenario (or of an analysis' answer)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dtsim.cli._app import Format, _fail, _print_json, _print_rows, _show, app
from dtsim.errors import DtsimError, InfeasibleError, ScenarioError

#: Seconds a run may take before a progress bar appears.
PROGRESS_AFTER_S = 1.0
#: Samples per node count of the fan chart written with --plots.
FAN_SAMPLES = 1_000


class _LazyProgress:
    """A progress bar on stderr that appears only once the run has taken over a second."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self._bar: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if time.monotonic() - self._start < PROGRESS_AFTER_S:
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress(
                "uncertainty",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("points", total=total)
        self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _with_source(exc: DtsimError, source: str) -> DtsimError:
    if isinstance(exc, ScenarioError) and not exc.source:
        return ScenarioError(exc.field, exc.value, exc.allowed, source=source)
    if isinstance(exc, InfeasibleError) and not exc.source:
        return InfeasibleError(exc.field, exc.problem, exc.guidance, source=source)
    return exc


@app.command("uncertainty")
def uncertainty(
    file: Annotated[Path, typer.Argument(help="Uncertainty file (YAML): scenario, distributions, correlations, ...")],
    samples: Annotated[int | None, typer.Option("--samples", help="Monte Carlo samples (overrides the file).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (overrides the file).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write CDF, tornado and fan-chart SVGs to this folder.")
    ] = None,
    sobol: Annotated[bool, typer.Option("--sobol", help="Also compute Sobol' indices (1,024 base samples).")] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Run the chunks on this Dask scheduler (tcp://host:8786).")
    ] = None,
) -> None:
    """How uncertain is the answer: quantiles, the probability of crossing each compute threshold,
    and which inputs matter (tornado, Spearman; Sobol' with --sobol).

    Example: dtsim uncertainty examples/uncertainty/reference-72-nodes.yaml --plots figures
    """
    from dtsim.montecarlo import fan, load_config, run

    progress = _LazyProgress()
    try:
        config = load_config(file)
        for key, value in (("samples", samples), ("seed", seed)):
            if value is not None:
                config[key] = value
        if sobol:
            config["sobol"] = True
        result = run(**config, progress=progress, scheduler=scheduler)
        figures: dict[str, str] = {}
        if plots is not None:
            from dtsim.montecarlo.figures import uncertainty_figures

            fan_data = None
            if config.get("analysis") is None and "nodes" not in _paths(config["distributions"]):
                fan_data = fan(
                    config["scenario"],
                    config["distributions"],
                    samples=min(result.samples, FAN_SAMPLES),
                    seed=result.seed,
                    correlations=config.get("correlations"),
                    mix=bool(config.get("mix", False)),
                )
            figures = uncertainty_figures(result, fan_data)
    except DtsimError as exc:
        _fail(_with_source(exc, str(file)))
    finally:
        progress.close()
    if plots is not None:
        plots.mkdir(parents=True, exist_ok=True)
        for name, svg in figures.items():
            (plots / f"{name}.svg").write_text(svg, "utf-8")
    if format is Format.json:
        _print_json(result.to_dict(), cause="the uncertainty run")
    elif format is Format.csv:
        _print_rows(result.rows(), format)
    else:
        _print_tables(result)


def _paths(distributions: Any) -> set[str]:
    """Top-level and dotted keys of a distributions mapping (to spot an uncertain ``nodes``)."""
    return set(distributions) if isinstance(distributions, dict) else set()


def _print_tables(result: Any) -> None:
    """Per block: one column per output, one row per statistic; then what the first output
    hinges on (tornado swing and Spearman rank correlation)."""
    console = Console()
    for block in result.blocks:
        label = ", ".join(f"{k}={v}" for k, v in block.choice.items())
        title = f"{result.samples:,} samples, seed {result.seed}" + (f" — {label}" if label else "")
        table = Table(title=title, header_style="bold")
        table.add_column("", no_wrap=True)
        for key in block.outputs:
            table.add_column(key, justify="right")
        stats = list(block.outputs.values())
        table.add_row("scale", *(s.scale for s in stats))
        for name in ("p5", "p10", "p50", "p90", "p95", "mean", "se"):
            table.add_row(name.upper() if name.startswith("p") else name, *(_show(getattr(s, name)) for s in stats))
        for threshold in sorted({t for s in stats for t in s.exceed}, key=float):
            shares = [s.exceed.get(threshold) for s in stats]
            table.add_row(f"P(≥{threshold})", *("—" if p is None else f"{p:.3f}" for p in shares))
        console.print(table)
        note = f"infeasible samples: {block.infeasible_share:.2%}"
        if block.reached_share is not None:
            note += f"; samples reaching the target: {block.reached_share:.2%}"
        console.print(note)
        tornado = block.sensitivity.get("tornado", {})
        first = next(iter(block.outputs))
        if tornado.get(first):
            swing = Table(title=f"what {first} hinges on", header_style="bold")
            for column in ("input", "P10", "P90", "swing", "Spearman"):
                swing.add_column(column, justify="left" if column == "input" else "right", no_wrap=column == "input")
            ranks = block.sensitivity.get("spearman", {}).get(first, {})
            for row in tornado[first]["rows"]:
                cells = (row["low"], row["high"], row["swing"], ranks.get(row["input"]))
                swing.add_row(row["input"], *(_show(v) for v in cells))
            console.print(swing)
            console.print(
                f"swing: change of {first} ({block.outputs[first].scale}) from the input at its P10 to its P90, "
                "the others at their P50; Spearman: rank correlation over the Monte Carlo sample"
            )
