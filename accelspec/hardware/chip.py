"""Typed records for one accelerator: identity, memory, compute, interconnect, power, benchmarks.

Every number is a :class:`~accelspec.provenance.Spec` (quantity + source + status + range);
a value nobody published is ``None``, never zero. Peak compute is stored per precision, dense
and sparse separately, so a sparse figure is never mistaken for a dense one.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from enum import Enum
from typing import Any, ClassVar, Literal, cast

import pint
import pint.compat
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import (
    NotPublishedError,
    PeakNotPublishedError,
    UnknownFieldError,
    UnknownPrecisionError,
    UnsupportedPrecisionError,
)
from ..provenance import Direction, Fact, FrozenDict, Record, Source, Spec, Status

__all__ = [
    "BandwidthSpec",
    "Benchmark",
    "CapacitySpec",
    "Chip",
    "Compute",
    "ComputeSpec",
    "CountSpec",
    "Interconnect",
    "Link",
    "LinkBandwidth",
    "Memory",
    "MemoryTier",
    "NotPublishedError",
    "PeakNotPublishedError",
    "Power",
    "PowerSpec",
    "Precision",
    "UnsupportedPrecisionError",
]


class Precision(str, Enum):
    """Number formats a chip's peak compute is quoted in."""

    fp64 = "fp64"  #: vector FP64
    fp64_matrix = "fp64_matrix"  #: FP64 on matrix / tensor cores
    fp32 = "fp32"
    tf32 = "tf32"
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    fp6 = "fp6"
    fp4 = "fp4"
    int16 = "int16"
    int8 = "int8"
    int4 = "int4"

    def __str__(self) -> str:
        return self.value

    @property
    def is_integer(self) -> bool:
        return self in (Precision.int16, Precision.int8, Precision.int4)

    @property
    def unit(self) -> str:
        """Canonical display unit: ``TOPS`` for integer formats, ``TFLOPS`` otherwise."""
        return "TOPS" if self.is_integer else "TFLOPS"


# The value types of a chip record: a Spec whose value must have the dimension of
# ``expected_unit`` (checked and converted when the record is validated).
class CapacitySpec(Spec):
    """A memory capacity [GB] with its source."""

    expected_unit: ClassVar[str | None] = "GB"


class BandwidthSpec(Spec):
    """A bandwidth [GB/s] with its source."""

    expected_unit: ClassVar[str | None] = "GB/s"


class PowerSpec(Spec):
    """A power figure [W] with its source."""

    expected_unit: ClassVar[str | None] = "W"


class CountSpec(Spec):
    """A count [dimensionless] with its source."""

    expected_unit: ClassVar[str | None] = ""


class ComputeSpec(Spec):
    """A peak compute rate [FLOP/s or OP/s] with its source; the dimension is checked per
    precision by :class:`Compute` (``TOPS`` for integer formats, ``TFLOPS`` otherwise)."""

    expected_unit: ClassVar[str | None] = None


# pint hands `Quantity * spec` back to the spec (Spec.__rmul__), as it does for Spec itself
_UPCAST = cast("MutableMapping[str, type | None]", pint.compat.upcast_type_map)  # typed read-only, is a dict
for _cls in (CapacitySpec, BandwidthSpec, PowerSpec, CountSpec, ComputeSpec):
    _UPCAST[f"{_cls.__module__}.{_cls.__qualname__}"] = _cls
del _cls


class _Section(Record):
    model_config = ConfigDict(extra="forbid")


class MemoryTier(_Section):
    """One further memory tier beyond :attr:`Memory.capacity` / :attr:`Memory.bandwidth`, as
    published (e.g. SambaNova SN40L's DDR "capacity tier" behind its HBM)."""

    name: str = Field(description="what the vendor calls the tier: 'DDR', 'high-capacity memory'")
    type: Fact | None = None
    capacity: CapacitySpec | None = Field(default=None, description="per device [GB]")
    bandwidth: BandwidthSpec | None = Field(default=None, description="per device [GB/s]")
    note: str | None = None


