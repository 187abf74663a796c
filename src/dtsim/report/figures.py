"""Report figures (matplotlib, SVG): every curve comes from ``sweep`` and the analyses."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from dtsim.analyses import max_gpus_under_threshold, model_size_sweep, nodes_for_target
from dtsim.engine import simulate_many, sweep
from dtsim.report.tables import merge_scenario

__all__ = ["FIGURES", "render_figures"]

PRESETS = ("A100x48", "GH200x16", "H100x16", "H100x16fp8")
TARGETS = (1e24, 1e25, 1e26, 1e27)
Overrides = Mapping[str, Any] | None

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


#: Figure style, applied only while the report's figures are drawn (never at import).
STYLE: dict[str, Any] = {
    "svg.hashsalt": "dtsim",
    "font.size": 9,
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _threshold_lines(ax: Any) -> None:
    for target in TARGETS:
        ax.axhline(target, color="grey", lw=0.7, ls="--")
        ax.annotate(
            f"1e{int(np.log10(target))}",
            (1.0, target),
            xycoords=("axes fraction", "data"),
            fontsize=7,
            color="grey",
            ha="left",
            va="center",
        )


def compute_vs_nodes(overrides: Overrides) -> Any:
    """C_local and C_quality vs node count, flat DiLoCo, each preset at its largest model."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    nodes = np.unique(np.round(np.logspace(0, 4, 60)))
    for i, preset in enumerate(PRESETS):
        base = merge_scenario({"strategy": "diloco", "nodes": 1, "hardware": {"preset": preset}}, overrides)
        cols = sweep(base, {"nodes": nodes}).columns
        ax.loglog(nodes, cols["c_local"], color=f"C{i}", label=f"{preset} C_local")
        ax.loglog(nodes, cols["c_quality"], color=f"C{i}", ls=":", label=f"{preset} C_quality")
    _threshold_lines(ax)
    ax.set(xlabel="nodes", ylabel="FLOP", title="Compute reached in the budget (flat Streaming DiLoCo)")
    ax.legend(fontsize=7, ncol=2)
    return fig


def c_local_vs_bandwidth(overrides: Overrides) -> Any:
    """C_local vs WAN bandwidth for the 72-node flat run and Config F."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    bandwidth = np.logspace(0, 4, 41)
    runs = {
        "72 x 48 A100, flat 16x": {"strategy": "diloco", "nodes": 72, "hardware": {"preset": "A100x48"}},
        "2,000 x 16 H100 FP8, hier + 100x (F)": CONFIGURATIONS["F"],
    }
    for label, scenario in runs.items():
        cols = sweep(merge_scenario(scenario, overrides), {"network.wan.bandwidth_mbps": bandwidth}).columns
        ax.loglog(bandwidth, cols["c_local"], label=label)
    _threshold_lines(ax)
    ax.set(xlabel="WAN bandwidth (Mbps)", ylabel="C_local (FLOP)", title="Bandwidth sensitivity")
    ax.legend(fontsize=7)
    return fig


def c_quality_vs_model_size(overrides: Overrides) -> Any:
    """C_quality of every model-size sweep candidate, dense DiLoCo vs PP-Group DiLoCo."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    runs = {
        "500 x A100x48": (500, "A100x48"),
        "4,000 x A100x48": (4000, "A100x48"),
        "2,000 x H100x16fp8": (2000, "H100x16fp8"),
    }
    for i, (label, (n, preset)) in enumerate(runs.items()):
        out = model_size_sweep(merge_scenario({"nodes": n, "hardware": {"preset": preset}}, overrides))
        for strategy, marker in (("diloco", "o"), ("pp-diloco", "s")):
            rows = [c for c in out.candidates if c.strategy == strategy]
            ax.loglog(
                [c.params for c in rows],
                [c.c_quality for c in rows],
                marker=marker,
                color=f"C{i}",
                ls="-" if strategy == "diloco" else "--",
                label=f"{label} {strategy}",
            )
    ax.set(xlabel="model parameters", ylabel="C_quality (FLOP)", title="Which model to train: C_quality by size")
    ax.legend(fontsize=7)
    return fig


