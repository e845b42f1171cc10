"""Values that carry their source: :class:`Source`, :class:`Status`, :class:`Spec`, :class:`Fact`.

As in ``astropy.constants``, a number never travels without its unit, its reference and how
it was obtained. A :class:`Spec` behaves like a pint Quantity (``spec.to("GiB")``,
``spec * 2``, ``print(spec)``) and also answers ``spec.source``, ``spec.status`` and
``spec.range``.
"""

from __future__ import annotations

import operator
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, cast

import pint
import pint.compat
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)

from .errors import FrozenRecordError
from .units import format_quantity, frozen_quantity, parse_quantity

__all__ = ["Absent", "Direction", "Fact", "FrozenDict", "Record", "Source", "Spec", "Status", "freeze", "is_compiled",
           "quantity_out", "source_out", "spec_type", "user_marked"]


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only ``dict``: lookups as usual, every change raises :class:`FrozenRecordError`.

    A ``dict`` subclass (not ``MappingProxyType``) so records still pickle, deep-copy, compare
    equal to plain dicts and serialize with pydantic. Copy with ``dict(d)`` to get a mutable one.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise FrozenRecordError("this mapping belongs to a shared catalog record and is read-only; "
                                "copy it with dict(...) or make a variant with record.model_copy(update={...})")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict:
        import copy

        return FrozenDict({copy.deepcopy(k, memo): copy.deepcopy(v, memo) for k, v in self.items()})

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


def freeze(value: Any) -> Any:
    """``dict`` -> :class:`FrozenDict` and ``list`` -> ``tuple``, all the way down."""
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


class Record(BaseModel):
    """Base of every catalog record: assignment raises :class:`FrozenRecordError`.

    Records are shared by every caller of :func:`accelspec.get_chip` / :func:`accelspec.get_model`,
    so none may change. A variant is a copy: ``chip.model_copy(update={"name": "mine"})``.
    """

    model_config = ConfigDict(defer_build=True)

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenRecordError(f"{type(self).__name__}.{name}: records are immutable; make a variant "
                                f"with .model_copy(update={{{name!r}: ...}})")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"{type(self).__name__}.{name}: records are immutable")


class Status(str, Enum):
    """How a value was obtained (after mendeleev's stored/computed distinction)."""

    official = "official"  #: printed by the vendor (datasheet, product page, whitepaper)
    reported = "reported"  #: press or third parties, not a vendor spec sheet
    estimated = "estimated"  #: our estimate, always with a range and a basis
    derived = "derived"  #: computed from other values (e.g. sparse / 2), says how

    def __str__(self) -> str:
        return self.value


class Direction(str, Enum):
    """What an interconnect bandwidth figure counts."""

    bidirectional = "bidirectional"  #: both directions added together
    per_direction = "per_direction"  #: one way
    unspecified = "unspecified"  #: the source does not say

    def __str__(self) -> str:
        return self.value