class Memory(_Section):
    """Device memory. ``capacity`` is what the vendor sells (decimal GB unless it says GiB).

    Tiers, fastest first: on-chip SRAM (``on_chip_sram``, ``on_chip_bandwidth``), the device
    memory (``capacity``, ``bandwidth``: HBM, GDDR, LPDDR...), then ``tiers`` (slower ones, e.g.
    DDR). On a chip whose only memory is SRAM (Groq LPU, Cerebras WSE) ``capacity`` is empty and
    ``bandwidth`` holds the same SRAM figure as ``on_chip_bandwidth``, so that every roofline
    reads it.
    """

    capacity: CapacitySpec | None = None
    type: Fact | None = None
    bandwidth: BandwidthSpec | None = None
    on_chip_sram: CapacitySpec | None = Field(
        default=None, description="on-chip SRAM capacity per device (all of it: the memory of an SRAM-only chip)")
    on_chip_bandwidth: BandwidthSpec | None = Field(
        default=None, description="aggregate on-chip SRAM bandwidth per device, as published")
    tiers: tuple[MemoryTier, ...] = Field(
        default=(), description="memory beyond capacity/bandwidth, slower ones, fastest first (SN40L's DDR)")
    note: str | None = None

    @model_validator(mode="after")
    def _sram_only(self) -> Memory:
        bw, sram = self.bandwidth, self.on_chip_bandwidth
        if self.capacity is None and self.on_chip_sram is not None and bw is not None and sram is not None \
                and bw.q != sram.q:
            raise ValueError(f"an SRAM-only chip (no memory.capacity) reads its SRAM: memory.bandwidth ({bw}) must "
                             f"equal memory.on_chip_bandwidth ({sram})")
        return self


_FLOPS = pint.Quantity  # only for type hints below


class Compute(_Section):
    """Peak compute per precision; ``dense`` and ``sparse`` (2:4 structured sparsity) apart."""

    dense: dict[Precision, ComputeSpec] = Field(default_factory=FrozenDict)
    sparse: dict[Precision, ComputeSpec] = Field(default_factory=FrozenDict)
    unsupported: tuple[Precision, ...] = Field(default=(), description="formats with no hardware support")
    supported: tuple[Precision, ...] = Field(
        default=(), description="formats the vendor says are supported but whose peak is not published")
    note: str | None = None

    @field_validator("dense", "sparse")
    @classmethod
    def _frozen(cls, v: dict[Precision, Any]) -> FrozenDict:
        return FrozenDict(v)

    @model_validator(mode="after")
    def _check(self) -> Compute:
        from ..units import check_dimension

        for kind in ("dense", "sparse"):
            for prec, spec in getattr(self, kind).items():
                check_dimension(spec.q, prec.unit, f"{kind}.{prec}")
                if prec in self.unsupported:
                    raise ValueError(f"{kind}.{prec} has a value but {prec} is listed as unsupported")
        clash = set(self.supported) & set(self.unsupported)
        if clash:
            raise ValueError(f"{', '.join(sorted(map(str, clash)))} listed as both supported and unsupported")
        for prec, sp in self.sparse.items():
            dn = self.dense.get(prec)
            if dn is not None and sp.q < dn.q:
                raise ValueError(f"sparse.{prec} ({sp}) is below dense.{prec} ({dn}); sparse peaks are never lower")
        return self

    def peak(self, precision: str | Precision, *, sparse: bool = False) -> ComputeSpec:
        """The published peak for ``precision``.

        Parameters
        ----------
        precision : str or Precision
            ``"bf16"``, ``"fp8"``, ``"int8"``... (case ignored).
        sparse : bool, default False
            The 2:4 structured-sparsity peak instead of the dense one.

        Returns
        -------
        ComputeSpec
            The peak [TFLOPS] (integer formats [TOPS]) with its source, status and range.

        Raises
        ------
        UnsupportedPrecisionError
            The chip has no hardware support for ``precision``.
        PeakNotPublishedError
            No peak is published for ``precision``; the message lists the precisions that are.
        ValueError
            ``precision`` is not a known format.
        """
        prec = as_precision(precision)
        table = self.sparse if sparse else self.dense
        if prec in table:
            return table[prec]
        have = ", ".join(str(p) for p in table) or "none"
        why = ("not supported" if prec in self.unsupported else
               "supported but not published" if prec in self.supported else "not published")
        kind = "sparse" if sparse else "dense"
        cls = UnsupportedPrecisionError if prec in self.unsupported else PeakNotPublishedError
        raise cls(f"{kind} {prec} peak is {why}; published {kind} precisions: {have}")


