"""Operation costs: FLOPs, bytes moved to and from memory, and bytes sent over the scale-up
link, for GEMMs, attention and whole transformer steps (prefill and decode).

Every count is the *compulsory* work of the step, so that time = work / roof is a lower
bound (see :mod:`accelspec.perf.bounds`):

GEMM ``(m x k) @ (k x n)``
    FLOPs ``2 m n k``; bytes ``m k a + k n b + m n c`` (each operand read once, the result
    written once; ``a``, ``b``, ``c`` bytes per element). NVIDIA, "Matrix Multiplication
    Background User's Guide" (docs.nvidia.com/deeplearning/performance/dl-performance-matrix-multiplication).

Linear layers of a transformer (per token)
    ``2 FLOP`` per parameter the token passes through (attention projections, dense FFN,
    shared experts, router, its ``k`` routed experts); norms are elementwise and left out.
    The output head costs ``2 V d`` per token whose logits are needed (every token in decode,
    the last one of each prompt in prefill). Kaplan et al., "Scaling Laws for Neural
    Language Models", arXiv:2001.08361, Table 1.

Attention scores (per query-key pair and layer)
    softmax attention (MHA/GQA/MQA, full or sliding): ``4 * n_heads * head_dim`` (QK^T and
    PV, 2 FLOP per multiply-add each); MLA: ``2 * n_heads * (qk_nope + qk_rope) + 2 * n_heads *
    v_head_dim`` (the non-absorbed form, the smaller of the two; decompressing the latent is
    left out, so it stays a lower bound). Decode: one query per sequence against
    ``min(T, window)`` keys. Prefill (causal): ``sum_{t=1..S} min(t, W)`` pairs
    ``= m(m+1)/2 + (S - m) * m`` with ``m = min(S, W)`` (``S(S+1)/2`` for full attention).
    Linear attention (Gated DeltaNet): about ``4 * n_value_heads * key_head_dim *
    value_head_dim`` per token and layer (state update and read-out, a lower estimate).

Memory traffic (bytes)
    Weights: every weight the step uses, read once. Dense layers, attention, shared experts,
    router and norms are always read; routed experts only if some token in the step is sent
    to them. Under uniform, independent top-k routing a step of ``N`` tokens (decode: ``N =
    batch``; prefill: ``N = batch * prompt``) touches in each MoE layer on average

        ``U(N) = E * (1 - (1 - k/E)^N)``

    distinct experts of ``E`` (each expert is missed by one token with probability ``1 -
    k/E``). ``U(1) = k``; ``U`` grows to ``E``. Real routers are skewed, which makes ``U``
    smaller; the bound uses the expected value of this model. The output head is read once
    per step; the input embedding is a lookup: ``min(N, V)`` rows (none when it is tied to
    the head, which is read anyway).
    KV cache: decode reads ``min(T, window)`` tokens of cache per sequence and layer
    (``T`` = context length including the new token, whose K/V write is counted in ``T``);
    prefill writes ``min(S, window)`` tokens per sequence and layer (reads inside fused
    attention stay on chip). Linear-attention state: read and written once per decode step,
    written once in prefill. Activations between layers are not counted (they can stay on
    chip).

Tensor parallelism over ``n`` chips (Megatron-LM, Shoeybi et al., arXiv:1909.08053)
    FLOPs, weights and KV cache split evenly (the optimistic split, so the bound holds);
    two all-reduces per layer of ``tokens * hidden * activation bytes``; a ring all-reduce
    sends ``2 (n - 1) / n`` times the message from each chip in each direction
    (Patarasuk & Yuan, "Bandwidth optimal all-reduce algorithms", JPDC 2009).

The bounds reduce a model once per layout to a handful of floats per pipeline stage
(:func:`accelspec.perf.bounds.layout_numbers`, cached) and run numpy step kernels on them
(:func:`accelspec.perf.bounds.stage_traffic`), which take floats or broadcastable arrays alike:
:func:`~accelspec.decode_bound`, :func:`~accelspec.prefill_bound` and :func:`~accelspec.sweep`
call the same code, so they agree to the last bit. :func:`step_cost` here is the slow,
layer-by-layer account of the same sums, with pint Quantities at the boundary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pint

from ..errors import InvalidArgumentError
from ..hardware.chip import Precision
from ..inputs import count
from ..model.architecture import AttentionKind
from ..model.datatypes import DType, dtype
from ..units import Q_, ureg
from .kernels import expected_experts

if TYPE_CHECKING:
    from ..model.architecture import Model

__all__ = [
    "DTypes",
    "LayerCost",
    "OpCost",
    "StepCost",
    "attention_cost",
    "expected_unique_experts",
    "gemm_cost",
    "resolve_dtypes",
    "step_cost",
]

_B = ureg.Unit("B")


# --- result type -----------------------------------------------------------------------------
@dataclass(frozen=True)
class OpCost:
    """FLOPs, memory bytes and link bytes of one operation (floats; Quantities on the properties).

    ``flops`` counts FLOP (OP for integer formats), ``bytes`` memory traffic in bytes,
    ``comm_bytes`` bytes each chip sends over the scale-up link in one direction.
    """

    name: str
    flops: float
    bytes: float
    comm_bytes: float = 0.0

    @property
    def flop(self) -> pint.Quantity:
        """FLOPs as a Quantity (``GFLOP``)."""
        return Q_(self.flops / 1e9, ureg.Unit("GFLOP"))

    @property
    def memory_traffic(self) -> pint.Quantity:
        return Q_(self.bytes / 1e9, ureg.Unit("GB"))

    @property
    def comm_traffic(self) -> pint.Quantity:
        return Q_(self.comm_bytes / 1e6, ureg.Unit("MB"))

    @property
    def intensity(self) -> pint.Quantity:
        """FLOPs / memory bytes (FLOP/B)."""
        return Q_(self.flops / self.bytes if self.bytes else math.inf, ureg.Unit("FLOP/B"))

    def __add__(self, other: OpCost) -> OpCost:
        return OpCost(f"{self.name} + {other.name}", self.flops + other.flops, self.bytes + other.bytes,
                      self.comm_bytes + other.comm_bytes)

    def scaled(self, factor: float, name: str | None = None) -> OpCost:
        return OpCost(name or self.name, self.flops * factor, self.bytes * factor, self.comm_bytes * factor)

    def explain(self) -> str:
        comm = f", {self.comm_bytes / 1e6:.4g} MB over the link" if self.comm_bytes else ""
        return (f"{self.name}: {self.flops / 1e9:.4g} GFLOP, {self.bytes / 1e9:.4g} GB moved, "
                f"intensity {self.intensity.m:.4g} FLOP/B{comm}")

    def __str__(self) -> str:
        return self.explain()


def _nbytes(d: str | DType) -> float:
    return dtype(d).bytes_per_element


def gemm_cost(m: int, n: int, k: int, a_dtype: str | DType = "bf16", b_dtype: str | DType | None = None,
              out_dtype: str | DType | None = None, name: str = "gemm") -> OpCost:
    """``C[m, n] = A[m, k] @ B[k, n]``: ``2 m n k`` FLOPs; ``m k a + k n b + m n c`` bytes.

    Each operand is read once and the result written once (perfect on-chip reuse: the
    minimum traffic). Source: NVIDIA Matrix Multiplication Background User's Guide
    (arithmetic intensity of a GEMM).

    Parameters
    ----------
    m, n, k : int
        Rows of ``A`` and ``C``, columns of ``B`` and ``C``, and the shared (reduction)
        dimension [element].
    a_dtype : str or DType, optional
        Format of ``A`` (default ``"bf16"``): ``a`` bytes per element.
    b_dtype, out_dtype : str or DType, optional
        Formats of ``B`` and of the result ``C`` (default: ``a_dtype``).
    name : str, optional
        Label of the operation (default ``"gemm"``).

    Returns
    -------
    OpCost
        FLOPs [FLOP] and memory bytes [B] (no link bytes); ``intensity`` in FLOP/B.

    Raises
    ------
    InvalidArgumentError, CountTypeError
        ``m``, ``n`` or ``k`` is not a whole number in 1 .. 2**53 (``1e308`` is refused, not
        turned into ``inf`` FLOPs).
    UnknownDTypeError
        A dtype name is unknown.
    """
    m, n, k = count(m, "m"), count(n, "n"), count(k, "k")  # whole numbers in 1 .. 2**53: finite products
    a = _nbytes(a_dtype)
    b = _nbytes(b_dtype) if b_dtype is not None else a
    c = _nbytes(out_dtype) if out_dtype is not None else a
    return OpCost(name, 2.0 * m * n * k, float(m) * k * a + float(k) * n * b + float(m) * n * c)


def expected_unique_experts(n_experts: float | npt.ArrayLike, top_k: float | npt.ArrayLike,
                            tokens: float | npt.ArrayLike) -> float | np.ndarray:
    """Expected distinct experts ``E * (1 - (1 - k/E)^N)`` hit by ``N`` tokens routed
    uniformly and independently to ``k`` of ``E`` experts each (``U(1) = k``, ``U -> E``).

    Computed as ``-E * expm1(N * log1p(-k/E))`` (accurate for large ``E``); works on numbers
    and numpy arrays (broadcast together). The model is in this module's docstring.

    Parameters
    ----------
    n_experts : float or array_like
        Routed experts per MoE layer, ``E``.
    top_k : float or array_like
        Experts each token is routed to, ``k`` (``0 <= k <= E``).
    tokens : float or array_like
        Tokens routed in the step, ``N`` [token] (``>= 0``).

    Returns
    -------
    float or numpy.ndarray
        ``U(N)``, the expected distinct experts (a float for scalar inputs).

    Raises
    ------
    ValueError
        ``top_k`` is negative or above ``n_experts``, or ``tokens`` is negative.
    """
    E = np.asarray(n_experts, dtype=float)
    k = np.asarray(top_k, dtype=float)
    N = np.asarray(tokens, dtype=float)
    if np.any(k > E) or np.any(k < 0) or np.any(N < 0):
        raise InvalidArgumentError("expected_unique_experts", "need 0 <= top_k <= n_experts and tokens >= 0")
    out = expected_experts(E, k, N)
    return float(out) if np.ndim(out) == 0 else out


# --- dtypes -------------------------------------------------------------------------------
_PREC_BY_DTYPE = {
    "fp32": "fp32", "tf32": "tf32", "bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "fp8_e5m2": "fp8",
    "mxfp8": "fp8", "int8": "int8", "mxint8": "int8", "fp6": "fp6", "mxfp6": "fp6", "int4": "int4",
    "fp4": "fp4", "mxfp4": "fp4", "nvfp4": "fp4",
}


def precision_of(d: DType) -> Precision:
    """The compute format a storage dtype runs in: ``mxfp4`` -> ``fp4``, ``fp8_e5m2`` -> ``fp8``..."""
    name = _PREC_BY_DTYPE.get(d.name)
    if name is None:
        name = f"{'int' if d.kind == 'int' or 'int' in d.name else 'fp'}{int(d.bits)}"
    return Precision(name)


@dataclass(frozen=True)
class DTypes:
    """Storage formats of one deployment and the precision its matmuls run in.

    ``weight_origin``: ``"checkpoint"`` (the checkpoint's own format, ``weight_dtype="native"``,
    the default), ``"assumed"`` (native asked but the model records no format: bf16) or
    ``"given"`` (an explicit ``weight_dtype``). ``compute_note``: set when the compute
    precision is not the one the formats imply, e.g. ``"compute bf16: the chip has no fp8
    peak"`` (see :func:`compute_fallback`).
    """

    weight: DType
    expert: DType
    embedding: DType
    kv: DType
    activation: DType
    state: DType
    precision: Precision
    weight_origin: str = "given"
    compute_note: str = ""

    def weights_text(self) -> str:
        """``"fp8"``, ``"bf16, experts mxfp4"``... with ``(checkpoint)`` when native."""
        w = self.weight.name
        if self.expert != self.weight:
            w += f", experts {self.expert.name}"
        if self.embedding != self.weight:
            w += f", embeddings {self.embedding.name}"
        if self.weight_origin != "given":
            w += f" ({self.weight_origin})"
        return w

    def label(self) -> str:
        w = self.weight.name if self.expert == self.weight else f"{self.weight.name}/experts {self.expert.name}"
        if self.weight_origin != "given":
            w += f" ({self.weight_origin})"
        note = f": {self.compute_note}" if self.compute_note else ""
        return f"weights {w}, KV {self.kv.name}, compute {self.precision}{note}"


def _is_native(weight_dtype: Any) -> bool:
    return weight_dtype is None or (isinstance(weight_dtype, str)
                                    and weight_dtype.strip().lower() in ("native", "checkpoint", "auto"))


def resolve_dtypes(model: Model | None = None, weight_dtype: Any = "native", *, expert_dtype: Any = None,
                   embedding_dtype: Any = None, kv_dtype: Any = "bf16", activation_dtype: Any = "bf16",
                   state_dtype: Any = "bf16", precision: Any = None) -> DTypes:
    """Fill in the defaults (the same as :func:`accelspec.fits` and the memory module's).

    ``weight_dtype="native"`` (the default; also ``None`` or ``"checkpoint"``) takes the
    checkpoint's formats, the same :class:`~accelspec.model.quant.WeightFormat` that
    :func:`accelspec.fits` uses (``Model.checkpoint_format``, read from ``quantization_config``):
    the attention/dense format for the weights, the routed experts' and the embeddings' own
    formats (e.g. gpt-oss-120b: bf16, experts mxfp4; DeepSeek-V3: fp8 128x128-block-scaled,
    embeddings bf16). A model that records no format is taken as bf16, marked ``"assumed"``.
    Any dtype name overrides every part (``expert_dtype``/``embedding_dtype`` default to it).
    The KV cache, the activations (the all-reduce messages) and the linear-attention state
    default to bf16. ``precision``, the format the matmuls run in, defaults to the weight
    format when it is 8 bits or wider (an fp8 checkpoint runs fp8 GEMMs, W8A8) and to the
    activation format below that (weight-only quantization: a w4a16 GEMM runs in bf16, as
    llm-analysis also assumes); a chip without that format falls back to bf16
    (:func:`compute_fallback`, done by the bounds and :func:`accelspec.sweep`).
    """
    origin = "given"
    if _is_native(weight_dtype):
        native = dict(getattr(model, "native_dtypes", None) or {})
        fmt = model.checkpoint_format if model is not None and hasattr(model, "checkpoint_format") else None
        if fmt is not None and (getattr(model, "weight_format", None) is not None or not native):
            origin = "assumed" if fmt.origin == "assumed" else "checkpoint"
            weight_dtype = fmt.dtypes["attention"]
            expert_dtype = expert_dtype if expert_dtype is not None else fmt.dtypes["experts"]
            embedding_dtype = embedding_dtype if embedding_dtype is not None else fmt.dtypes["embedding"]
        elif native:
            origin = "checkpoint"
            weight_dtype = native.get("default", "bf16")
            expert_dtype = expert_dtype or native.get("experts", weight_dtype)
            embedding_dtype = embedding_dtype or native.get("embeddings", weight_dtype)
        else:
            origin, weight_dtype = "assumed", "bf16"
    w = dtype(weight_dtype, "weight_dtype")
    e = dtype(expert_dtype, "expert_dtype") if expert_dtype is not None else w
    m = dtype(embedding_dtype, "embedding_dtype") if embedding_dtype is not None else w
    act = dtype(activation_dtype if activation_dtype is not None else "bf16", "activation_dtype")
    kv = dtype(kv_dtype if kv_dtype is not None else "bf16", "kv_dtype")
    state = dtype(state_dtype if state_dtype is not None else "bf16", "state_dtype")
    if precision is None:
        prec = precision_of(w if w.bits_per_element >= 8 else act)
    else:
        from ..hardware.chip import as_precision

        prec = precision if isinstance(precision, Precision) else as_precision(precision)
    return DTypes(w, e, m, kv, act, state, prec, weight_origin=origin)


#: the compute format a chip falls back to when it lacks the one the weights imply
FALLBACK_PRECISION = "bf16"


def compute_fallback(dt: DTypes, chip: Any, exc: Exception, to: Precision | str = FALLBACK_PRECISION) -> DTypes:
    """``dt`` computing in ``to`` (bf16 by default; fp16 on a chip that publishes fp16 but not
    bf16, the same bytes and FLOPs) because ``chip`` has no peak for ``dt.precision``; the
    weights are upcast as they are read. ``compute_note`` says which fact it was: the chip has
    no such format (:class:`~accelspec.hardware.chip.UnsupportedPrecisionError`) or nobody
    published its peak (:class:`~accelspec.hardware.chip.PeakNotPublishedError`). Storage
    formats, hence memory bytes, are unchanged. Used only for the checkpoint's own formats
    (``weight_dtype="native"``) when the caller gave no ``precision``; an explicit dtype or
    precision the chip lacks raises (:func:`~accelspec.perf.roofline.compute_numbers` applies
    the rule).
    """
    from ..hardware.chip import NotPublishedError

    name = getattr(chip, "name", chip)
    to = Precision(str(to))
    why = f"publishes no {dt.precision} peak" if isinstance(exc, NotPublishedError) else f"has no {dt.precision}"
    how = "so the weights are upcast"
    if to is Precision.fp16:
        how = ("so it computes in fp16, the same bytes and FLOPs" if dt.precision is Precision.bf16
               else "so the weights are upcast to fp16 (no bf16 either)")
    return replace(dt, precision=to, compute_note=f"{name} {why}, {how}")


def pair_flops(model: Model, kind: Any) -> float:

    if kind is AttentionKind.mla:
        m = model.mla
        assert m is not None  # an MLA layer implies the model's MLA dimensions (Model validates it)
        return 2.0 * model.n_heads * (m.qk_nope_head_dim + m.qk_rope_head_dim) + 2.0 * model.n_heads * m.v_head_dim
    if kind is AttentionKind.linear:
        return 0.0
    return 4.0 * model.n_heads * model.head_dim


def resolve_model(model: Any) -> Model:
    if isinstance(model, str):
        from ..model.catalog import get_model

        return get_model(model)
    return model


def dtype_key(value: Any) -> Any:

    return value if isinstance(value, DType) else ("name", str(value))


# --- detailed, per-layer costs (pint at the boundary; not the hot path) -----------------------
@dataclass(frozen=True)
class LayerCost:
    """One layer of one step: linear layers (``gemm``), routed experts, attention scores and
    KV traffic (``attention``), and the all-reduce bytes of the layer."""

    index: int
    kind: str
    gemm: OpCost
    experts: OpCost
    attention: OpCost
    comm_bytes: float

    @property
    def total(self) -> OpCost:
        t = self.gemm + self.experts + self.attention
        return OpCost(f"layer {self.index}", t.flops, t.bytes, self.comm_bytes)


@dataclass(frozen=True)
class StepCost:
    """Costs of one step of a whole model: per layer, plus the output head and embedding."""

    phase: str
    model: str
    dtypes: DTypes
    context_tokens: int
    batch: int
    n_chips: int
    layers: tuple[LayerCost, ...]
    head: OpCost
    unique_experts: float
    total: OpCost = field(init=False)

    def __post_init__(self) -> None:
        fl = self.head.flops + sum(lc.total.flops for lc in self.layers)
        by = self.head.bytes + sum(lc.total.bytes for lc in self.layers)
        cm = sum(lc.comm_bytes for lc in self.layers)
        object.__setattr__(self, "total", OpCost(f"{self.phase} step", fl, by, cm))

    def explain(self) -> str:
        moe = f", {self.unique_experts:.3g} distinct experts per MoE layer" if self.unique_experts else ""
        return (f"{self.model} {self.phase} (context {self.context_tokens}, batch {self.batch}, "
                f"{self.dtypes.label()}): {self.total.flops / 1e9:.4g} GFLOP, {self.total.bytes / 1e9:.4g} GB "
                f"moved, intensity {self.total.intensity.m:.4g} FLOP/B{moe}")


def attention_cost(model: str | Model, phase: str, context_tokens: int, batch: int = 1, *, layer: int | None = None,
                   kv_dtype: str | DType = "bf16", state_dtype: str | DType = "bf16") -> OpCost:
    """Attention scores and KV-cache traffic of one layer of one step. :func:`step_cost` gives
    every layer.

    Decode: ``4 H d_h min(T, W)`` FLOPs and ``min(T, W) * KV bytes/token`` per sequence;
    prefill: ``4 H d_h * pairs(S, W)`` FLOPs and ``min(S, W) * KV bytes/token`` written
    (MLA, sliding windows and linear attention: this module's docstring).

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    phase : {"decode", "prefill"}
        One decode step, or the prefill of the prompt.
    context_tokens : int
        Context ``T`` (decode) or prompt length ``S`` (prefill) of each sequence [token].
    batch : int, optional
        Sequences in the step (default 1).
    layer : int, optional
        0-based layer index (default: the first softmax-attention layer).
    kv_dtype, state_dtype : str or DType, optional
        Formats of the KV cache and of the linear-attention state (default ``"bf16"``).

    Returns
    -------
    OpCost
        FLOPs [FLOP] and KV-cache (or state) bytes [B] of that layer, all sequences together.

    Raises
    ------
    UnknownModelError
        ``model`` names no catalog model.
    UnknownDTypeError
        A dtype name is unknown.
    InvalidArgumentError, CountTypeError
        ``phase`` is not ``"decode"`` or ``"prefill"``, ``context_tokens`` or ``batch`` is not
        a whole number in 1 .. 2**53 (NaN and negative counts are refused), or ``layer`` is
        out of range.
    """
    model = resolve_model(model)
    _check_phase(phase)
    T, B = count(context_tokens, "context_tokens"), count(batch, "batch")
    if layer is None:
        layer = next((i for i, k in enumerate(model.layer_types) if k is not AttentionKind.linear), 0)
    elif isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 0 <= layer < model.n_layers:
        raise InvalidArgumentError("layer", f"must be a layer index in 0 .. {model.n_layers - 1}, got {layer!r}")
    kb = dtype(kv_dtype, "kv_dtype").bytes_per_element
    sb = dtype(state_dtype, "state_dtype").bytes_per_element
    return _attention_layer(model, int(layer), phase, float(T), float(B), kb, sb)


def _attention_layer(model: Model, i: int, phase: str, T: float, B: float, kb: float, sb: float) -> OpCost:

    kind = model.layer_types[i]
    if kind is AttentionKind.linear:
        la = model.linear_attention
        assert la is not None  # a linear layer implies the model's linear-attention dimensions
        f_tok = 4.0 * la.n_value_heads * la.key_head_dim * la.value_head_dim
        state = float(la.state_elements()) * sb
        if phase == "decode":
            return OpCost("linear attention", B * f_tok, B * 2.0 * state)
        return OpCost("linear attention", B * T * f_tok, B * state)
    win = float(model.layer_windows()[i])
    kvb = float(model.kv_elements_per_token()[i]) * kb
    fpp = pair_flops(model, kind)
    if phase == "decode":
        ctx = min(T, win)
        return OpCost(f"{kind} attention", B * fpp * ctx, B * kvb * ctx)
    m = min(T, win)
    return OpCost(f"{kind} attention", B * fpp * (m * (m + 1.0) * 0.5 + (T - m) * m), B * kvb * m)


def _check_phase(phase: str) -> str:
    if phase not in ("decode", "prefill"):
        raise InvalidArgumentError("phase", f"must be 'decode' or 'prefill', got {phase!r}")
    return phase


def step_cost(model: str | Model, phase: str, context_tokens: int, batch: int = 1, n_chips: int = 1,
              weight_dtype: str | DType | None = "native", **dtypes_kw: str | DType | Precision | None) -> StepCost:
    """FLOPs and bytes of one decode step or one prefill, layer by layer (formulas in the
    module docstring). Totals are for all ``n_chips`` together; ``comm_bytes`` per chip.

    The layer sums equal the FLOPs and bytes of :func:`~accelspec.decode_bound` /
    :func:`~accelspec.prefill_bound` on one chip, and with ``n_chips`` in tensor parallel their
    FLOPs and all-reduce bytes (up to rounding: the order of additions differs).

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    phase : {"decode", "prefill"}
        One decode step, or the prefill of the prompt up to the first token.
    context_tokens : int
        Context (decode, the new token included) or prompt length (prefill) of each
        sequence [token].
    batch : int, optional
        Sequences in the step (default 1).
    n_chips : int, optional
        Chips in tensor parallel (default 1): two ring all-reduces per layer.
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    **dtypes_kw : str, DType or Precision, optional
        ``expert_dtype``, ``embedding_dtype``, ``kv_dtype``, ``activation_dtype``,
        ``state_dtype``, ``precision``, as :func:`resolve_dtypes` takes them.

    Returns
    -------
    StepCost
        Per-layer :class:`LayerCost` (linear layers, routed experts, attention, all-reduce
        bytes), the output head, and ``total`` [FLOP, B].

    Raises
    ------
    UnknownModelError
        ``model`` names no catalog model.
    ValueError
        ``phase`` is neither ``"decode"`` nor ``"prefill"``.
    InvalidArgumentError, CountTypeError
        A count is out of range or of the wrong type.
    UnknownDTypeError
        A dtype name is unknown.
    """
    model = resolve_model(model)
    phase = _check_phase(phase)
    context_tokens = count(context_tokens, "context_tokens")
    batch = count(batch, "batch")
    n_chips = count(n_chips, "n_chips")
    dt = resolve_dtypes(model, weight_dtype, **dtypes_kw)
    wb, eb, kb = dt.weight.bytes_per_element, dt.expert.bytes_per_element, dt.kv.bytes_per_element
    T, B, n = float(context_tokens), float(batch), float(n_chips)
    tokens = B if phase == "decode" else B * T
    lp = model.layer_params()
    moe = model.moe
    U = 0.0
    if moe is not None:
        U = float(expected_unique_experts(float(moe.n_routed_experts), float(moe.experts_per_token), tokens))
    msg = tokens * model.hidden_size * dt.activation.bytes_per_element
    comm = 2.0 * (2.0 * (n - 1.0) / n) * msg
    layers = []
    for i, kind in enumerate(model.layer_types):
        dense = float(lp["attention"][i] + lp["mlp"][i] + lp["router"][i])
        gemm = OpCost("linear layers", 2.0 * dense * tokens, (dense + float(lp["norms"][i])) * wb)
        if moe is not None and lp["experts"][i]:
            one = float(lp["experts"][i]) / moe.n_routed_experts
            experts = OpCost("routed experts", 2.0 * float(lp["experts_active"][i]) * tokens, U * one * eb)
        else:
            experts = OpCost("routed experts", 0.0, 0.0)
        attn = _attention_layer(model, i, phase, T, B, kb, dt.state.bytes_per_element)
        layers.append(LayerCost(i, str(kind), gemm, experts, attn, comm))
    d, V = float(model.hidden_size), float(model.vocab_size)
    mb = dt.embedding.bytes_per_element
    logits = B  # decode: the one new token of each sequence; prefill: the last prompt token of each
    emb_rows = 0.0 if model.tied_embeddings else min(tokens, V) * d * mb
    head = OpCost("output head + embedding + final norm", 2.0 * V * d * logits, V * d * mb + emb_rows + d * wb)
    return StepCost(phase, model.id, dt, int(context_tokens), int(batch), int(n_chips), tuple(layers), head,
                    float(U))


# old private names, kept importable
