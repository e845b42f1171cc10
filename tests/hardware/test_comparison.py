"""compare(): ratios only between like quantities, unsupported vs unpublished kept apart, typed
JSON validated against the published schema, partial data never sinks a roofline."""

from __future__ import annotations

import json
import math

import pytest
from pydantic import TypeAdapter, ValidationError

import accelspec as a
from accelspec import cli
from accelspec.hardware.chip import NotPublishedError, PeakNotPublishedError, UnsupportedPrecisionError
from accelspec.hardware.comparison import Absent, comparison
from accelspec.io.json_out import SCHEMAS, CompareOut, ListOut, RooflineOut, ShowOut, schema


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# --- interconnect ratios ------------------------------------------------------------------
def test_interconnect_ratio_is_per_direction_on_both_sides():
    # 910C: 392 GB/s per direction (H2); H100 SXM: 900 GB/s both directions (N3) = 450 one way.
    df = a.compare(["ascend-910c", "h100"], ["scale_up"], baseline="h100")
    assert df.loc["Ascend 910C", "scale_up [GB/s]"] == 392  # the value as published
    assert df.loc["H100 SXM", "scale_up [GB/s]"] == 900
    assert df.loc["Ascend 910C", "scale_up direction"] == "per_direction"
    assert df.loc["H100 SXM", "scale_up direction"] == "bidirectional"
    ratio = df.loc["Ascend 910C", "scale_up per direction / H100 SXM"]
    assert ratio == pytest.approx(392 / 450)  # 0.871, not 392 / 900 = 0.436
    assert df.attrs["directions"]["h100-sxm:interconnect.scale_up.bandwidth"] == "bidirectional"
    text = a.compare_table(["ascend-910c", "h100"], ["scale_up"], baseline="h100")
    assert "×0.87" in text and "×0.44" not in text


def test_short_per_direction_field_gives_the_same_ratio():
    df = a.compare(["ascend-910c", "h100"], ["scale_up_per_direction"], baseline="h100")
    assert df.loc["H100 SXM", "scale_up_per_direction [GB/s]"] == 450
    assert df.loc["Ascend 910C", "scale_up_per_direction per direction / H100 SXM"] == pytest.approx(392 / 450)


def test_unstated_direction_carries_a_range_into_the_ratio():
    # Zhenwu M890 scale-up 800 GB/s, direction not stated: one way is 400..800 GB/s;
    # over H100's 450 GB/s per direction that is 0.889 .. 1.778.
    cmp = comparison(["zhenwu-m890", "h100"], ["scale_up"], baseline="h100")
    m890 = a.get_chip("zhenwu-m890")
    assert m890.interconnect.scale_up.bandwidth.direction.value == "unspecified"
    assert m890.interconnect.scale_up.bandwidth.q.m_as("GB/s") == 800
    r = cmp.ratio(m890, "interconnect.scale_up.bandwidth", "GB/s")
    assert r.value == pytest.approx(400 / 450)
    assert r.range == pytest.approx((400 / 450, 800 / 450))
    out = cmp.to_json()["rows"][0]["ratios"]["scale_up"]
    assert out["range"] == pytest.approx([0.8889, 1.7778], abs=1e-4) and out["direction"] == "per_direction"
    assert "×0.89–1.78" in cmp.text()


def test_plain_ratios_unchanged():
    df = a.compare(["h20", "h200"], ["capacity"], baseline="h20")
    assert df.loc["H200 SXM", "capacity / H20"] == pytest.approx(141 / 96)


