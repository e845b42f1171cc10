"""Published measurements: they load, and none beats accelspec's bound."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.measurements.validation import load_measurements, validate


@pytest.fixture(scope="module")
def report():
    return validate()


def test_all_rows_load():
    rows = load_measurements()
    assert len(rows) >= 143
    assert len({r.row.id for r in rows}) == len(rows)
    assert all(r.row.quote and r.source.url.startswith("http") for r in rows)


def test_coverage(report):
    assert len(report.publishers) >= 13
    assert {"MLCommons", "Google", "LMSYS", "Lambda"} <= set(report.publishers)
    families = {a.get_chip(c.chip).family for c in report.checks}
    vendors = {a.get_chip(c.chip).vendor for c in report.checks}
    assert len(report.chips) >= 13 and len(families) >= 8
    assert vendors >= {"NVIDIA", "AMD", "Google", "Intel", "Huawei"}


def test_mlperf_rows_cover_scenarios_and_chips():
    rows = [r.row for r in load_measurements() if (r.row.scenario or "").startswith("MLPerf Inference v5.1")]
    assert len(rows) >= 40
    assert all(r.source and r.quote and "mlperf_log_summary.txt" in (r.note or "") for r in rows)
    scen = {s for r in rows for s in ("Offline", "Server", "Interactive") if f"v5.1 {s}" in r.scenario}
    assert scen == {"Offline", "Server", "Interactive"}
    assert {r.chip for r in rows} >= {"b200", "gb200", "h200-sxm", "mi300x", "mi325x", "mi355x"}
    # Server and Interactive runs carry their latency limits (p99), Offline none
    inter = next(r for r in rows if r.id == "mlperf51-nvidia-b200x8-llama2-70b-interactive-tpot")
    assert (inter.slo.ttft_ms, inter.slo.tpot_ms, inter.slo.percentile) == (450, 40, 99)
    assert inter.metric.value <= inter.slo.tpot_ms  # mean TPOT 34.2 ms under the 40 ms p99 limit
    assert all(r.slo is None for r in rows if "v5.1 Offline" in r.scenario)
    # whole-system figures carry the system's chip count; one model instance is n_chips
    r = next(r for r in rows if r.id == "mlperf51-nvidia-gb200x72-405b-offline")
    assert (r.n_chips, r.figure_chips, r.layout.tp, r.layout.pp) == (4, 72, 2, 2)


def test_worked_row_mlperf_b200_llama2_70b_offline(report):
    # fp4 weights and (assumed) fp4 activations: fp4 matmuls at 9,000 TFLOPS dense per B200.
    # Llama 2 70B: 2 * 68.71e9 FLOP per token -> 9e15 / 1.3742e11 = 65,490 token/s per GPU, 523,900 for 8;
    # MLPerf v5.1 Offline "Tokens per second: 101527" -> efficiency 0.194.
    c = next(c for c in report.checks if c.id == "mlperf51-nvidia-b200x8-llama2-70b-offline")
    assert c.limiter == "compute"
    assert c.bound == pytest.approx(8 * 9e15 / (2 * 68.71e9), rel=0.01)
    assert c.efficiency == pytest.approx(101527 / 523_900, rel=0.01)


def test_worked_row_tpu_v5e_llama2_7b_int8(report):
    # 8 TPU v5e, int8 weights and KV, batch 96, context 1: bytes per step on one chip =
    # (6,738,415,616 params - 131,072,000 input-embedding table) B + 96 embedding rows * 4,096 B
    # + 96 * 1 * 262,144 B KV = 6.6329e9 B at 819 GB/s -> 8.099 ms for 96 tokens = 11,854 token/s per chip,
    # 94,830 for the 8 chips; JetStream-PyTorch's 4,783 token/s -> efficiency 0.0504.
    c = next(c for c in report.checks if c.id == "google-tpu-v5e8-llama-2-7b-int8-b96")
    assert c.limiter == "memory"
    assert c.bound == pytest.approx(94_830, rel=0.01)
    assert c.efficiency == pytest.approx(4783 / 94_830, rel=0.01)


def test_assumed_activations_set_the_matmul_format(tmp_path, measurement_file):
    # fp4 weights alone run bf16 matmuls (w4a16: 2,250 TFLOPS on B200, HGX table, issue 25); with "activations: fp4"
    # assumed they run fp4 matmuls (9,000 TFLOPS): the compute-bound per-chip bound grows by 9000 / 2250 = 4.0.
    row = """\
        - {{id: {id}, source: S1, quote: "1000 tokens/s per chip", chip: b200, n_chips: 1, model: llama-2-70b,
           model_as_published: L, formats: {{weights: fp4, kv_cache: fp8}}, assumed: {assumed},
           metric: {{kind: output_tokens_per_s_per_chip, value: 1000, unit: token/s}}}}
        """
    plain = validate(measurement_file(row.format(id="w4a16", assumed="[]"))).checks[0]
    fp4 = validate(measurement_file(row.format(id="w4a4", assumed='["activations: fp4 (looser)"]'))).checks[0]
    assert fp4.bound / plain.bound == pytest.approx(9000 / 2250, rel=0.01)


def test_no_row_beats_its_bound(report):
    bad = [f"{c.id}: efficiency {c.efficiency:.3f} ({c.likely_cause})" for c in report.violations]
    assert not bad, "\n".join(bad)
    # exclusions need a stated technique the bound does not cover, and the report shows them
    for c in report.excluded:
        assert "speculative" in c.excluded
        assert c.id in report.summary()


def test_worked_row_gaudi2_llama2_7b():
    # 1 Gaudi 2, fp8 weights and KV, batch 81, 2048 in / 2048 out: mean context 2048 + 1024 = 3072.
    # Memory per step: 6.74e9 B weights + 81 * 3072 * 262144 B KV (fp8, 32 layers * 4096 * 2) = 72.0 GB
    # at 2.46 TB/s -> 29.3 ms; 81 tokens / 29.3 ms = 2767 token/s; measured 1953 -> 0.706.
    c = next(c for c in validate().checks if c.id == "gaudi2-llama-2-7b-1x-in2048-out2048")
    assert c.limiter == "memory"
    assert c.bound == pytest.approx(2767, rel=0.02)
    assert c.efficiency == pytest.approx(1953 / 2767, rel=0.02)


def test_bad_file_names_file_row_and_field(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(textwrap.dedent("""\
        schema: 1
        publisher: X
        sources: {S1: {title: t, url: "https://x", date: "2024", publisher: X}}
        measurements:
          - id: r1
            source: S1
            quote: "some figure 12 tokens/s"
            chip: h100-sxm
            n_chips: 1
            model: llama-3.1-8b
            model_as_published: Llama
            formats: {weights: bf16}
            metric: {kind: tpot, value: 10, unit: token/s}
        """))
    with pytest.raises(a.SpecFileError) as e:
        load_measurements(f)
    msg = str(e.value)
    assert "bad.yaml" in msg and "'r1'" in msg and "metric" in msg


def test_unknown_chip_is_named(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(textwrap.dedent("""\
        schema: 1
        publisher: X
        sources: {S1: {title: t, url: "https://x", date: "2024", publisher: X}}
        measurements:
          - {id: r1, source: S1, quote: "some figure 12 ms", chip: h900, n_chips: 1, model: llama-3.1-8b,
             model_as_published: L, formats: {weights: bf16}, metric: {kind: tpot, value: 10, unit: ms}}
        """))
    with pytest.raises(a.SpecFileError, match=r"'r1': field chip"):
        load_measurements(f)


def test_accepted_tokens_validation():
    with pytest.raises(ValueError, match="accepted_tokens_per_step"):
        a.decode_bound("llama-3.1-8b", "h200-sxm", 1024, accepted_tokens_per_step=0.5)
    b = a.decode_bound("llama-3.1-8b", "h200-sxm", 1024)
    assert "no speculative decoding" in b.explain()
    b2 = a.decode_bound("llama-3.1-8b", "h200-sxm", 1024, accepted_tokens_per_step=3)
    assert b2.time == b.time
    assert b2.tokens_per_s_per_user.m == pytest.approx(3 * b.tokens_per_s_per_user.m)
    assert "3 accepted tokens per step" in b2.explain()


@settings(max_examples=40, deadline=None)
@given(a1=st.floats(1.0, 8.0), extra=st.floats(0.0, 4.0), ctx=st.integers(1, 200_000), batch=st.integers(1, 256))
def test_more_accepted_tokens_never_lower_the_per_user_bound(a1, extra, ctx, batch):
    lo = a.decode_bound("llama-3.1-70b", "h100-sxm", ctx, batch, 4, accepted_tokens_per_step=a1)
    hi = a.decode_bound("llama-3.1-70b", "h100-sxm", ctx, batch, 4, accepted_tokens_per_step=a1 + extra)
    assert hi.tokens_per_s_per_user.m >= lo.tokens_per_s_per_user.m
    assert hi.tokens_per_s_per_chip.m >= lo.tokens_per_s_per_chip.m


def test_cli_validate(capsys):
    import json

    from accelspec.cli import main

    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "violations: 0" in out and "nvidia-h200x8-405b-medusa" in out
    assert main(["validate", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"] >= 143 and data["violations"] == []
    assert main(["validate", "/nonexistent/file.yaml"]) == 2


def test_405b_speculative_row_needs_accepted_tokens(report):
    c = next(c for c in report.checks if c.id == "nvidia-h200x8-405b-medusa")
    # 405.9e9 params * 1 B (fp8) / (8 * 4.8e12 B/s) = 10.5 ms -> 95 token/s per user without speculation
    assert c.bound_plain == pytest.approx(95, rel=0.01)
    assert c.measured / c.bound_plain > 1  # the plain bound is beaten ...
    assert c.bound == pytest.approx(1.9 * c.bound_plain)  # ... the accepted-tokens bound is not
    assert not c.violation


def test_tpot_row_worked(tmp_path, measurement_file):
    # mean decode context 4095 + (2 + 1) // 2 = 4096; llama-3.1-8b bf16 on one H200: 3.239 ms per step
    # (the decode_bound doctest); a published TPOT of 5 ms -> efficiency 3.239 / 5 = 0.648
    f = measurement_file("""\
        - {id: t1, source: S1, quote: "TPOT of 5 ms", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16, kv_cache: bf16}, batch: 1, input_tokens: 4095,
           output_tokens: 2, metric: {kind: tpot, value: 5, unit: ms}}
        """)
    (c,) = validate(f).checks
    assert c.bound == pytest.approx(3.239, abs=1e-3)
    assert c.efficiency == pytest.approx(3.239 / 5, abs=1e-3)


def test_violation_is_flagged_with_cause(tmp_path, measurement_file):
    f = measurement_file("""\
        - {id: fast, source: S1, quote: "TPOT of 1 ms", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16, kv_cache: bf16}, batch: 1, input_tokens: 4095,
           output_tokens: 2, metric: {kind: tpot, value: 1, unit: ms}}
        """)
    r = validate(f)
    assert [c.id for c in r.violations] == ["fast"]
    assert "VIOLATION fast" in r.summary() and "likely" in r.summary()
    from accelspec.cli import main

    with pytest.raises(SystemExit) as e:
        main(["validate", str(f)])
    assert e.value.code == 1


def test_accepted_tokens_above_draft_plus_one_rejected(tmp_path, measurement_file):
    f = measurement_file("""\
        - {id: s, source: S1, quote: "100 tokens/s per user", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16}, metric: {kind: output_tokens_per_s_per_user,
           value: 100, unit: token/s}, techniques: {speculative: {method: EAGLE, draft_length: 2,
           accepted_tokens_per_step: 3.5, basis: x}}}
        """)
    with pytest.raises(a.SpecFileError, match="draft_length"):
        load_measurements(f)


def test_plot(report):
    import matplotlib

    matplotlib.use("Agg")
    from accelspec.measurements.validation import plot_efficiency

    ax = plot_efficiency(report)
    assert ax.get_yscale() == "log" and len(ax.get_xticklabels()) == len(report.chips)


def test_tpu_v5e_llama_70b_row_is_close_to_its_bound(report):
    # jax-llm-examples, Llama 3.1 70B int8 on 16 TPU v5e (TP16), batch 8: bytes per step = 69.5e9 int8 weights
    # (70.55e9 params less the 1.05e9 input-embedding table) at 16 x 819 GB/s = 5.30 ms -> 188.5 token/s per
    # sequence; the README's 159 token/s -> efficiency 0.843, the tightest row shipped.
    c = next(c for c in report.checks if c.id == "google-jax-tpu-v5e16-llama-3.1-70b-tp16-b8")
    assert c.limiter == "memory"
    assert c.bound == pytest.approx(188.5, rel=0.01)
    assert c.efficiency == pytest.approx(159 / 188.5, rel=0.01)


def test_every_quote_contains_its_figure():
    # the metric value must be readable in the verbatim quote: as printed (thousands separators dropped),
    # in "k" / "million" form, or, for MLPerf's TPOT, in the log's nanoseconds (123.320085 ms = 123320085 ns)
    missing = []
    for r in load_measurements():
        m = r.row
        q, v = m.quote.replace(",", ""), m.metric.value
        forms = {f"{v:g}", f"{v:.2f}".rstrip("0").rstrip("."), f"{v / 1e3:g}k", f"{v / 1e6:g} million"}
        if m.metric.kind == "tpot":
            forms.add(str(round(v * 1e6)))
        if not any(f in q for f in forms):
            missing.append(f"{m.id}: {v:g} not in {m.quote[:60]!r}")
    assert not missing, "\n".join(missing)


def _row_file(tmp_path, **extra):
    import yaml

    row = {"id": "x", "source": "S", "quote": "decode at 1000 token/s per GPU", "chip": "h200-sxm", "n_chips": 8,
           "layout": {"ep": 8, "dp": 8}, "model": "deepseek-v3", "model_as_published": "DeepSeek-V3",
           "formats": {"weights": "fp8"}, "batch": 16, "input_tokens": 2000, "output_tokens": 100,
           "metric": {"kind": "output_tokens_per_s_per_chip", "value": 1000, "unit": "token/s"}, **extra}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump({"schema": 1, "publisher": "Test", "sources": {
        "S": {"title": "t", "url": "https://example.org", "date": "2025", "publisher": "Test"}},
        "measurements": [row]}))
    return path


def test_batch_per_rank_multiplies_by_the_data_parallel_ranks(tmp_path):
    """16 sequences per rank on dp=8 is a batch of 128 for the instance: a looser per-chip bound."""
    import accelspec as a

    total = a.validate(_row_file(tmp_path)).checks[0]
    per_rank = a.validate(_row_file(tmp_path, batch_scope="per_rank")).checks[0]
    assert per_rank.bound > total.bound


def test_expert_format_is_used_by_the_bound(tmp_path):
    """bf16 attention with fp4 experts reads fewer expert bytes than all-bf16: a looser bound."""
    import accelspec as a

    plain = a.validate(_row_file(tmp_path, formats={"weights": "bf16"})).checks[0]
    mixed = a.validate(_row_file(tmp_path, formats={"weights": "bf16", "experts": "fp4"})).checks[0]
    assert mixed.bound > plain.bound


def test_pool_sizes_need_a_disaggregated_run(tmp_path):
    import pytest

    import accelspec as a

    with pytest.raises(a.SpecFileError, match="disaggregated"):
        a.validate(_row_file(tmp_path, techniques={"prefill_chips": 4, "decode_chips": 8}))
    ok = a.validate(_row_file(tmp_path, techniques={"disaggregated": True, "prefill_chips": 4, "decode_chips": 8,
                                                    "pool_link": "RDMA"}, lengths="dataset_mean"))
    assert len(ok.checks) == 1
