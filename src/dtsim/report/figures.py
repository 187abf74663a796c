"""Report figures (matplotlib, SVG): every curve comes from ``sweep`` and the analyses.

Each figure is a ``matplotlib.figure.Figure`` drawn inside ``matplotlib.rc_context(style())``, so
importing this module changes no global state. The style keeps text as text in the SVG
(``svg.fonttype: none``), salts element ids with a fixed string (the same figure gives the same
bytes), and draws series in the Okabe-Ito colour-blind-safe palette; ``render_figure`` prefixes
every element id with the figure's name, so that several SVGs inlined in one HTML page never
share an id. Titles state the budget and the assumptions of the scenario they were drawn from,
read after ``--set`` overrides.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from dtsim.analyses import analyze
from dtsim.engine import simulate_many, sweep
from dtsim.report.formats import format_value, money
from dtsim.report.tables import AnalysisCache, merge_scenario
from dtsim.report.templates import resolved_fields

__all__ = [
    "CONFIGURATIONS",
    "FIGURES",
    "OKABE_ITO",
    "FigureSpec",
    "assumptions_line",
    "prefix_svg_ids",
    "render_figure",
    "render_figures",
    "style",
]

PRESETS = {
    "A100x48": "48 × A100 FP16",
    "GH200x16": "16 × GH200 FP16",
    "H100x16": "16 × H100 FP16",
    "H100x16fp8": "16 × H100 FP8",
}
TARGETS = (1e24, 1e25, 1e26, 1e27)
Overrides = Mapping[str, Any] | None

#: The Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design"), yellow last: it is the
#: hardest to see on white.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

#: The 10^27 configurations A-I of seed 002 §8.1 (I with 480B).
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "A": {"strategy": "diloco", "nodes": 4000, "hardware": {"preset": "A100x48"}},
    "B": {"strategy": "hierarchical", "nodes": 4000, "hardware": {"preset": "A100x48"}},
    "C": {"strategy": "diloco", "nodes": 2000, "hardware": {"preset": "H100x16fp8"}},
    "D": {"strategy": "hierarchical", "nodes": 2000, "hardware": {"preset": "H100x16fp8"}},
    "E": {
        "strategy": "diloco",
        "nodes": 4000,
        "hardware": {"preset": "A100x48"},
        "compression": {"pseudo_gradient": 100},
    },
    "F": {
        "strategy": "hierarchical",
        "nodes": 2000,
        "hardware": {"preset": "H100x16fp8"},
        "compression": {"pseudo_gradient": 100},
    },
    "G": {
        "strategy": "moe-ep",
        "nodes": 4000,
        "hardware": {"preset": "A100x48"},
        "model": {"total_params": 600e9, "active_params": 100e9},
    },
    "H": {"strategy": "pp-diloco", "nodes": 4000, "hardware": {"preset": "A100x48"}, "model": {"params": 960e9}},
    "I": {"strategy": "pp-diloco", "nodes": 2000, "hardware": {"preset": "H100x16fp8"}, "model": {"params": 480e9}},
}


def style() -> Any:
    """The figure style, applied only while the report's figures are drawn (never at import)."""
    from cycler import cycler

    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "dtsim",
        "font.size": 9,
        "axes.titlesize": 9.5,
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "legend.frameon": False,
    }


def _assumption_parts(scenario: Mapping[str, Any]) -> dict[str, str]:
    f = resolved_fields(scenario)
    days = f["training.days"]
    return {
        "physics": f"{f['physics']} model",
        "budget": f"{days / 365.25:g} years" if days is not None else "time to train",
        "mfu": f"MFU {100 * f['training.mfu']:g}%",
        "wan": f"WAN {f['network.wan.bandwidth_mbps']:g} Mbps / {f['network.wan.latency_ms']:g} ms",
        "quality": f"{f['compression.quality']} quality",
        "compression": f"{f['compression.pseudo_gradient']:g}x compression",
    }


def assumptions_line(scenario: Mapping[str, Any], other: Mapping[str, Any] | None = None) -> str:
    """``seed model, 1.5 years, MFU 40%, WAN 100 Mbps / 100 ms, expected quality, 16x compression``:
    the assumptions of ``scenario`` that every figure title states, read after defaults. With
    ``other`` (the same scenario under the other model), the parts that differ are given for
    each: ``16x compression (seed) / 150x compression (revised)``."""
    parts = _assumption_parts(scenario)
    if other is None:
        return ", ".join(parts.values())
    second = _assumption_parts(other)
    names = (parts["physics"].removesuffix(" model"), second["physics"].removesuffix(" model"))
    return ", ".join(
        v if v == second[k] else f"{v} ({names[0]}) / {second[k]} ({names[1]})"
        for k, v in parts.items()
        if k != "physics"
    )


