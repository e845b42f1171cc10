"""Memory footprint, sharding, fits and the searches built on it."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.perf.memory import InvalidArgumentError, Parallelism

IDS = [m.id for m in a.models()]
GB = 1e9


def total(fp):
    return np.asarray(fp.total.m_as("B"), dtype=float)


def test_terms_add_up():
    fp = a.memory_footprint("qwen3-next-80b-a3b", 100_000, 4)
    t = {k: v.m_as("B") for k, v in fp.terms().items()}
    expect = (t["weights"] + t["kv_cache"] + t["linear_state"] + max(t["activations_decode"],
              t["activations_prefill"]) + t["reserve"])
    assert fp.total.m_as("B") == pytest.approx(expect)
    assert all(v.check("[information]") for v in fp.terms().values())
    m = a.get_model("qwen3-next-80b-a3b")
    assert t["weights"] == pytest.approx(m.weight_bytes("bf16").m)
    assert t["kv_cache"] == pytest.approx(m.kv_cache_bytes(100_000, 4).m)
    assert t["linear_state"] == pytest.approx(m.linear_state_bytes(4).m)
    assert t["reserve"] == 2 * 2**30


def test_single_chip_matches_model_methods():
    m = a.get_model("llama-3.1-70b")
    fp = a.memory_footprint(m, 32768, 2, weight_dtype="fp8", kv_dtype="fp8")
    assert fp.weights.m_as("B") == pytest.approx(m.weight_bytes("fp8").m)
    assert fp.kv_cache.m_as("B") == pytest.approx(2 * 32768 * m.kv_cache_per_token("fp8").m)
    assert fp.largest_term() == "weights"


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(IDS), st.lists(st.integers(1, 300_000), min_size=1, max_size=4),
       st.lists(st.integers(1, 64), min_size=1, max_size=3), st.sampled_from(["tp", "pp", "auto"]))
def test_vectorized_equals_scalar(mid, ctxs, batches, strategy):
    n = 4 if strategy != "auto" else 2
    m = a.get_model(mid)
    if strategy == "tp" and (m.n_heads % 4 or (m.mla is None and m.n_kv_heads % 4 and 4 % m.n_kv_heads)):
        strategy = "pp"  # tp=4 must divide the heads, and split or replicate the KV heads whole
    par = None if strategy == "auto" else strategy
    c = np.array(ctxs)[:, None]
    b = np.array(batches)[None, :]
    if par is None:  # auto picks one layout for the whole array: compare with that layout
        vec = a.memory_footprint(mid, c, b, n_chips=n)
        par = vec.parallelism
    else:
        vec = a.memory_footprint(mid, c, b, n_chips=n, parallelism=par)
    assert total(vec).shape == (len(ctxs), len(batches))
    for i, ci in enumerate(ctxs):
        for j, bj in enumerate(batches):
            one = a.memory_footprint(mid, ci, bj, n_chips=n, parallelism=par)
            for k in ("weights", "kv_cache", "linear_state", "activations_decode", "activations_prefill", "total"):
                got = np.broadcast_to(getattr(vec, k).m_as("B"), total(vec).shape)[i, j]
                assert got == pytest.approx(getattr(one, k).m_as("B"), rel=1e-12)


def test_to_frame_has_a_row_per_case():
    fp = a.memory_footprint("llama-3.1-8b", np.array([1024, 8192]), np.array([[1], [4]]))
    df = fp.to_frame()
    assert len(df) == 4 and "total_GB" in df and df["total_GB"].is_monotonic_increasing is not None


# --- sharding ------------------------------------------------------------------------------
def _valid_tp(mid):
    m = a.get_model(mid)
    out = []
    for tp in (1, 2, 4, 8, 16):
        try:
            Parallelism(tp=tp).check(m)
            out.append(tp)
        except InvalidArgumentError:
            pass
    return out


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(IDS), st.integers(1, 1_000_000), st.integers(1, 16),
       st.sampled_from(["tp", "pp", "cp", "tp+ep", "auto"]), st.sampled_from([2, 4, 8]))
def test_sharding_never_needs_more_per_chip(mid, ctx, batch, strategy, n):
    m = a.get_model(mid)
    if strategy == "tp+ep" and m.moe is None:
        strategy = "tp"
    if strategy in ("tp", "tp+ep") and n not in _valid_tp(mid):
        strategy = "pp"
    if strategy == "cp":
        ctx = max(ctx, n)
    par = None if strategy == "auto" else strategy
    one = a.memory_footprint(mid, ctx, batch)
    many = a.memory_footprint(mid, ctx, batch, n_chips=n, parallelism=par)
    assert total(many) <= total(one) * (1 + 1e-12)
    for k in ("weights", "kv_cache", "linear_state"):
        assert getattr(many, k).m <= getattr(one, k).m * (1 + 1e-12)


def test_tp_splits_weights_and_kv_heads():
    m = a.get_model("llama-3.1-70b")  # 64 heads, 8 KV heads
    one = a.memory_footprint(m, 65536)
    tp8 = a.memory_footprint(m, 65536, n_chips=8, parallelism="tp")
    assert tp8.kv_cache.m == pytest.approx(one.kv_cache.m / 8)
    assert tp8.weights.m < one.weights.m / 8 * 1.001


def test_kv_heads_replicate_past_their_count():
    m = a.get_model("qwen3-235b-a22b")  # 4 KV heads
    kv = {tp: a.memory_footprint(m, 65536, n_chips=tp, parallelism="tp").kv_cache.m for tp in (1, 2, 4, 8, 16)}
    assert kv[2] == pytest.approx(kv[1] / 2) and kv[4] == pytest.approx(kv[1] / 4)
    assert kv[8] == pytest.approx(kv[4]) and kv[16] == pytest.approx(kv[4])  # one head per chip, replicated


def test_mla_latent_replicates_across_tp_but_pp_and_cp_split_it():
    m = a.get_model("deepseek-v3")
    one = a.memory_footprint(m, 100_000).kv_cache.m
    assert a.memory_footprint(m, 100_000, n_chips=8, parallelism="tp").kv_cache.m == pytest.approx(one)
    pp = a.memory_footprint(m, 100_000, n_chips=8, parallelism="pp").kv_cache.m
    assert pp == pytest.approx(one * 8 / 61)  # the worst stage holds ceil(61 / 8) = 8 layers
    assert a.memory_footprint(m, 100_000, n_chips=8, parallelism="cp").kv_cache.m == pytest.approx(one / 8)


def test_ep_splits_experts():
    m = a.get_model("deepseek-v3")
    tp = a.memory_footprint(m, 4096, n_chips=8, parallelism="tp").weights.m
    ep = a.memory_footprint(m, 4096, n_chips=8, parallelism="ep").weights.m  # dp=8 attention, ep=8 experts
    experts = m.param_breakdown()["experts"] * 2 / 1e9
    assert ep > tp  # attention and dense parts are replicated under dp
    assert ep < experts / 8 + (m.params_total() * 2 / 1e9 - experts) * 1.001
    with pytest.raises(InvalidArgumentError, match="ep=3 does not divide the 256 experts"):
        a.memory_footprint(m, 4096, n_chips=3, parallelism={"dp": 3, "ep": 3})


def test_dp_splits_batch():
    m = a.get_model("llama-3.1-8b")
    one = a.memory_footprint(m, 8192, 16)
    dp = a.memory_footprint(m, 8192, 16, n_chips=4, parallelism="dp")
    assert dp.kv_cache.m == pytest.approx(one.kv_cache.m / 4) and dp.weights.m == pytest.approx(one.weights.m)


def test_parallelism_spellings():
    fp = a.memory_footprint("llama-3.1-70b", 8192, n_chips=8, parallelism="tp=4,pp=2")
    assert fp.parallelism == Parallelism(tp=4, pp=2)
    assert a.memory_footprint("llama-3.1-70b", 8192, n_chips=8, parallelism={"tp": 4, "pp": 2}).total == fp.total
    with pytest.raises(InvalidArgumentError, match="uses 8 chips but n_chips=4"):
        a.memory_footprint("llama-3.1-70b", 8192, n_chips=4, parallelism="tp=4,pp=2")
    with pytest.raises(InvalidArgumentError, match="parallelism"):
        a.memory_footprint("llama-3.1-70b", 8192, n_chips=4, parallelism="zigzag")


# --- fits ------------------------------------------------------------------------------------
def test_fits_result_fields():
    r = a.fits("llama-3.1-8b", "h100", context_tokens=8192)
    assert r and r.verdict == "fits" and r.largest_term == "weights"
    assert r.available == a.Q_(80, "GB") and r.headroom.m == pytest.approx(80 - r.required.m_as("GB"))
    assert "needs" in r.explanation and "H100" in r.explanation and "\n" not in r.explanation
    r = a.fits("llama-3.1-405b", "h100", context_tokens=8192)
    assert not r and r.verdict == "does not fit" and r.headroom.m < 0


def test_capacity_range_flows_into_the_verdict():
    chip = a.get_chip("b200")  # 180 GB shipped (issue 25), range 180-192 GB (192 GB: launch "up to")
    assert chip.memory.capacity.low < chip.memory.capacity.high
    m = a.get_model("llama-3.1-70b")
    lim = a.max_context(m, chip, weight_dtype="fp8")
    assert lim.low == lim.value < lim.high
    mid = (lim.value + lim.high) // 2
    r = a.fits(m, chip, mid, weight_dtype="fp8")
    assert r.verdict == "depends on the estimate" and not r.fits
    assert a.fits(m, chip, lim.value, weight_dtype="fp8").verdict == "fits"
    assert a.fits(m, chip, lim.high + 1, weight_dtype="fp8").verdict == "does not fit"
    assert "180" in r.explanation and "192" in r.explanation


def test_unpublished_capacity_is_a_clear_error():
    with pytest.raises(a.NotPublishedError, match="capacity is not published"):
        a.fits("llama-3.1-8b", "mlu590", context_tokens=4096)
    r = a.fits("llama-3.1-8b", "mlu590", context_tokens=4096, capacity="96 GB")
    assert r.fits and r.available == a.Q_(96, "GB")


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(IDS), st.integers(1, 2_000_000), st.integers(1, 2_000_000), st.integers(1, 8))
def test_fits_monotone_in_context(mid, c1, c2, batch):
    lo, hi = sorted((c1, c2))
    if a.fits(mid, "h200", hi, batch, weight_dtype="fp8").fits:
        assert a.fits(mid, "h200", lo, batch, weight_dtype="fp8").fits


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(IDS), st.integers(1, 2_000_000), st.sampled_from(["tp", "pp", "auto"]))
def test_fits_monotone_in_chips(mid, ctx, strategy):
    counts = _valid_tp(mid) if strategy == "tp" else [1, 2, 4, 8, 16]
    par = None if strategy == "auto" else strategy
    seen = False
    for n in counts:
        ok = a.fits(mid, "zhenwu-m890", ctx, n_chips=n, parallelism=par if n > 1 else None).fits
        assert ok or not seen, f"{mid} fits on fewer chips than {n}"
        seen = seen or ok


def test_reserve_as_a_fraction():
    r = a.fits("llama-3.1-8b", "h100", 8192, reserve=0.1)
    assert r.footprint.reserve.m_as("GB") == pytest.approx(8.0)


# --- searches --------------------------------------------------------------------------------
@pytest.mark.parametrize(("mid", "chip", "n", "par", "wd"), [
    ("llama-3.1-8b", "h100", 1, None, "bf16"), ("qwen3-235b-a22b", "zhenwu-m890", 8, "tp", "fp8"),
    ("gpt-oss-120b", "h20", 1, None, "native"), ("deepseek-v3", "h200", 8, "pp", "native"),
    ("qwen3-next-80b-a3b", "h200", 2, None, "fp8"),
])
def test_max_context_is_the_edge(mid, chip, n, par, wd):
    lim = a.max_context(mid, chip, n_chips=n, parallelism=par, weight_dtype=wd)
    assert 0 < lim.value < 2**40
    assert a.fits(mid, chip, int(lim.value), n_chips=n, parallelism=par, weight_dtype=wd).fits
    assert not a.fits(mid, chip, int(lim.value) + 1, n_chips=n, parallelism=par, weight_dtype=wd).fits
    assert int(lim) == lim.value and str(lim) == lim.explanation


def test_max_context_zero_when_weights_do_not_fit():
    lim = a.max_context("qwen3-235b-a22b", "zhenwu-m890", weight_dtype="fp8")
    assert lim.value == 0 and "does not fit even at 1" in lim.explanation


def test_max_batch_is_the_edge():
    lim = a.max_batch("llama-3.1-8b", "h100", 8192)
    assert a.fits("llama-3.1-8b", "h100", 8192, int(lim)).fits
    assert not a.fits("llama-3.1-8b", "h100", 8192, int(lim) + 1).fits


def test_min_chips_is_the_edge():
    got = a.min_chips("deepseek-v3", "h200", 1_000_000, weight_dtype="native", parallelism="pp")
    n = got.value
    assert a.fits("deepseek-v3", "h200", 1_000_000, n_chips=n, parallelism="pp", weight_dtype="native").fits
    assert not a.fits("deepseek-v3", "h200", 1_000_000, n_chips=n - 1, parallelism="pp",
                      weight_dtype="native").fits
    auto = a.min_chips("deepseek-v3", "h200", 1_000_000, weight_dtype="native")
    assert auto.value <= n and auto.parallelism.n_chips == auto.value


def test_min_chips_skips_counts_the_strategy_cannot_use():
    got = a.min_chips("llama-3.1-405b", "h100", 8192, parallelism="tp")
    # 811 GB of bf16 weights: tp=8 leaves 101 GB per chip; 9..15 do not divide the 128 heads
    assert got.value == 16 and got.parallelism == Parallelism(tp=16)


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kw", "arg"), [
    ({"context_tokens": 0}, "context_tokens"), ({"context_tokens": -5}, "context_tokens"),
    ({"context_tokens": 10.5}, "context_tokens"), ({"batch": 0}, "batch"), ({"batch": -1}, "batch"),
    ({"n_chips": 0}, "n_chips"), ({"context_tokens": np.array([5, 0])}, "context_tokens"),
    ({"context_tokens": True}, "context_tokens"), ({"prefill_chunk": 0}, "prefill_chunk"),
])
def test_bad_counts_name_the_argument(kw, arg):
    args = {"context_tokens": 4096, "batch": 1, "n_chips": 1, **kw}
    with pytest.raises(InvalidArgumentError) as exc:
        a.memory_footprint("llama-3.1-8b", **args)
    assert exc.value.argument == arg and str(exc.value).startswith(arg)
    with pytest.raises(ValueError, match=arg):
        a.fits("llama-3.1-8b", "h100", **args)


def test_tp_that_does_not_divide_heads():
    with pytest.raises(InvalidArgumentError, match="tp=3 does not divide the 64 attention heads"):
        a.fits("qwen3-235b-a22b", "h200", 4096, n_chips=3, parallelism="tp")
    cfg = dict(a.get_model("llama-2-7b").config, num_attention_heads=48, num_key_value_heads=12, head_dim=128)
    odd = a.Model.from_hf_config(cfg, id="odd")
    with pytest.raises(InvalidArgumentError, match="12 KV heads"):
        a.memory_footprint(odd, 4096, n_chips=8, parallelism="tp")
    cfg = dict(a.get_model("qwen3-next-80b-a3b").config, linear_num_key_heads=12)
    with pytest.raises(InvalidArgumentError, match="linear-attention heads"):
        a.memory_footprint(a.Model.from_hf_config(cfg, id="odd-next"), 4096, n_chips=8, parallelism="tp")


def test_unknown_dtype_names_the_argument():
    with pytest.raises(a.UnknownNameError, match="weight_dtype"):
        a.fits("llama-3.1-8b", "h100", 4096, weight_dtype="fp7")
    with pytest.raises(a.UnknownNameError, match="kv_dtype"):
        a.memory_footprint("llama-3.1-8b", 4096, kv_dtype="bf17")


def test_unknown_model_and_chip():
    with pytest.raises(a.UnknownNameError, match="model"):
        a.memory_footprint("llama-9", 4096)
    with pytest.raises(a.UnknownChipError):
        a.fits("llama-3.1-8b", "h1000", 4096)


def test_context_as_quantity():
    fp = a.memory_footprint("llama-3.1-8b", a.Q_(4096, "token"))
    assert fp.total == a.memory_footprint("llama-3.1-8b", 4096).total




def test_max_batch_and_max_context_take_a_deployment_min_chips_refuses_one():
    import accelspec as a
    from accelspec.errors import DeploymentError

    dep = a.Deployment("h200", n_chips=2, dtypes="bf16")
    by_dep = a.max_batch("llama-3.1-70b", dep, 8192)
    by_kw = a.max_batch("llama-3.1-70b", "h200", 8192, n_chips=2, weight_dtype="bf16", kv_dtype="bf16")
    assert by_dep.value == by_kw.value > 1 and by_dep.explanation == by_kw.explanation
    ctx = a.max_context("llama-3.1-8b", a.Deployment("h100", dtypes="bf16"), batch=4)
    assert ctx.value == a.max_context("llama-3.1-8b", "h100", batch=4, weight_dtype="bf16").value
    with pytest.raises(DeploymentError, match="n_chips is set by the deployment"):
        a.max_batch("llama-3.1-70b", dep, 8192, n_chips=4)
    with pytest.raises(DeploymentError, match="min_chips: searches the chip count, which a Deployment fixes"):
        a.min_chips("llama-3.1-70b", dep, 8192)
    with pytest.raises(DeploymentError, match="expected a chip or a system, got a Deployment"):
        a.resolve_hardware(dep)


def test_footprint_table_equals_total_and_auto():
    """The memory search's one-pass table gives each layout's _total to the last bit, and the
    layout the one-by-one search chose (least total, ties to fewer pp, cp, dp, then more tp)."""
    from accelspec.perf import memory as M
    from accelspec.perf.kernels import layout_preference

    for model, n in (("deepseek-v3", 8), ("qwen3-235b-a22b", 12), ("llama-3.1-70b", 16)):
        m = a.get_model(model)
        p = M.model_profile(m)
        o = M.memory_options(m, None, "bf16", None, None, "bf16", "bf16", 8192, None)
        tab = M.footprint_table(p, n, o, every_ep=True)
        for ctx, b in ((4096, 8), (100, 1), (131072, 64)):
            c, bb = np.asarray([float(ctx)]), np.asarray([float(b)])
            ref = [float(M.footprint_total(p, lay, c, bb, o)[0]) for lay in tab.lays]
            assert tab.totals(float(ctx), float(b), o).tolist() == ref
            cands = M.candidates(m, n, ctx, b)
            old = cands[min((float(M.footprint_total(p, lay, c, bb, o)[0]), *layout_preference(lay), i)
                            for i, lay in enumerate(cands))[-1]]
            assert M._auto(p, n, c, bb, o) == old
