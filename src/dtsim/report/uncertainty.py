"""Report section "How uncertain is the headline?": the 72-node reference case under the default
uncertainty set (``dtsim/data/uncertainty/default.yaml``: every range with its source; the seed and
the revised model side by side), computed by ``dtsim.montecarlo.report.headline_section``, and
the minimum cost of 10^25 quality-adjusted FLOP under both models.

The Monte Carlo run is the library's; this module only lays its results out in the report's
formats (one scientific notation, one money format) and records every number it states.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from dtsim.errors import ScenarioError
from dtsim.report.content import (
    Failure,
    ReportContext,
    SectionContent,
    Stated,
    computed_table,
    error_message,
)
from dtsim.report.figures import prefix_svg_ids, style
from dtsim.report.render import figure_markdown, table_markdown
from dtsim.report.tables import merge_scenario

__all__ = ["DEFAULT_SET", "default_uncertainty_file", "headline", "probability", "uncertainty_section"]

#: The default uncertainty set, in the package data.
DEFAULT_SET = Path("uncertainty") / "default.yaml"
#: Thresholds whose exceedance probability the section states.
THRESHOLDS = (1e24, 1e25, 1e26)
#: Inputs of the tornado named per model.
TOP_INPUTS = 5
#: Samples of the per-sample node search (nodes and cost to reach 10^25).
TARGET_SAMPLES = 2_000


def default_uncertainty_file() -> Path:
    """The bundled default uncertainty set (package data: every range with its source)."""
    from importlib import resources

    return Path(str(resources.files("dtsim.data").joinpath(str(DEFAULT_SET))))


def _config(ctx: ReportContext) -> tuple[Path, dict[str, Any]]:
    from dtsim.montecarlo import load_config

    path = ctx.uncertainty_file or default_uncertainty_file()
    if not path.is_file():
        raise ScenarioError(
            "--uncertainty", str(path.name), "no uncertainty set found; pass one with --uncertainty FILE"
        )
    config: dict[str, Any] = load_config(path)
    return path, config


def _distributions(ctx: ReportContext, config: dict[str, Any]) -> dict[str, Any]:
    """The set's distributions, less those the overrides supersede (a straggler coefficient
    once the overrides turn the reliability layer on, whose tail replaces it)."""
    distributions = dict(config["distributions"])
    if any(k == "reliability" or k.startswith("reliability.") for k in ctx.overrides):
        for path in ("network.straggler", "network.straggler_per_doubling"):
            distributions.pop(path, None)
    return distributions


def headline(ctx: ReportContext) -> Any:
    """The library's ``HeadlineSection`` for the report (computed once per report)."""

    def compute() -> Any:
        import matplotlib

        from dtsim.montecarlo.report import headline_section

        _, config = _config(ctx)
        distributions = _distributions(ctx, config)
        kept = {k: v for k, v in ctx.overrides.items() if k not in distributions}
        scenario = merge_scenario(config["scenario"], kept)
        samples = ctx.uncertainty_samples or int(config.get("samples", 10_000))
        with matplotlib.rc_context(style()):
            return headline_section(
                scenario,
                distributions,
                correlations=config.get("correlations"),
                samples=samples,
                seed=int(config.get("seed", 0)),
                key="c_quality",
                target=None,
            )

    return ctx.memo("uncertainty", compute)


def target_result(ctx: ReportContext) -> Any:
    """The smallest node count (and its cost) reaching 10^25 FLOP of C_local, per sample: the
    library's analysis uncertainty, on at most ``TARGET_SAMPLES`` samples of the same set (a
    node search per sample costs far more than an evaluation)."""

    def compute() -> Any:
        from dtsim.montecarlo import run

        _, config = _config(ctx)
        distributions = _distributions(ctx, config)
        kept = {k: v for k, v in ctx.overrides.items() if k not in distributions}
        samples = min(ctx.uncertainty_samples or int(config.get("samples", 10_000)), TARGET_SAMPLES)
        return run(
            merge_scenario(config["scenario"], kept),
            distributions,
            samples=samples,
            seed=int(config.get("seed", 0)),
            correlations=config.get("correlations"),
            analysis={"name": "nodes_for_target", "target": 1e25, "metric": "c_local"},
        )

    return ctx.memo("uncertainty-target", compute)


