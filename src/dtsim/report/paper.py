"""Report section "Published paper": the minimum-cost tables of "Does Distributed Training
Undermine Compute Governance?" (arXiv 2605.29359) reproduced, corrected and compared.

``paper_section()`` computes, through ``dtsim.analyses.paper_tables``:

- each table under the paper's own search (the per-option bisection on the node count): the
  reproduction, printed as the paper prints it;
- the same rows under the exhaustive search (the true smallest node count per hardware option)
  and under the seed model (``physics: seed``, everything else unchanged), side by side, with
  the rows where the exhaustive search finds a cheaper answer marked;
- the paper's text against its stored table at 10 Mbps (the $2.79B erratum);
- a figure of the cost to reach each target against the WAN bandwidth (log-log), with the
  average US and China residential links and the cost of a centralized cluster (below).

It returns the markdown, the figures as SVG text and every number the text states.

**Centralized cost.** For a target, the cost of the cheapest single cluster: one site holding
all the GPUs (so no WAN synchronisation, η = 1), of one of the paper's hardware options' chips
at its precision, with the same window, MFU, prices, Cottier multipliers and failure layer as
the tables; its GPU count is the smallest whose ``simulate`` run reaches the target C_local.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dtsim.analyses.cheapest import (
    CheapestConfigResult,
    CheapestWinner,
    analysis_base,
    paper_cheapest,
    paper_space,
)
from dtsim.analyses.paper_data import paper_options, paper_scenario, paper_table_specs, paper_text_10_mbps_cost_usd
from dtsim.analyses.paper_tables import (
    PAPER_OVERTRAINING_RANGE,
    TABLES,
    OneTable,
    PaperTableRow,
    PaperTablesJob,
    PaperTablesResult,
    format_mode,
    format_model,
    format_target,
    paper_tables_job,
)
from dtsim.engine import simulate, sweep
from dtsim.parallel import run_tasks
from dtsim.physics.network import up_and_down_s
from dtsim.report.formats import money
from dtsim.report.render import superscript_powers

if TYPE_CHECKING:
    from dtsim.report.content import ReportContext, SectionContent

__all__ = [
    "ANSWERS",
    "FIGURE_NAME",
    "TITLE",
    "PaperSection",
    "SectionPlan",
    "centralized_cost",
    "cost_vs_bandwidth_figure",
    "paper_section",
    "report_section",
    "start_section",
]

TITLE = "Published paper"
#: What the section answers (the report's contents line).
ANSWERS = "the published paper's minimum-cost tables, reproduced, corrected by an exhaustive search"
FIGURE_NAME = "paper-cost-vs-bandwidth"
#: Symmetric WAN bandwidths of the figure (Mbps); latency 100 ms, 0.1 ms at 1000 Gbps (as Table 2).
FIGURE_BANDWIDTHS_MBPS = (10.0, 30.0, 100.0, 300.0, 1_000.0, 10_000.0, 1_000_000.0)
FIGURE_TARGETS = (1e24, 1e25, 1e26)
#: Targets whose exhaustive curve is drawn (a scan of 1e26 over 10 Mbps takes minutes).
EXHAUSTIVE_TARGETS = (1e24, 1e25)
#: The average residential links of Table 2: (label, upload, download) in Mbps.
RESIDENTIAL = (("US avg", 57.0, 310.0), ("China avg", 47.0, 207.0))
_TABLE_TITLES = {
    "clocal": "Table 1: minimum cost to reach each C_local target (100 Mbps, 100 ms)",
    "bandwidth": "Table 2: minimum cost to reach 10^25 FLOP by WAN bandwidth",
    "latency": "Table 3: minimum cost to reach 10^25 FLOP by latency (100 Mbps)",
}


@dataclass(frozen=True)
class PaperSection:
    """A computed report section: its title, markdown (figures referenced as
    ``figures/NAME.svg``), figures ``{name: (caption, svg text)}`` and the numbers its text
    states (JSON-serialisable)."""

    title: str
    markdown: str
    figures: dict[str, tuple[str, str]]
    numbers: dict[str, Any] = field(default_factory=dict)
    #: The numbers the text states, each as (value, report format name), keyed by a dotted name.
    stated: dict[str, tuple[Any, str]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Computations


def _scenario(physics: str = "revised") -> dict[str, Any]:
    scenario = paper_scenario()
    scenario["physics"] = physics
    return scenario


def _wan(upload_mbps: float, download_mbps: float) -> dict[str, float]:
    latency = 0.1 if min(upload_mbps, download_mbps) >= 1_000_000.0 else 100.0
    return {"upload_mbps": upload_mbps, "download_mbps": download_mbps, "latency_ms": latency}


#: One search of the figure: (target, (upload Mbps, download Mbps), search).
_FigureSearch = tuple[float, tuple[float, float], str]


def _cheapest_task(one: _FigureSearch) -> functools.partial[CheapestConfigResult]:
    """The search of one point of the figure, as a task (``paper_cheapest``)."""
    target, (upload, download), search = one
    scenario = _scenario()
    scenario["network"] = {"wan": _wan(upload, download)}
    space = paper_space("paper", None, None, PAPER_OVERTRAINING_RANGE)
    return functools.partial(
        paper_cheapest, analysis_base(scenario), target, "c_local", search, 100_000, space, every_option=False
    )


def centralized_cost(target: float, scenario: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The cheapest single cluster reaching ``target`` C_local (see the module docstring): over
    the paper's hardware options, the smallest GPU count of one node (found by ``simulate`` and
    a sweep of ``hardware.gpus_per_node``) and its cost. Returns ``{cost_usd, config, gpu,
    precision, gpus, c_local, registered}``."""
    base = dict(scenario or _scenario())
    best: dict[str, Any] | None = None
    for option in paper_options():
        hardware = {**base.get("hardware", {}), **option.hardware}
        run = {**base, "strategy": "diloco", "nodes": 1, "hardware": {**hardware, "gpus_per_node": 1}}
        per_gpu = simulate(run).c_local
        guess = max(1, math.ceil(target / per_gpu))
        while True:
            counts = np.arange(max(1, guess - 8), guess + 9, dtype=float)
            columns = sweep(run, {"hardware.gpus_per_node": counts}).columns
            reach = np.flatnonzero(np.asarray(columns["c_local"], dtype=float) >= target)
            if len(reach) and (reach[0] > 0 or counts[0] == 1):
                i = int(reach[0])
                break
            guess = int(counts[-1]) + 8 if not len(reach) else max(1, int(counts[0]) - 8)
        found = {
            "cost_usd": float(columns["cost_usd"][i]),
            "config": f"{int(counts[i]):,} x {option.hardware['gpu']} {option.hardware['precision'].upper()}",
            "gpu": option.hardware["gpu"],
            "precision": option.hardware["precision"],
            "gpus": int(counts[i]),
            "c_local": float(columns["c_local"][i]),
            "registered": bool(columns["registered"][i]),
        }
        if best is None or found["cost_usd"] < best["cost_usd"]:
            best = found
    assert best is not None
    return best


