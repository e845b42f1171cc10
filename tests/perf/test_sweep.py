"""Cartesian sweeps: equal to the scalar calls, long form with units, xarray, a million rows."""

from __future__ import annotations

import numpy as np
import pytest

import accelspec as a
from accelspec.hardware.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from accelspec.perf.bounds import LIMITERS, decode_bound, prefill_bound
from accelspec.perf.sweep import COLUMNS, sweep
from accelspec.testing import SOURCE

MODELS = ["llama-3.1-8b", "qwen3-235b-a22b", "gpt-oss-120b", "qwen3-next-80b-a3b", "deepseek-v3"]
CHIPS = ["h200-sxm", "h100-sxm", "a100-sxm", "h20"]
CTX = [1, 127, 128, 129, 4096, 131_072]
BATCH = [1, 3, 64, 1024]
NCHIPS = [1, 2, 8]


def ranged_chip():
    def spec(value, rng=None, **kw):
        return {"value": value, "source": SOURCE, "status": "estimated", "basis": "test", "range": rng, **kw}

    return Chip.model_validate({
        "id": "ranged", "name": "Ranged", "vendor": "T",
        "compute": {"dense": {"bf16": spec("500 TFLOPS", ["400 TFLOPS", "600 TFLOPS"])}},
        "memory": {"bandwidth": spec("2 TB/s", ["1.5 TB/s", "2.5 TB/s"])},
        "interconnect": {"scale_up": {"bandwidth": {"value": "700 GB/s", "direction": "unspecified",
                                                    "source": SOURCE, "status": "reported"}}},
    })


@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_sweep_rows_equal_scalar_calls(phase):
    chips = [*CHIPS, ranged_chip()]
    df = sweep(MODELS, chips, CTX, BATCH, NCHIPS, phase=phase)
    assert len(df) == len(MODELS) * len(chips) * len(CTX) * len(BATCH) * len(NCHIPS)
    fn = decode_bound if phase == "decode" else prefill_bound
    chip_by_id = {("ranged" if isinstance(c, Chip) else a.get_chip(c).id): c for c in chips}
    rows = np.random.default_rng(1).choice(len(df), 150, replace=False)
    for r in rows:
        row = df.iloc[r]
        lay = None if row["layout"] == "single chip" else row["layout"]  # the sweep's layout: fits's
        b = fn(row["model"], chip_by_id[row["chip"]], int(row["context_tokens"]), int(row["batch"]),
               int(row["n_chips"]), parallelism=lay)
        assert row["time [s]"] == b.t  # exactly: the same kernels on the same floats
        assert row["time_low [s]"] == b.t_low and row["time_high [s]"] == b.t_high
        assert row["compute_time [s]"] == b.t_compute and row["memory_time [s]"] == b.t_memory
        assert row["comm_time [s]"] == b.t_comm
        assert row["flop [FLOP]"] == b.flops and row["memory [B]"] == b.bytes and row["comm [B]"] == b.comm_bytes
        assert row["tokens_per_s_per_chip [token/s]"] == pytest.approx(b.tokens_per_s_per_chip.m, rel=1e-15)
        assert row["tokens_per_s_per_user [token/s]"] == pytest.approx(b.tokens_per_s_per_user.m, rel=1e-15)
        assert row["intensity [FLOP/B]"] == b.flops / b.bytes
        assert row["limiter"] == b.limiter
        assert row["precision"] == str(b.precision)
        assert row["layout"] == b.layout


def test_long_form_columns_and_types():
    df = sweep(["llama-3.1-8b"], ["h200-sxm", "h20"], [1024, 8192], [1, 8])
    assert list(df.columns) == ["model", "chip", "precision", "context_tokens", "batch", "n_chips", "layout",
                                "memory_layout", *COLUMNS, "limiter", "fits"]
    assert str(df["model"].dtype) == "category" and str(df["limiter"].dtype) == "category"
    assert set(df["limiter"].cat.categories) == set(LIMITERS)
    assert df.attrs["phase"] == "decode"
    # row order: model, chip, context, batch, n_chips (C order)
    assert list(df["chip"][:4]) == ["h200-sxm"] * 4 and list(df["batch"][:4]) == [1, 8, 1, 8]
    assert np.all(df["time_low [s]"] <= df["time [s]"]) and np.all(df["time [s]"] <= df["time_high [s]"])
    # single values are accepted for every axis
    one = sweep("llama-3.1-8b", "h200-sxm", 4096)
    assert len(one) == 1 and one["time [s]"][0] == decode_bound("llama-3.1-8b", "h200-sxm", 4096).t


