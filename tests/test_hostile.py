"""Hostile input at every entry point outside the scenario core: each test is a reproducer of
a fault that once gave a traceback, a hang, unbounded memory, NaN in output or a half-written
file, and now gives one ``DtsimError`` line (exit status 2 on the command line)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import dtsim
from conftest import ROOT
from dtsim.audit import audit_plan, parse_plan
from dtsim.cli import app, main
from dtsim.errors import DtsimError, InfeasibleError, ScenarioError
from dtsim.loading import (
    MAX_DOCUMENTS,
    load_documents,
    load_yaml_text,
    parse_documents,
    parse_value,
    read_csv_rows,
    read_text,
)
from dtsim.numbers import finite_or_refuse, number, refuse_non_finite
from dtsim.output import ChunkWriter, Terminated, atomic_directory, atomic_path, atomic_write_text, csv_text, json_text
from dtsim.population import SampleConfig, cumulative_fit, extrapolated_totals, load_models, sample_populations
from dtsim.population.sample import Totals, parse_sample_config
from dtsim.report import bundled_tables, write_report

runner = CliRunner()
EXAMPLES = ROOT / "examples"
SCENARIO = ROOT / "examples" / "scenarios" / "72-nodes-reference.yaml"


def _one_line_error(call: Callable[[], Any], *needles: str) -> str:
    """``call()`` raises a DtsimError whose message is one line holding every needle."""
    with pytest.raises(DtsimError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and len(message) < 3000, message[:200]
    for needle in needles:
        assert needle in message, (needle, message)
    return message


@pytest.fixture
def in_time() -> Iterator[Callable[[float], None]]:
    """``in_time(seconds)``: assert the test body so far took at most ``seconds``."""
    start = time.perf_counter()

    def check(seconds: float) -> None:
        assert time.perf_counter() - start < seconds, f"took {time.perf_counter() - start:.2f} s"

    yield check


def _peak_mb(call: Callable[[], Any]) -> float:
    """Peak Python memory (MB) allocated while ``call()`` ran (exceptions swallowed)."""
    tracemalloc.start()
    try:
        call()
    except DtsimError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 1e6


# --------------------------------------------------------------------------------------------
# Files: regular, bounded, UTF-8


def _in_child(code: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python; it sets ``out`` (a dict). Returns ``out`` with the
    child's wall time of ``code`` (``seconds``) and its peak resident memory (``peak_mb``).

    The peak is the child's own ``VmHWM``: ``ru_maxrss`` survives ``exec`` on Linux, so a child
    of a large test process would report the parent's size."""
    program = (
        "import json, resource, time\n"
        "start = time.perf_counter()\n"
        f"{code}\n"
        "out['seconds'] = time.perf_counter() - start\n"
        "try:\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "    out['peak_mb'] = int(status) / 1024\n"
        "except OSError:\n"
        "    out['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    return dict(json.loads(done.stdout))


def test_a_19_8_mb_yaml_list_is_refused_while_composing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("- {a: 1}\n" * 2_200_000, "utf-8")  # 19.8 MB, under the 20 MB file limit
    out = _in_child(
        "from dtsim.loading import load_documents\n"
        "from dtsim.errors import DtsimError\n"
        "out = {}\n"
        f"try:\n    load_documents({str(path)!r})\nexcept DtsimError as exc:\n    out['error'] = str(exc)\n"
    )
    assert "big.yaml" in out["error"] and "200,000 nodes" in out["error"]
    assert out["seconds"] < 10 and out["peak_mb"] < 500, out  # was 226 s and 7.3 GB


def test_a_list_of_scalars_stops_at_the_document_limit(in_time: Callable[[float], None]) -> None:
    _one_line_error(lambda: parse_documents("- 1\n" * 4_950_000, ".yaml", "x"), f"at most {MAX_DOCUMENTS:,}")
    in_time(3.0)


def test_jsonl_of_1_5_million_scenarios_is_refused_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text('{"nodes": 1}\n' * 1_500_000, "utf-8")  # 18 MB
    out = _in_child(
        "from dtsim.loading import load_documents\n"
        "from dtsim.errors import DtsimError\n"
        "out = {}\n"
        f"try:\n    load_documents({str(path)!r})\nexcept DtsimError as exc:\n    out['error'] = str(exc)\n"
    )
    assert "line 100,001" in out["error"] and "100,000 documents" in out["error"]
    assert out["seconds"] < 10 and out["peak_mb"] < 500, out  # ran out of memory


def test_alias_bombs_and_recursive_aliases_are_refused(in_time: Callable[[float], None]) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    _one_line_error(lambda: load_yaml_text("\n".join(lines), "bomb.yaml"), "bomb.yaml", "too large")
    _one_line_error(lambda: load_yaml_text("a: &a [1, *a]", "r.yaml"), "recursive")
    shared = "base: &b {x: 1, y: 2}\none: *b\ntwo: {<<: *b, y: 3}\n"
    assert load_yaml_text(shared) == {"base": {"x": 1, "y": 2}, "one": {"x": 1, "y": 2}, "two": {"x": 1, "y": 3}}
    in_time(2.0)


def test_symlink_to_dev_zero_fifo_and_directory_are_refused(tmp_path: Path, in_time: Callable[[float], None]) -> None:
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    _one_line_error(lambda: load_documents(zero), "zero.yaml", "character device")
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    _one_line_error(lambda: load_documents(folder), "folder.yaml", "directory")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_documents(fifo)
        except ScenarioError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(5)
    if reader.is_alive():  # blocked: let it go, then fail
        with open(fifo, "w"):
            pass
        reader.join()
        raise AssertionError("reading a FIFO blocked")
    assert "FIFO" in str(outcome[0])
    in_time(6.0)


def test_files_are_read_within_their_byte_limit(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("nodes: 1\n" + "#" * 2000, "utf-8")
    _one_line_error(lambda: read_text(path, limit_bytes=1000, what="scenario file"), "scenario file", "1,000")
    path.write_bytes(b"nodes: 4\nname: \xff\n")
    _one_line_error(lambda: load_documents(path), "not UTF-8", "s.yaml")
    _one_line_error(lambda: load_documents(tmp_path / "missing.yaml"), "cannot read", "missing.yaml")


# --------------------------------------------------------------------------------------------
# YAML 1.2 numbers, duplicate keys, non-finite and huge numbers


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("nodes: 1:30\n", "base-60"),  # YAML 1.1 read 90
        ("nodes: 017\n", "octal"),
        ("nodes: 0b101\n", "binary"),
        ("training: {inner_steps: yes}\n", "true or false"),
        ("parallel: off\n", "true or false"),
        ("nodes: .nan\n", "NaN"),
        ("nodes: -.inf\n", "NaN"),
        ("nodes: !!float .nan\n", "NaN"),
        ("nodes: 1e400\n", "float range"),
        ("nodes: " + "1" * 401 + "\n", "401-digit"),
        ("nodes: " + "9" * 5000 + "\n", "5,000-digit"),
        ("nodes: 4\nnodes: 8\n", "duplicate key (lines 1 and 2)"),
        ("network:\n  wan: {bandwidth_mbps: 1, bandwidth_mbps: 2}\n", "network.wan.bandwidth_mbps"),
        ("nodes: !!python/object/apply:os.system ['true']\n", "constructor"),
        ("nodes: !!binary aGVsbG8=\n", "constructor"),
        ("[" * 100_000 + "]" * 100_000, "nesting"),
        ("[" * 70 + "]" * 70, "deeper than 64"),
    ],
)
def test_yaml_refusals_are_one_line_naming_the_place(text: str, needle: str) -> None:
    _one_line_error(lambda: parse_documents(text, ".yaml", "s.yaml"), "s.yaml", needle)


