"""Report section "How well does dtsim predict real runs?": the measured-against-predicted
comparison of ``dtsim.validation`` as Markdown (the whole validation page, or a report
section), a predicted-versus-measured figure, and the bandwidth each reference configuration
needs for 50 / 90 / 95 / 99 % compute utilisation (``bandwidth_for_utilization``).

Every number comes from ``dtsim.validation.compare`` and ``dtsim.analyze``; this module only
formats. The figure is a ``matplotlib.figure.Figure`` drawn inside ``rc_context`` (importing
this module changes no global state); text stays text in the SVG and ids are salted, so the
same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dtsim.analyses import analyze
from dtsim.analyses.bandwidth import DEFAULT_TARGETS
from dtsim.real_runs import CHECKS, load_catalogue
from dtsim.validation import Comparison, compare

__all__ = [
    "FIGURE_NAME",
    "REFERENCE_CONFIGURATIONS",
    "ValidationSection",
    "bandwidth_markdown",
    "bandwidth_table",
    "format_value",
    "headline_markdown",
    "measured_text",
    "predicted_text",
    "predicted_vs_measured_figure",
    "ratio_text",
    "validation_document",
    "validation_section",
    "verdict_text",
]

#: File stem of the figure (``figures/<name>.svg`` in the report).
FIGURE_NAME = "validation_predicted_vs_measured"

#: Configurations of the bandwidth table: the seed and revised reference runs with a fixed H
#: (with an automatic H and streaming, bandwidth never limits utilisation), and two catalogue
#: runs (INTELLECT-1; the diloco-measured cluster at H = 32).
REFERENCE_CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "Seed reference (72 × 48 A100, 240B, 16×), blocking, H = 200": {
        "nodes": 72,
        "hardware": {"preset": "A100x48"},
        "training": {"streaming": False, "inner_steps": 200},
    },
    "Seed reference (72 × 48 A100, 240B, 16×), streaming, H = 200": {
        "nodes": 72,
        "hardware": {"preset": "A100x48"},
        "training": {"streaming": True, "inner_steps": 200},
    },
    "Revised reference (72 × 50 A100, 250B, 150×), blocking, H = 20": {
        "physics": "revised",
        "nodes": 72,
        "hardware": {"gpu": "A100-80GB", "gpus_per_node": 50},
        "training": {"streaming": False, "inner_steps": 20},
    },
}
_CATALOGUE_CONFIGURATIONS = (
    ("INTELLECT-1 (14 × 8 H100, 10B, int8), blocking, H = 100", "intellect-1", "step-time"),
    ("diloco-measured (4 × L40S, 30.8M, fp32), blocking, H = 32", "diloco-measured", "bw-h32-50"),
)

_UNITS = {"s": " s", "days": " days", "Mbps": " Mbps", "fraction": " %", "ratio": ""}


def _is_loss(c: Comparison) -> bool:
    return c.quantity.startswith("replica_loss_multiplier")


_PANELS: tuple[tuple[str, Callable[[Comparison], bool]], ...] = (
    ("time (s or days)", lambda c: c.unit in ("s", "days")),
    ("utilisation, efficiency, goodput", lambda c: c.unit == "fraction"),
    ("bandwidth (Mbps)", lambda c: c.unit == "Mbps"),
    ("loss ratio", lambda c: c.unit == "ratio" and _is_loss(c)),
    ("throughput ratio, speedup", lambda c: c.unit == "ratio" and not _is_loss(c)),
)
_CHECK_STYLE = {
    "test": ("C0", "o"),
    "assumed-input": ("C1", "s"),
    "in-sample": ("C7", "D"),
    "different-method": ("C3", "^"),
    "qualitative": ("C2", "v"),
}
_STYLE: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "dtsim",
    "font.size": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


# --------------------------------------------------------------------------------------------
# Formatting


def _number(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    rounded = float(f"{value:.4g}")
    if abs(rounded) >= 1_000:
        return f"{rounded:,.0f}"
    return f"{rounded:.4g}"


def _bare(value: float, unit: str) -> str:
    if unit == "fraction":
        return f"{100 * value:.3g}"
    if unit == "ratio" and abs(value - 1.0) < 0.05:
        return f"{value:.5f}"
    return _number(value)


def format_value(value: float | None, unit: str) -> str:
    """A value in its unit for a table: fractions as percent (3 significant digits), ratios
    within 5 % of 1 with 5 decimals, other numbers with 4 significant digits and thousands
    commas."""
    if value is None:
        return "—"
    return _bare(value, unit) + _UNITS.get(unit, "")


def _percent(distance: float) -> str:
    share = abs(distance) * 100
    return f"{share:.2g} %" if share < 10 else f"{share:.0f} %"


def verdict_text(c: Comparison) -> str:
    """The verdict in words: ``within``, ``above by 23 %``, ``no band (ratio 1.26)``, ..."""
    if c.verdict in ("above", "below") and c.distance is not None:
        return f"{c.verdict} by {_percent(c.distance)}"
    if c.verdict == "no band":
        return "no band" if c.ratio is None else f"no band (ratio {ratio_text(c)})"
    if c.verdict == "no measurement":
        return "no number published"
    if c.verdict == "no prediction":
        return "refused, as expected" if c.expected_refusal else "refused"
    return str(c.verdict)


def measured_text(c: Comparison) -> str:
    """The published value, its band in brackets and its mark: ``22.8 s [22.5 – 23.1 s] (S)``."""
    value = None if c.measured is None else format_value(c.measured, c.unit)
    band = None
    if c.measured_low is not None and c.measured_high is not None:
        band = f"[{_bare(c.measured_low, c.unit)} – {format_value(c.measured_high, c.unit)}]"
    parts = [p for p in (value, band) if p is not None]
    return (" ".join(parts) if parts else "—") + f" ({c.mark})"


def predicted_text(c: Comparison) -> str:
    """The prediction and, in parentheses, its spread over the row's varied input."""
    text = format_value(c.predicted, c.unit)
    if c.predicted_low is not None and c.predicted_high is not None:
        text += f" ({_bare(c.predicted_low, c.unit)} – {format_value(c.predicted_high, c.unit)})"
    return text


