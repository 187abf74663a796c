"""`dtsim report`: every mapped Markdown cell checked against the seed cases, deterministic
output, figures that open, and assumptions that flow through."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import fidelity_cases
from dtsim.cli import app
from dtsim.report import bundled_tables, table_spec_files
from dtsim.report.figures import FIGURES
from dtsim.report.spec import TableSpec, load_table_specs

runner = CliRunner()
SPECS = load_table_specs(table_spec_files(bundled_tables()))
CASES = {c["id"]: c for c in fidelity_cases()}


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    result = runner.invoke(app, ["report", "--out", str(out), "--scenarios", str(bundled_tables())])
    assert result.exit_code == 0, result.output
    return out


def markdown_tables(text: str) -> dict[str, list[list[str]]]:
    """Tables of the report by title: a list of rows of cell texts (header first)."""
    tables: dict[str, list[list[str]]] = {}
    title = None
    for line in text.splitlines():
        if line.startswith("### "):
            title = line[4:]
            tables[title] = []
        elif line.startswith("## "):
            title = None
        elif line.startswith("|") and title is not None and not line.startswith("|:"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
            tables[title].append(cells)
    return tables


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
        mantissa, exponent = re.split(r"e| x 10\^", text)
        scale = 10.0 ** int(exponent)
        return float(mantissa) * scale, 0.5 * 10.0 ** -_decimals(mantissa) * scale
    number = re.search(r"[−+-]?[\d,]*\.?\d+", text)
    assert number, text
    digits = number.group().replace(",", "").replace("−", "-")
    half = 0.5 * 10.0 ** -_decimals(digits)
    value = float(digits)
    if fmt.startswith("usd"):
        scale = 1e9 if text.endswith("B") else 1e6
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


def _checked_cells(spec: TableSpec, rows: list[list[str]]) -> list[tuple[str, str, Any, Any, float]]:
    """(case, key, shown, expected, tolerance) for every cell mapped to a seed case."""
    header, *body = rows
    assert header == [spec.label_header, *[c.header for c in spec.columns]], spec.id
    assert len(body) == len(spec.rows), spec.id
    out = []
    for row_spec, cells in zip(spec.rows, body, strict=True):
        assert cells[0] == row_spec.label
        for column, text in zip(spec.columns, cells[1:], strict=True):
            if row_spec.case is None:
                continue
            case_id = (
                row_spec.case.replace("{col}", column.case_suffix)
                if "{col}" in row_spec.case
                else row_spec.case + column.case_suffix
            )
            key = column.case_key or row_spec.key or column.key
            entry = CASES.get(case_id, {}).get("expected", {}).get(key)
            if entry is None:
                continue
            assert text.endswith("†") == (column.header in row_spec.seed), (spec.id, case_id, key, text)
            expected, tol = _expected(entry)
            if expected is None:
                continue
            shown, half = parse_cell(text, row_spec.format or column.format)
            out.append((case_id, key, shown, expected, tol + half))
    return out


def test_every_mapped_cell_matches_the_seed_cases(report_dir: Path) -> None:
    tables = markdown_tables((report_dir / "report.md").read_text("utf-8"))
    checked, failures = 0, []
    for spec in SPECS:
        for case_id, key, shown, expected, tol in _checked_cells(spec, tables[spec.title]):
            checked += 1
            ok = (
                shown == expected
                if isinstance(expected, str | bool)
                else (math.isclose(shown, expected, rel_tol=1e-9, abs_tol=tol * (1 + 1e-9)))
            )
            if not ok:
                failures.append(f"{spec.id} {case_id} {key}: shows {shown!r}, want {expected!r} ± {tol:g}")
    assert not failures, "\n".join(failures)
    assert checked >= 600, f"only {checked} report cells map to seed cases"


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


def test_report_is_deterministic(report_dir: Path, tmp_path: Path) -> None:
    again = runner.invoke(app, ["report", "--out", str(tmp_path), "--scenarios", str(bundled_tables())])
    assert again.exit_code == 0
    assert (tmp_path / "report.md").read_bytes() == (report_dir / "report.md").read_bytes()
    assert (tmp_path / "report.html").read_bytes() == (report_dir / "report.html").read_bytes()


def test_figures_open(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text("utf-8")
    for name in FIGURES:
        path = report_dir / "figures" / f"{name}.svg"
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 100, f"{name} looks empty"
        assert f"<figure id='{name}'><svg" in html


def test_set_changes_assumptions_where_tables_do_not_vary_them(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "--out",
            str(tmp_path),
            "--scenarios",
            str(bundled_tables()),
            "--set",
            "network.wan.bandwidth_mbps=25",
        ],
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "report.md").read_text("utf-8")
    tables = markdown_tables(text)
    primary = {row[0]: row for row in tables["Primary configuration: 48x A100 80GB (240B model)"]}
    assert primary["72"][5] == "1.69 x 10^25"  # 25 Mbps instead of 100
    sweep = {row[0]: row for row in tables["Bandwidth sensitivity: 72 nodes, 48x A100 FP16, 16x compression (100 ms)"]}
    assert sweep["1,000"][3] == "1.86 x 10^25"  # the table's own axis is kept
    assert "network.wan.bandwidth_mbps=25" in text


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--set", "network.wan.bandwidth_mbps=-5"], "network.wan.bandwidth_mbps"),
        (["--set", "bandwidth"], "KEY=VALUE"),
        (["--set", "network.wan.speed=5"], "network.wan.speed"),
        (["--scenarios", "no-such-dir"], "--scenarios"),
    ],
)
def test_report_refuses_bad_options(tmp_path: Path, args: list[str], text: str) -> None:
    result = runner.invoke(app, ["report", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1
