"""Cost and energy bounds, checked against hand-worked numbers."""

from __future__ import annotations

import pytest

import accelspec as a
from accelspec.economics import api_prices, chip_prices, compare_api, cost_bound, list_prices, load_prices
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
    # no catalog system of MI300X publishes a power: the rack bound is reported missing, not dropped
    assert cb.missing == ("system.power",)
    assert cb.tokens_per_s_per_mw_rack is None


def test_price_quantity_and_string_agree():
    q = cost_bound("llama-3.1-70b", "mi300x", batch=1, price=Q_(3.6, "USD/hour"))
    s = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="3.6 USD/hour")
    assert q.usd_per_m_output.m_as("USD") == pytest.approx(s.usd_per_m_output.m_as("USD"))


def test_min_median_max_from_snapshots():
    # MI300X snapshots: Cliff Center note (2026-05-18) 1.50, 1.71, 1.85, 6.00; DigitalOcean API
    # list price (tokenwatt dataset, 2026-10-07) 2.59 USD/GPU-hour. Median of five = 1.85.
    vals = sorted(s.per_chip_hour.m_as("USD/hour") for s in chip_prices("mi300x"))
    assert vals == pytest.approx([1.50, 1.71, 1.85, 2.59, 6.0])
    lo = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="min")
    med = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="median")
    assert lo.price_per_chip_hour.m_as("USD/hour") == pytest.approx(1.50)
    assert med.price_per_chip_hour.m_as("USD/hour") == pytest.approx(1.85)
    # 1.50 USD/h x 26.36 ms x 1e6 / 3600 s = 10.98 USD per 1M output tokens
    assert lo.usd_per_m_output.m_as("USD") == pytest.approx(1.5 * T_STEP * 1e6 / 3600, rel=2e-3)
    r_lo, r_hi = lo.usd_per_m_output_range
    assert r_hi.m_as("USD") == pytest.approx(6.0 * T_STEP * 1e6 / 3600, rel=2e-3)
    assert r_lo <= lo.usd_per_m_output <= r_hi
    assert "2026-05-18" in lo.assumptions and "TensorWave" in lo.assumptions


def test_derived_per_chip_price():
    # The Next Platform, 2023-07-27: p5.48xlarge on demand 98.32 USD/h for 8 H100 -> 12.29 USD/chip-hour
    od = [s for s in chip_prices("h100") if s.tier == "on-demand" and s.basis == "derived"]
    assert len(od) == 1 and od[0].provider == "AWS"
    assert od[0].per_chip_hour.m_as("USD/hour") == pytest.approx(12.29)
    assert od[0].date == "2023-07-27"


def test_tpu_v6e_per_chip_from_slice_price():
    # SkyPilot GCP catalog rows (PR #4540, 2025-01-07): tpu-v6e-128 us-east1 345.6 USD/h -> 2.70 per chip;
    # tpu-v6e-256 us-east5 691.2 -> 2.70; tpu-v6e-128 europe-west4 380.16 -> 2.97
    by_region = {s.region.split(" ")[0]: s for s in chip_prices("tpu-v6e")}
    assert by_region["us-east1"].per_chip_hour.m_as("USD/hour") == pytest.approx(2.70)
    assert by_region["us-east5"].per_chip_hour.m_as("USD/hour") == pytest.approx(2.70)
    assert by_region["europe-west4"].per_chip_hour.m_as("USD/hour") == pytest.approx(2.97)
    assert all(s.basis == "derived" and s.chips in (128, 256) for s in by_region.values())


def test_worked_b200_rack_power_bound():
    # Llama 3.1 70B decode on one B200, batch 1, mean context 2176: 139.72e9 B / 7.7e12 B/s = 18.145 ms
    # -> 55.11 token/s. Price min 6.00 USD/h (Hyperstack, 2026-08-26):
    # 6.00 x 18.145e-3 s x 1e6 / 3600 s/h = 30.24 USD per 1M output tokens.
    # Chip TDP 1000 W: 0.05511 token/J. DGX B200 14.3 kW / 8 GPUs = 1787.5 W per chip:
    # 55.11 / 1787.5 x 1e6 = 30,831 token/s per MW of system power.
    t = 139.72e9 / 7.7e12
    cb = cost_bound("llama-3.1-70b", "b200", batch=1)
    assert cb.output_tokens_per_s.m_as("token/s") == pytest.approx(1 / t, rel=2e-3)
    assert cb.usd_per_m_output.m_as("USD") == pytest.approx(30.24, rel=2e-3)
    assert cb.tokens_per_joule.m_as("token/J") == pytest.approx(0.05511, rel=2e-3)
    assert cb.system == "dgx-b200"
    assert cb.rack_power_per_chip.m_as("W") == pytest.approx(1787.5)
    assert cb.tokens_per_s_per_mw_rack.m_as("token/s") == pytest.approx(30831, rel=2e-3)
    assert "dgx-b200 14.3 kW / 8 chips = 1788 W per chip" in cb.assumptions
    assert cb.missing == ()


