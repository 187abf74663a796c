"""``paper_tables``: the published paper's three minimum-cost tables (paper_tables.md §4-§5,
§10, §12.3), computed with ``cheapest_config(families="paper")`` and printed in the paper's
format.

- ``clocal``: the cheapest configuration for each C_local target from 1e24 to 1e26 over
  100 Mbps links at 100 ms;
- ``bandwidth``: at 1e25, for WAN links from 10 Mbps to 1000 Gbps and the average US and China
  residential links (rows sorted by cost, descending);
- ``latency``: at 1e25 over 100 Mbps, for latencies from 10 to 300 ms.

The markdown of each table is the paper's: caption, header and rows with the formats of §10
(``format_*`` below).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from dtsim.analyses._args import Count, Numbers, ScenarioInput, choice, count
from dtsim.analyses._args import scenario_argument as _scenario
from dtsim.analyses._result import AnalysisResult
from dtsim.analyses.cheapest import (
    MAX_SEARCH_NODES,
    CheapestConfigResult,
    CheapestWinner,
    HardwareOptions,
    PaperSpace,
    analysis_base,
    option_node,
    paper_cheapest,
    paper_space,
)
from dtsim.analyses.paper_data import (
    PaperRow,
    PaperTableSpec,
    paper_options,
    paper_overtraining_range,
    paper_scenario,
    paper_table_specs,
)
from dtsim.normalize import normalize, stack_scenarios
from dtsim.scenario import Scenario, parse_scenario
from dtsim.units import BILLION

__all__ = [
    "TABLES",
    "OneTable",
    "PaperTableRow",
    "PaperTablesJob",
    "PaperTablesResult",
    "format_chi",
    "format_cost",
    "format_flop",
    "format_latency",
    "format_model",
    "format_overtraining",
    "format_target",
    "option_label",
    "option_labels",
    "paper_tables",
    "paper_tables_job",
    "printed_order",
    "row_markdown",
    "table_markdown",
]

TableName = Literal["clocal", "bandwidth", "latency", "all"]
OneTable = Literal["clocal", "bandwidth", "latency"]
Search = Literal["bisection", "exhaustive"]
#: The tables in the order ``all`` prints them.
TABLES: tuple[OneTable, ...] = get_args(OneTable)
#: The 12 columns after a table's key column (paper_tables.md §10).
COLUMNS = ("Config", "Nodes", "Mode", "Model", "H", "eta", "C_local", "chi", "C_quality", "OT", "Cost")
_ALIGN = "|--:|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|"


# --------------------------------------------------------------------------------------------
# Formats (paper_tables.md §10)


def _exponent(value: float) -> int:
    return math.floor(math.log10(value)) if value > 0 else 0


def format_target(flop: float) -> str:
    """``10^25``, or ``3.3 x 10^24`` when the mantissa is not 1 within 0.01."""
    exponent = _exponent(flop)
    mantissa = flop / float(10**exponent)
    return f"10^{exponent}" if abs(mantissa - 1.0) < 0.01 else f"{mantissa:.1f} x 10^{exponent}"


def format_flop(flop: float) -> str:
    """``6.4e24``: one decimal of the mantissa, exponent ⌊log10⌋ (9.96e24 prints 10.0e24)."""
    exponent = _exponent(flop)
    return f"{flop / float(10**exponent):.1f}e{exponent}"


def format_chi(chi: float) -> str:
    """``0.6250``; ``1.2e-04`` below 0.001; ``~0`` at 0."""
    if chi >= 0.001:
        return f"{chi:.4f}"
    return f"{chi:.1e}" if chi > 0 else "~0"


def format_model(params: float) -> str:
    """``0.5B`` below 1B, else ``160B``."""
    billions = params / BILLION
    return f"{billions:.1f}B" if billions < 1 else f"{billions:.0f}B"


def format_overtraining(ratio: float) -> str:
    """``21x`` from 10 on (thousands separated), else ``7.0x``."""
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def format_cost(cost_usd: float) -> str:
    """``$2.32B`` from one billion on, else ``$30.7M``; ``—`` when unknown (a node without a price)."""
    if math.isnan(cost_usd):
        return "—"
    return f"${cost_usd / 1e9:.2f}B" if cost_usd >= 1e9 else f"${cost_usd / 1e6:.1f}M"


def format_latency(latency_ms: float) -> str:
    """``100 ms``."""
    return f"{latency_ms:.0f} ms"


def format_mode(winner: CheapestWinner) -> str:
    """``Flat``, ``Hier (k x G)`` or ``PP (S x G)``."""
    if winner.strategy == "hierarchical":
        return f"Hier ({winner.nodes_per_group}x{winner.groups})"
    if winner.strategy == "pp-diloco":
        return f"PP ({winner.pp_stages}x{winner.groups})"
    return "Flat"


def option_label(hardware: Mapping[str, Any], node: Mapping[str, Any], index: int) -> str:
    """The paper's label of a hardware option (``16x GH200 FP8``): its own where it is one of
    the paper's options, else ``{gpus}x {gpu}`` (`` FP8`` at fp8), or ``custom node {i}``."""
    for option in paper_options():
        if dict(hardware) == option.hardware:
            return option.label
    if node.get("gpu") is None or node.get("gpus_per_node") is None:
        return f"custom node {index}"
    name = str(node["gpu"]).replace("-", " ")
    return f"{node['gpus_per_node']}x {name}" + (" FP8" if node.get("precision") == "fp8" else "")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PaperTableRow(AnalysisResult):
    """One row of a table.

    Attributes:
        table: clocal, bandwidth or latency.
        key: the row's key cell (Target, BW or Latency).
        target: the target C_local, FLOP.
        upload_mbps: WAN upload bandwidth, Mbps.
        download_mbps: WAN download bandwidth, Mbps.
        latency_ms: WAN latency, ms.
        config: the winner's hardware option label (null when nothing reaches the target).
        mode: the winner's mode cell: Flat, Hier (k x G) or PP (S x G) (null when nothing
            reaches the target).
        cells: the row's printed cells by column (Config … Cost).
        winner: the cheapest configuration (cheapest_config's winner; null when nothing reaches
            the target).
    """

    table: str
    key: str
    target: float
    upload_mbps: float
    download_mbps: float
    latency_ms: float
    config: str | None
    mode: str | None
    cells: dict[str, str]
    winner: CheapestWinner | None


