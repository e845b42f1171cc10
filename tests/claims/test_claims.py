"""Claims as data: loading, verdicts, implied values, unit invariance, bad input, shipped claims."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accelspec
from accelspec.claims import ClaimFileError, Interval, Verdict, check_claims, load_claims
from accelspec.errors import SpecFileError
from accelspec.hardware.catalog import Catalog, specs_dir

GIB = 1.073741824  # GB per GiB
SOURCE = {"T": {"title": "test source", "date": "2026"}, "C": {"title": "test claim source", "date": "2026"}}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- helpers ------------------------------------------------------------------------------
def _spec(value: str) -> dict:
    return {"value": value, "source": "T", "status": "official"}


def _chip(cid: str, capacity: str | None = None, bf16: str | None = None, bandwidth: str | None = None,
          tdp: str | None = None) -> dict:
    rec: dict = {"id": cid, "name": cid.upper()}
    if capacity or bandwidth:
        rec["memory"] = {}
        if capacity:
            rec["memory"]["capacity"] = _spec(capacity)
        if bandwidth:
            rec["memory"]["bandwidth"] = _spec(bandwidth)
    if bf16:
        rec["compute"] = {"dense": {"bf16": _spec(bf16)}}
    if tdp:
        rec["power"] = {"tdp": _spec(tdp)}
    return rec


def _claim(cid: str, statement: dict, **extra) -> dict:
    return {"id": cid, "source": "C", "date": "2026", "quote": "a test sentence", "statement": statement, **extra}


def _check(chips: list[dict], claims: list[dict], folder: Path):
    """Write a spec file and a claim file under ``folder``, load both, check."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chips.yaml").write_text(yaml.safe_dump({"vendor": "Test", "sources": SOURCE, "chips": chips},
                                                      allow_unicode=True), encoding="utf-8")
    claim_file = folder / "claims.yaml"
    claim_file.write_text(yaml.safe_dump({"sources": SOURCE, "claims": claims}, allow_unicode=True),
                          encoding="utf-8")
    cat = Catalog.load(folder / "chips.yaml", shipped=False, env=False)
    return check_claims(load_claims(claim_file, catalog=cat), catalog=cat)


def _g(x: float) -> str:
    return repr(float(x))


mags = st.floats(min_value=1e-2, max_value=1e5, allow_nan=False, allow_infinity=False)
tols = st.floats(min_value=0.01, max_value=0.5)


# --- intervals ----------------------------------------------------------------------------
def test_interval_rules():
    c = Interval(1.0, math.inf, lo_open=True)  # a > b
    assert Interval.point(1.0).disjoint(c)  # equal values do not satisfy ">"
    assert Interval.point(1.2).within(c)
    r = Interval(0.9, 1.1)
    assert not r.disjoint(c) and not r.within(c)  # partly
    prod = Interval(2, 3) * Interval(10, 20)
    assert (prod.lo, prod.hi) == (20, 60)
    q = Interval(20, 60) / Interval(2, 3)
    assert math.isclose(q.lo, 20 / 3) and math.isclose(q.hi, 30)
    assert Interval(1, 2).intersect(Interval(3, 4)) is None
    assert Interval(1, 3).intersect(Interval(2, 4)) == Interval(2, 3)


# --- ratio claims generated from two specs --------------------------------------------------
@FAST
@given(a=mags, b=mags, t=tols, margin=st.floats(min_value=0.01, max_value=2.0), above=st.booleans())
def test_ratio_claim_from_specs_is_consistent_and_breaks_outside_tolerance(a, b, t, margin, above):
    statement = {"kind": "ratio", "a": "chip-a", "b": "chip-b", "factor": a / b, "tolerance": t,
                 "metric": "memory.capacity"}
    with tempfile.TemporaryDirectory() as tmp:
        ok = _check([_chip("chip-a", f"{_g(a)} GB"), _chip("chip-b", f"{_g(b)} GB")],
                    [_claim("r", statement)], Path(tmp) / "ok")
        assert ok["r"].verdict is Verdict.consistent
        assert not ok["r"].primary.partial
        moved = a * (1 + t) * (1 + margin) if above else a * (1 - t) * (1 - margin / 3)
        bad = _check([_chip("chip-a", f"{_g(moved)} GB"), _chip("chip-b", f"{_g(b)} GB")],
                     [_claim("r", statement)], Path(tmp) / "bad")
        assert bad["r"].verdict is Verdict.inconsistent


