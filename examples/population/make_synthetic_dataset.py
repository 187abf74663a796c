"""Regenerate synthetic-notable-models.csv: a SYNTHETIC table of models (not real data), with
the columns of the public "Notable AI Models" dataset, for tests and the README example.

    python examples/population/make_synthetic_dataset.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from dtsim.population.sample import skew_normal

OUT = Path(__file__).with_name("synthetic-notable-models.csv")


def main() -> None:
    rng = np.random.default_rng(20261121)
    rows = []
    for i, year in enumerate(range(2019, 2025)):
        count = 40 + 12 * i  # more models every year
        largest = 3e23 * 4.0**i  # the frontier grows about 4x a year
        log_compute = np.minimum(skew_normal(rng, (count,), np.log10(largest) - 2.3, 1.1, -0.6), np.log10(largest))
        for j, value in enumerate(sorted(log_compute)):
            month = 1 + (j * 7) % 12
            rows.append(
                {
                    "Model": f"synthetic-{year}-{j:03d}",
                    "Publication date": f"{year}-{month:02d}-15",
                    "Training compute (FLOP)": f"{10**value:.3e}",
                    "Domain": "synthetic",
                }
            )
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
