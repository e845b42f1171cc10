"""The two-tier communication model: collectives, fabrics of systems, routing (worked numbers)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import accelspec as a
from accelspec.hardware.chip import NotPublishedError
from accelspec.hardware.system import UnknownHardwareError, get_system, resolve_hardware
from accelspec.perf.bounds import decode_bound, prefill_bound
from accelspec.perf.comm import (
    CommArgumentError,
    allreduce_bytes,
    alltoall_bytes,
    fabric_numbers,
    group_domain_share,
    ring_pass_bytes,
)

MB = 1e6


# --- collectives --------------------------------------------------------------------------------
def test_allreduce_ring_and_in_network_within_one_domain():
    up, out = allreduce_bytes(MB, 8.0, 8.0, False)
    assert float(up) == pytest.approx(2 * 7 / 8 * MB) and float(out) == 0.0  # 1.75 MB
    up, out = allreduce_bytes(MB, 8.0, 8.0, True)
    assert float(up) == pytest.approx(MB) and float(out) == 0.0  # NVLS: 1 x msg
    # two chips: ring already moves 1 x msg, in-network changes nothing
    assert float(allreduce_bytes(MB, 2.0, 2.0, True)[0]) == float(allreduce_bytes(MB, 2.0, 2.0, False)[0]) == MB
    assert float(allreduce_bytes(MB, 1.0, 1.0, True)[0]) == 0.0


def test_allreduce_across_domains_is_hierarchical():
    # 16 chips, 8 per domain, 2 domains: ring inside (1.75 MB), 2(2-1)/2 x msg/8 = 125 kB across
    up, out = allreduce_bytes(MB, 16.0, 8.0, False)
    assert float(up) == pytest.approx(1.75 * MB) and float(out) == pytest.approx(MB / 8)
    # one chip per domain: everything on scale-out, 2(4-1)/4 = 1.5 x msg
    up, out = allreduce_bytes(MB, 4.0, 1.0, True)
    assert float(up) == 0.0 and float(out) == pytest.approx(1.5 * MB)


def test_alltoall_and_ring_pass_split_by_tier():
    up, out = alltoall_bytes(16 * MB, 16.0, 8.0)
    assert up == pytest.approx(7 * MB) and out == pytest.approx(8 * MB)
    up, out = ring_pass_bytes(MB, 4.0, 2.0)  # 3 foreign blocks: 1 over the NIC, 2 over scale-up
    assert up == pytest.approx(2 * MB) and out == pytest.approx(MB)
    assert ring_pass_bytes(MB, 4.0, 4.0) == (pytest.approx(3 * MB), 0.0)


def test_group_domain_share():
    assert group_domain_share(8.0, 1.0, math.inf) == 8
    assert group_domain_share(16.0, 1.0, 8.0) == 8
    assert group_domain_share(4.0, 8.0, 8.0) == 1  # CP over TP groups of 8: one rank per domain
    assert group_domain_share(4.0, 2.0, 8.0) == 4


# --- fabrics of systems ---------------------------------------------------------------------------
def test_fabric_numbers_of_systems():
    s = get_system("gb200-nvl72")
    f = fabric_numbers(s.chip_record(), s, (math.nan,) * 3)
    assert f.up[1] == pytest.approx(900e9) and f.domain == 72 and f.in_network  # 1.8 TB/s bidirectional / 2
    assert not f.has_out  # no scale-out NICs in the record
    s = get_system("cloudmatrix384")
    f = fabric_numbers(s.chip_record(), s, (math.nan,) * 3)
    assert f.up[1] == pytest.approx(392e9) and f.out[1] == pytest.approx(50e9)  # 400 Gb/s one way
    assert f.domain == 384 and not f.in_network  # UB in-network reduction is not stated
    s = get_system("dgx-h100")
    assert s.scale_out_per_direction().q.m_as("GB/s") == pytest.approx(50.0)  # 1 NIC x 400 Gb/s
    f = fabric_numbers(s.chip_record(), s, (math.nan,) * 3, collective="ring")
    assert not f.in_network
    with pytest.raises(CommArgumentError, match="collective"):
        fabric_numbers(s.chip_record(), s, (math.nan,) * 3, collective="tree")


def test_chip_alone_assumes_one_domain_and_names_it():
    b = decode_bound("llama-3.1-70b", "h100-sxm", 8192, 8, 8)
    assert "no system given" in b.assumptions and "as in system dgx-h100" in b.assumptions
    b = decode_bound("llama-3.1-70b", "mi300x", 8192, 8, 8)
    assert "ring 2(n-1)/n = 1.75x msg" in b.assumptions


# --- bounds on systems: two tiers -----------------------------------------------------------------
def test_tp16_over_two_hgx_boards_worked():
    """Llama 3.1 70B, tp=16 on 2 x DGX H100 (8-GPU NVLink domains), batch 4: per layer two
    all-reduces of 4 x 8,192 x 2 B = 64 KiB; inside a board NVLS 1 x msg at 450 GB/s, across
    the boards 2(2-1)/2 x msg/8 per GPU over one 400 Gb/s NIC (50 GB/s)."""
    b = decode_bound("llama-3.1-70b", "dgx-h100", 8192, 4, 16, parallelism="tp=16")
    msg = 4 * 8192 * 2
    up, out = 2 * 80 * msg, 2 * 80 * msg / 8
    assert b.comm_out_bytes == pytest.approx(out, rel=1e-12)
    assert b.comm_bytes == pytest.approx(up + out, rel=1e-12)
    assert b.t_comm == pytest.approx(max(up / 450e9, out / 50e9), rel=1e-12)
    assert "8 chips per domain x 2 domains" in b.assumptions
    ring = decode_bound("llama-3.1-70b", "dgx-h100", 8192, 4, 16, parallelism="tp=16", collective="ring")
    assert ring.comm_bytes == pytest.approx(2 * 80 * 2 * 7 / 8 * msg + out, rel=1e-12)
    summed = decode_bound("llama-3.1-70b", "dgx-h100", 8192, 4, 16, parallelism="tp=16", overlap=False)
    assert summed.t_comm == pytest.approx(up / 450e9 + out / 50e9, rel=1e-12)


def test_expert_all_to_all_on_the_tier_it_runs_on():
    """DeepSeek-V3 tp=8, dp=2, ep=16 on 2 x DGX H100, batch 16: 8 tokens per replica; per MoE
    layer (58) dispatch + combine of k = 8 vectors of 7,168 x 2 B per token over the 8 TP ranks:
    7/16 of them stay in the board, 8/16 leave it."""
    b = decode_bound("deepseek-v3", "dgx-h100", 4096, 16, 16, parallelism="tp=8,dp=2,ep=16", precision="bf16")
    msg = 8 * 7168 * 2
    vol = 58 * 2 * 8 * msg / 8
    assert b.comm_out_bytes == pytest.approx(vol * 8 / 16, rel=1e-12)
    assert b.comm_bytes == pytest.approx(2 * 61 * msg + vol * 7 / 16 + vol * 8 / 16, rel=1e-12)
    assert "EP all-to-all (ep=16, balanced routing) on 8 chips per domain x 2 domains" in b.assumptions
    # inside one NVL72 rack the same layout never leaves the NVLink domain
    r = decode_bound("deepseek-v3", "gb200-nvl72", 4096, 16, 16, parallelism="tp=8,dp=2,ep=16", precision="bf16")
    assert r.comm_out_bytes == 0.0 and "EP all-to-all (ep=16, balanced routing) on scale-up" in r.assumptions


def test_best_case_routing_keeps_local_experts_at_home():
    """Best case: 256/16 = 16 experts per chip >= k = 8, so no token needs to leave its chip."""
    kw = dict(parallelism="tp=8,dp=2,ep=16", precision="bf16")
    best = decode_bound("deepseek-v3", "dgx-h100", 4096, 16, 16, routing="best-case", **kw)
    msg = 8 * 7168 * 2
    assert best.comm_out_bytes == 0.0 and best.comm_bytes == pytest.approx(2 * 61 * msg, rel=1e-12)
    assert best.unique_experts == 8 and "MoE routing best-case" in best.assumptions


def test_scale_out_unknown_raises_when_a_group_leaves_the_domain():
    with pytest.raises(NotPublishedError, match="scale-out"):
        decode_bound("llama-3.1-70b", "gb200-nvl72", 8192, 4, 144, parallelism="tp=8,cp=18")
    # dp alone sends nothing, so two racks of pure data parallel need no scale-out figure
    assert decode_bound("llama-3.1-8b", "gb200-nvl72", 8192, 144, 144, parallelism="dp=144").comm_bytes == 0


def test_system_defaults_and_names():
    b = decode_bound("deepseek-v3", "gb200-nvl72", 131072, weight_dtype="native")
    assert b.n_chips == 72 and b.system == "gb200-nvl72" and "in gb200-nvl72" in b.assumptions
    assert "in-network (NVLS) 1x msg" in b.assumptions and "MoE routing balanced" in b.assumptions
    f = a.fits("deepseek-v3", "gb200-nvl72", 131072, weight_dtype="native")
    assert f.n_chips == 72 and f.system == "gb200-nvl72" and f.parallelism == b.memory_parallelism
    assert a.fits("deepseek-v3", "cloudmatrix384", 131072, parallelism="tp=8,pp=2").n_chips == 16
    assert a.min_chips("deepseek-v3", "dgx-h100", 131072, weight_dtype="native").value is None  # 8 are too few
    d = a.Deployment("cloudmatrix384", dtypes="native")
    assert d.n_chips == 384 and d.system.id == "cloudmatrix384" and d.chip.id == "ascend-910c"
    assert resolve_hardware("GB200 NVL72")[1].id == "gb200-nvl72"  # the rack, not the chip alias
    assert resolve_hardware("h100")[1] is None
    with pytest.raises(UnknownHardwareError) as exc:
        resolve_hardware("cloudmatrix")
    assert "cloudmatrix384" in exc.value.suggestions
    with pytest.raises(a.UnknownChipError):  # still an UnknownChipError for old callers
        decode_bound("llama-3.1-8b", "nvl73", 1024)
    with pytest.raises(CommArgumentError, match="routing"):
        decode_bound("deepseek-v3", "gb200-nvl72", 1024, routing="worst")


def test_sweep_with_systems_equals_scalar_calls():
    df = a.sweep(["llama-3.1-70b", "qwen3-235b-a22b"], ["dgx-h100", "cloudmatrix384", "h200-sxm"], [8192],
                 [8, 64], [8, 16], precision="bf16")
    assert set(df["chip"]) == {"dgx-h100", "cloudmatrix384", "h200-sxm"}
    for _, row in df.iterrows():
        b = decode_bound(row["model"], row["chip"], 8192, int(row["batch"]), int(row["n_chips"]), precision="bf16",
                         parallelism=row["layout"])  # the sweep's layout: the one fits chooses
        assert row["time [s]"] == b.t and row["comm [B]"] == b.comm_bytes and row["comm_time [s]"] == b.t_comm


# --- properties ---------------------------------------------------------------------------------
_CASES = [("llama-3.1-70b", "tp=8"), ("llama-3.1-70b", "tp=16"), ("llama-3.1-70b", "tp=4,cp=4"),
          ("qwen3-235b-a22b", "tp=4,ep=4"), ("qwen3-235b-a22b", "tp=8,dp=2,ep=16"),
          ("deepseek-v3", "tp=8,pp=2,ep=8"), ("deepseek-v3", "tp=4,dp=4,ep=16")]
_HW = ["dgx-h100", "dgx-b200", "gb200-nvl72", "cloudmatrix384", "h200-sxm"]


@settings(max_examples=60, deadline=None)
@given(case=hs.sampled_from(_CASES), hw=hs.sampled_from(_HW), ctx=hs.integers(16, 200_000),
       batch=hs.integers(1, 512), prefill=hs.booleans())
def test_in_network_never_raises_the_comm_term(case, hw, ctx, batch, prefill):
    model, lay = case
    fn = prefill_bound if prefill else decode_bound
    kw = dict(parallelism=lay, precision="bf16")
    ring = fn(model, hw, ctx, batch, collective="ring", **kw)
    inn = fn(model, hw, ctx, batch, collective="in-network", **kw)
    auto = fn(model, hw, ctx, batch, **kw)
    assert inn.t_comm <= ring.t_comm * (1 + 1e-12) and inn.comm_bytes <= ring.comm_bytes * (1 + 1e-12)
    assert auto.t_comm <= ring.t_comm * (1 + 1e-12) and inn.t <= ring.t * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(case=hs.sampled_from(_CASES), hw=hs.sampled_from(_HW), ctx=hs.integers(16, 200_000),
       batch=hs.integers(1, 4096), prefill=hs.booleans())
def test_best_case_routing_never_slower_than_balanced(case, hw, ctx, batch, prefill):
    model, lay = case
    fn = prefill_bound if prefill else decode_bound
    kw = dict(parallelism=lay, precision="bf16")
    bal = fn(model, hw, ctx, batch, **kw)
    best = fn(model, hw, ctx, batch, routing="best-case", **kw)
    assert best.t <= bal.t * (1 + 1e-12)
    assert best.t_memory <= bal.t_memory * (1 + 1e-12) and best.t_comm <= bal.t_comm * (1 + 1e-12)
    assert best.unique_experts <= bal.unique_experts + 1e-9
