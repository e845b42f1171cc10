"""Claims as typed data: what a claim says (one pydantic model per statement ``kind``), who
said it, and how a claim file is read and checked as it loads."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args

import pint
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..errors import ClaimFileError
from ..provenance import Source
from ..units import Q_, UnitError, format_quantity, parse_quantity
from .intervals import Interval, mag, num

if TYPE_CHECKING:
    from ..hardware.catalog import Catalog


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
    (:meth:`accelspec.hardware.chip.Link.per_direction`), ``power.tdp``, ...
    """
    if path in _FIELD_UNITS:
        return _FIELD_UNITS[path]
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "compute" and parts[1] in ("dense", "sparse"):
        from ..hardware.chip import Precision

        try:
            return Precision(parts[2]).unit
        except ValueError:
            pass
    raise KeyError(path)


def _known_metrics() -> list[str]:
    from ..hardware.chip import Precision

    return [*_FIELD_UNITS, *(f"compute.dense.{p.value}" for p in Precision)]


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
        v = mag(self.quantity, unit)
        r = mag(self.rounding, unit) if self.rounding is not None else 0.0
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
    #: throughput / speedup statements: the workload and formats they are checked with (:mod:`.speed`)
    speed: dict[str, Any] = field(default_factory=dict)

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
            return f"{a} = {num(self.factor or 0)} × {b}{tol}"
        if self.kind == "approx":
            return f"{a} ≈ {b}{tol}"
        if self.kind == "order":
            by = f" by at most {self.within * 100:.3g}%" if self.within is not None else ""
            return f"{a} {self.relation} {b}{by}"
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
        if self.kind == "throughput":
            w = self.speed
            on = f"{w['chips']} × {a}" if w["chips"] > 1 else a
            return f"{w['model']} on {on}: {self.value.text() if self.value else '?'} per {w['per']}"
        if self.kind == "speedup":
            w = self.speed
            return (f"{w['a_chips']} × {a} = {num(self.factor or 0)} × {w['b_chips']} × {b} on {w['model']} "
                    f"(per {w['per']}){tol}")
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
    from ..specfiles import specs_dir

    return specs_dir() / "claims"


def load_claims(*paths: str | os.PathLike[str], catalog: Catalog | None = None) -> list[Claim]:
    """Claims from YAML files or folders (default: the shipped ``specs/claims/``).

    Each claim is checked as it loads: chips must exist in ``catalog`` (default: the shipped
    catalog), metrics must be chip field paths, tolerances must be >= 0, stated numbers must
    have the unit of their metric. A bad claim raises :class:`ClaimFileError` naming the file,
    the claim id and the field.

    Parameters
    ----------
    *paths : str or path-like
        YAML files, or folders read recursively (default: the shipped ``specs/claims/``).
    catalog : Catalog, optional
        The chips claims may name (default: the shipped catalog).

    Returns
    -------
    list of Claim
        Every claim, in file order, each with its source, quote and parsed statement.

    Raises
    ------
    ClaimFileError
        A path does not exist, a file is malformed, a claim id repeats, or a claim does not
        check; the message names the file, the claim id and the field.
    """
    from ..hardware.catalog import default_catalog
    from ..specfiles import display_path, file_sources, read_yaml, user_path

    cat = catalog if catalog is not None else default_catalog()
    files: list[Path] = []
    for p in paths or (claims_dir(),):
        p = user_path(p)
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
        sources = file_sources(data.get("sources"), file, ClaimFileError)  # never redefines a shipped id
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
    also_raw = rec.get("also") or []
    if not isinstance(also_raw, list):
        raise _Bad("also", f"must be a list of {{source, quote}} entries, got {also_raw!r}")
    for j, item in enumerate(also_raw):
        if not isinstance(item, dict) or "source" not in item or "quote" not in item:
            raise _Bad(f"also.{j}", "each 'also' entry needs a source and a quote")
        also.append(Citation(_source(item["source"], sources, f"also.{j}.source"), str(item["quote"])))
    statement = _parse_statement(rec["statement"], cat)
    notes = rec.get("notes") or []
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list):
        raise _Bad("notes", f"must be a text or a list of texts, got {notes!r}")
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
    src = sources[sid]
    # the internal fact sheet (REF, seed reference/...) is a finding aid, as for chip files
    if sid == "REF" or (src.seed or "").startswith("reference/"):
        raise _Bad(where, f"source {sid!r} may not be cited: the compiled fact sheet is a finding aid; cite the "
                          "primary document its Src column names (title, URL, date)")
    return src


