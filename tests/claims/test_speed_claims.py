"""Speed claims (kinds throughput and speedup): worked bounds, verdicts, errors."""

from __future__ import annotations

import pytest
import yaml

from accelspec.claims import ClaimFileError, Verdict, check_claims, load_claims
from accelspec.claims.speed import speed_bound
from accelspec.hardware.chip import Chip
from accelspec.model.architecture import Model
from accelspec.testing import SOURCE


def _spec(value):
    return {"value": value, "source": SOURCE, "status": "official"}


def make_chip(peak: float, bw: float) -> Chip:
    return Chip.model_validate({"id": "speed-chip", "name": "SPEED-CHIP", "vendor": "Test",
                                "compute": {"dense": {"bf16": _spec(f"{peak!r} FLOP/s")}},
                                "memory": {"bandwidth": _spec(f"{bw!r} B/s")}})


# the tiny tied model of tests/test_request.py (hand counts there)
TINY = Model(id="tiny-tied", name="Tiny tied", family="llama", n_layers=4, hidden_size=512, n_heads=8,
             n_kv_heads=2, head_dim=64, vocab_size=32000, ffn_size=1536, tied_embeddings=True,
             layer_types=("full",) * 4)

# TINY on a 100 TFLOP/s, 1 TB/s chip (hand counts in tests/test_request.py): one decode step at
# context 1000 and batch B reads 56,894,464 B of weights + 2,048 B x 1000 x B of KV; its FLOPs
# (65,077,248 B) stay below the memory time at every batch, so t(B) = (56,894,464 + 2,048,000 B) / 1e12.


def test_worked_per_user_bound():
    v, how = speed_bound(TINY, make_chip(1e14, 1e12), 1, 1000, "user", "bf16", "bf16")
    assert v == pytest.approx(1e12 / (56_894_464 + 2_048_000), rel=1e-12)  # 16,965.7 token/s
    assert "no speculative decoding / MTP assumed" in how
    v2, how2 = speed_bound(TINY, make_chip(1e14, 1e12), 1, 1000, "user", "bf16", "bf16", accepted=2.5)
    assert v2 == pytest.approx(2.5 * v, rel=1e-12) and "2.5 accepted tokens per step" in how2


def test_worked_per_chip_bound_at_a_user_speed():
    """At >= 1000 token/s per user (1 ms per token): 56,894,464 + 2,048,000 B <= 1e9 -> B <= 460,
    t(460) = 0.998974464 ms, so <= 460 / 0.998974464e-3 = 460,472 token/s; on 4 chips (work
    spread evenly: t / 4, and the per-user limit then allows B = 1925) per chip B / (4 t)."""
    chip = make_chip(1e14, 1e12)
    v, how = speed_bound(TINY, chip, 1, 1000, "chip", "bf16", "bf16", max_tpot_s=1e-3)
    assert v == pytest.approx(460 / ((56_894_464 + 2_048_000 * 460) / 1e12), rel=1e-12)
    assert "best batch 460" in how
    # 4 chips: (56,894,464 + 2,048,000 B) / 4e12 <= 1e-3 -> B <= 1925.3
    v4, _ = speed_bound(TINY, chip, 4, 1000, "chip", "bf16", "bf16", max_tpot_s=1e-3)
    t = (56_894_464 + 2_048_000 * 1925) / 4e12
    assert v4 == pytest.approx(1925 / (4 * t), rel=1e-12)
    # the whole system is 4x the per-chip figure
    vs, _ = speed_bound(TINY, chip, 4, 1000, "system", "bf16", "bf16", max_tpot_s=1e-3)
    assert vs == pytest.approx(4 * v4, rel=1e-12)
    # no batch meets 10 us per token: bound 0
    v0, how0 = speed_bound(TINY, chip, 1, 1000, "chip", "bf16", "bf16", max_tpot_s=1e-5)
    assert v0 == 0 and "slower" in how0


def _claims(tmp_path, *statements):
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump({"schema": 1, "sources": {"X": {"title": "t", "url": "https://example.org"}},
                                 "claims": [{"id": f"c{i}", "source": "X", "date": "2025", "quote": "q",
                                             "statement": st} for i, st in enumerate(statements)]}))
    return f


