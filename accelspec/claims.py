"""Claims from the seed articles, as data, checked against the spec catalog.

A claim is a sentence from a source (a seed article, its date, the quote in its original
language) plus a typed statement about chips and their fields: "M890 = 3 x 810E on
performance", "810E > A800", "16,384 cards deliver 1945P". Claims live in
``specs/claims/*.yaml`` (format: ``docs/claims.md``); :func:`check_claims` checks them.

Every statement compiles to constraints of one shape, an interval C for the ratio of two
operands of the same dimension (chip fields, or numbers the claim states):

=============  ===========================  ======================================================
kind           says                         constraint
=============  ===========================  ======================================================
ratio          a = f x b, tolerance t       a / b in [f(1-t), f(1+t)]
approx         a ~ b, tolerance t           a / b in [1-t, 1+t]
order          a > b (within t)             a / b in (1, inf)  or (1, 1+t];  a < b: (0, 1) or [1-t, 1)
value          a = v +- t, or lo <= a <= hi  a / v in [1-t, 1+t];  a in [lo, hi]
total          N units give T in all        chip / (T / N) in [1-t, 1+t]  (T is N x the peak)
efficiency     throughput X at E per watt   chip power / (X / E) in [1, inf)  (power drawn <= TDP)
sum            parts add up to at most whole  whole / sum(parts) in [1, inf)
workload       model at context on chip     memory needed vs chip memory (:mod:`accelspec.memory`)
=============  ===========================  ======================================================

Verdict, from published values only. Each value is an interval [low, high] (a point when the
spec has no range); R = [a_low / b_high, a_high / b_low]. **consistent** when R and C overlap
(``partly`` when R is not inside C: true for some of the published range only),
**inconsistent** when they do not, **undetermined** when a value is not published, and
**restated** when consistent only because every value checked cites the claim's own source.

Implied values, by interval arithmetic on positive intervals: a in C x b =
[c_lo b_lo, c_hi b_hi] and b in a / C = [a_lo / c_hi, a_hi / c_lo]. Chains of claims compose
the same way (M890 bf16 = 3 x 810E, 810E ~ H20, H20 = 148 TFLOPS published); each chain is
reported with its claims, and chains that do not overlap are reported as a conflict.

Units: pint at the boundary only. Each constraint is converted once to the canonical unit of
its metric (GB, GB/s, TFLOPS, TOPS, W) and all comparisons run on float magnitudes, so a
verdict does not depend on whether a spec was written in GB or GiB, TFLOPS or PFLOPS.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pint

from .errors import SpecFileError
from .provenance import Source, Spec, Status
from .units import Q_, UnitError, format_quantity, parse_quantity

__all__ = [
    "METRIC_ALIASES",
    "Claim",
    "ClaimFileError",
    "ClaimResult",
    "ClaimsReport",
    "Implied",
    "Interval",
    "ReadingResult",
    "Verdict",
    "check_claims",
    "claims_dir",
    "load_claims",
    "metric_unit",
]

_EPS = 1e-9  # relative: values this close count as equal (float noise from unit conversions)


class ClaimFileError(SpecFileError):
    """A claim file is invalid. The message names the file, the claim id and the field."""


class Verdict(str, Enum):
    consistent = "consistent"
    inconsistent = "inconsistent"
    undetermined = "undetermined"
    #: consistent, but every published value it was checked against cites the claim's own
    #: source: the claim agrees with itself, which confirms nothing
    restated = "restated"

    def __str__(self) -> str:
        return self.value


# --------------------------------------------------------------------------------------------
# metrics: chip field paths and their canonical units
# --------------------------------------------------------------------------------------------
_FIELD_UNITS = {
    "memory.capacity": "GB",
    "memory.bandwidth": "GB/s",
    "memory.on_chip_sram": "MB",
    "interconnect.scale_up.bandwidth": "GB/s",
    "interconnect.scale_up.per_direction": "GB/s",
    "interconnect.scale_up.per_link": "GB/s",
    "interconnect.scale_up.links": "",
    "interconnect.scale_out.bandwidth": "GB/s",
    "interconnect.scale_out.per_direction": "GB/s",
    "interconnect.scale_out.per_link": "GB/s",
    "interconnect.scale_out.links": "",
    "power.tdp": "W",
}

#: Names for ambiguous words in claims, expanded to the readings they may mean (first: the one
#: taken). "performance" of an AI accelerator is taken to be dense BF16 peak compute, the figure
#: vendors and press compare first; the others are shown beside it.
METRIC_ALIASES: dict[str, list[str]] = {
    "performance": [
        "compute.dense.bf16",
        "compute.dense.fp16",
        "compute.dense.fp8",
        "compute.dense.int8",
        "memory.bandwidth",
        "memory.capacity",
        "interconnect.scale_up.bandwidth",
    ],
}


def metric_unit(path: str) -> str:
    """Canonical unit of a metric path (``"memory.bandwidth"`` -> ``"GB/s"``); ``KeyError`` if unknown.

    Metrics are chip field paths: ``memory.capacity``, ``memory.bandwidth``,
    ``compute.dense.<precision>``, ``compute.sparse.<precision>``,
    ``interconnect.scale_up.bandwidth`` (as printed), ``interconnect.scale_up.per_direction``
    (:meth:`accelspec.chip.Link.per_direction`), ``power.tdp``, ...
    """
    if path in _FIELD_UNITS:
        return _FIELD_UNITS[path]
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "compute" and parts[1] in ("dense", "sparse"):
        from .chip import Precision

        try:
            return Precision(parts[2]).unit
        except ValueError:
            pass
    raise KeyError(path)


def _known_metrics() -> list[str]:
    from .chip import Precision

    return [*_FIELD_UNITS, *(f"compute.dense.{p.value}" for p in Precision)]


def _mag(q: pint.Quantity, unit: str) -> float:
    return float(q.to(unit or "dimensionless").magnitude)


# --------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------
def _close(x: float, y: float) -> bool:
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= _EPS * max(abs(x), abs(y))


def _lt(x: float, y: float) -> bool:
    """x < y, and not equal within float noise."""
    return x < y and not _close(x, y)


@dataclass(frozen=True)
class Interval:
    """A set of positive magnitudes ``[lo, hi]`` (ends may be open, ``hi`` may be ``inf``),
    with the ``nominal`` value when there is one (the quoted number, before tolerances)."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    nominal: float | None = None

    @classmethod
    def point(cls, x: float) -> Interval:
        return cls(x, x, nominal=x)

    @classmethod
    def around(cls, x: float, tolerance: float) -> Interval:
        """``[x (1 - t), x (1 + t)]`` with nominal ``x``."""
        return cls(x * (1 - tolerance), x * (1 + tolerance), nominal=x)

    @property
    def bounded(self) -> bool:
        return not math.isinf(self.hi)

    @property
    def is_point(self) -> bool:
        return _close(self.lo, self.hi) and not (self.lo_open or self.hi_open)

    @property
    def informative(self) -> bool:
        return self.lo > 0 or self.bounded

    def __mul__(self, other: Interval) -> Interval:
        lo = self.lo * other.lo
        hi = math.inf if math.isinf(self.hi) or math.isinf(other.hi) else self.hi * other.hi
        nom = self.nominal * other.nominal if self.nominal is not None and other.nominal is not None else None
        return Interval(lo, hi, self.lo_open or other.lo_open, self.hi_open or other.hi_open, nom)

    def inverse(self) -> Interval:
        lo = 0.0 if math.isinf(self.hi) else 1.0 / self.hi
        hi = math.inf if self.lo == 0 else 1.0 / self.lo
        nom = 1.0 / self.nominal if self.nominal else None
        return Interval(lo, hi, self.hi_open, self.lo_open, nom)

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.inverse()

    def __add__(self, other: Interval) -> Interval:
        nom = self.nominal + other.nominal if self.nominal is not None and other.nominal is not None else None
        return Interval(self.lo + other.lo, self.hi + other.hi, self.lo_open or other.lo_open,
                        self.hi_open or other.hi_open, nom)

    def scaled(self, k: float) -> Interval:
        nom = None if self.nominal is None else self.nominal * k
        return Interval(self.lo * k, self.hi * k, self.lo_open, self.hi_open, nom)

    def contains(self, x: float) -> bool:
        above = _lt(self.lo, x) or (_close(x, self.lo) and not self.lo_open)
        below = _lt(x, self.hi) or (_close(x, self.hi) and not self.hi_open)
        return above and below

    def within(self, other: Interval) -> bool:
        """Every value of ``self`` lies in ``other``."""
        lo_ok = (self.lo > other.lo and not _close(self.lo, other.lo)) or (
            _close(self.lo, other.lo) and (self.lo_open or not other.lo_open))
        hi_ok = (self.hi < other.hi and not _close(self.hi, other.hi)) or (
            _close(self.hi, other.hi) and (self.hi_open or not other.hi_open))
        return lo_ok and hi_ok

    def disjoint(self, other: Interval) -> bool:
        def apart(a: Interval, b: Interval) -> bool:  # a lies wholly below b
            return _lt(a.hi, b.lo) or (_close(a.hi, b.lo) and (a.hi_open or b.lo_open))

        return apart(self, other) or apart(other, self)

    def intersect(self, other: Interval) -> Interval | None:
        if self.disjoint(other):
            return None
        if _close(self.lo, other.lo):
            lo, lo_open = max(self.lo, other.lo), self.lo_open or other.lo_open
        else:
            lo, lo_open = (self.lo, self.lo_open) if self.lo > other.lo else (other.lo, other.lo_open)
        if _close(self.hi, other.hi):
            hi, hi_open = min(self.hi, other.hi), self.hi_open or other.hi_open
        else:
            hi, hi_open = (self.hi, self.hi_open) if self.hi < other.hi else (other.hi, other.hi_open)
        out = Interval(lo, hi, lo_open, hi_open)
        for cand in (self.nominal, other.nominal):
            if cand is not None and out.contains(cand):
                return Interval(lo, hi, lo_open, hi_open, cand)
        return out

    def text(self, unit: str = "") -> str:
        """``"118.7 TFLOPS"``, ``"111-185 TFLOPS"``, ``"> 312 TFLOPS"``, ``"< 4000 GB/s"``."""
        u = f" {_unit_text(unit)}" if unit else ""
        if self.is_point:
            return f"{_num(self.lo)}{u}"
        if not self.bounded:
            if self.lo == 0:
                return "any"
            return f"{'>' if self.lo_open else '>='} {_num(self.lo)}{u}"
        if self.lo == 0:
            return f"{'<' if self.hi_open else '<='} {_num(self.hi)}{u}"
        lo, hi = _pair(self.lo, self.hi)
        if self.lo_open or self.hi_open:
            return f"{'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}{u}"
        return f"{lo}–{hi}{u}"