# --- unsupported vs not published -----------------------------------------------------------
def test_unsupported_and_unpublished_are_different_cells():
    # Ascend 910C lists fp8 as unsupported; Zhenwu M890 publishes no bf16 figure at all.
    cmp = comparison(["ascend-910c", "zhenwu-m890"], ["fp8", "bf16"])
    c910 = cmp.cells[("ascend-910c", "compute.dense.fp8")]
    m890 = cmp.cells[("zhenwu-m890", "compute.dense.bf16")]
    assert isinstance(c910, Absent) and c910.status == "unsupported"
    assert isinstance(m890, Absent) and m890.status == "not_published"
    df = cmp.frame()
    assert math.isnan(df.loc["Ascend 910C", "fp8 [TFLOPS]"])
    assert df.attrs["status"]["ascend-910c:compute.dense.fp8"] == "unsupported"
    assert df.attrs["status"]["zhenwu-m890:compute.dense.bf16"] == "not_published"
    lines = cmp.text().splitlines()
    row910 = next(x for x in lines if x.startswith("Ascend 910C"))
    rowm890 = next(x for x in lines if x.startswith("Zhenwu M890"))
    assert "—" in row910 and "n/p" in rowm890.split()[2:]
    values = {r["chip"]: r["values"] for r in cmp.to_json()["rows"]}
    assert values["ascend-910c"]["fp8"]["status"] == "unsupported"
    assert values["zhenwu-m890"]["bf16"] == {"value": None, "unit": "TFLOPS", "status": "not_published",
                                             "source": None, "range": None, "direction": None,
                                             "basis": "compute.dense.bf16 not published"}


def test_errors_keep_unsupported_and_unpublished_apart():
    with pytest.raises(UnsupportedPrecisionError, match="Ascend 910C: dense fp8 peak is not supported") as e1:
        a.roofline("ascend-910c", "fp8")
    assert not isinstance(e1.value, NotPublishedError)
    with pytest.raises(PeakNotPublishedError, match="Zhenwu M890: dense bf16 peak is not published") as e2:
        a.roofline("zhenwu-m890", "bf16")
    assert isinstance(e2.value, NotPublishedError) and isinstance(e2.value, a.AccelspecError)


# --- bad input -----------------------------------------------------------------------------
def test_compare_with_no_chips_is_a_clear_error():
    with pytest.raises(a.AccelspecError, match="no chips given"):
        a.compare([])
    with pytest.raises(ValueError):
        a.compare_table([])


def test_unknown_field_names_the_field():
    with pytest.raises(a.AccelspecError, match="unknown field 'colour'"):
        a.compare(["h100"], ["colour"])
    with pytest.raises(KeyError):  # still a KeyError for code that caught one
        a.compare(["h100"], ["memory.colour"])
    with pytest.raises(a.AccelspecError, match=r"unknown field 'interconnect\.scale_up'"):
        a.compare(["h100"], ["interconnect.scale_up"])  # a section, not a value


@pytest.mark.parametrize("bad", [-5, a.Q_(-5, "FLOP/B"), float("nan"), [1.0, -2.0]])
def test_negative_intensity_is_refused(bad):
    with pytest.raises(a.AccelspecError, match="non-negative"):
        a.roofline("h100").attainable(bad)


def test_intensity_zero_and_positive_still_work():
    r = a.roofline("h100")  # 3.35 TB/s * 5 FLOP/B = 16.75 TFLOP/s
    assert r.attainable(a.Q_(5, "FLOP/B")).m_as("TFLOP/s") == pytest.approx(16.75)
    assert r.attainable(0.0) == 0.0


def test_chips_where_skips_chips_missing_the_field():
    # Zhenwu M890 and Hanguang 800 publish no bf16: the predicate trips on them and they are skipped.
    hits = a.chips(where=lambda c: c.compute.dense["bf16"].q > a.Q_(900, "TFLOPS"))
    ids = {c.id for c in hits}
    assert "h100-sxm" in ids and "zhenwu-m890" not in ids and "hanguang-800" not in ids


# --- partial data --------------------------------------------------------------------------
def test_roofline_cli_draws_what_is_published_and_names_what_it_left_out(capsys, tmp_path):
    png = tmp_path / "roof.png"
    code, out, err = run(capsys, "roofline", "h100", "mi300x", "zhenwu-m890", "-o", str(png))
    assert code == 0 and png.stat().st_size > 10_000
    assert out.count("bf16: peak") == 2
    assert "left out: Zhenwu M890 (zhenwu-m890): dense bf16 peak is not published" in out
    code, out, err = run(capsys, "roofline", "h100", "mi300x", "zhenwu-m890", "--json")
    data = json.loads(out)
    RooflineOut.model_validate(data)
    assert [r["chip"] for r in data["roofs"]] == ["h100-sxm", "mi300x"]
    assert data["dropped"][0]["chip"] == "zhenwu-m890" and data["dropped"][0]["status"] == "not_published"
    assert "left out Zhenwu M890" in err


