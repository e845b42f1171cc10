"""accelspec.index: the one named index behind chips, models and systems."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

import accelspec as a
from accelspec.errors import SpecFileError, UnknownModelError, UnknownNameError
from accelspec.index import NamedIndex, normalize_name


@dataclass(frozen=True)
class Rec:
    id: str
    name: str
    aliases: tuple[str, ...] = field(default=())
    origin: str = "a.yaml"
    size: int | None = None


def _names(r: Rec) -> list[str]:
    return [r.id, r.name, *r.aliases]


def _index(*recs: Rec) -> NamedIndex[Rec]:
    return NamedIndex("widget", UnknownNameError, _names).with_records(recs, "a.yaml")


def test_lookup_by_id_name_alias_ignoring_case_and_punctuation():
    idx = _index(Rec("h100-sxm", "H100 SXM5", ("h100",)), Rec("b200", "B200"))
    assert normalize_name("H100-SXM") == normalize_name("h100 sxm") == "h100sxm"
    assert idx.get("H100_SXM").id == "h100-sxm"
    assert idx.get("h100 sxm5").id == "h100-sxm"
    assert idx.get("H100").id == "h100-sxm"
    assert "b-200" in idx and "b300" not in idx
    assert len(idx) == 2 and idx.ids() == ["h100-sxm", "b200"]


def test_unknown_name_suggests_nearest():
    idx = _index(Rec("h100-sxm", "H100 SXM5"), Rec("h200-sxm", "H200 SXM"), Rec("mi300x", "MI300X"))
    with pytest.raises(UnknownNameError, match=r"unknown name 'h10'.*'h100-sxm'") as exc:
        idx.get("h10")
    assert exc.value.suggestions[0] == "h100-sxm"
    assert isinstance(exc.value, LookupError)


def test_loading_is_all_or_nothing():
    idx = _index(Rec("x", "X", ("ex",)))
    with pytest.raises(SpecFileError, match=r"b\.yaml: 'y': field aliases: name or alias 'ex' is already used by "
                                            r"widget 'x' \(a\.yaml\)"):
        idx.with_records([Rec("z", "Z"), Rec("y", "Y", ("ex",))], "b.yaml", origin=lambda r: r.origin)
    assert idx.ids() == ["x"] and "z" not in idx  # unchanged: the new index was never swapped in
    with pytest.raises(SpecFileError, match="duplicate widget id"):
        idx.with_records([Rec("x", "Other")], "b.yaml")
    replaced = idx.with_records([Rec("x", "New X")], "user.yaml", replace=True)
    assert replaced.get("new x").name == "New X" and "ex" not in replaced and "ex" in idx


def test_find_skips_records_missing_a_field():
    idx = _index(Rec("a", "A", size=3), Rec("b", "B"), Rec("c", "C", size=9))
    assert [r.id for r in idx.find(lambda r: r.size > 4)] == ["c"]  # None > 4 raises TypeError: skipped
    assert [r.id for r in idx.find(name="B")] == ["b"]


def test_model_catalog_uses_it():
    assert a.get_model("Llama-3.1-8B").id == "llama-3.1-8b"
    with pytest.raises(UnknownModelError, match=r"llama-3\.1-8b"):
        a.get_model("llama 3.1 8")


def test_chips_models_and_systems_are_all_named_indexes():
    from accelspec.hardware.catalog import default_catalog
    from accelspec.hardware.system import _catalog
    from accelspec.model.catalog import default_model_catalog

    indexes = {"chip": default_catalog()._index, "model": default_model_catalog()._index, "system": _catalog()}
    for kind, idx in indexes.items():
        assert isinstance(idx, NamedIndex) and idx.kind == kind
    with pytest.raises(a.UnknownChipError) as chip_err:
        a.get_chip("h1000")
    with pytest.raises(a.UnknownSystemError) as sys_err:
        a.get_system("gb200 nvl7")
    assert "h100-sxm" in chip_err.value.suggestions and sys_err.value.suggestions[0] == "gb200-nvl72"


def test_suggest_across_indexes_merges_names():
    from accelspec.index import suggest_across

    one = _index(Rec("h100-sxm", "H100 SXM5"))
    two = NamedIndex("rack", UnknownNameError, _names).with_records([Rec("hgx-h100", "HGX H100")], "b.yaml")
    assert set(suggest_across("h100", one, two)) == {"h100-sxm", "hgx-h100"}
    assert one.key_of("H100 sxm5") == "h100-sxm" and one.key_of("nope") is None
    assert one.by_id("h100-sxm").name == "H100 SXM5" and one.by_id("H100 SXM5") is None
    with pytest.raises(TypeError):
        one.keys["x"] = "y"  # read-only view


def test_freeze_and_thaw_unpickle_each_record_once_on_first_read():
    from concurrent.futures import ThreadPoolExecutor

    idx = _index(Rec("h100-sxm", "H100 SXM5", ("h100",)), Rec("b200", "B200"))
    thawed = idx.thaw(idx.freeze())
    assert thawed.kind == "widget" and len(thawed) == 2 and "h100" in thawed
    assert thawed.pending() == 2  # nothing unpickled yet
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: thawed.get("H100"), range(64)))
    assert all(g is got[0] for g in got) and got[0] == idx.get("h100")
    assert thawed.pending() == 1
    assert [r.id for r in thawed] == ["h100-sxm", "b200"]
    with pytest.raises(UnknownNameError, match="did you mean 'b200'"):
        thawed.get("b20")
    grown = thawed.with_records([Rec("mi300x", "MI300X")], "b.yaml")
    assert grown.ids() == ["h100-sxm", "b200", "mi300x"] and len(thawed) == 2
    for bad in (None, ({"x": "missing"}, {}), ([], {})):
        with pytest.raises((ValueError, TypeError)):
            idx.thaw(bad)


def test_paused_gc_restores_the_collector_as_it_found_it():
    import gc
    import subprocess
    import sys

    from accelspec.index import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one found it off
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # a caller's gc.disable() is kept
    finally:
        gc.enable()
    with pytest.raises(KeyError):
        with paused_gc():
            {}["missing"]
    assert gc.isenabled()
    code = ("import gc; import accelspec as a; a.get_chip('h100'); on = gc.isenabled(); gc.disable(); "
            "a.reload(); print(on, gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]  # import leaves it on; a load leaves a caller's choice alone


def test_concurrent_load_models_lose_no_model(tmp_path):
    """Each load_models call builds on the catalog the previous one left, under a lock."""
    from concurrent.futures import ThreadPoolExecutor

    import accelspec.model.catalog as modcat

    config = next(iter(sorted((modcat.specs_dir() / "models" / "configs").rglob("*.json"))))
    paths = []
    for i in range(16):
        f = tmp_path / f"m{i}.yaml"
        f.write_text(f"models:\n  - {{id: user-{i}, name: User {i}, config: {config}}}\n", encoding="utf-8")
        paths.append(f)
    saved = modcat._DEFAULT
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(a.load_models, paths))
        assert all(a.get_model(f"user-{i}").id == f"user-{i}" for i in range(16))
    finally:
        modcat._DEFAULT = saved
