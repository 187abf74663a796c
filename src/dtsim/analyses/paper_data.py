"""The published paper's search space and tables as data (``dtsim/data/paper_tables.yaml``):
the 12 hardware options, the model-size grid, the group sizes, the overtraining range, the
shared scenario and each table's rows (paper_tables.md §2-§5, §10).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from dtsim.units import BILLION

__all__ = [
    "PaperOption",
    "PaperRow",
    "PaperTableSpec",
    "paper_group_sizes",
    "paper_options",
    "paper_overtraining_range",
    "paper_scenario",
    "paper_size_grid",
    "paper_table_specs",
    "paper_text_10_mbps_cost_usd",
]


@dataclass(frozen=True)
class PaperOption:
    """One hardware option: the paper's label and the ``hardware`` block it merges in."""

    label: str
    hardware: dict[str, Any]


@dataclass(frozen=True)
class PaperRow:
    """One row of a table: the target (FLOP), the WAN (Mbps, ms) and, for the bandwidth table,
    the row's label."""

    target: float
    upload_mbps: float
    download_mbps: float
    latency_ms: float
    label: str | None


@dataclass(frozen=True)
class PaperTableSpec:
    """One table: its name, the column its rows are keyed by, whether rows are sorted by cost
    (descending), and its rows in sweep order."""

    name: str
    key: str
    sort_by_cost: bool
    rows: tuple[PaperRow, ...]


@functools.cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        resources.files("dtsim.data").joinpath("paper_tables.yaml").read_text("utf-8")
    )
    return loaded


def paper_options() -> tuple[PaperOption, ...]:
    """The 12 hardware options of paper_tables.md §2.4, in search order."""
    return tuple(PaperOption(str(o["label"]), dict(o["hardware"])) for o in _data()["hardware_options"])


def paper_size_grid() -> tuple[float, ...]:
    """The 72 model sizes of paper_tables.md §2.5, in parameters, in iteration order."""
    return tuple(float(b) * BILLION for b in _data()["size_grid_b"])


def paper_group_sizes() -> tuple[int, ...]:
    """Nodes per regional group of the hierarchical candidates (paper_tables.md §3)."""
    return tuple(int(k) for k in _data()["group_sizes"])


def paper_overtraining_range() -> tuple[float, float]:
    """Inclusive bounds on the overtraining ratio (paper_tables.md §2.6)."""
    low, high = _data()["overtraining_range"]
    return float(low), float(high)


def paper_scenario() -> dict[str, Any]:
    """The scenario every row shares (paper_tables.md §2.1-§2.3): revised physics, 740 days,
    2026 prices, Cottier cost model, failure layer at its defaults; a new dict on each call."""
    scenario: dict[str, Any] = yaml.safe_load(yaml.safe_dump(_data()["scenario"]))
    return scenario


def paper_table_specs() -> dict[str, PaperTableSpec]:
    """The three tables (paper_tables.md §4, §5, §10): ``clocal``, ``bandwidth``, ``latency``."""
    specs = {}
    for name, table in _data()["tables"].items():
        rows = tuple(
            PaperRow(
                target=float(r["target"]),
                upload_mbps=float(r["upload_mbps"]),
                download_mbps=float(r["download_mbps"]),
                latency_ms=float(r["latency_ms"]),
                label=r.get("label"),
            )
            for r in table["rows"]
        )
        specs[name] = PaperTableSpec(name, str(table["key"]), bool(table.get("sort_by_cost", False)), rows)
    return specs


def paper_text_10_mbps_cost_usd() -> tuple[float, str]:
    """The 10 Mbps cost the paper's text states (paper_tables.md §13.2) and its source."""
    text = _data()["paper_text"]
    return float(text["bandwidth_10_mbps_cost_usd"]), str(text["source"])
