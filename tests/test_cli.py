"""The command line, through the entry function and once as a subprocess."""

import json
import subprocess
import sys

import pytest

import accelspec as a
from accelspec.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_module_runs_as_subprocess():
    proc = subprocess.run([sys.executable, "-m", "accelspec", "show", "h200", "--json", "--record"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert a.Chip.model_validate_json(proc.stdout) == a.get_chip("h200")


def test_list(capsys):
    code, out, _ = run(capsys, "list", "--vendor", "nvidia", "--sort", "bf16")
    assert code == 0 and "h200-sxm" in out and "chips" in out.splitlines()[-1]
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)["chips"]
    assert {r["id"] for r in rows} == {c.id for c in a.chips()}


def test_show(capsys):
    code, out, _ = run(capsys, "show", "Zhenwu M890")
    assert code == 0 and "144 GB" in out and "S001" in out


def test_compare_text_and_json(capsys):
    code, out, _ = run(capsys, "compare", "h20", "h200", "--fields", "capacity,bandwidth", "--baseline", "h20")
    assert code == 0 and "×" in out
    code, out, _ = run(capsys, "compare", "h20", "h200", "--fields", "capacity,bandwidth", "--json")
    data = json.loads(out)
    assert {f["label"]: f["unit"] for f in data["fields"]} == {"capacity": "GB", "bandwidth": "TB/s"}
    assert {r["chip"]: r["values"]["capacity"]["value"] for r in data["rows"]} == {"h20": 96.0, "h200-sxm": 141.0}


@pytest.mark.parametrize("argv,needle", [
    (["show", "h2000"], "unknown chip 'h2000'"),
    (["compare", "h200", "--fields", "colour"], "unknown field 'colour'"),
    (["list", "--vendor", "nobody"], "no chips from vendor"),
    (["frobnicate"], "invalid choice"),
])
def test_user_mistakes_exit_2_with_one_line(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_models(capsys):
    code, out, _ = run(capsys, "models", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["deepseek-v3"]["kv_bf16_B_per_token"] == 70272
    assert code == 0


def test_fit_text_and_json_match_the_library(capsys):
    argv = ["fit", "qwen3-235b-a22b", "--chip", "m890", "--context-tokens", "1M", "--n-chips", "8",
            "--weight-dtype", "fp8"]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "fits" in out and "1,000,000 tokens" in out
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)
    lib = a.fits("qwen3-235b-a22b", "zhenwu-m890", 1_000_000, n_chips=8, weight_dtype="fp8")
    assert data["fits"] is bool(lib) and data["verdict"] == lib.verdict
    assert data["required_GB_per_chip"] == pytest.approx(lib.required.m_as("GB"))
    assert data["explanation"] == lib.explanation


def test_roofline_json_matches_library(capsys, tmp_path):
    out_png = tmp_path / "roof.png"
    code, out, _err = run(capsys, "roofline", "h20", "h200", "--json", "-o", str(out_png))
    data = json.loads(out)
    assert code == 0 and out_png.stat().st_size > 10_000
    assert [d["chip"] for d in data["roofs"]] == ["h20", "h200-sxm"]
    assert data["roofs"][1]["ridge_point"]["value"] == pytest.approx(989.5 / 4.8)  # TFLOPS / TB/s
    assert data["dropped"] == []


def test_bound_json_matches_library(capsys):
    code, out, _ = run(capsys, "bound", "llama-3.1-8b", "--chip", "h200", "--context-tokens", "4096", "--json")
    data = json.loads(out)
    lib = a.decode_bound("llama-3.1-8b", "h200", 4096, 1)
    assert code == 0 and data["limiter"] == lib.limiter == "memory"
    assert data["time_ms"] == pytest.approx(lib.time.m_as("ms"))


def test_claims(capsys):
    code, out, _ = run(capsys, "claims")
    assert code == 0 and "m890-3x-810e" in out
    code, out, _ = run(capsys, "claims", "--markdown")
    assert code == 0 and "|" in out
    code, out, _ = run(capsys, "claims", "--json")
    records = json.loads(out)
    assert len(records) == len(a.check_claims().to_records())


@pytest.mark.parametrize("kind,args", [
    ("roofline", ["h20", "h200", "mi300x"]),
    ("compare", ["m890", "810e", "h20", "--baseline", "h20"]),
    ("memory", ["qwen3-8b", "--chips", "h20", "m890"]),
    ("heatmap", ["--models", "llama-3.1-8b", "--chips", "h20", "h200", "--context-tokens", "4k,32k", "--batch", "1,8"]),
])
def test_plot_kinds_write_files(capsys, tmp_path, kind, args):
    path = tmp_path / f"{kind}.png"
    code, _, err = run(capsys, "plot", kind, *args, "-o", str(path))
    assert code == 0, err
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv,needle", [
    (["fit", "llama-3.1-8b", "--chip", "h20", "--context-tokens", "-5"], "must be at least 1"),
    (["fit", "llama-3.1-8b", "--chip", "h20", "--context-tokens", "12x"], "expected a count"),
    (["fit", "llama-3.1-8b", "--chip", "h20", "--context-tokens", "1M", "--weight-dtype", "fp7"], "fp7"),
    (["fit", "llama-9", "--chip", "h20", "--context-tokens", "1M"], "unknown model"),
    (["fit", "llama-3.1-8b", "--chip", "h20", "--context-tokens", "1M", "--n-chips", "3", "--parallelism", "tp=3"],
     "tp=3"),
    (["roofline", "a100", "--precision", "fp8"], "fp8"),
    (["roofline", "zhenwu-m890"], "not published"),
    (["bound", "llama-3.1-8b", "--chip", "h20", "--context-tokens", "0"], "must be at least 1"),
])
def test_bad_model_inputs_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "", (out, err)
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bound_defaults_to_the_checkpoint_format_like_fit(capsys):
    """`bound` and `fit` assume the same weights: DeepSeek-V3 ships fp8 (block-scaled), so the
    default bound reads fp8 weights; a chip with no fp8 peak (Ascend 910C) runs them at bf16."""
    code, out, _ = run(capsys, "bound", "deepseek-v3", "--chip", "h200", "--n-chips", "8", "--context-tokens", "128k")
    assert code == 0 and "weights fp8" in out and "compute fp8" in out
    code, out, _ = run(capsys, "bound", "deepseek-v3", "--chip", "ascend-910c", "--n-chips", "8",
                       "--context-tokens", "128k")
    assert code == 0 and "weights fp8" in out and "compute bf16" in out
    code, out, _ = run(capsys, "bound", "deepseek-v3", "--chip", "h200", "--n-chips", "8", "--context-tokens", "128k",
                       "--weight-dtype", "bf16")
    assert code == 0 and "weights bf16" in out


