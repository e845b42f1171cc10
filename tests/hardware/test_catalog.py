import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import accelspec as a
from accelspec.hardware.catalog import Catalog, default_catalog, normalize_name

SHIPPED = list(a.chips())


def test_catalog_is_not_empty():
    assert len(SHIPPED) >= 1


@pytest.mark.parametrize("chip", SHIPPED, ids=lambda c: c.id)
def test_every_shipped_value_has_source_and_status(chip):
    fields = list(chip.fields())
    for path, value in fields:
        assert value.source.title, f"{chip.id}.{path} has no source title"
        assert value.status in a.Status
        if value.status is a.Status.estimated:
            assert value.range is not None and value.basis
        if value.status is a.Status.derived:
            assert value.basis
        if value.source.seed:
            assert value.source.seed.endswith((".txt", ".md"))


@pytest.mark.parametrize("chip", SHIPPED, ids=lambda c: c.id)
def test_invariants(chip):
    for prec, sparse in chip.compute.sparse.items():
        dense = chip.compute.dense.get(prec)
        if dense is not None:
            assert sparse.q >= dense.q
    su = chip.interconnect.scale_up
    if su is not None and su.bandwidth is not None:
        per = su.per_direction()
        if su.bandwidth.direction is a.Direction.bidirectional:
            assert per.q == su.bandwidth.q / 2


@pytest.mark.parametrize("chip", SHIPPED, ids=lambda c: c.id)
def test_json_round_trip(chip):
    text = chip.model_dump_json()
    back = a.Chip.model_validate_json(text)
    assert back == chip
    assert json.loads(back.model_dump_json()) == json.loads(text)


@pytest.mark.parametrize("chip", SHIPPED, ids=lambda c: c.id)
def test_python_and_yaml_round_trip(chip):
    assert a.Chip.model_validate(chip.model_dump()) == chip
    text = yaml.safe_dump(chip.model_dump(mode="json"), allow_unicode=True)
    assert a.Chip.model_validate(yaml.safe_load(text)) == chip


def test_provenance_answers_where_from():
    chip = a.get_chip("h200")
    prov = chip.provenance("memory.bandwidth")
    assert prov.source.id == "N6" and prov.status is a.Status.official
    assert "nvidia.com" in prov.describe()
    with pytest.raises(a.NotPublishedError):
        chip.provenance("memory.on_chip_sram")
    with pytest.raises(KeyError, match="unknown field"):
        chip.provenance("memory.colour")


@pytest.mark.parametrize("name", ["h200", "H200", "h200-sxm", "H200 SXM", "h200_sxm", " H-200 SXM5 ", "ｈ２００"])
def test_lookup_ignores_case_and_punctuation(name):
    assert a.get_chip(name).id == "h200-sxm"


@given(st.sampled_from([n for c in SHIPPED for n in (c.id, c.name, *c.aliases)]),
       st.lists(st.sampled_from(" -_./"), max_size=3), st.booleans())
def test_lookup_property(name, junk, upper):
    want = next(c.id for c in SHIPPED if normalize_name(name) in
                {normalize_name(x) for x in (c.id, c.name, *c.aliases)})
    variant = (name.upper() if upper else name.lower()) + "".join(junk)
    assert a.get_chip(variant).id == want


def test_unknown_chip_suggests():
    with pytest.raises(a.UnknownChipError) as info:
        a.get_chip("h2000")
    assert "h200-sxm" in info.value.suggestions
    assert "did you mean" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_chips_filters():
    nv = a.chips(vendor="nvidia")
    assert nv and all(c.vendor == "NVIDIA" for c in nv)
    big = a.chips(where=lambda c: c.memory.capacity.q > a.Q_("100 GB"))  # missing capacity skips the chip
    assert all(c.memory.capacity.q > a.Q_("100 GB") for c in big)
    assert a.chips(vendor="nvidia", id="h200-sxm")[0].id == "h200-sxm"