def as_precision(p: str | Precision) -> Precision:
    try:
        return Precision(str(p).lower())
    except ValueError:
        from ..index import suggest_names

        known = {x.value: x.value for x in Precision}
        raise UnknownPrecisionError(str(p), suggest_names(str(p), known) or list(known)) from None


class LinkBandwidth(BandwidthSpec):
    """An interconnect figure that says whether it counts one direction or both."""

    direction: Direction

    def describe(self, cite: bool = True) -> str:
        text = super().describe(cite)
        head, sep, tail = text.partition(" [")
        return f"{head} {self.direction}{sep}{tail}"


class Link(_Section):
    """A scale-up or scale-out fabric as seen from one chip."""

    name: str | None = None
    links: CountSpec | None = None
    bandwidth: LinkBandwidth | None = Field(default=None, description="aggregate per chip")
    per_link: LinkBandwidth | None = None
    topology: str | None = None
    note: str | None = None

    def per_direction(self) -> Spec | None:
        """Aggregate bandwidth one way.

        Formula: bidirectional total / 2; a per-direction figure as is. When the source does
        not say, the result is a ``derived`` value with range [total/2, total] (both
        readings), nominal total/2 (the conservative reading).

        Returns
        -------
        Spec or None
            Bandwidth per direction [GB/s] with its source, status and basis; ``None`` when
            the link publishes no bandwidth.
        """
        bw = self.bandwidth
        if bw is None:
            return None
        if bw.direction is Direction.per_direction:
            return bw
        half = bw.q / 2
        if bw.direction is Direction.bidirectional:
            rng = (bw.low / 2, bw.high / 2) if bw.range else None
            return BandwidthSpec(
                value=half, source=bw.source, status=Status.derived, range=rng,
                basis=f"bidirectional total {bw} / 2", note=bw.note, quote=None,
            )
        return BandwidthSpec(
            value=half, source=bw.source, status=Status.derived, range=(bw.low / 2, bw.high),
            basis=f"direction of {bw} not stated: range covers both readings (total/2 to total)",
            note=bw.note, quote=None,
        )


class Interconnect(_Section):
    scale_up: Link | None = None
    scale_out: Link | None = None
    host: Fact | None = Field(default=None, description="host interface, e.g. PCIe 5.0 x16")


class Power(_Section):
    """``tdp``: the vendor's power figure (TDP, TBP or measured: say which in ``note``)."""

    tdp: PowerSpec | None = None
    note: str | None = None


class Benchmark(_Section):
    """A vendor benchmark figure, for chips whose vendor published only that."""

    name: str
    workload: str
    value: Spec
    conditions: str | None = None


Lifecycle = Literal["shipping", "announced", "sampling", "discontinued", "cancelled", "internal"]


