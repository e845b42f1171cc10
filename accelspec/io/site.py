"""The browsable catalog page: ``python -m accelspec.io.site [-o docs/catalog-page]``.

Writes a static page that works from files (``file://``, no server, no CDN):

* ``index.html``: every chip and every system in sortable, filterable tables (vendor, text
  search, "official only"), each value linked to its source and marked with its status
  (ʳ reported, ᵈ derived, ᵉ estimated; no mark: official; — not supported; n/p not published),
  a GB/GiB toggle for memory sizes and bandwidths (vendor GB are decimal, 1 GB = 10⁹ B;
  1 GiB = 2³⁰ B), and a bar chart comparing the chips ticked in the table (inline SVG drawn by
  vanilla JavaScript);
* ``catalog-data.js``: the data the page reads (a ``<script>``, since browsers refuse
  ``fetch`` on ``file://``);
* ``catalog.json`` and ``catalog.csv``: the flat export (:mod:`accelspec.io.export`), for download.

Every file carries the catalog's data version (:func:`accelspec.io.export.catalog_version`) and
the package version. The MkDocs site copies the folder as static files (``docs/catalog-page/``);
``tests/test_catalog_page.py`` checks that the committed copy is current and drives it in
headless Chromium.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..hardware.chip import Chip
from ..provenance import Spec
from ..specfiles import catalog_version
from .export import catalog_rows, write_csv, write_json

__all__ = ["CHIP_COLUMNS", "SYSTEM_COLUMNS", "page_data", "write_page"]

#: Chip columns shown on the page: (export column, label, kind). ``kind`` "bytes" columns
#: take the GB/GiB toggle (their unit is a decimal byte unit: GB or GB/s).
CHIP_COLUMNS: list[tuple[str, str, str]] = [
    ("memory.capacity", "Memory", "bytes"),
    ("memory.type", "Type", "text"),
    ("memory.bandwidth", "Bandwidth", "bytes"),
    ("compute.dense.bf16", "BF16 dense", "number"),
    ("compute.dense.fp8", "FP8 dense", "number"),
    ("compute.dense.fp4", "FP4 dense", "number"),
    ("interconnect.scale_up.bandwidth", "Scale-up", "bytes"),
    ("power.tdp", "TDP", "number"),
]

#: System columns: (key, label, kind); values come from :class:`accelspec.hardware.system.System`.
SYSTEM_COLUMNS: list[tuple[str, str, str]] = [
    ("count", "Chips", "number"),
    ("total_hbm", "Total memory", "bytes"),
    ("total_bf16", "BF16 dense total", "number"),
    ("scale_up.per_chip", "Scale-up per chip", "bytes"),
    ("scale_up.size", "Scale-up domain", "number"),
    ("total_scale_up_bandwidth", "Scale-up total", "bytes"),
    ("power", "Power", "number"),
]

DEFAULT_OUT = Path("docs") / "catalog-page"

#: Chips ticked for the chart when the page opens (those present in the catalog).
DEFAULT_CHART = ["h100-sxm", "h200-sxm", "b200", "mi300x", "mi355x", "h20", "ascend-910c", "tpu-v6e"]


def _chip_cell(row: dict[str, Any], key: str) -> dict[str, Any] | None:
    status = row.get(f"{key}.status")
    if status is None:
        return None
    cell: dict[str, Any] = {"status": status}
    if key in row:
        cell.update(v=row[key], unit=row.get(f"{key}.unit", ""), source=row.get(f"{key}.source", ""),
                    url=row.get(f"{key}.url", ""))
        if f"{key}.direction" in row:
            cell["direction"] = row[f"{key}.direction"]
    return cell


_SYSTEM_UNITS = {"total_hbm": "TB", "total_bf16": "PFLOPS", "scale_up.per_chip": "GB/s",
                 "total_scale_up_bandwidth": "TB/s", "power": "kW"}


def _system_cell(value: Spec | None, key: str) -> dict[str, Any] | None:
    if value is None:
        return None
    unit = _SYSTEM_UNITS.get(key, "")
    mag = float(value.q.m_as(unit)) if unit else float(value.q.to("dimensionless").m)
    r = round(mag, 6)
    cell: dict[str, Any] = {"v": int(r) if r == int(r) else r, "unit": unit, "status": value.status.value,
                            "source": value.source.id, "url": value.source.url or ""}
    direction = getattr(value, "direction", None)
    if direction is not None:
        cell["direction"] = direction.value
    basis = getattr(value, "basis", None)
    if basis:
        cell["basis"] = str(basis)
    return cell


def _source_entry(src: Any) -> dict[str, Any]:
    return {k: v for k, v in (("title", src.title), ("publisher", src.publisher), ("date", src.date),
                              ("url", src.url), ("seed", src.seed)) if v}


def _sources(chips: list[Any], systems: list[Any]) -> dict[str, dict[str, Any]]:
    """Every source a shown value cites, by id: title, publisher, date, URL or seed file."""
    out: dict[str, dict[str, Any]] = {}
    for chip in chips:
        for _, value in chip.fields():
            out.setdefault(value.source.id, _source_entry(value.source))
    for s in systems:
        for value in (s.count, s.total_hbm, s.total_bf16, s.total_scale_up_bandwidth, s.power,
                      s.scale_up.per_chip if s.scale_up else None, s.scale_up.size if s.scale_up else None):
            if value is not None:
                out.setdefault(value.source.id, _source_entry(value.source))
    return dict(sorted(out.items()))


def _systems() -> list[dict[str, Any]]:
    from ..hardware.system import systems

    out = []
    for s in systems():
        values: dict[str, Spec | None] = {
            "count": s.count, "total_hbm": s.total_hbm, "total_bf16": s.total_bf16,
            "scale_up.per_chip": s.scale_up.per_chip if s.scale_up else None,
            "scale_up.size": s.scale_up.size if s.scale_up else None,
            "total_scale_up_bandwidth": s.total_scale_up_bandwidth, "power": s.power,
        }
        cells = {k: c for k, v in values.items() if (c := _system_cell(v, k)) is not None}
        out.append({"id": s.id, "name": s.name, "vendor": s.vendor, "kind": s.kind or "", "chip": s.chip,
                    "cells": cells})
    return out


def page_data(chips: Iterable[Chip] | None = None) -> dict[str, Any]:
    """What the page shows, as plain JSON-able data: ``catalog_version``, ``package_version``,
    the column lists, ``chips`` (id, name, vendor, lifecycle, ``cells``: ``{column: {v, unit,
    status, source, url[, direction]}}``), ``systems`` (the same shape) and ``sources`` (every
cited source by id: title, publisher, date, url or seed file). A value nobody
    published has no cell; a precision the chip lacks has ``{"status": "unsupported"}``."""
    from .. import __version__
    from ..hardware.catalog import default_catalog
    from ..hardware.system import systems

    chip_records = list(default_catalog() if chips is None else chips)
    rows = catalog_rows(chip_records)
    chip_list = []
    for row in rows:
        cells = {k: c for k, _, _ in CHIP_COLUMNS if (c := _chip_cell(row, k)) is not None}
        chip_list.append({"id": row["id"], "name": row["name"], "vendor": row["vendor"],
                          "lifecycle": row["lifecycle"], "cells": cells})
    return {
        "catalog_version": catalog_version(),
        "package_version": __version__,
        "generated_by": "python -m accelspec.io.site",
        "chip_columns": [{"key": k, "label": lbl, "kind": kind} for k, lbl, kind in CHIP_COLUMNS],
        "system_columns": [{"key": k, "label": lbl, "kind": kind} for k, lbl, kind in SYSTEM_COLUMNS],
        "default_chart": [c for c in DEFAULT_CHART if any(ch["id"] == c for ch in chip_list)],
        "chips": chip_list,
        "systems": _systems(),
        "sources": _sources(chip_records, systems()),
    }


def render_files() -> dict[str, str]:
    """The page's files by name (``index.html``, ``catalog-data.js``, ``catalog.json``,
    ``catalog.csv``), as text; deterministic for a given catalog."""
    data = page_data()
    js = ("// Generated by `python -m accelspec.io.site`; do not edit.\n"
          "window.ACCELSPEC_CATALOG = " + json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + ";\n")
    out_json, out_csv = io.StringIO(), io.StringIO()
    write_json(out_json)
    write_csv(out_csv)
    html = _template().replace("@CATALOG_VERSION@", data["catalog_version"]).replace(
        "@PACKAGE_VERSION@", data["package_version"])
    return {"index.html": html, "catalog-data.js": js, "catalog.json": out_json.getvalue(),
            "catalog.csv": out_csv.getvalue()}


def write_page(out_dir: str | Path = DEFAULT_OUT) -> list[Path]:
    """Write the page's files into ``out_dir`` (created if missing); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render_files().items():
        path = out / name
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m accelspec.io.site", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--out", metavar="FOLDER", default=str(DEFAULT_OUT),
                        help="folder to write (default: %(default)s)")
    parser.add_argument("--output", dest="out", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # former name
    args = parser.parse_args(argv)
    paths = write_page(args.out)
    print(f"wrote {', '.join(str(p) for p in paths)} (catalog {catalog_version()})", file=sys.stderr)
    return 0


def _template() -> str:
    """The page's HTML, CSS and JavaScript (``accelspec/site_page.html``, shipped in the wheel)."""
    return (Path(__file__).with_name("site_page.html")).read_text(encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
