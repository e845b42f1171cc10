import math

import pint
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accelspec as a
from accelspec.hardware.chip import BandwidthSpec, Link, LinkBandwidth
from accelspec.testing import SOURCE, magnitudes
from accelspec.units import UnitError, check_dimension, format_quantity, parse_quantity


def test_one_registry_is_the_application_registry():
    assert pint.get_application_registry().get() is a.ureg or pint.get_application_registry() is a.ureg
    assert a.Q_(1, "GB")._REGISTRY is a.ureg


def test_decimal_and_binary_bytes_are_distinct():
    assert a.Q_(1, "GB").to("B").m == 10**9
    assert a.Q_(1, "GiB").to("B").m == 2**30
    assert a.Q_(1, "TB/s").to("GB/s").m == pytest.approx(1000)
    assert a.Q_(80, "GB").to("GiB").m == pytest.approx(74.50580596923828)


def test_flop_op_token_dimensions():
    assert a.Q_("989.5 TFLOPS").to("FLOP/s").m == pytest.approx(989.5e12)
    assert a.Q_("2 PFLOP/s").to("TFLOPS").m == pytest.approx(2000)
    with pytest.raises(pint.DimensionalityError):
        a.Q_("1 TOPS").to("TFLOPS")  # integer ops are not FLOPs
    rate = a.Q_("100 token/s") * a.Q_("2 B/token")
    assert rate.to("B/s").m == pytest.approx(200)
    assert (a.Q_("989.5 TFLOPS") / a.Q_("3.35 TB/s")).to("FLOP/B").m == pytest.approx(295.3731, rel=1e-6)


def test_format_spec_keeps_abbreviated_units():
    assert f"{a.Q_(144, 'GB').to('GiB'):.1f}" == "134.1 GiB"
    assert str(a.Q_(3.35, "TB/s")) == "3.35 TB/s"


def test_network_bits():
    # networking writes Gb/s and Tb/s; b is the bit (not the barn, not the gilbert)
    assert a.Q_("400 Gb/s").to("GB/s").m == pytest.approx(50)
    assert a.Q_("25.6 Tb/s").to("GB/s").m == pytest.approx(3200)
    assert a.Q_("224 Gbit/s").to("GB/s").m == pytest.approx(28)


def test_bytes_are_not_dimensionless():
    with pytest.raises(UnitError, match=r"\[information\]"):
        check_dimension(a.Q_("80 GB"), "", "ratio")


@pytest.mark.parametrize(
    "text,unit",
    [("3.35 TB/s", "GB/s"), ("95 GiB", "GB"), ("1,979 TOPS", "TOPS"), ("500 image/s/W", "image/s/W")],
)
def test_parse_checks_dimension(text, unit):
    assert parse_quantity(text, unit).check(a.ureg.Unit(unit).dimensionality)


def test_parse_errors_are_clear():
    with pytest.raises(UnitError, match=r"memory\.bandwidth: expected a quantity like 'GB/s'"):
        parse_quantity("80 GB", "GB/s", "memory.bandwidth")
    with pytest.raises(UnitError, match="bare number"):
        parse_quantity(80, "GB", "memory.capacity")
    with pytest.raises(UnitError, match="cannot parse"):
        parse_quantity("80 gigaflobs", "GB")


@given(magnitudes())
def test_gb_gib_round_trip(m):
    q = a.Q_(m, "GB")
    assert q.to("GiB").to("GB").m == pytest.approx(m, rel=1e-12)
    assert q.to("GiB").m == pytest.approx(m * 1e9 / 2**30, rel=1e-12)
    assert q.to("GiB").m < m  # a GiB is bigger than a GB


@given(magnitudes(), st.sampled_from(["GB", "GiB", "TB/s", "GB/s", "TFLOPS", "TOPS", "W", "B/token"]))
def test_format_parse_round_trip_is_exact(m, unit):
    q = a.Q_(m, unit)
    back = parse_quantity(format_quantity(q))
    assert back.units == q.units and back.m == q.m


@given(magnitudes(1, 1e5), st.sampled_from(["bidirectional", "per_direction", "unspecified"]))
def test_per_direction_from_any_total(m, direction):
    bw = LinkBandwidth(value=a.Q_(m, "GB/s"), direction=direction, source=SOURCE, status="official")
    per = Link(bandwidth=bw).per_direction()
    if direction == "bidirectional":
        assert per.q.m_as("GB/s") == pytest.approx(m / 2)
        assert per.status is a.Status.derived
    elif direction == "per_direction":
        assert per.q == bw.q
    else:  # both readings are covered by the range
        assert per.low.m_as("GB/s") == pytest.approx(m / 2) and per.high.m_as("GB/s") == pytest.approx(m)
        assert per.status is a.Status.derived


