"""Every worked value of variants.md, as printed there, through ``dtsim.simulate`` / ``dtsim.analyze``.

Each case is (scenario, key, expected). ``expected`` is either the spec's printed text, checked
with the tolerance its digits carry (``printed_tolerance``), or a number the spec states exactly
(an integer, a table entry), checked to 1e-12. Where a spec number disagrees with its own
formulas, docs/errata.md (section "Variants") says so and the case asserts the formula value.

Keys are result keys, or intermediates taken from ``dtsim.engine.trace`` (``DERIVED``).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import dtsim
from dtsim.engine import Trace, trace
from dtsim.physics.network import pseudo_gradient_volume_bits
from dtsim.physics.scaling_law import chinchilla_loss
from dtsim.scenario import set_path
from dtsim.strategies._common import regional_sync
from dtsim.strategies.pp_diloco import hidden_size

A48 = {"gpu": "A100-80GB", "gpus_per_node": 48, "precision": "fp16"}
A50 = {"gpu": "A100-80GB", "gpus_per_node": 50}
H100x16 = {"gpu": "H100-SXM", "gpus_per_node": 16, "precision": "fp16"}
H100x16fp8 = {"gpu": "H100-SXM", "gpus_per_node": 16, "precision": "fp8"}
GH200x16 = {"gpu": "GH200", "gpus_per_node": 16, "precision": "fp16"}

# ── The tolerance rule ─────────────────────────────────────────────────────────────────────────

_SUFFIX = {"T": 1e12, "B": 1e9, "M": 1e6, "k": 1e3}
_NUMBER = re.compile(r"^\$?(?P<mantissa>-?[0-9][0-9,]*(\.[0-9]+)?)(e(?P<exp>[+-]?[0-9]+))?(?P<suffix>[TBMk])?$")


def printed_tolerance(printed: str) -> tuple[float, float]:
    """(value, absolute tolerance) of a number as the spec prints it ("1.7508e25", "6,280.91",
    "14.1782T", "$25.2M"). Six or more significant digits: relative 1e-6, but never tighter
    than the rounding of the print itself; fewer: half a unit in the last printed digit."""
    match = _NUMBER.match(printed.strip())
    if match is None:
        raise ValueError(f"not a printed number: {printed!r}")
    mantissa = match["mantissa"].replace(",", "")
    scale = 10.0 ** int(match["exp"] or 0) * _SUFFIX.get(match["suffix"] or "", 1.0)
    value = float(mantissa) * scale
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    half_unit = 0.5 * 10.0**-decimals * scale
    significant = len(mantissa.lstrip("-").replace(".", "").lstrip("0"))
    tolerance = max(half_unit, 1e-6 * abs(value)) if significant >= 6 else half_unit
    return value, tolerance


def assert_printed(actual: Any, expected: str | float | bool | None, what: str = "") -> None:
    """``actual`` equals the spec's value: a printed text within its tolerance, a number exactly
    (relative 1e-12), or a bool / None as is."""
    if expected is None or isinstance(expected, bool):
        assert actual is expected, f"{what}: expected {expected}, got {actual}"
        return
    if isinstance(expected, str) and not _NUMBER.match(expected.strip()):
        assert actual == expected, f"{what}: expected {expected}, got {actual}"
        return
    assert isinstance(actual, int | float) and not isinstance(actual, bool), f"{what}: {actual!r} is not a number"
    if isinstance(expected, str):
        value, tolerance = printed_tolerance(expected)
        tolerance += 1e-12 * abs(value)  # the float arithmetic of the comparison itself
    else:
        value, tolerance = float(expected), 1e-12 * abs(float(expected))
    error = abs(actual - value)
    assert error <= tolerance, (
        f"{what}: expected {expected} (±{tolerance:.3g}), got {actual!r} "
        f"(relative error {error / abs(value) if value else error:.3g})"
    )


def test_the_tolerance_rule() -> None:
    assert printed_tolerance("0.857516") == (pytest.approx(0.857516), pytest.approx(8.57516e-7))  # relative 1e-6
    # the rounding of the print itself is wider than 1e-6 here
    assert printed_tolerance("1.54701e25") == (pytest.approx(1.54701e25), pytest.approx(5e19))
    assert printed_tolerance("1.000008e25") == (pytest.approx(1.000008e25), pytest.approx(1.000008e19))  # relative 1e-6
    assert printed_tolerance("1.7508e25") == (pytest.approx(1.7508e25), pytest.approx(5e20))
    assert printed_tolerance("6,280.91") == (pytest.approx(6280.91), pytest.approx(0.00628091))
    assert printed_tolerance("6,280.9") == (pytest.approx(6280.9), pytest.approx(0.05))
    assert printed_tolerance("14.1782T") == (pytest.approx(14.1782e12), pytest.approx(5e7))
    assert printed_tolerance("$25.2M") == (pytest.approx(25.2e6), pytest.approx(5e4))
    assert printed_tolerance("0.0377187") == (pytest.approx(0.0377187), pytest.approx(5e-8))
    with pytest.raises(AssertionError):
        assert_printed(0.8575175, "0.857516")
    with pytest.raises(AssertionError):
        assert_printed(200.0000001, 200)


# ── Scenarios and keys ─────────────────────────────────────────────────────────────────────────


def scenario(nodes: int, hardware: dict[str, Any] | None = A48, **fields: Any) -> dict[str, Any]:
    """A scenario; ``fields`` are dotted paths written with ``__`` (efficiency__replica_penalty)."""
    out: dict[str, Any] = {"nodes": nodes}
    if hardware is not None:
        out["hardware"] = copy.deepcopy(hardware)
    for path, value in fields.items():
        set_path(out, path.replace("__", "."), value)
    return out


def with_fields(s: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A copy of ``s`` with dotted fields (written with ``__``) set."""
    out = copy.deepcopy(s)
    for path, value in fields.items():
        set_path(out, path.replace("__", "."), value)
    return out


def reference(**fields: Any) -> dict[str, Any]:
    """variants.md §0's reference case: 72 × (48 × A100, fp16), 240B, seed physics."""
    return scenario(72, A48, **fields)


def revised(nodes: int, **fields: Any) -> dict[str, Any]:
    """The revised defaults (§12): ``physics: revised`` on its reference node (50 × A100, 250B)."""
    return scenario(nodes, None, physics="revised", **fields)


@functools.cache
def _traced(key: str) -> Trace:
    return trace(json.loads(key))


def traced(s: dict[str, Any]) -> Trace:
    return _traced(json.dumps(s, sort_keys=True))


def _t_reg(t: Trace) -> float:
    inp = t.inputs
    volume = pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)
    return float(regional_sync(inp, volume, inp.nodes_per_group)[0][0])


def _beta0(t: Trace) -> float:
    inp = t.inputs
    return float(inp.replica_loss_coefficient[0] * t.schedule.params_sync[0] ** inp.replica_loss_exponent[0])


def _loss(t: Trace) -> float:
    return float(chinchilla_loss(t.schedule.params_compute, t.outcome.tokens, t.inputs.scaling_law)[0])


#: Intermediates that are not result keys, from the trace of the evaluation.
DERIVED: dict[str, Callable[[Trace], float]] = {
    "t_out": lambda t: float(t.outcome.outer_step_s[0]),
    "compute_block_s": lambda t: float(t.schedule.compute_block_s[0]),
    "outer_steps": lambda t: float(t.inputs.tokens_target[0] / t.schedule.tokens_per_outer_step[0]),
    "t_reg": _t_reg,
    "t_cyc": lambda t: float(t.schedule.compute_block_s[0] / t.schedule.regional_syncs_per_global[0]),
    "t_ep": lambda t: float(t.schedule.step_compute_s[0] * t.schedule.ep_overhead[0]),
    "alpha": lambda t: float(t.outcome.alpha[0]),
    "beta": lambda t: float(t.outcome.replica_loss_exponent[0]),
    "beta0": _beta0,
    "ln_h_ratio": lambda t: float(t.outcome.replica_loss_exponent[0]) / _beta0(t),
    "loss_increase_pct": lambda t: 100.0 * (float(t.outcome.replica_loss_multiplier[0]) - 1.0),
    "chi_full": lambda t: float(t.outcome.chi_full[0]),
    "chi_ot": lambda t: float(t.outcome.chi_overtraining[0]),
    "loss": _loss,
    "target_loss": lambda t: float(t.outcome.replica_loss_multiplier[0]) * _loss(t),
    "budget_s": lambda t: float(t.inputs.budget_s[0]),
    "tokens_per_param": lambda t: float(t.outcome.tokens[0] / t.schedule.params_compute[0]),
    "c_equivalent": lambda t: float(t.outcome.chi_overtraining[0] * t.outcome.c_actual[0]),
}


