"""dtsim benchmarks: print measured times and ratios (not a test; run by hand).

    python benchmarks/run_benchmarks.py            # everything but the 1e8-point stream
    python benchmarks/run_benchmarks.py --stream   # also a 1e8-point grid streamed to Parquet
    python benchmarks/run_benchmarks.py --quick    # 1e5-point sweeps, fewer repeats

Every figure that a user feels first is measured cold: in a fresh process, the first call. Warm
figures are the best of --repeat further calls in the same process. The scalar baseline (a
plain pure-Python evaluator of the flat-DiLoCo formulas, math module, the spec's 200-step
bisection for eta_chinchilla; written here for comparison only) is timed right before and
right after each timed call, in the same process, and each ratio uses the mean of those two
neighbours, so that a busy machine slows both sides alike.

(a) the scalar baseline, per scenario;
(b) ``dtsim.simulate`` of one scenario (random scenarios, warm) and ``simulate_many`` of 100
    against 100 single calls;
(c) ``dtsim.sweep`` over 1,000,000 random scenarios per strategy (zipped random nodes, node
    peak and memory, bandwidth, latency, compression), cold and warm, with the bytes of result
    columns built per scenario and the page faults (minor faults, ``getrusage``) per call; and
    flat DiLoCo with ``columns=["c_local", "c_quality"]``;
(d) ``dtsim sweep`` of a 1e6-point grid to a CSV file and to stdout (peak memory);
(e) ``dtsim report --out DIR`` from a cold process, one worker per core and one worker;
(f) with --stream: a 1e8-point grid streamed to Parquet, with its peak memory.

Wall-clock and CPU seconds are both printed: on a shared machine the wall clock also counts
the time other processes hold the cores. The last lines are the README's Performance table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve()


def scalar_flat_diloco(
    nodes: float, node_pflops: float, memory_gb: float, bandwidth_mbps: float, latency_ms: float, ratio: float
) -> float:
    """c_quality of one flat Streaming DiLoCo scenario, scalar pure Python (spec §2.4)."""
    flop_per_s = node_pflops * 1e15 * 0.4
    params = memory_gb * 1e9 / 16
    t_step = 6 * params * 131072 / flop_per_s
    straggler = 1 + 0.05 * math.log2(nodes) if nodes > 1 else 1.0
    t_sync = (2 * params * 16 / ratio / (bandwidth_mbps * 1e6) + latency_ms / 1000) * straggler
    h = max(1, math.ceil(t_sync / t_step))
    alpha = 0.08 / (1 + math.log10(params / 1e9) / 5)
    eta_h = max(0.4, 1 - alpha * math.log10(h))
    anchors = [(1, 1.0), (4, 1.0), (16, 0.98), (100, 0.95)]
    q = anchors[-1][1]
    for (a0, q0), (a1, q1) in itertools.pairwise(anchors):
        if ratio <= a1:
            t = (math.log10(ratio) - math.log10(a0)) / (math.log10(a1) - math.log10(a0))
            q = q0 + t * (q1 - q0)
            break
    p_b = params / 1e9
    eta_r = max(0.85, 1 - 0.005 * (min(2.4, p_b) / max(p_b, 0.1)) * math.log2(nodes)) if nodes > 1 else 1.0
    c_actual = nodes * flop_per_s * 547.875 * 86400
    tokens = c_actual / (6 * params)
    c_local = c_actual * eta_h * q * eta_r

    def loss(n: float, d: float) -> float:
        return 1.8172 + 482.01 / n**0.3478 + 2085.43 / d**0.3658

    def loss_opt(c: float) -> float:
        n = math.sqrt(c / 153.6)
        return loss(n, 25.6 * n)

    target = loss(params, tokens)
    lo, hi = 1e10, 10 * c_actual
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if loss_opt(mid) > target:
            lo = mid
        else:
            hi = mid
    return c_local * min(1.0, math.sqrt(lo * hi) / c_actual)


def random_axes(strategy: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Zipped random inputs that every scenario of the strategy can run."""
    memory = {"diloco": (500, 5000), "hierarchical": (500, 5000), "pp-diloco": (2200, 7000), "moe-ep": (2000, 8000)}[
        strategy
    ]
    low_nodes = {"diloco": 1, "hierarchical": 1, "pp-diloco": 16, "moe-ep": 100}[strategy]
    return {
        "nodes": rng.integers(low_nodes, 10_000, n),
        "hardware.node_pflops": rng.uniform(2, 32, n),
        "hardware.node_memory_gb": rng.uniform(*memory, n),
        "network.wan.bandwidth_mbps": rng.uniform(10, 1000, n),
        "network.wan.latency_ms": rng.uniform(1, 340, n),
        "compression.pseudo_gradient": rng.uniform(1, 100, n),
    }


