"""The JSON API of ``dtsim serve``: each endpoint answers exactly what the library answers for
the same input; bad input is a 422 naming the field; bodies above the limit are 413; caps are
422 naming the cap; other origins, unknown hosts and files are refused; a bug is a bare 500."""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient

import dtsim
from dtsim import service
from dtsim.explain import explain
from dtsim.output import json_text
from dtsim.scenario import parse_scenario
from dtsim.web import create_app
from dtsim.web.guard import MAX_BODY_BYTES, location
from dtsim.web.models import MAX_WEB_SWEEP_POINTS

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "src" / "dtsim" / "web"
REFERENCE = {"nodes": 72, "hardware": {"preset": "A100x48"}}
UNCERTAIN = {"scenario": {"nodes": 72}, "distributions": {"training.mfu": "0.3 to 0.5"}}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(allowed_hosts=("testserver",))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def library(value: Any) -> Any:
    """The library's answer as the API sends it: through the library's JSON writer."""
    return json.loads(json_text(value, cause="test"))


def refusal(response: Any) -> dict[str, Any]:
    body = response.json()
    assert len(body["detail"]) >= 1, body
    first: dict[str, Any] = body["detail"][0]
    assert "Traceback" not in first["msg"]
    return first


# --------------------------------------------------------------------------------------------
# The answers are the library's


def test_import_dtsim_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, dtsim, dtsim.cli, dtsim.service\n"
        "web = sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn', 'jinja2'))\n"
        "print(web)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/schema", service.schema),
        ("/api/presets", service.presets),
        ("/api/catalogue", service.catalogue),
        ("/api/analyses", service.analyses),
    ],
)
def test_get_endpoints_are_the_library(client: TestClient, path: str, expected: Any) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == library(expected())


def test_schema_describes_every_field(client: TestClient) -> None:
    fields = {f["path"]: f for f in client.get("/api/schema").json()}
    bandwidth = fields["network.wan.bandwidth_mbps"]
    assert (bandwidth["unit"], bandwidth["default"], bandwidth["section"]) == ("Mbps", 100.0, "network")
    assert fields["physics"]["choices"] == ["seed", "revised"]
    assert fields["hardware.prices"]["revised"] == "2026"
    assert len(fields) == len(dtsim.fields.FIELDS)


def test_presets_hold_the_seed_scenarios_and_node_presets(client: TestClient) -> None:
    presets = client.get("/api/presets").json()
    assert {p["preset"] for p in presets["hardware"]} == {"A100x48", "GH200x16", "H100x16", "H100x16fp8"}
    assert presets["examples"]["reference-72"]["scenario"]["nodes"] == 72
    assert "seed 002" in presets["examples"]["reference-72"]["source"]


@pytest.mark.parametrize("key", list(service.examples()))
def test_simulate_is_the_library(client: TestClient, key: str) -> None:
    scenario = service.examples()[key]["scenario"]
    response = client.post("/api/simulate", json={"scenario": scenario})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == library(service.simulation(scenario).to_dict())
    assert body["result"] == library(dtsim.simulate(scenario).to_dict())
    assert body["explain"] == library([step.to_dict() for step in explain(scenario)])


def test_simulate_reference_case_numbers(client: TestClient) -> None:
    """Seed 001 Scenario 2, 72 nodes of 48 x A100: C_local 1.75e25, 17.5 x the threshold."""
    result = client.post("/api/simulate", json={"scenario": REFERENCE, "explain": False}).json()
    assert result["explain"] == []
    assert result["result"]["c_local"] == pytest.approx(1.75e25, rel=1 / 350)
    assert result["result"]["strict_threshold_multiple"] == pytest.approx(17.5, abs=0.05)
    assert result["result"]["inner_steps"] == 200
    assert result["result"]["c_local"] == dtsim.simulate(REFERENCE).c_local


def test_simulate_warnings_are_the_library_s(client: TestClient) -> None:
    scenario = {"nodes": 72, "hardware": {"gpu": "H100-SXM", "gpus_per_node": 64}}
    body = client.post("/api/simulate", json={"scenario": scenario}).json()
    assert body["result"]["registered"] is True
    assert body["warnings"] == service.simulation(scenario).warnings
    assert any("registration threshold" in w for w in body["warnings"])


