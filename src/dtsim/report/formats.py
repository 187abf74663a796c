"""Display formats of report cells, as the seeds print them (spec ``model.md`` §0 and §4 cost
rules $1-$3). Formatting lives here only; the core and JSON keep full precision."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["FORMATS", "format_value"]


def _sci(value: float, style: str) -> str:
    mantissa, exponent = f"{value:.2e}".split("e")
    exp = int(exponent)
    return f"{mantissa}e{exp}" if style == "e" else f"{mantissa} x 10^{exp}"


def _usd_rule_1(value: float) -> str:
    """$1: under $10M one decimal ($0.7M, $2.9M), else whole millions ($12M, $360M)."""
    millions = value / 1e6
    return f"${millions:.1f}M" if millions < 10 else f"${millions:,.0f}M"


def _usd_rule_2(value: float) -> str:
    """$2: ≥ $1B one decimal in billions ($2.9B), else whole millions ($960M)."""
    return f"${value / 1e9:.1f}B" if value >= 1e9 else f"${value / 1e6:,.0f}M"


def _usd_rule_3(value: float) -> str:
    """$3: whole millions ($4M, $297M)."""
    return f"${value / 1e6:,.0f}M"


def _signed_percent(value: float) -> str:
    delta = round(100 * (value - 1.0))
    return "baseline" if delta == 0 else f"{'+' if delta > 0 else '−'}{abs(delta)}%"


FORMATS: dict[str, Callable[[Any], str]] = {
    "int": lambda v: f"{v:,.0f}",
    "f1": lambda v: f"{v:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "f3": lambda v: f"{v:.3f}",
    "f4": lambda v: f"{v:.4f}",
    "x1": lambda v: f"{v:.1f}x",
    "x2": lambda v: f"{v:.2f}x",
    "e": lambda v: _sci(v, "e"),
    "sci": lambda v: _sci(v, "x"),
    "pct": lambda v: f"{100 * v:.0f}%",
    "pct1": lambda v: f"{100 * v:.1f}%",
    "delta_pct": _signed_percent,
    "reduction": lambda v: f"{100 * (1.0 - v):.0f}%",
    "list": lambda v: ", ".join(map(str, v)) if v else "—",
    "usd1": _usd_rule_1,
    "usd2": _usd_rule_2,
    "usd3": _usd_rule_3,
    "params": lambda v: f"{v / 1e9:,.0f}B",
    "tokens": lambda v: f"{v / 1e12:.1f}T",
    "gb": lambda v: f"{v:,.0f} GB",
    "seconds": lambda v: f"~{v:,.0f} s",
    "yesno": lambda v: "Yes" if v else "No",
    "mode": lambda v: {
        "diloco": "DiLoCo",
        "pp-diloco": "PP-DiLoCo",
        "hierarchical": "Hierarchical",
        "moe-ep": "MoE+EP",
    }.get(v, str(v)),
    "text": str,
}


def format_value(value: Any, fmt: str) -> str:
    """Format one cell; ``None`` (not applicable) shows as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return FORMATS[fmt](value)