class Source(Record):
    """A document a value comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    url: str | None = None
    seed: str | None = Field(None, description="file name in shared/seeds/ when the source is a seed article")
    publisher: str | None = None
    date: str | None = Field(None, description="publication or access date, ISO format (YYYY, YYYY-MM or YYYY-MM-DD)")
    note: str | None = None
    user_file: str | None = Field(None, description="the user spec file whose value cites this source (its id "
                                  "then ends '(user file ...)'); None for values of the shipped catalog")

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, v: Any) -> Any:
        return None if v is None else str(v)

    def cite(self) -> str:
        """One line: title, where, date (and, for a value from a user spec file, that file)."""
        parts = [self.title]
        if self.publisher:
            parts.append(self.publisher)
        if self.url:
            parts.append(self.url)
        if self.seed:
            parts.append(f"seed {self.seed}")
        if self.date:
            parts.append(self.date)
        if self.user_file:
            parts.append(f"as cited by user file {self.user_file}, not the shipped catalog")
        return f"[{self.id}] " + ", ".join(parts)

    def cited_by(self, user_file: str) -> Source:
        """This source as cited by a value of the user spec file ``user_file``: the id becomes
        ``"N3 (user file mine.yaml)"`` and :attr:`user_file` names the file, so every output that
        shows a value's source (``describe()``, ``compare`` tables and JSON, ``show --json``,
        exports) says the value comes from that file, even when it cites a shipped vendor
        source with status official."""
        if self.user_file == user_file:
            return self
        base = self.id if self.user_file is None else self.id.rsplit(" (user file ", 1)[0]
        return self.model_copy(update={"id": f"{base} (user file {user_file})", "user_file": user_file})


def user_marked(sources: dict[str, Source], user_file: str | None,
                only: Collection[str] | None = None) -> dict[str, Source]:
    """``sources`` (id -> :class:`Source`) as cited from ``user_file`` (see :meth:`Source.cited_by`).

    Parameters
    ----------
    sources : dict of str to Source
        The sources a file may cite, by id (the keys stay the ids the file cites).
    user_file : str or None
        The user spec file; None (a shipped file) returns ``sources`` unchanged.
    only : collection of str, optional
        Mark only these ids (the shipped sources, for a new record citing its file's own
        sources, which plainly are the user's); every id when None (a record that replaces a
        shipped one, or an ``overrides:`` entry).
    """
    if user_file is None:
        return sources
    return {k: v.cited_by(user_file) if only is None or k in only else v for k, v in sources.items()}


def _resolve_source(value: Any, info: ValidationInfo) -> Any:
    """A source given by id in a spec file is looked up in the file's ``sources:``."""
    if isinstance(value, str):
        sources = (info.context or {}).get("sources")
        if sources is None:
            raise ValueError(f"source {value!r} given by id but no sources table is in scope")
        uncitable = (info.context or {}).get("uncitable") or {}
        if value in uncitable:
            raise ValueError(f"source {value!r} may not be cited here: {uncitable[value]}")
        if value not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise ValueError(f"unknown source id {value!r} (sources defined: {known})")
        return sources[value]
    user_file = (info.context or {}).get("user_file")
    if user_file and isinstance(value, dict):  # a source written out in a user file's value
        return Source.model_validate({**value, "user_file": None}).cited_by(user_file)
    return value


class Fact(Record):
    """A non-numeric statement with provenance (memory type, process node, release date)."""

    model_config = ConfigDict(extra="forbid")

    value: str
    source: Source
    status: Status
    note: str | None = None
    quote: str | None = None

    _resolve = field_validator("source", mode="before")(_resolve_source)

    @field_validator("value", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, (int, float)) else v

    def __str__(self) -> str:
        return self.value

    def describe(self, cite: bool = True) -> str:
        """One line: value, status, caveat and the full citation (or only its id)."""
        note = f" ({self.note})" if self.note else ""
        src = self.source.cite() if cite else f"[{self.source.id}]"
        return f"{self.value} [{_status_text(self)}]{note} — {src}"

    @property
    def user_file(self) -> str | None:
        """The user spec file this value comes from; None for the shipped catalog."""
        return self.source.user_file


_BINOPS = {
    "__mul__": operator.mul,
    "__truediv__": operator.truediv,
    "__add__": operator.add,
    "__sub__": operator.sub,
    "__pow__": operator.pow,
}


