"""Cartesian sweeps of the decode / prefill bounds, evaluated as numpy array arithmetic.

``sweep(models, chips, context_tokens, batch, n_chips)`` covers the 5-D grid ``(model, chip,
context_tokens, batch, n_chips)``. Without a layout (``parallelism=None``), each row is the
bound :func:`~accelspec.perf.bounds.decode_bound` / :func:`~accelspec.perf.bounds.prefill_bound`
give without one: for each model and chip count, the minimum over the candidate layouts that
fit in memory (micro-batched pipelines, every expert-parallel degree), per scenario and chip,
the same candidates, fit test and tie-break as the scalar search; the ``layout`` column names
the layout that attains it, ``memory_layout`` the layout :func:`accelspec.fits` chooses
(least memory per chip), to which the ``fits`` and ``memory_per_chip`` columns refer. Both
searches run for every (context, batch) at once: the memory fit on each candidate's
:func:`~accelspec.memory_footprint` total over the grid, the fastest layout either on the
scalar search's own layout table context by context (small blocks) or candidate by candidate
on the grid with the micro-batched :func:`~accelspec.perf.bounds.layout_times`, skipping the
candidates a bound shows cannot win there (a layout's time and footprint never fall as the
context or the batch grow). The bound columns then run the kernels of the scalar bounds
(:func:`~accelspec.perf.bounds.stage_traffic_tiers` and the arithmetic of
:func:`~accelspec.perf.bounds.layout_times`) once per chosen layout on broadcast arrays: no
Python loop per scenario, and each row equals the scalar call with no layout, and the scalar
call given that row's layout (``parallelism=row["layout"]``).

Speed: the ``context x batch`` grid is walked in blocks of about 64k scenarios, so that every
temporary (the layout search's footprints, a stage's FLOPs and bytes) is a small scratch block
that stays in cache; each output column is allocated once and written in place through its 5-D
view (``out=``), terms that are zero or equal to another are not recomputed, and only the
asked ``columns`` are computed. ``benchmarks/bench_core.py`` times it beside two hand-written
numpy floors (the one decode formula; every default column).
Each row also says whether the deployment fits in the chip's memory (``fits``,
``memory_per_chip [GB]`` under ``memory_layout``, ``capacity [GB]``). A million scenarios is
one call.

The result is a long-form pandas DataFrame (one row per scenario, units in the column names,
as :func:`accelspec.hardware.comparison` does), an xarray Dataset on the grid's dimensions
(``output="xarray"``), or the flat numpy arrays (``output="arrays"``). pandas and xarray are
imported only here, when a sweep runs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pint

from ..errors import DeploymentError, InvalidArgumentError
from ..hardware.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from ..inputs import counts
from .bounds import LIMITERS, layout_numbers, layout_table, layout_times, stage_traffic_tiers
from .kernels import DEFAULT_RESERVE, LAYOUT_TIE, MEM_KW, memory_time, preference_order
from .memory import Parallelism, capacity_bytes, model_profile, reserve_bytes
from .roofline import check_efficiency, compute_numbers

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
    "memory_per_chip [GB]": "memory needed per chip (memory_footprint of memory_layout and the dtypes, + reserve)",
    "capacity [GB]": "the chip's published memory capacity (NaN when unpublished)",
}


def _as_list(x: Any) -> list[Any]:
    if isinstance(x, (str, Chip)) or not isinstance(x, Iterable):
        return [x]
    return list(x)


#: the most rows (scenarios) one :func:`sweep` call holds in memory: about 164 B each at the peak
#: with every column (docs/roofline.md), so 5 * 10**7 rows is about 8 GB; larger grids stream
#: through :func:`sweep_iter` or :func:`accelspec.sweep_dask`
MAX_SWEEP_ROWS = 50_000_000


def _check_rows(rows: int) -> None:
    """Refuse a grid of more than :data:`MAX_SWEEP_ROWS` scenarios before anything is allocated."""
    if rows > MAX_SWEEP_ROWS:
        raise InvalidArgumentError(
            "context_tokens", f"the grid has {rows:,} rows (models x chips x contexts x batches x chip counts), "
            f"more than the {MAX_SWEEP_ROWS:,} one sweep() call holds in memory (~{rows * 164 / 1e9:,.0f} GB); "
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
    ``parallelism``: ``None``/``"auto"`` gives, for every scenario and chip, the bound the
    scalar calls give without a layout: the minimum over the layouts of ``n_chips`` that fit in
    memory (the same candidates, fit at the high end of the capacity with the default 2 GiB
    reserve, and tie-break; the minimum over all of them when none fits), named in ``layout``;
    ``memory_layout`` names the layout :func:`accelspec.fits` would choose (the same search,
    vectorized), whose verdict and memory the ``fits`` and ``memory_per_chip [GB]`` columns
    give. A strategy name (``"tp"``, ``"pp"``...) applies to every chip count; ``"tp=4,pp=2"``
    needs the matching ``n_chips``; with a layout given, ``layout`` and ``memory_layout`` are
    that layout.

    ``chips`` may name systems (``"gb200-nvl72"``) beside chips: a system's row uses its chip
    and its two-tier fabric (scale-up domain, scale-out bandwidth, in-network reduction) at the
    swept ``n_chips``; the ``chip`` column shows the system id. ``n_chips=None`` gives each
    entry its own count (a system's chip count, 1 for a chip; DataFrame output only). ``routing`` and ``collective``
    as in :func:`~accelspec.perf.bounds.decode_bound`.

    Memory: every row also says whether the deployment fits (``fits``, the same footprint
    as :func:`accelspec.memory_footprint` for ``memory_layout`` and the dtypes, with ``reserve``
    per chip as in :func:`accelspec.fits`: default 2 GiB, a fraction of capacity, or a
    quantity), the memory it needs per chip (``memory_per_chip [GB]``) and the chip's
    published capacity (``capacity [GB]``, NaN and ``fits`` missing when unpublished).
    Scenarios that do not fit keep their bound numbers; ``only_fitting=True`` drops them
    (DataFrame and arrays) or sets them to NaN (xarray).

    ``output``: ``"dataframe"`` (long form: ``model``, ``chip``, ``precision``,
    ``context_tokens``, ``batch``, ``n_chips``, ``layout``, ``memory_layout``, the
    :data:`COLUMNS`, ``limiter`` and ``fits``; ``attrs["layout"]`` says which layout each
    column refers to), ``"xarray"`` (a Dataset with dims ``model, chip, context_tokens, batch,
    n_chips``) or ``"arrays"`` (a dict of flat numpy arrays in DataFrame row order,
    ``limiter`` as codes into :data:`~accelspec.perf.bounds.LIMITERS`, ``layout`` and
    ``memory_layout`` as codes into ``layout_names`` and ``memory_layout_names``, ``fits`` as
    1 / 0 / -1 for unknown). ``on_missing="nan"`` gives NaN
    rows for a chip that lacks the precision, the memory bandwidth or (with ``n_chips > 1``)
    the scale-up bandwidth, instead of raising.

    Dtypes: as :func:`~accelspec.perf.bounds.decode_bound`, the weights default to the
    checkpoint's formats (``weight_dtype="native"``); the compute precision is chosen per
    (model, chip), bf16 with the weights upcast where the chip has no peak for the weights'
    format (``df.attrs["compute_fallback"]`` says where and why; the ``precision`` column
    is per row). A chip that publishes a memory bandwidth but no compute peak at any precision
    gets the memory-only bound, as ``decode_bound``: its ``compute_time [s]`` is NaN (unknown,
    not zero) and ``df.attrs["left_out"]`` names the term left out per chip.

    ``columns``: only these columns (full names such as ``"time [s]"`` or short ones such as
    ``"time"``; :data:`SWEEP_COLUMNS`) besides ``model``, ``chip``, ``context_tokens``,
    ``batch`` and ``n_chips``; only what they need is computed (no range runs without
    ``time_low``/``time_high``, no bound at all for memory-only columns; ``layout`` alone runs
    the layout search's step times, no more). For sweeps too large
    for memory see :func:`sweep_iter`. Memory (measured, docs/roofline.md): about 144 bytes
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
        The layout (default: the fastest that fits in memory, per scenario and chip, as the
        scalar bounds; ``memory_layout`` is the one :func:`accelspec.fits` chooses).
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
        bytes, limiter and layout, and the memory fit's layout and memory [GB]; ``attrs`` say
        what was assumed (``attrs["layout"]``: which layout each column refers to;
        ``attrs["layouts_searched"]``: the candidate layouts per model and chip count).

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
        for col in ("chip", "layout", "memory_layout"):
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
    cap_hi = np.full(nc, np.inf)  # the high end of the capacity range: the fastest layout's fit (inf: unpublished)
    res = np.full(nc, np.nan)
    # an on-chip tier read before the memory roof (the SN40L's SRAM), per range end and chip:
    # capacity 0 where there is none (roofline.ChipNumbers.fast_tier)
    fast_cap = np.zeros((3, nc))
    fast_bw = np.full((3, nc), np.inf)
    hw = [resolve_hardware(c) for c in chip_list]
    chip_objs = [c for c, _ in hw]
    chip_ids = [s.id if s is not None else c.id for c, s in hw]
    # compute precision per (model, chip): the weights' format, or bf16 (fp16) where the chip has no
    # peak for it and no precision was given (roofline.compute_numbers, said in dtypes_by_chip)
    prec_mc = [[str(dt.precision)] * nc for dt in dts]
    notes: dict[str, str] = {}
    left_out: dict[str, str] = {}  # chips whose compute term is left out (no peak published): memory-only rows
    no_peak = np.zeros(nc, dtype=bool)
    for j, chip in enumerate(chip_objs):
        for i, dt in enumerate(dts):
            try:
                cn, fb = compute_numbers(chip, dt, precision_given=precision is not None, sparse=sparse,
                                         need_bandwidth=on_missing == "raise", missing_peak="drop")
                if fb is not dt:  # no peak for the weights' format: computed as decode_bound does
                    prec_mc[i][j] = str(fb.precision)
                    notes[f"{model_objs[i].id} on {chip.id}"] = fb.label()
            except (UnsupportedPrecisionError, NotPublishedError):
                if on_missing == "raise":
                    raise
                continue  # NaN rows
            peak[:, i, j] = cn.peak
            if cn.missing:
                no_peak[j] = True
                left_out[chip_ids[j]] = cn.missing
            bw[:, j] = cn.bandwidth
            fast_cap[:, j], fast_bw[:, j] = cn.fast_capacity, cn.fast_bandwidth
            fab = fabric_numbers(chip, hw[j][1], cn.link, collective)
            link[:, j], link_out[:, j] = fab.up, fab.out
            domain[j], in_net[j] = fab.domain, fab.in_network
        if on_missing == "raise" and N.max() > 1 and np.isnan(link[1, j]):
            raise NotPublishedError(f"{chip.name}: no scale-up interconnect bandwidth published; a layout "
                                    f"over {int(N.max())} chips needs it")
        try:
            cap[j], _, cap_hi[j], _ = capacity_bytes(chip, None)
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
    # per (model, chip count): the index of the candidate layout each scenario uses, then its code in
    # layout_names: ``layout`` per chip (the fastest that fits depends on the chip), ``memory_layout``
    # (the memory fit's choice) chip-independent
    want_layout = "layout" in want
    want_mem_layout = "memory_layout" in want
    lay_code = np.empty((nm, nc, T.size, Bt.size, N.size) if want_layout else (0, 0, 0, 0, 0), dtype=np.int16)
    mem_code = np.empty((nm, 1, T.size, Bt.size, N.size) if want_mem_layout else (0, 1, 0, 0, 0), dtype=np.int16)
    need = np.empty((nm, 1, T.size, Bt.size, N.size)) if need_mem else None  # bytes per chip, default reserve
    layout_names: list[str] = []
    memory_layout_names: list[str] = []
    searched: dict[str, int] = {}  # "model x n": candidate layouts scored, where the fastest was searched
    T2 = T.astype(float).reshape(-1, 1)
    B2 = Bt.astype(float).reshape(1, -1)
    dom3, innet3 = domain.reshape(nc, 1, 1), in_net.reshape(nc, 1, 1)
    no_link3 = np.isnan(link[1]).reshape(nc, 1, 1)
    # the grid is walked in blocks of whole contexts, ~32k scenarios each: every temporary of the
    # bound and of the footprint is a cache-sized scratch block, and each output is written once
    rows = max(1, min(T.size, _BLOCK // max(1, Bt.size * (nc if _auto(parallelism) and N.max() > 1 else 1))))
    scratch = _Scratch(rows, Bt.size)

    def roofs(e: int, i: int, j: int) -> tuple[float, float, float, float]:
        """(peak, bandwidth, scale-up, scale-out) of chip j for model i at range end e, with the efficiencies."""
        return (float(peak[e, i, j] * effs[0]), float(bw[e, j] * effs[1]), float(link[e, j] * effs[2]),
                float(link_out[e, j] * effs[2]))

    def tier(e: int, j: int) -> tuple[float, float] | None:
        """The on-chip tier of chip j at range end e (capacity, bandwidth x efficiency), None without one."""
        return (float(fast_cap[e, j]), float(fast_bw[e, j] * effs[1])) if fast_cap[e, j] > 0 else None

    # the nominal tiers of every chip, (nc, 1, 1) each, for the layout search (None: no chip has one)
    tiers3 = ((fast_cap[1].reshape(nc, 1, 1), (fast_bw[1] * effs[1]).reshape(nc, 1, 1))
              if (fast_cap[1] > 0).any() else None)
    any_missing = False  # some scenario that no layout can serve (NaN rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, model in enumerate(model_objs):
            # nominal roofs of every chip for this model, (nc, 1, 1): the layout search's step times
            roofs3 = tuple(np.reshape(x, (nc, 1, 1)) for x in (peak[1, i] * effs[0], bw[1] * effs[1],
                                                              link[1] * effs[2], link_out[1] * effs[2]))
            for k, n in enumerate(N.tolist()):
                search = _LayoutSearch(model, int(n), T, Bt, parallelism, mem_kw)
                lays = search.cands
                fast = search.fastest_search and (need_times or want_layout)
                if fast:
                    searched[f"{model.id} x {int(n)}"] = search.n_layouts
                used = np.zeros(len(lays) + 1, dtype=bool)
                mem_used = np.zeros(len(lays) + 1, dtype=bool)
                lns: dict[int, Any] = {}

                def numbers(li: int, lns: dict[int, Any] = lns, model: Any = model, lays: list[Any] = lays) -> Any:
                    if li not in lns:
                        lns[li] = layout_numbers(model, lays[li], weight_dtype, **kw)
                    return lns[li]

                def step_time(li: int, t0: int, t1: int, c0: int, c1: int, n: int = int(n), numbers: Any = numbers,
                              roofs3: tuple[np.ndarray, ...] = roofs3) -> np.ndarray:
                    """Nominal step time of candidate ``li`` on every chip, (nc, t1 - t0, c1 - c0),
                    at batches ``c0:c1``: the micro-batched :func:`layout_times` of the scalar
                    bounds and of their search."""
                    P, BW, L, LO = roofs3
                    t = layout_times(numbers(li), phase, T2[t0:t1], B2[:, c0:c1], P, BW, L, overlap, link_out=LO,
                                     domain=dom3, in_network=innet3, routing=routing, microbatch=True,
                                     time_only=True, fast=tiers3)[3]
                    t = np.broadcast_to(t, (nc, t1 - t0, c1 - c0))
                    # a chip without a scale-up bandwidth serves no layout of several chips (decode_bound raises)
                    return np.where(no_link3, np.nan, t) if n > 1 and no_link3.any() else t

                probe: dict[int, Any] = {}  # the layout table repeated per batch, and each row's batch

                def table_times(t: float, b: np.ndarray, n: int = int(n), probe: dict[int, Any] = probe,
                                model: Any = model, search: _LayoutSearch = search, i: int = i) -> np.ndarray:
                    """Every layout's nominal step time at context ``t`` and each batch of ``b`` on
                    every chip, ``(nc, b.size, layouts)``: the scalar search's vectorized table,
                    one row per (batch, layout, stage), one call per chip (the per-context costs
                    shared by chips of one fabric)."""
                    g, L = b.size, search.n_layouts
                    if g not in probe:
                        tab = layout_table(model, search.every, weight_dtype, kw).take(np.tile(np.arange(L), g))
                        per = np.bincount(tab.row_of, minlength=g * L)  # rows of each (batch, layout)
                        probe[g] = (tab, np.repeat(np.repeat(np.arange(g), L), per))
                    tab, run_of = probe[g]
                    out = np.empty((nc, g, L))
                    for j in range(nc):
                        if n > 1 and no_link3[j, 0, 0]:
                            out[j] = np.nan
                            continue
                        out[j] = tab.times(phase, t, b[run_of], roofs(1, i, j), overlap, routing, float(domain[j]),
                                           bool(in_net[j]), tier(1, j)).reshape(g, L)
                    return out

                # rows of the scalar search's layout table (every layout's distinct stages)
                table_rows = layout_table(model, search.every, weight_dtype, kw).row_of.size if fast else 0
                for t0 in range(0, T.size, rows):
                    t1 = min(T.size, t0 + rows)
                    scratch.rows = t1 - t0
                    choice: np.ndarray | None
                    mem_choice: np.ndarray | None
                    total: np.ndarray | None
                    if fast:
                        mem_choice, total, choice = search.fastest_choice(
                            t0, t1, lambda li, r0, r1, c0, c1, t0=t0: step_time(li, t0 + r0, t0 + r1, c0, c1),
                            cap_hi, table_times, table_rows)
                    else:
                        mem_choice, total = search.choose(t0, t1, need_mem)
                        choice = mem_choice
                    if need is not None:
                        need[i, 0, t0:t1, :, k] = total
                    if mem_choice is None:
                        mem_used[0] = True
                    else:
                        mem_used[mem_choice] = True  # choice -1 marks the last entry: missing
                    if want_mem_layout:
                        mem_code[i, 0, t0:t1, :, k] = 0 if mem_choice is None else mem_choice
                    if want_layout:
                        lay_code[i, :, t0:t1, :, k] = 0 if choice is None else choice
                    if choice is None:
                        used[0] = True
                    else:
                        used[choice] = True
                        missing = choice < 0
                        if missing.any():
                            any_missing = True
                            for key in keys:
                                np.copyto(res5[key][i, :, t0:t1, :, k], np.nan, where=missing)
                    if not need_times:
                        continue
                    for li in range(len(lays)):
                        sel = None if choice is None else choice == li
                        if sel is not None:
                            if not sel.any():
                                continue
                            if sel.all():
                                sel = None
                        _block_bound(numbers(li), phase, T2[t0:t1], B2, i, k, t0, t1, sel, nc, keys, res5, roofs,
                                     overlap, routing, dom3, innet3, scratch, tier)
                # codes into layout_names, in the order the candidates were tried (as the scalar search)
                for flags, names_, codes_all, wanted in ((used, layout_names, lay_code, want_layout),
                                                         (mem_used, memory_layout_names, mem_code, want_mem_layout)):
                    table = np.full(len(lays) + 1, -1, dtype=np.int16)
                    for li, lay in enumerate(lays):
                        if flags[li]:
                            if lay.n_chips > 1 and on_missing == "raise" and np.isnan(link[1]).any():
                                bad = chip_objs[int(np.flatnonzero(np.isnan(link[1]))[0])]
                                raise NotPublishedError(f"{bad.name}: no scale-up interconnect bandwidth "
                                                        f"published; {lay} over {lay.n_chips} chips needs it")
                            if str(lay) not in names_:
                                names_.append(str(lay))
                            table[li] = names_.index(str(lay))
                    if wanted and not np.array_equal(table[:-1], np.arange(len(lays))):
                        codes = codes_all[i, :, :, :, k]
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

    def compute_time() -> np.ndarray:
        """The compute term; NaN (unknown, not zero) on a chip that publishes no peak."""
        if not no_peak.any():
            return res_flat["tc"]
        col = res_flat["tc"].copy()
        col.reshape(shape)[:, no_peak] = np.nan
        return col

    build: dict[str, Any] = {  # each column built only when asked for
        "precision": lambda: into(np.copyto, prec_code.reshape(nm, nc, 1, 1, 1), dtype=np.int8),
        "layout": lambda: lay_code.reshape(-1),
        "memory_layout": lambda: mem_code.reshape(-1) if nc == 1 else into(np.copyto, mem_code, dtype=np.int16),
        "time [s]": lambda: res_flat["t"],
        "time_low [s]": lambda: res_flat["t_low"],
        "time_high [s]": lambda: res_flat["t_high"],
        "compute_time [s]": compute_time,
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
            "compute_fallback": notes, "limiters": LIMITERS, "left_out": left_out,
            "reserve": "2 GiB per chip" if reserve is None else str(reserve),
            "routing": routing + (" (expected distinct experts: bounds under balanced routing)"
                                  if routing == "balanced" else " (fewest distinct experts: strict bounds)"),
            "collectives": {cid: ("in-network all-reduce" if in_net[j] else "ring all-reduce")
                            + (f", scale-up domain {domain[j]:g} chips" if np.isfinite(domain[j])
                               else ", every group within one scale-up domain (no system given)")
                            for j, cid in enumerate(chip_ids)},
            "layout": _layout_note(parallelism, N), "layouts_searched": searched}
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
        out["memory_layout_names"] = np.array(memory_layout_names)
        out["precision_names"] = np.array(prec_names)
        return out
    if output == "xarray":
        if only_fitting and fit_codes is not None:
            out["_fits"] = fit_codes
        return _to_xarray(out, shape, names, chip_ids, T, Bt, N, prec_names, prec_code,
                          {"layout": layout_names, "memory_layout": memory_layout_names}, meta,
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
    mem_lay_codes = out.pop("memory_layout", None)
    for key in ("context_tokens", "batch", "n_chips"):
        cols[key] = out.pop(key)
    if lay_codes is not None:
        cols["layout"] = pd.Categorical.from_codes(lay_codes, categories=pd.Index(layout_names))
    if mem_lay_codes is not None:
        cols["memory_layout"] = pd.Categorical.from_codes(mem_lay_codes, categories=pd.Index(memory_layout_names))
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
#: the cost model that picks how the layout search scores the candidates of a block
#: (:meth:`_LayoutSearch.fastest_choice`) [s]: a layout-table call (one chip) and each of its
#: rows; a layout_times stage and each of its grid cells (every chip at once). Measured on a
#: development machine: only the ratios matter.
_COST = {"call": 2.5e-4, "row": 1.4e-7, "stage": 1.0e-4, "cell": 1.5e-8}
#: the most rows of a layout table repeated per batch (about 200 B each, and as much again in
#: temporaries) that the layout search builds; beyond, the grid without pruning
_TABLE_ROWS = 250_000
#: tests: ``"table"``, ``"grid"`` or ``"pruned"`` forces one way of the layout search
_SEARCH_PATH: str | None = None




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
                times: bool = True, consume: bool = False, fast: tuple[float, float] | None = None) -> None:
    """:func:`~accelspec.perf.bounds.layout_times` for chip ``j`` on the ``T x B`` grid, written
    in place into ``dst`` (``t``, ``tc``, ``tm``, ``tl``, ``flops``, ``mem``, ``comm``: any subset;
    ``(T, B)`` arrays, views of the output columns).

    The same arithmetic, element by element, as ``layout_times`` and so as the scalar
    :func:`~accelspec.perf.bounds.decode_bound` (``step_times`` with ``n_chips=1.0``:
    ``t_compute = F / P``, ``t_memory = M / B``, ``t_comm = max(C_up / L_up, C_out / L_out)``,
    ``t = max(t_compute, t_memory, t_comm)`` or their sum without ``overlap``; stage sums in
    stage order, the first stage written rather than added to 0.0, the same value), without
    the temporaries: every grid-sized pass writes into ``dst`` or a reused scratch grid.
    ``fast``: the chip's on-chip tier read before ``B`` (``t_memory`` is then
    :func:`~accelspec.perf.kernels.tier_time`, as ``step_times``).
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
            if fast is None:
                tm = np.divide(_chip_part(m, j), BW, out=buf("tm", m))
            else:  # the SRAM first (kernels.memory_time, as step_times)
                tm = buf("tm", m)
                np.copyto(tm, memory_time(_chip_part(m, j), 1.0, BW, fast))
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
SWEEP_COLUMNS = ("precision", "layout", "memory_layout", *COLUMNS, "limiter", "fits")
#: the per-scenario arrays each bound column is built from
_NEEDS = {
    "time [s]": ("t",), "time_low [s]": ("t_low",), "time_high [s]": ("t_high",), "compute_time [s]": ("tc",),
    "memory_time [s]": ("tm",), "comm_time [s]": ("tl",), "tokens_per_s_per_user [token/s]": ("t",),
    "tokens_per_s_per_chip [token/s]": ("t",), "intensity [FLOP/B]": ("flops", "mem"), "flop [FLOP]": ("flops",),
    "memory [B]": ("mem",), "comm [B]": ("comm",), "limiter": ("t", "tc", "tm", "tl"),
}
#: columns that need no bound (the memory search alone)
#: (``layout`` without a given layout on several chips needs the step times of the layout search, no more)
_MEMORY_ONLY = frozenset({"precision", "layout", "memory_layout", "memory_per_chip [GB]", "capacity [GB]", "fits"})


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
        names = ("model_names", "chip_names", "layout_names", "memory_layout_names", "precision_names")
        for key in parts[0]:
            if key in names:
                continue
            if key in ("chip", "layout", "memory_layout", "precision"):  # codes into each part's own name list: re-code
                vals = []
                for p in parts:
                    table = list(dict.fromkeys(np.concatenate([q[f"{key}_names"] for q in parts]).tolist()))
                    vals.append(np.array([table.index(x) for x in p[f"{key}_names"]], dtype=p[key].dtype)[p[key]])
                out[key] = np.concatenate(vals)
            else:
                out[key] = np.concatenate([p[key] for p in parts])
        out["deployment"] = np.concatenate([np.full(len(p["chip"]), i, dtype=np.int32) for i, p in enumerate(parts)])
        out["model_names"] = parts[0]["model_names"]
        for key in ("chip_names", "layout_names", "memory_layout_names", "precision_names"):
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