def test_quantity_type_pydantic_field():
    from pydantic import BaseModel, ValidationError

    class M(BaseModel):
        bw: a.quantity_type("TB/s")

    m = M(bw="3.35 TB/s")
    assert m.model_dump_json() == '{"bw":"3.35 TB/s"}'
    assert M.model_validate_json(m.model_dump_json()) == m
    assert M(bw={"magnitude": 3350, "units": "GB/s"}).bw.m_as("TB/s") == pytest.approx(3.35)
    with pytest.raises(ValidationError, match="expected a quantity like 'TB/s'"):
        M(bw="80 GB")
    with pytest.raises(ValidationError, match="bare number"):
        M(bw=3.35)


def test_spec_behaves_like_a_quantity():
    s = BandwidthSpec(value="3.35 TB/s", source=SOURCE, status="official")
    assert s.to("GB/s").m == pytest.approx(3350)
    assert (2 * s).m_as("TB/s") == pytest.approx(6.7)
    assert (a.Q_(1, "s") * s).m_as("TB") == pytest.approx(3.35)
    assert s > a.Q_("3 TB/s")
    assert str(s) == "3.35 TB/s"
    assert math.isclose(float(s / a.Q_("1 TB/s")), 3.35)


def test_registry_builds_without_a_writable_cache(tmp_path):
    """The unit registry's definition cache is optional: a cache folder that cannot be created
    (here: below a regular file) or caching turned off gives the same registry."""
    import subprocess
    import sys

    blocker = tmp_path / "file"
    blocker.write_text("")
    code = "import accelspec as a; print(a.Q_('400 Gb/s').to('GB/s'), a.Q_('1 TFLOPS').to('FLOP/s'))"
    outs = set()
    for env in ({"ACCELSPEC_CACHE_DIR": str(blocker / "cache")}, {"ACCELSPEC_NO_CACHE": "1"},
                {"ACCELSPEC_CACHE_DIR": str(tmp_path / "c")}, {"ACCELSPEC_CACHE_DIR": str(tmp_path / "c")}):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**__import__("os").environ, **env}, check=True)
        outs.add(proc.stdout.strip())
    assert outs == {"50.0 GB/s 1000000000000.0 FLOP/s"}
    assert list((tmp_path / "c").glob("units-*.pickle")), "the cache was written where it could be"


def test_every_pint_unit_stays_when_contexts_and_foreign_systems_are_left_out():
    """The registry leaves out pint's physics contexts and the cgs/imperial/US/atomic/Planck
    systems (faster to build); every unit pint defines is still there, and mks stays the
    default system, so ``to_base_units`` is unchanged."""
    import pint

    from accelspec.units import ureg

    plain = pint.UnitRegistry()
    missing = sorted(n for n in plain._units if n in plain and n not in ureg)
    assert missing == [], missing
    assert str(ureg.Quantity(1, "Gb").to("MB")) == "125.0 MB"  # Gb is the gigabit here, not the gilbert
    assert sorted(ureg._systems) == ["SI", "mks"] and ureg.default_system == "mks"
    assert str(ureg.Quantity(1, "kW").to_base_units()) == "1000.0 kg·m²/s³"
    assert ureg.Quantity(1, "mile").to("km").magnitude == pytest.approx(1.609344)
    assert ureg.Quantity(3, "kWh").to("MJ").magnitude == pytest.approx(10.8)


def test_stale_definition_files_are_pruned(tmp_path, monkeypatch):
    """Old definition entries (other pint versions) are pruned to the newest 8; a file accelspec
    did not write (no entry header, or another name) is never deleted."""
    import os
    import subprocess
    import sys

    from accelspec import units

    monkeypatch.setenv("ACCELSPEC_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ACCELSPEC_NO_CACHE", raising=False)
    for i in range(12):
        assert units.write_entry(tmp_path / f"units-{i:016x}.pickle", b"an older pint")
    (tmp_path / "units-stale00.pickle").write_text("# not ours\n")
    foreign = tmp_path / f"units-{99:016x}.pickle"
    foreign.write_text("# ours by name, not by header\n")
    os.utime(foreign, (1, 1))  # the oldest: beyond the 8 kept, yet never deleted
    code = "import accelspec as a; print(a.Q_('400 Gb/s').to('GB/s'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "ACCELSPEC_CACHE_DIR": str(tmp_path)}).stdout
    assert out.strip() == "50.0 GB/s"
    ours = [f for f in tmp_path.glob("units-*.pickle") if f.read_bytes().startswith(b"# accelspec-cache 1 ")]
    assert len(ours) == 8
    assert (tmp_path / "units-stale00.pickle").exists() and foreign.exists()