def test_throughput_above_the_bound_is_impossible_as_stated(tmp_path):
    # Llama 3.1 70B on one H100 at batch 1, FP8: (70.6e9 params - 1.05e9 embedding rows not read) x 1 B
    # + 1024 tokens of FP8 KV (0.17 GB) = ~69.7 GB per token / 3.35 TB/s -> <= ~48 token/s
    f = _claims(tmp_path, {"kind": "throughput", "chip": "h100-sxm", "model": "llama-3.1-70b",
                           "throughput": "500 token/s", "per": "user", "context": 1024},
                {"kind": "throughput", "chip": "h100-sxm", "model": "llama-3.1-70b",
                 "throughput": "30 token/s", "per": "user", "context": 1024})
    r = check_claims(f)
    assert r["c0"].verdict is Verdict.inconsistent and "impossible as stated" in r["c0"].primary.note
    assert r["c1"].verdict is Verdict.consistent
    bound = r["c0"].primary.values["bound_token_per_s"]
    assert 47 < bound < 49


def test_speedup_rule(tmp_path):
    # same chip and count on both sides: the bound ratio is 1, so 1x is allowed and 2x exceeds the specs
    base = {"kind": "speedup", "a": "h200-sxm", "b": "h200-sxm", "model": "llama-3.1-8b", "per": "chip",
            "input_tokens": 1024, "output_tokens": 128}
    f = _claims(tmp_path, {**base, "factor": 1}, {**base, "factor": 2}, {**base, "factor": 2, "tolerance": "50%"})
    r = check_claims(f)
    assert r["c0"].verdict is Verdict.consistent
    assert r["c0"].primary.values["bound_ratio"] == pytest.approx(1.0)
    assert r["c1"].verdict is Verdict.inconsistent
    assert "exceeds what the specs allow" in r["c1"].primary.note and "0.5" in r["c1"].primary.note
    assert r["c2"].verdict is Verdict.consistent  # 2x (1 - 0.5) = 1 <= 1


def test_speed_fields_are_checked(tmp_path):
    bad = {"kind": "throughput", "chip": "h100-sxm", "model": "llama-3.1-70b", "throughput": "5 token/s",
           "per": "rack", "context": 10}
    with pytest.raises(ClaimFileError, match=r"statement\.per"):
        load_claims(_claims(tmp_path, bad))
    with pytest.raises(ClaimFileError, match=r"statement\.model"):
        load_claims(_claims(tmp_path, {**bad, "per": "user", "model": "gpt-9"}))
    with pytest.raises(ClaimFileError, match=r"statement\.throughput"):
        load_claims(_claims(tmp_path, {**bad, "per": "user", "throughput": "5 GB/s"}))
    with pytest.raises(ClaimFileError, match=r"statement\.context"):
        load_claims(_claims(tmp_path, {k: v for k, v in {**bad, "per": "user"}.items() if k != "context"}))
    with pytest.raises(ClaimFileError, match="at_user_speed"):
        load_claims(_claims(tmp_path, {**bad, "per": "chip", "at_user_speed": "5 GB"}))


def test_shipped_speed_claims():
    r = check_claims()
    assert r["b200x8-maverick-1000-tps-per-user"].verdict is Verdict.consistent
    assert r["b200x8-maverick-72000-tps-per-server"].verdict is Verdict.consistent
    assert r["gb200-nvl72-dsr1-10000-tps-per-gpu"].verdict is Verdict.consistent
    # 15x per GPU against a bound ratio of ~12.7x (hand estimate: GB200 rack (335.5 GB FP4 weights +
    # 35,000 x 8,704 x 35 KB KV) / (72 x 8 TB/s) vs H200 (671 GB FP8 + ~300 sequences of KV) / (8 x 4.8 TB/s),
    # both at 20 ms per token: ~25,000 vs ~2,000 token/s per GPU)
    s = r["gb200-vs-h200-dsr1-15x"]
    assert s.verdict is Verdict.inconsistent
    assert 11 < s.primary.values["bound_ratio"] < 14