# ---- statement kinds: one pydantic model per kind, selected by `kind` ---------------------------


class _Kind(BaseModel):
    """Fields shared by the statement kinds; each kind declares its own and builds a :class:`Statement`.

    Fields are declared here (what a kind may carry and of what type, ``extra="forbid"``);
    what needs the catalog (chip names, metric units) is checked in :meth:`build`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def _raw(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)

    def build(self, cat: Any) -> Statement:  # pragma: no cover - every kind overrides it
        raise NotImplementedError


class _Pairwise(_Kind):
    a: Any = None
    b: Any = None
    metric: str | None = None
    readings: str | list[str] | None = None

    def _operands(self, cat: Any) -> tuple[Operand, Operand, tuple[str, ...]]:
        a = _operand(self.a, cat, "statement.a")
        b = _operand(self.b, cat, "statement.b")
        readings = _readings(self._raw(), "statement", required=not (isinstance(a, Stated) and isinstance(b, Stated)))
        _check_same_dim(a, b, readings)
        return a, b, readings


class RatioStatement(_Pairwise):
    """``a`` is ``factor`` times ``b`` (within a relative ``tolerance``): "3x the 810E"."""

    kind: Literal["ratio"]
    factor: Annotated[float, Field(gt=0, strict=True, allow_inf_nan=False)]
    tolerance: Any = 0

    def build(self, cat: Any) -> Statement:
        tol = _tolerance(self.tolerance, "statement.tolerance")
        a, b, readings = self._operands(cat)
        return Statement("ratio", a, b, readings, factor=float(self.factor), tolerance=tol)


class ApproxStatement(_Pairwise):
    """``a`` is about ``b`` (within ``tolerance``): "comparable to the H20"."""

    kind: Literal["approx"]
    tolerance: Any = 0

    def build(self, cat: Any) -> Statement:
        tol = _tolerance(self.tolerance, "statement.tolerance")
        a, b, readings = self._operands(cat)
        return Statement("approx", a, b, readings, tolerance=tol)


class OrderStatement(_Pairwise):
    """``a relation b`` ("better than the A800"); ``within``: at most this much apart."""

    kind: Literal["order"]
    relation: Literal[">", ">=", "<", "<="]
    within: Any = None

    def build(self, cat: Any) -> Statement:
        within = None if self.within is None else _tolerance(self.within, "statement.within")
        a, b, readings = self._operands(cat)
        return Statement("order", a, b, readings, relation=self.relation, within=within)


class ValueStatement(_Kind):
    """One chip's field has a stated ``value`` (or lies ``between`` two)."""

    kind: Literal["value"]
    a: Any = None
    chip: Any = None
    metric: str | None = None
    readings: str | list[str] | None = None
    value: Any = None
    tolerance: Any = 0
    between: tuple[Any, Any] | None = None

    def build(self, cat: Any) -> Statement:
        raw = self._raw()
        tol = _tolerance(self.tolerance, "statement.tolerance")
        a = _operand(self.a if self.a is not None else self.chip, cat, "statement.chip")
        readings = _readings(raw, "statement", required=not isinstance(a, Stated))
        unit = metric_unit(readings[0]) if readings else None
        if self.between is not None:
            qs = tuple(_quantity(x, unit, "statement.between") for x in self.between)
            for q in qs:
                _check_unit(q, a, readings, "statement.between")
            if not qs[0] <= qs[1]:
                raise _Bad("statement.between", f"low {qs[0]} is above high {qs[1]}")
            return Statement("value", a, None, readings, between=(qs[0], qs[1]))
        if "value" not in raw:
            raise _Bad("statement.value", "required (or 'between')")
        v = _stated(self.value, unit, "statement.value", label="stated value")
        _check_unit(_known(v, "statement.value"), a, readings, "statement.value")
        return Statement("value", a, None, readings, value=v, tolerance=tol)


