"""The engine: statements compiled to ratio constraints, checked against the catalog, and
unpublished values implied through chains of claims."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pint

from ..provenance import Spec
from ..units import Q_, format_quantity
from .intervals import Interval, mag, num
from .results import ClaimResult, ClaimsReport, CrossCheck, Implied, NodeImplied, ReadingResult
from .statements import Claim, Operand, Stated, Statement, Verdict, as_reading, load_claims, metric_unit

if TYPE_CHECKING:
    from ..hardware.catalog import Catalog


# --------------------------------------------------------------------------------------------
# compiling statements to ratio constraints
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Node:
    """A value that may be unpublished: a chip field, or an unknown quantity a claim names."""

    subject: str
    metric: str | None
    unit: str
    chip: bool = True

    def text(self) -> str:
        return f"{self.subject} {self.metric}" if self.metric else self.subject


@dataclass(frozen=True)
class _Const:
    interval: Interval
    unit: str
    label: str


@dataclass(frozen=True)
class _Sum:
    parts: tuple[Any, ...]
    unit: str
    label: str


@dataclass(frozen=True)
class _Constraint:
    claim: str
    reading: str
    a: Any
    b: Any
    C: Interval
    claimed: str  # C in words


def _ratio_c(st: Statement) -> tuple[Interval, str]:
    if st.kind == "ratio":
        c = Interval.around(st.factor or 1.0, st.tolerance)
        return c, f"a/b = {num(st.factor or 1.0)} → {c.text()}"
    if st.kind == "approx":
        c = Interval.around(1.0, st.tolerance)
        return c, f"a/b ≈ 1 → {c.text()}"
    rel, w = st.relation, st.within
    if rel in (">", ">="):
        c = Interval(1.0, math.inf if w is None else 1.0 + w, lo_open=rel == ">")
    else:
        c = Interval(0.0 if w is None else 1.0 - w, 1.0, hi_open=rel == "<")
    return c, f"a/b {rel} 1 → {c.text()}" if w is not None else f"a/b {rel} 1"


def _op(op: Operand, metric: str | None, unit: str) -> Any:
    if isinstance(op, Stated):
        if op.quantity is None:
            return _Node(op.label, None, op.unit, chip=False)
        return _Const(op.interval(unit), unit, op.label)
    return _Node(str(op), metric, unit)


def _default_unit(q: pint.Quantity) -> str:
    for unit in ("TFLOPS", "TOPS", "GB", "GB/s", "W"):
        if q.dimensionality == Q_(1, unit).dimensionality:
            return unit
    return f"{q.units:~C}" if q.dimensionality else ""


def _compile(claim: Claim) -> list[_Constraint]:
    st, cid = claim.statement, claim.id
    out: list[_Constraint] = []
    if st.kind in ("ratio", "approx", "order"):
        c, said = _ratio_c(st)
        if st.readings:
            for r in st.readings:
                u = metric_unit(r)
                out.append(_Constraint(cid, r, _op(st.a, r, u), _op(st.b, r, u), c, said))
        else:
            ref = st.a if st.a.quantity is not None else st.b
            u = _default_unit(ref.quantity)
            out.append(_Constraint(cid, "stated", _op(st.a, None, u), _op(st.b, None, u), c, said))
    elif st.kind == "value":
        readings = st.readings or ("stated",)
        for r in readings:
            if r == "stated":
                u = _default_unit(st.a.quantity if st.a.quantity is not None else Q_(1, st.a.unit))
            else:
                u = metric_unit(r)
            a = _op(st.a, r if r != "stated" else None, u)
            if st.between is not None:
                lo, hi = (mag(q, u) for q in st.between)
                c = Interval(lo, hi)
                out.append(_Constraint(cid, r, a, _Const(Interval.point(1.0), u, ""), c, f"in {c.text(u)}"))
            else:
                assert st.value is not None
                c = Interval.around(1.0, st.tolerance)
                b = _Const(st.value.interval(u), u, st.value.text())
                out.append(_Constraint(cid, r, a, b, c, f"= {st.value.text()}" + (
                    f" ± {st.tolerance * 100:.3g}%" if st.tolerance else "")))
    elif st.kind == "total":
        assert st.count is not None and st.total is not None
        assert st.total.quantity is not None  # load_claims refuses a total without a value
        n = st.count.interval("")
        readings = st.readings or ("stated",)
        for r in readings:
            u = metric_unit(r) if r != "stated" else _default_unit(st.total.quantity)
            tot = Stated(st.total.label, as_reading(st.total.quantity, u, st.prefix_only), st.total.rounding and
                         as_reading(st.total.rounding, u, st.prefix_only), st.total.bound)
            per = tot.interval(u) / n
            label = f"{st.total.text()} / {st.count.text()}"
            c = Interval.around(1.0, st.tolerance)
            said = "per unit = peak" + (f" ± {st.tolerance * 100:.3g}%" if st.tolerance else "")
            if st.b is not None and r == readings[0]:  # the per-unit figure printed with the total
                pu = Stated(st.b.label, as_reading(st.b.quantity, u, st.prefix_only),
                            st.b.rounding and as_reading(st.b.rounding, u, st.prefix_only), st.b.bound)
                out.append(_Constraint(cid, "arithmetic", _Const(pu.interval(u), u, f"stated {st.b.text()}"),
                                       _Const(per, u, label), Interval.point(1.0), "stated per unit = total / count"))
            if st.a is not None:
                out.append(_Constraint(cid, r, _Node(str(st.a), r, u), _Const(per, u, label), c, said))
            else:
                node = _Node(f"{st.count.label} ({cid})", None if r == "stated" else r, u, chip=False)
                out.append(_Constraint(cid, "per unit", node, _Const(per, u, label), c, said))
    elif st.kind == "efficiency":
        assert st.throughput is not None and st.efficiency is not None
        assert st.throughput.quantity is not None  # load_claims refuses a throughput without a value
        r = st.readings[0]
        u = metric_unit(r)
        tu = f"{st.throughput.quantity.units:~C}"
        power = st.throughput.interval(tu) / st.efficiency.interval(f"({tu})/W")  # in W
        power = power.scaled(mag(Q_(1, "W"), u))
        label = f"{st.throughput.text()} / {st.efficiency.text()}"
        out.append(_Constraint(cid, r, _Node(str(st.a), r, u), _Const(power, u, label), Interval(1.0, math.inf),
                               f"{r} ≥ implied power"))
    elif st.kind == "sum":
        assert st.whole is not None
        ref = st.whole.quantity if st.whole.quantity is not None else Q_(1, st.whole.unit)
        u = _default_unit(ref)
        parts = tuple(_op(p, None, u) for p in st.parts)
        label = " + ".join(p.label for p in st.parts)
        out.append(_Constraint(cid, "stated", _op(st.whole, None, u), _Sum(parts, u, label), Interval(1.0, math.inf),
                               "whole ≥ sum of parts"))
    return out


# --------------------------------------------------------------------------------------------
# checking
# --------------------------------------------------------------------------------------------
def _judge(r: Interval, c: Interval) -> tuple[Verdict, bool]:
    if r.disjoint(c):
        return Verdict.inconsistent, False
    return Verdict.consistent, not r.within(c)


def _known(value: tuple[Interval, str] | None) -> Interval:
    """The interval of an operand's value that is known to exist (published or stated)."""
    assert value is not None
    return value[0]