def value_of(s: dict[str, Any], key: str) -> Any:
    t = traced(s)
    if key in DERIVED:
        return DERIVED[key](t)
    return t.result.to_dict()[key]


@dataclass(frozen=True)
class Case:
    id: str
    scenario: dict[str, Any]
    key: str
    expected: str | float | bool | None


def worked(label: str, s: dict[str, Any], values: dict[str, Any]) -> list[Any]:
    """One scenario's worked values as parametrised cases, one per key."""
    return [pytest.param(Case(f"{label}: {k}", s, k, v), id=f"{label}: {k}") for k, v in values.items()]


def _check(case: Case) -> None:
    assert_printed(value_of(case.scenario, case.key), case.expected, case.id)


# ── §1 Selecting variants, §12 the revised preset ─────────────────────────────────────────────

SECTION_1: list[Any] = [
    *worked(
        "1 revised with the seed straggler", revised(72, network__straggler="log2"), {"straggler_factor": "1.308496"}
    ),
    *worked(
        "1 revised relay with the seed coefficient",
        revised(72, network__straggler_per_doubling=0.05),
        {"straggler_factor": "1.308496"},
    ),
    *worked(
        "1 a block given partly keeps the other members",
        reference(efficiency__sync_penalty={"floor": 0.5}),
        {"alpha": "0.0541990", "eta_h": "0.875286"},
    ),
]


@pytest.mark.parametrize("case", SECTION_1)
def test_section_1_selecting_variants(case: Case) -> None:
    _check(case)


#: What ``physics: revised`` fills in (§12), written out on a seed scenario.
REVISED_EXPLICIT = {
    "hardware": {"gpu": "A100-80GB", "gpus_per_node": 50, "precision": "fp16", "prices": "2026"},
    "network": {"straggler": "relay"},
    "compression": {"pseudo_gradient": 150, "table": "error-feedback", "activation_table": "revised"},
    "efficiency": {"replica_penalty": "loss-multiplier", "replica_h_scaling": "log", "replica_fold": "eta"},
}


@pytest.mark.parametrize(
    "extra",
    [
        {"strategy": "diloco"},
        {"strategy": "hierarchical"},
        {"strategy": "pp-diloco", "model": {"params": 960e9}, "compression": {"quality": "conservative"}},
        {"strategy": "moe-ep", "model": {"total_params": 600e9, "active_params": 100e9}},
    ],
    ids=lambda extra: extra["strategy"],
)
def test_section_12_revised_preset_is_its_keys(extra: dict[str, Any]) -> None:
    """``physics: revised`` equals a seed scenario with the keys of §12 written out."""
    preset: dict[str, Any] = {"physics": "revised", "nodes": 4_000, **copy.deepcopy(extra)}
    explicit: dict[str, Any] = {"nodes": 4_000, **copy.deepcopy(REVISED_EXPLICIT)}
    for key, value in extra.items():
        if isinstance(value, dict):
            explicit.setdefault(key, {}).update(value)
        else:
            explicit[key] = value
    a, b = dtsim.simulate(preset).to_dict(), dtsim.simulate(explicit).to_dict()
    assert a == b


# ── §2 Replica penalty ─────────────────────────────────────────────────────────────────────────


def _loss_probe(params: float, replicas: int, inner_steps: int, h_scaling: str = "log") -> dict[str, Any]:
    """A flat run of ``replicas`` nodes that reports m = R^β of a ``params`` model at a fixed H."""
    return scenario(
        replicas,
        A50 | {"bytes_per_param": 2},  # room for the 1T model; β does not depend on the node
        model__params=params,
        training__inner_steps=inner_steps,
        efficiency__replica_penalty="loss-multiplier",
        efficiency__replica_h_scaling=h_scaling,
    )


BETA0 = {35e6: "0.018686", 2.4e9: "0.006942", 10e9: "0.004970", 72.7e9: "0.003123", 100e9: "0.002898"}
BETA0 |= {240e9: "0.002361", 250e9: "0.002339", 1e12: "0.001690"}
LOSS_INCREASE_H30 = {  # R: (2.4B, 10B, 100B, 250B), in %
    8: ("1.454", "1.039", "0.605", "0.487"),
    72: ("3.013", "2.148", "1.247", "1.005"),
    500: ("4.409", "3.137", "1.817", "1.464"),
    2_000: ("5.418", "3.850", "2.227", "1.793"),
    10_000: ("6.603", "4.684", "2.705", "2.177"),
}
H_DEPENDENCE = {1: ("0", "0"), 10: ("0.677", "0.679"), 30: ("1.000", "1.005"), 100: ("1.354", "1.363")}
H_DEPENDENCE |= {200: ("1.558", "1.570"), 500: ("1.827", "1.844")}

