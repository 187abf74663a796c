"""Unit conversions: the only place conversion factors appear.

User-facing names carry user units (``bandwidth_mbps``, ``latency_ms``, ``memory_gb``,
``days``); the core works in SI-like units (bit/s, s, bytes, FLOP, FLOP/s). Convert once, at
the edge, with these constants. Source: spec ``model.md`` §0.
"""

from __future__ import annotations

MBPS = 1e6  # bit/s per Mbps
MS = 1e-3  # s per ms
GB = 1e9  # bytes per GB (decimal, as the seeds use: 48 x 80 GB = 3,840 GB)
TFLOPS = 1e12  # FLOP/s per TFLOPS
PFLOPS = 1e15  # FLOP/s per PFLOPS
BILLION = 1e9  # parameters per "B"
HOUR_S = 3_600.0  # s per hour
DAY_S = 86_400.0  # s per day
YEAR_DAYS = 365.25  # days per year (Julian year)
YEAR_S = YEAR_DAYS * DAY_S
MONTHS_PER_YEAR = 12.0
BITS_PER_BYTE = 8.0

#: TFLOPS of dense FP16 in one H100-equivalent (H100 SXM, seed 002 §1).
H100_EQUIVALENT_TFLOPS = 990.0

#: The treaty's Strict Threshold on training compute, FLOP (seed 002 §1).
STRICT_THRESHOLD_FLOP = 1e24

#: The treaty's covered-chip-cluster registration threshold, H100-equivalents (seed 002 §1).
CCC_THRESHOLD_H100_EQ = 16.0

#: Default training budget: 1.5 years (seed 002 §2) = 547.875 days.
DEFAULT_BUDGET_DAYS = 1.5 * YEAR_DAYS
