"""Service-level planning: worked numbers for a small dense model on one H100 (3.35 TB/s, 80 GB).

Llama 3.1 8B in bf16: 8,030,261,248 parameters, of which the input embedding is 525,336,576
(untied; a decode step reads one row of it, 4,096 x 2 B = 8,192 B per token). Bytes read per
decode step at batch B: 2 x (8,030,261,248 - 525,336,576) = 15,009,849,344 B of weights, plus
B x 8,192 B of embedding rows, plus B x 131,072 B of KV per context token (32 layers x 8 KV
heads x 128 x 2 (K, V) x 2 B). At batch 1 the step is memory-bound (compute ~16 GFLOP at
989 TFLOP/s = 0.016 ms).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accelspec as a
from accelspec.cli import main
from accelspec.perf.kernels import largest_true
from accelspec.perf.plan import DEFINITIONS, PlanError, frontier

W = 15_009_849_344  # weight bytes read per step (all but the input embedding table)
ROW = 8_192  # one embedding row
KV = 131_072  # KV bytes per token
BW = 3.35e12


def step(batch: int, ctx: int) -> float:
    return (W + batch * (ROW + KV * ctx)) / BW


def test_tpot_ruled_out_by_the_memory_bound_step():
    # 2048 in / 256 out, decode at the mean context 2048 + 128 = 2176: step >= 4.5657 ms at batch 1
    t1 = step(1, 2176)
    assert t1 == pytest.approx(4.5657e-3, rel=1e-4)
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="4 ms", chips=["h100-sxm"], max_chips=1,
               disaggregated=True, basis="bound")
    r = p.rows[0]
    assert r.status == "ruled out" and not p.feasible
    assert "TPOT target 4 ms is below the memory-bound decode step at batch 1" in r.reasons[0]
    assert f"{t1 * 1e3:.4g} ms" in r.reasons[0]  # 4.566 ms
    assert "ruled out" in p.table() and "TPOT target" in p.table()  # never an empty table


def test_largest_batch_meeting_tpot_on_one_h100():
    # memory-bound: (W + B (ROW + KV x 2176)) / BW <= 10 ms  ->  B <= 64.83
    bmax = math.floor((0.010 * BW - W) / (ROW + KV * 2176))
    assert bmax == 64
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="10 ms", chips=["h100-sxm"], max_chips=1,
               disaggregated=True, basis="bound")
    r = p.rows[0]
    assert r.meets and r.n_chips == 1 and r.layout == "single chip" and r.batch == 64
    assert r.tpot_s == pytest.approx(step(64, 2176), rel=1e-9)
    assert r.tokens_per_s_per_chip == pytest.approx(64 / step(64, 2176), rel=1e-9)
    assert r.tokens_per_s_per_user == pytest.approx(1 / step(64, 2176), rel=1e-9)
    assert r.limiter == "memory"
    # the decode pool needs a prefill pool: ratio = decode requests/s per chip / prefill requests/s per chip
    pre = a.prefill_bound("llama-3.1-8b", "h100-sxm", 2048, r.prefill_batch)
    dec_rate = 64 / (256 * step(64, 2176))
    assert r.prefill_decode_ratio == pytest.approx(dec_rate / (r.prefill_batch / pre.t), rel=1e-9)
    assert pre.t <= 1.0
    assert r.tokens_per_s_per_chip_with_prefill == pytest.approx(r.tokens_per_s_per_chip / (1 + r.prefill_decode_ratio))


def test_vectorised_plan_equals_the_scalar_bound():
    p = a.plan("llama-3.1-70b", 2000, 256, ttft="1 s", tpot="30 ms", chips=["h100-sxm", "h200", "mi300x"],
               disaggregated=True, basis="bound")
    for r in p.feasible:
        b = a.decode_bound("llama-3.1-70b", r.chip, 2128, r.batch, parallelism=r.layout if r.n_chips > 1 else None)
        assert r.tpot_s == pytest.approx(b.t, rel=1e-9)
        fit = a.fits("llama-3.1-70b", r.chip, 2256, r.batch, n_chips=r.n_chips,
                     parallelism=r.layout if r.n_chips > 1 else None, weight_dtype="bf16")
        assert fit.fits
        over = a.decode_bound("llama-3.1-70b", r.chip, 2128, r.batch + 1,
                              parallelism=r.layout if r.n_chips > 1 else None)
        fit_over = a.fits("llama-3.1-70b", r.chip, 2256, r.batch + 1, n_chips=r.n_chips,
                          parallelism=r.layout if r.n_chips > 1 else None, weight_dtype="bf16")
        assert over.t > 0.030 or not fit_over.fits  # the batch is the largest


def test_colocated_tpot_includes_the_prefill_compute():
    kw = dict(ttft="1 s", tpot="30 ms", chips=["h200"])
    co = a.plan("llama-3.1-70b", 2000, 256, **kw, basis="bound").rows[0]
    dis = a.plan("llama-3.1-70b", 2000, 256, disaggregated=True, **kw, basis="bound").rows[0]
    assert co.meets and dis.meets and co.n_chips == dis.n_chips == 2
    assert co.batch < dis.batch
    dec = a.decode_bound("llama-3.1-70b", "h200", 2128, co.batch, parallelism=co.layout)
    pre = a.prefill_bound("llama-3.1-70b", "h200", 2000, co.batch, parallelism=co.layout)
    assert co.tpot_s == pytest.approx(max(dec.t, dec.t_compute + pre.t_compute / 256), rel=1e-9)
    assert co.ttft_s == pytest.approx(a.prefill_bound("llama-3.1-70b", "h200", 2000, 1, parallelism=co.layout).t)


def test_ttft_ruled_out_and_unknown_chips_say_why():
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 ms", tpot="1 s", chips=["h100-sxm", "zhenwu-m890"], max_chips=8,
               basis="bound")
    h = p.row("h100-sxm")
    assert h.status == "ruled out" and h.reasons[0].startswith("TTFT target 1 ms is below the prefill bound")
    m = p.row("zhenwu m890")
    assert m.status == "unknown"
    assert "no dense bf16 peak and no memory bandwidth published" in m.reasons[0]
    assert "memory alone: holds the model at batch 1 on 1 chip(s)" in m.reasons[1]
    assert all(r.reasons for r in p.rows if not r.meets)


def test_whole_catalog_and_systems():
    p = a.plan("llama-3.1-70b", "2k", 256, ttft="1 s", tpot="30 ms", basis="bound")
    assert len(p.rows) == len(a.chips()) + len(a.systems())
    assert p.feasible and p.rows[0].n_chips == 1
    assert [r.n_chips for r in p.feasible] == sorted(r.n_chips for r in p.feasible)
    h100 = p.row("h100-sxm")
    assert h100.meets and h100.n_chips == 2  # 141 GB of weights do not fit one 80 GB chip
    assert p.row("dgx-h100").kind == "system"
    rec = p.to_records()
    assert rec["definitions"] == DEFINITIONS and len(rec["rows"]) == len(p.rows)


def test_bad_inputs():
    with pytest.raises(PlanError, match="bare number"):
        a.plan("llama-3.1-8b", 2048, 256, ttft=1, tpot="30 ms", chips=["h100"])
    with pytest.raises(PlanError, match="tpot"):
        a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 GB", chips=["h100"])
    with pytest.raises(PlanError, match="decode_context"):
        a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 ms", chips=["h100"], decode_context="median")
    with pytest.raises(a.AccelspecError):
        a.plan("llama-3.1-8b", 0, 256, ttft="1 s", tpot="30 ms", chips=["h100"])


def test_frontier_curve():
    (cv,) = frontier("llama-3.1-8b", ["h100-sxm"], 2048, 256, batches=[1, 64, 10_000], basis="bound")
    assert cv["n_chips"] == 1 and list(cv["fits"]) == [True, True, False]
    assert cv["tokens_per_s_per_chip"][0] == pytest.approx(1 / step(1, 2176), rel=1e-9)
    assert cv["tokens_per_s_per_user"][1] == pytest.approx(1 / step(64, 2176), rel=1e-9)


def test_cli_plan(capsys):
    assert main(["plan", "llama-3.1-8b", "--input", "2048", "--output", "256", "--ttft", "1s", "--tpot", "10ms",
                 "--chips", "h100", "m890", "--disaggregated"]) == 0
    out = capsys.readouterr().out
    assert "H100 SXM" in out and "pre:dec" in out and "Zhenwu M890: unknown" not in out
    assert main(["plan", "llama-3.1-8b", "--input", "2048", "--output", "256", "--ttft", "1s", "--tpot", "1ms",
                 "--chips", "h100", "--max-chips", "1"]) == 0
    assert "TPOT target 1 ms is below" in capsys.readouterr().out
    assert main(["plan", "llama-3.1-8b", "--input", "2k", "--output", "256", "--ttft", "1", "--tpot", "10ms"]) == 2


def test_plot_frontier_draws_one_curve_per_chip_and_names_the_rest(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from accelspec import plot

    ax = plot.plot_frontier("llama-3.1-8b", ["h100-sxm", "h200", "zhenwu-m890"], 2048, 256, tpot="30 ms")
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["H100 SXM x 1", "H200 SXM x 1"]
    assert ax.left_out == ["Zhenwu M890 (no dense bf16 peak; no memory bandwidth)"]
    assert ax.get_xscale() == "log" and "per user" in ax.get_xlabel() and "per chip" in ax.get_ylabel()
    plt.close("all")
    out = tmp_path / "f.png"
    assert main(["plot", "frontier", "llama-3.1-8b", "--chips", "h100", "-o", str(out), "--tpot", "30ms"]) == 0
    assert out.stat().st_size > 10_000


def test_cost_and_energy_at_the_planned_deployment():
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="10 ms", chips=["h100-sxm", "ascend-910c"], max_chips=1,
               disaggregated=True, basis="bound")
    h = p.row("h100-sxm")
    rate = h.tokens_per_s_per_chip_with_prefill  # the decode chip's output shared with its prefill chips
    # lowest H100 snapshot 3.20 USD/chip-hour (Hyperstack on-demand, 2026-08-26); TDP 700 W
    assert h.usd_per_m_output == pytest.approx(3.20 / (3600 * rate) * 1e6)
    assert h.usd_per_m_output_range[1] == pytest.approx(98.32 / 8 / (3600 * rate) * 1e6)  # on-demand p5, 2023-07-27
    assert h.tokens_per_joule == pytest.approx(rate / 700)
    assert "2026-08-26" in h.price_source and h.cost_missing == ()
    c = p.row("ascend-910c")
    assert c.meets and c.usd_per_m_output is None and c.tokens_per_joule is None
    assert [m.split(" for ")[0] for m in c.cost_missing] == ["no published chip-hour price", "no TDP published"]
    assert "no TDP published for ascend-910c" in p.table()


def test_default_weights_are_the_checkpoints_as_fit():
    # gpt-oss-120b: experts mxfp4 in the checkpoint, 65.2 GB of weights: one H100 holds it
    # (fit / min_chips); a bf16 copy (233 GB) would need four
    p = a.plan("gpt-oss-120b", "2k", 256, ttft="1 s", tpot="30 ms", chips=["h100"])
    fewest = a.min_chips("gpt-oss-120b", "h100-sxm", 2000 + 256).value
    assert p.rows[0].status == "meets" and p.rows[0].n_chips == fewest == 1
    assert "experts mxfp4 (checkpoint)" in p.assumptions
    b16 = a.plan("gpt-oss-120b", "2k", 256, ttft="1 s", tpot="30 ms", chips=["h100"], weight_dtype="bf16")
    assert b16.rows[0].n_chips == 4


def test_checkpoint_format_the_chip_lacks_falls_back_to_bf16_compute():
    # DeepSeek-V3 is an fp8 checkpoint; the Ascend 910C publishes no fp8: bf16 compute, fp8 bytes
    p = a.plan("deepseek-v3", "2k", 256, ttft="1 s", tpot="30 ms", chips=["ascend-910c", "h100"], basis="bound")
    rows = {r.id: r for r in p.rows}
    assert rows["ascend-910c"].precision == "bf16" and rows["h100-sxm"].precision == "fp8"
    assert "no fp8 peak published: compute at bf16" in rows["ascend-910c"].notes[0]
    # fp8 weights (~671 GB) fit on 8 Ascend 910C (8 x 128 GB); a bf16 copy would not
    assert rows["ascend-910c"].n_chips == 8
    # an explicit precision the chip lacks is not replaced: no time bound, said so
    fp8 = a.plan("deepseek-v3", "2k", 256, ttft="1 s", tpot="30 ms", chips=["ascend-910c"], precision="fp8",
                 basis="bound")
    assert fp8.rows[0].status == "unknown" and "no dense fp8 peak" in fp8.rows[0].reasons[0]


# --- the estimate basis (default) ---------------------------------------------------------------
CHIPS = ["h100-sxm", "h200", "mi300x", "b200", "tpu-v5e", "gaudi3"]


def test_estimate_needs_at_least_the_bounds_chips():
    kw = dict(ttft="1 s", tpot="30 ms", chips=CHIPS)
    est = a.plan("llama-3.1-70b", "2k", 256, **kw)
    bnd = a.plan("llama-3.1-70b", "2k", 256, basis="bound", **kw)
    assert est.basis == "estimate" and bnd.basis == "bound"
    assert est.feasible  # the estimate still finds deployments
    for r in est.rows:
        b = bnd.row(r.id)
        if r.meets:  # what the estimate meets, the bound meets, with no more chips
            assert b.meets and r.n_chips >= b.n_chips
            assert r.tpot_s <= 0.030 and r.ttft_s <= 1.0
            assert r.tpot_bound_s <= r.tpot_s and r.ttft_bound_s <= r.ttft_s
            lo, hi = r.tpot_interval_s
            assert r.tpot_bound_s * (1 - 1e-12) <= lo <= r.tpot_s <= hi
            tlo, thi = r.tokens_per_s_per_chip_interval
            assert tlo <= r.tokens_per_s_per_chip <= thi
            if b.n_chips == r.n_chips:
                assert r.tokens_per_s_per_chip <= b.tokens_per_s_per_chip * (1 + 1e-9)
            if r.usd_per_m_output is not None:
                assert r.usd_per_m_output >= b.usd_per_m_output
                assert r.usd_per_m_output_interval[0] <= r.usd_per_m_output <= r.usd_per_m_output_interval[1]
        else:
            assert b.status in ("meets", r.status) or r.status == b.status
    # at least one chip needs more chips (or a smaller batch) than the bound says
    assert any(r.n_chips > bnd.row(r.id).n_chips or r.batch < bnd.row(r.id).batch for r in est.feasible)


def test_estimate_rows_are_the_bound_divided_by_the_calibrated_efficiency():
    from accelspec.perf.estimate import calibration, estimate

    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="40 ms", chips=["h100-sxm"], max_chips=1,
               disaggregated=True)
    r = p.rows[0]
    assert r.meets and r.basis == "estimate"
    # decode: the batch's own estimate (the monotone envelope may only make it slower)
    dec = estimate(a.decode_bound("llama-3.1-8b", "h100-sxm", 2176, r.batch))
    assert r.tpot_s >= dec.time_s * (1 - 1e-9) and r.tpot_bound_s == pytest.approx(dec.bound_s, rel=1e-9)
    bnd = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="40 ms", chips=["h100-sxm"], max_chips=1,
                 disaggregated=True, basis="bound").rows[0]
    assert r.batch < bnd.batch  # the estimate's step is slower: a smaller batch meets 40 ms
    text = p.table()
    cal = calibration()
    assert f"basis: estimate (bound / efficiency fitted on {cal.n_rows} published measurements" in p.assumptions
    assert "--basis bound" in p.assumptions and "TPOT 80% ms" in text and "interval" in r.explain()
    assert "basis: bound" in a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="10 ms", chips=["h100-sxm"],
                                    basis="bound").assumptions
    # co-located TTFT at batch 1: exactly the prefill bound's estimate
    co = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 ms", chips=["h100-sxm"], max_chips=1).rows[0]
    pre = estimate(a.prefill_bound("llama-3.1-8b", "h100-sxm", 2048, 1))
    assert co.ttft_s == pytest.approx(pre.time_s, rel=1e-9)
    assert co.ttft_interval_s[0] <= co.ttft_s <= co.ttft_interval_s[1]
    with pytest.raises(PlanError, match="basis"):
        a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="10 ms", chips=["h100"], basis="typical")


def test_estimate_ruled_out_reasons_say_estimated():
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="5 ms", chips=["h100-sxm"], max_chips=1,
               disaggregated=True)
    r = p.rows[0]  # the bound meets 5 ms at batch 1 (4.57 ms); the estimate does not
    assert r.status == "ruled out" and "below the estimated memory-bound decode step at batch 1: ~" in r.reasons[0]


def test_frontier_estimate_lies_below_the_bound():
    import numpy as np

    for cv in frontier("llama-3.1-70b", ["h100-sxm", "mi300x", "b200"], 2048, 256):
        assert cv["basis"] == "estimate"
        x, y = cv["tokens_per_s_per_user"], cv["tokens_per_s_per_chip"]
        xb, yb = cv["bound_tokens_per_s_per_user"], cv["bound_tokens_per_s_per_chip"]
        assert np.all(x <= xb * (1 + 1e-9)) and np.all(y <= yb * (1 + 1e-9))  # batch by batch
        assert np.all(np.diff(x) <= 1e-9 * x[:-1])  # never faster per user at a larger batch
        # and as curves: at the estimate's interactivity the bound's curve is higher
        o = np.argsort(xb)
        inside = (x >= xb.min()) & (x <= xb.max())
        assert np.all(y[inside] <= np.interp(x[inside], xb[o], yb[o]) * (1 + 1e-9))
        assert np.all(cv["low_tokens_per_s_per_chip"] <= y * (1 + 1e-9))
        assert np.all(cv["high_tokens_per_s_per_chip"] >= y * (1 - 1e-9))
        assert np.all(cv["high_tokens_per_s_per_chip"] <= yb * (1 + 1e-9))
    (b,) = frontier("llama-3.1-8b", ["h100-sxm"], 2048, 256, batches=[1, 64], basis="bound")
    assert "bound_tokens_per_s_per_chip" not in b


def test_cli_plan_basis(capsys):
    import json

    base = ["plan", "llama-3.1-8b", "--input", "2048", "--output", "256", "--ttft", "1s", "--tpot", "40ms",
            "--chips", "h100", "--max-chips", "1", "--disaggregated", "--json"]
    assert main(base) == 0
    est = json.loads(capsys.readouterr().out)
    assert main([*base, "--basis", "bound"]) == 0
    bnd = json.loads(capsys.readouterr().out)
    assert est["basis"] == "estimate" and bnd["basis"] == "bound"
    assert est["rows"][0]["batch"] < bnd["rows"][0]["batch"]
    assert est["rows"][0]["tpot_interval_s"] is not None and bnd["rows"][0]["tpot_interval_s"] is None
    assert main([*base[:-1], "--basis", "typical"]) == 2


@pytest.mark.parametrize("model, s_in, s_out", [("deepseek-v3", 2048, 512), ("llama-3.1-70b", 4096, 256)])
def test_plan_rows_are_the_scalar_bound_of_their_layout_pipelines_included(model, s_in, s_out):
    # the plan scores every (layout, chip) pair in one pass; each row must be decode_bound and
    # fits of its own layout at its batch, and the batch the largest meeting both
    chips = ["rubin", "ascend-970", "mi455x", "h200", "tpu-v5e"]
    p = a.plan(model, s_in, s_out, ttft="2 s", tpot="50 ms", chips=chips, n_chips=[2, 4, 8, 16],
               disaggregated=True, basis="bound")
    ctx_dec = s_in + s_out // 2
    layouts = set()
    for r in p.feasible:
        layouts.add(r.layout)
        kw = dict(n_chips=r.n_chips, parallelism=r.layout)
        b = a.decode_bound(model, r.chip, ctx_dec, r.batch, **kw)
        assert r.tpot_s == pytest.approx(b.t, rel=1e-9)
        assert a.fits(model, r.chip, s_in + s_out, r.batch, **kw).fits
        over = a.decode_bound(model, r.chip, ctx_dec, r.batch + 1, **kw)
        assert over.t > 0.050 or not a.fits(model, r.chip, s_in + s_out, r.batch + 1, **kw).fits
    assert len(p.feasible) >= 3
    if model == "deepseek-v3":
        assert any("pp=" in x for x in layouts)  # a micro-batched pipeline among the answers


@given(st.lists(st.integers(0, 1 << 20), min_size=1, max_size=40))
def test_largest_finds_every_pairs_threshold(th):
    th = np.maximum(np.array(th, dtype=float), 1.0)
    got = largest_true(lambda b: b <= th, np.ones(th.size), np.full(th.size, float(1 << 20) + 1.0))
    assert np.array_equal(got, th)


def test_plan_reads_an_sram_tier_first_as_decode_bound():
    # SN40L: 520 MB of on-chip SRAM read before the HBM; the plan's step is decode_bound's
    p = a.plan("llama-3.1-8b", 8000, 256, ttft="2 s", tpot="50 ms", chips=["sn40l"], disaggregated=True,
               basis="bound")
    r = p.rows[0]
    assert r.meets and r.n_chips == 1
    b = a.decode_bound("llama-3.1-8b", "sn40l", p.decode_context, r.batch)
    assert "on-chip SRAM" in b.assumptions
    assert r.tpot_s == pytest.approx(b.t, rel=1e-12)
