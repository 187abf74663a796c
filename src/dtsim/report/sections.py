"""The report's sections, in order: the section registry.

``SECTIONS`` lists every section a report can hold. Each entry is a ``Section`` (name = anchor,
title, the question it answers, a builder ``(ReportContext) -> SectionContent`` and which
reports include it). The governance report (the bundled tables) holds the ``bundled`` sections;
a report of one's own ``--scenarios`` holds the ``custom`` ones (no seed boilerplate).

Adding a section is one entry here::

    Section(
        "validation",
        "How well does dtsim predict real runs?",
        "predicted against measured throughput and loss of published runs",
        build=lambda ctx: SectionContent(markdown, figures, numbers),
    )

The builder returns Markdown without the section heading (sub-headings at ``###``), figures
referenced as ``![caption](figures/NAME.svg)`` and returned as ``{NAME: (caption, svg)}``, and
the numbers it states (``Stated(value, fmt)``), which the tests hold against the library. A
builder that raises ``DtsimError`` leaves a named note in its place; the rest is written.
"""

from __future__ import annotations

import re

from dtsim.report.assumptions import assumptions_section
from dtsim.report.content import Failure, ReportContext, Section, SectionContent, error_message
from dtsim.report.figures import FIGURES, render_figure
from dtsim.report.paper import ANSWERS as PAPER_ANSWERS
from dtsim.report.paper import TITLE as PAPER_TITLE
from dtsim.report.paper import report_section as paper_content
from dtsim.report.paper import start_section as paper_start
from dtsim.report.reliability import failures_section
from dtsim.report.render import figure_markdown, table_markdown, text_md
from dtsim.report.spec import TableSpec
from dtsim.report.summary import summary_section
from dtsim.report.tables import Table
from dtsim.report.uncertainty import uncertainty_section

__all__ = [
    "SECTIONS",
    "align_tables",
    "anchor_headings",
    "figure_content",
    "models_section",
    "reproduction_section",
    "tables_content",
    "validation_content",
]

SEED_TITLES = {"001": "Seed 001 — Simulation notes (Scenarios 1-6)", "002": "Seed 002 — Governance analysis"}


def figure_content(ctx: ReportContext, name: str) -> tuple[list[str], dict[str, tuple[str, str]], list[Failure]]:
    """A figure's Markdown, the figure, or a failure note (an unknown name or an error)."""
    from dtsim.errors import DtsimError
    from dtsim.report.tables import UnavailableAnalysis

    spec = FIGURES.get(name)
    if spec is None:
        failure = Failure("figure", name, name, f"no such figure; known: {', '.join(FIGURES)}")
        return [failure.note(), ""], {}, [failure]
    if not ctx.figures:
        return [], {}, []

    def compute() -> tuple[str, str] | Failure:
        try:
            return spec.caption, render_figure(spec, ctx.overrides, ctx.cache)
        except UnavailableAnalysis as exc:
            return Failure("figure", name, spec.caption, f"`{exc.name}`", unavailable=True)
        except DtsimError as exc:
            return Failure("figure", name, spec.caption, error_message(exc))

    result = ctx.memo(f"figure:{name}", compute)
    if isinstance(result, Failure):
        return [result.note(), ""], {}, [result]
    return figure_markdown(name, result[0]), {name: result}, []


def tables_content(ctx: ReportContext, specs: list[TableSpec], *, level: int = 3) -> SectionContent:
    """Tables (each followed by its figures) as Markdown; failures named in place."""
    lines: list[str] = []
    figures: dict[str, tuple[str, str]] = {}
    tables: list[Table] = []
    failures: list[Failure] = []
    for spec in specs:
        table = ctx.table(spec)
        if isinstance(table, Failure):
            lines += [f'{"#" * level} <a id="{spec.id}"></a>{text_md(table.title)}', "", table.note(), ""]
            failures.append(table)
        else:
            lines += table_markdown(table, level=level, marks=ctx.seed_comparable)
            tables.append(table)
        for name in spec.figures:
            md, figure, failed = figure_content(ctx, name)
            lines += md
            figures.update(figure)
            failures += failed
    return SectionContent("\n".join(lines), figures, {}, tuple(tables), tuple(failures))


