"""accelspec: published AI-accelerator specs with units and sources, and what they imply.

>>> import accelspec as a
>>> print(a.get_chip("zhenwu m890").memory.capacity)
144 GB
>>> print(a.get_chip("h100").provenance("memory.bandwidth").status)
official
"""

from __future__ import annotations

from .bounds import Bound, decode_bound, prefill_bound
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
from .claims import Claim, ClaimFileError, ClaimsReport, Verdict, check_claims, load_claims
from .compare import Comparison, compare, compare_table, comparison
from .costs import OpCost, StepCost, attention_cost, expected_unique_experts, gemm_cost, step_cost
from .dtypes import DType, block_dtype, dtype, dtypes
from .errors import AccelspecError, FrozenRecordError, SpecFileError, UnitError, UnknownChipError, UnknownNameError
from .memory import (
    ChipCount,
    FitResult,
    Footprint,
    Limit,
    Parallelism,
    fits,
    max_batch,
    max_context,
    memory_footprint,
    min_chips,
)
from .model import AttentionKind, Model, ModelConfigError
from .model_catalog import UnknownModelError, get_model, load_models, models
from .provenance import Direction, Fact, Source, Spec, Status
from .roofline import Roofline, roofline
from .sweep import sweep
from .units import Q_, Quantity, parse_quantity, quantity_type, ureg

__version__ = "0.1.0"

__all__ = [
    "Q_",
    "AccelspecError",
    "AttentionKind",
    "Benchmark",
    "Bound",
    "Catalog",
    "Chip",
    "ChipCount",
    "Claim",
    "ClaimFileError",
    "ClaimsReport",
    "Comparison",
    "Compute",
    "DType",
    "Direction",
    "Fact",
    "FitResult",
    "Footprint",
    "FrozenRecordError",
    "Interconnect",
    "Limit",
    "Link",
    "Memory",
    "Model",
    "ModelConfigError",
    "NotPublishedError",
    "OpCost",
    "Parallelism",
    "Power",
    "Precision",
    "Quantity",
    "Roofline",
    "Source",
    "Spec",
    "SpecFileError",
    "Status",
    "StepCost",
    "UnitError",
    "UnknownChipError",
    "UnknownModelError",
    "UnknownNameError",
    "UnsupportedPrecisionError",
    "Verdict",
    "__version__",
    "attention_cost",
    "block_dtype",
    "check_claims",
    "chips",
    "compare",
    "compare_table",
    "comparison",
    "decode_bound",
    "dtype",
    "dtypes",
    "expected_unique_experts",
    "fits",
    "gemm_cost",
    "get_chip",
    "get_model",
    "load_claims",
    "load_models",
    "load_specs",
    "max_batch",
    "max_context",
    "memory_footprint",
    "min_chips",
    "models",
    "parse_quantity",
    "prefill_bound",
    "quantity_type",
    "reload",
    "roofline",
    "step_cost",
    "sweep",
    "ureg",
]
