"""Human-friendly inputs for the command line and scripts: ``1M``, ``128k``, ``80GB``, ``3.35TB/s``."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pint

from .errors import AccelspecError
from .units import UnitError, parse_quantity

__all__ = ["MAX_COUNT", "InputError", "parse_count", "parse_user_quantity"]

_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}
MAX_COUNT = 2**53  #: the largest count accepted: every whole number up to it is exact in a float


class InputError(AccelspecError, ValueError):
    """A command-line style input (a count such as ``128k``) could not be read or is out of range."""
_COUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:e([+-]?[0-9]+))?\s*([kKmMgG]i?)?\s*$")


def parse_count(text: Any, what: str = "value", minimum: int = 1) -> int:
    """``"1M"`` -> 1_000_000, ``"128k"`` -> 128_000, ``"32Ki"`` -> 32_768, ``"1e6"`` -> 1_000_000.

    Decimal suffixes are powers of 1000 (as token counts are quoted: "1M-token context");
    ``Ki``/``Mi``/``Gi`` are powers of 1024. The result must be a whole number ``>= minimum``
    and at most :data:`MAX_COUNT` (2**53); anything else raises :class:`InputError`.
    """
    if isinstance(text, bool):
        raise InputError(f"{what}: expected a count such as 128k or 1M, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        m = _COUNT.match(str(text))
        if not m and str(text).strip().startswith("-") and _COUNT.match(str(text).strip()[1:]):
            raise InputError(f"{what}: must be at least {minimum}, got {text!r}")
        if not m:
            raise InputError(f"{what}: expected a count such as 4096, 128k, 32Ki or 1M, got {text!r}")
        number, exp, suffix = m.groups()
        # checked before any power is computed: 1e99999999 is refused at once
        if len(number) > 30 or (exp and len(exp.lstrip("+-")) > 2):
            raise InputError(f"{what}: {text!r} is out of range (at most 2**53)")
        raw = Fraction(number) * Fraction(10) ** (int(exp) if exp else 0) * _SUFFIX[(suffix or "").lower()]
        if raw.denominator != 1:
            raise InputError(f"{what}: {text!r} is not a whole number")
        value = int(raw)
    if value < minimum:
        raise InputError(f"{what}: must be at least {minimum}, got {text!r}")
    if value > MAX_COUNT:
        raise InputError(f"{what}: {text!r} is out of range (at most 2**53 = {MAX_COUNT:,})")
    return value


def parse_user_quantity(text: Any, unit: str, what: str = "value") -> pint.Quantity:
    """``"80GB"``, ``"3.35TB/s"`` or ``"3.35 TB/s"`` checked against ``unit``'s dimension."""
    s = str(text).strip()
    s = re.sub(r"^([0-9.,eE+-]+)\s*([A-Za-z])", r"\1 \2", s)
    try:
        return parse_quantity(s, unit, what)
    except UnitError as exc:
        raise InputError(str(exc)) from None