def test_sweep_one_axis_is_the_library(client: TestClient) -> None:
    values = [1, 2, 4, 72, 1000]
    body = client.post("/api/sweep", json={"scenario": REFERENCE, "axes": [{"path": "nodes", "values": values}]}).json()
    rows = dtsim.sweep(REFERENCE, {"nodes": values}).to_dicts()
    assert body["points"] == 5
    assert body["columns"]["nodes"] == values
    assert body["columns"] == library({key: [row[key] for row in rows] for key in rows[0]})


def test_sweep_range_text_reads_as_the_command_line(client: TestClient) -> None:
    axis = {"path": "network.wan.bandwidth_mbps", "values": "log:1:100000:11"}
    body = client.post("/api/sweep", json={"scenario": REFERENCE, "axes": [axis], "outputs": ["c_local"]}).json()
    values = service.parse_axis("network.wan.bandwidth_mbps", "log:1:100000:11")
    assert body["columns"]["network.wan.bandwidth_mbps"] == pytest.approx(list(values), rel=1e-15)
    assert set(body["columns"]) == {"c_local", "feasible", "infeasible_reason", "network.wan.bandwidth_mbps"}
    expected = dtsim.sweep(REFERENCE, {"network.wan.bandwidth_mbps": values}).columns["c_local"]
    assert body["columns"]["c_local"] == expected.tolist()
    assert body["columns"]["c_local"][0] < body["columns"]["c_local"][-1]


def test_sweep_two_axes_grid_and_infeasible_points(client: TestClient) -> None:
    scenario = {"nodes": 2, "strategy": "pp-diloco", "model": {"params": 960e9}, "hardware": {"preset": "A100x48"}}
    axes = [{"path": "nodes", "values": [2, 4000]}, {"path": "network.wan.latency_ms", "values": [10, 100, 300]}]
    body = client.post("/api/sweep", json={"scenario": scenario, "axes": axes, "outputs": ["c_local"]}).json()
    assert body["points"] == 6
    expected = dtsim.sweep(scenario, {"nodes": [2, 4000], "network.wan.latency_ms": [10, 100, 300]}, grid=True)
    assert body["columns"]["feasible"] == expected.feasible.tolist() == [False] * 3 + [True] * 3
    assert body["columns"]["c_local"][:3] == [None, None, None]
    assert all("pipeline group" in reason for reason in body["columns"]["infeasible_reason"][:3])


def test_analyze_is_the_library(client: TestClient) -> None:
    args = {"scenario": {"hardware": {"preset": "A100x48"}}, "target": 1e27}
    body = client.post("/api/analyze/nodes_for_target", json={"args": args}).json()
    assert body == library(dtsim.analyze("nodes_for_target", **args))
    assert body["reached"] is True
    assert body["c_local"] >= 1e27
    ratio = {"key": "c_local", "numerator": {"nodes": 36}, "denominator": {"nodes": 72}}
    assert client.post("/api/analyze/ratio", json={"args": ratio}).json() == library(dtsim.analyze("ratio", **ratio))


def test_uncertainty_is_the_library(client: TestClient) -> None:
    request = {
        "scenario": {"nodes": 72},
        "distributions": {"training.mfu": {"dist": "uniform", "low": 0.3, "high": 0.5}},
        "samples": 300,
        "seed": 7,
        "outputs": ["c_local", "eta"],
    }
    body = client.post("/api/uncertainty", json=request).json()
    expected = dtsim.uncertainty(
        {"nodes": 72}, request["distributions"], samples=300, seed=7, outputs=["c_local", "eta"]
    ).to_dict()
    assert body == library(expected)
    assert body["outputs"]["c_local"]["p5"] < body["outputs"]["c_local"]["p95"]


