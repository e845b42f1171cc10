"""Request-level bounds (accelspec.perf.request): worked numbers and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.errors import AccelspecError
from accelspec.hardware.chip import Chip
from accelspec.model.architecture import Model
from accelspec.perf.bounds import decode_bound, prefill_bound
from accelspec.perf.request import request_bound
from accelspec.testing import SOURCE


def _spec(value):
    return {"value": value, "source": SOURCE, "status": "official"}


def make_chip(peak: float, bw: float, link: float = 100e9) -> Chip:
    return Chip.model_validate({
        "id": "req-chip", "name": "REQ-CHIP", "vendor": "Test",
        "compute": {"dense": {"bf16": _spec(f"{peak!r} FLOP/s")}},
        "memory": {"bandwidth": _spec(f"{bw!r} B/s")},
        "interconnect": {"scale_up": {"bandwidth": {**_spec(f"{link!r} B/s"), "direction": "per_direction"}}},
    })


# 4 layers, d 512, 8 heads of 64, 2 KV heads, FFN 1536, vocab 32000, tied embeddings.
TINY = Model(id="tiny-tied", name="Tiny tied", family="llama", n_layers=4, hidden_size=512, n_heads=8,
             n_kv_heads=2, head_dim=64, vocab_size=32000, ffn_size=1536, tied_embeddings=True,
             layer_types=("full",) * 4)

# Hand-counted (not from the code under test):
#   per layer: q 512*512 + k 512*128 + v 512*128 + o 512*512 = 655,360; MLP 3*512*1536 = 2,359,296;
#   norms 2*512 = 1,024  ->  3,015,680; 4 layers 12,062,720; embedding 32000*512 = 16,384,000; final norm 512
#   total 28,447,232 params = 56,894,464 B in bf16 (tied: the head read is the embedding read).
WEIGHT_BYTES = 56_894_464
KV_PER_TOKEN = 2 * 4 * 2 * 64 * 2  # K and V, 4 layers, 2 KV heads, head dim 64, 2 B = 2,048 B
FLOPS_PER_TOKEN = 2 * 4 * (655_360 + 2_359_296)  # linear layers: 24,117,248
HEAD_FLOPS = 2 * 32000 * 512  # 32,768,000 per sequence (last token)
PAIR_FLOPS = 4 * 8 * 64 * 4  # QK^T and PV, 8 heads of 64, 4 layers: 8,192 per (query, key) pair


def test_worked_static_request_tiny_model():
    """S=1000 in, O=101 out, batch 1, on a chip with 100 TFLOP/s and 1 TB/s."""
    chip = make_chip(peak=1e14, bw=1e12)
    r = request_bound(TINY, chip, 1000, 101)
    # prefill: FLOPs 1000*24,117,248 + 32,768,000 + 8,192 * 1000*1001/2 = 28,250,112,000 -> 282.50112 us
    # (its memory: weights + 1000 tokens of KV = 58,942,464 B -> 58.94 us, below)
    assert r.time_to_first_token.m_as("s") == pytest.approx(28_250_112_000 / 1e14, rel=1e-12)
    assert r.prefill_limiter == "compute"
    # decode: 100 steps at contexts 1001..1100, each memory-bound: (weights + 2048 c) / 1e12
    decode = (100 * WEIGHT_BYTES + KV_PER_TOKEN * sum(range(1001, 1101))) / 1e12  # 5.9045888 ms
    assert decode == pytest.approx(5.9045888e-3, rel=1e-12)
    assert r.decode_time.m_as("s") == pytest.approx(decode, rel=1e-12)
    assert r.time_per_output_token.m_as("ms") == pytest.approx(decode / 100 * 1e3, rel=1e-12)
    assert r.limiter == "memory"
    e2e = 282.50112e-6 + 5.9045888e-3  # 6.18708992 ms
    assert r.end_to_end_latency.m_as("s") == pytest.approx(e2e, rel=1e-12)
    assert r.output_tokens_per_s_per_user.m_as("token/s") == pytest.approx(101 / e2e, rel=1e-12)
    assert r.output_tokens_per_s_per_chip.m_as("token/s") == pytest.approx(101 / e2e, rel=1e-12)
    assert "1 token per step (no speculative decoding / MTP assumed)" in r.explain()
    assert str(r) == r.explain()
    assert "static batch of 1" in r.assumptions


def test_worked_steady_state_tiny_model():
    """Concurrency 10, S=1000, O=101: contexts spread over 1001..1100 (mean 1050.5); 10/100 = 0.1
    prompts prefilled per round."""
    mem = WEIGHT_BYTES + 10 * KV_PER_TOKEN * 1050.5  # 78,408,704 B
    flops = 10 * (FLOPS_PER_TOKEN + HEAD_FLOPS + PAIR_FLOPS * 1050.5) + 0.1 * 28_250_112_000  # 3,479,920,640
    assert mem == 78_408_704 and flops == pytest.approx(3_479_920_640)
    # memory-bound at 100 TFLOP/s: round 78.408704 us
    r = request_bound(TINY, make_chip(peak=1e14, bw=1e12), 1000, 101, mode="steady", concurrency=10)
    t = mem / 1e12
    assert r.time_per_output_token.m_as("s") == pytest.approx(t, rel=1e-12)
    assert r.output_tokens_per_s_per_chip.m_as("token/s") == pytest.approx(10 * 101 / (100 * t), rel=1e-12)
    assert r.decode_tokens_per_s_per_user.m_as("token/s") == pytest.approx(1 / t, rel=1e-12)
    assert r.time_to_first_token.m_as("s") == pytest.approx(28_250_112_000 / 1e14, rel=1e-12)  # prompt alone
    assert r.end_to_end_latency.m_as("s") == pytest.approx(28_250_112_000 / 1e14 + 100 * t, rel=1e-12)
    # compute-bound at 10 TFLOP/s: the prefill share dominates, 347.992064 us
    r = request_bound(TINY, make_chip(peak=1e13, bw=1e12), 1000, 101, mode="steady", concurrency=10)
    assert r.time_per_output_token.m_as("s") == pytest.approx(flops / 1e13, rel=1e-12)
    assert r.limiter == "compute"
    assert "steady state at concurrency 10" in r.assumptions


def test_worked_speculative_steps():
    """a = 2.5 accepted tokens per step: (101 - 1) / 2.5 = 40 steps at contexts 1001..1040."""
    chip = make_chip(peak=1e14, bw=1e12)
    r = request_bound(TINY, chip, 1000, 101, accepted_tokens_per_step=2.5)
    decode = (40 * WEIGHT_BYTES + KV_PER_TOKEN * sum(range(1001, 1041))) / 1e12
    assert r.decode_time.m_as("s") == pytest.approx(decode, rel=1e-12)
    assert r.decode_steps == 40
    assert "2.5 accepted tokens per step" in r.explain()
    # a = 3: 33.33 steps: 33 whole at 1001..1033 and a third of one at 1034
    r3 = request_bound(TINY, chip, 1000, 101, accepted_tokens_per_step=3)
    d3 = (sum(WEIGHT_BYTES + KV_PER_TOKEN * c for c in range(1001, 1034))
          + (100 / 3 - 33) * (WEIGHT_BYTES + KV_PER_TOKEN * 1034)) / 1e12
    assert r3.decode_time.m_as("s") == pytest.approx(d3, rel=1e-12)


def test_one_output_token_is_prefill_only():
    chip = make_chip(peak=1e14, bw=1e12)
    r = request_bound(TINY, chip, 1000, 1)
    assert r.time_per_output_token is None and r.decode_time.m == 0
    assert r.end_to_end_latency.m_as("s") == pytest.approx(r.time_to_first_token.m_as("s"), rel=1e-15)
    assert "time per output token" not in r.explain()


def test_catalog_model_and_layout():
    r = a.request_bound("llama-3.1-70b", "h200-sxm", 2048, 256, batch=8, parallelism="tp=8")
    assert r.n_chips == 8 and r.layout == "tp=8"
    p = a.prefill_bound("llama-3.1-70b", "h200-sxm", 2048, 8, parallelism="tp=8")
    assert r.time_to_first_token.m_as("ms") == pytest.approx(p.time.m_as("ms"), rel=1e-12)
    lo, hi = r.end_to_end_latency_range
    assert lo <= r.end_to_end_latency <= hi
    d = r.to_dict()
    assert d["layout"] == "tp=8" and d["tpot_ms"] > 0


def test_errors_name_the_argument():
    with pytest.raises(AccelspecError, match="mode"):
        request_bound("llama-3.1-8b", "h200-sxm", 10, 10, mode="burst")
    with pytest.raises(AccelspecError, match="concurrency"):
        request_bound("llama-3.1-8b", "h200-sxm", 10, 10, concurrency=4)
    with pytest.raises(AccelspecError, match="output_tokens"):
        request_bound("llama-3.1-8b", "h200-sxm", 10, 0)
    with pytest.raises(ValueError, match="accepted_tokens_per_step"):
        request_bound("llama-3.1-8b", "h200-sxm", 10, 10, accepted_tokens_per_step=0.5)


# --- properties ---------------------------------------------------------------------------------
_MODELS = ["llama-3.1-8b", "qwen3-30b-a3b", "gpt-oss-120b", "qwen3-next-80b-a3b", "gemma-2-9b"]
_CHIPS = ["h200-sxm", "mi300x"]
_shape = dict(model=st.sampled_from(_MODELS), chip=st.sampled_from(_CHIPS), S=st.integers(1, 8192),
              So=st.integers(1, 600), B=st.integers(1, 64))


@settings(max_examples=40, deadline=None)
@given(**_shape, a1=st.floats(1.0, 4.0), a2=st.floats(1.0, 4.0), mode=st.sampled_from(["static", "steady"]))
def test_more_accepted_tokens_never_lower_the_per_user_bound(model, chip, S, So, B, a1, a2, mode):
    lo, hi = sorted((a1, a2))
    kw = dict(weight_dtype="fp8", kv_dtype="fp8", mode=mode, n_chips=1)
    r1 = request_bound(model, chip, S, So, B, accepted_tokens_per_step=lo, **kw)
    r2 = request_bound(model, chip, S, So, B, accepted_tokens_per_step=hi, **kw)
    assert r2.output_tokens_per_s_per_user.m >= r1.output_tokens_per_s_per_user.m * (1 - 1e-12)
    assert r2.output_tokens_per_s_per_chip.m >= r1.output_tokens_per_s_per_chip.m * (1 - 1e-12)
    if So > 1:
        assert r2.decode_tokens_per_s_per_user.m >= r1.decode_tokens_per_s_per_user.m * (1 - 1e-12)
    d1 = decode_bound(model, chip, S + 1, B, accepted_tokens_per_step=lo, weight_dtype="fp8", kv_dtype="fp8")
    d2 = decode_bound(model, chip, S + 1, B, accepted_tokens_per_step=hi, weight_dtype="fp8", kv_dtype="fp8")
    assert d2.tokens_per_s_per_user.m >= d1.tokens_per_s_per_user.m * (1 - 1e-12)


@settings(max_examples=40, deadline=None)
@given(**_shape, acc=st.floats(1.0, 3.0), mode=st.sampled_from(["static", "steady"]))
def test_ttft_e2e_and_per_chip_against_the_step_bounds(model, chip, S, So, B, acc, mode):
    r = request_bound(model, chip, S, So, B, mode=mode, accepted_tokens_per_step=acc, weight_dtype="fp8",
                      kv_dtype="fp8")
    p = prefill_bound(model, chip, S, B if mode == "static" else 1, weight_dtype="fp8", kv_dtype="fp8")
    # TTFT is prefill_bound at the batch (static) or of the prompt alone (steady)
    assert r.time_to_first_token.m_as("ms") == pytest.approx(p.time.m_as("ms"), rel=1e-12)
    assert r.end_to_end_latency.m_as("ms") >= r.time_to_first_token.m_as("ms") * (1 - 1e-12)
    assert r.end_to_end_latency_range[0] <= r.end_to_end_latency <= r.end_to_end_latency_range[1]
    if So > 1:
        d = decode_bound(model, chip, S + 1, B, accepted_tokens_per_step=acc, weight_dtype="fp8", kv_dtype="fp8")
        assert r.decode_tokens_per_s_per_chip.m <= d.tokens_per_s_per_chip.m * (1 + 1e-9)
        assert r.decode_tokens_per_s_per_user.m <= d.tokens_per_s_per_user.m * (1 + 1e-9)
        # the mean TPOT is at least the first decode step's bound (contexts only grow)
        assert r.time_per_output_token.m_as("ms") >= d.time.m_as("ms") / acc * (1 - 1e-9)


# --- validation uses the request bound and the published layouts ---------------------------------
def test_validation_e2e_row_is_a_request_bound(tmp_path, measurement_file):
    """Llama 3.1 8B, bf16, one H200, batch 1, 1024 in / 128 out, measured 0.5 s end to end.
    TTFT: 2 * 6,979,321,856 linear params * 1024 + 524,288 FLOP/pair * 1024*1025/2 + 2*128256*4096
    = 14,569,848,176,640 FLOP / 989.5 TFLOP/s = 14.7245 ms. Decode: 127 steps at contexts
    1025..1151, each (15,009,857,536 B of weights read + 131,072 B of KV per token) / 4.8 TB/s:
    (127 * 15,009,857,536 + 131,072 * 138,176) / 4.8e12 = 0.4009090 s. E2E >= 0.4156334 s."""
    from accelspec.measurements.validation import validate

    ttft = 14_569_848_176_640 / 989.5e12
    dec = (127 * 15_009_857_536 + 131_072 * sum(range(1025, 1152))) / 4.8e12
    f = measurement_file("""\
        - {id: e1, source: S1, quote: "latency 0.5 s", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16, kv_cache: bf16}, batch: 1, input_tokens: 1024,
           output_tokens: 128, metric: {kind: e2e_latency, value: 0.5, unit: s}}
        """)
    (c,) = validate(f).checks
    assert c.bound == pytest.approx(ttft + dec, rel=1e-9)
    assert c.efficiency == pytest.approx((ttft + dec) / 0.5, rel=1e-9)
    assert "time to first token" in c.explain and "no speculative decoding / MTP assumed" in c.explain


def test_validation_charges_the_published_layout_its_links():
    """DP attention + EP rows carry an all-to-all, not a TP all-reduce; rows without a layout say
    the link term is left out. With a tensor-parallel layout the DeepSeek prefill row would
    'beat' the bound (the TP all-reduce it does not run): the cause of the old 2.8-5x."""
    from accelspec.measurements.validation import validate

    r = validate()
    by = {c.id: c for c in r.checks}
    for cid in ("deepseek-h800-v3r1-decode-per-node", "deepseek-h800-v3r1-prefill-per-node",
                "huawei-cm384-r1-decode-tpot50", "oci-mi300x-405b-fp8-batch1"):
        assert by[cid].communication and "communication included" in by[cid].explain
        assert by[cid].efficiency < 1
    assert "ep=144,dp=144" in by["deepseek-h800-v3r1-decode-per-node"].explain
    assert not by["huawei-cm384-r1-prefill"].communication
    assert "communication left out" in by["huawei-cm384-r1-prefill"].explain
    assert "communication term: included for" in r.summary()
    tp = a.prefill_bound("deepseek-v3", "h800-sxm", 1, 2**20, 32, parallelism="tp=32", weight_dtype="fp8",
                         kv_dtype="fp8")
    assert 73700 / 8 > tp.tokens_per_s_per_chip.m  # the TP reading is beaten: not the deployed layout


def test_cli_request(capsys):
    import json

    from accelspec.cli import main

    assert main(["request", "llama-3.1-8b", "h200-sxm", "--input", "1024", "--output", "128"]) == 0
    out = capsys.readouterr().out
    assert "time to first token >= 14.72 ms" in out and "no speculative decoding / MTP assumed" in out
    assert main(["request", "llama-3.1-8b", "h200-sxm", "--concurrency", "64", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["mode"] == "steady" and d["batch"] == 64 and d["tpot_ms"] > 0
    assert main(["request", "llama-3.1-8b", "h200-sxm", "--accepted", "0.5"]) == 2


def test_validation_ttft_row_is_the_prompt_alone(tmp_path, measurement_file):
    """A mean TTFT of 50 ms at concurrency 64: bounded by the prompt's own prefill,
    14,569,848,176,640 FLOP / 989.5 TFLOP/s = 14.7245 ms (whatever else shares the chip)."""
    from accelspec.measurements.validation import validate

    f = measurement_file("""\
        - {id: t1, source: S1, quote: "TTFT 50 ms", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16, kv_cache: bf16}, concurrency: 64, input_tokens: 1024,
           metric: {kind: ttft, value: 50, unit: ms}}
        """)
    (c,) = validate(f).checks
    assert c.bound == pytest.approx(14_569_848_176_640 / 989.5e12 * 1e3, rel=1e-9)
    assert c.efficiency == pytest.approx(c.bound / 50, rel=1e-9)


def test_validation_dp_ep_row_worked_link_term():
    """DeepSeek's prefill row (ep=32, dp=32 as published, 1-token prompts at an unbounded batch):
    no TP all-reduce; the all-to-all sends, per token and MoE layer, k = 8 hidden vectors of
    7168 BF16 values out and back, (ep-1)/ep of them off the chip: 58 MoE layers x 2 x 31/32 x 8 x
    7168 x 2 B = 12,888,064 B per token, at 200 GB/s per direction (H800 NVLink 400 GB/s / 2):
    <= 15,518 token/s per chip, x 8 per node = 124,146 token/s; measured 73,700 -> 0.594."""
    from accelspec.measurements.validation import validate

    per_token = 58 * 2 * (31 / 32) * 8 * 7168 * 2
    assert per_token == 12_888_064
    c = next(c for c in validate().checks if c.id == "deepseek-h800-v3r1-prefill-per-node")
    assert c.limiter == "interconnect" and c.communication
    assert c.bound == pytest.approx(8 * 200e9 / per_token, rel=1e-9)
    assert c.efficiency == pytest.approx(73_700 / (8 * 200e9 / per_token), rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(model=st.sampled_from(["llama-3.1-8b", "qwen3-30b-a3b", "gpt-oss-120b", "gemma-2-9b"]),
       chip=st.sampled_from(_CHIPS), S=st.integers(1, 8192), So=st.integers(1, 600), B=st.integers(1, 64),
       acc=st.floats(1.0, 3.0))
def test_static_request_throughput_never_beats_the_decode_bound(model, chip, S, So, B, acc):
    """Whole requests (prefill included) are never faster per chip than decode steps at the prompt's
    length: the prefill of S tokens costs at least one such step (models without linear-attention
    state, whose decode step reads and writes the state twice)."""
    r = request_bound(model, chip, S, So, B, accepted_tokens_per_step=acc, weight_dtype="fp8", kv_dtype="fp8")
    d = decode_bound(model, chip, S, B, accepted_tokens_per_step=acc, weight_dtype="fp8", kv_dtype="fp8")
    assert r.output_tokens_per_s_per_chip.m <= d.tokens_per_s_per_chip.m * (1 + 1e-9)


def test_request_takes_a_system_as_decode_bound_does():
    r = request_bound("llama-3.1-70b", "gb200-nvl72", 2048, 256, 8)
    d = decode_bound("llama-3.1-70b", "gb200-nvl72", 2048 + 128, 8)  # the mean context of the decode
    assert r.n_chips == d.n_chips == 72
    fixed = request_bound("llama-3.1-70b", "gb200-nvl72", 2048, 256, 8, parallelism=d.memory_layout)
    assert r.decode_s[0] <= fixed.decode_s[0] and r.ttft_s[0] <= fixed.ttft_s[0]  # never above the fit's layout
    assert any("the fastest of" in n and "layouts that fit in memory" in n for n in r.notes)
    assert any(n.startswith("on gb200-nvl72: ") for n in r.notes)
    with pytest.raises(AccelspecError, match="n_chips"):
        request_bound("llama-3.1-70b", "gb200-nvl72", 2048, 256, 8, 144)


def test_request_falls_back_to_bf16_compute_as_decode_bound():
    # DeepSeek-V3's checkpoint is fp8; the Ascend 910C publishes no fp8 peak: bf16 compute, said so
    r = request_bound("deepseek-v3", "ascend-910c", 2048, 256, 1, 16)
    d = decode_bound("deepseek-v3", "ascend-910c", 2048, 1, 16)
    assert str(r.dtypes.precision) == str(d.precision) == "bf16"
    assert "Ascend 910C has no fp8" in r.assumptions and "Ascend 910C has no fp8" in d.assumptions
    with pytest.raises(a.UnsupportedPrecisionError):  # an explicit precision is not replaced
        request_bound("deepseek-v3", "ascend-910c", 2048, 256, 1, 16, precision="fp8")


def test_request_memory_only_for_a_chip_without_a_peak():
    from accelspec.perf.roofline import with_roofs

    r = request_bound("llama-3.1-8b", with_roofs("zhenwu-m890", bandwidth="4 TB/s"), 2048, 256)
    assert r.limiter == "memory" and r.terms_s[0] == 0.0
    assert any("compute term" in n and "memory-only" in n for n in r.notes)
    assert r.to_dict()["notes"] == list(r.notes)


# --- one engine (issue 22): request_bound's steps are decode_bound's ---------------------------------
@pytest.mark.parametrize("model, chip, n, lay, S, B", [
    ("llama-3.1-70b", "h100-sxm", 8, "tp=2,pp=4", 4096, 16),  # a micro-batched pipeline
    ("llama-3.1-70b", "h200-sxm", 8, "pp=8", 1024, 1),
    ("deepseek-v3", "gb200-nvl72", 72, "tp=8,pp=9", 2048, 32),  # a system: its fabric, in-network reduction
    ("qwen3-235b-a22b", "hgx-h200", 8, "tp=4,ep=8,dp=2", 8192, 8),  # attention DP x expert EP
    ("qwen3-235b-a22b", "dgx-h100", 8, "tp=2,pp=2,ep=4,cp=2", 8192, 4),
])
def test_request_step_is_the_decode_bound_step(model, chip, n, lay, S, B):
    """A static request of two output tokens decodes one step at context S + 1: exactly
    decode_bound's step at that context, batch and layout (micro-batched pipeline, the same
    fabric), with its range; its TTFT is prefill_bound's."""
    r = request_bound(model, chip, S, 2, B, n, parallelism=lay)
    d = decode_bound(model, chip, S + 1, B, n, parallelism=lay)
    p = prefill_bound(model, chip, S, B, n, parallelism=lay)
    assert r.layout == d.layout == lay
    assert r.decode_s[0] == pytest.approx(d.t, rel=1e-12)
    assert (r.decode_s[1], r.decode_s[2]) == pytest.approx((d.t_low, d.t_high), rel=1e-12)
    assert r.ttft_s[0] == pytest.approx(p.t, rel=1e-12)
    assert "pipeline stages micro-batched" in r.assumptions
    steady = request_bound(model, chip, S, 2, B, n, parallelism=lay, mode="steady")
    assert steady.ttft_s[0] == pytest.approx(prefill_bound(model, chip, S, 1, n, parallelism=lay).t, rel=1e-12)


