"""The documentation site builds in strict mode: ``python3 -m mkdocs build --strict`` (MkDocs
Material + mkdocstrings; the ``docs`` extra, which ``dev`` includes and .ci/run installs).

A broken link, a missing anchor, a page left out of the navigation or a docstring mkdocstrings
cannot render fails the build. Skipped only when mkdocs is not installed. About 8 s.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("mkdocs", "material", "mkdocstrings")),
    reason="mkdocs / mkdocs-material / mkdocstrings not installed (pip install -e .[docs]; .ci/run installs them)",
)


def _build(config: Path, site: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    env.pop("ACCELSPEC_PATH", None)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    proc = _build(ROOT / "mkdocs.yml", site, ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "WARNING" not in proc.stderr, proc.stderr[-5000:]
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    # the API reference is generated from the docstrings, accelspec.perf included
    for name in ("accelspec.perf.bounds", "accelspec.perf.memory", "accelspec.perf.roofline", "accelspec.perf.sweep",
                 "accelspec.perf.deployment", "accelspec.hardware.chip", "accelspec.units", "accelspec.io.export",
                 "accelspec.io.site", "accelspec.claims.engine", "decode_bound", "catalog_frame"):
        assert f'id="{name}' in api or f"{name}" in api, name
    # the catalog browser is copied as static files and linked from the home page
    assert (site / "catalog-page" / "index.html").is_file() and (site / "catalog-page" / "catalog-data.js").is_file()
    assert "catalog-page/" in (site / "index.html").read_text(encoding="utf-8")


def test_strict_build_fails_on_a_broken_link(tmp_path):
    """The validation settings of mkdocs.yml turn a link to a missing page or anchor into a failure."""
    cfg = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nplugins:")[0])
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nSee [the guide](guide.md#no-such-section).\n", encoding="utf-8")
    (docs / "guide.md").write_text("# Guide\n\n## A section\n", encoding="utf-8")
    mini = {"site_name": "t", "docs_dir": "docs", "strict": True, "validation": cfg["validation"],
            "nav": ["index.md", "guide.md"]}
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(mini), encoding="utf-8")
    ok = _build(tmp_path / "mkdocs.yml", tmp_path / "site", tmp_path)
    assert ok.returncode != 0 and "no-such-section" in ok.stderr, ok.stderr[-2000:]
    (docs / "index.md").write_text("# Home\n\nSee [the guide](missing.md).\n", encoding="utf-8")
    bad = _build(tmp_path / "mkdocs.yml", tmp_path / "site", tmp_path)
    assert bad.returncode != 0 and "missing.md" in bad.stderr, bad.stderr[-2000:]
