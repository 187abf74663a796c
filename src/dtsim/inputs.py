"""Compile scenarios into the core's input arrays, in SI units.

A batch is first a table of *columns* keyed by the scenario's dotted field paths, in user
units (``network.wan.bandwidth_mbps`` …; absent optional numbers are NaN, text fields are
object arrays). ``compile_inputs`` turns such a table into ``Inputs``: NumPy arrays in bit/s,
s, bytes, FLOP/s, with catalogue look-ups, defaults that depend on other fields (the largest
model that fits a node) and compression qualities resolved. ``simulate_many`` builds the table
from validated scenarios, ``sweep`` from one scenario and its axes; both then share this code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import InfeasibleError, ScenarioError
from dtsim.physics.efficiency import activation_quality_table, compression_quality, pseudo_gradient_quality_table
from dtsim.physics.hardware import PRECISIONS, gpu_catalogue, h100_equivalents, max_gpus_under_threshold
from dtsim.physics.memory import max_dense_params
from dtsim.scenario import Scenario
from dtsim.units import CCC_THRESHOLD_H100_EQ, DAY_S, DEFAULT_BUDGET_DAYS, GB, MBPS, MS, PFLOPS, TFLOPS, YEAR_S

__all__ = ["Inputs", "compile_inputs", "scenario_columns", "stack_columns"]

Array = NDArray[np.float64]

#: Smallest model the scaling laws are used for (the schema's lower bound on model.params).
MIN_PARAMS = 1e6

#: Leaf fields whose values are text (or tables) rather than numbers.
TEXT_FIELDS = frozenset(
    {
        "name",
        "strategy",
        "hardware.preset",
        "hardware.gpu",
        "hardware.precision",
        "training.inner_steps",
        "network.straggler",
        "compression.quality",
        "compression.activation_quality",
    }
)


@dataclass(frozen=True)
class Inputs:
    """One batch of scenarios as arrays of equal length, in SI units. Built by
    ``compile_inputs``; read by the strategies."""

    nodes: Array
    gpus_per_node: Array  # NaN for a custom node without a GPU count
    node_pflops: Array  # peak at the training precision
    node_peak_flop_per_s: Array
    node_memory_bytes: Array
    node_cost_usd: Array  # NaN when unknown
    h100_equivalents_per_node: Array
    bytes_per_param: Array  # beta
    pseudo_gradient_bits: Array
    activation_bytes: Array
    params: Array  # dense params, or MoE total params
    active_params: Array  # = params for dense models
    moe_layers: Array
    budget_s: Array  # NaN in time-to-train mode
    tokens_target: Array  # NaN in budget mode
    mfu: Array
    batch_tokens: Array
    inner_steps: Array  # NaN = automatic
    wan_bandwidth_bit_per_s: Array
    wan_latency_s: Array
    regional_bandwidth_bit_per_s: Array
    regional_latency_s: Array
    nodes_per_group: Array
    straggler: NDArray[np.bool_]
    pseudo_gradient_ratio: Array
    activation_ratio: Array
    pseudo_gradient_quality: Array  # q_pg at the ratio
    activation_quality: Array  # q_act per boundary at the ratio
    micro_batches: Array

    def __len__(self) -> int:
        return int(self.nodes.shape[0])

    def take(self, index: NDArray[np.bool_] | NDArray[np.intp]) -> Inputs:
        """The sub-batch at ``index`` (a mask or positions)."""
        return Inputs(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @property
    def time_to_train(self) -> NDArray[np.bool_]:
        """True where the scenario gives a token target instead of a budget."""
        return ~np.isnan(self.tokens_target)

    @property
    def node_flop_per_s(self) -> Array:
        """F = node peak × MFU (spec §2.1)."""
        return self.node_peak_flop_per_s * self.mfu


def _leaves(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and path not in TEXT_FIELDS:
            out.update(_leaves(value, path + "."))
        else:
            out[path] = value
    return out


def scenario_columns(scenario: Scenario) -> dict[str, Any]:
    """The scenario's leaf fields by dotted path (defaults filled in, None where unset)."""
    return _leaves(scenario.model_dump())


