"""Transformer model descriptions: shapes, parameter counts, weight bytes and KV-cache bytes.

A :class:`Model` is built from a Hugging Face ``config.json`` (:meth:`Model.from_hf_config`,
no network) or taken from the catalog (:func:`accelspec.get_model`). It covers dense and
mixture-of-experts stacks and every attention variant that changes the KV cache:

=========  ===============================================  =======================================
kind       what one layer keeps per token of context        formula (elements per token per layer)
=========  ===============================================  =======================================
full       K and V for each KV head (MHA, GQA, MQA)          ``2 * n_kv_heads * head_dim``
sliding    the same, but only for the last ``window`` tokens  ``2 * n_kv_heads * head_dim``, capped
chunked    the same, but only within the current chunk        ``2 * n_kv_heads * head_dim``, capped at
           (Llama 4: ``attention_chunk_size`` = 8192)          the chunk size
mla        one compressed latent plus the decoupled RoPE key  ``kv_lora_rank + qk_rope_head_dim``
           (+ DeepSeek-V3.2's indexer key)                     (``+ index_head_dim``)
linear     nothing per token: a fixed-size recurrent state    0 (state: :meth:`Model.linear_state_bytes`)
=========  ===============================================  =======================================

Worked numbers (tests check them exactly): Llama-2-7B in bf16 keeps
``2 * 32 layers * 4096 * 2 B = 524,288 B/token``; DeepSeek-V3 keeps
``(512 + 64) * 61 layers * 2 B = 70,272 B/token`` (MLA, DeepSeek-V2 paper, arXiv:2405.04434);
Mixtral 8x7B keeps ``32 layers * 8 KV heads * 128 * 2 (K, V) * 2 B = 131,072 B/token``.

A chunked layer (Llama 4) attends only to the tokens of its own chunk of
``attention_chunk_size`` tokens, so it never keeps more than that many; the bound is taken as
the chunk size (the worst case, at a chunk's last token), like a sliding window.

Parameter counts follow the module structure of the Hugging Face implementations (every
projection, bias, norm, router and expert), so they match the publishers' totals. "Active"
parameters are those a token passes through: everything except the routed experts it is not
sent to and, by default, the input embedding table (a lookup, not a matmul), the convention
of the gpt-oss model card (5.13B active for gpt-oss-120b). Some publishers (Qwen) count the
embedding too: ``params_active(include_embedding=True)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pint
import pint.compat
from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ModelConfigError
from ..provenance import FrozenDict, Record, Source, Spec, freeze
from ..units import Q_
from .config import READERS, parse_hf_config
from .datatypes import DType, dtype
from .datatypes import dtype as as_dtype
from .layers import AttentionKind

if TYPE_CHECKING:
    from .quant import WeightFormat

__all__ = [
    "MLA",
    "SUPPORTED_FAMILIES",
    "AttentionKind",
    "LinearAttention",
    "MoE",
    "Model",
    "ModelConfigError",
    "ParamSpec",
    "SparseIndexer",
]

class ParamSpec(Spec):
    """A published parameter count [dimensionless] with its source."""

    expected_unit: ClassVar[str | None] = ""


# pint hands `Quantity * spec` back to the spec (Spec.__rmul__), as it does for Spec itself
cast("MutableMapping[str, type | None]", pint.compat.upcast_type_map)[f"{__name__}.ParamSpec"] = ParamSpec

#: The Hugging Face ``model_type`` values :meth:`Model.from_hf_config` reads: the keys of
#: :data:`accelspec.model.config.READERS`, one reader per family.
SUPPORTED_FAMILIES: tuple[str, ...] = tuple(READERS)


class _Part(Record):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MoE(_Part):
    """Mixture-of-experts FFN.

    ``dense_layers``: layers that keep a dense FFN of ``Model.ffn_size`` instead (DeepSeek-V3's
    first three, ``first_k_dense_replace``; Qwen's ``mlp_only_layers``).
    """

    n_routed_experts: int = Field(gt=0)
    experts_per_token: int = Field(gt=0)
    expert_ffn_size: int = Field(gt=0)
    n_shared_experts: int = Field(default=0, ge=0)
    shared_expert_ffn_size: int | None = Field(default=None, gt=0,
                                               description="per shared expert; default expert_ffn_size")
    dense_layers: tuple[int, ...] = ()
    shared_expert_gate: bool = Field(default=False, description="a hidden->1 gate on the shared expert (Qwen3-Next)")
    router_bias: bool = Field(default=False,
                              description="a bias per expert in the router (gpt-oss; DeepSeek-V3 correction)")
    expert_bias: bool = Field(default=False, description="biases inside each expert (gpt-oss)")

    @model_validator(mode="after")
    def _check(self) -> MoE:
        if self.experts_per_token > self.n_routed_experts:
            raise ValueError(f"experts_per_token {self.experts_per_token} exceeds n_routed_experts "
                             f"{self.n_routed_experts}")
        return self

    @property
    def shared_ffn(self) -> int:
        return self.shared_expert_ffn_size or self.expert_ffn_size


class MLA(_Part):
    """Multi-head latent attention (DeepSeek-V2/V3). The cache per token and layer is the
    compressed latent (``kv_lora_rank``) plus the shared RoPE key (``qk_rope_head_dim``)."""

    kv_lora_rank: int = Field(gt=0)
    qk_rope_head_dim: int = Field(gt=0)
    qk_nope_head_dim: int = Field(gt=0)
    v_head_dim: int = Field(gt=0)
    q_lora_rank: int | None = Field(default=None, gt=0)


class LinearAttention(_Part):
    """A Gated DeltaNet layer (Qwen3-Next). Its state per sequence is fixed:
    ``n_value_heads * key_head_dim * value_head_dim`` (recurrent state) plus
    ``(conv_kernel - 1) * (2 * n_key_heads * key_head_dim + n_value_heads * value_head_dim)``
    (the short causal convolution's window), whatever the context length."""

    n_key_heads: int = Field(gt=0)
    n_value_heads: int = Field(gt=0)
    key_head_dim: int = Field(gt=0)
    value_head_dim: int = Field(gt=0)
    conv_kernel: int = Field(default=4, gt=0)

    @property
    def key_dim(self) -> int:
        return self.n_key_heads * self.key_head_dim

    @property
    def value_dim(self) -> int:
        return self.n_value_heads * self.value_head_dim

    @property
    def conv_dim(self) -> int:
        return 2 * self.key_dim + self.value_dim

    def state_elements(self) -> int:
        """Elements of state one sequence keeps in one layer (recurrent + convolution)."""
        return self.n_value_heads * self.key_head_dim * self.value_head_dim + (self.conv_kernel - 1) * self.conv_dim


class SparseIndexer(_Part):
    """DeepSeek-V3.2's sparse-attention indexer (DSA, "lightning indexer"): per layer, a query
    projection from the q latent (``q_lora_rank -> n_heads * head_dim``), a key projection
    (``hidden -> head_dim``) with a LayerNorm, and per-head weights (``hidden -> n_heads``). It
    caches one key of ``head_dim`` per token and layer next to the MLA latent, and picks the
    ``topk`` tokens each query attends to (the cache still holds every token)."""

    n_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    topk: int = Field(gt=0)


_NATIVE_KEYS = ("default", "experts", "embeddings")
_MAX_PARAMS = 2**50  # ~1.1e15 parameters: 1000x any published model, and every byte count stays exact


#: Per-instance memo of derived arrays (layer parameters, KV elements, windows), keyed by
#: ``id`` and holding the instance itself, so that an id is never reused while its entry
#: lives. A copy (``model_copy(update=...)``) is a new instance and computes afresh.
_MEMO: dict[int, tuple[Any, dict[str, Any]]] = {}
_MEMO_MAX = 256
_T = TypeVar("_T")


def _readonly(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        value.setflags(write=False)
    elif isinstance(value, dict):
        for v in value.values():
            _readonly(v)
    return value


def memo(model: object, key: str, compute: Callable[[], _T]) -> _T:
    """``compute()`` once per model instance and ``key`` (values made read-only); for values
    derived only from an immutable model."""
    entry = _MEMO.get(id(model))
    if entry is None or entry[0] is not model:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        entry = (model, {})
        _MEMO[id(model)] = entry
    store = entry[1]
    if key not in store:
        store[key] = _readonly(compute())
    return store[key]


class Model(Record):
    """A decoder-only transformer, as far as memory and compute are concerned.

    Shape: ``n_layers``, ``hidden_size``, ``n_heads`` (query heads), ``n_kv_heads``,
    ``head_dim``, ``vocab_size``, ``ffn_size`` (dense FFN width, SwiGLU), ``tied_embeddings``.
    Per layer: ``layer_types`` (:class:`AttentionKind`), with ``sliding_window`` for sliding
    layers, ``mla`` for MLA layers, ``linear_attention`` for linear layers. MoE: ``moe``.
    Everything is public and read-only; see :meth:`params_total`, :meth:`params_active`,
    :meth:`weight_bytes`, :meth:`kv_cache_per_token`, :meth:`kv_cache_bytes`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    family: str = Field(description="Hugging Face model_type: llama, qwen3_moe, deepseek_v3, ...")
    aliases: tuple[str, ...] = ()
    repo: str | None = Field(default=None, description="Hugging Face repository id the config.json comes from")
    source: Source | None = None

    n_layers: int = Field(gt=0, le=2**16)
    hidden_size: int = Field(gt=0)
    n_heads: int = Field(gt=0)
    n_kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    vocab_size: int = Field(gt=0)
    ffn_size: int | None = Field(default=None, gt=0,
                                 description="dense FFN width (intermediate_size); None if no dense FFN")
    tied_embeddings: bool = False

    layer_types: tuple[AttentionKind, ...]
    sliding_window: int | None = Field(default=None, gt=0)
    attention_chunk_size: int | None = Field(default=None, gt=0,
                                             description="tokens per chunk on chunked layers (Llama 4)")
    mla: MLA | None = None
    indexer: SparseIndexer | None = Field(default=None,
                                          description="DeepSeek-V3.2 sparse-attention indexer on MLA layers")
    linear_attention: LinearAttention | None = None
    moe: MoE | None = None

    attention_bias: bool = Field(default=False, description="biases on q, k, v and o projections")
    qkv_bias: bool = Field(default=False, description="biases on q, k, v only (Qwen2)")
    mlp_bias: bool = False
    norms_per_layer: int = Field(default=2, gt=0, description="RMSNorms per layer (Gemma 2/3: 4)")
    qk_norm: bool = Field(default=False, description="RMSNorm on q and k per head (Qwen3)")
    qk_norm_full: bool = Field(default=False,
                               description="RMSNorm over all q heads and all k heads at once (MiniMax-M2)")
    attn_output_gate: bool = Field(default=False, description="q_proj also produces an output gate (Qwen3-Next)")
    attention_sinks: bool = Field(default=False, description="one learned sink logit per head (gpt-oss)")
    mtp_layers: int = Field(default=0, ge=0, description="multi-token-prediction modules shipped with the weights; "
                                                 "not part of the main model's totals")
    max_context: int | None = Field(default=None, gt=0, description="max_position_embeddings")
    native_dtypes: dict[str, str] = Field(default_factory=dict,
                                          description="checkpoint formats: default / experts / embeddings")
    published: dict[str, ParamSpec] = Field(default_factory=dict, description="published totals: total, active")
    published_unchecked: tuple[str, ...] = Field(default=(), description="published counts that are rounded labels")
    config: dict[str, Any] | None = Field(default=None, repr=False, description="the config.json it was read from")
    config_note: str | None = Field(default=None, description="where the config.json text comes from")
    unused_config_fields: tuple[str, ...] = Field(default=(), repr=False)
    weight_format: Any = Field(default=None, repr=False, exclude=True,
                               description="the checkpoint's storage format per part (model.quant.WeightFormat)")
    origin: str | None = None

    @field_validator("native_dtypes")
    @classmethod
    def _native(cls, v: dict[str, str]) -> dict[str, str]:
        for k, name in v.items():
            if k not in _NATIVE_KEYS:
                raise ValueError(f"native_dtypes key {k!r} is not one of {', '.join(_NATIVE_KEYS)}")
            dtype(name, f"native_dtypes.{k}")
        return FrozenDict(v)

    @field_validator("published", "config")
    @classmethod
    def _freeze(cls, v: Any) -> Any:
        return freeze(v)  # read-only: the record is shared by every caller

    @model_validator(mode="after")
    def _check(self) -> Model:
        bound = self._size_bound()
        if bound > _MAX_PARAMS:
            raise ValueError(f"shape too large: up to {bound:.3g} parameters, beyond the {_MAX_PARAMS:.3g} "
                             "the arithmetic holds exactly (check hidden_size, layers, experts, vocab)")
        if len(self.layer_types) != self.n_layers:
            raise ValueError(f"layer_types has {len(self.layer_types)} entries for {self.n_layers} layers")
        kinds = set(self.layer_types)
        if AttentionKind.sliding in kinds and self.sliding_window is None:
            raise ValueError("sliding layers need sliding_window")
        if AttentionKind.chunked in kinds and self.attention_chunk_size is None:
            raise ValueError("chunked layers need attention_chunk_size")
        if self.indexer is not None and self.mla is None:
            raise ValueError("the sparse-attention indexer needs MLA (q_lora_rank)")
        if AttentionKind.mla in kinds and self.mla is None:
            raise ValueError("mla layers need the mla section")
        if AttentionKind.linear in kinds and self.linear_attention is None:
            raise ValueError("linear layers need the linear_attention section")
        if self.mla is None and self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if self.moe is not None:
            bad = [i for i in self.moe.dense_layers if not 0 <= i < self.n_layers]
            if bad:
                raise ValueError(f"moe.dense_layers {bad} outside 0..{self.n_layers - 1}")
            if self.moe.dense_layers and self.ffn_size is None:
                raise ValueError("moe.dense_layers need ffn_size")
        elif self.ffn_size is None:
            raise ValueError("a dense model needs ffn_size")
        return self

    def _size_bound(self) -> int:
        """A generous upper bound on the parameter count, in Python integers (no overflow)."""
        h, hd, nh, nkv = self.hidden_size, self.head_dim, self.n_heads, self.n_kv_heads
        per_layer = 4 * h * (2 * nh * hd + 2 * nkv * hd + h) + 3 * h * (self.ffn_size or 0)
        if self.moe is not None:
            m = self.moe
            per_layer += 3 * (h + 1) * ((m.n_routed_experts + 1) * m.expert_ffn_size
                                        + (m.n_shared_experts + 1) * m.shared_ffn) + h * m.n_routed_experts
        if self.mla is not None:
            a = self.mla
            q = a.q_lora_rank or h
            per_layer += (h * (q + a.kv_lora_rank + a.qk_rope_head_dim)
                          + (q + a.kv_lora_rank + h) * nh * (a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim))
        if self.linear_attention is not None:
            la = self.linear_attention
            per_layer += (2 * h + la.conv_kernel + 2) * (2 * la.key_dim + 2 * la.value_dim + la.n_value_heads)
            per_layer += la.n_value_heads * la.key_head_dim * la.value_head_dim
        return self.n_layers * per_layer + 2 * (self.vocab_size + 1) * h

    # --- shape -------------------------------------------------------------------------
    def __repr__(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.attention_counts().items())
        moe = f", MoE {self.moe.n_routed_experts}x top-{self.moe.experts_per_token}" if self.moe else ""
        return f"<Model {self.id}: {self.n_layers} layers ({kinds}){moe}>"

    __str__ = __repr__

    @property
    def is_moe(self) -> bool:
        return self.moe is not None

    @property
    def attention_variant(self) -> str:
        """``"MHA"``, ``"GQA"``, ``"MQA"`` or ``"MLA"`` for the softmax-attention layers."""
        if self.mla is not None:
            return "MLA"
        if self.n_kv_heads == self.n_heads:
            return "MHA"
        return "MQA" if self.n_kv_heads == 1 else "GQA"

    def layer_kind(self, i: int) -> AttentionKind:
        """Attention kind of layer ``i`` (0-based)."""
        return self.layer_types[i]

    def attention_counts(self) -> dict[str, int]:
        """Layers per attention kind, e.g. ``{"full": 12, "linear": 36}``."""
        out: dict[str, int] = {}
        for k in self.layer_types:
            out[k.value] = out.get(k.value, 0) + 1
        return out

    def moe_layers(self) -> list[int]:
        """Indices of the layers with a mixture-of-experts FFN."""
        if self.moe is None:
            return []
        dense = set(self.moe.dense_layers)
        return [i for i in range(self.n_layers) if i not in dense]

    def is_moe_layer(self, i: int) -> bool:
        return self.moe is not None and i not in self.moe.dense_layers

    # --- parameters --------------------------------------------------------------------
    def _attention_params(self, kind: AttentionKind) -> int:
        h, hd = self.hidden_size, self.head_dim
        if kind is AttentionKind.linear:
            la = self.linear_attention
            assert la is not None
            return (h * (2 * la.key_dim + 2 * la.value_dim)  # in_proj_qkvz
                    + h * 2 * la.n_value_heads  # in_proj_ba
                    + la.conv_dim * la.conv_kernel  # depthwise conv1d
                    + 2 * la.n_value_heads  # dt_bias, A_log
                    + la.value_head_dim  # gated RMSNorm
                    + la.value_dim * h)  # out_proj
        if kind is AttentionKind.mla:
            m = self.mla
            assert m is not None
            qk = m.qk_nope_head_dim + m.qk_rope_head_dim
            if m.q_lora_rank:
                q = h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * self.n_heads * qk
            else:
                q = h * self.n_heads * qk
            kv = (h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
                  + m.kv_lora_rank * self.n_heads * (m.qk_nope_head_dim + m.v_head_dim))
            n = q + kv + self.n_heads * m.v_head_dim * h
            ix = self.indexer
            if ix is not None:
                q_in = m.q_lora_rank or h
                n += (q_in * ix.n_heads * ix.head_dim  # wq_b
                      + h * ix.head_dim + 2 * ix.head_dim  # wk and its LayerNorm
                      + h * ix.n_heads)  # weights_proj
            return n
        q_out = self.n_heads * hd * (2 if self.attn_output_gate else 1)
        kv_out = self.n_kv_heads * hd
        n = h * q_out + 2 * h * kv_out + self.n_heads * hd * h
        if self.attention_bias:
            n += q_out + 2 * kv_out + h
        elif self.qkv_bias:
            n += q_out + 2 * kv_out
        if self.qk_norm:
            n += 2 * hd
        if self.qk_norm_full:
            n += self.n_heads * hd + self.n_kv_heads * hd
        if self.attention_sinks:
            n += self.n_heads
        return n

    def _ffn(self, width: int, bias: bool) -> int:
        n = 3 * self.hidden_size * width  # SwiGLU: gate, up, down
        return n + (2 * width + self.hidden_size if bias else 0)

    def _layer_params_uncached(self) -> dict[str, np.ndarray]:
        """Parameters of each layer by part, as integer arrays of length ``n_layers``.

        Parts: ``attention`` (softmax, MLA or linear-attention mixer), ``mlp`` (dense FFN and
        shared experts), ``experts`` (all routed experts), ``experts_active`` (the routed
        experts one token uses), ``router``, ``norms``. Embeddings are not in here (see
        :meth:`param_breakdown`).
        """
        L = self.n_layers
        attn = np.array([self._attention_params(k) for k in self.layer_types], dtype=np.int64)
        mlp = np.zeros(L, dtype=np.int64)
        experts = np.zeros(L, dtype=np.int64)
        active = np.zeros(L, dtype=np.int64)
        router = np.zeros(L, dtype=np.int64)
        norms = np.full(L, self.norms_per_layer * self.hidden_size, dtype=np.int64)
        for i in range(L):
            if self.moe is None or not self.is_moe_layer(i):
                assert self.ffn_size is not None
                mlp[i] = self._ffn(self.ffn_size, self.mlp_bias)
                continue
            m = self.moe
            one = self._ffn(m.expert_ffn_size, m.expert_bias)
            experts[i] = m.n_routed_experts * one
            active[i] = m.experts_per_token * one
            mlp[i] = m.n_shared_experts * self._ffn(m.shared_ffn, False) + (self.hidden_size if m.shared_expert_gate
                                                                             else 0)
            router[i] = self.hidden_size * m.n_routed_experts + (m.n_routed_experts if m.router_bias else 0)
        return {"attention": attn, "mlp": mlp, "experts": experts, "experts_active": active,
                "router": router, "norms": norms}

    # --- memoised views: a Model is immutable, so these are computed once per instance ---------
    def layer_params(self) -> dict[str, np.ndarray]:
        """Parameters of each layer by part, as read-only integer arrays of length ``n_layers``.

        Parts: ``attention`` (softmax, MLA or linear-attention mixer), ``mlp`` (dense FFN and
        shared experts), ``experts`` (all routed experts), ``experts_active`` (the routed
        experts one token uses), ``router``, ``norms``. Embeddings are not in here (see
        :meth:`param_breakdown`).
        """
        return dict(memo(self, "layer_params", self._layer_params_uncached))

    def kv_elements_per_token(self) -> np.ndarray:
        """Cache elements one token adds in each layer (read-only array of length ``n_layers``)."""
        return memo(self, "kv_elements_per_token", self._kv_elements_per_token_uncached)

    def layer_windows(self) -> np.ndarray:
        """Tokens each layer keeps (read-only array): ``inf`` for full and MLA, the window for
        sliding, the chunk size for chunked, 0 for linear."""
        return memo(self, "layer_windows", self._layer_windows_uncached)

    def param_breakdown(self) -> dict[str, int]:
        """Total parameters by part: embedding, lm_head, attention, mlp, experts, router, norms."""
        return dict(memo(self, "param_breakdown", self._param_breakdown_uncached))

    def _param_breakdown_uncached(self) -> dict[str, int]:
        """Total parameters by part: embedding, lm_head, attention, mlp, experts, router, norms."""
        lp = self.layer_params()
        emb = self.vocab_size * self.hidden_size
        return {
            "embedding": emb,
            "lm_head": 0 if self.tied_embeddings else emb,
            "attention": int(lp["attention"].sum()),
            "mlp": int(lp["mlp"].sum()),
            "experts": int(lp["experts"].sum()),
            "router": int(lp["router"].sum()),
            "norms": int(lp["norms"].sum()) + self.hidden_size,
        }

    def params_total(self) -> int:
        """All parameters of the main model, MTP modules excluded (as the publishers count).

        Returns
        -------
        int
            Parameter count [dimensionless]: embedding, output head (unless tied),
            attention, dense MLP, routed and shared experts, router and norms.
        """
        return sum(self.param_breakdown().values())

    def params_active(self, include_embedding: bool = False) -> int:
        """Parameters one token passes through.

        All but the routed experts it is not sent to and (unless ``include_embedding``) the
        input embedding table, which is a lookup, not a matrix product. Dense models: total
        minus the embedding table. Tied embeddings count once (the table is the output head).

        Parameters
        ----------
        include_embedding : bool, default False
            Count the input embedding table too.

        Returns
        -------
        int
            Active parameter count per token [dimensionless].
        """
        b = self.param_breakdown()
        lp = self.layer_params()
        n = b["lm_head"] + b["attention"] + b["mlp"] + b["router"] + b["norms"] + int(lp["experts_active"].sum())
        if self.tied_embeddings or include_embedding:
            n += b["embedding"]  # tied: the table is the output head, which every token uses
        return n

    def _dtypes(self, weight_dtype: Any, expert_dtype: Any, embedding_dtype: Any) -> tuple[DType, DType, DType]:
        if isinstance(weight_dtype, str) and weight_dtype.strip().lower() == "native":
            if not self.native_dtypes:
                raise ValueError(f"weight_dtype: {self.id} has no native checkpoint format recorded; give a dtype")
            base = self.native_dtypes.get("default", "bf16")
            weight_dtype = base
            expert_dtype = expert_dtype or self.native_dtypes.get("experts", base)
            embedding_dtype = embedding_dtype or self.native_dtypes.get("embeddings", base)
        w = dtype(weight_dtype, "weight_dtype")
        e = dtype(expert_dtype, "expert_dtype") if expert_dtype is not None else w
        m = dtype(embedding_dtype, "embedding_dtype") if embedding_dtype is not None else w
        return w, e, m

    # --- checkpoint format (accelspec.model.quant) ---------------------------------------------
    @property
    def checkpoint_format(self) -> WeightFormat:
        """The checkpoint's own :class:`~accelspec.model.quant.WeightFormat` (read from
        ``quantization_config`` / ``torch_dtype``); bf16 everywhere, marked "assumed", for a
        model built without a config."""
        from .quant import plain_format

        if self.weight_format is not None:
            return self.weight_format
        return plain_format("bf16", origin="assumed", source="no checkpoint format recorded")

    @property
    def warnings(self) -> tuple[str, ...]:
        """Memory-relevant config fields that were not understood (from the checkpoint format)."""
        return tuple(self.checkpoint_format.warnings)

    def weight_format_for(self, weight_dtype: str | DType | None = None, expert_dtype: str | DType | None = None,
                          embedding_dtype: str | DType | None = None) -> WeightFormat:
        """The :class:`~accelspec.model.quant.WeightFormat` a computation uses.

        ``weight_dtype`` ``None``, ``"checkpoint"`` or ``"native"``: the checkpoint's own format
        (``expert_dtype``/``embedding_dtype`` may still override those parts). Any dtype name:
        that dtype for every part (the override; ``"bf16"`` gives ``params * 2 B``).
        """
        from dataclasses import replace

        from .quant import plain_format

        key = weight_dtype.strip().lower() if isinstance(weight_dtype, str) else None
        if weight_dtype is None or key in ("checkpoint", "native", "auto"):
            fmt = self.checkpoint_format
            d = dict(fmt.dtypes)
            if expert_dtype is not None:
                d["experts"] = dtype(expert_dtype, "expert_dtype")
            if embedding_dtype is not None:
                d["embedding"] = d["lm_head"] = dtype(embedding_dtype, "embedding_dtype")
            if expert_dtype is not None or embedding_dtype is not None:
                fmt = replace(fmt, dtypes=d, source=fmt.source + " with expert/embedding override")
            return fmt
        return plain_format(weight_dtype, expert_dtype, embedding_dtype)

    def weight_bytes(self, dtype: str | DType | None = None, *, expert_dtype: str | DType | None = None,
                     embedding_dtype: str | DType | None = None) -> pint.Quantity:
        """Bytes of all weights: ``sum over parts of params * bytes_per_element``.

        Block scales and zero points are included in ``bytes_per_element`` (MXFP4: 4.25 bits).

        Parameters
        ----------
        dtype : str or DType, optional
            Format of every parameter. ``None`` (default) uses the checkpoint's own format
            (:attr:`checkpoint_format`: e.g. gpt-oss MXFP4 experts with bf16 attention,
            router and embeddings).
        expert_dtype : str or DType, optional
            Format of the routed experts, overriding ``dtype``.
        embedding_dtype : str or DType, optional
            Format of the embedding table and output head, overriding ``dtype``.

        Returns
        -------
        pint.Quantity
            Weight bytes [B].

        Raises
        ------
        UnknownDTypeError
            A dtype name that is not known.
        """
        fmt = self.weight_format_for(dtype, expert_dtype, embedding_dtype)
        b = self.param_breakdown()
        total = sum(n * fmt.dtypes[part].bytes_per_element for part, n in b.items())
        return Q_(total, "B")

    # --- KV cache ---------------------------------------------------------------------
    def _kv_elements_per_token_uncached(self) -> np.ndarray:
        """Cache elements one token adds in each layer (array of length ``n_layers``)."""
        out = np.zeros(self.n_layers, dtype=np.int64)
        for i, k in enumerate(self.layer_types):
            if k in (AttentionKind.full, AttentionKind.sliding, AttentionKind.chunked):
                out[i] = 2 * self.n_kv_heads * self.head_dim
            elif k is AttentionKind.mla:
                assert self.mla is not None
                out[i] = self.mla.kv_lora_rank + self.mla.qk_rope_head_dim
                if self.indexer is not None:
                    out[i] += self.indexer.head_dim  # the indexer's key cache
        return out

    def _layer_windows_uncached(self) -> np.ndarray:
        """Tokens each layer keeps: ``inf`` for full and MLA, the window for sliding, the chunk
        size for chunked, 0 for linear."""
        out = np.full(self.n_layers, np.inf)
        for i, k in enumerate(self.layer_types):
            if k is AttentionKind.sliding:
                out[i] = float(self.sliding_window or 0)
            elif k is AttentionKind.chunked:
                out[i] = float(self.attention_chunk_size or 0)
            elif k is AttentionKind.linear:
                out[i] = 0.0
        return out

    def kv_cache_per_token(self, dtype: str | DType = "bf16", *, within_window: bool = False) -> pint.Quantity:
        """KV-cache bytes per token of context.

        Formula: ``sum over layers of elements_per_token * bytes_per_element``, with
        ``elements_per_token = 2 * n_kv_heads * head_dim`` for softmax attention and
        ``kv_lora_rank + qk_rope_head_dim`` for MLA. DeepSeek-V3.2's indexer key counts at
        ``dtype`` like the latent (DeepSeek's own kernels keep it in FP8 with a scale per 128
        values). Linear-attention layers add nothing per token.

        Parameters
        ----------
        dtype : str or DType, default "bf16"
            KV-cache format.
        within_window : bool, default False
            ``False``: what one more token adds once the context is longer than every sliding
            window and chunk (full and MLA layers only), the rate that decides long-context
            capacity. ``True``: the rate while the context is shorter than the window (sliding
            and chunked layers count too).

        Returns
        -------
        pint.Quantity
            Bytes per token [B/token].

        Raises
        ------
        UnknownDTypeError
            A dtype name that is not known.
        """
        d = as_dtype(dtype, "kv_dtype")
        elems = self.kv_elements_per_token()
        if not within_window:
            elems = elems[np.isinf(self.layer_windows())]
        return Q_(int(elems.sum()) * d.bytes_per_element, "B/token")

    def kv_cache_bytes(self, context_tokens: npt.ArrayLike, batch: npt.ArrayLike = 1,
                       dtype: str | DType = "bf16") -> pint.Quantity:
        """KV-cache bytes for ``batch`` sequences of ``context_tokens`` each.

        Formula: ``batch * sum over layers of elements_per_token * min(context, window) *
        bytes_per_element``; sliding and chunked layers stop growing at their window, linear
        layers hold no cache (their state is :meth:`linear_state_bytes`).

        Parameters
        ----------
        context_tokens : array_like
            Tokens per sequence [token]; a number or an array, broadcast with ``batch``.
        batch : array_like, default 1
            Sequences [dimensionless].
        dtype : str or DType, default "bf16"
            KV-cache format.

        Returns
        -------
        pint.Quantity
            Cache bytes [B], a scalar or an array of the broadcast shape.

        Raises
        ------
        UnknownDTypeError
            A dtype name that is not known.
        """
        d = as_dtype(dtype, "kv_dtype")
        ctx = np.asarray(context_tokens, dtype=float)
        b = np.asarray(batch, dtype=float)
        total = self._kv_elements(ctx) * b * d.bytes_per_element
        return Q_(total if total.ndim else float(total), "B")

    def _kv_elements(self, ctx: np.ndarray) -> np.ndarray:
        elems = self.kv_elements_per_token().astype(float)
        win = self.layer_windows()
        out = np.zeros_like(ctx, dtype=float)
        for w in np.unique(win):
            e = elems[win == w].sum()
            if e:
                out = out + e * (ctx if np.isinf(w) else np.minimum(ctx, w))
        return out

    def linear_state_bytes(self, batch: npt.ArrayLike = 1, dtype: str | DType = "bf16") -> pint.Quantity:
        """Fixed state of the linear-attention layers for ``batch`` sequences.

        Formula: ``batch * n_linear_layers * state_elements * bytes_per_element``; the state
        does not grow with the context.

        Parameters
        ----------
        batch : array_like, default 1
            Sequences [dimensionless]; a number or an array.
        dtype : str or DType, default "bf16"
            State format.

        Returns
        -------
        pint.Quantity
            State bytes [B]; 0 B for a model without linear-attention layers.
        """
        d = as_dtype(dtype, "state_dtype")
        n = self.attention_counts().get("linear", 0)
        per_seq = n * self.linear_attention.state_elements() if (n and self.linear_attention) else 0
        total = np.asarray(batch, dtype=float) * per_seq * d.bytes_per_element
        return Q_(total if total.ndim else float(total), "B")

    # --- description -------------------------------------------------------------------
    def describe(self) -> str:
        """Long form: shape, attention, MoE, parameters, KV bytes, source."""
        lines = [f"{self.name} ({self.id}), {self.family}", "=" * 40]
        if self.repo:
            lines.append(f"config.json   {self.repo}")
        kinds = ", ".join(f"{n} {k}" for k, n in self.attention_counts().items())
        lines.append(f"layers        {self.n_layers}: {kinds}")
        lines.append(f"hidden        {self.hidden_size}, heads {self.n_heads}, kv heads {self.n_kv_heads}, "
                     f"head_dim {self.head_dim} ({self.attention_variant})")
        if self.sliding_window:
            lines.append(f"sliding window {self.sliding_window} tokens")
        if self.attention_chunk_size:
            lines.append(f"chunk         {self.attention_chunk_size} tokens on chunked layers")
        if self.indexer:
            ix = self.indexer
            lines.append(f"indexer       {ix.n_heads} heads x {ix.head_dim}, top-{ix.topk}")
        if self.mla:
            lines.append(f"MLA           kv_lora_rank {self.mla.kv_lora_rank}, rope dim {self.mla.qk_rope_head_dim}")
        if self.moe:
            m = self.moe
            lines.append(f"MoE           {m.n_routed_experts} experts, {m.experts_per_token} per token, "
                         f"{m.n_shared_experts} shared, expert FFN {m.expert_ffn_size}, "
                         f"{len(m.dense_layers)} dense layers")
        lines.append(f"vocab         {self.vocab_size}, tied embeddings {self.tied_embeddings}")
        lines.append(f"params        {self.params_total() / 1e9:.2f}B total, {self.params_active() / 1e9:.2f}B active")
        for k, v in self.published.items():
            lines.append(f"published     {k}: {v.describe()}")
        lines.append(f"KV bf16       {self.kv_cache_per_token('bf16'):,.0f~P}")
        lines.append(f"checkpoint    {self.checkpoint_format.describe()}: {self.weight_bytes().m / 1e9:,.2f} GB")
        lines += [f"warning       {w}" for w in self.warnings]
        return "\n".join(lines)

    # --- Hugging Face config.json --------------------------------------------------------
    @classmethod
    def from_hf_config(cls, path_or_dict: str | os.PathLike[str] | Mapping[str, Any], *, id: str | None = None,
                       name: str | None = None, strict: bool = False,
                       hf_quant_config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
                       **extra: Any) -> Model:
        """Read a Hugging Face ``config.json`` (a path, a folder holding one, or a dict); no network.

        Families: :data:`SUPPORTED_FAMILIES` (llama, mistral, mixtral, phi3, qwen2/3, gemma2/3,
        llama4, glm4_moe, minimax_m2, deepseek_v3, kimi_k2, deepseek_v32, gpt_oss); multimodal
        configs are read from their ``text_config``. Fields that do not change memory or compute
        (token ids, rope scaling, dropout...) are ignored unless ``strict``
        (``model.unused_config_fields`` lists them).

        The checkpoint's weight format (``model.checkpoint_format``) comes from
        ``quantization_config``, or from ``hf_quant_config``.

        Parameters
        ----------
        path_or_dict : str, os.PathLike or mapping
            A ``config.json`` path, a folder holding one, or the parsed dict.
        id : str, optional
            The model's id; default: from ``_name_or_path`` or the file's folder name.
        name : str, optional
            Display name; default: the id.
        strict : bool, default False
            Refuse any field this reader does not know instead of ignoring it.
        hf_quant_config : str, os.PathLike or mapping, optional
            An ``hf_quant_config.json`` path or dict (ModelOpt); read automatically when it
            sits next to a ``config.json`` given by folder or by its exact name.
        **extra
            Further :class:`Model` fields (``aliases``, ``repo``, ``published``, ...).

        Returns
        -------
        Model
            The model, with ``config`` holding the dict it was read from.

        Raises
        ------
        ModelConfigError
            An unreadable file or invalid JSON, a missing required field, a value of the wrong
            type or an unsupported value; the message names the field and the file.
        """

        label = "config.json"
        hf_quant: Any = hf_quant_config
        if isinstance(path_or_dict, Mapping):
            cfg = dict(path_or_dict)
        else:
            path = Path(path_or_dict)
            if path.is_dir():
                path = path / "config.json"
            label = str(path)
            try:
                cfg = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ModelConfigError(f"cannot read ({exc.strerror})", source=label) from None
            except json.JSONDecodeError as exc:
                raise ModelConfigError(f"not valid JSON: {exc}", source=label) from None
            if not isinstance(cfg, dict):
                raise ModelConfigError("top level must be a JSON object", source=label)
            sibling = path.parent / "hf_quant_config.json"
            if hf_quant is None and path.name == "config.json" and sibling.is_file():
                hf_quant = sibling
        if hf_quant is not None and not isinstance(hf_quant, Mapping):
            qpath = Path(hf_quant)
            try:
                hf_quant = json.loads(qpath.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ModelConfigError(f"cannot read ({exc.strerror})", source=str(qpath)) from None
            except json.JSONDecodeError as exc:
                raise ModelConfigError(f"not valid JSON: {exc}", source=str(qpath)) from None
            if not isinstance(hf_quant, dict):
                raise ModelConfigError("top level must be a JSON object", source=str(qpath))
        fields = parse_hf_config(cfg, label=label, strict=strict, hf_quant=hf_quant)
        mid = id or _default_id(cfg, label)
        fields.update(extra)
        fields.setdefault("name", name or mid)
        try:
            return cls(id=mid, config=cfg, **fields)
        except Exception as exc:  # pydantic ValidationError: restate with the config's label
            from ..specfiles import format_validation_error

            msg = format_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise ModelConfigError(msg, source=label) from None

    def published_spec(self, which: str = "total") -> Spec:
        """The published parameter count (``"total"`` or ``"active"``) with its source."""
        if which not in self.published:
            raise KeyError(f"{self.id}: no published {which!r} parameter count")
        return self.published[which]


def _default_id(cfg: Mapping[str, Any], label: str) -> str:
    raw = cfg.get("_name_or_path")
    if not raw and label != "config.json":
        p = Path(label)
        raw = p.parent.name if p.name == "config.json" else p.name.removesuffix(".json").removesuffix(".config")
    raw = raw or str(cfg.get("model_type", "model"))
    text = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in str(raw).split("/")[-1].lower())
    return text.strip("-._") or "model"
