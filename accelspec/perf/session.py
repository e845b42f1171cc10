"""The long agent session: a context that grows turn by turn, bounded in time, memory, energy and cost.

A session of ``N`` turns on one deployment (``n`` chips of one kind, one layout: given, or by
default the fastest that fits, see below). Turn ``i``
reads new input (turn 1: the system prompt ``S0`` and the task, ``T`` tokens; later turns: the
previous tool call's output, ``T`` tokens) and then generates ``O`` tokens (reasoning and the
next tool call). The context after turn ``i`` is ``c_i = S0 + i (T + O)``; nothing is
compacted or dropped.

* prefill of turn ``i`` with **prefix caching** (the KV of the first ``c_{i-1}`` tokens is kept):
  only the ``k`` new tokens are run. FLOPs = those of a prefill of ``c_{i-1} + k`` tokens minus
  those of ``c_{i-1}`` (the new tokens' linear layers and their attention to everything before);
  memory bytes = the weights (experts the new tokens touch) + the whole KV cache read and the
  new part written; link bytes likewise the difference. **Re-prefill** (no cache): the whole
  context ``c_{i-1} + k`` is prefilled from scratch every turn;
* decode of turn ``i``: ``O`` steps at contexts ``c_{i-1} + k + 1 ... c_i``, each bounded as in
  :func:`~accelspec.perf.bounds.decode_bound`;
* each step's time is the roofline ``max(F / P, M / B, C / L)`` of one chip (the kernels of
  :mod:`accelspec.perf.bounds`); a pipeline runs micro-batches, as the bounds do: the slowest
  stage on the whole step, or one unit (a sequence in decode, a token in prefill) through
  every stage, whichever is longer. So the session time is a lower bound on the chips' busy time.
  Tool execution, network, queueing and any human are outside it: a reported wall-clock time
  (35 hours) is compared with the bound, not bounded by it. A roof the catalog lacks (compute
  peak, memory bandwidth, scale-up bandwidth) drops its term: the rest is still a lower
  bound, and the result names what was left out; with neither compute nor bandwidth published
  there is no time bound at all, and the result says so;
* KV memory per chip after every turn (:func:`accelspec.memory_footprint`'s KV term for the
  layout), and the memory per chip in total; **sessions at once** = the largest batch of such
  sessions at the final context that fits (:func:`accelspec.max_batch`);
* **energy at TDP** = ``n x TDP x t``: what the chips would draw at their power ceiling for the
  bound's time. It is an estimate, not a bound either way: the chips draw at most TDP, but the
  real time exceeds the bound, and no vendor publishes a power floor, so no lower bound on
  energy is claimed. The catalog's TDP range gives the range; a chip without a TDP says so;
* **cost** = ``price per chip-hour x n x t / sessions``: the rental for the bound's time (a lower
  bound on what the chips cost for the session at that price, since the real time is longer),
  from the dated snapshots in ``specs/prices`` (:func:`accelspec.chip_prices`), lowest price by
  default and the range over the snapshots; a chip with no published price says so.

``sessions > 1`` runs that many identical sessions in lockstep as one batch (time per step
grows with the batch; energy and cost are shared).

**Layout.** Without ``parallelism`` on several chips, the bound is for "this session on these
chips": the least total time (the bound's, prefill and decode over every turn) over the layouts
of :func:`~accelspec.perf.bounds.decode_bound`'s search that fit in memory at the final context,
for a session keeps one deployment and a real system may use any of them. The result names that
layout (``layout``), the layout :func:`accelspec.fits` chooses (``memory_layout``) and its own
total (``memory_layout_time_s``), and its first note says which it is and of how many; memory,
sessions at once and the fit are those of the chosen layout.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ..errors import SessionError
from ..hardware.chip import Chip, UnsupportedPrecisionError
from ..units import Q_
from .bounds import layout_numbers, limiter_code, resolve_layout, stage_traffic, step_times
from .memory import ModelProfile, footprint_terms, max_batch, memory_options, min_chips
from .roofline import ChipNumbers, compute_numbers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hardware.system import System
    from ..model.architecture import Model
    from ..model.datatypes import DType
    from .memory import Parallelism

__all__ = ["AgentSession", "SessionBound", "agent_session"]


@dataclass(frozen=True)
class AgentSession:
    """A session's shape. The seed scenario (Qwen 3.7-Max on the Zhenwu M890, seed article 000):
    a 1M-token context, up to 35 hours, over 1,000 tool calls; the split of the 1M tokens into a
    system prompt, tool outputs and model outputs is not published, so the defaults
    (10,000 + 1,000 x (790 + 200) = 1,000,000 tokens) are an illustration, not a report."""

    system_prompt_tokens: int = 10_000
    turns: int = 1_000
    tool_tokens_per_turn: int = 790
    output_tokens_per_turn: int = 200
    wall_clock: str | None = "35 hour"  #: a reported duration to compare with, or None

    @property
    def final_context(self) -> int:
        return self.system_prompt_tokens + self.turns * (self.tool_tokens_per_turn + self.output_tokens_per_turn)


@dataclass(frozen=True)
class SessionBound:
    """Per-turn and cumulative bounds of one session shape on one deployment.

    Arrays (one value per turn, numpy, SI units in the names): ``context`` (tokens after the
    turn), ``prefill_tokens``, ``prefill_s``, ``decode_s``, ``time_s``, ``kv_gb_per_chip``,
    ``memory_gb_per_chip``. Totals are ``None`` where a figure is missing; ``unknown`` says
    which bound is unknown and why, ``partial`` which roofline terms were left out."""

    model: str
    chip: str
    chip_name: str
    system: str | None
    n_chips: int
    layout: str
    sessions: int
    prefix_caching: bool
    scenario: AgentSession
    precision: str
    context: np.ndarray
    prefill_tokens: np.ndarray
    prefill_s: np.ndarray | None
    decode_s: np.ndarray | None
    kv_gb_per_chip: np.ndarray
    memory_gb_per_chip: np.ndarray
    capacity_gb: float | None
    fits: bool | None
    first_turn_not_fitting: int | None
    sessions_at_once: float | None
    deployments_per_system: int | None
    tdp_w: tuple[float, float, float] | None  #: nominal, low, high
    price_usd_per_chip_hour: tuple[float, float, float] | None  #: used (min), low, high
    price_label: str
    unknown: tuple[str, ...]
    partial: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: ``"estimate"``: the times are bound / calibrated efficiency; ``"bound"``: the bounds
    basis: str = "bound"
    bound_time_s: float | None = None  #: the bound's total time beside the estimate [s]
    time_interval_s: tuple[float, float] | None = None  #: the estimate's 80% interval on the total [s]
    #: without a given layout on several chips: the layout :func:`accelspec.fits` chooses (least
    #: memory per chip) beside ``layout`` (the fastest that fits for the session); "" otherwise
    memory_layout: str = ""
    memory_layout_time_s: float | None = None  #: the bound's total time under ``memory_layout`` [s]

    # --- totals -------------------------------------------------------------------------------
    @property
    def time_s(self) -> np.ndarray | None:
        if self.prefill_s is None or self.decode_s is None:
            return None
        return self.prefill_s + self.decode_s

    @property
    def cumulative_s(self) -> np.ndarray | None:
        t = self.time_s
        return None if t is None else np.cumsum(t)

    @property
    def total_time_s(self) -> float | None:
        t = self.time_s
        return None if t is None else float(t.sum())

    @property
    def total_time(self) -> pint.Quantity | None:
        t = self.total_time_s
        return None if t is None else Q_(t / 3600.0, "hour")

    @property
    def energy_j(self) -> tuple[float, float, float] | None:
        """Energy at TDP for the bound's time, per session: ``n TDP t / sessions`` (nominal, low, high)."""
        t = self.total_time_s
        if t is None or self.tdp_w is None:
            return None
        k = self.n_chips * t / self.sessions
        return self.tdp_w[0] * k, self.tdp_w[1] * k, self.tdp_w[2] * k

    @property
    def cost_usd(self) -> tuple[float, float, float] | None:
        """Chip rental for the bound's time, per session: ``price n t / sessions`` (used, low, high)."""
        t = self.total_time_s
        if t is None or self.price_usd_per_chip_hour is None:
            return None
        k = self.n_chips * t / 3600.0 / self.sessions
        used, low, high = self.price_usd_per_chip_hour
        return used * k, low * k, high * k

    @property
    def busy_fraction(self) -> float | None:
        """Bound time / the scenario's reported wall-clock time (the least share of it the chips compute)."""
        t = self.total_time_s
        if t is None or not self.scenario.wall_clock:
            return None
        from ..units import parse_quantity

        return t / float(parse_quantity(self.scenario.wall_clock, "s", "wall_clock").m_as("s"))

    def summary(self) -> str:
        """A few lines: deployment, time, memory, sessions at once, energy, cost, what is unknown."""
        sc = self.scenario
        where = f"{self.n_chips} x {self.chip_name}" + (f" ({self.layout})" if self.n_chips > 1 else "")
        if self.system:
            where += f" in {self.system}"
        lines = [f"{self.model} agent session on {where}: {sc.turns:,} turns, context {sc.system_prompt_tokens:,} -> "
                 f"{int(self.context[-1]):,} tokens, {'prefix caching' if self.prefix_caching else 're-prefill'}"
                 + (f", {self.sessions} sessions in lockstep" if self.sessions > 1 else "")]
        t = self.total_time_s
        if t is None:
            lines.append("  time: unknown (" + "; ".join(self.unknown) + ")")
        else:
            assert self.prefill_s is not None and self.decode_s is not None  # a total time needs both
            pre, dec = float(self.prefill_s.sum()), float(self.decode_s.sum())
            if self.basis == "estimate":
                txt = (f"  time ~{t / 3600:.3g} h of chip time (prefill {pre / 3600:.3g} h, decode {dec / 3600:.3g} h")
                iv = self.time_interval_s
                if iv is not None:
                    txt += f"; 80% interval {iv[0] / 3600:.3g}-{iv[1] / 3600:.3g} h"
                if self.bound_time_s is not None:
                    txt += f"; bound >= {self.bound_time_s / 3600:.3g} h"
                txt += ")"
            else:
                txt = (f"  time >= {t / 3600:.3g} h of chip time (prefill {pre / 3600:.3g} h, decode "
                       f"{dec / 3600:.3g} h)")
            bf = self.busy_fraction
            if bf is not None:
                txt += f"; {bf:.1%} of the reported {sc.wall_clock}"
            if self.partial:
                txt += "; partial roofline: " + ", ".join(self.partial)
            lines.append(txt)
        kv = float(self.kv_gb_per_chip[-1])
        mem = float(self.memory_gb_per_chip[-1])
        cap = f" of {self.capacity_gb:.4g} GB" if self.capacity_gb else " (capacity not published)"
        fit = "" if self.fits is None else (" fits" if self.fits else
                                            f" DOES NOT FIT from turn {self.first_turn_not_fitting:,}")
        lines.append(f"  memory per chip at the end: KV {kv:.4g} GB, total {mem:.4g} GB{cap}:{fit}")
        if self.sessions_at_once is not None:
            s = "unbounded" if math.isinf(self.sessions_at_once) else f"{int(self.sessions_at_once):,}"
            per_sys = (f"; {self.deployments_per_system} such deployment(s) in {self.system}"
                       if self.deployments_per_system else "")
            lines.append(f"  sessions at once (memory, KV at the full {int(self.context[-1]):,} tokens): {s} per "
                         f"{self.n_chips}-chip deployment{per_sys}")
        e = self.energy_j
        if e is not None:
            lines.append(f"  energy at TDP for that time: {e[0] / 3.6e6:.3g} kWh per session"
                         + (f" (TDP range {e[1] / 3.6e6:.3g}-{e[2] / 3.6e6:.3g})" if e[1] != e[2] else "")
                         + " (an estimate at the power ceiling, not a bound)")
        elif self.tdp_w is None:
            lines.append("  energy: no TDP published for this chip")
        else:
            lines.append("  energy: unknown (no time bound)")
        c = self.cost_usd
        if c is not None:
            rng = f" (range {c[1]:.3g}-{c[2]:.3g} over the price snapshots)" if c[1] != c[2] else ""
            op = "~" if self.basis == "estimate" else ">= "
            lines.append(f"  cost {op}{c[0]:.3g} USD per session at {self.price_label}{rng}")
        else:
            why = self.price_label if self.price_usd_per_chip_hour is None else "unknown (no time bound)"
            lines.append(f"  cost: {why}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready totals (no per-turn arrays)."""
        return {"model": self.model, "chip": self.chip, "system": self.system, "n_chips": self.n_chips,
                "layout": self.layout, "sessions": self.sessions, "prefix_caching": self.prefix_caching,
                "turns": self.scenario.turns, "final_context": int(self.context[-1]),
                "total_time_h": None if self.total_time_s is None else self.total_time_s / 3600,
                "busy_fraction": self.busy_fraction, "kv_gb_per_chip_final": float(self.kv_gb_per_chip[-1]),
                "memory_gb_per_chip_final": float(self.memory_gb_per_chip[-1]), "capacity_gb": self.capacity_gb,
                "fits": self.fits, "sessions_at_once": self.sessions_at_once,
                "energy_kwh_at_tdp": None if self.energy_j is None else [x / 3.6e6 for x in self.energy_j],
                "cost_usd": None if self.cost_usd is None else list(self.cost_usd), "price": self.price_label,
                "unknown": list(self.unknown), "partial": list(self.partial), "notes": list(self.notes),
                "memory_layout": self.memory_layout,
                "memory_layout_time_h": (None if self.memory_layout_time_s is None
                                         else self.memory_layout_time_s / 3600),
                "basis": self.basis, "bound_time_h": None if self.bound_time_s is None else self.bound_time_s / 3600,
                "time_interval_h": None if self.time_interval_s is None else [x / 3600 for x in self.time_interval_s]}

    def __str__(self) -> str:
        return self.summary()


def _count(v: Any, what: str, minimum: int = 1) -> int:
    from ..inputs import parse_count

    try:
        return parse_count(v, what, minimum)
    except ValueError as exc:
        raise SessionError(str(exc)) from None


#: ``(peak [FLOP/s], bandwidth [B/s], scale-up link [B/s], on-chip tier or None)`` per chip
Roofs = tuple[float, float, float, "tuple[float, float] | None"]


def _kv_bytes(st: Any, ctx: np.ndarray, cp: float) -> np.ndarray:
    tc = np.ceil(ctx / cp) if cp > 1 else ctx
    out = np.zeros_like(ctx, dtype=float)
    for _, kvb, win in st.groups:
        out = out + kvb * np.minimum(tc, win)
    return out


def _times_code(ln: Any, phase: str, ctx_hi: np.ndarray, ctx_lo: np.ndarray | None, B: float, peak: float, bw: float,
                link: float, fast: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-element time over the pipeline stages (prefill with ``ctx_lo``: the increment from
    ``ctx_lo`` cached tokens to ``ctx_hi``, see the module docstring) and, per element, the
    limiter (index into :data:`~accelspec.perf.kernels.LIMITERS`) of its compute, memory and
    link terms. ``fast``: an on-chip tier per chip read before ``bw`` (the SN40L's SRAM,
    :func:`~accelspec.perf.kernels.step_times`).

    One stage: its roofline. A pipeline runs micro-batches, as the bounds'
    :func:`~accelspec.perf.bounds.layout_times` with ``microbatch``: the slowest stage on the
    whole step, or one unit (decode: one sequence at its context; prefill: one token) passing
    every stage in turn, whichever is longer (serializing the stages would not be a lower
    bound: an engine overlaps them)."""
    cp = float(ln.parallelism.cp)
    terms = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for st in ln.stages:
            f1, m1, c1 = stage_traffic(ln, st, phase, ctx_hi, B)
            if ctx_lo is not None:
                k = ctx_hi - ctx_lo
                f0, _, c0 = stage_traffic(ln, st, phase, ctx_lo, B)
                _, mk, _ = stage_traffic(ln, st, phase, k, B)
                f = f1 - (f0 - B * st.f_head)  # the new tokens' work; the output head still runs once per turn
                c = c1 - c0
                m = mk + B * (_kv_bytes(st, ctx_hi, cp) - _kv_bytes(st, k, cp))
            else:
                f, m, c = f1, m1, c1
            terms.append(step_times(f, m, c, 1.0, peak, bw, link, fast=fast))
        tc, tm, tl, t = terms[0]
        if len(terms) > 1:
            for x in terms[1:]:  # the slowest stage's four terms
                tc, tm, tl, t = (np.where(x[3] > t, a, b) for a, b in zip(x, (tc, tm, tl, t), strict=True))
            unit = ctx_hi if phase == "decode" else 1.0
            fill: list[Any] = [0.0, 0.0, 0.0, 0.0]
            for st in ln.stages:
                fu, mu, cu = stage_traffic(ln, st, phase, unit, 1.0)
                fill = [a + b for a, b in zip(fill, step_times(fu, mu, cu, 1.0, peak, bw, link, fast=fast),
                                              strict=True)]
            use = t >= fill[3]
            tc, tm, tl, t = (np.where(use, a, b) for a, b in zip((tc, tm, tl, t), fill, strict=True))
    shape = np.shape(ctx_hi)
    code = limiter_code(*(np.broadcast_to(np.nan_to_num(np.asarray(x, dtype=float), nan=0.0), shape)
                          for x in (tc, tm, tl)))
    return np.broadcast_to(np.asarray(t, dtype=float), shape), code


def _session_seconds(ln: Any, turns: tuple[np.ndarray, np.ndarray, np.ndarray], B: float, prefix_caching: bool,
                     roofs: Roofs) -> float:
    """The bound on a session's total time [s] under ``ln``'s layout: every turn's prefill and
    decode (:func:`_times_code`)."""
    ctx_before, ctx_after_read, steps = turns
    pre = _times_code(ln, "prefill", ctx_after_read, ctx_before if prefix_caching else None, B, *roofs)[0]
    dec = _times_code(ln, "decode", steps, None, B, *roofs)[0]
    return float(pre.sum() + dec.sum())


def _fastest_session_layout(m: Model, n: int, B: int, final: int, turns: tuple[np.ndarray, np.ndarray, np.ndarray],
                            prefix_caching: bool, weight_dtype: Any, kv_dtype: Any,
                            roofs: Roofs, cap_high: float | None,
                            memory_lay: Parallelism) -> tuple[Parallelism, float, float, str]:
    """The layout of ``n`` chips with the least session time (the bound's total) among those
    that fit in memory at the final context, for a session keeps one deployment: a lower bound
    on every layout a real system may use is the minimum over them. Returns the layout, its
    total and the memory fit's (``memory_lay``) [s], and a phrase for the notes.

    Candidates as :func:`~accelspec.perf.bounds.decode_bound`'s search (every layout of
    :func:`~accelspec.perf.memory.layouts` with every ``ep``; no more context-parallel ranks
    than the final context, no more replicas than sessions); fit: the footprint total at the
    final context (default reserve) within the high end of the capacity (every layout when it
    is unpublished; the minimum over all when none fits); ties (within
    :data:`~accelspec.perf.kernels.LAYOUT_TIE`) to the search's preference. Branch and bound:
    a lower bound on each candidate's decode time from its step time at the first context of
    each of 32 runs of the steps (a step's time never falls as the context grows; the scalar
    search's vectorized table, :func:`~accelspec.perf.bounds.layout_table`), and the exact
    total computed in order of that bound until the next bound exceeds the best total."""
    from .bounds import layout_table
    from .kernels import LAYOUT_TIE, preference_order
    from .memory import footprint_table, layouts, memory_options, model_profile

    every = layouts(m, n, every_ep=True)
    rank = preference_order(every)
    usable = [i for i in rank if every[i].cp <= final and (every[i].dp == 1 or every[i].dp <= B)]
    opts = memory_options(m, weight_dtype, kv_dtype, None, None, "bf16", "bf16", 8192, None)
    need = footprint_table(model_profile(m), n, opts, every_ep=True).totals(float(final), float(B), opts)
    fit = [i for i in usable if cap_high is None or need[i] <= cap_high]
    pool = fit or usable
    how = (f"the fastest of {len(pool)} layouts of {n} chips" + (" (capacity unpublished)" if cap_high is None else
                                                                 " that fit in memory for the whole session"
                                                                 if fit else " (none fits in memory)"))
    kw = {"kv_dtype": kv_dtype}
    steps = turns[2]
    peak, bw, link, fast = roofs
    tab = layout_table(m, every, weight_dtype, kw)
    cut = np.unique(np.linspace(0, steps.size, 33).astype(int))
    lower = np.zeros(len(every))
    for a, b in itertools.pairwise(cut.tolist()):  # each run's steps at least at its first context
        with np.errstate(invalid="ignore", divide="ignore"):
            lower += (b - a) * tab.times("decode", float(steps[a]), float(B), (peak, bw, link, math.nan), True,
                                         "balanced", math.inf, False, fast)
    lower = np.nan_to_num(lower, nan=0.0) * (1.0 - 1e-9)  # a margin for the rounding of two ways to one time
    exact: dict[int, float] = {}

    def total(i: int) -> float:
        if i not in exact:
            exact[i] = _session_seconds(layout_numbers(m, every[i], weight_dtype, **kw), turns, float(B),
                                        prefix_caching, roofs)
        return exact[i]

    best = math.inf
    for i in sorted(pool, key=lambda i: lower[i]):
        if lower[i] > best * (1.0 + LAYOUT_TIE):
            break
        best = min(best, total(i))
    chosen = next(i for i in pool if i in exact and exact[i] <= best * (1.0 + LAYOUT_TIE))  # rank order
    lay = every[chosen]
    mem_t = total(every.index(memory_lay)) if memory_lay in every else math.nan
    note = f"{lay}: {how} (least total bound time)"
    if lay != memory_lay:
        when = f"{mem_t / 3600:.4g} h" if mem_t >= 3600 else f"{mem_t:.4g} s"
        note += f"; the memory fit's layout {memory_lay} gives >= {when}"
    return lay, exact[chosen], mem_t, note


def agent_session(model: str | Model, chip: str | Chip | System, scenario: AgentSession | None = None, *,
                  n_chips: int | None = None, parallelism: str | Parallelism | Mapping[str, int] | None = None,
                  prefix_caching: bool = True, sessions: int = 1, weight_dtype: str | DType | None = "native",
                  kv_dtype: str | DType | None = "bf16", price: str = "min", max_chips: int = 1024,
                  basis: str = "estimate", engine: str | None = None) -> SessionBound:
    """Bound one agent session (see the module docstring for the model and formulas).

    ``chip``: a catalog chip or a :class:`~accelspec.System` (then ``n_chips`` may not exceed its
    size, and the result says how many such deployments the system holds). ``n_chips``: default
    the fewest chips that hold the model and ``sessions`` KV caches at the final context
    (:func:`accelspec.min_chips`). Layout: ``parallelism`` if given, else on several chips the
    fastest for the whole session among those that fit (module docstring), the memory fit's
    beside it. ``price``: ``"min"`` (default), ``"median"`` or ``"max"`` of the chip's snapshots.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    chip : str, Chip or System
        A catalog chip or system, by name or record.
    scenario : AgentSession, optional
        The session: turns and tokens per turn (default ``AgentSession()``).
    n_chips : int, optional
        Chips serving it (default: the fewest that hold the model and the KV caches at the final
        context).
    parallelism : str, Parallelism or mapping, optional
        The layout (default: the one with the least session time among those that fit at the
        final context; ``memory_layout`` names the one :func:`accelspec.fits` chooses).
    prefix_caching : bool, optional
        Each turn prefills only its new tokens, the earlier context's KV cache kept (default
        True); False prefills the whole context every turn.
    sessions : int, optional
        Sessions served together, in lockstep (default 1).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats, as
        :func:`accelspec.decode_bound` and :func:`accelspec.fits`; a chip without a peak for
        them computes in bf16 and the notes say so).
    kv_dtype : str or DType, optional
        Format of the KV cache (default ``"bf16"``).
    price : {"min", "median", "max"}, optional
        Which of the chip's price snapshots costs the session (default ``"min"``).
    max_chips : int, optional
        Largest chip count searched when ``n_chips`` is not given (default 1024; a system's size).
    basis : {"estimate", "bound"}, optional
        ``"estimate"`` (default): every prefill and decode time is the bound's divided by the
        calibrated efficiency (:func:`accelspec.perf.estimate.estimate_speed`: prefill regime for
        the turns' prefills; decode in the low-latency regime up to 16 sessions, throughput
        above; each element's limiter), so time, energy and cost are what published runs reach;
        ``"bound"``: the roofline bounds, the optimistic edge.
    engine : str, optional
        The serving engine the estimate assumes (default unknown: the field's effect).

    Returns
    -------
    SessionBound
        Per turn (numpy arrays): context [token], prefill and decode time [s], KV cache and
        memory per chip [GB]; totals, the energy at TDP [J] (an estimate, not a bound) and the
        cost [USD] where the catalog publishes a TDP and a price; the layout, and without a
        given one the memory fit's layout and its total time [s].

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or ``chip`` names nothing in the catalogs.
    SessionError
        The scenario is empty, the model does not fit on up to ``max_chips`` chips, or
        ``n_chips`` exceeds the system.
    InvalidArgumentError, CountTypeError
        A count, layout or dtype is out of range or of the wrong type.

    Examples
    --------
    >>> s = agent_session("llama-3.1-8b", "h100", AgentSession(1000, 10, 100, 50, None))
    >>> s.n_chips, int(s.context[-1])
    (1, 2500)
    """
    from ..hardware.catalog import get_chip
    from ..hardware.prices import chip_prices, no_price_reason, pick_price
    from ..hardware.system import System, get_system
    from ..model.catalog import get_model
    from .plan import CalibratedEfficiency, basis_text, check_basis

    est = check_basis(basis) == "estimate"
    sc = scenario or AgentSession()
    m = get_model(model)
    system = None
    if isinstance(chip, System):
        system = chip
    elif isinstance(chip, str):
        try:
            c = get_chip(chip)
        except LookupError:
            system = get_system(chip)
    if system is not None:
        c = system.chip_record()
    elif isinstance(chip, Chip):
        c = chip
    B = _count(sessions, "sessions")
    N = _count(sc.turns, "turns")
    S0 = _count(sc.system_prompt_tokens, "system_prompt_tokens", 0)
    T = _count(sc.tool_tokens_per_turn, "tool_tokens_per_turn", 0)
    O = _count(sc.output_tokens_per_turn, "output_tokens_per_turn")  # noqa: E741
    final = S0 + N * (T + O)
    if S0 + T < 1:
        raise SessionError("system_prompt_tokens + tool_tokens_per_turn: the first turn must read at least one token")
    mem_kw = {"weight_dtype": weight_dtype, "kv_dtype": kv_dtype}
    cap_spec = c.memory.capacity
    cap = None if cap_spec is None else float(cap_spec.q.m_as("B"))
    notes: list[str] = []
    unknown: list[str] = []
    limit_n = system.n_chips if system is not None else max_chips
    if n_chips is None:
        if cap is None:
            n = 1
            unknown.append("memory capacity not published: chip count and fit unknown (1 chip assumed)")
        else:
            cnt = min_chips(m, c, final, B, max_chips=limit_n, weight_dtype=weight_dtype, kv_dtype=kv_dtype)
            if cnt.value is None:
                raise SessionError(f"{m.id} with {B} session(s) at {final:,} tokens does not fit on up to {limit_n} x "
                                   f"{c.name}")
            n = cnt.value
    else:
        n = _count(n_chips, "n_chips")
        if system is not None and n > system.n_chips:
            raise SessionError(f"n_chips: {n} exceeds the {system.n_chips} chips of {system.id}")
    lay = resolve_layout(m, final, B, n, parallelism, mem_kw)
    ln = layout_numbers(m, lay, weight_dtype, kv_dtype=kv_dtype)
    prec = ln.dtypes.precision
    # roofs: unknown ones drop their term (inf), and say so
    partial: list[str] = []
    peak = bw = link = math.inf
    used_prec = str(prec)
    cn: ChipNumbers | None = None
    fast: tuple[float, float] | None = None  # an on-chip tier read before the memory roof (SN40L SRAM)
    try:  # the checkpoint's format unsupported: bf16 (fp16) compute, as decode_bound
        cn, used = compute_numbers(c, ln.dtypes, precision_given=False, need_bandwidth=False, missing_peak="drop")
    except UnsupportedPrecisionError:
        pass
    else:
        used_prec = str(used.precision)
        if used.compute_note:
            notes.append(f"compute {used_prec}: {used.compute_note}")
    if cn is not None:
        peak = cn.peak[1]
        fast = cn.fast_tier()
        if cn.bandwidth_note:
            notes.append(f"memory: {cn.bandwidth_note}")
    if cn is None or cn.missing:  # no peak at any precision: the compute term is left out
        partial.append(f"compute term (no dense {prec} peak published)")
    if c.memory.bandwidth is not None:
        bw = float(c.memory.bandwidth.q.m_as("B/s"))
    else:
        partial.append("memory term (no memory bandwidth published)")
    up = c.interconnect.scale_up
    pdir = up.per_direction() if up is not None else None
    if pdir is not None:
        link = float(pdir.q.m_as("B/s"))
    elif n > 1:
        partial.append("interconnect term (no scale-up bandwidth published)")
    timed = not (math.isinf(peak) and math.isinf(bw))
    if not timed:
        unknown.append(f"no time bound: neither a dense {prec} peak nor a memory bandwidth is published for {c.name}")
        partial = []
    # turns
    i = np.arange(1, N + 1, dtype=float)
    ctx_before = np.where(i == 1, 0.0, S0 + (i - 1) * (T + O))
    new = np.where(i == 1, float(S0 + T), float(T))
    ctx_after_read = ctx_before + new
    ctx_end = ctx_after_read + O
    steps = (ctx_after_read[:, None] + np.arange(1, O + 1, dtype=float)[None, :]).ravel()
    # the layout: given, or the fastest that fits for the whole session (the memory fit's beside it)
    memory_lay = lay
    mem_t: float | None = None
    layout_note = ""
    if n > 1 and (parallelism is None or (isinstance(parallelism, str) and parallelism.strip().lower() == "auto")):
        if timed:
            cap_high = None if cap_spec is None else float(cap_spec.high.m_as("B"))
            lay, _, mem_t, layout_note = _fastest_session_layout(
                m, n, B, final, (ctx_before, ctx_after_read, steps), prefix_caching, weight_dtype, kv_dtype,
                (peak, bw, link, fast), cap_high, memory_lay)
            ln = layout_numbers(m, lay, weight_dtype, kv_dtype=kv_dtype)
        else:
            layout_note = f"{lay}: the memory fit's layout (least memory per chip; no time bound to find the fastest)"
    pre_s = dec_s = None
    bound_s = interval = None
    if timed:
        lo_ctx = ctx_before if prefix_caching else None
        pre_s, pre_code = _times_code(ln, "prefill", ctx_after_read, lo_ctx, float(B), peak, bw, link, fast)
        dec_t, dec_code = _times_code(ln, "decode", steps, None, float(B), peak, bw, link, fast)
        dec_s = dec_t.reshape(N, O).sum(axis=1)
        if est:
            effm = CalibratedEfficiency([c], m.is_moe, engine)
            bound_s = float(pre_s.sum() + dec_s.sum())
            pre_b, dec_b = pre_s, dec_t
            pre_s = pre_b / effm.eff("prefill", np.full((1, N), float(B)), pre_code[None, :])[0]
            dec_e = dec_b / effm.eff("decode", np.full((1, dec_b.size), float(B)), dec_code[None, :])[0]
            pf, ps = effm.time_interval("prefill", np.full((1, N), float(B)), pre_code[None, :], pre_s[None, :],
                                        pre_b[None, :])
            df, ds = effm.time_interval("decode", np.full((1, dec_b.size), float(B)), dec_code[None, :],
                                        dec_e[None, :], dec_b[None, :])
            interval = (float(pf.sum() + df.sum()), float(ps.sum() + ds.sum()))
            dec_s = dec_e.reshape(N, O).sum(axis=1)
    # memory
    prof = ModelProfile(m)
    opts = memory_options(m, weight_dtype=weight_dtype, kv_dtype=kv_dtype, expert_dtype=None, embedding_dtype=None,
                    state_dtype="bf16", activation_dtype="bf16", prefill_chunk=8192, reserve=None)
    terms = footprint_terms(prof, lay, np.maximum(ctx_end, lay.cp), np.asarray(float(B)), opts)
    kv_gb = np.asarray(terms["kv_cache"], dtype=float) / 1e9
    mem_gb = np.asarray(terms["total"], dtype=float) / 1e9
    fits = first_bad = at_once = None
    per_system = None
    if cap is not None:
        bad = np.flatnonzero(mem_gb * 1e9 > cap)
        fits = bad.size == 0
        first_bad = int(bad[0]) + 1 if bad.size else None
        lim = max_batch(m, c, final, n_chips=n, parallelism=lay, weight_dtype=weight_dtype, kv_dtype=kv_dtype)
        at_once = float(lim.value)
        if system is not None:
            per_system = system.n_chips // n
    # power and price
    tdp = None
    if c.power is not None and c.power.tdp is not None:
        sp = c.power.tdp
        tdp = (float(sp.q.m_as("W")), float(sp.low.m_as("W")), float(sp.high.m_as("W")))
    snaps = chip_prices(c)
    p, label = pick_price(snaps, price)
    prices = None
    if p is None:
        reason = no_price_reason(c)
        label = f"no published chip-hour price for {c.id}" + (f" ({reason})" if reason else "")
    else:
        vals = [s.per_chip_hour.m_as("USD/hour") for s in snaps]
        prices = (float(p.m_as("USD/hour")), float(min(vals)), float(max(vals)))
    if T + O and final > (m.max_context or final):
        from .memory import trained_context

        lim_ctx, how = trained_context(m)
        if lim_ctx is not None and final > lim_ctx:
            notes.append(f"the final context {final:,} exceeds {m.id}'s trained length {how}")
    notes.append("tool execution, network and queueing are outside the bound; no context compaction; "
                 f"weights {ln.dtypes.weights_text()}, KV {ln.dtypes.kv.name}, compute {used_prec}; nominal catalog "
                 "values, " + ("each time divided by its calibrated efficiency" if est else "efficiencies 1.0"))
    notes.append(basis_text(basis, engine))
    if layout_note:
        notes.insert(0, "layout " + layout_note)
    return SessionBound(
        model=m.id, chip=c.id, chip_name=c.name, system=None if system is None else system.id, n_chips=n,
        layout=str(lay), sessions=B, prefix_caching=prefix_caching, scenario=sc, precision=used_prec,
        context=ctx_end, prefill_tokens=ctx_after_read - ctx_before if prefix_caching else ctx_after_read,
        prefill_s=pre_s, decode_s=dec_s, kv_gb_per_chip=kv_gb, memory_gb_per_chip=mem_gb,
        capacity_gb=None if cap is None else cap / 1e9, fits=fits, first_turn_not_fitting=first_bad,
        sessions_at_once=at_once, deployments_per_system=per_system, tdp_w=tdp, price_usd_per_chip_hour=prices,
        price_label=label, unknown=tuple(unknown), partial=tuple(partial), notes=tuple(notes), basis=basis,
        bound_time_s=bound_s, time_interval_s=interval,
        memory_layout="" if layout_note == "" else str(memory_lay), memory_layout_time_s=mem_t)
