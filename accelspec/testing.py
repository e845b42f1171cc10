"""Hypothesis strategies for accelspec quantities and spec records (for tests, ours and yours)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from .units import Q_

__all__ = ["SOURCE", "magnitudes", "quantities", "spec_dicts"]

SOURCE = {"id": "TEST", "title": "hypothesis-generated test source", "date": "2026"}


def magnitudes(min_value: float = 1e-6, max_value: float = 1e9) -> st.SearchStrategy[float]:
    """Positive finite floats spanning many decades."""
    return st.floats(min_value=min_value, max_value=max_value, allow_nan=False, allow_infinity=False)


def quantities(unit: str, **kw: Any) -> st.SearchStrategy[Any]:
    """Positive quantities in ``unit``."""
    return magnitudes(**kw).map(lambda m: Q_(m, unit))


def spec_dicts(unit: str, **kw: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Spec-file style mappings ``{value: "<m> <unit>", source: TEST, status: official}``."""
    return magnitudes(**kw).map(lambda m: {"value": f"{m!r} {unit}", "source": SOURCE, "status": "official"})
