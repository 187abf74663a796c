"""What a report section is made of, and what it can ask of the report while it is built.

A section is a ``Section`` (name, title, the question it answers, a builder). Its builder takes
the ``ReportContext`` and returns ``SectionContent``: Markdown (figures referenced as
``![caption](figures/NAME.svg)``), the figures as ``{name: (caption, svg)}``, and the numbers
the section states (``Stated``), so that tests can hold each stated number against the library.
A table or figure that cannot be computed becomes a ``Failure``: named in place, listed at the
end of the report, and the rest of the report is still written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dtsim.errors import DtsimError
from dtsim.parallel import Workers
from dtsim.report.formats import format_value
from dtsim.report.spec import TableSpec, TableSpecError
from dtsim.report.tables import AnalysisCache, Table, UnavailableAnalysis, build_table

__all__ = [
    "Failure",
    "ReportContext",
    "Section",
    "SectionContent",
    "Stated",
    "computed_table",
    "error_message",
    "markdown_table",
]


@dataclass(frozen=True)
class Stated:
    """A number a section states: its value (the library's, unrounded) and display format."""

    value: Any
    fmt: str

    @property
    def text(self) -> str:
        """The number as the report shows it."""
        return format_value(self.value, self.fmt)


@dataclass(frozen=True)
class Failure:
    """A table, figure or section that could not be computed."""

    kind: Literal["table", "figure", "section", "finding"]
    id: str
    title: str
    message: str
    #: The analysis it needs is not in this version of dtsim (not an error of the input).
    unavailable: bool = False

    def note(self) -> str:
        """The Markdown note written where the item would have been."""
        from dtsim.report.render import text_md

        what = f"{self.kind} `{self.id}` ({text_md(self.title)})"
        if self.unavailable:
            return f"> **Not yet available:** {what} needs an analysis that this version of dtsim lacks: {self.message}"
        return f"> **Not computed:** {what}: {text_md(self.message)}"


@dataclass(frozen=True)
class SectionContent:
    """A section's Markdown body (without its heading), figures, stated numbers, tables and
    failures."""

    markdown: str
    figures: dict[str, tuple[str, str]] = field(default_factory=dict)
    numbers: dict[str, Stated] = field(default_factory=dict)
    tables: tuple[Table, ...] = ()
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True)
class Section:
    """One entry of the section registry (``dtsim.report.sections.SECTIONS``).

    ``name`` is the anchor; ``answers`` the question the section answers (shown in the table of
    contents); ``build`` computes the content; ``reports`` says which reports include it:
    ``bundled`` (the governance report) and/or ``custom`` (a report of one's own tables)."""

    name: str
    title: str
    answers: str
    build: Callable[[ReportContext], SectionContent]
    reports: frozenset[str] = frozenset({"bundled"})
    #: Called for every section of the report before any is built: hands long independent work
    #: to the context's worker processes (``ReportContext.pool``), which ``build`` then collects.
    start: Callable[[ReportContext], None] | None = None


@dataclass
class ReportContext:
    """What section builders share: the table specs, the overrides, the stamp date, the analysis
    cache, options, and memos so that a number computed for one section (the summary reads the
    uncertainty section's) is computed once."""

    specs: list[TableSpec]
    overrides: dict[str, Any]
    date: dt.date
    bundled: bool = True
    figures: bool = True
    uncertainty_file: Path | None = None
    uncertainty_samples: int | None = None
    #: Processes for the long independent searches (the published paper's section), and their
    #: pool while the report is built (None: none; the work runs in this process).
    workers: int = 1
    pool: Workers | None = None
    cache: AnalysisCache = field(default_factory=AnalysisCache)
    _memo: dict[str, Any] = field(default_factory=dict)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per report under ``key``; a DtsimError is remembered and raised
        again to every caller."""
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except DtsimError as exc:
                self._memo[key] = exc
        value = self._memo[key]
        if isinstance(value, DtsimError):
            raise value
        return value

    def table(self, spec: TableSpec) -> Table | Failure:
        """The computed table, or its failure (named by id and title): an infeasible scenario, a
        scenario rule the assumptions break, an analysis this version lacks. A malformed table
        specification (``TableSpecError``) is raised: the report refuses it whole."""

        def compute() -> Table | Failure:
            try:
                return build_table(spec, self.overrides, self.cache)
            except UnavailableAnalysis as exc:
                return Failure("table", spec.id, self.title_of(spec), f"`{exc.name}`", unavailable=True)
            except TableSpecError:
                raise
            except DtsimError as exc:
                return Failure("table", spec.id, self.title_of(spec), error_message(exc))

        result: Table | Failure = self.memo(f"table:{spec.id}", compute)
        return result

    def title_of(self, spec: TableSpec) -> str:
        """A table's title with its template filled in (as written when it cannot be)."""
        from dtsim.report.tables import merge_scenario
        from dtsim.report.templates import TemplateScope, render_template

        try:
            return render_template(spec.title, TemplateScope(merge_scenario(spec.base, self.overrides)), field="title")
        except DtsimError:
            return spec.title

    def tables_of(self, section: str | None) -> list[TableSpec]:
        """The table specs that belong to a section, in file order."""
        return [spec for spec in self.specs if spec.section == section]

    @property
    def seed_comparable(self) -> bool:
        """Whether the seed documents' values apply: no assumption was changed."""
        return not self.overrides


def error_message(exc: DtsimError) -> str:
    """An error's one line without the file it names (the report names the table instead)."""
    text = str(exc)
    source = getattr(exc, "source", None)
    return text.removeprefix(f"{source}: ") if source else text


def markdown_table(
    header: list[str], rows: list[list[str]], numeric: list[bool] | tuple[bool, ...] | None = None
) -> list[str]:
    """A Markdown table: text columns left, number columns right (``numeric``)."""
    numeric = list(numeric) if numeric is not None else [False] * len(header)
    out = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    out.append("|" + "|".join("--:" if n else ":--" for n in numeric) + "|")
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def stated_numbers(prefix: str, numbers: Mapping[str, Stated]) -> dict[str, Stated]:
    """``numbers`` with keys prefixed (``prefix.key``)."""
    return {f"{prefix}.{key}": value for key, value in numbers.items()}


def computed_table(
    table_id: str,
    title: str,
    source: str,
    header: list[str],
    rows: list[tuple[str, list[Stated]]],
    notes: tuple[str, ...] = (),
) -> Table:
    """A table computed by a section builder (not from a table specification), rendered like
    the others: one row per (label, stated values), a column numeric when its format is."""
    from dtsim.report.formats import NUMERIC_FORMATS
    from dtsim.report.tables import Cell

    spec = TableSpec(id=table_id, title=title, source=source, rows=[], columns=[])
    cells = [[Cell(label, label), *(Cell(s.text, s.value) for s in values)] for label, values in rows]
    formats = [s.fmt for s in rows[0][1]] if rows else ["text"] * (len(header) - 1)
    numeric = (False, *(fmt in NUMERIC_FORMATS for fmt in formats))
    return Table(spec, header, cells, title, notes, numeric)
