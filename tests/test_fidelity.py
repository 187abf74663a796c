"""Every cell of every seed table (tests/data/seed_cases.json, a copy of the shared acceptance
cases), one test per case.

Cells the seeds print wrongly (``reference_agrees: false``) are checked against the reference
value, relative 1e-6; docs/errata.md explains each."""

from __future__ import annotations

import math
from typing import Any

import pytest

import dtsim
from conftest import FIDELITY_CASES, SHARED_FIDELITY_CASES, fidelity_cases

CASES = fidelity_cases()


def _run(case: dict[str, Any]) -> dict[str, Any]:
    if "scenario" in case:
        return dtsim.simulate(case["scenario"]).to_dict()
    return dtsim.analyze(case["analysis"], **case["args"])


def _actual(result: dict[str, Any], key: str, spec: dict[str, Any]) -> Any:
    if "expr" in spec:
        return eval(spec["expr"], {"__builtins__": {}}, {"sqrt": math.sqrt, "log10": math.log10, **result})
    value: Any = result
    for part in key.split("."):
        value = value[part]
    return value


def _check(actual: Any, spec: dict[str, Any]) -> tuple[bool, str]:
    if spec.get("reference_agrees") is False:
        expected = spec["reference_value"]
        if isinstance(expected, str | bool):
            return actual == expected, f"erratum: reference {expected!r}"
        return math.isclose(actual, expected, rel_tol=1e-6), f"erratum: reference {expected!r}"
    if "lt" in spec or "gt" in spec:
        ok = ("lt" not in spec or actual < spec["lt"]) and ("gt" not in spec or actual > spec["gt"])
        return ok, f"bounds lt={spec.get('lt')} gt={spec.get('gt')}"
    expected = spec["value"]
    if isinstance(expected, str | bool) or (
        "abs_tol" not in spec and "rel_tol" not in spec and "log10_abs_tol" not in spec
    ):
        return actual == expected, f"exactly {expected!r}"
    if "log10_abs_tol" in spec:
        return abs(math.log10(actual) - math.log10(expected)) <= spec["log10_abs_tol"], f"~{expected:g}"
    tol = spec.get("abs_tol", 0.0) + spec.get("rel_tol", 0.0) * abs(expected)
    return abs(actual - expected) <= tol * (1 + 1e-9), f"{expected!r} ± {tol:g}"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_seed_case(case: dict[str, Any]) -> None:
    result = _run(case)
    failures = []
    for key, spec in case["expected"].items():
        actual = _actual(result, key, spec)
        ok, want = _check(actual, spec)
        if not ok:
            failures.append(f"{key}: got {actual!r}, want {want} (printed {spec.get('printed')!r})")
    assert not failures, f"{case['source']}:\n  " + "\n  ".join(failures)


def test_corpus_is_complete() -> None:
    assert len(CASES) == 306
    assert sum(len(c["expected"]) for c in CASES) == 782


def test_cases_equal_the_shared_acceptance_data() -> None:
    """The repository's copy is the shared file, byte for byte, wherever the shared folder exists."""
    if not SHARED_FIDELITY_CASES.exists():
        assert FIDELITY_CASES.exists()  # a plain clone: the copy alone is the acceptance data
        return
    assert FIDELITY_CASES.read_bytes() == SHARED_FIDELITY_CASES.read_bytes()
