"""Decode and prefill bounds: worked numbers and invariants (operation costs: test_costs.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.hardware.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from accelspec.model.architecture import Model
from accelspec.model.catalog import get_model
from accelspec.perf.bounds import decode_bound, prefill_bound
from accelspec.testing import SOURCE


def spec(value, **kw):
    return {"value": value, "source": SOURCE, "status": "official", **kw}


def make_chip(peak=989.5e12, bw=3.35e12, link=450e9, chip_id="test-chip", peak_range=None, bw_range=None,
              link_range=None):
    def rng(r, unit):
        return {"range": [f"{r[0]!r} {unit}", f"{r[1]!r} {unit}"]} if r else {}

    rec = {
        "id": chip_id, "name": chip_id.upper(), "vendor": "Test",
        "compute": {"dense": {"bf16": spec(f"{peak!r} FLOP/s", **rng(peak_range, "FLOP/s")),
                              "fp8": spec(f"{2 * peak!r} FLOP/s",
                                          **rng(peak_range and [2 * x for x in peak_range], "FLOP/s"))}},
        "memory": {"bandwidth": spec(f"{bw!r} B/s", **rng(bw_range, "B/s"))},
    }
    if link is not None:
        rec["interconnect"] = {"scale_up": {"bandwidth": spec(f"{link!r} B/s", direction="per_direction",
                                                              **rng(link_range, "B/s"))}}
    return Chip.model_validate(rec)


TINY_TIED = Model(id="tiny-tied", name="Tiny tied", family="llama", n_layers=4, hidden_size=512, n_heads=8,
                  n_kv_heads=2, head_dim=64, vocab_size=32000, ffn_size=1536, tied_embeddings=True,
                  layer_types=("full",) * 4)

LLAMA = "llama-3.1-8b"
MOE = "qwen3-235b-a22b"


# --- worked numbers ---------------------------------------------------------------------------
def test_batch1_dense_decode_is_weights_plus_kv_over_bandwidth_tied():
    """Tied embeddings: every weight is read each step, so t = weight bytes / B + KV bytes / B."""
    chip = make_chip(bw=3.35e12)
    T = 8192
    b = decode_bound(TINY_TIED, chip, T)
    weights = TINY_TIED.weight_bytes("bf16").m_as("B")
    kv = TINY_TIED.kv_cache_bytes(T, 1, "bf16").m_as("B")
    assert b.limiter == "memory"
    assert b.t == pytest.approx(weights / 3.35e12 + kv / 3.35e12, rel=1e-14)
    assert b.time.m_as("s") == pytest.approx(b.t, rel=1e-14)


def test_llama_8b_decode_on_h200_worked():
    """Untied embeddings: the input table is a lookup, so one row is read, not the table:
    (16,060,522,496 - 128,256 x 4096 x 2 + 4096 x 2 + 4096 x 131,072) B / 4.8 TB/s = 3.2389 ms."""
    m = get_model(LLAMA)
    b = decode_bound(LLAMA, "h200-sxm", 4096)
    weights = m.weight_bytes("bf16").m_as("B")
    assert weights == 16_060_522_496
    table = 128_256 * 4096 * 2
    kv = 4096 * 131_072  # 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 B = 131,072 B/token
    assert m.kv_cache_per_token("bf16").m_as("B/token") == 131_072
    expected = (weights - table + 4096 * 2 + kv) / 4.8e12
    assert b.t == pytest.approx(expected, rel=1e-14)
    assert round(b.time.m_as("ms"), 4) == 3.2389
    assert b.limiter == "memory"
    assert b.tokens_per_s_per_user.m_as("token/s") == pytest.approx(1 / expected)
    assert b.intensity.units == a.ureg.Unit("FLOP/B")
    assert "\n" not in b.explain() and "memory-bound" in b.explain()


def test_prefill_flops_worked():
    m = get_model(LLAMA)
    S, B = 2048, 2
    b = prefill_bound(LLAMA, "h100-sxm", S, B)
    d, V, L, H, hd = 4096, 128_256, 32, 32, 128
    norms = (2 * L + 1) * d  # elementwise, not matmuls
    linear = 2 * (m.params_active() - V * d - norms)  # 2 FLOP per active matmul parameter but the head
    attn = 4 * H * hd * L * S * (S + 1) / 2  # causal: S(S+1)/2 query-key pairs per layer
    flops = B * S * linear + B * 2 * V * d + B * attn
    assert b.flops == pytest.approx(flops, rel=1e-12)
    assert b.limiter == "compute"
    assert b.t == pytest.approx(flops / 989.5e12, rel=1e-12)
    assert b.tokens_per_s_per_chip.m == pytest.approx(B * S / b.t)




# --- MoE ------------------------------------------------------------------------------------------


def test_moe_decode_reads_the_union_of_experts():
    m = get_model(MOE)
    lp = m.layer_params()
    E, k = m.moe.n_routed_experts, m.moe.experts_per_token
    one_expert_all_layers = lp["experts"].sum() / E * 2  # bf16
    b1 = decode_bound(MOE, "h200-sxm", 1024, 1)
    b16 = decode_bound(MOE, "h200-sxm", 1024, 16)
    kv = m.kv_cache_bytes(1024, 1, "bf16").m_as("B")
    d = (b16.bytes - 16 * kv) - (b1.bytes - kv)
    U16 = E * (1 - (1 - k / E) ** 16)
    rows = 15 * m.hidden_size * 2  # 15 more embedding rows
    assert d == pytest.approx((U16 - k) * one_expert_all_layers + rows, rel=1e-9)
    assert b1.unique_experts == pytest.approx(k) and b16.unique_experts == pytest.approx(U16)
    # batch 1 reads the active weights: never less than active params x 2 B / bandwidth
    assert b1.t >= m.params_active() * 2 / 4.8e12




def test_sliding_window_and_linear_state_traffic():
    oss = get_model("gpt-oss-120b")
    for T in (100, 128, 5000):
        b = decode_bound(oss, "h200-sxm", T, 3)
        b_small = decode_bound(oss, "h200-sxm", 1, 3)
        kv = oss.kv_cache_bytes(T, 3, "bf16").m_as("B") - oss.kv_cache_bytes(1, 3, "bf16").m_as("B")
        assert b.bytes - b_small.bytes == pytest.approx(kv, rel=1e-12)
    nxt = get_model("qwen3-next-80b-a3b")
    b = decode_bound(nxt, "h200-sxm", 10, 2)
    b2 = decode_bound(nxt, "h200-sxm", 20, 2)
    per_tok = nxt.kv_cache_per_token("bf16").m_as("B/token")
    assert b2.bytes - b.bytes == pytest.approx(2 * 10 * per_tok, rel=1e-12)
    state = nxt.linear_state_bytes(2, "bf16").m_as("B")
    assert state > 0
    fp32 = decode_bound(nxt, "h200-sxm", 10, 2, state_dtype="fp32")
    assert fp32.bytes - b.bytes == pytest.approx(2 * state, rel=1e-12)  # read + write, twice the bytes each


# --- tensor parallel, overlap, efficiencies -----------------------------------------------------
def test_tensor_parallel_allreduce_bytes():
    m = get_model(LLAMA)
    n, B = 8, 32
    b = decode_bound(LLAMA, "h200-sxm", 4096, B, n, collective="ring")
    msg = B * m.hidden_size * 2
    assert b.comm_bytes == pytest.approx(2 * m.n_layers * 2 * (n - 1) / n * msg, rel=1e-14)
    assert b.t_comm == pytest.approx(b.comm_bytes / 450e9, rel=1e-14)
    # H200's NVSwitch reduces in-network (hgx-h200 record): the default moves 1 x msg per all-reduce
    nvls = decode_bound(LLAMA, "h200-sxm", 4096, B, n)
    assert nvls.comm_bytes == pytest.approx(2 * m.n_layers * msg, rel=1e-14)
    assert "in-network (NVLS) 1x msg" in nvls.assumptions and "hgx-h200" in nvls.assumptions
    assert decode_bound(LLAMA, "h200-sxm", 4096, B, 1).comm_bytes == 0
    one = decode_bound(LLAMA, "h200-sxm", 4096, B, 1)
    assert b.layout == "tp=8"  # the layout fits chooses: 8 KV heads, one per chip
    # norms (2 per layer + the final one, 4096 bf16 each) are replicated on every TP rank
    norms = (32 * 2 + 1) * 4096 * 2
    assert b.t_memory == pytest.approx((one.bytes - norms) / n / 4.8e12 + norms / 4.8e12, rel=1e-12)
    with pytest.raises(NotPublishedError, match="interconnect"):
        decode_bound(LLAMA, make_chip(link=None), 4096, 1, 2)
    decode_bound(LLAMA, make_chip(link=None), 4096, 1, 1)  # one chip needs no link


def test_interconnect_limited_and_overlap_false():
    chip = make_chip(link=1e9)  # a very slow link
    b = decode_bound(LLAMA, chip, 1024, 64, 8, parallelism="tp=8")
    assert b.limiter == "interconnect"
    s = decode_bound(LLAMA, chip, 1024, 64, 8, overlap=False, parallelism="tp=8")
    assert s.t == pytest.approx(b.t_compute + b.t_memory + b.t_comm, rel=1e-14)
    assert s.t >= b.t


def test_efficiencies():
    full = decode_bound(LLAMA, "h200-sxm", 4096)
    half = decode_bound(LLAMA, "h200-sxm", 4096, bandwidth_efficiency=0.5, compute_efficiency=0.5)
    assert half.t == pytest.approx(2 * full.t, rel=1e-14)
    assert "0.5" not in full.explain()
    with pytest.raises(ValueError, match="efficiency"):
        decode_bound(LLAMA, "h200-sxm", 4096, link_efficiency=0)


# --- invariants (hypothesis) ----------------------------------------------------------------------
MODELS = [LLAMA, MOE, "gpt-oss-120b", "qwen3-next-80b-a3b", "deepseek-v3"]


@settings(max_examples=60, deadline=None)
@given(mid=st.sampled_from(MODELS), bw1=st.floats(1e11, 2e13), f=st.floats(1.0, 10.0),
       T=st.integers(1, 200_000), B=st.integers(1, 1024), n=st.sampled_from([1, 2, 8]))
def test_decode_bound_falls_as_bandwidth_rises(mid, bw1, f, T, B, n):
    lo = decode_bound(mid, make_chip(bw=bw1), T, B, n)
    hi = decode_bound(mid, make_chip(bw=bw1 * f), T, B, n)
    assert hi.t <= lo.t
    assert hi.tokens_per_s_per_chip.m >= lo.tokens_per_s_per_chip.m


@settings(max_examples=60, deadline=None)
@given(mid=st.sampled_from(MODELS), bw=st.floats(1e11, 2e13), peak=st.floats(1e13, 5e15), T=st.integers(1, 500_000))
def test_batch1_decode_never_below_weights_over_bandwidth(mid, bw, peak, T):
    m = get_model(mid)
    b = decode_bound(m, make_chip(peak=peak, bw=bw), T, 1, weight_dtype="bf16")  # the oracle counts 2 B/param
    assert b.t >= m.params_active() * 2 / bw * (1 - 1e-12)
    assert b.t >= (m.params_active() * 2 + m.kv_cache_bytes(T, 1, "bf16").m_as("B")) / bw * (1 - 1e-12)


@settings(max_examples=80, deadline=None)
@given(u=st.floats(0, 1), v=st.floats(0, 1), w=st.floats(0, 1), mid=st.sampled_from(MODELS),
       phase=st.sampled_from(["decode", "prefill"]), T=st.integers(1, 100_000), B=st.integers(1, 256),
       n=st.sampled_from([1, 4]), overlap=st.booleans())
def test_bound_ranges_are_sound(u, v, w, mid, phase, T, B, n, overlap):
    ranged = make_chip(peak=900e12, bw=3e12, link=300e9, peak_range=(800e12, 1000e12), bw_range=(2.5e12, 3.5e12),
                       link_range=(150e9, 600e9))
    point = make_chip(peak=800e12 + u * 200e12, bw=2.5e12 + v * 1e12, link=150e9 + w * 450e9)
    fn = decode_bound if phase == "decode" else prefill_bound
    r = fn(mid, ranged, T, B, n, overlap=overlap)
    p = fn(mid, point, T, B, n, overlap=overlap)
    assert r.t_low * (1 - 1e-12) <= p.t <= r.t_high * (1 + 1e-12)
    assert r.t_low <= r.t <= r.t_high
    lo, hi = r.tokens_per_s_per_chip_range
    assert lo.m * (1 - 1e-12) <= p.tokens_per_s_per_chip.m <= hi.m * (1 + 1e-12)


def test_unspecified_link_direction_gives_range_of_bounds():
    rec = {"id": "icn", "name": "ICN", "vendor": "T",
           "compute": {"dense": {"bf16": spec("300 TFLOPS")}},
           "memory": {"bandwidth": spec("2 TB/s")},
           "interconnect": {"scale_up": {"bandwidth": spec("700 GB/s", direction="unspecified")}}}
    chip = Chip.model_validate(rec)
    b = decode_bound(LLAMA, chip, 1024, 256, 8, link_efficiency=0.01, parallelism="tp=8")
    assert b.limiter == "interconnect"
    assert b.t_high == pytest.approx(b.comm_bytes / (350e9 * 0.01))
    assert b.t_low == pytest.approx(max(b.comm_bytes / (700e9 * 0.01), b.t_memory, b.t_compute))
    assert "range" in b.explain()


# --- bad input --------------------------------------------------------------------------------
def test_precision_not_published_lists_what_exists():
    with pytest.raises(UnsupportedPrecisionError, match=r"fp8 peak is not supported.*bf16"):
        decode_bound(LLAMA, "a100-sxm", 1024, weight_dtype="fp8")
    b = decode_bound(LLAMA, "h100-sxm", 1024, weight_dtype="fp8")
    assert str(b.precision) == "fp8" and b.dtypes.kv.name == "bf16"  # W8A8 GEMMs, bf16 cache (as fits())
    assert decode_bound(LLAMA, "h100-sxm", 1024, weight_dtype="fp8", kv_dtype="fp8").bytes < b.bytes
    w4 = decode_bound(LLAMA, "a100-sxm", 1024, weight_dtype="int4")  # W4A16 runs in bf16
    assert str(w4.precision) == "bf16" and w4.dtypes.kv.name == "bf16"
    with pytest.raises(UnsupportedPrecisionError, match="published dense precisions: none"):
        decode_bound(LLAMA, "zhenwu-m890", 1024)  # T-Head publishes neither peak nor bandwidth
    no_bw = Chip.model_validate({"id": "no-bw", "name": "No BW", "vendor": "T",
                                 "compute": {"dense": {"bf16": spec("100 TFLOPS")}}})
    with pytest.raises(NotPublishedError, match="memory bandwidth"):
        decode_bound(LLAMA, no_bw, 1024)


@pytest.mark.parametrize("kw,exc", [({"context_tokens": 0}, ValueError), ({"batch": -1}, ValueError),
                                    ({"batch": 1.5}, TypeError), ({"n_chips": "2"}, TypeError)])
def test_bad_counts(kw, exc):
    args = {"context_tokens": 1024, "batch": 1, "n_chips": 1, **kw}
    with pytest.raises(exc):
        decode_bound(LLAMA, "h200-sxm", **args)


def test_quantities_and_ranges_on_result():
    b = decode_bound(MOE, "h200-sxm", 32768, 8, 8)
    assert b.time.units == a.ureg.Unit("ms")
    assert b.tokens_per_s_per_chip.units == a.ureg.Unit("token/s")
    assert b.step_bytes.m_as("B") == pytest.approx(b.bytes)
    assert b.step_flops.m_as("FLOP") == pytest.approx(b.flops)
    assert b.ridge_point.m_as("FLOP/B") == pytest.approx(989.5 / 4.8)
    assert math.isclose(b.time_range[0].m, b.time.m) and math.isclose(b.time_range[1].m, b.time.m)
    assert b.time_to_first_token == b.time


# --- parallel layouts: the same deployment as fits ----------------------------------------------
def test_llama_8b_h100_batch1_4k_worked():
    """Llama-3.1-8B bf16 on one H100 SXM (3.35 TB/s), batch 1, 4,096 tokens: weights
    16,060,522,496 B, of which the 128,256 x 4,096 x 2 B input table is a lookup (one row
    read), plus KV 131,072 B/token x 4,096 = 536,870,912 B:
    (16,060,522,496 - 1,050,673,152 + 8,192 + 536,870,912) B / 3.35 TB/s = 4.6408 ms.
    (Reading the whole table too would give 16.06 GB + 0.537 GB / 3.35 TB/s = 4.954 ms.)"""
    b = decode_bound(LLAMA, "h100-sxm", 4096)
    assert b.bytes == 15_546_728_448
    assert b.t == pytest.approx(15_546_728_448 / 3.35e12, rel=1e-14)
    assert round(b.time.m_as("ms"), 4) == 4.6408
    assert b.layout == "single chip" and "weights bf16 (checkpoint), KV bf16" in b.assumptions


def test_pipeline_batch1_equals_single_chip_time():
    """Two stages walked in turn, each reading half the layers: the memory times add up to the
    one-chip time; the hand-off between stages (4,096 x 2 B = 8 kB over 450 GB/s, 18 ns) is
    hidden under the stage's memory time."""
    one = decode_bound(LLAMA, "h100-sxm", 4096)
    pp2 = decode_bound(LLAMA, "h100-sxm", 4096, parallelism="tp=1,pp=2")
    assert pp2.n_chips == 2 and pp2.layout == "pp=2"
    assert pp2.t == pytest.approx(one.t, rel=1e-12)
    assert pp2.bytes == pytest.approx(one.bytes, rel=1e-12)
    assert pp2.comm_bytes == 4096 * 2
    assert pp2.tokens_per_s_per_chip.m == pytest.approx(one.tokens_per_s_per_chip.m / 2, rel=1e-12)
    assert "pp=2" in str(pp2) and "Assumed: 2 x H100 SXM (pp=2)" in str(pp2)


