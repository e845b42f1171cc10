"""Hardening: no hang, no silent corruption, no traceback, under bad input and concurrent use.

Fuzz targets (hypothesis; ``HYPOTHESIS_PROFILE=long`` for a scheduled run, see conftest.py):
quantity strings, spec-file records, config.json dicts, calculator arguments, sweep arrays and
CLI arguments. Each call must return or raise an ``AccelspecError`` within a time limit, and
never change the shared catalog. Plus a thread test, an immutability test over every record
and regressions for each defect of issue 15.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import threading
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accelspec as a
import accelspec.hardware.catalog as cat
from accelspec.cli import main
from accelspec.errors import AccelspecError, FrozenRecordError, SpecFileError
from accelspec.inputs import parse_count
from accelspec.model.architecture import Model, ModelConfigError
from accelspec.model.datatypes import block_dtype
from accelspec.perf.memory import Parallelism
from accelspec.provenance import FrozenDict, Spec

LIMIT_S = 5.0  # every single call must finish well within this
#: cases per fuzz target per run: 50 by default, 5000 with HYPOTHESIS_PROFILE=long (conftest.py)
N_CASES = 5000 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 50
FUZZ = settings(max_examples=N_CASES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextlib.contextmanager
def time_limit(seconds: float = LIMIT_S):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"call took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def returns_or_refuses(fn, *args, **kwargs):
    """Call ``fn``; an AccelspecError is a fine answer, anything else (or a hang) fails the test."""
    with time_limit():
        try:
            return fn(*args, **kwargs)
        except AccelspecError:
            return None


def snapshot():
    c = cat.default_catalog()
    return c, {x.id: (x, x.model_dump_json()) for x in c}


@pytest.fixture(scope="module")
def catalog_before():
    return _Snap(snapshot())


class _Snap(tuple):
    """The catalog before the fuzzing, with a short repr (hypothesis prints its arguments)."""

    def __new__(cls, pair):
        return super().__new__(cls, pair)

    def __repr__(self) -> str:
        return "<catalog snapshot>"


def assert_catalog_unchanged(before):
    obj, chips = before
    assert cat.default_catalog() is obj
    now = {x.id: x for x in obj}
    assert set(now) == set(chips)
    for cid, (chip, dump) in chips.items():
        assert now[cid] is chip and chip.model_dump_json() == dump


# --- quantity strings ------------------------------------------------------------------
NUMS = st.one_of(st.integers(-10**40, 10**40).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.sampled_from(["1e999", "10**400", "9**9**9", "1,5", "1,000", ".5", "5.", "pi", "nan", "inf",
                                  "-0", "1e-400", "0x10", "1_000", ""]))
UNITS = st.sampled_from(["GB", "GiB", "TB/s", "B/token", "FLOP/s", "TFLOPS", "W", "Gb/s", "GB 5", "**9 GB",
                         "parsec", "{", "(", "GB)", "m**2", "s^-1", "", "pi", "GB GB", "B/(token*s)", "%"])
TEXTS = st.one_of(st.builds(lambda n, sp, u: f"{n}{sp}{u}", NUMS, st.sampled_from(["", " ", "  "]), UNITS),
                  st.text(max_size=40), st.text(alphabet="0123456789eE.,+-*^/ ()GBbTs", max_size=30))


@FUZZ
@given(text=TEXTS, expected=st.sampled_from([None, "GB", "GB/s", "", "FLOP/s"]))
def test_fuzz_quantity_strings(text, expected):
    q = returns_or_refuses(a.parse_quantity, text, expected)
    if q is not None:
        m = q.magnitude
        assert math.isfinite(m) and abs(m) <= 1e30


@pytest.mark.parametrize("text", ["9**9**9 GB", "10**10**7 GB", "1,5 GB", "5 GB 5", "GB", "pi GB", "1e999 GB",
                                  "nan GB", "inf GB", "-inf GB", "10" * 30 + " GB", "2**10 GB", "80 parsec"])
def test_bad_quantity_strings_refused_fast(text):
    t = time.perf_counter()
    with time_limit(1.0), pytest.raises(a.UnitError):
        a.parse_quantity(text, "GB")
    assert time.perf_counter() - t < 0.5


@pytest.mark.parametrize(("text", "value"), [("80 GB", 80), ("1,000 GB", 1000), ("3.35e3 GB", 3350),
                                             ("80GB", 80), (" 141 GB ", 141)])
def test_good_quantity_strings(text, value):
    assert a.parse_quantity(text, "GB").m_as("GB") == value


@pytest.mark.parametrize("mapping", [{"magnitude": "80", "units": "GB"}, {"magnitude": None, "units": "GB"},
                                     {"magnitude": 80, "units": 5}, {"magnitude": 80, "units": "{"},
                                     {"magnitude": math.inf, "units": "GB"}, {"magnitude": 10**400, "units": "GB"},
                                     {"magnitude": True, "units": "GB"}])
def test_bad_quantity_mappings(mapping):
    with pytest.raises(a.UnitError):
        a.parse_quantity(mapping, "GB")


# --- counts (CLI) -------------------------------------------------------------------------
@FUZZ
@given(text=st.one_of(st.text(max_size=20), st.from_regex(r"\A[0-9.]{1,12}(e[+-]?[0-9]{1,9})?([kKmMgG]i?)?\Z")))
def test_fuzz_counts(text):
    n = returns_or_refuses(parse_count, text, "--context")
    assert n is None or 1 <= n <= 2**53


@pytest.mark.parametrize(("text", "value"), [("8Gi", 8 * 2**30), ("128k", 128_000), ("32Ki", 32768), ("1e6", 10**6)])
def test_counts(text, value):
    assert parse_count(text) == value


# --- spec files --------------------------------------------------------------------------
LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=12),
                 st.sampled_from(["80 GB", "3.35 TB/s", "9**9**9 GB", "1e999 GB", "N1", "official", "estimated"]))
VALUE = st.recursive(LEAF, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                  st.dictionaries(st.sampled_from(
                                                      ["value", "source", "status", "range", "magnitude", "units",
                                                       "basis", "note", "direction"]), kids, max_size=4)),
                     max_leaves=12)


def _record(draw_fields):
    rec = {"id": "fuzz-chip", "name": "Fuzz", "vendor": "Fuzz"}
    rec.update(draw_fields)
    return rec


SPEC = st.fixed_dictionaries({}, optional={"value": VALUE, "source": st.sampled_from(["N1", "X", 5]),
                                          "status": st.sampled_from(["official", "estimated", "bogus"]),
                                          "range": VALUE})
RECORD = st.fixed_dictionaries({}, optional={
    "memory": st.fixed_dictionaries({}, optional={"capacity": st.one_of(SPEC, VALUE), "bandwidth": SPEC}),
    "compute": st.fixed_dictionaries({}, optional={"dense": st.dictionaries(st.sampled_from(["bf16", "fp8", "x"]),
                                                                             SPEC, max_size=2)}),
    "aliases": VALUE, "overrides": st.text(max_size=5), "power": VALUE}).map(_record)


@FUZZ
@given(record=RECORD)
def test_fuzz_spec_files(tmp_path_factory, catalog_before, record):
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(yaml.safe_dump({"chips": [record]}), encoding="utf-8")
    new = returns_or_refuses(cat.default_catalog().with_files, path)
    if new is not None:
        chip = new.get("fuzz-chip")
        for _, spec in chip.fields():
            if isinstance(spec, Spec):
                assert math.isfinite(float(spec.q.magnitude)) and spec.q.magnitude > 0
    assert_catalog_unchanged(catalog_before)


GOOD = {"id": "odd-chip", "name": "Odd", "vendor": "Odd",
        "memory": {"capacity": {"value": "80 GB", "source": "N3", "status": "official"}}}


@pytest.mark.parametrize("capacity", [
    {"value": {"magnitude": "80", "units": "GB"}, "source": "N3", "status": "official"},
    {"value": {"magnitude": None, "units": "GB"}, "source": "N3", "status": "official"},
    {"value": {"magnitude": 80, "units": 5}, "source": "N3", "status": "official"},
    {"value": {"magnitude": 80, "units": "{"}, "source": "N3", "status": "official"},
    {"value": {"magnitude": math.inf, "units": "GB"}, "source": "N3", "status": "official"},
    {"value": "1e999 GB", "source": "N3", "status": "official"},
    {"value": "9**9**9 GB", "source": "N3", "status": "official"},
    {"value": "10" * 20 + " GB", "source": "N3", "status": "official"},
])
def test_spec_file_oddities_name_the_file(tmp_path, capacity):
    rec = {**GOOD, "memory": {"capacity": capacity}}
    path = tmp_path / "odd.yaml"
    path.write_text(yaml.safe_dump({"chips": [rec]}), encoding="utf-8")
    with time_limit(2.0), pytest.raises(SpecFileError, match=r"odd\.yaml"):
        cat.default_catalog().with_files(path)


def test_spec_file_deep_nesting_and_encoding(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("chips: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SpecFileError, match=r"deep\.yaml"):
        cat.default_catalog().with_files(deep)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("chips: []\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(SpecFileError, match=r"latin\.yaml.*UTF-8"):
        cat.default_catalog().with_files(latin)


def test_user_files_may_not_redefine_shipped_sources_or_set_overrides(tmp_path):
    src = tmp_path / "src.yaml"
    src.write_text(yaml.safe_dump({"sources": {"REF": {"title": "mine"}}, "chips": [GOOD]}), encoding="utf-8")
    with pytest.raises(SpecFileError, match="shipped source"):
        cat.default_catalog().with_files(src)
    over = tmp_path / "over.yaml"
    over.write_text(yaml.safe_dump({"chips": [{**GOOD, "overrides": "specs/chips/nvidia.yaml"}]}), encoding="utf-8")
    with pytest.raises(SpecFileError, match="overrides"):
        cat.default_catalog().with_files(over)


def test_same_chip_id_in_two_user_files_of_one_load(tmp_path):
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump({"chips": [GOOD]}), encoding="utf-8")
    with pytest.raises(SpecFileError, match=r"one\.yaml"):
        cat.default_catalog().with_files(tmp_path)


def test_reload_with_bad_path_keeps_the_catalog(monkeypatch, tmp_path, restore_catalog):
    before = cat.default_catalog()
    monkeypatch.setenv("ACCELSPEC_PATH", str(tmp_path / "missing.yaml"))
    with pytest.raises(SpecFileError):
        a.reload()
    assert cat.default_catalog() is before
    assert a.get_chip("h200").id == "h200-sxm"


# --- threads ---------------------------------------------------------------------------------
def test_concurrent_load_specs_keeps_every_chip(tmp_path, restore_catalog):
    cat._DEFAULT = None  # the first build races too
    paths = []
    for i in range(16):
        p = tmp_path / f"t{i}.yaml"
        p.write_text(yaml.safe_dump({"chips": [{**GOOD, "id": f"thread-{i}", "name": f"Thread {i}"}]}),
                     encoding="utf-8")
        paths.append(p)
    start = threading.Barrier(16)
    errors = []

    def work(p):
        try:
            start.wait()
            a.load_specs(p)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    have = {c.id for c in a.chips()}
    assert {f"thread-{i}" for i in range(16)} <= have
    assert "h200-sxm" in have


# --- immutability ------------------------------------------------------------------------
def test_every_chip_record_is_immutable():
    for chip in a.chips():
        with pytest.raises(FrozenRecordError):
            chip.name = "x"
        with pytest.raises(FrozenRecordError):
            chip.memory.capacity = None
        for _path, spec in chip.fields():
            with pytest.raises(FrozenRecordError):
                spec.value = a.Q_(1e6, "GB")
            with pytest.raises(FrozenRecordError):
                spec.source.title = "x"
        for table in (chip.compute.dense, chip.compute.sparse):
            assert isinstance(table, FrozenDict)
            with pytest.raises(FrozenRecordError):
                table["bf16"] = None
        assert isinstance(chip.aliases, tuple) and isinstance(chip.notes, tuple)


def test_every_model_record_is_immutable():
    for m in a.models():
        with pytest.raises(FrozenRecordError):
            m.n_layers = 1
        for mapping in (m.native_dtypes, m.published):
            with pytest.raises(FrozenRecordError):
                mapping["default"] = "fp4"
        if m.config is not None:
            with pytest.raises(FrozenRecordError):
                m.config["hidden_size"] = 1


def test_h200_cannot_be_made_to_fit_everything():
    h = a.get_chip("h200")
    with pytest.raises(FrozenRecordError, match="model_copy"):
        h.memory.capacity.value = a.Q_(1e6, "GB")
    assert h.memory.capacity.q == a.Q_(141, "GB")
    cap = h.memory.capacity.model_copy(update={"value": a.Q_(1e6, "GB")})
    mine = h.model_copy(update={"memory": h.memory.model_copy(update={"capacity": cap})})
    assert a.fits("llama-3.1-405b", mine, 8192).fits
    assert not a.fits("llama-3.1-405b", "h200", 8192).fits


# --- caches key on values ------------------------------------------------------------------
def test_block_dtypes_with_one_name_do_not_share_a_cache_entry():
    d4, d8 = block_dtype("q", 4, 32, 8), block_dtype("q", 8, 32, 8)
    t4 = a.decode_bound("llama-3.1-70b", "h200", 8192, weight_dtype=d4).t
    t8 = a.decode_bound("llama-3.1-70b", "h200", 8192, weight_dtype=d8).t
    assert t8 > 1.8 * t4  # weights dominate: 8.25 vs 4.25 bits per weight


@pytest.mark.parametrize("bits", [-1, 0, math.inf, math.nan, 1e9])
def test_block_dtype_bits_refused(bits):
    with pytest.raises(AccelspecError):
        block_dtype("x", bits, 32, 8)


# --- configs -----------------------------------------------------------------------------------
LLAMA = {"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256}
CFG_VALUE = st.one_of(st.integers(-2**70, 2**70), st.floats(), st.none(), st.booleans(), st.text(max_size=5),
                      st.sampled_from([2**36, 10**12, 1e12, 2**63, 0, -1]), st.lists(st.integers(0, 3), max_size=3))


@FUZZ
@given(changes=st.dictionaries(st.sampled_from([*sorted(LLAMA), "head_dim", "sliding_window", "layer_types"]),
                               CFG_VALUE, min_size=1, max_size=3))
def test_fuzz_config_dicts(changes):
    cfg = {**LLAMA, **changes}
    with time_limit():
        try:
            m = Model.from_hf_config(cfg)
        except ModelConfigError:
            return
    assert 0 < m.params_total() < 2**53


@pytest.mark.parametrize(("field", "value"), [("hidden_size", 2**36), ("num_hidden_layers", 10**12),
                                              ("num_hidden_layers", 1e12), ("intermediate_size", 2**40)])
def test_absurd_configs_refused(field, value):
    with time_limit(2.0), pytest.raises(ModelConfigError):
        Model.from_hf_config({**LLAMA, field: value})


# --- calculators ---------------------------------------------------------------------------------
COUNT = st.one_of(st.integers(-5, 2**70), st.floats(), st.sampled_from([2**63, math.inf, math.nan, 0, 2.7, True]))
QTY = st.one_of(st.none(), TEXTS, st.sampled_from(["nan GB", "-80 GB", "inf GB", "1e999 GB", "80 GB", "2 GiB"]))


@FUZZ
@given(ctx=COUNT, batch=COUNT, n=COUNT, capacity=QTY, reserve=QTY)
def test_fuzz_calculators(catalog_before, ctx, batch, n, capacity, reserve):
    res = returns_or_refuses(a.fits, "llama-3.1-8b", "h100", ctx, batch, n_chips=n, capacity=capacity,
                             reserve=reserve)
    if res is not None:
        assert math.isfinite(res.required.m) and res.required.m > 0
    b = returns_or_refuses(a.decode_bound, "llama-3.1-8b", "h100", ctx, batch, n)
    if b is not None:
        assert math.isfinite(b.t) and b.t > 0
    c = returns_or_refuses(a.step_cost, "llama-3.1-8b", "decode", ctx, batch, n)
    if c is not None:
        assert math.isfinite(c.total.flops) and c.total.flops > 0
    assert_catalog_unchanged(catalog_before)


@FUZZ
@given(contexts=st.lists(COUNT, min_size=1, max_size=3))
def test_fuzz_sweep_arrays(contexts):
    df = returns_or_refuses(a.sweep, "llama-3.1-8b", "h100", contexts)
    if df is not None:
        assert (df["memory [B]"] > 0).all() and (df["time [s]"] > 0).all()


@pytest.mark.parametrize("call", [
    lambda: Parallelism.parse({"tp": 2.7}, 2),
    lambda: Parallelism.parse("tp=2,tp=4", 4),
    lambda: a.min_chips("llama-3.1-8b", "h200", 8192, parallelism="bogus"),
    lambda: a.step_cost("llama-3.1-8b", "decode", -5),
    lambda: a.step_cost("llama-3.1-8b", "decode", 2.5),
    lambda: a.step_cost("llama-3.1-8b", "decode", 100, n_chips=0),
    lambda: a.fits("llama-3.1-8b", "h200", 8192, capacity="nan GB"),
    lambda: a.fits("llama-3.1-8b", "h200", 8192, capacity="-80 GB"),
    lambda: a.fits("llama-3.1-8b", "h200", 8192, reserve="nan GB"),
    lambda: a.sweep("llama-3.1-8b", "h200", [2**63]),
    lambda: a.sweep("llama-3.1-8b", "h200", [math.inf]),
    lambda: a.decode_bound("llama-3.1-8b", "h200", 8192, compute_efficiency=1e-320),
])
def test_bad_arguments_refused(call):
    with time_limit(2.0), pytest.raises(AccelspecError):
        call()


# --- CLI -----------------------------------------------------------------------------------------
def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with time_limit(20.0), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


CLI_VALUES = st.sampled_from(["1e400", "1e99999999", "8Gi", "-5", "0", "2.5", "128k", "inf", "nan", "", "x",
                              "1e-320", "0.5", "h100", "bogus", "/missing/dir/x.png"])


@FUZZ
@given(cmd=st.sampled_from([["fit", "llama-3.1-8b", "--chip", "h100"], ["bound", "llama-3.1-8b", "--chip", "h100"],
                            ["roofline", "h100"], ["show"], ["compare", "h100"]]),
       opts=st.lists(st.tuples(st.sampled_from(["--context", "--batch", "--n-chips", "--compute-eff", "--precision",
                                                "-o", "--weights"]), CLI_VALUES), max_size=3),
       as_json=st.booleans())
def test_fuzz_cli(cmd, opts, as_json):
    argv = list(cmd) + [x for pair in opts for x in pair] + (["--json"] if as_json else [])
    try:
        rc, out, err = run_cli(argv)
    except SystemExit as exc:  # --help and the like
        rc, out, err = exc.code, "", ""
    assert rc in (0, 2)
    if rc == 2:
        assert out == "" or not as_json
        assert "Traceback" not in err and err.count("\n") <= 1
    elif as_json and out:
        json.loads(out)  # strict JSON: no Infinity / NaN


@pytest.mark.parametrize("argv", [
    ["fit", "llama-3.1-8b", "--chip", "h100", "--context", "1e400"],
    ["fit", "llama-3.1-8b", "--chip", "h100", "--context", "1e99999999"],
    ["roofline", "h100", "-o", "/missing/dir/x.png"],
    ["roofline", "h100", "--json", "-o", "/missing/dir/x.png"],
    ["plot", "roofline", "h100", "-o", "/missing/dir/x.png", "--json"],
    ["plot", "compare", "h100", "h200", "-o", "/missing/dir/x.png", "--json"],
    ["plot", "memory", "llama-3.1-8b", "--chips", "h100", "-o", "/missing/dir/x.png", "--json"],
    ["plot", "heatmap", "--models", "llama-3.1-8b", "--chips", "h100", "-o", "/missing/dir/x.png", "--json"],
    ["plot", "heatmap", "--models", "llama-3.1-8b", "--chips", "h100", "-o", "x.png", "--context", "1e20"],
    ["bound", "llama-3.1-8b", "--chip", "h100", "--context", "8192", "--compute-eff", "1e-320", "--json"],
])
def test_cli_one_line_exit_2(argv):
    rc, out, err = run_cli(argv)
    assert rc == 2 and out == ""
    assert err.startswith("accelspec: error: ") and err.count("\n") == 1


def test_cli_context_8gi():
    rc, out, _err = run_cli(["fit", "llama-3.1-8b", "--chip", "h100", "--context", "8Gi"])
    assert rc == 0 and "8,589,934,592 tokens" in out


# --- one loader, one set of limits (issue 23) ------------------------------------------------------
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))


def test_a_measurement_file_with_an_alias_bomb_is_refused_quickly(tmp_path):
    import time

    from accelspec.measurements.validation import load_measurements

    f = tmp_path / "bomb.yaml"
    f.write_text("schema: 1\npublisher: X\n" + BOMB + "sources: {}\nmeasurements: []\n", encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(a.SpecFileError, match="aliases expand"):
        load_measurements(f)
    assert time.perf_counter() - start < 10


TRICKY_YAML = [
    "a: &x [1, 2]\nb: *x\n",  # an alias
    "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",  # a merge key
    "d: 2024-01-02\nt: 2024-01-02T03:04:05Z\n",  # dates
    "x: !!binary aGVsbG8=\ns: !!set {a, b}\nm: !!map {a: 1}\nk: !!str 12\n",  # explicit tags
    "i: 0x1F\nf: 1.5e3\nn: ~\nb: yes\no: 0o17\nsx: 1:30\ninf: .inf\n",  # YAML 1.1 scalars
    "- 1\n- [2, {3: 4}]\n",
    "1: a\n1.5: b\nnull: c\ntrue: d\n2024-01-01: e\n=: v\n",  # keys of every scalar kind
    "x\n", "", "a: 1\na: 2\n", "'quoted': '1'\nplain: 1\n",
]


@pytest.mark.parametrize("text", TRICKY_YAML)
def test_the_yaml_reader_gives_what_the_safe_loader_gives(text, tmp_path, monkeypatch):
    """read_yaml builds plain documents itself (twice as fast) and leaves the rest to PyYAML's
    safe constructor: either way, exactly what ``yaml.safe_load`` gives."""
    from accelspec.specfiles import read_yaml

    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    f = tmp_path / "doc.yaml"
    f.write_text(text, encoding="utf-8")
    got, want = read_yaml(f), yaml.safe_load(text)
    assert got == want and type(got) is type(want) and repr(got) == repr(want)


def test_the_yaml_reader_gives_what_the_safe_loader_gives_for_every_shipped_file(monkeypatch):
    from accelspec.specfiles import read_yaml, specs_dir

    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    files = sorted(specs_dir().rglob("*.yaml"))
    assert len(files) > 30
    for f in files:
        assert read_yaml(f) == yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), f


def test_the_yaml_limits_hold_without_aliases(tmp_path, monkeypatch):
    """Deep or huge plain documents are refused by the same pass that builds them."""
    from accelspec import specfiles

    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    monkeypatch.setattr(specfiles, "MAX_YAML_NODES", 1000)
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 40 + "]" * 40 + "\n", encoding="utf-8")
    with pytest.raises(SpecFileError, match=r"deep\.yaml.*nested deeper than 32"):
        specfiles.read_yaml(deep)
    ok = tmp_path / "ok.yaml"
    ok.write_text("a: " + "[" * 31 + "]" * 31 + "\n", encoding="utf-8")
    assert specfiles.read_yaml(ok) is not None
    wide = tmp_path / "wide.yaml"
    wide.write_text("".join(f"- {i}\n" for i in range(1001)), encoding="utf-8")
    with pytest.raises(SpecFileError, match=r"wide\.yaml.*more than 1,000 values"):
        specfiles.read_yaml(wide)
    wide.write_text("".join(f"- {i}\n" for i in range(999)), encoding="utf-8")
    assert len(specfiles.read_yaml(wide)) == 999


@pytest.mark.parametrize("load", ["load_specs", "load_systems", "load_models"])
def test_an_empty_path_is_refused_not_the_current_directory(load, restore_catalog):
    with pytest.raises(a.SpecFileError, match="empty path"):
        getattr(a, load)("")
    with pytest.raises(a.SpecFileError, match="empty path"):
        getattr(a, load)("  ")


# --- every call's work is bounded; no silent nonsense (issue 23) -----------------------------------
def test_request_bound_of_10_to_the_8_output_tokens_is_fast_and_small():
    """Before: 45 s and 11.8 GB (2 * 10**9: MemoryError). After: the decode is summed in 16,384
    blocks of steps, each at its first context (a lower bound), in well under a second."""
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with time_limit(5.0):
        exact = a.request_bound("llama-3.1-8b", "h200-sxm", 1024, 1 << 18)  # 2**18 - 1 steps: one by one
        r = a.request_bound("llama-3.1-8b", "h200-sxm", 1024, 10**8)
        s = a.request_bound("llama-3.1-8b", "h200-sxm", 1024, 10**8, mode="steady")
        big = a.request_bound("llama-3.1-8b", "h200-sxm", 1024, 2 * 10**9)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024 < 500e6  # KiB on Linux
    assert not any("blocks" in n for n in exact.notes)
    assert any("16,384 blocks" in n for n in r.notes) and any("blocks" in n for n in big.notes)
    # memory-bound decode: 16.06 GB weights + KV of up to 10**8 tokens at 131,072 B/token, per step
    # over 4.8 TB/s; the block sum is a lower bound within 0.1 % of the mean step time
    ctx = 1024 + 1 + (10**8 - 2) / 2
    t_mean = (16_060_522_496 + 131_072 * ctx) / 4.8e12
    assert r.decode_s[0] <= (10**8 - 1) * t_mean * 1.0001 and r.decode_s[0] >= (10**8 - 1) * t_mean * 0.999
    assert s.decode_s[0] == pytest.approx(r.decode_s[0], rel=1e-3)
    assert math.isfinite(big.decode_s[0]) and big.decode_s[0] > r.decode_s[0]


def test_request_bound_block_sum_is_a_lower_bound_of_the_exact_sum(monkeypatch):
    import accelspec.perf.request as rq

    exact = a.request_bound("llama-3.1-8b", "h200-sxm", 512, 5001)
    monkeypatch.setattr(rq, "_EXACT_STEPS", 100)
    monkeypatch.setattr(rq, "_BLOCKS", 64)
    blocked = a.request_bound("llama-3.1-8b", "h200-sxm", 512, 5001)
    assert blocked.decode_s[0] <= exact.decode_s[0]
    assert blocked.decode_s[0] == pytest.approx(exact.decode_s[0], rel=1e-3)


@pytest.mark.parametrize("model", ["deepseek-v3", "qwen3-235b-a22b", "llama-3.1-405b"])
def test_decode_bound_on_720720_chips_answers_or_refuses_within_a_second(model):
    """Before: minutes (89,600 shapes of 720,720 = 2^4 3^2 5 7 11 13, each with every ep; the
    expert degrees were found by trial division up to the stage's chips). After: the count of
    pipeline stages is checked before any layout is built (MAX_LAYOUT_STAGES = 250,000)."""
    a.decode_bound(model, "h200-sxm", 8192, 1, 8)  # catalogs loaded
    with time_limit(1.0), pytest.raises(a.InvalidArgumentError, match=r"n_chips: 720,720 chips give .* "
                                        r"more than the 250,000 stages"):
        a.decode_bound(model, "h200-sxm", 8192, 1, 720720)


def test_decode_bound_on_720720_chips_of_a_small_model_answers():
    with time_limit(5.0):
        b = a.decode_bound("llama-3.1-8b", "h200-sxm", 8192, 1, 720720)
    assert b.n_chips == 720720 and math.isfinite(b.t)


def test_layout_enumeration_is_unchanged():
    from dataclasses import replace

    from accelspec.perf.kernels import expert_degrees, layout_shapes
    from accelspec.perf.memory import layouts

    def slow(model, n, every_ep):
        out = []
        for tp, pp, cp, dp in layout_shapes(n):
            base = Parallelism(tp=tp, pp=pp, cp=cp, dp=dp)
            eps = expert_degrees(tp * cp * dp, model.moe.n_routed_experts) if model.moe else []
            opts = [base, *(replace(base, ep=e) for e in eps)] if every_ep else \
                [base, *([replace(base, ep=max(eps))] if eps else [])]
            for lay in opts:
                try:
                    lay.check(model)
                except a.InvalidArgumentError:
                    continue
                out.append(lay)
        return out

    for mid in ("llama-3.1-8b", "deepseek-v3"):
        m = a.get_model(mid)
        for n in (1, 6, 64, 96, 1024, 8960):
            for every in (False, True):
                assert layouts(m, n, every_ep=every) == slow(m, n, every), (mid, n, every)


def test_sweep_of_10_to_the_10_rows_is_refused_before_allocating():
    """Before: numpy MemoryError (74.5 GiB for one column). After: the row count is checked first."""
    ctx = list(range(1, 100_001))
    with time_limit(5.0), pytest.raises(a.InvalidArgumentError, match=r"10,000,000,000 rows.*sweep_iter.*sweep_dask"):
        a.sweep("llama-3.1-8b", "h200-sxm", ctx, batch=ctx)


def test_max_context_on_8960_chips_finds_the_layout_fits_finds():
    """Before: 'no parallel layout of 8960 chips can shard llama-3.1-8b' (the search started at 1
    token, below every layout's cp: tp * pp <= 32 * 32 = 1024 < 8960). After: it starts at cp=10."""
    with time_limit(10.0):
        lim = a.max_context("llama-3.1-8b", "h200-sxm", n_chips=8960)
        assert a.fits("llama-3.1-8b", "h200-sxm", 8192, n_chips=8960).fits
        assert a.fits("llama-3.1-8b", "h200-sxm", int(lim.value), n_chips=8960).fits
        assert not a.fits("llama-3.1-8b", "h200-sxm", int(lim.value) + 1, n_chips=8960).fits
        assert a.max_batch("llama-3.1-8b", "h200-sxm", 8192, n_chips=8960).value > 1


@pytest.mark.parametrize(("call", "match"), [
    (lambda: a.attention_cost("llama-3.1-8b", "decode", math.nan), "context_tokens"),
    (lambda: a.attention_cost("llama-3.1-8b", "decode", -5), "context_tokens"),
    (lambda: a.attention_cost("llama-3.1-8b", "bogus", 5), "phase"),
    (lambda: a.attention_cost("llama-3.1-8b", "decode", 5, layer=99), "layer"),
    (lambda: a.gemm_cost(4096, 4096, 1e308), "k: must be at most 2"),
    (lambda: a.gemm_cost(4096, 0, 4096), "n"),
    (lambda: a.check_training_claim(math.nan, 512), "params"),
    (lambda: a.check_training_claim(1e12, 0.5), "n_chips"),
    (lambda: a.check_training_claim(1e12, 2**60), "n_chips: must be at most 2"),
    # counts past 2**53 were accepted here (a TrainingMemory came back)
    (lambda: a.training_memory("llama-3.1-8b", n_chips=8, micro_batch=2**60), "micro_batch: must be at most 2"),
    (lambda: a.training_memory("llama-3.1-8b", n_chips=8, seq_len=2**60), "seq_len: must be at most 2"),
    (lambda: a.sweep("llama-3.1-8b", "h200-sxm", [1024], phase="x"), "phase"),
    (lambda: a.sweep("llama-3.1-8b", "h200-sxm", [1024], output="x"), "output"),
    (lambda: a.sweep("llama-3.1-8b", "h200-sxm", []), "context_tokens"),
    (lambda: a.sweep(["llama-3.1-8b", "llama-3.1-8b"], "h200-sxm", [1024]), "models"),
    (lambda: a.decode_bound("llama-3.1-8b", "h200-sxm", 8192, accepted_tokens_per_step=math.nan),
     "accepted_tokens_per_step"),
    (lambda: a.decode_bound("llama-3.1-8b", "h200-sxm", 8192, accepted_tokens_per_step="2"), "accepted_tokens"),
])
def test_silent_nonsense_is_refused_by_name(call, match):
    """Before: nan or negative GFLOP, inf FLOPs, 'a nanT-parameter model', '0.5 chips', a plain
    ValueError/TypeError. After: an InvalidArgumentError naming the argument."""
    with time_limit(5.0), pytest.raises(a.InvalidArgumentError, match=match):
        call()


def test_a_bound_names_the_term_left_out():
    from accelspec.perf.roofline import with_roofs

    b = a.decode_bound("llama-3.1-8b", with_roofs("zhenwu-m890", bandwidth="4 TB/s"), 8000)
    assert "left out: compute term" in b.assumptions and "compute term" in b.missing
    # the ridge P / B needs the peak: unknown, not an infinite ridge
    assert "vs ridge unknown (no compute peak)" in b.explain() and "ridge inf" not in b.explain()
    assert "left out" not in a.decode_bound("llama-3.1-8b", "h200-sxm", 8000).assumptions


def _measurement_row(accepted, draft=None):
    spec = {"method": "MTP", "accepted_tokens_per_step": accepted, "basis": "a guess"}
    if draft is not None:
        spec["draft_length"] = draft
    return spec


@pytest.mark.parametrize(("accepted", "draft", "match"), [(1e6, None, "exceeds the 16 tokens"),
                                                          (40.0, 64, "exceeds the 16 tokens"),
                                                          (5.0, 3, "draft_length")])
def test_measurement_accepted_tokens_per_step_is_capped(accepted, draft, match):
    from pydantic import ValidationError

    from accelspec.measurements.validation import Speculative

    with pytest.raises(ValidationError, match=match):
        Speculative(**_measurement_row(accepted, draft))
    Speculative(**_measurement_row(2.5, 3))


CLAIM = {"id": "x1", "source": "ZZ9", "date": "2026", "quote": "q",
         "statement": {"kind": "workload", "chip": "zhenwu-m890", "model": "llama-3.1-8b", "context": "1000 token",
                       "chips": 1, "batch": 1}}


@pytest.mark.parametrize(("change", "field"), [
    ({"also": 5}, "also"),
    ({"notes": 5}, "notes"),
    ({"statement": {"kind": ["ratio"]}}, "statement.kind"),
    ({"statement": {**CLAIM["statement"], "chips": math.inf}}, "statement.chips"),
    ({"statement": {**CLAIM["statement"], "chips": 2**60}}, "statement.chips"),
    ({"statement": {**CLAIM["statement"], "context": math.inf}}, "statement.context"),
    ({"statement": {**CLAIM["statement"], "context": 1e300}}, "statement.context"),
])
def test_bad_claim_files_name_the_field_and_the_cli_prints_one_line(tmp_path, change, field):
    f = tmp_path / "c.yaml"
    f.write_text("sources:\n  ZZ9: {title: t, url: 'https://x.example', date: '2026'}\n"
                 + yaml.safe_dump({"claims": [{**CLAIM, **change}]}), encoding="utf-8")
    with time_limit(5.0), pytest.raises(a.ClaimFileError, match=f"field {field}"):
        a.load_claims(f)
    rc, out, err = run_cli(["claims", str(f)])
    assert rc == 2 and out == "" and err.startswith("accelspec: error: ") and err.count("\n") == 1


def test_a_claim_file_with_a_list_of_sources_is_refused(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("sources: [a]\nclaims: []\n", encoding="utf-8")
    with pytest.raises(a.ClaimFileError, match="'sources' must be a mapping"):
        a.load_claims(f)


@pytest.mark.parametrize("vendor", ["", "  ", "nobody"])
def test_cli_list_with_an_empty_or_unknown_vendor_exits_2(vendor):
    """Before: TypeError traceback ('int' object is not iterable) for --vendor ''."""
    rc, out, err = run_cli(["list", "--vendor", vendor])
    assert rc == 2 and out == "" and err.startswith("accelspec: error: ") and err.count("\n") == 1
