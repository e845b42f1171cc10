"""Shared kernels of the performance model (internal): each formula written once.

:mod:`~accelspec.perf.memory`, :mod:`~accelspec.perf.bounds`, :mod:`~accelspec.perf.sweep`
(and the planners built on them) call these; nothing here is re-exported by :mod:`accelspec`.

==============================  ====================================================================
kernel                          what it computes
==============================  ====================================================================
:func:`expected_experts`        distinct routed experts ``N`` tokens touch, balanced routing
:func:`fewest_experts`          the fewest distinct experts (every token picks the same ``k``)
:func:`routed_experts`          one of the two, by the routing model
:func:`step_times`              the roofline of one step: ``max`` (or sum) of compute, memory, link
:func:`memory_time`             the memory term, with an on-chip tier read first where there is one
:func:`tier_time`               the least time to read bytes from memory tiers, fastest filled first
:func:`limiter_code`            which of the three terms is largest
:func:`expert_split`            the chips one MoE layer's routed experts are split over
:func:`layout_preference`       the order in which equal layouts are preferred (:func:`preference_order`)
:func:`layout_chips`            the chips a fixed layout (``"tp=4,pp=2"``, a mapping) uses
:func:`layout_shapes`           every ``(tp, pp, cp, dp)`` of ``n`` chips; :func:`expert_degrees`
:func:`largest_true`            the largest integer meeting a monotone test, per entry, vectorized
:func:`segment_rows`            the rows of blocks of a table laid end to end (a layout's stages)
==============================  ====================================================================

Everything runs on floats or numpy arrays (broadcast together); no pint inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np


class _Layout(Protocol):
    """What the kernels read of a :class:`~accelspec.perf.memory.Parallelism`."""

    @property
    def tp(self) -> int: ...
    @property
    def pp(self) -> int: ...
    @property
    def ep(self) -> int: ...
    @property
    def cp(self) -> int: ...
    @property
    def dp(self) -> int: ...

__all__ = [
    "DEFAULT_RESERVE",
    "LAYOUT_TIE",
    "LIMITERS",
    "MAX_SEARCH_CHIPS",
    "MEM_KW",
    "expected_experts",
    "expert_degrees",
    "expert_split",
    "fewest_experts",
    "largest_true",
    "layout_chips",
    "layout_preference",
    "layout_shapes",
    "limiter_code",
    "memory_time",
    "preference_order",
    "routed_experts",
    "segment_rows",
    "step_times",
    "tier_time",
]

#: what limits a step, by code (the sweep's ``limiter`` column uses these names)
LIMITERS = ("compute", "memory", "interconnect")

#: the framework reserve per chip when none is given [B] (2 GiB)
DEFAULT_RESERVE = 2 * 2**30

#: the dtype arguments the memory calculators take (the bounds take these and ``precision``)
MEM_KW = ("weight_dtype", "kv_dtype", "expert_dtype", "embedding_dtype", "state_dtype", "activation_dtype")

#: the layout searches' tie: step times within this relative gap of the least are equal, and the
#: search's preference (:func:`layout_preference`) picks among them. Two ways of computing one
#: time (the search's vectorized table, the bounds' kernels, the sweep's grids) round apart by
#: about 1e-16, so every search names the same layout for the same time.
LAYOUT_TIE = 1e-12

#: Largest chip count the automatic layout search considers (a 1M-chip deployment is far beyond any built).
MAX_SEARCH_CHIPS = 1_048_576

_AXES = ("tp", "pp", "ep", "cp", "dp")
_CHIP_AXES = ("tp", "pp", "cp", "dp")  # ep reuses the chips of a stage


# --- MoE routing -----------------------------------------------------------------------------
def expected_experts(n_experts: Any, top_k: Any, tokens: Any) -> Any:
    """Expected distinct experts ``E (1 - (1 - k/E)^N)`` that ``N`` tokens routed uniformly and
    independently to ``k`` of ``E`` experts each touch (``U(1) = k``, ``U -> E``).

    Parameters
    ----------
    n_experts : float or array_like
        Routed experts per MoE layer, ``E``.
    top_k : float or array_like
        Experts per token, ``k`` (``0 <= k <= E``; not checked here).
    tokens : float or array_like
        Tokens routed in the step, ``N`` [token].

    Returns
    -------
    float or numpy.ndarray
        ``U(N)``, computed as ``-E expm1(N log1p(-k/E))`` (accurate for large ``E``); ``E``
        when ``k >= E`` and ``N > 0``, 0 without tokens or experts.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.greater_equal(top_k, n_experts), np.where(np.greater(tokens, 0), n_experts, 0.0),
                        -n_experts * np.expm1(tokens * np.log1p(-(np.divide(top_k, n_experts)))))


