"""Lower bounds on decode step time and time to first token; upper bounds on tokens/s.

For one step with FLOPs ``F``, memory bytes ``M`` (totals over the ``n`` chips) and link
bytes ``C`` per chip and direction (:mod:`accelspec.costs`), on chips with peak compute
``P``, memory bandwidth ``B`` and scale-up bandwidth per direction ``L``, each scaled by its
efficiency factor (achieved fraction of peak, default 1.0):

* ``t_compute = F / (n P)``, ``t_memory = M / (n B)``, ``t_comm = C / L``;
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

Fixed latencies (kernel launch, link latency, synchronisation) are left out: they only add
time, so the result stays a lower bound.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from .chip import Chip, NotPublishedError, Precision
from .costs import DTypes, ModelNumbers, decode_traffic, model_numbers, prefill_traffic
from .roofline import _check_efficiency, chip_numbers
from .units import Q_, ureg

if TYPE_CHECKING:
    from .model import Model

__all__ = ["LIMITERS", "Bound", "decode_bound", "prefill_bound"]

#: what limits a step, by code (the sweep's ``limiter`` column uses these names)
LIMITERS = ("compute", "memory", "interconnect")

_S = ureg.Unit("s")
_MS = ureg.Unit("ms")
_TPS = ureg.Unit("token/s")


def step_times(flops: Any, mem: Any, comm: Any, n_chips: Any, peak: Any, bw: Any, link: Any,
               overlap: bool = True) -> tuple[Any, Any, Any, Any]:
    """``(t_compute, t_memory, t_comm, t)`` in seconds; floats or numpy arrays alike.

    ``t_comm`` is 0 when nothing is sent (one chip), even if ``link`` is unknown (nan).
    """
    tc = flops / (n_chips * peak)
    tm = mem / (n_chips * bw)
    tl = np.where(comm > 0.0, comm / link, 0.0)
    if overlap:
        t = np.maximum(np.maximum(tc, tm), tl)
    else:
        t = tc + tm + tl
    return tc, tm, tl, t


def limiter_code(tc: Any, tm: Any, tl: Any) -> Any:
    """Index into :data:`LIMITERS` of the largest term (ties go to compute, then memory)."""
    return np.where(tc >= tm, np.where(tc >= tl, 0, 2), np.where(tm >= tl, 1, 2))


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
        chips = f", {self.n_chips} chips TP" if self.n_chips > 1 else ""
        mode = "" if self.overlap else ", terms summed (no overlap)"
        moe = f", {self.unique_experts:.3g} distinct experts/layer" if self.unique_experts else ""
        unit = "OP/B" if self.precision.is_integer else "FLOP/B"
        spec = ""
        if self.phase == "decode":
            a = self.accepted_tokens_per_step
            spec = (f"; {a:.4g} accepted tokens per step (speculative decoding / MTP)" if a != 1.0 else
                    "; 1 token per step (no speculative decoding or multi-token prediction assumed)")
        return (f"{self.model} {self.phase} on {self.chip_name} ({self.dtypes.label()}; context "
                f"{self.context_tokens}, batch {self.batch}{chips}{mode}): >= {self.t * 1e3:.4g} ms {what}{rng}, "
                f"<= {self.tokens_per_s_per_user.m:.4g} token/s per user, <= {self.tokens_per_s_per_chip.m:.4g} "
                f"token/s per chip; {self.limiter}-bound, intensity {self.flops / self.bytes:.4g} {unit} "
                f"vs ridge {self.ridge:.4g}{moe}{spec}")

    def __str__(self) -> str:
        return self.explain()


def _count(value: Any, what: str) -> int:
    from .memory import _MAX_COUNT, InvalidArgumentError

    class CountTypeError(InvalidArgumentError, TypeError):
        pass

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise CountTypeError(what, f"expected a whole number, got {value!r}")
    if value < 1:
        raise InvalidArgumentError(what, f"must be at least 1, got {value!r}")
    if value > _MAX_COUNT:
        raise InvalidArgumentError(what, f"must be at most 2**53, got {value!r}")
    return int(value)




def _accepted(value: Any) -> float:
    """Check ``accepted_tokens_per_step``: a finite number >= 1 (tokens kept per step)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"accepted_tokens_per_step: expected a number, got {value!r}")
    a = float(value)
    if not math.isfinite(a) or a < 1.0:
        raise ValueError(f"accepted_tokens_per_step: must be at least 1 (tokens kept per verification step), "
                         f"got {value!r}")
    return a


