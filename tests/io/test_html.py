"""``accelspec.io.html.to_html``: results as HTML tables with units, status marks and sources,
and the example notebook (examples/accelspec.ipynb) executed with nbclient."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import accelspec as a
from accelspec.io.html import to_html

ROOT = Path(__file__).resolve().parents[2]


def test_fit_table_has_units_terms_and_the_capacity_source():
    fit = a.fits("llama-3.1-8b", "h100", 8192)
    h = to_html(fit)
    assert h.startswith('<div class="accelspec">') and "<table" in h
    for term in fit.footprint.terms():
        assert f">{term}<" in h
    src = a.get_chip("h100").provenance("memory.capacity").source
    assert "80 GB [" + src.id + "]" in h and (src.url or src.title) in h  # H100 SXM: 80 GB, official
    assert "Assumed:" in h


def test_bound_table_has_the_roofs_and_assumptions():
    b = a.decode_bound("llama-3.1-8b", "h100", 8192)
    h = to_html(b)
    assert "3.35 TB/s" in h and "memory" in h and b.assumptions.split(";")[0] in h
    assert to_html(a.prefill_bound("llama-3.1-8b", "h100", 8192)).count("<tr>") >= 7


def test_plan_comparison_claims_validation():
    from accelspec.specfiles import specs_dir

    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 ms", chips=["h100", "mi300x"])
    assert to_html(p).count("<tr>") == len(p.rows) + 1
    c = to_html(a.comparison(["h100", "mi300x"]))
    assert "192 GB" in c and "5.3 TB/s" in c and "capacity [GB]" in c  # AMD MI300X data sheet
    report = a.check_claims()
    assert to_html(report).count("<tr>") == len(report.to_records()) + 1
    v = a.validate(specs_dir() / "measurements" / "microsoft.yaml")
    assert "token/s" in to_html(v) and "violations: 0" in to_html(v)


def test_registered_classes_are_the_result_classes():
    import importlib

    from accelspec.io.html import CLASSES, register

    for module, name in CLASSES:
        cls = getattr(importlib.import_module(module), name)
        assert (cls.__module__, cls.__name__) == (module, name)
    assert register() == []  # outside IPython: nothing to do


def test_escapes_and_refuses_other_objects():
    from accelspec.io.html import _esc

    assert _esc('<b a="x">') == "&lt;b a=&quot;x&quot;&gt;"
    with pytest.raises(TypeError, match="no HTML form for dict"):
        to_html({})


def test_example_notebook_runs(monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="pip install -e .[dev]")
    nbclient = pytest.importorskip("nbclient", reason="pip install -e .[dev]")
    pytest.importorskip("ipykernel", reason="pip install -e .[dev]")
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:  # a machine without a usable python3 kernel skips; a notebook that fails still fails
        km, kc = start_new_kernel(kernel_name="python3", startup_timeout=60)
    except Exception as exc:
        pytest.skip(f"the python3 kernel cannot start here: {type(exc).__name__}: {exc}")
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    nb = nbformat.read(ROOT / "examples" / "accelspec.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    html_out = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
                if "text/html" in o.get("data", {})]
    assert len(html_out) == 7  # six HTML(to_html(...)) cells and one shown through %load_ext
    assert "80 GB" in html_out[0]["data"]["text/html"]
    assert "Llama 3.1 70B" in html_out[-1]["data"]["text/html"]