class TotalStatement(_Kind):
    """``count`` units together make ``total`` ("16,384 cards = 1945P"). ``system`` names a
    system record (specs/systems): its chip and, when ``count`` is left out, its chip count."""

    kind: Literal["total"]
    chip: Any = None
    system: str | None = None
    label: str | None = None
    count: Any = None
    total: Any = None
    tolerance: Any = 0
    metric: str | None = None
    readings: str | list[str] | None = None
    prefix_only: Annotated[bool, Field(strict=True)] = False
    per_unit: Any = None

    def build(self, cat: Any) -> Statement:
        tol = _tolerance(self.tolerance, "statement.tolerance")
        chip = _operand(self.chip, cat, "statement.chip") if self.chip else None
        if chip is not None and isinstance(chip, Stated):
            raise _Bad("statement.chip", "must name a chip")
        raw_count = self.count
        if self.system is not None:  # resolve against the system record: its chip and chip count
            from ..hardware.system import UnknownSystemError, get_system

            try:
                system = get_system(self.system)
            except UnknownSystemError as exc:
                raise _Bad("statement.system", str(exc)) from None
            if chip is not None and chip != system.chip:
                raise _Bad("statement.chip", f"{chip!r} is not the chip of system {system.id!r} ({system.chip!r})")
            chip = system.chip
            if raw_count is None:
                raw_count = {"label": f"{system.id} chips", "value": system.n_chips}
            else:
                given = _stated(raw_count, "", "statement.count", label="units")
                if given.quantity is not None and float(given.quantity.m_as("")) != system.n_chips:
                    raise _Bad("statement.count", f"{format_quantity(given.quantity)} differs from the "
                               f"{system.n_chips} chips of system {system.id!r}")
        readings = _readings(self._raw(), "statement", required=chip is not None)
        count = _stated(raw_count, "", "statement.count", label="units")
        if count.quantity is None or count.quantity.dimensionality != Q_(1, "").dimensionality:
            raise _Bad("statement.count", "must be a number of units (a bare number)")
        total = _stated(self.total, None, "statement.total", label=str(self.label or "total"))
        total_q = _known(total, "statement.total")
        for r in readings:
            want = metric_unit(r)
            q = as_reading(total_q, want, self.prefix_only)
            if q.dimensionality != Q_(1, want).dimensionality:
                raise _Bad("statement.total", f"unit of {format_quantity(total_q)} does not match metric "
                           f"{r} ({want}); an aggregate of {r} is in {want}")
        per_unit = None
        if self.per_unit is not None:
            per_unit = _stated(self.per_unit, None, "statement.per_unit", label="stated per unit")
            per_q = _known(per_unit, "statement.per_unit")
            if per_q.dimensionality != total_q.dimensionality:
                raise _Bad("statement.per_unit", f"{format_quantity(per_q)} does not have the unit of "
                           f"the total {format_quantity(total_q)}")
        return Statement("total", chip, per_unit, readings, count=count, total=total, tolerance=tol,
                         prefix_only=self.prefix_only)


class EfficiencyStatement(_Kind):
    """``throughput`` at ``efficiency`` (per watt) implies a power to compare with the TDP."""

    kind: Literal["efficiency"]
    chip: Any = None
    throughput: Any = None
    efficiency: Any = None
    metric: str | None = None

    def build(self, cat: Any) -> Statement:
        chip = _operand(self.chip, cat, "statement.chip")
        readings = _readings(self._raw(), "statement", required=False) or ("power.tdp",)
        if metric_unit(readings[0]) != "W":
            raise _Bad("statement.metric", f"an efficiency claim bounds a power field (power.tdp), not {readings[0]}")
        thr = _stated(self.throughput, None, "statement.throughput", label="throughput")
        eff = _stated(self.efficiency, None, "statement.efficiency", label="efficiency")
        thr_q, eff_q = _known(thr, "statement.throughput"), _known(eff, "statement.efficiency")
        if (thr_q / eff_q).dimensionality != Q_(1, "W").dimensionality:
            raise _Bad("statement.efficiency", f"{format_quantity(thr_q)} / {format_quantity(eff_q)} "
                       "is not a power; efficiency must be throughput per watt")
        return Statement("efficiency", chip, None, readings, throughput=thr, efficiency=eff)


