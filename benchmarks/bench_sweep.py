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


def numpy_floors(model, chip, contexts, batches):
    """The two hand-written numpy floors of ``sweep(model, chip, contexts, batches, output="arrays")``
    (decode, one chip, bf16 checkpoint weights, KV bf16, default reserve): ``(one, full, constants)``.

    ``one()``: the single decode formula ``max((weights + kv_per_token T B) / bw, flops B / peak)``,
    the floor for ``columns=["time [s]"]``.

    ``full()``: every column the default sweep returns, written by hand in plain numpy over the
    same ``T x B`` grid, with the library's formulas (``accelspec.perf.bounds.stage_traffic_tiers``
    / ``step_times`` for the bound, ``accelspec.perf.memory.footprint_terms`` for the footprint) specialised
    to this one-chip, one-stage case: no communication, so ``comm`` and ``comm_time`` are zeros and
    the limiter is memory wherever the memory term exceeds the compute term; grid columns from
    ``np.repeat`` / ``np.tile``, constant ones ``np.zeros`` / ``np.full``. Its per-model and per-chip
    constants (bytes and FLOPs per token, roofs) are read once, before the clock, from the same
    reductions the library uses (numbers, not code, are shared); ``check_floor`` proves its arrays
    equal the sweep's.
    """
    import accelspec as a
    from accelspec.perf.bounds import layout_numbers
    from accelspec.perf.kernels import DEFAULT_RESERVE
    from accelspec.perf.memory import Parallelism, memory_options, model_profile
    from accelspec.perf.roofline import chip_numbers

    m, c = a.get_model(model), a.get_chip(chip)
    lay = Parallelism()
    ln = layout_numbers(m, lay, "native", kv_dtype="bf16", activation_dtype="bf16", state_dtype="bf16")
    (st,) = ln.stages
    assert not m.moe and not m.linear_attention and st.state == 0.0 and st.f_linear == 0.0, "floor: dense models"
    cn = chip_numbers(c, ln.dtypes.precision)
    peak, bw = cn.peak[1], cn.bandwidth[1]
    assert cn.peak[0] == cn.peak[2] and cn.bandwidth[0] == cn.bandwidth[2], "floor: a chip without ranges"
    cap = c.memory.capacity.q.m_as("B")
    prof = model_profile(m)
    o = memory_options(m, "native", "bf16", None, None, "bf16", "bf16", 8192, None)
    (ss,) = prof.stage_sums(1)
    bpe = {k: d.bytes_per_element for k, d in o.fmt.dtypes.items()}
    w_mem = (ss.attention * bpe["attention"] + ss.mlp * bpe["mlp"] + ss.router * bpe["router"]
             + ss.norms * bpe["norms"] + ss.experts * bpe["experts"] + prof.embedding * bpe["embedding"]
             + prof.head * bpe["lm_head"] + m.hidden_size * bpe["norms"])
    kv_elems = [(win, mla + std) for win, mla, std in ss.kv]
    per_tok, act_b, logits_row = prof.per_token_act(lay), o.act.bytes_per_element, m.vocab_size * 4.0
    kv_b, reserve = o.kv.bytes_per_element, float(DEFAULT_RESERVE)
    w_bound = float(m.params_total()) * 2.0
    kv_per_token = float(m.kv_cache_per_token("bf16").m_as("B/token"))
    flops_per_token = 2.0 * float(m.params_active())
    T = contexts.astype(np.float64).reshape(-1, 1)
    B = batches.astype(np.float64).reshape(1, -1)
    n = contexts.size * batches.size

    def one() -> np.ndarray:
        t_mem = (w_bound + kv_per_token * T * B) / bw
        t_cmp = flops_per_token * B / peak
        return np.maximum(t_mem, t_cmp)

    def full() -> dict[str, np.ndarray]:
        # the bound: FLOPs and bytes of the step (stage_traffic_tiers), then the roofline (step_times)
        kv = 0.0
        attn = 0.0
        for f_pair, kv_bytes, win in st.groups:
            span = np.minimum(T, win)
            kv = kv + kv_bytes * span
            attn = attn + f_pair * span
        mem = (st.w_fixed + st.emb_row * np.minimum(B, ln.vocab)) + B * kv
        flop = B * st.f_token + B * (st.f_head + attn)
        tc = flop / peak
        tm = mem / bw
        t = np.maximum(tc, tm)  # no link traffic on one chip
        # the footprint (memory.footprint_terms, one stage): weights + KV + max(decode, prefill activations) + reserve
        kv_tok = 0.0
        for win, e in kv_elems:
            kv_tok = kv_tok + e * np.minimum(T, win)
        act_decode = B * per_tok * act_b + B * logits_row
        act_prefill = np.minimum(8192.0, T * B) * per_tok * act_b + logits_row
        need = w_mem + kv_tok * B * kv_b + np.maximum(act_decode, act_prefill) + reserve
        return {
            "model": np.zeros(n, np.int32), "chip": np.zeros(n, np.int32),
            "context_tokens": np.repeat(contexts.astype(np.int64), batches.size),
            "batch": np.tile(batches.astype(np.int64), contexts.size), "n_chips": np.ones(n, np.int64),
            "precision": np.zeros(n, np.int8), "layout": np.zeros(n, np.int16),
            "memory_layout": np.zeros(n, np.int16),
            "time [s]": t.ravel(), "time_low [s]": t.ravel().copy(), "time_high [s]": t.ravel().copy(),
            "compute_time [s]": tc.ravel(), "memory_time [s]": tm.ravel(), "comm_time [s]": np.zeros(n),
            "tokens_per_s_per_user [token/s]": (1.0 / t).ravel(), "tokens_per_s_per_chip [token/s]": (B / t).ravel(),
            "intensity [FLOP/B]": (flop / mem).ravel(), "flop [FLOP]": flop.ravel(), "memory [B]": mem.ravel(),
            "comm [B]": np.zeros(n), "memory_per_chip [GB]": (need / 1e9).ravel(),
            "capacity [GB]": np.full(n, cap / 1e9), "limiter": (tm > tc).view(np.int8).ravel(),
            "fits": (need <= cap).view(np.int8).ravel(),
        }

    return one, full


