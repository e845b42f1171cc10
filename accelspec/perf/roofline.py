"""Roofline of one chip at one precision: peak compute, memory bandwidth, ridge point, and a
communication roof from the scale-up interconnect.

Formulas (Williams, Waterman & Patterson, "Roofline: an insightful visual performance model
for multicore architectures", CACM 52(4), 2009):

* attainable(I) = min(P, B * I), with P the peak compute (FLOP/s, or OP/s for integer
  formats), B the memory bandwidth (byte/s) and I the arithmetic intensity (FLOP/byte);
* ridge point I* = P / B: below it a kernel is memory-bound, above it compute-bound;
* the communication roof is the same construction with the scale-up link bandwidth per
  direction L (``Link.per_direction()``) and the intensity per byte sent over the link,
  I_c (FLOP per byte communicated): attainable = min(P, B * I, L * I_c); its ridge is P / L.

Every input may carry a range (``Spec.low`` / ``Spec.high``; an interconnect whose direction
is not stated gives per-direction bandwidth the range total/2 .. total). Peaks and bandwidths
are converted once to floats in base units (FLOP/s, OP/s, B/s) and cached per chip, so the
hot paths (:mod:`accelspec.perf.bounds`, :mod:`accelspec.perf.sweep`) run on bare floats; pint
Quantities appear only on the properties of the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pint

from ..errors import IntensityError, InvalidArgumentError
from ..hardware.chip import Chip, NotPublishedError, Precision, UnsupportedPrecisionError, as_precision
from ..units import Q_, UnitError, ureg
from .kernels import tier_time
from .opcost import DTypes, compute_fallback

if TYPE_CHECKING:
    from ..hardware.system import System

__all__ = [
    "ChipNumbers",
    "DroppedChip",
    "IntensityError",
    "Roofline",
    "TierNumbers",
    "chip_numbers",
    "chip_numbers_fallback",
    "compute_numbers",
    "effective_bandwidth",
    "fallback_precisions",
    "may_fall_back",
    "memory_tiers",
    "roofline",
    "rooflines",
    "tiered_memory_time",
    "with_roofs",
]


_FLOPS = ureg.Unit("FLOP/s")
_OPS = ureg.Unit("OP/s")
_BPS = ureg.Unit("B/s")
_BYTES = ureg.Unit("B")


_MIN_EFFICIENCY = 1e-6  # below this a time is meaningless (and 1e-320 would divide to infinity)


def check_efficiency(name: str, value: float) -> float:

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(name, f"expected a number in [1e-6, 1], got {value!r}") from None
    if not (_MIN_EFFICIENCY <= v <= 1.0):
        raise InvalidArgumentError(name, f"must be in [1e-6, 1] (achieved fraction of peak), got {value!r}")
    return v


@dataclass(frozen=True, slots=True)
class ChipNumbers:
    """A chip's roofs at one precision as floats in base units: ``(low, nominal, high)`` each.

    ``peak`` in FLOP/s (OP/s for integer precisions), ``bandwidth`` and ``link`` in B/s
    (``link`` per direction). A value nobody published is ``nan`` (``link``) or makes
    :func:`chip_numbers` raise (``peak``, ``bandwidth``, which every bound needs).
    """

    chip_id: str
    chip_name: str
    precision: Precision
    sparse: bool
    peak: tuple[float, float, float]
    bandwidth: tuple[float, float, float]
    link: tuple[float, float, float]
    link_note: str = ""
    #: the term left out, e.g. ``"compute term (no dense bf16 peak published for Zhenwu M890)"``;
    #: ``""`` when every roof is known. A dropped compute term has ``peak`` infinite.
    missing: str = ""
    #: which memory tier and bandwidth the memory roof is when it is not simply
    #: ``memory.bandwidth`` of a chip's only memory (SRAM-only chips, a fallback to another
    #: tier, an on-chip SRAM read before the device memory); ``""`` otherwise
    bandwidth_note: str = ""
    #: capacity per chip [B] of an on-chip tier read before the memory roof (``(low, nominal,
    #: high)``; zeros when there is none): :meth:`fast_tier`
    fast_capacity: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: bandwidth per chip [B/s] of that tier (``inf`` when nobody published it)
    fast_bandwidth: tuple[float, float, float] = (math.inf, math.inf, math.inf)

    @property
    def has_link(self) -> bool:
        return not math.isnan(self.link[1])

    def fast_tier(self, end: int = 1, efficiency: float = 1.0, chips: float = 1.0) -> tuple[float, float] | None:
        """``(capacity [B], bandwidth [B/s])`` per chip of the on-chip tier read before the
        memory roof, for :func:`~accelspec.perf.kernels.step_times`' ``fast``: the SN40L's
        520 MB of SRAM beside its HBM, of unpublished (so infinite) bandwidth.

        Parameters
        ----------
        end : {0, 1, 2}, optional
            Which end of the ranges: 0 low, 1 nominal (default), 2 high (the larger capacity
            and bandwidth, the lower time).
        efficiency : float, optional
            Achieved fraction of the tier's bandwidth (the bound's ``bandwidth_efficiency``).
        chips : float, optional
            Chips whose work one chip's times stand for (work spread evenly over ``n`` chips,
            timed on one and divided by ``n``: their ``n`` SRAMs), default 1.

        Returns
        -------
        tuple of float, or None
            None when the chip has no such tier.
        """
        if not self.fast_capacity[end] > 0:
            return None
        return self.fast_capacity[end] * chips, self.fast_bandwidth[end] * efficiency


_CACHE: dict[tuple[int, Precision, bool], tuple[Chip, ChipNumbers]] = {}


def _triple(spec: Any, unit: pint.Unit) -> tuple[float, float, float]:
    return (spec.low.m_as(unit), spec.q.m_as(unit), spec.high.m_as(unit))


#: chips made by :func:`with_roofs` whose missing compute peak drops the compute term (by object id)
_MEMORY_ONLY: dict[int, Chip] = {}


def _publishes_no_peak(chip: Chip) -> bool:
    """True when the chip publishes no dense or sparse peak at any precision."""
    return not chip.compute.dense and not chip.compute.sparse


def fallback_precisions(precision: Precision, fallback: bool) -> list[Precision]:
    """The formats tried, in order, for matmuls of ``precision``: ``precision`` itself, then (with
    ``fallback``: the checkpoint's own formats, no precision asked for) bf16, then fp16 (same
    bytes and FLOPs as bf16, for chips that publish fp16 but not bf16)."""
    tries = [precision]
    if fallback:
        tries += [p for p in (Precision.bf16, Precision.fp16) if p not in tries]
    return tries


def may_fall_back(dtypes: DTypes, precision_given: bool) -> bool:
    """Whether another format may stand in for ``dtypes.precision`` on a chip without its peak:
    only for the checkpoint's own formats (``weight_dtype="native"``) with no precision asked
    for. The rule of :func:`compute_numbers`, for every entry point."""
    return not precision_given and dtypes.weight_origin != "given"


def chip_numbers_fallback(chip: Chip, precision: Precision, fallback: bool, *, sparse: bool = False,
                          need_bandwidth: bool = False) -> tuple[ChipNumbers | None, Precision]:
    """The chip's numbers for the matmuls of ``precision``, or for the format it computes in
    instead (:func:`fallback_precisions`); the rule of :func:`compute_numbers` for callers that
    hold a precision rather than a :class:`~accelspec.perf.opcost.DTypes`.

    Parameters
    ----------
    chip : Chip
        The chip record.
    precision : Precision
        The format of the weights' matmuls.
    fallback : bool
        Whether bf16 (then fp16) may stand in for ``precision``.
    sparse, need_bandwidth : bool, optional
        As :func:`chip_numbers` (defaults False: dense; bandwidth not required).

    Returns
    -------
    tuple of (ChipNumbers or None, Precision)
        The numbers and the precision they are for; ``(None, precision)`` when no format tried
        has a published peak.
    """
    try:
        cn, _ = _first_numbers(chip, fallback_precisions(precision, fallback), sparse, need_bandwidth, "raise")
    except UnsupportedPrecisionError:
        return None, precision
    return cn, cn.precision


def _first_numbers(chip: Chip, tries: list[Precision], sparse: bool, need_bandwidth: bool,
                   missing_peak: str) -> tuple[ChipNumbers, UnsupportedPrecisionError | None]:
    """The numbers of the first format in ``tries`` the chip publishes a peak for, and the error
    of the first one (None when that was it); raises that error when none is published."""
    first: UnsupportedPrecisionError | None = None
    for p in tries:
        try:
            return chip_numbers(chip, p, sparse=sparse, need_bandwidth=need_bandwidth,
                                missing_peak=missing_peak), first
        except UnsupportedPrecisionError as exc:
            first = first or exc
    assert first is not None
    raise first


def compute_numbers(chip: Chip, dtypes: DTypes, *, precision_given: bool, sparse: bool = False,
                    need_bandwidth: bool = True, missing_peak: str = "raise") -> tuple[ChipNumbers, DTypes]:
    """The chip's numbers for a deployment's matmuls, and its formats with the precision used.

    The one fallback rule of every entry point (``decode_bound``, ``prefill_bound``,
    ``request_bound``, ``sweep``, ``plan``, ``agent_session``): when the weights are the
    checkpoint's own formats (``weight_dtype="native"``) and no ``precision`` was given, a chip
    without a peak for the weights' format computes in bf16, or in fp16 where it publishes fp16
    but not bf16 (the weights upcast as they are read; memory bytes unchanged), and the
    returned formats' ``compute_note`` says so (:func:`~accelspec.perf.opcost.compute_fallback`).
    An explicit dtype or precision the chip lacks raises.

    Parameters
    ----------
    chip : Chip
        The chip record.
    dtypes : DTypes
        The deployment's formats (``precision``: the weights' matmul format).
    precision_given : bool
        Whether the caller named the compute precision (no fallback then).
    sparse, need_bandwidth : bool, optional
        As :func:`chip_numbers`.
    missing_peak : {"raise", "drop"}, optional
        As :func:`chip_numbers`: the bounds pass ``"drop"`` (a chip that publishes a memory
        bandwidth but no compute peak gets the memory-only bound, its ``missing`` naming the term).

    Returns
    -------
    tuple of (ChipNumbers, DTypes)
        The numbers and ``dtypes``, its ``precision`` the one computed in.

    Raises
    ------
    UnsupportedPrecisionError
        No format tried has a published peak (the error of the weights' own format).
    NotPublishedError
        ``need_bandwidth`` and no memory bandwidth is published.
    """
    tries = fallback_precisions(dtypes.precision, may_fall_back(dtypes, precision_given))
    cn, exc = _first_numbers(chip, tries, sparse, need_bandwidth, missing_peak)
    if exc is None:
        return cn, dtypes
    return cn, compute_fallback(dtypes, cn.chip_name, exc, cn.precision)


def chip_numbers(chip: Chip | str, precision: str | Precision = "bf16", *, sparse: bool = False,
                 need_bandwidth: bool = True, missing_peak: str = "raise") -> ChipNumbers:
    """Peak compute, memory bandwidth and scale-up bandwidth per direction as floats.

    Computed once per (chip object, precision, sparse) and cached; this is the boundary where
    pint is left behind.

    Parameters
    ----------
    chip : Chip or str
        A catalog chip, by id or record.
    precision : str or Precision, optional
        Format of the compute peak (default ``"bf16"``).
    sparse : bool, optional
        The structured-sparsity peak (default False: dense).
    need_bandwidth : bool, optional
        Raise when the memory bandwidth is not published (default True).
    missing_peak : {"raise", "drop"}, optional
        What a chip that publishes no compute peak at any precision gives (default
        ``"raise"``): ``"drop"`` leaves the compute term out when the chip has a memory roof
        (a published bandwidth, or one given with :func:`with_roofs`), ``peak`` infinite, and
        :attr:`ChipNumbers.missing` names it; without a memory roof it raises as ``"raise"``
        (no term would be left). The memory (and link) terms alone are still a lower bound:
        ``t >= max(M / B, C / L) <= max(F / P, M / B, C / L)``. A chip made by
        :func:`with_roofs` without a peak drops the term whatever this says. A chip that
        publishes some other precision still raises (the bounds then fall back to bf16).

    Returns
    -------
    ChipNumbers
        ``(low, nominal, high)`` peak [FLOP/s or OP/s], bandwidth [B/s], link per direction [B/s].

    Raises
    ------
    UnsupportedPrecisionError
        The chip lacks ``precision`` (the message lists the precisions it publishes);
        :class:`~accelspec.hardware.chip.PeakNotPublishedError` when it may support it but
        nobody published the peak.
    NotPublishedError
        ``need_bandwidth`` and no memory bandwidth is published.
    """
    if missing_peak not in ("raise", "drop"):
        raise InvalidArgumentError("missing_peak", f"'raise' or 'drop', got {missing_peak!r}")
    if isinstance(chip, str):
        from ..hardware.catalog import get_chip

        chip = get_chip(chip)
    prec = precision if isinstance(precision, Precision) else as_precision(precision)
    drop = _publishes_no_peak(chip) and (_MEMORY_ONLY.get(id(chip)) is chip
                                         or (missing_peak == "drop" and _memory_roof(chip)[0] is not None))
    key = (id(chip), prec, bool(sparse))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is chip and (drop or not hit[1].missing):
        nums = hit[1]
    else:
        missing = ""
        try:
            spec = chip.compute.peak(prec, sparse=sparse)  # raises, listing published precisions
        except UnsupportedPrecisionError as exc:  # the same class (unsupported / not published), naming the chip
            if not drop:
                raise type(exc)(f"{chip.name}: {exc}") from None
            spec = None
            missing = (f"compute term (no {'sparse' if sparse else 'dense'} {prec} peak published for {chip.name}: "
                       "a memory-only bound)")
        peak = ((math.inf,) * 3 if spec is None else _triple(spec, _OPS if prec.is_integer else _FLOPS))
        bw_spec, bw_note, fast = _memory_roof(chip)
        bw = _triple(bw_spec, _BPS) if bw_spec is not None else (math.nan,) * 3
        up = chip.interconnect.scale_up
        per_dir = up.per_direction() if up is not None else None
        link = _triple(per_dir, _BPS) if per_dir is not None else (math.nan,) * 3
        note = (per_dir.basis or "") if per_dir is not None else ""
        nums = ChipNumbers(chip.id, chip.name, prec, bool(sparse), peak, bw, link, note, missing, bw_note, *fast)
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[key] = (chip, nums)
    if need_bandwidth and math.isnan(nums.bandwidth[1]):
        what = "on-chip SRAM only, no DRAM bandwidth" if chip.memory.on_chip_sram is not None else "not published"
        raise NotPublishedError(f"{chip.name}: memory bandwidth is {what}; a roofline needs it")
    return nums


_NO_FAST: tuple[tuple[float, float, float], tuple[float, float, float]] = ((0.0, 0.0, 0.0), (math.inf,) * 3)


def _memory_roof(chip: Chip) -> tuple[Any, str, tuple[tuple[float, float, float], tuple[float, float, float]]]:
    """The memory roof of ``chip``, a note saying which tier it is, and the on-chip tier read
    before it (capacities, bandwidths per chip: :attr:`ChipNumbers.fast_capacity`,
    :attr:`ChipNumbers.fast_bandwidth`).

    * ``memory.bandwidth`` where published. An SRAM-only chip (Groq, Cerebras: no
      ``memory.capacity``) publishes its SRAM's bandwidth there, and the note says so.
    * A chip with an on-chip SRAM beside its device memory (the SN40L: 520 MB of SRAM, 64 GB
      of HBM): the SRAM is the fast tier. A lower bound must not charge HBM time for bytes
      that could stay resident in the SRAM, so the first ``on_chip_sram`` bytes each chip reads
      per step cost ``bytes / on_chip_bandwidth`` (nothing where that is unpublished), the rest
      the roof (:func:`~accelspec.perf.kernels.tier_time`; filling the fastest tier first is
      the least time over every placement). Slower tiers (the SN40L's DDR) are charged at the
      roof: a lower time, still a bound.
    * Otherwise the highest published bandwidth of its other tiers (on-chip SRAM,
      ``memory.tiers``), which reads every byte at least as fast as any tier can and so keeps
      every time a lower bound; ``(None, "", no tier)`` when no tier publishes a bandwidth.
    """
    mem = chip.memory
    if mem.bandwidth is not None:
        if mem.on_chip_sram is None:
            return mem.bandwidth, "", _NO_FAST
        if mem.capacity is None:
            return mem.bandwidth, f"the on-chip SRAM bandwidth {mem.bandwidth} (the only memory)", \
                _NO_FAST
        sram_bw = mem.on_chip_bandwidth
        if sram_bw is not None and sram_bw.high.m_as(_BPS) <= mem.bandwidth.low.m_as(_BPS):
            return mem.bandwidth, "", _NO_FAST  # an SRAM no faster than the device memory: nothing to credit
        kind = mem.type.value if mem.type else "device memory"
        fast = (_triple(mem.on_chip_sram, _BYTES), _triple(sram_bw, _BPS) if sram_bw is not None else (math.inf,) * 3)
        read = f"at {sram_bw}" if sram_bw is not None else "bandwidth unpublished: read in no time"
        return mem.bandwidth, (f"the first {mem.on_chip_sram} per chip read from the on-chip SRAM ({read}), the rest "
                               f"at the {kind} bandwidth {mem.bandwidth}"), fast
    cands = [("on-chip SRAM", mem.on_chip_bandwidth)] + [(t.name, t.bandwidth) for t in mem.tiers]
    known = [(name, spec) for name, spec in cands if spec is not None]
    if not known:
        return None, "", _NO_FAST
    name, spec = max(known, key=lambda x: x[1].q.m_as(_BPS))
    return spec, (f"no device-memory bandwidth published: the {name} bandwidth {spec}, the highest "
                  "published (a lower time, so still a bound)"), _NO_FAST


@dataclass(frozen=True, slots=True)
class TierNumbers:
    """One memory tier of a chip as floats: ``capacity`` [B] and ``bandwidth`` [B/s] per chip.

    ``capacity`` is ``inf`` for the last tier (bytes beyond every published capacity are charged
    at its bandwidth); ``bandwidth`` is ``inf`` for an on-chip SRAM whose bandwidth nobody
    published (its bytes cost no time: the bound stays a bound)."""

    name: str
    capacity: float
    bandwidth: float


def memory_tiers(chip: Chip | str) -> tuple[TierNumbers, ...]:
    """The memory tiers of ``chip``, fastest first, as published.

    1. on-chip SRAM (``memory.on_chip_sram``), at ``memory.on_chip_bandwidth`` (``inf`` when
       that is unpublished);
    2. the device memory (``memory.capacity``) at ``memory.bandwidth``;
    3. each of ``memory.tiers`` that publishes a bandwidth.

    The last tier's capacity is taken as unbounded. A chip whose only memory is SRAM (no
    ``memory.capacity``) has one tier. A slower tier whose bandwidth is not published is left
    out, so its bytes are charged at the faster tier above it (a lower time: still a bound).

    Parameters
    ----------
    chip : Chip or str
        A catalog chip, by id or record.

    Returns
    -------
    tuple of TierNumbers
        ``(name, capacity [B], bandwidth [B/s])`` per tier, per chip; empty when no tier
        publishes both what it holds and how fast it reads (a chip with no published bandwidth).
    """
    if isinstance(chip, str):
        from ..hardware.catalog import get_chip

        chip = get_chip(chip)
    mem = chip.memory
    rows: list[tuple[str, float, float]] = []
    sram_bw = mem.on_chip_bandwidth if mem.on_chip_bandwidth is not None else (
        mem.bandwidth if mem.capacity is None else None)  # an SRAM-only chip's bandwidth is its SRAM's
    if mem.on_chip_sram is not None:
        rows.append(("on-chip SRAM", mem.on_chip_sram.q.m_as("B"),
                     sram_bw.q.m_as(_BPS) if sram_bw is not None else math.inf))
    if mem.capacity is not None and mem.bandwidth is not None:
        rows.append((str(mem.type.value) if mem.type else "device memory", mem.capacity.q.m_as("B"),
                     mem.bandwidth.q.m_as(_BPS)))
    elif mem.capacity is None and mem.on_chip_sram is None and mem.bandwidth is not None:
        rows.append(("device memory", math.inf, mem.bandwidth.q.m_as(_BPS)))
    for t in mem.tiers:
        if t.bandwidth is not None:
            rows.append((t.name, t.capacity.q.m_as("B") if t.capacity is not None else math.inf,
                         t.bandwidth.q.m_as(_BPS)))
    if not rows or all(math.isinf(bw) for _, _, bw in rows):
        return ()
    rows[-1] = (rows[-1][0], math.inf, rows[-1][2])
    return tuple(TierNumbers(*r) for r in rows)


def tiered_memory_time(chip: Chip | str, working_set: float, n_chips: int = 1) -> float:
    """Least time to read ``working_set`` bytes once from the memory tiers of ``n_chips`` chips.

    Formula: the fastest tier holds as much as it can, then the next::

        b_i = min(W - sum_{j<i} b_j, n * C_i);   t = sum_i b_i / (n * B_i)

    with ``W`` the working set (weights + KV cache read per step), ``C_i`` and ``B_i`` the
    capacity [B] and bandwidth [B/s] per chip of tier ``i`` (:func:`memory_tiers`): the kernel
    :func:`~accelspec.perf.kernels.tier_time` of ``W / n`` bytes per chip. Filling the fastest
    tier first gives the least time over every placement, so ``t`` is a lower bound. The bounds
    use the same kernel over the fast tier of :meth:`ChipNumbers.fast_tier` and the memory roof.
    A model that fits the aggregate SRAM (``W <= n * C_sram``) gives ``W / (n * B_sram)``.

    Parameters
    ----------
    chip : Chip or str
        A catalog chip, by id or record.
    working_set : float
        Bytes read per step, all chips together [B].
    n_chips : int, default 1
        Chips the working set is spread over (each reads its share at its own bandwidth).

    Returns
    -------
    float
        Time [s]; ``0.0`` when every byte fits an SRAM whose bandwidth is unpublished.

    Raises
    ------
    NotPublishedError
        No tier of the chip publishes a bandwidth.
    InvalidArgumentError
        ``working_set`` is negative or not finite, or ``n_chips`` below 1.

    Examples
    --------
    >>> t = tiered_memory_time("groq-lpu", 140e9, n_chips=609)   # 140 GB over 609 x 230 MB of SRAM
    >>> round(t * 1e6, 3)                                          # 140e9 / (609 x 80e12) s
    2.874
    """
    w = float(working_set)
    if not (math.isfinite(w) and w >= 0):
        raise InvalidArgumentError("working_set", f"must be a non-negative number of bytes, got {working_set!r}")
    if int(n_chips) != n_chips or n_chips < 1:
        raise InvalidArgumentError("n_chips", f"must be a whole number >= 1, got {n_chips!r}")
    tiers = memory_tiers(chip)
    if not tiers:
        name = chip if isinstance(chip, str) else chip.name
        raise NotPublishedError(f"{name}: no memory tier publishes a bandwidth; a memory time needs one")
    return float(tier_time(w / float(n_chips), [(tier.capacity, tier.bandwidth) for tier in tiers]))


def effective_bandwidth(chip: Chip | str, working_set: float, n_chips: int = 1) -> float:
    """The memory bandwidth per chip [B/s] at which ``working_set`` bytes over ``n_chips``
    chips take :func:`tiered_memory_time`: ``W / (n * t)``; the SRAM bandwidth when the working
    set fits the aggregate SRAM, lower as more of it spills to slower tiers, ``inf`` when it
    all sits in an SRAM of unpublished bandwidth. Use it as ``bandwidth=`` in
    :func:`with_roofs` to give every bound the tiered memory roof of one working set.

    Parameters
    ----------
    chip : Chip or str
        A catalog chip, by id or record.
    working_set : float
        Bytes read per step, all chips together [B] (> 0).
    n_chips : int, default 1
        Chips the working set is spread over.

    Returns
    -------
    float
        Bandwidth per chip [B/s].
    """
    t = tiered_memory_time(chip, working_set, n_chips)
    if working_set <= 0:
        raise InvalidArgumentError("working_set", f"must be positive, got {working_set!r}")
    return math.inf if t == 0 else float(working_set) / (n_chips * t)


def with_roofs(chip: Chip | str, *, peak: Any = None, bandwidth: Any = None, capacity: Any = None,
               precision: str | Precision = "bf16", basis: str = "given by the caller") -> Chip:
    """``chip`` with a compute peak, a memory bandwidth or a capacity supplied where the
    catalog has none (or to try another figure): the ``peak=`` / ``bandwidth=`` overrides
    every bound takes through its ``chip`` argument.

    Each value is recorded as an estimate (status ``"estimated"``) with ``basis`` and the
    published value it replaces, never as the vendor's; the record validates as any catalog
    chip. A chip that still has no compute peak at any precision gives memory-only bounds
    (:func:`chip_numbers`' ``missing_peak="drop"``): the compute term is left out and named.

    Parameters
    ----------
    chip : Chip or str
        A catalog chip, by id or record.
    peak : str or Quantity, optional
        Dense peak compute at ``precision`` [TFLOP/s] (e.g. ``"500 TFLOP/s"``).
    bandwidth : str or Quantity, optional
        Memory bandwidth [TB/s] (e.g. ``"4 TB/s"``).
    capacity : str or Quantity, optional
        Memory capacity per chip [GB].
    precision : str or Precision, optional
        Format ``peak`` is given in (default ``"bf16"``).
    basis : str, optional
        What the values rest on, kept in each value's ``basis`` (default "given by the caller").

    Returns
    -------
    Chip
        A new record; the catalog's is unchanged.

    Raises
    ------
    InvalidArgumentError
        A value is not one positive finite quantity of the right dimension.

    Examples
    --------
    >>> from accelspec import decode_bound
    >>> m890 = with_roofs("zhenwu-m890", bandwidth="4 TB/s")
    >>> b = decode_bound("llama-3.1-8b", m890, 8192)
    >>> b.limiter, round(float(b.time.m_as("ms")), 3)
    ('memory', 4.021)
    """
    import json

    from ..units import parse_quantity

    if isinstance(chip, str):
        from ..hardware.catalog import get_chip

        chip = get_chip(chip)
    prec = precision if isinstance(precision, Precision) else as_precision(precision)
    rec = json.loads(chip.model_dump_json())
    src = {"id": "given", "title": basis}
    unit = "OP/s" if prec.is_integer else "FLOP/s"
    for name, value, dim, where in (("capacity", capacity, "B", ("memory", "capacity")),
                                    ("bandwidth", bandwidth, "B/s", ("memory", "bandwidth")),
                                    ("peak", peak, unit, ("compute", "dense", str(prec)))):
        if value is None:
            continue
        try:
            q = parse_quantity(value, dim, name)
        except (UnitError, ValueError) as exc:
            raise InvalidArgumentError(name, str(exc)) from None
        mag = q.magnitude
        if not (isinstance(mag, (int, float)) and math.isfinite(mag) and mag > 0):
            raise InvalidArgumentError(name, f"must be one positive finite quantity, got {value!r}")
        node = rec
        for k in where[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        old = node.get(where[-1])
        was = f"published {old['value']}" if old else "not published"
        text = f"{q.m!r} {q.units:~}"
        node[where[-1]] = {"value": text, "source": src, "status": "estimated", "range": [text, text],
                           "basis": f"{basis} ({was})"}
    out = Chip.model_validate(rec)
    if _publishes_no_peak(out):
        if len(_MEMORY_ONLY) > 4096:
            _MEMORY_ONLY.clear()
        _MEMORY_ONLY[id(out)] = out
    return out


def _q(value: Any, unit: pint.Unit) -> pint.Quantity:
    return Q_(value, unit)


@dataclass(frozen=True)
class Roofline:
    """Roofs of one chip at one precision (see the module docstring for the formulas).

    Quantities: :attr:`peak_compute`, :attr:`memory_bandwidth`, :attr:`link_bandwidth`,
    :attr:`ridge_point`, :attr:`comm_ridge_point`; each has a ``*_range`` ``(low, high)``.
    Efficiencies (achieved fraction of peak) scale the roofs and default to 1.0.
    """

    numbers: ChipNumbers
    compute_efficiency: float = 1.0
    bandwidth_efficiency: float = 1.0
    link_efficiency: float = 1.0
    #: the :class:`~accelspec.System` when the roofline was asked of a system: the roofs are
    #: still one chip's (its chip's), the link roof the system's scale-up bandwidth per chip
    system: Any = None
    _p: tuple[float, float, float] = field(init=False, repr=False)
    _b: tuple[float, float, float] = field(init=False, repr=False)
    _l: tuple[float, float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = self.numbers
        object.__setattr__(self, "_p", tuple(x * self.compute_efficiency for x in n.peak))
        object.__setattr__(self, "_b", tuple(x * self.bandwidth_efficiency for x in n.bandwidth))
        object.__setattr__(self, "_l", tuple(x * self.link_efficiency for x in n.link))

    # --- identity ---------------------------------------------------------------------
    @property
    def chip(self) -> str:
        return self.numbers.chip_id

    @property
    def precision(self) -> Precision:
        return self.numbers.precision

    @property
    def label(self) -> str:
        """The chip's name, and the system when asked of one: ``"Ascend 910C in Huawei CloudMatrix384"``."""
        if self.system is None:
            return self.numbers.chip_name
        return f"{self.numbers.chip_name} in {self.system.name}"

    @property
    def compute_unit(self) -> str:
        """``"FLOP"``, or ``"OP"`` for an integer precision: the unit of the compute roof
        (``T{unit}/s``) and of the intensities (``{unit}/B``)."""
        return "OP" if self.numbers.precision.is_integer else "FLOP"

    # --- roofs ------------------------------------------------------------------------
    @property
    def peak_compute(self) -> pint.Quantity:
        """P: peak compute times compute efficiency, in TFLOPS (TOPS for integer formats)."""
        return _q(self._p[1] / 1e12, ureg.Unit("T" + self.compute_unit + "/s"))

    @property
    def peak_compute_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        u = ureg.Unit("T" + self.compute_unit + "/s")
        return _q(self._p[0] / 1e12, u), _q(self._p[2] / 1e12, u)

    @property
    def memory_bandwidth(self) -> pint.Quantity:
        """B: memory bandwidth times bandwidth efficiency, in TB/s."""
        return _q(self._b[1] / 1e12, ureg.Unit("TB/s"))

    @property
    def memory_bandwidth_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        return _q(self._b[0] / 1e12, ureg.Unit("TB/s")), _q(self._b[2] / 1e12, ureg.Unit("TB/s"))

    @property
    def link_bandwidth(self) -> pint.Quantity | None:
        """L: scale-up bandwidth per direction times link efficiency, in GB/s; ``None`` when
        the chip publishes no scale-up interconnect."""
        if math.isnan(self._l[1]):
            return None
        return _q(self._l[1] / 1e9, ureg.Unit("GB/s"))

    @property
    def link_bandwidth_range(self) -> tuple[pint.Quantity, pint.Quantity] | None:
        if math.isnan(self._l[1]):
            return None
        return _q(self._l[0] / 1e9, ureg.Unit("GB/s")), _q(self._l[2] / 1e9, ureg.Unit("GB/s"))

    @property
    def ridge_point(self) -> pint.Quantity:
        """I* = P / B in FLOP/B (OP/B): the intensity where memory- and compute-bound meet."""
        return _q(self._p[1] / self._b[1], ureg.Unit(self.compute_unit + "/B"))

    @property
    def ridge_point_range(self) -> tuple[pint.Quantity, pint.Quantity]:
        """(P_low / B_high, P_high / B_low): every ridge point the input ranges allow."""
        u = ureg.Unit(self.compute_unit + "/B")
        return _q(self._p[0] / self._b[2], u), _q(self._p[2] / self._b[0], u)

    @property
    def comm_ridge_point(self) -> pint.Quantity | None:
        """P / L in FLOP per byte sent over the scale-up link (one direction)."""
        if math.isnan(self._l[1]):
            return None
        return _q(self._p[1] / self._l[1], ureg.Unit(self.compute_unit + "/B"))

    # --- attainable performance -------------------------------------------------------
    def _intensity(self, value: Any, what: str) -> tuple[Any, bool]:
        if isinstance(value, pint.Quantity) or hasattr(value, "q"):
            q = value.q if hasattr(value, "q") and not isinstance(value, pint.Quantity) else value
            unit = ureg.Unit(self.compute_unit + "/B")
            try:
                arr = np.asarray(q.m_as(unit), dtype=float)
                self._check_nonnegative(arr, what, f"{self.compute_unit}/B")
                return arr, True
            except pint.DimensionalityError:
                raise UnitError(f"{what}: expected an intensity like '{self.compute_unit}/B', got {q:~P}") from None
        if isinstance(value, str):
            cu = self.compute_unit
            raise UnitError(f"{what}: give a Quantity (Q_(300, '{cu}/B')) or a number in {cu}/B")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise UnitError(f"{what}: expected a number or array in {self.compute_unit}/B, got {value!r}") from None
        return arr, False

    @staticmethod
    def _check_nonnegative(arr: Any, what: str, unit: str) -> None:
        bad = ~(np.asarray(arr) >= 0)  # catches NaN too
        if np.any(bad):
            first = np.asarray(arr)[bad].flat[0]
            raise IntensityError(f"{what} must be a non-negative number of {unit}, got {first:g} {unit}; "
                                 "arithmetic intensity is work per byte moved and cannot be negative")

    def attainable(self, intensity: Any, comm_intensity: Any = None, *, which: str = "nominal") -> Any:
        """min(P, B * I) — and min(P, B * I, L * I_c) when ``comm_intensity`` is given.

        ``intensity`` is FLOP per byte of memory traffic (OP/B for integer formats),
        ``comm_intensity`` FLOP per byte sent over the scale-up link. Each may be a Quantity
        (scalar or array magnitude) or a bare number / numpy array read as FLOP/B; a
        Quantity in gives a Quantity in TFLOPS out, bare numbers give bare FLOP/s (the fast
        path). ``which`` picks the ``"low"``, ``"nominal"`` or ``"high"`` end of the input
        ranges (low gives the smallest roofs). A negative or NaN intensity raises
        :class:`IntensityError`; one with the wrong unit :class:`~accelspec.units.UnitError`.
        """
        idx = {"low": 0, "nominal": 1, "high": 2}[which]
        if which not in ("low", "nominal", "high"):
            raise IntensityError(f"which must be 'low', 'nominal' or 'high', got {which!r}")
        i_mem, q_in = self._intensity(intensity, "intensity")
        self._check_nonnegative(i_mem, "intensity", f"{self.compute_unit}/B")
        out = np.minimum(self._p[idx], self._b[idx] * i_mem)
        if comm_intensity is not None:
            if math.isnan(self._l[idx]):
                raise NotPublishedError(f"{self.numbers.chip_name}: no scale-up interconnect bandwidth published")
            i_c, q_c = self._intensity(comm_intensity, "comm_intensity")
            self._check_nonnegative(i_c, "comm_intensity", f"{self.compute_unit}/B")
            out = np.minimum(out, self._l[idx] * i_c)
            q_in = q_in or q_c
        if out.ndim == 0:
            out = float(out)
        if q_in:
            return _q(out / 1e12, ureg.Unit("T" + self.compute_unit + "/s"))
        return out

    def explain(self) -> str:
        """One line: roofs and ridge points."""
        rng = ""
        lo, hi = self.ridge_point_range
        if lo.m != hi.m:
            rng = f" (range {lo.m:.4g}-{hi.m:.4g})"
        eff = ""
        if (self.compute_efficiency, self.bandwidth_efficiency, self.link_efficiency) != (1.0, 1.0, 1.0):
            eff = (f", efficiencies compute {self.compute_efficiency:g} / memory "
                   f"{self.bandwidth_efficiency:g} / link {self.link_efficiency:g}")
        link = ""
        comm_ridge = self.comm_ridge_point  # None exactly when no link bandwidth is published
        if self.link_bandwidth is not None and comm_ridge is not None:
            link = (f"; scale-up {self.link_bandwidth.m:.4g} GB/s per direction, comm ridge "
                    f"{comm_ridge.m:.4g} {self.compute_unit}/B")
        return (f"{self.label} {self.precision}: peak {self.peak_compute.m:.4g} T{self.compute_unit}/s, "
                f"memory {self.memory_bandwidth.m:.4g} TB/s, ridge {self.ridge_point.m:.5g} {self.compute_unit}/B"
                f"{rng}{link}{eff}{self._system_note()}")

    def _system_note(self) -> str:
        sy = self.system
        if sy is None:
            return ""
        return sy.note(f"roofs per chip: all {sy.n_chips} give {sy.n_chips}x peak and bandwidth, the same ridge")

    def __str__(self) -> str:
        return self.explain()


def roofline(chip: str | Chip | System, precision: str | Precision = "bf16", *, sparse: bool = False,
             compute_efficiency: float = 1.0, bandwidth_efficiency: float = 1.0,
             link_efficiency: float = 1.0) -> Roofline:
    """The roofline of ``chip`` (a :class:`Chip`, a :class:`~accelspec.System` or a name) at
    ``precision`` (dense peak unless ``sparse=True``).

    A system (``"gb200-nvl72"``; a system name wins over a chip alias, as in
    :func:`accelspec.resolve_hardware`) gives the roofline **of its chip**, marked as the
    system's (``system``, ``label``, ``explain()``), with the link roof from the system's own
    scale-up record where it publishes one. A roofline stays per chip because the intensity
    axis is per chip: the aggregate of ``N`` chips multiplies peak and bandwidth by ``N`` and
    leaves the ridge point ``P / B`` where it is, and a rack-sized roof drawn beside single
    chips would compare a rack with a chip.

    Attainable performance at arithmetic intensity ``I`` is ``min(P, I * B)`` (Williams,
    Waterman & Patterson, "Roofline", CACM 2009), ``P`` and ``B`` scaled by their efficiencies.

    Parameters
    ----------
    chip : str, Chip or System
        A chip or a system, by name or record.
    precision : str or Precision, optional
        Number format of the compute roof (default ``"bf16"``).
    sparse : bool, optional
        Use the sparse (2:4) peak instead of the dense one (default False).
    compute_efficiency, bandwidth_efficiency, link_efficiency : float, optional
        Achieved fractions of peak compute, memory bandwidth and link bandwidth, in [1e-6, 1]
        (default 1.0).

    Returns
    -------
    Roofline
        Peak compute [TFLOP/s or TOP/s], memory bandwidth [TB/s], scale-up link bandwidth per
        direction [GB/s], the ridge points [FLOP/B] and their ranges.

    Raises
    ------
    UnknownHardwareError
        ``chip`` names no chip or system.
    UnsupportedPrecisionError
        The chip has no ``precision``; the message lists the published precisions.
    NotPublishedError
        The chip publishes no ``precision`` peak (:class:`~accelspec.PeakNotPublishedError`)
        or no memory bandwidth.
    InvalidArgumentError
        An efficiency is outside [1e-6, 1].

    Examples
    --------
    >>> r = roofline("h200-sxm", "bf16")
    >>> r.ridge_point            # 989.5 TFLOPS / 4.8 TB/s
    <Quantity(206.145833, 'FLOP / byte')>
    """
    from ..hardware.system import resolve_hardware

    chip_obj, system = resolve_hardware(chip)
    nums = chip_numbers(chip_obj, precision, sparse=sparse)
    if system is not None:
        up = system.scale_up_per_direction()
        if up is not None:  # the system's scale-up record, which may differ from the chip's own
            nums = replace(nums, link=(up.low.m_as(_BPS), up.q.m_as(_BPS), up.high.m_as(_BPS)),
                           link_note=f"{system.id} scale-up" + (f"; {up.basis}" if getattr(up, "basis", "") else ""))
    return Roofline(nums, check_efficiency("compute_efficiency", compute_efficiency),
                    check_efficiency("bandwidth_efficiency", bandwidth_efficiency),
                    check_efficiency("link_efficiency", link_efficiency), system=system)


@dataclass(frozen=True)
class DroppedChip:
    """A chip left out of a multi-chip roofline: ``status`` ``"unsupported"`` (no hardware
    support for the precision) or ``"not_published"`` (peak or memory bandwidth unpublished)."""

    chip: Chip
    reason: str
    status: str
    system: Any = None  #: the :class:`~accelspec.System` when the entry named one

    def __str__(self) -> str:
        where = f", per chip of {self.system.name}" if self.system is not None else ""
        return f"{self.chip.name} ({self.chip.id}{where}): {self.reason}"


def rooflines(chips: Any, precision: str | Precision = "bf16", *, sparse: bool = False,
              **efficiencies: float) -> tuple[list[Roofline], list[DroppedChip]]:
    """Rooflines of several chips, never failing on one: ``(roofs, dropped)``, where
    ``dropped`` names each chip that publishes no ``precision`` peak or memory bandwidth and
    why. Entries may be chips or systems (each a system's chip, see :func:`roofline`). Unknown
    names still raise :class:`~accelspec.errors.UnknownHardwareError` (a typo is not partial data)."""
    from ..hardware.system import System, resolve_hardware

    if isinstance(chips, (str, Chip, System)):
        chips = [chips]
    roofs, dropped = [], []
    for c in chips:
        chip, system = resolve_hardware(c)
        try:
            roofs.append(roofline(system or chip, precision, sparse=sparse, **efficiencies))
        except NotPublishedError as exc:  # includes PeakNotPublishedError
            dropped.append(DroppedChip(chip, str(exc).removeprefix(f"{chip.name}: "), "not_published", system))
        except UnsupportedPrecisionError as exc:
            dropped.append(DroppedChip(chip, str(exc).removeprefix(f"{chip.name}: "), "unsupported", system))
    return roofs, dropped