def test_command_line_values_use_the_same_rules() -> None:
    assert parse_value("25") == 25 and parse_value("1e9") == 1e9 and parse_value("{1: 1.0}") == {1: 1.0}
    assert parse_value("a: b: c") == "a: b: c"  # not YAML: the text itself
    _one_line_error(lambda: parse_value("1:30", "--set"), "--set", "base-60")
    _one_line_error(lambda: parse_value("9" * 400, "--vary"), "--vary", "float range")
    _one_line_error(lambda: parse_value("[" * 70 + "]" * 70, "--set"), "--set", "deeper than 64")
    assert parse_value("[" * 5000) == "[" * 5000  # unclosed: not YAML, text (that the schema refuses)


def test_yaml_1_2_numbers() -> None:
    data = load_yaml_text("a: 240e9\nb: 1e25\nc: 0o17\nd: 0x1F\ne: '1:30'\nf: 1_000\ng: 2024-01-15\nh: true\ni: ~\n")
    expected = {
        "a": 240e9,
        "b": 1e25,
        "c": 15,
        "d": 31,
        "e": "1:30",
        "f": 1000,
        "g": "2024-01-15",
        "h": True,
        "i": None,
    }
    assert data == expected
    assert isinstance(data["a"], float) and isinstance(data["c"], int)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"nodes": NaN}', "NaN"),
        ('{"nodes": Infinity}', "NaN"),
        ('{"nodes": 1e400}', "float range"),
        ('{"nodes": ' + "1" * 401 + "}", "401-digit"),
        ('{"nodes": ' + "1" * 5000 + "}", "5,000-digit"),
        ('{"nodes": 4, "nodes": 8}', "duplicate key"),
        ("[" * 100_000 + "]" * 100_000, "deeper than 64"),
        ("[" * 70 + "]" * 70, "deeper than 64"),
    ],
)
def test_json_refusals_are_one_line(text: str, needle: str) -> None:
    _one_line_error(lambda: parse_documents(text, ".json", "s.json"), "s.json", needle)
    _one_line_error(lambda: parse_documents("{}\n" + text + "\n", ".jsonl", "s.jsonl"), "s.jsonl, line 2", needle)


