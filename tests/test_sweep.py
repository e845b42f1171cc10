"""Cartesian sweeps: equal to the scalar calls, long form with units, xarray, a million rows."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import accelspec as a
from accelspec.bounds import LIMITERS, decode_bound, prefill_bound
from accelspec.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from accelspec.sweep import COLUMNS, sweep
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
        b = fn(row["model"], chip_by_id[row["chip"]], int(row["context_tokens"]), int(row["batch"]),
               int(row["n_chips"]))
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


def test_long_form_columns_and_types():
    df = sweep(["llama-3.1-8b"], ["h200-sxm", "h20"], [1024, 8192], [1, 8])
    assert list(df.columns) == ["model", "chip", "precision", "context_tokens", "batch", "n_chips", *COLUMNS,
                                "limiter"]
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
    with pytest.raises(ValueError, match="at least 1"):
        sweep("llama-3.1-8b", "h200-sxm", [0, 1])
    with pytest.raises(TypeError, match="whole numbers"):
        sweep("llama-3.1-8b", "h200-sxm", [1.5])
    with pytest.raises(ValueError, match="twice"):
        sweep(["llama-3.1-8b", "llama-3.1-8b"], "h200-sxm", 1)
    with pytest.raises(ValueError, match="output"):
        sweep("llama-3.1-8b", "h200-sxm", 1, output="csv")


def test_import_accelspec_is_light():
    code = ("import sys, accelspec; bad = [m for m in ('pandas', 'xarray', 'matplotlib') if m in sys.modules];"
            " print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
