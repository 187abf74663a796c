"""``dtsim report``: the governance report, computed from report table specifications (bundled in
``dtsim/data/report/``, or a directory of one's own), optionally with changed assumptions.

The report is a sequence of sections (``sections.SECTIONS``, the registry): a summary of
findings, the assumptions, the seed model against the revised model, the uncertainty of the
headline, failures and mitigation, the reproduction of the seed documents and the errata. Each
section's builder returns Markdown, figures and the numbers it states; a table, figure or section
that cannot be computed is named in place and listed, and the rest is written.

- ``spec``         the table specification format (base scenario, rows, columns, templates)
- ``templates``    titles and labels that read the scenario (``{network.wan.bandwidth_mbps:g}``)
- ``tables``       computing a table's cells through the engine and the analyses
- ``formats``      display formats of cells (one scientific notation, one money format)
- ``figures``      the report's figures (SVG, text as text, ids unique per figure)
- ``content``      sections, their content, failures and the context builders share
- ``sections``     the section registry and the table sections
- ``summary``, ``assumptions``, ``uncertainty``, ``reliability``   the other sections
- ``validation``   "How well does dtsim predict real runs?": the validation page, the
                   predicted-against-measured figure, the bandwidth-for-utilisation table
- ``paper``        "Published paper": the paper's minimum-cost tables reproduced, beside the
                   exhaustive search and the seed model, and the cost-vs-bandwidth figure
- ``render``       Markdown and the self-contained HTML page
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from dtsim.errors import DtsimError, ScenarioError
from dtsim.loading import read_text
from dtsim.output import atomic_directory, check_destination
from dtsim.parallel import Workers
from dtsim.report.content import Failure, ReportContext, Section, SectionContent, Stated, error_message
from dtsim.report.render import markdown_to_html, text_md
from dtsim.report.spec import TableSpec, TableSpecError, load_table_specs
from dtsim.report.tables import Table

__all__ = [
    "Report",
    "build_report",
    "bundled_tables",
    "report_date",
    "table_spec_files",
    "write_built_report",
    "write_report",
]


@dataclass(frozen=True)
class BuiltSection:
    """A section of a built report: its registry entry and its content."""

    section: Section
    content: SectionContent


@dataclass(frozen=True)
class Report:
    """A built report: its sections, every table and figure, the failures, the stamp."""

    sections: list[BuiltSection]
    overrides: dict[str, Any]
    date: dt.date
    bundled: bool = True
    source_name: str = ""
    failures: list[Failure] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        """Every computed table, in report order."""
        return [t for s in self.sections for t in s.content.tables]

    @property
    def figures(self) -> dict[str, tuple[str, str]]:
        """Every figure as ``{name: (caption, svg)}``, in report order."""
        return {k: v for s in self.sections for k, v in s.content.figures.items()}

    @property
    def numbers(self) -> dict[str, dict[str, Stated]]:
        """The numbers each section states, by section name."""
        return {s.section.name: dict(s.content.numbers) for s in self.sections}

    def section(self, name: str) -> SectionContent:
        """The content of one section."""
        return next(s.content for s in self.sections if s.section.name == name)

    @property
    def title(self) -> str:
        return "dtsim governance report" if self.bundled else "dtsim report"

    def markdown(self) -> str:
        """The report as Markdown (figures referenced as ``figures/NAME.svg``)."""
        from dtsim import __version__

        out = [f"# {self.title}", ""]
        out += [f"*dtsim {__version__} · model: {self._variant()} · {self.date.isoformat()}*", ""]
        out += [
            "Every number in this report is computed by dtsim"
            + (
                " from the bundled scenario tables and analyses; none is copied from the seed documents."
                if self.bundled
                else f" from the report tables in `{text_md(self.source_name)}`."
            ),
            "",
        ]
        if self.overrides:
            shown = ", ".join(f"`{k}={v}`" for k, v in self.overrides.items())
            out += [
                f"> **Assumptions changed:** {shown}. Every table that does not vary a field itself uses the "
                "changed value, and the titles and labels state it."
                + (" Comparisons with the seed documents are not applicable." if self.bundled else ""),
                "",
            ]
        if self.failures:
            count = len(self.failures)
            out += [
                f"> **Not computed:** {count} item{'s' if count > 1 else ''} of this report "
                "(see [Not computed](#not-computed)); everything else is complete.",
                "",
            ]
        first = self.sections[:1] if self.sections and self.sections[0].section.name == "summary" else []
        for built in first:
            out += [f'## <a id="{built.section.name}"></a>{text_md(built.section.title)}', ""]
            out += [built.content.markdown.rstrip(), ""]
        out += ['## <a id="contents"></a>Contents', "", *self._contents(), ""]
        for built in self.sections[len(first) :]:
            out += [f'## <a id="{built.section.name}"></a>{text_md(built.section.title)}', ""]
            out += [built.content.markdown.rstrip(), ""]
        if self.failures:
            out += ['## <a id="not-computed"></a>Not computed', ""]
            out += ["These items could not be computed; the rest of the report is complete.", ""]
            for failure in self.failures:
                link = (
                    f"[{failure.kind} `{failure.id}`](#{failure.id})"
                    if failure.kind == "table"
                    else (f"{failure.kind} `{failure.id}`")
                )
                state = "not yet available: needs " if failure.unavailable else ""
                out.append(f"- {link} ({text_md(failure.title)}): {state}{text_md(failure.message)}")
            out.append("")
        return "\n".join(out).rstrip() + "\n"

    def html(self) -> str:
        """The report as one self-contained HTML page (figures inlined as SVG)."""
        return markdown_to_html(self.markdown(), self.figures, self.title)

    def _variant(self) -> str:
        physics = self.overrides.get("physics")
        if physics is not None:
            return f"`physics: {physics}` (changed for this report)"
        if self.bundled:
            return "seed (`physics: seed`), with the revised model (`physics: revised`) side by side"
        return "as each scenario sets it (default `physics: seed`)"

    def _contents(self) -> list[str]:
        import re

        lines = []
        for built in self.sections:
            lines.append(
                f"- [{text_md(built.section.title)}](#{built.section.name}) — {text_md(built.section.answers)}"
            )
            for anchor, title in re.findall(r'^### <a id="([^"]+)"></a>(.+)$', built.content.markdown, re.M):
                lines.append(f"  - [{title}](#{anchor})")
        if self.failures:
            lines.append("- [Not computed](#not-computed) — the items this report could not compute")
        return lines


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


def report_date(value: str | dt.date | None = None) -> dt.date:
    """The stamp date: ``value`` (``YYYY-MM-DD``), else ``SOURCE_DATE_EPOCH`` (seconds since
    1970, UTC; reproducible builds), else today."""
    if isinstance(value, dt.date):
        return value
    if value is not None:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ScenarioError("--date", value, "a date as YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
        except (ValueError, OverflowError, OSError):
            raise ScenarioError("SOURCE_DATE_EPOCH", epoch, "seconds since 1970 as an integer") from None
    return dt.date.today()


def build_report(
    specs: Sequence[TableSpec],
    overrides: Mapping[str, Any] | None = None,
    *,
    figures: bool = True,
    date: str | dt.date | None = None,
    bundled: bool = True,
    source_name: str = "",
    uncertainty_file: Path | None = None,
    uncertainty_samples: int | None = None,
    sections: Sequence[Section] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Compute every section of the report with the given dotted-path overrides.

    ``bundled``: the governance report (every bundled section); else a report of one's own
    tables (``custom`` sections only). ``date``: the stamp (default ``report_date()``).
    ``uncertainty_file`` / ``uncertainty_samples``: the uncertainty set of "How uncertain is the
    headline?" and its sample count (default: the bundled default set and its own count).
    ``sections``: the registry to use (default ``SECTIONS``). ``workers``: processes for the
    long independent searches (``dtsim.parallel``; the numbers do not depend on it).
    ``progress``: called with each section's title as it starts to be built."""
    from dtsim.report.sections import SECTIONS

    kind = "bundled" if bundled else "custom"
    chosen = [s for s in (sections if sections is not None else SECTIONS) if kind in s.reports]
    built: list[BuiltSection] = []
    failures: list[Failure] = []
    with Workers(workers) as pool:
        context = ReportContext(
            specs=list(specs),
            overrides=dict(overrides or {}),
            date=report_date(date),
            bundled=bundled,
            figures=figures,
            uncertainty_file=uncertainty_file,
            uncertainty_samples=uncertainty_samples,
            workers=workers,
            pool=pool,
        )
        # Long independent work goes to the workers first; the sections that started some are
        # built last, so that it runs while this process builds the others.
        for section in chosen:
            if section.start is not None:
                with contextlib.suppress(DtsimError):  # building the section reports it
                    section.start(context)
        contents: dict[int, SectionContent] = {}
        for index in sorted(range(len(chosen)), key=lambda i: chosen[i].start is not None):
            section = chosen[index]
            if progress is not None:
                progress(section.title)
            try:
                contents[index] = section.build(context)
            except TableSpecError:
                raise
            except DtsimError as exc:
                failure = Failure("section", section.name, section.title, error_message(exc))
                contents[index] = SectionContent(failure.note() + "\n", failures=(failure,))
    for index, section in enumerate(chosen):
        built.append(BuiltSection(section, contents[index]))
        failures += [f for f in contents[index].failures if f not in failures]
    return Report(built, context.overrides, context.date, bundled, source_name, failures)


