"""Cost and energy bounds, checked against hand-worked numbers."""

from __future__ import annotations

import pytest

import accelspec as a
from accelspec.economics import api_prices, chip_prices, compare_api, cost_bound, load_prices
from accelspec.errors import AccelspecError
from accelspec.units import Q_

# Llama 3.1 70B decode step on one MI300X, batch 1, mean context 2048 + 256/2 = 2176 tokens:
# weights read 2 B x (70.554e9 params - 128256 x 8192 embedding rows not read) = 139.007e9 B,
# KV 2176 tokens x 80 layers x 2 (K, V) x 8 heads x 128 x 2 B = 0.713e9 B; total 139.72e9 B.
# t >= 139.72e9 B / 5.3e12 B/s = 26.36 ms -> <= 37.93 token/s.
T_STEP = 139.72e9 / 5.3e12
RATE = 1 / T_STEP


def test_worked_mi300x_batch1_given_price():
    cb = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="3.6 USD/hour")
    assert cb.output_tokens_per_s.m_as("token/s") == pytest.approx(RATE, rel=2e-3)
    # $/Mtok = 3.6 USD/h x 1 chip / (3600 s/h x 37.93 token/s) x 1e6 = 26.36 USD
    assert cb.usd_per_m_output.m_as("USD") == pytest.approx(3.6 / (3600 * RATE) * 1e6, rel=2e-3)
    assert cb.usd_per_m_output.m_as("USD") == pytest.approx(26.36, rel=2e-3)
    # tokens/J = 37.93 token/s / 750 W (MI300X TDP) = 0.0506 token/J; per MW: 50,600 token/s
    assert cb.tokens_per_joule.m_as("token/J") == pytest.approx(37.93 / 750, rel=2e-3)
    assert cb.tokens_per_s_per_mw.m_as("token/s") == pytest.approx(37.93 / 750 * 1e6, rel=2e-3)
    assert "3.6 USD/chip-hour (given)" in cb.assumptions
    assert "chip TDP 750 W only" in cb.assumptions
    assert cb.missing == ()


def test_price_quantity_and_string_agree():
    q = cost_bound("llama-3.1-70b", "mi300x", batch=1, price=Q_(3.6, "USD/hour"))
    s = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="3.6 USD/hour")
    assert q.usd_per_m_output.m_as("USD") == pytest.approx(s.usd_per_m_output.m_as("USD"))


def test_min_median_max_from_snapshots():
    # MI300X snapshots (Cliff Center note, 2026-05-18): 1.50, 1.71, 1.85, 6.00 USD/GPU-hour
    vals = sorted(s.per_chip_hour.m_as("USD/hour") for s in chip_prices("mi300x"))
    assert vals == pytest.approx([1.50, 1.71, 1.85, 6.0])
    lo = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="min")
    med = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="median")
    assert lo.price_per_chip_hour.m_as("USD/hour") == pytest.approx(1.50)
    assert med.price_per_chip_hour.m_as("USD/hour") == pytest.approx((1.71 + 1.85) / 2)
    # 1.50 USD/h x 26.36 ms x 1e6 / 3600 s = 10.98 USD per 1M output tokens
    assert lo.usd_per_m_output.m_as("USD") == pytest.approx(1.5 * T_STEP * 1e6 / 3600, rel=2e-3)
    r_lo, r_hi = lo.usd_per_m_output_range
    assert r_hi.m_as("USD") == pytest.approx(6.0 * T_STEP * 1e6 / 3600, rel=2e-3)
    assert r_lo <= lo.usd_per_m_output <= r_hi
    assert "2026-05-18" in lo.assumptions and "TensorWave" in lo.assumptions


def test_derived_per_chip_price():
    # The Next Platform, 2023-07-27: p5.48xlarge on demand 98.32 USD/h for 8 H100 -> 12.29 USD/chip-hour
    od = [s for s in chip_prices("h100") if s.tier == "on-demand"]
    assert len(od) == 1 and od[0].basis == "derived"
    assert od[0].per_chip_hour.m_as("USD/hour") == pytest.approx(12.29)
    assert od[0].date == "2023-07-27"


def test_missing_price_and_power_reported_per_chip():
    cb = cost_bound("llama-3.1-70b", "ascend-910c", n_chips=2, batch=8)
    assert set(cb.missing) == {"price", "power.tdp"}
    assert cb.usd_per_m_output is None and cb.tokens_per_joule is None
    assert cb.output_tokens_per_s.m_as("token/s") > 0
    assert "no published price for ascend-910c" in cb.assumptions
    assert "ascend-910c" in load_prices()[1]


def test_does_not_fit_names_chip():
    with pytest.raises(AccelspecError, match="h100-sxm"):
        cost_bound("llama-3.1-70b", "h100", n_chips=1)


def test_default_batch_is_max_batch():
    cb = cost_bound("llama-3.1-70b", "mi300x", price="min")
    assert cb.batch == int(a.max_batch("llama-3.1-70b", "mi300x", 2048 + 256).value)
    assert cb.batch > 1


def test_every_snapshot_is_sourced_and_dated():
    snaps, _ = load_prices()
    assert snaps
    for s in snaps:
        assert s.source_url.startswith("https://") and s.date and s.quote
        assert s.status in {"official", "reported", "estimated", "derived"}
        assert s.per_chip_hour.m_as("USD/hour") > 0


def test_compare_api_keeps_rows_without_price():
    rows = compare_api("llama-3.1-70b", ["mi300x", "ascend-910c", "h100"], n_chips=2, batch=4)
    who = {r["who"]: r for r in rows if r["kind"] == "bound"}
    assert who["2 x ascend-910c"]["usd_per_m_output"] is None
    assert who["2 x ascend-910c"]["note"] == "no published price"
    assert who["2 x mi300x"]["date"] == "2026-05-18"
    assert len([r for r in rows if r["kind"] == "api"]) == len(api_prices("llama-3.1-70b"))


def test_cli_cost(capsys):
    from accelspec.cli import main

    assert main(["cost", "llama-3.1-70b", "--chip", "mi300x", "--batch", "1", "--price", "3.6 USD/hour",
                 "--json"]) == 0
    import json

    d = json.loads(capsys.readouterr().out)
    assert d["usd_per_m_output"] == pytest.approx(26.36, rel=2e-3)
    assert d["missing"] == []
    assert main(["cost", "llama-3.1-70b", "--chip", "h100"]) == 2


def test_api_price_deepseek_v3():
    # DeepSeek pricing page (2025-02): deepseek-chat (DeepSeek-V3) 0.27 USD in (cache miss), 1.10 USD out per 1M
    (p,) = api_prices("deepseek-v3")
    assert (p.usd_per_m_input, p.usd_per_m_output, p.date) == (0.27, 1.10, "2025-02")
    rows = compare_api("deepseek-v3", ["mi300x"], n_chips=8, batch=64)
    assert [r["kind"] for r in rows] == ["bound", "api"]
