"""Scenarios: the validated, frozen description of one simulated training run, exactly as the
user gave it, and loading them from YAML, JSON and JSON-lines.

Every leaf field defaults to ``None``, meaning *not given*: the value a run uses is filled in
per scenario by ``dtsim.normalize`` (a preset, the ``physics`` preset, a precision-dependent
default, or the field's own default), so that a field given explicitly always wins and a
partially given section keeps the documented defaults of the keys it omits. Each field declares
its range, unit, default and description once, here (``Annotated`` constraints and
``json_schema_extra``); ``dtsim.fields`` derives the field registry from them. Cross-field rules
live in ``dtsim.rules`` and run on every validated scenario, so a ``Scenario`` never contradicts
itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from dtsim.errors import MISSING, ScenarioError
from dtsim.loading import load_documents, parse_documents
from dtsim.numbers import Integer, Number, number_problem

__all__ = [
    "Compression",
    "Efficiency",
    "Hardware",
    "Model",
    "Network",
    "Pipeline",
    "Regional",
    "Reliability",
    "Reporting",
    "ScalingLaw",
    "Scenario",
    "Training",
    "Wan",
    "load_documents",
    "load_scenarios",
    "parse_documents",
    "parse_scenario",
    "set_path",
]

STRATEGIES: tuple[str, ...] = ("diloco", "hierarchical", "pp-diloco", "moe-ep")
Strategy = Literal["diloco", "hierarchical", "pp-diloco", "moe-ep"]
QualityName = Literal["optimistic", "expected", "conservative", "lossless"]


# --------------------------------------------------------------------------------------------
# Value types


def _boolean(value: Any) -> Any:
    if isinstance(value, np.bool_):
        return bool(value)
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {type(value).__name__}")
    return value


Boolean = Annotated[bool, BeforeValidator(_boolean)]


def _is_number_text(key: Any) -> bool:
    """A JSON object key that spells a number (``"16"``)."""
    if not isinstance(key, str):
        return False
    try:
        float(key)
    except ValueError:
        return False
    return True


def _quality_table(value: Any) -> Any:
    """A custom quality table {ratio: factor}: ratios ≥ 1 (JSON keys may be numeric text),
    factors in (0, 1], ratio 1 (if given) must be 1.0."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or not value:
        raise ValueError("expected a scenario name or a non-empty table {ratio: factor}")
    table: dict[float, float] = {}
    for key, factor in value.items():
        converted, problem = number_problem(float(key) if _is_number_text(key) else key)
        if problem is not None or converted is None:
            raise ValueError(f"table key {key!r} is not a compression ratio")
        ratio = float(converted)
        if not math.isfinite(ratio) or ratio < 1:
            raise ValueError(f"table ratio {key!r} must be a number ≥ 1")
        converted, problem = number_problem(factor)
        if problem is not None or converted is None:
            raise ValueError(f"quality factor {factor!r} at ratio {key!r}: {problem}")
        factor = float(converted)
        if not 0 < factor <= 1:
            raise ValueError(f"quality factor {factor!r} at ratio {key!r} must be in (0, 1]")
        table[float(ratio)] = float(factor)
    if table.get(1.0, 1.0) != 1.0:
        raise ValueError("the factor at ratio 1 (no compression) must be 1.0")
    return dict(sorted(table.items()))


QualityTable = dict[float, float]
Quality = Annotated[QualityName | QualityTable, BeforeValidator(_quality_table)]


def field(
    description: str,
    *,
    unit: str | None = None,
    default: Any = None,
    revised: Any = None,
    default_text: str | None = None,
    label: str | None = None,
    choices_from: str | None = None,
    **constraints: Any,
) -> Any:
    """A scenario field: not given (``None``) unless the user sets it.

    ``default`` is the value the seed physics fills in; ``revised`` the one ``physics: revised``
    fills in where it differs; ``default_text`` describes a default that depends on other
    fields (filled by ``dtsim.normalize``). ``choices_from`` names a catalogue whose keys are
    the allowed values. The field registry (``dtsim.fields``) reads all of this.
    """
    extra: dict[str, Any] = {"unit": unit, "label": label, "choices_from": choices_from}
    if default is not None:
        extra["default"] = default
    if revised is not None:
        extra["revised"] = revised
    if default_text is not None:
        extra["default_text"] = default_text
    return Field(None, description=description, json_schema_extra=extra, **constraints)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# Sections