class _Engine:
    def __init__(self, claims: list[Claim], catalog: Any, depth: int = 3):
        self.catalog = catalog
        self.depth = depth
        self.claims = {c.id: c for c in claims}
        self.constraints = [k for c in claims for k in _compile(c)]
        self._pub: dict[_Node, tuple[Interval, str] | None] = {}
        self._src: dict[_Node, str] = {}  # source id of each published value

    def _restates(self, k: Any) -> bool:
        """True when every published value behind ``k`` cites the claim's own source."""
        nodes = [p for op in (k.a, k.b) for p in (op.parts if isinstance(op, _Sum) else (op,))
                 if isinstance(p, _Node)]
        claim = self.claims.get(k.claim)
        if not nodes or claim is None:
            return False
        return all(self._src.get(n) == claim.source.id for n in nodes)

    # published values ------------------------------------------------------------------
    def published(self, node: _Node) -> tuple[Interval, str] | None:
        if node in self._pub:
            return self._pub[node]
        out = None
        if node.chip and node.metric:
            spec = _chip_spec(self.catalog.get(node.subject), node.metric)
            if spec is not None:
                iv = Interval(mag(spec.low, node.unit), mag(spec.high, node.unit), nominal=mag(spec.q, node.unit))
                src = spec.source.id
                self._src[node] = src
                rng = f" (range {iv.text(node.unit)})" if spec.range else ""
                out = (iv, f"{node.subject} {node.metric} = {format_quantity(spec.q)}{rng} [{spec.status}, {src}]")
        self._pub[node] = out
        return out

    def value(self, op: Any) -> tuple[Interval, str] | None:
        if isinstance(op, _Const):
            return op.interval, op.label
        if isinstance(op, _Node):
            return self.published(op)
        if isinstance(op, _Sum):
            total: Interval | None = None
            for p in op.parts:
                v = self.value(p)
                if v is None:
                    return None
                total = v[0] if total is None else total + v[0]
            assert total is not None
            return total, op.label
        raise TypeError(op)

    # implied values ----------------------------------------------------------------------
    def derive(self, node: _Node, exclude: frozenset[str] = frozenset(), depth: int | None = None) -> list[Implied]:
        depth = self.depth if depth is None else depth
        out: list[Implied] = []
        seen: set[tuple[tuple[str, ...], float, float]] = set()
        for k in self.constraints:
            if k.claim in exclude:
                continue
            if k.a == node:
                other, forward = k.b, True
            elif k.b == node:
                other, forward = k.a, False
            else:
                continue
            for iv, chain, bases in self._values(other, exclude | {k.claim}, depth - 1):
                res = k.C * iv if forward else iv / k.C
                if not res.informative:
                    continue
                key = ((k.claim, *chain), res.lo, res.hi)
                if key in seen:
                    continue
                seen.add(key)
                out.append(Implied(node.subject, node.metric, node.unit, res, (k.claim, *chain), bases))
        return out

    def _values(self, op: Any, exclude: frozenset[str], depth: int) -> list[tuple[Interval, tuple[str, ...],
                                                                            tuple[str, ...]]]:
        if isinstance(op, _Node):
            pub = self.published(op)
            if pub is not None:
                return [(pub[0], (), (pub[1],))]
            if depth <= 0:
                return []
            return [(d.interval, d.chain, d.bases) for d in self.derive(op, exclude, depth)]
        v = self.value(op)
        return [] if v is None else [(v[0], (), (f"stated {v[1]}",))]

    # checks ------------------------------------------------------------------------------
    def check(self, k: _Constraint) -> ReadingResult:
        va, vb = self.value(k.a), self.value(k.b)
        a_text = self._text(k.a, va)
        b_text = self._text(k.b, vb)
        values = {"a": va[0] if va else None, "b": vb[0] if vb else None}
        if va is not None and vb is not None:
            r = va[0] / vb[0]
            verdict, partial = _judge(r, k.C)
            note = None
            if verdict is Verdict.consistent and self._restates(k):
                verdict = Verdict.restated
                note = "every value checked cites the claim's own source: agreement confirms nothing"
            return ReadingResult(k.claim, k.reading, a_text, b_text, r, k.C, k.claimed, verdict, partial,
                                 values=values, note=note)
        missing = [op for op in (k.a, k.b) if isinstance(op, _Node) and self.published(op) is None]
        implied = [d for m in missing for d in self.derive(m) if k.claim in d.chain]
        cross: list[CrossCheck] = []
        others = [[d for d in self.derive(m, frozenset({k.claim}))] for m in missing]
        if missing and all(others):
            for combo in itertools.islice(itertools.product(*others), 24):
                sub = dict(zip(missing, combo, strict=False))
                # an operand not missing is published (or stated), so its own value is known
                ia = sub[k.a].interval if k.a in sub else _known(va)
                ib = sub[k.b].interval if k.b in sub else _known(vb)
                r = ia / ib
                verdict, partial = _judge(r, k.C)
                cross.append(CrossCheck(tuple(combo), r, verdict, partial))
        why = "not published: " + ", ".join(m.text() for m in missing) if missing else None
        return ReadingResult(k.claim, k.reading, a_text, b_text, None, k.C, k.claimed, Verdict.undetermined,
                             missing=[m.text() for m in missing], implied=implied, cross=cross, note=why,
                             values=values)

    def _text(self, op: Any, v: tuple[Interval, str] | None) -> str:
        if isinstance(op, _Node):
            if v is None:
                return "—"
            return v[0].text(op.unit) if not v[0].is_point else f"{num(v[0].lo)} {op.unit}".strip()
        if v is None:
            return "—"
        if isinstance(op, _Const) and not op.label:
            return ""  # the unit divisor of a 'between' check
        iv = v[0]
        if iv.nominal is not None and not iv.is_point and iv.bounded:
            return f"{num(iv.nominal)} ({iv.text(op.unit)})"
        return iv.text(op.unit)

    def implied_nodes(self) -> list[NodeImplied]:
        nodes: list[_Node] = []
        for k in self.constraints:
            for op in (k.a, k.b):
                if isinstance(op, _Node) and op not in nodes and self.published(op) is None:
                    nodes.append(op)
        out = []
        for node in nodes:
            chains = self.derive(node)
            if not chains:
                continue
            combined: Interval | None = chains[0].interval
            for d in chains[1:]:
                combined = combined.intersect(d.interval) if combined is not None else None
            conflicts = [(x, y) for x, y in itertools.combinations(chains, 2) if x.interval.disjoint(y.interval)]
            out.append(NodeImplied(node.subject, node.metric, node.unit, chains, combined, conflicts))
        return out


