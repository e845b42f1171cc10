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
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pint
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

__all__ = [
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


class UnitError(ValueError):
    """A value has the wrong dimension, is not a quantity, or cannot be parsed."""


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
    return text.splitlines()


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


def _cached_definitions_file(text: str) -> tuple[Path, Path] | None:
    """Write the definitions to ``<cache>/units-<hash>.txt`` (hash of pint's version and the
    text, so a new pint or new definitions start a new cache) and return it with pint's own
    cache folder beside it; None when the cache folder cannot be written (read-only home)."""
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256(f"{pint.__version__}\n{text}".encode()).hexdigest()[:16]
    path = folder / f"units-{digest}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = folder / f".units-{digest}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
        pint_cache = folder / "pint"
        pint_cache.mkdir(exist_ok=True)
    except OSError:
        return None
    return path, pint_cache


def _build_registry() -> pint.UnitRegistry:
    """The registry, built from pint's definitions plus :data:`_EXTRA_DEFINITIONS`.

    Parsing pint's definition files costs about 150-200 ms per import; pint's own definition
    cache (keyed on the file and its contents) brings that to about 20 ms. The cache lives in
    :func:`cache_dir`; when that folder is missing or read-only the registry is built without
    it, with the same result.
    """
    text = "\n".join([*_default_definitions(), *_EXTRA_DEFINITIONS]) + "\n"
    cached = _cached_definitions_file(text)
    reg: pint.UnitRegistry | None = None
    if cached is not None:
        try:
            reg = pint.UnitRegistry(str(cached[0]), cache_folder=str(cached[1]))
        except Exception:  # a corrupt or foreign cache entry: build without the cache
            reg = None
    if reg is None:
        reg = pint.UnitRegistry(None, cache_folder=None)
        reg.load_definitions(text.splitlines())
    reg.formatter.default_format = "~P"
    _abbreviate_partial_specs(reg)
    return reg


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


def parse_quantity(value: Any, expected: str | None = None, what: str = "value") -> pint.Quantity:
    """Turn a Quantity, a string like ``"3.35 TB/s"`` or a ``{magnitude, units}`` mapping into
    a Quantity of this registry, checking its dimension against ``expected`` (a unit string).

    Bare numbers are refused: a number without a unit is the bug this library exists to stop.
    """
    if hasattr(value, "q") and isinstance(value.q, pint.Quantity):
        value = value.q  # a Spec with provenance
    if isinstance(value, pint.Quantity):
        q = value if value._REGISTRY is ureg else Q_(value.magnitude, str(value.units))
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            q = Q_(text)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
            raise UnitError(f"{what}: cannot parse {value!r} as a quantity ({exc})") from None
        except Exception as exc:  # tokenizer errors and the like
            raise UnitError(f"{what}: cannot parse {value!r} as a quantity ({exc})") from None
        if not isinstance(q, pint.Quantity):
            q = Q_(q, "")
        m = q.magnitude
        if isinstance(m, float) and m.is_integer() and abs(m) < 1e15:
            q = Q_(int(m), q.units)  # "900 GB/s" stays 900, not 900.0
    elif isinstance(value, Mapping) and "magnitude" in value and "units" in value:
        try:
            q = Q_(value["magnitude"], value["units"])
        except pint.errors.UndefinedUnitError as exc:
            raise UnitError(f"{what}: unknown unit in {dict(value)!r} ({exc})") from None
    elif expected == "" and isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        q = Q_(value, "")  # a count: a bare number is what it is
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
    want = ureg.Unit(expected).dimensionality if expected else ureg.dimensionless.dimensionality
    if q.dimensionality != want:
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