def _unit_text(unit: str) -> str:
    return {"GB/s": "GB/s", "TFLOPS": "TFLOPS", "TOPS": "TOPS"}.get(unit, unit)


def _num(x: float, digits: int = 4) -> str:
    if math.isinf(x):
        return "inf"
    if x != 0 and abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    text = f"{x:.{digits}g}"
    if "e" in text:
        text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return text


def _pair(lo: float, hi: float) -> tuple[str, str]:
    for digits in range(4, 8):
        a, b = _num(lo, digits), _num(hi, digits)
        if a != b:
            return a, b
    return _num(lo, 8), _num(hi, 8)


# --------------------------------------------------------------------------------------------
# claim data
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stated:
    """A number the claim itself states (or an unnamed unknown quantity, ``quantity is None``).

    ``rounding`` is the half-width of the last printed digit (``6.9万`` -> 500); ``bound`` says
    whether the text gives the value itself (``about``), or ``more_than`` / ``at_least`` /
    ``less_than`` / ``at_most`` it.
    """

    label: str
    quantity: pint.Quantity | None = None
    rounding: pint.Quantity | None = None
    bound: str = "about"
    unit: str = ""  # for an unknown quantity: its unit

    def interval(self, unit: str) -> Interval:
        assert self.quantity is not None
        v = _mag(self.quantity, unit)
        r = _mag(self.rounding, unit) if self.rounding is not None else 0.0
        if self.bound == "more_than":
            return Interval(v, math.inf, lo_open=True, nominal=None)
        if self.bound == "at_least":
            return Interval(v, math.inf, nominal=None)
        if self.bound == "less_than":
            return Interval(0.0, v, hi_open=True, nominal=None)
        if self.bound == "at_most":
            return Interval(0.0, v, nominal=None)
        return Interval(v - r, v + r, nominal=v)

    @property
    def dimensionality(self) -> Any:
        if self.quantity is not None:
            return self.quantity.dimensionality
        return Q_(1, self.unit or "").dimensionality

    def text(self) -> str:
        if self.quantity is None:
            return f"{self.label} (not stated)"
        word = {"more_than": "more than ", "at_least": "at least ", "less_than": "less than ",
                "at_most": "at most "}.get(self.bound, "")
        rnd = f" ± {format_quantity(self.rounding)}" if self.rounding is not None else ""
        return f"{word}{format_quantity(self.quantity)}{rnd}"


