"""The training-plan format of ``dtsim audit``: components (by parameter count or tensor
shapes), phases (tokens, trained and frozen components, hardware, batch, precision, optimizer)
and the plan's own claims. Validated like scenarios: one field-named error, nothing half-read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from dtsim.errors import MISSING, ScenarioError
from dtsim.loading import load_documents
from dtsim.numbers import Integer, Number
from dtsim.physics.hardware import gpu_catalogue
from dtsim.scenario import _scenario_error, _wrapped_scenario_error

__all__ = ["Claims", "Component", "Group", "Phase", "Plan", "Sum", "Tensor", "load_plan", "parse_plan"]

Dtype = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
Positive = Annotated[Number, Field(ge=0, le=1e30)]
#: A count of things (batch sequences, hidden width, vocabulary): whole, 1 to 1e12.
Count = Annotated[Integer, Field(ge=1, le=10**12)]
#: Numbers a plan prints and adds up: any sign, small enough that a sum stays finite.
Printed = Annotated[Number, Field(ge=-1e300, le=1e300)]
#: Most values in one tensor: beyond this a shape is a typo, and byte counts would overflow.
MAX_NUMEL = 10**30


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Claims(_Spec):
    """What the plan states; every field optional. Compared with dtsim's computed values."""

    params: Positive | None = None
    bytes: Positive | None = None
    bytes_fp32: Positive | None = None
    bytes_int8: Positive | None = None
    padded_bytes: Positive | None = None
    flop: Positive | None = None
    gpu_hours: Positive | None = None
    wall_clock_hours: Positive | None = None
    wall_clock_days: Positive | None = None
    cost_usd: Positive | None = None
    memory_per_gpu_gb: Positive | None = None
    activation_memory_gb: Positive | None = None
    gpus: Count | None = None


class Tensor(_Spec):
    """One weight tensor: name, shape, storage dtype."""

    name: str
    shape: list[Annotated[Integer, Field(ge=1, le=10**12)]] = Field(min_length=1, max_length=8)
    dtype: Dtype = "fp32"

    @model_validator(mode="after")
    def _size(self) -> Tensor:
        numel = 1
        for size in self.shape:
            numel *= size
        if numel > MAX_NUMEL:
            raise ScenarioError("shape", self.shape, f"holds {numel:.3g} values; at most {MAX_NUMEL:.0e}")
        return self


class Component(_Spec):
    """A part of the model: ``params`` (a count) or ``tensors`` (shapes), ``repeat`` times
    (e.g. 8 layers of the same tensors); ``layers`` transformer layers for activations."""

    params: Positive | None = None
    tensors: list[Tensor] = Field(default_factory=list)
    repeat: Annotated[Integer, Field(ge=1, le=100_000)] = 1
    layers: Annotated[Integer, Field(ge=0, le=100_000)] = 0
    dtype: Dtype = "fp32"
    claims: Claims = Claims()

    @model_validator(mode="after")
    def _one_size(self) -> Component:
        if (self.params is None) == (not self.tensors):
            raise ScenarioError("params", MISSING, "give a component either params or tensors (not both)")
        return self


class Phase(_Spec):
    """One training (or forward-only) phase on one pool of identical GPUs."""

    name: str
    tokens: Positive
    trained: list[str] = Field(default_factory=list)
    #: Frozen parts the data passes through before the trained ones: forward only (2·N·D).
    frozen_below: list[str] = Field(default_factory=list)
    #: Frozen parts after the trained ones: forward and input gradients (4·N·D).
    frozen_above: list[str] = Field(default_factory=list)
    gpu: str
    gpus: Annotated[Integer, Field(ge=1, le=10**8)]
    global_batch_sequences: Count | None = None
    micro_batch_sequences: Count | None = None
    sequence_length: Annotated[Integer, Field(ge=1, le=10**8)] | None = None
    precision: Literal["bf16", "fp16", "fp32"] = "bf16"
    optimizer: Literal["adamw", "sgd", "none"] = "adamw"
    mfu: Annotated[Number, Field(ge=1e-4, le=1)] | None = None
    claims: Claims = Claims()

    @model_validator(mode="after")
    def _known_gpu(self) -> Phase:
        if self.gpu not in gpu_catalogue():
            raise ScenarioError("gpu", self.gpu, f"unknown GPU; allowed: {', '.join(gpu_catalogue())}")
        return self


class Group(_Spec):
    """Phases run together (``parallel``) or one after another, with claims for the whole."""

    name: str
    phases: list[str] = Field(min_length=1)
    parallel: StrictBool = True
    claims: Claims = Claims()


class Sum(_Spec):
    """A total the plan prints next to its parts, to check that it adds up."""

    name: str
    parts: list[Printed] = Field(min_length=1, max_length=100_000)
    total: Printed
    unit: str = ""


class Plan(_Spec):
    """A declared training plan (``dtsim audit``)."""

    name: str
    hidden: Annotated[Integer, Field(ge=1, le=10**9)] | None = None
    vocab: Count | None = None
    alignment_bytes: Annotated[Integer, Field(ge=1, le=4096)] = 32
    price_usd_per_gpu_hour: Positive | None = None
    thresholds_flop: dict[str, Annotated[Number, Field(ge=1, le=1e60)]] | None = Field(default=None, min_length=1)
    components: dict[str, Component] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    groups: list[Group] = Field(default_factory=list)
    claims: Claims = Claims()
    sums: list[Sum] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Plan:
        for i, phase in enumerate(self.phases):
            for role in ("trained", "frozen_below", "frozen_above"):
                for name in getattr(phase, role):
                    if name not in self.components:
                        raise ScenarioError(
                            f"phases.{i}.{role}", name, f"unknown component; allowed: {', '.join(self.components)}"
                        )
        names = [p.name for p in self.phases]
        for i, group in enumerate(self.groups):
            for name in group.phases:
                if name not in names:
                    raise ScenarioError(f"groups.{i}.phases", name, f"unknown phase; allowed: {', '.join(names)}")
        return self


def parse_plan(data: Any, *, source: str | None = None) -> Plan:
    """Validate a plan mapping; raise ``ScenarioError`` naming the field on bad input."""
    if not isinstance(data, dict):
        raise ScenarioError("", type(data).__name__, "a plan must be a mapping", source=source)
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        inner = _wrapped_scenario_error(exc)
        if inner is not None:
            raise ScenarioError(inner.field, inner.value, inner.allowed, source=source) from None
        error = _scenario_error(exc, source)
        if "allowed here" in error.allowed:  # the scenario schema's key list does not apply to plans
            raise ScenarioError(error.field, MISSING, "unknown key", source=source) from None
        raise error from None
    except ScenarioError as exc:
        raise ScenarioError(exc.field, exc.value, exc.allowed, source=source) from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file (YAML or JSON)."""
    docs = load_documents(path, what="plan file")
    if len(docs) != 1:
        raise ScenarioError("", str(path), "a plan file holds one plan (a mapping)")
    source, data = docs[0]
    return parse_plan(data, source=source)
