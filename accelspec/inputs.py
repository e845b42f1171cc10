"""Human-friendly inputs for the command line and scripts: ``1M``, ``128k``, ``80GB``, ``3.35TB/s``."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pint

from .errors import CountTypeError, InputError, InvalidArgumentError
from .units import UnitError, parse_quantity

__all__ = ["MAX_COUNT", "InputError", "count", "counts", "parse_count", "parse_user_quantity"]

_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}
MAX_COUNT = 2**53  #: the largest count accepted: every whole number up to it is exact in a float


_COUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:e([+-]?[0-9]+))?\s*([kKmMgG]i?)?\s*$")


def parse_count(text: object, what: str = "value", minimum: int = 1) -> int:
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


def parse_user_quantity(text: object, unit: str, what: str = "value") -> pint.Quantity:
    """``"80GB"``, ``"3.35TB/s"`` or ``"3.35 TB/s"`` checked against ``unit``'s dimension."""
    s = str(text).strip()
    s = re.sub(r"^([0-9.,eE+-]+)\s*([A-Za-z])", r"\1 \2", s)
    try:
        return parse_quantity(s, unit, what)
    except UnitError as exc:
        raise InputError(str(exc)) from None


def counts(value: object, name: str, *, ndim: int | None = None) -> np.ndarray:
    """The one checker of count arguments (chips, batch, context tokens): positive whole numbers
    up to :data:`MAX_COUNT`, a scalar or an array, returned as a float array.

    A Quantity in tokens (or dimensionless) is accepted. ``ndim=1`` also accepts a scalar and
    returns a 1-D array (sweeps). A string, ``None``, a bool or a fraction raises
    :class:`~accelspec.errors.CountTypeError`; zero, negative, non-finite or too large values
    raise :class:`~accelspec.errors.InvalidArgumentError`; both name ``name``.
    """
    if type(value) is int and 0 < value <= MAX_COUNT and ndim is None:  # the common case, fast
        return np.array(float(value))
    if isinstance(value, pint.Quantity):
        value = value.m_as("token") if value.dimensionality == _TOKEN_DIM else value.m_as("")
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise CountTypeError(name, f"expected a positive whole number, got {value!r}")
    try:
        a = np.asarray(value, dtype=float)
    except OverflowError:  # a Python int beyond a float's range
        raise InvalidArgumentError(name, "must be at most 2**53 (exact in floating point), got a number with "
                                   f"{len(str(value))} digits") from None
    except (TypeError, ValueError):
        raise CountTypeError(name, f"expected a positive whole number, got {value!r}") from None
    if ndim == 1:
        a = np.atleast_1d(a)
        if a.ndim != 1:
            raise InvalidArgumentError(name, "expected a number or a 1-D sequence of numbers")
    if a.size == 0:
        raise InvalidArgumentError(name, "is empty")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        bad = a[~(np.isfinite(a) & (a > 0))].ravel()[0]
        raise InvalidArgumentError(name, f"must be a positive whole number, got {bad:g}")
    if np.any(a != np.floor(a)):
        raise CountTypeError(name, f"must be a whole number, got {a[a != np.floor(a)].ravel()[0]:g}")
    if np.any(a > MAX_COUNT):
        raise InvalidArgumentError(name, f"must be at most 2**53 (exact in floating point), got {a.max():g}")
    return a


def count(value: object, name: str) -> int:
    """One count (see :func:`counts`) as an ``int``; an array raises ``InvalidArgumentError``."""
    if type(value) is int and 0 < value <= MAX_COUNT:
        return value
    a = counts(value, name)
    if a.ndim:
        raise InvalidArgumentError(name, "expected one number, not an array")
    return int(a)


_TOKEN_DIM = pint.get_application_registry().Unit("token").dimensionality
