"""Systems: sourced aggregates of catalog chips; totals derived as count x chip value."""

from __future__ import annotations

import textwrap

import pytest

import accelspec as a
from accelspec.hardware.system import System, get_system, load_systems, systems

EXPECTED_IDS = {
    "dgx-h100", "hgx-h200", "dgx-b200", "gb200-nvl72", "gb300-nvl72", "cloudmatrix384",
    "atlas-950-superpod", "tpu-v5p-pod", "tpu-v6e-pod", "tpu7x-pod", "trn2-ultraserver",
    "mi355x-platform", "zhenwu-al128", "tianchi-256", "tianchi-512", "sanjiangyuan-16384",
}


def test_catalog_holds_the_issue_systems():
    assert {s.id for s in systems()} >= EXPECTED_IDS


@pytest.mark.parametrize("sid,count", [
    ("gb200-nvl72", 72), ("gb300-nvl72", 72), ("dgx-h100", 8), ("hgx-h200", 8), ("dgx-b200", 8),
    ("cloudmatrix384", 384), ("atlas-950-superpod", 8192), ("tpu-v5p-pod", 8960), ("tpu-v6e-pod", 256),
    ("tpu7x-pod", 9216), ("trn2-ultraserver", 64), ("mi355x-platform", 8), ("sanjiangyuan-16384", 16384),
])
def test_counts_as_published(sid, count):
    assert get_system(sid).n_chips == count


def test_every_chip_exists_and_every_number_is_sourced():
    for s in systems():
        assert s.chip in a.chips.__globals__["default_catalog"]()  # chip id is in the chip catalog
        assert s.count.source.title and s.count.status
        if s.scale_up and s.scale_up.per_chip is not None:
            assert s.scale_up.per_chip.direction is not None


def test_aliases_and_suggestions():
    assert get_system("GB200 NVL72 rack").id == "gb200-nvl72"
    assert get_system("cm384").id == "cloudmatrix384"
    assert get_system("天池512").id == "tianchi-512"
    with pytest.raises(a.UnknownSystemError) as exc:
        get_system("cloudmatrx")
    assert "cloudmatrix384" in exc.value.suggestions
    assert isinstance(exc.value, LookupError)


def test_totals_are_derived_with_formula():
    s = get_system("gb200-nvl72")
    # 72 x 2,500 TFLOPS dense bf16 = 180 PFLOPS (N7 Table 2 prints 180 PFLOPS per rack)
    assert s.total_bf16.to("PFLOPS").magnitude == pytest.approx(180)
    assert s.total_bf16.status == a.Status.derived
    assert s.total_bf16.basis.startswith("72 x 2500 TFLOPS")
    # 72 x 186 GB = 13.392 TB (N7 prints 13.5 TB: 187.5 GB per GPU)
    assert s.total_hbm.to("TB").magnitude == pytest.approx(13.392)
    assert s.total_hbm.basis.startswith("72 x 186 GB")
    # 72 x 1.8 TB/s = 129.6 TB/s both directions (N7 rounds to 130 TB/s)
    bw = s.total_scale_up_bandwidth
    assert bw.to("TB/s").magnitude == pytest.approx(129.6)
    assert bw.direction == a.Direction.bidirectional


def test_cloudmatrix_scale_up_is_one_way():
    s = get_system("cloudmatrix384")
    assert s.scale_up.per_chip.direction == a.Direction.per_direction
    assert s.scale_up.per_chip.to("GB/s").magnitude == 392
    # 384 x 392 GB/s = 150.528 TB/s one way
    assert s.total_scale_up_bandwidth.to("TB/s").magnitude == pytest.approx(150.528)
    assert s.total_hbm.to("TB").magnitude == pytest.approx(384 * 128 / 1000)


def test_unknowns_stay_unknown():
    t = get_system("tianchi-256")
    # Baidu World 2025 (K2) published the domain size (256 interconnected cards), nothing absolute
    assert t.scale_up.per_chip is None and t.power is None and t.total_bf16 is None
    assert t.total_scale_up_bandwidth is None
    assert get_system("zhenwu-al128").total_bf16 is None  # M890 has no published peak
    assert get_system("gb200-nvl72").power is None


def test_system_is_frozen():
    s = get_system("dgx-h100")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance ValidationError
        s.chip = "b200"  # type: ignore[misc]


