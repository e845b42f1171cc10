"""Results as small HTML tables for notebooks: ``to_html(obj)``.

>>> import accelspec as a
>>> from accelspec.io.html import to_html
>>> "80 GB" in to_html(a.fits("llama-3.1-8b", "h100", 8192))
True

Handles :class:`~accelspec.perf.memory.FitResult`, :class:`~accelspec.perf.bounds.Bound`,
:class:`~accelspec.perf.plan.Plan`, :class:`~accelspec.hardware.comparison.Comparison`,
:class:`~accelspec.claims.ClaimsReport` and
:class:`~accelspec.measurements.validation.ValidationReport`. Every value is shown with its
unit; a published value with its status mark (ʳ reported, ᵈ derived, ᵉ estimated) and its
source id, the source's title and link listed under the table. Every table ends with the
result's assumptions line where it has one. In Jupyter:
``from IPython.display import HTML; HTML(to_html(result))``, or ``%load_ext accelspec.io.html``
once, after which a result in a cell's last line shows as its table (:func:`register`).

The HTML is self-contained (inline styles only, no script) and escapes every string it shows.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["CLASSES", "load_ipython_extension", "register", "to_html"]

#: The result classes :func:`to_html` renders, as (module, class name).
CLASSES = (("accelspec.perf.memory", "FitResult"), ("accelspec.perf.bounds", "Bound"),
           ("accelspec.perf.plan", "Plan"), ("accelspec.hardware.comparison", "Comparison"),
           ("accelspec.claims.results", "ClaimsReport"), ("accelspec.measurements.validation", "ValidationReport"))

_MARK = {"official": "", "reported": "ʳ", "derived": "ᵈ", "estimated": "ᵉ"}
_TABLE = 'style="border-collapse:collapse;font-size:13px"'
_CELL = 'style="padding:2px 8px;border-bottom:1px solid #ddd;text-align:{align}"'


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant figures and thousands separators; ``—`` for none."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if x == 0:
        return "0"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _qty(rec: Mapping[str, Any] | None) -> str:
    """A ``{value, unit, status, source, range, basis}`` record as cell text (escaped)."""
    if not rec or rec.get("value") is None:
        return "n/p"
    v = rec["value"]
    text = f"{_num(v)} {rec.get('unit') or ''}".strip() if isinstance(v, (int, float)) else str(v)
    text += _MARK.get(str(rec.get("status")), "")
    if rec.get("range"):
        lo, hi = rec["range"]
        text += f" ({_num(lo)}–{_num(hi)})"
    if rec.get("source"):
        text += f" [{rec['source']}]"
    return _esc(text)


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None,
           caption: str | None = None) -> str:
    """Rows of already-escaped cell HTML under an escaped header."""
    align = list(align or ["left"] * len(head))
    out = [f"<table {_TABLE}>"]
    if caption:
        out.append(f'<caption style="text-align:left;font-weight:600;padding:4px 0">{_esc(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f"<th {_CELL.format(align=al)}>{_esc(h)}</th>"
                                       for h, al in zip(head, align, strict=True)) + "</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td {_CELL.format(align=al)}>{cell}</td>"
                                    for cell, al in zip(row, align, strict=True)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _note(label: str, text: str | None) -> str:
    if not text:
        return ""
    return f'<p style="font-size:12px;color:#555;margin:4px 0"><b>{_esc(label)}</b> {_esc(text)}</p>'


def _sources(ids: Iterable[str | None], known: Mapping[str, Any] | None = None) -> str:
    """The sources cited, with title and link, from ``known`` or the catalog's shared sources."""
    from ..specfiles import load_sources

    table = dict(load_sources())
    table.update(known or {})
    items = []
    for sid in sorted({i for i in ids if i}):
        s = table.get(sid)
        if s is None:
            items.append(f"<li>{_esc(sid)}</li>")
            continue
        title = s.get("title") if isinstance(s, Mapping) else getattr(s, "title", "")
        url = s.get("url") if isinstance(s, Mapping) else getattr(s, "url", None)
        who = s.get("publisher") if isinstance(s, Mapping) else getattr(s, "publisher", "")
        link = f'<a href="{_esc(url)}">{_esc(title or sid)}</a>' if url else _esc(title or sid)
        items.append(f"<li>[{_esc(sid)}] {link}{' (' + _esc(who) + ')' if who else ''}</li>")
    if not items:
        return ""
    return '<ul style="font-size:12px;color:#555;margin:4px 0">' + "".join(items) + "</ul>"