def test_jsonl_lines_split_only_at_newlines() -> None:
    docs = parse_documents('{"name": "a\u2028b", "nodes": 4}\r\n\n{"nodes": 8}\n', ".jsonl", "f.jsonl")
    assert docs == [("f.jsonl[0]", {"name": "a\u2028b", "nodes": 4}), ("f.jsonl[1]", {"nodes": 8})]


def test_csv_field_size_and_row_limits(tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    path.write_text("Model,Publication date,Training compute (FLOP)\n" + "x" * 200_000 + ",2020,1e20\n", "utf-8")
    _one_line_error(lambda: load_models(path), "line 2", "131,072 characters")
    path.write_text("a,b\n" + "1,2\n" * 50, "utf-8")
    header, rows = read_csv_rows(path, max_rows=10)
    assert header == ["a", "b"]
    _one_line_error(lambda: list(rows), "more than 10 rows")


# --------------------------------------------------------------------------------------------
# Numbers in, numbers out


@pytest.mark.parametrize(
    "value", [True, np.bool_(False), "3", None, math.nan, math.inf, -math.inf, 10**400, [1], np.float64("nan")]
)
def test_number_refuses_with_one_line(value: Any) -> None:
    _one_line_error(lambda: number("--x", value), "--x")


def test_number_accepts_numpy_scalars_and_checks_bounds() -> None:
    assert number("n", np.int64(3), integer=True) == 3 and type(number("n", np.int64(3), integer=True)) is int
    assert number("x", np.float32(0.5)) == 0.5 and type(number("x", 2)) is float
    assert number("n", 1e3, integer=True) == 1000
    _one_line_error(lambda: number("n", 2.5, integer=True), "whole")
    _one_line_error(lambda: number("x", 0, low=0, low_open=True), "> 0")
    _one_line_error(lambda: number("x", 1, high=1, high_open=True), "< 1")
    assert number("x", 1e308, high=math.inf) == 1e308


def test_non_finite_results_name_their_cause() -> None:
    message = _one_line_error(lambda: refuse_non_finite({"a": [1.0, {"b": math.inf}]}, cause="the --price option"))
    assert "a[1].b" in message and "--price" in message
    with pytest.raises(InfeasibleError):
        finite_or_refuse("eta", np.array([1.0, np.nan]), cause="x")
    assert json_text({"x": 1.5, "y": None}, cause="x") == '{\n "x": 1.5,\n "y": null\n}'


def test_a_1_mb_key_is_not_echoed_whole() -> None:
    message = str(ScenarioError("a" * 1_000_000, "\x1b[31m" * 10, "unknown key", source="f\nile"))
    assert len(message) < 400 and "\n" not in message and "\x1b" not in message and "\\x1b" in message


# --------------------------------------------------------------------------------------------
# Atomic writers


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_atomic_path_leaves_nothing_on_error_interrupt_and_sigterm(tmp_path: Path) -> None:
    dest = tmp_path / "out.csv"
    dest.write_text("old", "utf-8")
    for interrupt in (ValueError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(interrupt)), atomic_path(dest) as tmp:
            tmp.write_text("partial", "utf-8")
            raise interrupt
        assert dest.read_text("utf-8") == "old" and _leftovers(tmp_path) == []
    with pytest.raises(Terminated) as caught, atomic_path(dest) as tmp:
        tmp.write_text("partial", "utf-8")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert caught.value.code == 143
    assert dest.read_text("utf-8") == "old" and _leftovers(tmp_path) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    atomic_write_text(dest, "new")
    assert dest.read_text("utf-8") == "new" and _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("where", "needle"),
    [("missing/out.csv", "does not exist"), ("folder.csv", "is a folder"), ("file.txt/out.csv", "file")],
)
def test_bad_destinations_are_one_line(tmp_path: Path, where: str, needle: str) -> None:
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "file.txt").write_text("x", "utf-8")
    dest = tmp_path / where
    _one_line_error(lambda: ChunkWriter(dest), "--out", needle)
    _one_line_error(lambda: atomic_write_text(dest, "x"), "--out", needle)
    result = runner.invoke(app, ["sweep", str(SCENARIO), "--vary", "nodes=1,2", "--out", str(dest)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.output


def test_sweep_to_file_error_mid_sweep_leaves_no_file(tmp_path: Path) -> None:
    dest = tmp_path / "sweep.csv"

    def fail_after_first_chunk(done: int, total: int) -> None:
        if done > 1000:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        dtsim.sweep_to_file(
            SCENARIO, {"nodes": np.arange(1, 5001)}, dest, chunk_size=1000, progress=fail_after_first_chunk
        )
    assert not dest.exists() and _leftovers(tmp_path) == []


def test_csv_quotes_names_and_round_trips_floats(tmp_path: Path) -> None:
    names = np.array(["a,b", 'say "hi"', "two\nlines", "", None, "plain"], dtype=object)
    values = np.array([0.1, 1 / 3, 1e-310, 2.5e300, np.nan, -0.0])
    path = tmp_path / "x.csv"
    with ChunkWriter(path) as writer:
        writer.write({"name": names, "value": values, "flag": np.array([True, False] * 3)})
        writer.write({"name": names[:1], "value": values[:1], "flag": np.array([True])})
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["name", "value", "flag"] and len(rows) == 8
    assert [r[0] for r in rows[1:7]] == ["a,b", 'say "hi"', "two\nlines", "", "", "plain"]
    back = np.array([float(r[1]) if r[1] else np.nan for r in rows[1:7]])
    assert np.array_equal(back, values, equal_nan=True)  # exact float64 round trip
    assert csv_text({"only": np.array([""], dtype=object)}) == 'only\n""\n'
    assert csv_text({"c": np.broadcast_to(np.array([0.5]), (3,))}, header=False) == "0.5\n0.5\n0.5\n"


def test_atomic_directory_keeps_other_files_and_the_old_content_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep", "utf-8")
    (out / "figures").mkdir()
    (out / "figures" / "stale.svg").write_text("old", "utf-8")
    with atomic_directory(out) as staging:
        (staging / "figures").mkdir()
        (staging / "figures" / "new.svg").write_text("new", "utf-8")
        (staging / "report.md").write_text("# new", "utf-8")
    assert (out / "mine.txt").read_text("utf-8") == "keep" and (out / "report.md").read_text("utf-8") == "# new"
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["new.svg"] and _leftovers(out) == []
    with pytest.raises(KeyboardInterrupt), atomic_directory(out) as staging:
        (staging / "report.md").write_text("# partial", "utf-8")
        raise KeyboardInterrupt
    assert (out / "report.md").read_text("utf-8") == "# new" and _leftovers(out) == []
    fresh = tmp_path / "a" / "b"
    with atomic_directory(fresh) as staging:
        (staging / "x").write_text("1", "utf-8")
    assert (fresh / "x").read_text("utf-8") == "1" and _leftovers(tmp_path / "a") == []


# --------------------------------------------------------------------------------------------
# Interrupted runs leave no partial file (a real process, SIGINT and SIGTERM)


def _run_and_interrupt(args: list[str], folder: Path, sig: signal.Signals, started: Callable[[], bool]) -> int:
    """Start ``python -m dtsim ARGS``, send ``sig`` once ``started()`` (it is writing), wait."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dtsim", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not started() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    return process.returncode


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killing_a_streamed_sweep_leaves_no_partial_file(tmp_path: Path, sig: signal.Signals) -> None:
    def writing() -> bool:
        return any(p.name.startswith(".out.csv.") and p.stat().st_size > 0 for p in tmp_path.iterdir())

    code = _run_and_interrupt(
        ["sweep", str(SCENARIO), "--vary", "nodes=range:1:3000000:1", "--out", "out.csv", "--columns", "c_local"],
        tmp_path,
        sig,
        writing,
    )
    assert code == (130 if sig == signal.SIGINT else 143)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no out.csv, no temporary file


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_killing_a_report_leaves_the_old_report(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.md").write_text("old", "utf-8")

    def staging() -> bool:
        return any(p.name.startswith(".staging-") for p in out.iterdir())

    code = _run_and_interrupt(
        ["report", "--out", str(out), "--scenarios", str(bundled_tables())], tmp_path, sig, staging
    )
    names = sorted(p.name for p in out.iterdir())
    assert code in (0, 130 if sig == signal.SIGINT else 143)
    if (out / "report.md").read_text("utf-8") == "old":  # interrupted before the swap
        assert names == ["report.md"]
    else:  # the signal was held back until the new report was in place: complete
        assert names == ["figures", "report.html", "report.md"] and any((out / "figures").iterdir())


def test_write_report_interrupted_while_writing_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.html").write_text("old", "utf-8")
    written: list[str] = []
    real = Path.write_text

    def full_disk(self: Path, text: str, *args: Any, **kwargs: Any) -> int:
        written.append(self.name)
        if self.name == "report.html":
            raise OSError(28, "No space left on device")
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_disk)
    _one_line_error(lambda: write_report(out, bundled_tables()), "--out", "No space left")
    monkeypatch.undo()
    assert "report.md" in written and any(name.endswith(".svg") for name in written)
    assert sorted(p.name for p in out.iterdir()) == ["report.html"] and (out / "report.html").read_text() == "old"


# --------------------------------------------------------------------------------------------
# Population


POPULATION: dict[str, Any] = {
    "seed": 1,
    "years": [2026],
    "samples": 20,
    "max_models": 100,
    "totals": {"base_year": 2025, "base_flop": 1e27, "growth_per_year": 3.0},
    "distribution": {"mean": -2.0, "std": 1.0},
}


def _config(**changes: Any) -> SampleConfig:
    return parse_sample_config({**POPULATION, **changes})


def test_far_years_are_closed_form_and_overflow_is_refused_naming_the_year(in_time: Callable[[float], None]) -> None:
    totals = Totals(base_year=2024, base_flop=1e26, growth_per_year=1.0001, taper=0.0)
    assert extrapolated_totals(totals, [9999])[9999] == pytest.approx(1e26 * 1.0001**7975, rel=1e-9)
    tapered = Totals(base_year=2024, base_flop=1e26, growth_per_year=4.0, taper=0.15)
    assert extrapolated_totals(tapered, [9999])[9999] == pytest.approx(1e26 * 4 ** (1 / 0.15), rel=1e-9)
    in_time(0.5)  # was a loop over every year
    over = Totals(base_year=2024, base_flop=1e26, growth_per_year=1000)
    _one_line_error(lambda: extrapolated_totals(over, [2400]), "years = 2400", "10^1154")
    _one_line_error(lambda: _config(years=[100_000_000]), "years.0", "9999")


def test_population_fields_are_blamed_by_name(tmp_path: Path) -> None:
    _one_line_error(lambda: _config(seed=-1), "seed")
    _one_line_error(lambda: _config(years=[-5]), "years.0")
    _one_line_error(lambda: _config(thresholds_flop=[]), "thresholds_flop")
    _one_line_error(lambda: _config(samples=1_000_000, max_models=1_000_000), "samples", "1e+09")
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps(POPULATION), "utf-8")
    for option, value in (("--seed", "-1"), ("--samples", "0")):
        result = runner.invoke(app, ["population", "sample", str(path), option, value])
        assert result.exit_code == 2 and result.stderr.startswith(f"error: {option} = "), result.output


def test_sampling_memory_is_bounded_by_blocks() -> None:
    config = _config(samples=3, max_models=1_000_000, distribution={"mean": -6.5, "std": 0.3})
    peak = _peak_mb(lambda: sample_populations(config, 2026, 1e27, {"mean": -6.5, "std": 0.3, "skewness": 0.0}))
    assert peak < 400  # one block of 2 × 1e6 draws; was samples × max_models


def test_fit_of_a_one_model_year_is_null_not_nan(tmp_path: Path) -> None:
    assert cumulative_fit([1e20])["slope"] is None and cumulative_fit([1e20, 1e20])["r2"] is None
    path = tmp_path / "m.csv"
    path.write_text("Model,Publication date,Training compute (FLOP)\na,2020,1e20\nb,2021,1e21\nc,2021,1e22\n", "utf-8")
    plots = tmp_path / "plots"
    result = runner.invoke(app, ["population", "fit", str(path), "--format", "json", "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert rows[0]["fit_slope"] is None and rows[1]["fit_slope"] == pytest.approx(1.0413926851582254, rel=1e-12)
    assert sorted(p.name for p in plots.iterdir()) == ["cumulative_vs_individual.svg", "log_compute_histograms.svg"]
    (tmp_path / "file").write_text("x", "utf-8")
    onto_file = runner.invoke(app, ["population", "fit", str(path), "--plots", str(tmp_path / "file")])
    assert onto_file.exit_code == 2 and "--plots" in onto_file.stderr


def test_compute_sums_cannot_overflow(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Model,Publication date,Training compute (FLOP)\na,2020,1e308\nb,2020,1e308\n", "utf-8")
    _one_line_error(lambda: load_models(path), "line 2", "1e+300")


# --------------------------------------------------------------------------------------------
# Audit


PLAN: dict[str, Any] = {
    "name": "[/red] :smile: \x1b[31m",
    "components": {"a": {"params": 1e6, "claims": {"params": 1e9}}},
    "phases": [{"name": "[/red]", "tokens": 0, "trained": ["a"], "gpu": "H100-SXM", "gpus": 8, "claims": {"flop": 5}}],
}


def test_audit_refuses_zero_thresholds_and_bad_prices() -> None:
    _one_line_error(lambda: parse_plan({**PLAN, "thresholds_flop": {"x": 0}}), "thresholds_flop.x")
    plan = parse_plan(PLAN)
    for price in (math.nan, math.inf, -5.0):
        _one_line_error(lambda price=price: audit_plan(plan, price_usd_per_gpu_hour=price), "--price")
    _one_line_error(lambda: audit_plan(plan, factor=math.inf), "--factor")
    _one_line_error(
        lambda: parse_plan({**PLAN, "components": {"a": {"tensors": [{"name": "t", "shape": [10**12] * 3}]}}})
    )


def test_audit_ratios_stay_finite_and_text_stays_plain(tmp_path: Path) -> None:
    result = audit_plan(parse_plan(PLAN))
    check = result["phases"][0]["checks"]["flop"]
    assert check == {"claimed": 5.0, "computed": 0.0, "ratio": None, "verdict": "overstated"}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(PLAN), "utf-8")
    table = runner.invoke(app, ["audit", str(path)])
    assert table.exit_code == 0, table.output
    assert "[/red] :smile: \\x1b[31m" in table.stdout and "\x1b" not in table.stdout
    as_json = runner.invoke(app, ["audit", str(path), "--format", "json"])
    json.loads(as_json.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    bad = runner.invoke(app, ["audit", str(path), "--price", "nan"])
    assert bad.exit_code == 2 and bad.stderr.strip() == "error: --price = nan: expected a finite number"


# --------------------------------------------------------------------------------------------
# Report specs


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("bad.yaml", b"\xff\xfe tables:", ["bad.yaml", "not UTF-8"]),
        ("five.yaml", b"tables: 5\n", ["five.yaml", "list of tables"]),
        (
            "key.yaml",
            b"tables:\n- {id: k, title: t, source: '001 x', base: {nodes: 72}, rows: [{label: a}],"
            b" columns: [{header: H, key: no_such_key}]}\n",
            ["key.yaml: table k", "no_such_key", "allowed here"],
        ),
        (
            "zero.yaml",
            b"tables:\n- {id: z, title: t, source: '001 x', base: {nodes: 72}, rows: [{label: a}],"
            b" columns: [{header: H, key: c_local, relative: best, scale: 0}]}\n",
            ["zero.yaml: table z", "is 0"],
        ),
        (
            "fmt.yaml",
            b"tables:\n- {id: f, title: t, source: '001 x', rows: [{label: a}],"
            b" columns: [{header: H, key: x, format: q}]}\n",
            ["fmt.yaml: table f", "unknown format"],
        ),
    ],
)
def test_report_specs_fail_with_one_line_naming_file_and_table(
    tmp_path: Path, name: str, content: bytes, needles: list[str]
) -> None:
    (tmp_path / name).write_bytes(content)
    result = runner.invoke(app, ["report", "--scenarios", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_report_directory_named_yaml_and_out_onto_a_file(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    result = runner.invoke(app, ["report", "--scenarios", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "x.yaml" in result.stderr and "directory" in result.stderr
    (tmp_path / "file").write_text("x", "utf-8")
    onto = runner.invoke(app, ["report", "--out", str(tmp_path / "file"), "--scenarios", str(bundled_tables())])
    assert (
        onto.exit_code == 2
        and onto.stderr.strip() == f"error: --out = {str(tmp_path / 'file')!r}: is a file, not a folder"
    )


# --------------------------------------------------------------------------------------------
# Command-line usage errors and warnings


@pytest.mark.parametrize(
    "argv",
    [
        ["hardware", "--threshold", "abc"],
        ["nosuch"],
        ["audit", "--price"],
        ["population", "sample", "x.yaml", "--samples", "many"],
        ["hardware", "--threshold", "\x1b[31m" + "9" * 10_000],
    ],
)
def test_usage_errors_are_one_line_with_status_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "\x1b" not in err


def test_numpy_warnings_never_reach_the_user(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({**POPULATION, "distribution": {"mean": -300, "std": 100}}), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "dtsim", "population", "sample", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr
    json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def test_population_csv_to_stdout_has_every_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    years = {**POPULATION, "years": [2026, 2027], "constraints": {"models": [1, 1]}, "samples": 5}
    path.write_text(json.dumps(years), "utf-8")
    result = runner.invoke(app, ["population", "sample", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 and rows[0]["accepted"] == "0"