def fewest_experts(n_experts: float, top_k: float, tokens: Any) -> Any:
    """Fewest distinct routed experts ``N`` tokens with ``k`` experts each can touch: every token
    picks the same ``k``, so ``min(k, E)`` (0 without tokens or experts): a strict lower bound."""
    if top_k <= 0:
        return 0.0 * tokens
    return np.where(tokens > 0, min(top_k, n_experts), 0.0) + 0.0 * tokens


def routed_experts(n_experts: float, top_k: float, tokens: Any, routing: str = "balanced") -> Any:
    """Distinct routed experts per MoE layer a step reads: ``"balanced"``, the expectation under
    uniform independent routing (:func:`expected_experts`); ``"best-case"``, the fewest
    possible (:func:`fewest_experts`)."""
    if routing == "best-case":
        return fewest_experts(n_experts, top_k, tokens)
    return expected_experts(n_experts, top_k, tokens)


# --- the roofline of one step -------------------------------------------------------------------
def tier_time(mem: Any, tiers: Sequence[tuple[Any, Any]]) -> Any:
    """Least time [s] to read ``mem`` bytes per chip from memory tiers ``(capacity [B],
    bandwidth [B/s])`` per chip, fastest first: each holds as much as it can, then the next,

        b_i = min(M - sum_{j<i} b_j, C_i);   t = sum_i b_i / B_i

    Filling the fastest tier first gives the least time over every placement, so ``t`` is a
    lower bound. Give the last tier an infinite capacity; a tier of infinite bandwidth (one
    nobody published, read in no time) adds nothing. Floats or numpy arrays alike."""
    t: Any = 0.0
    left = mem
    for cap, bw in tiers:
        b = np.minimum(left, cap)
        t = t + b / bw
        left = left - b
    return t


def memory_time(mem: Any, n_chips: Any, bw: Any, fast: tuple[Any, Any] | None = None) -> Any:
    """The memory term [s] of a step moving ``mem`` bytes over ``n_chips``: ``M / (n B)``, or
    with ``fast`` (``(capacity [B], bandwidth [B/s])`` per chip of an on-chip tier read before
    the memory roof ``B``, the SN40L's SRAM) :func:`tier_time` of ``M / n`` bytes per chip over
    that tier and ``B``. Floats or numpy arrays alike."""
    if fast is None:
        return mem / (n_chips * bw)
    return tier_time(mem / n_chips, (fast, (math.inf, bw)))


def step_times(flops: Any, mem: Any, comm: Any, n_chips: Any, peak: Any, bw: Any, link: Any,
               overlap: bool = True, comm_out: Any = 0.0, link_out: Any = math.nan, *,
               fast: tuple[Any, Any] | None = None) -> tuple[Any, Any, Any, Any]:
    """``(t_compute, t_memory, t_comm, t)`` [s] of one step; floats or numpy arrays alike.

    ``t_compute = F / (n P)``, ``t_memory = M / (n B)``; ``comm`` bytes per chip per direction
    run on the scale-up ``link``, ``comm_out`` on the scale-out ``link_out`` (two tiers):
    ``t_comm = max(comm / link, comm_out / link_out)`` with ``overlap`` (separate links), their
    sum without. A tier's time is 0 when nothing is sent on it, even if its bandwidth is
    unknown (nan). ``t = max(t_compute, t_memory, t_comm)`` with ``overlap``, else their sum.

    ``fast``: ``(capacity [B], bandwidth [B/s])`` per chip of an on-chip tier read before the
    memory roof ``B`` (the SN40L's SRAM beside its HBM,
    :meth:`~accelspec.perf.roofline.ChipNumbers.fast_tier`): ``t_memory`` is then
    :func:`tier_time` of ``M / n`` bytes per chip over that tier and ``B``.
    """
    tc = flops / (n_chips * peak)
    tm = memory_time(mem, n_chips, bw, fast)
    with np.errstate(invalid="ignore", divide="ignore"):
        tl = np.where(comm > 0.0, comm / link, 0.0)
        if isinstance(comm_out, float) and comm_out == 0.0:
            pass  # nothing leaves the scale-up domain
        elif np.any(comm_out):
            to = np.where(comm_out > 0.0, comm_out / link_out, 0.0)
            tl = np.maximum(tl, to) if overlap else tl + to
    if overlap:
        t = np.maximum(np.maximum(tc, tm), tl)
    else:
        t = tc + tm + tl
    return tc, tm, tl, t