@pytest.mark.parametrize("model, chip, mode", [("llama-3.1-70b", "h100-sxm", "static"),
                                               ("llama-3.1-70b", "h100-sxm", "steady"),
                                               ("qwen3-235b-a22b", "h200-sxm", "static"),
                                               ("qwen3-235b-a22b", "h200-sxm", "steady")])
def test_request_default_layouts_are_the_least_over_layouts(model, chip, mode):
    """Without a layout, the decode is the least decode time over every layout that fits at the
    last context (found by branch and bound), the TTFT prefill_bound's least: neither is above
    any single layout's request."""
    from accelspec.perf.kernels import LAYOUT_TIE
    from accelspec.perf.memory import layouts

    n, S, So, B = 8, 4096, 64, 16
    r = request_bound(model, chip, S, So, B, n, mode=mode)
    dec = {}
    for lay in layouts(a.get_model(model), n, every_ep=True):
        if lay.cp > S or lay.dp > B:
            continue
        one = request_bound(model, chip, S, So, B, n, parallelism=lay, mode=mode)
        assert r.ttft_s[0] <= one.ttft_s[0] * (1 + 1e-12)
        if a.fits(model, chip, S + So, B, n_chips=n, parallelism=lay):
            dec[str(lay)] = one.decode_s[0]
    assert r.decode_s[0] == pytest.approx(min(dec.values()), rel=LAYOUT_TIE)
    assert dec[r.layout] == r.decode_s[0]
    assert r.ttft_s[0] == pytest.approx(prefill_bound(model, chip, S, B if mode == "static" else 1, n).t, rel=1e-12)
    assert f"the fastest of {len(dec)} layouts that fit in memory" in r.layout_note