def test_deployment_on_part_of_a_system():
    d = a.Deployment("gb200-nvl72", n_chips=8, parallelism="tp=8")
    assert isinstance(d, a.Deployment) and d.n_chips == 8 and d.chip.id == "gb200"
    fit = d.fits("deepseek-v3", 131072)
    assert fit.fits
    # DeepSeek-V3 weights (~671e9 fp8 + bf16 rest) over 8 GPUs: far below 186 GB, above 671/8 = 83.9 GB
    assert 83 < fit.required.to("GB").magnitude < 186
    assert a.Deployment("cloudmatrix384").n_chips == 384
    with pytest.raises(a.DeploymentError, match="from 1 to 72"):
        a.Deployment("gb200-nvl72", n_chips=73)


def _write(tmp_path, body):
    p = tmp_path / "sys.yaml"
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


def test_unknown_chip_is_an_error_naming_file_system_field(tmp_path):
    p = _write(tmp_path, """
        sources: {X: {title: t, url: "https://example.org", date: "2025"}}
        systems:
          - {id: bad, name: Bad, vendor: V, chip: h1000, count: {value: 8, source: X, status: official}}
    """)
    before = {s.id for s in systems()}
    with pytest.raises(a.SpecFileError) as exc:
        load_systems(p)
    assert exc.value.record == "bad" and exc.value.field == "chip"
    assert {s.id for s in systems()} == before  # all or nothing


def test_typed_in_total_is_refused(tmp_path):
    p = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: bad, name: Bad, vendor: V, chip: h100-sxm, count: {value: 8, source: X, status: official},
             total_hbm: 640 GB}
    """)
    with pytest.raises(a.SpecFileError, match="total_hbm"):
        load_systems(p)


def test_fractional_count_is_refused(tmp_path):
    p = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: bad, name: Bad, vendor: V, chip: h100-sxm, count: {value: 7.5, source: X, status: official}}
    """)
    with pytest.raises(a.SpecFileError, match="whole number"):
        load_systems(p)


def test_user_file_adds_a_system(tmp_path):
    p = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: my-4x-h100, name: My 4x H100, vendor: Me, chip: h100, count: {value: 4, source: X, status: official}}
    """)
    try:
        load_systems(p)
        s = get_system("my 4x h100")
        assert isinstance(s, System)
        assert s.total_hbm.to("GB").magnitude == pytest.approx(320)  # 4 x 80 GB
        assert s.chip == "h100-sxm"  # alias stored as the catalog id
    finally:
        load_systems()


def test_cli(capsys):
    from accelspec.cli import main

    assert main(["systems"]) == 0
    out = capsys.readouterr().out
    assert "gb200-nvl72" in out and "cloudmatrix384" in out
    assert main(["show-system", "nvl72"]) == 0
    assert "129.6 TB/s" in capsys.readouterr().out
    assert main(["show-system", "cloudmatrx"]) == 2
    assert "cloudmatrix384" in capsys.readouterr().err


def test_deepseek_v3_on_16_chips_of_cloudmatrix384():
    d = a.Deployment("cloudmatrix384", n_chips=16, parallelism="tp=16")
    fit = d.fits("deepseek-v3", 131072)
    assert fit.fits
    # ~671e9 parameters, mostly fp8 (1 byte), over 16 chips: at least 671/16 = 41.9 GB each, below 128 GB
    assert 41.9 < fit.required.to("GB").magnitude < 128
    bound = d.decode_bound("deepseek-v3", 131072)
    assert bound.t_memory > bound.t_compute  # batch-1 decode is memory-bound
    assert bound.n_chips == 16 and bound.chip == "ascend-910c"


def test_total_claim_resolves_a_system(tmp_path):
    """"GB200 NVL72 = 180 PFLOPS dense bf16": chip and count (72) come from the system record;
    72 x 2,500 TFLOPS = 180 PFLOPS."""
    import yaml

    from accelspec.claims import check_claims, load_claims
    from accelspec.errors import AccelspecError

    src = {"C": {"title": "test claim source", "date": "2026"}}

    def claim(statement: dict) -> dict:
        return {"id": "nvl72-180p", "source": "C", "date": "2026", "quote": "a test sentence",
                "statement": statement}

    f = tmp_path / "claims.yaml"
    st = {"kind": "total", "system": "gb200 nvl72", "total": "180 PFLOPS", "metric": "compute.dense.bf16"}
    f.write_text(yaml.safe_dump({"sources": src, "claims": [claim(st)]}), encoding="utf-8")
    (c,) = load_claims(f)
    assert c.statement.a == "gb200" and c.statement.count.quantity.m == 72
    assert check_claims([c]).results[0].verdict.startswith("consistent")
    f.write_text(yaml.safe_dump({"sources": src, "claims": [claim({**st, "count": 64})]}), encoding="utf-8")
    with pytest.raises(AccelspecError, match="72 chips of system"):
        load_claims(f)
    # the shipped Sanjiangyuan claim takes its chip and 16,384 cards from specs/systems
    shipped = {r.id: r for r in check_claims().results}["thead-sanjiangyuan-1945p"]
    assert shipped.claim.statement.count.quantity.m == 16384 and shipped.claim.statement.a == "zhenwu-810e"


def test_system_as_chip_everywhere():
    import accelspec as a

    b = a.decode_bound("deepseek-v3", "cloudmatrix384", 131072, weight_dtype="native", precision="bf16")
    assert b.n_chips == 384 and b.system == "cloudmatrix384"
    assert "UB (Unified Bus) 392 GB/s per chip per direction" in b.assumptions
    f = a.fits("deepseek-v3", "cloudmatrix384", 131072, weight_dtype="native")
    assert f.fits and f.n_chips == 384 and "system Huawei CloudMatrix384" in f.explanation


def test_cli_fit_and_bound_on_a_system(capsys):
    import json

    from accelspec.cli import main

    assert main(["fit", "deepseek-v3", "--system", "gb200-nvl72", "--context", "128k", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["fits"] and d["n_chips"] == 72 and d["system"] == "gb200-nvl72"
    assert main(["bound", "deepseek-v3", "--chip", "cloudmatrix384", "--context", "128k", "--json",
                 "--routing", "best-case", "--collective", "ring"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_chips"] == 384 and d["system"] == "cloudmatrix384" and d["routing"] == "best-case"
    assert "UB (Unified Bus)" in d["comm"] and "MoE routing best-case" in d["assumptions"]
    assert main(["bound", "llama-3.1-8b", "--system", "nvl73", "--context", "1k"]) == 2
    assert "gb200-nvl72" in capsys.readouterr().err


def test_a_user_system_reusing_a_shipped_id_or_alias_is_refused_and_changes_nothing(tmp_path):
    dup = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: gb200-nvl72, name: Mine, vendor: Me, chip: h100, count: {value: 4, source: X, status: official}}
    """)
    before = [s.id for s in systems()]
    with pytest.raises(a.SpecFileError, match="duplicate system id, already defined in specs/systems/") as exc:
        load_systems(dup)
    assert exc.value.record == "gb200-nvl72"
    clash = tmp_path / "clash.yaml"
    clash.write_text(dup.read_text().replace("id: gb200-nvl72, name: Mine", "id: mine, name: GB200 NVL72"))
    with pytest.raises(a.SpecFileError, match="name or alias 'GB200 NVL72' is already used by system 'gb200-nvl72'"):
        load_systems(clash)
    assert [s.id for s in systems()] == before
    assert get_system("gb200 nvl72").n_chips == 72