def power_label(value: float) -> str:
    """``$10^{25}$`` or ``$3 \\times 10^{25}$``: a FLOP value as mathtext (kept as SVG text)."""
    mantissa, exponent = f"{value:.2e}".split("e")
    m = float(mantissa)
    power = f"10^{{{int(exponent)}}}"
    return f"${power}$" if m == 1 else f"${m:g} \\times {power}$"


@dataclass(frozen=True)
class FigureSpec:
    """A report figure: its name (file name and id prefix), the report section it belongs to,
    its caption and the function that draws it from the overrides and the report's analyses."""

    name: str
    section: str
    caption: str
    make: Callable[[Overrides, AnalysisCache], Any]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _threshold_lines(ax: Any, targets: tuple[float, ...] = TARGETS) -> None:
    low, high = ax.get_ylim()
    for target in targets:
        if not low <= target <= high:
            continue
        ax.axhline(target, color="grey", lw=0.7, ls="--", zorder=1)
        ax.annotate(
            power_label(target),
            (1.0, target),
            xycoords=("axes fraction", "data"),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=7,
            color="dimgrey",
            ha="left",
            va="center",
        )


def compute_vs_nodes(overrides: Overrides, cache: AnalysisCache) -> Any:
    """C_local and C_quality vs node count, flat DiLoCo, each preset at its largest model."""
    fig = _figure(8, 4.4)
    ax_local, ax_quality = fig.subplots(1, 2, sharey=True)
    nodes = np.unique(np.round(np.logspace(0, 4, 61)))
    base: dict[str, Any] = {}
    for i, (preset, label) in enumerate(PRESETS.items()):
        base = merge_scenario({"strategy": "diloco", "nodes": 1, "hardware": {"preset": preset}}, overrides)
        cols = sweep(base, {"nodes": nodes}).columns
        for ax, key in ((ax_local, "c_local"), (ax_quality, "c_quality")):
            ax.loglog(
                nodes,
                cols[key],
                color=OKABE_ITO[i],
                marker=MARKERS[i],
                markevery=(2 * i, 8),
                ms=4.5,
                lw=1.3,
                ls=("-", "--", "-.", ":")[i],
                label=label,
            )
    for ax, key in ((ax_local, "C_local"), (ax_quality, "C_quality")):
        ax.set(xlabel="nodes", title=key)
        _threshold_lines(ax)
    ax_local.set_ylabel("FLOP reached in the budget")
    handles, labels = ax_local.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4)
    fig.suptitle(f"Compute reached vs nodes, flat Streaming DiLoCo, largest model per node\n{assumptions_line(base)}")
    return fig


def c_local_vs_bandwidth(overrides: Overrides, cache: AnalysisCache) -> Any:
    """C_local as a share of its best vs WAN bandwidth: the 72-node flat run and Config F."""
    fig = _figure(7, 4.2)
    ax = fig.subplots()
    bandwidth = np.logspace(1, 4, 46)
    flat72 = {"strategy": "diloco", "nodes": 72, "hardware": {"preset": "A100x48"}}
    runs = {}
    for scenario, what in ((flat72, "A100, flat"), (CONFIGURATIONS["F"], "H100 FP8, hierarchical (Config F)")):
        f = resolved_fields(merge_scenario(scenario, overrides))
        label = f"{f['nodes']:,.0f} × {f['hardware.gpus_per_node']:g} {what}, {f['compression.pseudo_gradient']:g}x"
        runs[label] = scenario
    for i, (label, scenario) in enumerate(runs.items()):
        cols = sweep(merge_scenario(scenario, overrides), {"network.wan.bandwidth_mbps": bandwidth}).columns
        share = 100 * cols["c_local"] / np.max(cols["c_local"])
        ax.semilogx(bandwidth, share, color=OKABE_ITO[i], marker=MARKERS[i], markevery=(i * 3, 6), ms=4.5, label=label)
    fields = resolved_fields(merge_scenario(flat72, overrides))
    default = fields["network.wan.bandwidth_mbps"]
    ax.axvline(default, color="grey", lw=0.8, ls=":")
    ax.annotate(
        f"{default:g} Mbps",
        (default, 0.02),
        xycoords=("data", "axes fraction"),
        xytext=(3, 0),
        textcoords="offset points",
        fontsize=7,
        color="dimgrey",
    )
    ax.set(
        xlabel="WAN bandwidth per node (Mbps)",
        ylabel="C_local, % of its value at 10 Gbps",
        title="Bandwidth sensitivity: C_local relative to its best\n"
        + assumptions_line(merge_scenario(flat72, overrides)).replace(f"WAN {default:g} Mbps / ", "RTT "),
    )
    ax.legend(loc="lower right")
    return fig


