"""Side-by-side comparison of chips: a pandas DataFrame with units in the column names, and a
plain-text table for the terminal that marks each value's status and cites its source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import EmptyComparisonError, UnknownFieldError
from ..provenance import Absent, Fact, Spec, Status, is_compiled
from .catalog import get_chip
from .chip import Chip, Link, LinkBandwidth, NotPublishedError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_FIELDS", "FIELDS", "Absent", "Comparison", "UnknownFieldError", "compare", "compare_table",
           "resolve_field"]

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

#: how an absent value shows in the terminal table
ABSENT_MARK = {"unsupported": "—", "not_published": "n/p"}


Cell = Spec | Fact | Absent

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
    import difflib

    raise UnknownFieldError(name, difflib.get_close_matches(key, list(FIELDS), n=5, cutoff=0.5)
                            or ["a dotted path such as memory.bandwidth"])


def _triple(cell: Spec, unit: str | None) -> tuple[float, float, float]:
    """(low, nominal, high) of a Spec in ``unit`` (the same number thrice without a range)."""
    conv = (lambda q: float(q.m_as(unit))) if unit is not None else (lambda q: float(q.magnitude))
    return conv(cell.low), conv(cell.q), conv(cell.high)


def per_direction(cell: LinkBandwidth) -> Spec:
    """An interconnect figure one way (:meth:`accelspec.hardware.chip.Link.per_direction`): a
    bidirectional total halved; a figure whose direction is not stated becomes the range
    total/2 .. total."""
    out = Link(bandwidth=cell).per_direction()
    assert out is not None
    return out


@dataclass(frozen=True)
class Ratio:
    """``value / baseline``: nominal, ``range`` (low/high ends: num_low / den_high ..
    num_high / den_low) when either side has a range, and ``basis`` saying what was divided."""

    value: float
    range: tuple[float, float] | None
    basis: str


@dataclass
class Comparison:
    """Result of :func:`compare`: values, units, status and sources for each cell.

    An absent value is an :class:`Absent` cell saying whether the chip lacks the feature
    (``unsupported``) or nobody published it (``not_published``). Ratios to the baseline are
    only taken between like quantities: interconnect figures are both converted to one
    direction first (see :func:`per_direction`)."""

    chips: list[Chip]
    fields: list[tuple[str, str, str | None]]  # (label, path, unit)
    cells: dict[tuple[str, str], Cell]
    baseline: Chip | None = None
    notes: list[str] = field(default_factory=list)

    def is_link(self, path: str) -> bool:
        """True when the field is an interconnect figure that says which direction it counts."""
        return any(isinstance(self.cells[(c.id, path)], LinkBandwidth) for c in self.chips)

    def ratio(self, chip: Chip, path: str, unit: str | None) -> Ratio | Absent | None:
        """``chip``'s value over the baseline's, like with like (per direction for links);
        ``None`` without a baseline or for text fields; :class:`Absent` when either side is."""
        if self.baseline is None or unit is None:
            return None
        cell, base = self.cells[(chip.id, path)], self.cells[(self.baseline.id, path)]
        for c, who in ((cell, chip), (base, self.baseline)):
            if isinstance(c, Absent):
                return Absent(c.status, f"{who.name}: {c.detail}")
            if not isinstance(c, Spec):
                return None
        if not (isinstance(cell, Spec) and isinstance(base, Spec)):  # checked above; narrows the types
            return None
        basis = "value / baseline value"
        if isinstance(cell, LinkBandwidth) or isinstance(base, LinkBandwidth):
            cell = per_direction(cell) if isinstance(cell, LinkBandwidth) else cell
            base = per_direction(base) if isinstance(base, LinkBandwidth) else base
            basis = "per direction / baseline per direction (bidirectional totals halved)"
        if chip.id == self.baseline.id:
            return Ratio(1.0, None, basis)
        n, d = _triple(cell, unit), _triple(base, unit)
        if d[0] <= 0:
            return None
        rng = (n[0] / d[2], n[2] / d[0]) if (n[0] != n[2] or d[0] != d[2]) else None
        return Ratio(n[1] / d[1], rng, basis)

    def ratio_label(self, label: str, path: str) -> str:
        assert self.baseline is not None
        per = " per direction" if self.is_link(path) else ""
        return f"{label}{per} / {self.baseline.name}"

    def frame(self, ratios: bool | None = None) -> pd.DataFrame:
        """One row per chip; columns ``"<label> [<unit>]"`` with the value as published;
        for interconnect fields a ``"<label> direction"`` column; with a baseline, ratio
        columns ``"<label> / <baseline>"`` (``"<label> per direction / <baseline>"`` for
        links). Absent values are NaN / None; ``df.attrs``: ``units``, ``sources`` (cell ->
        (source id, status)), ``status`` (cell -> status, incl. ``unsupported`` /
        ``not_published``), ``directions`` and ``ranges`` ((chip, column) -> [low, high])."""
        import pandas as pd

        ratios = self.baseline is not None if ratios is None else ratios
        rows = []
        ranges: dict[str, dict[str, list[float]]] = {}
        for chip in self.chips:
            row: dict[str, Any] = {"chip": chip.name, "vendor": chip.vendor}
            for label, path, unit in self.fields:
                cell = self.cells[(chip.id, path)]
                col = f"{label} [{unit}]" if unit else label
                num = _number(cell, unit)
                row[col] = float("nan") if num is None and unit is not None else num
                if isinstance(cell, Spec) and cell.range is not None and unit is not None:
                    lo, _, hi = _triple(cell, unit)
                    ranges.setdefault(col, {})[chip.name] = [lo, hi]
                if self.is_link(path):
                    row[f"{label} direction"] = cell.direction.value if isinstance(cell, LinkBandwidth) else None
                if ratios and self.baseline is not None and unit is not None:
                    r = self.ratio(chip, path, unit)
                    rcol = self.ratio_label(label, path)
                    row[rcol] = r.value if isinstance(r, Ratio) else float("nan")
                    if isinstance(r, Ratio) and r.range is not None:
                        ranges.setdefault(rcol, {})[chip.name] = list(r.range)
            rows.append(row)
        df = pd.DataFrame(rows).set_index("chip")
        df.attrs["units"] = {label: unit for label, _, unit in self.fields}
        df.attrs["sources"] = {
            f"{cid}:{path}": (c.source.id, c.status.value) for (cid, path), c in self.cells.items()
            if not isinstance(c, Absent)
        }
        df.attrs["status"] = {f"{cid}:{path}": _status(c) for (cid, path), c in self.cells.items()}
        df.attrs["directions"] = {f"{cid}:{path}": c.direction.value for (cid, path), c in self.cells.items()
                                  if isinstance(c, LinkBandwidth)}
        df.attrs["ranges"] = ranges
        return df

    def to_json(self) -> dict[str, Any]:
        """The comparison as :class:`accelspec.io.json_out.CompareOut` data (numbers with units)."""
        from ..provenance import quantity_out, source_out

        rows = []
        sources: dict[str, Any] = {}
        for chip in self.chips:
            values, rats = {}, {}
            for label, path, unit in self.fields:
                cell = self.cells[(chip.id, path)]
                values[label] = quantity_out(cell, unit)
                if not isinstance(cell, Absent):
                    sources[cell.source.id] = source_out(cell.source)
                r = self.ratio(chip, path, unit)
                if isinstance(r, Ratio):
                    rats[label] = {"value": r.value, "unit": "", "status": "derived", "source": None,
                                   "range": list(r.range) if r.range else None,
                                   "direction": "per_direction" if self.is_link(path) else None, "basis": r.basis}
                elif isinstance(r, Absent):
                    rats[label] = quantity_out(r, "")
            rows.append({"chip": chip.id, "name": chip.name, "vendor": chip.vendor, "values": values,
                         "ratios": rats})
        return {"baseline": None if self.baseline is None else self.baseline.id,
                "fields": [{"label": la, "path": p, "unit": u} for la, p, u in self.fields],
                "rows": rows, "sources": sources, "notes": list(self.notes)}

    def text(self, sources: bool = True) -> str:
        """A terminal table: values in the column unit, ``(r)`` reported, ``(e)`` estimated,
        ``(d)`` derived, ``—`` not supported by the chip, ``n/p`` not published; ``×N`` the
        ratio to the baseline (interconnect per direction on both sides); footnotes list the
        sources cited."""
        header = ["chip"] + [f"{label} [{unit}]" if unit else label for label, _, unit in self.fields]
        body = []
        cited: dict[str, str] = {}
        for chip in self.chips:
            row = [chip.name]
            for _, path, unit in self.fields:
                cell = self.cells[(chip.id, path)]
                text = _cell_text(cell, unit)
                r = self.ratio(chip, path, unit)
                if isinstance(r, Ratio) and not isinstance(cell, Absent):
                    text += f" ×{r.range[0]:.2f}–{r.range[1]:.2f}" if r.range else f" ×{r.value:.2f}"
                if not isinstance(cell, Absent) and is_compiled(cell.source):
                    text += " ‡"
                row.append(text)
                if not isinstance(cell, Absent):
                    cited.setdefault(cell.source.id, cell.source.cite())
            body.append(row)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
        if sources:
            lines.append("")
            legend = ("(r) reported by press/third parties  (d) derived  (e) estimated  "
                      "— not supported by the chip  n/p not published")
            if self.baseline is not None:
                legend += f"  ×N = ratio to {self.baseline.name}"
            lines.append(legend)
            lines += [f"  {cite}" for _, cite in sorted(cited.items())]
            if "REF" in cited:
                lines.append("  ‡ cites REF, the compiled fact sheet, not a primary document: "
                             "check the primary source it names")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    __str__ = text


def _status(cell: Cell) -> str:
    return cell.status if isinstance(cell, Absent) else cell.status.value


def _number(cell: Cell, unit: str | None) -> Any:
    if isinstance(cell, Absent):
        return None
    if isinstance(cell, Fact):
        return cell.value
    return float(cell.q.m_as(unit)) if unit is not None else float(cell.q.magnitude)


def _cell_text(cell: Cell, unit: str | None) -> str:
    if isinstance(cell, Absent):
        return ABSENT_MARK[cell.status]
    if isinstance(cell, Fact):
        return f"{cell.value}{_MARK[cell.status]}"
    value = _number(cell, unit)
    text = _fmt(value)
    if cell.range is not None:
        lo, _, hi = _triple(cell, unit)
        text += f" [{_fmt(lo)}–{_fmt(hi)}]"
    if isinstance(cell, LinkBandwidth):
        text += {"bidirectional": " bidi", "per_direction": " /dir", "unspecified": " dir?"}[cell.direction.value]
    return text + _MARK[cell.status]


def lookup_value(chip: Chip, path: str) -> Cell:
    """A field's value, or :class:`Absent` saying whether it is unsupported or unpublished.
    ``interconnect.<link>.per_direction`` is computed (:meth:`Link.per_direction`):
    bidirectional totals halved, unstated directions as a range."""
    try:
        if path.endswith(".per_direction"):
            link = chip.field(path.rsplit(".", 1)[0])
            out = link.per_direction()
            if out is None:
                raise NotPublishedError(f"{chip.name}: {path} is not published")
            return out
        value = chip.field(path)
        if not isinstance(value, (Spec, Fact)):
            raise UnknownFieldError(path, [p for p, _ in chip.fields() if p.startswith(path + ".")][:5])
        return value
    except NotPublishedError:
        parts = path.split(".")
        if len(parts) == 3 and parts[:2] in (["compute", "dense"], ["compute", "sparse"]):
            prec = parts[2].lower()
            if prec in {p.value for p in chip.compute.unsupported}:
                return Absent("unsupported", f"no {prec} hardware support")
            if prec in {p.value for p in chip.compute.supported}:
                return Absent("not_published", f"{prec} supported but its peak is not published")
        return Absent("not_published", f"{path} not published")
    except KeyError as exc:
        raise UnknownFieldError(path, ["a dotted path such as memory.bandwidth"]) from exc


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10_000 else f"{x:,.4g}"


def comparison(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
               baseline: str | Chip | None = None) -> Comparison:
    """The cells behind :func:`compare` and :func:`compare_table`, with their provenance.

    Each chip's :class:`Spec` (or :class:`Fact`, or :class:`Absent`) per field, for code that
    wants the source and status of every cell (plots, the command line).

    Parameters
    ----------
    chips : iterable of str or Chip
        Chip ids, names or aliases, or :class:`Chip` records; one name alone is one chip.
    fields : sequence of str, optional
        Short names (``"bf16"``, ``"bandwidth"``, ``"scale_up"``; see :data:`FIELDS`) or a
        value's dotted path (``"compute.dense.fp8"``). Default :data:`DEFAULT_FIELDS`.
    baseline : str or Chip, optional
        The chip ratios are taken against; added to the chips when it is not among them.

    Returns
    -------
    Comparison
        ``chips``, ``fields`` as ``(label, path, display unit)`` and ``cells`` keyed by
        ``(chip id, path)``.

    Raises
    ------
    EmptyComparisonError
        No chips given.
    UnknownChipError
        A chip name that is not in the catalog (with the closest ids).
    UnknownFieldError
        A field that is neither a short name nor a value's dotted path.
    """
    if isinstance(chips, (str, Chip)):
        chips = [chips]
    chip_list = [get_chip(c) for c in chips]
    if not chip_list:
        raise EmptyComparisonError("compare: no chips given; pass at least one chip id or name")
    base = get_chip(baseline) if baseline is not None else None
    if base is not None and base.id not in {c.id for c in chip_list}:
        chip_list.append(base)
    resolved = []
    for name in fields or DEFAULT_FIELDS:
        path, unit = resolve_field(name)
        label = name if name in FIELDS else path
        resolved.append((label, path, unit))
    cells: dict[tuple[str, str], Cell] = {}
    notes = []
    for chip in chip_list:
        for _label, path, _unit in resolved:
            cells[(chip.id, path)] = lookup_value(chip, path)
    if any(isinstance(c, LinkBandwidth) for c in cells.values()):
        notes.append("interconnect: bidi = both directions added, /dir = one way, dir? = source does not say; "
                     "ratios compare per direction (bidi halved, dir? as a range)")
    return Comparison(chips=chip_list, fields=resolved, cells=cells, baseline=base, notes=notes)


def compare(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
            baseline: str | Chip | None = None, ratios: bool | None = None) -> pd.DataFrame:
    """Compare chips side by side as a pandas DataFrame, units in the column names.

    One row per chip, one column per field with the value as published, in the field's
    display unit: capacity [GB], bandwidth [TB/s], dense peaks [TFLOPS] (integer formats
    [TOPS]), interconnect [GB/s], power [W]. With a ``baseline``, ratio columns
    [dimensionless] such as ``"capacity / H20"``; interconnect ratios are taken per direction
    on both sides (``"scale_up per direction / H100 SXM"``), so 910C 392 GB/s one way against
    H100 900 GB/s both ways is 392 / 450 = 0.87, not 392 / 900. :func:`compare_table` gives
    the terminal table.

    Parameters
    ----------
    chips : iterable of str or Chip
        Chip ids, names or aliases, or :class:`Chip` records; one name alone is one chip.
    fields : sequence of str, optional
        Short names (``"bf16"``, ``"bandwidth"``; see :data:`FIELDS`) or dotted paths
        (``"compute.dense.fp8"``). Default :data:`DEFAULT_FIELDS`.
    baseline : str or Chip, optional
        The chip the ratio columns divide by.
    ratios : bool, optional
        Ratio columns on or off; default: on when ``baseline`` is given.

    Returns
    -------
    pandas.DataFrame
        Columns ``"<label> [<unit>]"`` (NaN / None where a value is absent), a
        ``"<label> direction"`` column for interconnect fields, and the ratio columns.
        ``df.attrs``: ``units``, ``sources`` (cell -> (source id, status)), ``status``
        (``unsupported`` / ``not_published`` for absent cells), ``directions`` and ``ranges``
        ((chip, column) -> [low, high]).

    Raises
    ------
    EmptyComparisonError
        No chips given.
    UnknownChipError
        A chip name that is not in the catalog.
    UnknownFieldError
        A field that is neither a short name nor a value's dotted path.
    """
    return comparison(chips, fields, baseline).frame(ratios)


def compare_table(chips: Iterable[str | Chip], fields: Sequence[str] | None = None,
                  baseline: str | Chip | None = None, sources: bool = True) -> str:
    """The comparison as a plain-text table for the terminal.

    Values in each column's display unit (as :func:`compare`), marked ``(r)`` reported,
    ``(d)`` derived, ``(e)`` estimated; ``—`` not supported by the chip, ``n/p`` not
    published; ``×N`` the ratio to the baseline (like with like: interconnect per direction).

    Parameters
    ----------
    chips : iterable of str or Chip
        Chip ids, names or aliases, or :class:`Chip` records; one name alone is one chip.
    fields : sequence of str, optional
        Short names or dotted paths, as :func:`compare`. Default :data:`DEFAULT_FIELDS`.
    baseline : str or Chip, optional
        The chip the ``×N`` ratios divide by.
    sources : bool, default True
        Footnotes citing every source the table uses.

    Returns
    -------
    str
        The table, one line per chip, then the notes and sources.

    Raises
    ------
    EmptyComparisonError
        No chips given.
    UnknownChipError
        A chip name that is not in the catalog.
    UnknownFieldError
        A field that is neither a short name nor a value's dotted path.
    """
    return comparison(chips, fields, baseline).text(sources)