@pytest.mark.parametrize(
    ("what", "fmt"), [("scenario", "yaml"), ("scenario", "json"), ("results", "json"), ("results", "csv")]
)
def test_export_is_the_library(client: TestClient, what: str, fmt: str) -> None:
    scenario = {"nodes": 72, "compression": {"quality": {"16": 0.97}}, "reliability": {}}
    body = client.post("/api/export", json={"scenario": scenario, "what": what, "format": fmt}).json()
    writer = service.scenario_text if what == "scenario" else service.results_text
    assert body["text"] == writer(scenario, fmt)
    assert body["filename"] == f"{what}.{fmt}"
    if what == "scenario":  # the file reads back as the same scenario
        read = yaml.safe_load(body["text"]) if fmt == "yaml" else json.loads(body["text"])
        assert parse_scenario(read) == parse_scenario(scenario)
    elif fmt == "csv":
        header, row = body["text"].splitlines()
        assert header.split(",")[:3] == ["name", "strategy", "nodes"]
        assert row.split(",")[2] == "72"


# --------------------------------------------------------------------------------------------
# Refusals name the field


@pytest.mark.parametrize(
    ("path", "body", "loc", "text"),
    [
        ("/api/simulate", {"scenario": {"nodes": 0}}, ["body", "scenario", "nodes"], "nodes = 0"),
        ("/api/simulate", {"scenario": {"nodes": "abc"}}, ["body", "scenario", "nodes"], "expected a number"),
        (
            "/api/simulate",
            {"scenario": {"nodes": 72, "network": {"wan": {"bandwidth_mbps": -1}}}},
            ["body", "scenario", "network", "wan", "bandwidth_mbps"],
            "network.wan.bandwidth_mbps = -1",
        ),
        ("/api/simulate", {"scenario": {"nodes": 72, "nodez": 1}}, ["body", "scenario", "nodez"], "unknown key"),
        ("/api/simulate", {"scenario": {}}, ["body", "scenario", "nodes"], "required"),
        (
            "/api/simulate",
            {"scenario": {"nodes": 3, "strategy": "pp-diloco", "model": {"params": 5e12}}},
            ["body", "scenario", "nodes"],
            "pipeline group",
        ),
        ("/api/simulate", {"scenario": "72 nodes"}, ["body", "scenario"], "valid dictionary"),
        ("/api/simulate", {"scenario": {"nodes": 72}, "explain": "maybe"}, ["body", "explain"], "boolean"),
        ("/api/simulate", {"scenario": {"nodes": 72}, "extra": 1}, ["body", "extra"], "not permitted"),
        ("/api/simulate", {}, ["body", "scenario"], "required"),
        (
            "/api/sweep",
            {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": [1, None]}]},
            ["body", "axes", 0, "values"],
            "expected a number, got None",
        ),
        (
            "/api/sweep",
            {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": "log:0:10:5"}]},
            ["body", "axes", 0, "values"],
            "START > 0",
        ),
        (
            "/api/sweep",
            {"scenario": REFERENCE, "axes": [{"path": "nodez", "values": [1]}]},
            ["body", "axes", 0, "path"],
            "not a scenario field",
        ),
        (
            "/api/sweep",
            {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": [1]}], "outputs": ["c_loca"]},
            ["body", "outputs", 0],
            "allowed",
        ),
        ("/api/sweep", {"scenario": REFERENCE, "axes": []}, ["body", "axes"], "at least 1"),
        (
            "/api/analyze/nodes_for_target",
            {"args": {"scenario": {"network": {"wan": {"bandwidth_mbps": -1}}}, "target": 1e25}},
            ["body", "args", "scenario", "network", "wan", "bandwidth_mbps"],
            "bandwidth_mbps = -1",
        ),
        (
            "/api/analyze/nodes_for_target",
            {"args": {"scenario": {}, "target": -5}},
            ["body", "args", "target"],
            "target = -5",
        ),
        ("/api/analyze/no_such", {"args": {}}, ["path", "name"], "allowed: nodes_for_target"),
        (
            "/api/uncertainty",
            {"scenario": {"nodes": 72}, "distributions": {"training.mfu": {"dist": "uniform", "low": 2, "high": 1}}},
            ["body", "distributions", "training", "mfu", "high"],
            "low",
        ),
        (
            "/api/export",
            {"scenario": {"nodes": 72}, "what": "results", "format": "yaml"},
            ["body", "format"],
            "allowed: json, csv",
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], loc: list[Any], text: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    first = refusal(response)
    assert first["loc"] == loc
    assert text in first["msg"]
    assert "\n" not in first["msg"]


def test_malformed_bodies_are_422(client: TestClient) -> None:
    for content in (b"{not json", b"\xff\xfe\x00", b"[1, 2]", b""):
        response = client.post("/api/simulate", content=content, headers={"content-type": "application/json"})
        assert response.status_code == 422, content
        assert refusal(response)["loc"][0] == "body"


@pytest.mark.parametrize(
    ("path", "body", "cap"),
    [
        ("/api/sweep", {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": "range:1:20000:1"}]}, "10,000"),
        (
            "/api/sweep",
            {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": list(range(1, 10_002))}]},
            "10,000",
        ),
        (
            "/api/sweep",
            {
                "scenario": REFERENCE,
                "axes": [
                    {"path": "nodes", "values": "range:1:101:1"},
                    {"path": "training.mfu", "values": "log:0.1:1:101"},
                ],
            },
            "10,000",
        ),
        (
            "/api/uncertainty",
            {**UNCERTAIN, "samples": 20_001},
            "20,000",
        ),
        (
            "/api/uncertainty",
            {
                "scenario": {"nodes": 72},
                "distributions": {"training.mfu": "0.3 to 0.5"},
                "samples": 1000,
                "sobol": 262144,
            },
            "400,000",
        ),
    ],
)
def test_caps_are_422_naming_the_cap(client: TestClient, path: str, body: dict[str, Any], cap: str) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert f"at most {cap}" in refusal(response)["msg"]


def test_sweep_at_the_cap_is_answered(client: TestClient) -> None:
    axes = [{"path": "nodes", "values": "range:1:100:1"}, {"path": "training.mfu", "values": "log:0.1:1:100"}]
    body = client.post("/api/sweep", json={"scenario": REFERENCE, "axes": axes, "outputs": ["c_local"]}).json()
    assert body["points"] == MAX_WEB_SWEEP_POINTS


def test_oversized_bodies_are_413(client: TestClient) -> None:
    big = json.dumps({"scenario": {"nodes": 72, "name": "x" * MAX_BODY_BYTES}}).encode()
    response = client.post("/api/simulate", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "262,144 bytes" in refusal(response)["msg"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"scenario": {"nodes": 72, "name": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}}'

    response = client.post("/api/simulate", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    small = json.dumps({"scenario": {"nodes": 72, "name": "x" * 5000}}).encode()  # under the limit: the library answers
    assert client.post("/api/simulate", content=small, headers={"content-type": "application/json"}).status_code == 422


# --------------------------------------------------------------------------------------------
# Safe by default


def test_other_origins_are_refused_and_no_cors_headers(client: TestClient) -> None:
    body = {"scenario": REFERENCE}
    same = client.post("/api/simulate", json=body, headers={"origin": "http://testserver"})
    assert same.status_code == 200
    for headers in (
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://testserver:9999"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ):
        response = client.post("/api/simulate", json=body, headers=headers)
        assert response.status_code == 403, headers
        assert "cross-origin" in response.json()["detail"]
    preflight = client.options(
        "/api/simulate", headers={"origin": "http://evil.example", "access-control-request-method": "POST"}
    )
    for response in (same, preflight, client.get("/api/schema")):
        assert not any(k.lower().startswith("access-control-") for k in response.headers)


def test_unknown_hosts_are_refused(client: TestClient) -> None:
    response = client.get("/api/schema", headers={"host": "attacker.example"})
    assert response.status_code == 400
    local = TestClient(create_app(), base_url="http://127.0.0.1:8000")
    assert local.get("/api/schema").status_code == 200
    assert local.get("/api/schema", headers={"host": "localhost:8000"}).status_code == 200
    assert local.get("/api/schema", headers={"host": "rebound.example:8000"}).status_code == 400


def test_security_headers(client: TestClient) -> None:
    for response in (client.get("/"), client.get("/api/schema"), client.post("/api/simulate", json={})):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self';" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_unexpected_error_is_a_bare_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(service, "simulation", broken)
    response = client.post("/api/simulate", json={"scenario": REFERENCE})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error: the server could not answer this request"}
    assert "secret" not in response.text and "Traceback" not in response.text


@pytest.fixture
def no_files(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every attempt to open a file while a request is answered is recorded and refused."""
    for path in ("/api/schema", "/api/presets", "/api/catalogue", "/api/analyses", "/"):
        client.get(path)  # what is read once, at start-up, is read now
    opened: list[str] = []

    def refuse(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        raise PermissionError(f"no file may be opened here: {file}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: refuse(self))
    yield opened


def test_no_endpoint_reads_files(client: TestClient, no_files: list[str], tmp_path: Path) -> None:
    target = str(tmp_path / "scenario.yaml")
    requests: list[tuple[str, dict[str, Any]]] = [
        ("/api/simulate", {"scenario": REFERENCE}),
        ("/api/sweep", {"scenario": REFERENCE, "axes": [{"path": "nodes", "values": [1, 2]}]}),
        (
            "/api/uncertainty",
            {"scenario": {"nodes": 72}, "distributions": {"training.mfu": "0.3 to 0.5"}, "samples": 50},
        ),
        ("/api/export", {"scenario": REFERENCE, "what": "results", "format": "csv"}),
        ("/api/simulate", {"scenario": target}),
        ("/api/uncertainty", {"scenario": target, "distributions": {}}),
    ]
    for info in service.analyses():
        for argument in info["arguments"]:
            requests.append((f"/api/analyze/{info['name']}", {"args": {argument["name"]: target}}))
        requests.append((f"/api/analyze/{info['name']}", {"args": {"scenario": target}}))
    for path, body in requests:
        response = client.post(path, json=body)
        assert response.status_code in (200, 422), (path, body, response.text)
    assert no_files == []


# --------------------------------------------------------------------------------------------
# The page and its files


def test_page_docs_and_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    scripts = re.findall(r'src="(/static/[^"]+)"', page.text)
    assert [s.split("?")[0] for s in scripts] == [
        "/static/vendor/vega/vega.min.js",
        "/static/vendor/vega-lite/vega-lite.min.js",
        "/static/vendor/vega-embed/vega-embed.min.js",
        "/static/app.js",
    ]
    for script in scripts:
        response = client.get(script)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert client.get(script, headers={"if-none-match": response.headers["etag"]}).status_code == 304
    docs = client.get("/docs")
    assert "swagger-ui-bundle.js" in docs.text
    assert client.get("/openapi.json").json()["info"]["title"] == "dtsim"
    for missing in ("/static/nope.js", "/static/../app.py", "/static/vendor/VENDORED.md", "/static/%2e%2e/app.py"):
        assert client.get(missing).status_code == 404


def test_vendored_files_match_their_recorded_hashes() -> None:
    vendor = WEB / "static" / "vendor"
    text = (vendor / "VENDORED.md").read_text("utf-8")
    recorded = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| `([0-9a-f]{64})` \|$", text, re.M))
    on_disk = {str(p.relative_to(vendor)) for p in vendor.rglob("*") if p.is_file() and p.name != "VENDORED.md"}
    assert set(recorded) == on_disk
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    licences = {p.parent.name for p in vendor.glob("*/LICENSE")}
    assert licences == {"vega", "vega-lite", "vega-embed", "swagger-ui"}


def test_package_data_covers_the_web_files() -> None:
    """A non-editable install carries every template, script, style sheet and vendored file."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["dtsim"]
    package = ROOT / "src" / "dtsim"
    for path in (WEB / "static").rglob("*"):
        if path.is_file():
            relative = str(path.relative_to(package))
            assert any(fnmatch(relative, p) and relative.count("/") == p.count("/") for p in patterns), relative
    for path in (WEB / "templates").glob("*"):
        assert any(fnmatch(str(path.relative_to(package)), p) for p in patterns)


def test_location_reads_indexes() -> None:
    assert location("axes[0].values") == ["axes", 0, "values"]
    assert location("network.wan.bandwidth_mbps") == ["network", "wan", "bandwidth_mbps"]
    assert location("") == []
    assert location("outputs[12]") == ["outputs", 12]


def test_sweep_null_value_is_refused_by_the_library() -> None:
    with pytest.raises(dtsim.ScenarioError, match=r"nodes = None: expected a number, got None"):
        dtsim.sweep({"nodes": 1}, {"nodes": [1, None]})
    with pytest.raises(dtsim.ScenarioError, match=r"nodes = None: expected a number, got None"):
        dtsim.sweep({"nodes": 1}, {"nodes": np.array([None, 2], dtype=object)})
