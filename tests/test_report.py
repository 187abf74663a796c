"""`dtsim report`: every mapped Markdown cell checked against the seed cases; the summary, whose
every number equals the library value it states; the assumptions, contents and stamp; the seed
model against the revised model; uncertainty and failures tables equal to the library; titles
rewritten by --set; a failing table named while the rest is written; SVG text and unique ids;
byte-identical reruns."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from typer.testing import CliRunner

import dtsim
from conftest import ROOT, fidelity_cases
from dtsim.analyses import ANALYSES
from dtsim.cli import app
from dtsim.fields import FIELDS
from dtsim.montecarlo import load_config
from dtsim.montecarlo import run as uncertainty_run
from dtsim.report import Report, build_report, bundled_tables, report_date, table_spec_files, write_built_report
from dtsim.report.figures import FIGURES
from dtsim.report.formats import format_value, money
from dtsim.report.reliability import goodput_table
from dtsim.report.sections import SECTIONS
from dtsim.report.spec import TableSpec, load_table_specs
from dtsim.report.tables import Table

runner = CliRunner()
SPECS = load_table_specs(table_spec_files(bundled_tables()))
CASES = {c["id"]: c for c in fidelity_cases()}
DATE = "2026-01-15"
#: Monte Carlo samples of the uncertainty section in these tests (the report's default is the set's own).
SAMPLES = 1_000
HAS_CHEAPEST = "cheapest_config" in ANALYSES


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    """The full governance report, built once through the API and written."""
    out = tmp_path_factory.mktemp("report")
    report = build_report(SPECS, date=DATE, uncertainty_samples=SAMPLES)
    write_built_report(out, report)
    return report, out


@pytest.fixture(scope="module")
def report(built: tuple[Report, Path]) -> Report:
    return built[0]


@pytest.fixture(scope="module")
def report_dir(built: tuple[Report, Path]) -> Path:
    return built[1]


@pytest.fixture(scope="module")
def markdown(report_dir: Path) -> str:
    return (report_dir / "report.md").read_text("utf-8")


def markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Tables of the report by table id (the anchor of their heading): rows of cell texts,
    header first."""
    tables: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        heading = re.match(r'^#+ <a id="([^"]+)"></a>', line)
        if heading:
            current = heading.group(1)
            tables[current] = []
        elif line.startswith("|") and current is not None and not re.match(r"^\|(:?-+:?\|)+$", line):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            tables[current].append(cells)
    return {k: v for k, v in tables.items() if v}


def table(report: Report, table_id: str) -> Table:
    return next(t for t in report.tables if t.spec.id == table_id)


def column(t: Table, header_start: str) -> int:
    return next(i for i, h in enumerate(t.header) if h.startswith(header_start))


def row(t: Table, label: str) -> list[Any]:
    cells = next(cells for cells in t.rows if cells[0].text == label)
    return [c.value for c in cells]


_SCALE = {"params": 1e9, "tokens": 1e12}


def parse_cell(text: str, fmt: str) -> tuple[Any, float]:
    """(value, half a unit of the last shown digit) of a displayed cell."""
    text = text.rstrip("†").lstrip("~").strip()
    if fmt == "yesno":
        return text == "Yes", 0.0
    if fmt == "mode":
        return {"DiLoCo": "diloco", "PP-DiLoCo": "pp-diloco", "Hierarchical": "hierarchical", "MoE+EP": "moe-ep"}[
            text
        ], 0.0
    if fmt == "text":
        return text, 0.0
    if fmt == "delta_pct" and text == "baseline":
        return 1.0, 0.005
    if fmt in ("e", "sci"):
        mantissa, exponent = re.fullmatch(r"(-?[\d.]+) × 10<sup>(-?\d+)</sup>", text).groups()  # type: ignore[union-attr]
        scale = 10.0 ** int(exponent)
        return float(mantissa) * scale, 0.5 * 10.0 ** -_decimals(mantissa) * scale
    number = re.search(r"[−+-]?[\d,]*\.?\d+", text)
    assert number, text
    digits = number.group().replace(",", "").replace("−", "-")
    half = 0.5 * 10.0 ** -_decimals(digits)
    value = float(digits)
    if fmt.startswith("usd"):
        scale = 1e9 if text.endswith("B") else 1e6 if text.endswith("M") else 1.0
        return value * scale, half * scale
    if fmt in _SCALE:
        return value * _SCALE[fmt], half * _SCALE[fmt]
    if fmt in ("pct", "pct1"):
        return value / 100, half / 100
    if fmt == "delta_pct":
        return 1 + value / 100, half / 100
    if fmt == "reduction":
        return 1 - value / 100, half / 100
    return value, half


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def _expected(spec: dict[str, Any]) -> tuple[Any, float]:
    if spec.get("reference_agrees") is False:
        return spec["reference_value"], 0.0
    if "lt" in spec or "gt" in spec:
        return None, 0.0
    if isinstance(spec["value"], str | bool):
        return spec["value"], 0.0
    if "log10_abs_tol" in spec:  # an order of magnitude ("10^26"): the tolerance is a factor
        return spec["value"], spec["value"] * (10 ** spec["log10_abs_tol"] - 1)
    return spec["value"], spec.get("abs_tol", 0.0) + spec.get("rel_tol", 0.0) * abs(spec["value"])


