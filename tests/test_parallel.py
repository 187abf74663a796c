"""Worker processes for independent tasks (``dtsim.parallel``): the same answers as one process,
errors that reach the caller whole, and an interrupt that stops the workers."""

from __future__ import annotations

import functools
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dtsim.cli import app
from dtsim.errors import MISSING, InfeasibleError, ScenarioError
from dtsim.parallel import cpu_workers, run_tasks
from dtsim.report.paper import paper_section
from dtsim.scenario import parse_scenario


def test_answers_in_order_on_two_workers() -> None:
    tasks = [functools.partial(math.factorial, n) for n in (30, 5, 12, 0)]
    assert run_tasks(tasks, workers=2) == [math.factorial(n) for n in (30, 5, 12, 0)]
    assert run_tasks(tasks, workers=1) == run_tasks(tasks, workers=8) == [math.factorial(n) for n in (30, 5, 12, 0)]
    assert run_tasks([], workers=2) == []
    assert cpu_workers() >= 1


def test_a_workers_error_reaches_the_caller_whole() -> None:
    tasks = [functools.partial(parse_scenario, {"nodes": 2}), functools.partial(parse_scenario, {"nodes": -1})]
    with pytest.raises(ScenarioError) as caught:
        run_tasks(tasks, workers=2)
    assert caught.value.field == "nodes" and caught.value.value == -1
    assert str(caught.value) == "nodes = -1: input should be greater than or equal to 1"


def test_errors_survive_pickling() -> None:
    import pickle

    missing = ScenarioError("model.params", MISSING, "required", source="plan.yaml")
    again = pickle.loads(pickle.dumps(missing))
    assert str(again) == str(missing) and again.value is MISSING and again.source == "plan.yaml"
    refused = InfeasibleError("nodes", "too few", "add nodes")
    assert str(pickle.loads(pickle.dumps(refused))) == str(refused)


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a}/{b}")


def _raise_unpicklable() -> None:
    raise _Unpicklable(1, 2)


def test_an_error_that_cannot_be_pickled_does_not_hang_the_pool() -> None:
    with pytest.raises(RuntimeError, match=r"_Unpicklable: 1/2"):
        run_tasks([_raise_unpicklable, _raise_unpicklable], workers=2)


def test_a_worker_that_dies_is_an_error_not_a_wait() -> None:
    tasks = [functools.partial(os._exit, 3), functools.partial(math.factorial, 3)]
    with pytest.raises(ScenarioError, match=r"^workers = 2: a worker process ended before its task"):
        run_tasks(tasks, workers=2)


def test_the_paper_section_is_the_same_on_two_workers() -> None:
    options = {"tables": ("latency",), "exhaustive": True, "seed": False, "figure": False}
    alone, shared = paper_section(**options, workers=1), paper_section(**options, workers=2)  # type: ignore[arg-type]
    assert shared.markdown == alone.markdown and shared.numbers == alone.numbers
    assert "The largest gap is latency 10 ms: $30.7M against $29M." in alone.markdown


def test_cli_workers() -> None:
    runner = CliRunner()
    one = runner.invoke(app, ["report", "paper-tables", "--table", "latency", "--workers", "1"])
    two = runner.invoke(app, ["report", "paper-tables", "--table", "latency", "--workers", "2"])
    assert one.exit_code == two.exit_code == 0 and one.output == two.output and "16x GH200 FP8" in one.output
    bad = runner.invoke(app, ["report", "paper-tables", "--workers", "0"])
    assert bad.exit_code == 2 and "--workers = 0: a whole number ≥ 1" in bad.output
    assert len(bad.output.strip().splitlines()) == 1


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the pool's workers are children of a fork server)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = {int(p) for p in task.read_text().split()}
        except OSError:
            continue
        for child in children:
            found |= {child, *_descendants(child)}
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_the_workers(tmp_path: Path, sig: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dtsim", "report", "paper-tables", "--search", "exhaustive", "--workers", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 4 and process.poll() is None and time.monotonic() < deadline:
        # the fork server, the two workers and the resource tracker, once they are running
        workers = _descendants(process.pid)
        time.sleep(0.05)
    assert len(workers) >= 3, "the workers did not start"
    time.sleep(1.0)  # searching
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)
    assert process.returncode == (130 if sig == signal.SIGINT else 143)
    assert "Traceback" not in err, err
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}").exists() else "X"
    return state not in ("Z", "X")


def test_sections_that_start_work_are_built_last_and_listed_in_order() -> None:
    """``build_report``: every ``start`` runs before any section is built; sections with one are
    built last; ``progress`` hears each title as it is built; the report keeps registry order."""
    from dtsim.report import build_report
    from dtsim.report.content import ReportContext, Section, SectionContent

    calls: list[str] = []

    def builder(name: str) -> Any:
        def build(ctx: ReportContext) -> SectionContent:
            calls.append(f"build {name}")
            assert ctx.pool is not None and ctx.workers == 1
            return SectionContent(f"{name} body\n")

        return build

    def start(ctx: ReportContext) -> None:
        calls.append("start b")

    sections = [
        Section("a", "Alpha", "first", builder("a")),
        Section("b", "Beta", "second", builder("b"), start=start),
        Section("c", "Gamma", "third", builder("c")),
    ]
    heard: list[str] = []
    report = build_report([], sections=sections, progress=heard.append, date="2026-01-01")
    assert calls == ["start b", "build a", "build c", "build b"]
    assert heard == ["Alpha", "Gamma", "Beta"]
    markdown = report.markdown()
    assert markdown.index("a body") < markdown.index("b body") < markdown.index("c body")
