"""Scenarios: the validated, frozen description of one simulated training run, and loading
them from YAML, JSON and JSON-lines.

The schema is the contract of ``interface.md``; every leaf field's allowed range is declared
once here (``Annotated`` constraints) and reused by ``dtsim.sweep`` to validate whole axes.
Cross-field physics (does the model fit the node?) is checked by the core, not here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from dtsim.errors import MISSING, ScenarioError
from dtsim.physics.hardware import gpu_catalogue, node_presets

__all__ = [
    "Compression",
    "Hardware",
    "Link",
    "Model",
    "Network",
    "Pipeline",
    "Scenario",
    "Training",
    "load_documents",
    "load_scenarios",
    "parse_documents",
    "parse_scenario",
]

Strategy = Literal["diloco", "hierarchical", "pp-diloco", "moe-ep"]
STRATEGIES: tuple[str, ...] = ("diloco", "hierarchical", "pp-diloco", "moe-ep")
QualityName = Literal["optimistic", "expected", "conservative", "lossless"]

#: Largest scenario file read, bytes: hand-written scenarios are small; a huge file is a mistake.
MAX_FILE_BYTES = 20_000_000


def _number(value: Any) -> Any:
    """Accept int or float (not bool, not text), finite."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return value


def _integer(value: Any) -> Any:
    """Accept an int or an integral float (``1e3``), not bool, not text."""
    value = _number(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("expected a whole number")
        return int(value)
    return value


Number = Annotated[float, BeforeValidator(_number)]
Integer = Annotated[int, BeforeValidator(_integer)]


def _quality_table(value: Any) -> Any:
    """A custom quality table {ratio: factor}: ratios ≥ 1 (JSON keys may be numeric text),
    factors in (0, 1], ratio 1 (if given) must be 1.0."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or not value:
        raise ValueError("expected a scenario name or a non-empty table {ratio: factor}")
    table: dict[float, float] = {}
    for key, factor in value.items():
        try:
            ratio = float(key) if isinstance(key, str) else _number(key)
        except (TypeError, ValueError):
            raise ValueError(f"table key {key!r} is not a compression ratio") from None
        if not math.isfinite(ratio) or ratio < 1:
            raise ValueError(f"table ratio {key!r} must be a number ≥ 1")
        factor = _number(factor)
        if not 0 < factor <= 1:
            raise ValueError(f"quality factor {factor!r} at ratio {key!r} must be in (0, 1]")
        table[float(ratio)] = float(factor)
    if table.get(1.0, 1.0) != 1.0:
        raise ValueError("the factor at ratio 1 (no compression) must be 1.0")
    return dict(sorted(table.items()))


QualityTable = dict[float, float]
Quality = Annotated[QualityName | QualityTable, BeforeValidator(_quality_table)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Section):
    """A symmetric network link (1 bit/s at the least; RTT may be 0)."""

    bandwidth_mbps: Annotated[Number, Field(ge=1e-6, le=1e9)]
    latency_ms: Annotated[Number, Field(ge=0, le=1e6)] = 0.0


class Hardware(_Section):
    """One node: a catalogue GPU × count at a precision, a seed preset, or a custom node.

    Omitted entirely: the seeds' reference node, 48 × A100 80GB at FP16 (preset ``A100x48``).
    A ``gpu`` without ``gpus_per_node``: the largest node of that GPU not above the 16 H100-eq
    registration threshold. Explicit ``node_*`` fields override what the GPU implies.
    """

    preset: str | None = None
    gpu: str | None = None
    gpus_per_node: Annotated[Integer, Field(ge=1, le=1_000_000)] | None = None
    precision: Literal["fp16", "fp8"] = "fp16"
    node_pflops: Annotated[Number, Field(ge=1e-9, le=1e9)] | None = None
    node_memory_gb: Annotated[Number, Field(ge=1e-3, le=1e12)] | None = None
    node_cost_usd: Annotated[Number, Field(ge=0, le=1e15)] | None = None
    node_h100_equivalents: Annotated[Number, Field(ge=1e-9, le=1e9)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("preset") is not None:
            presets = node_presets()
            name = data["preset"]
            if not isinstance(name, str) or name not in presets:
                raise ScenarioError("hardware.preset", name, f"allowed: {', '.join(presets)}")
            preset = {k: v for k, v in presets[name].items() if k != "note"}
            data = {**preset, **data}
        return data

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, gpu: str | None) -> str | None:
        if gpu is not None and gpu not in gpu_catalogue():
            raise ValueError(f"unknown GPU; allowed: {', '.join(gpu_catalogue())}")
        return gpu

    @model_validator(mode="after")
    def _complete(self) -> Hardware:
        if self.gpu is None and (self.node_pflops is None or self.node_memory_gb is None):
            missing = "node_pflops" if self.node_pflops is None else "node_memory_gb"
            raise ScenarioError(
                f"hardware.{missing}",
                MISSING,
                "a custom node (no hardware.gpu) needs node_pflops and node_memory_gb",
            )
        return self


class Model(_Section):
    """The trained model. Dense: ``params`` (omitted → the largest that fits one node).
    Mixture of experts (``moe-ep``): ``total_params``, ``active_params``, ``moe_layers``."""

    params: Annotated[Number, Field(ge=1e6, le=1e16)] | None = None
    total_params: Annotated[Number, Field(ge=1e6, le=1e16)] | None = None
    active_params: Annotated[Number, Field(ge=1e6, le=1e16)] | None = None
    moe_layers: Annotated[Integer, Field(ge=1, le=100_000)] = 32


class Training(_Section):
    """Budget (``days`` or ``years``) or time-to-train target (``tokens``), and the schedule."""

    days: Annotated[Number, Field(ge=1e-4, le=36_525)] | None = None
    years: Annotated[Number, Field(ge=1e-6, le=100)] | None = None
    tokens: Annotated[Number, Field(ge=1, le=1e20)] | None = None
    mfu: Annotated[Number, Field(ge=1e-4, le=1)] = 0.4
    local_batch_tokens: Annotated[Integer, Field(ge=1, le=10**12)] = 131_072
    inner_steps: Literal["auto"] | Annotated[Integer, Field(ge=1, le=10**9)] = "auto"

    @model_validator(mode="after")
    def _one_duration(self) -> Training:
        given = [k for k in ("days", "years", "tokens") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ScenarioError(
                f"training.{given[1]}",
                getattr(self, given[1]),
                f"give only one of days, years, tokens (also got {given[0]})",
            )
        return self


class Network(_Section):
    """WAN between sites, regional links inside groups, and the straggler model."""

    wan: Link = Link(bandwidth_mbps=100.0, latency_ms=100.0)
    regional: Link = Link(bandwidth_mbps=1000.0, latency_ms=20.0)
    nodes_per_group: Annotated[Integer, Field(ge=1, le=1_000_000)] = 8
    straggler: Literal["log2", "none"] = "log2"


class Compression(_Section):
    """Compression ratios and their quality scenario (named or a custom table)."""

    pseudo_gradient: Annotated[Number, Field(ge=1, le=1e6)] = 16.0
    activations: Annotated[Number, Field(ge=1, le=1e6)] = 4.0
    quality: Quality = "expected"
    activation_quality: Quality | None = None


class Pipeline(_Section):
    """GPipe schedule of ``pp-diloco`` groups."""

    micro_batches: Annotated[Integer, Field(ge=1, le=1_000_000)] = 8


class Scenario(_Section):
    """One training run to simulate (interface.md, "Scenario")."""

    name: str | None = None
    strategy: Strategy = "diloco"
    nodes: Annotated[Integer, Field(ge=1, le=100_000_000)]
    hardware: Hardware = Hardware(preset="A100x48")
    model: Model = Model()
    training: Training = Training()
    network: Network = Network()
    compression: Compression = Compression()
    pipeline: Pipeline = Pipeline()

    @model_validator(mode="after")
    def _strategy_fields(self) -> Scenario:
        m = self.model
        if self.strategy == "moe-ep":
            if m.params is not None:
                raise ScenarioError(
                    "model.params", m.params, "moe-ep takes model.total_params and model.active_params instead"
                )
            for key in ("total_params", "active_params"):
                if getattr(m, key) is None:
                    raise ScenarioError(f"model.{key}", MISSING, "required for strategy moe-ep")
            assert m.total_params is not None and m.active_params is not None
            if m.active_params > m.total_params:
                raise ScenarioError(
                    "model.active_params", m.active_params, f"must be ≤ model.total_params ({m.total_params:g})"
                )
        else:
            for key in ("total_params", "active_params"):
                if getattr(m, key) is not None:
                    raise ScenarioError(
                        f"model.{key}",
                        getattr(m, key),
                        f"only for strategy moe-ep (this is {self.strategy}); use model.params",
                    )
            if self.strategy == "pp-diloco" and m.params is None:
                raise ScenarioError("model.params", MISSING, "required for pp-diloco (a model larger than one node)")
        return self

    def with_values(self, **changes: Any) -> Scenario:
        """A copy with dotted-path fields replaced (``{"network.wan.bandwidth_mbps": 25}``),
        validated again."""
        data = self.model_dump(exclude_none=True)
        for path, value in changes.items():
            set_path(data, path, value)
        return parse_scenario(data)


# --------------------------------------------------------------------------------------------
# Parsing and error translation


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``path = "a.b"``, creating sections as needed."""
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: type[BaseModel] = Scenario
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _scenario_error(exc: ValidationError, source: str | None) -> ScenarioError:
    # A misspelt key also makes the real one "missing": report the unknown key first.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(
        p
        for p in err["loc"]
        if not (isinstance(p, str) and p in ("function-before", "function-after"))
        and not str(p).startswith(("literal[", "constrained-", "dict[", "int", "float"))
    )
    field = ".".join(str(p) for p in loc)
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc))
        return ScenarioError(field, MISSING, f"unknown key; allowed here: {allowed}{more}", source=source)
    if err["type"] == "missing":
        return ScenarioError(field, MISSING, f"required{more}", source=source)
    message = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message[:1].lower() + message[1:]
    return ScenarioError(field, err.get("input", MISSING), message + more, source=source)