BASES: dict[str, dict[str, Any]] = {
    "diloco": {"strategy": "diloco", "nodes": 72, "hardware": {"node_pflops": 15, "node_memory_gb": 3840}},
    "hierarchical": {
        "strategy": "hierarchical",
        "nodes": 4000,
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
    "pp-diloco": {
        "strategy": "pp-diloco",
        "nodes": 4000,
        "model": {"params": 960e9},
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
    "moe-ep": {
        "strategy": "moe-ep",
        "nodes": 4000,
        "model": {"total_params": 600e9, "active_params": 100e9},
        "hardware": {"node_pflops": 15, "node_memory_gb": 3840},
    },
}

#: Inputs of the baseline, drawn once (the same for every measurement).
_BASELINE_AXES = random_axes("diloco", 2_000, np.random.default_rng(1))
_BASELINE_POINTS = list(zip(*(v.tolist() for v in _BASELINE_AXES.values()), strict=True))


class Clock:
    """Wall and CPU seconds, and minor page faults, of a block."""

    def __enter__(self) -> Clock:
        self.faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        self.cpu0 = time.process_time()
        self.wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        self.faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - self.faults0


def check_baseline(points: int = 100) -> None:
    """The scalar baseline computes what dtsim computes (else its ratios would mean nothing)."""
    import dtsim

    chosen = _BASELINE_POINTS[:points]
    axes = {key: values[:points] for key, values in _BASELINE_AXES.items()}
    got = dtsim.sweep(BASES["diloco"], axes).columns["c_quality"]
    expected = [scalar_flat_diloco(*point) for point in chosen]
    if not np.allclose(got, expected, rtol=1e-9, atol=0.0):
        raise SystemExit("the scalar baseline and dtsim disagree: the ratios would be meaningless")


def baseline(points: int = 1_000) -> dict[str, float]:
    """Seconds per scenario of the scalar baseline (wall and CPU) over ``points`` scenarios."""
    chosen = _BASELINE_POINTS[:points]
    with Clock() as clock:
        for point in chosen:
            scalar_flat_diloco(*point)
    return {"wall": clock.wall / len(chosen), "cpu": clock.cpu / len(chosen)}


def interleaved(call: Callable[[], Any], scenarios: int, repeat: int) -> dict[str, Any]:
    """The first call (cold) and the best of ``repeat`` more (warm), each between two baseline
    runs; seconds per scenario and ratios against the neighbouring baselines."""
    runs = []
    before = baseline()
    result = None
    for i in range(repeat + 1):
        with Clock() as clock:
            result = call()
        after = baseline()
        runs.append(
            {
                "wall": clock.wall / scenarios,
                "cpu": clock.cpu / scenarios,
                "faults": clock.faults,
                "ratio_wall": (before["wall"] + after["wall"]) / 2 / (clock.wall / scenarios),
                "ratio_cpu": (before["cpu"] + after["cpu"]) / 2 / (clock.cpu / scenarios),
                "baseline_wall": (before["wall"] + after["wall"]) / 2,
            }
        )
        before = after
        if i == 0:
            del result  # a warm call does not hold the previous result's memory
            result = None
    warm = min(runs[1:], key=lambda r: r["wall"]) if repeat else runs[0]
    return {"cold": runs[0], "warm": warm}


def bytes_built(batch: Any) -> float:
    """Bytes of result-column memory per scenario: each distinct buffer once, broadcast views
    (one value) not counted."""
    seen: set[int] = set()
    total = 0
    for values in batch.columns.values():
        if values.ndim == 1 and len(values) > 1 and values.strides[0] == 0:
            continue
        base = values
        while isinstance(base.base, np.ndarray):
            base = base.base
        if id(base) not in seen:
            seen.add(id(base))
            total += base.nbytes
    return total / len(batch)


# --------------------------------------------------------------------------------------------
# Measurements, each in a fresh process (``--child NAME``)


def child_sweep(strategy: str, n: int, repeat: int, columns: list[str] | None) -> dict[str, Any]:
    import dtsim

    axes = random_axes(strategy, n, np.random.default_rng(2026))
    kwargs = {} if columns is None else {"columns": columns}
    out = interleaved(lambda: dtsim.sweep(BASES[strategy], axes, **kwargs), n, repeat)
    out["bytes_per_scenario"] = bytes_built(dtsim.sweep(BASES[strategy], axes, **kwargs))
    return out


def child_simulate(repeat: int) -> dict[str, Any]:
    import dtsim

    points = random_axes("diloco", 400, np.random.default_rng(7))
    scenarios = [
        {
            "strategy": "diloco",
            "nodes": int(nodes),
            "hardware": {"node_pflops": pflops, "node_memory_gb": memory},
            "network": {"wan": {"bandwidth_mbps": bandwidth, "latency_ms": latency}},
            "compression": {"pseudo_gradient": ratio},
        }
        for nodes, pflops, memory, bandwidth, latency, ratio in zip(*(v.tolist() for v in points.values()), strict=True)
    ]
    first = {"i": 0}

    def one() -> None:
        dtsim.simulate(scenarios[first["i"] % len(scenarios)])
        first["i"] += 1

    single = interleaved(lambda: [one() for _ in range(100)], 100, repeat)
    many = interleaved(lambda: dtsim.simulate_many(scenarios[:100]), 100, repeat)
    singles_wall = single["warm"]["wall"]
    return {
        "single": single,
        "many": many,
        "many_speedup": singles_wall / many["warm"]["wall"],
        "many_speedup_cpu": single["warm"]["cpu"] / many["warm"]["cpu"],
    }


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {"sweep": child_sweep, "simulate": child_simulate}


def run_child(name: str, **kwargs: Any) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its JSON answer (raises with the child's
    error output if it failed)."""
    done = subprocess.run(
        [sys.executable, str(HERE), "--child", name, json.dumps(kwargs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def timed_command(command: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, float]:
    """Wall seconds, CPU seconds (user + system of the child) and peak memory (MiB) of a fresh
    process, with a baseline run before and after it."""
    before = baseline()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    code = (
        "import os, resource, runpy, sys\n"
        "sys.argv = sys.argv[1:]\n"
        "try:\n    runpy.run_module('dtsim', run_name='__main__')\n"
        "except SystemExit as exc:\n    status = exc.code or 0\nelse:\n    status = 0\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    peak = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
        "except (OSError, IndexError):\n    pass\n"
        "os.write(2, f'\\npeak_kib={peak}\\n'.encode())\nsys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "dtsim", *command], stdout=stdout, stderr=subprocess.PIPE, text=True, check=True
    )
    wall = time.perf_counter() - start
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = baseline()
    peak = int(done.stderr.rsplit("peak_kib=", 1)[1].split()[0])
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu,
        "peak_mib": peak / 1024,
        "load": (before["wall"] + after["wall"]) / (before["cpu"] + after["cpu"]),
    }


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import dtsim

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu} ({platform.machine()}), {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, dtsim {dtsim.__version__}, "
        f"{' '.join(platform.libc_ver())}, load average {load:.1f}"
    )


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.3f}" if seconds < 1e-5 else f"{seconds * 1e6:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenarios", type=float, default=1e6, help="points per strategy sweep")
    parser.add_argument("--repeat", type=int, default=3, help="warm calls after the cold one")
    parser.add_argument("--stream", action="store_true", help="also stream a 1e8-point sweep to Parquet")
    parser.add_argument("--quick", action="store_true", help="1e5-point sweeps, one warm call")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, kwargs = args.child
        print(json.dumps(CHILDREN[name](**json.loads(kwargs))))
        return 0
    n = int(1e5 if args.quick else args.scenarios)
    repeat = 1 if args.quick else args.repeat
    rows: list[tuple[str, str, str]] = []
    print(f"machine: {machine()}")
    check_baseline()

    base = baseline(2_000)
    print(f"(a) scalar pure-Python flat DiLoCo: {_us(base['wall'])} µs/scenario wall, {_us(base['cpu'])} µs CPU")
    rows.append(("scalar pure-Python flat DiLoCo (baseline)", f"{_us(base['wall'])} µs / scenario", "1x"))

    sim = run_child("simulate", repeat=repeat)
    single = sim["single"]["warm"]
    print(
        f"(b) simulate, one scenario: {_us(single['wall'])} µs wall ({single['ratio_wall']:.3f}x the baseline's speed,"
        f" i.e. {1 / single['ratio_wall']:.1f}x its time; CPU {1 / single['ratio_cpu']:.1f}x); cold first 100: "
        f"{_us(sim['single']['cold']['wall'])} µs each"
    )
    many = sim["many"]["warm"]
    print(
        f"    simulate_many(100): {_us(many['wall'] * 100)} µs, {sim['many_speedup']:.1f}x faster than 100 "
        f"simulate calls (CPU {sim['many_speedup_cpu']:.1f}x)"
    )
    rows.append(
        (
            "`simulate`, one scenario (warm)",
            f"{_us(single['wall'])} µs",
            f"{1 / single['ratio_wall']:.1f}x slower (CPU {1 / single['ratio_cpu']:.1f}x)",
        )
    )
    rows.append(
        (
            "`simulate_many`, 100 scenarios",
            f"{_us(many['wall'] * 100)} µs",
            f"{sim['many_speedup']:.0f}x 100 single calls",
        )
    )

    print(f"(c) dtsim.sweep, {n:,} random scenarios, first call in a fresh process (cold), best warm of {repeat}:")
    per_strategy: dict[str, float] = {}
    for strategy in BASES:
        out = run_child("sweep", strategy=strategy, n=n, repeat=repeat, columns=None)
        cold, warm = out["cold"], out["warm"]
        per_strategy[strategy] = warm["wall"]
        print(
            f"    {strategy:13s} cold {_us(cold['wall'])} µs/pt ({cold['ratio_wall']:4.0f}x, "
            f"CPU {cold['ratio_cpu']:4.0f}x,"
            f" {cold['faults']:,} faults)  warm {_us(warm['wall'])} µs/pt ({warm['ratio_wall']:4.0f}x, CPU "
            f"{warm['ratio_cpu']:4.0f}x, {warm['faults']:,} faults)  {out['bytes_per_scenario']:.0f} B/scenario"
        )
        rows.append(
            (
                f"`sweep`, {strategy}, all columns",
                f"cold {_us(cold['wall'])} / warm {_us(warm['wall'])} µs / scenario",
                f"{cold['ratio_wall']:.0f}x / {warm['ratio_wall']:.0f}x "
                f"(CPU {cold['ratio_cpu']:.0f}x / {warm['ratio_cpu']:.0f}x)",
            )
        )
    try:
        out = run_child("sweep", strategy="diloco", n=n, repeat=repeat, columns=["c_local", "c_quality"])
    except subprocess.CalledProcessError as exc:  # a dtsim without sweep(columns=...)
        out = {"cold": {}, "warm": {}, "error": exc.stderr.strip().splitlines()[-1]}
    cold, warm = out["cold"], out["warm"]
    if "error" in out:
        cold = warm = {"wall": float("nan"), "cpu": float("nan"), "ratio_wall": float("nan"), "ratio_cpu": float("nan")}
        out["bytes_per_scenario"] = float("nan")
    print(
        f"    diloco, columns=[c_local, c_quality]: cold {_us(cold['wall'])} µs/pt ({cold['ratio_wall']:.0f}x, CPU "
        f"{cold['ratio_cpu']:.0f}x)  warm {_us(warm['wall'])} µs/pt ({warm['ratio_wall']:.0f}x)  "
        f"{out['bytes_per_scenario']:.0f} B/scenario"
    )
    rows.append(
        (
            '`sweep`, flat DiLoCo, `columns=["c_local", "c_quality"]`',
            f"cold {_us(cold['wall'])} / warm {_us(warm['wall'])} µs / scenario",
            f"{cold['ratio_wall']:.0f}x / {warm['ratio_wall']:.0f}x "
            f"(CPU {cold['ratio_cpu']:.0f}x / {warm['ratio_cpu']:.0f}x)",
        )
    )
    spread = max(per_strategy.values()) / per_strategy["diloco"]
    print(f"    slowest strategy / flat DiLoCo, warm: {spread:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "base.yaml"
        scenario.write_text("nodes: 72\n", "utf-8")
        vary = ["--vary", "nodes=range:1:1000:1", "--vary", "network.wan.bandwidth_mbps=log:10:1000:1000", "--grid"]
        to_file = timed_command(["sweep", str(scenario), *vary, "--out", f"{tmp}/o.csv"])
        to_stdout = timed_command(["sweep", str(scenario), *vary, "--format", "csv"])
        print(
            f"(d) dtsim sweep, 1e6-point grid, default columns: --out CSV {to_file['wall']:.2f} s "
            f"(CPU {to_file['cpu']:.2f} s, peak {to_file['peak_mib']:.0f} MiB); to stdout {to_stdout['wall']:.2f} s "
            f"(CPU {to_stdout['cpu']:.2f} s, peak {to_stdout['peak_mib']:.0f} MiB)"
        )
        rows.append(
            (
                "`dtsim sweep` 1e6-point grid → CSV file / stdout",
                f"{to_file['wall']:.1f} s / {to_stdout['wall']:.1f} s "
                f"(CPU {to_file['cpu']:.1f} / {to_stdout['cpu']:.1f}"
                f" s), peak {to_file['peak_mib']:.0f} / {to_stdout['peak_mib']:.0f} MiB",
                "",
            )
        )
        from dtsim.parallel import cpu_workers

        workers = cpu_workers()
        runs = ((f"--workers={workers}", f"{workers} workers (one per core)"), ("--workers=1", "1 worker"))
        for option, label in runs:
            reports = [timed_command(["report", "--out", f"{tmp}/report{i}", option]) for i in range(repeat)]
            best = min(reports, key=lambda r: r["wall"])
            # Workers forked from a fork server are not this process's children: their CPU time
            # is not counted, so it is shown for one worker only.
            cpu = f"CPU {best['cpu']:.1f} s, " if option == "--workers=1" else ""
            print(
                f"(e) dtsim report --out DIR {option}, cold process: {best['wall']:.2f} s "
                f"({cpu}peak of the main process {best['peak_mib']:.0f} MiB)"
            )
            rows.append(
                (
                    f"`dtsim report`, cold process, {label}",
                    f"{best['wall']:.1f} s ({cpu}peak of the main process {best['peak_mib']:.0f} MiB)",
                    "",
                )
            )

    if args.stream:
        axes = {
            "nodes": np.arange(1, 1001),
            "network.wan.bandwidth_mbps": np.logspace(1, 3, 1000),
            "hardware.node_pflops": np.linspace(5, 30, 100),
        }
        with tempfile.TemporaryDirectory() as out_dir:
            code = (
                "import sys, resource, time, numpy as np, dtsim\n"
                f"axes = {{k: np.array(v) for k, v in { ({k: v.tolist() for k, v in axes.items()})!r}.items()}}\n"
                "t = time.perf_counter(); c = time.process_time()\n"
                f"n = dtsim.sweep_to_file({BASES['diloco']!r}, axes, sys.argv[1], grid=True,"
                " columns=['c_local', 'c_quality', 'eta', 'inner_steps'])\n"
                "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "try:\n    peak = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
                "except (OSError, IndexError):\n    pass\n"
                "print(n, time.perf_counter() - t, time.process_time() - c, peak)\n"
            )
            result = subprocess.run(
                [sys.executable, "-c", code, f"{out_dir}/sweep.parquet"], check=True, capture_output=True, text=True
            )
            points, seconds, cpu, rss_kb = result.stdout.split()
            print(
                f"(f) {int(points):,}-point grid streamed to Parquet: {float(seconds):.1f} s (CPU {float(cpu):.1f} s), "
                f"{float(seconds) / int(points) * 1e6:.3f} µs/point, peak {int(rss_kb) / 1024:.0f} MiB"
            )
            rows.append(
                (
                    "1e8-point grid → Parquet (`sweep_to_file`)",
                    f"{float(seconds):.0f} s (CPU {float(cpu):.0f} s), peak {int(rss_kb) / 1024:.0f} MiB",
                    "",
                )
            )

    print()
    print("| what | time (wall) | vs scalar baseline (cold / warm) |")
    print("|:--|--:|--:|")
    for what, seconds, ratio in rows:
        print(f"| {what} | {seconds} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