class Chip(Record):
    """One accelerator product (per device: per GPU, per OAM, per TPU chip, per package)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    vendor: str
    aliases: tuple[str, ...] = ()
    family: str | None = None
    form_factor: str | None = None
    device: str | None = Field(default=None, description="what one device is: 'per GPU', 'per package (2 dies)', ...")
    released: Fact | None = None
    announced: tuple[Fact, ...] = ()
    process: Fact | None = None
    lifecycle: Lifecycle = "shipping"
    memory: Memory = Field(default_factory=Memory)
    compute: Compute = Field(default_factory=Compute)
    interconnect: Interconnect = Field(default_factory=Interconnect)
    power: Power = Field(default_factory=Power)
    benchmarks: tuple[Benchmark, ...] = ()
    notes: tuple[str, ...] = ()
    origin: str | None = Field(default=None, description="spec file this record was loaded from")
    overrides: str | None = Field(default=None, description="shipped spec file this user record replaces")

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(a) for a in v)

    def __repr__(self) -> str:
        return f"<Chip {self.id}: {self.vendor} {self.name}>"

    __str__ = __repr__

    # --- provenance ----------------------------------------------------------------
    def field(self, path: str) -> Any:
        """The value or section at a dotted path.

        Parameters
        ----------
        path : str
            ``"memory.bandwidth"``, ``"compute.dense.bf16"``, ``"interconnect.scale_up"``...

        Returns
        -------
        Spec, Fact or a section
            What the path names: a value with its provenance, or a record section.

        Raises
        ------
        NotPublishedError
            The path is a field the chip leaves empty (nobody published it).
        KeyError
            The path names no field of a chip record.
        """
        obj: Any = self
        for part in path.split("."):
            if isinstance(obj, dict):
                key = as_precision(part) if obj is self.compute.dense or obj is self.compute.sparse else part
                if key not in obj:
                    raise NotPublishedError(f"{self.name}: {path} is not published")
                obj = obj[key]
            elif isinstance(obj, (list, tuple)) and part.isdigit():
                obj = obj[int(part)]
            elif isinstance(obj, BaseModel) and part in type(obj).model_fields:
                obj = getattr(obj, part)
            else:
                from ..index import suggest_names

                paths = {p: p for p, _ in self.fields()}
                raise UnknownFieldError(path, suggest_names(path, paths) or list(paths)[:5],
                                        kind=f"field of {self.name}")
            if obj is None:
                raise NotPublishedError(f"{self.name}: {path} is not published")
        return obj

    def provenance(self, path: str) -> Spec | Fact:
        """Where a field comes from: ``print(chip.provenance("memory.bandwidth").describe())``.

        Parameters
        ----------
        path : str
            A value's dotted path (``"memory.bandwidth"``, ``"compute.dense.bf16"``).

        Returns
        -------
        Spec or Fact
            The value with its source, status, range and caveat.

        Raises
        ------
        NotPublishedError
            Nobody published the field for this chip.
        UnknownFieldError
            The path names no field, or names a section rather than a value (a ``KeyError``
            subclass, with the closest paths as suggestions).
        """
        value = self.field(path)
        if not isinstance(value, (Spec, Fact)):
            raise UnknownFieldError(path, [p for p, _ in self.fields() if p.startswith(path + ".")],
                                    kind=f"field of {self.name} (a section, not a value)")
        return value

    def fields(self) -> Iterator[tuple[str, Spec | Fact]]:
        """Every published value as ``(dotted path, Spec or Fact)``."""
        yield from _walk(self, "")

    def sources(self) -> dict[str, Source]:
        """The sources this chip's values cite, by id."""
        return {v.source.id: v.source for _, v in self.fields()}

    def describe(self) -> str:
        """Long form: every field with value, status and source (particle's ``describe()``)."""
        head = f"{self.vendor} {self.name} ({self.id})"
        lines = [head, "=" * len(head)]
        meta = [("aliases", ", ".join(self.aliases)), ("form factor", self.form_factor),
                ("device", self.device), ("lifecycle", self.lifecycle), ("spec file", self.origin)]
        if self.overrides:
            meta.append(("overrides", self.overrides))
        lines += [f"{k:12} {v}" for k, v in meta if v]
        for path, value in self.fields():
            lines.append(f"{path:34} {value.describe(cite=False)}")
            if path.startswith("benchmarks."):
                bench = self.benchmarks[int(path.split(".")[1])]
                lines[-1] += f"  ({bench.name}{'; ' + bench.conditions if bench.conditions else ''})"
        c = self.compute
        if c.unsupported:
            lines.append(f"{'compute.unsupported':34} {', '.join(map(str, c.unsupported))}")
        if c.supported:
            lines.append(f"{'compute.supported':34} {', '.join(map(str, c.supported))} (no published peak)")
        for name in ("scale_up", "scale_out"):
            link = getattr(self.interconnect, name)
            if link is not None and (link.name or link.topology):
                text = "; ".join(x for x in (link.name, link.topology) if x)
                lines.append(f"{'interconnect.' + name:34} {text}")
        for section in (self.memory, self.compute, self.power, self.interconnect.scale_up,
                        self.interconnect.scale_out):
            if section is not None and getattr(section, "note", None):
                lines.append(f"note ({type(section).__name__.lower()}): {section.note}")
        lines += [f"note: {n}" for n in self.notes]
        lines.append("sources:")
        lines += [f"  {src.cite()}" for _, src in sorted(self.sources().items())]
        return "\n".join(lines)


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Spec | Fact]]:
    if isinstance(obj, (Spec, Fact)):
        yield prefix, obj
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name in ("origin", "overrides"):
                continue
            yield from _walk(getattr(obj, name), f"{prefix}.{name}" if prefix else name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{prefix}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            if isinstance(v, Benchmark):
                yield from _walk(v.value, f"{prefix}.{i}.value")
            elif isinstance(v, (Spec, Fact, MemoryTier)):
                yield from _walk(v, f"{prefix}.{i}")
