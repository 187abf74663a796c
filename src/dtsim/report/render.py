"""Render the report: Markdown is the one source, and the self-contained HTML page is that
Markdown rendered by markdown-it-py, with every figure inlined as SVG, tables that scroll
sideways on a narrow screen, and a style sheet for screens and for print.

Text columns are left-aligned and number columns right-aligned by the Markdown table itself;
scientific notation carries real superscripts (``10<sup>25</sup>``) in both outputs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from dtsim.report.content import markdown_table
from dtsim.report.tables import Cell, Table

__all__ = [
    "ERRATUM_MARK",
    "errata_rows",
    "figure_markdown",
    "markdown_to_html",
    "superscript_powers",
    "table_markdown",
    "text_md",
]

ERRATUM_MARK = "†"
_POWER = re.compile(r"10\^(-?\d+)")


def text_md(text: str) -> str:
    """Text for the Markdown (and so the HTML) report: HTML special characters escaped, except
    the superscripts the formats write, and every ``10^25`` written ``10<sup>25</sup>``."""
    escaped = html.escape(text, quote=False).replace("&lt;sup&gt;", "<sup>").replace("&lt;/sup&gt;", "</sup>")
    return superscript_powers(escaped)


def superscript_powers(text: str) -> str:
    """Every ``10^25`` in ``text`` written ``10<sup>25</sup>`` (the rest unchanged)."""
    return _POWER.sub(r"10<sup>\1</sup>", text)


def plain(text: str) -> str:
    """Text without markup: superscripts back to ``10^25`` (alt texts, messages)."""
    return re.sub(r"<sup>(-?\d+)</sup>", r"^\1", text)


def _cell_md(cell: Cell, marks: bool) -> str:
    text = text_md(cell.text)
    return text + ERRATUM_MARK if marks and cell.seed_text is not None else text


def table_markdown(table: Table, *, level: int = 3, marks: bool = True) -> list[str]:
    """A computed table: heading with its anchor (the table id), source line, the table, notes.
    ``marks``: flag cells the seeds print differently (†)."""
    spec = table.spec
    out = [
        f'{"#" * level} <a id="{spec.id}"></a>{text_md(table.title)}',
        "",
        f"*Source: {text_md(spec.source)} · table `{spec.id}`*",
        "",
    ]
    numeric = list(table.numeric) if table.numeric else [False] * len(table.header)
    out += markdown_table(
        [text_md(h) for h in table.header], [[_cell_md(c, marks) for c in cells] for cells in table.rows], numeric
    )
    out.append("")
    if table.notes:
        out += [f"- {text_md(note)}" for note in table.notes]
        out.append("")
    return out


def figure_markdown(name: str, caption: str) -> list[str]:
    """A figure reference with its caption: the image and the caption in one paragraph."""
    return [f"![{plain(caption)}](figures/{name}.svg)", f"*{text_md(caption)}*", ""]


def errata_rows(tables: Sequence[Table]) -> list[list[str]]:
    """Cells the seeds print differently: source, row, column, seed text, dtsim text, why."""
    rows = []
    for table in tables:
        for cells in table.rows:
            for header, cell in zip(table.header[1:], cells[1:], strict=True):
                if cell.seed_text is not None:
                    rows.append(
                        [
                            text_md(table.spec.source),
                            text_md(cells[0].text),
                            text_md(header),
                            text_md(cell.seed_text),
                            text_md(cell.text),
                            text_md(cell.seed_note or ""),
                        ]
                    )
    return rows


_CSS = """
:root{--ink:#1d1d1f;--muted:#5f6368;--rule:#d0d4d9;--head:#f3f5f7;--accent:#0072B2;--mark:#fff3cd}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:var(--ink);max-width:76rem;margin:0 auto;padding:1.5rem 2rem 4rem}
h1{font-size:1.8rem;margin:.2rem 0 .3rem}h2{font-size:1.4rem;margin-top:2.6rem;padding-top:.6rem;
 border-top:2px solid var(--rule)}h3{font-size:1.12rem;margin-top:2rem}h4{font-size:1rem;margin-top:1.6rem}
a{color:var(--accent)}code{font-size:.88em;background:#f4f4f4;padding:0 .2em;border-radius:3px}
blockquote{margin:1rem 0;padding:.6rem 1rem;border-left:4px solid #E69F00;background:#fdf6e8}
blockquote p{margin:.2rem 0}
.table-wrap{overflow-x:auto;margin:.4rem 0 1.2rem}
table{border-collapse:collapse;font-size:.86rem;font-variant-numeric:tabular-nums}
th,td{border:1px solid var(--rule);padding:.25rem .55rem;vertical-align:top}
th{background:var(--head);font-weight:600}
td:first-child{min-width:9rem}
td.erratum{background:var(--mark)}
sup{font-size:.72em;line-height:0}
p em:only-child{color:var(--muted)}
figure{margin:1.2rem 0 2rem}
figure svg{width:100%;max-width:60rem;height:auto;display:block}
figcaption{color:var(--muted);font-size:.9rem;margin-top:.3rem}
.stamp{color:var(--muted);margin-top:0}
nav ul{columns:2;column-gap:2.5rem}
@media (max-width:800px){body{padding:1rem}nav ul{columns:1}}
@media print{
 body{font-size:10pt;max-width:none;padding:0}
 h2{break-before:page;border-top:none}
 h2:nth-of-type(1),h2:nth-of-type(2){break-before:auto}
 h2,h3,h4{break-after:avoid}
 table,figure,blockquote{break-inside:avoid}
 .table-wrap{overflow:visible}
 a{color:inherit;text-decoration:none}
 nav ul{columns:2}
}
"""


def _figure_html(name: str, caption_html: str, svg: str) -> str:
    body = svg[svg.index("<svg") :]
    return f'<figure id="figure-{name}">{body}<figcaption>{caption_html}</figcaption></figure>\n'


def markdown_to_html(text: str, figures: Mapping[str, tuple[str, str]], title: str) -> str:
    """The report as one self-contained HTML page: ``text`` rendered, figures inlined."""
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.token import Token

    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    html_renderer = cast(RendererHTML, md.renderer)
    tokens = md.parse(text)
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        figure = _figure_paragraph(tokens, i)
        if figure is not None and figure in figures:
            inline = tokens[i + 1]
            children = inline.children or []
            caption = html_renderer.renderInline(children[1:], md.options, {}).strip()
            caption = caption.removeprefix("<br />").strip() or text_md(children[0].content)
            block = Token("html_block", "", 0)
            block.content = _figure_html(figure, caption, figures[figure][1])
            out.append(block)
            i += 3
            continue
        out.append(token)
        i += 1

    def table_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return '<div class="table-wrap"><table>\n'

    def table_close(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        return "</table></div>\n"

    def td_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if ERRATUM_MARK in tokens[idx + 1].content:
            token.attrJoin("class", "erratum")
        rendered: str = renderer.renderToken(tokens, idx, options, env)
        return rendered

    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
    md.add_render_rule("td_open", td_open)
    body = md.renderer.render(out, md.options, {})
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style></head><body>\n{body}</body></html>\n"
    )


def _figure_paragraph(tokens: Sequence[Any], i: int) -> str | None:
    """The figure name when tokens[i:i+3] is a paragraph that starts with ``figures/NAME.svg``."""
    if tokens[i].type != "paragraph_open" or i + 2 >= len(tokens):
        return None
    children = tokens[i + 1].children or []
    if not children or children[0].type != "image":
        return None
    match = re.fullmatch(r"figures/(.+)\.svg", str(children[0].attrGet("src") or ""))
    return match.group(1) if match else None
