"""Cost and energy bounds, checked against hand-worked numbers."""

from __future__ import annotations

import pytest

import accelspec as a
from accelspec.economics import api_prices, chip_prices, compare_api, cost_bound, list_prices, load_prices
from accelspec.errors import AccelspecError, InvalidArgumentError, UnknownHardwareError
from accelspec.units import Q_

# Llama 3.1 70B decode step on one MI300X, batch 1, mean context 2048 + 256/2 = 2176 tokens:
# weights read 2 B x (70.554e9 params - 128256 x 8192 embedding rows not read) = 139.007e9 B,
# KV 2176 tokens x 80 layers x 2 (K, V) x 8 heads x 128 x 2 B = 0.713e9 B; total 139.72e9 B.
# t >= 139.72e9 B / 5.3e12 B/s = 26.36 ms -> <= 37.93 token/s.
T_STEP = 139.72e9 / 5.3e12
RATE = 1 / T_STEP

BOUND = ["--basis", "bound"]  # the worked numbers are the bounds


def test_worked_mi300x_batch1_given_price():
    cb = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="3.6 USD/hour", basis="bound")
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
    lo = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="min", basis="bound")
    med = cost_bound("llama-3.1-70b", "mi300x", batch=1, price="median", basis="bound")
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
    cb = cost_bound("llama-3.1-70b", "b200", batch=1, basis="bound")
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


def test_fixed_layout_without_chip_count_is_refused():
    # the fewest chips are searched over strategies; a fixed layout needs its chip count
    with pytest.raises(InvalidArgumentError, match="fixed layout needs n_chips") as err:
        cost_bound("llama-3.1-8b", "h100-sxm", parallelism=a.Parallelism(tp=2))
    assert err.value.argument == "parallelism"
    fixed = cost_bound("llama-3.1-8b", "h100-sxm", n_chips=2, parallelism=a.Parallelism(tp=2), price="2 USD/hour")
    assert fixed.n_chips == 2


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

    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "mi300x", "--batch", "1", "--price", "3.6 USD/hour",
                 "--json"]) == 0
    import json

    d = json.loads(capsys.readouterr().out)
    assert d["usd_per_m_output"] == pytest.approx(26.36, rel=2e-3)
    assert d["missing"] == ["system.power"]
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "h100", "--n-chips", "1"]) == 2  # 141 GB of weights
    assert "does not fit" in capsys.readouterr().err
    # default: the fewest chips that fit
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "h100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_chips"] == 2 and "fewest chips" in d["assumptions"]
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "b200", "--batch", "1", "--api", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["tokens_per_s_per_MW_rack"] == pytest.approx(30831, rel=2e-3)
    assert d["system"] == "dgx-b200"
    assert {r["who"] for r in d["api"]} >= {"Amazon Bedrock", "Groq", "Azure AI"}
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "b200", "--batch", "1", "--api"]) == 0
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


# --- systems and deployments ---------------------------------------------------------------
# Llama 3.1 70B decode on the 8 H200 of an HGX H200 (tp=8), batch 1, mean context 2176: the
# 139.72e9 B read per step (see T_STEP) spread over 8 x 4.8 TB/s = 3.639 ms -> 274.8 token/s
# (the tp all-reduces, 160 x 2 x 7/8 x 16 KiB over 450 GB/s, hide under it). At 3.99 USD per
# chip-hour: 8 x 3.99 / (3600 x 274.8) x 1e6 = 32.27 USD per 1M output tokens. HGX H200
# 10.2 kW / 8 = 1275 W per chip: 274.8 / (8 x 1275 W) x 1e6 = 26,942 token/s per MW.
HGX_RATE = 8 * 4.8e12 / 139.72e9