# --- implied ranges contain the values that produced them ------------------------------------
@FAST
@given(b=mags, f=st.floats(min_value=0.05, max_value=20), t=tols, s=st.floats(min_value=-1, max_value=1))
def test_implied_ranges_contain_the_values_that_produced_them(b, f, t, s):
    a = f * b * (1 + s * t)  # any a the claim allows
    statement = {"kind": "ratio", "a": "chip-a", "b": "chip-b", "factor": f, "tolerance": t,
                 "metric": "compute.dense.bf16"}
    with tempfile.TemporaryDirectory() as tmp:
        rep = _check([_chip("chip-a", "1 GB"), _chip("chip-b", "1 GB", bf16=f"{_g(b)} TFLOPS")],
                     [_claim("r", statement)], Path(tmp) / "a")
        (imp,) = rep["r"].primary.implied
        assert imp.subject == "chip-a" and imp.metric == "compute.dense.bf16" and imp.chain == ("r",)
        assert imp.interval.contains(a)
        assert imp.low.to("TFLOPS").magnitude <= a * (1 + 1e-9)
        spec = imp.to_spec(rep["r"].claim.source)
        assert spec.status is accelspec.Status.derived and spec.range is not None
        # the other way round: b unpublished, a published
        rep = _check([_chip("chip-a", "1 GB", bf16=f"{_g(a)} TFLOPS"), _chip("chip-b", "1 GB")],
                     [_claim("r", statement)], Path(tmp) / "b")
        (imp,) = rep["r"].primary.implied
        assert imp.subject == "chip-b" and imp.interval.contains(b)


@FAST
@given(c=mags, f1=st.floats(min_value=0.2, max_value=5), f2=st.floats(min_value=0.2, max_value=5), t=tols)
def test_chained_implied_range_contains_the_product(c, f1, f2, t):
    claims = [
        _claim("ab", {"kind": "ratio", "a": "chip-a", "b": "chip-b", "factor": f1, "tolerance": t,
                      "metric": "compute.dense.bf16"}),
        _claim("bc", {"kind": "ratio", "a": "chip-b", "b": "chip-c", "factor": f2, "tolerance": t,
                      "metric": "compute.dense.bf16"}),
    ]
    chips = [_chip("chip-a", "1 GB"), _chip("chip-b", "1 GB"), _chip("chip-c", "1 GB", bf16=f"{_g(c)} TFLOPS")]
    with tempfile.TemporaryDirectory() as tmp:
        rep = _check(chips, claims, Path(tmp))
    node = rep.implied_for("chip-a", "compute.dense.bf16")
    (imp,) = node.chains
    assert imp.chain == ("ab", "bc")
    assert imp.interval.contains(f1 * f2 * c)
    assert math.isclose(imp.nominal.to("TFLOPS").magnitude, f1 * f2 * c, rel_tol=1e-9)


def test_conflicting_chains_are_reported(tmp_path):
    claims = [
        _claim("above", {"kind": "order", "a": "chip-a", "b": "chip-b", "relation": ">",
                         "metric": "compute.dense.bf16"}),
        _claim("like-c", {"kind": "approx", "a": "chip-a", "b": "chip-c", "tolerance": 0.25,
                          "metric": "compute.dense.bf16"}),
    ]
    chips = [_chip("chip-a", "1 GB"), _chip("chip-b", "1 GB", bf16="312 TFLOPS"),
             _chip("chip-c", "1 GB", bf16="148 TFLOPS")]
    rep = _check(chips, claims, tmp_path)
    node = rep.implied_for("chip-a", "compute.dense.bf16")
    assert node.combined is None and len(node.conflicts) == 1
    cross = rep["above"].primary.cross
    assert [c.verdict for c in cross] == [Verdict.inconsistent]
    assert "CONFLICT" in str(rep)