Operand = Any  # str (chip name) or Stated


@dataclass(frozen=True)
class Statement:
    """A typed statement. ``kind`` picks the meaning of the other fields (see module docstring)."""

    kind: str
    a: Operand = None
    b: Operand = None
    readings: tuple[str, ...] = ()
    factor: float | None = None
    tolerance: float = 0.0
    relation: str | None = None
    within: float | None = None
    value: Stated | None = None
    between: tuple[pint.Quantity, pint.Quantity] | None = None
    count: Stated | None = None
    total: Stated | None = None
    prefix_only: bool = False
    throughput: Stated | None = None
    efficiency: Stated | None = None
    parts: tuple[Stated, ...] = ()
    whole: Stated | None = None
    workload: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line: ``zhenwu-m890 = 3 × zhenwu-810e (±16.7%) on compute.dense.bf16 (+6 readings)``."""
        text = self._describe()
        if self.kind == "value" and self.readings and not isinstance(self.a, Stated):
            more = f" (+{len(self.readings) - 1} readings)" if len(self.readings) > 1 else ""
            head, _, tail = text.partition(" ")
            return f"{head} {self.readings[0]} {tail}{more}"
        if self.readings and self.kind in ("ratio", "approx", "order", "total"):
            more = f" (+{len(self.readings) - 1} readings)" if len(self.readings) > 1 else ""
            text += f" on {self.readings[0]}{more}"
        return text

    def _describe(self) -> str:
        a, b = _opname(self.a), _opname(self.b)
        tol = f" (±{self.tolerance * 100:.3g}%)" if self.tolerance else ""
        if self.kind == "ratio":
            return f"{a} = {_num(self.factor or 0)} × {b}{tol}"
        if self.kind == "approx":
            return f"{a} ≈ {b}{tol}"
        if self.kind == "order":
            w = f" by at most {self.within * 100:.3g}%" if self.within is not None else ""
            return f"{a} {self.relation} {b}{w}"
        if self.kind == "value":
            if self.between is not None:
                return f"{a} between {format_quantity(self.between[0])} and {format_quantity(self.between[1])}"
            return f"{a} = {self.value.text() if self.value else '?'}{tol}"
        if self.kind == "total":
            what = a if self.a else (self.count.label if self.count else "units")
            assert self.count is not None and self.total is not None
            prefix = " (unit prefix only)" if self.prefix_only else ""
            return f"{self.count.text()} × {what} = {self.total.text()}{prefix}"
        if self.kind == "efficiency":
            assert self.throughput is not None and self.efficiency is not None
            return f"{a}: {self.throughput.text()} at {self.efficiency.text()} → power ≤ {self.readings[0]}"
        if self.kind == "sum":
            parts = " + ".join(p.label for p in self.parts)
            return f"{parts} ≤ {self.whole.label if self.whole else '?'}"
        if self.kind == "workload":
            w = self.workload
            on = f"{w['chips']} × {a}" if w.get("chips", 1) > 1 else a
            return f"{w.get('model_text', 'model')}: {w.get('context', 0):,.0f}-token context on {on}"
        return self.kind


def _opname(op: Operand) -> str:
    if op is None:
        return "?"
    if isinstance(op, Stated):
        return op.label
    return str(op)


@dataclass(frozen=True)
class Citation:
    source: Source
    quote: str


@dataclass
class Claim:
    """One claim: where it was said, what it says, and how we read it."""

    id: str
    title: str
    source: Source
    date: str
    quote: str
    lang: str
    statement: Statement
    said_by: str | None = None
    interpretation: str | None = None
    also: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    file: str = ""

    def cite(self) -> str:
        seed = f"seed {self.source.seed}" if self.source.seed else self.source.title
        return f"[{self.source.id}] {seed}, {self.date}"

    def __repr__(self) -> str:
        return f"<Claim {self.id}: {self.statement.describe()}>"


# --------------------------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------------------------
class _Bad(Exception):
    def __init__(self, field_: str | None, message: str):
        super().__init__(message)
        self.field = field_
        self.message = message


def claims_dir() -> Path:
    """The shipped ``specs/claims/`` folder."""
    from .catalog import specs_dir

    return specs_dir() / "claims"


def load_claims(*paths: str | os.PathLike[str], catalog: Any = None) -> list[Claim]:
    """Claims from YAML files or folders (default: the shipped ``specs/claims/``).

    Each claim is checked as it loads: chips must exist in ``catalog`` (default: the shipped
    catalog), metrics must be chip field paths, tolerances must be >= 0, stated numbers must
    have the unit of their metric. A bad claim raises :class:`ClaimFileError` naming the file,
    the claim id and the field.
    """
    from .catalog import default_catalog, display_path, load_sources, read_yaml

    cat = catalog if catalog is not None else default_catalog()
    files: list[Path] = []
    for p in paths or (claims_dir(),):
        p = Path(p)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise ClaimFileError(str(p), "no such file or directory")
    out: list[Claim] = []
    seen: dict[str, str] = {}
    for f in files:
        file = display_path(f)
        data = read_yaml(f)
        if data is None:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
            raise ClaimFileError(file, "top level must be a mapping with a 'claims' list")
        sources = dict(load_sources())
        for sid, body in (data.get("sources") or {}).items():
            try:
                sources[str(sid)] = Source(id=str(sid), **body)
            except Exception as exc:  # pydantic ValidationError, TypeError
                raise ClaimFileError(file, f"invalid source: {exc}", record=f"source {sid}") from None
        for i, rec in enumerate(data["claims"]):
            cid = rec.get("id") if isinstance(rec, dict) else None
            label = str(cid) if cid else f"#{i}"
            try:
                claim = _parse_claim(rec, sources, cat)
            except _Bad as bad:
                raise ClaimFileError(file, bad.message, record=label, field=bad.field) from None
            if claim.id in seen:
                raise ClaimFileError(file, f"duplicate claim id, already defined in {seen[claim.id]}", record=claim.id)
            seen[claim.id] = file
            claim.file = file
            out.append(claim)
    return out


_CLAIM_KEYS = {"id", "title", "source", "date", "quote", "lang", "said_by", "statement", "interpretation",
               "also", "notes"}


def _parse_claim(rec: Any, sources: dict[str, Source], cat: Any) -> Claim:
    if not isinstance(rec, dict):
        raise _Bad(None, "a claim must be a mapping")
    extra = set(rec) - _CLAIM_KEYS
    if extra:
        raise _Bad(sorted(extra)[0], f"unknown key (allowed: {', '.join(sorted(_CLAIM_KEYS))})")
    for key in ("id", "source", "date", "quote", "statement"):
        if rec.get(key) in (None, ""):
            raise _Bad(key, "required")
    cid = str(rec["id"])
    if not cid.replace("-", "").replace("_", "").replace(".", "").isalnum() or cid != cid.lower():
        raise _Bad("id", f"claim id {cid!r} must be lower-case letters, digits, '-', '_' or '.'")
    src = _source(rec["source"], sources, "source")
    also = []
    for j, item in enumerate(rec.get("also") or []):
        if not isinstance(item, dict) or "source" not in item or "quote" not in item:
            raise _Bad(f"also.{j}", "each 'also' entry needs a source and a quote")
        also.append(Citation(_source(item["source"], sources, f"also.{j}.source"), str(item["quote"])))
    statement = _parse_statement(rec["statement"], cat)
    notes = rec.get("notes") or []
    if isinstance(notes, str):
        notes = [notes]
    return Claim(
        id=cid, title=str(rec.get("title") or statement.describe()), source=src, date=str(rec["date"]),
        quote=str(rec["quote"]).strip(), lang=str(rec.get("lang") or "und"), statement=statement,
        said_by=rec.get("said_by"), interpretation=rec.get("interpretation"), also=also,
        notes=[str(n) for n in notes],
    )


def _source(value: Any, sources: dict[str, Source], where: str) -> Source:
    sid = str(value)
    if sid not in sources:
        raise _Bad(where, f"unknown source id {sid!r} (known: {', '.join(sorted(sources))})")
    return sources[sid]


_KIND_KEYS = {
    "ratio": {"a", "b", "factor", "tolerance", "metric", "readings"},
    "approx": {"a", "b", "tolerance", "metric", "readings"},
    "order": {"a", "b", "relation", "within", "metric", "readings"},
    "value": {"a", "chip", "metric", "readings", "value", "tolerance", "between"},
    "total": {"chip", "label", "count", "total", "tolerance", "metric", "readings", "prefix_only", "per_unit"},
    "efficiency": {"chip", "throughput", "efficiency", "metric"},
    "sum": {"parts", "whole"},
    "workload": {"chip", "model", "models", "context", "dtypes", "chips", "batch", "max_chips"},
}


def _parse_statement(raw: Any, cat: Any) -> Statement:
    if not isinstance(raw, dict):
        raise _Bad("statement", "must be a mapping with a 'kind'")
    kind = raw.get("kind")
    if kind not in _KIND_KEYS:
        raise _Bad("statement.kind", f"unknown kind {kind!r} (known: {', '.join(_KIND_KEYS)})")
    extra = set(raw) - _KIND_KEYS[kind] - {"kind"}
    if extra:
        raise _Bad(f"statement.{sorted(extra)[0]}",
                   f"not a field of a {kind} statement (allowed: {', '.join(sorted(_KIND_KEYS[kind]))})")
    tol = _tolerance(raw.get("tolerance", 0), "statement.tolerance")
    if kind in ("ratio", "approx", "order"):
        a = _operand(raw.get("a"), cat, "statement.a")
        b = _operand(raw.get("b"), cat, "statement.b")
        readings = _readings(raw, "statement", required=not (isinstance(a, Stated) and isinstance(b, Stated)))
        _check_same_dim(a, b, readings)
        if kind == "ratio":
            factor = raw.get("factor")
            if not isinstance(factor, (int, float)) or isinstance(factor, bool) or not factor > 0:
                raise _Bad("statement.factor", f"must be a positive number, got {factor!r}")
            return Statement(kind, a, b, readings, factor=float(factor), tolerance=tol)
        if kind == "approx":
            return Statement(kind, a, b, readings, tolerance=tol)
        rel = raw.get("relation")
        if rel not in (">", ">=", "<", "<="):
            raise _Bad("statement.relation", f"must be one of >, >=, <, <=; got {rel!r}")
        within = raw.get("within")
        if within is not None:
            within = _tolerance(within, "statement.within")
        return Statement(kind, a, b, readings, relation=rel, within=within)
    if kind == "value":
        subject = raw.get("a", raw.get("chip"))
        a = _operand(subject, cat, "statement.chip")
        readings = _readings(raw, "statement", required=not isinstance(a, Stated))
        unit = metric_unit(readings[0]) if readings else None
        if "between" in raw:
            lo_hi = raw["between"]
            if not isinstance(lo_hi, (list, tuple)) or len(lo_hi) != 2:
                raise _Bad("statement.between", "must be [low, high]")
            qs = tuple(_quantity(x, unit, "statement.between") for x in lo_hi)
            for q in qs:
                _check_unit(q, a, readings, "statement.between")
            if not qs[0] <= qs[1]:
                raise _Bad("statement.between", f"low {qs[0]} is above high {qs[1]}")
            return Statement(kind, a, None, readings, between=(qs[0], qs[1]))
        if "value" not in raw:
            raise _Bad("statement.value", "required (or 'between')")
        v = _stated(raw["value"], unit, "statement.value", label="stated value")
        _check_unit(v.quantity, a, readings, "statement.value")
        return Statement(kind, a, None, readings, value=v, tolerance=tol)
    if kind == "total":
        chip = _operand(raw["chip"], cat, "statement.chip") if raw.get("chip") else None
        if chip is not None and isinstance(chip, Stated):
            raise _Bad("statement.chip", "must name a chip")
        readings = _readings(raw, "statement", required=chip is not None)
        count = _stated(raw.get("count"), "", "statement.count", label="units")
        if count.quantity is None or count.quantity.dimensionality != Q_(1, "").dimensionality:
            raise _Bad("statement.count", "must be a number of units (a bare number)")
        total = _stated(raw.get("total"), None, "statement.total", label=str(raw.get("label") or "total"))
        prefix_only = bool(raw.get("prefix_only", False))
        for r in readings:
            want = metric_unit(r)
            q = _as_reading(total.quantity, want, prefix_only)
            if q.dimensionality != Q_(1, want).dimensionality:
                raise _Bad("statement.total", f"unit of {format_quantity(total.quantity)} does not match metric "
                           f"{r} ({want}); an aggregate of {r} is in {want}")
        per_unit = None
        if raw.get("per_unit") is not None:
            per_unit = _stated(raw["per_unit"], None, "statement.per_unit", label="stated per unit")
            if per_unit.quantity.dimensionality != total.quantity.dimensionality:
                raise _Bad("statement.per_unit", f"{format_quantity(per_unit.quantity)} does not have the unit of "
                           f"the total {format_quantity(total.quantity)}")
        return Statement(kind, chip, per_unit, readings, count=count, total=total, tolerance=tol,
                         prefix_only=prefix_only)
    if kind == "efficiency":
        chip = _operand(raw.get("chip"), cat, "statement.chip")
        readings = _readings(raw, "statement", required=False) or ("power.tdp",)
        if metric_unit(readings[0]) != "W":
            raise _Bad("statement.metric", f"an efficiency claim bounds a power field (power.tdp), not {readings[0]}")
        thr = _stated(raw.get("throughput"), None, "statement.throughput", label="throughput")
        eff = _stated(raw.get("efficiency"), None, "statement.efficiency", label="efficiency")
        if (thr.quantity / eff.quantity).dimensionality != Q_(1, "W").dimensionality:
            raise _Bad("statement.efficiency", f"{format_quantity(thr.quantity)} / {format_quantity(eff.quantity)} "
                       "is not a power; efficiency must be throughput per watt")
        return Statement(kind, chip, None, readings, throughput=thr, efficiency=eff)
    if kind == "sum":
        parts_raw = raw.get("parts")
        if not isinstance(parts_raw, list) or not parts_raw:
            raise _Bad("statement.parts", "must be a non-empty list of stated quantities")
        parts = tuple(_stated(p, None, f"statement.parts.{i}", label=f"part {i}") for i, p in enumerate(parts_raw))
        whole = _stated(raw.get("whole"), None, "statement.whole", label="whole")
        for i, p in enumerate(parts):
            if p.dimensionality != whole.dimensionality:
                raise _Bad(f"statement.parts.{i}", f"{p.text()} does not have the unit of the whole {whole.text()}")
        return Statement(kind, None, None, (), parts=parts, whole=whole)
    # workload
    chip = _operand(raw.get("chip"), cat, "statement.chip")
    if isinstance(chip, Stated):
        raise _Bad("statement.chip", "must name a chip")
    ctx = raw.get("context")
    try:
        ctx_q = parse_quantity(ctx, "token", "context") if not isinstance(ctx, (int, float)) else Q_(ctx, "token")
    except UnitError as exc:
        raise _Bad("statement.context", str(exc)) from None
    context = _mag(ctx_q, "token")
    if not context >= 1:
        raise _Bad("statement.context", "must be a positive number of tokens")
    models = raw.get("models") or "all"
    if isinstance(models, str):
        models = [models]
    models = [str(m) for m in models]
    if models != ["all"]:
        from .model_catalog import get_model

        for i, m in enumerate(models):
            try:
                get_model(m)
            except LookupError as exc:
                raise _Bad(f"statement.models.{i}", str(exc)) from None
    budgets = {}
    for key, default in (("chips", 1), ("batch", 1), ("max_chips", 256)):
        v = raw.get(key, default)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise _Bad(f"statement.{key}", f"must be a positive whole number, got {v!r}")
        budgets[key] = v
    combos = raw.get("dtypes") or [{"weights": "bf16", "kv_cache": "bf16"}]
    pairs = []
    from .dtypes import dtype as _dtype

    for i, c in enumerate(combos):
        if not isinstance(c, dict) or set(c) - {"weights", "kv_cache"}:
            raise _Bad(f"statement.dtypes.{i}", "each entry is {weights: <dtype>, kv_cache: <dtype>}")
        pair = (str(c.get("weights", "bf16")), str(c.get("kv_cache", "bf16")))
        for name in pair:
            try:
                _dtype(name)
            except (LookupError, ValueError) as exc:
                raise _Bad(f"statement.dtypes.{i}", str(exc)) from None
        pairs.append(pair)
    wl = {"context": context, "models": models, "dtypes": pairs, "model_text": str(raw.get("model") or "model"),
          **budgets}
    return Statement(kind, chip, None, ("memory.capacity",), workload=wl)


def _list(x: Any) -> list[str]:
    return [str(v) for v in (x if isinstance(x, (list, tuple)) else [x])]


def _tolerance(value: Any, where: str) -> float:
    """A relative tolerance: ``0.25``, ``"25%"`` or a fraction ``"1/6"``."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                value = float(text[:-1]) / 100
            elif "/" in text:
                num, den = text.split("/", 1)
                value = float(num) / float(den)
            else:
                value = float(text)
        except (ValueError, ZeroDivisionError):
            raise _Bad(where, f"cannot read {value!r} as a tolerance (a number like 0.1, '10%' or '1/6')") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise _Bad(where, f"must be a relative tolerance (a number like 0.1 or '10%'), got {value!r}")
    if value < 0:
        raise _Bad(where, f"tolerance must be >= 0, got {value!r}")
    return float(value)


