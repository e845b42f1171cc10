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
from accelspec.hardware.catalog import default_catalog
from accelspec.hardware.chip import Chip, NotPublishedError, UnsupportedPrecisionError
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
    if cid not in default_catalog():
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
    cat = default_catalog()
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
    before = len(default_catalog())
    with pytest.raises(a.SpecFileError, match="positive"):
        a.load_specs(f)
    assert len(default_catalog()) == before


# --- systems ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gb200-nvl72", "gb200 nvl72", "GB200 NVL72"])
def test_system_gives_its_chips_roof_marked_as_the_systems(name):
    # "GB200 NVL72" is also an alias of the gb200 chip record: the system wins and says so.
    # GB200 (per GPU): 2500 TFLOPS dense bf16, 8 TB/s -> ridge 312.5 FLOP/B; NVLink 5 in the
    # NVL72: 1.8 TB/s bidirectional per GPU -> 900 GB/s per direction -> comm ridge 2777.8 FLOP/B
    r = a.roofline(name, "bf16")
    assert r.system is not None and r.system.id == "gb200-nvl72" and r.chip == "gb200"
    assert r.ridge_point.m_as("FLOP/B") == pytest.approx(2500 / 8)
    assert r.link_bandwidth.m_as("GB/s") == pytest.approx(900)
    assert r.comm_ridge_point.m_as("FLOP/B") == pytest.approx(2500e12 / 900e9)
    assert r.label.endswith("in GB200 NVL72")
    assert "[system GB200 NVL72: 72 chips, scale-up domain 72; roofs per chip" in r.explain()
    chip = a.roofline("gb200", "bf16")
    assert chip.system is None and "system" not in chip.explain()
    assert chip.ridge_point == r.ridge_point  # per chip: the same roofs


def test_system_link_roof_is_the_systems_scale_up():
    # CloudMatrix384: Ascend 910C, 707.8 TFLOPS bf16 / 3.2 TB/s = ridge 221.19 FLOP/B;
    # UB scale-up 392 GB/s per direction per NPU -> comm ridge 707.8e12 / 392e9 = 1805.6 FLOP/B
    r = a.roofline("cloudmatrix384")
    assert (r.chip, r.system.id) == ("ascend-910c", "cloudmatrix384")
    assert r.ridge_point.m_as("FLOP/B") == pytest.approx(707.8 / 3.2, rel=1e-4)
    assert r.comm_ridge_point.m_as("FLOP/B") == pytest.approx(707.8e12 / 392e9, rel=1e-4)


def test_rooflines_mix_chips_and_systems_and_name_dropped_systems():
    from accelspec.errors import UnknownHardwareError
    from accelspec.perf.roofline import rooflines

    roofs, dropped = rooflines(["gb200-nvl72", "h100", "tianchi-256"], "bf16")
    assert [(r.chip, r.system.id if r.system else None) for r in roofs] == [("gb200", "gb200-nvl72"),
                                                                           ("h100-sxm", None)]
    (d,) = dropped  # Kunlun P800 publishes no bf16 peak
    assert (d.chip.id, d.system.id, d.status) == ("kunlun-p800", "tianchi-256", "not_published")
    assert "per chip of Baidu Tianchi 256" in str(d)
    with pytest.raises(UnknownHardwareError) as exc:
        rooflines(["gb200-nvl7"])
    assert "gb200-nvl72" in exc.value.suggestions