def _merge(intro: list[str], *parts: SectionContent) -> SectionContent:
    markdown = "\n".join([*intro, *(p.markdown for p in parts)])
    figures = {k: v for p in parts for k, v in p.figures.items()}
    numbers = {k: v for p in parts for k, v in p.numbers.items()}
    tables = tuple(t for p in parts for t in p.tables)
    failures = tuple(f for p in parts for f in p.failures)
    return SectionContent(markdown, figures, numbers, tables, failures)


def models_section(ctx: ReportContext) -> SectionContent:
    """ "Seed model vs revised model": the headline tables under both models, the minimum cost."""
    intro = [
        "The seed documents' model (`physics: seed`, model.md) and the revised model of the same "
        "research repository (`physics: revised`, variants.md §12) answer the headline questions side "
        "by side. The revised model changes the defaults of the replica penalty (a loss multiplier from "
        "the DiLoCo scaling laws), the compression tables (150x with error feedback), the straggler "
        "model (relay), the activation table, the 2026 prices and the reference node (50 × A100, the "
        "largest A100 node under 16 H100-eq). Any key given explicitly applies to both.",
        "",
    ]
    return _merge(intro, tables_content(ctx, ctx.tables_of("models")))


def reproduction_section(ctx: ReportContext) -> SectionContent:
    """ "Reproduction of the seed documents": every seed table, grouped by seed document."""
    intro = [
        "Every table of the two seed documents, recomputed from the seeds' own assumptions (the seed "
        "model). Each table names its source section. "
        + (
            f"Cells marked {'†'} differ from what the seeds print; the [appendix](#errata) says why."
            if ctx.seed_comparable
            else "**Seed comparison: not applicable.** Assumptions were changed for this report "
            f"({_changed(ctx)}), so these tables no longer reproduce the seeds' numbers; the seed "
            "comparison marks and the errata are withheld."
        ),
        "",
    ]
    parts = []
    specs = [spec for spec in ctx.tables_of(None)]
    order = {"001": 0, "002": 1}
    specs.sort(key=lambda s: order.get(s.seed, 2))
    current = None
    group: list[TableSpec] = []
    groups: list[tuple[str, list[TableSpec]]] = []
    for spec in specs:
        if spec.seed != current:
            current = spec.seed
            group = []
            groups.append((current, group))
        group.append(spec)
    for seed, members in groups:
        anchor = f"seed-{seed}"
        head = SectionContent(f'### <a id="{anchor}"></a>{SEED_TITLES.get(seed, seed)}\n')
        parts += [head, tables_content(ctx, members, level=4)]
    return _merge(intro, *parts)


def custom_tables_section(ctx: ReportContext) -> SectionContent:
    """The tables of a custom report, in file order."""
    return tables_content(ctx, ctx.tables_of(None))


def errata_section(ctx: ReportContext) -> SectionContent:
    """The appendix of cells the seeds print differently (built from the reproduction tables)."""
    from dtsim.report.content import markdown_table
    from dtsim.report.render import errata_rows

    lines = [
        "Cells where the seeds print a value that their own formulas do not give. dtsim shows the "
        "formula value; `docs/errata.md` explains each.",
        "",
    ]
    if not ctx.seed_comparable:
        lines += [
            f"**Not applicable:** assumptions were changed for this report ({_changed(ctx)}); the seeds' "
            "values are for their own assumptions.",
            "",
        ]
        return SectionContent("\n".join(lines))
    tables = [t for spec in ctx.tables_of(None) if isinstance(t := ctx.table(spec), Table)]
    lines += markdown_table(["Source", "Row", "Column", "Seed prints", "dtsim", "Why"], errata_rows(tables))
    return SectionContent("\n".join([*lines, ""]))


_NUMERIC_CELL = re.compile(r"^(?:[−+~-]?\$?[\d.,]+|—|)(?:\s|%|x|×|$)")