class Hardware(_Section):
    """One node: a seed preset, a catalogue GPU × count at a precision, or a custom node; and how
    its cost is counted.

    Omitted node: the reference node, 48 × A100 80GB (50 under ``physics: revised``). A ``gpu``
    without ``gpus_per_node``: the largest node of that GPU not above the registration threshold.
    Explicit ``node_*`` fields override what the GPU implies.
    """

    preset: str | None = field(
        "A named node of the seeds (A100x48, GH200x16, H100x16, H100x16fp8): sets gpu, gpus_per_node "
        "and precision unless given",
        choices_from="presets",
    )
    gpu: str | None = field(
        "Accelerator model from the catalogue", default_text="A100-80GB when no node is given", choices_from="gpus"
    )
    gpus_per_node: Integer | None = field(
        "Accelerators per node (site)",
        default_text="48 for the reference node (50 under physics: revised); with a gpu, the most that stay "
        "at or below the registration threshold",
        ge=1,
        le=1_000_000,
    )
    precision: Literal["fp16", "fp8"] | None = field(
        "Training precision: sets throughput, bytes per parameter and pseudo-gradient bits", default="fp16"
    )
    node_pflops: Number | None = field(
        "Custom node: peak PFLOPS at the training precision", unit="PFLOPS", ge=1e-9, le=1e9
    )
    node_memory_gb: Number | None = field("Custom node: accelerator memory", unit="GB", ge=1e-3, le=1e12)
    node_cost_usd: Number | None = field("Custom node: purchase cost of one node", unit="USD", ge=0, le=1e15)
    node_h100_equivalents: Number | None = field(
        "Custom node: declared FP16 capacity in H100 units", unit="H100-eq", ge=1e-9, le=1e9
    )
    prices: Literal["seed", "2026"] | None = field(
        "Per-GPU price table of catalogue nodes (variants.md §8)", default="seed", revised="2026"
    )
    gpu_price_usd: Number | None = field(
        "Price of one catalogue GPU, replacing the price table's",
        unit="USD",
        default_text="the price table's",
        ge=0,
        le=1e9,
    )
    bytes_per_param: Number | None = field(
        "Training-state bytes per parameter (weights, gradients, optimizer state)",
        unit="bytes",
        default_text="16 at fp16, 14 at fp8",
        gt=0,
        le=1_000,
    )

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, gpu: str | None) -> str | None:
        from dtsim.physics.hardware import gpu_catalogue

        if gpu is not None and gpu not in gpu_catalogue():
            raise ValueError(f"unknown GPU; allowed: {', '.join(gpu_catalogue())}")
        return gpu

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, preset: str | None) -> str | None:
        from dtsim.physics.hardware import node_presets

        if preset is not None and preset not in node_presets():
            raise ValueError(f"unknown preset; allowed: {', '.join(node_presets())}")
        return preset

    cost_model: Literal["chips", "cottier"] | None = field(
        "chips: node cost = GPUs × price; cottier: × chip-to-server × server-to-cluster (paper_tables.md §2.3)",
        default="chips",
    )
    chip_to_server: Number | None = field(
        "Cottier chip-to-server cost multiplier", unit="×", default=1.64, gt=0, le=1_000
    )
    server_to_cluster: Number | None = field(
        "Cottier server-to-cluster cost multiplier", unit="×", default=1.23, gt=0, le=1_000
    )


class Model(_Section):
    """The trained model. Dense: ``params`` (omitted → the largest that fits one node).
    Mixture of experts (``moe-ep``): ``total_params``, ``active_params``, ``moe_layers``."""

    params: Number | None = field(
        "Dense model parameters",
        unit="parameters",
        default_text="the largest dense model whose training state fits one node",
        ge=1e6,
        le=1e16,
    )
    total_params: Number | None = field("moe-ep: total parameters", unit="parameters", ge=1e6, le=1e16)
    active_params: Number | None = field(
        "moe-ep: parameters active per token (shared layers and routed experts)", unit="parameters", ge=1e6, le=1e16
    )
    moe_layers: Integer | None = field("moe-ep: layers with an expert all-to-all", default=32, ge=1, le=100_000)
    all_to_all_per_layer: Number | None = field(
        "moe-ep: all-to-all exchanges per MoE layer per step (dispatch and combine)", default=2.0, ge=0, le=10_000
    )