def test_concurrent_loads_leave_one_whole_index(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    import accelspec.hardware.system as sysmod

    p = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: my-2x-h100, name: My 2x H100, vendor: Me, chip: h100, count: {value: 2, source: X, status: official}}
    """)
    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda i: len(load_systems(p) if i % 2 else load_systems()), range(16)))
        shipped = len(load_systems())
        assert set(results) == {shipped, shipped + 1}
        index = sysmod._catalog()
        assert len(index) == shipped and all(get_system(s.id) is s for s in index)
    finally:
        load_systems()


def test_load_systems_accumulates_like_load_specs(tmp_path):
    one = _write(tmp_path, """
        sources: {X: {title: t, date: "2025"}}
        systems:
          - {id: my-a, name: My A, vendor: Me, chip: h100, count: {value: 2, source: X, status: official}}
    """)
    two = tmp_path / "two.yaml"
    two.write_text(one.read_text().replace("my-a, name: My A", "my-b, name: My B").replace("source: X", "source: N3"),
                   encoding="utf-8")
    try:
        shipped = len(load_systems())
        load_systems(one)
        assert len(load_systems(two)) == shipped + 2  # the earlier file stays
        assert get_system("my a").n_chips == 2 and get_system("my b").n_chips == 2
        assert len(load_systems(one)) == shipped + 2  # a file given again is read again, not twice
        assert get_system("my-a").count.user_file is None  # cites its own file's source: plainly the user's
        cited = get_system("my-b").count  # cites a shipped source: says it comes from the user file
        assert cited.user_file == str(two) and cited.source.id == f"N3 (user file {two})"
        with pytest.raises(a.SpecFileError):
            load_systems(tmp_path / "missing.yaml")
        assert {"my-a", "my-b"} <= {x.id for x in systems()}  # all or nothing
    finally:
        load_systems()
    assert len(systems()) == shipped