def test_cli_roofline_takes_systems(capsys, tmp_path):
    import json

    from accelspec.cli import main
    from accelspec.io.json_out import RooflineOut

    assert main(["roofline", "gb200-nvl72", "h100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    RooflineOut.model_validate(d)
    assert [(r["chip"], r["system"]) for r in d["roofs"]] == [("gb200", "gb200-nvl72"), ("h100-sxm", None)]
    assert d["roofs"][0]["link_per_direction"]["value"] == pytest.approx(900)
    png = tmp_path / "r.png"
    assert main(["roofline", "gb200-nvl72", "h100", "-o", str(png)]) == 0
    assert "GB200 (per GPU) in GB200 NVL72" in capsys.readouterr().out
    assert png.stat().st_size > 0


# --- a chip with a published bandwidth but no compute peak ---------------------------------------
def test_memory_only_bound_for_a_chip_without_a_peak():
    from accelspec.errors import InvalidArgumentError, PeakNotPublishedError
    from accelspec.perf.roofline import chip_numbers, with_roofs

    with pytest.raises(PeakNotPublishedError):  # the default still refuses
        chip_numbers("mi430x", "bf16")
    # MI430X publishes its HBM bandwidth but no peak: "drop" leaves the compute term out
    cn = chip_numbers("mi430x", "bf16", missing_peak="drop")
    assert cn.peak == (math.inf,) * 3 and "compute term" in cn.missing and cn.bandwidth[1] > 0
    with pytest.raises(PeakNotPublishedError):  # the M890 publishes neither: no term would be left
        chip_numbers("zhenwu-m890", "bf16", need_bandwidth=False, missing_peak="drop")
    m890 = with_roofs("zhenwu-m890", bandwidth="4 TB/s")
    assert m890.memory.bandwidth.status == "estimated" and a.get_chip("zhenwu-m890").memory.bandwidth is None
    # Llama 3.1 8B decode at 8,000 tokens reads 16,058,433,536 B (the CLI test's worked figure): / 4 TB/s
    b = a.decode_bound("llama-3.1-8b", m890, 8000)
    assert b.t == pytest.approx(16_058_433_536 / 4e12, rel=1e-12) and b.limiter == "memory"
    assert b.t_compute == 0.0 and math.isinf(b.ridge)
    # peak= supplies the compute term: at batch 64 the ridge is 500 TFLOP/s / 4 TB/s = 125 FLOP/B
    full = a.decode_bound("llama-3.1-8b", with_roofs("zhenwu-m890", bandwidth="4 TB/s", peak="500 TFLOP/s"), 8000,
                          64)
    assert full.ridge == pytest.approx(125.0) and full.t_compute > 0
    assert full.t_compute == pytest.approx(full.flops / 500e12, rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="bandwidth"):
        with_roofs("zhenwu-m890", bandwidth="-4 TB/s")
    with pytest.raises(InvalidArgumentError, match="missing_peak"):
        chip_numbers("h100", missing_peak="zero")
    # a chip that publishes other formats still raises (the bounds fall back to bf16 instead)
    with pytest.raises(a.UnsupportedPrecisionError):
        chip_numbers("ascend-910c", "fp8", missing_peak="drop")


def test_a_published_bandwidth_without_a_peak_gives_the_memory_only_bound_everywhere():
    from accelspec.perf.roofline import with_roofs

    # Instinct MI430X: HBM bandwidth published, no compute peak at any precision
    bw = a.get_chip("mi430x").memory.bandwidth.q.m_as("B/s")
    b = a.decode_bound("llama-3.1-8b", "mi430x", 8000)
    assert b.t == pytest.approx(W8B / bw, rel=1e-12) and "compute term" in b.missing
    assert "left out: compute term" in b.assumptions and "ridge unknown" in b.explain()
    r = a.request_bound("llama-3.1-8b", "mi430x", 2048, 256)
    assert any("left out: compute term" in n for n in r.notes)
    # an estimate on a partial bound says so (the calibration's bounds had every term)
    assert "caution: the bound leaves out the compute term" in a.estimate(b).assumptions
    assert "caution: the bound leaves out the compute term" in a.estimate_request(r).assumptions
    assert "caution" not in a.estimate(a.decode_bound("llama-3.1-8b", "h100", 8000)).assumptions
    # the sweep: the same time, the compute term unknown (NaN), not zero, and named in attrs
    df = a.sweep(["llama-3.1-8b"], ["mi430x", "h100"], [8000], [1], [1])
    row = df[df["chip"] == "mi430x"].iloc[0]
    assert row["time [s]"] == pytest.approx(b.t, rel=1e-12) and math.isnan(row["compute_time [s]"])
    assert not math.isnan(df[df["chip"] == "h100-sxm"].iloc[0]["compute_time [s]"])
    assert set(df.attrs["left_out"]) == {"mi430x"}
    # the planner cannot judge a TTFT without a peak: unknown, never "ruled out" at an infinite time
    p = a.plan("qwen3-32b", 2048, 256, ttft="1 s", tpot="50 ms",
               chips=["mi430x", with_roofs("zhenwu-m890", bandwidth="4 TB/s")])
    assert all(r.status == "unknown" and "no dense bf16 peak" in r.reasons[0] for r in p.rows)
    # the session leaves the term out and says so, for a catalog chip and a given bandwidth alike
    for chip in ("mi430x", with_roofs("zhenwu-m890", bandwidth="4 TB/s")):
        s = a.agent_session("llama-3.1-8b", chip)
        assert s.total_time_s is not None and any("compute term" in x for x in s.partial)


# --- SRAM-based chips and memory tiers (issue 25) ---------------------------------------------
# Llama 3.1 8B decode at 8,000 tokens of context reads 16,058,433,536 B per step (tests/test_cli.py:
# 16,060,522,496 - 128,256 x 4,096 x 2 + 4,096 x 2 + 131,072 x 8,000)
W8B = 16_058_433_536


@pytest.mark.parametrize("chip_id,kw,bw,sram", [
    ("groq-lpu", {"precision": "fp16"}, 80e12, 0.0),                      # on-die SRAM, GROQ-CARD
    ("cerebras-wse3", {"precision": "fp16", "sparse": True}, 21e15, 0.0),  # on-wafer SRAM, CS-WSE3
    # HBM, 25.6 TB/s / 16 sockets, after the 520 MB of SRAM (bandwidth unpublished: no time)
    ("sambanova-sn40l", {}, 1.6e12, 520e6),
])
def test_sram_chips_get_a_memory_bound_equal_to_the_hand_formula(chip_id, kw, bw, sram):
    cn = chip_numbers(chip_id, kw.get("precision", "bf16"), sparse=kw.get("sparse", False))
    assert cn.bandwidth == (bw, bw, bw)
    b = a.decode_bound("llama-3.1-8b", chip_id, 8000, **kw)
    assert b.limiter == "memory"
    assert float(b.time.m_as("s")) == pytest.approx((W8B - sram) / bw, rel=1e-12)
    assert b.bytes == W8B  # every byte is still counted; the SRAM's share costs no time


def test_bounds_say_which_memory_tier_they_used():
    cn = chip_numbers("sambanova-sn40l", "bf16")
    assert "HBM bandwidth 1.6 TB/s" in cn.bandwidth_note and "520 MB per chip read from the on-chip SRAM" in \
        cn.bandwidth_note
    assert chip_numbers("h100-sxm", "bf16").bandwidth_note == ""
    assert cn.fast_tier() == (520e6, math.inf) and cn.fast_tier(chips=16) == (16 * 520e6, math.inf)
    assert chip_numbers("h100-sxm", "bf16").fast_tier() is None
    assert chip_numbers("groq-lpu", "fp16").fast_tier() is None  # its SRAM is the memory roof itself
    sn = a.decode_bound("llama-3.1-8b", "sambanova-sn40l", 8000)
    assert "memory: the first 520 MB per chip read from the on-chip SRAM" in sn.assumptions
    assert "memory: the first 520 MB" in a.prefill_bound("llama-3.1-8b", "sambanova-sn40l", 8000).assumptions
    groq = a.decode_bound("llama-3.1-8b", "groq-lpu", 8000, precision="fp16")
    assert "memory: the on-chip SRAM bandwidth 80 TB/s (the only memory)" in groq.assumptions
    assert "memory:" not in a.decode_bound("llama-3.1-8b", "h100-sxm", 8000).assumptions


def _sram_hbm_chip(sram="2 GB", sram_bw=None):
    """A chip with an on-chip SRAM beside 1 TB of HBM at 2 TB/s and a scale-up link."""
    mem = {"capacity": spec("1000 GB"), "bandwidth": spec("2 TB/s"), "on_chip_sram": spec(sram),
           "type": {"value": "HBM", "source": SOURCE, "status": "official"}}
    if sram_bw is not None:
        mem["on_chip_bandwidth"] = spec(sram_bw)
    return Chip.model_validate({"id": "sram-hbm", "name": "SRAM-HBM", "vendor": "Test",
                                "compute": {"dense": {"bf16": spec("1000 TFLOPS")}}, "memory": mem,
                                "interconnect": {"scale_up": {"bandwidth": spec("900 GB/s",
                                                                                direction="bidirectional")}}})


def test_sram_beside_hbm_is_read_first_in_every_stage():
    chip = _sram_hbm_chip()
    one = a.decode_bound("llama-3.1-8b", chip, 8000)
    assert one.t_memory == pytest.approx((one.bytes - 2e9) / 2e12, rel=1e-12)
    # a published SRAM bandwidth is charged: 2 GB at 20 TB/s, the rest at 2 TB/s
    slow = a.decode_bound("llama-3.1-8b", _sram_hbm_chip(sram_bw="20 TB/s"), 8000)
    assert slow.t_memory == pytest.approx(2e9 / 20e12 + (slow.bytes - 2e9) / 2e12, rel=1e-12)
    # two pipeline stages: each chip reads its own SRAM first
    pp = a.decode_bound("llama-3.1-8b", chip, 8000, parallelism="pp=2")
    assert pp.t_memory < one.t_memory - 1.9e9 / 2e12


def test_layout_search_credits_the_sram_of_every_chip():
    """With no layout given the bound is the least over the layouts, scored with the SRAM
    credited per chip and stage: pipeline stages each bring their own SRAM, so a layout the
    uncredited ranking passes over (tp=16 there) can be the fastest."""
    from accelspec.model.catalog import get_model
    from accelspec.perf.memory import layouts

    chip = _sram_hbm_chip()
    b = a.decode_bound("llama-3.1-8b", chip, 128, n_chips=16)
    each = {str(lay): a.decode_bound("llama-3.1-8b", chip, 128, parallelism=lay).t
            for lay in layouts(get_model("llama-3.1-8b"), 16, every_ep=True) if lay.cp <= 128 and lay.dp == 1}
    assert b.t == min(each.values())
    assert each["tp=16"] > b.t  # fastest were every byte read at the HBM bandwidth: not the least here
    assert "memory: the first 2 GB per chip read from the on-chip SRAM" in b.assumptions


def test_memory_tiers_fastest_first():
    from accelspec.perf.roofline import memory_tiers

    (sram,) = memory_tiers("groq-lpu")  # SRAM-only: one tier, unbounded
    assert (sram.name, sram.capacity, sram.bandwidth) == ("on-chip SRAM", math.inf, 80e12)
    s, hbm = memory_tiers("sambanova-sn40l")  # SRAM of unpublished bandwidth, then HBM; DDR has none
    assert (s.capacity, s.bandwidth) == (520e6, math.inf)
    assert (hbm.name, hbm.capacity, hbm.bandwidth) == ("HBM", math.inf, 1.6e12)
    (dev,) = memory_tiers("h100-sxm")
    assert dev.bandwidth == 3.35e12
    assert memory_tiers("metax-c500") == ()


def test_tiered_memory_time_hand_formula():
    from accelspec.perf.roofline import effective_bandwidth, tiered_memory_time

    # fits the aggregate SRAM: W / (n x B_sram)
    assert tiered_memory_time("groq-lpu", 140e9, 609) == pytest.approx(140e9 / (609 * 80e12), rel=1e-12)
    assert tiered_memory_time("cerebras-wse3", 140e9, 4) == pytest.approx(140e9 / (4 * 21e15), rel=1e-12)
    # SN40L: 16 x 520 MB in SRAM at no cost (bandwidth unpublished), the rest from HBM at 1.6 TB/s per socket
    t = tiered_memory_time("sambanova-sn40l", 100e9, 16)
    assert t == pytest.approx((100e9 - 16 * 520e6) / (16 * 1.6e12), rel=1e-12)
    assert tiered_memory_time("sambanova-sn40l", 8e9, 16) == 0.0
    assert effective_bandwidth("sambanova-sn40l", 8e9, 16) == math.inf
    assert effective_bandwidth("sambanova-sn40l", 100e9, 16) == pytest.approx(100e9 / (16 * t), rel=1e-12)
    with pytest.raises(NotPublishedError, match="no memory tier"):
        tiered_memory_time("metax-c500", 1e9)
    with pytest.raises(a.InvalidArgumentError):
        tiered_memory_time("groq-lpu", -1.0)
    with pytest.raises(a.InvalidArgumentError):
        tiered_memory_time("groq-lpu", 1e9, 0)


def _tiered_chip(**memory):
    rec = {"id": "tiered", "name": "TIERED", "vendor": "Test",
           "compute": {"dense": {"bf16": spec("100 TFLOPS")}}, "memory": memory}
    return Chip.model_validate(rec)


def test_three_tiers_spill_in_order_and_chip_numbers_falls_back():
    from accelspec.perf.roofline import tiered_memory_time

    chip = _tiered_chip(on_chip_sram=spec("1 GB"), on_chip_bandwidth=spec("100 TB/s"), capacity=spec("10 GB"),
                        type={"value": "HBM", "source": SOURCE, "status": "official"},
                        tiers=[{"name": "DDR", "capacity": spec("100 GB"), "bandwidth": spec("0.1 TB/s")}])
    # 2 chips, 30 GB: 2 GB from SRAM, 20 GB from HBM... which publishes no bandwidth, so it is left out:
    # SRAM 2 GB at 100 TB/s, then the rest from DDR (the last tier, unbounded) at 0.1 TB/s
    assert tiered_memory_time(chip, 30e9, 2) == pytest.approx(2e9 / 200e12 + 28e9 / 0.2e12, rel=1e-12)
    # no device-memory bandwidth: the memory roof is the highest published one, said in the note
    cn = chip_numbers(chip, "bf16")
    assert cn.bandwidth == (100e12,) * 3
    assert "on-chip SRAM bandwidth" in cn.bandwidth_note and "still a bound" in cn.bandwidth_note
    chip2 = _tiered_chip(capacity=spec("10 GB"), bandwidth=spec("2 TB/s"), on_chip_sram=spec("1 GB"),
                         on_chip_bandwidth=spec("100 TB/s"),
                         tiers=[{"name": "DDR", "capacity": spec("100 GB"), "bandwidth": spec("0.1 TB/s")}])
    # SRAM 2 GB, HBM 20 GB at 2 TB/s per chip, DDR the remaining 8 GB at 0.1 TB/s per chip
    assert tiered_memory_time(chip2, 30e9, 2) == pytest.approx(2e9 / 200e12 + 20e9 / 4e12 + 8e9 / 0.2e12,
                                                               rel=1e-12)
    assert chip_numbers(chip2, "bf16").bandwidth == (2e12,) * 3


def test_sram_only_chip_must_read_its_sram():
    with pytest.raises(ValidationError, match=r"must equal memory\.on_chip_bandwidth"):
        _tiered_chip(on_chip_sram=spec("1 GB"), on_chip_bandwidth=spec("100 TB/s"), bandwidth=spec("2 TB/s"))


@pytest.mark.parametrize("model,chip_id,n,claim,kw", [
    # Cerebras Inference launch blog (cerebras.ai, 2024-08-27): Llama 3.1 70B at 450 tokens/s, 16-bit
    # weights; 4 WSE-3 is the fewest whose 44 GB of SRAM hold the 140.3 GB read per step
    ("llama-3.1-70b", "cerebras-wse3", 4, 450, {"precision": "fp16", "sparse": True}),
    # TechPowerUp relaying Groq (2024-02, GROQ-CARD): Llama 2 70B at 4,096 context, 300 tokens/s;
    # 604 LPUs is the fewest whose 230 MB hold the 138.8 GB read per step (16-bit weights and KV cache)
    ("llama-2-70b", "groq-lpu", 604, 300, {"precision": "fp16"}),
])
def test_record_claims_are_within_the_sram_bound(model, chip_id, n, claim, kw):
    from accelspec.perf.roofline import tiered_memory_time

    b = a.decode_bound(model, chip_id, 4096, **kw)
    sram = a.get_chip(chip_id).memory.on_chip_sram.q.m_as("B")
    assert n == math.ceil(b.bytes / sram)
    # more chips only raise the bound, so the fewest that fit is the strictest test
    assert claim < 1 / tiered_memory_time(chip_id, b.bytes, n)


# --- one tier rule and one precision rule at every entry point (issue 22) ----------------------
@pytest.mark.parametrize("phase,ctx,batch", [("decode", 8000, 41), ("decode", 2048, 1), ("prefill", 8000, 4)])
def test_sram_tier_in_sweep_request_and_session_as_in_the_bounds(phase, ctx, batch):
    """The SN40L's 520 MB of SRAM is read first by every entry point: the sweep's time and its
    range ends equal decode_bound's / prefill_bound's, request_bound's TPOT equals decode_bound."""
    bound = (a.decode_bound if phase == "decode" else a.prefill_bound)("llama-3.1-8b", "sn40l", ctx, batch)
    df = a.sweep(["llama-3.1-8b"], ["sn40l"], [ctx], [batch], phase=phase,
                 columns=["time", "time_low", "time_high"])
    assert df["time [s]"].iloc[0] == pytest.approx(bound.time.m_as("s"), rel=1e-12)
    lo, hi = bound.time_range
    assert df["time_low [s]"].iloc[0] == pytest.approx(lo.m_as("s"), rel=1e-12)
    assert df["time_high [s]"].iloc[0] == pytest.approx(hi.m_as("s"), rel=1e-12)
    # without the tier the memory term is larger: the test sees the tier, not a coincidence
    hbm_only = bound.bytes / 1.6e12
    if phase == "decode":
        assert bound.time.m_as("s") < hbm_only
        r = a.request_bound("llama-3.1-8b", "sn40l", ctx - 1, 2, batch=batch)
        assert r.time_per_output_token.m_as("s") == pytest.approx(bound.time.m_as("s"), rel=1e-12)
        assert "memory: the first 520 MB" in r.explain()


def test_bf16_checkpoint_on_an_fp16_chip_computes_in_fp16_everywhere():
    """A chip that publishes fp16 but no bf16 (V100) runs a bf16 checkpoint in fp16 (same bytes
    and FLOPs) at every entry point, said in the assumptions; an explicit precision raises."""
    b = a.decode_bound("llama-3.1-8b", "v100-sxm2-32gb", 2048, 1)
    assert "compute fp16 (Tesla V100 SXM2 32GB has no bf16, so it computes in fp16" in b.assumptions
    fp16 = a.decode_bound("llama-3.1-8b", "v100-sxm2-32gb", 2048, 1, precision="fp16")
    assert b.time == fp16.time
    df = a.sweep(["llama-3.1-8b"], ["v100-sxm2-32gb"], [2048], [1])
    assert df["precision"].iloc[0] == "fp16" and df["time [s]"].iloc[0] == pytest.approx(b.time.m_as("s"))
    assert "fp16" in df.attrs["compute_fallback"]["llama-3.1-8b on v100-sxm2-32gb"]
    r = a.request_bound("llama-3.1-8b", "v100-sxm2-32gb", 2047, 2)
    assert r.time_per_output_token == b.time and "compute fp16" in r.assumptions
    with pytest.raises(a.UnsupportedPrecisionError, match="V100"):
        a.decode_bound("llama-3.1-8b", "v100-sxm2-32gb", 2048, 1, precision="bf16")
    with pytest.raises(a.UnsupportedPrecisionError, match="V100"):
        a.decode_bound("llama-3.1-8b", "v100-sxm2-32gb", 2048, 1, weight_dtype="bf16")