def test_data_and_context_parallel_worked():
    m = get_model(LLAMA)
    # dp=2: each replica serves 4 of the 8 sequences -> the one-chip time at batch 4
    dp = decode_bound(LLAMA, "h200-sxm", 4096, 8, parallelism="dp=2")
    assert dp.t == pytest.approx(decode_bound(LLAMA, "h200-sxm", 4096, 4).t, rel=1e-14)
    assert dp.tokens_per_s_per_chip.m == pytest.approx(8 / 2 / dp.t)
    # cp=2 at 8,192 tokens: every chip reads all weights (replicated) and half the KV cache
    cp = decode_bound(LLAMA, "h200-sxm", 8192, parallelism="cp=2")
    weights = m.weight_bytes("bf16").m_as("B") - 128_256 * 4096 * 2 + 4096 * 2
    assert cp.t_memory == pytest.approx((weights + 131_072 * 4096) / 4.8e12, rel=1e-12)


def test_mla_latent_replicated_over_tp_as_in_memory_footprint():
    """DeepSeek-V3's latent (512 + 64) x 61 layers x 2 B = 70,272 B/token is read in full by
    every TP rank, as memory_footprint stores it on every rank."""
    assert get_model("deepseek-v3").kv_cache_per_token("bf16").m_as("B/token") == 70_272
    b1 = decode_bound("deepseek-v3", "h200-sxm", 32_768, parallelism="tp=8")
    b2 = decode_bound("deepseek-v3", "h200-sxm", 65_536, parallelism="tp=8")
    assert (b2.t_memory - b1.t_memory) * 4.8e12 == pytest.approx(70_272 * 32_768, rel=1e-9)
    fp = a.memory_footprint("deepseek-v3", 32_768, parallelism="tp=8", n_chips=8)
    assert fp.kv_cache.m_as("B") == pytest.approx(70_272 * 32_768)