class SumStatement(_Kind):
    """Stated ``parts`` add up to a stated ``whole`` (no chip involved)."""

    kind: Literal["sum"]
    parts: Annotated[list[Any], Field(min_length=1)]
    whole: Any = None

    def build(self, cat: Any) -> Statement:
        parts = tuple(_stated(p, None, f"statement.parts.{i}", label=f"part {i}") for i, p in enumerate(self.parts))
        whole = _stated(self.whole, None, "statement.whole", label="whole")
        for i, p in enumerate(parts):
            if p.dimensionality != whole.dimensionality:
                raise _Bad(f"statement.parts.{i}", f"{p.text()} does not have the unit of the whole {whole.text()}")
        return Statement("sum", None, None, (), parts=parts, whole=whole)


class _DTypePair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: str = "bf16"
    kv_cache: str = "bf16"


#: a count in a claim file: a whole number in 1 .. 2**53 (exact in floating point, as every count argument)
_PositiveInt = Annotated[int, Field(strict=True, ge=1, le=2**53)]


class WorkloadStatement(_Kind):
    """A ``context``-token workload fits on ``chips`` of ``chip`` ("1M-token context on one M890")."""

    kind: Literal["workload"]
    chip: Any = None
    model: str | None = None
    models: str | list[str] = "all"
    context: Any = None
    dtypes: list[_DTypePair] | None = None
    chips: _PositiveInt = 1
    batch: _PositiveInt = 1
    max_chips: _PositiveInt = 256

    def build(self, cat: Any) -> Statement:
        from ..inputs import parse_count
        from ..model.datatypes import dtype as _dtype

        chip = _operand(self.chip, cat, "statement.chip")
        if isinstance(chip, Stated):
            raise _Bad("statement.chip", "must name a chip")
        ctx = self.context
        try:
            if isinstance(ctx, str) and not any(ch.isalpha() and ch not in "kKMGi" for ch in ctx.strip()):
                context = float(parse_count(ctx, "context"))  # the CLI's human counts: 128k, 1M, 32Ki
            else:
                ctx_q = parse_quantity(ctx, "token", "context") if not isinstance(ctx, (int, float)) \
                    else Q_(ctx, "token")
                context = mag(ctx_q, "token")
        except (UnitError, ValueError) as exc:
            raise _Bad("statement.context", str(exc)) from None
        if not (math.isfinite(context) and 1 <= context <= 2**53):  # .inf or 1e400 tokens: refused, not "fits"
            raise _Bad("statement.context", f"must be a positive number of tokens up to 2**53, got {ctx!r}")
        models = [self.models] if isinstance(self.models, str) else [str(m) for m in self.models]
        if models != ["all"]:
            from ..model.catalog import get_model

            for i, m in enumerate(models):
                try:
                    get_model(m)
                except LookupError as exc:
                    raise _Bad(f"statement.models.{i}", str(exc)) from None
        pairs = []
        for i, c in enumerate(self.dtypes or [_DTypePair()]):
            pair = (c.weights, c.kv_cache)
            for name in pair:
                try:
                    _dtype(name)
                except (LookupError, ValueError) as exc:
                    raise _Bad(f"statement.dtypes.{i}", str(exc)) from None
            pairs.append(pair)
        wl = {"context": context, "models": models, "dtypes": pairs, "model_text": str(self.model or "model"),
              "chips": self.chips, "batch": self.batch, "max_chips": self.max_chips}
        return Statement("workload", chip, None, ("memory.capacity",), workload=wl)


_SpeedPer = Literal["user", "chip", "system"]