def _checked_cells(spec: TableSpec, rows: list[list[str]], computed: Table) -> list[tuple[str, str, Any, Any, float]]:
    """(case, key, shown, expected, tolerance) for every cell mapped to a seed case."""
    header, *body = rows
    assert header == [re.sub(r"10\^(-?\d+)", r"10<sup>\1</sup>", h) for h in computed.header], spec.id
    assert len(body) == len(spec.rows), spec.id
    out = []
    for row_spec, cells, computed_cells in zip(spec.rows, body, computed.rows, strict=True):
        assert cells[0] == re.sub(r"10\^(-?\d+)", r"10<sup>\1</sup>", computed_cells[0].text)
        for col, text in zip(spec.columns, cells[1:], strict=True):
            if row_spec.case is None:
                continue
            case_id = (
                row_spec.case.replace("{col}", col.case_suffix)
                if "{col}" in row_spec.case
                else row_spec.case + col.case_suffix
            )
            key = col.case_key or row_spec.key or col.key
            entry = CASES.get(case_id, {}).get("expected", {}).get(key)
            if entry is None:
                continue
            assert text.endswith("†") == (col.header in row_spec.seed), (spec.id, case_id, key, text)
            expected, tol = _expected(entry)
            if expected is None:
                continue
            shown, half = parse_cell(text, row_spec.format or col.format)
            out.append((case_id, key, shown, expected, tol + half))
    return out


# --------------------------------------------------------------------------------------------
# The seed tables


def test_every_mapped_cell_matches_the_seed_cases(report: Report, markdown: str) -> None:
    tables = markdown_tables(markdown)
    computed = {t.spec.id: t for t in report.tables}
    checked, failures = 0, []
    for spec in SPECS:
        if spec.section is not None:
            continue
        for case_id, key, shown, expected, tol in _checked_cells(spec, tables[spec.id], computed[spec.id]):
            checked += 1
            ok = (
                shown == expected
                if isinstance(expected, str | bool)
                else (math.isclose(shown, expected, rel_tol=1e-9, abs_tol=tol * (1 + 1e-9)))
            )
            if not ok:
                failures.append(f"{spec.id} {case_id} {key}: shows {shown!r}, want {expected!r} ± {tol:g}")
    assert not failures, "\n".join(failures)
    assert checked >= 745, f"only {checked} report cells map to seed cases"


def test_every_case_table_is_in_the_report() -> None:
    """Each seed table of the cases has a report table (prose cells excepted)."""
    mapped = {r.case.split("{")[0] for s in SPECS for r in s.rows if r.case}
    tables = {c["table"] for c in CASES.values() if c["kind"] == "table"}
    missing = [
        t
        for t in sorted(tables)
        if not any(any(cid.startswith(m) for m in mapped) for cid, c in CASES.items() if c["table"] == t)
    ]
    assert not missing