def _layout_note(parallelism: Any, N: np.ndarray) -> str:
    """What the ``layout`` and ``memory_layout`` columns are (``attrs["layout"]``)."""
    mem = ("memory_layout: the layout accelspec.fits chooses (least memory per chip), to which the fits and "
           "memory_per_chip [GB] columns refer")
    if not _auto(parallelism):
        return f"layout: the given layout ({parallelism}), for every column; {mem.partition(':')[0]} the same"
    if N.max() <= 1:
        return f"layout: single chip; {mem}"
    return ("layout: the fastest layout that fits in memory (high end of the capacity range, 2 GiB reserve), per "
            "scenario and chip: the minimum over the candidate layouts (attrs['layouts_searched'] counts them), as "
            "decode_bound / prefill_bound without parallelism; the bound columns are that layout's; " + mem
            + " (its own time is decode_bound(..., parallelism=memory_layout))")


def _auto(parallelism: Any) -> bool:
    """No layout given (``None`` or ``"auto"``): the layout is searched for."""
    return parallelism is None or (isinstance(parallelism, str) and parallelism.strip().lower() == "auto")


class _LayoutSearch:
    """For one model and chip count: the candidate layouts and, block by block of the ``T x B``
    grid, the index of the one each scenario uses and the bytes per chip it needs (default
    reserve). A scenario's choice does not depend on the rest of the grid, so blocks (and
    :func:`sweep_iter`'s pieces) choose as one call would.

    Two searches, on one list of candidates in the order of the scalar searches' tie-break
    (:func:`~accelspec.perf.kernels.layout_preference`, then the order of
    :func:`~accelspec.perf.memory.layouts` with every ``ep``):

    * :meth:`choose`, the memory fit (``memory_layout``): the search of :func:`accelspec.fits`
      (least memory per chip among the layouts of :func:`~accelspec.perf.memory.layouts`),
      evaluated for every scenario at once with :func:`~accelspec.perf.memory.footprint_total`
      (the footprint total of :func:`~accelspec.memory_footprint`, to the last bit);
    * :meth:`fastest_choice` (``layout``, with ``parallelism`` auto on several chips): the search
      of :func:`~accelspec.perf.bounds.decode_bound` / :func:`~accelspec.perf.bounds.prefill_bound`
      without a layout: every candidate (every ``ep``) with ``cp <= context`` and ``dp <= batch``
      (or ``dp = 1``), its micro-batched step time per chip, the least time among those whose
      footprint total is within the high end of the chip's capacity range, else among all;
      ties (:data:`~accelspec.perf.kernels.LAYOUT_TIE`) to the first in the order above. A loop
      over the contexts (the layout table) or over the candidates (the grid), never over scenarios.
    """

    def __init__(self, model: Any, n: int, T: np.ndarray, B: np.ndarray, parallelism: Any,
                 mem_kw: dict[str, Any]):
        from .memory import layouts, memory_options

        self.T, self.B = T, B
        self.Bg = B.astype(float).reshape(1, -1)
        self.auto = _auto(parallelism)
        self.fastest_search = self.auto and n > 1
        if not self.auto:
            lay = Parallelism.parse(parallelism, n)
            assert lay is not None
            lay.check(model)
            cands = [lay]
        elif n == 1:
            cands = [Parallelism()]
        else:
            every = layouts(model, n, every_ep=True)
            self.model, self.n, self.every, self.n_layouts = model, n, every, len(every)
            order = preference_order(every)
            tmax, bmax = float(T.max()), float(B.max())
            # none with more context-parallel ranks than the longest context or replicas than the largest batch
            self.order = np.array([i for i in order if not (every[i].cp > tmax or (every[i].dp > 1
                                                                                    and every[i].dp > bmax))],
                                  dtype=np.intp)
            cands = [every[i] for i in self.order]
            lay_cols = np.array([(c.cp, c.dp) for c in cands], dtype=float).reshape(-1, 2)
            self.cp_c, self.dp_c = lay_cols[:, 0], lay_cols[:, 1]
        self.cands = cands
        mem = set(layouts(model, n)) if self.fastest_search else set(cands)
        self.mem_idx = [li for li, c in enumerate(cands) if c in mem]  # the memory search's candidates, in order
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
        B = self.B
        ok_t = lay.cp <= T
        ok_b = (lay.dp == 1) | (lay.dp <= B) if self.auto else np.ones(B.size, dtype=bool)
        if ok_t.all() and ok_b.all():
            return None
        return ok_t.reshape(-1, 1) & ok_b.reshape(1, -1)

    def _total(self, lay: Parallelism, T: np.ndarray) -> np.ndarray:
        """The footprint total per chip [B] (default reserve) on ``T`` x every batch."""
        from .memory import footprint_total

        Tg = T.astype(float).reshape(-1, 1)
        return footprint_total(self.prof, lay, np.maximum(Tg, lay.cp), self.Bg, self.opts)

    def choose(self, t0: int, t1: int, need_total: bool) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The memory fit: for contexts ``T[t0:t1]`` x every batch, the candidate index per scenario
        (-1: none can shard the model; ``None``: every scenario uses the first) and the bytes per
        chip (NaN where none; ``None`` when not ``need_total`` and a single candidate leaves
        nothing to choose)."""
        T = self.T[t0:t1]
        grid = (T.size, self.B.size)
        if not self.mem_idx:
            return np.full(grid, -1), np.full(grid, np.nan)
        if len(self.cands) == 1:  # nothing to choose: the footprint only when a column asks for it
            lay = self.cands[0]
            ok = self._usable(lay, T)
            tot = self._total(lay, T) if need_total else None
            if ok is None:
                return None, tot
            return np.where(ok, 0, -1), None if tot is None else np.where(ok, tot, np.nan)
        best = np.full(grid, np.inf)
        choice = np.full(grid, -1)
        for li in self.mem_idx:
            tot = self._total(self.cands[li], T)
            self._least(li, tot, best, choice, self._usable(self.cands[li], T))
        return self._done(choice, best)

    @staticmethod
    def _least(li: int, tot: np.ndarray, best: np.ndarray, choice: np.ndarray, ok: np.ndarray | None) -> None:
        """Running argmin of the bytes per chip ``tot`` (the first minimum wins, as np.argmin)."""
        better = tot < best if ok is None else ok & (tot < best)
        np.copyto(best, tot, where=better)
        choice[better] = li

    @staticmethod
    def _done(choice: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        none = ~np.isfinite(best)
        if none.any():
            choice[none] = -1
            best[none] = np.nan
        return choice, best

    def corners(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate's footprint total per chip [B] (default reserve) at the block's smallest
        and at its largest context and batch (one vectorized pass each, the memory search's
        table): a layout's footprint never falls as the context or the batch grow, so these
        bound it on the whole block."""
        from .memory import footprint_table

        tab = footprint_table(self.prof, self.n, self.opts, every_ep=True)
        lo = tab.totals(float(T.min()), float(self.B.min()), self.opts)[self.order]
        hi = tab.totals(float(T.max()), float(self.B.max()), self.opts)[self.order]
        return lo, hi

    def live_boxes(self, T: np.ndarray, table_times: Any,
                   cap_high: np.ndarray) -> list[tuple[int, int, int, int] | None]:
        """Per candidate, the part of the block ``T`` x every batch where it may be the fastest
        that fits on some chip: a box ``(r0, r1, c0, c1)`` of rows (contexts) and columns
        (batches), or None where it cannot win anywhere; its step times are computed on that box
        only.

        A layout's step time and footprint never fall as the context or the batch grow. The block
        is cut into tiles (:func:`_runs`: at most 4 runs of contexts x 8 of batches). In a tile, a
        candidate ``Y`` usable on the whole tile whose footprint at the tile's largest context and
        batch fits (the high end of the capacity) serves every scenario in at most ``upper_Y``,
        its time at that corner; any ``X`` whose time at the tile's smallest context and batch,
        ``lower_X``, exceeds the least such ``upper`` on every chip (with a margin of 1e-9 for
        the rounding of the two evaluations) is slower than the chosen layout everywhere in the
        tile. ``table_times(t, b)``: every layout's time at context ``t`` and at each batch of
        ``b`` (one per column run) on every chip, ``(nc, runs, layouts)`` in the order of
        :func:`~accelspec.perf.memory.layouts` with every ``ep``, in one vectorized pass
        (:func:`~accelspec.perf.bounds.layout_table`, the scalar search's table)."""
        from .memory import footprint_table

        fp_tab = footprint_table(self.prof, self.n, self.opts, every_ep=True)
        rows, cols = _runs(T, 4), _runs(self.B, 8)
        b_lo = np.array([self.B[c0:c1].min() for c0, c1 in cols], dtype=float)
        b_hi = np.array([self.B[c0:c1].max() for c0, c1 in cols], dtype=float)
        cap = cap_high.reshape(-1, 1, 1)
        live = np.zeros((len(rows), len(cols), len(self.cands)), dtype=bool)
        for r, (r0, r1) in enumerate(rows):
            t_lo, t_hi = float(T[r0:r1].min()), float(T[r0:r1].max())
            lower = table_times(t_lo, b_lo)[:, :, self.order]  # (nc, column runs, candidates)
            upper = table_times(t_hi, b_hi)[:, :, self.order]
            fp_hi = np.array([fp_tab.totals(t_hi, b, self.opts)[self.order] for b in b_hi])  # (column runs, cands)
            everywhere = (self.cp_c <= t_lo) & ((self.dp_c == 1) | (self.dp_c <= b_lo.reshape(-1, 1)))
            sure = everywhere & (fp_hi <= cap) & np.isfinite(upper)
            threshold = np.where(sure, upper, np.inf).min(axis=2, initial=np.inf)
            with np.errstate(invalid="ignore"):
                live[r] = ~(lower > threshold[:, :, None] * (1.0 + 1e-9)).all(axis=0)
        boxes: list[tuple[int, int, int, int] | None] = []
        for li in range(len(self.cands)):
            rr, cc = np.nonzero(live[:, :, li])
            if rr.size == 0:
                boxes.append(None)
                continue
            boxes.append((rows[rr.min()][0], rows[rr.max()][1], cols[cc.min()][0], cols[cc.max()][1]))
        return boxes

    def _everywhere(self, T: np.ndarray) -> np.ndarray:
        """Candidates usable on every scenario of ``T`` x every batch."""
        out: np.ndarray = (self.cp_c <= T.min()) & ((self.dp_c == 1) | (self.dp_c <= self.B.min()))
        return out

    def fastest_choice(self, t0: int, t1: int, step_time: Any, cap_high: np.ndarray, table_times: Any,
                       table_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both searches on contexts ``T[t0:t1]`` x every batch: ``(memory choice, its bytes per
        chip, fastest choice)``, the first two as :meth:`choose` (``(rows, B)``), the last per chip
        (``(nc, rows, B)``; where no candidate has a finite time, the memory choice, as the scalar
        search falls back to it).

        ``cap_high``: each chip's capacity, high end [B] (inf when unpublished: every layout
        fits). The candidates' step times come one of two ways, whichever a cost model
        (:data:`_COST`) says does less work:

        * context by context, ``table_times(t, b)`` (every layout at context ``t`` and each batch
          of ``b`` on every chip, ``(nc, b.size, layouts)``: the scalar search's own vectorized
          table, ``table_rows`` rows per chip and batch, so the same numbers), the minimum taken
          over the layouts axis (few contexts, many layouts or chips);
        * candidate by candidate, ``step_time(li, r0, r1, c0, c1)`` (its nominal step time on
          every chip at contexts ``T[t0 + r0:t0 + r1]`` x batches ``B[c0:c1]``, ``(nc, r1 - r0,
          c1 - c0)``: the micro-batched :func:`~accelspec.perf.bounds.layout_times` of the bounds)
          on the part of the block where it may win (:meth:`live_boxes`, when that pruning pays).

        The footprint bounds of :meth:`corners` skip the footprint grid of a candidate that fits
        everywhere or nowhere and cannot need the least memory."""
        T = self.T[t0:t1]
        nc = cap_high.size
        cap = cap_high.reshape(nc, 1)
        fp_lo, fp_hi = self.corners(T)
        margin = 1.0 + 1e-12  # the table's totals are footprint_total's to the last bit; a margin all the same
        # the memory fit, skipping the candidates that cannot be the least: more at the smallest
        # inputs than one usable everywhere needs at the largest
        is_mem = np.zeros(len(self.cands), dtype=bool)
        is_mem[self.mem_idx] = True
        least_hi = np.where(is_mem & self._everywhere(T), fp_hi, np.inf).min(initial=np.inf)
        grid = (T.size, self.B.size)
        mem_best, mem_choice = np.full(grid, np.inf), np.full(grid, -1)
        totals: dict[int, np.ndarray] = {}
        for li in np.flatnonzero(is_mem & ~(fp_lo > least_hi * margin)).tolist():
            ok = self._usable(self.cands[li], T)
            if ok is None or ok.any():
                tot = self._total(self.cands[li], T)
                self._least(li, tot, mem_best, mem_choice, ok)
                if T.size * self.B.size <= _BLOCK // 16:
                    totals[li] = tot
        mem_choice, mem_best = self._done(mem_choice, mem_best)
        fits_all: np.ndarray = np.asarray((fp_hi <= cap).all(axis=0))  # on every chip, everywhere
        fits_none: np.ndarray = np.asarray((fp_lo > cap * margin).all(axis=0))  # on no chip, nowhere

        keep = T.size * self.B.size <= _BLOCK // 16  # small grids: keep each footprint computed (large: recompute)

        def total(li: int) -> np.ndarray:
            got = totals.get(li)
            if got is None:
                got = self._total(self.cands[li], T)
                if keep:
                    totals[li] = got
            return got

        # the cheaper way, by a cost model (seconds measured on the development machine; their
        # ratios decide): a table call per context, or a layout_times per candidate stage
        R = float(table_rows)  # table rows of one (chip, batch) instance: every layout's distinct stages
        cells = float(nc * T.size * self.B.size)
        est_table = T.size * nc * (_COST["call"] + self.B.size * R * _COST["row"])

        def est_grid(boxes: list[tuple[int, int, int, int] | None]) -> float:
            # a pipeline stage twice: the whole step and one unit (the micro-batched fill)
            return sum(lay.pp * (1 if lay.pp == 1 else 2) * (_COST["stage"] + nc * (b[1] - b[0]) * (b[3] - b[2])
                                                               * _COST["cell"])
                       for lay, b in zip(self.cands, boxes, strict=True) if b is not None)

        whole: list[tuple[int, int, int, int] | None] = [(0, T.size, 0, self.B.size)] * len(self.cands)
        boxes = whole
        g = est_grid(whole)
        est_prune = 2 * len(_runs(T, 4)) * nc * (_COST["call"] + len(_runs(self.B, 8)) * R * _COST["row"])
        if self.B.size * R > _TABLE_ROWS:
            est_table = math.inf
        if len(_runs(self.B, 8)) * R > _TABLE_ROWS:
            est_prune = math.inf
        way = _SEARCH_PATH or ("table" if est_table <= min(g, est_prune + cells * _COST["cell"]) else
                               "pruned" if est_prune < g else "grid")
        if way == "pruned":
            boxes = self.live_boxes(T, table_times, cap_high)
            if _SEARCH_PATH is None and est_table < est_grid(boxes):
                way = "table"
        if way == "table":
            choice = self._by_table(T, table_times, cap_high, mem_choice, fits_all, fits_none, total)
        else:
            choice = self._by_grid(T, step_time, cap_high, mem_choice, fits_all, fits_none, total, boxes)
        return mem_choice, mem_best, choice

    def _by_table(self, T: np.ndarray, table_times: Any, cap_high: np.ndarray, mem_choice: np.ndarray,
                  fits_all: np.ndarray, fits_none: np.ndarray, total: Any) -> np.ndarray:
        """:meth:`fastest_choice` context by context with the layout table: the scalar search's
        own numbers and tie."""
        nc, nl = cap_high.size, len(self.cands)
        B = self.B.astype(float)
        need = np.zeros((T.size, self.B.size, nl))  # bytes per chip; 0 / inf where the corners decide
        need[:, :, fits_none] = np.inf
        for li in np.flatnonzero(~(fits_all | fits_none)).tolist():
            need[:, :, li] = total(li)
        cap3 = cap_high.reshape(nc, 1, 1)
        dp_ok = (self.dp_c == 1) | (self.dp_c <= B.reshape(-1, 1))  # (B, layouts)
        choice = np.empty((nc, T.size, self.B.size), dtype=np.intp)
        for r, t in enumerate(T.astype(float).tolist()):
            times = table_times(t, B)[:, :, self.order]  # (nc, B, layouts), candidates in rank order
            ok = np.isfinite(times)
            ok &= dp_ok & (self.cp_c <= t)
            fit = ok & (need[r] <= cap3)
            # the least time in the pool; ties (LAYOUT_TIE) to the first candidate (rank order), as the scalar search
            i_fit, i_any = (np.argmax(pool & (times <= np.where(pool, times, np.inf).min(axis=2, keepdims=True)
                                              * (1.0 + LAYOUT_TIE)), axis=2) for pool in (fit, ok))
            choice[:, r] = np.where(fit.any(axis=2), i_fit, np.where(ok.any(axis=2), i_any, mem_choice[r]))
        return choice

    def _by_grid(self, T: np.ndarray, step_time: Any, cap_high: np.ndarray, mem_choice: np.ndarray,
                 fits_all: np.ndarray, fits_none: np.ndarray, total: Any,
                 boxes: list[tuple[int, int, int, int] | None]) -> np.ndarray:
        """:meth:`fastest_choice` candidate by candidate on the block's grid, each on its box
        (:meth:`live_boxes`, or the whole block). The tie of the scalar search, running: with
        ``m`` the least time so far, the chosen candidate (the first in rank order within a
        relative :data:`~accelspec.perf.kernels.LAYOUT_TIE` of ``m``) stays while its time is
        within that gap of the new least, else the newcomer (then the least) takes its place."""
        nc = cap_high.size
        grid = (T.size, self.B.size)
        cap3 = cap_high.reshape(nc, 1, 1)
        # per pool (every usable candidate; those that fit): least time, chosen index, its time
        least = np.full((2, nc, *grid), np.inf)
        pick = np.full((2, nc, *grid), -1)
        pick_t = np.full((2, nc, *grid), np.inf)

        def update(p: int, at: tuple[slice, ...], t: np.ndarray, good: np.ndarray, li: int) -> None:
            m, i, ti = least[p][at], pick[p][at], pick_t[p][at]  # views
            new_least = np.where(good, np.minimum(m, t), m)
            take = good & (ti > new_least * (1.0 + LAYOUT_TIE))
            np.copyto(m, new_least)
            np.copyto(ti, t, where=take)
            i[take] = li

        for li, lay in enumerate(self.cands):
            box = boxes[li]
            if box is None:
                continue
            ok = self._usable(lay, T)
            if ok is not None and not ok.any():
                continue
            r0, r1, c0, c1 = box
            part = (slice(r0, r1), slice(c0, c1))
            at = (slice(None), *part)
            t = step_time(li, r0, r1, c0, c1)
            good = np.isfinite(t)
            if ok is not None:
                good &= ok[part]
            update(0, at, t, good, li)
            if fits_none[li]:
                continue
            if not fits_all[li]:
                good &= total(li)[part] <= cap3
            update(1, at, t, good, li)
        any_i, fit_i = pick
        out: np.ndarray = np.where(fit_i >= 0, fit_i, np.where(any_i >= 0, any_i, mem_choice))
        return out


def _runs(x: np.ndarray, most: int) -> list[tuple[int, int]]:
    """Runs ``(a, b)`` of consecutive indices of ``x`` (positive, any order), as many as the
    values double from the smallest to the largest but at most ``most``: cut where a value
    passes a level spaced evenly in log between the two (each run of sorted values then spans a
    ratio of at most 2 or ``(max/min)^(1/most)``); unsorted values are cut into runs of equal
    length."""
    n = x.size
    lo, hi = float(x.min()) if n else 1.0, float(x.max()) if n else 1.0
    k = min(most, max(1, math.ceil(math.log2(hi / lo)))) if n > 1 else 1
    if k <= 1:
        return [(0, n)]
    if np.all(x[1:] >= x[:-1]):
        levels = np.geomspace(lo, hi, k + 1)[1:-1]
        cuts = np.unique(np.searchsorted(x, levels, side="right"))
    else:
        cuts = np.unique(np.linspace(0, n, k + 1).round().astype(int)[1:-1])
    edges = [0, *[int(c) for c in cuts if 0 < c < n], n]
    return list(itertools.pairwise(edges))


def _block_bound(ln: Any, phase: str, Tb: np.ndarray, B2: np.ndarray, i: int, k: int, t0: int, t1: int,
                 sel: np.ndarray | None, nc: int, keys: list[str], res5: dict[str, np.ndarray], roofs: Any,
                 overlap: bool, routing: str, dom3: np.ndarray, innet3: np.ndarray, scratch: _Scratch,
                 tier: Any) -> None:
    """The bound arrays ``keys`` of model ``i`` under layout ``ln`` at chip count ``k``, for the
    contexts ``t0:t1`` (``Tb``) x every batch and every chip, written into ``res5`` (where
    ``sel`` is true; everywhere when None). ``sel``: ``(rows, B)`` for every chip, or
    ``(nc, rows, B)``, one selection per chip (the fastest layout depends on the chip).
    ``tier(e, j)``: chip ``j``'s on-chip tier at range end ``e`` (None without one)."""
    lay = ln.parallelism
    if len(ln.stages) > 1:  # a micro-batched pipeline: layout_times itself, chip by chip
        _pipeline_bound(ln, phase, Tb, B2, i, k, t0, t1, sel, nc, keys, res5, roofs, overlap, routing, dom3, innet3,
                        tier)
        return
    per_stage = float(lay.tp * lay.cp * lay.dp)
    views0 = {key: res5[key][i, 0, t0:t1, :, k] for key in keys}
    def roofs_at(e: int, j: int) -> tuple[Any, ...]:
        """Chip j's roofs and on-chip tier at range end e, compared to tell the ends apart."""
        return (*roofs(e, i, j), tier(e, j))

    ends0 = [roofs_at(e, 0) for e, key in ((2, "t_low"), (0, "t_high")) if key in keys]
    # one chip, one stage, the whole block, no range pass: the stage's FLOP and byte grids go
    # straight into their columns (or into the time columns, divided in place there)
    direct = (nc == 1 and sel is None and len(ln.stages) == 1
              and all(_same(r, roofs_at(1, 0)) for r in ends0))
    if direct:
        acc_t = views0["t"] if "t" in views0 else scratch.get("acc:t")
        bufs = [(views0.get("flops", views0.get("tc", scratch.get("f0"))), views0.get("mem", views0.get("tm", acc_t)))]
    else:
        bufs = [(scratch.get(f"f{s}"), scratch.get(f"m{s}")) for s in range(len(ln.stages))]
    # FLOPs, bytes and link bytes of each stage: chip-independent grids (link bytes per chip tier)
    stages = [stage_traffic_tiers(ln, st, phase, Tb, B2, routing=routing, domain=dom3, in_network=innet3,
                                  out=bufs[s]) for s, st in enumerate(ln.stages)]
    for j in range(nc):
        sel_j = _chip_sel(sel, j)
        if sel_j is False:
            continue
        views = views0 if j == 0 else {key: res5[key][i, j, t0:t1, :, k] for key in keys}
        # where only part of the block uses this layout, compute it whole and copy that part
        dst = views if sel_j is None else {key: scratch.get("sel:" + key) for key in keys}
        nominal = roofs_at(1, j)
        ends = {key: roofs_at(e, j) for e, key in ((2, "t_low"), (0, "t_high")) if key in dst}
        _chip_times(stages, j, nominal[:4], overlap, per_stage,
                    {key: dst[key] for key in _BOUND_KEYS if key in dst}, scratch,
                    times=bool(_TIME_KEYS.intersection(dst)), consume=direct, fast=nominal[4])
        for key, end in ends.items():
            if _same(end, nominal):
                np.copyto(dst[key], dst["t"] if "t" in dst else scratch.get("acc:t"))
            else:
                _chip_times(stages, j, end[:4], overlap, per_stage, {"t": dst[key]}, scratch, fast=end[4])
        if sel_j is not None:
            for key in keys:
                np.copyto(views[key], dst[key], where=sel_j)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Whether two ``(peak, bandwidth, link, link_out, tier)`` tuples are equal (NaN equal to NaN)."""
    return a[4] == b[4] and np.array_equal(a[:4], b[:4], equal_nan=True)


def _chip_sel(sel: np.ndarray | None, j: int) -> np.ndarray | bool | None:
    """Chip ``j``'s part of a selection (:func:`_block_bound`): None (everywhere), a mask, or
    False (nowhere: nothing to compute)."""
    if sel is None or sel.ndim == 2:
        return sel
    part = sel[j]
    if not part.any():
        return False
    return None if part.all() else part


_LAYOUT_TIMES_KEYS = ("tc", "tm", "tl", "t", "flops", "mem", "comm")


def _pipeline_bound(ln: Any, phase: str, Tb: np.ndarray, B2: np.ndarray, i: int, k: int, t0: int, t1: int,
                    sel: np.ndarray | None, nc: int, keys: list[str], res5: dict[str, np.ndarray], roofs: Any,
                    overlap: bool, routing: str, dom3: np.ndarray, innet3: np.ndarray, tier: Any) -> None:
    """:func:`_block_bound` for a pipeline-parallel layout: the micro-batched
    :func:`~accelspec.perf.bounds.layout_times` of the scalar bounds, on the block's grid, for
    every chip that uses the layout at once (roofs, domain and in-network reduction as arrays
    over those chips: the same arithmetic, element by element)."""
    chips = [j for j in range(nc) if _chip_sel(sel, j) is not False]
    if not chips:
        return
    J = np.array(chips)
    shape = (J.size, Tb.shape[0], B2.shape[1])
    kw: dict[str, Any] = {"domain": dom3[J], "in_network": innet3[J], "routing": routing, "microbatch": True}

    def at(e: int) -> list[np.ndarray]:
        """The roofs and on-chip tier (capacity, bandwidth) of the chips at range end ``e``,
        each ``(chips, 1, 1)`` (capacity 0 without a tier)."""
        fast = [tier(e, j) or (0.0, math.inf) for j in chips]
        return ([np.array([roofs(e, i, j)[q] for j in chips]).reshape(-1, 1, 1) for q in range(4)]
                + [np.array([f[q] for f in fast]).reshape(-1, 1, 1) for q in range(2)])

    def tiers(v: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
        return (v[4], v[5]) if (v[4] > 0).any() else None

    P, BW, L, LO, *_ = nominal = at(1)
    got = dict(zip(_LAYOUT_TIMES_KEYS, layout_times(ln, phase, Tb, B2, P, BW, L, overlap, link_out=LO,
                                                    fast=tiers(nominal), **kw), strict=True))
    for e, key in ((2, "t_low"), (0, "t_high")):
        if key in keys:
            P, BW, L, LO, *_ = end = at(e)
            same = all(np.array_equal(x, y, equal_nan=True) for x, y in zip(end, nominal, strict=True))
            got[key] = got["t"] if same else layout_times(ln, phase, Tb, B2, P, BW, L, overlap, link_out=LO,
                                                           time_only=True, fast=tiers(end), **kw)[3]
    for key in keys:
        val = np.broadcast_to(got[key], shape)
        for q, j in enumerate(chips):
            sel_j = _chip_sel(sel, j)
            dst = res5[key][i, j, t0:t1, :, k]
            if sel_j is None:
                np.copyto(dst, val[q])
            else:
                np.copyto(dst, val[q], where=sel_j)


def _to_xarray(out: dict[str, np.ndarray], shape: tuple[int, ...], names: list[str], chip_ids: list[str],
               T: np.ndarray, B: np.ndarray, N: np.ndarray, prec_names: list[str], prec_code: np.ndarray,
               layout_names: dict[str, list[str]], meta: dict[str, Any], only_fitting: bool = False) -> Any:
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
        if key in layout_names:  # layout, memory_layout
            attrs = {"codes": list(layout_names[key])}
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