# --- verdicts do not depend on units ---------------------------------------------------------
@FAST
@given(a=mags, b=mags, f=st.floats(min_value=0.1, max_value=10), t=st.floats(min_value=0, max_value=0.5),
       v=mags, n=st.integers(min_value=1, max_value=100_000), p=mags)
def test_verdicts_do_not_change_when_units_are_rescaled(a, b, f, t, v, n, p):
    def claims(cap_unit: str, scale_cap: float, flops_unit: str, scale_flops: float) -> list[dict]:
        return [
            _claim("ratio", {"kind": "ratio", "a": "chip-a", "b": "chip-b", "factor": f, "tolerance": t,
                             "metric": "memory.capacity"}),
            _claim("order", {"kind": "order", "a": "chip-a", "b": "chip-b", "relation": ">=",
                             "metric": "compute.dense.bf16"}),
            _claim("value", {"kind": "value", "chip": "chip-a", "metric": "memory.capacity",
                             "value": f"{_g(v * scale_cap)} {cap_unit}", "tolerance": t}),
            _claim("total", {"kind": "total", "chip": "chip-a", "count": n, "tolerance": t,
                             "total": f"{_g(n * p * scale_flops)} {flops_unit}", "metric": "compute.dense.bf16"}),
        ]

    def chips(cap_unit: str, scale_cap: float, flops_unit: str, scale_flops: float) -> list[dict]:
        return [_chip("chip-a", f"{_g(a * scale_cap)} {cap_unit}", bf16=f"{_g(a * scale_flops)} {flops_unit}"),
                _chip("chip-b", f"{_g(b * scale_cap)} {cap_unit}", bf16=f"{_g(b * scale_flops)} {flops_unit}")]

    with tempfile.TemporaryDirectory() as tmp:
        base = _check(chips("GB", 1, "TFLOPS", 1), claims("GB", 1, "TFLOPS", 1), Path(tmp) / "1")
        other = _check(chips("GiB", 1 / GIB, "PFLOPS", 1e-3), claims("TB", 1e-3, "EFLOPS", 1e-6), Path(tmp) / "2")
    for x, y in zip(base, other, strict=True):
        assert (x.id, x.verdict, x.primary.partial) == (y.id, y.verdict, y.primary.partial)


