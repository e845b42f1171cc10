"""accelspec: published AI-accelerator specs with units and sources, and what they imply.

>>> import accelspec as a
>>> a.get_chip("zhenwu m890").memory.capacity
"""

from __future__ import annotations

from .catalog import Catalog, chips, get_chip, load_specs, reload
from .chip import (
    Benchmark,
    Chip,
    Compute,
    Interconnect,
    Link,
    Memory,
    NotPublishedError,
    Power,
    Precision,
    UnsupportedPrecisionError,
)
from .errors import AccelspecError, SpecFileError, UnitError, UnknownChipError, UnknownNameError
from .provenance import Direction, Fact, Source, Spec, Status
from .units import Q_, Quantity, parse_quantity, quantity_type, ureg

__version__ = "0.1.0"

__all__ = [
    "Q_",
    "AccelspecError",
    "Benchmark",
    "Catalog",
    "Chip",
    "Compute",
    "Direction",
    "Fact",
    "Interconnect",
    "Link",
    "Memory",
    "NotPublishedError",
    "Power",
    "Precision",
    "Quantity",
    "Source",
    "Spec",
    "SpecFileError",
    "Status",
    "UnitError",
    "UnknownChipError",
    "UnknownNameError",
    "UnsupportedPrecisionError",
    "__version__",
    "chips",
    "get_chip",
    "load_specs",
    "parse_quantity",
    "quantity_type",
    "reload",
    "ureg",
]
