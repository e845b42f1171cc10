"""Data types: bytes per element, block-format scale overhead, lookup and bad names."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.model.datatypes import DType, UnknownDTypeError, block_dtype, dtype


@pytest.mark.parametrize(("name", "nbytes"), [
    ("fp32", 4), ("bf16", 2), ("fp16", 2), ("fp8", 1), ("int8", 1), ("int4", 0.5), ("fp4", 0.5),
])
def test_plain_formats(name, nbytes):
    d = dtype(name)
    assert d.bytes_per_element == nbytes
    assert d.itemsize == a.Q_(nbytes, "B")
    assert not d.is_block


def test_mxfp4_counts_its_e8m0_scale():
    d = dtype("mxfp4")
    # 4-bit elements + one 8-bit E8M0 scale per 32 elements (OCP MX v1.0)
    assert d.bits_per_element == 4 + 8 / 32 == 4.25
    assert d.bytes_per_element == 4.25 / 8
    assert d.nbytes(32) == 17  # 16 B of elements + 1 B of scale


@pytest.mark.parametrize(("name", "bits"), [("mxfp8", 8.25), ("mxfp6", 6.25), ("mxint8", 8.25), ("nvfp4", 4.5)])
def test_other_block_formats(name, bits):
    assert dtype(name).bits_per_element == bits


@pytest.mark.parametrize("alias", ["bfloat16", "BF16", "bf-16", "BFloat16"])
def test_aliases_case_and_punctuation(alias):
    assert dtype(alias) is dtype("bf16")


def test_fp8_aliases():
    assert dtype("e4m3") is dtype("float8_e4m3fn") is dtype("fp8")
    assert dtype("e5m2").name == "fp8_e5m2"


def test_unknown_dtype_names_argument_and_suggests():
    with pytest.raises(UnknownDTypeError) as exc:
        dtype("fp7", "kv_dtype")
    msg = str(exc.value)
    assert msg.startswith("kv_dtype:") and "fp7" in msg and "fp8" in msg
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, LookupError)


def test_not_a_string():
    with pytest.raises(TypeError, match="weight_dtype"):
        dtype(16, "weight_dtype")


def test_block_dtype_factory():
    d = block_dtype("int4-g128", 4, 128, 16)
    assert d.bits_per_element == 4.125
    assert dtype(d) is d


def test_block_needs_both_fields():
    with pytest.raises(ValueError, match="block"):
        DType("bad", 4, block_size=32)


def test_nbytes_vectorized():
    n = np.array([1, 10, 1000])
    np.testing.assert_array_equal(dtype("bf16").nbytes(n), 2 * n)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([d.name for d in a.dtypes()]), st.integers(1, 10**12))
def test_nbytes_linear(name, n):
    d = dtype(name)
    assert d.nbytes(n) == pytest.approx(n * d.bits_per_element / 8)


def test_weights_and_kv_take_dtypes_separately():
    m = a.get_model("llama-2-7b")
    assert m.weight_bytes("int4").m == m.params_total() / 2
    assert m.kv_cache_per_token("fp8").m == 524_288 / 2
    with pytest.raises(UnknownDTypeError, match="kv_dtype"):
        m.kv_cache_per_token("fp9")
    with pytest.raises(UnknownDTypeError, match="weight_dtype"):
        m.weight_bytes("fp9")
