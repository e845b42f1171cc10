"""Plots: rooflines, chip comparisons, memory against context, sweep heat maps.

matplotlib is imported here only (``import accelspec`` never loads it). Every function
follows matplotlib's helper convention: it takes ``ax=None`` (a new figure when omitted) and
returns the Axes, so ``ax.figure.savefig("out.png")`` saves it. Colours are fixed per vendor
so a chip looks the same in every chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import matplotlib

if TYPE_CHECKING:
    import pandas as pd
    import pint
    from matplotlib.axes import Axes

    from .model.architecture import Model
    from .perf.memory import Parallelism

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, to_hex, to_rgb
from matplotlib.patches import Patch

from .hardware.catalog import get_chip
from .hardware.chip import Chip, LinkBandwidth, NotPublishedError
from .hardware.comparison import Absent, Ratio
from .hardware.comparison import comparison as _compare
from .hardware.comparison import per_direction as _per_direction
from .provenance import Spec, Status

__all__ = ["VENDOR_COLORS", "chip_styles", "compare", "memory_vs_context", "plot_frontier", "roofline",
           "sweep_heatmap", "vendor_color"]

VENDOR_COLORS: dict[str, str] = {
    "NVIDIA": "#76b900",
    "AMD": "#ed1c24",
    "Google": "#4285f4",
    "Huawei": "#c7000b",
    "Alibaba T-Head": "#ff6a00",
    "Cambricon": "#7b3fa0",
    "Kunlunxin": "#2932e1",
    "Intel": "#0071c5",
    "AWS": "#ff9900",
}
_FALLBACK = ["#555555", "#8c564b", "#17becf", "#bcbd22", "#e377c2"]
_LINESTYLES = ["-", "--", "-.", ":"]
_HATCH = {Status.official: "", Status.reported: "//", Status.derived: "..", Status.estimated: "xx"}


def vendor_color(vendor: str) -> str:
    """The colour of a vendor in every accelspec chart."""
    if vendor in VENDOR_COLORS:
        return VENDOR_COLORS[vendor]
    return _FALLBACK[sum(map(ord, vendor)) % len(_FALLBACK)]


def _new_ax(ax: Axes | None, size: tuple[float, float] = (8, 5)) -> Axes:
    if ax is not None:
        return ax
    _fig, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


_SHADES = [(0.0, "white"), (0.5, "black"), (0.4, "white"), (0.25, "black"), (0.7, "black")]


def _shade(color: str, n: int) -> str:
    """The n-th shade of a vendor colour: itself, darker, lighter, ..."""
    amount, toward = _SHADES[n % len(_SHADES)]
    base = np.array(to_rgb(color))
    target = np.ones(3) if toward == "white" else np.zeros(3)
    return to_hex(base + (target - base) * amount)


def chip_styles(chips: Sequence[Chip]) -> list[tuple[str, str]]:
    """The colour and linestyle of each chip in every plot: a shade of the vendor colour and a
    linestyle, both cycling within a vendor so two chips of one vendor stay apart.

    Parameters
    ----------
    chips : sequence of Chip
        The chips, in plotting order.

    Returns
    -------
    list of (str, str)
        ``(colour, linestyle)`` per chip, for matplotlib's ``color=`` and ``linestyle=``.
    """
    seen: dict[str, int] = {}
    out = []
    for c in chips:
        n = seen.get(c.vendor, 0)
        seen[c.vendor] = n + 1
        out.append((_shade(vendor_color(c.vendor), n), _LINESTYLES[n % len(_LINESTYLES)]))
    return out


def roofline(chips: Iterable[str | Chip], precision: str = "bf16",
             workloads: Mapping[str, pint.Quantity | float] | None = None,
             *, ax: Axes | None = None, intensity_range: tuple[float, float] = (0.1, 1e4)) -> Axes:
    """Log-log roofline, one roof per chip, ridge points marked.

    Attainable compute = ``min(peak, intensity * memory bandwidth)``
    (:func:`accelspec.roofline`). A system (``"gb200-nvl72"``) draws its chip's roof,
    labelled as the system's. Chips that do not publish ``precision`` or their memory
    bandwidth are left out, each named with the reason in a note under the axes
    (``ax.dropped`` lists their ids).

    Parameters
    ----------
    chips : iterable of str or Chip
        Chips or systems by name, or :class:`~accelspec.Chip` records.
    precision : str, default "bf16"
        Compute format of the peak.
    workloads : mapping of str to Quantity or float, optional
        Label -> arithmetic intensity [FLOP/B] (a bare number is read as FLOP/B), e.g.
        ``{"decode, batch 1": 1.0, "decode, batch 64": 60}``; each is drawn as a vertical
        line with the attainable point marked on every roof.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    intensity_range : tuple of float, default (0.1, 1e4)
        The x axis [FLOP/B].

    Returns
    -------
    matplotlib.axes.Axes
        Intensity [FLOP/B] against attainable compute [TFLOP/s] (integer formats: [OP/B]
        and [TOP/s]).

    Raises
    ------
    NotPublishedError
        No chip publishes both the ``precision`` peak and its memory bandwidth.
    """
    from .perf.roofline import rooflines

    ax = _new_ax(ax)
    drawn, dropped = rooflines(chips, precision)
    if not drawn:
        raise NotPublishedError(f"no chip publishes both {precision} peak compute and memory bandwidth: "
                                + "; ".join(map(str, dropped)))
    roofs = [(get_chip(r.chip), r) for r in drawn]
    x = np.logspace(np.log10(intensity_range[0]), np.log10(intensity_range[1]), 400)
    integer = roofs[0][1].precision.is_integer
    unit = "OP" if integer else "FLOP"
    for (_chip, r), (color, ls) in zip(roofs, chip_styles([c for c, _ in roofs]), strict=True):
        y = r.attainable(x) / 1e12
        ax.plot(x, y, color=color, ls=ls, lw=2, label=f"{r.label} ({r.peak_compute.m:,.0f} T{unit}/s, "
                                                      f"{r.memory_bandwidth.m:.3g} TB/s)")
        ridge = r.ridge_point.m
        ax.plot([ridge], [r.peak_compute.m], "o", color=color, ms=6, mec="black", mew=0.6)
        lo, hi = r.ridge_point_range
        if hi.m > lo.m * 1.0001:
            ax.hlines(r.peak_compute.m, lo.m, hi.m, color=color, lw=6, alpha=0.25)
    for i, (label, intensity) in enumerate((workloads or {}).items()):
        xi = float(intensity.m_as(f"{unit}/B")) if hasattr(intensity, "m_as") else float(intensity)
        ax.axvline(xi, color="0.4", lw=0.8, ls=":")
        for (_chip, r), (color, _) in zip(roofs, chip_styles([c for c, _ in roofs]), strict=True):
            ax.plot([xi], [r.attainable(xi) / 1e12], "s", color=color, ms=4)
        ax.annotate(label, (xi, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right",
                    fontsize=8, color="0.25", xytext=(-2, -4 - 0 * i), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"arithmetic intensity [{unit}/B]")
    ax.set_ylabel(f"attainable {precision} [T{unit}/s]")
    ax.set_title(f"Roofline, dense {precision} (● ridge point)", fontsize=10)
    if dropped:
        ax.text(0.0, -0.13, "left out: " + "; ".join(f"{d.chip.name}: {d.reason}" for d in dropped),
                transform=ax.transAxes, fontsize=7, color="0.3", va="top", wrap=True)
    ax.dropped = [d.chip.id for d in dropped]  # type: ignore[attr-defined]
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.08)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def compare(chips: Iterable[str | Chip],
            fields: Sequence[str] = ("capacity", "bandwidth", "bf16", "scale_up_per_direction"),
            baseline: str | Chip | None = None, *, ax: Axes | None = None) -> Axes:
    """Grouped bars: one group per field, one bar per chip.

    With a ``baseline`` chip every bar is the ratio to it, drawn from 1 on a log scale (so 2x
    and 0.5x look alike); without one, values are divided by the largest in each field.
    Interconnect is compared per direction by default (bidirectional totals halved; a figure
    whose direction is not stated shows the whole range). Bars are hatched by
    status (reported ``//``, derived ``..``, estimated ``xx``); range whiskers show low-high;
    a missing value is marked "no support" (the chip lacks the format) or "n/p" (not
    published), and a note under the axes names each one left out.

    Parameters
    ----------
    chips : iterable of str or Chip
        Chip ids, names or aliases, or :class:`~accelspec.Chip` records.
    fields : sequence of str, default ("capacity", "bandwidth", "bf16", "scale_up_per_direction")
        Short names or dotted paths, as :func:`accelspec.compare`.
    baseline : str or Chip, optional
        Draw every bar as the ratio to this chip.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The bars: ratio to the baseline, or fraction of the largest value per field
        [dimensionless].

    Raises
    ------
    EmptyComparisonError
        No chips given.
    UnknownFieldError
        A field that is neither a short name nor a value's dotted path.
    """
    ax = _new_ax(ax, (max(7.0, 1.8 * len(fields) + 3), 5))
    result = _compare(chips, fields, baseline=baseline)
    chip_list = result.chips
    n = len(chip_list)
    width = 0.8 / n
    styles = chip_styles(chip_list)
    drawn: list[float] = []
    for j, (chip, (color, _)) in enumerate(zip(chip_list, styles, strict=True)):
        for i, (_label, path, unit) in enumerate(result.fields):
            cell = result.cells[(chip.id, path)]
            xpos = i - 0.4 + width * (j + 0.5)
            bar = _bar_value(result, chip, path, unit)
            if not isinstance(bar, tuple) or isinstance(cell, Absent):  # a bar only for a published value
                mark = "no support" if isinstance(bar, Absent) and bar.status == "unsupported" else "n/p"
                ax.text(xpos, 0.02, mark, rotation=90, ha="center", va="bottom", fontsize=7,
                        color="0.4", transform=ax.get_xaxis_transform())
                continue
            val, rng = bar
            bottom = 1.0 if baseline is not None else 0.0
            ax.bar(xpos, val - bottom, width * 0.92, bottom=bottom, color=color, edgecolor="black", lw=0.5,
                   hatch=_HATCH[cell.status], alpha=0.9)
            drawn.append(val)
            if rng is not None:
                lo, hi = rng
                drawn += [lo, hi]
                ax.errorbar(xpos, val, yerr=[[val - lo], [hi - val]], color="black", capsize=3, lw=1)
            if baseline is not None and abs(val - 1.0) < 1e-3:  # the baseline itself: a tick at 1
                ax.hlines(1.0, xpos - width * 0.46, xpos + width * 0.46, color=color, lw=4)
            if baseline is not None:
                ax.annotate(f"{val:.2f}x" if val < 10 else f"{val:.0f}x", (xpos, val), ha="center",
                            va="bottom" if val >= 1 else "top",
                            fontsize=7, xytext=(0, 2 if val >= 1 else -2), textcoords="offset points")
    ax.set_xticks(range(len(result.fields)))
    ax.set_xticklabels([_tick_label(result, lab, p, u) for lab, p, u in result.fields])
    if baseline is not None:
        base = get_chip(baseline)
        ax.set_yscale("log")
        ax.axhline(1.0, color="black", lw=0.8)
        if drawn:
            ax.set_ylim(min(min(drawn), 1.0) / 1.6, max(max(drawn), 1.0) * 1.6)
        ax.set_ylabel(f"ratio to {base.name} (log scale)")
    else:
        ax.set_ylabel("fraction of the largest value in each group")
    handles = [Patch(facecolor=c, edgecolor="black", label=chip.name) for chip, (c, _) in zip(chip_list, styles,
                                                                                                strict=True)]
    statuses = {cell.status for cell in result.cells.values() if isinstance(cell, Spec)}
    missing = sorted({f"{chip.name}: {cell.detail.removeprefix(chip.name + ': ')}"
                      for chip in chip_list for (_, p, _u) in result.fields
                      if isinstance(cell := result.cells[(chip.id, p)], Absent)})
    if missing:
        ax.text(0.0, -0.16, "not drawn: " + "; ".join(missing), transform=ax.transAxes, fontsize=7,
                color="0.3", va="top", wrap=True)
    handles += [Patch(facecolor="white", edgecolor="black", hatch=_HATCH[s], label=str(s))
                for s in Status if s in statuses and s is not Status.official]
    ax.legend(handles=handles, fontsize=8, ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Published specs compared" + (f" (ratio to {get_chip(baseline).name})" if baseline else ""),
                 fontsize=10)
    ax.grid(True, axis="y", alpha=0.3)
    return ax


def _tick_label(result: Any, label: str, path: str, unit: str | None) -> str:
    text = label.replace("_", " ")
    if result.is_link(path) and "per direction" not in text:
        text += "\nper direction"
    return f"{text}\n[{unit}]" if unit else text


def _bar_value(result: Any, chip: Chip, path: str, unit: str | None) -> Any:
    """(bar height, (low, high) or None), or the :class:`Absent` / ``None`` when no bar.
    With a baseline the ratio (links per direction); otherwise the value over the largest
    in the field, links per direction on both sides."""
    if unit is None:
        return None
    if result.baseline is not None:
        r = result.ratio(chip, path, unit)
        return (r.value, r.range) if isinstance(r, Ratio) else r
    cell = result.cells[(chip.id, path)]
    if not isinstance(cell, Spec):
        return cell

    def one_way(c: Spec) -> Spec:
        return _per_direction(c) if isinstance(c, LinkBandwidth) else c

    vals = [one_way(c).high.m_as(unit) for (_, p), c in result.cells.items() if p == path and isinstance(c, Spec)]
    denom = max(vals)
    c = one_way(cell)
    rng = (c.low.m_as(unit) / denom, c.high.m_as(unit) / denom) if c.range is not None else None
    return c.q.m_as(unit) / denom, rng


def memory_vs_context(model: Model | str, chips: Iterable[str | Chip], *, n_chips: int | None = None,
                      weight_dtype: str = "native",
                      kv_dtype: str = "bf16", batch: int = 1, parallelism: str | Parallelism | None = None,
                      contexts: Sequence[int] | None = None, ax: Axes | None = None) -> Axes:
    """Memory needed per chip against context length, stacked (weights, KV cache, the rest:
    linear-attention state, activations, framework reserve), with each chip's capacity as a
    horizontal line (its range shaded) and the 1M-token mark.

    The footprint is :func:`accelspec.memory_footprint` on ``n_chips`` chips with
    ``parallelism`` (default: the layout that needs the least memory per chip).

    Parameters
    ----------
    model : Model or str
        A :class:`~accelspec.Model` or a catalog name.
    chips : iterable of str or Chip
        Chips or systems (``"gb200-nvl72"``: its chip's capacity is drawn, labelled with the
        system).
    n_chips : int, optional
        Chips the model is spread over; default: the systems' chip count when they all share
        one, else 1.
    weight_dtype : str, default "native"
        Weight format (``"native"``: the checkpoint's own, as :func:`accelspec.fits`; a dtype
        name such as ``"bf16"`` for every part).
    kv_dtype : str, default "bf16"
        KV-cache format.
    batch : int, default 1
        Sequences [dimensionless].
    parallelism : str or Parallelism, optional
        Layout over ``n_chips`` (``"tp"``, ``"tp=4,pp=2"``...); default: the layout that
        needs the least memory per chip.
    contexts : sequence of int, optional
        Context lengths drawn [token]; default: 160 points from 1,000 to 10 million.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Context [token] against memory per chip [GB].
    """
    from .hardware.system import resolve_hardware
    from .model.catalog import get_model
    from .perf.memory import memory_footprint

    ax = _new_ax(ax)
    mdl = get_model(model)
    hw = [resolve_hardware(c) for c in chips]
    if n_chips is None:
        counts = {s.n_chips for _, s in hw if s is not None}
        n_chips = counts.pop() if len(counts) == 1 and all(s is not None for _, s in hw) else 1
    ctx = np.unique(np.logspace(3, 7, 160).astype(np.int64)) if contexts is None else np.asarray(contexts)
    if parallelism is None and n_chips > 1:
        parallelism = "auto"
    fp = memory_footprint(mdl, ctx, batch, weight_dtype=weight_dtype, kv_dtype=kv_dtype, n_chips=n_chips,
                          parallelism=parallelism)
    gb = "GB"
    weights = np.broadcast_to(fp.weights.m_as(gb), ctx.shape).astype(float)
    kv = np.broadcast_to(fp.kv_cache.m_as(gb), ctx.shape).astype(float)
    other = np.broadcast_to(fp.total.m_as(gb), ctx.shape) - weights - kv
    from .perf.opcost import resolve_dtypes

    w_label = resolve_dtypes(mdl, weight_dtype).weights_text()  # "mxfp4 experts, bf16 rest (checkpoint)"
    ax.stackplot(ctx, weights, kv, other, labels=[f"weights ({w_label})", f"KV cache ({kv_dtype})",
                                                  "state, activations, reserve"],
                 colors=["#9ecae1", "#fdae6b", "#d9d9d9"], alpha=0.9)
    chip_list = [c for c, _ in hw]
    for (chip, system), (color, ls) in zip(hw, chip_styles(chip_list), strict=True):
        cap = chip.memory.capacity
        if cap is None:
            continue
        name = f"{system.name} ({chip.name})" if system is not None else chip.name
        ax.axhline(cap.q.m_as(gb), color=color, ls=ls, lw=2, label=f"{name}: {cap}")
        if cap.range is not None:
            ax.axhspan(cap.low.m_as(gb), cap.high.m_as(gb), color=color, alpha=0.15)
    ax.axvline(1_000_000, color="black", lw=1, ls=":")
    ax.annotate("1M tokens", (1_000_000, 0.98), xycoords=("data", "axes fraction"), ha="right", va="top",
                rotation=90, fontsize=8)
    trained = getattr(mdl, "max_context", None)
    if trained:
        ax.axvline(trained, color="0.5", lw=1, ls="--")
        ax.annotate(f"trained context {trained:,}", (trained, 0.98), xycoords=("data", "axes fraction"),
                    ha="right", va="top", rotation=90, fontsize=8, color="0.35")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("context length [tokens]")
    per = f" per chip ({n_chips} chips, {fp.parallelism})" if n_chips > 1 else " (one chip)"
    ax.set_ylabel(f"memory [{gb}]{per}")
    ax.set_title(f"{mdl.name}: memory against context, batch {batch}", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return ax


_AXIS_LABELS = {"context_tokens": "context length [tokens]", "batch": "batch [sequences]",
                "n_chips": "chips [count]", "chip": "chip", "model": "model", "layout": "parallel layout"}
_NO_FIT = "#b0b0b0"


def _axis_label(col: str) -> str:
    return _AXIS_LABELS.get(col, col.replace("_", " "))


#: How :func:`sweep_heatmap` folds the rows that share a cell (pandas' aggregation names).
Aggregate = Literal["max", "min", "mean", "median", "sum", "first", "last", "count"]


#: sweep columns that identify a row (folded by ``agg`` when not on an axis), in title order
_KEYS = ("model", "chip", "precision", "context_tokens", "batch", "n_chips", "layout")


def _heatmap_title(df: pd.DataFrame, x: str, y: str, value: str, agg: str, has_fit: bool) -> str:
    """``value``, and what each cell folds: a key column with one value is named (``model
    llama-3.1-8b``), one with several is listed with the aggregation (``max over model
    (llama-3.1-8b, qwen3-32b), batch (1, 8)``)."""
    name = value.split(" [")[0].replace("_", " ")
    fixed: list[str] = []
    folded: list[str] = []
    for col in _KEYS:
        if col not in df.columns or col in (x, y):
            continue
        vals = list(dict.fromkeys(df[col].dropna().tolist()))
        if not vals:
            continue
        shown = ", ".join(_tick(v) for v in vals[:4]) + (f", ... {len(vals)} in all" if len(vals) > 4 else "")
        (fixed if len(vals) == 1 else folded).append(f"{col.replace('_', ' ')} {shown}" if len(vals) == 1
                                                     else f"{col.replace('_', ' ')} ({shown})")
    parts = [name + (f": {', '.join(fixed)}" if fixed else "")]
    if folded:
        parts.append(f"{agg} over {', '.join(folded)}" + (" (rows that fit)" if has_fit else ""))
    elif len(df) > df.groupby([x, y], observed=True).ngroups:
        parts.append(f"{agg} over the rows of each cell" + (" that fit" if has_fit else ""))
    return "\n".join(parts)


def sweep_heatmap(df: pd.DataFrame, x: str, y: str, value: str, *, ax: Axes | None = None, log: bool = True,
                  agg: Aggregate = "max", cmap: str = "viridis") -> Axes:
    """Heat map of ``value`` over two columns of a sweep DataFrame (other columns aggregated
    with ``agg``). Log colour scale by default, since bounds span decades.

    When the DataFrame has the sweep's ``fits`` column, only deployments that fit in memory
    are coloured: a cell none of whose rows fits is drawn grey and hatched, labelled with the
    memory it needs per chip (``memory_per_chip [GB]``), and listed as "does not fit in
    memory" in the legend, so no cell shows a speed for a deployment that cannot run. A value
    that comes from a chip whose capacity is unpublished is marked ``?`` (fit unknown); a
    cell with no value (the chip does not publish the figures the bound needs) says ``n/p``.

    Parameters
    ----------
    df : pandas.DataFrame
        A sweep (:func:`accelspec.sweep`), or any frame with the three columns.
    x, y : str
        Columns for the horizontal and vertical axes (``"context_tokens"``, ``"chip"``...).
    value : str
        Column to colour by, with its unit in the name
        (``"tokens_per_s_per_user [token/s]"``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    log : bool, default True
        Log colour scale.
    agg : {"max", "min", "mean", "median", "sum", "first", "last", "count"}, default "max"
        How the rows that share a cell are folded. The title names it and the values folded
        (e.g. ``max over model (llama-3.1-8b, qwen3-32b), batch (1, 8, 64)``) and the key
        columns with one value (``model llama-3.1-8b``).
    cmap : str, default "viridis"
        matplotlib colour map.

    Returns
    -------
    matplotlib.axes.Axes
        The heat map, with a colour bar in ``value``'s unit.

    Raises
    ------
    KeyError
        ``x``, ``y`` or ``value`` is not a column of ``df``.
    """
    from matplotlib.patches import Rectangle

    ax = _new_ax(ax)
    for col in (x, y, value):
        if col not in df.columns:
            raise KeyError(f"column {col!r} not in the DataFrame; columns: {', '.join(map(str, df.columns))}")
    has_fit = "fits" in df.columns
    allrows = df.pivot_table(index=y, columns=x, values=value, aggfunc="size", observed=True, dropna=False)
    shown = df
    if has_fit:
        fit = df["fits"].astype("boolean")
        shown = df[(fit != False).fillna(True).to_numpy(dtype=bool)]  # noqa: E712 (nullable boolean)
    table = shown.pivot_table(index=y, columns=x, values=value, aggfunc=agg, observed=True, dropna=False)
    table = table.reindex(index=allrows.index, columns=allrows.columns)
    data = table.to_numpy(dtype=float)
    exists = allrows.to_numpy(dtype=float) > 0
    no_fit = np.zeros_like(exists)
    unknown = np.zeros_like(exists)
    need = np.full(data.shape, np.nan)
    if has_fit:
        nf = df.assign(_nf=(fit == False).fillna(False).astype(float), _unk=fit.isna().astype(float))  # noqa: E712
        all_nf = nf.pivot_table(index=y, columns=x, values="_nf", aggfunc="min", observed=True, dropna=False)
        any_unk = nf[nf[value].notna()].pivot_table(index=y, columns=x, values="_unk", aggfunc="max",
                                                   observed=True, dropna=False)
        no_fit = all_nf.reindex(index=allrows.index, columns=allrows.columns).to_numpy(dtype=float) == 1
        unknown = any_unk.reindex(index=allrows.index, columns=allrows.columns).to_numpy(dtype=float) == 1
        mem = "memory_per_chip [GB]"
        if mem in df.columns:
            need = (df.pivot_table(index=y, columns=x, values=mem, aggfunc="min", observed=True, dropna=False)
                    .reindex(index=allrows.index, columns=allrows.columns).to_numpy(dtype=float))
        data = np.where(no_fit, np.nan, data)
    positive = data[np.isfinite(data) & (data > 0)]
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if log and positive.size else None
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", origin="lower", cmap=cmap, norm=norm)
    ax.set_facecolor("white")
    for (r, c), bad in np.ndenumerate(no_fit):
        if bad:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor=_NO_FIT, edgecolor="0.35", hatch="///",
                                   lw=0.0))
    ax.set_xticks(range(len(table.columns)))
    ax.set_xticklabels([_tick(v) for v in table.columns], rotation=45, ha="right")
    ax.set_yticks(range(len(table.index)))
    ax.set_yticklabels([_tick(v) for v in table.index])
    ax.set_xlabel(_axis_label(x))
    ax.set_ylabel(_axis_label(y))
    ax.figure.colorbar(im, ax=ax, label=value.replace("_", " ") + (" (log scale)" if norm is not None else ""))
    ax.set_title(_heatmap_title(df, x, y, value, agg, has_fit), fontsize=10)
    small = data.size <= 120
    if small:
        cmap_obj = matplotlib.colormaps[cmap]
        for (r, c), v in np.ndenumerate(data):
            if np.isfinite(v):
                rgb = cmap_obj(im.norm(v))  # RGBA in [0, 1]
                ink = "black" if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 0.5 else "white"
                ax.text(c, r, f"{v:.3g}" + ("?" if unknown[r, c] else ""), ha="center", va="center", fontsize=8,
                        color=ink)
            elif no_fit[r, c]:
                label = f"needs\n{need[r, c]:.0f} GB" if np.isfinite(need[r, c]) else "does not\nfit"
                ax.text(c, r, label, ha="center", va="center", fontsize=7, color="black",
                        bbox={"facecolor": _NO_FIT, "edgecolor": "none", "pad": 0.5})
            elif exists[r, c]:
                ax.text(c, r, "n/p", ha="center", va="center", fontsize=7, color="0.45")
    handles = []
    if no_fit.any():
        handles.append(Patch(facecolor=_NO_FIT, edgecolor="0.35", hatch="///", label="does not fit in memory "
                             "(memory needed per chip shown)" if small else "does not fit in memory"))
    if unknown.any():
        handles.append(Patch(facecolor="white", edgecolor="0.35", label="? capacity not published: fit unknown"))
    if small and (exists & ~np.isfinite(data) & ~no_fit).any():
        handles.append(Patch(facecolor="white", edgecolor="0.35", label="n/p: figures not published"))
    if handles:
        fig = ax.figure
        if fig.get_layout_engine() is not None and len(fig.axes) <= 2:  # our own figure: below everything
            fig.legend(handles=handles, fontsize=8, loc="outside lower center", ncols=len(handles), frameon=False)
        else:
            ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3),
                      ncols=len(handles), frameon=False)
    return ax


def _tick(v: Any) -> str:
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return str(v)


matplotlib.rcParams.setdefault("figure.dpi", 100)


def plot_frontier(model: Model | str, chips: Iterable[str | Chip], input_tokens: int = 2048, output_tokens: int = 256,
                  *, n_chips: int | None = None, disaggregated: bool = True, tpot: str | pint.Quantity | None = None,
                  weight_dtype: str = "native", kv_dtype: str = "bf16", ax: Axes | None = None,
                  basis: str = "estimate") -> Axes:
    """Throughput against interactivity, one curve per chip with the batch swept.

    Output tokens/s per chip (y) against tokens/s per user (x); solid where the batch's KV
    cache fits (at the final context), dotted where it does not. The batch-1 and
    largest-fitting points are marked. Curves from :func:`accelspec.perf.plan.frontier`.
    Chips the catalog cannot bound are named in a note, not dropped silently.

    ``basis="estimate"`` (default): the calibrated estimate solid, with its 80% interval as a
    shaded band, and the bound dashed beside it (the optimistic edge); ``basis="bound"``: the
    bound curves alone, as solid lines.

    Parameters
    ----------
    model : Model or str
        A :class:`~accelspec.Model` or a catalog name.
    chips : iterable of str or Chip
        Chips or systems.
    input_tokens : int, default 2048
        Prompt length [token].
    output_tokens : int, default 256
        Generated tokens per request [token].
    n_chips : int, optional
        Chips per deployment; default: per chip, the fewest that hold the model.
    disaggregated : bool, default True
        Decode pool only; ``False`` adds the prefill compute as :func:`accelspec.plan` does.
    tpot : str or Quantity, optional
        A time-per-output-token target (``"30 ms"``), drawn as a vertical line at
        ``1 / tpot`` [token/s].
    weight_dtype : str, default "native"
        Weight format (``"native"``: the checkpoint's own, as :func:`accelspec.fits`; a dtype
        name such as ``"bf16"`` for every part).
    kv_dtype : str, default "bf16"
        KV-cache format.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default: a new figure.
    basis : {"estimate", "bound"}, default "estimate"
        The calibrated estimate with its band and the bound dashed, or the bound alone.

    Returns
    -------
    matplotlib.axes.Axes
        Tokens/s per user [token/s] against tokens/s per chip [token/s]: estimates (with the
        bounds dashed) or upper bounds.
    """
    from .model.catalog import get_model
    from .perf.plan import frontier, seconds_of

    ax = _new_ax(ax, (8, 5.5))
    mdl = get_model(model)
    chip_list = [get_chip(c) for c in chips]
    curves = frontier(mdl, chip_list, input_tokens, output_tokens, n_chips=n_chips, disaggregated=disaggregated,
                      weight_dtype=weight_dtype, kv_dtype=kv_dtype, basis=basis)
    est = basis == "estimate"
    left_out = []
    for chip, (color, ls), cv in zip(chip_list, chip_styles(chip_list), curves, strict=True):
        x, y, fit = cv["tokens_per_s_per_user"], cv["tokens_per_s_per_chip"], cv["fits"]
        if cv["n_chips"] is None or not np.any(np.isfinite(y)):
            left_out.append(f"{chip.name} ({'; '.join(cv['missing'])})")
            continue
        label = f"{chip.name} x {cv['n_chips']}"
        if est:
            ls = "-"
            xb, yb = cv["bound_tokens_per_s_per_user"], cv["bound_tokens_per_s_per_chip"]
            ax.plot(np.where(fit, xb, np.nan), np.where(fit, yb, np.nan), color=color, ls="--", lw=1, alpha=0.8)
            xl, yl = cv["low_tokens_per_s_per_user"][fit], cv["low_tokens_per_s_per_chip"][fit]
            xh, yh = cv["high_tokens_per_s_per_user"][fit], cv["high_tokens_per_s_per_chip"][fit]
            if xl.size:
                ax.fill(np.concatenate([xl, xh[::-1]]), np.concatenate([yl, yh[::-1]]), color=color,
                        alpha=0.12 if len(chip_list) <= 3 else 0.05, lw=0)  # many bands: fainter
        ax.plot(np.where(fit, x, np.nan), np.where(fit, y, np.nan), color=color, ls=ls, lw=2, label=label)
        last = int(np.flatnonzero(fit)[-1]) if fit.any() else 0
        shown = cv["batch"] <= 4 * cv["batch"][last]  # the part that does not fit: up to 4x the last that does
        ax.plot(x[shown], y[shown], color=color, ls=":", lw=1, alpha=0.6)
        if fit.any():
            ax.plot([x[0], x[last]], [y[0], y[last]], "o", color=color, ms=4)
            ax.annotate(f"B={int(cv['batch'][last])}", (x[last], y[last]), fontsize=7, color=color,
                        xytext=(3, 3), textcoords="offset points")
    if tpot is not None:
        t = seconds_of(tpot, "tpot")
        ax.axvline(1.0 / t, color="black", lw=1, ls="--")
        ax.annotate(f"TPOT {t * 1e3:.3g} ms", (1.0 / t, 0.02), xycoords=("data", "axes fraction"), rotation=90,
                    fontsize=8, ha="right", va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    what = "estimate" if est else "upper bound"
    ax.set_xlabel(f"interactivity: output tokens/s per user ({what})")
    ax.set_ylabel(f"throughput: output tokens/s per chip ({what})")
    mode = "decode pool" if disaggregated else "prefill and decode on the same chips"
    key = ("solid: calibrated estimate, band: its 80% interval, dashed: the bound;\n" if est else "")
    ax.set_title(f"{mdl.name}, {input_tokens} in / {output_tokens} out, batch swept ({mode});\n{key}"
                 "dots: batch 1 and the largest batch that fits; dotted: the KV cache does not fit", fontsize=9)
    ax.grid(True, which="both", alpha=0.25)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower left")
    if left_out:
        ax.text(0.99, 0.99, "left out: " + "; ".join(left_out), transform=ax.transAxes, ha="right", va="top",
                fontsize=7, wrap=True)
    ax.left_out = left_out  # type: ignore[attr-defined]
    return ax