SECTION_2: list[Any] = [
    *(
        case
        for params, beta0 in BETA0.items()
        for case in worked(f"2.7 beta0 {params:.3g}", _loss_probe(params, 2, 30, "none"), {"beta": beta0})
    ),
    *(
        case
        for replicas, row in LOSS_INCREASE_H30.items()
        for params, pct in zip((2.4e9, 10e9, 100e9, 250e9), row, strict=True)
        for case in worked(
            f"2.7 loss increase R={replicas} P={params:.3g}",
            _loss_probe(params, replicas, 30),
            {"loss_increase_pct": pct},
        )
    ),
    *(
        case
        for h, (ratio, pct) in H_DEPENDENCE.items()
        for case in worked(
            f"2.7 H dependence H={h}", _loss_probe(250e9, 72, h), {"ln_h_ratio": ratio, "loss_increase_pct": pct}
        )
    ),
    *worked(  # §2.1 "below 0.1 % at 100B and above" holds at 100B only up to R ≈ 322 (erratum V4)
        "2.1 seed penalty at 100B, R=4000",
        scenario(4_000, A48, model__params=100e9),
        {"eta_replicas": "0.998564"},
    ),
    *worked("2.1 seed penalty at 100B, R=322", scenario(322, A48, model__params=100e9), {"eta_replicas": "0.999000"}),
    *worked(
        "2.5 h_scaling none keeps m at H=1",
        _loss_probe(250e9, 72, 1, "none"),
        {"replica_loss_multiplier": 72.0 ** (1.0923 * 250e9**-0.2342)},
    ),
    *worked("2.5 h_scaling log: m = 1 at H=1", _loss_probe(250e9, 72, 1), {"replica_loss_multiplier": 1.0}),
    *worked("2.5 m = 1 at N=1", _loss_probe(250e9, 1, 30), {"replica_loss_multiplier": 1.0}),
    *worked("2.5 none: m = 1", reference(efficiency__replica_penalty="none"), {"replica_loss_multiplier": 1.0}),
    *worked(
        "2.8 reference, seed",
        reference(),
        {
            "inner_steps": 200,
            "eta_h": "0.875286",
            "eta_compression": 0.98,
            "eta_replicas": "0.99969",
            "eta": "0.857516",
            "c_local": "1.7508e25",
            "c_quality": "1.5470e25",
            "replica_loss_multiplier": 1.0,
        },
    ),
    *worked(
        "2.8 reference, loss-multiplier log eta",
        reference(efficiency__replica_penalty="loss-multiplier"),
        {
            "inner_steps": 200,
            "eta_h": "0.875286",
            "beta": "0.0036779",
            "replica_loss_multiplier": "1.0158536",
            "loss": "1.902526",
            "target_loss": "1.932688",
            "chi_full": "0.161299",
            "chi_ot": "0.883625",
            "eta_replicas": "0.182542",
            "eta": "0.156581",
            "c_local": "3.19686e24",
            "eta_chinchilla": "0.883625",
            "c_quality": "2.82482e24",
        },
    ),
    *worked(
        "2.8 reference, loss-multiplier h_scaling none",
        reference(efficiency__replica_penalty="loss-multiplier", efficiency__replica_h_scaling="none"),
        {
            "replica_loss_multiplier": "1.010148",
            "eta_replicas": "0.317838",
            "eta": "0.272636",
            "c_local": "5.5663e24",
            "c_quality": "4.91852e24",
        },
    ),
    *worked(
        "2.8 reference, loss-multiplier h_scaling none fold chi",
        reference(
            efficiency__replica_penalty="loss-multiplier",
            efficiency__replica_h_scaling="none",
            efficiency__replica_fold="chi",
        ),
        {
            "eta_replicas": 1.0,
            "eta": "0.857781",
            "c_local": "1.7513e25",
            "eta_chinchilla": "0.28085",
            "c_quality": "4.91852e24",
        },
    ),
    *worked(
        "2.8 reference, none",
        reference(efficiency__replica_penalty="none"),
        {"eta_replicas": 1.0, "eta": "0.857781", "c_local": "1.7513e25", "c_quality": "1.54749e25"},
    ),
    *worked(
        "2.8 revised N=72",
        revised(72),
        {
            "inner_steps": 20,
            "sync_s": "599.258",
            "straggler_factor": "1.123399",
            "eta_h": "0.929654",
            "eta_compression": 0.99,
            "replica_loss_multiplier": "1.0088478",
            "eta_replicas": "0.360751",
            "eta": "0.332020",
            "c_actual": "2.12673e25",
            "c_local": "7.06116e24",
            "eta_chinchilla": "0.891335",
            "c_quality": "6.29386e24",
            "cost_usd": "$25.2M",
        },
    ),
    *(
        case
        for nodes, eta, c_local in (
            (2, "0.844328", "4.98794e23"),
            (4, "0.751217", "8.87575e23"),
            (500, "0.166150", "2.45386e25"),
            (4_000, "0.078274", "9.24816e25"),
        )
        for case in worked(f"2.8 revised N={nodes}", revised(nodes), {"eta": eta, "c_local": c_local})
    ),
    *worked(
        "2.8 revised hierarchical N=4000",
        revised(4_000, strategy="hierarchical"),
        {
            "inner_steps_regional": 2,
            "regional_syncs_per_global": 10,
            "inner_steps": "6.32456",
            "eta_replicas": "0.199545",
            "eta": "0.188993",
            "c_local": "2.23299e26",
            "c_quality": "2.52393e25",
        },
    ),
    *worked(
        "2.8 revised pp-diloco 960B N=4000",
        revised(4_000, strategy="pp-diloco", model__params=960e9),
        {
            "pp_stages": 4,
            "groups": 1_000,
            "inner_steps": 29,
            "eta_activation": "0.970373",
            "eta_replicas": "0.131995",
            "eta": "0.117511",
            "c_quality": "4.01955e25",
        },
    ),
    *worked(
        "2.8 revised moe-ep 600B/100B N=4000",
        revised(4_000, strategy="moe-ep", model__total_params=600e9, model__active_params=100e9),
        {
            "inner_steps": 84,
            "replica_loss_multiplier": "1.0208",
            "beta0": 1.0923 * 600e9**-0.2342,  # β from the 600B total parameters
            "eta_replicas": "0.100792",
            "eta": "0.0899094",
            "eta_chinchilla": "0.0377187",
            "c_quality": "2.65739e24",
        },
    ),
]


@pytest.mark.parametrize("case", SECTION_2)
def test_section_2_replica_penalty(case: Case) -> None:
    _check(case)


# ── §3 Pseudo-gradient compression tables ──────────────────────────────────────────────────────

TABLE_ANCHORS = {
    "error-feedback": {
        4: (1.00, 1.00, 0.99),
        16: (1.00, 1.00, 0.97),
        100: (1.00, 0.99, 0.93),
        150: (1.00, 0.99, 0.91),
        500: (0.99, 0.96, 0.80),
    },
    "no-error-feedback": {
        4: (1.00, 1.00, 0.99),
        16: (1.00, 0.99, 0.95),
        100: (1.00, 0.98, 0.90),
        150: (0.99, 0.96, 0.85),
        500: (0.99, 0.95, 0.75),
    },
    "seed": {16: (1.00, 0.98, 0.95), 100: (0.99, 0.95, 0.90)},
}
TABLE_LOOKUPS: dict[str, dict[float, tuple[str | float, str | float, str | float]]] = {
    "error-feedback": {
        1: (1.0, 1.0, 1.0),
        10: (1.0, 1.0, "0.976781"),
        30: (1.0, "0.996570", "0.956279"),
        120: (1.0, 0.99, "0.921007"),
        146: (1.0, 0.99, "0.911333"),
        200: ("0.997611", "0.982832", "0.883716"),
        300: ("0.994243", "0.972729", "0.846671"),
        1000: (0.99, 0.96, 0.80),  # = the 500× row
    },
    "no-error-feedback": {
        1: (1.0, 1.0, 1.0),
        10: (1.0, "0.993390", "0.963561"),
        120: ("0.995503", "0.971007", "0.877517"),
        146: ("0.990667", "0.961333", "0.853333"),
        200: (0.99, "0.957611", "0.826106"),
        300: (0.99, "0.954243", "0.792428"),
    },
    "seed": {150: (0.99, 0.95, 0.90), 1000: (0.99, 0.95, 0.90)},  # above 100×: the 100× row
}


def _compression(table: str, ratio: float, quality: str) -> dict[str, Any]:
    return reference(compression__table=table, compression__pseudo_gradient=ratio, compression__quality=quality)


