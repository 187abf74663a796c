"""dtsim benchmarks: print measured times and ratios (not a test; run by hand).

    python benchmarks/run_benchmarks.py            # baseline, 1e6-point sweeps, report
    python benchmarks/run_benchmarks.py --stream   # also a 1e8-point sweep streamed to Parquet

(a) a plain scalar pure-Python baseline of the flat-DiLoCo formulas (math module, the spec's
    200-step geometric bisection for eta_chinchilla), 10,000 scenarios; written here for
    comparison only;
(b) ``dtsim.sweep`` over 1,000,000 random scenarios per strategy (zipped random arrays for
    nodes, node peak and memory, bandwidth, latency and compression);
(c) ``dtsim report`` from a cold process;
(d) with --stream: a 1e8-point grid sweep streamed to Parquet, with its peak RSS.
Times are the best of --repeat runs after one warm-up, as timeit reports them.
"""

from __future__ import annotations

import argparse
import itertools
import math
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import dtsim

ROOT = Path(__file__).resolve().parents[1]


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


BASES = {
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


def best_of(repeat: int, run: object) -> float:
    assert callable(run)
    run()  # warm-up: first-touch page faults and lazy imports are not the engine's speed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=float, default=1e6, help="points per strategy sweep")
    parser.add_argument("--baseline", type=int, default=10_000, help="scalar baseline scenarios")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stream", action="store_true", help="also stream a 1e8-point sweep to Parquet")
    args = parser.parse_args()
    n = int(args.scenarios)
    rng = np.random.default_rng(2026)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, dtsim {dtsim.__version__}"
    )

    base = random_axes("diloco", args.baseline, rng)
    inputs = list(zip(*(base[k].tolist() for k in base), strict=True))
    start = time.perf_counter()
    for point in inputs:
        scalar_flat_diloco(*point)
    baseline_s = (time.perf_counter() - start) / args.baseline
    check = dtsim.sweep(BASES["diloco"], {k: v[:100] for k, v in base.items()}).columns["c_quality"]
    expected = [scalar_flat_diloco(*p) for p in inputs[:100]]
    assert np.allclose(check, expected, rtol=1e-9), "baseline and dtsim disagree"
    print(f"(a) scalar pure-Python flat DiLoCo: {baseline_s * 1e6:8.2f} µs/scenario ({args.baseline:,} scenarios)")

    print(f"(b) dtsim.sweep, {n:,} random scenarios per strategy (best of {args.repeat}):")
    for strategy, scenario in BASES.items():
        axes = random_axes(strategy, n, rng)
        seconds = best_of(args.repeat, lambda s=scenario, a=axes: dtsim.sweep(s, a))
        per = seconds / n
        print(
            f"    {strategy:13s} {per * 1e6:8.3f} µs/scenario  {seconds:6.2f} s  "
            f"{baseline_s / per:7.0f}x faster than (a)"
        )

    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "dtsim.cli", "report", "--out", out, "--scenarios", str(ROOT / "scenarios")]
        seconds = best_of(args.repeat, lambda: subprocess.run(command, check=True, capture_output=True))
    print(f"(c) dtsim report, cold process: {seconds:.2f} s")

    if args.stream:
        axes = {
            "nodes": np.arange(1, 1001),
            "network.wan.bandwidth_mbps": np.logspace(1, 3, 1000),
            "hardware.node_pflops": np.linspace(5, 30, 100),
        }
        with tempfile.TemporaryDirectory() as out:
            code = (
                "import sys, resource, time, numpy as np, dtsim\n"
                f"axes = {{k: np.array(v) for k, v in { ({k: v.tolist() for k, v in axes.items()})!r}.items()}}\n"
                "t = time.perf_counter()\n"
                f"n = dtsim.sweep_to_file({BASES['diloco']!r}, axes, sys.argv[1], grid=True,"
                " columns=['c_local', 'c_quality', 'eta', 'inner_steps'])\n"
                "print(n, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
            )
            result = subprocess.run(
                [sys.executable, "-c", code, f"{out}/sweep.parquet"], check=True, capture_output=True, text=True
            )
            points, seconds, rss_kb = result.stdout.split()
            print(
                f"(d) {int(points):,}-point grid streamed to Parquet: {float(seconds):.1f} s, "
                f"{float(seconds) / int(points) * 1e6:.3f} µs/point, peak RSS {int(rss_kb) / 1024:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
