"""Published measurements: they load, and none beats accelspec's bound."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accelspec as a
from accelspec.measurements import load_measurements, validate


@pytest.fixture(scope="module")
def report():
    return validate()


def test_all_rows_load():
    rows = load_measurements()
    assert len(rows) >= 40
    assert len({r.row.id for r in rows}) == len(rows)
    assert all(r.row.quote and r.source.url.startswith("http") for r in rows)


def test_coverage(report):
    assert len(report.publishers) >= 6
    families = {c.chip.split("-")[0].rstrip("0123456789") for c in report.checks}
    assert len(report.chips) >= 4 and len(families) >= 4


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
    assert data["rows"] >= 40 and data["violations"] == []
    assert main(["validate", "/nonexistent/file.yaml"]) == 2


def test_405b_speculative_row_needs_accepted_tokens(report):
    c = next(c for c in report.checks if c.id == "nvidia-h200x8-405b-medusa")
    # 405.9e9 params * 1 B (fp8) / (8 * 4.8e12 B/s) = 10.5 ms -> 95 token/s per user without speculation
    assert c.bound_plain == pytest.approx(95, rel=0.01)
    assert c.measured / c.bound_plain > 1  # the plain bound is beaten ...
    assert c.bound == pytest.approx(1.9 * c.bound_plain)  # ... the accepted-tokens bound is not
    assert not c.violation


def _one_row_file(tmp_path, row: str):
    f = tmp_path / "one.yaml"
    f.write_text(textwrap.dedent("""\
        schema: 1
        publisher: Test
        sources: {S1: {title: t, url: "https://example.org", date: "2025", publisher: Test}}
        measurements:
        """) + textwrap.indent(textwrap.dedent(row), "  "))
    return f


def test_tpot_row_worked(tmp_path):
    # mean decode context 4095 + (2 + 1) // 2 = 4096; llama-3.1-8b bf16 on one H200: 3.239 ms per step
    # (the decode_bound doctest); a published TPOT of 5 ms -> efficiency 3.239 / 5 = 0.648
    f = _one_row_file(tmp_path, """\
        - {id: t1, source: S1, quote: "TPOT of 5 ms", chip: h200-sxm, n_chips: 1, model: llama-3.1-8b,
           model_as_published: L, formats: {weights: bf16, kv_cache: bf16}, batch: 1, input_tokens: 4095,
           output_tokens: 2, metric: {kind: tpot, value: 5, unit: ms}}
        """)
    (c,) = validate(f).checks
    assert c.bound == pytest.approx(3.239, abs=1e-3)
    assert c.efficiency == pytest.approx(3.239 / 5, abs=1e-3)


def test_violation_is_flagged_with_cause(tmp_path):
    f = _one_row_file(tmp_path, """\
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


def test_accepted_tokens_above_draft_plus_one_rejected(tmp_path):
    f = _one_row_file(tmp_path, """\
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
    from accelspec.measurements import plot_efficiency

    ax = plot_efficiency(report)
    assert ax.get_yscale() == "log" and len(ax.get_xticklabels()) == len(report.chips)
