"""Service-level planning: which chips meet a time-to-first-token and time-per-output-token
target for a model, with how many chips, which layout and what batch: by the calibrated
estimate (default, ``basis="estimate"``) or by best-case bounds (``basis="bound"``).

Basis: with ``basis="estimate"`` every TTFT, TPOT and step time below is the bound's divided by
the calibrated efficiency of :func:`accelspec.perf.estimate.estimate_speed` for that chip, phase,
regime (decode at low latency up to :data:`~accelspec.perf.estimate.LATENCY_BATCH`, throughput
above), batch bucket, limiter and dense/MoE, computed vectorized (:class:`CalibratedEfficiency`) and made
non-decreasing in the batch across the bucket ends; throughput and $/Mtok follow. Each row also carries the bound at the
same deployment and the estimate's 80% interval. ``basis="bound"`` is the optimistic edge.

Definitions (side by side, since publishers differ):

==========  ===========================================================================================
TTFT        time to first token: from the request's arrival to its first output token. Bound used
            here: the prefill of that one prompt alone, ``TTFT >= t_prefill(S_in, batch 1)``
            (:func:`~accelspec.perf.bounds.prefill_bound`); queueing and scheduling are left out,
            so a real TTFT is longer.
TPOT        time per output token: the mean time between consecutive output tokens of one request
            after the first, ``(E2E - TTFT) / (S_out - 1)``. vLLM and NVIDIA GenAI-Perf report
            this mean as TPOT; "ITL" (inter-token latency) is the same gap measured token by token
            (its mean equals TPOT; its p99 is larger). Some publishers divide by all output tokens,
            ``E2E / S_out`` (which counts TTFT in): with ``S_out`` large the two agree; with short
            outputs ``E2E / S_out`` is larger.
E2E         end-to-end latency: ``TTFT + (S_out - 1) TPOT``.
==========  ===========================================================================================

Bounds (roofline kernels of :mod:`accelspec.perf.bounds`, nominal catalog values, efficiencies 1):

* decode step at batch ``B``: ``t_dec(B)`` at the mean context ``S_in + S_out // 2`` of a request
  (the step time is linear in the KV read, so a continuous batch whose requests are spread
  evenly over their generation costs the same as all at the mean context; ``decode_context=
  "final"`` uses ``S_in + S_out`` instead, the slowest step of a request);
* co-located serving (prefill and decode on the same chips): every ``S_out`` decode steps the
  deployment must also prefill ``B`` new prompts, so over one cycle the chips do
  ``S_out`` decode steps and ``B`` prefills: ``cycle >= max(S_out t_dec(B), max over pipeline
  stages of (S_out tc_dec,s(B) + tc_pre,s(B)))`` (``tc``: the compute terms of one stage's chips;
  the prefill's compute cannot hide under the decode's memory time beyond the decode's own
  compute). ``TPOT >= cycle / S_out``;
* a pipeline-parallel layout is micro-batched, as in :func:`~accelspec.decode_bound` for a given
  layout: ``t = max(slowest stage at the whole batch, one sequence (decode) or one token
  (prefill) through every stage in turn)``, so a row's TPOT bound equals
  ``decode_bound(model, chip, context, batch, n_chips, parallelism=row.layout)``;
* disaggregated serving: decode chips only decode, ``TPOT >= t_dec(B)``; a prefill pool serves
  batches of ``b`` prompts with ``t_pre(b) <= TTFT``, so each prefill chip feeds at most
  ``b / (n_p t_pre(b))`` requests/s while each decode chip finishes ``B / (n_d S_out t_dec(B))``:
  the prefill:decode chip ratio is the quotient of the two;
* tokens/s per user ``<= 1 / TPOT``; output tokens/s per chip ``<= B / (n TPOT)`` (disaggregated:
  per decode chip, and also per chip counting the prefill chips it needs);
* memory: the per-chip footprint of :func:`accelspec.memory_footprint` (same layout and dtypes,
  2 GiB reserve) with every sequence's KV cache at the final context ``S_in + S_out`` must fit
  the chip's published capacity.

Search: for each chip count ``n`` (powers of two up to ``max_chips``; a system's own size caps
it) every layout that can shard the model with ``dp = 1`` (a data-parallel replica is another
deployment: "fewest chips" is per replica) is evaluated for all catalog entries at once: every
(layout, chip) pair is a block of rows of one table (one row per distinct pipeline stage, on the
pair's own roofs, at the pair's own batch), so one numpy pass scores them all; the largest
batch that meets the TPOT target and fits is found by a bisection over all pairs at once (both
the step time and the footprint grow with the batch, and so does ``B / t``). The answer per
chip: the fewest chips that meet both targets, there the layout with the most tokens/s per chip
at its largest batch, and the best tokens/s per chip at any count.
A chip that meets nothing says which bound rules it out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ..errors import AccelspecError, PlanError
from ..hardware.chip import Chip, Precision
from ..model.architecture import memo
from ..units import Q_, parse_quantity
from .bounds import LIMITERS, layout_numbers, layout_table, limiter_code
from .estimate import LATENCY_BATCH, REGIMES, calibration, engine_family
from .kernels import largest_true, preference_order
from .memory import (
    DEFAULT_RESERVE,
    InvalidArgumentError,
    Parallelism,
    candidates,
    footprint_table_of,
    footprint_terms,
    memory_options,
    model_profile,
)
from .roofline import chip_numbers_fallback, may_fall_back

if TYPE_CHECKING:
    from ..hardware.system import System
    from ..model.architecture import Model
    from ..model.datatypes import DType

__all__ = ["BASES", "DEFINITIONS", "Plan", "PlanRow", "basis_text", "frontier", "plan"]

#: the latency definitions, as printed by :meth:`Plan.explain` and the docs
DEFINITIONS = {
    "TTFT": "time to first token: request arrival to first output token; bound = prefill of that prompt "
            "alone (batch 1), no queueing",
    "TPOT": "time per output token: mean gap between output tokens after the first, (E2E - TTFT) / (S_out - 1) "
            "(vLLM, GenAI-Perf); ITL is the same gap per token (mean ITL = TPOT); some publishers use "
            "E2E / S_out, which counts TTFT in",
    "E2E": "end-to-end latency: TTFT + (S_out - 1) x TPOT",
}

_HI = 1 << 20  # largest batch the bisection considers (a million sequences per deployment)


def _ms(t: float) -> str:
    """A time [s] in milliseconds, 4 significant figures; whole milliseconds with thousands
    separators from 10 s up (``30,000``, not ``3e+04``)."""
    ms = t * 1e3
    return f"{ms:,.0f}" if abs(ms) >= 1e4 else f"{ms:.4g}"


def _opt(x: float | None, fmt: str) -> str:
    return "n/a" if x is None else format(x, fmt)


def _with_cost(r: PlanRow, disagg: bool) -> PlanRow:
    """Add best-case $ per 1M output tokens and output tokens per joule at the row's deployment.

    ``$/Mtok >= p / (3600 s/h x R) x 1e6`` with ``p`` the chip-hour price and ``R`` the row's output
    tokens/s per chip (co-located: the prompts' prefill is included, since the same chips run it;
    disaggregated: per chip counting the prefill pool). ``tokens/J <= R / TDP`` (chip TDP only:
    host, network and cooling excluded, and a chip below TDP would do better, so this is the
    figure at the power ceiling). Prices: the dated snapshots of :func:`accelspec.chip_prices`."""
    import dataclasses

    from ..hardware.prices import chip_price_values, no_price_reason

    if not r.meets:
        return r
    rate = r.tokens_per_s_per_chip_with_prefill if disagg else r.tokens_per_s_per_chip
    if not rate:
        return r
    from ..hardware.catalog import get_chip

    chip = get_chip(r.chip)
    missing = []
    upd: dict[str, Any] = {}
    vals = chip_price_values(chip)
    if vals:
        lo, hi = vals[0], vals[-1]
        upd["usd_per_m_output"] = lo[0] / (3600.0 * rate) * 1e6
        upd["usd_per_m_output_range"] = (lo[0] / (3600.0 * rate) * 1e6, hi[0] / (3600.0 * rate) * 1e6)
        upd["price_source"] = f"{lo[0]:.4g} USD/chip-hour, {lo[1].label()} {lo[1].source_url}"
        iv = r.tokens_per_s_per_chip_interval
        if iv is not None and iv[0] > 0:
            k = (rate / r.tokens_per_s_per_chip) if r.tokens_per_s_per_chip else 1.0  # the prefill pool's share
            upd["usd_per_m_output_interval"] = (lo[0] / (3600.0 * iv[1] * k) * 1e6, lo[0] / (3600.0 * iv[0] * k) * 1e6)
    else:
        reason = no_price_reason(chip)
        missing.append(f"no published chip-hour price for {chip.id}" + (f" ({reason})" if reason else ""))
    if chip.power is not None and chip.power.tdp is not None:
        upd["tokens_per_joule"] = rate / float(chip.power.tdp.q.m_as("W"))
    else:
        missing.append(f"no TDP published for {chip.id}")
    return dataclasses.replace(r, cost_missing=tuple(missing), **upd)


# --- the calibrated estimate, vectorized ------------------------------------------------------
#: the values ``basis`` takes: the calibrated estimate (default) or the bound (the optimistic edge)
BASES = ("estimate", "bound")
#: where a decode batch crosses a level of the fit (batch bucket or regime): the step-time
#: estimate is made non-decreasing in the batch over these ends (see :class:`CalibratedEfficiency`)
_DECODE_ENDS = (1.0, 8.0, float(LATENCY_BATCH), 64.0, 512.0)
_PREFILL_ENDS = (1.0, 8.0, 64.0, 512.0)


def check_basis(basis: str) -> str:
    if basis not in BASES:
        raise PlanError(f"basis: 'estimate' or 'bound', got {basis!r}")
    return basis


def basis_text(basis: str, engine: str | None = None) -> str:
    """The assumptions line of a ``basis``: what the times are and what the calibration rests on.

    Parameters
    ----------
    basis : {"estimate", "bound"}
        ``"estimate"``: bound time / calibrated efficiency; ``"bound"``: the roofline bound.
    engine : str, optional
        The serving engine assumed by the estimate (default: unknown, the field's effect).

    Returns
    -------
    str
        One clause for an ``assumptions`` text.
    """
    cal = calibration()
    if basis == "bound":
        lo = cal.cv.get("lopo", {}).get("all", {}).get("median_error", float("nan"))
        return ("basis: bound (roofline bound, nominal catalog values, efficiencies 1.0: the optimistic edge, which "
                "published runs reach only a fraction of; --basis estimate, the default, divides each time by the "
                f"efficiency fitted on {cal.n_rows} published measurements, out-of-sample median error {lo:.0%})")
    lo = cal.cv.get("lopo", {}).get("all", {}).get("median_error", float("nan"))
    lc = cal.cv.get("loco", {}).get("all", {}).get("median_error", float("nan"))
    return (f"basis: estimate (bound / efficiency fitted on {cal.n_rows} published measurements from "
            f"{cal.publishers} publishers on {cal.chips} chips, per regime, limiter, batch, dense/MoE, vendor, chip "
            f"and engine ({engine_family(engine)}); out-of-sample median error {lo:.0%} leave-one-publisher-out, "
            f"{lc:.0%} leave-one-chip-out; {cal.level:.0%} intervals from those residuals); "
            "--basis bound for the optimistic edge")


class CalibratedEfficiency:
    """The calibrated efficiency of :func:`accelspec.perf.estimate.estimate_speed`, vectorized
    over catalog entries: ``eff = min(1, exp(mu + regime + limiter + batch + architecture +
    vendor + chip + engine))``, the per-entry terms fixed at construction, the rest looked up
    from arrays of batches and limiter codes (:data:`~accelspec.perf.kernels.LIMITERS`).

    A time under the estimate is ``t_bound / eff``. Since the fitted effects are not monotone in
    the batch (the 2-8 bucket is more efficient than batch 1, the throughput regime above
    :data:`~accelspec.perf.estimate.LATENCY_BATCH` more than the latency regime),
    :meth:`envelope` takes the running maximum over the bucket ends below the batch: a step at a
    batch past a bucket end is never estimated faster than one at that end (the bound's own times
    grow with the batch). Within a bucket the limiter's effect can still jump where the bound's
    binding term changes, so the estimate may dip there by that effect's ratio: the planner's
    bisection then returns a batch that meets the target, not always the very largest that does.
    """

    def __init__(self, chips: Sequence[Chip], moe: bool, engine: str | None = None) -> None:
        cal = calibration()
        fam = engine_family(engine)
        base, measured = [], []
        for c in chips:
            lg, unseen = cal.predict_log(architecture="moe" if moe else "dense", vendor=c.vendor, chip=c.id,
                                         engine=fam)
            base.append(lg)
            measured.append("chip" not in unseen)
        self.base = np.array(base, dtype=float)
        self.measured = np.array(measured, dtype=bool)
        eff = cal.effects
        self.reg = {r: eff.get("regime", {}).get(r, 0.0) for r in REGIMES}
        self.lim = np.array([eff.get("limiter", {}).get(x, 0.0) for x in LIMITERS])
        bt = eff.get("batch", {})
        self.bucket = [bt.get(k, 0.0) for k in ("1", "2-8", "9-64", "65-512", ">512")]
        q = cal.quantiles
        self.q = {r: (np.where(self.measured, q["measured"].get(r, q["measured"]["all"])[0],
                               q["unmeasured"].get(r, q["unmeasured"]["all"])[0]),
                      np.where(self.measured, q["measured"].get(r, q["measured"]["all"])[1],
                               q["unmeasured"].get(r, q["unmeasured"]["all"])[1])) for r in REGIMES}

    def take(self, idx: np.ndarray) -> CalibratedEfficiency:
        """The same calibration over the entries ``idx`` (repeats allowed): one per pair of a search."""
        out = object.__new__(CalibratedEfficiency)
        out.__dict__.update(self.__dict__)
        out.base, out.measured = self.base[idx], self.measured[idx]
        out.q = {r: (lo[idx], hi[idx]) for r, (lo, hi) in self.q.items()}
        return out

    def _batch(self, B: np.ndarray) -> np.ndarray:
        b = self.bucket
        return np.select([B <= 1, B <= 8, B <= 64, B <= 512], b[:4], b[4])

    def log_eff(self, phase: str, B: Any, code: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log efficiency and its interval ends (low, high) for ``phase`` at batch ``B`` (entries
        on the first axis) with limiter ``code``; decode at ``B <= LATENCY_BATCH`` in the
        low-latency regime."""
        B = np.asarray(B, dtype=float)
        code = np.asarray(code, dtype=int)
        col = (slice(None),) + (None,) * (B.ndim - 1)
        base = self.base[col] + self._batch(B) + self.lim[code]
        if phase == "prefill":
            lg = base + self.reg["prefill"]
            qlo, qhi = (x[col] for x in self.q["prefill"])
        else:
            lat = B <= LATENCY_BATCH
            lg = base + np.where(lat, self.reg["decode-latency"], self.reg["decode-throughput"])
            ql, qh = self.q["decode-latency"], self.q["decode-throughput"]
            qlo = np.where(lat, ql[0][col], qh[0][col])
            qhi = np.where(lat, ql[1][col], qh[1][col])
        return lg, lg + qlo, lg + qhi

    def eff(self, phase: str, B: Any, code: Any) -> np.ndarray:
        """The efficiency (at most 1) for ``phase`` at batch ``B`` with limiter ``code``."""
        return np.minimum(1.0, np.exp(self.log_eff(phase, B, code)[0]))

    def time_interval(self, phase: str, B: Any, code: Any, t_est: Any, t_bound: Any) -> tuple[np.ndarray, np.ndarray]:
        """The estimate's interval on a time: (fast end, slow end) ``= (max(t_bound, t_est e^-q_hi),
        t_est e^-q_lo)`` with the out-of-sample residual quantiles ``q`` of the regime (the
        interval of :func:`~accelspec.perf.estimate.estimate_speed`, applied to the estimated
        time, so it follows the monotone envelope; the fast end never below the bound)."""
        lg, lo, hi = self.log_eff(phase, B, code)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.maximum(t_bound, t_est * np.exp(lg - hi)), t_est * np.exp(lg - lo)

    @staticmethod
    def envelope(t: np.ndarray, B: Any, ends_t: np.ndarray, ends: Sequence[float]) -> np.ndarray:
        """``max(t, max over ends e < B of ends_t[:, e])``: the estimate made non-decreasing in
        the batch (``ends_t``: the estimated times at the bucket ends, entries x ends)."""
        B = np.asarray(B, dtype=float)
        e = np.asarray(ends, dtype=float)
        if B.ndim == 1:
            prev = np.max(np.where(e[None, :] < B[:, None], ends_t, 0.0), axis=1)
        else:
            prev = np.max(np.where(e[None, None, :] < B[:, :, None], ends_t[:, None, :], 0.0), axis=2)
        return np.maximum(t, prev)


def _v(x: float | None) -> float:
    return math.nan if x is None else x


@dataclass(frozen=True)
class PlanRow:
    """The plan for one catalog chip or system. Times in seconds, rates in token/s, memory in GB.

    ``status``: ``"meets"`` (some deployment meets both targets by the estimate, or with
    ``basis="bound"`` by the bounds: a necessary condition, not a promise), ``"ruled out"``
    (no deployment of up to ``max_chips`` can, and
    ``reasons`` say which bound), ``"unknown"`` (a figure the bound needs is not published;
    ``reasons`` name it). The deployment fields describe the fewest chips that meet both
    targets (``None`` when none); ``best_*`` the highest tokens/s per chip at any count."""

    id: str
    name: str
    kind: str  #: "chip" or "system"
    chip: str  #: catalog chip id
    status: str
    reasons: tuple[str, ...]
    precision: str = ""
    n_chips: int | None = None
    layout: str = ""
    batch: int | None = None
    ttft_s: float | None = None
    tpot_s: float | None = None
    tokens_per_s_per_chip: float | None = None
    tokens_per_s_per_user: float | None = None
    limiter: str = ""  #: what limits the decode step at that batch
    memory_per_chip_gb: float | None = None
    capacity_gb: float | None = None
    best_n_chips: int | None = None
    best_layout: str = ""
    best_batch: int | None = None
    best_tokens_per_s_per_chip: float | None = None
    # disaggregated serving only
    prefill_n_chips: int | None = None
    prefill_layout: str = ""
    prefill_batch: int | None = None
    prefill_decode_ratio: float | None = None  #: prefill chips needed per decode chip
    tokens_per_s_per_chip_with_prefill: float | None = None  #: counting the prefill chips too
    # cost and energy at that deployment (see :func:`plan`); None with the reason in ``cost_missing``
    usd_per_m_output: float | None = None  #: lowest published chip-hour price
    usd_per_m_output_range: tuple[float, float] | None = None  #: over the chip's price snapshots
    price_source: str = ""
    tokens_per_joule: float | None = None  #: output tokens per joule at chip TDP
    cost_missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: ``"estimate"``: the times above are bound / calibrated efficiency; ``"bound"``: the bounds
    basis: str = "bound"
    # with basis "estimate": the bounds at the same deployment and the estimate's interval
    # (pessimistic, optimistic ends of the calibration's prediction interval); None otherwise
    ttft_bound_s: float | None = None
    tpot_bound_s: float | None = None
    ttft_interval_s: tuple[float, float] | None = None  #: (fast end, slow end) [s]
    tpot_interval_s: tuple[float, float] | None = None  #: (fast end, slow end) [s]
    tokens_per_s_per_chip_interval: tuple[float, float] | None = None  #: (low, high) [token/s]
    usd_per_m_output_interval: tuple[float, float] | None = None  #: (low, high) at the lowest price

    @property
    def meets(self) -> bool:
        return self.status == "meets"

    @property
    def ttft(self) -> pint.Quantity | None:
        return None if self.ttft_s is None else Q_(self.ttft_s * 1e3, "ms")

    @property
    def tpot(self) -> pint.Quantity | None:
        return None if self.tpot_s is None else Q_(self.tpot_s * 1e3, "ms")

    @property
    def throughput_per_chip(self) -> pint.Quantity | None:
        return None if self.tokens_per_s_per_chip is None else Q_(self.tokens_per_s_per_chip, "token/s")

    @property
    def throughput_per_user(self) -> pint.Quantity | None:
        return None if self.tokens_per_s_per_user is None else Q_(self.tokens_per_s_per_user, "token/s")

    def explain(self) -> str:
        """One line: the deployment, or why there is none."""
        if not self.meets:
            return f"{self.name}: {self.status}: " + "; ".join(self.reasons)
        if self.basis == "estimate":
            iv = self.tpot_interval_s
            ti = self.tokens_per_s_per_chip_interval
            s = (f"{self.name}: {self.n_chips} chip(s) ({self.layout}), batch {self.batch}: TTFT ~"
                 f"{_v(self.ttft_s) * 1e3:.4g} ms, TPOT ~{_v(self.tpot_s) * 1e3:.4g} ms"
                 + (f" (interval {iv[0] * 1e3:.4g}-{iv[1] * 1e3:.4g}; bound >= {_v(self.tpot_bound_s) * 1e3:.4g})"
                    if iv else "")
                 + f" ({self.limiter}-bound), ~{self.tokens_per_s_per_chip:.4g} token/s per chip"
                 + (f" (interval {ti[0]:.4g}-{ti[1]:.4g})" if ti else "")
                 + f", ~{self.tokens_per_s_per_user:.4g} per user")
        else:
            s = (f"{self.name}: {self.n_chips} chip(s) ({self.layout}), batch {self.batch}: TTFT >= "
                 f"{_v(self.ttft_s) * 1e3:.4g} ms, TPOT >= {_v(self.tpot_s) * 1e3:.4g} ms ({self.limiter}-bound), "
                 f"<= {self.tokens_per_s_per_chip:.4g} token/s per chip, <= {self.tokens_per_s_per_user:.4g} per user")
        if self.prefill_decode_ratio is not None:
            s += (f"; prefill pool {self.prefill_n_chips} chip(s) ({self.prefill_layout}) at batch "
                  f"{self.prefill_batch}: {self.prefill_decode_ratio:.3g} prefill chips per decode chip")
        return s

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Plan:
    """The answer of :func:`plan`: one :class:`PlanRow` per catalog entry, best first
    (those that meet the targets by fewest chips, then most tokens/s per chip; then the
    ruled-out ones; then those the catalog cannot judge)."""

    model: str
    input_tokens: int
    output_tokens: int
    ttft_s: float
    tpot_s: float
    disaggregated: bool
    decode_context: int
    max_chips: int
    rows: tuple[PlanRow, ...]
    assumptions: str
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))
    #: ``"estimate"`` (bound / calibrated efficiency) or ``"bound"`` (the optimistic edge)
    basis: str = "estimate"

    @property
    def feasible(self) -> list[PlanRow]:
        return [r for r in self.rows if r.meets]

    @property
    def ruled_out(self) -> list[PlanRow]:
        return [r for r in self.rows if r.status == "ruled out"]

    @property
    def unknown(self) -> list[PlanRow]:
        return [r for r in self.rows if r.status == "unknown"]

    def row(self, name: str) -> PlanRow:
        """The row of one chip or system (id, or as :func:`accelspec.get_chip` resolves it)."""
        for r in self.rows:
            if r.id == name:
                return r
        from ..hardware.catalog import get_chip

        cid = get_chip(name).id
        for r in self.rows:
            if r.id == cid:
                return r
        raise LookupError(f"{name!r} is not in this plan")

    def summary(self) -> str:
        """One line: how many entries meet the targets, and the best by chips needed."""
        f = self.feasible
        head = (f"{self.model}, {self.input_tokens:,} in / {self.output_tokens:,} out, TTFT <= "
                f"{_ms(self.ttft_s)} ms, TPOT <= {_ms(self.tpot_s)} ms"
                f"{' (disaggregated)' if self.disaggregated else ''}: ")
        if not f:
            return head + (f"no catalog entry meets both targets with up to {self.max_chips} chips "
                           f"({len(self.ruled_out)} ruled out, {len(self.unknown)} cannot be judged); see the reasons")
        return head + (f"{len(f)} of {len(self.rows)} entries meet both; fewest chips: {f[0].name} "
                       f"({f[0].n_chips})")

    def table(self, top: int | None = 10, include_ruled_out: bool = True) -> str:
        """A text table: the ``top`` entries that meet the targets, then (if asked) a line per
        ruled-out or unknown entry with its reason. Never empty: with nothing feasible it lists
        the reasons."""
        by_chip = {r.id: r for r in self.rows if r.kind == "chip"}
        folded = []

        def same(r: PlanRow) -> bool:
            c = by_chip.get(r.chip)
            if r.kind != "system" or c is None:
                return False
            return (c.status, c.n_chips, c.layout, c.batch, c.reasons) == (r.status, r.n_chips, r.layout, r.batch,
                                                                            r.reasons)

        shown = []
        for r in self.rows:
            if same(r):
                folded.append(r.id)
            else:
                shown.append(r)
        f = [r for r in shown if r.meets]
        lines = [self.summary(), ""]
        if f:
            disagg = self.disaggregated
            hdr = (f"{'chip / system':<24} {'chips':>5} {'layout':<14} {'batch':>6} {'TTFT ms':>8} {'TPOT ms':>8} "
                   f"{'tok/s/chip':>10} {'tok/s/user':>10} {'limiter':<9} {'GB/chip':>8} {'$/Mtok':>7} {'tok/J':>6}")
            if disagg:
                hdr += f" {'pre:dec':>7} {'tok/s/chip all':>14}"
            estb = self.basis == "estimate"
            if estb:
                hdr += f" {'TPOT bound':>10} {'TPOT 80% ms':>13} {'tok/s/chip 80%':>15}"
            lines.append(hdr)
            for r in f[: top or None]:
                line = (f"{r.name[:24]:<24} {r.n_chips:>5} {r.layout[:14]:<14} {r.batch:>6} {_ms(_v(r.ttft_s)):>8} "
                        f"{_ms(_v(r.tpot_s)):>8} {r.tokens_per_s_per_chip:>10.4g} {r.tokens_per_s_per_user:>10.4g} "
                        f"{r.limiter:<9} {r.memory_per_chip_gb:>8.4g} {_opt(r.usd_per_m_output, '.3g'):>7} "
                        f"{_opt(r.tokens_per_joule, '.3g'):>6}")
                if disagg:
                    ratio = "-" if r.prefill_decode_ratio is None else f"{r.prefill_decode_ratio:.3g}"
                    allc = "-" if r.tokens_per_s_per_chip_with_prefill is None else \
                        f"{r.tokens_per_s_per_chip_with_prefill:.4g}"
                    line += f" {ratio:>7} {allc:>14}"
                if estb:
                    tv, ti = r.tpot_interval_s, r.tokens_per_s_per_chip_interval
                    tvs = "-" if tv is None else f"{tv[0] * 1e3:.3g}-{tv[1] * 1e3:.3g}"
                    tis = "-" if ti is None else f"{ti[0]:.3g}-{ti[1]:.3g}"
                    line += f" {_ms(_v(r.tpot_bound_s)):>10} {tvs:>13} {tis:>15}"
                lines.append(line)
            if top and len(f) > top:
                lines.append(f"... and {len(f) - top} more that meet both targets (top=None lists all)")
            lines.append("")
            if estb:
                lines.append("Times and rates: the calibrated estimate (bound / efficiency); TPOT bound: the roofline "
                             "bound at the same deployment; 80%: the estimate's interval at that deployment (its slow "
                             "end may miss the target). --basis bound gives the optimistic edge.")
            lines.append(f"$/Mtok: {'estimated' if estb else 'best-case'} USD per 1M output tokens at the lowest "
                         "published chip-hour price (prompt prefill included); tok/J: output tokens per joule at chip "
                         "TDP. Prices and gaps:")
            for r in f[: top or None]:
                if r.price_source or r.cost_missing:
                    ur = r.usd_per_m_output_range
                    rng = (f" (range {ur[0]:.3g}-{ur[1]:.3g} $/Mtok over the snapshots)"
                           if ur and ur[0] != ur[1] else "")
                    ui = r.usd_per_m_output_interval
                    if ui:
                        rng += f" (80% interval {ui[0]:.3g}-{ui[1]:.3g} $/Mtok at that price)"
                    what = "; ".join(([r.price_source + rng] if r.price_source else []) + list(r.cost_missing))
                    lines.append(f"  {r.name}: {what}")
        if include_ruled_out or not f:
            rest = [r for r in shown if not r.meets]
            if rest:
                lines.append("")
                lines.append("ruled out / cannot be judged:")
                lines += [f"  {r.name}: {r.status}: {'; '.join(r.reasons)}" for r in rest]
        if folded:
            lines += ["", f"systems with the same answer as their chip (not repeated): {', '.join(folded)}"]
        lines += ["", "Assumed: " + self.assumptions]
        return "\n".join(lines)

    def to_records(self) -> dict[str, Any]:
        """JSON-ready: inputs, definitions, assumptions and every row."""
        return {"model": self.model, "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "ttft_target_s": self.ttft_s, "tpot_target_s": self.tpot_s, "disaggregated": self.disaggregated,
                "decode_context": self.decode_context, "max_chips": self.max_chips, "basis": self.basis,
                "definitions": self.definitions, "assumptions": self.assumptions,
                "rows": [r.to_dict() for r in self.rows]}

    def __str__(self) -> str:
        return self.table()


