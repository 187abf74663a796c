"""``dtsim audit``: check a declared training plan's compute, memory, GPU-hours and cost.

- ``plan``      the plan format (pydantic) and loading
- ``tensors``   tensor tables: parameters, bytes per dtype, padded storage
- ``compute``   the audit: FLOP, GPU-hours, wall time, memory, claims against computed values
- ``render``    Markdown and table rows of an audit
"""

from __future__ import annotations

from dtsim.audit.compute import audit_plan, verdict
from dtsim.audit.plan import Plan, load_plan, parse_plan
from dtsim.audit.render import render_markdown, summary_rows

__all__ = ["Plan", "audit_plan", "load_plan", "parse_plan", "render_markdown", "summary_rows", "verdict"]