# --- parity with the library (issue 10) ----------------------------------------------------------
AWQ = "tests/data/llama-3.1-8b-instruct-awq-int4"


def test_bound_defaults_to_the_checkpoint_and_shares_the_library_fallback(capsys):
    code, out, _ = run(capsys, "bound", "deepseek-v3", "--chip", "ascend-910c", "--context-tokens", "8192",
                       "--n-chips", "16", "--json")
    d = json.loads(out)
    lib = a.decode_bound("deepseek-v3", "ascend-910c", 8192, 1, 16)
    assert code == 0 and d["assumptions"] == lib.assumptions and d["time_ms"] == lib.time.m_as("ms")
    assert "compute bf16 (Ascend 910C has no fp8, so the weights are upcast)" in d["assumptions"]
    code, out, _ = run(capsys, "bound", "deepseek-v3", "--chip", "h200", "--context-tokens", "8192", "--n-chips", "16",
                       "--precision", "bf16", "--json")
    assert code == 0 and json.loads(out)["precision"] == "bf16"
    code, _, err = run(capsys, "bound", "deepseek-v3", "--chip", "ascend-910c", "--context-tokens", "8192",
                       "--n-chips", "16", "--precision", "fp8")
    assert code == 2 and "Ascend 910C" in err


def test_capacity_and_bandwidth_for_a_chip_that_publishes_none(capsys):
    code, _, err = run(capsys, "fit", "llama-3.1-8b", "--chip", "kunlun-r200", "--context-tokens", "8192")
    assert code == 2 and "--capacity" in err
    code, out, _ = run(capsys, "fit", "llama-3.1-8b", "--chip", "kunlun-r200", "--context-tokens", "8192", "--capacity",
                       "32 GB", "--json")
    d = json.loads(out)
    assert code == 0 and d["fits"] and d["available_GB_per_chip"] == 32.0
    assert "capacity 32 GB per chip given with --capacity" in d["assumptions"]
    # MetaX C500 publishes a bf16 peak but no memory bandwidth (SN40L, the earlier example, now has one)
    code, _, err = run(capsys, "bound", "llama-3.1-8b", "--chip", "metax-c500", "--context-tokens", "8000")
    assert code == 2 and "--bandwidth" in err
    code, out, _ = run(capsys, "bound", "llama-3.1-8b", "--chip", "metax-c500", "--context-tokens", "8000",
                       "--bandwidth", "1.6 TB/s", "--json")
    d = json.loads(out)
    # (16,060,522,496 - 128,256 x 4,096 x 2 + 4,096 x 2 + 131,072 x 8,000) B / 1.6 TB/s = 10.0365 ms
    assert code == 0 and d["time_ms"] == pytest.approx(16_058_433_536 / 1.6e12 * 1e3, rel=1e-12)
    assert "memory bandwidth 1.6 TB/s given with --bandwidth (MetaX C500: not published)" in d["assumptions"]
    code, _, err = run(capsys, "bound", "llama-3.1-8b", "--chip", "h100", "--context-tokens", "8000",
                       "--bandwidth", "-1 TB/s")
    assert code == 2 and "--bandwidth" in err


