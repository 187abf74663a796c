"""Report section "Failures and mitigation": goodput by mitigation strategy and fleet size, what
each mitigation costs, and a figure of goodput against GPU count.

Every number comes from ``dtsim.physics.reliability.reliability_block`` (spec reliability.md
§9), evaluated on the reference node of the published analysis: 50 × A100-80GB (4,000 GB),
the largest dense model that fits it (250B at fp16), the default ``reliability`` settings and
the 1.5-year budget (547.875 days). The three default fleet sizes are the published anchors
(§15): 72, 625 and 4,000 nodes, i.e. 3,600, 31,250 ("31k") and 200,000 GPUs. In the report,
changed assumptions under ``reliability.*`` (and the budget, ``training.days``) apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dtsim.errors import ScenarioError
from dtsim.physics.hardware import PRECISIONS, gpu_catalogue
from dtsim.physics.memory import max_dense_params
from dtsim.physics.reliability import (
    MITIGATIONS,
    RELIABILITY_MODELS,
    block_arguments,
    codes,
    flat_settings,
    reliability_block,
)
from dtsim.units import DAY_S, DEFAULT_BUDGET_DAYS, GB

__all__ = [
    "ANCHOR_GPU_COUNTS",
    "TABLE_KEYS",
    "failures_section",
    "goodput_figure",
    "goodput_table",
    "report_goodput_rows",
    "settings_from",
]

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
    nodes: np.ndarray[Any, Any],
    mitigation: np.ndarray[Any, Any],
    model: str,
    gpus_per_node: int,
    settings: Mapping[str, Any] | None = None,
    days: float = DEFAULT_BUDGET_DAYS,
) -> dict[str, np.ndarray[Any, Any]]:
    """The block on ``gpus_per_node`` × A100-80GB with its largest dense model, the
    ``reliability`` settings (defaults for those not given) and the budget in days; the tail
    over N (flat DiLoCo)."""
    memory_bytes = gpus_per_node * gpu_catalogue()[_GPU].memory_gb * GB
    beta = PRECISIONS[_PRECISION].training_state_bytes
    arguments = block_arguments({**(settings or {}), "model": model}) | {"mitigation": mitigation}
    return reliability_block(
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        node_memory_bytes=memory_bytes,
        state_params=max_dense_params(memory_bytes, beta),
        bytes_per_param=beta,
        window_s=days * DAY_S,
        tail_participants=nodes,
        **arguments,
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
    model: str | None = None,
    mitigations: Sequence[str] = MITIGATIONS,
    gpus_per_node: int = 50,
    settings: Mapping[str, Any] | None = None,
    days: float = DEFAULT_BUDGET_DAYS,
) -> list[dict[str, Any]]:
    """One row per mitigation and GPU count (mitigation-major, in the order given): goodput γ,
    time inflation 1/γ (None when γ = 0), GPU-hours lost G·T·(1 − γ), eta_mitigation, the
    hardware-cost multiplier and the cluster MTBF, on 50 × A100 nodes with a 250B model, the
    default ``reliability`` settings (λ = 2e-5 per GPU-hour, 600 s recovery, async checkpoints
    at 3 GB/s, fail-slow 0.10/0.60, 5 % backup) and 547.875 days (spec reliability.md §14-15).

    ``settings``: a ``reliability`` section (nested, or with dotted keys such as
    ``checkpoint.mode``) whose keys replace the defaults; ``model`` (default: the settings' or
    ``reference``) wins over it. ``days``: the budget.

    Refuses (ScenarioError) GPU counts that are not positive multiples of ``gpus_per_node``, an
    unknown ``model`` (``reference`` | ``corrected``) or mitigation.
    """
    nodes = _nodes_of(gpu_counts, gpus_per_node)
    mitigation = codes("mitigations", mitigations, MITIGATIONS)
    model = model or str((settings or {}).get("model", "reference"))
    codes("model", model, RELIABILITY_MODELS)
    grid_m, grid_n = np.meshgrid(mitigation, nodes, indexing="ij")
    block = _reference_node_block(grid_n.ravel(), grid_m.ravel(), model, gpus_per_node, settings, days)
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
    *,
    model: str | None = None,
    gpus_per_node: int = 50,
    max_gpus: float = 1e6,
    mark: Sequence[int] = ANCHOR_GPU_COUNTS,
    settings: Mapping[str, Any] | None = None,
    days: float = DEFAULT_BUDGET_DAYS,
) -> str:
    """SVG (text kept as text, ids prefixed ``goodput_vs_gpus``) of goodput γ against GPU count,
    one line per mitigation (Okabe-Ito colours, a marker and dash pattern each), on a log x axis
    from one node to ``max_gpus``; dotted verticals at the ``mark`` counts (the published
    anchors). Same node, model and settings as ``goodput_table``. Deterministic output."""
    from matplotlib import rc_context

    from dtsim.report.figures import MARKERS, OKABE_ITO, power_label, style, svg_text

    model = model or str((settings or {}).get("model", "reference"))
    codes("model", model, RELIABILITY_MODELS)
    nodes = np.unique(np.round(np.logspace(0, np.log10(max_gpus / gpus_per_node), 121)))
    dashes = ("-", "--", "-.", ":", "-", "--", "-.")
    flat = _flat_settings(settings, model)
    with rc_context(style()):
        fig = _figure()
        ax = fig.subplots()
        flat_top = []
        for code, name in enumerate(MITIGATIONS):
            block = _reference_node_block(nodes, np.full(nodes.shape, code), model, gpus_per_node, settings, days)
            if np.nanmin(block["goodput"]) > 0.99:
                flat_top.append(name)
            ax.semilogx(
                block["gpus"],
                block["goodput"],
                ls=dashes[code],
                color=OKABE_ITO[code],
                marker=MARKERS[code],
                markevery=(2 * code, 14),
                ms=4.5,
                label=name,
            )
        for count in mark:
            ax.axvline(count, color="grey", lw=0.7, ls=":")
            ax.annotate(
                f"{count:,} GPUs",
                (count, 0.5),
                xycoords=("data", "axes fraction"),
                xytext=(-3, 0),
                textcoords="offset points",
                fontsize=7,
                color="dimgrey",
                rotation=90,
                ha="right",
                va="center",
            )
        if flat_top:
            ax.annotate(
                f"{', '.join(flat_top)}: γ > 0.99 throughout",
                (0.02, 1.0),
                xycoords=("axes fraction", "data"),
                xytext=(0, 6),
                textcoords="offset points",
                fontsize=7,
                color="dimgrey",
            )
        ax.set(
            xlabel=f"GPUs (nodes of {gpus_per_node} × A100-80GB)",
            ylabel="goodput γ (share of GPU-hours doing useful work)",
            ylim=(-0.02, 1.08),
            title="Goodput by mitigation strategy against fleet size\n"
            f"λ = {power_label(flat['failure_rate_per_gpu_hour'])} per GPU-hour, "
            f"recovery {flat['recovery_s']:g} s, "
            f"{flat['checkpoint.mode']} checkpoints, {days:g} days, {model} model",
        )
        fig.legend(loc="outside right center", title="mitigation", fontsize=7.5, title_fontsize=7.5)
        return svg_text(fig, "goodput_vs_gpus")


def plain_rate(rate: float, *, markup: bool = True) -> str:
    """A failure rate: ``2 × 10^-5`` (mantissa without trailing zeros)."""
    from dtsim.report.formats import scientific

    text = scientific(float(rate), markup=markup)
    return text.replace(".00 ×", " ×").replace("0 ×", " ×") if "×" in text else text


def _figure() -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(7.6, 4.3), layout="constrained")


def _flat_settings(settings: Mapping[str, Any] | None, model: str) -> dict[str, Any]:
    """The settings with defaults, as flat dotted keys (for titles and text), and the model."""
    return {**flat_settings(settings), "model": model}


def settings_from(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The ``reliability`` settings changed by dotted overrides (``reliability.recovery_s=300``)."""
    return {k.removeprefix("reliability."): v for k, v in overrides.items() if k.startswith("reliability.")}


