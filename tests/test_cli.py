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
    proc = subprocess.run([sys.executable, "-m", "accelspec", "show", "h200", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert a.Chip.model_validate_json(proc.stdout) == a.get_chip("h200")


def test_list(capsys):
    code, out, _ = run(capsys, "list", "--vendor", "nvidia", "--sort", "bf16")
    assert code == 0 and "h200-sxm" in out and "chips" in out.splitlines()[-1]
    code, out, _ = run(capsys, "list", "--json")
    rows = json.loads(out)
    assert {r["id"] for r in rows} == {c.id for c in a.chips()}


def test_show(capsys):
    code, out, _ = run(capsys, "show", "Zhenwu M890")
    assert code == 0 and "144 GB" in out and "S001" in out


def test_compare_text_and_json(capsys):
    code, out, _ = run(capsys, "compare", "h20", "h200", "--fields", "capacity,bandwidth", "--baseline", "h20")
    assert code == 0 and "×" in out
    code, out, _ = run(capsys, "compare", "h20", "h200", "--fields", "capacity,bandwidth", "--json")
    data = json.loads(out)
    assert data["units"] == {"capacity": "GB", "bandwidth": "TB/s"}
    assert {r["chip"]: r["capacity [GB]"] for r in data["rows"]} == {"H20": 96.0, "H200 SXM": 141.0}


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
