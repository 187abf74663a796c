"""Compile normalised columns (user units, every field filled) into the core's input arrays:
SI units, catalogue look-ups resolved, variant choices as small integer codes.

This is the one place user units are converted (``dtsim.units``); the strategies and the physics
see only ``Inputs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dtsim.errors import ScenarioError
from dtsim.normalize import BROADCAST_CONSTANTS, RELIABILITY_ON, gpu_columns, groups
from dtsim.physics.efficiency import (
    REPLICA_PENALTIES,
    activation_quality_table,
    compression_quality,
    pseudo_gradient_quality_table,
)
from dtsim.physics.hardware import (
    effective_flop_per_s,
    h100_equivalents,
    node_cost_usd,
    node_memory_gb,
    node_peak_pflops,
)
from dtsim.physics.network import COLLECTIVES, STRAGGLERS
from dtsim.physics.reliability import CHECKPOINT_MODES, MITIGATIONS, RELIABILITY_MODELS
from dtsim.physics.scaling_law import ScalingLaw
from dtsim.units import DAY_S, GB, MBPS, MS, PFLOPS, TFLOPS

__all__ = ["CODES", "Inputs", "compile_inputs"]

Array = NDArray[np.float64]
Codes = NDArray[np.int8]

#: Choice fields compiled to integer codes: path → the names, in code order.
CODES: dict[str, tuple[str, ...]] = {
    "strategy": ("diloco", "hierarchical", "pp-diloco", "moe-ep"),
    "network.straggler": STRAGGLERS.names,
    "network.collective": COLLECTIVES.names,
    "efficiency.replica_penalty": REPLICA_PENALTIES.names,
    "efficiency.replica_h_scaling": ("log", "none"),
    "efficiency.replica_fold": ("eta", "chi"),
    "efficiency.single_node_chinchilla": ("exempt", "computed"),
    "hardware.cost_model": ("chips", "cottier"),
    "reliability.mitigation": MITIGATIONS,
    "reliability.checkpoint.mode": CHECKPOINT_MODES,
    "reliability.model": RELIABILITY_MODELS,
}


@dataclass(frozen=True)
class Inputs:
    """One batch of scenarios as arrays of equal length n (constant ones as zero-copy
    broadcast views), in SI units. Built by ``compile_inputs``; read by the strategies and the
    physics."""

    # Node
    nodes: Array
    gpus_per_node: Array  # NaN for a custom node without a GPU count
    node_pflops: Array  # peak at the training precision
    node_peak_flop_per_s: Array
    node_memory_bytes: Array
    node_cost_usd: Array  # chips or Cottier cost of one node; NaN when unknown
    h100_equivalents_per_node: Array
    bytes_per_param: Array  # beta
    pseudo_gradient_bits: Array
    activation_bytes: Array
    # Model
    params: Array  # dense params, or MoE total params
    active_params: Array  # = params for dense models
    moe_layers: Array
    all_to_all_per_layer: Array
    # Training
    budget_s: Array  # NaN in time-to-train mode
    tokens_target: Array  # NaN in budget mode
    mfu: Array
    batch_tokens: Array
    inner_steps: Array  # NaN = automatic
    streaming: NDArray[np.bool_]
    flop_per_param_token: Array
    # Network
    wan_upload_bit_per_s: Array
    wan_download_bit_per_s: Array
    wan_latency_s: Array
    regional_bandwidth_bit_per_s: Array
    regional_latency_s: Array
    nodes_per_group: Array
    straggler: Codes
    straggler_per_doubling: Array
    collective: Codes
    # Compression
    pseudo_gradient_ratio: Array
    activation_ratio: Array
    pseudo_gradient_quality: Array  # q_pg at the ratio
    activation_quality: Array  # q_act per boundary at the ratio
    # Pipeline
    micro_batches: Array
    hidden_coefficient: Array
    hidden_exponent: Array
    # Efficiency
    replica_penalty: Codes
    replica_h_scaling: NDArray[np.bool_]
    replica_fold_chi: NDArray[np.bool_]
    single_node_chinchilla_computed: NDArray[np.bool_]
    sync_penalty_base: Array
    sync_penalty_size_scale: Array
    sync_penalty_floor: Array
    replica_slope: Array
    replica_cap_b: Array
    replica_min_b: Array
    replica_floor: Array
    replica_loss_coefficient: Array
    replica_loss_exponent: Array
    replica_loss_reference_h: Array
    hierarchical_h_exponent: Array
    # Scaling law
    loss_e: Array
    loss_a: Array
    loss_alpha: Array
    loss_b: Array
    loss_beta: Array
    tokens_per_param: Array
    # Reporting
    strict_threshold_flop: Array
    registration_threshold_h100_eq: Array
    # Reliability
    reliability: NDArray[np.bool_]
    mitigation: Codes
    failure_rate_per_gpu_hour: Array
    recovery_s: Array
    checkpoint_mode: Codes
    checkpoint_bandwidth_bytes_per_s: Array
    checkpoint_write_s: Array  # NaN = from the state and the bandwidth
    checkpoint_peer_replicas: Array
    fail_slow_fraction: Array
    fail_slow_severity: Array
    backup_fraction: Array
    reliability_model: Codes

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
        """F = node peak × MFU (model.md §2.1)."""
        return effective_flop_per_s(self.node_peak_flop_per_s, self.mfu)

    @property
    def scaling_law(self) -> ScalingLaw:
        """The Chinchilla coefficients of each point."""
        return ScalingLaw(
            E=self.loss_e,
            A=self.loss_a,
            alpha=self.loss_alpha,
            B=self.loss_b,
            beta=self.loss_beta,
            tokens_per_param=self.tokens_per_param,
            flop_per_param_token=self.flop_per_param_token,
        )


def _codes(path: str, column: np.ndarray) -> Codes:
    names = CODES[path]
    if len(column) == 1:
        return np.array([names.index(column[0])], dtype=np.int8)
    lookup = {name: i for i, name in enumerate(names)}
    out = np.empty(len(column), dtype=np.int8)
    for value, mask in groups(column):
        out[mask] = lookup[value]
    return out


def _flag(column: np.ndarray, value: str) -> NDArray[np.bool_]:
    return np.asarray(column == value, dtype=bool)


def compile_inputs(c: Mapping[str, np.ndarray]) -> Inputs:
    """Resolve normalised columns (user units) into ``Inputs`` (SI units), vectorised.

    Columns have the batch length n or length 1 (the same for every point, resolved once and
    broadcast). Catalogue look-ups: the GPU's TFLOPS at the precision, memory and price.
    """
    n = max(len(col) for col in c.values())
    gpu, precision = c["hardware.gpu"], c["hardware.precision"]
    has_gpu = np.asarray(gpu != None, dtype=bool)  # noqa: E711 - elementwise on an object array
    catalogue = gpu_columns(gpu, "fp16_tflops", "fp8_tflops", "memory_gb", "cost_usd", "cost_2026_usd")
    fp16, fp8 = catalogue["fp16_tflops"], catalogue["fp8_tflops"]
    is_fp8 = _flag(precision, "fp8")
    tflops = np.where(is_fp8, fp8, fp16)
    custom_pflops = c["hardware.node_pflops"]
    unsupported = np.broadcast_to(has_gpu & is_fp8 & np.isnan(fp8) & np.isnan(custom_pflops), (n,))
    if unsupported.any():
        i = int(np.argmax(unsupported))
        name = np.broadcast_to(gpu, (n,))[i]
        where = f" (point {i})" if n > 1 else ""
        raise ScenarioError("hardware.precision", "fp8", f"{name} has no fp8 support; allowed: fp16{where}")
    gpus = c["hardware.gpus_per_node"]
    pflops = np.where(np.isnan(custom_pflops), node_peak_pflops(gpus, tflops), custom_pflops)
    memory_gb = np.where(
        np.isnan(c["hardware.node_memory_gb"]),
        node_memory_gb(gpus, catalogue["memory_gb"]),
        c["hardware.node_memory_gb"],
    )
    price = np.full(len(gpu), np.nan)
    for table, mask in groups(c["hardware.prices"]):
        by_gpu = catalogue["cost_2026_usd" if table == "2026" else "cost_usd"]
        price = np.where(np.broadcast_to(mask, np.broadcast(price, mask).shape), by_gpu, price)
    price = np.where(np.isnan(c["hardware.gpu_price_usd"]), price, c["hardware.gpu_price_usd"])
    # A custom node's declared cost counts as its chips: one GPU at that price.
    custom_cost = ~np.isnan(c["hardware.node_cost_usd"])
    node_cost = node_cost_usd(
        np.where(custom_cost, 1.0, gpus),
        np.where(custom_cost, c["hardware.node_cost_usd"], price),
        _flag(c["hardware.cost_model"], "cottier"),
        c["hardware.chip_to_server"],
        c["hardware.server_to_cluster"],
    )
    unit = c["reporting.h100_equivalent_tflops"]
    custom_h100 = h100_equivalents(pflops * PFLOPS / TFLOPS / np.where(is_fp8, 2.0, 1.0), unit)
    h100 = np.where(has_gpu, h100_equivalents(gpus * fp16, unit), custom_h100)
    h100 = np.where(np.isnan(c["hardware.node_h100_equivalents"]), h100, c["hardware.node_h100_equivalents"])

    is_moe = _flag(c["strategy"], "moe-ep")
    params = np.where(is_moe, c["model.total_params"], c["model.params"])
    params = np.where(np.isnan(params), memory_gb * GB / c["hardware.bytes_per_param"], params)
    active = np.where(is_moe, c["model.active_params"], params)

    quality, act_quality = c["compression.quality"], c["compression.activation_quality"]
    q_pg = _quality(c["compression.pseudo_gradient"], quality, c["compression.table"], pseudo_gradient_quality_table)
    q_act = _quality(
        c["compression.activations"], act_quality, c["compression.activation_table"], activation_quality_table
    )
    rel = c[RELIABILITY_ON]
    values: dict[str, Any] = dict(
        nodes=c["nodes"],
        gpus_per_node=gpus,
        node_pflops=pflops,
        node_peak_flop_per_s=pflops * PFLOPS,
        node_memory_bytes=memory_gb * GB,
        node_cost_usd=node_cost,
        h100_equivalents_per_node=h100,
        bytes_per_param=c["hardware.bytes_per_param"],
        pseudo_gradient_bits=c["compression.pseudo_gradient_bits"],
        activation_bytes=c["pipeline.activation_bytes"],
        params=params,
        active_params=active,
        moe_layers=c["model.moe_layers"],
        all_to_all_per_layer=c["model.all_to_all_per_layer"],
        budget_s=c["training.days"] * DAY_S,
        tokens_target=c["training.tokens"],
        mfu=c["training.mfu"],
        batch_tokens=c["training.local_batch_tokens"],
        inner_steps=c["training.inner_steps"],
        streaming=np.asarray(c["training.streaming"] != 0.0, dtype=bool),
        flop_per_param_token=c["training.flop_per_param_token"],
        wan_upload_bit_per_s=c["network.wan.upload_mbps"] * MBPS,
        wan_download_bit_per_s=c["network.wan.download_mbps"] * MBPS,
        wan_latency_s=c["network.wan.latency_ms"] * MS,
        regional_bandwidth_bit_per_s=c["network.regional.bandwidth_mbps"] * MBPS,
        regional_latency_s=c["network.regional.latency_ms"] * MS,
        nodes_per_group=c["network.nodes_per_group"],
        straggler=_codes("network.straggler", c["network.straggler"]),
        straggler_per_doubling=c["network.straggler_per_doubling"],
        collective=_codes("network.collective", c["network.collective"]),
        pseudo_gradient_ratio=c["compression.pseudo_gradient"],
        activation_ratio=c["compression.activations"],
        pseudo_gradient_quality=q_pg,
        activation_quality=q_act,
        micro_batches=c["pipeline.micro_batches"],
        hidden_coefficient=c["pipeline.hidden_size.coefficient"],
        hidden_exponent=c["pipeline.hidden_size.exponent"],
        replica_penalty=_codes("efficiency.replica_penalty", c["efficiency.replica_penalty"]),
        replica_h_scaling=_flag(c["efficiency.replica_h_scaling"], "log"),
        replica_fold_chi=_flag(c["efficiency.replica_fold"], "chi"),
        single_node_chinchilla_computed=_flag(c["efficiency.single_node_chinchilla"], "computed"),
        sync_penalty_base=c["efficiency.sync_penalty.base"],
        sync_penalty_size_scale=c["efficiency.sync_penalty.size_scale"],
        sync_penalty_floor=c["efficiency.sync_penalty.floor"],
        replica_slope=c["efficiency.replica.slope"],
        replica_cap_b=c["efficiency.replica.cap_b"],
        replica_min_b=c["efficiency.replica.min_b"],
        replica_floor=c["efficiency.replica.floor"],
        replica_loss_coefficient=c["efficiency.replica_loss.coefficient"],
        replica_loss_exponent=c["efficiency.replica_loss.exponent"],
        replica_loss_reference_h=c["efficiency.replica_loss.reference_h"],
        hierarchical_h_exponent=c["efficiency.hierarchical_h_exponent"],
        loss_e=c["scaling_law.E"],
        loss_a=c["scaling_law.A"],
        loss_alpha=c["scaling_law.alpha"],
        loss_b=c["scaling_law.B"],
        loss_beta=c["scaling_law.beta"],
        tokens_per_param=c["scaling_law.tokens_per_param"],
        strict_threshold_flop=c["reporting.strict_threshold_flop"],
        registration_threshold_h100_eq=c["reporting.registration_threshold_h100_eq"],
        reliability=np.asarray(rel, dtype=bool),
        mitigation=_codes("reliability.mitigation", c["reliability.mitigation"]),
        failure_rate_per_gpu_hour=c["reliability.failure_rate_per_gpu_hour"],
        recovery_s=c["reliability.recovery_s"],
        checkpoint_mode=_codes("reliability.checkpoint.mode", c["reliability.checkpoint.mode"]),
        checkpoint_bandwidth_bytes_per_s=c["reliability.checkpoint.bandwidth_gb_per_s"] * GB,
        checkpoint_write_s=c["reliability.checkpoint.write_s"],
        checkpoint_peer_replicas=c["reliability.checkpoint.peer_replicas"],
        fail_slow_fraction=c["reliability.fail_slow.fraction"],
        fail_slow_severity=c["reliability.fail_slow.severity"],
        backup_fraction=c["reliability.backup_fraction"],
        reliability_model=_codes("reliability.model", c["reliability.model"]),
    )
    return Inputs(**{name: _length(value, n) for name, value in values.items()})


def _length(value: Any, n: int) -> np.ndarray:
    """``value`` as an array of length n, as ``np.broadcast_to`` gives it (a read-only view of
    stride 0 when the value is one number, so that NumPy picks the same loops as for a
    broadcast value), built without its overhead when ``value`` is an array already."""
    if isinstance(value, np.ndarray):
        if value.shape == (n,):
            if n > 1:
                return value
            constant = BROADCAST_CONSTANTS.get(id(value))
            if constant is not None:
                return constant
            return value[0, ...][None]  # a new axis has stride 0
        if value.shape == (1,) and value.dtype != object:
            view = np.ndarray((n,), value.dtype, value, 0, (0,))
            view.flags.writeable = False
            return view
    return np.broadcast_to(np.asarray(value), (n,))


def _quality(ratio: np.ndarray, scenarios: np.ndarray, tables: np.ndarray, table_of: Any) -> Array:
    """Quality factor of each ratio under each point's quality scenario and table variant."""
    if len(scenarios) == 1 and len(tables) == 1:
        return compression_quality(ratio, table_of(scenarios[0], tables[0]))
    n = max(len(ratio), len(scenarios), len(tables))
    ratio = np.broadcast_to(ratio, (n,))
    scenarios = np.broadcast_to(scenarios, (n,))
    tables = np.broadcast_to(tables, (n,))
    out = np.ones(n)
    by_table = list(groups(tables))
    for scenario, in_scenario in groups(scenarios):
        for table, in_table in by_table:
            mask = in_scenario & in_table
            if mask.any():
                out[mask] = compression_quality(ratio[mask], table_of(scenario, table))
    return out