def ratio_text(c: Comparison) -> str:
    """dtsim / published, with four decimals when it is within 5 % of 1."""
    if c.ratio is None:
        return "—"
    return f"{c.ratio:.4f}" if abs(c.ratio - 1.0) < 0.05 else f"{c.ratio:.3g}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------------------------
# Summaries


def _outside(c: Comparison) -> bool:
    return c.verdict in ("above", "below")


#: Relative distance to the band up to which an outside row counts as "near" in the summary.
NEAR = 0.10


def _counts(label: str, group: Sequence[Comparison]) -> tuple[str, ...]:
    within = sum(c.verdict == "within" for c in group)
    near = sum(_outside(c) and abs(c.distance or 0.0) <= NEAR for c in group)
    far = sum(_outside(c) for c in group) - near
    other = len(group) - within - near - far
    return (label, str(len(group)), str(within), str(near), str(far), str(other))


def _summary_lines(comparisons: Sequence[Comparison]) -> list[str]:
    rows = [_counts(check, [c for c in comparisons if c.check == check]) for check in CHECKS]
    rows = [r for r in rows if r[1] != "0"]
    header = (
        "check",
        "rows",
        "within band",
        f"outside by ≤ {100 * NEAR:g} %",
        f"outside by > {100 * NEAR:g} %",
        "no band, number or prediction",
    )
    return _table(header, [*rows, _counts("all", comparisons)])


def headline_markdown(comparisons: Sequence[Comparison] | None = None) -> str:
    """The rows marked ``headline`` as a short Markdown table (run, quantity, predicted,
    measured, verdict)."""
    chosen = [c for c in (comparisons if comparisons is not None else compare()) if c.headline]
    rows = [(c.run_title, c.label, predicted_text(c), measured_text(c), verdict_text(c)) for c in chosen]
    return "\n".join(_table(("run", "quantity", "dtsim", "published", "verdict"), rows)) + "\n"


