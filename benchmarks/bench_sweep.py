"""Time ``accelspec.perf.sweep`` over 10^6 decode scenarios, one scalar ``decode_bound`` call, and
the same scenarios computed one by one by llm-analysis (PyPI ``llm-analysis``), in one run.

    python benchmarks/bench_sweep.py [--scenarios 1000000] [--sample 400] [--scalar-calls 5000]

Prints scenarios per second for each and the ratios, and ``import accelspec`` beside
``import numpy, pint, pydantic`` (each in fresh subprocesses). Goals: the sweep at least
1000x faster per scenario than llm-analysis; a scalar call no slower than one llm-analysis call.

llm-analysis is timed on a random sample of the grid and extrapolated per scenario. It is
given every advantage: one ``LLMAnalysis`` object per (model, chip, TP size) is built before
the clock starts and only ``.inference()`` runs per scenario, with its logging silenced. Its
package depends on ``transformers`` only for Hugging Face look-ups, so
``pip install --no-deps llm-analysis "fire>=0.5,<0.6"`` is enough offline. If it cannot be
imported, the script says so and still times accelspec.

Not run by the test suite.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import time

import numpy as np

MODELS = ["llama-3.1-8b", "qwen3-8b", "llama-2-7b", "qwen3-30b-a3b"]
CHIPS = ["h200-sxm", "h100-sxm", "a100-sxm", "h20", "b200"]
N_CHIPS = [1, 2]


def import_time(stmt: str, repeat: int = 7) -> float:
    """Median seconds of ``stmt`` in fresh interpreters."""
    code = f"import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def grid(n_scenarios: int) -> tuple[np.ndarray, np.ndarray]:
    """Context and batch axes so that models x chips x contexts x batches x n_chips ~= n_scenarios."""
    per = n_scenarios // (len(MODELS) * len(CHIPS) * len(N_CHIPS))
    n_batch = 100
    n_ctx = max(1, per // n_batch)
    contexts = np.linspace(128, 32768, n_ctx).round().astype(np.int64)
    return contexts, np.arange(1, n_batch + 1)


def llm_analysis_runner():
    """A function (model, chip, n, T, B) -> decode latency in s, or the reason it is unavailable."""
    logging.getLogger("__name__").setLevel(logging.ERROR)  # llm-analysis logs to a logger literally named so
    try:
        from llm_analysis.analysis import LLMAnalysis
        from llm_analysis.config import DtypeConfig, GPUConfig, ModelConfig, ParallelismConfig
    except Exception as exc:  # not installed, or broken offline
        return None, f"{type(exc).__name__}: {exc}"
    import accelspec as a

    def model_config(mid: str):
        m = a.get_model(mid)
        moe = m.moe
        # llm-analysis models a 2-matrix MLP; a SwiGLU FFN of width f has 3 matrices, so give it
        # width 1.5 f: the same parameters and FLOPs per token
        ffn = 3 * (moe.expert_ffn_size if moe else m.ffn_size) // 2
        return ModelConfig(
            name=mid, num_layers=m.n_layers, n_head=m.n_heads, hidden_dim=m.hidden_size, vocab_size=m.vocab_size,
            num_key_value_heads=m.n_kv_heads, ffn_embed_dim=ffn, expansion_ratio=ffn / m.hidden_size,
            moe_num_experts=moe.n_routed_experts if moe else 1, moe_top_k=moe.experts_per_token if moe else 1,
        )

    def gpu_config(cid: str):
        c = a.get_chip(cid)
        return GPUConfig(
            name=cid, mem_per_GPU_in_GB=c.memory.capacity.q.m_as("GB"),
            hbm_bandwidth_in_GB_per_sec=c.memory.bandwidth.q.m_as("GB/s"),
            intra_node_bandwidth_in_GB_per_sec=c.interconnect.scale_up.per_direction().q.m_as("GB/s"),
            intra_node_min_message_latency=0.0, peak_fp16_TFLOPS=c.compute.peak("bf16").q.m_as("TFLOPS"),
        )

    objs = {}
    for mid in MODELS:
        mc = model_config(mid)
        for cid in CHIPS:
            gc = gpu_config(cid)
            for n in N_CHIPS:
                objs[mid, cid, n] = LLMAnalysis(mc, gc, DtypeConfig(), ParallelismConfig(tp_size=n),
                                                flops_efficiency=1.0, hbm_memory_efficiency=1.0,
                                                intra_node_memory_efficiency=1.0)

    def run(mid: str, cid: str, n: int, T: int, B: int) -> float:
        out = objs[mid, cid, n].inference(batch_size_per_gpu=B, seq_len=T, num_tokens_to_generate=1)
        return out["decode_latency"]

    return run, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", type=int, default=1_000_000)
    ap.add_argument("--sample", type=int, default=400, help="llm-analysis calls to time")
    ap.add_argument("--scalar-calls", type=int, default=5000, help="decode_bound calls to time")
    args = ap.parse_args(argv)

    print("import time (median of 7 fresh interpreters)")
    t_base = import_time("import numpy, pint, pydantic")
    t_ours = import_time("import accelspec")
    print(f"  import numpy, pint, pydantic   {t_base * 1e3:8.1f} ms")
    print(f"  import accelspec               {t_ours * 1e3:8.1f} ms  (+{(t_ours - t_base) * 1e3:.1f} ms)")

    t0 = time.perf_counter()
    import accelspec as a

    t_import_here = time.perf_counter() - t0
    contexts, batches = grid(args.scenarios)
    n = len(MODELS) * len(CHIPS) * contexts.size * batches.size * len(N_CHIPS)
    print(f"\nscenarios: {len(MODELS)} models x {len(CHIPS)} chips x {contexts.size} contexts "
          f"({contexts[0]}..{contexts[-1]}) x {batches.size} batches x n_chips {N_CHIPS} = {n:,} (decode, bf16)")

    # --- sweep -------------------------------------------------------------------------------------
    t0 = time.perf_counter()
    df = a.sweep(MODELS, CHIPS, contexts, batches, N_CHIPS)
    t_cold = time.perf_counter() - t0
    assert len(df) == n
    del df
    warm = []
    for _ in range(5):
        t0 = time.perf_counter()
        df = a.sweep(MODELS, CHIPS, contexts, batches, N_CHIPS)
        warm.append(time.perf_counter() - t0)
        assert len(df) == n
        del df
    t_sweep = min(warm)
    t0 = time.perf_counter()
    a.sweep(MODELS, CHIPS, contexts, batches, N_CHIPS, output="arrays")
    t_arrays = time.perf_counter() - t0
    sweep_rate = n / t_sweep
    print("\naccelspec.perf.sweep -> DataFrame")
    print(f"  first call {t_cold * 1e3:8.1f} ms (pandas import, model and chip reduction; accelspec import "
          f"{t_import_here * 1e3:.0f} ms not included)")
    print(f"  warm call  {t_sweep * 1e3:8.1f} ms (best of 5)   {sweep_rate:14,.0f} scenarios/s   "
          f"{t_sweep / n * 1e9:7.1f} ns/scenario")
    print(f"  output='arrays' {t_arrays * 1e3:6.1f} ms")

    # --- scalar ------------------------------------------------------------------------------------
    rng = np.random.default_rng(0)
    picks = [(MODELS[rng.integers(len(MODELS))], CHIPS[rng.integers(len(CHIPS))],
              N_CHIPS[rng.integers(len(N_CHIPS))], int(rng.choice(contexts)), int(rng.choice(batches)))
             for _ in range(max(args.scalar_calls, args.sample))]
    for mid, cid, k, T, B in picks[:50]:  # warm the per-model / per-chip caches, as the sweep's first call did
        a.decode_bound(mid, cid, T, B, k)
    t0 = time.perf_counter()
    for mid, cid, k, T, B in picks[: args.scalar_calls]:
        a.decode_bound(mid, cid, T, B, k)
    t_scalar = (time.perf_counter() - t0) / args.scalar_calls
    print("\naccelspec.decode_bound (one scalar call, names looked up each call)")
    print(f"  {t_scalar * 1e6:8.1f} us/call   {1 / t_scalar:14,.0f} scenarios/s")

    # --- llm-analysis --------------------------------------------------------------------------------
    run, why = llm_analysis_runner()
    print("\nllm-analysis (LLMAnalysis.inference, one call per scenario)")
    if run is None:
        print(f"  not available: {why}")
        print("  (install offline with: pip install --no-deps llm-analysis 'fire>=0.5,<0.6')")
        print("\nratios: n/a (llm-analysis could not run); accelspec figures above stand alone")
        return 0
    import llm_analysis

    sample = picks[: args.sample]
    accepted, refused = [], []
    clock = time.perf_counter
    t0 = clock()
    for mid, cid, k, T, B in sample:
        t1 = clock()
        try:
            run(mid, cid, k, T, B)
            accepted.append(clock() - t1)
        except AssertionError:  # llm-analysis refuses scenarios whose weights + KV exceed GPU memory
            refused.append(clock() - t1)
    t_la = (clock() - t0) / len(sample)
    failures = len(refused)
    # compare the answers on the scenarios it accepted (outside the timed loop)
    ok = []
    for (mid, cid, k, T, B) in sample:
        try:
            lat = run(mid, cid, k, T, B)
        except AssertionError:
            continue
        ok.append(lat / a.decode_bound(mid, cid, T, B, k).t)
    version = getattr(llm_analysis, "__version__", None)
    if version is None:
        from importlib.metadata import version as _v

        version = _v("llm-analysis")
    print(f"  version {version}; sample of {len(sample)} scenarios from the grid, {failures} refused "
          f"(weights + KV over GPU memory; refusals are timed too, which flatters llm-analysis)")
    print(f"  {t_la * 1e6:8.1f} us/call   {1 / t_la:14,.0f} scenarios/s   "
          f"(extrapolated: {n * t_la:,.0f} s for all {n:,})")
    if accepted and refused:
        print(f"  accepted calls {np.mean(accepted) * 1e6:.1f} us each, refused calls {np.mean(refused) * 1e6:.1f} us "
              f"each; the ratios below use the mean over all calls")
    if ok:
        print(f"  its decode latency / our lower bound on the scenarios it accepted: median {np.median(ok):.3f}, "
              f"min {np.min(ok):.3f}, max {np.max(ok):.3f}")
        print("    (its estimate also reads the input-embedding table, loads and stores the KV cache, takes "
              "per-operation maxima, and uses head_dim = hidden / heads)")

    print("\nratios (per scenario)")
    print(f"  sweep vs llm-analysis      {t_la / (t_sweep / n):12,.0f}x faster   (goal >= 1000x)")
    print(f"  scalar vs llm-analysis     {t_la / t_scalar:12,.1f}x faster   (goal >= 1x)")
    print(f"  sweep vs scalar            {t_scalar / (t_sweep / n):12,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
