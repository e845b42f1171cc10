"""Roofline: ridge points, attainable performance, ranges, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import accelspec as a
from accelspec.chip import Chip, NotPublishedError, UnsupportedPrecisionError
from accelspec.perf.roofline import chip_numbers, roofline
from accelspec.testing import SOURCE


def spec(value, **kw):
    return {"value": value, "source": SOURCE, "status": "official", **kw}


def make_chip(peak="989.5 TFLOPS", bw="3.35 TB/s", link="900 GB/s", direction="bidirectional",
              chip_id="test-chip", precision="bf16", peak_range=None, bw_range=None, link_range=None,
              unsupported=()):
    rec = {
        "id": chip_id, "name": chip_id.upper(), "vendor": "Test",
        "compute": {"dense": {precision: spec(peak, **({"range": peak_range} if peak_range else {}))},
                    "unsupported": list(unsupported)},
        "memory": {},
    }
    if bw is not None:
        rec["memory"]["bandwidth"] = spec(bw, **({"range": bw_range} if bw_range else {}))
    if link is not None:
        extra = {"range": link_range} if link_range else {}
        rec["interconnect"] = {"scale_up": {"bandwidth": spec(link, direction=direction, **extra)}}
    return Chip.model_validate(rec)


# --- worked numbers --------------------------------------------------------------------
def test_h100_sxm_bf16_ridge_point():
    r = roofline(make_chip("989.5 TFLOPS", "3.35 TB/s"), "bf16")
    assert r.ridge_point.units == a.ureg.Unit("FLOP/B")
    assert r.ridge_point.m == pytest.approx(989.5e12 / 3.35e12, rel=1e-15)
    assert round(r.ridge_point.m, 2) == 295.37
    assert r.peak_compute.m_as("TFLOPS") == pytest.approx(989.5)
    assert r.memory_bandwidth.m_as("TB/s") == pytest.approx(3.35)


def test_shipped_h200_ridge_and_comm_roof():
    r = a.roofline("h200-sxm", "bf16")
    assert r.ridge_point.m_as("FLOP/B") == pytest.approx(989.5 / 4.8, rel=1e-12)
    # NVLink 4: 900 GB/s bidirectional total -> 450 GB/s per direction
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(450)
    assert r.comm_ridge_point.m_as("FLOP/B") == pytest.approx(989.5e12 / 450e9)
    assert "ridge 206.15 FLOP/B" in r.explain()
    assert "\n" not in r.explain()


@pytest.mark.parametrize("cid", ["h100-sxm", "h100"])
def test_catalog_h100_if_present(cid):
    if cid not in a.catalog.default_catalog():
        pytest.skip(f"{cid} not in the catalog yet")
    r = a.roofline(cid, "bf16")
    assert round(r.ridge_point.m_as("FLOP/B"), 2) == 295.37


def test_integer_precision_uses_ops():
    chip = make_chip("1979 TOPS", "3.35 TB/s", precision="int8")
    r = roofline(chip, "int8")
    assert r.ridge_point.units == a.ureg.Unit("OP/B")
    assert r.peak_compute.m_as("TOPS") == pytest.approx(1979)
    with pytest.raises(a.UnitError):
        r.attainable(a.Q_(10, "FLOP/B"))  # a FLOP intensity is not an OP intensity


# --- attainable performance --------------------------------------------------------------
def test_attainable_quantities_and_arrays():
    r = roofline(make_chip(), "bf16")
    q = r.attainable(a.Q_(100, "FLOP/B"))
    assert q.m_as("TFLOPS") == pytest.approx(335.0)
    arr = r.attainable(np.array([1.0, 100.0, 1e4]))
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [3.35e12, 3.35e14, 989.5e12])
    qa = r.attainable(a.Q_(np.array([1.0, 1e4]), "FLOP/B"))
    np.testing.assert_allclose(qa.m_as("TFLOPS"), [3.35, 989.5])
    assert isinstance(r.attainable(50.0), float)
    assert r.attainable(a.Q_(0.1, "kFLOP/B")).m_as("TFLOPS") == pytest.approx(335.0)
    with pytest.raises(a.UnitError):
        r.attainable(a.Q_(1, "GB/s"))
    with pytest.raises(a.UnitError):
        r.attainable("100 FLOP/B")


def test_comm_roof():
    r = roofline(make_chip(link="900 GB/s"), "bf16")
    # 450 GB/s per direction times 10 FLOP per byte sent = 4.5 TFLOPS
    assert r.attainable(a.Q_(1e4, "FLOP/B"), a.Q_(10, "FLOP/B")).m_as("TFLOPS") == pytest.approx(4.5)
    no_link = roofline(make_chip(link=None), "bf16")
    assert no_link.link_bandwidth is None and no_link.comm_ridge_point is None
    with pytest.raises(NotPublishedError):
        no_link.attainable(1.0, 1.0)


@settings(max_examples=200, deadline=None)
@given(
    peak=st.floats(1e9, 1e16), bw=st.floats(1e8, 1e14), link=st.floats(1e8, 1e13),
    i1=st.floats(0, 1e6), i2=st.floats(0, 1e6), ic=st.floats(0, 1e6),
)
def test_attainable_below_roofs_and_monotone(peak, bw, link, i1, i2, ic):
    chip = make_chip(a.Q_(peak, "FLOP/s"), a.Q_(bw, "B/s"), a.Q_(link, "B/s"), direction="per_direction")
    r = roofline(chip, "bf16")
    lo, hi = sorted((i1, i2))
    p_lo, p_hi = r.attainable(lo), r.attainable(hi)
    for p, i in ((p_lo, lo), (p_hi, hi)):
        assert p <= peak * (1 + 1e-12)
        assert p <= bw * i * (1 + 1e-12)
    assert p_lo <= p_hi
    pc = r.attainable(hi, ic)
    assert pc <= p_hi and pc <= link * ic * (1 + 1e-12)


def test_efficiency_scales_roofs():
    r = roofline(make_chip(), "bf16", compute_efficiency=0.5, bandwidth_efficiency=0.8, link_efficiency=0.25)
    assert r.peak_compute.m_as("TFLOPS") == pytest.approx(494.75)
    assert r.memory_bandwidth.m_as("TB/s") == pytest.approx(2.68)
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(112.5)
    assert "efficiencies" in r.explain()
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="efficiency"):
            roofline(make_chip(), "bf16", compute_efficiency=bad)


# --- ranges ------------------------------------------------------------------------------
def test_unspecified_link_direction_gives_a_range():
    r = roofline(make_chip(link="700 GB/s", direction="unspecified"), "bf16")
    lo, hi = r.link_bandwidth_range
    assert lo.m_as("GB/s") == pytest.approx(350) and hi.m_as("GB/s") == pytest.approx(700)
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(350)  # nominal: the conservative reading


@settings(max_examples=100, deadline=None)
@given(u=st.floats(0, 1), v=st.floats(0, 1), i=st.floats(0, 1e5))
def test_ridge_and_attainable_ranges_are_sound(u, v, i):
    chip = make_chip("989.5 TFLOPS", "3.35 TB/s", peak_range=["900 TFLOPS", "1000 TFLOPS"],
                     bw_range=["3 TB/s", "3.6 TB/s"])
    r = roofline(chip, "bf16")
    peak = 900e12 + u * 100e12
    bw = 3e12 + v * 0.6e12
    lo, hi = r.ridge_point_range
    ridge = peak / bw
    assert lo.m_as("FLOP/B") * (1 - 1e-12) <= ridge <= hi.m_as("FLOP/B") * (1 + 1e-12)
    att = min(peak, bw * i)
    assert r.attainable(i, which="low") * (1 - 1e-12) <= att <= r.attainable(i, which="high") * (1 + 1e-12)


# --- bad input ---------------------------------------------------------------------------
def test_unpublished_precision_lists_what_exists():
    a100 = make_chip("312 TFLOPS", "2.039 TB/s", chip_id="a100-like", unsupported=["fp8"])
    with pytest.raises(UnsupportedPrecisionError, match=r"fp8.*not supported.*bf16"):
        roofline(a100, "fp8")
    with pytest.raises(UnsupportedPrecisionError, match=r"published dense precisions: bf16"):
        roofline(a100, "fp16")
    with pytest.raises(ValueError, match="unknown precision"):
        roofline(a100, "bf17")


def test_catalog_a100_fp8_if_present():
    cat = a.catalog.default_catalog()
    if "a100-sxm" not in cat:
        pytest.skip("a100-sxm not in the catalog yet")
    with pytest.raises(UnsupportedPrecisionError, match="bf16"):
        a.roofline("a100-sxm", "fp8")


def test_missing_bandwidth_is_not_published():
    chip = make_chip(bw=None)
    with pytest.raises(NotPublishedError, match="memory bandwidth"):
        roofline(chip, "bf16")
    assert math.isnan(chip_numbers(chip, "bf16", need_bandwidth=False).bandwidth[1])


@pytest.mark.parametrize("field,value", [("bw", "0 TB/s"), ("peak", "0 TFLOPS"), ("bw", "-1 TB/s")])
def test_zero_bandwidth_or_compute_refused_in_chip(field, value):
    with pytest.raises(ValidationError, match="positive"):
        make_chip(**{field: value})


@pytest.mark.parametrize("where", ["bandwidth", "peak"])
def test_zero_values_refused_at_load_time(tmp_path, restore_catalog, where):
    rec = {
        "id": "my-chip", "name": "My Chip",
        "memory": {"bandwidth": {"value": "0 TB/s" if where == "bandwidth" else "2 TB/s",
                                 "source": "MINE", "status": "official"}},
        "compute": {"dense": {"bf16": {"value": "0 TFLOPS" if where == "peak" else "100 TFLOPS",
                                       "source": "MINE", "status": "official"}}},
    }
    doc = {"schema": 1, "vendor": "Me", "sources": {"MINE": {"title": "my sheet"}}, "chips": [rec]}
    f = tmp_path / "mine.yaml"
    f.write_text(yaml.safe_dump(doc))
    before = len(a.catalog.default_catalog())
    with pytest.raises(a.SpecFileError, match="positive"):
        a.load_specs(f)
    assert len(a.catalog.default_catalog()) == before