def c_quality_vs_model_size(overrides: Overrides, cache: AnalysisCache) -> Any:
    """C_quality of every model-size sweep candidate, dense DiLoCo vs PP-Group DiLoCo."""
    fig = _figure(7, 4.6)
    ax = fig.subplots()
    runs = {
        "500 × 48 A100": (500, "A100x48"),
        "4,000 × 48 A100": (4000, "A100x48"),
        "2,000 × 16 H100 FP8": (2000, "H100x16fp8"),
    }
    base: dict[str, Any] = {}
    for i, (label, (n, preset)) in enumerate(runs.items()):
        base = merge_scenario({"nodes": n, "hardware": {"preset": preset}}, overrides)
        out = cache.get("model_size_sweep", {}, base)
        for strategy, filled, ls in (("diloco", True, "-"), ("pp-diloco", False, "--")):
            rows = [c for c in out["candidates"] if c["strategy"] == strategy]
            name = "flat DiLoCo" if strategy == "diloco" else "PP-Group DiLoCo"
            ax.loglog(
                [c["params"] for c in rows],
                [c["c_quality"] for c in rows],
                marker=MARKERS[i],
                ms=5 + i,
                mfc=OKABE_ITO[i] if filled else "white",
                color=OKABE_ITO[i],
                ls=ls,
                label=f"{label}, {name}",
            )
    ax.set(
        xlabel="model parameters",
        ylabel="C_quality (FLOP)",
        title=f"Which model to train: C_quality by model size\n{assumptions_line(base)}",
    )
    fig.legend(loc="outside lower center", ncols=3, fontsize=7.5)
    return fig


def nodes_and_cost_vs_threshold(overrides: Overrides, cache: AnalysisCache) -> Any:
    """Nodes and hardware cost to reach 1e24-1e26 FLOP (C_local) vs the registration threshold."""
    thresholds = [16, 8, 4, 2, 1]
    fig = _figure(8, 3.9)
    ax_nodes, ax_cost = fig.subplots(1, 2)
    scenario: dict[str, Any] = {}
    for k, target in enumerate(TARGETS[:3]):
        nodes, cost = [], []
        for threshold in thresholds:
            gpus = (
                48
                if threshold == 16
                else analyze("max_gpus_under_threshold", gpu="A100-80GB", threshold_h100_eq=threshold)["gpus_per_node"]
            )
            scenario = merge_scenario(
                {"strategy": "diloco", "hardware": {"gpu": "A100-80GB", "gpus_per_node": gpus}}, overrides
            )
            out = cache.get("nodes_for_target", {"target": target}, scenario)
            nodes.append(np.nan if out["nodes"] is None else out["nodes"])
            cost.append(np.nan if out["cost_usd"] is None else out["cost_usd"] / 1e6)
        label = power_label(target)
        for ax, values in ((ax_nodes, nodes), (ax_cost, cost)):
            ax.semilogy(thresholds, values, marker=MARKERS[k], color=OKABE_ITO[k], label=label)
    for ax, ylabel in ((ax_nodes, "nodes"), (ax_cost, "hardware cost ($M)")):
        ax.set(xlabel="registration threshold (H100-eq per node)", ylabel=ylabel, xscale="log")
        ax.set_xticks(thresholds, [str(t) for t in thresholds])
        ax.minorticks_off()
        ax.invert_xaxis()
    ax_nodes.legend(title="C_local target (FLOP)", fontsize=7, title_fontsize=7, loc="upper left")
    fig.suptitle(
        "Lowering the threshold multiplies nodes, not cost: largest A100 node under each threshold\n"
        + assumptions_line(scenario)
    )
    return fig


