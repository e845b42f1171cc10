"""Cartesian sweeps of the decode / prefill bounds, evaluated as numpy array arithmetic.

``sweep(models, chips, context_tokens, batch, n_chips)`` covers the 5-D grid ``(model, chip,
context_tokens, batch, n_chips)``. For each model and chip count it finds, for every
(context, batch) at once, the parallel layout :func:`accelspec.fits` would choose (each
candidate layout's :func:`~accelspec.memory_footprint` total on the whole grid, least per
chip wins, same tie-break), then runs the kernels of :func:`~accelspec.perf.bounds.decode_bound` /
:func:`~accelspec.perf.bounds.prefill_bound` (:func:`~accelspec.perf.bounds.stage_traffic_tiers` and
the arithmetic of :func:`~accelspec.perf.bounds.layout_times`) once per layout on broadcast arrays:
no Python loop per scenario, and each row equals the scalar call given that row's layout
(``parallelism=row["layout"]``; without a layout the scalar bounds take the minimum over
layouts, the sweep keeps the memory fit's layout). Pipeline layouts are micro-batched, as
in the scalar bounds.

Speed: the ``context x batch`` grid is walked in blocks of about 64k scenarios, so that every
temporary (the layout search's footprints, a stage's FLOPs and bytes) is a small scratch block
that stays in cache; each output column is allocated once and written in place through its 5-D
view (``out=``), terms that are zero or equal to another are not recomputed, and only the
asked ``columns`` are computed. ``benchmarks/bench_core.py`` times it beside two hand-written
numpy floors (the one decode formula; every default column).
Each row also says whether that deployment fits in the chip's memory (``fits``,
``memory_per_chip [GB]``, ``capacity [GB]``). A million scenarios is one call.

The result is a long-form pandas DataFrame (one row per scenario, units in the column names,
as :func:`accelspec.hardware.comparison` does), an xarray Dataset on the grid's dimensions
(``output="xarray"``), or the flat numpy arrays (``output="arrays"``). pandas and xarray are
imported only here, when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pint

from ..errors import DeploymentError, InvalidArgumentError
from ..hardware.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from ..inputs import counts
from .bounds import LIMITERS, layout_numbers, layout_times, stage_traffic_tiers
from .kernels import DEFAULT_RESERVE, MEM_KW, layout_preference
from .memory import Parallelism, capacity_bytes, model_profile, reserve_bytes
from .opcost import FALLBACK_PRECISION, compute_fallback
from .roofline import check_efficiency, chip_numbers

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..hardware.chip import Precision
    from ..hardware.system import System
    from ..model.architecture import Model
    from ..model.datatypes import DType
    from . import Deployment  # annotations only: .deployment imports the calculators

__all__ = ["COLUMNS", "SWEEP_COLUMNS", "sweep", "sweep_iter"]

#: numeric columns of the DataFrame, with their units
COLUMNS = {
    "time [s]": "lower bound: decode step time or time to first token",
    "time_low [s]": "low end over the input ranges",
    "time_high [s]": "high end over the input ranges",
    "compute_time [s]": "FLOPs / (n peak)",
    "memory_time [s]": "memory bytes / (n bandwidth)",
    "comm_time [s]": "link bytes per chip / link bandwidth per direction",
    "tokens_per_s_per_user [token/s]": "upper bound",
    "tokens_per_s_per_chip [token/s]": "upper bound",
    "intensity [FLOP/B]": "FLOPs / memory bytes (OP/B for integer precisions)",
    "flop [FLOP]": "FLOPs of the step, all chips",
    "memory [B]": "memory bytes of the step, all chips",
    "comm [B]": "bytes each chip sends per direction (summed over pipeline stages)",
    "memory_per_chip [GB]": "memory needed per chip (memory_footprint of the same layout and dtypes, + reserve)",
    "capacity [GB]": "the chip's published memory capacity (NaN when unpublished)",
}


def _as_list(x: Any) -> list[Any]:
    if isinstance(x, (str, Chip)) or not isinstance(x, Iterable):
        return [x]
    return list(x)


#: the most rows (scenarios) one :func:`sweep` call holds in memory: about 173 B each at the peak
#: with every column (docs/roofline.md), so 5 * 10**7 rows is about 9 GB; larger grids stream
#: through :func:`sweep_iter` or :func:`accelspec.sweep_dask`
MAX_SWEEP_ROWS = 50_000_000


def _check_rows(rows: int) -> None:
    """Refuse a grid of more than :data:`MAX_SWEEP_ROWS` scenarios before anything is allocated."""
    if rows > MAX_SWEEP_ROWS:
        raise InvalidArgumentError(
            "context_tokens", f"the grid has {rows:,} rows (models x chips x contexts x batches x chip counts), "
            f"more than the {MAX_SWEEP_ROWS:,} one sweep() call holds in memory (~{rows * 173 / 1e9:,.0f} GB); "
            "stream it with accelspec.sweep_iter(..., chunk_size=...) or accelspec.sweep_dask")


def _counts(x: Any, what: str) -> np.ndarray:
    return counts(x, what, ndim=1).astype(np.int64)


def sweep(models: str | Model | Iterable[str | Model],
          chips: str | Chip | System | Deployment | Iterable[str | Chip | System | Deployment],
          context_tokens: int | npt.ArrayLike, batch: int | npt.ArrayLike = 1, n_chips: int | npt.ArrayLike | None = 1,
          *, phase: str = "decode", parallelism: str | Parallelism | Mapping[str, int] | None = None,
          weight_dtype: str | DType | None = "native", kv_dtype: str | DType | None = "bf16",
          activation_dtype: str | DType | None = "bf16", expert_dtype: str | DType | None = None,
          embedding_dtype: str | DType | None = None, state_dtype: str | DType | None = "bf16",
          precision: str | Precision | None = None, sparse: bool = False, overlap: bool = True,
          compute_efficiency: float = 1.0, bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0,
          reserve: str | float | pint.Quantity | None = None, only_fitting: bool = False, output: str = "dataframe",
          on_missing: str = "raise", routing: str = "balanced", collective: str = "auto",
          columns: str | Iterable[str] | None = None, estimate: bool = False, engine: str | None = None) -> Any:
    """Every combination of ``models x chips x context_tokens x batch x n_chips``.

    Arguments as :func:`~accelspec.perf.bounds.decode_bound` (``phase="prefill"`` for
    :func:`~accelspec.perf.bounds.prefill_bound`), each axis a single value or a sequence.
    ``parallelism``: ``None``/``"auto"`` takes, for every scenario, the layout
    :func:`accelspec.fits` would choose (the same search, vectorized); a strategy name
    (``"tp"``, ``"pp"``...) applies to every chip count; ``"tp=4,pp=2"`` needs the matching
    ``n_chips``.

    ``chips`` may name systems (``"gb200-nvl72"``) beside chips: a system's row uses its chip
    and its two-tier fabric (scale-up domain, scale-out bandwidth, in-network reduction) at the
    swept ``n_chips``; the ``chip`` column shows the system id. ``n_chips=None`` gives each
    entry its own count (a system's chip count, 1 for a chip; DataFrame output only). ``routing`` and ``collective``
    as in :func:`~accelspec.perf.bounds.decode_bound`.

    Memory: every row also says whether the deployment fits (``fits``, the same footprint
    as :func:`accelspec.memory_footprint` for the same layout and dtypes, with ``reserve``
    per chip as in :func:`accelspec.fits`: default 2 GiB, a fraction of capacity, or a
    quantity), the memory it needs per chip (``memory_per_chip [GB]``) and the chip's
    published capacity (``capacity [GB]``, NaN and ``fits`` missing when unpublished).
    Scenarios that do not fit keep their bound numbers; ``only_fitting=True`` drops them
    (DataFrame and arrays) or sets them to NaN (xarray).

    ``output``: ``"dataframe"`` (long form: ``model``, ``chip``, ``precision``,
    ``context_tokens``, ``batch``, ``n_chips``, ``layout``, the :data:`COLUMNS`, ``limiter``
    and ``fits``), ``"xarray"`` (a Dataset with dims ``model, chip, context_tokens, batch,
    n_chips``) or ``"arrays"`` (a dict of flat numpy arrays in DataFrame row order,
    ``limiter`` as codes into :data:`~accelspec.perf.bounds.LIMITERS`, ``layout`` as codes into
    ``layout_names``, ``fits`` as 1 / 0 / -1 for unknown). ``on_missing="nan"`` gives NaN
    rows for a chip that lacks the precision, the memory bandwidth or (with ``n_chips > 1``)
    the scale-up bandwidth, instead of raising.

    Dtypes: as :func:`~accelspec.perf.bounds.decode_bound`, the weights default to the
    checkpoint's formats (``weight_dtype="native"``); the compute precision is chosen per
    (model, chip), bf16 with the weights upcast where the chip has no peak for the weights'
    format (``df.attrs["compute_fallback"]`` says where and why; the ``precision`` column
    is per row).

    ``columns``: only these columns (full names such as ``"time [s]"`` or short ones such as
    ``"time"``; :data:`SWEEP_COLUMNS`) besides ``model``, ``chip``, ``context_tokens``,
    ``batch`` and ``n_chips``; only what they need is computed (no range runs without
    ``time_low``/``time_high``, no bound at all for memory-only columns). For sweeps too large
    for memory see :func:`sweep_iter`. Memory (measured, docs/roofline.md): about 143 bytes
    per scenario for every column, 36 for ``columns=["time", "fits"]``.

    Parameters
    ----------
    models : str, Model or iterable of them
        Models (catalog ids, names or records).
    chips : str, Chip, System, Deployment or iterable of them
        Chips and systems; deployments (all of them or none) sweep the models and contexts on
        each deployment's own chip count, layout and dtypes.
    context_tokens : int or array_like
        Contexts (decode) or prompt lengths (prefill) [token].
    batch : int or array_like, optional
        Batch sizes (default 1).
    n_chips : int, array_like or None, optional
        Chip counts (default 1; ``None``: each entry's own count, DataFrame output only).
    phase : {"decode", "prefill"}, optional
        The bound swept (default ``"decode"``).
    parallelism : str, Parallelism or mapping, optional
        The layout (default: the one :func:`accelspec.fits` chooses, per scenario).
    weight_dtype : str or DType, optional
        Format of the weights (default ``"native"``: the checkpoint's own formats).
    kv_dtype, activation_dtype, state_dtype : str or DType, optional
        Formats of the KV cache, the activations and the linear-attention state (default
        ``"bf16"``).
    expert_dtype, embedding_dtype : str or DType, optional
        Formats of the routed experts and of the embeddings (default: as the weights).
    precision : str or Precision, optional
        Format the matmuls run in (default: from the weight format, per model and chip).
    sparse : bool, optional
        Use the sparse (2:4) peaks (default False).
    overlap : bool, optional
        Compute, memory and communication overlap (default True).
    compute_efficiency, bandwidth_efficiency, link_efficiency : float, optional
        Achieved fractions of peak, in [1e-6, 1] (default 1.0: the bound).
    reserve : str, float or Quantity, optional
        Per-chip allowance [GB] (default 2 GiB) or a fraction of capacity in [0, 1).
    only_fitting : bool, optional
        Drop (or, in xarray, blank) the scenarios that do not fit (default False).
    output : {"dataframe", "xarray", "arrays"}, optional
        The result's form (default ``"dataframe"``).
    on_missing : {"raise", "nan"}, optional
        A chip without the precision or a needed bandwidth raises (default) or gives NaN rows.
    routing : {"balanced", "best-case"}, optional
        Expert routing model (default ``"balanced"``).
    collective : {"auto", "ring", "in-network"}, optional
        All-reduce algorithm (default ``"auto"``).
    columns : str or iterable of str, optional
        Only these columns (default: all, :data:`SWEEP_COLUMNS`).
    estimate : bool
        Add the calibrated estimate beside the bound columns (``estimate_time [s]`` with its 80%
        interval, ``estimate_tokens_per_s_per_*``, ``efficiency``;
        :func:`accelspec.perf.estimate.add_estimate_columns`); DataFrame output only.
    engine : str, optional
        The serving engine for the estimate columns.

    Returns
    -------
    pandas.DataFrame, xarray.Dataset or dict of numpy.ndarray
        One row (cell) per scenario: the bound's times [s], token rates [token/s], FLOPs,
        bytes, limiter, layout, and the memory fit [GB]; ``attrs`` say what was assumed.

    Raises
    ------
    UnknownModelError, UnknownHardwareError
        A model or chip names nothing in the catalogs.
    UnsupportedPrecisionError, NotPublishedError
        With ``on_missing="raise"``: a chip lacks the precision or a needed bandwidth.
    InvalidArgumentError, CountTypeError
        An axis, layout, option or column is out of range or of the wrong type; ``n_chips=None``
        with an output other than ``"dataframe"``; a grid of more than :data:`MAX_SWEEP_ROWS`
        rows (stream it with :func:`sweep_iter`).
    DeploymentError
        Deployments mixed with chips, or an argument a deployment fixes given beside it.
    """
    if estimate:
        if output != "dataframe":
            raise InvalidArgumentError("estimate", "estimate columns need output='dataframe'")
        from .estimate import add_estimate_columns

        bound_df = sweep(models, chips, context_tokens, batch, n_chips, phase=phase, parallelism=parallelism,
                         weight_dtype=weight_dtype, kv_dtype=kv_dtype, activation_dtype=activation_dtype,
                         expert_dtype=expert_dtype, embedding_dtype=embedding_dtype, state_dtype=state_dtype,
                         precision=precision, sparse=sparse, overlap=overlap, compute_efficiency=compute_efficiency,
                         bandwidth_efficiency=bandwidth_efficiency, link_efficiency=link_efficiency, reserve=reserve,
                         only_fitting=only_fitting, output=output, on_missing=on_missing, routing=routing,
                         collective=collective, columns=columns)
        return add_estimate_columns(bound_df, engine=engine)
    from ..hardware.system import resolve_hardware
    from ..model.catalog import get_model
    from .comm import ROUTINGS, check_choice, fabric_numbers

    if any(getattr(c, "__accelspec_deployment__", False) for c in _as_list(chips)):
        return _sweep_deployments(sweep, locals())
    routing = check_choice("routing", routing, ROUTINGS)
    if n_chips is None:  # each chip or system at its own count: one sweep per entry, concatenated
        if output != "dataframe":
            raise InvalidArgumentError("output", "n_chips=None (each system at its own chip count) needs "
                                       "output='dataframe'")
        import pandas as pd

        entries = _as_list(chips)
        frames = []
        for c in entries:
            system = resolve_hardware(c)[1]
            frames.append(sweep(models, c, context_tokens, batch, system.n_chips if system is not None else 1,
                                phase=phase, parallelism=parallelism, weight_dtype=weight_dtype, kv_dtype=kv_dtype,
                                activation_dtype=activation_dtype, expert_dtype=expert_dtype,
                                embedding_dtype=embedding_dtype, state_dtype=state_dtype, precision=precision,
                                sparse=sparse, overlap=overlap, compute_efficiency=compute_efficiency,
                                bandwidth_efficiency=bandwidth_efficiency, link_efficiency=link_efficiency,
                                reserve=reserve, only_fitting=only_fitting, on_missing=on_missing, routing=routing,
                                collective=collective))
        attrs = {**frames[0].attrs, "collectives": {k: v for f in frames for k, v in f.attrs["collectives"].items()}}
        for col in ("chip", "layout"):
            cats = list(dict.fromkeys(x for f in frames for x in f[col].cat.categories))
            for f in frames:
                f[col] = f[col].cat.set_categories(cats)
        df = pd.concat(frames, ignore_index=True)
        df.attrs.update(attrs)
        return df
    if phase not in ("decode", "prefill"):
        raise InvalidArgumentError("phase", f"must be 'decode' or 'prefill', got {phase!r}")
    if output not in ("dataframe", "xarray", "arrays"):
        raise InvalidArgumentError("output", f"must be 'dataframe', 'xarray' or 'arrays', got {output!r}")
    if on_missing not in ("raise", "nan"):
        raise InvalidArgumentError("on_missing", f"must be 'raise' or 'nan', got {on_missing!r}")
    effs = (check_efficiency("compute_efficiency", compute_efficiency),
            check_efficiency("bandwidth_efficiency", bandwidth_efficiency),
            check_efficiency("link_efficiency", link_efficiency))
    given = {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype, "expert_dtype": expert_dtype,
             "embedding_dtype": embedding_dtype, "state_dtype": state_dtype, "precision": precision}
    kw = {k: v for k, v in given.items() if v is not None}
    mem_kw = {"weight_dtype": weight_dtype, **{k: v for k, v in kw.items() if k in MEM_KW}}
    model_objs = [get_model(m) for m in _as_list(models)]
    dts = [layout_numbers(m, Parallelism(), weight_dtype, **kw).dtypes for m in model_objs]
    chip_list = _as_list(chips)
    T = _counts(context_tokens, "context_tokens")
    Bt = _counts(batch, "batch")
    N = _counts(n_chips, "n_chips")
    nm, nc = len(model_objs), len(chip_list)
    _check_rows(nm * nc * T.size * Bt.size * N.size)
    names = [m.id for m in model_objs]
    if len(set(names)) != nm:
        raise InvalidArgumentError("models", "the same model appears twice")

    # chip roofs per (model precision, chip): (3, nm, nc) arrays of low / nominal / high
    peak = np.full((3, nm, nc), np.nan)
    bw = np.full((3, nc), np.nan)
    link = np.full((3, nc), np.nan)
    link_out = np.full((3, nc), np.nan)
    domain = np.full(nc, np.inf)
    in_net = np.zeros(nc, dtype=bool)
    cap = np.full(nc, np.nan)
    res = np.full(nc, np.nan)
    hw = [resolve_hardware(c) for c in chip_list]
    chip_objs = [c for c, _ in hw]
    chip_ids = [s.id if s is not None else c.id for c, s in hw]
    # compute precision per (model, chip): the weights' format, or bf16 where the chip has no
    # peak for it and no precision was given (the fallback of decode_bound, said in dtypes_by_chip)
    prec_mc = [[str(dt.precision)] * nc for dt in dts]
    notes: dict[str, str] = {}
    for j, chip in enumerate(chip_objs):
        for i, dt in enumerate(dts):
            try:
                try:
                    cn = chip_numbers(chip, dt.precision, sparse=sparse, need_bandwidth=on_missing == "raise")
                except UnsupportedPrecisionError as exc:
                    if precision is not None or str(dt.precision) == FALLBACK_PRECISION or dt.weight_origin == "given":
                        raise
                    cn = chip_numbers(chip, FALLBACK_PRECISION, sparse=sparse, need_bandwidth=on_missing == "raise")
                    fb = compute_fallback(dt, chip.name, exc)
                    prec_mc[i][j] = FALLBACK_PRECISION
                    notes[f"{model_objs[i].id} on {chip.id}"] = fb.label()
            except (UnsupportedPrecisionError, NotPublishedError):
                if on_missing == "raise":
                    raise
                continue  # NaN rows
            peak[:, i, j] = cn.peak
            bw[:, j] = cn.bandwidth
            fab = fabric_numbers(chip, hw[j][1], cn.link, collective)
            link[:, j], link_out[:, j] = fab.up, fab.out
            domain[j], in_net[j] = fab.domain, fab.in_network
        if on_missing == "raise" and N.max() > 1 and np.isnan(link[1, j]):
            raise NotPublishedError(f"{chip.name}: no scale-up interconnect bandwidth published; a layout "
                                    f"over {int(N.max())} chips needs it")
        try:
            cap[j] = capacity_bytes(chip, None)[0]
        except NotPublishedError:
            continue
        res[j] = reserve_bytes(reserve, cap[j])
    if len(set(chip_ids)) != nc:
        raise InvalidArgumentError("chips", "the same chip appears twice")

    shape = (nm, nc, T.size, Bt.size, N.size)
    size = nm * nc * T.size * Bt.size * N.size
    want = _wanted(columns)
    need_range = bool(want & {"time_low [s]", "time_high [s]"})
    need_times = bool(want - _MEMORY_ONLY)
    need_mem = bool(want & {"memory_per_chip [GB]", "fits"}) or only_fitting
    keys = sorted({k for c in want for k in _NEEDS.get(c, ())})  # only the arrays the asked columns use
    # each bound array is one flat output column, written in place through its 5-D view
    res_flat = {k: np.empty(size) for k in keys}
    res5 = {k: v.reshape(shape) for k, v in res_flat.items()}
    # per (model, chip count): the index of the candidate layout each scenario uses, then its code in layout_names
    want_layout = "layout" in want
    lay_code = np.empty((nm, 1, T.size, Bt.size, N.size) if want_layout else (0, 1, 0, 0, 0), dtype=np.int16)
    need = np.empty((nm, 1, T.size, Bt.size, N.size)) if need_mem else None  # bytes per chip, default reserve
    layout_names: list[str] = []
    T2 = T.astype(float).reshape(-1, 1)
    B2 = Bt.astype(float).reshape(1, -1)
    dom3, innet3 = domain.reshape(nc, 1, 1), in_net.reshape(nc, 1, 1)
    # the grid is walked in blocks of whole contexts, ~32k scenarios each: every temporary of the
    # bound and of the footprint is a cache-sized scratch block, and each output is written once
    rows = max(1, min(T.size, _BLOCK // max(1, Bt.size)))
    scratch = _Scratch(rows, Bt.size)

    def roofs(e: int, i: int, j: int) -> tuple[float, float, float, float]:
        """(peak, bandwidth, scale-up, scale-out) of chip j for model i at range end e, with the efficiencies."""
        return (float(peak[e, i, j] * effs[0]), float(bw[e, j] * effs[1]), float(link[e, j] * effs[2]),
                float(link_out[e, j] * effs[2]))

    any_missing = False  # some scenario that no layout can serve (NaN rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, model in enumerate(model_objs):
            for k, n in enumerate(N.tolist()):
                search = _LayoutSearch(model, int(n), T, Bt, parallelism, mem_kw)
                lays = search.cands
                used = np.zeros(len(lays) + 1, dtype=bool)
                lns: dict[int, Any] = {}
                for t0 in range(0, T.size, rows):
                    t1 = min(T.size, t0 + rows)
                    scratch.rows = t1 - t0
                    choice, total = search.choose(t0, t1, need_mem)
                    if need is not None:
                        need[i, 0, t0:t1, :, k] = total
                    codes = lay_code[i, 0, t0:t1, :, k] if want_layout else None
                    if choice is None:
                        if codes is not None:
                            codes[...] = 0
                        used[0] = True
                    else:
                        if codes is not None:
                            codes[...] = choice
                        used[choice] = True  # choice -1 marks the last entry: missing
                        missing = choice < 0
                        if missing.any():
                            any_missing = True
                            for key in keys:
                                np.copyto(res5[key][i, :, t0:t1, :, k], np.nan, where=missing)
                    if not need_times:
                        continue
                    for li, lay in enumerate(lays):
                        sel = None if choice is None else choice == li
                        if sel is not None:
                            if not sel.any():
                                continue
                            if sel.all():
                                sel = None
                        if li not in lns:
                            lns[li] = layout_numbers(model, lay, weight_dtype, **kw)
                        _block_bound(lns[li], phase, T2[t0:t1], B2, i, k, t0, t1, sel, nc, keys, res5, roofs,
                                     overlap, routing, dom3, innet3, scratch)
                # codes into layout_names, in the order the candidates were tried (as the scalar search)
                table = np.full(len(lays) + 1, -1, dtype=np.int16)
                for li, lay in enumerate(lays):
                    if used[li]:
                        if lay.n_chips > 1 and on_missing == "raise" and np.isnan(link[1]).any():
                            bad = chip_objs[int(np.flatnonzero(np.isnan(link[1]))[0])]
                            raise NotPublishedError(f"{bad.name}: no scale-up interconnect bandwidth "
                                                    f"published; {lay} over {lay.n_chips} chips needs it")
                        if str(lay) not in layout_names:
                            layout_names.append(str(lay))
                        table[li] = layout_names.index(str(lay))
                if want_layout and not np.array_equal(table[:-1], np.arange(len(lays))):
                    codes = lay_code[i, 0, :, :, k]
                    codes[...] = table[codes]

    Tg = T.astype(float).reshape(1, 1, -1, 1, 1)
    Bg = Bt.astype(float).reshape(1, 1, 1, -1, 1)
    Ng = N.astype(float).reshape(1, 1, 1, 1, -1)
    per_user = 1.0 if phase == "decode" else Tg
    # memory per chip with this call's reserve (the search ran with the default 2 GiB, as fits does)
    if need is not None:
        need_chip = need - float(DEFAULT_RESERVE) + res.reshape(1, nc, 1, 1, 1) if reserve is not None else need
    capg = cap.reshape(1, nc, 1, 1, 1)
    prec_names = sorted({p for row in prec_mc for p in row})
    prec_code = np.array([[prec_names.index(p) for p in row] for row in prec_mc], dtype=np.int8)

    def into(fn: Any, *args: Any, dtype: Any = float) -> np.ndarray:
        """A new flat column: ``fn(*args, out=<its 5-D view>)`` (a ufunc or np.copyto broadcasting the args)."""
        col = np.empty(size, dtype=dtype)
        if fn is np.copyto:
            np.copyto(col.reshape(shape), *args)
        else:
            fn(*args, out=col.reshape(shape))
        return col

    def fits_codes() -> np.ndarray:
        col = into(np.less_equal, need_chip, capg, dtype=np.int8)  # 1 fits, 0 does not
        col5 = col.reshape(shape)
        unknown_cap = np.isnan(cap)
        if unknown_cap.any():
            col5[:, unknown_cap] = -1
        if any_missing or reserve is not None:
            np.copyto(col5, -1, where=np.isnan(need_chip))
        return col

    build: dict[str, Any] = {  # each column built only when asked for
        "precision": lambda: into(np.copyto, prec_code.reshape(nm, nc, 1, 1, 1), dtype=np.int8),
        "layout": lambda: lay_code.reshape(-1) if nc == 1 else into(np.copyto, lay_code, dtype=np.int16),
        "time [s]": lambda: res_flat["t"],
        "time_low [s]": lambda: res_flat["t_low"],
        "time_high [s]": lambda: res_flat["t_high"],
        "compute_time [s]": lambda: res_flat["tc"],
        "memory_time [s]": lambda: res_flat["tm"],
        "comm_time [s]": lambda: res_flat["tl"],
        "tokens_per_s_per_user [token/s]": lambda: into(np.divide, per_user, res5["t"]),
        "tokens_per_s_per_chip [token/s]": lambda: into(np.divide, per_user * (Bg / Ng), res5["t"]),
        "intensity [FLOP/B]": lambda: into(np.divide, res5["flops"], res5["mem"]),
        "flop [FLOP]": lambda: res_flat["flops"],
        "memory [B]": lambda: res_flat["mem"],
        "comm [B]": lambda: res_flat["comm"],
        "memory_per_chip [GB]": lambda: into(np.divide, need_chip, 1e9),
        "capacity [GB]": lambda: into(np.copyto, capg / 1e9),
        "limiter": lambda: _limiter_codes(res_flat["tc"], res_flat["tm"], res_flat["tl"], res_flat["t"]),
        "fits": fits_codes,
    }
    out = {
        "model": _grid_column(np.arange(nm), 1, nc * T.size * Bt.size * N.size, np.int32),
        "chip": _grid_column(np.arange(nc), nm, T.size * Bt.size * N.size, np.int32),
        "context_tokens": _grid_column(T, nm * nc, Bt.size * N.size, np.int64),
        "batch": _grid_column(Bt, nm * nc * T.size, N.size, np.int64),
        "n_chips": _grid_column(N, nm * nc * T.size * Bt.size, 1, np.int64),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in build:
            if name in want or (name == "fits" and only_fitting):
                out[name] = build[name]()
    meta = {"phase": phase, "overlap": overlap, "efficiencies": effs,
            "dtypes": {m.id: dt.label() for m, dt in zip(model_objs, dts, strict=True)},
            "compute_fallback": notes, "limiters": LIMITERS,
            "reserve": "2 GiB per chip" if reserve is None else str(reserve),
            "routing": routing + (" (expected distinct experts: bounds under balanced routing)"
                                  if routing == "balanced" else " (fewest distinct experts: strict bounds)"),
            "collectives": {cid: ("in-network all-reduce" if in_net[j] else "ring all-reduce")
                            + (f", scale-up domain {domain[j]:g} chips" if np.isfinite(domain[j])
                               else ", every group within one scale-up domain (no system given)")
                            for j, cid in enumerate(chip_ids)}}
    fit_codes = out.get("fits")
    if "fits" not in want:
        out.pop("fits", None)
    if output == "arrays":
        if only_fitting:
            keep = fit_codes == 1
            out = {k: v[keep] for k, v in out.items()}
        out["model_names"] = np.array(names)
        out["chip_names"] = np.array(chip_ids)
        out["layout_names"] = np.array(layout_names)
        out["precision_names"] = np.array(prec_names)
        return out
    if output == "xarray":
        if only_fitting and fit_codes is not None:
            out["_fits"] = fit_codes
        return _to_xarray(out, shape, names, chip_ids, T, Bt, N, prec_names, prec_code, layout_names, meta,
                          only_fitting)
    import pandas as pd

    cols: dict[str, Any] = {}
    cols["model"] = pd.Categorical.from_codes(out.pop("model"), categories=pd.Index(names))
    cols["chip"] = pd.Categorical.from_codes(out.pop("chip"), categories=pd.Index(chip_ids))
    if "precision" in out:
        cols["precision"] = pd.Categorical.from_codes(out.pop("precision"), categories=pd.Index(prec_names))
    limiter_codes = out.pop("limiter", None)
    fit = out.pop("fits", None)
    lay_codes = out.pop("layout", None)
    for key in ("context_tokens", "batch", "n_chips"):
        cols[key] = out.pop(key)
    if lay_codes is not None:
        cols["layout"] = pd.Categorical.from_codes(lay_codes, categories=pd.Index(layout_names))
    cols.update(out)
    if limiter_codes is not None:
        cols["limiter"] = pd.Categorical.from_codes(limiter_codes, categories=pd.Index(LIMITERS))
    if fit is not None:
        cols["fits"] = pd.arrays.BooleanArray(fit == 1, fit < 0)  # -1 (capacity unknown): <NA>
    df = pd.DataFrame(cols, copy=False)
    df.attrs.update(meta)
    if only_fitting:
        assert fit_codes is not None
        df = df[fit_codes == 1].reset_index(drop=True)
        df.attrs.update(meta)
    return df


#: the per-scenario arrays :func:`_chip_times` writes (``t_low`` / ``t_high`` are ``t`` at the range ends)
_BOUND_KEYS = ("t", "tc", "tm", "tl", "flops", "mem", "comm")
_TIME_KEYS = frozenset({"t", "tc", "tm", "tl", "t_low", "t_high"})


#: scenarios per block of the sweep's grid (float64 temporaries of 256 kB: they stay in cache)
_BLOCK = 65_536


class _Scratch:
    """Reusable work grids of one block (``rows`` contexts x every batch), by name, allocated on
    first use for the largest block and sliced for a shorter last one (one sweep call)."""

    def __init__(self, max_rows: int, cols: int):
        self.max_rows, self.cols, self.rows = max_rows, cols, max_rows
        self._bufs: dict[str, np.ndarray] = {}

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    def get(self, name: str) -> np.ndarray:
        buf = self._bufs.get(name)
        if buf is None:
            buf = self._bufs[name] = np.empty((self.max_rows, self.cols))
        return buf[:self.rows]


def _chip_part(x: Any, j: int) -> Any:
    """Chip ``j``'s part of a stage quantity: arrays with a leading chip axis (link bytes per
    chip tier, shape ``(nc, 1 or T, 1 or B)``) are sliced, the rest broadcast over the grid."""
    if isinstance(x, np.ndarray) and x.ndim == 3:
        return x[j] if x.shape[0] > 1 else x[0]
    return x


def _is_zero(x: Any) -> bool:
    """A scalar (or 0-d array) equal to 0: adding it, or taking the max with it of terms that
    are >= 0 or NaN, changes nothing, so that pass can be skipped."""
    return np.ndim(x) == 0 and float(x) == 0.0


def _is_output(a: np.ndarray, dst: dict[str, np.ndarray]) -> bool:
    """``a`` is one of the ``dst`` arrays other than ``t`` (a column to keep, never a grid to
    write over; ``t`` is written after the terms it is computed from)."""
    return any(a is v for key, v in dst.items() if key != "t")


def _chip_times(stages: list[tuple[Any, Any, Any, Any]], j: int, roofs: tuple[float, float, float, float],
                overlap: bool, per_stage: float, dst: dict[str, np.ndarray], scratch: _Scratch,
                times: bool = True, consume: bool = False) -> None:
    """:func:`~accelspec.perf.bounds.layout_times` for chip ``j`` on the ``T x B`` grid, written
    in place into ``dst`` (``t``, ``tc``, ``tm``, ``tl``, ``flops``, ``mem``, ``comm``: any subset;
    ``(T, B)`` arrays, views of the output columns).

    The same arithmetic, element by element, as ``layout_times`` and so as the scalar
    :func:`~accelspec.perf.bounds.decode_bound` (``step_times`` with ``n_chips=1.0``:
    ``t_compute = F / P``, ``t_memory = M / B``, ``t_comm = max(C_up / L_up, C_out / L_out)``,
    ``t = max(t_compute, t_memory, t_comm)`` or their sum without ``overlap``; stage sums in
    stage order, the first stage written rather than added to 0.0, the same value), without
    the temporaries: every grid-sized pass writes into ``dst`` or a reused scratch grid.
    ``stages``: ``stage_traffic_tiers`` of each stage; ``consume``: their FLOP and byte grids may
    be overwritten (by ``t_compute`` and ``t_memory``, when those are not asked for)."""
    grid = scratch.shape
    acc_t = dst["t"] if "t" in dst else scratch.get("acc:t")
    for s, (f, m, c, co) in enumerate(stages):
        c, co = _chip_part(c, j), _chip_part(co, j)
        first = s == 0

        def buf(key: str, src: Any = None, first: bool = first) -> np.ndarray:
            """Where this stage's value goes: the output for the first stage, else scratch to add;
            with ``consume``, the stage's own grid ``src`` rather than scratch."""
            if first and key == "t":
                return acc_t
            if first and key in dst:
                return dst[key]
            if consume and isinstance(src, np.ndarray) and src.shape == grid and not _is_output(src, dst):
                return src
            return scratch.get(key)

        if times:
            P, BW, L, LO = roofs
            tc = np.divide(_chip_part(f, j), P, out=buf("tc", f))
            tm = np.divide(_chip_part(m, j), BW, out=buf("tm", m))
            tl = np.where(c > 0.0, c / L, 0.0)
            if not (isinstance(co, float) and co == 0.0) and np.any(co):
                to = np.where(co > 0.0, co / LO, 0.0)
                tl = np.maximum(tl, to) if overlap else tl + to
            t = buf("t")
            if overlap:
                np.maximum(tc, tm, out=t)
                if not _is_zero(tl):
                    np.maximum(t, tl, out=t)
            else:
                np.add(tc, tm, out=t)
                if not _is_zero(tl):
                    np.add(t, tl, out=t)
            if not first:
                np.add(acc_t, t, out=acc_t)
                for key, v in (("tc", tc), ("tm", tm)):
                    if key in dst:
                        np.add(dst[key], v, out=dst[key])
            if "tl" in dst:
                if first:
                    np.copyto(dst["tl"], tl)
                else:
                    np.add(dst["tl"], tl, out=dst["tl"])
        for key, v in (("flops", f), ("mem", m)):
            if key in dst:
                v = _chip_part(v, j)
                if first and v is dst[key]:  # computed in place: x * 1.0 == x
                    if per_stage != 1.0:
                        np.multiply(v, per_stage, out=v)
                elif first:
                    np.multiply(v, per_stage, out=dst[key])
                else:
                    np.add(dst[key], v * per_stage, out=dst[key])
        if "comm" in dst:
            if first:
                np.copyto(dst["comm"], c + co)
            else:
                np.add(dst["comm"], c, out=dst["comm"])
                np.add(dst["comm"], co, out=dst["comm"])


def _limiter_codes(tc: np.ndarray, tm: np.ndarray, tl: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:func:`~accelspec.perf.bounds.limiter_code` as int8 (-1 where ``t`` is NaN), in byte-wide
    passes: ``2 - 2 [tc >= tm and tc >= tl] - [tc < tm and tm >= tl]`` (0 compute, 1 memory,
    2 interconnect; ties to compute, then memory)."""
    a = np.greater_equal(tc, tm)
    first = np.greater_equal(tc, tl)
    np.logical_and(first, a, out=first)
    second = np.greater_equal(tm, tl)
    np.logical_not(a, out=a)
    np.logical_and(second, a, out=second)
    code = np.multiply(first.view(np.int8), np.int8(-2))
    np.add(code, np.int8(2), out=code)
    np.subtract(code, second.view(np.int8), out=code)
    np.copyto(code, np.int8(-1), where=np.isnan(t))
    return code


def _grid_column(values: np.ndarray, before: int, after: int, dtype: Any) -> np.ndarray:
    """One grid axis as a flat column in row order: each value repeated ``after`` times, the
    whole tiled ``before`` times."""
    col = np.asarray(values, dtype=dtype)
    if col.size == 1 and col[0] == 0:  # one zero (the only model or chip): calloc'd, no pass over the memory
        return np.zeros(before * after, dtype=dtype)
    if after > 1:
        col = np.repeat(col, after)
    if before > 1:
        col = np.tile(col, before)  # a contiguous reshape of a new array
    return col.copy() if np.shares_memory(col, values) else col


#: every column ``sweep(columns=...)`` accepts besides the grid's own (``model``, ``chip``,
#: ``context_tokens``, ``batch``, ``n_chips``, always returned)
SWEEP_COLUMNS = ("precision", "layout", *COLUMNS, "limiter", "fits")
#: the per-scenario arrays each bound column is built from
_NEEDS = {
    "time [s]": ("t",), "time_low [s]": ("t_low",), "time_high [s]": ("t_high",), "compute_time [s]": ("tc",),
    "memory_time [s]": ("tm",), "comm_time [s]": ("tl",), "tokens_per_s_per_user [token/s]": ("t",),
    "tokens_per_s_per_chip [token/s]": ("t",), "intensity [FLOP/B]": ("flops", "mem"), "flop [FLOP]": ("flops",),
    "memory [B]": ("mem",), "comm [B]": ("comm",), "limiter": ("t", "tc", "tm", "tl"),
}
#: columns that need no bound (the memory search alone)
_MEMORY_ONLY = frozenset({"precision", "layout", "memory_per_chip [GB]", "capacity [GB]", "fits"})


def _wanted(columns: Any) -> frozenset[str]:
    """The columns asked for (all when ``columns`` is None); an unknown name is refused with
    the closest names."""
    if columns is None:
        return frozenset(SWEEP_COLUMNS)
    from .memory import InvalidArgumentError

    names = [columns] if isinstance(columns, str) else list(columns)
    by_short = {c.partition(" [")[0]: c for c in SWEEP_COLUMNS}
    want = set()
    for c in names:
        if c in ("model", "chip", "context_tokens", "batch", "n_chips"):
            continue
        full = c if c in SWEEP_COLUMNS else by_short.get(str(c))
        if full is None:
            import difflib

            close = difflib.get_close_matches(str(c), list(by_short) + list(SWEEP_COLUMNS), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise InvalidArgumentError("columns", f"no sweep column {c!r}{hint} (columns: "
                                       f"{', '.join(SWEEP_COLUMNS)})")
        want.add(full)
    return frozenset(want)


def _sweep_deployments(fn: Any, args: dict[str, Any]) -> Any:
    """``sweep(models, [Deployment, ...], ...)``: one sweep per deployment (its chip, chip count,
    layout and dtypes), stacked; a ``deployment`` column (DataFrame) or ``deployment_names``
    (arrays) says which row came from which."""
    import inspect

    from .memory import refuse_fixed

    deps = _as_list(args["chips"])
    if not all(getattr(d, "__accelspec_deployment__", False) for d in deps):
        raise DeploymentError("sweep: chips mixes deployments and chips; give Deployment(chip, n_chips) for each")
    refuse_fixed(fn, "sweep", args)
    if args["output"] == "xarray":
        raise DeploymentError("sweep: output='xarray' takes chips, not deployments (their axes differ)")
    params = inspect.signature(fn).parameters
    common = {k: args[k] for k in params if k not in ("models", "chips", "context_tokens", "batch", "n_chips",
                                                       "parallelism", "reserve", *MEM_KW, "precision")}
    parts = []
    for d in deps:
        dt = d.dtypes.kwargs()
        if d.dtypes.precision is not None:
            dt["precision"] = d.dtypes.precision
        parts.append(fn(args["models"], [getattr(d, "system", None) or d.chip], args["context_tokens"], args["batch"],
                        d.n_chips,
                        parallelism=d.parallelism, reserve=d.reserve, **dt, **common))
    labels = [d.assumptions() for d in deps]
    if args["output"] == "arrays":
        out: dict[str, Any] = {}
        names = ("model_names", "chip_names", "layout_names", "precision_names")
        for key in parts[0]:
            if key in names:
                continue
            if key in ("chip", "layout", "precision"):  # codes into each part's own name list: re-code
                vals = []
                for p in parts:
                    table = list(dict.fromkeys(np.concatenate([q[f"{key}_names"] for q in parts]).tolist()))
                    vals.append(np.array([table.index(x) for x in p[f"{key}_names"]], dtype=p[key].dtype)[p[key]])
                out[key] = np.concatenate(vals)
            else:
                out[key] = np.concatenate([p[key] for p in parts])
        out["deployment"] = np.concatenate([np.full(len(p["chip"]), i, dtype=np.int32) for i, p in enumerate(parts)])
        out["model_names"] = parts[0]["model_names"]
        for key in ("chip_names", "layout_names", "precision_names"):
            out[key] = np.array(list(dict.fromkeys(np.concatenate([p[key] for p in parts]).tolist())))
        out["deployment_names"] = np.array(labels)
        return out
    import pandas as pd

    frames = []
    for label, df in zip(labels, parts, strict=True):
        frames.append(df.assign(deployment=label))
    out_df = pd.concat(frames, ignore_index=True)
    out_df["deployment"] = pd.Categorical(out_df["deployment"], categories=labels)
    out_df.attrs.update(parts[0].attrs)
    return out_df


class _LayoutSearch:
    """For one model and chip count: the candidate layouts and, block by block of the ``T x B``
    grid, the index of the one each scenario uses and the bytes per chip it needs (default
    reserve). With ``parallelism`` auto this is the search of :func:`accelspec.fits` (least
    memory per chip; ties to fewer pipeline, context and data parallel ranks, then more TP),
    evaluated for every scenario at once with :func:`~accelspec.perf.memory.footprint_total` (the
    footprint total of :func:`~accelspec.memory_footprint`, to the last bit). A scenario's
    choice does not depend on the rest of the grid, so blocks (and :func:`sweep_iter`'s
    pieces) choose as one call would."""

    def __init__(self, model: Any, n: int, T: np.ndarray, B: np.ndarray, parallelism: Any,
                 mem_kw: dict[str, Any]):
        from .memory import candidates, memory_options

        self.T, self.B = T, B
        self.Bg = B.astype(float).reshape(1, -1)
        self.auto = parallelism is None or (isinstance(parallelism, str) and parallelism.strip().lower() == "auto")
        if not self.auto:
            lay = Parallelism.parse(parallelism, n)
            assert lay is not None
            lay.check(model)
            cands = [lay]
        elif n == 1:
            cands = [Parallelism()]
        else:
            cands = candidates(model, n, float(T.max()), float(B.max()))
            cands = [c for _, c in sorted(((*layout_preference(c), i), c) for i, c in enumerate(cands))]
        self.cands = cands
        # the footprint of memory_footprint() (same private kernels, one profile per model: no pint per candidate)
        self.prof = model_profile(model)
        self.opts = memory_options(model, weight_dtype=mem_kw.get("weight_dtype", "bf16"),
                             kv_dtype=mem_kw.get("kv_dtype", "bf16"), expert_dtype=mem_kw.get("expert_dtype"),
                             embedding_dtype=mem_kw.get("embedding_dtype"),
                             state_dtype=mem_kw.get("state_dtype", "bf16"),
                             activation_dtype=mem_kw.get("activation_dtype", "bf16"), prefill_chunk=8192,
                             reserve=None)

    def _usable(self, lay: Parallelism, T: np.ndarray) -> np.ndarray | None:
        """Where the layout can serve the scenario (None: everywhere); counts are >= 1."""
        ok_t = lay.cp <= T
        ok_b = (lay.dp == 1) | (lay.dp <= self.B) if self.auto else np.ones(self.B.size, dtype=bool)
        if ok_t.all() and ok_b.all():
            return None
        return ok_t.reshape(-1, 1) & ok_b.reshape(1, -1)

    def choose(self, t0: int, t1: int, need_total: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
        """For contexts ``T[t0:t1]`` x every batch: the candidate index per scenario (-1: none can
        shard the model; ``None``: every scenario uses the first) and the bytes per chip (NaN
        where none; ``None`` when not ``need_total`` and a single candidate leaves nothing to choose)."""
        from .memory import footprint_total

        T = self.T[t0:t1]
        Tg = T.astype(float).reshape(-1, 1)
        grid = (T.size, self.B.size)
        if not self.cands:
            return np.full(grid, -1), np.full(grid, np.nan)
        if len(self.cands) == 1:  # nothing to choose: the footprint only when a column asks for it
            lay = self.cands[0]
            ok = self._usable(lay, T)
            tot = footprint_total(self.prof, lay, np.maximum(Tg, lay.cp), self.Bg, self.opts) if need_total else None
            if ok is None:
                return None, tot
            return np.where(ok, 0, -1), None if tot is None else np.where(ok, tot, np.nan)
        # running argmin over the candidates (the first minimum wins, as np.argmin)
        best = np.full(grid, np.inf)
        choice = np.full(grid, -1)
        for li, lay in enumerate(self.cands):
            tot = footprint_total(self.prof, lay, np.maximum(Tg, lay.cp), self.Bg, self.opts)
            ok = self._usable(lay, T)
            better = tot < best if ok is None else ok & (tot < best)
            np.copyto(best, tot, where=better)
            choice[better] = li
        none = ~np.isfinite(best)
        if none.any():
            choice[none] = -1
            best[none] = np.nan
        return choice, best


def _block_bound(ln: Any, phase: str, Tb: np.ndarray, B2: np.ndarray, i: int, k: int, t0: int, t1: int,
                 sel: np.ndarray | None, nc: int, keys: list[str], res5: dict[str, np.ndarray], roofs: Any,
                 overlap: bool, routing: str, dom3: np.ndarray, innet3: np.ndarray, scratch: _Scratch) -> None:
    """The bound arrays ``keys`` of model ``i`` under layout ``ln`` at chip count ``k``, for the
    contexts ``t0:t1`` (``Tb``) x every batch and every chip, written into ``res5`` (where
    ``sel`` is true; everywhere when None)."""
    lay = ln.parallelism
    if len(ln.stages) > 1:  # a micro-batched pipeline: layout_times itself, chip by chip
        _pipeline_bound(ln, phase, Tb, B2, i, k, t0, t1, sel, nc, keys, res5, roofs, overlap, routing, dom3, innet3)
        return
    per_stage = float(lay.tp * lay.cp * lay.dp)
    views0 = {key: res5[key][i, 0, t0:t1, :, k] for key in keys}
    ends0 = [roofs(e, i, 0) for e, key in ((2, "t_low"), (0, "t_high")) if key in keys]
    # one chip, one stage, the whole block, no range pass: the stage's FLOP and byte grids go
    # straight into their columns (or into the time columns, divided in place there)
    direct = (nc == 1 and sel is None and len(ln.stages) == 1
              and all(np.array_equal(r, roofs(1, i, 0), equal_nan=True) for r in ends0))
    if direct:
        acc_t = views0["t"] if "t" in views0 else scratch.get("acc:t")
        bufs = [(views0.get("flops", views0.get("tc", scratch.get("f0"))), views0.get("mem", views0.get("tm", acc_t)))]
    else:
        bufs = [(scratch.get(f"f{s}"), scratch.get(f"m{s}")) for s in range(len(ln.stages))]
    # FLOPs, bytes and link bytes of each stage: chip-independent grids (link bytes per chip tier)
    stages = [stage_traffic_tiers(ln, st, phase, Tb, B2, routing=routing, domain=dom3, in_network=innet3,
                                  out=bufs[s]) for s, st in enumerate(ln.stages)]
    for j in range(nc):
        views = views0 if j == 0 else {key: res5[key][i, j, t0:t1, :, k] for key in keys}
        # where only part of the block uses this layout, compute it whole and copy that part
        dst = views if sel is None else {key: scratch.get("sel:" + key) for key in keys}
        nominal = roofs(1, i, j)
        ends = {key: roofs(e, i, j) for e, key in ((2, "t_low"), (0, "t_high")) if key in dst}
        _chip_times(stages, j, nominal, overlap, per_stage, {key: dst[key] for key in _BOUND_KEYS if key in dst},
                    scratch, times=bool(_TIME_KEYS.intersection(dst)), consume=direct)
        for key, end in ends.items():
            if np.array_equal(end, nominal, equal_nan=True):
                np.copyto(dst[key], dst["t"] if "t" in dst else scratch.get("acc:t"))
            else:
                _chip_times(stages, j, end, overlap, per_stage, {"t": dst[key]}, scratch)
        if sel is not None:
            for key in keys:
                np.copyto(views[key], dst[key], where=sel)


_LAYOUT_TIMES_KEYS = ("tc", "tm", "tl", "t", "flops", "mem", "comm")


def _pipeline_bound(ln: Any, phase: str, Tb: np.ndarray, B2: np.ndarray, i: int, k: int, t0: int, t1: int,
                    sel: np.ndarray | None, nc: int, keys: list[str], res5: dict[str, np.ndarray], roofs: Any,
                    overlap: bool, routing: str, dom3: np.ndarray, innet3: np.ndarray) -> None:
    """:func:`_block_bound` for a pipeline-parallel layout: the micro-batched
    :func:`~accelspec.perf.bounds.layout_times` of the scalar bounds, on the block's grid."""
    for j in range(nc):
        kw: dict[str, Any] = {"domain": float(dom3[j, 0, 0]), "in_network": bool(innet3[j, 0, 0]), "routing": routing,
              "microbatch": True}
        P, BW, L, LO = roofs(1, i, j)
        got = dict(zip(_LAYOUT_TIMES_KEYS, layout_times(ln, phase, Tb, B2, P, BW, L, overlap, link_out=LO, **kw),
                       strict=True))
        for e, key in ((2, "t_low"), (0, "t_high")):
            if key in keys:
                P, BW, L, LO = roofs(e, i, j)
                got[key] = layout_times(ln, phase, Tb, B2, P, BW, L, overlap, link_out=LO, **kw)[3]
        for key in keys:
            dst = res5[key][i, j, t0:t1, :, k]
            val = np.broadcast_to(got[key], dst.shape)
            if sel is None:
                np.copyto(dst, val)
            else:
                np.copyto(dst, val, where=sel)


def _to_xarray(out: dict[str, np.ndarray], shape: tuple[int, ...], names: list[str], chip_ids: list[str],
               T: np.ndarray, B: np.ndarray, N: np.ndarray, prec_names: list[str], prec_code: np.ndarray,
               layout_names: list[str], meta: dict[str, Any], only_fitting: bool = False) -> Any:
    import xarray as xr

    dims = ("model", "chip", "context_tokens", "batch", "n_chips")
    data = {}
    fit_codes = out.get("_fits", out.get("fits"))
    for key, arr in out.items():
        if key in ("model", "chip", "context_tokens", "batch", "n_chips", "precision", "_fits"):
            continue
        name, _, unit = key.partition(" [")
        attrs: dict[str, Any] = {"units": unit.rstrip("]")} if unit else {}
        if key == "limiter":
            attrs = {"codes": list(LIMITERS)}
        if key == "layout":
            attrs = {"codes": list(layout_names)}
        if key == "fits":
            attrs = {"codes": "1 fits, 0 does not fit, -1 unknown (capacity not published)"}
        a = arr.reshape(shape)
        if only_fitting and a.dtype.kind == "f" and fit_codes is not None:
            a = np.where(fit_codes.reshape(shape) == 1, a, np.nan)
        data[name] = (dims, a, attrs)
    coords = {"model": names, "chip": chip_ids, "context_tokens": T, "batch": B, "n_chips": N,
              "precision": (("model", "chip"), np.asarray(prec_names, dtype=object)[prec_code].astype(str))}
    ds_attrs = {k: (str(v) if not isinstance(v, (str, int, float)) else v) for k, v in meta.items()}
    return xr.Dataset(data, coords=coords, attrs=ds_attrs)


def sweep_iter(models: str | Model | Iterable[str | Model],
               chips: str | Chip | System | Deployment | Iterable[str | Chip | System | Deployment],
               context_tokens: int | npt.ArrayLike, batch: int | npt.ArrayLike = 1, n_chips: int | npt.ArrayLike = 1,
               *, chunk_size: int = 1_000_000, **kwargs: Any) -> Iterator[Any]:
    """:func:`sweep` in pieces of at most ``chunk_size`` rows (at least one ``batch x n_chips``
    block, or one ``n_chips`` block when a single context already exceeds it), yielded in
    the row order of :func:`sweep`, so that a sweep of 10**7 scenarios or more runs in
    bounded memory: each piece is computed, returned and can be dropped before the next.

    Keywords as :func:`sweep` (``columns=``, ``output=``, ``only_fitting=``...). The pieces
    concatenated equal the unchunked result: ``pd.concat(sweep_iter(...), ignore_index=True)``
    has the same values as ``sweep(...)``; ``model`` and ``chip`` keep the whole sweep's
    categories, while ``layout`` and ``precision`` carry each piece's own (``pd.concat``
    turns them into strings when they differ). With ``output="arrays"`` the ``model`` and
    ``chip`` codes index the whole sweep's ``model_names`` / ``chip_names``.

    Pieces walk the grid model by model, chip by chip, then along ``context_tokens`` (and
    ``batch`` when needed); the layout search for a scenario does not depend on the rest of
    the grid, so each row is the same as in one call (and as the scalar bound).

    Parameters
    ----------
    models, chips, context_tokens, batch, n_chips
        The grid, as :func:`sweep` takes it (``n_chips`` may not be ``None`` here).
    chunk_size : int, optional
        Most rows per piece (default 1,000,000).
    **kwargs
        Any other keyword of :func:`sweep` but ``output="xarray"``.

    Yields
    ------
    pandas.DataFrame or dict of numpy.ndarray
        The pieces, in :func:`sweep`'s row order.

    Raises
    ------
    InvalidArgumentError
        ``chunk_size`` is not a positive whole number, or ``output="xarray"``; and whatever
        :func:`sweep` raises.
    """
    from .memory import InvalidArgumentError

    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidArgumentError("chunk_size", f"expected a positive whole number of rows, got {chunk_size!r}")
    if kwargs.get("output", "dataframe") == "xarray":
        raise InvalidArgumentError("output", "sweep_iter yields 'dataframe' or 'arrays' pieces; "
                                   "use sweep(output='xarray') for one Dataset")
    from ..hardware.catalog import get_chip
    from ..model.catalog import get_model

    model_objs = [get_model(m) for m in _as_list(models)]
    chip_objs = [get_chip(c) if isinstance(c, str) else c for c in _as_list(chips)]
    names = [m.id for m in model_objs]
    chip_ids = [c.id for c in chip_objs]
    if len(set(names)) != len(names):
        raise InvalidArgumentError("models", "the same model appears twice")
    if len(set(chip_ids)) != len(chip_ids):
        raise InvalidArgumentError("chips", "the same chip appears twice")
    T = _counts(context_tokens, "context_tokens")
    Bt = _counts(batch, "batch")
    N = _counts(n_chips, "n_chips")
    per_t = Bt.size * N.size
    if per_t <= chunk_size:
        t_step, b_step = max(1, int(chunk_size) // per_t), Bt.size
    else:
        t_step, b_step = 1, max(1, int(chunk_size) // N.size)
    for i, model in enumerate(model_objs):
        for j, chip in enumerate(chip_objs):
            for t0 in range(0, T.size, t_step):
                for b0 in range(0, Bt.size, b_step):
                    part = sweep([model], [chip], T[t0:t0 + t_step], Bt[b0:b0 + b_step], N, **kwargs)
                    if isinstance(part, dict):  # arrays: codes into the whole sweep's names
                        part["model"] = part["model"] + i
                        part["chip"] = part["chip"] + j
                        part["model_names"], part["chip_names"] = np.array(names), np.array(chip_ids)
                    else:
                        part["model"] = part["model"].cat.set_categories(names)
                        part["chip"] = part["chip"].cat.set_categories(chip_ids)
                    yield part