def _readings(raw: dict[str, Any], where: str, required: bool) -> tuple[str, ...]:
    items: list[str] = []
    if raw.get("metric") is not None:
        items.append(str(raw["metric"]))
    extra = raw.get("readings") or []
    if isinstance(extra, str):
        extra = [extra]
    items += [str(x) for x in extra]
    out: list[str] = []
    for m in items:
        for path in METRIC_ALIASES.get(m, [m]):
            try:
                metric_unit(path)
            except KeyError:
                key = "metric" if raw.get("metric") == m else "readings"
                raise _Bad(f"{where}.{key}", f"unknown metric {m!r}; metrics are chip field paths such as "
                           + ", ".join(_known_metrics()[:6]) + ", compute.dense.<precision>") from None
            if path not in out:
                out.append(path)
    if required and not out:
        raise _Bad(f"{where}.metric", "required: the chip field the claim is about (e.g. memory.capacity)")
    return tuple(out)


def _operand(value: Any, cat: Any, where: str) -> Operand:
    from .errors import UnknownChipError

    if value is None:
        raise _Bad(where, "required")
    if isinstance(value, str):
        try:
            return cat.get(value).id
        except UnknownChipError as exc:
            raise _Bad(where, str(exc)) from None
    if isinstance(value, dict):
        return _stated(value, None, where, label=str(value.get("label") or "stated value"))
    raise _Bad(where, f"must be a chip name or a stated quantity {{label, value}}, got {value!r}")