def test_ranges_in_sweep_cover_every_point():
    df = sweep(["llama-3.1-8b", "qwen3-235b-a22b"], [ranged_chip()], [512, 65536], [1, 256], [1, 4])
    assert np.all(df["time_low [s]"] < df["time_high [s]"])
    for bw in (1.5e12, 2.0e12, 2.5e12):
        point = Chip.model_validate({
            "id": "point", "name": "P", "vendor": "T",
            "compute": {"dense": {"bf16": {"value": "400 TFLOPS", "source": SOURCE, "status": "official"}}},
            "memory": {"bandwidth": {"value": f"{bw!r} B/s", "source": SOURCE, "status": "official"}},
            "interconnect": {"scale_up": {"bandwidth": {"value": "500 GB/s", "direction": "per_direction",
                                                        "source": SOURCE, "status": "official"}}},
        })
        p = sweep(["llama-3.1-8b", "qwen3-235b-a22b"], [point], [512, 65536], [1, 256], [1, 4])
        assert np.all(df["time_low [s]"].to_numpy() <= p["time [s]"].to_numpy())
        assert np.all(p["time [s]"].to_numpy() <= df["time_high [s]"].to_numpy())


def test_xarray_output_matches_dataframe():
    pytest.importorskip("xarray")
    args = (["llama-3.1-8b", "gpt-oss-120b"], ["h200-sxm", "h100-sxm"], [256, 4096], [1, 16, 256], [1, 8])
    ds = sweep(*args, output="xarray")
    df = sweep(*args)
    assert ds["time"].dims == ("model", "chip", "context_tokens", "batch", "n_chips")
    assert ds["time"].attrs["units"] == "s"
    np.testing.assert_array_equal(ds["time"].values.ravel(), df["time [s]"].to_numpy())
    v = ds["tokens_per_s_per_chip"].sel(model="gpt-oss-120b", chip="h100-sxm", context_tokens=4096, batch=16,
                                        n_chips=8)
    assert float(v) == pytest.approx(decode_bound("gpt-oss-120b", "h100-sxm", 4096, 16, 8).tokens_per_s_per_chip.m)
    arrays = sweep(*args, output="arrays")
    np.testing.assert_array_equal(arrays["time [s]"], df["time [s]"].to_numpy())


def test_a_million_scenarios_in_one_call():
    df = sweep(["llama-3.1-8b", "qwen3-235b-a22b"], ["h200-sxm", "h20"], np.arange(1, 126) * 1000,
               np.arange(1, 201), [1, 8])
    assert len(df) == 2 * 2 * 125 * 200 * 2 == 200_000
    big = sweep(["llama-3.1-8b", "qwen3-235b-a22b", "deepseek-v3", "gpt-oss-120b"], ["h200-sxm", "h20", "h100-sxm",
                "a100-sxm", "b200"], np.arange(1, 501) * 256, np.arange(1, 101), 1, output="arrays")
    assert big["time [s]"].size == 4 * 5 * 500 * 100 == 1_000_000
    assert np.all(np.isfinite(big["time [s]"]))


