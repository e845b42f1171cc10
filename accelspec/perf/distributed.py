"""The sweep beyond one machine: :func:`~accelspec.perf.sweep.sweep` as a lazy Dask DataFrame.

A grid of ``models x chips x context_tokens x batch x n_chips`` is cut into partitions of one
model and a group of chips (``chips_per_partition``); each partition is one
:func:`dask.delayed` call that sweeps its model over its chips: the rows of
:func:`~accelspec.perf.sweep.sweep_iter`'s pieces for them, concatenated, computed in one
vectorised :func:`~accelspec.perf.sweep.sweep` call. The row values are those of the eager sweep (each row is
computed as the scalar bound would compute it: the layout search of a scenario does not
depend on the rest of the grid). ``model`` and ``chip`` keep the whole grid's categories;
``precision``, ``layout``, ``memory_layout`` and ``limiter`` are plain strings (each piece has
its own categories, which Dask cannot concatenate as categoricals).

:func:`best_layouts` is a streaming reduction over such a frame: each partition is reduced to
its best row per group (by default the fitting deployment with the most output tokens/s per
chip, per model and chip), then the partial results are reduced again, so no worker ever
holds more than one partition and the best rows found so far.

Dask (``dask[dataframe]`` and ``distributed``, the ``dask`` extra) is imported here only,
inside the functions: ``import accelspec`` stays light.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client

    from ..hardware.chip import Chip
    from ..hardware.system import System
    from ..model.architecture import Model

__all__ = ["best_layouts", "local_client", "sweep_dask"]

#: the columns turned from per-piece categoricals into strings
_STRING_COLUMNS = ("precision", "layout", "memory_layout", "limiter")

_LOCAL: list[Any] = []  # the (cluster, client) this module started, closed at exit


def _close_local() -> None:
    while _LOCAL:
        obj = _LOCAL.pop()
        try:
            obj.close()
        except Exception:  # closing at interpreter exit: nothing left to report to
            pass


def local_client(n_workers: int = 2, *, processes: bool = True, threads_per_worker: int = 1) -> Client:
    """A :class:`distributed.Client` on a :class:`distributed.LocalCluster` of this machine,
    started once and reused (closed at interpreter exit).

    Parameters
    ----------
    n_workers : int, optional
        Worker processes (default 2).
    processes : bool, optional
        Workers in their own processes (default True: they run in parallel, past the GIL);
        False runs them as threads of this process (cheaper to start).
    threads_per_worker : int, optional
        Threads per worker (default 1: the sweep is numpy-bound).

    Returns
    -------
    distributed.Client
        The client, also the default scheduler of ``.compute()`` from now on.
    """
    from distributed import Client, LocalCluster

    for obj in _LOCAL:
        if isinstance(obj, Client) and obj.status == "running":
            return obj
    cluster = LocalCluster(n_workers=n_workers, processes=processes, threads_per_worker=threads_per_worker,
                           dashboard_address=None)
    client = Client(cluster)
    if not _LOCAL:
        atexit.register(_close_local)
    _LOCAL.extend([cluster, client])
    return client


def _entries(chips: Any) -> list[Chip | System]:
    """Chips and systems as records (a system name gives the system, as :func:`sweep` reads it)."""
    from ..hardware.system import resolve_hardware

    items = [chips] if isinstance(chips, str) or not isinstance(chips, Iterable) else list(chips)
    out: list[Chip | System] = []
    for c in items:
        if isinstance(c, str):
            chip, system = resolve_hardware(c)
            out.append(system if system is not None else chip)
        else:
            out.append(c)
    return out


def _entry_id(entry: Any) -> str:
    return str(entry.id)


def _piece(model: Model | str, entries: Sequence[Chip | System | str], context_tokens: Any, batch: Any, n_chips: Any,
           model_names: list[str], chip_names: list[str], kwargs: dict[str, Any]) -> pd.DataFrame:
    """One partition: the sweep of one model over a group of chips, in one vectorised call.

    The rows (values and order) are those of :func:`~accelspec.perf.sweep.sweep_iter`'s pieces
    for these chips, concatenated; one :func:`~accelspec.perf.sweep.sweep` call over the whole
    group is used because ``sweep_iter`` walks chip by chip, which costs about seven times as
    long (measured: 5.3 s against 0.72 s for one model over the 151 catalog chips and systems
    at 84 scenarios each)."""
    from .sweep import sweep

    return _normalise(sweep([model], list(entries), context_tokens, batch, n_chips, **kwargs), model_names,
                      chip_names)


def _by_name(obj: Any) -> Any:
    """A catalog record by its id (a worker resolves it to its own catalog's object, whose
    numbers it caches, and sweep reads a system's name as the system); any other record as given."""
    from ..hardware.catalog import get_chip
    from ..hardware.chip import Chip
    from ..hardware.system import System, get_system
    from ..model.catalog import get_model

    lookup = get_chip if isinstance(obj, Chip) else get_system if isinstance(obj, System) else get_model
    try:
        return obj.id if lookup(obj.id) == obj else obj
    except LookupError:
        return obj


def _normalise(df: pd.DataFrame, model_names: list[str], chip_names: list[str]) -> pd.DataFrame:
    import pandas as pd

    df = df.copy()
    df["model"] = pd.Categorical(df["model"].astype(str), categories=model_names)
    df["chip"] = pd.Categorical(df["chip"].astype(str), categories=chip_names)
    for col in _STRING_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype("string")
    df.attrs = {}
    return df


def sweep_dask(models: str | Model | Iterable[str | Model], chips: str | Chip | System | Iterable[str | Chip | System],
               context_tokens: int | Iterable[int], batch: int | Iterable[int] = 1,
               n_chips: int | Iterable[int] | None = 1, *, client: Client | None = None,
               chips_per_partition: int | None = None, **kwargs: Any) -> dd.DataFrame:
    """:func:`~accelspec.perf.sweep.sweep` as a lazy Dask DataFrame, computed on a cluster.

    Parameters
    ----------
    models : str, Model or iterable of them
        Models (catalog ids, names or records).
    chips : str, Chip, System or iterable of them
        Chips and systems (a system name gives the system: its chip and its fabric).
    context_tokens, batch : int or iterable of int
        The grid's context lengths [token] and batches [sequence].
    n_chips : int, iterable of int or None, optional
        Chip counts (default 1); ``None``: each entry its own (a system's size, 1 for a chip).
    client : distributed.Client, optional
        Where to compute (default: the current default client, else :func:`local_client`, a
        local cluster of two worker processes). The frame is lazy: ``.compute()`` runs on the
        default client (a new client becomes the default), ``client.compute(frame)`` on a
        given one.
    chips_per_partition : int, optional
        Chips (and systems) per partition (default: all of them: one partition per model).
    **kwargs
        Any keyword of :func:`~accelspec.perf.sweep.sweep` but ``output`` (a DataFrame only):
        ``columns=``, ``on_missing=``, ``weight_dtype=``, ``phase=``, ``only_fitting=`` ...

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; one partition per model and chip group, rows in :func:`sweep_iter`'s order
        (model by model, chip by chip, then context, batch and chip count). Its ``meta`` comes
        from a one-scenario eager sweep.

    Raises
    ------
    InvalidArgumentError
        ``output`` is given, or ``chips_per_partition`` is not a positive whole number; and
        whatever :func:`~accelspec.perf.sweep.sweep` raises on the one-scenario sweep (an
        unknown model or chip, a bad keyword).

    Examples
    --------
    >>> ddf = sweep_dask(["llama-3.1-8b"], ["h100", "h200"], [8192], [1, 8])  # doctest: +SKIP
    >>> ddf.compute()["tokens_per_s_per_user [token/s]"].round(1).tolist()  # doctest: +SKIP
    [208.3, 142.0, 347.7, 236.8]
    """
    import dask
    import dask.dataframe as dd
    import numpy as np

    from ..model.catalog import get_model
    from .memory import InvalidArgumentError
    from .sweep import sweep

    if "output" in kwargs:
        raise InvalidArgumentError("output", "sweep_dask builds a Dask DataFrame; leave output out")
    items: list[Any] = [models] if isinstance(models, str) or not isinstance(models, Iterable) else list(models)
    model_objs = [get_model(m) for m in items]
    entries = _entries(chips)
    if not model_objs or not entries:
        raise InvalidArgumentError("models" if not model_objs else "chips", "give at least one")
    model_names = [m.id for m in model_objs]
    chip_names = [_entry_id(e) for e in entries]
    if len(set(model_names)) != len(model_names):
        raise InvalidArgumentError("models", "the same model appears twice")
    if len(set(chip_names)) != len(chip_names):
        raise InvalidArgumentError("chips", "the same chip appears twice")
    k = len(entries) if chips_per_partition is None else chips_per_partition
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidArgumentError("chips_per_partition", f"expected a positive whole number, got {k!r}")
    T = np.atleast_1d(np.asarray(context_tokens)).tolist()
    B = np.atleast_1d(np.asarray(batch)).tolist()
    N = None if n_chips is None else np.atleast_1d(np.asarray(n_chips)).tolist()
    # meta: the columns and dtypes of a one-scenario eager sweep
    n0 = None if N is None else N[:1]
    small = sweep([model_objs[0]], [entries[0]], T[:1], B[:1], n0, **kwargs)
    meta = _normalise(small, model_names, chip_names).iloc[:0]
    if client is None:
        from distributed import default_client

        try:
            default_client()
        except ValueError:
            local_client()
    piece = dask.delayed(_piece, pure=False)
    names = [_by_name(e) for e in entries]
    parts = [piece(_by_name(m), names[i:i + k], T, B, N, model_names, chip_names, kwargs)
             for m in model_objs for i in range(0, len(entries), k)]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _best_rows(df: pd.DataFrame, value: str, by: list[str], only_fitting: bool) -> pd.DataFrame:
    """The row with the largest ``value`` per ``by`` group (rows that fit, when asked)."""
    if only_fitting and "fits" in df.columns:
        df = df[df["fits"].fillna(False).astype(bool)]
    df = df[df[value].notna()]
    best = df.sort_values(value, ascending=False, kind="stable").drop_duplicates(by)
    return best.sort_values(by, kind="stable")


def best_layouts(frame: dd.DataFrame | pd.DataFrame, value: str = "tokens_per_s_per_chip [token/s]", *,
                 by: Sequence[str] = ("model", "chip"), only_fitting: bool = True) -> Any:
    """The best deployment per group: the row with the largest ``value`` among the rows that
    fit in memory, per ``by`` (default: per model and chip), reduced partition by partition.

    Each row of a sweep without a given layout already holds the fastest layout that fits at
    its chip count, context and batch (its ``layout``; ``memory_layout`` is the least-memory
    one, whose verdict ``fits`` is): so the best row names the best chip count, batch and
    layout together.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame or pandas.DataFrame
        A sweep (:func:`sweep_dask`, or an eager :func:`~accelspec.perf.sweep.sweep`).
    value : str, optional
        Column to maximise (default ``"tokens_per_s_per_chip [token/s]"``: output tokens/s
        per chip [token/s]).
    by : sequence of str, optional
        Group columns (default ``("model", "chip")``; add ``"context_tokens"`` for the best
        layout, count and batch at each context).
    only_fitting : bool, optional
        Only rows whose ``fits`` is True (default; rows of a chip with no published capacity
        are left out too).

    Returns
    -------
    dask.dataframe.DataFrame or pandas.DataFrame
        One row per group, lazy for a Dask frame: each partition is first reduced to its
        best rows, then those are reduced again on one partition.

    Raises
    ------
    KeyError
        ``value`` or a ``by`` column is not in the frame.
    """
    cols = [*by, value]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise KeyError(f"columns {missing} not in the frame; columns: {', '.join(map(str, frame.columns))}")
    import pandas as pd

    keys = list(by)
    if isinstance(frame, pd.DataFrame):
        return _best_rows(frame, value, keys, only_fitting).reset_index(drop=True)
    meta = frame._meta
    part = frame.map_partitions(_best_rows, value, keys, only_fitting, meta=meta)
    return part.repartition(npartitions=1).map_partitions(_final_rows, value, keys, meta=meta)


def _final_rows(df: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    return _best_rows(df, value, by, False).reset_index(drop=True)
