"""dtsim analysis benchmarks: print measured times and the machine (not a test; run by hand).

    python benchmarks/analyses_benchmark.py [--repeat 3]

(a) cheapest_config under the revised defaults (50 x A100): 1e24, 1e25, 1e26, exhaustive and
    bisection (the exhaustive 1e26 answer scans every node count up to 32,718);
(b) cheapest_config with nothing reaching the target: every node count up to 100,000;
(c) nodes_for_target for 1e24-1e26, one scenario, revised and seed physics.
Times are the best of --repeat runs after one warm-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from dtsim.analyses import cheapest_config, nodes_for_target

REVISED = {"physics": "revised"}


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
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )
    for target in (1e24, 1e25, 1e26):
        for search in ("exhaustive", "bisection"):
            seconds, out = best_of(args.repeat, lambda t=target, s=search: cheapest_config(REVISED, t, search=s))
            w = out.winner
            print(
                f"(a) cheapest_config {target:.0e} {search}: {seconds:.2f} s; "
                f"{w.strategy} {w.params / 1e9:g}B on {w.nodes:,} nodes, ${w.cost_usd / 1e6:,.2f}M"
            )
    seconds, out = best_of(args.repeat, lambda: cheapest_config(REVISED, 1e30))
    print(f"(b) cheapest_config 1e30 exhaustive, nothing reaches (100,000 node counts): {seconds:.2f} s")
    for physics in ("revised", "seed"):
        for target in (1e24, 1e25, 1e26):
            seconds, out = best_of(args.repeat, lambda p=physics, t=target: nodes_for_target({"physics": p}, t))
            print(f"(c) nodes_for_target {physics} {target:.0e}: {seconds * 1e3:.1f} ms; {out.nodes:,} nodes")


if __name__ == "__main__":
    main()