def check_floor(floor: dict[str, np.ndarray], swept: dict[str, np.ndarray]) -> list[str]:
    """The numeric columns of ``sweep(output="arrays")`` that the hand-written floor lacks or gets
    wrong (``np.allclose``, exact for integer columns): empty when the floor is the same formulas."""
    bad = []
    for key, v in swept.items():
        if key.endswith("_names"):
            continue
        f = floor.get(key)
        if f is None or f.shape != v.shape:
            bad.append(f"{key}: missing or shaped {None if f is None else f.shape}")
        elif v.dtype.kind == "f" and not np.allclose(f, v, rtol=1e-12, atol=0.0, equal_nan=True):
            bad.append(f"{key}: differs")
        elif v.dtype.kind != "f" and not np.array_equal(f, v):
            bad.append(f"{key}: differs")
    return bad


def held_and_peak(fn) -> tuple[int, int]:
    """Bytes ``fn()``'s result holds and the traced peak while computing it (tracemalloc)."""
    import gc
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    res = fn()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del res
    return held - base, peak - base


def floor_and_memory() -> None:
    """Print the sweep beside both numpy floors (as bench_core.py), and the memory a sweep holds
    and peaks at per scenario (tracemalloc) for every column and for ``columns=["time", "fits"]``."""
    import accelspec as a

    contexts = np.linspace(128, 131072, 1000).round().astype(np.int64)
    batches = np.arange(1, 1001)
    one, full = numpy_floors("llama-3.1-8b", "h200", contexts, batches)
    bad = check_floor(full(), a.sweep("llama-3.1-8b", "h200", contexts, batches, output="arrays"))
    if bad:
        raise SystemExit(f"the hand-written floor is not the sweep's formulas: {bad}")

    def median(fn, n: int = 7) -> float:
        fn()
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    t_full = median(full)
    t_all = median(lambda: a.sweep("llama-3.1-8b", "h200", contexts, batches, output="arrays"))
    t_one = median(one)
    t_time = median(lambda: a.sweep("llama-3.1-8b", "h200", contexts, batches, output="arrays", columns=["time [s]"]))
    print(f"\nsweep vs the numpy floors ({contexts.size * batches.size:,} scenarios, llama-3.1-8b on h200; "
          "the full floor checked equal to the sweep's arrays)")
    print(f"  floor, every default column {t_full * 1e3:8.2f} ms   sweep(output='arrays') {t_all * 1e3:8.2f} ms"
          f"   x{t_all / t_full:.2f}")
    print(f"  floor, one decode formula   {t_one * 1e3:8.2f} ms   sweep(columns=['time [s]']) {t_time * 1e3:8.2f} ms"
          f"   x{t_time / t_one:.2f}")

    models, chips = ["llama-3.1-8b", "qwen3-30b-a3b"], ["h200-sxm", "h100-sxm"]
    ctx, bat, nch = np.arange(1, 501) * 256, np.arange(1, 251), [1, 8]
    n = len(models) * len(chips) * ctx.size * bat.size * len(nch)
    print(f"\nmemory per scenario (tracemalloc; {n:,} decode scenarios: 2 models x 2 chips x 500 contexts x "
          "250 batches x n_chips 1, 8)")
    a.sweep(models, chips, 1024)  # pandas imported and caches filled before the first trace
    for label, kw in (("DataFrame, every column", {}), ("arrays, every column", {"output": "arrays"}),
                      ("DataFrame, columns=['time', 'fits']", {"columns": ["time", "fits"]}),
                      ("arrays, columns=['time']", {"output": "arrays", "columns": ["time"]})):
        held, peak = held_and_peak(lambda kw=kw: a.sweep(models, chips, ctx, bat, nch, **kw))
        print(f"  {label:38s} held {held / n:6.1f} B   peak {peak / n:6.1f} B")


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

    # --- the numpy floors and memory per scenario ------------------------------------------------------
    floor_and_memory()

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