def _equivalent_mbps(upload_mbps: float, download_mbps: float) -> float:
    """The symmetric bandwidth B with the same WAN transfer time per sync: 2V/B = V/up + V/down
    (``up_and_down_s``, per bit of volume)."""
    return 2.0 / float(up_and_down_s(1.0, upload_mbps, download_mbps))


def _figure_searches(
    targets: Sequence[float], exhaustive_targets: Sequence[float], bandwidths: Sequence[float]
) -> list[_FigureSearch]:
    """The searches the figure needs: per target, the paper's search (and the exhaustive one for
    ``exhaustive_targets``) at each bandwidth, and the last of them at each residential link."""
    out: list[_FigureSearch] = []
    for target in targets:
        searches = ("bisection", "exhaustive") if target in exhaustive_targets else ("bisection",)
        out += [(target, (b, b), search) for search in searches for b in bandwidths]
        out += [(target, (up, down), searches[-1]) for _, up, down in RESIDENTIAL]
    return out


def _figure_data(
    targets: Sequence[float],
    exhaustive_targets: Sequence[float],
    bandwidths: Sequence[float],
    winners: Mapping[_FigureSearch, CheapestWinner | None],
) -> dict[str, Any]:
    """The figure's numbers, from the winners of ``_figure_searches``."""
    curves: dict[str, dict[str, list[float | None]]] = {}
    residential: dict[str, list[dict[str, Any]]] = {}
    for target in targets:
        key = format_target(target)
        searches = ("bisection", "exhaustive") if target in exhaustive_targets else ("bisection",)
        curves[key] = {}
        for search in searches:
            costs = [winners[(target, (b, b), search)] for b in bandwidths]
            curves[key][search] = [None if w is None else w.cost_usd for w in costs]
        search = searches[-1]
        residential[key] = []
        for label, up, down in RESIDENTIAL:
            winner = winners[(target, (up, down), search)]
            residential[key].append(
                {
                    "label": label,
                    "upload_mbps": up,
                    "download_mbps": down,
                    "equivalent_mbps": _equivalent_mbps(up, down),
                    "search": search,
                    "cost_usd": None if winner is None else winner.cost_usd,
                }
            )
    centralized = {format_target(t): centralized_cost(t) for t in targets}
    return {
        "bandwidths_mbps": list(bandwidths),
        "curves": curves,
        "residential": residential,
        "centralized": centralized,
    }


