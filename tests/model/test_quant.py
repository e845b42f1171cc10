"""Checkpoint weight formats (accelspec.model.quant) and the assumptions every fit verdict states.

Oracles are worked by hand from the formats' definitions and the published shapes:

* gpt-oss-120b (MXFP4 experts, OCP MX v1.0: 32 E2M1 + one E8M0 scale = 4.25 bits; attention,
  router, embeddings and head bf16 per ``modules_to_not_convert``). Routed experts: 36 layers x
  128 experts x (gate_up 2*2880*2880 + 2*2880 bias, down 2880*2880 + 2880 bias). The model card
  gives a 60.8 GiB checkpoint and says the model runs on one 80 GB GPU.
* DeepSeek-V3 (fp8 E4M3, one fp32 scale per 128x128 block = 8 + 32/16384 bits) on the attention,
  dense/shared MLP and expert matrices; embeddings, head, router and norms bf16.
* AWQ 4-bit, group 128, zero point: per 128 weights one fp16 scale (16 bits) and one 4-bit zero
  (packed eight to an int32 ``qzeros``): 4 + (16 + 4)/128 = 4.15625 bits per weight.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import accelspec as a
from accelspec.cli import main
from accelspec.model.architecture import Model
from accelspec.perf.memory import trained_context

AWQ_DIR = Path(__file__).parents[1] / "data" / "llama-3.1-8b-instruct-awq-int4"
LLAMA8B = json.loads((Path(a.__file__).parent.parent / "specs/models/configs/Llama-3.1-8B.config.json").read_text())
GB = 1e9


def _llama(quant: dict | None = None, **extra) -> Model:
    cfg = dict(LLAMA8B, **extra)
    if quant is not None:
        cfg["quantization_config"] = quant
    return Model.from_hf_config(cfg, id="t")


# Llama-3.1-8B by hand: per layer q,o 4096x4096, k,v 4096x1024, gate/up/down 4096x14336
L8_LINEAR = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)  # 6,979,321,856
L8_EMB = 2 * 128256 * 4096  # embedding + untied head: 1,050,673,152
L8_NORMS = 32 * 2 * 4096 + 4096  # 266,240


# --- gpt-oss-120b: MXFP4 --------------------------------------------------------------------
def test_gpt_oss_weights_in_mxfp4_match_the_published_checkpoint():
    g = a.get_model("gpt-oss-120b")
    experts = 36 * 128 * (2 * 2880 * 2880 + 2 * 2880 + 2880 * 2880 + 2880)
    assert experts == 114_701_598_720
    total = g.params_total()  # 116,829,156,672 (checked against the card's 116.8B in test_models)
    expect = experts * 4.25 / 8 + (total - experts) * 2
    assert g.weight_bytes().m == pytest.approx(expect)  # the default is the checkpoint's format
    assert expect == pytest.approx(65.19e9, rel=1e-3)
    assert expect / 2**30 == pytest.approx(60.8, rel=0.01)  # model card: 60.8 GiB checkpoint
    fmt = g.checkpoint_format
    assert fmt.method == "mxfp4" and fmt.origin == "checkpoint"
    assert fmt["experts"].name == "mxfp4" and fmt["experts"].bits_per_element == 4.25
    for part in ("attention", "router", "embedding", "lm_head", "norms"):  # modules_to_not_convert
        assert fmt[part].name == "bf16"


def test_gpt_oss_fits_one_80gb_gpu_at_128k_and_bf16_override_reproduces_the_old_answer():
    r = a.fits("gpt-oss-120b", "h100", 128_000)
    assert r.fits and r.verdict == "fits" and r.weight_source == "checkpoint"
    assert r.footprint.weights.m_as("GB") == pytest.approx(65.19, abs=0.01)
    assert "mxfp4 experts, bf16 rest (checkpoint" in r.assumptions and "[assumes" in r.explanation
    old = a.fits("gpt-oss-120b", "h100", 128_000, weight_dtype="bf16")
    assert old.footprint.weights.m_as("B") == 116_829_156_672 * 2  # every parameter at 2 bytes
    assert old.required.m_as("GB") == pytest.approx(241.3, abs=0.05) and not old.fits
    assert old.weight_source == "override" and "bf16 (override: weight_dtype)" in old.assumptions


# --- DeepSeek-V3: fp8 with 128x128 block scales ------------------------------------------------
def test_deepseek_v3_fp8_block_scaled_weights():
    d = a.get_model("deepseek-v3")
    fmt = d.checkpoint_format
    blk = fmt["experts"]
    assert blk.block_size == 128 * 128 and blk.scale_bits == 32
    assert blk.bits_per_element == pytest.approx(8 + 32 / 16384)  # 8.001953 bits
    total = d.params_total()  # 671,026,419,200 (published: 671B)
    emb = 2 * 129280 * 7168  # embedding + head, bf16
    router = 58 * (7168 * 256 + 256)  # 58 MoE layers, gate + score-correction bias, bf16
    norms = 61 * 2 * 7168 + 7168  # bf16
    fp8 = total - emb - router - norms
    expect = fp8 * (1 + 32 / 16384 / 8) + (emb + router + norms) * 2
    assert d.weight_bytes().m == pytest.approx(expect)
    assert expect == pytest.approx(671e9 * 1.0 + 671e9 / 16384 * 4, rel=0.005)  # ~671B x 1 B + scales
    assert expect / GB == pytest.approx(673.15, abs=0.01)


def test_deepseek_v3_fits_8_h200_at_128k_only_in_its_own_format():
    r = a.fits("deepseek-v3", "h200", 128_000, n_chips=8)
    assert r.fits and "fp8-b128x128 attention+mlp+experts, bf16 rest (checkpoint" in r.explanation
    assert "8 chips" in r.assumptions and "context limit 163,840" in r.assumptions
    old = a.fits("deepseek-v3", "h200", 128_000, n_chips=8, weight_dtype="bf16")
    assert not old.fits and old.required.m_as("GB") == pytest.approx(179.1, abs=0.05)


# --- AWQ -------------------------------------------------------------------------------------
def test_awq_4bit_group128_with_zeros_from_the_fixture():
    m = Model.from_hf_config(AWQ_DIR)  # a folder holding config.json
    fmt = m.checkpoint_format
    assert fmt.method == "awq" and fmt.stored.name == "fp16"
    assert fmt["attention"].bits_per_element == 4 + (16 + 4) / 128 == 4.15625
    assert fmt["embedding"].name == fmt["lm_head"].name == fmt["norms"].name == "fp16"
    expect = L8_LINEAR * 4.15625 / 8 + (L8_EMB + L8_NORMS) * 2
    assert m.weight_bytes().m == pytest.approx(expect)
    assert expect / GB == pytest.approx(5.728, abs=0.001)
    assert m.weight_bytes("bf16").m == (L8_LINEAR + L8_EMB + L8_NORMS) * 2
    assert not m.warnings


def test_awq_without_zero_point_and_per_channel():
    no_zero = _llama({"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": False})
    assert no_zero.checkpoint_format["mlp"].bits_per_element == 4 + 16 / 128
    per_channel = _llama({"quant_method": "awq", "bits": 4, "group_size": -1})
    assert per_channel.checkpoint_format["mlp"].bits_per_element == 4


# --- other formats ---------------------------------------------------------------------------
def test_gptq_counts_scales_and_zeros_even_when_symmetric():
    m = _llama({"quant_method": "gptq", "bits": 4, "group_size": 128, "sym": True, "desc_act": False})
    assert m.checkpoint_format["attention"].bits_per_element == 4 + (16 + 4) / 128
    assert m.checkpoint_format["lm_head"].name == "bf16"
    m8 = _llama({"quant_method": "gptq", "bits": 8, "group_size": 32, "lm_head": True})
    assert m8.checkpoint_format["lm_head"].bits_per_element == 8 + (16 + 8) / 32


def test_bitsandbytes_nf4_with_and_without_double_quant():
    dq = _llama({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4",
                 "bnb_4bit_use_double_quant": True, "bnb_4bit_compute_dtype": "bfloat16"})
    # QLoRA (arXiv:2305.14314): 32/64 = 0.5 bit of fp32 absmax, double quantization 8/64 + 32/(64*256) = 0.127
    assert dq.checkpoint_format["mlp"].bits_per_element == pytest.approx(4.127, abs=5e-4)
    single = _llama({"quant_method": "bitsandbytes", "load_in_4bit": True, "bnb_4bit_quant_type": "nf4"})
    assert single.checkpoint_format["mlp"].bits_per_element == 4.5
    int8 = _llama({"quant_method": "bitsandbytes", "load_in_8bit": True, "llm_int8_skip_modules": ["mlp"]})
    assert int8.checkpoint_format["attention"].name == "int8" and int8.checkpoint_format["mlp"].name == "bf16"
    assert int8.checkpoint_format["embedding"].name == "bf16"


def test_compressed_tensors_group_and_nvfp4():
    w4 = {"quant_method": "compressed-tensors", "format": "pack-quantized", "ignore": ["lm_head"],
          "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
              "num_bits": 4, "type": "int", "symmetric": True, "strategy": "group", "group_size": 128}}}}
    m = _llama(w4)
    assert m.checkpoint_format["attention"].bits_per_element == 4 + 16 / 128  # bf16 scale, no zero
    assert m.checkpoint_format["lm_head"].name == "bf16"
    asym = json.loads(json.dumps(w4))
    asym["config_groups"]["group_0"]["weights"]["symmetric"] = False
    assert _llama(asym).checkpoint_format["mlp"].bits_per_element == 4 + (16 + 4) / 128
    nv = {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "ignore": ["lm_head"],
          "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
              "num_bits": 4, "type": "float", "symmetric": True, "strategy": "tensor_group", "group_size": 16}}}}
    assert _llama(nv).checkpoint_format["mlp"].name == "nvfp4"
    fp8 = {"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
           "config_groups": {"group_0": {"targets": ["Linear"], "weights": {
               "num_bits": 8, "type": "float", "symmetric": True, "strategy": "channel"}}}}
    assert _llama(fp8).checkpoint_format["mlp"].bits_per_element == 8


def test_modelopt_nvfp4_from_hf_quant_config_json(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dict(LLAMA8B)))
    (tmp_path / "hf_quant_config.json").write_text(json.dumps({
        "producer": {"name": "modelopt", "version": "0.29.0"},
        "quantization": {"quant_algo": "NVFP4", "kv_cache_quant_algo": "FP8", "group_size": 16,
                         "exclude_modules": ["lm_head"]}}))
    m = Model.from_hf_config(tmp_path)
    fmt = m.checkpoint_format
    assert fmt["attention"].bits_per_element == 4.5 and fmt["lm_head"].name == "bf16"
    assert "hf_quant_config.json" in fmt.source
    assert any("KV-cache" in n for n in fmt.notes)  # read, reported, not applied (a runtime choice)
    expect = L8_LINEAR * 4.5 / 8 + (L8_EMB + L8_NORMS) * 2
    assert m.weight_bytes().m == pytest.approx(expect)


def test_fp8_per_tensor_and_exclusions():
    m = _llama({"quant_method": "fp8", "activation_scheme": "dynamic"})
    assert m.checkpoint_format["mlp"].name == "fp8"
    skip = _llama({"quant_method": "fp8", "weight_block_size": [128, 128], "modules_to_not_convert": ["mlp"]})
    assert skip.checkpoint_format["mlp"].name == "bf16" and skip.checkpoint_format["attention"].name != "bf16"
    one_layer = _llama({"quant_method": "fp8", "modules_to_not_convert": ["model.layers.0.self_attn"]})
    assert any("only some attention" in w for w in one_layer.warnings)  # reported, not dropped


# --- what is not understood is reported ------------------------------------------------------
def test_unknown_method_and_fields_are_reported_in_model_result_and_cli(tmp_path, capsys):
    odd = _llama({"quant_method": "hqq", "nbits": 4})
    assert any("'hqq' not understood" in w for w in odd.warnings)
    assert odd.checkpoint_format["mlp"].name == "bf16"  # counted at the stored precision
    extra = _llama({"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True, "mystery_bits": 3})
    assert any("mystery_bits" in w for w in extra.warnings)
    r = a.fits(odd, "h100", 4096)
    assert any("hqq" in w for w in r.warnings) and "WARNING" in r.explanation
    cfg = dict(LLAMA8B, quantization_config={"quant_method": "hqq"})
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    assert main(["fit", str(path), "--chip", "h100", "--context-tokens", "4096"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "WARNING" in first and "hqq" in first


def test_override_still_wins():
    m = Model.from_hf_config(AWQ_DIR)
    assert m.weight_bytes("fp8").m == L8_LINEAR + L8_EMB + L8_NORMS
    r = a.fits(m, "h100", 8192, weight_dtype="int4")
    assert r.footprint.weights.m_as("B") == pytest.approx((L8_LINEAR + L8_EMB + L8_NORMS) * 0.5)
    # experts/embeddings override on top of the checkpoint format
    g = a.get_model("gpt-oss-120b")
    assert g.weight_bytes(expert_dtype="bf16").m == pytest.approx(g.weight_bytes("bf16").m)


# --- assumptions and trained context ---------------------------------------------------------
def test_context_beyond_trained_length_is_flagged():
    r = a.fits("llama-3.1-8b", "h100", 200_000)
    assert r.warnings and "exceeds the model's trained length 131,072" in r.warnings[0]
    assert "WARNING: context 200,000" in r.explanation
    assert not a.fits("llama-3.1-8b", "h100", 131_072).warnings
    qwen = Model.from_hf_config(dict(LLAMA8B, rope_scaling={"rope_type": "yarn", "factor": 4.0,
                                                            "original_max_position_embeddings": 32768},
                                     max_position_embeddings=40960), id="q")
    assert trained_context(qwen)[0] == 131072  # YaRN x4 of 32,768


def test_assumptions_line_names_every_choice():
    r = a.fits("qwen3-235b-a22b", "h200", 32768, n_chips=8, kv_dtype="fp8", reserve=0.1)
    for piece in ("assumes weights bf16 (checkpoint", "KV fp8", "activations bf16", "8 chips",
                  "reserve 10% of capacity", "context limit 40,960"):
        assert piece in r.assumptions
    assert "\n" not in r.explanation


def test_cli_fit_from_config_path_prints_largest_batch(capsys):
    assert main(["fit", str(AWQ_DIR / "config.json"), "--chip", "h100", "--context-tokens", "8k"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert "awq-int4-g128-zp attention+mlp, fp16 rest (checkpoint" in first and "fits" in first
    assert "largest batch at 8,000 tokens" in out
    assert main(["fit", str(AWQ_DIR), "--chip", "h100", "--context-tokens", "8k", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["weight_source"] == "checkpoint" and data["max_batch"] >= 1 and data["warnings"] == []
    assert data["terms_GB"]["weights"] == pytest.approx(5.728, abs=0.001)
    assert main(["fit", "missing/config.json", "--chip", "h100", "--context-tokens", "8k"]) == 2


def test_group_format_names_round_trip_through_dtype():
    assert a.dtype("int4-g128").bits_per_element == 4 + 16 / 128
    assert a.dtype("int4-g128-zp").bits_per_element == 4 + 20 / 128
    assert a.dtype("fp8-b128x128").bits_per_element == pytest.approx(8 + 32 / 16384)
    for m in (a.get_model("deepseek-v3"), Model.from_hf_config(AWQ_DIR)):
        for d in m.checkpoint_format.dtypes.values():
            assert a.dtype(d.name) == d  # every name a checkpoint format uses can be passed back
    with pytest.raises(a.UnknownNameError, match="weight_dtype"):
        a.fits("llama-3.1-8b", "h100", 4096, weight_dtype="int4-g0")
