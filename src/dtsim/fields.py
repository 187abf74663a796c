"""The field registry: every scenario field, derived from the schema in ``dtsim.scenario``.

For each leaf field: its dotted path, kind (number, integer, choice, boolean, quality, text),
unit, bounds, allowed values, seed default (and the ``physics: revised`` default where it
differs), label and one-line description. It validates sweep axes as whole arrays, turns
command-line text into values, and describes the scenario form of the web page and the inputs
of an uncertainty analysis. There is no second list of fields anywhere.
"""

from __future__ import annotations

import functools
import math
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from dtsim.errors import ScenarioError
from dtsim.numbers import number_problem
from dtsim.scenario import Scenario

__all__ = ["FIELDS", "FieldSpec", "Kind", "field_spec", "fields", "sweepable_paths"]

Kind = Literal["number", "integer", "choice", "boolean", "quality", "text"]


@dataclass(frozen=True)
class FieldSpec:
    """One scenario field as the registry describes it."""

    path: str
    kind: Kind
    label: str
    description: str
    unit: str | None
    low: float | None
    low_inclusive: bool
    high: float | None
    high_inclusive: bool
    choices: tuple[Any, ...] | None
    default: Any
    revised: Any
    default_text: str | None
    required: bool
    annotation: Any

    @property
    def section(self) -> str:
        """The top-level section the field belongs to (``""`` for top-level fields)."""
        return self.path.split(".")[0] if "." in self.path else ""

    @property
    def sweepable(self) -> bool:
        """Every field but the name can be an axis of a sweep."""
        return self.path != "name"

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable description (the web form, ``GET /api/schema``)."""
        data = asdict(self)
        del data["annotation"]
        data["section"] = self.section
        data["sweepable"] = self.sweepable
        data["choices"] = list(self.choices) if self.choices is not None else None
        return data

    def bounds_text(self) -> str:
        """``"≥ 1 and ≤ 1e+08"``: the allowed range in words."""
        parts = []
        if self.low is not None:
            parts.append(f"{'≥' if self.low_inclusive else '>'} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'≤' if self.high_inclusive else '<'} {self.high:g}")
        return " and ".join(parts)

    def validate_values(self, values: Any) -> np.ndarray:
        """Validate sweep-axis values as a whole and return the column (float64 for numbers,
        integers and booleans, object otherwise); refuse the first bad value with one line."""
        if self.kind in ("number", "integer") and not (self.choices and _has_text(values)):
            return self._numeric_column(values)
        if self.kind == "boolean":
            arr = np.asarray(values)
            if arr.dtype != bool:
                items = arr.ravel().tolist() if arr.dtype != object else list(arr.ravel())
                bad = next((v for v in items if not isinstance(v, bool | np.bool_)), None)
                raise ScenarioError(self.path, bad, "expected true or false")
            return arr.astype(float).ravel()
        return self._object_column(values)

    def _numeric_column(self, values: Any) -> np.ndarray:
        arr = np.asarray(values)
        if arr.dtype == object:  # mixed Python values: each through the one numeric validator
            items = list(arr.ravel())
            if not items:
                raise ScenarioError(self.path, None, "expected numbers")
            converted = []
            for item in items:
                number, problem = number_problem(item)
                if problem is not None:
                    raise ScenarioError(self.path, item, problem)
                converted.append(number)
            arr = np.array(converted, dtype=float)
        if arr.dtype.kind not in "iuf":
            shown = arr.ravel()[:1].tolist()
            raise ScenarioError(self.path, shown[0] if shown else None, "expected numbers")
        arr = np.asarray(arr, dtype=float).ravel()
        ok = np.isfinite(arr)
        if self.low is not None:
            ok &= arr >= self.low if self.low_inclusive else arr > self.low
        if self.high is not None:
            ok &= arr <= self.high if self.high_inclusive else arr < self.high
        if not ok.all():
            value = float(arr[int(np.argmin(ok))])
            if not math.isfinite(value):
                raise ScenarioError(self.path, value, "expected finite numbers")
            raise ScenarioError(self.path, value, f"must be {self.bounds_text()}")
        if self.kind == "integer":
            fractional = np.mod(arr, 1.0) != 0.0
            if fractional.any():
                raise ScenarioError(self.path, float(arr[np.argmax(fractional)]), "expected whole numbers")
        return arr

    def _object_column(self, values: Any) -> np.ndarray:
        items = list(values.ravel()) if isinstance(values, np.ndarray) else list(values)
        column = np.empty(len(items), dtype=object)
        adapter = _adapter(self.path)
        seen: dict[str, Any] = {}
        for i, value in enumerate(items):
            key = repr(_plain(value))
            if key not in seen:
                seen[key] = self._validate_one(adapter, _plain(value))
            column[i] = seen[key]
        if self.kind in ("number", "integer"):  # an integer field that also takes "auto"
            return np.array([np.nan if v in self.choices else float(v) for v in column.tolist()])  # type: ignore[operator]
        return column

    def _validate_one(self, adapter: TypeAdapter[Any], value: Any) -> Any:
        if value is None:
            raise ScenarioError(self.path, None, "a sweep value must be given (not null)")
        try:
            checked = adapter.validate_python(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            message = err["msg"].removeprefix("Value error, ")
            raise ScenarioError(self.path, value, message[:1].lower() + message[1:]) from None
        except ScenarioError as exc:
            raise ScenarioError(self.path, value, exc.allowed) from None
        if self.choices is not None and self.kind == "choice" and checked not in self.choices:
            raise ScenarioError(self.path, value, f"allowed: {', '.join(map(str, self.choices))}")
        return checked

    def parse_text(self, text: str) -> Any:
        """A command-line value for this field (``25``, ``fp8``, ``true``, ``{16: 0.97}``)."""
        from dtsim.loading import parse_value  # the same YAML reading as scenario files

        if self.kind in ("choice", "text"):
            return text
        return parse_value(text, self.path)


def _has_text(values: Any) -> bool:
    items = values.ravel().tolist() if isinstance(values, np.ndarray) else list(values)
    return any(isinstance(v, str) for v in items)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


@functools.cache
def _adapter(path: str) -> TypeAdapter[Any]:
    return TypeAdapter(FIELDS[path].annotation)


def _inner(annotation: Any) -> Any:
    """``X | None`` → ``X``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return typing.Union[tuple(args)]  # noqa: UP007 - rebuilt from parts
    return annotation


