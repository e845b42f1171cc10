"""Published measurements: real runs, with their exact conditions and sources, checked against
the bounds (none may beat one) and, later, the data the calibrated estimate is fitted on.

========================  ==========================================================================
module                    holds
========================  ==========================================================================
:mod:`.validation`        the measurement file format, :func:`~accelspec.load_measurements` and
                          :func:`~accelspec.validate` (each row's efficiency against its bound)
========================  ==========================================================================
"""

from __future__ import annotations

from .validation import (
    LoadedMeasurement,
    Measurement,
    MeasurementCheck,
    ValidationReport,
    check_measurement,
    load_measurements,
    plot_efficiency,
    validate,
)

__all__ = [
    "LoadedMeasurement",
    "Measurement",
    "MeasurementCheck",
    "ValidationReport",
    "check_measurement",
    "load_measurements",
    "plot_efficiency",
    "validate",
]