def _longest_first(task: functools.partial[CheapestConfigResult]) -> tuple[bool, float]:
    """Sort key of a search task, longest first: the exhaustive searches, then the larger
    targets (``paper_cheapest``'s arguments: base, target, metric, search, ...)."""
    _, target, _, search, *_ = task.args
    return (search != "exhaustive", -float(target))


def _math(target: str) -> str:
    """A target as the paper prints it (``3.3 x 10^24``) as mathtext, kept as SVG text."""
    return "$" + re.sub(r"10\^(-?\d+)", r"10^{\1}", target).replace(" x ", r" \times ") + "$"


def _superscripts(markdown: str) -> str:
    """The report's notation: ``3.3 × 10<sup>24</sup>`` for the paper's ``3.3 x 10^24``, except
    in figure lines (their alt text stays plain)."""
    return "\n".join(
        line if line.startswith("![") else superscript_powers(line.replace(" x 10^", " × 10^"))
        for line in markdown.split("\n")
    )


def cost_vs_bandwidth_figure(data: Mapping[str, Any]) -> str:
    """SVG (text kept as text) of the cost to reach each target against the WAN bandwidth,
    log-log: the paper's search dashed, the exhaustive search solid, the residential links as
    markers at their equivalent symmetric bandwidth, the centralized cost dotted."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    bandwidths = np.asarray(data["bandwidths_mbps"], dtype=float)
    markers = {"US avg": "s", "China avg": "^"}
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "dtsim", "font.size": 9, "axes.grid": True}):
        fig = Figure(figsize=(7, 4.6))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for i, (key, curves) in enumerate(data["curves"].items()):
            color = f"C{i}"
            for search, style in (("exhaustive", "-"), ("bisection", "--")):
                if search not in curves:
                    continue
                costs = np.array([np.nan if c is None else c for c in curves[search]], dtype=float)
                label = f"{_math(key)}: {'exhaustive search' if search == 'exhaustive' else 'paper search'}"
                ax.loglog(bandwidths, costs, ls=style, marker="o", ms=3, color=color, label=label)
            for point in data["residential"][key]:
                if point["cost_usd"] is not None:
                    ax.loglog(
                        point["equivalent_mbps"],
                        point["cost_usd"],
                        marker=markers[point["label"]],
                        ms=7,
                        color=color,
                        mfc="none",
                        ls="none",
                    )
            central = data["centralized"][key]["cost_usd"]
            ax.axhline(central, color=color, ls=":", lw=1.0)
            ax.annotate(
                f"centralized {_math(key)}",
                (1.0, central),
                xycoords=("axes fraction", "data"),
                fontsize=7,
                color=color,
                ha="right",
                va="bottom",
            )
        for label, marker in markers.items():
            ax.plot([], [], marker=marker, mfc="none", color="grey", ls="none", label=f"{label} (equivalent symmetric)")
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 30.0)  # room for the legend above the curves
        ax.set(
            xlabel="WAN bandwidth (Mbps, symmetric; 100 ms, 0.1 ms at 1000 Gbps)",
            ylabel="cost of the cheapest configuration (USD)",
            title="Cost to reach a C_local target in 740 days, by WAN bandwidth",
        )
        ax.legend(fontsize=7, loc="upper right", ncols=2)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Text


def _short(winner: CheapestWinner | None, label: str | None) -> str:
    if winner is None:
        return "nothing reaches the target"
    return (
        f"{label} · {winner.nodes:,} · {format_mode(winner)} · {format_model(winner.params)} · "
        f"{money(winner.cost_usd or math.nan)}"
    )


def _by_key(result: PaperTablesResult, table: str) -> dict[str, PaperTableRow]:
    return {r.key: r for r in result.rows if r.table == table}


def _comparison(
    table: str, paper: PaperTablesResult, exhaustive: PaperTablesResult | None, seed: PaperTablesResult | None
) -> tuple[list[str], list[dict[str, Any]]]:
    key = paper_table_specs()[table].key
    header = [key, "Paper's search (bisection)"]
    if exhaustive is not None:
        header.append("Exhaustive search")
    if seed is not None:
        header.append("Seed model (paper's search)")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    numbers = []
    found_e = _by_key(exhaustive, table) if exhaustive is not None else {}
    found_s = _by_key(seed, table) if seed is not None else {}
    for row in (r for r in paper.rows if r.table == table):
        cells = [row.key, _short(row.winner, row.config)]
        entry: dict[str, Any] = {
            "table": table,
            "key": row.key,
            "paper": cells[1],
            "paper_cost_usd": None if row.winner is None else row.winner.cost_usd,
        }
        if exhaustive is not None:
            other = found_e[row.key]
            text = _short(other.winner, other.config)
            cheaper = (
                row.winner is not None
                and other.winner is not None
                and (other.winner.cost_usd or 0.0) < (row.winner.cost_usd or 0.0)
            )
            if cheaper and row.winner is not None and other.winner is not None:
                saving = 1.0 - (other.winner.cost_usd or 0.0) / (row.winner.cost_usd or 1.0)
                text = f"**{text}** (cheaper by {saving:.0%})"
            cells.append(text)
            entry.update(
                exhaustive=_short(other.winner, other.config),
                exhaustive_cost_usd=None if other.winner is None else other.winner.cost_usd,
                cheaper=cheaper,
            )
        if seed is not None:
            other = found_s[row.key]
            cells.append(_short(other.winner, other.config))
            entry.update(seed=cells[-1], seed_cost_usd=None if other.winner is None else other.winner.cost_usd)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        numbers.append(entry)
    return lines, numbers


def _tied(paper: PaperTablesResult) -> list[PaperTableRow]:
    """Rows whose flat answer ties exactly with a hierarchical candidate the stored table prints
    instead (the 16x GH200 FP8, 34-node, 160B answer)."""
    return [
        r
        for r in paper.rows
        if r.winner is not None
        and r.winner.strategy == "diloco"
        and r.config == "16x GH200 FP8"
        and (r.winner.nodes, r.winner.params, r.winner.inner_steps) == (34, 160e9, 19)
    ]


def paper_section(
    *,
    tables: Sequence[OneTable] = TABLES,
    exhaustive: bool = True,
    seed: bool = True,
    figure: bool = True,
    figure_targets: Sequence[float] = FIGURE_TARGETS,
    exhaustive_targets: Sequence[float] = EXHAUSTIVE_TARGETS,
    bandwidths_mbps: Sequence[float] = FIGURE_BANDWIDTHS_MBPS,
    workers: int = 1,
) -> PaperSection:
    """The "Published paper" section (see the module docstring). ``tables``: which of clocal,
    bandwidth, latency; ``exhaustive`` and ``seed``: add those columns; ``figure``: draw the
    figure for ``figure_targets`` (exhaustive curves for ``exhaustive_targets``) over
    ``bandwidths_mbps``; ``workers``: processes running its searches (``dtsim.parallel``).
    With every default it takes about 18 s in one process on a 2-core machine, 10 s on two."""
    plan = SectionPlan(tables, exhaustive, seed, figure, figure_targets, exhaustive_targets, bandwidths_mbps)
    return plan.section(run_tasks(plan.tasks, workers=workers))


@dataclass(frozen=True)
class SectionPlan:
    """The section in two steps: ``tasks``, every search it needs as an independent task
    (longest first, for ``dtsim.parallel``), then ``section`` of their answers, in that order."""

    tables: Sequence[OneTable] = TABLES
    exhaustive: bool = True
    seed: bool = True
    figure: bool = True
    figure_targets: Sequence[float] = FIGURE_TARGETS
    exhaustive_targets: Sequence[float] = EXHAUSTIVE_TARGETS
    bandwidths_mbps: Sequence[float] = FIGURE_BANDWIDTHS_MBPS

    @functools.cached_property
    def _jobs(self) -> dict[tuple[str, str], PaperTablesJob]:
        jobs: dict[tuple[str, str], PaperTablesJob] = {}
        for t in self.tables:
            jobs[("paper", t)] = paper_tables_job(table=t)
            if self.exhaustive:
                jobs[("exhaustive", t)] = paper_tables_job(table=t, search="exhaustive")
            if self.seed:
                jobs[("seed", t)] = paper_tables_job(table=t, scenario=_scenario("seed"))
        return jobs

    @functools.cached_property
    def _searches(self) -> list[_FigureSearch]:
        if not self.figure:
            return []
        return _figure_searches(self.figure_targets, self.exhaustive_targets, self.bandwidths_mbps)

    @functools.cached_property
    def _all(self) -> list[functools.partial[CheapestConfigResult]]:
        """Every search, tables first then the figure's."""
        return [task for job in self._jobs.values() for task in job.searches] + [
            _cheapest_task(one) for one in self._searches
        ]

    @functools.cached_property
    def _order(self) -> list[int]:
        return sorted(range(len(self._all)), key=lambda i: _longest_first(self._all[i]))

    @property
    def tasks(self) -> list[functools.partial[CheapestConfigResult]]:
        """Every search of the section, longest first."""
        return [self._all[i] for i in self._order]

    def section(self, answers: Sequence[CheapestConfigResult]) -> PaperSection:
        """The section from the answers of ``tasks``."""
        unordered: list[Any] = [None] * len(answers)
        for i, answer in zip(self._order, answers, strict=True):
            unordered[i] = answer
        done = iter(unordered)
        results = {key: job.result([next(done) for _ in job.searches]) for key, job in self._jobs.items()}
        winners = {one: next(done).winner for one in self._searches}
        tables = self.tables
        return _assemble(
            tables,
            {t: results[("paper", t)] for t in tables},
            {t: results[("exhaustive", t)] for t in tables} if self.exhaustive else {},
            {t: results[("seed", t)] for t in tables} if self.seed else {},
            self.figure,
            self.figure_targets,
            self.exhaustive_targets,
            self.bandwidths_mbps,
            winners,
        )


