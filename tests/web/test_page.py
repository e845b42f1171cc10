"""The page served by ``accelspec serve``, driven in real headless Chromium (Debian's chromium
and chromedriver, as tests/io/test_catalog_page.py): the server runs on localhost on a free port
in a thread; the test asks a question in the page and checks the answer it shows against the
library's. Skips where chromium, chromedriver, selenium or FastAPI is missing.

The screenshots are written to ``$ACCELSPEC_SCREENSHOT_DIR`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import accelspec as a

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver")
                     if p and os.path.exists(p)), None)


@pytest.fixture(scope="module")
def server():
    pytest.importorskip("fastapi", reason="pip install accelspec[web]")
    uvicorn = pytest.importorskip("uvicorn", reason="pip install accelspec[web]")
    from accelspec.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/api/version", timeout=1).read()
            break
        except OSError:
            time.sleep(0.05)
    else:
        pytest.fail("the server did not start")
    yield url
    srv.should_exit = True
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e .[dev])")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _ready(driver, state, timeout=60):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-ready") in (state, "error"))
    assert driver.find_element("tag name", "body").get_attribute("data-ready") == state, \
        driver.find_element("id", "error").text


def _shot(driver, tmp_path, name):
    folder = Path(os.environ.get("ACCELSPEC_SCREENSHOT_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    driver.get_screenshot_as_file(str(folder / name))
    assert (folder / name).stat().st_size > 10_000


def test_ask_fit_in_the_page(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server + "/")
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#calc-model option")) > 10
                                     and d.find_element(By.ID, "catalog-version").text != "…")  # two requests
    assert browser.find_element(By.ID, "catalog-version").text == a.catalog_version()
    Select(browser.find_element(By.ID, "calc-model")).select_by_value("llama-3.1-8b")
    for field, value in (("calc-chip", "h100"), ("calc-context", "8k")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "calc-go").click()
    _ready(browser, "calc")

    fit = a.fits("llama-3.1-8b", "h100", 8000)  # "8k": decimal, as the CLI reads it
    bound = a.decode_bound("llama-3.1-8b", "h100", 8000)
    assert browser.find_element(By.ID, "fit-verdict").get_attribute("data-fits") == ("true" if fit.fits else "false")
    assert float(browser.find_element(By.ID, "fit-required").get_attribute("data-value")) == \
        pytest.approx(float(fit.required.m_as("GB")))
    assert browser.find_element(By.ID, "fit-capacity").text == "80 GB"  # official: no status mark
    assert float(browser.find_element(By.ID, "bound-time").get_attribute("data-value")) == \
        pytest.approx(float(bound.time.m_as("ms")))
    assert browser.find_element(By.ID, "bound-assumptions").text == bound.assumptions
    terms = browser.find_elements(By.CSS_SELECTOR, "#fit-terms tr[data-term]")
    assert {t.get_attribute("data-term") for t in terms} == set(fit.footprint.terms())
    # the question is in the URL: loading it again answers it again
    url = browser.current_url
    assert "model=llama-3.1-8b" in url and "chip=h100" in url and "context=8k" in url
    _shot(browser, tmp_path, "web_calc.png")
    browser.get(url)
    _ready(browser, "calc")
    assert float(browser.find_element(By.ID, "bound-time").get_attribute("data-value")) == \
        pytest.approx(float(bound.time.m_as("ms")))


def test_error_in_the_page_names_the_field(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server + "/?view=calc&model=llama-3.1-8b&chip=h1000&context=8192")
    _ready(browser, "error")
    box = browser.find_element(By.ID, "error")
    assert box.get_attribute("data-field") == "chip" and "h1000" in box.text


def test_plan_view_draws_the_frontier(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(server + "/?view=plan&model=llama-3.1-8b&input=2048&output=256&ttft=1%20s&tpot=30%20ms"
                         "&chips=h100,mi300x")
    _ready(browser, "plan")
    rows = browser.find_elements(By.CSS_SELECTOR, "#plan-rows tbody tr")
    p = a.plan("llama-3.1-8b", 2048, 256, ttft="1 s", tpot="30 ms", chips=["h100", "mi300x"])
    assert [r.get_attribute("data-id") for r in rows] == [r.id for r in p.rows]
    curves = browser.find_elements(By.CSS_SELECTOR, "#frontier-svg g.curve")
    assert [c.get_attribute("data-chip") for c in curves] == ["h100-sxm", "mi300x"]
    _shot(browser, tmp_path, "web_plan.png")


def test_catalog_and_claims_views(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/?view=catalog&vendor=AMD&chip=mi300x")
    WebDriverWait(browser, 30).until(lambda d: not d.find_element(By.ID, "cat-detail").get_attribute("hidden"))
    ids = {r.get_attribute("data-id") for r in browser.find_elements(By.CSS_SELECTOR, "#cat-chips tbody tr")}
    assert ids == {c.id for c in a.chips(vendor="AMD")}
    row = browser.find_element(By.CSS_SELECTOR, '#cat-chips tr[data-id="mi300x"]')
    assert "192 GB" in row.text and "5.3 TB/s" in row.text  # AMD MI300X data sheet
    assert "Instinct MI300X" in browser.find_element(By.ID, "cat-detail").text
    WebDriverWait(browser, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#cat-systems tbody tr")) == len(a.systems()))
    nvl72 = browser.find_element(By.CSS_SELECTOR, '#cat-systems tr[data-id="gb200-nvl72"]')
    assert "72" in nvl72.text
    _shot(browser, tmp_path, "web_catalog.png")
    browser.get(server + "/?view=claims")
    _ready(browser, "claims")
    # a measurement file checked through the page's upload form
    from accelspec.specfiles import specs_dir

    path = specs_dir() / "measurements" / "microsoft.yaml"
    browser.find_element(By.ID, "validate-file").send_keys(str(path))
    browser.find_element(By.ID, "validate-go").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.ID, "validate-out").text)
    n = len(a.validate(path).checks)
    assert browser.find_element(By.ID, "validate-out").text.startswith(f"{n} measurements")
    report = a.check_claims()
    rows = browser.find_elements(By.CSS_SELECTOR, "#claims-table tbody tr")
    assert len(rows) == len(report.to_records())
    assert [r.get_attribute("data-verdict") for r in rows] == [r["verdict"] for r in report.to_records()]
    _shot(browser, tmp_path, "web_claims.png")