def write_built_report(out: Path, report: Report) -> list[Path]:
    """Write a built report's ``report.md``, ``report.html`` and ``figures/*.svg`` under ``out``,
    atomically: rendered first, then written to a staging folder beside ``out`` and moved in
    (``figures/`` replaced whole); an error or an interrupt leaves ``out`` as it was. Other files
    in ``out`` are kept."""
    check_destination(out, field="--out", directory=True)
    texts = {"report.md": report.markdown(), "report.html": report.html()}
    figures = report.figures
    with atomic_directory(out, field="--out") as staging:
        (staging / "figures").mkdir()
        for name, (_, svg) in figures.items():
            (staging / "figures" / f"{name}.svg").write_text(svg, "utf-8")
        for name, text in texts.items():
            (staging / name).write_text(text, "utf-8")
    return [*(out / "figures" / f"{name}.svg" for name in figures), *(out / name for name in texts)]


def write_report(
    out: Path,
    scenarios: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[Path]:
    """Build and write the report (``scenarios``: a directory of table specifications; default:
    the bundled ones; ``options``: those of ``build_report``). See ``write_built_report``."""
    check_destination(out, field="--out", directory=True)
    directory = scenarios or bundled_tables()
    bundled = scenarios is None or Path(scenarios).resolve() == bundled_tables().resolve()
    specs = load_table_specs(table_spec_files(directory))
    report = build_report(specs, overrides, bundled=bundled, source_name=Path(directory).name, **options)
    return write_built_report(out, report)
