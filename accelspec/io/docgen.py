"""Generated parts of the README and the docs, so that no figure in their prose can drift.

A markdown file marks a generated region with a pair of HTML comments::

    <!-- gen:catalog-summary -->
    72 chips from 18 vendors ...
    <!-- /gen:catalog-summary -->

:func:`render` computes every region's text from the package and its data (the catalog, the
measurements, the package tree); :func:`check` lists the regions whose text differs (the test
suite fails on any), and ``python -m accelspec.io.docgen`` rewrites them in place. Timings are
never generated: they depend on the machine, so the prose names the benchmark script instead.
"""

from __future__ import annotations

import ast
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..measurements.validation import ValidationReport

__all__ = ["GENERATORS", "check", "doc_files", "render", "write"]

_REGION = re.compile(r"(<!-- gen:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /gen:(?P=name) -->)", re.S)


def _root() -> Path:
    """The checkout's top folder (README.md and docs/ live there, not in an installed wheel)."""
    return Path(__file__).resolve().parents[2]


def _vendors() -> list[str]:
    from ..hardware.catalog import default_catalog

    return default_catalog().vendors()


def catalog_summary() -> str:
    """One sentence: chips, vendors (named), systems and models in the shipped catalog."""
    from ..hardware.catalog import chips
    from ..hardware.system import systems
    from ..model.catalog import models

    vendors = _vendors()
    return (f"{len(chips())} chips from {len(vendors)} vendors ({', '.join(vendors)}), {len(systems())} systems "
            f"and {len(models())} models")


_REPORT: ValidationReport | None = None


def _measurement_report() -> ValidationReport:
    from ..measurements.validation import validate

    global _REPORT
    if _REPORT is None:
        _REPORT = validate()
    return _REPORT


def measurements_summary() -> str:
    """One sentence on the shipped measurements: rows, publishers, chips, vendors, violations."""
    from ..hardware.catalog import get_chip

    r = _measurement_report()
    vendors = sorted({get_chip(c).vendor for c in r.chips})
    return (f"{len(r.checks)} published results from {len(r.publishers)} publishers on {len(r.chips)} chips of "
            f"{len(vendors)} vendors ({', '.join(vendors)}); {len(r.violations)} beat their bound; "
            f"{len(r.excluded)} are excluded (a technique the bound does not cover, such as speculative decoding "
            "whose acceptance is not published)")


def measurements_table() -> str:
    """Per publisher: rows, chips, and the median, lowest and highest efficiency (measured / bound)."""
    r = _measurement_report()
    lines = ["| publisher | rows | chips | median | min | max |", "|---|---:|---|---:|---:|---:|"]
    for p in r.publishers:
        rows = [c for c in r.checks if c.publisher == p]
        eff = [c.efficiency for c in rows if not c.excluded]
        chips = ", ".join(sorted({c.chip for c in rows}))
        if eff:
            lines.append(f"| {p} | {len(rows)} | {chips} | {statistics.median(eff):.3f} | {min(eff):.3f} | "
                         f"{max(eff):.3f} |")
        else:
            lines.append(f"| {p} | {len(rows)} | {chips} | - | - | - |")
    return "\n".join(lines)


def measurements_by_chip() -> str:
    """Per publisher and chip: rows, and the median, lowest and highest efficiency."""
    r = _measurement_report()
    lines = ["| publisher | chip | rows | median | min | max |", "|---|---|---:|---:|---:|---:|"]
    for (p, chip), (k, med, lo, hi) in r.by_publisher_chip().items():
        lines.append(f"| {p} | {chip} | {k} | {med:.3f} | {lo:.3f} | {hi:.3f} |")
    return "\n".join(lines)


def calibration_cv() -> str:
    """The estimate's out-of-sample error and interval coverage (from ``specs/calibration.json``)."""
    import json

    from ..measurements.calibration import cv_markdown
    from ..specfiles import specs_dir

    return cv_markdown(json.loads((specs_dir() / "calibration.json").read_text(encoding="utf-8")))


def _docstring_head(path: Path) -> str:
    """The first sentence of a module's docstring, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    first = re.sub(r":(?:class|func|mod|data|meth|attr):`~?([^`]+)`", r"`\1`", first)  # Sphinx roles -> code
    return first.replace("``", "`").rstrip(".")


def layout_table() -> str:
    """The package tree, one row per base module and per subpackage, from their docstrings."""
    pkg = Path(__file__).resolve().parents[1]
    rows = ["| path | what |", "|---|---|"]
    for path in sorted(pkg.glob("*.py")):
        if path.name not in ("__init__.py", "__main__.py"):
            rows.append(f"| `accelspec/{path.name}` | {_docstring_head(path)} |")
    for sub in sorted(p for p in pkg.iterdir() if (p / "__init__.py").is_file()):
        mods = ", ".join(f"`{m.stem}`" for m in sorted(sub.glob("*.py")) if m.name != "__init__.py")
        rows.append(f"| `accelspec/{sub.name}/` ({mods}) | {_docstring_head(sub / '__init__.py')} |")
    rows += ["| `specs/` | the data: chips, systems, models, claims, measurements, prices, training runs "
             "(shipped inside the wheel) |",
             "| `examples/`, `benchmarks/`, `docs/`, `tests/` | scripts, speed ratios, documentation, the suite "
             "(mirrors the package) |"]
    return "\n".join(rows)


#: Region name -> the function that renders it.
GENERATORS: dict[str, Callable[[], str]] = {
    "calibration-cv": calibration_cv,
    "catalog-summary": catalog_summary,
    "layout": layout_table,
    "measurements-by-chip": measurements_by_chip,
    "measurements-summary": measurements_summary,
    "measurements-table": measurements_table,
}


def doc_files() -> list[Path]:
    """README.md and every markdown page under docs/."""
    root = _root()
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def render(text: str) -> str:
    """``text`` with every generated region's body replaced by its current rendering."""

    def one(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in GENERATORS:
            raise KeyError(f"unknown generated region {name!r}; known: {', '.join(sorted(GENERATORS))}")
        return f"{m.group(1)}{GENERATORS[name]().rstrip()}\n{m.group(4)}"

    return _REGION.sub(one, text)


def check() -> list[str]:
    """``file: region`` for every generated region whose text is stale (empty when all are current)."""
    stale = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        for m in _REGION.finditer(text):
            fresh = render(m.group(0))
            if fresh != m.group(0):
                stale.append(f"{path.relative_to(_root())}: {m.group('name')}")
    return stale


def write() -> list[Path]:
    """Rewrite every stale region in place; returns the files changed."""
    changed = []
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":
    for p in write():
        sys.stdout.write(f"rewrote {p}\n")
    from ..units import DEFINITIONS_TABLE, write_definitions_table

    if write_definitions_table():  # the parsed unit definitions shipped for this pint (accelspec.units)
        sys.stdout.write(f"rewrote {DEFINITIONS_TABLE}\n")
