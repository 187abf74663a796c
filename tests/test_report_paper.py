"""Report section "Published paper" (dtsim.report.paper): the reproduction, the exhaustive and
seed-model comparison, the 10 Mbps erratum, the centralized cost and the cost-vs-bandwidth
figure."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import matplotlib
import pytest

import dtsim.report.paper
from dtsim.report.content import ReportContext
from dtsim.report.paper import (
    FIGURE_NAME,
    TITLE,
    centralized_cost,
    cost_vs_bandwidth_figure,
    paper_section,
    report_section,
)

#: One H100 at FP8 for 740 days at MFU 0.4, after the relay goodput (1 − p_down).
GOODPUT = math.exp(-2e-5 * 600 / 3600)
H100_FP8_FLOP = 1980e12 * 0.4 * 740 * 86_400 * GOODPUT
COTTIER_H100_USD = 25_000 * 1.64 * 1.23


@pytest.fixture(scope="module")
def latency_section() -> object:
    """The latency table with every column and a two-point figure (a few seconds)."""
    before = dict(matplotlib.rcParams)
    section = paper_section(
        tables=("latency",), figure_targets=(1e24,), exhaustive_targets=(1e24,), bandwidths_mbps=(100.0, 1000.0)
    )
    assert dict(matplotlib.rcParams) == before  # no global style change
    return section


def test_section_reproduces_and_compares(latency_section: object) -> None:
    section = latency_section
    assert section.title == TITLE == "Published paper"  # type: ignore[attr-defined]
    md = section.markdown  # type: ignore[attr-defined]
    assert md.startswith("## Published paper\n") and "### Table 3:" in md
    assert (
        md.count("| 16x GH200 FP8 | 34 | Flat | 160B | 19 | 0.3698 | 1.0e25 | 0.6250 | 6.4e24 | 7.0x | $30.7M |") == 4
    )
    assert md.count("**16x H100 FP8 · 36 · Flat · 91B · $29M** (cheaper by 5%)") == 3
    assert md.count("**16x H100 FP8 · 36 · Hier (8x4) · 91B · $29M** (cheaper by 5%)") == 1
    assert md.count("16x GH200 FP8 · 15 · Hier (4x3) · 160B · $13.6M") == 4  # the seed model
    assert "The Mode cell of 4 row(s)" in md and "Hier (8x4)" in md
    numbers = section.numbers  # type: ignore[attr-defined]
    assert (numbers["cheaper_rows"], numbers["rows_compared"]) == (4, 4)
    for row in numbers["rows"]:
        assert row["paper_cost_usd"] == pytest.approx(30_725_990.4, rel=1e-12)
        assert row["exhaustive_cost_usd"] == pytest.approx(29_047_680.0, rel=1e-12)
        assert row["seed_cost_usd"] == pytest.approx(15 * 16 * 28_000 * 1.64 * 1.23, rel=1e-12)
    assert numbers["largest_gap"]["key"] == "10 ms"


def test_figure_is_text_svg_and_deterministic(latency_section: object) -> None:
    caption, svg = latency_section.figures[FIGURE_NAME]  # type: ignore[attr-defined]
    assert caption.startswith("Cost of the cheapest configuration") and "centralized" in caption
    assert svg.lstrip().startswith("<?xml") and "<text" in svg and "font-family" in svg
    data = latency_section.numbers["figure"]  # type: ignore[attr-defined]
    assert cost_vs_bandwidth_figure(data) == svg
    curves = data["curves"]["10^24"]
    assert curves["bisection"] == curves["exhaustive"] == pytest.approx([1_613_760.0, 1_613_760.0], rel=1e-12)
    us, china = data["residential"]["10^24"]
    assert us["equivalent_mbps"] == pytest.approx(2 / (1 / 57 + 1 / 310), rel=1e-12)
    assert china["equivalent_mbps"] == pytest.approx(2 / (1 / 47 + 1 / 207), rel=1e-12)
    assert f"figures/{FIGURE_NAME}.svg" in latency_section.markdown  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", [1e24, 1e25, 1e26])
def test_centralized_cost_is_the_smallest_h100_fp8_cluster(target: float) -> None:
    """The cheapest FLOP per dollar of the 12 node types is the H100 at FP8 ($25,000 for 1,980
    TFLOPS); one site with η = 1 needs ceil(T / per-GPU compute) of them."""
    out = centralized_cost(target)
    gpus = math.ceil(target / H100_FP8_FLOP)
    assert (out["gpu"], out["precision"], out["gpus"], out["registered"]) == ("H100-SXM", "fp8", gpus, True)
    assert out["cost_usd"] == pytest.approx(gpus * COTTIER_H100_USD, rel=1e-12)
    assert out["c_local"] >= target > out["c_local"] * (gpus - 1) / gpus


def test_the_10_mbps_erratum() -> None:
    section = paper_section(tables=("bandwidth",), exhaustive=False, seed=False, figure=False)
    erratum = section.numbers["erratum_10_mbps"]
    assert erratum["paper_text_usd"] == 2.79e9 and erratum["reproduced"] == "table"
    assert erratum["table_usd"] == pytest.approx(2_752_687_257.6, rel=1e-12)
    assert (
        "The text quotes $2.79B at 10 Mbps" in section.markdown
        and "dtsim reproduces the table, $2.75B" in section.markdown
    )
    assert section.figures == {} and "cheaper_rows" not in section.numbers


def test_registry_builder(latency_section: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``report_section`` (the section registry's builder): the body without its heading, the
    sub-headings anchored, figure ids prefixed, every stated number shown as stated."""
    monkeypatch.setitem(dtsim.report.paper._COMPUTED, True, latency_section)
    ctx = ReportContext(specs=[], overrides={}, date=dt.date(2026, 5, 28))
    content = report_section(ctx)
    assert not content.markdown.startswith("## ") and '### <a id="paper-table-3-' in content.markdown
    assert content.numbers and all(stated.text in content.markdown for stated in content.numbers.values())
    assert content.numbers["latency.10 ms.exhaustive.cost_usd"].value == pytest.approx(29_047_680.0, rel=1e-12)
    assert content.numbers["cheaper_rows"].text == "4"
    caption, svg = content.figures[FIGURE_NAME]
    assert caption == latency_section.figures[FIGURE_NAME][0] and f'id="{FIGURE_NAME}-' in svg
    changed = report_section(ReportContext(specs=[], overrides={"network.wan.bandwidth_mbps": 25}, date=ctx.date))
    assert changed.markdown.startswith("These tables use the paper's own assumptions")


@pytest.mark.paper_full
def test_full_section() -> None:
    """Every table with every column and the full figure, its searches on two worker processes
    (about 10 s on two cores)."""
    section = paper_section(workers=2)
    numbers = section.numbers
    assert (numbers["cheaper_rows"], numbers["rows_compared"]) == (13, 19)
    assert numbers["headline"]["exhaustive_cost_usd"] == pytest.approx(29_047_680.0, rel=1e-12)
    assert (numbers["largest_gap"]["table"], numbers["largest_gap"]["key"]) == ("bandwidth", "10 Mbps")
    assert numbers["largest_gap"]["exhaustive_cost_usd"] == pytest.approx(113_770_080.0, rel=1e-12)
    assert len(numbers["tied_rows"]) == 6
    for name, (value, fmt) in section.stated.items():
        from dtsim.report.content import Stated

        assert Stated(value, fmt).text in section.markdown, name
    figure = numbers["figure"]
    assert list(figure["curves"]) == ["10^24", "10^25", "10^26"]
    assert figure["curves"]["10^25"]["bisection"][0] == pytest.approx(2_752_687_257.6, rel=1e-12)
    assert figure["curves"]["10^25"]["exhaustive"][0] == pytest.approx(113_770_080.0, rel=1e-12)
