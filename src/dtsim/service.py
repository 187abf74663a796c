"""What the command line and the web API share: the library's answers in the shape a face
shows them, so that neither face does library work.

- ``schema()``: the field registry as data (paths, labels, units, bounds, defaults, choices).
- ``catalogue()``, ``examples()``: the GPU catalogue, node presets and named example scenarios.
- ``simulation(scenario)``: the result, its explain steps and the warnings a reader must see.
- ``presets()``: the node presets and the example scenarios together (a face's preset menus).
- ``simulation(scenario)``: the result, its explain steps and the warnings a reader must see.
- ``sweep_points(...)``: a capped sweep for a face that shows every point; ``sweep_table(...)``
  the same as columns of plain values, axes given as values or as range text.
- ``analyses()``, ``analysis(name, args)``: the named analyses and their arguments; one run by
  name with a mapping of arguments (``files=False``: a scenario argument must be a mapping).
- ``uncertainty(...)``: a Monte Carlo run bounded in samples and in evaluated points.
- ``scenario_text(...)``, ``results_text(...)``: a scenario (YAML, JSON) or its results (JSON,
  CSV) as the text of a file a user saves.
- ``parse_overrides(...)``, ``parse_axis(...)``: command-line values read through the registry.

Every function takes scenarios as mappings (or ``Scenario`` objects); only ``simulation`` and
``sweep_points`` accept the path of a scenario file, for the command line.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import yaml

from dtsim.analyses import analyze, describe_analyses
from dtsim.engine import ScenarioLike, simulate, sweep
from dtsim.errors import ScenarioError
from dtsim.explain import Step, explain
from dtsim.fields import FIELDS, field_spec
from dtsim.montecarlo import UncertaintyResult
from dtsim.montecarlo import run as run_uncertainty
from dtsim.output import csv_text, json_text
from dtsim.physics.hardware import gpu_catalogue, node_presets
from dtsim.result import Batch, Result
from dtsim.scenario import Scenario, parse_documents, parse_scenario, set_path

__all__ = [
    "MAX_SWEEP_POINTS",
    "Simulation",
    "analyses",
    "analysis",
    "catalogue",
    "examples",
    "parse_axis",
    "parse_overrides",
    "presets",
    "results_text",
    "scenario_text",
    "schema",
    "simulation",
    "sweep_points",
    "sweep_table",
    "uncertainty",
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


def presets() -> dict[str, Any]:
    """What a preset menu offers: ``hardware`` (the node presets with their specification, as in
    ``catalogue()``) and ``examples`` (the named example scenarios, as in ``examples()``)."""
    return {"hardware": catalogue()["presets"], "examples": examples()}


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


def analyses() -> list[dict[str, Any]]:
    """Every named analysis as data (``dtsim.analyses.describe_analyses``): ``name``,
    ``summary``, ``description``, ``arguments`` (each ``name``, ``type``, ``kind``, ``choices``,
    ``default``, ``required``, ``nullable``, ``meaning`` and ``scenario``: whether it takes a
    scenario mapping) and ``result`` (each key's ``name``, ``type``, ``meaning``)."""
    described = describe_analyses()
    for entry in described:
        for argument in entry["arguments"]:
            argument["scenario"] = argument["kind"] == "scenario"
    return described


def analysis(name: str, args: Mapping[str, Any], *, files: bool = True) -> dict[str, Any]:
    """A named analysis with a mapping of keyword arguments (``dtsim.analyze``). With
    ``files=False`` an argument that takes a scenario must be a mapping (never a file path)."""
    if not isinstance(args, Mapping):
        raise ScenarioError("args", type(args).__name__, "expected a mapping of argument names to values")
    bad = [k for k in args if not isinstance(k, str)]
    if bad:
        raise ScenarioError("args", bad[0], "argument names are text")
    if not files:
        takes = {"scenario"}
        for entry in describe_analyses():
            if entry["name"] == name:
                takes |= {a["name"] for a in entry["arguments"] if a["kind"] == "scenario"}
        for key in sorted(takes & set(args)):
            if not isinstance(args[key], Mapping):
                raise ScenarioError(key, args[key], "expected a scenario mapping (no file is read here)")
    return analyze(name, **dict(args))


def sweep_table(
    scenario: Mapping[str, Any] | Scenario,
    axes: Sequence[tuple[str, Any]],
    *,
    grid: bool = True,
    max_points: int = MAX_SWEEP_POINTS,
    outputs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A capped sweep as columns of plain values (null where a point is infeasible): ``points``,
    ``axes`` ([{path, values}]) and ``columns`` ({key: [value per point]}: the result keys, or
    ``outputs``, then ``feasible``, ``infeasible_reason`` and the varied fields). Each axis is
    ``(path, values)`` with a list of values or range text as ``parse_axis`` reads it
    (``"log:1:100000:41"``); errors name ``axes[i].path``, ``axes[i].values`` or ``outputs[i]``."""
    base = parse_scenario(scenario)
    parsed: dict[str, Any] = {}
    where: dict[str, int] = {}
    for i, (path, values) in enumerate(axes):
        try:
            field_spec(path)
        except ScenarioError as exc:
            raise ScenarioError(f"axes[{i}].path", path, exc.allowed) from None
        if path in parsed:
            raise ScenarioError(f"axes[{i}].path", path, "each field once")
        if isinstance(values, str):
            values = parse_axis(path, values, field=f"axes[{i}].values", max_values=max_points)
        elif not isinstance(values, Sequence | np.ndarray) or not len(values):
            raise ScenarioError(f"axes[{i}].values", values, "expected a non-empty list of values or range text")
        parsed[path] = values
        where[path] = i
    try:
        batch = sweep_points(base, parsed, grid=grid, max_points=max_points)
    except ScenarioError as exc:
        if exc.field in where:
            raise ScenarioError(f"axes[{where[exc.field]}].values", exc.value, exc.allowed) from None
        raise
    rows = batch.to_dicts()
    keys = list(rows[0]) if rows else []
    if outputs is not None:
        if isinstance(outputs, str) or not isinstance(outputs, Sequence):
            raise ScenarioError("outputs", outputs, "expected a list of result keys")
        for i, key in enumerate(outputs):
            if key not in keys:
                raise ScenarioError(f"outputs[{i}]", key, f"allowed: {', '.join(keys)}")
        fixed = ["feasible", "infeasible_reason", *parsed]
        keys = list(dict.fromkeys([*outputs, *fixed]))
    return {
        "points": len(rows),
        "axes": [{"path": path, "values": np.asarray(values).tolist()} for path, values in parsed.items()],
        "columns": {key: [row[key] for row in rows] for key in keys},
    }


#: Samples a face that waits for the answer draws at most (``dtsim uncertainty`` goes further).
MAX_INTERACTIVE_SAMPLES = 20_000
#: Points (samples × blocks, plus sensitivity) such a face evaluates at most.
MAX_INTERACTIVE_POINTS = 400_000


def uncertainty(
    scenario: Mapping[str, Any] | Scenario,
    distributions: Mapping[str, Any],
    *,
    samples: int = 2_000,
    seed: int = 0,
    outputs: Sequence[str] | None = None,
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    analysis: Mapping[str, Any] | None = None,
    correlations: Sequence[Mapping[str, Any]] | None = None,
    mix: bool = False,
    sobol: bool | int = False,
    max_samples: int = MAX_INTERACTIVE_SAMPLES,
    max_points: int = MAX_INTERACTIVE_POINTS,
) -> UncertaintyResult:
    """``dtsim.uncertainty`` on this machine, bounded: at most ``max_samples`` samples, and a
    run whose evaluated points (samples per block of choices shown side by side, plus the
    tornado and Sobol' designs) exceed ``max_points`` is stopped after its first chunk. The
    scenario is a mapping, never a file."""
    if not isinstance(scenario, Mapping | Scenario):
        raise ScenarioError("scenario", type(scenario).__name__, "expected a scenario mapping (no file is read here)")
    if isinstance(samples, int | float) and not isinstance(samples, bool) and samples > max_samples:
        raise ScenarioError("samples", samples, f"at most {max_samples:,} here; run `dtsim uncertainty` for more")

    def bounded(done: int, total: int) -> None:
        if total > max_points:
            raise ScenarioError(
                "samples",
                samples,
                f"this run evaluates {total:,} points; at most {max_points:,} here "
                "(fewer samples, fewer choices shown side by side, or no Sobol')",
            )

    return run_uncertainty(
        scenario,
        distributions,
        samples=samples,
        seed=seed,
        outputs=outputs,
        thresholds=thresholds,
        analysis=analysis,
        correlations=correlations,
        mix=mix,
        sobol=sobol,
        progress=bounded,
    )


def scenario_text(scenario: Mapping[str, Any] | Scenario, fmt: str) -> str:
    """A validated scenario as the text of a scenario file (``fmt``: ``yaml`` or ``json``), as
    the user gave it (``Scenario.to_data``); ``dtsim simulate`` reads it back."""
    data = parse_scenario(scenario).to_data()
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if fmt == "json":
        return json_text(data, cause="a scenario value") + "\n"
    raise ScenarioError("format", fmt, "allowed: yaml, json")


def results_text(scenario: Mapping[str, Any] | Scenario, fmt: str) -> str:
    """A scenario's results as the text of a file (``fmt``: ``json``: the simulation with its
    explain steps and warnings; ``csv``: a header and one row of result keys, as sweeps write)."""
    if fmt not in ("json", "csv"):
        raise ScenarioError("format", fmt, "allowed: json, csv")
    parsed = parse_scenario(scenario)
    if fmt == "json":
        return json_text(simulation(parsed).to_dict(), cause="a result") + "\n"
    row = simulate(parsed).to_dict()
    return csv_text({key: np.array([value], dtype=object) for key, value in row.items()})


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


def _range_number(spec: str, part: str, what: str, field: str) -> float:
    try:
        value = float(part)
    except ValueError:
        raise ScenarioError(field, spec, f"{what} must be a number, got {part!r}") from None
    if not math.isfinite(value):
        raise ScenarioError(field, spec, f"{what} must be a finite number")
    return value


def parse_axis(path: str, spec: str, *, field: str = "--vary", max_values: int = MAX_AXIS_VALUES) -> Any:
    """The values of one ``--vary PATH=SPEC``: ``1,2,4`` (read as the field's kind),
    ``range:START:STOP:STEP`` (STOP included) or ``log:START:STOP:COUNT``. On an integer field a
    log range is rounded to whole numbers and repeated values are dropped. A range of more than
    ``max_values`` values is refused before any is made; errors name ``field``."""
    field_info = field_spec(path)
    kind, _, rest = spec.partition(":")
    if kind in ("range", "log"):
        parts = rest.split(":")
        third_name = "STEP" if kind == "range" else "COUNT"
        if len(parts) != 3:
            raise ScenarioError(field, spec, f"expected {kind}:START:STOP:{third_name}")
        start = _range_number(spec, parts[0], "START", field)
        stop = _range_number(spec, parts[1], "STOP", field)
        third = _range_number(spec, parts[2], third_name, field)
        if kind == "range":
            if third <= 0:
                raise ScenarioError(field, spec, "STEP must be > 0")
            if stop < start:
                raise ScenarioError(field, spec, "an empty range: STOP is below START")
            count = math.floor((stop - start) / third * (1 + 1e-12)) + 1
            if count > max_values:
                raise ScenarioError(field, spec, f"gives {count:,} values; at most {max_values:,}")
            values = start + third * np.arange(count)
        else:
            if start <= 0 or stop <= 0:
                raise ScenarioError(field, spec, "log ranges need START > 0 and STOP > 0")
            if not third.is_integer() or not 1 <= third <= max_values:
                raise ScenarioError(field, spec, f"COUNT must be a whole number from 1 to {max_values:,}")
            values = np.logspace(np.log10(start), np.log10(stop), int(third))
            if field_info.kind == "integer":
                values = np.unique(np.round(values))
        if field_info.kind == "integer":
            values = np.round(values, 9)
        return values
    texts = [v.strip() for v in spec.split(",")]
    if not spec.strip() or any(not t for t in texts):
        raise ScenarioError(field, spec, "expected comma-separated values, e.g. 1,2,4")
    if len(texts) > max_values:
        raise ScenarioError(field, spec, f"gives {len(texts):,} values; at most {max_values:,}")
    return [field_info.parse_text(text) for text in texts]