def test_missing_values():
    with pytest.raises(UnsupportedPrecisionError, match="published dense precisions"):
        sweep("llama-3.1-8b", ["h200-sxm", "a100-sxm"], 1024, weight_dtype="fp8")
    df = sweep("llama-3.1-8b", ["h200-sxm", "a100-sxm"], 1024, weight_dtype="fp8", on_missing="nan")
    assert np.isnan(df["time [s]"][1]) and not np.isnan(df["time [s]"][0])
    assert df["limiter"].isna().tolist() == [False, True]
    with pytest.raises(NotPublishedError):
        sweep("llama-3.1-8b", ["hanguang-800"], 1024, weight_dtype="int8")
    no_link = Chip.model_validate({
        "id": "nolink", "name": "No link", "vendor": "T",
        "compute": {"dense": {"bf16": {"value": "100 TFLOPS", "source": SOURCE, "status": "official"}}},
        "memory": {"bandwidth": {"value": "1 TB/s", "source": SOURCE, "status": "official"}},
    })
    with pytest.raises(NotPublishedError, match="interconnect"):
        sweep("llama-3.1-8b", no_link, 1024, 1, [1, 2])
    df = sweep("llama-3.1-8b", no_link, 1024, 1, [1, 2], on_missing="nan")
    assert np.isfinite(df["time [s]"][0]) and np.isnan(df["time [s]"][1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="phase"):
        sweep("llama-3.1-8b", "h200-sxm", 1024, phase="train")
    with pytest.raises(ValueError, match="positive whole number"):
        sweep("llama-3.1-8b", "h200-sxm", [0, 1])
    with pytest.raises(TypeError, match="whole number"):
        sweep("llama-3.1-8b", "h200-sxm", [1.5])
    with pytest.raises(ValueError, match="twice"):
        sweep(["llama-3.1-8b", "llama-3.1-8b"], "h200-sxm", 1)
    with pytest.raises(ValueError, match="output"):
        sweep("llama-3.1-8b", "h200-sxm", 1, output="csv")


# --- what fits --------------------------------------------------------------------------------
def test_fits_column_worked():
    """Llama-3.1-8B bf16, batch 1, one H20 (96 GB): at 4,096 tokens the weights (16.06 GB) and
    KV cache (131,072 B/token x 4,096 = 0.537 GB) fit; at 1M tokens the KV cache alone is
    131.07 GB, so the deployment does not fit, but its row keeps its bound."""
    df = sweep("llama-3.1-8b", ["h20", "h200-sxm"], [4096, 1_000_000])
    h20 = df[df["chip"] == "h20"].set_index("context_tokens")
    assert h20.loc[4096, "capacity [GB]"] == 96.0
    assert bool(h20.loc[4096, "fits"]) and not bool(h20.loc[1_000_000, "fits"])
    assert h20.loc[1_000_000, "memory_per_chip [GB]"] > 16.06 + 131.07
    assert np.isfinite(h20.loc[1_000_000, "time [s]"])  # flagged, not dropped
    # the same footprint as fits(): required memory per chip to the byte
    for T in (4096, 1_000_000):
        f = a.fits("llama-3.1-8b", "h20", T)
        assert h20.loc[T, "memory_per_chip [GB]"] == pytest.approx(f.required.m_as("GB"), rel=1e-12)
        assert bool(h20.loc[T, "fits"]) == bool(f)
    # 141 GB H200: 1M tokens needs 150.3 GB on one chip (does not fit), fits on 8 in TP
    d8 = sweep("llama-3.1-8b", "h200-sxm", 1_000_000, 1, [1, 8])
    assert d8["fits"].tolist() == [False, True] and d8["layout"].tolist() == ["single chip", "tp=8"]
    only = sweep("llama-3.1-8b", ["h20", "h200-sxm"], [4096, 1_000_000], only_fitting=True)
    assert len(only) == 2 and set(only["context_tokens"]) == {4096}
    arr = sweep("llama-3.1-8b", ["h20", "h200-sxm"], [4096, 1_000_000], output="arrays", only_fitting=True)
    assert arr["time [s]"].size == 2 and np.all(arr["fits"] == 1)


def test_fits_reserve_and_unknown_capacity():
    base = sweep("llama-3.1-8b", "h200-sxm", 4096)
    frac = sweep("llama-3.1-8b", "h200-sxm", 4096, reserve=0.1)  # vLLM's 10% of 141 GB
    assert frac["memory_per_chip [GB]"][0] - base["memory_per_chip [GB]"][0] == pytest.approx(
        14.1 - 2 * 2**30 / 1e9, rel=1e-9)
    assert frac["memory_per_chip [GB]"][0] == pytest.approx(a.fits("llama-3.1-8b", "h200-sxm", 4096,
                                                                    reserve=0.1).required.m_as("GB"), rel=1e-12)
    df = sweep("llama-3.1-8b", ranged_chip(), 4096)  # no capacity published
    assert np.isnan(df["capacity [GB]"][0]) and df["fits"].isna().all()
    ds_arr = sweep("llama-3.1-8b", ranged_chip(), 4096, output="arrays")
    assert ds_arr["fits"].tolist() == [-1]


def test_sweep_memory_layout_is_the_fits_layout():
    """DeepSeek-V3 (fp8 checkpoint) on 6 x H200 at 1M tokens: fits places it as pp=6 (the MLA
    latent is replicated over TP ranks, so only pipeline stages split it); the sweep's
    memory_layout (the layout of its fits and memory_per_chip columns) is that layout, as
    decode_bound's memory_layout, and its time, layout and fit are decode_bound's."""
    f = a.fits("deepseek-v3", "h200-sxm", 1_000_000, n_chips=6, weight_dtype="native")
    df = sweep("deepseek-v3", "h200-sxm", 1_000_000, 1, 6, weight_dtype="native")
    b = decode_bound("deepseek-v3", "h200-sxm", 1_000_000, 1, 6, weight_dtype="native")
    assert str(f.parallelism) == df["memory_layout"][0] == b.memory_layout == "pp=6"
    assert df["layout"][0] == b.layout and df["time [s]"][0] == b.t
    assert bool(df["fits"][0]) == bool(f)
    assert df["memory_per_chip [GB]"][0] == pytest.approx(f.required.m_as("GB"), rel=1e-12)
    pp6 = decode_bound("deepseek-v3", "h200-sxm", 1_000_000, 1, 6, weight_dtype="native", parallelism="pp=6")
    assert pp6.t == b.memory_layout_t >= b.t
    assert df.attrs["layout"].startswith("layout: the fastest layout that fits")
    fixed = sweep("llama-3.1-8b", "h200-sxm", 4096, 1, [2, 4], parallelism="pp")
    assert fixed["layout"].tolist() == fixed["memory_layout"].tolist() == ["pp=2", "pp=4"]


def test_heatmap_masks_deployments_that_do_not_fit():
    """Llama-3.1-8B bf16, batch 8, one chip: at 131,072 tokens the KV cache is
    8 x 131,072 x 131,072 B = 137.4 GB, so no chip of 80-141 GB holds it; MI300X (192 GB) does.
    The non-fitting cells are grey and hatched, labelled with the memory needed, never a speed."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accelspec import plot

    df = sweep("llama-3.1-8b", ["h200-sxm", "a800-sxm", "mi300x"], [4096, 131_072], 8)
    ax = plot.sweep_heatmap(df, "context_tokens", "chip", "tokens_per_s_per_user [token/s]")
    texts = [t.get_text() for t in ax.texts]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 2  # h200 and a800 at 131,072 tokens
    assert sum(t.startswith("needs") for t in texts) == 2
    mi = df[(df["chip"] == "mi300x") & (df["context_tokens"] == 131_072)]
    assert bool(mi["fits"].iloc[0]) and f"{mi['tokens_per_s_per_user [token/s]'].iloc[0]:.3g}" in texts
    no = df[(df["chip"] == "h200-sxm") & (df["context_tokens"] == 131_072)]
    assert f"{no['tokens_per_s_per_user [token/s]'].iloc[0]:.3g}" not in texts
    legend = [t.get_text() for lg in ax.figure.legends for t in lg.get_texts()]
    assert any("does not fit" in t for t in legend)
    assert "[tokens]" in ax.get_xlabel()
    plt.close("all")


# --- the checkpoint's formats by default (issue 10) ---------------------------------------------
def test_sweep_default_is_the_checkpoint_format_with_bf16_fallback_per_chip():
    """DeepSeek-V3 ships fp8 (128x128 block-scaled): fp8 GEMMs on an H200, bf16 on an A100
    (no fp8 there: the weights are upcast), the same as the scalar bound on each chip."""
    df = sweep("deepseek-v3", ["h200-sxm", "a100-sxm"], 4096, 1, 8)
    assert list(df["precision"].astype(str)) == ["fp8", "bf16"]
    assert "A100" in df.attrs["compute_fallback"]["deepseek-v3 on a100-sxm"]
    for _, row in df.iterrows():
        b = decode_bound("deepseek-v3", row["chip"], 4096, 1, 8)
        assert row["time [s]"] == b.t and row["precision"] == str(b.precision)
    explicit = sweep("deepseek-v3", "h200-sxm", 4096, 1, 8, weight_dtype="native")
    assert explicit["time [s]"].iloc[0] == df["time [s]"].iloc[0]


# --- columns and chunks (issue 15: scale) -------------------------------------------------------
def test_columns_returns_only_those_asked():
    args = (["llama-3.1-8b", "gpt-oss-120b"], ["h200-sxm", "h20"], [1024, 131_072], [1, 64], [1, 8])
    full = sweep(*args)
    some = sweep(*args, columns=["time", "fits"])  # short names work too
    assert list(some.columns) == ["model", "chip", "context_tokens", "batch", "n_chips", "time [s]", "fits"]
    assert some["time [s]"].equals(full["time [s]"]) and some["fits"].equals(full["fits"])
    mem = sweep(*args, columns=["memory_per_chip [GB]"])  # no bound computed at all
    np.testing.assert_array_equal(mem["memory_per_chip [GB]"], full["memory_per_chip [GB]"])
    arr = sweep(*args, columns=["tokens_per_s_per_user [token/s]"], output="arrays")
    assert "time [s]" not in arr and "fits" not in arr
    np.testing.assert_array_equal(arr["tokens_per_s_per_user [token/s]"], full["tokens_per_s_per_user [token/s]"])
    fitting = sweep(*args, columns=["time"], only_fitting=True)
    assert list(fitting.columns)[-1] == "time [s]"
    np.testing.assert_array_equal(fitting["time [s]"], full[full["fits"].fillna(False)]["time [s]"])
    with pytest.raises(a.AccelspecError, match="did you mean 'time'"):
        sweep(*args, columns=["tme"])


def test_chunks_concatenated_equal_the_unchunked_sweep():
    import pandas as pd

    from accelspec.perf.sweep import sweep_iter

    args = (["llama-3.1-8b", "deepseek-v3"], ["h200-sxm", "a100-sxm"], [1, 4096, 131_072, 1_000_000],
            [1, 8, 64], [1, 8])
    full = sweep(*args)
    pieces = list(sweep_iter(*args, chunk_size=7))  # 7 rows: one context (3 batches x 2 chip counts = 6) per piece
    assert len(pieces) == 2 * 2 * 4 and all(len(p) == 6 for p in pieces)
    joined = pd.concat(pieces, ignore_index=True)
    for c in ("layout", "memory_layout", "precision", "limiter"):
        joined[c], full[c] = joined[c].astype(str), full[c].astype(str)
    pd.testing.assert_frame_equal(joined, full, check_categorical=False)
    small = list(sweep_iter(*args, chunk_size=2))  # below one batch x n_chips block: split the batches
    assert len(small) == 2 * 2 * 4 * 3 and len(pd.concat(small)) == len(full)
    arrays = list(sweep_iter(*args, chunk_size=100, output="arrays", columns=["time"]))
    np.testing.assert_array_equal(np.concatenate([p["time [s]"] for p in arrays]), full["time [s]"])
    np.testing.assert_array_equal(np.concatenate([p["chip"] for p in arrays]), full["chip"].cat.codes)
    with pytest.raises(a.AccelspecError, match="chunk_size"):
        next(sweep_iter(*args, chunk_size=0))


# --- the fast core (issue 9: within 3x of a hand-written numpy floor) ----------------------------
def _sweep_module():
    import importlib

    return importlib.import_module("accelspec.perf.sweep")  # accelspec.perf.sweep is also the function


@pytest.mark.parametrize("model", ["llama-3.1-8b", "gpt-oss-120b", "qwen3-next-80b-a3b", "deepseek-v3"])
def test_footprint_total_kernel_equals_the_footprint_terms(model):
    """memory._total (the sweep's footprint, vectors kept apart, passes in place) equals
    memory.footprint_terms()["total"] (memory_footprint's kernel) to the last bit, for every layout of
    8 chips (tp, pp, ep, cp, dp), sliding windows, MLA latents and linear-attention state."""
    from accelspec.perf.memory import candidates, footprint_terms, footprint_total, memory_options, model_profile

    m = a.get_model(model)
    prof = model_profile(m)
    opts = memory_options(m, "native", "fp8", None, None, "bf16", "bf16", 8192, None)
    T = np.array([1.0, 127, 4096, 131_072, 1_000_000]).reshape(-1, 1)
    B = np.array([1.0, 3, 64, 1000]).reshape(1, -1)
    lays = [a.Parallelism(), *candidates(m, 8, 1e6, 1000)]
    assert any(lay.cp > 1 for lay in lays) and any(lay.pp > 1 for lay in lays)
    for lay in lays:
        ctx = np.maximum(T, lay.cp)
        np.testing.assert_array_equal(footprint_total(prof, lay, ctx, B, opts),
                                      footprint_terms(prof, lay, ctx, B, opts)["total"])


@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_stage_traffic_in_place_equals_the_plain_sums(phase):
    """stage_traffic_tiers(out=...) writes the same FLOPs and bytes as the plain expression."""
    from accelspec.perf.bounds import layout_numbers, stage_traffic_tiers
    from accelspec.perf.memory import candidates

    T = np.array([1.0, 129, 4096, 131_072]).reshape(-1, 1)
    B = np.array([1.0, 3, 64]).reshape(1, -1)
    dom = np.array([np.inf, 4.0]).reshape(2, 1, 1)
    net = np.array([False, True]).reshape(2, 1, 1)
    for model in ("qwen3-235b-a22b", "deepseek-v3", "qwen3-next-80b-a3b"):
        m = a.get_model(model)
        for lay in candidates(m, 8, 1e6, 64)[::3]:
            ln = layout_numbers(m, lay)
            for st in ln.stages:
                plain = stage_traffic_tiers(ln, st, phase, T, B, domain=dom, in_network=net)
                bufs = (np.full((4, 3), np.nan), np.full((4, 3), np.nan))
                done = stage_traffic_tiers(ln, st, phase, T, B, domain=dom, in_network=net, out=bufs)
                assert done[0] is bufs[0] and done[1] is bufs[1]
                for x, y in zip(plain, done, strict=True):
                    np.testing.assert_array_equal(np.broadcast_to(x, np.broadcast_shapes(np.shape(x), np.shape(y))),
                                                  np.broadcast_to(y, np.broadcast_shapes(np.shape(x), np.shape(y))))


@pytest.mark.parametrize("phase", ["decode", "prefill"])
def test_blocks_do_not_change_a_single_value(monkeypatch, phase):
    """The grid is evaluated in blocks of contexts; blocks of 1-3 contexts (the layout search
    and the bound run per block) give the same arrays, layout codes and names as one block."""
    S = _sweep_module()
    args = (["llama-3.1-8b", "deepseek-v3", "qwen3-next-80b-a3b"], ["h200-sxm", "a100-sxm", ranged_chip()],
            [1, 127, 4096, 131_072, 1_000_000], [1, 3, 64], [1, 6, 8])
    kw = {"phase": phase, "output": "arrays", "on_missing": "nan"}
    monkeypatch.setattr(S, "_BLOCK", 10**9)
    whole = sweep(*args, **kw)
    assert len(set(whole["layout"].tolist())) > 4  # the search picks different layouts over the grid
    for block in (3, 7):  # batch axis of 3: blocks of 1 and 2 contexts
        monkeypatch.setattr(S, "_BLOCK", block)
        parts = sweep(*args, **kw)
        assert parts.keys() == whole.keys()
        for key, v in whole.items():
            np.testing.assert_array_equal(parts[key], v, err_msg=key)
    monkeypatch.setattr(S, "_BLOCK", 3)
    nooverlap = sweep(*args, **kw, overlap=False)
    monkeypatch.setattr(S, "_BLOCK", 10**9)
    for key, v in sweep(*args, **kw, overlap=False).items():
        np.testing.assert_array_equal(nooverlap[key], v, err_msg=key)


@pytest.mark.parametrize("chips", [["h200-sxm"], ["h200-sxm", "h20"], [ranged_chip()]])
def test_each_column_alone_equals_the_full_sweep(chips):
    """columns=[one] takes the fast paths (one chip and one stage: the FLOP and byte grids are
    divided in place into the time columns; no footprint without memory columns; no range
    pass without ranges): each column equals the full sweep's, exactly."""
    from accelspec.perf.sweep import SWEEP_COLUMNS

    args = (["llama-3.1-8b", "gpt-oss-120b"], chips, [1, 4096, 131_072], [1, 64], [1, 4])
    full = sweep(*args, output="arrays")
    for col in SWEEP_COLUMNS:
        one = sweep(*args, output="arrays", columns=[col])
        assert set(one) == {"model", "chip", "context_tokens", "batch", "n_chips", col, "model_names",
                            "chip_names", "layout_names", "memory_layout_names", "precision_names"}
        np.testing.assert_array_equal(one[col], full[col], err_msg=col)
    one = sweep(args[0][0], chips, args[2], args[3], 1, output="arrays", columns=["time", "limiter"])
    sub = (full["model"] == 0) & (full["n_chips"] == 1)
    np.testing.assert_array_equal(one["time [s]"], full["time [s]"][sub])
    np.testing.assert_array_equal(one["limiter"], full["limiter"][sub])


def test_limiter_codes_worked():
    """Ties go to compute, then memory; NaN time gives -1 (the scalar limiter_code's order)."""
    S = _sweep_module()
    tc = np.array([2.0, 1.0, 1.0, 0.0, 1.0, 0.0, 3.0, np.nan])
    tm = np.array([1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 3.0, 1.0])
    tl = np.array([0.0, 0.0, 2.0, 3.0, 1.0, 1.0, 4.0, 0.0])
    t = np.maximum(np.maximum(tc, tm), tl)
    assert S._limiter_codes(tc, tm, tl, t).tolist() == [0, 0, 1, 2, 0, 1, 2, -1]
    assert S._limiter_codes(tc, tm, tl, t).dtype == np.int8


def test_arrays_are_separate_writeable_columns_and_memory_is_bounded():
    """Every array of output='arrays' is its own writeable column (no two share memory), and a
    time-only sweep holds 40 bytes per scenario: model and chip codes 4 + 4 (int32), context,
    batch and chip count 8 each (int64), time 8 (float64)."""
    import gc
    import tracemalloc

    args = (["llama-3.1-8b", "qwen3-30b-a3b"], ["h200-sxm", "h100-sxm"], np.arange(1, 126) * 1024,
            np.arange(1, 101), [1, 8])
    n = 2 * 2 * 125 * 100 * 2
    out = sweep(*args, output="arrays")
    cols = [v for k, v in out.items() if not k.endswith("_names")]
    assert all(v.flags.writeable and v.size == n for v in cols)
    for x in range(len(cols)):
        for y in range(x + 1, len(cols)):
            assert not np.shares_memory(cols[x], cols[y])
    del out, cols
    sweep(*args, output="arrays", columns=["time"])  # caches (a dict grown by earlier tests) are not the result
    gc.collect()  # garbage of earlier tests (reference cycles) is not this call's
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    res = sweep(*args, output="arrays", columns=["time"])
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert res["time [s]"].size == n
    assert (held - base) / n == pytest.approx(40.0, abs=0.5)
    assert (peak - base) / n < 60.0  # the blocks' scratch and the layout search stay small beside the result


# --- no layout given: the fastest that fits, as decode_bound / prefill_bound (issue 22) ------------
@pytest.mark.parametrize("path", ["table", "grid", "pruned"])
def test_default_layout_is_the_scalar_bounds_fastest(monkeypatch, path):
    """Without parallelism the sweep's rows are decode_bound / prefill_bound without a layout:
    the same time (to the bit), the same attaining layout, and the memory fit's layout beside
    it, whichever way the search runs (the layout table context by context; candidate by
    candidate on the grid, with or without pruning). DeepSeek-V3 prefill of 64 x 2,048 tokens
    on 8 x H200: the memory fit's tp=2,pp=4 is beaten by tp=8, which ties exactly with
    dp=8,ep=8 and tp=2,ep=8,dp=4 (all compute-bound on the same FLOPs per chip): the tie goes
    to the first in the search's order (fewest pp, cp, dp), as in the scalar search."""
    monkeypatch.setattr(_sweep_module(), "_SEARCH_PATH", path)
    cases = [("deepseek-v3", ["h200-sxm"], [2048, 4096], [8, 64], [8], "prefill"),
             ("deepseek-v3", ["gb200-nvl72", "h200-sxm"], [1024, 131_072], [1, 64], [8, 72], "decode"),
             ("llama-3.1-70b", ["gb200-nvl72", "hgx-h200"], [4096, 65_536], [1, 16], [2, 8], "decode"),
             ("qwen3-235b-a22b", ["gb200-nvl72"], [512, 8192], [3, 256], [4, 16], "prefill")]
    for model, chips, T, B, N, phase in cases:
        df = sweep(model, chips, T, B, N, phase=phase)
        fn = decode_bound if phase == "decode" else prefill_bound
        for _, row in df.iterrows():
            b = fn(model, row["chip"], int(row["context_tokens"]), int(row["batch"]), int(row["n_chips"]))
            key = (model, row["chip"], row["context_tokens"], row["batch"], row["n_chips"])
            assert row["layout"] == b.layout, key
            assert row["time [s]"] == b.t and row["time_low [s]"] == b.t_low, key
            assert row["memory_layout"] == b.memory_layout, key
            assert row["flop [FLOP]"] == b.flops and row["comm [B]"] == b.comm_bytes, key
    ds = sweep("deepseek-v3", "h200-sxm", 2048, 64, 8, phase="prefill")
    b = prefill_bound("deepseek-v3", "h200-sxm", 2048, 64, 8)
    assert ds["layout"][0] == b.layout == "tp=8" and ds["memory_layout"][0] == "tp=2,pp=4"
    for tied in ("dp=8,ep=8", "tp=2,ep=8,dp=4"):
        assert prefill_bound("deepseek-v3", "h200-sxm", 2048, 64, 8, parallelism=tied).t == b.t
    assert ds["time [s]"][0] < b.memory_layout_t  # the memory fit's layout is slower
    assert ds.attrs["layouts_searched"] == {"deepseek-v3 x 8": 65}


def test_default_layout_pruning_changes_nothing(monkeypatch):
    """The grid search skips candidates that a bound at the corners of a tile shows cannot win
    (time and footprint never fall as the context or the batch grow): the same layouts and
    times as scoring every candidate everywhere, as the layout table, and as the way the cost
    model picks."""
    S = _sweep_module()
    args = (["deepseek-v3", "llama-3.1-70b"], ["h200-sxm", "gb200-nvl72"], np.geomspace(64, 262_144, 12).round(),
            np.arange(1, 41), [8, 16])
    for phase in ("decode", "prefill"):
        got = {}
        for path in ("pruned", "grid", "table", None):
            monkeypatch.setattr(S, "_SEARCH_PATH", path)
            got[path] = sweep(*args, phase=phase, output="arrays", columns=["layout", "time"])
        pruned = got["pruned"]
        for other in (got["grid"], got["table"], got[None]):
            np.testing.assert_array_equal(pruned["time [s]"], other["time [s]"])
            np.testing.assert_array_equal(pruned["layout_names"][pruned["layout"]],
                                          other["layout_names"][other["layout"]])
        assert len(set(pruned["layout"].tolist())) > 3


def test_default_layout_per_chip_and_fits_columns():
    """The fastest layout depends on the chip (its roofs, fabric and capacity), so two chips of
    one sweep may differ; fits and memory_per_chip are the memory fit's, equal to fits() for
    memory_layout, with any reserve."""
    df = sweep("llama-3.1-70b", ["h100-sxm", "gb200-nvl72"], 8192, [1, 64], 8, reserve=0.1)
    for _, row in df.iterrows():
        f = a.fits("llama-3.1-70b", row["chip"], 8192, int(row["batch"]), n_chips=8, reserve=0.1)
        assert str(f.parallelism) == row["memory_layout"]
        assert row["memory_per_chip [GB]"] == pytest.approx(f.required.m_as("GB"), rel=1e-12)
        assert bool(row["fits"]) == bool(f)
        b = decode_bound("llama-3.1-70b", row["chip"], 8192, int(row["batch"]), 8)
        assert row["layout"] == b.layout and row["time [s]"] == b.t
    arr = sweep("llama-3.1-70b", ["h100-sxm", "gb200-nvl72"], 8192, [1, 64], 8, output="arrays")
    assert set(arr["memory_layout_names"][arr["memory_layout"]]) <= set(df["memory_layout"])
    one = sweep("llama-3.1-8b", "h200-sxm", 4096)
    assert one["layout"][0] == one["memory_layout"][0] == "single chip"
    assert one.attrs["layout"].startswith("layout: single chip") and one.attrs["layouts_searched"] == {}
