"""What hardware costs, as dated, sourced data: chip-hour price snapshots
(``specs/prices/chip_hours.yaml``), vendor list prices (``specs/prices/list_prices.yaml``) and a
chip's share of its system's published power.

A price is data about hardware, like a bandwidth: it lives here, below the performance model,
so that :mod:`accelspec.perf` (plans, sessions) and :mod:`accelspec.economics` (cost bounds) read
the same snapshots. Nothing is invented: a chip without a published price is listed under
``no_price`` and reported as missing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pint

from ..errors import AccelspecError, InvalidArgumentError
from ..specfiles import read_yaml, specs_dir
from ..units import Q_, Quantity, parse_quantity, ureg
from .catalog import get_chip
from .chip import Chip

if TYPE_CHECKING:
    from .system import System

__all__ = ["ListPrice", "PriceSnapshot", "chip_price_values", "chip_prices", "list_prices", "load_prices",
           "no_price_reason", "pick_price", "prices_dir", "system_power_share", "usd_per_hour"]

USD_PER_HOUR = "USD/hour"

# Money as its own dimension in the one registry (defined once, here, on first import).
if "USD" not in ureg:
    ureg.define("USD = [currency] = $")


@dataclass(frozen=True)
class PriceSnapshot:
    """One dated chip-hour price. ``per_chip_hour`` is stated by the source (``basis='stated'``)
    or derived as ``per_instance_hour / chips`` (``basis='derived'``)."""

    chip: str
    provider: str
    tier: str
    instance: str
    chips: int
    per_instance_hour: pint.Quantity | None
    per_chip_hour: pint.Quantity
    basis: str
    status: str
    source_title: str
    source_url: str
    date: str
    quote: str = ""
    region: str = ""
    note: str = ""
    origin: str = ""

    def label(self) -> str:
        """``provider tier instance (date)``, for assumption strings and tables."""
        return f"{self.provider} {self.tier} {self.instance} ({self.date})"


@dataclass(frozen=True)
class ListPrice:
    """A vendor purchase list price: ``price`` for ``item`` holding ``chips`` chips.

    ``per_chip`` = ``price / chips`` (derived); for a kit it includes the baseboard."""

    chip: str
    vendor: str
    item: str
    chips: int
    price: pint.Quantity
    per_chip: pint.Quantity
    status: str
    date: str
    source_title: str
    source_url: str
    quote: str = ""
    note: str = ""


def prices_dir() -> Path:
    return specs_dir() / "prices"


def usd_per_hour(value: pint.Quantity | str | float, file: str, what: str) -> pint.Quantity:
    q = parse_quantity(str(value)) if not isinstance(value, Quantity) else value
    try:
        return q.to(USD_PER_HOUR)
    except Exception as exc:  # pint DimensionalityError
        raise AccelspecError(f"{file}: {what}: {value!r} is not a price per hour") from exc


#: Parsed price files by (path, modification time, size): a plan reads the prices of every row it
#: costs, and parsing the file's units dominated its time. A changed file has a new key.
_PRICE_MEMO: dict[tuple[str, int, int], tuple[tuple[PriceSnapshot, ...], dict[str, str]]] = {}


def load_prices(path: str | Path | None = None) -> tuple[list[PriceSnapshot], dict[str, str]]:
    """Read the chip-hour price file: ``(snapshots, no_price)`` where ``no_price`` maps chip id to
    the reason no price is given.

    The parsed file is remembered by path, modification time and size (a new list and dict are
    returned on every call; the snapshots are frozen)."""
    snaps, no_price = _parsed(path)
    return list(snaps), dict(no_price)


def _parsed(path: str | Path | None = None) -> tuple[tuple[PriceSnapshot, ...], dict[str, str]]:
    """The memoised parse of the price file (shared: callers must not change the dict); one
    ``stat`` per call tells a changed file."""
    p = Path(path) if path else prices_dir() / "chip_hours.yaml"
    try:
        st = p.stat()
        key: tuple[str, int, int] | None = (str(p), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None  # read_yaml names the missing file
    hit = _PRICE_MEMO.get(key) if key is not None else None
    if hit is None:
        hit = _read_prices(p)
        if key is not None:
            if len(_PRICE_MEMO) > 16:
                _PRICE_MEMO.clear()
            _PRICE_MEMO[key] = hit
    return hit


def _read_prices(p: Path) -> tuple[tuple[PriceSnapshot, ...], dict[str, str]]:
    raw = read_yaml(p) or {}
    sources = raw.get("sources") or {}
    out: list[PriceSnapshot] = []
    for i, r in enumerate(raw.get("prices") or []):
        where = f"prices[{i}] ({r.get('chip')})"
        src = sources.get(r.get("source"))
        if src is None:
            raise AccelspecError(f"{p.name}: {where}: field source: unknown source {r.get('source')!r}")
        chips = int(r["chips"])
        inst = usd_per_hour(r["per_instance_hour"], p.name, where) if r.get("per_instance_hour") is not None else None
        if r.get("per_chip_hour") is not None:
            per_chip = usd_per_hour(r["per_chip_hour"], p.name, where)
        elif inst is not None:
            per_chip = inst / chips
        else:
            raise AccelspecError(f"{p.name}: {where}: needs per_chip_hour or per_instance_hour")
        out.append(PriceSnapshot(
            chip=get_chip(r["chip"]).id, provider=r["provider"], tier=r["tier"], instance=str(r["instance"]),
            chips=chips, per_instance_hour=inst, per_chip_hour=per_chip, basis=r.get("basis", "stated"),
            status=r["status"], source_title=src["title"], source_url=src["url"],
            date=str(r.get("date", src["date"])), quote=r.get("quote", ""), region=r.get("region", ""),
            note=r.get("note", ""), origin=r.get("origin", "")))
    no_price = {get_chip(k).id: v for k, v in (raw.get("no_price") or {}).items()}
    return tuple(out), no_price


def chip_prices(chip: str | Chip) -> list[PriceSnapshot]:
    """The dated chip-hour price snapshots published for one chip.

    Read from ``specs/prices/chip_hours.yaml``. A snapshot's ``per_chip_hour`` is stated by
    its source (``basis="stated"``) or derived as ``per_instance_hour / chips``
    (``basis="derived"``).

    Parameters
    ----------
    chip : str or Chip
        Chip id, name or alias, or a :class:`~accelspec.Chip`.

    Returns
    -------
    list of PriceSnapshot
        Every snapshot for the chip, in file order, each with ``per_chip_hour`` [USD/hour],
        provider, tier, date and source; empty when no price is published (the file's
        ``no_price`` table says why).

    Raises
    ------
    UnknownChipError
        ``chip`` is not in the catalog.
    AccelspecError
        The price file cites an unknown source or gives no price for a row.
    """
    cid = get_chip(chip).id
    return [s for _, s in _by_chip().get(cid, ())]


def chip_price_values(chip: str | Chip) -> list[tuple[float, PriceSnapshot]]:
    """``(USD per chip-hour, snapshot)`` for each snapshot of :func:`chip_prices`, cheapest first
    (the magnitudes converted once per price file).

    Parameters
    ----------
    chip : str or Chip
        Chip id, name or alias, or a :class:`~accelspec.Chip`.

    Returns
    -------
    list of (float, PriceSnapshot)
        The price [USD/hour] and its snapshot, sorted by price; empty when none is published.
    """
    return sorted(_by_chip().get(get_chip(chip).id, ()), key=lambda v: v[0])


def no_price_reason(chip: str | Chip) -> str | None:
    """Why no chip-hour price is published for ``chip`` (the price file's ``no_price`` table), or
    None when the file gives no reason.

    Parameters
    ----------
    chip : str or Chip
        Chip id, name or alias, or a :class:`~accelspec.Chip`.
    """
    return _parsed()[1].get(get_chip(chip).id)


def _by_chip() -> dict[str, tuple[tuple[float, PriceSnapshot], ...]]:
    snaps = _parsed()[0]
    if _INDEX[0] is not snaps:  # a new parse (the file changed): index it again
        index: dict[str, list[tuple[float, PriceSnapshot]]] = {}
        for sn in snaps:
            index.setdefault(sn.chip, []).append((float(sn.per_chip_hour.m_as(USD_PER_HOUR)), sn))
        _INDEX[:] = [snaps, {k: tuple(v) for k, v in index.items()}]
    return _INDEX[1]  # type: ignore[no-any-return]


_INDEX: list[Any] = [None, {}]  #: (the snapshots indexed, chip id -> their prices and snapshots)


def list_prices(chip: str | Chip | None = None, path: str | Path | None = None) -> list[ListPrice]:
    """Vendor purchase list prices (``specs/prices/list_prices.yaml``), optionally for one chip."""
    p = Path(path) if path else prices_dir() / "list_prices.yaml"
    raw = read_yaml(p) or {}
    sources = raw.get("sources") or {}
    out: list[ListPrice] = []
    for i, r in enumerate(raw.get("prices") or []):
        src = sources.get(r.get("source"))
        if src is None:
            raise AccelspecError(f"{p.name}: prices[{i}] ({r.get('chip')}): field source: unknown source "
                                 f"{r.get('source')!r}")
        q = parse_quantity(str(r["price"]))
        try:
            q = q.to("USD")
        except Exception as exc:  # pint DimensionalityError
            raise AccelspecError(f"{p.name}: prices[{i}] ({r.get('chip')}): field price: {r['price']!r} "
                                 "is not an amount in USD") from exc
        n = int(r["chips"])
        out.append(ListPrice(chip=get_chip(r["chip"]).id, vendor=r["vendor"], item=r["item"], chips=n, price=q,
                             per_chip=q / n, status=r["status"], date=str(r.get("date", src["date"])),
                             source_title=src["title"], source_url=src["url"], quote=r.get("quote", ""),
                             note=r.get("note", "")))
    if chip is None:
        return out
    cid = get_chip(chip).id
    return [x for x in out if x.chip == cid]


def system_power_share(chip: str | Chip, system: str | System | None = None) -> list[tuple[str, pint.Quantity]]:
    """``[(system id, P_sys / N_sys in W)]`` for the catalog systems of ``chip`` that publish a power.

    ``system`` (id or :class:`~accelspec.System`) picks one; it must be built of ``chip`` and publish
    a power, else :class:`~accelspec.errors.AccelspecError` names what is missing."""
    from .system import get_system, systems

    c = get_chip(chip)
    if system is not None:
        sy = get_system(system)
        if sy.chip != c.id:
            raise AccelspecError(f"system {sy.id!r} is built of {sy.chip!r}, not of chip {c.id!r}")
        if sy.power is None:
            raise AccelspecError(f"system {sy.id!r}: field power: no system power published")
        cands = [sy]
    else:
        cands = [sy for sy in systems(chip=c.id) if sy.power is not None]
    return [(sy.id, (Q_(float(sy.power.value.to("W").magnitude), "W") / sy.n_chips)) for sy in cands
            if sy.power is not None]


def pick_price(snaps: list[PriceSnapshot], price: pint.Quantity | str | None) -> tuple[pint.Quantity | None, str]:
    if price is not None and not isinstance(price, (str, Quantity)):
        raise InvalidArgumentError("price", f"expected 'min', 'median', 'max' or a price such as '2.5 USD/hour', "
                                   f"got {price!r} (a bare number has no unit)")
    if isinstance(price, Quantity) or (isinstance(price, str) and price not in ("min", "median", "max")):
        q = usd_per_hour(price, "price", "price")
        return q, f"price {q.magnitude:.4g} USD/chip-hour (given)"
    if not snaps:
        return None, "no published price"
    vals = sorted(s.per_chip_hour.to(USD_PER_HOUR).magnitude for s in snaps)
    how = price or "min"
    v = {"min": vals[0], "max": vals[-1], "median": statistics.median(vals)}[how]
    used = [s for s in snaps if abs(s.per_chip_hour.magnitude - v) < 1e-9] or snaps
    srcs = "; ".join(s.label() for s in used) if how != "median" else f"median of {len(snaps)} snapshots"
    return Q_(v, USD_PER_HOUR), f"price {how} {v:.4g} USD/chip-hour [{srcs}]"
