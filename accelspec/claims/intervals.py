"""Intervals of positive magnitudes, the arithmetic the claims engine reasons with."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pint

_EPS = 1e-9  # relative: values this close count as equal (float noise from unit conversions)


def mag(q: pint.Quantity, unit: str) -> float:
    return float(q.to(unit or "dimensionless").magnitude)


# --------------------------------------------------------------------------------------------
# intervals
# --------------------------------------------------------------------------------------------
def _close(x: float, y: float) -> bool:
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= _EPS * max(abs(x), abs(y))


def _lt(x: float, y: float) -> bool:
    """x < y, and not equal within float noise."""
    return x < y and not _close(x, y)


@dataclass(frozen=True)
class Interval:
    """A set of positive magnitudes ``[lo, hi]`` (ends may be open, ``hi`` may be ``inf``),
    with the ``nominal`` value when there is one (the quoted number, before tolerances)."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    nominal: float | None = None

    @classmethod
    def point(cls, x: float) -> Interval:
        return cls(x, x, nominal=x)

    @classmethod
    def around(cls, x: float, tolerance: float) -> Interval:
        """``[x (1 - t), x (1 + t)]`` with nominal ``x``."""
        return cls(x * (1 - tolerance), x * (1 + tolerance), nominal=x)

    @property
    def bounded(self) -> bool:
        return not math.isinf(self.hi)

    @property
    def is_point(self) -> bool:
        return _close(self.lo, self.hi) and not (self.lo_open or self.hi_open)

    @property
    def informative(self) -> bool:
        return self.lo > 0 or self.bounded

    def __mul__(self, other: Interval) -> Interval:
        lo = self.lo * other.lo
        hi = math.inf if math.isinf(self.hi) or math.isinf(other.hi) else self.hi * other.hi
        nom = self.nominal * other.nominal if self.nominal is not None and other.nominal is not None else None
        return Interval(lo, hi, self.lo_open or other.lo_open, self.hi_open or other.hi_open, nom)

    def inverse(self) -> Interval:
        lo = 0.0 if math.isinf(self.hi) else 1.0 / self.hi
        hi = math.inf if self.lo == 0 else 1.0 / self.lo
        nom = 1.0 / self.nominal if self.nominal else None
        return Interval(lo, hi, self.hi_open, self.lo_open, nom)

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.inverse()

    def __add__(self, other: Interval) -> Interval:
        nom = self.nominal + other.nominal if self.nominal is not None and other.nominal is not None else None
        return Interval(self.lo + other.lo, self.hi + other.hi, self.lo_open or other.lo_open,
                        self.hi_open or other.hi_open, nom)

    def scaled(self, k: float) -> Interval:
        nom = None if self.nominal is None else self.nominal * k
        return Interval(self.lo * k, self.hi * k, self.lo_open, self.hi_open, nom)

    def contains(self, x: float) -> bool:
        above = _lt(self.lo, x) or (_close(x, self.lo) and not self.lo_open)
        below = _lt(x, self.hi) or (_close(x, self.hi) and not self.hi_open)
        return above and below

    def within(self, other: Interval) -> bool:
        """Every value of ``self`` lies in ``other``."""
        lo_ok = (self.lo > other.lo and not _close(self.lo, other.lo)) or (
            _close(self.lo, other.lo) and (self.lo_open or not other.lo_open))
        hi_ok = (self.hi < other.hi and not _close(self.hi, other.hi)) or (
            _close(self.hi, other.hi) and (self.hi_open or not other.hi_open))
        return lo_ok and hi_ok

    def disjoint(self, other: Interval) -> bool:
        def apart(a: Interval, b: Interval) -> bool:  # a lies wholly below b
            return _lt(a.hi, b.lo) or (_close(a.hi, b.lo) and (a.hi_open or b.lo_open))

        return apart(self, other) or apart(other, self)

    def intersect(self, other: Interval) -> Interval | None:
        if self.disjoint(other):
            return None
        if _close(self.lo, other.lo):
            lo, lo_open = max(self.lo, other.lo), self.lo_open or other.lo_open
        else:
            lo, lo_open = (self.lo, self.lo_open) if self.lo > other.lo else (other.lo, other.lo_open)
        if _close(self.hi, other.hi):
            hi, hi_open = min(self.hi, other.hi), self.hi_open or other.hi_open
        else:
            hi, hi_open = (self.hi, self.hi_open) if self.hi < other.hi else (other.hi, other.hi_open)
        out = Interval(lo, hi, lo_open, hi_open)
        for cand in (self.nominal, other.nominal):
            if cand is not None and out.contains(cand):
                return Interval(lo, hi, lo_open, hi_open, cand)
        return out

    def text(self, unit: str = "") -> str:
        """``"118.7 TFLOPS"``, ``"111-185 TFLOPS"``, ``"> 312 TFLOPS"``, ``"< 4000 GB/s"``."""
        u = f" {_unit_text(unit)}" if unit else ""
        if self.is_point:
            return f"{num(self.lo)}{u}"
        if not self.bounded:
            if self.lo == 0:
                return "any"
            return f"{'>' if self.lo_open else '>='} {num(self.lo)}{u}"
        if self.lo == 0:
            return f"{'<' if self.hi_open else '<='} {num(self.hi)}{u}"
        lo, hi = _pair(self.lo, self.hi)
        if self.lo_open or self.hi_open:
            return f"{'(' if self.lo_open else '['}{lo}, {hi}{')' if self.hi_open else ']'}{u}"
        return f"{lo}–{hi}{u}"


def _unit_text(unit: str) -> str:
    return {"GB/s": "GB/s", "TFLOPS": "TFLOPS", "TOPS": "TOPS"}.get(unit, unit)


def num(x: float, digits: int = 4) -> str:
    if math.isinf(x):
        return "inf"
    if x != 0 and abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    text = f"{x:.{digits}g}"
    if "e" in text:
        text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return text


def _pair(lo: float, hi: float) -> tuple[str, str]:
    for digits in range(4, 8):
        a, b = num(lo, digits), num(hi, digits)
        if a != b:
            return a, b
    return num(lo, 8), num(hi, 8)