_STATED_KEYS = {"label", "value", "rounding", "bound", "unit"}


def _stated(value: Any, unit: str | None, where: str, label: str) -> Stated:
    if value is None:
        raise _Bad(where, "required")
    if not isinstance(value, dict):
        value = {"value": value}
    extra = set(value) - _STATED_KEYS
    if extra:
        raise _Bad(where, f"unknown key {sorted(extra)[0]!r} (allowed: {', '.join(sorted(_STATED_KEYS))})")
    label = str(value.get("label") or label)
    bound = str(value.get("bound", "about"))
    if bound not in ("about", "more_than", "at_least", "less_than", "at_most"):
        raise _Bad(where, f"bound must be about, more_than, at_least, less_than or at_most; got {bound!r}")
    if value.get("value") is None:
        if "unit" not in value:
            raise _Bad(where, "needs a value (or 'unit' for an unknown quantity)")
        u = str(value["unit"] or "")
        try:
            Q_(1, u)
        except Exception:
            raise _Bad(where, f"unknown unit {u!r}") from None
        return Stated(label, None, None, bound, unit=u)
    q = _quantity(value["value"], unit, where)
    if not q.magnitude > 0:
        raise _Bad(where, f"must be positive, got {format_quantity(q)}")
    rnd = None
    if value.get("rounding") is not None:
        rnd = _quantity(value["rounding"], None, f"{where}.rounding")
        if rnd.dimensionality != q.dimensionality:
            raise _Bad(f"{where}.rounding", f"{format_quantity(rnd)} does not have the unit of {format_quantity(q)}")
        if rnd.magnitude < 0:
            raise _Bad(f"{where}.rounding", f"tolerance must be >= 0, got {format_quantity(rnd)}")
    return Stated(label, q, rnd, bound)


