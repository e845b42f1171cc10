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

import re
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


def _build_registry() -> pint.UnitRegistry:
    reg = pint.UnitRegistry(None, cache_folder=None)
    reg.load_definitions(_default_definitions())
    definitions = [
        "FLOP = [compute] = _ = flop",
        "FLOPS = FLOP / second = _ = flops",
        "OP = [operation] = _ = op",
        "OPS = OP / second = _ = ops",
        "token = [token] = _ = tokens",
        "image = [image] = _ = images",
    ]
    for line in definitions:
        name = line.split("=")[0].strip()
        if name not in reg:  # guard: defining twice must never fail
            reg.define(line)
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