class Spec(Record):
    """A numeric value with unit, source, status, optional range and caveat.

    Subclasses made by :func:`spec_type` fix the expected dimension. Arithmetic and
    attribute access fall through to the Quantity (``.q``), so ``spec.to("GiB")`` works.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    expected_unit: ClassVar[str | None] = None

    value: Any
    source: Source
    status: Status
    range: tuple[Any, Any] | None = Field(default=None, description="[low, high], both with units")
    note: str | None = Field(default=None, description="caveat: 'with sparsity', 'boost clock', 'per die', ...")
    quote: str | None = Field(default=None, description="the sentence in the source, original language")
    basis: str | None = Field(default=None, description="what an estimate or derivation is based on")

    _resolve = field_validator("source", mode="before")(_resolve_source)

    @field_serializer("value", when_used="json")
    def _dump_value(self, q: pint.Quantity) -> str:
        return format_quantity(q)

    @field_serializer("range", when_used="json")
    def _dump_range(self, r: tuple[Any, Any] | None) -> list[str] | None:
        return None if r is None else [format_quantity(x) for x in r]

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any) -> pint.Quantity:
        q = parse_quantity(v, cls.expected_unit, "value")
        if not q.magnitude > 0:
            raise ValueError(f"value must be positive, got {q} (leave a field out when it is unknown)")
        return frozen_quantity(q)  # read-only: no caller's ito() or in-place op reaches the record

    @field_validator("range", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ValueError(f"range must be [low, high], got {v!r}")
        return tuple(frozen_quantity(parse_quantity(x, cls.expected_unit, "range")) for x in v)

    @model_validator(mode="after")
    def _check(self) -> Spec:
        q = self.value
        if self.range is not None:
            lo, hi = self.range
            for end in (lo, hi):
                if end.dimensionality != q.dimensionality:
                    raise ValueError(f"range {end} does not have the dimension of value {q}")
            if not lo.magnitude > 0:
                raise ValueError(f"range low end must be positive, got {lo}")
            if not (lo <= q <= hi):
                raise ValueError(f"value {q} lies outside its range [{lo}, {hi}]")
        if self.status in (Status.estimated, Status.derived) and not self.basis:
            raise ValueError(f"a {self.status} value needs a 'basis' saying what it is based on")
        if self.status is Status.estimated and self.range is None:
            raise ValueError("an estimated value needs a range [low, high]")
        return self

    # --- quantity behaviour -------------------------------------------------------
    @property
    def user_file(self) -> str | None:
        """The user spec file this value comes from (it overrides or adds to the shipped
        catalog); None for the shipped catalog. Its source id then ends ``(user file ...)``."""
        return self.source.user_file

    @property
    def q(self) -> pint.Quantity:
        """The value as a plain pint Quantity."""
        return self.value

    @property
    def low(self) -> pint.Quantity:
        """Low end of the range (the value itself when no range is given)."""
        return self.range[0] if self.range else self.value

    @property
    def high(self) -> pint.Quantity:
        """High end of the range (the value itself when no range is given)."""
        return self.range[1] if self.range else self.value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            return super().__getattr__(name)  # type: ignore[misc]
        try:
            value = self.__dict__["value"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(value, name)

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __float__(self) -> float:
        return float(self.value)

    def __neg__(self) -> pint.Quantity:
        return -self.value

    def __lt__(self, other: Any) -> bool:
        return self.value < _unwrap(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= _unwrap(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > _unwrap(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= _unwrap(other)

    def describe(self, cite: bool = True) -> str:
        """One line: value, range, status, caveat, and the full citation (or only its id)."""
        rng = f" (range {self.range[0]} to {self.range[1]})" if self.range else ""
        extra = [x for x in (self.note, f"basis: {self.basis}" if self.basis else None) if x]
        note = f" ({'; '.join(extra)})" if extra else ""
        src = self.source.cite() if cite else f"[{self.source.id}]"
        return f"{self.value}{rng} [{_status_text(self)}]{note} — {src}"

    def __repr_args__(self):  # short repr, like particle's
        yield "value", format_quantity(self.value)
        yield "status", self.status.value
        yield "source", self.source.id
        if self.range:
            yield "range", tuple(format_quantity(x) for x in self.range)


def _status_text(value: Spec | Fact) -> str:
    """``official``, or ``official (user file mine.yaml)`` for a value from a user spec file."""
    return f"{value.status} (user file {value.user_file})" if value.user_file else str(value.status)


def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Spec) else x


def _make_ops(name: str, op: Any) -> None:
    def fwd(self: Spec, other: Any) -> Any:
        return op(self.value, _unwrap(other))

    def rev(self: Spec, other: Any) -> Any:
        return op(_unwrap(other), self.value)

    fwd.__name__ = name
    setattr(Spec, name, fwd)
    rname = "__r" + name[2:]
    rev.__name__ = rname
    setattr(Spec, rname, rev)


for _name, _op in _BINOPS.items():
    _make_ops(_name, _op)

# pint hands `Quantity * spec` back to Spec.__rmul__ (as it does for xarray and pandas)
_UPCAST = cast(dict[str, Any], pint.compat.upcast_type_map)  # a dict, typed as a Mapping by pint
_UPCAST[f"{Spec.__module__}.{Spec.__qualname__}"] = Spec

_SPEC_TYPES: dict[tuple[str, str], type[Spec]] = {}


def spec_type(unit: str | None, name: str) -> type[Spec]:
    """A :class:`Spec` subclass whose value must have the dimension of ``unit``."""
    key = (unit or "", name)
    if key not in _SPEC_TYPES:
        cls = type(name, (Spec,), {"expected_unit": unit, "__module__": __name__, "__qualname__": name})
        _UPCAST[f"{__name__}.{name}"] = cls
        if globals().get(name, cls) is not cls:
            raise TypeError(f"spec_type: {name!r} is already a different class in {__name__}")
        globals()[name] = cls  # importable by name, so records pickle (the catalog cache)
        _SPEC_TYPES[key] = cls
    return _SPEC_TYPES[key]


@dataclass(frozen=True)
class Absent:
    """A cell with no value, and why: ``status`` is ``"unsupported"`` (the chip has no
    hardware support, listed in ``compute.unsupported``) or ``"not_published"`` (no source
    gives a figure; the chip may well have it)."""

    status: str
    detail: str

    def __bool__(self) -> bool:
        return False


def is_compiled(source: Any) -> bool:
    """True for the internal fact sheet (source id ``REF``, seed ``reference/...``): a
    compilation, not a document a reader can open; values citing it are marked ``‡``."""
    return source.id == "REF" or (source.seed or "").startswith("reference/")


# --- the JSON form of a value: {value, unit, status, source, range} --------------------------
def source_out(src: Any) -> dict[str, Any]:
    """A :class:`~accelspec.provenance.Source` as :class:`~accelspec.io.json_out.SourceOut` data."""
    return {"id": src.id, "title": src.title, "url": src.url, "publisher": src.publisher, "date": src.date,
            "compiled": is_compiled(src)}


def quantity_out(cell: Any, unit: str | None = None) -> dict[str, Any]:
    """A :class:`~accelspec.provenance.Spec`, :class:`~accelspec.provenance.Fact` or
    :class:`Absent` as a :class:`~accelspec.io.json_out.QuantityOut` dict, in ``unit`` (the
    value's own unit when ``None``)."""

    if isinstance(cell, Absent):
        return {"value": None, "unit": unit, "status": cell.status, "source": None, "range": None,
                "direction": None, "basis": cell.detail}
    if isinstance(cell, Fact):
        return {"value": cell.value, "unit": None, "status": cell.status.value, "source": cell.source.id,
                "range": None, "direction": None, "basis": None}
    q = cell.q if unit is None else cell.q.to(unit)
    u = f"{q.units:~P}" if unit is None else unit
    rng = None
    if cell.range is not None:
        rng = [float(x.m_as(q.units)) for x in cell.range]
    direction = getattr(cell, "direction", None)
    return {"value": float(q.magnitude), "unit": u, "status": cell.status.value, "source": cell.source.id,
            "range": rng, "direction": None if direction is None else direction.value, "basis": cell.basis}