def test_rack_power_without_chip_tdp():
    # Ascend 910C has no published TDP, but CloudMatrix384 has a (reported) 559 kW system figure:
    # 559,000 W / 384 NPUs = 1455.7 W per chip, so the rack bound exists while tokens/J does not.
    cb = cost_bound("llama-3.1-70b", "ascend-910c", n_chips=2, batch=8)
    assert cb.system == "cloudmatrix384"
    assert cb.rack_power_per_chip.m_as("W") == pytest.approx(559000 / 384)
    tps = cb.output_tokens_per_s.m_as("token/s")
    assert cb.tokens_per_s_per_mw_rack.m_as("token/s") == pytest.approx(tps / (2 * 559000 / 384) * 1e6)
    assert cb.tokens_per_joule is None


def test_system_power_share_checks_chip_and_power():
    from accelspec.economics import system_power_share

    # DGX H100: 10.2 kW / 8 GPUs = 1275 W per chip
    ((sid, share),) = system_power_share("h100")
    assert sid == "dgx-h100" and share.m_as("W") == pytest.approx(1275.0)
    with pytest.raises(AccelspecError, match=r"dgx-b200.*b200.*h100-sxm"):
        system_power_share("h100", system="dgx-b200")
    with pytest.raises(AccelspecError, match=r"mi355x-platform.*power"):
        system_power_share("mi355x", system="mi355x-platform")


def test_tier_filter_and_missing_tier_named():
    # AWS Capacity Blocks (2024-12): p5.48xlarge 4.916 USD per H100-hour, the only capacity-block H100 row
    cb = cost_bound("llama-3.1-70b", "h100", n_chips=2, batch=4, tier="capacity-block")
    assert cb.price_per_chip_hour.m_as("USD/hour") == pytest.approx(4.916)
    assert [s.provider for s in cb.prices] == ["AWS"]
    spot = cost_bound("llama-3.1-70b", "h100", n_chips=2, batch=4, tier="spot")
    assert "price" in spot.missing and "no spot snapshot" in spot.assumptions


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
    snaps, no_price = load_prices()
    assert len(snaps) >= 25
    for s in snaps:
        assert s.source_url.startswith("https://") and s.date[:4].isdigit() and s.quote
        assert s.status in {"official", "reported", "estimated", "derived"}
        assert s.tier in {"on-demand", "spot", "capacity-block", "committed", "list"}
        assert s.per_chip_hour.m_as("USD/hour") > 0
        assert s.status == "official" or s.origin or s.source_title  # reported rows name where they read it
    # the chips the issue asks about are priced, or say why not
    priced = {s.chip for s in snaps}
    for chip in ("h100-sxm", "h200-sxm", "mi300x", "b200", "tpu-v5e", "tpu-v5p", "tpu-v6e", "trainium1"):
        assert chip in priced
    for chip in ("ascend-910c", "trainium2", "gaudi2-oam", "gaudi3-oam"):
        assert chip not in priced and no_price[chip]


def test_every_api_and_list_price_is_sourced_and_dated():
    rows = api_prices()
    assert len(rows) >= 15
    for r in rows:
        assert r.source_url.startswith("https://") and r.date[:4].isdigit() and r.quote
        assert r.status in {"official", "reported"}
        assert 0 < r.usd_per_m_input and 0 < r.usd_per_m_output
    assert {r.model for r in rows} >= {"llama-3.1-70b", "llama-3.1-405b", "gpt-oss-120b", "deepseek-v3", "qwen3-32b"}
    (g3,) = list_prices("gaudi3-oam")
    # 125,000 USD for a kit of eight Gaudi 3 with baseboard -> 15,625 USD per chip (baseboard included)
    assert g3.per_chip.m_as("USD") == pytest.approx(15625)
    assert g3.quote and g3.source_url.startswith("https://")