def _chip_spec(chip: Any, metric: str) -> Spec | None:
    from ..hardware.chip import NotPublishedError

    if metric.endswith(".per_direction"):
        link = getattr(chip.interconnect, metric.split(".")[1], None)
        return None if link is None else link.per_direction()
    try:
        v = chip.field(metric)
    except (NotPublishedError, KeyError, LookupError):
        return None
    return v if isinstance(v, Spec) else None


def check_claims(claims: Iterable[Claim] | str | os.PathLike[str] | None = None, *, catalog: Catalog | None = None,
                 depth: int = 3) -> ClaimsReport:
    """Check claims against the spec catalog and return a :class:`ClaimsReport`.

    ``claims``: ``None`` (the shipped ``specs/claims/``), a file or folder, or a list of
    :class:`Claim` (from :func:`load_claims`). ``catalog``: default the shipped catalog.
    ``depth``: longest chain of claims followed to imply an unpublished value.

    Each reading gets a verdict from published values only (see the module docstring for the
    rule); an unpublished value gets implied ranges, each with the chain of claims behind it,
    and the reading is re-checked against the values other claims imply (``cross``).

    Parameters
    ----------
    claims : iterable of Claim, str, path-like or None, optional
        The claims: ``None`` (default, the shipped ``specs/claims/``), a YAML file or folder,
        or :class:`Claim` records.
    catalog : Catalog, optional
        The chips the claims are checked against (default: the shipped catalog).
    depth : int, optional
        Longest chain of claims followed to imply an unpublished value (default 3).

    Returns
    -------
    ClaimsReport
        One :class:`~accelspec.claims.results.ClaimResult` per claim (a :class:`Verdict` per
        reading, the published and implied values, the cross-checks), and the implied ranges
        of unpublished values with the chains behind them.

    Raises
    ------
    ClaimFileError
        A claim file is malformed or a claim does not check (see :func:`load_claims`).
    """
    from ..hardware.catalog import default_catalog

    cat = catalog if catalog is not None else default_catalog()
    if claims is None or isinstance(claims, (str, os.PathLike)):
        claim_list = load_claims(*(() if claims is None else (claims,)), catalog=cat)
    else:
        claim_list = list(claims)
    engine = _Engine(claim_list, cat, depth=depth)
    results = []
    for claim in claim_list:
        if claim.statement.kind == "workload":
            from .workload import check_workload

            readings = check_workload(claim, cat)
        elif claim.statement.kind in ("throughput", "speedup"):
            from .speed import check_speed

            readings = check_speed(claim, cat)
        else:
            readings = [engine.check(k) for k in engine.constraints if k.claim == claim.id]
        results.append(ClaimResult(claim, readings))
    return ClaimsReport(results, engine.implied_nodes())

