"""The catalogue of published decentralized training runs (``data/real_runs.yaml``): for each
run, its inputs as a dtsim scenario, each with its source or marked as an assumption with the
reason, and the quantities the run measured, each with its published value or band and source.

::

    Catalogue ── runs: Run ── inputs: {dotted field path: Input}      (the run's scenario)
                          ├── cases: {name: {path: Input}}            (inputs shared by some rows)
                          └── rows: Row ── inputs, case, vary         (what differs per row)
                                       ├── quantity: result | bandwidth_for_utilization | ratio
                                       └── measured: Measured (value, band, mark, note)

The schema only describes; ``dtsim.validation`` evaluates each row with the engine. Marks:
``P`` read in the primary source, ``S`` from a secondary source, ``D`` derived by arithmetic
from published numbers (the note gives the formula). Checks: ``test`` (the inputs that decide
the quantity are published, no dtsim coefficient was fitted to this run), ``assumed-input`` (an
input that decides it is assumed; its range is shown), ``in-sample`` (a dtsim coefficient was
fitted to these very numbers: shown, never counted as validation), ``different-method`` (the run
uses an algorithm dtsim does not model; the ratio is shown) and ``qualitative`` (the source gives
no number, or only a secondary one).
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dtsim.errors import ScenarioError
from dtsim.fields import FIELDS
from dtsim.scenario import set_path

__all__ = [
    "CHECKS",
    "RESULT_UNITS",
    "Catalogue",
    "Input",
    "Measured",
    "Row",
    "Run",
    "Vary",
    "load_catalogue",
]

Mark = Literal["P", "S", "D"]
Check = Literal["test", "assumed-input", "in-sample", "different-method", "qualitative"]
CHECKS: tuple[str, ...] = ("test", "assumed-input", "in-sample", "different-method", "qualitative")
Quantity = Literal["result", "bandwidth_for_utilization", "ratio"]

#: The result keys a row may compare, with the unit of the measured value.
RESULT_UNITS: dict[str, str] = {
    "step_compute_s": "s",
    "sync_s": "s",
    "wall_clock_days": "days",
    "compute_utilization": "fraction",
    "replica_loss_multiplier": "ratio",
    "eta": "fraction",
    "eta_replicas": "fraction",
    "eta_activation": "fraction",
    "goodput": "fraction",
}

_ID = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
_PACKAGED = "real_runs.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Input(_Strict):
    """One scenario input: its value (null: leave the field unset, undoing a run-level input)
    and exactly one provenance: ``source`` (where the run states it), ``assumption`` (why it
    is assumed) or ``variant`` (a dtsim model choice under test, not a property of the run)."""

    value: float | int | bool | str | None
    source: str | None = None
    assumption: str | None = None
    variant: str | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> Input:
        given = [text for text in (self.source, self.assumption, self.variant) if text is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of source (where the run states it), assumption (why it is assumed) "
                "or variant (the dtsim model choice under test)"
            )
        if not given[0].strip():
            raise ValueError("the provenance text is empty")
        return self


Inputs = dict[str, Input]


def _check_paths(inputs: Inputs) -> Inputs:
    unknown = [path for path in inputs if path not in FIELDS]
    if unknown:
        raise ValueError(f"unknown scenario field(s) {', '.join(unknown)}; use the dotted paths of dtsim.fields")
    return inputs


class Vary(_Strict):
    """An input known only as a range: the prediction is also evaluated at both ends."""

    field: str
    values: tuple[float, float]
    reason: str

    @field_validator("field")
    @classmethod
    def _known(cls, path: str) -> str:
        if path not in FIELDS:
            raise ValueError(f"unknown scenario field {path}")
        return path


class Measured(_Strict):
    """A published quantity: a value, a band [low, high], or both (null where not published)."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    mark: Mark
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _band(self) -> Measured:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None:
            if self.low > self.high:
                raise ValueError(f"low {self.low} is above high {self.high}")
            if self.value is not None and not self.low <= self.value <= self.high:
                raise ValueError(f"value {self.value} is outside its band [{self.low}, {self.high}]")
        return self

    @property
    def has_band(self) -> bool:
        return self.low is not None


