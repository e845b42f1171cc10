"""Models: config.json reading, parameter counts against published totals, KV bytes, catalog lookup."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.model import AttentionKind, Model, ModelConfigError
from accelspec.model_catalog import ModelCatalog, UnknownModelError

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
    assert m.params_total() == pytest.approx(pub, rel=0.01)


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
    if any(t is AttentionKind.sliding for t in m.layer_types):
        ctx = max(ctx, m.sliding_window)  # past the window, the growth is linear
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
    assert {m.id for m in a.models(family="qwen3_moe")} == {"qwen3-30b-a3b", "qwen3-235b-a22b"}
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
    cfg["layer_types"] = ["chunked_attention", *cfg["layer_types"][1:]]
    with pytest.raises(ModelConfigError, match=r"layer_types\[0\].*chunked_attention"):
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
