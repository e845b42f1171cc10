"""Request-level bounds: time to first token, time per output token, end-to-end latency and
output throughput of whole requests (``input_tokens`` in, ``output_tokens`` out).

Built from the per-step kernels of :mod:`accelspec.perf.bounds` (:func:`~accelspec.perf.bounds.layout_times`,
evaluated with numpy over every decode step at once), on ``n`` chips with peak compute ``P``,
memory bandwidth ``B`` and link bandwidth per direction ``L`` (each times its efficiency).
Notation: ``S`` input tokens, ``O`` output tokens, ``a`` accepted tokens per step
(speculative decoding / MTP; 1 = plain decoding), ``t(c, b)`` the decode step bound at
context ``c`` (including the new token) and batch ``b``.

**Static batch** (``mode="static"``: ``batch`` requests start together and run to the end):

* ``TTFT >= t_prefill(S, batch)``, exactly :func:`~accelspec.perf.bounds.prefill_bound`;
* decode: the first output token comes from the prefill, the other ``O - 1`` from
  ``N = (O - 1) / a`` decode steps. Each step adds at least one token to every sequence, so
  step ``i`` (from 0) runs at a context of at least ``S + 1 + i``, and
  ``T_decode >= sum_{i < floor(N)} t(S + 1 + i, batch) + frac(N) t(S + 1 + floor(N), batch)``
  (with ``a = 1`` this is exactly the sum of the per-step bounds; the fractional step is the
  convex interpolation, so it stays a bound for a random number of steps with mean ``N``).
  Beyond 2**18 steps the sum runs over 16,384 blocks of consecutive steps, each block's steps
  at its first context: ``t`` never falls as the context grows, so this is still a lower bound
  (within 0.01 % at 10**8 output tokens), and a call's time and memory stay bounded whatever
  ``O`` is (the notes say so);
* ``TPOT >= T_decode / (O - 1)`` (the mean over the output), ``E2E >= TTFT + T_decode``;
* output tokens/s per user ``<= O / E2E``; per chip ``<= batch O / (n E2E)``; the decode phase
  alone ``<= batch (O - 1) / (n T_decode)`` per chip, never above
  :func:`~accelspec.perf.bounds.decode_bound`'s at the first decode context.

**Steady state** (``mode="steady"``: ``concurrency`` = ``C`` requests always in flight, a new
one admitted as one finishes, prefill interleaved on the same chips, e.g. chunked prefill).
Model: every round serves all ``C`` users, whose contexts are spread evenly over
``S + 1 .. S + O - 1``; ``r = C a / (O - 1)`` requests finish per round, so ``r`` prompts are
prefilled per round. A round needs the decode work of ``C`` users (each term averaged over
the spread of contexts, which is exact for the KV and attention terms: they are sums over
users) plus the FLOPs and link bytes of ``r`` prefills (their weight reads are shared with
the decode step, their KV writes left out: both only lower the bound); all spread over the
``n`` chips (pipeline stages work in parallel on micro-batches):

* ``t_round >= max(F_round / (n P), M_round / (n B), C_round / L)`` (summed without overlap);
* output tokens/s per chip ``<= C a O / ((O - 1) n t_round)`` (``O/(O-1)``: the first token
  of each request comes from its prefill), per user ``<= a / t_round``, ``TPOT >= t_round / a``;
* ``TTFT >=`` the prompt alone on the chips (batch 1): holds for any schedule;
* ``E2E >= TTFT + (O - 1) TPOT``.

Every figure is a bound that holds for any schedule within its mode; the assumptions
(layout, dtypes, accepted tokens, mode) are in :attr:`RequestBound.assumptions`. Fixed
latencies (kernel launch, scheduling, network) are left out; they only add time.

Every step is :func:`~accelspec.perf.bounds.layout_times` as in
:func:`~accelspec.perf.bounds.decode_bound`: pipelines micro-batched (the slowest stage on the
whole batch, or one sequence, in prefill one token, through every stage), the same fabric (a
system's scale-up and scale-out tiers, domain and in-network reduction), so a static request
of one output token after the prompt decodes in exactly ``decode_bound``'s step.

Inherited from the step kernels, and named here so that "bound" is not over-claimed: MoE
expert reads are the kernel's balanced-routing expectation of
distinct experts; with fewer sequences than data-parallel replicas the expert reads count one
sequence per replica (:func:`accelspec.validate` lowers ``dp`` to the batch for such rows).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ..hardware.chip import NotPublishedError
from ..units import Q_, ureg
from .bounds import MEM_KW, check_accepted, layout_numbers, layout_times, positive_count, resolve_layout
from .kernels import memory_time
from .memory import InvalidArgumentError, Parallelism
from .opcost import DTypes, resolve_model
from .roofline import ChipNumbers, check_efficiency, compute_numbers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hardware.chip import Chip, Precision
    from ..hardware.system import System
    from ..model.architecture import Model
    from ..model.datatypes import DType
    from .bounds import LayoutNumbers
    from .comm import Fabric

__all__ = ["MODES", "RequestBound", "request_bound"]

#: request-bound modes
MODES = ("static", "steady")

_MS = ureg.Unit("ms")
_S = ureg.Unit("s")
_TPS = ureg.Unit("token/s")


@dataclass(frozen=True)
class RequestBound:
    """Bounds on one request shape (times in seconds inside, Quantities on the properties).

    ``*_low`` / ``*_high``: the same figure over the input ranges (high chip numbers give the
    low time). Rates are upper bounds, times lower bounds.
    """

    mode: str
    model: str
    model_name: str
    chip: str
    chip_name: str
    dtypes: DTypes
    input_tokens: int
    output_tokens: int
    batch: int  #: static: requests started together; steady: the concurrency
    n_chips: int
    overlap: bool
    efficiencies: tuple[float, float, float]
    accepted_tokens_per_step: float
    parallelism: Parallelism
    ttft_s: tuple[float, float, float]  #: (nominal, low, high)
    decode_s: tuple[float, float, float]  #: time of the O - 1 decoded tokens (static) / (O-1) TPOT (steady)
    decode_steps: float  #: (O - 1) / a
    limiter: str  #: what limits the decode phase (largest summed term)
    prefill_limiter: str
    terms_s: tuple[float, float, float] = (0.0, 0.0, 0.0)  #: decode compute, memory, link time (nominal)
    layout_note: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    # --- seconds -----------------------------------------------------------------------------
    def _e2e(self, j: int) -> float:
        return self.ttft_s[j] + self.decode_s[j]

    def _tpot(self, j: int) -> float:
        return self.decode_s[j] / (self.output_tokens - 1) if self.output_tokens > 1 else math.nan

    # --- quantities --------------------------------------------------------------------------
    @property
    def layout(self) -> str:
        return str(self.parallelism)

    @property
    def time_to_first_token(self) -> pint.Quantity:
        """Lower bound on the time to first token, ms."""
        return Q_(self.ttft_s[0] * 1e3, _MS)

    ttft = time_to_first_token

    @property
    def time_to_first_token_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return Q_(self.ttft_s[1] * 1e3, _MS), Q_(self.ttft_s[2] * 1e3, _MS)

    @property
    def time_per_output_token(self) -> pint.Quantity | None:
        """Lower bound on the mean time per output token after the first, ms (``None`` for
        one output token)."""
        return None if self.output_tokens < 2 else Q_(self._tpot(0) * 1e3, _MS)

    tpot = time_per_output_token

    @property
    def time_per_output_token_range(self) -> tuple[pint.Quantity, pint.Quantity] | None:
        if self.output_tokens < 2:
            return None
        return Q_(self._tpot(1) * 1e3, _MS), Q_(self._tpot(2) * 1e3, _MS)

    @property
    def decode_time(self) -> pint.Quantity:
        """Lower bound on the time of the ``O - 1`` decoded tokens, s."""
        return Q_(self.decode_s[0], _S)

    @property
    def end_to_end_latency(self) -> pint.Quantity:
        """Lower bound on the request latency, TTFT + decode time, s."""
        return Q_(self._e2e(0), _S)

    e2e = end_to_end_latency

    @property
    def end_to_end_latency_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return Q_(self._e2e(1), _S), Q_(self._e2e(2), _S)

    def _per_user(self, j: int) -> float:
        return self.output_tokens / self._e2e(j)

    def _per_chip(self, j: int) -> float:
        if self.mode == "steady":
            if self.output_tokens < 2:
                return self.batch / (self.n_chips * self.ttft_s[j])
            return self.batch * self.output_tokens / ((self.output_tokens - 1) * self.n_chips * self._tpot(j))
        return self.batch * self.output_tokens / (self.n_chips * self._e2e(j))

    @property
    def output_tokens_per_s_per_user(self) -> pint.Quantity:
        """Upper bound on one request's output tokens over its latency, ``O / E2E`` (token/s)."""
        return Q_(self._per_user(0), _TPS)

    @property
    def decode_tokens_per_s_per_user(self) -> pint.Quantity | None:
        """Upper bound on the decode speed one user sees, ``1 / TPOT`` (token/s)."""
        return None if self.output_tokens < 2 else Q_(1.0 / self._tpot(0), _TPS)

    @property
    def output_tokens_per_s_per_chip(self) -> pint.Quantity:
        """Upper bound on output tokens/s per chip: static ``batch O / (n E2E)``; steady
        ``C a O / ((O - 1) n t_round)`` (token/s)."""
        return Q_(self._per_chip(0), _TPS)

    @property
    def output_tokens_per_s_per_chip_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return Q_(self._per_chip(2), _TPS), Q_(self._per_chip(1), _TPS)

    @property
    def output_tokens_per_s_total(self) -> pint.Quantity:
        """Upper bound on output tokens/s of the ``n`` chips."""
        return Q_(self._per_chip(0) * self.n_chips, _TPS)

    @property
    def decode_tokens_per_s_per_chip(self) -> pint.Quantity | None:
        """Upper bound on the decode phase alone: ``batch (O - 1) / (n T_decode)`` (token/s)."""
        if self.output_tokens < 2:
            return None
        return Q_(self.batch * (self.output_tokens - 1) / (self.n_chips * self.decode_s[0]), _TPS)

    @property
    def assumptions(self) -> str:
        """One line: mode, layout, dtypes, accepted tokens per step."""
        d = self.dtypes
        w = d.weights_text()
        a = self.accepted_tokens_per_step
        spec = (f"{a:.4g} accepted tokens per step (speculative decoding / MTP)" if a != 1.0 else
                "1 token per step (no speculative decoding / MTP assumed)")
        if self.mode == "static":
            mode = f"static batch of {self.batch} (all start together; pipeline stages micro-batched)"
        else:
            where = ("prefill on other chips" if any("disaggregated" in x for x in self.notes) else
                     "prefill interleaved on the same chips")
            mode = f"steady state at concurrency {self.batch} (contexts spread evenly, {where})"
        lay = f"; {self.layout_note}" if self.layout_note else ""
        note = f" ({d.compute_note})" if d.compute_note else ""
        return (f"{mode}; {self.n_chips} x {self.chip_name} ({self.layout}{lay}); weights {w}, KV {d.kv.name}, "
                f"activations {d.activation.name}, compute {d.precision}{note}; {spec}"
                + ("" if self.overlap else "; terms summed (no overlap)"))

    def explain(self) -> str:
        """Lines: TTFT, TPOT, E2E, throughput, limiters and the assumptions."""
        o = self.output_tokens
        lines = [f"{self.model_name}: {self.input_tokens:,} in, {o:,} out on {self.n_chips} x {self.chip_name} "
                 f"({self.mode})",
                 f"  time to first token >= {self.ttft_s[0] * 1e3:.4g} ms ({self.prefill_limiter}-bound prefill)"]
        if o > 1:
            steps = f"{self.decode_steps:.4g} steps" if self.accepted_tokens_per_step != 1.0 else f"{o - 1:,} steps"
            lines.append(f"  time per output token >= {self._tpot(0) * 1e3:.4g} ms (mean over {steps}; "
                         f"{self.limiter}-bound; <= {1 / self._tpot(0):.4g} token/s per user while decoding)")
        lines.append(f"  end-to-end latency >= {self._e2e(0):.4g} s")
        lines.append(f"  output throughput <= {self._per_user(0):.4g} token/s per user (O / E2E), "
                     f"<= {self._per_chip(0):.4g} token/s per chip, <= {self._per_chip(0) * self.n_chips:.4g} "
                     f"token/s in all")
        lines.append(f"  Assumed: {self.assumptions}")
        lines += [f"  Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def to_dict(self) -> dict[str, Any]:
        """Plain floats (ms, s, token/s) for JSON."""
        tp = self.time_per_output_token
        return {
            "mode": self.mode, "model": self.model, "chip": self.chip, "n_chips": self.n_chips,
            "layout": self.layout, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
            "batch": self.batch, "accepted_tokens_per_step": self.accepted_tokens_per_step,
            "ttft_ms": self.ttft_s[0] * 1e3, "tpot_ms": None if tp is None else float(tp.m),
            "e2e_s": self._e2e(0), "output_tokens_per_s_per_user": self._per_user(0),
            "output_tokens_per_s_per_chip": self._per_chip(0), "limiter": self.limiter,
            "assumptions": self.assumptions, "notes": list(self.notes),
        }


_LIMITERS = ("compute", "memory", "interconnect")


def _limiter(tc: float, tm: float, tl: float) -> str:
    return _LIMITERS[int(np.argmax([tc, tm, tl]))]


#: decode steps summed one by one (each an array element); longer decodes are summed in
#: :data:`_BLOCKS` blocks of consecutive steps, each at its first (smallest) context: the step
#: bound never falls as the context grows, so the block sum stays a lower bound, and the time
#: and memory of a call stay bounded whatever ``output_tokens`` is (10**8 took 45 s and 11.8 GB)
_EXACT_STEPS = 1 << 18
_BLOCKS = 1 << 14


def _step_weights(n_out: int, a: float) -> tuple[np.ndarray, np.ndarray, float]:
    """``(offsets, weights, N)``: the decode steps at contexts ``S + 1 + offset``, 1 for each of
    the ``floor(N)`` whole steps and ``frac(N)`` for the last, ``N = (O - 1) / a``. Beyond
    :data:`_EXACT_STEPS` whole steps, :data:`_BLOCKS` blocks of consecutive steps, each weighted
    by its step count at its first context (a lower bound: the step time grows with the context)."""
    n = (n_out - 1) / a
    whole = math.floor(n + 1e-12)
    frac = n - whole
    if frac < 1e-12:
        frac = 0.0
    if whole <= _EXACT_STEPS:
        off = np.arange(whole + (1 if frac else 0), dtype=float)
        w = np.ones(off.size)
    else:
        edges = np.unique(np.linspace(0, whole, _BLOCKS + 1).round().astype(np.int64))
        off = edges[:-1].astype(float)
        w = np.diff(edges).astype(float)
        if frac:
            off, w = np.append(off, float(whole)), np.append(w, 0.0)
    if frac:
        w[-1] = frac
    return off, w, n


def _blocked_note(n_out: int, a: float) -> str:
    """The note of a decode summed in blocks (empty when summed step by step)."""
    whole = math.floor((n_out - 1) / a + 1e-12)
    if whole <= _EXACT_STEPS:
        return ""
    return (f"the {whole:,} decode steps are summed in {_BLOCKS:,} blocks of ~{whole / _BLOCKS:,.0f} steps, each "
            "at its first context (a lower bound: the step time grows with the context)")


def request_times(ln: LayoutNumbers, cn: ChipNumbers, S: int, n_out: int, B: int, mode: str, a: float,
             overlap: bool, effs: tuple[float, float, float], layout_note: str = "",
             notes: tuple[str, ...] = (), colocated_prefill: bool = True, fabric: Fabric | None = None,
             routing: str = "balanced") -> RequestBound:
    """The request bound from reduced numbers (no layout check: the caller vouches for it).
    ``colocated_prefill=False`` (steady state, prefill disaggregated onto other chips) drops the
    prefill share from the decode round. ``fabric`` (:func:`~accelspec.perf.comm.fabric_numbers`,
    as :func:`~accelspec.perf.bounds.decode_bound` uses it): scale-up and scale-out roofs, domain
    and in-network reduction; default the chip's scale-up link alone, every group in one domain,
    ring all-reduce. Every step is :func:`~accelspec.perf.bounds.layout_times` with micro-batched
    pipelines, as the bounds'."""
    lay = ln.parallelism
    n = lay.n_chips
    if mode == "steady" and not colocated_prefill:
        notes = (*notes, "prefill runs on other chips (disaggregated): the decode round carries no prefill share")
    up = cn.link if fabric is None else fabric.up
    out = (math.nan,) * 3 if fabric is None else fabric.out
    fab_kw: dict[str, Any] = {"domain": math.inf if fabric is None else fabric.domain,
                              "in_network": False if fabric is None else fabric.in_network,
                              "routing": routing, "microbatch": True}
    if n > 1 and math.isnan(up[1]):
        raise NotPublishedError(f"{cn.chip_name}: no scale-up interconnect bandwidth published; "
                                f"{lay} over {n} chips needs it")
    ec, eb, el = effs
    off, w, n_steps = _step_weights(n_out, a)
    ctx = S + 1.0 + off
    blocked = _blocked_note(n_out, a if mode == "static" else 1.0)
    if blocked:
        notes = (*notes, blocked)
    ttft: list[float] = []
    dec: list[float] = []
    terms = (0.0, 0.0, 0.0)
    lim = plim = "memory"
    for j in (1, 2, 0):  # nominal, high roofs (low time), low roofs (high time)
        peak, bw, link = cn.peak[j] * ec, cn.bandwidth[j] * eb, up[j] * el
        # an on-chip tier read before the memory roof (the SN40L's SRAM), as decode_bound
        kw = {"link_out": out[j] * el, "fast": cn.fast_tier(j, eb), **fab_kw}
        if mode == "static":
            p = layout_times(ln, "prefill", float(S), float(B), peak, bw, link, overlap, **kw)
            ttft.append(float(p[3]))
            if len(w):
                tc, tm, tl, t = (np.broadcast_to(np.asarray(x, dtype=float), ctx.shape)
                                 for x in layout_times(ln, "decode", ctx, float(B), peak, bw, link, overlap, **kw)[:4])
                dec.append(float(w @ t))
                tsum = (float(w @ tc), float(w @ tm), float(w @ tl))
            else:
                dec.append(0.0)
                tsum = (0.0, 0.0, 0.0)
        else:
            # the prompt alone: one replica busy (dp does not enter the per-stage numbers, so the
            # layout with dp=1 is the same numbers; with dp > 1 the kernel would count a prompt per replica)
            alone = ln if lay.dp == 1 else dataclasses.replace(ln, parallelism=dataclasses.replace(lay, dp=1))
            p = layout_times(alone, "prefill", float(S), 1.0, peak, bw, link, overlap, **kw)
            ttft.append(float(p[3]))
            if n_out < 2:
                dec.append(0.0)
                tsum = (0.0, 0.0, 0.0)
            else:
                t_round, tsum = _steady_round(ln, S, n_out, B, a, peak, bw, link, overlap, colocated_prefill,
                                              kw)
                dec.append(t_round / a * (n_out - 1))
        if j == 1:
            terms = tsum
            lim = _limiter(*tsum)
            plim = _limiter(float(p[0]), float(p[1]), float(p[2]))
    return RequestBound(
        mode=mode, model=ln.id, model_name=ln.name, chip=cn.chip_id, chip_name=cn.chip_name, dtypes=ln.dtypes,
        input_tokens=S, output_tokens=n_out, batch=B, n_chips=n, overlap=overlap, efficiencies=(ec, eb, el),
        accepted_tokens_per_step=a, parallelism=lay, ttft_s=(ttft[0], ttft[1], ttft[2]),
        decode_s=(dec[0], dec[1], dec[2]), decode_steps=n_steps, limiter=lim, prefill_limiter=plim,
        terms_s=terms, layout_note=layout_note, notes=notes)


def _steady_round(ln: LayoutNumbers, S: int, n_out: int, C: int, a: float, peak: float, bw: float, link: float,
                  overlap: bool, colocated_prefill: bool = True,
                  fab_kw: dict[str, Any] | None = None) -> tuple[float, tuple[float, float, float]]:
    """``(t_round, (t_compute, t_memory, t_link))`` of one steady-state round (module docstring):
    totals over the chips, the link bytes (both tiers, ``fab_kw``'s domain and in-network
    reduction) at the scale-up bandwidth; ``fab_kw["fast"]``: an on-chip tier per chip read
    before ``bw`` (:func:`~accelspec.perf.kernels.tier_time`)."""
    fab_kw = fab_kw or {}
    lay = ln.parallelism
    n, pp, dp = float(lay.n_chips), float(lay.pp), float(lay.dp)
    off, w, _ = _step_weights(n_out, 1.0)  # the users' contexts, spread evenly (in blocks when many)
    ctx = S + 1.0 + off
    _, _, _, _, fl, mb, cb = (np.broadcast_to(np.asarray(x, dtype=float), ctx.shape)
                              for x in layout_times(ln, "decode", ctx, float(C), peak, bw, link, overlap, **fab_kw))
    if w.size == n_out - 1:  # step by step: the plain mean
        f_dec, m_dec, c_dec = float(fl.mean()), float(mb.mean()), float(cb.mean())
    else:  # blocks, each at its first context: a lower bound on the mean
        f_dec, m_dec, c_dec = (float(w @ fl) / (n_out - 1), float(w @ mb) / (n_out - 1), float(w @ cb) / (n_out - 1))
    # one prompt on each data-parallel replica, then per prompt
    p = layout_times(ln, "prefill", float(S), dp, peak, bw, link, overlap, **fab_kw)
    f_pre, c_pre = float(p[4]) / dp, float(p[6]) / dp
    r = C * a / (n_out - 1) if colocated_prefill else 0.0  # prompts prefilled per round
    tc = (f_dec + r * f_pre) / (n * peak)
    fast = fab_kw.get("fast")
    tm = float(memory_time(m_dec, n, bw, fast))
    c = (c_dec + r * c_pre) / pp  # link bytes per chip (summed over stages, averaged over them)
    tl = c / link if c > 0 else 0.0
    t = max(tc, tm, tl) if overlap else tc + tm + tl
    return t, (tc, tm, tl)


def request_bound(model: str | Model, chip: str | Chip | System, input_tokens: int, output_tokens: int, batch: int = 1,
                  n_chips: int | None = None, *, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                  weight_dtype: str | DType | None = "native", kv_dtype: str | DType | None = "bf16",
                  activation_dtype: str | DType | None = "bf16", expert_dtype: str | DType | None = None,
                  embedding_dtype: str | DType | None = None, state_dtype: str | DType | None = "bf16",
                  precision: str | Precision | None = None, sparse: bool = False, overlap: bool = True,
                  compute_efficiency: float = 1.0, bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0,
                  mode: str = "static", concurrency: int | None = None,
                  accepted_tokens_per_step: float = 1.0) -> RequestBound:
    """Bounds on whole requests of ``input_tokens`` in and ``output_tokens`` out: time to first
    token, time per output token, end-to-end latency and output throughput (formulas in
    :mod:`accelspec.perf.request`).

    ``mode="static"``: ``batch`` requests start together. ``mode="steady"``: ``concurrency``
    requests always in flight (default ``batch``), prefill interleaved on the same chips.
    Layout, dtypes, efficiencies and ``accepted_tokens_per_step`` as
    :func:`~accelspec.perf.bounds.decode_bound` (the same step kernels: micro-batched
    pipelines, a system's two-tier fabric); without ``parallelism`` on several chips the bound
    is the minimum over layouts, as ``decode_bound``'s: the decode at the layout with the least
    decode time over the request's steps among those that fit at the last context, the TTFT at
    the one ``prefill_bound`` finds fastest (each the least over every layout, so the pair is
    below every single layout's request), beside the layout :func:`accelspec.fits` chooses; the
    notes name them.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip or System
        A chip or a system, by name or record, as :func:`~accelspec.decode_bound` takes it (a
        system: its chip, by default all its chips, and its fabric, as decode_bound). A
        chip without a peak for the checkpoint's format computes in bf16, said in the
        assumptions; a chip made by :func:`~accelspec.perf.roofline.with_roofs` without any
        peak gives the memory-only bound, said in the notes.
    input_tokens : int
        Prompt length ``S_in`` of each request [token].
    output_tokens : int
        Tokens generated per request ``S_out`` [token]. Very long decodes (more than 2**18
        steps) are summed in blocks, each at its first context: still a lower bound, said in
        the notes; the call's time and memory do not grow with ``output_tokens``.
    batch : int, optional
        Requests served together (``mode="static"``; default 1).
    n_chips : int, optional
        Chips (default: the layout's chip count, else 1).
    parallelism : str, Parallelism or mapping, optional
        The layout, as in :func:`accelspec.fits` (default: the fastest, decode and prefill each,
        see above).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    kv_dtype, activation_dtype, state_dtype : str or DType, optional
        Formats of the KV cache, the activations and the linear-attention state (default
        ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as the weights).
    precision : str or Precision, optional
        Format the matmuls run in (default: from the weight format).
    sparse : bool, optional
        Use the chip's sparse (2:4) peak (default False).
    overlap : bool, optional
        Compute, memory and communication overlap (default True).
    compute_efficiency, bandwidth_efficiency, link_efficiency : float, optional
        Achieved fractions of peak, in [1e-6, 1] (default 1.0: the bound).
    mode : {"static", "steady"}, optional
        A batch that starts together (default), or ``concurrency`` requests always in flight.
    concurrency : int, optional
        Requests in flight with ``mode="steady"`` (default ``batch``).
    accepted_tokens_per_step : float, optional
        Mean tokens kept per verification step under speculative decoding [token] (default 1.0).

    Returns
    -------
    RequestBound
        Time to first token and time per output token [ms], end-to-end latency [s], output
        throughput per user and per chip [token/s], the limiter and the assumptions.

    Raises
    ------
    UnknownModelError, UnknownChipError
        ``model`` or ``chip`` names nothing in the catalogs.
    UnsupportedPrecisionError, NotPublishedError
        The chip lacks the compute format, or publishes no peak or memory bandwidth.
    InvalidArgumentError, CountTypeError
        A count, layout, mode, efficiency or option is out of range or of the wrong type.

    Examples
    --------
    >>> r = request_bound("llama-3.1-8b", "h200-sxm", 1024, 128)
    >>> r.limiter, round(r.time_per_output_token.m, 2)   # (16.06 GB weights + KV) / 4.8 TB/s
    ('memory', 3.16)
    """
    if mode not in MODES:
        raise InvalidArgumentError("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    S = positive_count(input_tokens, "input_tokens")
    n_out = positive_count(output_tokens, "output_tokens")
    B = positive_count(batch, "batch")
    if concurrency is not None:
        if mode != "steady":
            raise InvalidArgumentError("concurrency", "only with mode='steady' (a static batch is 'batch')")
        B = positive_count(concurrency, "concurrency")
    a = check_accepted(accepted_tokens_per_step)
    n = None if n_chips is None else positive_count(n_chips, "n_chips")
    from ..hardware.system import resolve_hardware

    chip_rec, system = resolve_hardware(chip)
    if system is not None:
        if n is None and parallelism is None:
            n = system.n_chips  # a system: all its chips unless told otherwise, as decode_bound
        if n is not None and n > system.n_chips:
            raise InvalidArgumentError("n_chips", f"{n} exceeds the {system.n_chips} chips of {system.id}")
    kw = {k: v for k, v in {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype,
                            "expert_dtype": expert_dtype, "embedding_dtype": embedding_dtype,
                            "state_dtype": state_dtype, "precision": precision}.items() if v is not None}
    mem_kw = {k: v for k, v in kw.items() if k in MEM_KW}
    lay = resolve_layout(model, S + n_out, B, n, parallelism, {"weight_dtype": weight_dtype, **mem_kw})
    if lay.cp > S:
        raise InvalidArgumentError("parallelism", f"cp={lay.cp} exceeds the prompt of {S} tokens")
    ln = layout_numbers(model, lay, weight_dtype, **kw)
    dts = ln.dtypes
    notes: list[str] = []
    cn, dts = compute_numbers(chip_rec, dts, precision_given=precision is not None, sparse=sparse,
                              missing_peak="drop")
    if dts is not ln.dtypes:  # no peak for the weights' format: computed as decode_bound does
        ln = dataclasses.replace(ln, dtypes=dts)
    if cn.missing:
        notes.append(f"left out: {cn.missing}")
    if cn.bandwidth_note:
        notes.append(f"memory: {cn.bandwidth_note}")
    # the fabric of decode_bound: a system's two tiers, domain and in-network reduction; a chip alone
    # one scale-up domain (in-network reduction where a system of it has the switch)
    from .comm import fabric_numbers

    fab = fabric_numbers(chip_rec, system, cn.link, "auto")
    if system is not None:
        notes.append(f"on {system.id}: {fab.up_label}; {fab.out_label}; {fab.note}")
    if lay.n_chips > fab.domain and not fab.has_out:
        assert system is not None  # a chip alone is one domain
        fab = dataclasses.replace(fab, domain=math.inf)
        notes.append(f"on {system.id}: {lay.n_chips} chips span more than one scale-up domain of {system.domain_size} "
                     "and the scale-out bandwidth is not published: the scale-up bandwidth for every transfer, a "
                     "lower bound on the link time")
    effs = (check_efficiency("compute_efficiency", compute_efficiency),
            check_efficiency("bandwidth_efficiency", bandwidth_efficiency),
            check_efficiency("link_efficiency", link_efficiency))
    r = request_times(ln, cn, S, n_out, B, mode, a, overlap, effs, notes=tuple(notes), fabric=fab)
    search = lay.n_chips > 1 and (parallelism is None or (isinstance(parallelism, str)
                                                           and parallelism.strip().lower() == "auto"))
    if not search:
        return r
    # No layout given: the bound of "this model on these chips" is the minimum over layouts, as in
    # decode_bound: the TTFT at the layout prefill_bound finds fastest for the prompt, the decode at
    # the layout with the least decode time over the request's steps (each the least over every
    # layout, so their pair is below every single layout's request)
    same: dict[str, Any] = {"weight_dtype": weight_dtype, "kv_dtype": kv_dtype, "activation_dtype": activation_dtype,
            "expert_dtype": expert_dtype, "embedding_dtype": embedding_dtype, "state_dtype": state_dtype,
            "precision": precision, "sparse": sparse, "overlap": overlap, "compute_efficiency": compute_efficiency,
            "bandwidth_efficiency": bandwidth_efficiency, "link_efficiency": link_efficiency}
    from .bounds import prefill_bound

    fast_pre = prefill_bound(model, chip, S, 1 if mode == "steady" else B, lay.n_chips, **same).parallelism
    m = resolve_model(model)
    dec_lay, dec_r, how = _fastest_decode(r, m, chip_rec, ln, cn, fab, S, n_out, B, mode, a, overlap, effs,
                                          tuple(notes), weight_dtype, kw)
    best = dec_r
    if fast_pre != dec_lay:
        pre_ln = ln if fast_pre == lay else dataclasses.replace(layout_numbers(m, fast_pre, weight_dtype, **kw),
                                                                dtypes=ln.dtypes)
        pre = request_times(pre_ln, cn, S, n_out, B, mode, a, overlap, effs, fabric=fab)
        best = dataclasses.replace(dec_r, ttft_s=pre.ttft_s, prefill_limiter=pre.prefill_limiter)
    if dec_lay == lay and fast_pre == lay:
        return dataclasses.replace(r, layout_note=how, notes=(*r.notes, how))
    how += f"; prefill (TTFT) {fast_pre}, prefill_bound's fastest"
    return dataclasses.replace(best, layout_note=how, notes=(*best.notes, how))


def _fastest_decode(r: RequestBound, m: Model, chip: Chip, ln: LayoutNumbers, cn: ChipNumbers, fab: Fabric, S: int,
                    n_out: int, B: int, mode: str, a: float, overlap: bool, effs: tuple[float, float, float],
                    notes: tuple[str, ...], weight_dtype: Any,
                    kw: dict[str, Any]) -> tuple[Parallelism, RequestBound, str]:
    """The layout of ``ln``'s chip count with the least decode time of the request (``r`` is the
    memory fit's), its request bound, and a phrase naming both.

    Candidates as :func:`~accelspec.perf.bounds.decode_bound`'s search (every layout of
    :func:`~accelspec.perf.memory.layouts` with every ``ep``; no more context-parallel ranks than
    the prompt, no more replicas than requests); those whose footprint at the last context (default
    reserve) fits the high end of the capacity (all when none fits or the capacity is unpublished);
    ties (:data:`~accelspec.perf.kernels.LAYOUT_TIE`) to the search's preference. Branch and
    bound: a lower bound on each candidate's decode time from the scalar search's layout table
    (static batch: its step time at the first context of each of 32 runs of the steps; steady
    state: the round with the decode totals at the first context and no prefill share; neither
    falls as the context grows), the exact decode computed in order of that bound until the next
    bound exceeds the best."""
    from ..hardware.chip import NotPublishedError as _NP
    from .bounds import layout_table
    from .kernels import LAYOUT_TIE, preference_order
    from .memory import capacity_bytes, footprint_table, layouts, memory_options, model_profile

    n = ln.parallelism.n_chips
    every = layouts(m, n, every_ep=True)
    rank = preference_order(every)
    usable = [i for i in rank if every[i].cp <= S and (every[i].dp == 1 or every[i].dp <= B)]
    mem_kw = {k: v for k, v in kw.items() if k in MEM_KW}
    opts = memory_options(m, weight_dtype if weight_dtype != "native" else None, mem_kw.get("kv_dtype", "bf16"),
                          mem_kw.get("expert_dtype"), mem_kw.get("embedding_dtype"), mem_kw.get("state_dtype", "bf16"),
                          mem_kw.get("activation_dtype", "bf16"), 8192, None)
    try:
        cap_high: float | None = capacity_bytes(chip, None)[2]
    except _NP:
        cap_high = None
    need = footprint_table(model_profile(m), n, opts, every_ep=True).totals(float(S + n_out), float(B), opts)
    fit = [i for i in usable if cap_high is None or need[i] <= cap_high]
    pool = fit or usable
    how = (f"decode {{}}: the fastest of {len(pool)} layouts" + (" (capacity unpublished)" if cap_high is None else
                                                               " that fit in memory" if fit else
                                                               " (none fits in memory)")
           + " (least decode time over the request's steps)")
    exact: dict[int, RequestBound] = {}
    memory_lay = ln.parallelism

    def bound(i: int) -> RequestBound:
        if i not in exact:
            exact[i] = r if every[i] == memory_lay else request_times(
                dataclasses.replace(layout_numbers(m, every[i], weight_dtype, **kw), dtypes=ln.dtypes), cn, S, n_out,
                B, mode, a, overlap, effs, notes=notes, fabric=fab)
        return exact[i]

    def dec(i: int) -> float:
        t = bound(i).decode_s[0]
        return t if math.isfinite(t) else math.inf

    lower = np.zeros(len(every))
    if n_out > 1:  # branch and bound
        tab = layout_table(m, every, weight_dtype, kw)
        ec, eb, el = effs
        P, BW, L, LO = cn.peak[1] * ec, cn.bandwidth[1] * eb, fab.up[1] * el, fab.out[1] * el
        fast = cn.fast_tier(1, eb)  # the SRAM read first (a lower bound must count it, or it prunes too much)
        dom, inn = float(fab.domain), bool(fab.in_network)
        with np.errstate(invalid="ignore", divide="ignore"):
            if mode == "static":  # the steps' time, each run of steps at least at its first context
                off, w, _ = _step_weights(n_out, a)
                ctx = S + 1.0 + off
                cut = np.unique(np.linspace(0, ctx.size, 33).astype(int))
                for lo, hi in itertools.pairwise(cut.tolist()):
                    lower += float(w[lo:hi].sum()) * tab.times("decode", float(ctx[lo]), float(B), (P, BW, L, LO),
                                                               overlap, "balanced", dom, inn, fast)
            else:  # the round: its decode totals at least those at the first context, no prefill share
                f, mem, up, out = (np.broadcast_to(x, tab.mult.shape) for x in
                                   tab.traffic("decode", float(S + 1), float(B), "balanced", dom, inn))
                per = tab.tp * tab.cp * tab.dp * tab.mult  # a stage's chips, identical stages folded
                tc = np.add.reduceat(f * per, tab.starts) / (n * P)
                tm = memory_time(np.add.reduceat(mem * per, tab.starts), n, BW, fast)
                c = np.add.reduceat((up + out) * tab.mult, tab.starts) / np.array([x.pp for x in every])
                tl = np.where(c > 0, c / L, 0.0)
                lower = np.maximum(np.maximum(tc, tm), tl) if overlap else tc + tm + tl
            lower = np.nan_to_num(lower, nan=0.0) * (1.0 - 1e-9)  # a margin for the rounding of two ways to one time
            if mode == "steady":
                lower *= (n_out - 1) / a  # decode_s is (O - 1) rounds / a
    order = sorted(pool, key=lambda i: lower[i])
    best = math.inf
    for i in order:
        if lower[i] > best * (1.0 + LAYOUT_TIE):
            break
        best = min(best, dec(i))
    chosen = next((i for i in pool if i in exact and dec(i) <= best * (1.0 + LAYOUT_TIE)), None)
    if chosen is None:  # no finite decode time anywhere: the memory fit's
        return memory_lay, r, f"decode {memory_lay}: the memory fit's layout"
    lay = every[chosen]
    text = how.format(lay)
    if lay != memory_lay:
        text += f"; the memory fit's layout {memory_lay} decodes in >= {r.decode_s[0]:.4g} s"
    return lay, exact[chosen], text