class Row(_Strict):
    """One measured quantity of a run and how dtsim predicts it."""

    id: str
    label: str = Field(min_length=1)
    quantity: Quantity
    key: str | None = None
    target: float | None = Field(default=None, gt=0, le=1)
    numerator: Inputs = Field(default_factory=dict)
    case: str | None = None
    inputs: Inputs = Field(default_factory=dict)
    vary: Vary | None = None
    measured: Measured
    check: Check
    source: str = Field(min_length=1)
    explanation: str | None = None
    expect_infeasible: str | None = None
    headline: bool = False

    _paths = field_validator("inputs", "numerator")(_check_paths)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("lower-case letters, digits, '.' and '-'")
        return value

    @model_validator(mode="after")
    def _quantity_fields(self) -> Row:
        if self.quantity == "bandwidth_for_utilization":
            if self.target is None or self.key is not None or self.numerator:
                raise ValueError("bandwidth_for_utilization takes target (and no key or numerator)")
        else:
            if self.key not in RESULT_UNITS:
                raise ValueError(f"key must be one of {', '.join(RESULT_UNITS)}")
            if self.target is not None:
                raise ValueError("target belongs to bandwidth_for_utilization")
            if (self.quantity == "ratio") != bool(self.numerator):
                raise ValueError("a ratio row (and only a ratio row) names the numerator's inputs")
        if self.quantity == "ratio" and self.vary is not None:
            raise ValueError("vary is not supported on ratio rows")
        if self.expect_infeasible is not None and self.vary is not None:
            raise ValueError("a row expected to be infeasible cannot vary an input")
        if self.check != "qualitative" and self.measured.value is None and not self.measured.has_band:
            raise ValueError("only a qualitative row may have neither a measured value nor a band")
        return self

    @property
    def unit(self) -> str:
        """Unit of the predicted and measured values."""
        if self.quantity == "bandwidth_for_utilization":
            return "Mbps"
        if self.quantity == "ratio":
            return "ratio"
        return RESULT_UNITS[str(self.key)]


class Run(_Strict):
    """A published run: what it is, where it is published, its inputs and its rows."""

    id: str
    title: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    url: str = Field(min_length=1)
    kind: Literal["measurement", "simulation", "claim"]
    summary: str = Field(min_length=1)
    inputs: Inputs
    cases: dict[str, Inputs] = Field(default_factory=dict)
    rows: tuple[Row, ...] = Field(min_length=1)

    _paths = field_validator("inputs")(_check_paths)

    @field_validator("cases")
    @classmethod
    def _case_paths(cls, cases: dict[str, Inputs]) -> dict[str, Inputs]:
        for inputs in cases.values():
            _check_paths(inputs)
        return cases

    @model_validator(mode="after")
    def _rows(self) -> Run:
        ids = [row.id for row in self.rows]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate row ids {', '.join(duplicates)}")
        for row in self.rows:
            if row.case is not None and row.case not in self.cases:
                raise ValueError(f"row {row.id}: unknown case {row.case!r}; defined: {', '.join(self.cases)}")
        return self

    def inputs_of(self, row: Row) -> Inputs:
        """The row's inputs: the run's, then its case's, then its own (each overriding)."""
        case = self.cases.get(row.case, {}) if row.case is not None else {}
        return {**self.inputs, **case, **row.inputs}

    def scenario(self, row: Row, numerator: bool = False) -> dict[str, Any]:
        """The row's dtsim scenario (for a ratio row with ``numerator``: the numerator's)."""
        inputs = self.inputs_of(row)
        if numerator:
            inputs = {**inputs, **row.numerator}
        data: dict[str, Any] = {"name": f"{self.id}/{row.id}"}
        for path, item in inputs.items():
            set_path(data, path, item.value)
        return data


class Catalogue(_Strict):
    """Every run, in order."""

    runs: tuple[Run, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [run.id for run in self.runs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate run ids {', '.join(duplicates)}")
        return self

    def run(self, run_id: str) -> Run:
        """The run with this id (ScenarioError naming the known ids otherwise)."""
        for run in self.runs:
            if run.id == run_id:
                return run
        raise ScenarioError("run", run_id, f"allowed: {', '.join(r.id for r in self.runs)}")


def _error(exc: ValidationError, source: str) -> ScenarioError:
    first = exc.errors(include_url=False)[0]
    path = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return ScenarioError(path, first.get("input"), message, source=source)


def parse_catalogue(data: Any, source: str = "catalogue") -> Catalogue:
    """Validate a catalogue mapping; ScenarioError naming the first bad field."""
    try:
        return Catalogue.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, source) from None


@functools.cache
def _packaged() -> Catalogue:
    text = resources.files("dtsim.data").joinpath(_PACKAGED).read_text("utf-8")
    return parse_catalogue(yaml.safe_load(text), source=_PACKAGED)


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The packaged catalogue (read once, on first use), or the catalogue file at ``path``."""
    if path is None:
        return _packaged()
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError("catalogue", str(path), f"cannot read the file ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0] if str(exc) else "a syntax error"
        raise ScenarioError("catalogue", str(path), f"not valid YAML: {problem}") from None
    return parse_catalogue(data, source=file.name)