class _Formats(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: str = "fp8"
    kv_cache: str = "fp8"


class _Speed(_Kind):
    """Fields shared by the speed kinds (``throughput``, ``speedup``): the workload."""

    model: str
    input_tokens: _PositiveInt | None = None
    output_tokens: _PositiveInt | None = None
    context: _PositiveInt | None = None  #: mean KV length per output token (default input + output / 2)
    per: _SpeedPer = "user"
    batch: _PositiveInt | None = None
    #: the per-user speed the figure was measured at ("50 token/s"), or the TPOT limit ("20 ms")
    at_user_speed: Any = None
    #: at most 16 (:data:`accelspec.measurements.validation.MAX_ACCEPTED_TOKENS_PER_STEP`)
    accepted_tokens_per_step: Annotated[float, Field(ge=1.0, le=16.0, allow_inf_nan=False)] = 1.0

    def _workload(self, where: str = "statement") -> dict[str, Any]:
        from ..model.catalog import get_model

        try:
            model = get_model(self.model).id
        except LookupError as exc:
            raise _Bad(f"{where}.model", str(exc)) from None
        if self.context is not None:
            ctx = int(self.context)
        elif self.input_tokens is not None:
            ctx = int(self.input_tokens) + (int(self.output_tokens or 1) + 1) // 2
        else:
            raise _Bad(f"{where}.context",
                       "required: the context (or input_tokens and output_tokens) the figure is for")
        tpot = None
        if self.at_user_speed is not None:
            q = _quantity(self.at_user_speed, None, f"{where}.at_user_speed")
            if q.dimensionality == Q_(1, "s").dimensionality:
                tpot = mag(q, "s")
            elif q.dimensionality == Q_(1, "token/s").dimensionality:
                tpot = 1.0 / mag(q, "token/s")
            else:
                raise _Bad(f"{where}.at_user_speed", f"must be a speed per user (token/s) or a time per output "
                           f"token (ms), got {format_quantity(q)}")
            if not tpot > 0:
                raise _Bad(f"{where}.at_user_speed", "must be positive")
        return {"model": model, "context": ctx, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "per": self.per, "batch": self.batch, "max_tpot_s": tpot,
                "accepted_tokens_per_step": float(self.accepted_tokens_per_step)}


def _chip_operand(value: Any, cat: Any, where: str) -> str:
    op = _operand(value, cat, where)
    if isinstance(op, Stated):
        raise _Bad(where, "must name a chip")
    return str(op)


def _check_dtype(name: str, where: str) -> None:
    from ..model.datatypes import dtype as _dtype

    try:
        _dtype(name)
    except (LookupError, ValueError) as exc:
        raise _Bad(where, str(exc)) from None


class ThroughputStatement(_Speed):
    """"N tokens/s on ``chips`` × ``chip`` for ``model``": per user, per chip or for the whole
    system; checked against the decode bound (:mod:`accelspec.claims.speed`)."""

    kind: Literal["throughput"]
    chip: Any = None
    chips: _PositiveInt = 1
    throughput: Any = None
    parallelism: str | None = None
    dtypes: list[_Formats] | None = None

    def build(self, cat: Any) -> Statement:
        chip = _chip_operand(self.chip, cat, "statement.chip")
        value = _stated(self.throughput, None, "statement.throughput", label="claimed throughput")
        if value.quantity is None or value.dimensionality != Q_(1, "token/s").dimensionality:
            raise _Bad("statement.throughput", f"must be a rate in token/s, got {value.text()}")
        w = self._workload()
        pairs = []
        for i, f in enumerate(self.dtypes or [_Formats()]):
            _check_dtype(f.weights, f"statement.dtypes.{i}")
            _check_dtype(f.kv_cache, f"statement.dtypes.{i}")
            pairs.append((f.weights, f.kv_cache))
        w.update(chips=self.chips, parallelism=self.parallelism, dtypes=pairs)
        return Statement("throughput", chip, None, (), value=value, speed=w)


class SpeedupStatement(_Speed):
    """"``a`` is ``factor`` × faster than ``b`` for ``model``" (per user, per chip or per
    system of ``a_chips`` / ``b_chips``), compared with the ratio of the two bounds."""

    kind: Literal["speedup"]
    a: Any = None
    b: Any = None
    a_chips: _PositiveInt = 1
    b_chips: _PositiveInt = 1
    factor: Annotated[float, Field(gt=0, strict=False, allow_inf_nan=False)]
    tolerance: Any = 0
    a_formats: _Formats = _Formats()
    b_formats: _Formats = _Formats()
    a_parallelism: str | None = None
    b_parallelism: str | None = None

    def build(self, cat: Any) -> Statement:
        a = _chip_operand(self.a, cat, "statement.a")
        b = _chip_operand(self.b, cat, "statement.b")
        tol = _tolerance(self.tolerance, "statement.tolerance")
        for side, f in (("a_formats", self.a_formats), ("b_formats", self.b_formats)):
            _check_dtype(f.weights, f"statement.{side}")
            _check_dtype(f.kv_cache, f"statement.{side}")
        w = self._workload()
        w.update(a_chips=self.a_chips, b_chips=self.b_chips,
                 a_formats=(self.a_formats.weights, self.a_formats.kv_cache),
                 b_formats=(self.b_formats.weights, self.b_formats.kv_cache),
                 a_parallelism=self.a_parallelism, b_parallelism=self.b_parallelism)
        return Statement("speedup", a, b, (), factor=float(self.factor), tolerance=tol, speed=w)


#: Every statement kind, selected by the ``kind`` field of a claim's ``statement``.
StatementSpec = Annotated[
    Union[RatioStatement, ApproxStatement, OrderStatement, ValueStatement,  # noqa: UP007
          TotalStatement, EfficiencyStatement, SumStatement, WorkloadStatement, ThroughputStatement,
          SpeedupStatement],
    Field(discriminator="kind"),
]
_STATEMENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(StatementSpec)
#: kind name -> its pydantic model
KINDS: dict[str, type[_Kind]] = {
    get_args(m.model_fields["kind"].annotation)[0]: m  # each kind field is a one-value Literal
    for m in (RatioStatement, ApproxStatement, OrderStatement, ValueStatement, TotalStatement,
              EfficiencyStatement, SumStatement, WorkloadStatement, ThroughputStatement, SpeedupStatement)
}

#: What a field must be, in the words of the error for a value of the wrong type.
_FIELD_WANTS = {
    "factor": "must be a positive number",
    "relation": "must be one of >, >=, <, <=",
    "chips": "must be a positive whole number up to 2**53",
    "batch": "must be a positive whole number up to 2**53",
    "max_chips": "must be a positive whole number up to 2**53",
    "parts": "must be a non-empty list of stated quantities",
    "between": "must be [low, high]",
    "dtypes": "each entry is {weights: <dtype>, kv_cache: <dtype>}",
    "prefix_only": "must be true or false",
    "a_chips": "must be a positive whole number up to 2**53",
    "b_chips": "must be a positive whole number up to 2**53",
    "per": "must be one of user, chip, system",
    "accepted_tokens_per_step": "must be a number from 1 to 16 (tokens kept per verification step)",
    "input_tokens": "must be a positive whole number up to 2**53",
    "output_tokens": "must be a positive whole number up to 2**53",
    "context": "must be a positive whole number of tokens up to 2**53",
}


def _parse_statement(raw: Any, cat: Any) -> Statement:
    """Validate ``raw`` against its kind's model (:data:`StatementSpec`) and build the statement."""
    if not isinstance(raw, dict):
        raise _Bad("statement", "must be a mapping with a 'kind'")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise _Bad("statement.kind", f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    try:
        spec = _STATEMENT_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"][1:]]  # drop the union tag
        name = loc[0] if loc else "kind"
        where = "statement." + ".".join(loc[:2] if name == "dtypes" else loc[:1])
        if err["type"] == "extra_forbidden":
            allowed = sorted(set(KINDS[kind].model_fields) - {"kind"})
            raise _Bad(where, f"not a field of a {kind} statement (allowed: {', '.join(allowed)})") from None
        if err["type"] == "missing":
            raise _Bad(where, "required") from None
        want = _FIELD_WANTS.get(name, err["msg"])
        raise _Bad(where, f"{want}, got {err.get('input')!r}") from None
    return spec.build(cat)


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
    from ..errors import UnknownChipError

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


def _known(s: Stated, where: str) -> pint.Quantity:
    """The quantity ``s`` states; a unit alone (an unknown quantity) cannot be checked here."""
    if s.quantity is None:
        raise _Bad(where, f"needs a value, not only a unit ({s.unit or 'a count'})")
    return s.quantity


def as_reading(q: pint.Quantity, unit: str, prefix_only: bool) -> pint.Quantity:
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