# --- bad input ---------------------------------------------------------------------------------
BAD = [
    ("unknown-chip", {"kind": "ratio", "a": "chip-a", "b": "no-such-chip", "factor": 2, "metric": "memory.capacity"},
     "statement.b", "unknown chip 'no-such-chip'"),
    ("unknown-metric", {"kind": "ratio", "a": "chip-a", "b": "chip-b", "factor": 2, "metric": "memory.speed"},
     "statement.metric", "unknown metric 'memory.speed'"),
    ("bad-precision", {"kind": "order", "a": "chip-a", "b": "chip-b", "relation": ">", "metric": "compute.dense.bf17"},
     "statement.metric", "unknown metric"),
    ("negative-tolerance", {"kind": "approx", "a": "chip-a", "b": "chip-b", "tolerance": -0.1,
                            "metric": "memory.capacity"}, "statement.tolerance", "tolerance must be >= 0"),
    ("negative-within", {"kind": "order", "a": "chip-a", "b": "chip-b", "relation": "<", "within": -1,
                         "metric": "memory.capacity"}, "statement.within", "tolerance must be >= 0"),
    ("unit-mismatch", {"kind": "value", "chip": "chip-a", "metric": "memory.capacity", "value": "800 GB/s"},
     "statement.value", "does not match metric memory.capacity"),
    ("total-unit-mismatch", {"kind": "total", "chip": "chip-a", "count": 16, "total": "1945 PB",
                             "metric": "compute.dense.bf16"}, "statement.total", "does not match metric"),
    ("bare-number", {"kind": "value", "chip": "chip-a", "metric": "memory.bandwidth", "value": 800},
     "statement.value", "does not match metric memory.bandwidth"),
    ("bad-efficiency", {"kind": "efficiency", "chip": "chip-a", "throughput": "100 image/s",
                        "efficiency": "5 image/s"}, "statement.efficiency", "not a power"),
    ("no-kind", {"a": "chip-a"}, "statement.kind", "unknown kind"),
    # a unit alone (an unknown quantity) where a number must be checked: a clean error, not a crash
    ("value-unit-only", {"kind": "value", "chip": "chip-a", "metric": "memory.capacity", "value": {"unit": "GB"}},
     "statement.value", "needs a value"),
    ("total-unit-only", {"kind": "total", "chip": "chip-a", "count": 16, "total": {"unit": "PFLOPS"},
                         "metric": "compute.dense.bf16"}, "statement.total", "needs a value"),
    ("per-unit-unit-only", {"kind": "total", "chip": "chip-a", "count": 16, "total": "1945 PFLOPS",
                            "per_unit": {"unit": "TFLOPS"}, "metric": "compute.dense.bf16"},
     "statement.per_unit", "needs a value"),
    ("efficiency-unit-only", {"kind": "efficiency", "chip": "chip-a", "throughput": {"unit": "image/s"},
                              "efficiency": "5 image/s/W"}, "statement.throughput", "needs a value"),
]


@pytest.mark.parametrize("cid,statement,field,message", BAD, ids=[b[0] for b in BAD])
def test_bad_claims_name_file_claim_and_field(tmp_path, cid, statement, field, message):
    cat_file = tmp_path / "chips.yaml"
    cat_file.write_text(yaml.safe_dump({"vendor": "T", "sources": SOURCE,
                                        "chips": [_chip("chip-a", "1 GB"), _chip("chip-b", "1 GB")]}))
    cat = Catalog.load(cat_file, shipped=False, env=False)
    f = tmp_path / "my_claims.yaml"
    f.write_text(yaml.safe_dump({"sources": SOURCE, "claims": [_claim(cid, statement)]}))
    with pytest.raises(ClaimFileError) as err:
        load_claims(f, catalog=cat)
    e = err.value
    assert isinstance(e, SpecFileError)
    assert e.record == cid and e.field == field
    text = str(e)
    assert "my_claims.yaml" in text and repr(cid) in text and message in text


def test_bad_claim_files(tmp_path):
    cat = Catalog.load(shipped=False, env=False)
    f = tmp_path / "c.yaml"
    f.write_text(yaml.safe_dump({"claims": [{"id": "x", "source": "NOPE", "date": "2026", "quote": "q",
                                             "statement": {"kind": "sum", "parts": [1], "whole": 2}}]}))
    with pytest.raises(ClaimFileError, match=r"c\.yaml: 'x': field source: unknown source id 'NOPE'"):
        load_claims(f, catalog=cat)
    f.write_text(yaml.safe_dump({"claims": [{"id": "x", "source": "S000", "date": "2026", "statement": {}}]}))
    with pytest.raises(ClaimFileError, match="field quote: required"):
        load_claims(f, catalog=cat)
    good = {"id": "x", "source": "S000", "date": "2026", "quote": "q",
            "statement": {"kind": "sum", "parts": [1], "whole": 2}}
    f.write_text(yaml.safe_dump({"claims": [good, good]}))
    with pytest.raises(ClaimFileError, match="duplicate claim id"):
        load_claims(f, catalog=cat)
    with pytest.raises(ClaimFileError, match="no such file"):
        load_claims(tmp_path / "missing.yaml", catalog=cat)


