"""The browsable catalog page (``python -m accelspec.io.site``, committed in docs/catalog-page/).

The committed files must be what the generator writes now, and the page is driven in real
headless Chromium from Debian's packages (``apt-get install chromium chromium-driver``; .ci/run
installs them) through selenium and the system chromedriver, from ``file://`` (no server):
filter by vendor, sort by bandwidth, toggle GiB, tick chips for the chart, and check what is
shown against the catalog. The screenshot the test took is written to ``$ACCELSPEC_SCREENSHOT``
(default: the test's temporary folder); docs/img/catalog_page.png is one such screenshot.

Oracles are published figures (AMD Instinct data sheets: MI300X 5.3 TB/s and 192 GB, MI355X
8 TB/s), not the code under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from accelspec.io.site import render_files

ROOT = Path(__file__).resolve().parents[2]
PAGE_DIR = ROOT / "docs" / "catalog-page"

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and os.path.exists(p)), None)
CHROMEDRIVER = next((p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver")
                     if p and os.path.exists(p)), None)


def test_committed_page_is_current():
    files = render_files()
    stale = [name for name, text in files.items()
             if not (PAGE_DIR / name).exists() or (PAGE_DIR / name).read_text(encoding="utf-8") != text]
    assert not stale, f"docs/catalog-page/{stale} stale: run `python -m accelspec.io.site`"


def test_page_data_has_every_chip_and_system_with_sources():
    import accelspec as a

    text = render_files()["catalog-data.js"]
    data = json.loads(text[text.index("=") + 1:].rstrip().rstrip(";"))
    assert data["catalog_version"] == a.catalog_version()
    assert len(data["chips"]) == len(a.chips()) and len(data["systems"]) == len(a.systems())
    for row in data["chips"] + data["systems"]:
        for key, cell in row["cells"].items():
            assert cell["status"] in {"official", "reported", "derived", "estimated", "unsupported", "not_published"}
            if "v" in cell:  # every shown value names a source the page lists (with its URL when it has one)
                assert cell["source"] in data["sources"], (row["id"], key, cell)
                assert cell["url"] == data["sources"][cell["source"]].get("url", ""), (row["id"], key)
    mi300x = next(c for c in data["chips"] if c["id"] == "mi300x")["cells"]
    assert mi300x["memory.bandwidth"]["v"] == 5300 and mi300x["memory.bandwidth"]["unit"] == "GB/s"
    assert mi300x["memory.capacity"]["v"] == 192
    assert '"catalog_version": "' + a.catalog_version() in render_files()["catalog.json"]
    assert a.catalog_version() in render_files()["index.html"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("chromium / chromedriver not installed (apt-get install chromium chromium-driver; .ci/run does)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e .[dev])")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1600,2000", "--allow-file-access-from-files"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _rows(driver, table="chips"):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")


def _cell(row, key):
    from selenium.webdriver.common.by import By

    return row.find_element(By.CSS_SELECTOR, f'td[data-key="{key}"]')


def _tick(driver, chip):
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, f'#chips tr[data-id="{chip}"] input.pick')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)  # clear of the sticky header
    box.click()


def test_catalog_page_in_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    import accelspec as a

    browser.get((PAGE_DIR / "index.html").as_uri())
    assert browser.find_element(By.ID, "catalog-version").text == a.catalog_version()
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"] \
        if hasattr(browser, "get_log") else []
    assert not errors, errors
    n_chips, n_systems = len(a.chips()), len(a.systems())
    assert len(_rows(browser)) == n_chips and len(_rows(browser, "systems")) == n_systems
    assert browser.find_element(By.ID, "count").text == f"{n_chips} of {n_chips} chips"

    # every shown value links to its source and carries its status
    # (read in one script call: a WebDriver round trip per cell would take seconds)
    anchors = set(browser.execute_script(
        "return Array.from(document.querySelectorAll('#sources tbody tr')).map(function (r) { return r.id; });"))
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chips td[data-value], #systems td[data-value]'))"
        ".map(function (td) { var a = td.querySelector('a');"
        " return [td.getAttribute('data-status'), a ? a.href : '', td.textContent]; });")
    assert len(values) > 300
    for status, href, text in values:
        assert status in {"official", "reported", "derived", "estimated"}, text
        assert href.startswith("http") or href.split("#")[-1] in anchors, (href, text)
        assert text.endswith({"official": "", "reported": "ʳ", "derived": "ᵈ", "estimated": "ᵉ"}[status]) or \
            status == "official", text

    # filter: vendor AMD -> exactly the catalog's AMD chips and systems
    Select(browser.find_element(By.ID, "vendor-filter")).select_by_value("AMD")
    amd = {c.id for c in a.chips(vendor="AMD")}
    rows = _rows(browser)
    assert {r.get_attribute("data-id") for r in rows} == amd and "mi300x" in amd
    assert browser.find_element(By.ID, "count").text == f"{len(amd)} of {n_chips} chips"
    assert {r.get_attribute("data-vendor") for r in _rows(browser, "systems")} == {"AMD"}

    # sort: bandwidth, descending (first click on a numeric column sorts descending)
    browser.find_element(By.CSS_SELECTOR, '#chips th[data-key="memory.bandwidth"]').click()
    th = browser.find_element(By.CSS_SELECTOR, '#chips th[data-key="memory.bandwidth"]')
    assert th.get_attribute("aria-sort") == "descending"
    rows = _rows(browser)
    bw = [float(_cell(r, "memory.bandwidth").get_attribute("data-value")) for r in rows
          if _cell(r, "memory.bandwidth").get_attribute("data-value")]
    assert bw == sorted(bw, reverse=True) and bw[0] == 23300  # MI455X: 23.3 TB/s (issue 25; was MI355X 8 TB/s)
    ids = [r.get_attribute("data-id") for r in rows]
    assert ids.index("mi355x") < ids.index("mi300x")
    mi300x = next(r for r in rows if r.get_attribute("data-id") == "mi300x")
    assert _cell(mi300x, "memory.bandwidth").text.startswith("5,300 GB/s")
    assert _cell(mi300x, "memory.capacity").text == "192 GB"
    assert _cell(mi300x, "interconnect.scale_up.bandwidth").text.startswith("896 GB/s bidi")

    # a second click sorts ascending; chips that publish no bandwidth stay last either way
    browser.find_element(By.CSS_SELECTOR, '#chips th[data-key="memory.bandwidth"]').click()
    assert browser.find_element(By.CSS_SELECTOR, '#chips th[data-key="memory.bandwidth"]') \
        .get_attribute("aria-sort") == "ascending"
    cells = [_cell(r, "memory.bandwidth") for r in _rows(browser)]
    up = [float(c.get_attribute("data-value")) for c in cells if c.get_attribute("data-value")]
    assert up == sorted(up) and len(up) == len(bw)
    assert all(c.text == "n/p" for c in cells[len(up):])
    browser.find_element(By.CSS_SELECTOR, '#chips th[data-key="memory.bandwidth"]').click()  # back to descending

    # unit toggle: GiB (binary): 192 GB = 192e9 / 2^30 = 178.8 GiB; 5.3 TB/s = 4,936 GiB/s
    browser.find_element(By.ID, "unit-toggle").click()
    mi300x = next(r for r in _rows(browser) if r.get_attribute("data-id") == "mi300x")
    assert _cell(mi300x, "memory.capacity").text == "178.8 GiB"
    assert _cell(mi300x, "memory.bandwidth").text.startswith("4,936 GiB/s")
    assert float(_cell(mi300x, "memory.capacity").get_attribute("data-value")) == pytest.approx(178.8139, rel=1e-5)
    assert _cell(mi300x, "power.tdp").text == "750 W"  # not a byte unit: untouched

    # status marks: a derived value shows its mark (MI355X bf16 is derived from the sparse figure)
    mi355x = next(r for r in _rows(browser) if r.get_attribute("data-id") == "mi355x")
    assert _cell(mi355x, "compute.dense.bf16").get_attribute("data-status") == "derived"
    assert _cell(mi355x, "compute.dense.bf16").text.endswith("ᵈ")

    # chart: tick MI300X and MI355X only, compare bandwidth
    browser.find_element(By.ID, "chart-clear").click()
    for chip in ("mi300x", "mi355x"):
        _tick(browser, chip)
    Select(browser.find_element(By.ID, "chart-metric")).select_by_value("memory.bandwidth")
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")
    assert [b.get_attribute("data-id") for b in bars] == ["mi300x", "mi355x"]
    widths = [float(b.find_element(By.TAG_NAME, "rect").get_attribute("width")) for b in bars]
    assert widths[0] / widths[1] == pytest.approx(5300 / 8000, rel=1e-6)
    assert re.search(r"4,936 GiB/s", bars[0].text) or "4,936" in browser.find_element(By.ID, "chart").text

    # links are compared per direction: MI300X 896 GB/s bidirectional (official) -> 448 GB/s each
    # way; MI355X 1,075.2 GB/s bidirectional (derived, hatched) -> 537.6 GB/s
    Select(browser.find_element(By.ID, "chart-metric")).select_by_value("interconnect.scale_up.bandwidth")
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")
    rects = [b.find_element(By.TAG_NAME, "rect") for b in bars]
    assert float(rects[0].get_attribute("width")) / float(rects[1].get_attribute("width")) == \
        pytest.approx(896 / 1075.2, rel=1e-6)
    assert rects[0].get_attribute("fill") != "url(#hatch)" and rects[1].get_attribute("fill") == "url(#hatch)"
    assert "per direction" in browser.find_element(By.ID, "chart").text
    assert "417.2 GiB/s (bidi 834.5" in bars[0].text  # 448e9 / 2^30

    # search and "official values only": the H20's reported figures are hidden, not shown as n/p
    Select(browser.find_element(By.ID, "vendor-filter")).select_by_value("")
    browser.find_element(By.ID, "search").send_keys("h20")
    ids = {r.get_attribute("data-id") for r in _rows(browser)}
    assert "h20" in ids and "mi300x" not in ids and all("h20" in i for i in ids)
    h20 = next(r for r in _rows(browser) if r.get_attribute("data-id") == "h20")
    assert _cell(h20, "memory.bandwidth").get_attribute("data-status") == "reported"
    browser.find_element(By.ID, "official-only").click()
    h20 = next(r for r in _rows(browser) if r.get_attribute("data-id") == "h20")
    assert _cell(h20, "memory.bandwidth").text == "(reported)"
    assert _cell(h20, "memory.capacity").text == "89.41 GiB"  # official: 96 GB = 89.41 GiB
    browser.find_element(By.ID, "official-only").click()
    browser.find_element(By.ID, "search").clear()
    browser.execute_script("document.getElementById('search').dispatchEvent(new Event('input'))")
    assert len(_rows(browser)) == n_chips

    # back to all vendors and a few chips for the screenshot
    Select(browser.find_element(By.ID, "vendor-filter")).select_by_value("")
    for chip in ("h100-sxm", "h200-sxm", "b200"):
        _tick(browser, chip)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")) == 5
    browser.execute_script("window.scrollTo(0, 0)")
    shot = Path(os.environ.get("ACCELSPEC_SCREENSHOT", tmp_path / "catalog_page.png"))
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.get_screenshot_as_file(str(shot))
    assert shot.stat().st_size > 10_000