def _assemble(
    tables: Sequence[OneTable],
    paper: Mapping[str, PaperTablesResult],
    found: Mapping[str, PaperTablesResult],
    seeded: Mapping[str, PaperTablesResult],
    figure: bool,
    figure_targets: Sequence[float],
    exhaustive_targets: Sequence[float],
    bandwidths_mbps: Sequence[float],
    winners: Mapping[_FigureSearch, CheapestWinner | None],
) -> PaperSection:
    """The section's markdown, figure and numbers from the tables and the figure's winners."""
    rows = [r for t in tables for r in paper[t].rows]
    numbers: dict[str, Any] = {"rows": []}
    out = [
        f"## {TITLE}",
        "",
        'The paper "Does Distributed Training Undermine Compute Governance?" (arXiv 2605.29359) '
        "tabulates the cheapest hardware that reaches a local-equivalent compute target (C_local) in "
        "740 days over sub-threshold nodes, searching 12 node types (each just under 16 "
        "H100-equivalents), flat, hierarchical and pipeline-parallel DiLoCo and 72 model sizes from "
        "0.5B to 10,000B, with the revised model, the failure layer at its defaults and the Cottier "
        "chip-to-cluster cost multipliers, overtraining kept between 1x and 100x. dtsim runs the same "
        f"search ({len(rows)} rows below) and prints each table as the paper does.",
        "",
    ]
    for table in tables:
        lines, entries = _comparison(table, paper[table], found.get(table), seeded.get(table))
        numbers["rows"].extend(entries)
        out += [f"### {_TABLE_TITLES[table]}", "", paper[table].markdown.rstrip("\n"), ""]
        if found or seeded:
            out += [
                "The same rows under the paper's search, the exhaustive search (the smallest node count "
                "per hardware option, over the same candidates; **bold**: cheaper than the paper's "
                "answer) and the seed model (`physics: seed`, everything else unchanged, the paper's "
                "search). Each cell: hardware · nodes · mode · model · cost.",
                "",
                *lines,
                "",
            ]
    tied = [r for t in tables for r in _tied(paper[t])]
    if tied:
        keys = ", ".join(f"{r.table} {r.key}" for r in tied)
        numbers["tied_rows"] = [{"table": r.table, "key": r.key} for r in tied]
        out += [
            f"**The Mode cell of {len(tied)} row(s) ({keys}).** The stored tables print Hier (8x4); "
            "dtsim prints Flat. At that answer (16x GH200 FP8, 34 nodes, 160B) the flat run and the "
            "hierarchical runs with groups of 8 to 16 are the same run: one regional sync per global "
            "sync, H = 19 either way, the same replica count and tokens, hence the same C_local and "
            "C_quality. dtsim computes them bit-identically, so the paper's own rule (a later "
            "candidate replaces the current one only when strictly greater) keeps the flat one, "
            "which comes first. The reference's arithmetic made the hierarchical C_quality larger "
            "by one unit in the last place. Every other cell, and every number, is the paper's.",
            "",
        ]
    if "bandwidth" in paper:
        stated, source = paper_text_10_mbps_cost_usd()
        ten_row = _by_key(paper["bandwidth"], "bandwidth")["10 Mbps"]
        ten = ten_row.winner
        table_cost = ten.cost_usd if ten is not None and ten.cost_usd is not None else math.nan
        numbers["erratum_10_mbps"] = {
            "paper_text_usd": stated,
            "table_usd": table_cost,
            "reproduced": "table",
            "source": source,
        }
        out += [
            f"**Erratum: the paper's text and its table at 10 Mbps.** The text quotes {money(stated)} at "
            f"10 Mbps; the stored table and the script that generated it give {money(table_cost)} "
            f"(${table_cost:,.1f}: {_short(ten, ten_row.config)}). dtsim reproduces the table, "
            f"{money(table_cost)}: it runs the published script's search on the published "
            "physics, and that search gives this row; the text's figure does not come out of that "
            "script and calculator, and probably dates from an earlier run (for example one that still "
            "had FP8 options for the Ascend chips, or before a change to the physics).",
            "",
        ]
    if found:
        compared = [e for e in numbers["rows"] if "cheaper" in e]
        cheaper = [e for e in compared if e["cheaper"]]
        numbers["cheaper_rows"] = len(cheaper)
        numbers["rows_compared"] = len(compared)
        largest = max(cheaper, key=lambda e: e["paper_cost_usd"] / e["exhaustive_cost_usd"], default=None)
        text = (
            f"**The paper's search misses cheaper answers in {len(cheaper)} of {len(compared)} rows.** It "
            "bisects on the node count as if reaching the target were monotone in it; it is not (the "
            "replica penalty makes C_local of a candidate rise then fall, and the overtraining bound "
            "removes candidates as nodes are added), so the bisection can stop above the smallest "
            "node count."
        )
        headline = next((e for e in compared if e["table"] == "clocal" and e["key"] == "10^25"), None)
        if headline is not None:
            numbers["headline"] = headline
            text += (
                f" At the headline row (10^25 over 100 Mbps) the paper gives {headline['paper']}; the "
                f"exhaustive search gives {headline['exhaustive']}."
            )
        if largest is not None:
            numbers["largest_gap"] = largest
            text += (
                f" The largest gap is {largest['table']} {largest['key']}: "
                f"{money(largest['paper_cost_usd'])} against {money(largest['exhaustive_cost_usd'])}."
            )
        out += [text, ""]
    figures: dict[str, tuple[str, str]] = {}
    if figure:
        data = _figure_data(figure_targets, exhaustive_targets, bandwidths_mbps, winners)
        numbers["figure"] = data
        caption = (
            "Cost of the cheapest configuration that reaches each C_local target in 740 days, by WAN "
            "bandwidth (log-log). Dashed: the paper's search; solid: the exhaustive search (drawn for "
            f"{', '.join(format_target(t) for t in exhaustive_targets)}). Open markers: the average US "
            "(310/57 Mbps) and China (207/47 Mbps) residential links, at the symmetric bandwidth with "
            "the same WAN transfer time per sync (exhaustive search where its curve is drawn). Dotted: "
            "the centralized cost, the cheapest single cluster of one of the 12 node types' chips (all "
            "GPUs at one site, no WAN synchronisation) that reaches the target in the same window at "
            "the same MFU, prices and cost multipliers."
        )
        figures[FIGURE_NAME] = (caption, cost_vs_bandwidth_figure(data))
        central = ", ".join(f"{key}: {money(v['cost_usd'])} ({v['config']})" for key, v in data["centralized"].items())
        out += [f"![{caption}](figures/{FIGURE_NAME}.svg)", "", f"Centralized cost: {central}.", ""]
    return PaperSection(TITLE, "\n".join(out).rstrip("\n") + "\n", figures, numbers, _stated(numbers))