# --- the shipped claims --------------------------------------------------------------------------
SEED_IDS = {"S000", "S001", "S002", "S003", "S004"}


@pytest.fixture(scope="module")
def shipped():
    return load_claims()


@pytest.fixture(scope="module")
def report():
    return check_claims()


def test_every_shipped_claim_loads_and_cites_a_seed(shipped):
    assert len(shipped) >= 20
    assert len({c.id for c in shipped}) == len(shipped)
    for c in shipped:
        assert c.quote and c.date and c.lang
        cited = {c.source.id, *(x.source.id for x in c.also)}
        # a seed, or (speed claims) a primary document with its URL; never the fact sheet
        assert cited & SEED_IDS or (c.source.url or "").startswith("https://"), c.id
        assert "REF" not in cited, c.id  # the fact sheet is a finding aid, never a claim's source


def _shared() -> Path | None:
    for base in (specs_dir().parent.parent / "shared", specs_dir().parent / "shared"):
        if (base / "seeds").is_dir():
            return base
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.skipif(_shared() is None, reason="shared/seeds not available")
def test_quotes_are_verbatim_in_their_sources(shipped):
    base = _shared()
    assert base is not None
    for c in shipped:
        for source, quote in [(c.source, c.quote), *((x.source, x.quote) for x in c.also)]:
            if source.seed is None:  # not stored here: a speed claim's web document, or one we could not read
                if c.statement.kind not in ("throughput", "speedup"):  # then the quote must say it is not verbatim
                    assert any("not a verbatim" in n for n in c.notes), (c.id, source.id)
                continue
            path = base / "seeds" / source.seed if (base / "seeds" / source.seed).is_file() else base / source.seed
            assert _norm(quote) in _norm(path.read_text(encoding="utf-8")), (c.id, source.id)


def test_every_numeric_seed_claim_is_encoded(shipped):
    ids = {c.id for c in shipped}
    for want in ["m890-3x-810e", "m890-memory-144gb", "m890-interchip-800", "810e-memory-96gb", "810e-icn-700",
                 "810e-above-a800", "810e-comparable-h20", "thead-sanjiangyuan-1945p", "metax-sanjiangyuan-984p",
                 "biren-sanjiangyuan-450p", "hanguang-800-efficiency", "idc-2024-kunlun-vs-cambricon",
                 "idc-2024-domestic-parts", "idc-2024-gpu-share"]:
        assert want in ids


def test_shipped_verdicts(report):
    m890 = report["m890-3x-810e"]
    assert m890.primary.reading == "compute.dense.bf16" and m890.verdict is Verdict.undetermined
    assert m890.reading("memory.capacity").verdict is Verdict.inconsistent  # 144 / 96 = 1.5, not 3
    assert m890.reading("interconnect.scale_up.bandwidth").verdict is Verdict.inconsistent  # 800 / 700
    a800 = report["810e-above-a800"]
    assert a800.reading("memory.capacity").verdict is Verdict.consistent  # 96 > 80 GB
    assert a800.reading("interconnect.scale_up.bandwidth").verdict is Verdict.consistent  # 700 > 400
    assert a800.reading("compute.dense.bf16").verdict is Verdict.undetermined
    # with the values other claims imply, "above A800" fails on compute
    assert {c.verdict for c in a800.reading("compute.dense.bf16").cross} == {Verdict.inconsistent}
    assert report["hanguang-800-efficiency"].verdict is Verdict.consistent
    assert report["idc-2024-kunlun-vs-cambricon"].verdict is Verdict.consistent


def test_cluster_per_card_and_hanguang_power(report):
    (imp,) = report["thead-sanjiangyuan-1945p"].reading("compute.dense.bf16").implied
    assert math.isclose(imp.nominal.m_as("TFLOPS"), 1945e3 / 16384)  # 118.7 TFLOPS per card
    hg = report["hanguang-800-efficiency"].primary
    assert math.isclose(hg.values["b"].nominal, 78563 / 500)  # 157.1 W
    node = report.implied_for("zhenwu-810e", "memory.bandwidth")
    assert node.combined is not None and node.combined.lo == pytest.approx(3000)
    assert node.combined.hi == pytest.approx(4000) and node.combined.hi_open