def _run_lines(comparisons: Sequence[Comparison]) -> list[str]:
    catalogue = load_catalogue()
    known = {run.id: run for run in catalogue.runs}
    lines: list[str] = []
    for run_id in dict.fromkeys(c.run for c in comparisons):
        group = [c for c in comparisons if c.run == run_id]
        run = known.get(run_id)
        lines += [f"### {group[0].run_title}", ""]
        if run is not None:
            lines += [f"{run.reference} — <{run.url}>. *{run.kind.capitalize()}.* {run.summary}", ""]
            assumed = sorted({p for c in group for p in c.assumed})
            if assumed:
                shown = ", ".join(f"`{p}`" for p in assumed)
                lines += [f"Assumed inputs (not stated by the source): {shown}.", ""]
            variants = sorted({v for c in group for v in c.variants})
            if variants:
                shown = ", ".join(f"`{v}`" for v in variants)
                lines += [f"dtsim variants under test: {shown}.", ""]
        header = ("row", "quantity", "dtsim", "published", "ratio", "verdict", "check", "source")
        rows = [
            (
                f"`{c.row}`",
                c.label,
                predicted_text(c),
                measured_text(c),
                ratio_text(c),
                verdict_text(c),
                c.check,
                c.source,
            )
            for c in group
        ]
        lines += [*_table(header, rows), ""]
        notes: dict[str, list[str]] = {}
        for c in group:
            if c.explanation:
                notes.setdefault(" ".join(c.explanation.split()), []).append(c.row)
            if c.refusal:
                notes.setdefault(f"dtsim refuses: {c.refusal}", []).append(c.row)
        for text, rows_explained in notes.items():
            lines.append(f"- {', '.join(f'`{r}`' for r in rows_explained)}: {text}")
        if notes:
            lines.append("")
    return lines


_INTRO = """\
This page sets dtsim's predictions against what published decentralized training runs measured
or simulated. Each run of the catalogue (`src/dtsim/data/real_runs.yaml`) is entered as dtsim
scenarios; every input names where the run states it, or is marked as an assumption with its
reason. Each row is evaluated with `dtsim.simulate`, `dtsim.sweep` or `dtsim.analyze` and set
against the published value and band. No dtsim coefficient was tuned for this page; where a
coefficient was fitted to the same numbers, the row is marked `in-sample` and is not counted as
validation. Where a prediction falls outside the band, the table says so and a note gives the
likely cause.

Generated by `dtsim runs --format md`; do not edit by hand."""

_READING = """\
**Columns.** *dtsim*: the prediction; in parentheses, its spread when an input is known only as
a range (the row's assumption). *published*: the value, the band in brackets, and the mark —
P read in the primary source, S from a secondary source, D derived by arithmetic from published
numbers. *ratio*: dtsim / published value. *verdict*: `within` the band, or `above` / `below` it
by the relative distance to its nearer edge; `no band` where only a value is published.

**Checks.** `test`: the inputs that decide the quantity are published and no dtsim coefficient
was fitted to the run. `assumed-input`: an input that decides it is assumed (its range is
shown). `in-sample`: a dtsim coefficient was fitted to these numbers. `different-method`: the
run uses an algorithm dtsim does not model; the ratio shows what that algorithm saves.
`qualitative`: the source gives no number, or only a secondary one.

**Bands.** A single printed number has its rounding interval as band. The bandwidth tables of
Streaming DiLoCo and Eager updates print the first value of a geometric grid (×1.2068) that
reaches the target, so the requirement lies between the previous grid value and the printed one.
Loss ratios are converted to compute (seed replica factor rows) with the data-parallel law of
DiLoCo Scaling Laws at D = 20N: C_equivalent / C = (L / L_DP)^(−2/0.0953)."""

_LIMITS = """\
Structural limits, by design of the model rather than by its coefficients:

- Utilisation is analytic: per outer step, compute H·t_step and one synchronisation
  (t_out = H·t_step + t_sync when blocking, max of the two when streaming). Fixed per-sync
  costs (outer optimiser step, kernel launches) and transport inefficiencies beyond the
  straggler factor are not modelled, so for small models with short steps the predicted
  utilisation is optimistic at high bandwidth.
- Streaming means one whole-model exchange overlapping one outer step. Fragmented exchanges
  (Streaming DiLoCo's fragments, Decoupled DiLoCo's 24 fragments and asynchronous learners) and
  partial overlaps are not modelled; dtsim needs more bandwidth than those methods.
- Quality factors do not depend on overlap: the loss cost of an eager or delayed outer step is
  not modelled.
- A replica penalty is never a gain (η ≤ 1, m ≥ 1); at 4B-10B two replicas measured a lower
  loss than data-parallel.
- MFU is in 6·N FLOP per token; an MFU counting attention FLOPs must be converted."""