def test_expert_parallel_all_to_all_worked():
    """Qwen3-235B-A22B, tp=8 with ep=8, batch 8: per chip 2 all-reduces x 94 layers x
    2 x 7/8 x (8 x 4,096 x 2 B) plus, per MoE layer, dispatch + combine of k = 8 hidden
    vectors per token, 7/8 of them leaving the chip, the tokens split over the 8 TP ranks."""
    b = decode_bound(MOE, "h200-sxm", 4096, 8, parallelism="tp=8,ep=8", collective="ring")
    msg = 8 * 4096 * 2
    assert b.comm_bytes == pytest.approx(2 * 94 * 2 * 7 / 8 * msg + 94 * 2 * 7 / 8 * 8 * msg / 8, rel=1e-12)
    # in-network all-reduce (1 x msg); the all-to-all has no reduction and stays as it is
    b = decode_bound(MOE, "h200-sxm", 4096, 8, parallelism="tp=8,ep=8")
    assert b.comm_bytes == pytest.approx(2 * 94 * msg + 94 * 2 * 7 / 8 * 8 * msg / 8, rel=1e-12)


def test_deepseek_6x_h200_1m_same_layout_as_fits():
    f = a.fits("deepseek-v3", "h200", 1_000_000, n_chips=6, weight_dtype="native")
    b = decode_bound("deepseek-v3", "h200", 1_000_000, n_chips=6, weight_dtype="native")
    assert f.parallelism == b.memory_parallelism
    assert b.memory_layout == "pp=6" and "(pp=6)" in str(f) and "memory fit's layout pp=6" in str(b)
    assert "weights fp8" in b.assumptions and "embeddings bf16" in b.assumptions
    p = a.prefill_bound("deepseek-v3", "h200", 8192, n_chips=6, weight_dtype="native")
    assert p.memory_parallelism == a.fits("deepseek-v3", "h200", 8192, n_chips=6, weight_dtype="native").parallelism


