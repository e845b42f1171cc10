"""The questions as plain functions (accelspec.web.answers): the library's answers in the CLI's
``--json`` shapes, with sourced quantities, input caps and the argument an error is about."""

from __future__ import annotations

import json

import pytest

import accelspec as a
from accelspec.web import answers as q


def test_fit_is_the_librarys_answer_with_sourced_quantities():
    d = q.fit("llama-3.1-8b", "h100", "8Ki")
    r = a.fits("llama-3.1-8b", "h100", 8192)
    assert d["fits"] is True and d["inputs"]["context"] == 8192
    assert d["required_GB_per_chip"] == pytest.approx(float(r.required.m_as("GB")))
    assert d["quantities"]["required_per_chip"]["value"] == pytest.approx(d["required_GB_per_chip"])
    cap = d["quantities"]["memory_capacity"]  # H100 SXM data sheet: 80 GB, official, with its source id
    assert cap["value"] == 80 and cap["unit"] == "GB" and cap["status"] == "official" and cap["source"]
    assert set(d["quantities"]["terms"]) == set(d["terms_GB"]) and d["min_chips"] == 1
    json.dumps(d, allow_nan=False)


def test_bound_keeps_assumptions_and_roofs():
    d = q.bound("llama-3.1-8b", "h100", 8192)
    b = a.decode_bound("llama-3.1-8b", "h100", 8192)
    assert d["time_ms"] == pytest.approx(float(b.time.m_as("ms"))) and d["assumptions"] == b.assumptions
    assert d["quantities"]["memory_bandwidth"]["value"] == 3.35  # H100 SXM: 3.35 TB/s
    assert q.bound("llama-3.1-8b", "h100", 8192, phase="prefill")["phase"] == "prefill"


@pytest.mark.parametrize(("call", "field"), [
    (lambda: q.fit("llama-3.1-8b", "h100", "1G"), "context"),
    (lambda: q.fit("llama-3.1-8b", "h100", 8192, batch=10**6), "batch"),
    (lambda: q.compare(",".join(["h100"] * 40)), "chips"),
    (lambda: q.frontier("llama-3.1-8b", "h100,h200,b200,mi300x,mi355x,mi325x,h20,b300,gb200"), "chips"),
    (lambda: q.plan("llama-3.1-8b", 2048, 256, "1 s", "30 ms", max_chips=10**5), "max_chips"),
    (lambda: q.bound("llama-3.1-8b", "h100", 8192, phase="train"), "phase"),
    (lambda: q.validate_upload(b"x" * (q.LIMITS["body_bytes"] + 1)), "file"),
    (lambda: q.validate_upload(b"  "), "file"),
])
def test_caps_name_the_argument(call, field):
    with pytest.raises(a.InvalidArgumentError) as info:
        call()
    assert q.error_field(info.value, {}) == field


def test_error_field_finds_the_argument_holding_an_unknown_name():
    with pytest.raises(a.UnknownNameError) as info:
        q.fit("llama-3.1-8b", "h1000", 8192)
    assert q.error_field(info.value, {"model": "llama-3.1-8b", "chip": "h1000"}) == "chip"
    with pytest.raises(a.UnknownNameError) as info:
        q.compare("h100,nope-9")
    assert q.error_field(info.value, {"chips": "h100,nope-9"}) == "chips"
    with pytest.raises(ValueError) as info2:
        q.fit("llama-3.1-8b", "h100", "-5")
    assert q.error_field(info2.value, {"context": "-5"}) == "context"


def test_catalog_questions():
    chips = q.chips()["chips"]
    assert len(chips) == len(a.chips())
    mi300x = next(c for c in chips if c["id"] == "mi300x")  # AMD data sheet: 192 GB, 5.3 TB/s
    assert mi300x["memory_capacity"]["value"] == 192 and mi300x["memory_bandwidth"]["value"] == 5.3
    assert q.chip("h100")["fields"]["memory.capacity"]["value"] == 80
    assert len(q.systems()["systems"]) == len(a.systems()) and q.system("gb200-nvl72")["id"] == "gb200-nvl72"
    assert len(q.models()["models"]) == len(a.models())
    assert len(q.compare("h100 mi300x")["rows"]) == 2


def test_money_training_plans_claims():
    assert q.cost("llama-3.1-8b", "h100")["usd_per_m_output"] > 0
    assert q.train("llama-3.1-8b", "h100", n_chips=8)["verdict"]
    assert q.request("llama-3.1-8b", "h100")["mode"] == "static"
    p = q.plan("llama-3.1-8b", "2k", 256, "1 s", "30 ms", chips="h100,mi300x")
    assert {r["id"] for r in p["rows"]} >= {"mi300x"}
    f = q.frontier("llama-3.1-8b", "h100")
    assert f["curves"][0]["chip"] == "h100-sxm" and len(f["curves"][0]["batch"]) > 10
    c = q.claims()
    assert sum(c["verdicts"].values()) == len(c["claims"]) and all(s["id"] for s in c["sources"].values())
    assert q.min_chips("llama-3.1-70b", "h100", "128k")["min_chips"] >= 2


def test_validate_upload_reads_the_file_from_a_temporary_folder():
    from accelspec.specfiles import specs_dir

    data = (specs_dir() / "measurements" / "microsoft.yaml").read_bytes()
    d = q.validate_upload(data, "microsoft.yaml")
    assert d["rows"] == len(a.validate(specs_dir() / "measurements" / "microsoft.yaml").checks) > 0
    with pytest.raises(a.InvalidArgumentError):
        q.validate_upload(data, "rows.exe")


@pytest.mark.parametrize(("argv", "answer"), [
    (["fit", "llama-3.1-8b", "--chip", "h100", "--context", "8192", "--json"],
     lambda: q.fit("llama-3.1-8b", "h100", 8192)),
    (["bound", "llama-3.1-8b", "--chip", "h100", "--context", "8192", "--batch", "8", "--json"],
     lambda: q.bound("llama-3.1-8b", "h100", 8192, 8)),
    (["bound", "deepseek-v3", "--chip", "gb200-nvl72", "--context", "32k", "--prefill", "--json"],
     lambda: q.bound("deepseek-v3", "gb200-nvl72", "32k", phase="prefill")),
    (["request", "llama-3.1-8b", "h100", "--json"], lambda: q.request("llama-3.1-8b", "h100")),
    (["cost", "llama-3.1-8b", "--chip", "h100", "--json"], lambda: q.cost("llama-3.1-8b", "h100")),
    (["plan", "llama-3.1-8b", "--input", "2048", "--output", "256", "--ttft", "1s", "--tpot", "30ms", "--chips",
      "h100", "mi300x", "--json"],
     lambda: q.plan("llama-3.1-8b", 2048, 256, "1s", "30ms", chips="h100 mi300x")),
])
def test_answers_have_the_cli_json_shape(argv, answer, capsys):
    """Every key the CLI's ``--json`` prints, with the same value (the answers add keys:
    quantities, inputs, explanations)."""
    from accelspec.cli import main

    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    got = json.loads(json.dumps(answer()))
    assert {k: got.get(k) for k in cli} == cli