def eta_decomposition(overrides: Overrides, cache: AnalysisCache) -> Any:
    """The factors of eta for the 10^27 configurations, from zero, with eta written on top."""
    results = simulate_many([merge_scenario(s, overrides) for s in CONFIGURATIONS.values()])
    factors = {
        "eta_h": "η_H (sync interval)",
        "eta_compression": "η_compression",
        "eta_replicas": "η_replicas",
        "eta_activation": "η_activation",
        "eta": "η (product)",
    }
    fig = _figure(8, 4.2)
    ax = fig.subplots()
    x = np.arange(len(CONFIGURATIONS))
    width = 0.16
    for k, (factor, label) in enumerate(factors.items()):
        values = [getattr(r, factor) for r in results]
        bars = ax.bar(x + (k - 2) * width, values, width, label=label, color=OKABE_ITO[k], edgecolor="white", lw=0.4)
        if factor == "eta":
            ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=6.5, padding=1)
    ax.set_xticks(x, list(CONFIGURATIONS))
    ax.set(
        ylim=(0, 1.12),
        xlabel="configuration (seed 002 §8.1)",
        ylabel="factor",
        title="η = η_H · η_compression · η_replicas · η_activation, configurations A-I\n"
        + assumptions_line(merge_scenario(CONFIGURATIONS["A"], overrides)),
    )
    fig.legend(loc="outside lower center", ncols=5, fontsize=7.5)
    return fig


def models_compute_vs_nodes(overrides: Overrides, cache: AnalysisCache) -> Any:
    """C_local and C_quality vs nodes under the seed and the revised model, each on its own
    reference node (48 × A100 seed, 50 × A100 revised), flat DiLoCo, largest model."""
    fig = _figure(7, 4.6)
    ax = fig.subplots()
    nodes = np.unique(np.round(np.logspace(0, 4, 61)))
    for i, physics in enumerate(("seed", "revised")):
        base = merge_scenario(overrides, {"strategy": "diloco", "nodes": 1, "physics": physics})
        gpus = resolved_fields(base)["hardware.gpus_per_node"]
        cols = sweep(base, {"nodes": nodes}).columns
        for key, ls, marker in (("c_local", "-", "o"), ("c_quality", "--", "s")):
            ax.loglog(
                nodes,
                cols[key],
                color=OKABE_ITO[i],
                ls=ls,
                marker=marker,
                markevery=(3 * i, 8),
                ms=4,
                label=f"{physics} model ({gpus:g} × A100): {key}",
            )
    _threshold_lines(ax)
    line = assumptions_line(
        merge_scenario(overrides, {"nodes": 1, "physics": "seed"}),
        merge_scenario(overrides, {"nodes": 1, "physics": "revised"}),
    )
    ax.set(
        xlabel="nodes (each under 16 H100-eq)",
        ylabel="FLOP reached in the budget",
        title=f"Sub-threshold nodes under both models, flat Streaming DiLoCo, largest model\n{line}",
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=7.5)
    return fig


#: Targets of the minimum-cost table and figure (quality-adjusted FLOP).
COST_TARGETS = (1e24, 3e24, 1e25, 3e25, 1e26)


