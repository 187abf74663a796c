"""dtsim uncertainty benchmarks: print measured times and the machine (not a test; run by hand).

    python benchmarks/uncertainty_benchmark.py [--repeat 3]

(a) Monte Carlo: 100,000 samples of the 72-node reference case with every input of
    examples/uncertainty/reference-72-nodes.yaml (target ≤ 2 s);
(b) Sobol': 16 uncertain numeric fields, 1,024 base samples (18,432 design points, bootstrap
    intervals), with 1,024 Monte Carlo samples alongside (target ≤ 10 s);
(c) nodes_for_target: the smallest node count reaching 1e25 FLOP of c_local for 10,000
    samples of the reference set (target ≤ 10 s).
Times are the best of --repeat runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy

from dtsim.montecarlo import load_config, run

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "examples" / "uncertainty" / "reference-72-nodes.yaml"

#: Sixteen numeric fields that exist in today's schema; several do not enter flat DiLoCo (their
#: Sobol' indices come out 0), which is part of the check.
SIXTEEN: dict[str, Any] = {
    "nodes": {"dist": "triangular", "low": 36, "mode": 72, "high": 144},
    "training.mfu": {"dist": "three_point", "p10": 0.30, "p50": 0.40, "p90": 0.46},
    "training.local_batch_tokens": {"dist": "loguniform", "low": 65_536, "high": 262_144},
    "training.days": {"dist": "uniform", "low": 365, "high": 730},
    "network.wan.bandwidth_mbps": "25 to 500",
    "network.wan.latency_ms": {"dist": "triangular", "low": 20, "mode": 75, "high": 230},
    "compression.pseudo_gradient": "8 to 150",
    "efficiency.sync_penalty.base": {"dist": "three_point", "p10": 0.06, "p50": 0.08, "p90": 0.10},
    "scaling_law.E": {"dist": "normal", "mean": 1.8172, "sd": 0.03},
    "model.params": {"dist": "uniform", "low": 100e9, "high": 240e9},
    "network.regional.bandwidth_mbps": "100 to 10000",
    "network.regional.latency_ms": {"dist": "uniform", "low": 1, "high": 50},
    "network.nodes_per_group": {"dist": "uniform", "low": 4, "high": 16},
    "compression.activations": {"dist": "uniform", "low": 1, "high": 10},
    "pipeline.micro_batches": {"dist": "uniform", "low": 4, "high": 16},
    "model.moe_layers": {"dist": "uniform", "low": 16, "high": 64},
}


def best_of(repeat: int, action: Callable[[], Any]) -> tuple[float, Any]:
    action()  # warm-up
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, SciPy {scipy.__version__}"
    )
    config = load_config(REFERENCE)
    scenario, distributions = config["scenario"], config["distributions"]

    seconds, result = best_of(args.repeat, lambda: run(scenario, distributions, samples=100_000))
    c_quality = result.outputs["c_quality"]
    print(
        f"(a) Monte Carlo, {len(result.inputs)} inputs, 100,000 samples: {seconds:.2f} s (target 2 s); "
        f"c_quality P5-P95 = 10^{c_quality.p5:.3f}-10^{c_quality.p95:.3f}, P(≥1e25) = {c_quality.exceed['1e+25']:.3f}"
    )

    seconds, result = best_of(args.repeat, lambda: run({"nodes": 72}, SIXTEEN, samples=1_024, sobol=1_024))
    sobol = result.sensitivity["sobol"]
    top = sorted(sobol["indices"]["c_quality"].items(), key=lambda item: -item[1]["st"])[:3]
    shown = ", ".join(f"{name} ST {index['st']:.2f}" for name, index in top)
    print(
        f"(b) Sobol', 16 inputs, 1,024 base samples ({sobol['points']:,} points, bootstrap intervals): "
        f"{seconds:.2f} s (target 10 s); c_quality: {shown}"
    )

    analysis = {"name": "nodes_for_target", "target": 1e25, "metric": "c_local"}
    seconds, result = best_of(args.repeat, lambda: run(scenario, distributions, samples=10_000, analysis=analysis))
    nodes = result.outputs["nodes"]
    print(
        f"(c) nodes_for_target 1e25 c_local, 10,000 samples: {seconds:.2f} s (target 10 s); "
        f"nodes P5/P50/P95 = {nodes.p5:.0f}/{nodes.p50:.0f}/{nodes.p95:.0f}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
