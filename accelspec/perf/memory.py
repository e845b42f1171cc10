"""Memory footprint of serving a model, and whether it fits on one or more chips.

:func:`memory_footprint` adds up, per chip:

* **weights**: ``params * bytes_per_element`` of the chosen dtypes, split by the parallel layout;
* **KV cache**: ``batch * sum over layers of elements_per_token * min(tokens, window) * bytes``
  (:meth:`Model.kv_cache_bytes`), split by the layout;
* **linear-attention state**: fixed per sequence (Gated DeltaNet layers);
* **activations**, the working set of one forward step, for *decode* (one token per sequence)
  and for a *prefill chunk* (``prefill_chunk`` tokens). Assumptions: FlashAttention-style
  kernels (no ``tokens x context`` score matrix is stored); the runtime frees each layer's
  intermediates before the next layer; per token live = 4 hidden-size buffers (residual,
  normed input, attention output, MLP output) + the largest layer intermediate (q/k/v/output
  projections, or the gate/up outputs of the FFN or of the routed experts, split by TP/EP);
  plus fp32 logits for one token per sequence. Activations in ``activation_dtype`` (bf16);
* **framework reserve**: a fixed allowance per chip (default 2 GiB: CUDA/runtime context,
  communication buffers, allocator slack). vLLM by default leaves 10% of memory unused:
  ``fits(..., reserve=0.1)`` reproduces that.

``total = weights + kv_cache + linear_state + max(decode, prefill activations) + reserve``.

Sharding (:class:`Parallelism`): tensor parallel (``tp``) splits weights and KV heads (KV
heads are replicated when there are fewer than ``tp``; an MLA latent is replicated on every
TP rank); pipeline parallel (``pp``) splits the layers into contiguous stages (the first stage
also holds the embedding, the last the output head; the worst stage is reported); expert
parallel (``ep``) spreads the routed experts over ``ep`` chips of a stage (else experts are TP-split);
context parallel (``cp``) splits the sequence; data parallel (``dp``) splits the batch.
Chips = ``tp * pp * cp * dp``.

Everything runs on numpy magnitudes (bytes); pint Quantities only at the boundary. Context
lengths and batch sizes may be numpy arrays (broadcast together).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pint

from ..errors import DeploymentError, InvalidArgumentError
from ..hardware.chip import Chip, NotPublishedError
from ..inputs import count, counts
from ..model.architecture import AttentionKind, Model, memo
from ..model.datatypes import DType, dtype
from ..units import Q_, parse_quantity, ureg
from .kernels import (
    DEFAULT_RESERVE,
    MAX_SEARCH_CHIPS,
    MEM_KW,
    divisors,
    expert_split,
    layout_chips,
    layout_shapes,
    preference_order,
    segment_rows,
)
from .opcost import pair_flops

if TYPE_CHECKING:  # annotations only: .deployment imports this module, so its class comes via the package
    from ..hardware.system import System
    from . import Deployment

__all__ = [
    "ChipCount",
    "FitResult",
    "Footprint",
    "InvalidArgumentError",
    "Limit",
    "Parallelism",
    "fits",
    "max_batch",
    "max_context",
    "memory_footprint",
    "min_chips",
    "trained_context",
]

_GB = 1e9
_MAX_TOKENS = 2**40
_MAX_COUNT = 2**53  # largest whole number a float holds exactly: the limit of every count argument


# --- arguments ------------------------------------------------------------------------------
def is_deployment(x: object) -> TypeGuard[Deployment]:
    """Whether ``x`` is a :class:`~accelspec.Deployment`, by its ``__accelspec_deployment__``
    marker (the calculators ask without importing :mod:`.deployment`, which imports them)."""
    return bool(getattr(x, "__accelspec_deployment__", False))


@dataclass(frozen=True)
class Parallelism:
    """A parallel layout. Chips = ``tp * pp * cp * dp``; ``ep`` reuses the chips of a stage."""

    tp: int = 1
    pp: int = 1
    ep: int = 1
    cp: int = 1
    dp: int = 1

    def __post_init__(self) -> None:
        for k in ("tp", "pp", "ep", "cp", "dp"):
            v = getattr(self, k)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise InvalidArgumentError("parallelism", f"{k} must be a positive integer, got {v!r}")

    @property
    def n_chips(self) -> int:
        return self.tp * self.pp * self.cp * self.dp

    def __str__(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in ("tp", "pp", "ep", "cp", "dp") if getattr(self, k) > 1]
        return ",".join(parts) or "single chip"

    def check(self, model: Model) -> None:
        """Raise :class:`InvalidArgumentError` unless this layout can shard ``model``."""
        m = model
        if m.n_heads % self.tp:
            raise InvalidArgumentError("parallelism", f"tp={self.tp} does not divide the {m.n_heads} attention "
                                       f"heads of {m.id}")
        kinds = set(m.layer_types)
        if m.mla is None and (AttentionKind.full in kinds or AttentionKind.sliding in kinds):
            kv = m.n_kv_heads
            if kv % self.tp and self.tp % kv:
                raise InvalidArgumentError("parallelism", f"tp={self.tp} and the {kv} KV heads of {m.id} do not "
                                           "divide one another (KV heads are split or replicated whole)")
        la = m.linear_attention
        if la is not None and (la.n_key_heads % self.tp or la.n_value_heads % self.tp):
            raise InvalidArgumentError("parallelism", f"tp={self.tp} does not divide the linear-attention heads "
                                       f"({la.n_key_heads} key, {la.n_value_heads} value) of {m.id}")
        if self.pp > m.n_layers:
            raise InvalidArgumentError("parallelism", f"pp={self.pp} exceeds the {m.n_layers} layers of {m.id}")
        if self.ep > 1:
            if m.moe is None:
                raise InvalidArgumentError("parallelism", f"ep={self.ep} but {m.id} has no experts")
            if m.moe.n_routed_experts % self.ep:
                raise InvalidArgumentError("parallelism", f"ep={self.ep} does not divide the "
                                           f"{m.moe.n_routed_experts} experts of {m.id}")
            group = self.tp * self.cp * self.dp
            if group % self.ep:
                raise InvalidArgumentError("parallelism", f"ep={self.ep} must divide the {group} chips of a "
                                           "pipeline stage (tp*cp*dp)")

    @classmethod
    def parse(cls, spec: Any, n_chips: int) -> Parallelism | None:
        """A layout from ``None``/``"auto"`` (returns None: choose later), a strategy name using
        all ``n_chips`` (``"tp"``, ``"pp"``, ``"cp"``, ``"dp"``, ``"tp+ep"``, ``"ep"`` = dp+ep),
        ``"tp=4,pp=2"``, a mapping or a :class:`Parallelism`."""
        if spec is None or (isinstance(spec, str) and spec.strip().lower() == "auto"):
            return None
        if isinstance(spec, Parallelism):
            lay = spec
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"tp", "pp", "ep", "cp", "dp"}
            if unknown:
                raise InvalidArgumentError("parallelism", f"unknown keys {sorted(unknown)}; use tp, pp, ep, cp, dp")
            for k, v in spec.items():
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                    raise InvalidArgumentError("parallelism", f"{k} must be a positive integer, got {v!r}")
            lay = cls(**{k: int(v) for k, v in spec.items()})
        elif isinstance(spec, str):
            text = spec.strip().lower().replace(" ", "")
            named = {"tp": cls(tp=n_chips), "pp": cls(pp=n_chips), "cp": cls(cp=n_chips), "dp": cls(dp=n_chips),
                     "tp+ep": cls(tp=n_chips, ep=n_chips), "ep+tp": cls(tp=n_chips, ep=n_chips),
                     "ep": cls(dp=n_chips, ep=n_chips), "dp+ep": cls(dp=n_chips, ep=n_chips)}
            if text in named:
                lay = named[text]
            else:
                parts: dict[str, int] = {}
                for item in text.replace(";", ",").split(","):
                    key, sep, val = item.partition("=")
                    if not sep or key not in ("tp", "pp", "ep", "cp", "dp") or not val.isdigit():
                        raise InvalidArgumentError("parallelism", f"cannot read {spec!r}; use 'auto', "
                                                   "'tp', 'pp', 'cp', 'dp', 'tp+ep', 'ep' or 'tp=4,pp=2'")
                    if key in parts:
                        raise InvalidArgumentError("parallelism", f"{key} is given twice in {spec!r}")
                    parts[key] = int(val)
                lay = cls(**parts)
        else:
            raise InvalidArgumentError("parallelism", f"expected 'auto', a strategy name, a mapping or a "
                                       f"Parallelism, got {type(spec).__name__}")
        if lay.n_chips > _MAX_COUNT:
            raise InvalidArgumentError("parallelism", f"{lay} uses more than 2**53 chips")
        if lay.n_chips != n_chips:
            raise InvalidArgumentError("parallelism", f"{lay} uses {lay.n_chips} chips but n_chips={n_chips}")
        return lay


_STRATEGIES = ("auto", "tp", "pp", "cp", "dp", "tp+ep", "ep+tp", "ep", "dp+ep")


# --- per-model tables -------------------------------------------------------------------------
@dataclass
class _Options:
    w: DType
    e: DType
    m: DType
    fmt: Any  # accelspec.model.quant.WeightFormat: the dtype of each part
    kv: DType
    state: DType
    act: DType
    prefill_chunk: int
    reserve: float


class ModelProfile:
    """Per-layer arrays of one model and their per-stage sums, computed once per model
    (:func:`model_profile` memoises it on the immutable :class:`~accelspec.model.architecture.Model`)."""

    def __init__(self, model: Model):
        self.model = model
        lp = model.layer_params()
        self.attention = lp["attention"].astype(float)
        self.mlp = lp["mlp"].astype(float)
        self.router = lp["router"].astype(float)
        self.norms = lp["norms"].astype(float)
        self.dense = self.attention + self.mlp
        self.replicated = self.router + self.norms
        self.experts = lp["experts"].astype(float)
        self.experts_active = lp["experts_active"].astype(float)
        # FLOPs per (query, key) pair of each layer's attention (0 for linear attention)
        self.pair_flops = np.array([pair_flops(model, k) for k in model.layer_types], dtype=float)
        b = model.param_breakdown()
        self.embedding = float(b["embedding"])
        self.head = float(b["lm_head"])
        self.kv_elems = model.kv_elements_per_token().astype(float)
        self.windows = model.layer_windows()
        self.is_mla = np.array([k is AttentionKind.mla for k in model.layer_types])
        self.is_linear = np.array([k is AttentionKind.linear for k in model.layer_types])
        la = model.linear_attention
        self.state_elems = float(la.state_elements()) if la else 0.0
        self.uniq_windows = np.unique(self.windows[self.kv_elems > 0]) if np.any(self.kv_elems > 0) else np.array([])
        self._stage_sums: dict[int, list[_StageSums]] = {}

    def stages(self, pp: int) -> list[np.ndarray]:
        return np.array_split(np.arange(self.model.n_layers), pp)

    def stage_sums(self, pp: int) -> list[_StageSums]:
        """Per pipeline stage: parameter sums by part, KV elements per token by window (split
        into MLA latents, replicated over TP, and head-sharded caches), attention FLOPs per
        (query, key) pair by window, and layer counts: what the footprint and the bounds'
        per-chip stage numbers (:func:`~accelspec.perf.bounds.layout_numbers`) are made from."""
        out = self._stage_sums.get(pp)
        if out is None:
            out = []
            for idx in self.stages(pp):
                elems, wins, mla = self.kv_elems[idx], self.windows[idx], self.is_mla[idx]
                kv = tuple((float(w), float(elems[(wins == w) & mla].sum()), float(elems[(wins == w) & ~mla].sum()))
                           for w in np.unique(wins[elems > 0]))
                attn = ~self.is_linear[idx]
                pf = self.pair_flops[idx]
                pairs = tuple((float(w), float(pf[attn & (wins == w)].sum())) for w in np.unique(wins[attn]))
                out.append(_StageSums(attention=float(self.attention[idx].sum()), mlp=float(self.mlp[idx].sum()),
                                      router=float(self.router[idx].sum()), norms=float(self.norms[idx].sum()),
                                      experts=float(self.experts[idx].sum()), kv=kv,
                                      n_linear=float(self.is_linear[idx].sum()),
                                      experts_active=float(self.experts_active[idx].sum()),
                                      n_layers=float(idx.size), n_moe=float(np.count_nonzero(self.experts[idx] > 0)),
                                      pairs=pairs))
            self._stage_sums[pp] = out
        return out

    def per_token_act(self, lay: Parallelism) -> float:
        """Live activation elements per token in flight on one chip (see the module docstring)."""
        m = self.model
        tp = lay.tp
        h = m.hidden_size
        kinds = set(m.layer_types)
        attn = 0.0
        if AttentionKind.full in kinds or AttentionKind.sliding in kinds:
            heads = m.n_heads / tp
            kv_local = max(m.n_kv_heads // tp, 1)
            q = heads * m.head_dim * (2 if m.attn_output_gate else 1)
            attn = max(attn, q + 2 * kv_local * m.head_dim + heads * m.head_dim)
        if AttentionKind.mla in kinds and m.mla is not None:
            a = m.mla
            heads = m.n_heads / tp
            attn = max(attn, (a.q_lora_rank or 0) + a.kv_lora_rank + a.qk_rope_head_dim
                       + heads * (a.qk_nope_head_dim + a.qk_rope_head_dim) * 2 + heads * a.v_head_dim * 2)
        if AttentionKind.linear in kinds and m.linear_attention is not None:
            la = m.linear_attention
            attn = max(attn, (2 * la.key_dim + 2 * la.value_dim + 2 * la.n_value_heads + la.value_dim) / tp)
        ffn = 3.0 * m.ffn_size / tp if m.ffn_size else 0.0
        if m.moe is not None:
            mo = m.moe
            split = expert_split(tp, lay.ep)
            ffn = max(ffn, mo.experts_per_token * 3 * mo.expert_ffn_size / split
                      + mo.n_shared_experts * 3 * mo.shared_ffn / tp + mo.n_routed_experts)
        return 4.0 * h + max(attn, ffn)


@dataclass(frozen=True)
class _StageSums:
    attention: float
    mlp: float
    router: float
    norms: float
    experts: float
    kv: tuple[tuple[float, float, float], ...]  #: (window, MLA elements, head-sharded elements)
    n_linear: float
    experts_active: float  #: the routed-expert parameters one token runs through
    n_layers: float
    n_moe: float  #: layers with routed experts
    pairs: tuple[tuple[float, float], ...]  #: (window, attention FLOPs per (query, key) pair)


def model_profile(model: Model) -> ModelProfile:
    """The model's :class:`ModelProfile`, built once per model instance."""
    return memo(model, "perf.memory._Profile", lambda: ModelProfile(model))


