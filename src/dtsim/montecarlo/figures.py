"""Figures of an uncertainty analysis, as SVG text: the CDF of an output with its quantiles
marked, the tornado chart, and the fan chart of an output across node counts.

Each figure is a ``matplotlib.figure.Figure`` drawn inside ``matplotlib.rc_context`` and saved
as SVG, so no pyplot state or global backend is touched (importing this module changes nothing).
Text stays text in the SVG (``svg.fonttype: none``); element ids are salted with a fixed string
so that the same figure gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from dtsim.montecarlo.api import FanData, UncertaintyResult
from dtsim.montecarlo.statistics import CDF_PROBABILITIES, QUANTILES

__all__ = ["FAN_THRESHOLDS", "cdf_figure", "fan_figure", "tornado_figure", "uncertainty_figures"]

#: Threshold lines of the fan chart (FLOP).
FAN_THRESHOLDS = (1e24, 1e25, 1e26, 1e27)

_STYLE: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "dtsim",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _label(key: str, scale: str) -> str:
    unit = " (FLOP)" if key.startswith("c_") else " (USD)" if key == "cost_usd" else ""
    return f"log10 {key}{unit}" if scale == "log10" else key


def cdf_figure(result: UncertaintyResult, key: str) -> str:
    """Empirical CDF of output ``key`` (one curve per block), quantiles P5-P95 marked, and the
    thresholds of ``key`` as vertical lines."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig = _figure(6.4, 3.8)
        ax = fig.subplots()
        scale = "linear"
        low, high = np.inf, -np.inf
        for i, block in enumerate(result.blocks):
            stats = block.outputs[key]
            scale = stats.scale
            if not stats.cdf:
                continue
            low, high = min(low, stats.cdf[0]), max(high, stats.cdf[-1])
            label = ", ".join(f"{k}={v}" for k, v in block.choice.items()) or None
            ax.step(stats.cdf, CDF_PROBABILITIES, where="post", color=f"C{i}", label=label)
            for name, p in QUANTILES.items():
                value = getattr(stats, name)
                if value is None:
                    continue
                ax.plot([value], [p], "o", ms=4, color=f"C{i}")
                if i == 0:  # label the first block's quantiles only, to keep the labels legible
                    ax.annotate(
                        f"{name.upper()} {value:.4g}",
                        (value, p),
                        textcoords="offset points",
                        xytext=(-6, 0),
                        ha="right",
                        va="center",
                        fontsize=7,
                    )
        if np.isfinite(low):
            pad = max(high - low, abs(high) * 1e-3, 1e-12) * 0.15
            ax.set_xlim(low - 3 * pad, high + pad)
            for threshold in result.thresholds.get(key, []):
                x = np.log10(threshold) if scale == "log10" else threshold
                if low - 3 * pad <= x <= high + pad:
                    ax.axvline(x, color="grey", lw=0.7, ls="--")
                    ax.annotate(f"{threshold:g}", (x, 1.0), fontsize=7, color="grey", ha="center", va="bottom")
        ax.set(xlabel=_label(key, scale), ylabel="probability ≤ x", ylim=(0, 1.05))
        ax.set_title(f"{key}: distribution over {result.samples:,} samples", fontsize=9)
        if len(result.blocks) > 1:
            ax.legend(fontsize=7)
        return _svg(fig)


def tornado_figure(result: UncertaintyResult, key: str, block: int = 0) -> str:
    """Tornado chart of output ``key``: each input from its P10 to its P90, the others at P50;
    the largest swing on top."""
    import matplotlib

    tornado = result.blocks[block].sensitivity.get("tornado", {}).get(key)
    with matplotlib.rc_context(_STYLE):
        rows = [r for r in (tornado or {}).get("rows", []) if r["swing"] is not None]
        fig = _figure(6.4, 0.9 + 0.32 * max(len(rows), 1))
        ax = fig.subplots()
        baseline = (tornado or {}).get("baseline")
        if not rows or baseline is None:
            ax.text(0.5, 0.5, "no input varies this output", ha="center", va="center", transform=ax.transAxes)
            return _svg(fig)
        y = np.arange(len(rows))[::-1]
        for yi, row in zip(y, rows, strict=True):
            low, high = row["output_low"], row["output_high"]
            ax.barh(yi, low - baseline, left=baseline, color="C0", height=0.6)
            ax.barh(yi, high - baseline, left=baseline, color="C1", height=0.6)
        ax.axvline(baseline, color="black", lw=0.8)
        ax.set_yticks(y, [f"{r['input']}  [{_short(r['low'])} → {_short(r['high'])}]" for r in rows], fontsize=7)
        scale = result.blocks[block].outputs[key].scale
        ax.set_xlabel(_label(key, scale) + "  (input at its P10: blue, at its P90: orange)")
        ax.set_title(f"{key}: one input at a time, the others at their P50", fontsize=9)
        return _svg(fig)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def fan_figure(data: FanData, thresholds: Sequence[float] = FAN_THRESHOLDS) -> str:
    """Fan chart: the P5-P95 band and the P50 of ``data.key`` against node count (log-log),
    one band per block, with threshold lines."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig = _figure(6.4, 4.0)
        ax = fig.subplots()
        nodes = np.asarray(data.nodes)
        for i, (label, band) in enumerate(data.bands.items()):
            p5, p50, p95 = (np.array([np.nan if v is None else v for v in band[q]]) for q in ("p5", "p50", "p95"))
            prefix = f"{label}: " if label else ""
            ax.fill_between(nodes, p5, p95, color=f"C{i}", alpha=0.25, lw=0, label=f"{prefix}P5-P95")
            ax.plot(nodes, p50, color=f"C{i}", lw=1.2, label=f"{prefix}P50")
        for threshold in thresholds:
            ax.axhline(threshold, color="grey", lw=0.7, ls="--")
            ax.annotate(
                f"1e{np.log10(threshold):.0f}" if np.log10(threshold).is_integer() else f"{threshold:g}",
                (1.0, threshold),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                color="grey",
                ha="left",
                va="center",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set(xlabel="nodes", ylabel=f"{data.key} (FLOP)" if data.key.startswith("c_") else data.key)
        ax.set_title(f"{data.key} vs nodes: P50 and P5-P95 over {data.samples:,} samples", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
        return _svg(fig)


def uncertainty_figures(result: UncertaintyResult, fan_data: FanData | None = None) -> dict[str, str]:
    """{file stem: SVG}: a CDF and a tornado chart per output, and the fan chart if given."""
    figures = {}
    for key in result.outputs:
        figures[f"cdf_{key}"] = cdf_figure(result, key)
        if result.sensitivity.get("tornado"):
            figures[f"tornado_{key}"] = tornado_figure(result, key)
    if fan_data is not None:
        figures[f"fan_{fan_data.key}"] = fan_figure(fan_data)
    return figures