def test_list_options_take_commas_or_spaces(capsys, tmp_path):
    code, out, _ = run(capsys, "compare", "h100,h200", "mi300x", "--fields", "capacity bandwidth,tdp", "--json")
    d = json.loads(out)
    assert code == 0 and [r["chip"] for r in d["rows"]] == ["h100-sxm", "h200-sxm", "mi300x"]
    assert [f["label"] for f in d["fields"]] == ["capacity", "bandwidth", "tdp"]
    png1, png2 = tmp_path / "a.png", tmp_path / "b.png"
    assert run(capsys, "plot", "heatmap", "--models", "llama-3.1-8b,qwen3-8b", "--chips", "h100", "h200",
               "--context-tokens", "8k,128k", "--batch", "1", "8", "-o", str(png1))[0] == 0
    assert run(capsys, "plot", "heatmap", "--models", "llama-3.1-8b", "qwen3-8b", "--chips", "h100,h200",
               "--context-tokens", "8k", "128k", "--batch", "1,8", "-o", str(png2))[0] == 0
    assert png1.stat().st_size > 0 and png2.stat().st_size > 0


def test_every_model_command_takes_a_config_path(capsys):
    code, out, _ = run(capsys, "bound", AWQ, "--chip", "h100", "--context-tokens", "8192", "--json")
    assert code == 0 and "awq-int4-g128-zp" in json.loads(out)["assumptions"]
    code, out, _ = run(capsys, "fit", f"{AWQ}/config.json", "--chip", "h100", "--context-tokens", "8192", "--json")
    assert code == 0 and json.loads(out)["fits"]
    code, out, _ = run(capsys, "cost", AWQ, "--chip", "h100", "--json")
    assert code == 0 and json.loads(out)["model"]
    code, _, err = run(capsys, "bound", "tests/data/nothing-here", "--chip", "h100", "--context-tokens", "8192")
    assert code == 2 and "no such file or folder" in err


# --- option names: the library's argument names, one meaning per flag ----------------------------
def _options(parser):
    """Every visible option string of ``parser`` and its subcommands, by command path."""
    import argparse

    out = {}

    def walk(p, path):
        for act in p._actions:
            if isinstance(act, argparse._SubParsersAction):
                for name, sub in act.choices.items():
                    walk(sub, (*path, name))
            elif act.help is not argparse.SUPPRESS:
                out.setdefault(path, set()).update(act.option_strings)

    walk(parser, ())
    return out


def test_options_are_named_as_the_library_arguments():
    from accelspec.cli import build_parser

    opts = _options(build_parser())
    for path in [("fit",), ("bound",), ("request",), ("cost",), ("plan",), ("plot", "memory"), ("plot", "frontier"),
                 ("plot", "heatmap")]:
        assert {"--weight-dtype", "--kv-dtype"} <= opts[path], path
    assert {"--compute-efficiency", "--bandwidth-efficiency", "--link-efficiency"} <= opts[("bound",)]
    assert "--context-tokens" in opts[("fit",)] and "--context-tokens" in opts[("plot", "heatmap")]
    for path in [("request",), ("cost",), ("plan",), ("plot", "frontier")]:
        assert {"--input-tokens", "--output-tokens"} <= opts[path], path
    for path in [("roofline",), ("export",), ("plot", "roofline"), ("plot", "frontier")]:
        assert {"-o", "--out"} <= opts[path], path
    old = {"--weights", "--kv", "--context", "--input", "--output", "--gen", "--zero", "--accepted", "--compute-eff",
           "--bandwidth-eff", "--link-eff"}
    assert all(not (o & old) for o in opts.values())  # former spellings are hidden from --help


@pytest.mark.parametrize(("new", "old"), [
    (["request", "llama-3.1-8b", "h200", "--input-tokens", "1000", "--output-tokens", "100", "--kv-dtype", "fp8",
      "--weight-dtype", "fp8", "--accepted-tokens-per-step", "1.5"],
     ["request", "llama-3.1-8b", "h200", "--input", "1000", "--output", "100", "--kv", "fp8", "--weights", "fp8",
      "--accepted", "1.5"]),
    (["bound", "llama-3.1-8b", "--chip", "h100", "--context-tokens", "8k", "--compute-efficiency", "0.5",
      "--bandwidth-efficiency", "0.8", "--link-efficiency", "0.9"],
     ["bound", "llama-3.1-8b", "--chip", "h100", "--context", "8k", "--compute-eff", "0.5", "--bandwidth-eff", "0.8",
      "--link-eff", "0.9"]),
    (["plan", "llama-3.1-8b", "--input-tokens", "2k", "--output-tokens", "256", "--ttft", "1s", "--tpot", "30ms",
      "--chips", "h100", "h200"],
     ["plan", "llama-3.1-8b", "--input", "2k", "--output", "256", "--ttft", "1s", "--tpot", "30ms",
      "--chips", "h100", "h200"]),
])
def test_former_option_spellings_still_work(capsys, new, old):
    results = [run(capsys, *argv, "--json") for argv in (new, old)]
    assert results[0][0] == results[1][0] == 0
    assert json.loads(results[0][1]) == json.loads(results[1][1])
    assert results[0][2] == results[1][2] == ""