def _write(tmp_path: Path, body: str, name: str = "user.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


GOOD = """
schema: 1
vendor: Example
sources:
  X1: {title: "Example datasheet", url: "https://example.com/x", date: "2026-01"}
chips:
  - id: example-x1
    name: Example X1
    aliases: [X1]
    memory:
      capacity: {value: 64 GB, source: X1, status: official}
      bandwidth: {value: 2 TB/s, source: X1, status: official}
    compute:
      dense:
        bf16: {value: 500 TFLOPS, source: X1, status: official}
      sparse:
        bf16: {value: 1000 TFLOPS, source: X1, status: official}
"""


def test_user_file_adds_a_chip(tmp_path):
    cat = Catalog.load(_write(tmp_path, GOOD), env=False)
    chip = cat.get("x1")
    assert chip.memory.capacity.q == a.Q_("64 GB")
    assert chip.origin.endswith("user.yaml") and chip.overrides is None


def test_user_override_wins_and_says_so(tmp_path, restore_catalog):
    body = """
    schema: 1
    vendor: NVIDIA
    sources:
      MINE: {title: "our own measurement", date: "2026-11"}
    chips:
      - id: h200-sxm
        name: H200 SXM
        aliases: [H200]
        memory:
          capacity: {value: 140 GB, source: MINE, status: reported, note: "usable, as measured"}
    """
    added = a.load_specs(_write(tmp_path, body))
    chip = a.get_chip("H200")
    assert [c.id for c in added] == ["h200-sxm"]
    assert chip.memory.capacity.q == a.Q_("140 GB")
    assert chip.overrides == "specs/chips/nvidia.yaml"
    assert "overrides" in chip.describe() and "MINE" in chip.provenance("memory.capacity").describe()


def test_env_var_path(tmp_path, monkeypatch):
    _write(tmp_path, GOOD)
    monkeypatch.setenv("ACCELSPEC_PATH", str(tmp_path))
    assert Catalog.load().get("example x1").vendor == "Example"


BAD = {
    "wrong dimension": (("bandwidth: {value: 2 TB/s", "bandwidth: {value: 2 TB"),
                        "memory.bandwidth.value", "expected a quantity like 'GB/s'"),
    "negative": (("capacity: {value: 64 GB", "capacity: {value: -64 GB"), "memory.capacity.value", "positive"),
    "zero": (("bf16: {value: 500 TFLOPS", "bf16: {value: 0 TFLOPS"), "compute.dense.bf16.value", "positive"),
    "missing source": (("capacity: {value: 64 GB, source: X1, ", "capacity: {value: 64 GB, "),
                       "memory.capacity.source", "Field required"),
    "unknown source": (("capacity: {value: 64 GB, source: X1", "capacity: {value: 64 GB, source: X9"),
                       "memory.capacity.source", "unknown source id 'X9'"),
    "sparse below dense": (("bf16: {value: 1000 TFLOPS", "bf16: {value: 100 TFLOPS"), "compute", "below dense"),
    "bare number": (("capacity: {value: 64 GB", "capacity: {value: 64"), "memory.capacity.value", "bare number"),
    "flops for int8": (("bf16: {value: 500 TFLOPS, source: X1, status: official}\n      sparse:",
                        "int8: {value: 500 TFLOPS, source: X1, status: official}\n      sparse:"),
                       "compute", "int8"),
    "estimate without range": (("capacity: {value: 64 GB, source: X1, status: official",
                                "capacity: {value: 64 GB, source: X1, status: estimated, basis: guess"),
                               "memory.capacity", "range"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_names_file_chip_and_field(tmp_path, case, restore_catalog):
    (old, new), field, message = BAD[case]
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1), "bad.yaml")
    before = list(a.chips())
    with pytest.raises(a.SpecFileError) as info:
        a.load_specs(path)
    text = str(info.value)
    assert "bad.yaml" in text and "example-x1" in text and field in text and message in text, text
    assert list(a.chips()) == before  # the catalog did not change
    with pytest.raises(a.UnknownChipError):
        a.get_chip("example-x1")


def test_duplicate_id_and_alias(tmp_path):
    dup = GOOD + GOOD.split("chips:\n")[1]
    with pytest.raises(a.SpecFileError, match="duplicate id"):
        Catalog.load(_write(tmp_path, dup, "dup.yaml"), env=False)
    clash = GOOD.replace("aliases: [X1]", "aliases: [X1, H200]")
    with pytest.raises(a.SpecFileError, match="alias 'H200' is already used by chip 'h200-sxm'"):
        Catalog.load(_write(tmp_path, clash, "clash.yaml"), env=False)


def test_bad_yaml_and_missing_path(tmp_path):
    with pytest.raises(a.SpecFileError, match="not valid YAML"):
        Catalog.load(_write(tmp_path, "chips: [\n", "broken.yaml"), env=False)
    with pytest.raises(a.SpecFileError, match="no such file"):
        Catalog.load(tmp_path / "nope.yaml", env=False)


def test_zhenwu_m890_capacity_prints_144_gb():
    import subprocess
    import sys

    code = "import accelspec as a; print(a.get_chip('zhenwu m890').memory.capacity)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "144 GB"


@pytest.mark.parametrize("alias", ["真武810E", "真武 PPU", "镇岳M890", "含光800", "Ascend 910B", "TPU v5p", "MI300X"])
def test_chinese_and_common_aliases(alias):
    assert a.get_chip(alias)


def test_catalog_covers_the_reference_and_seed_chips():
    must = ["zhenwu-810e", "zhenwu-m890", "hanguang-800", "a800-sxm", "h20", "h200-sxm", "a100-sxm", "h100-sxm",
            "h800-sxm", "b200", "mi300x", "mi325x", "mi355x", "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu7x",
            "ascend-910b", "ascend-910c", "mlu370-x8", "kunlun-r200"]
    missing = [m for m in must if m not in default_catalog()]
    assert not missing
    assert len(a.chips()) >= 30


def test_docs_catalog_is_current():
    from accelspec.hardware.catalog import specs_dir
    from accelspec.io.catalog_doc import catalog_markdown

    path = specs_dir().parent / "docs" / "catalog.md"
    if not path.exists():
        pytest.skip("not a source checkout")
    assert path.read_text(encoding="utf-8") == catalog_markdown(), \
        "docs/catalog.md is stale: python -m accelspec.io.catalog_doc > docs/catalog.md"


def test_compare_returns_a_dataframe_with_units_and_ratios():
    import pandas as pd

    df = a.compare(["h20", "h200"], ["capacity", "bandwidth", "scale_up"], baseline="h20")
    assert isinstance(df, pd.DataFrame)
    assert df.loc["H200 SXM", "capacity [GB]"] == 141
    assert df.loc["H200 SXM", "capacity / H20"] == pytest.approx(141 / 96)
    assert df.attrs["units"]["bandwidth"] == "TB/s"
    assert df.attrs["sources"]["h200-sxm:memory.capacity"] == ("N6", "official")
    text = a.compare_table(["h20", "h200"], ["capacity", "scale_up"], baseline="h20")
    assert "×1.47" in text and "bidi" in text and "[N6]" in text


def test_compare_unpublished_is_empty_not_zero():
    df = a.compare(["zhenwu-m890", "h20"], ["bf16"])
    assert df["bf16 [TFLOPS]"].isna().tolist() == [True, False]
    assert "—" in a.compare_table(["zhenwu-m890"], ["bf16"])


def test_yaml_alias_bomb_refused_quickly(tmp_path):
    """A "billion laughs" file (9 levels of 9 aliases: 387 million values) is refused in
    well under a second, and so is an alias that contains itself."""
    import time

    from accelspec.hardware.catalog import read_yaml

    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    recursive = tmp_path / "rec.yaml"
    recursive.write_text("a: &a [1, *a]\n")
    for f in (bomb, recursive):
        t = time.perf_counter()
        with pytest.raises(a.SpecFileError, match="aliases expand to more than"):
            read_yaml(f)
        assert time.perf_counter() - t < 1.0
    fine = tmp_path / "fine.yaml"
    fine.write_text("x: &x {a: 1}\ny: *x\n")  # an ordinary alias still loads
    assert read_yaml(fine) == {"x": {"a": 1}, "y": {"a": 1}}


# --- overriding one field of a shipped chip (issue 10) ---------------------------------------------
OVERRIDE = """
sources:
  OEM-H20: {title: "Example OEM H20 SKU sheet", url: "https://example.com/h20", date: "2026-01"}
overrides:
  - chip: h20
    field: power.tdp
    value: 350 W
    source: OEM-H20
    status: reported
    quote: "TDP: 350 W"
"""


def test_override_one_field_of_a_shipped_chip(tmp_path, restore_catalog):
    shipped = a.get_chip("h20")
    path = _write(tmp_path, OVERRIDE, "h20-sku.yaml")
    changed = a.load_specs(path)
    chip = a.get_chip("h20")
    assert [c.id for c in changed] == ["h20"]
    assert chip.power.tdp.q == a.Q_("350 W") and chip.power.tdp.range is None  # the whole value replaced
    assert chip.memory.capacity == shipped.memory.capacity  # the rest is the shipped record
    prov = chip.provenance("power.tdp")
    assert prov.note == f"override from {path}" and prov.quote == "TDP: 350 W"
    assert prov.source.id == f"OEM-H20 (user file {path})" and prov.user_file == str(path)  # says where it is from
    assert chip.overrides == f"power.tdp overridden from {path}"
    assert "override from" in chip.describe()
    assert shipped.power.tdp.q == a.Q_("400 W")  # the shipped record is a different, unchanged object
    with pytest.raises(a.FrozenRecordError):
        shipped.power.tdp = chip.power.tdp


def test_override_errors_are_clear_and_all_or_nothing(tmp_path):
    body = OVERRIDE + """
  - {chip: h2O, field: power.tdp, value: 350 W, source: N5, status: reported}
  - {chip: h20, field: power.tpd, value: 350 W, source: N5, status: reported}
  - {chip: h20, field: memory.capacity, value: 96 GB, source: REF, status: reported}
  - {chip: h20, field: memory.bandwidth, value: 4 TB/s}
"""
    base = Catalog.load(env=False)
    with pytest.raises(a.SpecFileError) as err:
        base.with_files(_write(tmp_path, body, "bad.yaml"))
    text = str(err.value)
    assert "unknown chip 'h2O'; did you mean h20" in text
    assert "did you mean power.tdp?" in text
    assert "'REF' may not be cited" in text and "missing source, status" in text
    assert base.get("h20").power.tdp.q == a.Q_("400 W")
    twice = OVERRIDE + "  - {chip: h20, field: power.tdp, value: 300 W, source: OEM-H20, status: reported}\n"
    with pytest.raises(a.SpecFileError, match="overridden twice"):
        base.with_files(_write(tmp_path, twice, "twice.yaml"))


def test_override_cannot_redefine_a_shipped_source_or_appear_in_shipped_form(tmp_path):
    body = OVERRIDE.replace("OEM-H20", "N5")  # N5 is a shipped source id
    with pytest.raises(a.SpecFileError, match="'N5' is a shipped source"):
        Catalog.load(_write(tmp_path, body, "clash.yaml"), env=False)
    other = _write(tmp_path, OVERRIDE.replace("350 W", "300 W").replace("OEM-H20", "OEM2"), "other.yaml")
    with pytest.raises(a.SpecFileError, match="also overridden in"):
        Catalog.load(_write(tmp_path, OVERRIDE, "one.yaml"), other, env=False)


# --- the catalog cache -------------------------------------------------------------------------
def _dump(cat) -> dict[str, str]:
    return {c.id: c.model_dump_json() for c in cat}


def _shipped_copy(tmp_path, monkeypatch):
    """A copy of the shipped specs/ folder that the catalog reads instead, and a cache folder."""
    import shutil

    import accelspec.hardware.catalog as catmod

    specs = tmp_path / "specs"
    shutil.copytree(catmod.specs_dir(), specs)
    monkeypatch.setattr(catmod, "specs_dir", lambda: specs)
    monkeypatch.setenv("ACCELSPEC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ACCELSPEC_NO_CACHE", raising=False)
    return specs, tmp_path / "cache" / "catalog"


def test_catalog_cache_gives_the_validated_catalog_and_follows_edits(tmp_path, monkeypatch):
    specs, folder = _shipped_copy(tmp_path, monkeypatch)
    cold = Catalog.load(env=False)
    assert len(list(folder.glob("*.pickle"))) == 1
    warm = Catalog.load(env=False)
    assert _dump(warm) == _dump(cold) and warm.files == cold.files
    assert warm.get("H100").memory.capacity.q == a.Q_("80 GB")
    # an edited spec file is a new key: the edit shows, never the stale entry
    f = specs / "chips" / "nvidia.yaml"
    text = f.read_text(encoding="utf-8")
    assert "capacity: {value: 80 GB" in text or "value: 80 GB" in text
    f.write_text(text.replace("value: 80 GB", "value: 81 GB", 1), encoding="utf-8")
    edited = Catalog.load(env=False)
    assert len(list(folder.glob("*.pickle"))) == 2
    changed = [c for c in _dump(edited) if _dump(edited)[c] != _dump(cold)[c]]
    assert len(changed) == 1 and "81" in str(edited.get(changed[0]).memory.capacity)


def test_catalog_cache_survives_a_damaged_entry_and_a_read_only_folder(tmp_path, monkeypatch):
    _, folder = _shipped_copy(tmp_path, monkeypatch)
    cold = _dump(Catalog.load(env=False))
    (entry,) = folder.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    monkeypatch.setattr("accelspec.units._WARNED", False)
    with pytest.warns(RuntimeWarning, match="discarded the damaged or foreign entry"):
        assert _dump(Catalog.load(env=False)) == cold  # loaded from the files, entry rewritten
    assert entry.read_bytes() != b"not a pickle"
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ACCELSPEC_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert _dump(Catalog.load(env=False)) == cold
    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    assert _dump(Catalog.load(env=False)) == cold


def test_catalog_cache_keeps_few_entries(tmp_path, monkeypatch):
    import accelspec.hardware.catalog as catmod

    specs, folder = _shipped_copy(tmp_path, monkeypatch)
    f = specs / "sources.yaml"
    for i in range(catmod._CATALOG_CACHE_KEEP + 3):
        f.write_text(f.read_text(encoding="utf-8") + f"\n# edit {i}\n", encoding="utf-8")
        Catalog.load(env=False)
    assert len(list(folder.glob("*.pickle"))) == catmod._CATALOG_CACHE_KEEP


def test_warm_lookup_reads_one_record_and_user_files_still_apply(tmp_path, monkeypatch):
    _shipped_copy(tmp_path, monkeypatch)
    Catalog.load(env=False)
    warm = Catalog.load(env=False)
    unbuilt = warm._index.pending()
    assert unbuilt == len(warm)  # nothing unpickled yet
    assert warm.get("h100").id == "h100-sxm" and warm._index.pending() == unbuilt - 1  # one chip unpickled
    assert warm.get("H100 SXM") is warm.get("h100")  # one object per chip
    user = warm.with_files(_write(tmp_path, GOOD, "mine.yaml"))
    assert user.get("example-x1").vendor and len(user) == len(warm) + 1


def test_the_default_catalog_validates_a_record_on_first_read_and_caches_at_exit(tmp_path, monkeypatch):
    """A cold default catalog (what get_chip reads) checks every name at load, validates a chip
    when first read, gives the records an eager load gives, and is written to the catalog
    cache, validated, when the interpreter exits; the next start reads that entry."""
    import os
    import subprocess
    import sys

    import accelspec.hardware.catalog as catmod

    _, folder = _shipped_copy(tmp_path, monkeypatch)
    lazy = Catalog._load(shipped=True, env=False, lazy=True)
    assert lazy._index.pending() == len(lazy) > 100 and not list(folder.glob("*.pickle"))
    assert lazy.get("H100 SXM").memory.capacity.q == a.Q_("80 GB")
    assert lazy._index.pending() == len(lazy) - 1  # one chip validated
    eager = Catalog.load(env=False)
    assert _dump(lazy) == _dump(eager) and lazy.files == eager.files and lazy._index.pending() == 0
    assert lazy.get("h100") is lazy.get("h100-sxm")  # one object per chip

    code = ("import accelspec as a; from accelspec.hardware.catalog import default_catalog as d; "
            "a.get_chip('h100'); print(d()._index.pending(), len(d()))")
    env = {**os.environ, "ACCELSPEC_CACHE_DIR": str(tmp_path / "fresh")}
    env.pop("ACCELSPEC_NO_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
            for _ in range(2)]
    (entry,) = (tmp_path / "fresh" / "catalog").glob("*.pickle")  # written at the first run's exit
    n = int(runs[0].stdout.split()[1])
    assert runs[0].stdout.split() == [str(n - 1), str(n)]  # cold: one chip validated
    assert runs[1].stdout.split() == [str(n - 1), str(n)]  # warm: one chip unpickled
    assert catmod._PENDING is None or catmod._PENDING[0] != entry


def test_a_bad_shipped_record_is_named_when_read_and_a_name_clash_at_load(tmp_path, monkeypatch):
    specs, _ = _shipped_copy(tmp_path, monkeypatch)
    f = specs / "chips" / "nvidia.yaml"
    text = f.read_text(encoding="utf-8")
    f.write_text(text.replace("value: 80 GB", "value: 80 GB/s", 1), encoding="utf-8")
    (bad,) = [r["id"] for r in yaml.safe_load(f.read_text(encoding="utf-8"))["chips"]
              if (r.get("memory") or {}).get("capacity", {}).get("value") == "80 GB/s"]
    lazy = Catalog._load(shipped=True, env=False, lazy=True)  # names are fine: it loads
    assert lazy.get("h200").id == "h200-sxm"
    for _ in range(2):  # and says so on every read
        with pytest.raises(a.SpecFileError, match=rf"nvidia\.yaml.*{bad}.*memory\.capacity") as err:
            lazy.get(bad)
        assert err.value.record == bad
    with pytest.raises(a.SpecFileError, match=r"nvidia\.yaml"):
        Catalog.load(env=False)  # an eager load refuses the file at once
    f.write_text(text, encoding="utf-8")
    g = specs / "chips" / "google.yaml"
    g.write_text(g.read_text(encoding="utf-8").replace("aliases: [", "aliases: [H100 SXM, ", 1), encoding="utf-8")
    with pytest.raises(a.SpecFileError, match="already used by chip"):
        Catalog._load(shipped=True, env=False, lazy=True)  # a name clash: at load, as before


def test_catalog_cache_key_follows_the_package_modules(tmp_path, monkeypatch):
    import os

    import accelspec.hardware.catalog as catmod

    monkeypatch.setenv("ACCELSPEC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ACCELSPEC_NO_CACHE", raising=False)
    files = sorted((catmod.specs_dir() / "chips").glob("*.yaml"))
    stamp = catmod._package_stamp()
    assert "/chip.py|" in stamp and "/perf/bounds.py|" in stamp and "__pycache__" not in stamp
    key = catmod._catalog_cache_file(files)
    module = Path(catmod.__file__).with_name("chip.py")
    st = module.stat()
    try:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # "edited" a second later
        assert catmod._catalog_cache_file(files) != key
    finally:
        os.utime(module, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert catmod._catalog_cache_file(files) == key
    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    assert catmod._catalog_cache_file(files) is None


# --- shared records cannot be changed by a caller (issue 23) -------------------------------------
@pytest.mark.parametrize("change", [
    lambda v: v.ito("GiB"),
    lambda v: v.q.ito("GiB"),
    lambda v: v.value.ito("GiB"),
    lambda v: v.ito_base_units(),
    lambda v: v.q.ito_reduced_units(),
    lambda v: v.ito_root_units(),
])
def test_in_place_conversions_never_reach_a_catalog_record(change):
    with pytest.raises(a.FrozenRecordError, match="read-only"):
        change(a.get_chip("h100").memory.capacity)
    assert str(a.get_chip("h100").memory.capacity) == "80 GB"
    with pytest.raises(a.FrozenRecordError):
        change(a.get_chip("h100").compute.dense["bf16"])
    assert str(a.get_chip("h100").compute.dense["bf16"]) == "989.5 TFLOPS"


def test_in_place_operators_and_array_writes_never_reach_a_record():
    import copy

    import numpy as np

    from accelspec.units import frozen_quantity

    spec = a.get_chip("h100").memory.capacity
    q = spec.q
    q += a.Q_("1 GB")
    q *= 2
    assert str(q) == "162 GB" and str(spec) == "80 GB"
    mine = spec.to("GiB")  # a converted copy is the caller's own
    mine.ito("GB")
    assert str(a.get_chip("h100").memory.capacity) == "80 GB"
    free = copy.copy(spec.q)
    free.ito("GiB")
    assert str(spec) == "80 GB"
    given = a.Q_(np.array([80.0, 96.0]), "GB")  # an array-valued quantity kept by a record
    arr = frozen_quantity(given)
    with pytest.raises(ValueError):
        arr.magnitude[0] = 1.0
    with pytest.raises(a.FrozenRecordError):
        arr[0] = a.Q_(1, "GB")
    given.magnitude[1] = 0.0  # the caller's own array is not the record's
    assert list(arr.magnitude) == [80.0, 96.0]


def test_frozen_values_survive_the_catalog_cache_and_pickle():
    import pickle

    from accelspec.units import FrozenQuantity

    spec = a.get_chip("h100").memory.capacity
    assert type(spec.value) is FrozenQuantity and type(spec * 2) is not FrozenQuantity
    back = pickle.loads(pickle.dumps(spec))
    assert type(back.value) is FrozenQuantity and back == spec


# --- a user file's values say so wherever they appear (issue 23) ---------------------------------
FORGED = """
chips:
  - id: h100-sxm
    name: H100 SXM
    vendor: NVIDIA
    memory:
      capacity: {value: 800 GB, source: N3, status: official}
"""


def test_a_user_record_citing_a_shipped_source_is_marked_in_every_output(tmp_path, restore_catalog, capsys):
    import json

    from accelspec.cli import main
    from accelspec.io.export import chip_row
    from accelspec.provenance import quantity_out

    path = _write(tmp_path, FORGED, "forged.yaml")
    a.load_specs(path)
    chip = a.get_chip("h100-sxm")
    mark = f"(user file {path})"
    prov = chip.provenance("memory.capacity")
    assert prov.status.value == "official" and prov.user_file == str(path)  # status stays as given
    assert f"[official {mark}]" in prov.describe() and f"[N3 {mark}]" in prov.describe()
    assert "not the shipped catalog" in prov.source.cite()
    assert quantity_out(prov)["source"] == f"N3 {mark}"
    assert chip_row(chip)["memory.capacity.source"] == f"N3 {mark}"
    table = a.compare_table(["h100-sxm", "h200"], fields=["memory.capacity"])
    assert f"[N3 {mark}]" in table
    assert main(["show", "h100-sxm", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert mark in json.dumps(shown)
    # a shipped value is unmarked
    assert a.get_chip("h200").provenance("memory.capacity").user_file is None


@pytest.mark.parametrize("kind, body", [
    ("system", """
sources: {S001: {title: "my own S001", date: "2025"}}
systems:
  - {id: mine, name: Mine, vendor: Me, chip: h100, count: {value: 4, source: S001, status: official}}
"""),
    ("claim", """
sources: {N3: {title: "my own N3", date: "2025"}}
claims: []
"""),
    ("model", """
sources: {N3: {title: "my own N3", date: "2025"}}
models: []
"""),
])
def test_no_user_file_redefines_a_shipped_source(tmp_path, kind, body):
    from accelspec.claims.statements import load_claims

    path = _write(tmp_path, body, f"{kind}.yaml")
    load = {"system": a.load_systems, "claim": load_claims, "model": a.load_models}[kind]
    sid = "S001" if kind == "system" else "N3"
    with pytest.raises(a.SpecFileError, match=f"source id '{sid}' is a shipped source") as exc:
        load(path)
    assert str(path.name) in str(exc.value) and exc.value.record == f"source {sid}"


def test_a_new_user_chip_is_marked_only_where_it_cites_a_shipped_source(tmp_path, restore_catalog):
    path = _write(tmp_path, """
sources:
  MINE: {title: "my lab's measurement", date: "2026"}
chips:
  - id: my-x1
    name: My X1
    vendor: Me
    memory:
      capacity: {value: 96 GB, source: MINE, status: reported}
      bandwidth: {value: 3 TB/s, source: N3, status: official}
""", "new.yaml")
    a.load_specs(path)
    chip = a.get_chip("my-x1")
    assert chip.memory.capacity.user_file is None and chip.memory.capacity.source.id == "MINE"
    assert chip.memory.bandwidth.user_file == str(path)
    assert chip.memory.bandwidth.source.id == f"N3 (user file {path})"
    assert a.get_chip("h100").memory.bandwidth.source.id == "N3"  # the shipped record is untouched


@pytest.mark.parametrize("chip_id,path,value,source", [
    ("groq-lpu", "memory.on_chip_bandwidth", "80 TB/s", "GROQ-CARD"),
    ("cerebras-wse3", "memory.on_chip_bandwidth", "21 PB/s", "CS-WSE3"),
    ("cerebras-wse2", "memory.on_chip_bandwidth", "20 PB/s", "CS-WSE2"),
    ("sambanova-sn40l", "memory.bandwidth", "1.6 TB/s", "SN40L-HC24-SLIDES"),
    ("sambanova-sn40l", "memory.tiers.0.capacity", "1.5 TB", "SN40L-HC24-SLIDES"),
])
def test_memory_tier_figures_are_sourced(chip_id, path, value, source):
    chip = a.get_chip(chip_id)
    prov = chip.provenance(path)
    assert prov.q == a.Q_(value)
    assert prov.source.id == source and prov.source.url and prov.source.date
    assert path in dict(chip.fields())  # listed, so the source checks above cover it


def test_sn40l_hbm_bandwidth_is_derived_and_says_how():
    chip = a.get_chip("sambanova-sn40l")
    bw = chip.provenance("memory.bandwidth")
    assert bw.status is a.Status.derived and "25.6 TB/s" in bw.basis and "/ 16" in bw.basis
    ddr = chip.memory.tiers[0]
    assert ddr.name == "DDR" and ddr.bandwidth is None  # not published unambiguously: left out
    assert chip.memory.on_chip_bandwidth is None  # only "PBs per sec" published
    with pytest.raises(a.NotPublishedError):
        chip.provenance("memory.on_chip_bandwidth")


def test_sram_only_chips_read_their_sram():
    for chip_id in ("groq-lpu", "cerebras-wse2", "cerebras-wse3"):
        mem = a.get_chip(chip_id).memory
        assert mem.capacity is None and mem.bandwidth.q == mem.on_chip_bandwidth.q