def _stated(numbers: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """The numbers the text states, with the report format they are shown in."""
    stated: dict[str, tuple[Any, str]] = {}
    for row in numbers.get("rows", []):
        for column in ("paper", "exhaustive", "seed"):
            value = row.get(f"{column}_cost_usd")
            if value is not None:
                stated[f"{row['table']}.{row['key']}.{column}.cost_usd"] = (value, "usd")
    for key in ("cheaper_rows", "rows_compared"):
        if key in numbers:
            stated[key] = (numbers[key], "int")
    if "erratum_10_mbps" in numbers:
        stated["erratum_10_mbps.paper_text_usd"] = (numbers["erratum_10_mbps"]["paper_text_usd"], "usd")
        stated["erratum_10_mbps.table_usd"] = (numbers["erratum_10_mbps"]["table_usd"], "usd")
    for key, central in numbers.get("figure", {}).get("centralized", {}).items():
        stated[f"centralized.{key}.cost_usd"] = (central["cost_usd"], "usd")
    return stated


# --------------------------------------------------------------------------------------------
# The report's section registry


#: The section with the defaults by whether figures are drawn, once per process: it depends on
#: no other report option (the paper's assumptions are fixed; ``--set`` does not apply).
_COMPUTED: dict[bool, PaperSection] = {}


def start_section(ctx: ReportContext) -> None:
    """The registry entry's ``start``: hand the section's searches to the report's workers
    (unless this process has computed the section already)."""
    _pending(ctx)


def _pending(ctx: ReportContext) -> Callable[[], PaperSection]:
    """Once per report: a function giving the section, its searches started on the report's
    workers (``ctx.pool``) or, without a pool, run when it is called."""

    def begin() -> Callable[[], PaperSection]:
        key = ctx.figures
        if key in _COMPUTED:
            return lambda: _COMPUTED[key]
        plan = SectionPlan(figure=key)
        answers = (
            ctx.pool.start(plan.tasks)
            if ctx.pool is not None
            else functools.partial(run_tasks, plan.tasks, workers=ctx.workers)
        )

        def finish() -> PaperSection:
            if key not in _COMPUTED:
                _COMPUTED[key] = plan.section(answers())
            return _COMPUTED[key]

        return finish

    finish: Callable[[], PaperSection] = ctx.memo("paper.section", begin)
    return finish


def report_section(ctx: ReportContext) -> SectionContent:
    """The builder of the registry entry ``Section("paper", TITLE, ANSWERS, report_section,
    start=start_section)``:
    the section's body without its heading, sub-headings anchored, figures with prefixed ids and
    the stated numbers as ``Stated``. The paper's assumptions are its own, so the report's
    ``--set`` overrides do not apply (said in the text when there are any)."""
    from dtsim.report.content import SectionContent, Stated
    from dtsim.report.figures import prefix_svg_ids
    from dtsim.report.sections import anchor_headings

    section = _pending(ctx)()
    body = section.markdown.split("\n", 1)[1].strip("\n") if section.markdown.startswith("## ") else section.markdown
    body = _superscripts(anchor_headings(body, "paper"))
    if ctx.overrides:
        body = (
            "These tables use the paper's own assumptions: the assumptions changed for this report do "
            "not apply here.\n\n" + body
        )
    figures = {name: (caption, prefix_svg_ids(svg, name)) for name, (caption, svg) in section.figures.items()}
    numbers = {key: Stated(value, fmt) for key, (value, fmt) in section.stated.items()}
    return SectionContent(body + "\n", figures, numbers)
