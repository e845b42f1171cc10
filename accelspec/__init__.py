"""accelspec: published AI-accelerator specs with units and sources, and what they imply.

>>> import accelspec as a
>>> print(a.get_chip("zhenwu m890").memory.capacity)
144 GB
>>> print(a.get_chip("h100").provenance("memory.bandwidth").status)
official

This module is the one public surface: every name a user needs is here, listed in ``__all__``
(and ``dir(accelspec)`` shows exactly that list). The package underneath, by layer (a module
imports only from its own layer or the layers above it in this list):

====================  ===========================================================================
layer                 holds
====================  ===========================================================================
base                  :mod:`.errors` (every exception), :mod:`.units` (the one pint registry),
                      :mod:`.provenance` (Spec, Fact, Source, Status), :mod:`.index` (named
                      lookup), :mod:`.inputs` (counts), :mod:`.specfiles` (the safe YAML reader)
:mod:`.hardware`      chips, systems, the chip catalog, comparisons, prices
:mod:`.model`         transformer architectures, config.json reader, number formats,
                      quantization formats, the model catalog
:mod:`.perf`          memory fit, roofline, bounds, requests, sweeps, plans, sessions, training
:mod:`.economics`,    money (cost bounds, API prices); vendor claims checked; published
:mod:`.claims`,       measurements checked against the bounds
:mod:`.measurements`
:mod:`.io`, plot      JSON schemas, CSV/JSON export, the catalog page and document; charts
:mod:`.cli`           the ``accelspec`` command
====================  ===========================================================================
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from .errors import (
    AccelspecError,
    ClaimFileError,
    CommArgumentError,
    CountTypeError,
    DeploymentError,
    EmptyComparisonError,
    FrozenRecordError,
    InputError,
    IntensityError,
    InvalidArgumentError,
    InvalidDTypeError,
    ModelConfigError,
    NotPublishedError,
    PeakNotPublishedError,
    PlanError,
    SessionError,
    SpecFileError,
    UnitError,
    UnknownChipError,
    UnknownClaimError,
    UnknownDTypeError,
    UnknownFieldError,
    UnknownHardwareError,
    UnknownModelError,
    UnknownNameError,
    UnknownPrecisionError,
    UnknownRecipeError,
    UnknownSystemError,
    UnsupportedPrecisionError,
)
from .index import paused_gc as _paused_gc

with _paused_gc():  # the registry, record classes and catalog are long-lived: no collector pass over them
    from .hardware.catalog import (
        Catalog,
        chips,
        get_chip,
        load_specs,
        reload,
    )
    from .hardware.chip import (
        Benchmark,
        Chip,
        Compute,
        Interconnect,
        Link,
        Memory,
        Power,
        Precision,
    )
    from .hardware.comparison import (
        Comparison,
        compare,
        compare_table,
        comparison,
    )
    from .model.datatypes import (
        DType,
        block_dtype,
        dtype,
        dtypes,
    )
    from .provenance import (
        Direction,
        Fact,
        Source,
        Spec,
        Status,
    )
    from .units import (
        Q_,
        Quantity,
        parse_quantity,
        quantity_type,
        ureg,
    )

# Loaded on first use (PEP 562), so that `import accelspec` and a first lookup stay light: the
# performance model, the claims engine, the model catalog, systems, training, measurements and
# economics are imported when one of their names is first read.
_LAZY = {
    **dict.fromkeys([
        "AgentSession", "Bound", "ChipCount", "DTYPE_PRESETS", "DTypes", "Deployment", "FitResult",
        "Footprint", "Limit", "OpCost", "Parallelism", "Plan", "PlanRow", "RequestBound", "Roofline",
        "SessionBound", "StepCost", "agent_session", "attention_cost", "decode_bound",
        "expected_unique_experts", "fits", "gemm_cost", "max_batch", "max_context", "memory_footprint",
        "min_chips", "plan", "prefill_bound", "request_bound", "roofline", "step_cost", "sweep",
        "sweep_iter"
    ], ".perf"),
    **dict.fromkeys([
        "TrainingFit", "TrainingMemory", "TrainingRun", "TrainingTime", "check_training_claim",
        "min_training_chips", "training_fits", "training_memory", "training_runs", "training_time"
    ], ".perf.training"),
    **dict.fromkeys([
        "Claim", "ClaimsReport", "Verdict", "check_claims", "load_claims"
    ], ".claims"),
    **dict.fromkeys([
        "BoundEstimate", "Estimate", "RequestEstimate", "estimate", "estimate_request"
    ], ".perf.estimate"),
    **dict.fromkeys(["best_layouts", "local_client", "sweep_dask"], ".perf.distributed"),
    **dict.fromkeys(["with_roofs"], ".perf.roofline"),
    **dict.fromkeys([
        "AttentionKind", "Model"
    ], ".model.architecture"),
    **dict.fromkeys([
        "get_model", "load_models", "models"
    ], ".model.catalog"),
    **dict.fromkeys([
        "load_measurements", "validate"
    ], ".measurements"),
    **dict.fromkeys([
        "System", "get_system", "load_systems", "resolve_hardware", "systems"
    ], ".hardware.system"),
    **dict.fromkeys([
        "catalog_frame"
    ], ".io.export"),
    **dict.fromkeys([
        "catalog_version"
    ], ".specfiles"),
    **dict.fromkeys([
        "PriceSnapshot", "chip_prices"
    ], ".hardware.prices"),
    **dict.fromkeys([
        "CostBound", "api_prices", "compare_api", "cost_bound"
    ], ".economics"),
}

if _typing.TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .claims import (
        Claim,
        ClaimsReport,
        Verdict,
        check_claims,
        load_claims,
    )
    from .economics import (
        CostBound,
        api_prices,
        compare_api,
        cost_bound,
    )
    from .hardware.prices import (
        PriceSnapshot,
        chip_prices,
    )
    from .hardware.system import (
        System,
        get_system,
        load_systems,
        resolve_hardware,
        systems,
    )
    from .io.export import (
        catalog_frame,
    )
    from .measurements import (
        load_measurements,
        validate,
    )
    from .model.architecture import (
        AttentionKind,
        Model,
    )
    from .model.catalog import (
        get_model,
        load_models,
        models,
    )
    from .perf import (
        DTYPE_PRESETS,
        AgentSession,
        Bound,
        ChipCount,
        Deployment,
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
    from .perf.distributed import best_layouts, local_client, sweep_dask
    from .perf.estimate import (
        BoundEstimate,
        Estimate,
        RequestEstimate,
        estimate,
        estimate_request,
    )
    from .perf.roofline import with_roofs
    from .perf.training import (
        TrainingFit,
        TrainingMemory,
        TrainingRun,
        TrainingTime,
        check_training_claim,
        min_training_chips,
        training_fits,
        training_memory,
        training_runs,
        training_time,
    )
    from .specfiles import (
        catalog_version,
    )


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'accelspec' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value  # later reads skip this function
    return value


def __dir__() -> list[str]:
    return list(__all__)


__version__ = "0.1.0"

__all__ = [
    "DTYPE_PRESETS",
    "Q_",
    "AccelspecError",
    "AgentSession",
    "AttentionKind",
    "Benchmark",
    "Bound",
    "BoundEstimate",
    "Catalog",
    "Chip",
    "ChipCount",
    "Claim",
    "ClaimFileError",
    "ClaimsReport",
    "CommArgumentError",
    "Comparison",
    "Compute",
    "CostBound",
    "CountTypeError",
    "DType",
    "DTypes",
    "Deployment",
    "DeploymentError",
    "Direction",
    "EmptyComparisonError",
    "Estimate",
    "Fact",
    "FitResult",
    "Footprint",
    "FrozenRecordError",
    "InputError",
    "IntensityError",
    "Interconnect",
    "InvalidArgumentError",
    "InvalidDTypeError",
    "Limit",
    "Link",
    "Memory",
    "Model",
    "ModelConfigError",
    "NotPublishedError",
    "OpCost",
    "Parallelism",
    "PeakNotPublishedError",
    "Plan",
    "PlanError",
    "PlanRow",
    "Power",
    "Precision",
    "PriceSnapshot",
    "Quantity",
    "RequestBound",
    "RequestEstimate",
    "Roofline",
    "SessionBound",
    "SessionError",
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
    "UnknownClaimError",
    "UnknownDTypeError",
    "UnknownFieldError",
    "UnknownHardwareError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownPrecisionError",
    "UnknownRecipeError",
    "UnknownSystemError",
    "UnsupportedPrecisionError",
    "Verdict",
    "__version__",
    "agent_session",
    "api_prices",
    "attention_cost",
    "best_layouts",
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
    "estimate",
    "estimate_request",
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
    "local_client",
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
    "sweep_dask",
    "sweep_iter",
    "systems",
    "training_fits",
    "training_memory",
    "training_runs",
    "training_time",
    "ureg",
    "validate",
    "with_roofs",
]