# --- inputs -----------------------------------------------------------------------------------
def seconds_of(value: Any, what: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PlanError(f"{what}: got a bare number {value!r}; give a time such as '30 ms' or '1 s'")
    try:
        s = str(value).strip() if isinstance(value, str) else value
        if isinstance(s, str):
            import re

            s = re.sub(r"^([0-9.eE+-]+)\s*([A-Za-z])", r"\1 \2", s)
        q = parse_quantity(s, "s", what)
    except AccelspecError as exc:
        raise PlanError(str(exc)) from None
    v = float(q.m_as("s"))
    if not (v > 0 and math.isfinite(v)):
        raise PlanError(f"{what}: must be a positive time, got {value!r}")
    return v


def _tokens(value: Any, what: str) -> int:
    from ..inputs import parse_count

    try:
        return parse_count(value, what)
    except ValueError as exc:
        raise PlanError(str(exc)) from None


@dataclass
class _Entry:
    id: str
    name: str
    kind: str
    chip: Chip
    max_n: float


def _entries(chips: Any) -> list[_Entry]:
    from ..hardware.catalog import chips as all_chips
    from ..hardware.catalog import get_chip
    from ..hardware.system import System, UnknownSystemError, get_system, systems

    if chips is None:
        out = [_Entry(c.id, c.name, "chip", c, math.inf) for c in all_chips()]
        out += [_Entry(s.id, s.name, "system", s.chip_record(), float(s.n_chips)) for s in systems()]
        return out
    if isinstance(chips, (str, Chip, System)):
        chips = [chips]
    if not isinstance(chips, Iterable) or isinstance(chips, (bytes, Mapping)):
        raise InvalidArgumentError("chips", f"expected a chip or system name, a record, or a list of them; got "
                                   f"{type(chips).__name__} {chips!r}")
    out = []
    for c in chips:
        if not isinstance(c, (str, Chip, System)):
            raise InvalidArgumentError("chips", f"expected chip or system names or records, got {c!r}")
        if isinstance(c, System):
            out.append(_Entry(c.id, c.name, "system", c.chip_record(), float(c.n_chips)))
            continue
        if isinstance(c, Chip):
            out.append(_Entry(c.id, c.name, "chip", c, math.inf))
            continue
        try:
            ch = get_chip(c)
            out.append(_Entry(ch.id, ch.name, "chip", ch, math.inf))
        except LookupError as chip_err:
            try:
                s = get_system(c)
            except UnknownSystemError:
                raise chip_err from None  # neither a chip nor a system: the chip error names the closest chips
            out.append(_Entry(s.id, s.name, "system", s.chip_record(), float(s.n_chips)))
    seen: set[str] = set()
    uniq = []
    for e in out:
        if e.id not in seen:
            seen.add(e.id)
            uniq.append(e)
    return uniq


def _roofs(entries: list[_Entry], precision: Precision, fallback: bool = False) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], list[list[str]]]:
    """Per entry: peak, bandwidth, link (nominal, base units; nan when unpublished), capacity
    (bytes, nan when unpublished), the precision used, and what is missing.

    ``fallback``: the weights are the checkpoint's own formats and no precision was given, so a
    chip without a peak for ``precision`` computes in bf16 (the weights upcast as they are read),
    as :func:`~accelspec.perf.bounds.decode_bound` does (:data:`~accelspec.perf.opcost.FALLBACK_PRECISION`).
    A chip that publishes fp16 but not bf16 computes in fp16 (same bytes and FLOPs)."""
    key = f"perf.plan._roofs:{precision}:{fallback}"
    got = [memo(e.chip, key, partial(_chip_roofs, e.chip, precision, fallback)) for e in entries]
    peak, bw, link, cap = (np.array([g[k] for g in got], dtype=float).reshape(len(got)) for k in range(4))
    return peak, bw, link, cap, [g[4] for g in got], [list(g[5]) for g in got]


