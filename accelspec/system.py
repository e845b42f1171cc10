"""Systems: boards, racks, pods and supernodes as sourced aggregates of one chip.

A :class:`System` says which chip (a catalog id), how many, the scale-up domain (size in chips,
per-chip link bandwidth with its direction, the switch and whether it reduces in-network), the
scale-out network (NICs per chip, bandwidth per NIC), host memory when it is part of the
design, and system power. Every number is a :class:`~accelspec.provenance.Spec` with source
and status, as in the chip files. Totals are never typed in: :attr:`System.total_hbm`,
:attr:`System.total_bf16` and :attr:`System.total_scale_up_bandwidth` are derived as
``count x per-chip value`` and say so in their provenance (status ``derived``, basis
``"72 x 186 GB"``).

>>> import accelspec as a
>>> s = a.get_system("gb200 nvl72")
>>> s.count
72
>>> d = s.deployment(8)   # 8 of its 72 GPUs, as an accelspec.Deployment
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .catalog import (
    _loc,
    _parse_sources,
    display_path,
    format_validation_error,
    load_sources,
    normalize_name,
    read_yaml,
    specs_dir,
    suggest_names,
)
from .chip import BandwidthSpec, CapacitySpec, Chip, ComputeSpec, CountSpec, LinkBandwidth, PowerSpec, Precision
from .errors import SpecFileError, UnknownSystemError
from .provenance import Fact, Spec, Status
from .units import format_quantity

if TYPE_CHECKING:
    from .perf.deployment import Deployment

__all__ = ["ScaleOut", "ScaleUp", "System", "UnknownSystemError", "get_system", "load_systems", "systems"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScaleUp(_Section):
    """The scale-up domain: ``size`` chips that share one memory-semantic fabric (NVLink, UB, ICI)."""

    name: str | None = None
    size: CountSpec | None = Field(None, description="chips in one scale-up domain")
    per_chip: LinkBandwidth | None = Field(None, description="scale-up bandwidth of one chip, with direction")
    switch: str | None = Field(None, description="switch chip or tray, or 'none (direct mesh/torus)'")
    in_network_reduction: Fact | None = Field(None, description="whether the switch reduces in-network (NVLink SHARP)")
    topology: str | None = None


class ScaleOut(_Section):
    """The scale-out network between scale-up domains."""

    name: str | None = None
    nics_per_chip: CountSpec | None = None
    per_nic: LinkBandwidth | None = Field(None, description="bandwidth of one NIC, with direction")
    note: str | None = None


class System(BaseModel):
    """``count`` chips of catalog chip ``chip`` built into one product (board, rack, pod, supernode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    vendor: str
    kind: str | None = Field(None, description="board, rack, pod, supernode, cluster")
    chip: str = Field(description="catalog chip id (accelspec list)")
    count: CountSpec
    scale_up: ScaleUp | None = None
    scale_out: ScaleOut | None = None
    host_memory: CapacitySpec | None = Field(None, description="CPU memory that is part of the design (Grace LPDDR5X)")
    power: PowerSpec | None = Field(None, description="system or rack power as published")
    announced: Fact | None = None
    notes: list[str] = Field(default_factory=list)
    origin: str | None = None

    @field_validator("count")
    @classmethod
    def _whole(cls, v: Spec) -> Spec:
        m = v.value.to("").magnitude
        if m != int(m):
            raise ValueError(f"count must be a whole number of chips, got {m}")
        return v

    # --- derived ---------------------------------------------------------------------
    @property
    def n_chips(self) -> int:
        """Number of chips in the system (``count``) as an int."""
        return int(self.count.value.to("").magnitude)

    def chip_record(self) -> Chip:
        """The catalog :class:`~accelspec.Chip` the system is built of."""
        from .catalog import get_chip

        return get_chip(self.chip)

    def _total(self, per_chip: Spec | None, cls: type[Spec], what: str, unit: str) -> Spec | None:
        if per_chip is None:
            return None
        n = self.n_chips
        return cls(value=(n * per_chip.value).to(unit), source=per_chip.source, status=Status.derived,
                   basis=f"{n} x {format_quantity(per_chip.value)} ({what} of chip {self.chip!r}, "
                         f"{per_chip.status})")

    @property
    def total_hbm(self) -> Spec | None:
        """Aggregate device memory = count x chip ``memory.capacity`` (derived; unit TB)."""
        return self._total(self.chip_record().memory.capacity, CapacitySpec, "memory.capacity", "TB")

    @property
    def total_bf16(self) -> Spec | None:
        """Aggregate dense bf16 peak = count x chip dense bf16 (derived; unit PFLOPS)."""
        return self._total(self.chip_record().compute.dense.get(Precision.bf16), ComputeSpec, "dense bf16", "PFLOPS")

    @property
    def total_scale_up_bandwidth(self) -> Spec | None:
        """Aggregate scale-up bandwidth = count x per-chip scale-up bandwidth (derived; TB/s, same
        direction as the per-chip figure, stated in the basis)."""
        per = self.scale_up.per_chip if self.scale_up else None
        if per is None:
            return None
        total = self._total(per, BandwidthSpec, f"scale-up bandwidth {per.direction}", "TB/s")
        return LinkBandwidth(**{**dict(total), "direction": per.direction}) if total is not None else None

    def deployment(self, n_chips: int | None = None, dtypes: Any = None, parallelism: Any = None) -> Deployment:
        """An :class:`~accelspec.Deployment` on ``n_chips`` (default: all) of this system's chips.

        Raises :class:`~accelspec.DeploymentError` when ``n_chips`` exceeds the system size.
        """
        from .perf.deployment import Deployment, DeploymentError

        n = self.n_chips if n_chips is None else n_chips
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= self.n_chips:
            raise DeploymentError(f"n_chips: must be a whole number from 1 to {self.n_chips} "
                                  f"(the size of system {self.id!r}), got {n!r}")
        return Deployment(self.chip, n_chips=n, parallelism=parallelism, dtypes=dtypes)

    def summary(self) -> str:
        """Several lines: identity, scale-up, scale-out, power, derived totals with their basis."""
        lines = [f"{self.name} ({self.id}): {self.n_chips} x {self.chip} [{self.count.status}, {self.count.source.id}]"]
        su, so = self.scale_up, self.scale_out
        if su:
            parts = [su.name or "scale-up"]
            if su.size is not None:
                parts.append(f"domain {int(su.size.value.magnitude)} chips")
            if su.per_chip is not None:
                parts.append(f"{su.per_chip.value} per chip {su.per_chip.direction}")
            if su.switch:
                parts.append(f"switch {su.switch}")
            if su.in_network_reduction is not None:
                parts.append(f"in-network reduction: {su.in_network_reduction.value}")
            lines.append("  scale-up: " + ", ".join(parts))
        if so:
            parts = [so.name or "scale-out"]
            if so.nics_per_chip is not None:
                parts.append(f"{int(so.nics_per_chip.value.magnitude)} NIC per chip")
            if so.per_nic is not None:
                parts.append(f"{so.per_nic.value} per NIC {so.per_nic.direction}")
            lines.append("  scale-out: " + ", ".join(parts))
        if self.host_memory is not None:
            lines.append(f"  host memory: {self.host_memory.describe(cite=False)}")
        if self.power is not None:
            lines.append(f"  power: {self.power.describe(cite=False)}")
        for label, spec in (("total HBM", self.total_hbm), ("total bf16 dense", self.total_bf16),
                            ("total scale-up", self.total_scale_up_bandwidth)):
            if spec is not None:
                lines.append(f"  {label}: {spec.value:.4g~P} (derived: {spec.basis})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- catalog -------------------------------------------------------------------------------
_SYSTEMS: dict[str, System] | None = None
_INDEX: dict[str, str] = {}


def _load_file(path: Path, known_chips: Any) -> list[System]:
    file = display_path(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("systems"), list):
        raise SpecFileError(file, "top level must be a mapping with 'sources' and a 'systems' list")
    sources = {**load_sources(), **_parse_sources(data.get("sources"), file)}
    out = []
    for i, rec in enumerate(data["systems"]):
        label = str(rec.get("id", f"#{i}")) if isinstance(rec, dict) else f"#{i}"
        if not isinstance(rec, dict):
            raise SpecFileError(file, "a system record must be a mapping", record=label)
        rec = copy.deepcopy(rec)
        rec.setdefault("vendor", data.get("vendor"))
        rec["origin"] = file
        try:
            system = System.model_validate(rec, context={"sources": sources})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SpecFileError(file, format_validation_error(exc), record=label,
                                field=_loc(err["loc"]) or None) from None
        if system.chip not in known_chips:
            raise SpecFileError(file, f"chip {system.chip!r} is not in the chip catalog "
                                f"(did you mean {', '.join(known_chips.suggest(system.chip)) or 'none'}?)",
                                record=label, field="chip")
        cid = known_chips.get(system.chip).id
        if cid != system.chip:  # an alias: store the catalog id
            system = system.model_copy(update={"chip": cid})
        out.append(system)
    return out


def load_systems(*paths: str | os.PathLike[str]) -> list[System]:
    """Load shipped ``specs/systems/*.yaml`` plus ``paths`` (files or folders). All or nothing:
    any invalid file raises :class:`SpecFileError` (naming file, system and field) and the
    previously loaded systems stay as they were."""
    global _SYSTEMS, _INDEX
    from .catalog import default_catalog

    cat = default_catalog()
    files = sorted((specs_dir() / "systems").glob("*.yaml"))
    for p in paths:
        p = Path(p)
        files += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    staged: dict[str, System] = {}
    index: dict[str, str] = {}
    for f in files:
        for s in _load_file(f, cat):
            for key_name in [s.id, s.name, *s.aliases]:
                key = normalize_name(key_name)
                owner = index.get(key)
                if owner is not None and owner != s.id:
                    raise SpecFileError(s.origin or str(f), f"name or alias {key_name!r} is already used by "
                                        f"system {owner!r}", record=s.id, field="aliases")
                index[key] = s.id
            staged[s.id] = s
    _SYSTEMS, _INDEX = staged, index
    return list(staged.values())


def _catalog() -> dict[str, System]:
    if _SYSTEMS is None:
        load_systems()
    assert _SYSTEMS is not None
    return _SYSTEMS


def get_system(name: str | System) -> System:
    """A system by id, name or alias (case and punctuation ignored): ``get_system("gb200 nvl72")``.
    Unknown names raise :class:`UnknownSystemError` with the closest ids."""
    if isinstance(name, System):
        return name
    cat = _catalog()
    key = normalize_name(name)
    if key in _INDEX:
        return cat[_INDEX[key]]
    raise UnknownSystemError(name, suggest_names(name, _INDEX))


def systems(vendor: str | None = None, chip: str | None = None) -> list[System]:
    """All systems, optionally of one vendor or built of one chip (id or alias)."""
    out = list(_catalog().values())
    if vendor is not None:
        out = [s for s in out if normalize_name(s.vendor) == normalize_name(vendor)]
    if chip is not None:
        from .catalog import get_chip

        cid = get_chip(chip).id
        out = [s for s in out if s.chip == cid]
    return out
