"""The whole design space on a local Dask cluster: every catalog chip and system x every catalog
model x contexts x batches x chip counts, the best fitting deployment per (model, chip), timed.

    python benchmarks/bench_design_space.py [--workers 2] [--contexts 8192,131072,1000000]
                                            [--batches 1,8,64,256] [--counts 1,2,4,8,16,32,64] [--eager]

Prints the scenario count, the time to start the cluster, to build the graph and to compute
``best_layouts`` plus a row count in one pass, and with ``--eager`` the same grid and reduction
in this process (``accelspec.sweep`` per model) for the cluster's overhead. Needs the ``dask``
extra. Not run by the test suite (tests/perf/test_distributed.py checks a small grid row for row
on a local cluster).
"""

from __future__ import annotations

import argparse
import time


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--contexts", type=ints, default=[8192, 131072, 1_000_000])
    ap.add_argument("--batches", type=ints, default=[1, 8, 64, 256])
    ap.add_argument("--counts", type=ints, default=[1, 2, 4, 8, 16, 32, 64])
    ap.add_argument("--eager", action="store_true", help="also run the same grid in this process")
    args = ap.parse_args()

    import dask

    import accelspec as a
    from accelspec.perf.distributed import best_layouts, local_client, sweep_dask

    models = [m.id for m in a.models()]
    entries = [c.id for c in a.chips()] + list(a.systems())
    n = len(models) * len(entries) * len(args.contexts) * len(args.batches) * len(args.counts)
    print(f"{len(entries)} chips and systems x {len(models)} models x {len(args.contexts)} contexts x "
          f"{len(args.batches)} batches x {len(args.counts)} chip counts = {n:,} scenarios")

    t = time.perf_counter()
    client = local_client(args.workers)
    t_start = time.perf_counter() - t
    t = time.perf_counter()
    ddf = sweep_dask(models, entries, args.contexts, args.batches, args.counts, client=client, on_missing="nan")
    best = best_layouts(ddf)
    t_graph = time.perf_counter() - t
    t = time.perf_counter()
    best_rows, rows = dask.compute(best, ddf.shape[0])
    t_run = time.perf_counter() - t
    print(f"local cluster of {args.workers} workers: start {t_start:.1f} s, graph {t_graph:.1f} s "
          f"({ddf.npartitions} partitions), sweep + best_layouts + row count {t_run:.1f} s")
    print(f"rows {rows:,}; best fitting deployments: {len(best_rows):,} (model, chip) pairs")
    print(best_rows.sort_values("tokens_per_s_per_chip [token/s]", ascending=False)
          [["model", "chip", "n_chips", "layout", "context_tokens", "batch", "tokens_per_s_per_chip [token/s]"]]
          .head(8).to_string(index=False))
    if args.eager:
        t = time.perf_counter()
        frames = [a.sweep([m], entries, args.contexts, args.batches, args.counts, on_missing="nan") for m in models]
        import pandas as pd

        eager = best_layouts(pd.concat(frames, ignore_index=True))
        print(f"eager, one process: {time.perf_counter() - t:.1f} s ({len(eager):,} best rows)")


if __name__ == "__main__":
    main()