def _bound(phase: str, model: Model | str, chip: Chip | str, context_tokens: int, batch: int, n_chips: int,
           weight_dtype: Any, dtype_kw: dict[str, Any], sparse: bool, overlap: bool,
           effs: tuple[float, float, float]) -> Bound:
    T = _count(context_tokens, "context_tokens")
    B = _count(batch, "batch")
    n = _count(n_chips, "n_chips")
    kw = {k: v for k, v in dtype_kw.items() if v is not None}
    mn: ModelNumbers = model_numbers(model, weight_dtype, **kw)
    cn = chip_numbers(chip, mn.dtypes.precision, sparse=sparse)
    if n > 1 and not cn.has_link:
        raise NotPublishedError(f"{cn.chip_name}: no scale-up interconnect bandwidth published; "
                                f"tensor parallelism over {n} chips needs it")
    ec, eb, el = (_check_efficiency("compute_efficiency", effs[0]), _check_efficiency("bandwidth_efficiency", effs[1]),
                  _check_efficiency("link_efficiency", effs[2]))
    kernel = decode_traffic if phase == "decode" else prefill_traffic
    flops, mem, comm = kernel(mn, float(T), float(B), float(n))
    times = []
    for j in (1, 2, 0):  # nominal, high roofs (low time), low roofs (high time)
        times.append(step_times(flops, mem, comm, float(n), cn.peak[j] * ec, cn.bandwidth[j] * eb,
                                cn.link[j] * el, overlap))
    tc, tm, tl, t = (float(x) for x in times[0])
    tokens = float(B) if phase == "decode" else float(B) * float(T)
    U = 0.0
    if mn.is_moe:
        from .costs import _unique

        U = float(_unique(mn.n_experts, mn.top_k, tokens))
    return Bound(
        phase=phase, model=mn.id, chip=cn.chip_id, chip_name=cn.chip_name, dtypes=mn.dtypes, context_tokens=T,
        batch=B, n_chips=n, overlap=overlap, efficiencies=(ec, eb, el), flops=float(flops), bytes=float(mem),
        comm_bytes=float(comm), t_compute=tc, t_memory=tm, t_comm=tl, t=t, t_low=float(times[1][3]),
        t_high=float(times[2][3]), unique_experts=U, ridge=cn.peak[1] * ec / (cn.bandwidth[1] * eb),
    )


def decode_bound(model: Model | str, chip: Chip | str, context_tokens: int, batch: int = 1, n_chips: int = 1, *,
                 weight_dtype: Any = "bf16", kv_dtype: Any = "bf16", activation_dtype: Any = "bf16",
                 expert_dtype: Any = None, embedding_dtype: Any = None, state_dtype: Any = "bf16",
                 precision: Any = None, sparse: bool = False, overlap: bool = True, compute_efficiency: float = 1.0,
                 bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0,
                 accepted_tokens_per_step: float = 1.0) -> Bound:
    """Lower bound on the time of one decode step: ``batch`` sequences each add one token at
    a context of ``context_tokens`` (including the new token), on ``n_chips`` chips in tensor
    parallel. Formulas: :mod:`accelspec.bounds` and :mod:`accelspec.costs`.

    Dtypes (defaults in :func:`accelspec.costs.resolve_dtypes`, the same as
    :func:`accelspec.fits`): weights, KV cache, activations and linear-attention state bf16;
    ``weight_dtype="native"`` uses the checkpoint's formats. ``precision`` (the compute
    format; default the weight format, or bf16 below 8-bit weights)
    must be published by the chip, or :class:`~accelspec.chip.UnsupportedPrecisionError`
    lists those it has.

    Speculative decoding and multi-token prediction: ``accepted_tokens_per_step`` (``a``, at
    least 1 and at most the draft length + 1) is the mean number of tokens each sequence keeps
    per verification step. The step time stays the bound for one token per sequence (verifying
    ``k`` drafted tokens costs at least that), so the token rates are multiplied by ``a``:
    per user ``<= a / t``, per chip ``<= a batch / (n t)``. The default 1.0 is plain decoding,
    and ``explain()`` says so.

    >>> b = decode_bound("llama-3.1-8b", "h200-sxm", context_tokens=4096)
    >>> b.limiter, round(b.time.m, 3)            # (weights read + KV read) / 4.8 TB/s
    ('memory', 3.239)
    """
    a = _accepted(accepted_tokens_per_step)
    b = _bound("decode", model, chip, context_tokens, batch, n_chips, weight_dtype,
                  {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype, "expert_dtype": expert_dtype,
                   "embedding_dtype": embedding_dtype, "state_dtype": state_dtype, "precision": precision},
                  sparse, overlap, (compute_efficiency, bandwidth_efficiency, link_efficiency))
    return b if a == 1.0 else dataclasses.replace(b, accepted_tokens_per_step=a)


def prefill_bound(model: Model | str, chip: Chip | str, context_tokens: int, batch: int = 1, n_chips: int = 1, *,
                  weight_dtype: Any = "bf16", kv_dtype: Any = "bf16", activation_dtype: Any = "bf16",
                  expert_dtype: Any = None, embedding_dtype: Any = None, state_dtype: Any = "bf16",
                  precision: Any = None, sparse: bool = False, overlap: bool = True, compute_efficiency: float = 1.0,
                  bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0) -> Bound:
    """Lower bound on the time to first token: ``batch`` prompts of ``context_tokens`` tokens
    each, processed together on ``n_chips`` chips in tensor parallel (arguments as
    :func:`decode_bound`). Causal attention FLOPs grow as ``S(S+1)/2`` per sequence and layer;
    the memory term is the weights (every expert some token is routed to) plus the KV cache
    written; the output head runs for the last token of each prompt only.
    """
    return _bound("prefill", model, chip, context_tokens, batch, n_chips, weight_dtype,
                  {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype, "expert_dtype": expert_dtype,
                   "embedding_dtype": embedding_dtype, "state_dtype": state_dtype, "precision": precision},
                  sparse, overlap, (compute_efficiency, bandwidth_efficiency, link_efficiency))
