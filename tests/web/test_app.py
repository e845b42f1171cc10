"""The HTTP API (accelspec.web.app) through FastAPI's test client: the library's answers,
4xx errors naming the field (never a 500 on bad input), caps, the OpenAPI schema, the page."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="pip install accelspec[web]")
pytest.importorskip("httpx", reason="pip install accelspec[web]")

from fastapi.testclient import TestClient

import accelspec as a
from accelspec.web.answers import LIMITS
from accelspec.web.app import create_app


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def test_fit_equals_the_library(client):
    r = client.get("/api/fit", params={"model": "llama-3.1-8b", "chip": "h100", "context": "8192"})
    assert r.status_code == 200
    lib = a.fits("llama-3.1-8b", "h100", 8192)
    d = r.json()
    assert d["fits"] is bool(lib.fits) and d["required_GB_per_chip"] == pytest.approx(float(lib.required.m_as("GB")))
    assert d["quantities"]["memory_capacity"]["value"] == 80  # H100 SXM: 80 GB


@pytest.mark.parametrize("url", [
    "/api/chips", "/api/chips?vendor=AMD", "/api/chips/h100", "/api/systems", "/api/systems/gb200-nvl72",
    "/api/models", "/api/compare?chips=h100,mi300x", "/api/min_chips?model=llama-3.1-70b&chip=h100&context=128k",
    "/api/bound?model=llama-3.1-8b&chip=h100&context=8k&phase=prefill",
    "/api/request?model=llama-3.1-8b&chip=h100&input=2k&output=256",
    "/api/plan?model=llama-3.1-8b&input=2048&output=256&ttft=1%20s&tpot=30%20ms&chips=h100,mi300x",
    "/api/frontier?model=llama-3.1-8b&chips=h100", "/api/cost?model=llama-3.1-8b&chip=h100",
    "/api/train?model=llama-3.1-8b&chip=h100&n_chips=8", "/api/claims", "/api/version", "/", "/static/app.js",
])
def test_every_question_answers(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/api/fit?model=llama-3.1-8b&chip=h1000&context=8k", 404, "chip"),
    ("/api/fit?model=llama-9&chip=h100&context=8k", 404, "model"),
    ("/api/fit?model=llama-3.1-8b&chip=h100&context=-5", 422, "context"),
    ("/api/fit?model=llama-3.1-8b&chip=h100&context=lots", 422, "context"),
    ("/api/fit?model=llama-3.1-8b&chip=h100", 422, "context"),
    ("/api/fit?model=llama-3.1-8b&chip=h100&context=1G", 422, "context"),
    ("/api/fit?model=llama-3.1-8b&chip=h100&context=8k&weights=fp7", 404, "weights"),
    ("/api/fit?model=llama-3.1-8b&chip=h100&context=8k&parallelism=tp=3", 422, None),
    ("/api/bound?model=llama-3.1-8b&chip=h100&context=8k&phase=train", 422, "phase"),
    ("/api/bound?model=llama-3.1-8b&chip=h100&context=8k&compute_eff=2", 422, "compute_eff"),
    ("/api/plan?model=llama-3.1-8b&input=2048&output=256&ttft=1&tpot=30%20ms", 422, "ttft"),
    ("/api/plan?model=llama-3.1-8b&input=2048&output=256&ttft=1s&tpot=30ms&max_chips=100000", 422, "max_chips"),
    ("/api/compare?chips=" + ",".join(["h100"] * 40), 422, "chips"),
    ("/api/chips/nope", 404, "name"),
    ("/api/cost?model=llama-3.1-8b&chip=h100&price=free", 422, None),
    ("/api/train?model=llama-3.1-8b&chip=h100&recipe=magic", 422, "recipe"),
])
def test_bad_input_is_a_4xx_naming_the_field(client, url, status, field):
    r = client.get(url)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["detail"] and body["error"]
    if field is not None:
        assert body["field"] == field, body


def test_validate_upload(client):
    from accelspec.specfiles import specs_dir

    data = (specs_dir() / "measurements" / "microsoft.yaml").read_bytes()
    r = client.post("/api/validate?filename=microsoft.yaml", content=data)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] > 0 and r.json()["violations"] == []
    bad = client.post("/api/validate", content=b"schema: 1\nmeasurements: [{nonsense: 1}]\n")
    assert bad.status_code == 422 and bad.json()["detail"]
    big = client.post("/api/validate", content=b"#" * (LIMITS["body_bytes"] + 1))
    assert big.status_code == 413 and big.json()["field"] == "file"


def test_openapi_schema_lists_the_questions(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/fit", "/api/bound", "/api/plan", "/api/claims", "/api/validate", "/api/chips/{name}"} <= \
        set(schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/fit"]["get"]["parameters"]}
    assert {"model", "chip", "context", "batch", "weights", "kv", "parallelism"} <= params


def test_no_500_on_odd_input(client):
    odd = ["", " ", "0", "-1", "1e400", "nan", "inf", "8k8", "\x00", "'; drop", "9" * 60, "1.5", "h100,h100"]
    for v in odd:
        for path, params in (("/api/fit", {"model": "llama-3.1-8b", "chip": "h100", "context": v}),
                             ("/api/bound", {"model": "llama-3.1-8b", "chip": v, "context": "8k"}),
                             ("/api/request", {"model": "llama-3.1-8b", "chip": "h100", "batch": v}),
                             ("/api/plan", {"model": "llama-3.1-8b", "input": "2k", "output": "256", "ttft": "1s",
                                            "tpot": v})):
            r = client.get(path, params=params)
            assert r.status_code < 500, (path, params, r.text)


ODD = ["", "0", "-1", "1e400", "nan", "8k8", "tp=3,pp=0", "1.5", "h100,h100", "9" * 40,
       "fp7", "1 s", "int4-g128", "gb200-nvl72"]
BASE = {"model": "llama-3.1-8b", "chip": "h100", "context": "8k", "input": "2k", "output": "256", "ttft": "1 s",
        "tpot": "30 ms", "chips": "h100"}


def test_every_parameter_of_every_question_takes_odd_values_without_a_500(client):
    """Each query parameter of each GET question, set in turn to odd values (the others sane):
    an answer or a 4xx, never a 5xx."""
    schema = client.get("/openapi.json").json()
    bad, n = [], 0
    for path, item in schema["paths"].items():
        if "get" not in item or "{" in path or path in ("/api/claims", "/api/models", "/api/version"):
            continue
        names = [p["name"] for p in item["get"].get("parameters", [])]
        for name in names:
            for v in ODD[1:7] if path == "/api/plan" else ODD:  # a plan takes ~50 ms; "" chips: the catalog, 2 s
                params = {k: BASE[k] for k in names if k in BASE} | {name: v}
                r = client.get(path, params=params)
                n += 1
                if r.status_code >= 500:
                    bad.append((path, name, v, r.text[:200]))
    assert n > 500 and bad == []


def test_accelspec_serve_starts_on_localhost_and_says_so():
    """``accelspec serve --port N`` as a subprocess: it says where it listens (this machine only),
    answers, and stops on SIGTERM; a bad port exits 2."""
    import json
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "accelspec", "serve", "--port", str(port)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/version", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("accelspec serve did not answer")
        assert json.loads(body)["catalog_version"] == a.catalog_version()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"serving on http://127.0.0.1:{port}/ (this machine only" in err
    bad = subprocess.run([sys.executable, "-m", "accelspec", "serve", "--port", "99999"], cwd=root,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "--port" in bad.stderr
