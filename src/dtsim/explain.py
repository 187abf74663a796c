"""How a result came about: every intermediate quantity of one scenario with its equation, the
values of its symbols, its value, unit and source.

Nothing here is written twice: each step names the formula function (or the registry of
variants, whose chosen variant is the scenario's) that the core itself calls; the equation and
source come from that function's docstring or the variant's entry, and the value is the function
applied to the symbol values of this scenario, checked against what the engine computed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dtsim.engine import ScenarioLike, Trace, trace
from dtsim.outcome import blocking_outer_step_s, streaming_outer_step_s
from dtsim.physics import compute, efficiency, hardware, memory, network, scaling_law
from dtsim.physics.hardware import gpu_catalogue
from dtsim.physics.registry import Registry, describe_formula
from dtsim.strategies import hierarchical, moe_ep, pp_diloco
from dtsim.units import DAY_S, GB

__all__ = ["Step", "explain"]

Getter = Callable[[Trace], Any]


@dataclass(frozen=True)
class Step:
    """One quantity: its name, equation, the values of its symbols, its value, unit and source."""

    name: str
    formula: str
    value: Any
    unit: str
    source: str
    symbols: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "name": self.name,
            "formula": self.formula,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "symbols": dict(self.symbols),
        }


@dataclass(frozen=True)
class Quantity:
    """How to explain one quantity: the formula (a function, or a registry whose variant the
    scenario selects through ``code``), its arguments as getters on the trace, the unit, and when
    it applies."""

    name: str
    unit: str
    formula: Callable[..., Any] | Registry
    arguments: Mapping[str, Getter]
    code: Getter | None = None
    when: Callable[[Trace], bool] = lambda t: True
    scale: float = 1.0  # the function's unit → the displayed unit


def _first(values: Any) -> Any:
    array = np.asarray(values)
    value = array.reshape(-1)[0] if array.ndim else array[()]
    return value.item() if isinstance(value, np.generic) else value


def _is(*strategies: str) -> Callable[[Trace], bool]:
    return lambda t: t.strategy in strategies


def _given(path: str) -> Callable[[Trace], bool]:
    def check(t: Trace) -> bool:
        value = _first(t.normalized[path])
        return value is not None and not (isinstance(value, float) and np.isnan(value))

    return check


def _not(check: Callable[[Trace], bool]) -> Callable[[Trace], bool]:
    return lambda t: not check(t)


def _both(*checks: Callable[[Trace], bool]) -> Callable[[Trace], bool]:
    return lambda t: all(check(t) for check in checks)


def _gpu_attribute(attribute: str) -> Getter:
    def get(t: Trace) -> Any:
        spec = gpu_catalogue()[str(_first(t.normalized["hardware.gpu"]))]
        if attribute == "tflops":
            return spec.tflops(str(_first(t.normalized["hardware.precision"])))
        return getattr(spec, attribute)

    return get


_catalogue_node = _both(_given("hardware.gpu"), _not(_given("hardware.node_pflops")))
_tiered = _both(_is("hierarchical"), lambda t: not np.isnan(t.schedule.inner_steps_regional[0]))


def _loss_multiplier(t: Trace) -> bool:
    return bool(_first(t.normalized["efficiency.replica_penalty"]) == "loss-multiplier")


def _time_to_train(t: Trace) -> bool:
    return bool(t.inputs.time_to_train[0])


def _volume(t: Trace) -> Any:
    i = t.inputs
    return network.pseudo_gradient_volume_bits(i.params, i.pseudo_gradient_bits, i.pseudo_gradient_ratio)


def _pp_micro(t: Trace) -> Any:
    i = t.inputs
    full = compute.step_time_s(i.params, i.batch_tokens, i.node_flop_per_s, i.flop_per_param_token)
    return full / (t.schedule.pp_stages * i.micro_batches)


def _pp_activation(t: Trace) -> Any:
    i = t.inputs
    hidden = pp_diloco.hidden_size(i.params, i.hidden_coefficient, i.hidden_exponent)
    return pp_diloco.activation_bits(i.batch_tokens, hidden, i.activation_bytes, i.activation_ratio)


def _all_to_all(t: Trace) -> Any:
    return moe_ep.all_to_all_s(t.inputs.wan_latency_s, t.inputs.moe_layers, t.inputs.all_to_all_per_layer)


def _regional_sync_s(t: Trace) -> Any:
    """t_reg of the hierarchical regional tier (the collective over the regional link)."""
    i = t.inputs
    f = network.STRAGGLERS.evaluate(i.straggler, participants=i.nodes_per_group, per_doubling=i.straggler_per_doubling)
    return network.COLLECTIVES.evaluate(
        i.collective,
        volume_bits=_volume(t),
        upload_bit_per_s=i.regional_bandwidth_bit_per_s,
        download_bit_per_s=i.regional_bandwidth_bit_per_s,
        latency_s=i.regional_latency_s,
        participants=i.nodes_per_group,
        straggler=f,
    )


QUANTITIES: tuple[Quantity, ...] = (
    # The node
    Quantity(
        "node_pflops",
        "PFLOPS",
        hardware.node_peak_pflops,
        {"gpus_per_node": lambda t: t.inputs.gpus_per_node, "gpu_tflops": _gpu_attribute("tflops")},
        when=_catalogue_node,
    ),
    Quantity(
        "node_memory_gb",
        "GB",
        hardware.node_memory_gb,
        {"gpus_per_node": lambda t: t.inputs.gpus_per_node, "gpu_memory_gb": _gpu_attribute("memory_gb")},
        when=_both(_given("hardware.gpu"), _not(_given("hardware.node_memory_gb"))),
    ),
    Quantity(
        "h100_equivalents_per_node",
        "H100-eq",
        hardware.h100_equivalents,
        {
            "fp16_tflops": lambda t: t.inputs.gpus_per_node * _gpu_attribute("fp16_tflops")(t),
            "h100_equivalent_tflops": lambda t: t.normalized["reporting.h100_equivalent_tflops"],
        },
        when=_both(_given("hardware.gpu"), _not(_given("hardware.node_h100_equivalents"))),
    ),
    Quantity(
        "registered",
        "",
        hardware.is_registered,
        {
            "h100_equivalents_per_node": lambda t: t.inputs.h100_equivalents_per_node,
            "threshold_h100_eq": lambda t: t.inputs.registration_threshold_h100_eq,
        },
    ),
    Quantity(
        "effective_flop_per_s",
        "FLOP/s",
        hardware.effective_flop_per_s,
        {"node_peak_flop_per_s": lambda t: t.inputs.node_peak_flop_per_s, "mfu": lambda t: t.inputs.mfu},
    ),
    Quantity(
        "params",
        "parameters",
        memory.max_dense_params,
        {
            "node_memory_bytes": lambda t: t.inputs.node_memory_bytes,
            "bytes_per_param": lambda t: t.inputs.bytes_per_param,
        },
        when=_both(_not(_given("model.params")), _is("diloco", "hierarchical")),
    ),
    # Memory and structure
    Quantity(
        "memory_per_node_gb",
        "GB",
        memory.training_state_bytes,
        {"params": lambda t: t.inputs.params, "bytes_per_param": lambda t: t.inputs.bytes_per_param},
        when=_is("diloco", "hierarchical"),
        scale=1 / GB,
    ),
    Quantity(
        "memory_per_node_gb",
        "GB",
        memory.moe_memory_per_node_bytes,
        {
            "total_params": lambda t: t.inputs.params,
            "active_params": lambda t: t.inputs.active_params,
            "nodes": lambda t: t.inputs.nodes,
            "bytes_per_param": lambda t: t.inputs.bytes_per_param,
        },
        when=_is("moe-ep"),
        scale=1 / GB,
    ),
    Quantity(
        "pp_stages",
        "stages",
        memory.pipeline_stages,
        {
            "params": lambda t: t.inputs.params,
            "bytes_per_param": lambda t: t.inputs.bytes_per_param,
            "node_memory_bytes": lambda t: t.inputs.node_memory_bytes,
        },
        when=_is("pp-diloco"),
    ),
    Quantity(
        "hidden_size",
        "",
        pp_diloco.hidden_size,
        {
            "params": lambda t: t.inputs.params,
            "coefficient": lambda t: t.inputs.hidden_coefficient,
            "exponent": lambda t: t.inputs.hidden_exponent,
        },
        when=_is("pp-diloco"),
    ),
    Quantity(
        "activation_bits",
        "bit",
        pp_diloco.activation_bits,
        {
            "batch_tokens": lambda t: t.inputs.batch_tokens,
            "hidden": lambda t: pp_diloco.hidden_size(
                t.inputs.params, t.inputs.hidden_coefficient, t.inputs.hidden_exponent
            ),
            "bytes_per_value": lambda t: t.inputs.activation_bytes,
            "compression_ratio": lambda t: t.inputs.activation_ratio,
        },
        when=_is("pp-diloco"),
    ),
    Quantity(
        "bubble_fraction",
        "",
        pp_diloco.bubble_fraction,
        {"micro_batches": lambda t: t.inputs.micro_batches, "stages": lambda t: t.schedule.pp_stages},
        when=_is("pp-diloco"),
    ),
    # One inner step
    Quantity(
        "step_compute_s",
        "s",
        compute.step_time_s,
        {
            "params": lambda t: t.inputs.params,
            "batch_tokens": lambda t: t.inputs.batch_tokens,
            "flop_per_s": lambda t: t.inputs.node_flop_per_s,
            "flop_per_param_token": lambda t: t.inputs.flop_per_param_token,
        },
        when=_is("diloco", "hierarchical"),
    ),
    Quantity(
        "step_compute_s",
        "s",
        pp_diloco.gpipe_step_s,
        {
            "micro_batches": lambda t: t.inputs.micro_batches,
            "stages": lambda t: t.schedule.pp_stages,
            "micro_compute_s": _pp_micro,
            "micro_transfer_s": lambda t: (
                2.0 * _pp_activation(t) / t.inputs.micro_batches / t.inputs.regional_bandwidth_bit_per_s
            ),
            "latency_s": lambda t: t.inputs.regional_latency_s,
            "straggler": lambda t: network.STRAGGLERS.evaluate(
                t.inputs.straggler, participants=t.schedule.pp_stages, per_doubling=t.inputs.straggler_per_doubling
            ),
        },
        when=_is("pp-diloco"),
    ),
    Quantity(
        "expert_all_to_all_s",
        "s",
        moe_ep.all_to_all_s,
        {
            "latency_s": lambda t: t.inputs.wan_latency_s,
            "moe_layers": lambda t: t.inputs.moe_layers,
            "all_to_all_per_layer": lambda t: t.inputs.all_to_all_per_layer,
        },
        when=_is("moe-ep"),
    ),
    Quantity(
        "ep_overhead",
        "",
        moe_ep.ep_overhead,
        {"all_to_all_step_s": lambda t: _all_to_all(t), "step_s": lambda t: t.schedule.step_compute_s},
        when=_is("moe-ep"),
    ),
    Quantity(
        "expert_compute_s",
        "s",
        compute.step_time_s,
        {
            "params": lambda t: t.inputs.active_params,
            "batch_tokens": lambda t: t.inputs.batch_tokens,
            "flop_per_s": lambda t: t.inputs.node_flop_per_s,
            "flop_per_param_token": lambda t: t.inputs.flop_per_param_token,
        },
        when=_is("moe-ep"),
    ),
    # Synchronisation
    Quantity(
        "pseudo_gradient_volume",
        "bit",
        network.pseudo_gradient_volume_bits,
        {
            "params": lambda t: t.inputs.params,
            "bits_per_value": lambda t: t.inputs.pseudo_gradient_bits,
            "compression_ratio": lambda t: t.inputs.pseudo_gradient_ratio,
        },
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    Quantity(
        "regional_sync_s",
        "s",
        network.COLLECTIVES,
        {
            "volume_bits": _volume,
            "upload_bit_per_s": lambda t: t.inputs.regional_bandwidth_bit_per_s,
            "download_bit_per_s": lambda t: t.inputs.regional_bandwidth_bit_per_s,
            "latency_s": lambda t: t.inputs.regional_latency_s,
            "participants": lambda t: t.inputs.nodes_per_group,
            "straggler": lambda t: network.STRAGGLERS.evaluate(
                t.inputs.straggler, participants=t.inputs.nodes_per_group, per_doubling=t.inputs.straggler_per_doubling
            ),
        },
        code=lambda t: t.inputs.collective,
        when=_tiered,
    ),
    Quantity(
        "straggler_factor",
        "",
        network.STRAGGLERS,
        {
            "participants": lambda t: t.schedule.tail_participants,
            "per_doubling": lambda t: t.inputs.straggler_per_doubling,
        },
        code=lambda t: t.inputs.straggler,
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    Quantity(
        "sync_s",
        "s",
        network.COLLECTIVES,
        {
            "volume_bits": _volume,
            "upload_bit_per_s": lambda t: t.inputs.wan_upload_bit_per_s,
            "download_bit_per_s": lambda t: t.inputs.wan_download_bit_per_s,
            "latency_s": lambda t: t.inputs.wan_latency_s,
            "participants": lambda t: t.schedule.tail_participants,
            "straggler": lambda t: t.schedule.straggler_factor,
        },
        code=lambda t: t.inputs.collective,
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    # Inner steps
    Quantity(
        "inner_steps_regional",
        "steps",
        network.min_inner_steps,
        {"sync_s": _regional_sync_s, "step_s": lambda t: t.schedule.step_compute_s},
        when=_both(_tiered, _not(_given("training.inner_steps"))),
    ),
    Quantity(
        "regional_syncs_per_global",
        "cycles",
        network.min_inner_steps,
        {
            "sync_s": lambda t: t.schedule.sync_s,
            "step_s": lambda t: np.maximum(
                t.schedule.inner_steps_regional * t.schedule.step_compute_s, _regional_sync_s(t)
            ),
        },
        when=_tiered,
    ),
    Quantity(
        "inner_steps",
        "steps",
        hierarchical.effective_inner_steps,
        {
            "inner_steps_regional": lambda t: t.schedule.inner_steps_regional,
            "regional_syncs_per_global": lambda t: t.schedule.regional_syncs_per_global,
            "exponent": lambda t: t.inputs.hierarchical_h_exponent,
        },
        when=_tiered,
    ),
    Quantity(
        "inner_steps",
        "steps",
        network.min_inner_steps,
        {"sync_s": lambda t: t.schedule.sync_s, "step_s": lambda t: t.schedule.step_compute_s},
        when=_both(_not(_tiered), _not(_given("training.inner_steps")), lambda t: not bool(t.schedule.single[0])),
    ),
    # The outer step and the run
    Quantity(
        "outer_step_s",
        "s",
        streaming_outer_step_s,
        {"compute_block_s": lambda t: t.schedule.compute_block_s, "sync_block_s": lambda t: t.schedule.sync_block_s},
        when=lambda t: bool(t.inputs.streaming[0]),
    ),
    Quantity(
        "outer_step_s",
        "s",
        blocking_outer_step_s,
        {"compute_block_s": lambda t: t.schedule.compute_block_s, "sync_block_s": lambda t: t.schedule.sync_block_s},
        when=lambda t: not bool(t.inputs.streaming[0]),
    ),
    Quantity(
        "compute_utilization",
        "",
        compute.compute_utilization,
        {"compute_s": lambda t: t.schedule.compute_s, "outer_step_s": lambda t: t.outcome.outer_step_s},
    ),
    Quantity(
        "tokens",
        "tokens",
        compute.tokens_in_budget,
        {
            "budget_s": lambda t: t.inputs.budget_s,
            "outer_step_s": lambda t: t.outcome.outer_step_s,
            "tokens_per_outer_step": lambda t: t.schedule.tokens_per_outer_step,
        },
        when=_not(_time_to_train),
    ),
    Quantity(
        "wall_clock_days",
        "days",
        compute.time_to_train_s,
        {
            "tokens": lambda t: t.inputs.tokens_target,
            "tokens_per_outer_step": lambda t: t.schedule.tokens_per_outer_step,
            "outer_step_s": lambda t: t.outcome.outer_step_s,
        },
        when=_time_to_train,
        scale=1 / DAY_S,
    ),
    Quantity(
        "c_actual",
        "FLOP",
        compute.training_flop,
        {
            "params": lambda t: t.schedule.params_compute,
            "tokens": lambda t: t.outcome.tokens,
            "flop_per_param_token": lambda t: t.inputs.flop_per_param_token,
        },
    ),
    # Efficiency
    Quantity(
        "alpha",
        "",
        efficiency.sync_penalty_alpha,
        {
            "params": lambda t: t.schedule.params_sync,
            "base": lambda t: t.inputs.sync_penalty_base,
            "size_scale": lambda t: t.inputs.sync_penalty_size_scale,
        },
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    Quantity(
        "eta_h",
        "",
        efficiency.eta_sync_interval,
        {
            "inner_steps": lambda t: t.schedule.effective_inner_steps,
            "params": lambda t: t.schedule.params_sync,
            "base": lambda t: t.inputs.sync_penalty_base,
            "size_scale": lambda t: t.inputs.sync_penalty_size_scale,
            "floor": lambda t: t.inputs.sync_penalty_floor,
        },
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    Quantity(
        "eta_compression",
        "",
        efficiency.compression_quality,
        {
            "ratio": lambda t: t.inputs.pseudo_gradient_ratio,
            "table": lambda t: efficiency.pseudo_gradient_quality_table(
                _first(t.normalized["compression.quality"]), str(_first(t.normalized["compression.table"]))
            ),
        },
        when=lambda t: not bool(t.schedule.single[0]),
    ),
    Quantity(
        "replica_loss_exponent",
        "",
        efficiency.replica_loss_exponent,
        {
            "params": lambda t: t.schedule.params_sync,
            "inner_steps": lambda t: t.schedule.effective_inner_steps,
            "coefficient": lambda t: t.inputs.replica_loss_coefficient,
            "exponent": lambda t: t.inputs.replica_loss_exponent,
            "reference_h": lambda t: t.inputs.replica_loss_reference_h,
            "h_scaling": lambda t: t.inputs.replica_h_scaling,
        },
        when=_both(_loss_multiplier, lambda t: not bool(t.schedule.single[0])),
    ),
    Quantity(
        "replica_loss_multiplier",
        "",
        efficiency.replica_loss_multiplier,
        {
            "replicas": lambda t: t.schedule.replicas,
            "inner_steps": lambda t: t.schedule.effective_inner_steps,
            "beta": lambda t: t.outcome.replica_loss_exponent,
            "h_scaling": lambda t: t.inputs.replica_h_scaling,
        },
        when=_both(_loss_multiplier, lambda t: not bool(t.schedule.single[0])),
    ),
    Quantity(
        "chi_with_replica_loss",
        "",
        scaling_law.chinchilla_efficiency,
        {
            "params": lambda t: t.schedule.params_compute,
            "tokens": lambda t: t.outcome.tokens,
            "compute_flop": lambda t: t.outcome.c_actual,
            "loss_multiplier": lambda t: t.outcome.replica_loss_multiplier,
            "law": lambda t: t.inputs.scaling_law,
        },
        when=_loss_multiplier,
    ),
    Quantity(
        "eta_replicas",
        "",
        efficiency.REPLICA_PENALTIES,
        {
            "replicas": lambda t: np.where(t.schedule.single, 1.0, t.schedule.replicas),
            "params": lambda t: t.schedule.params_sync,
            "slope": lambda t: t.inputs.replica_slope,
            "cap_b": lambda t: t.inputs.replica_cap_b,
            "min_b": lambda t: t.inputs.replica_min_b,
            "floor": lambda t: t.inputs.replica_floor,
            "chi_full": lambda t: t.outcome.chi_full,
            "chi_overtraining": lambda t: t.outcome.chi_overtraining,
        },
        code=lambda t: t.inputs.replica_penalty,
        when=lambda t: not (bool(t.inputs.replica_fold_chi[0]) and _loss_multiplier(t)),
    ),
    Quantity(
        "eta_activation",
        "",
        efficiency.eta_activation,
        {"quality_per_boundary": lambda t: t.inputs.activation_quality, "stages": lambda t: t.schedule.pp_stages},
        when=_is("pp-diloco"),
    ),
    Quantity(
        "eta",
        "",
        efficiency.algorithmic_efficiency,
        {
            "eta_h": lambda t: t.outcome.eta_h,
            "eta_compression": lambda t: t.outcome.eta_compression,
            "eta_replicas": lambda t: t.outcome.eta_replicas,
            "eta_activation": lambda t: t.schedule.eta_activation,
            "eta_mitigation": lambda t: t.outcome.eta_mitigation,
        },
    ),
    Quantity(
        "c_local",
        "FLOP",
        efficiency.local_equivalent_flop,
        {"c_actual": lambda t: t.outcome.c_actual, "eta": lambda t: t.outcome.eta},
    ),
    Quantity(
        "loss",
        "nats",
        scaling_law.chinchilla_loss,
        {
            "params": lambda t: t.schedule.params_compute,
            "tokens": lambda t: t.outcome.tokens,
            "law": lambda t: t.inputs.scaling_law,
        },
    ),
    Quantity(
        "eta_chinchilla",
        "",
        scaling_law.chinchilla_efficiency,
        {
            "params": lambda t: t.schedule.params_compute,
            "tokens": lambda t: t.outcome.tokens,
            "compute_flop": lambda t: t.outcome.c_actual,
            "loss_multiplier": lambda t: np.where(
                t.inputs.replica_fold_chi & _loss_multiplier(t), t.outcome.replica_loss_multiplier, 1.0
            ),
            "law": lambda t: t.inputs.scaling_law,
        },
        when=lambda t: not (bool(t.schedule.single[0]) and not bool(t.inputs.single_node_chinchilla_computed[0])),
    ),
    Quantity(
        "c_quality",
        "FLOP",
        scaling_law.quality_adjusted_flop,
        {"c_local": lambda t: t.outcome.c_local, "chi": lambda t: t.outcome.eta_chinchilla},
    ),
    Quantity(
        "overtraining_ratio",
        "",
        scaling_law.overtraining_ratio,
        {
            "tokens": lambda t: t.outcome.tokens,
            "params": lambda t: t.schedule.params_compute,
            "tokens_per_param": lambda t: t.inputs.tokens_per_param,
        },
    ),
    Quantity(
        "strict_threshold_multiple",
        "×",
        compute.threshold_multiple,
        {"flop": lambda t: t.outcome.c_local, "threshold_flop": lambda t: t.inputs.strict_threshold_flop},
    ),
    Quantity(
        "cost_usd",
        "USD",
        hardware.run_cost_usd,
        {"nodes": lambda t: t.inputs.nodes, "node_cost": lambda t: t.inputs.node_cost_usd},
        when=lambda t: not np.isnan(t.inputs.node_cost_usd[0]),
    ),
)


def _show_argument(value: Any) -> Any:
    if isinstance(value, scaling_law.ScalingLaw):
        return {name: _first(getattr(value, name)) for name in ("E", "A", "alpha", "B", "beta", "tokens_per_param")}
    if isinstance(value, Mapping):
        return {float(k): float(v) for k, v in value.items()}
    return _first(value)


def _step(quantity: Quantity, t: Trace) -> Step:
    arguments = {name: getter(t) for name, getter in quantity.arguments.items()}
    if isinstance(quantity.formula, Registry):
        assert quantity.code is not None
        variant = quantity.formula[quantity.formula.names[int(_first(quantity.code(t)))]]
        function = variant.function
        equation, _ = describe_formula(function)
        source = variant.source
        equation = f"[{quantity.formula.key}: {variant.name}] {equation}"
    else:
        function = quantity.formula
        equation, source = describe_formula(function)
    parameters = inspect.signature(function).parameters
    used = {name: value for name, value in arguments.items() if name in parameters}
    value = _first(function(**used)) * quantity.scale if quantity.scale != 1.0 else _first(function(**used))
    return Step(
        quantity.name,
        equation,
        value,
        quantity.unit,
        source,
        {name: _show_argument(v) for name, v in used.items()},
    )


def _given_step(name: str, value: Any, unit: str, path: str) -> Step:
    return Step(name, f"given: {path}", value, unit, "scenario")


def explain(scenario: ScenarioLike) -> list[Step]:
    """The chain of quantities from inputs to ``c_quality`` for one scenario, each with its
    equation, symbol values, value, unit and source."""
    t = trace(scenario)
    r = t.result.to_dict()
    steps: list[Step] = []
    for path, name, unit in (
        ("hardware.node_pflops", "node_pflops", "PFLOPS"),
        ("hardware.node_memory_gb", "node_memory_gb", "GB"),
        ("hardware.node_h100_equivalents", "h100_equivalents_per_node", "H100-eq"),
        ("model.params", "params", "parameters"),
    ):
        if _given(path)(t):
            steps.append(_given_step(name, r[name], unit, path))
    for quantity in QUANTITIES:
        if quantity.when(t):
            steps.append(_step(quantity, t))
    if t.schedule.single[0]:
        steps.append(Step("inner_steps", "one node: no synchronisation, H = 1, η = 1", 1, "steps", "model.md §2.9"))
    steps.append(
        Step(
            "bottleneck",
            "communication when a synchronisation outlasts the compute block it overlaps",
            r["bottleneck"],
            "",
            "model.md §2.10",
        )
    )
    return steps