def test_api_file_errors_name_file_and_field(tmp_path):
    bad = tmp_path / "api.yaml"
    bad.write_text("sources: {}\nprices:\n  - {provider: X, model: llama-3.1-70b, input: 1, output: 2, source: NOPE}\n")
    with pytest.raises(AccelspecError, match=r"api.yaml: prices\[0\].*field source.*NOPE"):
        api_prices(path=bad)


def test_docs_price_table_is_current():
    from pathlib import Path

    from accelspec.economics import prices_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "economics.md").read_text()
    block = doc.split("<!-- prices:begin -->\n")[1].split("<!-- prices:end -->")[0]
    assert block == prices_markdown(), "regenerate the block with accelspec.economics.prices_markdown()"


def test_compare_api_keeps_rows_without_price():
    rows = compare_api("llama-3.1-70b", ["mi300x", "ascend-910c", "trainium2", "h100"], n_chips=2, batch=4)
    who = {r["who"]: r for r in rows if r["kind"] == "bound"}
    for chip in ("ascend-910c", "trainium2"):
        assert who[f"2 x {chip}"]["usd_per_m_output"] is None
        assert who[f"2 x {chip}"]["note"] == "no published price"
    # the date shown is the date of the price used (min: TensorWave 1.50, Cliff Center 2026-05-18)
    assert who["2 x mi300x"]["date"] == "2026-05-18"
    api = [r for r in rows if r["kind"] == "api"]
    assert len(api) == len(api_prices("llama-3.1-70b")) >= 5
    bedrock = next(r for r in api if r["who"] == "Amazon Bedrock")
    assert (bedrock["usd_per_m_input"], bedrock["usd_per_m_output"], bedrock["date"]) == (0.72, 0.72, "2026-07-02")


def test_cli_cost(capsys):
    from accelspec.cli import main

    assert main(["cost", "llama-3.1-70b", "--chip", "mi300x", "--batch", "1", "--price", "3.6 USD/hour",
                 "--json"]) == 0
    import json

    d = json.loads(capsys.readouterr().out)
    assert d["usd_per_m_output"] == pytest.approx(26.36, rel=2e-3)
    assert d["missing"] == ["system.power"]
    assert main(["cost", "llama-3.1-70b", "--chip", "h100", "--n-chips", "1"]) == 2  # 141 GB of weights
    assert "does not fit" in capsys.readouterr().err
    assert main(["cost", "llama-3.1-70b", "--chip", "h100", "--json"]) == 0  # default: the fewest chips that fit
    d = json.loads(capsys.readouterr().out)
    assert d["n_chips"] == 2 and "fewest chips" in d["assumptions"]
    assert main(["cost", "llama-3.1-70b", "--chip", "b200", "--batch", "1", "--api", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["tokens_per_s_per_MW_rack"] == pytest.approx(30831, rel=2e-3)
    assert d["system"] == "dgx-b200"
    assert {r["who"] for r in d["api"]} >= {"Amazon Bedrock", "Groq", "Azure AI"}
    assert main(["cost", "llama-3.1-70b", "--chip", "b200", "--batch", "1", "--api"]) == 0
    out = capsys.readouterr().out
    assert "token/s per MW of dgx-b200 power" in out and "Amazon Bedrock" in out


def test_api_price_deepseek_v3():
    # DeepSeek pricing page (2025-02): deepseek-chat (DeepSeek-V3) 0.27 USD in (cache miss), 1.10 USD out per 1M
    (p,) = [x for x in api_prices("deepseek-v3") if x.provider == "DeepSeek"]
    assert (p.usd_per_m_input, p.usd_per_m_output, p.date, p.status) == (0.27, 1.10, "2025-02", "official")
    # Fireworks docs (official): "DeepSeek V3 family | $0.56 | $0.28 | $1.68"
    (fw,) = [x for x in api_prices("deepseek-v3") if x.provider == "Fireworks AI"]
    assert (fw.usd_per_m_input, fw.usd_per_m_output) == (0.56, 1.68)
    rows = compare_api("deepseek-v3", ["mi300x"], n_chips=8, batch=64)
    assert [r["kind"] for r in rows] == ["bound"] + ["api"] * len(api_prices("deepseek-v3"))
