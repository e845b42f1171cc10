"""Read a Hugging Face ``config.json`` into the fields of :class:`accelspec.model.Model`.

One reader per family (``model_type``), following the defaults of the transformers
configuration classes (``LlamaConfig``, ``Qwen2Config``, ``Qwen3Config``, ``Qwen3MoeConfig``,
``Qwen3NextConfig``, ``DeepseekV3Config``, ``GptOssConfig``). Every problem names the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .model import AttentionKind, ModelConfigError

__all__ = ["READERS", "parse_hf_config"]

_MISSING = object()

# fields that change nothing this library computes
_IGNORED = {
    "_name_or_path", "architectures", "attention_dropout", "auto_map", "bos_token_id", "eos_token_id",
    "pad_token_id", "hidden_act", "initializer_range", "rms_norm_eps", "rope_scaling", "rope_theta",
    "rope_parameters", "torch_dtype", "dtype", "transformers_version", "use_cache", "pretraining_tp",
    "output_router_logits", "router_aux_loss_coef", "norm_topk_prob", "partial_rotary_factor",
    "initial_context_length", "swiglu_limit", "aux_loss_alpha", "ep_size", "n_group", "topk_group",
    "routed_scaling_factor", "scoring_func", "seq_aux", "rope_interleave", "model_type",
    "use_mrope", "attn_implementation", "is_decoder", "use_return_dict", "topk_method",
}


class _Reader:
    """Typed access to one config dict that remembers which fields it read."""

    def __init__(self, cfg: Mapping[str, Any], label: str):
        self.cfg = cfg
        self.label = label
        self.read: set[str] = set()

    def fail(self, field: str | None, message: str) -> ModelConfigError:
        return ModelConfigError(message, field=field, source=self.label)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        self.read.add(key)
        if key in self.cfg and self.cfg[key] is not None:
            return self.cfg[key]
        if default is _MISSING:
            fam = self.cfg.get("model_type")
            raise self.fail(key, f"required field is missing (model_type {fam!r})")
        return default

    def int(self, key: str, default: Any = _MISSING, minimum: int = 1, maximum: int = 2**40) -> Any:
        v = self.get(key, default)
        if v is default and default is not _MISSING:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            else:
                raise self.fail(key, f"expected an integer, got {v!r}")
        if v < minimum:
            raise self.fail(key, f"must be >= {minimum}, got {v}")
        if v > maximum:
            raise self.fail(key, f"must be <= {maximum}, got {v}")
        return v

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        v = self.get(key, default)
        if not isinstance(v, bool):
            raise self.fail(key, f"expected true or false, got {v!r}")
        return v

    def int_list(self, key: str, default: Any = _MISSING) -> list[int]:
        v = self.get(key, default)
        if not isinstance(v, (list, tuple)) or any(isinstance(x, bool) or not isinstance(x, int) for x in v):
            raise self.fail(key, f"expected a list of layer indices, got {v!r}")
        return list(v)


_LAYER_NAMES = {
    "full_attention": AttentionKind.full,
    "attention": AttentionKind.full,
    "global": AttentionKind.full,
    "sliding_attention": AttentionKind.sliding,
    "sliding_window": AttentionKind.sliding,
    "local": AttentionKind.sliding,
    "linear_attention": AttentionKind.linear,
}


MAX_LAYERS = 2**16  # far above any published model; refused before a per-layer list is built


def _layer_types(r: _Reader, n_layers: int) -> list[AttentionKind] | None:
    raw = r.get("layer_types", None)
    if raw is None:
        return None
    if not isinstance(raw, (list, tuple)) or len(raw) != n_layers:
        raise r.fail("layer_types", f"expected a list of {n_layers} layer types, got {raw!r:.80}")
    out = []
    for i, name in enumerate(raw):
        kind = _LAYER_NAMES.get(str(name))
        if kind is None:
            raise r.fail(f"layer_types[{i}]", f"unsupported layer type {name!r} (understood: "
                         + ", ".join(sorted(_LAYER_NAMES)) + ")")
        out.append(kind)
    return out


def _shape(r: _Reader) -> dict[str, Any]:
    L = r.int("num_hidden_layers", maximum=MAX_LAYERS)
    h = r.int("hidden_size")
    heads = r.int("num_attention_heads")
    kv = r.int("num_key_value_heads", heads)
    if heads % kv:
        raise r.fail("num_key_value_heads", f"{kv} does not divide num_attention_heads {heads}")
    hd = r.get("head_dim", None)
    if hd is None:
        if h % heads:
            raise r.fail("head_dim", f"missing, and hidden_size {h} is not a multiple of num_attention_heads {heads}")
        hd = h // heads
    else:
        hd = r.int("head_dim")
    return {
        "n_layers": L, "hidden_size": h, "n_heads": heads, "n_kv_heads": kv, "head_dim": hd,
        "vocab_size": r.int("vocab_size"),
        "tied_embeddings": r.bool("tie_word_embeddings", False),
        "max_context": r.int("max_position_embeddings", None),
    }


def _qwen_sliding(r: _Reader, f: dict[str, Any]) -> None:
    """Qwen2/Qwen3: with ``use_sliding_window``, layers from ``max_window_layers`` on are sliding."""
    L = f["n_layers"]
    types = _layer_types(r, L)
    window = r.int("sliding_window", None)
    use = r.bool("use_sliding_window", False)
    first = r.int("max_window_layers", L, minimum=0)
    if types is None:
        if use and window:
            types = [AttentionKind.sliding if i >= first else AttentionKind.full for i in range(L)]
        else:
            types = [AttentionKind.full] * L
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        if not window:
            raise r.fail("sliding_window", "sliding layers need a window size")
        f["sliding_window"] = window


def _llama(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    f["ffn_size"] = r.int("intermediate_size")
    f["attention_bias"] = r.bool("attention_bias", False)
    f["mlp_bias"] = r.bool("mlp_bias", False)
    types = _layer_types(r, f["n_layers"]) or [AttentionKind.full] * f["n_layers"]
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        f["sliding_window"] = r.int("sliding_window")
    return f


def _mistral(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    f["ffn_size"] = r.int("intermediate_size")
    window = r.int("sliding_window", None)
    types = _layer_types(r, f["n_layers"])
    if types is None:
        types = [AttentionKind.sliding if window else AttentionKind.full] * f["n_layers"]
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        if not window:
            raise r.fail("sliding_window", "sliding layers need a window size")
        f["sliding_window"] = window
    return f


def _qwen2(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    f["ffn_size"] = r.int("intermediate_size")
    f["qkv_bias"] = True  # Qwen2Attention: q, k, v projections with bias, o without
    _qwen_sliding(r, f)
    return f


def _qwen3(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    f["ffn_size"] = r.int("intermediate_size")
    f["attention_bias"] = r.bool("attention_bias", False)
    f["qk_norm"] = True
    _qwen_sliding(r, f)
    return f


def _qwen_moe(r: _Reader, f: dict[str, Any], shared: bool) -> None:
    L = f["n_layers"]
    step = r.int("decoder_sparse_step", 1)
    mlp_only = set(r.int_list("mlp_only_layers", []))
    dense = tuple(i for i in range(L) if i in mlp_only or (i + 1) % step)
    shared_size = r.int("shared_expert_intermediate_size", 0, minimum=0) if shared else 0
    f["moe"] = {
        "n_routed_experts": r.int("num_experts"),
        "experts_per_token": r.int("num_experts_per_tok"),
        "expert_ffn_size": r.int("moe_intermediate_size"),
        "n_shared_experts": 1 if shared_size else 0,
        "shared_expert_ffn_size": shared_size or None,
        "shared_expert_gate": bool(shared_size),
        "dense_layers": dense,
    }
    f["ffn_size"] = r.int("intermediate_size") if dense else r.int("intermediate_size", None)


def _qwen3_moe(r: _Reader) -> dict[str, Any]:
    f = _qwen3(r)
    _qwen_moe(r, f, shared=False)
    return f


def _qwen3_next(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    f["attention_bias"] = r.bool("attention_bias", False)
    f["qk_norm"] = True
    f["attn_output_gate"] = True  # Qwen3NextAttention: q_proj emits queries and a sigmoid gate
    L = f["n_layers"]
    types = _layer_types(r, L)
    if types is None:
        every = r.int("full_attention_interval", 4)
        types = [AttentionKind.full if (i + 1) % every == 0 else AttentionKind.linear for i in range(L)]
    else:
        r.read.add("full_attention_interval")
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        raise r.fail("layer_types", "qwen3_next has no sliding-window layers")
    f["linear_attention"] = {
        "n_key_heads": r.int("linear_num_key_heads"),
        "n_value_heads": r.int("linear_num_value_heads"),
        "key_head_dim": r.int("linear_key_head_dim"),
        "value_head_dim": r.int("linear_value_head_dim"),
        "conv_kernel": r.int("linear_conv_kernel_dim", 4),
    }
    _qwen_moe(r, f, shared=True)
    return f


def _deepseek_v3(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    L = f["n_layers"]
    mla = {
        "kv_lora_rank": r.int("kv_lora_rank"),
        "qk_rope_head_dim": r.int("qk_rope_head_dim"),
        "qk_nope_head_dim": r.int("qk_nope_head_dim"),
        "v_head_dim": r.int("v_head_dim"),
        "q_lora_rank": r.int("q_lora_rank", None),
    }
    f["mla"] = mla
    f["head_dim"] = mla["qk_nope_head_dim"] + mla["qk_rope_head_dim"]  # query/key head width
    f["n_kv_heads"] = f["n_heads"]  # MLA expands the latent to one K and V per query head
    f["attention_bias"] = r.bool("attention_bias", False)
    if f["attention_bias"]:
        raise r.fail("attention_bias", "MLA with projection biases is not supported")
    f["layer_types"] = [AttentionKind.mla] * L
    n_routed = r.int("n_routed_experts", None)
    if n_routed:
        first = r.int("first_k_dense_replace", 0, minimum=0)
        freq = r.int("moe_layer_freq", 1)
        dense = tuple(i for i in range(L) if not (i >= first and i % freq == 0))
        f["moe"] = {
            "n_routed_experts": n_routed,
            "experts_per_token": r.int("num_experts_per_tok"),
            "expert_ffn_size": r.int("moe_intermediate_size"),
            "n_shared_experts": r.int("n_shared_experts", 0, minimum=0),
            "dense_layers": dense,
            # noaux_tc routing keeps a per-expert score-correction bias in the checkpoint
            "router_bias": r.get("topk_method", "") == "noaux_tc",
        }
        f["ffn_size"] = r.int("intermediate_size") if dense else r.int("intermediate_size", None)
    else:
        f["ffn_size"] = r.int("intermediate_size")
    f["mtp_layers"] = r.int("num_nextn_predict_layers", 0, minimum=0)
    return f


def _gpt_oss(r: _Reader) -> dict[str, Any]:
    f = _shape(r)
    L = f["n_layers"]
    types = _layer_types(r, L)
    if types is None:  # GptOssConfig default: sliding on even layers, full on odd ones
        types = [AttentionKind.sliding if (i + 1) % 2 else AttentionKind.full for i in range(L)]
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        f["sliding_window"] = r.int("sliding_window")
    f["attention_bias"] = r.bool("attention_bias", True)
    f["attention_sinks"] = True
    per_tok = r.get("num_experts_per_tok", None)
    per_tok = r.int("num_experts_per_tok") if per_tok is not None else r.int("experts_per_token")
    r.read.add("experts_per_token")
    f["moe"] = {
        "n_routed_experts": r.int("num_local_experts"),
        "experts_per_token": per_tok,
        "expert_ffn_size": r.int("intermediate_size"),
        "router_bias": True,
        "expert_bias": True,
    }
    f["ffn_size"] = None
    return f


READERS: dict[str, Callable[[_Reader], dict[str, Any]]] = {
    "llama": _llama,
    "mistral": _mistral,
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "qwen3_moe": _qwen3_moe,
    "qwen3_next": _qwen3_next,
    "deepseek_v3": _deepseek_v3,
    "gpt_oss": _gpt_oss,
}


def _native_dtypes(r: _Reader, family: str) -> dict[str, str]:
    q = r.get("quantization_config", None)
    dt = str(r.cfg.get("torch_dtype") or r.cfg.get("dtype") or "bfloat16")
    base = {"float32": "fp32", "float16": "fp16"}.get(dt, "bf16")
    if q is None:
        return {"default": base}
    if not isinstance(q, Mapping):
        raise r.fail("quantization_config", f"expected an object, got {q!r:.60}")
    method = str(q.get("quant_method", "")).lower()
    if method == "fp8":
        fmt = str(q.get("fmt", "e4m3")).lower()
        # FP8 applies to the Linear layers; embeddings and output head stay in bf16
        return {"default": "fp8_e5m2" if fmt == "e5m2" else "fp8", "embeddings": base}
    if method == "mxfp4":
        # gpt-oss: modules_to_not_convert keeps attention, router, embeddings and head in bf16
        return {"default": base, "experts": "mxfp4"}
    return {"default": base}  # other schemes (awq, gptq, ...): format not inferred


def parse_hf_config(cfg: Mapping[str, Any], label: str = "config.json", strict: bool = False) -> dict[str, Any]:
    """Model fields from a config dict; raises :class:`ModelConfigError` naming the field."""
    r = _Reader(cfg, label)
    family = r.get("model_type", None)
    if family is None and isinstance(cfg.get("text_config"), Mapping):
        raise r.fail("text_config", "multimodal configs are not supported; pass the text_config part")
    if family is None:
        raise r.fail("model_type", "required field is missing; supported: " + ", ".join(READERS))
    if not isinstance(family, str) or family not in READERS:
        raise r.fail("model_type", f"unsupported family {family!r}; supported: " + ", ".join(READERS))
    fields = READERS[str(family)](r)
    fields["family"] = str(family)
    fields["native_dtypes"] = _native_dtypes(r, str(family))
    unused = sorted(k for k in cfg if k not in r.read and k not in _IGNORED)
    if strict and unused:
        raise r.fail(unused[0], "not understood by the reader for "
                     f"{family!r} (strict mode); all unknown fields: {', '.join(unused)}")
    fields["unused_config_fields"] = tuple(unused)
    return fields