def test_every_cell_shows_its_value_in_the_one_style(report: Report) -> None:
    """Cells are format_value of their value; no second scientific or money style anywhere."""
    for t in report.tables:
        if t.spec.columns:
            for row_spec, cells in zip(t.spec.rows, t.rows, strict=True):
                for spec_col, cell in zip(t.spec.columns, cells[1:], strict=True):
                    assert cell.text == format_value(cell.value, row_spec.format or spec_col.format), (t.spec.id, cell)
        for cells in t.rows:
            for cell in cells[1:]:
                assert not re.search(r"\d\.\d+e[+-]?\d|x 10\^", cell.text), (t.spec.id, cell.text)
                for amount in re.findall(r"\$[^\s|,)]*[\d,]*\S*", cell.text):
                    assert re.fullmatch(r"\$(\d{1,3}(,\d{3})*|\d+(\.\d+)?[MB])", amount), amount
    assert money(3.6e6) == "$3.6M" and money(1.6506e9) == "$1.65B" and money(720_000) == "$720,000"
    assert format_value(1.7508e25, "sci") == "1.75 × 10<sup>25</sup>"


# --------------------------------------------------------------------------------------------
# Structure: stamp, summary, contents, assumptions, sections


def test_stamp_summary_and_contents(report: Report, markdown: str) -> None:
    head = markdown.split("## ", 1)[0]
    assert f"dtsim {dtsim.__version__}" in head and DATE in head and "model: seed" in head
    titles = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert titles[0].endswith("Summary of findings") and titles[1].endswith("Contents")
    expected = [s.title for s in SECTIONS if "bundled" in s.reports]
    assert [re.sub(r"<[^>]+>", "", t[3:]) for t in titles[2:]][: len(expected) - 1] == [
        t for t in expected if t != "Summary of findings"
    ]
    contents = markdown.split('<a id="contents"></a>Contents', 1)[1].split("\n## ", 1)[0]
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
    links = re.findall(r"\]\(#([^)]+)\)", contents)
    assert len(links) >= 20 and all(link in anchors for link in links)
    for section in SECTIONS:
        if "bundled" in section.reports:
            assert f"(#{section.name})" in contents


