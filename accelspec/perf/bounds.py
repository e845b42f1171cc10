"""Lower bounds on decode step time and time to first token; upper bounds on tokens/s.

For one step with FLOPs ``F``, memory bytes ``M`` (totals over the ``n`` chips) and link
bytes ``C`` per chip and direction (:mod:`accelspec.perf.opcost`), on chips with peak compute
``P``, memory bandwidth ``B`` and scale-up bandwidth per direction ``L``, each scaled by its
efficiency factor (achieved fraction of peak, default 1.0):

* ``t_compute = F / (n P)``, ``t_memory = M / (n B)``, ``t_comm = C / L`` (two tiers with a
  system: ``max(C_up / L_up, C_out / L_out)``, :mod:`accelspec.perf.comm`); on a chip with an
  on-chip SRAM beside its device memory, the first SRAM-full of each chip's bytes is read from
  the SRAM (:func:`decode_bound`, memory tiers);
* ``t >= max(t_compute, t_memory, t_comm)`` (the roofline: the three overlap perfectly);
  with ``overlap=False`` the three are summed instead (nothing overlaps);
* decode: tokens/s per user ``<= 1 / t``, per chip ``<= batch / (n t)``;
  prefill: time to first token ``>= t``, tokens/s per user ``<= S / t``, per chip
  ``<= batch S / (n t)``;
* the limiter is the largest term; the arithmetic intensity is ``F / M`` (FLOP/B), to be
  compared with the chip's ridge point ``P / B``.

Ranges: every term falls as ``P``, ``B`` and ``L`` rise, so evaluating with the high ends of
the input ranges gives the low end of the time range, and the low ends the high end. A bound
computed from any point within the input ranges lies inside ``time_range``.

Parallel layouts (:class:`~accelspec.perf.memory.Parallelism`, the one :func:`accelspec.fits`
uses, with the same weight and KV sharding as :func:`accelspec.memory_footprint`): the terms
are computed per chip of each pipeline stage, from that stage's share of the weights and KV
cache. A pipeline runs the batch in micro-batches (it does not serialize the batch): ``t =
max(slowest stage on the whole batch, sum over stages of one unit's time)``, a unit being one
sequence (decode) or one token (prefill) that must pass every stage in turn
(:func:`layout_times` with ``microbatch``). Tensor parallel splits weights and KV heads (an MLA
latent is read in full by every TP rank); expert parallel spreads the routed experts over
``ep`` chips and adds an all-to-all; context parallel splits the KV cache over ``cp`` chips;
data parallel gives each replica ``ceil(batch / dp)`` sequences. See :func:`stage_traffic`.

Fixed latencies (kernel launch, link latency, synchronisation) are left out: they only add
time, so the result stays a lower bound.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ..errors import CountTypeError
from ..hardware.chip import Chip, NotPublishedError, Precision
from ..inputs import count
from ..units import Q_, ureg
from .comm import allreduce_bytes, alltoall_bytes, group_domain_share, ring_pass_bytes
from .kernels import (
    LAYOUT_TIE,
    LIMITERS,
    MEM_KW,
    expert_split,
    layout_chips,
    limiter_code,
    routed_experts,
    segment_rows,
    step_times,
)
from .memory import (
    InvalidArgumentError,
    Parallelism,
    is_deployment,
    memory_footprint,
    model_profile,
    refuse_fixed,
    window_elements,
)
from .opcost import DTypes, dtype_key, resolve_dtypes, resolve_model
from .roofline import check_efficiency, compute_numbers

if TYPE_CHECKING:
    from ..hardware.system import System
    from ..model.architecture import Model
    from ..model.datatypes import DType
    from . import Deployment  # annotations only: .deployment imports this module

__all__ = [
    "LIMITERS",
    "Bound",
    "LayoutNumbers",
    "StageNumbers",
    "decode_bound",
    "layout_numbers",
    "layout_table",
    "prefill_bound",
    "resolve_layout",
    "search_table",
]

_S = ureg.Unit("s")
_MS = ureg.Unit("ms")
_TPS = ureg.Unit("token/s")


@dataclass(frozen=True)
class Bound:
    """A lower bound on the time of one step, with what limits it (floats inside, Quantities
    on the properties). ``phase`` is ``"decode"`` (one token per sequence) or ``"prefill"``
    (the prompt, up to the first token)."""

    phase: str
    model: str
    chip: str
    chip_name: str
    dtypes: DTypes
    context_tokens: int
    batch: int
    n_chips: int
    overlap: bool
    efficiencies: tuple[float, float, float]
    flops: float  #: FLOPs of the step, all chips together
    bytes: float  #: memory bytes of the step, all chips together
    comm_bytes: float  #: bytes each chip sends per direction
    t_compute: float
    t_memory: float
    t_comm: float
    t: float
    t_low: float
    t_high: float
    unique_experts: float
    ridge: float  #: the chip's ridge point P / B (FLOP/B), after efficiencies
    #: decode only: tokens each sequence keeps per (verification) step; 1.0 = plain decoding
    #: (no speculative decoding or multi-token prediction assumed). Multiplies the token rates.
    accepted_tokens_per_step: float = 1.0
    parallelism: Parallelism = field(default_factory=Parallelism)  #: the layout the bound assumed
    system: str = ""  #: the system id when the bound was asked of a system, else ""
    #: MoE expert reads: "balanced" (expected distinct experts, uniform routing) or "best-case"
    #: (fewest distinct experts: a strict bound under any routing)
    routing: str = "balanced"
    comm_out_bytes: float = 0.0  #: of ``comm_bytes``, those on the scale-out network
    #: the collectives, their algorithms and the tiers they run on (empty on one chip)
    comm_note: str = ""
    #: without a given layout: the layout the memory fit prefers (``fits``'s choice), when the
    #: bound is the minimum over layouts; None when the layout was given (or one chip)
    memory_parallelism: Parallelism | None = None
    memory_layout_t: float = math.nan  #: the step time under ``memory_parallelism`` [s]
    #: how the layout was chosen (the layout search), empty when it was given
    search_note: str = ""
    #: a term left out of the bound (:attr:`ChipNumbers.missing`: a chip that publishes no
    #: compute peak gives the memory-only bound), empty when every term is in
    missing: str = ""
    #: which memory tier and bandwidth the memory term used, when not simply the chip's
    #: ``memory.bandwidth`` (:attr:`ChipNumbers.bandwidth_note`: SRAM-only chips, the SN40L's
    #: SRAM read before its HBM, a fallback tier); empty otherwise
    memory_note: str = ""

    @property
    def layout(self) -> str:
        """The parallel layout, e.g. ``"pp=6"`` or ``"single chip"``."""
        return str(self.parallelism)

    @property
    def memory_layout(self) -> str:
        """The layout :func:`accelspec.fits` prefers for the same chips (least memory per chip),
        or ``""`` when the layout was given; its own bound is :attr:`memory_layout_time`."""
        return "" if self.memory_parallelism is None else str(self.memory_parallelism)

    @property
    def memory_layout_time(self) -> pint.Quantity | None:
        """The bound under :attr:`memory_layout` [ms] (None when the layout was given)."""
        return None if self.memory_parallelism is None else Q_(self.memory_layout_t * 1e3, _MS)

    @property
    def assumptions(self) -> str:
        """One line: layout and dtypes (weights, experts, embeddings, KV, activations, compute)."""
        d = self.dtypes
        where = f"{self.n_chips} x {self.chip_name}" + (f" in {self.system}" if self.system else "")
        note = f" ({d.compute_note})" if getattr(d, "compute_note", "") else ""
        text = (f"{where} ({self.layout}); weights {d.weights_text()}, KV {d.kv.name}, "
                f"activations {d.activation.name}, compute {d.precision}{note}")
        if self.unique_experts:
            text += ("; MoE routing best-case (fewest distinct experts: a strict bound)" if self.routing == "best-case"
                     else "; MoE routing balanced (expected distinct experts: a bound under balanced routing, "
                          "routing='best-case' for one under any routing)")
        if self.search_note:
            text += f"; layout: {self.search_note}"
        if self.comm_note:
            text += f"; comm: {self.comm_note}"
        if self.memory_note:
            text += f"; memory: {self.memory_note}"
        if self.missing:
            text += f"; left out: {self.missing}"
        return text

    # --- quantities -------------------------------------------------------------------------
    @property
    def precision(self) -> Precision:
        return self.dtypes.precision

    @property
    def time(self) -> pint.Quantity:
        """Lower bound on the step time (decode) or time to first token (prefill), in ms."""
        return Q_(self.t * 1e3, _MS)

    @property
    def time_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        """(low, high) over the input ranges."""
        return Q_(self.t_low * 1e3, _MS), Q_(self.t_high * 1e3, _MS)

    time_per_step = time
    time_to_first_token = time

    @property
    def compute_time(self) -> pint.Quantity:
        return Q_(self.t_compute * 1e3, _MS)

    @property
    def memory_time(self) -> pint.Quantity:
        return Q_(self.t_memory * 1e3, _MS)

    @property
    def comm_time(self) -> pint.Quantity:
        return Q_(self.t_comm * 1e3, _MS)

    @property
    def _tokens_per_user(self) -> float:
        return self.accepted_tokens_per_step if self.phase == "decode" else float(self.context_tokens)

    def _rate(self, t: float, per_chip: bool) -> float:
        toks = self._tokens_per_user * (self.batch / self.n_chips if per_chip else 1.0)
        return toks / t

    @property
    def tokens_per_s_per_user(self) -> pint.Quantity:
        """Upper bound: ``a / t`` (decode, ``a`` accepted tokens per step, default 1) or ``S / t``
        (prefill), in token/s."""
        return Q_(self._rate(self.t, False), _TPS)

    @property
    def tokens_per_s_per_chip(self) -> pint.Quantity:
        """Upper bound: ``a batch / (n t)`` (decode) or ``batch S / (n t)`` (prefill), in token/s."""
        return Q_(self._rate(self.t, True), _TPS)

    @property
    def tokens_per_s_per_user_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return Q_(self._rate(self.t_high, False), _TPS), Q_(self._rate(self.t_low, False), _TPS)

    @property
    def tokens_per_s_per_chip_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return Q_(self._rate(self.t_high, True), _TPS), Q_(self._rate(self.t_low, True), _TPS)

    @property
    def limiter(self) -> str:
        """``"compute"``, ``"memory"`` or ``"interconnect"``: the largest of the three terms."""
        return LIMITERS[int(limiter_code(self.t_compute, self.t_memory, self.t_comm))]

    @property
    def intensity(self) -> pint.Quantity:
        """Arithmetic intensity of the step, FLOPs / memory bytes (FLOP/B)."""
        return Q_(self.flops / self.bytes, ureg.Unit("OP/B" if self.precision.is_integer else "FLOP/B"))

    @property
    def ridge_point(self) -> pint.Quantity:
        return Q_(self.ridge, ureg.Unit("OP/B" if self.precision.is_integer else "FLOP/B"))

    @property
    def step_flops(self) -> pint.Quantity:
        return Q_(self.flops / 1e12, ureg.Unit("TOP" if self.precision.is_integer else "TFLOP"))

    @property
    def step_bytes(self) -> pint.Quantity:
        return Q_(self.bytes / 1e9, ureg.Unit("GB"))

    @property
    def step_comm_bytes(self) -> pint.Quantity:
        return Q_(self.comm_bytes / 1e6, ureg.Unit("MB"))

    def explain(self) -> str:
        """One line: the bound, its range, throughput, limiter and intensity."""
        what = "per step" if self.phase == "decode" else "to first token"
        rng = ""
        if not math.isclose(self.t_low, self.t_high, rel_tol=1e-12):
            rng = f" (range {self.t_low * 1e3:.4g}-{self.t_high * 1e3:.4g} ms)"
        chips = f", {self.n_chips} chips {self.layout}" if self.n_chips > 1 else ""
        mode = "" if self.overlap else ", terms summed (no overlap)"
        moe = f", {self.unique_experts:.3g} distinct experts/layer" if self.unique_experts else ""
        unit = "OP/B" if self.precision.is_integer else "FLOP/B"
        # no compute peak (a memory-only bound): the ridge P / B is unknown, not infinite
        ridge = f"{self.ridge:.4g}" if math.isfinite(self.ridge) else "unknown (no compute peak)"
        spec = ""
        if self.phase == "decode":
            a = self.accepted_tokens_per_step
            spec = (f"; {a:.4g} accepted tokens per step (speculative decoding / MTP)" if a != 1.0 else
                    "; 1 token per step (no speculative decoding or multi-token prediction assumed)")
        return (f"{self.model} {self.phase} on {self.chip_name} (context "
                f"{self.context_tokens:,}, batch {self.batch}{chips}{mode}): >= {self.t * 1e3:.4g} ms {what}{rng}, "
                f"<= {self.tokens_per_s_per_user.m:.4g} token/s per user, <= {self.tokens_per_s_per_chip.m:.4g} "
                f"token/s per chip; {self.limiter}-bound, intensity {self.flops / self.bytes:.4g} {unit} "
                f"vs ridge {ridge}{moe}. Assumed: {self.assumptions}{spec}")

    def __str__(self) -> str:
        return self.explain()


def positive_count(value: Any, what: str) -> int:
    return count(value, what)


def check_accepted(value: Any) -> float:
    """Check ``accepted_tokens_per_step``: a finite number >= 1 (tokens kept per step)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CountTypeError("accepted_tokens_per_step", f"expected a number, got {value!r}")
    try:
        a = float(value)
    except OverflowError:
        a = math.inf
    if not math.isfinite(a) or a < 1.0:
        raise InvalidArgumentError("accepted_tokens_per_step", "must be a finite number at least 1 (tokens kept "
                                   f"per verification step), got {value!r}")
    return a


