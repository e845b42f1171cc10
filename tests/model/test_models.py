"""Models: config.json reading, parameter counts against published totals, KV bytes, catalog lookup."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.model.architecture import AttentionKind, Model, ModelConfigError
from accelspec.model.catalog import ModelCatalog, UnknownModelError

CATALOG = a.models()
IDS = [m.id for m in CATALOG]
REQUIRED = {"llama-2-7b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen3-8b",
            "qwen3-32b", "qwen3-30b-a3b", "qwen3-235b-a22b", "qwen3-next-80b-a3b", "deepseek-v3", "gpt-oss-120b"}


def test_catalog_has_the_required_models():
    assert REQUIRED <= set(IDS)


@pytest.mark.parametrize("mid", IDS)
def test_every_model_loads_and_cites_its_config(mid):
    m = a.get_model(mid)
    assert m.repo and m.source is not None and m.repo in m.source.url
    assert m.config and m.config_note
    assert m.unused_config_fields == ()
    assert "total" in m.published


@pytest.mark.parametrize("mid", IDS)
def test_params_total_within_1_percent_of_published(mid):
    m = a.get_model(mid)
    pub = float(m.published["total"].q.m)
    if "total" in m.published_unchecked:
        # a rounded label (Kimi K2's "1T") or a count of more than the text model (Llama 4
        # Scout's 109B includes the vision encoder): the note says why; stay within 3%
        assert m.published["total"].note
        assert m.params_total() == pytest.approx(pub, rel=0.03)
        pytest.skip(f"{mid}: published total is not a count of this text model ({m.published['total'].note})")
    assert m.params_total() == pytest.approx(pub, rel=0.01)


def test_unchecked_totals_are_few():
    unchecked = {m.id for m in CATALOG if "total" in m.published_unchecked}
    assert unchecked == {"kimi-k2", "kimi-k2.5", "llama-4-scout", "qwen3-1.7b"}


@pytest.mark.parametrize("mid", [m.id for m in CATALOG if "active" in m.published])
def test_params_active_matches_published(mid):
    m = a.get_model(mid)
    spec = m.published["active"]
    if "active" in m.published_unchecked:
        pytest.skip(f"{mid}: published active count is a rounded label ({spec.note})")
    pub = float(spec.q.m)
    with_emb = "counts the input embedding" in (spec.note or "")
    got = m.params_active(include_embedding=with_emb)
    # cards give 2-3 significant digits, rounded or cut: within 1% or one unit of the last digit
    digits = len(f"{pub / 1e9:g}".replace(".", "").lstrip("0"))
    unit = 10 ** (np.floor(np.log10(pub)) - digits + 1)
    assert abs(got - pub) <= max(0.01 * pub, unit)


def test_exact_parameter_counts():
    # counts of the released checkpoints (all params as loaded)
    assert a.get_model("llama-2-7b").params_total() == 6_738_415_616
    assert a.get_model("llama-2-70b").params_total() == 68_976_648_192


def test_worked_kv_numbers():
    # Llama-2-7B: 2 (K,V) * 32 layers * 4096 * 2 B
    assert a.get_model("llama-2-7b").kv_cache_per_token("bf16") == a.Q_(2 * 32 * 4096 * 2, "B/token")
    assert a.get_model("llama-2-7b").kv_cache_per_token("bf16").m == 524_288
    # DeepSeek-V3 MLA: (512 + 64) * 61 layers * 2 B
    assert a.get_model("deepseek-v3").kv_cache_per_token("bf16").m == (512 + 64) * 61 * 2 == 70_272
    # Llama-3.1-70B GQA: 2 * 80 layers * 8 KV heads * 128 * 2 B
    assert a.get_model("llama-3.1-70b").kv_cache_per_token("bf16").m == 2 * 80 * 8 * 128 * 2
    # gpt-oss-120b: only the 18 full layers grow past the window; 2 * 8 * 64 * 2 B each
    g = a.get_model("gpt-oss-120b")
    assert g.kv_cache_per_token("bf16").m == 18 * 2 * 8 * 64 * 2
    assert g.kv_cache_per_token("bf16", within_window=True).m == 36 * 2 * 8 * 64 * 2
    # Qwen3-Next: 12 full-attention layers of 2 KV heads x 256
    assert a.get_model("qwen3-next-80b-a3b").kv_cache_per_token("bf16").m == 12 * 2 * 2 * 256 * 2


def test_kv_unit_is_bytes_per_token():
    q = a.get_model("qwen3-8b").kv_cache_per_token()
    assert q.dimensionality == a.Q_(1, "B/token").dimensionality
    assert (q * a.Q_(1000, "token")).to("MB").m == pytest.approx(147.456)


def test_linear_attention_state():
    m = a.get_model("qwen3-next-80b-a3b")
    assert m.attention_counts() == {"linear": 36, "full": 12}
    la = m.linear_attention
    per_layer = 32 * 128 * 128 + 3 * (2 * 16 * 128 + 32 * 128)
    assert la.state_elements() == per_layer
    assert m.linear_state_bytes(1, "bf16").m == 36 * per_layer * 2
    assert m.linear_state_bytes(4, "bf16").m == 4 * 36 * per_layer * 2
    assert a.get_model("llama-3.1-8b").linear_state_bytes(3).m == 0


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(IDS), st.integers(1, 2_000_000), st.integers(1, 64), st.integers(2, 5))
def test_kv_linear_in_context_and_batch(mid, ctx, batch, k):
    m = a.get_model(mid)
    windows = m.layer_windows()
    bounded = windows[np.isfinite(windows) & (windows > 0)]
    if bounded.size:  # sliding or chunked layers
        ctx = max(ctx, int(bounded.max()))  # past every window and chunk, the growth is linear
        base = m.kv_cache_bytes(ctx, batch).m
        assert m.kv_cache_bytes(ctx + 1000, batch).m - base == pytest.approx(
            1000 * batch * m.kv_cache_per_token().m)
    else:
        one = m.kv_cache_bytes(ctx, batch).m
        assert one == pytest.approx(ctx * batch * m.kv_cache_per_token().m)
        assert m.kv_cache_bytes(k * ctx, batch).m == pytest.approx(k * one)
    assert m.kv_cache_bytes(ctx, k * batch).m == pytest.approx(k * m.kv_cache_bytes(ctx, batch).m)


def _gpt_oss_like(layer_types, window=128):
    cfg = json.loads(json.dumps(a.get_model("gpt-oss-120b").config))
    cfg["layer_types"] = layer_types
    cfg["num_hidden_layers"] = len(layer_types)
    cfg["sliding_window"] = window
    return Model.from_hf_config(cfg, id="swa-test")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5000), st.integers(1, 5000))
def test_sliding_window_kv_stops_growing(c1, c2):
    m = _gpt_oss_like(["sliding_attention"] * 4, window=256)
    lo, hi = sorted((c1, c2))
    assert m.kv_cache_bytes(lo).m <= m.kv_cache_bytes(hi).m
    if lo >= 256:
        assert m.kv_cache_bytes(lo).m == m.kv_cache_bytes(hi).m == m.kv_cache_bytes(256).m
    assert m.kv_cache_per_token().m == 0  # no unbounded growth at all


def test_mla_smaller_than_equivalent_gqa():
    ds = a.get_model("deepseek-v3")
    cfg = dict(ds.config)
    # the same model with plain attention: one K and V head per query head, head_dim = qk head dim
    for k in ("kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"):
        cfg.pop(k)
    cfg["model_type"] = "llama"
    cfg["head_dim"] = 192
    mha = Model.from_hf_config(cfg, id="dsv3-as-mha")
    assert ds.kv_cache_per_token().m < mha.kv_cache_per_token().m
    cfg["head_dim"] = 128
    for kv in (128, 16, 8, 4):  # GQA with the usual head width, down to 4 KV heads
        cfg["num_key_value_heads"] = kv
        gqa = Model.from_hf_config(cfg, id=f"dsv3-gqa{kv}")
        assert ds.kv_cache_per_token().m < gqa.kv_cache_per_token().m
    # DeepSeek-V2 paper: MLA's cache equals GQA with 2.25 groups (d_c = 4 d_h, d_R = d_h / 2)
    assert 512 + 64 == 2.25 * 2 * 128


def test_attention_variant_names():
    assert a.get_model("llama-2-7b").attention_variant == "MHA"
    assert a.get_model("llama-3.1-8b").attention_variant == "GQA"
    assert a.get_model("deepseek-v3").attention_variant == "MLA"
    cfg = dict(a.get_model("llama-3.1-8b").config, num_key_value_heads=1)
    assert Model.from_hf_config(cfg, id="mqa").attention_variant == "MQA"


def test_moe_fields():
    ds = a.get_model("deepseek-v3")
    assert ds.moe.n_routed_experts == 256 and ds.moe.experts_per_token == 8 and ds.moe.n_shared_experts == 1
    assert ds.moe.dense_layers == (0, 1, 2) and ds.moe_layers()[0] == 3
    assert ds.mtp_layers == 1
    qn = a.get_model("qwen3-next-80b-a3b")
    assert qn.moe.shared_expert_ffn_size == 512 and qn.moe.shared_expert_gate
    assert a.get_model("qwen3-8b").moe is None


def test_weight_bytes_native_formats():
    g = a.get_model("gpt-oss-120b")
    b = g.param_breakdown()
    native = g.weight_bytes("native").m
    expect = b["experts"] * 4.25 / 8 + (g.params_total() - b["experts"]) * 2
    assert native == pytest.approx(expect)
    assert native / 2**30 == pytest.approx(61, abs=1.5)  # the model card's 60.8 GiB checkpoint
    assert g.weight_bytes("bf16").m == g.params_total() * 2


def test_describe_mentions_source():
    text = a.get_model("deepseek-v3").describe()
    assert "deepseek-ai/DeepSeek-V3" in text and "70,272" in text


# --- lookup --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "mid"), [
    ("Qwen3-235B-A22B", "qwen3-235b-a22b"), ("qwen3 235b a22b", "qwen3-235b-a22b"),
    ("QWEN/QWEN3-235B-A22B", "qwen3-235b-a22b"), ("DeepSeek V3", "deepseek-v3"),
    ("openai/gpt-oss-120b", "gpt-oss-120b"), ("Llama-2-7b-hf", "llama-2-7b"), ("ｌｌａｍａ-3.1-8b", "llama-3.1-8b"),
])
def test_lookup_like_chips(name, mid):
    assert a.get_model(name).id == mid


def test_unknown_model_lists_closest():
    with pytest.raises(UnknownModelError) as exc:
        a.get_model("qwen3-253b")
    assert "qwen3-235b-a22b" in str(exc.value) and exc.value.suggestions
    assert isinstance(exc.value, a.UnknownNameError)


def test_models_filters():
    assert {m.id for m in a.models(family="qwen3_moe")} == {"qwen3-30b-a3b", "qwen3-235b-a22b", "qwen3-235b-a22b-fp8",
                                                         "qwen3-coder-480b-a35b"}
    assert all(m.is_moe for m in a.models(where=lambda m: m.moe.n_routed_experts > 100))


def test_user_model_file(tmp_path):
    cfg = dict(a.get_model("llama-3.1-8b").config, num_hidden_layers=4)
    (tmp_path / "tiny.json").write_text(json.dumps(cfg))
    (tmp_path / "m.yaml").write_text(
        "models:\n  - id: tiny-llama\n    name: Tiny\n    config: tiny.json\n"
        "    published: {total: {value: 1000000000, source: {id: X, title: mine}, status: estimated,"
        " basis: guess, range: [1, 2000000000]}}\n")
    cat = ModelCatalog.load(tmp_path / "m.yaml")
    assert cat.get("tiny llama").n_layers == 4 and len(cat) == len(CATALOG) + 1


def test_catalog_refuses_bad_record(tmp_path):
    (tmp_path / "m.yaml").write_text("models:\n  - id: x\n    name: X\n    config: nope.json\n")
    with pytest.raises(a.SpecFileError, match="cannot read"):
        ModelCatalog.load(tmp_path / "m.yaml", shipped=False)
    (tmp_path / "m.yaml").write_text("models:\n  - id: x\n    name: X\n    config: c.json\n    colour: red\n")
    with pytest.raises(a.SpecFileError, match="colour"):
        ModelCatalog.load(tmp_path / "m.yaml", shipped=False)


# --- config.json reader ------------------------------------------------------------------
@pytest.mark.parametrize("mid", IDS)
def test_reads_from_path_and_dict_alike(mid, tmp_path):
    m = a.get_model(mid)
    p = tmp_path / "config.json"
    p.write_text(json.dumps(m.config))
    from_path = Model.from_hf_config(tmp_path, id=mid)  # a folder holding config.json
    from_dict = Model.from_hf_config(m.config, id=mid)
    assert from_path.params_total() == from_dict.params_total() == m.params_total()
    assert from_path.kv_cache_per_token() == m.kv_cache_per_token()


@pytest.mark.parametrize("field", ["hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size",
                                   "intermediate_size"])
def test_missing_required_field_is_named(field):
    cfg = dict(a.get_model("llama-3.1-8b").config)
    del cfg[field]
    with pytest.raises(ModelConfigError) as exc:
        Model.from_hf_config(cfg)
    assert exc.value.field == field and field in str(exc.value)


@pytest.mark.parametrize(("mid", "field"), [
    ("deepseek-v3", "kv_lora_rank"), ("qwen3-next-80b-a3b", "linear_num_value_heads"),
    ("gpt-oss-120b", "num_local_experts"), ("qwen3-30b-a3b", "num_experts"),
])
def test_missing_family_field_is_named(mid, field):
    cfg = dict(a.get_model(mid).config)
    del cfg[field]
    with pytest.raises(ModelConfigError, match=field):
        Model.from_hf_config(cfg)


def test_wrong_type_and_unsupported_values_are_named():
    cfg = dict(a.get_model("llama-3.1-8b").config, hidden_size="4096")
    with pytest.raises(ModelConfigError, match=r"hidden_size.*integer"):
        Model.from_hf_config(cfg)
    cfg = dict(a.get_model("gpt-oss-120b").config)
    cfg["layer_types"] = ["mamba", *cfg["layer_types"][1:]]
    with pytest.raises(ModelConfigError, match=r"layer_types\[0\].*mamba"):
        Model.from_hf_config(cfg)
    with pytest.raises(ModelConfigError, match=r"model_type.*unsupported.*bert"):
        Model.from_hf_config({"model_type": "bert", "hidden_size": 768})
    with pytest.raises(ModelConfigError, match="model_type"):
        Model.from_hf_config({"hidden_size": 768})
    cfg = dict(a.get_model("llama-3.1-8b").config, num_key_value_heads=5)
    with pytest.raises(ModelConfigError, match="num_key_value_heads"):
        Model.from_hf_config(cfg)


def test_strict_mode_names_unknown_fields():
    cfg = dict(a.get_model("llama-3.1-8b").config, my_new_thing=3)
    m = Model.from_hf_config(cfg)
    assert m.unused_config_fields == ("my_new_thing",)
    with pytest.raises(ModelConfigError, match="my_new_thing"):
        Model.from_hf_config(cfg, strict=True)


def test_bad_file(tmp_path):
    p = tmp_path / "config.json"
    p.write_text("{not json")
    with pytest.raises(ModelConfigError, match="not valid JSON"):
        Model.from_hf_config(p)
    with pytest.raises(ModelConfigError, match="cannot read"):
        Model.from_hf_config(tmp_path / "missing.json")


def test_families_mistral_and_qwen2():
    base = dict(a.get_model("llama-2-7b").config)
    mis = Model.from_hf_config(dict(base, model_type="mistral", sliding_window=4096, num_key_value_heads=8))
    assert set(mis.layer_types) == {AttentionKind.sliding} and mis.sliding_window == 4096
    q2 = Model.from_hf_config(dict(base, model_type="qwen2"))
    assert q2.params_total() - a.get_model("llama-2-7b").params_total() == 32 * 3 * 4096  # q, k, v biases
    q2s = Model.from_hf_config(dict(base, model_type="qwen2", use_sliding_window=True, sliding_window=1024,
                                    max_window_layers=28))
    assert q2s.attention_counts() == {"full": 28, "sliding": 4}


# --- families added for issue 12: Mixtral, Gemma 2/3, Llama 4, Phi-3, Qwen2.5, GLM-4.5, Kimi K2, DeepSeek-V3.2
NEW_FAMILIES = {"mixtral", "gemma2", "gemma3_text", "llama4_text", "phi3", "qwen2", "glm4_moe", "kimi_k2",
                "deepseek_v32", "minimax_m2"}


def test_catalog_has_25_models_across_the_new_families():
    assert len(CATALOG) >= 25
    assert NEW_FAMILIES <= {m.family for m in CATALOG}


def test_worked_kv_numbers_new_families():
    # Mixtral 8x7B: 32 layers x 8 KV heads x 128 x 2 (K, V) x 2 B
    assert a.get_model("mixtral-8x7b").kv_cache_per_token("bf16").m == 32 * 8 * 128 * 2 * 2 == 131_072
    # Gemma 2 9B: 21 of 42 layers are global; 2 x 8 KV heads x 256 x 2 B each
    g2 = a.get_model("gemma-2-9b")
    assert g2.kv_cache_per_token("bf16").m == 21 * 2 * 8 * 256 * 2 == 172_032
    assert g2.kv_cache_per_token("bf16", within_window=True).m == 42 * 2 * 8 * 256 * 2
    # Gemma 3 27B: 10 global layers of 62 (5 local : 1 global); 2 x 16 x 128 x 2 B
    assert a.get_model("gemma-3-27b").kv_cache_per_token("bf16").m == 10 * 2 * 16 * 128 * 2 == 81_920
    # Llama 4 Scout: 12 global (NoPE) layers grow; 36 chunked layers stop at 8192 tokens
    sc = a.get_model("llama-4-scout")
    assert sc.kv_cache_per_token("bf16").m == 12 * 2 * 8 * 128 * 2 == 49_152
    assert sc.kv_cache_bytes(100_000).m == 100_000 * 49_152 + 36 * 2 * 8 * 128 * 2 * 8192
    # DeepSeek-V3.2: MLA latent + RoPE key + the indexer's 128-wide key, 61 layers, 2 B
    assert a.get_model("deepseek-v3.2-exp").kv_cache_per_token("bf16").m == (512 + 64 + 128) * 61 * 2 == 85_888
    # Kimi K2 keeps DeepSeek-V3's MLA cache: (512 + 64) x 61 x 2 B
    assert a.get_model("kimi-k2").kv_cache_per_token("bf16").m == 70_272
    # GLM-4.5-Air: 46 layers x 8 KV heads x 128 x 2 x 2 B; Qwen2.5-7B: 28 x 4 x 128 x 2 x 2 B
    assert a.get_model("glm-4.5-air").kv_cache_per_token("bf16").m == 46 * 8 * 128 * 2 * 2 == 188_416
    assert a.get_model("qwen2.5-7b").kv_cache_per_token("bf16").m == 28 * 4 * 128 * 2 * 2 == 57_344
    # MiniMax-M2: 62 layers x 8 KV heads x 128 x 2 x 2 B
    assert a.get_model("minimax-m2").kv_cache_per_token("bf16").m == 62 * 8 * 128 * 2 * 2 == 253_952
    # Phi-3-mini: every layer slides over 2047 tokens: nothing grows past the window
    phi = a.get_model("phi-3-mini")
    assert phi.kv_cache_per_token("bf16").m == 0
    assert phi.kv_cache_bytes(10_000).m == 32 * 2 * 32 * 96 * 2 * 2047


def test_gemma2_exact_non_embedding_counts():
    # Gemma 2 report, Table 2: non-embedding parameters (tied embedding table excluded)
    for mid, non_emb in (("gemma-2-9b", 8_324_201_984), ("gemma-2-27b", 26_047_480_320)):
        m = a.get_model(mid)
        assert m.tied_embeddings and m.norms_per_layer == 4
        assert m.params_total() - m.param_breakdown()["embedding"] == non_emb


def test_local_global_patterns():
    g2 = a.get_model("gemma-2-27b")
    assert [str(k) for k in g2.layer_types[:4]] == ["sliding", "full", "sliding", "full"]
    assert g2.sliding_window == 4096
    g3 = a.get_model("gemma-3-27b")
    assert [i for i, k in enumerate(g3.layer_types) if k is AttentionKind.full] == list(range(5, 62, 6))
    assert g3.sliding_window == 1024 and g3.qk_norm
    sc = a.get_model("llama-4-scout")
    assert [i for i, k in enumerate(sc.layer_types) if k is AttentionKind.full] == list(range(3, 48, 4))
    assert sc.attention_chunk_size == 8192 and sc.attention_counts() == {"chunked": 36, "full": 12}


def test_interleaved_and_shared_experts():
    mav, sc = a.get_model("llama-4-maverick"), a.get_model("llama-4-scout")
    assert mav.moe_layers() == list(range(1, 48, 2)) and mav.ffn_size == 16384  # interleave_moe_layer_step 2
    assert sc.moe_layers() == list(range(48)) and sc.moe.dense_layers == ()
    assert mav.moe.n_shared_experts == 1 and mav.moe.shared_ffn == 8192
    # one routed + one shared expert, 3 x 5120 x 8192 each, on the 24 MoE layers; dense 3 x 5120 x 16384
    lp = mav.layer_params()
    assert int(lp["experts_active"].sum()) == 24 * 3 * 5120 * 8192
    assert int(lp["mlp"].sum()) == 24 * 3 * 5120 * 8192 + 24 * 3 * 5120 * 16384
    glm = a.get_model("glm-4.5-air")
    assert glm.moe.dense_layers == (0,) and glm.moe.router_bias and glm.qkv_bias and glm.mtp_layers == 1
    k2 = a.get_model("kimi-k2")
    assert k2.moe.n_routed_experts == 384 and k2.moe.dense_layers == (0,) and k2.n_heads == 64
    mx = a.get_model("mixtral-8x7b")
    assert mx.moe.n_shared_experts == 0 and mx.ffn_size is None and mx.moe.expert_ffn_size == 14336


def test_minimax_m2_full_width_qk_norm_and_lightning_refused():
    m = a.get_model("minimax-m2")
    assert m.qk_norm_full and not m.qk_norm and m.moe.router_bias and m.moe.n_shared_experts == 0
    # q_proj 3072 x 6144, k and v 3072 x 1024, o 6144 x 3072, q_norm 6144, k_norm 1024
    assert m.layer_params()["attention"][0] == 3072 * 6144 * 2 + 2 * 3072 * 1024 + 6144 + 1024
    cfg = dict(m.config, attn_type_list=[0] + [1] * 61)
    with pytest.raises(ModelConfigError, match=r"attn_type_list.*lightning"):
        Model.from_hf_config(cfg)


def test_deepseek_v32_indexer_parameters():
    v32, v3 = a.get_model("deepseek-v3.2-exp"), a.get_model("deepseek-v3")
    # per layer: wq_b 1536 x 64 x 128, wk 7168 x 128 + LayerNorm 2 x 128, weights_proj 7168 x 64
    per_layer = 1536 * 64 * 128 + 7168 * 128 + 2 * 128 + 7168 * 64
    assert v32.params_total() - v3.params_total() == 61 * per_layer
    assert v32.indexer.topk == 2048 and "indexer" in v32.describe()


def test_text_config_is_read():
    m = a.get_model("llama-4-maverick")
    assert m.family == "llama4_text" and m.config["model_type"] == "llama4"
    cfg = json.loads(json.dumps(m.config))
    del cfg["text_config"]["hidden_size"]
    with pytest.raises(ModelConfigError) as exc:
        Model.from_hf_config(cfg)
    assert exc.value.field == "text_config.hidden_size"
    # without a model_type inside text_config, the wrapper's family decides (gemma3 -> gemma3_text)
    cfg = json.loads(json.dumps(a.get_model("gemma-3-27b").config))
    del cfg["text_config"]["model_type"]
    assert Model.from_hf_config(cfg).params_total() == a.get_model("gemma-3-27b").params_total()
    cfg["text_config"]["my_field"] = 1
    cfg["my_outer_field"] = 2
    assert Model.from_hf_config(cfg).unused_config_fields == ("my_outer_field", "text_config.my_field")
    with pytest.raises(ModelConfigError, match="my_outer_field"):
        Model.from_hf_config(cfg, strict=True)
    with pytest.raises(ModelConfigError, match=r"text_config\.model_type"):
        Model.from_hf_config({"text_config": {"hidden_size": 8}})


def test_chunked_layers_need_a_chunk_size():
    cfg = json.loads(json.dumps(a.get_model("gpt-oss-120b").config))
    cfg["layer_types"] = ["chunked_attention", *cfg["layer_types"][1:]]
    with pytest.raises(ModelConfigError, match="attention_chunk_size"):
        Model.from_hf_config(cfg)


def test_readme_states_the_model_count():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"and (\d+) models", readme)
    assert stated and int(stated.group(1)) == len(CATALOG)


# --- issues 25 and 22: published configs (quantization, context) and new families --------------
def test_published_quantization_and_context():
    # Kimi K2 and MiniMax-M2 ship fp8 (128 x 128 blocks); their configs say so
    for mid in ("kimi-k2", "minimax-m2", "minimax-m2.5", "deepseek-r1", "deepseek-v3.2", "qwen3-235b-a22b-fp8"):
        wf = a.get_model(mid).weight_format
        assert wf.method == "fp8", mid
        assert wf.dtypes["experts" if a.get_model(mid).is_moe else "mlp"].name.startswith("fp8"), mid
    assert a.get_model("kimi-k2.5").weight_format.method == "compressed-tensors"
    assert a.get_model("gpt-oss-20b").weight_format.method == "mxfp4"
    assert a.get_model("qwen3.5-397b-a17b").weight_format.method is None  # bf16 release
    contexts = {"kimi-k2": 131072, "kimi-k2.5": 262144, "minimax-m2": 196608, "minimax-m2.7": 204800,
                "gemma-3-27b": 131072, "qwen2.5-32b": 32768, "qwen2.5-72b": 32768, "glm-5": 202752,
                "glm-4.5": 131072, "glm-4.6": 202752, "qwen3-coder-480b-a35b": 262144}
    assert {mid: a.get_model(mid).max_context for mid in contexts} == contexts
    # DeepSeek-R1 is its own entry now, with V3's architecture
    r1, v3 = a.get_model("DeepSeek-R1"), a.get_model("deepseek-v3")
    assert r1.id == "deepseek-r1" and r1.params_total() == v3.params_total()
    assert a.get_model("DeepSeek-V3.2").id == "deepseek-v3.2" and a.get_model("dsv32-exp").id == "deepseek-v3.2-exp"


def test_gemma3_context_defaults_to_transformers():
    cfg = json.loads(json.dumps(a.get_model("gemma-3-27b").config))
    assert "max_position_embeddings" not in cfg["text_config"]
    cfg["text_config"]["max_position_embeddings"] = 8192
    assert Model.from_hf_config(cfg).max_context == 8192


def test_catalog_has_45_models_and_the_issue_22_families():
    assert len(CATALOG) >= 45
    assert {"qwen3_5_moe_text", "glm_moe_dsa"} <= {m.family for m in CATALOG}


def test_qwen35_hybrid_layers():
    m = a.get_model("qwen3.5-397b-a17b")
    assert m.family == "qwen3_5_moe_text" and m.config["model_type"] == "qwen3_5_moe"
    assert m.attention_counts() == {"linear": 45, "full": 15} and m.mtp_layers == 1
    assert m.moe.n_routed_experts == 512 and m.moe.experts_per_token == 10 and m.moe.shared_expert_gate
    # 15 full layers x 2 KV heads x 256 x 2 (K, V) x 2 B
    assert m.kv_cache_per_token("bf16").m == 15 * 2 * 256 * 2 * 2 == 30_720
    cfg = json.loads(json.dumps(m.config))
    cfg["text_config"]["attn_output_gate"] = False
    with pytest.raises(ModelConfigError, match="attn_output_gate"):
        Model.from_hf_config(cfg)


def test_glm5_is_mla_with_an_indexer():
    m = a.get_model("glm-5")
    assert m.attention_variant == "MLA" and m.indexer.n_heads == 32 and m.indexer.topk == 2048
    assert m.head_dim == 192 + 64 and m.moe.n_routed_experts == 256 and m.moe.dense_layers == (0, 1, 2)
    # latent 512 + RoPE key 64 + indexer key 128, 78 layers, 2 B
    assert m.kv_cache_per_token("bf16").m == (512 + 64 + 128) * 78 * 2 == 109_824
    cfg = dict(m.config, qk_head_dim=128)
    with pytest.raises(ModelConfigError, match="qk_head_dim"):
        Model.from_hf_config(cfg)
    assert a.get_model("glm-5.1").params_total() == m.params_total()


def test_qwen3_flags_spelled_out():
    m = a.get_model("qwen3-coder-480b-a35b")
    assert m.qk_norm and m.moe.n_shared_experts == 0 and m.moe.n_routed_experts == 160
    with pytest.raises(ModelConfigError, match="use_qk_norm"):
        Model.from_hf_config(dict(m.config, use_qk_norm=False))
    with pytest.raises(ModelConfigError, match="shared_expert_intermediate_size"):
        Model.from_hf_config(dict(m.config, shared_expert_intermediate_size=1024))