def test_layout_arguments():
    from accelspec.perf.memory import InvalidArgumentError, Parallelism

    assert decode_bound(LLAMA, "h200-sxm", 1024, parallelism=Parallelism(tp=2, pp=2)).n_chips == 4
    assert decode_bound(LLAMA, "h200-sxm", 1024, parallelism={"tp": 4}).layout == "tp=4"
    assert decode_bound(LLAMA, "h200-sxm", 1024, 1, 4, parallelism="pp").layout == "pp=4"
    with pytest.raises(InvalidArgumentError, match="n_chips"):
        decode_bound(LLAMA, "h200-sxm", 1024, 1, 8, parallelism="tp=4")
    with pytest.raises(InvalidArgumentError, match="heads"):
        decode_bound(LLAMA, "h200-sxm", 1024, parallelism="tp=3")
    with pytest.raises(InvalidArgumentError, match="cp=4"):
        decode_bound(LLAMA, "h200-sxm", 2, parallelism="cp=4")


# --- the checkpoint's own formats by default (issue 10) ------------------------------------------
def test_default_weights_are_the_checkpoint_format_gpt_oss_worked():
    """gpt-oss-120b ships its routed experts in MXFP4 (4 bits + one 8-bit scale per 32:
    4.25 bits) and the rest in bf16. At batch 1 a decode step reads k = 4 of 128 experts in
    each of 36 layers; one expert is gate_up 2880 x 5760 + 5760 bias and down 2880 x 2880
    + 2880 bias = 24,891,840 parameters, so the default reads
    36 x 4 x 24,891,840 x (2 - 4.25/8) B = 5,264,624,160 B less than the bf16 override."""
    native = decode_bound("gpt-oss-120b", "h100-sxm", 131_072)
    bf16 = decode_bound("gpt-oss-120b", "h100-sxm", 131_072, weight_dtype="bf16")
    assert bf16.bytes - native.bytes == pytest.approx(36 * 4 * 24_891_840 * (2 - 4.25 / 8), rel=1e-12)
    assert "weights bf16, experts mxfp4 (checkpoint)" in native.assumptions
    assert str(native.precision) == "bf16"  # the dense part is bf16; mxfp4 experts run as w4a16
    assert native.t == decode_bound("gpt-oss-120b", "h100-sxm", 131_072, weight_dtype="native").t


