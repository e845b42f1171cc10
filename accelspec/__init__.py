"""accelspec: published AI-accelerator specs with units and sources, and what they imply.

>>> import accelspec as a
>>> print(a.get_chip("zhenwu m890").memory.capacity)
144 GB
>>> print(a.get_chip("h100").provenance("memory.bandwidth").status)
official
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .index import paused_gc as _paused_gc

with _paused_gc():  # the registry, record classes and catalog are long-lived: no collector pass over them
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
    from .compare import Comparison, compare, compare_table, comparison
    from .dtypes import DType, block_dtype, dtype, dtypes
    from .errors import AccelspecError, FrozenRecordError, SpecFileError, UnitError, UnknownChipError, UnknownNameError
    from .provenance import Direction, Fact, Source, Spec, Status
    from .units import Q_, Quantity, parse_quantity, quantity_type, ureg

# Loaded on first use (PEP 562), so that `import accelspec` and a first lookup stay light: the
# performance model (accelspec.perf), the claims engine, the model catalog, systems, training and
# economics are imported when one of their names is first read. (A name equal to one of this
# package's own module names, such as `compare` or `dtypes`, is imported eagerly above: a lazily
# imported submodule would shadow it.)
_LAZY = {
    **dict.fromkeys(["Bound", "ChipCount", "DTYPE_PRESETS", "DTypes", "Deployment", "DeploymentError",
                     "FitResult", "Footprint", "Limit", "OpCost", "Parallelism", "Roofline", "StepCost",
                     "attention_cost", "decode_bound", "expected_unique_experts", "fits", "gemm_cost",
                     "max_batch", "max_context", "memory_footprint", "min_chips", "prefill_bound", "request_bound",
                     "RequestBound", "roofline", "step_cost", "sweep", "sweep_iter", "plan", "Plan",
                     "PlanRow", "agent_session", "AgentSession", "SessionBound"], ".perf"),
    **dict.fromkeys(["Claim", "ClaimFileError", "ClaimsReport", "Verdict", "check_claims", "load_claims"], ".claims"),
    **dict.fromkeys(["AttentionKind", "Model", "ModelConfigError"], ".model"),
    **dict.fromkeys(["load_measurements", "validate"], ".measurements"),
    **dict.fromkeys(["TrainingFit", "TrainingMemory", "TrainingRun", "TrainingTime", "UnknownRecipeError",
                     "check_training_claim", "min_training_chips", "training_fits", "training_memory",
                     "training_runs", "training_time"], ".training"),
    **dict.fromkeys(["UnknownModelError", "get_model", "load_models", "models"], ".model_catalog"),
    **dict.fromkeys(["System", "UnknownSystemError", "get_system", "load_systems", "resolve_hardware", "systems"],
                    ".system"),
    **dict.fromkeys(["catalog_frame", "catalog_version"], ".export"),
    **dict.fromkeys(["CostBound", "PriceSnapshot", "api_prices", "chip_prices", "compare_api", "cost_bound"],
                    ".economics"),
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .claims import Claim, ClaimFileError, ClaimsReport, Verdict, check_claims, load_claims
    from .economics import CostBound, PriceSnapshot, api_prices, chip_prices, compare_api, cost_bound
    from .export import catalog_frame, catalog_version
    from .measurements import load_measurements, validate
    from .model import AttentionKind, Model, ModelConfigError
    from .model_catalog import UnknownModelError, get_model, load_models, models
    from .perf import (
        DTYPE_PRESETS,
        AgentSession,
        Bound,
        ChipCount,
        Deployment,
        DeploymentError,
        DTypes,
        FitResult,
        Footprint,
        Limit,
        OpCost,
        Parallelism,
        Plan,
        PlanRow,
        RequestBound,
        Roofline,
        SessionBound,
        StepCost,
        agent_session,
        attention_cost,
        decode_bound,
        expected_unique_experts,
        fits,
        gemm_cost,
        max_batch,
        max_context,
        memory_footprint,
        min_chips,
        plan,
        prefill_bound,
        request_bound,
        roofline,
        step_cost,
        sweep,
        sweep_iter,
    )
    from .system import System, UnknownSystemError, get_system, load_systems, resolve_hardware, systems
    from .training import (
        TrainingFit,
        TrainingMemory,
        TrainingRun,
        TrainingTime,
        UnknownRecipeError,
        check_training_claim,
        min_training_chips,
        training_fits,
        training_memory,
        training_runs,
        training_time,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accelspec' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later reads skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "DTYPE_PRESETS",
    "Q_",
    "AccelspecError",
    "AgentSession",
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
    "CostBound",
    "DType",
    "DTypes",
    "Deployment",
    "DeploymentError",
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
    "Plan",
    "PlanRow",
    "Power",
    "Precision",
    "PriceSnapshot",
    "Quantity",
    "RequestBound",
    "Roofline",
    "SessionBound",
    "Source",
    "Spec",
    "SpecFileError",
    "Status",
    "StepCost",
    "System",
    "TrainingFit",
    "TrainingMemory",
    "TrainingRun",
    "TrainingTime",
    "UnitError",
    "UnknownChipError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownRecipeError",
    "UnknownSystemError",
    "UnsupportedPrecisionError",
    "Verdict",
    "__version__",
    "agent_session",
    "api_prices",
    "attention_cost",
    "block_dtype",
    "catalog_frame",
    "catalog_version",
    "check_claims",
    "check_training_claim",
    "chip_prices",
    "chips",
    "compare",
    "compare_api",
    "compare_table",
    "comparison",
    "cost_bound",
    "decode_bound",
    "dtype",
    "dtypes",
    "expected_unique_experts",
    "fits",
    "gemm_cost",
    "get_chip",
    "get_model",
    "get_system",
    "load_claims",
    "load_measurements",
    "load_models",
    "load_specs",
    "load_systems",
    "max_batch",
    "max_context",
    "memory_footprint",
    "min_chips",
    "min_training_chips",
    "models",
    "parse_quantity",
    "plan",
    "prefill_bound",
    "quantity_type",
    "reload",
    "request_bound",
    "resolve_hardware",
    "roofline",
    "step_cost",
    "sweep",
    "sweep_iter",
    "systems",
    "training_fits",
    "training_memory",
    "training_runs",
    "training_time",
    "ureg",
    "validate",
]