def test_required_option_given_by_its_former_spelling(capsys):
    code, _, err = run(capsys, "fit", "llama-3.1-8b", "--chip", "h100")
    assert code == 2 and "required: --context-tokens" in err
    assert run(capsys, "fit", "llama-3.1-8b", "--chip", "h100", "--context", "8k")[0] == 0


def test_out_is_a_file_everywhere(capsys, tmp_path):
    assert run(capsys, "export", "--format", "csv", "--out", str(tmp_path / "c.csv"))[0] == 0
    assert run(capsys, "export", "--format", "csv", "--output", str(tmp_path / "d.csv"))[0] == 0  # former
    assert (tmp_path / "c.csv").read_text() == (tmp_path / "d.csv").read_text()
    code, _, err = run(capsys, "plot", "frontier", "llama-3.1-8b", "--chips", "h100", "--output-tokens", "64",
                       "--out", str(tmp_path / "nowhere" / "f.png"))
    assert code == 2 and err.startswith("accelspec: error: -o/--out: folder")


def test_plan_agrees_with_fit_on_the_checkpoints_format(capsys):
    code, out, _ = run(capsys, "plan", "gpt-oss-120b", "--input-tokens", "2k", "--output-tokens", "256", "--ttft", "1s",
                       "--tpot", "30ms", "--chips", "h100", "--json")
    row = json.loads(out)["rows"][0]
    assert code == 0 and row["n_chips"] == 1
    code, out, _ = run(capsys, "fit", "gpt-oss-120b", "--chip", "h100", "--context-tokens", "2256", "--json")
    assert code == 0 and json.loads(out)["min_chips"] == 1


def test_bound_memory_only_and_peak_for_a_chip_without_one(capsys):
    code, _, err = run(capsys, "bound", "llama-3.1-8b", "--chip", "zhenwu-m890", "--context-tokens", "8000")
    assert code == 2 and "--peak" in err and "--bandwidth" in err
    code, out, _ = run(capsys, "bound", "llama-3.1-8b", "--chip", "zhenwu-m890", "--context-tokens", "8000",
                       "--bandwidth", "4 TB/s", "--json")
    d = json.loads(out)
    assert code == 0 and d["time_ms"] == pytest.approx(16_058_433_536 / 4e12 * 1e3, rel=1e-12)
    assert "compute term" in d["missing"] and "left out: compute term" in d["assumptions"]
    code, out, _ = run(capsys, "bound", "llama-3.1-8b", "--chip", "zhenwu-m890", "--context-tokens", "8000",
                       "--bandwidth", "4 TB/s", "--peak", "500 TFLOP/s", "--batch", "64", "--json")
    d = json.loads(out)
    assert code == 0 and "missing" not in d and "dense bf16 peak 500 TFLOP/s given with --peak" in d["assumptions"]
    code, _, err = run(capsys, "bound", "llama-3.1-8b", "--chip", "h100", "--context-tokens", "8000",
                       "--peak=-1 TFLOP/s")
    assert code == 2 and "--peak" in err
    code, out, _ = run(capsys, "request", "llama-3.1-8b", "zhenwu-m890", "--bandwidth", "4 TB/s", "--json")
    d = json.loads(out)
    assert code == 0 and any("memory-only" in n for n in d["notes"])


def test_bound_and_request_print_the_estimate_beside_the_bound(capsys):
    main(["bound", "llama-3.1-70b", "--chip", "h100", "--context-tokens", "2k", "--n-chips", "4", "--engine", "vLLM"])
    out = capsys.readouterr().out
    assert ">= 10.42 ms per step" in out and "estimate ~" in out and "published measurements" in out
    main(["request", "llama-3.1-8b", "h100", "--input-tokens", "1024", "--output-tokens", "128", "--json"])
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["estimate"]["tpot_ms"] >= data["tpot_ms"]


def test_validate_a_file_against_the_estimate(capsys):
    from accelspec.specfiles import specs_dir

    main(["validate", str(specs_dir() / "measurements" / "oracle.yaml"), "--estimate"])
    out = capsys.readouterr().out
    assert "the estimate" in out and "efficiency leaderboard" in out