def probability(stats: Any, threshold: float) -> float | None:
    """The probability of reaching ``threshold`` (None when the output has no such threshold)."""
    value = stats.exceed.get(repr(float(threshold)))
    return None if value is None else float(value)


def _value(stats: Any, name: str) -> float | None:
    value = getattr(stats, name)
    if value is None:
        return None
    return float(10**value) if stats.scale == "log10" else float(value)


def _model(block: Any) -> str:
    return ", ".join(f"{v}" for v in block.choice.values()) or "—"


def _spread_table(section: Any, numbers: dict[str, Stated]) -> Any:
    rows = []
    formats = {"c_local": "sci", "c_quality": "sci", "cost_usd": "usd"}
    for key, fmt in formats.items():
        for block in section.result.blocks:
            stats = block.outputs[key]
            values = [Stated(_value(stats, q), fmt) for q in ("p5", "p50", "p95")]
            values += [Stated(probability(stats, t), "pct1") for t in THRESHOLDS]
            prefix = f"spread.{_model(block)}.{key}"
            names = ("p5", "p50", "p95", *(f"exceed_1e{round(math.log10(t))}" for t in THRESHOLDS))
            numbers.update({f"{prefix}.{n}": v for n, v in zip(names, values, strict=True)})
            rows.append((f"{key} ({_model(block)} model)", values))
    header = ["Output", "P5", "P50", "P95", *(f"P(≥ 10^{round(math.log10(t))})" for t in THRESHOLDS)]
    return computed_table(
        "uncertainty-spread",
        f"Spread of the {section.result.fixed.get('nodes', 72)}-node reference case over the uncertain inputs",
        "dtsim.uncertainty, default uncertainty set",
        header,
        rows,
        ("Quantiles are of the samples that run; the probabilities count every sample.",),
    )


def _tornado_table(section: Any, numbers: dict[str, Stated]) -> Any:
    ranks_by_block = []
    rows = []
    for block in section.result.blocks:
        tornado = block.sensitivity.get("tornado", {}).get("c_quality", {}).get("rows", [])[:TOP_INPUTS]
        ranks = block.sensitivity.get("spearman", {}).get("c_quality", {})
        ranks_by_block.append(ranks)
        for r in tornado:
            values = [
                Stated(r["low"], "text" if isinstance(r["low"], str) else "g4"),
                Stated(r["high"], "text" if isinstance(r["high"], str) else "g4"),
                Stated(None if r["output_low"] is None else 10 ** r["output_low"], "sci"),
                Stated(None if r["output_high"] is None else 10 ** r["output_high"], "sci"),
                Stated(None if r["swing"] is None else 10 ** r["swing"], "x2"),
                Stated(ranks.get(r["input"]), "f2"),
            ]
            prefix = f"tornado.{_model(block)}.{r['input']}"
            names = ("p10", "p90", "c_quality_at_p10", "c_quality_at_p90", "swing", "spearman")
            numbers.update({f"{prefix}.{n}": v for n, v in zip(names, values, strict=True)})
            rows.append((f"`{r['input']}` ({_model(block)} model)", values))
    return computed_table(
        "uncertainty-tornado",
        "What C_quality hinges on: each input from its P10 to its P90, the others at their P50",
        "dtsim.uncertainty (tornado, Spearman rank correlation)",
        ["Input", "P10", "P90", "C_quality at P10", "C_quality at P90", "Swing", "Rank correlation"],
        rows,
        (
            f"The {TOP_INPUTS} inputs with the largest swing per model; the rank correlation is over the "
            "Monte Carlo sample.",
        ),
    )


def _target_table(result: Any, numbers: dict[str, Stated]) -> Any:
    rows = []
    for block in result.blocks:
        values = [Stated(_value(block.outputs["nodes"], q), "int") for q in ("p5", "p50", "p95")]
        values += [Stated(_value(block.outputs["cost_usd"], q), "usd") for q in ("p5", "p50", "p95")]
        values.append(Stated(block.reached_share, "pct1"))
        names = ("nodes.p5", "nodes.p50", "nodes.p95", "cost_usd.p5", "cost_usd.p50", "cost_usd.p95", "reached")
        numbers.update({f"target.{_model(block)}.{n}": v for n, v in zip(names, values, strict=True)})
        rows.append((f"{_model(block)} model", values))
    return computed_table(
        "uncertainty-nodes-for-1e25",
        "Nodes and hardware cost to reach 10^25 FLOP of C_local (flat DiLoCo, largest model), per sample",
        f"dtsim.uncertainty with analysis nodes_for_target, {result.samples:,} samples",
        ["Model", "Nodes P5", "Nodes P50", "Nodes P95", "Cost P5", "Cost P50", "Cost P95", "Samples reaching it"],
        rows,
    )