def parse_scenario(data: Any, *, source: str | None = None) -> Scenario:
    """Validate one scenario mapping; raise ``ScenarioError`` naming the field on bad input."""
    if isinstance(data, Scenario):
        return data
    if not isinstance(data, Mapping):
        raise ScenarioError("", type(data).__name__, "a scenario must be a mapping of keys to values", source=source)
    try:
        return Scenario.model_validate(dict(data))
    except ScenarioError as exc:
        if source and not exc.source:
            raise ScenarioError(exc.field, exc.value, exc.allowed, source=source) from None
        raise
    except ValidationError as exc:
        inner = _wrapped_scenario_error(exc)
        if inner is not None:
            raise ScenarioError(inner.field, inner.value, inner.allowed, source=source) from None
        raise _scenario_error(exc, source) from None


def _wrapped_scenario_error(exc: ValidationError) -> ScenarioError | None:
    """A ScenarioError raised inside a validator arrives wrapped; unwrap it."""
    for err in exc.errors(include_url=False):
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ScenarioError):
            prefix = ".".join(str(p) for p in err["loc"])
            if prefix and not ctx_error.field.startswith(prefix) and "." not in ctx_error.field:
                return ScenarioError(f"{prefix}.{ctx_error.field}", ctx_error.value, ctx_error.allowed)
            return ctx_error
    return None


