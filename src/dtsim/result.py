"""Results: ``Result`` for one scenario (its fields are exactly the contract's result keys)
and ``Batch`` for many (a dict of NumPy columns, with ``feasible`` and ``infeasible_reason``)."""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["RESULT_INFO", "RESULT_KEYS", "Batch", "Result"]


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one simulated training run (interface.md "Result keys"; variants.md §16;
    reliability.md §9).

    ``None`` marks a key that does not apply. Floats are full precision;
    ``eta = eta_h · eta_compression · eta_replicas · eta_activation`` (× ``eta_mitigation`` with
    the reliability layer), ``c_local = c_actual · eta``, ``c_quality = c_local · eta_chinchilla``.
    """

    name: str | None
    strategy: str
    nodes: int
    gpus: int | None
    cost_usd: float | None
    h100_equivalents_per_node: float
    registered: bool
    node_pflops: float
    node_memory_gb: float
    params: float
    active_params: float
    step_compute_s: float
    sync_s: float
    straggler_factor: float
    inner_steps: float | int
    eta: float
    eta_h: float
    eta_compression: float
    eta_replicas: float
    eta_activation: float
    c_actual: float
    c_local: float
    eta_chinchilla: float
    c_quality: float
    tokens: float
    overtraining_ratio: float
    strict_threshold_multiple: float
    wall_clock_days: float
    bottleneck: str
    pp_stages: int
    groups: int
    bubble_fraction: float
    inner_steps_regional: int | None
    regional_syncs_per_global: int | None
    ep_overhead: float | None
    memory_per_node_gb: float
    fits_in_memory: bool
    replica_loss_multiplier: float
    compute_utilization: float
    bw_duty_cycle: float | None
    comm_gb_per_sync: float | None
    mitigation: str | None
    goodput: float | None
    time_inflation: float | None
    eta_mitigation: float | None
    cost_multiplier: float | None
    cluster_mtbf_hours: float | None
    cluster_failures_per_day: float | None
    expected_failures: float | None
    gpu_hours_lost: float | None
    node_unavailability: float | None
    checkpoint_interval_hours: float | None
    checkpoint_cost_s: float | None
    gpu_memory_checkpoint_feasible: bool | None

    @classmethod
    def _from_row(cls, row: dict[str, Any]) -> Result:
        """A result from a dict of exactly its fields, already plain values (``Batch``): the
        frozen dataclass's ``__init__`` without its per-field ``object.__setattr__``."""
        result = object.__new__(cls)
        result.__dict__.update(row)
        return result

    def to_dict(self) -> dict[str, Any]:
        """A flat, JSON-serialisable dict of every result key."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Result({label}{self.strategy}, nodes={self.nodes:,}, params={self.params:.3g}, "
            f"eta={self.eta:.3f}, c_local={self.c_local:.3g}, c_quality={self.c_quality:.3g}, "
            f"wall_clock_days={self.wall_clock_days:.2f}, bottleneck={self.bottleneck})"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(_show(v))}</td></tr>"
            for k, v in self.to_dict().items()
        )
        return f"<table>{rows}</table>"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


RESULT_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Result))

#: Every result key's unit and meaning (interface.md; variants.md §16; reliability.md §9): the
#: one description the CLI, the web page and the documentation show.
RESULT_INFO: dict[str, tuple[str, str]] = {
    "name": ("", "the scenario's label"),
    "strategy": ("", "diloco, hierarchical, pp-diloco or moe-ep"),
    "nodes": ("nodes", "node (site) count"),
    "gpus": ("GPUs", "accelerators in all nodes (null for a custom node without a count)"),
    "cost_usd": ("USD", "hardware cost of all nodes (null when the price is unknown)"),
    "h100_equivalents_per_node": ("H100-eq", "FP16 capacity of one node in H100 units"),
    "registered": ("", "the node is above the registration threshold"),
    "node_pflops": ("PFLOPS", "peak of one node at the training precision"),
    "node_memory_gb": ("GB", "accelerator memory of one node"),
    "params": ("parameters", "trained parameters (MoE: total)"),
    "active_params": ("parameters", "parameters active per token (dense: params)"),
    "step_compute_s": (
        "s",
        "one inner step on one node (a pipeline step for pp-diloco; with the all-to-all for moe-ep)",
    ),
    "sync_s": ("s", "one outer (WAN) synchronisation, straggler included"),
    "straggler_factor": ("", "slowdown f(n) of the WAN synchronisation"),
    "inner_steps": ("steps", "inner steps H between synchronisations (hierarchical: the effective H)"),
    "eta": ("", "algorithmic efficiency: the product of the η factors"),
    "eta_h": ("", "efficiency lost to synchronising every H steps"),
    "eta_compression": ("", "efficiency lost to pseudo-gradient compression"),
    "eta_replicas": ("", "efficiency lost to averaging many replicas"),
    "eta_activation": ("", "efficiency lost to activation compression between pipeline stages"),
    "c_actual": ("FLOP", "raw training FLOP executed (6·P·D)"),
    "c_local": ("FLOP", "local-equivalent FLOP: c_actual · η"),
    "eta_chinchilla": ("", "Chinchilla efficiency χ of the model size and token count"),
    "c_quality": ("FLOP", "quality-adjusted FLOP: c_local · χ"),
    "tokens": ("tokens", "training tokens"),
    "overtraining_ratio": ("", "tokens per parameter over the Chinchilla-optimal count"),
    "strict_threshold_multiple": ("×", "c_local over the strict training-compute threshold (1e24 FLOP)"),
    "wall_clock_days": ("days", "the budget, or in time-to-train mode the time needed"),
    "bottleneck": ("", "compute or communication"),
    "pp_stages": ("stages", "pipeline stages (1 unless pp-diloco)"),
    "groups": ("", "replicas that synchronise over the WAN (groups of hierarchical and pp-diloco)"),
    "bubble_fraction": ("", "idle share of a GPipe step (pp-diloco)"),
    "inner_steps_regional": ("steps", "hierarchical: inner steps between regional synchronisations"),
    "regional_syncs_per_global": ("", "hierarchical: regional synchronisations per global one"),
    "ep_overhead": ("", "moe-ep: share of an inner step spent in the expert all-to-all"),
    "memory_per_node_gb": ("GB", "training state one node holds"),
    "fits_in_memory": ("", "the training state fits the node"),
    "replica_loss_multiplier": ("", "loss multiplier m = R^β of the revised replica penalty (1 otherwise)"),
    "compute_utilization": ("", "share of wall time the accelerators spend in inner steps"),
    "bw_duty_cycle": ("", "share of the outer step with the WAN busy (flat DiLoCo)"),
    "comm_gb_per_sync": ("GB", "data one node moves per synchronisation, both directions (flat DiLoCo)"),
    "mitigation": ("", "failure mitigation (reliability layer on)"),
    "goodput": ("", "share of GPU-hours doing useful work (reliability layer on)"),
    "time_inflation": ("×", "1 / goodput"),
    "eta_mitigation": ("", "quality factor of the mitigation"),
    "cost_multiplier": ("×", "cost factor of the mitigation (backup workers)"),
    "cluster_mtbf_hours": ("h", "mean time between failures of the whole fleet"),
    "cluster_failures_per_day": ("1/day", "failures per day in the whole fleet"),
    "expected_failures": ("", "failures expected over the run"),
    "gpu_hours_lost": ("GPU-h", "GPU-hours lost to failures and their mitigation"),
    "node_unavailability": ("", "fraction of time a node is down"),
    "checkpoint_interval_hours": ("h", "Young/Daly checkpoint interval (synchronous, checkpoint_elastic)"),
    "checkpoint_cost_s": ("s", "checkpoint write time that stalls training"),
    "gpu_memory_checkpoint_feasible": ("", "peer GPU memory can hold the checkpoint shards"),
}

#: Columns shown as integers (counts); ``inner_steps`` too, except for hierarchical runs.
INTEGER_KEYS = frozenset({"nodes", "gpus", "pp_stages", "groups", "inner_steps_regional", "regional_syncs_per_global"})
#: Boolean result keys (stored as bool arrays, or as float with NaN for null).
BOOLEAN_KEYS = frozenset({"registered", "fits_in_memory", "gpu_memory_checkpoint_feasible"})
#: Text result keys (object arrays).
TEXT_KEYS = frozenset({"name", "strategy", "bottleneck", "mitigation", "infeasible_reason"})
#: Keys that stay meaningful at an infeasible point: what was asked, and why it was refused.
_ECHO_KEYS = frozenset({"name", "strategy", "feasible", "infeasible_reason"})


def _plain(key: str, value: Any, strategy: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if key in BOOLEAN_KEYS:
        if isinstance(value, float):
            return None if math.isnan(value) else bool(value)
        return bool(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if key in INTEGER_KEYS or (key == "inner_steps" and strategy != "hierarchical"):
            return round(value)
    return value


def _plain_column(key: str, column: np.ndarray, strategies: list[str]) -> list[Any]:
    """A column as plain Python values, as ``_plain`` gives each (``None`` for NaN, counts
    rounded, booleans as ``bool``, text as ``str``); a broadcast column is converted once."""
    if len(column) > 1 and column.strides[0] == 0 and (key != "inner_steps" or len(set(strategies)) == 1):
        return _plain_column(key, column[:1], strategies[:1]) * len(column)
    values = column.tolist()
    kind = column.dtype.kind
    if key in TEXT_KEYS and key != "feasible":
        return [None if v is None else str(v) for v in values]
    if key == "feasible":
        return [bool(v) for v in values]
    if kind == "f":
        if key in BOOLEAN_KEYS:
            return [None if v != v else bool(v) for v in values]
        if key in INTEGER_KEYS:
            return [None if v != v else round(v) for v in values]
        if key == "inner_steps":
            return [
                None if v != v else (v if strategy == "hierarchical" else round(v))
                for v, strategy in zip(values, strategies, strict=True)
            ]
        return [None if v != v else v for v in values]
    if kind == "b":
        return [bool(v) for v in values]
    if kind in "iu":
        return values
    return [_plain(key, v, strategy) for v, strategy in zip(values, strategies, strict=True)]


#: The two bottleneck labels, indexed by "communication-bound" (shared, not copied per row).
_BOTTLENECKS = np.array(["compute", "communication"], dtype=object)


class Batch:
    """Results of many scenarios as NumPy columns keyed by result key (plus the varied fields
    of a sweep, ``feasible`` and ``infeasible_reason``). ``len(batch)``, ``batch.to_dicts()``,
    ``batch.results()``, ``batch.to_pandas()``. Null entries are NaN in the columns and None in
    dicts; every result of an infeasible point is null."""

    def __init__(self, columns: Mapping[str, np.ndarray], *, names: Sequence[str | None] | np.ndarray | None = None):
        columns = dict(columns)
        n = max((len(v) for v in columns.values()), default=0)
        if "communication_bound" in columns:
            columns["bottleneck"] = _BOTTLENECKS[np.asarray(columns.pop("communication_bound"), dtype=np.intp)]
        if isinstance(names, np.ndarray) and names.dtype == object and len(names) == n:
            name_column = names
        else:
            name_column = np.empty(n, dtype=object)
            name_column[:] = names if names is not None else None
        if "feasible" not in columns:
            columns["feasible"] = np.broadcast_to(np.True_, (n,))
            columns["infeasible_reason"] = np.broadcast_to(np.array([None], dtype=object), (n,))
        self.columns: dict[str, np.ndarray] = {"name": name_column, **columns}

    def __len__(self) -> int:
        return len(self.columns["name"])

    def __repr__(self) -> str:
        infeasible = int((~np.asarray(self.columns["feasible"], dtype=bool)).sum())
        extra = f", {infeasible} infeasible" if infeasible else ""
        return f"Batch({len(self)} scenarios, {len(self.columns)} columns{extra})"

    @property
    def feasible(self) -> np.ndarray:
        """True where the point could run (its results are numbers)."""
        return np.asarray(self.columns["feasible"], dtype=bool)

    def _rows(self, start: int = 0, stop: int | None = None, *, extra: bool = False) -> list[dict[str, Any]]:
        """Points [start, stop) as flat dicts of plain Python values: the result keys, and with
        ``extra`` then ``feasible``, ``infeasible_reason`` and any varied fields. Each column is
        converted as a whole (``tolist``, then one pass), not value by value."""
        stop = len(self) if stop is None else stop
        present = [k for k in RESULT_KEYS if k in self.columns]
        keys = [*present, *(k for k in self.columns if k not in RESULT_KEYS)] if extra else present
        whole = start == 0 and stop == len(self)
        part = {key: self.columns[key] if whole else self.columns[key][start:stop] for key in keys}
        strategies = [str(v) for v in part["strategy"].tolist()] if "strategy" in part else [""] * (stop - start)
        feasible = [bool(v) for v in self.columns["feasible"][start:stop].tolist()]
        infeasible = [i for i, ok in enumerate(feasible) if not ok]
        columns = []
        for key in keys:
            values = _plain_column(key, part[key], strategies)
            if infeasible and key in RESULT_KEYS and key not in _ECHO_KEYS:
                for i in infeasible:
                    values[i] = None
            columns.append(values)
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]

    def results(self) -> list[Result]:
        """One ``Result`` per scenario, in order (every point must be feasible, and the batch
        must hold every result key: not a sweep of some ``columns``)."""
        missing = [k for k in RESULT_KEYS if k not in self.columns]
        if missing:
            from dtsim.errors import ScenarioError

            raise ScenarioError("columns", missing, "this batch holds only some result keys; use to_dicts()")
        if not self.feasible.all():
            i = int(np.argmin(self.feasible))
            from dtsim.errors import InfeasibleError

            raise InfeasibleError("", f"point {i} is infeasible", str(self.columns["infeasible_reason"][i]))
        return [Result._from_row(row) for row in self._rows()]

    def __iter__(self) -> Iterator[Result]:
        return iter(self.results())

    def row(self, i: int) -> dict[str, Any]:
        """Point i as a flat dict: the result keys, then ``feasible``, ``infeasible_reason`` and
        any varied fields."""
        i = range(len(self))[i]  # a negative index counts from the end; out of range raises
        return self._rows(i, i + 1, extra=True)[0]

    def to_dicts(self) -> list[dict[str, Any]]:
        """One flat dict per point (``row(i)`` for every i)."""
        return self._rows(extra=True)

    def iter_dicts(self, chunk: int = 4096) -> Iterator[dict[str, Any]]:
        """``to_dicts()`` one by one, converting ``chunk`` points at a time (bounded memory)."""
        for start in range(0, len(self), chunk):
            yield from self._rows(start, min(start + chunk, len(self)), extra=True)

    def to_pandas(self) -> Any:
        """A pandas DataFrame of ``to_dicts()`` (needs pandas installed)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("Batch.to_pandas() needs pandas: pip install pandas") from exc
        return pd.DataFrame(self.to_dicts())
