"""Workload claims ("1M-token context on the M890"), checked with :mod:`accelspec.perf.memory`.

A workload claim names a chip, a context length and usually a model whose architecture may be
unpublished (Qwen 3.7-Max). Each reading is one catalog model with one pair of dtypes (weights,
KV cache): the memory needed per chip for one sequence of ``context`` tokens on ``chips`` chips
(:func:`accelspec.fits`) against the chip's capacity, plus the fewest chips that hold it
(:func:`accelspec.min_chips`). Verdict of a reading: consistent when it fits on ``chips`` chips
(partly when only inside the capacity's range), inconsistent when not. The claimed model itself
is undetermined when it is not in the model catalog.
"""

from __future__ import annotations

from typing import Any

from .intervals import Interval, num
from .results import ReadingResult
from .statements import Claim, Verdict

__all__ = ["check_workload"]


def check_workload(claim: Claim, catalog: Any) -> list[ReadingResult]:
    from ..errors import UnknownNameError
    from ..model.catalog import get_model, models
    from ..perf.memory import fits, min_chips

    st = claim.statement
    w = st.workload
    chip = catalog.get(st.a)
    ctx = int(w["context"])
    chips = w["chips"]
    capacity = chip.memory.capacity
    out: list[ReadingResult] = []
    stated = w["model_text"]
    try:
        named = get_model(stated)
    except UnknownNameError:
        named = None
    if named is None:
        out.append(ReadingResult(
            claim.id, f"{stated} (as claimed)", "—", f"{capacity}" if capacity else "—", None, None,
            f"fits on {chips} × {chip.id}", Verdict.undetermined,
            note=f"{stated}: architecture not published (not in the model catalog); see the catalog models below"))
    names = [m.id for m in models()] if w["models"] == ["all"] else [get_model(m).id for m in w["models"]]
    if named is not None and named.id in names:
        names.remove(named.id)
        names.insert(0, named.id)
    if capacity is None:
        for m in names:
            out.append(ReadingResult(claim.id, m, "—", "—", None, None, f"fits on {chips} × {chip.id}",
                                     Verdict.undetermined, missing=[f"{chip.id} memory.capacity"],
                                     note=f"not published: {chip.id} memory.capacity"))
        return out
    cap_gb = float(capacity.q.m_as("GB"))
    beyond: list[str] = []
    for m in names:
        model = get_model(m)
        for wd, kd in w["dtypes"]:
            label = f"{m} (weights {wd}, KV {kd})"
            fit = fits(model, chip, ctx, w["batch"], n_chips=chips, weight_dtype=wd, kv_dtype=kd)
            need = float(fit.required.m_as("GB"))
            low, high = float(fit.available_low.m_as("GB")), float(fit.available_high.m_as("GB"))
            n = min_chips(model, chip, ctx, w["batch"], weight_dtype=wd, kv_dtype=kd, max_chips=w["max_chips"])
            if fit.verdict == "fits":
                verdict, partial = Verdict.consistent, False
            elif fit.verdict == "does not fit":
                verdict, partial = Verdict.inconsistent, False
            else:
                verdict, partial = Verdict.consistent, True
            ratio = Interval(need / high, need / low, nominal=need / cap_gb)
            most = f"at least {w['max_chips'] + 1}" if n.value is None else str(n.value)
            layout = f" ({n.parallelism})" if n.parallelism is not None and n.value and n.value > 1 else ""
            extra = f"{most}{layout}; largest: {fit.largest_term}"
            note = None
            if model.max_context and ctx > model.max_context and (wd, kd) == w["dtypes"][0]:
                beyond.append(f"{m} {model.max_context:,}")
            out.append(ReadingResult(
                claim.id, label, f"{num(need)} GB per chip", f"{num(cap_gb)} GB", ratio,
                Interval(0.0, 1.0), f"need/capacity ≤ 1 on {chips} chip{'s' if chips > 1 else ''}", verdict,
                partial, note=note, extra=extra,
                values={"need": fit.required, "capacity": fit.available, "min_chips": n.value,
                        "parallelism": None if n.parallelism is None else str(n.parallelism)}))
    if beyond and out:
        text = (f"memory only: {ctx:,} tokens is beyond the trained context (max_position_embeddings) "
                f"of {', '.join(beyond)}")
        out[0].note = f"{out[0].note}. {text[0].upper()}{text[1:]}" if out[0].note else text
    return out