# --- layouts: per-stage, per-chip numbers ------------------------------------------------------
@dataclass(frozen=True)
class StageNumbers:
    """One pipeline stage of a model under a layout, reduced to per-chip floats (bytes, FLOPs).

    Sharding is the one :func:`accelspec.memory_footprint` uses: attention, dense FFN and
    shared-expert weights split over ``tp``; router and norms replicated; routed experts split
    over ``ep`` (else over ``tp``); KV heads split over ``tp`` (replicated when fewer than
    ``tp``), an MLA latent replicated on every TP rank; the first stage holds the embedding,
    the last the output head and the final norm.
    """

    w_fixed: float  #: bytes read every step: dense/tp + router + norms (+ head/tp, final norm on the last)
    w_expert: float  #: bytes of one routed expert of this stage on one chip (summed over its MoE layers)
    emb_row: float  #: bytes of one embedding row on one chip (0 when the head read covers it)
    f_token: float  #: linear-layer FLOPs per token on one chip (2 per active parameter / tp)
    f_head: float  #: output-head FLOPs per sequence on one chip (last stage), ``2 V d / tp``
    f_linear: float  #: linear-attention FLOPs per token on one chip
    state: float  #: linear-attention state bytes per sequence on one chip
    groups: tuple[tuple[float, float, float], ...]  #: (FLOPs/pair, KV bytes/token, window) on one chip
    n_layers: float
    n_moe: float
    n_attn: float  #: softmax / MLA layers (context-parallel combines)
    last: bool


@dataclass(frozen=True)
class LayoutNumbers:
    """A model at given dtypes under one :class:`~accelspec.perf.memory.Parallelism`: its stages."""

    id: str
    name: str
    dtypes: DTypes
    parallelism: Parallelism
    stages: tuple[StageNumbers, ...]
    n_experts: float
    top_k: float
    hidden: float
    vocab: float
    act_bytes: float
    is_moe: bool


_LCACHE: dict[tuple, tuple[Any, LayoutNumbers]] = {}
#: per (model, dtypes, tp, pp): the dtypes and each stage's numbers but its routed experts' bytes
#: (the one field that depends on ep), so the layouts of a search differing in ep alone share them
_SCACHE: dict[tuple, tuple[Any, DTypes, tuple[tuple[dict[str, Any], float], ...]]] = {}


