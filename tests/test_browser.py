"""End to end in a real browser: `streamlit run` on 127.0.0.1, Debian's Chromium driven by Playwright.

No browser is downloaded: Playwright drives the system's `chromium`, which
`make test` installs with apt where it is missing. When no browser can be
found the test is skipped and says why (pytest -rs shows it).

Screenshots land in test-artifacts/browser/ (or $SOLEWEAR_SCREENSHOT_DIR);
`make screenshot` copies the result page into docs/ for the README.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inference.model_store import bundled_checkpoint
from inference.taxonomy import load_taxonomy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt install chromium; make test does it)"),
    pytest.mark.skipif(bundled_checkpoint() is None, reason="no bundled model"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(repo):
    port = _free_port()
    env = dict(os.environ, STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(repo) -> Path:
    out = Path(os.environ.get("SOLEWEAR_SCREENSHOT_DIR", repo / "test-artifacts" / "browser"))
    out.mkdir(parents=True, exist_ok=True)
    return out


def _page(browser, url: str, width: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": 3400})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.get_by_text("Check my shoes").first.wait_for()
    return page


def test_uploading_both_shoes_shows_the_pattern_and_the_advice(browser, app_url, repo, shots):
    samples = [repo / "data" / "samples" / name for name in ("03-left.jpg", "04-right.jpg")]  # by the generator
    page = _page(browser, app_url)
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files([str(p) for p in samples])
    page.get_by_role("heading", name="When to see a clinician").wait_for()
    page.get_by_text("Left and right compared").wait_for()
    labels = [c.label for c in load_taxonomy().classes]
    body = page.locator("body").inner_text()
    assert any(label in body for label in labels), body[:2000]
    for heading in ("What it may mean", "Checks you can do", "When to see a clinician"):
        assert page.get_by_role("heading", name=heading).is_visible()
    assert "clue, not a diagnosis" in body
    page.wait_for_timeout(1500)  # let the images finish painting
    page.screenshot(path=str(shots / "result.png"))


def test_a_photo_without_a_sole_says_cant_tell_in_the_browser(browser, app_url, shots, tmp_path):
    import numpy as np
    from PIL import Image

    wall = tmp_path / "wall.jpg"
    Image.fromarray(np.full((600, 400, 3), 180, np.uint8)).save(wall)
    page = _page(browser, app_url)
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(str(wall))
    page.get_by_text("No shoe sole was found").first.wait_for()
    assert page.get_by_role("heading", name="Can't tell").first.is_visible()
    page.screenshot(path=str(shots / "cant-tell.png"))


def test_clinician_page_offers_the_pdf_report(browser, app_url, shots):
    import datetime as dt

    page = _page(browser, app_url, width=1280)
    page.get_by_role("tab", name="Clinician").click()
    page.get_by_role("button", name="Use the example pair").click()
    page.get_by_text("Zone table").wait_for()
    page.wait_for_timeout(1500)  # let the images finish painting
    spill = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stColumn"] img')].map(img =>
        img.getBoundingClientRect().right - img.closest('[data-testid="stColumn"]').getBoundingClientRect().right)""")
    assert spill and max(spill) <= 1, f"pictures wider than their column by {max(spill)} px"   # heatmaps fit at 1,280 px
    button = page.get_by_role("button", name="Download the report (PDF)")
    button.wait_for()
    with page.expect_download() as download:
        button.click()
    path = download.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == f"solewear-report-{dt.date.today().isoformat()}.pdf"
    page.screenshot(path=str(shots / "clinician.png"))


def test_on_a_phone_sized_screen_nothing_needs_sideways_scrolling(browser, app_url, shots):
    page = browser.new_page(viewport={"width": 390, "height": 2400}, device_scale_factor=1, is_mobile=True, has_touch=True)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(app_url)
    page.get_by_role("button", name="Try an example (two synthetic soles)").click()
    page.get_by_text("Left and right compared").wait_for()
    page.wait_for_timeout(1000)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a phone screen"
    page.screenshot(path=str(shots / "phone.png"))