def test_fp8_checkpoint_on_a_chip_without_fp8_computes_bf16_and_says_so():
    """DeepSeek-V3 is fp8 (128x128 blocks): fp8 GEMMs on an H200; the Ascend 910C publishes no
    fp8, so its bound computes in bf16 with the weights still read as fp8 (same bytes)."""
    h200 = decode_bound("deepseek-v3", "h200", 8192, 1, 16)
    ascend = decode_bound("deepseek-v3", "ascend-910c", 8192, 1, 16)
    assert str(h200.precision) == "fp8" and str(ascend.precision) == "bf16"
    assert "weights fp8-b128x128, embeddings bf16 (checkpoint)" in ascend.assumptions
    assert "compute bf16 (Ascend 910C has no fp8, so the weights are upcast)" in ascend.assumptions
    same = decode_bound("deepseek-v3", "ascend-910c", 8192, 1, 16, weight_dtype="native", precision="bf16")
    assert ascend.t == same.t and ascend.bytes == same.bytes
    with pytest.raises(UnsupportedPrecisionError):  # an explicit format the chip lacks still raises
        decode_bound("deepseek-v3", "ascend-910c", 8192, 1, 16, precision="fp8")
    with pytest.raises(UnsupportedPrecisionError):
        decode_bound("deepseek-v3", "ascend-910c", 8192, 1, 16, weight_dtype="fp8")


