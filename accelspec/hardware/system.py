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
>>> s.n_chips
72
>>> d = a.Deployment(s, n_chips=8)   # 8 of its 72 GPUs (accelspec.perf builds on systems, never the reverse)
"""

from __future__ import annotations

import copy
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import DeploymentError, SpecFileError, UnknownChipError, UnknownHardwareError, UnknownSystemError
from ..index import NamedIndex, normalize_name, suggest_across
from ..provenance import Fact, Spec, Status, user_marked
from ..specfiles import (
    display_path,
    error_location,
    file_sources,
    format_validation_error,
    load_sources,
    read_yaml,
    specs_dir,
    user_path,
)
from ..units import format_quantity
from .chip import BandwidthSpec, Chip, ComputeSpec, LinkBandwidth, Precision

if TYPE_CHECKING:  # spec_type() classes are values to mypy: check these fields as plain Specs
    from ..provenance import Spec as CapacitySpec
    from ..provenance import Spec as CountSpec
    from ..provenance import Spec as PowerSpec
else:
    from .chip import CapacitySpec, CountSpec, PowerSpec

__all__ = ["ScaleOut", "ScaleUp", "System", "UnknownHardwareError", "UnknownSystemError", "get_system",
           "load_systems", "resolve_hardware", "systems"]


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
    per_chip: LinkBandwidth | None = Field(None, description="scale-out bandwidth of one chip when the source "
                                           "publishes it per chip rather than per NIC")
    note: str | None = None

    def chip_bandwidth(self) -> LinkBandwidth | None:
        """Scale-out bandwidth of one chip: ``per_chip`` as published, else ``nics_per_chip x
        per_nic`` (status ``derived``, the product in ``basis``); ``None`` when neither is known."""
        if self.per_chip is not None:
            return self.per_chip
        if self.nics_per_chip is None or self.per_nic is None:
            return None
        k = self.nics_per_chip.value.to("").magnitude
        nic = self.per_nic
        return LinkBandwidth(value=(k * nic.value).to("GB/s"), source=nic.source, status=Status.derived,
                             direction=nic.direction,
                             basis=f"{k:g} NIC per chip x {format_quantity(nic.value)} {nic.direction}")


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
    if TYPE_CHECKING:  # Any to mypy until hardware/prices.py (line 173) narrows ``sy.power`` itself
        power: Any = None
    else:
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
                   range=None, note=None, quote=None,
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

    @property
    def domain_size(self) -> int | None:
        """Chips in one scale-up domain (``scale_up.size``), ``None`` when not published."""
        size = self.scale_up.size if self.scale_up else None
        return int(size.value.to("").magnitude) if size is not None else None

    def note(self, extra: str = "") -> str:
        """How a result names the system it used: `` [system GB200 NVL72: 72 chips, scale-up domain 72]``
        (``extra`` is added before the closing bracket, after ``"; "``)."""
        dom = self.domain_size
        return (f" [system {self.name}: {self.n_chips} chips" + (f", scale-up domain {dom}" if dom else "")
                + (f"; {extra}" if extra else "") + "]")

    @property
    def in_network_reduction(self) -> bool:
        """True when the record states, with a source, that the scale-up switch reduces in-network
        (``scale_up.in_network_reduction`` whose value begins with "yes")."""
        f = self.scale_up.in_network_reduction if self.scale_up else None
        return f is not None and f.value.strip().lower().startswith("yes")

    def scale_up_per_direction(self) -> Spec | None:
        """Scale-up bandwidth of one chip, one way (:meth:`accelspec.hardware.chip.Link.per_direction`:
        bidirectional / 2; unstated direction gives the range total/2 .. total)."""
        from .chip import Link

        per = self.scale_up.per_chip if self.scale_up else None
        return Link(bandwidth=per).per_direction() if per is not None else None

    def scale_out_per_direction(self) -> Spec | None:
        """Scale-out bandwidth of one chip, one way (:meth:`ScaleOut.chip_bandwidth`, halved
        when the figure counts both directions); ``None`` when not published."""
        from .chip import Link

        bw = self.scale_out.chip_bandwidth() if self.scale_out else None
        return Link(bandwidth=bw).per_direction() if bw is not None else None

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
            if so.per_chip is not None:
                parts.append(f"{so.per_chip.value} per chip {so.per_chip.direction}")
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
def _system_names(s: System) -> list[str]:
    return [s.id, s.name, *s.aliases]


_SYSTEMS: NamedIndex[System] | None = None
#: Guards loading: the first load and load_systems run one at a time, and readers see the old
#: index or the new one, never a half-built one.
_LOCK = threading.RLock()


def _load_file(path: Path, known_chips: Any, user: bool = False) -> list[System]:
    file = display_path(path)
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("systems"), list):
        raise SpecFileError(file, "top level must be a mapping with 'sources' and a 'systems' list")
    sources = file_sources(data.get("sources"), file)  # never redefines a shipped source id
    # a user file's values that cite a shipped source say so wherever they appear: their source
    # ids end "(user file ...)" (a user system never replaces a shipped one)
    context = {"sources": user_marked(sources, file, only=load_sources()) if user else sources}
    out = []
    for i, rec in enumerate(data["systems"]):
        label = str(rec.get("id", f"#{i}")) if isinstance(rec, dict) else f"#{i}"
        if not isinstance(rec, dict):
            raise SpecFileError(file, "a system record must be a mapping", record=label)
        rec = copy.deepcopy(rec)
        rec.setdefault("vendor", data.get("vendor"))
        rec["origin"] = file
        try:
            system = System.model_validate(rec, context=context)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise SpecFileError(file, format_validation_error(exc), record=label,
                                field=error_location(err["loc"]) or None) from None
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
    """Add user system files or folders to the systems loaded so far; returns every system.

    The shipped ``specs/systems/*.yaml`` come first, then the user files of earlier calls, then
    ``paths``: calls accumulate, as :func:`~accelspec.load_specs` does (a file given again is
    read again in its old place, never twice). ``load_systems()`` with no paths goes back to the
    shipped systems alone. All or nothing: any invalid file raises :class:`SpecFileError`
    (naming file, system and field) and the previously loaded systems stay as they were. Safe
    to call from several threads; an empty path is refused.

    Parameters
    ----------
    *paths : str or os.PathLike
        System YAML files or folders (format: ``specs/systems/*.yaml``).

    Returns
    -------
    list of System
        Every system now loaded, shipped ones first.

    Raises
    ------
    SpecFileError
        A bad file, an unknown chip id (with the closest ids), a redefined shipped source.
    """
    global _SYSTEMS, _USER_FILES
    from .catalog import default_catalog

    cat = default_catalog()
    new: list[Path] = []
    for p in paths:
        p = user_path(p)
        new += sorted(p.glob("*.y*ml")) if p.is_dir() else [p]
    with _LOCK:
        user: list[Path] = []
        keys: set[Path] = set()
        for f in [*_USER_FILES, *new] if paths else []:
            if _file_key(f) not in keys:
                keys.add(_file_key(f))
                user.append(f)
        index: NamedIndex[System] = NamedIndex("system", UnknownSystemError, _system_names)
        shipped = sorted((specs_dir() / "systems").glob("*.yaml"))
        for f, mine in [*((f, False) for f in shipped), *((f, True) for f in user)]:
            index = index.with_records(_load_file(f, cat, mine), display_path(f), origin=lambda s: s.origin)
        _SYSTEMS, _USER_FILES = index, user
    return list(index)


#: User system files loaded so far, in order (what :func:`load_systems` builds on).
_USER_FILES: list[Path] = []


def _file_key(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


def _catalog() -> NamedIndex[System]:
    index = _SYSTEMS
    if index is None:
        with _LOCK:
            if _SYSTEMS is None:
                load_systems()
            index = _SYSTEMS
    assert index is not None
    return index


def get_system(name: str | System) -> System:
    """A system by id, name or alias (case and punctuation ignored).

    Parameters
    ----------
    name : str or System
        ``"gb200 nvl72"``, ``"CloudMatrix384"``; a :class:`~accelspec.System` is returned as is.

    Returns
    -------
    System
        Chip id, chip count, scale-up and scale-out fabrics, power: each a sourced value.

    Raises
    ------
    UnknownSystemError
        No system has that name; the message lists the closest ids.
    """
    if isinstance(name, System):
        return name
    return _catalog().get(name)


def systems(vendor: str | None = None, chip: str | None = None) -> list[System]:
    """All systems, optionally of one vendor or built of one chip.

    Parameters
    ----------
    vendor : str, optional
        Keep one vendor (case ignored).
    chip : str, optional
        Keep the systems built of this chip (id or alias).

    Returns
    -------
    list of System
    """
    want = normalize_name(vendor) if vendor is not None else None
    out = _catalog().find(lambda s: want is None or normalize_name(s.vendor) == want)
    if chip is not None:
        from .catalog import get_chip

        cid = get_chip(chip).id
        out = [s for s in out if s.chip == cid]
    return out


def resolve_hardware(name: Any) -> tuple[Chip, System | None]:
    """``(chip, system)`` for a chip or a system, given as a record or a name (case and
    punctuation ignored). A system name wins over a chip alias ("GB200 NVL72" is the rack, not
    one GPU's share); a system gives its chip and itself. Unknown names raise
    :class:`UnknownHardwareError` (an :class:`~accelspec.errors.UnknownChipError` and an
    :class:`UnknownSystemError`) with the closest chip and system ids.

    Parameters
    ----------
    name : str, Chip or System
        A chip or a system, by name or record.

    Returns
    -------
    tuple of (Chip, System or None)
        The chip, and the system when ``name`` named one.

    Raises
    ------
    UnknownHardwareError
        Neither a chip nor a system has that name.

    Examples
    --------
    >>> chip, system = resolve_hardware("gb200 nvl72")
    >>> chip.id, system.id
    ('gb200', 'gb200-nvl72')
    """
    from .catalog import default_catalog

    if isinstance(name, System):
        return name.chip_record(), name
    if isinstance(name, Chip):
        return name, None
    if getattr(name, "__accelspec_deployment__", False):
        raise DeploymentError(f"expected a chip or a system, got a Deployment ({name}); pass its chip or system "
                              "(deployment.chip, deployment.system), or call a function that takes deployments")
    if not isinstance(name, str):
        raise UnknownHardwareError(str(name), [])
    cat = default_catalog()
    sys_cat = _catalog()
    hit = _RESOLVED.get(name)
    if hit is not None and hit[0] is cat and hit[1] is sys_cat:
        return hit[2]
    out = _resolve(name, cat, sys_cat)
    if len(_RESOLVED) > 4096:
        _RESOLVED.clear()
    _RESOLVED[name] = (cat, sys_cat, out)
    return out


_RESOLVED: dict[str, tuple[Any, Any, tuple[Chip, System | None]]] = {}


def _resolve(name: str, cat: Any, sys_cat: NamedIndex[System]) -> tuple[Chip, System | None]:
    sid = sys_cat.key_of(name)
    if sid is not None:  # a system name wins: "GB200 NVL72" is also an alias of the gb200 chip record
        s = sys_cat.get(sid)
        return s.chip_record(), s
    try:
        return cat.get(name), None
    except UnknownChipError as chip_err:
        raise UnknownHardwareError(name, suggest_across(name, cat.index, sys_cat, n=6) or chip_err.suggestions) \
            from None
