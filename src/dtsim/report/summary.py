"""The summary of findings at the top of the report: each finding is computed by the library
(``simulate``, the analyses, the uncertainty run and the reliability layer) with the report's
overrides, and every number it states is returned as a ``Stated`` value for the tests.

Findings: the fewest sub-threshold nodes (and their cost) that pass 10^24 FLOP; the 72-node
reference case under the seed and the revised model; the minimum cost of 10^25 quality-adjusted
FLOP under both models; the uncertainty band of the reference case; what failures cost at
200,000 GPUs. A finding that cannot be computed says so and names why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dtsim.engine import simulate
from dtsim.errors import DtsimError
from dtsim.report.content import Failure, ReportContext, SectionContent, Stated, error_message, stated_numbers
from dtsim.report.render import text_md
from dtsim.report.tables import UnavailableAnalysis, merge_scenario
from dtsim.report.templates import resolved_fields

__all__ = ["MODELS", "minimum_cost_scenario", "reference_scenario", "summary_section", "threshold_scenario"]

#: The two models compared throughout the report.
MODELS = ("seed", "revised")
#: The seeds' reference case: 72 nodes (model.md §2.4).
REFERENCE_NODES = 72


def threshold_scenario(overrides: dict[str, Any], physics: str) -> dict[str, Any]:
    """Flat DiLoCo on the model's reference node (the base of ``nodes_for_target``)."""
    scenario = merge_scenario(overrides, {"strategy": "diloco", "physics": physics})
    scenario.pop("nodes", None)
    return scenario


def reference_scenario(overrides: dict[str, Any], physics: str) -> dict[str, Any]:
    """The 72-node reference case under one model (its own reference node and defaults)."""
    return merge_scenario(overrides, {"strategy": "diloco", "nodes": REFERENCE_NODES, "physics": physics})


def minimum_cost_scenario(overrides: dict[str, Any], physics: str) -> dict[str, Any]:
    """The base of ``cheapest_config`` under one model, exactly as the minimum-cost table builds
    it (so that the table, its figure and this summary share one analysis answer)."""
    return merge_scenario({"strategy": "diloco"}, overrides, {"physics": physics})


def _fewest_nodes(ctx: ReportContext) -> tuple[str, dict[str, Stated]]:
    numbers: dict[str, Stated] = {}
    parts = []
    for physics in MODELS:
        scenario = threshold_scenario(ctx.overrides, physics)
        answer = ctx.cache.get("nodes_for_target", {"target": 1e24}, scenario)
        if answer["nodes"] is None:
            parts.append(f"no node count up to 100,000 reaches it ({physics} model)")
            continue
        result = simulate(merge_scenario(scenario, {"nodes": answer["nodes"]})).to_dict()
        gpus_per_node = result["gpus"] // result["nodes"]
        stated = {
            "nodes": Stated(answer["nodes"], "int"),
            "gpus_per_node": Stated(gpus_per_node, "int"),
            "h100_equivalents_per_node": Stated(result["h100_equivalents_per_node"], "f1"),
            "cost_usd": Stated(answer["cost_usd"], "usd"),
        }
        numbers.update(stated_numbers(physics, stated))
        gpu = resolved_fields(scenario)["hardware.gpu"]
        status = "above" if result["registered"] else "under"
        parts.append(
            f"{stated['nodes'].text} nodes of {stated['gpus_per_node'].text} × {gpu} "
            f"({stated['h100_equivalents_per_node'].text} H100-eq each, {status} the registration threshold) "
            f"for {stated['cost_usd'].text} of hardware ({physics} model)"
        )
    days = resolved_fields(threshold_scenario(ctx.overrides, "seed"))["training.days"]
    budget = f"in {days / 365.25:g} years" if days else ""
    return (
        f"**Fewest sub-threshold nodes to pass 10^24 FLOP (C_local, flat DiLoCo {budget}):** " + "; ".join(parts) + ".",
        numbers,
    )


