"""Report section "Failures and mitigation": goodput by mitigation strategy and fleet size, and a
figure of goodput against GPU count.

Every number comes from ``dtsim.physics.reliability.reliability_block`` (spec reliability.md
§9), evaluated on the reference node of the published analysis: 50 × A100-80GB (4,000 GB),
the largest dense model that fits it (250B at fp16), the default ``reliability`` settings and
the 1.5-year budget (547.875 days). The three default fleet sizes are the published anchors
(§15): 72, 625 and 4,000 nodes, i.e. 3,600, 31,250 ("31k") and 200,000 GPUs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dtsim.errors import ScenarioError
from dtsim.physics.hardware import PRECISIONS, gpu_catalogue
from dtsim.physics.memory import max_dense_params
from dtsim.physics.reliability import MITIGATIONS, RELIABILITY_MODELS, block_arguments, codes, reliability_block
from dtsim.units import DAY_S, DEFAULT_BUDGET_DAYS, GB

__all__ = ["ANCHOR_GPU_COUNTS", "TABLE_KEYS", "goodput_figure", "goodput_table"]

#: The fleet sizes of the published goodput anchors (spec reliability.md §15, E1, E4, E5).
ANCHOR_GPU_COUNTS: tuple[int, ...] = (3_600, 31_250, 200_000)

#: Columns of ``goodput_table`` after ``mitigation``, ``gpus`` and ``nodes``.
TABLE_KEYS: tuple[str, ...] = (
    "goodput",
    "time_inflation",
    "gpu_hours_lost",
    "eta_mitigation",
    "cost_multiplier",
    "cluster_mtbf_hours",
)

_GPU = "A100-80GB"
_PRECISION = "fp16"


def _reference_node_block(
    nodes: np.ndarray[Any, Any], mitigation: np.ndarray[Any, Any], model: str, gpus_per_node: int
) -> dict[str, np.ndarray[Any, Any]]:
    """The block on ``gpus_per_node`` × A100-80GB with its largest dense model, default
    settings and the 547.875-day budget; the tail over N (flat DiLoCo)."""
    memory_bytes = gpus_per_node * gpu_catalogue()[_GPU].memory_gb * GB
    beta = PRECISIONS[_PRECISION].training_state_bytes
    settings = block_arguments({"model": model}) | {"mitigation": mitigation}
    return reliability_block(
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        node_memory_bytes=memory_bytes,
        state_params=max_dense_params(memory_bytes, beta),
        bytes_per_param=beta,
        window_s=DEFAULT_BUDGET_DAYS * DAY_S,
        tail_participants=nodes,
        **settings,
    )


def _nodes_of(gpu_counts: Sequence[int], gpus_per_node: int) -> np.ndarray[Any, Any]:
    counts = np.asarray(list(gpu_counts), dtype=float)
    if counts.size == 0 or np.any(counts < gpus_per_node) or np.any(counts % gpus_per_node != 0):
        raise ScenarioError("gpu_counts", list(gpu_counts), f"positive multiples of {gpus_per_node} (GPUs per node)")
    return counts / gpus_per_node


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def goodput_table(
    gpu_counts: Sequence[int] = ANCHOR_GPU_COUNTS,
    *,
    model: str = "reference",
    mitigations: Sequence[str] = MITIGATIONS,
    gpus_per_node: int = 50,
) -> list[dict[str, Any]]:
    """One row per mitigation and GPU count (mitigation-major, in the order given): goodput γ,
    time inflation 1/γ (None when γ = 0), GPU-hours lost G·T·(1 − γ), eta_mitigation, the
    hardware-cost multiplier and the cluster MTBF, on 50 × A100 nodes with a 250B model, the
    default ``reliability`` settings (λ = 2e-5 per GPU-hour, 600 s recovery, async checkpoints
    at 3 GB/s, fail-slow 0.10/0.60, 5 % backup) and 547.875 days (spec reliability.md §14-15).

    Refuses (ScenarioError) GPU counts that are not positive multiples of ``gpus_per_node``, an
    unknown ``model`` (``reference`` | ``corrected``) or mitigation.
    """
    nodes = _nodes_of(gpu_counts, gpus_per_node)
    mitigation = codes("mitigations", mitigations, MITIGATIONS)
    codes("model", model, RELIABILITY_MODELS)
    grid_m, grid_n = np.meshgrid(mitigation, nodes, indexing="ij")
    block = _reference_node_block(grid_n.ravel(), grid_m.ravel(), model, gpus_per_node)
    rows = []
    for i in range(grid_m.size):
        row: dict[str, Any] = {
            "mitigation": str(block["mitigation"][i]),
            "gpus": int(block["gpus"][i]),
            "nodes": int(grid_n.ravel()[i]),
        }
        row.update({key: _json_number(block[key][i]) for key in TABLE_KEYS})
        rows.append(row)
    return rows


def goodput_figure(
    *, model: str = "reference", gpus_per_node: int = 50, max_gpus: float = 1e6, mark: Sequence[int] = ANCHOR_GPU_COUNTS
) -> str:
    """SVG (text kept as text) of goodput γ against GPU count, one line per mitigation, on a log
    x axis from one node to ``max_gpus``; dotted verticals at the ``mark`` counts (the published
    anchors). Same node, model and settings as ``goodput_table``. Deterministic output."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    codes("model", model, RELIABILITY_MODELS)
    nodes = np.unique(np.round(np.logspace(0, np.log10(max_gpus / gpus_per_node), 121)))
    styles = ("-", "-", "--", "-", "-", ":", "-")
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "dtsim", "font.size": 9, "axes.grid": True}):
        fig = Figure(figsize=(7, 4.2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for code, name in enumerate(MITIGATIONS):
            block = _reference_node_block(nodes, np.full(nodes.shape, code), model, gpus_per_node)
            ax.semilogx(block["gpus"], block["goodput"], ls=styles[code], color=f"C{code}", label=name)
        for count in mark:
            ax.axvline(count, color="grey", lw=0.7, ls=":")
        ax.set(
            xlabel=f"GPUs (nodes × {gpus_per_node} A100-80GB)",
            ylabel="goodput γ",
            ylim=(-0.02, 1.02),
            title=f"Goodput by mitigation, λ = 2e-5 per GPU-hour, 547.875 days ({model} model)",
        )
        ax.legend(fontsize=7, loc="center left")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
