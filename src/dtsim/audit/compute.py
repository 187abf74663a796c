"""The audit: what a declared plan's FLOP, GPU-hours, wall time, memory and cost are from first
principles, next to what the plan claims, with a verdict for each claim.

FLOP: 6·N·D for trained parameters (Kaplan et al. 2020), 2·N·D forward-only through frozen
parameters *below* the trained ones (the backward pass stops there), 4·N·D through frozen
parameters *above* them (forward plus input gradients, no weight gradients). GPU-hours at an
assumed MFU on the phase's GPU; memory per GPU assumes data parallelism (every GPU holds the
model) and the activation estimate of ``memory.activation_bytes``.
"""

from __future__ import annotations

import math
from typing import Any

from dtsim.audit.plan import Claims, Phase, Plan
from dtsim.audit.tensors import DTYPE_BYTES, component_params, padded_bytes, tensor_rows
from dtsim.numbers import number, refuse_non_finite
from dtsim.physics.compute import forward_flop, training_flop
from dtsim.physics.hardware import gpu_catalogue, h100_equivalents
from dtsim.physics.memory import activation_bytes
from dtsim.units import CCC_THRESHOLD_H100_EQ, DAY_S, GB, HOUR_S, STRICT_THRESHOLD_FLOP, TFLOPS

__all__ = ["DEFAULT_THRESHOLDS", "audit_plan", "verdict"]

#: Named training-compute thresholds, FLOP.
DEFAULT_THRESHOLDS = {
    "Strict Threshold (treaty proposal, arXiv 2511.10783)": STRICT_THRESHOLD_FLOP,
    "EU AI Act systemic-risk presumption": 1e25,
    "US Executive Order 14110 reporting (2023)": 1e26,
}
#: A printed total "adds up" when within 1 % of the sum of its printed parts (they are rounded).
SUM_TOLERANCE = 0.01

#: Bytes per parameter held on each GPU, by (precision, optimizer): weights, gradients and
#: optimizer state (mixed precision keeps an FP32 master copy; AdamW two FP32 moments).
_WEIGHT_BYTES = {"bf16": 2.0 + 4.0, "fp16": 2.0 + 4.0, "fp32": 4.0}
_GRADIENT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp32": 4.0}
_OPTIMIZER_BYTES = {"adamw": 8.0, "sgd": 4.0, "none": 0.0}
_FROZEN_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp32": 4.0}
#: Output logits are kept in FP32 for the loss.
_LOGIT_BYTES = 4.0


def verdict(claimed: float | None, computed: float | None, factor: float) -> dict[str, Any] | None:
    """A claim next to the computed value: ratio claimed/computed and ``consistent`` (within
    ``factor`` either way), ``overstated`` or ``understated``. The ratio is ``None`` where it is
    not a finite number (a positive claim of something computed as 0: overstated)."""
    if claimed is None or computed is None:
        return None
    if computed == 0:
        return {
            "claimed": claimed,
            "computed": computed,
            "ratio": None,
            "verdict": "consistent" if claimed == 0 else "overstated",
        }
    ratio = claimed / computed
    word = "consistent" if 1 / factor <= ratio <= factor else "overstated" if ratio > factor else "understated"
    return {"claimed": claimed, "computed": computed, "ratio": ratio if math.isfinite(ratio) else None, "verdict": word}


def _checks(claims: Claims, computed: dict[str, float | None], factor: float) -> dict[str, Any]:
    out = {}
    for key, value in computed.items():
        check = verdict(getattr(claims, key, None), value, factor)
        if check is not None:
            out[key] = check
    return out


def _params(plan: Plan, names: list[str]) -> float:
    return sum(component_params(plan.components[n]) for n in names)


def _layers(plan: Plan, names: list[str]) -> int:
    return sum(plan.components[n].layers * plan.components[n].repeat for n in names)