def _days(overrides: Mapping[str, Any]) -> float:
    from dtsim.report.templates import resolved_fields

    days = resolved_fields(dict(overrides))["training.days"]
    return float(days) if days is not None else DEFAULT_BUDGET_DAYS


def report_goodput_rows(overrides: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``goodput_table`` at the anchor fleet sizes with the report's overrides applied."""
    return goodput_table(settings=settings_from(overrides), days=_days(overrides))


def failures_section(ctx: Any) -> Any:
    """The report section: goodput and time inflation by fleet size, what each mitigation costs,
    and goodput against GPU count."""
    from dtsim.report.content import SectionContent, Stated, computed_table
    from dtsim.report.render import figure_markdown, table_markdown

    settings = settings_from(ctx.overrides)
    days = _days(ctx.overrides)
    rows = goodput_table(settings=settings, days=days)
    flat = _flat_settings(settings, str(settings.get("model", "reference")))
    by = {(r["mitigation"], r["gpus"]): r for r in rows}
    counts = ANCHOR_GPU_COUNTS
    numbers: dict[str, Stated] = {}

    def stated(mitigation: str, gpus: int, key: str, fmt: str) -> Stated:
        value = Stated(by[mitigation, gpus][key], fmt)
        numbers[f"{mitigation}.{gpus}.{key}"] = value
        return value

    goodput = computed_table(
        "failures-goodput",
        "Goodput and time inflation by mitigation and fleet size",
        "reliability.md §9, §14-15",
        ["Mitigation", *(f"Goodput, {g:,} GPUs" for g in counts), *(f"Time ×, {g:,} GPUs" for g in counts)],
        [
            (
                m,
                [
                    *(stated(m, g, "goodput", "pct1") for g in counts),
                    *(stated(m, g, "time_inflation", "x2") for g in counts),
                ],
            )
            for m in MITIGATIONS
        ],
        ("Time × is the wall-clock inflation 1/γ of a fixed amount of work; — where goodput is 0.",),
    )
    cost = computed_table(
        "failures-cost",
        "What each mitigation costs: quality, hardware and lost GPU-hours",
        "reliability.md §9-12",
        [
            "Mitigation",
            "Quality × (η_mitigation)",
            "Hardware cost ×",
            *(f"GPU-hours lost, {g:,} GPUs" for g in counts),
        ],
        [
            (
                m,
                [
                    stated(m, counts[0], "eta_mitigation", "f2"),
                    stated(m, counts[0], "cost_multiplier", "f2"),
                    *(stated(m, g, "gpu_hours_lost", "int") for g in counts),
                ],
            )
            for m in MITIGATIONS
        ],
        (
            "The quality multiplier scales C_local and C_quality; the cost multiplier scales the hardware bill "
            "(backup workers buy spare nodes).",
        ),
    )
    lines = [
        "Hardware fails and some nodes run slow. Goodput γ is the share of GPU-hours that does useful "
        "work; it depends on how the run is organised. Computed by the reliability layer "
        "(`docs/reliability.md`) on the reference node of the published analysis: "
        f"50 × A100-80GB with the largest dense model that fits it, {days:g} days, "
        f"λ = {plain_rate(flat['failure_rate_per_gpu_hour'])} failures per GPU-hour, "
        f"recovery {flat['recovery_s']:g} s, "
        f"{flat['checkpoint.mode']} checkpoints at {flat['checkpoint.bandwidth_gb_per_s']:g} GB/s, "
        f"{100 * flat['fail_slow.fraction']:g}% of nodes slow at {100 * flat['fail_slow.severity']:g}% speed, "
        f"{flat['model']} model. The fleet sizes are the published anchors: 72, 625 and 4,000 nodes, "
        "whose clusters fail every "
        + ", ".join(f"{stated(MITIGATIONS[0], g, 'cluster_mtbf_hours', 'hours').text}" for g in counts)
        + " on average (cluster MTBF).",
        "",
    ]
    lines += table_markdown(goodput, marks=False)
    lines += table_markdown(cost, marks=False)
    figures: dict[str, tuple[str, str]] = {}
    if ctx.figures:
        caption = "Goodput against GPU count, one line per mitigation, dotted at the three anchor fleet sizes"
        figures["goodput_vs_gpus"] = (caption, goodput_figure(settings=settings, days=days))
        lines += figure_markdown("goodput_vs_gpus", caption)
    return SectionContent("\n".join(lines), figures, numbers, (goodput, cost))