def test_system_costs_its_chip_all_its_chips_and_its_power():
    cb = cost_bound("llama-3.1-70b", "hgx-h200", batch=1, price="3.99 USD/hour", basis="bound")
    assert (cb.chip, cb.n_chips, cb.on_system, cb.system) == ("h200-sxm", 8, "hgx-h200", "hgx-h200")
    assert cb.output_tokens_per_s.m_as("token/s") == pytest.approx(HGX_RATE, rel=2e-3)
    assert cb.usd_per_m_output.m_as("USD") == pytest.approx(32.27, rel=2e-3)
    assert cb.rack_power_per_chip.m_as("W") == pytest.approx(10200 / 8)
    assert cb.tokens_per_s_per_mw_rack.m_as("token/s") == pytest.approx(26942, rel=2e-3)
    assert "system HGX H200 8-GPU (hgx-h200): h200-sxm, all its chips" in cb.assumptions
    assert "fewest chips" not in cb.assumptions
    assert str(cb).startswith("llama-3.1-70b on 8 x h200-sxm in hgx-h200, batch 1:")
    # the same as the chip with n_chips=8, except for the stated system
    chip = cost_bound("llama-3.1-70b", "h200", n_chips=8, batch=1, price="3.99 USD/hour", basis="bound")
    assert chip.on_system is None and "system HGX" not in chip.assumptions
    for f in ("output_tokens_per_s", "input_tokens_per_s", "usd_per_m_output", "usd_per_m_input",
              "tokens_per_joule", "rack_power_per_chip"):
        assert getattr(cb, f).m == pytest.approx(getattr(chip, f).m, rel=1e-12), f
    # n_chips given with a system: that many of its chips
    two = cost_bound("llama-3.1-70b", "hgx-h200", n_chips=2, batch=1, price="3.99 USD/hour", basis="bound")
    assert two.n_chips == 2 and "2 of its 8 chips" in two.assumptions


def test_system_name_is_not_the_chip_alias():
    # "GB200 NVL72" is also an alias of the gb200 chip record: the system wins, all 72 chips,
    # and its power is reported missing (the catalog has no published GB200 NVL72 power),
    # never borrowed from another system
    cb = cost_bound("llama-3.1-70b", "gb200 nvl72", batch=1, price="5 USD/hour")
    assert (cb.chip, cb.n_chips, cb.on_system) == ("gb200", 72, "gb200-nvl72")
    assert "system.power" in cb.missing and "system gb200-nvl72 publishes no power" in cb.assumptions
    one = cost_bound("llama-3.1-70b", "gb200", n_chips=2, batch=1, price="5 USD/hour")
    assert one.on_system is None and one.n_chips == 2


def test_system_keyword_may_only_repeat_the_system_asked_of():
    cb = cost_bound("llama-3.1-70b", "hgx-h200", batch=1, price="3.99 USD/hour", system="hgx-h200")
    assert cb.system == "hgx-h200"
    with pytest.raises(InvalidArgumentError, match=r"system.*hgx-h200.*dgx-h100"):
        cost_bound("llama-3.1-70b", "hgx-h200", batch=1, system="dgx-h100")


def test_unknown_hardware_suggests_chips_and_systems():
    with pytest.raises(UnknownHardwareError) as exc:
        cost_bound("llama-3.1-70b", "gb200-nvl7", batch=1)
    assert "gb200-nvl72" in exc.value.suggestions


def test_deployment_equals_keyword_call_and_refuses_what_it_fixes():
    d = a.Deployment("h200", n_chips=2, dtypes="bf16")
    cd = cost_bound("llama-3.1-70b", d, batch=4, price="3.99 USD/hour", basis="bound")
    kw = cost_bound("llama-3.1-70b", "h200", n_chips=2, weight_dtype="bf16", kv_dtype="bf16", batch=4,
                    price="3.99 USD/hour", basis="bound")
    assert cd.n_chips == kw.n_chips == 2
    assert cd.usd_per_m_output.m == pytest.approx(kw.usd_per_m_output.m, rel=1e-12)
    assert cd.output_tokens_per_s.m == pytest.approx(kw.output_tokens_per_s.m, rel=1e-12)
    assert "deployment 2 x H200 SXM" in cd.assumptions
    # a deployment in a system: the system's chips, fabric and power
    ds = cost_bound("llama-3.1-70b", a.Deployment("hgx-h200"), batch=1, price="3.99 USD/hour", basis="bound")
    assert ds.on_system == "hgx-h200" and ds.n_chips == 8
    assert ds.usd_per_m_output.m_as("USD") == pytest.approx(32.27, rel=2e-3)
    with pytest.raises(a.DeploymentError, match="n_chips"):
        cost_bound("llama-3.1-70b", d, n_chips=4, batch=1, basis="bound")
    with pytest.raises(a.DeploymentError, match="weight_dtype, kv_dtype"):
        cost_bound("llama-3.1-70b", d, weight_dtype="fp8", kv_dtype="fp8", batch=1, basis="bound")