def _reference_case(ctx: ReportContext) -> tuple[str, dict[str, Stated]]:
    results = {physics: simulate(reference_scenario(ctx.overrides, physics)).to_dict() for physics in MODELS}
    numbers: dict[str, Stated] = {}
    parts = []
    for physics, result in results.items():
        stated = {
            "gpus_per_node": Stated(result["gpus"] // result["nodes"], "int"),
            "params": Stated(result["params"], "params"),
            "c_local": Stated(result["c_local"], "sci"),
            "c_quality": Stated(result["c_quality"], "sci"),
        }
        numbers.update(stated_numbers(physics, stated))
        parts.append(
            f"C_local {stated['c_local'].text} and C_quality {stated['c_quality'].text} under the {physics} model "
            f"({stated['gpus_per_node'].text} × A100 per node, {stated['params'].text} model)"
        )
    ratio = Stated(results["revised"]["c_quality"] / results["seed"]["c_quality"], "pct")
    numbers["revised_over_seed.c_quality"] = ratio
    return (
        f"**The seeds' {REFERENCE_NODES}-node reference case** (flat Streaming DiLoCo, largest model per node): "
        + "; ".join(parts)
        + f". The revised model's C_quality is {ratio.text} of the seed model's.",
        numbers,
    )


def _minimum_cost(ctx: ReportContext) -> tuple[str, dict[str, Stated]]:
    numbers: dict[str, Stated] = {}
    parts = []
    for physics in MODELS:
        answer = ctx.cache.get("cheapest_config", {"target": 1e25}, minimum_cost_scenario(ctx.overrides, physics))
        winner = answer["winner"]
        if winner is None:
            parts.append(f"not reached on any node count searched ({physics} model)")
            continue
        stated = {
            "cost_usd": Stated(winner["cost_usd"], "usd"),
            "strategy": Stated(winner["strategy"], "mode"),
            "params": Stated(winner["params"], "params"),
            "nodes": Stated(winner["nodes"], "int"),
        }
        numbers.update(stated_numbers(physics, stated))
        parts.append(
            f"{stated['cost_usd'].text} under the {physics} model ({stated['strategy'].text}, "
            f"{stated['params'].text}, {stated['nodes'].text} nodes)"
        )
    return (
        "**Minimum cost of 10^25 quality-adjusted FLOP** (C_quality; strategy, model size and H searched on "
        "the sub-threshold reference node): " + "; ".join(parts) + ".",
        numbers,
    )


def _uncertainty(ctx: ReportContext) -> tuple[str, dict[str, Stated]]:
    from dtsim.report.uncertainty import headline, probability

    section = headline(ctx)
    numbers: dict[str, Stated] = {}
    parts = []
    for block in section.result.blocks:
        physics = str(block.choice.get("physics", "seed"))
        stats = block.outputs["c_quality"]
        stated = {
            "c_quality.p5": Stated(10**stats.p5 if stats.p5 is not None else None, "sci"),
            "c_quality.p95": Stated(10**stats.p95 if stats.p95 is not None else None, "sci"),
            "c_quality.exceed_1e25": Stated(probability(stats, 1e25), "pct"),
        }
        numbers.update(stated_numbers(physics, stated))
        parts.append(
            f"between {stated['c_quality.p5'].text} and {stated['c_quality.p95'].text} (P5-P95) with a "
            f"{stated['c_quality.exceed_1e25'].text} chance of reaching 10^25 under the {physics} model"
        )
    samples = Stated(section.result.samples, "int")
    numbers["samples"] = samples
    return (
        f"**How uncertain:** over {samples.text} samples of the default uncertainty set, the "
        f"{REFERENCE_NODES}-node case's C_quality lies " + "; ".join(parts) + " ([details](#uncertainty)).",
        numbers,
    )


def _failures(ctx: ReportContext) -> tuple[str, dict[str, Stated]]:
    from dtsim.physics.reliability import flat_settings
    from dtsim.report.reliability import plain_rate, report_goodput_rows, settings_from

    rows = {(r["mitigation"], r["gpus"]): r for r in report_goodput_rows(ctx.overrides)}
    gpus = 200_000
    named = {
        "synchronous": "synchronous training with checkpoints",
        "checkpoint_elastic": "elastic checkpoints",
        "relay": "a relay that does not wait for failed nodes",
        "async": "asynchronous learners",
    }
    numbers = {f"{m}.goodput": Stated(rows[m, gpus]["goodput"], "pct1") for m in named}
    rate = flat_settings(settings_from(ctx.overrides))["failure_rate_per_gpu_hour"]
    text = "; ".join(f"{numbers[f'{m}.goodput'].text} with {label}" for m, label in named.items())
    return (
        f"**Failures at scale:** at {gpus:,} GPUs and {plain_rate(rate)} failures per GPU-hour, goodput (the share of "
        f"GPU-hours doing useful work) is {text} ([details](#failures)).",
        numbers,
    )


_FINDINGS: tuple[tuple[str, str, Callable[[ReportContext], tuple[str, dict[str, Stated]]]], ...] = (
    ("fewest_nodes_1e24", "Fewest sub-threshold nodes to pass 10^24 FLOP", _fewest_nodes),
    ("reference_72", "The 72-node reference case under both models", _reference_case),
    ("minimum_cost_1e25", "Minimum cost of 10^25 quality-adjusted FLOP", _minimum_cost),
    ("uncertainty", "How uncertain the reference case is", _uncertainty),
    ("failures", "Goodput at 200,000 GPUs", _failures),
)


def summary_section(ctx: ReportContext) -> SectionContent:
    """The findings as a list, every number computed; a finding that fails says why."""
    lines: list[str] = []
    numbers: dict[str, Stated] = {}
    failures: list[Failure] = []
    for name, title, finding in _FINDINGS:
        try:
            text, stated = finding(ctx)
        except UnavailableAnalysis as exc:
            failure = Failure("finding", name, title, f"`{exc.name}`", unavailable=True)
            failures.append(failure)
            lines.append(f"- **{text_md(title)}:** not yet available (needs the analysis `{exc.name}`).")
            continue
        except DtsimError as exc:
            failure = Failure("finding", name, title, error_message(exc))
            failures.append(failure)
            lines.append(f"- **{text_md(title)}:** not computed: {text_md(error_message(exc))}")
            continue
        lines.append(f"- {text_md(text)}")
        numbers.update(stated_numbers(name, stated))
    if ctx.overrides:
        lines += ["", "These findings use the changed assumptions listed above."]
    return SectionContent("\n".join(lines) + "\n", numbers=numbers, failures=tuple(failures))
