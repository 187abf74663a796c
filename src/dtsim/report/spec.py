"""Report table specifications: YAML files (bundled in ``dtsim/data/report/``, one per seed scenario or
table family). A table is a base scenario, rows (each overriding fields or naming an
analysis) and columns (a result key, where it comes from, and its display format).

Titles, row labels, column headers and notes are templates (``dtsim.report.templates``): a
value they state is written as a field of the scenario (``{network.wan.bandwidth_mbps:g} Mbps``),
so that changed assumptions rewrite it. A table belongs to the report section named by
``section`` (default: the reproduction of the seed documents, or the tables of a custom report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from dtsim.errors import MISSING, ScenarioError
from dtsim.loading import load_documents
from dtsim.report.formats import FORMATS

__all__ = ["Column", "Row", "TableSpec", "TableSpecError", "load_table_specs"]


class TableSpecError(ScenarioError):
    """A table specification that cannot work whatever the assumptions: a result key it reads
    does not exist, arithmetic on a value that is not a number, a template naming no field. The
    report refuses it whole (naming the file and the table) rather than writing around it."""

    def at(self, source: str) -> TableSpecError:
        return self if self.source else TableSpecError(self.field, self.value, self.allowed, source=source)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Column(_Spec):
    """One column: ``key`` (dotted) of the row's result, or of ``analysis`` run on the row."""

    header: str
    key: str
    format: str = "text"
    analysis: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    #: Evaluate the row's scenario with these fields changed (dotted paths); a column-level
    #: analysis receives the changed scenario.
    set: dict[str, Any] = Field(default_factory=dict)
    #: Multiply the value by another key of the same source (``inner_steps`` × ``step_compute_s``).
    times: str | None = None
    #: Divide the value by another key of the same source (tokens per ``params``).
    per: str | None = None
    #: Multiply the value by a constant (25.6 × params = Chinchilla tokens).
    scale: float = 1.0
    #: Divide by the best (largest) value of this column, or by the row re-run with ``relative_set``.
    relative: Literal["best"] | None = None
    relative_set: dict[str, Any] | None = None
    #: Acceptance mapping: the fidelity case is the row's ``case`` with ``case_suffix`` at its
    #: ``{col}`` placeholder, or appended.
    case_suffix: str = ""
    case_key: str | None = None

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"unknown format; allowed: {', '.join(FORMATS)}")
        return value


class Row(_Spec):
    """One row: scenario overrides (``set``, dotted paths) and/or a row-level analysis."""

    label: str
    set: dict[str, Any] = Field(default_factory=dict)
    analysis: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    case: str | None = None
    #: Metric tables (one value per row): the row's own result key and display format.
    key: str | None = None
    format: str | None = None
    #: Cells the seed prints differently from dtsim: column header → (seed text, why).
    seed: dict[str, list[str]] = Field(default_factory=dict)
    #: Arguments added to every column-level analysis of this row (a target per row).
    column_args: dict[str, Any] = Field(default_factory=dict)


class TableSpec(_Spec):
    """A report table, titled with its seed section."""

    id: str
    title: str
    source: str
    label_header: str = ""
    base: dict[str, Any] | None = None
    rows: list[Row]
    columns: list[Column]
    notes: list[str] = Field(default_factory=list)
    #: The report section the table belongs to (``None``: the seed reproduction, or the tables
    #: of a custom report).
    section: str | None = None
    #: Figures shown after the table (names of ``dtsim.report.figures.FIGURES``).
    figures: list[str] = Field(default_factory=list)
    #: The file the table was read from (for messages).
    _file: str | None = PrivateAttr(default=None)

    @property
    def where(self) -> str:
        """``file: table ID``, naming the table in messages."""
        return f"{self._file}: table {self.id}" if self._file else f"table {self.id}"

    @property
    def seed(self) -> str:
        """``001`` or ``002``: which seed document the table comes from."""
        return self.source.split()[0]


def load_table_specs(paths: list[Path]) -> list[TableSpec]:
    """Read table specs from YAML files (each a mapping with a ``tables:`` list), in order;
    every problem is a one-line ``ScenarioError`` naming the file and the table."""
    specs: list[TableSpec] = []
    for path in paths:
        for source, doc in load_documents(path, what="report table file"):
            if not isinstance(doc, dict) or "tables" not in doc:
                raise ScenarioError(
                    "tables", MISSING, "a report file is a mapping with a `tables:` list", source=source
                )
            tables = doc["tables"]
            if not isinstance(tables, list):
                raise ScenarioError("tables", tables, "expected a list of tables", source=source)
            for i, table in enumerate(tables):
                try:
                    spec = TableSpec.model_validate(table)
                except ValidationError as exc:
                    err = exc.errors(include_url=False)[0]
                    field = ".".join(str(p) for p in err["loc"])
                    message = err["msg"].removeprefix("Value error, ")
                    name = table.get("id") if isinstance(table, dict) and isinstance(table.get("id"), str) else i
                    raise ScenarioError(
                        f"tables[{i}].{field}" if field else f"tables[{i}]",
                        err.get("input", MISSING),
                        message,
                        source=f"{source}: table {name}",
                    ) from None
                spec._file = source
                specs.append(spec)
    ids = [s.id for s in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ScenarioError("tables.id", duplicates, "table ids must be unique")
    return specs
