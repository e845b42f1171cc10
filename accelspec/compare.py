"""Side-by-side comparison of chips: a pandas DataFrame with units in the column names, and a
plain-text table for the terminal that marks each value's status and cites its source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .catalog import get_chip
from .chip import Chip, LinkBandwidth, NotPublishedError
from .provenance import Fact, Spec, Status

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_FIELDS", "FIELDS", "Comparison", "compare", "compare_table", "resolve_field"]

#: short names users may type, with the unit each column is shown in
FIELDS: dict[str, tuple[str, str | None]] = {
    "capacity": ("memory.capacity", "GB"),
    "memory": ("memory.capacity", "GB"),
    "memory_type": ("memory.type", None),
    "bandwidth": ("memory.bandwidth", "TB/s"),
    "fp64": ("compute.dense.fp64", "TFLOPS"),
    "fp32": ("compute.dense.fp32", "TFLOPS"),
    "tf32": ("compute.dense.tf32", "TFLOPS"),
    "bf16": ("compute.dense.bf16", "TFLOPS"),
    "fp16": ("compute.dense.fp16", "TFLOPS"),
    "fp8": ("compute.dense.fp8", "TFLOPS"),
    "fp4": ("compute.dense.fp4", "TFLOPS"),
    "int8": ("compute.dense.int8", "TOPS"),
    "scale_up": ("interconnect.scale_up.bandwidth", "GB/s"),
    "scale_up_per_direction": ("interconnect.scale_up.per_direction", "GB/s"),
    "interconnect": ("interconnect.scale_up.bandwidth", "GB/s"),
    "links": ("interconnect.scale_up.links", ""),
    "scale_out": ("interconnect.scale_out.bandwidth", "GB/s"),
    "tdp": ("power.tdp", "W"),
    "power": ("power.tdp", "W"),
}

DEFAULT_FIELDS = ("capacity", "memory_type", "bandwidth", "bf16", "fp8", "int8", "scale_up", "tdp")

_MARK = {Status.official: "", Status.reported: " (r)", Status.estimated: " (e)", Status.derived: " (d)"}


def resolve_field(name: str) -> tuple[str, str | None]:
    """``"bf16"`` -> ``("compute.dense.bf16", "TFLOPS")``; dotted paths pass through with a
    display unit guessed from their kind."""
    key = name.strip().lower().replace("-", "_")
    if key in FIELDS:
        return FIELDS[key]
    for path, unit in FIELDS.values():
        if path == name:
            return path, unit
    if name.startswith("compute.sparse."):
        prec = name.rsplit(".", 1)[-1]
        return name, "TOPS" if prec.startswith("int") else "TFLOPS"
    if "." in name:
        return name, None
    known = ", ".join(sorted(FIELDS))
    raise KeyError(f"unknown field {name!r}; use a dotted path (memory.bandwidth) or one of: {known}")


@dataclass
class Comparison:
    """Result of :func:`compare`: values, units, status and sources for each cell."""

    chips: list[Chip]
    fields: list[tuple[str, str, str | None]]  # (label, path, unit)
    cells: dict[tuple[str, str], Spec | Fact | None]
    baseline: Chip | None = None
    notes: list[str] = field(default_factory=list)

    def frame(self, ratios: bool | None = None) -> pd.DataFrame:
        """One row per chip; columns ``"<label> [<unit>]"``; with a baseline, extra
        ``"<label> / <baseline>"`` ratio columns. Missing values are NaN / None."""
        import pandas as pd

        ratios = self.baseline is not None if ratios is None else ratios
        rows = []
        for chip in self.chips:
            row: dict[str, Any] = {"chip": chip.name, "vendor": chip.vendor}
            for label, path, unit in self.fields:
                cell = self.cells[(chip.id, path)]
                col = f"{label} [{unit}]" if unit else label
                row[col] = _number(cell, unit)
                if ratios and self.baseline is not None and unit is not None:
                    base = self.cells.get((self.baseline.id, path))
                    num, den = _number(cell, unit), _number(base, unit)
                    row[f"{label} / {self.baseline.name}"] = (
                        num / den if num is not None and den not in (None, 0) else None)
            rows.append(row)
        df = pd.DataFrame(rows).set_index("chip")
        df.attrs["units"] = {label: unit for label, _, unit in self.fields}
        df.attrs["sources"] = {
            f"{cid}:{path}": (c.source.id, c.status.value) for (cid, path), c in self.cells.items() if c is not None
        }
        return df

    def text(self, sources: bool = True) -> str:
        """A terminal table: values in the column unit, ``(r)`` reported, ``(e)`` estimated,
        ``(d)`` derived, ``—`` not published; footnotes list the sources cited."""
        header = ["chip"] + [f"{label} [{unit}]" if unit else label for label, _, unit in self.fields]
        body = []
        cited: dict[str, str] = {}
        for chip in self.chips:
            row = [chip.name]
            for _, path, unit in self.fields:
                cell = self.cells[(chip.id, path)]
                text = _cell_text(cell, unit)
                if self.baseline is not None and unit is not None and isinstance(cell, Spec):
                    base = _number(self.cells[(self.baseline.id, path)], unit)
                    if base:
                        text += _ratio_text(cell, unit, base)
                row.append(text)
                if cell is not None:
                    cited.setdefault(cell.source.id, cell.source.cite())
            body.append(row)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
        if sources:
            lines.append("")
            legend = "(r) reported by press/third parties  (d) derived  (e) estimated  — not published"
            if self.baseline is not None:
                legend += f"  ×N = ratio to {self.baseline.name}"
            lines.append(legend)
            lines += [f"  {cite}" for _, cite in sorted(cited.items())]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __str__ = text


def _number(cell: Spec | Fact | None, unit: str | None) -> Any:
    if cell is None:
        return None
    if isinstance(cell, Fact):
        return cell.value
    return float(cell.q.m_as(unit)) if unit is not None else float(cell.q.magnitude)


def _cell_text(cell: Spec | Fact | None, unit: str | None) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, Fact):
        return f"{cell.value}{_MARK[cell.status]}"
    value = _number(cell, unit)
    text = _fmt(value)
    if cell.range is not None:
        lo, hi = (float(x.m_as(unit)) if unit else float(x.magnitude) for x in cell.range)
        text += f" [{_fmt(lo)}–{_fmt(hi)}]"
    if isinstance(cell, LinkBandwidth):
        text += {"bidirectional": " bidi", "per_direction": " /dir", "unspecified": " dir?"}[cell.direction.value]
    return text + _MARK[cell.status]


def _lookup(chip: Chip, path: str) -> Spec | Fact | None:
    """A field's value, or ``None`` when unpublished. ``interconnect.<link>.per_direction``
    is computed (:meth:`Link.per_direction`): bidirectional totals halved, unstated
    directions as a range."""
    try:
        if path.endswith(".per_direction"):
            link = chip.field(path.rsplit(".", 1)[0])
            return link.per_direction()
        return chip.field(path)
    except NotPublishedError:
        return None


def _ratio_text(cell: Spec, unit: str, base: float) -> str:
    """`` ×1.50``, or `` ×0.89–1.78`` when the value has a range."""
    if cell.range is not None:
        lo, hi = (float(x.m_as(unit)) / base for x in cell.range)
        return f" ×{lo:.2f}–{hi:.2f}"
    return f" ×{_number(cell, unit) / base:.2f}"


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10_000 else f"{x:,.4g}"


def comparison(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
               baseline: str | Chip | None = None) -> Comparison:
    """The cells behind :func:`compare` and :func:`compare_table`: each chip's :class:`Spec`
    (or ``None``) per field, for code that wants the provenance of every cell (plots, CLI)."""
    chip_list = [get_chip(c) for c in chips]
    base = get_chip(baseline) if baseline is not None else None
    if base is not None and base.id not in {c.id for c in chip_list}:
        chip_list.append(base)
    resolved = []
    for name in fields or DEFAULT_FIELDS:
        path, unit = resolve_field(name)
        label = name if name in FIELDS else path
        resolved.append((label, path, unit))
    cells: dict[tuple[str, str], Spec | Fact | None] = {}
    notes = []
    for chip in chip_list:
        for _label, path, _unit in resolved:
            cells[(chip.id, path)] = _lookup(chip, path)
    if any(isinstance(c, LinkBandwidth) for c in cells.values()):
        notes.append("interconnect: bidi = both directions added, /dir = one way, dir? = source does not say")
    return Comparison(chips=chip_list, fields=resolved, cells=cells, baseline=base, notes=notes)


def compare(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
            baseline: str | Chip | None = None, ratios: bool | None = None) -> pd.DataFrame:
    """Compare chips on ``fields`` (short names such as ``"bf16"`` or dotted paths; default
    :data:`DEFAULT_FIELDS`) as a pandas DataFrame: one row per chip, units in the column names
    (``"capacity [GB]"``), and with a ``baseline`` chip ratio columns (``"capacity / H20"``).
    ``df.attrs["units"]`` maps fields to units, ``df.attrs["sources"]`` each cell to its
    (source id, status). :func:`compare_table` gives the terminal table."""
    return comparison(chips, fields, baseline).frame(ratios)


def compare_table(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
                  baseline: str | Chip | None = None, sources: bool = True) -> str:
    """The comparison as a terminal table: ``(r)`` reported, ``(d)`` derived, ``(e)``
    estimated, ``—`` not published, ``×N`` ratio to the baseline, and the sources cited."""
    return comparison(chips, fields, baseline).text(sources)