def test_implied_specs_are_derived_with_chains(report):
    specs = dict(report.implied_specs())
    spec = specs["zhenwu-m890 compute.dense.bf16"]
    assert spec.status is accelspec.Status.derived and spec.range is not None
    assert "m890-3x-810e" in spec.basis and spec.low <= spec.q <= spec.high


def test_report_renders(report):
    text = str(report)
    md = report.to_markdown()
    for cid in ("m890-3x-810e", "thead-sanjiangyuan-1945p", "idc-2024-gpu-share"):
        assert cid in text and f"## {cid}" in md
    assert "| claim | src |" in md and "inconsistent" in text
    rows = report.to_records()
    assert {"claim", "reading", "verdict", "implied"} <= set(rows[0])
    assert repr(report).startswith("<ClaimsReport: ")


def test_check_claims_example_runs():
    example = specs_dir().parent / "examples" / "check_claims.py"
    if example.is_file():
        out = subprocess.run([sys.executable, str(example)], check=True, capture_output=True, text=True).stdout
        assert "m890-3x-810e" in out


# --- workload claims -------------------------------------------------------------------------------
def test_workload_claim_uses_fits_and_min_chips(report):
    res = report["qwen37max-1m-context-m890"]
    assert res.verdict is Verdict.undetermined  # Qwen 3.7-Max's architecture is not published
    assert "not published" in res.primary.note
    readings = res.readings[1:]
    assert readings and any(r.verdict is Verdict.consistent for r in readings)
    for r in readings[:6]:
        model = r.reading.split(" ")[0]
        wd, kd = re.findall(r"weights (\w+), KV (\w+)", r.reading)[0]
        fit = accelspec.fits(model, "zhenwu-m890", 1_000_000, weight_dtype=wd, kv_dtype=kd)
        assert (r.verdict is Verdict.consistent) == bool(fit)
        n = accelspec.min_chips(model, "zhenwu-m890", 1_000_000, weight_dtype=wd, kv_dtype=kd)
        assert r.values["min_chips"] == n.value
        assert (n.value == 1) == bool(fit)


@pytest.mark.parametrize("statement,field,message", [
    ({"kind": "workload", "chip": "zhenwu-m890", "context": "1000000 token", "models": ["no-such-model"]},
     "statement.models.0", "unknown model"),
    ({"kind": "workload", "chip": "zhenwu-m890", "context": "1000000 token", "chips": 0}, "statement.chips",
     "positive whole number"),
    ({"kind": "workload", "chip": "zhenwu-m890", "context": "1000000 GB"}, "statement.context", "token"),
    ({"kind": "workload", "chip": "zhenwu-m890", "context": 1000, "dtypes": [{"weights": "fp9"}]},
     "statement.dtypes.0", "unknown dtype"),
])
def test_bad_workload_claims(tmp_path, statement, field, message):
    f = tmp_path / "w.yaml"
    f.write_text(yaml.safe_dump({"claims": [{"id": "w", "source": "S000", "date": "2026", "quote": "q",
                                             "statement": statement}]}))
    with pytest.raises(ClaimFileError) as err:
        load_claims(f)
    assert err.value.record == "w" and err.value.field == field and message in str(err.value)
    assert "w.yaml" in str(err.value)