def _fast_tiers(entries: list[_Entry], precision: Precision, fallback: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Per entry, the on-chip tier read before the memory roof (``(capacity [B], bandwidth
    [B/s])``, :meth:`~accelspec.perf.roofline.ChipNumbers.fast_tier`: the SN40L's SRAM), capacity
    0 without one; None when no entry has one."""
    key = f"perf.plan._roofs:{precision}:{fallback}"
    got = [memo(e.chip, key, partial(_chip_roofs, e.chip, precision, fallback))[6] for e in entries]
    if not any(c > 0 for c, _ in got):
        return None
    return np.array([c for c, _ in got], dtype=float), np.array([b for _, b in got], dtype=float)


def _chip_roofs(chip: Chip, precision: Precision, fallback: bool) -> tuple[
        float, float, float, float, str, tuple[str, ...], tuple[float, float]]:
    """One chip's ``(peak, bandwidth, link, capacity, precision used, missing)`` for :func:`_roofs`
    (immutable records: computed once per chip, precision and fallback rule)."""
    miss: list[str] = []
    cn, p = chip_numbers_fallback(chip, precision, fallback)  # bf16 (or fp16) when the format has no peak
    used = str(p)
    peak = bw = link = cap = math.nan
    fast = (0.0, math.inf)  # no on-chip tier before the memory roof
    if cn is None or cn.missing:  # a memory-only chip (with_roofs without a peak): no TTFT to plan on
        miss.append(f"no dense {precision} peak")
    else:
        peak = cn.peak[1]
        fast = cn.fast_tier() or fast
    up = chip.interconnect.scale_up
    per_dir = up.per_direction() if up is not None else None
    if per_dir is not None:
        link = float(per_dir.q.m_as("B/s"))
    if chip.memory.bandwidth is None:
        miss.append("no memory bandwidth")
    else:
        bw = float(chip.memory.bandwidth.q.m_as("B/s"))
    if chip.memory.capacity is None:
        miss.append("no memory capacity")
    else:
        cap = float(chip.memory.capacity.q.m_as("B"))
    return peak, bw, link, cap, used, tuple(miss), fast


def _counts_grid(max_chips: int, n_chips: Any) -> list[int]:
    if n_chips is not None:
        vals = sorted({int(_tokens(v, "n_chips")) for v in (n_chips if isinstance(n_chips, Iterable)
                                                            and not isinstance(n_chips, str) else [n_chips])})
        return vals
    out, n = [], 1
    while n <= max_chips:
        out.append(n)
        n *= 2
    return out


def _layouts(model: Any, n: int, ctx_min: float) -> list[Parallelism]:
    if n == 1:
        return [Parallelism()]
    cands = [c for c in candidates(model, n, ctx_min, 1.0) if c.dp == 1]
    return [cands[i] for i in preference_order(cands)]  # the one tie order of every search


class _Pairs:
    """(candidate layout, catalog entry) pairs of a plan, scored together: each pair's pipeline
    stages are rows of one :class:`~accelspec.perf.bounds.layout_table` (and of one
    :func:`~accelspec.perf.memory.footprint_table_of`), on its entry's roofs, at its own batch.
    A step is :func:`~accelspec.perf.bounds.layout_times` with micro-batched pipelines, as
    :func:`~accelspec.decode_bound` for a given layout."""

    def __init__(self, tab: Any, fpt: Any, ci: np.ndarray, ei: np.ndarray, peak: np.ndarray, bw: np.ndarray,
                 link: np.ndarray, s_in: int, s_out: int, ctx_dec: int, ctx_mem: int, opts: Any, overlap: bool,
                 disagg: bool, effm: CalibratedEfficiency | None,
                 fast: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.lt, self.ft = tab.take(ci), fpt.take(ci)
        rl = self.lt.row_of
        self.roofs = (peak[ei][rl], bw[ei][rl], link[rl], math.nan)
        tier = None if fast is None else (fast[0][ei][rl], fast[1][ei][rl])  # SRAM before the memory roof
        self.args = (self.roofs, overlap, "balanced", math.inf, False, tier)
        self.s_in, self.s_out, self.ctx_dec, self.ctx_mem, self.opts = s_in, s_out, ctx_dec, ctx_mem, opts
        self.disagg = disagg
        self.fill_dec = self.lt.fill("decode", float(ctx_dec), *self.args)
        self.fill_pre = self.lt.fill("prefill", float(s_in), *self.args)
        pre1 = self.lt.stage_times("prefill", float(s_in), 1.0, *self.args)
        self.pre1 = self.lt.combine(pre1, self.fill_pre)
        # a pair's layouts have dp = 1: a prompt's prefill FLOPs grow as the batch, exactly
        self.pre_tc1 = np.broadcast_to(pre1[0], rl.shape)
        self.eff = effm.take(ei) if effm is not None else None
        self.ei, self.effm = ei, effm
        n = ci.size
        if self.eff is not None:
            self.dec_ends = np.column_stack([self._est_raw(np.full(n, e)) for e in _DECODE_ENDS])
            self.pre_ends = (np.column_stack([self._pre_raw(np.full(n, e)) for e in _PREFILL_ENDS]) if disagg
                             else None)

    def subset(self, a: np.ndarray) -> _Pairs:
        """The pairs ``a`` alone: every array sliced, nothing recomputed (the fills, the
        one-prompt prefill and the estimate's ends are per pair)."""
        out = object.__new__(_Pairs)
        out.__dict__.update(self.__dict__)
        rows = self.lt.rows_of(a)
        out.lt, out.ft = self.lt.take(a), self.ft.take(a)

        def cut(x: Any) -> Any:
            return x[rows] if isinstance(x, np.ndarray) else x

        out.roofs = tuple(cut(x) for x in self.roofs)
        tier = self.args[5]
        out.args = (out.roofs, *self.args[1:5], None if tier is None else (cut(tier[0]), cut(tier[1])))
        out.fill_dec = tuple(x[a] for x in self.fill_dec)
        out.fill_pre = tuple(x[a] for x in self.fill_pre)
        out.pre1 = tuple(x[a] for x in self.pre1)
        out.pre_tc1 = self.pre_tc1[rows]
        out.ei = self.ei[a]
        out.eff = None if self.effm is None else self.effm.take(out.ei)
        if out.eff is not None:
            out.dec_ends = self.dec_ends[a]
            out.pre_ends = None if self.pre_ends is None else self.pre_ends[a]
        return out

    def need(self, B: np.ndarray, ctx: float | None = None) -> np.ndarray:
        """Bytes per chip (worst stage, default reserve) at batch ``B``, final context by default."""
        return self.ft.totals(float(self.ctx_mem if ctx is None else ctx), B[self.ft.row], self.opts)

    def decode(self, B: np.ndarray) -> tuple[np.ndarray, ...]:
        """``(t_compute, t_memory, t_comm, t)`` of a decode step at batch ``B``."""
        return self.lt.combine(self.lt.stage_times("decode", float(self.ctx_dec), B[self.lt.row_of], *self.args),
                               self.fill_dec)

    def tpot_raw(self, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The bound on the time between tokens at batch ``B`` and its limiter code. Co-located,
        each stage's chips also run the prefill compute of the ``B / S_out`` prompts that arrive
        per step: ``max(t, max over stages of (t_compute + B t_prefill_compute(1) / S_out))``."""
        Br = B[self.lt.row_of]
        rows = self.lt.stage_times("decode", float(self.ctx_dec), Br, *self.args)
        tc, tm, tl, t = self.lt.combine(rows, self.fill_dec)
        code = limiter_code(tc, tm, tl)
        if self.disagg:
            return t, code
        cyc = np.maximum(t, np.maximum.reduceat(rows[0] + Br * self.pre_tc1 / self.s_out, self.lt.starts))
        return cyc, np.where(cyc > t, 0, code)

    def _est_raw(self, B: np.ndarray) -> np.ndarray:
        assert self.eff is not None
        t, code = self.tpot_raw(B)
        return t / self.eff.eff("decode", B, code)

    def tpot(self, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The time between tokens compared with the target (the estimate, made non-decreasing
        in the batch, or the bound) and its limiter code."""
        t, code = self.tpot_raw(B)
        if self.eff is None:
            return t, code
        return self.eff.envelope(t / self.eff.eff("decode", B, code), B, self.dec_ends, _DECODE_ENDS), code

    def _pre_raw(self, B: np.ndarray) -> np.ndarray:
        pc, pm, pl, t = self.lt.combine(self.lt.stage_times("prefill", float(self.s_in), B[self.lt.row_of],
                                                            *self.args), self.fill_pre)
        return t if self.eff is None else t / self.eff.eff("prefill", B, limiter_code(pc, pm, pl))

    def prefill(self, B: np.ndarray) -> np.ndarray:
        """Prefill time of a batch of ``B`` prompts on a prefill pool (estimate made monotone)."""
        t = self._pre_raw(B)
        if self.eff is None or self.pre_ends is None:
            return t
        return self.eff.envelope(t, B, self.pre_ends, _PREFILL_ENDS)


def _search(m: Model, prof: Any, opts: Any, counts: list[int], entries: list[_Entry], weight_dtype: Any,
            kw: dict[str, Any], peak: np.ndarray, bw: np.ndarray, link: np.ndarray, cap: np.ndarray,
            max_n: np.ndarray, s_in: int, s_out: int, ctx_dec: int, ctx_mem: int, t_ttft: float, t_tpot: float,
            overlap: bool, disagg: bool, effm: CalibratedEfficiency | None,
            fast: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Every candidate deployment (chip count, layout with ``dp = 1``) of every entry scored in
    one pass over (candidate, entry) pairs: per candidate, arrays over entries of the TTFT, the
    largest batch meeting both targets and in memory
    (:func:`~accelspec.perf.kernels.largest_true`), the TPOT there, ... as
    :func:`_row` reads them; and the same as ``(candidates, entries)`` matrices (with
    ``allowed``, ``fit1`` and the chip count ``n`` per candidate) for :func:`_row`'s choices."""
    cand_list: list[tuple[int, Parallelism]] = []
    for n in counts:
        try:
            cand_list += [(n, lay) for lay in _layouts(m, n, float(s_in))]
        except InvalidArgumentError:
            continue
    nE, C = len(entries), len(cand_list)
    if C == 0:
        return [], {}
    lays = [lay for _, lay in cand_list]
    n_of = np.array([n for n, _ in cand_list], dtype=float)
    tab = layout_table(m, lays, weight_dtype, kw)
    fpt = footprint_table_of(prof, lays, opts)
    allowed = (max_n[None, :] >= n_of[:, None]) & ((n_of[:, None] == 1) | np.isfinite(link)[None, :])
    lk = np.where((n_of[:, None] == 1) & np.isnan(link)[None, :], np.inf, link[None, :])  # one chip: no link
    need1 = fpt.totals(float(ctx_mem), 1.0, opts)
    fit1 = allowed & (need1[:, None] <= cap[None, :])
    inf = np.full((C, nE), np.inf)
    out = {k: inf.copy() for k in ("t_pf1", "tpot1", "tpot1b", "tpot", "step1", "tps_chip")}
    out.update(B=np.zeros((C, nE)), code=np.zeros((C, nE), dtype=int), code1=np.zeros((C, nE), dtype=int),
               need=np.broadcast_to(need1[:, None], (C, nE)).copy())
    if effm is not None:
        out.update({k: inf.copy() for k in ("t_pf1_bound", "tpot_bound", "iv0", "iv1", "tiv0", "tiv1")})
    if disagg:
        out.update(Bp=np.zeros((C, nE)), req_rate_chip=np.full((C, nE), np.nan), ttft_pool=inf.copy())
    ci, ei = np.nonzero(allowed & np.isfinite(peak)[None, :] & np.isfinite(bw)[None, :])
    if ci.size:
        pr = _Pairs(tab, fpt, ci, ei, peak, bw, lk[ci, ei], s_in, s_out, ctx_dec, ctx_mem, opts, overlap, disagg,
                    effm, fast)
        ones = np.ones(ci.size)
        pc, pm, pl, pt = pr.pre1
        t_pf1b = np.nan_to_num(pt, nan=np.inf)
        pf1_code = limiter_code(pc, pm, pl)
        t_pf1 = t_pf1b / pr.eff.eff("prefill", ones, pf1_code) if pr.eff is not None else t_pf1b
        tc1, tm1, tl1, step1 = pr.decode(ones)
        tp1 = np.nan_to_num(pr.tpot(ones)[0], nan=np.inf)
        ttft_ok = t_pf1 <= t_ttft if not disagg else np.ones(ci.size, dtype=bool)
        cap_p = cap[ei]
        act = fit1[ci, ei] & ttft_ok & (tp1 <= t_tpot)
        Bs = np.zeros(ci.size)
        if act.any():
            a = np.flatnonzero(act)
            sub = pr.subset(a)
            # the memory's largest batch first (footprints only, cheap), then the TPOT's below it
            # (the footprint grows with the batch, so every batch under the cap fits)
            b_mem = largest_true(lambda B: sub.need(B) <= cap_p[a], np.ones(a.size),
                                 np.full(a.size, float(_HI) + 1.0))

            def ok(B: np.ndarray) -> np.ndarray:
                with np.errstate(invalid="ignore"):
                    return sub.tpot(B)[0] <= t_tpot

            Bs[a] = largest_true(ok, np.ones(a.size), b_mem + 1.0)
        Bq = np.maximum(Bs, 1.0)
        tpot_b, code_b = pr.tpot(Bq)
        n_p = n_of[ci]
        vals = {"t_pf1": t_pf1, "tpot1": tp1, "tpot1b": np.nan_to_num(pr.tpot_raw(ones)[0], nan=np.inf),
                "tpot": tpot_b, "code": code_b, "need": pr.need(Bq), "tps_chip": Bq / (n_p * tpot_b), "B": Bs,
                "step1": step1, "code1": limiter_code(tc1, tm1, tl1)}
        if pr.eff is not None:  # the bound beside the estimate, and the estimate's interval
            tb = pr.tpot_raw(Bq)[0]
            iv = pr.eff.time_interval("decode", Bq, code_b, tpot_b, tb)
            tiv = pr.eff.time_interval("prefill", ones, pf1_code, t_pf1, t_pf1b)
            vals.update(t_pf1_bound=t_pf1b, tpot_bound=tb, iv0=iv[0], iv1=iv[1], tiv0=tiv[0], tiv1=tiv[1])
        if disagg:
            pok_ = allowed[ci, ei] & (pr.need(ones, s_in) <= cap_p) & (pr.prefill(ones) <= t_ttft)
            Bp = np.zeros(ci.size)
            if pok_.any():
                a = np.flatnonzero(pok_)
                sub = pr.subset(a)
                b_mem = largest_true(lambda b: sub.need(b, s_in) <= cap_p[a], np.ones(a.size),
                                     np.full(a.size, float(_HI) + 1.0))

                def pok(b: np.ndarray) -> np.ndarray:
                    with np.errstate(invalid="ignore"):
                        return sub.prefill(b) <= t_ttft

                Bp[a] = largest_true(pok, np.ones(a.size), b_mem + 1.0)
            tpp = pr.prefill(np.maximum(Bp, 1.0))
            vals.update(Bp=Bp, ttft_pool=tpp, req_rate_chip=np.where(Bp >= 1, Bp / (n_p * tpp), np.nan))
        for k, v in vals.items():
            out[k][ci, ei] = v
    cands = []
    for c, (n, lay) in enumerate(cand_list):
        d: dict[str, Any] = {k: v[c] for k, v in out.items()}
        d.update(n=n, lay=lay, allowed=allowed[c], fit1=fit1[c], need1=float(need1[c]))
        if effm is not None:
            d.update(tpot_iv=(d.pop("iv0"), d.pop("iv1")), ttft_iv=(d.pop("tiv0"), d.pop("tiv1")))
        cands.append(d)
    return cands, {**out, "allowed": allowed, "fit1": fit1, "n": n_of}


# --- the search ------------------------------------------------------------------------------
def plan(model: str | Model, input_tokens: int | str, output_tokens: int | str, *, ttft: str | pint.Quantity,
         tpot: str | pint.Quantity, chips: str | Chip | System | Iterable[str | Chip | System] | None = None,
         max_chips: int = 64, n_chips: int | Iterable[int] | None = None, disaggregated: bool = False,
         decode_context: str = "mean", weight_dtype: str | DType | None = "native", kv_dtype: str | DType = "bf16",
         activation_dtype: str | DType = "bf16", expert_dtype: str | DType | None = None,
         embedding_dtype: str | DType | None = None, precision: str | Precision | None = None,
         overlap: bool = True, basis: str = "estimate", engine: str | None = None) -> Plan:
    """Which chips (and systems) can serve ``model`` at ``input_tokens`` in / ``output_tokens``
    out within the ``ttft`` and ``tpot`` targets, and with how many chips (see the module
    docstring for the definitions and bounds).

    ``ttft``, ``tpot``: times with units (``"1 s"``, ``"30ms"``, a Quantity). ``chips``: ids,
    names, :class:`~accelspec.Chip` or :class:`~accelspec.System` objects; default every catalog
    chip and system. ``max_chips``: the largest deployment tried (powers of two up to it, or the
    counts in ``n_chips``); a system caps it at its own size. ``disaggregated``: prefill on its own
    pool (TPOT from decode alone; the result gives the prefill:decode chip ratio).
    ``decode_context``: ``"mean"`` (``S_in + S_out // 2``, default) or ``"final"`` (``S_in + S_out``).
    Dtypes are named and default as in :func:`accelspec.decode_bound` and :func:`accelspec.fits`:
    the weights in the checkpoint's own formats (``weight_dtype="native"``, resolved by
    :func:`~accelspec.perf.opcost.resolve_dtypes`: gpt-oss-120b's experts mxfp4, DeepSeek-V3
    fp8), bf16 KV cache, activations and linear-attention state, and the compute format from
    the weights. A chip without a peak for that format computes in bf16 (the weights upcast as
    they are read; fp16 where it publishes fp16 but not bf16, same bytes and FLOPs), and its row
    says so; an explicit ``precision`` or ``weight_dtype`` the chip lacks rules it out instead.
    The memory check uses the 2 GiB reserve and 8192-token prefill chunks.

    Parameters
    ----------
    model : str or Model
        Catalog id or name, or a :class:`~accelspec.Model`.
    input_tokens, output_tokens : int or str
        Prompt length ``S_in`` and generated length ``S_out`` per request [token]
        (``"2k"``, ``"128k"``, ``"1M"`` are read as counts).
    ttft : str or Quantity
        Time-to-first-token target [s] (a bare number is refused).
    tpot : str or Quantity
        Time-per-output-token target [ms].
    chips : str, Chip, System or iterable of them, optional
        The candidates (default: every catalog chip and system).
    max_chips : int, optional
        Largest deployment tried, powers of two up to it (default 64).
    n_chips : int or iterable of int, optional
        Chip counts to try instead of the powers of two.
    disaggregated : bool, optional
        Prefill on its own pool (default False: co-located).
    decode_context : {"mean", "final"}, optional
        Context of the decode step bounded (default ``"mean"``).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    kv_dtype, activation_dtype : str or DType, optional
        Formats of the KV cache and the activations (default ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as ``weight_dtype``).
    precision : str or Precision, optional
        Format the matmuls run in (default: from the weight format).
    overlap : bool, optional
        Compute, memory and communication overlap (default True).
    basis : {"estimate", "bound"}, optional
        ``"estimate"`` (default): every TTFT and TPOT compared with the targets is the bound's
        time divided by the calibrated efficiency of :func:`accelspec.perf.estimate.estimate_speed`
        for that chip, phase, regime, batch and limiter (what published runs reach), so the plan
        needs more chips or smaller batches than the bound's; ``"bound"``: the roofline bounds
        themselves, the optimistic edge no deployment beats.
    engine : str, optional
        The serving engine the estimate assumes (``"vLLM"``, ``"TensorRT-LLM"``, ...; default
        unknown: the field's effect). Ignored with ``basis="bound"``.

    Returns
    -------
    Plan
        One :class:`PlanRow` per candidate, best first: whether it meets the targets, the
        fewest chips, layout, batch, TTFT and TPOT [s], tokens/s per user and per chip
        [token/s], or the bound that rules it out.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        ``model`` or a candidate names nothing in the catalogs.
    PlanError
        A target, count or option is malformed (a bare number for a time, ``decode_context``
        neither ``"mean"`` nor ``"final"``, ...).

    Examples
    --------
    >>> p = plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 ms", chips=["h100-sxm"])
    >>> p.rows[0].status, p.rows[0].n_chips
    ('meets', 1)
    """
    from ..model.catalog import get_model

    m = get_model(model)
    s_in = _tokens(input_tokens, "input_tokens")
    s_out = _tokens(output_tokens, "output_tokens")
    t_ttft = seconds_of(ttft, "ttft")
    t_tpot = seconds_of(tpot, "tpot")
    if decode_context not in ("mean", "final"):
        raise PlanError(f"decode_context: 'mean' or 'final', got {decode_context!r}")
    top = _tokens(max_chips, "max_chips")
    est = check_basis(basis) == "estimate"
    ctx_dec = s_in + (s_out // 2 if decode_context == "mean" else s_out)
    ctx_mem = s_in + s_out
    kw = {k: v for k, v in {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype,
                            "expert_dtype": expert_dtype, "embedding_dtype": embedding_dtype,
                            "precision": precision}.items() if v is not None}
    ln1 = layout_numbers(m, Parallelism(), weight_dtype, **kw)
    prec = ln1.dtypes.precision
    native = may_fall_back(ln1.dtypes, precision is not None)  # the fallback rule of every entry point
    entries = _entries(chips)
    peak, bw, link, cap, used_prec, missing = _roofs(entries, prec, fallback=native)
    max_n = np.array([e.max_n for e in entries])
    prof = model_profile(m)
    opts = memory_options(m, weight_dtype=weight_dtype, kv_dtype=kv_dtype, expert_dtype=expert_dtype,
                    embedding_dtype=embedding_dtype, state_dtype="bf16", activation_dtype=activation_dtype,
                    prefill_chunk=8192, reserve=None)
    counts = _counts_grid(top, n_chips)
    # entries whose own size is not a power of two: also try that size (a whole system)
    extra = sorted({int(e.max_n) for e in entries if math.isfinite(e.max_n) and e.max_n <= top} - set(counts))
    counts = sorted(set(counts) | set(extra))
    effm = CalibratedEfficiency([e.chip for e in entries], m.is_moe, engine) if est else None
    cands, mats = _search(m, prof, opts, counts, entries, weight_dtype, kw, peak, bw, link, cap, max_n, s_in, s_out,
                          ctx_dec, ctx_mem, t_ttft, t_tpot, overlap, disaggregated, effm,
                          _fast_tiers(entries, prec, native))

    rows = []
    for i, e in enumerate(entries):
        rows.append(_row(i, e, cands, mats, missing[i], used_prec[i], cap[i], link[i], s_in, s_out, t_ttft, t_tpot,
                         disaggregated, top, ctx_dec, str(prec), est))
    order = {"meets": 0, "ruled out": 1, "unknown": 2}
    rows = [_with_cost(r, disaggregated) for r in rows]
    rows.sort(key=lambda r: (order[r.status], r.n_chips or 0, -(r.tokens_per_s_per_chip or 0.0), r.id))
    dt = ln1.dtypes
    mode = ("disaggregated: TPOT from decode alone on the decode pool; prefill pool sized for TTFT" if disaggregated
            else "co-located: each request's prefill shares the chips with decode (TPOT includes the prefill "
                 "compute of the batch's new requests)")
    assumptions = (f"weights {dt.weights_text()}, KV {dt.kv.name}, activations {dt.activation.name}, compute "
                   f"{dt.precision}; decode at {decode_context} context {ctx_dec:,} tokens, KV memory at the final "
                   f"context {ctx_mem:,}; {mode}; counts {', '.join(map(str, counts))} chips, layouts with dp=1 "
                   f"(replicas are separate deployments), reserve {float(DEFAULT_RESERVE) / 2**30:g} GiB per chip; "
                   f"nominal catalog values, efficiencies 1.0, overlap {'on' if overlap else 'off'}; no queueing; "
                   "1 token per decode step (no speculative decoding)")
    if est:
        assumptions = assumptions.replace("nominal catalog values, efficiencies 1.0",
                                          "nominal catalog values, each time divided by its calibrated efficiency")
    assumptions += "; " + basis_text(basis, engine)
    if est:
        assumptions += ("; a decode step at batch <= 16 in the low-latency regime, above it the throughput regime, "
                        "the estimate never faster past a batch-bucket end than at it (within a bucket, a change of "
                        "limiter may make it dip); the intervals are the calibration's at the row's deployment")
    return Plan(model=m.id, input_tokens=s_in, output_tokens=s_out, ttft_s=t_ttft, tpot_s=t_tpot,
                disaggregated=disaggregated, decode_context=ctx_dec, max_chips=top, rows=tuple(rows),
                assumptions=assumptions, basis=basis)


def _fmt_t(t: float) -> str:
    return f"{t * 1e3:.4g} ms" if t < 1 else f"{t:.4g} s"


def _first_max(idx: np.ndarray, key: np.ndarray) -> int:
    """The first of ``idx`` whose ``key`` is largest (Python's ``max`` over them, in order)."""
    return int(idx[int(np.argmax(key[idx]))])


def _row(i: int, e: _Entry, cands: list[dict[str, Any]], mats: dict[str, np.ndarray], missing: list[str], prec: str,
         cap: float, link: float,
         s_in: int, s_out: int, t_ttft: float, t_tpot: float, disagg: bool, top: int, ctx_dec: int,
         want: str = "bf16", est: bool = False) -> PlanRow:
    name = e.name if e.kind == "chip" else f"{e.name} ({e.chip.id})"
    base: dict[str, Any] = {"id": e.id, "name": name, "kind": e.kind, "chip": e.chip.id, "precision": prec,
                            "capacity_gb": None if math.isnan(cap) else cap / 1e9}
    notes = []
    if prec == "fp16":
        notes.append(f"no {want if want != 'fp16' else 'bf16'} peak published: compute at fp16 "
                     "(same bytes and FLOPs)")
    elif prec != want:
        notes.append(f"no {want} peak published: compute at {prec} (the weights upcast as they are read)")
    if math.isnan(link):
        notes.append("no scale-up interconnect published: single chip only")
    mine_i = np.flatnonzero(mats["allowed"][:, i]) if mats else np.zeros(0, dtype=np.intp)
    mine = [cands[j] for j in mine_i]
    upto = int(min(top, e.max_n)) if math.isfinite(e.max_n) else top
    if missing:
        timed = [x for x in missing if "capacity" not in x]
        reasons = []
        if timed:
            reasons.append(f"no time bound: {' and '.join(timed)} published")
        if "no memory capacity" in missing:
            reasons.append("no memory capacity published: the fit cannot be judged")
        else:
            fit = [c for c in mine if c["fit1"][i]]
            where = "one chip (no scale-up interconnect published)" if math.isnan(link) else f"up to {upto} chips"
            reasons.append(f"memory alone: holds the model at batch 1 on {fit[0]['n']} chip(s) ({fit[0]['lay']})"
                           if fit else f"memory alone: does not fit on {where}")
        return PlanRow(status="unknown", reasons=tuple(reasons), notes=tuple(notes), **base)
    # the choices, on the (candidate, entry) matrices: the fewest chips meeting both targets, the
    # highest tokens/s per chip among them; the best tokens/s per chip at any count (fewer chips on a tie)
    good = mine_i[mats["B"][mine_i, i] >= 1] if mine_i.size else mine_i
    pre = (mine_i[mats["Bp"][mine_i, i] >= 1] if disagg and "Bp" in mats and mine_i.size else
           np.zeros(0, dtype=np.intp))
    if good.size and (not disagg or pre.size):
        n_of, tps = mats["n"], mats["tps_chip"][:, i]
        n_min = int(n_of[good].min())
        c = cands[_first_max(good[n_of[good] == n_min], tps)]
        top_i = good[tps[good] == tps[good].max()]
        best = cands[int(top_i[int(np.argmin(n_of[top_i]))])]
        B = int(c["B"][i])
        fields: dict[str, Any] = dict(
            status="meets", reasons=(), n_chips=n_min, layout=str(c["lay"]), batch=B,
            ttft_s=float(c["t_pf1"][i]), tpot_s=float(c["tpot"][i]),
            tokens_per_s_per_chip=float(c["tps_chip"][i]), tokens_per_s_per_user=float(1.0 / c["tpot"][i]),
            limiter=LIMITERS[int(c["code"][i])], memory_per_chip_gb=float(c["need"][i]) / 1e9,
            best_n_chips=best["n"], best_layout=str(best["lay"]), best_batch=int(best["B"][i]),
            best_tokens_per_s_per_chip=float(best["tps_chip"][i]))
        if est:
            Bq = max(B, 1)
            tv = c["tpot_iv"]
            fields.update(basis="estimate", ttft_bound_s=float(c["t_pf1_bound"][i]),
                          tpot_bound_s=float(c["tpot_bound"][i]),
                          ttft_interval_s=(float(c["ttft_iv"][0][i]), float(c["ttft_iv"][1][i])),
                          tpot_interval_s=(float(tv[0][i]), float(tv[1][i])),
                          tokens_per_s_per_chip_interval=(Bq / (n_min * float(tv[1][i])),
                                                          Bq / (n_min * float(tv[0][i]))))
        if disagg:
            np_min = int(mats["n"][pre].min())
            p = cands[_first_max(pre[mats["n"][pre] == np_min], mats["req_rate_chip"][:, i])]
            dec_rate = c["tps_chip"][i] / s_out  # requests/s per decode chip
            ratio = float(dec_rate / p["req_rate_chip"][i])
            fields.update(prefill_n_chips=np_min, prefill_layout=str(p["lay"]), prefill_batch=int(p["Bp"][i]),
                          prefill_decode_ratio=ratio,
                          tokens_per_s_per_chip_with_prefill=float(c["tps_chip"][i] / (1.0 + ratio)),
                          ttft_s=float(p["ttft_pool"][i]))
            if est:  # the interval of the prefill pool's TTFT: not computed (the decode interval is given)
                fields.update(ttft_interval_s=None, ttft_bound_s=None)
        return PlanRow(notes=tuple(notes), **fields, **base)
    # ruled out: say by which bound
    reasons = []
    fit = [c for c in mine if c["fit1"][i]]
    if not fit:
        need1 = min((c["need1"] for c in mine), default=math.nan)
        n_last = max((c["n"] for c in mine), default=1)
        where = "one chip (no scale-up interconnect published)" if math.isnan(link) else f"up to {upto} chips"
        reasons.append(f"does not fit in memory on {where} at batch 1 (needs {need1 / 1e9:.4g} GB per chip on "
                       f"{n_last} chip(s), capacity {cap / 1e9:.4g} GB)"
                       if math.isfinite(need1) else "no layout can shard the model")
        return PlanRow(status="ruled out", reasons=tuple(reasons), notes=tuple(notes), **base)
    one = [c for c in fit if c["n"] == 1]
    pre_word, word, ge = ("estimated prefill", "estimated ", "~") if est else ("prefill bound", "", ">= ")
    lim_names = {0: "compute", 1: "memory", 2: "interconnect"}
    if not disagg:
        bt = min(fit, key=lambda c: c["t_pf1"][i])
        if bt["t_pf1"][i] > t_ttft:
            extra = (f" (one chip: {_fmt_t(float(one[0]['t_pf1'][i]))})" if one and bt["n"] > 1 else "")
            reasons.append(f"TTFT target {_fmt_t(t_ttft)} is below the {pre_word} of one {s_in:,}-token prompt: "
                           f"{ge}{_fmt_t(float(bt['t_pf1'][i]))} on {bt['n']} chip(s) ({bt['lay']}), the best of up to "
                           f"{upto}{extra}")
    else:
        pre_fit = [c for c in fit]
        bt = min(pre_fit, key=lambda c: c["t_pf1"][i])
        if bt["t_pf1"][i] > t_ttft:
            reasons.append(f"TTFT target {_fmt_t(t_ttft)} is below the {pre_word} of one {s_in:,}-token prompt: "
                           f"{ge}{_fmt_t(float(bt['t_pf1'][i]))} on {bt['n']} chip(s) ({bt['lay']}), the best of up to "
                           f"{upto}")
    bd = min(fit, key=lambda c: c["tpot1"][i])
    if bd["tpot1"][i] > t_tpot:
        code = int(bd["code1"][i])
        step = float(bd["step1"][i])
        what = (f"{lim_names[code]}-bound decode step" if disagg or bd["tpot1b"][i] <= step * (1 + 1e-9)
                else "decode step plus its share of the new prompts' prefill compute")
        extra = (f" (one chip: {_fmt_t(float(one[0]['tpot1'][i]))})" if one and bd["n"] > 1 else "")
        reasons.append(f"TPOT target {_fmt_t(t_tpot)} is below the {word}{what} at batch 1: {ge}"
                       f"{_fmt_t(float(bd['tpot1'][i]))} on {bd['n']} chip(s) ({bd['lay']}), the best of up to "
                       f"{upto}{extra}")
    if not reasons:
        a = min((c for c in fit if c["t_pf1"][i] <= t_ttft), key=lambda c: (c["n"], c["t_pf1"][i]))
        b = min((c for c in fit if c["tpot1"][i] <= t_tpot), key=lambda c: (c["n"], c["tpot1"][i]))
        reasons.append(f"no single layout of up to {upto} chips meets both targets and fits: TTFT alone needs "
                       f"{a['n']} chip(s) ({a['lay']}), TPOT alone {b['n']} ({b['lay']}), at batch 1")
    return PlanRow(status="ruled out", reasons=tuple(reasons), notes=tuple(notes), **base)


# --- the throughput-interactivity frontier ------------------------------------------------------
def frontier(model: Any, chips: Sequence[Any], input_tokens: Any, output_tokens: Any, *, n_chips: Any = None,
             batches: Any = None, disaggregated: bool = True, weight_dtype: Any = "native", kv_dtype: Any = "bf16",
             max_chips: int = 64, basis: str = "estimate", engine: str | None = None) -> list[dict[str, Any]]:
    """Per chip, the bound curve benchmarks publish: output tokens/s per chip against tokens/s per
    user, batch swept (``batches``, default 1 .. 65,536 in powers of two and their 1.5x), with
    ``fits`` False where the batch's KV cache does not fit (at the final context).

    ``n_chips``: one count for every chip, or ``None``: for each chip the fewest chips (power
    of two, up to ``max_chips``) that hold the model at batch 1; the layout is the one with the
    highest tokens/s per chip at each batch. ``disaggregated=True`` (default) draws the decode pool
    (TPOT = decode step); ``False`` adds the prefill compute as :func:`plan` does. Returns one dict
    per chip: ``chip``, ``name``, ``n_chips``, ``batch``, ``tokens_per_s_per_user``,
    ``tokens_per_s_per_chip``, ``fits`` (numpy arrays), ``layout`` (per batch), ``missing``,
    ``basis``.

    ``basis="estimate"`` (default): the two rates are the calibrated estimate (each step time the
    bound's divided by the efficiency of :class:`CalibratedEfficiency`, the layout the one with the
    highest estimated tokens/s per chip), and each dict also holds the bound's curve
    (``bound_tokens_per_s_per_user``, ``bound_tokens_per_s_per_chip``) and the estimate's 80%
    interval (``low_tokens_per_s_per_user``, ``low_tokens_per_s_per_chip``, ``high_...``: the
    pessimistic and optimistic ends); ``basis="bound"``: the bound curve alone, as before. A
    point of the estimate is a point of the bound scaled by an efficiency <= 1 on both axes, so
    the estimate's curve lies on or below the bound's."""
    from ..model.catalog import get_model

    m = get_model(model)
    est = check_basis(basis) == "estimate"
    s_in = _tokens(input_tokens, "input_tokens")
    s_out = _tokens(output_tokens, "output_tokens")
    if batches is None:
        p2 = 2.0 ** np.arange(0, 17)
        batches = np.unique(np.concatenate([p2, np.floor(p2 * 1.5)]))
    B = np.asarray(batches, dtype=float)
    kw = {"kv_dtype": kv_dtype}
    ln1 = layout_numbers(m, Parallelism(), weight_dtype, **kw)
    entries = _entries(list(chips))
    native = may_fall_back(ln1.dtypes, False)
    peak, bw, link, cap, _, missing = _roofs(entries, ln1.dtypes.precision, fallback=native)
    tiers = _fast_tiers(entries, ln1.dtypes.precision, native)
    prof = model_profile(m)
    opts = memory_options(m, weight_dtype=weight_dtype, kv_dtype=kv_dtype, expert_dtype=None, embedding_dtype=None,
                    state_dtype="bf16", activation_dtype="bf16", prefill_chunk=8192, reserve=None)
    ctx_dec, ctx_mem = s_in + s_out // 2, s_in + s_out
    out = []
    for i, e in enumerate(entries):
        res: dict[str, Any] = {"chip": e.id, "name": e.name, "missing": missing[i], "basis": basis}
        nan = np.full(B.size, np.nan)
        if est:
            res.update({f"{k}_tokens_per_s_per_{w}": nan for k in ("bound", "low", "high") for w in ("user", "chip")})
        if missing[i]:
            res.update(n_chips=None, batch=B, tokens_per_s_per_user=nan,
                       tokens_per_s_per_chip=nan, fits=np.zeros(B.size, bool), layout=[])
            out.append(res)
            continue
        counts = [int(n_chips)] if n_chips is not None else _counts_grid(min(max_chips, int(min(e.max_n, 1 << 30))),
                                                                          None)
        chosen = None
        for n in counts:
            if n > 1 and math.isnan(link[i]):
                break
            lays = _layouts(m, n, float(s_in))
            needs = [float(footprint_terms(prof, lay, np.asarray(float(ctx_mem)), np.asarray(1.0), opts)["total"])
                     for lay in lays]
            if any(x <= cap[i] for x in needs) or n_chips is not None:
                chosen = (n, lays)
                break
        if chosen is None:
            res.update(n_chips=None, batch=B, tokens_per_s_per_user=nan,
                       tokens_per_s_per_chip=nan, fits=np.zeros(B.size, bool), layout=[],
                       missing=[f"does not fit at batch 1 on up to {max_chips} chips"])
            out.append(res)
            continue
        n, lays = chosen
        lk = link[i] if n > 1 else (np.inf if math.isnan(link[i]) else link[i])
        effm = CalibratedEfficiency([e.chip], m.is_moe, engine) if est else None
        # every (layout, batch) pair in one pass: the plan's step (micro-batched pipelines)
        L, nb = len(lays), B.size
        ci = np.repeat(np.arange(L), nb)
        pr = _Pairs(layout_table(m, lays, weight_dtype, kw), footprint_table_of(prof, lays, opts), ci,
                    np.zeros(ci.size, dtype=np.intp), peak[i:i + 1], bw[i:i + 1], np.full(ci.size, lk), s_in,
                    s_out, ctx_dec, ctx_mem, opts, True, disaggregated, effm,
                    None if tiers is None else (tiers[0][i:i + 1], tiers[1][i:i + 1]))
        Bp = np.tile(B, L)
        t_b, code_b = pr.tpot_raw(Bp)
        fits_all = (pr.need(Bp) <= cap[i]).reshape(L, nb)
        per: dict[str, tuple[np.ndarray, Any]] = {"bound": (t_b.reshape(L, nb), None)}
        if pr.eff is not None:
            t_e = pr.tpot(Bp)[0]
            fast, slow = pr.eff.time_interval("decode", Bp, code_b, t_e, t_b)
            per["estimate"] = (t_e.reshape(L, nb), (slow.reshape(L, nb), fast.reshape(L, nb)))

        # per batch: (tokens/s per chip, per user, fits, layout) of the best layout, bound and estimate
        best: dict[str, dict[str, Any]] = {}
        for li, lay in enumerate(lays):
            fit = fits_all[li]
            sets = {k: (tt[li], None if iv is None else (iv[0][li], iv[1][li])) for k, (tt, iv) in per.items()}
            for key, (tt, iv) in sets.items():
                tps = B / (n * tt)
                b = best.setdefault(key, {"tps": np.full(B.size, -np.inf), "user": np.full(B.size, np.nan),
                                          "fit": np.zeros(B.size, bool), "lay": [""] * B.size,
                                          "lo": np.full(B.size, np.nan), "hi": np.full(B.size, np.nan)})
                # prefer a fitting layout; among fitting (or among all, when none fits) the fastest
                score = np.where(fit, tps, tps - 1e18)
                cur = np.where(b["fit"], b["tps"], b["tps"] - 1e18)
                better = score > cur
                b["tps"] = np.where(better, tps, b["tps"])
                b["user"] = np.where(better, 1.0 / tt, b["user"])
                b["fit"] = np.where(better, fit, b["fit"])
                b["lay"] = [str(lay) if x else old for x, old in zip(better, b["lay"], strict=True)]
                if iv is not None:
                    b["lo"] = np.where(better, iv[0], b["lo"])  # slow end (time)
                    b["hi"] = np.where(better, iv[1], b["hi"])  # fast end (time)
        main = best["estimate" if est else "bound"]
        res.update(n_chips=n, batch=B, tokens_per_s_per_user=main["user"], tokens_per_s_per_chip=main["tps"],
                   fits=main["fit"], layout=main["lay"])
        if est:
            bb = best["bound"]
            res.update(bound_tokens_per_s_per_user=bb["user"], bound_tokens_per_s_per_chip=bb["tps"],
                       low_tokens_per_s_per_user=1.0 / main["lo"], low_tokens_per_s_per_chip=B / (n * main["lo"]),
                       high_tokens_per_s_per_user=1.0 / main["hi"], high_tokens_per_s_per_chip=B / (n * main["hi"]))
        out.append(res)
    return out