class Training(_Section):
    """Budget (``days`` or ``years``) or time-to-train target (``tokens``), and the schedule."""

    days: Number | None = field(
        "Wall-clock budget",
        unit="days",
        default_text="547.875 (1.5 years) unless years or tokens is given",
        ge=1e-4,
        le=36_525,
    )
    years: Number | None = field("Wall-clock budget, instead of days", unit="years", ge=1e-6, le=100)
    tokens: Number | None = field(
        "Token target instead of a budget: time-to-train mode (wall_clock_days is the output)",
        unit="tokens",
        ge=1,
        le=1e20,
    )
    mfu: Number | None = field("Model FLOP utilisation of the node peak", default=0.4, ge=1e-4, le=1)
    local_batch_tokens: Integer | None = field(
        "Tokens per inner step on one node", unit="tokens", default=131_072, ge=1, le=10**12
    )
    inner_steps: Literal["auto"] | Annotated[Integer, Field(ge=1, le=10**9)] | None = field(
        "Inner steps H between outer synchronisations: auto = the smallest H that hides the synchronisation",
        unit="steps",
        default="auto",
    )
    streaming: Boolean | None = field(
        "true: streaming DiLoCo (the sync overlaps the next block); false: blocking DiLoCo", default=True
    )
    flop_per_param_token: Number | None = field(
        "Training FLOP per parameter per token (2 forward + 4 backward)", unit="FLOP", default=6.0, gt=0, le=1_000
    )


class Wan(_Section):
    """The wide-area link between sites."""

    bandwidth_mbps: Number | None = field(
        "WAN bandwidth per node, both directions", unit="Mbps", default=100.0, ge=1e-6, le=1e9
    )
    upload_mbps: Number | None = field(
        "WAN upload bandwidth, overriding bandwidth_mbps", unit="Mbps", default_text="bandwidth_mbps", ge=1e-6, le=1e9
    )
    download_mbps: Number | None = field(
        "WAN download bandwidth, overriding bandwidth_mbps",
        unit="Mbps",
        default_text="bandwidth_mbps",
        ge=1e-6,
        le=1e9,
    )
    latency_ms: Number | None = field("WAN round-trip time", unit="ms", default=100.0, ge=0, le=1e6)


class Regional(_Section):
    """The fast link inside hierarchical groups and pipeline groups."""

    bandwidth_mbps: Number | None = field("Regional link bandwidth", unit="Mbps", default=1000.0, ge=1e-6, le=1e9)
    latency_ms: Number | None = field("Regional link round-trip time", unit="ms", default=20.0, ge=0, le=1e6)


class Network(_Section):
    """WAN between sites, regional links inside groups, the straggler model and the collective."""

    wan: Wan | None = None
    regional: Regional | None = None
    nodes_per_group: Integer | None = field("hierarchical: nodes per regional group", default=8, ge=1, le=1_000_000)
    straggler: Literal["log2", "relay", "threshold", "none"] | None = field(
        "Straggler model of a synchronisation: log2 (synchronous), relay (object store), threshold or none (f = 1)",
        default="log2",
        revised="relay",
    )
    straggler_per_doubling: Number | None = field(
        "Straggler slowdown per doubling of participants", default_text="0.05 (log2) or 0.02 (relay)", ge=0, le=10
    )
    collective: Literal["seed", "ring", "tree"] | None = field(
        "How a synchronisation counts bandwidth and latency: seed (parameter server), ring or tree all-reduce",
        default="seed",
    )