@dataclass(frozen=True)
class PaperTablesResult(AnalysisResult):
    """The paper's tables.

    Attributes:
        table: clocal, bandwidth, latency or all.
        search: bisection (the paper's procedure) or exhaustive (the true minimum).
        rows: every row, table by table, in the printed order.
        markdown: the tables as the paper prints them (caption, blank line, table; tables
            separated by a blank line).
    """

    table: str
    search: str
    rows: tuple[PaperTableRow, ...]
    markdown: str


# --------------------------------------------------------------------------------------------
# The analysis


def _row_scenario(base: Scenario, row: PaperRow) -> Scenario:
    data = base.to_data()
    network = dict(data.get("network") or {})
    wan = {k: v for k, v in (network.get("wan") or {}).items() if k != "bandwidth_mbps"}
    wan.update(upload_mbps=row.upload_mbps, download_mbps=row.download_mbps, latency_ms=row.latency_ms)
    network["wan"] = wan
    return parse_scenario({**data, "network": network})


def _key(spec: PaperTableSpec, row: PaperRow) -> str:
    if spec.key == "Target":
        return format_target(row.target)
    if spec.key == "Latency":
        return format_latency(row.latency_ms)
    return row.label or f"{row.upload_mbps:g} / {row.download_mbps:g} Mbps"


def _cells(winner: CheapestWinner, label: str) -> dict[str, str]:
    cost = winner.cost_usd if winner.cost_usd is not None else math.nan
    return dict(
        zip(
            COLUMNS,
            (
                label,
                f"{winner.nodes:,}",
                format_mode(winner),
                format_model(winner.params),
                f"{winner.inner_steps:.0f}",
                f"{winner.eta:.4f}",
                format_flop(winner.c_local),
                format_chi(winner.eta_chinchilla),
                format_flop(winner.c_quality),
                format_overtraining(winner.overtraining_ratio),
                format_cost(cost),
            ),
            strict=True,
        )
    )


