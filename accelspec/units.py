"""One pint registry for the whole library, and the pydantic field type for quantities.

Units follow the vendors' conventions: ``GB``/``TB`` and ``GB/s``/``TB/s`` are decimal
(10^9, 10^12 bytes), ``GiB``/``TiB`` are binary (2^30, 2^40 bytes). pint has no FLOP, so
``FLOP`` is defined on its own dimension ``[compute]`` and integer operations ``OP`` on
``[operation]``: a TOPS figure is never silently compared with a TFLOPS one. ``token`` and
``image`` are dimensions too, so ``B/token`` and ``image/s`` are checked like any other unit.

Pattern from MetPy: build the registry once, set it as pint's application registry, check
dimensions at the boundary, and run numpy on magnitudes inside.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pint
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from .errors import UnitError

__all__ = [
    "MAX_MAGNITUDE",
    "Q_",
    "Quantity",
    "UnitError",
    "cache_dir",
    "check_dimension",
    "magnitude",
    "parse_quantity",
    "quantity_type",
    "ureg",
]


def _default_definitions() -> list[str]:
    """pint's default definitions with ``bit`` on a dimension of its own.

    pint 0.24+ defines ``bit = []`` (dimensionless), which would let a capacity in GB pass
    where a ratio is expected. Here information is a real dimension, ``[information]``, and
    ``b`` is the bit (``400 Gb/s`` = 50 GB/s), not the barn or the gilbert.
    """
    folder = Path(pint.__file__).parent
    text = (folder / "default_en.txt").read_text(encoding="utf-8")
    constants = (folder / "constants_en.txt").read_text(encoding="utf-8")
    text = text.replace("@import constants_en.txt", constants)
    text = re.sub(r"^bit = \[\]", "bit = [information] = b", text, flags=re.MULTILINE)
    # Networking writes Gb/s and Tb/s: give the symbol b to the bit, not to the barn (Tb would
    # be a terabarn) or the gilbert (Gb), which no accelerator datasheet means.
    text = re.sub(r"^(barn = [^=]+?) = b\b", r"\1", text, flags=re.MULTILINE)
    text = re.sub(r"^(gilbert = [^=]+?) = Gb\b", r"\1", text, flags=re.MULTILINE)
    return _without_blocks(text.splitlines(), _DROPPED_BLOCKS)


#: Blocks of pint's definitions this registry leaves out: physics contexts (spectroscopy,
#: chemistry, Gaussian and ESU electromagnetism...) and the unit systems other than SI and mks
#: (the default, used by ``to_base_units``). Every unit stays; only ``ureg.context("sp")`` and
#: ``default_system = "imperial"`` go, which no accelerator figure needs, and the registry
#: builds in about two thirds of the time.
_DROPPED_BLOCKS = ("@context", "@system cgs", "@system atomic", "@system Planck", "@system imperial", "@system US")


def _without_blocks(lines: list[str], heads: tuple[str, ...]) -> list[str]:
    """``lines`` less every ``@...`` block (up to its ``@end``) whose header starts with one of ``heads``."""
    out: list[str] = []
    skipping = False
    for line in lines:
        stripped = line.strip()
        if skipping:
            skipping = not stripped.startswith("@end")
        elif stripped.startswith(heads):
            skipping = True
        else:
            out.append(line)
    return out


#: Units pint lacks, each on a dimension of its own so that TOPS never compares with TFLOPS.
_EXTRA_DEFINITIONS = (
    "FLOP = [compute] = _ = flop",
    "FLOPS = FLOP / second = _ = flops",
    "OP = [operation] = _ = op",
    "OPS = OP / second = _ = ops",
    "token = [token] = _ = tokens",
    "image = [image] = _ = images",
)


def cache_dir() -> Path | None:
    """The folder for accelspec's caches, or None when caching is off.

    ``ACCELSPEC_CACHE_DIR`` if set (``ACCELSPEC_NO_CACHE=1`` turns caching off), otherwise the
    platform's user cache folder: ``%LOCALAPPDATA%\\accelspec\\Cache`` on Windows,
    ``~/Library/Caches/accelspec`` on macOS, ``$XDG_CACHE_HOME/accelspec`` (default
    ``~/.cache/accelspec``) elsewhere.
    """
    if os.environ.get("ACCELSPEC_NO_CACHE", "").strip() not in ("", "0"):
        return None
    if os.environ.get("ACCELSPEC_CACHE_DIR"):
        return Path(os.environ["ACCELSPEC_CACHE_DIR"])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "accelspec" / "Cache" if base else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "accelspec"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "accelspec"


def _definitions_key() -> str:
    """Name of the cached definitions file: a hash of pint's version, the size and modification
    time of pint's two definition files and of this module (which edits them), so that a new
    pint or an edited module starts a new file, and a warm start never re-reads pint's text."""
    folder = Path(pint.__file__).parent
    parts = [pint.__version__]
    for f in (folder / "default_en.txt", folder / "constants_en.txt", Path(__file__)):
        st = f.stat()
        parts.append(f"{f.name}|{st.st_size}|{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


#: Definition files kept in the cache folder (one per pint version and edit of this module).
_KEEP = 8


def _cached_definitions_file() -> tuple[Path, Path] | None:
    """``<cache>/units-<key>.txt`` (written from :func:`_definitions_text` when missing) and
    pint's own cache folder beside it; None when the cache folder cannot be written."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        path = folder / f"units-{_definitions_key()}.txt"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{path.name}.{os.getpid()}.tmp"
            tmp.write_text(_definitions_text(), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
            stale = sorted(folder.glob("units-*.txt"), key=lambda f: f.stat().st_mtime, reverse=True)[_KEEP:]
            for f in stale:  # other pint versions or edits of this module
                f.unlink(missing_ok=True)
        pint_cache = folder / "pint"
        pint_cache.mkdir(exist_ok=True)
    except OSError:
        return None
    return path, pint_cache


def _definitions_text() -> str:
    return "\n".join([*_default_definitions(), *_EXTRA_DEFINITIONS]) + "\n"


def _build_registry() -> pint.UnitRegistry:
    """The registry, built from pint's definitions plus :data:`_EXTRA_DEFINITIONS`.

    Parsing pint's definition files costs about 150-200 ms per import; pint's own definition
    cache (keyed on the file and its contents) brings that to about 20 ms. The cache lives in
    :func:`cache_dir`; when that folder is missing or read-only the registry is built without
    it, with the same result.
    """
    cached = _cached_definitions_file()
    reg: pint.UnitRegistry | None = None
    if cached is not None:
        try:
            reg = pint.UnitRegistry(str(cached[0]), cache_folder=str(cached[1]))
        except Exception:  # a corrupt or foreign cache entry: build without the cache
            reg = None
    if reg is None:
        reg = pint.UnitRegistry(None, cache_folder=None)
        reg.load_definitions(_definitions_text().splitlines())
    reg.formatter.default_format = "~P"
    _abbreviate_partial_specs(reg)
    _memoize_unit_parsing(reg)
    return reg


#: Most entries each unit memo keeps (a caller feeding endless distinct strings cannot grow them).
_CACHE_MAX = 4096


def _memoize_unit_parsing(reg: pint.UnitRegistry) -> None:
    """Remember parsed unit expressions (``"GB"``, ``"B/s"``) on this registry.

    pint's own memo is skipped for prefixed units (``"GB"`` is not a defined name), so every
    ``Q_(x, "GB")`` and ``q.m_as("B")`` re-ran its parser (~100 us, most of a memory footprint's
    time). Parsed units are immutable ``UnitsContainer`` values and this registry defines no
    contexts, so the memo cannot go stale; it is bounded like the other unit caches."""
    parse = reg._parse_units_as_container
    memo: dict[tuple[str, bool, bool], Any] = {}

    def parse_memoized(input_string: str, as_delta: bool = True, case_sensitive: bool = True) -> Any:
        key = (input_string, as_delta, case_sensitive)
        hit = memo.get(key)
        if hit is None:
            hit = parse(input_string, as_delta, case_sensitive)
            if len(memo) < _CACHE_MAX:
                memo[key] = hit
        return hit

    reg._parse_units_as_container = parse_memoized  # type: ignore[method-assign]


def _abbreviate_partial_specs(reg: pint.UnitRegistry) -> None:
    """``f"{q:.1f}"`` gives ``134.1 GiB`` like ``str(q)``, not ``134.1 gibibyte``: pint applies
    its default format only to an empty spec, so a numeric-only spec gets ``~P`` appended."""
    formatter = reg.formatter
    original = formatter.format_quantity

    def format_quantity(quantity: Any, spec: str = "", **kw: Any) -> str:
        if spec and not any(ch in spec for ch in "~PCDHL"):
            spec += "~P"
        return original(quantity, spec, **kw)

    formatter.format_quantity = format_quantity


ureg: pint.UnitRegistry = _build_registry()
pint.set_application_registry(ureg)
Q_ = ureg.Quantity
Quantity = ureg.Quantity


#: Largest magnitude accepted as written (``1e30 GB`` passes, ``1e31 GB`` is refused): far beyond
#: any hardware figure, far below where float arithmetic (products of two such values) overflows.
MAX_MAGNITUDE = 1e30
#: Longest quantity string accepted; pint's parser is never handed anything longer.
MAX_TEXT = 100

# A quantity string is a plain number and a unit expression, nothing else: no ``**`` between
# numbers (pint would evaluate ``9**9**9``), no constants (``pi``), no bare unit, no trailing
# number. Thousands separators must group by three (``1,000 GB``); ``1,5 GB`` is refused.
_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][+-]?\d{1,3})?|[+-]?\.\d+(?:[eE][+-]?\d{1,3})?"
_NAME = r"[A-Za-z_\u00b5\u03bc\u00b0\u2126%][A-Za-z0-9_\u00b5\u03bc]*"
_POWER = r"(?:\s*(?:\*\*|\^)\s*[+-]?[1-9])?"
_UNIT = rf"\(?\s*{_NAME}{_POWER}\s*\)?(?:\s*(?:/|\*|\u00b7|\s)\s*\(?\s*{_NAME}{_POWER}\s*\)?)*"
_QUANTITY_RE = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*$")
_UNIT_RE = re.compile(rf"^\s*(?:{_UNIT})?\s*$")


#: Parsed units by their text, and dimensions by unit: units are immutable, and pint's own
#: parser costs ~200 us per call, which made the first catalog load spend most of its time here.
#: Bounded, so that a caller feeding endless distinct strings cannot grow them without limit.
_UNIT_CACHE: dict[str, pint.Unit] = {}
_DIM_CACHE: dict[Any, Any] = {}


def _parse_unit(text: str, what: str, original: Any) -> pint.Unit:
    unit = _UNIT_CACHE.get(text)
    if unit is not None:
        return unit
    unit = _parse_unit_uncached(text, what, original)
    if len(_UNIT_CACHE) < _CACHE_MAX:
        _UNIT_CACHE[text] = unit
    return unit


def _dimensionality(units: Any) -> Any:
    """Dimensionality of a unit container (or unit text), memoised."""
    dim = _DIM_CACHE.get(units)
    if dim is None:
        dim = (ureg.Unit(units) if isinstance(units, str) else ureg.Quantity(1, units)).dimensionality
        if len(_DIM_CACHE) < _CACHE_MAX:
            _DIM_CACHE[units] = dim
    return dim


def _parse_unit_uncached(text: str, what: str, original: Any) -> pint.Unit:
    if len(text) > MAX_TEXT or not _UNIT_RE.match(text) or text.count("(") != text.count(")"):
        raise UnitError(f"{what}: cannot parse {original!r}: units must be unit names joined by '/', '*' "
                        "or spaces, with small integer powers (e.g. 'GB/s', 'B/token')")
    if not text.strip():
        return ureg.dimensionless
    try:
        return ureg.Unit(text)
    except Exception as exc:  # undefined unit, tokenizer errors and the like
        raise UnitError(f"{what}: cannot parse {original!r} as a unit ({exc})") from None


def _check_magnitude(m: Any, what: str, original: Any) -> Any:
    """Refuse non-finite and absurdly large magnitudes (scalars and numeric arrays)."""
    if isinstance(m, bool):
        raise UnitError(f"{what}: magnitude must be a number, got {original!r}")
    if isinstance(m, int):
        if abs(m) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} is too large (limit {MAX_MAGNITUDE:g})")
        return m
    if isinstance(m, (float, np.floating)):
        if not math.isfinite(m):
            raise UnitError(f"{what}: {original!r} is not a finite number")
        if abs(m) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} is too large (limit {MAX_MAGNITUDE:g})")
        return m
    if isinstance(m, np.integer):
        return _check_magnitude(int(m), what, original)
    if isinstance(m, np.ndarray) and m.dtype.kind in "iuf":
        if m.dtype.kind == "f" and not np.all(np.isfinite(m)):
            raise UnitError(f"{what}: {original!r} holds values that are not finite")
        if m.size and float(np.max(np.abs(m))) > MAX_MAGNITUDE:
            raise UnitError(f"{what}: {original!r} holds values that are too large (limit {MAX_MAGNITUDE:g})")
        return m
    return m


def _parse_text(value: str, what: str) -> pint.Quantity:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise UnitError(f"{what}: quantity text is longer than {MAX_TEXT} characters")
    m = _QUANTITY_RE.match(text)
    if not m:
        raise UnitError(f"{what}: cannot parse {value!r} as a quantity: give a number and a unit, "
                        "e.g. '80 GB' or '3.35 TB/s'")
    num = m.group("num").replace(",", "")
    unit = _parse_unit(m.group("unit") or "", what, value)
    if re.fullmatch(r"[+-]?\d+", num):
        if len(num.lstrip("+-")) > 31:
            raise UnitError(f"{what}: {value!r} is too large (limit {MAX_MAGNITUDE:g})")
        mag: Any = int(num)
    else:
        mag = float(num)
        _check_magnitude(mag, what, value)
        if mag.is_integer() and abs(mag) < 1e15:
            mag = int(mag)  # "1e3 GB" is 1000, "900 GB/s" stays 900, not 900.0
    _check_magnitude(mag, what, value)
    return Q_(mag, unit)


def parse_quantity(value: Any, expected: str | None = None, what: str = "value") -> pint.Quantity:
    """Turn a Quantity, a string like ``"3.35 TB/s"`` or a ``{magnitude, units}`` mapping into
    a Quantity of this registry, checking its dimension against ``expected`` (a unit string).

    Bare numbers are refused: a number without a unit is the bug this library exists to stop.
    Strings must be a plain number and a unit (``"80 GB"``, ``"1,000 GB"``, ``"3.35e3 GB/s"``):
    expressions (``"9**9**9 GB"``), constants (``"pi GB"``), a unit with no number (``"GB"``)
    and stray text (``"5 GB 5"``, ``"1,5 GB"``) are refused, never evaluated. Every magnitude
    must be finite and at most :data:`MAX_MAGNITUDE` in absolute value; anything else raises
    :class:`UnitError` (an :class:`~accelspec.errors.AccelspecError`) naming ``what``.
    """
    if hasattr(value, "q") and isinstance(value.q, pint.Quantity):
        value = value.q  # a Spec with provenance
    if isinstance(value, pint.Quantity):
        _check_magnitude(value.magnitude, what, value)
        q = value if value._REGISTRY is ureg else Q_(value.magnitude, str(value.units))
    elif isinstance(value, str):
        q = _parse_text(value, what)
    elif isinstance(value, Mapping) and "magnitude" in value and "units" in value:
        mag, units = value["magnitude"], value["units"]
        if isinstance(mag, bool) or not isinstance(mag, (int, float)):
            raise UnitError(f"{what}: magnitude must be a number, got {type(mag).__name__} {mag!r}")
        if not isinstance(units, str):
            raise UnitError(f"{what}: units must be a string such as 'GB', got {type(units).__name__} {units!r}")
        _check_magnitude(mag, what, dict(value))
        q = Q_(mag, _parse_unit(units, what, dict(value)))
    elif expected == "" and isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        q = Q_(_check_magnitude(value, what, value), "")  # a count: a bare number is what it is
    elif isinstance(value, (bool, int, float, np.number, np.ndarray, list, tuple)):
        hint = f", e.g. '{value} {expected}'" if expected and np.isscalar(value) else ""
        raise UnitError(f"{what}: got a bare number {value!r}; give it a unit{hint}")
    else:
        raise UnitError(f"{what}: expected a quantity with units, got {type(value).__name__} {value!r}")
    if expected is not None:
        check_dimension(q, expected, what)
    return q


def check_dimension(q: pint.Quantity, expected: str, what: str = "value") -> None:
    """Raise :class:`UnitError` unless ``q`` has the dimension of the unit ``expected``."""
    want = _dimensionality(expected) if expected else ureg.dimensionless.dimensionality
    if _dimensionality(q._units) != want:
        raise UnitError(
            f"{what}: expected a quantity like {expected!r} ({_dim_str(want)}), "
            f"got {q:~P} ({_dim_str(q.dimensionality)})"
        )


def _dim_str(dim: Any) -> str:
    text = str(dim)
    return "dimensionless" if text in ("", "dimensionless") else text


def magnitude(value: Any, unit: str, what: str = "value") -> Any:
    """Magnitude of ``value`` in ``unit`` after a dimension check (the boundary of fast code)."""
    q = parse_quantity(value, unit, what)
    return q.m_as(unit)


def quantity_type(unit: str, *, convert: bool = False) -> Any:
    """A pydantic v2 field type for quantities with the dimension of ``unit``.

    Accepts a Quantity, a string such as ``"3.35 TB/s"`` or ``{"magnitude": .., "units": ..}``;
    refuses bare numbers; checks the dimension; keeps the unit as written (the vendor's
    unit is part of the provenance) unless ``convert=True``. JSON dumps to ``"3.35 TB/s"``.
    """

    def validate(value: Any) -> pint.Quantity:
        q = parse_quantity(value, unit, "quantity")
        return q.to(unit) if convert else q

    def serialize(q: pint.Quantity) -> str:
        return format_quantity(q)

    return Annotated[
        pint.Quantity,
        PlainValidator(validate),
        PlainSerializer(serialize, when_used="json"),
        WithJsonSchema({"type": "string", "description": f"quantity with the dimension of {unit}"}),
    ]


def format_quantity(q: pint.Quantity) -> str:
    """Exact, re-parseable text for a quantity: ``"3.35 TB/s"`` (``repr`` of the float)."""
    m = q.magnitude
    if isinstance(m, float) and m.is_integer() and abs(m) < 1e15:
        text = str(int(m))
    else:
        text = repr(m) if isinstance(m, float) else str(m)
    units = f"{q.units:~C}"
    return f"{text} {units}" if units else text
