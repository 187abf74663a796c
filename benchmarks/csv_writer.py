"""CSV formatting of sweep results: microseconds per value (not a test; run by hand).

    python benchmarks/csv_writer.py

Formats one 65,536-point chunk of a real sweep (every result key) and one chunk of random
full-precision floats, three ways: (a) ``csv.DictWriter`` on rows of Python values, the usual
per-value formatting; (b) NumPy ``astype(str)`` per column joined through object arrays,
written here for comparison only; (c) ``dtsim.output.csv_text``. Checks that (c) reads back
exactly. Times are the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

import dtsim
from dtsim.output import csv_text

ROOT = Path(__file__).resolve().parents[1]


def dict_writer(columns: Mapping[str, np.ndarray]) -> str:
    lists = [c.tolist() for c in columns.values()]
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*lists, strict=True)]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def object_concat(columns: Mapping[str, np.ndarray]) -> str:
    texts = [np.asarray(v).astype(str).astype(object) for v in columns.values()]
    rows = texts[0]
    for text in texts[1:]:
        rows = rows + "," + text
    return ",".join(columns) + "\n" + "\n".join(rows.tolist()) + "\n"


def best(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sweep = dtsim.sweep(
        ROOT / "scenarios" / "examples" / "72-nodes-reference.yaml",
        {"nodes": np.arange(1, 257), "network.wan.bandwidth_mbps": np.geomspace(1, 10_000, 256)},
        grid=True,
    )
    rng = np.random.default_rng(0)
    chunks = {
        "sweep chunk (65,536 points, every result key)": dict(sweep.columns),
        "random floats (65,536 x 12, full precision)": {f"x{i}": rng.lognormal(0, 20, 65_536) for i in range(12)},
    }
    for title, columns in chunks.items():
        values = len(next(iter(columns.values()))) * len(columns)
        print(title)
        results = {}
        for name, function in (
            ("csv.DictWriter", dict_writer),
            ("astype(str) + objects", object_concat),
            ("dtsim csv_text", csv_text),
        ):
            results[name] = best(lambda f=function, c=columns: f(c), args.repeat) / values * 1e6
        for name, us in results.items():
            print(f"  {name:24s} {us:6.3f} µs/value   ({results['csv.DictWriter'] / us:4.1f}x DictWriter)")
        rows = list(csv.reader(io.StringIO(csv_text(columns))))
        for j, key in enumerate(rows[0]):
            column = np.asarray(columns[key])
            if column.dtype.kind == "f":
                back = np.array([float(r[j]) if r[j] else np.nan for r in rows[1:]])
                assert np.array_equal(back, column, equal_nan=True), key
        print("  every float64 reads back exactly")


if __name__ == "__main__":
    main()