def _quantity(value: Any, unit: str | None, where: str) -> pint.Quantity:
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Q_(value, "")  # a count; a bare number anywhere else fails the unit check
        return parse_quantity(value, None, where)
    except UnitError as exc:
        raise _Bad(where, str(exc)) from None


def _as_reading(q: pint.Quantity, unit: str, prefix_only: bool) -> pint.Quantity:
    """With ``prefix_only`` (the source printed "1945P", no FLOPS or OPS), the number is read in
    whichever of FLOP/s or OP/s the metric uses."""
    if not prefix_only:
        return q
    target = Q_(1, unit).dimensionality
    if q.dimensionality == target:
        return q
    for a, b in (("FLOP", "OP"), ("OP", "FLOP")):
        try:
            alt = Q_(q.to(f"P{a}S").magnitude, f"P{b}S")
        except pint.errors.DimensionalityError:
            continue
        if alt.dimensionality == target:
            return alt
    return q


def _check_unit(q: pint.Quantity, subject: Operand, readings: Sequence[str], where: str) -> None:
    if isinstance(subject, Stated):
        if q.dimensionality != subject.dimensionality:
            raise _Bad(where, f"{format_quantity(q)} does not have the unit of {subject.text()}")
        return
    for r in readings:
        want = metric_unit(r)
        if q.dimensionality != Q_(1, want).dimensionality:
            raise _Bad(where, f"unit of {format_quantity(q)} does not match metric {r} ({want or 'a count'})")


