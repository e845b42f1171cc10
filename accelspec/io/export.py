"""The catalog as a flat table, for spreadsheets: :func:`catalog_rows`, :func:`catalog_frame`,
:func:`write_csv`, :func:`write_json`, and the catalog's data version :func:`catalog_version`.

One row per chip. Every published value ``PATH`` (a dotted path as in
:meth:`~accelspec.hardware.chip.Chip.field`, e.g. ``memory.capacity``) gives five columns:

* ``PATH``: the magnitude in the value's canonical display unit (a number; text for facts),
* ``PATH.unit``: that unit (vendor-decimal ``GB``, ``GB/s``, ``TFLOPS``/``TOPS``, ``W``),
* ``PATH.status``: official / reported / estimated / derived,
* ``PATH.source``: the source id (as in ``specs/``), ``PATH.url``: the source's URL.

Peaks are ``compute.dense.<precision>`` and ``compute.sparse.<precision>``, never merged. A
link bandwidth adds ``PATH.direction`` (bidirectional / per_direction / unspecified). A
precision with no hardware support is ``"unsupported"`` in ``compute.dense.<precision>.status``
(value empty), one the vendor supports without a published peak is ``"not_published"``;
a value nobody published is empty in all its columns. Every row carries
``catalog_version``.

pandas is imported inside :func:`catalog_frame` only: ``import accelspec`` never loads it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..hardware.catalog import default_catalog
from ..hardware.chip import Chip, LinkBandwidth, Precision
from ..provenance import Fact, Spec
from ..specfiles import catalog_version

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ID_COLUMNS", "catalog_columns", "catalog_frame", "catalog_rows", "catalog_version", "write_csv",
           "write_json"]

#: Columns that identify a chip, first in every export.
ID_COLUMNS = ["catalog_version", "id", "name", "vendor", "family", "form_factor", "device", "lifecycle"]

#: Display unit per dimension (vendor conventions: decimal GB, GB/s, TFLOPS/TOPS).
_UNITS = {"memory.capacity": "GB", "memory.on_chip_sram": "MB", "memory.bandwidth": "GB/s", "power.tdp": "W"}

def _unit_for(path: str, spec: Spec) -> str:
    parts = path.split(".")
    if path in _UNITS:
        return _UNITS[path]
    if parts[0] == "compute" and len(parts) == 3:
        return Precision(parts[2]).unit
    if parts[0] == "interconnect" and parts[-1] in ("bandwidth", "per_link"):
        return "GB/s"
    if spec.q.dimensionless:
        return ""
    return f"{spec.q.units:~}"


def _number(x: float) -> float | int:
    r = round(x, 6)
    return int(r) if r == int(r) else r


def _cells(path: str, value: Spec | Fact) -> dict[str, Any]:
    if isinstance(value, Fact):
        return {path: value.value, f"{path}.unit": "", f"{path}.status": value.status.value,
                f"{path}.source": value.source.id, f"{path}.url": value.source.url or ""}
    unit = _unit_for(path, value)
    mag = value.q.m_as(unit) if unit else value.q.to("dimensionless").m
    out: dict[str, Any] = {path: _number(float(mag)), f"{path}.unit": unit, f"{path}.status": value.status.value,
                           f"{path}.source": value.source.id, f"{path}.url": value.source.url or ""}
    if isinstance(value, LinkBandwidth):
        out[f"{path}.direction"] = value.direction.value
    return out


def chip_row(chip: Chip, version: str | None = None) -> dict[str, Any]:
    """One chip as a flat ``{column: value}`` dict (published values only, plus unsupported marks)."""
    row: dict[str, Any] = {"catalog_version": version or catalog_version(), "id": chip.id, "name": chip.name,
                           "vendor": chip.vendor, "family": chip.family or "", "form_factor": chip.form_factor or "",
                           "device": chip.device or "", "lifecycle": chip.lifecycle}
    for path, value in chip.fields():
        if path.startswith("benchmarks."):
            continue  # vendor benchmarks are not comparable columns
        row.update(_cells(path, value))
    for prec in chip.compute.unsupported:
        for kind in ("dense", "sparse"):
            row[f"compute.{kind}.{prec}.status"] = "unsupported"
    for prec in chip.compute.supported:
        if prec not in chip.compute.dense:
            row[f"compute.dense.{prec}.status"] = "not_published"
    return row


def catalog_rows(chips: Iterable[Chip] | None = None) -> list[dict[str, Any]]:
    """Every chip (default: the default catalog) as a flat dict, in catalog order."""
    version = catalog_version()
    return [chip_row(c, version) for c in (default_catalog() if chips is None else chips)]


def catalog_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Column order: identity, then each value path (sorted) followed by its unit, status,
    direction, source and URL columns."""
    suffixes = ("unit", "status", "direction", "source", "url")
    seen: set[str] = set().union(*(r.keys() for r in rows)) if rows else set(ID_COLUMNS)
    bases = sorted({c.rsplit(".", 1)[0] if c.rsplit(".", 1)[-1] in suffixes else c
                    for c in seen if c not in ID_COLUMNS})
    cols = list(ID_COLUMNS)
    for b in bases:
        cols += [c for c in (b, *(f"{b}.{s}" for s in suffixes)) if c in seen]
    return cols


def catalog_frame(chips: Iterable[Chip] | None = None) -> pd.DataFrame:
    """The catalog as a pandas DataFrame: one row per chip, one column per published value.

    Each value column (a dotted path such as ``"memory.bandwidth"``) is followed by its
    ``.unit``, ``.status``, ``.source`` and ``.url`` columns (and ``.direction`` for
    interconnect figures). Values are in fixed units: memory capacity [GB], on-chip SRAM [MB],
    memory bandwidth [GB/s], dense and sparse peaks [TFLOPS] (integer formats [TOPS]),
    interconnect bandwidth [GB/s], power [W]. A precision the chip lacks has status
    ``unsupported``; one it supports without a published peak ``not_published``.

    Parameters
    ----------
    chips : iterable of Chip, optional
        The chips to tabulate; default: the whole catalog, in catalog order.

    Returns
    -------
    pandas.DataFrame
        The table, with a plain range index (``id`` is a column); empty cells are NaN.
        ``df.attrs["catalog_version"]`` carries the data version.
    """
    import pandas as pd

    rows = catalog_rows(chips)
    df = pd.DataFrame(rows, columns=catalog_columns(rows))
    df.attrs["catalog_version"] = catalog_version()
    return df


def write_csv(out: IO[str], chips: Iterable[Chip] | None = None) -> int:
    """Write the table as CSV (header row first); returns the number of chips written."""
    rows = catalog_rows(chips)
    writer = csv.DictWriter(out, fieldnames=catalog_columns(rows), restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)


def write_json(out: IO[str], chips: Iterable[Chip] | None = None) -> int:
    """Write ``{"catalog_version", "columns", "chips": [row, ...]}`` as JSON (missing cells
    left out of each row); returns the number of chips written."""
    rows = catalog_rows(chips)
    json.dump({"catalog_version": catalog_version(), "columns": catalog_columns(rows), "chips": rows},
              out, indent=1, ensure_ascii=False)
    out.write("\n")
    return len(rows)


def export(fmt: str, path: str | Path | None, stdout: IO[str]) -> int:
    """``accelspec export``: write CSV or JSON to ``path`` (or ``stdout``)."""
    writer = {"csv": write_csv, "json": write_json}.get(fmt)
    if writer is None:
        raise ValueError(f"--format must be csv or json, got {fmt!r}")
    if path is None:
        return writer(stdout)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        return writer(fh)
