"""The catalog as a flat table (CSV, JSON, DataFrame), the package version and the catalog's
data version. Oracles are the figures in specs/chips/nvidia.yaml (H100 SXM, source N3)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import accelspec as a
from accelspec.cli import main
from accelspec.io.export import catalog_rows

ROOT = Path(__file__).resolve().parents[2]
H100_URL = "https://www.nvidia.com/en-us/data-center/h100/"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def h100(rows):
    return next(r for r in rows if r["id"] == "h100-sxm")


def test_catalog_version_is_the_one_in_sources_yaml():
    text = (ROOT / "specs" / "sources.yaml").read_text(encoding="utf-8")
    assert re.search(r'^catalog_version: "2026\.12\.06"$', text, re.M)
    assert a.catalog_version() == "2026.12.06"


def test_h100_row_worked_values():
    r = h100(catalog_rows())
    assert r["catalog_version"] == "2026.12.06"
    assert (r["memory.capacity"], r["memory.capacity.unit"], r["memory.capacity.status"],
            r["memory.capacity.source"], r["memory.capacity.url"]) == (80, "GB", "official", "N3", H100_URL)
    assert (r["memory.bandwidth"], r["memory.bandwidth.unit"]) == (3350, "GB/s")  # 3.35 TB/s, decimal
    # dense and sparse apart: 1,979 TFLOPS with sparsity is official, 989.5 dense is derived
    assert (r["compute.dense.bf16"], r["compute.dense.bf16.status"]) == (989.5, "derived")
    assert (r["compute.sparse.bf16"], r["compute.sparse.bf16.status"]) == (1979, "official")
    assert (r["compute.dense.int8"], r["compute.dense.int8.unit"]) == (1979, "TOPS")
    # link bandwidth carries its direction
    assert r["interconnect.scale_up.bandwidth"] == 900
    assert r["interconnect.scale_up.bandwidth.direction"] == "bidirectional"
    # fp4 is unsupported on Hopper (listed), which is not the same as an unpublished value
    assert r["compute.dense.fp4.status"] == "unsupported" and "compute.dense.fp4" not in r
    assert r["power.tdp"] == 700 and r["power.tdp.unit"] == "W"


def test_unsupported_and_unpublished_stay_apart():
    df = a.catalog_frame()
    assert df.attrs["catalog_version"] == "2026.12.06"
    assert len(df) == len(a.chips()) and df["id"].is_unique
    row = df.set_index("id").loc["h100-sxm"]
    assert row["compute.dense.fp4.status"] == "unsupported"
    assert row["memory.capacity"] == 80
    # Hopper lists no int4 as unsupported and publishes no int4 peak: empty, not "unsupported"
    assert "compute.dense.int4.status" not in df or row.isna()["compute.dense.int4.status"]


def test_cli_export_csv(capsys, tmp_path):
    code, out, _ = run(capsys, "export", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    r = h100(rows)
    assert r["memory.capacity"] == "80" and r["memory.capacity.source"] == "N3"
    assert r["memory.capacity.url"] == H100_URL and r["catalog_version"] == "2026.12.06"
    header = out.splitlines()[0].split(",")
    i = header.index("memory.capacity")
    assert header[i:i + 5] == ["memory.capacity", "memory.capacity.unit", "memory.capacity.status",
                               "memory.capacity.source", "memory.capacity.url"]
    target = tmp_path / "cat.csv"
    code, _, err = run(capsys, "export", "-o", str(target))
    assert code == 0 and target.read_text(encoding="utf-8") == out and "catalog 2026.12.06" in err


def test_cli_export_json(capsys):
    code, out, _ = run(capsys, "export", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["catalog_version"] == "2026.12.06"
    r = h100(data["chips"])
    assert r["memory.capacity"] == 80 and r["memory.capacity.status"] == "official"
    assert set(r) <= set(data["columns"])


def test_list_prints_catalog_version(capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and out.rstrip().endswith("(catalog 2026.12.06)")


def test_version_single_source(capsys):
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in meta["project"]["dynamic"] and "version" not in meta["project"]
    assert meta["tool"]["hatch"]["version"]["path"] == "accelspec/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", a.__version__)
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"accelspec {a.__version__}"
    assert (ROOT / "accelspec" / "py.typed").is_file()


def test_import_does_not_load_pandas():
    code = ("import sys, accelspec; accelspec.catalog_version(); "
            "print('pandas' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.split() == ["False", "False"]


def test_claims_report_header_names_the_catalog_version():
    report = a.check_claims()
    assert report.to_text().startswith("Claims check (catalog 2026.12.06): ")
    assert "Catalog data version 2026.12.06." in report.to_markdown().splitlines()[:4]
