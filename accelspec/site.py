"""The browsable catalog page: ``python -m accelspec.site [-o docs/catalog-page]``.

Writes a static page that works from files (``file://``, no server, no CDN):

* ``index.html``: every chip and every system in sortable, filterable tables (vendor, text
  search, "official only"), each value linked to its source and marked with its status
  (ʳ reported, ᵈ derived, ᵉ estimated; no mark: official; — not supported; n/p not published),
  a GB/GiB toggle for memory sizes and bandwidths (vendor GB are decimal, 1 GB = 10⁹ B;
  1 GiB = 2³⁰ B), and a bar chart comparing the chips ticked in the table (inline SVG drawn by
  vanilla JavaScript);
* ``catalog-data.js``: the data the page reads (a ``<script>``, since browsers refuse
  ``fetch`` on ``file://``);
* ``catalog.json`` and ``catalog.csv``: the flat export (:mod:`accelspec.export`), for download.

Every file carries the catalog's data version (:func:`accelspec.export.catalog_version`) and
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

from .export import catalog_rows, catalog_version, write_csv, write_json
from .provenance import Fact, Spec

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

#: System columns: (key, label, kind); values come from :class:`accelspec.system.System`.
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


def _system_cell(value: Spec | Fact | None, key: str) -> dict[str, Any] | None:
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
    from .system import systems

    out = []
    for s in systems():
        values: dict[str, Spec | Fact | None] = {
            "count": s.count, "total_hbm": s.total_hbm, "total_bf16": s.total_bf16,
            "scale_up.per_chip": s.scale_up.per_chip if s.scale_up else None,
            "scale_up.size": s.scale_up.size if s.scale_up else None,
            "total_scale_up_bandwidth": s.total_scale_up_bandwidth, "power": s.power,
        }
        cells = {k: c for k, v in values.items() if (c := _system_cell(v, k)) is not None}
        out.append({"id": s.id, "name": s.name, "vendor": s.vendor, "kind": s.kind or "", "chip": s.chip,
                    "cells": cells})
    return out


def page_data(chips: Iterable[Any] | None = None) -> dict[str, Any]:
    """What the page shows, as plain JSON-able data: ``catalog_version``, ``package_version``,
    the column lists, ``chips`` (id, name, vendor, lifecycle, ``cells``: ``{column: {v, unit,
    status, source, url[, direction]}}``), ``systems`` (the same shape) and ``sources`` (every
cited source by id: title, publisher, date, url or seed file). A value nobody
    published has no cell; a precision the chip lacks has ``{"status": "unsupported"}``."""
    from . import __version__
    from .catalog import default_catalog
    from .system import systems

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
        "generated_by": "python -m accelspec.site",
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
    js = ("// Generated by `python -m accelspec.site`; do not edit.\n"
          "window.ACCELSPEC_CATALOG = " + json.dumps(data, ensure_ascii=False, indent=0, sort_keys=True) + ";\n")
    out_json, out_csv = io.StringIO(), io.StringIO()
    write_json(out_json)
    write_csv(out_csv)
    html = _TEMPLATE.replace("@CATALOG_VERSION@", data["catalog_version"]).replace(
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
    parser = argparse.ArgumentParser(prog="python -m accelspec.site", description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUT), help="folder to write (default: %(default)s)")
    args = parser.parse_args(argv)
    paths = write_page(args.output)
    print(f"wrote {', '.join(str(p) for p in paths)} (catalog {catalog_version()})", file=sys.stderr)
    return 0


_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="python -m accelspec.site">
<title>accelspec catalog (data @CATALOG_VERSION@)</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.2em; color: #222; }
h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
.meta, .legend { color: #555; font-size: .9em; }
.controls { display: flex; flex-wrap: wrap; gap: .8em; align-items: center; margin: .8em 0; }
.controls label { white-space: nowrap; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .55em; text-align: right; white-space: nowrap; }
th { background: #f3f4f6; position: sticky; top: 0; cursor: pointer; user-select: none; }
th.text, td.text { text-align: left; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
tbody tr:hover { background: #f8fafc; }
td.text a { overflow-wrap: anywhere; }
td a { color: inherit; text-decoration: none; border-bottom: 1px dotted #888; }
td a:hover { color: #1d4ed8; }
.mark { color: #b45309; font-weight: 600; }
.st-reported a { color: #92400e; } .st-estimated a { color: #7c3aed; } .st-derived a { color: #1e40af; }
.np { color: #999; } .unsupported { color: #999; }
.dir { color: #666; font-size: .85em; }
button { font: inherit; padding: .2em .7em; }
#chart { border: 1px solid #ddd; background: #fff; margin-top: .5em; }
.wrap { overflow-x: auto; max-height: 70vh; }
</style>
</head>
<body>
<h1>accelspec catalog</h1>
<p class="meta">Catalog data version <strong id="catalog-version">@CATALOG_VERSION@</strong>
 · accelspec <span id="package-version">@PACKAGE_VERSION@</span>
 · download the flat table: <a href="catalog.csv">catalog.csv</a>, <a href="catalog.json">catalog.json</a>
 · every value links to its source</p>
<p class="legend">Dense peaks per device. Marks: <span class="mark">ʳ</span> reported,
<span class="mark">ᵈ</span> derived, <span class="mark">ᵉ</span> estimated (no mark: official);
— not supported by the chip; n/p not published. Scale-up: bidi = both directions added,
/dir = one way, dir? = direction not stated. GB, GB/s, TFLOPS are decimal (vendor units);
GiB = 2<sup>30</sup> bytes.</p>
<noscript><p>This page needs JavaScript; the same data is in catalog.csv.</p></noscript>

<div class="controls">
  <label>Vendor <select id="vendor-filter"><option value="">all</option></select></label>
  <label>Search <input id="search" type="search" placeholder="name or id"></label>
  <label><input id="official-only" type="checkbox"> official values only</label>
  <label>Units <button id="unit-toggle" type="button" data-unit="GB" aria-pressed="false">GB (decimal)</button></label>
  <span id="count"></span>
</div>

<h2>Chips</h2>
<div class="wrap"><table id="chips"><thead></thead><tbody></tbody></table></div>

<h2>Compare the ticked chips</h2>
<div class="controls">
  <label>Metric <select id="chart-metric"></select></label>
  <button id="chart-clear" type="button">clear selection</button>
</div>
<div id="chart-wrap"><svg id="chart" xmlns="http://www.w3.org/2000/svg" width="760" height="80"></svg></div>

<h2>Systems</h2>
<p class="legend">Totals are derived: the chip count times the chip's value (the source is the chip's).</p>
<div class="wrap"><table id="systems"><thead></thead><tbody></tbody></table></div>

<h2>Sources</h2>
<p class="legend">Every value above links to its source's URL, or here when the source has none
(a seed article, a printed datasheet).</p>
<div class="wrap"><table id="sources"><thead><tr><th class="text">id</th><th class="text">Title</th>
<th class="text">Publisher</th><th class="text">Date</th><th class="text">Where</th></tr></thead><tbody></tbody></table></div>

<script src="catalog-data.js"></script>
<script>
(function () {
  "use strict";
  var D = window.ACCELSPEC_CATALOG;
  var MARK = { official: "", reported: "ʳ", derived: "ᵈ", estimated: "ᵉ" };
  var DIR = { bidirectional: "bidi", per_direction: "/dir", unspecified: "dir?" };
  // decimal unit -> [binary unit, factor]; 1 GB = 1e9 B, 1 GiB = 2^30 B
  var BIN = { "GB": ["GiB", 1e9 / Math.pow(2, 30)], "TB": ["TiB", 1e12 / Math.pow(2, 40)],
              "MB": ["MiB", 1e6 / Math.pow(2, 20)], "GB/s": ["GiB/s", 1e9 / Math.pow(2, 30)],
              "TB/s": ["TiB/s", 1e12 / Math.pow(2, 40)] };
  var state = {
    unit: "GB",
    chips: { key: "vendor", dir: 1 },
    systems: { key: "vendor", dir: 1 },
    selected: {}
  };
  D.default_chart.forEach(function (id) { state.selected[id] = true; });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function shown(cell, kind) {  // [value, unit] as displayed under the current unit choice
    if (!cell || cell.v === undefined) return null;
    if (typeof cell.v !== "number") return [cell.v, cell.unit || ""];
    if (kind === "bytes" && state.unit === "GiB" && BIN[cell.unit]) {
      return [cell.v * BIN[cell.unit][1], BIN[cell.unit][0]];
    }
    return [cell.v, cell.unit];
  }
  function fmt(x, unit) {  // published values as published; GiB conversions to 4 significant digits
    if (typeof x !== "number") return String(x);
    if (unit && unit.indexOf("i") > 0) {
      var a = Math.abs(x), d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
      return x.toLocaleString("en-US", { maximumFractionDigits: d });
    }
    return x.toLocaleString("en-US", { maximumFractionDigits: 3 });
  }
  function sortValue(row, key, kind) {
    if (key === "name" || key === "vendor" || key === "kind" || key === "chip") return row[key].toLowerCase();
    var c = row.cells[key];
    if (!c || c.v === undefined) return null;
    if (typeof c.v !== "number") return String(c.v).toLowerCase();
    // compare bytes columns in bytes, so GB and TB rows order correctly
    var scale = { "TB": 1e3, "TB/s": 1e3, "MB": 1e-3, "PFLOPS": 1e3, "kW": 1e3 }[c.unit] || 1;
    return c.v * scale;
  }
  function valueCell(cell, col) {
    var td = el("td", { "data-key": col.key, "class": col.kind === "text" ? "text" : "" });
    if (!cell) { td.className += " np"; td.textContent = "n/p"; td.title = "not published"; return td; }
    if (cell.status === "unsupported") { td.className += " unsupported"; td.textContent = "—"; td.title = "not supported by the chip"; return td; }
    if (cell.hidden) { td.className += " np"; td.textContent = "(" + cell.status + ")"; td.title = "hidden: not official"; return td; }
    if (cell.v === undefined) { td.className += " np"; td.textContent = "n/p"; td.title = cell.status.replace("_", " "); return td; }
    var s = shown(cell, col.kind);
    td.setAttribute("data-value", String(s[0]));
    td.setAttribute("data-unit", s[1]);
    td.setAttribute("data-status", cell.status);
    td.className += " st-" + cell.status;
    var a = el("a", cell.url ? { href: cell.url, target: "_blank", rel: "noopener" }
                             : { href: "#src-" + cell.source });
    a.setAttribute("title", "[" + cell.source + "] " + cell.status + (cell.basis ? ": " + cell.basis : "") +
                             (cell.url ? " · " + cell.url : ""));
    a.textContent = fmt(s[0], s[1]) + (s[1] ? " " + s[1] : "");
    td.appendChild(a);
    if (cell.direction) td.appendChild(el("span", { "class": "dir" }, " " + DIR[cell.direction]));
    if (MARK[cell.status]) td.appendChild(el("sup", { "class": "mark" }, MARK[cell.status]));
    return td;
  }
  function passes(row) {
    var v = document.getElementById("vendor-filter").value;
    var q = document.getElementById("search").value.trim().toLowerCase();
    if (v && row.vendor !== v) return false;
    if (q && (row.name + " " + row.id + " " + row.vendor).toLowerCase().indexOf(q) < 0) return false;
    return true;
  }
  function header(table, cols, which, render) {
    var tr = el("tr");
    cols.forEach(function (col) {
      var th = el("th", { "data-key": col.key, "class": col.kind === "text" ? "text" : "", scope: "col" });
      var label = col.label;
      if (col.kind === "bytes") label += state.unit === "GiB" ? " (binary)" : "";
      th.textContent = label;
      if (col.key) {
        if (state[which].key === col.key) th.setAttribute("aria-sort", state[which].dir > 0 ? "ascending" : "descending");
        th.addEventListener("click", function () {
          var st = state[which];
          if (st.key === col.key) st.dir = -st.dir;
          else { st.key = col.key; st.dir = (col.kind === "text") ? 1 : -1; }
          render();
        });
      }
      tr.appendChild(th);
    });
    var thead = table.querySelector("thead");
    thead.innerHTML = "";
    thead.appendChild(tr);
  }
  function sorted(rows, st, cols) {
    var col = cols.filter(function (c) { return c.key === st.key; })[0] || { kind: "text" };
    return rows.slice().sort(function (a, b) {
      var x = sortValue(a, st.key, col.kind), y = sortValue(b, st.key, col.kind);
      if (x === null && y === null) return a.name < b.name ? -1 : 1;
      if (x === null) return 1;  // unpublished last, either direction
      if (y === null) return -1;
      if (x < y) return -st.dir;
      if (x > y) return st.dir;
      return a.name < b.name ? -1 : 1;
    });
  }
  function officialOnly(row, cols) {
    if (!document.getElementById("official-only").checked) return row;
    var cells = {};
    cols.forEach(function (c) {
      var cell = row.cells[c.key];
      if (!cell) return;
      cells[c.key] = (cell.status === "official" || cell.status === "unsupported" || cell.v === undefined)
        ? cell : { status: cell.status, hidden: true };
    });
    return Object.assign({}, row, { cells: cells });
  }
  var chipCols = [{ key: "", label: "cmp", kind: "text" }, { key: "name", label: "Chip", kind: "text" },
                  { key: "vendor", label: "Vendor", kind: "text" }].concat(D.chip_columns);
  var sysCols = [{ key: "name", label: "System", kind: "text" }, { key: "vendor", label: "Vendor", kind: "text" },
                 { key: "kind", label: "Kind", kind: "text" }, { key: "chip", label: "Chip", kind: "text" }]
                .concat(D.system_columns);

  function renderChips() {
    var table = document.getElementById("chips");
    header(table, chipCols, "chips", renderChips);
    var tbody = table.querySelector("tbody");
    tbody.innerHTML = "";
    var rows = D.chips.filter(passes).map(function (r) { return officialOnly(r, D.chip_columns); });
    sorted(rows, state.chips, chipCols).forEach(function (row) {
      var tr = el("tr", { "data-id": row.id, "data-vendor": row.vendor });
      var td = el("td", { "class": "text" });
      var box = el("input", { type: "checkbox", "class": "pick", "aria-label": "compare " + row.name });
      box.checked = !!state.selected[row.id];
      box.addEventListener("change", function () {
        if (box.checked) state.selected[row.id] = true; else delete state.selected[row.id];
        renderChart();
      });
      td.appendChild(box);
      tr.appendChild(td);
      var name = el("td", { "class": "text", "data-key": "name" }, row.name);
      name.title = row.id + " · " + row.lifecycle;
      tr.appendChild(name);
      tr.appendChild(el("td", { "class": "text", "data-key": "vendor" }, row.vendor));
      D.chip_columns.forEach(function (col) { tr.appendChild(valueCell(row.cells[col.key], col)); });
      tbody.appendChild(tr);
    });
    document.getElementById("count").textContent = rows.length + " of " + D.chips.length + " chips";
  }
  function renderSystems() {
    var table = document.getElementById("systems");
    header(table, sysCols, "systems", renderSystems);
    var tbody = table.querySelector("tbody");
    tbody.innerHTML = "";
    var rows = D.systems.filter(passes).map(function (r) { return officialOnly(r, D.system_columns); });
    sorted(rows, state.systems, sysCols).forEach(function (row) {
      var tr = el("tr", { "data-id": row.id, "data-vendor": row.vendor });
      ["name", "vendor", "kind", "chip"].forEach(function (k) {
        tr.appendChild(el("td", { "class": "text", "data-key": k }, row[k]));
      });
      D.system_columns.forEach(function (col) { tr.appendChild(valueCell(row.cells[col.key], col)); });
      tbody.appendChild(tr);
    });
  }
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function renderChart() {
    var key = document.getElementById("chart-metric").value;
    var col = D.chip_columns.filter(function (c) { return c.key === key; })[0];
    var chart = document.getElementById("chart");
    while (chart.firstChild) chart.removeChild(chart.firstChild);
    var rows = D.chips.filter(function (r) { return state.selected[r.id]; });
    var W = 760, left = 190, right = 150, bar = 18, gap = 8, top = 28;
    var H = top + Math.max(rows.length, 1) * (bar + gap) + 10;
    chart.setAttribute("height", H);
    chart.setAttribute("viewBox", "0 0 " + W + " " + H);
    var defs = svg("defs", {});
    var pat = svg("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    pat.appendChild(svg("rect", { width: 6, height: 6, fill: "#93c5fd" }));
    pat.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#1e40af", "stroke-width": 2 }));
    defs.appendChild(pat);
    chart.appendChild(defs);
    var vals = rows.map(function (r) { return shown(r.cells[key], col.kind); });
    var units = vals.filter(function (v) { return v && typeof v[0] === "number"; }).map(function (v) { return v[1]; });
    var max = Math.max.apply(null, [0].concat(vals.map(function (v) { return v && typeof v[0] === "number" ? v[0] : 0; })));
    chart.appendChild(svg("text", { x: 4, y: 16, "font-size": 13, "font-weight": 600 },
      col.label + (units.length ? " [" + units[0] + "]" : "") + " · hatched: not official (reported, derived, estimated)"));
    if (!rows.length) chart.appendChild(svg("text", { x: 4, y: top + 14, "font-size": 12, fill: "#666" }, "tick chips in the table to compare them"));
    rows.forEach(function (r, i) {
      var y = top + i * (bar + gap), v = vals[i], cell = r.cells[key];
      var g = svg("g", { "class": "bar", "data-id": r.id });
      g.appendChild(svg("text", { x: left - 6, y: y + bar - 4, "text-anchor": "end", "font-size": 12 }, r.name));
      if (v && typeof v[0] === "number" && max > 0) {
        var w = Math.max(1, (W - left - right) * v[0] / max);
        var rect = svg("rect", { x: left, y: y, width: w, height: bar,
                                 fill: cell.status === "official" ? "#2563eb" : "url(#hatch)", stroke: "#1e40af" });
        rect.appendChild(svg("title", {}, "[" + cell.source + "] " + cell.status));
        g.appendChild(rect);
        g.appendChild(svg("text", { x: left + w + 5, y: y + bar - 4, "font-size": 12 },
          fmt(v[0], v[1]) + " " + v[1] + (cell.direction ? " " + DIR[cell.direction] : "") + (MARK[cell.status] || "")));
      } else {
        var why = cell && cell.status === "unsupported" ? "— not supported" : "n/p (not published)";
        g.appendChild(svg("text", { x: left + 4, y: y + bar - 4, "font-size": 12, fill: "#888" }, why));
      }
      chart.appendChild(g);
    });
  }
  function renderSources() {
    var tbody = document.querySelector("#sources tbody");
    Object.keys(D.sources).forEach(function (id) {
      var s = D.sources[id], tr = el("tr", { id: "src-" + id });
      tr.appendChild(el("td", { "class": "text" }, id));
      tr.appendChild(el("td", { "class": "text" }, s.title || ""));
      tr.appendChild(el("td", { "class": "text" }, s.publisher || ""));
      tr.appendChild(el("td", { "class": "text" }, s.date || ""));
      var where = el("td", { "class": "text" });
      if (s.url) where.appendChild(el("a", { href: s.url, target: "_blank", rel: "noopener" }, s.url));
      else where.textContent = s.seed ? "seed article " + s.seed : "no URL (title and date above)";
      tr.appendChild(where);
      tbody.appendChild(tr);
    });
  }
  function renderAll() { renderChips(); renderSystems(); renderChart(); }

  var vendors = {};
  D.chips.concat(D.systems).forEach(function (r) { vendors[r.vendor] = true; });
  var vsel = document.getElementById("vendor-filter");
  Object.keys(vendors).sort().forEach(function (v) { vsel.appendChild(el("option", { value: v }, v)); });
  var msel = document.getElementById("chart-metric");
  D.chip_columns.filter(function (c) { return c.kind !== "text"; }).forEach(function (c) {
    msel.appendChild(el("option", { value: c.key }, c.label));
  });
  msel.value = "memory.bandwidth";
  vsel.addEventListener("change", renderAll);
  document.getElementById("search").addEventListener("input", renderAll);
  document.getElementById("official-only").addEventListener("change", renderAll);
  msel.addEventListener("change", renderChart);
  document.getElementById("chart-clear").addEventListener("click", function () { state.selected = {}; renderAll(); });
  var ut = document.getElementById("unit-toggle");
  ut.addEventListener("click", function () {
    state.unit = state.unit === "GB" ? "GiB" : "GB";
    ut.setAttribute("data-unit", state.unit);
    ut.setAttribute("aria-pressed", String(state.unit === "GiB"));
    ut.textContent = state.unit === "GB" ? "GB (decimal)" : "GiB (binary)";
    renderAll();
  });
  document.getElementById("catalog-version").textContent = D.catalog_version;
  renderSources();
  renderAll();
})();
</script>
</body>
</html>
"""


if __name__ == "__main__":
    raise SystemExit(main())
