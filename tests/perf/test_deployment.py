"""Deployment: one chip, chip count, layout and dtype bundle for fits and bounds alike."""

import pytest

import accelspec as a


def test_presets_resolve_to_dtype_keywords():
    assert a.DTypes.resolve("w8a8-kv8").kwargs() == {"weight_dtype": "fp8", "kv_dtype": "fp8",
                                                      "activation_dtype": "fp8"}
    assert a.DTypes.resolve("native").kwargs() == {"weight_dtype": "native"}
    assert a.DTypes.resolve(None).kwargs() == {}  # the calculators' own defaults
    w4 = a.DTypes.resolve("w4a16").weights
    assert w4.bits_per_element == pytest.approx(4 + 16 / 128)  # int4 with an fp16 scale per 128 weights
    assert a.DTypes.resolve({"weights": "fp8"}).kwargs() == {"weight_dtype": "fp8"}


@pytest.mark.parametrize("kwargs,message", [
    ({"dtypes": "w4a61"}, "unknown preset 'w4a61'; did you mean 'w4a16'"),
    ({"dtypes": {"wieghts": "fp8"}}, "unknown field 'wieghts'"),
    ({"n_chips": 0}, "n_chips: must be a positive whole number"),
    ({"n_chips": 8, "parallelism": "tp=4"}, "tp=4 uses 4 chips"),
])
def test_bad_deployments_are_refused_by_argument(kwargs, message):
    with pytest.raises(a.AccelspecError, match=message):
        a.Deployment("h200", **kwargs)


def test_unknown_chip_suggests_names():
    with pytest.raises(a.UnknownChipError, match="did you mean"):
        a.Deployment("h2000")


def test_decode_bound_worked_number_llama70b_w8a8_kv8_tp8():
    """Llama 3.1 70B, fp8 weights and KV, 8 x H200 in tensor parallel, batch 4 at 8,192 tokens.

    Bytes read per step, per chip: weights without the input embedding (70.55e9 - 128,256 x 8,192
    = 69.50e9 parameters, 1 byte each) / 8 = 8.688 GB, plus the KV cache 4 x 8,192 tokens x
    163,840 B/token (80 layers x 8 KV heads x 128 x 2 x 1 byte) / 8 = 0.671 GB; over 4.8 TB/s:
    1.810 + 0.140 = 1.950 ms.
    """
    d = a.Deployment("h200", n_chips=8, parallelism="tp", dtypes="w8a8-kv8")
    b = d.decode_bound("llama-3.1-70b", 8192, 4)
    assert b.time.m_as("ms") == pytest.approx(1.950, rel=0.01)
    assert "tp=8" in d.assumptions("llama-3.1-70b", 8192, 4) and "w8a8-kv8" in d.assumptions()


def test_fits_and_bounds_use_one_layout():
    d = a.Deployment("h200", n_chips=8, dtypes="w8a8-kv8")
    fit = d.fits("llama-3.1-70b", 8192, 4)
    assert d.layout("llama-3.1-70b", 8192, 4) == fit.parallelism
    fixed = d.with_layout("llama-3.1-70b", 8192, 4)
    assert fixed.parallelism == fit.parallelism
    assert fixed.fits("llama-3.1-70b", 8192, 4).required.m_as("GB") == pytest.approx(fit.required.m_as("GB"))


# --- the calculators take a deployment where they take a chip ----------------------------------------
def test_calculators_take_a_deployment_and_agree_with_keywords():
    dep = a.Deployment("h200", 4, parallelism="tp=4", dtypes="w8a8-kv8")
    kw = {"n_chips": 4, "parallelism": "tp=4", "weight_dtype": "fp8", "kv_dtype": "fp8", "activation_dtype": "fp8"}
    assert a.fits("llama-3.1-70b", dep, 8192).explanation == a.fits("llama-3.1-70b", "h200", 8192, **kw).explanation
    b1, b2 = a.decode_bound("llama-3.1-70b", dep, 8192), a.decode_bound("llama-3.1-70b", "h200", 8192, **kw)
    assert b1.t == b2.t and b1.parallelism == b2.parallelism
    # worked number: 70.55e9 fp8 weight bytes, less the input embedding table (128,256 x 8,192;
    # decode reads one row of it), plus 8192 tokens x 163,840 B of fp8 KV, over 4 x 4.8 TB/s
    assert b1.t == pytest.approx((70.55e9 - 128256 * 8192 + 8192 * 163840) / (4 * 4.8e12), rel=0.01)
    p1, p2 = a.prefill_bound("llama-3.1-70b", dep, 2048), a.prefill_bound("llama-3.1-70b", "h200", 2048, **kw)
    assert p1.t == p2.t


def test_sweep_takes_deployments_and_labels_rows():
    deps = [a.Deployment("h200", 8, dtypes="bf16"), a.Deployment("mi300x", 2, parallelism="tp=2", dtypes="bf16")]
    df = a.sweep("llama-3.1-70b", deps, [8192], [1, 8])
    assert list(df["deployment"].cat.categories) == [d.assumptions() for d in deps]
    assert df["n_chips"].tolist() == [8, 8, 2, 2]
    one = df[(df["chip"] == "mi300x") & (df["batch"] == 8)]["time [s]"].item()
    ref = a.decode_bound("llama-3.1-70b", "mi300x", 8192, 8, parallelism="tp=2", weight_dtype="bf16").t
    assert one == pytest.approx(ref, rel=1e-9)
    arr = a.sweep("llama-3.1-70b", deps, [8192], [1], output="arrays")
    assert arr["chip_names"][arr["chip"]].tolist() == ["h200-sxm", "mi300x"]
    assert arr["deployment"].tolist() == [0, 1]


@pytest.mark.parametrize("call", [
    lambda d: a.fits("llama-3.1-8b", d, 1024, n_chips=8),
    lambda d: a.decode_bound("llama-3.1-8b", d, 1024, weight_dtype="fp8"),
    lambda d: a.prefill_bound("llama-3.1-8b", d, 1024, parallelism="tp=2"),
    lambda d: a.sweep("llama-3.1-8b", [d], 1024, n_chips=2),
    lambda d: a.sweep("llama-3.1-8b", [d, "h100"], 1024),
])
def test_arguments_a_deployment_fixes_are_refused_beside_it(call):
    with pytest.raises(a.DeploymentError, match="deployment"):
        call(a.Deployment("h100", 2))