def segment_rows(first: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Row indices of the blocks ``[first[i], first[i] + size[i])`` of a table, laid end to end
    in order: how a layout table gathers each candidate's stage rows (repeats allowed).

    >>> segment_rows(np.array([5, 0]), np.array([2, 3])).tolist()
    [5, 6, 0, 1, 2]
    """
    first = np.asarray(first, dtype=np.intp)
    size = np.asarray(size, dtype=np.intp)
    ends = np.cumsum(size)
    return np.repeat(first - (ends - size), size) + np.arange(int(ends[-1]) if size.size else 0)


def largest_true(ok: Any, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Largest integer ``b`` with ``ok(b)`` true, per entry, by bisection between ``lo`` (known
    true) and ``hi`` (known false): ``ok`` takes an array with one value per entry and must be
    true on a prefix (monotone). Every entry is resolved in ``log2(hi - lo)`` rounds, each round
    one vectorized evaluation of every entry (the planner's largest batch per (layout, chip)).

    >>> largest_true(lambda b: b <= np.array([3.0, 10.0]), np.ones(2), np.full(2, 64.0)).tolist()
    [3.0, 10.0]
    """
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    while True:
        open_ = hi - lo > 1.0
        if not open_.any():
            return lo
        mid = np.where(open_, np.floor(0.5 * (lo + hi)), lo)
        r = ok(mid)
        lo = np.where(open_ & r, mid, lo)
        hi = np.where(open_ & ~r, mid, hi)


def limiter_code(tc: Any, tm: Any, tl: Any) -> Any:
    """Index into :data:`LIMITERS` of the largest term (ties go to compute, then memory)."""
    return np.where(tc >= tm, np.where(tc >= tl, 0, 2), np.where(tm >= tl, 1, 2))


# --- layouts ------------------------------------------------------------------------------------
def expert_split(tp: int, ep: int) -> int:
    """Chips one MoE layer's routed experts are split over: ``ep`` when expert parallel, else
    ``tp`` (each expert tensor-split). The weight sharding rule of both the footprint and the
    bounds."""
    return ep if ep > 1 else tp


def layout_preference(lay: _Layout) -> tuple[int, int, int, int, int]:
    """Sort key of the layout search's tie-break: fewer pipeline, context and data-parallel
    ranks first, then more tensor parallel, then fewer expert-parallel ranks (the simpler
    layout where splitting the experts changes nothing). The one order of every search
    (memory fit, bounds, sweep, request, session, plan)."""
    return (lay.pp, lay.cp, lay.dp, -lay.tp, lay.ep)


def preference_order(lays: Sequence[_Layout]) -> list[int]:
    """Indices of ``lays`` in :func:`layout_preference` order, ties in list order."""
    return sorted(range(len(lays)), key=lambda i: (*layout_preference(lays[i]), i))


def layout_chips(spec: Any) -> int | None:
    """The chips a fixed layout uses (``tp * pp * cp * dp``): a :class:`Parallelism`, a mapping
    or a ``"tp=4,pp=2"`` string; ``None`` for a strategy name, ``"auto"``, ``None`` or anything
    unreadable (:meth:`Parallelism.parse` reports a malformed one)."""
    if spec is None:
        return None
    if all(hasattr(spec, k) for k in _AXES) and hasattr(spec, "n_chips"):
        return int(spec.n_chips)
    if isinstance(spec, Mapping):
        items: Any = spec.items()
    elif isinstance(spec, str) and "=" in spec:
        items = (p.partition("=")[::2] for p in spec.replace(" ", "").replace(";", ",").split(","))
    else:
        return None
    try:
        return math.prod(int(v) for k, v in items if str(k).strip().lower() in _CHIP_AXES)
    except (TypeError, ValueError):
        return None


def divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]  # O(sqrt n)
    return sorted({*small, *(n // d for d in small)})


def layout_shapes(n: int) -> list[tuple[int, int, int, int]]:
    """Every ``(tp, pp, cp, dp)`` with ``tp * pp * cp * dp = n``, in the search's order (``tp``,
    then ``pp``, then ``cp`` ascending).

    Raises
    ------
    InvalidArgumentError
        ``n`` is beyond :data:`MAX_SEARCH_CHIPS`.
    """
    from ..errors import InvalidArgumentError

    if n > MAX_SEARCH_CHIPS:
        raise InvalidArgumentError("n_chips", f"the layout search covers at most {MAX_SEARCH_CHIPS:,} chips, got "
                                   f"{n:,}; give parallelism= explicitly for larger deployments")
    divs = divisors(n)
    return [(tp, pp, cp, n // tp // pp // cp) for tp in divs for pp in divs if (n // tp) % pp == 0
            for cp in divs if (n // tp // pp) % cp == 0]


def expert_degrees(group: int, n_experts: int) -> list[int]:
    """Expert-parallel degrees ``ep > 1`` possible on a stage of ``group`` chips: those that
    divide both the stage's chips and the routed experts."""
    return [e for e in range(2, group + 1) if group % e == 0 and n_experts % e == 0]