def _check_same_dim(a: Operand, b: Operand, readings: Sequence[str]) -> None:
    for side, op in (("a", a), ("b", b)):
        if isinstance(op, Stated):
            for r in readings:
                want = metric_unit(r)
                if op.dimensionality != Q_(1, want).dimensionality:
                    raise _Bad(f"statement.{side}", f"unit of {op.text()} does not match metric {r} "
                               f"({want or 'a count'})")
    if isinstance(a, Stated) and isinstance(b, Stated) and a.dimensionality != b.dimensionality:
        raise _Bad("statement.b", f"{b.text()} does not have the unit of {a.text()}")


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
        return c, f"a/b = {_num(st.factor or 1.0)} → {c.text()}"
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
                lo, hi = (_mag(q, u) for q in st.between)
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
        n = st.count.interval("")
        readings = st.readings or ("stated",)
        for r in readings:
            u = metric_unit(r) if r != "stated" else _default_unit(st.total.quantity)
            tot = Stated(st.total.label, _as_reading(st.total.quantity, u, st.prefix_only), st.total.rounding and
                         _as_reading(st.total.rounding, u, st.prefix_only), st.total.bound)
            per = tot.interval(u) / n
            label = f"{st.total.text()} / {st.count.text()}"
            c = Interval.around(1.0, st.tolerance)
            said = "per unit = peak" + (f" ± {st.tolerance * 100:.3g}%" if st.tolerance else "")
            if st.b is not None and r == readings[0]:  # the per-unit figure printed with the total
                pu = Stated(st.b.label, _as_reading(st.b.quantity, u, st.prefix_only),
                            st.b.rounding and _as_reading(st.b.rounding, u, st.prefix_only), st.b.bound)
                out.append(_Constraint(cid, "arithmetic", _Const(pu.interval(u), u, f"stated {st.b.text()}"),
                                       _Const(per, u, label), Interval.point(1.0), "stated per unit = total / count"))
            if st.a is not None:
                out.append(_Constraint(cid, r, _Node(str(st.a), r, u), _Const(per, u, label), c, said))
            else:
                node = _Node(f"{st.count.label} ({cid})", None if r == "stated" else r, u, chip=False)
                out.append(_Constraint(cid, "per unit", node, _Const(per, u, label), c, said))
    elif st.kind == "efficiency":
        assert st.throughput is not None and st.efficiency is not None
        r = st.readings[0]
        u = metric_unit(r)
        tu = f"{st.throughput.quantity.units:~C}"
        power = st.throughput.interval(tu) / st.efficiency.interval(f"({tu})/W")  # in W
        power = power.scaled(_mag(Q_(1, "W"), u))
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
# results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Implied:
    """A value implied by claims: ``interval`` (in ``unit``) for ``subject``'s ``metric``, from
    the ``chain`` of claim ids (nearest first) applied to the published values in ``bases``."""

    subject: str
    metric: str | None
    unit: str
    interval: Interval
    chain: tuple[str, ...]
    bases: tuple[str, ...]

    @property
    def low(self) -> pint.Quantity:
        return Q_(self.interval.lo, self.unit)

    @property
    def high(self) -> pint.Quantity | None:
        """``None`` when the claims give no upper bound."""
        return Q_(self.interval.hi, self.unit) if self.interval.bounded else None

    @property
    def nominal(self) -> pint.Quantity | None:
        return None if self.interval.nominal is None else Q_(self.interval.nominal, self.unit)

    @property
    def target(self) -> str:
        return f"{self.subject} {self.metric}" if self.metric else self.subject

    def text(self) -> str:
        iv = self.interval
        nom = f"≈ {_num(iv.nominal)} {self.unit} " if iv.nominal is not None and not iv.is_point else ""
        rng = f"({iv.text(self.unit)})" if nom else iv.text(self.unit)
        return f"{nom}{rng}".strip()

    def basis(self) -> str:
        return f"claims {' ∘ '.join(self.chain)} applied to {'; '.join(self.bases)}"

    def to_spec(self, source: Source) -> Spec | None:
        """A ``derived`` :class:`~accelspec.provenance.Spec` with this range, or ``None`` when
        the range is open-ended or has no nominal value."""
        iv = self.interval
        if iv.nominal is None or not iv.bounded or iv.lo <= 0:
            return None
        def q(x: float) -> pint.Quantity:  # 12 significant digits: no float noise from unit conversions
            return Q_(float(f"{x:.12g}"), self.unit)

        return Spec(value=q(iv.nominal), range=(q(iv.lo), q(iv.hi)), source=source, status=Status.derived,
                    basis=self.basis())


@dataclass(frozen=True)
class CrossCheck:
    """The verdict of one reading when its unpublished values take values implied by other claims."""

    values: tuple[Implied, ...]
    ratio: Interval
    verdict: Verdict
    partial: bool

    @property
    def chains(self) -> list[str]:
        return sorted({c for v in self.values for c in v.chain})


@dataclass
class ReadingResult:
    """One reading of a claim: the numbers behind it and the verdict."""

    claim: str
    reading: str
    a: str
    b: str
    ratio: Interval | None
    claimed: Interval | None
    claimed_text: str
    verdict: Verdict
    partial: bool = False
    missing: list[str] = field(default_factory=list)
    implied: list[Implied] = field(default_factory=list)
    cross: list[CrossCheck] = field(default_factory=list)
    note: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    extra: str = ""  #: a short extra column (workload claims: fewest chips and largest memory term)

    @property
    def verdict_text(self) -> str:
        if self.verdict is Verdict.consistent and self.partial:
            return "consistent (partly)"
        return str(self.verdict)


@dataclass
class ClaimResult:
    """A claim, its readings and its verdict (the verdict of the reading taken, the first)."""

    claim: Claim
    readings: list[ReadingResult]

    @property
    def id(self) -> str:
        return self.claim.id

    @property
    def primary(self) -> ReadingResult | None:
        return self.readings[0] if self.readings else None

    @property
    def verdict(self) -> Verdict:
        return self.primary.verdict if self.primary else Verdict.undetermined

    @property
    def consistent_readings(self) -> list[str]:
        return [r.reading for r in self.readings if r.verdict is Verdict.consistent]

    @property
    def inconsistent_readings(self) -> list[str]:
        return [r.reading for r in self.readings if r.verdict is Verdict.inconsistent]

    def reading(self, name: str) -> ReadingResult:
        for r in self.readings:
            if r.reading == name:
                return r
        names = ", ".join(r.reading for r in self.readings)
        raise KeyError(f"claim {self.id}: no reading {name!r} (readings: {names})")


