"""Speed claims ("N tokens/s on one rack", "K x faster than the H100"), checked against the
decode bounds of :mod:`accelspec.perf`.

**The bound of a speed figure.** One decode step of ``model`` at the claim's mean context
(``context``, or ``input + (output + 1) // 2``) on ``chips`` chips, in the claim's formats
(weights, KV cache), with ``a`` accepted tokens per step (default 1: no speculative decoding
or MTP assumed; the result says so). Without a ``parallelism`` the work is spread evenly over
the chips and no link bytes are charged: no layout needs less, so this bounds every layout;
with one, its link term is charged too. Compute runs in the weight format where the chip
publishes a peak for it (FP4 weights on Blackwell: the FP4 roof), else in the default of
:func:`~accelspec.perf.opcost.resolve_dtypes`. Then:

* per user: ``a / t(batch)`` at the stated batch (default 1, the fastest per user);
* per chip: ``a B / (n t(B))``, per system ``a B / t(B)``: at the stated batch, else at the
  best batch ``B`` (numpy over 1 .. 2^22; the smallest batch reaching the
  highest rate is reported) whose per-user speed ``a / t(B)`` still meets the
  claim's ``at_user_speed`` (a throughput "at 50 tokens/s per user" is bounded at the largest
  batch that still delivers 50 tokens/s to each user; without it the batch is unbounded).
  Memory capacity is not imposed (a larger batch only raises the bound).

**throughput**: the claimed figure (its lowest reading: ``more than N`` is ``N``) above the
bound is **impossible as stated** (verdict ``inconsistent``); at or below it, ``consistent``;
a figure whose rounding straddles the bound is ``consistent (partly)``. Each ``dtypes`` pair is
a reading; the first is the one taken.

**speedup** ("``a`` is K x faster than ``b``"): ``R = bound_a / bound_b`` for the same model
and workload (each chip in its own formats). Speeds are ``s = e x bound`` with ``e`` in (0, 1]
the fraction of its bound a system reaches, so ``K = R e_a / e_b``. The rule:

* ``K (1 - tolerance) <= R``: **consistent**: the specs allow it with both systems equally
  efficient (or the new one less so);
* ``K (1 - tolerance) > R``: **exceeds what the specs allow** (verdict ``inconsistent``):
  the claim needs the baseline to reach at most ``R / K`` of the new system's efficiency
  (``e_b <= e_a R / K``), a statement about software and tuning rather than hardware; the
  reading's note gives that fraction.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .intervals import Interval, num
from .results import ReadingResult
from .statements import Claim, Verdict

__all__ = ["check_speed", "speed_bound"]

_BATCHES = np.unique(np.round(np.geomspace(1, 2**22, 600))).astype(float)


def speed_bound(model: str, chip: str, chips: int, context: int, per: str, weights: str, kv: str, *,
                accepted: float = 1.0, batch: int | None = None, max_tpot_s: float | None = None,
                parallelism: str | None = None) -> tuple[float, str]:
    """``(upper bound in token/s, one line saying how)`` for a speed figure (module docstring)."""
    from ..perf.bounds import layout_numbers, layout_times, resolve_layout
    from ..perf.memory import Parallelism
    from ..perf.roofline import chip_numbers

    if parallelism:
        lay = resolve_layout(model, context, batch or 1, chips, parallelism, {"weight_dtype": weights,
                                                                             "kv_dtype": kv})
        scale, n = 1.0, float(lay.n_chips)
        how = f"layout {lay} with its link term"
    else:
        lay, scale, n = Parallelism(), float(chips), float(chips)
        how = f"work spread evenly over {chips} chips, no link term" if chips > 1 else "one chip"
    from ..hardware.catalog import get_chip

    try:  # compute in the weight format where the chip publishes it (FP4 on Blackwell): the faster roof
        get_chip(chip).compute.peak(weights)
        prec: Any = weights
    except Exception:
        prec = None
    ln = layout_numbers(model, lay, weights, kv_dtype=kv, **({"precision": prec} if prec else {}))
    cn = chip_numbers(chip, ln.dtypes.precision)
    if lay.n_chips > 1 and not cn.has_link:
        from ..hardware.chip import NotPublishedError

        raise NotPublishedError(f"{cn.chip_name}: no scale-up bandwidth published; {lay} needs it")
    if per == "user":
        bs = np.array([float(batch or 1)])
    else:
        bs = np.array([float(batch)]) if batch else _BATCHES
    fast = cn.fast_tier(chips=scale)  # an SRAM read before the memory roof (the SN40L's)
    t = np.broadcast_to(np.asarray(layout_times(ln, "decode", float(context), bs, cn.peak[1], cn.bandwidth[1],
                                                cn.link[1], fast=fast)[3], dtype=float), bs.shape) / scale
    a = accepted
    spec = (f"{a:g} accepted tokens per step" if a != 1.0 else
            "1 token per step (no speculative decoding / MTP assumed)")
    fmt = f"weights {ln.dtypes.weight.name}, KV {ln.dtypes.kv.name}, compute {ln.dtypes.precision}"
    if per == "user":
        v = a / float(t[0])
        return v, (f"{ln.name} on {chips} x {cn.chip_name} ({how}; {fmt}): decode step at context {context:,}, "
                   f"batch {int(bs[0])}: >= {t[0] * 1e3:.4g} ms -> <= {num(v)} token/s per user; {spec}")
    if max_tpot_s is not None and not batch:
        # the largest batch meeting the per-user speed, by bisection (t rises with the batch), added to the grid
        def step(b: float) -> float:
            return float(layout_times(ln, "decode", float(context), b, cn.peak[1], cn.bandwidth[1], cn.link[1],
                                      fast=fast)[3])

        lo, hi = 1, int(bs[-1])
        if step(lo) / scale / a <= max_tpot_s:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if step(mid) / scale / a <= max_tpot_s else (lo, mid)
            if step(hi) / scale / a <= max_tpot_s:
                lo = hi
            bs = np.append(bs, float(lo))
            t = np.append(t, step(lo) / scale)
    ok = np.ones(bs.shape, dtype=bool) if max_tpot_s is None else (t / a <= max_tpot_s * (1 + 1e-12))
    if not ok.any():
        at = f" at >= {1 / max_tpot_s:.4g} token/s per user" if max_tpot_s else ""
        return 0.0, (f"{ln.name} on {chips} x {cn.chip_name} ({how}; {fmt}): even batch {int(bs[0])} is slower "
                     f"than the per-user speed required{at}: bound 0; {spec}")
    rate = np.where(ok, a * bs / t, 0.0)
    i = int(np.argmax(rate))
    total = float(rate[i])
    v = total / n if per == "chip" else total
    at = f" at >= {1 / max_tpot_s:.4g} token/s per user" if max_tpot_s else ""
    return v, (f"{ln.name} on {chips} x {cn.chip_name} ({how}; {fmt}): best batch {int(bs[i]):,}{at}, "
               f"decode step at context {context:,} >= {t[i] * 1e3:.4g} ms -> <= {num(v)} token/s per {per}; {spec}")


def check_speed(claim: Claim, catalog: Any) -> list[ReadingResult]:
    """Readings of a ``throughput`` or ``speedup`` claim (rules in the module docstring)."""
    st = claim.statement
    w = st.speed
    common = {"accepted": w["accepted_tokens_per_step"], "batch": w["batch"], "max_tpot_s": w["max_tpot_s"]}
    out: list[ReadingResult] = []
    if st.kind == "throughput":
        assert st.value is not None and st.value.quantity is not None
        claimed = st.value.interval("token/s")
        for wd, kd in w["dtypes"]:
            label = f"per {w['per']} (weights {wd}, KV {kd})"
            try:
                bound, how = speed_bound(w["model"], st.a, w["chips"], w["context"], w["per"], wd, kd,
                                         parallelism=w["parallelism"], **common)
            except Exception as exc:  # an unsupported format on this chip, a missing spec
                out.append(ReadingResult(claim.id, label, st.value.text(), "—", None, None, "claimed ≤ bound",
                                         Verdict.undetermined, note=str(exc)))
                continue
            if bound <= 0:
                ratio = Interval(math.inf, math.inf)
                verdict, partial = Verdict.inconsistent, False
            else:
                ratio = Interval(claimed.lo / bound, claimed.hi / bound, nominal=None if claimed.nominal is None
                                 else claimed.nominal / bound)
                verdict = Verdict.inconsistent if ratio.lo > 1 + 1e-9 else Verdict.consistent
                partial = verdict is Verdict.consistent and ratio.bounded and ratio.hi > 1 + 1e-9
            note = ("impossible as stated: above the bound" if verdict is Verdict.inconsistent else how)
            if verdict is Verdict.inconsistent:
                note += f" ({how})"
            out.append(ReadingResult(claim.id, label, st.value.text(), f"≤ {num(bound)} token/s", ratio,
                                     Interval(0.0, 1.0), "claimed / bound ≤ 1", verdict, partial, note=note,
                                     values={"claimed": st.value.quantity, "bound_token_per_s": bound}))
        return out
    # speedup
    k = Interval.around(st.factor or 1.0, st.tolerance)
    try:
        ba, how_a = speed_bound(w["model"], st.a, w["a_chips"], w["context"], w["per"], *w["a_formats"],
                                parallelism=w["a_parallelism"], **common)
        bb, how_b = speed_bound(w["model"], st.b, w["b_chips"], w["context"], w["per"], *w["b_formats"],
                                parallelism=w["b_parallelism"], **common)
    except Exception as exc:
        return [ReadingResult(claim.id, f"per {w['per']}", f"{num(st.factor or 0)}×", "—", None, None,
                              "K ≤ bound ratio", Verdict.undetermined, note=str(exc))]
    r = ba / bb if bb > 0 else math.inf
    ratio = Interval(k.lo / r, k.hi / r, nominal=(st.factor or 1.0) / r) if r > 0 else Interval(math.inf, math.inf)
    if ratio.lo <= 1 + 1e-9:
        verdict = Verdict.consistent
        note = f"the specs allow {num(r)}× at equal efficiency. a: {how_a}. b: {how_b}"
    else:
        verdict = Verdict.inconsistent
        note = (f"exceeds what the specs allow: the ratio of the bounds is {num(r)}×, so {num(st.factor or 0)}× "
                f"needs {st.b} to reach at most {num(r / (st.factor or 1.0))} of {st.a}'s fraction of its bound. "
                f"a: {how_a}. b: {how_b}")
    return [ReadingResult(claim.id, f"per {w['per']}", f"{num(st.factor or 0)}×", f"bounds ratio {num(r)}×",
                          ratio, Interval(0.0, 1.0), "K / (bound_a / bound_b) ≤ 1", verdict,
                          partial=verdict is Verdict.consistent and ratio.hi > 1 + 1e-9, note=note,
                          values={"factor": st.factor, "bound_a_token_per_s": ba, "bound_b_token_per_s": bb,
                                  "bound_ratio": r})]
