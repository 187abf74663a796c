from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[1]
#: The acceptance cases, kept in the repository so that a plain clone runs the whole suite;
#: test_fidelity checks that they equal the shared copy when ../shared is beside the checkout.
FIDELITY_CASES = ROOT / "tests" / "data" / "seed_cases.json"
SHARED_FIDELITY_CASES = ROOT.parent / "shared" / "fidelity" / "seed_cases.json"

settings.register_profile("default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("DTSIM_HYPOTHESIS_PROFILE", "default"))


def fidelity_cases() -> list[dict[str, Any]]:
    """Every seed-table case (tests/data/seed_cases.json)."""
    return json.loads(FIDELITY_CASES.read_text())["cases"]


#: The reliability block's result keys as reliability.md §9 lists them, restated here (not read
#: from dtsim) so that a test comparing with dtsim's keys can fail.
RELIABILITY_RESULT_KEYS = (
    "mitigation",
    "goodput",
    "time_inflation",
    "eta_mitigation",
    "cost_multiplier",
    "cluster_mtbf_hours",
    "cluster_failures_per_day",
    "expected_failures",
    "gpu_hours_lost",
    "node_unavailability",
    "checkpoint_interval_hours",
    "checkpoint_cost_s",
    "gpu_memory_checkpoint_feasible",
)
A100x48 = {"gpu": "A100-80GB", "gpus_per_node": 48, "precision": "fp16"}
H100x16fp8 = {"gpu": "H100-SXM", "gpus_per_node": 16, "precision": "fp8"}


def flat(hardware: dict[str, Any], nodes: int, **extra: Any) -> dict[str, Any]:
    return {"strategy": "diloco", "nodes": nodes, "hardware": hardware, **extra}
