"""The "Failures and mitigation" report numbers and figure (dtsim.report.reliability)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest

from dtsim.errors import ScenarioError
from dtsim.physics import reliability as rel
from dtsim.report.reliability import ANCHOR_GPU_COUNTS, TABLE_KEYS, goodput_figure, goodput_table


@pytest.mark.parametrize("model", rel.RELIABILITY_MODELS)
def test_table_equals_the_block(model: str) -> None:
    rows = goodput_table(model=model)
    assert len(rows) == len(rel.MITIGATIONS) * len(ANCHOR_GPU_COUNTS)
    code = rel.RELIABILITY_MODELS.index(model)
    for row in rows:
        nodes = row["gpus"] // 50
        block = rel.reliability_block(
            nodes=nodes,
            gpus_per_node=50,
            node_memory_bytes=4_000e9,
            state_params=250e9,
            bytes_per_param=16,
            window_s=547.875 * 86_400,
            tail_participants=nodes,
            mitigation=rel.MITIGATIONS.index(row["mitigation"]),
            model=code,
        )
        assert row["nodes"] == nodes
        for key in TABLE_KEYS:
            value = float(block[key])
            if math.isnan(value):
                assert row[key] is None, key
            else:
                assert row[key] == value, key


def test_table_reproduces_the_anchors() -> None:
    rows = {(r["mitigation"], r["gpus"]): r for r in goodput_table()}
    assert [r["gpus"] for r in goodput_table(mitigations=["relay"])] == [3_600, 31_250, 200_000]
    assert rows["synchronous", 31_250]["goodput"] == pytest.approx(0.7996083, abs=5e-8)
    assert rows["none", 3_600]["time_inflation"] == pytest.approx(474.364, rel=1e-12)
    assert rows["checkpoint_elastic", 200_000]["goodput"] == pytest.approx(0.7565644, abs=5e-8)
    assert rows["backup_workers", 200_000]["cost_multiplier"] == pytest.approx(1.05)
    assert rows["threshold", 3_600]["eta_mitigation"] == 0.85
    assert rows["relay", 200_000]["cluster_mtbf_hours"] == pytest.approx(0.25, rel=1e-12)
    assert rows["relay", 3_600]["gpu_hours_lost"] == pytest.approx(157.788, abs=5e-4)
    corrected = {(r["mitigation"], r["gpus"]): r for r in goodput_table(model="corrected")}
    assert corrected["none", 3_600]["goodput"] == 0.0 and corrected["none", 3_600]["time_inflation"] is None


def test_table_refusals() -> None:
    with pytest.raises(ScenarioError, match="gpu_counts"):
        goodput_table((3_600, 31_000 + 1))
    with pytest.raises(ScenarioError, match="gpu_counts"):
        goodput_table(())
    with pytest.raises(ScenarioError, match="model = 'exact'"):
        goodput_table(model="exact")
    with pytest.raises(ScenarioError, match="mitigations = 'elastic'"):
        goodput_table(mitigations=["elastic"])


def test_figure_is_deterministic_svg_with_text() -> None:
    before = dict(matplotlib.rcParams)
    svg = goodput_figure()
    assert svg == goodput_figure()
    root = ET.fromstring(svg)
    texts = "".join(t for el in root.iter() if el.tag.endswith("text") for t in el.itertext())
    for name in rel.MITIGATIONS:
        assert name in texts
    assert "goodput" in texts
    assert dict(matplotlib.rcParams) == before  # rc settings stay local
    assert goodput_figure(model="corrected") != svg


def test_figure_curves_come_from_the_block() -> None:
    # The relay line sits at 1 − p_down everywhere; the none line falls below 1 % by 3,600 GPUs.
    rows = goodput_table((50, 3_600), mitigations=["relay", "none"])
    assert rows[0]["goodput"] == pytest.approx(1 - -math.expm1(-2e-5 / 6), rel=1e-15)
    assert rows[3]["goodput"] < 0.01
    assert np.isfinite([r["goodput"] for r in rows]).all()
