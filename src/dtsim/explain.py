"""How a result came about: every intermediate quantity of one scenario with its formula,
value, unit and source, computed by the same core functions as the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dtsim.engine import simulate_many
from dtsim.inputs import compile_inputs, scenario_columns, stack_columns
from dtsim.physics.efficiency import sync_penalty_alpha
from dtsim.physics.network import pseudo_gradient_volume_bits
from dtsim.physics.scaling_law import chinchilla_loss, optimal_params
from dtsim.scenario import Scenario, parse_scenario
from dtsim.units import MBPS, MS

__all__ = ["Step", "explain"]


@dataclass(frozen=True)
class Step:
    """One quantity: name, formula, value, unit, source."""

    name: str
    formula: str
    value: Any
    unit: str
    source: str


def explain(scenario: Scenario | dict[str, Any]) -> list[Step]:
    """The chain of quantities from inputs to ``c_quality`` for one scenario."""
    scenario = parse_scenario(scenario)
    inp = compile_inputs(stack_columns([scenario_columns(scenario)]))
    (result,) = simulate_many([scenario])
    r = result.to_dict()
    volume = float(pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)[0])
    s = scenario.strategy
    steps = [
        Step("node_pflops", "gpus × TFLOPS at the training precision", r["node_pflops"], "PFLOPS", "model.md §1.1"),
        Step("F", "node peak × MFU", float(inp.node_flop_per_s[0]), "FLOP/s", "model.md §2.1"),
        Step("node_memory_gb", "gpus × memory per GPU", r["node_memory_gb"], "GB", "model.md §1.1"),
        Step(
            "h100_equivalents_per_node",
            "FP16 TFLOPS / 990",
            r["h100_equivalents_per_node"],
            "H100-eq",
            "model.md §1.3; seed 002 §1",
        ),
        Step("params", "given, or node memory / beta (largest that fits)", r["params"], "parameters", "model.md §1.4"),
        Step(
            "active_params", "MoE: shared parameters; dense: params", r["active_params"], "parameters", "model.md §2.7"
        ),
        Step("memory_per_node_gb", _memory_formula(s), r["memory_per_node_gb"], "GB", "model.md §2.10"),
        Step("step_compute_s", _step_formula(s), r["step_compute_s"], "s", "model.md §2.1, §2.6, §2.7"),
        Step("pseudo_gradient_volume", "V = P_sync · bits / C_r (one direction)", volume, "bit", "model.md §2.1"),
        Step(
            "wan",
            "bandwidth, RTT",
            f"{inp.wan_bandwidth_bit_per_s[0] / MBPS:g} Mbps, {inp.wan_latency_s[0] / MS:g} ms",
            "",
            "scenario",
        ),
        Step("straggler_factor", "f(n) = 1 + 0.05·log2(n)", r["straggler_factor"], "", "model.md §2.1"),
        Step("sync_s", "(2V/BW + RTT) · f", r["sync_s"], "s", "model.md §2.1; seed 002 §9.3"),
    ]
    if s == "hierarchical" and r["inner_steps_regional"] is not None:
        steps += [
            Step(
                "inner_steps_regional",
                "H_inner = ceil(t_reg / t_step)",
                r["inner_steps_regional"],
                "steps",
                "model.md §2.5",
            ),
            Step(
                "regional_syncs_per_global",
                "H_regional = ceil(t_glob / t_cycle)",
                r["regional_syncs_per_global"],
                "cycles",
                "model.md §2.5",
            ),
            Step("inner_steps", "H_eff = H_inner · sqrt(H_regional)", r["inner_steps"], "steps", "model.md §2.5"),
        ]
    else:
        steps.append(
            Step(
                "inner_steps",
                "H = ceil(t_sync / t_step), or as given",
                r["inner_steps"],
                "steps",
                "model.md §2.1; seed 002 §4.1",
            )
        )
    if s == "pp-diloco":
        steps += [
            Step("pp_stages", "S = ceil(P·beta / node memory)", r["pp_stages"], "", "model.md §2.6"),
            Step("groups", "G = floor(N / S)", r["groups"], "", "model.md §2.6"),
            Step("bubble_fraction", "(S − 1)/(M + S − 1)", r["bubble_fraction"], "", "seed 002 §5.4"),
        ]
    if s == "moe-ep":
        steps.append(
            Step(
                "ep_overhead",
                "t_ep / (t_c + t_ep), t_ep = 2·RTT·L_moe",
                r["ep_overhead"],
                "",
                "model.md §2.7; seed 002 §8.3",
            )
        )
    steps += [
        Step(
            "alpha",
            "0.08 / (1 + log10(P_B)/5)",
            float(sync_penalty_alpha(inp.params)[0]),
            "",
            "model.md §2.2; arXiv 2503.09799",
        ),
        Step("eta_h", "max(0.4, 1 − alpha·log10(H))", r["eta_h"], "", "model.md §2.2"),
        Step("eta_compression", "q_pg(C_r, quality scenario)", r["eta_compression"], "", "model.md §1.7"),
        Step(
            "eta_replicas",
            "max(0.85, 1 − 0.005·(min(2.4,P_B)/max(P_B,0.1))·log2(R))",
            r["eta_replicas"],
            "",
            "model.md §2.2",
        ),
        Step("eta_activation", "q_act^(2(S−1))", r["eta_activation"], "", "model.md §2.2"),
        Step("eta", "eta_h · eta_compression · eta_replicas · eta_activation", r["eta"], "", "seed 002 §4.2"),
        Step(
            "wall_clock_days",
            "budget, or tokens / tokens per outer step × outer step",
            r["wall_clock_days"],
            "days",
            "model.md §2.4, §2.8",
        ),
        Step("c_actual", "N · F · T (budget) or 6 · P_c · D (time to train)", r["c_actual"], "FLOP", "model.md §2.4"),
        Step("tokens", "c_actual / (6 · P_c)", r["tokens"], "tokens", "model.md §2.4"),
        Step("c_local", "c_actual · eta", r["c_local"], "FLOP", "seed 002 §4.2"),
        Step(
            "loss",
            "L(P_c, D) = 1.8172 + 482.01/N^0.3478 + 2085.43/D^0.3658",
            float(chinchilla_loss(r["active_params"], r["tokens"])),
            "nats",
            "arXiv 2404.10102",
        ),
        Step(
            "chinchilla_optimal_params",
            "sqrt(c_actual / 153.6)",
            float(optimal_params(r["c_actual"])),
            "parameters",
            "model.md §2.3",
        ),
        Step("overtraining_ratio", "tokens / (25.6 · P_c)", r["overtraining_ratio"], "", "seed 002 §5.1"),
        Step("eta_chinchilla", "min(1, C'/c_actual), L_opt(C') = L(P_c, D)", r["eta_chinchilla"], "", "model.md §2.3"),
        Step("c_quality", "c_local · eta_chinchilla", r["c_quality"], "FLOP", "seed 002 §5.4"),
        Step("strict_threshold_multiple", "c_local / 1e24", r["strict_threshold_multiple"], "×", "seed 002 §1"),
        Step("cost_usd", "N · node cost", r["cost_usd"], "USD", "model.md §1.1"),
        Step(
            "bottleneck", "communication if the sync outlasts its compute block", r["bottleneck"], "", "model.md §2.10"
        ),
    ]
    return steps


def _memory_formula(strategy: str) -> str:
    return {"pp-diloco": "P · beta / S", "moe-ep": "(P_active + (P_total − P_active)/N) · beta"}.get(
        strategy, "P · beta"
    )


def _step_formula(strategy: str) -> str:
    return {"pp-diloco": "(M + S − 1)·(t_mc + (t_mx + RTT_p)·f(S))", "moe-ep": "6·P_active·B/F + 2·RTT·L_moe"}.get(
        strategy, "6·P·B/F"
    )