def test_model_without_a_recorded_format_is_assumed_bf16():
    b = decode_bound(TINY_TIED, make_chip(), 1024)
    assert "weights bf16 (assumed)" in b.assumptions
    assert b.bytes == decode_bound(TINY_TIED, make_chip(), 1024, weight_dtype="bf16").bytes


# --- the default bound: the minimum over layouts (issue 22) ---------------------------------------
def test_deepseek_prefill_8x_h200_fastest_layout():
    """DeepSeek-V3 prefill, 64 prompts of 2,048 tokens on 8 x H200: the memory fit prefers
    tp=2,pp=4; the bound is the fastest layout that fits, no slower than expert parallel
    over all 8 (attention dp=8, 0.63 s: compute-bound, 2 x 37B x 131k tokens / 8 x 1,979 TFLOP/s)."""
    b = prefill_bound("deepseek-v3", "h200", context_tokens=2048, batch=64, n_chips=8)
    ep8 = prefill_bound("deepseek-v3", "h200", context_tokens=2048, batch=64, n_chips=8, parallelism="ep")
    mem = prefill_bound("deepseek-v3", "h200", context_tokens=2048, batch=64, n_chips=8, parallelism="tp=2,pp=4")
    assert ep8.layout == "ep=8,dp=8" and ep8.t == pytest.approx(0.6335, rel=1e-3)
    assert b.t <= ep8.t * (1 + 1e-12) and b.t <= mem.t
    assert b.memory_layout == "tp=2,pp=4" and b.memory_layout_t == mem.t
    assert b.memory_parallelism == a.fits("deepseek-v3", "h200", 2048, 64, n_chips=8).parallelism
    assert "layout: fastest that fits in memory of" in b.assumptions and "layout: fastest" in str(b)
    assert f"the memory fit's layout tp=2,pp=4 gives >= {mem.t * 1e3:.4g} ms" in b.assumptions
    assert b.layout in b.search_note


