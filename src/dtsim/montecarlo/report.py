"""The report section "How uncertain is the headline?": for one scenario and its distributions,
the spread of the headline compute, the probability of crossing each threshold, what the answer
hinges on, the nodes and cost needed to reach a target, and three figures (CDF, tornado, fan).

``headline_section`` returns Markdown (figures referenced as ``figures/NAME.svg``, as the rest
of the report does) and the figures as ``{name: (caption, svg)}``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dtsim.montecarlo.api import ScenarioLike, UncertaintyResult, fan, run
from dtsim.montecarlo.figures import cdf_figure, fan_figure, tornado_figure
from dtsim.montecarlo.statistics import OutputStats

__all__ = ["HeadlineSection", "headline_section"]

#: Tornado rows named in the text.
TOP_INPUTS = 3


@dataclass(frozen=True)
class HeadlineSection:
    """The section's Markdown, its figures ({name: (caption, svg)}) and the results behind it."""

    markdown: str
    figures: dict[str, tuple[str, str]]
    result: UncertaintyResult
    target_result: UncertaintyResult | None


def _value(stats: OutputStats, name: str) -> str:
    """A statistic in the output's own units (10^x for log10 keys)."""
    value = getattr(stats, name)
    if value is None:
        return "—"
    if stats.scale == "log10":
        return f"{10**value:.3g}"
    return f"{value:.4g}"


def _flop(value: float) -> str:
    """1e25 for a power of ten, else 3 significant digits."""
    exponent = math.log10(value)
    return f"1e{exponent:.0f}" if exponent.is_integer() else f"{value:.3g}"


def _label(choice: Mapping[str, Any]) -> str:
    return ", ".join(f"`{k}={v}`" for k, v in choice.items())


def headline_section(
    scenario: ScenarioLike,
    distributions: Mapping[str, Any],
    *,
    correlations: Sequence[Mapping[str, Any]] | None = None,
    samples: int = 10_000,
    seed: int = 0,
    key: str = "c_quality",
    target: float | None = 1e25,
    target_metric: str = "c_local",
    name_prefix: str = "uncertainty_",
) -> HeadlineSection:
    """Compute and render the section for ``scenario`` under ``distributions``.

    ``key``: the headline output. ``target``: also give the distribution of the smallest node
    count (and its cost) whose ``target_metric`` reaches it (None: skip; flat and hierarchical
    DiLoCo only). Figure names start with ``name_prefix``.
    """
    outputs = list(dict.fromkeys([key, "c_local", "c_quality", "cost_usd"]))
    result = run(scenario, distributions, samples=samples, seed=seed, outputs=outputs, correlations=correlations)
    target_result = None
    if target is not None:
        target_result = run(
            scenario,
            distributions,
            samples=samples,
            seed=seed,
            correlations=correlations,
            analysis={"name": "nodes_for_target", "target": target, "metric": target_metric},
        )
    fan_data = fan(scenario, distributions, key=key, samples=min(samples, 1_000), seed=seed, correlations=correlations)

    out = ["## How uncertain is the headline?", ""]
    inputs = ", ".join(f"`{path}`" for path in result.inputs)
    side = ", ".join(f"`{c}`" for c in result.choices)
    out += [
        f"{result.samples:,} Monte Carlo samples (seed {result.seed}) of the uncertain inputs {inputs}"
        + (f", with the choices {side} shown side by side" if side else "")
        + ". Quantiles are of the samples that run; the probabilities count every sample.",
        "",
    ]
    thresholds = result.thresholds.get(key, [])
    header = ["", "P5", "P50", "P95", *(f"P(≥{_flop(t)})" for t in thresholds), "infeasible"]
    out += ["| " + " | ".join(header) + " |", "|:--" + "|--:" * (len(header) - 1) + "|"]
    for block in result.blocks:
        for output in outputs:
            stats = block.outputs[output]
            row = [f"{output}" + (f" ({_label(block.choice)})" if block.choice else "")]
            row += [_value(stats, name) for name in ("p5", "p50", "p95")]
            row += [
                f"{stats.exceed[repr(float(t))]:.1%}" if repr(float(t)) in stats.exceed else "—" for t in thresholds
            ]
            row.append(f"{block.infeasible_share:.1%}")
            out.append("| " + " | ".join(row) + " |")
    out.append("")

    for block in result.blocks:
        rows = block.sensitivity.get("tornado", {}).get(key, {}).get("rows", [])[:TOP_INPUTS]
        ranks = block.sensitivity.get("spearman", {}).get(key, {})
        if rows:
            where = f" ({_label(block.choice)})" if block.choice else ""
            named = "; ".join(
                f"`{r['input']}` (P10 → P90 moves it ×{10 ** r['swing']:.3g}, rank correlation "
                f"{ranks.get(r['input']) or 0:.2f})"
                if block.outputs[key].scale == "log10" and r["swing"] is not None
                else f"`{r['input']}` (swing {r['swing']}, rank correlation {ranks.get(r['input']) or 0:.2f})"
                for r in rows
            )
            out += [f"**What {key} hinges on{where}:** {named}.", ""]

    if target is not None and target_result is not None:
        out += [
            f"**Nodes and cost to reach {_flop(target)} FLOP of {target_metric}** (smallest node count per sample):",
            "",
            "| | P5 | P50 | P95 | reaching it |",
            "|:--|--:|--:|--:|--:|",
        ]
        for block in target_result.blocks:
            where = f" ({_label(block.choice)})" if block.choice else ""
            for output in ("nodes", "cost_usd"):
                stats = block.outputs[output]
                cells = [_value(stats, name) for name in ("p5", "p50", "p95")]
                share = f"{block.reached_share:.1%}" if block.reached_share is not None else "—"
                out.append(f"| {output}{where} | " + " | ".join(cells) + f" | {share} |")
        out.append("")

    figures = {
        f"{name_prefix}cdf_{key}": (
            f"Distribution of {key} over the samples, quantiles marked",
            cdf_figure(result, key),
        ),
        f"{name_prefix}tornado_{key}": (
            f"What {key} hinges on: each input from its P10 to its P90, the others at their P50",
            tornado_figure(result, key),
        ),
        f"{name_prefix}fan_{key}": (
            f"{key} against node count: P50 and the P5-P95 band, with the 1e24-1e27 thresholds",
            fan_figure(fan_data),
        ),
    }
    for name, (caption, _) in figures.items():
        out += [f"![{caption}](figures/{name}.svg)", "", f"*{caption}*", ""]
    return HeadlineSection("\n".join(out), figures, result, target_result)