def minimum_cost_table(ctx: ReportContext, target: float = 1e25) -> Any:
    """The cheapest configuration reaching ``target`` (C_quality) under both models."""
    from dtsim.report.summary import MODELS, minimum_cost_scenario

    rows = []
    for physics in MODELS:
        winner = (
            ctx.cache.get("cheapest_config", {"target": target}, minimum_cost_scenario(ctx.overrides, physics))[
                "winner"
            ]
            or {}
        )
        values = [
            Stated(winner.get("strategy"), "mode"),
            Stated(winner.get("params"), "params"),
            Stated(winner.get("nodes"), "int"),
            Stated(winner.get("cost_usd"), "usd"),
            Stated(winner.get("c_quality"), "sci"),
        ]
        rows.append((f"{physics} model", values))
    return computed_table(
        "uncertainty-minimum-cost-1e25",
        "Minimum cost of 10^25 quality-adjusted FLOP under both models (point estimates)",
        "dtsim.analyze('cheapest_config'), variants.md §13.1",
        ["Model", "Configuration", "Model size", "Nodes", "Cost", "C_quality"],
        rows,
        ("The same search as the minimum-cost table of the model comparison.",),
    )


def uncertainty_section(ctx: ReportContext) -> SectionContent:
    """The section: spread, sensitivity, nodes for 10^25 and minimum cost, and three figures."""
    from dtsim.errors import DtsimError
    from dtsim.report.tables import UnavailableAnalysis

    path, config = _config(ctx)
    section = headline(ctx)
    result = section.result
    superseded = [k for k in ctx.overrides if k in config["distributions"]]
    inputs = ", ".join(f"`{p}`" for p in result.inputs)
    lines = [
        f"{result.samples:,} Monte Carlo samples (seed {result.seed}) of the default uncertainty set "
        f"(`{DEFAULT_SET.as_posix() if ctx.uncertainty_file is None else path.name}`), which gives every "
        f"range its source. Uncertain inputs: {inputs}. The structural choice between the seed and the "
        "revised model is shown side by side, not averaged. The scenario is the seeds' reference case: "
        f"{result.fixed.get('nodes', 72)} nodes, flat Streaming DiLoCo, each model's reference node and largest model.",
        "",
    ]
    if superseded:
        lines += [
            f"The changed assumptions {', '.join(f'`{k}`' for k in superseded)} are uncertain inputs here: "
            "their distributions apply.",
            "",
        ]
    numbers: dict[str, Stated] = {}
    tables = [_spread_table(section, numbers), _tornado_table(section, numbers)]
    tables.append(_target_table(target_result(ctx), numbers))
    for table in tables:
        lines += table_markdown(table, level=3, marks=False)
    failures: list[Failure] = []
    try:
        table = minimum_cost_table(ctx)
        lines += table_markdown(table, level=3, marks=False)
        tables.append(table)
    except UnavailableAnalysis as exc:
        failure = Failure(
            "table",
            "uncertainty-minimum-cost-1e25",
            "Minimum cost of 10^25 under both models",
            f"`{exc.name}`",
            unavailable=True,
        )
        lines += [
            '### <a id="uncertainty-minimum-cost-1e25"></a>Minimum cost of 10<sup>25</sup> under both models',
            "",
            failure.note(),
            "",
        ]
        failures.append(failure)
    except DtsimError as exc:
        failure = Failure(
            "table", "uncertainty-minimum-cost-1e25", "Minimum cost of 10^25 under both models", error_message(exc)
        )
        lines += [failure.note(), ""]
        failures.append(failure)
    figures = {}
    for name, (caption, svg) in section.figures.items():
        caption = re.sub(r"(?<![\w.])1e(\d+)", r"10^\1", caption)
        figures[name] = (caption, prefix_svg_ids(svg, name))
        lines += figure_markdown(name, caption)
    return SectionContent("\n".join(lines), figures, numbers, tuple(tables), tuple(failures))