def align_tables(markdown: str) -> str:
    """Markdown tables of a section built elsewhere with numbers right-aligned: a column whose
    every body cell starts with a number (or is empty or —) gets ``--:``, the others ``:--``."""
    lines = markdown.split("\n")
    out = list(lines)
    i = 0
    while i < len(lines) - 1:
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            end = i + 2
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            rows = [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])] for line in lines[i + 2 : end]]
            width = len(lines[i + 1].strip().strip("|").split("|"))
            numeric = [j > 0 and all(_NUMERIC_CELL.match(r[j]) for r in rows if j < len(r)) for j in range(width)]
            out[i + 1] = "|" + "|".join("--:" if n else ":--" for n in numeric) + "|"
            i = end
        else:
            i += 1
    return "\n".join(out)


def anchor_headings(markdown: str, prefix: str) -> str:
    """``### Title`` headings of a section built elsewhere given anchors (``prefix-title``), so
    that the contents list them."""

    def anchored(match: re.Match[str]) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", match.group(2).lower()).strip("-")
        return f'{match.group(1)} <a id="{prefix}-{slug}"></a>{match.group(2)}'

    return re.sub(r"^(###) (?!<a id=)(.+)$", anchored, markdown, flags=re.M)


def validation_content(ctx: ReportContext) -> SectionContent:
    """ "How well does dtsim predict real runs?" (``dtsim.report.validation``): published runs
    against dtsim's predictions, with their own configurations."""
    from dtsim.report.figures import prefix_svg_ids
    from dtsim.report.validation import validation_section

    section = validation_section(heading_level=2)
    body = section.markdown.split("\n", 1)[1] if section.markdown.startswith("## ") else section.markdown
    body = anchor_headings(align_tables(body.strip("\n")), "validation")
    if ctx.overrides:
        body = (
            "Each published run is computed with its own configuration: the assumptions changed for "
            "this report do not apply here.\n\n" + body
        )
    figures = {}
    for name, svg in section.figures.items():
        alt = re.search(rf"!\[([^\]]*)\]\(figures/{re.escape(name)}\.svg\)", body)
        figures[name] = (alt.group(1) if alt else name, prefix_svg_ids(svg, name))
    return SectionContent(body + "\n", figures)


def _changed(ctx: ReportContext) -> str:
    return ", ".join(f"`{k}={v}`" for k, v in ctx.overrides.items())


#: Every section, in report order.
SECTIONS: tuple[Section, ...] = (
    Section(
        "summary",
        "Summary of findings",
        "what the numbers say, each computed by dtsim",
        summary_section,
    ),
    Section(
        "assumptions",
        "Assumptions",
        "the defaults every number rests on, and their sources",
        assumptions_section,
        frozenset({"bundled", "custom"}),
    ),
    Section(
        "tables",
        "Tables",
        "the tables of this report's scenario files",
        custom_tables_section,
        frozenset({"custom"}),
    ),
    Section(
        "models",
        "Seed model vs revised model",
        "how the headline answers change under the revised model, and the minimum cost of a target",
        models_section,
    ),
    Section(
        "uncertainty",
        "How uncertain is the headline?",
        "the spread of the 72-node answer, the odds of crossing 10^25, what it hinges on",
        uncertainty_section,
    ),
    Section(
        "failures",
        "Failures and mitigation",
        "what hardware failures and slow nodes cost a fleet, by mitigation strategy",
        failures_section,
    ),
    Section(
        "validation",
        "How well does dtsim predict real runs?",
        "dtsim's predictions against published decentralized training runs",
        validation_content,
    ),
    Section("paper", PAPER_TITLE, PAPER_ANSWERS, paper_content, start=paper_start),
    Section(
        "reproduction",
        "Reproduction of the seed documents",
        "every table of the two seed documents, recomputed",
        reproduction_section,
    ),
    Section(
        "errata",
        "Appendix: errata",
        "where the seeds print a value their own formulas do not give",
        errata_section,
    ),
)
