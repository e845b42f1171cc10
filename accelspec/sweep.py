"""Cartesian sweeps of the decode / prefill bounds, evaluated as numpy array arithmetic.

``sweep(models, chips, context_tokens, batch, n_chips)`` reduces each model (at the given
dtypes) and each chip to a few floats once, lays them on the axes of a 5-D grid
``(model, chip, context_tokens, batch, n_chips)``, and runs the same kernels as
:func:`~accelspec.bounds.decode_bound` / :func:`~accelspec.bounds.prefill_bound`
(:func:`~accelspec.costs.decode_traffic`, :func:`~accelspec.bounds.step_times`) on the
broadcast arrays: no Python loop per scenario, and each row equals the scalar call. A million
scenarios is one call.

The result is a long-form pandas DataFrame (one row per scenario, units in the column names,
as :func:`accelspec.compare` does), an xarray Dataset on the grid's dimensions
(``output="xarray"``), or the flat numpy arrays (``output="arrays"``). pandas and xarray are
imported only here, when a sweep runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .bounds import LIMITERS, limiter_code, step_times
from .chip import Chip, NotPublishedError, UnsupportedPrecisionError
from .costs import decode_traffic, model_numbers, prefill_traffic
from .roofline import _check_efficiency, chip_numbers

if TYPE_CHECKING:

    pass

__all__ = ["COLUMNS", "sweep"]

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
    "comm [B]": "bytes each chip sends per direction",
}


@dataclass
class _Grid:
    """Model numbers as arrays shaped (n_models, 1, 1, 1, 1) — the attributes the kernels read."""

    n_layers: Any
    hidden: Any
    vocab: Any
    w_dense: Any
    w_expert: Any
    n_experts: Any
    top_k: Any
    w_head: Any
    w_emb_row: Any
    f_token: Any
    f_head: Any
    f_linear: Any
    state_bytes: Any
    act_bytes: Any
    groups: tuple[tuple[Any, Any, Any], ...]


_FIELDS = ("n_layers", "hidden", "vocab", "w_dense", "w_expert", "n_experts", "top_k", "w_head", "w_emb_row",
           "f_token", "f_head", "f_linear", "state_bytes", "act_bytes")


def _as_list(x: Any) -> list[Any]:
    if isinstance(x, (str, Chip)) or not isinstance(x, Iterable):
        return [x]
    return list(x)


def _counts(x: Any, what: str) -> np.ndarray:
    from .memory import InvalidArgumentError

    class CountTypeError(InvalidArgumentError, TypeError):
        pass

    arr = np.atleast_1d(np.asarray(x))
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidArgumentError(what, "expected a number or a 1-D sequence of numbers")
    if arr.dtype.kind not in "iuf" or (arr.dtype.kind == "f" and not np.all(arr == np.floor(arr))):
        raise CountTypeError(what, f"expected whole numbers, got {x!r}")
    if np.any(arr < 1):
        raise InvalidArgumentError(what, "every value must be at least 1")
    if np.any(arr > 2**53):  # also inf; int64 would wrap at 2**63
        raise InvalidArgumentError(what, "every value must be finite and at most 2**53")
    return arr.astype(np.int64)


def sweep(models: Any, chips: Any, context_tokens: Any, batch: Any = 1, n_chips: Any = 1, *,
          phase: str = "decode", weight_dtype: Any = "bf16", kv_dtype: Any = "bf16", activation_dtype: Any = "bf16",
          expert_dtype: Any = None, embedding_dtype: Any = None, state_dtype: Any = "bf16", precision: Any = None,
          sparse: bool = False, overlap: bool = True, compute_efficiency: float = 1.0,
          bandwidth_efficiency: float = 1.0, link_efficiency: float = 1.0, output: str = "dataframe",
          on_missing: str = "raise") -> Any:
    """Every combination of ``models x chips x context_tokens x batch x n_chips``.

    Arguments as :func:`~accelspec.bounds.decode_bound` (``phase="prefill"`` for
    :func:`~accelspec.bounds.prefill_bound`), each axis a single value or a sequence.
    ``output``: ``"dataframe"`` (long form: ``model``, ``chip``, ``precision``,
    ``context_tokens``, ``batch``, ``n_chips``, the :data:`COLUMNS` and ``limiter``),
    ``"xarray"`` (a Dataset with dims ``model, chip, context_tokens, batch, n_chips``) or
    ``"arrays"`` (a dict of flat numpy arrays in DataFrame row order, ``limiter`` as codes
    into :data:`~accelspec.bounds.LIMITERS`). ``on_missing="nan"`` gives NaN rows for a chip
    that lacks the precision, the memory bandwidth or (with ``n_chips > 1``) the scale-up
    bandwidth, instead of raising.
    """
    if phase not in ("decode", "prefill"):
        raise ValueError(f"phase must be 'decode' or 'prefill', got {phase!r}")
    if output not in ("dataframe", "xarray", "arrays"):
        raise ValueError(f"output must be 'dataframe', 'xarray' or 'arrays', got {output!r}")
    if on_missing not in ("raise", "nan"):
        raise ValueError(f"on_missing must be 'raise' or 'nan', got {on_missing!r}")
    effs = (_check_efficiency("compute_efficiency", compute_efficiency),
            _check_efficiency("bandwidth_efficiency", bandwidth_efficiency),
            _check_efficiency("link_efficiency", link_efficiency))
    given = {"kv_dtype": kv_dtype, "activation_dtype": activation_dtype, "expert_dtype": expert_dtype,
             "embedding_dtype": embedding_dtype, "state_dtype": state_dtype, "precision": precision}
    kw = {k: v for k, v in given.items() if v is not None}
    mns = [model_numbers(m, weight_dtype, **kw) for m in _as_list(models)]
    chip_list = _as_list(chips)
    T = _counts(context_tokens, "context_tokens")
    Bt = _counts(batch, "batch")
    N = _counts(n_chips, "n_chips")
    nm, nc = len(mns), len(chip_list)
    if len({mn.id for mn in mns}) != nm:
        raise ValueError("models: the same model appears twice")

    # chip roofs per (model precision, chip): (3, nm, nc) arrays of low / nominal / high
    peak = np.full((3, nm, nc), np.nan)
    bw = np.full((3, 1, nc), np.nan)
    link = np.full((3, 1, nc), np.nan)
    from .catalog import get_chip

    chip_objs = [get_chip(c) if isinstance(c, str) else c for c in chip_list]
    chip_ids = [c.id for c in chip_objs]
    for j, chip in enumerate(chip_objs):
        for i, mn in enumerate(mns):
            try:
                cn = chip_numbers(chip, mn.dtypes.precision, sparse=sparse, need_bandwidth=on_missing == "raise")
            except (UnsupportedPrecisionError, NotPublishedError):
                if on_missing == "raise":
                    raise
                continue  # NaN rows
            peak[:, i, j] = cn.peak
            bw[:, 0, j] = cn.bandwidth
            link[:, 0, j] = cn.link
        if on_missing == "raise" and N.max() > 1 and np.isnan(link[1, 0, j]):
            raise NotPublishedError(f"{chip.name}: no scale-up interconnect bandwidth published; tensor "
                                    f"parallelism over {int(N.max())} chips needs it")
    if len(set(chip_ids)) != nc:
        raise ValueError("chips: the same chip appears twice")

    shape = (nm, nc, T.size, Bt.size, N.size)
    col = (nm, 1, 1, 1, 1)
    grid = _Grid(**{f: np.array([getattr(mn, f) for mn in mns], dtype=float).reshape(col) for f in _FIELDS},
                 groups=_groups(mns, col))
    Tg = T.astype(float).reshape(1, 1, -1, 1, 1)
    Bg = Bt.astype(float).reshape(1, 1, 1, -1, 1)
    Ng = N.astype(float).reshape(1, 1, 1, 1, -1)
    kernel = decode_traffic if phase == "decode" else prefill_traffic
    flops, mem, comm = kernel(grid, Tg, Bg, Ng)  # (nm, 1, nt, nb, nn)

    def roofs(j: int) -> tuple[Any, Any, Any]:
        return (peak[j].reshape(nm, nc, 1, 1, 1) * effs[0], bw[j].reshape(1, nc, 1, 1, 1) * effs[1],
                link[j].reshape(1, nc, 1, 1, 1) * effs[2])

    with np.errstate(invalid="ignore"):
        tc, tm, tl, t = step_times(flops, mem, comm, Ng, *roofs(1), overlap)
        t_low = step_times(flops, mem, comm, Ng, *roofs(2), overlap)[3]
        t_high = step_times(flops, mem, comm, Ng, *roofs(0), overlap)[3]
        code = np.where(np.isnan(t), -1, limiter_code(tc, tm, tl))
    per_user = 1.0 if phase == "decode" else Tg
    rate_user = per_user / t
    rate_chip = per_user * (Bg / Ng) / t

    def flat(a: Any, dtype: Any = float) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=dtype), shape).ravel()

    names = [mn.id for mn in mns]
    out = {
        "model": flat(np.arange(nm).reshape(col), np.int32),
        "chip": flat(np.arange(nc).reshape(1, nc, 1, 1, 1), np.int32),
        "context_tokens": flat(T.reshape(1, 1, -1, 1, 1), np.int64),
        "batch": flat(Bt.reshape(1, 1, 1, -1, 1), np.int64),
        "n_chips": flat(N.reshape(1, 1, 1, 1, -1), np.int64),
        "time [s]": flat(t),
        "time_low [s]": flat(t_low),
        "time_high [s]": flat(t_high),
        "compute_time [s]": flat(tc),
        "memory_time [s]": flat(tm),
        "comm_time [s]": flat(tl),
        "tokens_per_s_per_user [token/s]": flat(rate_user),
        "tokens_per_s_per_chip [token/s]": flat(rate_chip),
        "intensity [FLOP/B]": flat(flops / mem),
        "flop [FLOP]": flat(flops),
        "memory [B]": flat(mem),
        "comm [B]": flat(comm),
        "limiter": flat(code, np.int8),
    }
    precisions = [str(mn.dtypes.precision) for mn in mns]
    meta = {"phase": phase, "overlap": overlap, "efficiencies": effs,
            "dtypes": {mn.id: mn.dtypes.label() for mn in mns}, "limiters": LIMITERS}
    if output == "arrays":
        out["model_names"] = np.array(names)
        out["chip_names"] = np.array(chip_ids)
        return out
    if output == "xarray":
        return _to_xarray(out, shape, names, chip_ids, T, Bt, N, precisions, meta)
    import pandas as pd

    cols: dict[str, Any] = {}
    cols["model"] = pd.Categorical.from_codes(out.pop("model"), categories=names)
    cols["chip"] = pd.Categorical.from_codes(out.pop("chip"), categories=chip_ids)
    prec_codes = np.array([sorted(set(precisions)).index(p) for p in precisions], dtype=np.int8)
    cols["precision"] = pd.Categorical.from_codes(prec_codes[cols["model"].codes], categories=sorted(set(precisions)))
    limiter = out.pop("limiter")
    cols.update(out)
    cols["limiter"] = pd.Categorical.from_codes(limiter, categories=list(LIMITERS))
    df = pd.DataFrame(cols, copy=False)
    df.attrs.update(meta)
    return df


def _groups(mns: list[Any], col: tuple[int, ...]) -> tuple[tuple[Any, Any, Any], ...]:
    """Attention groups padded to the same count: a missing group adds 0 FLOPs and 0 bytes."""
    g = max(len(mn.groups) for mn in mns)
    out = []
    for k in range(g):
        fpp = np.array([mn.groups[k][0] if k < len(mn.groups) else 0.0 for mn in mns]).reshape(col)
        kvb = np.array([mn.groups[k][1] if k < len(mn.groups) else 0.0 for mn in mns]).reshape(col)
        win = np.array([mn.groups[k][2] if k < len(mn.groups) else np.inf for mn in mns]).reshape(col)
        out.append((fpp, kvb, win))
    return tuple(out)


def _to_xarray(out: dict[str, np.ndarray], shape: tuple[int, ...], names: list[str], chip_ids: list[str],
               T: np.ndarray, B: np.ndarray, N: np.ndarray, precisions: list[str], meta: dict[str, Any]) -> Any:
    import xarray as xr

    dims = ("model", "chip", "context_tokens", "batch", "n_chips")
    data = {}
    for key, arr in out.items():
        if key in ("model", "chip", "context_tokens", "batch", "n_chips"):
            continue
        name, _, unit = key.partition(" [")
        attrs = {"units": unit.rstrip("]")} if unit else {}
        if key == "limiter":
            attrs = {"codes": list(LIMITERS)}
        data[name] = (dims, arr.reshape(shape), attrs)
    coords = {"model": names, "chip": chip_ids, "context_tokens": T, "batch": B, "n_chips": N,
              "precision": ("model", precisions)}
    attrs = {k: (str(v) if not isinstance(v, (str, int, float)) else v) for k, v in meta.items()}
    return xr.Dataset(data, coords=coords, attrs=attrs)
