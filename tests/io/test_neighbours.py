"""Exports for neighbouring tools (accelspec.io.neighbours): AIConfigurator system YAML and
BLIS ``hardware_config.json``, with the tools' own field names and units, checked against
published figures (H100 SXM data sheet: 3.35 TB/s, 80 GB, 989.5 TFLOPS bf16 dense, 700 W,
NVLink 900 GB/s bidirectional; DGX H100: 8 x ConnectX-7 400 Gb/s = 50 GB/s per GPU)."""

from __future__ import annotations

import json

import pytest
import yaml

from accelspec.io import neighbours as nb


def test_aiconfigurator_system_fields_and_units():
    d = nb.aiconfigurator_system("h100")
    gpu = d["gpu"]
    assert gpu["mem_bw"] == 3_350_000_000_000 and gpu["mem_capacity"] == 80_000_000_000
    assert gpu["bfloat16_tc_flops"] == 989_500_000_000_000 and gpu["fp8_tc_flops"] == 1_979_000_000_000_000
    assert gpu["power"] == 700
    assert d["node"]["intra_node_bw"] == 450_000_000_000  # 900 GB/s bidirectional / 2
    assert d["data_dir"] == "data/h100_sxm"


def test_aiconfigurator_yaml_parses_back_and_keeps_sources():
    text = nb.aiconfigurator_yaml("hgx-h100", calibration={"gpu": {"sm_version": 90}})
    assert yaml.safe_load(text) == nb.aiconfigurator_system("hgx-h100", calibration={"gpu": {"sm_version": 90}})
    line = next(x for x in text.splitlines() if x.strip().startswith("mem_bw:"))
    assert "official" in line and "https://www.nvidia.com/en-us/data-center/h100/" in line
    data = yaml.safe_load(text)
    assert data["node"]["num_gpus_per_node"] == 8 and data["node"]["inter_node_bw"] == 50_000_000_000
    assert "gpu.sm_version" not in text.splitlines()[2] and "misc.nccl_version" in text.splitlines()[2]


def test_rack_gives_gpus_per_rack():
    d = nb.aiconfigurator_system("gb200-nvl72")
    assert d["node"]["num_gpus_per_rack"] == 72 and "num_gpus_per_node" not in d["node"]
    assert nb.aiconfigurator_system("gb200-nvl72", gpus_per_node=4)["node"]["num_gpus_per_node"] == 4
    assert d["gpu"]["fp4_tc_flops"] > d["gpu"]["fp8_tc_flops"]


def test_blis_entry_fields_and_provenance():
    entry = nb.blis_hardware_config("h100")["H100-SXM"]
    assert entry["TFlopsPeak"] == 989.5 and entry["TFlopsFP8"] == 1979.0 and entry["BwPeakTBs"] == 3.35
    assert entry["MemoryGiB"] == pytest.approx(80e9 / 2**30)
    assert "IntraNodeBwGBps" not in entry and "InterNodeBwGBps" not in entry  # both or neither
    prov = entry["_accelspec"]
    assert prov["values"]["BwPeakTBs"]["status"] == "official" and prov["sources"]["N3"]["url"]
    assert "mfuPrefill" in prov["not_published"]
    sysentry = nb.blis_hardware_config("hgx-h100", provenance=False, mfu_decode=0.12)["dgx-h100"]
    assert sysentry["IntraNodeBwGBps"] == 450.0 and sysentry["InterNodeBwGBps"] == 50.0
    assert sysentry["mfuDecode"] == 0.12 and "_accelspec" not in sysentry


def test_write_blis_merges_into_an_existing_file(tmp_path):
    path = tmp_path / "hardware_config.json"
    path.write_text(json.dumps({"A100-SXM": {"TFlopsPeak": 312, "BwPeakTBs": 2.039}}))
    nb.write_blis("mi300x", path, name="MI300X")
    data = json.loads(path.read_text())
    assert set(data) == {"A100-SXM", "MI300X"} and data["MI300X"]["BwPeakTBs"] == 5.3  # AMD: 5.3 TB/s
    assert json.loads(nb.blis_json("mi300x")) == nb.blis_hardware_config("mi300x")
    out = nb.write_aiconfigurator("mi300x", tmp_path / "mi300x.yaml")
    assert yaml.safe_load(out.read_text())["gpu"]["mem_capacity"] == 192_000_000_000
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(ValueError, match=r"not a hardware_config\.json"):
        nb.write_blis("h100", tmp_path / "bad.json")


def test_unknown_hardware_is_the_librarys_error():
    import accelspec as a

    with pytest.raises(a.UnknownHardwareError):
        nb.blis_hardware_config("h1000")