def models_minimum_cost(overrides: Overrides, cache: AnalysisCache) -> Any:
    """The cheapest configuration reaching each target (C_quality), under both models, on the
    sub-threshold reference node; each point labelled with the winning strategy and nodes (the
    label of the dearer model above its point, the cheaper one's below)."""
    from dtsim.report.summary import minimum_cost_scenario

    fig = _figure(7.4, 4.8)
    ax = fig.subplots()
    models = ("revised", "seed")
    costs: dict[str, list[float]] = {}
    labels: dict[str, list[str]] = {}
    for i, physics in enumerate(models):
        scenario = minimum_cost_scenario(dict(overrides or {}), physics)
        costs[physics], labels[physics] = [], []
        for target in COST_TARGETS:
            winner = cache.get("cheapest_config", {"target": target}, scenario)["winner"]
            costs[physics].append(np.nan if winner is None else winner["cost_usd"])
            if winner is None:
                labels[physics].append("none")
            else:
                mode = format_value(winner["strategy"], "mode")
                labels[physics].append(f"{mode}, {winner['nodes']:,} nodes\n{money(winner['cost_usd'])}")
        ax.loglog(COST_TARGETS, costs[physics], color=OKABE_ITO[i], marker=MARKERS[i], ms=5, label=f"{physics} model")
    last = len(COST_TARGETS) - 1
    for k, target in enumerate(COST_TARGETS):
        pair = [costs[m][k] for m in models]
        for i, physics in enumerate(models):
            cost = costs[physics][k]
            if not np.isfinite(cost):
                continue
            above = cost >= max(c for c in pair if np.isfinite(c))
            ax.annotate(
                labels[physics][k],
                (target, cost),
                xytext=(0, 7 if above else -7),
                textcoords="offset points",
                ha="left" if k == 0 else "right" if k == last else "center",
                va="bottom" if above else "top",
                fontsize=6.5,
                color=OKABE_ITO[i],
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.set(
        xlabel="target C_quality (FLOP)",
        xticks=COST_TARGETS,
        xticklabels=[power_label(t) for t in COST_TARGETS],
        xlim=(COST_TARGETS[0] / 1.6, COST_TARGETS[-1] * 1.6),
        ylabel="hardware cost of the cheapest configuration (USD)",
        title="Minimum cost of a C_quality target: strategy, model size and H searched\n"
        + assumptions_line(
            merge_scenario(overrides, {"nodes": 1, "physics": "seed"}),
            merge_scenario(overrides, {"nodes": 1, "physics": "revised"}),
        ),
    )
    ax.margins(y=0.15)
    ax.legend(loc="upper left")
    return fig


_FIGURES = (
    FigureSpec(
        "models_compute_vs_nodes",
        "models",
        "C_local and C_quality against the number of sub-threshold nodes under the seed and the revised "
        "model, each on its own reference node, with the 10^24-10^27 lines",
        models_compute_vs_nodes,
    ),
    FigureSpec(
        "models_minimum_cost",
        "models",
        "Hardware cost of the cheapest configuration reaching each C_quality target under both models, "
        "labelled with the winning strategy and node count",
        models_minimum_cost,
    ),
    FigureSpec(
        "compute_vs_nodes",
        "reproduction",
        "C_local and C_quality against node count for the four seed nodes, with the 10^24-10^27 lines "
        "(the C_local curves of the three 16-H100-eq FP16 nodes lie within 5 % of one another)",
        compute_vs_nodes,
    ),
    FigureSpec(
        "c_local_vs_bandwidth",
        "reproduction",
        "C_local as a percentage of its best against WAN bandwidth, 72-node flat run and Config F",
        c_local_vs_bandwidth,
    ),
    FigureSpec(
        "c_quality_vs_model_size",
        "reproduction",
        "C_quality of every candidate of the model-size sweep, flat DiLoCo against PP-Group DiLoCo",
        c_quality_vs_model_size,
    ),
    FigureSpec(
        "nodes_and_cost_vs_threshold",
        "reproduction",
        "Nodes and hardware cost to reach 10^24-10^26 FLOP (C_local) against the registration threshold",
        nodes_and_cost_vs_threshold,
    ),
    FigureSpec(
        "eta_decomposition",
        "reproduction",
        "The factors of η for configurations A-I, on an axis from zero",
        eta_decomposition,
    ),
)

#: Every report figure by name, in report order.
FIGURES: dict[str, FigureSpec] = {spec.name: spec for spec in _FIGURES}

_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def prefix_svg_ids(svg: str, prefix: str) -> str:
    """Every element id of ``svg`` and every reference to one prefixed with ``prefix-``, so that
    several figures inlined in one HTML page never share an id."""
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _HREF.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    return _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)


def wrap_titles(fig: Any, chars_per_inch: float = 11.5) -> None:
    """Wrap every line of the figure's titles to the figure's width, so that none is clipped."""
    import textwrap

    width = max(30, int(fig.get_figwidth() * chars_per_inch))

    def wrap(text: str) -> str:
        return "\n".join(part for line in text.split("\n") for part in (textwrap.wrap(line, width) or [""]))

    for ax in fig.axes:
        if ax.get_title():
            ax.set_title(wrap(ax.get_title()))
    if fig.get_suptitle():
        fig.suptitle(wrap(fig.get_suptitle()))


def svg_text(fig: Any, prefix: str) -> str:
    """A figure as deterministic SVG text with ids prefixed by ``prefix`` (titles wrapped)."""
    wrap_titles(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return prefix_svg_ids(buffer.getvalue(), prefix)


def render_figure(spec: FigureSpec, overrides: Overrides = None, cache: AnalysisCache | None = None) -> str:
    """One figure as SVG text (deterministic; ids prefixed with its name)."""
    import matplotlib

    with matplotlib.rc_context(style()):
        fig = spec.make(overrides, cache or AnalysisCache())
        return svg_text(fig, spec.name)


def render_figures(
    overrides: Overrides = None, cache: AnalysisCache | None = None, names: list[str] | None = None
) -> dict[str, tuple[str, str]]:
    """Figures as ``{name: (caption, svg text)}`` (every figure, or those named)."""
    cache = cache or AnalysisCache()
    return {
        name: (FIGURES[name].caption, render_figure(FIGURES[name], overrides, cache)) for name in (names or FIGURES)
    }