class Compression(_Section):
    """Compression ratios and their quality tables (named or custom)."""

    pseudo_gradient: Number | None = field(
        "Compression ratio of the synchronised pseudo-gradients", unit="×", default=16.0, revised=150.0, ge=1, le=1e6
    )
    table: Literal["seed", "error-feedback", "no-error-feedback"] | None = field(
        "Pseudo-gradient quality table", default="seed", revised="error-feedback"
    )
    activations: Number | None = field(
        "pp-diloco: compression ratio of activations between stages", unit="×", default=4.0, ge=1, le=1e6
    )
    quality: Quality | None = field(
        "Quality scenario (optimistic, expected, conservative, lossless) or a custom table {ratio: factor}",
        default="expected",
    )
    activation_quality: Quality | None = field(
        "pp-diloco: activation quality scenario or table",
        default_text="the named scenario of quality (expected for a custom table)",
    )
    activation_table: Literal["seed", "revised"] | None = field(
        "Activation quality table", default="seed", revised="revised"
    )
    pseudo_gradient_bits: Number | None = field(
        "Bits per synchronised value before compression",
        unit="bits",
        default_text="16 at fp16, 8 at fp8",
        gt=0,
        le=1_024,
    )


class HiddenSize(_Section):
    """h = coefficient · P^exponent (model.md §2.6 step 3)."""

    coefficient: Number | None = field("Hidden width coefficient", default=0.03, gt=0, le=1e6)
    exponent: Number | None = field("Hidden width exponent", default=0.5, gt=0, le=10)


class Pipeline(_Section):
    """GPipe schedule of ``pp-diloco`` groups."""

    micro_batches: Integer | None = field("Micro-batches per pipeline step", default=8, ge=1, le=1_000_000)
    activation_bytes: Number | None = field(
        "Bytes per activation value between stages", unit="bytes", default_text="2 at fp16, 1 at fp8", gt=0, le=1_024
    )
    hidden_size: HiddenSize | None = None


class SyncPenalty(_Section):
    """η_H = max(floor, 1 − alpha(P)·log10 H), alpha = base / (1 + log10(P_B)/size_scale)."""

    base: Number | None = field("Sync-interval penalty at 1B parameters", default=0.08, ge=0, le=10)
    size_scale: Number | None = field("Model-size scale of the penalty", default=5.0, gt=0, le=1e6)
    floor: Number | None = field("Lowest η_H", default=0.4, ge=0, le=1)


class ReplicaSeed(_Section):
    """η_replicas = max(floor, 1 − slope·(min(cap_b, P_B)/max(P_B, min_b))·log2 R)."""

    slope: Number | None = field("Replica penalty per doubling at cap_b", default=0.005, ge=0, le=10)
    cap_b: Number | None = field("Model size where the penalty stops growing", unit="B params", default=2.4, gt=0)
    min_b: Number | None = field("Smallest model size in the ratio", unit="B params", default=0.1, gt=0)
    floor: Number | None = field("Lowest η_replicas", default=0.85, ge=0, le=1)


class ReplicaLoss(_Section):
    """β0(P) = coefficient·P^exponent; β = β0·ln H / ln reference_h; m = R^β."""

    coefficient: Number | None = field("β0 coefficient", default=1.0923, ge=0, le=1_000)
    exponent: Number | None = field("β0 exponent (P in parameters)", default=-0.2342, ge=-10, le=10)
    reference_h: Number | None = field("H at which β0 was fitted", unit="steps", default=30.0, gt=1, le=1e9)


class Efficiency(_Section):
    """Algorithmic efficiency: variant switches and coefficients (variants.md §2, §10, §11.1)."""

    replica_penalty: Literal["seed", "loss-multiplier", "none"] | None = field(
        "Replica penalty: seed (linear, floored), loss-multiplier (DiLoCo scaling laws) or none",
        default="seed",
        revised="loss-multiplier",
    )
    replica_h_scaling: Literal["log", "none"] | None = field(
        "loss-multiplier: scale β with ln H / ln reference_h (log) or not", default="log"
    )
    replica_fold: Literal["eta", "chi"] | None = field(
        "loss-multiplier: fold the replica loss into η (eta) or into the Chinchilla efficiency (chi)", default="eta"
    )
    single_node_chinchilla: Literal["exempt", "computed"] | None = field(
        "A single node: Chinchilla efficiency 1 (exempt) or computed", default="exempt"
    )
    sync_penalty: SyncPenalty | None = None
    replica: ReplicaSeed | None = None
    replica_loss: ReplicaLoss | None = None
    hierarchical_h_exponent: Number | None = field(
        "hierarchical: H_eff = H_inner · H_regional^exponent", default=0.5, ge=0, le=10
    )


