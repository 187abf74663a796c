"""Fuzzing the entry points around the scenario core: the file loader (hostile texts and bytes),
population configurations, audit plans, report table specs and command-line options.

Oracles, for every generated case: the only exception is a ``DtsimError`` whose message is one
line (on the command line: exit status 2 and one line on stderr, never a traceback); whatever is
returned is plain data whose numbers are finite (``json.dumps(..., allow_nan=False)`` succeeds);
each case takes under ``CASE_SECONDS``; the process's peak memory stays under ``PEAK_MB``.
About 10,000 cases per run (the example counts below), in well under a minute.
"""

from __future__ import annotations

import copy
import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from dtsim.audit import audit_plan, load_plan, parse_plan
from dtsim.cli import main
from dtsim.errors import DtsimError
from dtsim.loading import MAX_DEPTH, load_documents, parse_documents, read_text
from dtsim.population import sample_years
from dtsim.population.sample import parse_sample_config
from dtsim.report import bundled_tables
from dtsim.report.spec import load_table_specs
from dtsim.report.tables import build_table

CASE_SECONDS = 5.0
PEAK_MB = 3000


def _settings(examples: int) -> Any:
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))


def _dtsim_error(exc: DtsimError) -> None:
    message = str(exc)
    assert message and "\n" not in message and len(message) < 5000, message[:300]