def test_given_layout_gives_that_layouts_bound():
    b = decode_bound("deepseek-v3", "h200", 2048, 64, 8, parallelism="tp=2,pp=4")
    assert b.layout == "tp=2,pp=4" and b.memory_parallelism is None and b.memory_layout == ""
    assert b.memory_layout_time is None and "fastest" not in b.assumptions
    one = decode_bound(LLAMA, "h200-sxm", 4096, 8)  # one chip: nothing to search
    assert one.memory_parallelism is None and one.search_note == ""


def test_pipeline_is_micro_batched():
    """PP does not serialize the batch: t = max(slowest stage on the whole batch, one sequence
    through every stage); with one sequence (decode) that is the serialized walk."""
    from accelspec.perf.bounds import layout_numbers, layout_times

    ln = layout_numbers(LLAMA, a.Parallelism(pp=4))
    serial = layout_times(ln, "decode", 4096.0, 1.0, 989.5e12, 4.8e12, 450e9)[3]
    b1 = decode_bound(LLAMA, "h200-sxm", 4096, 1, parallelism="pp=4")
    assert b1.t == pytest.approx(serial, rel=1e-14)
    p = prefill_bound(LLAMA, "h200-sxm", 4096, 16, parallelism="pp=4")
    serial_p = layout_times(ln, "prefill", 4096.0, 16.0, 989.5e12, 4.8e12, 450e9)[3]
    assert p.limiter == "compute" and p.t < serial_p / 3  # about a quarter: the stages work in parallel


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["llama-3.1-70b", "qwen3-235b-a22b", "deepseek-v3", "gpt-oss-120b"]),
       st.sampled_from(["h100-sxm", "h200-sxm", "b200"]), st.sampled_from([2, 4, 8]),
       st.sampled_from([512, 4096, 32768]), st.sampled_from([1, 8, 64]), st.sampled_from(["decode", "prefill"]))