def _caption(spec: PaperTableSpec, base: Scenario, space: PaperSpace) -> str:
    """The paper's caption of a table, with the values of the scenario and the search."""
    columns = normalize(stack_scenarios([base]))
    days = float(columns["training.days"][0])
    mfu = float(columns["training.mfu"][0])
    ratio = float(columns["compression.pseudo_gradient"][0])
    first = spec.rows[0]
    window = f"in {days:g} days, using actual per-node VRAM."
    physics = f"MFU = {mfu * 100:.0f}%, compression = {ratio:g}x"
    if space.overtraining_range is not None:
        low, high = space.overtraining_range
        physics += f", overtraining constrained to {low:.0f}x--{high:.0f}x."
    else:
        physics += ", overtraining not constrained."
    if columns["hardware.cost_model"][0] == "cottier":
        chip, cluster = float(columns["hardware.chip_to_server"][0]), float(columns["hardware.server_to_cluster"][0])
        cost = (
            f" Hardware cost applies Cottier et al. (2024) multipliers: {chip:g}x chip-to-server, "
            f"{cluster:g}x server-to-cluster."
        )
    else:
        cost = " Hardware cost is the GPUs' purchase price."
    if spec.name == "clocal":
        network = (
            f"All network connections at {first.upload_mbps:g} Mbps with {format_latency(first.latency_ms)} latency."
        )
        return f"Minimum-cost hardware to reach C_local targets {window} {network} {physics}{cost}"
    target = format_target(first.target)
    if spec.name == "latency":
        network = f"All connections at {first.upload_mbps:g} Mbps with the listed one-way latency."
        lead = f"Latency sensitivity: minimum-cost hardware to reach {target} FLOP C_local"
        return f"{lead} {window} {network} {physics}{cost}"
    network = (
        "Symmetric rows set WAN, regional, and PP channels to the listed bandwidth with 100 ms latency "
        "(0.1 ms at 1000 Gbps to model intra-datacenter InfiniBand/NVLink conditions). Asymmetric rows "
        "(US avg, China avg) use the listed down/up values for WAN; regional and PP channels use the "
        "upload rate (peer-to-peer bottleneck)."
    )
    return (
        f"Bandwidth sensitivity: minimum-cost hardware to reach {target} FLOP C_local {window} {network} "
        f"{physics}{cost} Rows sorted by cost, descending."
    )


def printed_order(spec: PaperTableSpec, rows: Sequence[PaperTableRow]) -> list[PaperTableRow]:
    """The rows in printed order: as given, or sorted by cost, descending and stable, where the
    table says so (rows reaching nothing last)."""
    ordered = list(rows)
    if spec.sort_by_cost:
        ordered.sort(key=lambda r: -(r.winner.cost_usd or 0.0) if r.winner is not None else math.inf)
    return ordered


def row_markdown(row: PaperTableRow) -> str:
    """A row's markdown line (``--- infeasible ---`` when nothing reaches the target)."""
    if row.winner is None:
        return f"| {row.key} | --- infeasible --- |" + " |" * (len(COLUMNS) - 1)
    return "| " + " | ".join((row.key, *row.cells.values())) + " |"


def table_markdown(spec: PaperTableSpec, caption: str, rows: Sequence[PaperTableRow]) -> str:
    """A table as the paper prints it: caption, blank line, header, alignment row, the rows in
    printed order."""
    lines = [caption, "", "| " + " | ".join((spec.key, *COLUMNS)) + " |", _ALIGN]
    lines.extend(row_markdown(row) for row in printed_order(spec, rows))
    return "\n".join(lines) + "\n"


#: The paper's inclusive bounds on the overtraining ratio (paper_tables.md §2.6), the default.
PAPER_OVERTRAINING_RANGE = paper_overtraining_range()