def _plain(data: Any, depth: int = 0) -> None:
    """Loaded data: dicts, lists, text, finite numbers, booleans, null; bounded depth."""
    assert depth <= MAX_DEPTH + 1
    if isinstance(data, dict):
        for key, value in data.items():
            _plain(key, depth + 1)
            _plain(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            _plain(value, depth + 1)
    else:
        assert data is None or isinstance(data, str | bool | int | float), type(data)
    json.dumps(data, allow_nan=False)


class _Timed:
    """``with _Timed():`` asserts the block took under CASE_SECONDS."""

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.start
        assert elapsed < CASE_SECONDS, f"a case took {elapsed:.2f} s"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


HOSTILE: list[Any] = [
    None,
    True,
    "",
    "x",
    "[/red]",
    ":smile:",
    "\x1b[31m",
    "a" * 5000,
    [],
    [1, 2],
    {},
    {"x": 1},
    0,
    -1,
    1,
    2**70,
    10**400,
    0.5,
    -1e300,
    1e308,
    5e-324,
    float("nan"),
    float("inf"),
    -float("inf"),
]


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def _mutation_of(draw: st.DrawFn, base: Any, keys: list[str]) -> Any:
    """``base`` with 1-3 fields replaced by hostile values, deleted, added, nested or scaled."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            return copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        path = draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        leaf = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "nest", "scale"]))
        if action == "replace":
            parent[leaf] = copy.deepcopy(
                draw(st.sampled_from(HOSTILE) | st.floats() | st.integers() | st.text(max_size=6))
            )
        elif action == "delete" and isinstance(parent, dict):
            parent.pop(leaf, None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(keys) | st.text(max_size=5))] = copy.deepcopy(draw(st.sampled_from(HOSTILE)))
        elif action == "nest":
            value: Any = parent[leaf]
            for _ in range(draw(st.integers(1, 80))):
                value = {"x": value} if draw(st.booleans()) else [value]
            parent[leaf] = value
        elif isinstance(parent[leaf], int | float) and not isinstance(parent[leaf], bool) and abs(parent[leaf]) < 1e300:
            parent[leaf] = parent[leaf] * draw(st.sampled_from([0, -1, 1e-12, 1e3, 1e9, 1e15, 1e300]))
    return doc


# --------------------------------------------------------------------------------------------
# The loader: hostile texts

TEXTS = [p.read_text("utf-8") for p in sorted(bundled_tables().glob("*.yaml"))[:3]]
TEXTS += [(ROOT / "examples" / "plans" / "s7-moe-140m.yaml").read_text("utf-8")]
TEXTS += [json.dumps({"nodes": 72, "network": {"wan": {"bandwidth_mbps": 100}}, "name": "a,b"})]
SNIPPETS = [
    "1:30",
    "017",
    "0o17",
    "0x1F",
    "0b11",
    "yes",
    "Off",
    ".nan",
    "-.inf",
    "1e400",
    "1" * 401,
    "9" * 5000,
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a}",
    "!!float x",
    "!!int 1.5",
    "&a [*a]",
    "*nope",
    "[" * 70 + "]" * 70,
    "[" * 2000,
    "{a: 1, a: 2}",
    "NaN",
    "Infinity",
    '"\\ud800"',
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "~",
    "",
]


@st.composite
def hostile_texts(draw: st.DrawFn) -> tuple[str, str]:
    suffix = draw(st.sampled_from([".yaml", ".yml", ".json", ".jsonl"]))
    kind = draw(st.integers(0, 5))
    if kind == 0:  # a real file, cut and spliced
        text = draw(st.sampled_from(TEXTS))
        cut = draw(st.integers(0, len(text)))
        text = (
            text[:cut] + draw(st.text(max_size=12) | st.sampled_from(SNIPPETS)) + text[cut + draw(st.integers(0, 40)) :]
        )
    elif kind == 1:  # random bytes as text
        text = draw(st.binary(max_size=120)).decode("utf-8", errors="replace")
    elif kind == 2:  # a hostile value at a key, in YAML or JSON form
        value = draw(st.sampled_from(SNIPPETS))
        text = f"nodes: {value}\n" if suffix in (".yaml", ".yml") else '{"nodes": ' + value + "}"
    elif kind == 3:  # duplicated lines: duplicate keys
        lines = draw(st.sampled_from(TEXTS)).splitlines()[:20]
        if lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
        text = "\n".join(lines)
    elif kind == 4:  # alias fan-out
        width, depth = draw(st.integers(1, 12)), draw(st.integers(1, 8))
        rows = ["l0: &l0 [x]"] + [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]" for i in range(1, depth)]
        text = "\n".join(rows)
    else:  # nesting
        depth = draw(st.integers(1, 200))
        text = (
            "[" * depth + "1" + "]" * depth
            if draw(st.booleans())
            else "a:\n" + "".join(" " * (2 * i) + "b:\n" for i in range(depth))
        )
    return text, suffix


@_settings(5_000)
@given(hostile_texts())
def test_the_loader_returns_plain_finite_data_or_one_line(item: tuple[str, str]) -> None:
    text, suffix = item
    with _Timed():
        try:
            docs = parse_documents(text, suffix, "fuzz" + suffix)
        except DtsimError as exc:
            _dtsim_error(exc)
            return
    for source, doc in docs:
        assert source.startswith("fuzz")
        _plain(doc)


@_settings(500)
@given(st.binary(max_size=300), st.sampled_from([".yaml", ".json", ".jsonl", ".csv", ".txt"]))
def test_the_loader_reads_any_bytes_from_a_file(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"f{suffix}"
    path.write_bytes(data)
    with _Timed():
        try:
            if suffix in (".csv", ".txt"):
                assert isinstance(read_text(path, limit_bytes=200), str)
            else:
                for _, doc in load_documents(path):
                    _plain(doc)
        except DtsimError as exc:
            _dtsim_error(exc)


# --------------------------------------------------------------------------------------------
# Population configurations

POPULATION: dict[str, Any] = {
    "seed": 3,
    "years": [2025, 2026],
    "samples": 40,
    "max_models": 200,
    "thresholds_flop": [1e24, 1e25],
    "totals": {"base_year": 2024, "base_flop": 1e26, "growth_per_year": 3.0, "taper": 0.1, "given": {2030: 1e28}},
    "distribution": {"kind": "skew-normal", "mean": -2.5, "std": 1.0, "skewness": -0.3},
    "constraints": {"slope": [0.8, 1.5], "largest_share": [0.01, 0.9], "models": [2, 200]},
}
POPULATION_KEYS = [*POPULATION, "given", "base_year", "mean", "std", "fit_data", "fit_year", "slope"]
#: Configurations cheaper than this many draws are also sampled (the rest are only validated).
CHEAP_DRAWS = 40_000


@_settings(2_000)
@given(_mutation_of(POPULATION, POPULATION_KEYS))
def test_population_configs_sample_finitely_or_fail_in_one_line(doc: Any) -> None:
    with _Timed():
        try:
            config = parse_sample_config(doc, "fuzz.yaml")
            if config.samples * config.max_models * len(config.years) <= CHEAP_DRAWS:
                rows = sample_years(config, Path("."))
                json.dumps(rows, allow_nan=False)
                assert [r["year"] for r in rows] == list(config.years)
        except DtsimError as exc:
            _dtsim_error(exc)
    assert _peak_mb() < PEAK_MB


# --------------------------------------------------------------------------------------------
# Audit plans

PLAN = load_plan(ROOT / "examples" / "plans" / "s7-moe-140m.yaml").model_dump(exclude_none=True)
PLAN_KEYS = ["params", "tensors", "shape", "claims", "tokens", "gpus", "gpu", "mfu", "thresholds_flop", "sums"]
OPTION_VALUES = [None, 0.4, 2.0, 0.0, -5.0, 1.0, 1e-5, 1e6, 1e300, float("nan"), float("inf"), True, "x"]


@_settings(2_000)
@given(
    _mutation_of(PLAN, PLAN_KEYS),
    st.sampled_from(OPTION_VALUES),
    st.sampled_from(OPTION_VALUES),
    st.sampled_from(OPTION_VALUES),
)
def test_audits_are_finite_or_fail_in_one_line(doc: Any, mfu: Any, factor: Any, price: Any) -> None:
    options = {k: v for k, v in (("mfu", mfu), ("factor", factor)) if v is not None}
    with _Timed():
        try:
            result = audit_plan(parse_plan(doc, source="fuzz.yaml"), price_usd_per_gpu_hour=price, **options)
            json.dumps(result, allow_nan=False)
        except DtsimError as exc:
            _dtsim_error(exc)


# --------------------------------------------------------------------------------------------
# Report table specs

TABLE: dict[str, Any] = {
    "id": "fuzz",
    "title": "fuzz",
    "source": "001 fuzz",
    "base": {"nodes": 72, "network": {"wan": {"bandwidth_mbps": 100}}},
    "rows": [{"label": "a"}, {"label": "b", "set": {"nodes": 144}}],
    "columns": [
        {"header": "C", "key": "c_local", "format": "e"},
        {"header": "D", "key": "wall_clock_days", "per": "inner_steps", "times": "eta", "format": "f2"},
        {"header": "R", "key": "c_local", "relative": "best", "format": "pct"},
        {"header": "N", "key": "scenario.nodes", "format": "int"},
    ],
}
TABLE_KEYS = ["key", "per", "times", "relative", "relative_set", "scale", "format", "set", "base", "tables"]


@_settings(500)
@given(_mutation_of({"tables": [TABLE]}, TABLE_KEYS))
def test_report_specs_build_or_fail_in_one_line(tmp_path_factory: pytest.TempPathFactory, doc: Any) -> None:
    path = tmp_path_factory.mktemp("spec") / "t.yaml"
    try:
        path.write_text(json.dumps(doc, allow_nan=False), "utf-8")
    except ValueError:  # NaN or infinity: not writable as JSON, and YAML would refuse it too
        return
    with _Timed():
        try:
            for spec in load_table_specs([path]):
                table = build_table(spec)
                json.dumps([[cell.value for cell in row] for row in table.rows], allow_nan=False, default=str)
        except DtsimError as exc:
            _dtsim_error(exc)


# --------------------------------------------------------------------------------------------
# Command-line options

SCENARIO = ROOT / "examples" / "scenarios" / "72-nodes-reference.yaml"
OPTION_TEXT = st.sampled_from(
    ["0", "-1", "1", "0.4", "2", "abc", "nan", "inf", "-inf", "1e400", "9" * 400, "", "[/red]"]
)
COMMANDS = st.sampled_from(
    [
        lambda v, w: ["audit", str(ROOT / "examples" / "plans" / "s7-moe-140m.yaml"), "--mfu", v, "--price", w],
        lambda v, w: ["audit", str(ROOT / "examples" / "plans" / "s7-moe-140m.yaml"), "--factor", v, "-f", "json"],
        lambda v, w: ["hardware", "--threshold", v, "--format", "json"],
        lambda v, w: [
            "population",
            "fit",
            str(ROOT / "examples" / "population" / "synthetic-notable-models.csv"),
            "--compute-column",
            w,
            "-f",
            "csv",
        ],
        lambda v, w: ["population", "sample", "missing.yaml", "--samples", v, "--seed", w],
        lambda v, w: ["validate", str(SCENARIO), v],
        lambda v, w: ["no-such-command", v],
    ]
)


@_settings(300)
@given(COMMANDS, OPTION_TEXT, OPTION_TEXT)
def test_command_line_options_exit_0_or_2_with_one_line(
    capsys: pytest.CaptureFixture[str], command: Any, first: str, second: str
) -> None:
    with _Timed(), pytest.raises(SystemExit) as caught:
        main(command(first, second))
    out, err = capsys.readouterr()
    assert caught.value.code in (0, 2), (caught.value.code, err)
    assert "Traceback" not in err and "\x1b" not in err
    if caught.value.code == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
    elif "json" in command(first, second):
        json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