def stack_columns(rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Stack per-scenario leaf dicts into column arrays (NaN for absent numbers)."""
    columns: dict[str, np.ndarray] = {}
    for path in rows[0]:
        values = [row[path] for row in rows]
        if path in TEXT_FIELDS:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            columns[path] = arr
        else:
            columns[path] = np.array([np.nan if v is None else v for v in values], dtype=float)
    return columns


def _text_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _by_text(values: np.ndarray) -> list[tuple[Any, NDArray[np.bool_]]]:
    """Group an object column by value: [(value, mask)], stable."""
    if len(values) == 0:
        return []
    first = values[0]
    same = values == first
    if isinstance(same, np.ndarray) and same.all():
        return [(first, same)]
    keys = np.array([_text_key(v) for v in values], dtype=object)
    groups = []
    for key in dict.fromkeys(keys.tolist()):
        mask = keys == key
        groups.append((values[int(np.argmax(mask))], mask))
    return groups


def _fail(path: str, columns: Mapping[str, np.ndarray], where: NDArray[np.bool_], allowed: str) -> None:
    i = int(np.argmax(where))
    value = columns[path][i]
    batch = f" (scenario {i} of the batch)" if len(where) > 1 else ""
    raise ScenarioError(path, value.item() if hasattr(value, "item") else value, allowed + batch)


def _broadcast_text(*columns: np.ndarray) -> list[np.ndarray]:
    """Text columns of length 1 or n, brought to a common length (views, no copies)."""
    length = max(len(col) for col in columns)
    return [np.broadcast_to(col, (length,)) for col in columns]


def compile_inputs(columns: Mapping[str, np.ndarray]) -> Inputs:
    """Resolve a column table (user units) into ``Inputs`` (SI units), vectorised.

    A column has the batch length n, or length 1 when it is the same for every scenario (a
    sweep's fixed fields): text fields are then resolved once and broadcast.
    """
    c = columns
    n = max(len(col) for col in c.values())

    # Hardware: catalogue GPU × count, or a custom node; explicit node_* fields override.
    gpu_column, precision = _broadcast_text(c["hardware.gpu"], c["hardware.precision"])
    m = len(gpu_column)
    gpu_tflops = np.full(m, np.nan)
    gpu_fp16_tflops = np.full(m, np.nan)
    gpu_memory_gb = np.full(m, np.nan)
    gpu_cost = np.full(m, np.nan)
    custom_pflops = np.broadcast_to(np.isnan(c["hardware.node_pflops"]), (max(m, len(c["hardware.node_pflops"])),))
    for gpu, mask in _by_text(gpu_column):
        if gpu is None:
            continue
        spec = gpu_catalogue().get(gpu)
        if spec is None:
            _fail(
                "hardware.gpu",
                {"hardware.gpu": gpu_column},
                mask,
                f"unknown GPU; allowed: {', '.join(gpu_catalogue())}",
            )
            raise AssertionError  # unreachable: _fail raises
        gpu_fp16_tflops[mask] = spec.fp16_tflops
        gpu_memory_gb[mask] = spec.memory_gb
        gpu_cost[mask] = np.nan if spec.cost_usd is None else spec.cost_usd
        for prec, pmask in _by_text(precision):
            tflops = spec.tflops(prec)
            both = mask & pmask
            if tflops is None:
                no_override = np.broadcast_to(both, custom_pflops.shape) & custom_pflops
                if no_override.any():
                    _fail(
                        "hardware.precision",
                        {"hardware.precision": np.broadcast_to(precision, no_override.shape)},
                        no_override,
                        f"{gpu} has no {prec} support; allowed: fp16",
                    )
                continue
            gpu_tflops[both] = tflops
    has_gpu = ~np.isnan(gpu_fp16_tflops)
    gpus = c["hardware.gpus_per_node"]
    rule_max = max_gpus_under_threshold(gpu_fp16_tflops, CCC_THRESHOLD_H100_EQ)
    gpus = np.where(np.isnan(gpus) & has_gpu, rule_max, gpus)
    pflops = np.where(
        np.isnan(c["hardware.node_pflops"]), gpus * gpu_tflops * TFLOPS / PFLOPS, c["hardware.node_pflops"]
    )
    memory_gb = np.where(np.isnan(c["hardware.node_memory_gb"]), gpus * gpu_memory_gb, c["hardware.node_memory_gb"])
    cost = np.where(np.isnan(c["hardware.node_cost_usd"]), gpus * gpu_cost, c["hardware.node_cost_usd"])
    is_fp8 = np.asarray(precision == "fp8", dtype=bool)
    custom_h100 = h100_equivalents(pflops * PFLOPS / TFLOPS / np.where(is_fp8, 2.0, 1.0))
    h100 = np.where(has_gpu, h100_equivalents(gpus * gpu_fp16_tflops), custom_h100)
    h100 = np.where(np.isnan(c["hardware.node_h100_equivalents"]), h100, c["hardware.node_h100_equivalents"])

    beta = np.where(is_fp8, PRECISIONS["fp8"].training_state_bytes, PRECISIONS["fp16"].training_state_bytes)
    pg_bits = np.where(is_fp8, PRECISIONS["fp8"].pseudo_gradient_bits, PRECISIONS["fp16"].pseudo_gradient_bits)
    act_bytes = np.where(is_fp8, PRECISIONS["fp8"].activation_bytes, PRECISIONS["fp16"].activation_bytes)
    memory_bytes = memory_gb * GB

    # Model: omitted dense params → the largest model whose training state fits one node.
    is_moe = np.asarray(c["strategy"] == "moe-ep", dtype=bool)
    params = np.where(is_moe, c["model.total_params"], c["model.params"])
    params = np.where(np.isnan(params), max_dense_params(memory_bytes, beta), params)
    active = np.where(is_moe, c["model.active_params"], params)
    too_small = np.broadcast_to(params < MIN_PARAMS, (n,))
    if too_small.any():
        i = int(np.argmax(too_small))
        raise InfeasibleError(
            "hardware.node_memory_gb",
            f"the largest model that fits the node has "
            f"{np.broadcast_to(params, (n,))[i]:.3g} parameters (fewer than {MIN_PARAMS:.0e})",
            "give the node more memory, or set model.params",
        )

    # Training: budget or token target.
    tokens = c["training.tokens"]
    budget_days = np.where(np.isnan(c["training.years"]), c["training.days"], c["training.years"] * YEAR_S / DAY_S)
    budget_days = np.where(np.isnan(budget_days), DEFAULT_BUDGET_DAYS, budget_days)
    budget_s = np.where(np.isnan(tokens), budget_days * DAY_S, np.nan)
    inner_column = c["training.inner_steps"]
    automatic = np.asarray(inner_column == "auto", dtype=bool)
    inner = np.full(len(inner_column), np.nan)
    inner[~automatic] = inner_column[~automatic].astype(float)

    # Compression quality: q_pg from `quality`; q_act from `activation_quality`, else the named
    # scenario of `quality` (expected when `quality` is a custom table). Spec §1.7, interface.md.
    pg_ratio = c["compression.pseudo_gradient"].astype(float)
    act_ratio = c["compression.activations"].astype(float)
    quality, act_quality = _broadcast_text(c["compression.quality"], c["compression.activation_quality"])
    q_pg = _quality(pg_ratio, quality, pseudo_gradient_quality_table)
    act_names = np.empty(len(quality), dtype=object)
    act_names[:] = [
        a if a is not None else (q if isinstance(q, str) else "expected")
        for a, q in zip(act_quality, quality, strict=True)
    ]
    q_act = _quality(act_ratio, act_names, activation_quality_table)

    fields = dict(
        nodes=c["nodes"].astype(float),
        gpus_per_node=gpus,
        node_pflops=pflops,
        node_peak_flop_per_s=pflops * PFLOPS,
        node_memory_bytes=memory_bytes,
        node_cost_usd=cost,
        h100_equivalents_per_node=h100,
        bytes_per_param=beta,
        pseudo_gradient_bits=pg_bits,
        activation_bytes=act_bytes,
        params=params,
        active_params=active,
        moe_layers=c["model.moe_layers"].astype(float),
        budget_s=budget_s,
        tokens_target=tokens.astype(float),
        mfu=c["training.mfu"].astype(float),
        batch_tokens=c["training.local_batch_tokens"].astype(float),
        inner_steps=inner,
        wan_bandwidth_bit_per_s=c["network.wan.bandwidth_mbps"] * MBPS,
        wan_latency_s=c["network.wan.latency_ms"] * MS,
        regional_bandwidth_bit_per_s=c["network.regional.bandwidth_mbps"] * MBPS,
        regional_latency_s=c["network.regional.latency_ms"] * MS,
        nodes_per_group=c["network.nodes_per_group"].astype(float),
        straggler=np.asarray(c["network.straggler"] == "log2", dtype=bool),
        pseudo_gradient_ratio=pg_ratio.astype(float),
        activation_ratio=act_ratio.astype(float),
        pseudo_gradient_quality=q_pg,
        activation_quality=q_act,
        micro_batches=c["pipeline.micro_batches"].astype(float),
    )
    return Inputs(**{name: np.broadcast_to(value, (n,)) for name, value in fields.items()})


def _quality(ratio: np.ndarray, scenarios: np.ndarray, table_of: Any) -> np.ndarray:
    """Quality factor of each ratio under each row's quality scenario (grouped by scenario)."""
    if len(scenarios) == 1:
        return compression_quality(ratio, table_of(scenarios[0]))
    ratio, scenarios = np.broadcast_arrays(ratio, scenarios)
    out = np.ones(len(ratio))
    for scenario, mask in _by_text(scenarios):
        out[mask] = compression_quality(ratio[mask], table_of(scenario))
    return out