def validation_document(comparisons: Sequence[Comparison] | None = None) -> str:
    """The validation page (``docs/validation.md``): introduction, summary by check, headline
    rows, how to read, limits, and one section per run with its rows and notes."""
    comparisons = list(comparisons if comparisons is not None else compare())
    lines = [
        "# Validation: dtsim against published decentralized training runs",
        "",
        _INTRO,
        "",
        "## Summary",
        "",
        *_summary_lines(comparisons),
        "",
        "## Headline rows",
        "",
        headline_markdown(comparisons).rstrip("\n"),
        "",
        "## How to read the tables",
        "",
        _READING,
        "",
        "## What dtsim does not model",
        "",
        _LIMITS,
        "",
        "## Runs",
        "",
        *_run_lines(comparisons),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


# --------------------------------------------------------------------------------------------
# Bandwidth for a target utilisation


def _configurations() -> dict[str, dict[str, Any]]:
    catalogue = load_catalogue()
    out = dict(REFERENCE_CONFIGURATIONS)
    for label, run_id, row_id in _CATALOGUE_CONFIGURATIONS:
        run = catalogue.run(run_id)
        row = next(r for r in run.rows if r.id == row_id)
        out[label] = run.scenario(row)
    return out


def bandwidth_table(
    configurations: Mapping[str, Mapping[str, Any]] | None = None, targets: Sequence[float] = DEFAULT_TARGETS
) -> list[dict[str, Any]]:
    """For each configuration (the reference ones by default), the WAN bandwidth (Mbps) each
    target utilisation needs: ``{"configuration", "targets": [{target, status,
    bandwidth_mbps}, ...]}`` from ``analyze("bandwidth_for_utilization")``."""
    chosen = configurations if configurations is not None else _configurations()
    rows = []
    for label, scenario in chosen.items():
        answer = analyze("bandwidth_for_utilization", scenario=dict(scenario), targets=list(targets))
        rows.append(
            {
                "configuration": label,
                "targets": [
                    {k: t[k] for k in ("target", "status", "bandwidth_mbps", "inner_steps")} for t in answer["targets"]
                ],
            }
        )
    return rows


def _bandwidth_cell(target: Mapping[str, Any]) -> str:
    if target["status"] == "any":
        return "any"
    if target["status"] == "unreachable":
        return "unreachable"
    return format_value(float(target["bandwidth_mbps"]), "Mbps")


def bandwidth_markdown(rows: Sequence[Mapping[str, Any]] | None = None) -> str:
    """``bandwidth_table`` as Markdown: one row per configuration, one column per target."""
    rows = list(rows if rows is not None else bandwidth_table())
    targets = [t["target"] for t in rows[0]["targets"]] if rows else list(DEFAULT_TARGETS)
    header = ("configuration", *(f"{100 * t:g} % CU" for t in targets))
    body = [(str(r["configuration"]), *(_bandwidth_cell(t) for t in r["targets"])) for r in rows]
    return "\n".join(_table(header, body)) + "\n"


# --------------------------------------------------------------------------------------------
# Figure


def _x_of(c: Comparison) -> tuple[float, float, float] | None:
    """Measured point and band for the figure: the value (or the band's geometric middle)."""
    low, high = c.measured_low, c.measured_high
    x = c.measured
    if x is None and low is not None and high is not None and low > 0:
        x = math.sqrt(low * high)
    if x is None or x <= 0:
        return None
    low = x if low is None or low <= 0 else low
    high = x if high is None else high
    return x, low, high


def predicted_vs_measured_figure(comparisons: Sequence[Comparison] | None = None) -> str:
    """SVG: predicted against measured, log-log, one panel per kind of quantity (time,
    fractions, bandwidth, loss ratios, other ratios), the line
    y = x, the published band as horizontal error bars and the prediction's spread (if any)
    as vertical ones; marker and colour by check."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullFormatter

    comparisons = list(comparisons if comparisons is not None else compare())
    with rc_context(_STYLE):
        fig = Figure(figsize=(11, 7.6))
        FigureCanvasAgg(fig)
        grid = fig.subplots(2, 3)
        axes = grid.ravel()[: len(_PANELS)]
        grid.ravel()[-1].set_axis_off()
        seen: set[str] = set()
        for ax, (title, belongs) in zip(axes, _PANELS, strict=True):
            points = [(c, _x_of(c)) for c in comparisons if belongs(c) and c.predicted is not None]
            shown = [(c, x) for c, x in points if x is not None and c.predicted is not None and c.predicted > 0]
            values: list[float] = []
            for c, (x, low, high) in shown:
                y = float(c.predicted or 0.0)
                ylow = c.predicted_low if c.predicted_low is not None else y
                yhigh = c.predicted_high if c.predicted_high is not None else y
                colour, marker = _CHECK_STYLE.get(c.check, ("k", "o"))
                ax.errorbar(
                    [x],
                    [y],
                    xerr=[[x - low], [high - x]],
                    yerr=[[max(y - ylow, 0.0)], [max(yhigh - y, 0.0)]],
                    fmt=marker,
                    ms=4,
                    color=colour,
                    ecolor=colour,
                    elinewidth=0.8,
                    capsize=1.5,
                    mfc="white" if c.measured is None else colour,
                    label=c.check if c.check not in seen else None,
                )
                seen.add(c.check)
                values += [low, high, ylow, yhigh, x, y]
            positive = [v for v in values if v > 0]
            lo, hi = (min(positive), max(positive)) if positive else (0.1, 10.0)
            pad = math.exp(max(0.08 * math.log(hi / lo), 0.003))
            lo, hi = lo / pad, hi * pad
            ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            if hi / lo < 3:  # a narrow range: plain ticks instead of powers of ten
                for axis in (ax.xaxis, ax.yaxis):
                    axis.set_major_locator(MaxNLocator(5))
                    axis.set_major_formatter(FormatStrFormatter("%.3f"))
                    axis.set_minor_formatter(NullFormatter())
            ax.set(xlim=(lo, hi), ylim=(lo, hi), title=title, xlabel="published", ylabel="dtsim")
        handles, labels = [], []
        for ax in axes:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        fig.legend(handles, labels, loc="center", bbox_to_anchor=(0.83, 0.27), fontsize=9, title="check")
        fig.suptitle("dtsim against published runs (dashed: y = x; bars: published band, dtsim spread)")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# The report section


@dataclass(frozen=True)
class ValidationSection:
    """The report section: Markdown (figures referenced as ``figures/<name>.svg``) and the
    figures' SVG text by name."""

    markdown: str
    figures: dict[str, str]


def validation_section(comparisons: Sequence[Comparison] | None = None, heading_level: int = 2) -> ValidationSection:
    """ "How well does dtsim predict real runs?": summary by check, headline rows, the
    predicted-versus-measured figure and the bandwidth table for 50 / 90 / 95 / 99 % CU."""
    comparisons = list(comparisons if comparisons is not None else compare())
    h = "#" * heading_level
    test = [c for c in comparisons if c.check == "test"]
    within = sum(c.verdict == "within" for c in test)
    outside = sum(_outside(c) for c in test)
    lines = [
        f"{h} How well does dtsim predict real runs?",
        "",
        f"dtsim was set against {len(comparisons)} published quantities from "
        f"{len(dict.fromkeys(c.run for c in comparisons))} decentralized training runs and studies. "
        f"Of the {len(test)} rows whose deciding inputs are all published (`test`), {within} fall "
        f"within the published band and {outside} outside it; each row outside its band has a note "
        "on the likely cause on the validation page (docs/validation.md).",
        "",
        *_summary_lines(comparisons),
        "",
        f"{h}# Headline rows",
        "",
        headline_markdown(comparisons).rstrip("\n"),
        "",
        f"![dtsim against published runs](figures/{FIGURE_NAME}.svg)",
        "",
        f"{h}# Bandwidth for a target compute utilisation",
        "",
        "The WAN bandwidth per node (both directions) at which each configuration keeps 50 / 90 / "
        "95 / 99 % compute utilisation (`bandwidth_for_utilization`). *any*: bandwidth does not "
        "limit utilisation; *unreachable*: latency alone prevents it.",
        "",
        bandwidth_markdown().rstrip("\n"),
        "",
    ]
    return ValidationSection("\n".join(lines), {FIGURE_NAME: predicted_vs_measured_figure(comparisons)})