def test_min_over_layouts_never_above_a_layout(model, chip, n, ctx, batch, phase):
    from accelspec.perf.memory import layouts

    fn = decode_bound if phase == "decode" else prefill_bound
    b = fn(model, chip, ctx, batch, n)
    m = get_model(model)
    for lay in layouts(m, n, every_ep=True):
        if lay.cp > ctx or (lay.dp > 1 and lay.dp > batch):
            continue
        if not a.fits(m, chip, ctx, batch, parallelism=lay):
            continue
        assert b.t <= fn(model, chip, ctx, batch, parallelism=lay).t * (1 + 1e-12), lay
    if b.memory_parallelism is not None:
        assert b.t <= b.memory_layout_t * (1 + 1e-12)


@pytest.mark.parametrize("model,n,phase,routing", [("deepseek-v3", 8, "prefill", "balanced"),
                                                   ("qwen3-235b-a22b", 16, "decode", "best-case"),
                                                   ("llama-3.1-70b", 12, "decode", "balanced")])
def test_layout_table_equals_layout_times(model, n, phase, routing):
    """The vectorized scoring of the layout search is the scalar layout_times, layout by layout."""
    from accelspec.perf.bounds import layout_numbers, layout_times, search_table

    m = get_model(model)
    tab = search_table(m, n, "native", {})
    roofs = (989.5e12, 4.8e12, 450e9, 50e9)
    for T, B in ((4096, 8), (100, 1)):
        got = tab.times(phase, float(T), float(B), roofs, True, routing, 4.0, True)
        for lay, t in zip(tab.cands, got, strict=True):
            want = layout_times(layout_numbers(m, lay), phase, float(T), float(B), *roofs[:3], link_out=roofs[3],
                                domain=4.0, in_network=True, routing=routing, microbatch=True)[3]
            assert t == pytest.approx(float(want), rel=1e-12), lay


def test_layout_phrase():
    from accelspec.perf.bounds import layout_phrase

    assert layout_phrase(a.Parallelism(dp=8, ep=8)) == "ep=8,dp=8 (attention dp=8 x expert ep=8)"
    assert layout_phrase(a.Parallelism(tp=4, ep=2)) == "tp=4,ep=2 (experts split tp=2 x ep=2)"
    assert layout_phrase(a.Parallelism(tp=8, ep=8)) == "tp=8,ep=8" and layout_phrase(a.Parallelism()) == "single chip"


@pytest.mark.parametrize("model", ["deepseek-v3", "llama-3.1-70b"])
@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_layout_table_scores_repeated_candidates_at_their_own_batch_as_the_scalar_kernel(model, phase):
    # take() repeats candidates (one per chip and layout pair) with a batch per row; identical
    # pipeline stages share a row counted `mult` times: the micro-batched layout_times, term by term
    import numpy as np

    from accelspec.model.catalog import get_model
    from accelspec.perf.bounds import layout_numbers, layout_table, layout_times
    from accelspec.perf.memory import layouts

    m = get_model(model)
    lays = layouts(m, 16, every_ep=True)
    tab = layout_table(m, lays, "native", {})
    assert tab.size.sum() < sum(len(layout_numbers(m, x, "native").stages) for x in lays)  # stages shared
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(lays), 40)
    B = rng.integers(1, 3000, 40).astype(float)
    sub = tab.take(idx)
    roofs = (2.0e15, 8.0e12, 9.0e11, math.nan)
    args = (roofs, True, "balanced", math.inf, False)
    got = sub.combine(sub.stage_times(phase, 3000.0, B[sub.row_of], *args), sub.fill(phase, 3000.0, *args))
    for j, c in enumerate(idx):
        ln = layout_numbers(m, lays[c], "native")
        want = layout_times(ln, phase, 3000.0, B[j], *roofs[:3], True, microbatch=True)
        for g, w in zip(got, want[:4], strict=True):
            assert g[j] == pytest.approx(float(w), rel=1e-12)
