"""The public surface changes only on purpose: update this list in the same commit."""

import pytest

import accelspec

PUBLIC = [
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
    "DTYPE_PRESETS",
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
    "Q_",
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


def test_public_names_are_locked():
    assert sorted(accelspec.__all__) == PUBLIC


def test_every_public_name_exists():
    assert [n for n in PUBLIC if not hasattr(accelspec, n)] == []


def test_dir_is_the_public_surface():
    """``dir(accelspec)`` lists ``__all__``, not the helpers the module uses (``importlib``, ``Any``)."""
    assert dir(accelspec) == sorted(accelspec.__all__)


def test_every_exception_is_exported_at_the_top():
    """Every exception class a user can see is importable from :mod:`accelspec` itself."""
    import inspect

    from accelspec import errors

    classes = [n for n, c in vars(errors).items() if inspect.isclass(c) and issubclass(c, Exception)
               and c.__module__ == errors.__name__]
    assert sorted(classes) == sorted(errors.__all__)
    assert [n for n in classes if n not in accelspec.__all__] == []


def test_no_public_name_is_also_a_module():
    """A function named like a submodule is shadowed when the submodule is imported (``a.compare``
    was both); no public name equals a module or subpackage of the package."""
    import importlib
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(accelspec.__path__)}
    assert sorted(set(accelspec.__all__) & modules) == []
    importlib.import_module("accelspec.model.catalog")  # a subpackage import must not replace a function

    assert callable(accelspec.models) and callable(accelspec.compare) and callable(accelspec.dtypes)


#: Each subpackage's public names, locked like the package's (particle's test_module_apis):
#: the API changes only on purpose. Everything here is also reachable from ``accelspec``
#: except the claims engine's building blocks.
SUBPACKAGES = {
    "accelspec.perf": [
        "DTYPE_PRESETS", "Bound", "ChipCount", "DTypes", "Deployment", "DeploymentError", "FitResult",
        "Footprint", "Limit", "OpCost", "Parallelism", "Roofline", "StepCost", "attention_cost", "decode_bound",
        "expected_unique_experts", "fits", "gemm_cost", "max_batch", "max_context", "memory_footprint",
        "min_chips", "prefill_bound", "request_bound", "RequestBound", "roofline", "step_cost", "sweep", "sweep_iter",
        "plan", "Plan", "PlanRow", "agent_session", "AgentSession", "SessionBound",
    ],
    "accelspec.measurements": [
        "LoadedMeasurement", "Measurement", "MeasurementCheck", "ValidationReport", "check_measurement",
        "load_measurements", "plot_efficiency", "validate",
    ],
    "accelspec.claims": [
        "Citation", "Claim", "ClaimFileError", "ClaimResult", "ClaimsReport", "CrossCheck", "Implied", "Interval",
        "KINDS", "METRIC_ALIASES", "NodeImplied", "ReadingResult", "Stated", "Statement", "StatementSpec",
        "Verdict", "check_claims", "claims_dir", "load_claims", "metric_unit",
    ],
}


@pytest.mark.parametrize("name", sorted(SUBPACKAGES))
def test_subpackage_api_is_locked(name):
    import importlib

    mod = importlib.import_module(name)
    assert sorted(mod.__all__) == sorted(SUBPACKAGES[name])
    assert [n for n in mod.__all__ if not hasattr(mod, n)] == []


def test_perf_names_are_the_package_names():
    import accelspec.perf as perf

    for n in perf.__all__:
        assert getattr(accelspec, n) is getattr(perf, n), n


def test_every_exported_function_has_a_numpydoc_docstring():
    """pvlib's habit: every function of the public surface documents its Parameters (or, when it
    takes none, its Returns) in numpydoc sections."""
    import inspect

    bare = [n for n in accelspec.__all__ if inspect.isfunction(getattr(accelspec, n))
            and not any(s in (inspect.getdoc(getattr(accelspec, n)) or "") for s in ("Parameters\n", "Returns\n"))]
    assert bare == []