def _phase(plan: Plan, phase: Phase, mfu: float, factor: float, price: float | None) -> dict[str, Any]:
    gpu = gpu_catalogue()[phase.gpu]
    trained = _params(plan, phase.trained)
    below = _params(plan, phase.frozen_below)
    above = _params(plan, phase.frozen_above)
    flop = float(
        training_flop(trained, phase.tokens) + forward_flop(below, phase.tokens) + 2 * forward_flop(above, phase.tokens)
    )
    # FP32 training runs on TF32 tensor cores at half the dense FP16 rate (A100, H100).
    peak = gpu.fp16_tflops * TFLOPS * (0.5 if phase.precision == "fp32" else 1.0)
    phase_mfu = phase.mfu if phase.mfu is not None else mfu
    gpu_hours = flop / (peak * phase_mfu) / HOUR_S
    wall_hours = gpu_hours / phase.gpus
    implied_mfu = flop / (phase.claims.gpu_hours * HOUR_S * peak) if phase.claims.gpu_hours else None
    if implied_mfu is not None and not math.isfinite(implied_mfu):
        implied_mfu = None

    micro = phase.micro_batch_sequences or (
        max(1, phase.global_batch_sequences // phase.gpus) if phase.global_batch_sequences else None
    )
    tokens_per_gpu = micro * phase.sequence_length if micro and phase.sequence_length else None
    weights = trained * _WEIGHT_BYTES[phase.precision] + (below + above) * _FROZEN_BYTES[phase.precision]
    gradients = trained * _GRADIENT_BYTES[phase.precision]
    optimizer = trained * _OPTIMIZER_BYTES[phase.optimizer]
    activations = None
    if tokens_per_gpu is not None and plan.hidden is not None and trained > 0:
        activations = float(activation_bytes(tokens_per_gpu, plan.hidden, _layers(plan, phase.trained)))
        if plan.vocab is not None:
            activations += tokens_per_gpu * plan.vocab * _LOGIT_BYTES
    elif trained == 0:
        activations = 0.0
    total = weights + gradients + optimizer + (activations or 0.0)
    cost = gpu_hours * price if price is not None else None
    return {
        "name": phase.name,
        "gpu": phase.gpu,
        "gpus": phase.gpus,
        "tokens": phase.tokens,
        "trained_params": trained,
        "frozen_below_params": below,
        "frozen_above_params": above,
        "flop": flop,
        "mfu": phase_mfu,
        "gpu_hours": gpu_hours,
        "wall_clock_hours": wall_hours,
        "implied_mfu": implied_mfu,
        "cost_usd": cost,
        "memory_per_gpu": {
            "weights_gb": weights / GB,
            "gradients_gb": gradients / GB,
            "optimizer_gb": optimizer / GB,
            "activations_gb": None if activations is None else activations / GB,
            "total_gb": total / GB,
            "gpu_memory_gb": gpu.memory_gb,
            "fits": total / GB <= gpu.memory_gb,
            "micro_batch_sequences": micro,
        },
        "h100_equivalents": float(h100_equivalents(phase.gpus * gpu.fp16_tflops)),
        "checks": _checks(
            phase.claims,
            {
                "flop": flop,
                "gpu_hours": gpu_hours,
                "wall_clock_hours": wall_hours,
                "cost_usd": cost,
                "memory_per_gpu_gb": total / GB,
                "activation_memory_gb": None if activations is None else activations / GB,
                "params": trained + below + above,
            },
            factor,
        ),
    }


def audit_plan(
    plan: Plan, *, mfu: float = 0.4, factor: float = 2.0, price_usd_per_gpu_hour: float | None = None
) -> dict[str, Any]:
    """Audit a plan: per phase, per group and in total, computed values next to claims. Every
    number of the result is finite (checked)."""
    mfu = number("--mfu", mfu, low=1e-4, high=1)
    factor = number("--factor", factor, low=1, low_open=True, high=1e6)
    if price_usd_per_gpu_hour is not None:
        price_usd_per_gpu_hour = number("--price", price_usd_per_gpu_hour, low=0, high=1e9)
    price = price_usd_per_gpu_hour if price_usd_per_gpu_hour is not None else plan.price_usd_per_gpu_hour
    phases = [_phase(plan, p, mfu, factor, price) for p in plan.phases]
    by_name = {p["name"]: p for p in phases}

    grouped: set[str] = set()
    groups = []
    for group in plan.groups:
        members = [by_name[n] for n in group.phases]
        grouped.update(group.phases)
        gpu_hours = sum(m["gpu_hours"] for m in members)
        wall = (max if group.parallel else sum)(m["wall_clock_hours"] for m in members)
        gpus = (sum if group.parallel else max)(m["gpus"] for m in members)
        h100 = (sum if group.parallel else max)(m["h100_equivalents"] for m in members)
        cost = gpu_hours * price if price is not None else None
        groups.append(
            {
                "name": group.name,
                "phases": group.phases,
                "parallel": group.parallel,
                "flop": sum(m["flop"] for m in members),
                "gpu_hours": gpu_hours,
                "wall_clock_hours": wall,
                "gpus": gpus,
                "h100_equivalents": h100,
                "cost_usd": cost,
                "checks": _checks(
                    group.claims,
                    {"gpu_hours": gpu_hours, "wall_clock_hours": wall, "cost_usd": cost, "gpus": gpus},
                    factor,
                ),
            }
        )
    # The plan runs its groups and ungrouped phases one after another.
    stages = groups + [p for p in phases if p["name"] not in grouped]
    total_flop = sum(p["flop"] for p in phases)
    total_hours = sum(p["gpu_hours"] for p in phases)
    wall_hours = sum(s["wall_clock_hours"] for s in stages)
    peak_gpus = max(s["gpus"] for s in stages)
    peak_h100 = max(s["h100_equivalents"] for s in stages)
    cost = total_hours * price if price is not None else None

    components: list[dict[str, Any]] = []
    tensors: list[dict[str, Any]] = []
    for name, component in plan.components.items():
        params = component_params(component)
        rows = tensor_rows(name, component.tensors, plan.alignment_bytes)
        tensors += [vars(r) | {"repeat": component.repeat} for r in rows]
        stored = sum(r.bytes for r in rows) * component.repeat if rows else params * DTYPE_BYTES[component.dtype]
        padded = (
            sum(r.padded_bytes for r in rows) * component.repeat if rows else padded_bytes(stored, plan.alignment_bytes)
        )
        components.append(
            {
                "name": name,
                "params": params,
                "bytes": stored,
                "padded_bytes": padded,
                "bytes_fp32": params * DTYPE_BYTES["fp32"],
                "bytes_int8": params * DTYPE_BYTES["int8"],
                "layers": component.layers * component.repeat,
                "checks": _checks(
                    component.claims,
                    {
                        "params": params,
                        "bytes": stored,
                        "bytes_fp32": params * DTYPE_BYTES["fp32"],
                        "bytes_int8": params * DTYPE_BYTES["int8"],
                        "padded_bytes": padded,
                    },
                    factor,
                ),
            }
        )
    total_params = sum(c["params"] for c in components)
    arithmetic = []
    for item in plan.sums:
        added = sum(item.parts)
        arithmetic.append(
            {
                "name": item.name,
                "parts": list(item.parts),
                "sum_of_parts": added,
                "printed_total": item.total,
                "unit": item.unit,
                "adds_up": abs(added - item.total) <= SUM_TOLERANCE * abs(item.total),
            }
        )
    thresholds = plan.thresholds_flop or DEFAULT_THRESHOLDS
    result = {
        "plan": plan.name,
        "assumptions": {
            "mfu": mfu,
            "factor": factor,
            "price_usd_per_gpu_hour": price,
            "flop": "6·N·D trained; 2·N·D frozen below the trained parts (forward only); "
            "4·N·D frozen above them (forward + input gradients)",
            "memory": "data parallel: every GPU holds the model; mixed precision keeps FP32 master weights; "
            "AdamW two FP32 moments; activations 34·tokens·h·layers bytes (arXiv 2205.05198, "
            "FlashAttention) plus FP32 logits",
        },
        "components": components,
        "tensors": tensors,
        "arithmetic": arithmetic,
        "phases": phases,
        "groups": groups,
        "total": {
            "params": total_params,
            "bytes_fp32": total_params * 4,
            "bytes_int8": total_params,
            "padded_bytes": sum(c["padded_bytes"] for c in components),
            "flop": total_flop,
            "gpu_hours": total_hours,
            "wall_clock_hours": wall_hours,
            "wall_clock_days": wall_hours * HOUR_S / DAY_S,
            "cost_usd": cost,
            "peak_gpus": peak_gpus,
            "peak_h100_equivalents": peak_h100,
            "registration_threshold_h100_eq": CCC_THRESHOLD_H100_EQ,
            "registered_cluster": peak_h100 > CCC_THRESHOLD_H100_EQ,
            "thresholds": {
                name: {"flop": value, "exceeded": total_flop > value, "fraction": total_flop / value}
                for name, value in thresholds.items()
            },
            "checks": _checks(
                plan.claims,
                {
                    "params": total_params,
                    "bytes": total_params * 4,
                    "bytes_int8": total_params,
                    "flop": total_flop,
                    "gpu_hours": total_hours,
                    "wall_clock_hours": wall_hours,
                    "wall_clock_days": wall_hours * HOUR_S / DAY_S,
                    "cost_usd": cost,
                    "gpus": peak_gpus,
                },
                factor,
            ),
        },
    }
    refuse_non_finite(result, cause="the plan and the --mfu, --factor and --price options")
    return result
