"""accelspec.perf.opcost: FLOPs and bytes per operation and per step, worked numbers."""

from __future__ import annotations

import numpy as np
import pytest

from accelspec.model.catalog import get_model
from accelspec.perf.bounds import decode_bound, prefill_bound
from accelspec.perf.opcost import expected_unique_experts, gemm_cost, step_cost

LLAMA = "llama-3.1-8b"
MOE = "qwen3-235b-a22b"


def test_gemm_cost_worked():
    c = gemm_cost(4096, 4096, 4096, "bf16")
    assert c.flops == 2 * 4096**3
    assert c.bytes == 3 * 4096 * 4096 * 2
    assert c.intensity.m_as("FLOP/B") == pytest.approx(4096 / 3)
    c8 = gemm_cost(1, 8192, 8192, "bf16", b_dtype="fp8")
    assert c8.bytes == 8192 * 2 + 8192 * 8192 * 1 + 8192 * 2
    with pytest.raises(ValueError):
        gemm_cost(0, 1, 1)


def test_expected_unique_experts():
    assert expected_unique_experts(128, 8, 1) == pytest.approx(8)
    assert expected_unique_experts(128, 8, 2) == pytest.approx(128 * (1 - (120 / 128) ** 2))
    u = expected_unique_experts(128, 8, np.arange(1, 2000))
    assert np.all(np.diff(u) >= 0) and u[-1] <= 128 and u[-1] == pytest.approx(128)
    assert expected_unique_experts(8, 8, 5) == 8
    with pytest.raises(ValueError):
        expected_unique_experts(8, 9, 1)


def test_step_cost_layers_sum_to_kernel():
    for mid in (LLAMA, MOE, "gpt-oss-120b", "deepseek-v3", "qwen3-next-80b-a3b"):
        for phase in ("decode", "prefill"):
            fn = decode_bound if phase == "decode" else prefill_bound
            sc = step_cost(mid, phase, 3000, 4, 1)
            b = fn(mid, "h200-sxm", 3000, 4, 1)
            assert sc.total.flops == pytest.approx(b.flops, rel=1e-12)
            assert sc.total.bytes == pytest.approx(b.bytes, rel=1e-12)
            # two chips in TP: the FLOPs and the all-reduce bytes are the same totals
            sc2 = step_cost(mid, phase, 3000, 4, 2)
            b2 = fn(mid, "h200-sxm", 3000, 4, parallelism="tp=2")
            assert sc2.total.flops == pytest.approx(b2.flops, rel=1e-12)
            assert sc2.total.comm_bytes == pytest.approx(b2.comm_bytes, rel=1e-12)
            assert len(sc.layers) == get_model(mid).n_layers
    assert "\n" not in step_cost(LLAMA, "decode", 10).explain()
