"""Rendering of a :class:`~accelspec.claims.ClaimsReport`: a terminal table and Markdown.

Kept apart from :mod:`accelspec.claims` so the checking code stays small; no third-party
imports (the report must render without pandas or matplotlib).
"""

from __future__ import annotations

import textwrap
from typing import Any

__all__ = ["render_markdown", "render_text"]


def _table(headers: list[str], rows: list[list[str]], indent: str = "", width: int | None = None) -> list[str]:
    """Fixed-width columns; the last column wraps when the table would pass ``width``."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    if width is not None:
        used = len(indent) + sum(widths[:-1]) + 2 * (len(widths) - 1)
        widths[-1] = max(min(widths[-1], width - used), 30)
    fmt = indent + "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers).rstrip()[: len(indent) + sum(widths) + 2 * (len(widths) - 1)],
             indent + "  ".join("-" * w for w in widths)]
    for r in rows:
        last = textwrap.wrap(r[-1], widths[-1], break_long_words=False, break_on_hyphens=False) or [""]
        lines.append(fmt.format(*r[:-1], last[0]).rstrip())
        blank = ["" for _ in r[:-1]]
        lines += [fmt.format(*blank, more).rstrip() for more in last[1:]]
    return lines


def _ratio_text(rr: Any) -> str:
    if rr.ratio is None:
        return "—"
    iv = rr.ratio
    if iv.nominal is not None and not iv.is_point:
        from .intervals import num

        return f"{num(iv.nominal)} ({iv.text()})"
    return iv.text()


def _via(imp: Any) -> str:
    return f"{' ∘ '.join(imp.chain)} ← {'; '.join(imp.bases)}"


def _cross_text(cc: Any) -> str:
    vals = ", ".join(f"{v.target} {v.text()} via {' ∘ '.join(v.chain)}" for v in cc.values)
    verdict = f"{cc.verdict}{' (partly)' if cc.partial else ''}"
    return f"{verdict}: a/b {cc.ratio.text()} with {vals}"


def _summary_rows(report: Any, with_statement: bool = True) -> list[list[str]]:
    rows = []
    for res in report.results:
        primary = res.primary
        others = [r for r in res.consistent_readings if primary is None or r != primary.reading]
        bad = [r for r in res.inconsistent_readings if primary is None or r != primary.reading]
        other = "; ".join(x for x in (f"ok: {', '.join(others)}" if others else "",
                                      f"NO: {', '.join(bad)}" if bad else "") if x) or "—"
        row = [res.id, res.claim.source.id]
        if with_statement:
            row.append(res.claim.statement.describe())
        row += [primary.reading if primary else "—", primary.verdict_text if primary else "undetermined",
                _given_others(primary), other]
        rows.append(row)
    return rows


_SUMMARY_HEADERS = ["claim", "src", "statement", "reading taken", "verdict", "given other claims",
                    "other readings"]


def _given_others(rr: Any) -> str:
    """The taken reading re-checked with values other claims imply: one word."""
    if rr is None or not rr.cross:
        return "—"
    verdicts = {c.verdict.value for c in rr.cross}
    return verdicts.pop() if len(verdicts) == 1 else "mixed"


def _extra_header(claim: Any) -> str:
    return "fewest chips; largest term" if claim.statement.kind == "workload" else "other claims imply"


def _others_text(rr: Any) -> str:
    """Compact verdicts of a reading re-checked with values other claims imply (or its extra column)."""
    if rr.extra:
        return rr.extra
    if not rr.cross:
        return ""
    marks = {"consistent": "ok", "inconsistent": "NO", "undetermined": "?", "restated": "="}
    parts = []
    for cc in rr.cross:
        chains = "+".join(dict.fromkeys(c for v in cc.values for c in v.chain))
        parts.append(f"{marks[cc.verdict.value]} {chains}")
    return "; ".join(dict.fromkeys(parts))


def render_text(report: Any, width: int = 120) -> str:
    """The whole report as plain text for a terminal."""
    c = report.counts()
    from ..specfiles import catalog_version

    out = [f"Claims check (catalog {catalog_version()}): {len(report)} claims: {c['consistent']} consistent, "
           f"{c['inconsistent']} inconsistent, {c['undetermined']} undetermined, {c['restated']} restated "
           "(own source) (verdict of the reading taken, marked *)", ""]
    out += _table([h for h in _SUMMARY_HEADERS if h != "statement"], _summary_rows(report, with_statement=False),
                  width=width)
    wrap = textwrap.TextWrapper(width=width, initial_indent="   ", subsequent_indent="     ")
    for res in report.results:
        cl = res.claim
        out += ["", f"── {cl.id}: {cl.title}", f"   {cl.cite()}" + (f"; said by {cl.said_by}" if cl.said_by else "")]
        out += wrap.wrap(f"“{cl.quote}”")
        out.append(f"   statement: {cl.statement.describe()}")
        if cl.interpretation:
            out += wrap.wrap(f"reading: {cl.interpretation}")
        rows = []
        for i, rr in enumerate(res.readings):
            rows.append([("* " if i == 0 else "  ") + rr.reading, rr.a, rr.b, _ratio_text(rr), rr.claimed_text,
                         rr.verdict_text, _others_text(rr)])
        if rows and not any(r[-1] for r in rows):
            out += _table(["  reading", "a", "b", "a/b", "claimed", "verdict"], [r[:-1] for r in rows],
                          indent="   ", width=width)
        elif rows:
            out += _table(["  reading", "a", "b", "a/b", "claimed", "verdict", _extra_header(cl)],
                          rows, indent="   ", width=width)
        for rr in res.readings:
            for note in ([rr.note] if rr.note else []):
                out += wrap.wrap(f"{rr.reading}: {note}")
            for imp in rr.implied:
                out += wrap.wrap(f"{rr.reading}: implies {imp.target} {imp.text()} via {_via(imp)}")
            for cc in rr.cross:
                out += wrap.wrap(f"{rr.reading}: with other claims, {_cross_text(cc)}")
    if report.implied:
        out += ["", "Implied values (status derived; each line one chain of claims)"]
        for node in report.implied:
            out.append(f"── {node.target}")
            for imp in node.chains:
                out += wrap.wrap(f"{imp.text():<28} via {_via(imp)}")
            out += wrap.wrap(_combined_text(node))
    return "\n".join(out)


def _combined_text(node: Any) -> str:
    if node.combined is not None:
        if len(node.chains) == 1:
            return "single chain"
        return f"all chains agree on {node.combined.text(node.unit)}"
    pairs = "; ".join(f"{' ∘ '.join(x.chain)} vs {' ∘ '.join(y.chain)}" for x, y in node.conflicts[:6])
    more = f" (+{len(node.conflicts) - 6} more)" if len(node.conflicts) > 6 else ""
    return f"CONFLICT: the chains do not overlap ({pairs}{more})"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return lines


def render_markdown(report: Any) -> str:
    """The whole report as Markdown (summary table, one section per claim, implied values)."""
    c = report.counts()
    from ..specfiles import catalog_version

    out = ["# Claims check", "", f"Catalog data version {catalog_version()}.", "",
           f"{len(report)} claims: {c['consistent']} consistent, {c['inconsistent']} inconsistent, "
           f"{c['undetermined']} undetermined, {c['restated']} restated (checked only against the claim's "
           "own source) (verdict of the reading taken, the first).", ""]
    out += _md_table(_SUMMARY_HEADERS, [[f"[{r[0]}](#{r[0]})", *r[1:]] for r in _summary_rows(report)])
    for res in report.results:
        cl = res.claim
        out += ["", f"## {cl.id}", "", f"**{_md(cl.title)}**. {_md(cl.cite())}"
                + (f"; said by {_md(cl.said_by)}" if cl.said_by else "") + f" (quote in {cl.lang}):", "",
                f"> {_md(cl.quote)}", ""]
        for cit in cl.also:
            out += [f"Also [{cit.source.id}]: > {_md(cit.quote)}", ""]
        out.append(f"Statement: `{cl.statement.describe()}`")
        if cl.interpretation:
            out += ["", f"Reading: {_md(cl.interpretation)}"]
        if res.readings:
            rows = [[("**" + rr.reading + "** (taken)") if i == 0 else rr.reading, rr.a, rr.b, _ratio_text(rr),
                     rr.claimed_text, rr.verdict_text, _others_text(rr)] for i, rr in enumerate(res.readings)]
            headers = ["reading", "a", "b", "a/b", "claimed", "verdict", _extra_header(cl)]
            out += ["", *_md_table(headers, rows)]
        notes = []
        for rr in res.readings:
            if rr.note:
                notes.append(f"- `{rr.reading}`: {_md(rr.note)}")
            for imp in rr.implied:
                notes.append(f"- `{rr.reading}`: implies {imp.target} **{imp.text()}** via {_md(_via(imp))}")
            for cc in rr.cross:
                notes.append(f"- `{rr.reading}`: with other claims, {_md(_cross_text(cc))}")
        if notes:
            out += ["", *notes]
        for n in cl.notes:
            out += ["", f"Note: {_md(n)}"]
    if report.implied:
        out += ["", "## Implied values", "", "Status `derived`; each row is one chain of claims.", ""]
        rows = []
        for node in report.implied:
            for imp in node.chains:
                rows.append([node.target, imp.text(), " ∘ ".join(imp.chain), "; ".join(imp.bases)])
            rows.append([node.target, "**combined**", _combined_text(node), ""])
        out += _md_table(["value", "implied", "chain of claims", "from"], rows)
    return "\n".join(out) + "\n"
