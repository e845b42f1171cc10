"""Read a Hugging Face ``config.json`` into the fields of :class:`accelspec.model.architecture.Model`.

One reader per family (``model_type``), following the defaults of the transformers
configuration classes (``LlamaConfig``, ``MistralConfig``, ``MixtralConfig``, ``Phi3Config``,
``Qwen2Config``, ``Qwen3Config``, ``Qwen3MoeConfig``, ``Qwen3NextConfig``, ``Gemma2Config``,
``Gemma3TextConfig``, ``Llama4TextConfig``, ``Glm4MoeConfig``, ``DeepseekV3Config`` (also
``kimi_k2``), DeepSeek-V3.2's ``deepseek_v32`` (also GLM-5's ``glm_moe_dsa``), ``MiniMaxM2Config``,
``GptOssConfig``; Qwen3.5's ``qwen3_5_moe_text`` is read as Qwen3-Next). Every problem names the field.

Multimodal configs (``llama4``, ``gemma3``, ``mistral3``, ...) keep the language model under
``text_config``; that part is read (its fields are named ``text_config.<field>``) and the
vision tower is left out of every count.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ModelConfigError
from .layers import AttentionKind

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
    # logits soft-capping, attention scaling, activation and cache hints (Gemma 2/3, Llama 4)
    "attn_logit_softcapping", "final_logit_softcapping", "query_pre_attn_scalar", "cache_implementation",
    "hidden_activation", "sliding_window_size", "rope_local_base_freq", "attn_temperature_tuning",
    "floor_scale", "attn_scale", "no_rope_layer_interval", "for_llm_compressor", "_attn_implementation",
    "_attn_implementation_autoset", "router_jitter_noise", "embd_pdrop", "resid_pdrop",
    "original_max_position_embeddings", "rotary_dim", "use_mtp", "num_mtp_modules", "mtp_transformer_layers",
    # issue 22: Qwen3-Coder's qkv_bias (no Qwen3MoeConfig field, transformers ignores it); Qwen3.5's
    # state dtype and MTP embedding flag; GLM-5's indexer rope layout
    "qkv_bias", "mamba_ssm_dtype", "mtp_use_dedicated_embeddings", "indexer_rope_interleave",
    # generation and task defaults that PretrainedConfig.to_dict() writes into a nested text_config
    # (Kimi K2.5): none changes the model's shapes
    "add_cross_attention", "bad_words_ids", "begin_suppress_tokens", "chunk_size_feed_forward",
    "cross_attention_hidden_size", "decoder_start_token_id", "diversity_penalty", "do_sample", "early_stopping",
    "encoder_no_repeat_ngram_size", "exponential_decay_length_penalty", "finetuning_task", "forced_bos_token_id",
    "forced_eos_token_id", "id2label", "is_encoder_decoder", "label2id", "length_penalty", "max_length",
    "min_length", "no_repeat_ngram_size", "num_beam_groups", "num_beams", "num_return_sequences",
    "output_attentions", "output_hidden_states", "output_scores", "prefix", "problem_type", "pruned_heads",
    "remove_invalid_values", "repetition_penalty", "return_dict", "return_dict_in_generate", "sep_token_id",
    "suppress_tokens", "task_specific_params", "temperature", "tf_legacy_loss", "tie_encoder_decoder",
    "tokenizer_class", "top_k", "top_p", "torchscript", "typical_p", "use_bfloat16",
}

# top-level fields of a multimodal wrapper that say nothing about the language model
_WRAPPER_IGNORED = _IGNORED | {
    "vision_config", "boi_token_index", "eoi_token_index", "image_token_index", "image_token_id",
    "mm_tokens_per_image", "vision_feature_layer", "vision_feature_select_strategy", "projector_hidden_act",
    "multimodal_projector_bias", "spatial_merge_size", "initializer_range", "pad_token_id",
    "tie_word_embeddings", "text_config",
    # Kimi K2.5 and Qwen3.5 wrappers
    "ignore_index", "media_placeholder_token_id",
    "use_unified_vision_chunk", "video_placeholder", "video_token_id", "vision_start_token_id",
    "vision_end_token_id",
}

# multimodal wrappers: outer model_type -> the text model's model_type when text_config omits it
_TEXT_FAMILY = {"llama4": "llama4_text", "gemma3": "gemma3_text", "mistral3": "mistral", "kimi_k25": "kimi_k2",
                "qwen3_5_moe": "qwen3_5_moe_text"}


class _Reader:
    """Typed access to one config dict that remembers which fields it read."""

    def __init__(self, cfg: Mapping[str, Any], label: str, prefix: str = ""):
        self.cfg = cfg
        self.label = label
        self.prefix = prefix  # "text_config." when reading a multimodal config's language model
        self.read: set[str] = set()

    def fail(self, field: str | None, message: str) -> ModelConfigError:
        return ModelConfigError(message, field=f"{self.prefix}{field}" if field else None, source=self.label)

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

    def int_list(self, key: str, default: Any = _MISSING) -> list[builtins.int]:
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
    "chunked_attention": AttentionKind.chunked,
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
    f = _mistral_attention(r)
    f["ffn_size"] = r.int("intermediate_size")
    return f


def _mistral_attention(r: _Reader) -> dict[str, Any]:
    """Mistral/Mixtral: every layer sliding when ``sliding_window`` is set, full when null."""
    f = _shape(r)
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
    if not r.bool("use_qk_norm", True):  # Qwen3-Coder spells it out; Qwen3 always normalizes q and k
        raise r.fail("use_qk_norm", "qwen3 models always have a q and k norm")
    f["qk_norm"] = True
    _qwen_sliding(r, f)
    return f


def _qwen_moe(r: _Reader, f: dict[str, Any], shared: bool) -> None:
    L = f["n_layers"]
    step = r.int("decoder_sparse_step", 1)
    mlp_only = set(r.int_list("mlp_only_layers", []))
    dense = tuple(i for i in range(L) if i in mlp_only or (i + 1) % step)
    shared_size = r.int("shared_expert_intermediate_size", 0, minimum=0)
    if shared_size and not shared:
        raise r.fail("shared_expert_intermediate_size", "this family has no shared expert")
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
    if not r.bool("attn_output_gate", True):  # Qwen3.5 spells it out
        raise r.fail("attn_output_gate", "only the gated attention of Qwen3-Next/Qwen3.5 is supported")
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
    f["mtp_layers"] = r.int("mtp_num_hidden_layers", 0, minimum=0)  # Qwen3.5; not counted
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


def _mixtral(r: _Reader) -> dict[str, Any]:
    """Mixtral: Mistral attention, every FFN a top-k of ``num_local_experts`` SwiGLU experts
    of ``intermediate_size`` (``MixtralSparseMoeBlock``: router without bias, no shared expert)."""
    f = _mistral_attention(r)
    f["moe"] = {
        "n_routed_experts": r.int("num_local_experts"),
        "experts_per_token": r.int("num_experts_per_tok"),
        "expert_ffn_size": r.int("intermediate_size"),
    }
    f["ffn_size"] = None
    return f


def _phi3(r: _Reader) -> dict[str, Any]:
    """Phi-3 / Phi-4: Llama-shaped (fused qkv and gate_up projections, same parameter count);
    ``sliding_window`` (Phi-3: 2047) applies to every layer, ``null`` (Phi-4) to none."""
    f = _shape(r)
    f["ffn_size"] = r.int("intermediate_size")
    f["attention_bias"] = r.bool("attention_bias", False)
    window = r.int("sliding_window", None)
    f["layer_types"] = [AttentionKind.sliding if window else AttentionKind.full] * f["n_layers"]
    if window:
        f["sliding_window"] = window
    return f


def _gemma_common(r: _Reader, every: int) -> dict[str, Any]:
    """Gemma 2/3: four RMSNorms per layer (around attention and FFN), GeGLU FFN (three
    matrices, as SwiGLU), tied embeddings by default; layer ``i`` is global when
    ``(i + 1) % every == 0`` and sliding (``sliding_window``) otherwise, unless ``layer_types``
    lists them."""
    f = _shape(r)
    f["tied_embeddings"] = r.bool("tie_word_embeddings", True)
    f["ffn_size"] = r.int("intermediate_size")
    f["attention_bias"] = r.bool("attention_bias", False)
    f["norms_per_layer"] = 4
    L = f["n_layers"]
    types = _layer_types(r, L)
    if types is None:
        types = [AttentionKind.full if (i + 1) % every == 0 else AttentionKind.sliding for i in range(L)]
    f["layer_types"] = types
    if AttentionKind.sliding in types:
        f["sliding_window"] = r.int("sliding_window")
    return f


def _gemma2(r: _Reader) -> dict[str, Any]:
    """Gemma 2: local (sliding) and global layers alternate, local first (Gemma2Config)."""
    return _gemma_common(r, 2)


def _gemma3_text(r: _Reader) -> dict[str, Any]:
    """Gemma 3: five local layers to one global (``sliding_window_pattern``, default 6), and
    an RMSNorm on q and k per head."""
    f = _gemma_common(r, r.int("sliding_window_pattern", 6))
    f["qk_norm"] = True
    if f["max_context"] is None:  # Gemma3TextConfig default; the hub file of gemma-3-27b-it omits it
        f["max_context"] = 131072
    return f


def _llama4_text(r: _Reader) -> dict[str, Any]:
    """Llama 4 (Llama4TextConfig): chunked local attention on the RoPE layers, global (NoPE)
    attention on every ``no_rope_layer_interval``-th (default 4) layer; an MoE FFN (top-k routed
    experts of ``intermediate_size`` plus one shared expert of the same width) on the layers in
    ``moe_layers`` (default every ``interleave_moe_layer_step``-th), a dense FFN of
    ``intermediate_size_mlp`` elsewhere. The qk norm is a weightless L2 norm."""
    f = _shape(r)
    L = f["n_layers"]
    f["attention_bias"] = r.bool("attention_bias", False)
    r.bool("use_qk_norm", True)  # L2Norm without weights: no parameters, no cache
    types = _layer_types(r, L)
    if types is None:
        nope = r.get("no_rope_layers", None)
        if nope:
            if not isinstance(nope, (list, tuple)) or len(nope) != L:
                raise r.fail("no_rope_layers", f"expected a list of {L} flags, got {nope!r:.80}")
            types = [AttentionKind.chunked if x else AttentionKind.full for x in nope]
        else:
            every = r.int("no_rope_layer_interval", 4)
            types = [AttentionKind.chunked if (i + 1) % every else AttentionKind.full for i in range(L)]
    else:
        r.read.add("no_rope_layers")
    f["layer_types"] = types
    if AttentionKind.chunked in types:
        f["attention_chunk_size"] = r.int("attention_chunk_size", 8192)
    if AttentionKind.sliding in types:
        f["sliding_window"] = r.int("sliding_window")
    step = r.int("interleave_moe_layer_step", 1)
    moe_layers = r.get("moe_layers", None)
    if moe_layers is None:
        moe_layers = list(range(step - 1, L, step))
    else:
        moe_layers = r.int_list("moe_layers")
    moe_set = set(moe_layers)
    dense = tuple(i for i in range(L) if i not in moe_set)
    width = r.int("intermediate_size")
    f["moe"] = {
        "n_routed_experts": r.int("num_local_experts"),
        "experts_per_token": r.int("num_experts_per_tok"),
        "expert_ffn_size": width,
        "n_shared_experts": 1,
        "shared_expert_ffn_size": width,
        "dense_layers": dense,
    }
    f["ffn_size"] = r.int("intermediate_size_mlp") if dense else r.int("intermediate_size_mlp", None)
    return f


def _glm4_moe(r: _Reader) -> dict[str, Any]:
    """GLM-4.5 (Glm4MoeConfig): GQA with biases on q, k and v (``attention_bias``), optional
    qk norm; DeepSeek-V3-style MoE (routed + shared experts, the first ``first_k_dense_replace``
    layers dense, a score-correction bias per expert); MTP layers not counted."""
    f = _shape(r)
    L = f["n_layers"]
    f["qkv_bias"] = r.bool("attention_bias", False)
    f["qk_norm"] = r.bool("use_qk_norm", False)
    f["layer_types"] = [AttentionKind.full] * L
    first = r.int("first_k_dense_replace", 1, minimum=0)
    dense = tuple(range(min(first, L)))
    f["moe"] = {
        "n_routed_experts": r.int("n_routed_experts"),
        "experts_per_token": r.int("num_experts_per_tok"),
        "expert_ffn_size": r.int("moe_intermediate_size"),
        "n_shared_experts": r.int("n_shared_experts", 1, minimum=0),
        "dense_layers": dense,
        "router_bias": True,  # Glm4MoeTopkRouter keeps e_score_correction_bias
    }
    f["ffn_size"] = r.int("intermediate_size") if dense else r.int("intermediate_size", None)
    f["mtp_layers"] = r.int("num_nextn_predict_layers", 0, minimum=0)
    return f


def _deepseek_v32(r: _Reader) -> dict[str, Any]:
    """DeepSeek-V3.2: DeepSeek-V3 plus the sparse-attention indexer (DSA) on every layer: its
    own projections (``index_n_heads`` x ``index_head_dim``) and one cached indexer key of
    ``index_head_dim`` per token and layer, next to the MLA latent."""
    f = _deepseek_v3(r)
    qk = r.int("qk_head_dim", f["head_dim"])  # GLM-5 (glm_moe_dsa) spells out nope + rope
    if qk != f["head_dim"]:
        raise r.fail("qk_head_dim", f"expected qk_nope_head_dim + qk_rope_head_dim = {f['head_dim']}, got {qk}")
    f["indexer"] = {
        "n_heads": r.int("index_n_heads"),
        "head_dim": r.int("index_head_dim"),
        "topk": r.int("index_topk"),
    }
    return f


def _minimax_m2(r: _Reader) -> dict[str, Any]:
    """MiniMax-M2: GQA softmax attention on every layer (``attn_type_list`` all 1), an RMSNorm
    over all q and all k heads at once (``qk_norm_type: per_layer``), and an MoE FFN of
    ``num_local_experts`` SwiGLU experts of ``intermediate_size`` with a per-expert routing
    bias (``use_routing_bias``) and no shared expert. Lightning-attention layers (type 0, as in
    MiniMax-Text-01/M1) are not supported and are named as such."""
    f = _shape(r)
    L = f["n_layers"]
    kinds = r.get("attn_type_list", None)
    if kinds is not None:
        if not isinstance(kinds, (list, tuple)) or len(kinds) != L:
            raise r.fail("attn_type_list", f"expected a list of {L} layer types, got {kinds!r:.80}")
        if any(k != 1 for k in kinds):
            raise r.fail("attn_type_list", "lightning (linear) attention layers (type 0) are not supported")
    f["layer_types"] = [AttentionKind.full] * L
    f["attention_bias"] = r.bool("attention_bias", False)
    if r.bool("use_qk_norm", True):
        norm = r.get("qk_norm_type", "per_layer")
        if norm == "per_layer":
            f["qk_norm_full"] = True
        elif norm == "per_head":
            f["qk_norm"] = True
        else:
            raise r.fail("qk_norm_type", f"expected per_layer or per_head, got {norm!r}")
    if r.int("shared_intermediate_size", 0, minimum=0):
        raise r.fail("shared_intermediate_size", "shared experts are not supported for minimax_m2")
    f["moe"] = {
        "n_routed_experts": r.int("num_local_experts"),
        "experts_per_token": r.int("num_experts_per_tok"),
        "expert_ffn_size": r.int("intermediate_size"),
        "router_bias": r.bool("use_routing_bias", True),
    }
    f["ffn_size"] = None
    return f


READERS: dict[str, Callable[[_Reader], dict[str, Any]]] = {
    "llama": _llama,
    "mistral": _mistral,
    "mixtral": _mixtral,
    "phi3": _phi3,
    "gemma2": _gemma2,
    "gemma3_text": _gemma3_text,
    "llama4_text": _llama4_text,
    "glm4_moe": _glm4_moe,
    "minimax_m2": _minimax_m2,
    "kimi_k2": _deepseek_v3,
    "deepseek_v32": _deepseek_v32,
    "glm_moe_dsa": _deepseek_v32,  # GLM-5: DeepSeek-V3.2's MLA + indexer + MoE layout, GLM sizes
    "qwen2": _qwen2,
    "qwen3": _qwen3,
    "qwen3_moe": _qwen3_moe,
    "qwen3_next": _qwen3_next,
    "qwen3_5_moe_text": _qwen3_next,  # Qwen3.5 MoE: Qwen3-Next's hybrid layers (layer_types listed)
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


def _weight_format(cfg: Mapping[str, Any], fields: Mapping[str, Any], hf_quant: Mapping[str, Any] | None,
                   label: str) -> Any:
    from .quant import checkpoint_format

    return checkpoint_format(cfg, fields, hf_quant=hf_quant, label=label.rsplit("/", 1)[-1])


def parse_hf_config(cfg: Mapping[str, Any], label: str = "config.json", strict: bool = False,
                    hf_quant: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Model fields from a config dict; raises :class:`ModelConfigError` naming the field.

    A multimodal config (``text_config`` present, outer ``model_type`` a wrapper such as
    ``llama4`` or ``gemma3``, or no outer ``model_type``) is read from its ``text_config``;
    fields there are named ``text_config.<field>`` in errors and in ``unused_config_fields``.
    """
    outer = _Reader(cfg, label)
    family = outer.get("model_type", None)
    text = cfg.get("text_config")
    if text is not None and (family is None or family in _TEXT_FAMILY or family not in READERS):
        if not isinstance(text, Mapping):
            raise outer.fail("text_config", f"expected an object, got {text!r:.60}")
        inner_family = text.get("model_type") or _TEXT_FAMILY.get(str(family))
        if inner_family is None:
            raise outer.fail("text_config.model_type", "required field is missing; supported: " + ", ".join(READERS))
        inner = dict(text)
        inner["model_type"] = inner_family
        for key in ("torch_dtype", "dtype", "quantization_config"):
            if inner.get(key) is None and cfg.get(key) is not None:
                inner[key] = cfg[key]
        fields = _parse_one(inner, label, "text_config.", hf_quant)
        outer_unused = [k for k in cfg if k not in _WRAPPER_IGNORED]
        unused = sorted(outer_unused) + list(fields["unused_config_fields"])
        fields["unused_config_fields"] = tuple(unused)
        fields["family"] = str(inner_family)
    else:
        fields = _parse_one(cfg, label, "", hf_quant)
        unused = list(fields["unused_config_fields"])
    if strict and unused:
        raise ModelConfigError("not understood by the reader for "
                               f"{fields['family']!r} (strict mode); all unknown fields: {', '.join(unused)}",
                               field=unused[0], source=label)
    return fields


def _parse_one(cfg: Mapping[str, Any], label: str, prefix: str,
               hf_quant: Mapping[str, Any] | None = None) -> dict[str, Any]:
    r = _Reader(cfg, label, prefix)
    family = r.get("model_type", None)
    if family is None:
        raise r.fail("model_type", "required field is missing; supported: " + ", ".join(READERS))
    if not isinstance(family, str) or family not in READERS:
        raise r.fail("model_type", f"unsupported family {family!r}; supported: " + ", ".join(READERS))
    fields = READERS[str(family)](r)
    fields["family"] = str(family)
    fields["native_dtypes"] = _native_dtypes(r, str(family))
    fields["weight_format"] = _weight_format(cfg, fields, hf_quant, label)
    fields["unused_config_fields"] = tuple(prefix + k for k in sorted(cfg) if k not in r.read and k not in _IGNORED)
    return fields