def test_roofline_cli_with_nothing_to_draw_is_one_line(capsys):
    code, out, err = run(capsys, "roofline", "zhenwu-m890")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "zhenwu-m890" in err


def test_compare_plot_names_missing_cells_and_says_per_direction():
    import matplotlib

    matplotlib.use("Agg")
    from accelspec import plot

    ax = plot.compare(["ascend-910c", "h100"], ["fp8", "scale_up"], baseline="h100")
    texts = [t.get_text() for t in ax.texts]
    assert any(t == "no support" for t in texts)
    assert any("Ascend 910C: no fp8 hardware support" in t for t in texts)
    assert any("per direction" in t.get_text() for t in ax.get_xticklabels())
    labels = [t.get_text() for t in ax.texts if t.get_text().endswith("x")]
    assert "0.87x" in labels and "0.44x" not in labels
    import matplotlib.pyplot as plt

    plt.close("all")


# --- JSON with numbers, units and a schema ----------------------------------------------------
@pytest.mark.parametrize("argv,model", [
    (["show", "h200"], ShowOut),
    (["show", "ascend-910c"], ShowOut),
    (["list"], ListOut),
    (["list", "--sort", "bf16"], ListOut),
    (["compare", "ascend-910c", "h100", "zhenwu-m890", "--baseline", "h100"], CompareOut),
    (["compare", "h20", "h200", "--fields", "capacity,memory_type,scale_up"], CompareOut),
    (["roofline", "h100", "mi300x", "zhenwu-m890"], RooflineOut),
])
def test_json_output_validates_against_its_schema(capsys, argv, model):
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    TypeAdapter(model).validate_json(out)


def test_show_json_quantities_are_numbers_with_units(capsys):
    _, out, _ = run(capsys, "show", "h200", "--json")
    data = json.loads(out)
    cap = data["fields"]["memory.capacity"]
    assert cap["value"] == 141 and cap["unit"] == "GB" and cap["status"] == "official" and cap["source"] == "N6"
    assert data["fields"]["interconnect.scale_up.bandwidth"]["direction"] == "bidirectional"
    assert cap["source"] in data["sources"]
    _, out, _ = run(capsys, "show", "ascend-910c", "--json")
    assert "fp8" in json.loads(out)["unsupported"]


def test_list_json_sort_value_is_a_quantity(capsys):
    _, out, _ = run(capsys, "list", "--vendor", "nvidia", "--sort", "capacity", "--json")
    data = json.loads(out)
    h200 = next(r for r in data["chips"] if r["id"] == "h200-sxm")
    assert h200["sort_value"]["value"] == 141 and h200["sort_value"]["unit"] == "GB"


def test_schema_rejects_a_string_quantity():
    bad = {"baseline": None, "fields": [{"label": "capacity", "path": "memory.capacity", "unit": "GB"}],
           "rows": [{"chip": "h20", "name": "H20", "vendor": "NVIDIA", "values": {"capacity": "96 GB"}}],
           "sources": {}, "notes": []}
    with pytest.raises(ValidationError):
        CompareOut.model_validate(bad)


def test_schema_command_prints_each_schema(capsys):
    for name, model in SCHEMAS.items():
        code, out, _ = run(capsys, "schema", name)
        assert code == 0 and json.loads(out) == model.model_json_schema() == schema(name)
    code, _, err = run(capsys, "schema", "fit")
    assert code == 2 and "invalid choice" in err


def test_docs_json_schema_is_current():
    from pathlib import Path

    from accelspec.io.json_out import schema_markdown

    path = Path(__file__).resolve().parents[2] / "docs" / "json-schema.md"
    if not path.exists():
        pytest.skip("not a source checkout")
    assert path.read_text(encoding="utf-8") == schema_markdown(), \
        "docs/json-schema.md is stale: python -m accelspec.io.json_out > docs/json-schema.md"