def _walk(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, FieldInfo, Any]]:
    for name, info in model.model_fields.items():
        inner = _inner(info.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _walk(inner, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info, inner


def _constraints(info: FieldInfo, annotation: Any) -> dict[str, float]:
    bounds: dict[str, float] = {}
    stack: list[Any] = [*info.metadata, annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, FieldInfo):
            stack.extend(item.metadata)
            continue
        if isinstance(item, annotated_types.BaseMetadata):
            for kind in ("gt", "ge", "lt", "le"):
                bound = getattr(item, kind, None)
                if bound is not None:
                    bounds[kind] = float(bound)
        origin = typing.get_origin(item)
        if origin is typing.Annotated:
            stack.extend(typing.get_args(item)[1:])
            stack.append(typing.get_args(item)[0])
        elif origin in (typing.Union, types.UnionType):
            stack.extend(typing.get_args(item))
    return bounds


def _literals(annotation: Any) -> tuple[Any, ...]:
    found: list[Any] = []
    stack = [annotation]
    while stack:
        item = stack.pop(0)
        origin = typing.get_origin(item)
        if origin is Literal:
            found.extend(typing.get_args(item))
        elif origin in (typing.Union, types.UnionType, typing.Annotated):
            stack.extend(typing.get_args(item))
    return tuple(found)


def _validator_name(annotation: Any, metadata: Sequence[Any] = ()) -> set[str]:
    names: set[str] = set()
    stack = [annotation, *metadata]
    while stack:
        item = stack.pop()
        func = getattr(item, "func", None)
        if func is not None:
            names.add(func.__name__)
        if typing.get_origin(item) in (typing.Annotated, typing.Union, types.UnionType):
            stack.extend(typing.get_args(item))
    return names


def _kind(annotation: Any, metadata: Sequence[Any] = ()) -> Kind:
    validators = _validator_name(annotation, metadata)
    if "_quality_table" in validators:
        return "quality"
    if "_boolean" in validators:
        return "boolean"
    if "_field_integer" in validators:
        return "integer"
    if "_field_number" in validators:
        return "number"
    if _literals(annotation):
        return "choice"
    return "text"


def _catalogue_choices(name: str | None) -> tuple[str, ...] | None:
    if name == "gpus":
        from dtsim.physics.hardware import gpu_catalogue

        return tuple(gpu_catalogue())
    if name == "presets":
        from dtsim.physics.hardware import node_presets

        return tuple(node_presets())
    return None


def _label(path: str) -> str:
    leaf = path.split(".")[-1]
    words = leaf.replace("_", " ")
    for suffix, unit in ((" mbps", ""), (" ms", ""), (" gb", ""), (" usd", ""), (" s", "")):
        if words.endswith(suffix) and unit == "":
            words = words[: -len(suffix)]
            break
    return words[:1].upper() + words[1:]


def _build() -> dict[str, FieldSpec]:
    registry: dict[str, FieldSpec] = {}
    for path, info, annotation in _walk(Scenario):
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        kind = _kind(annotation, info.metadata)
        bounds = _constraints(info, annotation)
        choices: tuple[Any, ...] | None = _catalogue_choices(extra.get("choices_from"))  # type: ignore[arg-type]
        if choices is not None:
            kind = "choice"
        else:
            literals = _literals(annotation)
            if kind == "boolean":
                choices = (True, False)
            elif literals:
                choices = literals
        low_key = "ge" if "ge" in bounds else "gt"
        high_key = "le" if "le" in bounds else "lt"
        registry[path] = FieldSpec(
            path=path,
            kind=kind,
            label=str(extra.get("label") or _label(path)),
            description=info.description or "",
            unit=extra.get("unit"),  # type: ignore[arg-type]
            low=bounds.get(low_key),
            low_inclusive=low_key == "ge",
            high=bounds.get(high_key),
            high_inclusive=high_key == "le",
            choices=choices,
            default=extra.get("default"),
            revised=extra.get("revised"),
            default_text=extra.get("default_text"),  # type: ignore[arg-type]
            required=info.is_required(),
            annotation=info.annotation,
        )
    return registry


#: Every scenario field by dotted path, in schema order.
FIELDS: dict[str, FieldSpec] = _build()


def fields() -> Sequence[FieldSpec]:
    """Every scenario field, in schema order."""
    return tuple(FIELDS.values())


def sweepable_paths() -> list[str]:
    """The dotted paths a sweep may vary."""
    return [spec.path for spec in FIELDS.values() if spec.sweepable]


def field_spec(path: str) -> FieldSpec:
    """The registry entry of a dotted path; refuse an unknown one naming the known paths."""
    spec = FIELDS.get(path) if isinstance(path, str) else None
    if spec is None:
        shown = path if isinstance(path, str) else repr(path)
        near = [p for p in FIELDS if isinstance(path, str) and p.split(".")[-1] == path.split(".")[-1]]
        hint = f"did you mean {', '.join(near)}?" if near else f"allowed: {', '.join(sweepable_paths())}"
        raise ScenarioError(shown[:200], None, f"not a scenario field; {hint}")
    return spec