def test_rerun_is_byte_identical(report_dir: Path, tmp_path: Path) -> None:
    again = runner.invoke(app, ["report", "--out", str(tmp_path), "--date", DATE, "--samples", str(SAMPLES)])
    assert again.exit_code == 0, again.output
    for name in ("report.md", "report.html"):
        assert (tmp_path / name).read_bytes() == (report_dir / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == sorted(
        p.name for p in (report_dir / "figures").iterdir()
    )


def test_report_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert report_date().isoformat() == "2026-01-01"
    assert report_date("2025-12-31").isoformat() == "2025-12-31"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(dtsim.ScenarioError, match="SOURCE_DATE_EPOCH"):
        report_date()


def test_summary_numbers_equal_the_library(report: Report) -> None:
    numbers = report.numbers["summary"]
    text = report.section("summary").markdown
    for name, stated in numbers.items():
        assert stated.text in text, name
    for physics in ("seed", "revised"):
        base = {"strategy": "diloco", "physics": physics}
        fewest = dtsim.analyze("nodes_for_target", scenario=base, target=1e24)
        assert numbers[f"fewest_nodes_1e24.{physics}.nodes"].value == fewest["nodes"]
        assert numbers[f"fewest_nodes_1e24.{physics}.cost_usd"].value == fewest["cost_usd"]
        reference = dtsim.simulate({**base, "nodes": 72}).to_dict()
        for key in ("c_local", "c_quality", "params"):
            assert numbers[f"reference_72.{physics}.{key}"].value == reference[key]
        rows = {r["mitigation"]: r for r in goodput_table() if r["gpus"] == 200_000}
        for mitigation in ("synchronous", "checkpoint_elastic", "relay", "async"):
            assert numbers[f"failures.{mitigation}.goodput"].value == rows[mitigation]["goodput"]
    # variants.md §2.8 and §13.2: the reference case and the fewest nodes under each model
    assert numbers["reference_72.seed.c_local"].value == pytest.approx(1.75076e25, rel=1e-5)
    assert numbers["reference_72.revised.c_local"].value == pytest.approx(7.06116e24, rel=1e-5)
    assert numbers["reference_72.revised.c_quality"].value == pytest.approx(6.29386e24, rel=1e-5)
    assert numbers["fewest_nodes_1e24.revised.nodes"].value == 5
    assert numbers["fewest_nodes_1e24.revised.cost_usd"].value == 1.75e6
    assert numbers["fewest_nodes_1e24.seed.cost_usd"].value == 3.6e6


def test_summary_uncertainty_band_equals_the_library(report: Report) -> None:
    config = load_config(ROOT / "src" / "dtsim" / "data" / "uncertainty" / "default.yaml")
    result = uncertainty_run(
        config["scenario"],
        config["distributions"],
        samples=SAMPLES,
        seed=config["seed"],
        outputs=["c_quality", "c_local", "cost_usd"],
        correlations=config["correlations"],
    )
    numbers = report.numbers["summary"]
    assert numbers["uncertainty.samples"].value == SAMPLES
    for block in result.blocks:
        physics = block.choice["physics"]
        stats = block.outputs["c_quality"]
        assert numbers[f"uncertainty.{physics}.c_quality.p5"].value == 10**stats.p5
        assert numbers[f"uncertainty.{physics}.c_quality.p95"].value == 10**stats.p95
        assert numbers[f"uncertainty.{physics}.c_quality.exceed_1e25"].value == stats.exceed["1e+25"]
    assert numbers["uncertainty.seed.c_quality.exceed_1e25"].value > 0.9
    assert numbers["uncertainty.revised.c_quality.exceed_1e25"].value < 0.1


def test_minimum_cost_finding(report: Report) -> None:
    numbers = report.numbers["summary"]
    text = report.section("summary").markdown
    if not HAS_CHEAPEST:
        assert "Minimum cost of 10<sup>25</sup> quality-adjusted FLOP:** not yet available" in text
        assert any(f.id == "minimum_cost_1e25" and f.unavailable for f in report.failures)
        return
    for physics in ("seed", "revised"):
        winner = dtsim.analyze("cheapest_config", scenario={"physics": physics}, target=1e25)["winner"]
        assert numbers[f"minimum_cost_1e25.{physics}.cost_usd"].value == winner["cost_usd"]
        assert numbers[f"minimum_cost_1e25.{physics}.nodes"].value == winner["nodes"]
    # variants.md §13.1: hierarchical 250B, groups of 16, 300 nodes, $105.0M
    assert numbers["minimum_cost_1e25.revised.cost_usd"].value == pytest.approx(105.0e6, rel=1e-12)
    assert numbers["minimum_cost_1e25.revised.nodes"].value == 300


def test_assumptions_come_from_the_registry(report: Report) -> None:
    text = report.section("assumptions").markdown
    body = markdown_tables('### <a id="a"></a>a\n' + text)["a"][1:]
    rows = {cells[1]: cells for cells in body if cells[1] and not cells[0].startswith("Price of one")}
    assert rows["`hardware.gpus_per_node`"][2:4] == ["48", "50"]
    assert rows["`compression.pseudo_gradient`"][2:4] == ["16x", "150x"]
    assert rows["`network.straggler`"][2:4] == ["`log2`", "`relay`"]
    assert rows["`training.mfu`"][2:4] == ["0.4", "same"]
    assert rows["`hardware.bytes_per_param`"][2] == "16 bytes"
    assert rows["`physics`"][2:4] == ["`seed`", "`revised`"]
    assert rows["`training.mfu`"][0] == FIELDS["training.mfu"].description
    prices = [cells for cells in body if cells[0].startswith("Price of one A100-80GB")]
    assert prices and prices[0][2:4] == ["$15,000", "$7,000"]
    assert all(cells[-1] for cells in body if cells[1])  # every row names a source


# --------------------------------------------------------------------------------------------
# Seed model vs revised model


def test_models_tables_equal_simulate(report: Report) -> None:
    nodes = table(report, "models-nodes")
    for cells in nodes.rows:
        n = int(cells[0].text.replace(",", ""))
        for physics in ("seed", "revised"):
            result = dtsim.simulate({"strategy": "diloco", "nodes": n, "physics": physics}).to_dict()
            for key, header in (("c_local", "C_local"), ("c_quality", "C_quality"), ("cost_usd", "cost")):
                j = column(nodes, f"{physics.capitalize()}: {header}")
                assert cells[j].value == result[key], (n, physics, key)
    # variants.md §2.8: revised defaults on 50 x A100
    revised = column(nodes, "Revised: C_local")
    for n, c_local in (("4", 8.87575e23), ("72", 7.06116e24), ("500", 2.45386e25), ("4,000", 9.24816e25)):
        assert row(nodes, n)[revised] == pytest.approx(c_local, rel=1e-5)
    configurations = table(report, "models-configurations")
    local, quality = column(configurations, "Revised: C_local"), column(configurations, "Revised: C_quality")
    b = next(c for c in configurations.rows if c[0].text.startswith("B:"))
    h = next(c for c in configurations.rows if c[0].text.startswith("H:"))
    g = next(c for c in configurations.rows if c[0].text.startswith("G:"))
    assert b[local].value == pytest.approx(2.23299e26, rel=1e-5)
    assert b[quality].value == pytest.approx(2.52393e25, rel=1e-5)
    assert h[quality].value == pytest.approx(4.01955e25, rel=1e-5)
    assert g[quality].value == pytest.approx(2.65739e24, rel=1e-5)
    seed_b = column(configurations, "Seed: C_local")
    assert b[seed_b].value == pytest.approx(1.00179e27, rel=1e-5)  # variants.md §9.5, hierarchical streaming
    threshold = table(report, "models-threshold")
    first = threshold.rows[0]
    assert first[column(threshold, "Revised: nodes for 10^24")].value == 5
    assert first[column(threshold, "Revised: cost (10^24)")].value == 1.75e6
    assert first[column(threshold, "Revised: nodes for 10^25")].value == 123
    assert first[column(threshold, "Revised: cost (10^25)")].value == pytest.approx(43.05e6, rel=1e-12)


def test_minimum_cost_table(report: Report, markdown: str) -> None:
    if not HAS_CHEAPEST:
        note = "> **Not yet available:** table `models-minimum-cost` (Minimum cost of a quality-adjusted compute"
        assert note in markdown
        assert "figure `models_minimum_cost`" in markdown
        assert {f.id for f in report.failures if f.unavailable} >= {"models-minimum-cost", "models_minimum_cost"}
        return
    t = table(report, "models-minimum-cost")
    nodes, cost = column(t, "Revised: nodes"), column(t, "Revised: cost")
    # variants.md §13.1 (revised defaults, 50 x A100)
    assert row(t, "10^24 FLOP")[nodes] == 5 and row(t, "10^24 FLOP")[cost] == 1.75e6
    assert row(t, "10^25 FLOP")[nodes] == 300
    assert row(t, "10^25 FLOP")[cost] == pytest.approx(105.0e6, rel=1e-12)
    assert row(t, "10^25 FLOP")[column(t, "Revised: configuration")] == "hierarchical"
    assert row(t, "10^26 FLOP")[nodes] == 32_718
    assert "models_minimum_cost" in report.figures


# --------------------------------------------------------------------------------------------
# Uncertainty and failures


def test_uncertainty_tables_equal_the_library_result(report: Report) -> None:
    config = load_config(ROOT / "src" / "dtsim" / "data" / "uncertainty" / "default.yaml")
    result = uncertainty_run(
        config["scenario"],
        config["distributions"],
        samples=SAMPLES,
        seed=config["seed"],
        outputs=["c_quality", "c_local", "cost_usd"],
        correlations=config["correlations"],
    )
    numbers = report.numbers["uncertainty"]
    spread = table(report, "uncertainty-spread")
    assert len(spread.rows) == 6
    assert len(result.blocks) == 2
    for block in result.blocks:
        physics = block.choice["physics"]
        for key in ("c_quality", "c_local", "cost_usd"):
            stats = block.outputs[key]
            for q in ("p5", "p50", "p95"):
                value = getattr(stats, q)
                expected = 10**value if stats.scale == "log10" else value
                assert numbers[f"spread.{physics}.{key}.{q}"].value == expected, (physics, key, q)
    assert numbers["spread.seed.c_quality.p50"].value == row(spread, "c_quality (seed model)")[2]
    assert numbers["spread.revised.cost_usd.p95"].text.startswith("$")
    nodes = table(report, "uncertainty-nodes-for-1e25")
    assert row(nodes, "seed model")[2] <= row(nodes, "seed model")[3]  # P5 ≤ P50
    assert {"uncertainty_cdf_c_quality", "uncertainty_tornado_c_quality", "uncertainty_fan_c_quality"} <= set(
        report.figures
    )


def test_failures_tables_equal_goodput_table(report: Report, markdown: str) -> None:
    rows = {(r["mitigation"], r["gpus"]): r for r in goodput_table()}
    goodput = table(report, "failures-goodput")
    cost = table(report, "failures-cost")
    for t, keys in ((goodput, ("goodput", "time_inflation")), (cost, ("gpu_hours_lost",))):
        for cells in t.rows:
            mitigation = cells[0].text
            for key in keys:
                for gpus in (3_600, 31_250, 200_000):
                    prefix = {"goodput": "Goodput", "time_inflation": "Time ×", "gpu_hours_lost": "GPU-hours lost"}
                    j = column(t, f"{prefix[key]}, {gpus:,} GPUs")
                    assert cells[j].value == rows[mitigation, gpus][key], (mitigation, key, gpus)
    for cells in cost.rows:
        assert cells[1].value == rows[cells[0].text, 3_600]["eta_mitigation"]
        assert cells[2].value == rows[cells[0].text, 3_600]["cost_multiplier"]
    tables = markdown_tables(markdown)
    assert tables["failures-goodput"][1 + 1][3] == "9.0%"  # synchronous at 200,000 GPUs (reliability.md §15)
    assert "goodput_vs_gpus" in report.figures


# --------------------------------------------------------------------------------------------
# Figures and HTML


def test_svgs_keep_text_and_have_unique_ids(report: Report, report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text("utf-8")
    names = set(FIGURES) - ({"models_minimum_cost"} if not HAS_CHEAPEST else set())
    assert names <= set(report.figures)
    for name in report.figures:
        svg = (report_dir / "figures" / f"{name}.svg").read_text("utf-8")
        root = ET.fromstring(svg)
        texts = [el for el in root.iter() if el.tag.endswith("text")]
        assert len(texts) >= 8, name
        assert "DejaVuSans-" not in svg, f"{name}: glyphs drawn as paths"
        ids = re.findall(r'\bid="([^"]+)"', svg)
        assert ids and all(i.startswith(f"{name}-") for i in ids), name
        assert f'<figure id="figure-{name}"><svg' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates[:5]


def test_figures_state_their_assumptions(report: Report) -> None:
    for name in ("compute_vs_nodes", "c_local_vs_bandwidth", "eta_decomposition", "models_compute_vs_nodes"):
        svg = report.figures[name][1]
        text = " ".join(t for el in ET.fromstring(svg).iter() if el.tag.endswith("text") for t in el.itertext())
        assert "1.5 years" in text and "MFU 40%" in text, name
    assert "16x compression (seed) / 150x compression (revised)" in " ".join(
        t for el in ET.fromstring(report.figures["models_compute_vs_nodes"][1]).iter() for t in el.itertext()
    )


def test_figures_leave_global_style_alone() -> None:
    before = dict(matplotlib.rcParams)
    from dtsim.report.figures import render_figures

    render_figures(names=["eta_decomposition"])
    assert dict(matplotlib.rcParams) == before


def test_html_aligns_numbers_and_prints(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text("utf-8")
    assert "@media print" in html and "<sup>25</sup>" in html
    body = html.split("<body>", 1)[1]
    errata = body.split('id="errata"', 1)[1]
    main = body.split('id="errata"', 1)[0]
    assert not re.search(r"\d\.\d\de\d|10\^\d", main)  # one scientific notation, outside the seeds' own texts
    assert errata  # the appendix keeps the seeds' printed texts
    primary = body.split('id="gov-5.1-primary"', 1)[1].split("</table>", 1)[0]
    assert '<td style="text-align:left">1</td>' in primary
    assert '<td style="text-align:right">$720,000</td>' in primary


# --------------------------------------------------------------------------------------------
# --set, failures and custom reports


def _sets(changes: dict[str, Any], key: str) -> bool:
    """Whether a row's or column's ``set`` (nested or dotted) gives ``key`` itself."""
    if key in changes:
        return True
    head, _, rest = key.partition(".")
    inner = changes.get(head)
    return bool(rest) and isinstance(inner, dict) and _sets(inner, rest)


def _reproduction(overrides: dict[str, Any]) -> Report:
    sections = [s for s in SECTIONS if s.name in ("models", "reproduction", "errata")]
    return build_report(SPECS, overrides, figures=False, date=DATE, sections=sections)


@pytest.mark.parametrize(
    ("key", "value", "old"),
    [
        ("network.wan.bandwidth_mbps", 25, r"\b100 Mbps"),
        ("network.wan.latency_ms", 50, r"\b100 ms"),
        ("compression.pseudo_gradient", 32, r"\b16x(?! H100| GH200)"),
        ("nodes", 60, r"\b72[ -]node"),
    ],
)
def test_set_rewrites_every_title_and_label_that_states_the_value(key: str, value: Any, old: str) -> None:
    built = _reproduction({key: value})
    stale = []
    for t in built.tables:
        spec = t.spec
        texts = [("title", t.title), *(("note", n) for n in t.notes)]
        texts += [
            (f"header {c.header}", h) for c, h in zip(spec.columns, t.header[1:], strict=True) if not _sets(c.set, key)
        ]
        # a row the overrides reach: it has a scenario (a base or its own fields) that does not set the key
        texts += [
            (f"row {r.label}", cells[0].text)
            for r, cells in zip(spec.rows, t.rows, strict=True)
            if (spec.base or r.set) and not _sets(r.set, key)
        ]
        stale += [f"{spec.id} {where}: {text}" for where, text in texts if re.search(old, text)]
    assert not stale, "\n".join(stale)


def test_set_changes_values_titles_and_seed_comparison() -> None:
    built = _reproduction({"network.wan.bandwidth_mbps": 25})
    primary = table(built, "gov-5.1-primary")
    assert row(primary, "72")[5] == dtsim.simulate({"nodes": 72, "network": {"wan": {"bandwidth_mbps": 25}}}).c_local
    assert primary.rows[5][5].text == "1.69 × 10<sup>25</sup>"  # 25 Mbps instead of 100
    sweep = table(built, "gov-9.2-bandwidth-72")
    assert sweep.rows[5][3].text == "1.86 × 10<sup>25</sup>"  # the table's own axis is kept
    assert table(built, "gov-9.3-latency").title == "Latency sensitivity at 25 Mbps (measured RTTs)"
    assert table(built, "gov-9.5-1e26").rows[0][0].text == "25 Mbps, 100 ms (baseline)"
    text = built.markdown()
    assert "network.wan.bandwidth_mbps=25" in text and "†" not in text
    assert "Seed comparison: not applicable" in text
    errata = text.split('<a id="errata"></a>', 1)[1]
    assert "**Not applicable:**" in errata and "| Source |" not in errata


def test_set_reaches_the_cli(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", "--out", str(tmp_path), "--set", "training.mfu=0.3", "--samples", "200", "--date", DATE]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.md").read_text("utf-8")
    assert "training.mfu=0.3" in text and "MFU 30%" in (tmp_path / "figures" / "compute_vs_nodes.svg").read_text()
    assumptions = text.split('<a id="assumptions"></a>', 1)[1].split("\n## ", 1)[0]
    assert "| This report |" in assumptions and "| 0.3 |" in assumptions


CUSTOM = """
tables:
  - id: fine
    title: "Flat DiLoCo at {network.wan.bandwidth_mbps:g} Mbps"
    source: "own"
    label_header: "Nodes"
    base: {strategy: diloco}
    rows:
      - {label: "8", set: {nodes: 8}}
    columns:
      - {header: "C_local", key: c_local, format: sci}
  - id: too-big
    title: "A model that fits no node"
    source: "own"
    base: {strategy: diloco, nodes: 8, model: {params: 9e12}}
    rows:
      - {label: "9T"}
    columns:
      - {header: "C_local", key: c_local, format: sci}
  - id: future
    title: "An analysis of a later version"
    source: "own"
    rows:
      - {label: "x", analysis: no_such_analysis}
    columns:
      - {header: "v", key: value, format: int}
"""


def test_a_failing_table_is_named_and_the_rest_is_written(tmp_path: Path) -> None:
    scenarios = tmp_path / "tables"
    scenarios.mkdir()
    (scenarios / "mine.yaml").write_text(CUSTOM, "utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", "--out", str(out), "--scenarios", str(scenarios), "--date", DATE])
    assert result.exit_code == 0, result.output
    assert "too-big (A model that fits no node): not computed" in result.stderr
    assert "future (An analysis of a later version): not yet available" in result.stderr
    text = (out / "report.md").read_text("utf-8")
    tables = markdown_tables(text)
    assert tables["fine"][1][0] == "8" and "× 10<sup>" in tables["fine"][1][1]
    assert "Flat DiLoCo at 100 Mbps" in text
    assert "> **Not computed:** table `too-big` (A model that fits no node):" in text
    assert "> **Not yet available:** table `future` (An analysis of a later version)" in text
    not_computed = text.split('<a id="not-computed"></a>', 1)[1]
    assert "`too-big`" in not_computed and "`future`" in not_computed
    html = (out / "report.html").read_text("utf-8")
    assert "Not computed" in html and "A model that fits no node" in html
    # a custom report has no seed boilerplate
    for absent in ("Summary of findings", "Reproduction of the seed documents", "errata", "†", "seed documents;"):
        assert absent not in text, absent
    assert '<a id="assumptions"></a>Assumptions' in text and "dtsim report" in text.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--set", "network.wan.bandwidth_mbps=-5"], "network.wan.bandwidth_mbps"),
        (["--set", "bandwidth"], "KEY=VALUE"),
        (["--set", "network.wan.speed=5"], "network.wan.speed"),
        (["--scenarios", "no-such-dir"], "--scenarios"),
        (["--date", "15/01/2026"], "--date"),
        (["--samples", "0"], "--samples"),
        (["--uncertainty", "no-such-file.yaml"], "--uncertainty"),
    ],
)
def test_report_refuses_bad_options(tmp_path: Path, args: list[str], text: str) -> None:
    result = runner.invoke(app, ["report", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_sections_built_elsewhere_join_the_registry(report: Report, markdown: str) -> None:
    """The validation section (dtsim.report.validation) is one registry entry: its tables are
    aligned, its headings anchored into the contents, its figure inlined with prefixed ids."""
    from dtsim.report.sections import align_tables, anchor_headings
    from dtsim.report.validation import FIGURE_NAME

    body = report.section("validation").markdown
    assert '### <a id="validation-headline-rows"></a>Headline rows' in body
    assert "(#validation-headline-rows)" in markdown.split('<a id="contents"></a>', 1)[1].split("\n## ", 1)[0]
    assert FIGURE_NAME in report.figures and report.figures[FIGURE_NAME][1].count(f'id="{FIGURE_NAME}-') > 3
    assert (
        align_tables("| a | b |\n|---|---|\n| x | 1.5 s |\n| y | — |")
        == "| a | b |\n|:--|--:|\n| x | 1.5 s |\n| y | — |"
    )
    assert anchor_headings("### Two words", "v") == '### <a id="v-two-words"></a>Two words'


def test_exclusive_fields_replace_each_other() -> None:
    """--set training.years replaces a table's training.days; turning the reliability layer on
    replaces a table's straggler model (which the layer supersedes): no table fails."""
    from dtsim.report.tables import merge_scenario

    merged = merge_scenario({"training": {"days": 547.875}, "network": {"straggler": "log2"}}, {"training.years": 1})
    assert merged == {"training": {"years": 1}, "network": {"straggler": "log2"}}
    merged = merge_scenario(
        {"network": {"straggler": "log2", "wan": {"latency_ms": 5}}}, {"reliability.mitigation": "async"}
    )
    assert merged == {"network": {"wan": {"latency_ms": 5}}, "reliability": {"mitigation": "async"}}
    years = _reproduction({"training.years": 1.0})
    assert not years.failures
    primary = table(years, "gov-5.1-primary")
    reference = {"strategy": "diloco", "nodes": 72, "training": {"years": 1.0}}
    assert (
        row(primary, "72")[5]
        == dtsim.simulate({**reference, "hardware": {"gpu": "A100-80GB", "gpus_per_node": 48}}).c_local
    )
    failures = build_report(
        SPECS,
        {"reliability.mitigation": "async"},
        figures=False,
        date=DATE,
        sections=[s for s in SECTIONS if s.name in ("reproduction", "failures")],
    )
    assert not failures.failures
    flat72 = {
        "strategy": "diloco",
        "nodes": 72,
        "hardware": {"gpu": "A100-80GB", "gpus_per_node": 48, "precision": "fp16"},
        "reliability": {"mitigation": "async"},
    }
    assert row(table(failures, "gov-5.1-primary"), "72")[5] == dtsim.simulate(flat72).c_local
    assert dtsim.simulate(flat72).eta_mitigation == 0.97


def test_no_unfilled_placeholder(markdown: str) -> None:
    """Every value a sentence names is filled in: no ``{name}`` or ``{name:fmt}`` left over from
    a string that was not formatted (the failures section once printed ``{days:g} days``)."""
    leftovers = re.findall(r"\{[A-Za-z_][A-Za-z_0-9.]*(?::[^{}\s]*)?\}", markdown)
    assert leftovers == []
    assert "50 × A100-80GB with the largest dense model that fits it, 547.875 days" in markdown