@dataclass
class NodeImplied:
    """Everything the claims imply about one unpublished value, and whether the chains agree."""

    subject: str
    metric: str | None
    unit: str
    chains: list[Implied]
    combined: Interval | None
    conflicts: list[tuple[Implied, Implied]]

    @property
    def target(self) -> str:
        return f"{self.subject} {self.metric}" if self.metric else self.subject


class ClaimsReport:
    """The result of :func:`check_claims`. ``str(report)`` is a terminal table,
    :meth:`to_markdown` the same in Markdown; ``report["claim-id"]`` is one :class:`ClaimResult`."""

    def __init__(self, results: list[ClaimResult], implied: list[NodeImplied]):
        self.results = results
        self.implied = implied

    def __getitem__(self, claim_id: str) -> ClaimResult:
        for r in self.results:
            if r.id == claim_id:
                return r
        raise KeyError(f"no claim {claim_id!r} in this report")

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def implied_for(self, subject: str, metric: str | None = None) -> NodeImplied:
        from .catalog import normalize_name

        for n in self.implied:
            if normalize_name(n.subject) == normalize_name(subject) and (metric is None or n.metric == metric):
                return n
        raise KeyError(f"nothing implied for {subject} {metric or ''}".strip())

    def implied_specs(self) -> list[tuple[str, Spec]]:
        """``(target, Spec)`` for every implied value with a nominal value and a bounded range:
        status ``derived``, the chain of claims as ``basis``, the source of the chain's first claim."""
        out = []
        by_id = {r.id: r.claim for r in self.results}
        for node in self.implied:
            for imp in node.chains:
                first = by_id.get(imp.chain[0])
                spec = imp.to_spec(first.source) if first is not None else None
                if spec is not None:
                    out.append((imp.target, spec))
        return out

    def counts(self) -> dict[str, int]:
        out = {v.value: 0 for v in Verdict}
        for r in self.results:
            out[r.verdict.value] += 1
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per (claim, reading): plain values for a DataFrame or JSON."""
        rows = []
        for res in self.results:
            for rr in res.readings:
                rows.append({
                    "claim": res.id, "source": res.claim.source.id, "reading": rr.reading,
                    "taken": rr is res.primary, "a": rr.a, "b": rr.b,
                    "ratio": rr.ratio.text() if rr.ratio else None, "claimed": rr.claimed_text,
                    "verdict": rr.verdict.value, "partial": rr.partial,
                    "implied": [f"{i.target} {i.text()}" for i in rr.implied],
                })
        return rows

    def to_text(self, width: int = 140) -> str:
        from .claims_report import render_text

        return render_text(self, width=width)

    def to_markdown(self) -> str:
        from .claims_report import render_markdown

        return render_markdown(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<ClaimsReport: {len(self)} claims, {c['consistent']} consistent, "
                f"{c['inconsistent']} inconsistent, {c['undetermined']} undetermined, {c['restated']} restated>")


# --------------------------------------------------------------------------------------------
# checking
# --------------------------------------------------------------------------------------------
def _judge(r: Interval, c: Interval) -> tuple[Verdict, bool]:
    if r.disjoint(c):
        return Verdict.inconsistent, False
    return Verdict.consistent, not r.within(c)


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
                iv = Interval(_mag(spec.low, node.unit), _mag(spec.high, node.unit), nominal=_mag(spec.q, node.unit))
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
                ia = sub[k.a].interval if k.a in sub else va[0]  # type: ignore[index]
                ib = sub[k.b].interval if k.b in sub else vb[0]  # type: ignore[index]
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
            return v[0].text(op.unit) if not v[0].is_point else f"{_num(v[0].lo)} {op.unit}".strip()
        if v is None:
            return "—"
        if isinstance(op, _Const) and not op.label:
            return ""  # the unit divisor of a 'between' check
        iv = v[0]
        if iv.nominal is not None and not iv.is_point and iv.bounded:
            return f"{_num(iv.nominal)} ({iv.text(op.unit)})"
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
    from .chip import NotPublishedError

    if metric.endswith(".per_direction"):
        link = getattr(chip.interconnect, metric.split(".")[1], None)
        return None if link is None else link.per_direction()
    try:
        v = chip.field(metric)
    except (NotPublishedError, KeyError, LookupError):
        return None
    return v if isinstance(v, Spec) else None


def check_claims(claims: Iterable[Claim] | str | os.PathLike[str] | None = None, *, catalog: Any = None,
                 depth: int = 3) -> ClaimsReport:
    """Check claims against the spec catalog and return a :class:`ClaimsReport`.

    ``claims``: ``None`` (the shipped ``specs/claims/``), a file or folder, or a list of
    :class:`Claim` (from :func:`load_claims`). ``catalog``: default the shipped catalog.
    ``depth``: longest chain of claims followed to imply an unpublished value.

    Each reading gets a verdict from published values only (see the module docstring for the
    rule); an unpublished value gets implied ranges, each with the chain of claims behind it,
    and the reading is re-checked against the values other claims imply (``cross``).
    """
    from .catalog import default_catalog

    cat = catalog if catalog is not None else default_catalog()
    if claims is None or isinstance(claims, (str, os.PathLike)):
        claim_list = load_claims(*(() if claims is None else (claims,)), catalog=cat)
    else:
        claim_list = list(claims)
    engine = _Engine(claim_list, cat, depth=depth)
    results = []
    for claim in claim_list:
        if claim.statement.kind == "workload":
            from .claims_workload import check_workload

            readings = check_workload(claim, cat)
        else:
            readings = [engine.check(k) for k in engine.constraints if k.claim == claim.id]
        results.append(ClaimResult(claim, readings))
    return ClaimsReport(results, engine.implied_nodes())