class ScalingLaw(_Section):
    """L(N, D) = E + A/N^alpha + B/D^beta; D_opt = tokens_per_param·N (Besiroglu et al. 2024)."""

    E: Number | None = field("Irreducible loss", unit="nats", default=1.8172, ge=0, le=100)
    A: Number | None = field("Parameter term coefficient", default=482.01, gt=0, le=1e9)
    alpha: Number | None = field("Parameter term exponent", default=0.3478, gt=0, le=10)
    B: Number | None = field("Data term coefficient", default=2085.43, gt=0, le=1e9)
    beta: Number | None = field("Data term exponent", default=0.3658, gt=0, le=10)
    tokens_per_param: Number | None = field("Compute-optimal tokens per parameter", default=25.6, gt=0, le=1e6)


class Reporting(_Section):
    """Reporting constants: thresholds and the H100 unit (not physics)."""

    strict_threshold_flop: Number | None = field(
        "Training-compute threshold of the treaty", unit="FLOP", default=1e24, gt=0, le=1e40
    )
    h100_equivalent_tflops: Number | None = field(
        "Dense FP16 TFLOPS of one H100-equivalent", unit="TFLOPS", default=990.0, gt=0, le=1e9
    )
    registration_threshold_h100_eq: Number | None = field(
        "Cluster registration threshold; a node above it is registered", unit="H100-eq", default=16.0, gt=0, le=1e9
    )


class Checkpoint(_Section):
    """Checkpointing of the reliability layer (reliability.md §4)."""

    mode: Literal["sync", "async", "gpu_memory"] | None = field("Checkpoint mode", default="async")
    bandwidth_gb_per_s: Number | None = field(
        "Per-node local checkpoint bandwidth", unit="GB/s", default=3.0, gt=0, le=1_000
    )
    write_s: Number | None = field(
        "Override of the full checkpoint write time", unit="s", default_text="state / bandwidth", gt=0, le=1e6
    )
    peer_replicas: Integer | None = field("gpu_memory: peer replicas holding optimizer shards", default=4, ge=1, le=64)


class FailSlow(_Section):
    """Persistently slow nodes (reliability.md §3)."""

    fraction: Number | None = field("Share of nodes that are slow", default=0.10, ge=0, le=1)
    severity: Number | None = field("Speed of a slow node, fraction of normal", default=0.60, ge=0.05, le=1)


class Reliability(_Section):
    """Hardware failures, fail-slow nodes, mitigation and checkpoints (reliability.md). Present
    (even empty) = on; absent = off."""

    mitigation: (
        Literal["none", "synchronous", "threshold", "relay", "async", "backup_workers", "checkpoint_elastic"] | None
    ) = field(
        "Failure and straggler mitigation (none = no mitigation: full synchronous tail, no checkpoints)",
        default="relay",
    )
    failure_rate_per_gpu_hour: Number | None = field(
        "Hardware failure rate per GPU", unit="1/(GPU·h)", default=2.0e-5, ge=0, le=0.1
    )
    recovery_s: Number | None = field("Detect, restart and reload one node", unit="s", default=600.0, ge=0, le=86_400)
    checkpoint: Checkpoint | None = None
    fail_slow: FailSlow | None = None
    backup_fraction: Number | None = field("backup_workers: spare nodes, fraction", default=0.05, ge=0, le=0.5)
    model: Literal["reference", "corrected"] | None = field(
        "reference: the published model; corrected: its known defects fixed (reliability.md §17)",
        default="reference",
    )


