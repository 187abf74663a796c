"""Figures of a model table: cumulative-vs-individual compute per year (log-log) and
histograms of log10 compute."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np

from dtsim.population.fit import ModelTable, cumulative_fit

__all__ = ["population_figures"]


def _svg(fig: object) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buffer.getvalue()


def population_figures(table: ModelTable) -> dict[str, str]:
    """``{name: svg}``: ``cumulative_vs_individual`` and ``log_compute_histograms``."""
    with plt.rc_context({"svg.hashsalt": "dtsim", "font.size": 9}):
        return _figures(table)


def _figures(table: ModelTable) -> dict[str, str]:
    years = np.unique(table.years)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for i, year in enumerate(years):
        c = np.sort(table.compute[table.years == year])
        fit = cumulative_fit(c)
        label = f"{year} (slope {fit['slope']:.2f})" if fit["slope"] is not None else f"{year} (one size: no fit)"
        ax.loglog(c, np.cumsum(c), "o", ms=3, color=f"C{i % 10}", label=label)
        if fit["slope"] is not None:
            ax.loglog(c, 10 ** (fit["slope"] * np.log10(c) + fit["intercept"]), "-", lw=0.8, color=f"C{i % 10}")
    ax.set(
        xlabel="model training compute m (FLOP)",
        ylabel="cumulative compute of models ≤ m (FLOP)",
        title="Cumulative vs individual training compute, by year",
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    figures = {"cumulative_vs_individual": _svg(fig)}
    fig, axes = plt.subplots(1, len(years), figsize=(2.2 * len(years), 2.6), sharey=True, squeeze=False)
    bins = np.arange(np.floor(np.log10(table.compute.min())), np.ceil(np.log10(table.compute.max())) + 0.5, 0.5)
    for ax, year in zip(axes[0], years, strict=True):
        ax.hist(np.log10(table.compute[table.years == year]), bins=bins, color="C0")
        ax.set(title=str(year), xlabel="log10 FLOP")
    axes[0][0].set_ylabel("models")
    fig.tight_layout()
    figures["log_compute_histograms"] = _svg(fig)
    return figures
