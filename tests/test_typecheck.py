"""The package type-checks: ``python3 -m mypy accelspec`` with the ``[tool.mypy]`` config in
pyproject.toml, which may not relax any module. Skipped when mypy is not installed
(it is in the ``dev`` extra, which CI installs). Takes about 15 s from a cold cache."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install -e .[dev])")
def test_mypy_passes(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache"), "accelspec"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_no_per_module_relaxations():
    """mypy's config silences nothing: no ``[[tool.mypy.overrides]]`` and no ``ignore_errors``."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert "overrides" not in cfg
    assert not cfg.get("ignore_errors", False)
