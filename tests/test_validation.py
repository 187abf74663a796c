"""The real-runs catalogue, the measured-against-predicted comparison, the validation page
and the ``dtsim runs`` command."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import pytest
import yaml
from typer.testing import CliRunner

import dtsim
from dtsim.cli import app
from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.real_runs import Catalogue, load_catalogue, parse_catalogue
from dtsim.report.validation import (
    FIGURE_NAME,
    bandwidth_markdown,
    bandwidth_table,
    format_value,
    headline_markdown,
    predicted_vs_measured_figure,
    validation_document,
    validation_section,
    verdict_text,
)
from dtsim.validation import Comparison, compare, compare_row, judge

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

#: The runs of the published-runs notes (one section each), by catalogue id.
EXPECTED_RUNS = (
    "intellect-1",
    "streaming-diloco",
    "eager-updates",
    "opendiloco",
    "diloco-x",
    "decoupled-diloco",
    "diloco-scaling-laws",
    "muloco",
    "swarm",
    "pluralis",
    "diloco-measured",
)


# --------------------------------------------------------------------------------------------
# The packaged catalogue


def test_every_published_run_has_rows_that_cite_their_source() -> None:
    catalogue = load_catalogue()
    assert tuple(run.id for run in catalogue.runs) == EXPECTED_RUNS
    for run in catalogue.runs:
        assert run.rows and run.reference and run.url.startswith("https://")
        assert all(row.source.strip() and row.measured.note.strip() for row in run.rows)


def _rows() -> list[tuple[Any, Any]]:
    catalogue = load_catalogue()
    return [(run, row) for run in catalogue.runs for row in run.rows]


@pytest.mark.parametrize(("run", "row"), _rows(), ids=[f"{run.id}/{row.id}" for run, row in _rows()])
def test_every_catalogue_scenario_simulates_or_is_refused_as_expected(run: Any, row: Any) -> None:
    scenarios = [run.scenario(row)] + ([run.scenario(row, numerator=True)] if row.numerator else [])
    for scenario in scenarios:
        if row.expect_infeasible:
            with pytest.raises(InfeasibleError):
                dtsim.simulate(scenario)
        else:
            result = dtsim.simulate(scenario)
            if row.quantity == "result":
                assert getattr(result, row.key) is not None


def test_every_row_outside_its_band_explains_why() -> None:
    # The honesty rule: a prediction outside the published band is shown as such, with the
    # likely cause in the row's note.
    outside = [c for c in compare() if c.verdict in ("above", "below")]
    assert outside, "the comparison should show the misses it has"
    assert [f"{c.run}/{c.row}" for c in outside if not (c.explanation or "").strip()] == []


def test_no_row_is_refused_unexpectedly() -> None:
    comparisons = compare()
    assert [c.row for c in comparisons if c.refusal and not c.expected_refusal] == []
    assert [c.row for c in comparisons if c.expected_refusal and c.verdict != "no prediction"] == []
    assert all(c.predicted is not None for c in comparisons if not c.expected_refusal)


def test_in_sample_rows_are_the_fitted_ones() -> None:
    # beta0(P) of the loss multiplier was fitted to v1 Table 4 (35M-2.4B); the async goodput
    # floor to the 1.2M-chip result; the seed factor's slope to 2.4B.
    in_sample = {f"{c.run}/{c.row}" for c in compare() if c.check == "in-sample"}
    sizes = ("35m", "90m", "180m", "335m", "550m", "1.3b", "2.4b")
    expected = {f"diloco-scaling-laws/lm-{n}-m{m}" for n in sizes for m in (2, 4, 8)}
    expected |= {f"diloco-scaling-laws/seed-2.4b-m{m}" for m in (2, 4, 8)}
    expected |= {"decoupled-diloco/goodput-decoupled-1.2m"}
    assert in_sample == expected


def test_derived_bands_follow_their_stated_rules() -> None:
    catalogue = load_catalogue()
    grid = 10 ** (4 / 49)
    for run_id in ("streaming-diloco", "eager-updates"):
        for row in catalogue.run(run_id).rows:
            if row.quantity != "bandwidth_for_utilization":
                continue
            # First grid value reaching the target, printed to 0.1 Gb/s:
            # band [(v - 0.05)/1.2068, v + 0.05] Gb/s, in Mbps.
            v = row.measured.value
            assert row.measured.low == pytest.approx((v - 50) / grid, abs=0.06)
            assert row.measured.high == pytest.approx(v + 50, rel=1e-12)
    laws = catalogue.run("diloco-scaling-laws")
    loss = {row.id.removeprefix("lm-"): row.measured for row in laws.rows if row.id.startswith("lm-")}
    for row in laws.rows:
        if not row.id.startswith("seed-"):
            continue
        # C_equivalent/C = m^(-2/0.0953) on the data-parallel law at D = 20N (v2 Table 8); the
        # band's ends swap because a larger loss is a smaller compute.
        m = loss[row.id.removeprefix("seed-")]
        assert row.measured.value == pytest.approx(m.value ** (-2 / 0.0953), abs=6e-5)
        assert row.measured.low == pytest.approx(m.high ** (-2 / 0.0953), abs=6e-5)
        assert row.measured.high == pytest.approx(m.low ** (-2 / 0.0953), abs=6e-5)


def test_charles_loss_rows_equal_the_published_percentages() -> None:
    # v1 Table 4 (and Table 5 for 4B, 10B): change vs data-parallel, e.g. 35M M = 8: +3.9 %;
    # the band is ± half a unit of the last printed digit.
    rows = {row.id: row.measured for row in load_catalogue().run("diloco-scaling-laws").rows}
    assert (rows["lm-35m-m8"].value, rows["lm-35m-m8"].low, rows["lm-35m-m8"].high) == (1.039, 1.0385, 1.0395)
    assert (rows["lm-10b-m4"].value, rows["lm-10b-m4"].low, rows["lm-10b-m4"].high) == (1.0029, 1.00285, 1.00295)


# --------------------------------------------------------------------------------------------
# Schema refusals


def _minimal() -> dict[str, Any]:
    return {
        "runs": [
            {
                "id": "toy",
                "title": "Toy",
                "reference": "none",
                "url": "https://example.org",
                "kind": "measurement",
                "summary": "a hand-computable run",
                "inputs": {
                    "nodes": {"value": 2, "source": "stated"},
                    "hardware.node_pflops": {"value": 1.0, "source": "stated"},
                    "hardware.node_memory_gb": {"value": 80, "source": "stated"},
                    "model.params": {"value": 1e9, "source": "stated"},
                    "training.mfu": {"value": 0.5, "source": "stated"},
                    "training.local_batch_tokens": {"value": 1_000_000, "source": "stated"},
                    "training.inner_steps": {"value": 10, "source": "stated"},
                    "training.streaming": {"value": False, "source": "stated"},
                    "network.straggler": {"value": "none", "source": "stated"},
                    "network.wan.latency_ms": {"value": 0, "source": "stated"},
                    "network.wan.bandwidth_mbps": {"value": 100, "assumption": "not stated"},
                },
                "rows": [
                    {
                        "id": "sync",
                        "label": "sync time",
                        "quantity": "result",
                        "key": "sync_s",
                        "vary": {"field": "network.wan.bandwidth_mbps", "values": [50, 200], "reason": "range"},
                        "measured": {"value": 22.0, "low": 18.0, "high": 21.0, "mark": "P", "note": "n"}
                        | {"value": 19.0},
                        "check": "assumed-input",
                        "source": "Table 1",
                    },
                    {
                        "id": "bw",
                        "label": "bandwidth for 90 %",
                        "quantity": "bandwidth_for_utilization",
                        "target": 0.9,
                        "measured": {"value": 120.0, "mark": "D", "note": "n"},
                        "check": "test",
                        "source": "Table 2",
                    },
                    {
                        "id": "speedup",
                        "label": "streaming over blocking time",
                        "quantity": "ratio",
                        "key": "wall_clock_days",
                        "inputs": {"training.tokens": {"value": 1e9, "source": "stated"}},
                        "numerator": {"training.streaming": {"value": True, "source": "stated"}},
                        "measured": {"low": 0.5, "high": 0.6, "mark": "S", "note": "n"},
                        "check": "test",
                        "source": "Table 3",
                    },
                    {
                        "id": "too-big",
                        "label": "a model larger than the node",
                        "quantity": "result",
                        "key": "compute_utilization",
                        "inputs": {"hardware.node_memory_gb": {"value": 1, "assumption": "too small"}},
                        "expect_infeasible": "16 GB of state on a 1 GB node",
                        "measured": {"mark": "P", "note": "n"},
                        "check": "qualitative",
                        "source": "Table 4",
                    },
                ],
            }
        ]
    }


def _toy() -> Catalogue:
    return parse_catalogue(_minimal(), source="toy")


def _broken(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(_minimal())
    edit(data)
    return data


def _row(data: dict[str, Any], i: int = 0) -> dict[str, Any]:
    row: dict[str, Any] = data["runs"][0]["rows"][i]
    return row


@pytest.mark.parametrize(
    ("edit", "text"),
    [
        (lambda d: d["runs"][0]["inputs"]["nodes"].update(assumption="also"), "exactly one of source"),
        (lambda d: d["runs"][0]["inputs"]["nodes"].pop("source"), "exactly one of source"),
        (lambda d: d["runs"][0]["inputs"]["nodes"].update(variant="a choice"), "exactly one of source"),
        (lambda d: d["runs"][0]["inputs"]["nodes"].update(source=" "), "provenance text is empty"),
        (lambda d: d["runs"][0]["inputs"].update({"network.wan.speed": {"value": 1, "source": "x"}}), "unknown"),
        (lambda d: _row(d)["measured"].update(low=30.0), "above high"),
        (lambda d: _row(d)["measured"].update(value=40.0), "outside its band"),
        (lambda d: _row(d)["measured"].pop("high"), "both low and high"),
        (lambda d: _row(d).update(key="c_local"), "key must be one of"),
        (lambda d: _row(d, 1).update(target=None), "takes target"),
        (lambda d: _row(d, 2).update(numerator={}), "numerator"),
        (lambda d: _row(d, 1).update(measured={"mark": "P", "note": "n"}), "only a qualitative row"),
        (lambda d: _row(d, 1).update(id="sync"), "duplicate row ids"),
        (lambda d: _row(d, 1).update(case="missing"), "unknown case"),
        (lambda d: _row(d).update(id="Bad Id"), "lower-case"),
        (lambda d: d["runs"].append(copy.deepcopy(d["runs"][0])), "duplicate run ids"),
        (lambda d: _row(d).update(extra=1), "Extra inputs"),
    ],
)
def test_a_malformed_catalogue_is_refused_naming_the_field(edit: Any, text: str) -> None:
    with pytest.raises(ScenarioError, match=text) as info:
        parse_catalogue(_broken(edit), source="toy.yaml")
    assert str(info.value).startswith("toy.yaml: ")
    assert "\n" not in str(info.value)


def test_catalogue_files(tmp_path: Path) -> None:
    good = tmp_path / "runs.yaml"
    good.write_text(yaml.safe_dump(_minimal()), "utf-8")
    assert load_catalogue(good).runs[0].id == "toy"
    bad = tmp_path / "bad.yaml"
    bad.write_text("runs: [\n", "utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_catalogue(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="allowed: toy"):
        _toy().run("other")


# --------------------------------------------------------------------------------------------
# Verdicts


@pytest.mark.parametrize(
    ("args", "verdict", "ratio", "distance"),
    [
        ((10.0, 10.0, 9.0, 11.0), "within", 1.0, 0.0),
        ((9.0, 10.0, 9.0, 11.0), "within", 0.9, 0.0),  # the band's edges are inside
        ((13.2, 10.0, 9.0, 11.0), "above", 1.32, 0.2),  # 13.2/11 - 1
        ((7.2, 10.0, 9.0, 11.0), "below", 0.72, -0.2),  # 7.2/9 - 1
        ((5.0, None, 4.0, 8.0), "within", None, 0.0),  # a band without a value
        ((2.0, None, 4.0, 8.0), "below", None, -0.5),
        ((12.0, 10.0, None, None), "no band", 1.2, None),
        ((12.0, None, None, None), "no measurement", None, None),
        ((None, 10.0, 9.0, 11.0), "no prediction", None, None),
        ((1.0, 0.0, 0.0, 0.0), "above", None, None),  # no ratio or distance to a zero edge
    ],
)
def test_judge(args: tuple[Any, ...], verdict: str, ratio: float | None, distance: float | None) -> None:
    out = judge(*args)
    assert out.verdict == verdict
    assert out.ratio == (None if ratio is None else pytest.approx(ratio, rel=1e-12))
    assert out.distance == (None if distance is None else pytest.approx(distance, rel=1e-12))


def test_a_hand_computed_run() -> None:
    catalogue = _toy()
    run = catalogue.runs[0]
    by_id = {c.row: c for c in compare(catalogue)}
    # Sync: seed collective, f = 1, latency 0: t = 2·P·16/16 bit / BW = 2e9/BW: 20 s at
    # 100 Mbps, 40 s at 50, 10 s at 200. Band [18, 21] → within; ratio 20/19.
    sync = by_id["sync"]
    assert sync.predicted == pytest.approx(20.0, rel=1e-12)
    assert (sync.predicted_low, sync.predicted_high) == (pytest.approx(10.0, rel=1e-12), pytest.approx(40.0, rel=1e-12))
    assert (sync.verdict, sync.ratio) == ("within", pytest.approx(20 / 19, rel=1e-12))
    assert sync.assumed == ("network.wan.bandwidth_mbps",)
    # Blocking, W = 10 · 12 s = 120 s; 90 % needs t_sync = 13.333 s ⇒ 150 Mbps; published 120,
    # no band.
    bw = by_id["bw"]
    assert bw.predicted == pytest.approx(150.0, rel=1e-8)
    assert (bw.verdict, bw.ratio) == ("no band", pytest.approx(1.25, rel=1e-8))
    # Time-to-train 1e9 tokens, 50 outer steps of 10·1e6·2 tokens. The numerator streams,
    # t_out = max(120, 20) = 120 s; the row blocks, t_out = 120 + 20 = 140 s: ratio 120/140 =
    # 0.857, above the band [0.5, 0.6] by 0.857/0.6 − 1.
    speedup = by_id["speedup"]
    assert speedup.predicted == pytest.approx(120 / 140, rel=1e-9)
    assert speedup.verdict == "above" and speedup.distance == pytest.approx(120 / 140 / 0.6 - 1, rel=1e-9)
    refused = by_id["too-big"]
    assert refused.verdict == "no prediction" and refused.expected_refusal
    assert "model.params" in (refused.refusal or "")
    assert compare_row(run, run.rows[0]) == sync
    assert json.loads(json.dumps(sync.to_dict()))["assumed"] == ["network.wan.bandwidth_mbps"]


def _comparison(**changes: Any) -> Comparison:
    (base,) = [c for c in compare(_toy()) if c.row == "sync"]
    return Comparison(**{**base.to_dict(), "assumed": base.assumed, "variants": base.variants, **changes})


def test_verdict_words_and_values() -> None:
    assert verdict_text(_comparison(verdict="above", distance=0.234)) == "above by 23 %"
    assert verdict_text(_comparison(verdict="below", distance=-0.0512)) == "below by 5.1 %"
    assert verdict_text(_comparison(verdict="no band", ratio=1.257)) == "no band (ratio 1.26)"
    assert verdict_text(_comparison(verdict="no prediction", expected_refusal=True)) == "refused, as expected"
    assert format_value(0.9347, "fraction") == "93.5 %"
    assert format_value(158_400.0, "Mbps") == "158,400 Mbps"
    assert format_value(1.0069134, "ratio") == "1.00691"
    assert format_value(None, "s") == "—"


# --------------------------------------------------------------------------------------------
# The validation page, the report section and the command


def test_the_validation_page_is_current() -> None:
    page = (ROOT / "docs" / "validation.md").read_text("utf-8")
    assert page == validation_document(), "regenerate: dtsim runs --format md > docs/validation.md"


def test_the_page_shows_every_row_and_its_source() -> None:
    page = validation_document()
    for c in compare():
        assert f"| `{c.row}` | {c.label.replace('|', chr(92) + '|')} |" in page
    assert "## Headline rows" in page and "in-sample" in page


def test_report_section_and_figure() -> None:
    before = dict(matplotlib.rcParams)
    section = validation_section()
    assert dict(matplotlib.rcParams) == before
    assert section.markdown.startswith("## How well does dtsim predict real runs?")
    assert f"figures/{FIGURE_NAME}.svg" in section.markdown
    assert "Bandwidth for a target compute utilisation" in section.markdown
    svg = section.figures[FIGURE_NAME]
    root = ET.fromstring(svg)
    texts = [t for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts, "text stays text (svg.fonttype none)"
    assert predicted_vs_measured_figure() == svg  # deterministic


def test_headline_rows() -> None:
    table = headline_markdown()
    assert table.count("\n") - 2 == sum(c.headline for c in compare()) >= 6


def test_bandwidth_table_hand_computed() -> None:
    # The toy node: blocking, W = 120 s, t_sync = 2e9/BW: BW = 2e9·u/(W(1 − u)):
    # 16.667 / 150 / 316.67 / 1,650 Mbps at 50 / 90 / 95 / 99 %.
    scenario = _toy().runs[0].scenario(_toy().runs[0].rows[0])
    (row,) = bandwidth_table({"toy": scenario})
    assert [t["bandwidth_mbps"] for t in row["targets"]] == pytest.approx([50 / 3, 150, 950 / 3, 1650], rel=1e-8)
    text = bandwidth_markdown([row])
    assert "| toy | 16.67 Mbps | 150 Mbps | 316.7 Mbps | 1,650 Mbps |" in text
    streaming = {"nodes": 8, "training": {"tokens": 1e12}}
    (auto,) = bandwidth_table({"auto": streaming}, targets=[0.9])
    assert auto["targets"][0]["status"] == "any" and "| auto | any |" in bandwidth_markdown([auto])


def test_reference_bandwidth_table_covers_every_configuration() -> None:
    rows = bandwidth_table()
    assert len(rows) == 5
    for row in rows:
        found = [t["bandwidth_mbps"] for t in row["targets"]]
        assert all(t["status"] == "found" for t in row["targets"])
        assert found == sorted(found)  # more utilisation needs more bandwidth


def test_cli_formats() -> None:
    out = runner.invoke(app, ["runs", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == len(compare())
    assert {"run", "row", "predicted", "measured", "ratio", "verdict", "check", "source"} <= set(rows[0])
    md = runner.invoke(app, ["runs", "--format", "md"])
    assert md.exit_code == 0 and md.stdout == validation_document()
    table = runner.invoke(app, ["runs", "--run", "diloco-measured"])
    assert table.exit_code == 0 and "sync-50m" in table.stdout and "intellect" not in table.stdout


def test_cli_on_a_catalogue_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.yaml"
    path.write_text(yaml.safe_dump(_minimal()), "utf-8")
    out = runner.invoke(app, ["runs", "--catalogue", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert [r["row"] for r in json.loads(out.stdout)] == ["sync", "bw", "speedup", "too-big"]


@pytest.mark.parametrize(
    ("args", "content", "text"),
    [
        (["--format", "xml"], None, "--format"),
        (["--run", "nope"], None, "run = 'nope'"),
        (["--catalogue", "MISSING"], None, "cannot read"),
        (["--catalogue", "FILE"], "runs: [\n", "not valid YAML"),
        (["--catalogue", "FILE"], "runs: []\n", "runs"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path: Path, args: list[str], content: str | None, text: str) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content, "utf-8")
    args = [str(path) if a == "FILE" else str(tmp_path / "missing.yaml") if a == "MISSING" else a for a in args]
    out = runner.invoke(app, ["runs", *args])
    assert out.exit_code == 2
    message = out.stderr.strip()
    assert len(message.splitlines()) == 1 and text in message
    assert "Traceback" not in out.output