# --- statement kinds are declared: one pydantic model per kind ------------------------------------
@pytest.mark.parametrize("statement,field,message", [
    ({"kind": "ratio", "a": "h100", "b": "h200", "factor": "3", "metric": "memory.capacity"},
     "statement.factor", "must be a positive number, got '3'"),
    ({"kind": "ratio", "a": "h100", "b": "h200", "factor": True, "metric": "memory.capacity"},
     "statement.factor", "must be a positive number"),
    ({"kind": "ratio", "a": "h100", "b": "h200", "factor": 3, "metric": "memory.capacity", "colour": "red"},
     "statement.colour", "not a field of a ratio statement (allowed: a, b, factor, metric, readings, tolerance)"),
    ({"kind": "order", "a": "h100", "b": "h200", "relation": "=>", "metric": "memory.capacity"},
     "statement.relation", "must be one of >, >=, <, <="),
    ({"kind": "ratio", "a": "h100", "b": "h200", "metric": "memory.capacity"}, "statement.factor", "required"),
    ({"kind": "sum", "parts": [], "whole": "2 GB"}, "statement.parts", "non-empty list"),
    ({"kind": "total", "chip": "h100", "count": 8, "total": "8 PFLOPS", "prefix_only": "yes",
      "metric": "compute.dense.bf16"}, "statement.prefix_only", "true or false"),
])
def test_statement_kinds_are_validated_by_their_models(tmp_path, statement, field, message):
    f = tmp_path / "k.yaml"
    f.write_text(yaml.safe_dump({"claims": [{"id": "k", "source": "S000", "date": "2026", "quote": "q",
                                             "statement": statement}]}))
    with pytest.raises(ClaimFileError) as err:
        load_claims(f)
    assert err.value.record == "k" and err.value.field == field and message in str(err.value)


def test_every_kind_has_a_model_and_claim_contexts_take_human_counts(tmp_path):
    from accelspec.claims import KINDS

    assert set(KINDS) == {"ratio", "approx", "order", "value", "total", "efficiency", "sum", "workload", "throughput",
                          "speedup"}
    f = tmp_path / "w.yaml"
    for text, tokens in (("1M", 1_000_000), ("128k", 128_000), ("32Ki", 32_768), ("1000000 token", 1_000_000)):
        f.write_text(yaml.safe_dump({"claims": [{"id": "w", "source": "S000", "date": "2026", "quote": "q",
                                                 "statement": {"kind": "workload", "chip": "zhenwu-m890",
                                                               "context": text, "models": "llama-3.1-8b"}}]}))
        (claim,) = load_claims(f)
        assert claim.statement.workload["context"] == tokens


def test_claim_checked_only_against_its_own_source_is_restated(tmp_path):
    # the spec value and the claim cite the same source T: agreement confirms nothing
    chips = [_chip("chip-a", "144 GB")]
    claim = {"id": "own", "source": "T", "date": "2026", "quote": "144 GB",
             "statement": {"kind": "value", "a": "chip-a", "metric": "memory.capacity", "value": "144 GB"}}
    report = _check(chips, [claim], tmp_path / "own")
    assert report["own"].verdict is Verdict.restated
    assert "own source" in report["own"].primary.note
    other = _check(chips, [_claim("other", claim["statement"])], tmp_path / "other")
    assert other["other"].verdict is Verdict.consistent


def test_claim_files_may_not_cite_the_fact_sheet(tmp_path):
    f = tmp_path / "ref.yaml"
    f.write_text(
        "schema: 1\nclaims:\n  - id: x\n    source: REF\n    date: '2026'\n    quote: q\n"
        "    statement: {kind: value, chip: h100, metric: memory.capacity, value: 80 GB}\n", encoding="utf-8")
    with pytest.raises(accelspec.AccelspecError, match="'REF' may not be cited"):
        load_claims(f)


def test_report_lookup_by_claim_id_suggests_near_ids():
    from accelspec.errors import UnknownClaimError

    report = check_claims()
    first = report.results[0]
    assert report[first.id] is first
    assert report[first.id.upper()] is first  # case and punctuation ignored, as for chips
    with pytest.raises(UnknownClaimError) as exc:
        report[first.id + "x"]
    assert isinstance(exc.value, KeyError) and first.id in exc.value.suggestions
    assert f"unknown claim '{first.id}x'; did you mean '{first.id}'" in str(exc.value)