def _shares(p: ModelProfile, lay: Parallelism, ctx: Any, batch: Any, o: _Options) -> tuple[Any, ...]:
    """What one chip holds of the workload: ``(tokens, seqs, kv_heads_share, per_token_act,
    act_bytes, logits_row, act_decode)`` with tokens = ceil(ctx / cp), seqs = ceil(batch / dp),
    the KV heads' TP share, activation elements per token, the fp32 logits row per sequence
    and the decode activations (:func:`_decode_activations`)."""
    m = p.model
    tokens = np.ceil(ctx / lay.cp)
    seqs = np.ceil(batch / lay.dp)
    kv_heads_share = max(m.n_kv_heads // lay.tp, 1) / m.n_kv_heads
    per_tok = p.per_token_act(lay)
    act_b = o.act.bytes_per_element
    logits_row = m.vocab_size / lay.tp * 4.0
    return tokens, seqs, kv_heads_share, per_tok, act_b, logits_row, _decode_activations(seqs, per_tok, act_b,
                                                                                         logits_row)


# --- the terms of the total, once -----------------------------------------------------------------
# footprint_terms (every term, any shapes), footprint_total (the total on the sweep's grids, in
# place) and _FootprintTable.totals (every layout at one point) all compute each term with these
# helpers, in the same order, so their totals are equal to the last bit.
def _decode_activations(seqs: Any, per_tok: Any, act_b: float, logits_row: Any) -> Any:
    """Decode activation bytes per chip: one token per sequence, ``seqs (per_tok act_b) + seqs logits_row``."""
    return seqs * per_tok * act_b + seqs * logits_row


def _prefill_activations(tokens: Any, seqs: Any, per_tok: Any, act_b: float, logits_row: Any,
                         chunk: int) -> Any:
    """Prefill activation bytes per chip: ``min(chunk, tokens seqs) per_tok act_b + logits_row``
    (one chunk of the sequences in flight, one logits row)."""
    act = tokens * seqs
    act = np.minimum(float(chunk), act, out=act if isinstance(act, np.ndarray) else None)  # a new array: in place
    act *= per_tok
    act *= act_b
    act += logits_row
    return act


def window_elements(st: _StageSums, kv_heads_share: float) -> list[tuple[float, float]]:
    """``(window, KV elements per token on one chip)`` of each window of a stage: an MLA latent
    whole on every TP rank, head-sharded caches times the KV heads' TP share."""
    return [(win, mla_elems + std_elems * kv_heads_share) for win, mla_elems, std_elems in st.kv]


def _kv_elements(st: _StageSums, kv_heads_share: float, tokens: Any) -> Any:
    """KV elements per sequence on one chip of a stage: ``sum over windows of e min(tokens, window)``."""
    kv_elems: Any = 0.0
    for win, e in window_elements(st, kv_heads_share):
        kv_elems = kv_elems + e * (tokens if math.isinf(win) else np.minimum(tokens, win))
    return kv_elems


def _kv_cache_bytes(kv_elems: Any, seqs: Any, kv_b: float) -> Any:
    """KV cache bytes per chip: ``kv_elems seqs kv_b``."""
    return kv_elems * seqs * kv_b


def _state_bytes(seqs: Any, n_linear: Any, state_elems: float, tp: Any, state_b: float) -> Any:
    """Linear-attention state bytes per chip: ``seqs n_linear state_elems / tp state_b``."""
    return seqs * n_linear * state_elems / tp * state_b


def _stage_total(weights: Any, kv: Any, state: Any, act: Any, reserve: float, *, scratch: bool) -> Any:
    """``weights + kv + state + act + reserve`` per chip of a stage (``act`` the larger
    activation term; ``state`` None without linear-attention state: x + 0.0 == x), added in this
    order; with ``scratch`` the total is written over ``kv`` (an array of the result's shape)."""
    total = np.add(kv, weights, out=kv) if scratch else kv + weights
    if state is not None:
        total += state
    total += act
    total += reserve
    return total


def footprint_terms(p: ModelProfile, lay: Parallelism, ctx: np.ndarray, batch: np.ndarray,
                    o: _Options) -> dict[str, np.ndarray]:
    """Per-chip bytes of each term for the worst pipeline stage, broadcast over ctx x batch."""
    ctx, batch = np.broadcast_arrays(ctx, batch)
    tokens, seqs, kv_heads_share, per_tok, act_b, logits_row, act_decode = _shares(p, lay, ctx, batch, o)
    act_prefill = _prefill_activations(tokens, seqs, per_tok, act_b, logits_row, o.prefill_chunk)
    zero = np.zeros(np.shape(tokens))
    act = np.maximum(act_decode, act_prefill)
    best: dict[str, np.ndarray] | None = None
    bpe = {k: d.bytes_per_element for k, d in o.fmt.dtypes.items()}
    for s, st in enumerate(p.stage_sums(lay.pp)):
        weights = np.full_like(tokens, _stage_weight_bytes(p, st, s, lay, bpe))
        kv = _kv_cache_bytes(_kv_elements(st, kv_heads_share, tokens), seqs, o.kv.bytes_per_element) + zero
        state = _state_bytes(seqs, st.n_linear, p.state_elems, lay.tp, o.state.bytes_per_element) + zero
        cur = {"weights": weights, "kv_cache": kv, "linear_state": state,
               "activations_decode": act_decode + zero, "activations_prefill": act_prefill + zero,
               "reserve": np.full_like(tokens, o.reserve),
               "total": _stage_total(weights, kv, state, act, o.reserve, scratch=False)}
        if best is None:
            best = cur
        else:
            pick = cur["total"] > best["total"]
            best = {k: np.where(pick, cur[k], best[k]) for k in best}
    assert best is not None
    return best


def _stage_weight_bytes(p: ModelProfile, st: Any, s: int, lay: Parallelism, bpe: dict[str, float]) -> float:
    """Weight bytes per chip of pipeline stage ``s`` (of ``lay.pp``): attention and MLP split
    over TP, experts over EP (else TP), router and norms replicated; the embedding on the first
    stage, the head and final norm on the last (and a tied embedding there too when pp > 1)."""
    m, tp, pp, ep = p.model, lay.tp, lay.pp, lay.ep
    w = ((st.attention * bpe["attention"] + st.mlp * bpe["mlp"]) / tp
         + st.router * bpe["router"] + st.norms * bpe["norms"]
         + st.experts / expert_split(tp, ep) * bpe["experts"])
    if s == 0:
        w += p.embedding / tp * bpe["embedding"]
    if s == pp - 1:
        w += p.head / tp * bpe["lm_head"] + m.hidden_size * bpe["norms"]
        if m.tied_embeddings and pp > 1:
            w += p.embedding / tp * bpe["embedding"]
    return float(w)


def footprint_total(p: ModelProfile, lay: Parallelism, ctx: np.ndarray, batch: np.ndarray, o: _Options) -> np.ndarray:
    """``footprint_terms(p, lay, ctx, batch, o)["total"]`` alone, for the sweep's grids: the same
    term helpers in the same order (equal to the last bit), but ``ctx`` (shape ``(T, 1)``) and
    ``batch`` (``(1, B)``) stay vectors wherever a term depends on one of them only, and the
    ``T x B`` arrays are updated in place (about 11 passes over the grid instead of ~40).

    Per chip, worst pipeline stage: ``weights + kv + state + max(act_decode, act_prefill) + reserve``
    with ``kv = (sum over windows of e min(ceil(T / cp), w)) ceil(B / dp) kv_bytes`` (see :func:`footprint_terms`).
    """
    ctx = np.asarray(ctx, dtype=float)
    batch = np.asarray(batch, dtype=float)
    tokens, seqs, kv_heads_share, per_tok, act_b, logits_row, act_decode = _shares(p, lay, ctx, batch, o)
    act = _prefill_activations(tokens, seqs, per_tok, act_b, logits_row, o.prefill_chunk)  # the grid
    np.maximum(act_decode, act, out=act)
    best: np.ndarray | None = None
    bpe = {k: d.bytes_per_element for k, d in o.fmt.dtypes.items()}
    for s, st in enumerate(p.stage_sums(lay.pp)):
        kv_elems = np.broadcast_to(_kv_elements(st, kv_heads_share, tokens), tokens.shape)
        kv = _kv_cache_bytes(kv_elems, seqs, o.kv.bytes_per_element)  # a new grid: the total is written over it
        state = (_state_bytes(seqs, st.n_linear, p.state_elems, lay.tp, o.state.bytes_per_element)
                 if st.n_linear * p.state_elems else None)
        total = _stage_total(_stage_weight_bytes(p, st, s, lay, bpe), kv, state, act, o.reserve, scratch=True)
        best = total if best is None else np.where(total > best, total, best)
    assert best is not None
    return best


_GRID_CACHE: dict[tuple[int, int, bool], tuple[Model, list[Parallelism]]] = {}


def layouts(model: Model, n: int, *, every_ep: bool = False) -> list[Parallelism]:
    """Every layout of exactly ``n`` chips (``tp * pp * cp * dp = n``,
    :func:`~accelspec.perf.kernels.layout_shapes`) that can shard ``model``
    (:meth:`Parallelism.check`), with no limit from the context or the batch; cached per model
    object (it depends on the architecture only).

    A MoE model also gets, for each base layout, expert parallel over the largest ``ep`` that
    divides both the stage's ``tp * cp * dp`` chips and the experts (the memory search's
    choice); with ``every_ep`` every such ``ep`` (mixed expert TP x EP: an ``ep`` below the
    stage's chips leaves each expert split over the rest)."""
    key = (id(model), n, every_ep)
    hit = _GRID_CACHE.get(key)
    if hit is None or hit[0] is not model:
        if every_ep:
            grid = _layout_grid(model, n)
        else:  # of each base layout's run in the full grid (ep ascending): the base and the largest ep
            full = layouts(model, n, every_ep=True)
            grid = [lay for i, lay in enumerate(full)
                    if lay.ep == 1 or i + 1 == len(full) or full[i + 1].ep == 1]
        if len(_GRID_CACHE) > 256:
            _GRID_CACHE.clear()
        hit = _GRID_CACHE[key] = (model, grid)
    return hit[1]


#: the most pipeline stages (layouts x ``pp``, every ``ep`` counted) one layout search scores: a
#: chip count with very many divisors (720,720: 89,600 ``(tp, pp, cp, dp)`` shapes, 35,152
#: layouts of DeepSeek-V3 with 585,504 stages; decode_bound took minutes) is refused in well
#: under a second, before any layout is built; 250,000 stages score in about 1.5 s
MAX_LAYOUT_STAGES = 250_000


def _layout_grid(model: Model, n: int) -> list[Parallelism]:
    """:func:`layouts` with every ``ep``, enumerated lazily: ``tp`` and ``pp`` values that cannot
    shard the model are dropped before the ``cp x dp`` splits are formed, the expert degrees come
    from the divisors of ``gcd(stage chips, experts)``, and the count is checked against
    :data:`MAX_LAYOUT_STAGES` before any layout is built (the order is :func:`layout_shapes`').
    Every layout built can shard the model by construction (``tp`` passed
    :meth:`Parallelism.check`, ``pp`` is at most the layers, ``ep`` divides the experts and the
    stage's chips), so none is checked again."""
    if n > MAX_SEARCH_CHIPS:
        layout_shapes(n)  # raises, naming the cap
    divs = divisors(n)
    tps = []
    for tp in divs:
        try:
            Parallelism(tp=tp).check(model)
        except InvalidArgumentError:
            continue
        tps.append(tp)
    pps = [pp for pp in divs if pp <= model.n_layers]
    pairs = [(tp, pp) for tp in tps for pp in pps if (n // tp) % pp == 0]
    rest = {n // tp // pp for tp, pp in pairs}
    rest_divs = {r: [d for d in divs if r % d == 0] for r in rest}
    E = model.moe.n_routed_experts if model.moe is not None else 0
    n_eps = {}
    if E:
        for _tp, pp in pairs:  # ep divides the stage's tp * cp * dp = n / pp chips and the experts
            g = n // pp
            if g not in n_eps:
                n_eps[g] = [e for e in divisors(math.gcd(g, E)) if e > 1]
    count = [len(rest_divs[n // tp // pp]) * (1 + len(n_eps[n // pp]) if E else 1) for tp, pp in pairs]
    stages = sum(c * pp for c, (_tp, pp) in zip(count, pairs, strict=True))
    if stages > MAX_LAYOUT_STAGES:
        raise InvalidArgumentError("n_chips", f"{n:,} chips give {sum(count):,} candidate layouts of {model.id} "
                                   f"({stages:,} pipeline stages), more than the {MAX_LAYOUT_STAGES:,} stages the "
                                   "layout search scores; give parallelism= explicitly (e.g. 'tp=8,pp=4,cp=...') "
                                   "or a chip count with fewer divisors")
    out = []
    for tp, pp in pairs:
        r = n // tp // pp
        eps = n_eps[n // pp] if E else []
        for cp in rest_divs[r]:
            dp = r // cp
            out.append(Parallelism(tp=tp, pp=pp, cp=cp, dp=dp))
            out += [Parallelism(tp=tp, pp=pp, ep=e, cp=cp, dp=dp) for e in eps]
    return out


def candidates(model: Model, n: int, ctx_min: float, batch_max: float) -> list[Parallelism]:
    """Layouts of exactly ``n`` chips that can shard ``model`` (for ``parallelism="auto"``):
    :func:`layouts` without context-parallel ranks beyond ``ctx_min`` tokens or data-parallel
    replicas beyond ``batch_max`` sequences."""
    return [lay for lay in layouts(model, n) if not (lay.cp > ctx_min or (lay.dp > 1 and lay.dp > batch_max))]




class _FootprintTable:
    """The footprint totals of every layout of :func:`layouts` (one model, ``n`` chips, weight
    formats) in one numpy pass: rows are (layout, pipeline stage) pairs, the arithmetic that of
    :func:`footprint_total` in the same order (so equal to the last bit), at one context and batch."""

    def __init__(self, p: ModelProfile, lays: list[Parallelism], bpe: dict[str, float]):
        m = p.model
        self.lays = lays
        # a layout's stage rows depend on (tp, pp, ep) alone: one block of rows per distinct triple,
        # identical stages (a deep pipeline's middle) once, since they have the same total
        blocks: dict[tuple[int, int, int], int] = {}
        brows: list[tuple[float, float, list[tuple[float, float]]]] = []  # (weights, linear layers, KV windows)
        bstart: list[int] = []
        bsize: list[int] = []
        acts: dict[tuple[int, int], float] = {}  # per-token activations depend on (tp, ep) alone
        of = np.empty(len(lays), dtype=np.intp)
        per_tok = np.empty(len(lays))
        for c, lay in enumerate(lays):
            k = (lay.tp, lay.pp, lay.ep)
            b = blocks.get(k)
            if b is None:
                b = blocks[k] = len(bstart)
                share = max(m.n_kv_heads // lay.tp, 1) / m.n_kv_heads
                seen = set()
                start = len(brows)
                for s, st in enumerate(p.stage_sums(lay.pp)):
                    w = _stage_weight_bytes(p, st, s, lay, bpe)
                    if (w, st.kv, st.n_linear) not in seen:
                        seen.add((w, st.kv, st.n_linear))
                        brows.append((w, st.n_linear, window_elements(st, share)))
                bstart.append(start)
                bsize.append(len(brows) - start)
            of[c] = b
            a = acts.get((lay.tp, lay.ep))
            if a is None:
                a = acts[(lay.tp, lay.ep)] = p.per_token_act(lay)
            per_tok[c] = a
        g = max((len(x[2]) for x in brows), default=0) or 1
        e, win = np.zeros((len(brows), g)), np.full((len(brows), g), np.inf)
        for r, (_, _, wins) in enumerate(brows):
            for j, (wn, el) in enumerate(wins):
                e[r, j], win[r, j] = el, wn
        size = np.array(bsize, dtype=np.intp)[of]
        first = np.array(bstart, dtype=np.intp)[of]
        self.row = np.repeat(np.arange(len(lays)), size)
        src = segment_rows(first, size)
        self.starts = np.flatnonzero(np.r_[True, self.row[1:] != self.row[:-1]])
        self.w = np.array([x[0] for x in brows])[src]
        self.n_linear = np.array([x[1] for x in brows])[src]
        self.e, self.win = e[src], win[src]
        self.tp = np.array([lay.tp for lay in lays], dtype=float)
        self.cp = np.array([lay.cp for lay in lays], dtype=float)
        self.dp = np.array([lay.dp for lay in lays], dtype=float)
        self.per_tok = per_tok
        self.logits_row = m.vocab_size / self.tp * 4.0
        self.state_elems = p.state_elems
        key = preference_order(lays)  # ties: preference, order
        self.rank = np.empty(len(lays), dtype=float)
        self.rank[key] = np.arange(len(lays))
        ri = self.row  # per-row copies of the per-layout columns: no gathers per call
        self._rows = (self.cp[ri], self.dp[ri], self.tp[ri], self.per_tok[ri], self.logits_row[ri],
                      self.e[:, 0] if self.e.shape[1] == 1 else None, bool(np.any(self.n_linear)))
        self._ctx: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # per context: tokens, KV elements

    def totals(self, ctx: float, batch: float, o: _Options) -> np.ndarray:
        """Bytes per chip of every layout (worst stage), as :func:`footprint_total` at ``(ctx, batch)``."""
        cp, dp, tp, per_tok, logits_row, e1, linear = self._rows
        hit = self._ctx.get(float(ctx))
        if hit is None:  # what depends on the context alone, kept for the next batch
            tokens = np.ceil(ctx / cp)
            if e1 is not None:  # one window: the sum of one product is that product
                kv_elems = e1 * np.minimum(tokens, self.win[:, 0])
            else:
                kv_elems = (self.e * np.minimum(tokens[:, None], self.win)).sum(axis=1)
            if len(self._ctx) >= 16:
                self._ctx.clear()
            hit = self._ctx[float(ctx)] = (tokens, kv_elems)
        tokens, kv_elems = hit
        seqs = np.ceil(batch / dp)
        act_b = o.act.bytes_per_element
        act = np.maximum(_decode_activations(seqs, per_tok, act_b, logits_row),
                         _prefill_activations(tokens, seqs, per_tok, act_b, logits_row, o.prefill_chunk))
        kv = _kv_cache_bytes(kv_elems, seqs, o.kv.bytes_per_element)
        state = _state_bytes(seqs, self.n_linear, self.state_elems, tp, o.state.bytes_per_element) if linear else None
        total = _stage_total(self.w, kv, state, act, o.reserve, scratch=True)
        return np.maximum.reduceat(total, self.starts)

    def take(self, idx: np.ndarray) -> _FootprintTable:
        """A table whose layouts are ``self``'s layouts ``idx`` (repeats allowed), in that order:
        :meth:`totals` then takes a ``batch`` with one value per row (see :attr:`row`), so each
        (layout, chip) pair of a search is sized at its own batch in the same pass."""
        idx = np.asarray(idx, dtype=np.intp)
        out = object.__new__(_FootprintTable)
        out.__dict__.update(self.__dict__)
        ends = np.r_[self.starts[1:], self.row.size]
        size = ends[idx] - self.starts[idx]
        starts = np.r_[0, np.cumsum(size)[:-1]].astype(np.intp)
        rows = segment_rows(self.starts[idx], size)
        out.lays = [self.lays[i] for i in idx]
        out.row = np.repeat(np.arange(idx.size), size)
        out.starts = starts
        out.w, out.n_linear, out.e, out.win = self.w[rows], self.n_linear[rows], self.e[rows], self.win[rows]
        for f in ("tp", "cp", "dp", "per_tok", "logits_row", "rank"):
            setattr(out, f, getattr(self, f)[idx])
        cp, dp, tp, per_tok, logits_row, e1, linear = self._rows
        out._rows = (cp[rows], dp[rows], tp[rows], per_tok[rows], logits_row[rows],
                     None if e1 is None else e1[rows], linear)
        out._ctx = {}
        return out

    def usable(self, ctx_min: float, batch_max: float) -> np.ndarray:
        """Layouts with ``cp <= ctx_min`` and ``dp <= batch_max`` (or ``dp == 1``)."""
        return (self.cp <= ctx_min) & ((self.dp == 1) | (self.dp <= batch_max))

    def best(self, ctx: float, batch: float, ctx_min: float, batch_max: float,
             o: _Options) -> tuple[Parallelism, float] | None:
        """The layout :func:`_auto` chooses and its bytes per chip: least bytes per chip at
        ``(ctx, batch)`` among :meth:`usable` ones, ties by preference."""
        tot = self.totals(ctx, batch, o)
        ok = self.usable(ctx_min, batch_max)
        if not ok.any():
            return None
        ok &= tot == tot[ok].min()
        i = int(np.argmin(np.where(ok, self.rank, np.inf)))
        return self.lays[i], float(tot[i])


_FP_TABLES: dict[tuple, tuple[Model, _FootprintTable]] = {}


def footprint_table(p: ModelProfile, n: int, o: _Options, every_ep: bool = False) -> _FootprintTable:
    """The :class:`_FootprintTable` of :func:`layouts` ``(p.model, n, every_ep=every_ep)`` at the
    weight formats of ``o``, cached per model object."""
    bpe = {k: d.bytes_per_element for k, d in o.fmt.dtypes.items()}
    key = (id(p.model), n, every_ep, *sorted(bpe.items()))
    hit = _FP_TABLES.get(key)
    if hit is None or hit[0] is not p.model:
        if len(_FP_TABLES) > 256:
            _FP_TABLES.clear()
        hit = _FP_TABLES[key] = (p.model, _FootprintTable(p, layouts(p.model, n, every_ep=every_ep), bpe))
    return hit[1]


def footprint_table_of(p: ModelProfile, lays: Sequence[Parallelism], o: _Options) -> _FootprintTable:
    """The :class:`_FootprintTable` of the layouts ``lays`` (any counts) at the weight formats of
    ``o``, cached per model object and layout list."""
    bpe = {k: d.bytes_per_element for k, d in o.fmt.dtypes.items()}
    lays = tuple(lays)
    key = (id(p.model), lays, *sorted(bpe.items()))
    hit = _FP_TABLES.get(key)
    if hit is None or hit[0] is not p.model:
        if len(_FP_TABLES) > 256:
            _FP_TABLES.clear()
        hit = _FP_TABLES[key] = (p.model, _FootprintTable(p, list(lays), bpe))
    return hit[1]


def _auto(p: ModelProfile, n: int, ctx: np.ndarray, batch: np.ndarray, o: _Options) -> Parallelism:
    """The layout of ``n`` chips that needs the least memory per chip at the largest inputs (ties:
    :func:`~accelspec.perf.kernels.layout_preference`), all candidates scored in one pass."""
    got = footprint_table(p, n, o).best(float(ctx.max()), float(batch.max()), float(ctx.min()),
                                         float(batch.max()), o)
    if got is None:
        raise InvalidArgumentError("n_chips", f"no parallel layout of {n} chips can shard {p.model.id}")
    return got[0]


def memory_options(model: Model, weight_dtype: Any, kv_dtype: Any, expert_dtype: Any, embedding_dtype: Any,
             state_dtype: Any, activation_dtype: Any, prefill_chunk: Any, reserve: Any,
             capacity: float | None = None) -> _Options:
    fmt = model.weight_format_for(weight_dtype, expert_dtype, embedding_dtype)
    w, e, m = fmt.dtypes["attention"], fmt.dtypes["experts"], fmt.dtypes["embedding"]
    return _Options(w=w, e=e, m=m, fmt=fmt, kv=dtype(kv_dtype, "kv_dtype"), state=dtype(state_dtype, "state_dtype"),
                    act=dtype(activation_dtype, "activation_dtype"),
                    prefill_chunk=count(prefill_chunk, "prefill_chunk"),
                    reserve=reserve_bytes(reserve, capacity))


def reserve_bytes(value: Any, capacity: float | None) -> float:
    if value is None:
        return float(DEFAULT_RESERVE)
    if type(value) is _Bytes:
        return float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 0 <= value < 1:
            if capacity is None:
                raise InvalidArgumentError("reserve", "a fraction of memory needs a chip (use fits); "
                                           "give a quantity such as '2 GiB'")
            return float(value) * capacity
        raise InvalidArgumentError("reserve", f"give a quantity such as '2 GiB' or a fraction in [0, 1), got {value}")
    q = parse_quantity(value, "B", "reserve")
    if np.any(np.asarray(q.magnitude) < 0):
        raise InvalidArgumentError("reserve", f"must not be negative, got {q}")
    return float(q.m_as("B"))


# --- results --------------------------------------------------------------------------------
_TERMS = ("weights", "kv_cache", "linear_state", "activations_decode", "activations_prefill", "reserve")
_LABELS = {"weights": "weights", "kv_cache": "KV cache", "linear_state": "linear-attention state",
           "activations_decode": "decode activations", "activations_prefill": "prefill activations",
           "reserve": "framework reserve"}


_GB_UNIT = ureg.Unit("GB")


def _gb(x: np.ndarray) -> pint.Quantity:
    x = np.asarray(x, dtype=float) / _GB
    return Q_(x if x.ndim else float(x), _GB_UNIT)


@dataclass(frozen=True)
class Footprint:
    """Memory per chip (the worst pipeline stage), each term a Quantity in GB (arrays when the
    inputs were arrays). ``total = weights + kv_cache + linear_state + max(activations) + reserve``."""

    model: Model
    parallelism: Parallelism
    context_tokens: Any
    batch: Any
    #: bytes per chip of each term and the total (floats or arrays); the Quantity attributes
    #: (``weights``, ``kv_cache``, ... ``total``, in GB) are made from these when first read
    bytes: dict[str, Any] = field(default_factory=dict, repr=False)
    dtypes: dict[str, str] = field(default_factory=dict)
    weight_format: Any = None  #: accelspec.model.quant.WeightFormat used for the weights
    reserve_label: str = "2 GiB per chip"

    def _q(self, name: str) -> pint.Quantity:
        cache = self.__dict__.setdefault("_quantities", {})
        q = cache.get(name)
        if q is None:
            q = cache[name] = _gb(self.bytes[name])
        return q

    weights = property(lambda self: self._q("weights"), doc="Weights per chip (GB).")
    kv_cache = property(lambda self: self._q("kv_cache"), doc="KV cache per chip (GB).")
    linear_state = property(lambda self: self._q("linear_state"), doc="Linear-attention state per chip (GB).")
    activations_decode = property(lambda self: self._q("activations_decode"), doc="Decode activations (GB).")
    activations_prefill = property(lambda self: self._q("activations_prefill"), doc="Prefill activations (GB).")
    reserve = property(lambda self: self._q("reserve"), doc="Framework reserve per chip (GB).")
    total = property(lambda self: self._q("total"), doc="Total per chip (GB).")

    @property
    def n_chips(self) -> int:
        return self.parallelism.n_chips

    def terms(self) -> dict[str, pint.Quantity]:
        """The terms of the total, by name (activations: the larger of decode and prefill)."""
        return {k: getattr(self, k) for k in _TERMS}

    def largest_term(self) -> Any:
        """Name of the largest term (an array of names for array inputs)."""
        names = np.array(_TERMS)
        total = np.asarray(self.bytes["total"], dtype=float)
        stack = np.stack([np.asarray(self.bytes[k], dtype=float) * np.ones_like(total) for k in _TERMS])
        idx = np.argmax(stack, axis=0)
        out = names[idx]
        return str(out) if np.ndim(out) == 0 else out

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per input element, columns in GB (pandas imported here)."""
        import pandas as pd

        ctx, b = np.broadcast_arrays(np.asarray(self.context_tokens), np.asarray(self.batch))
        data = {"context_tokens": ctx.ravel(), "batch": b.ravel()}
        shape = np.shape(self.total.m)
        for k in (*_TERMS, "total"):
            data[f"{k}_GB"] = np.broadcast_to(np.asarray(getattr(self, k).m_as("GB")), shape).ravel()
        return pd.DataFrame(data)

    def __str__(self) -> str:
        if np.ndim(self.total.m):
            return f"<Footprint {self.model.id} on {self.n_chips} chip(s): {np.size(self.total.m)} cases>"
        parts = ", ".join(f"{_LABELS[k]} {getattr(self, k).m:.3g} GB" for k in _TERMS if getattr(self, k).m)
        return f"{self.model.id}, {self.context_tokens} tokens x {self.batch}, {self.parallelism}: " \
               f"{self.total.m:.4g} GB per chip ({parts})"


def memory_footprint(model: str | Model, context_tokens: int | npt.ArrayLike, batch: int | npt.ArrayLike = 1, *,
                     weight_dtype: str | DType | None = None, kv_dtype: str | DType | None = "bf16",
                     expert_dtype: str | DType | None = None, embedding_dtype: str | DType | None = None,
                     state_dtype: str | DType | None = "bf16", activation_dtype: str | DType | None = "bf16",
                     n_chips: int = 1, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                     prefill_chunk: int = 8192, reserve: str | float | pint.Quantity | None = None) -> Footprint:
    """Memory per chip to serve ``batch`` sequences of ``context_tokens`` each.

    ``total = weights + kv_cache + linear_state + max(activations) + reserve`` per chip of the
    worst pipeline stage (the terms and their formulas: this module's docstring).

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    context_tokens : int or array_like
        Tokens per sequence [token]; arrays broadcast with ``batch``.
    batch : int or array_like, optional
        Sequences served together (default 1).
    weight_dtype : str or DType, optional
        Format of the weights: a name (``"bf16"``, ``"fp8"``, ``"int4"``, ...), a
        :class:`~accelspec.DType`, or ``None`` / ``"native"`` (default) for the checkpoint's
        own formats (:meth:`~accelspec.Model.weight_format_for`).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    state_dtype : str or DType, optional
        Format of the linear-attention state (default ``"bf16"``).
    activation_dtype : str or DType, optional
        Format of the activations (default ``"bf16"``).
    prefill_chunk : int, optional
        Tokens per prefill chunk, which sizes the prefill activations [token] (default 8192).
    n_chips : int, optional
        Chips the model is spread over (default 1).
    parallelism : str, Parallelism or mapping, optional
        ``None`` / ``"auto"`` (default): the layout of ``n_chips`` that needs least memory per
        chip; a strategy name (``"tp"``, ``"pp"``, ``"tp+ep"``, ...), ``"tp=4,pp=2"``, a mapping
        or a :class:`~accelspec.Parallelism`.
    reserve : str or Quantity, optional
        Per-chip allowance for the framework and runtime [GB] (default 2 GiB). A fraction of
        capacity needs a chip: use :func:`fits`.

    Returns
    -------
    Footprint
        Each term per chip in GB (arrays for array inputs), the layout, the dtypes used.

    Raises
    ------
    UnknownModelError
        ``model`` names no catalog model.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype or reserve is out of range or of the wrong type.
    """
    from ..model.catalog import get_model

    model = get_model(model)
    ctx = counts(context_tokens, "context_tokens")
    b = counts(batch, "batch")
    n = count(n_chips, "n_chips")
    o = memory_options(model, weight_dtype, kv_dtype, expert_dtype, embedding_dtype, state_dtype, activation_dtype,
                 prefill_chunk, reserve)
    p = model_profile(model)
    lay = Parallelism.parse(parallelism, n)
    if lay is None:
        lay = _auto(p, n, ctx, b, o)
    else:
        lay.check(model)
        if lay.cp > ctx.min():
            raise InvalidArgumentError("parallelism", f"cp={lay.cp} exceeds the context of {int(ctx.min())} tokens")
    t = footprint_terms(p, lay, ctx, b, o)
    return Footprint(model=model, parallelism=lay, context_tokens=context_tokens, batch=batch,
                     dtypes={"weights": o.w.name, "experts": o.e.name, "embeddings": o.m.name, "kv": o.kv.name,
                             "state": o.state.name, "activations": o.act.name,
                             "weight_format": o.fmt.summary([k for k, v in model.param_breakdown().items() if v]),
                             "weight_source": f"{o.fmt.origin}: {o.fmt.source}"},
                     weight_format=o.fmt, reserve_label=_reserve_label(reserve), bytes=t)


def capacity_bytes(chip: Chip | str, capacity: Any) -> tuple[float, float, float, str]:
    """(nominal, low, high) bytes per chip and a label of where they come from."""
    from ..hardware.catalog import get_chip

    if capacity is not None:
        q = parse_quantity(capacity, "B", "capacity")
        if not np.isscalar(q.magnitude) or not q.m_as("B") > 0:
            raise InvalidArgumentError("capacity", f"must be one positive quantity such as '96 GB', got {q}")
        v = float(q.m_as("B"))
        return v, v, v, "given"
    c = get_chip(chip)
    spec = c.memory.capacity
    if spec is None:
        raise NotPublishedError(f"{c.name}: memory capacity is not published, so a fit cannot be judged; "
                                "pass capacity='96 GB' (for example) to assume one")
    hit = _CAPACITY_MEMO.get(id(spec))
    if hit is None or hit[0] is not spec:  # a record's Spec is immutable: convert it once
        if len(_CAPACITY_MEMO) >= 1024:
            _CAPACITY_MEMO.clear()
        hit = _CAPACITY_MEMO[id(spec)] = (spec, (float(spec.q.m_as("B")), float(spec.low.m_as("B")),
                                                 float(spec.high.m_as("B")), str(spec.status)))
    return hit[1]


_CAPACITY_MEMO: dict[int, tuple[Any, tuple[float, float, float, str]]] = {}


class _Bytes(float):
    """A reserve already resolved to bytes by a caller inside this module (skips re-parsing)."""


@dataclass(frozen=True)
class FitResult:
    """Whether a model fits: ``verdict`` is "fits", "does not fit" or "depends on the estimate"
    (the need lies inside the chip's capacity range). ``bool(result)`` uses the nominal capacity."""

    fits: bool
    verdict: str
    required: pint.Quantity  #: per chip
    available: pint.Quantity  #: per chip, nominal
    available_low: pint.Quantity
    available_high: pint.Quantity
    headroom: pint.Quantity  #: available - required (negative when it does not fit)
    largest_term: str
    explanation: str
    footprint: Footprint
    chip: str
    n_chips: int
    parallelism: Parallelism
    #: one line: weight/KV/activation dtypes (and where the weight format came from), layout,
    #: reserve, context limit
    assumptions: str = ""
    #: context beyond the trained length; config fields not understood
    warnings: tuple[str, ...] = ()
    weight_source: str = ""  #: "checkpoint", "override" or "assumed"
    system: str = ""  #: the system id when ``fits`` was asked of a system, else ""

    def __bool__(self) -> bool:
        return bool(self.fits)

    def __str__(self) -> str:
        return self.explanation


def hardware_and_count(chip: Any, n_chips: Any, parallelism: Any) -> tuple[Chip, Any, Any]:
    """``(chip record, system or None, n_chips)`` for a chip or system name or record. ``n_chips``
    ``None`` means: the chips of a fixed ``parallelism`` layout, else all of a system's chips,
    else 1."""
    from ..hardware.system import resolve_hardware

    chip_obj, system = resolve_hardware(chip)
    if n_chips is None:
        n_chips = system.n_chips if system is not None else 1
        fixed = layout_chips(parallelism)  # a fixed layout: its chip count (parse reports a malformed one later)
        if fixed is not None:
            n_chips = fixed
    return chip_obj, system, n_chips


def _with_system(res: Any, system: Any) -> Any:
    if system is None:
        return res
    extra = {"system": system.id} if isinstance(res, FitResult) else {}
    return replace(res, explanation=res.explanation + system.note(), **extra)


def fits(model: str | Model, chip: str | Chip | System | Deployment, context_tokens: int, batch: int = 1, *,
         n_chips: int | None = None, parallelism: str | Parallelism | Mapping[str, int] | None = None,
         weight_dtype: str | DType | None = None, kv_dtype: str | DType | None = "bf16",
         expert_dtype: str | DType | None = None, embedding_dtype: str | DType | None = None,
         state_dtype: str | DType | None = "bf16", activation_dtype: str | DType | None = "bf16",
         prefill_chunk: int = 8192, reserve: str | float | pint.Quantity | None = None,
         capacity: str | pint.Quantity | None = None) -> FitResult:
    """Does ``model`` serve ``batch`` sequences of ``context_tokens`` on ``n_chips`` of ``chip``?

    Compares the per-chip footprint (:func:`memory_footprint`) with the chip's published memory
    capacity and its range: below the low end it fits for sure, above the high end it does not,
    in between it depends on the estimate.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        A chip or a system (name or record; a system gives its chip, and ``n_chips`` defaults
        to its chip count), or a :class:`~accelspec.Deployment` (its chip count, layout, dtypes,
        reserve and capacity; arguments it fixes may not be given beside it).
    context_tokens : int
        Tokens per sequence [token].
    batch : int, optional
        Sequences served together (default 1).
    n_chips : int, optional
        Chips the model is spread over (default: a system's chip count, else a fixed layout's,
        else 1).
    parallelism : str, Parallelism or mapping, optional
        ``None`` / ``"auto"`` (default): the layout of ``n_chips`` that needs least memory per
        chip; a strategy name (``"tp"``, ``"pp"``, ``"tp+ep"``, ...), ``"tp=4,pp=2"``, a mapping
        or a :class:`~accelspec.Parallelism`.
    weight_dtype : str or DType, optional
        Format of the weights: a name (``"bf16"``, ``"fp8"``, ``"int4"``, ...), a
        :class:`~accelspec.DType`, or ``None`` / ``"native"`` (default) for the checkpoint's
        own formats (:meth:`~accelspec.Model.weight_format_for`).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    state_dtype : str or DType, optional
        Format of the linear-attention state (default ``"bf16"``).
    activation_dtype : str or DType, optional
        Format of the activations (default ``"bf16"``).
    prefill_chunk : int, optional
        Tokens per prefill chunk, which sizes the prefill activations [token] (default 8192).
    reserve : str, float or Quantity, optional
        Per-chip allowance for the framework and runtime [GB] (default 2 GiB), or a fraction of
        the capacity in [0, 1) (``0.1`` is vLLM's default).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's (needed for a chip whose
        capacity is unpublished).

    Returns
    -------
    FitResult
        The verdict, required and available memory per chip [GB], the headroom and the largest
        term; ``bool(result)`` uses the nominal capacity.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, reserve or capacity is out of range or of the wrong type.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    from ..model.catalog import get_model

    if is_deployment(chip):  # a Deployment: its chip, count, layout, dtypes
        refuse_fixed(fits, "fits", locals())
        return chip.fits(model, context_tokens, batch)
    model = get_model(model)
    chip_obj, system, n_chips = hardware_and_count(chip, n_chips, parallelism)
    cap, low, high, label = capacity_bytes(chip_obj, capacity)
    ctx = count(context_tokens, "context_tokens")
    b = count(batch, "batch")
    fp = memory_footprint(model, ctx, b, weight_dtype=weight_dtype, kv_dtype=kv_dtype, expert_dtype=expert_dtype,
                          embedding_dtype=embedding_dtype, state_dtype=state_dtype,
                          activation_dtype=activation_dtype, n_chips=n_chips, parallelism=parallelism,
                          prefill_chunk=prefill_chunk, reserve=_Bytes(reserve_bytes(reserve, cap)))
    fp = replace(fp, reserve_label=_reserve_label(reserve, cap))
    return _with_system(_judge(model, chip_obj, fp, cap, low, high, label), system)


def _reserve_label(value: Any, capacity: float | None = None) -> str:
    if value is None:
        return "2 GiB per chip"
    if type(value) is _Bytes:
        return f"{value / _GB:.3g} GB per chip"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1 and capacity:
        return f"{value:.0%} of capacity ({value * capacity / _GB:.3g} GB) per chip"
    try:
        return f"{float(parse_quantity(value, 'B', 'reserve').m_as('GB')):.3g} GB per chip"
    except Exception:
        return str(value)


#: Arguments a deployment fixes: passing one of them beside a deployment is refused, never merged.
FIXED_BY_DEPLOYMENT = ("n_chips", "parallelism", "weight_dtype", "kv_dtype", "activation_dtype", "expert_dtype",
                       "embedding_dtype", "state_dtype", "precision", "reserve", "capacity")


def refuse_overrides(function: str, given: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Raise :class:`DeploymentError` when ``given`` sets an argument a deployment fixes away
    from its default (``fits(model, deployment, n_chips=8)``: which count is meant?)."""
    bad = [k for k in FIXED_BY_DEPLOYMENT if k in given and k in defaults and given[k] is not defaults[k]
           and not (isinstance(given[k], (str, int, float)) and given[k] == defaults[k])]
    if bad:
        raise DeploymentError(f"{function}: {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} set by the "
                              f"deployment; give {'it' if len(bad) == 1 else 'them'} to Deployment(...) "
                              "or pass a chip instead")


def _deployment_kwargs(deployment: Any) -> dict[str, Any]:
    """A deployment's chip count, layout (None: chosen per workload), dtypes, reserve and capacity
    as keyword arguments of the memory calculators."""
    return {"n_chips": deployment.n_chips, "parallelism": deployment.parallelism, "capacity": deployment.capacity,
            **deployment.memory_kwargs()}


def refuse_fixed(fn: Any, name: str, given: dict[str, Any]) -> None:
    """Arguments given beside a deployment that the deployment fixes are an error."""
    import inspect

    defaults = {k: p.default for k, p in inspect.signature(fn).parameters.items()}
    refuse_overrides(name, given, defaults)


def trained_context(model: Model) -> tuple[int | None, str]:
    """The longest context the model was trained or extended for, and how that was read.

    ``max_position_embeddings``; when ``rope_scaling`` names an
    ``original_max_position_embeddings`` and a ``factor`` whose product is larger (Qwen's
    YaRN recipe leaves ``max_position_embeddings`` at the original), that product.
    ``(None, "unknown")`` when the config gives neither.
    """
    cfg = model.config or {}
    rs = cfg.get("rope_scaling") or cfg.get("rope_parameters") or {}
    rs = rs if isinstance(rs, Mapping) else {}
    orig, factor = rs.get("original_max_position_embeddings"), rs.get("factor")
    kind = rs.get("rope_type") or rs.get("type") or "rope"
    mpe = model.max_context
    if isinstance(orig, (int, float)) and isinstance(factor, (int, float)) and orig * factor > (mpe or 0):
        n = int(orig * factor)
        return n, f"{n:,} ({kind} rope scaling x{factor:g} of {int(orig):,})"
    if mpe is None:
        return None, "unknown"
    if isinstance(orig, (int, float)) and orig < mpe:
        return mpe, f"{mpe:,} (max_position_embeddings; {int(orig):,} before {kind} rope scaling)"
    return mpe, f"{mpe:,} (max_position_embeddings)"


def _assumptions(model: Model, fp: Footprint, ctx: int) -> tuple[str, tuple[str, ...], str]:
    fmt = fp.weight_format or model.checkpoint_format
    d = fp.dtypes
    lay = "single chip" if fp.n_chips == 1 else f"{fp.n_chips} chips {fp.parallelism}"
    limit, how = trained_context(model)
    present = [k for k, v in model.param_breakdown().items() if v]
    text = (f"assumes weights {fmt.summary(present)} ({fmt.origin}: {fmt.source}), KV {d.get('kv')}, "
            f"activations {d.get('activations')}, {lay}, reserve {fp.reserve_label}, context limit {how}")
    warns = []
    if limit is not None and ctx > limit:
        warns.append(f"context {ctx:,} tokens exceeds the model's trained length {how}")
    warns += [f"{model.id}: {w}" for w in fmt.warnings]
    return text, tuple(warns), fmt.origin


def _judge(model: Model, chip: Chip, fp: Footprint, cap: float, low: float, high: float, label: str) -> FitResult:
    need = float(fp.bytes["total"])
    ok = need <= cap
    if need <= low:
        verdict = "fits"
    elif need > high:
        verdict = "does not fit"
    else:
        verdict = "depends on the estimate"
    big = fp.largest_term()
    rng = f" ({low / _GB:.4g}-{high / _GB:.4g} GB, {label})" if low != high else ""
    n = fp.n_chips
    where = f"{n} x {chip.name}" + (f" ({fp.parallelism})" if n > 1 else "")
    assumptions, warns, origin = _assumptions(model, fp, int(fp.context_tokens))
    text = (f"{model.name}, {fp.context_tokens:,} tokens x {fp.batch} on {where}: needs {need / _GB:.4g} GB per "
            f"chip of {cap / _GB:.4g} GB{rng}: {verdict}; largest term {_LABELS[big]} "
            f"{float(fp.bytes[big]) / _GB:.4g} GB [{assumptions}]")
    if warns:
        text += " WARNING: " + "; ".join(warns)
    return FitResult(fits=ok, verdict=verdict, required=fp.total, available=_gb(np.asarray(cap)),
                     available_low=_gb(np.asarray(low)), available_high=_gb(np.asarray(high)),
                     headroom=_gb(np.asarray(cap - need)), largest_term=big, explanation=text, footprint=fp,
                     chip=chip.id, n_chips=n, parallelism=fp.parallelism, assumptions=assumptions,
                     warnings=warns, weight_source=origin)


# --- searches -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limit:
    """A largest value that fits: ``value`` with the nominal capacity, ``low``/``high`` with the
    low and high ends of the capacity range. ``math.inf`` when memory never runs out."""

    value: float
    low: float
    high: float
    what: str
    explanation: str

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return int(self.value)

    def __str__(self) -> str:
        return self.explanation


@dataclass(frozen=True)
class ChipCount:
    """The fewest chips: ``value`` (nominal capacity), ``for_sure`` (low end of the capacity
    range), ``best_case`` (high end); ``None`` when not found up to ``max_chips``."""

    value: int | None
    for_sure: int | None
    best_case: int | None
    parallelism: Parallelism | None
    explanation: str

    def __int__(self) -> int:
        if self.value is None:
            raise ValueError(self.explanation)
        return self.value

    def __str__(self) -> str:
        return self.explanation


def _need_fn(model: Model, n: int, parallelism: Any, o: _Options):
    """A function ctx, batch -> bytes per chip (layout fixed, or chosen per call when auto)."""
    p = model_profile(model)
    lay = Parallelism.parse(parallelism, n)
    if lay is not None:
        lay.check(model)

    memo: dict[tuple[float, float], tuple[float, Parallelism]] = {}

    def need(ctx: float, b: float) -> tuple[float, Parallelism]:
        key = (float(ctx), float(b))
        if key not in memo:
            c, bb = np.asarray(key[0]), np.asarray(key[1])
            if lay is not None:
                memo[key] = ((math.inf, lay) if lay.cp > key[0] else
                             (float(footprint_terms(p, lay, c, bb, o)["total"]), lay))
            else:  # the auto layout and its total in one pass (the table equals footprint_total to the last bit)
                got = footprint_table(p, n, o).best(key[0], key[1], key[0], key[1], o)
                if got is None:
                    raise InvalidArgumentError("n_chips", f"no parallel layout of {n} chips can shard {p.model.id}")
                memo[key] = (got[1], got[0])
        return memo[key]

    return need


def _search_start(model: Model, n: int, parallelism: Any, fixed: int, which: str) -> int:
    """The least context (``which="context"``, batch ``fixed``) or batch (``which="batch"``,
    context ``fixed``) at which some layout of ``n`` chips can hold the model: a layout needs at
    least ``cp`` tokens and, with ``dp > 1``, ``dp`` sequences. 1 unless every layout of ``n``
    chips needs context or data parallelism (8960 chips for an 8B model: ``cp >= 10``).

    Raises
    ------
    InvalidArgumentError
        No layout of ``n`` chips can shard the model at any context (batch) with this batch (context).
    """
    lay = Parallelism.parse(parallelism, n)
    lays = [lay] if lay is not None else layouts(model, n)
    if which == "context":
        starts = [x.cp for x in lays if x.dp == 1 or x.dp <= fixed]
    else:
        starts = [x.dp for x in lays if x.cp <= fixed]
    if not starts:
        other = f"batch {fixed}" if which == "context" else f"{fixed:,} tokens"
        raise InvalidArgumentError("n_chips", f"no parallel layout of {n} chips can shard {model.id} at {other}")
    return max(1, min(starts))


def _largest(need, fixed: float, cap: float, which: str, start: int = 1) -> float:
    """Largest x >= ``start`` with need(x) <= cap (need increasing), 0 if none, inf if unbounded."""
    def ok(x: float) -> bool:
        return (need(x, fixed) if which == "context" else need(fixed, x))[0] <= cap

    if not ok(start):
        return 0
    if ok(_MAX_TOKENS):
        return math.inf
    lo, hi = start, 2 * start
    while ok(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def _search(kind: str, fn: Any, given: dict[str, Any]) -> Limit:
    """:func:`max_context` (``kind="context"``, the batch fixed) and :func:`max_batch` (``"batch"``,
    the context fixed) from their arguments ``given`` (``locals()``): a deployment's chip count,
    layout, dtypes, reserve and capacity (refusing any also given beside it), then the bisection
    of :func:`_largest` for the nominal capacity and both ends of its range."""
    from ..model.catalog import get_model

    fixed_name = "batch" if kind == "context" else "context_tokens"
    chip = given["chip"]
    if is_deployment(chip):
        refuse_fixed(fn, fn.__name__, given)
        given = {**given, "chip": chip.system or chip.chip, **_deployment_kwargs(chip)}
    model = get_model(given["model"])
    parallelism = given["parallelism"]
    chip_obj, system, n_chips = hardware_and_count(given["chip"], given["n_chips"], parallelism)
    cap, low, high, _ = capacity_bytes(chip_obj, given["capacity"])
    f = count(given[fixed_name], fixed_name)
    n = count(n_chips, "n_chips")
    res = reserve_bytes(given["reserve"], cap)
    o = memory_options(model, reserve=Q_(res, "B"), prefill_chunk=given["prefill_chunk"],
                       **{k: given[k] for k in MEM_KW})
    need = _need_fn(model, n, parallelism, o)
    start = _search_start(model, n, parallelism, f, kind)  # 8960 chips: no layout below cp=10 tokens
    vals = {k: _largest(need, f, c, kind, start) for k, c in (("value", cap), ("low", low), ("high", high))}
    v = vals["value"]
    unit = "tokens" if kind == "context" else "sequences"
    other = f"batch {f}" if kind == "context" else f"{f:,} tokens each"
    where = f"{n} x {chip_obj.name}"
    if v == math.inf:
        text = f"{model.name} on {where}: memory never limits the {kind} ({other}); nothing grows without bound"
    elif v == 0:
        w = need(start, f) if kind == "context" else need(f, start)
        text = (f"{model.name} on {where}: does not fit even at {start:,} ({other}): needs {w[0] / _GB:.4g} GB "
                f"per chip of {cap / _GB:.4g} GB")
    else:
        lay = (need(v, f) if kind == "context" else need(f, v))[1]
        rng = f" (capacity range gives {vals['low']:,.0f} to {vals['high']:,.0f})" if low != high else ""
        text = f"{model.name} on {where} ({lay}): up to {v:,.0f} {unit} ({other}){rng}"
        if kind == "context" and model.max_context and v > model.max_context:
            text += f"; beyond the model's max_position_embeddings {model.max_context:,}"
    return _with_system(Limit(value=v, low=vals["low"], high=vals["high"], what=kind, explanation=text), system)


def max_context(model: str | Model, chip: str | Chip | System | Deployment, *, batch: int = 1,
                n_chips: int | None = None, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                weight_dtype: str | DType | None = None, kv_dtype: str | DType | None = "bf16",
                expert_dtype: str | DType | None = None, embedding_dtype: str | DType | None = None,
                state_dtype: str | DType | None = "bf16", activation_dtype: str | DType | None = "bf16",
                prefill_chunk: int = 8192, reserve: str | float | pint.Quantity | None = None,
                capacity: str | pint.Quantity | None = None) -> Limit:
    """Longest context (tokens per sequence) that fits, for the nominal capacity and both ends
    of its range. Memory alone: the model's trained context is mentioned, not enforced.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        A chip or a system (name or record; a system gives its chip, and ``n_chips`` defaults
        to its chip count), or a :class:`~accelspec.Deployment` (its chip count, layout, dtypes,
        reserve and capacity; arguments it fixes may not be given beside it).
    batch : int, optional
        Sequences served together (default 1).
    n_chips : int, optional
        Chips the model is spread over (default: a system's chip count, else 1).
    parallelism : str, Parallelism or mapping, optional
        ``None`` / ``"auto"`` (default): the layout of ``n_chips`` that needs least memory per
        chip; a strategy name (``"tp"``, ``"pp"``, ``"tp+ep"``, ...), ``"tp=4,pp=2"``, a mapping
        or a :class:`~accelspec.Parallelism`.
    weight_dtype : str or DType, optional
        Format of the weights: a name (``"bf16"``, ``"fp8"``, ``"int4"``, ...), a
        :class:`~accelspec.DType`, or ``None`` / ``"native"`` (default) for the checkpoint's
        own formats (:meth:`~accelspec.Model.weight_format_for`).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    state_dtype : str or DType, optional
        Format of the linear-attention state (default ``"bf16"``).
    activation_dtype : str or DType, optional
        Format of the activations (default ``"bf16"``).
    prefill_chunk : int, optional
        Tokens per prefill chunk, which sizes the prefill activations [token] (default 8192).
    reserve : str, float or Quantity, optional
        Per-chip allowance for the framework and runtime [GB] (default 2 GiB), or a fraction of
        the capacity in [0, 1) (``0.1`` is vLLM's default).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's (needed for a chip whose
        capacity is unpublished).

    Returns
    -------
    Limit
        ``value`` [token] with the nominal capacity, ``low`` / ``high`` with the ends of the capacity
        range (``math.inf`` when memory never runs out), and a one-line explanation.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, reserve or capacity is out of range or of the wrong type.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    return _search("context", max_context, locals())


def max_batch(model: str | Model, chip: str | Chip | System | Deployment, context_tokens: int, *,
              n_chips: int | None = None, parallelism: str | Parallelism | Mapping[str, int] | None = None,
              weight_dtype: str | DType | None = None, kv_dtype: str | DType | None = "bf16",
              expert_dtype: str | DType | None = None, embedding_dtype: str | DType | None = None,
              state_dtype: str | DType | None = "bf16", activation_dtype: str | DType | None = "bf16",
              prefill_chunk: int = 8192, reserve: str | float | pint.Quantity | None = None,
              capacity: str | pint.Quantity | None = None) -> Limit:
    """Largest batch of ``context_tokens``-long sequences that fits, for the nominal capacity
    and both ends of its range.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        A chip or a system (name or record; a system gives its chip, and ``n_chips`` defaults
        to its chip count), or a :class:`~accelspec.Deployment` (its chip count, layout, dtypes,
        reserve and capacity; arguments it fixes may not be given beside it).
    context_tokens : int
        Tokens per sequence [token].
    n_chips : int, optional
        Chips the model is spread over (default: a system's chip count, else 1).
    parallelism : str, Parallelism or mapping, optional
        ``None`` / ``"auto"`` (default): the layout of ``n_chips`` that needs least memory per
        chip; a strategy name (``"tp"``, ``"pp"``, ``"tp+ep"``, ...), ``"tp=4,pp=2"``, a mapping
        or a :class:`~accelspec.Parallelism`.
    weight_dtype : str or DType, optional
        Format of the weights: a name (``"bf16"``, ``"fp8"``, ``"int4"``, ...), a
        :class:`~accelspec.DType`, or ``None`` / ``"native"`` (default) for the checkpoint's
        own formats (:meth:`~accelspec.Model.weight_format_for`).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    state_dtype : str or DType, optional
        Format of the linear-attention state (default ``"bf16"``).
    activation_dtype : str or DType, optional
        Format of the activations (default ``"bf16"``).
    prefill_chunk : int, optional
        Tokens per prefill chunk, which sizes the prefill activations [token] (default 8192).
    reserve : str, float or Quantity, optional
        Per-chip allowance for the framework and runtime [GB] (default 2 GiB), or a fraction of
        the capacity in [0, 1) (``0.1`` is vLLM's default).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's (needed for a chip whose
        capacity is unpublished).

    Returns
    -------
    Limit
        ``value`` [sequence] with the nominal capacity, ``low`` / ``high`` with the ends of the capacity
        range (``math.inf`` when memory never runs out), and a one-line explanation.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, reserve or capacity is out of range or of the wrong type.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    return _search("batch", max_batch, locals())


def min_chips(model: str | Model, chip: str | Chip | System, context_tokens: int, batch: int = 1, *,
              parallelism: str | None = None, max_chips: int | None = None,
              weight_dtype: str | DType | None = None, kv_dtype: str | DType | None = "bf16",
              expert_dtype: str | DType | None = None, embedding_dtype: str | DType | None = None,
              state_dtype: str | DType | None = "bf16", activation_dtype: str | DType | None = "bf16",
              prefill_chunk: int = 8192, reserve: str | float | pint.Quantity | None = None,
              capacity: str | pint.Quantity | None = None) -> ChipCount:
    """Fewest chips that hold the model at this context and batch.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip or System
        A chip or a system (name or record). A :class:`~accelspec.Deployment` fixes the chip
        count, so it is refused.
    context_tokens : int
        Tokens per sequence [token].
    batch : int, optional
        Sequences served together (default 1).
    parallelism : str, optional
        ``None`` / ``"auto"`` (best layout for each count) or a strategy name applied to all
        chips (``"tp"``, ``"pp"``, ``"cp"``, ``"tp+ep"``, ...); counts the strategy cannot use
        (e.g. a TP degree that does not divide the heads) are skipped.
    max_chips : int, optional
        Largest count tried (default 1024, or the system's chip count when ``chip`` names a
        system).
    weight_dtype : str or DType, optional
        Format of the weights: a name (``"bf16"``, ``"fp8"``, ``"int4"``, ...), a
        :class:`~accelspec.DType`, or ``None`` / ``"native"`` (default) for the checkpoint's
        own formats (:meth:`~accelspec.Model.weight_format_for`).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    state_dtype : str or DType, optional
        Format of the linear-attention state (default ``"bf16"``).
    activation_dtype : str or DType, optional
        Format of the activations (default ``"bf16"``).
    prefill_chunk : int, optional
        Tokens per prefill chunk, which sizes the prefill activations [token] (default 8192).
    reserve : str, float or Quantity, optional
        Per-chip allowance for the framework and runtime [GB] (default 2 GiB), or a fraction of
        the capacity in [0, 1) (``0.1`` is vLLM's default).
    capacity : str or Quantity, optional
        Memory per chip [GB] to assume instead of the catalog's (needed for a chip whose
        capacity is unpublished).

    Returns
    -------
    ChipCount
        ``value`` (nominal capacity), ``for_sure`` (low end of the capacity range),
        ``best_case`` (high end), each ``None`` when not found up to ``max_chips``, and the
        layout.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    NotPublishedError
        The chip publishes no memory capacity and ``capacity`` is not given.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, reserve or capacity is out of range or of the wrong type.
    DeploymentError
        ``chip`` is a deployment.
    """
    from ..hardware.system import resolve_hardware
    from ..model.catalog import get_model

    if is_deployment(chip):
        raise DeploymentError("min_chips: searches the chip count, which a Deployment fixes "
                              f"({chip.n_chips}); pass its chip or system ({(chip.system or chip.chip).id!r}) "
                              "and dtypes instead, or ask fits(model, deployment, ...)")
    model = get_model(model)
    chip_obj, system = resolve_hardware(chip)
    cap, low, high, _ = capacity_bytes(chip_obj, capacity)
    ctx = count(context_tokens, "context_tokens")
    b = count(batch, "batch")
    top = count(max_chips if max_chips is not None else (system.n_chips if system is not None else 1024),
                     "max_chips")
    if isinstance(parallelism, (Parallelism, Mapping)):
        raise InvalidArgumentError("parallelism", "min_chips needs a strategy name ('auto', 'tp', 'pp', 'cp', "
                                   "'tp+ep', ...), not a fixed layout")
    if parallelism is not None:
        if not isinstance(parallelism, str) or parallelism.strip().lower().replace(" ", "") not in _STRATEGIES:
            raise InvalidArgumentError("parallelism", f"min_chips needs a strategy name, one of "
                                       f"{', '.join(sorted(_STRATEGIES))}; got {parallelism!r}")
    o = memory_options(model, weight_dtype, kv_dtype, expert_dtype, embedding_dtype, state_dtype, activation_dtype,
                 prefill_chunk, Q_(reserve_bytes(reserve, cap), "B"))
    found: dict[str, tuple[int, Parallelism]] = {}
    targets = {"best_case": high, "value": cap, "for_sure": low}
    for n in range(1, top + 1):
        try:
            need, lay = _need_fn(model, n, parallelism, o)(ctx, b)
        except InvalidArgumentError:
            continue
        for k, c in targets.items():
            if k not in found and need <= c:
                found[k] = (n, lay)
        if len(found) == len(targets):
            break
    v = found.get("value")
    where = f"{chip_obj.name}" + (f" (system {system.id})" if system is not None else "")
    if v is None:
        text = (f"{model.name} at {ctx:,} tokens x {b}: does not fit on up to {top} x {where} "
                f"({parallelism or 'auto'})")
    else:
        text = f"{model.name} at {ctx:,} tokens x {b}: {v[0]} x {where} ({v[1]})"
        if low != high:
            fs, bc = found.get("for_sure"), found.get("best_case")
            text += (f"; {fs[0] if fs else '>' + str(top)} for sure, {bc[0] if bc else '?'} at best "
                     f"(capacity range {low / _GB:.4g}-{high / _GB:.4g} GB)")
    return ChipCount(value=v[0] if v else None, for_sure=found["for_sure"][0] if "for_sure" in found else None,
                     best_case=found["best_case"][0] if "best_case" in found else None,
                     parallelism=v[1] if v else None, explanation=text)


# old private names, kept importable for modules that still use them (perf.plan, perf.session, economics)