SECTION_3: list[Any] = [
    *(
        case
        for source in (TABLE_ANCHORS, TABLE_LOOKUPS)
        for table, rows in source.items()
        for ratio, values in rows.items()
        for quality, expected in zip(("optimistic", "expected", "conservative"), values, strict=True)
        for case in worked(
            f"3 {table} {ratio}x {quality}", _compression(table, ratio, quality), {"eta_compression": expected}
        )
    ),
    *(
        case
        for table in ("seed", "error-feedback", "no-error-feedback")
        for ratio in (16, 150, 1000)
        for case in worked(
            f"3 {table} {ratio}x lossless", _compression(table, ratio, "lossless"), {"eta_compression": 1.0}
        )
    ),
    *worked("3 revised default 150x", revised(72), {"eta_compression": 0.99}),
    *worked("3 revised default, seed table", revised(72, compression__table="seed"), {"eta_compression": 0.95}),
    # A custom quality table replaces the lookup: the `table` key has no effect.
    *(
        case
        for table in ("seed", "error-feedback", "no-error-feedback")
        for case in worked(
            f"3 custom table under {table}",
            reference(compression__table=table, compression__pseudo_gradient=16, compression__quality={16: 0.9}),
            {"eta_compression": 0.9},
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_3)
def test_section_3_compression_tables(case: Case) -> None:
    _check(case)


# ── §4 Activation compression table ────────────────────────────────────────────────────────────


def _pipeline(stages: int, activation_table: str, **fields: Any) -> dict[str, Any]:
    return scenario(
        4_000,
        A48,
        strategy="pp-diloco",
        model__params=stages * 240e9,
        compression__quality="conservative",
        compression__activation_table=activation_table,
        **fields,
    )


SECTION_4: list[Any] = [
    *(
        case
        for table, row in (
            ("revised", ("0.9216", "0.782758", "0.664833", "0.564673")),
            ("seed", ("0.9604", "0.885842", "0.817073", "0.753642")),
        )
        for stages, expected in zip((2, 4, 6, 8), row, strict=True)
        for case in worked(
            f"4 conservative 4x S={stages} {table}",
            _pipeline(stages, table),
            {"pp_stages": stages, "eta_activation": expected},
        )
    ),
    *(
        case
        for table, values in (
            ("revised", {"eta_activation": "0.782758", "eta": "0.650320", "c_quality": "2.14706e26"}),
            ("seed", {"eta_activation": "0.885842", "eta": "0.735963", "c_quality": "2.42981e26"}),
        )
        for case in worked(
            f"4 example PP 960B {table}",
            _pipeline(4, table, compression__table="seed", efficiency__replica_penalty="none"),
            values,
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_4)
def test_section_4_activation_table(case: Case) -> None:
    _check(case)


# ── §5 Asymmetric WAN ──────────────────────────────────────────────────────────────────────────


def _wan(**wan: float) -> dict[str, Any]:
    """48 × A100, 240B, N = 72, C_r = 16, the revised preset otherwise."""
    s = scenario(72, A48, physics="revised", compression__pseudo_gradient=16)
    s["network"] = {"wan": wan}
    return s


_ASYMMETRIC = {
    "sync_s": "3,235.50",
    "straggler_factor": "1.123399",
    "inner_steps": 103,
    "eta_h": "0.890906",
    "eta_replicas": "0.220334",
    "eta": "0.196297",
    "c_local": "4.00772e24",
}
_COVENANT = scenario(
    20,
    None,
    physics="revised",
    model__params=72.7e9,
    compression__pseudo_gradient=146,
    network__wan={"upload_mbps": 110, "download_mbps": 500, "latency_ms": 100},
)

SECTION_5: list[Any] = [
    *worked(
        "5 100/100",
        _wan(bandwidth_mbps=100),
        {"sync_s": "5,392.43", "inner_steps": 172, "eta": "0.167348", "c_local": "3.41667e24"},
    ),
    *worked("5 100 up/500 down", _wan(bandwidth_mbps=100, download_mbps=500), _ASYMMETRIC),
    *worked("5 500 up/100 down", _wan(upload_mbps=500, download_mbps=100), _ASYMMETRIC),
    *worked("5 bandwidth 500, upload 100", _wan(bandwidth_mbps=500, upload_mbps=100), _ASYMMETRIC),
    *worked(
        "5 Covenant-like", _COVENANT, {"straggler_factor": "1.08644", "sync_s": "96.11", "comm_gb_per_sync": "1.992"}
    ),
]


@pytest.mark.parametrize("case", SECTION_5)
def test_section_5_asymmetric_wan(case: Case) -> None:
    _check(case)


@pytest.mark.parametrize(
    ("s", "terms"),
    [
        (_wan(bandwidth_mbps=100, download_mbps=500), ("2.4e11", "2,400", "480", "2,880.1")),
        (_COVENANT, ("7.967e9", "72.43", "15.93", "88.46")),
    ],
    ids=["100 up/500 down", "Covenant-like"],
)
def test_section_5_sync_terms(s: dict[str, Any], terms: tuple[str, str, str, str]) -> None:
    """V, V/BW_up, V/BW_down and their sum with the round trip, before the straggler factor."""
    inp = traced(s).inputs
    volume = float(pseudo_gradient_volume_bits(inp.params, inp.pseudo_gradient_bits, inp.pseudo_gradient_ratio)[0])
    up, down = volume / float(inp.wan_upload_bit_per_s[0]), volume / float(inp.wan_download_bit_per_s[0])
    for actual, expected, what in zip(
        (volume, up, down, up + down + float(inp.wan_latency_s[0])),
        terms,
        ("V", "V/BW_up", "V/BW_down", "sum"),
        strict=True,
    ):
        assert_printed(actual, expected, what)


@pytest.mark.parametrize("direction", ["bandwidth_mbps", "upload_mbps", "download_mbps"])
def test_section_5_links_must_be_positive(direction: str) -> None:
    with pytest.raises(dtsim.ScenarioError, match=direction):
        dtsim.simulate(_wan(**{direction: 0}))


# ── §6 Collective algorithm ────────────────────────────────────────────────────────────────────

_COLLECTIVE_72 = {
    "seed": ("6,280.91", 200, "0.875286", "0.857516", "1.75076e25", "1.54701e25"),
    "ring": ("6,212.13", 198, "0.875523", "0.857748", "1.75123e25", "1.54743e25"),
    "tree": ("6,282.61", 200, "0.875286", "0.857516", "1.75076e25", "1.54701e25"),
}
_COLLECTIVE_4000 = {
    "seed": ("7,671.95", 244, "0.870606", "0.852683", "9.67161e26", "1.06178e26"),
    "ring": ("8,948.18", 284, "0.867033", "0.849184", "9.63192e26", "1.05742e26"),
    "tree": ("7,675.62", 244, "0.870606", "0.852683", "9.67161e26", "1.06178e26"),
}
_COLLECTIVE_KEYS = ("sync_s", "inner_steps", "eta_h", "eta", "c_local", "c_quality")
_COLLECTIVE_2 = {
    "seed": ("5,040.105", 160, "0.862885", "4.89366e23"),
    "ring": ("2,520.21", 80, "0.878873", "4.98434e23"),
    "tree": ("5,040.21", 160, "0.862885", "4.89366e23"),
}
_HIERARCHICAL_4000 = {
    "seed": {
        "t_reg": "552.023",
        "inner_steps_regional": 18,
        "sync_s": "6,951.93",
        "regional_syncs_per_global": 13,
        "inner_steps": "64.8999",
        "eta": "0.883214",
        "c_local": "1.00179e27",
    },
    "ring": {
        "t_reg": "483.322",
        "inner_steps_regional": 16,
        "sync_s": "7,082.42",
        "regional_syncs_per_global": 15,
        "inner_steps": "61.9677",
        "eta": "0.884280",
        "c_local": "1.00300e27",
    },
    "tree": {
        "t_reg": "552.138",
        "inner_steps_regional": 18,
        "sync_s": "6,954.40",
        "regional_syncs_per_global": 13,
        "eta": "0.883214",
        "c_local": "1.00179e27",
    },
}
_PP_4000 = {
    "seed": ("28,767.3", 319, "0.831546", "2.74538e26"),
    "ring": ("29,037.7", 322, "0.831352", "2.74474e26"),
    "tree": ("28,770.1", 320, "0.831481", "2.74517e26"),
}
_MOE_4000 = {
    "seed": ("19,179.6", 983, "0.828984", "6.32121e26"),
    "ring": ("20,453.0", 1_048, "0.827583", "6.31053e26"),
    "tree": ("19,183.3", 983, "0.828984", "6.32121e26"),
}
_EDGE_16 = {
    "seed": {"t_reg": "480.02", "inner_steps_regional": 16},
    "ring": {"t_reg": 0.0, "inner_steps_regional": 1, "regional_syncs_per_global": 172},
    "tree": {"t_reg": 0.0, "inner_steps_regional": 1, "regional_syncs_per_global": 183},
}

SECTION_6: list[Any] = [
    *(
        case
        for nodes, table in ((72, _COLLECTIVE_72), (4_000, _COLLECTIVE_4000))
        for collective, row in table.items()
        for case in worked(
            f"6 flat N={nodes} {collective}",
            scenario(nodes, A48, network__collective=collective),
            dict(zip(_COLLECTIVE_KEYS, row, strict=True)),
        )
    ),
    *(
        case
        for collective in ("seed", "ring", "tree")
        for case in worked(
            f"6 flat N=4000 {collective}",
            scenario(4_000, A48, network__collective=collective),
            {"eta_chinchilla": "0.109783", "straggler_factor": "1.598289"},
        )
    ),
    *(
        case
        for collective, row in _COLLECTIVE_2.items()
        for case in worked(
            f"6 flat N=2 {collective}",
            scenario(2, A48, network__collective=collective),
            dict(zip(("sync_s", "inner_steps", "eta", "c_local"), row, strict=True)),
        )
    ),
    *(
        case
        for collective, values in _HIERARCHICAL_4000.items()
        for case in worked(
            f"6 hierarchical N=4000 {collective}",
            scenario(4_000, A48, strategy="hierarchical", network__collective=collective),
            values,
        )
    ),
    *(
        case
        for collective, row in _PP_4000.items()
        for case in worked(
            f"6 pp-diloco 960B N=4000 {collective}",
            scenario(4_000, A48, strategy="pp-diloco", model__params=960e9, network__collective=collective),
            {
                "pp_stages": 4,
                "groups": 1_000,
                **dict(zip(("sync_s", "inner_steps", "eta", "c_quality"), row, strict=True)),
            },
        )
    ),
    *(
        case
        for collective, row in _MOE_4000.items()
        for case in worked(
            f"6 moe-ep 600B/100B N=4000 {collective}",
            scenario(
                4_000,
                A48,
                strategy="moe-ep",
                model__total_params=600e9,
                model__active_params=100e9,
                network__collective=collective,
            ),
            dict(zip(("sync_s", "inner_steps", "eta", "c_local"), row, strict=True)),
        )
    ),
    *(
        case
        for collective, values in _EDGE_16.items()
        for case in worked(
            f"6 hierarchical N=16 nodes_per_group=1 {collective}",
            scenario(16, A48, strategy="hierarchical", network__nodes_per_group=1, network__collective=collective),
            {"groups": 16, **values},
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_6)
def test_section_6_collectives(case: Case) -> None:
    _check(case)


def test_section_6_bandwidth_and_latency_terms() -> None:
    """The terms printed beside the tables: V/BW = 2,400 s each way; ring 71/72·4,800 = 4,733.33 s
    and 2·71·0.1 = 14.2 s at N = 72; ring 3,999/4,000·4,800 = 4,798.8 s and 799.8 s, tree 2.4 s at
    N = 4,000; the sync times are these terms times f(N)."""
    for nodes, f, ring_bandwidth, ring_latency, tree_latency in (
        (72, "1.308496", "4,733.33", "14.2", "1.4"),
        (4_000, "1.598289", "4,798.8", "799.8", "2.4"),
    ):
        seed, ring, tree = (
            value_of(scenario(nodes, A48, network__collective=c), "sync_s") for c in ("seed", "ring", "tree")
        )
        factor = value_of(scenario(nodes, A48), "straggler_factor")
        assert_printed(factor, f, f"f({nodes})")
        assert_printed(seed / factor, "4,800.1", f"seed terms, N={nodes}")
        assert_printed(ring / factor - float(printed_tolerance(ring_latency)[0]), ring_bandwidth, f"ring bw, N={nodes}")
        assert_printed(tree / factor - 4_800.0, tree_latency, f"tree latency, N={nodes}")
        assert_printed(
            ring / factor - float(printed_tolerance(ring_bandwidth)[0]), ring_latency, f"ring lat, N={nodes}"
        )


# ── §7 Straggler modes ─────────────────────────────────────────────────────────────────────────

STRAGGLER_F = {
    "log2": ("1.05", "1.1", "1.15", "1.308496", "1.448289", "1.548289", "1.598289"),
    "relay": ("1.02", "1.04", "1.06", "1.123399", "1.179316", "1.219316", "1.239316"),
}
STRAGGLER_N = (2, 4, 8, 72, 500, 2_000, 4_000)

SECTION_7: list[Any] = [
    *(
        case
        for mode, row in STRAGGLER_F.items()
        for nodes, expected in zip(STRAGGLER_N, row, strict=True)
        for case in worked(
            f"7 f({nodes}) {mode}", scenario(nodes, A48, network__straggler=mode), {"straggler_factor": expected}
        )
    ),
    *(
        case
        for mode in ("log2", "relay", "threshold", "none")
        for nodes in (1, *STRAGGLER_N)
        if mode in ("threshold", "none") or nodes == 1
        for case in worked(
            f"7 f({nodes}) {mode}", scenario(nodes, A48, network__straggler=mode), {"straggler_factor": 1.0}
        )
    ),
    *worked(
        "7 reference loss-multiplier log2",
        reference(efficiency__replica_penalty="loss-multiplier"),
        {"inner_steps": 200, "eta": "0.156581"},
    ),
    *worked(
        "7 reference loss-multiplier relay",
        reference(efficiency__replica_penalty="loss-multiplier", network__straggler="relay"),
        {"inner_steps": 172, "eta": "0.164001", "c_local": "3.3483e24"},
    ),
    *(
        case
        for mode in ("threshold", "none")
        for case in worked(
            f"7 reference loss-multiplier {mode}",
            reference(efficiency__replica_penalty="loss-multiplier", network__straggler=mode),
            {"inner_steps": 153, "eta": "0.170034", "c_local": "3.4715e24"},
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_7)
def test_section_7_stragglers(case: Case) -> None:
    _check(case)


# ── §8 Hardware ────────────────────────────────────────────────────────────────────────────────

NEW_GPUS = {  # FP16 TFLOPS, FP8 TFLOPS (None: refused), memory GB, price USD, max under 16 H100-eq
    "Ascend-910B": (320, 640, 64, 16_000, 49),
    "Ascend-910C": (600, 1_200, 128, 26_000, 26),
    "TPU-v4": (275, None, 32, 12_000, 57),
    "TPU-v5e": (197, None, 16, 6_000, 80),
    "TPU-v5p": (459, None, 95, 20_000, 34),
    "TPU-v6e": (918, 1_836, 32, 25_000, 17),
}


def _node_cost(gpu: str, gpus: int, prices: str | None, nodes: int = 1) -> dict[str, Any]:
    extra = {} if prices is None else {"hardware__prices": prices}
    return scenario(nodes, {"gpu": gpu, "gpus_per_node": gpus}, model__params=1e9, **extra)


SECTION_8: list[Any] = [
    *worked("8 50 x A100, 2026 prices", _node_cost("A100-80GB", 50, "2026"), {"cost_usd": 350_000.0}),
    *worked("8 50 x A100, seed prices", _node_cost("A100-80GB", 50, "seed"), {"cost_usd": 750_000.0}),
    *worked("8 72 x 50 A100, 2026", _node_cost("A100-80GB", 50, "2026", 72), {"cost_usd": "$25.2M"}),
    *worked("8 72 x 50 A100, seed", _node_cost("A100-80GB", 50, "seed", 72), {"cost_usd": "$54.0M"}),
    *worked("8 72 x 48 A100, 2026", _node_cost("A100-80GB", 48, "2026", 72), {"cost_usd": "$24.192M"}),
    *worked("8 72 x 48 A100, seed", _node_cost("A100-80GB", 48, "seed", 72), {"cost_usd": "$51.84M"}),
    *worked("8 H100, 2026", _node_cost("H100-SXM", 1, "2026"), {"cost_usd": 25_000.0}),
    *worked("8 H100, seed", _node_cost("H100-SXM", 1, None), {"cost_usd": 30_000.0}),
    *worked("8 GH200, 2026", _node_cost("GH200", 1, "2026"), {"cost_usd": 28_000.0}),
    *worked("8 GH200, seed", _node_cost("GH200", 1, None), {"cost_usd": 30_000.0}),
    *worked(
        "8 gpu_price_usd overrides the table",
        scenario(72, {"gpu": "A100-80GB", "gpus_per_node": 50, "prices": "2026", "gpu_price_usd": 9_000}),
        {"cost_usd": 72 * 50 * 9_000.0},
    ),
    *worked("8 revised reference node", revised(1), {"gpus": 50, "params": 250e9, "cost_usd": 350_000.0}),
    *worked("8 seed reference node", scenario(1, None), {"gpus": 48, "params": 240e9, "cost_usd": 720_000.0}),
    *(
        case
        for gpu, (fp16, fp8, memory, price, _) in NEW_GPUS.items()
        for prices in ("seed", "2026")
        for case in worked(
            f"8 {gpu} fp16, {prices} prices",
            _node_cost(gpu, 1, prices),
            {"node_pflops": fp16 * 1e-3, "node_memory_gb": float(memory), "cost_usd": float(price)},
        )
    ),
    *(
        case
        for gpu, (_, fp8, _, _, _) in NEW_GPUS.items()
        if fp8 is not None
        for case in worked(
            f"8 {gpu} fp8",
            scenario(1, {"gpu": gpu, "gpus_per_node": 1, "precision": "fp8"}, model__params=1e9),
            {"node_pflops": fp8 * 1e-3},
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_8)
def test_section_8_hardware(case: Case) -> None:
    _check(case)


@pytest.mark.parametrize("gpu", list(NEW_GPUS))
def test_section_8_max_gpus_under_16_h100_eq(gpu: str) -> None:
    out = dtsim.analyze("max_gpus_under_threshold", gpu=gpu)
    assert out["gpus_per_node"] == NEW_GPUS[gpu][4]
    assert_printed(out["h100_equivalents"], NEW_GPUS[gpu][4] * NEW_GPUS[gpu][0] / 990, gpu)
    assert out["h100_equivalents"] <= 16 < (NEW_GPUS[gpu][4] + 1) * NEW_GPUS[gpu][0] / 990


def test_section_8_the_50_a100_node() -> None:
    out = dtsim.analyze("max_gpus_under_threshold", gpu="A100-80GB")
    assert out["gpus_per_node"] == 50
    assert_printed(out["node_pflops_fp16"], "15.6", "PFLOPS")
    assert_printed(out["node_memory_gb"], 4_000, "memory")
    assert_printed(out["max_params"], 250e9, "largest dense model")
    assert_printed(out["h100_equivalents"], "15.76", "H100-eq")


def test_section_8_gh200_fp8_node() -> None:
    out = dtsim.analyze("node_spec", hardware={"gpu": "GH200", "gpus_per_node": 16, "precision": "fp8"})
    assert_printed(out["node_pflops"], "31.68", "PFLOPS")
    assert_printed(out["node_memory_gb"], 2_304, "memory")
    assert_printed(out["max_params"], "164.6B", "largest dense model at 14 bytes")


@pytest.mark.parametrize("gpu", [g for g, row in NEW_GPUS.items() if row[1] is None])
def test_section_8_fp8_refused(gpu: str) -> None:
    with pytest.raises(dtsim.ScenarioError, match="precision"):
        dtsim.simulate(scenario(1, {"gpu": gpu, "gpus_per_node": 8, "precision": "fp8"}))


@pytest.mark.parametrize(
    ("argument", "limits", "counts"),
    [
        ("threshold_h100_eq", (16, 8, 4, 2, 1), (0, 0, 4, 7, 11)),
        ("memory_limit_gb", (2_048, 1_024, 512, 256), (0, 0, 6, 10)),
    ],
)
def test_section_8_collateral_seed_list(argument: str, limits: tuple[int, ...], counts: tuple[int, ...]) -> None:
    for limit, count in zip(limits, counts, strict=True):
        out = dtsim.analyze("collateral_count", **{argument: limit})
        assert (out["count"], out["total"]) == (count, 14), limit


# ── §9 The outer step ──────────────────────────────────────────────────────────────────────────

_S1 = {
    "strategy": "diloco",
    "nodes": 72,
    "hardware": {"gpus_per_node": 16, "precision": "fp16", "node_pflops": 32, "node_memory_gb": 2304},
    "model": {"params": 144e9},
    "training": {"tokens": 12e12, "inner_steps": 128},
    "network": {"wan": {"bandwidth_mbps": 100, "latency_ms": 0}, "straggler": "none"},
}
_HIER = scenario(4_000, A48, strategy="hierarchical")
_PP = scenario(4_000, A48, strategy="pp-diloco", model__params=960e9)
_MOE = scenario(4_000, A48, strategy="moe-ep", model__total_params=600e9, model__active_params=100e9)


def _blocking(s: dict[str, Any]) -> dict[str, Any]:
    return with_fields(s, training__streaming=False)


def _fixed(s: dict[str, Any], h: int, streaming: bool = True) -> dict[str, Any]:
    return with_fields(s, training__inner_steps=h, training__streaming=streaming)


SECTION_9: list[Any] = [
    *worked(
        "9.5 flat reference streaming",
        reference(),
        {
            "step_compute_s": "31.5077",
            "sync_s": "6,280.91",
            "inner_steps": 200,
            "t_out": "6,301.54",
            "compute_utilization": 1.0,
            "bw_duty_cycle": "0.996727",
            "tokens": "14.1782T",
            "c_actual": "2.04166e25",
            "eta": "0.857516",
            "c_local": "1.75076e25",
            "eta_chinchilla": "0.883625",
            "c_quality": "1.54701e25",
        },
    ),
    *worked(
        "9.5 flat reference blocking",
        _blocking(reference()),
        {
            "inner_steps": 200,
            "t_out": "12,582.45",
            "compute_utilization": "0.500820",
            "bw_duty_cycle": "0.499180",
            "tokens": "7.10072T",
            "c_actual": "1.02250e25",
            "eta": "0.857516",
            "c_local": "8.76813e24",
            "eta_chinchilla": "0.987829",
            "c_quality": "8.66142e24",
        },
    ),
    *worked(
        "9.5 flat reference H=100 streaming",
        _fixed(reference(), 100),
        {
            "t_out": "6,280.91",
            "compute_utilization": "0.501642",
            "bw_duty_cycle": 1.0,
            "bottleneck": "communication",
            "eta": "0.873500",
            "c_local": "8.94624e24",
            "c_quality": "8.83593e24",
        },
    ),
    *worked(
        "9.5 flat reference H=100 blocking",
        _fixed(reference(), 100, streaming=False),
        {
            "t_out": "9,431.68",
            "compute_utilization": "0.334062",
            "c_local": "5.95764e24",
            "eta_chinchilla": 1.0,
            "c_quality": "5.95764e24",
        },
    ),
    *worked(
        "9.5 flat reference H=1000 streaming",
        _fixed(reference(), 1_000),
        {
            "compute_utilization": 1.0,
            "bw_duty_cycle": "0.199345",
            "eta": "0.820402",
            "c_local": "1.67498e25",
            "c_quality": "1.48006e25",
        },
    ),
    *worked(
        "9.5 flat reference H=1000 blocking",
        _fixed(reference(), 1_000, streaming=False),
        {
            "t_out": "37,788.6",
            "compute_utilization": "0.833788",
            "tokens": "11.8216T",
            "c_actual": "1.70231e25",
            "c_local": "1.39658e25",
            "eta_chinchilla": "0.917552",
            "c_quality": "1.28144e25",
        },
    ),
    *worked(
        "9.5 flat N=4 streaming", scenario(4, A48), {"inner_steps": 168, "sync_s": "5,280.11", "c_local": "9.77407e23"}
    ),
    *worked(
        "9.5 flat N=4 blocking",
        _blocking(scenario(4, A48)),
        {"t_out": "10,573.4", "compute_utilization": "0.500623", "c_local": "4.89313e23"},
    ),
    *worked(
        "9.5 time-to-train streaming",
        _S1,
        {
            "compute_block_s": "1,132.46",
            "sync_s": 2_880.0,
            "outer_steps": "9,934.107",
            "t_out": 2_880.0,
            "wall_clock_days": "331.137",
            "compute_utilization": "0.393216",
            "c_actual": "1.0368e25",
        },
    ),
    *worked(
        "9.5 time-to-train blocking",
        _blocking(_S1),
        {
            "t_out": "4,012.46",
            "wall_clock_days": "461.345",
            "compute_utilization": "0.282236",
            "bw_duty_cycle": "0.717764",
            "c_actual": "1.0368e25",
        },
    ),
    *worked(
        "9.5 hierarchical N=4000 streaming",
        _HIER,
        {
            "t_reg": "552.023",
            "inner_steps_regional": 18,
            "t_cyc": "567.138",
            "sync_s": "6,951.93",
            "regional_syncs_per_global": 13,
            "inner_steps": "64.90",
            "eta": "0.883214",
            "t_out": "7,372.80",
            "compute_utilization": 1.0,
            "c_local": "1.00179e27",
            "eta_chinchilla": "0.109783",
            "c_quality": "1.09980e26",
        },
    ),
    *worked(
        "9.5 hierarchical N=4000 blocking",
        _blocking(_HIER),
        {
            "t_out": "14,324.73",
            "compute_utilization": "0.514690",
            "c_actual": "5.83790e26",
            "c_local": "5.15612e26",
            "eta_chinchilla": "0.177042",
            "c_quality": "9.12848e25",
        },
    ),
    *worked(
        "9.5 hierarchical N=4000 H_inner=10 streaming",
        _fixed(_HIER, 10),
        {
            "t_cyc": "552.023",
            "regional_syncs_per_global": 13,
            "inner_steps": "36.0555",
            "t_out": "7,176.30",
            "compute_utilization": "0.570768",
            "c_local": "5.80562e26",
        },
    ),
    *worked(
        "9.5 hierarchical N=4000 H_inner=10 blocking",
        _fixed(_HIER, 10, streaming=False),
        {"t_out": "14,128.2", "compute_utilization": "0.289916", "c_local": "2.94891e26"},
    ),
    *worked(
        "9.5 pp-diloco 960B N=4000 streaming",
        _PP,
        {
            "pp_stages": 4,
            "groups": 1_000,
            "step_compute_s": "90.1829",
            "sync_s": "28,767.3",
            "inner_steps": 319,
            "bubble_fraction": "0.272727",
            "eta": "0.831546",
            "t_out": "28,768.35",
            "compute_utilization": 1.0,
            "tokens": "68.7988T",
            "c_local": "3.29526e26",
            "c_quality": "2.74538e26",
        },
    ),
    *worked(
        "9.5 pp-diloco 960B N=4000 blocking",
        _blocking(_PP),
        {
            "t_out": "57,535.65",
            "compute_utilization": "0.500009",
            "tokens": "34.4000T",
            "c_actual": "1.98144e26",
            "c_local": "1.64766e26",
            "eta_chinchilla": "0.962180",
            "c_quality": "1.58535e26",
        },
    ),
    *worked(
        "9.5 moe-ep N=4000 streaming",
        _MOE,
        {
            "step_compute_s": "19.5282",
            "ep_overhead": "0.327731",
            "sync_s": "19,179.6",
            "inner_steps": 983,
            "eta": "0.828984",
            "t_out": "19,196.2",
            "compute_utilization": 1.0,
            "c_actual": "7.62525e26",
            "c_local": "6.32121e26",
        },
    ),
    *worked(
        "9.5 moe-ep N=4000 blocking",
        _blocking(_MOE),
        {
            "t_out": "38,375.86",
            "compute_utilization": "0.500216",
            "c_actual": "3.81427e26",
            "c_local": "3.16197e26",
            "eta_chinchilla": "0.0679086",
            "c_quality": "2.14725e25",
        },
    ),
    *worked(
        "9.5 revised N=72 blocking",
        _blocking(revised(72)),
        {
            "inner_steps": 20,
            "t_out": "1,229.41",
            "compute_utilization": "0.512565",
            "tokens": "7.26725T",
            "eta_replicas": "0.393058",
            "eta": "0.361754",
            "c_local": "3.94344e24",
            "eta_chinchilla": "0.989464",
            "c_quality": "3.90189e24",
        },
    ),
    *worked(
        "9.5 revised N=72 H=10",
        _fixed(revised(72), 10),
        {
            "tokens": "7.45459e12",
            "eta_h": "0.945931",
            "replica_loss_multiplier": "1.00679",
            "eta_replicas": "0.480416",
            "eta": "0.449896",
            "c_local": "5.03068e24",
            "eta_chinchilla": "0.987012",
            "c_quality": "4.96534e24",
            "bw_duty_cycle": "1.0",
            "comm_gb_per_sync": "6.667",
        },
    ),
    *worked(
        "9.5 revised N=72 H=100",
        _fixed(revised(72), 100),
        {"eta": "0.196519", "c_quality": "3.72527e24", "bw_duty_cycle": "0.190194", "comm_gb_per_sync": "6.667"},
    ),
    *worked(
        "9.5 revised N=72 H=1",
        _fixed(revised(72), 1),
        {"eta": 0.99, "replica_loss_multiplier": 1.0, "c_local": "1.1070e24", "comm_gb_per_sync": "6.667"},
    ),
    *worked(
        "9.5 revised N=72 auto H",
        revised(72),
        {
            "step_compute_s": "31.5077",
            "sync_s": "599.258",
            "inner_steps": 20,
            "c_quality": "6.29386e24",
            "comm_gb_per_sync": "6.667",
        },
    ),
]


SECTION_9 += [
    *worked("9.4 comm_gb_per_sync seed", reference(), {"comm_gb_per_sync": 60.0}),
    *worked("9.4 comm_gb_per_sync tree", reference(network__collective="tree"), {"comm_gb_per_sync": 60.0}),
    *worked("9.4 comm_gb_per_sync ring", reference(network__collective="ring"), {"comm_gb_per_sync": 60.0 * 71 / 72}),
    *worked("9.4 hierarchical fallback", scenario(8, A48, strategy="hierarchical"), {"comm_gb_per_sync": 60.0}),
    *(
        case
        for label, s in (("N=1", scenario(1, A48)), ("hierarchical", _HIER), ("pp-diloco", _PP), ("moe-ep", _MOE))
        for case in worked(
            f"9.4 null for {label}", s, {"bw_duty_cycle": None, "comm_gb_per_sync": None, "compute_utilization": 1.0}
        )
    ),
]


@pytest.mark.parametrize("case", SECTION_9)
def test_section_9_outer_step(case: Case) -> None:
    _check(case)


# ── §10 Single-node Chinchilla efficiency ──────────────────────────────────────────────────────


def _single(hardware: dict[str, Any] | None, mode: str, **fields: Any) -> dict[str, Any]:
    return scenario(1, hardware, efficiency__single_node_chinchilla=mode, **fields)


SECTION_10: list[Any] = [
    *worked(
        "10 one node 48 x A100 computed",
        _single(A48, "computed"),
        {
            "budget_s": 47_336_400.0,  # 547.875 × 86,400; the spec prints 47,335,400 (erratum V3)
            "c_actual": "2.83564e23",
            "tokens": "1.96919e11",
            "tokens_per_param": "0.82",
            "overtraining_ratio": "0.0321",
            "loss": "2.024370",
            "c_equivalent": "1.23590e23",
            "eta_chinchilla": "0.435846",
            "c_quality": "1.23590e23",
            "c_local": "2.83564e23",
            "inner_steps": 1,
            "sync_s": 0.0,
            "eta": 1.0,
            "compute_utilization": 1.0,
        },
    ),
    *worked(
        "10 one node 48 x A100 exempt",
        _single(A48, "exempt"),
        {"eta_chinchilla": 1.0, "c_quality": "2.83564e23", "c_local": "2.83564e23"},
    ),
    *worked(
        "10 one node 48 x A100 computed, loss-multiplier",
        _single(A48, "computed", efficiency__replica_penalty="loss-multiplier"),
        {"replica_loss_multiplier": 1.0, "eta_replicas": 1.0, "eta_chinchilla": "0.435846"},
    ),
    *worked("10 one node 16 x H100 fp16", _single(H100x16, "computed"), {"eta_chinchilla": "0.942564"}),
    *worked("10 one node 16 x H100 fp8", _single(H100x16fp8, "computed"), {"eta_chinchilla": "0.993369"}),
    *worked("10 one node 16 x GH200", _single(GH200x16, "computed"), {"eta_chinchilla": "0.697572"}),
    *worked("10 one node 50 x A100", _single(A50, "computed"), {"eta_chinchilla": "0.427004"}),
    *worked(
        "10 hierarchical N=1 computed",
        _single(A48, "computed", strategy="hierarchical"),
        {"eta_chinchilla": "0.435846"},
    ),
]


@pytest.mark.parametrize("case", SECTION_10)
def test_section_10_single_node_chinchilla(case: Case) -> None:
    _check(case)


# ── §11.6 Coefficients as inputs ───────────────────────────────────────────────────────────────

_PER_DOUBLING = {
    "straggler_factor": "1.123399",
    "sync_s": "5,392.43",
    "inner_steps": 172,
    "eta_h": "0.878837",
    "eta": "0.860994",
    "c_local": "1.75786e25",
    "c_quality": "1.55329e25",
}

SECTION_11: list[Any] = [
    *worked("11.6 straggler_per_doubling 0.02", reference(network__straggler_per_doubling=0.02), _PER_DOUBLING),
    *worked("11.6 straggler relay", reference(network__straggler="relay"), _PER_DOUBLING),
    *worked(
        "11.6 sync_penalty.base 0.10",
        reference(efficiency__sync_penalty={"base": 0.10}),
        {
            "alpha": "0.0677487",
            "inner_steps": 200,
            "eta_h": "0.844108",
            "eta": "0.826971",
            "c_local": "1.68839e25",
            "c_quality": "1.49191e25",
        },
    ),
    *worked("11.6 sync_penalty seed alpha", reference(), {"alpha": "0.0541990"}),
    *worked(
        "11.6 hierarchical_h_exponent 1",
        scenario(4_000, A48, strategy="hierarchical", efficiency__hierarchical_h_exponent=1),
        {"inner_steps": 234.0, "eta_h": "0.871591", "eta": "0.853648", "c_local": "9.68255e26"},
    ),
    *worked(
        "11.6 hierarchical_h_exponent seed",
        _HIER,
        {"inner_steps": "64.90", "eta": "0.883214", "c_local": "1.00179e27"},
    ),
    *worked(
        "11.6 tokens_per_param 20",
        reference(scaling_law={"tokens_per_param": 20}),
        {"overtraining_ratio": "2.95379", "eta_chinchilla": "0.872271", "c_quality": "1.52713e25"},
    ),
    *worked(
        "11.6 tokens_per_param seed",
        reference(),
        {"overtraining_ratio": "2.30765", "eta_chinchilla": "0.883625"},
    ),
    *worked(  # §15: an overtraining target k is tokens_per_param = 25.6·k
        "15 overtraining target k=2",
        reference(scaling_law={"tokens_per_param": 51.2}),
        {"eta_chinchilla": "0.970635"},
    ),
    *worked("15 overtraining target k=3", reference(scaling_law={"tokens_per_param": 76.8}), {"eta_chinchilla": 1.0}),
    *worked("15 overtraining target k=4", reference(scaling_law={"tokens_per_param": 102.4}), {"eta_chinchilla": 1.0}),
    *worked("11.6 bytes_per_param 12", scenario(72, A48 | {"bytes_per_param": 12}), {"params": 320e9}),
    *worked(
        "11.6 all_to_all_per_layer 1",
        _MOE | {"model": {"total_params": 600e9, "active_params": 100e9, "all_to_all_per_layer": 1}},
        {"t_ep": "3.2", "ep_overhead": "0.195980"},
    ),
    *worked("11.6 all_to_all_per_layer seed", _MOE, {"t_ep": "6.4", "ep_overhead": "0.327731"}),
]


@pytest.mark.parametrize("case", SECTION_11)
def test_section_11_coefficients(case: Case) -> None:
    _check(case)


@pytest.mark.parametrize(
    ("params", "hidden", "deviation_pct"),
    [(70e9, 8_192, "-3"), (175e9, 12_288, "2"), (405e9, 16_384, "17")],
    ids=["LLaMA-2 70B", "GPT-3 175B", "LLaMA-3.1 405B"],
)
def test_section_11_3_hidden_size_rule(params: float, hidden: int, deviation_pct: str) -> None:
    """§11.3: h = 0.03·√P against published hidden sizes; a fixed depth of 1/(12·0.03²) ≈ 92.6."""
    assert_printed(100 * (float(hidden_size(params)) / hidden - 1), deviation_pct, "deviation %")
    assert_printed(params / (12 * float(hidden_size(params)) ** 2), "92.6", "depth")  # P = 12·L·h²


# ── §13.2 nodes_for_target under the revised physics ───────────────────────────────────────────


@pytest.mark.parametrize(
    ("target", "nodes", "cost"),
    [(1e24, 5, "$1.75M"), (1e25, 123, "$43.05M"), (1e26, 4_716, "$1.6506B")],
)
def test_section_13_2_nodes_for_target_revised(target: float, nodes: int, cost: str) -> None:
    out = dtsim.analyze("nodes_for_target", scenario={"physics": "revised"}, target=target)
    assert out["reached"] and out["nodes"] == nodes
    assert_printed(out["cost_usd"], cost, "cost")
    assert out["c_local"] >= target


# ── §14 The older simulation notes (η = η_H) ───────────────────────────────────────────────────


def _eta_h_only(s: dict[str, Any]) -> dict[str, Any]:
    return with_fields(s, compression__quality="lossless", efficiency__replica_penalty="none")


SECTION_14: list[Any] = [
    *(
        case
        for nodes, h, eta, c_local in (
            (4, 168, "0.879390", "9.97454e23"),
            (72, 200, "0.875286", "1.78704e25"),
            (500, 221, "0.872936", "1.23767e26"),
        )
        for table in ("seed", "error-feedback")
        for case in worked(
            f"14 flat N={nodes} ({table} table)",
            _eta_h_only(scenario(nodes, A48, compression__table=table)),
            {"inner_steps": h, "eta": eta, "c_local": c_local, "eta_compression": 1.0, "eta_replicas": 1.0},
        )
    ),
    *worked(
        "14 configuration F",
        _eta_h_only(scenario(2_000, H100x16fp8, strategy="hierarchical", compression__pseudo_gradient=100)),
        {"eta": "0.940579", "c_local": "1.12841e27"},
    ),
]


@pytest.mark.parametrize("case", SECTION_14)
def test_section_14_eta_h_only(case: Case) -> None:
    _check(case)


def test_case_count() -> None:
    """Every section contributes cases (a guard against a section silently emptied)."""
    sections = [SECTION_1, SECTION_2, SECTION_3, SECTION_4, SECTION_5, SECTION_6, SECTION_7, SECTION_8, SECTION_9]
    sections += [SECTION_10, SECTION_11, SECTION_14]
    assert all(len(s) > 0 for s in sections)
    ids = [p.id for s in sections for p in s]
    assert len(ids) == len(set(ids)), "duplicate case ids"


@pytest.mark.parametrize(
    ("argument", "limits", "counts"),
    [
        ("threshold_h100_eq", (16, 8, 4, 2, 1), (0, 0, 4, 9, 14)),
        ("memory_limit_gb", (2_048, 1_024, 512, 256), (0, 0, 6, 11)),
    ],
)
def test_section_8_collateral_revised_list(argument: str, limits: tuple[int, ...], counts: tuple[int, ...]) -> None:
    for limit, count in zip(limits, counts, strict=True):
        out = dtsim.analyze("collateral_count", systems="revised", **{argument: limit})
        assert (out["count"], out["total"]) == (count, 17), limit