def _src(rec: Mapping[str, Any] | None) -> str | None:
    """The source id of a quantity record (``None`` for none)."""
    return None if not rec else rec.get("source")


def _chip_sources(chip_id: str) -> dict[str, Any]:
    from ..hardware.catalog import get_chip

    try:
        return dict(get_chip(chip_id).sources())
    except LookupError:
        return {}


def _cell(chip_id: str, path: str, unit: str | None = None) -> dict[str, Any] | None:
    """The chip's published field as a quantity record (None where the chip is unknown)."""
    from ..hardware.catalog import get_chip
    from ..hardware.comparison import lookup_value
    from ..provenance import quantity_out

    try:
        return quantity_out(lookup_value(get_chip(chip_id), path), unit)
    except (LookupError, ValueError):
        return None


# --- one function per result ----------------------------------------------------------------
def _fit(r: Any) -> str:
    import numpy as np

    def gb(q: Any) -> str:
        return _esc(f"{_num(float(np.max(q.m_as('GB'))))} GB")

    rows = [[_esc(k), gb(v)] for k, v in r.footprint.terms().items()]
    rows += [["<b>required per chip</b>", f"<b>{gb(r.required)}</b>"], ["available per chip", gb(r.available)],
             ["headroom", gb(r.headroom)]]
    cap = _cell(r.chip, "memory.capacity", "GB")
    if cap is not None:
        rows.append(["chip's memory (published)", _qty(cap)])
    head = f'<p style="margin:4px 0"><b>{_esc(r.verdict)}</b>: {_esc(r.explanation)}</p>'
    return (head + _table(["term", "per chip"], rows, ["left", "right"])
            + _note("Assumed:", getattr(r, "assumptions", "")) + _sources([_src(cap)],
                                                                          _chip_sources(r.chip)))


def _bound(b: Any) -> str:
    lo, hi = b.time_range
    t = f"{_num(float(b.time.m_as('ms')))} ms"
    if float(lo.m_as("ms")) != float(hi.m_as("ms")):
        t += f" ({_num(float(lo.m_as('ms')))}–{_num(float(hi.m_as('ms')))})"
    bw = _cell(b.chip, "memory.bandwidth", "TB/s")
    peak = _cell(b.chip, f"compute.dense.{b.precision}")
    per_user = float(b.tokens_per_s_per_user.m_as("token/s"))
    per_chip = float(b.tokens_per_s_per_chip.m_as("token/s"))
    rows = [["time (lower bound)", _esc(t)],
            ["tokens/s per user (upper bound)", _esc(f"{_num(per_user)} token/s")],
            ["tokens/s per chip (upper bound)", _esc(f"{_num(per_chip)} token/s")],
            ["limiter", _esc(b.limiter)], ["intensity", _esc(f"{_num(float(b.intensity.m))} FLOP/B")],
            ["memory bandwidth", _qty(bw)], [f"peak compute ({b.precision})", _qty(peak)]]
    caption = f"{b.phase} bound: {b.model} on {b.n_chips} x {b.chip}, context {b.context_tokens:,}, batch {b.batch:,}"
    return (_table(["", "value"], rows, ["left", "right"], caption) + _note("Assumed:", b.assumptions)
            + _sources([_src(bw), _src(peak)],
                                                                            _chip_sources(b.chip)))


def _plan(p: Any) -> str:
    rec = p.to_records()

    def ms(x: Any) -> str:
        return "—" if x is None else f"{_num(x * 1000)} ms"

    rows = [[_esc(r["name"]), _esc(r["status"]), _esc(_num(r["n_chips"])), _esc(r["layout"]), _esc(_num(r["batch"])),
             _esc(ms(r["ttft_s"])), _esc(ms(r["tpot_s"])), _esc(_num(r["tokens_per_s_per_chip"])),
             _esc("—" if r.get("usd_per_m_output") is None else f"${_num(r['usd_per_m_output'], 3)}"),
             _esc("; ".join(r.get("reasons") or []))] for r in rec["rows"]]
    caption = (f"{rec['model']}: {rec['input_tokens']:,} in / {rec['output_tokens']:,} out, "
               f"TTFT <= {_num(rec['ttft_target_s'] * 1000)} ms, TPOT <= {_num(rec['tpot_target_s'] * 1000)} ms")
    return (_table(["entry", "status", "chips", "layout", "batch", "TTFT", "TPOT", "tokens/s per chip",
                    "$ / 1M output", "why not"], rows,
                   ["left", "left", "right", "left", "right", "right", "right", "right", "right", "left"], caption)
            + _note("Assumed:", rec["assumptions"]))