class Scenario(_Section):
    """One training run to simulate (interface.md "Scenario", variants.md §16)."""

    name: str | None = field("A label echoed in the results")
    physics: Literal["seed", "revised"] | None = field(
        "Model preset: seed (the seeds' model) or revised (the authors' revised model); sets the defaults of "
        "the keys left out",
        default="seed",
    )
    strategy: Strategy | None = field(
        "diloco (flat), hierarchical, pp-diloco (pipeline groups) or moe-ep (experts over all nodes)",
        default="diloco",
    )
    nodes: Integer = Field(
        description="Number of nodes (sites)", ge=1, le=100_000_000, json_schema_extra={"unit": "nodes"}
    )
    hardware: Hardware | None = None
    model: Model | None = None
    training: Training | None = None
    network: Network | None = None
    compression: Compression | None = None
    pipeline: Pipeline | None = None
    efficiency: Efficiency | None = None
    scaling_law: ScalingLaw | None = None
    reporting: Reporting | None = None
    reliability: Reliability | None = None

    @field_validator("name")
    @classmethod
    def _short_name(cls, name: str | None) -> str | None:
        if name is not None and len(name) > 1_000:
            raise ValueError("a name of at most 1,000 characters")
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        from dtsim.rules import check_scenario

        check_scenario(self)
        return self

    def with_values(self, **changes: Any) -> Scenario:
        """A copy with dotted-path fields replaced (``{"network.wan.bandwidth_mbps": 25}``),
        validated again."""
        data = self.to_data()
        for path, value in changes.items():
            set_path(data, path, value)
        return parse_scenario(data)

    def to_data(self) -> dict[str, Any]:
        """The scenario as the user gave it: a plain nested dict without the keys left out."""
        data = self.model_dump(exclude_none=True)
        if self.reliability is not None and "reliability" not in data:
            data["reliability"] = {}
        return data


#: The sections (top-level keys whose value is a mapping of fields).
SECTIONS: dict[str, type[BaseModel]] = {
    name: info.annotation.__args__[0]  # type: ignore[union-attr]
    for name, info in Scenario.model_fields.items()
    if name not in ("name", "physics", "strategy", "nodes")
}


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
        info = model.model_fields.get(str(part))
        annotation = getattr(info, "annotation", None)
        inner = getattr(annotation, "__args__", (annotation,))[0]
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


_TYPE_TAGS = frozenset({"int", "float", "bool", "str", "none", "is-instance", "union"})


def _is_type_tag(part: Any) -> bool:
    """pydantic's location entries that name a type or validator, not a field."""
    return isinstance(part, str) and (
        part in _TYPE_TAGS or "[" in part or part.startswith(("function-", "constrained-"))
    )


def _scenario_error(exc: ValidationError, source: str | None) -> ScenarioError:
    # A misspelt key also makes the real one "missing": report the unknown key first.
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = tuple(p for p in err["loc"] if not _is_type_tag(p))
    path = ".".join(str(p) for p in loc)
    fields_with_errors = {tuple(p for p in e["loc"] if not _is_type_tag(p)) for e in errors}
    more = f" (and {len(fields_with_errors) - 1} more problems)" if len(fields_with_errors) > 1 else ""
    if err["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc))
        return ScenarioError(path, MISSING, f"unknown key; allowed here: {allowed}{more}", source=source)
    if err["type"] == "missing":
        return ScenarioError(path, MISSING, f"required{more}", source=source)
    if err["type"] == "model_type":
        return ScenarioError(
            path, err.get("input", MISSING), f"expected a mapping of keys to values{more}", source=source
        )
    message = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message[:1].lower() + message[1:]
    return ScenarioError(path, err.get("input", MISSING), message + more, source=source)


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
            raise ScenarioError(inner.field, inner.value, inner.allowed, source=source or inner.source) from None
        raise _scenario_error(exc, source) from None
    except RecursionError:
        raise ScenarioError("", "<deeply nested>", "nesting too deep", source=source) from None


def _wrapped_scenario_error(exc: ValidationError) -> ScenarioError | None:
    """A ScenarioError raised inside a validator arrives wrapped; unwrap it."""
    for err in exc.errors(include_url=False):
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, ScenarioError):
            prefix = ".".join(str(p) for p in err["loc"] if not _is_type_tag(p))
            if prefix and not ctx_error.field.startswith(prefix) and "." not in ctx_error.field:
                return ScenarioError(f"{prefix}.{ctx_error.field}", ctx_error.value, ctx_error.allowed)
            return ctx_error
    return None


# --------------------------------------------------------------------------------------------
# Files


def load_scenarios(paths: str | Path | Iterable[str | Path]) -> list[Scenario]:
    """Load and validate every scenario of one or more files, in order."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return [parse_scenario(doc, source=source) for p in paths for source, doc in load_documents(p)]