def paper_tables(
    table: TableName = "all",
    scenario: ScenarioInput | None = None,
    search: Search = "bisection",
    hardware_options: HardwareOptions | None = "paper",
    size_grid: Numbers | None = None,
    group_sizes: Numbers | None = None,
    overtraining_range: Numbers | None = PAPER_OVERTRAINING_RANGE,
    max_nodes: Count = 100_000,
) -> PaperTablesResult:
    """The published paper's three minimum-cost tables (C_local targets, bandwidth, latency).

    The tables give the cheapest configuration per C_local target, and at 1e25 per WAN
    bandwidth and per latency. Each row is ``cheapest_config`` with families paper and metric
    c_local on the scenario with the row's WAN (upload, download, latency; paper_tables.md
    §4-§5). With the defaults the markdown is the paper's three tables, caption and rows in its
    formats (§10); rows are in the printed order. With search exhaustive each row is the true
    cheapest over the same candidates (each hardware option scanned up to the cost of the
    paper's answer).

    Args:
        table: clocal (C_local targets), bandwidth (WAN sweep), latency (latency sweep) or all.
        scenario: the scenario every row shares (null: the paper's: physics revised, 740 days,
            2026 prices, Cottier cost model, failure layer at its defaults); each row sets the
            WAN upload, download and latency; strategy, nodes, model and inner steps are ignored.
        search: bisection (the paper's procedure) or exhaustive (the true minimum).
        hardware_options: "paper" (the paper's 12 nodes) or a list of hardware blocks; null: the
            scenario's node.
        size_grid: model sizes in parameters (null: the paper's 72 sizes).
        group_sizes: nodes per regional group of the hierarchical candidates (null: the
            paper's ten).
        overtraining_range: [low, high] inclusive bounds on the overtraining ratio (null: none).
        max_nodes: largest node count searched, 2 to 1,000,000.
    """
    job = paper_tables_job(
        table, scenario, search, hardware_options, size_grid, group_sizes, overtraining_range, max_nodes
    )
    return job.result([search() for search in job.searches])


@dataclass(frozen=True)
class PaperTablesJob:
    """``paper_tables`` in two steps: the search of each row (``searches``: picklable tasks
    without arguments, each a ``paper_cheapest``, independent of the others, for
    ``dtsim.parallel.run_tasks``), then ``result`` of their answers in the same order."""

    which: str
    how: str
    base: Scenario
    space: PaperSpace
    searches: tuple[functools.partial[CheapestConfigResult], ...]

    @property
    def names(self) -> tuple[OneTable, ...]:
        """The tables, in order."""
        return TABLES if self.which == "all" else (cast(OneTable, self.which),)

    def result(self, answers: Sequence[CheapestConfigResult]) -> PaperTablesResult:
        """The tables from the answers of ``searches``."""
        labels = option_labels(self.base, self.space)
        specs = paper_table_specs()
        winners = iter(answer.winner for answer in answers)
        rows: list[PaperTableRow] = []
        parts = []
        for name in self.names:
            spec = specs[name]
            table_rows = []
            for row in spec.rows:
                answer = next(winners)
                index = 0 if answer is None or answer.hardware_index is None else answer.hardware_index
                table_rows.append(
                    PaperTableRow(
                        table=name,
                        key=_key(spec, row),
                        target=row.target,
                        upload_mbps=row.upload_mbps,
                        download_mbps=row.download_mbps,
                        latency_ms=row.latency_ms,
                        config=None if answer is None else labels[index],
                        mode=None if answer is None else format_mode(answer),
                        cells={} if answer is None else _cells(answer, labels[index]),
                        winner=answer,
                    )
                )
            parts.append(table_markdown(spec, _caption(spec, self.base, self.space), table_rows))
            rows.extend(printed_order(spec, table_rows))
        return PaperTablesResult(table=self.which, search=self.how, rows=tuple(rows), markdown="\n".join(parts))


def paper_tables_job(
    table: TableName = "all",
    scenario: ScenarioInput | None = None,
    search: Search = "bisection",
    hardware_options: HardwareOptions | None = "paper",
    size_grid: Numbers | None = None,
    group_sizes: Numbers | None = None,
    overtraining_range: Numbers | None = PAPER_OVERTRAINING_RANGE,
    max_nodes: Count = 100_000,
) -> PaperTablesJob:
    """The arguments of ``paper_tables`` validated, and the search of each row (see
    ``PaperTablesJob``)."""
    which = choice("table", table, get_args(TableName))
    how = choice("search", search, get_args(Search))
    limit = count("max_nodes", max_nodes, low=2, high=MAX_SEARCH_NODES)
    space = paper_space(hardware_options, size_grid, group_sizes, overtraining_range)
    base = analysis_base(_scenario("scenario", paper_scenario() if scenario is None else scenario, nodes=1))
    specs = paper_table_specs()
    searches = tuple(
        functools.partial(
            paper_cheapest, _row_scenario(base, row), row.target, "c_local", how, limit, space, every_option=False
        )
        for name in (TABLES if which == "all" else (which,))
        for row in specs[name].rows
    )
    return PaperTablesJob(which, how, base, space, searches)


def option_labels(base: Scenario, space: PaperSpace) -> list[str]:
    """The label of each hardware option of a search space (``option_label``)."""
    return [option_label(block or {}, option_node(base, i, block), i) for i, block in enumerate(space.options)]