def _stage_cores(model: Model, dkey: tuple, weight_dtype: Any, dtypes_kw: dict[str, Any], tp: int,
                 pp: int) -> tuple[DTypes, tuple[tuple[dict[str, Any], float], ...]]:
    """The dtypes and, per pipeline stage of ``pp``, the :class:`StageNumbers` fields under
    ``tp`` but ``w_expert``, with the stage's routed-expert parameter count (cached)."""
    key = (id(model), tp, pp, *dkey)
    hit = _SCACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1], hit[2]
    dt = resolve_dtypes(model, weight_dtype, **dtypes_kw)
    wb, mb, kb = dt.weight.bytes_per_element, dt.embedding.bytes_per_element, dt.kv.bytes_per_element
    d, V = float(model.hidden_size), float(model.vocab_size)
    kv_share = max(model.n_kv_heads // tp, 1) / model.n_kv_heads
    la = model.linear_attention
    cores = []
    # the memory footprint's per-stage sums (parameter counts are whole numbers: exact in any order)
    for s, st in enumerate(model_profile(model).stage_sums(pp)):
        last = s == pp - 1
        w_fixed = (st.attention + st.mlp) / tp * wb + (st.router + st.norms) * wb
        if last:
            w_fixed += V * d / tp * mb + d * wb
        emb_row = d / tp * mb if s == 0 and (not model.tied_embeddings or pp > 1) else 0.0
        kv = dict(window_elements(st, kv_share))  # KV elements per token on one chip, by window
        groups = tuple((f / tp, kv.get(w, 0.0) * kb, w) for w, f in st.pairs)
        n_lin = st.n_linear
        f_lin = 4.0 * la.n_value_heads * la.key_head_dim * la.value_head_dim * n_lin / tp if (la and n_lin) else 0.0
        state = float(la.state_elements()) * n_lin / tp * dt.state.bytes_per_element if (la and n_lin) else 0.0
        matmul = st.attention + st.mlp + st.router + st.experts_active
        core = dict(w_fixed=w_fixed, emb_row=emb_row, f_token=2.0 * matmul / tp,
                    f_head=2.0 * V * d / tp if last else 0.0, f_linear=f_lin, state=state, groups=groups,
                    n_layers=st.n_layers, n_moe=st.n_moe, n_attn=st.n_layers - n_lin, last=last)
        cores.append((core, st.experts if model.moe is not None else 0.0))
    if len(_SCACHE) > 1024:
        _SCACHE.clear()
    out = tuple(cores)
    _SCACHE[key] = (model, dt, out)
    return dt, out


def layout_numbers(model: Model | str, lay: Parallelism, weight_dtype: Any = "native",
                   **dtypes_kw: Any) -> LayoutNumbers:
    """Reduce ``model`` at the given dtypes (:func:`~accelspec.perf.opcost.resolve_dtypes`) under
    layout ``lay`` to per-stage, per-chip numbers (cached per model object, dtypes, layout; the
    stages' numbers but the routed experts' per model object, dtypes, ``tp`` and ``pp``)."""
    model = resolve_model(model)
    dkey = (dtype_key(weight_dtype), *sorted((k, dtype_key(v)) for k, v in dtypes_kw.items()))
    key = (id(model), lay, *dkey)
    hit = _LCACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    dt, cores = _stage_cores(model, dkey, weight_dtype, dtypes_kw, lay.tp, lay.pp)
    moe = model.moe
    E = float(moe.n_routed_experts) if moe is not None else 1.0
    k = float(moe.experts_per_token) if moe is not None else 0.0
    eb, split = dt.expert.bytes_per_element, expert_split(lay.tp, lay.ep)
    stages = tuple(StageNumbers(w_expert=experts / E * eb / split if moe is not None else 0.0, **core)
                   for core, experts in cores)
    ln = LayoutNumbers(id=model.id, name=model.name, dtypes=dt, parallelism=lay, stages=stages, n_experts=E,
                       top_k=k, hidden=float(model.hidden_size), vocab=float(model.vocab_size),
                       act_bytes=dt.activation.bytes_per_element, is_moe=moe is not None)
    if len(_LCACHE) > 1024:
        _LCACHE.clear()
    _LCACHE[key] = (model, ln)
    return ln


def stage_traffic(ln: LayoutNumbers, st: StageNumbers, phase: str, context: Any, batch: Any, *,
                  routing: str = "balanced", domain: Any = math.inf, in_network: Any = False) -> tuple[Any, Any, Any]:
    """``(FLOPs, memory bytes, link bytes per direction)`` of one chip of one stage in one step;
    floats or broadcastable numpy arrays. The link bytes add both tiers; :func:`stage_traffic_tiers`
    gives them apart.

    A data-parallel replica serves ``ceil(B / dp)`` sequences; context parallel gives each chip
    ``ceil(T / cp)`` tokens of KV (decode: the new token's projections run on every CP rank,
    whose weights are replicated; prefill: the prompt's tokens are split over the CP ranks).
    Link bytes (collectives in :mod:`accelspec.perf.comm`): two TP all-reduces per layer
    (ring ``2 (tp-1)/tp`` x message, or ``1 x`` message with ``in_network`` reduction); with
    ``ep`` an all-to-all dispatch and combine of ``k`` hidden vectors per token per MoE layer
    (balanced routing: ``(ep-1)/ep`` of them leave the chip; best-case routing: only the
    ``max(0, k - E/ep)`` experts a token cannot find on its own chip); with ``cp`` a combine of
    the partial attention outputs per layer (decode) or a ring pass of the KV blocks (prefill);
    with ``pp`` the activations handed to the next stage. ``domain`` (chips per scale-up domain,
    ``inf`` = all within one) splits each collective into its scale-up and scale-out parts.

    Routing: ``"balanced"`` reads the expected distinct experts of uniform routing;
    ``"best-case"`` the fewest (``k``), a strict lower bound on the expert reads.
    """
    f, m, up, out = stage_traffic_tiers(ln, st, phase, context, batch, routing=routing, domain=domain,
                                        in_network=in_network)
    return f, m, up + out


def stage_traffic_tiers(ln: LayoutNumbers, st: StageNumbers, phase: str, context: Any, batch: Any, *,
                        routing: str = "balanced", domain: Any = math.inf, in_network: Any = False,
                        out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, Any, Any, Any]:
    """``(FLOPs, memory bytes, scale-up link bytes, scale-out link bytes)`` per chip and direction
    of one stage in one step (see :func:`stage_traffic`).

    ``out``: two float64 arrays of the grid's shape (the broadcast of ``context`` and ``batch``)
    that receive the FLOPs and the bytes (the same values, computed in place: the sweep's
    grids without a temporary); they are returned in their place."""
    lay = ln.parallelism
    tp, ep, cp, dp = float(lay.tp), float(lay.ep), float(lay.cp), float(lay.dp)
    B = np.ceil(batch / dp) if dp > 1 else batch
    S = context
    Tc = np.ceil(context / cp) if cp > 1 else context
    decode = phase == "decode"
    tokens = B if decode else B * Tc  # tokens one TP group runs through its layers
    kv = 0.0
    attn = 0.0
    for fpp, kvb, win in st.groups:
        m = np.minimum(Tc, win)
        kv = kv + kvb * m
        if decode:
            attn = attn + fpp * m
        else:
            mw = np.minimum(S, win)
            attn = attn + fpp * (mw * (mw + 1.0) * 0.5 + (S - mw) * mw) / cp
    routed = tokens if ep <= 1 else dp * (B if decode else B * S)
    with np.errstate(divide="ignore"):
        experts = routed_experts(ln.n_experts, ln.top_k, routed, routing) * st.w_expert if st.w_expert else 0.0
    if out is None:
        mem = (st.w_fixed + experts + st.emb_row * np.minimum(tokens, ln.vocab)
               + B * (kv + (2.0 if decode else 1.0) * st.state))
        flops = tokens * (st.f_token + st.f_linear) + B * (st.f_head + attn)
    else:  # the same two sums, their last two passes in place (a + b == b + a)
        flops, mem = out
        np.multiply(B, kv + (2.0 if decode else 1.0) * st.state, out=mem)
        np.add(st.w_fixed + experts + st.emb_row * np.minimum(tokens, ln.vocab), mem, out=mem)
        np.multiply(B, st.f_head + attn, out=flops)
        np.add(tokens * (st.f_token + st.f_linear), flops, out=flops)
    msg = tokens * ln.hidden * ln.act_bytes
    up: Any = 0.0  # link bytes per chip and direction inside the scale-up domain
    off: Any = 0.0  # and leaving it (scale-out); floats or arrays
    if tp > 1:
        d = group_domain_share(tp, 1.0, domain)
        u, o = allreduce_bytes(2.0 * st.n_layers * msg, tp, d, in_network)
        up, off = up + u, off + o
    if ep > 1 and st.n_moe:
        d = group_domain_share(ep, 1.0, domain)
        vol = st.n_moe * 2.0 * ln.top_k * msg / tp  # k vectors per token, dispatch + combine
        if routing == "best-case":  # a token's experts on its own chip, then its own domain, stay put
            local = ln.n_experts / ep
            off_chip = max(0.0, ln.top_k - local) / ln.top_k
            off_dom = np.maximum(0.0, ln.top_k - local * d) / ln.top_k
            u, o = vol * (off_chip - off_dom), vol * off_dom
        else:
            u, o = alltoall_bytes(vol, ep, d)
        up, off = up + u, off + o
    if cp > 1:
        d = group_domain_share(cp, tp, domain)
        if decode:  # rescale by the global log-sum-exp, then a plain sum: an all-reduce
            u, o = allreduce_bytes(st.n_attn * msg / tp, cp, d, in_network)
        else:
            u, o = ring_pass_bytes(B * kv, cp, d)
        up, off = up + u, off + o
    if lay.pp > 1 and not st.last:
        if isinstance(domain, float):
            if tp * cp * dp >= domain:  # a stage at least a domain wide: the handoff leaves it
                off = off + msg / tp
            else:
                up = up + msg / tp
        else:
            cross = tp * cp * dp >= np.asarray(domain)
            off = off + np.where(cross, msg / tp, 0.0)
            up = up + np.where(cross, 0.0, msg / tp)
    return flops, mem, up, off


def layout_times(ln: LayoutNumbers, phase: str, context: Any, batch: Any, peak: Any, bw: Any, link: Any,
                 overlap: bool = True, *, link_out: Any = math.nan, domain: Any = math.inf, in_network: Any = False,
                 routing: str = "balanced", microbatch: bool = False,
                 fast: tuple[Any, Any] | None = None,
                 time_only: bool = False) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """Walk the pipeline stages: ``(t_compute, t_memory, t_comm, t, FLOPs, bytes, comm bytes)``
    with each term summed over the stages (per-token latency passes every stage in turn) and
    ``t = sum over stages of max(terms)`` (or of their sum without ``overlap``). FLOPs and
    bytes are totals over all chips; comm bytes are those one chip of each stage sends (both
    tiers), summed over the stages. ``link`` is the scale-up bandwidth per chip and direction,
    ``link_out`` the scale-out one; ``domain``, ``in_network`` and ``routing`` as in
    :func:`stage_traffic`.

    ``microbatch`` (the bounds): a pipeline runs the batch in micro-batches, so it does not
    serialize the batch: ``t = max(max over stages of t_s(batch), sum over stages of
    t_s(unit))``, each stage doing all of its work (weights read once) and at least one unit
    (decode: one sequence; prefill: one token) passing every stage in turn. The three terms
    are those of the larger side (the slowest stage, or the units' sums). One stage: the same.

    ``fast``: the on-chip tier each chip reads before ``bw``
    (:meth:`~accelspec.perf.roofline.ChipNumbers.fast_tier`, :func:`~accelspec.perf.kernels.step_times`).
    ``time_only`` (a layout search): only ``t`` is computed, the same value; the other six
    entries are NaN.
    """
    lay = ln.parallelism
    per_stage = float(lay.tp * lay.cp * lay.dp)
    tc = tm = tl = t = fl = mb = cb = 0.0
    pipelined = microbatch and len(ln.stages) > 1
    if pipelined:
        uc, ub = (context, 1.0) if phase == "decode" else (1.0, 1.0)
        fill: Any = (0.0, 0.0, 0.0, 0.0)
        slow: Any = None
    for st in ln.stages:
        f, m, c, co = stage_traffic_tiers(ln, st, phase, context, batch, routing=routing, domain=domain,
                                          in_network=in_network)
        a, b, cc, tt = step_times(f, m, c, 1.0, peak, bw, link, overlap, co, link_out, fast=fast)
        if time_only:
            a = b = cc = math.nan
        else:
            fl, mb, cb = fl + f * per_stage, mb + m * per_stage, cb + c + co
        if not pipelined:
            tc, tm, tl, t = tc + a, tm + b, tl + cc, t + tt
            continue
        fu, mu, cu, cou = stage_traffic_tiers(ln, st, phase, uc, ub, routing=routing, domain=domain,
                                              in_network=in_network)
        unit = step_times(fu, mu, cu, 1.0, peak, bw, link, overlap, cou, link_out, fast=fast)
        if time_only:
            fill = (math.nan, math.nan, math.nan, fill[3] + unit[3])
            slow = (a, b, cc, tt if slow is None else np.where(tt > slow[3], tt, slow[3]))
            continue
        fill = tuple(x + y for x, y in zip(fill, unit, strict=True))
        slow = (a, b, cc, tt) if slow is None else tuple(np.where(tt > slow[3], x, y)
                                                         for x, y in zip((a, b, cc, tt), slow, strict=True))
    if time_only:
        if pipelined:
            t = np.where(slow[3] >= fill[3], slow[3], fill[3])
        return math.nan, math.nan, math.nan, t, math.nan, math.nan, math.nan
    if pipelined:
        use_slow = slow[3] >= fill[3]
        tc, tm, tl, t = (np.where(use_slow, x, y) for x, y in zip(slow, fill, strict=True))
        if all(np.ndim(x) == 0 for x in (tc, tm, tl, t)):
            tc, tm, tl, t = (float(x) for x in (tc, tm, tl, t))
    return tc, tm, tl, t, fl, mb, cb


def resolve_layout(model: Any, context_tokens: int, batch: int, n_chips: int | None, parallelism: Any,
                   dtype_kw: dict[str, Any]) -> Parallelism:
    """The layout a bound uses: ``parallelism`` if given (checked against the model), else for
    ``n_chips > 1`` the layout :func:`accelspec.fits` would choose (the same search,
    :func:`accelspec.memory_footprint` with ``parallelism="auto"``), else one chip."""
    if parallelism is None or (isinstance(parallelism, str) and parallelism.strip().lower() == "auto"):
        n = 1 if n_chips is None else n_chips
        if n == 1:
            return Parallelism()
        mem_kw = {k: v for k, v in dtype_kw.items() if k in MEM_KW}
        mobj = _model_obj(model)
        key = (id(mobj), context_tokens, batch, n, *sorted((k, str(v)) for k, v in mem_kw.items()))
        hit = _AUTO_CACHE.get(key)
        if hit is not None and hit[0] is mobj:
            return hit[1]
        auto = memory_footprint(mobj, context_tokens, batch, n_chips=n, parallelism="auto", **mem_kw).parallelism
        if len(_AUTO_CACHE) > 4096:
            _AUTO_CACHE.clear()
        _AUTO_CACHE[key] = (mobj, auto)
        return auto
    if n_chips is None:
        n_chips = layout_chips(parallelism) or 1
    lay = Parallelism.parse(parallelism, n_chips)
    assert lay is not None
    lay.check(_model_obj(model))
    if lay.cp > context_tokens:
        raise InvalidArgumentError("parallelism", f"cp={lay.cp} exceeds the context of {context_tokens} tokens")
    return lay


_AUTO_CACHE: dict[tuple, tuple[Any, Parallelism]] = {}


def _model_obj(model: Any) -> Model:
    return resolve_model(model)


def _bound(phase: str, model: Model | str, chip: str | Chip | System | Deployment, context_tokens: int, batch: int,
           n_chips: Any, parallelism: Any, weight_dtype: Any, dtype_kw: dict[str, Any], sparse: bool, overlap: bool,
           effs: tuple[float, float, float], routing: str = "balanced", collective: str = "auto") -> Bound:
    from ..hardware.system import resolve_hardware
    from .comm import ROUTINGS, check_choice, describe, fabric_numbers

    routing = check_choice("routing", routing, ROUTINGS)
    chip, system = resolve_hardware(chip)
    T = positive_count(context_tokens, "context_tokens")
    B = positive_count(batch, "batch")
    n = None if n_chips is None else positive_count(n_chips, "n_chips")
    if n is None and system is not None and parallelism is None:
        n = system.n_chips  # a system: all its chips unless told otherwise
    kw = {k: v for k, v in dtype_kw.items() if v is not None}
    mem_kw = {k: v for k, v in kw.items() if k in MEM_KW}
    lay = resolve_layout(model, T, B, n, parallelism, {"weight_dtype": weight_dtype, **mem_kw})
    search = n is not None and n > 1 and (parallelism is None or (isinstance(parallelism, str)
                                                                   and parallelism.strip().lower() == "auto"))
    memory_lay = lay
    n = lay.n_chips
    ln = layout_numbers(model, lay, weight_dtype, **kw)
    dts = ln.dtypes
    cn, dts = compute_numbers(chip, dts, precision_given=kw.get("precision") is not None, sparse=sparse,
                              missing_peak="drop")
    fab = fabric_numbers(chip, system, cn.link, collective)
    if n > 1 and math.isnan(fab.up[1]):
        raise NotPublishedError(f"{system.name if system else cn.chip_name}: no scale-up interconnect bandwidth "
                                f"published; {lay} over {n} chips needs it")
    ec, eb, el = (check_efficiency("compute_efficiency", effs[0]), check_efficiency("bandwidth_efficiency", effs[1]),
                  check_efficiency("link_efficiency", effs[2]))
    search_note = ""
    memory_t = math.nan
    if search:
        roofs = (cn.peak[1] * ec, cn.bandwidth[1] * eb, fab.up[1] * el, fab.out[1] * el)
        lay, memory_t, search_note = _fastest_layout(phase, _model_obj(model), chip, T, B, n, memory_lay, weight_dtype,
                                                     kw, roofs, fab, overlap, routing, cn.fast_tier(1, eb))
        ln = layout_numbers(model, lay, weight_dtype, **kw)
    runs: list[Any] = []
    for j in (1, 2, 0):  # nominal, high roofs (low time), low roofs (high time)
        ends = zip((cn.peak[j], cn.bandwidth[j], fab.up[j], fab.out[j], *cn.fast_capacity[j:j + 1]),
                   (cn.peak[1], cn.bandwidth[1], fab.up[1], fab.out[1], *cn.fast_capacity[1:2]), strict=True)
        if j != 1 and cn.fast_bandwidth[j] == cn.fast_bandwidth[1] and all(
                a == b or (math.isnan(a) and math.isnan(b)) for a, b in ends):
            runs.append(runs[0])  # no range on this chip's roofs: the same times
            continue
        runs.append(layout_times(ln, phase, float(T), float(B), cn.peak[j] * ec, cn.bandwidth[j] * eb,
                                 fab.up[j] * el, overlap, link_out=fab.out[j] * el, domain=fab.domain,
                                 in_network=fab.in_network, routing=routing, microbatch=True,
                                 fast=cn.fast_tier(j, eb)))
    tc, tm, tl, t, flops, mem, comm = (float(x) for x in runs[0])
    comm_out = float(sum(float(stage_traffic_tiers(ln, st, phase, float(T), float(B), routing=routing,
                                                   domain=fab.domain, in_network=fab.in_network)[3])
                         for st in ln.stages)) if fab.domain < n else 0.0
    if comm_out > 0 and not fab.has_out:
        raise NotPublishedError(f"{system.name if system else cn.chip_name}: {lay} over {n} chips spans more than "
                                f"one scale-up domain of {fab.domain:g} chips, and the scale-out bandwidth per chip "
                                "(scale_out.nics_per_chip x per_nic, or per_chip) is not published")
    tokens = float(B) if phase == "decode" else float(B) * float(T)
    U = float(routed_experts(ln.n_experts, ln.top_k, tokens, routing)) if ln.is_moe else 0.0
    return Bound(
        phase=phase, model=ln.id, chip=cn.chip_id, chip_name=cn.chip_name, dtypes=dts, context_tokens=T,
        batch=B, n_chips=n, overlap=overlap, efficiencies=(ec, eb, el), flops=flops, bytes=mem,
        comm_bytes=comm, t_compute=tc, t_memory=tm, t_comm=tl, t=t, t_low=float(runs[1][3]),
        t_high=float(runs[2][3]), unique_experts=U, ridge=cn.peak[1] * ec / (cn.bandwidth[1] * eb),
        parallelism=lay, system=system.id if system else "", routing=routing, comm_out_bytes=comm_out,
        comm_note=describe(lay, fab, ln.is_moe, phase, routing) if n > 1 else "",
        memory_parallelism=memory_lay if search else None, memory_layout_t=memory_t, search_note=search_note,
        missing=cn.missing, memory_note=cn.bandwidth_note,
    )


def layout_phrase(lay: Parallelism) -> str:
    """A layout with what it means for a MoE: ``"ep=8,dp=8 (attention dp=8 x expert ep=8)"``,
    ``"tp=4,ep=2 (experts tp=2 x ep=2)"`` (mixed expert TP x EP)."""
    text = str(lay)
    if lay.ep > 1:
        group = lay.tp * lay.cp * lay.dp
        if lay.dp > 1 and lay.tp == 1 and lay.cp == 1:
            text += f" (attention dp={lay.dp} x expert ep={lay.ep})"
        elif lay.ep < group:
            text += f" (experts split tp={group // lay.ep} x ep={lay.ep})"
    return text


class _LayoutTable:
    """Every candidate layout of a model at given dtypes, its pipeline stages laid out as rows of
    float arrays (one row per layout and distinct stage), so that one pass of numpy scores them
    all: the arithmetic of :func:`stage_traffic_tiers` and :func:`layout_times` (micro-batched)
    on arrays over layouts instead of one layout at a time. Built once per model object, layout
    list and dtypes (it depends on neither context nor batch).

    Identical stages of one layout (the middle stages of a deep pipeline) share a row whose
    ``mult`` counts them: the slowest stage is the same, and the pipeline fill adds ``mult`` times
    the row. :meth:`take` repeats candidates (one per chip and layout pair, say), so that each
    row may be evaluated at its own batch and on its own chip's roofs."""

    _FIELDS = ("w_fixed", "w_expert", "emb_row", "f_token", "f_head", "f_linear", "state", "n_layers", "n_moe",
               "n_attn")
    _ROW = ("tp", "ep", "cp", "dp", "handoff", "mult", "fpp", "kvb", "win", "cand", *_FIELDS)
    _CAND = ("pp", "cp_c", "dp_c", "size")

    def __init__(self, model: Model, cands: list[Parallelism], weight_dtype: Any, kw: dict[str, Any]):
        self.cands = cands
        # stage numbers depend on tp, pp and ep only: one block of rows per distinct (tp, pp, ep)
        keys: dict[tuple[int, int, int], int] = {}
        blocks: list[LayoutNumbers] = []
        of_cand = np.empty(len(cands), dtype=np.intp)
        for c, lay in enumerate(cands):
            k = keys.get((lay.tp, lay.pp, lay.ep))
            if k is None:
                k = keys[(lay.tp, lay.pp, lay.ep)] = len(blocks)
                blocks.append(layout_numbers(model, Parallelism(tp=lay.tp, pp=lay.pp, ep=lay.ep), weight_dtype, **kw))
            of_cand[c] = k
        ln = blocks[0]
        self.E, self.k, self.hidden, self.vocab, self.act = ln.n_experts, ln.top_k, ln.hidden, ln.vocab, ln.act_bytes
        self.is_moe = ln.is_moe
        # each block's distinct stages, in order of first appearance, with their multiplicity
        uniq: list[list[StageNumbers]] = []
        mults: list[list[int]] = []
        for b in blocks:
            seen: dict[StageNumbers, int] = {}
            for st in b.stages:
                seen[st] = seen.get(st, 0) + 1
            uniq.append(list(seen))
            mults.append(list(seen.values()))
        stages = [st for u in uniq for st in u]
        size = np.array([len(u) for u in uniq])
        first = np.r_[0, np.cumsum(size)[:-1]]
        table = np.array([[getattr(st, f) for f in self._FIELDS] for st in stages], dtype=float)
        last = np.array([st.last for st in stages])
        mult = np.array([x for m in mults for x in m], dtype=float)
        g = max(max(len(st.groups) for st in stages), 1)
        fpp, kvb, win = np.zeros((len(stages), g)), np.zeros((len(stages), g)), np.ones((len(stages), g))
        for r, st in enumerate(stages):
            for j, (f, b_, w) in enumerate(st.groups):
                fpp[r, j], kvb[r, j], win[r, j] = f, b_, w
        # rows: each candidate's block of stages, candidates in order
        n_rows = size[of_cand]
        self.cand = np.repeat(np.arange(len(cands)), n_rows)
        self.starts = np.r_[0, np.cumsum(n_rows)[:-1]]
        self.size = n_rows
        src = segment_rows(first[of_cand], n_rows)
        lay_cols = np.array([(lay.tp, lay.ep, lay.cp, lay.dp, lay.pp) for lay in cands], dtype=float)
        self.tp, self.ep, self.cp, self.dp, pp_row = (lay_cols[self.cand, i] for i in range(5))
        self.handoff = (pp_row > 1) & ~last[src]
        self.mult = mult[src]
        (self.w_fixed, self.w_expert, self.emb_row, self.f_token, self.f_head, self.f_linear, self.state,
         self.n_layers, self.n_moe, self.n_attn) = (table[src, i] for i in range(len(self._FIELDS)))
        self.fpp, self.kvb, self.win = fpp[src], kvb[src], win[src]
        self.index = {lay: i for i, lay in enumerate(cands)}
        self._ctx: dict[tuple[str, float, str, float, bool], tuple[np.ndarray, ...]] = {}
        self.pp = lay_cols[:, 4]
        self.cp_c, self.dp_c = lay_cols[:, 2], lay_cols[:, 3]

    def take(self, idx: np.ndarray) -> _LayoutTable:
        """A table whose candidates are ``self``'s candidates ``idx`` (repeats allowed), in that
        order, each with its own rows; :attr:`row_of` maps each new row to its new candidate."""
        idx = np.asarray(idx, dtype=np.intp)
        out = object.__new__(_LayoutTable)
        out.__dict__.update(self.__dict__)
        size = self.size[idx]
        starts = np.r_[0, np.cumsum(size)[:-1]].astype(np.intp)
        rows = self.rows_of(idx)
        for f in self._ROW:
            setattr(out, f, getattr(self, f)[rows])
        for f in self._CAND:
            setattr(out, f, getattr(self, f)[idx])
        out.starts, out.cands = starts, [self.cands[i] for i in idx]
        out.cand = np.repeat(np.arange(idx.size), size)
        out.index = {}
        out._ctx = {}
        return out

    def rows_of(self, idx: np.ndarray) -> np.ndarray:
        """The rows of candidates ``idx`` (repeats allowed), in that order: the rows of
        :meth:`take`'s table, as indices into this one's (for arrays with one value per row)."""
        idx = np.asarray(idx, dtype=np.intp)
        return segment_rows(self.starts[idx], self.size[idx])

    @property
    def row_of(self) -> np.ndarray:
        """The candidate of each row."""
        return self.cand

    def _per_context(self, phase: str, T: float, routing: str, domain: float,
                     in_network: bool) -> tuple[np.ndarray, ...]:
        """What a step of every row costs per token and per sequence at context ``T``, which
        does not depend on the batch: ``(f_tok, f_seq, m_seq, up_tok, off_tok, up_seq, off_seq)``
        (FLOPs, bytes, link bytes per tier). Every collective of :mod:`~accelspec.perf.comm` is
        linear in its message, so each is evaluated once at one token's message (``hidden x
        activation bytes``; the prefill's CP ring pass at one sequence's KV); remembered per
        context and fabric (a search evaluates many batches at one context)."""
        key = (phase, float(T), routing, float(domain), bool(in_network))
        hit = self._ctx.get(key)
        if hit is not None:
            return hit
        decode = phase == "decode"
        Tc = np.ceil(T / self.cp)
        m = np.minimum(Tc[:, None], self.win)
        kv = (self.kvb * m).sum(axis=1)
        if decode:
            attn = (self.fpp * m).sum(axis=1)
        else:
            mw = np.minimum(T, self.win)
            attn = (self.fpp * (mw * (mw + 1.0) * 0.5 + (T - mw) * mw)).sum(axis=1) / self.cp
        tok = 1.0 if decode else Tc  # tokens per sequence on one TP group
        f_tok = (self.f_token + self.f_linear) * tok
        f_seq = self.f_head + attn
        m_seq = kv + (2.0 if decode else 1.0) * self.state
        msg = self.hidden * self.act  # one token's activation message
        dom, inn = np.asarray(domain), np.asarray(in_network)
        with np.errstate(invalid="ignore", divide="ignore"):
            u, o = allreduce_bytes(2.0 * self.n_layers * msg, self.tp, group_domain_share(self.tp, 1.0, dom), inn)
            on = self.tp > 1
            up, off = np.where(on, u, 0.0), np.where(on, o, 0.0)
            d = group_domain_share(self.ep, 1.0, dom)
            vol = self.n_moe * 2.0 * self.k * msg / self.tp
            if routing == "best-case":
                local = self.E / self.ep
                off_chip = np.maximum(0.0, self.k - local) / max(self.k, 1e-300)
                off_dom = np.maximum(0.0, self.k - local * d) / max(self.k, 1e-300)
                u, o = vol * (off_chip - off_dom), vol * off_dom
            else:
                u, o = alltoall_bytes(vol, self.ep, d)
            on = (self.ep > 1) & (self.n_moe > 0)
            up, off = up + np.where(on, u, 0.0), off + np.where(on, o, 0.0)
            d = group_domain_share(self.cp, self.tp, dom)
            on = self.cp > 1
            if decode:
                u, o = allreduce_bytes(self.n_attn * msg / self.tp, self.cp, d, inn)
                up, off = up + np.where(on, u, 0.0), off + np.where(on, o, 0.0)
                up_seq = off_seq = np.zeros_like(up)
            else:
                u, o = ring_pass_bytes(kv, self.cp, d)
                up_seq, off_seq = np.where(on, u, 0.0), np.where(on, o, 0.0)
        cross = self.tp * self.cp * self.dp >= domain
        hand = np.where(self.handoff, msg / self.tp, 0.0)
        up, off = up + np.where(cross, 0.0, hand), off + np.where(cross, hand, 0.0)
        out = (f_tok, f_seq, m_seq, up * tok, off * tok, up_seq, off_seq)
        if len(self._ctx) >= 16:
            self._ctx.clear()
        self._ctx[key] = out
        return out

    def traffic(self, phase: str, T: float, B: Any, routing: str, domain: float,
                in_network: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:func:`stage_traffic_tiers` of every row: ``(FLOPs, bytes, scale-up, scale-out)``;
        ``B`` a number or an array with one batch per row. With ``Bd = ceil(B / dp)`` sequences
        per replica: FLOPs ``Bd (f_tok + f_seq)``, bytes ``w_fixed + experts w_expert + emb_row
        min(tokens, V) + Bd m_seq``, link bytes ``Bd (x_tok + x_seq)`` (:meth:`_per_context`)."""
        decode = phase == "decode"
        f_tok, f_seq, m_seq, up_tok, off_tok, up_seq, off_seq = self._per_context(phase, T, routing, domain,
                                                                                  in_network)
        Bd = np.ceil(B / self.dp)
        tokens = Bd if decode else Bd * np.ceil(T / self.cp)
        routed = np.where(self.ep <= 1, tokens, self.dp * (Bd if decode else Bd * T))  # all replicas' tokens
        experts = routed_experts(self.E, self.k, routed, routing) * self.w_expert if self.is_moe else 0.0
        mem = self.w_fixed + experts + self.emb_row * np.minimum(tokens, self.vocab) + Bd * m_seq
        return Bd * (f_tok + f_seq), mem, Bd * (up_tok + up_seq), Bd * (off_tok + off_seq)

    def stage_times(self, phase: str, T: float, B: Any, roofs: tuple[Any, Any, Any, Any], overlap: bool,
                    routing: str, domain: float, in_network: bool,
                    fast: tuple[Any, Any] | None = None) -> tuple[Any, Any, Any, Any]:
        """``(t_compute, t_memory, t_comm, t)`` of every row (:func:`step_times` of its traffic);
        the roofs numbers or arrays with one value per row; ``fast`` the on-chip tier read before
        the memory roof (``(capacity, bandwidth)`` per chip, numbers or per-row arrays)."""
        P, BW, L, LO = roofs
        f, m, up, off = self.traffic(phase, T, B, routing, domain, in_network)
        return step_times(f, m, up, 1.0, P, BW, L, overlap, off, LO, fast=fast)

    def fill(self, phase: str, T: float, roofs: tuple[Any, Any, Any, Any], overlap: bool, routing: str,
             domain: float, in_network: bool, fast: tuple[Any, Any] | None = None) -> tuple[np.ndarray, ...]:
        """The pipeline fill of every candidate: the four terms of one unit (decode: one sequence
        at context ``T``; prefill: one token) summed over its stages."""
        unit = self.stage_times(phase, T if phase == "decode" else 1.0, 1.0, roofs, overlap, routing, domain,
                                in_network, fast)
        return tuple(np.add.reduceat(np.broadcast_to(x, self.mult.shape) * self.mult, self.starts) for x in unit)

    def combine(self, rows: tuple[Any, ...], fill: tuple[np.ndarray, ...] | None) -> tuple[np.ndarray, ...]:
        """Per candidate, :func:`layout_times` with ``microbatch`` from its rows' terms: the
        slowest stage's four terms, or the fill's where a pipeline's fill is longer."""
        t = np.broadcast_to(rows[3], self.mult.shape)
        slow = np.maximum.reduceat(t, self.starts)
        at = np.arange(t.size)
        first = np.minimum.reduceat(np.where(t == slow[self.cand], at, t.size), self.starts)
        first = np.where(first < t.size, first, self.starts)  # NaN times: the first row (NaN too)
        out = tuple(np.broadcast_to(x, self.mult.shape)[first] for x in rows)
        if fill is None or not np.any(self.pp > 1):
            return out
        use = (self.pp <= 1) | (out[3] >= fill[3])
        return tuple(np.where(use, x, y) for x, y in zip(out, fill, strict=True))

    def times(self, phase: str, T: float, B: float, roofs: tuple[float, float, float, float], overlap: bool,
              routing: str, domain: float, in_network: bool, fast: tuple[float, float] | None = None) -> np.ndarray:
        """Step time of every candidate [s] (NaN where a tier's bandwidth is unknown):
        :func:`layout_times` with ``microbatch`` (and its ``fast`` tier)."""
        args = (roofs, overlap, routing, domain, in_network, fast)
        full = self.stage_times(phase, T, B, *args)
        slow = np.maximum.reduceat(np.broadcast_to(full[3], self.mult.shape), self.starts)
        if not np.any(self.pp > 1):
            return slow
        fill = self.fill(phase, T, *args)[3]
        return np.where(self.pp > 1, np.maximum(slow, fill), slow)


_TABLES: dict[tuple, tuple[Model, _LayoutTable]] = {}


def layout_table(model: Model, lays: Sequence[Parallelism], weight_dtype: Any, kw: dict[str, Any]) -> _LayoutTable:
    """The table of ``lays`` (every layout scored in one numpy pass, see :class:`_LayoutTable`)
    for ``model`` at the dtypes ``weight_dtype`` and ``kw`` (as :func:`layout_numbers`), cached
    per model object, layout list and dtypes."""
    lays = tuple(lays)
    key = (id(model), lays, dtype_key(weight_dtype), *sorted((k, dtype_key(v)) for k, v in kw.items()))
    hit = _TABLES.get(key)
    if hit is None or hit[0] is not model:
        if len(_TABLES) > 64:
            _TABLES.clear()
        hit = _TABLES[key] = (model, _LayoutTable(model, list(lays), weight_dtype, kw))
    return hit[1]


_BY_COUNT: dict[tuple, tuple[Model, _LayoutTable]] = {}


def search_table(model: Model, n: int, weight_dtype: Any, kw: dict[str, Any]) -> _LayoutTable:
    """:func:`layout_table` of every layout of ``n`` chips (each ``ep``), cached by the count."""
    from .memory import layouts

    key = (id(model), n, dtype_key(weight_dtype), *sorted((k, dtype_key(v)) for k, v in kw.items()))
    hit = _BY_COUNT.get(key)
    if hit is None or hit[0] is not model:
        if len(_BY_COUNT) > 64:
            _BY_COUNT.clear()
        hit = _BY_COUNT[key] = (model, layout_table(model, layouts(model, n, every_ep=True), weight_dtype, kw))
    return hit[1]


def _fastest_layout(phase: str, model: Model, chip: Chip, T: int, B: int, n: int, memory_lay: Parallelism,
                    weight_dtype: Any, kw: dict[str, Any], roofs: tuple[float, float, float, float], fab: Any,
                    overlap: bool, routing: str,
                    fast: tuple[float, float] | None = None) -> tuple[Parallelism, float, str]:
    """The layout of ``n`` chips with the least step time (nominal roofs) among those that fit in
    memory, its tie broken as the memory search breaks ties (times within a relative
    :data:`~accelspec.perf.kernels.LAYOUT_TIE` of the least are a tie); with the memory fit's
    own layout's time and a phrase for ``assumptions``.

    Candidates (:func:`~accelspec.perf.memory.layouts` with every ``ep``): tensor, pipeline
    (micro-batched), context and data parallel, each with expert parallel over every ``ep``
    that divides a stage's chips and the experts (attention DP x EP, mixed expert TP x EP);
    none with more context-parallel ranks than tokens or more replicas than sequences. Their
    times are scored in one vectorized pass (:class:`_LayoutTable`), their
    :func:`~accelspec.memory_footprint` totals (default reserve) in another (the memory
    search's table); the fastest whose total is within the high end of the chip's capacity
    range is the answer (a lower bound keeps every layout that may fit). When
    the capacity is unpublished, or no layout fits, the minimum is over every layout and the
    phrase says so. Layouts whose traffic needs an unpublished scale-out bandwidth are left
    out. The chosen layout's bound is then computed as for a given layout (the scalar kernels).

    ``fast`` (a chip with an on-chip tier read before its memory roof, the SN40L): each stage's
    bytes per chip are read from that tier first (:func:`~accelspec.perf.kernels.tier_time`),
    in the table as in :func:`layout_times`."""
    from .memory import capacity_bytes, footprint_table, memory_options

    tab = search_table(model, n, weight_dtype, kw)
    times = tab.times(phase, float(T), float(B), roofs, overlap, routing, float(fab.domain), bool(fab.in_network),
                      fast)
    ok = np.isfinite(times) & (tab.cp_c <= T) & ((tab.dp_c == 1) | (tab.dp_c <= B))
    if not ok.any():
        return memory_lay, math.nan, ""
    idx = np.flatnonzero(ok)
    mem_kw = {k: v for k, v in kw.items() if k in MEM_KW}
    o = memory_options(model, weight_dtype if weight_dtype != "native" else None, mem_kw.get("kv_dtype", "bf16"),
                 mem_kw.get("expert_dtype"), mem_kw.get("embedding_dtype"), mem_kw.get("state_dtype", "bf16"),
                 mem_kw.get("activation_dtype", "bf16"), 8192, None)
    try:
        cap_high = capacity_bytes(chip, None)[2]
    except NotPublishedError:
        cap_high = math.inf
    fp = footprint_table(model_profile(model), n, o, every_ep=True)  # the same layouts, in the same order
    fit = ok & (fp.totals(float(T), float(B), o) <= cap_high)
    how = f"fastest that fits in memory of {idx.size} layouts"
    if math.isinf(cap_high):
        how = f"fastest of {idx.size} layouts (capacity unpublished)"
    elif not fit.any():
        how = f"fastest of {idx.size} layouts (none fits in memory)"
    pool = fit if fit.any() else ok
    t_pool = np.where(pool, times, np.inf)
    tied = pool & (t_pool <= t_pool.min() * (1.0 + LAYOUT_TIE))  # equal up to rounding: a tie
    best = tab.cands[int(np.argmin(np.where(tied, fp.rank, np.inf)))]  # ties: the memory search's preference
    mem_t = float(times[tab.index[memory_lay]]) if memory_lay in tab.index else math.nan
    note = f"{how}: {layout_phrase(best)}"
    if best != memory_lay:
        note += (f"; the memory fit's layout {memory_lay} gives >= {mem_t * 1e3:.4g} ms"
                 if math.isfinite(mem_t) else f"; the memory fit's layout {memory_lay}")
    return best, mem_t, note


#: arguments of decode_bound and prefill_bound that a deployment leaves to the call
_RUN_ARGS = ("sparse", "overlap", "compute_efficiency", "bandwidth_efficiency", "link_efficiency", "routing",
             "collective")
#: their dtype arguments besides weight_dtype, as :func:`_bound` takes them
_DTYPE_ARGS = (*(k for k in MEM_KW if k != "weight_dtype"), "precision")


def _entry(phase: str, fn: Any, given: dict[str, Any]) -> Bound:
    """:func:`decode_bound` (``phase="decode"``) or :func:`prefill_bound` from their arguments
    ``given`` (``locals()``): with a :class:`~accelspec.Deployment` its chip, count, layout and
    dtypes (refusing any of those also given beside it), else :func:`_bound`."""
    chip = given["chip"]
    run = {k: given[k] for k in _RUN_ARGS}
    if is_deployment(chip):  # a Deployment: its chip, count, layout, dtypes
        refuse_fixed(fn, fn.__name__, given)
        if "accepted_tokens_per_step" in given:
            run["accepted_tokens_per_step"] = given["accepted_tokens_per_step"]
        return getattr(chip, fn.__name__)(given["model"], given["context_tokens"], given["batch"], **run)
    effs = (run.pop("compute_efficiency"), run.pop("bandwidth_efficiency"), run.pop("link_efficiency"))
    return _bound(phase, given["model"], chip, given["context_tokens"], given["batch"], given["n_chips"],
                  given["parallelism"], given["weight_dtype"], {k: given[k] for k in _DTYPE_ARGS}, effs=effs, **run)


def decode_bound(model: str | Model, chip: str | Chip | System | Deployment, context_tokens: int, batch: int = 1,
                 n_chips: int | None = None, *, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                 weight_dtype: str | DType | None = "native", kv_dtype: str | DType | None = "bf16",
                 activation_dtype: str | DType | None = "bf16", expert_dtype: str | DType | None = None,
                 embedding_dtype: str | DType | None = None, state_dtype: str | DType | None = "bf16",
                 precision: str | Precision | None = None, sparse: bool = False, overlap: bool = True,
                 compute_efficiency: float = 1.0, bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0,
                 accepted_tokens_per_step: float = 1.0, routing: str = "balanced", collective: str = "auto") -> Bound:
    """Lower bound on the time of one decode step: ``batch`` sequences each add one token at
    a context of ``context_tokens`` (including the new token), on ``n_chips`` chips.
    Formulas: :mod:`accelspec.perf.bounds` and :mod:`accelspec.perf.opcost`.

    Layout: ``parallelism`` as in :func:`accelspec.fits` (a :class:`~accelspec.perf.memory.Parallelism`,
    a mapping, ``"tp=4,pp=2"`` or a strategy name such as ``"tp"``) gives that layout's bound.
    Without it, ``n_chips > 1`` gives the bound for "this model on these chips": the minimum
    over every layout a real engine may use that fits in memory (tensor, micro-batched
    pipeline, context and data parallel, expert parallel over every degree: attention DP x EP,
    mixed expert TP x EP), all scored in one vectorized pass. The result's ``layout`` names
    the layout that attains it, ``memory_layout`` / ``memory_layout_time`` the layout
    :func:`accelspec.fits` prefers (least memory per chip) and its own bound, and
    ``assumptions`` says both. ``n_chips`` defaults to the layout's chip count (1 without a
    layout).

    Dtypes (defaults in :func:`accelspec.perf.opcost.resolve_dtypes`, the same as
    :func:`accelspec.fits`): the weights in the checkpoint's own formats
    (``weight_dtype="native"``, read from ``quantization_config``: gpt-oss-120b's experts
    mxfp4, DeepSeek-V3 fp8; any dtype name overrides), KV cache, activations and
    linear-attention state bf16. ``precision`` (the compute format) defaults to the weight
    format, or bf16 below 8-bit weights; when the chip has no peak for it (fp8 weights on a
    chip without fp8, mxfp4 where no fp4 peak is published) the bound computes in bf16 with
    the weights upcast and ``assumptions`` says so. An explicit ``weight_dtype`` (W8A8 with
    ``"fp8"``) or ``precision`` must be published by the chip, or
    :class:`~accelspec.hardware.chip.UnsupportedPrecisionError` lists those it has.

    Speculative decoding and multi-token prediction: ``accepted_tokens_per_step`` (``a``, at
    least 1 and at most the draft length + 1) is the mean number of tokens each sequence keeps
    per verification step. The step time stays the bound for one token per sequence (verifying
    ``k`` drafted tokens costs at least that), so the token rates are multiplied by ``a``:
    per user ``<= a / t``, per chip ``<= a batch / (n t)``. The default 1.0 is plain decoding,
    and ``explain()`` says so.

    Hardware: ``chip`` is a chip or a system (``"gb200-nvl72"``, a :class:`~accelspec.System`):
    a system gives its chip, ``n_chips`` defaulting to its chip count, and its two-tier fabric
    (scale-up domain size and bandwidth, scale-out bandwidth, in-network reduction); see
    :mod:`accelspec.perf.comm`. ``collective``: ``"auto"`` (the least traffic the fabric
    achieves: in-network all-reduce where the switch record says so), ``"ring"`` or
    ``"in-network"``. ``routing``: ``"balanced"`` (default; expected distinct experts under
    uniform routing, so a bound under balanced routing) or ``"best-case"`` (fewest distinct
    experts and least expert-parallel traffic: a bound under any routing). ``assumptions``
    names both.

    Memory tiers: ``t_memory = M / (n B)`` with ``B`` the chip's ``memory.bandwidth``. A chip
    with an on-chip SRAM beside its device memory (the SambaNova SN40L: 520 MB per socket
    beside 64 GB of HBM) reads the first ``memory.on_chip_sram`` bytes per chip and step from
    the SRAM, at ``memory.on_chip_bandwidth`` or in no time where that is unpublished (the
    SN40L's), and the rest at ``B`` (:func:`~accelspec.perf.kernels.tier_time`, per chip of
    every pipeline stage): weights or KV cache that fit there can stay resident, so charging
    HBM time for them would not be a lower bound. Bytes beyond the HBM (the SN40L's DDR tier,
    whose bandwidth is unpublished) are charged at ``B``: a lower time, still a bound.
    ``assumptions`` names the tier and bandwidth used whenever the memory roof is not simply
    ``memory.bandwidth`` (an SRAM-only chip such as Groq's or Cerebras's says so too).

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        A chip or a system (name or record), or a :class:`~accelspec.Deployment` (its chip,
        chip count, layout and dtypes; arguments it fixes may not be given beside it).
    context_tokens : int
        Context of each sequence, the new token included [token].
    batch : int, optional
        Sequences processed together (default 1).
    n_chips : int, optional
        Chips (default: the layout's chip count, a system's chip count, else 1).
    parallelism : str, Parallelism or mapping, optional
        The layout, as in :func:`accelspec.fits` (default: the fastest that fits in memory).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    kv_dtype, activation_dtype, state_dtype : str or DType, optional
        Formats of the KV cache, the activations and the linear-attention state (default
        ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as the weights).
    precision : str or Precision, optional
        Format the matmuls run in (default: from the weight format, see above).
    sparse : bool, optional
        Use the chip's sparse (2:4) peak instead of the dense one (default False).
    overlap : bool, optional
        Compute, memory and communication overlap (``t = max``, default) or not (``t = sum``).
    compute_efficiency, bandwidth_efficiency, link_efficiency : float, optional
        Achieved fractions of peak compute, memory bandwidth and link bandwidth, in [1e-6, 1]
        (default 1.0: the bound).
    accepted_tokens_per_step : float, optional
        Mean tokens each sequence keeps per verification step under speculative decoding or
        multi-token prediction [token] (default 1.0: plain decoding).
    routing : {"balanced", "best-case"}, optional
        Expert routing model (default ``"balanced"``).
    collective : {"auto", "ring", "in-network"}, optional
        All-reduce algorithm (default ``"auto"``).

    Returns
    -------
    Bound
        Step time [ms] with its range and limiter, FLOPs, bytes, link bytes, and the token
        rates it implies [token/s]; ``assumptions`` says what was used.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnsupportedPrecisionError, PeakNotPublishedError
        The chip has no (published) peak for an explicit ``weight_dtype`` or ``precision``.
    NotPublishedError
        The chip publishes no memory bandwidth.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, efficiency or option is out of range or of the wrong type.
    DeploymentError
        An argument the deployment fixes is given beside it.

    Examples
    --------
    >>> b = decode_bound("llama-3.1-8b", "h200-sxm", context_tokens=4096)
    >>> b.limiter, round(b.time.m, 3)            # (weights read + KV read) / 4.8 TB/s
    ('memory', 3.239)
    """
    a = check_accepted(accepted_tokens_per_step)
    b = _entry("decode", decode_bound, locals())
    return b if a == 1.0 else dataclasses.replace(b, accepted_tokens_per_step=a)


def prefill_bound(model: str | Model, chip: str | Chip | System | Deployment, context_tokens: int, batch: int = 1,
                  n_chips: int | None = None, *, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                  weight_dtype: str | DType | None = "native", kv_dtype: str | DType | None = "bf16",
                  activation_dtype: str | DType | None = "bf16", expert_dtype: str | DType | None = None,
                  embedding_dtype: str | DType | None = None, state_dtype: str | DType | None = "bf16",
                  precision: str | Precision | None = None, sparse: bool = False, overlap: bool = True,
                  compute_efficiency: float = 1.0, bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0,
                  routing: str = "balanced", collective: str = "auto") -> Bound:
    """Lower bound on the time to first token: ``batch`` prompts of ``context_tokens`` tokens
    each, processed together on ``n_chips`` chips (arguments and layout as
    :func:`decode_bound`). Causal attention FLOPs grow as ``S(S+1)/2`` per sequence and layer;
    the memory term is the weights (every expert some token is routed to) plus the KV cache
    written; the output head runs for the last token of each prompt only.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip, System or Deployment
        A chip or a system (name or record), or a :class:`~accelspec.Deployment` (its chip,
        chip count, layout and dtypes; arguments it fixes may not be given beside it).
    context_tokens : int
        Prompt length of each sequence [token].
    batch : int, optional
        Prompts processed together (default 1).
    n_chips : int, optional
        Chips (default: the layout's chip count, a system's chip count, else 1).
    parallelism : str, Parallelism or mapping, optional
        The layout, as in :func:`accelspec.fits` (default: the fastest that fits in memory).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    kv_dtype, activation_dtype, state_dtype : str or DType, optional
        Formats of the KV cache, the activations and the linear-attention state (default
        ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as the weights).
    precision : str or Precision, optional
        Format the matmuls run in (default: from the weight format, see above).
    sparse : bool, optional
        Use the chip's sparse (2:4) peak instead of the dense one (default False).
    overlap : bool, optional
        Compute, memory and communication overlap (``t = max``, default) or not (``t = sum``).
    compute_efficiency, bandwidth_efficiency, link_efficiency : float, optional
        Achieved fractions of peak compute, memory bandwidth and link bandwidth, in [1e-6, 1]
        (default 1.0: the bound).
    routing : {"balanced", "best-case"}, optional
        Expert routing model (default ``"balanced"``).
    collective : {"auto", "ring", "in-network"}, optional
        All-reduce algorithm (default ``"auto"``).

    Returns
    -------
    Bound
        Step time [ms] with its range and limiter, FLOPs, bytes, link bytes, and the prompt
        token rates it implies [token/s]; ``assumptions`` says what was used.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnsupportedPrecisionError, PeakNotPublishedError
        The chip has no (published) peak for an explicit ``weight_dtype`` or ``precision``.
    NotPublishedError
        The chip publishes no memory bandwidth.
    InvalidArgumentError, CountTypeError
        A count, layout, dtype, efficiency or option is out of range or of the wrong type.
    DeploymentError
        An argument the deployment fixes is given beside it.
    """
    return _entry("prefill", prefill_bound, locals())
