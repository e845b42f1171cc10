"""The shared kernels of the performance model: worked numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from accelspec.perf.kernels import (
    LIMITERS,
    expected_experts,
    expert_degrees,
    expert_split,
    fewest_experts,
    layout_chips,
    layout_preference,
    layout_shapes,
    limiter_code,
    preference_order,
    routed_experts,
    step_times,
    tier_time,
)
from accelspec.perf.memory import Parallelism


def test_expected_experts_worked_numbers():
    # one token touches exactly k; 64 tokens: 256 (1 - (1 - 8/256)^64)
    assert float(expected_experts(256.0, 8.0, 1.0)) == pytest.approx(8.0, rel=1e-14)
    assert float(expected_experts(256.0, 8.0, 64.0)) == pytest.approx(256 * (1 - (248 / 256) ** 64), rel=1e-12)
    assert float(expected_experts(256.0, 8.0, 0.0)) == 0.0
    assert float(expected_experts(4.0, 4.0, 3.0)) == 4.0 and float(expected_experts(4.0, 4.0, 0.0)) == 0.0
    arr = expected_experts(128.0, 4.0, np.array([1.0, 10.0, 1e6]))
    assert arr.shape == (3,) and arr[-1] == pytest.approx(128.0)


def test_fewest_and_routed_experts():
    assert float(fewest_experts(256.0, 8.0, 1000.0)) == 8.0 and float(fewest_experts(256.0, 8.0, 0.0)) == 0.0
    assert float(routed_experts(256.0, 8.0, 1000.0, "best-case")) == 8.0
    assert float(routed_experts(256.0, 8.0, 64.0)) == float(expected_experts(256.0, 8.0, 64.0))


def test_step_times_and_limiter():
    # 2 TFLOP at 1 PFLOP/s = 2 ms; 1 GB at 1 TB/s = 1 ms; 90 MB over 100 GB/s = 0.9 ms
    tc, tm, tl, t = step_times(2e12, 1e9, 9e7, 1.0, 1e15, 1e12, 1e11)
    assert (tc, tm, tl, t) == pytest.approx((2e-3, 1e-3, 0.9e-3, 2e-3))
    assert LIMITERS[int(limiter_code(tc, tm, tl))] == "compute"
    assert step_times(2e12, 1e9, 9e7, 1.0, 1e15, 1e12, 1e11, overlap=False)[3] == pytest.approx(3.9e-3)
    # nothing on a tier with an unknown bandwidth costs nothing
    assert float(step_times(0.0, 0.0, 0.0, 1.0, 1.0, 1.0, math.nan)[2]) == 0.0
    assert LIMITERS[int(limiter_code(1.0, 1.0, 1.0))] == "compute"  # ties to compute, then memory
    assert LIMITERS[int(limiter_code(0.5, 1.0, 1.0))] == "memory"


def test_tier_time_fills_the_fastest_tier_first():
    sram_hbm = ((2e9, math.inf), (math.inf, 2e12))  # 2 GB of SRAM read in no time, then HBM at 2 TB/s
    assert tier_time(1e9, sram_hbm) == 0.0
    assert tier_time(10e9, sram_hbm) == pytest.approx(8e9 / 2e12, rel=1e-15)
    three = ((1e9, 100e12), (10e9, 2e12), (math.inf, 0.1e12))
    assert tier_time(30e9, three) == pytest.approx(1e9 / 100e12 + 10e9 / 2e12 + 19e9 / 0.1e12, rel=1e-14)
    got = tier_time(np.array([0.0, 1e9, 3e9]), sram_hbm)
    assert got.tolist() == [0.0, 0.0, 1e9 / 2e12]
    # step_times: the fast tier per chip, the rest at the roof; without one M / (n B), bit for bit
    assert step_times(0.0, 10e9, 0.0, 2.0, 1e15, 2e12, 1e11, fast=(2e9, math.inf))[1] == pytest.approx(3e9 / 2e12)
    assert step_times(0.0, 10e9, 0.0, 2.0, 1e15, 2e12, 1e11)[1] == 10e9 / (2.0 * 2e12)


def test_layouts():
    assert layout_chips("tp=4,pp=2") == 8 and layout_chips("tp=4; ep=8, dp=2") == 8
    assert layout_chips({"tp": 2, "dp": 4, "ep": 8}) == 8 and layout_chips(Parallelism(tp=2, pp=3)) == 6
    assert layout_chips("tp") is None and layout_chips(None) is None and layout_chips("tp=x") is None
    assert expert_split(4, 1) == 4 and expert_split(4, 8) == 8
    assert layout_preference(Parallelism(tp=2, pp=4)) == (4, 1, 1, -2, 1)
    lays = [Parallelism(tp=2, ep=2), Parallelism(pp=2), Parallelism(tp=2), Parallelism(tp=2, ep=2)]
    assert preference_order(lays) == [2, 0, 3, 1]  # more tp, then fewer ep; ties in list order
    shapes = layout_shapes(8)
    assert len(shapes) == 20 and all(math.prod(s) == 8 for s in shapes)  # C(3 + 3, 3) ordered factorizations
    assert shapes[0] == (1, 1, 1, 8)
    assert expert_degrees(8, 256) == [2, 4, 8] and expert_degrees(6, 256) == [2] and expert_degrees(3, 256) == []
