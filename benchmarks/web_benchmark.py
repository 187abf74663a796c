"""Latency of ``POST /api/simulate`` (with explain) against a live server (not a test; run by hand).

    python benchmarks/web_benchmark.py [--requests 400] [--warmup 20]

Starts ``dtsim serve``'s app with uvicorn on a free port of 127.0.0.1 in this process (its own
thread and event loop, ``dtsim.web.server.running``), then sends the requests one after another
over one keep-alive connection with TCP_NODELAY, as the page does from a browser while a user
types. Each request varies ``nodes`` and the WAN
bandwidth, so no answer is a repeat. Prints the machine, then p50, p95, p99 and the maximum in
milliseconds (client-measured, request sent to answer parsed), and whether p95 is under the
50 ms target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import time

import httpx
import numpy as np

import dtsim
from dtsim.web import create_app
from dtsim.web.server import running

TARGET_P95_MS = 50.0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{cpu}; {os.cpu_count()} logical CPUs; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; NumPy {np.__version__}; dtsim {dtsim.__version__}"
    )


def _no_delay() -> httpx.HTTPTransport:
    """A client transport that sends each request at once, as browsers do (TCP_NODELAY)."""
    return httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    times_ms = []
    explain_steps = 0
    with running(create_app()) as url, httpx.Client(base_url=url, transport=_no_delay()) as client:
        for i in range(args.warmup + args.requests):
            scenario = {
                "nodes": int(rng.integers(1, 5_000)),
                "hardware": {"preset": "A100x48"},
                "network": {"wan": {"bandwidth_mbps": float(rng.uniform(10, 1_000))}},
            }
            body = json.dumps({"scenario": scenario, "explain": True})
            start = time.perf_counter()
            response = client.post("/api/simulate", content=body, headers={"content-type": "application/json"})
            answer = response.json()
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(f"request {i}: {response.status_code} {answer}")
            if i >= args.warmup:
                times_ms.append(elapsed)
                explain_steps = len(answer["explain"])

    quantiles = statistics.quantiles(times_ms, n=100, method="inclusive")
    p50, p95, p99 = quantiles[49], quantiles[94], quantiles[98]
    print(f"machine: {machine()}")
    print(
        f"POST /api/simulate with explain ({explain_steps} steps), {len(times_ms)} requests after {args.warmup} warm-up"
    )
    print(f"p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms   max {max(times_ms):.1f} ms")
    verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
    print(f"p95 {verdict} the {TARGET_P95_MS:.0f} ms target")


if __name__ == "__main__":
    main()