def nodes_and_cost_vs_threshold(overrides: Overrides) -> Any:
    """Nodes and hardware cost to reach 1e24-1e26 FLOP vs the registration threshold."""
    thresholds = [16, 8, 4, 2, 1]
    fig, (ax_nodes, ax_cost) = plt.subplots(1, 2, figsize=(8, 3.6))
    for target in TARGETS[:3]:
        nodes, cost = [], []
        for threshold in thresholds:
            gpus = 48 if threshold == 16 else max_gpus_under_threshold("A100-80GB", threshold).gpus_per_node
            scenario = merge_scenario(
                {"strategy": "diloco", "hardware": {"gpu": "A100-80GB", "gpus_per_node": gpus}}, overrides
            )
            scenario.pop("nodes", None)
            out = nodes_for_target(scenario, target)
            nodes.append(np.nan if out.nodes is None else out.nodes)
            cost.append(np.nan if out.cost_usd is None else out.cost_usd / 1e6)
        ax_nodes.semilogy(thresholds, nodes, marker="o", label=f"1e{int(np.log10(target))}")
        ax_cost.semilogy(thresholds, cost, marker="o", label=f"1e{int(np.log10(target))}")
    for ax, ylabel in ((ax_nodes, "nodes"), (ax_cost, "hardware cost ($M)")):
        ax.set(xlabel="CCC threshold (H100-eq)", ylabel=ylabel, xscale="log")
        ax.set_xticks(thresholds, [str(t) for t in thresholds])
        ax.invert_xaxis()
        ax.legend(fontsize=7, title="target FLOP", title_fontsize=7)
    fig.suptitle("Lowering the threshold multiplies nodes, not cost")
    fig.tight_layout()
    return fig


def eta_decomposition(overrides: Overrides) -> Any:
    """The factors of eta for the 10^27 configurations."""
    results = simulate_many([merge_scenario(s, overrides) for s in CONFIGURATIONS.values()])
    factors = ("eta_h", "eta_compression", "eta_replicas", "eta_activation", "eta")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    x = np.arange(len(CONFIGURATIONS))
    width = 0.16
    for k, factor in enumerate(factors):
        ax.bar(x + (k - 2) * width, [getattr(r, factor) for r in results], width, label=factor)
    ax.set_xticks(x, list(CONFIGURATIONS))
    ax.set(ylim=(0.7, 1.01), ylabel="factor", title="eta = eta_h · eta_compression · eta_replicas · eta_activation")
    ax.legend(fontsize=7, ncol=5, loc="lower center")
    return fig


FIGURES: dict[str, tuple[str, Callable[[Overrides], Any]]] = {
    "compute_vs_nodes": ("C_local and C_quality vs node count, with the 1e24-1e27 lines", compute_vs_nodes),
    "c_local_vs_bandwidth": ("C_local vs WAN bandwidth", c_local_vs_bandwidth),
    "c_quality_vs_model_size": ("C_quality vs model size by strategy", c_quality_vs_model_size),
    "nodes_and_cost_vs_threshold": ("Nodes and cost to reach a target vs threshold", nodes_and_cost_vs_threshold),
    "eta_decomposition": ("The eta decomposition of configurations A-I", eta_decomposition),
}


def render_figures(overrides: Overrides = None, names: list[str] | None = None) -> dict[str, tuple[str, str]]:
    """Every figure (or those ``names``) as ``{name: (caption, svg text)}``; deterministic
    output."""
    out = {}
    # matplotlib types rc keys as a literal set; STYLE's keys are among them.
    with plt.rc_context(STYLE):  # type: ignore[arg-type]
        for name, (caption, make) in FIGURES.items():
            if names is not None and name not in names:
                continue
            fig = make(overrides)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
            plt.close(fig)
            out[name] = (caption, buffer.getvalue())
    return out
