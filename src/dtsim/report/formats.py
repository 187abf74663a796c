"""Display formats of report cells. Formatting lives here only; the core and JSON keep full
precision.

One style per kind of number across the whole report: scientific notation as
``1.75 × 10<sup>25</sup>`` (a real superscript in Markdown and HTML; ``1.75 × 10^25`` in plain
text such as figure labels), money as whole dollars below a million and three significant
digits above (``$720,000``, ``$3.6M``, ``$51.8M``, ``$1.65B``). The seed documents' own styles
(``1.75e25``, ``$4M``) are not reproduced: the older format names ``e``, ``usd1``, ``usd2`` and
``usd3`` remain accepted in table specifications as aliases of ``sci`` and ``usd``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["FORMATS", "NUMERIC_FORMATS", "format_value", "money", "scientific"]


def scientific(value: float, *, markup: bool = True) -> str:
    """``1.75 × 10<sup>25</sup>`` (three significant digits); ``markup=False``: ``1.75 × 10^25``."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.2e}".split("e")
    power = int(exponent)
    return f"{mantissa} × 10<sup>{power}</sup>" if markup else f"{mantissa} × 10^{power}"


def _three_digits(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def money(value: float) -> str:
    """US dollars: ``$720,000`` below a million, then ``$3.6M``, ``$51.8M``, ``$360M``, ``$1.65B``
    (three significant digits, trailing zeros dropped)."""
    sign = "−" if value < 0 else ""
    value = abs(value)
    if round(value) < 1e6:
        return f"{sign}${value:,.0f}"
    millions = float(f"{value / 1e6:.3g}")
    if millions < 1000:
        return f"{sign}${_three_digits(millions)}M"
    return f"{sign}${_three_digits(value / 1e9)}B"


def _signed_percent(value: float) -> str:
    delta = round(100 * (value - 1.0))
    return "baseline" if delta == 0 else f"{'+' if delta > 0 else '−'}{abs(delta)}%"


_MODES = {"diloco": "DiLoCo", "pp-diloco": "PP-DiLoCo", "hierarchical": "Hierarchical", "moe-ep": "MoE+EP"}

FORMATS: dict[str, Callable[[Any], str]] = {
    "int": lambda v: f"{v:,.0f}",
    "f1": lambda v: f"{v:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "f3": lambda v: f"{v:.3f}",
    "f4": lambda v: f"{v:.4f}",
    "g4": lambda v: f"{v:.4g}",
    "x1": lambda v: f"{v:,.1f}x",
    "x2": lambda v: f"{v:,.2f}x",
    "sci": scientific,
    "e": scientific,
    "pct": lambda v: f"{100 * v:.0f}%",
    "pct1": lambda v: f"{100 * v:.1f}%",
    "delta_pct": _signed_percent,
    "reduction": lambda v: f"{100 * (1.0 - v):.0f}%",
    "list": lambda v: ", ".join(map(str, v)) if v else "—",
    "usd": money,
    "usd1": money,
    "usd2": money,
    "usd3": money,
    "params": lambda v: f"{v / 1e9:,.0f}B" if v >= 1e9 else f"{v / 1e9:.2g}B",
    "tokens": lambda v: f"{v / 1e12:.1f}T",
    "gb": lambda v: f"{v:,.0f} GB",
    "seconds": lambda v: f"~{v:,.0f} s",
    "hours": lambda v: f"{v:,.2f} h" if v < 10 else f"{v:,.0f} h",
    "years": lambda v: f"{v / 365.25:g} years",
    "yesno": lambda v: "Yes" if v else "No",
    "mode": lambda v: _MODES.get(v, str(v)),
    "upper": lambda v: str(v).upper(),
    "text": str,
}

#: Formats whose cells are numbers (right-aligned); the others are text (left-aligned).
NUMERIC_FORMATS = frozenset(FORMATS) - {"list", "yesno", "mode", "upper", "text"}


def format_value(value: Any, fmt: str, *, markup: bool = True) -> str:
    """Format one cell; ``None`` (not applicable) and NaN show as an em dash. ``markup=False``
    gives plain text (figure labels, the terminal)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt in ("sci", "e"):
        return scientific(value, markup=markup)
    return FORMATS[fmt](value)
