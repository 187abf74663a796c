"""Report section "Assumptions": the defaults every number rests on, under the seed and the
revised model, with their sources.

Nothing is retyped: the rows are the fields that ``data/report/assumptions.yaml`` names, and
each value is what the field registry's defaults give for the reference case of each model
(``dtsim.normalize``: presets, the reference node, precision-dependent widths), the label and
description are the registry's, GPU prices are the catalogue's. Only the sources are written in
the data file. With ``--set``, a column shows the values of this report.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from dtsim.fields import FIELDS, FieldSpec
from dtsim.loading import parse_documents
from dtsim.physics.hardware import gpu_catalogue
from dtsim.report.content import ReportContext, SectionContent, markdown_table
from dtsim.report.formats import money, scientific
from dtsim.report.render import text_md
from dtsim.report.tables import merge_scenario
from dtsim.report.templates import resolved_fields

__all__ = ["assumption_rows", "assumptions_section", "value_text"]


def _groups() -> list[dict[str, Any]]:
    text = resources.files("dtsim.data").joinpath("report").joinpath("assumptions.yaml").read_text("utf-8")
    ((_, document),) = parse_documents(text, ".yaml", "assumptions.yaml")
    groups: list[dict[str, Any]] = document["assumptions"]
    return groups


def value_text(value: Any, spec: FieldSpec) -> str:
    """A field value as the table shows it, with its unit."""
    if value is None:
        if spec.default is not None:
            return value_text(spec.default, spec)
        return spec.default_text or "—"
    if isinstance(value, bool) or (spec.kind == "boolean" and value in (0.0, 1.0)):
        return "true" if value else "false"
    if isinstance(value, float | int):
        shown = scientific(float(value)) if value and not 1e-3 <= abs(value) < 1e7 else f"{value:,g}"
        unit = spec.unit if spec.unit and spec.unit not in ("×",) else ""
        if spec.unit == "×":
            return f"{shown}x"
        return f"{shown} {unit}".strip()
    return f"`{value}`"


def assumption_rows(overrides: dict[str, Any] | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the assumptions table (group rows in bold)."""
    seed, revised = (resolved_fields({"nodes": 1, "physics": physics}) for physics in ("seed", "revised"))
    current = resolved_fields(merge_scenario({"nodes": 1}, overrides)) if overrides else None
    header = ["Assumption", "Field", "Seed model", "Revised model"]
    if current is not None:
        header.append("This report")
    header.append("Source")
    rows: list[list[str]] = []
    listed: set[str] = set()

    def row(label: str, field: str, a: str, b: str, c: str | None, source: str) -> None:
        cells = [label, field, a, b if b != a else "same"]
        if current is not None:
            cells.append(c if c is not None and c != a else "")
        cells.append(source)
        rows.append(cells)

    for group in _groups():
        rows.append([f"**{text_md(group['group'])}**", *[""] * (len(header) - 1)])
        for entry in group.get("fields", []):
            spec = FIELDS[entry["path"]]
            listed.add(spec.path)
            label = text_md(spec.description)
            row(
                label,
                f"`{spec.path}`",
                text_md(value_text(seed[spec.path], spec)),
                text_md(value_text(revised[spec.path], spec)),
                text_md(value_text(current[spec.path], spec)) if current is not None else None,
                text_md(entry["source"]),
            )
        for gpu in group.get("prices", []):
            item = gpu_catalogue()[gpu]
            table_seed = item.price_usd("seed")
            table_2026 = item.price_usd("2026")
            row(
                f"Price of one {gpu} (catalogue node cost = GPUs × price)",
                "`hardware.prices`",
                money(table_seed) if table_seed is not None else "—",
                money(table_2026) if table_2026 is not None else "—",
                None,
                text_md(item.source),
            )
    extra = [path for path in (overrides or {}) if path not in listed and path in FIELDS]
    if extra and current is not None:
        rows.append([f"**{text_md('Other fields changed for this report')}**", *[""] * (len(header) - 1)])
        for path in extra:
            spec = FIELDS[path]
            row(
                text_md(spec.description),
                f"`{path}`",
                text_md(value_text(seed[path], spec)),
                text_md(value_text(revised[path], spec)),
                text_md(value_text(current[path], spec)),
                "`--set`",
            )
    return header, rows


def assumptions_section(ctx: ReportContext) -> SectionContent:
    """The assumptions table: seed and revised defaults, this report's values, sources."""
    header, rows = assumption_rows(ctx.overrides or None)
    lines = [
        "The defaults of the scenario fields the headline numbers rest on, for the reference case of each "
        "model (hardware omitted: the model's reference node). A table that sets a field itself says so in "
        "its title or row. Values and descriptions come from dtsim's field registry; `model.md` and "
        "`variants.md` are dtsim's model specifications, and the seed documents are cited by section.",
        "",
        *markdown_table(header, rows),
        "",
    ]
    return SectionContent("\n".join(lines))