def _comparison(c: Any) -> str:
    d = c.to_json()
    fields = d["fields"]
    rows, cited = [], []
    for r in d["rows"]:
        cells = [_esc(r["name"])]
        for f in fields:
            rec = r["values"].get(f["label"])
            cells.append(_qty(rec))
            cited.append(_src(rec))
        rows.append(cells)
    head = ["chip"] + [f"{f['label']}" + (f" [{f['unit']}]" if f.get("unit") else "") for f in fields]
    known = {k: v for k, v in (d.get("sources") or {}).items()}
    return _table(head, rows, ["left"] + ["right"] * len(fields)) + _sources(cited, known)


def _claims(report: Any) -> str:
    recs = report.to_records()
    rows = [[_esc(r["claim"]), _esc(r["reading"]), _esc(r["verdict"]), _esc(r["claimed"]),
             _esc("; ".join(r.get("implied") or []) or ("" if r.get("ratio") is None else f"ratio {_num(r['ratio'])}")),
             _esc(r["source"])] for r in recs]
    counts: dict[str, int] = {}
    for r in recs:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    caption = ", ".join(f"{n} {v}" for v, n in counts.items())
    return (_table(["claim", "reading", "verdict", "claimed", "catalog", "source"], rows, caption=caption)
            + _sources(r["source"] for r in recs))


def _validation(report: Any) -> str:
    recs = report.to_records()
    rows = [[_esc(r["id"]), _esc(r["publisher"]), _esc(r["chip"]), _esc(f"{_num(r['measured'])} {r['unit']}"),
             _esc(f"{_num(r['bound'])} {r['unit']}"), _esc(_num(r["efficiency"], 3)), _esc(r["limiter"]),
             _esc("violation" if r.get("violation") else ("excluded" if r.get("excluded") else ""))] for r in recs]
    caption = report.summary().splitlines()[0]
    return _table(["row", "publisher", "chip", "measured", "bound", "efficiency", "limiter", ""], rows,
                  ["left", "left", "left", "right", "right", "right", "left", "left"], caption)


def to_html(obj: Any) -> str:
    """``obj`` as an HTML table with units, status marks and sources.

    Parameters
    ----------
    obj : FitResult, Bound, Plan, Comparison, ClaimsReport or ValidationReport
        A result of :func:`accelspec.fits`, :func:`accelspec.decode_bound` /
        :func:`accelspec.prefill_bound`, :func:`accelspec.plan`, :func:`accelspec.comparison`,
        :func:`accelspec.check_claims` or :func:`accelspec.validate`.

    Returns
    -------
    str
        HTML (a table, its assumptions line and the sources it cites).

    Raises
    ------
    TypeError
        For any other object.
    """
    from ..claims import ClaimsReport
    from ..hardware.comparison import Comparison
    from ..measurements.validation import ValidationReport
    from ..perf.bounds import Bound
    from ..perf.memory import FitResult
    from ..perf.plan import Plan

    for cls, fn in ((FitResult, _fit), (Bound, _bound), (Plan, _plan), (Comparison, _comparison),
                    (ClaimsReport, _claims), (ValidationReport, _validation)):
        if isinstance(obj, cls):
            return f'<div class="accelspec">{fn(obj)}</div>'
    raise TypeError(f"to_html: no HTML form for {type(obj).__name__}; expected FitResult, Bound, Plan, Comparison, "
                    "ClaimsReport or ValidationReport")


def register(ipython: Any = None) -> list[str]:
    """Show the results of :data:`CLASSES` as :func:`to_html` tables in IPython / Jupyter.

    Registers :func:`to_html` with IPython's ``text/html`` formatter by module and class name
    (``for_type_by_name``), so nothing is imported until a result is shown and the result
    classes need no ``_repr_html_`` of their own.

    Parameters
    ----------
    ipython : IPython.InteractiveShell, optional
        The shell (default: the running one).

    Returns
    -------
    list of str
        The classes registered (``module.Class``); empty outside IPython.
    """
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return []
        ipython = get_ipython()
    if ipython is None:
        return []
    formatter = ipython.display_formatter.formatters["text/html"]
    for module, name in CLASSES:
        formatter.for_type_by_name(module, name, to_html)
    return [f"{m}.{n}" for m, n in CLASSES]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext accelspec.io.html``: :func:`register` in this shell."""
    register(ipython)
