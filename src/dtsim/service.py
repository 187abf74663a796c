"""What the command line and the web API share: the library's answers in the shape a face
shows them, so that neither face does library work.

- ``schema()``: the field registry as data (paths, labels, units, bounds, defaults, choices).
- ``catalogue()``, ``examples()``: the GPU catalogue, node presets and named example scenarios.
- ``simulation(scenario)``: the result, its explain steps and the warnings a reader must see.
- ``sweep_points(...)``: a capped sweep for a face that shows every point.
- ``parse_overrides(...)``, ``parse_axis(...)``: command-line values read through the registry.
- ``analysis(name, args)``: a named analysis by name with a mapping of arguments.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from dtsim.analyses import analyze
from dtsim.engine import ScenarioLike, simulate, sweep
from dtsim.errors import ScenarioError
from dtsim.explain import Step, explain
from dtsim.fields import FIELDS, field_spec
from dtsim.physics.hardware import gpu_catalogue, node_presets
from dtsim.result import Batch, Result
from dtsim.scenario import parse_documents, parse_scenario, set_path

__all__ = [
    "MAX_SWEEP_POINTS",
    "Simulation",
    "analysis",
    "catalogue",
    "examples",
    "parse_axis",
    "parse_overrides",
    "schema",
    "simulation",
    "sweep_points",
    "warnings_for",
]

#: Most points a face that shows every point (a table, a chart, a web response) evaluates.
MAX_SWEEP_POINTS = 100_000


def schema() -> list[dict[str, Any]]:
    """Every scenario field as JSON-able data, in schema order (``dtsim.fields``)."""
    return [spec.to_dict() for spec in FIELDS.values()]


def catalogue() -> dict[str, Any]:
    """The GPU catalogue (with both price tables and sources) and the node presets with their
    specification."""
    gpus = [
        {
            "gpu": g.key,
            "fp16_tflops": g.fp16_tflops,
            "fp8_tflops": g.fp8_tflops,
            "memory_gb": g.memory_gb,
            "price_seed_usd": g.cost_usd,
            "price_2026_usd": g.cost_2026_usd,
            "source": g.source,
        }
        for g in gpu_catalogue().values()
    ]
    presets = [
        {"preset": name, **analyze("node_spec", hardware={"preset": name}), "note": entry.get("note", "")}
        for name, entry in node_presets().items()
    ]
    return {"gpus": gpus, "presets": presets}


@functools.cache
def _examples() -> dict[str, Any]:
    text = resources.files("dtsim.data").joinpath("examples.yaml").read_text("utf-8")
    ((_, documents),) = parse_documents(text, ".yaml", "examples.yaml")
    return dict(documents)


def examples() -> dict[str, dict[str, Any]]:
    """Named example scenarios (the seeds' cases, the revised model, the paper's headline):
    ``{key: {title, source, scenario}}``."""
    return {key: dict(entry) for key, entry in _examples().items()}


def warnings_for(result: Result) -> list[str]:
    """What a reader of this result must not miss, one line each."""
    warnings = []
    if result.registered:
        warnings.append(
            f"the node is registered: {result.h100_equivalents_per_node:.3g} H100-eq is above the registration "
            "threshold (reporting.registration_threshold_h100_eq)"
        )
    if result.bottleneck == "communication":
        warnings.append(
            f"communication-bound: synchronisation outlasts compute (compute utilisation "
            f"{result.compute_utilization:.0%})"
        )
    if result.strategy == "hierarchical" and result.inner_steps_regional is None:
        warnings.append("fewer than two regional groups: evaluated as flat DiLoCo")
    if result.overtraining_ratio < 1.0 and result.nodes > 1:
        warnings.append(f"undertrained: {result.overtraining_ratio:.2g} of the Chinchilla-optimal tokens per parameter")
    if result.goodput is not None and result.goodput < 0.5:
        warnings.append(f"failures take most of the run: goodput {result.goodput:.1%} under {result.mitigation}")
    return warnings


@dataclass(frozen=True)
class Simulation:
    """One scenario's result, how it came about, and the warnings to show with it."""

    result: Result
    explain: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: ``result``, ``explain`` (steps) and ``warnings``."""
        return {
            "result": self.result.to_dict(),
            "explain": [step.to_dict() for step in self.explain],
            "warnings": list(self.warnings),
        }


def simulation(scenario: ScenarioLike, *, with_explain: bool = True) -> Simulation:
    """Simulate one scenario; with its explain steps (``with_explain``) and warnings."""
    result = simulate(scenario)
    steps = explain(scenario) if with_explain else []
    return Simulation(result, steps, warnings_for(result))


def sweep_points(
    scenario: ScenarioLike,
    axes: Mapping[str, Any],
    *,
    grid: bool = False,
    max_points: int = MAX_SWEEP_POINTS,
    strict: bool = False,
) -> Batch:
    """A sweep whose every point will be shown: refused above ``max_points`` (naming the cap)
    before anything is evaluated."""
    sizes = [len(values) if hasattr(values, "__len__") else 1 for values in axes.values()]
    points = math.prod(sizes) if grid else max(sizes, default=1)
    if points > max_points:
        raise ScenarioError(
            "axes",
            points,
            f"at most {max_points:,} points here; stream larger sweeps to a file (dtsim sweep --out FILE)",
        )
    return sweep(scenario, axes, grid=grid, strict=strict)


def analysis(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """A named analysis with a mapping of keyword arguments (``dtsim.analyze``)."""
    if not isinstance(args, Mapping):
        raise ScenarioError("args", type(args).__name__, "expected a mapping of argument names to values")
    bad = [k for k in args if not isinstance(k, str)]
    if bad:
        raise ScenarioError("args", bad[0], "argument names are text")
    return analyze(name, **dict(args))


# --------------------------------------------------------------------------------------------
# Command-line values


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``--set``), each value read as its field's kind and the whole set
    checked against the schema; a key given twice is refused."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError("--set", pair, "expected KEY=VALUE, e.g. network.wan.bandwidth_mbps=25")
        if key in overrides:
            raise ScenarioError("--set", key, "given twice; give each key once")
        overrides[key] = field_spec(key).parse_text(text.strip())
    probe: dict[str, Any] = {"nodes": 1}
    for key, value in overrides.items():
        set_path(probe, key, value)
    parse_scenario(probe, source="--set")
    return overrides


#: Most values one ``--vary`` range may give (a sweep of more is streamed, never listed).
MAX_AXIS_VALUES = 100_000_000


def _range_number(spec: str, part: str, what: str) -> float:
    try:
        value = float(part)
    except ValueError:
        raise ScenarioError("--vary", spec, f"{what} must be a number, got {part!r}") from None
    if not math.isfinite(value):
        raise ScenarioError("--vary", spec, f"{what} must be a finite number")
    return value


def parse_axis(path: str, spec: str) -> Any:
    """The values of one ``--vary PATH=SPEC``: ``1,2,4`` (read as the field's kind),
    ``range:START:STOP:STEP`` (STOP included) or ``log:START:STOP:COUNT``. On an integer field a
    log range is rounded to whole numbers and repeated values are dropped."""
    field_info = field_spec(path)
    kind, _, rest = spec.partition(":")
    if kind in ("range", "log"):
        parts = rest.split(":")
        third_name = "STEP" if kind == "range" else "COUNT"
        if len(parts) != 3:
            raise ScenarioError("--vary", spec, f"expected {kind}:START:STOP:{third_name}")
        start = _range_number(spec, parts[0], "START")
        stop = _range_number(spec, parts[1], "STOP")
        third = _range_number(spec, parts[2], third_name)
        if kind == "range":
            if third <= 0:
                raise ScenarioError("--vary", spec, "STEP must be > 0")
            if stop < start:
                raise ScenarioError("--vary", spec, "an empty range: STOP is below START")
            count = math.floor((stop - start) / third * (1 + 1e-12)) + 1
            if count > MAX_AXIS_VALUES:
                raise ScenarioError("--vary", spec, f"gives {count:,} values; at most {MAX_AXIS_VALUES:,}")
            values = start + third * np.arange(count)
        else:
            if start <= 0 or stop <= 0:
                raise ScenarioError("--vary", spec, "log ranges need START > 0 and STOP > 0")
            if not third.is_integer() or not 1 <= third <= MAX_AXIS_VALUES:
                raise ScenarioError("--vary", spec, f"COUNT must be a whole number from 1 to {MAX_AXIS_VALUES:,}")
            values = np.logspace(np.log10(start), np.log10(stop), int(third))
            if field_info.kind == "integer":
                values = np.unique(np.round(values))
        if field_info.kind == "integer":
            values = np.round(values, 9)
        return values
    texts = [v.strip() for v in spec.split(",")]
    if not spec.strip() or any(not t for t in texts):
        raise ScenarioError("--vary", spec, "expected comma-separated values, e.g. 1,2,4")
    return [field_info.parse_text(text) for text in texts]
