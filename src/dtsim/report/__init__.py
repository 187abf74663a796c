"""``dtsim report``: the governance report, regenerated from report table specifications
(bundled in ``dtsim/data/report/``, or a directory of one's own), optionally with changed
assumptions.

- ``spec``         the table specification format (base scenario, rows, columns)
- ``tables``       computing a table's cells through the engine and the analyses
- ``formats``      display formats of cells
- ``figures``      the report's figures (SVG)
- ``reliability``  the failures-and-mitigation table and figure
- ``validation``   "How well does dtsim predict real runs?": the validation page, the
                   predicted-against-measured figure, the bandwidth-for-utilisation table
- ``render``       Markdown and self-contained HTML
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from dtsim.errors import ScenarioError
from dtsim.loading import read_text
from dtsim.output import atomic_directory, check_destination
from dtsim.report.render import render_html, render_markdown
from dtsim.report.spec import TableSpec, load_table_specs
from dtsim.report.tables import AnalysisCache, Table, build_table

__all__ = ["Report", "build_report", "bundled_tables", "table_spec_files", "write_report"]


@dataclass(frozen=True)
class Report:
    """Computed tables and rendered figures of one report."""

    tables: list[Table]
    figures: dict[str, tuple[str, str]]
    overrides: dict[str, Any]

    def markdown(self) -> str:
        from dtsim import __version__

        return render_markdown(self.tables, self.figures, self.overrides, __version__)

    def html(self) -> str:
        from dtsim import __version__

        return render_html(self.tables, self.figures, self.overrides, __version__)


def bundled_tables() -> Path:
    """The directory of the bundled report table specifications (package data)."""
    return Path(str(resources.files("dtsim.data").joinpath("report")))


def table_spec_files(directory: Path) -> list[Path]:
    """The report files of a scenarios directory: ``*.yaml`` holding ``tables:``, in name order."""
    if not directory.is_dir():
        raise ScenarioError("--scenarios", str(directory), "not a directory of scenario tables")
    files = sorted(p for p in directory.glob("*.yaml") if "tables:" in read_text(p, what="report table file"))
    if not files:
        raise ScenarioError("--scenarios", str(directory), "holds no report tables (*.yaml with `tables:`)")
    return files


def build_report(
    specs: Sequence[TableSpec], overrides: Mapping[str, Any] | None = None, *, figures: bool = True
) -> Report:
    """Compute every table (and figure) with the given dotted-path overrides. The figures are
    rendered beside the tables (``background``)."""
    from dtsim.report.background import start_figures

    overrides = dict(overrides or {})
    finish = start_figures(overrides, list(FIGURE_NAMES)) if figures else dict
    cache = AnalysisCache()
    tables = [build_table(spec, overrides, cache) for spec in specs]
    order = {"001": 0, "002": 1}
    tables.sort(key=lambda t: order.get(t.spec.seed, 2))
    return Report(tables, finish(), overrides)


#: The report's figures, in order (``figures.FIGURES``, named here without importing matplotlib).
FIGURE_NAMES = (
    "compute_vs_nodes",
    "c_local_vs_bandwidth",
    "c_quality_vs_model_size",
    "nodes_and_cost_vs_threshold",
    "eta_decomposition",
)


def write_report(out: Path, scenarios: Path | None = None, overrides: Mapping[str, Any] | None = None) -> list[Path]:
    """Write ``report.md``, ``report.html`` and ``figures/*.svg`` under ``out`` (``scenarios``: a
    directory of table specifications; default: the bundled ones), atomically:
    everything is computed and rendered first, then written to a staging folder beside
    ``out`` and moved in (``figures/`` replaced whole); an error or an interrupt leaves
    ``out`` as it was. Other files in ``out`` are kept."""
    check_destination(out, field="--out", directory=True)
    report = build_report(load_table_specs(table_spec_files(scenarios or bundled_tables())), overrides)
    texts = {"report.md": report.markdown(), "report.html": report.html()}
    with atomic_directory(out, field="--out") as staging:
        (staging / "figures").mkdir()
        for name, (_, svg) in report.figures.items():
            (staging / "figures" / f"{name}.svg").write_text(svg, "utf-8")
        for name, text in texts.items():
            (staging / name).write_text(text, "utf-8")
    return [*(out / "figures" / f"{name}.svg" for name in report.figures), *(out / name for name in texts)]