@pytest.mark.parametrize("source", ["table", "parser"])
def test_the_fast_registry_gives_pint_s_own_answers(source, tmp_path, monkeypatch):
    """The registry's definitions come from the shipped table or accelspec's direct line parser,
    and its conversion table fills on first use (a cold start in a fraction of the time); built
    by pint's own parser and table from the same text, every unit, prefix, dimension, group and
    system is the same, and so is every unit's factor and dimension, and the compatible units."""
    import pint

    from accelspec import units

    monkeypatch.setenv("ACCELSPEC_NO_CACHE", "1")
    if source == "parser":
        monkeypatch.setattr(units, "DEFINITIONS_TABLE", tmp_path / "none.json")
    ref = pint.UnitRegistry(units._definitions_text().splitlines(), cache_folder=None)
    reg = units._Registry(units._Definitions(), cache_folder=None)  # as units.ureg is built
    assert isinstance(units.ureg, units._Registry)
    for table in ("_prefixes", "_dimensions", "_groups", "_systems"):
        assert set(getattr(ref, table)) == set(getattr(reg, table)), table
    assert set(ref._units) - set(reg._units) <= {n for n in ref._units if ref.parse_unit_name(n)[0][0]}
    assert {k: sorted(g.members) for k, g in ref._groups.items()} == {k: sorted(g.members) for k, g in
                                                                     reg._groups.items()}
    assert {k: sorted(s.members) for k, s in ref._systems.items()} == {k: sorted(s.members) for k, s in
                                                                      reg._systems.items()}
    checked = 0
    for name in sorted(set(ref._units)):
        try:
            want = ref.parse_units(name)._units
        except pint.errors.UndefinedUnitError:  # pint's own constants such as R_
            continue
        got = reg.parse_units(name)._units
        assert reg._get_root_units(got) == ref._get_root_units(want), name
        assert reg._get_dimensionality(got) == ref._get_dimensionality(want), name
        checked += 1
    assert checked > 900
    for unit in ("GB", "W", "s", "FLOP/s"):
        assert sorted(f"{u:~P}" for u in reg.get_compatible_units(unit)) == sorted(
            f"{u:~P}" for u in ref.get_compatible_units(unit)), unit


def _plain_fields(obj):
    """A definition as its constructor arguments, recursively (positions in the text left out)."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return (type(obj), tuple(_plain_fields(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init))
    if isinstance(obj, tuple):
        return tuple(_plain_fields(x) for x in obj)
    return obj


def test_the_shipped_definitions_table_is_the_parse_of_this_pint_s_text():
    """accelspec/unit_definitions.json spares a first start the parse; made for one pint version,
    it must hold exactly what the parser gives (else: ``python -m accelspec.io.docgen``)."""
    import json

    import pint

    from accelspec import units

    table = json.loads(units.DEFINITIONS_TABLE.read_text(encoding="utf-8"))
    if table["pint"] != pint.__version__:
        pytest.skip(f"the table is for pint {table['pint']}; this is {pint.__version__} (it parses instead)")
    text = units._definitions_text()
    assert table["key"] == units._table_key(text), "stale table: run `python -m accelspec.io.docgen`"
    got = units._table_definitions(text)
    assert got is not None
    want = units._parse_definitions(text.splitlines(), units.ureg)
    assert [_plain_fields(d) for d in got] == [_plain_fields(d) for d in want]


def test_a_definitions_table_for_other_text_or_naming_other_classes_is_not_used(tmp_path, monkeypatch):
    import json

    from accelspec import units

    text = units._definitions_text()
    table = json.loads(units.DEFINITIONS_TABLE.read_text(encoding="utf-8"))
    fake = tmp_path / "table.json"
    monkeypatch.setattr(units, "DEFINITIONS_TABLE", fake)
    fake.write_text(json.dumps({**table, "key": units._table_key(text + "x")}), encoding="utf-8")
    assert units._table_definitions(text) is None  # made from other text
    evil = {"$": "os.system", "f": ["touch " + str(tmp_path / "PWNED")]}
    fake.write_text(json.dumps({**table, "key": units._table_key(text), "definitions": [evil]}), encoding="utf-8")
    assert units._table_definitions(text) is None  # a class outside pint's definition types
    assert not (tmp_path / "PWNED").exists()
    fake.write_text(json.dumps({**table, "key": units._table_key(text)}), encoding="utf-8")
    assert units._table_definitions(text) is not None
