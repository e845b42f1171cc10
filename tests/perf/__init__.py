"""Tests of accelspec.perf, one module per module."""