def test_compare_api_names_the_system():
    rows = compare_api("llama-3.1-70b", ["hgx-h200"], batch=1, price="3.99 USD/hour", basis="bound")
    assert rows[0]["who"] == "8 x h200-sxm in hgx-h200"
    assert rows[0]["usd_per_m_output"] == pytest.approx(32.27, rel=2e-3)


def test_cli_cost_takes_a_system(capsys):
    import json

    from accelspec.cli import main

    for argv in (["--chip", "hgx-h200"], ["--system", "hgx-h200"]):
        assert main(["cost", "llama-3.1-70b", *BOUND, *argv, "--batch", "1", "--price", "3.99 USD/hour", "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert (d["chip"], d["on_system"], d["n_chips"], d["system"]) == ("h200-sxm", "hgx-h200", 8, "hgx-h200")
        assert d["usd_per_m_output"] == pytest.approx(32.27, rel=2e-3)
    # a chip with --system keeps its old meaning: the fewest chips, that system's power
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "h100", "--system", "dgx-h100", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["n_chips"], d["on_system"], d["system"]) == (2, None, "dgx-h100")
    assert main(["cost", "llama-3.1-70b"]) == 2
    assert "--chip" in capsys.readouterr().err


def test_estimate_costs_at_least_the_bound():
    from accelspec.perf.estimate import calibration, estimate

    for chip in ("h100-sxm", "mi300x", "b200"):
        est = cost_bound("llama-3.1-70b", chip)
        bnd = cost_bound("llama-3.1-70b", chip, basis="bound")
        assert est.basis == "estimate" and bnd.basis == "bound" and bnd.efficiency is None
        assert (est.n_chips, est.batch) == (bnd.n_chips, bnd.batch)  # the same deployment
        assert est.usd_per_m_output >= bnd.usd_per_m_output and est.usd_per_m_input >= bnd.usd_per_m_input
        assert est.tokens_per_joule <= bnd.tokens_per_joule
        assert est.output_tokens_per_s_bound == bnd.output_tokens_per_s
        # the rate is the bound's times the decode estimate's efficiency
        dec = a.decode_bound("llama-3.1-70b", chip, 2048 + 128, batch=est.batch, n_chips=est.n_chips)
        assert est.output_tokens_per_s.m_as("token/s") == pytest.approx(
            bnd.output_tokens_per_s.m_as("token/s") * estimate(dec).speed.efficiency, rel=1e-9)
        lo, hi = est.usd_per_m_output_interval
        assert lo <= est.usd_per_m_output <= hi
        assert f"fitted on {calibration().n_rows} published measurements" in est.assumptions
        assert "basis: bound" in bnd.assumptions and "--basis bound" in est.assumptions
    rows = compare_api("llama-3.1-70b", ["h100-sxm"])
    assert "basis: estimate" in rows[0]["note"]
    with pytest.raises(a.AccelspecError, match="basis"):
        cost_bound("llama-3.1-70b", "h100", basis="typical")


def test_cli_cost_basis(capsys):
    import json

    from accelspec.cli import main

    assert main(["cost", "llama-3.1-70b", "--chip", "h100", "--json"]) == 0
    est = json.loads(capsys.readouterr().out)
    assert main(["cost", "llama-3.1-70b", *BOUND, "--chip", "h100", "--json"]) == 0
    bnd = json.loads(capsys.readouterr().out)
    assert est["basis"] == "estimate" and bnd["basis"] == "bound"
    assert est["usd_per_m_output"] > bnd["usd_per_m_output"] and 0 < est["efficiency"] <= 1