# --------------------------------------------------------------------------------------------
# Files

_FLOAT_RE = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)$")


#: Largest expanded YAML document (nodes counted with every alias expanded): anchors that
#: share a base are fine, an alias-expansion bomb ("billion laughs") is refused.
MAX_EXPANDED_NODES = 200_000
#: Deepest nesting of a scenario document.
MAX_DEPTH = 64


class _ScenarioLoader(yaml.SafeLoader):
    """YAML safe loader that reads ``240e9`` as a number (YAML 1.1 needs ``240.0e9``) and
    refuses documents whose aliases expand beyond ``MAX_EXPANDED_NODES`` or that nest deeper
    than ``MAX_DEPTH``."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expansion(node)
        return super().construct_document(node)


def _check_expansion(root: yaml.Node) -> None:
    """Count the nodes of the composed graph with aliases expanded (memoised, so the count
    itself stays linear in the document) and the nesting depth."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError("", f"depth {depth}", f"nesting deeper than {MAX_DEPTH} levels is not allowed")
        if id(node) in sizes:
            continue
        children = _children(node)
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[id(node)] > MAX_EXPANDED_NODES:
                raise ScenarioError(
                    "",
                    f"{sizes[id(node)]:,}+ nodes",
                    f"the document's aliases expand too far (limit {MAX_EXPANDED_NODES:,} nodes): refused",
                )
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+0123456789"))


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ScenarioError("", str(path), f"cannot read file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ScenarioError("", str(path), f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError("", str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError("", str(path), f"cannot read file: {exc.strerror}") from None


def load_documents(path: str | Path) -> list[tuple[str, Any]]:
    """Read raw scenario documents from a YAML, JSON or JSON-lines file, each with a source
    label (``file`` or ``file[i]``). A YAML/JSON file holds one mapping or a list of them."""
    path = Path(path)
    return parse_documents(_read_text(path), path.suffix.lower(), str(path))


def parse_documents(text: str, suffix: str, source: str = "<text>") -> list[tuple[str, Any]]:
    """Parse scenario text of a file type (``.yaml``, ``.yml``, ``.json``, ``.jsonl``) into raw
    documents with source labels. Safe: YAML safe loader with alias and depth limits; NaN and
    infinities refused in JSON; every failure is a ``ScenarioError`` naming the source."""
    try:
        if suffix == ".jsonl":
            docs = [json.loads(line, parse_constant=_refuse_constant) for line in text.splitlines() if line.strip()]
            return [(f"{source}[{i}]", doc) for i, doc in enumerate(docs)]
        if suffix == ".json":
            data = json.loads(text, parse_constant=_refuse_constant)
        elif suffix in (".yaml", ".yml"):
            data = yaml.load(text, Loader=_ScenarioLoader)
        else:
            raise ScenarioError("", source, "unknown file type; allowed: .yaml, .yml, .json, .jsonl")
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError("", source, f"not valid {suffix.lstrip('.').upper()}: {_parse_problem(exc)}") from None
    except RecursionError:
        raise ScenarioError("", source, "nesting too deep") from None
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.value, exc.allowed, source=exc.source or source) from None
    if isinstance(data, list):
        return [(f"{source}[{i}]", doc) for i, doc in enumerate(data)]
    return [(source, data)]


def _parse_problem(exc: Exception) -> str:
    """One line: what the parser found wrong, and where."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (line {exc.lineno}, column {exc.colno})"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else str(problem)


def _refuse_constant(name: str) -> Any:
    raise ScenarioError("", name, "NaN and infinities are not allowed")


def load_scenarios(paths: str | Path | Iterable[str | Path]) -> list[Scenario]:
    """Load and validate every scenario of one or more files, in order."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return [parse_scenario(doc, source=source) for p in paths for source, doc in load_documents(p)]
